"""/why on a day nothing was held back yet (a morning before the plans ran; the data of `mailfleet demo`, whose
simulated weeks end yesterday) said only "nothing was held back today", though the deferrals of the days before
were recorded: it now says that, then shows the last day a cap held the mailbox or domain back."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.runner import Runner
from engine.clock import FrozenClock
from engine.i18n import translator
from models import CapDeferral, Domain, Mailbox, Workspace
from models.enums import CapKind, MailboxStatus, MailProvider, Platform, TlsMode

pytestmark = pytest.mark.usefixtures("orm")

NOW = dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.UTC)
EN = translator("en")


async def test_why_with_nothing_today_shows_the_last_day_a_cap_held_it_back() -> None:
    runner = Runner(FrozenClock(NOW), admins={Platform.TELEGRAM: {"1"}})
    admin = runner.identity(Platform.TELEGRAM, "1", "admin", "en")
    assert (await runner.run_line(admin, "c1", "/workspace_new acme Acme")).ok
    ws = await Workspace.get(slug="acme")
    await Workspace.filter(id=ws.id).update(timezone="UTC")
    domain = await Domain.create(workspace=ws, name="acme-mail.ru")
    boxes = []
    for name in ("anna", "oleg"):
        boxes.append(
            await Mailbox.create(
                workspace=ws, domain=domain, address=f"{name}@acme-mail.ru", provider=MailProvider.GENERIC,
                smtp_host="127.0.0.1", smtp_port=587, smtp_tls=TlsMode.STARTTLS, imap_host="127.0.0.1",
                imap_port=993, imap_tls=TlsMode.IMPLICIT, username=name, secret_enc=b"x", status=MailboxStatus.ACTIVE,
            )
        )  # fmt: skip
    for day, box, cap, wanted, allowed in [
        (dt.date(2026, 11, 20), boxes[0], CapKind.DOMAIN, 30, 12),
        (dt.date(2026, 11, 26), boxes[0], CapKind.STATUS, 9, 0),
        (dt.date(2026, 11, 26), boxes[1], CapKind.WINDOW, 5, 3),
    ]:
        await CapDeferral.create(
            workspace=ws, mailbox=box, day=day, cap=cap, wanted=wanted, allowed=allowed, updated_at=NOW
        )

    said = (await runner.run_line(admin, "c1", "/why anna@acme-mail.ru")).plain_text()
    assert said.startswith(EN("why-nothing", target="anna@acme-mail.ru"))
    assert EN("why-title", target="anna@acme-mail.ru", day="2026-11-26") in said
    cap = EN("why-cap-status")
    assert EN("why-line", mailbox="anna@acme-mail.ru", wanted=9, allowed=0, cap=cap) in said
    assert "oleg@" not in said and EN("why-cap-domain") not in said  # that mailbox, that day only

    said = (await runner.run_line(admin, "c1", "/why acme-mail.ru")).plain_text()  # the domain: both mailboxes
    assert EN("why-title", target="acme-mail.ru", day="2026-11-26") in said and "oleg@acme-mail.ru" in said

    await CapDeferral.create(
        workspace=ws, mailbox=boxes[1], day=NOW.date(), cap=CapKind.WINDOW, wanted=4, allowed=1, updated_at=NOW
    )
    said = (await runner.run_line(admin, "c1", "/why oleg@acme-mail.ru")).plain_text()  # today's, as before
    assert EN("why-nothing", target="oleg@acme-mail.ru") not in said
    assert EN("why-title", target="oleg@acme-mail.ru", day="2026-12-04") in said

    await CapDeferral.filter(workspace_id=ws.id).delete()
    said = (await runner.run_line(admin, "c1", "/why anna@acme-mail.ru")).plain_text()
    assert said == EN("why-nothing", target="anna@acme-mail.ru")

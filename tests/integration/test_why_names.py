"""/why and /report name mailboxes and domains as people read them: an IDN domain in Unicode (stored as punycode),
in the deferral lines, the protections in force and the report's title; an address typed in Unicode finds them."""

from __future__ import annotations

import datetime as dt

import pytest

from engine.access import Actor
from engine.clock import FrozenClock
from engine.errors import NotFound
from engine.reports.service import report
from engine.sending.why import protections, why
from models import CapDeferral, Domain, Mailbox, Workspace
from models.enums import CapKind, MailboxStatus, MailProvider, Platform, Role, StatScope, TlsMode

pytestmark = pytest.mark.usefixtures("orm")

NOW = dt.datetime(2026, 11, 2, 6, 0, tzinfo=dt.UTC)
ASCII = "xn--e1afmkfd.xn--p1ai"  # пример.рф


async def test_why_and_its_protections_name_an_idn_mailbox_and_domain_in_unicode() -> None:
    ws = await Workspace.create(slug="acme", name="Acme", timezone="UTC")
    domain = await Domain.create(workspace=ws, name=ASCII, health_factor=0.5, health_reason="bounce_rate")
    box = await Mailbox.create(
        workspace=ws, domain=domain, address=f"anna@{ASCII}", provider=MailProvider.GENERIC, smtp_host="127.0.0.1",
        smtp_port=587, smtp_tls=TlsMode.STARTTLS, imap_host="127.0.0.1", imap_port=993, imap_tls=TlsMode.IMPLICIT,
        username="anna", secret_enc=b"x", status=MailboxStatus.COOLDOWN, cooldown_until=NOW + dt.timedelta(hours=5),
        health_factor=0.5,
    )  # fmt: skip
    await CapDeferral.create(
        workspace=ws, mailbox=box, day=NOW.date(), cap=CapKind.DOMAIN, wanted=12, allowed=7, updated_at=NOW
    )
    manager = Actor(person_id=1, platform=Platform.TELEGRAM, role=Role.MANAGER, workspace_id=ws.id)
    clock = FrozenClock(NOW)

    [line] = await why(manager, "пример.рф", clock)
    assert line.mailbox == "anna@пример.рф"
    found = await protections(manager, "anna@пример.рф", clock)
    assert [(p.subject, p.kind) for p in found] == [
        ("anna@пример.рф", "cooldown"),
        ("anna@пример.рф", "cut"),
        ("пример.рф", "cut"),
    ]

    assert (await report(manager, clock, scope=StatScope.MAILBOX, name="Anna@Пример.рф")).subject == "anna@пример.рф"
    with pytest.raises(NotFound):  # a domain is not a mailbox (its name would match every mailbox of it)
        await report(manager, clock, scope=StatScope.MAILBOX, name="пример.рф")

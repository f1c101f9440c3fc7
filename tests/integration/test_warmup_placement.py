"""Placement score from the warmup counters the inbox sync records: per mailbox, domain and provider, with its
sample size, and "not enough data" as a state of its own."""

from __future__ import annotations

import datetime as dt

import pytest

from engine.crypto import Vault, generate_key
from engine.stats import EventRecord, record_events
from engine.warmup.placement import PlacementScope, PlacementState, placement, placements
from models import Domain, Mailbox, Workspace
from models.enums import EventKind, MailboxStatus, MailProvider, TlsMode

pytestmark = pytest.mark.usefixtures("orm")

DAY = dt.date(2031, 3, 20)
VAULT = Vault([generate_key()])


async def box(ws: Workspace, address: str, provider: MailProvider) -> Mailbox:
    domain, _ = await Domain.get_or_create(workspace=ws, name=address.split("@")[1])
    return await Mailbox.create(
        workspace=ws, domain=domain, address=address, provider=provider, smtp_host="127.0.0.1", smtp_port=587,
        smtp_tls=TlsMode.STARTTLS, imap_host="127.0.0.1", imap_port=993, imap_tls=TlsMode.IMPLICIT, username=address,
        secret_enc=VAULT.encrypt("pw"), status=MailboxStatus.WARMING,
    )  # fmt: skip


async def landed(mailbox: Mailbox, day: dt.date, *, inbox: int, spam: int) -> None:
    at = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
    kinds = [EventKind.WARMUP_INBOX] * inbox + [EventKind.WARMUP_SPAM] * spam
    await record_events(
        [EventRecord(mailbox.workspace_id, k, at, mailbox.id, mailbox.domain_id) for k in kinds],
        zones={},
    )


async def test_scores_per_mailbox_domain_and_provider_over_the_window() -> None:
    ws = await Workspace.create(slug="acme", name="Acme", timezone="UTC")
    anna = await box(ws, "anna@alpha.test", MailProvider.YANDEX360)
    olga = await box(ws, "olga@alpha.test", MailProvider.MAILRU)
    bob = await box(ws, "bob@beta.test", MailProvider.YANDEX360)
    await landed(anna, DAY, inbox=18, spam=2)
    await landed(anna, DAY - dt.timedelta(days=3), inbox=5, spam=5)
    await landed(anna, DAY - dt.timedelta(days=14), inbox=0, spam=50)  # just outside a 14-day window
    await landed(anna, DAY + dt.timedelta(days=1), inbox=0, spam=50)  # after the day asked about
    await landed(olga, DAY, inbox=3, spam=0)
    await landed(bob, DAY - dt.timedelta(days=1), inbox=10, spam=10)

    one = await placement(ws.id, PlacementScope.MAILBOX, anna.id, until=DAY)
    assert (one.inbox, one.spam, one.sample, one.state) == (23, 7, 30, PlacementState.OK)
    assert one.score == pytest.approx(23 / 30)

    few = await placement(ws.id, PlacementScope.MAILBOX, olga.id, until=DAY)
    assert (few.sample, few.state, few.score) == (3, PlacementState.NOT_ENOUGH_DATA, None)  # never "100 %"

    domains = await placements(ws.id, PlacementScope.DOMAIN, [anna.domain_id, bob.domain_id], until=DAY)
    assert (domains[anna.domain_id].inbox, domains[anna.domain_id].spam) == (26, 7)
    assert (domains[bob.domain_id].inbox, domains[bob.domain_id].spam) == (10, 10)

    providers = await placements(ws.id, PlacementScope.PROVIDER, ["yandex360", "mailru", "generic"], until=DAY)
    assert (providers["yandex360"].inbox, providers["yandex360"].spam) == (33, 17)
    assert providers["mailru"].sample == 3 and providers["generic"].sample == 0
    assert providers["generic"].state is PlacementState.NOT_ENOUGH_DATA

    short = await placement(ws.id, PlacementScope.MAILBOX, anna.id, until=DAY, days=1, min_sample=5)
    assert (short.inbox, short.spam) == (18, 2) and short.score == pytest.approx(0.9)


async def test_other_workspaces_never_count() -> None:
    acme = await Workspace.create(slug="acme", name="Acme", timezone="UTC")
    other = await Workspace.create(slug="other", name="Other", timezone="UTC")
    mine = await box(acme, "anna@alpha.test", MailProvider.GENERIC)
    theirs = await box(other, "zoe@zeta.test", MailProvider.GENERIC)
    await landed(theirs, DAY, inbox=0, spam=40)
    await landed(mine, DAY, inbox=25, spam=0)

    assert (await placement(acme.id, PlacementScope.PROVIDER, "generic", until=DAY)).score == 1.0
    assert (await placement(acme.id, PlacementScope.MAILBOX, theirs.id, until=DAY)).sample == 0

"""Warmup end to end on the real Postfix + Dovecot: the planner reserves today's sends inside the caps, the outbox
sends them with the keyed marker, the receiving mailboxes get each exactly once, and their inbox sync recognises
the mail as warmup (counted against the sender) and plans threaded replies. Deliveries are counted in Dovecot."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import AsyncIterator, Iterator

import pytest

from engine.access import SYSTEM
from engine.clock import FrozenClock
from engine.crypto import Vault, generate_key
from engine.inbox import SyncOptions, sync_mailbox
from engine.mail.smtp import SmtpTransport, Timeouts
from engine.sending.outbox import Outbox, SendOptions
from engine.sending.planner import plan_warmup
from engine.sending.sentfolder import ImapSentFolder
from engine.warmup.marker import WarmupMarker
from models import Alert, CapDeferral, Domain, Event, Mailbox, OutboundMessage, Workspace
from models.enums import CapKind, EventKind, MailboxStatus, MailProvider, MessageKind, MessageStatus, TlsMode
from tests.harness.mailserver import Fault, MailServer

pytestmark = pytest.mark.usefixtures("orm")

DOMAINS = ("alpha.test", "beta.test")
MORNING = dt.datetime(2031, 3, 10, 5, 0, tzinfo=dt.UTC)  # 08:00 in Moscow, a Monday: the window opens
EVENING = dt.datetime(2031, 3, 10, 16, 59, tzinfo=dt.UTC)  # 19:59 in Moscow: every send of the day is due
VAULT = Vault([generate_key()])


@pytest.fixture(scope="module")
def mail(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailServer]:
    with MailServer(tmp_path_factory.mktemp("warmup"), domains=list(DOMAINS), users_per_domain=3) as server:
        yield server


@pytest.fixture
async def outbox(mail: MailServer) -> AsyncIterator[tuple[Outbox, FrozenClock]]:
    clock = FrozenClock(MORNING)
    async with SmtpTransport(tls_context=mail.ssl_context(), timeouts=Timeouts(10, 10, 20)) as transport:
        yield (
            Outbox(
                clock=clock,
                vault=VAULT,
                sender=transport,
                sent_folder=ImapSentFolder(timeout_s=10),
                options=SendOptions(ssl_context=mail.ssl_context()),
                headers_for=WarmupMarker.from_vault(VAULT).headers_for,
            ),
            clock,
        )


async def fleet(mail: MailServer) -> list[Mailbox]:
    ws = await Workspace.create(slug="acme", name="Acme", timezone="Europe/Moscow")
    boxes = []
    for name in DOMAINS:
        domain = await Domain.create(workspace=ws, name=name)
        for n in range(1, 4):
            address = f"user{n}@{name}"
            box = await Mailbox.create(
                workspace=ws, domain=domain, address=address, display_name=f"User {n}",
                provider=MailProvider.GENERIC, smtp_host=mail.host, smtp_port=mail.ports.submission,
                smtp_tls=TlsMode.STARTTLS, imap_host=mail.host, imap_port=mail.ports.imap,
                imap_tls=TlsMode.PLAIN, username=address, secret_enc=VAULT.encrypt("pw"),
                status=MailboxStatus.WARMING, warmup_started_on=MORNING.date() - dt.timedelta(days=9),
            )  # fmt: skip
            boxes.append(box)
    return boxes


async def test_a_warmup_day_is_planned_sent_once_received_as_warmup_and_answered(
    mail: MailServer, outbox: tuple[Outbox, FrozenClock]
) -> None:
    sender, clock = outbox
    boxes = await fleet(mail)
    mail.reset()

    report = await plan_warmup(clock)
    rows = await OutboundMessage.filter(kind=MessageKind.WARMUP).prefetch_related("mailbox__domain", "peer__domain")
    assert report.planned == len(rows) > 0
    assert all(r.mailbox.domain.name != r.peer.domain.name for r in rows)  # never the same domain
    per_sender = Counter(r.mailbox_id for r in rows)
    assert max(per_sender.values()) <= 3  # three peers on the other domain, no pair twice a day
    held = await CapDeferral.filter(cap=CapKind.PEERS).count()
    assert held == sum(1 for b in boxes if per_sender[b.id] == 3)  # day 10's target is above the peers available

    clock.set(EVENING)
    due = await sender.sweep()
    for mailbox_id in due.send:
        await sender.send_mailbox(mailbox_id)
    assert await OutboundMessage.filter(status=MessageStatus.SENT).count() == len(rows)

    mail.settle()  # Postfix hands the last messages to Dovecot after the SMTP answer: count once they are filed
    expected = Counter(r.peer.address for r in rows)
    arrived = {b.address: mail.count(b.address, "INBOX") + mail.count(b.address, "Junk") for b in boxes}
    assert arrived == {b.address: expected[b.address] for b in boxes}  # each exactly once, counted by Dovecot

    for box in boxes:
        await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=SyncOptions(
            timeout_s=10, ssl_context=mail.ssl_context(), warmup_seed="flow"))  # fmt: skip
    placed = Counter(e.mailbox_id for e in await Event.filter(kind__in=[EventKind.WARMUP_INBOX, EventKind.WARMUP_SPAM]))
    assert placed == per_sender  # placement counts against the sender, once per message
    replies = await OutboundMessage.filter(kind=MessageKind.WARMUP, status=MessageStatus.PLANNED)
    assert 0 < len(replies) < len(rows)  # a share is answered (reply_probability), never every message
    by_id = {r.message_id: r for r in rows}
    for reply in replies:  # threaded answers from the receiver to the sender, after a human-like delay
        parent = by_id[reply.in_reply_to]
        assert (reply.mailbox_id, reply.peer_id) == (parent.peer_id, parent.mailbox_id)
        assert reply.references.split()[-1] == parent.message_id and reply.scheduled_at > EVENING


async def test_a_mailbox_whose_imap_login_fails_mid_day_gets_no_more_warmup_and_sends_none(
    mail: MailServer, outbox: tuple[Outbox, FrozenClock]
) -> None:
    """Its password was changed at the provider at noon: the inbox sync disables it (and alerts). The day's
    warmup to it was planned in the morning; none of it may reach a mailbox that cannot read, rescue or answer it,
    and none may go from it. The rows are cancelled, saying why; the rest of the fleet still sends its day."""
    sender, clock = outbox
    boxes = await fleet(mail)
    broken = boxes[0]
    mail.reset()
    await plan_warmup(clock)
    rows = await OutboundMessage.filter(kind=MessageKind.WARMUP)
    to_it = [r for r in rows if r.peer_id == broken.id]
    assert to_it and any(r.mailbox_id == broken.id for r in rows)

    mail.set_fault(broken.address, Fault.AUTH_FAIL)
    try:
        result = await sync_mailbox(SYSTEM, broken.id, clock=clock, vault=VAULT, options=SyncOptions(
            timeout_s=10, ssl_context=mail.ssl_context(), auth_failure_limit=1))  # fmt: skip
    finally:
        mail.clear_faults()
    assert result.disabled and (await Mailbox.get(id=broken.id)).status is MailboxStatus.DISABLED
    assert await Alert.filter(subject=f"mailbox:{broken.id}").exists()

    clock.set(EVENING)
    due = await sender.sweep()
    for mailbox_id in due.send:
        await sender.send_mailbox(mailbox_id)
    mail.settle()
    assert mail.count(broken.address, "INBOX") + mail.count(broken.address, "Junk") == 0
    after = await OutboundMessage.filter(kind=MessageKind.WARMUP)
    assert not [r for r in after if broken.id in (r.mailbox_id, r.peer_id) and r.status is MessageStatus.SENT]
    cancelled = [r for r in after if r.peer_id == broken.id]
    assert all(r.status is MessageStatus.CANCELLED and "receiving mailbox" in r.smtp_reply for r in cancelled)
    others = [r for r in after if broken.id not in (r.mailbox_id, r.peer_id)]
    assert others and all(r.status is MessageStatus.SENT for r in others)


async def test_mailboxes_of_two_workspaces_in_the_agency_pool_answer_each_other(
    mail: MailServer, outbox: tuple[Outbox, FrozenClock]
) -> None:
    """Two clients opted into the agency-wide pool: their mailboxes warm with each other, so they must also answer
    each other (a warmup nobody ever answers looks like what it is); a client that did not opt in stays apart."""
    sender, clock = outbox
    boxes = await fleet(mail)
    other = await Workspace.create(slug="beta", name="Beta", timezone="Europe/Moscow")
    await Domain.filter(name="beta.test").update(workspace_id=other.id)
    await Mailbox.filter(address__endswith="@beta.test").update(workspace_id=other.id)
    await Workspace.filter(id__in=[boxes[0].workspace_id, other.id]).update(settings={"warmup": {"pool": "agency"}})
    mail.reset()

    await plan_warmup(clock)
    rows = await OutboundMessage.filter(kind=MessageKind.WARMUP).prefetch_related("mailbox", "peer")
    assert rows and all(r.mailbox.workspace_id != r.peer.workspace_id for r in rows)  # only across: one domain each
    clock.set(EVENING)
    due = await sender.sweep()
    for mailbox_id in due.send:
        await sender.send_mailbox(mailbox_id)
    mail.settle()
    for box in boxes:
        await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=SyncOptions(
            timeout_s=10, ssl_context=mail.ssl_context(), warmup_seed="flow"))  # fmt: skip

    replies = await OutboundMessage.filter(kind=MessageKind.WARMUP, status=MessageStatus.PLANNED)
    assert 0 < len(replies) < len(rows)  # a share is answered, as within one workspace
    by_id = {r.message_id: r for r in rows}
    for reply in replies:
        parent = by_id[reply.in_reply_to]
        assert (reply.mailbox_id, reply.peer_id) == (parent.peer_id, parent.mailbox_id)
        assert reply.workspace_id == parent.peer.workspace_id  # the answering mailbox's workspace

"""Weeks of warmup on the real Postfix + Dovecot, a provider filter filing a known share of one domain's mail as spam.

Twenty-eight mailboxes on four domains warm for three simulated weeks on a FrozenClock: each morning the planner
plans the day, the clock moves through the day in ticks (sweep, send what is due, wait for delivery, sync every
mailbox), and replies the syncs plan go out on later ticks. Everything the assertions count comes from Dovecot
(the recipients' folders, and the senders' Sent folders that Postfix's sender BCC fills), never from our own
counters: per mailbox and day the sends follow the ramp and stay under every cap, every message arrived exactly
once, Junk is empty after every sync and what it held matches the warmup_spam events, replies thread onto their
parents and land with the parent's sender, and the placement score of the filtered domain shows the share the
filter caught. Dovecot stamps arrivals with the machine's time, so days are told apart by reading the mailboxes
after each simulated day, never by arrival dates.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from email.utils import parseaddr
from zoneinfo import ZoneInfo

import pytest

from engine.access import SYSTEM
from engine.clock import FrozenClock
from engine.crypto import Vault, generate_key
from engine.inbox import SyncOptions, SyncStatus, sweep
from engine.mail.smtp import SmtpTransport, Timeouts
from engine.sending.outbox import Outbox, SendOptions
from engine.sending.planner import PlanOptions, plan_warmup
from engine.sending.sentfolder import ImapSentFolder
from engine.warmup.marker import WarmupMarker
from engine.warmup.placement import DEFAULT_DAYS, PlacementScope, PlacementState, placements
from engine.warmup.ramp import daily_target
from engine.warmup.receive import MAX_THREAD
from engine.warmup.settings import WarmupSettings
from models import CapDeferral, Domain, Event, Mailbox, OutboundMessage, Workspace
from models.enums import CapKind, EventKind, MailboxStatus, MailProvider, MessageKind, MessageStatus, TlsMode
from tests.harness.mailserver import JunkRule, MailServer, StoredMessage

pytestmark = [pytest.mark.usefixtures("orm"), pytest.mark.timeout(400)]  # ≈ 100 s on 2 shared cores

DOMAINS = ("alpha.test", "beta.test", "gamma.test", "delta.test")
USERS = 7
FILTERED = "gamma.test"
JUNK = JunkRule(FILTERED, ("0", "1", "2", "3"))  # Message-IDs are random hex: a quarter of gamma's mail is spam
EXPECTED_INBOX_SHARE = 0.75
ZONE = ZoneInfo("Europe/Moscow")  # UTC+3 all year: the window 08:00–20:00 is 05:00–17:00 UTC
FIRST_DAY = dt.date(2031, 3, 3)  # a Monday
DAYS = 21  # three weeks: the ramp climbs for ten days, then holds its target under the caps
SETTINGS = WarmupSettings().with_values(
    {"start_per_day": 1, "step_per_day": 1, "target_per_day": 10, "variance": 0.2, "reply_probability": 0.3}
)
CAPPED_MAILBOX = ("user1@alpha.test", 7)  # its own daily cap binds once the ramp passes it
CAPPED_DOMAIN = ("delta.test", 50)  # seven mailboxes wanting up to 10 a day share 50
MAILRU_DOMAIN = "delta.test"  # another provider, so pairing has a preference to follow
PLAN_AT = dt.time(5, 0)  # UTC: 08:00 in Moscow, the window opens
# UTC; the window closes at 17:00, the local day at 21:00: answers due before midnight go out that day
TICKS = (dt.time(10, 0), dt.time(17, 0), dt.time(20, 59, 59, 999999))
VAULT = Vault([generate_key()])
HEADERS = ("message-id", "from", "to", "in-reply-to", "references")


@pytest.fixture(scope="module")
def mail(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailServer]:
    base = tmp_path_factory.mktemp("weeks")
    with MailServer(base, domains=list(DOMAINS), users_per_domain=USERS, junk_rules=[JUNK]) as server:
        yield server


@pytest.fixture
async def world(mail: MailServer) -> AsyncIterator[tuple[Outbox, FrozenClock]]:
    clock = FrozenClock(dt.datetime.combine(FIRST_DAY, PLAN_AT, tzinfo=dt.UTC))
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


async def pool(mail: MailServer) -> tuple[Workspace, list[Mailbox]]:
    ws = await Workspace.create(slug="acme", name="Acme", timezone=str(ZONE), settings={"warmup": SETTINGS.to_json()})
    boxes = []
    for name in DOMAINS:
        cap = CAPPED_DOMAIN[1] if name == CAPPED_DOMAIN[0] else 120
        domain = await Domain.create(workspace=ws, name=name, daily_cap=cap)
        provider = MailProvider.MAILRU if name == MAILRU_DOMAIN else MailProvider.GENERIC
        for n in range(1, USERS + 1):
            address = f"user{n}@{name}"
            box = await Mailbox.create(
                workspace=ws, domain=domain, address=address, display_name=f"User {n}", provider=provider,
                smtp_host=mail.host, smtp_port=mail.ports.submission, smtp_tls=TlsMode.STARTTLS,
                imap_host=mail.host, imap_port=mail.ports.imap, imap_tls=TlsMode.PLAIN, username=address,
                secret_enc=VAULT.encrypt("pw"), status=MailboxStatus.WARMING, warmup_started_on=FIRST_DAY,
                daily_cap=CAPPED_MAILBOX[1] if address == CAPPED_MAILBOX[0] else 40,
            )  # fmt: skip
            boxes.append(box)
    return ws, boxes


@dataclass
class Ledger:
    """What Dovecot holds, read after each simulated day: the messages new since the last read are that day's."""

    seen: set[tuple[str, str, int]] = field(default_factory=set)
    day_of: dict[str, dt.date] = field(default_factory=dict)  # Message-ID -> the simulated day it arrived
    inbox: dict[str, list[StoredMessage]] = field(default_factory=dict)  # Message-ID -> copies in recipients' INBOX
    sent: dict[str, list[StoredMessage]] = field(default_factory=dict)  # Message-ID -> copies in senders' Sent
    junked: int = 0  # messages found in Junk before a sync

    def read(self, mail: MailServer, day: dt.date) -> None:
        for m in mail.messages(["INBOX", "Sent"], HEADERS):
            if (m.address, m.folder, m.uid) in self.seen:
                continue
            self.seen.add((m.address, m.folder, m.uid))
            mid = m.headers["message-id"]
            (self.inbox if m.folder == "INBOX" else self.sent).setdefault(mid, []).append(m)
            self.day_of.setdefault(mid, day)

    def per_day(self, copies: dict[str, list[StoredMessage]], who: Callable[[StoredMessage], str]) -> Counter[Key]:
        return Counter((who(c[0]), self.day_of[mid]) for mid, c in copies.items())


Key = tuple[str, dt.date]


def address(header: str) -> str:
    return parseaddr(header)[1].lower()


async def tick(outbox: Outbox, clock: FrozenClock, mail: MailServer, ledger: Ledger, ids: list[int]) -> None:
    """Send what is due, let Postfix deliver it, sync every mailbox; Junk must be empty afterwards."""
    due = await outbox.sweep()
    reports = await asyncio.gather(*(outbox.send_mailbox(i) for i in due.send))
    assert not any(r.failed or r.retried or r.unresolved or r.expired for r in reports), reports
    mail.settle()
    ledger.junked += len(mail.messages(["Junk"], ["message-id"]))
    results = await sweep(SYSTEM, ids, clock=clock, vault=VAULT, options=SYNC)
    assert all(r.status is SyncStatus.OK for r in results), [r for r in results if r.status is not SyncStatus.OK]
    assert mail.messages(["Junk"], ["message-id"]) == []  # every warmup message the filter caught is moved back


SYNC = SyncOptions(timeout_s=20, warmup_seed="weeks")


async def test_weeks_of_warmup_follow_the_ramp_under_every_cap_counted_in_the_mailboxes(
    mail: MailServer, world: tuple[Outbox, FrozenClock]
) -> None:
    outbox, clock = world
    ws, boxes = await pool(mail)
    mail.reset()
    ledger = Ledger()
    for n in range(DAYS):
        day = FIRST_DAY + dt.timedelta(days=n)
        clock.set(dt.datetime.combine(day, PLAN_AT, tzinfo=dt.UTC))
        # recent_days=1: with 21 peers per mailbox the default three days would make pairing, not the ramp, bind
        await plan_warmup(clock, PlanOptions(recent_days=1, seed=n))
        for moment in TICKS:
            clock.set(dt.datetime.combine(day, moment, tzinfo=dt.UTC))
            await tick(outbox, clock, mail, ledger, [b.id for b in boxes])
        ledger.read(mail, day)

    rows = await OutboundMessage.filter(kind=MessageKind.WARMUP).prefetch_related("mailbox", "peer")
    sent = [r for r in rows if r.status is MessageStatus.SENT]
    check_delivered_once(ledger, rows, sent)
    await check_ramp_and_caps(ledger, boxes)
    caught = await check_spam(ledger, sent)
    check_threads(ledger, rows)
    await check_placement(ws, boxes, ledger, sent, caught)


def check_delivered_once(ledger: Ledger, rows: list[OutboundMessage], sent: list[OutboundMessage]) -> None:
    """Every sent message arrived exactly once, in its recipient's INBOX, with one copy in its sender's Sent folder,
    on the day it was sent; nothing arrived that we did not send; nothing planned was lost."""
    assert sent
    for r in sent:
        assert [c.address for c in ledger.inbox.get(r.message_id, [])] == [r.peer.address], r.message_id
        assert [c.address for c in ledger.sent.get(r.message_id, [])] == [r.mailbox.address], r.message_id
        assert ledger.day_of[r.message_id] == r.sent_at.astimezone(ZONE).date()
    assert set(ledger.inbox) == set(ledger.sent) == {r.message_id for r in sent}
    # a planned email is only ever cancelled to make room for an answer; what is still planned is after the end
    end = dt.datetime.combine(FIRST_DAY + dt.timedelta(days=DAYS), dt.time(), tzinfo=ZONE)
    for r in rows:
        if r.status is MessageStatus.CANCELLED:
            assert (r.smtp_reply, r.in_reply_to) == ("replaced by a warmup answer", "")
        elif r.status is not MessageStatus.SENT:
            assert r.status is MessageStatus.PLANNED and r.scheduled_at >= end, (r.status, r.scheduled_at)


async def check_ramp_and_caps(ledger: Ledger, boxes: list[Mailbox]) -> None:
    """Per mailbox and day, counted in the Sent folders and cross-checked with the arrivals: the ramp's target,
    or less where the planner recorded the cap that cut it; never above the mailbox's or its domain's cap."""
    sends = ledger.per_day(ledger.sent, lambda m: m.address)
    assert sends == ledger.per_day(ledger.inbox, lambda m: address(m.headers["from"]))
    domain_sends: Counter[Key] = Counter()
    for (who, day), count in sends.items():
        domain_sends[(who.rpartition("@")[2], day)] += count
    cut: dict[tuple[int, dt.date], list[tuple[CapKind, int]]] = defaultdict(list)
    for d in await CapDeferral.all().values("mailbox_id", "day", "cap", "allowed"):
        cut[(d["mailbox_id"], d["day"])].append((CapKind(d["cap"]), d["allowed"]))
    days = [FIRST_DAY + dt.timedelta(days=n) for n in range(DAYS)]
    table = {day: [f"{sends[(b.address, day)]}/{target(b, day)}" for b in boxes] for day in days}
    shown = "\n".join(f"{day} {' '.join(line)}" for day, line in table.items())  # sent/ramp, in pool order
    for day in days:
        for b in boxes:
            count, ramp = sends[(b.address, day)], target(b, day)
            assert count <= min(ramp, b.daily_cap), (b.address, day, shown)
            assert count == min([ramp, *(allowed for _, allowed in cut[(b.id, day)])]), (b.address, day, shown)
        for name in DOMAINS:
            assert domain_sends[(name, day)] <= domain_cap(name), (name, day, shown)
    assert sum(sends[(b.address, FIRST_DAY)] for b in boxes) == len(boxes)  # day 1: one each
    assert max(sends[(CAPPED_MAILBOX[0], day)] for day in days) == CAPPED_MAILBOX[1]  # reached, never passed
    assert max(domain_sends[(CAPPED_DOMAIN[0], day)] for day in days) == CAPPED_DOMAIN[1]
    kinds = Counter(cap for cuts in cut.values() for cap, _ in cuts)
    assert (
        kinds[CapKind.MAILBOX]
        and kinds[CapKind.DOMAIN]
        and set(kinds) <= {CapKind.MAILBOX, CapKind.DOMAIN, CapKind.PEERS}
    ), kinds
    assert kinds[CapKind.PEERS] <= len(boxes) * DAYS // 50, (kinds, shown)  # the pool is big enough for the ramp


def target(box: Mailbox, day: dt.date) -> int:
    return daily_target(SETTINGS, mailbox_id=box.id, started_on=FIRST_DAY, day=day)


def domain_cap(name: str) -> int:
    return CAPPED_DOMAIN[1] if name == CAPPED_DOMAIN[0] else 120


async def check_spam(ledger: Ledger, sent: list[OutboundMessage]) -> set[int]:
    """What the filter caught sat in Junk until a sync moved it back, and counted once as warmup_spam against its
    sender; the rest counted once as warmup_inbox. Returns the ids of the rows the filter caught."""
    caught = {r.id for r in sent if JUNK.catches(r.mailbox.address, r.message_id)}
    events = await Event.filter(kind__in=[EventKind.WARMUP_INBOX, EventKind.WARMUP_SPAM]).values("kind", "message_id")
    spam = Counter(e["message_id"] for e in events if e["kind"] == EventKind.WARMUP_SPAM)
    inbox = Counter(e["message_id"] for e in events if e["kind"] == EventKind.WARMUP_INBOX)
    assert ledger.junked == len(caught) > 0
    assert spam == Counter(caught)
    assert inbox == Counter(r.id for r in sent if r.id not in caught)
    return caught


def check_threads(ledger: Ledger, rows: list[OutboundMessage]) -> None:
    """Replies carry In-Reply-To and References of their parent, go back to who wrote it, and stay 2–4 deep."""
    by_mid = {r.message_id: r for r in rows}
    replies = [copies[0] for copies in ledger.inbox.values() if copies[0].headers["in-reply-to"]]
    assert len(replies) > len(ledger.inbox) // 10
    for reply in replies:
        parent = ledger.inbox[reply.headers["in-reply-to"]][0]
        assert reply.address == address(parent.headers["from"])  # arrived in the parent's sender's mailbox
        assert address(reply.headers["from"]) == parent.address  # from the mailbox that received the parent
        chain = reply.headers["references"].split()
        assert chain == [*parent.headers["references"].split(), parent.headers["message-id"]], (reply, parent)
        assert len(chain) < MAX_THREAD
        assert by_mid[reply.headers["message-id"]].in_reply_to == parent.headers["message-id"]
    assert any(len(r.headers["references"].split()) > 1 for r in replies)  # threads grew past one answer


async def check_placement(
    ws: Workspace, boxes: list[Mailbox], ledger: Ledger, sent: list[OutboundMessage], caught: set[int]
) -> None:
    """Over the last 14 days the filtered domain's score is the share the filter let through (≈ 3/4, exactly
    what arrived in INBOX versus Junk), every other domain's 1.0; per mailbox and per provider likewise."""
    until = FIRST_DAY + dt.timedelta(days=DAYS - 1)
    recent = [r for r in sent if ledger.day_of[r.message_id] > until - dt.timedelta(days=DEFAULT_DAYS)]
    domains = {d.name: d.id for d in await Domain.all()}
    scores = await placements(ws.id, PlacementScope.DOMAIN, domains.values(), until=until)
    for name, domain_id in domains.items():
        mine = [r for r in recent if r.mailbox.address.endswith("@" + name)]
        score = scores[domain_id]
        assert (score.spam, score.sample) == (sum(r.id in caught for r in mine), len(mine)), name
        assert score.state is PlacementState.OK and score.sample >= 200
        assert score.score == pytest.approx(EXPECTED_INBOX_SHARE if name == FILTERED else 1.0, abs=0.06), name
    per_box = await placements(ws.id, PlacementScope.MAILBOX, [b.id for b in boxes], until=until)
    for b in boxes:
        mine = [r for r in recent if r.mailbox_id == b.id]
        assert (per_box[b.id].inbox, per_box[b.id].spam) == (
            sum(r.id not in caught for r in mine),
            sum(r.id in caught for r in mine),
        ), b.address
    providers = await placements(ws.id, PlacementScope.PROVIDER, [MailProvider.MAILRU.value], until=until)
    assert providers[MailProvider.MAILRU.value].score == 1.0  # delta.test: none of its mail was filtered

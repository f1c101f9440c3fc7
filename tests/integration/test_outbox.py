"""The outbox against real Postfix + Dovecot and PostgreSQL: due rows go out once, a pause or a lowered cap holds
back rows already queued, failures land where they belong, and a crashed send is resolved from the Sent folder.

Every count of delivered mail is taken from the receiving mailboxes (Dovecot), not from our own counters.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import socket
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from arq import create_pool
from arq.connections import RedisSettings
from pydantic import SecretStr

from engine.access import SYSTEM
from engine.alerts import claim_due
from engine.clock import FrozenClock
from engine.crypto import Vault, generate_key
from engine.i18n import translator
from engine.inbox import SyncOptions, SyncStatus, sweep
from engine.lifecycle import transition_mailbox
from engine.mail import PROBLEM_OTHER, problem_key
from engine.mail.imap import imap_session
from engine.mail.message import make_message_id
from engine.mail.providers import Credentials, Endpoint
from engine.mail.smtp import SmtpResult, SmtpTransport, Timeouts
from engine.mailboxes import latest_check
from engine.notify import render
from engine.sending.outbox import UNREACHED_HOLD, Claimed, Outbox, SendOptions, _claimed_rows, _Want
from engine.sending.planner import PlanOptions, plan_warmup
from engine.sending.sentfolder import ImapSentFolder
from engine.settings import Settings
from engine.stats import counters
from engine.warmup import Composed
from jobs import worker
from models import Alert, CapDeferral, DailyStat, Domain, Event, Mailbox, OutboundMessage, Suppression, Workspace
from models.enums import (
    AlertStatus,
    AuthKind,
    CapKind,
    EventKind,
    MailboxStatus,
    MailProvider,
    MessageKind,
    MessageStatus,
    StatScope,
    TlsMode,
)
from tests.conftest import REDIS_URL
from tests.harness.mailserver import Fault, MailServer

pytestmark = pytest.mark.usefixtures("orm")

PASSWORD = "pw"
NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 28)  # the workspace's day (Europe/Moscow) at NOW
VAULT = Vault([generate_key()])
TIMEOUTS = Timeouts(connect=10, command=10, data=20)


@pytest.fixture(scope="module")
def mail(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailServer]:
    with MailServer(tmp_path_factory.mktemp("outbox"), domains=["alpha.test", "beta.test"], users_per_domain=4) as s:
        yield s


@pytest.fixture(autouse=True)
def clean(mail: MailServer) -> None:
    mail.reset()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
async def transport(mail: MailServer) -> AsyncIterator[SmtpTransport]:
    async with SmtpTransport(tls_context=mail.ssl_context(), timeouts=TIMEOUTS) as pool:
        yield pool


def make_outbox(mail: MailServer, clock: FrozenClock, transport: SmtpTransport, **options: object) -> Outbox:
    opts = SendOptions(ssl_context=mail.ssl_context(), **options)  # type: ignore[arg-type]
    return Outbox(
        clock=clock,
        vault=VAULT,
        sender=transport,
        sent_folder=ImapSentFolder(timeout_s=10),
        options=opts,
        headers_for=marker,
    )


def marker(row: Claimed) -> list[tuple[str, str]]:
    return [("X-Test-Marker", f"row-{row.id}")] if row.kind is MessageKind.WARMUP else []


def trivial_composer(rng: object, **_: object) -> Composed:
    return Composed(subject="Hello", body="How are you?\n")


async def world(mail: MailServer) -> Workspace:
    ws = await Workspace.create(slug="acme", name="Acme", timezone="Europe/Moscow")
    for name in ("alpha.test", "beta.test"):
        await Domain.create(workspace=ws, name=name)
    return ws


async def mailbox(mail: MailServer, ws: Workspace, address: str, **fields: object) -> Mailbox:
    domain = await Domain.get(name=address.split("@")[1])
    values: dict[str, object] = {
        "workspace": ws,
        "domain": domain,
        "address": address,
        "display_name": address.split("@", maxsplit=1)[0].title(),
        "provider": MailProvider.GENERIC,
        "smtp_host": mail.host,
        "smtp_port": mail.ports.submission,
        "smtp_tls": TlsMode.STARTTLS,
        "imap_host": mail.host,
        "imap_port": mail.ports.imap,
        "imap_tls": TlsMode.PLAIN,
        "username": address,
        "secret_enc": VAULT.encrypt(PASSWORD),
        "status": MailboxStatus.WARMING,
        **fields,
    }
    return await Mailbox.create(**values)


async def plan(
    box: Mailbox,
    peer: Mailbox,
    n: int,
    *,
    status: MessageStatus = MessageStatus.QUEUED,
    at: dt.datetime = NOW - dt.timedelta(minutes=5),
    **fields: object,
) -> list[OutboundMessage]:
    rows = []
    for i in range(n):
        values: dict[str, object] = {
            "kind": MessageKind.WARMUP,
            "workspace_id": box.workspace_id,
            "mailbox": box,
            "peer": peer,
            "message_id": make_message_id(box.address),
            "subject": f"Re: lunch {i}",
            "body": f"Hi {peer.display_name},\nhow about Thursday?\n",
            "status": status,
            "scheduled_at": at + dt.timedelta(seconds=i),
            **fields,
        }
        rows.append(await OutboundMessage.create(**values))
    return rows


async def wait_for(condition: Callable[[], bool], timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "mail did not arrive in time"
        await asyncio.sleep(0.05)


async def message_ids(mail: MailServer, address: str, folder: str = "INBOX") -> Counter[str]:
    """Message-IDs in a folder, counted (a duplicate shows as 2)."""
    endpoint = Endpoint(mail.host, mail.ports.imap, TlsMode.PLAIN)
    async with imap_session(endpoint, Credentials(address, AuthKind.PASSWORD, PASSWORD)) as session:
        await session.select(folder)
        uids = await session.search_uids("ALL")
        fetched = await session.fetch_headers(uids) if uids else []
    found: Counter[str] = Counter()
    for item in fetched:
        for line in item.headers.decode("ascii", "replace").splitlines():
            if line.lower().startswith("message-id:"):
                found[line.split(":", 1)[1].strip()] += 1
    return found


async def statuses() -> Counter[str]:
    return Counter(m.status.value for m in await OutboundMessage.all())


# ---------------------------------------------------------------------------------------------------- tests


async def test_due_rows_go_out_once_threaded_marked_and_counted(
    mail: MailServer, clock: FrozenClock, transport: SmtpTransport
) -> None:
    ws = await world(mail)
    anna = await mailbox(mail, ws, "user1@alpha.test")
    bob = await mailbox(mail, ws, "user1@beta.test")
    planned = await plan(anna, bob, 2, status=MessageStatus.PLANNED)
    parent = planned[0].message_id
    reply = (await plan(anna, bob, 1, in_reply_to=parent, references=parent))[0]
    later = (await plan(anna, bob, 1, at=NOW + dt.timedelta(hours=1)))[0]
    outbox = make_outbox(mail, clock, transport)

    due = await outbox.sweep()
    assert due.queued == 2 and due.send == (anna.id,) and due.recover == ()
    report = await outbox.send_mailbox(anna.id)

    assert report.sent == 3 and report.outcomes == {"accepted": 3}
    await wait_for(lambda: mail.count(bob.address) == 3 and mail.count(anna.address, "Sent") == 3)
    received = await message_ids(mail, bob.address)
    assert set(received) == {m.message_id for m in [*planned, reply]} and max(received.values()) == 1
    assert (await OutboundMessage.get(id=later.id)).status is MessageStatus.QUEUED  # not due yet
    sent = await OutboundMessage.get(id=reply.id)
    assert sent.status is MessageStatus.SENT and sent.sent_at == NOW and sent.attempts == 1
    for scope, scope_id in (
        (StatScope.MAILBOX, anna.id),
        (StatScope.DOMAIN, anna.domain_id),
        (StatScope.WORKSPACE, ws.id),
    ):
        day = await counters(scope, scope_id, TODAY)  # the domain's and workspace's rolled up when the job ends
        assert (day["sent"], day["warmup_sent"]) == (3, 3), scope  # warmup: no reply rate is over these sends
    assert await Event.filter(kind=EventKind.SENT, mailbox_id=anna.id).count() == 3

    endpoint = Endpoint(mail.host, mail.ports.imap, TlsMode.PLAIN)
    async with imap_session(endpoint, Credentials(bob.address, AuthKind.PASSWORD, PASSWORD)) as session:
        await session.select("INBOX")
        uid = (await session.search_uids("HEADER", "Message-ID", f'"{reply.message_id}"'))[0]
        header = (await session.fetch_headers([uid]))[0].headers
    assert f"In-Reply-To: {parent}".encode() in header
    assert f"X-Test-Marker: row-{reply.id}".encode() in header


async def test_one_job_sends_several_mailboxes_and_rolls_their_counters_up_once_each(
    mail: MailServer, clock: FrozenClock, transport: SmtpTransport
) -> None:
    ws = await world(mail)
    anna = await mailbox(mail, ws, "user1@alpha.test")
    carl = await mailbox(mail, ws, "user2@alpha.test")
    dora = await mailbox(mail, ws, "user2@beta.test")
    paused = await mailbox(mail, ws, "user3@alpha.test", status=MailboxStatus.PAUSED)
    bob = await mailbox(mail, ws, "user1@beta.test")
    rows = [m for box, n in ((anna, 3), (carl, 2), (dora, 1), (paused, 2)) for m in await plan(box, bob, n)]
    outbox = make_outbox(mail, clock, transport, group_concurrency=2)
    ids = [anna.id, carl.id, dora.id, paused.id, 999_999]  # the last one is gone

    reports = await outbox.send_mailboxes(ids)

    assert [r.mailbox_id for r in reports] == ids
    assert [r.sent for r in reports] == [3, 2, 1, 0, 0]
    assert reports[3].blocked is CapKind.STATUS and reports[4].blocked is None
    await wait_for(lambda: mail.count(bob.address) == 6)
    received = await message_ids(mail, bob.address)
    assert set(received) == {m.message_id for m in rows[:6]} and set(received.values()) == {1}
    expected = {
        (StatScope.MAILBOX, anna.id): 3, (StatScope.MAILBOX, carl.id): 2, (StatScope.MAILBOX, dora.id): 1,
        (StatScope.DOMAIN, anna.domain_id): 5, (StatScope.DOMAIN, dora.domain_id): 1, (StatScope.WORKSPACE, ws.id): 6,
    }  # fmt: skip
    for (scope, scope_id), sent in expected.items():
        assert (await counters(scope, scope_id, TODAY))["sent"] == sent, (scope, scope_id)
    assert await statuses() == {"sent": 6, "queued": 2}
    events = Counter(e.mailbox_id for e in await Event.filter(kind=EventKind.SENT))  # two lanes: records carried over
    assert events == {anna.id: 3, carl.id: 2, dora.id: 1}


async def test_the_next_groups_claim_made_while_the_lanes_send_takes_each_row_once(
    mail: MailServer, clock: FrozenClock, transport: SmtpTransport
) -> None:
    """One lane claims `CLAIM_AHEAD` mailboxes at a time and starts the next group's claim in the background once
    half of them are taken: of seven mailboxes, the last three are claimed right after the second is taken, before
    its messages go (not when the fifth comes up). Every due row goes once, none is left claimed."""
    ws = await world(mail)
    bob = await mailbox(mail, ws, "user1@beta.test")
    senders = [await mailbox(mail, ws, f"user{n}@alpha.test") for n in range(1, 5)]
    senders += [await mailbox(mail, ws, f"user{n}@beta.test") for n in range(2, 5)]
    rows = {box.id: await plan(box, bob, 2) for box in senders}
    outbox = make_outbox(mail, clock, transport, group_concurrency=1)
    claims: list[tuple[int, list[int]]] = []  # (messages handed to SMTP so far, the mailboxes claimed)
    claim_many, send = outbox._claim_many, outbox.sender.send
    sent = 0

    async def claiming(wants: Any, pending: Any) -> Any:
        claims.append((sent, [w.account.mailbox_id for w in wants]))
        return await claim_many(wants, pending)

    async def sending(*args: Any, **kwargs: Any) -> Any:
        nonlocal sent
        sent += 1
        return await send(*args, **kwargs)

    outbox._claim_many = claiming  # type: ignore[method-assign]  # each records what it saw, changes nothing
    outbox.sender.send = sending  # type: ignore[method-assign]
    reports = await outbox.send_mailboxes([box.id for box in senders])

    assert [r.sent for r in reports] == [2] * 7
    assert [ids for _, ids in claims] == [[b.id for b in senders[:4]], [b.id for b in senders[4:]]]
    assert claims[0][0] == 0 and 2 <= claims[1][0] <= 4  # under way while the second mailbox sends: not after 8
    await wait_for(lambda: mail.count(bob.address) == 14)
    received = await message_ids(mail, bob.address)
    assert set(received) == {m.message_id for planned in rows.values() for m in planned}
    assert set(received.values()) == {1}
    assert await statuses() == {"sent": 14}


async def test_the_send_tick_nudges_one_send_job_per_group_of_mailboxes(
    mail: MailServer, clock: FrozenClock, transport: SmtpTransport, redis: Any
) -> None:
    ws = await world(mail)
    bob = await mailbox(mail, ws, "user1@beta.test")
    boxes = [await mailbox(mail, ws, f"box{n}@alpha.test") for n in range(worker.SEND_GROUP + 1)]
    for box in boxes:
        await plan(box, bob, 1)
    pool = await create_pool(RedisSettings.from_dsn(REDIS_URL))
    try:
        ctx = {"outbox": make_outbox(mail, clock, transport), "clock": clock, "redis": pool}
        assert (await worker.send_tick(ctx))["send"] == len(boxes)
        jobs = await pool.queued_jobs()
    finally:
        await pool.aclose()

    assert sorted(len(j.kwargs["mailbox_ids"]) for j in jobs) == [1, worker.SEND_GROUP]
    assert {j.function for j in jobs} == {"send_mailboxes"}
    assert sorted(i for j in jobs for i in j.kwargs["mailbox_ids"]) == [box.id for box in boxes]


async def test_pausing_a_mailbox_holds_back_its_queued_sends(
    mail: MailServer, clock: FrozenClock, transport: SmtpTransport
) -> None:
    ws = await world(mail)
    anna = await mailbox(mail, ws, "user1@alpha.test")
    bob = await mailbox(mail, ws, "user1@beta.test")
    await plan(anna, bob, 4)
    outbox = make_outbox(mail, clock, transport)
    assert (await outbox.sweep()).send == (anna.id,)  # queued for sending before the pause

    await transition_mailbox(anna, MailboxStatus.PAUSED, clock=clock, reason="test")
    report = await outbox.send_mailbox(anna.id)

    assert report.sent == 0 and report.blocked is CapKind.STATUS
    assert await statuses() == {"queued": 4}
    deferral = await CapDeferral.get(mailbox_id=anna.id, day=TODAY, cap=CapKind.STATUS)
    assert deferral.wanted == 4 and deferral.allowed == 0
    assert (await outbox.sweep()).send == ()  # a paused mailbox is not even nudged
    await asyncio.sleep(0.5)
    assert mail.count(bob.address) == 0


async def test_warmup_pause_and_cooldown_hold_back_sends(
    mail: MailServer, clock: FrozenClock, transport: SmtpTransport
) -> None:
    ws = await world(mail)
    anna = await mailbox(mail, ws, "user1@alpha.test", warmup_paused_at=NOW)
    bob = await mailbox(mail, ws, "user1@beta.test", cooldown_until=NOW + dt.timedelta(minutes=1))
    carol = await mailbox(mail, ws, "user2@alpha.test")
    await plan(anna, carol, 2)
    await plan(bob, carol, 2)
    await plan(bob, anna, 1, at=NOW - dt.timedelta(minutes=4))
    outbox = make_outbox(mail, clock, transport)

    assert (await outbox.send_mailbox(anna.id)).sent == 0  # warmup paused: its warmup rows wait
    assert (await outbox.send_mailbox(bob.id)).blocked is CapKind.STATUS  # cooling down
    assert await statuses() == {"queued": 4, "cancelled": 1}  # none goes to a mailbox whose warmup is paused

    clock.advance(dt.timedelta(minutes=2))
    assert (await outbox.send_mailbox(bob.id)).sent == 2  # the cooldown is over
    assert await statuses() == {"queued": 2, "sent": 2, "cancelled": 1}
    await asyncio.sleep(0.5)
    assert mail.count(anna.address) == 0


async def test_a_paused_workspace_sends_nothing_and_plans_nothing(
    mail: MailServer, clock: FrozenClock, transport: SmtpTransport
) -> None:
    ws = await world(mail)
    anna = await mailbox(mail, ws, "user1@alpha.test", warmup_started_on=TODAY - dt.timedelta(days=3))
    bob = await mailbox(mail, ws, "user1@beta.test", warmup_started_on=TODAY - dt.timedelta(days=3))
    await plan(anna, bob, 3)
    await Workspace.filter(id=ws.id).update(settings={**ws.settings, "sending_paused": True})
    outbox = make_outbox(mail, clock, transport)

    report = await outbox.send_mailbox(anna.id)
    assert (report.sent, report.blocked) == (0, CapKind.STATUS)
    assert (await CapDeferral.get(mailbox_id=anna.id, cap=CapKind.STATUS)).detail == {"at": "claim"}

    planned = await plan_warmup(clock, PlanOptions(seed=1))
    assert planned.planned == 0
    assert (await statuses()) == Counter({"queued": 3})
    deferrals = {(d.mailbox_id, d.cap, d.detail.get("reason")) for d in await CapDeferral.filter(source="warmup")}
    assert deferrals == {(box.id, CapKind.STATUS, "workspace_paused") for box in (anna, bob)}
    assert await CapDeferral.filter(source="claim").count() == 1  # each recorder keeps its own rows
    await asyncio.sleep(1.0)
    assert mail.count(bob.address) == 0

    await Workspace.filter(id=ws.id).update(settings={**ws.settings, "sending_paused": False})
    assert (await outbox.send_mailbox(anna.id)).sent == 3
    await wait_for(lambda: mail.count(bob.address) == 3)


async def test_a_lowered_cap_applies_to_rows_already_queued(
    mail: MailServer, clock: FrozenClock, transport: SmtpTransport
) -> None:
    ws = await world(mail)
    anna = await mailbox(mail, ws, "user1@alpha.test")
    alex = await mailbox(mail, ws, "user2@alpha.test")
    bob = await mailbox(mail, ws, "user1@beta.test")
    await plan(anna, bob, 5)
    await plan(alex, bob, 5)
    outbox = make_outbox(mail, clock, transport)
    await Mailbox.filter(id=anna.id).update(daily_cap=2)  # lowered after the rows were planned
    await Domain.filter(id=anna.domain_id).update(daily_cap=5)

    first = await outbox.send_mailbox(anna.id)
    second = await outbox.send_mailbox(alex.id)

    assert (first.sent, first.blocked) == (2, CapKind.MAILBOX)
    assert (second.sent, second.blocked) == (3, CapKind.DOMAIN)  # the domain's 5 shared by both mailboxes
    await wait_for(lambda: mail.count(bob.address) == 5)
    await asyncio.sleep(0.3)
    assert mail.count(bob.address) == 5
    mailbox_cap = await CapDeferral.get(mailbox_id=anna.id, cap=CapKind.MAILBOX)
    assert (mailbox_cap.wanted, mailbox_cap.allowed) == (5, 2)
    domain_cap = await CapDeferral.get(mailbox_id=alex.id, cap=CapKind.DOMAIN)
    assert (domain_cap.wanted, domain_cap.allowed) == (7, 5)


async def test_two_workers_claiming_the_same_rows_send_each_once(
    mail: MailServer, clock: FrozenClock, transport: SmtpTransport
) -> None:
    ws = await world(mail)
    senders = [await mailbox(mail, ws, f"user{n}@alpha.test") for n in (1, 2, 3)]
    bob = await mailbox(mail, ws, "user1@beta.test")
    rows = [m for box in senders for m in await plan(box, bob, 8)]
    async with SmtpTransport(tls_context=mail.ssl_context(), timeouts=TIMEOUTS) as other:
        first, second = make_outbox(mail, clock, transport), make_outbox(mail, clock, other)
        reports = await asyncio.gather(*(outbox.send_mailbox(box.id) for box in senders for outbox in (first, second)))

    assert sum(r.sent for r in reports) == 24
    await wait_for(lambda: mail.count(bob.address) >= 24)
    await asyncio.sleep(0.3)
    received = await message_ids(mail, bob.address)
    assert set(received) == {m.message_id for m in rows} and set(received.values()) == {1}
    assert {m.attempts for m in await OutboundMessage.all()} == {1}


async def test_workers_racing_for_a_domain_cap_never_send_past_it(
    mail: MailServer, clock: FrozenClock, transport: SmtpTransport
) -> None:
    ws = await world(mail)
    senders = [await mailbox(mail, ws, f"user{n}@alpha.test") for n in (1, 2, 3)]
    bob = await mailbox(mail, ws, "user1@beta.test")
    for box in senders:
        await plan(box, bob, 5)
    await Domain.filter(id=senders[0].domain_id).update(daily_cap=7)
    async with SmtpTransport(tls_context=mail.ssl_context(), timeouts=TIMEOUTS) as other:
        first, second = make_outbox(mail, clock, transport), make_outbox(mail, clock, other)
        racing = await asyncio.gather(*(outbox.send_mailbox(box.id) for box in senders for outbox in (first, second)))
        calm = [await first.send_mailbox(box.id) for box in senders]  # racers may leave the last unit unsent

    assert sum(r.sent for r in racing) <= 7
    assert sum(r.sent for r in racing + calm) == 7
    await wait_for(lambda: mail.count(bob.address) >= 7)
    await asyncio.sleep(0.5)
    assert mail.count(bob.address) == 7
    assert (await statuses())["queued"] == 8
    assert {m.attempts for m in await OutboundMessage.filter(status=MessageStatus.QUEUED)} == {0}
    # the domain's and the workspace's counters, rolled up by jobs racing each other, lost none
    assert (await counters(StatScope.DOMAIN, senders[0].domain_id, TODAY))["sent"] == 7
    assert (await counters(StatScope.WORKSPACE, ws.id, TODAY))["sent"] == 7


async def test_a_batch_partly_over_a_cap_keeps_what_fits_and_gives_back_the_rest(
    mail: MailServer, clock: FrozenClock, transport: SmtpTransport
) -> None:
    """Rows in flight from another mailbox of the domain count: of a batch of six, the four that fit go out (the
    earliest due), the other two are `queued` again as if never claimed, and the domain cap is recorded for /why."""
    ws = await world(mail)
    anna = await mailbox(mail, ws, "user1@alpha.test")
    alex = await mailbox(mail, ws, "user2@alpha.test")
    bob = await mailbox(mail, ws, "user1@beta.test")
    rows = await plan(anna, bob, 6)
    await plan(alex, bob, 2, status=MessageStatus.SENDING, claimed_at=NOW - dt.timedelta(minutes=1))
    await Domain.filter(id=anna.domain_id).update(daily_cap=6)

    report = await make_outbox(mail, clock, transport, claim_batch=8).send_mailbox(anna.id)

    assert (report.sent, report.blocked) == (4, CapKind.DOMAIN)
    after = {m.id: m for m in await OutboundMessage.filter(mailbox_id=anna.id)}
    assert [after[r.id].status for r in rows] == [MessageStatus.SENT] * 4 + [MessageStatus.QUEUED] * 2
    assert [after[r.id].attempts for r in rows] == [1] * 4 + [0] * 2
    assert all(after[r.id].claimed_at is None for r in rows[4:])
    deferral = await CapDeferral.get(mailbox_id=anna.id, cap=CapKind.DOMAIN)
    assert (deferral.wanted, deferral.allowed) == (8, 6)
    await wait_for(lambda: mail.count(bob.address) >= 4)
    await asyncio.sleep(0.3)
    assert set(await message_ids(mail, bob.address)) == {r.message_id for r in rows[:4]}


@pytest.mark.parametrize("together", [False, True], ids=["one-mailbox-claims", "one-claim-for-three"])
async def test_claims_racing_for_the_last_units_of_a_cap_never_keep_more_than_it(
    mail: MailServer, clock: FrozenClock, transport: SmtpTransport, together: bool
) -> None:
    """Four workers claim batches for three mailboxes of one domain at once, round after round — each mailbox on
    its own, or the three in one statement (`_claim_many`, as a send job's first claims are made): whatever the
    interleaving, the claims kept never exceed the room the domain cap leaves, and every claim given up is undone
    exactly (`queued`, no attempt, no claim time)."""
    ws = await world(mail)
    senders = [await mailbox(mail, ws, f"user{n}@alpha.test") for n in (1, 2, 3)]
    bob = await mailbox(mail, ws, "user1@beta.test")
    for box in senders:
        await plan(box, bob, 4)
    await Domain.filter(id=senders[0].domain_id).update(daily_cap=5)
    workers = [make_outbox(mail, clock, transport, claim_batch=4) for _ in range(4)]
    accounts = [a for box in senders if (a := await workers[0].account(box.id)) is not None]
    zone = ZoneInfo("Europe/Moscow")
    for _ in range(12):
        if together:
            wants = [_Want(a, zone, 4, expire=True) for a in accounts]
            many = await asyncio.gather(*(w._claim_many(wants, []) for w in workers))
            claims = [claim for found in many for claim in found.values()]
        else:
            claims = await asyncio.gather(*(w._claim(a, zone, [], limit=4) for w in workers for a in accounts))
        kept = [row.id for claim in claims for row in claim.rows]
        assert len(kept) <= 5 and len(set(kept)) == len(kept)
        sending = await OutboundMessage.filter(status=MessageStatus.SENDING).values_list("id", flat=True)
        assert sorted(sending) == sorted(kept)
        queued = await OutboundMessage.filter(status=MessageStatus.QUEUED)
        assert {(m.attempts, m.claimed_at) for m in queued} <= {(0, None)}
        await OutboundMessage.filter(id__in=kept).update(status=MessageStatus.QUEUED, attempts=0, claimed_at=None)


async def test_a_job_vouches_for_the_claims_it_made_ahead_and_gives_back_those_it_never_started(
    mail: MailServer, clock: FrozenClock, transport: SmtpTransport
) -> None:
    """One lane, three mailboxes: the job claims for all three at once. While the first mailbox's message is stuck
    with the server, the rows claimed for the other two are stamped as claimed again (recovery leaves them be);
    the job cancelled, they are `queued` again exactly as before the claim, and only the stuck one is left
    `sending` for recovery."""
    ws = await world(mail)
    senders = [await mailbox(mail, ws, f"user{n}@alpha.test") for n in (1, 2, 3)]
    bob = await mailbox(mail, ws, "user1@beta.test")
    first = await plan(senders[0], bob, 1)
    later = [row for box in senders[1:] for row in await plan(box, bob, 2)]
    stuck = asyncio.Event()

    class Stuck:
        async def send(self, *args: Any, **kwargs: Any) -> SmtpResult:
            stuck.set()
            await asyncio.Event().wait()
            raise AssertionError("never sent")

    outbox = make_outbox(mail, clock, transport, group_concurrency=1, claim_refresh=dt.timedelta(milliseconds=50))
    outbox.sender = Stuck()
    job = asyncio.create_task(outbox.send_mailboxes([box.id for box in senders]))
    await asyncio.wait_for(stuck.wait(), 10)
    claimed = await OutboundMessage.filter(id__in=[r.id for r in later]).values_list("status", "claimed_at")
    assert claimed == [(MessageStatus.SENDING, NOW)] * 4  # claimed ahead, with the first mailbox's
    clock.advance(dt.timedelta(minutes=3))
    await asyncio.sleep(0.3)
    refreshed = await OutboundMessage.filter(id__in=[r.id for r in later]).values_list("claimed_at", flat=True)
    assert refreshed == [NOW + dt.timedelta(minutes=3)] * 4
    job.cancel()
    with pytest.raises(asyncio.CancelledError):
        await job
    after = {m.id: m for m in await OutboundMessage.all()}
    assert after[first[0].id].status is MessageStatus.SENDING  # in the server's hands: recovery decides
    assert {(after[r.id].status, after[r.id].attempts, after[r.id].claimed_at) for r in later} == {
        (MessageStatus.QUEUED, 0, None)
    }


async def test_a_job_cancelled_mid_batch_gives_back_what_it_never_handed_over(
    mail: MailServer, clock: FrozenClock, transport: SmtpTransport
) -> None:
    """A job cancelled (its timeout) while its second message is with SMTP: the first is recorded, the second is
    left `sending` for recovery, the rest of the batch is `queued` again as if never claimed. Recovery then finds
    the second missing from a Sent folder that holds the first, so it goes again: each message arrives once."""
    ws = await world(mail)
    anna = await mailbox(mail, ws, "user1@alpha.test")
    bob = await mailbox(mail, ws, "user1@beta.test")
    rows = await plan(anna, bob, 5)
    second = asyncio.Event()

    class Stuck:
        """The real transport, but the second message never leaves (as if the server stalled in DATA)."""

        calls = 0

        async def send(self, *args: Any, **kwargs: Any) -> SmtpResult:
            Stuck.calls += 1
            if Stuck.calls == 2:
                second.set()
                await asyncio.Event().wait()
            return await transport.send(*args, **kwargs)

    outbox = make_outbox(mail, clock, transport, claim_batch=8)
    outbox.sender = Stuck()
    job = asyncio.create_task(outbox.send_mailbox(anna.id))
    await asyncio.wait_for(second.wait(), 10)
    job.cancel()
    with pytest.raises(asyncio.CancelledError):
        await job

    after = {m.id: m for m in await OutboundMessage.filter(mailbox_id=anna.id)}
    assert [after[r.id].status for r in rows] == [MessageStatus.SENT, MessageStatus.SENDING] + [
        MessageStatus.QUEUED
    ] * 3
    assert [after[r.id].attempts for r in rows] == [1, 1, 0, 0, 0]
    assert (await counters(StatScope.MAILBOX, anna.id, TODAY))["sent"] == 1

    await wait_for(lambda: mail.count(anna.address, "Sent") == 1)
    clock.advance(dt.timedelta(minutes=20))
    outbox.sender = transport
    assert (await outbox.recover_mailbox(anna.id)).retried == 1
    assert (await outbox.send_mailbox(anna.id)).sent == 4
    await wait_for(lambda: mail.count(bob.address) >= 5)
    await asyncio.sleep(0.3)
    received = await message_ids(mail, bob.address)
    assert set(received) == {r.message_id for r in rows} and set(received.values()) == {1}


async def test_a_slow_server_never_lets_a_claimed_row_wait_long_enough_to_look_stuck(
    mail: MailServer, clock: FrozenClock, transport: SmtpTransport
) -> None:
    """Each message takes the server three minutes: the rows of a batch still waiting a third of `stuck_after`
    (15 min) after their claim are given back and claimed afresh, so recovery can never take one of them for stuck
    (and send it again) while it waits its turn. Every row goes once, with one attempt."""
    ws = await world(mail)
    anna = await mailbox(mail, ws, "user1@alpha.test")
    bob = await mailbox(mail, ws, "user1@beta.test")
    rows = await plan(anna, bob, 5)

    class Slow:
        async def send(self, *args: Any, **kwargs: Any) -> SmtpResult:
            clock.advance(dt.timedelta(minutes=3))
            return await transport.send(*args, **kwargs)

    outbox = make_outbox(mail, clock, transport, claim_batch=8)
    outbox.sender = Slow()
    report = await outbox.send_mailbox(anna.id)

    assert report.sent == 5
    after = {m.id: m for m in await OutboundMessage.filter(mailbox_id=anna.id)}
    assert {(after[r.id].status, after[r.id].attempts) for r in rows} == {(MessageStatus.SENT, 1)}
    minutes = [(after[r.id].claimed_at - NOW) // dt.timedelta(minutes=1) for r in rows]
    assert minutes == [0, 0, 6, 6, 12]
    await wait_for(lambda: mail.count(bob.address) >= 5)
    await asyncio.sleep(0.3)
    assert set((await message_ids(mail, bob.address)).values()) == {1}


async def test_transient_failures_retry_with_backoff_then_fail(
    mail: MailServer, clock: FrozenClock, transport: SmtpTransport
) -> None:
    ws = await world(mail)
    anna = await mailbox(mail, ws, "user1@alpha.test")
    bob = await mailbox(mail, ws, "user1@beta.test")
    row = (await plan(anna, bob, 1))[0]
    mail.set_fault(anna.address, Fault.TEMPFAIL)
    outbox = make_outbox(mail, clock, transport, max_attempts=2)

    first = await outbox.send_mailbox(anna.id)
    again = await OutboundMessage.get(id=row.id)
    assert first.retried == 1 and again.status is MessageStatus.QUEUED and again.attempts == 1
    delay = again.scheduled_at - NOW
    assert dt.timedelta(minutes=4) <= delay <= dt.timedelta(minutes=6)  # 5 min ± 20 % jitter
    assert (await outbox.send_mailbox(anna.id)).sent == 0  # not due yet

    clock.advance(dt.timedelta(minutes=7))
    second = await outbox.send_mailbox(anna.id)
    final = await OutboundMessage.get(id=row.id)
    assert second.failed == 1 and final.status is MessageStatus.FAILED and final.attempts == 2
    assert final.smtp_code == 451 and "smtp-transient" in final.smtp_reply
    assert await Event.filter(kind=EventKind.SMTP_ERROR).count() == 1


async def test_a_spam_verdict_cools_the_mailbox_down_and_the_message_waits(
    mail: MailServer, clock: FrozenClock, transport: SmtpTransport
) -> None:
    ws = await world(mail)
    anna = await mailbox(mail, ws, "user1@alpha.test")
    bob = await mailbox(mail, ws, "user1@beta.test")
    rows = await plan(anna, bob, 2)
    mail.set_fault(anna.address, Fault.DATA_REJECT)  # "550 5.7.1 … Message content rejected"

    report = await make_outbox(mail, clock, transport).send_mailbox(anna.id)

    assert report.outcomes == {"spam_rejected": 1} and report.blocked is CapKind.STATUS
    first = await OutboundMessage.get(id=rows[0].id)
    assert first.status is MessageStatus.QUEUED and first.smtp_code == 550
    assert "content rejected" in first.smtp_reply
    assert first.scheduled_at - NOW >= dt.timedelta(hours=19)  # 24 h ± 20 %
    assert (await Mailbox.get(id=anna.id)).cooldown_until == NOW + dt.timedelta(hours=24)
    assert (await OutboundMessage.get(id=rows[1].id)).attempts == 0  # held back by the cooldown, not tried


async def test_a_refusal_of_us_is_a_block_against_the_mailbox_never_against_the_recipient(
    mail: MailServer, clock: FrozenClock, transport: SmtpTransport
) -> None:
    ws = await world(mail)
    anna = await mailbox(mail, ws, "user1@alpha.test")
    bob = await mailbox(mail, ws, "user1@beta.test")
    rows = await plan(anna, bob, 1)
    mail.set_fault(anna.address, Fault.BLOCKED)  # "554 5.7.1 … Client host … blocked using bl.example"

    report = await make_outbox(mail, clock, transport).send_mailbox(anna.id)

    assert report.outcomes == {"rejected": 1} and report.retried == 1 and report.failed == 0
    row = await OutboundMessage.get(id=rows[0].id)
    assert row.status is MessageStatus.QUEUED and row.smtp_code == 554  # tried again later, not given up
    [block] = await Event.filter(kind=EventKind.BOUNCE_BLOCK)
    assert block.mailbox_id == anna.id and block.data["reason"] == "blocked"
    assert not await Event.filter(kind__in=(EventKind.BOUNCE_HARD, EventKind.SMTP_ERROR)).exists()
    assert await Suppression.all().count() == 0
    counters = await DailyStat.get(scope=StatScope.MAILBOX, scope_id=anna.id)
    assert (counters.bounces_block, counters.bounces_hard, counters.sent) == (1, 0, 0)


async def test_auth_failures_disable_the_mailbox_at_the_limit_and_alert(
    mail: MailServer, clock: FrozenClock, transport: SmtpTransport
) -> None:
    ws = await world(mail)
    anna = await mailbox(mail, ws, "user1@alpha.test")
    bob = await mailbox(mail, ws, "user1@beta.test")
    await plan(anna, bob, 3)
    mail.set_fault(anna.address, Fault.AUTH_FAIL)
    outbox = make_outbox(mail, clock, transport, auth_failure_limit=2)

    first = await outbox.send_mailbox(anna.id)
    assert first.outcomes == {"auth_failed": 1}  # stops at the first: the rest would fail the same way
    assert (await Mailbox.get(id=anna.id)).auth_failures == 1
    clock.advance(dt.timedelta(hours=2))
    await outbox.send_mailbox(anna.id)

    box = await Mailbox.get(id=anna.id)
    assert box.status is MailboxStatus.DISABLED and box.auth_failures == 2
    assert PASSWORD not in box.last_error
    assert await statuses() == {"queued": 3}  # the messages are not at fault
    alert = await Alert.get(kind="mailbox_auth_disabled")
    assert alert.data["mailbox"] == anna.address
    [notification] = [n for n in await claim_due(clock) if n.kind == "mailbox_auth_disabled"]
    said = render(notification, "ru").plain_text()  # the reason in words, not its code
    assert translator("ru")(problem_key(alert.data["reason"])) in said and alert.data["reason"] not in said, said
    assert (await outbox.send_mailbox(anna.id)).blocked is CapKind.STATUS


async def test_recovery_marks_found_rows_sent_and_the_rest_unknown(
    mail: MailServer, clock: FrozenClock, transport: SmtpTransport
) -> None:
    """A crash left two rows in `sending`: one had reached the server (it is in Sent), one had not."""
    ws = await world(mail)
    anna = await mailbox(mail, ws, "user1@alpha.test")
    bob = await mailbox(mail, ws, "user1@beta.test")
    delivered, lost = await plan(anna, bob, 2)
    outbox = make_outbox(mail, clock, transport)
    await outbox.send_mailbox(anna.id)  # both go out ...
    await wait_for(lambda: mail.count(anna.address, "Sent") == 2)
    account = await outbox.account(anna.id)
    assert account is not None
    mail.reset()  # ... then forget the second one ever reached the server, and the first one's recording
    await transport.send(
        Endpoint(mail.host, mail.ports.submission, TlsMode.STARTTLS),
        Credentials(anna.address, AuthKind.PASSWORD, PASSWORD),
        outbox._build(account, await _claimed(delivered.id)),
    )
    await wait_for(lambda: mail.count(anna.address, "Sent") == 1)
    claimed = NOW - dt.timedelta(minutes=1)
    await OutboundMessage.filter(id__in=[delivered.id, lost.id]).update(
        status=MessageStatus.SENDING, sent_at=None, claimed_at=claimed
    )
    await DailyStat.all().delete()

    clock.advance(dt.timedelta(minutes=20))
    due = await outbox.sweep()
    assert due.recover == (anna.id,)
    report = await outbox.recover_mailbox(anna.id)

    assert (report.sent, report.unknown) == (1, 1)
    assert (await OutboundMessage.get(id=delivered.id)).status is MessageStatus.SENT
    assert (await OutboundMessage.get(id=lost.id)).status is MessageStatus.UNKNOWN
    assert (await counters(StatScope.MAILBOX, anna.id, TODAY))["sent"] == 1
    assert (await counters(StatScope.DOMAIN, anna.domain_id, TODAY))["sent"] == 1
    assert (await Alert.get(kind="send_unknown")).data["count"] == 1
    assert mail.count(bob.address) == 1  # nothing was sent again
    assert (await outbox.sweep()).recover == ()


async def test_recovery_without_a_searchable_sent_folder_marks_unknown(
    mail: MailServer, clock: FrozenClock, transport: SmtpTransport
) -> None:
    ws = await world(mail)
    anna = await mailbox(mail, ws, "user1@alpha.test")
    bob = await mailbox(mail, ws, "user1@beta.test")
    (row,) = await plan(anna, bob, 1, status=MessageStatus.SENDING, claimed_at=NOW - dt.timedelta(hours=1))
    mail.set_fault(anna.address, Fault.AUTH_FAIL)  # IMAP login fails too

    report = await make_outbox(mail, clock, transport).recover_mailbox(anna.id)

    assert (report.sent, report.unknown, report.error) == (0, 1, "error-imap-auth")
    assert (await OutboundMessage.get(id=row.id)).status is MessageStatus.UNKNOWN


async def test_warmup_rows_of_an_earlier_day_expire_instead_of_going_out(
    mail: MailServer, clock: FrozenClock, transport: SmtpTransport
) -> None:
    ws = await world(mail)
    anna = await mailbox(mail, ws, "user1@alpha.test")
    bob = await mailbox(mail, ws, "user1@beta.test")
    await plan(anna, bob, 2, at=NOW - dt.timedelta(days=1))
    await plan(anna, bob, 1)

    report = await make_outbox(mail, clock, transport).send_mailbox(anna.id)

    assert (report.expired, report.sent) == (2, 1)
    assert await statuses() == {"cancelled": 2, "sent": 1}


async def _claimed(row_id: int) -> Claimed:
    """A row in the shape the claim returns, with its recipient (to send it behind the outbox's back)."""
    row = (await _claimed_rows([row_id]))[0]
    peer = await Mailbox.get(id=(await OutboundMessage.get(id=row_id)).peer_id)
    return dataclasses.replace(row, recipient=peer.address)


async def test_the_workers_outbox_sends_only_where_the_mail_policy_allows(mail: MailServer, clock: FrozenClock) -> None:
    """The worker builds its outbox under MAIL_ALLOWED_PORTS / MAIL_ALLOW_PRIVATE_HOSTS: with the defaults, the
    harness (loopback, high ports) is out of bounds and nothing is sent; once an admin allows it, mail flows."""
    ws = await world(mail)
    anna = await mailbox(mail, ws, "user1@alpha.test")
    bob = await mailbox(mail, ws, "user1@beta.test")
    [row] = await plan(anna, bob, 1)
    for allowed, expected in [(False, MessageStatus.QUEUED), (True, MessageStatus.SENT)]:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            encryption_keys=SecretStr(generate_key()),
            mail_allowed_ports=[mail.ports.submission, mail.ports.imap] if allowed else [587, 993],
            mail_allow_private_hosts=allowed,
        )
        ctx: dict[str, object] = {"db_ready": True, "clock": clock, "settings": settings, "vault": VAULT}
        await OutboundMessage.filter(id=row.id).update(scheduled_at=clock.now() - dt.timedelta(minutes=1))  # due
        if allowed:  # the refused mailbox waits `UNREACHED_HOLD` before it tries its server again
            clock.advance(UNREACHED_HOLD)
        await worker.startup(ctx)
        try:
            outbox = ctx["outbox"]
            assert isinstance(outbox, Outbox)
            outbox.options = dataclasses.replace(outbox.options, ssl_context=mail.ssl_context())
            await outbox.send_mailbox(anna.id)
        finally:
            await worker.shutdown(ctx)
        assert (await OutboundMessage.get(id=row.id)).status is expected
    await wait_for(lambda: mail.count("user1@beta.test") == 1)


# ------------------------------------------------- a mailbox that cannot reach its server: its fault, not the message's


def closed_port(mail: MailServer) -> int:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind((mail.host, 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("where", ["refused", "tls-mismatch"])
async def test_an_unreachable_server_costs_no_message_an_attempt_and_the_card_says_why(
    mail: MailServer, clock: FrozenClock, transport: SmtpTransport, where: str
) -> None:
    ws = await world(mail)
    if where == "refused":
        fields: dict[str, object] = {"smtp_port": closed_port(mail)}
    else:
        fields = {"smtp_tls": TlsMode.IMPLICIT}  # implicit TLS on the STARTTLS port: the settings are wrong
    anna = await mailbox(mail, ws, "user1@alpha.test", **fields)
    bob = await mailbox(mail, ws, "user1@beta.test")
    rows = await plan(anna, bob, 12)
    outbox = make_outbox(mail, clock, transport, max_attempts=2)

    report = await outbox.send_mailbox(anna.id)

    assert report.sent == 0 and report.failed == 0
    assert sum(report.outcomes.values()) == 1  # one try tells it: the job does not go on to every other row
    after = {m.id: m for m in await OutboundMessage.filter(mailbox_id=anna.id)}
    assert {after[r.id].status for r in rows} == {MessageStatus.QUEUED}
    assert {after[r.id].attempts for r in rows} == {0}  # the messages were never tried: no attempt used
    box = await Mailbox.get(id=anna.id)
    assert box.cooldown_until is not None and box.cooldown_until > NOW
    assert box.last_error_at == NOW
    _, _, key, words = latest_check(box)
    assert key == ("smtp-connect-refused" if where == "refused" else "smtp-tls-mismatch")
    for locale in ("ru", "en"):
        assert problem_key(key) != PROBLEM_OTHER and translator(locale).has(problem_key(key))
    assert "Errno" not in words and "Connect call" not in words  # the OS's English is not quoted to a manager

    for _ in range(4):  # later tries, once each cooldown is over, still use no message's attempts
        clock.advance(box.cooldown_until - clock.now() + dt.timedelta(seconds=1))
        again = await outbox.send_mailbox(anna.id)
        assert again.failed == 0 and sum(again.outcomes.values()) == 1
        box = await Mailbox.get(id=anna.id)
    assert {m.status for m in await OutboundMessage.filter(mailbox_id=anna.id)} == {MessageStatus.QUEUED}

    # while it cools down, the job claims nothing and says so
    held = await outbox.send_mailbox(anna.id)
    assert held.blocked is CapKind.STATUS and not held.outcomes


async def test_the_first_message_out_once_the_server_is_back_clears_the_cards_error(
    mail: MailServer, clock: FrozenClock, transport: SmtpTransport
) -> None:
    ws = await world(mail)
    anna = await mailbox(mail, ws, "user1@alpha.test", smtp_port=closed_port(mail))
    bob = await mailbox(mail, ws, "user1@beta.test")
    rows = await plan(anna, bob, 3)
    outbox = make_outbox(mail, clock, transport)
    assert (await outbox.send_mailbox(anna.id)).sent == 0
    box = await Mailbox.get(id=anna.id)
    assert box.last_error and box.cooldown_until is not None
    # nothing fails any more, so nothing else would say it: once the mail has waited an hour, a warning does
    oldest = min(r.scheduled_at for r in rows)
    while clock.now() - oldest < dt.timedelta(minutes=50):
        clock.advance(box.cooldown_until - clock.now() + dt.timedelta(seconds=1))
        assert (await outbox.send_mailbox(anna.id)).sent == 0
        box = await Mailbox.get(id=anna.id)
    assert not await Alert.filter(kind="smtp_unreachable").exists()  # a short outage says nothing
    while clock.now() - oldest < dt.timedelta(hours=1):
        clock.advance(box.cooldown_until - clock.now() + dt.timedelta(seconds=1))
        await outbox.send_mailbox(anna.id)
        box = await Mailbox.get(id=anna.id)
    [alert] = await Alert.filter(kind="smtp_unreachable")
    assert (alert.status, alert.subject, alert.data["mailbox"]) == (
        AlertStatus.OPEN,
        f"mailbox:{anna.id}",
        anna.address,
    )
    text = translator("en")("alert-smtp-unreachable", **{**alert.data, "reason": "x"})
    assert anna.address in text and "waited since" in text

    await Mailbox.filter(id=anna.id).update(smtp_port=mail.ports.submission)  # the server is back
    clock.advance(box.cooldown_until - clock.now() + dt.timedelta(seconds=1))
    report = await outbox.send_mailbox(anna.id)

    assert report.sent == len(rows)
    after = await OutboundMessage.filter(mailbox_id=anna.id)
    assert {(m.status, m.attempts) for m in after} == {(MessageStatus.SENT, 1)}  # each tried once, when it went
    box = await Mailbox.get(id=anna.id)
    assert (box.last_error, box.last_error_at) == ("", None)
    assert (await Alert.get(kind="smtp_unreachable")).status is AlertStatus.RESOLVED


async def test_a_refused_smtp_login_disables_the_mailbox_though_its_inbox_is_read_between_sends(
    mail: MailServer, clock: FrozenClock, transport: SmtpTransport
) -> None:
    """A wrong SMTP password with a working IMAP one: the inbox sweep (every 5 minutes) read the mailbox between
    its send jobs and every good IMAP login set the shared failure count back to 0, so the mailbox kept failing
    its sends, its mail piled up and nobody heard of it. The logins are counted apart: the SMTP one disables the
    mailbox at the limit, with its alert and its SMTP error on the card."""
    ws = await world(mail)
    anna = await mailbox(mail, ws, "user1@alpha.test")
    bob = await mailbox(mail, ws, "user1@beta.test")
    await plan(anna, bob, 5)
    mail.set_fault(anna.address, Fault.SMTP_AUTH_FAIL)
    outbox = make_outbox(mail, clock, transport)  # the workspace's threshold: 3
    read = SyncOptions(timeout_s=10, ssl_context=mail.ssl_context())

    for _ in range(4):
        if (await Mailbox.get(id=anna.id)).status is MailboxStatus.DISABLED:
            break
        await outbox.send_mailbox(anna.id)
        clock.advance(dt.timedelta(minutes=5))
        [swept] = await sweep(SYSTEM, [anna.id], clock=clock, vault=VAULT, options=read)
        assert swept.status is SyncStatus.OK  # IMAP works all along
        clock.advance(dt.timedelta(minutes=5))

    box = await Mailbox.get(id=anna.id)
    assert box.status is MailboxStatus.DISABLED and box.auth_failures == 3
    assert box.last_error.startswith("smtp-auth-failed")
    assert (await Alert.get(kind="mailbox_auth_disabled")).data["via"] == "smtp"

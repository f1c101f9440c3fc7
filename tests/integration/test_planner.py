"""The warmup planner on real PostgreSQL: rows follow the ramp inside every cap, capacity is reserved by the rows
(two planners at once never overbook), every cut is recorded and `why` reads it back."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import random
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from arq import create_pool
from arq.connections import RedisSettings
from redis.asyncio import Redis

from engine.access import Actor
from engine.clock import FrozenClock
from engine.crypto import Vault, generate_key
from engine.errors import NotFound
from engine.inbox import _answerers
from engine.mail.smtp import SmtpTransport
from engine.sending.outbox import Outbox
from engine.sending.planner import PlanOptions, RedisPlanMemo, plan_warmup, spread
from engine.sending.sentfolder import ImapSentFolder
from engine.sending.why import why
from engine.warmup import Composed, Persona
from engine.warmup.ramp import daily_target, maintenance_target
from engine.warmup.settings import WarmupSettings
from jobs.worker import create_worker
from models import CapDeferral, Domain, Mailbox, OutboundMessage, WarmupChange, Workspace
from models.enums import (
    CapKind,
    DomainStatus,
    MailboxStatus,
    MailProvider,
    MessageKind,
    MessageStatus,
    Platform,
    Role,
    TlsMode,
)
from tests.conftest import REDIS_URL

pytestmark = pytest.mark.usefixtures("orm")

MOSCOW = ZoneInfo("Europe/Moscow")
NOW = dt.datetime(2026, 11, 2, 6, 0, tzinfo=dt.UTC)  # Monday 09:00 in Moscow
STARTED = dt.date(2026, 10, 31)  # day 3 of warmup: about 4 a day (small fleets: each pair once a day)


def composer(rng: random.Random, *, sender: Persona, recipient: Persona, locale: str) -> Composed:
    return Composed(subject=f"{locale}: {sender.name} → {recipient.name}", body=f"Hi {recipient.name} #{rng.random()}")


async def fleet(
    domains: int = 3,
    per_domain: int = 3,
    *,
    settings: dict | None = None,
    domain_cap: int = 120,
    slug: str = "acme",
) -> tuple[Workspace, list[Mailbox]]:
    ws = await Workspace.create(slug=slug, name=slug.upper(), settings=settings or {}, timezone="Europe/Moscow")
    boxes = []
    for d in range(domains):
        provider = (MailProvider.YANDEX360, MailProvider.MAILRU)[d % 2]
        domain = await Domain.create(
            workspace=ws, name=f"{slug}{d}.test", status=DomainStatus.WARMING, daily_cap=domain_cap
        )
        for i in range(per_domain):
            boxes.append(
                await Mailbox.create(
                    workspace=ws,
                    domain=domain,
                    address=f"user{i}@{domain.name}",
                    display_name=f"User {d}-{i}",
                    provider=provider,
                    smtp_host="127.0.0.1",
                    smtp_port=2525,
                    smtp_tls=TlsMode.PLAIN,
                    imap_host="127.0.0.1",
                    imap_port=1143,
                    imap_tls=TlsMode.PLAIN,
                    username=f"user{i}@{domain.name}",
                    secret_enc=b"x",
                    status=MailboxStatus.WARMING,
                    warmup_started_on=STARTED,
                )
            )
    return ws, boxes


def target(box: Mailbox, settings: WarmupSettings | None = None) -> int:
    return daily_target(settings or WarmupSettings(), mailbox_id=box.id, started_on=STARTED, day=NOW.date())


async def test_a_day_follows_the_ramp_inside_the_window_to_other_domains_and_twice_plans_nothing() -> None:
    ws, boxes = await fleet()
    clock = FrozenClock(NOW)
    report = await plan_warmup(clock, PlanOptions(seed=1))
    rows = await OutboundMessage.all().values()
    per_box = Counter(r["mailbox_id"] for r in rows)
    assert per_box == {b.id: target(b) for b in boxes}
    assert report.planned == len(rows) and report.deferrals == 0
    domain_of = {b.id: b.domain_id for b in boxes}
    start = dt.datetime(2026, 11, 2, 8, 0, tzinfo=MOSCOW)
    end = dt.datetime(2026, 11, 2, 20, 0, tzinfo=MOSCOW)
    for row in rows:
        assert row["kind"] == MessageKind.WARMUP and row["status"] == MessageStatus.PLANNED
        assert domain_of[row["peer_id"]] != domain_of[row["mailbox_id"]]
        assert max(start, NOW) < row["scheduled_at"] < end
        assert row["subject"] == "" and row["body"] == ""  # written when the row comes due (the sweep)
        assert row["message_id"].endswith(".test>") and row["workspace_id"] == ws.id
    for box_id in per_box:  # random gaps, never closer than the minimum
        times = sorted(r["scheduled_at"] for r in rows if r["mailbox_id"] == box_id)
        gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
        assert min(gaps) >= 240 and len({round(g) for g in gaps}) > 1
    received = Counter(r["peer_id"] for r in rows)
    assert set(received) == {b.id for b in boxes}  # everybody receives too
    assert (await plan_warmup(clock, PlanOptions(seed=2))).planned == 0
    assert await OutboundMessage.all().count() == len(rows)


async def test_the_sweep_writes_the_text_of_warmup_rows_as_they_come_due() -> None:
    _, boxes = await fleet()
    await plan_warmup(FrozenClock(NOW), PlanOptions(seed=1))
    names = {b.id: b.display_name for b in boxes}
    due = NOW + dt.timedelta(hours=3)
    outbox = sweeper(FrozenClock(due))
    swept = await outbox.sweep()
    rows = await OutboundMessage.all().values()
    queued = [r for r in rows if r["status"] == MessageStatus.QUEUED]
    assert swept.queued == len(queued) > 0 and len(queued) < len(rows)
    for row in rows:
        if row["status"] == MessageStatus.QUEUED:  # the sender's name and language, the peer's name
            expected = f"ru: {names[row['mailbox_id']]} → {names[row['peer_id']]}"
            assert row["subject"] == expected and row["body"].startswith(f"Hi {names[row['peer_id']]} #")
        else:
            assert row["status"] == MessageStatus.PLANNED and row["scheduled_at"] > due and row["body"] == ""
    # seeded by the Message-ID: the same row always says the same, whoever sweeps it
    first = {r["id"]: r["body"] for r in queued}
    await OutboundMessage.filter(id__in=list(first)).update(status=MessageStatus.PLANNED, subject="", body="")
    await sweeper(FrozenClock(due)).sweep()
    again = {r["id"]: r["body"] for r in await OutboundMessage.filter(id__in=list(first)).values("id", "body")}
    assert again == first
    # a row that already has its text (an answer written by the inbox sync) keeps it
    late = await OutboundMessage.filter(status=MessageStatus.PLANNED).first()
    assert late is not None
    await OutboundMessage.filter(id=late.id).update(subject="Re: kept", body="kept\n")
    await sweeper(FrozenClock(NOW + dt.timedelta(days=1))).sweep()
    kept = await OutboundMessage.get(id=late.id)
    assert (kept.status, kept.subject, kept.body) == (MessageStatus.QUEUED, "Re: kept", "kept\n")


async def test_the_sweep_writes_russian_for_a_language_without_a_corpus() -> None:
    ws, _ = await fleet()
    await Workspace.filter(id=ws.id).update(locale="de")
    await plan_warmup(FrozenClock(NOW), PlanOptions(seed=1))
    real = Outbox(
        clock=FrozenClock(NOW + dt.timedelta(hours=3)),
        vault=Vault([generate_key()]),
        sender=SmtpTransport(),
        sent_folder=ImapSentFolder(),
    )
    assert (await real.sweep()).queued > 0
    bodies = await OutboundMessage.filter(status=MessageStatus.QUEUED).values_list("body", flat=True)
    assert bodies and all(any("а" <= c.lower() <= "я" for c in body) for body in bodies)


def sweeper(clock: FrozenClock) -> Outbox:
    """An outbox for its sweep alone (nothing is sent), writing texts with the test's composer."""
    return Outbox(
        clock=clock,
        vault=Vault([generate_key()]),
        sender=SmtpTransport(),
        sent_folder=ImapSentFolder(),
        compose_warmup=composer,
    )


async def test_the_domain_cap_is_shared_and_recorded_and_why_explains_it() -> None:
    ws, boxes = await fleet(domains=3, per_domain=3, domain_cap=7)
    clock = FrozenClock(NOW)
    report = await plan_warmup(clock, PlanOptions(seed=3))
    rows = await OutboundMessage.all().values("mailbox_id")
    per_box = Counter(r["mailbox_id"] for r in rows)
    for domain_id in {b.domain_id for b in boxes}:
        mine = [b for b in boxes if b.domain_id == domain_id]
        assert sum(per_box[b.id] for b in mine) == 7  # 3 mailboxes want ~4 each
        assert max(per_box[b.id] for b in mine) - min(per_box[b.id] for b in mine) <= 1
    deferrals = await CapDeferral.all().values("mailbox_id", "cap", "wanted", "allowed", "day")
    assert report.deferrals == len(deferrals) == 9
    for d in deferrals:
        box = next(b for b in boxes if b.id == d["mailbox_id"])
        assert (d["cap"], d["wanted"], d["allowed"], d["day"]) == (
            CapKind.DOMAIN,
            target(box),
            per_box[box.id],
            NOW.date(),
        )
    manager = Actor(person_id=1, platform=Platform.TELEGRAM, role=Role.MANAGER, workspace_id=ws.id)
    answer = await why(manager, "acme0.test", clock)
    assert [a.mailbox for a in answer] == sorted(b.address for b in boxes if b.domain.name == "acme0.test")
    assert {a.cap for a in answer} == {CapKind.DOMAIN}
    one = await why(manager, boxes[0].address, clock)
    assert len(one) == 1 and one[0].allowed == per_box[boxes[0].id]
    assert await why(manager, boxes[0].address, clock, day=NOW.date() - dt.timedelta(days=1)) == []
    with pytest.raises(NotFound):
        await why(manager, "nobody@acme0.test", clock)
    stranger = Actor(person_id=2, platform=Platform.TELEGRAM, role=Role.MANAGER, workspace_id=ws.id + 1)
    with pytest.raises(NotFound):
        await why(stranger, "acme0.test", clock)


async def test_graduated_mailboxes_of_a_crowded_domain_keep_its_cap_for_campaigns() -> None:
    """The brief's fleet: 20 mailboxes on a domain capped at 150 can send 7 a day each. Maintenance warmup is its
    share of those 7, not of each mailbox's nominal 40 (which would fill the domain and leave campaigns nothing)."""
    _, boxes = await fleet(domains=2, per_domain=20, domain_cap=150)
    await Mailbox.all().update(status=MailboxStatus.ACTIVE, daily_cap=40)
    report = await plan_warmup(FrozenClock(NOW), PlanOptions(seed=5))
    per_domain = Counter(r["mailbox__domain_id"] for r in await OutboundMessage.all().values("mailbox__domain_id"))
    settings = WarmupSettings()
    for domain_id, planned in per_domain.items():
        wanted = [
            maintenance_target(settings, mailbox_id=b.id, day=NOW.date(), daily_cap=150 // 20)
            for b in boxes
            if b.domain_id == domain_id
        ]
        assert planned == sum(wanted) <= 40  # ~1–2 each: 110 or more of the 150 left for campaigns
    assert report.deferrals == 0 and len(per_domain) == 2


async def test_the_inbox_budgets_warmup_answers_on_the_same_maintenance_base() -> None:
    _, crowded = await fleet(domains=1, per_domain=20, domain_cap=150, slug="crowd")
    _, roomy = await fleet(domains=1, per_domain=3, domain_cap=150, slug="roomy")
    await Mailbox.all().update(status=MailboxStatus.ACTIVE, daily_cap=40)
    answerers = {a.id: a.maintenance_cap for a in await _answerers([crowded[0].id, roomy[0].id], NOW)}
    assert answerers == {crowded[0].id: 150 // 20, roomy[0].id: 40}


async def test_raising_the_cap_plans_the_rest_and_clears_the_stale_deferral() -> None:
    _, boxes = await fleet(domains=3, per_domain=3, domain_cap=6)
    clock = FrozenClock(NOW)
    await plan_warmup(clock, PlanOptions(seed=4))
    assert await CapDeferral.all().count() == 9
    await Domain.all().update(daily_cap=120)
    clock.advance(dt.timedelta(minutes=10))
    await plan_warmup(clock, PlanOptions(seed=5))
    per_box = Counter(r["mailbox_id"] for r in await OutboundMessage.all().values("mailbox_id"))
    assert per_box == {b.id: target(b) for b in boxes}
    assert await CapDeferral.all().count() == 0


async def test_paused_mailboxes_plan_nothing_receive_nothing_and_say_why() -> None:
    _ws, boxes = await fleet(domains=2, per_domain=2)
    paused, warmup_paused = boxes[0], boxes[2]
    await Mailbox.filter(id=paused.id).update(status=MailboxStatus.PAUSED)
    await Mailbox.filter(id=warmup_paused.id).update(warmup_paused_at=NOW)
    await plan_warmup(FrozenClock(NOW), PlanOptions(seed=6))
    rows = await OutboundMessage.all().values("mailbox_id", "peer_id")
    involved = {r["mailbox_id"] for r in rows} | {r["peer_id"] for r in rows}
    assert involved == {boxes[1].id, boxes[3].id}
    reasons = {
        d["mailbox_id"]: (d["cap"], d["allowed"], d["detail"]["reason"])
        for d in await CapDeferral.filter(cap=CapKind.STATUS).values("mailbox_id", "cap", "allowed", "detail")
    }
    assert reasons == {
        paused.id: (CapKind.STATUS, 0, "paused"),
        warmup_paused.id: (CapKind.STATUS, 0, "warmup_paused"),
    }
    # the two left can only write to each other once a day: the rest is held back for want of peers
    peers = await CapDeferral.filter(cap=CapKind.PEERS).values_list("mailbox_id", "allowed")
    assert sorted(peers) == [(boxes[1].id, 1), (boxes[3].id, 1)]


async def test_mail_already_planned_counts_toward_the_mailbox_cap_and_a_workspace_cap_binds() -> None:
    ws, boxes = await fleet(domains=3, per_domain=3, settings={"daily_cap": 9})
    first = boxes[0]
    await Mailbox.filter(id=first.id).update(daily_cap=target(first) + 3)
    for n in range(5):  # campaign mail already reserved today
        await OutboundMessage.create(
            kind=MessageKind.CAMPAIGN,
            workspace=ws,
            mailbox=first,
            message_id=f"<c{n}@acme0.test>",
            scheduled_at=NOW + dt.timedelta(hours=n + 1),
        )
    await plan_warmup(FrozenClock(NOW), PlanOptions(seed=7))
    warm = Counter(r["mailbox_id"] for r in await OutboundMessage.filter(kind=MessageKind.WARMUP).values("mailbox_id"))
    assert sum(warm.values()) == 9 - 5  # the workspace cap counts the campaign mail too
    caps = {(d["mailbox_id"], d["cap"]) for d in await CapDeferral.all().values("mailbox_id", "cap")}
    assert (first.id, CapKind.MAILBOX) in caps
    assert {cap for _, cap in caps} <= {CapKind.MAILBOX, CapKind.WORKSPACE}
    assert sum(1 for _, cap in caps if cap is CapKind.WORKSPACE) >= 3


async def test_two_planners_at_once_never_overbook() -> None:
    _, boxes = await fleet(domains=3, per_domain=4, domain_cap=10)
    clock = FrozenClock(NOW)
    reports = await asyncio.gather(*(plan_warmup(clock, PlanOptions(seed=s)) for s in range(4)))
    rows = await OutboundMessage.all().values("mailbox_id")
    per_box = Counter(r["mailbox_id"] for r in rows)
    assert sum(r.planned for r in reports) == len(rows)
    assert sorted(r.planned for r in reports)[:3] == [0, 0, 0]  # one planned, the others found it done
    for domain_id in {b.domain_id for b in boxes}:
        assert sum(per_box[b.id] for b in boxes if b.domain_id == domain_id) == 10
    assert all(per_box[b.id] <= target(b) for b in boxes)


async def test_late_in_the_day_the_window_limits_and_weekends_rest_when_asked() -> None:
    _, _boxes = await fleet(domains=3, per_domain=3, settings={"warmup": {"weekdays_only": True}})
    late = dt.datetime(2026, 11, 2, 16, 54, tzinfo=dt.UTC)  # 19:54 in Moscow: 6 minutes of window left
    await plan_warmup(FrozenClock(late), PlanOptions(seed=8))
    per_box = Counter(r["mailbox_id"] for r in await OutboundMessage.all().values("mailbox_id"))
    assert set(per_box.values()) == {1} and len(per_box) == 9  # (6 min - 1 min lead) / 4 min
    assert set(await CapDeferral.all().values_list("cap", flat=True)) == {CapKind.WINDOW}
    saturday = dt.datetime(2026, 11, 7, 6, 0, tzinfo=dt.UTC)
    assert (await plan_warmup(FrozenClock(saturday), PlanOptions(seed=9))).planned == 0


async def test_with_a_memo_unchanged_workspaces_are_skipped_and_every_change_is_planned_again(redis: Redis) -> None:
    acme, acme_boxes = await fleet(domains=3, per_domain=3, domain_cap=6)
    _, beta_boxes = await fleet(domains=3, per_domain=3, slug="beta")
    memo = RedisPlanMemo(redis)
    clock = FrozenClock(NOW)

    async def tick(seed: int) -> tuple[int, int]:
        clock.advance(dt.timedelta(minutes=1))
        report = await plan_warmup(clock, PlanOptions(seed=seed), memo=memo)
        return report.skipped, report.planned

    first = await plan_warmup(clock, PlanOptions(seed=1), memo=memo)
    assert (first.skipped, first.deferrals) == (0, 9) and first.planned > 0
    assert await tick(2) == (2, 0)  # nothing changed: nothing read, nothing written
    assert await CapDeferral.all().count() == 9
    await Domain.filter(workspace=acme).update(daily_cap=120)  # a raised cap: acme is planned again
    skipped, planned = await tick(3)
    assert skipped == 1 and planned > 0 and await CapDeferral.all().count() == 0
    assert Counter(await OutboundMessage.all().values_list("mailbox_id", flat=True)) == {
        b.id: target(b) for b in [*acme_boxes, *beta_boxes]
    }
    assert await tick(4) == (2, 0)
    cancelled = await OutboundMessage.filter(mailbox_id=beta_boxes[1].id).limit(2).values_list("id", flat=True)
    await OutboundMessage.filter(id__in=cancelled).update(status=MessageStatus.CANCELLED)
    assert await tick(5) == (1, 2)  # two cancelled sends: planned again
    await Mailbox.filter(id=beta_boxes[0].id).update(status=MailboxStatus.PAUSED)
    await OutboundMessage.filter(mailbox_id=beta_boxes[0].id).update(status=MessageStatus.CANCELLED)
    assert await tick(6) == (1, 0)
    reasons = await CapDeferral.filter(cap=CapKind.STATUS).values_list("mailbox_id", "detail")
    assert [(i, d["reason"]) for i, d in reasons] == [(beta_boxes[0].id, "paused")]
    await Mailbox.filter(id=acme_boxes[0].id).update(daily_cap=1)  # a lowered cap is read again too
    assert await tick(7) == (1, 0)
    await Mailbox.filter(id=acme_boxes[1].id).update(cooldown_until=NOW + dt.timedelta(minutes=30))
    assert await tick(8) == (1, 0)
    clock.advance(dt.timedelta(minutes=30))  # the cooldown ends: time alone changes the state
    assert (await tick(9))[0] == 1
    clock.advance(dt.timedelta(days=1))  # a new day plans everything
    assert (await tick(10))[0] == 0


async def test_with_a_memo_a_workspace_short_of_peers_is_never_skipped(redis: Redis) -> None:
    await fleet(domains=2, per_domain=1)  # two mailboxes: one email to each other a day, the rest wants peers
    memo = RedisPlanMemo(redis)
    clock = FrozenClock(NOW)
    assert (await plan_warmup(clock, PlanOptions(seed=1), memo=memo)).planned == 2
    assert await CapDeferral.filter(cap=CapKind.PEERS).count() == 2
    clock.advance(dt.timedelta(minutes=1))
    again = await plan_warmup(clock, PlanOptions(seed=2), memo=memo)
    assert (again.skipped, again.planned, again.deferrals) == (0, 0, 0)  # looked again, nothing new, nothing rewritten


async def test_with_a_memo_messages_changed_by_others_are_planned_again_and_its_own_are_not_logged(
    redis: Redis,
) -> None:
    acme, acme_boxes = await fleet(domains=3, per_domain=3, domain_cap=6)
    await fleet(domains=3, per_domain=3, slug="beta")
    memo = RedisPlanMemo(redis)
    clock = FrozenClock(NOW)

    async def tick(seed: int, *, with_memo: bool = True) -> tuple[int, int]:
        clock.advance(dt.timedelta(minutes=1))
        report = await plan_warmup(clock, PlanOptions(seed=seed), memo=memo if with_memo else None)
        return report.skipped, report.planned

    assert (await plan_warmup(clock, PlanOptions(seed=1), memo=memo)).planned > 0
    assert await WarmupChange.all().count() == 0  # its own rows: the memo knows them
    assert await tick(2) == (2, 0)
    first = acme_boxes[0]
    reply = await OutboundMessage.create(  # a row somebody else adds (a warmup reply): counted, so looked at again
        kind=MessageKind.WARMUP,
        workspace=acme,
        mailbox=first,
        peer=acme_boxes[3],
        message_id="<reply@acme0.test>",
        scheduled_at=NOW + dt.timedelta(hours=2),
    )
    assert await WarmupChange.filter(workspace_id=acme.id).count() == 1
    assert await tick(3) == (1, 0)  # the domain is full: nothing more to plan
    assert await WarmupChange.all().count() == 0  # the rows it read are gone once it planned the workspace
    assert await tick(4) == (2, 0)
    await OutboundMessage.filter(id=reply.id).delete()
    assert await tick(5) == (1, 0)  # the domain is full again (it planned its cap)
    planned = await OutboundMessage.filter(mailbox_id=first.id).first()
    assert planned is not None
    await OutboundMessage.filter(id=planned.id).delete()  # now the domain has room for one
    assert await tick(6) == (1, 1)
    moved = await OutboundMessage.filter(mailbox_id=first.id).first()
    assert moved is not None
    await OutboundMessage.filter(id=moved.id).update(scheduled_at=NOW + dt.timedelta(days=1))  # off today
    assert await tick(7) == (1, 1)
    assert await tick(8) == (2, 0)
    await OutboundMessage.filter(id=moved.id).delete()  # tomorrow's row: today is full, nothing to plan
    await OutboundMessage.filter(id=planned.id).delete()
    latest = await OutboundMessage.filter(mailbox_id=first.id).order_by("-id").first()
    assert latest is not None
    await OutboundMessage.filter(id=latest.id).delete()
    assert await tick(9, with_memo=False) == (0, 1)  # without a memo, its own rows are logged
    assert await WarmupChange.filter(workspace_id=acme.id).count() > 0
    assert await tick(10) == (1, 0)
    assert await tick(11) == (2, 0)


async def test_a_deferral_is_recorded_on_its_own_day_while_another_workspace_is_still_on_the_day_before() -> None:
    steady = {"warmup": {"variance": 0, "start_per_day": 5, "step_per_day": 5, "target_per_day": 10}}
    _, boxes = await fleet(domains=4, per_domain=3, domain_cap=6, settings=steady)  # 10 wanted, 2 allowed a day
    west, _ = await fleet(domains=2, per_domain=2, slug="west")
    await Workspace.filter(id=west.id).update(timezone="America/Los_Angeles")
    await plan_warmup(FrozenClock(NOW), PlanOptions(seed=1))
    tomorrow = NOW + dt.timedelta(days=1)  # 09:00 on the 3rd in Moscow, still the 2nd in Los Angeles
    await plan_warmup(FrozenClock(tomorrow), PlanOptions(seed=2))
    for day in (NOW.date(), tomorrow.date()):
        rows = await CapDeferral.filter(mailbox_id__in=[b.id for b in boxes], day=day).values_list(
            "cap", "wanted", "allowed"
        )
        assert sorted(rows) == [(CapKind.DOMAIN, 10, 2)] * len(boxes)


def test_spread_keeps_the_minimum_gap_inside_the_span() -> None:
    rng = random.Random(1)
    start = NOW
    end = NOW + dt.timedelta(hours=2)
    times = spread(20, start, end, min_gap_s=300, rng=rng)
    assert len(times) == 20 and start <= times[0] and times[-1] < end
    assert all((b - a).total_seconds() >= 300 for a, b in itertools.pairwise(times))
    assert spread(0, start, end, min_gap_s=300, rng=rng) == []


async def test_the_worker_job_plans(redis: Redis, database_url: str) -> None:
    _, boxes = await fleet(domains=3, per_domain=2)
    pool = await create_pool(RedisSettings.from_dsn(REDIS_URL))
    await pool.enqueue_job("plan_warmup", _job_id="plan-1")
    ctx = {"database_url": database_url, "db_ready": True, "clock": FrozenClock(NOW)}
    worker = create_worker(REDIS_URL, ctx=ctx, burst=True, crons=False)
    try:
        await worker.main()
    finally:
        await worker.close()
        await pool.aclose()
    assert worker.jobs_complete == 1 and worker.jobs_failed == 0
    per_box = Counter(r["mailbox_id"] for r in await OutboundMessage.all().values("mailbox_id"))
    assert per_box == {b.id: target(b) for b in boxes}


async def test_a_seeded_plan_writes_the_same_message_ids_and_an_unseeded_one_new_ones() -> None:
    """A seed reproduces the whole plan, Message-IDs included: a peer's reaction to a warmup email (flag, answer,
    thread length) is drawn from its Message-ID, so a seeded run (the demo) tells the same story only if those
    repeat too. Without a seed they are random."""
    await fleet()
    clock = FrozenClock(NOW)

    async def plan(seed: int | None) -> list[tuple[int, int, dt.datetime, str]]:
        await plan_warmup(clock, PlanOptions(seed=seed))
        rows = (
            await OutboundMessage.all()
            .order_by("id")
            .values_list("mailbox_id", "peer_id", "scheduled_at", "message_id")
        )
        await OutboundMessage.all().delete()
        return rows  # type: ignore[return-value]

    first, again, unseeded = await plan(3), await plan(3), await plan(None)
    assert first and first == again
    assert len({r[3] for r in first}) == len(first) and all(r[3].endswith(".test>") for r in first)
    assert not {r[3] for r in first} & {r[3] for r in unseeded}

"""The campaign planner on real PostgreSQL: due enrollments become planned rows over the mailbox group inside every
cap and window, follow-ups stick to their mailbox and thread, every cut is recorded, two planners never overbook."""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import itertools
import re
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from arq import create_pool
from arq.connections import RedisSettings
from redis.asyncio import Redis
from tortoise import connections
from tortoise.transactions import in_transaction

from engine.access import Actor
from engine.campaigns import planner, schedule
from engine.campaigns.planner import HORIZON_S, CampaignPlanOptions, campaign_memo, plan_campaigns
from engine.clock import FrozenClock, zone_named
from engine.sending.why import why
from jobs.worker import WorkerSettings, create_worker
from models import (
    Campaign,
    CampaignDeferral,
    CapDeferral,
    Domain,
    Enrollment,
    Lead,
    Mailbox,
    OutboundMessage,
    PlanChange,
    Step,
    Suppression,
    Workspace,
)
from models.enums import (
    CampaignStatus,
    CapKind,
    DomainStatus,
    EnrollmentState,
    MailboxStatus,
    MailProvider,
    MessageKind,
    MessageStatus,
    Platform,
    Role,
    SuppressionReason,
    TlsMode,
)
from tests.conftest import REDIS_URL

pytestmark = pytest.mark.usefixtures("orm")

MOSCOW = ZoneInfo("Europe/Moscow")
NOW = dt.datetime(2026, 11, 2, 6, 0, tzinfo=dt.UTC)  # Monday 09:00 in Moscow
LONG_AGO = dt.date(2026, 6, 1)  # warmup started months ago: graduated, campaign share fully unlocked (80 %)


def opts(seed: int = 1) -> CampaignPlanOptions:
    return CampaignPlanOptions(seed=seed)


async def workspace(slug: str = "acme", settings: dict | None = None) -> Workspace:
    return await Workspace.create(slug=slug, name=slug.upper(), settings=settings or {}, timezone="Europe/Moscow")


async def mailboxes(
    ws: Workspace,
    domains: int = 3,
    per_domain: int = 2,
    *,
    domain_cap: int = 120,
    daily_cap: int = 40,
    status: MailboxStatus = MailboxStatus.ACTIVE,
    domain_status: DomainStatus = DomainStatus.ACTIVE,
    prefix: str = "d",
) -> list[Mailbox]:
    boxes = []
    for d in range(domains):
        domain = await Domain.create(
            workspace=ws, name=f"{prefix}{d}.{ws.slug}.test", status=domain_status, daily_cap=domain_cap
        )
        for i in range(per_domain):
            boxes.append(
                await Mailbox.create(
                    workspace=ws,
                    domain=domain,
                    address=f"user{i}@{domain.name}",
                    provider=MailProvider.YANDEX360,
                    smtp_host="127.0.0.1",
                    smtp_port=2525,
                    smtp_tls=TlsMode.PLAIN,
                    imap_host="127.0.0.1",
                    imap_port=1143,
                    imap_tls=TlsMode.PLAIN,
                    username=f"user{i}@{domain.name}",
                    secret_enc=b"x",
                    status=status,
                    warmup_started_on=LONG_AGO,
                    daily_cap=daily_cap,
                )
            )
    return boxes


async def campaign(
    ws: Workspace,
    boxes: list[Mailbox],
    *,
    name: str = "autumn",
    steps: int = 3,
    business_days: bool = False,
    weights: tuple[int, ...] = (70, 30),
    **fields: object,
) -> Campaign:
    made = await Campaign.create(workspace=ws, name=name, status=CampaignStatus.RUNNING, **fields)
    for position in range(1, steps + 1):
        await Step.create(
            campaign=made,
            position=position,
            delay_days=0 if position == 1 else 2,
            business_days=business_days,
            variants=[{"subject": f"S{position}{v}", "body": "B", "weight": w} for v, w in enumerate(weights)],
        )
    if boxes:
        await made.mailboxes.add(*boxes)
    return made


async def leads(ws: Workspace, made: Campaign, count: int, *, zone: str = "", start: int = 0) -> list[Enrollment]:
    created = await Lead.bulk_create(
        [
            Lead(workspace=ws, email=f"lead{start + i}@client{(start + i) % 7}.example", timezone=zone)
            for i in range(count)
        ]
    )
    del created
    found = await Lead.filter(
        workspace=ws, email__in=[f"lead{start + i}@client{(start + i) % 7}.example" for i in range(count)]
    )
    await Enrollment.bulk_create(
        [Enrollment(campaign=made, lead=lead, next_due_at=NOW - dt.timedelta(hours=1)) for lead in found]
    )
    return await Enrollment.filter(campaign=made, lead_id__in=[lead.id for lead in found]).order_by("id")


def window_of(made: Campaign) -> schedule.Window:
    return schedule.Window(made.window_start, made.window_end, made.weekdays)


async def rows() -> list[dict]:
    return await OutboundMessage.all().order_by("id").values()


async def test_first_steps_spread_evenly_over_the_group_inside_the_window_and_twice_plans_nothing() -> None:
    ws = await workspace()
    boxes = await mailboxes(ws)
    made = await campaign(ws, boxes)
    enrolled = await leads(ws, made, 60)
    report = await plan_campaigns(FrozenClock(NOW), opts())
    found = await rows()
    assert report.planned == len(found) == 60 and report.waiting == 0
    assert Counter(r["mailbox_id"] for r in found) == {b.id: 10 for b in boxes}  # the least-loaded first: even
    domain_of = {b.id: b.address.partition("@")[2] for b in boxes}
    for row in found:
        assert row["kind"] == MessageKind.CAMPAIGN and row["status"] == MessageStatus.PLANNED
        assert row["campaign_id"] == made.id and row["step_position"] == 1 and row["subject"] == ""
        assert row["message_id"].startswith("<") and row["message_id"].endswith(f"@{domain_of[row['mailbox_id']]}>")
        assert row["in_reply_to"] == "" and row["references"] == ""
        assert row["scheduled_at"] > NOW and schedule.inside(window_of(made), MOSCOW, row["scheduled_at"])
    for box in boxes:  # random gaps, never closer than the minimum
        times = sorted(r["scheduled_at"] for r in found if r["mailbox_id"] == box.id)
        gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
        assert min(gaps) >= 240 and len({round(g) for g in gaps}) > 1
    stored = {e["id"]: e["variant"] for e in await Enrollment.all().values("id", "variant")}
    assert {r["enrollment_id"]: r["variant"] for r in found} == stored  # the drawn variant is kept for the lead
    assert set(stored.values()) == {0, 1} and Counter(stored.values())[0] > Counter(stored.values())[1]
    assert {r["lead_id"] for r in found} == {e.lead_id for e in enrolled}
    again = await plan_campaigns(FrozenClock(NOW + dt.timedelta(minutes=10)), opts(2))
    assert again.planned == 0 and await OutboundMessage.all().count() == 60
    assert await CampaignDeferral.all().count() == 0 and await CapDeferral.all().count() == 0


async def test_the_campaign_daily_cap_and_per_mailbox_cap_hold_and_are_recorded() -> None:
    ws = await workspace()
    boxes = await mailboxes(ws)
    small = await campaign(ws, boxes, name="small", daily_cap=20)
    narrow = await campaign(ws, boxes[:2], name="narrow", per_mailbox_cap=5)
    await leads(ws, small, 50)
    await leads(ws, narrow, 50, start=100)
    report = await plan_campaigns(FrozenClock(NOW), opts())
    per = Counter((r["campaign_id"], r["mailbox_id"]) for r in await rows())
    assert sum(n for (c, _), n in per.items() if c == small.id) == 20
    assert {b: n for (c, b), n in per.items() if c == narrow.id} == {boxes[0].id: 5, boxes[1].id: 5}
    assert report.planned == 30
    deferrals = {
        (d["campaign_id"], d["cap"]): d
        for d in await CampaignDeferral.all().values("campaign_id", "cap", "wanted", "allowed", "detail")
    }
    cap = deferrals[(small.id, CapKind.CAMPAIGN)]
    assert (
        cap["allowed"] == 20 and cap["wanted"] > 20 and cap["detail"]["reasons"] == {"daily_cap": cap["detail"]["held"]}
    )
    group = deferrals[(narrow.id, CapKind.CAMPAIGN)]
    assert group["allowed"] == 10 and group["detail"]["reasons"] == {"group_full": group["detail"]["held"]}
    by_box = {d["mailbox_id"]: d for d in await CapDeferral.filter(source="campaign").values()}
    assert set(by_box) == {boxes[0].id, boxes[1].id}
    assert all(d["cap"] == CapKind.CAMPAIGN and narrow.id in d["detail"]["campaigns"] for d in by_box.values())
    waiting = sorted(d["wanted"] - d["allowed"] for d in by_box.values())  # the held sends, split evenly
    assert sum(waiting) == group["detail"]["held"] and waiting[-1] - waiting[0] <= 1
    await Campaign.filter(id=small.id).update(daily_cap=25)  # a raised cap: the rest is planned, the row goes
    second = await plan_campaigns(FrozenClock(NOW + dt.timedelta(minutes=10)), opts(2))
    assert second.planned == 5
    assert not await CampaignDeferral.filter(campaign_id=small.id, cap=CapKind.CAMPAIGN, allowed=20).exists()


async def test_the_domain_cap_is_shared_with_warmup_already_planned() -> None:
    ws = await workspace()
    boxes = await mailboxes(ws, domains=1, per_domain=6, domain_cap=150)
    made = await campaign(ws, boxes, per_mailbox_cap=50, daily_cap=1000)
    await leads(ws, made, 300)
    for n in range(50):  # warmup of today, already planned by the warmup planner
        await OutboundMessage.create(
            kind=MessageKind.WARMUP,
            workspace=ws,
            mailbox=boxes[n % 6],
            peer=boxes[(n + 1) % 6],
            message_id=f"<w{n}@x>",
            scheduled_at=NOW + dt.timedelta(minutes=n + 5),
        )
    report = await plan_campaigns(FrozenClock(NOW), opts())
    assert report.planned == 100  # 150 for the domain, 50 taken by warmup
    per_box = Counter(r["mailbox_id"] for r in await rows())
    assert sum(per_box.values()) == 150
    planned = Counter(r["mailbox_id"] for r in await OutboundMessage.filter(kind=MessageKind.CAMPAIGN).values())
    assert max(planned.values()) - min(planned.values()) <= 1
    caps = set(await CapDeferral.filter(source="campaign").values_list("cap", flat=True))
    assert caps == {CapKind.DOMAIN}
    assert await CampaignDeferral.filter(campaign_id=made.id, cap=CapKind.DOMAIN).exists()


async def test_the_mailbox_cap_the_campaign_share_after_graduation_and_the_workspace_cap() -> None:
    ws = await workspace(settings={"daily_cap": 25})
    boxes = await mailboxes(ws, domains=2, per_domain=2, daily_cap=20)
    made = await campaign(ws, boxes, per_mailbox_cap=50, daily_cap=1000)
    await leads(ws, made, 200)
    fresh = boxes[0]  # graduated last Monday: week 2 → 50 % of 20 = 10 at most
    await Mailbox.filter(id=fresh.id).update(graduated_at=NOW - dt.timedelta(days=7))
    await plan_campaigns(FrozenClock(NOW), opts())
    per_box = Counter(r["mailbox_id"] for r in await rows())
    assert sum(per_box.values()) == 25  # the workspace's daily cap over every mailbox
    await Workspace.filter(id=ws.id).update(settings={})
    await plan_campaigns(FrozenClock(NOW + dt.timedelta(minutes=10)), opts(2))
    per_box = Counter(r["mailbox_id"] for r in await rows())
    assert per_box[fresh.id] == 10  # campaign share in its second week after graduation
    assert all(per_box[b.id] == 16 for b in boxes[1:])  # 80 % of 20: the maintenance warmup keeps the rest
    caps = {d["mailbox_id"]: d["cap"] for d in await CapDeferral.filter(source="campaign").values()}
    assert set(caps.values()) == {CapKind.CAMPAIGN}


async def test_the_mailbox_own_cap_counts_warmup_and_the_health_factor_cuts() -> None:
    ws = await workspace()
    busy, sick, fine = await mailboxes(ws, domains=1, per_domain=3, daily_cap=20)
    made = await campaign(ws, [busy, sick, fine], per_mailbox_cap=50, daily_cap=1000)
    await leads(ws, made, 100)
    for n in range(10):  # warmup already has 10 of the busy mailbox's 20 today
        await OutboundMessage.create(
            kind=MessageKind.WARMUP,
            workspace=ws,
            mailbox=busy,
            peer=fine,
            message_id=f"<w{n}@x>",
            scheduled_at=NOW + dt.timedelta(minutes=n + 5),
        )
    await plan_campaigns(FrozenClock(NOW), CampaignPlanOptions(seed=1, health={sick.id: 0.25}))
    per_box = Counter(r["mailbox_id"] for r in await OutboundMessage.filter(kind=MessageKind.CAMPAIGN).values())
    assert per_box == {busy.id: 10, sick.id: 5, fine.id: 16}  # own cap 20 - 10; 25 % of 20; 80 % share of 20
    caps = {d["mailbox_id"]: d["cap"] for d in await CapDeferral.filter(source="campaign").values()}
    assert caps == {busy.id: CapKind.MAILBOX, sick.id: CapKind.HEALTH, fine.id: CapKind.CAMPAIGN}
    manager = Actor(person_id=1, platform=Platform.TELEGRAM, role=Role.MANAGER, workspace_id=ws.id)
    (answer,) = await why(manager, busy.address, FrozenClock(NOW))  # /why reads the campaign planner's cuts
    assert (answer.cap, answer.allowed, answer.detail["campaigns"]) == (CapKind.MAILBOX, 10, [made.id])


async def test_only_graduated_ready_mailboxes_send_and_a_group_with_none_is_recorded() -> None:
    ws = await workspace()
    ready = await mailboxes(ws, domains=1, per_domain=1, prefix="ok")
    warming = await mailboxes(ws, domains=1, per_domain=1, status=MailboxStatus.WARMING, prefix="warm")
    paused = await mailboxes(ws, domains=1, per_domain=1, status=MailboxStatus.PAUSED, prefix="pause")
    cooling = await mailboxes(ws, domains=1, per_domain=1, domain_status=DomainStatus.COOLING, prefix="cool")
    made = await campaign(ws, [*ready, *warming, *paused])
    await made.domains.add(await Domain.get(id=cooling[0].domain_id))  # the group by domain
    await leads(ws, made, 20)
    nobody = await campaign(ws, [*warming, *paused], name="nobody")
    await leads(ws, nobody, 5, start=50)
    await plan_campaigns(FrozenClock(NOW), opts())
    assert {r["mailbox_id"] for r in await rows()} == {ready[0].id}
    none = await CampaignDeferral.get(campaign_id=nobody.id)
    assert (none.cap, none.detail["reasons"]) == (CapKind.STATUS, {"no_ready_mailbox": 5})


async def test_nothing_outside_the_window_weekdays_and_late_in_the_day() -> None:
    ws = await workspace()
    boxes = await mailboxes(ws, domains=1, per_domain=2)
    made = await campaign(ws, boxes)
    await leads(ws, made, 40)
    saturday = dt.datetime(2026, 11, 7, 8, 0, tzinfo=dt.UTC)
    assert (await plan_campaigns(FrozenClock(saturday), opts())).planned == 0
    held = await CampaignDeferral.get(campaign_id=made.id)
    assert (held.cap, held.detail["reasons"], held.day) == (CapKind.WINDOW, {"weekday": 40}, saturday.date())
    late = dt.datetime(2026, 11, 2, 14, 50, tzinfo=dt.UTC)  # 17:50 in Moscow: 10 minutes of window left
    await plan_campaigns(FrozenClock(late), opts(2))
    found = await rows()
    assert Counter(r["mailbox_id"] for r in found) == {b.id: 2 for b in boxes}  # (10 min - 1 min lead) / 4 min
    assert all(schedule.inside(window_of(made), MOSCOW, r["scheduled_at"]) for r in found)
    assert await CampaignDeferral.filter(campaign_id=made.id, cap=CapKind.WINDOW, day=late.date()).exists()
    evening = dt.datetime(2026, 11, 2, 16, 0, tzinfo=dt.UTC)  # 19:00: the window is over
    assert (await plan_campaigns(FrozenClock(evening), opts(3))).planned == 0
    held = await CampaignDeferral.get(campaign_id=made.id, day=evening.date())
    assert held.detail["reasons"] == {"closed": 36}


async def test_with_the_lead_time_zone_each_send_falls_in_the_leads_own_window() -> None:
    ws = await workspace()
    boxes = await mailboxes(ws, domains=2, per_domain=2)
    made = await campaign(ws, boxes, lead_timezone=True, timezone="Europe/Moscow")
    await leads(ws, made, 10, zone="Asia/Vladivostok")
    await leads(ws, made, 10, zone="America/New_York", start=100)
    await leads(ws, made, 10, zone="Not/AZone", start=200)  # invalid: the campaign's zone
    clock = FrozenClock(dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC))  # 20:00 Vladivostok, 13:00 Moscow, 05:00 NY
    await plan_campaigns(clock, opts())
    zone_of = {lead.id: lead.timezone for lead in await Lead.all()}
    found = await rows()
    by_zone = Counter(zone_of[r["lead_id"]] for r in found)
    assert by_zone == {"America/New_York": 10, "Not/AZone": 10}  # Vladivostok's window is over today
    day_end = dt.datetime(2026, 11, 3, 0, 0, tzinfo=MOSCOW)
    for row in found:
        zone = zone_named(zone_of[row["lead_id"]]) or MOSCOW
        assert schedule.inside(window_of(made), zone, row["scheduled_at"])
        assert row["scheduled_at"] < day_end  # inside the workspace's day: its caps count it today
    held = await CampaignDeferral.get(campaign_id=made.id)
    assert (held.cap, held.detail["reasons"]) == (CapKind.WINDOW, {"closed": 10})
    clock.set(dt.datetime(2026, 11, 2, 21, 30, tzinfo=dt.UTC))  # Tuesday: 07:30 in Vladivostok
    await plan_campaigns(clock, opts(2))
    late = [r for r in await rows() if zone_of[r["lead_id"]] == "Asia/Vladivostok"]
    assert len(late) == 10
    assert all(schedule.inside(window_of(made), ZoneInfo("Asia/Vladivostok"), r["scheduled_at"]) for r in late)


async def test_follow_ups_stick_to_their_mailbox_in_the_thread_and_wait_when_it_is_full() -> None:
    ws = await workspace()
    boxes = await mailboxes(ws, domains=1, per_domain=2)
    made = await campaign(ws, boxes, per_mailbox_cap=3)
    enrolled = await leads(ws, made, 5)
    sticky = boxes[1]
    for n, enrollment in enumerate(enrolled):  # step 1 went out last week from the second mailbox
        first = f"<first{n}@{sticky.address.partition('@')[2]}>"
        await OutboundMessage.create(
            kind=MessageKind.CAMPAIGN,
            workspace=ws,
            mailbox=sticky,
            campaign=made,
            enrollment=enrollment,
            lead_id=enrollment.lead_id,
            step_position=1,
            variant=1,
            message_id=first,
            status=MessageStatus.SENT,
            scheduled_at=NOW - dt.timedelta(days=7),
            sent_at=NOW - dt.timedelta(days=7),
        )
        await Enrollment.filter(id=enrollment.id).update(
            current_step=2, mailbox_id=sticky.id, thread_message_id=first, variant=1
        )
    report = await plan_campaigns(FrozenClock(NOW), opts())
    follow = await OutboundMessage.filter(step_position=2).order_by("enrollment_id").values()
    assert report.planned == 3 and len(follow) == 3  # the per-mailbox cap of 3: two wait
    for row in follow:
        assert row["mailbox_id"] == sticky.id and row["variant"] == 1
        first = await OutboundMessage.get(enrollment_id=row["enrollment_id"], step_position=1)
        assert row["in_reply_to"] == first.message_id and row["references"] == first.message_id
    held = await CampaignDeferral.get(campaign_id=made.id)
    assert (held.cap, held.detail["reasons"]) == (CapKind.CAMPAIGN, {"sticky_full": 2})
    box = await CapDeferral.get(mailbox_id=sticky.id, source="campaign")
    assert (box.cap, box.wanted, box.allowed, box.detail["campaigns"]) == (CapKind.CAMPAIGN, 5, 3, [made.id])
    assert not await OutboundMessage.filter(mailbox_id=boxes[0].id).exists()  # never from another mailbox


async def test_follow_ups_whose_mailbox_left_the_group_wait_and_are_all_counted() -> None:
    """The group changed after step 1 (`/campaign_group`): the follow-ups of the mailbox that left are held and
    named (one of them read, standing for all), the rest of the group still sends first steps."""
    ws = await workspace()
    boxes = await mailboxes(ws, domains=1, per_domain=3)
    made = await campaign(ws, boxes[:2], steps=2)
    enrolled = await leads(ws, made, 9)
    for enrollment in enrolled[:7]:  # step 1 went out from the third mailbox, in the group back then
        await Enrollment.filter(id=enrollment.id).update(current_step=2, mailbox_id=boxes[2].id)
    report = await plan_campaigns(FrozenClock(NOW), opts())
    assert report.planned == 2 and report.waiting == 7
    assert not await OutboundMessage.filter(mailbox_id=boxes[2].id).exists()
    held = await CampaignDeferral.get(campaign_id=made.id)
    assert (held.cap, held.detail["reasons"]) == (CapKind.STATUS, {"sticky_not_in_group": 7})


@pytest.mark.parametrize("follow_ups_first", [True, False])
async def test_first_steps_are_read_only_while_the_follow_ups_due_before_them_leave_the_day_room(
    follow_ups_first: bool,
) -> None:
    """Follow-ups due before the first steps take the day (two mailboxes of 5 each): of the 40 first steps due, only
    the slack's worth is read (and held), and the campaign's row says more were due. Due after them, the first
    steps take the day and the follow-ups wait."""
    ws = await workspace()
    boxes = await mailboxes(ws, domains=1, per_domain=2)
    made = await campaign(ws, boxes, steps=2, per_mailbox_cap=5)
    enrolled = await leads(ws, made, 50)
    follow_ups = enrolled[:10]
    due = NOW - dt.timedelta(days=2) if follow_ups_first else NOW - dt.timedelta(minutes=10)
    for n, enrollment in enumerate(follow_ups):  # step 1 went out from each mailbox in turn
        await Enrollment.filter(id=enrollment.id).update(current_step=2, mailbox_id=boxes[n % 2].id, next_due_at=due)
    report = await plan_campaigns(FrozenClock(NOW), CampaignPlanOptions(seed=1, slack=10))
    steps = Counter(r["step_position"] for r in await rows())
    held = await CampaignDeferral.get(campaign_id=made.id)
    if follow_ups_first:
        assert steps == {2: 10} and report.planned == 10
        assert (held.cap, held.detail["reasons"], held.detail["more"]) == (CapKind.CAMPAIGN, {"group_full": 10}, True)
    else:
        assert steps == {1: 10} and report.planned == 10
        assert held.detail["reasons"] == {"group_full": 10, "sticky_full": 10} and held.detail["more"] is True


async def test_follow_ups_waiting_for_their_leads_morning_do_not_keep_other_leads_first_steps_back() -> None:
    """With the leads' own time zones, at 17:00 in Moscow: 20 follow-ups due since Saturday belong to leads in Tokyo,
    where it is 23:00 and the next morning is after this day's end. They wait, and the day's room (four mailboxes of
    5) goes to first steps of leads in Moscow, whose window is open for another hour."""
    ws = await workspace()
    boxes = await mailboxes(ws, domains=1, per_domain=4)
    made = await campaign(ws, boxes, steps=2, per_mailbox_cap=5, lead_timezone=True)
    waiting = await leads(ws, made, 20, zone="Asia/Tokyo")
    await leads(ws, made, 40, zone="Europe/Moscow", start=100)
    for n, enrollment in enumerate(waiting):
        await Enrollment.filter(id=enrollment.id).update(
            current_step=2, mailbox_id=boxes[n % 4].id, next_due_at=NOW - dt.timedelta(days=2)
        )
    report = await plan_campaigns(FrozenClock(NOW + dt.timedelta(hours=8)), CampaignPlanOptions(seed=1, slack=10))
    assert Counter(r["step_position"] for r in await rows()) == {1: 20} and report.planned == 20
    held = await CampaignDeferral.get(campaign_id=made.id, cap=CapKind.WINDOW)
    assert held.detail["reasons"] == {"closed": 20}


async def test_follow_ups_past_their_mailbox_time_in_the_window_do_not_keep_first_steps_back() -> None:
    """At 17:00 in Moscow the window has 59 minutes left for new sends: 14 a mailbox at 4-minute gaps. 30 follow-ups
    due since Saturday stick to one mailbox, which sends 14 of them; the campaign's other 16 sends of the day (a daily
    cap of 30) go as first steps from the other two mailboxes, not held back by the follow-ups that must wait."""
    ws = await workspace()
    boxes = await mailboxes(ws, domains=1, per_domain=3)
    made = await campaign(ws, boxes, steps=2, per_mailbox_cap=30, daily_cap=30)
    sticky = await leads(ws, made, 30)
    await leads(ws, made, 60, start=100)
    await Enrollment.filter(id__in=[e.id for e in sticky]).update(
        current_step=2, mailbox_id=boxes[0].id, next_due_at=NOW - dt.timedelta(days=2)
    )
    report = await plan_campaigns(FrozenClock(NOW + dt.timedelta(hours=8)), CampaignPlanOptions(seed=1, slack=10))
    found = await rows()
    assert Counter(r["step_position"] for r in found) == {2: 14, 1: 16} and report.planned == 30
    assert {r["mailbox_id"] for r in found if r["step_position"] == 1} == {boxes[1].id, boxes[2].id}


async def test_a_follow_up_references_what_its_mailbox_sent_in_order_and_keeps_its_thread_first() -> None:
    """Step 4 after step 1 went out from another mailbox (before the sequence moved) and steps 2 and 3 from the
    sticky one: `In-Reply-To` is the thread (or, without one, the first message this mailbox sent), `References` the
    thread when it is not among those messages, then them in step order; the old mailbox's is never referenced. The
    rows' Message-IDs are unique and well-formed."""
    ws = await workspace()
    boxes = await mailboxes(ws, domains=1, per_domain=2)
    made = await campaign(ws, boxes, steps=4)
    enrolled = await leads(ws, made, 3)
    sticky, old = boxes[1], boxes[0]
    threads = ["<two0@x>", "", "<elsewhere@x>"]  # step 2's id; none (cleared by the move); one not sent from here
    for n, enrollment in enumerate(enrolled):
        for box, position in ((sticky, 3), (old, 1), (sticky, 2)):
            await OutboundMessage.create(
                kind=MessageKind.CAMPAIGN,
                workspace=ws,
                mailbox=box,
                campaign=made,
                enrollment=enrollment,
                lead_id=enrollment.lead_id,
                step_position=position,
                variant=0,
                message_id=f"<{['', 'one', 'two', 'three'][position]}{n}@x>",
                status=MessageStatus.SENT,
                scheduled_at=NOW - dt.timedelta(days=8 - position),
                sent_at=NOW - dt.timedelta(days=8 - position),
            )
        await Enrollment.filter(id=enrollment.id).update(
            current_step=4, mailbox_id=sticky.id, thread_message_id=threads[n], variant=0
        )
    assert (await plan_campaigns(FrozenClock(NOW), opts())).planned == 3
    found = {r["enrollment_id"]: r for r in await OutboundMessage.filter(step_position=4).values()}
    a, b, c = (found[e.id] for e in enrolled)
    assert (a["in_reply_to"], a["references"]) == ("<two0@x>", "<two0@x> <three0@x>")
    assert (b["in_reply_to"], b["references"]) == ("<two1@x>", "<two1@x> <three1@x>")
    assert (c["in_reply_to"], c["references"]) == ("<elsewhere@x>", "<elsewhere@x> <two2@x> <three2@x>")
    assert all(r["mailbox_id"] == sticky.id for r in found.values())
    ids = [r["message_id"] for r in found.values()]
    assert len(set(ids)) == 3
    assert all(re.fullmatch(r"<[0-9a-f]+\.[0-9a-f]{32}@d0\.acme\.test>", i) for i in ids), ids


async def test_business_day_delays_land_after_the_weekend() -> None:
    ws = await workspace()
    boxes = await mailboxes(ws, domains=1, per_domain=1)
    made = await campaign(ws, boxes, business_days=True)
    (enrollment,) = await leads(ws, made, 1)
    friday = dt.datetime(2026, 10, 30, 8, 0, tzinfo=dt.UTC)  # Friday 11:00 in Moscow
    due = schedule.due_after(friday, delay_days=2, business_days=True, zone=MOSCOW)
    assert due == dt.datetime(2026, 11, 3, 8, 0, tzinfo=dt.UTC)  # Tuesday 11:00
    await OutboundMessage.create(
        kind=MessageKind.CAMPAIGN,
        workspace=ws,
        mailbox=boxes[0],
        campaign=made,
        enrollment=enrollment,
        lead_id=enrollment.lead_id,
        step_position=1,
        variant=0,
        message_id="<one@x>",
        status=MessageStatus.SENT,
        scheduled_at=friday,
    )
    await Enrollment.filter(id=enrollment.id).update(
        current_step=2, mailbox_id=boxes[0].id, thread_message_id="<one@x>", next_due_at=due
    )
    assert (await plan_campaigns(FrozenClock(NOW), opts())).planned == 0  # Monday: not due yet
    tuesday = dt.datetime(2026, 11, 3, 5, 0, tzinfo=dt.UTC)  # 08:00 Moscow: due at 11:00, planned after it
    assert (await plan_campaigns(FrozenClock(tuesday), opts(2))).planned == 1
    row = await OutboundMessage.get(step_position=2)
    assert row.scheduled_at >= due and schedule.inside(window_of(made), MOSCOW, row.scheduled_at)


async def test_two_planners_at_once_never_overbook() -> None:
    ws = await workspace()
    boxes = await mailboxes(ws, domains=2, per_domain=3, domain_cap=25)
    first = await campaign(ws, boxes, name="one", daily_cap=30)
    second = await campaign(ws, boxes[:3], name="two", per_mailbox_cap=4)
    await leads(ws, first, 100)
    await leads(ws, second, 100, start=500)
    clock = FrozenClock(NOW)
    reports = await asyncio.gather(*(plan_campaigns(clock, opts(s)) for s in range(3)))
    found = await rows()
    assert sum(r.planned for r in reports) == len(found)
    assert sorted(r.planned for r in reports)[:2] == [0, 0]  # one planned, the others found it done
    per_domain = Counter(next(b.domain_id for b in boxes if b.id == r["mailbox_id"]) for r in found)
    assert all(n <= 25 for n in per_domain.values())
    per = Counter((r["campaign_id"], r["mailbox_id"]) for r in found)
    assert sum(n for (c, _), n in per.items() if c == first.id) <= 30
    assert all(n <= 4 for (c, _), n in per.items() if c == second.id)
    assert len({r["enrollment_id"] for r in found}) == len(found)  # a lead never gets a step twice


async def test_workspaces_plan_in_lanes_at_once_each_inside_its_own_caps_and_a_seed_reproduces_the_plan() -> None:
    """Three workspaces in two lanes (two transactions at once): each plans only its own mailboxes within their
    domain caps, and the same seed plans the same rows again."""
    made = []
    for slug in ("alpha", "beta", "gamma"):
        ws = await workspace(slug)
        boxes = await mailboxes(ws, domains=2, per_domain=2, domain_cap=20)
        made.append((ws, boxes, await campaign(ws, boxes, name=f"{slug} autumn")))
        await leads(ws, made[-1][2], 60, start=len(made) * 1000)
    owner = {b.id: (ws.id, b.domain_id) for ws, boxes, _ in made for b in boxes}

    async def plan() -> list[tuple[int, int, dt.datetime, str]]:
        report = await plan_campaigns(FrozenClock(NOW), CampaignPlanOptions(seed=7, lanes=2))
        found = await rows()
        assert report.campaigns == 3 and report.planned == len(found) == 3 * 40  # two domains of 20 each
        assert report.waiting == 3 * 20
        for row in found:
            assert owner[row["mailbox_id"]][0] == row["workspace_id"]
        assert all(n <= 20 for n in Counter(owner[r["mailbox_id"]][1] for r in found).values())
        planned = sorted((r["enrollment_id"], r["mailbox_id"], r["scheduled_at"], r["message_id"]) for r in found)
        await connections.get("default").execute_script(
            "TRUNCATE outbound_message, cap_deferral, campaign_deferral CASCADE; UPDATE enrollment SET variant = NULL"
        )
        return planned

    assert await plan() == await plan()


async def test_a_plan_inside_a_callers_transaction_plans_every_workspace_on_its_connection() -> None:
    """Inside a transaction of the caller (the lanes' own connections would not see its rows, and two lanes cannot
    share its connection) the run plans every workspace in that transaction."""
    async with in_transaction():
        for slug in ("alpha", "beta"):
            ws = await workspace(slug)
            boxes = await mailboxes(ws, domains=1, per_domain=2)
            await leads(ws, await campaign(ws, boxes, name=slug), 10)
        report = await plan_campaigns(FrozenClock(NOW), CampaignPlanOptions(seed=1, lanes=2))
        assert report.campaigns == 2 and report.planned == 20
    assert Counter(r["workspace_id"] for r in await rows()) == {1: 10, 2: 10}


async def test_a_paused_campaign_plans_nothing_and_suppressed_leads_are_stopped() -> None:
    ws = await workspace()
    boxes = await mailboxes(ws, domains=1, per_domain=2)
    made = await campaign(ws, boxes)
    enrolled = await leads(ws, made, 14)
    await Campaign.filter(id=made.id).update(status=CampaignStatus.PAUSED)
    assert (await plan_campaigns(FrozenClock(NOW), opts())).campaigns == 0
    assert await OutboundMessage.all().count() == 0
    await Campaign.filter(id=made.id).update(status=CampaignStatus.RUNNING)
    lead7 = await Lead.get(workspace=ws, email="lead7@client0.example")
    tagged = next(e for e in enrolled if e.lead_id == lead7.id)
    await Lead.filter(id=lead7.id).update(email="ivan+news@client0.example")  # ivan@'s inbox: who opted out
    await Suppression.create(workspace=ws, value="ivan@client0.example", reason=SuppressionReason.UNSUBSCRIBE)
    emails = {e.id: (await Lead.get(id=e.lead_id)).email for e in enrolled}
    await Suppression.create(workspace=ws, value=emails[enrolled[0].id], reason=SuppressionReason.UNSUBSCRIBE)
    await Suppression.create(workspace=None, value="client1.example", reason=SuppressionReason.MANUAL)  # a domain
    report = await plan_campaigns(FrozenClock(NOW), opts(2))
    gone = {i for i, email in emails.items() if i in (enrolled[0].id, tagged.id) or email.endswith("@client1.example")}
    assert report.stopped == len(gone) and report.planned == 14 - len(gone)
    stopped = await Enrollment.filter(state=EnrollmentState.STOPPED).values_list("id", "stopped_reason")
    assert {(i, r) for i, r in stopped} == {(i, "suppressed") for i in gone}
    assert not await OutboundMessage.filter(enrollment_id__in=list(gone)).exists()


async def test_the_cron_plans_once_with_two_workers(redis: Redis, database_url: str) -> None:
    ws = await workspace()
    boxes = await mailboxes(ws, domains=1, per_domain=2)
    made = await campaign(ws, boxes)
    await leads(ws, made, 12)
    (cron,) = [c for c in WorkerSettings.cron_jobs if c.name == "cron:plan_campaigns"]
    assert cron.unique and cron.minute == set(range(7, 60, 10))
    real = dt.datetime.now(dt.UTC)
    if real.minute % 10 == 6 and real.second >= 50:  # the next run would come due while the workers run
        await asyncio.sleep(61 - real.second)
    moment = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    moment -= dt.timedelta(minutes=(moment.minute - 7) % 10)  # the cron's last due minute: its job is due now
    workers = []
    for _ in range(2):  # two worker processes: each has its own cron state, both see the minute come
        ctx = {"database_url": database_url, "db_ready": True, "clock": FrozenClock(NOW)}
        worker = create_worker(REDIS_URL, ctx=ctx, burst=True)
        mine = copy.copy(cron)
        mine.next_run = moment
        worker.cron_jobs = [mine]
        workers.append(worker)
    pool = await create_pool(RedisSettings.from_dsn(REDIS_URL))
    try:
        for worker in workers:
            worker._pool = pool
            await worker.run_cron(dt.datetime.now(dt.UTC), 0.5)
        assert await pool.zcard("arq:queue") == 1  # the same job id from both: enqueued once
        await asyncio.gather(*(w.main() for w in workers))
    finally:
        for worker in workers:
            await worker.close()
        await pool.aclose()
    assert sum(w.jobs_complete for w in workers) == 1 and sum(w.jobs_failed for w in workers) == 0
    # the worker plans an hour ahead: from 09:01, 59 of the window's 539 minutes left, so each mailbox's 30 a day
    # give round(30 * 59 / 539) = 3 now
    assert await OutboundMessage.filter(campaign_id=made.id).count() == 6


async def test_deferrals_that_no_longer_apply_are_removed() -> None:
    ws = await workspace()
    boxes = await mailboxes(ws, domains=1, per_domain=2)
    narrow = await campaign(ws, boxes[:1], name="narrow", per_mailbox_cap=2)
    other = await campaign(ws, boxes[1:], name="other")
    await leads(ws, narrow, 5)
    await leads(ws, other, 1, start=100)
    await plan_campaigns(FrozenClock(NOW), opts())
    assert await CampaignDeferral.filter(campaign_id=narrow.id).count() == 1
    assert await CapDeferral.filter(mailbox_id=boxes[0].id, source="campaign").count() == 1
    await narrow.mailboxes.clear()  # the mailbox left the group, then the campaign was paused
    await plan_campaigns(FrozenClock(NOW + dt.timedelta(minutes=10)), opts(2))
    assert await CapDeferral.filter(source="campaign").count() == 0
    assert await CampaignDeferral.get(campaign_id=narrow.id, cap=CapKind.STATUS)  # now: no ready mailbox
    await Campaign.filter(id=narrow.id).update(status=CampaignStatus.PAUSED)
    await plan_campaigns(FrozenClock(NOW + dt.timedelta(minutes=20)), opts(3))
    assert await CampaignDeferral.all().count() == 0


async def test_with_a_memo_an_unchanged_workspace_is_skipped_and_every_change_is_planned(redis: Redis) -> None:
    ws = await workspace()
    boxes = await mailboxes(ws, domains=1, per_domain=2)
    made = await campaign(ws, boxes, daily_cap=6)
    later = await campaign(ws, boxes, name="later")
    await leads(ws, made, 10)
    await leads(ws, later, 3, start=100)
    await Campaign.filter(id=later.id).update(status=CampaignStatus.PAUSED)
    memo = campaign_memo(redis)
    minute = itertools.count(1)

    async def tick() -> tuple[int, int]:
        clock = FrozenClock(NOW + dt.timedelta(minutes=10 * next(minute)))
        report = await plan_campaigns(clock, opts(next(minute)), memo=memo)
        return report.planned, report.skipped

    assert await tick() == (6, 0)
    assert await tick() == (0, 1)  # nothing changed: the workspace is skipped
    await Campaign.filter(id=made.id).update(daily_cap=8)  # a raised cap
    assert await tick() == (2, 0)
    assert await tick() == (0, 1)
    await Campaign.filter(id=made.id).update(daily_cap=100)
    assert await tick() == (2, 0)
    await leads(ws, made, 2, start=50)  # a new enrollment
    assert await tick() == (2, 0)
    assert await tick() == (0, 1)
    await Campaign.filter(id=later.id).update(status=CampaignStatus.RUNNING)  # a resumed campaign
    assert await tick() == (3, 0)
    assert await tick() == (0, 1)
    await Mailbox.filter(id=boxes[0].id).update(status=MailboxStatus.PAUSED)  # a paused mailbox
    assert (await tick())[1] == 0
    await Enrollment.filter(campaign_id=made.id, current_step=0).update(next_due_at=NOW)  # any enrollment change
    assert (await tick())[1] == 0
    await Suppression.create(workspace=ws, value="client3.example", reason=SuppressionReason.MANUAL)
    assert (await tick())[1] == 0
    await OutboundMessage.filter(campaign_id=made.id).limit(1).update(status=MessageStatus.CANCELLED)
    assert (await tick())[1] == 0
    assert await tick() == (0, 1)
    await OutboundMessage.create(  # warmup planned meanwhile: less room for campaigns
        kind=MessageKind.WARMUP, workspace=ws, mailbox=boxes[1], message_id="<w@x>", scheduled_at=NOW
    )
    assert (await tick())[1] == 0
    await OutboundMessage.filter(kind=MessageKind.WARMUP).update(scheduled_at=NOW + dt.timedelta(days=1))  # moved
    assert (await tick())[1] == 0
    await OutboundMessage.filter(kind=MessageKind.WARMUP).update(status=MessageStatus.SENT)  # sent: not a change
    assert await tick() == (0, 1)


async def test_with_a_memo_a_paused_mailbox_that_resumes_gets_its_sends(redis: Redis) -> None:
    ws = await workspace()
    boxes = await mailboxes(ws, domains=1, per_domain=2)
    made = await campaign(ws, boxes, per_mailbox_cap=3)
    await leads(ws, made, 10)
    await Mailbox.filter(id=boxes[1].id).update(status=MailboxStatus.PAUSED)
    memo = campaign_memo(redis)
    first = await plan_campaigns(FrozenClock(NOW), opts(), memo=memo)
    assert first.planned == 3
    assert (await plan_campaigns(FrozenClock(NOW + dt.timedelta(minutes=10)), opts(2), memo=memo)).skipped == 1
    await Mailbox.filter(id=boxes[1].id).update(status=MailboxStatus.ACTIVE)
    again = await plan_campaigns(FrozenClock(NOW + dt.timedelta(minutes=20)), opts(3), memo=memo)
    assert again.planned == 3 and again.skipped == 0
    assert Counter(r["mailbox_id"] for r in await rows()) == {boxes[0].id: 3, boxes[1].id: 3}


async def test_with_a_memo_the_planner_own_writes_are_not_changes_and_the_change_log_stays_short(
    redis: Redis,
) -> None:
    ws = await workspace()
    boxes = await mailboxes(ws, domains=1, per_domain=2)
    made = await campaign(ws, boxes)
    await leads(ws, made, 8)
    await Suppression.create(workspace=ws, value="client2.example", reason=SuppressionReason.MANUAL)
    memo = campaign_memo(redis)
    first = await plan_campaigns(FrozenClock(NOW), opts(), memo=memo)
    assert first.planned > 0 and first.stopped > 0  # variants stored and leads stopped: its own writes
    assert (await plan_campaigns(FrozenClock(NOW + dt.timedelta(minutes=10)), opts(2), memo=memo)).skipped == 1
    assert await PlanChange.all().count() == 0  # the changes read were forgotten once planned
    for n in range(3):
        await Enrollment.filter(campaign_id=made.id).update(last_sent_at=NOW + dt.timedelta(seconds=n))
    assert await PlanChange.filter(workspace_id=ws.id).count() == 3  # one per statement
    again = await plan_campaigns(FrozenClock(NOW + dt.timedelta(minutes=20)), opts(3), memo=memo)
    assert again.skipped == 0 and await PlanChange.all().count() == 0


async def test_with_a_memo_a_workspace_without_a_running_campaign_is_forgotten(redis: Redis) -> None:
    ws = await workspace()
    boxes = await mailboxes(ws, domains=1, per_domain=2)
    made = await campaign(ws, boxes)
    await leads(ws, made, 5)
    memo = campaign_memo(redis)
    assert (await plan_campaigns(FrozenClock(NOW), opts(), memo=memo)).planned == 5
    assert (await plan_campaigns(FrozenClock(NOW + dt.timedelta(minutes=10)), opts(2), memo=memo)).skipped == 1
    await Campaign.filter(id=made.id).update(status=CampaignStatus.PAUSED)
    await leads(ws, made, 2, start=50)  # enrolled while paused
    assert (await plan_campaigns(FrozenClock(NOW + dt.timedelta(minutes=20)), opts(3), memo=memo)).campaigns == 0
    assert await PlanChange.all().count() == 0 and await memo.get([ws.id]) == {}
    await Campaign.filter(id=made.id).update(status=CampaignStatus.RUNNING)  # even without a status stamp
    again = await plan_campaigns(FrozenClock(NOW + dt.timedelta(minutes=30)), opts(4), memo=memo)
    assert again.planned == 2 and again.skipped == 0


async def test_with_a_horizon_a_day_is_planned_an_hour_ahead_evenly_and_adds_up_to_the_whole_day(
    redis: Redis,
) -> None:
    ws = await workspace()
    boxes = await mailboxes(ws, domains=1, per_domain=2)
    made = await campaign(ws, boxes, steps=1, per_mailbox_cap=18)
    await leads(ws, made, 60)  # more than the day can send: 2 x 18
    memo = campaign_memo(redis)
    horizon = dt.timedelta(seconds=HORIZON_S)
    moment, end = NOW, NOW + dt.timedelta(hours=9)  # 09:00 to 18:00 in Moscow, a run every 10 minutes
    skipped = planned_runs = 0
    while moment < end:
        report = await plan_campaigns(FrozenClock(moment), CampaignPlanOptions(seed=1, horizon_s=HORIZON_S), memo=memo)
        skipped += report.skipped
        planned_runs += report.planned > 0
        latest = await OutboundMessage.filter(status="planned").order_by("-scheduled_at").first()
        assert latest is None or latest.scheduled_at <= moment + horizon  # never planned past the horizon
        await OutboundMessage.filter(status="planned", scheduled_at__lte=moment + dt.timedelta(minutes=10)).update(
            status="sent"  # what the outbox sends before the next run
        )
        moment += dt.timedelta(minutes=10)
    assert skipped and planned_runs >= 9  # runs inside a half hour with nothing new are skipped; each half hour plans
    sent = (
        await OutboundMessage.filter(campaign_id=made.id).order_by("scheduled_at").values("mailbox_id", "scheduled_at")
    )
    for box in boxes:
        moments = [r["scheduled_at"] for r in sent if r["mailbox_id"] == box.id]
        assert len(moments) == 18  # the whole day's share, as one run without a horizon plans it
        assert all(schedule.inside(window_of(made), MOSCOW, m) for m in moments)
        assert all((b - a).total_seconds() >= 240 for a, b in itertools.pairwise(moments))  # the gap holds
        per_hour = Counter((m - NOW) // dt.timedelta(hours=1) for m in moments)
        assert max(per_hour.values()) <= 4 and len(per_hour) >= 8  # about 2 an hour, every hour of the window


async def test_what_the_horizon_has_no_time_for_is_a_later_runs_not_a_deferral() -> None:
    ws = await workspace()
    boxes = await mailboxes(ws, domains=1, per_domain=1)
    made = await campaign(ws, boxes, steps=1, per_mailbox_cap=30)
    await leads(ws, made, 10)
    sparse = CampaignPlanOptions(seed=1, horizon_s=HORIZON_S, min_gap_s=1200)  # 2 sends fit in the first hour
    report = await plan_campaigns(FrozenClock(NOW), sparse)
    assert (report.planned, report.waiting) == (2, 0)
    assert not await CampaignDeferral.all().exists() and not await CapDeferral.all().exists()
    evening = NOW + dt.timedelta(hours=8, minutes=30)  # 17:30: the window ends inside the horizon
    await OutboundMessage.all().update(status="sent")
    late = await plan_campaigns(FrozenClock(evening), sparse)
    assert late.planned == 1 and late.waiting > 0  # 29 minutes hold one send; the rest is held by the window
    assert await CampaignDeferral.filter(campaign_id=made.id, cap=CapKind.WINDOW).exists()


async def test_a_seeded_plan_writes_the_same_message_ids_and_an_unseeded_one_new_ones() -> None:
    """A seed reproduces the plan, Message-IDs included (the demo's simulated recipients draw their answers from
    them); without a seed they are random."""
    ws = await workspace()
    made = await campaign(ws, await mailboxes(ws))
    await leads(ws, made, 30)
    found = await Lead.filter(workspace=ws).order_by("id")

    async def plan(options: CampaignPlanOptions) -> list[tuple[int, int, int, dt.datetime, str]]:
        await plan_campaigns(FrozenClock(NOW), options)
        planned = [
            (r["enrollment_id"], r["step_position"], r["mailbox_id"], r["scheduled_at"], r["message_id"])
            for r in await rows()
        ]
        # the same start again: the enrollments as they were before the plan drew their variants
        await connections.get("default").execute_script(
            "TRUNCATE outbound_message, enrollment RESTART IDENTITY CASCADE"
        )
        due = NOW - dt.timedelta(hours=1)
        await Enrollment.bulk_create([Enrollment(campaign=made, lead=lead, next_due_at=due) for lead in found])
        return planned

    first, again, unseeded = await plan(opts(3)), await plan(opts(3)), await plan(CampaignPlanOptions())
    assert len(first) == 30 and first == again
    assert len({r[4] for r in first}) == 30 and not {r[4] for r in first} & {r[4] for r in unseeded}


async def test_a_row_whose_message_id_is_taken_meanwhile_is_skipped_and_the_others_are_planned() -> None:
    """The rows go in without a conflict clause first (a conflict is next to impossible); when one hits a unique key
    anyway, they go in again with each taken one skipped, as before: never an error, never a row twice."""
    ws = await workspace()
    boxes = await mailboxes(ws)
    made = await campaign(ws, boxes)
    await leads(ws, made, 30)
    found = await Lead.filter(workspace=ws).order_by("id")
    await plan_campaigns(FrozenClock(NOW), opts(3))
    first = {r["enrollment_id"]: r["message_id"] for r in await rows()}
    # the same start again, and the Message-ID the seeded plan gives one lead-step is taken by another message
    await connections.get("default").execute_script("TRUNCATE outbound_message, enrollment RESTART IDENTITY CASCADE")
    await Enrollment.bulk_create(
        [Enrollment(campaign=made, lead=lead, next_due_at=NOW - dt.timedelta(hours=1)) for lead in found]
    )
    taken = min(first)
    yesterday = NOW - dt.timedelta(days=1)
    await OutboundMessage.create(
        kind=MessageKind.WARMUP,
        workspace=ws,
        mailbox=boxes[0],
        peer=boxes[1],
        message_id=first[taken],
        status=MessageStatus.SENT,
        scheduled_at=yesterday,
        sent_at=yesterday,
    )
    report = await plan_campaigns(FrozenClock(NOW), opts(3))
    again = {r["enrollment_id"]: r["message_id"] for r in await rows() if r["kind"] == MessageKind.CAMPAIGN}
    assert report.planned == len(again) == 29
    assert again == {e: m for e, m in first.items() if e != taken}


async def test_suppression_candidates_reach_postgresql_as_they_are_whatever_their_characters() -> None:
    """The due addresses and domains go to the suppression query as one array literal: plain ones joined as they
    are, one with a quote or a backslash escaped (each value comes back from PostgreSQL unchanged)."""
    for values in (["a@x.test", "x.test"], ['"odd"@x.test', "b@y.test"], ["back\\slash@x.test"], ['"'], [""]):
        found = await connections.get("default").execute_query(
            "SELECT unnest($1::text::text[])", [planner._text_array(values)]
        )
        assert [r[0] for r in found[1]] == values

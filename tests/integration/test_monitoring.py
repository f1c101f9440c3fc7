"""Monitoring on real PostgreSQL: recorded hard bounces cool a mailbox down (audited with the numbers, alerted),
block bounces cut its volume without suppressing anyone and the planners then plan less, the cut climbs back
one step per clean day, repeated failures disable, an error spike pauses the workspace; running twice acts once."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from zoneinfo import ZoneInfo

import pytest
from redis.asyncio import Redis

from bot.runner import Runner
from bot.telegram.render import render
from engine.access import SYSTEM, Actor
from engine.alerts import claim_due
from engine.campaigns.planner import CampaignPlanOptions, plan_campaigns
from engine.clock import FrozenClock
from engine.crypto import Vault, generate_key
from engine.errors import NotFound
from engine.i18n import translator
from engine.inbox import SyncOptions, sync_mailbox
from engine.mailboxes import pause_mailbox, resume_mailbox
from engine.monitoring import metrics, report, service
from engine.monitoring.health import health_factors
from engine.people import Identity
from engine.reports import summary
from engine.sending.planner import PlanOptions, plan_warmup
from engine.sending.why import protections
from engine.stats import PIXEL_DATA, EventRecord, record_events
from engine.warmup import Composed, Persona
from engine.warmup import service as warmup_service
from jobs import worker
from models import (
    AgencySetting,
    Alert,
    AuditLog,
    Campaign,
    DailyStat,
    Domain,
    Mailbox,
    Membership,
    OutboundMessage,
    Person,
    Suppression,
    Workspace,
)
from models.enums import (
    AlertStatus,
    CampaignStatus,
    DomainStatus,
    EventKind,
    MailboxStatus,
    MailProvider,
    MessageKind,
    MessageStatus,
    Platform,
    Role,
    Severity,
    StatScope,
    TlsMode,
)
from tests.integration import campaign_kit

pytestmark = pytest.mark.usefixtures("orm")

MOSCOW = ZoneInfo("Europe/Moscow")
NOW = dt.datetime(2026, 11, 2, 6, 0, tzinfo=dt.UTC)  # Monday 09:00 in Moscow
TODAY = dt.date(2026, 11, 2)
LONG_AGO = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)


def composer(rng: random.Random, *, sender: Persona, recipient: Persona, locale: str) -> Composed:
    return Composed(subject=f"{sender.name} → {recipient.name}", body=f"Hi {recipient.name} #{rng.random()}")


async def fleet(
    domains: int = 2, per_domain: int = 2, *, slug: str = "acme", cap: int = 4
) -> tuple[Workspace, list[Mailbox]]:
    ws = await Workspace.create(slug=slug, name=slug.upper(), timezone="Europe/Moscow")
    boxes = []
    for d in range(domains):
        domain = await Domain.create(workspace=ws, name=f"{slug}{d}.test", status=DomainStatus.WARMING)
        for i in range(per_domain):
            boxes.append(
                await Mailbox.create(
                    workspace=ws,
                    domain=domain,
                    address=f"user{i}@{domain.name}",
                    display_name=f"User {d}-{i}",
                    provider=MailProvider.GENERIC,
                    smtp_host="127.0.0.1",
                    smtp_port=2525,
                    smtp_tls=TlsMode.PLAIN,
                    imap_host="127.0.0.1",
                    imap_port=1143,
                    imap_tls=TlsMode.PLAIN,
                    username=f"user{i}@{domain.name}",
                    secret_enc=b"x",
                    status=MailboxStatus.WARMING,
                    status_changed_at=LONG_AGO,
                    daily_cap=cap,
                    warmup_started_on=dt.date(2026, 8, 1),  # long warmed up: the ramp is at its plateau
                )
            )
    return ws, boxes


async def events(box: Mailbox, kind: EventKind, n: int, at: dt.datetime, data: dict[str, object] | None = None) -> None:
    await record_events(
        [EventRecord(box.workspace_id, kind, at, box.id, box.domain_id, data=data or {}) for _ in range(n)],
        zones={box.workspace_id: MOSCOW},
    )


PIXEL_SENT_DATA = {"kind": "campaign", PIXEL_DATA: True}  # what the record of an HTML campaign's send writes


def actor(ws: Workspace) -> Actor:
    return Actor(person_id=None, platform=Platform.TELEGRAM, role=Role.MANAGER, workspace_id=ws.id, locale="en")


async def test_span_sums_add_up_each_span_of_each_subject_in_order() -> None:
    ws = await Workspace.create(slug="spans", name="Spans")
    for day, (a, b) in enumerate([(1, 10), (2, 20), (4, 40), (8, 80)]):
        on = TODAY - dt.timedelta(days=3 - day)
        await DailyStat.create(workspace=ws, scope=StatScope.MAILBOX, scope_id=1, day=on, sent=a, replies=a * 100)
        await DailyStat.create(workspace=ws, scope=StatScope.MAILBOX, scope_id=2, day=on, sent=b)
    await DailyStat.create(workspace=ws, scope=StatScope.DOMAIN, scope_id=1, day=TODAY, sent=1000)
    yesterday = TODAY - dt.timedelta(days=1)
    sums = await metrics.span_sums(
        StatScope.MAILBOX,
        [
            (2, TODAY - dt.timedelta(days=3), TODAY),  # every day
            (1, TODAY, TODAY),
            (1, yesterday, yesterday),
            (1, TODAY - dt.timedelta(days=3), yesterday),
            (3, TODAY, TODAY),  # no rows
            (1, TODAY - dt.timedelta(days=30), TODAY - dt.timedelta(days=4)),  # before the first row
            (2, yesterday, TODAY),
        ],
    )
    assert [c.sent for c in sums] == [150, 8, 4, 7, 0, 0, 120]
    assert sums[3].replies == 700
    assert await metrics.span_sums(StatScope.MAILBOX, []) == []


async def test_hard_bounces_cool_the_mailbox_down_with_an_audit_entry_and_an_alert_once() -> None:
    ws, boxes = await fleet(1, 2)
    bad, fine = boxes
    clock = FrozenClock(NOW)
    await events(bad, EventKind.SENT, 40, NOW - dt.timedelta(days=1))
    await events(bad, EventKind.BOUNCE_HARD, 3, NOW)  # 7.5 % of 40
    await events(fine, EventKind.SENT, 40, NOW - dt.timedelta(days=1))
    await events(fine, EventKind.BOUNCE_HARD, 1, NOW)  # 2.5 %

    report = await service.evaluate(clock)
    assert report.actions == {"cooldown": 1}
    await bad.refresh_from_db()
    assert bad.status is MailboxStatus.COOLDOWN and bad.cooldown_until == NOW + dt.timedelta(days=3)
    assert (await Mailbox.get(id=fine.id)).status is MailboxStatus.WARMING
    [entry] = await AuditLog.filter(action="monitoring.cooldown")
    assert entry.subject == f"mailbox:{bad.id}"
    assert entry.data["rate"] == 0.075 and entry.data["sample"] == 40
    assert entry.data["threshold"] == 0.05 and entry.data["window"] == "7d" and entry.data["part"] == 3
    [alert] = await Alert.filter(kind="mailbox_cooldown")
    assert alert.severity is Severity.WARNING and alert.subject == f"mailbox:{bad.id}"
    assert alert.data["rate_pct"] == 7.5 and alert.data["subject"] == bad.address
    assert alert.data["until"] == "2026-11-05 09:00 MSK"  # on the workspace's clock (Moscow), as /why shows it

    again = await service.evaluate(clock)  # idempotent: nothing more happens
    assert again.actions == {}
    assert await AuditLog.filter(action="monitoring.cooldown").count() == 1
    assert await AuditLog.filter(action="mailbox.transition").count() == 1

    [shown] = await protections(actor(ws), bad.address, clock)
    assert shown.kind == "cooldown" and shown.data["sample"] == 40

    clock.advance(dt.timedelta(days=3, minutes=1))  # the cooldown is over: back to warming (never graduated)
    assert (await service.evaluate(clock)).actions == {"return": 1}
    await bad.refresh_from_db()
    assert bad.status is MailboxStatus.WARMING and bad.cooldown_until is None
    assert (await service.evaluate(clock)).actions == {}  # the old bounces do not cool it down again


async def test_block_bounces_cut_the_volume_without_suppressing_and_the_planner_plans_less() -> None:
    ws, boxes = await fleet(2, 3, cap=2)  # a cap every mailbox reaches (each has three peers)
    blocked = boxes[0]
    clock = FrozenClock(NOW)
    await events(blocked, EventKind.SENT, 40, NOW - dt.timedelta(days=1))
    await events(blocked, EventKind.BOUNCE_BLOCK, 3, NOW)

    assert (await service.evaluate(clock)).actions == {"cut": 1}
    await blocked.refresh_from_db()
    assert (blocked.health_factor, blocked.health_reason, blocked.health_changed_at) == (0.5, "block_rate", NOW)
    assert (await Domain.get(id=blocked.domain_id)).health_factor == 1.0  # one of three mailboxes: not the domain
    assert await Suppression.all().count() == 0  # the receiver refused us, not the lead
    [entry] = await AuditLog.filter(action="monitoring.cut")
    assert (entry.data["rate"], entry.data["sample"], entry.data["threshold"]) == (0.075, 40, 0.03)
    assert await Alert.filter(kind="volume_cut", subject=f"mailbox:{blocked.id}").count() == 1
    assert (await service.evaluate(clock)).actions == {}  # twice: once

    factors = await health_factors()
    assert factors == {blocked.id: 0.5}
    await plan_warmup(clock, PlanOptions(seed=1, health=factors))
    planned = {b.id: await OutboundMessage.filter(mailbox_id=b.id).count() for b in boxes}
    assert planned[blocked.id] == 1  # half of its cap of 2
    assert all(planned[b.id] == 2 for b in boxes[1:])

    [cut] = await protections(actor(ws), blocked.address, clock)
    assert cut.kind == "cut" and cut.factor == 0.5 and cut.data["rule"] == "block_rate"


async def test_the_cut_climbs_back_one_step_per_clean_day() -> None:
    _, boxes = await fleet(1, 2)
    box = boxes[0]
    clock = FrozenClock(NOW)
    await Mailbox.filter(id=box.id).update(health_factor=0.5, health_reason="block_rate", health_changed_at=NOW)
    clock.advance(dt.timedelta(days=1))
    await events(box, EventKind.SENT, 10, clock.now())  # day 1 after the cut: clean, but not over yet
    assert (await service.evaluate(clock)).actions == {}
    clock.advance(dt.timedelta(days=1))
    assert (await service.evaluate(clock)).actions == {"restore": 1}
    await box.refresh_from_db()
    assert (box.health_factor, box.health_reason) == (0.75, "recovering:block_rate")
    assert (await service.evaluate(clock)).actions == {}  # one step per day
    await events(box, EventKind.SENT, 10, clock.now())  # a clean day with sends…
    clock.advance(dt.timedelta(days=1))
    assert (await service.evaluate(clock)).actions == {"restore": 1}
    await box.refresh_from_db()
    assert (box.health_factor, box.health_reason) == (1.0, "")
    assert await health_factors() == {}
    assert await AuditLog.filter(action="monitoring.restore").count() == 2


async def test_a_day_without_sends_does_not_lift_a_cut_however_clean_today_is() -> None:
    """The cut climbs back on a clean yesterday only: a mailbox that sent nothing yesterday stays cut, whatever
    today's sends so far look like."""
    _, boxes = await fleet(1, 2)
    box = boxes[0]
    clock = FrozenClock(NOW)
    await Mailbox.filter(id=box.id).update(health_factor=0.5, health_reason="block_rate", health_changed_at=NOW)
    clock.advance(dt.timedelta(days=2))  # the day after the cut went by without a send
    await events(box, EventKind.SENT, 10, clock.now())  # today's, clean
    assert (await service.evaluate(clock)).actions == {}
    await box.refresh_from_db()
    assert (box.health_factor, box.health_reason) == (0.5, "block_rate")


async def test_half_the_domain_tripping_cuts_the_domain() -> None:
    _, boxes = await fleet(1, 2)
    for b in boxes:
        await events(b, EventKind.SENT, 50, NOW - dt.timedelta(days=1))
        await events(b, EventKind.BOUNCE_BLOCK, 5, NOW)
    assert (await service.evaluate(FrozenClock(NOW))).actions == {"cut": 1}
    domain = await Domain.get(id=boxes[0].domain_id)
    assert (domain.health_factor, domain.health_reason) == (0.5, "block_rate")
    assert await health_factors() == {b.id: 0.5 for b in boxes}
    assert (await service.evaluate(FrozenClock(NOW + dt.timedelta(minutes=15)))).actions == {}


async def test_repeated_auth_failures_disable_with_a_critical_alert() -> None:
    _, boxes = await fleet(1, 1)
    await Mailbox.filter(id=boxes[0].id).update(auth_failures=3)
    assert (await service.evaluate(FrozenClock(NOW))).actions == {"disable": 1}
    assert (await Mailbox.get(id=boxes[0].id)).status is MailboxStatus.DISABLED
    [alert] = await Alert.filter(kind="mailbox_disabled")
    assert alert.severity is Severity.CRITICAL and alert.data["rule"] == "auth_failures"
    assert (await service.evaluate(FrozenClock(NOW))).actions == {}


async def test_an_error_spike_pauses_the_workspace_once_with_a_critical_alert() -> None:
    ws, boxes = await fleet(1, 1)
    other, _ = await fleet(1, 1, slug="other")
    await events(boxes[0], EventKind.SENT, 100, NOW)
    await events(boxes[0], EventKind.SMTP_ERROR, 5, NOW)
    await events(boxes[0], EventKind.BOUNCE_BLOCK, 20, NOW)  # 25 of 105 attempts
    report = await service.evaluate(FrozenClock(NOW))
    assert report.actions["pause"] == 1
    assert (await Workspace.get(id=ws.id)).settings["sending_paused"] is True
    assert (await Workspace.get(id=other.id)).settings.get("sending_paused") is None
    [alert] = await Alert.filter(kind="sending_paused")
    assert alert.severity is Severity.CRITICAL and alert.workspace_id == ws.id
    [entry] = await AuditLog.filter(action="monitoring.pause")
    assert entry.data["sample"] == 105 and entry.data["part"] == 25
    assert "pause" not in (await service.evaluate(FrozenClock(NOW))).actions


async def test_workspace_thresholds_override_the_agency_defaults() -> None:
    ws, boxes = await fleet(1, 2)
    await Workspace.filter(id=ws.id).update(settings={"thresholds": {"hard_bounce_rate": 0.1}})
    await events(boxes[0], EventKind.SENT, 40, NOW - dt.timedelta(days=1))
    await events(boxes[0], EventKind.BOUNCE_HARD, 3, NOW)  # 7.5 %: under this workspace's 10 %
    assert (await service.evaluate(FrozenClock(NOW))).actions == {}


async def test_the_overview_measures_opens_only_for_html_campaigns_and_counts_the_workspace() -> None:
    ws, boxes = await fleet(1, 1)
    html = await Campaign.create(workspace=ws, name="Rich", status=CampaignStatus.RUNNING, html=True)
    plain = await Campaign.create(workspace=ws, name="Plain", status=CampaignStatus.RUNNING)
    box = boxes[0]
    for c, opens in ((html, 12), (plain, 0)):
        sent = {"kind": "campaign", PIXEL_DATA: c.html}  # the pixel: what an HTML campaign's send carried
        records = [EventRecord(ws.id, EventKind.SENT, NOW, box.id, box.domain_id, c.id, data=sent) for _ in range(30)]
        records += [EventRecord(ws.id, EventKind.OPEN, NOW, box.id, box.domain_id, c.id) for _ in range(opens)]
        records += [EventRecord(ws.id, EventKind.REPLY, NOW, box.id, box.domain_id, c.id)]
        await record_events(records, zones={ws.id: MOSCOW})
    view = await report.overview(actor(ws), FrozenClock(NOW))
    by_name = dict(view.campaigns)
    assert by_name["Rich"].open_rate.value == 0.4 and by_name["Rich"].open_rate.sample == 30
    assert not by_name["Plain"].open_rate.measured and by_name["Plain"].open_rate.value is None
    assert by_name["Plain"].reply_rate.value == pytest.approx(1 / 30)
    # the workspace's opens over the pixel campaigns' sends, as /report has them: /health said "not measured"
    assert view.workspace.sent == 60 and view.workspace.open_rate.measured
    assert (view.workspace.open_rate.part, view.workspace.open_rate.sample) == (12, 30)
    assert view.workspace.open_rate == (await summary(ws.id, TODAY, TODAY)).metrics.open_rate
    assert view.more_campaigns == 0


async def test_replies_falling_below_half_the_baseline_alert_without_acting() -> None:
    _, boxes = await fleet(1, 1)
    box = boxes[0]
    for days_ago in range(5, 19):  # the baseline: 14 days of 10 sends, 1 reply a day (10 %)
        await events(box, EventKind.SENT, 10, NOW - dt.timedelta(days=days_ago))
        await events(box, EventKind.REPLY, 1, NOW - dt.timedelta(days=days_ago))
    for days_ago in (2, 3, 4):  # recent: 40 sends a day, 1 reply (0.8 %)
        await events(box, EventKind.SENT, 40, NOW - dt.timedelta(days=days_ago))
    await events(box, EventKind.REPLY, 1, NOW - dt.timedelta(days=3))
    await events(box, EventKind.SENT, 40, NOW)  # today's mail has had no time to be answered: not counted
    assert (await service.evaluate(FrozenClock(NOW))).actions == {"alert": 1}
    [alert] = await Alert.filter(kind="engagement_drop")
    assert alert.data["rule"] == "reply_drop" and alert.data["sample"] == 120 and alert.data["threshold"] == 0.05
    assert (alert.data["baseline"], alert.data["share"]) == (0.1, 0.5)  # what the threshold is half of
    await box.refresh_from_db()
    assert box.status is MailboxStatus.WARMING and box.health_factor == 1.0  # an alert only
    assert await AuditLog.filter(action__startswith="monitoring.").count() == 0

    for days_ago in (2, 3, 4):  # the replies came back: the drop is over, and the next one is news again
        await events(box, EventKind.REPLY, 5, NOW - dt.timedelta(days=days_ago))
    assert (await service.evaluate(FrozenClock(NOW))).actions == {"resolved": 1}
    assert (await Alert.get(id=alert.id)).status is AlertStatus.RESOLVED
    assert (await service.evaluate(FrozenClock(NOW))).actions == {}  # resolved once


async def test_the_worker_cron_cuts_and_its_warmup_plan_reads_the_cut(redis: Redis) -> None:
    _, boxes = await fleet(2, 3, cap=2)
    await events(boxes[0], EventKind.SENT, 40, NOW - dt.timedelta(days=1))
    await events(boxes[0], EventKind.BOUNCE_BLOCK, 3, NOW)
    ctx = {"clock": FrozenClock(NOW), "redis": redis}
    assert await worker.monitor(ctx) == {"cut": 1, "workspaces": 1, "failed": 0}
    assert await worker.monitor(ctx) == {"workspaces": 1, "failed": 0}
    await worker.plan_warmup(ctx)
    assert await OutboundMessage.filter(mailbox_id=boxes[0].id).count() == 1  # ×0.5 of 2
    assert await OutboundMessage.filter(mailbox_id=boxes[1].id).count() == 2
    [cron] = [c for c in worker.WorkerSettings.cron_jobs if c.name == "cron:monitor"]
    assert cron.unique and cron.minute == {0, 15, 30, 45}


async def test_the_campaign_planner_plans_half_for_a_cut_mailbox() -> None:
    ws, _ = await fleet(1, 3, cap=10)
    long_ago = NOW - dt.timedelta(days=100)
    await Mailbox.filter(workspace_id=ws.id).update(status=MailboxStatus.ACTIVE, graduated_at=long_ago)
    await Workspace.filter(id=ws.id).update(sender_name="Acme LLC", sender_address="Moscow")
    group = list(await Mailbox.filter(workspace_id=ws.id).order_by("id"))
    c = await campaign_kit.campaign(ws, group, steps=((0, False),), per_mailbox_cap=50, daily_cap=1000)
    await campaign_kit.enroll(c, [f"lead{n}@leads.test" for n in range(60)], NOW)
    await Mailbox.filter(id=group[0].id).update(health_factor=0.5, health_reason="block_rate", health_changed_at=NOW)
    factors = await health_factors()
    await plan_campaigns(FrozenClock(NOW), CampaignPlanOptions(seed=1, health=factors))
    planned = [await OutboundMessage.filter(mailbox_id=b.id).count() for b in group]
    assert planned[1] == planned[2] > 0  # each gets its campaign share of a cap of 10
    assert planned[0] == 5  # the cut mailbox: half of its cap of 10 for everything (the share is of the cap)


async def test_the_last_100_sends_window_counts_each_message_once_and_opens_only_with_a_pixel() -> None:
    ws, boxes = await fleet(1, 1)
    box = boxes[0]
    html = await Campaign.create(workspace=ws, name="Rich", status=CampaignStatus.RUNNING, html=True)
    rows = []
    for n in range(120):  # the 20 oldest fall out of the window
        rows.append(
            OutboundMessage(
                kind=MessageKind.CAMPAIGN if n % 2 else MessageKind.WARMUP, workspace_id=ws.id, mailbox_id=box.id,
                campaign_id=html.id if n % 2 else None, message_id=f"<m{n}@acme0.test>", status=MessageStatus.SENT,
                scheduled_at=NOW, sent_at=NOW - dt.timedelta(minutes=200 - n),
            )
        )  # fmt: skip
    await OutboundMessage.bulk_create(rows)
    ids = [m.id for m in await OutboundMessage.all().order_by("sent_at")]
    old, recent = ids[:20], ids[20:]

    def event(kind: EventKind, message_id: int) -> EventRecord:
        return EventRecord(ws.id, kind, NOW, box.id, box.domain_id, message_id=message_id)

    records = [
        EventRecord(
            ws.id, EventKind.SENT, NOW, box.id, box.domain_id, message_id=m, data=PIXEL_SENT_DATA if n % 2 else {}
        )
        for n, m in enumerate(ids)
    ]
    records += [event(EventKind.BOUNCE_HARD, m) for m in old[:5]]  # outside the window
    records += [event(EventKind.BOUNCE_HARD, m) for m in recent[:2]]
    records += [event(EventKind.OPEN, m) for m in recent[1:11:2] for _ in range(3)]  # 5 messages opened 3 times
    records += [event(EventKind.REPLY, recent[-1])]
    records += [event(EventKind.UNSUBSCRIBE, recent[-3])]  # by the link, then "отпишите" in another thread
    records += [dataclasses.replace(event(EventKind.UNSUBSCRIBE, recent[-5]), data={"repeat": True})]
    await record_events(records, zones={ws.id: MOSCOW})

    counts = await metrics.last_sends(box.id)
    assert (counts.sent, counts.bounces_hard, counts.replies, counts.opens) == (100, 2, 1, 5)
    assert counts.unsubscribes == 1  # the person once, as /report counts them
    assert counts.measured_sent == 50  # only the HTML campaign's half carried a pixel
    m = metrics.compute(counts, metrics.Window.LAST100)
    assert m.open_rate.value == 0.1 and m.hard_bounce_rate.value == 0.02


async def test_a_second_error_spike_after_sending_was_resumed_is_announced_again() -> None:
    ws, boxes = await fleet(1, 2)
    clock = FrozenClock(NOW)

    said: list[str] = []

    async def paused_notes() -> list[str]:
        due = [n for n in await claim_due(clock) if "sending-paused" in n.body_key or "resolved" in n.id]
        said.extend(n.body_key for n in due)
        return [n.id for n in due]

    await events(boxes[0], EventKind.SENT, 80, NOW)
    await events(boxes[0], EventKind.SMTP_ERROR, 40, NOW)  # a third of today's attempts failed
    assert (await service.evaluate(clock)).actions.get("pause") == 1
    first = await Alert.get(kind="sending_paused")
    assert await paused_notes() == [f"alert:{first.id}"]

    manager = Actor(None, Platform.TELEGRAM, Role.MANAGER, ws.id, locale="en")
    assert await report.resume_sending(manager, clock)  # the cause was fixed
    assert await paused_notes() == [f"alert:{first.id}:resolved"]
    assert said[-1] == "alert-resolved-resumed"  # a manager resumed it: not "no longer seen", as a check would say

    clock.advance(dt.timedelta(days=1))  # it happens again the next day: the chats hear of it again
    await events(boxes[1], EventKind.SENT, 80, clock.now())
    await events(boxes[1], EventKind.SMTP_ERROR, 40, clock.now())
    assert (await service.evaluate(clock)).actions.get("pause") == 1
    second = await Alert.get(kind="sending_paused", status="open")
    assert second.id != first.id and await paused_notes() == [f"alert:{second.id}"]


async def test_health_of_a_domain_without_a_mailbox_shown_names_the_domain() -> None:
    """`/health <domain>` of a domain whose mailboxes were all retired with it (a swapped, burned domain) — or that
    has none yet — answered "domain … is not in this workspace", while /domain and /report_domain showed it."""
    ws, boxes = await fleet(2, 2)
    burned = await Domain.get(id=boxes[0].domain_id)
    await Domain.filter(id=burned.id).update(status=DomainStatus.RETIRED)
    await Mailbox.filter(domain_id=burned.id).update(status=MailboxStatus.RETIRED)
    await Domain.create(workspace=ws, name="fresh.test", status=DomainStatus.NEW)
    for name in (burned.name, "FRESH.test "):
        [found] = await report.health(actor(ws), FrozenClock(NOW), name)
        assert found.kind == "domain" and found.name == name.strip().lower()
    with pytest.raises(NotFound):  # another workspace's domain is still "not found"
        await report.health(actor(ws), FrozenClock(NOW), "elsewhere.test")


async def test_health_of_a_domain_is_its_card_and_a_line_per_mailbox_in_one_telegram_message() -> None:
    """`/health <domain>` gave every mailbox the full card (today and 7 days, every counter): 12,000 characters
    for 10 mailboxes, six Telegram messages for a domain of 20. The domain keeps its card; its mailboxes get a
    line each, worst first, the first 12 of them."""
    await fleet(1, 40)
    runner = Runner(FrozenClock(NOW), admins={Platform.TELEGRAM: {"1"}})
    me = runner.identity(Platform.TELEGRAM, "1", "admin", "ru")
    await runner.run_line(me, "c1", "/use acme")
    reply = await runner.run_line(me, "c1", "/health acme0.test")
    said = reply.plain_text()
    ru = translator("ru")
    assert ru("health-window-7d") in said and ru("health-more", count=40 - 12) in said
    assert len([line for line in said.splitlines() if "@acme0.test" in line]) == 12
    assert len(render(reply).texts) == 1
    card = (await runner.run_line(me, "c1", "/health user0@acme0.test")).plain_text()
    assert ru("health-window-last100") in card  # a mailbox named alone keeps its full card


async def test_resuming_sending_after_a_spike_is_not_undone_by_the_same_days_counters() -> None:
    """A manager fixed the cause of an error spike and resumed sending at 10:00; the monitor's next run judged
    the whole day's counters again — the failures that caused the pause — and paused the workspace at once, with a
    new critical alert. Only the attempts after the resume count on that day; a new spike still pauses."""
    ws, boxes = await fleet(1, 2)
    clock = FrozenClock(NOW)
    await events(boxes[0], EventKind.SENT, 80, NOW)
    await events(boxes[0], EventKind.SMTP_ERROR, 40, NOW)  # a third of today's attempts failed
    assert (await service.evaluate(clock)).actions.get("pause") == 1
    clock.advance(dt.timedelta(hours=1))
    assert await report.resume_sending(actor(ws), clock)

    clock.advance(dt.timedelta(minutes=15))
    await events(boxes[1], EventKind.SENT, 60, clock.now())  # clean sends since the resume
    assert "pause" not in (await service.evaluate(clock)).actions
    assert (await Workspace.get(id=ws.id)).settings.get("sending_paused") is None
    assert await Alert.filter(kind="sending_paused", status__not="resolved").count() == 0

    clock.advance(dt.timedelta(hours=1))  # the same day, a new spike among the attempts after the resume
    await events(boxes[1], EventKind.SENT, 40, clock.now())
    await events(boxes[1], EventKind.SMTP_ERROR, 30, clock.now())  # 30 of 130 attempts since the resume
    assert (await service.evaluate(clock)).actions.get("pause") == 1
    entry = await AuditLog.filter(action="monitoring.pause").order_by("-id").first()
    assert entry is not None and (entry.data["part"], entry.data["sample"]) == (30, 130)


async def test_a_cooldown_ended_by_a_persons_pause_and_resume_resolves_its_alert() -> None:
    """A manager paused a mailbox in its cooldown and resumed it: it sends again, but its `mailbox_cooldown` alert
    was resolved only by the monitor's own return from the cooldown, which never came — the alert stayed open for
    good, and the next cooldown of that mailbox was only counted on it, never announced."""
    ws, boxes = await fleet(1, 2)
    bad = boxes[0]
    clock = FrozenClock(NOW)
    await events(bad, EventKind.SENT, 40, NOW - dt.timedelta(days=1))
    await events(bad, EventKind.BOUNCE_HARD, 3, NOW)
    assert (await service.evaluate(clock)).actions == {"cooldown": 1}
    assert (await Alert.get(kind="mailbox_cooldown")).status is AlertStatus.OPEN  # not resolved by its own run

    clock.advance(dt.timedelta(hours=2))
    await pause_mailbox(actor(ws), bad.address, clock=clock)
    await resume_mailbox(actor(ws), bad.address, clock=clock)
    assert (await Mailbox.get(id=bad.id)).status is MailboxStatus.WARMING  # it never graduated: warming again
    clock.advance(dt.timedelta(minutes=15))
    assert (await service.evaluate(clock)).actions == {}  # its cooldown time still holds its sends back
    assert (await Alert.get(kind="mailbox_cooldown")).status is AlertStatus.OPEN
    clock.set(NOW + dt.timedelta(days=3))  # the time is over
    assert (await service.evaluate(clock)).actions == {"resolved": 1}
    assert (await Alert.get(kind="mailbox_cooldown")).status is AlertStatus.RESOLVED


async def test_a_threshold_typed_as_the_reports_write_it_is_taken_and_a_wrong_one_quoted_as_typed() -> None:
    """The reports write a rate "4 %" (a space before the sign, as Russian does): `/thresholds_set
    hard_bounce_rate 4 %` was refused with "“%” does not fit “scope”", and `cooldown_days 2,5` was quoted back as
    “2.5”, which nobody typed. The value may hold a space before "%" (and be followed by `agency`); a wrong one
    is quoted as typed, and nothing is written."""
    await Workspace.create(slug="acme", name="Acme", timezone="Asia/Vladivostok")
    runner = Runner(FrozenClock(NOW), admins={Platform.TELEGRAM: {"1"}})
    me = runner.identity(Platform.TELEGRAM, "1", "admin", "ru")
    await runner.run_line(me, "c1", "/use acme")
    ru = translator("ru")

    changed = await runner.run_line(me, "c1", "/thresholds_set hard_bounce_rate 4 %")
    assert changed.ok, changed.plain_text()
    assert changed.plain_text() == ru("thresholds-changed", name="hard_bounce_rate", before="0.05", after="0.04")
    agency = await runner.run_line(me, "c1", "/thresholds_set block_rate 2,5 % agency")
    assert agency.ok, agency.plain_text()
    assert (await AgencySetting.get(key="thresholds")).value == {"block_rate": 0.025}

    refused = await runner.run_line(me, "c1", "/thresholds_set cooldown_days 2,5")
    assert not refused.ok
    assert ru("error-threshold-value", name="cooldown_days", value="2,5", bounds="1–14") in refused.plain_text()
    ws = await Workspace.get(slug="acme")
    assert ws.settings["thresholds"] == {"hard_bounce_rate": 0.04}  # nothing half-written


async def test_health_measures_the_opens_of_a_mailbox_and_a_domain_that_sent_mail_with_a_pixel() -> None:
    """/health read "opens: not measured" for today and 7 days of every mailbox and domain, even one whose HTML
    campaign mail carried a pixel — the very opens the open-drop rule judges and alerts on. Its days now count
    the opens over the sends that carried a pixel (the last 100 did already); a plain-text mailbox stays "not
    measured", never 0 %."""
    ws, boxes = await fleet(1, 2)
    rich, plain = boxes
    for days in range(3):  # 10 sends with a pixel a day, today and the two days before
        await events(rich, EventKind.SENT, 10, NOW - dt.timedelta(days=days, minutes=30), PIXEL_SENT_DATA)
        await events(rich, EventKind.OPEN, 2, NOW - dt.timedelta(days=days, minutes=10))
    await events(plain, EventKind.SENT, 30, NOW - dt.timedelta(minutes=30))
    clock = FrozenClock(NOW)

    [card] = await report.health(actor(ws), clock, rich.address)
    today, week = card.windows[0].open_rate, card.windows[1].open_rate
    assert (today.part, today.sample, today.value) == (2, 10, None)  # measured, too few to say
    assert (week.part, week.sample, week.value) == (6, 30, 0.2)
    [other] = await report.health(actor(ws), clock, plain.address)
    assert not other.windows[1].open_rate.measured  # no pixel went out: not measured, never 0 %
    domain = next(s for s in await report.health(actor(ws), clock, "acme0.test") if s.kind == "domain")
    assert (domain.windows[1].open_rate.part, domain.windows[1].open_rate.sample) == (6, 30)


async def test_monitoring_alerts_name_an_idn_mailbox_and_domain_as_people_write_them() -> None:
    """A mailbox on пример.рф cooled down, and its domain's volume was cut, with alerts that read
    "anna@xn--e1afmkfd.xn--p1ai" and "xn--e1afmkfd.xn--p1ai" (and /why's audit numbers with them): the alerts
    now name them in Unicode, as /health, /why and the blocklist alerts do."""
    _, [box, other] = await fleet(1, 2)
    await Domain.filter(id=box.domain_id).update(name="xn--e1afmkfd.xn--p1ai")
    await Mailbox.filter(id=box.id).update(address="anna@xn--e1afmkfd.xn--p1ai")
    await Mailbox.filter(id=other.id).update(address="boris@xn--e1afmkfd.xn--p1ai")
    for b in (box, other):
        await events(b, EventKind.SENT, 40, NOW - dt.timedelta(days=1))
        await events(b, EventKind.BOUNCE_BLOCK, 4, NOW)  # 10 % blocked on both: the domain is cut
    await events(box, EventKind.BOUNCE_HARD, 3, NOW)  # 7.5 %: the mailbox cools down
    await service.evaluate(FrozenClock(NOW))

    cooldown = await Alert.get(kind="mailbox_cooldown")
    assert cooldown.data["subject"] == "anna@пример.рф"
    cut = await Alert.get(kind="volume_cut", subject=f"domain:{box.domain_id}")
    assert cut.data["subject"] == "пример.рф"
    [note] = [n for n in await claim_due(FrozenClock(NOW)) if n.params.get("id") == cut.id]
    said = translator("en")(note.body_key, **note.params)
    assert "пример.рф" in said and "xn--" not in said


async def test_a_days_bounces_of_earlier_sends_read_as_counts_not_as_a_share_over_100_percent() -> None:
    """The day after a mass send, with its campaign paused, the bounces of the earlier sends arrived while the
    mailbox sent little: /health said "hard bounces 150 % of 40". Counts over the sends they are taken of now say
    so in words."""
    _, boxes = await fleet(1, 1)
    await events(boxes[0], EventKind.SENT, 40, NOW)
    await events(boxes[0], EventKind.BOUNCE_HARD, 60, NOW)
    runner = Runner(FrozenClock(NOW), admins={Platform.TELEGRAM: {"1"}})
    me = runner.identity(Platform.TELEGRAM, "1", "admin", "en")
    await runner.run_line(me, "c1", "/use acme")
    card = (await runner.run_line(me, "c1", f"/health {boxes[0].address}")).plain_text()
    assert "60 with 40 sent — more than were sent: they answer earlier sends" in card, card
    assert "150" not in card


async def health_with_an_unread_inbox(unread: Mailbox, boxes: list[Mailbox]) -> tuple[Runner, Identity, str]:
    """`/health` (ru) after two failed syncs of `unread` over more than an hour (its IMAP port has nobody listening),
    every mailbox of `boxes` with 40 sends yesterday: the runner, the admin, and what it said."""
    vault = Vault([generate_key()])
    await Mailbox.filter(id=unread.id).update(imap_port=1, secret_enc=vault.encrypt("pw"), created_at=LONG_AGO)
    for box in boxes:
        await events(box, EventKind.SENT, 40, NOW - dt.timedelta(days=1))
    clock = FrozenClock(NOW)
    for _ in range(2):
        result = await sync_mailbox(SYSTEM, unread.id, clock=clock, vault=vault, options=SyncOptions(timeout_s=2))
        assert result.key == "error-imap-connect"
        clock.advance(dt.timedelta(hours=1))
    runner = Runner(clock, admins={Platform.TELEGRAM: {"1"}})
    me = runner.identity(Platform.TELEGRAM, "1", "admin", "ru")
    await runner.run_line(me, "c1", "/use acme")
    return runner, me, (await runner.run_line(me, "c1", "/health")).plain_text()


async def test_health_does_not_show_a_mailbox_whose_inbox_goes_unread_as_clean() -> None:
    """A mailbox whose inbox could not be read for hours showed "hard bounces 0 %" with a green mark: its bounces
    and replies were never read, so the rates measured nothing. Its line now says since when its inbox goes unread
    and is not green; a mailbox read fine stays green."""
    _, boxes = await fleet(1, 2)
    unread, fine = boxes
    runner, me, said = await health_with_an_unread_inbox(unread, boxes)

    [line] = [line for line in said.splitlines() if unread.address in line]
    since = (await Alert.get(kind="inbox_unreachable")).data["since"]
    assert translator("ru")("health-inbox-unread", since=since) in line and "🟢" not in line
    assert "🟢" in next(line for line in said.splitlines() if fine.address in line)
    single = (await runner.run_line(me, "c1", f"/health {unread.address}")).plain_text()
    assert translator("ru")("health-inbox-unread", since=since) in single


async def test_health_does_not_show_a_domain_whose_mailboxes_inboxes_go_unread_as_clean() -> None:
    """A mailbox whose inbox goes unread is no longer green, but its domain stayed 🟢 with the same unmeasured
    rates added up. The domain's line now says how many of its mailboxes go unread; a domain read fine stays green."""
    _, boxes = await fleet(2, 2)
    unread = boxes[0]
    runner, me, said = await health_with_an_unread_inbox(unread, boxes)

    ru = translator("ru")
    domain_lines = {name: next(line for line in said.splitlines() if f" {name} " in line) for name in ("acme0.test",
                    "acme1.test")}  # fmt: skip
    assert ru("health-domain-inbox-unread", count=1, total=2) in domain_lines["acme0.test"], said
    assert "🟢" not in domain_lines["acme0.test"] and "🟢" in domain_lines["acme1.test"]
    card = (await runner.run_line(me, "c1", "/health acme0.test")).plain_text()
    head = next(line for line in card.splitlines() if " acme0.test (" in line)
    assert ru("health-domain-inbox-unread", count=1, total=2) in head and "🟢" not in head, card


async def test_health_of_a_workspace_whose_mailboxes_are_all_paused_says_so() -> None:
    """A workspace whose three mailboxes were all paused by hand (and one new, its warmup never started) asked
    /health and read "No mailboxes to watch yet." It now says none of them sends, and what they are; a client
    reads the same without the commands it may not run."""
    ws, boxes = await fleet(1, 4)
    await Mailbox.filter(id__in=[b.id for b in boxes[:3]]).update(status=MailboxStatus.PAUSED)
    await Mailbox.filter(id=boxes[3].id).update(status=MailboxStatus.NEW, warmup_started_on=None)
    client = await Person.create(platform=Platform.TELEGRAM, external_id="2", display_name="client")
    await Membership.create(person=client, workspace=ws, role=Role.CLIENT)
    runner = Runner(FrozenClock(NOW), admins={Platform.TELEGRAM: {"1"}})
    for external_id, locale, key in (("1", "ru", "health-none-idle"), ("2", "en", "health-none-idle-read")):
        me = runner.identity(Platform.TELEGRAM, external_id, "someone", locale)
        await runner.run_line(me, "c1", "/use acme")
        t = translator(locale)
        idle = (("new", 1), ("paused", 3))
        states = ", ".join(t("label-count", label=t(f"mailbox-status-{s}"), count=n) for s, n in idle)
        said = (await runner.run_line(me, "c1", "/health")).plain_text()
        assert said == t(key, count=4, states=states)
        assert ("/mailbox_resume" in said) is (external_id == "1")  # a client may not resume one

    await Mailbox.filter(workspace_id=ws.id).update(status=MailboxStatus.RETIRED)  # none left: "none yet", as before
    admin = runner.identity(Platform.TELEGRAM, "1", "admin", "ru")
    assert (await runner.run_line(admin, "c1", "/health")).plain_text() == translator("ru")("health-none")


async def test_a_domain_whose_every_mailbox_is_disabled_for_refused_logins_is_not_green() -> None:
    """Every mailbox of a domain was disabled for refused SMTP logins; the domain itself stays "active", and its
    /health line read 🟢 over a domain that sent nothing. It now says how many of its mailboxes send nothing and
    why, in red; a domain with some of them stopped (here one cooling down) is amber."""
    _, boxes = await fleet(2, 2)
    dead, half = boxes[0].domain_id, boxes[2].domain_id
    await Domain.filter(id__in=[dead, half]).update(status=DomainStatus.ACTIVE)
    await Mailbox.filter(domain_id=dead).update(
        status=MailboxStatus.DISABLED, auth_failures=3, last_error="smtp-auth-failed: 535 5.7.8 Error",
        last_error_at=NOW - dt.timedelta(hours=1),
    )  # fmt: skip
    cooling = {"status": MailboxStatus.COOLDOWN, "cooldown_until": NOW + dt.timedelta(days=1)}
    await Mailbox.filter(id=boxes[2].id).update(**cooling)
    runner = Runner(FrozenClock(NOW), admins={Platform.TELEGRAM: {"1"}})
    for locale in ("ru", "en"):
        me = runner.identity(Platform.TELEGRAM, "1", "admin", locale)
        await runner.run_line(me, "c1", "/use acme")
        said = (await runner.run_line(me, "c1", "/health")).plain_text()
        t = translator(locale)
        [dead_line] = [line for line in said.splitlines() if " acme0.test " in line]
        stopped = t("health-domain-stopped", count=2, total=2, causes=t("health-stopped-auth", count=2))
        assert dead_line.startswith("🔴") and stopped in dead_line, dead_line
        [half_line] = [line for line in said.splitlines() if " acme1.test " in line]
        stopped = t("health-domain-stopped", count=1, total=2, causes=t("health-stopped-cooldown", count=1))
        assert half_line.startswith("🟠") and stopped in half_line, half_line


async def test_a_warming_mailbox_back_from_its_cooldown_goes_on_with_its_ramp_where_it_stopped() -> None:
    """A mailbox on warmup day 3 (4 emails a day) cooled down for a week came back on day 10's volume: the cooldown's
    days counted as warmup days, for its ramp and for its minimum period alike."""
    ws, boxes = await fleet(1, 2)
    bad = boxes[0]
    await Mailbox.filter(id=bad.id).update(warmup_started_on=TODAY - dt.timedelta(days=2))  # day 3 today
    ws.settings = {"thresholds": {"cooldown_days": 7}}
    await ws.save()
    clock = FrozenClock(NOW)
    await events(bad, EventKind.SENT, 40, NOW - dt.timedelta(days=1))
    await events(bad, EventKind.BOUNCE_HARD, 3, NOW)
    assert (await service.evaluate(clock)).actions == {"cooldown": 1}

    clock.advance(dt.timedelta(days=7, minutes=1))
    assert (await service.evaluate(clock)).actions == {"return": 1}
    back = await Mailbox.get(id=bad.id)
    assert back.status is MailboxStatus.WARMING
    assert back.warmup_started_on == TODAY + dt.timedelta(days=5)  # moved by the 7 days it sent nothing
    [item] = await warmup_service.warmup_status(actor(ws), clock, bad.address)
    assert item.readiness.day == 3 and item.target_today <= 5  # day 3 of 2 + 1/day (day 10 would be 11 ± 15 %)


async def test_health_does_not_show_a_disabled_mailbox_whose_inbox_goes_unread_as_read() -> None:
    """A disabled mailbox still read for late answers whose IMAP server cannot be reached (not its login) raised
    `inbox_unreadable_disabled`, which /health did not read: its line never said its inbox goes unread (and an
    `inbox_unreachable` that became that alert stopped being said). Its line and its card now say since when."""
    _, boxes = await fleet(1, 2)
    box = boxes[0]
    vault = Vault([generate_key()])
    await Mailbox.filter(id=box.id).update(
        imap_port=1, secret_enc=vault.encrypt("pw"), created_at=LONG_AGO, last_ok_at=NOW - dt.timedelta(hours=5),
        status=MailboxStatus.DISABLED, status_changed_at=NOW - dt.timedelta(hours=3),
        last_error="smtp-auth-failed: 535", last_error_at=NOW - dt.timedelta(hours=3),
    )  # fmt: skip
    clock = FrozenClock(NOW)
    for _ in range(2):
        result = await sync_mailbox(SYSTEM, box.id, clock=clock, vault=vault, options=SyncOptions(timeout_s=2))
        assert result.key == "error-imap-connect"
        clock.advance(dt.timedelta(hours=1))
    since = (await Alert.get(kind="inbox_unreadable_disabled")).data["since"]
    runner = Runner(clock, admins={Platform.TELEGRAM: {"1"}})
    me = runner.identity(Platform.TELEGRAM, "1", "admin", "ru")
    await runner.run_line(me, "c1", "/use acme")
    said = (await runner.run_line(me, "c1", "/health")).plain_text()
    [line] = [line for line in said.splitlines() if box.address in line]
    assert translator("ru")("health-inbox-unread", since=since) in line and "🟢" not in line
    single = (await runner.run_line(me, "c1", f"/health {box.address}")).plain_text()
    assert translator("ru")("health-inbox-unread", since=since) in single


async def test_health_does_not_show_the_mailboxes_of_a_cooled_domain_as_sending() -> None:
    """A listing cooled acme0.test: its line was red, but its mailboxes' lines stayed 🟢 "active" in /health, the
    overview and the domain's card, while the planner allowed them nothing. They are marked held by their domain."""
    ws, _ = await fleet(2, 2)
    await Domain.filter(name="acme0.test").update(status=DomainStatus.COOLING)
    runner = Runner(FrozenClock(NOW), admins={Platform.TELEGRAM: {"1"}})
    me = runner.identity(Platform.TELEGRAM, "1", "admin", "en")
    await runner.run_line(me, "c1", "/use acme")
    en = translator("en")
    held = en("health-held-by-domain", domain="acme0.test", state=en("state-domain-cooling"))
    for command in ("/health", "/health acme0.test", "/health user0@acme0.test"):
        lines = (await runner.run_line(me, "c1", command)).plain_text().splitlines()
        for address in ("user0@acme0.test", "user1@acme0.test") if command != "/health user0@acme0.test" else ():
            [line] = [line for line in lines if f" {address} " in line]
            assert line.startswith("🔴") and held in line, (command, line)
        others = [line for line in lines if "@acme1.test" in line]
        assert all(line.startswith("🟢") and held not in line for line in others), others
    card = (await runner.run_line(me, "c1", "/health user0@acme0.test")).plain_text()
    assert card.splitlines()[2].startswith("🔴") and held in card, card
    found = await report.health(actor(ws), FrozenClock(NOW))
    assert [s.name for s in found if s.kind == "mailbox"][:2] == ["user0@acme0.test", "user1@acme0.test"]  # worst first


async def test_health_shows_a_mailbox_its_mail_server_asked_to_wait_as_held_not_green() -> None:
    """A 421 "try again in an hour" (or a server out of reach) holds a mailbox until `cooldown_until` while its state
    stays active: /health showed it 🟢 with nothing said, and the senders sent it nothing."""
    _, boxes = await fleet(1, 2)
    until = NOW + dt.timedelta(hours=1)
    await Mailbox.filter(id=boxes[0].id).update(cooldown_until=until)
    await Mailbox.filter(id=boxes[1].id).update(cooldown_until=NOW - dt.timedelta(hours=1))  # over: not held
    runner = Runner(FrozenClock(NOW), admins={Platform.TELEGRAM: {"1"}})
    me = runner.identity(Platform.TELEGRAM, "1", "admin", "en")
    await runner.run_line(me, "c1", "/use acme")
    en = translator("en")
    held = en("health-held-until", until="2026-11-02 10:00 MSK")  # on the workspace's clock
    lines = (await runner.run_line(me, "c1", "/health")).plain_text().splitlines()
    [line] = [line for line in lines if " user0@acme0.test " in line]
    assert line.startswith("🟠") and held in line, line
    [other] = [line for line in lines if " user1@acme0.test " in line]
    assert other.startswith("🟢") and "held until" not in other, other
    why = (await runner.run_line(me, "c1", "/why user0@acme0.test")).plain_text()
    told = en("why-protection-held", subject="user0@acme0.test", until="2026-11-02 10:00 MSK")
    assert told in why and en("why-nothing", target="user0@acme0.test") not in why, why

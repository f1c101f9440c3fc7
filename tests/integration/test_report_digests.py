"""Digests on real PostgreSQL and Redis: two workers running the cron at once queue one daily digest per
workspace and day (and on Monday one weekly report), in the workspace's language, to the chats bound for reports
only; the digest names yesterday's numbers, monitoring's actions and pending approvals."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from arq.connections import ArqRedis, RedisSettings, create_pool
from redis.asyncio import Redis

from engine.clock import FrozenClock
from engine.i18n import translator
from engine.notify import Notification
from engine.reply import Reply
from engine.reports.digest import daily, weekly
from engine.reports.period import Period, previous_week
from engine.stats import StatRow, upsert_daily_stats
from jobs import worker
from models import Alert, Approval, AuditLog, Campaign, ChatBinding, Domain, Mailbox, Workspace
from models.enums import (
    AlertStatus,
    ApprovalKind,
    ApprovalStatus,
    MailProvider,
    Platform,
    Severity,
    StatScope,
    TlsMode,
)
from tests.conftest import REDIS_URL
from tests.harness.pacing import deliver_paced

pytestmark = pytest.mark.usefixtures("orm")

TG = Platform.TELEGRAM
MONDAY_9_MSK = dt.datetime(2026, 11, 16, 6, 0, tzinfo=dt.UTC)  # Monday 09:00 in Moscow
SUNDAY = dt.date(2026, 11, 15)
RU = translator("ru")
EN = translator("en")


class RecordingNotifier:
    def __init__(self) -> None:
        self.platform = TG
        self.sent: list[tuple[str, Reply]] = []

    async def send(self, chat_id: str, reply: Reply) -> str:
        self.sent.append((chat_id, reply))
        return str(len(self.sent))


async def queued(pool: ArqRedis) -> list[Notification]:
    jobs = await pool.queued_jobs()
    return sorted(
        (Notification.from_dict(j.args[0]) for j in jobs if j.function == "deliver_notification"), key=lambda n: n.id
    )


async def deliver_queued(clock: FrozenClock, redis: Redis) -> tuple[list[Notification], RecordingNotifier]:
    """The notifications the report jobs queued, each delivered twice (a retried job: nothing may go twice)."""
    pool = await create_pool(RedisSettings.from_dsn(REDIS_URL))
    try:
        items = await queued(pool)
    finally:
        await pool.aclose()
    notifier = RecordingNotifier()
    for item in items:
        await deliver_paced(item, {TG: notifier}, redis, clock)
        await deliver_paced(item, {TG: notifier}, redis, clock)
    return items, notifier


async def run_workers(clock: FrozenClock, n: int = 2) -> int:
    """`n` workers run the cron at the same moment, each with its own connections."""
    pools = [await create_pool(RedisSettings.from_dsn(REDIS_URL)) for _ in range(n)]
    try:
        ctxs: list[dict[str, Any]] = [{"clock": clock, "redis": p} for p in pools]
        return sum(await asyncio.gather(*(worker.send_reports(c) for c in ctxs)))
    finally:
        for p in pools:
            await p.aclose()


async def test_one_digest_per_day_with_two_workers(redis: Redis) -> None:
    acme = await Workspace.create(slug="acme", name="ACME", timezone="Europe/Moscow", locale="ru")
    beta = await Workspace.create(slug="beta", name="BETA", timezone="Europe/Moscow", locale="en")
    quiet = await Workspace.create(slug="quiet", name="QUIET", timezone="Europe/Moscow")  # no report chat
    await ChatBinding.create(workspace=acme, platform=TG, chat_id="acme-reports", purposes=["reports"])
    await ChatBinding.create(workspace=acme, platform=TG, chat_id="acme-alerts", purposes=["alerts"])
    await ChatBinding.create(workspace=beta, platform=TG, chat_id="beta-client", purposes=["reports", "alerts"])
    rows = [
        StatRow(acme.id, StatScope.WORKSPACE, acme.id, SUNDAY, {"sent": 120, "replies": 6}),
        StatRow(acme.id, StatScope.WORKSPACE, acme.id, SUNDAY - dt.timedelta(days=2), {"sent": 80, "replies": 2}),
        StatRow(beta.id, StatScope.WORKSPACE, beta.id, SUNDAY, {"sent": 10}),
        StatRow(quiet.id, StatScope.WORKSPACE, quiet.id, SUNDAY, {"sent": 10}),
    ]
    await upsert_daily_stats(rows)
    sunday_noon = dt.datetime(2026, 11, 15, 9, 0, tzinfo=dt.UTC)
    old = await Domain.create(workspace=acme, name="old.test")
    noon = sunday_noon
    await AuditLog.create(workspace=acme, action="monitoring.cooldown", subject="anna@acme.test", created_at=noon)
    await AuditLog.create(workspace=acme, action="domain.swap", subject=f"domain:{old.id}", created_at=sunday_noon)
    await AuditLog.create(workspace=acme, action="warmup.pause", subject="x", created_at=sunday_noon)  # not an action
    await AuditLog.create(  # Monday 01:00 in Moscow: today, not yesterday
        workspace=acme,
        action="monitoring.pause",
        subject="acme",
        created_at=dt.datetime(2026, 11, 15, 22, 0, tzinfo=dt.UTC),
    )
    await Approval.create(
        workspace=acme, kind=ApprovalKind.DOMAIN_SWAP, subject="old.test", requested_at=sunday_noon,
        expires_at=sunday_noon + dt.timedelta(days=2),
    )  # fmt: skip

    early = FrozenClock(MONDAY_9_MSK - dt.timedelta(hours=2))  # 07:00 in Moscow: not yet
    assert await run_workers(early) == 0

    clock = FrozenClock(MONDAY_9_MSK)
    assert await run_workers(clock) == 4  # daily + weekly for acme and beta, whichever worker claimed them
    assert await run_workers(clock) == 0  # the next hour's run: already sent
    items, notifier = await deliver_queued(clock, redis)
    assert [n.id for n in items] == [
        f"mailfleet:report:daily:{acme.id}:2026-11-15",
        f"mailfleet:report:daily:{beta.id}:2026-11-15",
        f"mailfleet:report:weekly:{acme.id}:2026-11-09",
        f"mailfleet:report:weekly:{beta.id}:2026-11-09",
    ]

    chats = [c for c, _ in notifier.sent]
    assert chats == ["acme-reports", "beta-client", "acme-reports", "beta-client"]

    acme_daily = "\n".join(b.text for b in notifier.sent[0][1].blocks)
    assert RU("digest-daily-title", subject="ACME", day="2026-11-15") in acme_daily  # the workspace's language
    assert RU("digest-sent", sent=120, warmup=0, replies=6) in acme_daily
    assert RU("digest-actions-title", count=2) in acme_daily
    assert RU("digest-action-monitoring-cooldown", subject="anna@acme.test") in acme_daily
    assert RU("digest-action-domain-swap", subject="old.test") in acme_daily
    assert RU("digest-action-monitoring-pause") not in acme_daily  # Monday's, in Moscow
    assert RU("digest-approvals", count=1) in acme_daily
    beta_weekly = "\n".join(b.text for b in notifier.sent[3][1].blocks)
    assert EN("digest-weekly-title", subject="BETA", start="2026-11-09", end="2026-11-15") in beta_weekly
    acme_weekly = "\n".join(b.text for b in notifier.sent[2][1].blocks)
    assert "200" in acme_weekly  # the whole week: 120 + 80

    tuesday = FrozenClock(MONDAY_9_MSK + dt.timedelta(days=1))
    assert await run_workers(tuesday) == 2  # the next day's daily digests; no weekly on a Tuesday


async def test_the_digest_names_the_actions_taken_in_words() -> None:
    """Monitoring writes its actions with keys (`monitoring.cut` on `mailbox:12`, `domain.swap` on `domain:3`):
    the Russian digest read '• monitoring.cut mailbox:12'. It now says what was done to which mailbox or domain,
    in the workspace's language, and a manager's threshold change is not a measure monitoring took."""
    acme = await Workspace.create(slug="acme", name="ACME", timezone="Europe/Moscow", locale="ru")
    domain = await Domain.create(workspace=acme, name="xn--e1afmkfd.xn--p1ai")  # пример.рф
    box = await Mailbox.create(
        workspace=acme, domain=domain, address="anna@xn--e1afmkfd.xn--p1ai", provider=MailProvider.GENERIC,
        smtp_host="127.0.0.1", smtp_port=25, smtp_tls=TlsMode.PLAIN, imap_host="127.0.0.1", imap_port=143,
        imap_tls=TlsMode.PLAIN, username="anna", secret_enc=b"x",
    )  # fmt: skip
    noon = dt.datetime(2026, 11, 15, 9, 0, tzinfo=dt.UTC)
    for action, subject in (
        ("monitoring.cut", f"mailbox:{box.id}"),
        ("monitoring.cooldown", f"mailbox:{box.id}"),
        ("domain.swap", f"domain:{domain.id}"),
        ("monitoring.threshold", f"workspace:{acme.id}"),  # a manager's setting, not a measure
    ):
        await AuditLog.create(workspace=acme, action=action, subject=subject, created_at=noon)
    item = await daily(acme, Period(SUNDAY, SUNDAY, "yesterday"))
    body = item.params["body"]
    assert RU("digest-actions-title", count=3) in body
    for key, name in (
        ("digest-action-monitoring-cut", "anna@пример.рф"),
        ("digest-action-monitoring-cooldown", "anna@пример.рф"),
        ("digest-action-domain-swap", "пример.рф"),
    ):
        assert RU(key, subject=name) in body
    assert "monitoring." not in body and "mailbox:" not in body and "domain:" not in body
    assert "xn--" not in body  # the domain, and the mailbox's, as people read them


async def test_the_digest_says_how_many_sends_were_warmup_as_the_report_does() -> None:
    """A client whose campaign sent 20 emails beside 500 warmup messages read 'Отправлено: 520' in the digest
    while /report said '520 (из них прогрев 500)' and the campaign's CSV 20: the digest says the warmup share too."""
    acme = await Workspace.create(slug="acme", name="ACME", timezone="Europe/Moscow", locale="ru")
    await upsert_daily_stats(
        [StatRow(acme.id, StatScope.WORKSPACE, acme.id, SUNDAY, {"sent": 520, "warmup_sent": 500, "replies": 2})]
    )
    item = await daily(acme, Period(SUNDAY, SUNDAY, "yesterday"))
    assert RU("digest-sent", sent=520, warmup=500, replies=2) in item.params["body"]
    assert "(из них прогрев 500)" in item.params["body"]


async def test_the_digests_judge_bounces_from_the_rules_minimum_as_health_does() -> None:
    """The digests said 'отказы 8 % (2 из 25)' while protection needs 40 sends to judge hard bounces: below the
    rules' minimum the weekly report says there are too few sends, never a rate or 0 %, and the daily digest does
    not name a domain among the worst for it; from the minimum on both give the rate, a worst line its hard-bounce
    and block rates (soft bounces, which no rule judges, name no domain)."""
    few = await Workspace.create(slug="few", name="FEW", timezone="Europe/Moscow", locale="ru")
    enough = await Workspace.create(slug="enough", name="ENOUGH", timezone="Europe/Moscow", locale="en")
    small = await Domain.create(workspace=few, name="small.test")
    big = await Domain.create(workspace=enough, name="big.test")
    soft = await Domain.create(workspace=enough, name="soft.test")
    await upsert_daily_stats(
        [
            StatRow(few.id, StatScope.WORKSPACE, few.id, SUNDAY, {"sent": 25, "bounces_hard": 2}),
            StatRow(few.id, StatScope.DOMAIN, small.id, SUNDAY, {"sent": 25, "bounces_hard": 2}),
            StatRow(enough.id, StatScope.WORKSPACE, enough.id, SUNDAY, {"sent": 45, "bounces_hard": 3}),
            StatRow(enough.id, StatScope.DOMAIN, big.id, SUNDAY, {"sent": 45, "bounces_hard": 3}),
            StatRow(enough.id, StatScope.DOMAIN, soft.id, SUNDAY, {"sent": 45, "bounces_soft": 9}),
        ]
    )
    yesterday = Period(SUNDAY, SUNDAY, "yesterday")
    week = previous_week(SUNDAY + dt.timedelta(days=1))

    low = (await weekly(few, week)).params["body"]
    assert f"Жёсткие отказы: {RU('report-too-few', sample=25, needed=40)}" in low
    assert f"Блокировки: {RU('report-too-few', sample=25, needed=40)}" in low
    assert "%" not in low.split("Жёсткие отказы")[1]  # neither 8 % of bounces nor 0 % of blocks (replies count from 20)
    day = (await daily(few, yesterday)).params["body"]
    assert "small.test" not in day and "%" not in day and RU("digest-no-problems") in day

    judged = (await weekly(enough, week)).params["body"]
    assert "Hard bounces: 6.7 % (3 of 45)" in judged and "Blocks: 0 % (0 of 45)" in judged
    day = (await daily(enough, yesterday)).params["body"]
    assert "• domain big.test: hard bounces 6.7 % (3 of 45) · blocks 0 % (0 of 45)" in day
    assert "soft.test" not in day  # soft bounces only: no rule judges them, so not among the worst


async def test_the_weekly_report_is_written_for_the_client_and_the_digest_for_the_managers() -> None:
    """The weekly client report was /report's text: a client read the worst mailboxes of their pool, the open
    alerts and the cooldowns, and not how each of their campaigns did. It now gives the numbers and a line for
    each campaign that sent that week; the fleet's internals stay in the managers' daily digest."""
    acme = await Workspace.create(slug="acme", name="ACME", timezone="Europe/Moscow", locale="en")
    burned = await Domain.create(workspace=acme, name="burned.test")
    spring = await Campaign.create(workspace=acme, name="Spring", window_start=dt.time(9), window_end=dt.time(18))
    quiet = await Campaign.create(workspace=acme, name="Quiet", window_start=dt.time(9), window_end=dt.time(18))
    await Alert.create(
        workspace=acme, kind="bounce_spike", severity=Severity.WARNING, subject=f"domain:{burned.id}",
        fingerprint="a" * 64, status=AlertStatus.OPEN, first_seen=MONDAY_9_MSK, last_seen=MONDAY_9_MSK,
    )  # fmt: skip
    await upsert_daily_stats(
        [
            StatRow(acme.id, StatScope.WORKSPACE, acme.id, SUNDAY, {"sent": 60, "bounces_hard": 6, "replies": 3}),
            StatRow(acme.id, StatScope.DOMAIN, burned.id, SUNDAY, {"sent": 60, "bounces_hard": 6}),
            StatRow(
                acme.id,
                StatScope.CAMPAIGN,
                spring.id,
                SUNDAY,
                {"sent": 60, "bounces_hard": 6, "replies": 3, "unsubscribes": 1},
            ),
            StatRow(acme.id, StatScope.CAMPAIGN, quiet.id, SUNDAY - dt.timedelta(days=9), {"sent": 5}),  # a week before
        ]
    )
    week = previous_week(SUNDAY + dt.timedelta(days=1))
    body = (await weekly(acme, week)).params["body"]
    assert EN("report-campaigns-title", count=1) in body
    assert "• Spring: sent 60 · replies 5 % (3 of 60) · hard bounces 10 % (6 of 60) · unsubscribes 1" in body, body
    assert "Quiet" not in body
    for internal in ("burned.test", EN("report-problems-title"), EN("report-alerts-title", count=1)):
        assert internal not in body
    day = (await daily(acme, Period(SUNDAY, SUNDAY, "yesterday"))).params["body"]
    assert "burned.test" in day and EN("report-alerts-title", count=1) in day  # the managers still read them


async def test_the_weekly_campaign_lines_add_up_to_the_workspaces_replies_and_unsubscribes() -> None:
    """A campaign that finished sending the week before got 2 replies and an opt-out this week: the client's
    report counted them in the workspace ("Replies 5") but named only the campaigns that sent, whose lines added
    up to 3. The quiet campaign gets a line with its late answers now (ru, en)."""
    acme = await Workspace.create(slug="acme", name="ACME", timezone="Europe/Moscow", locale="en")
    spring = await Campaign.create(workspace=acme, name="Spring", window_start=dt.time(9), window_end=dt.time(18))
    done = await Campaign.create(workspace=acme, name="Done", window_start=dt.time(9), window_end=dt.time(18))
    await upsert_daily_stats(
        [
            StatRow(acme.id, StatScope.WORKSPACE, acme.id, SUNDAY, {"sent": 60, "replies": 5, "unsubscribes": 1}),
            StatRow(acme.id, StatScope.CAMPAIGN, spring.id, SUNDAY, {"sent": 60, "replies": 3}),
            StatRow(acme.id, StatScope.CAMPAIGN, done.id, SUNDAY, {"replies": 2, "unsubscribes": 1}),
        ]
    )
    week = previous_week(SUNDAY + dt.timedelta(days=1))
    body = (await weekly(acme, week)).params["body"]
    assert EN("report-campaigns-title", count=2) in body, body
    assert (
        "• Done: sent nothing in the week; answers to earlier mail: replies 2 · hard bounces 0 · unsubscribes 1" in body
    )
    await Workspace.filter(id=acme.id).update(locale="ru")
    ru = (await weekly(await Workspace.get(id=acme.id), week)).params["body"]
    assert "• Done: за неделю не отправляла; ответы на прежние письма: ответы 2 · жёсткие отказы 0 · отписки 1" in ru


async def test_a_clients_chat_gets_the_weekly_report_only(redis: Redis) -> None:
    """An agency bound its client's chat for reports, and every morning the client read the managers' digest
    (mailboxes in cooldown, monitoring's actions, approvals waiting). A chat bound `client` gets the weekly client
    report only; the managers' report chat gets both; a workspace with only a client's chat gets its weekly report,
    and no chat gets anything twice when the jobs are retried."""
    acme = await Workspace.create(slug="acme", name="ACME", timezone="Europe/Moscow", locale="ru")
    solo = await Workspace.create(slug="solo", name="SOLO", timezone="Europe/Moscow", locale="en")
    await ChatBinding.create(workspace=acme, platform=TG, chat_id="acme-reports", purposes=["reports"])
    await ChatBinding.create(workspace=acme, platform=TG, chat_id="acme-client", purposes=["client"])
    await ChatBinding.create(workspace=solo, platform=TG, chat_id="solo-client", purposes=["client"])
    await upsert_daily_stats([StatRow(acme.id, StatScope.WORKSPACE, acme.id, SUNDAY, {"sent": 120, "replies": 6})])

    clock = FrozenClock(MONDAY_9_MSK)
    assert await run_workers(clock) == 3  # acme's daily and weekly, solo's weekly
    items, notifier = await deliver_queued(clock, redis)
    assert [n.id for n in items] == [
        f"mailfleet:report:daily:{acme.id}:2026-11-15",
        f"mailfleet:report:weekly:{acme.id}:2026-11-09",
        f"mailfleet:report:weekly:{solo.id}:2026-11-09",
    ]
    titles = [(chat, reply.blocks[0].text) for chat, reply in notifier.sent]
    daily_title = RU("digest-daily-title", subject="ACME", day="2026-11-15")
    acme_weekly = RU("digest-weekly-title", subject="ACME", start="2026-11-09", end="2026-11-15")
    solo_weekly = EN("digest-weekly-title", subject="SOLO", start="2026-11-09", end="2026-11-15")
    assert sorted(titles) == sorted(  # in whatever order the chats' rate limits let them out
        [
            ("acme-reports", daily_title),
            ("acme-reports", acme_weekly),
            ("acme-client", acme_weekly),
            ("solo-client", solo_weekly),
        ]
    )

    tuesday = FrozenClock(MONDAY_9_MSK + dt.timedelta(days=1))
    assert await run_workers(tuesday) == 1  # acme's daily only: a client's chat alone wants no daily digest


async def test_the_first_weekly_report_of_a_workspace_set_up_midweek_says_of_how_many_days_it_is() -> None:
    """A client set up on Thursday got on Monday 'Weekly report: 9–15 November' with four days' numbers and
    nothing said, read as a poor week; one set up that Monday morning got a week of zeros and 'not enough data'.
    The report says when the workspace started, as /report does (ru, en)."""
    acme = await Workspace.create(slug="acme", name="ACME", timezone="Europe/Moscow", locale="en")
    thursday = SUNDAY - dt.timedelta(days=3)
    await Workspace.filter(id=acme.id).update(created_at=dt.datetime(2026, 11, 11, 22, 30, tzinfo=dt.UTC))  # Thu MSK
    await upsert_daily_stats([StatRow(acme.id, StatScope.WORKSPACE, acme.id, SUNDAY, {"sent": 60, "replies": 3})])
    week = previous_week(SUNDAY + dt.timedelta(days=1))
    body = (await weekly(await Workspace.get(id=acme.id), week)).params["body"]
    assert f"The workspace started on {thursday}: the numbers are of its 4 days in the period." in body, body
    await Workspace.filter(id=acme.id).update(locale="ru")
    ru = (await weekly(await Workspace.get(id=acme.id), week)).params["body"]
    assert f"Пространство начало работу {thursday}: цифры — за 4 дня периода." in ru, ru

    fresh = await Workspace.create(slug="fresh", name="Fresh", timezone="Europe/Moscow", locale="en")
    await Workspace.filter(id=fresh.id).update(created_at=MONDAY_9_MSK - dt.timedelta(hours=2))
    body = (await weekly(await Workspace.get(id=fresh.id), week)).params["body"]
    assert body == f"No numbers for this period: the workspace started on {SUNDAY + dt.timedelta(days=1)}.", body


async def test_a_campaigns_complaint_is_named_on_its_line_of_the_weekly_report() -> None:
    """A recipient of a finished campaign marked its mail as spam: the client's report said 'complaints: 1' in
    the workspace's numbers and gave the campaign a line of zeros ('replies 0 · hard bounces 0 · unsubscribes 0'),
    so nobody could tell which campaign drew it. The campaign's line names its complaints, when it has any."""
    acme = await Workspace.create(slug="acme", name="ACME", timezone="Europe/Moscow", locale="en")
    spring = await Campaign.create(workspace=acme, name="Spring", window_start=dt.time(9), window_end=dt.time(18))
    done = await Campaign.create(workspace=acme, name="Done", window_start=dt.time(9), window_end=dt.time(18))
    await upsert_daily_stats(
        [
            StatRow(acme.id, StatScope.WORKSPACE, acme.id, SUNDAY, {"sent": 60, "replies": 3, "complaints": 2}),
            StatRow(acme.id, StatScope.CAMPAIGN, spring.id, SUNDAY, {"sent": 60, "replies": 3, "complaints": 1}),
            StatRow(acme.id, StatScope.CAMPAIGN, done.id, SUNDAY, {"complaints": 1}),
        ]
    )
    week = previous_week(SUNDAY + dt.timedelta(days=1))
    body = (await weekly(acme, week)).params["body"]
    late = "• Done: sent nothing in the week; answers to earlier mail: replies 0 · hard bounces 0 · unsubscribes 0"
    assert f"{late} · complaints 1\n" in body, body
    assert "· unsubscribes 0 · complaints 1" in body.split("• Spring")[1]
    await Workspace.filter(id=acme.id).update(locale="ru")
    ru = (await weekly(await Workspace.get(id=acme.id), week)).params["body"]
    assert "отписки 0 · жалобы 1" in ru.split("• Done")[1]


async def test_a_day_with_a_blocklisting_a_cooling_and_a_swap_is_not_said_to_have_had_no_problems() -> None:
    """The demo's digest of the day a domain was blocklisted, cooled and swapped for a reserve read 'No problems.'
    (the alert resolved by the swap before the digest, the burned domain retired, nothing in cooldown), then
    'Actions taken: 1'. The day's alerts are named with what became of them, the cooling and the request decided."""
    acme = await Workspace.create(slug="acme", name="ACME", timezone="Europe/Moscow", locale="en")
    burned = await Domain.create(workspace=acme, name="burned.test")
    other = await Domain.create(workspace=acme, name="other.test")
    noon = dt.datetime(2026, 11, 15, 9, 0, tzinfo=dt.UTC)
    saturday = noon - dt.timedelta(days=1)

    async def alert(kind: str, subject: str, first: dt.datetime, resolved: dt.datetime | None, **data: Any) -> None:
        await Alert.create(
            workspace=acme, kind=kind, severity=Severity.CRITICAL, subject=subject,
            fingerprint=f"{kind}{subject}{first}", status=AlertStatus.RESOLVED if resolved else AlertStatus.OPEN,
            data=data, first_seen=first, last_seen=first, resolved_at=resolved,
        )  # fmt: skip

    await alert("blacklist_listed", f"domain:{burned.id}", noon, noon + dt.timedelta(hours=1), zone="dbl.test")
    await alert("reserve_empty", f"workspace:{acme.id}", saturday, noon)  # raised the day before, resolved that day
    await alert("dns_drift", f"domain:{other.id}", saturday, saturday)  # another day's: not named
    await AuditLog.create(
        workspace=acme, action="domain.transition", subject=f"domain:{burned.id}", created_at=noon,
        data={"from": "active", "to": "cooling", "reason": "listed"},
    )  # fmt: skip
    await AuditLog.create(
        workspace=acme, action="domain.transition", subject=f"domain:{burned.id}", created_at=noon,
        data={"from": "burned", "to": "retired", "reason": "swap:1"},
    )  # fmt: skip
    await AuditLog.create(workspace=acme, action="domain.swap", subject=f"domain:{burned.id}", created_at=noon)
    await Approval.create(
        workspace=acme, kind=ApprovalKind.DOMAIN_SWAP, subject=f"domain:{burned.id}", requested_at=noon,
        expires_at=noon + dt.timedelta(days=2), status=ApprovalStatus.APPLIED, decided_at=noon,
    )  # fmt: skip
    body = (await daily(acme, Period(SUNDAY, SUNDAY, "yesterday"))).params["body"]
    assert EN("digest-no-problems") not in body, body  # the demo's day: nothing open or cooling by the morning
    await alert("dns_drift", f"domain:{other.id}", noon, None)  # raised that day, still open
    body = (await daily(acme, Period(SUNDAY, SUNDAY, "yesterday"))).params["body"]
    assert EN("digest-alerts-title", count=3) in body, body
    assert "• blocklisted: burned.test (dbl.test) — raised and resolved" in body, body
    assert "— raised, still open" in body and "— resolved" in body, body
    assert EN("digest-actions-title", count=2) in body  # the cooling and the swap; the retirement is the swap's
    assert EN("digest-action-domain-cooling", subject="burned.test") in body
    assert EN("digest-action-domain-swap", subject="burned.test") in body
    assert EN("digest-decided", count=1, approved=1, rejected=0) in body
    ru = await Workspace.create(slug="quiet", name="QUIET", timezone="Europe/Moscow", locale="ru")
    quiet = (await daily(ru, Period(SUNDAY, SUNDAY, "yesterday"))).params["body"]
    assert RU("digest-no-problems") in quiet  # a day with nothing at all still says so
    acme.locale = "ru"
    russian = (await daily(acme, Period(SUNDAY, SUNDAY, "yesterday"))).params["body"]
    assert RU("digest-alerts-title", count=3) in russian and "возникла и решена" in russian, russian

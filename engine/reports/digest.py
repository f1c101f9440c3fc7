"""The daily digest of each workspace (yesterday: sends, replies, problems, the actions monitoring and swaps took,
pending approvals) for the managers' chats bound for reports, and the weekly client report (Monday: last week) for
those and the client's chats (bound `client`, which get nothing else), in the workspace's language. The weekly
report is written for the client: the workspace's numbers and each campaign's that sent that week; the fleet's
internals (the worst mailboxes and domains, open alerts, cooldowns) are the managers' (the digest, `/report`).

`due` is called by a cron on every worker: a digest is built, then claimed with a Redis key per (kind,
workspace, day) set only if absent, so it goes out once however many workers run; the notification id is the
same key, and `engine.notify.deliver` records one delivery per id and chat, so a retried job sends nothing twice.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from redis.asyncio import Redis
from tortoise.expressions import Q

from engine.alert_names import kind_label, part_of, subject_names
from engine.clock import Clock
from engine.clock import zone_or_utc as zone
from engine.i18n import Translator, shorten, translator
from engine.monitoring.metrics import Minimums
from engine.monitoring.service import minimums_of
from engine.notify import Notification
from engine.people import chats_for
from engine.reports import text
from engine.reports.period import Period, previous_week
from engine.reports.service import PROBLEMS_SHOWN, Report, first_day, problems, summary
from models import Alert, Approval, AuditLog, Campaign, DailyStat, Workspace
from models.enums import AlertStatus, ApprovalStatus, ChatPurpose, StatScope

DAILY_FROM_HOUR: Final = 8
"""The local hour from which yesterday's digest goes out (a cron runs hourly; the claim keeps it to once)."""
CLAIM_KEY: Final = "mailfleet:report:{kind}:{workspace}:{day}"
CLAIM_TTL_S: Final = 8 * 86_400  # longer than a week: a weekly claim outlives the week it is about
BODY_MAX_CHARS: Final = 1900  # a notification parameter is cut at 2,000 characters (engine.i18n)
CAMPAIGNS_SHOWN: Final = 10  # campaigns named in the weekly report; the rest counted
ACTIONS: Final = (
    "monitoring.cooldown",
    "monitoring.return",
    "monitoring.cut",
    "monitoring.restore",
    "monitoring.disable",
    "monitoring.pause",
    "monitoring.resume",
    "domain.swap",
)
"""The audit entries a digest counts as measures taken (monitoring's, a resume, a swap), each said in words
(`digest-action-<action with - for .>`); a setting changed by hand (`monitoring.threshold`) is not one. A domain
put to cooling (a blocklist listing, a manager's pause) is one too: its transition (`digest-action-domain-cooling`)."""
COOLING: Final = Q(action="domain.transition", data__contains={"to": "cooling"})
DECIDED: Final = {
    ApprovalStatus.APPROVED: "approved",
    ApprovalStatus.APPLIED: "approved",
    ApprovalStatus.REJECTED: "rejected",
}
"""How the digest counts the requests people decided that day: an approved request carried out (`applied`) is
approved; one left to expire was decided by nobody."""


def claim_key(kind: str, workspace_id: int, day: dt.date) -> str:
    return CLAIM_KEY.format(kind=kind, workspace=workspace_id, day=day.isoformat())


async def due(clock: Clock, redis: Redis) -> list[Notification]:
    """The digests due now, each claimed (returned by one caller only, ever)."""
    now = clock.now()
    found: list[Notification] = []
    for space in await Workspace.filter(archived_at=None).order_by("id"):
        local = now.astimezone(zone(space.timezone))
        if local.hour < DAILY_FROM_HOUR or not await chats_for(space.id, ChatPurpose.CLIENT):
            continue  # no chat for reports at all (the weekly one reaches the most chats)
        today = local.date()
        yesterday = Period(today - dt.timedelta(days=1), today - dt.timedelta(days=1), "yesterday")
        key = claim_key("daily", space.id, yesterday.start)
        if await chats_for(space.id, ChatPurpose.REPORTS) and not await redis.exists(key):
            item = await daily(space, yesterday)
            if await redis.set(key, "1", nx=True, ex=CLAIM_TTL_S):
                found.append(item)
        if today.weekday() == 0:
            week = previous_week(today)
            key = claim_key("weekly", space.id, week.start)
            if not await redis.exists(key):
                item = await weekly(space, week)
                if await redis.set(key, "1", nx=True, ex=CLAIM_TTL_S):
                    found.append(item)
    return found


async def _report(space: Workspace, period: Period) -> Report:
    least = await minimums_of(space.settings)  # as the rules, /health and /report judge
    result = await summary(space.id, period.start, period.end, minimums=least)
    found = await problems(space.id, period, least)
    return Report(space.name, result.scope, period, result, *found, timezone=space.timezone)


def _bounds(space: Workspace, period: Period) -> tuple[dt.datetime, dt.datetime]:
    """The period's days as UTC instants [start, end) in the workspace's time zone."""
    tz = zone(space.timezone)
    start = dt.datetime.combine(period.start, dt.time(), tz)
    end = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time(), tz)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


async def actions_taken(space: Workspace, period: Period) -> tuple[int, list[tuple[str, str]]]:
    """Monitoring's actions and the swaps of the period: how many, and the latest few (action, the name of its
    subject: `mailbox:12` is its address, `domain:3` its name as people read it)."""
    start, end = _bounds(space, period)
    rows = AuditLog.filter(
        Q(action__in=ACTIONS) | COOLING, workspace_id=space.id, created_at__gte=start, created_at__lt=end
    )
    count = await rows.count()
    latest = await rows.order_by("-created_at", "-id").limit(PROBLEMS_SHOWN).values_list("action", "subject")
    names = await subject_names(str(s) for _, s in latest)
    said = {"domain.transition": "domain.cooling"}  # only cooling ones are selected
    return count, [(said.get(str(a), str(a)), names[str(s)]) for a, s in latest]


async def alerts_of(space: Workspace, period: Period) -> tuple[int, list[tuple[str, str, str]]]:
    """The workspace's alerts opened or resolved in the period, whatever became of them since: how many, and the
    latest few (kind, subject as people read it, what happened: `opened` and still open, `opened-resolved` —
    opened and resolved since — or `resolved`, opened before the period)."""
    start, end = _bounds(space, period)
    rows = Alert.filter(
        Q(first_seen__gte=start, first_seen__lt=end) | Q(resolved_at__gte=start, resolved_at__lt=end),
        workspace_id=space.id,
    )
    count = await rows.count()
    latest = await rows.order_by("-last_seen", "-id").limit(PROBLEMS_SHOWN)
    names = await subject_names(a.subject for a in latest)
    found: list[tuple[str, str, str]] = []
    for a in latest:
        name = f"{names[a.subject]} ({part})" if (part := part_of(a.kind, a.data or {})) else names[a.subject]
        if a.first_seen < start:
            state = "resolved"
        else:
            state = "opened-resolved" if a.status is AlertStatus.RESOLVED else "opened"
        found.append((a.kind, name, state))
    return count, found


async def decisions(space: Workspace, period: Period) -> dict[str, int]:
    """The requests people decided in the period, by outcome (approved, rejected)."""
    start, end = _bounds(space, period)
    outcomes = await Approval.filter(
        workspace_id=space.id, decided_at__gte=start, decided_at__lt=end, status__in=list(DECIDED)
    ).values_list("status", flat=True)
    counted = dict.fromkeys(("approved", "rejected"), 0)
    for status in outcomes:
        counted[DECIDED[ApprovalStatus(str(status))]] += 1
    return counted


async def daily(space: Workspace, day: Period) -> Notification:
    t = translator(space.locale)
    rep = await _report(space, day)
    count, latest = await actions_taken(space, day)
    alert_count, alerts = await alerts_of(space, day)
    decided = await decisions(space, day)
    pending = await Approval.filter(workspace_id=space.id, status=ApprovalStatus.PENDING).count()
    c = rep.summary.counts
    sections = [t("digest-sent", sent=c.sent, warmup=c.warmup_sent, replies=c.replies)]  # as /report counts them
    sections += text.body(t, rep)[1:]
    if alert_count:
        sections.append(_alerts(t, alert_count, alerts))
    if count:
        sections.append(_actions(t, count, latest))
    if any(decided.values()):
        sections.append(t("digest-decided", count=sum(decided.values()), **decided))
    if pending:
        sections.append(t("digest-approvals", count=pending))
    if len(sections) == 1:  # nothing happened that a manager should hear of: not said over a day that had some
        sections.append(t("digest-no-problems"))
    return Notification(
        id=claim_key("daily", space.id, day.start),
        workspace_id=space.id,
        purpose=ChatPurpose.REPORTS,
        title_key="digest-daily-title",
        body_key="digest-body",
        params={"subject": space.name, "day": day.start.isoformat(), "body": _join(sections)},
    )


async def weekly(space: Workspace, week: Period) -> Notification:
    t = translator(space.locale)
    least = await minimums_of(space.settings)
    result = await summary(space.id, week.start, week.end, minimums=least)
    today = week.end + dt.timedelta(days=1)  # the Monday it goes out: a workspace set up then has no week yet
    since = await first_day(
        space.id, StatScope.WORKSPACE, space.id, created_at=space.created_at, timezone=space.timezone, today=today
    )  # a workspace set up midweek: its numbers are of its days, as /report says
    rep = Report(
        space.name, result.scope, week, result, timezone=space.timezone, since=since
    )  # no problems: not the client's
    sections = text.body(t, rep)
    campaigns = await _campaign_lines(t, space, week, least)
    if campaigns:
        sections.append("\n".join(campaigns))
    return Notification(
        id=claim_key("weekly", space.id, week.start),
        workspace_id=space.id,
        purpose=ChatPurpose.CLIENT,  # the client's chats and the managers' report chats, each once
        title_key="digest-weekly-title",
        body_key="digest-body",
        params={
            "subject": space.name,
            "start": week.start.isoformat(),
            "end": week.end.isoformat(),
            "body": _join(sections),
        },
    )


async def _campaign_lines(t: Translator, space: Workspace, week: Period, least: Minimums) -> list[str]:
    """A title and a line for each campaign that sent in `week` or heard back in it (by name, at most
    `CAMPAIGNS_SHOWN`): its sends, replies, hard bounces (judged from the rules' minimum), unsubscribes and any
    complaints; nothing when none did. A campaign that finished sending the week before still gets its late
    replies and opt-outs named — the workspace's totals above count them, and the lines must add up to them."""
    heard = Q(sent__gt=0) | Q(replies__gt=0) | Q(bounces_hard__gt=0) | Q(unsubscribes__gt=0) | Q(complaints__gt=0)
    ids = (
        await DailyStat.filter(
            heard, workspace_id=space.id, scope=StatScope.CAMPAIGN, day__gte=week.start, day__lte=week.end
        )
        .distinct()
        .values_list("scope_id", flat=True)
    )
    found = await Campaign.filter(workspace_id=space.id, id__in=list(ids)).order_by("name", "id")
    lines = [t("report-campaigns-title", count=len(found))]
    for campaign in found[:CAMPAIGNS_SHOWN]:
        s = await summary(
            space.id, week.start, week.end, scope=StatScope.CAMPAIGN, scope_id=campaign.id, minimums=least
        )
        if not s.counts.sent:  # late answers to the mail of earlier weeks: counts, not a rate of no sends
            lines.append(
                t(
                    "report-campaign-line-late",
                    name=shorten(campaign.name, text.SUBJECT_MAX_CHARS),
                    replies=s.counts.replies,
                    bounces=s.counts.bounces_hard,
                    unsubscribes=s.counts.unsubscribes,
                    complaints=s.counts.complaints,
                )
            )
            continue
        lines.append(
            t(
                "report-campaign-line",
                name=shorten(campaign.name, text.SUBJECT_MAX_CHARS),
                sent=s.counts.sent,
                replies=text.rate_text(t, s.metrics.reply_rate),
                bounces=text.rate_text(t, s.metrics.hard_bounce_rate, judged=True),
                unsubscribes=s.counts.unsubscribes,
                complaints=s.counts.complaints,  # a spam report: named where it happened, only when there is one
            )
        )
    if len(found) > CAMPAIGNS_SHOWN:
        lines.append(t("report-more", count=len(found) - CAMPAIGNS_SHOWN))
    return lines if found else []


def _alerts(t: Translator, count: int, latest: list[tuple[str, str, str]]) -> str:
    lines = [
        t("digest-alert-line", kind=kind_label(t, k), subject=shorten(s, text.SUBJECT_MAX_CHARS), state=state)
        for k, s, state in latest
    ]
    if count > len(latest):
        lines.append(t("report-more", count=count - len(latest)))
    return "\n".join([t("digest-alerts-title", count=count), *lines])


def _actions(t: Translator, count: int, latest: list[tuple[str, str]]) -> str:
    lines = [t("digest-action-" + a.replace(".", "-"), subject=shorten(s, 60)) for a, s in latest]
    if count > len(latest):
        lines.append(t("report-more", count=count - len(latest)))
    return "\n".join([t("digest-actions-title", count=count), *lines])


def _join(sections: list[str]) -> str:
    return "\n\n".join(text.bounded(sections, BODY_MAX_CHARS))

"""Reports over `DailyStat` only: totals and rates of a workspace, campaign, domain or mailbox for a period, and
the workspace's top problems. Each report is a few indexed reads (the unique (scope, scope_id, day) index and the
(workspace_id, day) index); events are never scanned. Rates come from `engine.monitoring.metrics` (each with its
sample; "not measured" and "not enough data" are states of their own, never 0 %). Hard bounces, blocks and warmup
placement count from the minimums the protection rules judge them from (`minimums_of`), as /health shows them."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Final

from tortoise import connections

from engine.access import Actor, require_manager, require_reader
from engine.alert_names import part_of, subject_names
from engine.clock import Clock
from engine.clock import zone_or_utc as zone
from engine.dns.names import to_ascii, to_unicode, to_unicode_address
from engine.errors import NotFound
from engine.monitoring.metrics import Counts, Metrics, Minimums, Rate, Window, compute, rate
from engine.monitoring.service import minimums_of
from engine.reports.period import Period, parse_period
from engine.sending.why import mailboxes_named
from models import Alert, Campaign, Domain, Mailbox, Workspace
from models.enums import AlertStatus, DomainStatus, MailboxStatus, StatScope

PROBLEMS_SHOWN: Final = 5
"""How many of the worst mailboxes/domains, open alerts and cooldowns a report names; the rest are counted."""
NAME_MAX_CHARS: Final = 320  # an address (RFC 5321) or a campaign/domain name


@dataclass(frozen=True, slots=True)
class Summary:
    """Totals and rates of one subject over whole days `start`…`end` (inclusive)."""

    workspace_id: int
    scope: StatScope
    scope_id: int
    start: dt.date
    end: dt.date
    counts: Counts
    metrics: Metrics

    @property
    def sent(self) -> int:
        return self.counts.sent

    @property
    def delivered(self) -> int:
        c = self.counts
        return max(0, c.sent - c.bounces_hard - c.bounces_soft - c.bounces_block)


_SUM = """
SELECT coalesce(sum(sent), 0) AS sent, coalesce(sum(warmup_sent), 0) AS warmup_sent, coalesce(sum(opens), 0) AS opens,
       coalesce(sum(replies), 0) AS replies,
       coalesce(sum(bounces_hard), 0) AS bounces_hard, coalesce(sum(bounces_soft), 0) AS bounces_soft,
       coalesce(sum(bounces_block), 0) AS bounces_block, coalesce(sum(complaints), 0) AS complaints,
       coalesce(sum(unsubscribes), 0) AS unsubscribes, coalesce(sum(warmup_inbox), 0) AS warmup_inbox,
       coalesce(sum(warmup_spam), 0) AS warmup_spam, coalesce(sum(smtp_errors), 0) AS smtp_errors,
       coalesce(sum(auth_errors), 0) AS auth_errors, coalesce(sum(pixel_sent), 0) AS pixel_sent
FROM daily_stat WHERE scope = $1 AND scope_id = $2 AND day BETWEEN $3 AND $4 AND workspace_id = $5
"""


async def summary(
    workspace_id: int,
    start: dt.date,
    end: dt.date,
    *,
    scope: StatScope = StatScope.WORKSPACE,
    scope_id: int | None = None,
    minimums: Minimums | None = None,
) -> Summary:
    """Totals and rates of the workspace (or one of its campaigns, domains, mailboxes) over `start`…`end`.

    Opens are measured over the sends that carried a pixel (`pixel_sent`: an HTML campaign's, counted per message,
    so a campaign switched to or from HTML midway is measured over the mail that could be opened); with none, "not
    measured". A campaign sends no warmup mail: its warmup placement is "not measured" too.
    `minimums`: the workspace's (`minimums_of` its settings), read if not given.
    No access check: callers check the actor (see `report`)."""
    subject = workspace_id if scope is StatScope.WORKSPACE else scope_id
    if subject is None:
        raise ValueError("scope_id is required for a scope other than the workspace")
    conn = connections.get("default")
    rows = await conn.execute_query_dict(_SUM, [scope.value, subject, start, end, workspace_id])
    counts = Counts.of(rows[0] if rows else {})
    if minimums is None:
        space = await Workspace.get(id=workspace_id)
        minimums = await minimums_of(space.settings)
    metrics = compute(counts, Window.DAY, minimums=minimums)
    if scope is StatScope.CAMPAIGN:  # campaign mail is never warmup: its placement is not measured, not "too few"
        metrics = dataclasses.replace(metrics, placement=dataclasses.replace(metrics.placement, measured=False))
    return Summary(workspace_id, scope, subject, start, end, counts, metrics)


@dataclass(frozen=True, slots=True)
class Problem:
    """A mailbox or domain among the worst of the period: its hard-bounce and block rates (with samples), each
    from the minimum its rule judges it from."""

    kind: str  # "mailbox" | "domain"
    name: str
    sent: int
    block_rate: Rate
    hard_bounce_rate: Rate
    retired: bool = False  # swapped out or retired since: history, nothing to act on


@dataclass(frozen=True, slots=True)
class Report:
    subject: str  # workspace, campaign or domain name, or the address
    scope: StatScope
    period: Period
    summary: Summary
    problems: list[Problem] = field(default_factory=list)
    alerts: list[tuple[str, str]] = field(default_factory=list)  # (kind, subject's name) of open alerts, latest first
    alert_count: int = 0
    cooldowns: list[tuple[str, dt.datetime | None]] = field(default_factory=list)
    cooldown_count: int = 0
    timezone: str = "UTC"  # the workspace's: its days, and the times the report shows
    since: dt.date | None = None  # the subject's first day on record (`first_day`), None when unknown

    @property
    def before_start(self) -> bool:
        """The whole period is before the subject's records begin: there is nothing to count, not zeros."""
        return self.since is not None and self.period.end < self.since

    @property
    def starts_later(self) -> bool:
        """The subject's records begin inside the period: its numbers are of fewer days than the period's."""
        return self.since is not None and self.period.start < self.since <= self.period.end

    @property
    def counted_days(self) -> int:
        """The days of the period the subject has existed on record."""
        start = max(self.period.start, self.since) if self.since else self.period.start
        return max(0, (self.period.end - start).days + 1)


_WORST = """
SELECT scope, scope_id, sum(sent) AS sent, sum(bounces_hard) AS hard, sum(bounces_block) AS blocks
FROM daily_stat WHERE workspace_id = $1 AND day BETWEEN $2 AND $3 AND scope IN ('mailbox', 'domain')
GROUP BY scope, scope_id
HAVING (sum(sent) >= $4 AND sum(bounces_hard) > 0) OR (sum(sent) >= $5 AND sum(bounces_block) > 0)
ORDER BY greatest(CASE WHEN sum(sent) >= $4 THEN sum(bounces_hard)::float / sum(sent) END,
                  CASE WHEN sum(sent) >= $5 THEN sum(bounces_block)::float / sum(sent) END) DESC, scope, scope_id
LIMIT $6
"""
# greatest() skips NULL: a rate below its minimum neither ranks nor selects a subject


async def worst(
    workspace_id: int, start: dt.date, end: dt.date, least: Minimums, limit: int = PROBLEMS_SHOWN
) -> list[Problem]:
    """The mailboxes and domains with the highest hard-bounce or block rate over the period, each rate judged
    from its rule's minimum (`least`): a subject needs enough sends for one of them and a bounce or block it
    counts. Soft bounces are in neither rate: no rule acts on them."""
    conn = connections.get("default")
    rows = await conn.execute_query_dict(_WORST, [workspace_id, start, end, least.hard_bounce, least.block, limit])
    boxes = {
        b.id: (to_unicode_address(b.address), b.status is MailboxStatus.RETIRED)
        for b in await Mailbox.filter(id__in=[r["scope_id"] for r in rows])
    }
    doms = {
        d.id: (to_unicode(d.name), d.status is DomainStatus.RETIRED)
        for d in await Domain.filter(id__in=[r["scope_id"] for r in rows])
    }
    found = []
    for r in rows:
        sent = int(r["sent"])
        names = boxes if r["scope"] == StatScope.MAILBOX.value else doms
        name, retired = names.get(int(r["scope_id"]), (f"#{r['scope_id']}", False))
        found.append(
            Problem(
                r["scope"],
                name,
                sent,
                rate(int(r["blocks"]), sent, least.block),
                rate(int(r["hard"]), sent, least.hard_bounce),
                retired,
            )
        )
    return found


_FIRST_DAY = "SELECT min(day) AS day FROM daily_stat WHERE scope = $1 AND scope_id = $2 AND workspace_id = $3"


async def first_day(
    workspace_id: int,
    scope: StatScope,
    scope_id: int,
    *,
    created_at: dt.datetime | None,
    timezone: str,
    today: dt.date,
) -> dt.date | None:
    """The subject's first day on record, on the workspace's clock: the day it was added (`created_at`) or its first
    counted day, whichever is earlier (counters are dated by the clock that sent the mail, an import or a demo may
    predate the row); None when that would be after `today` (a clock behind the database's: nothing known)."""
    rows = await connections.get("default").execute_query_dict(_FIRST_DAY, [scope.value, scope_id, workspace_id])
    days = [d for d in (rows[0]["day"] if rows else None, created_at and created_at.astimezone(zone(timezone)).date())
            if d is not None]  # fmt: skip
    since = min(days, default=None)
    return since if since is not None and since <= today else None


async def today_of(workspace_id: int, clock: Clock) -> tuple[Workspace, dt.date]:
    space = await Workspace.get(id=workspace_id)
    return space, clock.now().astimezone(zone(space.timezone)).date()


async def report(
    actor: Actor,
    clock: Clock,
    period: str | None = None,
    *,
    scope: StatScope = StatScope.WORKSPACE,
    name: str | None = None,
) -> Report:
    """The report the actor may read: the workspace and its campaigns for readers (clients see their own
    workspace only: another workspace's campaign is "not found", and no open alerts), a domain or a mailbox for
    managers.

    Raises `Forbidden`, `NotFound`, `UserError("error-report-period…")`."""
    managed = scope in (StatScope.DOMAIN, StatScope.MAILBOX)
    workspace_id = require_manager(actor) if managed else require_reader(actor)
    space, today = await today_of(workspace_id, clock)
    chosen = parse_period(period, today)
    wanted = (name or "").strip()[:NAME_MAX_CHARS]
    subject, scope_id, created_at = space.name, workspace_id, space.created_at
    if scope is StatScope.CAMPAIGN:
        campaign = await Campaign.filter(workspace_id=workspace_id, name__iexact=wanted).order_by("-id").first()
        if campaign is None:
            raise NotFound("error-campaign-not-found", name=wanted[:200])
        subject, scope_id, created_at = campaign.name, campaign.id, campaign.created_at
    elif scope is StatScope.DOMAIN:
        domain = await Domain.filter(workspace_id=workspace_id, name=to_ascii(wanted[:253])).first()
        if domain is None:
            raise NotFound("error-domain-not-found", name=wanted[:253])
        subject, scope_id, created_at = to_unicode(domain.name), domain.id, domain.created_at
    elif scope is StatScope.MAILBOX:
        if "@" not in wanted:  # a domain's name would name all its mailboxes
            raise NotFound("error-mailbox-not-found", address=wanted)
        [box] = await mailboxes_named(workspace_id, wanted)  # an IDN address typed in Unicode too
        subject, scope_id, created_at = to_unicode_address(box.address), box.id, box.created_at
    least = await minimums_of(space.settings)  # as the rules and /health judge
    result = await summary(workspace_id, chosen.start, chosen.end, scope=scope, scope_id=scope_id, minimums=least)
    since = await first_day(workspace_id, scope, scope_id, created_at=created_at, timezone=space.timezone, today=today)
    if scope is not StatScope.WORKSPACE:
        return Report(subject, scope, chosen, result, timezone=space.timezone, since=since)
    bad, alerts, alert_count, cooldowns, cooldown_count = await problems(workspace_id, chosen, least)
    if not actor.can_manage(workspace_id):  # alerts are the managers' and admins': a client sees none
        alerts, alert_count = [], 0
    return Report(
        subject, scope, chosen, result, bad, alerts, alert_count, cooldowns, cooldown_count, space.timezone, since
    )


async def problems(
    workspace_id: int, chosen: Period, least: Minimums
) -> tuple[list[Problem], list[tuple[str, str]], int, list[tuple[str, dt.datetime | None]], int]:
    """The worst mailboxes/domains of the period, the open alerts and the mailboxes in cooldown now."""
    bad = await worst(workspace_id, chosen.start, chosen.end, least)
    open_alerts = Alert.filter(workspace_id=workspace_id, status=AlertStatus.OPEN)
    alert_count = await open_alerts.count()
    shown = await open_alerts.order_by("-last_seen").limit(PROBLEMS_SHOWN)
    names = await subject_names(a.subject for a in shown)
    alerts = [  # a domain's drifted records, the lists it is on: each alert of one subject named apart, as /alerts
        (a.kind, f"{names[a.subject]} ({part})" if (part := part_of(a.kind, a.data or {})) else names[a.subject])
        for a in shown
    ]
    cooling = Mailbox.filter(workspace_id=workspace_id, status=MailboxStatus.COOLDOWN)
    cooldown_count = await cooling.count()
    cooldowns = [
        (to_unicode_address(b.address), b.cooldown_until)
        for b in await cooling.order_by("address").limit(PROBLEMS_SHOWN)
    ]
    return bad, alerts, alert_count, cooldowns, cooldown_count

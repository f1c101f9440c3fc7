"""The data of each chart for the actor's own workspace over a bounded period of whole days (its time zone).

Reads DailyStat through `engine.monitoring.metrics.daily_rows` (rates are computed there, never re-derived), the
warmup overview and the reserve pool state.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from engine.access import Actor, require_reader
from engine.charts import data
from engine.clock import Clock
from engine.dns.names import to_unicode
from engine.domains.reserve import pool_state
from engine.monitoring import metrics
from engine.monitoring.service import minimums_of
from engine.stats import workspace_zones
from engine.warmup import service as warmup_service
from models import Domain, Workspace
from models.enums import StatScope


async def _days(workspace_id: int, clock: Clock, days: int) -> list[dt.date]:
    zone = (await workspace_zones([workspace_id])).get(workspace_id, ZoneInfo("UTC"))
    return data.day_range(clock.now().astimezone(zone).date(), min(max(1, days), data.MAX_DAYS))


async def volume(actor: Actor, clock: Clock, days: int) -> data.Volume:
    """Sends per day by domain (the domains' rolled-up DailyStat rows; names as people read them, not punycode),
    top domains and "other"."""
    workspace_id = require_reader(actor)
    period = await _days(workspace_id, clock, days)
    names = dict(await Domain.filter(workspace_id=workspace_id).values_list("id", "name"))
    rows = await metrics.daily_rows(StatScope.DOMAIN, list(names), period[0], period[-1])
    sent = {to_unicode(str(names[i])): {day: c.sent for day, c in per.items()} for i, per in rows.items()}
    return data.volume(period, sent)


async def rates(actor: Actor, clock: Clock, days: int) -> data.Rates:
    """The workspace's reply, hard-bounce and block rates per day; days with too few sends are gaps (hard bounces
    and blocks from its rules' minimums, as /health judges them)."""
    workspace_id = require_reader(actor)
    period = await _days(workspace_id, clock, days)
    rows = await metrics.daily_rows(StatScope.WORKSPACE, [workspace_id], period[0], period[-1])
    space = await Workspace.get(id=workspace_id)
    return data.rates(period, rows.get(workspace_id, {}), await minimums_of(space.settings))


async def warmup(actor: Actor, clock: Clock, days: int) -> data.Warmup:
    """Mailboxes by warmup stage today, and the workspace's warmup checks (inbox, spam) per day."""
    workspace_id = require_reader(actor)
    period = await _days(workspace_id, clock, days)
    overview = await warmup_service.warmup_overview(actor, clock)
    rows = await metrics.daily_rows(StatScope.WORKSPACE, [workspace_id], period[0], period[-1])
    stages = {stage.value: count for stage, count in overview.stages.items()}
    return data.warmup(stages, period, rows.get(workspace_id, {}))


async def pool(actor: Actor, clock: Clock) -> data.Pool:
    """The workspace's domains: active, ready reserve, warming reserve, cooling, burned this month."""
    state = await pool_state(actor, clock)
    c = state.counts
    parts = {"active": c.active, "ready": c.ready, "warming": c.warming, "cooling": c.cooling,
             "burned": c.burned_month}  # fmt: skip
    return data.Pool(parts, state.shortfall.target)

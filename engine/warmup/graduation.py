"""Graduation: when a warming mailbox may start sending campaigns, and how fast campaign volume unlocks then.

A mailbox in `warming` graduates (status `warming → active`, through `engine.lifecycle`, audited) only when both
hold on the workspace's local day:

* its minimum warmup period is over: `WarmupSettings.weeks` weeks counted from `Mailbox.warmup_started_on`
  (calendar days; the day it started is day 1, so it may graduate on day `7 × weeks + 1`);
* its inbox placement (`engine.warmup.placement`, the last 14 days) has enough sample and is at least
  `WarmupSettings.min_placement`. "Not enough data" never graduates: a mailbox nobody measured has proved nothing.

A mailbox whose warmup a manager paused (`warmup_paused_at`) waits until it is started again.

After graduation, campaign volume unlocks stepwise by whole weeks since graduation (`CAMPAIGN_STEPS`): 25 % of the
mailbox's daily cap in the first week, 50 % in the second, 75 % in the third, then everything but the
maintenance warmup share (`maintenance_share`, by default 20 %: 80 %). No step ever exceeds `1 − maintenance_share`:
the maintenance warmup (`engine.warmup.ramp.maintenance_target`) keeps its part of the cap for good.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from engine.clock import Clock
from engine.errors import Conflict
from engine.lifecycle import transition_mailbox
from engine.logging import get_logger
from engine.stats import workspace_zones
from engine.warmup.placement import Placement, PlacementScope, PlacementState, placements
from engine.warmup.settings import WarmupSettings
from models import Mailbox, Workspace
from models.enums import MailboxStatus

log = get_logger(__name__)

CAMPAIGN_STEPS: Final[tuple[float, ...]] = (0.25, 0.5, 0.75, 1.0)
"""The campaign share of the daily cap in week 1, 2, 3 and from week 4 on after graduation (before the
maintenance share is taken off)."""


class Stage(StrEnum):
    """Where a mailbox is on its way to campaigns."""

    NOT_STARTED = "not_started"  # warmup never started
    WARMING = "warming"  # inside the minimum period
    WAITING = "waiting"  # the period is over; placement is too low or not measured enough yet
    READY = "ready"  # the gate will let it through on its next run
    GRADUATED = "graduated"  # active: campaigns may use it


@dataclass(frozen=True, slots=True)
class Readiness:
    """A mailbox's progress: warmup day `day` of `days` (the minimum period), its placement, and the stage."""

    day: int
    days: int
    placement: Placement
    stage: Stage
    ready_on: dt.date | None  # the first day the period allows graduation (None: warmup not started)


def period_days(settings: WarmupSettings) -> int:
    """The minimum warmup period in days."""
    return 7 * settings.weeks


async def period_weeks(workspace_ids: Iterable[int]) -> dict[int, int]:
    """Each workspace's minimum warmup period in weeks, as the gate counts it (its `WarmupSettings.weeks`; settings
    out of bounds count as the defaults, as the planners take them). `Mailbox.warmup_weeks` counts for nothing."""
    rows = await Workspace.filter(id__in=list(workspace_ids)).values("id", "settings")
    return {int(row["id"]): WarmupSettings.in_effect(row["settings"]).weeks for row in rows}


def period_over_on(settings: WarmupSettings, *, started_on: dt.date) -> dt.date:
    """The first day a mailbox that started warming on `started_on` may graduate."""
    return started_on + dt.timedelta(days=period_days(settings))


def placement_passes(settings: WarmupSettings, placement: Placement) -> bool:
    """Enough sample, and an inbox share at least `min_placement`."""
    score = placement.score
    return placement.state is PlacementState.OK and score is not None and score >= settings.min_placement


def readiness(
    settings: WarmupSettings, *, started_on: dt.date | None, today: dt.date, placement: Placement, graduated: bool
) -> Readiness:
    """Where one mailbox stands today (pure). `graduated`: the mailbox is already active."""
    days = period_days(settings)
    if started_on is None:
        return Readiness(0, days, placement, Stage.GRADUATED if graduated else Stage.NOT_STARTED, None)
    day = max(0, (today - started_on).days + 1)
    ready_on = period_over_on(settings, started_on=started_on)
    if graduated:
        stage = Stage.GRADUATED
    elif today < ready_on:
        stage = Stage.WARMING
    elif placement_passes(settings, placement):
        stage = Stage.READY
    else:
        stage = Stage.WAITING
    return Readiness(day, days, placement, stage, ready_on)


def campaign_share(settings: WarmupSettings, *, days_since_graduation: int) -> float:
    """The share of a graduated mailbox's daily cap that campaigns may use, `days_since_graduation` days after it
    graduated (0 on the day itself): the week's step of `CAMPAIGN_STEPS`, never above `1 − maintenance_share`;
    0 before graduation (a negative number of days)."""
    if days_since_graduation < 0:
        return 0.0
    step = CAMPAIGN_STEPS[min(days_since_graduation // 7, len(CAMPAIGN_STEPS) - 1)]
    return min(step, round(1.0 - settings.maintenance_share, 6))


def campaign_cap(settings: WarmupSettings, *, daily_cap: int, days_since_graduation: int) -> int:
    """Campaign emails a graduated mailbox may send today: its `campaign_share` of `daily_cap`, rounded down."""
    if daily_cap <= 0:
        return 0
    return math.floor(daily_cap * campaign_share(settings, days_since_graduation=days_since_graduation) + 1e-9)


# ------------------------------------------------------------------------------------------------- the gate


@dataclass(frozen=True, slots=True)
class GateReport:
    """One run of the gate: mailboxes whose period was over, and those of them that graduated."""

    checked: int
    graduated: tuple[str, ...]


async def run_gate(clock: Clock) -> GateReport:
    """Graduate every warming mailbox of every workspace that passed its period and its placement (idempotent:
    a graduated mailbox is active and no longer looked at; a mailbox moved meanwhile is skipped)."""
    now = clock.now()
    rows = await Mailbox.filter(
        status=MailboxStatus.WARMING, warmup_started_on__not_isnull=True, warmup_paused_at__isnull=True
    ).values("id", "workspace_id", "warmup_started_on")
    by_space: dict[int, list[tuple[int, dt.date]]] = defaultdict(list)
    for row in rows:
        by_space[int(row["workspace_id"])].append((int(row["id"]), row["warmup_started_on"]))
    if not by_space:
        return GateReport(0, ())
    zones = await workspace_zones(by_space)
    spaces = {w.id: w for w in await Workspace.filter(id__in=list(by_space))}
    checked = 0
    graduated: list[str] = []
    for space_id, boxes in sorted(by_space.items()):
        settings = WarmupSettings.in_effect(spaces[space_id].settings)
        today = now.astimezone(zones[space_id]).date()
        due = [box_id for box_id, started in boxes if today >= period_over_on(settings, started_on=started)]
        if not due:
            continue
        checked += len(due)
        found = await placements(space_id, PlacementScope.MAILBOX, due, until=today)
        for box_id in due:
            score = found[box_id]
            if not placement_passes(settings, score):
                continue
            box = await Mailbox.get(id=box_id)
            reason = f"graduated: {settings.weeks} weeks of warmup, inbox placement {score.inbox}/{score.sample}"
            try:
                await transition_mailbox(box, MailboxStatus.ACTIVE, clock=clock, reason=reason)
            except Conflict:  # moved meanwhile (paused, disabled, another gate run): not ours to decide now
                continue
            graduated.append(box.address)
            log.info("mailbox graduated", mailbox_id=box_id, inbox=score.inbox, sample=score.sample)
    return GateReport(checked, tuple(graduated))

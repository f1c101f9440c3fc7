"""The campaign planning tick: due enrollments become `planned` rows over each campaign's mailbox group, inside
every cap and inside the send window. Rows carry no text: the outbox composes them when it claims them
(`engine.campaigns.ports`), which is what lets a day of a large fleet be planned in seconds.

One run, for every workspace with a running campaign, in lanes (`CampaignPlanOptions.lanes`: workspaces split into
groups of about equal work, each planned in its own transaction at the same time as the others — no workspace's
plan depends on another's):

1. lock the workspaces (`pg_advisory_xact_lock(PLAN_LOCK, workspace_id)` in id order, the warmup planner's lock):
   campaign and warmup planning take turns and each sees the rows of the other — capacity is reserved by the rows
   themselves, and what every kind of mail already has today counts (`engine.sending.planner.used_today`);
2. the mailbox group of each campaign (its mailboxes and every mailbox of its domains); only graduated mailboxes
   (`active`) whose domain is not cooling, burned or retired, not cooling down, in a workspace that is not
   paused, send. What a mailbox may still send for campaigns today is the lowest of its provider limit, health
   factor × its cap, its daily cap (these three count every kind of mail), its campaign share after graduation
   (`engine.warmup.graduation.campaign_cap`, counting campaign mail), and its share of what its domain and its
   workspace may still send (`engine.sending.caps.share`); each campaign adds its `per_mailbox_cap` and shares
   its `daily_cap` across its group;
3. the active enrollments due before the end of today's window (or of the horizon) whose next step has no row
   yet, oldest first, bounded so a day stays cheap: first steps, at most what the campaign could send plus a slack
   (`CampaignPlanOptions.slack`), less the follow-ups due before them that it can send; follow-ups, counted per
   sticky mailbox in the index, then at most its room plus one read (that one stands for all that wait; a mailbox
   that left the group gets that one). Leads suppressed (address, the mailbox of a `+tag` address, or domain, in the
   workspace or globally) are stopped (`stopped`, reason `suppressed`) instead;
4. the first step goes from the least-loaded mailbox of the group that has room; a follow-up only from the
   enrollment's sticky mailbox, threaded under the first message (`In-Reply-To`, `References`), and waits when
   that mailbox has no room; campaigns sharing mailboxes take turns, one send each;
5. every send inside the window of its campaign (or of its lead), on the workspace's and the campaign's current
   day, spread with random gaps of at least `min_gap_s` (`engine.sending.planner.spread`); one statement inserts
   the rows (a lead never gets a step twice: a lead-step already taken is skipped, as `ON CONFLICT DO NOTHING`
   would, `_rows_in`); the A/B variant drawn for a lead is stored on its enrollment;
6. every cut recorded: per mailbox in `CapDeferral` (`source='campaign'`, the campaigns in `detail`), per campaign
   in `CampaignDeferral`; rows of this planner that no longer apply today are removed.

Days: the mailbox, domain and workspace caps count the workspace's calendar day (as the warmup planner does); a
campaign's `daily_cap` and `per_mailbox_cap` count the campaign's own day (its time zone). A send is planned only
inside both current days, so both counts stay true; the rest of a window that crosses midnight is planned on
the next tick after it.

Horizon: the worker plans an hour ahead (`HORIZON_S`), not the whole day at once. What a run may add is paced
(`_paced`): of what the day still allows a campaign, and each of its mailboxes, the share of the rest of today's
sending time the horizon holds, less the sends already waiting to go; the horizon's new sends of a mailbox come
after its waiting ones (and the gap). Sends held back by the horizon are not deferrals (nothing records them): a
later run plans them. A run with the memo plans a workspace again whenever the horizon moved on by half its length.
So a day's rows are written an hour's worth at a time, the day's sends still go out evenly over its window, and the
last run of a window holds all that is left of it. Without a horizon (tests, the demo) one run plans the rest of
the day.

Steps: an enrollment's next step is the first step whose position is at least `current_step` (the outbox sets
`current_step` to the position after the step it sent); the first step of the campaign is step 1.

With a `PlanMemo` (the worker passes `campaign_memo`, over Redis) a run first compares each workspace's fingerprint
with the one stored after its last plan, and skips the workspaces where nothing changed (planning them again would
plan nothing and record the same cuts). The fingerprint (`_STATES`, one query) covers the day, the workspace's
settings, its running campaigns (status and its change time, caps, window, steps, group), its mailboxes and
domains (status, caps, cooldown, graduation), the suppressions that apply, and the rows of `models.PlanChange`
logged for it since its last plan: triggers (migration 0008) log every statement that inserts, updates or deletes
enrollments, and every outbound message inserted, deleted, cancelled or moved (another moment or mailbox) — a
new lead, a send's advance, warmup planned meanwhile. The planner's own writes log nothing (it sets
`mailfleet.planning` in its transaction), and it deletes the rows it read once it planned the workspace. A
workspace where a send window held sends back is never skipped: time alone changes that.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import gc
import hashlib
import heapq
import itertools
import json
import math
import operator
import random
import secrets
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, TypeAlias
from zoneinfo import ZoneInfo

import asyncpg
from redis.asyncio import Redis
from tortoise import connections
from tortoise.backends.base.client import TransactionalDBClient
from tortoise.transactions import in_transaction

from engine.campaigns import schedule
from engine.campaigns.schedule import Interval, Window
from engine.clock import Clock, zone_named
from engine.leads.checks import mailbox_of
from engine.logging import get_logger
from engine.mail.message import seeded_message_hex
from engine.mail.providers import PRESETS
from engine.sending.caps import CapInputs, EffectiveCap, effective_cap, share
from engine.sending.planner import (
    PLAN_LOCK,
    PlanMemo,
    RedisPlanMemo,
    Space,
    day_bounds,
    load_spaces,
    spread,
    used_today,
)
from engine.warmup import graduation
from models import Campaign
from models.enums import (
    CampaignStatus,
    CapKind,
    DomainStatus,
    EnrollmentState,
    MailboxStatus,
    MailProvider,
)

log = get_logger(__name__)

_BLOCKED_DOMAIN: Final = {DomainStatus.COOLING, DomainStatus.BURNED, DomainStatus.RETIRED}
WORK_MEM: Final = "64MB"
"""PostgreSQL `work_mem` for the planning transaction: the day's candidates (a few hundred thousand rows at most)
are sorted and hashed in memory instead of on disk."""
SUPPRESSED: Final = "suppressed"
"""`Enrollment.stopped_reason` of a lead found suppressed at planning."""


@dataclass(frozen=True, slots=True)
class CampaignPlanOptions:
    """Knobs of a run. `health` maps mailbox ids to a health factor below 1 (monitoring's cut), as for warmup."""

    min_gap_s: int = 240  # two new sends of one mailbox in one window never closer than this
    lead_s: int = 60  # the first new send no earlier than this after now
    slack: int = 100  # due enrollments read per campaign beyond what it can send (waiting follow-ups, leads
    # outside their own window, suppressed leads): enough to record why, bounded so a day stays cheap
    health: Mapping[int, float] = field(default_factory=dict)
    seed: int | None = None  # tests: a reproducible plan
    horizon_s: int | None = None  # plan sends only this far ahead, paced (the worker: `HORIZON_S`); None: the
    # rest of the day in one run
    lanes: int = 2  # workspaces planned at once, each lane in its own transaction (`_lanes`): the server inserts
    # one lane's rows while this process places the next's, and two backends use two cores


HORIZON_S: Final = 3600
"""The worker's horizon: each run plans the next hour's share of the day (see the module), so a run writes
about a ninth of a nine-hour day's rows and the day's plan is spread over the runs that come due."""


@dataclass(frozen=True, slots=True)
class CampaignPlanReport:
    """What a run did."""

    campaigns: int  # running campaigns considered
    planned: int  # rows inserted
    waiting: int  # due sends held back (a cap, the window, a full or blocked mailbox)
    stopped: int  # enrollments stopped because their lead is suppressed
    deferrals: int  # CapDeferral and CampaignDeferral rows written (new or changed)
    skipped: int = 0  # workspaces found unchanged since their last plan (only with a memo)
    phases: tuple[tuple[str, float], ...] = field(default=(), compare=False)  # seconds each part of the run took
    # (summed over its lanes, which run at once):
    # read (lock, memo, campaigns, mailboxes, usage), due (the due enrollments), place (placing and spreading), insert
    # (the rows and variants), record (stops, deferrals, memo), commit


@dataclass(frozen=True, slots=True)
class _Step:
    position: int
    weights: tuple[int, ...]


@dataclass(slots=True)
class _Box:
    id: int
    workspace_id: int
    domain_id: int
    domain_name: str
    day: dt.date
    domain_cap: int
    own_total: int  # the lowest of provider limit and its daily cap: every kind of mail counts
    own_binding: CapKind
    share_total: int  # its campaign share after graduation: campaign mail counts
    ready: bool = False
    reason: str = ""  # why it may not send: its status, cooldown, its domain's status, the workspace paused
    room: int = 0  # campaign sends it may still take today (every cap but each campaign's own)
    binding: CapKind = CapKind.MAILBOX  # the cap that sets `room`
    load: int = 0  # rows it has today, every kind (the least-loaded mailbox gets the next first step)
    campaign_used: int = 0  # campaign rows it has today
    added: int = 0  # rows this run gave it
    held: Counter[int] = field(default_factory=Counter)  # campaign id -> sends that wanted it and found no room
    held_cap: dict[int, CapKind] = field(default_factory=dict)  # campaign id -> the cap that was full
    after: dt.datetime | None = None  # with a horizon: new sends not before this (its last waiting + the gap)


@dataclass(slots=True)
class _Campaign:
    id: int
    workspace_id: int
    zone: ZoneInfo
    window: Window
    daily_cap: int
    per_mailbox_cap: int
    lead_timezone: bool
    day: dt.date  # the campaign's own day
    lo: dt.datetime  # sends of this run: not before (now + lead), inside the workspace's and the campaign's day
    hi: dt.datetime
    near: dt.datetime  # and before this (the end of the horizon; `hi` without one)
    steps: list[_Step] = field(default_factory=list)
    group: list[int] = field(default_factory=list)
    used: int = 0  # campaign rows today (its day)
    used_by_box: Counter[int] = field(default_factory=Counter)
    pending: dict[int, int] = field(default_factory=dict)  # mailbox -> its rows of this campaign not sent yet
    planned: int = 0
    held: Counter[CapKind] = field(default_factory=Counter)
    reasons: dict[CapKind, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    group_full: int = 0  # sends held because every mailbox of the group was full
    more: bool = False  # more enrollments were due than this run read
    quota: int = 0  # sends this run may plan: what is left of its day, paced to the horizon (`_paced`)
    paced: Counter[int] = field(default_factory=Counter)  # mailbox -> sends of this campaign it may take this run
    intervals: dict[str, tuple[Interval, ...]] = field(default_factory=dict)  # zone -> today's open intervals
    horizons: dict[str, tuple[Interval, ...]] = field(default_factory=dict)  # zone -> those inside the horizon
    next_steps: dict[int, _Step | None] = field(default_factory=dict)  # current_step -> the step to send
    zones: dict[str, ZoneInfo] = field(default_factory=dict)  # a lead's zone name -> its zone (or the campaign's)
    spans: dict[str, tuple[ZoneInfo, tuple[Interval, ...], tuple[Interval, ...]]] = field(default_factory=dict)
    # the zone name a lead's window is read by ("" without lead time zones) -> the zone, `open_in` and `near_in` it

    def zone_of(self, name: str) -> ZoneInfo:
        """The zone a lead's window is read in: its own when the campaign asks for it and it is valid."""
        if not self.lead_timezone:
            return self.zone
        found = self.zones.get(name)
        if found is None:
            found = self.zones[name] = zone_named(name) or self.zone
        return found

    def open_in(self, zone: ZoneInfo) -> tuple[Interval, ...]:
        found = self.intervals.get(zone.key)
        if found is None:
            found = self.intervals[zone.key] = tuple(schedule.open_intervals(self.window, zone, self.lo, self.hi))
        return found

    def spans_of(self, name: str) -> tuple[ZoneInfo, tuple[Interval, ...], tuple[Interval, ...]]:
        """The zone a lead with the zone name `name` has its window in, today's open intervals there, and those
        inside the horizon (found once per name: a day reads a few hundred thousand due leads)."""
        key = name if self.lead_timezone else ""
        found = self.spans.get(key)
        if found is None:
            zone = self.zone_of(key)
            found = self.spans[key] = (zone, self.open_in(zone), self.near_in(zone))
        return found

    def near_in(self, zone: ZoneInfo) -> tuple[Interval, ...]:
        """Today's open intervals in `zone` inside the horizon."""
        if self.near >= self.hi:
            return self.open_in(zone)
        found = self.horizons.get(zone.key)
        if found is None:
            found = self.horizons[zone.key] = tuple(schedule.until(list(self.open_in(zone)), self.near))
        return found

    def cut(self, span: tuple[Interval, ...]) -> bool:
        """Whether the horizon cut `span` short (what does not fit in it is a later run's, not held)."""
        return self.near < self.hi and span[-1][1] >= self.near

    def share(self) -> float:
        """The share of the rest of today's sending time inside the horizon (1: no horizon, or it reaches the end).
        With lead time zones every lead has its own window: the share of the rest of the day."""
        if self.near >= self.hi:
            return 1.0
        if self.lead_timezone:
            rest = (self.hi - self.lo).total_seconds()
            return (self.near - self.lo).total_seconds() / rest if rest > 0 else 1.0
        rest = schedule.seconds(list(self.open_in(self.zone)))
        return schedule.seconds(list(self.near_in(self.zone))) / rest if rest > 0 else 1.0

    def hold(self, cap: CapKind, reason: str, count: int = 1) -> None:
        self.held[cap] += count
        self.reasons[cap][reason] += count


_Due: TypeAlias = Sequence[Any]
"""A due enrollment as `_DUE` reads it (an asyncpg record), used as it comes — a day reads a few hundred thousand: no
object of our own per row. Its fields by position:"""
_ID, _CAMPAIGN_ID, _LEAD_ID, _CURRENT_STEP, _NEXT_DUE_AT, _MAILBOX_ID, _THREAD, _VARIANT = range(8)
_WEIGHT, _LEAD_ZONE, _EMAIL, _MORE = range(8, 12)
"""`_WEIGHT`: the due sends it stands for (the last follow-up read for a mailbox stands for those not read);
`_MORE`: its campaign had more first steps due than were read (each row of the campaign says it)."""


@dataclass(slots=True)
class _Row:
    workspace_id: int
    campaign_id: int
    enrollment_id: int
    lead_id: int
    mailbox_id: int
    step_position: int
    variant: int
    intervals: tuple[Interval, ...]
    in_reply_to: str = ""  # a follow-up's thread (the enrollment's); the insert completes it and `References`
    follow_up: bool = False
    message_id: str = ""
    scheduled_at: dt.datetime | None = None


def campaign_memo(redis: Redis) -> PlanMemo:
    """The memo the worker passes: the warmup planner's Redis memo under this planner's own keys."""
    return RedisPlanMemo(redis, prefix="mailfleet:plan:campaign:")


async def plan_campaigns(
    clock: Clock, options: CampaignPlanOptions | None = None, *, memo: PlanMemo | None = None
) -> CampaignPlanReport:
    """Plan today's campaign sends of every running campaign (see the module). Idempotent: a second run the same
    day plans only what became possible since (a raised cap, a new lead, an opened window). With `memo`,
    workspaces unchanged since their last plan are skipped (`_STATES` says what "unchanged" reads)."""
    with _collection_paused():
        return await _plan(clock, options, memo)


@contextlib.contextmanager
def _collection_paused() -> Iterator[None]:
    """Python's cyclic garbage collector held off during a run: a day reads a few hundred thousand due enrollments
    and makes tens of thousands of rows, none of them in a cycle, and each full collection meanwhile walked them all
    (a quarter of the run's CPU). Left as found when a run starts with it off (another run pausing it)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


async def _plan(clock: Clock, options: CampaignPlanOptions | None, memo: PlanMemo | None) -> CampaignPlanReport:
    opts = options or CampaignPlanOptions()
    now = clock.now()
    rows = await _running()
    if memo is not None:
        await _forget_idle(memo, {int(r["workspace_id"]) for r in rows})
    if not rows:
        return CampaignPlanReport(0, 0, 0, 0, 0)
    spaces = {i: s for i, s in (await load_spaces(now)).items() if i in {int(r["workspace_id"]) for r in rows}}
    campaigns = _campaigns(rows, spaces, now, opts)
    seed = opts.seed if opts.seed is not None else secrets.randbits(64)
    nested = isinstance(connections.get("default"), TransactionalDBClient)  # inside a caller's transaction (tests):
    # its connection is the only one that sees its writes
    lanes = _lanes(spaces, campaigns, 1 if nested else opts.lanes)
    async with asyncio.TaskGroup() as group:  # one failing lane cancels (rolls back) the others still running
        tasks = [
            group.create_task(
                _lane(
                    {i: spaces[i] for i in lane},
                    {i: c for i, c in campaigns.items() if c.workspace_id in lane},
                    now,
                    opts,
                    memo,
                    rng=random.Random(seed if n == 0 else f"{seed}/{n}"),
                )
            )
            for n, lane in enumerate(lanes)
        ]
    reports = [task.result() for task in tasks]
    phases: Counter[str] = Counter()
    for report in reports:
        phases.update(dict(report.phases))
    counts = {name: sum(getattr(r, name) for r in reports) for name in _COUNTS}
    total = CampaignPlanReport(**counts, phases=tuple(phases.items()))
    log.info(
        "campaigns planned",
        lanes=len(lanes),
        **counts,
        ms={name: round(seconds * 1000) for name, seconds in total.phases},
    )
    return total


_COUNTS: Final = ("campaigns", "planned", "waiting", "stopped", "deferrals", "skipped")
"""The fields of `CampaignPlanReport` a run's lanes add up."""


def _lanes(spaces: Mapping[int, Space], campaigns: Mapping[int, _Campaign], count: int) -> list[list[int]]:
    """The workspaces split into at most `count` lanes of about equal work (their running campaigns), each lane
    in id order: a workspace's plan never depends on another's (its mailboxes, domains, caps and campaigns are its
    own), so each lane plans in its own transaction, on its own connection, while the others do. The split
    depends only on the workspaces and their campaigns, so a seeded run plans the same rows every time."""
    load = Counter(c.workspace_id for c in campaigns.values())
    lanes: list[list[int]] = [[] for _ in range(max(1, min(count, len(spaces))))]
    weights = [0] * len(lanes)
    for ws_id in sorted(spaces, key=lambda i: (-load[i], i)):  # the largest first, each to the lightest lane
        n = weights.index(min(weights))
        lanes[n].append(ws_id)
        weights[n] += load[ws_id]
    return [sorted(lane) for lane in lanes if lane]


async def _lane(
    spaces: Mapping[int, Space],
    campaigns: Mapping[int, _Campaign],
    now: dt.datetime,
    opts: CampaignPlanOptions,
    memo: PlanMemo | None,
    *,
    rng: random.Random,
) -> CampaignPlanReport:
    """Plan the running campaigns of some workspaces in one transaction (steps 1–6 of the module)."""
    lap = _Laps()
    remember: dict[int, str | None] = {}
    skipped = 0
    async with in_transaction() as conn:
        await conn.execute_query(_BEGIN, [PLAN_LOCK, sorted(spaces), WORK_MEM])  # one round trip
        states: dict[int, _State] = {}
        if memo is not None:
            states = await _states(conn, spaces, now)
            stored = await memo.get(sorted(spaces))
            dirty = {i for i in spaces if stored.get(i) != _fingerprint(spaces[i], states.get(i), opts, now)}
            skipped = len(spaces) - len(dirty)
            spaces = {i: spaces[i] for i in sorted(dirty)}
            campaigns = {i: c for i, c in campaigns.items() if c.workspace_id in dirty}
            if not spaces:
                return CampaignPlanReport(0, 0, 0, 0, 0, skipped)
        campaigns, boxes, owners = await _read(conn, campaigns, spaces, now, opts)
        lap("read")
        due, suppressed = await _due(conn, campaigns, boxes, opts)
        lap("due")
        placed = _assign(campaigns, boxes, due, suppressed=suppressed, now=now, opts=opts, rng=rng)
        _times(placed.rows, opts=opts, rng=rng)
        lap("place")
        wants: list[tuple[list[_Want], list[_Want]]] = []  # the deferrals, computed while the rows go in
        planned = await _insert(
            conn, placed.rows, placed.variants, boxes, now, meanwhile=lambda: wants.append(_deferrals(campaigns, boxes))
        )
        lap("insert")
        await _stop(conn, placed.stop)
        written = await _record(conn, *wants[0], campaigns, now, owners=owners, spaces=spaces)
        if memo is not None:
            remember = _after(spaces, states, campaigns, opts, now)
            await _forget_changes(conn, states, spaces)
        lap("record")
    lap("commit")
    if memo is not None:
        await memo.put(remember)  # after the commit: a fingerprint never names rows that were rolled back
    waiting = sum(sum(c.held.values()) for c in campaigns.values())
    return CampaignPlanReport(len(campaigns), planned, waiting, len(placed.stop), written, skipped, lap.phases())


async def _read(
    conn: Any,
    campaigns: Mapping[int, _Campaign],
    spaces: Mapping[int, Space],
    now: dt.datetime,
    opts: CampaignPlanOptions,
) -> tuple[dict[int, _Campaign], dict[int, _Box], dict[int, tuple[int, int]]]:
    """Under the lock: the campaigns still running with their steps and groups, the mailboxes of the groups with
    their room today, and the owners (workspace, domain) of every mailbox of the workspaces."""
    still = await conn.execute_query(  # paused while this run waited for the lock: not planned
        "SELECT id FROM campaign WHERE id = ANY($1::int[]) AND status = $2 ORDER BY id",
        [sorted(campaigns), CampaignStatus.RUNNING.value],
    )
    running = {int(r[0]): campaigns[int(r[0])] for r in still[1]}
    await _load_steps_and_groups(conn, running)
    owners, used_all, used_warm = await used_today(conn, spaces)  # every mailbox of the workspaces
    boxes = await _load_boxes(conn, running, spaces, now)
    last = await _campaign_usage(conn, running)
    if opts.horizon_s is not None:  # a horizon's new sends come after those already waiting to go
        for box_id, moment in last.items():
            if box_id in boxes:
                boxes[box_id].after = moment + dt.timedelta(seconds=opts.min_gap_s)
    _rooms(boxes, running, owners=owners, used_all=used_all, used_warm=used_warm, spaces=spaces, opts=opts)
    return running, boxes, owners


class _Laps:
    """The seconds each phase of a run took (`CampaignPlanReport.phases`): a measurement, not the engine's time (the
    Clock is for business time)."""

    def __init__(self) -> None:
        self._last = time.perf_counter()
        self._phases: list[tuple[str, float]] = []

    def __call__(self, name: str) -> None:
        now = time.perf_counter()
        self._phases.append((name, now - self._last))
        self._last = now

    def phases(self) -> tuple[tuple[str, float], ...]:
        return tuple(self._phases)


_BEGIN = """
SELECT (SELECT count(pg_advisory_xact_lock($1, w.id)) FROM unnest($2::int[]) WITH ORDINALITY AS w(id, n)),
    set_config('work_mem', $3, true),
    set_config('jit', 'off', true),
    set_config('mailfleet.planning', 'on', true)
"""
"""The start of the planning transaction, in one statement: the workspaces locked in id order (the function scan
yields them in array order), then the transaction's settings — `work_mem` (the sorts of a day's candidates in
memory), no JIT (compiling the due query's plan costs more than running it), and `mailfleet.planning` (its own
enrollment and message writes log no changes)."""

# ------------------------------------------------------------------------------------------------- memo

_STATES = """
WITH w(id) AS (SELECT * FROM unnest($1::int[])),
cmp AS (
    SELECT c.workspace_id AS ws, md5(string_agg(format('%s,%s,%s,%s,%s,%s,%s,%s,%s,%s|%s|%s|%s', c.id, c.status,
        c.status_changed_at, c.timezone, c.window_start, c.window_end, c.weekdays, c.daily_cap, c.per_mailbox_cap,
        c.lead_timezone,
        (SELECT string_agg(format('%s:%s', s.position, md5(s.variants::text)), ',' ORDER BY s.position)
         FROM step s WHERE s.campaign_id = c.id),
        (SELECT string_agg(cm.mailbox_id::text, ',' ORDER BY cm.mailbox_id)
         FROM campaign_mailbox cm WHERE cm.campaign_id = c.id),
        (SELECT string_agg(cd.domain_id::text, ',' ORDER BY cd.domain_id)
         FROM campaign_domain cd WHERE cd.campaign_id = c.id)), ';' ORDER BY c.id)) AS h
    FROM campaign c JOIN w ON w.id = c.workspace_id
    WHERE c.status = 'running'
    GROUP BY 1
),
boxes AS (  -- a fleet's worth of mailboxes: a sum of 64-bit row hashes (no text, no sort)
    SELECT b.workspace_id AS ws, format('%s:%s', count(*), sum(hash_record_extended(ROW(b.id, b.domain_id,
        b.provider, b.status, b.warmup_started_on, b.graduated_at, b.daily_cap,
        coalesce(b.cooldown_until > $2, false), d.daily_cap, d.status), 0)::numeric)) AS h
    FROM mailbox b JOIN domain d ON d.id = b.domain_id
    WHERE b.workspace_id = ANY($1::int[])
    GROUP BY 1
),
sup AS (
    SELECT w.id AS ws, format('%s,%s', count(s.id), max(s.id)) AS h
    FROM w JOIN suppression s ON s.workspace_id = w.id OR s.workspace_id IS NULL
    GROUP BY 1
)
SELECT w.id, coalesce(cmp.h, ''), coalesce(boxes.h, ''), coalesce(sup.h, ''),
    ARRAY(SELECT p.id FROM plan_change p WHERE p.workspace_id = w.id ORDER BY p.id)
FROM w LEFT JOIN cmp ON cmp.ws = w.id LEFT JOIN boxes ON boxes.ws = w.id LEFT JOIN sup ON sup.ws = w.id
"""


@dataclass(frozen=True, slots=True)
class _State:
    """What a workspace's plan depends on, as `_STATES` reads it: its running campaigns (settings, steps, group),
    its mailboxes and domains, the suppressions that apply to it, and the changes logged since its last plan
    (`models.PlanChange`: its enrollments, its outbound messages)."""

    campaigns: str
    boxes: str
    suppressions: str
    changes: tuple[int, ...]


async def _states(conn: Any, spaces: Mapping[int, Space], now: dt.datetime) -> dict[int, _State]:
    """Per workspace, in one query, its `_State`."""
    rows = await conn.execute_query(_STATES, [sorted(spaces), now])
    return {int(r[0]): _State(str(r[1]), str(r[2]), str(r[3]), tuple(int(i) for i in r[4])) for r in rows[1]}


def _fingerprint(space: Space, state: _State | None, opts: CampaignPlanOptions, now: dt.datetime) -> str | None:
    if state is None:
        return None
    health = ",".join(f"{k}:{v}" for k, v in sorted(opts.health.items()))
    text = (
        f"c3|{space.day}|{_slot(opts, now)}|{space.inputs}|{state.campaigns}|{state.boxes}|{state.suppressions}|"
        f"{','.join(map(str, state.changes))}|{opts.min_gap_s},{opts.lead_s},{opts.slack}|{health}"
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _slot(opts: CampaignPlanOptions, now: dt.datetime) -> int | None:
    """With a horizon, the half-horizon a moment falls in: the horizon moves on when it changes (a workspace is
    planned again then, whatever else changed)."""
    if opts.horizon_s is None:
        return None
    return int(now.timestamp()) // max(1, opts.horizon_s // 2)


def _after(
    spaces: Mapping[int, Space],
    states: Mapping[int, _State],
    campaigns: Mapping[int, _Campaign],
    opts: CampaignPlanOptions,
    now: dt.datetime,
) -> dict[int, str | None]:
    """The fingerprint each planned workspace has now: its state as read before planning (a change since then
    shows next time), without the changes it read (`_forget_changes` deletes them); None (planned in full next
    time) where a send window held sends back — time alone changes that."""
    volatile = {c.workspace_id for c in campaigns.values() if c.held.get(CapKind.WINDOW)}
    found: dict[int, str | None] = {}
    for ws_id, space in spaces.items():
        state = states.get(ws_id)
        if ws_id in volatile or state is None:
            found[ws_id] = None
        else:
            found[ws_id] = _fingerprint(space, dataclasses.replace(state, changes=()), opts, now)
    return found


async def _forget_idle(memo: PlanMemo, running: Collection[int]) -> None:
    """Workspaces without a running campaign: their change rows are deleted (nothing else would) and their
    fingerprints forgotten (planned in full when a campaign runs again)."""
    conn = connections.get("default")
    await conn.execute_query("DELETE FROM plan_change WHERE NOT (workspace_id = ANY($1::int[]))", [sorted(running)])
    idle = await conn.execute_query("SELECT id FROM workspace WHERE NOT (id = ANY($1::int[]))", [sorted(running)])
    await memo.put({int(r[0]): None for r in idle[1]})


async def _forget_changes(conn: Any, states: Mapping[int, _State], planned: Collection[int]) -> None:
    """Delete the change rows the planned workspaces' states were read with (never one logged since)."""
    ids = sorted(i for ws_id in planned if ws_id in states for i in states[ws_id].changes)
    if ids:
        await conn.execute_query("DELETE FROM plan_change WHERE id = ANY($1::bigint[])", [ids])


# ------------------------------------------------------------------------------------------------- loading


async def _running() -> list[dict[str, Any]]:
    return await Campaign.filter(status=CampaignStatus.RUNNING).values(
        "id",
        "workspace_id",
        "timezone",
        "window_start",
        "window_end",
        "weekdays",
        "daily_cap",
        "per_mailbox_cap",
        "lead_timezone",
    )


def _campaigns(
    rows: Sequence[Mapping[str, Any]], spaces: Mapping[int, Space], now: dt.datetime, opts: CampaignPlanOptions
) -> dict[int, _Campaign]:
    found = {}
    earliest = now + dt.timedelta(seconds=opts.lead_s)
    horizon = (
        now + dt.timedelta(seconds=opts.horizon_s)
        if opts.horizon_s is not None
        else dt.datetime.max.replace(tzinfo=dt.UTC)
    )
    for row in sorted(rows, key=lambda r: int(r["id"])):
        space = spaces.get(int(row["workspace_id"]))
        if space is None:  # archived workspace
            continue
        zone = zone_named(str(row["timezone"])) or space.zone
        day = now.astimezone(zone).date()
        start = dt.datetime.combine(day, dt.time(0), tzinfo=zone).astimezone(dt.UTC)
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=zone).astimezone(dt.UTC)
        ws_lo, ws_hi = day_bounds(space)
        found[int(row["id"])] = _Campaign(
            id=int(row["id"]),
            workspace_id=space.id,
            zone=zone,
            window=Window(row["window_start"], row["window_end"], int(row["weekdays"])),
            daily_cap=int(row["daily_cap"]),
            per_mailbox_cap=int(row["per_mailbox_cap"]),
            lead_timezone=bool(row["lead_timezone"]),
            day=day,
            lo=max(start, ws_lo, earliest),
            hi=min(end, ws_hi),
            near=min(end, ws_hi, horizon),
        )
    return found


_STEPS = "SELECT campaign_id, position, variants FROM step WHERE campaign_id = ANY($1::int[]) ORDER BY 1, 2"

_GROUPS = """
SELECT campaign_id, mailbox_id FROM campaign_mailbox WHERE campaign_id = ANY($1::int[])
UNION
SELECT cd.campaign_id, b.id FROM campaign_domain cd JOIN mailbox b ON b.domain_id = cd.domain_id
WHERE cd.campaign_id = ANY($1::int[])
"""


async def _load_steps_and_groups(conn: Any, campaigns: Mapping[int, _Campaign]) -> None:
    ids = sorted(campaigns)
    for campaign_id, position, variants in (await conn.execute_query(_STEPS, [ids]))[1]:
        raw = json.loads(variants) if isinstance(variants, str) else variants
        weights = tuple(max(0, int(v.get("weight", 1) or 0)) for v in raw or [] if isinstance(v, dict))
        campaigns[campaign_id].steps.append(_Step(int(position), weights))
    for campaign_id, mailbox_id in sorted((await conn.execute_query(_GROUPS, [ids]))[1]):
        campaigns[campaign_id].group.append(int(mailbox_id))


_BOXES = """
SELECT b.id, b.workspace_id, b.domain_id, b.provider, b.status, b.daily_cap, b.warmup_started_on,
    coalesce(b.cooldown_until > $2, false) AS cooling, d.name AS domain_name, d.status AS domain_status,
    d.daily_cap AS domain_cap, b.graduated_at
FROM mailbox b JOIN domain d ON d.id = b.domain_id
WHERE b.id = ANY($1::int[])
"""


async def _load_boxes(
    conn: Any, campaigns: Mapping[int, _Campaign], spaces: Mapping[int, Space], now: dt.datetime
) -> dict[int, _Box]:
    """The mailboxes of every group: whether and how much each may send. (The workspace and domain of every
    mailbox of the planned workspaces, which all count toward the domain and workspace caps, come with their
    usage: `used_today`.)"""
    wanted = sorted({m for c in campaigns.values() for m in c.group})
    boxes: dict[int, _Box] = {}
    caps: dict[tuple[int, str], EffectiveCap] = {}  # a fleet has few distinct caps and providers
    shares: dict[tuple[int, int, dt.date], int] = {}  # (workspace, daily cap, graduation day) -> campaign share
    for row in (await conn.execute_query_dict(_BOXES, [wanted, now])) if wanted else []:
        space = spaces.get(int(row["workspace_id"]))
        if space is None:
            continue
        daily_cap, provider = int(row["daily_cap"]), str(row["provider"])
        own = caps.get((daily_cap, provider))
        if own is None:
            own = caps[(daily_cap, provider)] = effective_cap(
                CapInputs(mailbox_cap=daily_cap, provider_limit=PRESETS[MailProvider(provider)].provider_daily_limit)
            )
        graduated = _graduated_on(row, space)
        share_total = shares.get((space.id, daily_cap, graduated))
        if share_total is None:
            share_total = shares[(space.id, daily_cap, graduated)] = graduation.campaign_cap(
                space.settings, daily_cap=daily_cap, days_since_graduation=(space.day - graduated).days
            )
        box = _Box(
            id=int(row["id"]),
            workspace_id=space.id,
            domain_id=int(row["domain_id"]),
            domain_name=str(row["domain_name"]),
            day=space.day,
            domain_cap=int(row["domain_cap"]),
            own_total=own.allowed,
            own_binding=own.binding,
            share_total=share_total,
        )
        status = MailboxStatus(row["status"])
        if status is not MailboxStatus.ACTIVE:
            box.reason = status.value  # warming: not graduated yet; paused, cooldown, disabled, retired
        elif row["cooling"]:
            box.reason = "cooldown"
        elif DomainStatus(row["domain_status"]) in _BLOCKED_DOMAIN:
            box.reason = f"domain_{row['domain_status']}"
        elif space.paused:
            box.reason = "workspace_paused"
        box.ready = not box.reason
        boxes[box.id] = box
    for campaign in campaigns.values():  # a mailbox of another workspace never sends for this one
        campaign.group = [m for m in campaign.group if m in boxes and boxes[m].workspace_id == campaign.workspace_id]
    return boxes


def _graduated_on(row: Mapping[str, Any], space: Space) -> dt.date:
    """The day a mailbox graduated (its campaign volume unlocks week by week from it): `Mailbox.graduated_at`,
    its last `warming → active` (a return from cooldown does not restart the unlock); without one, the
    day its minimum warmup period ended; without a warmup start either, today (the most careful step)."""
    if row["graduated_at"] is not None:
        moment: dt.datetime = row["graduated_at"]
        return moment.astimezone(space.zone).date()
    if row["warmup_started_on"] is not None:
        return graduation.period_over_on(space.settings, started_on=row["warmup_started_on"])
    return space.day


_CAMPAIGN_USED = """
WITH c(id, lo, hi) AS (SELECT * FROM unnest($1::int[], $2::timestamptz[], $3::timestamptz[])),
m AS (
    SELECT c.id, m.mailbox_id, m.status, m.kind, m.scheduled_at, true AS today
    FROM c JOIN outbound_message m ON m.campaign_id = c.id AND m.scheduled_at >= c.lo AND m.scheduled_at < c.hi
    UNION ALL  -- those not sent yet of another day, each found by the index on its status (and time)
    SELECT c.id, m.mailbox_id, m.status, m.kind, m.scheduled_at, false
    FROM (
        SELECT * FROM outbound_message WHERE status = 'planned' AND scheduled_at < $4
        UNION ALL SELECT * FROM outbound_message WHERE status = 'planned' AND scheduled_at >= $5
        UNION ALL SELECT * FROM outbound_message WHERE status = 'queued' AND scheduled_at < $4
        UNION ALL SELECT * FROM outbound_message WHERE status = 'queued' AND scheduled_at >= $5
        UNION ALL SELECT * FROM outbound_message WHERE status = 'sending'
    ) m JOIN c ON c.id = m.campaign_id
    WHERE NOT (m.scheduled_at >= c.lo AND m.scheduled_at < c.hi)
)
SELECT id, mailbox_id,
    count(*) FILTER (WHERE today AND status <> 'cancelled' AND kind = 'campaign'),
    count(*) FILTER (WHERE status IN ('planned', 'queued', 'sending')),
    max(scheduled_at) FILTER (WHERE status IN ('planned', 'queued'))
FROM m GROUP BY 1, 2
"""
"""Per campaign and mailbox: its rows of the campaign's own day, those not sent yet (any day), and the moment of the
last of them waiting to go. Never a scan of a campaign's history: today's rows by the index on campaign and time,
the others waiting by the indexes on rows planned, queued and being sent ($4, $5: the latest start and the earliest
end of the campaigns' days)."""


async def _campaign_usage(conn: Any, campaigns: Mapping[int, _Campaign]) -> dict[int, dt.datetime]:
    """Each campaign's rows of its own day, per mailbox (its `daily_cap` and `per_mailbox_cap` count them), and its
    rows not sent yet, per mailbox: their enrollments are still due, are read by `_due`, then dropped. Returns the
    moment of each mailbox's last campaign row waiting to go."""
    ids = sorted(campaigns)
    bounds = [_campaign_day(campaigns[i]) for i in ids]
    los, his = [lo for lo, _ in bounds], [hi for _, hi in bounds]
    rows = await conn.execute_query(_CAMPAIGN_USED, [ids, los, his, max(los, default=None), min(his, default=None)])
    last: dict[int, dt.datetime] = {}
    for campaign_id, box_id, count, pending, latest in rows[1]:
        campaign = campaigns[campaign_id]
        if count:
            campaign.used += int(count)
            campaign.used_by_box[box_id] += int(count)
        if pending:
            campaign.pending[box_id] = int(pending)
        if latest is not None:
            last[box_id] = max(latest, last.get(box_id, latest))
    return last


def _campaign_day(campaign: _Campaign) -> Interval:
    start = dt.datetime.combine(campaign.day, dt.time(0), tzinfo=campaign.zone)
    end = dt.datetime.combine(campaign.day + dt.timedelta(days=1), dt.time(0), tzinfo=campaign.zone)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


# ------------------------------------------------------------------------------------------------- capacity


def _rooms(
    boxes: Mapping[int, _Box],
    campaigns: Mapping[int, _Campaign],
    *,
    owners: Mapping[int, tuple[int, int]],
    used_all: Mapping[int, int],
    used_warm: Mapping[int, int],
    spaces: Mapping[int, Space],
    opts: CampaignPlanOptions,
) -> None:
    """Set each ready mailbox's room for campaign sends today and the cap that sets it: its own limits, then its
    share of what its domain and its workspace may still send (shared among the mailboxes campaigns may use, each
    wanting at most what its campaigns could ask of it)."""
    demand: Counter[int] = Counter()  # what the campaigns could ask of each mailbox at most
    for campaign in campaigns.values():
        left = max(0, campaign.daily_cap - campaign.used)
        for box_id in campaign.group:
            demand[box_id] += min(left, max(0, campaign.per_mailbox_cap - campaign.used_by_box[box_id]))
    caps: dict[tuple[int, float], EffectiveCap] = {}
    for box in boxes.values():
        box.load = used_all.get(box.id, 0)
        box.campaign_used = box.load - used_warm.get(box.id, 0)
        if not box.ready:
            box.room, box.binding = 0, CapKind.STATUS
            continue
        key = (box.own_total, opts.health.get(box.id, 1.0))
        own = caps.get(key)
        if own is None:
            own = caps[key] = effective_cap(CapInputs(mailbox_cap=key[0], health_factor=key[1], base_cap=key[0]))
        box.room = own.remaining(box.load)
        box.binding = box.own_binding if own.binding is CapKind.MAILBOX else own.binding
        left = max(0, box.share_total - box.campaign_used)
        if left < box.room:
            box.room, box.binding = left, CapKind.CAMPAIGN
    _share_totals(boxes, demand, owners=owners, used_all=used_all, spaces=spaces)


def _share_totals(
    boxes: Mapping[int, _Box],
    demand: Mapping[int, int],
    *,
    owners: Mapping[int, tuple[int, int]],
    used_all: Mapping[int, int],
    spaces: Mapping[int, Space],
) -> None:
    """Cut each ready mailbox's room to its share of what its domain, then its workspace, may still send today
    (every kind of mail of every mailbox counts; each mailbox wants at most what its campaigns could ask)."""
    for kind in (CapKind.DOMAIN, CapKind.WORKSPACE):
        groups: dict[int, list[_Box]] = defaultdict(list)
        for box in boxes.values():
            if box.ready:
                groups[box.domain_id if kind is CapKind.DOMAIN else box.workspace_id].append(box)
        used_by: Counter[int] = Counter()
        for box_id, count in used_all.items():  # every mailbox of the domain or workspace, every kind of mail
            workspace_id, domain_id = owners[box_id]
            used_by[domain_id if kind is CapKind.DOMAIN else workspace_id] += count
        for key, members in groups.items():
            total = members[0].domain_cap if kind is CapKind.DOMAIN else spaces[key].daily_cap
            if total is None:
                continue
            given = share(total - used_by[key], {b.id: min(b.room, demand[b.id]) for b in members})
            for box in members:
                if given[box.id] < min(box.room, demand[box.id]):
                    box.room, box.binding = given[box.id], kind


# ------------------------------------------------------------------------------------------------- due leads

_DUE = """
WITH c(id, until, lim) AS (SELECT * FROM unnest($1::int[], $2::timestamptz[], $3::int[])),
r(campaign_id, mailbox_id, lim, counted) AS (SELECT * FROM unnest($4::int[], $5::int[], $6::int[], $7::int[])),
fu AS (  -- due follow-ups per campaign and sticky mailbox, counted in the index alone
    SELECT e.campaign_id, e.mailbox_id, count(*) AS total
    FROM c JOIN enrollment e ON e.campaign_id = c.id
    WHERE e.state = 'active' AND e.mailbox_id IS NOT NULL AND e.next_due_at < c.until
    GROUP BY 1, 2
),
candidate AS (
    SELECT e.*, true AS counts FROM c CROSS JOIN LATERAL (
        SELECT e.id, e.campaign_id, e.lead_id, e.current_step, e.next_due_at, e.mailbox_id, e.thread_message_id,
            e.variant, 1 AS weight
        FROM enrollment e
        WHERE e.campaign_id = c.id AND e.state = 'active' AND e.next_due_at < c.until AND e.mailbox_id IS NULL
        ORDER BY e.next_due_at, e.id  -- `enrollment_first_due` in its order: a campaign's oldest due first
        -- steps are read first and the scan stops at the limit
        LIMIT c.lim
    ) e
    UNION ALL
    SELECT f.id, f.campaign_id, f.lead_id, f.current_step, f.next_due_at, f.mailbox_id, f.thread_message_id, f.variant,
        CASE WHEN f.rank = coalesce(r.lim, 0) + $8 THEN fu.total - f.rank + 1 ELSE 1 END,  -- the last one read
        -- stands for those not read
        f.rank <= coalesce(r.counted, 0)  -- sure to take one of the campaign's sends (`_due`)
    FROM fu JOIN c ON c.id = fu.campaign_id
    LEFT JOIN r ON r.campaign_id = fu.campaign_id AND r.mailbox_id = fu.mailbox_id  -- none: it left the group
    CROSS JOIN LATERAL (  -- each sticky mailbox's oldest due follow-ups (`enrollment_follow_up_due` in its order)
        SELECT e.id, e.campaign_id, e.lead_id, e.current_step, e.next_due_at, e.mailbox_id, e.thread_message_id,
            e.variant, row_number() OVER (ORDER BY e.next_due_at, e.id) AS rank
        FROM enrollment e
        WHERE e.campaign_id = fu.campaign_id AND e.mailbox_id = fu.mailbox_id AND e.state = 'active'
            AND e.next_due_at < c.until
        ORDER BY e.next_due_at, e.id
        LIMIT coalesce(r.lim, 0) + $8
    ) f
),
ranked AS (  -- each candidate's place among those of its campaign that take a send, oldest due first
    SELECT e.*, count(*) FILTER (WHERE e.counts) OVER (PARTITION BY e.campaign_id ORDER BY e.next_due_at, e.id
        ROWS UNBOUNDED PRECEDING) AS place
    FROM candidate e
),
picked AS (  -- first steps only while the campaign's sends last; whether more of them were due than kept
    SELECT e.*, c.lim, bool_or(e.mailbox_id IS NULL AND e.place >= c.lim) OVER (PARTITION BY e.campaign_id) AS more
    FROM ranked e JOIN c ON c.id = e.campaign_id
)
SELECT e.id, e.campaign_id, e.lead_id, e.current_step, e.next_due_at, e.mailbox_id, e.thread_message_id, e.variant,
    e.weight, l.timezone AS lead_zone, l.email, e.more
FROM picked e
CROSS JOIN LATERAL (  -- each lead by its key (OFFSET 0 keeps it a lookup, never a scan of every lead)
    SELECT email, timezone FROM lead WHERE lead.id = e.lead_id OFFSET 0
) l
WHERE (e.mailbox_id IS NOT NULL OR e.place <= e.lim)
AND (  -- the next step has no row yet: one probe of the (enrollment, step) key per candidate, never a scan of
       -- every message ever sent (a NOT EXISTS would be planned as one)
    SELECT m.id FROM outbound_message m WHERE m.enrollment_id = e.id AND m.step_position >= e.current_step LIMIT 1
) IS NULL
"""
"""First steps are read up to the campaign's limit, then cut where the follow-ups due before them (those sure to
go: inside their mailbox's room and its time in the window) and the first steps before them have taken the limit: a
campaign whose follow-ups fill its day reads a lead and probes a row only for the first steps that could still go.
The rest is unordered: the rows stream to the client as they are found (decoded while the server finds the next), and
each campaign's few hundred are put in order here (`_DUE_ORDER`)."""

_DUE_ORDER: Final = operator.itemgetter(_NEXT_DUE_AT, _ID)
"""A campaign's due enrollments in order: the oldest due first (as `enrollment_first_due` and
`enrollment_follow_up_due` read them)."""


async def _due(
    conn: Any, campaigns: Mapping[int, _Campaign], boxes: Mapping[int, _Box], opts: CampaignPlanOptions
) -> tuple[dict[int, list[_Due]], set[int]]:
    """Per campaign, its active enrollments due before the end of today's window whose next step has no row
    yet, oldest first. Bounded so a day stays cheap: first steps, at most what the campaign could send today plus
    the slack; follow-ups, per sticky mailbox at most the room it has for the campaign plus a few (so one full
    mailbox never hides the follow-ups of the others). Rows already planned but not sent are read and dropped;
    the bounds count them in. Also returns the enrollments whose lead is suppressed."""
    ids, until, limits = [], [], []
    pairs: tuple[list[int], list[int], list[int], list[int]] = ([], [], [], [])
    for campaign in campaigns.values():
        if campaign.lead_timezone:
            end = campaign.hi  # every lead has its own window: the end of the day bounds them all
        else:
            open_now = campaign.open_in(campaign.zone)
            end = open_now[-1][1] if open_now else campaign.hi
        end = min(end, campaign.near)
        waiting = campaign.pending
        share = campaign.share()
        rooms = {
            m: _paced(
                min(boxes[m].room, max(0, campaign.per_mailbox_cap - campaign.used_by_box[m])), waiting.get(m, 0), share
            )
            for m in campaign.group
        }
        campaign.paced.update(rooms)
        campaign.quota = _paced(max(0, campaign.daily_cap - campaign.used), sum(waiting.values()), share)
        budget = min(campaign.quota, sum(rooms.values()))
        ids.append(campaign.id)
        until.append(end)
        limits.append(budget + max(_MIN_SLACK, round(opts.slack * share)) + sum(waiting.values()))
        # a mailbox's due follow-ups count against the first steps only as far as they are sure to go: its room, as
        # many as its time in the window holds — none when each lead has its own window (a follow-up due now may
        # wait for its lead's morning, and must not keep the other leads' first steps back)
        near = () if campaign.lead_timezone else campaign.near_in(campaign.zone)
        whole = _slots(near, opts.min_gap_s)
        for box_id, room in rooms.items():
            held = waiting.get(box_id, 0)
            slots = _slots(_from(near, boxes[box_id].after), opts.min_gap_s) if whole else 0
            pairs[0].append(campaign.id)
            pairs[1].append(box_id)
            pairs[2].append(min(room, budget) + held)
            pairs[3].append(min(room, budget, slots) + held)
    found: dict[int, list[_Due]] = defaultdict(list)
    per_box = 1  # follow-ups read beyond a mailbox's room: enough to record that they wait
    rows = (await conn.execute_query(_DUE, [ids, until, limits, *pairs, per_box]))[1]
    domain_of = {r[_EMAIL]: "" for r in rows}
    for email in domain_of:
        domain_of[email] = email.rpartition("@")[2]  # after the last @ (the whole value without one)
    box_of = {e: mailbox_of(e) for e in domain_of}  # `ivan+news@` is `ivan@`'s inbox: an opt-out of one is of both
    wanted = {*domain_of, *domain_of.values(), *box_of.values()}
    blocked = await _suppressed(conn, {c.workspace_id for c in campaigns.values()}, wanted)
    values: dict[int, set[str]] = defaultdict(set)  # workspace id (0: global) -> suppressed addresses and domains
    for workspace_id, value in blocked:
        values[workspace_id].add(value)
    matched = {value for _, value in blocked}
    hits = {e: d for e, d in domain_of.items() if matched & {e, d, box_of[e]}}  # suppressed somewhere
    scopes = {c.id: values.get(c.workspace_id, set()) | values.get(0, set()) for c in campaigns.values()}
    suppressed = set()
    for r in rows:
        found[r[_CAMPAIGN_ID]].append(r)
        if hits and r[_EMAIL] in hits:  # and in this campaign's workspace or globally?
            scope = scopes[r[_CAMPAIGN_ID]]
            if scope & {r[_EMAIL], hits[r[_EMAIL]], box_of[r[_EMAIL]]}:
                suppressed.add(r[_ID])
    for items in found.values():
        items.sort(key=_DUE_ORDER)
    for campaign_id, items in found.items():
        campaigns[campaign_id].more = bool(items[0][_MORE])
    return found, suppressed


def _from(span: tuple[Interval, ...], after: dt.datetime | None) -> tuple[Interval, ...]:
    """`span` from `after` on (a mailbox's new sends start after those already waiting to go)."""
    if after is None or not span or after <= span[0][0]:
        return span
    return tuple(schedule.clip(list(span), after))


def _slots(span: tuple[Interval, ...], min_gap_s: int) -> int:
    """The sends `span` holds, `min_gap_s` apart."""
    return math.floor(schedule.seconds(list(span)) / min_gap_s)


_SUPPRESSED = """
SELECT coalesce(s.workspace_id, 0), s.value FROM unnest($1::text::text[]) AS v(value)
JOIN suppression s ON s.value = v.value
WHERE s.workspace_id IS NULL OR s.workspace_id = ANY($2::int[])
"""
"""A join, not `= ANY`: an array cast from text at run time is searched element by element for every row."""


async def _suppressed(conn: Any, workspaces: Collection[int], values: Collection[str]) -> set[tuple[int, str]]:
    """The suppressions (workspace id, 0 for global; value) among `values` (addresses and domains). The values go as
    one array literal (asyncpg would check each element of a list against `collections.abc`)."""
    if not values:
        return set()
    rows = (await conn.execute_query(_SUPPRESSED, [_text_array(values), sorted(workspaces)]))[1]
    return {(int(w), str(v)) for w, v in rows}


def _text_array(values: Collection[str]) -> str:
    """A PostgreSQL array literal of any strings (each quoted, its backslashes and quotes escaped), sent as text."""
    text = '","'.join(values)
    if not text and not values:
        return "{}"
    if "\\" in text or text.count('"') != 2 * (len(values) - 1):  # a value with a quote or a backslash (the
        # separator has two quotes of its own): rare, escaped one by one
        text = '","'.join(v.replace("\\", "\\\\").replace('"', '\\"') for v in values)
    return '{"' + text + '"}'


# ------------------------------------------------------------------------------------------------- placing


@dataclass(slots=True)
class _Placing:
    """The state of one run's placement: rows made, enrollments to stop, variants drawn, window room per
    mailbox and span, and each campaign's heap of group mailboxes by load."""

    campaigns: Mapping[int, _Campaign]
    boxes: Mapping[int, _Box]
    opts: CampaignPlanOptions
    rng: random.Random
    suppressed: Collection[int]  # enrollments whose lead is suppressed: stopped
    rows: list[_Row] = field(default_factory=list)
    stop: list[int] = field(default_factory=list)
    variants: dict[int, int] = field(default_factory=dict)
    fits: dict[tuple[int, tuple[Interval, ...]], int] = field(default_factory=dict)
    after: dict[tuple[int, tuple[Interval, ...]], tuple[Interval, ...]] = field(default_factory=dict)
    heaps: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    members: dict[int, frozenset[int]] = field(default_factory=dict)
    full: dict[int, dict[int, CapKind]] = field(default_factory=dict)  # campaign -> full mailbox -> its cap
    full_cap: dict[int, tuple[int, CapKind]] = field(default_factory=dict)  # campaign -> (len(full), the cap most of
    # its full mailboxes hit): what holds a send when the whole group is full (`_full_cap`)
    ahead: set[int] = field(default_factory=set)  # campaigns with a mailbox that took its share of the horizon

    def room_for(self, campaign: _Campaign, box: _Box) -> tuple[int, CapKind]:
        own = campaign.per_mailbox_cap - campaign.used_by_box[box.id]
        return (max(0, own), CapKind.CAMPAIGN) if own < box.room else (box.room, box.binding)

    def span_of(self, box: _Box, span: tuple[Interval, ...]) -> tuple[Interval, ...]:
        """`span` from the moment the mailbox's new sends may start (after those already waiting to go)."""
        if box.after is None or box.after <= span[0][0]:
            return span
        key = (box.id, span)
        found = self.after.get(key)
        if found is None:
            found = self.after[key] = _from(span, box.after)
        return found

    def window_left(self, box: _Box, span: tuple[Interval, ...]) -> int:
        span = self.span_of(box, span)
        key = (box.id, span)
        left = self.fits.get(key)
        if left is None:
            left = self.fits[key] = _slots(span, self.opts.min_gap_s)
        return left


def _assign(
    campaigns: Mapping[int, _Campaign],
    boxes: Mapping[int, _Box],
    due: Mapping[int, Sequence[_Due]],
    *,
    suppressed: Collection[int],
    now: dt.datetime,
    opts: CampaignPlanOptions,
    rng: random.Random,
) -> _Placing:
    """Place the due sends, campaigns taking turns one send each (so campaigns sharing mailboxes share them)."""
    state = _Placing(campaigns, boxes, opts, rng, suppressed)
    for campaign in campaigns.values():
        ready = [(boxes[m].load, m) for m in campaign.group if boxes[m].ready]
        heapq.heapify(ready)
        state.heaps[campaign.id] = ready
        state.members[campaign.id] = frozenset(campaign.group)
        state.full[campaign.id] = {}
    order = sorted(campaigns)
    turns = [campaigns[i] for i in order]
    for items in itertools.zip_longest(*(due.get(i, ()) for i in order)):  # a round: one send of each campaign
        for campaign, item in zip(turns, items, strict=True):
            if item is not None:
                _place(state, campaign, item, now)
    for campaign in campaigns.values():  # group_full: the held sends, spread over the mailboxes that were full
        full = sorted(state.full[campaign.id].items())
        if not full or not campaign.group_full:
            continue
        each, extra = divmod(campaign.group_full, len(full))  # the first `extra` mailboxes get one more
        for n, (box_id, cap) in enumerate(full):
            if each or n < extra:
                boxes[box_id].held[campaign.id] += each + (n < extra)
                boxes[box_id].held_cap[campaign.id] = cap
    return state


def _next_step(campaign: _Campaign, current: int) -> _Step | None:
    """The first step at or after `current` (None: the sequence is over)."""
    if current not in campaign.next_steps:
        campaign.next_steps[current] = next((s for s in campaign.steps if s.position >= current), None)
    return campaign.next_steps[current]


def _place(state: _Placing, campaign: _Campaign, item: _Due, now: dt.datetime) -> None:
    if state.suppressed and item[_ID] in state.suppressed:
        state.stop.append(item[_ID])
        return
    current = item[_CURRENT_STEP]
    step = campaign.next_steps[current] if current in campaign.next_steps else _next_step(campaign, current)
    if step is None:
        return  # past the last step: the outbox completes such enrollments
    zone, base, near = campaign.spans_of(item[_LEAD_ZONE] or "")
    if not base:
        off = not campaign.window.allows(now.astimezone(zone).date())
        campaign.hold(CapKind.WINDOW, "weekday" if off else "closed", item[_WEIGHT])
        return
    due_at = item[_NEXT_DUE_AT]
    if due_at >= base[-1][1]:
        return  # due after today's window: tomorrow's
    if campaign.used + campaign.planned >= campaign.daily_cap:
        campaign.hold(CapKind.CAMPAIGN, "daily_cap", item[_WEIGHT])
        return
    if campaign.planned >= campaign.quota or not near or due_at >= near[-1][1]:
        return  # a later run's: its share of the day, or its moment, is past the horizon
    span = tuple(schedule.clip(list(near), due_at)) if due_at > near[0][0] else near  # the window once due
    follow_up = step.position != campaign.steps[0].position and item[_MAILBOX_ID] is not None
    chosen = _sticky(state, campaign, item, span) if follow_up else _pick(state, campaign, span)
    if chosen is not None:
        _take(state, campaign, chosen, item=item, step=step, span=span, follow_up=follow_up)


def _sticky(state: _Placing, campaign: _Campaign, item: _Due, span: tuple[Interval, ...]) -> _Box | None:
    """The mailbox that sent the first step, when it may send this follow-up now; None (recorded) when it waits."""
    box = state.boxes.get(item[_MAILBOX_ID] or 0)
    if box is None or box.id not in state.members[campaign.id]:
        campaign.hold(CapKind.STATUS, "sticky_not_in_group", item[_WEIGHT])
        return None
    room, cap = state.room_for(campaign, box)
    if not box.ready:
        cap, reason = CapKind.STATUS, f"sticky_{box.reason}"
    elif room <= 0:
        reason = "sticky_full"
    elif campaign.paced[box.id] <= 0:
        return None  # its share of this horizon is taken: a later run's
    elif state.window_left(box, span) <= 0:
        if campaign.cut(span):
            return None  # its time in this horizon is taken: a later run's
        cap, reason = CapKind.WINDOW, "mailbox_window"
    else:
        return box
    campaign.hold(cap, reason, item[_WEIGHT])
    box.held[campaign.id] += item[_WEIGHT]
    box.held_cap[campaign.id] = cap
    return None


def _pick(state: _Placing, campaign: _Campaign, span: tuple[Interval, ...]) -> _Box | None:
    """The least-loaded mailbox of the group with room for this campaign and in this span; None (recorded) when
    there is none."""
    heap = state.heaps[campaign.id]
    if not heap and not state.full[campaign.id] and campaign.id not in state.ahead:
        campaign.hold(CapKind.STATUS, "no_ready_mailbox")
        return None
    skipped: list[tuple[int, int]] = []
    chosen = None
    while heap:
        load, box_id = heapq.heappop(heap)
        box = state.boxes[box_id]
        if load != box.load:  # another campaign gave it a send meanwhile
            heapq.heappush(heap, (box.load, box_id))
            continue
        room, cap = state.room_for(campaign, box)
        if room <= 0:
            state.full[campaign.id][box_id] = cap  # out of this campaign's heap for the day
            continue
        if campaign.paced[box_id] <= 0:  # its share of this horizon is taken: out of the heap for this run
            state.ahead.add(campaign.id)
            continue
        if state.window_left(box, span) <= 0:
            if campaign.cut(span):  # its time in this horizon is taken: out of the heap for this run
                state.ahead.add(campaign.id)
                continue
            skipped.append((load, box_id))
            if len(skipped) >= 16:
                break
            continue
        chosen = box
        break
    for entry in skipped:
        heapq.heappush(heap, entry)
    if chosen is not None:
        heapq.heappush(heap, (chosen.load + 1, chosen.id))
        return chosen
    if skipped:
        campaign.hold(CapKind.WINDOW, "mailbox_window")
    elif campaign.id not in state.ahead:  # (else the mailboxes left took their share of this horizon)
        campaign.hold(_full_cap(state, campaign.id), "group_full")
        campaign.group_full += 1
    return None


_ORDER: Final = list(CapKind)


def _full_cap(state: _Placing, campaign_id: int) -> CapKind:
    """The cap most of the campaign's full mailboxes hit (ties: the first in `CapKind`); recounted only when another
    mailbox filled up (a mailbox joins `full` once and never leaves it)."""
    full = state.full[campaign_id]
    known = state.full_cap.get(campaign_id)
    if known is not None and known[0] == len(full):
        return known[1]
    caps = Counter(full.values())
    cap = min(caps, key=lambda c: (-caps[c], _ORDER.index(c)))
    state.full_cap[campaign_id] = (len(full), cap)
    return cap


def _take(
    state: _Placing,
    campaign: _Campaign,
    box: _Box,
    *,
    item: _Due,
    step: _Step,
    span: tuple[Interval, ...],
    follow_up: bool,
) -> None:
    variant = item[_VARIANT]
    if variant is None:
        variant = _draw(step.weights, state.rng)
        state.variants[item[_ID]] = variant
    intervals = state.span_of(box, span)
    state.rows.append(
        _Row(
            campaign.workspace_id,
            campaign.id,
            item[_ID],
            item[_LEAD_ID],
            box.id,
            step.position,
            variant,
            intervals,
            item[_THREAD] if follow_up else "",
            follow_up,
        )
    )
    box.room -= 1
    box.load += 1
    box.added += 1
    campaign.used_by_box[box.id] += 1
    campaign.planned += 1
    campaign.paced[box.id] -= 1
    state.fits[(box.id, intervals)] -= 1


def _draw(weights: Sequence[int], rng: random.Random) -> int:
    """A variant index drawn by weight (0 when the step has one variant or no weights)."""
    if len(weights) <= 1 or sum(weights) <= 0:
        return 0
    return rng.choices(range(len(weights)), weights=weights)[0]


# ------------------------------------------------------------------------------------------------- rows


def _times(rows: Sequence[_Row], *, opts: CampaignPlanOptions, rng: random.Random) -> None:
    """Message-IDs, and moments: the new sends of a mailbox in one span spread through it with random gaps."""
    groups: dict[tuple[int, tuple[Interval, ...]], list[_Row]] = defaultdict(list)
    for row in rows:
        groups[(row.mailbox_id, row.intervals)].append(row)
    seeded = opts.seed is not None  # a reproducible plan: Message-IDs too (the world's answers hang on them)
    ids = "" if seeded else secrets.token_hex(16 * len(rows))
    lengths: dict[tuple[Interval, ...], float] = {}  # a few distinct spans among many mailboxes
    for (_, span), members in groups.items():
        total = lengths.get(span)
        if total is None:
            total = lengths[span] = schedule.seconds(list(span))
        anchor = span[0][0]
        offsets = spread(len(members), anchor, anchor + dt.timedelta(seconds=total), min_gap_s=opts.min_gap_s, rng=rng)
        for row, moment in zip(members, offsets, strict=True):
            at = moment if len(span) == 1 else _at_offset(span, (moment - anchor).total_seconds())  # one interval:
            # the moment is already in it
            row.scheduled_at = at
            if seeded:  # the moment as a number: a datetime's text costs more than the hash
                row.message_id = seeded_message_hex(
                    opts.seed, "campaign", row.enrollment_id, row.step_position, row.mailbox_id, at.timestamp()
                )
    if not seeded:
        for n, row in enumerate(rows):
            row.message_id = ids[32 * n : 32 * n + 32]


def _at_offset(span: Sequence[Interval], offset_s: float) -> dt.datetime:
    """The moment `offset_s` seconds into the concatenated intervals of `span`."""
    for start, end in span:
        length = (end - start).total_seconds()
        if offset_s < length:
            return start + dt.timedelta(seconds=offset_s)
        offset_s -= length
    return span[-1][1] - dt.timedelta(seconds=1)


_STAGE = """
CREATE TEMP TABLE campaign_plan_rows (ws int, mb int, lead bigint, enr bigint, cmp int, pos smallint, var smallint,
    mid text, at timestamptz, fu boolean, irt text) ON COMMIT DROP
"""
_STAGED: Final = ("ws", "mb", "lead", "enr", "cmp", "pos", "var", "mid", "at", "fu", "irt")

_MIN_SLACK: Final = 10
"""The slack a run with a short horizon still reads beyond what it can send (`CampaignPlanOptions.slack`, paced to
the horizon like the sends)."""


def _paced(left: int, waiting: int, share: float) -> int:
    """What a run with a horizon may add of the `left` sends a day still allows, when `waiting` sends are planned
    and not gone yet and the horizon holds `share` of the rest of today's sending time: enough that the sends
    waiting inside the horizon are that share of all those still to go today (rounded to the nearest: runs never
    drift ahead; the last horizon of the day holds its whole rest), so the day's sends go out evenly over its
    window, however often the runs come."""
    if share >= 1:
        return left
    return max(0, min(left, math.floor((left + waiting) * share + 0.5) - waiting))


# Follow-ups reply in the thread of the first step: `In-Reply-To` is the enrollment's thread Message-ID (or, without
# one, the first it sent), `References` the Message-IDs it sent so far from this mailbox, oldest first, after the
# thread's when that one is not among them. A thread lives in one mailbox: after a domain swap moved the sequence to
# another mailbox (`engine.domains.swap`, which clears the thread), the messages the old mailbox sent are not
# referenced and the next follow-up starts a new thread. The chain is read here, one probe of the (enrollment, step)
# key per follow-up, rather than shipped to the client and back.
_INSERT = """
INSERT INTO outbound_message (kind, workspace_id, mailbox_id, lead_id, enrollment_id, campaign_id, step_position,
    variant, message_id, subject, body, html, status, scheduled_at, attempts, smtp_reply, in_reply_to, "references",
    created_at)
SELECT 'campaign', p.ws, p.mb, p.lead, p.enr, p.cmp, p.pos, p.var, p.mid, '', '', '', 'planned', p.at, 0, '', t.irt,
    array_to_string(CASE WHEN t.irt <> '' AND t.irt <> ALL(c.sent) THEN t.irt || c.sent ELSE c.sent END, ' '), $1
FROM campaign_plan_rows p
CROSS JOIN LATERAL (
    SELECT ARRAY(
        SELECT m.message_id::text FROM outbound_message m
        WHERE p.fu AND m.enrollment_id = p.enr AND m.status = 'sent' AND m.mailbox_id = p.mb
        ORDER BY m.step_position
    ) AS sent
    OFFSET 0  -- read once per row (pulled up, the chain would be read again at each of its four uses below)
) c
CROSS JOIN LATERAL (SELECT CASE WHEN p.irt <> '' THEN p.irt ELSE coalesce(c.sent[1], '') END AS irt) t
"""

_SKIPPING: Final = "ON CONFLICT DO NOTHING"
"""What `_INSERT` ends with when a lead-step or a Message-ID of the rows may be taken (see `_rows_in`)."""


_VARIANTS = """
UPDATE enrollment e SET variant = v.var FROM unnest($1::bigint[], $2::smallint[]) AS v(enr, var)
WHERE e.id = v.enr AND e.variant IS NULL
"""
"""The variants drawn, from arrays in enrollment order: the server sees how many there are (a few thousand of a
day's rows, most of which are follow-ups) and probes the enrollment key for each, where the staged table (no
statistics) had it hash the whole enrollment table."""


async def _insert(
    conn: Any,
    rows: Sequence[_Row],
    variants: Mapping[int, int],
    boxes: Mapping[int, _Box],
    now: dt.datetime,
    *,
    meanwhile: Callable[[], None],
) -> int:
    """All new rows: copied (binary COPY) into a temporary table, then one statement; a lead-step that already has
    a row is skipped (the unique constraint). The A/B variants drawn (`variants`, enrollment id -> variant: one
    per row at most) are stored on their enrollments, each by its key (`_VARIANTS`). Returns how many rows it inserted.
    `meanwhile` runs here while the server executes the insert (Python work of the run that needs no statement).

    Most of a day's plan is this statement (every row: seven index entries; its enrollment, lead and mailbox are
    named without a constraint, whose locked key checks were half of it: `models.OutboundMessage`), so the rows go
    in by enrollment (the (enrollment, step) key and the lead's are probed and extended in order, page after page), and
    their Message-IDs begin with the moment of the run in hex: new keys land together at the right end of the unique
    index instead of on a random page each (fewer pages touched, far less WAL)."""
    if not rows:
        meanwhile()
        return 0
    prefix = f"<{int(now.timestamp()):x}."
    suffix = {box_id: f"@{boxes[box_id].domain_name}>" for box_id in {r.mailbox_id for r in rows}}
    records = [
        (
            r.workspace_id,
            r.mailbox_id,
            r.lead_id,
            r.enrollment_id,
            r.campaign_id,
            r.step_position,
            r.variant,
            prefix + r.message_id + suffix[r.mailbox_id],
            r.scheduled_at,
            r.follow_up,
            r.in_reply_to,
        )
        for r in sorted(rows, key=_by_enrollment)
    ]
    async with conn.acquire_connection() as raw:  # the raw status names the rows inserted ("INSERT 0 n")
        await raw.execute(_STAGE)
        await raw.copy_records_to_table("campaign_plan_rows", records=records, columns=_STAGED)
        await raw.execute("SAVEPOINT campaign_plan_rows")
        inserting = asyncio.ensure_future(_rows_in(raw, now))
        await asyncio.sleep(0)  # the statement is sent: the server inserts while this process goes on
        try:
            meanwhile()
        finally:
            status = await inserting
        if variants:
            drawn = sorted(variants.items())
            await raw.execute(_VARIANTS, [e for e, _ in drawn], [v for _, v in drawn])
        await raw.execute("DROP TABLE campaign_plan_rows")  # two runs in one transaction (tests) each stage theirs
    return int(str(status).rsplit(" ", 1)[-1])


async def _rows_in(raw: Any, now: dt.datetime) -> str:
    """`_INSERT` of the staged rows inside the savepoint the caller set; returns its status. A lead-step or a
    Message-ID already taken is skipped (`ON CONFLICT DO NOTHING`), but that clause costs every row a probe of each
    unique index before its insert and a second WAL record after it, and a conflict is next to impossible: `_due`
    read each lead-step without a row (only a transaction that took it since could have), and a Message-ID is random
    or, seeded, names its lead-step. So the rows go in plainly first; when one was taken anyway (a unique violation),
    the savepoint undoes them and they go in again with the clause: the same rows in the end."""
    try:
        status = await raw.execute(_INSERT, now)
    except asyncpg.UniqueViolationError:
        await raw.execute("ROLLBACK TO SAVEPOINT campaign_plan_rows")
        status = await raw.execute(_INSERT + _SKIPPING, now)
    await raw.execute("RELEASE SAVEPOINT campaign_plan_rows")
    return str(status)


def _by_enrollment(row: _Row) -> int:
    return row.enrollment_id


async def _stop(conn: Any, enrollment_ids: Sequence[int]) -> None:
    if enrollment_ids:
        await conn.execute_query(
            "UPDATE enrollment SET state = $2, stopped_reason = $3, next_due_at = NULL "
            "WHERE id = ANY($1::bigint[]) AND state = $4",
            [list(enrollment_ids), EnrollmentState.STOPPED.value, SUPPRESSED, EnrollmentState.ACTIVE.value],
        )


# ------------------------------------------------------------------------------------------------- deferrals

_BOX_EXISTING = """
SELECT mailbox_id, cap, wanted, allowed, detail::text, day FROM cap_deferral
WHERE mailbox_id = ANY($1::int[]) AND day = ANY($2::date[]) AND source = 'campaign'
"""

_BOX_DELETE = """
DELETE FROM cap_deferral d USING unnest($1::int[], $2::date[], $3::text[]) AS b(id, day, cap)
WHERE d.mailbox_id = b.id AND d.day = b.day AND d.cap = b.cap AND d.source = 'campaign'
"""

_BOX_UPSERT = """
INSERT INTO cap_deferral (workspace_id, mailbox_id, day, cap, source, wanted, allowed, detail, updated_at)
SELECT ws, mb, day, cap, 'campaign', wanted, allowed, detail::jsonb, $8
FROM unnest($1::int[], $2::int[], $3::date[], $4::text[], $5::int[], $6::int[], $7::text[])
    AS t(ws, mb, day, cap, wanted, allowed, detail)
ON CONFLICT (mailbox_id, day, cap, source) DO UPDATE SET
    wanted = excluded.wanted, allowed = excluded.allowed, detail = excluded.detail, updated_at = excluded.updated_at
"""

_CAMPAIGN_EXISTING = """
SELECT campaign_id, cap, wanted, allowed, detail::text, day FROM campaign_deferral
WHERE campaign_id = ANY($1::int[]) AND day = ANY($2::date[])
"""

_CAMPAIGN_DELETE = """
DELETE FROM campaign_deferral d USING unnest($1::int[], $2::date[], $3::text[]) AS b(id, day, cap)
WHERE d.campaign_id = b.id AND d.day = b.day AND d.cap = b.cap
"""

_CAMPAIGN_UPSERT = """
INSERT INTO campaign_deferral (workspace_id, campaign_id, day, cap, wanted, allowed, detail, updated_at)
SELECT ws, cmp, day, cap, wanted, allowed, detail::jsonb, $8
FROM unnest($1::int[], $2::int[], $3::date[], $4::text[], $5::int[], $6::int[], $7::text[])
    AS t(ws, cmp, day, cap, wanted, allowed, detail)
ON CONFLICT (campaign_id, day, cap) DO UPDATE SET
    wanted = excluded.wanted, allowed = excluded.allowed, detail = excluded.detail, updated_at = excluded.updated_at
"""

_Want = tuple[int, int, dt.date, str, int, int, dict[str, Any]]  # workspace, owner, day, cap, wanted, allowed, detail


def _deferrals(campaigns: Mapping[int, _Campaign], boxes: Mapping[int, _Box]) -> tuple[list[_Want], list[_Want]]:
    """Today's deferrals of this planner as this run found them, for the mailboxes of the groups and for the running
    campaigns (what `_record` writes)."""
    box_rows: list[_Want] = []
    for box in boxes.values():
        if not box.held:
            continue
        by_cap: dict[CapKind, Counter[int]] = defaultdict(Counter)  # cap -> campaign id -> sends it held
        for campaign_id, count in box.held.items():
            if count > 0:
                by_cap[box.held_cap[campaign_id]][campaign_id] += count
        allowed = box.campaign_used + box.added
        for cap, held in by_cap.items():
            detail: dict[str, Any] = {"kind": "campaign", "campaigns": sorted(held)}
            if cap is CapKind.STATUS:
                detail["reason"] = box.reason
            total = sum(held.values())
            box_rows.append((box.workspace_id, box.id, box.day, cap.value, allowed + total, allowed, detail))
    campaign_rows: list[_Want] = []
    for campaign in campaigns.values():
        total = sum(campaign.held.values())
        allowed = campaign.used + campaign.planned
        for cap, count in campaign.held.items():
            detail = {"held": count, "reasons": dict(campaign.reasons[cap]), "more": campaign.more}
            campaign_rows.append(
                (campaign.workspace_id, campaign.id, campaign.day, cap.value, allowed + total, allowed, detail)
            )
    return box_rows, campaign_rows


async def _record(
    conn: Any,
    box_rows: Sequence[_Want],
    campaign_rows: Sequence[_Want],
    campaigns: Mapping[int, _Campaign],
    now: dt.datetime,
    *,
    owners: Mapping[int, tuple[int, int]],
    spaces: Mapping[int, Space],
) -> int:
    """Make today's deferrals of this planner what this run found (`_deferrals`), for the mailboxes of the groups
    and for the running campaigns: rows that no longer apply are removed, new and changed ones written. Returns
    how many it wrote.

    A mailbox's row (`CapDeferral`, source `campaign`): the campaign sends that wanted it and found it full or
    blocked, by the cap that held them (`wanted` = its campaign mail today + those, `allowed` = its campaign
    mail today; `detail.campaigns` names the campaigns). A campaign's row (`CampaignDeferral`): per cap, how many
    of its due sends it held (`detail.held`, with `detail.reasons`: `daily_cap`, `weekday`, `closed`,
    `no_ready_mailbox`, `group_full`, `sticky_full`, `sticky_<status>`, `sticky_not_in_group`,
    `mailbox_window`) and `detail.more` when more were due than the run read; `wanted` = its sends today + all
    it held, `allowed` = its sends today."""
    written = await _sync(
        conn,
        box_rows,
        owners={box_id: spaces[ws_id].day for box_id, (ws_id, _) in owners.items()},  # every mailbox: one that
        # left every group keeps no row
        queries=(_BOX_EXISTING, _BOX_DELETE, _BOX_UPSERT),
        now=now,
    )
    written += await _sync(
        conn,
        campaign_rows,
        owners={c.id: c.day for c in campaigns.values()},
        queries=(_CAMPAIGN_EXISTING, _CAMPAIGN_DELETE, _CAMPAIGN_UPSERT),
        now=now,
    )
    await conn.execute_query(  # campaigns no longer running: today's "why" no longer applies (their status says it)
        "DELETE FROM campaign_deferral d USING campaign c WHERE d.campaign_id = c.id AND c.status <> 'running' "
        "AND c.workspace_id = ANY($1::int[]) AND d.day >= $2",
        [sorted(spaces), min(s.day for s in spaces.values())],
    )
    return written


async def _sync(
    conn: Any,
    wanted: Sequence[_Want],
    *,
    owners: Mapping[int, dt.date],
    queries: tuple[str, str, str],
    now: dt.datetime,
) -> int:
    """Make the rows of `owners` (mailboxes or campaigns) on their day exactly `wanted`; unchanged rows are left
    alone. Returns how many rows it wrote."""
    if not owners:
        return 0
    existing_q, delete_q, upsert_q = queries
    want = {(w[1], w[3]): w for w in wanted}
    found = {
        (int(r[0]), str(r[1])): (int(r[2]), int(r[3]), json.loads(r[4]))
        for r in (await conn.execute_query(existing_q, [sorted(owners), sorted(set(owners.values()))]))[1]
        if owners.get(int(r[0])) == r[5]
    }
    stale = [key for key in found if key not in want]
    if stale:
        days = [owners[i] for i, _ in stale]
        await conn.execute_query(delete_q, [[i for i, _ in stale], days, [c for _, c in stale]])
    items = [w for key, w in want.items() if found.get(key) != (w[4], w[5], w[6])]
    if items:
        await conn.execute_query(
            upsert_q,
            [
                [w[0] for w in items],
                [w[1] for w in items],
                [w[2] for w in items],
                [w[3] for w in items],
                [w[4] for w in items],
                [w[5] for w in items],
                [json.dumps(w[6]) for w in items],
                now,
            ],
        )
    return len(items)

"""The planning tick: today's warmup quotas become `planned` OutboundMessage rows inside every cap.

One run, for every workspace on its own calendar day (its time zone):

1. lock the workspaces (`pg_advisory_xact_lock`, in id order): two workers planning at once take turns, and the
   second sees the rows of the first — capacity is reserved by the rows themselves, never by a counter;
2. count what each mailbox already has today (every kind of mail, every status but `cancelled`): warmup counts
   toward every cap, and running the plan twice plans nothing the second time;
3. per mailbox: the ramp's target (or the maintenance share after graduation), cut by the mailbox's own caps
   (provider, health, its daily cap), then by its share of what its domain and its workspace may still send, then
   by the room left in the send window, then by the peers pairing could find;
4. pair each new send with a receiver (pool by pool), spread them through the rest of the window with random gaps
   (at least `min_gap_s` apart) and insert the rows in one COPY — without text: the outbox's sweep writes subject
   and body when a row comes due (`Outbox.sweep`), so a day's plan never waits for tens of thousands of texts;
5. record every cut in `CapDeferral` (one row per mailbox, day and cap; rows of this planner that no longer apply
   are removed, unchanged ones are not rewritten), which is what `why` answers from. The cuts known before pairing
   are written on a second connection while the first inserts the rows (committed just before the plan is: if
   the plan then fails, the next tick writes them again).

With a `PlanMemo` (the worker passes one over Redis) a run first compares each workspace's fingerprint — its
mailboxes' and domains' states and caps, its settings and the day, in one aggregate query — with the one stored
after its last plan, and skips the workspaces where nothing changed and no change to their outbound messages was
logged since (`WarmupChange`: triggers log every statement that inserts or deletes messages, and every message
cancelled or moved, except this planner's own inserts; a plan deletes the rows it read). Planning them again would
plan nothing and record the same cuts; so a tick where nothing changed reads no message at all. A workspace held
back by its send window or by a want of peers is never skipped: time alone changes those.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import hashlib
import json
import math
import random
import secrets
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple, Protocol
from zoneinfo import ZoneInfo

from redis.asyncio import Redis
from tortoise import connections
from tortoise.transactions import in_transaction

from engine.clock import Clock
from engine.clock import zone_or_utc as _zone
from engine.logging import get_logger
from engine.mail.message import seeded_message_hex
from engine.mail.providers import PRESETS
from engine.sending.caps import CapInputs, EffectiveCap, effective_cap, share
from engine.warmup.pairing import Pairing, Peer, pair, pool_key
from engine.warmup.ramp import RampMark, daily_target, maintenance_base, maintenance_target, mark_of
from engine.warmup.settings import WarmupSettings
from models import Workspace
from models.enums import CapKind, DomainStatus, MailboxStatus, MessageKind, MessageStatus

log = get_logger(__name__)

PLAN_LOCK: Final = 0x6D66_706C  # "mfpl": the first key of the advisory lock; the second is the workspace id
"""Anything that reserves sending capacity of a workspace (this planner, the campaign planner), or deletes what the
campaign planner's rows name (`lock_plans`), takes `pg_advisory_xact_lock(PLAN_LOCK, workspace_id)` first."""


async def lock_plans(conn: Any, workspace_ids: Collection[int]) -> None:
    """Hold the planning lock of the workspaces, in id order as the planners take it, until the end of the caller's
    transaction on `conn`: a plan under way commits first, and none starts meanwhile."""
    if workspace_ids:
        await conn.execute_query(
            "SELECT count(pg_advisory_xact_lock($1, w)) FROM unnest($2::int[]) AS w", [PLAN_LOCK, sorted(workspace_ids)]
        )


DEFAULT_WINDOW: Final = (dt.time(8, 0), dt.time(20, 0))
"""Warmup send window in the workspace's time zone unless `settings["warmup_window"]` says "HH:MM-HH:MM"."""

_BLOCKED_MAILBOX: Final = frozenset(
    s.value for s in (MailboxStatus.PAUSED, MailboxStatus.COOLDOWN, MailboxStatus.DISABLED)
)
_BLOCKED_DOMAIN: Final = frozenset(s.value for s in (DomainStatus.COOLING, DomainStatus.BURNED, DomainStatus.RETIRED))


@dataclass(frozen=True, slots=True)
class PlanOptions:
    """Knobs of a planning run. `health` maps mailbox ids to a health factor below 1 (monitoring's cut)."""

    min_gap_s: int = 240  # two sends of one mailbox never closer than this
    lead_s: int = 60  # the first new send no earlier than this after now
    recent_days: int = 3  # no warmup pair repeated within these days
    health: Mapping[int, float] = field(default_factory=dict)
    seed: int | None = None  # tests: a reproducible plan


@dataclass(frozen=True, slots=True)
class PlanReport:
    """What a run did."""

    workspaces: int
    mailboxes: int  # mailboxes considered (in warmup)
    planned: int  # rows inserted
    deferrals: int  # CapDeferral rows written (new or changed)
    skipped: int = 0  # workspaces found unchanged since their last plan (only with a memo)


class PlanMemo(Protocol):
    """Where the fingerprint of each workspace's last plan is kept between runs (shared by every worker)."""

    async def get(self, workspace_ids: Sequence[int]) -> dict[int, str]: ...

    async def put(self, fingerprints: Mapping[int, str | None]) -> None:
        """Store the fingerprints; None forgets a workspace's (it is planned in full next time)."""


class RedisPlanMemo:
    """`PlanMemo` in Redis: one key per workspace, kept two days (a new day changes every fingerprint anyway)."""

    def __init__(self, redis: Redis, *, prefix: str = "mailfleet:plan:warmup:", ttl_s: int = 2 * 86400) -> None:
        self.redis, self.prefix, self.ttl_s = redis, prefix, ttl_s

    async def get(self, workspace_ids: Sequence[int]) -> dict[int, str]:
        if not workspace_ids:
            return {}
        values = await self.redis.mget([f"{self.prefix}{i}" for i in workspace_ids])
        return {
            i: v.decode() if isinstance(v, bytes) else str(v)
            for i, v in zip(workspace_ids, values, strict=True)
            if v is not None
        }

    async def put(self, fingerprints: Mapping[int, str | None]) -> None:
        if not fingerprints:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            for workspace_id, value in fingerprints.items():
                key = f"{self.prefix}{workspace_id}"
                if value is None:
                    pipe.delete(key)
                else:
                    pipe.set(key, value, ex=self.ttl_s)
            await pipe.execute()


@dataclass(slots=True)
class _Box:
    """A mailbox in warmup, as one plan sees it."""

    id: int
    workspace_id: int
    domain_id: int
    provider: str
    daily_cap: int
    used: int  # rows it already has today, every kind
    done: int  # of those, warmup
    want: int  # warmup emails it should send today (ramp or maintenance)
    blocked: str  # why nothing may go out: a status, cooldown, warmup paused, the domain's status; "" when nothing
    graduated: bool
    cuts: dict[CapKind, int] = field(default_factory=dict)  # cap -> total allowed for the day after that cap


@dataclass(slots=True)
class Space:
    id: int
    zone: ZoneInfo
    day: dt.date
    settings: WarmupSettings
    window: tuple[dt.datetime, dt.datetime]
    daily_cap: int | None
    pool: str
    inputs: str = ""  # what of the workspace itself a plan depends on (time zone, settings), for its fingerprint
    paused: bool = False  # settings["sending_paused"]: the workspace sends nothing, warmup included


async def plan_warmup(clock: Clock, options: PlanOptions | None = None, *, memo: PlanMemo | None = None) -> PlanReport:
    """Plan today's warmup for every workspace (see the module). Idempotent: a second run the same day adds only
    what became possible since (a raised cap, a resumed mailbox, a new peer). With `memo`, workspaces unchanged
    since their last plan are skipped."""
    opts = options or PlanOptions()
    now = clock.now()
    rng = random.Random(opts.seed if opts.seed is not None else secrets.randbits(64))
    spaces = await load_spaces(now)
    if not spaces:
        return PlanReport(0, 0, 0, 0)
    remember: dict[int, str | None] = {}
    # both connections before any lock (the second one from the pool, not the transaction's): it writes the
    # deferrals while the first inserts the rows
    async with connections.get("default").acquire_connection() as side, in_transaction() as conn:
        # with a memo, this run's own inserts log nothing (`WarmupChange`): the memo records what it planned
        await conn.execute_query(_LOCK_ALL, [PLAN_LOCK, sorted(spaces), "on" if memo is not None else "off"])
        states: dict[int, _State] = {}
        if memo is not None:
            states = await _states(conn, spaces, now)
            stored = await memo.get(sorted(spaces))
            dirty = {
                i
                for i, state in states.items()
                if state.changes or stored.get(i) != _fingerprint(spaces[i], state.boxes, opts)
            }
            if any(spaces[i].pool == "agency" for i in dirty):  # one pool: planned together
                dirty |= {i for i, space in spaces.items() if space.pool == "agency"}
            todo = {i: spaces[i] for i in sorted(dirty)}
        else:
            todo = dict(spaces)
        skipped = len(spaces) - len(todo)
        if not todo:
            return PlanReport(len(spaces), 0, 0, 0, skipped)
        async with conn.acquire_connection() as raw:
            warm, planned, written = await _plan(raw, side, todo, opts=opts, now=now, rng=rng)
        if memo is not None:
            await _forget_changes(conn, states, todo)
            volatile = {b.workspace_id for b in warm if CapKind.WINDOW in b.cuts or CapKind.PEERS in b.cuts}
            remember = {
                i: None if i in volatile else _fingerprint(space, states[i].boxes, opts) for i, space in todo.items()
            }
    if memo is not None:
        await memo.put(remember)  # after the commit: a fingerprint never names rows that were rolled back
    log.info(
        "warmup planned",
        workspaces=len(todo),
        skipped=skipped,
        mailboxes=len(warm),
        planned=planned,
        deferrals=written,
    )
    return PlanReport(len(spaces), len(warm), planned, written, skipped)


_LOCK_ALL = """
SELECT pg_advisory_xact_lock($1, id), set_config('mailfleet.warmup_planning', $3, true), set_config('jit', 'off', true)
FROM (SELECT unnest($2::int[]) AS id ORDER BY 1) AS ws
"""
"""Every workspace's lock in one round trip, taken in id order like every other planner takes them; whether this
transaction's inserts are logged in `warmup_change` (the triggers of migration 0012 read the setting); and no JIT
compilation: with real statistics, a fleet's per-mailbox index lookups cost enough on paper to be compiled, which
takes longer than running them."""

_STATES = """
SELECT w.id,
    (SELECT format('%s:%s', count(*), sum(hash_record_extended(ROW(b.id, b.domain_id, b.provider, b.status,
        b.warmup_started_on, b.warmup_paused_at IS NULL, b.daily_cap, coalesce(b.cooldown_until > $2, false),
        b.warmup_ramp_day, b.warmup_ramp_level), 0)))
     FROM mailbox b WHERE b.workspace_id = w.id) AS boxes,
    (SELECT sum(hash_record_extended(ROW(d.id, d.daily_cap, d.status), 0)) FROM domain d
     WHERE d.id IN (SELECT x.domain_id FROM mailbox x WHERE x.workspace_id = w.id)) AS domains,
    ARRAY(SELECT c.id FROM warmup_change c WHERE c.workspace_id = w.id) AS changes
FROM unnest($1::int[]) AS w(id)
"""
"""Per workspace: a digest of its mailboxes and their domains as the plan reads them, and the changes logged among
its outbound messages since its last plan (`WarmupChange`) — what it already has today changes only through those,
so no tick counts today's rows to find out whether anything changed."""


class _State(NamedTuple):
    """What `_STATES` read of a workspace."""

    boxes: str
    changes: Sequence[int]


async def _states(conn: Any, spaces: Mapping[int, Space], now: dt.datetime) -> dict[int, _State]:
    rows = (await conn.execute_query(_STATES, [sorted(spaces), now]))[1]
    return {int(r[0]): _State(f"{r[1]}:{r[2]}", r[3]) for r in rows}


def _fingerprint(space: Space, boxes: str, opts: PlanOptions) -> str:
    health = ",".join(f"{k}:{v}" for k, v in sorted(opts.health.items()))
    text = f"v4|{space.day}|{space.inputs}|{boxes}|{opts.min_gap_s},{opts.lead_s},{opts.recent_days}|{health}"
    return hashlib.sha256(text.encode()).hexdigest()


async def _forget_changes(conn: Any, states: Mapping[int, _State], planned: Collection[int]) -> None:
    """Delete the change rows the planned workspaces' states were read with (never one logged since: it stays, and
    the next tick plans that workspace again), and those of workspaces no longer planned (archived)."""
    ids = [i for ws_id in planned for i in states[ws_id].changes]
    await conn.execute_query(_FORGET, [ids, sorted(states)])


_FORGET = "DELETE FROM warmup_change WHERE id = ANY($1::bigint[]) OR NOT (workspace_id = ANY($2::int[]))"


async def _plan(
    raw: Any, side: Any, spaces: Mapping[int, Space], *, opts: PlanOptions, now: dt.datetime, rng: random.Random
) -> tuple[list[_Box], int, int]:
    """Plan `spaces` on the transaction's connection `raw` (steps 2-5 of the module): the mailboxes in warmup,
    how many rows were planned, how many deferrals written.

    The server works while this process does: it reads today's deferrals on the second connection `side` while
    the first reads the fleet (before anything is written: both see the same rows, and the lock keeps every other
    warmup plan of these workspaces out); the deferrals known before pairing (every cut but a want of peers) are
    written on `side` (one statement, committed before the plan is) while the rows are inserted; and each pool is
    paired while the COPY streams the rows of the pools before it."""
    days = sorted({space.day for space in spaces.values()})
    reading = await _started(side, _EXISTING, [sorted(spaces), days], first=False)
    try:
        fleet = await _load(raw, spaces, now)
    finally:  # the second connection is idle again before anything else happens (or it goes back to the pool)
        existing = await reading
    warm = [b for b in fleet.boxes if b.want > 0]
    day_of = {b.id: spaces[b.workspace_id].day for b in warm}
    rooms = _rooms(warm, fleet, spaces=spaces, opts=opts, now=now)
    had = _existing(existing, day_of)
    recent = await _recent_pairs(raw, sorted(rooms), now - dt.timedelta(days=opts.recent_days))
    writing = await _write_deferrals(side, _deferrals(warm, rooms), had, peers=False, day_of=day_of, now=now)
    pairings: list[Pairing] = []
    try:
        if rooms:
            pools = _pools(fleet, rooms, recent, spaces)
            records = _records(pools, pairings, fleet=fleet, spaces=spaces, opts=opts, now=now, rng=rng)
            await raw.copy_records_to_table("outbound_message", records=records, columns=_COLUMNS)
    finally:  # the second connection goes back to the pool only once its statement is done
        written = int((await writing)[0]) if writing else 0
    short: dict[tuple[int, str], tuple[_Box, _Deferral]] = {}  # mailboxes that found fewer receivers than sends
    for sender, missing in (item for pairing in pairings for item in pairing.unpaired.items()):
        box = fleet.by_id[sender]
        total = box.cuts[CapKind.PEERS] = box.done + rooms[sender] - missing
        short[(sender, _PEERS)] = (box, (box.want, min(total, box.want), box.graduated, ""))
    if writing := await _write_deferrals(raw, short, had, peers=True, day_of=day_of, now=now):
        written += int((await writing)[0])
    return warm, sum(len(r) for pairing in pairings for r in pairing.receivers.values()), written


class _PoolInput(NamedTuple):
    """What pairing one pool needs: its senders' rooms, its peers, the recent pairs of its senders."""

    rooms: dict[int, int]
    peers: list[Peer]
    recent: list[tuple[int, int]]


def _pools(
    fleet: _Fleet, rooms: Mapping[int, int], recent: Collection[tuple[int, int]], spaces: Mapping[int, Space]
) -> list[_PoolInput]:
    """The pools of the plan (mailboxes pair only within their pool), in the order of their keys."""
    pools: dict[str, _PoolInput] = {}
    for b in fleet.boxes:
        if not b.blocked:
            key = spaces[b.workspace_id].pool
            pool = pools.get(key) or pools.setdefault(key, _PoolInput({}, [], []))
            pool.peers.append(Peer(b.id, b.domain_id, b.provider, key, receive_target=b.want))
            if b.id in rooms:
                pool.rooms[b.id] = rooms[b.id]
    pool_of = {sender: pool for pool in pools.values() for sender in pool.rooms}
    for sender, receiver in recent:
        pool_of[sender].recent.append((sender, receiver))
    return [pools[key] for key in sorted(pools)]


async def load_spaces(now: dt.datetime) -> dict[int, Space]:
    rows = await Workspace.filter(archived_at=None).values("id", "timezone", "locale", "settings")
    spaces = {}
    for row in rows:
        zone = _zone(str(row["timezone"]))
        day = now.astimezone(zone).date()
        raw: Mapping[str, Any] = row["settings"] or {}
        settings = WarmupSettings.in_effect(raw)
        start, end = _window(raw.get("warmup_window"))
        cap = raw.get("daily_cap")
        spaces[int(row["id"])] = Space(
            id=int(row["id"]),
            zone=zone,
            day=day,
            settings=settings,
            window=(
                dt.datetime.combine(day, start, tzinfo=zone).astimezone(dt.UTC),
                dt.datetime.combine(day, end, tzinfo=zone).astimezone(dt.UTC),
            ),
            daily_cap=int(cap) if isinstance(cap, int) and cap >= 0 else None,
            pool=pool_key(int(row["id"]), settings.pool),
            inputs=json.dumps([row["timezone"], row["locale"], raw], sort_keys=True, default=str),
            paused=raw.get("sending_paused") is True,
        )
    return spaces


def _window(value: Any) -> tuple[dt.time, dt.time]:
    """ "08:00-20:00" → the two times; anything else (or an empty window) → the default."""
    try:
        first, second = str(value).split("-")
        start, end = dt.time.fromisoformat(first.strip()), dt.time.fromisoformat(second.strip())
    except ValueError:
        return DEFAULT_WINDOW
    return (start, end) if start < end else DEFAULT_WINDOW


_TODAY = """
SELECT count(*) AS n, count(*) FILTER (WHERE m.kind = 'warmup') AS warm FROM outbound_message m
WHERE m.mailbox_id = b.id AND m.scheduled_at >= w.lo AND m.scheduled_at < w.hi AND m.status <> 'cancelled'
"""
"""What a mailbox `b` already has on its workspace's day `w` (every kind, and warmup), as a LATERAL subquery: the
day's bounds are conditions of the index scan on (mailbox, scheduled_at), not a filter over the mailbox's history."""

_BOXES = """
SELECT b.id, b.workspace_id, b.domain_id, b.provider, b.status, b.warmup_started_on,
    b.warmup_paused_at IS NOT NULL, b.daily_cap, coalesce(b.cooldown_until > $2, false), b.warmup_ramp_day,
    b.warmup_ramp_level
FROM mailbox b WHERE b.workspace_id = ANY($1::int[]) AND b.warmup_started_on IS NOT NULL
ORDER BY b.id
"""
"""The mailboxes of the workspaces that have been in warmup."""

_DOMAINS = """
SELECT d.id, d.name, d.daily_cap, d.status FROM domain d
WHERE d.id IN (SELECT b.domain_id FROM mailbox b WHERE b.workspace_id = ANY($1::int[]))
"""


class _Domain(NamedTuple):
    name: str
    cap: int
    blocked: str  # "domain_<status>" when its status stops sending, else ""


@dataclass(slots=True)
class _Fleet:
    """What a plan reads of the workspaces it plans."""

    boxes: list[_Box]  # the mailboxes in warmup, in id order
    by_id: dict[int, _Box]
    domains: dict[int, _Domain]
    domain_used: dict[int, int]  # rows today of every mailbox of a domain, every kind
    workspace_used: dict[int, int]  # the same of a workspace


async def _load(raw: Any, spaces: Mapping[int, Space], now: dt.datetime) -> _Fleet:
    """The mailboxes in warmup with what they want today, and what every mailbox already has today (counted by
    the server while this process reads the mailboxes)."""
    ids = sorted(spaces)
    rows = await raw.fetch(_BOXES, ids, now)
    domains = {
        r[0]: _Domain(r[1], r[2], f"domain_{r[3]}" if r[3] in _BLOCKED_DOMAIN else "")
        for r in await raw.fetch(_DOMAINS, ids)
    }
    bounds = [day_bounds(spaces[i]) for i in ids]
    counting = await _started(raw, _USED, [ids, [lo for lo, _ in bounds], [hi for _, hi in bounds]], first=False)
    limits = _PROVIDER_LIMITS
    targets = {i: _targets(space.settings, space.day) for i, space in spaces.items()}
    paused = {i for i, space in spaces.items() if space.paused}
    senders = Counter(r[2] for r in rows if r[4] in _SENDING)  # per domain: its mailboxes that share its cap
    boxes = []
    for box_id, ws_id, domain_id, provider, status, started_on, warmup_paused, daily_cap, cooling, *mark in rows:
        if status not in _IN_WARMUP:
            continue  # new or retired: not in warmup at all
        graduated = status == _ACTIVE
        if graduated:
            base = maintenance_base(daily_cap, domains[domain_id].cap, senders[domain_id])
            want = targets[ws_id].maintenance(box_id, base)
        else:
            want = targets[ws_id].ramp(box_id, started_on, limits[provider], mark_of(*mark))
        if status in _BLOCKED_MAILBOX:
            blocked = status
        elif cooling:
            blocked = "cooldown"
        elif warmup_paused:
            blocked = "warmup_paused"
        elif domains[domain_id].blocked:
            blocked = domains[domain_id].blocked
        elif ws_id in paused:
            blocked = "workspace_paused"
        else:
            blocked = ""
        boxes.append(_Box(box_id, ws_id, domain_id, provider, daily_cap, 0, 0, want, blocked, graduated))
    by_id = {b.id: b for b in boxes}
    return _Fleet(boxes, by_id, domains, *_usage(await counting, by_id))


def _usage(rows: Sequence[Any], boxes: Mapping[int, _Box]) -> tuple[dict[int, int], dict[int, int]]:
    """What every mailbox already has today (`_USED`'s rows: in warmup or not) per domain and per workspace; the
    mailboxes in warmup get their own counts."""
    domain_used: dict[int, int] = defaultdict(int)
    workspace_used: dict[int, int] = defaultdict(int)
    for box_id, ws_id, domain_id, n, done in rows:
        if n:
            domain_used[domain_id] += n
            workspace_used[ws_id] += n
            if (box := boxes.get(box_id)) is not None:
                box.used, box.done = n, done
    return domain_used, workspace_used


_PROVIDER_LIMITS: Final = {str(p.value): preset.provider_daily_limit for p, preset in PRESETS.items()}
_IN_WARMUP: Final = frozenset({MailboxStatus.WARMING.value, MailboxStatus.ACTIVE.value, *_BLOCKED_MAILBOX})
_SENDING: Final = frozenset({MailboxStatus.WARMING.value, MailboxStatus.ACTIVE.value})
_ACTIVE: Final = MailboxStatus.ACTIVE.value


class _Targets:
    """The ramp's (or, after graduation, the maintenance) target of each mailbox of one workspace on one day,
    remembered: every tick of a day asks again for every mailbox (`_targets` keeps one per settings and day)."""

    __slots__ = ("day", "maintenances", "ramps", "settings")

    def __init__(self, settings: WarmupSettings, day: dt.date) -> None:
        self.settings, self.day = settings, day
        self.ramps: dict[tuple[int, dt.date, int | None, RampMark | None], int] = {}
        self.maintenances: dict[tuple[int, int], int] = {}

    def ramp(self, mailbox_id: int, started_on: dt.date, provider_limit: int | None, mark: RampMark | None) -> int:
        key = (mailbox_id, started_on, provider_limit, mark)
        found = self.ramps.get(key)
        if found is None:
            found = self.ramps[key] = daily_target(
                self.settings, mailbox_id=mailbox_id, started_on=started_on, day=self.day,
                provider_limit=provider_limit, mark=mark,
            )  # fmt: skip
        return found

    def maintenance(self, mailbox_id: int, daily_cap: int) -> int:
        key = (mailbox_id, daily_cap)
        found = self.maintenances.get(key)
        if found is None:
            found = self.maintenances[key] = maintenance_target(
                self.settings, mailbox_id=mailbox_id, day=self.day, daily_cap=daily_cap
            )
        return found


@functools.lru_cache(maxsize=64)
def _targets(settings: WarmupSettings, day: dt.date) -> _Targets:
    return _Targets(settings, day)


_USED = f"""
SELECT b.id, b.workspace_id, b.domain_id, t.n, t.warm
FROM unnest($1::int[], $2::timestamptz[], $3::timestamptz[]) AS w(id, lo, hi)
JOIN mailbox b ON b.workspace_id = w.id
CROSS JOIN LATERAL ({_TODAY}) t
"""  # noqa: S608 - composed of constant statements


async def used_today(
    conn: Any, spaces: Mapping[int, Space]
) -> tuple[dict[int, tuple[int, int]], dict[int, int], dict[int, int]]:
    """The workspace and domain of every mailbox of the workspaces (all count toward the caps), and the rows each
    already has on its workspace's day: every kind, and warmup alone."""
    ids = sorted(spaces)
    bounds = [day_bounds(spaces[i]) for i in ids]
    rows = (await conn.execute_query(_USED, [ids, [lo for lo, _ in bounds], [hi for _, hi in bounds]]))[1]
    owners = {r[0]: (r[1], r[2]) for r in rows}
    used_all = {r[0]: r[3] for r in rows if r[3]}
    used_warm = {r[0]: r[4] for r in rows if r[4]}
    return owners, used_all, used_warm


def day_bounds(space: Space) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(space.day, dt.time(0), tzinfo=space.zone)
    end = dt.datetime.combine(space.day + dt.timedelta(days=1), dt.time(0), tzinfo=space.zone)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


async def _recent_pairs(raw: Any, senders: Sequence[int], since: dt.datetime) -> set[tuple[int, int]]:
    """The (sender, receiver) pairs of the senders that get new mail, used since `since`."""
    if not senders:
        return set()
    return {(r[0], peer) for r in await raw.fetch(_RECENT, _array(senders), since) for peer in r[1]}


_RECENT = """
SELECT s.id, m.peers FROM unnest($1::text::int[]) AS s(id)
CROSS JOIN LATERAL (
    SELECT array_agg(DISTINCT m.peer_id) AS peers FROM outbound_message m
    WHERE m.mailbox_id = s.id AND m.scheduled_at >= $2 AND m.kind = 'warmup' AND m.peer_id IS NOT NULL
) AS m
WHERE m.peers IS NOT NULL
"""
"""Per sender, a scan of its own rows since then (the index on mailbox and time; the aggregate keeps the planner
from turning it into a scan of the whole table when its statistics are stale): a sender has a few dozen rows in
those days, the table millions."""


def _rooms(
    boxes: Sequence[_Box], fleet: _Fleet, *, spaces: Mapping[int, Space], opts: PlanOptions, now: dt.datetime
) -> dict[int, int]:
    """How many new warmup rows each mailbox gets before pairing; records each cap that cut on the box."""
    rooms: dict[int, int] = {}
    by_domain: dict[int, dict[int, int]] = defaultdict(dict)
    caps: dict[tuple[int, str, float], EffectiveCap] = {}  # a fleet has few distinct cap settings
    health = opts.health
    for box in boxes:
        done = box.done
        if box.blocked:
            box.cuts[CapKind.STATUS] = done
            continue
        key = (box.daily_cap, box.provider, health.get(box.id, 1.0) if health else 1.0)
        own = caps.get(key)
        if own is None:
            own = caps[key] = effective_cap(
                CapInputs(mailbox_cap=key[0], provider_limit=_PROVIDER_LIMITS[key[1]], health_factor=key[2])
            )
        room = box.want - done if box.want > done else 0
        left = own.allowed - box.used
        if left < room:
            room = left if left > 0 else 0
            box.cuts[own.binding] = done + room
        rooms[box.id] = by_domain[box.domain_id][box.id] = room
    by_id = fleet.by_id
    # each mailbox's share of what its domain, then its workspace, may still send today
    domain_caps = {i: d.cap for i, d in fleet.domains.items()}
    _share_totals(rooms, by_domain, domain_caps, fleet.domain_used, kind=CapKind.DOMAIN, by_id=by_id)
    workspace_caps = {i: s.daily_cap for i, s in spaces.items() if s.daily_cap is not None}
    if workspace_caps:
        by_workspace: dict[int, dict[int, int]] = defaultdict(dict)
        for box_id, room in rooms.items():
            by_workspace[by_id[box_id].workspace_id][box_id] = room
        _share_totals(rooms, by_workspace, workspace_caps, fleet.workspace_used, kind=CapKind.WORKSPACE, by_id=by_id)
    fits = {}  # per workspace: how many sends the rest of its window holds
    for ws_id, space in spaces.items():
        start, end = _remaining_window(space, now, opts)
        fits[ws_id] = max(0, math.floor((end - start).total_seconds() / opts.min_gap_s)) if end > start else 0
    if rooms and min(fits.values()) < max(rooms.values()):  # the window holds somebody back
        for box_id, room in rooms.items():
            box = by_id[box_id]
            if fits[box.workspace_id] < room:
                rooms[box_id] = fits[box.workspace_id]
                box.cuts[CapKind.WINDOW] = box.done + fits[box.workspace_id]
    return {k: v for k, v in rooms.items() if v > 0}


def _share_totals(
    rooms: dict[int, int],
    groups: Mapping[int, Mapping[int, int]],
    totals: Mapping[int, int],
    used: Mapping[int, int],
    *,
    kind: CapKind,
    by_id: Mapping[int, _Box],
) -> None:
    """Cut `rooms` to each mailbox's share of what its group (domain or workspace: `groups` holds each group's
    rooms) may still send today: its total less what all of the group's mailboxes already have."""
    for key, wants in groups.items():
        total = totals.get(key)
        if total is None:
            continue
        left = total - used.get(key, 0)
        if sum(wants.values()) <= left:
            continue  # everybody gets what it wants
        for box_id, got in share(left, wants).items():
            if got < wants[box_id]:
                rooms[box_id] = got
                by_id[box_id].cuts[kind] = by_id[box_id].done + got


def _remaining_window(space: Space, now: dt.datetime, opts: PlanOptions) -> tuple[dt.datetime, dt.datetime]:
    start, end = space.window
    return max(start, now + dt.timedelta(seconds=opts.lead_s)), end


def _records(
    pools: Sequence[_PoolInput],
    pairings: list[Pairing],
    *,
    fleet: _Fleet,
    spaces: Mapping[int, Space],
    opts: PlanOptions,
    now: dt.datetime,
    rng: random.Random,
) -> Iterator[tuple[Any, ...]]:
    """The new rows as COPY records (`_COLUMNS`), made while the COPY streams them: each pool is paired (its
    `Pairing` appended to `pairings`) while the server inserts the rows of the pools before it."""
    kind, status = MessageKind.WARMUP.value, MessageStatus.PLANNED.value
    tail = (0, "", "", "", now)  # attempts, smtp_reply, in_reply_to, references, created_at
    windows = {i: _remaining_window(space, now, opts) for i, space in spaces.items()}
    for pool in pools:
        pairing = pair(pool.rooms, pool.peers, recent=pool.recent, rng=rng)
        pairings.append(pairing)
        receivers = pairing.receivers
        seeded = opts.seed is not None  # a reproducible plan: Message-IDs too (the peers' reactions hang on them)
        hexes = "" if seeded else secrets.token_hex(16 * sum(len(r) for r in receivers.values()))  # one syscall
        at = 0
        for sender_id in sorted(receivers):
            box = fleet.by_id[sender_id]
            ws, domain = box.workspace_id, fleet.domains[box.domain_id].name
            start, end = windows[ws]
            times = spread(len(receivers[sender_id]), start, end, min_gap_s=opts.min_gap_s, rng=rng)
            for peer_id, moment in zip(receivers[sender_id], times, strict=True):
                local = (
                    seeded_message_hex(opts.seed, "warmup", now.isoformat(), sender_id, peer_id, moment.isoformat())
                    if seeded
                    else hexes[at : at + 32]
                )
                message_id = f"<{local}@{domain}>"
                yield (kind, ws, sender_id, peer_id, message_id, "", "", status, moment, *tail)
                at += 32


def spread(
    count: int, start: dt.datetime, end: dt.datetime, *, min_gap_s: int, rng: random.Random
) -> list[dt.datetime]:
    """`count` moments in [start, end), in order, with random gaps never shorter than `min_gap_s` (the caller makes
    sure they fit): the span is cut into equal slots and each send falls at a random point of its slot."""
    if count <= 0:
        return []
    slot = (end - start).total_seconds() / count
    slack = max(0.0, slot - min_gap_s)
    draw, delta = rng.random, dt.timedelta  # rng.uniform(0, slack) is 0 + slack * rng.random(): the same numbers
    return [start + delta(seconds=i * slot + slack * draw()) for i in range(count)]


_COLUMNS: Final = (
    "kind",
    "workspace_id",
    "mailbox_id",
    "peer_id",
    "message_id",
    "subject",
    "body",
    "status",
    "scheduled_at",
    "attempts",
    "smtp_reply",
    "in_reply_to",
    "references",
    "created_at",
)


_EXISTING = """
SELECT mailbox_id, day, cap, wanted, allowed, coalesce(detail->>'graduated' = 'true', false),
    coalesce(detail->>'reason', '')
FROM cap_deferral WHERE workspace_id = ANY($1::int[]) AND day = ANY($2::date[]) AND source = 'warmup'
"""
"""This planner's deferrals of the workspaces on the days given, read before their mailboxes are (`_existing` keeps
those of the mailboxes in warmup, each of its own day: a mailbox never changes workspace)."""

_WRITE = """
WITH gone AS (
    DELETE FROM cap_deferral d USING unnest($1::text::int[], $2::text::date[], $3::text::text[]) AS b(id, day, cap)
    WHERE d.mailbox_id = b.id AND d.day = b.day AND d.cap = b.cap AND d.source = 'warmup'
), written AS (
    INSERT INTO cap_deferral (workspace_id, mailbox_id, day, cap, wanted, allowed, detail, updated_at)
    SELECT ws, mb, day, cap, wanted, allowed, ($10::jsonb[])[ix], $11
    FROM unnest($4::text::int[], $5::text::int[], $6::text::date[], $7::text::text[], $8::text::int[],
        $9::text::int[], $12::text::int[]) AS t(ws, mb, day, cap, wanted, allowed, ix)
    ON CONFLICT (mailbox_id, day, cap, source) DO UPDATE SET
        wanted = excluded.wanted, allowed = excluded.allowed, detail = excluded.detail, updated_at = excluded.updated_at
    RETURNING 1
)
SELECT count(*) FROM written
"""
"""Deferrals that no longer apply removed ($1-$3), new and changed ones written ($4-$9 and $12, the index of each
one's detail in $10), in one statement; how many were written comes back. The long arrays go as text
(`_array`)."""

_PEERS: Final = CapKind.PEERS.value

_Deferral = tuple[int, int, bool, str]
"""What a deferral says beyond its mailbox, day and cap: wanted, allowed, graduated, the reason of a status cut."""


def _existing(rows: Sequence[Any], day_of: Mapping[int, dt.date]) -> dict[tuple[int, str], _Deferral]:
    """`_EXISTING`'s rows of the mailboxes in warmup (`day_of`), each of its own day, by mailbox and cap."""
    return {(r[0], r[2]): (r[3], r[4], r[5], r[6]) for r in rows if day_of.get(r[0]) == r[1]}


def _deferrals(boxes: Sequence[_Box], rooms: Mapping[int, int]) -> dict[tuple[int, str], tuple[_Box, _Deferral]]:
    """Every cut of a mailbox that gets less than it wants if pairing finds a receiver for each send of `rooms`, by
    mailbox and cap."""
    found: dict[tuple[int, str], tuple[_Box, _Deferral]] = {}
    room, status, names = rooms.get, CapKind.STATUS, _CAP_NAMES  # a fleet's worth of boxes: no lookup twice
    for box in boxes:
        if (cuts := box.cuts) and box.done + room(box.id, 0) < (want := box.want):
            for cap, total in cuts.items():
                reason = box.blocked if cap is status else ""
                found[(box.id, names[cap])] = (box, (want, total if total < want else want, box.graduated, reason))
    return found


_CAP_NAMES: Final = {cap: cap.value for cap in CapKind}
"""Each cap's name (`.value` of an enum member is a property: a fleet's deferrals asked for it tens of thousands of
times a tick)."""


async def _write_deferrals(
    raw: Any,
    wanted: Mapping[tuple[int, str], tuple[_Box, _Deferral]],
    had: Mapping[tuple[int, str], _Deferral],
    *,
    peers: bool,
    day_of: Mapping[int, dt.date],
    now: dt.datetime,
) -> asyncio.Task[Any] | None:
    """Make this planner's deferrals of today (those for a want of peers, or all the others) what `wanted` says:
    rows of `had` no longer wanted removed, new and changed ones written, the rest left alone (`day_of`: each
    mailbox's day). The statement is sent and runs on the server while the caller goes on (None: nothing to do)."""
    gone = [key for key in had if (key[1] == _PEERS) == peers and key not in wanted]
    changed = [(box, key[1], values) for key, (box, values) in wanted.items() if had.get(key) != values]
    if not gone and not changed:
        return None
    details: dict[tuple[bool, str], int] = {}
    for *_, (_, _, graduated, reason) in changed:
        details.setdefault((graduated, reason), len(details) + 1)
    return await _started(
        raw,
        _WRITE,
        [
            _array(i for i, _ in gone),
            _array(day_of[i] for i, _ in gone),
            _array(cap for _, cap in gone),
            _array(box.workspace_id for box, _, _ in changed),
            _array(box.id for box, _, _ in changed),
            _array(day_of[box.id] for box, _, _ in changed),
            _array(cap for _, cap, _ in changed),
            _array(values[0] for *_, values in changed),
            _array(values[1] for *_, values in changed),
            [_detail(*kind) for kind in details],
            now,
            _array(details[values[2], values[3]] for *_, values in changed),
        ],
    )


@functools.cache
def _detail(graduated: bool, reason: str) -> str:
    """A deferral's detail as JSON: the same few for a whole fleet, so written once each."""
    detail: dict[str, Any] = {"kind": "warmup", "graduated": graduated}
    if reason:
        detail["reason"] = reason
    return json.dumps(detail)


def _array(values: Iterable[object]) -> str:
    """A PostgreSQL array literal of integers, dates or plain words (cap names), to pass as text and cast in SQL
    (`$1::text::int[]`): asyncpg checks every element of a list it sends as an array against `collections.abc`,
    a few tenths of a microsecond each, which made most of the cost of sending a fleet's worth of them."""
    return "{" + ",".join(map(str, values)) + "}"


async def _started(raw: Any, sql: str, args: Sequence[Any], *, first: bool = True) -> asyncio.Task[Any]:
    """`sql` sent to the server, which runs it while the caller goes on; await the task for its first row (or, with
    `first=False`, all of them)."""
    statement = await raw.prepare(sql)
    run = statement.fetchrow(*args) if first else statement.fetch(*args)
    task: asyncio.Task[Any] = asyncio.ensure_future(run)
    await asyncio.sleep(0)  # the task's first step sends the statement
    return task

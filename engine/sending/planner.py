"""The planning tick: today's warmup quotas become `planned` OutboundMessage rows inside every cap.

One run, for every workspace on its own calendar day (its time zone):

1. lock the workspaces (`pg_advisory_xact_lock`, in id order): two workers planning at once take turns, and the
   second sees the rows of the first — capacity is reserved by the rows themselves, never by a counter;
2. count what each mailbox already has today (every kind of mail, every status but `cancelled`): warmup counts
   toward every cap, and running the plan twice plans nothing the second time;
3. per mailbox: the ramp's target (or the maintenance share after graduation), cut by the mailbox's own caps
   (provider, health, its daily cap), then by its share of what its domain and its workspace may still send, then
   by the room left in the send window, then by the peers pairing could find;
4. spread the new sends through the rest of the window with random gaps (at least `min_gap_s` apart), pair each
   with a receiver and insert the rows in one COPY — without text: the outbox's sweep writes subject and body
   when a row comes due (`Outbox.sweep`), so a day's plan never waits for tens of thousands of texts;
5. record every cut in `CapDeferral` (one row per mailbox, day and cap; rows of this planner that no longer apply
   are removed, unchanged ones are not rewritten), which is what `why` answers from.

With a `PlanMemo` (the worker passes one over Redis) a run first compares each workspace's fingerprint — its
mailboxes' and domains' states and caps, its settings, the day and what it already has today, in one aggregate
query — with the one stored after its last plan, and skips the workspaces where nothing changed (planning them
again would plan nothing and record the same cuts). A workspace held back by its send window or by a want of
peers is never skipped: time alone changes those.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import math
import random
import secrets
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple, Protocol
from zoneinfo import ZoneInfo

from redis.asyncio import Redis
from tortoise.transactions import in_transaction

from engine.clock import Clock
from engine.clock import zone_or_utc as _zone
from engine.errors import UserError
from engine.logging import get_logger
from engine.mail.providers import PRESETS
from engine.sending.caps import CapInputs, EffectiveCap, effective_cap, share
from engine.warmup.pairing import Peer, pair, pool_key
from engine.warmup.ramp import daily_target, maintenance_target
from engine.warmup.settings import WarmupSettings
from models import Workspace
from models.enums import CapKind, DomainStatus, MailboxStatus, MailProvider, MessageKind, MessageStatus

log = get_logger(__name__)

PLAN_LOCK: Final = 0x6D66_706C  # "mfpl": the first key of the advisory lock; the second is the workspace id
"""Anything that reserves sending capacity of a workspace (this planner, the campaign planner) takes
`pg_advisory_xact_lock(PLAN_LOCK, workspace_id)` first."""

DEFAULT_WINDOW: Final = (dt.time(8, 0), dt.time(20, 0))
"""Warmup send window in the workspace's time zone unless `settings["warmup_window"]` says "HH:MM-HH:MM"."""

_BLOCKED_MAILBOX: Final = {MailboxStatus.PAUSED, MailboxStatus.COOLDOWN, MailboxStatus.DISABLED}
_BLOCKED_DOMAIN: Final = {DomainStatus.COOLING, DomainStatus.BURNED, DomainStatus.RETIRED}
_WARMING: Final = {MailboxStatus.WARMING, MailboxStatus.ACTIVE}
_MAILBOX_STATUS: Final = {s.value: s for s in MailboxStatus}
_DOMAIN_STATUS: Final = {s.value: s for s in DomainStatus}


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
    id: int
    workspace_id: int
    domain_id: int
    domain_name: str
    provider: str
    daily_cap: int
    domain_cap: int
    day: dt.date
    want: int = 0
    blocked: str = ""  # why nothing may go out: a status, cooldown, warmup paused, the domain's status
    graduated: bool = False
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
    async with in_transaction() as conn:
        await conn.execute_query(_LOCK_ALL, [PLAN_LOCK, sorted(spaces)])
        states: dict[int, _State] = {}
        if memo is not None:
            states = await _states(conn, spaces, now)
            stored = await memo.get(sorted(spaces))
            dirty = {i for i in spaces if stored.get(i) != _fingerprint(spaces[i], *states[i][:2], opts)}
            if any(spaces[i].pool == "agency" for i in dirty):  # one pool: planned together
                dirty |= {i for i, space in spaces.items() if space.pool == "agency"}
            todo = {i: spaces[i] for i in sorted(dirty)}
        else:
            todo = dict(spaces)
        skipped = len(spaces) - len(todo)
        if not todo:
            return PlanReport(len(spaces), 0, 0, 0, skipped)
        boxes = await _load_boxes(conn, todo, now)
        warm = [b for b in boxes if b.want > 0]
        owners, used_all, used_warm = _usage(states, todo) if states else await used_today(conn, todo)
        rooms = _rooms(warm, owners=owners, used_all=used_all, used_warm=used_warm, spaces=todo, opts=opts, now=now)
        recent = await _recent_pairs(conn, sorted(rooms), now - dt.timedelta(days=opts.recent_days))
        peers = [
            Peer(b.id, b.domain_id, b.provider, todo[b.workspace_id].pool, receive_target=b.want)
            for b in boxes
            if not b.blocked
        ]
        pairing = pair(rooms, peers, recent=recent, rng=rng)
        by_id = {b.id: b for b in boxes}
        planned = sum(len(r) for r in pairing.receivers.values())
        for box in warm:
            got = used_warm.get(box.id, 0) + len(pairing.receivers.get(box.id, ()))
            if pairing.unpaired.get(box.id):
                box.cuts[CapKind.PEERS] = got
        if planned:
            await _insert(conn, _records(pairing.receivers, boxes=by_id, spaces=todo, opts=opts, now=now, rng=rng))
        written = await _record_deferrals(conn, warm, used_warm, pairing.receivers, now)
        if memo is not None:
            remember = _after(
                todo,
                states,
                boxes,
                owners=owners,
                used_all=used_all,
                used_warm=used_warm,
                receivers=pairing.receivers,
                opts=opts,
            )
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


_LOCK_ALL = "SELECT pg_advisory_xact_lock($1, id) FROM (SELECT unnest($2::int[]) AS id ORDER BY 1) AS ws"
"""Every workspace's lock in one round trip, taken in id order like every other planner takes them."""

_VOLATILE: Final = {CapKind.WINDOW, CapKind.PEERS}
"""Cuts that time alone relaxes or tightens (the window shrinks, recent pairs age out): never skipped."""

_TODAY = """
SELECT count(*) AS n, count(*) FILTER (WHERE m.kind = 'warmup') AS warm FROM outbound_message m
WHERE m.mailbox_id = b.id AND m.scheduled_at >= w.lo AND m.scheduled_at < w.hi AND m.status <> 'cancelled'
"""
"""What a mailbox `b` already has on its workspace's day `w` (every kind, and warmup), as a LATERAL subquery: the
day's bounds are conditions of the index scan on (mailbox, scheduled_at), not a filter over the mailbox's history."""

_STATES = f"""
WITH w(id, lo, hi) AS (SELECT * FROM unnest($1::int[], $2::timestamptz[], $3::timestamptz[]))
SELECT w.id,
    format('%s:%s:%s', count(b.id), sum(hash_record_extended(ROW(b.id, b.domain_id, b.provider, b.status,
        b.warmup_started_on, b.warmup_paused_at IS NULL, b.daily_cap, coalesce(b.cooldown_until > $4, false)), 0)),
        (SELECT sum(hash_record_extended(ROW(d.id, d.daily_cap, d.status), 0)) FROM domain d
         WHERE d.id IN (SELECT x.domain_id FROM mailbox x WHERE x.workspace_id = w.id))) AS boxes,
    coalesce(sum(t.n), 0) AS n, coalesce(sum(t.warm), 0) AS warm,
    coalesce(sum(t.n * ((b.id::bigint * 2654435761) % 4294967296)), 0) AS s1,
    coalesce(sum(t.warm * ((b.id::bigint * 2654435761) % 4294967296)), 0) AS s1w,
    coalesce(sum(t.n * ((b.id::bigint * 2246822519) % 4294967296)), 0) AS s2,
    coalesce(sum(t.warm * ((b.id::bigint * 2246822519) % 4294967296)), 0) AS s2w,
    array_agg(b.id) FILTER (WHERE b.id IS NOT NULL) AS ids,
    array_agg(b.domain_id) FILTER (WHERE b.id IS NOT NULL) AS domains,
    array_agg(t.n) FILTER (WHERE b.id IS NOT NULL) AS ns, array_agg(t.warm) FILTER (WHERE b.id IS NOT NULL) AS warms
FROM w
LEFT JOIN mailbox b ON b.workspace_id = w.id
LEFT JOIN LATERAL ({_TODAY}) t ON true
GROUP BY w.id
"""  # noqa: S608 - composed of constant statements


class _State(NamedTuple):
    """What `_STATES` read of a workspace: the digests of its fingerprint, and its mailboxes (ids, domains) with
    their rows today (all, warmup) as arrays, which a plan of that workspace then uses (no second pass)."""

    boxes: str
    sent: str
    usage: tuple[Sequence[int], Sequence[int], Sequence[int], Sequence[int]]


async def _states(conn: Any, spaces: Mapping[int, Space], now: dt.datetime) -> dict[int, _State]:
    """Per workspace, in one pass over its mailboxes: a digest of its mailboxes and domains as the plan reads them,
    a digest of what each of its mailboxes already has today (`_sent_digest` computes the same in Python), and those
    counts themselves."""
    ids = sorted(spaces)
    bounds = [day_bounds(spaces[i]) for i in ids]
    rows = await conn.execute_query(_STATES, [ids, [lo for lo, _ in bounds], [hi for _, hi in bounds], now])
    return {
        int(r["id"]): _State(
            str(r["boxes"]),
            f"{r['n']}:{r['warm']}:{r['s1']}:{r['s1w']}:{r['s2']}:{r['s2w']}" if r["n"] else "",
            (r["ids"] or [], r["domains"] or [], r["ns"] or [], r["warms"] or []),
        )
        for r in rows[1]
    }


def _usage(
    states: Mapping[int, _State], spaces: Mapping[int, Space]
) -> tuple[dict[int, tuple[int, int]], dict[int, int], dict[int, int]]:
    """`used_today`'s answer for `spaces` from what `_states` read."""
    owners: dict[int, tuple[int, int]] = {}
    used_all: dict[int, int] = {}
    used_warm: dict[int, int] = {}
    for ws_id in spaces:
        ids, domains, ns, warms = states[ws_id].usage
        for box_id, domain_id, n, w in zip(ids, domains, ns, warms, strict=True):
            owners[box_id] = (ws_id, domain_id)
            if n:
                used_all[box_id] = n
            if w:
                used_warm[box_id] = w
    return owners, used_all, used_warm


_H1, _H2 = 2654435761, 2246822519  # multiplicative hashes of mailbox ids, as `_STATES` computes them


def _sent_digest(counts: Sequence[tuple[int, int, int]]) -> str:
    """`_STATES`'s digest of (mailbox, rows today, warmup rows today): the counts and two hashed sums over the
    rows (adding, cancelling or removing rows of any mailbox changes it; no sorting, so the query stays cheap)."""
    total = warm = s1 = s1w = s2 = s2w = 0
    for box_id, n, w in counts:
        h1, h2 = (box_id * _H1) % 2**32, (box_id * _H2) % 2**32
        total, warm = total + n, warm + w
        s1, s1w, s2, s2w = s1 + n * h1, s1w + w * h1, s2 + n * h2, s2w + w * h2
    return f"{total}:{warm}:{s1}:{s1w}:{s2}:{s2w}" if total else ""


def _fingerprint(space: Space, boxes: str, sent: str, opts: PlanOptions) -> str:
    health = ",".join(f"{k}:{v}" for k, v in sorted(opts.health.items()))
    text = f"v3|{space.day}|{space.inputs}|{boxes}|{sent}|{opts.min_gap_s},{opts.lead_s},{opts.recent_days}|{health}"
    return hashlib.sha256(text.encode()).hexdigest()


def _after(
    todo: Mapping[int, Space],
    states: Mapping[int, _State],
    boxes: Sequence[_Box],
    *,
    owners: Mapping[int, tuple[int, int]],
    used_all: Mapping[int, int],
    used_warm: Mapping[int, int],
    receivers: Mapping[int, Sequence[int]],
    opts: PlanOptions,
) -> dict[int, str | None]:
    """The fingerprint each planned workspace has now: its state as read before planning (a change since then
    shows next time) with today's rows as counted plus the rows just added; None where a volatile cut held."""
    volatile = {b.workspace_id for b in boxes if _VOLATILE & b.cuts.keys()}
    counts: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for box_id, (ws_id, _) in owners.items():
        added = len(receivers.get(box_id, ()))
        counts[ws_id].append((box_id, used_all.get(box_id, 0) + added, used_warm.get(box_id, 0) + added))
    return {
        ws_id: None if ws_id in volatile else _fingerprint(space, states[ws_id][0], _sent_digest(counts[ws_id]), opts)
        for ws_id, space in todo.items()
    }


async def load_spaces(now: dt.datetime) -> dict[int, Space]:
    rows = await Workspace.filter(archived_at=None).values("id", "timezone", "locale", "settings")
    spaces = {}
    for row in rows:
        zone = _zone(str(row["timezone"]))
        day = now.astimezone(zone).date()
        raw: Mapping[str, Any] = row["settings"] or {}
        try:
            settings = WarmupSettings.from_workspace(raw)
        except UserError:
            log.warning("warmup settings out of bounds, defaults used", workspace_id=row["id"])
            settings = WarmupSettings()
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


_BOXES = """
SELECT b.id, b.workspace_id, b.domain_id, b.provider, b.status, b.warmup_started_on,
    b.warmup_paused_at IS NOT NULL AS warmup_paused, b.daily_cap, coalesce(b.cooldown_until > $2, false) AS cooling,
    d.name AS domain_name, d.daily_cap AS domain_cap, d.status AS domain_status
FROM mailbox b JOIN domain d ON d.id = b.domain_id
WHERE b.workspace_id = ANY($1::int[]) AND b.warmup_started_on IS NOT NULL
ORDER BY b.id
"""


@functools.lru_cache(maxsize=65536)
def _daily_target(
    settings: WarmupSettings, mailbox_id: int, started_on: dt.date, day: dt.date, provider_limit: int | None
) -> int:
    """`ramp.daily_target`, remembered: every tick of a day asks again for every mailbox."""
    return daily_target(settings, mailbox_id=mailbox_id, started_on=started_on, day=day, provider_limit=provider_limit)


@functools.lru_cache(maxsize=65536)
def _maintenance_target(settings: WarmupSettings, mailbox_id: int, day: dt.date, daily_cap: int) -> int:
    """`ramp.maintenance_target`, remembered (see `_daily_target`)."""
    return maintenance_target(settings, mailbox_id=mailbox_id, day=day, daily_cap=daily_cap)


async def _load_boxes(conn: Any, spaces: Mapping[int, Space], now: dt.datetime) -> list[_Box]:
    """The mailboxes in warmup."""
    ids = sorted(spaces)
    rows = (await conn.execute_query(_BOXES, [ids, now]))[1]
    limits = {str(p.value): preset.provider_daily_limit for p, preset in PRESETS.items()}
    boxes = []
    for row in rows:
        status = _MAILBOX_STATUS[row["status"]]
        if status not in _WARMING and status not in _BLOCKED_MAILBOX:
            continue  # new or retired: not in warmup at all
        space = spaces[row["workspace_id"]]
        box = _Box(
            id=row["id"],
            workspace_id=space.id,
            domain_id=row["domain_id"],
            domain_name=row["domain_name"],
            provider=row["provider"],
            daily_cap=row["daily_cap"],
            domain_cap=row["domain_cap"],
            day=space.day,
            graduated=status is MailboxStatus.ACTIVE,
        )
        if box.graduated:
            box.want = _maintenance_target(space.settings, box.id, space.day, box.daily_cap)
        else:
            box.want = _daily_target(space.settings, box.id, row["warmup_started_on"], space.day, limits[box.provider])
        if status in _BLOCKED_MAILBOX:
            box.blocked = status.value
        elif row["cooling"]:
            box.blocked = "cooldown"
        elif row["warmup_paused"]:
            box.blocked = "warmup_paused"
        elif _DOMAIN_STATUS[row["domain_status"]] in _BLOCKED_DOMAIN:
            box.blocked = f"domain_{row['domain_status']}"
        elif space.paused:
            box.blocked = "workspace_paused"
        boxes.append(box)
    return boxes


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


async def _recent_pairs(conn: Any, senders: Sequence[int], since: dt.datetime) -> set[tuple[int, int]]:
    """The (sender, receiver) pairs of the senders that get new mail, used since `since`."""
    if not senders:
        return set()
    rows = await conn.execute_query(
        "SELECT DISTINCT mailbox_id, peer_id FROM outbound_message "
        "WHERE kind = 'warmup' AND peer_id IS NOT NULL AND mailbox_id = ANY($1::int[]) AND scheduled_at >= $2",
        [list(senders), since],
    )
    return {(r[0], r[1]) for r in rows[1]}


def _rooms(
    boxes: Sequence[_Box],
    *,
    owners: Mapping[int, tuple[int, int]],
    used_all: Mapping[int, int],
    used_warm: Mapping[int, int],
    spaces: Mapping[int, Space],
    opts: PlanOptions,
    now: dt.datetime,
) -> dict[int, int]:
    """How many new warmup rows each mailbox gets before pairing; records each cap that cut on the box."""
    rooms: dict[int, int] = {}
    caps: dict[tuple[int, str, float], EffectiveCap] = {}  # a fleet has few distinct cap settings
    for box in boxes:
        done = used_warm.get(box.id, 0)
        if box.blocked:
            box.cuts[CapKind.STATUS] = done
            continue
        key = (box.daily_cap, box.provider, opts.health.get(box.id, 1.0))
        own = caps.get(key) or caps.setdefault(
            key,
            effective_cap(
                CapInputs(
                    mailbox_cap=box.daily_cap,
                    provider_limit=PRESETS[MailProvider(box.provider)].provider_daily_limit,
                    health_factor=key[2],
                )
            ),
        )
        room = max(0, box.want - done)
        left = own.remaining(used_all.get(box.id, 0))
        if left < room:
            room = left
            box.cuts[own.binding] = done + room
        rooms[box.id] = room
    by_id = {b.id: b for b in boxes}
    _share_totals(rooms, by_id, owners=owners, used_all=used_all, used_warm=used_warm, spaces=spaces)
    windows = {i: _remaining_window(space, now, opts) for i, space in spaces.items()}
    room_in = {
        i: max(0, math.floor((end - start).total_seconds() / opts.min_gap_s)) if end > start else 0
        for i, (start, end) in windows.items()
    }
    for box in boxes:  # the room left in the send window
        if box.id not in rooms:
            continue
        fits = room_in[box.workspace_id]
        if fits < rooms[box.id]:
            rooms[box.id] = fits
            box.cuts[CapKind.WINDOW] = used_warm.get(box.id, 0) + fits
    return {k: v for k, v in rooms.items() if v > 0}


def _share_totals(
    rooms: dict[int, int],
    by_id: Mapping[int, _Box],
    *,
    owners: Mapping[int, tuple[int, int]],
    used_all: Mapping[int, int],
    used_warm: Mapping[int, int],
    spaces: Mapping[int, Space],
) -> None:
    """Cut `rooms` to each mailbox's share of what its domain, then its workspace, may still send today."""
    for kind in (CapKind.DOMAIN, CapKind.WORKSPACE):
        if kind is CapKind.WORKSPACE and all(space.daily_cap is None for space in spaces.values()):
            continue  # no workspace cap to share
        groups: dict[int, list[int]] = defaultdict(list)
        for box_id in rooms:
            box = by_id[box_id]
            groups[box.domain_id if kind is CapKind.DOMAIN else box.workspace_id].append(box_id)
        used_by: dict[int, int] = defaultdict(int)
        for box_id, count in used_all.items():  # every mailbox of the domain or workspace, in warmup or not
            workspace_id, domain_id = owners[box_id]
            used_by[domain_id if kind is CapKind.DOMAIN else workspace_id] += count
        for key, members in groups.items():
            first = by_id[members[0]]
            total = first.domain_cap if kind is CapKind.DOMAIN else spaces[first.workspace_id].daily_cap
            if total is None:
                continue
            given = share(total - used_by[key], {m: rooms[m] for m in members})
            for box_id, got in given.items():
                if got < rooms[box_id]:
                    rooms[box_id] = got
                    by_id[box_id].cuts[kind] = used_warm.get(box_id, 0) + got


def _remaining_window(space: Space, now: dt.datetime, opts: PlanOptions) -> tuple[dt.datetime, dt.datetime]:
    start, end = space.window
    return max(start, now + dt.timedelta(seconds=opts.lead_s)), end


def _records(
    receivers: Mapping[int, Sequence[int]],
    *,
    boxes: Mapping[int, _Box],
    spaces: Mapping[int, Space],
    opts: PlanOptions,
    now: dt.datetime,
    rng: random.Random,
) -> Iterator[tuple[Any, ...]]:
    """The new rows as COPY records (`_COLUMNS`), made while the COPY streams them (the server inserts the first
    ones while the rest are made)."""
    kind, status = MessageKind.WARMUP.value, MessageStatus.PLANNED.value
    tail = (0, "", "", "", now)  # attempts, smtp_reply, in_reply_to, references, created_at
    hexes = secrets.token_hex(16 * sum(len(r) for r in receivers.values()))  # one system call, not thousands
    at = 0
    for sender_id in sorted(receivers):
        box = boxes[sender_id]
        ws, domain = box.workspace_id, box.domain_name
        start, end = _remaining_window(spaces[ws], now, opts)
        times = spread(len(receivers[sender_id]), start, end, min_gap_s=opts.min_gap_s, rng=rng)
        for peer_id, moment in zip(receivers[sender_id], times, strict=True):
            yield (kind, ws, sender_id, peer_id, f"<{hexes[at : at + 32]}@{domain}>", "", "", status, moment, *tail)
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
    return [start + dt.timedelta(seconds=i * slot + rng.uniform(0, slack)) for i in range(count)]


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


async def _insert(conn: Any, records: Iterator[tuple[Any, ...]]) -> None:
    """All new rows in one COPY (a day of a large fleet is tens of thousands)."""
    async with conn.acquire_connection() as raw:
        await raw.copy_records_to_table("outbound_message", records=records, columns=_COLUMNS)


_EXISTING = """
SELECT mailbox_id, cap, wanted, allowed, detail->>'graduated', coalesce(detail->>'reason', '') FROM cap_deferral
WHERE mailbox_id = ANY($1::int[]) AND day = ANY($2::date[]) AND source = 'warmup'
"""

_DELETE = """
DELETE FROM cap_deferral d
USING unnest($1::int[], $2::date[], $3::text[]) AS b(id, day, cap)
WHERE d.mailbox_id = b.id AND d.day = b.day AND d.cap = b.cap AND d.source = 'warmup'
"""

_UPSERT = """
INSERT INTO cap_deferral (workspace_id, mailbox_id, day, cap, wanted, allowed, detail, updated_at)
SELECT ws, mb, day, cap, wanted, allowed, detail::jsonb, $8
FROM unnest($1::int[], $2::int[], $3::date[], $4::text[], $5::int[], $6::int[], $7::text[])
    AS t(ws, mb, day, cap, wanted, allowed, detail)
ON CONFLICT (mailbox_id, day, cap, source) DO UPDATE SET
    wanted = excluded.wanted, allowed = excluded.allowed, detail = excluded.detail, updated_at = excluded.updated_at
"""


@functools.cache
def _detail(graduated: bool, reason: str) -> str:
    """A deferral's detail as JSON: the same few for a whole fleet, so written once each."""
    detail: dict[str, Any] = {"kind": "warmup", "graduated": graduated}
    if reason:
        detail["reason"] = reason
    return json.dumps(detail)


async def _record_deferrals(
    conn: Any,
    boxes: Sequence[_Box],
    used_warm: Mapping[int, int],
    receivers: Mapping[int, Sequence[int]],
    now: dt.datetime,
) -> int:
    """Make this planner's deferrals of today for the mailboxes it considered what this run found: rows that no
    longer apply are removed, new and changed ones written, the rest left alone. Returns how many it wrote."""
    if not boxes:
        return 0
    wanted: dict[tuple[int, str], tuple[_Box, int, str, str]] = {}
    for box in boxes:
        total = used_warm.get(box.id, 0) + len(receivers.get(box.id, ()))
        if total >= box.want:
            continue
        for cap, allowed in box.cuts.items():
            reason = box.blocked if cap is CapKind.STATUS else ""
            wanted[(box.id, cap.value)] = (box, min(allowed, box.want), _detail(box.graduated, reason), reason)
    days = sorted({b.day for b in boxes})
    existing = {
        (int(r[0]), str(r[1])): (int(r[2]), int(r[3]), r[4] == "true", str(r[5]))
        for r in (await conn.execute_query(_EXISTING, [[b.id for b in boxes], days]))[1]
    }
    day_of = {b.id: b.day for b in boxes}
    stale = [key for key in existing if key not in wanted]
    if stale:
        await conn.execute_query(
            _DELETE, [[i for i, _ in stale], [day_of[i] for i, _ in stale], [cap for _, cap in stale]]
        )
    items = [
        (key, box, allowed, detail)
        for key, (box, allowed, detail, reason) in wanted.items()
        if existing.get(key) != (box.want, allowed, box.graduated, reason)
    ]
    if not items:
        return 0
    await conn.execute_query(
        _UPSERT,
        [
            [b.workspace_id for _, b, _, _ in items],
            [b.id for _, b, _, _ in items],
            [b.day for _, b, _, _ in items],
            [cap for (_, cap), _, _, _ in items],
            [b.want for _, b, _, _ in items],
            [allowed for _, _, allowed, _ in items],
            [detail for *_, detail in items],
            now,
        ],
    )
    return len(items)

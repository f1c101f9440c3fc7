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
   with a receiver, write subject and body through the injected composer, insert the rows in one statement;
5. record every cut in `CapDeferral` (one row per mailbox, day and cap; rows of this planner that no longer apply
   are removed), which is what `why` answers from.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import secrets
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tortoise.transactions import in_transaction

from engine.clock import Clock
from engine.errors import UserError
from engine.logging import get_logger
from engine.mail.providers import PRESETS
from engine.sending.caps import CapInputs, effective_cap, share
from engine.warmup import ComposeWarmup, Persona
from engine.warmup.pairing import Peer, pair, pool_key
from engine.warmup.ramp import daily_target, maintenance_target
from engine.warmup.settings import WarmupSettings
from models import Domain, Mailbox, Workspace
from models.enums import CapKind, DomainStatus, MailboxStatus, MailProvider, MessageKind

log = get_logger(__name__)

PLAN_LOCK: Final = 0x6D66_706C  # "mfpl": the first key of the advisory lock; the second is the workspace id
"""Anything that reserves sending capacity of a workspace (this planner, the campaign planner) takes
`pg_advisory_xact_lock(PLAN_LOCK, workspace_id)` first."""

DEFAULT_WINDOW: Final = (dt.time(8, 0), dt.time(20, 0))
"""Warmup send window in the workspace's time zone unless `settings["warmup_window"]` says "HH:MM-HH:MM"."""

_BLOCKED_MAILBOX: Final = {MailboxStatus.PAUSED, MailboxStatus.COOLDOWN, MailboxStatus.DISABLED}
_BLOCKED_DOMAIN: Final = {DomainStatus.COOLING, DomainStatus.BURNED, DomainStatus.RETIRED}
_WARMING: Final = {MailboxStatus.WARMING, MailboxStatus.ACTIVE}


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
    deferrals: int  # CapDeferral rows written


@dataclass(slots=True)
class _Box:
    id: int
    workspace_id: int
    domain_id: int
    domain_name: str
    address: str
    name: str
    provider: str
    daily_cap: int
    domain_cap: int
    day: dt.date
    want: int = 0
    blocked: str = ""  # why nothing may go out: a status, cooldown, warmup paused, the domain's status
    graduated: bool = False
    cuts: dict[CapKind, int] = field(default_factory=dict)  # cap -> total allowed for the day after that cap


@dataclass(slots=True)
class _Space:
    id: int
    zone: ZoneInfo
    day: dt.date
    locale: str
    company: str
    settings: WarmupSettings
    window: tuple[dt.datetime, dt.datetime]
    daily_cap: int | None
    pool: str
    paused: bool = False  # settings["sending_paused"]: the workspace sends nothing, warmup included


async def plan_warmup(clock: Clock, compose: ComposeWarmup, options: PlanOptions | None = None) -> PlanReport:
    """Plan today's warmup for every workspace (see the module). Idempotent: a second run the same day adds only
    what became possible since (a raised cap, a resumed mailbox, a new peer)."""
    opts = options or PlanOptions()
    now = clock.now()
    rng = random.Random(opts.seed if opts.seed is not None else secrets.randbits(64))
    spaces = await _load_spaces(now)
    if not spaces:
        return PlanReport(0, 0, 0, 0)
    async with in_transaction() as conn:
        for ws_id in sorted(spaces):
            await conn.execute_query("SELECT pg_advisory_xact_lock($1, $2)", [PLAN_LOCK, ws_id])
        boxes, owners = await _load_boxes(spaces, now)
        warm = [b for b in boxes if b.want > 0]
        used_all, used_warm = await _used_today(conn, owners, spaces)
        recent = await _recent_pairs(conn, warm, now - dt.timedelta(days=opts.recent_days))
        rooms = _rooms(warm, owners=owners, used_all=used_all, used_warm=used_warm, spaces=spaces, opts=opts, now=now)
        peers = [
            Peer(b.id, b.domain_id, b.provider, spaces[b.workspace_id].pool, receive_target=b.want)
            for b in boxes
            if not b.blocked
        ]
        pairing = pair(rooms, peers, recent=recent, rng=rng)
        by_id = {b.id: b for b in boxes}
        rows = _rows(pairing.receivers, boxes=by_id, spaces=spaces, opts=opts, now=now, rng=rng, compose=compose)
        for box in warm:
            got = used_warm.get(box.id, 0) + len(pairing.receivers.get(box.id, ()))
            if pairing.unpaired.get(box.id):
                box.cuts[CapKind.PEERS] = got
        await _insert(conn, rows, now)
        written = await _record_deferrals(conn, [b for b in boxes if b.want > 0], used_warm, pairing.receivers, now)
    log.info("warmup planned", workspaces=len(spaces), mailboxes=len(warm), planned=len(rows), deferrals=written)
    return PlanReport(len(spaces), len(warm), len(rows), written)


async def _load_spaces(now: dt.datetime) -> dict[int, _Space]:
    rows = await Workspace.filter(archived_at=None).values(
        "id", "timezone", "locale", "settings", "name", "sender_name"
    )
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
        spaces[int(row["id"])] = _Space(
            id=int(row["id"]),
            zone=zone,
            day=day,
            locale=str(row["locale"] or "ru"),
            company=str(row["sender_name"] or row["name"]),
            settings=settings,
            window=(
                dt.datetime.combine(day, start, tzinfo=zone).astimezone(dt.UTC),
                dt.datetime.combine(day, end, tzinfo=zone).astimezone(dt.UTC),
            ),
            daily_cap=int(cap) if isinstance(cap, int) and cap >= 0 else None,
            pool=pool_key(int(row["id"]), settings.pool),
            paused=raw.get("sending_paused") is True,
        )
    return spaces


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _window(value: Any) -> tuple[dt.time, dt.time]:
    """ "08:00-20:00" → the two times; anything else (or an empty window) → the default."""
    try:
        first, second = str(value).split("-")
        start, end = dt.time.fromisoformat(first.strip()), dt.time.fromisoformat(second.strip())
    except ValueError:
        return DEFAULT_WINDOW
    return (start, end) if start < end else DEFAULT_WINDOW


async def _load_boxes(spaces: Mapping[int, _Space], now: dt.datetime) -> tuple[list[_Box], dict[int, tuple[int, int]]]:
    """The mailboxes in warmup, and the workspace and domain of every mailbox (all count toward the caps)."""
    owners = {
        int(i): (int(w), int(d))
        for i, w, d in await Mailbox.filter(workspace_id__in=list(spaces)).values_list(
            "id", "workspace_id", "domain_id"
        )
    }
    rows = await Mailbox.filter(workspace_id__in=list(spaces), warmup_started_on__not_isnull=True).values(
        "id",
        "workspace_id",
        "domain_id",
        "address",
        "display_name",
        "provider",
        "status",
        "warmup_started_on",
        "warmup_paused_at",
        "daily_cap",
        "cooldown_until",
    )
    domain_ids = {int(r["domain_id"]) for r in rows}
    domains = {
        int(d["id"]): d
        for d in await Domain.filter(id__in=list(domain_ids)).values("id", "name", "daily_cap", "status")
    }
    boxes = []
    for row in rows:
        status = MailboxStatus(row["status"])
        if status not in _WARMING and status not in _BLOCKED_MAILBOX:
            continue  # new or retired: not in warmup at all
        space = spaces[int(row["workspace_id"])]
        domain = domains[int(row["domain_id"])]
        box = _Box(
            id=int(row["id"]),
            workspace_id=space.id,
            domain_id=int(row["domain_id"]),
            domain_name=str(domain["name"]),
            address=str(row["address"]),
            name=str(row["display_name"] or row["address"].partition("@")[0]),
            provider=str(row["provider"]),
            daily_cap=int(row["daily_cap"]),
            domain_cap=int(domain["daily_cap"]),
            day=space.day,
            graduated=status is MailboxStatus.ACTIVE,
        )
        if box.graduated:
            box.want = maintenance_target(space.settings, mailbox_id=box.id, day=space.day, daily_cap=box.daily_cap)
        else:
            limit = PRESETS[MailProvider(box.provider)].provider_daily_limit
            box.want = daily_target(
                space.settings,
                mailbox_id=box.id,
                started_on=row["warmup_started_on"],
                day=space.day,
                provider_limit=limit,
            )
        cooldown = row["cooldown_until"]
        if status in _BLOCKED_MAILBOX:
            box.blocked = status.value
        elif cooldown is not None and cooldown > now:
            box.blocked = "cooldown"
        elif row["warmup_paused_at"] is not None:
            box.blocked = "warmup_paused"
        elif DomainStatus(domain["status"]) in _BLOCKED_DOMAIN:
            box.blocked = f"domain_{domain['status']}"
        elif space.paused:
            box.blocked = "workspace_paused"
        boxes.append(box)
    return boxes, owners


_USED = """
SELECT m.mailbox_id, m.kind, count(*)
FROM outbound_message m
JOIN unnest($1::int[], $2::timestamptz[], $3::timestamptz[]) AS b(id, lo, hi)
  ON m.mailbox_id = b.id AND m.scheduled_at >= b.lo AND m.scheduled_at < b.hi
WHERE m.status <> 'cancelled'
GROUP BY 1, 2
"""


async def _used_today(
    conn: Any, owners: Mapping[int, tuple[int, int]], spaces: Mapping[int, _Space]
) -> tuple[dict[int, int], dict[int, int]]:
    """Rows each mailbox already has on its workspace's day: every kind, and warmup alone."""
    if not owners:
        return {}, {}
    ids = sorted(owners)
    bounds = [_day_bounds(spaces[owners[i][0]]) for i in ids]
    rows = await conn.execute_query_dict(_USED, [ids, [lo for lo, _ in bounds], [hi for _, hi in bounds]])
    used_all: dict[int, int] = defaultdict(int)
    used_warm: dict[int, int] = defaultdict(int)
    for row in rows:
        used_all[int(row["mailbox_id"])] += int(row["count"])
        if row["kind"] == MessageKind.WARMUP.value:
            used_warm[int(row["mailbox_id"])] += int(row["count"])
    return dict(used_all), dict(used_warm)


def _day_bounds(space: _Space) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(space.day, dt.time(0), tzinfo=space.zone)
    end = dt.datetime.combine(space.day + dt.timedelta(days=1), dt.time(0), tzinfo=space.zone)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


async def _recent_pairs(conn: Any, boxes: Sequence[_Box], since: dt.datetime) -> set[tuple[int, int]]:
    if not boxes:
        return set()
    rows = await conn.execute_query(
        "SELECT DISTINCT mailbox_id, peer_id FROM outbound_message "
        "WHERE kind = 'warmup' AND peer_id IS NOT NULL AND mailbox_id = ANY($1::int[]) AND scheduled_at >= $2",
        [[b.id for b in boxes], since],
    )
    return {(int(r[0]), int(r[1])) for r in rows[1]}


def _rooms(
    boxes: Sequence[_Box],
    *,
    owners: Mapping[int, tuple[int, int]],
    used_all: Mapping[int, int],
    used_warm: Mapping[int, int],
    spaces: Mapping[int, _Space],
    opts: PlanOptions,
    now: dt.datetime,
) -> dict[int, int]:
    """How many new warmup rows each mailbox gets before pairing; records each cap that cut on the box."""
    rooms: dict[int, int] = {}
    for box in boxes:
        done = used_warm.get(box.id, 0)
        if box.blocked:
            box.cuts[CapKind.STATUS] = done
            continue
        own = effective_cap(
            CapInputs(
                mailbox_cap=box.daily_cap,
                provider_limit=PRESETS[MailProvider(box.provider)].provider_daily_limit,
                health_factor=opts.health.get(box.id, 1.0),
            )
        )
        room = max(0, box.want - done)
        left = own.remaining(used_all.get(box.id, 0))
        if left < room:
            room = left
            box.cuts[own.binding] = done + room
        rooms[box.id] = room
    by_id = {b.id: b for b in boxes}
    _share_totals(rooms, by_id, owners=owners, used_all=used_all, used_warm=used_warm, spaces=spaces)
    for box in boxes:  # the room left in the send window
        if box.id not in rooms:
            continue
        start, end = _remaining_window(spaces[box.workspace_id], now, opts)
        fits = max(0, math.floor((end - start).total_seconds() / opts.min_gap_s)) if end > start else 0
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
    spaces: Mapping[int, _Space],
) -> None:
    """Cut `rooms` to each mailbox's share of what its domain, then its workspace, may still send today."""
    for kind in (CapKind.DOMAIN, CapKind.WORKSPACE):
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


def _remaining_window(space: _Space, now: dt.datetime, opts: PlanOptions) -> tuple[dt.datetime, dt.datetime]:
    start, end = space.window
    return max(start, now + dt.timedelta(seconds=opts.lead_s)), end


@dataclass(frozen=True, slots=True)
class _Row:
    workspace_id: int
    mailbox_id: int
    peer_id: int
    message_id: str
    subject: str
    body: str
    scheduled_at: dt.datetime


def _rows(
    receivers: Mapping[int, Sequence[int]],
    *,
    boxes: Mapping[int, _Box],
    spaces: Mapping[int, _Space],
    opts: PlanOptions,
    now: dt.datetime,
    rng: random.Random,
    compose: ComposeWarmup,
) -> list[_Row]:
    rows = []
    for sender_id in sorted(receivers):
        box = boxes[sender_id]
        space = spaces[box.workspace_id]
        start, end = _remaining_window(space, now, opts)
        times = spread(len(receivers[sender_id]), start, end, min_gap_s=opts.min_gap_s, rng=rng)
        me = Persona(name=box.name, company=space.company, address=box.address)
        for peer_id, moment in zip(receivers[sender_id], times, strict=True):
            peer = boxes[peer_id]
            them = Persona(name=peer.name, company=spaces[peer.workspace_id].company, address=peer.address)
            text = compose(rng, sender=me, recipient=them, locale=space.locale)
            rows.append(
                _Row(
                    workspace_id=box.workspace_id,
                    mailbox_id=sender_id,
                    peer_id=peer_id,
                    message_id=f"<{secrets.token_hex(16)}@{box.domain_name}>",
                    subject=text.subject,
                    body=text.body,
                    scheduled_at=moment,
                )
            )
    return rows


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


_INSERT = """
INSERT INTO outbound_message (kind, workspace_id, mailbox_id, peer_id, message_id, subject, body, status,
    scheduled_at, attempts, smtp_reply, in_reply_to, "references", created_at)
SELECT 'warmup', ws, mb, peer, mid, subj, body, 'planned', at, 0, '', '', '', $8
FROM unnest($1::int[], $2::int[], $3::int[], $4::text[], $5::text[], $6::text[], $7::timestamptz[])
    AS t(ws, mb, peer, mid, subj, body, at)
"""


async def _insert(conn: Any, rows: Sequence[_Row], now: dt.datetime) -> None:
    if not rows:
        return
    await conn.execute_query(
        _INSERT,
        [
            [r.workspace_id for r in rows],
            [r.mailbox_id for r in rows],
            [r.peer_id for r in rows],
            [r.message_id for r in rows],
            [r.subject for r in rows],
            [r.body for r in rows],
            [r.scheduled_at for r in rows],
            now,
        ],
    )


_CLEAR = """
DELETE FROM cap_deferral d
USING unnest($1::int[], $2::date[]) AS b(id, day)
WHERE d.mailbox_id = b.id AND d.day = b.day AND d.detail->>'kind' = 'warmup'
"""

_UPSERT = """
INSERT INTO cap_deferral (workspace_id, mailbox_id, day, cap, wanted, allowed, detail, updated_at)
SELECT ws, mb, day, cap, wanted, allowed, detail::jsonb, $8
FROM unnest($1::int[], $2::int[], $3::date[], $4::text[], $5::int[], $6::int[], $7::text[])
    AS t(ws, mb, day, cap, wanted, allowed, detail)
ON CONFLICT (mailbox_id, day, cap) DO UPDATE SET
    wanted = excluded.wanted, allowed = excluded.allowed, detail = excluded.detail, updated_at = excluded.updated_at
"""


async def _record_deferrals(
    conn: Any,
    boxes: Sequence[_Box],
    used_warm: Mapping[int, int],
    receivers: Mapping[int, Sequence[int]],
    now: dt.datetime,
) -> int:
    """Replace this planner's deferrals of today for the mailboxes it considered; returns how many it wrote."""
    if not boxes:
        return 0
    await conn.execute_query(_CLEAR, [[b.id for b in boxes], [b.day for b in boxes]])
    items = []
    for box in boxes:
        total = used_warm.get(box.id, 0) + len(receivers.get(box.id, ()))
        if total >= box.want:
            continue
        for cap, allowed in box.cuts.items():
            detail = {"kind": "warmup", "graduated": box.graduated}
            if cap is CapKind.STATUS:
                detail["reason"] = box.blocked
            items.append((box, cap, min(allowed, box.want), json.dumps(detail)))
    if not items:
        return 0
    await conn.execute_query(
        _UPSERT,
        [
            [b.workspace_id for b, *_ in items],
            [b.id for b, *_ in items],
            [b.day for b, *_ in items],
            [cap.value for _, cap, _, _ in items],
            [b.want for b, *_ in items],
            [allowed for _, _, allowed, _ in items],
            [detail for *_, detail in items],
            now,
        ],
    )
    return len(items)

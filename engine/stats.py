"""Events, the daily counters that reports read, and the suppression list.

Counters are upserted in one statement per batch (`INSERT … SELECT FROM unnest(…) ON CONFLICT DO UPDATE SET
n = n + excluded.n`), so recording a thousand events costs a few round trips, not a thousand: reports and
monitoring read `DailyStat` and never scan events. Every function runs on the current connection, which inside
`in_transaction()` is the caller's transaction; `count_events` explains where in it the counters go.

The day of a counter is the calendar day in the workspace's time zone: "today" in a report means the client's
today, not UTC's.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from zoneinfo import ZoneInfo

from tortoise import connections

from engine.clock import zone_or_utc as _zone
from engine.dns.names import to_ascii
from engine.errors import UserError
from engine.leads.checks import mailbox_of
from models import DailyStat, Workspace
from models.enums import EventKind, MessageKind, StatScope, SuppressionReason

COUNTER_OF: Final[Mapping[EventKind, str]] = {
    EventKind.SENT: "sent",
    EventKind.OPEN: "opens",
    EventKind.CLICK: "clicks",
    EventKind.REPLY: "replies",
    EventKind.AUTO_REPLY: "auto_replies",
    EventKind.BOUNCE_HARD: "bounces_hard",
    EventKind.BOUNCE_SOFT: "bounces_soft",
    EventKind.BOUNCE_BLOCK: "bounces_block",
    EventKind.COMPLAINT: "complaints",
    EventKind.UNSUBSCRIBE: "unsubscribes",
    EventKind.WARMUP_INBOX: "warmup_inbox",
    EventKind.WARMUP_SPAM: "warmup_spam",
    EventKind.SMTP_ERROR: "smtp_errors",
    EventKind.AUTH_ERROR: "auth_errors",
}
WARMUP_SENT: Final = "warmup_sent"
PIXEL_SENT: Final = "pixel_sent"
COUNTERS: Final[tuple[str, ...]] = (*COUNTER_OF.values(), WARMUP_SENT, PIXEL_SENT)
"""The DailyStat counter columns: one per event kind, then two parts of `sent`, each counted in `sent` as well.
`warmup_sent`: of the SENT events, those of warmup messages between own mailboxes (`data["kind"]`): replies,
complaints and unsubscribes only ever answer the others, so their rates are over `sent - warmup_sent`
(`Counts.outreach`). `pixel_sent`: those whose message carried an open pixel (`data["pixel"]`, an HTML campaign's):
the sample of the open rate, per message, so a campaign switched to or from HTML midway is measured over the mail
that could be opened."""
PIXEL_DATA: Final = "pixel"
"""The key of a SENT event's data that says its message carried an open pixel."""

_UTC = ZoneInfo("UTC")


@dataclass(frozen=True, slots=True)
class EventRecord:
    """One event to record. `domain_id` is the domain of `mailbox_id` (counted in the domain's DailyStat)."""

    workspace_id: int
    kind: EventKind
    occurred_at: dt.datetime
    mailbox_id: int | None = None
    domain_id: int | None = None
    campaign_id: int | None = None
    lead_id: int | None = None
    message_id: int | None = None  # the OutboundMessage the event is about
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StatRow:
    """Counter increments of one scope on one day."""

    workspace_id: int
    scope: StatScope
    scope_id: int
    day: dt.date
    counts: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class SuppressionRecord:
    """An address (or a bare domain) nobody may write to; `workspace_id` None means every workspace."""

    workspace_id: int | None
    value: str
    reason: SuppressionReason


def stat_rows(records: Iterable[EventRecord], zones: Mapping[int, ZoneInfo]) -> list[StatRow]:
    """Aggregate events into per-scope, per-day increments, sorted by key so that concurrent upserts lock rows
    in the same order (no deadlocks between two mailboxes of one workspace)."""
    totals: dict[tuple[StatScope, int, dt.date], tuple[int, Counter[str]]] = {}
    for record in records:
        day = record.occurred_at.astimezone(zones.get(record.workspace_id, _UTC)).date()
        column = COUNTER_OF[record.kind]
        sent = record.kind is EventKind.SENT
        warmup = sent and record.data.get("kind") == MessageKind.WARMUP.value
        pixel = sent and bool(record.data.get(PIXEL_DATA))
        for scope, scope_id in _scopes(record):
            _, counts = totals.setdefault((scope, scope_id, day), (record.workspace_id, Counter()))
            counts[column] += 1
            if warmup:
                counts[WARMUP_SENT] += 1
            if pixel:
                counts[PIXEL_SENT] += 1
    return [
        StatRow(workspace_id=ws, scope=scope, scope_id=scope_id, day=day, counts=dict(counts))
        for (scope, scope_id, day), (ws, counts) in sorted(totals.items(), key=lambda item: item[0])
    ]


def _scopes(record: EventRecord) -> list[tuple[StatScope, int]]:
    scopes = [(StatScope.WORKSPACE, record.workspace_id)]
    if record.mailbox_id is not None:
        scopes.append((StatScope.MAILBOX, record.mailbox_id))
    if record.domain_id is not None:
        scopes.append((StatScope.DOMAIN, record.domain_id))
    if record.campaign_id is not None:
        scopes.append((StatScope.CAMPAIGN, record.campaign_id))
    return scopes


_INSERT_EVENTS = """
INSERT INTO event (workspace_id, kind, occurred_at, mailbox_id, campaign_id, lead_id, message_id, data)
SELECT ws, kind, at, mailbox, campaign, lead, message, data::jsonb
FROM unnest($1::int[], $2::text[], $3::timestamptz[], $4::int[], $5::int[], $6::bigint[], $7::bigint[], $8::text[])
    AS t(ws, kind, at, mailbox, campaign, lead, message, data)
"""


async def record_events(records: Sequence[EventRecord], *, zones: Mapping[int, ZoneInfo] | None = None) -> None:
    """Insert the events and count them (`insert_events`, then `count_events`)."""
    await insert_events(records)
    await count_events(records, zones=zones)


async def insert_events(records: Sequence[EventRecord]) -> None:
    """Insert the events in one statement."""
    if not records:
        return
    await connections.get("default").execute_query(
        _INSERT_EVENTS,
        [
            [r.workspace_id for r in records],
            [r.kind.value for r in records],
            [r.occurred_at for r in records],
            [r.mailbox_id for r in records],
            [r.campaign_id for r in records],
            [r.lead_id for r in records],
            [r.message_id for r in records],
            [json.dumps(dict(r.data), ensure_ascii=False) for r in records],
        ],
    )


async def count_events(records: Sequence[EventRecord], *, zones: Mapping[int, ZoneInfo] | None = None) -> None:
    """Add the events to the DailyStat counters of every scope they touch, in one statement.

    Run it in the transaction that records the events (a crash may not lose counts), as its last statement:
    every mailbox of a workspace shares the workspace's and the campaign's rows, and a row lock held while the
    event loop serves other mailboxes makes every other writer of that workspace queue behind it. `zones`
    (workspace id -> time zone) saves a query when the caller has them.
    """
    if not records:
        return
    known = dict(zones or {})
    missing = {r.workspace_id for r in records} - known.keys()
    if missing:
        known |= await workspace_zones(missing)
    await upsert_daily_stats(stat_rows(records, known))


async def workspace_zones(workspace_ids: Iterable[int]) -> dict[int, ZoneInfo]:
    """The time zone of each workspace (UTC for an unknown zone name)."""
    ids = sorted(set(workspace_ids))
    rows = await Workspace.filter(id__in=ids).values_list("id", "timezone")
    return {int(ws): _zone(str(name)) for ws, name in rows}


async def workspace_slugs(workspace_ids: Iterable[int]) -> dict[int, str]:
    """The slug of each workspace: how a list that spans several names them."""
    rows = await Workspace.filter(id__in=sorted(set(workspace_ids))).values_list("id", "slug")
    return {int(ws): str(slug) for ws, slug in rows}


async def workspace_zone(workspace_id: int | None) -> ZoneInfo:
    """The time zone of one workspace: the clock its moments are shown on (UTC without a workspace)."""
    if workspace_id is None:
        return _UTC
    return (await workspace_zones([workspace_id])).get(workspace_id, _UTC)


# Built once from the constant column names above; every value travels as a bound parameter.
_UPSERT = f"""
INSERT INTO daily_stat (workspace_id, scope, scope_id, day, {", ".join(COUNTERS)})
SELECT * FROM unnest($1::int[], $2::text[], $3::int[], $4::date[],
    {", ".join(f"${i + 5}::int[]" for i in range(len(COUNTERS)))})
ON CONFLICT (scope, scope_id, day) DO UPDATE SET
    {", ".join(f"{c} = daily_stat.{c} + excluded.{c}" for c in COUNTERS)}
"""  # noqa: S608


async def upsert_daily_stats(rows: Sequence[StatRow]) -> None:
    """Add the increments to DailyStat in one statement (rows must not repeat a scope and day)."""
    if not rows:
        return
    columns: list[list[Any]] = [
        [r.workspace_id for r in rows],
        [r.scope.value for r in rows],
        [r.scope_id for r in rows],
        [r.day for r in rows],
    ]
    columns += [[r.counts.get(c, 0) for r in rows] for c in COUNTERS]
    await connections.get("default").execute_query(_UPSERT, columns)


OPT_OUTS: Final = frozenset({SuppressionReason.UNSUBSCRIBE, SuppressionReason.COMPLAINT})
"""What the person did themselves: lifted only with their new consent (38-FZ art. 18), and on record."""

_SUPPRESS = """
INSERT INTO suppression (workspace_id, value, reason, created_at)
SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::timestamptz[])
ON CONFLICT DO NOTHING
RETURNING 1
"""
# An opt-out of an address already suppressed for another reason (by a manager, after a bounce) becomes the
# entry's reason, dated now: the person's own word must not be lifted later as if it were a manager's entry.
_OPT_OUT = """
UPDATE suppression s SET reason = v.reason, created_at = v.at
FROM unnest($1::int[], $2::text[], $3::text[], $4::timestamptz[]) AS v(workspace_id, value, reason, at)
WHERE s.value = v.value AND (s.workspace_id = v.workspace_id OR (s.workspace_id IS NULL AND v.workspace_id IS NULL))
  AND s.reason <> ALL($5::text[])
RETURNING 1
"""


async def add_suppressions(records: Iterable[SuppressionRecord], *, now: dt.datetime) -> int:
    """Suppress addresses; repeating one is harmless. Returns how many were new, or became the person's own
    opt-out (`OPT_OUTS`: an unsubscribe or a complaint of an address suppressed for another reason before).

    Values are normalized (lower case, IDN domain in punycode); values that are not addresses are skipped. An
    opt-out is of the person, so it closes their mailbox (`ivan+a@` → `ivan@`, which closes every `ivan+…@` too):
    who unsubscribes from a letter sent to `ivan+a@` expects no more mail from us in that inbox, under any address.
    Anything else (a bounce of `ivan+a@`: the server may refuse the +tag, not the mailbox) closes the address.
    """
    unique: dict[tuple[int | None, str], SuppressionRecord] = {}
    for record in records:
        value = normalize_email(record.value)
        if value is not None:
            if record.reason in OPT_OUTS:
                value = mailbox_of(value)
            unique.setdefault(
                (record.workspace_id, value), SuppressionRecord(record.workspace_id, value, record.reason)
            )
    if not unique:
        return 0
    items = list(unique.values())
    conn = connections.get("default")
    # execute_query_dict: tortoise's execute_query reports the OID of "INSERT oid count", not the count
    added = await conn.execute_query_dict(_SUPPRESS, _suppression_columns(items, now))
    opt_outs = [r for r in items if r.reason in OPT_OUTS]
    if opt_outs:
        reasons = sorted(reason.value for reason in OPT_OUTS)
        added += await conn.execute_query_dict(_OPT_OUT, [*_suppression_columns(opt_outs, now), reasons])
    return len(added)


def _suppression_columns(items: Sequence[SuppressionRecord], now: dt.datetime) -> list[list[Any]]:
    """The records as the columns `unnest` reads: workspace ids, values, reasons, times."""
    return [
        [r.workspace_id for r in items],
        [r.value for r in items],
        [r.reason.value for r in items],
        [now] * len(items),
    ]


def normalize_email(value: str) -> str | None:
    """`local@domain` in lower case with the domain in IDNA ASCII, or None when it is not an address."""
    local, at, domain = value.strip().strip("<>").rpartition("@")
    if not at or not local or not domain or any(ch.isspace() for ch in value.strip()):
        return None
    try:
        ascii_domain = to_ascii(domain)  # the one IDN function
    except UserError:
        return None
    result = f"{local.lower()}@{ascii_domain}"
    return result if len(result) <= 320 else None


async def counters(scope: StatScope, scope_id: int, day: dt.date) -> dict[str, int]:
    """The counters of one scope on one day (zeros when nothing happened)."""
    rows = await DailyStat.filter(scope=scope, scope_id=scope_id, day=day).values(*COUNTERS)
    found = rows[0] if rows else {}
    return {c: int(found.get(c) or 0) for c in COUNTERS}

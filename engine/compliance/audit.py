"""The audit log (FACTS §6.4 item 9: who did what, when, in which workspace): every state-changing command
leaves an entry, and `/audit_export` hands it over as CSV.

Services that change state write their own entries with the facts of the change (a campaign started, a swap
approved, a setting changed). On top of that the command layer calls `record_command` after every successful
command a manager or an admin ran (`Access.MANAGE` and above), so no command is missed. That entry names the
command and which arguments were given, with the values only of choices and integers: a free-text argument may
hold a mailbox password or a person's address, and neither belongs in the log.

The export: admins get every entry (agency-level ones included), a manager the entries of the workspaces they
manage, never another client's. A range is at most `MAX_RANGE_DAYS` long; the file is capped at
`MAX_ROWS` entries and `EXPORT_MAX_BYTES`, written with `engine.exports.CsvWriter` (formula-safe cells). Managers
read it in Excel: the action in words, the subject by its name (`engine.alert_names.subject_names`, one lookup per
page), the details as `key: value; …`, each beside what is stored (the code, the reference, the exact JSON).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any, Final

from tortoise import connections

from engine.access import Actor
from engine.alert_names import subject_names
from engine.approvals import managed_workspaces
from engine.clock import Clock
from engine.errors import Forbidden, UserError
from engine.exports import EXPORT_MAX_BYTES, CsvWriter, Export
from engine.i18n import Translator, translator
from models import AuditLog
from models.enums import Platform

MAX_RANGE_DAYS: Final = 366
DEFAULT_DAYS: Final = 30
MAX_ROWS: Final = 200_000
PAGE: Final = 5_000
DATA_MAX_CHARS: Final = 2_000  # a cell: longer data is cut (with an ellipsis)
_DAY: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")  # what the help shows; not ISO's week or ordinal days


async def record_command(
    actor: Actor, clock: Clock, command: str, given: Mapping[str, str | int | None], platform: Platform
) -> None:
    """One entry for a command that ran: `given` maps each argument given to its value when it is safe to keep
    (a choice, an integer) or None (free text: only the fact that it was given is kept)."""
    await AuditLog.create(
        workspace_id=actor.workspace_id,
        actor_id=actor.person_id,
        action="command",
        subject=f"/{command}"[:255],
        data={"args": dict(given), "platform": platform.value},
        created_at=clock.now(),
    )


def parse_day(text: str | None, *, field: str) -> dt.date | None:
    """`YYYY-MM-DD` → a date; None for nothing; else `UserError("error-audit-date")` naming the argument."""
    if text is None or not text.strip():
        return None
    value = text.strip()
    if _DAY.match(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise UserError("error-audit-date", field=field, value=value[:20])


_ROWS = """
SELECT a.id, a.created_at, coalesce(w.slug, '') AS workspace, a.action, a.subject, a.data,
       coalesce(p.platform || ':' || p.external_id, '') AS actor, coalesce(p.display_name, '') AS actor_name
FROM audit_log a LEFT JOIN workspace w ON w.id = a.workspace_id LEFT JOIN person p ON p.id = a.actor_id
WHERE a.created_at >= $1 AND a.created_at < $2 AND a.id > $3
  AND ($4::int[] IS NULL OR a.workspace_id = ANY($4::int[]))
ORDER BY a.id LIMIT $5
"""


async def export_audit(
    actor: Actor,
    clock: Clock,
    start: dt.date | None = None,
    end: dt.date | None = None,
    *,
    max_rows: int = MAX_ROWS,
    max_bytes: int = EXPORT_MAX_BYTES,
) -> Export:
    """The entries from `start` to `end` inclusive (UTC days; default: the last `DEFAULT_DAYS` days up to
    today) as CSV. Raises `Forbidden` (neither an admin nor a manager of any workspace),
    `UserError` (`error-audit-range`, `error-audit-too-many`, `export-too-big`)."""
    scope = await _scope(actor)
    today = clock.now().astimezone(dt.UTC).date()
    end = end or today
    start = start or end - min(dt.timedelta(days=DEFAULT_DAYS - 1), end - dt.date.min)  # never before year 1
    if start > end or (end - start).days + 1 > MAX_RANGE_DAYS:
        raise UserError("error-audit-range", days=MAX_RANGE_DAYS)
    since = dt.datetime.combine(start, dt.time(), tzinfo=dt.UTC)
    until = _end_of(end)
    t = translator(actor.locale)
    columns = ("time", "workspace", "actor", "actor-name", "action", "action-code", "subject", "subject-code",
               "details", "data")  # fmt: skip
    header = [t(f"audit-col-{c}") for c in columns]
    writer = CsvWriter(header, max_bytes)
    conn = connections.get("default")
    after = 0
    while True:
        rows = await conn.execute_query_dict(_ROWS, [since, until, after, scope, PAGE])
        if not rows:
            break
        if writer.rows + len(rows) > max_rows:
            raise UserError("error-audit-too-many", limit=max_rows)
        after = int(rows[-1]["id"])
        names = await subject_names(str(r["subject"]) for r in rows)
        await asyncio.to_thread(writer.write, [_line(t, r, names) for r in rows])
        if len(rows) < PAGE:
            break
    name = f"audit-{start.isoformat()}-{end.isoformat()}.csv"
    return Export(name, writer.getvalue(), writer.rows)


def _end_of(day: dt.date) -> dt.datetime:
    """The moment a UTC day ends: the next midnight, or the last moment of 9999-12-31 (a date has no next day)."""
    if day == dt.date.max:
        return dt.datetime.combine(day, dt.time.max, tzinfo=dt.UTC)
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)


async def _scope(actor: Actor) -> list[int] | None:
    """None: every entry (admins); else the workspaces the actor manages (in a shared chat: of its workspaces)."""
    if actor.is_admin:
        return None
    ids = await managed_workspaces(actor)
    if not ids:
        raise Forbidden("error-forbidden")
    return ids


def action_key(action: str) -> str:
    """The catalog key that says an audit action in words: `campaign.group` → `audit-action-campaign-group`."""
    return "audit-action-" + action.replace(".", "-").replace("_", "-")


def action_label(t: Translator, action: str) -> str:
    """An audit action in the reader's words; one no longer written (an old entry's) stays as it was stored."""
    key = action_key(action)
    return t(key) if t.has(key) else action


def _line(t: Translator, r: Mapping[str, Any], names: Mapping[str, str]) -> list[Any]:
    """One entry as a row; `names`: each subject's name (`subject_names`; a subject missing there stays as stored)."""
    data = r["data"]
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)
    try:
        value = json.loads(data) if isinstance(data, str) else data
    except ValueError:
        value = data
    details = "; ".join(_pairs(value)) if isinstance(value, Mapping) else text
    moment: dt.datetime = r["created_at"]
    stamp = moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    action, subject = str(r["action"]), str(r["subject"])
    return [stamp, r["workspace"], r["actor"], r["actor_name"], action_label(t, action), action,
            names.get(subject, subject), subject, _cut(details), _cut(text)]  # fmt: skip


def _pairs(data: Mapping[str, Any], prefix: str = "") -> Iterator[str]:
    """`key: value` for each field, a nested object's fields by dotted keys (`limits.daily: 30`); text as it is,
    nothing (null, "") as "—", anything else as JSON writes it."""
    for key in sorted(data, key=str):
        value, name = data[key], f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            yield from _pairs(value, f"{name}.")
        elif value is None or value == "":
            yield f"{name}: —"
        else:
            shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
            yield f"{name}: {shown}"


def _cut(text: str) -> str:
    return text if len(text) <= DATA_MAX_CHARS else text[: DATA_MAX_CHARS - 1] + "…"

"""Retention (152-FZ art. 5 part 7: data is kept no longer than its purpose needs; FACTS §6.4 item 6).

A workspace's `retention_days` (set with /retention; NULL = off, the default: deleting a client's history is
that client's decision, and a silent default would destroy evidence of consent the sender must be able to show)
makes the daily `purge` job remove, for data older than that many days:
- events (sends, opens, clicks, replies, bounces, unsubscribes — including the records of inbound mail);
- the personal content of outbound campaign and test messages (subject, body, HTML, links, SMTP reply; the rows
  stay for threads and counters);
- leads created before the cut-off that are in no active sequence and were not written to since (their
  enrollments go with them); their messages keep the keyed hash of the address (`recipient_hash`), so an
  unsubscribe from an old mail still suppresses the person.
DailyStat counters and the suppression list are kept: aggregates hold no person, and a suppression must outlive
the data it protects. Work is done in batches of `batch` rows, each its own short statement: never one huge
transaction holding locks over a client's whole history.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Final

from tortoise import connections
from tortoise.transactions import in_transaction

from engine.access import Actor, require_manager, require_reader
from engine.clock import Clock
from engine.compliance.hashing import AddressHasher
from engine.errors import UserError
from engine.logging import get_logger
from engine.sending.planner import lock_plans
from models import AuditLog, Workspace

log = get_logger(__name__)

MIN_DAYS: Final = 30  # shorter would erase the evidence of a running campaign's replies and bounces
MAX_DAYS: Final = 3650
BATCH: Final = 5_000

_EVENTS = """
DELETE FROM event WHERE id IN (
    SELECT id FROM event WHERE workspace_id = $1 AND occurred_at < $2 ORDER BY occurred_at LIMIT $3)
RETURNING id
"""
_MESSAGES = """
UPDATE outbound_message SET subject = '', body = '', html = '', links = NULL, smtp_reply = ''
WHERE id IN (
    SELECT id FROM outbound_message
    WHERE workspace_id = $1 AND kind IN ('campaign', 'test') AND coalesce(sent_at, scheduled_at) < $2
      AND status NOT IN ('planned', 'queued', 'sending')
      AND (subject <> '' OR body <> '' OR html <> '' OR links IS NOT NULL OR smtp_reply <> '')
    LIMIT $3)
RETURNING id
"""
_LEADS = """
SELECT l.id, l.email FROM lead l
WHERE l.workspace_id = $1 AND l.created_at < $2
  AND NOT EXISTS (SELECT 1 FROM enrollment e
                  WHERE e.lead_id = l.id AND (e.state = 'active' OR e.last_sent_at >= $2))
LIMIT $3
FOR UPDATE OF l SKIP LOCKED
"""
# After the leads are deleted (and their enrollments with them), their rows lose both (no constraint does it:
# `models.OutboundMessage`), and campaign rows keep what an unsubscribe from the lead's mail needs once it is gone:
# the keyed hash of its address.
_KEEP_HASHES = """
UPDATE outbound_message m SET lead_id = NULL, enrollment_id = NULL,
    recipient_hash = CASE WHEN m.kind = 'campaign' THEN v.hash ELSE m.recipient_hash END
FROM unnest($1::bigint[], $2::text[]) AS v(lead, hash)
WHERE m.lead_id = v.lead
"""
_DELETE_LEADS = "DELETE FROM lead WHERE id = ANY($1::bigint[])"
KINDS: Final = (("events", _EVENTS), ("messages", _MESSAGES))


@dataclass(frozen=True, slots=True)
class RetentionChange:
    before: int | None
    after: int | None


async def retention_days(actor: Actor) -> int | None:
    workspace_id = require_reader(actor)
    return (await Workspace.get(id=workspace_id)).retention_days


async def set_retention(actor: Actor, clock: Clock, days: int | None) -> RetentionChange:
    """Set (or with None turn off) the current workspace's retention, audited. Raises `Forbidden`,
    `UserError("error-retention-range")`."""
    workspace_id = require_manager(actor)
    if days is not None and not MIN_DAYS <= days <= MAX_DAYS:
        raise UserError("error-retention-range", min=MIN_DAYS, max=MAX_DAYS)
    async with in_transaction():
        space = await Workspace.filter(id=workspace_id).select_for_update().get()
        await Workspace.filter(id=workspace_id).update(retention_days=days)
        await AuditLog.create(
            workspace_id=workspace_id,
            actor_id=actor.person_id,
            action="workspace.retention",
            subject=f"workspace:{workspace_id}",
            data={"from": space.retention_days, "to": days},
            created_at=clock.now(),
        )
    return RetentionChange(space.retention_days, days)


async def purge(clock: Clock, *, hasher: AddressHasher, batch: int = BATCH) -> dict[int, Counter[str]]:
    """Apply every workspace's retention: what was removed, per workspace and kind (workspaces with nothing to
    remove are left out). One workspace's failure is logged and does not stop the others. A deleted lead leaves
    the keyed hash of its address (`hasher`) on its campaign messages: the unsubscribe link in the mail it got
    still suppresses the person (`engine.tracking.unsubscribe`), as the law and RFC 8058 want, with no address
    kept."""
    conn = connections.get("default")
    done: dict[int, Counter[str]] = {}
    spaces = await Workspace.filter(retention_days__isnull=False).values_list("id", "retention_days")
    for workspace_id, days in spaces:
        cutoff = clock.now() - dt.timedelta(days=int(days))
        counts: Counter[str] = Counter()
        try:
            for kind, sql in KINDS:
                while True:  # each batch commits on its own
                    n = len(await conn.execute_query_dict(sql, [workspace_id, cutoff, batch]))
                    counts[kind] += n
                    if n < batch:
                        break
            while True:
                n = await _purge_leads(workspace_id, cutoff, batch, hasher)
                counts["leads"] += n
                if n < batch:
                    break
        except Exception:
            log.exception("retention purge failed", workspace_id=workspace_id)
        if +counts:
            done[workspace_id] = counts
            await AuditLog.create(
                workspace_id=workspace_id,
                actor_id=None,
                action="retention.purge",
                subject=f"workspace:{workspace_id}",
                data={"days": int(days), **counts},
                created_at=clock.now(),
            )
    return done


async def _purge_leads(workspace_id: int, cutoff: dt.datetime, batch: int, hasher: AddressHasher) -> int:
    """Delete one batch of the workspace's leads past retention, their hashes kept on their rows (one short
    transaction). Returns how many were deleted."""
    async with in_transaction() as conn:
        await lock_plans(conn, [workspace_id])  # a campaign plan under way commits first (its rows name their leads)
        picked = await conn.execute_query_dict(_LEADS, [workspace_id, cutoff, batch])
        if not picked:
            return 0
        ids = [int(r["id"]) for r in picked]
        await conn.execute_query(_DELETE_LEADS, [ids])
        await conn.execute_query(_KEEP_HASHES, [ids, [hasher.value(str(r["email"])) for r in picked]])
    return len(ids)

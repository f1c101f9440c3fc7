"""Enrolling leads into a campaign, in bulk: one statement decides every lead and inserts the enrollments.

A lead is skipped, and counted under its reason, when it is suppressed (its address, the mailbox its `+tag` address
reaches, or its domain, in the workspace or globally), invalid, already enrolled in this campaign, already in
another running or paused campaign of the workspace, or when another workspace sent to the same address within the
agency's `contact_window_days` (AgencySetting, default 30). Every other lead gets an enrollment at step 0, due now.

A person is a mailbox: `ivan@acme.ru` and `Ivan+news@acme.ru` reach one inbox, so a lead whose mailbox another lead
of the workspace already has in this campaign (or in a running one), or another workspace wrote to within the
window, is skipped as that lead would be, and of several such leads enrolled at once only one is (the address
without a +tag first).

Enrollments of one workspace take turns (`ENROLL_LOCK`, a transaction-level advisory lock per workspace): the
checks read what other campaigns hold and then insert, so two enrollments at once (two imports, an import and a
campaign's start) would each miss what the other was adding and both enroll one person. The lock is held to the
end of the caller's transaction (an import's: the whole file), so the second sees what the first committed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from tortoise.transactions import in_transaction

from engine.access import Actor, require_manager
from engine.clock import Clock
from engine.errors import Conflict, NotFound
from engine.lifecycle import state_name
from models import AgencySetting, Campaign
from models.enums import CampaignStatus
from models.indexes import mailbox_sql

CONTACT_WINDOW_KEY: Final = "contact_window_days"
DEFAULT_CONTACT_WINDOW_DAYS: Final = 30
SKIP_REASONS: Final = ("suppressed", "invalid", "already_enrolled", "in_other_campaign", "contacted_elsewhere")
IN_OTHER_CAMPAIGN: Final = "in_other_campaign"
"""The skip reason of a person another running or paused campaign of the workspace holds, and the
`Enrollment.stopped_reason` of an enrollment that yields the person to another (a start, the outbox's claim)."""
ENROLL_CHUNK: Final = 20_000  # lead ids per statement: a 100,000-lead enroll is five statements, not 100,000
_OPEN: Final = (CampaignStatus.DRAFT, CampaignStatus.RUNNING, CampaignStatus.PAUSED)
ENROLL_LOCK: Final = 0x6D66_656E  # "mfen": the first key of the advisory lock; the second is the workspace id
_LOCK: Final = "SELECT pg_advisory_xact_lock($1, $2)"


async def lock_enrollment(conn: Any, workspace_id: int) -> None:
    """Wait for the enrollments of the workspace in other transactions to end, and hold theirs back until this
    transaction ends (`ENROLL_LOCK`). A statement of its own: the next one reads what the others committed. Take it
    before any lock on leads or campaigns (an import: first in its transaction), or two of them may each wait for
    the other."""
    await conn.execute_query(_LOCK, [ENROLL_LOCK, workspace_id])


@dataclass
class EnrollReport:
    """How many leads were enrolled, and how many were skipped for each reason (`SKIP_REASONS`)."""

    enrolled: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    not_found: int = 0  # ids that are no lead of the campaign's workspace

    def add(self, other: EnrollReport) -> None:
        self.enrolled += other.enrolled
        self.not_found += other.not_found
        for reason, count in other.skipped.items():
            self.skipped[reason] = self.skipped.get(reason, 0) + count


async def contact_window_days() -> int:
    """The agency-wide window during which an address one workspace wrote to is kept from the others."""
    setting = await AgencySetting.get_or_none(key=CONTACT_WINDOW_KEY)
    value = setting.value if setting is not None else None
    return value if isinstance(value, int) and value >= 0 else DEFAULT_CONTACT_WINDOW_DAYS


async def get_campaign(actor: Actor, campaign_id: int) -> Campaign:
    """The campaign if the actor manages its workspace (`NotFound("error-leads-campaign-not-found")` otherwise)."""
    campaign = await Campaign.get_or_none(id=campaign_id)
    if campaign is None or not actor.can_read(campaign.workspace_id):
        raise NotFound("error-leads-campaign-not-found", name=str(campaign_id))
    require_manager(actor, campaign.workspace_id)
    return campaign


async def enroll(actor: Actor, campaign_id: int, lead_ids: Sequence[int], clock: Clock) -> EnrollReport:
    """Enroll the leads into the campaign (see the module's rules); `next_due_at` is now.

    Runs in the caller's transaction when there is one. Raises `NotFound("error-leads-campaign-not-found")`,
    `Forbidden`, `Conflict("error-leads-enroll-closed")` for a completed or archived campaign.
    """
    campaign = await get_campaign(actor, campaign_id)
    if campaign.status not in _OPEN:
        raise Conflict("error-leads-enroll-closed", name=campaign.name, status=state_name("campaign", campaign.status))
    now = clock.now()
    since = now - dt.timedelta(days=await contact_window_days())
    report = EnrollReport()
    ids = sorted(set(lead_ids))
    for start in range(0, len(ids), ENROLL_CHUNK):
        chunk = ids[start : start + ENROLL_CHUNK]
        async with in_transaction() as conn:
            await lock_enrollment(conn, campaign.workspace_id)
            # A generic plan (asyncpg prepares statements; PostgreSQL switches to one after five runs) keeps the id
            # array a parameter, so `= ANY` is checked element by element: minutes for 20,000 ids.
            await conn.execute_query("SET LOCAL plan_cache_mode = force_custom_plan")
            rows = await conn.execute_query_dict(_ENROLL, [campaign.workspace_id, campaign.id, since, chunk, now])
        found = 0
        for row in rows:
            reason, count = str(row["reason"]), int(row["n"])
            if reason == "enrolled":
                report.enrolled += count
            elif reason == "candidates":
                found = count
            else:
                report.skipped[reason] = report.skipped.get(reason, 0) + count
        report.not_found += len(chunk) - found
    return report


# One statement per chunk: the candidates (leads of the workspace among the ids, found by primary key), each
# one's first skip reason in a fixed order, the inserts for the rest, and the counts. Every check joins the
# candidates (index probes or hash joins), never a probe per lead from the client. Two plans bit us right after a
# bulk import: `IN (SELECT … FROM cand)` planned on stale statistics as a nested loop over the CTE (20,000
# candidates against the same addresses in another workspace: minutes), and a generic plan checking `id = ANY($4)`
# element by element on every lead of the workspace (hence `force_custom_plan` above).
# A person is a mailbox, not an address (`ivan@` and `ivan+news@` reach one inbox): "already in a campaign" and
# "contacted by another workspace" look at every lead of the candidate's mailbox (`kin`, `contacted`: probes of the
# `lead_mailbox` index), and of the candidates of one mailbox not skipped only one is enrolled (`chosen`: the
# address without a +tag first), the others count as already enrolled.
_ENROLL = f"""
WITH cand AS (
    SELECT l.id, l.email, split_part(l.email, '@', 2) AS domain, {mailbox_sql("l.email")} AS box, l.verdict
    FROM unnest($4::bigint[]) AS x(id) JOIN lead l ON l.id = x.id
    WHERE l.workspace_id = $1
), suppressed AS (
    SELECT c.id FROM cand c
    WHERE EXISTS (SELECT 1 FROM suppression s WHERE s.workspace_id = $1 AND s.value IN (c.email, c.box, c.domain))
       OR EXISTS (SELECT 1 FROM suppression s WHERE s.workspace_id IS NULL AND s.value IN (c.email, c.box, c.domain))
), kin AS (
    SELECT c.id, o.id AS lead_id FROM cand c JOIN lead o ON {mailbox_sql("o.email")} = c.box AND o.workspace_id = $1
), busy AS (
    SELECT k.id, bool_or(e.campaign_id = $2) AS here
    FROM kin k JOIN enrollment e ON e.lead_id = k.lead_id JOIN campaign p ON p.id = e.campaign_id
    WHERE e.campaign_id = $2 OR p.status IN ('running', 'paused')
    GROUP BY k.id
), contacted AS (
    SELECT DISTINCT c.box FROM cand c
    JOIN lead o ON {mailbox_sql("o.email")} = c.box AND o.workspace_id <> $1
    JOIN outbound_message m ON m.lead_id = o.id
    WHERE m.kind = 'campaign' AND m.sent_at IS NOT NULL AND m.sent_at >= $3
), judged AS (
    SELECT c.id, c.email, c.box, CASE
        WHEN s.id IS NOT NULL THEN 'suppressed'
        WHEN c.verdict = 'invalid' THEN 'invalid'
        WHEN b.here THEN 'already_enrolled'
        WHEN b.id IS NOT NULL THEN 'in_other_campaign'
        WHEN k.box IS NOT NULL THEN 'contacted_elsewhere'
    END AS skip
    FROM cand c
    LEFT JOIN suppressed s ON s.id = c.id
    LEFT JOIN busy b ON b.id = c.id
    LEFT JOIN contacted k ON k.box = c.box
), chosen AS (
    SELECT DISTINCT ON (box) id FROM judged WHERE skip IS NULL ORDER BY box, email <> box, id
), added AS (
    INSERT INTO enrollment (campaign_id, lead_id, state, current_step, next_due_at, thread_message_id,
                            stopped_reason, created_at)
    SELECT $2, id, 'active', 0, $5, '', '', $5 FROM chosen
    ON CONFLICT (campaign_id, lead_id) DO NOTHING
    RETURNING 1
)
SELECT 'enrolled' AS reason, count(*) AS n FROM added
UNION ALL SELECT 'candidates', count(*) FROM cand
UNION ALL SELECT skip, count(*) FROM judged WHERE skip IS NOT NULL GROUP BY skip
UNION ALL SELECT 'already_enrolled', count(*) FROM judged j
    WHERE j.skip IS NULL AND NOT EXISTS (SELECT 1 FROM chosen h WHERE h.id = j.id) HAVING count(*) > 0
"""  # noqa: S608 - no input in the text

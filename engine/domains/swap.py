"""Applying an approved domain swap, in one transaction: the burned domain's campaigns move to the replacement,
their leads' future steps go from the replacement's mailboxes, the burned domain and its mailboxes retire.

- Every campaign whose mailbox group holds the burned domain or one of its mailboxes (or whose leads stick to
  one) gets the replacement domain in its group and loses the burned domain and mailboxes.
- Active sequences sticking to a burned mailbox move to the replacement's graduated mailboxes, round-robin (in
  campaign and enrollment order). Their next follow-up **starts a new thread** from the new mailbox: the
  enrollment's `thread_message_id` is cleared, so the campaign planner plans the follow-up without
  `In-Reply-To` (it threads only under messages the row's own mailbox sent) and the outbox makes the first
  message the new mailbox sends the thread. Replying inside a thread another domain started would show the
  lead a different sender in the same conversation and tie the new domain to the burned one.
- Their rows not yet sent (`planned`, `queued`) on burned mailboxes are **deleted**: they never left, no event
  points at them, and the unique (enrollment, step) key — which also stops the planner from planning a step
  that has any row — would otherwise keep the step from being planned again from the new mailbox. A row a
  worker already claimed (`sending`) is left to finish: the conditional claim and this delete take the row's
  lock in turn, so a row is either sent or deleted, never both. Steps already sent are behind the enrollment's
  `current_step` and are never planned again. Warmup and test rows of the burned mailboxes are cancelled.
- The replacement domain joins the active pool; the burned domain goes `burned` then `retired` (each step
  audited by the state machine) and its mailboxes are retired. Their open alerts are settled without a "no
  longer seen" announcement: nothing checks a retired domain or mailbox again, so nothing else would end them.
- The approval goes `approved → applied` in the same transaction, after a row lock: applying twice (a button
  pressed in Telegram and in Slack, a retried job) applies once and the second call reports the first.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tortoise.transactions import in_transaction

from engine import approvals
from engine.access import Actor
from engine.alerts import settle_subjects
from engine.clock import Clock
from engine.dns.names import to_unicode
from engine.domains.reserve import (
    MANUAL_REASON,
    NEEDS_A_PERSON,
    Proposal,
    ProposeResult,
    campaigns_of,
    load_reserves,
    propose_swap,
)
from engine.domains.resume import resume_cleared, standings
from engine.domains.state import Health
from engine.errors import Conflict, NotFound
from engine.lifecycle import state_name, transition_approval, transition_domain, transition_mailbox
from engine.logging import get_logger
from models import Alert, AuditLog, Campaign, Domain, Enrollment, Mailbox, Workspace
from models.alert import Approval
from models.enums import (
    AlertStatus,
    ApprovalKind,
    ApprovalStatus,
    DomainStatus,
    EnrollmentState,
    MailboxStatus,
    PoolRole,
)

log = get_logger(__name__)


@dataclass(frozen=True)
class SwapReport:
    approval_id: int
    domain: str
    replacement: str
    campaigns: tuple[str, ...]
    moved: int  # active sequences moved to the replacement's mailboxes
    replanned: int  # rows not yet sent, removed from burned mailboxes (the planner plans them again)
    retired_mailboxes: int
    replacement_mailboxes: int
    already_applied: bool = False


_ROWS_DELETE = """
DELETE FROM outbound_message WHERE mailbox_id = ANY($1::int[]) AND status IN ('planned', 'queued')
    AND kind = 'campaign' RETURNING id
"""
_WARMUP_CANCEL = """
UPDATE outbound_message SET status = 'cancelled' WHERE mailbox_id = ANY($1::int[])
    AND status IN ('planned', 'queued') AND kind <> 'campaign'
"""
_GROUP_DOMAINS = """
DELETE FROM campaign_domain WHERE campaign_id = ANY($1::int[]) AND domain_id = $2
"""
_GROUP_BOXES = """
DELETE FROM campaign_mailbox WHERE campaign_id = ANY($1::int[]) AND mailbox_id = ANY($2::int[])
"""
_GROUP_ADD = """
INSERT INTO campaign_domain (campaign_id, domain_id) SELECT c, $2 FROM unnest($1::int[]) AS t(c)
WHERE NOT EXISTS (SELECT 1 FROM campaign_domain x WHERE x.campaign_id = t.c AND x.domain_id = $2)
"""
_MOVE = """
UPDATE enrollment e SET mailbox_id = m.box, thread_message_id = ''
FROM unnest($1::bigint[], $2::int[]) AS m(id, box) WHERE e.id = m.id AND e.state = 'active'
"""


async def apply_swap(approval_id: int, clock: Clock) -> SwapReport:
    """Carry out an approved DOMAIN_SWAP (see the module). Raises `Conflict` when the approval is not approved
    or the replacement can no longer take over; returns the first report again when it was already applied."""
    async with in_transaction() as conn:
        approval = await Approval.filter(id=approval_id).select_for_update().first()
        if approval is None or approval.kind is not ApprovalKind.DOMAIN_SWAP:
            raise NotFound("error-approval-not-found", id=approval_id)
        if approval.status is ApprovalStatus.APPLIED:
            return _again(approval)
        if approval.status is not ApprovalStatus.APPROVED:
            raise Conflict("error-swap-not-approved", id=approval_id, status=state_name("approval", approval.status))
        burned, replacement, new_boxes = await _parties(approval, clock)
        report, ids = await _carry_out(conn, approval, burned, replacement, new_boxes, clock=clock)
    log.info(
        "swap applied",
        approval_id=approval.id,
        domain_id=burned.id,
        replacement_id=replacement.id,
        campaigns=len(ids),
        moved=report.moved,
        replanned=report.replanned,
    )
    return report


async def _parties(approval: Approval, clock: Clock) -> tuple[Domain, Domain, list[Mailbox]]:
    """The burned domain, the replacement (locked) and the replacement's graduated mailboxes, checked."""
    payload = approval.payload
    burned = await Domain.filter(id=int(payload["domain_id"])).select_for_update().first()
    replacement = await Domain.filter(id=int(payload["replacement_id"])).select_for_update().first()
    if burned is None:
        raise NotFound("error-domain-gone", id=payload["domain_id"])
    if replacement is None:
        raise NotFound("error-domain-gone", id=payload["replacement_id"])
    if burned.status is DomainStatus.RETIRED:  # swapped by another request meanwhile, or retired by hand
        raise Conflict("error-swap-domain-retired", domain=to_unicode(burned.name))
    problem = await _replacement_problem(burned, replacement, clock)
    if problem is not None:
        raise Conflict("error-swap-replacement-unusable", domain=to_unicode(replacement.name), reason=problem)
    new_boxes = list(await Mailbox.filter(domain_id=replacement.id, status=MailboxStatus.ACTIVE).order_by("id"))
    return burned, replacement, new_boxes


async def _replacement_problem(burned: Domain, replacement: Domain, clock: Clock) -> str | None:
    """Why the replacement can no longer take over: `status` (another workspace's, not sending, or no graduated
    mailbox), `taken` (no longer a reserve: another swap put it to work), `listed` or `dns_bad`; None when it
    can. It was ready when the swap was proposed, and days may have passed since; a lookup that got no answer is
    not a wrong record. A listing or a wrong record is named before the status: the check that finds one also
    cools the domain, and the listing is what a person must act on."""
    if replacement.workspace_id != burned.workspace_id:
        return "status"
    if replacement.pool_role is not PoolRole.RESERVE:  # another swap put it to work, or a person did
        return "taken"
    [facts] = await load_reserves([replacement], clock.now().date())
    wrong = [r for r in facts.not_ready if r in NEEDS_A_PERSON]
    if wrong:
        return str(wrong[0].value)
    sending = replacement.status in (DomainStatus.WARMING, DomainStatus.ACTIVE)
    if not sending or not await Mailbox.exists(domain_id=replacement.id, status=MailboxStatus.ACTIVE):
        return "status"
    return None


async def swap_waiting_to_apply(approval_id: int) -> bool:
    """A swap request that names its reserve, approved and never carried out: its application failed or was cut
    short (a crash, a lost connection), and pressing Approve again may carry it out (`apply_swap`)."""
    approval = await Approval.get_or_none(id=approval_id)
    return (
        approval is not None
        and approval.kind is ApprovalKind.DOMAIN_SWAP
        and approval.status is ApprovalStatus.APPROVED
        and "replacement_id" in approval.payload
    )


@dataclass(frozen=True)
class Stale:
    """A pending swap whose replacement can no longer take over: it is over, and `fresh` is what was asked
    instead (the next best reserve, the `reserve_empty` alert, or nothing when the domain needs no swap now)."""

    approval_id: int
    replacement: str
    reason: str  # why the replacement cannot take over; "recovered": the burned domain needs no replacement now
    fresh: ProposeResult
    domain: str = ""  # the burned domain, as people read it


async def refresh_stale(actor: Actor, approval_id: int, clock: Clock) -> Stale | None:
    """Before a swap is approved: when the reserve it names was listed, got a wrong DNS record or stopped sending
    since it was proposed, approving it would carry out nothing and hold the burned domain's campaigns back. The
    request is then over (`expired`, audited) and a fresh one is proposed at once. When the burned domain itself
    recovered meanwhile (`_recovered`), the request is over too and the domain goes back to work. None when the
    request stands, or is not a pending swap (`approvals.decide` says why)."""
    approval = await Approval.get_or_none(id=approval_id)
    if approval is None or not await approvals.manages(actor, approval.workspace_id):
        raise NotFound("error-approval-not-found", id=approval_id)
    payload = approval.payload
    now = clock.now()
    pending = approval.status is ApprovalStatus.PENDING and approval.expires_at > now
    if approval.kind is not ApprovalKind.DOMAIN_SWAP or "replacement_id" not in payload or not pending:
        return None
    burned = await Domain.get_or_none(id=int(payload["domain_id"]))
    replacement = await Domain.get_or_none(id=int(payload["replacement_id"]))
    if burned is None or replacement is None or burned.status is DomainStatus.RETIRED:
        return None  # applying says what is gone
    if await _recovered(burned, approval, now):
        return await _recovered_stale(actor, approval, burned, replacement, clock)
    problem = await _replacement_problem(burned, replacement, clock)
    if problem is None or not await _end_request(actor, approval, replacement.id, problem, now):
        return None  # it stands; or it was decided meanwhile, and the decision says by whom
    raw = payload.get("detail")
    detail: dict[str, Any] = raw if isinstance(raw, dict) else {}
    fresh = await propose_swap(burned.id, clock, reason=str(payload.get("reason") or "stale"), detail=detail)
    return Stale(approval.id, to_unicode(replacement.name), problem, fresh)


async def _end_request(actor: Actor, approval: Approval, replacement_id: int, reason: str, now: dt.datetime) -> bool:
    """A pending swap request that no longer applies: `expired` (conditionally: False when it was decided
    meanwhile) and audited with why."""
    moved = await Approval.filter(id=approval.id, status=ApprovalStatus.PENDING).update(status=ApprovalStatus.EXPIRED)
    if moved != 1:
        return False
    await AuditLog.create(
        workspace_id=approval.workspace_id,
        actor_id=actor.person_id,
        action="domain.swap_stale",
        subject=approval.subject,
        data={"approval": approval.id, "replacement": replacement_id, "reason": reason},
        created_at=now,
    )
    log.info("swap request stale", approval_id=approval.id, replacement_id=replacement_id, reason=reason)
    return True


async def _recovered(burned: Domain, approval: Approval, now: dt.datetime) -> bool:
    """Whether the domain protection cooled, and proposed swapping, needs no replacement now: every list answered
    "not listed" and every record is right on the latest checks (the request itself aside, what `resume` waits for).
    A swap a manager asked for by hand is not second-guessed."""
    if burned.status is not DomainStatus.COOLING or approval.payload.get("reason") == MANUAL_REASON:
        return False
    standing = (await standings([burned], now))[burned.id]
    return standing.blacklists.health is Health.OK and standing.dns.health is Health.OK


async def _recovered_stale(
    actor: Actor, approval: Approval, burned: Domain, replacement: Domain, clock: Clock
) -> Stale | None:
    """Approving a swap of a domain that recovered meanwhile (delisted, its records right again) retired a healthy
    domain on an old question: the request is over instead (`expired`, audited) and the domain goes back to work as
    the next check would have sent it (`resume.resume_cleared`)."""
    if not await _end_request(actor, approval, replacement.id, "recovered", clock.now()):
        return None  # decided meanwhile: the decision says by whom
    await resume_cleared([burned], clock)
    return Stale(
        approval.id,
        to_unicode(replacement.name),
        "recovered",
        ProposeResult(Proposal.NOT_NEEDED),
        to_unicode(burned.name),
    )


async def offer_freed_reserve(approval_id: int, clock: Clock) -> ProposeResult | None:
    """After a swap request is rejected, the reserve it named is free again: a domain of the workspace still waiting
    for one (an open `reserve_empty` alert, which named the rejected request) is asked about it now, the one waiting
    longest first. The new request (None when nobody waits, or no ready reserve is left after all)."""
    approval = await Approval.get_or_none(id=approval_id)
    if approval is None or approval.kind is not ApprovalKind.DOMAIN_SWAP or "replacement_id" not in approval.payload:
        return None
    waiting = await Alert.filter(
        workspace_id=approval.workspace_id, kind="reserve_empty", status__not=AlertStatus.RESOLVED
    ).order_by("first_seen", "id")
    for alert in waiting:
        kind, _, ident = alert.subject.partition(":")
        if kind != "domain" or not ident.isdigit() or f"domain:{ident}" == approval.subject:
            continue
        reason = str((alert.data or {}).get("reason") or "reserve freed")
        result = await propose_swap(int(ident), clock, reason=reason, detail={})
        if result.outcome is Proposal.PROPOSED:
            return result
    return None


async def renew_expired(clock: Clock) -> list[int]:
    """Requests that expired with no decision (`approvals.expire_due`; their ids): a swap request is asked again
    at once while its domain still needs a replacement — the burned domain stays cooled, its campaigns held,
    until someone decides, so a request left unanswered must not end the question. The new request names the
    best reserve now and says which one it renews; a domain that recovered meanwhile, or is gone, is asked about
    no more. A DMARC step is proposed again by its own watch; a DNS plan is asked for again by a person."""

    async def again(approval: Approval) -> None:
        await _ask_again(approval, clock)

    return [a.id for a in await approvals.expire_due(clock, then=again)]


async def renew_pressed(approval_id: int, clock: Clock) -> ProposeResult | None:
    """A button pressed on a request past its time that the sweep has not expired yet (`approvals.decide`
    refused it): expire it now as the sweep would, asking again for a swap still needed. The new request (or
    the `reserve_empty` alert), None when nothing was asked (not a swap, the domain recovered, or expired
    already). The caller checked that the presser manages its workspace."""
    found: list[ProposeResult] = []

    async def again(approval: Approval) -> None:
        result = await _ask_again(approval, clock)
        if result is not None:
            found.append(result)

    await approvals.expire_due(clock, then=again, ids=[approval_id])
    return found[0] if found else None


async def _ask_again(approval: Approval, clock: Clock) -> ProposeResult | None:
    """What follows an expired request: a swap asked again while its domain needs one (see `renew_expired`)."""
    log.info("approval expired", id=approval.id, kind=approval.kind.value, subject=approval.subject)
    payload = approval.payload
    if approval.kind is not ApprovalKind.DOMAIN_SWAP or "domain_id" not in payload:
        return None
    if not await Domain.exists(id=int(payload["domain_id"])):
        return None
    raw = payload.get("detail")
    detail: dict[str, Any] = raw if isinstance(raw, dict) else {}
    reason = str(payload.get("reason") or "expired")
    return await propose_swap(int(payload["domain_id"]), clock, reason=reason, detail=detail, renews=approval.id)


async def _carry_out(
    conn: Any,
    approval: Approval,
    burned: Domain,
    replacement: Domain,
    new_boxes: Sequence[Mailbox],
    *,
    clock: Clock,
) -> tuple[SwapReport, list[int]]:
    old_boxes = list(await Mailbox.filter(domain_id=burned.id).exclude(status=MailboxStatus.RETIRED).order_by("id"))
    old_ids = [b.id for b in old_boxes]
    ids = await campaigns_of(burned.id, old_ids)
    if ids:
        await conn.execute_query(_GROUP_DOMAINS, [ids, burned.id])
        await conn.execute_query(_GROUP_BOXES, [ids, old_ids])
        await conn.execute_query(_GROUP_ADD, [ids, replacement.id])
    moves: list[tuple[int, int]] = []
    replanned = 0
    if old_ids:
        rows = await Enrollment.filter(mailbox_id__in=old_ids, state=EnrollmentState.ACTIVE).order_by(
            "campaign_id", "id"
        )
        moves = _round_robin([e.id for e in rows], [b.id for b in new_boxes])
        if moves:
            await conn.execute_query(_MOVE, [[e for e, _ in moves], [b for _, b in moves]])
        replanned = len(await conn.execute_query_dict(_ROWS_DELETE, [old_ids]))
        await conn.execute_query(_WARMUP_CANCEL, [old_ids])
    await Domain.filter(id=replacement.id).update(pool_role=PoolRole.ACTIVE)
    who, reason = approval.decided_by_id, f"swap:{approval.id}"
    if burned.status is not DomainStatus.BURNED:
        await transition_domain(burned, DomainStatus.BURNED, clock=clock, reason=reason, actor_id=who)
    await transition_domain(burned, DomainStatus.RETIRED, clock=clock, reason=reason, actor_id=who)
    for box in old_boxes:
        await transition_mailbox(box, MailboxStatus.RETIRED, clock=clock, reason=reason, actor_id=who)
    # no check looks at a retired domain or mailbox again: their alerts (the listing, cooldowns, cuts) end here
    subjects = [f"domain:{burned.id}", *(f"mailbox:{b.id}" for b in old_boxes)]
    await settle_subjects(subjects, workspace_id=burned.workspace_id, clock=clock)
    names = [str(c.name) for c in await Campaign.filter(id__in=ids).order_by("id")] if ids else []
    report = SwapReport(
        approval.id,
        to_unicode(burned.name),
        to_unicode(replacement.name),
        tuple(names),
        moved=len(moves),
        replanned=replanned,
        retired_mailboxes=len(old_boxes),
        replacement_mailboxes=len(new_boxes),
    )
    data = _report_data(report)
    await transition_approval(
        approval, ApprovalStatus.APPLIED, clock=clock, reason=reason, actor_id=who,
        extra={"applied_at": clock.now(), "payload": {**approval.payload, "applied": data}},
    )  # fmt: skip
    await AuditLog.create(
        workspace_id=burned.workspace_id,
        actor_id=who,
        action="domain.swap",
        subject=f"domain:{burned.id}",
        data={"approval": approval.id, "replacement": replacement.id, "campaign_ids": ids, **data},
        created_at=clock.now(),
    )
    return report, ids


def _round_robin(enrollments: Sequence[int], boxes: Sequence[int]) -> list[tuple[int, int]]:
    """Each enrollment with the next mailbox in turn."""
    return list(zip(enrollments, itertools.cycle(boxes), strict=False)) if boxes else []


def _report_data(report: SwapReport) -> dict[str, Any]:
    return {
        "domain": report.domain,
        "replacement": report.replacement,
        "campaigns": list(report.campaigns),
        "moved": report.moved,
        "replanned": report.replanned,
        "retired_mailboxes": report.retired_mailboxes,
        "replacement_mailboxes": report.replacement_mailboxes,
    }


async def paused_after(approval_id: int) -> Workspace | None:
    """The swap's workspace when its sending is still paused (monitoring pauses a whole workspace on a spike of
    failures, which a burned domain usually is): replacing the domain does not resume it; a manager does, once the
    cause is fixed. None when it is not paused."""
    approval = await Approval.get_or_none(id=approval_id).only("workspace_id")
    if approval is None:
        return None
    space = await Workspace.get_or_none(id=approval.workspace_id)
    return space if space is not None and (space.settings or {}).get("sending_paused") is True else None


def _again(approval: Approval) -> SwapReport:
    """The report of the first application, kept on the approval."""
    data = approval.payload.get("applied") or {}
    return SwapReport(
        approval.id,
        str(data.get("domain", approval.payload.get("domain", ""))),
        str(data.get("replacement", approval.payload.get("replacement", ""))),
        tuple(str(c) for c in data.get("campaigns", ())),
        moved=int(data.get("moved", 0)),
        replanned=int(data.get("replanned", 0)),
        retired_mailboxes=int(data.get("retired_mailboxes", 0)),
        replacement_mailboxes=int(data.get("replacement_mailboxes", 0)),
        already_applied=True,
    )

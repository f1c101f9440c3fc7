"""Approvals asked in chat. Deciding is one conditional update, so a double click — or a click in Telegram and
in Slack — acts once, and everyone sees who decided."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from engine.access import Actor
from engine.clock import Clock
from engine.errors import Conflict, NotFound
from engine.lifecycle import transition_approval
from engine.logging import get_logger
from models import AuditLog, Membership, Person
from models.alert import Approval
from models.enums import ApprovalKind, ApprovalStatus, Role

log = get_logger(__name__)
DEFAULT_TTL = dt.timedelta(days=3)


@dataclass(frozen=True)
class Decision:
    approval_id: int
    kind: ApprovalKind
    subject: str
    status: ApprovalStatus
    payload: dict[str, Any]


async def request(
    workspace_id: int,
    kind: ApprovalKind,
    subject: str,
    payload: dict[str, Any],
    *,
    clock: Clock,
    ttl: dt.timedelta = DEFAULT_TTL,
) -> Approval | None:
    """Ask for an approval; None when one is already pending for the same subject (one pending per subject)."""
    now = clock.now()
    try:
        return await Approval.create(
            workspace_id=workspace_id,
            kind=kind,
            subject=subject,
            payload=payload,
            requested_at=now,
            expires_at=now + ttl,
        )
    except IntegrityError:
        return None


async def manages(actor: Actor, workspace_id: int) -> bool:
    """Admins, and managers of that workspace — whichever workspace is their current one (an alert may come
    from any of a manager's workspaces). In a shared chat, only the chat's workspaces (`Actor.confined_to`)."""
    if actor.can_manage(workspace_id):
        return True
    if actor.confined and workspace_id not in actor.confined_to:
        return False
    return actor.person_id is not None and await Membership.exists(
        person_id=actor.person_id, workspace_id=workspace_id, role=Role.MANAGER
    )


async def managed_workspaces(actor: Actor) -> list[int]:
    """The workspaces the actor manages by membership, whichever is their current one (ids, in order)."""
    if actor.person_id is None:
        return []
    if actor.confined and actor.role is Role.ADMIN:  # an admin in a shared chat: the chat's workspaces
        return sorted(actor.confined_to)
    rows = await Membership.filter(person_id=actor.person_id, role=Role.MANAGER).order_by("workspace_id")
    return [m.workspace_id for m in rows if not actor.confined or m.workspace_id in actor.confined_to]


async def decide(actor: Actor, approval_id: int, approve: bool, clock: Clock) -> Decision:
    """Approve or reject, once. A second decision raises `Conflict` naming who decided and how; a request past
    its time raises `Conflict("error-approval-expired")` and is left for `expire_due` (the sweep, or the caller
    at once), which expires it with what follows — marking it expired here would skip the renewal."""
    approval = await Approval.get_or_none(id=approval_id)
    if approval is None or not await manages(actor, approval.workspace_id):
        raise NotFound("error-approval-not-found", id=approval_id)
    now = clock.now()
    target = ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED
    if approval.expires_at <= now and approval.status is ApprovalStatus.PENDING:
        raise Conflict("error-approval-expired", id=approval_id)
    moved = await Approval.filter(id=approval.id, status=ApprovalStatus.PENDING).update(
        status=target, decided_by_id=actor.person_id, decided_via=actor.platform, decided_at=now
    )
    if moved != 1:
        fresh = await Approval.get(id=approval.id)
        who = await Person.get_or_none(id=fresh.decided_by_id) if fresh.decided_by_id else None
        raise Conflict(
            "error-approval-decided",
            id=approval_id,
            status=fresh.status.value,
            who=(who.display_name or who.external_id) if who else "-",
            via=fresh.decided_via.value if fresh.decided_via else "-",
        )
    await AuditLog.create(
        workspace_id=approval.workspace_id,
        actor_id=actor.person_id,
        action="approval.decide",
        subject=f"approval:{approval.id}",
        data={"status": target.value, "via": actor.platform.value},
        created_at=now,
    )
    log.info("approval decided", id=approval.id, status=target.value, via=actor.platform.value)
    return Decision(approval.id, approval.kind, approval.subject, target, approval.payload)


async def expire_due(
    clock: Clock,
    then: Callable[[Approval], Awaitable[object]] | None = None,
    limit: int = 500,
    *,
    ids: Sequence[int] | None = None,
) -> list[Approval]:
    """The pending requests nobody decided before they expired: `expired` now (audited by the state machine), each
    in its own transaction with what `then` does about it (asking again), so a failure leaves that request
    pending for the next sweep and never expired with nothing done. A request decided meanwhile stays decided:
    the transition is conditional, and the sweep skips the one it lost. `ids`: only these (a late press)."""
    now = clock.now()
    query = Approval.filter(status=ApprovalStatus.PENDING, expires_at__lte=now)
    if ids is not None:
        query = query.filter(id__in=list(ids))
    due = await query.order_by("id").limit(limit)
    expired = []
    for approval in due:
        try:
            async with in_transaction():
                await transition_approval(approval, ApprovalStatus.EXPIRED, clock=clock, reason="no decision in time")
                if then is not None:
                    await then(approval)
        except Conflict:
            continue
        except Exception:  # one request's trouble must not keep the others pending forever
            log.exception("expired approval not handled", id=approval.id, kind=approval.kind.value)
            continue
        expired.append(approval)
    return expired

"""State machines, enforced in one place: one transition function per machine.

Each function checks the table in `models.states`, moves the row with a conditional update (so two workers can
never both move it), logs the legal transition and records it in the audit log. Illegal ones raise.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from tortoise.models import Model

from engine.clock import Clock
from engine.errors import Conflict, IllegalTransition
from engine.logging import get_logger
from models import AuditLog, Campaign, Domain, Mailbox, OutboundMessage
from models.alert import Approval
from models.enums import ApprovalStatus, CampaignStatus, DomainStatus, MailboxStatus, MessageStatus
from models.states import MACHINES

log = get_logger(__name__)


def check_transition(machine: str, current: StrEnum | str, target: StrEnum | str) -> None:
    """Raise `IllegalTransition` unless `machine` allows `current → target`."""
    allowed = {str(s) for src, targets in MACHINES[machine].items() if src == current for s in targets}
    if str(target) not in allowed:
        raise IllegalTransition(machine, str(current), str(target))


@dataclass(frozen=True)
class _Spec:
    model: type[Model]
    field: str
    stamp: str | None  # a datetime column set to the moment of the transition
    audited: bool  # messages move too often to audit each step; their events tell the story


_SPECS = {
    "domain": _Spec(Domain, "status", "status_changed_at", audited=True),
    "mailbox": _Spec(Mailbox, "status", "status_changed_at", audited=True),
    "campaign": _Spec(Campaign, "status", "status_changed_at", audited=True),
    "approval": _Spec(Approval, "status", None, audited=True),
    "message": _Spec(OutboundMessage, "status", None, audited=False),
}


async def _transition(
    machine: str,
    obj: Model,
    target: StrEnum,
    *,
    clock: Clock,
    reason: str,
    actor_id: int | None,
    extra: dict[str, Any] | None,
) -> None:
    spec = _SPECS[machine]
    current = getattr(obj, spec.field)
    check_transition(machine, current, target)
    now = clock.now()
    values: dict[str, Any] = {spec.field: target, **(extra or {})}
    if spec.stamp:
        values[spec.stamp] = now
    moved = await spec.model.filter(pk=obj.pk, **{spec.field: current}).update(**values)
    if moved != 1:
        raise Conflict("error-stale-state", machine=machine, current=str(current), target=str(target))
    for key, value in values.items():
        setattr(obj, key, value)
    log.info("transition", machine=machine, id=obj.pk, source=str(current), target=str(target), reason=reason)
    if spec.audited:
        await AuditLog.create(
            workspace_id=getattr(obj, "workspace_id", None),
            actor_id=actor_id,
            action=f"{machine}.transition",
            subject=f"{machine}:{obj.pk}",
            data={"from": str(current), "to": str(target), "reason": reason},
            created_at=now,
        )


async def transition_domain(
    domain: Domain, target: DomainStatus, *, clock: Clock, reason: str, actor_id: int | None = None
) -> None:
    await _transition("domain", domain, target, clock=clock, reason=reason, actor_id=actor_id, extra=None)


async def transition_mailbox(
    mailbox: Mailbox,
    target: MailboxStatus,
    *,
    clock: Clock,
    reason: str,
    actor_id: int | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    await _transition("mailbox", mailbox, target, clock=clock, reason=reason, actor_id=actor_id, extra=extra)


async def transition_campaign(
    campaign: Campaign, target: CampaignStatus, *, clock: Clock, reason: str, actor_id: int | None = None
) -> None:
    await _transition("campaign", campaign, target, clock=clock, reason=reason, actor_id=actor_id, extra=None)


async def transition_approval(
    approval: Approval,
    target: ApprovalStatus,
    *,
    clock: Clock,
    reason: str,
    actor_id: int | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    await _transition("approval", approval, target, clock=clock, reason=reason, actor_id=actor_id, extra=extra)


async def transition_message(
    message: OutboundMessage,
    target: MessageStatus,
    *,
    clock: Clock,
    reason: str,
    extra: dict[str, Any] | None = None,
) -> None:
    await _transition("message", message, target, clock=clock, reason=reason, actor_id=None, extra=extra)

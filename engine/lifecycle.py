"""State machines, enforced in one place: one transition function per machine.

Each function checks the table in `models.states`, moves the row with a conditional update (so two workers can
never both move it), logs the legal transition and records it in the audit log. Illegal ones raise.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from babel import Locale
from fluent.runtime.types import FluentType
from tortoise import connections
from tortoise.models import Model

from engine.clock import Clock
from engine.errors import AlreadyInState, Conflict, IllegalTransition
from engine.i18n import translator
from engine.logging import get_logger
from models import AuditLog, Campaign, Domain, Mailbox, OutboundMessage
from models.alert import Approval
from models.enums import ApprovalStatus, CampaignStatus, DomainStatus, EventKind, MailboxStatus, MessageStatus
from models.states import MACHINES

if TYPE_CHECKING:
    from engine.stats import EventRecord

log = get_logger(__name__)


class LocalizedName(FluentType):
    """A message parameter that is itself a catalog message (a machine's or a state's name), formatted in the
    locale of the message it fills; the raw name when the catalog has none."""

    def __init__(self, key: str, raw: str) -> None:
        self.key = key
        self.raw = raw

    def format(self, locale: Locale) -> str:
        t = translator(str(locale.language))
        return t(self.key) if t.has(self.key) else self.raw

    def __str__(self) -> str:
        return self.raw

    def __repr__(self) -> str:
        return f"LocalizedName({self.key!r})"


def machine_name(machine: str) -> LocalizedName:
    """ "The mailbox" / "Ящик": the catalog key `machine-<machine>`."""
    return LocalizedName(f"machine-{machine}", machine)


def state_name(machine: str, state: StrEnum | str) -> LocalizedName:
    """ "paused" / "приостановлен": the catalog key `state-<machine>-<state>` (underscores as hyphens)."""
    return LocalizedName(f"state-{machine}-{str(state).replace('_', '-')}", str(state))


def provider_name(provider: StrEnum | str) -> LocalizedName:
    """ "Яндекс 360" for `yandex360`: the catalog key `mail-provider-<value>`."""
    return LocalizedName(f"mail-provider-{provider}", str(provider))


def tls_name(mode: StrEnum | str) -> LocalizedName:
    """ "SSL/TLS" for `implicit`, "STARTTLS", "без шифрования" for `plain`: the catalog key `tls-<value>`."""
    return LocalizedName(f"tls-{mode}", str(mode))


def check_transition(machine: str, current: StrEnum | str, target: StrEnum | str) -> None:
    """Raise `IllegalTransition` unless `machine` allows `current → target` (`AlreadyInState` when they are the
    same). The error's message names the machine and the states in the reader's language."""
    allowed = {str(s) for src, targets in MACHINES[machine].items() if src == current for s in targets}
    if str(target) in allowed:
        return
    if str(current) == str(target):
        already = AlreadyInState(machine, str(current))
        already.params = {"machine": machine_name(machine), "state": state_name(machine, current)}
        raise already
    illegal = IllegalTransition(machine, str(current), str(target))
    illegal.params = {
        "machine": machine_name(machine),
        "current": state_name(machine, current),
        "target": state_name(machine, target),
    }
    raise illegal


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
        raise Conflict(
            "error-stale-state",
            machine=machine_name(machine),
            current=state_name(machine, current),
            target=state_name(machine, target),
        )
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


def audited_machines() -> tuple[str, ...]:
    """The state machines whose transitions leave an audit entry (`<machine>.transition`)."""
    return tuple(machine for machine, spec in _SPECS.items() if spec.audited)


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
    if mailbox.status is MailboxStatus.WARMING and target is MailboxStatus.ACTIVE:  # graduation
        extra = {**(extra or {}), "graduated_at": clock.now()}
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


# Through the lead (indexed on outbound_message), not the enrollment (not indexed there): a reply, a click or a
# suppression must not scan the whole outbox.
_CANCEL_UNSENT = """
UPDATE outbound_message m SET status = 'cancelled', smtp_reply = $2
FROM enrollment e
WHERE e.id = ANY($1::bigint[]) AND m.lead_id = e.lead_id AND m.enrollment_id = e.id
  AND m.status IN ('planned', 'queued')
RETURNING m.id
"""


async def cancel_unsent(enrollment_ids: Collection[int], *, reason: str) -> int:
    """The planned and queued rows of these (stopped) enrollments never go out: cancelled in one statement, on the
    caller's transaction if there is one, `reason` (`cancelled: …`) kept in each row. A row a send job claimed
    first is `sending` and is left alone: the claim-time re-check sees its stopped enrollment. The count."""
    if not enrollment_ids:
        return 0
    check_transition("message", MessageStatus.PLANNED, MessageStatus.CANCELLED)
    check_transition("message", MessageStatus.QUEUED, MessageStatus.CANCELLED)
    rows = await connections.get("default").execute_query_dict(_CANCEL_UNSENT, [sorted(enrollment_ids), reason])
    if rows:
        log.info("unsent rows cancelled", enrollments=len(enrollment_ids), rows=len(rows), reason=reason)
    return len(rows)


# Conditional on `sent` like every transition: a message that moved on meanwhile is left alone.
_BOUNCE_SENT = (
    "UPDATE outbound_message SET status = 'bounced' WHERE id = ANY($1::bigint[]) AND status = 'sent' RETURNING id"
)


async def bounce_sent(message_ids: Collection[int], *, reason: str) -> int:
    """Messages that never arrived after all (a bounce, a refusal read back later): `sent → bounced`, all in one
    statement on the caller's transaction, each logged as a transition. The count moved."""
    if not message_ids:
        return 0
    check_transition("message", MessageStatus.SENT, MessageStatus.BOUNCED)
    rows = await connections.get("default").execute_query_dict(_BOUNCE_SENT, [sorted(message_ids)])
    for r in rows:
        log.info("transition", machine="message", id=r["id"], source="sent", target="bounced", reason=reason)
    return len(rows)


# A message left `unknown` (a worker died mid-send and the Sent folder did not tell) that later mail or a reader
# proves went out: `sent`, at the time its send was attempted (claimed), with what settled it kept beside the reason
# it was unknown. Only rows still `unknown` move: evidence read twice settles once.
_SETTLE_UNKNOWN = """
UPDATE outbound_message m SET status = 'sent', sent_at = coalesce(m.claimed_at, m.scheduled_at),
    smtp_reply = left('settled: ' || $2 || '; ' || m.smtp_reply, 1000)
FROM mailbox b
WHERE m.id = ANY($1::bigint[]) AND m.status = 'unknown' AND b.id = m.mailbox_id
RETURNING m.id, m.kind, m.workspace_id, m.mailbox_id, b.domain_id, m.campaign_id, m.lead_id, m.sent_at,
    m.html <> '' AS pixel
"""


async def settle_unknown(message_ids: Collection[int], *, evidence: str) -> list[EventRecord]:
    """Messages whose sending was left `unknown` that `evidence` (a bounce or an answer naming them, a warmup peer
    receiving them, an open or a click) proves went out: `unknown → sent`, in one statement on the caller's
    transaction. Returns their SENT events, inserted; the caller counts them (`count_events`) with its own, so the
    reports count each such message sent, once."""
    from engine.stats import PIXEL_DATA, EventRecord, insert_events  # noqa: PLC0415 - what the command layer's
    # start loads (bot.command imports this module) stays free of the stats module and its IDN stack

    if not message_ids:
        return []
    check_transition("message", MessageStatus.UNKNOWN, MessageStatus.SENT)
    rows = await connections.get("default").execute_query_dict(_SETTLE_UNKNOWN, [sorted(message_ids), evidence])
    events: list[EventRecord] = []
    for r in rows:
        log.info("transition", machine="message", id=r["id"], source="unknown", target="sent", reason=evidence)
        data: dict[str, Any] = {"kind": str(r["kind"]), "settled": evidence}
        if r["pixel"]:
            data[PIXEL_DATA] = True
        events.append(
            EventRecord(
                workspace_id=int(r["workspace_id"]),
                kind=EventKind.SENT,
                occurred_at=r["sent_at"],
                mailbox_id=r["mailbox_id"],
                domain_id=r["domain_id"],
                campaign_id=r["campaign_id"],
                lead_id=r["lead_id"],
                message_id=int(r["id"]),
                data=data,
            )
        )
    await insert_events(events)
    return events

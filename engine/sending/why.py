"""Why didn't this send today: the caps that held a mailbox (or every mailbox of a domain) back, as the planner
recorded them in `CapDeferral`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from engine.access import Actor, require_reader
from engine.alerts import inbox_unreachable_fingerprint
from engine.clock import Clock
from engine.clock import zone_or_utc as _zone
from engine.dns.names import to_ascii, to_unicode, to_unicode_address
from engine.errors import NotFound, UserError
from engine.mail.message import named_address
from models import Alert, AuditLog, CapDeferral, Domain, Mailbox, Workspace
from models.enums import AlertStatus, CapKind, DomainStatus, MailboxStatus


@dataclass(frozen=True, slots=True)
class Deferral:
    """On `day`, `mailbox` wanted `wanted` sends and `cap` allowed only `allowed` in total."""

    mailbox: str  # the address as people read it (an IDN domain in Unicode)
    day: dt.date
    cap: CapKind
    wanted: int
    allowed: int
    detail: dict[str, Any] = field(default_factory=dict)


async def mailboxes_named(workspace_id: int, target: str) -> list[Mailbox]:
    """The mailboxes a person names in chat: one address, or every mailbox of a domain (by address).

    Raises `NotFound("error-mailbox-not-found", address=…)` or `NotFound("error-domain-not-found", name=…)`.
    """
    text = target.strip()
    if "@" in text:
        address = named_address(text)
        box = None if address is None else await Mailbox.get_or_none(workspace_id=workspace_id, address=address)
        if box is None:
            raise NotFound("error-mailbox-not-found", address=text[:320])
        return [box]
    try:
        name = to_ascii(text)
    except UserError:
        raise NotFound("error-domain-not-found", name=text[:253]) from None
    domain = await Domain.get_or_none(workspace_id=workspace_id, name=name)
    if domain is None:
        raise NotFound("error-domain-not-found", name=text[:253])
    return list(await Mailbox.filter(domain_id=domain.id).order_by("address"))


async def why(actor: Actor, target: str, clock: Clock, *, day: dt.date | None = None) -> list[Deferral]:
    """The deferrals of a mailbox (an address) or of every mailbox of a domain (a name) on `day` (default: today in
    the workspace's time zone), mailbox by mailbox, the tightest cap first. Empty: nothing was held back.

    Raises `Forbidden` (no read access), `NotFound("error-mailbox-not-found", address=…)` or
    `NotFound("error-domain-not-found", name=…)`.
    """
    workspace_id = require_reader(actor)
    mailbox_ids = [box.id for box in await mailboxes_named(workspace_id, target)]
    if day is None:
        space = await Workspace.get(id=workspace_id)
        day = clock.now().astimezone(_zone(space.timezone)).date()
    rows = await CapDeferral.filter(mailbox_id__in=mailbox_ids, day=day).values(
        "mailbox__address", "cap", "wanted", "allowed", "detail"
    )
    found: dict[tuple[str, CapKind], Deferral] = {}
    for r in rows:  # the planners and the claim-time re-check each record theirs: one line per cap, the tightest
        item = Deferral(
            mailbox=to_unicode_address(str(r["mailbox__address"])),
            day=day,
            cap=CapKind(r["cap"]),
            wanted=int(r["wanted"]),
            allowed=int(r["allowed"]),
            detail=dict(r["detail"] or {}),
        )
        seen = found.get((item.mailbox, item.cap))
        if seen is None or (item.allowed, -item.wanted) < (seen.allowed, -seen.wanted):
            found[(item.mailbox, item.cap)] = item
    return sorted(found.values(), key=lambda d: (d.mailbox, d.allowed, d.cap.value))


async def last_held_day(actor: Actor, target: str, clock: Clock) -> dt.date | None:
    """The latest day before today (in the workspace's time zone) on which a cap held the mailbox (an address) or
    a mailbox of the domain (a name) back; None when none ever did. Raises as `why`."""
    workspace_id = require_reader(actor)
    mailbox_ids = [box.id for box in await mailboxes_named(workspace_id, target)]
    space = await Workspace.get(id=workspace_id)
    today = clock.now().astimezone(_zone(space.timezone)).date()
    latest = await CapDeferral.filter(mailbox_id__in=mailbox_ids, day__lt=today).order_by("-day").first().values("day")
    return None if latest is None else dt.date.fromisoformat(str(latest["day"]))


@dataclass(frozen=True, slots=True)
class Protection:
    """A protective measure monitoring has in force: a cooldown or a volume cut (of a mailbox or its domain),
    with the numbers that triggered it (`data`: rule, rate, part, sample, threshold, window — from the audit log)."""

    subject: str  # the mailbox address or the domain name, as people read them (IDN in Unicode)
    kind: str  # "cooldown" | "cut" | "inbox" (its inbox goes unread: campaign sends held) | "domain" (cooled)
    # | "held" (its mail server asked it to wait, or was out of reach: held until `until`)
    factor: float | None = None  # a cut: what is left of the cap
    until: dt.datetime | None = None  # a cooldown: when it ends
    reason: str = ""
    data: dict[str, Any] = field(default_factory=dict)


async def protections(actor: Actor, target: str, clock: Clock) -> list[Protection]:
    """Cooldowns and volume cuts in force for a mailbox (an address) or the mailboxes of a domain (a name), each
    with its triggering numbers, and the mailboxes whose campaign sends are held because their inbox goes unread
    (an unresolved `inbox_unreachable` alert; `reason`: since when, as the alert says). Raises as `why`."""
    workspace_id = require_reader(actor)
    boxes = await mailboxes_named(workspace_id, target)
    now = clock.now()
    found: list[Protection] = []
    address = {f"mailbox:{box.id}": to_unicode_address(box.address) for box in boxes}  # as people read them
    for box in boxes:
        name = address[f"mailbox:{box.id}"]
        if box.status is MailboxStatus.COOLDOWN and box.cooldown_until is not None and box.cooldown_until > now:
            data = await _evidence(f"mailbox:{box.id}", "monitoring.cooldown")
            found.append(Protection(name, "cooldown", until=box.cooldown_until, data=data))
        elif box.cooldown_until is not None and box.cooldown_until > now:  # its server asked it to wait (421), or
            found.append(Protection(name, "held", until=box.cooldown_until))  # was out of reach: the senders hold it
        if box.health_factor < 1.0:
            data = await _evidence(f"mailbox:{box.id}", "monitoring.cut")
            found.append(Protection(name, "cut", box.health_factor, reason=box.health_reason, data=data))
    unread = await Alert.filter(
        fingerprint__in=[inbox_unreachable_fingerprint(workspace_id, box.id) for box in boxes],
        status__not=AlertStatus.RESOLVED,
    ).values("subject", "data")
    for alert in sorted(unread, key=lambda a: address[a["subject"]]):
        found.append(Protection(address[alert["subject"]], "inbox", reason=str((alert["data"] or {}).get("since", ""))))
    for domain in await Domain.filter(
        id__in={b.domain_id for b in boxes}, status__in=[DomainStatus.COOLING, DomainStatus.BURNED]
    ).order_by("name"):  # domain protection: a listing or a DNS drift cooled it, none of its mailboxes sends
        cooled = (
            await AuditLog.filter(
                action="domain.transition", subject=f"domain:{domain.id}", data__contains={"to": domain.status.value}
            )
            .order_by("-created_at", "-id")
            .first()
        )
        why_cooled = str((cooled.data or {}).get("reason", "")) if cooled is not None else ""
        found.append(
            Protection(to_unicode(domain.name), "domain", reason=why_cooled, data={"status": domain.status.value})
        )
    for domain in await Domain.filter(id__in={b.domain_id for b in boxes}, health_factor__lt=1.0).order_by("name"):
        data = await _evidence(f"domain:{domain.id}", "monitoring.cut")
        found.append(
            Protection(to_unicode(domain.name), "cut", domain.health_factor, reason=domain.health_reason, data=data)
        )
    return found


async def _evidence(subject: str, action: str) -> dict[str, Any]:
    entry = await AuditLog.filter(subject=subject, action=action).order_by("-created_at", "-id").first()
    return dict(entry.data) if entry is not None else {}

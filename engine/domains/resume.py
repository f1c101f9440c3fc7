"""The way back from `cooling`: a cooled domain whose causes have cleared returns to work — to the state it was
cooled from (`warming` for a domain cooled during its warmup, else `active`), read from its audit log.

Protection (`engine.domains.protect`) cools a domain on a listing or on DNS drift and proposes its swap. When
nobody swaps it (the proposal was rejected or expired, or there was no reserve) and the causes clear, the
domain and its mailboxes would otherwise stay blocked for good. After each domain check, a cooling domain
returns to `active` when

- its latest blocklist check is complete and clean: every list answered, none lists it ("could not check"
  on any list never counts as clear);
- its latest DNS check is complete and right: every record answered and is right (warnings allowed);
- no swap approval is waiting for it (pending and not expired, or approved and being carried out).

The move goes through `transition_domain` (logged and audited with the reason), the domain's `reserve_empty`
alert resolves (it needs no replacement any more) and the managers hear of it by a `domain_resumed` notice.
A manager may resume a cooling domain by hand (`resume_preview`, then `resume_domain`), refused while a list
still lists it or a swap is waiting.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from engine.access import Actor
from engine.alerts import raise_alert, resolve_alerts
from engine.clock import Clock
from engine.confirm import seal
from engine.dns.names import to_unicode
from engine.domains.common import dns_rows, get_domain, get_domain_by_id, latest_listings
from engine.domains.reserve import SWAP_WAITING, swap_blocks
from engine.domains.state import BlacklistState, DnsState, Health, blacklist_state, dns_state, unplanned_records
from engine.errors import Conflict
from engine.lifecycle import state_name, transition_domain
from engine.logging import get_logger
from engine.stats import workspace_zone
from engine.warmup.ramp import after_standstill
from models import AuditLog, Domain, Mailbox
from models.alert import Approval
from models.enums import ApprovalKind, DomainStatus, MailboxStatus, Severity

log = get_logger(__name__)


@dataclass(frozen=True)
class Standing:
    """What the latest stored checks say about a cooling domain."""

    blacklists: BlacklistState
    dns: DnsState
    swap_waiting: bool

    @property
    def cleared(self) -> bool:
        """Every cause cleared on a complete check, and no swap is waiting."""
        return self.blacklists.health is Health.OK and self.dns.health is Health.OK and not self.swap_waiting


async def standings(domains: Sequence[Domain], now: dt.datetime) -> dict[int, Standing]:
    """The standing of each domain from its latest stored checks (a few queries for all of them)."""
    if not domains:
        return {}
    listings = await latest_listings([d.name for d in domains])
    dns = await dns_rows([d.id for d in domains])
    subjects = {f"domain:{d.id}": d.id for d in domains}
    waiting: set[int] = set()
    for approval in await Approval.filter(
        kind=ApprovalKind.DOMAIN_SWAP, subject__in=list(subjects), status__in=SWAP_WAITING
    ):
        if swap_blocks(approval, now):
            waiting.add(subjects[approval.subject])
    result = {}
    for d in domains:
        rows, since = dns.get(d.id, ([], None))
        result[d.id] = Standing(
            blacklist_state(listings.get(d.name, [])),
            dns_state(rows, since, unplanned=unplanned_records(d.mail_provider)),
            d.id in waiting,
        )
    return result


async def resume_cleared(domains: Sequence[Domain], clock: Clock) -> list[Domain]:
    """Return to work (`cooled_from`) the cooling domains among `domains` whose causes all cleared (see the module)."""
    cooling = [d for d in domains if d.status is DomainStatus.COOLING]
    found = await standings(cooling, clock.now())
    resumed = []
    for domain in cooling:
        if not found[domain.id].cleared:
            continue
        await _resume(domain, clock, reason="causes cleared: every list answered not listed, every record right")
        resumed.append(domain)
    return resumed


async def cooled_from(domain: Domain) -> DomainStatus:
    """The state a cooling domain left when it was cooled: `warming` if it was still warming up, else `active`
    (also when the audit log no longer tells)."""
    entries = AuditLog.filter(action="domain.transition", subject=f"domain:{domain.id}").order_by("-created_at", "-id")
    async for entry in entries.limit(_AUDIT_READ):
        data = entry.data if isinstance(entry.data, dict) else {}
        if data.get("to") == DomainStatus.COOLING.value:
            return DomainStatus.WARMING if data.get("from") == DomainStatus.WARMING.value else DomainStatus.ACTIVE
    return DomainStatus.ACTIVE


_AUDIT_READ = 20  # a cooling domain's latest transitions: the one into `cooling` is the latest or close to it


async def _resume(domain: Domain, clock: Clock, *, reason: str, actor_id: int | None = None) -> None:
    cooled_at = domain.status_changed_at
    target = await cooled_from(domain)
    await transition_domain(domain, target, clock=clock, reason=reason, actor_id=actor_id)
    await _warming_goes_on(domain, cooled_at, clock)
    subject = f"domain:{domain.id}"
    await resolve_alerts("reserve_empty", subject, workspace_id=domain.workspace_id, clock=clock)
    await raise_alert(
        workspace_id=domain.workspace_id,
        kind="domain_resumed",
        severity=Severity.INFO,
        subject=subject,
        key=cooled_at.isoformat() if cooled_at else "",  # one notice per time the domain was cooled
        data={"domain": to_unicode(domain.name), "how": "hand" if actor_id is not None else "checks"},
        now=clock.now(),
    )
    log.info("domain resumed", domain_id=domain.id, by_hand=actor_id is not None)


async def _warming_goes_on(domain: Domain, cooled_at: dt.datetime | None, clock: Clock) -> None:
    """The warming mailboxes of a domain back from cooling continue their ramps where the cooling stopped them
    (`ramp.after_standstill`): left as they were, a mailbox cooled on day 3 for three weeks went from 4 warmup
    emails a day to the plateau in one morning, and its minimum period counted days it sent nothing."""
    zone = await workspace_zone(domain.workspace_id)
    now = clock.now()
    boxes = await Mailbox.filter(domain_id=domain.id, status=MailboxStatus.WARMING, warmup_started_on__not_isnull=True)
    for box in boxes:
        values = after_standstill(
            started_on=box.warmup_started_on, paused_at=box.warmup_paused_at, stopped_at=cooled_at, now=now, zone=zone
        )
        if values:
            await Mailbox.filter(id=box.id, status=MailboxStatus.WARMING).update(**values)


@dataclass(frozen=True)
class Resumable:
    """A cooling domain a person is asked about resuming: what the question shows, and its `seal`."""

    domain_id: int
    name: str
    workspace_id: int
    standing: Standing
    seal: str
    """What the question showed (`engine.confirm.seal`): this time the domain was cooled, and how its lists and
    records stood (listed, clean or unknown; right, wrong or never checked). Its button carries it."""


async def _resumable(domain: Domain, clock: Clock) -> Resumable:
    standing = await _may_resume(domain, clock)
    moment = domain.status_changed_at.isoformat() if domain.status_changed_at else ""
    sealed = seal(moment, standing.blacklists.health, standing.dns.health, standing.dns.never_checked)
    return Resumable(domain.id, domain.name, domain.workspace_id, standing, sealed)


class ResumeChanged(Conflict):
    """The domain no longer stands as its resume's question showed (cooled again since, its records gone wrong,
    a list that could not be checked): nothing was done; `now` is the question as it would be now."""

    def __init__(self, now: Resumable) -> None:
        super().__init__("error-domain-resume-changed", domain=to_unicode(now.name))
        self.now = now


async def resume_preview(actor: Actor, clock: Clock, name: str) -> Resumable:
    """What the confirmation of a manual resume shows: the domain and its standing. Refused (`Conflict`) for a
    domain that is not cooling, one a list still lists on its latest check, and one a swap is waiting for;
    lists or records that could not be checked do not stop a person who decides (the confirmation names them)."""
    return await _resumable(await get_domain(actor, name, manage=True), clock)


async def resume_domain(actor: Actor, clock: Clock, domain_id: int, confirmed: str | None = None) -> Domain:
    """A manager's own return of a cooling domain to work (`cooled_from`), once confirmed in chat (the button
    carries the id and `confirmed`, the `Resumable.seal` of what it showed): checked again, so a listing seen since
    the preview still refuses, a domain that stands otherwise than it showed (its records gone wrong meanwhile,
    cooled again for another cause) is left as it is (`ResumeChanged`), and a second press finds it back at work."""
    domain = await get_domain_by_id(actor, domain_id, manage=True)
    now = await _resumable(domain, clock)
    if confirmed is not None and now.seal != confirmed:
        raise ResumeChanged(now)
    await _resume(domain, clock, reason="resumed by hand", actor_id=actor.person_id)
    return domain


async def _may_resume(domain: Domain, clock: Clock) -> Standing:
    name = to_unicode(domain.name)
    if domain.status is not DomainStatus.COOLING:
        raise Conflict("error-resume-not-cooling", domain=name, state=state_name("domain", domain.status))
    standing = (await standings([domain], clock.now()))[domain.id]
    if standing.blacklists.health is Health.BAD:
        raise Conflict("error-resume-listed", domain=name, zones=", ".join(standing.blacklists.zones))
    if standing.swap_waiting:
        raise Conflict("error-resume-swap-waiting", domain=name)
    return standing

"""DMARC progression: `none → quarantine → reject`, one approved step at a time, after a clean period.

A step is proposed only for a domain whose SPF, DKIM and DMARC stayed right and which no list named for the
workspace's clean period; it is carried out through the DNS host's API when there is one (otherwise the result
names the exact record to set), and counts as applied only once DNS serves it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from tortoise.transactions import in_transaction

from engine import approvals
from engine.access import Actor
from engine.clock import Clock
from engine.dns.adapters.base import DnsProvider, apply_plan
from engine.dns.check import LookupStatus, lookup, make_resolver
from engine.dns.dmarc import LADDER, build_dmarc, is_dmarc, next_policy, parse_dmarc, with_policy
from engine.dns.hosting import DnsHosts
from engine.dns.names import absolute_name, to_ascii, to_unicode
from engine.dns.records import ZoneRecord
from engine.dns.templates import DnsPlan, Expectation, dmarc_alias, published_dmarc_policy
from engine.domains.common import AUTH_KINDS, DnsConfig, domains_in, scope
from engine.domains.state import INCONCLUSIVE
from engine.errors import Conflict, NotFound
from engine.lifecycle import transition_approval
from models import Approval, BlacklistCheck, DnsCheck, Domain
from models.enums import (
    ApprovalKind,
    ApprovalStatus,
    DmarcPolicy,
    DnsRecordKind,
    DnsVerdict,
    DomainStatus,
    ListingResult,
)


@dataclass(frozen=True)
class DmarcStep:
    """What applying a DMARC step publishes, and whether DNS already serves it."""

    approval_id: int
    domain: str  # ASCII
    name: str  # the full record name, _dmarc.<domain>
    rtype: str
    value: str
    policy: DmarcPolicy
    calls: int  # requests sent to the DNS host (0 when the person sets the record)
    verified: bool
    aliased: bool = False  # `_dmarc` is an alias (CNAME): `name` is where it leads, the record to change
    unchecked: bool = False  # DNS did not answer the verifying lookup: whether it serves the record is not known


async def propose_dmarc_steps(
    actor: Actor, clock: Clock, config: DnsConfig, *, workspace_id: int | None = None
) -> list[int]:
    """Ask for approval of the next DMARC policy on domains whose authentication stayed clean for the
    workspace's clean period; returns the ids of the approvals created. One pending proposal per domain
    (a partial unique index), and none again within a clean period after a refusal."""
    now = clock.now()
    created: list[int] = []
    candidates = await domains_in(
        scope(actor, workspace_id),
        status__in=[DomainStatus.WARMING, DomainStatus.ACTIVE],
        dmarc_policy__in=[DmarcPolicy.NONE, DmarcPolicy.QUARANTINE],
        dmarc_since__isnull=False,
    )
    for domain in candidates:
        settings = domain.workspace.settings or {}
        clean = dt.timedelta(days=int(settings.get("dmarc_clean_days", config.dmarc_clean_days)))
        subject = f"domain:{domain.id}"
        recent = Approval.filter(kind=ApprovalKind.DMARC_STEP, subject=subject)
        if (
            await recent.filter(status=ApprovalStatus.PENDING).exists()
            or await recent.filter(
                status__in=[ApprovalStatus.REJECTED, ApprovalStatus.EXPIRED], requested_at__gte=now - clean
            ).exists()
        ):
            continue
        if not await _clean(domain, now, clean):
            continue
        approval = await _propose(domain, clock, config, subject, clean)
        if approval is not None:
            created.append(approval.id)
    return created


async def _clean(domain: Domain, now: dt.datetime, period: dt.timedelta) -> bool:
    """Clean = observed since before the period began, no failing SPF/DKIM/DMARC verdict and no listing
    within it, and the latest check of each made within the period and OK. A check that could not be made
    (timeout, SERVFAIL) says nothing either way: it is no failure, and never the proof that all is well now —
    a domain whose DNS has not answered lately, or that nothing checked lately, waits.

    The period proves the records as DNS serves them now: one changed within it (a DKIM key rotated, an SPF
    edited) starts it again. And receivers must not have refused the domain's mail for failed authentication
    within it (a bounce or an SMTP refusal whose reason is `auth_failure`: "5.7.26 unauthenticated", "5.7.509
    DMARC reject"): right records whose mail still fails to authenticate would only lose more mail stricter."""
    start = now - period
    since: dt.datetime = domain.dmarc_since  # type: ignore[assignment]
    if since > start:
        return False
    checks = DnsCheck.filter(domain_id=domain.id, record__in=AUTH_KINDS)
    if not await checks.filter(record=DnsRecordKind.DMARC, checked_at__gte=since, checked_at__lte=start).exists():
        return False
    failing = [v for v in DnsVerdict if v != DnsVerdict.OK and v not in INCONCLUSIVE]
    if await checks.filter(checked_at__gte=start, verdict__in=failing).exists():
        return False
    if await BlacklistCheck.filter(target=domain.name, result=ListingResult.LISTED, checked_at__gte=start).exists():
        return False
    if not await _records_stood(domain.id, start):
        return False
    return not await Domain._meta.db.execute_query_dict(_AUTH_REFUSED, [domain.id, start])


async def _records_stood(domain_id: int, start: dt.datetime) -> bool:
    """Whether the latest check of each record was made since `start` and is OK, and DNS served the same record
    all along."""
    checks = DnsCheck.filter(domain_id=domain_id, record__in=AUTH_KINDS)
    for kind in AUTH_KINDS:
        latest = await checks.filter(record=kind).order_by("-checked_at", "-id").first()
        if latest is None or latest.verdict != DnsVerdict.OK or latest.checked_at <= start:
            return False
        if await _changed_since(domain_id, kind, start, latest.found):
            return False
    return True


async def _changed_since(domain_id: int, kind: DnsRecordKind, start: dt.datetime, found: str) -> bool:
    """Whether DNS served something else for `kind` than `found` (what it serves now) at any answered check
    within the period, or at the last one before it (what the period began with)."""
    answered = DnsCheck.filter(domain_id=domain_id, record=kind).exclude(verdict__in=INCONCLUSIVE)
    within = await answered.filter(checked_at__gte=start).values_list("found", flat=True)
    before = await answered.filter(checked_at__lt=start).order_by("-checked_at", "-id").first()
    served = [*within, *([before.found] if before is not None else [])]
    return any(set(str(f).splitlines()) != set(found.splitlines()) for f in served)


_AUTH_REFUSED = """
SELECT 1 FROM event e JOIN mailbox m ON m.id = e.mailbox_id
WHERE m.domain_id = $1 AND e.occurred_at >= $2 AND e.kind = 'bounce_block' AND e.data->>'reason' = 'auth_failure'
LIMIT 1
"""
"""A refusal of the domain's mail for failed authentication since the start of the clean period."""


async def _propose(
    domain: Domain, clock: Clock, config: DnsConfig, subject: str, clean: dt.timedelta
) -> Approval | None:
    target = next_policy(domain.dmarc_policy)
    if target is None:
        return None
    served = await DnsCheck.filter(domain_id=domain.id, record=DnsRecordKind.DMARC).order_by("-checked_at").first()
    current = served.found if served and is_dmarc(served.found) and parse_dmarc(served.found).valid else ""
    rua = str((domain.workspace.settings or {}).get("dmarc_rua") or f"dmarc@{domain.name}")
    value = with_policy(current, target) if current else build_dmarc(target, rua)
    payload = {
        "domain_id": domain.id,
        "domain": to_unicode(domain.name),  # the request's message names it as people read it
        "from": domain.dmarc_policy.value,
        "to": target.value,
        "name": absolute_name("_dmarc", domain.name),
        "type": "TXT",
        "value": value,
        "days": clean.days,  # the clean period the request says the domain stood
    }
    return await approvals.request(
        domain.workspace.id, ApprovalKind.DMARC_STEP, subject, payload, clock=clock, ttl=config.approval_ttl
    )


async def apply_dmarc_step(
    actor: Actor, clock: Clock, approval_id: int, config: DnsConfig, provider: DnsProvider | None = None
) -> DmarcStep:
    """Carry out an approved DMARC step: through the DNS host's API when there is an adapter, otherwise the
    result names the exact record to set. Then verify in DNS; once DNS serves the new policy the approval is
    `applied` and the domain's policy and its start time move. Calling it again later just verifies. When
    `_dmarc` is an alias (a CNAME to a DMARC service's record), nothing is written beside it: the step names the
    record it leads to, which the person changes there (`aliased`)."""
    approval = await Approval.get_or_none(id=approval_id, kind=ApprovalKind.DMARC_STEP)
    if approval is None or not await approvals.manages(actor, approval.workspace_id):
        raise NotFound("error-approval-not-found", id=approval_id)
    payload = approval.payload
    policy = DmarcPolicy(payload["to"])
    zone = to_ascii(payload["domain"])  # stored in Unicode (older requests: ASCII)
    step = DmarcStep(approval.id, zone, payload["name"], "TXT", payload["value"], policy, 0, False)
    if approval.status not in (ApprovalStatus.APPROVED, ApprovalStatus.APPLIED):
        raise Conflict("error-dmarc-step-not-approved", status=approval.status.value)
    domain = await Domain.get_or_none(id=payload["domain_id"])
    wanted, adopted = LADDER.index(policy), LADDER.index(domain.dmarc_policy) if domain is not None else -1
    if approval.status == ApprovalStatus.APPLIED and adopted <= wanted:
        return replace(step, verified=True)
    if domain is not None and adopted >= wanted:
        # a stricter policy was published (and adopted) since the request: never weaken it, the step is done
        if approval.status == ApprovalStatus.APPROVED:
            await transition_approval(approval, ApprovalStatus.APPLIED, clock=clock, reason="superseded")
        raise Conflict(
            "error-dmarc-step-superseded", domain=to_unicode(zone), current=domain.dmarc_policy.value, to=policy.value
        )
    resolver = make_resolver(config.resolver)
    now_served = await lookup(resolver, payload["name"], "TXT")
    if provider is not None:
        current = await provider.list_records(zone)
    else:  # the person publishes it: what DNS serves now is what they will edit
        current = [ZoneRecord("_dmarc", "TXT", v) for v in now_served.values]
    alias = dmarc_alias(current) or now_served.alias
    if alias:  # no TXT can stand beside the alias: the record to change is the one it leads to, by hand
        current = [ZoneRecord("_dmarc", "TXT", v) for v in now_served.values]
        step = replace(step, name=now_served.alias or alias.rstrip("."), aliased=True)
        provider = None
    published = published_dmarc_policy(current)
    if published is not None and LADDER.index(published) > wanted:
        # set by hand since the request, and no check has seen it yet: never weaken it, the step is done
        await transition_approval(approval, ApprovalStatus.APPLIED, clock=clock, reason="superseded")
        raise Conflict("error-dmarc-step-superseded", domain=to_unicode(zone), current=published.value, to=policy.value)
    step = replace(step, value=_stepped(current, policy) or payload["value"])
    calls = 0
    if provider is not None:
        record = ZoneRecord("_dmarc", "TXT", step.value)
        plan = DnsPlan(zone, (Expectation(DnsRecordKind.DMARC, "_dmarc", (record,)),), "", policy, ())
        calls = len((await apply_plan(provider, plan, current=current, dry_run=False)).calls)
    served = await lookup(resolver, payload["name"], "TXT")
    policies = [parse_dmarc(v).policy for v in served.values if is_dmarc(v)]
    verified = policies == [policy]
    if verified:
        now = clock.now()
        async with in_transaction():
            await transition_approval(
                approval, ApprovalStatus.APPLIED, clock=clock, reason="dmarc served", extra={"applied_at": now}
            )
            await Domain.filter(id=payload["domain_id"]).update(dmarc_policy=policy, dmarc_since=now)
    unchecked = served.status in (LookupStatus.TIMEOUT, LookupStatus.SERVFAIL)
    return replace(step, calls=calls, verified=verified, unchecked=unchecked)


def _stepped(current: list[ZoneRecord], policy: DmarcPolicy) -> str:
    """The record the DNS host holds now with only its policy moved to `policy` ("" when it holds no single
    valid one), so tags changed by hand since the request (another report address, pct) are kept."""
    served = [r.value for r in current if r.owner == "_dmarc" and r.rtype == "TXT" and is_dmarc(r.value)]
    return with_policy(served[0], policy) if len(served) == 1 and parse_dmarc(served[0]).valid else ""


async def dns_host(actor: Actor, name: str, hosts: DnsHosts) -> DnsProvider | None:
    """The API that manages this domain's DNS, or None when the records are set by hand. Any workspace the
    actor manages counts (an approval may come from a workspace other than the current one)."""
    domain = await Domain.get_or_none(name=to_ascii(name))
    if domain is None or not await approvals.manages(actor, domain.workspace_id):
        raise NotFound("error-domain-not-found", name=name)
    return hosts.for_domain(domain.registrar, domain.mail_provider)


async def dmarc_step_domain(approval_id: int) -> str:
    """The domain a DMARC-step approval is about ("" when it is not one)."""
    approval = await Approval.get_or_none(id=approval_id, kind=ApprovalKind.DMARC_STEP)
    return str(approval.payload.get("domain", "")) if approval else ""

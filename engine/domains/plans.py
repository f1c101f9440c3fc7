"""DNS plans and checks: a domain's plan against what DNS serves, applying it at the DNS host, the DKIM key,
zone export (one archive for the whole workspace), and the checks with drift alerts and their summary.

A plan never weakens a stricter DMARC policy that DNS already publishes: it adopts it as the current step, and
the domain's stored policy follows (from then on the DMARC progression starts from there).
"""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import datetime as dt
import io
import json
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from tortoise.transactions import in_transaction

from engine.access import SYSTEM, Actor
from engine.alerts import alert_fingerprint, raise_alert, resolve_alerts, resolve_fingerprints
from engine.clock import Clock
from engine.confirm import seal
from engine.dns.adapters.base import ApplyResult, DnsProvider, apply_plan
from engine.dns.check import DomainCheck, RecordCheck, ResolverConfig, check_domain, make_resolver, spf_lookups
from engine.dns.dkim import MIN_RSA_BITS, normalize_key_input, parse_dkim
from engine.dns.dmarc import LADDER
from engine.dns.names import to_unicode
from engine.dns.records import ZoneRecord
from engine.dns.templates import (
    Change,
    DnsPlan,
    RecordEdit,
    build_plan,
    describe_changes,
    diff_plan,
    render_diff,
    render_zone,
)
from engine.domains.common import (
    DnsConfig,
    domain_spec,
    domains_in,
    get_domain,
    get_domain_by_id,
    scope,
)
from engine.domains.protect import drift_detail, drifted_twice, is_wrong, protect, resolve
from engine.domains.resume import resume_cleared
from engine.domains.state import INCONCLUSIVE, DnsRow, DnsState, Health, dns_state, unplanned_records
from engine.errors import Conflict, UserError
from engine.lifecycle import transition_approval, transition_domain
from models import Approval, AuditLog, DnsCheck, Domain, Workspace
from models.enums import ApprovalKind, ApprovalStatus, DmarcPolicy, DnsRecordKind, DnsVerdict, DomainStatus, Severity

WORST_SHOWN: Final = 10  # domains named in the summary of a check of every domain
DNS_BLIND_SUBJECT: Final = "resolvers:DNS_RESOLVERS"
"""The agency-wide alert of DNS checks that get no answers: the subject names the setting a person must look at
(`engine.alert_names` shows what follows the colon), the alert's text names the resolvers themselves."""


async def domain_name(actor: Actor, domain_id: int) -> str:
    """The name of the domain a button carries the id of, if the actor manages it (`error-domain-gone`)."""
    return (await get_domain_by_id(actor, domain_id, manage=True)).name


async def _adopt_published_dmarc(domain: Domain, plan: DnsPlan, clock: Clock) -> None:
    """Store a stricter policy DNS already publishes (the plan adopted it), so nothing ever proposes less. An
    approved DMARC step that it carries out (the record published by hand, as the approval's answer asked) is
    `applied` now, as if its button had verified it."""
    if LADDER.index(plan.dmarc_policy) > LADDER.index(domain.dmarc_policy):
        now = clock.now()
        async with in_transaction():  # the policy, its audit entry and the steps it carries out: all or none
            await Domain.filter(id=domain.id).update(dmarc_policy=plan.dmarc_policy, dmarc_since=now)
            await AuditLog.create(
                workspace_id=domain.workspace_id,
                actor_id=None,
                action="domain.dmarc_adopted",
                subject=f"domain:{domain.id}",
                data={"from": domain.dmarc_policy.value, "to": plan.dmarc_policy.value},
                created_at=now,
            )
            approved = Approval.filter(
                kind=ApprovalKind.DMARC_STEP, subject=f"domain:{domain.id}", status=ApprovalStatus.APPROVED
            )
            for step in await approved:
                to = LADDER.index(DmarcPolicy(step.payload["to"]))
                if to <= LADDER.index(plan.dmarc_policy):  # served as asked, or superseded by a stricter one
                    served = to == LADDER.index(plan.dmarc_policy)
                    await transition_approval(
                        step,
                        ApprovalStatus.APPLIED,
                        clock=clock,
                        reason="dmarc served" if served else "superseded",
                        extra={"applied_at": now},
                    )
        domain.dmarc_policy, domain.dmarc_since = plan.dmarc_policy, now


# ---------------------------------------------------------------- plan and apply


@dataclass(frozen=True)
class PlanView:
    """A domain's plan as a zone file, and the changes from what DNS serves now (None: DNS did not answer
    every question, so a diff would be a guess)."""

    domain: str
    plan: DnsPlan
    zone_text: str
    changes: tuple[Change, ...] | None
    diff_text: str


async def plan_dns(actor: Actor, clock: Clock, name: str, config: DnsConfig) -> PlanView:
    """The DNS plan of a domain against what its DNS serves now. Writes nothing but an adopted DMARC policy."""
    domain = await get_domain(actor, name, manage=True)  # it may adopt the published DMARC policy (a write)
    spec = domain_spec(domain, await domain.workspace, config.tracking_target)
    result = await check_domain(spec, make_resolver(config.resolver))
    await _adopt_published_dmarc(domain, result.plan, clock)
    changes = diff_plan(result.plan, result.snapshot.records()) if result.snapshot.complete else None
    diff_text = render_diff(result.plan, changes) if changes is not None else ""
    return PlanView(domain.name, result.plan, render_zone(result.plan), changes, diff_text)


@dataclass(frozen=True)
class ApplyView:
    """An apply at the DNS host, as people read it: the records added, changed and removed."""

    domain_id: int
    domain: str
    host: str
    result: ApplyResult
    edits: tuple[RecordEdit, ...]

    @property
    def seal(self) -> str:
        """The records it writes, sealed (`engine.confirm.seal`): the confirmation's button carries it."""
        return seal(*(f"{e.action} {e.rtype} {e.name} {e.value} {e.old}" for e in self.edits))


class ApplyChanged(Conflict):
    """The records an apply would write are no longer the ones its confirmation listed (the domain's settings, its
    DKIM key or the records at the host changed since): nothing was written, and `view` is the apply as it is now."""

    def __init__(self, view: ApplyView) -> None:
        super().__init__("error-dns-apply-changed", domain=to_unicode(view.domain))
        self.view = view


async def apply_dns(
    actor: Actor,
    clock: Clock,
    name: str,
    config: DnsConfig,
    provider: DnsProvider,
    *,
    dry_run: bool = True,
    confirmed: str | None = None,
) -> ApplyView:
    """Bring the domain's zone at its DNS host to the plan. A dry run (the default) only says what it would do.

    The plan is built from the host's current records (so the SPF merge keeps what is there); a second apply
    finds nothing to change and sends no write. A new domain moves to `dns_pending` once applied. With
    `confirmed` (a confirmation's `ApplyView.seal`), only the records that confirmation listed are written: a
    press after the plan changed wrote records nobody had been shown (`ApplyChanged`, nothing written).
    """
    domain = await get_domain(actor, name, manage=True)
    current = await provider.list_records(domain.name)
    apex = [r.value for r in current if r.owner == "@" and r.rtype == "TXT"]
    reach = await spf_lookups(make_resolver(config.resolver), domain.name, apex)
    spec = domain_spec(domain, await domain.workspace, config.tracking_target)
    plan = build_plan(spec, current, spf_reached=reach.reached if reach else ())
    await _adopt_published_dmarc(domain, plan, clock)
    result = await apply_plan(provider, plan, current=current, dry_run=True)
    view = ApplyView(domain.id, domain.name, provider.name, result, describe_changes(domain.name, result.changes))
    if not dry_run and confirmed is not None and view.seal != confirmed:
        raise ApplyChanged(view)
    if not dry_run:
        result = await apply_plan(provider, plan, current=current, dry_run=False)
        await AuditLog.create(
            workspace_id=domain.workspace_id,
            actor_id=actor.person_id,
            action="domain.dns_apply",
            subject=f"domain:{domain.id}",
            data={"provider": provider.name, "calls": len(result.calls)},
            created_at=clock.now(),
        )
        if domain.status == DomainStatus.NEW:
            await transition_domain(
                domain, DomainStatus.DNS_PENDING, clock=clock, reason="dns applied", actor_id=actor.person_id
            )
        return dataclasses.replace(view, result=result)
    return view


@dataclass(frozen=True)
class DkimSaved:
    """A DKIM key stored for a domain, as it was stored: the domain's name, its selector and the key's length."""

    domain: str
    selector: str
    key_bits: int | None


_SELECTOR_LABEL: Final = r"[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?"
_SELECTOR: Final = re.compile(rf"{_SELECTOR_LABEL}(?:\.{_SELECTOR_LABEL})*")
MAX_SELECTOR_CHARS: Final = 63


def dkim_selector(text: str) -> str:
    """A selector as typed (lower case; "" for none). The record's name pasted whole, as providers' panels show
    it (`mail._domainkey`, `mail._domainkey.acme.ru.`), is its selector (`mail`): kept as typed, the record would
    be planned at `mail._domainkey._domainkey`, where no receiver looks. Raises `UserError`
    `error-dkim-selector-invalid` for anything else that cannot be a selector (RFC 6376 3.1: DNS labels)."""
    selector = text.strip().lower().partition("._domainkey")[0].strip(".")
    if selector and (len(selector) > MAX_SELECTOR_CHARS or not _SELECTOR.fullmatch(selector)):
        raise UserError("error-dkim-selector-invalid", selector=text.strip()[:MAX_SELECTOR_CHARS])
    return selector


async def set_dkim(actor: Actor, clock: Clock, name: str, public_key: str, *, selector: str = "") -> DkimSaved:
    """Store the DKIM key (a bare key or a whole record, from the provider's API or pasted) after checking
    it: a key that does not parse or is shorter than 1024 bits is refused, and so is a selector that is none
    (`dkim_selector`)."""
    domain = await get_domain(actor, name, manage=True)
    typed_selector = dkim_selector(selector)
    record = parse_dkim(normalize_key_input(public_key))
    if record.key_bits is not None and record.key_bits < MIN_RSA_BITS and record.key_type == "rsa":
        raise UserError("error-dkim-weak-key", bits=record.key_bits, minimum=MIN_RSA_BITS)
    if not record.valid:
        raise UserError("error-dkim-invalid")
    domain.dkim_public_key = record.public_key
    domain.dkim_selector = typed_selector or domain.dkim_selector
    if not domain.dkim_selector:
        raise UserError("error-dkim-selector-required")
    await domain.save(update_fields=["dkim_public_key", "dkim_selector"])
    await AuditLog.create(
        workspace_id=domain.workspace_id,
        actor_id=actor.person_id,
        action="domain.dkim_set",
        subject=f"domain:{domain.id}",
        data={"selector": domain.dkim_selector, "bits": record.key_bits},
        created_at=clock.now(),
    )
    return DkimSaved(domain.name, domain.dkim_selector, record.key_bits)


# ---------------------------------------------------------------- zone export


async def export_zones(
    actor: Actor, clock: Clock, config: DnsConfig, *, workspace_id: int | None = None
) -> dict[str, str]:
    """Zone files (`<name>.zone` → text) of every domain in scope, from the plan and the last conclusive
    check's SPF and DMARC (so the export matches what the apply would publish). Reads the database only."""
    domains = await domains_in(scope(actor, workspace_id))
    served = await _served_auth_records([d.id for d in domains])
    return {
        f"{d.name}.zone": render_zone(
            build_plan(domain_spec(d, d.workspace, config.tracking_target), served.get(d.id, []))
        )
        for d in domains
    }


async def _served_auth_records(domain_ids: Sequence[int]) -> dict[int, list[ZoneRecord]]:
    """The SPF and DMARC values each domain's DNS served at its latest check that got an answer for them."""
    rows = await DnsCheck._meta.db.execute_query_dict(
        "SELECT DISTINCT ON (domain_id, record) domain_id, record, found FROM dns_check "
        "WHERE domain_id = ANY($1) AND record IN ('spf', 'dmarc') AND verdict <> ALL($2::text[]) "
        "ORDER BY domain_id, record, checked_at DESC, id DESC",
        [list(domain_ids), [v.value for v in INCONCLUSIVE]],
    )
    served: dict[int, list[ZoneRecord]] = {}
    for row in rows:
        owner = "@" if row["record"] == DnsRecordKind.SPF.value else "_dmarc"
        for value in str(row["found"]).splitlines():
            served.setdefault(int(row["domain_id"]), []).append(ZoneRecord(owner, "TXT", value))
    return served


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in sorted(files.items()):
            archive.writestr(name, text)
    return buffer.getvalue()


async def export_zones_zip(
    actor: Actor, clock: Clock, config: DnsConfig, *, workspace_id: int | None = None
) -> tuple[int, bytes]:
    """Every zone file of the workspace in one ZIP archive (built in a worker thread): (files, archive)."""
    files = await export_zones(actor, clock, config, workspace_id=workspace_id)
    if not files:
        return 0, b""
    return len(files), await asyncio.to_thread(_zip, files)


async def export_zone(actor: Actor, clock: Clock, name: str, config: DnsConfig) -> tuple[str, str]:
    """One domain's zone file: (file name, text)."""
    domain = await get_domain(actor, name, manage=True)
    served = await _served_auth_records([domain.id])
    spec = domain_spec(domain, await domain.workspace, config.tracking_target)
    return f"{domain.name}.zone", render_zone(build_plan(spec, served.get(domain.id, [])))


# ---------------------------------------------------------------- checks and drift


@dataclass(frozen=True)
class DnsReport:
    domain: str
    records: tuple[RecordCheck, ...]
    drifted: tuple[DnsRecordKind, ...]
    checked_at: dt.datetime
    unplanned: tuple[DnsRecordKind, ...] = ()  # not checked: they wait for the domain's mail provider
    fixed: tuple[DnsRecordKind, ...] = ()  # wrong at the last conclusive check, right now: no drift

    @property
    def blind(self) -> bool:
        """True when no lookup of the check got an answer: nothing at all is known about the domain's records."""
        return bool(self.records) and not any(r.conclusive for r in self.records)

    @property
    def ok(self) -> bool:
        return not self.unplanned and all(r.verdict == DnsVerdict.OK for r in self.records)

    @property
    def state(self) -> DnsState:
        rows = [DnsRow(r.kind, r.verdict, self.checked_at, any(p.warning for p in r.problems)) for r in self.records]
        return dns_state(rows, unplanned=self.unplanned)


async def check_dns(actor: Actor, clock: Clock, name: str, config: DnsConfig) -> DnsReport:
    """Check one domain's records, store the verdicts, and alert on drift."""
    domain = await get_domain(actor, name, manage=True)
    report = await _check_and_store(domain, await domain.workspace, clock, config)
    await resume_cleared([domain], clock)
    return report


async def check_all_dns(
    actor: Actor, clock: Clock, config: DnsConfig, *, workspace_id: int | None = None
) -> list[DnsReport]:
    """The check of every domain in scope, `config.concurrency` at a time."""
    domains = await domains_in(scope(actor, workspace_id))
    gate = asyncio.Semaphore(config.concurrency)

    async def one(domain: Domain) -> DnsReport:
        async with gate:
            return await _check_and_store(domain, domain.workspace, clock, config)

    reports = list(await asyncio.gather(*(one(d) for d in domains)))
    await _watch_resolvers(reports, config.resolver, clock)
    await resume_cleared(domains, clock)  # cooled domains whose causes all cleared go back to work
    return reports


async def _watch_resolvers(reports: Sequence[DnsReport], resolver: ResolverConfig, clock: Clock) -> None:
    """When most domains of a run got no answer at all, the resolvers are blind (down, unreachable, SERVFAIL or
    REFUSED for everything) and so is drift protection: the agency hears it (`dns_blind`, one alert counted up by
    every such run) instead of finding only ❔ in /domains. A run where most domains were answered resolves it."""
    if not reports:
        return
    blind = [r for r in reports if r.blind]
    if len(blind) * 2 <= len(reports):
        await resolve_alerts("dns_blind", DNS_BLIND_SUBJECT, workspace_id=None, clock=clock)
        return
    reasons = Counter(p.key.removeprefix("dns-problem-") for r in blind for c in r.records for p in c.problems)
    servers = ", ".join(ns if resolver.port == 53 else f"{ns}:{resolver.port}" for ns in resolver.nameservers)
    data = {"resolvers": servers, "blind": len(blind), "total": len(reports), "reason": reasons.most_common(1)[0][0]}
    await raise_alert(
        workspace_id=None,
        kind="dns_blind",
        severity=Severity.WARNING,
        subject=DNS_BLIND_SUBJECT,
        key="",
        data=data,
        now=clock.now(),
    )


async def _check_and_store(domain: Domain, workspace: Workspace, clock: Clock, config: DnsConfig) -> DnsReport:
    spec = domain_spec(domain, workspace, config.tracking_target)
    result: DomainCheck = await check_domain(spec, make_resolver(config.resolver))
    await _adopt_published_dmarc(domain, result.plan, clock)
    now = clock.now()
    drifted: list[RecordCheck] = []
    fixed: list[RecordCheck] = []
    previous_found: dict[DnsRecordKind, str] = {}
    for record in result.records:
        if not record.conclusive:  # a lookup that failed says nothing: no drift, no "missing"
            continue
        previous = (
            await DnsCheck.filter(domain_id=domain.id, record=record.kind)
            .exclude(verdict__in=INCONCLUSIVE)
            .order_by("-checked_at", "-id")
            .first()
        )
        if previous is not None and is_wrong(previous.verdict) and record.verdict == DnsVerdict.OK:
            fixed.append(record)  # a person put right what was wrong: a fix, not a drift
        elif previous is not None and previous.found and set(previous.found.splitlines()) != set(record.found):
            drifted.append(record)
            previous_found[record.kind] = previous.found
    await DnsCheck.bulk_create(
        [
            DnsCheck(
                domain_id=domain.id,
                record=r.kind,
                expected="\n".join(r.expected),
                found="\n".join(r.found),
                verdict=r.verdict,
                detail=json.dumps([p.as_json() for p in r.problems], ensure_ascii=False),
                checked_at=now,
            )
            for r in result.records
        ]
    )
    for record in drifted:
        await raise_alert(
            workspace_id=workspace.id,
            kind="dns_drift",
            severity=Severity.WARNING if record.found else Severity.CRITICAL,
            subject=f"domain:{domain.id}",
            key=record.kind.value,
            data={
                "domain": to_unicode(domain.name),
                "record": record.kind.value,
                "before": previous_found[record.kind],
                "after": "\n".join(record.found),
            },
            now=now,
        )
    if not drifted and result.records and all(r.verdict == DnsVerdict.OK for r in result.records):
        await resolve("dns_drift", f"domain:{domain.id}", workspace_id=workspace.id, clock=clock)  # all right again
    elif fixed:  # the fixed records' own drift alerts are over, whatever else is still wrong
        subject = f"domain:{domain.id}"
        fingerprints = [alert_fingerprint("dns_drift", subject, r.kind.value, workspace.id) for r in fixed]
        await resolve_fingerprints(fingerprints, clock=clock)
    if domain.status == DomainStatus.ACTIVE and (burned := await drifted_twice(domain, result.records)):
        await protect(
            domain,
            clock,
            SYSTEM,
            reason=f"dns drift: {', '.join(r.kind.value for r in burned)}",
            cause="dns_drift",
            detail=drift_detail(burned, result.records),
        )
    drift = tuple(r.kind for r in drifted)
    mended = tuple(r.kind for r in fixed)
    return DnsReport(domain.name, result.records, drift, now, unplanned_records(domain.mail_provider), mended)


@dataclass(frozen=True)
class DnsSummary:
    """A check of many domains in a few lines: how many are in each state, and the worst ones."""

    counts: dict[Health, int]
    worst: tuple[DnsReport, ...]
    total: int


_RANK: Final = {Health.BAD: 0, Health.UNKNOWN: 1, Health.PARTIAL: 2, Health.OK: 3}


def summarize_dns(reports: Sequence[DnsReport], *, top: int = WORST_SHOWN) -> DnsSummary:
    """Counts per state and the `top` worst domains: failing first (most failing records first), then those
    that could not be checked; domains in order of name among equals."""
    counts = dict.fromkeys(_RANK, 0)
    for report in reports:
        counts[report.state.health] += 1

    def badness(report: DnsReport) -> tuple[int, int, str]:
        state = report.state
        return _RANK[state.health], -len(state.records), report.domain

    worst = tuple(r for r in sorted(reports, key=badness) if r.state.health != Health.OK)[:top]
    return DnsSummary(counts, worst, len(reports))


def dns_csv(reports: Sequence[DnsReport], t: Callable[..., str]) -> bytes:
    """Every domain's result as CSV (UTF-8 with BOM, so Excel opens it): domain, state, a verdict per record,
    and the reasons. `t` translates Fluent keys."""
    kinds = list(DnsRecordKind)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [t("dns-csv-domain"), t("dns-csv-state"), *(t(f"dns-record-{k.value}") for k in kinds), t("dns-csv-why")]
    )
    for report in sorted(reports, key=lambda r: r.domain):
        verdicts = {r.kind: r for r in report.records}
        cells = [t(f"dns-verdict-{verdicts[k].verdict.value}") if k in verdicts else "" for k in kinds]
        why = "; ".join(
            f"{t(f'dns-record-{r.kind.value}')}: {t(p.key, **dict(p.params))}"
            for r in report.records
            for p in r.problems
        )
        writer.writerow([to_unicode(report.domain), t(f"dns-state-{report.state.health.value}"), *cells, why])
    return ("\ufeff" + out.getvalue()).encode()

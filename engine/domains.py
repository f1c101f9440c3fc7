"""Domain services: inventory, DNS plans and checks with drift alerts, blacklists, expiry, DMARC progression.

Every service takes the acting person (`Actor`) and a `Clock`, checks access itself, and raises `UserError`s
whose keys live in `locales/*/domains.ftl`. Batch services called by crons accept `workspace_id=None` with
the system actor to cover every workspace. Names are stored in ASCII (punycode); callers may pass Unicode.

Bulk import is per row: valid rows are added together in one transaction, invalid rows are reported with a
reason and skipped, rows already in this workspace are reported as existing. A name that another workspace
holds is refused without saying which workspace.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import datetime as dt
import ipaddress
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final
from urllib.parse import urlsplit

from tortoise.exceptions import IntegrityError
from tortoise.functions import Count, Max
from tortoise.transactions import in_transaction

from engine import approvals
from engine.access import Actor, require_manager, require_reader
from engine.alerts import raise_alert
from engine.clock import Clock
from engine.dns.adapters.base import ApplyResult, DnsProvider, apply_plan
from engine.dns.check import DomainCheck, RecordCheck, ResolverConfig, check_domain, lookup, make_resolver
from engine.dns.dkim import MIN_RSA_BITS, DkimRecord, normalize_key_input, parse_dkim
from engine.dns.dmarc import build_dmarc, is_dmarc, next_policy, parse_dmarc, with_policy
from engine.dns.dnsbl import DnsblResult, DnsblZone, check_all, default_zones
from engine.dns.hosting import DnsHosts
from engine.dns.names import absolute_name, to_ascii, to_unicode
from engine.dns.records import ZoneRecord
from engine.dns.templates import (
    TEMPLATES,
    Change,
    DnsPlan,
    DomainSpec,
    Expectation,
    build_plan,
    diff_plan,
    render_diff,
    render_zone,
)
from engine.errors import Conflict, Forbidden, IllegalTransition, NotFound, UserError
from engine.lifecycle import transition_approval, transition_domain
from engine.settings import Settings
from models import Approval, AuditLog, BlacklistCheck, DailyStat, DnsCheck, Domain, Mailbox, Workspace
from models.enums import (
    ApprovalKind,
    ApprovalStatus,
    DmarcPolicy,
    DnsRecordKind,
    DnsVerdict,
    DomainStatus,
    ListingResult,
    MailProvider,
    PoolRole,
    Severity,
    StatScope,
)

MAX_IMPORT_ROWS: Final = 2000
DEFAULT_DMARC_CLEAN_DAYS: Final = 14
TRACKING_LABEL: Final = "t"  # links and the open pixel go through t.<domain>, a CNAME to the tracking host
INCONCLUSIVE: Final = (DnsVerdict.TIMEOUT, DnsVerdict.SERVFAIL)
_AUTH_KINDS: Final = (DnsRecordKind.SPF, DnsRecordKind.DKIM, DnsRecordKind.DMARC)


@dataclass(frozen=True)
class DnsConfig:
    """How domain services reach DNS, and the policy numbers a workspace may override in its settings
    (`dmarc_clean_days`, `dmarc_rua`)."""

    resolver: ResolverConfig
    tracking_target: str = ""  # the platform's tracking host, the target of every domain's tracking CNAME
    dnsbl_zones: tuple[DnsblZone, ...] = field(default_factory=default_zones)
    dmarc_clean_days: int = DEFAULT_DMARC_CLEAN_DAYS
    expiry_alert_days: tuple[int, ...] = (30, 7)
    approval_ttl: dt.timedelta = dt.timedelta(days=7)
    concurrency: int = 8  # domains checked at once

    @classmethod
    def from_settings(cls, settings: Settings, *, dqs_key: str | None = None) -> DnsConfig:
        resolver = ResolverConfig(tuple(settings.dns_resolvers), settings.dns_port, settings.dns_timeout_s)
        host = urlsplit(settings.tracking_base_url).hostname or ""
        tracking = "" if _is_loopback(host) else host  # a development URL is nothing to point DNS at
        return cls(resolver, tracking_target=tracking, dnsbl_zones=default_zones(dqs_key))


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


# ---------------------------------------------------------------- inventory: bulk import


@dataclass(frozen=True)
class ImportRow:
    line: int
    name: str  # ASCII
    registrar: str = ""
    expires_on: dt.date | None = None
    provider: MailProvider = MailProvider.YANDEX360
    pool_role: PoolRole = PoolRole.ACTIVE


@dataclass(frozen=True)
class RowError:
    """A row that was not imported: `key` is a Fluent message, `value` the row's domain as written."""

    line: int
    value: str
    key: str
    params: Mapping[str, str | int] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportReport:
    added: tuple[str, ...]
    existing: tuple[str, ...]  # already in this workspace: nothing to do
    errors: tuple[RowError, ...]


_COLUMNS: Final = {
    "name": "name",
    "domain": "name",
    "домен": "name",
    "registrar": "registrar",
    "регистратор": "registrar",
    "expiry": "expiry",
    "expires": "expiry",
    "expires_on": "expiry",
    "истекает": "expiry",
    "оплачен до": "expiry",
    "provider": "provider",
    "mail_provider": "provider",
    "mail provider": "provider",
    "почта": "provider",
    "провайдер": "provider",
    "pool": "pool",
    "pool_role": "pool",
    "role": "pool",
    "пул": "pool",
    "роль": "pool",
}
_POSITIONAL: Final = ("name", "registrar", "expiry", "provider", "pool")
_PROVIDERS: Final = {
    "yandex360": MailProvider.YANDEX360,
    "yandex": MailProvider.YANDEX360,
    "яндекс": MailProvider.YANDEX360,
    "яндекс 360": MailProvider.YANDEX360,
    "mailru": MailProvider.MAILRU,
    "mail.ru": MailProvider.MAILRU,
    "vk": MailProvider.MAILRU,
    "vk workspace": MailProvider.MAILRU,
    "generic": MailProvider.GENERIC,
    "other": MailProvider.GENERIC,
    "другой": MailProvider.GENERIC,
}
_POOLS: Final = {
    "active": PoolRole.ACTIVE,
    "активный": PoolRole.ACTIVE,
    "reserve": PoolRole.RESERVE,
    "резерв": PoolRole.RESERVE,
    "резервный": PoolRole.RESERVE,
}
_DATE_FORMATS: Final = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y")
_REGISTRAR_MAX: Final = 32


def decode_import(data: bytes | str) -> str:
    """Text of an uploaded file: UTF-8 (with or without BOM), else Windows-1251, which Russian Excel writes."""
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1251")


def parse_import(text: str) -> tuple[list[ImportRow], list[RowError]]:
    """Rows of a list or CSV (comma, semicolon or tab; optional header naming the columns), validated.

    A plain list is one domain per line. Without a header the columns are name, registrar, expiry, mail
    provider, pool role. Duplicates within the file are reported on every repeat.
    """
    lines = [(number, line) for number, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not lines:
        return [], []
    delimiter = max(";,\t", key=lines[0][1].count)
    table = [(number, next(csv.reader([line], delimiter=delimiter))) for number, line in lines]
    header = [cell.strip().lower() for cell in table[0][1]]
    if header and header[0] in _COLUMNS:
        columns = [_COLUMNS.get(cell, "") for cell in header]
        table = table[1:]
    else:
        columns = list(_POSITIONAL)
    rows: list[ImportRow] = []
    errors: list[RowError] = []
    first_line: dict[str, int] = {}
    for number, cells in table:
        values = {col: cell.strip() for col, cell in zip(columns, cells, strict=False) if col}
        row = _row(number, values)
        if isinstance(row, RowError):
            errors.append(row)
        elif row.name in first_line:
            errors.append(RowError(number, values["name"], "domain-import-duplicate", {"line": first_line[row.name]}))
        else:
            first_line[row.name] = number
            rows.append(row)
    return rows, errors


def _row(number: int, values: Mapping[str, str]) -> ImportRow | RowError:
    raw_name = values.get("name", "")
    try:
        name = to_ascii(raw_name)
    except UserError:
        return RowError(number, raw_name, "domain-import-bad-name")
    registrar = values.get("registrar", "").lower()
    if len(registrar) > _REGISTRAR_MAX:
        return RowError(number, raw_name, "domain-import-bad-registrar", {"limit": _REGISTRAR_MAX})
    expiry = values.get("expiry", "")
    expires_on = _date(expiry)
    if expiry and expires_on is None:
        return RowError(number, raw_name, "domain-import-bad-date", {"value": expiry})
    provider_text = values.get("provider", "").lower()
    provider = _PROVIDERS.get(provider_text, MailProvider.YANDEX360 if not provider_text else None)
    if provider is None:
        return RowError(number, raw_name, "domain-import-bad-provider", {"value": provider_text})
    pool_text = values.get("pool", "").lower()
    pool = _POOLS.get(pool_text, PoolRole.ACTIVE if not pool_text else None)
    if pool is None:
        return RowError(number, raw_name, "domain-import-bad-pool", {"value": pool_text})
    return ImportRow(number, name, registrar, expires_on, provider, pool)


def _date(text: str) -> dt.date | None:
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date, no time zone
        except ValueError:
            continue
    return None


async def add_domains(
    actor: Actor, clock: Clock, source: str | bytes, *, workspace_id: int | None = None
) -> ImportReport:
    """Add the domains of a list or CSV to a workspace (see the module docstring for the per-row rules)."""
    ws = require_manager(actor, workspace_id)
    rows, errors = parse_import(decode_import(source))
    if not rows and not errors:
        raise UserError("error-domain-import-empty")
    if len(rows) + len(errors) > MAX_IMPORT_ROWS:
        raise UserError("error-domain-import-too-large", limit=MAX_IMPORT_ROWS)
    if not await Workspace.exists(id=ws):
        raise NotFound("error-domain-workspace-unknown")
    now = clock.now()
    added: list[str] = []
    existing: list[str] = []
    try:
        async with in_transaction():
            owners = dict(await Domain.filter(name__in=[r.name for r in rows]).values_list("name", "workspace_id"))
            new: list[Domain] = []
            for row in rows:
                owner = owners.get(row.name)
                if owner == ws:
                    existing.append(row.name)
                elif owner is not None:
                    errors.append(RowError(row.line, to_unicode(row.name), "domain-import-other-workspace"))
                else:
                    new.append(_new_domain(ws, row, now))
                    added.append(row.name)
            await Domain.bulk_create(new)
            if new:
                await AuditLog.create(
                    workspace_id=ws,
                    actor_id=actor.person_id,
                    action="domain.import",
                    subject=f"workspace:{ws}",
                    data={"added": added},
                    created_at=now,
                )
    except IntegrityError:  # another import added one of these names meanwhile
        raise Conflict("error-domain-import-conflict") from None
    return ImportReport(tuple(added), tuple(existing), tuple(sorted(errors, key=lambda e: e.line)))


def _new_domain(workspace_id: int, row: ImportRow, now: dt.datetime) -> Domain:
    return Domain(
        workspace_id=workspace_id,
        name=row.name,
        registrar=row.registrar,
        expires_on=row.expires_on,
        mail_provider=row.provider,
        pool_role=row.pool_role,
        dkim_selector=TEMPLATES[row.provider].dkim_selector,
        tracking_host=f"{TRACKING_LABEL}.{row.name}",
        dmarc_policy=DmarcPolicy.NONE,
        dmarc_since=now,
    )


# ---------------------------------------------------------------- inventory: reading


@dataclass(frozen=True)
class DomainSummary:
    id: int
    name: str  # ASCII, the key
    display_name: str  # Unicode, for people
    status: DomainStatus
    pool_role: PoolRole
    mail_provider: MailProvider
    expires_on: dt.date | None
    days_left: int | None
    dns_ok: bool | None  # None: never checked
    listed: bool
    mailboxes: int


@dataclass(frozen=True)
class StoredVerdict:
    record: DnsRecordKind
    expected: str
    found: str
    verdict: DnsVerdict
    problems: tuple[Mapping[str, Any], ...]
    checked_at: dt.datetime


@dataclass(frozen=True)
class StoredListing:
    target: str
    zone: str
    result: ListingResult
    code: str
    meanings: tuple[str, ...]
    checked_at: dt.datetime


@dataclass(frozen=True)
class DomainDetail:
    summary: DomainSummary
    registrar: str
    dmarc_policy: DmarcPolicy
    dmarc_since: dt.datetime | None
    dkim_selector: str
    tracking_host: str
    dns: tuple[StoredVerdict, ...]
    blacklists: tuple[StoredListing, ...]
    sent_today: int


async def list_domains(actor: Actor, clock: Clock, *, workspace_id: int | None = None) -> list[DomainSummary]:
    """The workspace's domains by name, each with its latest DNS and blacklist state and mailbox count."""
    ws = require_reader(actor, workspace_id)
    domains = await Domain.filter(workspace_id=ws).order_by("name")
    return await _summaries(domains, clock.now().date())


async def show_domain(actor: Actor, clock: Clock, name: str) -> DomainDetail:
    """One domain: status, latest DNS verdicts, blacklist state, mailboxes and today's volume."""
    domain = await _domain(actor, name)
    today = clock.now().date()
    (summary,) = await _summaries([domain], today)
    dns_rows = await _latest_dns([domain.id])
    stat = await DailyStat.get_or_none(scope=StatScope.DOMAIN, scope_id=domain.id, day=today)
    return DomainDetail(
        summary=summary,
        registrar=domain.registrar,
        dmarc_policy=domain.dmarc_policy,
        dmarc_since=domain.dmarc_since,
        dkim_selector=domain.dkim_selector,
        tracking_host=domain.tracking_host,
        dns=tuple(_stored_verdict(row) for row in dns_rows.get(domain.id, [])),
        blacklists=tuple(_stored_listing(row) for row in (await _latest_listings([domain.name])).get(domain.name, [])),
        sent_today=stat.sent if stat else 0,
    )


async def _summaries(domains: Sequence[Domain], today: dt.date) -> list[DomainSummary]:
    ids = [d.id for d in domains]
    counts = dict(
        await Mailbox.filter(domain_id__in=ids)
        .annotate(n=Count("id"))
        .group_by("domain_id")
        .values_list("domain_id", "n")
    )
    dns_rows = await _latest_dns(ids)
    listings = await _latest_listings([d.name for d in domains])
    return [
        DomainSummary(
            id=d.id,
            name=d.name,
            display_name=to_unicode(d.name),
            status=d.status,
            pool_role=d.pool_role,
            mail_provider=d.mail_provider,
            expires_on=d.expires_on,
            days_left=(d.expires_on - today).days if d.expires_on else None,
            dns_ok=all(r.verdict == DnsVerdict.OK for r in dns_rows[d.id]) if d.id in dns_rows else None,
            listed=any(r.result == ListingResult.LISTED for r in listings.get(d.name, [])),
            mailboxes=counts.get(d.id, 0),
        )
        for d in domains
    ]


async def _latest_dns(domain_ids: Sequence[int]) -> dict[int, list[DnsCheck]]:
    """The rows of each domain's latest DNS check (a check stores all its rows with one timestamp)."""
    latest = dict(
        await DnsCheck.filter(domain_id__in=domain_ids)
        .annotate(last=Max("checked_at"))
        .group_by("domain_id")
        .values_list("domain_id", "last")
    )
    rows = await DnsCheck.filter(domain_id__in=list(latest), checked_at__in=list(set(latest.values()))).order_by("id")
    result: dict[int, list[DnsCheck]] = {}
    for row in rows:
        if latest.get(row.domain_id) == row.checked_at:
            result.setdefault(row.domain_id, []).append(row)
    return result


async def _latest_listings(targets: Sequence[str]) -> dict[str, list[BlacklistCheck]]:
    """Each target's latest answer from each list."""
    latest = await (
        BlacklistCheck.filter(target__in=targets)
        .annotate(last=Max("checked_at"))
        .group_by("target", "zone")
        .values_list("target", "zone", "last")
    )
    wanted = {(t, z, last) for t, z, last in latest}
    rows = await BlacklistCheck.filter(
        target__in=targets, checked_at__in=list({last for _, _, last in latest})
    ).order_by("zone")
    result: dict[str, list[BlacklistCheck]] = {}
    for row in rows:
        if (row.target, row.zone, row.checked_at) in wanted:
            result.setdefault(row.target, []).append(row)
    return result


def _stored_verdict(row: DnsCheck) -> StoredVerdict:
    problems = tuple(json.loads(row.detail)) if row.detail else ()
    return StoredVerdict(row.record, row.expected, row.found, row.verdict, problems, row.checked_at)


def _stored_listing(row: BlacklistCheck) -> StoredListing:
    meanings = tuple(m for m in row.meaning.split(",") if m)
    return StoredListing(row.target, row.zone, row.result, row.code, meanings, row.checked_at)


async def _domain(actor: Actor, name: str, *, manage: bool = False) -> Domain:
    """The domain `name` (Unicode or ASCII) if the actor may see it; managing also needs the manager role.
    A domain of another workspace is "not found", never "forbidden": its existence is not the actor's."""
    domain = await Domain.get_or_none(name=to_ascii(name))
    if domain is None or not actor.can_read(domain.workspace_id):
        raise NotFound("error-domain-not-found", name=name)
    if manage:
        require_manager(actor, domain.workspace_id)
    return domain


def _scope(actor: Actor, workspace_id: int | None) -> int | None:
    """The workspace a batch service covers; None (all) for an agency admin acting outside any workspace."""
    if workspace_id is None and actor.workspace_id is None and actor.is_admin:
        return None
    return require_manager(actor, workspace_id)


async def _domains_in(scope: int | None, **filters: Any) -> list[Domain]:
    query = Domain.filter(**filters).exclude(status=DomainStatus.RETIRED).prefetch_related("workspace")
    if scope is not None:
        query = query.filter(workspace_id=scope)
    return await query.order_by("id")


# ---------------------------------------------------------------- DNS plan, apply, DKIM key


def _spec(domain: Domain, workspace: Workspace, config: DnsConfig) -> DomainSpec:
    settings = workspace.settings or {}
    return DomainSpec(
        name=domain.name,
        provider=domain.mail_provider,
        dmarc_rua=str(settings.get("dmarc_rua") or f"dmarc@{domain.name}"),
        dmarc_policy=domain.dmarc_policy,
        dkim_selector=domain.dkim_selector,
        dkim_public_key=domain.dkim_public_key,
        tracking_host=domain.tracking_host,
        tracking_target=config.tracking_target,
    )


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
    """The DNS plan of a domain against what its DNS serves now. Reads only."""
    domain = await _domain(actor, name)
    result = await check_domain(_spec(domain, await domain.workspace, config), make_resolver(config.resolver))
    changes = diff_plan(result.plan, result.snapshot.records()) if result.snapshot.complete else None
    diff_text = render_diff(result.plan, changes) if changes is not None else ""
    return PlanView(domain.name, result.plan, render_zone(result.plan), changes, diff_text)


async def apply_dns(
    actor: Actor, clock: Clock, name: str, config: DnsConfig, provider: DnsProvider, *, dry_run: bool = True
) -> ApplyResult:
    """Bring the domain's zone at its DNS host to the plan. A dry run (the default) only lists the calls.

    The plan is built from the host's current records (so the SPF merge keeps what is there); a second apply
    finds nothing to change and sends no write. A new domain moves to `dns_pending` once applied.
    """
    domain = await _domain(actor, name, manage=True)
    current = await provider.list_records(domain.name)
    plan = build_plan(_spec(domain, await domain.workspace, config), current)
    result = await apply_plan(provider, plan, current=current, dry_run=dry_run)
    if not dry_run:
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
    return result


async def set_dkim(actor: Actor, clock: Clock, name: str, public_key: str, *, selector: str = "") -> DkimRecord:
    """Store the DKIM key (a bare key or a whole record, from the provider's API or pasted) after checking
    it: a key that does not parse or is shorter than 1024 bits is refused."""
    domain = await _domain(actor, name, manage=True)
    record = parse_dkim(normalize_key_input(public_key))
    if record.key_bits is not None and record.key_bits < MIN_RSA_BITS and record.key_type == "rsa":
        raise UserError("error-dkim-weak-key", bits=record.key_bits, minimum=MIN_RSA_BITS)
    if not record.valid:
        raise UserError("error-dkim-invalid")
    domain.dkim_public_key = record.public_key
    domain.dkim_selector = selector.strip().lower() or domain.dkim_selector
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
    return record


async def export_zones(
    actor: Actor, clock: Clock, config: DnsConfig, *, workspace_id: int | None = None
) -> dict[str, str]:
    """Zone files (`<name>.zone` → text) of every domain in scope, from the plan and the last check's SPF and
    DMARC (so the export matches what the apply would publish). Reads the database only."""
    domains = await _domains_in(_scope(actor, workspace_id))
    latest = await _latest_dns([d.id for d in domains])
    files = {}
    for domain in domains:
        served = [
            ZoneRecord("@" if row.record == DnsRecordKind.SPF else "_dmarc", "TXT", value)
            for row in latest.get(domain.id, [])
            if row.record in (DnsRecordKind.SPF, DnsRecordKind.DMARC)
            for value in row.found.splitlines()
        ]
        files[f"{domain.name}.zone"] = render_zone(build_plan(_spec(domain, domain.workspace, config), served))
    return files


# ---------------------------------------------------------------- DNS checks and drift


@dataclass(frozen=True)
class DnsReport:
    domain: str
    records: tuple[RecordCheck, ...]
    drifted: tuple[DnsRecordKind, ...]
    checked_at: dt.datetime

    @property
    def ok(self) -> bool:
        return all(r.verdict == DnsVerdict.OK for r in self.records)


async def check_dns(actor: Actor, clock: Clock, name: str, config: DnsConfig) -> DnsReport:
    """Check one domain's records, store the verdicts, and alert on drift."""
    domain = await _domain(actor, name, manage=True)
    return await _check_and_store(domain, await domain.workspace, clock, config)


async def check_all_dns(
    actor: Actor, clock: Clock, config: DnsConfig, *, workspace_id: int | None = None
) -> list[DnsReport]:
    """The daily check of every domain in scope (a few at a time)."""
    domains = await _domains_in(_scope(actor, workspace_id))
    gate = asyncio.Semaphore(config.concurrency)

    async def one(domain: Domain) -> DnsReport:
        async with gate:
            return await _check_and_store(domain, domain.workspace, clock, config)

    return list(await asyncio.gather(*(one(d) for d in domains)))


async def _check_and_store(domain: Domain, workspace: Workspace, clock: Clock, config: DnsConfig) -> DnsReport:
    result: DomainCheck = await check_domain(_spec(domain, workspace, config), make_resolver(config.resolver))
    now = clock.now()
    drifted: list[RecordCheck] = []
    previous_found: dict[DnsRecordKind, str] = {}
    for record in result.records:
        if not record.conclusive:
            continue
        previous = (
            await DnsCheck.filter(domain_id=domain.id, record=record.kind)
            .exclude(verdict__in=INCONCLUSIVE)
            .order_by("-checked_at", "-id")
            .first()
        )
        if previous is not None and previous.found and set(previous.found.splitlines()) != set(record.found):
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
                "domain": domain.name,
                "record": record.kind.value,
                "before": previous_found[record.kind],
                "after": "\n".join(record.found),
            },
            now=now,
        )
    return DnsReport(domain.name, result.records, tuple(r.kind for r in drifted), now)


# ---------------------------------------------------------------- blacklists


@dataclass(frozen=True)
class BlacklistReport:
    target: str
    results: tuple[DnsblResult, ...]
    new_listings: tuple[str, ...]  # zones that list the target now and did not before

    @property
    def blind(self) -> tuple[str, ...]:
        return tuple(r.zone for r in self.results if r.result == ListingResult.ERROR)


async def check_blacklists(actor: Actor, clock: Clock, name: str, config: DnsConfig) -> BlacklistReport:
    """Ask the domain lists about one domain; store the answers; alert on a new listing and cool the domain."""
    domain = await _domain(actor, name, manage=True)
    results = await check_all(make_resolver(config.resolver), [domain.name], config.dnsbl_zones)
    return await _store_listings(domain.name, results, domain, clock, actor)


async def check_all_blacklists(
    actor: Actor, clock: Clock, config: DnsConfig, *, workspace_id: int | None = None
) -> list[BlacklistReport]:
    """The periodic blacklist check of every domain in scope."""
    domains = await _domains_in(_scope(actor, workspace_id))
    results = await check_all(make_resolver(config.resolver), [d.name for d in domains], config.dnsbl_zones)
    return [await _store_listings(d.name, [r for r in results if r.target == d.name], d, clock, actor) for d in domains]


async def check_shared_blacklists(
    actor: Actor, clock: Clock, targets: Sequence[str], config: DnsConfig
) -> list[BlacklistReport]:
    """Lists for what the agency shares between clients: its own sending IPs and the tracking host's domain.
    Agency admins only; alerts belong to no workspace."""
    if not actor.is_admin:
        raise Forbidden("error-forbidden")
    results = await check_all(make_resolver(config.resolver), list(targets), config.dnsbl_zones)
    return [await _store_listings(t, [r for r in results if r.target == t], None, clock, actor) for t in targets]


async def _store_listings(
    target: str, results: Sequence[DnsblResult], domain: Domain | None, clock: Clock, actor: Actor
) -> BlacklistReport:
    now = clock.now()
    conclusive = BlacklistCheck.filter(target=target).exclude(result=ListingResult.ERROR)
    previous = dict(await conclusive.order_by("checked_at", "id").values_list("zone", "result"))
    await BlacklistCheck.bulk_create(
        [
            BlacklistCheck(
                domain_id=domain.id if domain else None,
                target=target,
                zone=r.zone,
                result=r.result,
                code=r.codes[0] if r.codes else "",
                meaning=",".join(r.meanings),
                checked_at=now,
            )
            for r in results
        ]
    )
    workspace_id = domain.workspace_id if domain else None
    subject = f"domain:{domain.id}" if domain else f"target:{target}"
    new = [r for r in results if r.result == ListingResult.LISTED and previous.get(r.zone) != ListingResult.LISTED]
    for r in new:
        data = {"target": target, "zone": r.zone, "codes": list(r.codes), "meanings": list(r.meanings)}
        await raise_alert(
            workspace_id=workspace_id,
            kind="blacklist_listed",
            severity=Severity.CRITICAL,
            subject=subject,
            key=r.zone,
            data=data,
            now=now,
        )
    for r in results:
        if r.result == ListingResult.ERROR:  # the checker is blind: one alert per list, whoever asked
            data = {"zone": r.zone, "meanings": list(r.meanings)}
            await raise_alert(
                workspace_id=None,
                kind="dnsbl_blind",
                severity=Severity.WARNING,
                subject=f"dnsbl:{r.zone}",
                key="",
                data=data,
                now=now,
            )
    if new and domain is not None:
        await _protect(domain, clock, actor, reason=f"blacklisted: {', '.join(r.zone for r in new)}")
    return BlacklistReport(target, tuple(results), tuple(r.zone for r in new))


async def _protect(domain: Domain, clock: Clock, actor: Actor, *, reason: str) -> None:
    """Move a listed domain to `cooling` when its state machine allows it (warming or active)."""
    # new, dns_pending, already cooling, burned or retired: the machine refuses, and nothing sends to protect
    with contextlib.suppress(IllegalTransition):
        await transition_domain(domain, DomainStatus.COOLING, clock=clock, reason=reason, actor_id=actor.person_id)


# ---------------------------------------------------------------- expiry


@dataclass(frozen=True)
class ExpiryNotice:
    domain: str
    expires_on: dt.date
    days_left: int
    threshold: int
    new: bool


async def watch_expiry(
    actor: Actor, clock: Clock, config: DnsConfig, *, workspace_id: int | None = None
) -> list[ExpiryNotice]:
    """Alert for every domain within 30 (and again within 7) days of expiry; repeats only count up."""
    today = clock.now().date()
    thresholds = sorted(config.expiry_alert_days)
    horizon = today + dt.timedelta(days=thresholds[-1])
    notices = []
    for domain in await _domains_in(_scope(actor, workspace_id), expires_on__lte=horizon):
        expires_on: dt.date = domain.expires_on  # type: ignore[assignment]
        days_left = (expires_on - today).days
        threshold = next(t for t in thresholds if days_left <= t)
        new = await raise_alert(
            workspace_id=domain.workspace_id,
            kind="domain_expiry",
            severity=Severity.CRITICAL if threshold == thresholds[0] else Severity.WARNING,
            subject=f"domain:{domain.id}",
            key=f"{threshold}|{expires_on.isoformat()}",
            data={
                "domain": domain.name,
                "expires_on": expires_on.isoformat(),
                "days_left": days_left,
                "threshold": threshold,
            },
            now=clock.now(),
        )
        notices.append(ExpiryNotice(domain.name, expires_on, days_left, threshold, new))
    return notices


# ---------------------------------------------------------------- DMARC progression


@dataclass(frozen=True)
class DmarcStep:
    """What applying a DMARC step publishes, and whether DNS already serves it."""

    approval_id: int
    domain: str
    name: str  # the full record name, _dmarc.<domain>
    rtype: str
    value: str
    policy: DmarcPolicy
    calls: int  # requests sent to the DNS host (0 when the person sets the record)
    verified: bool


async def propose_dmarc_steps(
    actor: Actor, clock: Clock, config: DnsConfig, *, workspace_id: int | None = None
) -> list[int]:
    """Ask for approval of the next DMARC policy on domains whose authentication stayed clean for the
    workspace's clean period; returns the ids of the approvals created. One pending proposal per domain
    (a partial unique index), and none again within a clean period after a refusal."""
    now = clock.now()
    created: list[int] = []
    candidates = await _domains_in(
        _scope(actor, workspace_id),
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
        approval = await _propose(domain, clock, config, subject)
        if approval is not None:
            created.append(approval.id)
    return created


async def _clean(domain: Domain, now: dt.datetime, period: dt.timedelta) -> bool:
    """Clean = observed since before the period began, no failing SPF/DKIM/DMARC verdict and no listing
    within it, and the latest verdict of each is OK. Timeouts say nothing and are ignored."""
    start = now - period
    since: dt.datetime = domain.dmarc_since  # type: ignore[assignment]
    if since > start:
        return False
    checks = DnsCheck.filter(domain_id=domain.id, record__in=_AUTH_KINDS)
    if not await checks.filter(record=DnsRecordKind.DMARC, checked_at__gte=since, checked_at__lte=start).exists():
        return False
    failing = [v for v in DnsVerdict if v != DnsVerdict.OK and v not in INCONCLUSIVE]
    if await checks.filter(checked_at__gte=start, verdict__in=failing).exists():
        return False
    if await BlacklistCheck.filter(target=domain.name, result=ListingResult.LISTED, checked_at__gte=start).exists():
        return False
    for kind in _AUTH_KINDS:
        latest = await checks.filter(record=kind).exclude(verdict__in=INCONCLUSIVE).order_by("-checked_at").first()
        if latest is None or latest.verdict != DnsVerdict.OK:
            return False
    return True


async def _propose(domain: Domain, clock: Clock, config: DnsConfig, subject: str) -> Approval | None:
    target = next_policy(domain.dmarc_policy)
    if target is None:
        return None
    served = await DnsCheck.filter(domain_id=domain.id, record=DnsRecordKind.DMARC).order_by("-checked_at").first()
    current = served.found if served and is_dmarc(served.found) and parse_dmarc(served.found).valid else ""
    rua = str((domain.workspace.settings or {}).get("dmarc_rua") or f"dmarc@{domain.name}")
    value = with_policy(current, target) if current else build_dmarc(target, rua)
    payload = {
        "domain_id": domain.id,
        "domain": domain.name,
        "from": domain.dmarc_policy.value,
        "to": target.value,
        "name": absolute_name("_dmarc", domain.name),
        "type": "TXT",
        "value": value,
    }
    return await approvals.request(
        domain.workspace.id, ApprovalKind.DMARC_STEP, subject, payload, clock=clock, ttl=config.approval_ttl
    )


async def apply_dmarc_step(
    actor: Actor, clock: Clock, approval_id: int, config: DnsConfig, provider: DnsProvider | None = None
) -> DmarcStep:
    """Carry out an approved DMARC step: through the DNS host's API when there is an adapter, otherwise the
    result names the exact record to set. Then verify in DNS; once DNS serves the new policy the approval is
    `applied` and the domain's policy and its start time move. Calling it again later just verifies."""
    approval = await Approval.get_or_none(id=approval_id, kind=ApprovalKind.DMARC_STEP)
    if approval is None or not await approvals.manages(actor, approval.workspace_id):
        raise NotFound("error-approval-not-found", id=approval_id)
    payload = approval.payload
    policy = DmarcPolicy(payload["to"])
    step = DmarcStep(approval.id, payload["domain"], payload["name"], "TXT", payload["value"], policy, 0, False)
    if approval.status == ApprovalStatus.APPLIED:
        return replace(step, verified=True)
    if approval.status != ApprovalStatus.APPROVED:
        raise Conflict("error-dmarc-step-not-approved", status=approval.status.value)
    calls = 0
    if provider is not None:
        record = ZoneRecord("_dmarc", "TXT", payload["value"])
        plan = DnsPlan(payload["domain"], (Expectation(DnsRecordKind.DMARC, "_dmarc", (record,)),), "", policy, ())
        calls = len((await apply_plan(provider, plan, dry_run=False)).calls)
    served = await lookup(make_resolver(config.resolver), payload["name"], "TXT")
    policies = [parse_dmarc(v).policy for v in served.values if is_dmarc(v)]
    verified = policies == [policy]
    if verified:
        now = clock.now()
        async with in_transaction():
            await transition_approval(
                approval, ApprovalStatus.APPLIED, clock=clock, reason="dmarc served", extra={"applied_at": now}
            )
            await Domain.filter(id=payload["domain_id"]).update(dmarc_policy=policy, dmarc_since=now)
    return replace(step, calls=calls, verified=verified)


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

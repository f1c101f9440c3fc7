"""The domain inventory: bulk import (with the mail provider read from MX), reading, settings, removal, expiry.

Bulk import is per row: valid rows are added together in one transaction, invalid rows are reported with a
reason and skipped, rows already in this workspace are reported as existing. A name that another workspace
holds is refused without saying which workspace. A row without a mail provider gets the one its MX points at
(Yandex 360, Mail.ru for Business) when DNS says so; otherwise the provider stays unknown (None) and the
report names the domain, so a person sets it with `/domain_set`.

Removal: a domain that has nothing to keep is deleted (its DNS and blacklist check rows go with it: they are
observations of the domain, not history of sending). A domain with mailboxes, alerts, approvals, sending
statistics, or that has started warming is retired through the state machine instead, so its history stays.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from tortoise.exceptions import IntegrityError
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from engine.access import Actor, require_manager, require_reader
from engine.alerts import raise_alert
from engine.clock import Clock, zone_or_utc
from engine.confirm import seal
from engine.dns.check import LookupStatus, lookup, make_resolver
from engine.dns.names import MAX_NAME_LENGTH, to_ascii, to_unicode, typed_domain
from engine.dns.templates import TEMPLATES, provider_from_mx
from engine.domains.common import (
    TRACKING_LABEL,
    DnsConfig,
    dns_rows,
    domains_in,
    get_domain,
    get_domain_by_id,
    latest_dns,
    latest_listings,
    scope,
)
from engine.domains.state import (
    BlacklistState,
    DnsState,
    blacklist_state,
    dns_state,
    unplanned_records,
)
from engine.errors import Conflict, NotFound, UserError
from engine.i18n import natural_key, shorten
from engine.lifecycle import transition_domain
from engine.stats import workspace_zone
from engine.uploads import OFF_LOOP_BYTES, decode_upload_async
from models import Alert, Approval, AuditLog, DailyStat, Domain, Mailbox, Workspace
from models.enums import (
    DmarcPolicy,
    DnsRecordKind,
    DnsVerdict,
    DomainStatus,
    MailProvider,
    PoolRole,
    Severity,
    StatScope,
)

MAX_IMPORT_ROWS: Final = 2000
DETECT_BUDGET_S: Final = 20.0  # the most an import waits for MX lookups in all, before it answers
_REGISTRAR_MAX: Final = 32
_DATE_FORMATS: Final = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y")
_SHOWN_LINES: Final = 5  # how many offending line numbers an error names


# ---------------------------------------------------------------- bulk import


@dataclass(frozen=True)
class ImportRow:
    line: int
    name: str  # ASCII
    registrar: str = ""
    expires_on: dt.date | None = None
    provider: MailProvider | None = None  # None: not given (read from MX on import)
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
    detected: Mapping[str, MailProvider] = field(default_factory=dict)  # added names whose provider MX told
    unknown_provider: tuple[str, ...] = ()  # added names with no known mail provider


_COLUMNS: Final = {  # header names, lower-case, "_" and "-" read as spaces (`_column_name`)
    "name": "name",
    "domain": "name",
    "domain name": "name",
    "домен": "name",
    "доменное имя": "name",
    "имя домена": "name",
    "registrar": "registrar",
    "регистратор": "registrar",
    "expiry": "expiry",
    "expires": "expiry",
    "expires on": "expiry",
    "expiry date": "expiry",
    "expiration": "expiry",
    "expiration date": "expiry",
    "paid until": "expiry",
    "истекает": "expiry",
    "оплачен до": "expiry",
    "срок регистрации": "expiry",
    "дата окончания": "expiry",
    "provider": "provider",
    "mail provider": "provider",
    "почта": "provider",
    "провайдер": "provider",
    "почтовый провайдер": "provider",
    "pool": "pool",
    "pool role": "pool",
    "role": "pool",
    "пул": "pool",
    "роль": "pool",
}


def _column_name(cell: str) -> str:
    return " ".join(cell.strip().strip("\ufeff").lower().replace("_", " ").replace("-", " ").split())


_POSITIONAL: Final = ("name", "registrar", "expiry", "provider", "pool")
PROVIDERS: Final = {
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
POOLS: Final = {
    "active": PoolRole.ACTIVE,
    "активный": PoolRole.ACTIVE,
    "reserve": PoolRole.RESERVE,
    "резерв": PoolRole.RESERVE,
    "резервный": PoolRole.RESERVE,
}
# Registrars Mailfleet knows (REG.RU has an API adapter; the others are recorded for people and reports).
REGISTRARS: Final = {
    "regru": "regru",
    "reg.ru": "regru",
    "reg-ru": "regru",
    "nicru": "nicru",
    "nic.ru": "nicru",
    "ru-center": "nicru",
    "timeweb": "timeweb",
    "selectel": "selectel",
    "beget": "beget",
    "r01": "r01",
    "other": "other",
}
_KNOWN_REGISTRARS: Final = ", ".join(sorted(set(REGISTRARS.values())))
_LIST_SEPARATORS: Final = re.compile(r"[\s,;]+")


def names_list(typed: str) -> str:
    """A list of domains typed in chat (`a.ru b.ru`, `a.ru, b.ru`, `a.ru;b.ru`) as one name per line: typed
    text is a list of names only, so a semicolon or comma never turns a second name into a registrar."""
    return "\n".join(name for name in _LIST_SEPARATORS.split(typed) if name)


def parse_import(text: str) -> tuple[list[ImportRow], list[RowError]]:
    """Rows of a list or CSV (comma, semicolon or tab; optional header naming the columns), validated.

    A plain list is one domain per line. Without a header the columns are name, registrar, expiry, mail
    provider, pool role. A value past the last column refuses its row (empty trailing cells are fine).
    Duplicates within the file are reported on every repeat.
    """
    lines = [(number, line) for number, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not lines:
        return [], []
    delimiter = max(";,\t", key=lines[0][1].count)
    table = [(number, next(csv.reader([line], delimiter=delimiter))) for number, line in lines]
    header = [_column_name(cell) for cell in table[0][1]]
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
        extra = next((cell.strip() for cell in cells[len(columns) :] if cell.strip()), None)
        row = _row(number, values)
        if extra is not None and not isinstance(row, RowError):  # a value with no column: never silently dropped
            row = RowError(
                number,
                values.get("name", ""),
                "domain-import-extra-column",
                {"value": shorten(extra, _REGISTRAR_MAX), "columns": len(columns)},
            )
        if isinstance(row, RowError):
            errors.append(row)
        elif row.name in first_line:
            errors.append(RowError(number, values["name"], "domain-import-duplicate", {"line": first_line[row.name]}))
        else:
            first_line[row.name] = number
            rows.append(row)
    return rows, errors


def _name(number: int, raw_name: str) -> str | RowError:
    """A row's domain in ASCII (a site's address pasted whole is its domain), or why it is none."""
    try:
        return typed_domain(raw_name)
    except UserError:
        if len(raw_name) > MAX_NAME_LENGTH:  # say why, with the limit
            return RowError(number, raw_name, "domain-import-too-long", {"limit": MAX_NAME_LENGTH})
        return RowError(number, raw_name, "domain-import-bad-name")


def _row(number: int, values: Mapping[str, str]) -> ImportRow | RowError:
    raw_name = values.get("name", "")
    name = _name(number, raw_name)
    if isinstance(name, RowError):
        return name
    registrar = values.get("registrar", "").lower()
    if registrar and registrar not in REGISTRARS:  # a typo, or a second domain taken for the registrar column
        shown = shorten(registrar, _REGISTRAR_MAX)
        return RowError(number, raw_name, "domain-import-bad-registrar", {"value": shown, "choices": _KNOWN_REGISTRARS})
    expiry = values.get("expiry", "")
    expires_on = _date(expiry)
    if expiry and expires_on is None:
        return RowError(number, raw_name, "domain-import-bad-date", {"value": expiry})
    provider_text = values.get("provider", "").lower()
    provider = PROVIDERS.get(provider_text)
    if provider_text and provider is None:
        return RowError(number, raw_name, "domain-import-bad-provider", {"value": provider_text})
    pool_text = values.get("pool", "").lower()
    pool = POOLS.get(pool_text, PoolRole.ACTIVE if not pool_text else None)
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


def check_typed(text: str) -> None:
    """Refuse a typed list that holds NUL or other control characters (`error-domain-names-control`, naming
    the lines): pasted binary garbage is never half-imported."""
    bad = [
        number
        for number, line in enumerate(text.splitlines(), 1)
        if any(unicodedata.category(ch) == "Cc" and ch != "\t" for ch in line)
    ]
    if bad:
        shown = ", ".join(str(n) for n in bad[:_SHOWN_LINES]) + (" …" if len(bad) > _SHOWN_LINES else "")
        raise UserError("error-domain-names-control", lines=shown)


async def detect_provider(name: str, config: DnsConfig) -> MailProvider | None:
    """The mail provider the domain's MX points at, or None: not a provider we know, no MX, or DNS did not
    answer in time (not knowing is not an error)."""
    result = await lookup(make_resolver(config.resolver), name, "MX")
    if result.status != LookupStatus.ANSWER:
        return None
    return provider_from_mx([value.split(" ", 1)[-1] for value in result.values])


async def _detect_all(names: Sequence[str], config: DnsConfig) -> dict[str, MailProvider | None]:
    """Providers from MX, a few lookups at a time, within `DETECT_BUDGET_S` in all: a reply to a 2,000-domain
    import must not wait for 2,000 lookups against a DNS server that times out. What is not answered in time is
    "not known" (the reply says how to set it), exactly as a lookup that failed."""
    gate = asyncio.Semaphore(config.concurrency)
    found: dict[str, MailProvider | None] = {}

    async def one(name: str) -> None:
        async with gate:
            found[name] = await detect_provider(name, config)

    tasks = [asyncio.ensure_future(one(n)) for n in names]
    _, pending = await asyncio.wait(tasks, timeout=DETECT_BUDGET_S) if tasks else (set(), set())
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    return {name: found.get(name) for name in names}


async def add_domains(
    actor: Actor,
    clock: Clock,
    source: str | bytes,
    *,
    workspace_id: int | None = None,
    config: DnsConfig | None = None,
) -> ImportReport:
    """Add the domains of a list or CSV to a workspace (see the module docstring for the per-row rules).

    `source` is typed text or an uploaded file (bytes: decoded by `engine.uploads`, size first). With a
    `config`, rows without a provider get the one their MX points at (a few lookups at a time).
    Raises `UserError`: `error-upload-*` (a file that is not text), `error-domain-names-control`,
    `error-domain-import-empty`, `error-domain-import-too-large`; `NotFound` `error-domain-workspace-unknown`;
    `Conflict` `error-domain-import-conflict`.
    """
    ws = require_manager(actor, workspace_id)
    if isinstance(source, bytes):
        text = await decode_upload_async(source)
    else:
        check_typed(source)
        text = source
    if sum(1 for line in text.splitlines() if line.strip()) > MAX_IMPORT_ROWS + 1:  # + a header line
        raise UserError("error-domain-import-too-large", limit=MAX_IMPORT_ROWS)  # refused before parsing
    # CSV and an IDNA check per row: seconds for a big file, so off the event loop (other chats keep moving)
    rows, errors = await asyncio.to_thread(parse_import, text) if len(text) > OFF_LOOP_BYTES else parse_import(text)
    if not rows and not errors:
        raise UserError("error-domain-import-empty")
    if len(rows) + len(errors) > MAX_IMPORT_ROWS:
        raise UserError("error-domain-import-too-large", limit=MAX_IMPORT_ROWS)
    if not await Workspace.exists(id=ws):
        raise NotFound("error-domain-workspace-unknown")
    known: set[str] = {
        str(n) for n in await Domain.filter(name__in=[r.name for r in rows]).values_list("name", flat=True)
    }
    to_detect = [r.name for r in rows if r.provider is None and r.name not in known]
    detected = await _detect_all(to_detect, config) if config is not None and to_detect else {}
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
                    provider = row.provider or detected.get(row.name)
                    new.append(_new_domain(ws, row, provider, now))
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
    found = {name: p for name, p in detected.items() if p is not None and name in added}
    unknown = tuple(d.name for d in new if d.mail_provider is None)
    return ImportReport(tuple(added), tuple(existing), tuple(sorted(errors, key=lambda e: e.line)), found, unknown)


def _new_domain(workspace_id: int, row: ImportRow, provider: MailProvider | None, now: dt.datetime) -> Domain:
    return Domain(
        workspace_id=workspace_id,
        name=row.name,
        registrar=REGISTRARS.get(row.registrar, row.registrar),
        expires_on=row.expires_on,
        mail_provider=provider,
        pool_role=row.pool_role,
        dkim_selector=TEMPLATES[provider].dkim_selector if provider else "",
        tracking_host=f"{TRACKING_LABEL}.{row.name}",
        dmarc_policy=DmarcPolicy.NONE,
        dmarc_since=now,
    )


# ---------------------------------------------------------------- reading


@dataclass(frozen=True)
class DomainSummary:
    id: int
    name: str  # ASCII, the key
    display_name: str  # Unicode, for people
    status: DomainStatus
    pool_role: PoolRole
    mail_provider: MailProvider | None  # None: not known
    expires_on: dt.date | None
    days_left: int | None
    dns: DnsState
    blacklists: BlacklistState
    mailboxes: int


@dataclass(frozen=True)
class StoredVerdict:
    record: DnsRecordKind
    expected: str
    found: str
    verdict: DnsVerdict
    problems: tuple[Mapping[str, object], ...]
    checked_at: dt.datetime


@dataclass(frozen=True)
class StoredListing:
    zone: str
    result: str
    meanings: tuple[str, ...]
    checked_at: dt.datetime
    since: dt.datetime | None


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
    """The workspace's domains by name as people read it (`natural_key`: mail2 before mail10; Unicode, not
    punycode), each with its DNS and blacklist state and mailbox count."""
    ws = require_reader(actor, workspace_id)
    domains = sorted(await Domain.filter(workspace_id=ws), key=lambda d: natural_key(to_unicode(d.name)))
    zone = await workspace_zone(ws)
    return await summaries(domains, clock.now().astimezone(zone).date())


async def show_domain(actor: Actor, clock: Clock, name: str) -> DomainDetail:
    """One domain: status, latest DNS verdicts, blacklist state, mailboxes and today's volume."""
    domain = await get_domain(actor, name)
    zone = await workspace_zone(domain.workspace_id)
    today = clock.now().astimezone(zone).date()  # the day the workspace's counters are kept by
    (summary,) = await summaries([domain], today)
    rows = (await latest_dns([domain.id])).get(domain.id, [])
    listings = (await latest_listings([domain.name])).get(domain.name, [])
    stat = await DailyStat.get_or_none(scope=StatScope.DOMAIN, scope_id=domain.id, day=today)
    return DomainDetail(
        summary=summary,
        registrar=domain.registrar,
        dmarc_policy=domain.dmarc_policy,
        dmarc_since=domain.dmarc_since,
        dkim_selector=domain.dkim_selector,
        tracking_host=domain.tracking_host,
        dns=tuple(
            StoredVerdict(
                r.record, r.expected, r.found, r.verdict, tuple(json.loads(r.detail)) if r.detail else (), r.checked_at
            )
            for r in rows
        ),
        blacklists=tuple(StoredListing(x.zone, x.result.value, x.meanings, x.checked_at, x.since) for x in listings),
        sent_today=stat.sent if stat else 0,
    )


async def summaries(domains: Sequence[Domain], today: dt.date) -> list[DomainSummary]:
    """The summary of each domain, in the order given (three queries, whatever the count)."""
    ids = [d.id for d in domains]
    counts = dict(
        await Mailbox.filter(domain_id__in=ids)
        .annotate(n=Count("id"))
        .group_by("domain_id")
        .values_list("domain_id", "n")
    )
    checks = await dns_rows(ids)
    listings = await latest_listings([d.name for d in domains])
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
            dns=dns_state(*checks.get(d.id, ([], None)), unplanned=unplanned_records(d.mail_provider)),
            blacklists=blacklist_state(listings.get(d.name, [])),
            mailboxes=counts.get(d.id, 0),
        )
        for d in domains
    ]


# ---------------------------------------------------------------- settings


class DomainField:
    PROVIDER = "provider"
    REGISTRAR = "registrar"
    POOL = "pool"
    TRACKING = "tracking"


SETTABLE: Final = (DomainField.PROVIDER, DomainField.REGISTRAR, DomainField.POOL, DomainField.TRACKING)
_UNSET: Final = frozenset({"none", "-", "unknown", "нет"})


@dataclass(frozen=True)
class FieldChange:
    domain: str
    field: str
    before: str
    after: str


async def set_domain(actor: Actor, clock: Clock, name: str, field_name: str, value: str) -> FieldChange:
    """Change one setting of a domain: `provider` (yandex360, mailru, generic; `none` = not known),
    `registrar` (one of `REGISTRARS`), `pool` (active, reserve), `tracking` (a host name under the domain,
    or just its first label, that can carry a CNAME: not the domain itself).

    A new provider also brings its DKIM selector, and drops a DKIM key stored for the old provider.
    Raises `UserError`: `error-domain-set-field`, `error-domain-set-provider`, `error-domain-set-registrar`,
    `error-domain-set-pool`, `error-domain-set-tracking`; `NotFound` `error-domain-not-found`.
    """
    domain = await get_domain(actor, name, manage=True)
    field_name = field_name.strip().lower()
    text = value.strip().lower()
    updates: dict[str, object] = {}
    match field_name:
        case DomainField.PROVIDER:
            provider = None if text in _UNSET else PROVIDERS.get(text)
            if provider is None and text not in _UNSET:
                raise UserError("error-domain-set-provider", value=value, choices="yandex360, mailru, generic, none")
            before, after = _text(domain.mail_provider), _text(provider)
            if provider != domain.mail_provider:
                old_selector = TEMPLATES[domain.mail_provider].dkim_selector if domain.mail_provider else ""
                updates["mail_provider"] = provider
                if domain.dkim_selector in ("", old_selector):
                    updates["dkim_selector"] = TEMPLATES[provider].dkim_selector if provider else ""
                    updates["dkim_public_key"] = ""
        case DomainField.REGISTRAR:
            registrar = REGISTRARS.get(text)
            if registrar is None:
                choices = ", ".join(sorted(set(REGISTRARS.values())))
                raise UserError("error-domain-set-registrar", value=value, choices=choices)
            before, after = domain.registrar or "—", registrar
            updates["registrar"] = registrar
        case DomainField.POOL:
            pool = POOLS.get(text)
            if pool is None:
                raise UserError("error-domain-set-pool", value=value)
            before, after = domain.pool_role.value, pool.value
            updates["pool_role"] = pool
        case DomainField.TRACKING:
            host = tracking_host(domain.name, value)
            before, after = domain.tracking_host or "—", host
            updates["tracking_host"] = host
        case _:
            raise UserError("error-domain-set-field", field=field_name, choices=", ".join(SETTABLE))
    if before == after:  # nothing changes: no write, no audit row
        return FieldChange(domain.name, field_name, before, after)
    async with in_transaction():
        await Domain.filter(id=domain.id).update(**updates)
        await AuditLog.create(
            workspace_id=domain.workspace_id,
            actor_id=actor.person_id,
            action="domain.set",
            subject=f"domain:{domain.id}",
            data={"field": field_name, "from": before, "to": after},
            created_at=clock.now(),
        )
    return FieldChange(domain.name, field_name, before, after)


def _text(provider: MailProvider | None) -> str:
    return provider.value if provider else "—"


def tracking_host(domain: str, value: str) -> str:
    """The tracking host for `domain` from what a person typed: a first label ("t") or a full name under the
    domain. The apex cannot carry a CNAME, so it is refused, as is anything outside the domain."""
    typed = value.strip().rstrip(".")
    try:
        host = to_ascii(typed if "." in typed else f"{typed}.{domain}")
    except UserError:
        raise UserError("error-domain-set-tracking", value=value, domain=to_unicode(domain)) from None
    if not host.endswith("." + domain):
        raise UserError("error-domain-set-tracking", value=value, domain=to_unicode(domain))
    return host


# ---------------------------------------------------------------- removal


@dataclass(frozen=True)
class Removal:
    """What removing a domain does (`retire`: it has history to keep) or did (`deleted`, `retired`)."""

    domain_id: int
    domain: str
    outcome: str  # delete | retire | deleted | retired
    mailboxes: int
    seal: str = ""
    """What the confirmation says will happen (the outcome, which mailboxes go with it): its button carries it."""


class RemovalChanged(Conflict):
    """The domain is no longer what the confirmation pressed said it was (an empty domain that has mailboxes
    now): nothing was done, and `plan` is what removing it would do now, to be asked again."""

    def __init__(self, plan: Removal) -> None:
        super().__init__("error-domain-remove-changed", domain=to_unicode(plan.domain))
        self.plan = plan


async def _plan(domain: Domain) -> Removal:
    """What removing `domain` would do now, sealed (`engine.confirm.seal`) with its outcome and its mailboxes."""
    mailboxes: list[int] = await Mailbox.filter(domain_id=domain.id).order_by("id").values_list("id", flat=True)  # type: ignore[assignment]
    subject = f"domain:{domain.id}"
    history = (
        bool(mailboxes)
        or domain.status not in (DomainStatus.NEW, DomainStatus.DNS_PENDING)
        or await Alert.filter(subject=subject).exists()
        or await Approval.filter(subject=subject).exists()
        or await DailyStat.filter(scope=StatScope.DOMAIN, scope_id=domain.id).exists()
    )
    outcome = "retire" if history else "delete"
    return Removal(domain.id, domain.name, outcome, len(mailboxes), seal(outcome, *mailboxes))


async def plan_removal(actor: Actor, name: str) -> Removal:
    """What `/domain_remove` would do, for the confirmation (reads only). Raises `Conflict`
    `error-domain-retired` for a domain already retired."""
    domain = await get_domain(actor, name, manage=True)
    if domain.status == DomainStatus.RETIRED:
        raise Conflict("error-domain-retired", name=to_unicode(domain.name))
    return await _plan(domain)


async def remove_domain(actor: Actor, clock: Clock, domain_id: int, confirmed: str) -> Removal:
    """Delete the domain when it has nothing to keep, else retire it (see the module docstring) — what the
    confirmation sealed `confirmed` said, and nothing else: a question about an empty domain, pressed once the
    domain had mailboxes and had gone to work, retired it with them. A domain that changed since is left as it is
    (`RemovalChanged`, with what removing it would do now). The domain's row is locked meanwhile, so no mailbox is
    added between the check and the act. Pressing the button twice is harmless: the second time the domain is
    gone (`error-domain-gone`) or already retired (`error-domain-retired`)."""
    found = await get_domain_by_id(actor, domain_id, manage=True)
    now = clock.now()
    try:
        async with in_transaction():  # its DNS and blacklist checks go with it (ON DELETE CASCADE)
            domain = await Domain.filter(id=found.id).select_for_update().first()
            if domain is None:
                raise Conflict("error-domain-gone", id=domain_id)
            if domain.status == DomainStatus.RETIRED:
                raise Conflict("error-domain-retired", name=to_unicode(domain.name))
            plan = await _plan(domain)
            if plan.seal != confirmed:
                raise RemovalChanged(plan)
            if plan.outcome == "retire":
                await transition_domain(
                    domain, DomainStatus.RETIRED, clock=clock, reason="removed in chat", actor_id=actor.person_id
                )
                return Removal(domain.id, domain.name, "retired", plan.mailboxes)
            deleted = await Domain.filter(id=domain.id, status=domain.status).delete()
            if deleted != 1:  # moved on (or removed) meanwhile: nothing happens, the person looks again
                raise Conflict("error-domain-gone", id=domain_id)
            await AuditLog.create(
                workspace_id=domain.workspace_id,
                actor_id=actor.person_id,
                action="domain.delete",
                subject=f"domain:{domain.id}",
                data={"name": domain.name},
                created_at=now,
            )
    except IntegrityError:  # a mailbox was added to it meanwhile (RESTRICT): it is kept; ask again to retire it
        raise Conflict("error-domain-gone", id=domain_id) from None
    return Removal(domain.id, domain.name, "deleted", 0)


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
    """Alert for every domain within 30 (and again within 7) days of expiry; repeats only count up. Days are
    counted from today in the domain's workspace's time zone, as `/domains` counts them."""
    thresholds = sorted(config.expiry_alert_days)
    horizon = clock.now().date() + dt.timedelta(days=thresholds[-1] + 1)  # the furthest zone's today is at most +1
    notices = []
    for domain in await domains_in(scope(actor, workspace_id), expires_on__lte=horizon):
        expires_on: dt.date = domain.expires_on  # type: ignore[assignment]
        days_left = (expires_on - clock.now().astimezone(zone_or_utc(domain.workspace.timezone)).date()).days
        if days_left > thresholds[-1]:
            continue
        threshold = next(t for t in thresholds if days_left <= t)
        new = await raise_alert(
            workspace_id=domain.workspace_id,
            kind="domain_expiry",
            severity=Severity.CRITICAL if threshold == thresholds[0] else Severity.WARNING,
            subject=f"domain:{domain.id}",
            key=f"{threshold}|{expires_on.isoformat()}",
            data={
                "domain": to_unicode(domain.name),
                "expires_on": expires_on.isoformat(),
                "days_left": days_left,
                "threshold": threshold,
            },
            now=clock.now(),
        )
        notices.append(ExpiryNotice(domain.name, expires_on, days_left, threshold, new))
    return notices

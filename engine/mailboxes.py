"""Mailboxes of a workspace: import from CSV (validated, login-tested, encrypted), list, show, pause, resume, test.

An import never half-writes: rows that fail validation or the login test are reported and not stored, and the
rows that pass are written in one transaction. Importing the same address again updates that mailbox.

The CSV has a header row. Columns (English or Russian names, any order, case-insensitive):
`address` (required), `password` or `token` (exactly one), `provider` (yandex360, mailru, generic) and/or
`smtp_host`/`smtp_port`/`smtp_tls` and `imap_host`/`imap_port`/`imap_tls`, `display_name`, `username` (defaults to
the address). Encodings UTF-8 (with or without BOM) and Windows-1251; separators comma, semicolon or tab.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import math
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final, Literal
from zoneinfo import ZoneInfo

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from engine.access import Actor, require_manager, require_reader
from engine.clock import Clock
from engine.crypto import Vault, VaultError
from engine.dns.names import to_ascii
from engine.errors import Conflict, NotFound, UserError
from engine.lifecycle import transition_mailbox
from engine.mail import imap, smtp
from engine.mail.message import normalize_address
from engine.mail.providers import PRESETS, Credentials, Endpoint, default_port
from engine.stats import counters, workspace_zones
from models import Domain, Mailbox
from models.enums import AuthKind, MailboxStatus, MailProvider, StatScope, TlsMode

MAX_FILE_BYTES: Final = 2 * 1024 * 1024
MAX_ROWS: Final = 5000
DEFAULT_TEST_TIMEOUT_S: Final = 20.0  # per mailbox and protocol; real providers answer in 1-3 s
DEFAULT_TEST_CONCURRENCY: Final = 20  # providers throttle logins from one IP; 20 at once stays polite

# column aliases -> canonical column
_COLUMNS: Final[Mapping[str, str]] = {
    **dict.fromkeys(["address", "email", "e_mail", "mailbox", "адрес", "почта", "ящик", "email_address"], "address"),
    **dict.fromkeys(["password", "app_password", "пароль", "secret"], "password"),
    **dict.fromkeys(["token", "oauth_token", "access_token", "токен"], "token"),
    **dict.fromkeys(["provider", "провайдер", "сервис"], "provider"),
    **dict.fromkeys(["display_name", "name", "from_name", "имя", "отправитель"], "display_name"),
    **dict.fromkeys(["username", "login", "логин"], "username"),
    **{f"{p}_{k}": f"{p}_{k}" for p in ("smtp", "imap") for k in ("host", "port", "tls")},
    "smtp_security": "smtp_tls",
    "imap_security": "imap_tls",
}
_PROVIDERS: Final[Mapping[str, MailProvider]] = {
    **dict.fromkeys(["yandex", "yandex360", "yandex_360", "ya", "яндекс", "яндекс360"], MailProvider.YANDEX360),
    **dict.fromkeys(["mailru", "mail.ru", "mail_ru", "vk", "vk_workspace", "мейл", "майл"], MailProvider.MAILRU),
    **dict.fromkeys(["generic", "custom", "other", "own", "свой", "другой"], MailProvider.GENERIC),
}
_TLS: Final[Mapping[str, TlsMode]] = {
    **dict.fromkeys(["ssl", "tls", "implicit", "ssl/tls", "ssl_tls", "yes", "да"], TlsMode.IMPLICIT),
    **dict.fromkeys(["starttls", "start_tls"], TlsMode.STARTTLS),
    **dict.fromkeys(["plain", "none", "no", "off", "нет"], TlsMode.PLAIN),
}
_IMPLICIT_PORTS: Final = frozenset({465, 993})


class RowStatus(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    INVALID = "invalid"  # the row itself is wrong (key says how)
    FAILED = "failed"  # the row is fine but SMTP or IMAP login failed


@dataclass(frozen=True, slots=True)
class ImportRow:
    """A row that passed validation."""

    row: int
    address: str
    secret: str = field(repr=False)
    auth_kind: AuthKind
    provider: MailProvider
    smtp: Endpoint
    imap: Endpoint
    username: str
    display_name: str


@dataclass(frozen=True, slots=True)
class LoginTest:
    """SMTP and IMAP login results of one mailbox; keys name locale messages."""

    smtp_ok: bool
    smtp_key: str
    smtp_params: Mapping[str, str]
    imap_ok: bool
    imap_key: str
    imap_detail: str

    @property
    def ok(self) -> bool:
        return self.smtp_ok and self.imap_ok


@dataclass(frozen=True, slots=True)
class RowResult:
    """The outcome of one CSV row: `key` and `params` name its localized message."""

    row: int
    address: str
    status: RowStatus
    key: str
    params: Mapping[str, str] = field(default_factory=dict)
    test: LoginTest | None = None


@dataclass(frozen=True, slots=True)
class ImportReport:
    rows: tuple[RowResult, ...]

    def count(self, status: RowStatus) -> int:
        return sum(1 for r in self.rows if r.status is status)


@dataclass(frozen=True, slots=True)
class MailboxSummary:
    id: int
    address: str
    domain: str
    status: MailboxStatus
    daily_cap: int
    auth_failures: int
    last_error: str
    last_ok_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class MailboxPage:
    items: tuple[MailboxSummary, ...]
    page: int
    pages: int
    total: int


@dataclass(frozen=True, slots=True)
class MailboxDetails:
    summary: MailboxSummary
    provider: MailProvider
    display_name: str
    smtp: Endpoint
    imap: Endpoint
    provider_daily_limit: int | None
    cooldown_until: dt.datetime | None
    warmup_started_on: dt.date | None
    warmup_weeks: int
    last_error_at: dt.datetime | None
    today: Mapping[str, int]  # DailyStat counters of today (workspace time zone)


@dataclass(frozen=True, slots=True)
class MailboxTest:
    address: str
    test: LoginTest


# ------------------------------------------------------------------------------------------- CSV parsing (pure)


def decode_csv(data: bytes) -> str:
    """Text of an uploaded CSV: UTF-8 (a BOM is dropped), else Windows-1251 (Excel's default in Russia)."""
    if len(data) > MAX_FILE_BYTES:
        raise UserError("error-import-too-large", limit_kb=str(MAX_FILE_BYTES // 1024))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1251", errors="replace")


def parse_mailbox_csv(data: bytes) -> tuple[list[ImportRow], list[RowResult]]:
    """Validate every row of a mailbox CSV; rows are numbered by their line in the file (the header is line 1).

    Raises `UserError` only for the file as a whole (empty, no usable header, too large); every row problem is a
    `RowResult` with status INVALID.
    """
    text = decode_csv(data)
    if not text.strip():
        raise UserError("error-import-empty")
    reader = csv.reader(io.StringIO(text, newline=""), dialect=_dialect(text))
    header_row = next((row for row in reader if any(cell.strip() for cell in row)), None)
    columns = [_COLUMNS.get(_column_name(cell)) for cell in header_row or []]
    if "address" not in columns or not {"password", "token"} & set(columns):
        raise UserError("error-import-no-header")
    valid: list[ImportRow] = []
    invalid: list[RowResult] = []
    seen: dict[str, int] = {}
    for cells in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(valid) + len(invalid) >= MAX_ROWS:
            raise UserError("error-import-too-many-rows", limit=str(MAX_ROWS))
        if len(cells) > len(columns):
            invalid.append(RowResult(line, cells[0].strip(), RowStatus.INVALID, "error-import-row-malformed"))
            continue
        values = {col: cells[i].strip() for i, col in enumerate(columns) if col and i < len(cells)}
        outcome = _validate(line, values)
        if isinstance(outcome, ImportRow) and outcome.address in seen:
            outcome = _invalid(line, outcome.address, "error-import-duplicate", first=str(seen[outcome.address]))
        if isinstance(outcome, ImportRow):
            seen[outcome.address] = line
            valid.append(outcome)
        else:
            invalid.append(outcome)
    return valid, invalid


def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    sample = text[:8192]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:  # one column, or too little text to tell: count separators in the header line
        first = sample.splitlines()[0] if sample.splitlines() else ""
        return _Semicolon if first.count(";") > first.count(",") else csv.excel


class _Semicolon(csv.excel):
    delimiter = ";"


def _column_name(cell: str) -> str:
    return cell.strip().strip("\ufeff").lower().replace(" ", "_").replace("-", "_")


def _invalid(line: int, address: str, key: str, **params: str) -> RowResult:
    return RowResult(line, address, RowStatus.INVALID, key, params)


def _validate(line: int, values: Mapping[str, str]) -> ImportRow | RowResult:  # noqa: PLR0911 - one exit per rule
    raw_address = values.get("address", "")
    try:
        address = normalize_address(raw_address).lower()
    except UserError:
        return _invalid(line, raw_address, "error-import-address-invalid", value=raw_address)
    password, token = values.get("password", ""), values.get("token", "")
    if bool(password) == bool(token):
        key = "error-import-secret-ambiguous" if password else "error-import-secret-missing"
        return _invalid(line, address, key)
    provider_text = values.get("provider", "").lower().replace(" ", "_")
    provider = _PROVIDERS.get(provider_text) if provider_text else None
    if provider_text and provider is None:
        return _invalid(line, address, "error-import-provider-unknown", value=values.get("provider", ""))
    try:
        smtp_endpoint = _endpoint(values, "smtp")
        imap_endpoint = _endpoint(values, "imap")
    except _BadValue as bad:
        return _invalid(line, address, bad.key, value=bad.value)
    provider = provider or (MailProvider.GENERIC if smtp_endpoint or imap_endpoint else None)
    if provider is None:
        return _invalid(line, address, "error-import-provider-missing")
    preset = PRESETS[provider]
    smtp_endpoint, imap_endpoint = smtp_endpoint or preset.smtp, imap_endpoint or preset.imap
    if smtp_endpoint is None or imap_endpoint is None:
        return _invalid(line, address, "error-import-hosts-missing", provider=provider.value)
    auth_kind = AuthKind.XOAUTH2 if token else AuthKind.PASSWORD
    if auth_kind not in preset.auth_kinds:
        return _invalid(line, address, "error-import-auth-unsupported", provider=provider.value)
    return ImportRow(
        row=line,
        address=address,
        secret=token or password,
        auth_kind=auth_kind,
        provider=provider,
        smtp=smtp_endpoint,
        imap=imap_endpoint,
        username=values.get("username") or address,
        display_name=values.get("display_name", "")[:200],
    )


class _BadValue(Exception):
    def __init__(self, key: str, value: str) -> None:
        super().__init__(key)
        self.key = key
        self.value = value


def _endpoint(values: Mapping[str, str], protocol: Literal["smtp", "imap"]) -> Endpoint | None:
    """An explicit endpoint from `<protocol>_host/_port/_tls`; None when no host is given. A missing TLS mode
    follows the port (465/993 implicit, else STARTTLS); a missing port follows the TLS mode."""
    host = values.get(f"{protocol}_host", "")
    if not host:
        return None
    port_text, tls_text = values.get(f"{protocol}_port", ""), values.get(f"{protocol}_tls", "").lower()
    tls = _TLS.get(tls_text) if tls_text else None
    if tls_text and tls is None:
        raise _BadValue("error-import-tls-invalid", tls_text)
    port: int | None = None
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise _BadValue("error-import-port-invalid", port_text)
        port = int(port_text)
    if tls is None:
        tls = TlsMode.IMPLICIT if port is None or port in _IMPLICIT_PORTS else TlsMode.STARTTLS
    try:
        return Endpoint(host.lower(), port or default_port(protocol, tls), tls)
    except ValueError:
        raise _BadValue("error-import-host-invalid", host) from None


# ------------------------------------------------------------------------------------------- import service


async def import_mailboxes(
    actor: Actor,
    data: bytes,
    *,
    clock: Clock,
    vault: Vault,
    test: bool = True,
    timeout_s: float = DEFAULT_TEST_TIMEOUT_S,
    concurrency: int = DEFAULT_TEST_CONCURRENCY,
    tls_context: ssl.SSLContext | None = None,
) -> ImportReport:
    """Import mailboxes from a CSV into the actor's workspace (see the module docstring for the format).

    Each valid row's SMTP and IMAP logins are tested concurrently (unless `test` is False); only rows that pass
    are stored, all in one transaction, with the secret encrypted. Raises `Forbidden` for non-managers and
    `UserError` (`error-import-*`) for an unusable file; everything row-specific is in the report.
    """
    workspace_id = require_manager(actor)
    rows, results = parse_mailbox_csv(data)
    rows, refused = await _check_ownership(workspace_id, rows)
    results += refused
    tests = (
        await _test_rows(rows, timeout_s=timeout_s, concurrency=concurrency, tls_context=tls_context) if test else {}
    )
    passing = [r for r in rows if r.row not in tests or tests[r.row].ok]
    results += [
        RowResult(r.row, r.address, RowStatus.FAILED, "error-import-login-failed", test=tests[r.row])
        for r in rows
        if r.row in tests and not tests[r.row].ok
    ]
    results += await _store(workspace_id, passing, tests, vault=vault, now=clock.now())
    return ImportReport(rows=tuple(sorted(results, key=lambda r: r.row)))


async def _check_ownership(workspace_id: int, rows: list[ImportRow]) -> tuple[list[ImportRow], list[RowResult]]:
    """Refuse rows whose domain is not the workspace's, or whose address belongs to another workspace."""
    domains = {str(row["name"]) for row in await Domain.filter(workspace_id=workspace_id).values("name")}
    owners = dict(await Mailbox.filter(address__in=[r.address for r in rows]).values_list("address", "workspace_id"))
    kept: list[ImportRow] = []
    refused: list[RowResult] = []
    for row in rows:
        domain = row.address.rpartition("@")[2]
        if domain not in domains:
            refused.append(_invalid(row.row, row.address, "error-import-domain-foreign", domain=domain))
        elif owners.get(row.address, workspace_id) != workspace_id:
            refused.append(_invalid(row.row, row.address, "error-import-mailbox-foreign"))
        else:
            kept.append(row)
    return kept, refused


async def _test_rows(
    rows: Sequence[ImportRow], *, timeout_s: float, concurrency: int, tls_context: ssl.SSLContext | None
) -> dict[int, LoginTest]:
    slots = asyncio.Semaphore(concurrency)

    async def one(row: ImportRow) -> tuple[int, LoginTest]:
        credentials = Credentials(row.username, row.auth_kind, row.secret)
        async with slots:
            result = await login_test(row.smtp, row.imap, credentials, timeout_s=timeout_s, tls_context=tls_context)
        return row.row, result

    return dict(await asyncio.gather(*(one(r) for r in rows)))


async def login_test(
    smtp_endpoint: Endpoint,
    imap_endpoint: Endpoint,
    credentials: Credentials,
    *,
    timeout_s: float,
    tls_context: ssl.SSLContext | None = None,
) -> LoginTest:
    """SMTP AUTH and IMAP LOGIN of one mailbox at the same time, each within `timeout_s`."""
    smtp_result, imap_result = await asyncio.gather(
        smtp.check_login(smtp_endpoint, credentials, timeout=timeout_s, tls_context=tls_context),
        imap.check_login(imap_endpoint, credentials, timeout=timeout_s, ssl_context=tls_context),
    )
    return LoginTest(
        smtp_ok=smtp_result.ok,
        smtp_key=smtp_result.key,
        smtp_params=smtp_result.params(),
        imap_ok=imap_result.ok,
        imap_key=imap_result.key,
        imap_detail=imap_result.detail,
    )


async def _store(
    workspace_id: int, rows: Sequence[ImportRow], tests: Mapping[int, LoginTest], *, vault: Vault, now: dt.datetime
) -> list[RowResult]:
    """Create or update every passing row in one transaction."""
    if not rows:
        return []
    domain_ids = dict(await Domain.filter(workspace_id=workspace_id).values_list("name", "id"))
    results: list[RowResult] = []
    try:
        async with in_transaction():
            existing = {
                m.address: m for m in await Mailbox.filter(address__in=[r.address for r in rows]).select_for_update()
            }
            for row in rows:
                values = _mailbox_values(row, vault)
                if row.row in tests:  # a login that just worked: the stored credentials are proven
                    values |= {"last_ok_at": now, "auth_failures": 0}
                current = existing.get(row.address)
                if current is None:
                    preset = PRESETS[row.provider]
                    await Mailbox.create(
                        workspace_id=workspace_id,
                        domain_id=domain_ids[row.address.rpartition("@")[2]],
                        address=row.address,
                        daily_cap=preset.default_daily_cap,
                        **values,
                    )
                    results.append(RowResult(row.row, row.address, RowStatus.CREATED, "mailbox-import-created"))
                else:
                    await Mailbox.filter(id=current.id).update(**values)
                    results.append(RowResult(row.row, row.address, RowStatus.UPDATED, "mailbox-import-updated"))
    except IntegrityError:  # another import created one of these addresses meanwhile: nothing was written
        raise Conflict("error-import-concurrent") from None
    return [RowResult(r.row, r.address, r.status, r.key, test=tests.get(r.row)) for r in results]


def _mailbox_values(row: ImportRow, vault: Vault) -> dict[str, Any]:
    return {
        "display_name": row.display_name,
        "provider": row.provider,
        "smtp_host": row.smtp.host,
        "smtp_port": row.smtp.port,
        "smtp_tls": row.smtp.tls,
        "imap_host": row.imap.host,
        "imap_port": row.imap.port,
        "imap_tls": row.imap.tls,
        "username": row.username,
        "auth_kind": row.auth_kind,
        "secret_enc": vault.encrypt(row.secret),
    }


# ------------------------------------------------------------------------------------------- other services


async def list_mailboxes(
    actor: Actor,
    *,
    page: int = 1,
    per_page: int = 20,
    domain: str | None = None,
    status: str | None = None,
) -> MailboxPage:
    """Mailboxes of the actor's workspace, by address, optionally of one domain and/or one status."""
    workspace_id = require_reader(actor)
    query = Mailbox.filter(workspace_id=workspace_id)
    if domain:
        query = query.filter(domain__name=_domain_name(domain))
    if status:
        try:
            query = query.filter(status=MailboxStatus(status.strip().lower()))
        except ValueError:
            raise UserError("error-mailbox-status-unknown", status=status) from None
    total = await query.count()
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    boxes = await query.order_by("address").offset((page - 1) * per_page).limit(per_page).prefetch_related("domain")
    return MailboxPage(items=tuple(_summary(b) for b in boxes), page=page, pages=pages, total=total)


async def show_mailbox(actor: Actor, address: str, *, clock: Clock) -> MailboxDetails:
    """Status, caps, last error and today's counters of one mailbox."""
    box = await _mailbox(actor, address, manage=False)
    zone = (await workspace_zones([box.workspace_id])).get(box.workspace_id, ZoneInfo("UTC"))
    today = clock.now().astimezone(zone).date()
    return MailboxDetails(
        summary=_summary(box),
        provider=box.provider,
        display_name=box.display_name,
        smtp=Endpoint(box.smtp_host, box.smtp_port, box.smtp_tls),
        imap=Endpoint(box.imap_host, box.imap_port, box.imap_tls),
        provider_daily_limit=PRESETS[box.provider].provider_daily_limit,
        cooldown_until=box.cooldown_until,
        warmup_started_on=box.warmup_started_on,
        warmup_weeks=box.warmup_weeks,
        last_error_at=box.last_error_at,
        today=await counters(StatScope.MAILBOX, box.id, today),
    )


async def pause_mailbox(actor: Actor, address: str, *, clock: Clock) -> MailboxSummary:
    """Stop sending from a mailbox (inbox sync goes on: replies still matter)."""
    box = await _mailbox(actor, address, manage=True)
    await transition_mailbox(
        box, MailboxStatus.PAUSED, clock=clock, reason="paused by a person", actor_id=actor.person_id
    )
    return _summary(box)


async def resume_mailbox(actor: Actor, address: str, *, clock: Clock) -> MailboxSummary:
    """Resume a paused or disabled mailbox: warming until its warmup weeks are over, else active."""
    box = await _mailbox(actor, address, manage=True)
    if box.status not in {MailboxStatus.PAUSED, MailboxStatus.DISABLED}:
        raise Conflict("error-mailbox-not-paused", address=box.address, status=box.status.value)
    started = box.warmup_started_on
    warmed = started is not None and clock.now().date() >= started + dt.timedelta(weeks=box.warmup_weeks)
    target = MailboxStatus.ACTIVE if warmed else MailboxStatus.WARMING
    await transition_mailbox(
        box, target, clock=clock, reason="resumed by a person", actor_id=actor.person_id, extra={"auth_failures": 0}
    )
    return _summary(box)


async def check_mailboxes(
    actor: Actor,
    which: str,
    *,
    clock: Clock,
    vault: Vault,
    timeout_s: float = DEFAULT_TEST_TIMEOUT_S,
    concurrency: int = DEFAULT_TEST_CONCURRENCY,
    tls_context: ssl.SSLContext | None = None,
) -> list[MailboxTest]:
    """Test SMTP and IMAP login of one mailbox (`which` = its address) or of every mailbox (`which` = "all");
    remembers the outcome as the mailbox's last success or last error."""
    workspace_id = require_manager(actor)
    if which.strip().lower() == "all":
        boxes = (
            await Mailbox.filter(workspace_id=workspace_id).exclude(status=MailboxStatus.RETIRED).order_by("address")
        )
    else:
        boxes = [await _mailbox(actor, which, manage=True)]
    slots = asyncio.Semaphore(concurrency)

    async def one(box: Mailbox) -> MailboxTest:
        try:
            secret = vault.decrypt(box.secret_enc)
        except VaultError:
            failed = LoginTest(False, "error-mailbox-secret", {}, False, "error-mailbox-secret", "")
            return MailboxTest(box.address, failed)
        credentials = Credentials(box.username, box.auth_kind, secret)
        smtp_endpoint = Endpoint(box.smtp_host, box.smtp_port, box.smtp_tls)
        imap_endpoint = Endpoint(box.imap_host, box.imap_port, box.imap_tls)
        async with slots:
            result = await login_test(
                smtp_endpoint, imap_endpoint, credentials, timeout_s=timeout_s, tls_context=tls_context
            )
        return MailboxTest(box.address, result)

    results = await asyncio.gather(*(one(b) for b in boxes))
    await _remember(boxes, results, clock.now())
    return list(results)


async def _remember(boxes: Sequence[Mailbox], results: Sequence[MailboxTest], now: dt.datetime) -> None:
    ids_ok = [b.id for b, r in zip(boxes, results, strict=True) if r.test.ok]
    if ids_ok:
        await Mailbox.filter(id__in=ids_ok).update(last_ok_at=now)
    for box, result in zip(boxes, results, strict=True):
        if not result.test.ok:
            key = result.test.smtp_key if not result.test.smtp_ok else result.test.imap_key
            await Mailbox.filter(id=box.id).update(last_error=f"{key}: login test failed", last_error_at=now)


async def _mailbox(actor: Actor, address: str, *, manage: bool) -> Mailbox:
    workspace_id = require_manager(actor) if manage else require_reader(actor)
    try:
        normalized = normalize_address(address).lower()
    except UserError:
        raise NotFound("error-mailbox-not-found", address=address) from None
    box = await Mailbox.get_or_none(address=normalized, workspace_id=workspace_id).prefetch_related("domain")
    if box is None:
        raise NotFound("error-mailbox-not-found", address=address)
    return box


def _domain_name(domain: str) -> str:
    return to_ascii(domain)  # the one IDN function; a bad name is `error-domain-invalid`


def _summary(box: Mailbox) -> MailboxSummary:
    return MailboxSummary(
        id=box.id,
        address=box.address,
        domain=box.domain.name,
        status=box.status,
        daily_cap=box.daily_cap,
        auth_failures=box.auth_failures,
        last_error=box.last_error,
        last_ok_at=box.last_ok_at,
    )


async def rotate_secrets(vault: Vault) -> int:
    """Re-encrypt every mailbox secret under the newest key, in one transaction; returns how many."""
    count = 0
    async with in_transaction():
        for mailbox in await Mailbox.all().select_for_update().only("id", "secret_enc"):
            await Mailbox.filter(id=mailbox.id).update(secret_enc=vault.rotate(mailbox.secret_enc))
            count += 1
    return count

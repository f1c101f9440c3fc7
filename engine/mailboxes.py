"""Mailboxes of a workspace: import from CSV (validated, login-tested, encrypted), list, show, pause, resume, test.

An import never half-writes: rows that fail validation or the login test are reported and not stored, and the
rows that pass are written in one transaction. Importing the same address again updates that mailbox.

The CSV has a header row. Columns (English or Russian names, any order, case-insensitive):
`address` (required; `Name <address>` as mail clients copy one gives its name as the display name when no
`display_name` cell does), `password` or `token` (exactly one), `provider` (yandex360, mailru, generic) and/or
`smtp_host`/`smtp_port`/`smtp_tls` and `imap_host`/`imap_port`/`imap_tls`, `display_name`, `username` (defaults to
the address), `ca` (the PEM of the CA that signed a private server's certificate; an empty cell: the default trust;
no column: keep what is stored). An app password copied in the groups of four it is shown in is tried without its
spaces when the servers refuse it with them. The file goes through `engine.uploads` (UTF-8, Windows-1251 or
UTF-16; binary and mixed encodings refused with line numbers); separators comma, semicolon or tab. A control
character in any cell (a PEM's line breaks in `ca` excepted) is a row error naming the row and the column.

Where the login tests may connect is the deployment's `MailPolicy` (mail ports only, no private hosts unless an
admin allows them); whom they trust is the system store, `MAIL_CA_FILE` and the row's own CA
(`engine.mail.tls`). A login test has three outcomes: it works, the server refused the login, or it could not be
checked (unreachable, TLS, certificate, timeout): the last is never reported as working.
"""

from __future__ import annotations

import asyncio
import collections
import csv
import dataclasses
import datetime as dt
import email.utils
import functools
import io
import itertools
import math
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final, Literal

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from engine.access import Actor, require_manager, require_reader
from engine.alerts import (
    DISABLED_ALERTS,
    INBOX_UNREACHABLE,
    INBOX_UNREADABLE_DISABLED,
    alert_fingerprint,
    hand_over,
    inbox_unread_fingerprints,
    resolve_alerts,
)
from engine.clock import Clock, local_time
from engine.crypto import Vault, VaultError
from engine.dns.names import to_ascii, to_unicode_address
from engine.errors import Conflict, NotFound, UserError
from engine.inbox import late_read_wait, unread_since
from engine.leads.columns import fold
from engine.lifecycle import state_name, transition_mailbox
from engine.mail import imap, smtp, tls
from engine.mail.classify import BounceReason
from engine.mail.message import named_address, normalize_address, stored_address
from engine.mail.providers import PRESETS, Credentials, Endpoint, default_port
from engine.mail.tls import MailPolicy
from engine.stats import counters, workspace_zone
from engine.uploads import OFF_LOOP_BYTES, decode_upload_async
from engine.warmup.graduation import period_weeks
from engine.warmup.ramp import resumed_start
from engine.warmup.settings import WarmupSettings
from models import Alert, AuditLog, Domain, Event, FolderState, Mailbox
from models.enums import AlertStatus, AuthKind, EventKind, MailboxStatus, MailProvider, StatScope, TlsMode

MAX_ROWS: Final = 5000
DEFAULT_TEST_TIMEOUT_S: Final = 20.0  # per mailbox and protocol; real providers answer in 1-3 s
DEFAULT_TEST_CONCURRENCY: Final = 20  # providers throttle logins from one IP; 20 at once stays polite

# column aliases -> canonical column, compared folded (`engine.leads.columns.fold`: "E-mail", "Эл. адрес ")
_ALIASES: Final[Mapping[str, str]] = {
    **dict.fromkeys(
        ["address", "email", "e_mail", "mailbox", "адрес", "почта", "ящик", "email_address", "электронная почта",
         "эл. почта", "эл. адрес", "электронный адрес", "адрес почты", "адрес ящика", "почтовый ящик"],
        "address",
    ),
    **dict.fromkeys(["password", "app_password", "пароль", "secret", "пароль приложения"], "password"),
    **dict.fromkeys(["token", "oauth_token", "access_token", "токен"], "token"),
    **dict.fromkeys(["provider", "провайдер", "сервис"], "provider"),
    **dict.fromkeys(["display_name", "name", "from_name", "имя", "отправитель", "имя отправителя"], "display_name"),
    **dict.fromkeys(["username", "login", "логин"], "username"),
    **{f"{p}_{k}": f"{p}_{k}" for p in ("smtp", "imap") for k in ("host", "port", "tls")},
    **{f"{p}_{ru}": f"{p}_{k}" for p in ("smtp", "imap") for ru, k in (("сервер", "host"), ("порт", "port"))},
    "smtp_security": "smtp_tls",
    "imap_security": "imap_tls",
    **dict.fromkeys(["ca", "ca_pem", "tls_ca", "ca_cert", "ca_certificate", "сертификат", "ca_сертификат"], "ca"),
}  # fmt: skip
_COLUMNS: Final[Mapping[str, str]] = {fold(alias): column for alias, column in _ALIASES.items()}
# Characters no cell may hold: C0/C1 controls (NUL, ESC, line breaks…), line/paragraph separators, and the bidi
# controls that make "evil.ru" display as something else. A PEM's line breaks are its format.
_FORBIDDEN_CATEGORIES: Final = frozenset({"Cc", "Zl", "Zp"})
_BIDI_CONTROLS: Final = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_MULTILINE_COLUMNS: Final = frozenset({"ca"})
_END: Final = "\x1e"  # a last line fed to the csv reader after the file: inside a quote it ends up in the cell
_REFUSED_KEYS: Final = frozenset(
    {"smtp-auth-failed", "smtp-auth-app-password", "smtp-auth-no-access", "smtp-auth-unavailable", "error-imap-auth"}
)  # the server answered and said no: the credentials (or the mailbox's settings) are wrong
_LIBRARY_WORDS: Final = frozenset(
    {
        "smtp-connect-refused",
        "smtp-connect-timeout",
        "smtp-connect-failed",
        "smtp-no-greeting",
        "smtp-host-unknown",
        "smtp-timeout",
        "smtp-disconnected",
        "smtp-starttls-unsupported",
        "smtp-protocol-error",
    }
)  # SMTP failures whose text (without a reply code) is aiosmtplib's or the OS's English, not the server's words
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
_GROUPED_APP_PASSWORD: Final = re.compile(r"[A-Za-z0-9]{4}(?: [A-Za-z0-9]{4}){3,4}")
"""An app password as Google and Yandex show it, in groups of four ("abcd efgh ijkl mnop"): copied with its spaces,
it is refused. A passphrase of four-letter words has the same shape, so the spaces are only dropped when the
password as written is refused and the one without them is not (`_test_rows`)."""


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
    ca_pem: str | None = None  # None: the file has no `ca` column (keep what is stored); "": the default trust

    @property
    def plaintext(self) -> tuple[str, ...]:
        return _plaintext(self.smtp, self.imap)


class LoginState(StrEnum):
    OK = "ok"  # both logins worked
    REFUSED = "refused"  # a server answered and refused the login
    UNCHECKED = "unchecked"  # could not be checked: not allowed, unreachable, TLS, certificate, timeout


@dataclass(frozen=True, slots=True)
class LoginTest:
    """SMTP and IMAP login results of one mailbox; keys name locale messages, params fill them."""

    smtp_ok: bool
    smtp_key: str
    smtp_params: Mapping[str, str]
    imap_ok: bool
    imap_key: str
    imap_params: Mapping[str, str]

    @property
    def ok(self) -> bool:
        return self.smtp_ok and self.imap_ok

    @property
    def smtp_state(self) -> LoginState:
        return _state(self.smtp_ok, self.smtp_key)

    @property
    def imap_state(self) -> LoginState:
        return _state(self.imap_ok, self.imap_key)

    @property
    def state(self) -> LoginState:
        """OK when both work; REFUSED when either server refused; else UNCHECKED (never OK by default)."""
        states = {self.smtp_state, self.imap_state}
        if states == {LoginState.OK}:
            return LoginState.OK
        return LoginState.REFUSED if LoginState.REFUSED in states else LoginState.UNCHECKED

    def error_text(self) -> str:
        """`key: the server's words` of the first failure, as stored in `Mailbox.last_error` (a card shows the key
        as a phrase of the catalogs and quotes the words). What the SMTP client library or the OS said in English
        about a connection of ours is not kept: the key says it, in the reader's language."""
        key, params = (self.smtp_key, self.smtp_params) if not self.smtp_ok else (self.imap_key, self.imap_params)
        words = params.get("text") or params.get("detail") or params.get("reason") or ""
        if key in _LIBRARY_WORDS and not params.get("code"):
            words = ""
        if "issuer" in params:
            words += f" ({params['issuer']})"
        return f"{key}: {words}" if words else key


@dataclass(frozen=True, slots=True)
class RowResult:
    """The outcome of one CSV row: `key` and `params` name its localized message."""

    row: int
    address: str
    status: RowStatus
    key: str
    params: Mapping[str, str] = field(default_factory=dict)
    test: LoginTest | None = None
    plaintext: tuple[str, ...] = ()  # protocols whose login goes unencrypted (TLS mode `plain`) on a stored row


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
    inbox_unread: bool = False  # (in a list) its inbox goes unread: the alert /health reads says so


@dataclass(frozen=True, slots=True)
class MailboxPage:
    items: tuple[MailboxSummary, ...]
    page: int
    pages: int
    total: int
    domain_id: int | None = None  # the filters it was read with (a page button carries them on)
    status: str | None = None


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
    own_ca: bool  # the mailbox trusts a CA of its own
    plaintext: tuple[str, ...]  # protocols whose login goes unencrypted
    check: LoginState | None  # the latest check (login test or inbox sync); None: never checked
    checked_at: dt.datetime | None
    check_error: str  # the server's words (or a code of ours: `mail-detail`) when the latest check failed
    check_key: str = ""  # what failed (`error-imap-connect`…): `engine.mail.problem_key` names it in words
    refused_today: tuple[tuple[str, int], ...] = ()  # why receivers refused us today: (BounceReason value, count)
    late_read: LateRead | None = None  # a disabled or retired mailbox's inbox failing to be read (not its login)
    tested: LoginSinceDisabled | None = None  # a disabled mailbox's latest login test since it was disabled
    inbox_read_at: dt.datetime | None = None  # its last good inbox sync (None: never read)
    spam_folder: str | None = None
    """The spam folder the sync reads (warmup mail is rescued from it); None once read: none was found, so what
    lands in spam there is never seen and the mail it gets measures no placement."""


@dataclass(frozen=True, slots=True)
class LoginSinceDisabled:
    """The latest login test (`/mailbox_test`) of a disabled mailbox since it was disabled, kept apart from why it
    was disabled (`MailboxSummary.last_error`, which the test no longer replaces): when, whether both logins worked,
    else what failed and the server's words, and whether it failed the way the mailbox was disabled for."""

    at: dt.datetime
    ok: bool
    key: str = ""
    words: str = ""
    same: bool = False


@dataclass(frozen=True, slots=True)
class LateRead:
    """Why the inbox of a mailbox that no longer sends, still read for the answers to what it sent, is not read:
    what failed (`error-imap-…`) and the server's words, when last tried, the failures in a row, the next try."""

    key: str
    words: str
    failed_at: dt.datetime
    failures: int
    next_at: dt.datetime


@dataclass(frozen=True, slots=True)
class MailboxTest:
    address: str
    test: LoginTest
    plaintext: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CaChange:
    """The outcome of `/mailbox_ca`: the login test with the new trust, and whether it was stored."""

    address: str
    test: LoginTest
    stored: bool
    certificates: int  # how many certificates the new CA bundle holds (0: back to the default trust)


def _state(ok: bool, key: str) -> LoginState:
    if ok:
        return LoginState.OK
    return LoginState.REFUSED if key in _REFUSED_KEYS else LoginState.UNCHECKED


def _plaintext(smtp_endpoint: Endpoint, imap_endpoint: Endpoint) -> tuple[str, ...]:
    pairs = (("SMTP", smtp_endpoint), ("IMAP", imap_endpoint))
    return tuple(name for name, endpoint in pairs if endpoint.tls is TlsMode.PLAIN)


# ------------------------------------------------------------------------------------------- CSV parsing (pure)


async def read_mailbox_csv(data: bytes) -> tuple[list[ImportRow], list[RowResult]]:
    """Decode and parse an uploaded mailbox CSV; size first, and a big file off the event loop."""
    text = await decode_upload_async(data)
    if len(data) <= OFF_LOOP_BYTES:
        return parse_mailbox_text(text)
    return await asyncio.to_thread(parse_mailbox_text, text)


def parse_mailbox_text(text: str) -> tuple[list[ImportRow], list[RowResult]]:
    """Validate every row of a mailbox CSV; rows are numbered by their line in the file (the header is line 1).

    Raises `UserError` only for the file as a whole (`error-import-empty`; `error-import-no-header` and
    `error-import-no-rows`, naming the headers found; `error-import-header-is-row`, the first line is a mailbox:
    only its address is named; `error-import-too-many-rows`; `error-import-unclosed-quote`, with the line the
    record began on; `error-import-csv-broken`); every row problem is a `RowResult` with status INVALID.
    """
    if not text.strip():
        raise UserError("error-import-empty")
    lines = itertools.chain(io.StringIO(text, newline=""), (_END,))
    reader = csv.reader(lines, dialect=_dialect(text))
    try:
        return _parse_rows(_records(reader))
    except csv.Error:  # an unterminated quote swallowing the rest of the file, a cell beyond csv's size limit
        raise UserError("error-import-csv-broken", line=str(reader.line_num)) from None


def _records(reader: Any) -> Iterator[tuple[int, list[str]]]:
    """The reader's records with the line each begins on (a quoted cell with a line break spans several lines: the
    row is named by its first, where its address is), the sentinel line after the file left out. A quote still open
    at the end of the file
    is refused with the line its record began on: read as one cell, it would swallow the rows after it unreported
    (and show their passwords as the cell's text)."""
    while True:
        start = reader.line_num + 1
        try:
            cells: list[str] = next(reader)
        except StopIteration:
            return
        if cells == [_END]:
            return
        if cells and cells[-1].endswith(_END):
            raise UserError("error-import-unclosed-quote", line=str(start))
        yield start, cells


def _parse_rows(records: Iterator[tuple[int, list[str]]]) -> tuple[list[ImportRow], list[RowResult]]:
    header_row = next((row for _, row in records if any(cell.strip() for cell in row)), None)
    names = [cell.strip().strip("\ufeff") for cell in header_row or []]
    columns = [_COLUMNS.get(_column_name(cell)) for cell in names]
    found = ", ".join(_shown(name) for name in names if name)[:300] or "—"
    if "address" not in columns or not {"password", "token"} & set(columns):
        if first := next((a for cell in names if (a := stored_address(cell))), ""):  # a mailbox, with its secret
            raise UserError("error-import-header-is-row", address=to_unicode_address(first))  # never echoed
        raise UserError("error-import-no-header", headers=found)
    titles = {col: names[i] for i, col in reversed(list(enumerate(columns))) if col}  # as the file names them
    address_at = columns.index("address")
    valid: list[ImportRow] = []
    invalid: list[RowResult] = []
    seen: dict[str, int] = {}
    for line, cells in records:
        if not any(cell.strip() for cell in cells):
            continue
        if len(valid) + len(invalid) >= MAX_ROWS:
            raise UserError("error-import-too-many-rows", limit=str(MAX_ROWS))
        if len(cells) > len(columns) and any(cell.strip() for cell in cells[len(columns) :]):
            # the cells are shifted, so any of them may be a piece of a secret: the address only if it is one
            invalid.append(_invalid(line, stored_address(cells[address_at]) or "", "error-import-row-malformed"))
            continue
        values = {col: cells[i].strip() for i, col in enumerate(columns) if col and i < len(cells)}
        bad = [(names[i], c) for i, col in enumerate(columns[: len(cells)]) if col and (c := _forbidden(col, cells[i]))]
        if bad:
            column, code = bad[0]  # a line break in a quoted cell may have joined a secret to it: the address only
            address = stored_address(values.get("address", "")) or ""
            key = "error-import-line-break" if code in _LINE_BREAKS else "error-import-control-char"
            invalid.append(_invalid(line, address, key, column=column, char=code))
            continue
        outcome = _validate(line, values, titles)
        if isinstance(outcome, ImportRow) and outcome.address in seen:
            outcome = _invalid(line, outcome.address, "error-import-duplicate", first=str(seen[outcome.address]))
        if isinstance(outcome, ImportRow):
            seen[outcome.address] = line
            valid.append(outcome)
        else:
            invalid.append(outcome)
    if not valid and not invalid:  # a header alone: say so, never "added 0" as if it had worked
        raise UserError("error-import-no-rows", headers=found)
    return valid, invalid


_LINE_BREAKS: Final = frozenset({"U+000A", "U+000D"})
"""A line break in a quoted cell (a password or a name copied with its Enter): said as such, not as a code."""


def _forbidden(column: str, cell: str) -> str | None:
    """The first character `cell` may not hold, as `U+XXXX`; None when it is clean."""
    allowed = "\r\n" if column in _MULTILINE_COLUMNS else ""
    for ch in cell:
        if ch in allowed:
            continue
        if ch in _BIDI_CONTROLS or unicodedata.category(ch) in _FORBIDDEN_CATEGORIES:
            return f"U+{ord(ch):04X}"
    return None


def _shown(value: str) -> str:
    """A cell fit to be quoted back in a reply: controls dropped, bounded."""
    return "".join(ch for ch in value if ch.isprintable())[:100]


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
    return fold(cell.strip("\ufeff"))


def _address_shown(value: str) -> str:
    """An address cell that is no address, as a reply may quote it: whole when it has an @ (a mistyped address),
    else its first characters only — in a file whose columns are not where its header says, it may be a password."""
    return value if "@" in value or len(value) <= _SHOWN_PREFIX else value[:_SHOWN_PREFIX] + "…"


_SHOWN_PREFIX: Final = 3


def _invalid(line: int, address: str, key: str, **params: str) -> RowResult:
    return RowResult(line, address, RowStatus.INVALID, key, params)


def _validate(  # noqa: PLR0911 - one exit per rule
    line: int, values: Mapping[str, str], titles: Mapping[str, str]
) -> ImportRow | RowResult:
    raw_address = values.get("address", "")
    if not raw_address:  # an empty cell is a missing field, not an address that is wrong: name its column
        return _invalid(line, "", "error-import-field-missing", column=titles.get("address", "address"))
    name, raw_address = _named(raw_address)
    try:
        address = normalize_address(raw_address).lower()
    except UserError as bad:
        latin = bad.key == "message-address-local-not-latin"  # the part before @ must be Latin: say so
        key = "error-import-address-not-latin" if latin else "error-import-address-invalid"
        shown = _address_shown(raw_address)
        return _invalid(line, shown, key, value=shown)
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
    try:
        ca_pem = _normalized_ca(values["ca"]) if "ca" in values else None
    except UserError as bad:
        return _invalid(line, address, bad.key, **{k: str(v) for k, v in bad.params.items()})
    return ImportRow(
        row=line,
        address=address,
        secret=token or password,
        auth_kind=auth_kind,
        provider=provider,
        smtp=smtp_endpoint,
        imap=imap_endpoint,
        username=values.get("username") or address,
        display_name=(values.get("display_name") or name)[:200],
        ca_pem=ca_pem,
    )


def _named(cell: str) -> tuple[str, str]:
    """An address cell as a mail client copies it, `Anna Petrova <anna@acme.ru>`: the name (the mailbox's display
    name when the file has no column for it) and the address; any other cell is the address alone."""
    text = cell.strip()
    if not (text.endswith(">") and "<" in text):
        return "", cell
    name, address = email.utils.parseaddr(text)
    return (name.strip(), address) if address else ("", cell)


@functools.lru_cache(maxsize=32)
def _normalized_ca(text: str) -> str:
    """`tls.normalize_ca_pem`, once per distinct text: a fleet's rows usually share one CA."""
    return tls.normalize_ca_pem(text)


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


_NO_FAILURES: Final = {
    "auth_failures": 0, "smtp_auth_failures": 0, "imap_auth_failures": 0,
    "read_failures": 0, "read_error": "", "read_error_at": None,
}  # fmt: skip
"""A login test passed, or a person resumed the mailbox: every count of refused logins starts again, and so do the
failed inbox reads of a disabled mailbox (the next sweep reads it, not the one after its back-off)."""


async def import_mailboxes(
    actor: Actor,
    data: bytes,
    *,
    clock: Clock,
    vault: Vault,
    policy: MailPolicy | None = None,
    test: bool = True,
    timeout_s: float = DEFAULT_TEST_TIMEOUT_S,
    concurrency: int = DEFAULT_TEST_CONCURRENCY,
) -> ImportReport:
    """Import mailboxes from a CSV into the actor's workspace (see the module docstring for the format).

    Rows whose ports or hosts `policy` does not allow are refused (`error-mail-port-not-allowed`,
    `error-mail-host-private`). Each remaining row's SMTP and IMAP logins are tested concurrently (unless `test`
    is False), trusting the system store, the policy's CA file and the row's own CA; only rows that pass are
    stored, all in one transaction, with the secret encrypted. Raises `Forbidden` for non-managers and
    `UserError` (`error-upload-*`, `error-import-*`) for an unusable file; everything row-specific is in the
    report.
    """
    workspace_id = require_manager(actor)
    rules = policy or MailPolicy()
    rows, results = await read_mailbox_csv(data)
    rows, refused = await _check_ownership(workspace_id, rows)
    results += refused
    rows, refused, reaches = await _check_reach(rows, rules)
    results += refused
    tested = await _test_rows(rows, reaches, policy=rules, timeout_s=timeout_s, concurrency=concurrency) if test else {}
    rows = [tested[r.row][0] if r.row in tested else r for r in rows]  # an app password may have lost its spaces
    tests = {line: result for line, (_, result) in tested.items()}
    passing = [r for r in rows if r.row not in tests or tests[r.row].ok]
    results += [
        RowResult(r.row, r.address, RowStatus.FAILED, _failed_key(tests[r.row]), test=tests[r.row])
        for r in rows
        if r.row in tests and not tests[r.row].ok
    ]
    results += await _store(workspace_id, passing, tests, vault=vault, now=clock.now(), actor_id=actor.person_id)
    return ImportReport(rows=tuple(sorted(results, key=lambda r: r.row)))


def _failed_key(test: LoginTest) -> str:
    return "error-import-login-failed" if test.state is LoginState.REFUSED else "error-import-login-unchecked"


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


_Reaches = Mapping[Endpoint, tls.Reach]


async def _check_reach(rows: list[ImportRow], policy: MailPolicy) -> tuple[list[ImportRow], list[RowResult], _Reaches]:
    """Refuse rows with a port or host the policy does not allow. Each distinct endpoint is resolved and judged
    once; the verdicts (with the vetted addresses) go on to the login tests, which connect to those addresses."""
    endpoints = list(dict.fromkeys(e for r in rows for e in (r.smtp, r.imap)))
    reaches = dict(zip(endpoints, await asyncio.gather(*(tls.vet(e, policy) for e in endpoints)), strict=True))
    kept: list[ImportRow] = []
    refused: list[RowResult] = []
    for row in rows:
        verdict = reaches[row.smtp].refusal or reaches[row.imap].refusal
        if verdict is None:
            kept.append(row)
        else:
            refused.append(_invalid(row.row, row.address, verdict.key, **verdict.params))
    return kept, refused, reaches


async def _test_rows(
    rows: Sequence[ImportRow], reaches: _Reaches, *, policy: MailPolicy, timeout_s: float, concurrency: int
) -> dict[int, tuple[ImportRow, LoginTest]]:
    """The login test of each row, by line: the row as it is to be stored (a grouped app password refused with
    its spaces and accepted without them is stored without them) and its result."""
    slots = asyncio.Semaphore(concurrency)

    async def test(row: ImportRow, secret: str) -> LoginTest:
        return await login_test(
            row.smtp,
            row.imap,
            Credentials(row.username, row.auth_kind, secret),
            policy=policy,
            ca_pem=row.ca_pem or "",
            timeout_s=timeout_s,
            reaches=(reaches[row.smtp], reaches[row.imap]),
        )

    async def one(row: ImportRow) -> tuple[int, tuple[ImportRow, LoginTest]]:
        async with slots:
            result = await test(row, row.secret)
            grouped = row.auth_kind is AuthKind.PASSWORD and _GROUPED_APP_PASSWORD.fullmatch(row.secret)
            if grouped and result.state is LoginState.REFUSED:
                whole = row.secret.replace(" ", "")
                retried = await test(row, whole)
                if retried.state is not LoginState.REFUSED:
                    return row.row, (dataclasses.replace(row, secret=whole), retried)
        return row.row, (row, result)

    return dict(await asyncio.gather(*(one(r) for r in rows)))


async def login_test(
    smtp_endpoint: Endpoint,
    imap_endpoint: Endpoint,
    credentials: Credentials,
    *,
    policy: MailPolicy,
    ca_pem: str = "",
    timeout_s: float,
    reaches: tuple[tls.Reach, tls.Reach] | None = None,
) -> LoginTest:
    """SMTP AUTH and IMAP LOGIN of one mailbox at the same time, each within `timeout_s`.

    Each endpoint is vetted by `policy` once (or `reaches` holds the verdicts already made, SMTP then IMAP); an
    endpoint the policy refuses is not connected to (its result says why), and an allowed one is connected to
    at its vetted address, never at a second resolution of its name. An untrusted certificate is fetched once
    more, unverified, so the result can name its issuer (`mail-certificate-untrusted`).
    """
    if reaches is None:
        smtp_reach, imap_reach = await asyncio.gather(tls.vet(smtp_endpoint, policy), tls.vet(imap_endpoint, policy))
    else:
        smtp_reach, imap_reach = reaches
    context = policy.context(ca_pem)
    smtp_part, imap_part = await asyncio.gather(
        _smtp_part(smtp_reach, credentials, context=context, timeout_s=timeout_s),
        _imap_part(imap_reach, credentials, context=context, timeout_s=timeout_s),
    )
    return LoginTest(*smtp_part, *imap_part)


_Part = tuple[bool, str, dict[str, str]]


async def _smtp_part(reach: tls.Reach, credentials: Credentials, *, context: Any, timeout_s: float) -> _Part:
    endpoint = reach.endpoint
    if reach.refusal is not None:
        return False, reach.refusal.key, reach.refusal.params
    result = await smtp.check_login(
        endpoint, credentials, timeout=timeout_s, tls_context=context, addresses=reach.addresses
    )
    # the server's words end a clause of ours ("…: {text}. The mailbox needs…"): their own full stop would double it
    params = result.params() | {"text": _words(result.text), "host": endpoint.host, "port": str(endpoint.port)}
    if result.key == "smtp-tls-certificate":
        return False, *await _untrusted(reach, "smtp", result.text, timeout_s)
    return result.ok, result.key, params


async def _imap_part(reach: tls.Reach, credentials: Credentials, *, context: Any, timeout_s: float) -> _Part:
    endpoint = reach.endpoint
    if reach.refusal is not None:
        return False, reach.refusal.key, reach.refusal.params
    result = await imap.check_login(
        endpoint, credentials, timeout=timeout_s, ssl_context=context, addresses=reach.addresses
    )
    if result.key == "error-imap-certificate":
        return False, *await _untrusted(reach, "imap", result.detail, timeout_s)
    return result.ok, result.key, {"detail": _words(result.detail), "host": endpoint.host, "port": str(endpoint.port)}


def _words(text: str) -> str:
    """A server's words as they go inside a sentence of ours: `Authentication failed.` → `Authentication failed`."""
    return text.rstrip(" .")


async def _untrusted(
    reach: tls.Reach, protocol: Literal["smtp", "imap"], reason: str, timeout_s: float
) -> tuple[str, dict[str, str]]:
    """The certificate message: who issued the certificate, which host we asked for, what OpenSSL said."""
    endpoint = reach.endpoint
    info = await tls.peer_certificate(endpoint, protocol, timeout_s=timeout_s, addresses=reach.addresses)
    reason = reason.removeprefix("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: ")
    params = {
        "issuer": info.issuer if info else "?",
        "names": ", ".join(info.names) if info and info.names else "?",
        "host": endpoint.host,
        "port": str(endpoint.port),
        "reason": reason.split(" (_ssl.c")[0],
    }
    return "mail-certificate-untrusted", params


async def _store(
    workspace_id: int,
    rows: Sequence[ImportRow],
    tests: Mapping[int, LoginTest],
    *,
    vault: Vault,
    now: dt.datetime,
    actor_id: int | None = None,
) -> list[RowResult]:
    """Create or update every passing row in one transaction."""
    if not rows:
        return []
    domain_ids = dict(await Domain.filter(workspace_id=workspace_id).values_list("name", "id"))
    results: list[RowResult] = []
    tested: list[AuditLog] = []
    try:
        async with in_transaction():
            existing = {
                m.address: m for m in await Mailbox.filter(address__in=[r.address for r in rows]).select_for_update()
            }
            for row in rows:
                values = _mailbox_values(row, vault)
                if row.row in tests:  # a login that just worked: the stored credentials are proven
                    values |= {"last_ok_at": now, "last_error": "", "last_error_at": None, **_NO_FAILURES}
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
                    if row.row in tests and current.status is MailboxStatus.DISABLED:
                        # it stays disabled until a person resumes it: its card keeps why, and says the logins
                        # work now apart, as after `/mailbox_test`
                        del values["last_error"], values["last_error_at"]
                        tested.append(_test_entry(current, tests[row.row], now, actor_id))
                    await Mailbox.filter(id=current.id).update(**values)
                    results.append(RowResult(row.row, row.address, RowStatus.UPDATED, "mailbox-import-updated"))
            if tested:
                await AuditLog.bulk_create(tested)
    except IntegrityError:  # another import created one of these addresses meanwhile: nothing was written
        raise Conflict("error-import-concurrent") from None
    plaintext = {r.row: r.plaintext for r in rows}
    return [
        RowResult(r.row, r.address, r.status, r.key, test=tests.get(r.row), plaintext=plaintext[r.row]) for r in results
    ]


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
    } | ({"tls_ca_pem": row.ca_pem} if row.ca_pem is not None else {})


# ------------------------------------------------------------------------------------------- other services


async def list_mailboxes(
    actor: Actor,
    *,
    page: int = 1,
    per_page: int = 20,
    domain: str | None = None,
    domain_id: int | None = None,
    status: str | None = None,
) -> MailboxPage:
    """Mailboxes of the actor's workspace, by address, optionally of one domain (by name or id) and/or one
    status. Raises `NotFound` `error-domain-not-found` for a domain name the workspace does not have."""
    workspace_id = require_reader(actor)
    query = Mailbox.filter(workspace_id=workspace_id)
    if domain:
        named = await Domain.get_or_none(workspace_id=workspace_id, name=_domain_name(domain))
        if named is None:  # a typo is said, not answered with an empty list
            raise NotFound("error-domain-not-found", name=domain)
        domain_id = named.id
    if domain_id is not None:
        query = query.filter(domain_id=domain_id)
    chosen: MailboxStatus | None = None
    if status:
        try:
            chosen = MailboxStatus(status.strip().lower())
        except ValueError:
            raise UserError("error-mailbox-status-unknown", status=status) from None
        query = query.filter(status=chosen)
    total = await query.count()
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    boxes = await query.order_by("address").offset((page - 1) * per_page).limit(per_page).prefetch_related("domain")
    unread = await _inbox_unread(workspace_id, boxes)
    return MailboxPage(
        items=tuple(dataclasses.replace(_summary(b), inbox_unread=b.id in unread) for b in boxes),
        page=page,
        pages=pages,
        total=total,
        domain_id=domain_id or None,
        status=chosen.value if chosen else None,
    )


async def _inbox_unread(workspace_id: int, boxes: Sequence[Mailbox]) -> set[int]:
    """Which of `boxes` have an inbox that goes unread: an unresolved `inbox_unreachable` or, disabled, its
    `inbox_unreadable_disabled` (as /health reads it)."""
    by_fingerprint = {fp: b.id for b in boxes for fp in inbox_unread_fingerprints(workspace_id, b.id)}
    if not by_fingerprint:
        return set()
    found = await Alert.filter(fingerprint__in=list(by_fingerprint)).exclude(status=AlertStatus.RESOLVED)
    return {by_fingerprint[a.fingerprint] for a in found}


async def show_mailbox(actor: Actor, address: str, *, clock: Clock) -> MailboxDetails:
    """Status, caps, last error and today's counters of one mailbox."""
    box = await _mailbox(actor, address, manage=False)
    zone = await workspace_zone(box.workspace_id)
    today = clock.now().astimezone(zone).date()
    smtp_endpoint, imap_endpoint = _endpoints(box)
    check, checked_at, check_key, check_error = latest_check(box)
    start = dt.datetime.combine(today, dt.time(), zone)
    end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), zone)
    return MailboxDetails(
        summary=_summary(box),
        provider=box.provider,
        display_name=box.display_name,
        smtp=smtp_endpoint,
        imap=imap_endpoint,
        provider_daily_limit=PRESETS[box.provider].provider_daily_limit,
        cooldown_until=box.cooldown_until,
        warmup_started_on=box.warmup_started_on,
        warmup_weeks=(await period_weeks([box.workspace_id])).get(box.workspace_id, WarmupSettings().weeks),
        last_error_at=box.last_error_at,
        today=await counters(StatScope.MAILBOX, box.id, today),
        own_ca=bool(box.tls_ca_pem),
        plaintext=_plaintext(smtp_endpoint, imap_endpoint),
        check=check,
        checked_at=checked_at,
        check_error=check_error,
        check_key=check_key,
        refused_today=await _refusal_reasons(box.id, start, end),
        late_read=_late_read(box),
        tested=await _tested_since_disabled(box),
        inbox_read_at=box.last_ok_at,
        spam_folder=await _spam_folder(box.id),
    )


async def _spam_folder(mailbox_id: int) -> str | None:
    """The spam folder the inbox sync keeps a position for (the one folder besides INBOX it reads), if any."""
    folders = await FolderState.filter(mailbox_id=mailbox_id).exclude(folder="INBOX").values_list("folder", flat=True)
    return str(folders[0]) if folders else None


TEST_AUDIT: Final = "mailbox.test"
"""The audit entry of a disabled mailbox's login test: its result, which the card shows apart from the cause."""


async def _tested_since_disabled(box: Mailbox) -> LoginSinceDisabled | None:
    if box.status is not MailboxStatus.DISABLED or box.status_changed_at is None:
        return None
    entry = (
        await AuditLog.filter(
            workspace_id=box.workspace_id,
            created_at__gte=box.status_changed_at,
            action=TEST_AUDIT,
            subject=f"mailbox:{box.id}",
        )
        .order_by("-created_at", "-id")
        .first()
    )
    if entry is None:
        return None
    if entry.data.get("ok"):
        return LoginSinceDisabled(entry.created_at, ok=True)
    key, words = split_error(str(entry.data.get("error") or ""))
    return LoginSinceDisabled(
        entry.created_at, ok=False, key=key, words=words, same=key == split_error(box.last_error)[0]
    )


def _late_read(box: Mailbox) -> LateRead | None:
    if box.read_failures <= 0 or box.read_error_at is None:
        return None
    key, words = split_error(box.read_error)
    next_at = box.read_error_at + late_read_wait(box.read_failures)
    return LateRead(key, words, box.read_error_at, box.read_failures, next_at)


_REASONS: Final = frozenset(r.value for r in BounceReason)
_REASONS_READ: Final = 1000  # a mailbox sends a few hundred a day at most; the latest refusals tell the story


async def _refusal_reasons(mailbox_id: int, start: dt.datetime, end: dt.datetime) -> tuple[tuple[str, int], ...]:
    """Today's block bounces of a mailbox (the receiver refused us) by reason, most frequent first."""
    datas = (
        await Event.filter(
            mailbox_id=mailbox_id, kind=EventKind.BOUNCE_BLOCK, occurred_at__gte=start, occurred_at__lt=end
        )
        .order_by("-occurred_at")
        .limit(_REASONS_READ)
        .values_list("data", flat=True)
    )
    found = collections.Counter(
        reason
        if isinstance(data, dict) and (reason := data.get("reason")) in _REASONS
        else BounceReason.UNDEFINED.value
        for data in datas
    )
    return tuple(sorted(found.items(), key=lambda item: (-item[1], item[0])))


async def pause_mailbox(actor: Actor, address: str, *, clock: Clock) -> MailboxSummary:
    """Stop sending from a mailbox (inbox sync goes on: replies still matter)."""
    box = await _mailbox(actor, address, manage=True)
    await transition_mailbox(
        box, MailboxStatus.PAUSED, clock=clock, reason="paused by a person", actor_id=actor.person_id
    )
    return _summary(box)


async def resume_mailbox(actor: Actor, address: str, *, clock: Clock) -> MailboxSummary:
    """Resume a paused or disabled mailbox: active when it had graduated from warmup, else warming — only the
    graduation gate (`engine.warmup.graduation`) sends a mailbox to campaigns. A warming mailbox continues its
    ramp where it stopped: its warmup start moves forward by the days it stood still (`ramp.resumed_start`)."""
    box = await _mailbox(actor, address, manage=True)
    if box.status not in {MailboxStatus.PAUSED, MailboxStatus.DISABLED}:
        raise Conflict(
            "error-mailbox-not-paused",
            address=to_unicode_address(box.address),
            status=state_name("mailbox", box.status),
        )
    target = MailboxStatus.ACTIVE if box.graduated_at is not None else MailboxStatus.WARMING
    extra: dict[str, Any] = dict(_NO_FAILURES)
    stopped = box.status_changed_at
    if target is MailboxStatus.WARMING and box.warmup_started_on is not None and stopped is not None:
        if box.warmup_paused_at is not None:  # its warmup stays paused: `/warmup_start` moves the start, from then
            extra["warmup_paused_at"] = min(box.warmup_paused_at, stopped)
        else:
            zone = await workspace_zone(box.workspace_id)
            extra["warmup_started_on"] = resumed_start(
                started_on=box.warmup_started_on,
                stopped_on=stopped.astimezone(zone).date(),
                today=clock.now().astimezone(zone).date(),
            )
    was = box.status
    box_unread = box.read_failures > 0  # its inbox could not be read at its last tries: not a fixed problem
    await transition_mailbox(
        box, target, clock=clock, reason="resumed by a person", actor_id=actor.person_id, extra=extra
    )
    if was is MailboxStatus.DISABLED:  # a person fixed it: the next disable is a new problem, announced again
        if box_unread:
            await _still_unread(box, clock)
        for kind in DISABLED_ALERTS:
            await resolve_alerts(kind, f"mailbox:{box.id}", workspace_id=box.workspace_id, clock=clock)
    return _summary(box)


async def _still_unread(box: Mailbox, clock: Clock) -> None:
    """A disabled mailbox resumed while its inbox could not be read: its `inbox_unreadable_disabled` alert becomes
    the `inbox_unreachable` of a sending mailbox, in place (not announced as resolved: the server is still down, nor
    as new), so the outbox holds its campaign sends from now on — not only once two more sweeps have failed — and a
    good read resolves it."""
    subject = f"mailbox:{box.id}"
    late = alert_fingerprint(INBOX_UNREADABLE_DISABLED, subject, "imap", box.workspace_id)
    alert = await Alert.filter(fingerprint=late).exclude(status=AlertStatus.RESOLVED).first()
    if alert is None:
        return
    zone = await workspace_zone(box.workspace_id)
    data = {
        **(alert.data or {}),
        "mailbox": box.address,
        "read": "before" if box.last_ok_at else "never",
        "since": (alert.data or {}).get("since") or local_time(unread_since(box.last_ok_at, box.created_at), zone),
    }
    await hand_over(late, kind=INBOX_UNREACHABLE, severity=alert.severity, key="imap", data=data, now=clock.now())


async def check_mailboxes(
    actor: Actor,
    which: str,
    *,
    clock: Clock,
    vault: Vault,
    policy: MailPolicy | None = None,
    timeout_s: float = DEFAULT_TEST_TIMEOUT_S,
    concurrency: int = DEFAULT_TEST_CONCURRENCY,
) -> list[MailboxTest]:
    """Test SMTP and IMAP login of one mailbox (`which` = its address) or of every mailbox (`which` = "all");
    remembers the outcome as the mailbox's last success or last error ("could not check" is an error too)."""
    workspace_id = require_manager(actor)
    rules = policy or MailPolicy()
    if which.strip().lower() == "all":
        boxes = (
            await Mailbox.filter(workspace_id=workspace_id).exclude(status=MailboxStatus.RETIRED).order_by("address")
        )
    else:
        boxes = [await _mailbox(actor, which, manage=True)]
    slots = asyncio.Semaphore(concurrency)

    async def one(box: Mailbox) -> MailboxTest:
        smtp_endpoint, imap_endpoint = _endpoints(box)
        plaintext = _plaintext(smtp_endpoint, imap_endpoint)
        try:
            secret = vault.decrypt(box.secret_enc)
        except VaultError:
            failed = LoginTest(False, "error-mailbox-secret", {}, False, "error-mailbox-secret", {})
            return MailboxTest(box.address, failed, plaintext)
        credentials = Credentials(box.username, box.auth_kind, secret)
        async with slots:
            result = await login_test(
                smtp_endpoint, imap_endpoint, credentials, policy=rules, ca_pem=box.tls_ca_pem, timeout_s=timeout_s
            )
        return MailboxTest(box.address, result, plaintext)

    results = await asyncio.gather(*(one(b) for b in boxes))
    await _remember(boxes, results, clock.now(), actor_id=actor.person_id)
    return list(results)


async def set_mailbox_ca(
    actor: Actor,
    address: str,
    pem: bytes | None,
    *,
    clock: Clock,
    vault: Vault,
    policy: MailPolicy | None = None,
    timeout_s: float = DEFAULT_TEST_TIMEOUT_S,
) -> CaChange:
    """Trust the CA certificates in `pem` (a PEM file; None: back to the default trust) for one mailbox.

    The logins are tested with the new trust first; it is stored only if both work, so a wrong CA never
    replaces a working one. Raises `NotFound`/`Forbidden` and `UserError` (`error-upload-*`, `error-ca-*`).
    """
    box = await _mailbox(actor, address, manage=True)
    ca_pem = tls.normalize_ca_pem(await decode_upload_async(pem, max_bytes=tls.MAX_CA_PEM_BYTES)) if pem else ""
    if pem and not ca_pem:
        raise UserError("error-ca-invalid")
    try:
        secret = vault.decrypt(box.secret_enc)
    except VaultError:
        raise UserError("error-mailbox-secret") from None
    smtp_endpoint, imap_endpoint = _endpoints(box)
    credentials = Credentials(box.username, box.auth_kind, secret)
    test = await login_test(
        smtp_endpoint, imap_endpoint, credentials, policy=policy or MailPolicy(), ca_pem=ca_pem, timeout_s=timeout_s
    )
    now = clock.now()
    if test.ok:
        await Mailbox.filter(id=box.id).update(tls_ca_pem=ca_pem, last_ok_at=now, last_error="", last_error_at=None)
    else:
        await Mailbox.filter(id=box.id).update(last_error=test.error_text()[:1000], last_error_at=now)
    return CaChange(box.address, test, stored=test.ok, certificates=ca_pem.count("-----BEGIN CERTIFICATE-----"))


def _endpoints(box: Mailbox) -> tuple[Endpoint, Endpoint]:
    return Endpoint(box.smtp_host, box.smtp_port, box.smtp_tls), Endpoint(box.imap_host, box.imap_port, box.imap_tls)


async def _remember(
    boxes: Sequence[Mailbox], results: Sequence[MailboxTest], now: dt.datetime, *, actor_id: int | None = None
) -> None:
    """Keep each test's outcome as the mailbox's last success or last error — but a disabled mailbox keeps the error
    it was disabled for (its card says why it sends nothing): its test's result is an audit entry of its own
    (`TEST_AUDIT`), shown apart on the card."""
    pairs = list(zip(boxes, results, strict=True))
    disabled = {b.id for b, _ in pairs if b.status is MailboxStatus.DISABLED}
    ids_ok = [b.id for b, r in pairs if r.test.ok]
    if ids_ok:  # both logins worked: whatever failed before (SMTP's errors included) is disproved
        # the IMAP login proven, a disabled mailbox is read for late answers again (a refused one was left alone for
        # good); it keeps the count it was disabled for, as an inbox read leaves it (`engine.inbox._mark_ok`)
        await Mailbox.filter(id__in=ids_ok).update(
            last_ok_at=now, read_failures=0, read_error="", read_error_at=None, imap_auth_failures=0
        )
        await Mailbox.filter(id__in=[i for i in ids_ok if i not in disabled]).update(
            last_error="", last_error_at=None, **_NO_FAILURES
        )
    for box, result in pairs:
        if not result.test.ok and box.id not in disabled:
            await Mailbox.filter(id=box.id).update(last_error=result.test.error_text()[:1000], last_error_at=now)
    if disabled:
        await AuditLog.bulk_create(
            [_test_entry(box, result.test, now, actor_id) for box, result in pairs if box.id in disabled]
        )


def _test_entry(box: Mailbox, test: LoginTest, now: dt.datetime, actor_id: int | None) -> AuditLog:
    """The audit entry of a disabled mailbox's login test (`TEST_AUDIT`), which its card shows apart."""
    return AuditLog(
        workspace_id=box.workspace_id,
        actor_id=actor_id,
        action=TEST_AUDIT,
        subject=f"mailbox:{box.id}",
        data={"ok": test.ok, "error": "" if test.ok else test.error_text()[:1000]},
        created_at=now,
    )


def split_error(text: str) -> tuple[str, str]:
    """A stored `Mailbox.last_error` (`key: words`) as what failed and the words quoted (maybe none)."""
    key, _, words = text.partition(": ")
    return key, words


def latest_check(box: Mailbox) -> tuple[LoginState | None, dt.datetime | None, str, str]:
    """The latest check of a mailbox (login test or inbox sync): its state, when, what failed (a catalog key) and
    the server's words (or a code of ours, `mail-detail`); "" and "" when it worked.

    An error stays current until something disproves it. A later success proves only what it tried: an inbox
    sync (which sets `last_ok_at` and clears IMAP's own errors) says nothing about SMTP, so an SMTP or reach
    error is current until a login test of both sides works (which clears it).
    """
    error_at = box.last_error_at
    imap_error = box.last_error.startswith("error-imap-")
    if error_at is not None and (box.last_ok_at is None or error_at >= box.last_ok_at or not imap_error):
        key, words = split_error(box.last_error)
        state = LoginState.REFUSED if key in _REFUSED_KEYS else LoginState.UNCHECKED
        return state, box.last_error_at, key, words
    if box.last_ok_at is not None:
        return LoginState.OK, box.last_ok_at, "", ""
    return None, None, "", ""


async def _mailbox(actor: Actor, address: str, *, manage: bool) -> Mailbox:
    workspace_id = require_manager(actor) if manage else require_reader(actor)
    normalized = named_address(address)
    if normalized is None:
        raise NotFound("error-mailbox-not-found", address=address)
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


KEY_CHECK_SAMPLE = 20  # the newest stored secrets a starting process tries its keys on: cheap, and enough to tell


async def secrets_opened(vault: Vault, sample: int = KEY_CHECK_SAMPLE) -> tuple[int, int]:
    """How many of the newest `sample` stored mailbox secrets `vault` opens, of how many there are to try: (0, n)
    with n > 0 means ENCRYPTION_KEYS lacks the key they were encrypted with."""
    rows = await Mailbox.all().order_by("-id").limit(sample).only("id", "secret_enc")
    opened = 0
    for mailbox in rows:
        try:
            vault.decrypt(mailbox.secret_enc)
        except VaultError:
            continue
        opened += 1
    return opened, len(rows)


async def rotate_secrets(vault: Vault) -> int:
    """Re-encrypt every mailbox secret under the newest key, in one transaction; returns how many.

    Raises `VaultError` when a secret opens with none of the keys (the old key left out of `ENCRYPTION_KEYS`,
    say), naming how many and the first few mailboxes by address: then nothing at all is re-encrypted."""
    count = 0
    unreadable: list[str] = []
    async with in_transaction():
        for mailbox in await Mailbox.all().select_for_update().order_by("id").only("id", "address", "secret_enc"):
            try:
                rotated = vault.rotate(mailbox.secret_enc)
            except VaultError:
                unreadable.append(mailbox.address)
                continue
            await Mailbox.filter(id=mailbox.id).update(secret_enc=rotated)
            count += 1
        if unreadable:  # raised inside the transaction: what was re-encrypted is rolled back
            named = ", ".join(unreadable[:5]) + (", …" if len(unreadable) > 5 else "")
            raise VaultError(
                f"{len(unreadable)} of {count + len(unreadable)} mailbox secrets cannot be decrypted with "
                f"ENCRYPTION_KEYS ({named}); nothing was re-encrypted. List the new key first, then every old one."
            )
    return count

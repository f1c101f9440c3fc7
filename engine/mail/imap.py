"""IMAP on aioimaplib: log in (password or XOAUTH2), find the spam folder, read new mail by UID, move and flag.

Callers get dataclasses and `ImapError`; no library exception leaves this module. aioimaplib 2.0.3 lacks a few
things a fleet of 1,200 mailboxes needs, so its protocol class is extended here:

- a dropped connection fails the pending command at once (the library would wait for its own timeout);
- a failed SASL exchange (XOAUTH2 answers an error challenge) is answered, so the server sends its final NO;
- the greeting's CAPABILITY list is used when present, saving a round trip per mailbox;
- STARTTLS, which the library does not offer, is done with `loop.start_tls`.

Facts behind the design (facts/test-servers.md): a fresh SELECT sees new mail at once (polling a long-selected
folder needs NOOP first), FETCH literals arrive as `bytearray` items after a line ending in `{N}`, and one shared
`SSLContext` avoids ~45 ms of CPU per connection.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import email.utils
import logging
import re
import socket
import ssl
import unicodedata
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final, Protocol, TypeVar

import aioimaplib

from engine.logging import get_logger, server_words
from engine.mail import tls
from engine.mail.providers import Credentials, Endpoint, FolderSpec, xoauth2_sasl
from engine.mail.smtp import shared_tls_context
from models.enums import AuthKind, TlsMode

# aioimaplib logs whole commands and responses at DEBUG: message contents and SASL strings must never reach logs.
logging.getLogger("aioimaplib").setLevel(logging.WARNING)
log = get_logger(__name__)

INBOX: Final = "INBOX"
FETCH_CHUNK: Final = 200  # UIDs per FETCH: keeps one response to a few MB even for full bodies
DEFAULT_BODY_BYTES: Final = 256 * 1024  # bounces, complaints and replies say what matters in their first 256 KB
HEADER_BYTES: Final = 64 * 1024
"""The most of a header block fetched: real ones (Received chains, DKIM and ARC seals, long References) stay well
under 30 KB, while a hostile or broken message can carry megabytes of headers, which read whole took seconds of
the event loop and hundreds of MB to parse; bounded, a FETCH of `FETCH_CHUNK` headers stays under 13 MB."""


class ImapErrorKind(StrEnum):
    """Why an IMAP operation failed; each kind has a locale key `error-imap-<kind>`."""

    AUTH = "auth"  # the server refused the credentials
    CONNECT = "connect"  # refused, unreachable, or the host name does not resolve
    TLS = "tls"  # the TLS handshake failed, or STARTTLS is not offered
    NO_TLS = "no-tls"  # implicit TLS spoken to a port that answers in plain text
    CERTIFICATE = "certificate"  # the server's certificate is not trusted (unknown CA, wrong host name, expired)
    NO_GREETING = "no-greeting"  # connected but never greeted: a TLS port spoken to in plain text, or a tarpit
    TIMEOUT = "timeout"
    DROPPED = "dropped"  # the server closed the connection mid-session
    UNAVAILABLE = "unavailable"  # the server said it cannot serve now ([UNAVAILABLE], BYE at greeting)
    REFUSED = "refused"  # the deployment's MailPolicy does not allow this host or port: nothing was connected to
    FOLDER = "folder"  # a folder is missing or cannot be selected
    PROTOCOL = "protocol"  # an answer we cannot use
    NOT_IMAP = "not-imap"  # another protocol greets on the port (SMTP, POP3, HTTP…): a wrong port
    NO_STARTTLS = "no-starttls"  # STARTTLS asked of a server that does not offer it on this port
    UNDECRYPTABLE = "secret"  # the stored password does not open with our keys: nothing was sent to the server
    CHARSET = "charset"  # a non-ASCII password, and the server offers no way to take one (no
    # AUTH=PLAIN; LOGIN is ASCII only): nothing was sent, so it is not a refused login
    INTERNAL = "internal"  # a fault of ours while reading the mailbox (logged; the detail is its reference)


DETAIL_CODES: Final = frozenset(
    {
        "connection-refused",
        "host-unknown",
        "no-answer",
        "no-greeting",
        "capability-unanswered",
        "closed-before-greeting",
        "starttls-not-offered",
        "starttls-refused",
        "no-sasl-ir",  # no longer raised (PLAIN goes without SASL-IR now); kept for errors stored before
        "no-uidvalidity",
    }
)
"""Details of our own (not a server's words): each is put in words by the catalog message `mail-detail`."""


class ImapError(Exception):
    """An IMAP failure with a kind and a secret-free detail: the server's words (trimmed), or one of our codes
    (`DETAIL_CODES`), which the catalogs put in words (`mail-detail`): never English of ours in a reply."""

    def __init__(self, kind: ImapErrorKind, detail: str = "") -> None:
        self.kind = kind
        self.detail = server_words(detail, 300)
        super().__init__(f"{kind.value}: {self.detail}" if self.detail else kind.value)

    @property
    def key(self) -> str:
        """The locale key of this failure."""
        return f"error-imap-{self.kind.value}"


@dataclass(frozen=True, slots=True)
class Folder:
    """A folder as LIST shows it: its decoded name (as used in commands), flags and hierarchy delimiter."""

    name: str
    flags: frozenset[str]
    delimiter: str | None


@dataclass(frozen=True, slots=True)
class FolderStatus:
    """What SELECT says about a folder. `uidnext` is 0 when the server did not say: RFC 3501 requires it, yet some
    servers leave it out (Winmail Pro, 163.com), and then nothing may be assumed about the next UID."""

    uidvalidity: int
    uidnext: int
    exists: int


@dataclass(frozen=True, slots=True)
class FetchedMessage:
    """One message as fetched: headers always, `body` (the first bytes of the whole message) only when asked."""

    uid: int
    flags: frozenset[str]
    size: int
    internal_date: dt.datetime | None
    headers: bytes
    body: bytes | None = None


@dataclass(frozen=True, slots=True)
class Position:
    """How far a folder has been read: the UIDVALIDITY it was read under and the highest UID seen."""

    uidvalidity: int
    last_uid: int


@dataclass(frozen=True, slots=True)
class FolderBatch:
    """New messages of one folder since a position, oldest first.

    `reset` is True when the position was unknown or the server changed UIDVALIDITY, so the batch was chosen by
    date instead of by UID and may repeat messages seen before. `more` means the batch was cut at the limit.
    """

    folder: str
    position: Position
    reset: bool
    more: bool
    messages: tuple[FetchedMessage, ...]


@dataclass(frozen=True, slots=True)
class LoginCheck:
    """The outcome of an IMAP login test: `key` names a locale message (`imap-login-ok` or `error-imap-*`)."""

    ok: bool
    key: str
    detail: str = ""


# ------------------------------------------------------------------------------------------- protocol layer


class _Protocol(aioimaplib.IMAP4ClientProtocol):  # type: ignore[misc]  # aioimaplib ships no type hints
    """aioimaplib's protocol with the fixes listed in the module docstring."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(loop, None)
        self.greeting: asyncio.Future[bytes] = loop.create_future()
        self.greeted = False  # an OK greeting arrived (the CAPABILITY that may follow it is still part of `greeting`)
        self.lost = False
        self.sasl_response: bytes | None = None  # a SASL response to send at the server's first challenge (`_sasl`)

    async def welcome(self, command: bytes) -> None:
        """Take the greeting; use its CAPABILITY list if it has one (Dovecot, Yandex), else ask for it."""
        words = command.split(None, 2)
        status = words[1].upper() if len(words) > 1 else b""
        if status not in {b"OK", b"PREAUTH"}:  # "* BYE": the server will not serve us now
            if not self.greeting.done():
                self.greeting.set_result(command)
            return
        self.greeted = True
        capabilities = _capabilities([command])
        async with self.state_condition:
            self.state = aioimaplib.AUTH if status == b"PREAUTH" else aioimaplib.NONAUTH
            self.state_condition.notify_all()
        if capabilities:
            self.capabilities = capabilities
        else:
            try:
                await self.capability()
            except (aioimaplib.AioImapException, ValueError) as exc:
                if not self.greeting.done():
                    self.greeting.set_exception(ImapError(ImapErrorKind.PROTOCOL, str(exc)))
                return
        if not self.greeting.done():
            self.greeting.set_result(command)

    def _continuation(self, line: bytes) -> None:
        command = self.pending_sync_command
        if command is not None and command.name == "AUTHENTICATE":
            # The server's first (empty) challenge takes the response held back for it; any other challenge is a
            # SASL error (XOAUTH2's base64 JSON), and an empty answer makes the server send its final NO.
            response, self.sasl_response = self.sasl_response, None
            self.transport.write((response or b"") + b"\r\n")
            return
        super()._continuation(line)

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if not self.greeting.done():
            self.greeting.set_result(b"")  # `_greeting` sees `lost` and reports the drop
        pending = [self.pending_sync_command, *self.pending_async_commands.values()]
        for command in pending:
            if command is not None:
                command.close(b"connection closed by the server", "BYE")
        super().connection_lost(exc)


def _capabilities(lines: Iterable[bytes | bytearray]) -> set[str]:
    """The CAPABILITY atoms in response lines (untagged `CAPABILITY ...` or a `[CAPABILITY ...]` code)."""
    for line in lines:
        match = re.search(rb"\bCAPABILITY ([^\]\r\n]*)", bytes(line), re.IGNORECASE)
        if match:
            return set(match.group(1).decode("ascii", "replace").split())
    return set()


# ------------------------------------------------------------------------------------------- the session


class MailFolders(Protocol):
    """What the inbox sync does with one logged-in mailbox: the seam between it and IMAP. `ImapSession` is the
    real one; a simulation (the demo) can stand in for a whole provider behind it."""

    @property
    def capabilities(self) -> frozenset[str]: ...

    async def list_folders(self) -> list[Folder]: ...

    async def select(self, folder: str) -> FolderStatus: ...

    async def search_uids(self, *criteria: str) -> list[int]: ...

    async def fetch_headers(self, uids: Sequence[int]) -> list[FetchedMessage]: ...

    async def fetch_bodies(self, uids: Sequence[int], *, max_bytes: int = ...) -> dict[int, bytes]: ...

    async def add_flags(self, uids: Sequence[int], flags: Sequence[str]) -> None: ...

    async def move(self, uids: Sequence[int], destination: str) -> None: ...


class ImapConnect(Protocol):
    """Opens a logged-in mailbox (`imap_session` is the real one); raises `ImapError` when it cannot."""

    def __call__(
        self,
        endpoint: Endpoint,
        credentials: Credentials,
        *,
        ssl_context: ssl.SSLContext | None = None,
        greeting_timeout_s: float = 10.0,
        policy: tls.MailPolicy | None = None,
    ) -> AbstractAsyncContextManager[MailFolders]: ...


class ImapSession:
    """One authenticated IMAP connection. Open it with `imap_session(...)`."""

    def __init__(self, protocol: _Protocol, endpoint: Endpoint) -> None:
        self._protocol = protocol
        self._endpoint = endpoint
        self.selected: str | None = None

    @property
    def capabilities(self) -> frozenset[str]:
        return frozenset(c.upper() for c in self._protocol.capabilities)

    async def list_folders(self) -> list[Folder]:
        """Every folder with its flags (special-use flags included where the server has them)."""
        response = await self._run("LIST", self._protocol.simple_command("LIST", '""', '"*"'))
        return parse_list(response.lines[:-1])

    async def select(self, folder: str) -> FolderStatus:
        """SELECT a folder (read-write, so messages can be moved and flagged)."""
        response = await self._call(self._protocol.select(quote_folder(folder)))
        if response.result != "OK":
            raise ImapError(ImapErrorKind.FOLDER, f"{folder}: {_text(response.lines)}")
        self.selected = folder
        return parse_select(response.lines)

    async def search_uids(self, *criteria: str) -> list[int]:
        """UID SEARCH in the selected folder, ascending."""
        response = await self._run("SEARCH", self._protocol.search(*criteria, charset=None, by_uid=True))
        found: set[int] = set()
        for line in response.lines[:-1]:
            found.update(int(tok) for tok in bytes(line).split() if tok.isdigit())
        return sorted(found)

    async def fetch_headers(self, uids: Sequence[int]) -> list[FetchedMessage]:
        """Flags, size, arrival time and the header block of each message, its first `HEADER_BYTES` (without
        setting \\Seen)."""
        return await self._fetch(uids, f"(UID FLAGS RFC822.SIZE INTERNALDATE BODY.PEEK[HEADER]<0.{HEADER_BYTES}>)")

    async def fetch_bodies(self, uids: Sequence[int], *, max_bytes: int = DEFAULT_BODY_BYTES) -> dict[int, bytes]:
        """The first `max_bytes` of each whole message (without setting \\Seen), by UID."""
        fetched = await self._fetch(uids, f"(UID BODY.PEEK[]<0.{max_bytes}>)")
        return {m.uid: m.body for m in fetched if m.body is not None}

    async def add_flags(self, uids: Sequence[int], flags: Sequence[str]) -> None:
        """Add flags (e.g. \\Seen, \\Flagged) to messages of the selected folder."""
        if uids:
            flag_list = "(" + " ".join(flags) + ")"
            await self._run("STORE", self._protocol.store(uid_set(uids), "+FLAGS.SILENT", flag_list, by_uid=True))

    async def move(self, uids: Sequence[int], destination: str) -> None:
        """Move messages of the selected folder: MOVE where offered, else COPY + \\Deleted + EXPUNGE.

        Once COPY is done the messages are in `destination`, which is what a move is for: a server that then
        refuses to delete the originals leaves them where they were too (logged), rather than have the caller
        take the copies for messages that never arrived there."""
        if not uids:
            return
        target = quote_folder(destination)
        if "MOVE" in self.capabilities:
            await self._run("MOVE", self._protocol.move(uid_set(uids), target, by_uid=True))
            return
        await self._run("COPY", self._protocol.copy(uid_set(uids), target, by_uid=True))
        try:
            await self.add_flags(uids, ["\\Deleted"])
            if "UIDPLUS" in self.capabilities:
                await self._run("EXPUNGE", self._protocol.expunge(uid_set(uids), by_uid=True))
            else:  # plain EXPUNGE also removes messages the owner marked \Deleted; it is what every client does
                await self._run("EXPUNGE", self._protocol.expunge())
        except ImapError as exc:
            if exc.kind is not ImapErrorKind.PROTOCOL:
                raise
            log.warning("originals kept after COPY", folder=self.selected, detail=exc.detail)

    async def _fetch(self, uids: Sequence[int], items: str) -> list[FetchedMessage]:
        result: list[FetchedMessage] = []
        ordered = sorted(set(uids))
        for start in range(0, len(ordered), FETCH_CHUNK):
            chunk = ordered[start : start + FETCH_CHUNK]
            response = await self._run("FETCH", self._protocol.fetch(uid_set(chunk), items, by_uid=True))
            wanted = set(chunk)
            result += [m for m in parse_fetch(response.lines) if m.uid in wanted]
        return result

    async def _run(self, what: str, call: Awaitable[Any]) -> Any:
        response = await self._call(call)
        if response.result != "OK":
            raise ImapError(ImapErrorKind.PROTOCOL, f"{what}: {response.result} {_text(response.lines)}")
        return response

    async def _call(self, call: Awaitable[Any]) -> Any:
        """Await a library call, translating its failures (and a dropped connection) into `ImapError`."""
        try:
            response = await call
        except aioimaplib.CommandTimeout:
            raise ImapError(ImapErrorKind.TIMEOUT, "no-answer") from None
        except (aioimaplib.AioImapException, ValueError) as exc:
            raise ImapError(ImapErrorKind.PROTOCOL, str(exc)) from None
        except OSError as exc:
            raise _network_error(exc) from None
        if self._protocol.lost or response.result == "BYE":
            raise ImapError(ImapErrorKind.DROPPED, _text(response.lines))
        return response


@asynccontextmanager
async def imap_session(
    endpoint: Endpoint,
    credentials: Credentials,
    *,
    ssl_context: ssl.SSLContext | None = None,
    greeting_timeout_s: float = 10.0,
    addresses: Sequence[str] | None = None,
    policy: tls.MailPolicy | None = None,
) -> AsyncIterator[ImapSession]:
    """Connect, secure (implicit TLS or STARTTLS), authenticate; LOGOUT and close on exit, whatever happened.

    Time limits are the caller's (`asyncio.timeout` around the whole use): IMAP has no natural per-command
    budget, and a mailbox is judged by how long all of it takes. Only the greeting has its own limit, shorter
    than the caller's, so that a port that expects TLS is reported as such rather than as a bare timeout.

    Where to connect: `addresses` (IP literals already vetted by `tls.vet`); else, with a `policy`, the host is
    vetted here (`ImapError` REFUSED when the policy does not allow it) and the vetted address used; else the
    host name as it resolves. Only the first two are safe against DNS rebinding. TLS is always verified against
    the host name.
    """
    if addresses is None and policy is not None:
        reach = await tls.vet(endpoint, policy)
        if reach.refusal is not None:
            raise ImapError(ImapErrorKind.REFUSED, _refused_text(reach.refusal))
        addresses = reach.addresses
    loop = asyncio.get_running_loop()
    protocol = _Protocol(loop)
    context = ssl_context or shared_tls_context()
    implicit = endpoint.tls is TlsMode.IMPLICIT
    try:
        if addresses is None:
            await loop.create_connection(
                lambda: protocol,
                endpoint.host,
                endpoint.port,
                ssl=context if implicit else None,
                server_hostname=endpoint.host if implicit else None,
            )
        else:
            sock = await tls.open_socket(addresses, endpoint.port)
            await loop.create_connection(
                lambda: protocol,
                sock=sock,
                ssl=context if implicit else None,
                server_hostname=endpoint.host if implicit else None,
            )
    except OSError as exc:  # asyncio closes a socket it was given when the connection fails
        raise _network_error(exc) from None
    try:
        await _greeting(protocol, endpoint, greeting_timeout_s)
        if endpoint.tls is TlsMode.STARTTLS:
            await _starttls(protocol, endpoint, context)
        await _authenticate(protocol, credentials)
        yield ImapSession(protocol, endpoint)
    finally:
        _close(protocol)


async def _greeting(protocol: _Protocol, endpoint: Endpoint, timeout_s: float) -> None:
    try:
        line = await asyncio.wait_for(asyncio.shield(protocol.greeting), timeout_s)
    except TimeoutError:
        if protocol.greeted:  # it greeted without its capabilities and then left CAPABILITY unanswered: it hangs
            raise ImapError(ImapErrorKind.TIMEOUT, "capability-unanswered") from None
        # Silence in plain text is what an implicit-TLS port does; say so instead of a bare timeout.
        raise ImapError(ImapErrorKind.NO_GREETING, "no-greeting") from None
    if protocol.lost:
        raise ImapError(ImapErrorKind.DROPPED, "closed-before-greeting")
    if not line.lstrip().startswith(b"*"):  # an IMAP greeting is untagged ("* OK …"): another protocol answers
        raise ImapError(ImapErrorKind.NOT_IMAP, line.decode("utf-8", "replace"))
    if protocol.state not in {aioimaplib.NONAUTH, aioimaplib.AUTH}:
        raise ImapError(ImapErrorKind.UNAVAILABLE, line.decode("utf-8", "replace"))


async def _starttls(protocol: _Protocol, endpoint: Endpoint, context: ssl.SSLContext) -> None:
    """RFC 3501 §6.2.1: STARTTLS, then the TLS handshake on the same socket, then capabilities afresh."""
    if "STARTTLS" not in {c.upper() for c in protocol.capabilities}:
        raise ImapError(ImapErrorKind.NO_STARTTLS, "starttls-not-offered")
    command = aioimaplib.Command("STARTTLS", protocol.new_tag(), loop=protocol.loop)
    try:
        response = await protocol.execute(command)
    except (aioimaplib.AioImapException, ValueError) as exc:
        raise ImapError(ImapErrorKind.PROTOCOL, str(exc)) from None
    if response.result != "OK":
        raise ImapError(ImapErrorKind.TLS, _text(response.lines) or "starttls-refused")  # the server's words
    loop = asyncio.get_running_loop()
    try:
        protocol.transport = await loop.start_tls(protocol.transport, protocol, context, server_hostname=endpoint.host)
    except OSError as exc:
        raise _network_error(exc) from None
    protocol.capabilities = set()
    try:
        await protocol.capability()
    except (aioimaplib.AioImapException, ValueError) as exc:
        raise ImapError(ImapErrorKind.PROTOCOL, str(exc)) from None


async def _authenticate(protocol: _Protocol, credentials: Credentials) -> None:
    """LOGIN for ASCII passwords (one round trip, capabilities included); SASL PLAIN for others; XOAUTH2 for
    tokens. The secret is scrubbed from the library's own logging."""
    try:
        if credentials.auth_kind is AuthKind.XOAUTH2:
            response = await _sasl(protocol, "XOAUTH2", xoauth2_sasl(credentials.username, credentials.secret))
        elif credentials.secret.isascii():
            response = await protocol.login(aioimaplib.quoted(credentials.username), credentials.secret)
        elif _offers_no_plain(protocol):
            raise ImapError(ImapErrorKind.CHARSET)
        else:
            raw = f"\0{credentials.username}\0{credentials.secret}".encode()
            response = await _sasl(protocol, "PLAIN", base64.b64encode(raw).decode("ascii"))
    except (aioimaplib.AioImapException, ValueError) as exc:
        raise ImapError(ImapErrorKind.PROTOCOL, str(exc).replace(credentials.secret, "***")) from None
    text = _text(response.lines).replace(credentials.secret, "***")
    if protocol.lost:
        raise ImapError(ImapErrorKind.DROPPED, text)
    if response.result != "OK":
        raise ImapError(ImapErrorKind.UNAVAILABLE if _NOT_NOW.search(text) else ImapErrorKind.AUTH, text)
    protocol.state = aioimaplib.AUTH
    capabilities = _capabilities(response.lines)
    if capabilities:
        protocol.capabilities = capabilities
    else:
        try:
            await protocol.capability()
        except (aioimaplib.AioImapException, ValueError) as exc:
            raise ImapError(ImapErrorKind.PROTOCOL, str(exc)) from None


_NOT_NOW: Final = re.compile(
    r"\[(?:UNAVAILABLE|INUSE|LIMIT|SERVERBUG)\]|too many (?:simultaneous |concurrent |open )?connections|"
    r"maximum number of connections",
    re.IGNORECASE,
)
"""A refused login that says nothing of the password: the server cannot serve now (RFC 5530 UNAVAILABLE, INUSE,
SERVERBUG) or the account is over its connection limit (LIMIT; Gmail's "NO [ALERT] Too many simultaneous
connections" while 15 are open: a rep's phone, a CRM, another tool reading the same mailbox). Counted as a refused
login, a few syncs in a row disabled a mailbox whose password was right."""


def _offers_no_plain(protocol: _Protocol) -> bool:
    """The server lists its SASL mechanisms and PLAIN is not among them (a server listing none may still take it)."""
    capabilities = {c.upper() for c in protocol.capabilities}
    return any(c.startswith("AUTH=") for c in capabilities) and "AUTH=PLAIN" not in capabilities


async def _sasl(protocol: _Protocol, mechanism: str, response: str) -> Any:
    """AUTHENTICATE with the response in the command (RFC 4959 SASL-IR) where the server takes it so: XOAUTH2
    servers do whether they advertise SASL-IR or not (Gmail and Outlook document it so), PLAIN ones when they
    advertise it. Else the command goes alone and the response follows the server's empty challenge (RFC 3501
    §6.2.2): what every server offering AUTH=PLAIN takes. A server without SASL-IR had a correct non-ASCII
    password refused before anything was sent, and the refusal counted as a failed login until the mailbox was
    disabled."""
    if mechanism == "XOAUTH2" or "SASL-IR" in {c.upper() for c in protocol.capabilities}:
        command = aioimaplib.Command("AUTHENTICATE", protocol.new_tag(), mechanism, response, loop=protocol.loop)
        return await protocol.execute(command, scrub=response)
    protocol.sasl_response = response.encode("ascii")
    try:
        command = aioimaplib.Command("AUTHENTICATE", protocol.new_tag(), mechanism, loop=protocol.loop)
        return await protocol.execute(command)
    finally:
        protocol.sasl_response = None


def _refused_text(refusal: tls.Refusal) -> str:
    params = refusal.params
    where = f"{params.get('host', '?')}:{params.get('port', '?')}"
    return f"{where} → {params['ip']}" if "ip" in params else where


def _close(protocol: _Protocol) -> None:
    """Say LOGOUT and close the socket without waiting for the answer: a sweep of 1,200 mailboxes saves a round
    trip each, and a broken server cannot hold us here. Buffered bytes are still flushed by the transport."""
    transport = protocol.transport
    if transport is None or transport.is_closing():
        return
    if not protocol.lost and protocol.state in {aioimaplib.NONAUTH, aioimaplib.AUTH, aioimaplib.SELECTED}:
        transport.write(f"{protocol.new_tag()} LOGOUT\r\n".encode("ascii"))
    transport.close()


_PLAIN_TEXT_REPLY = frozenset({"WRONG_VERSION_NUMBER", "UNKNOWN_PROTOCOL", "RECORD_LAYER_FAILURE", "HTTP_REQUEST"})


def _network_error(exc: OSError) -> ImapError:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return ImapError(ImapErrorKind.CERTIFICATE, str(exc.verify_message or exc.reason or exc))
    if isinstance(exc, ssl.SSLError):
        kind = ImapErrorKind.NO_TLS if exc.reason in _PLAIN_TEXT_REPLY else ImapErrorKind.TLS
        return ImapError(kind, exc.reason or str(exc))
    if isinstance(exc, ConnectionRefusedError):
        return ImapError(ImapErrorKind.CONNECT, "connection-refused")  # a code the messages put in words
    if isinstance(exc, socket.gaierror):
        return ImapError(ImapErrorKind.CONNECT, "host-unknown")
    if isinstance(exc, ConnectionResetError | BrokenPipeError):
        return ImapError(ImapErrorKind.DROPPED, str(exc))
    return ImapError(ImapErrorKind.CONNECT, exc.strerror or str(exc))


def _text(lines: Iterable[bytes | bytearray]) -> str:
    return " ".join(bytes(line).decode("utf-8", "replace") for line in lines if isinstance(line, bytes))


# ------------------------------------------------------------------------------------------- composed steps


async def check_login(
    endpoint: Endpoint,
    credentials: Credentials,
    *,
    timeout: float,  # noqa: ASYNC109 - one budget for connect, TLS, greeting and login together
    ssl_context: ssl.SSLContext | None = None,
    addresses: Sequence[str] | None = None,
) -> LoginCheck:
    """Log in and out once: the onboarding test of a mailbox's IMAP side (at `addresses` when given: `tls.vet`)."""
    greeting_s = timeout * 0.6  # below the whole budget, so a silent TLS port is named as such
    try:
        async with (
            asyncio.timeout(timeout),
            imap_session(
                endpoint, credentials, ssl_context=ssl_context, greeting_timeout_s=greeting_s, addresses=addresses
            ),
        ):
            pass
    except ImapError as exc:
        return LoginCheck(ok=False, key=exc.key, detail=exc.detail)
    except TimeoutError:
        error = ImapError(ImapErrorKind.TIMEOUT, "no-answer")
        return LoginCheck(ok=False, key=error.key, detail=error.detail)
    return LoginCheck(ok=True, key="imap-login-ok")


async def fetch_new(
    session: MailFolders,
    folder: str,
    position: Position | None,
    *,
    since: dt.date | None,
    limit: int,
) -> FolderBatch:
    """SELECT `folder` and fetch the headers of messages newer than `position`, at most `limit`, oldest first.

    With a valid position this is one SELECT when nothing is new (UIDNEXT tells; a server that does not give it is
    asked with a UID SEARCH every time). When the position is missing
    or UIDVALIDITY changed (the folder was recreated; old UIDs mean nothing), messages are chosen by arrival date
    `since` instead, and the batch is marked `reset` so the caller can skip what it already handled.
    """
    status = await session.select(folder)
    valid = position is not None and position.uidvalidity == status.uidvalidity
    if valid and position is not None:
        if status.exists == 0 or 0 < status.uidnext <= position.last_uid + 1:
            return FolderBatch(folder, Position(status.uidvalidity, position.last_uid), False, False, ())
        uids = [u for u in await session.search_uids("UID", f"{position.last_uid + 1}:*") if u > position.last_uid]
        floor = position.last_uid
    elif status.exists == 0:
        return FolderBatch(folder, Position(status.uidvalidity, max(status.uidnext - 1, 0)), True, False, ())
    else:
        criteria = ("SINCE", imap_date(since)) if since is not None else ("ALL",)
        uids = await session.search_uids(*criteria)
        floor = 0
    chosen = uids[:limit]
    messages = await session.fetch_headers(chosen) if chosen else []
    last = max(chosen, default=floor)
    if not valid and len(uids) <= limit:
        last = max(last, status.uidnext - 1)  # nothing older than `since` is wanted: start after the newest
    return FolderBatch(folder, Position(status.uidvalidity, last), not valid, len(uids) > limit, tuple(messages))


def find_folder(folders: Iterable[Folder], spec: FolderSpec) -> Folder | None:
    """The folder for a role: the one flagged with its RFC 6154 special-use flag, else a known localized name
    (compared without case, spaces, hyphens and underscores, also as the last segment of a hierarchy such as
    `[Gmail]/Spam`, `INBOX.Junk E-mail`)."""
    listed = [f for f in folders if "\\NOSELECT" not in {x.upper() for x in f.flags}]
    flag = spec.special_use.upper()
    for folder in listed:
        if flag in {x.upper() for x in folder.flags}:
            return folder
    for name in [_folded(name) for name in spec.names]:
        for folder in listed:
            leaf = folder.name.rsplit(folder.delimiter, 1)[-1] if folder.delimiter else folder.name
            if name in {_folded(folder.name), _folded(leaf)}:
                return folder
    return None


def _folded(name: str) -> str:
    """A folder name as compared with a known one: "Junk E-mail", "Junk Email" and "JUNK_EMAIL" are the same."""
    return re.sub(r"[\s_-]+", "", unicodedata.normalize("NFC", name)).casefold()


# ------------------------------------------------------------------------------------------- fleet


T = TypeVar("T")
F = TypeVar("F")
R = TypeVar("R")


async def sweep(
    items: Sequence[T],
    fetch: Callable[[T], Awaitable[F]],
    commit: Callable[[T, F | ImapError], Awaitable[R]],
    *,
    concurrency: int,
    timeout_s: float,
) -> list[R]:
    """Run `fetch` for every item with at most `concurrency` at once and each limited to `timeout_s` (counted
    from the moment it gets a slot), then `commit` its result or its `ImapError` outside the limit.

    The split is deliberate: the network part may be cancelled by the timeout without harm, the database part
    (`commit`) is never cancelled half-way. Results keep the order of `items`.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    slots = asyncio.Semaphore(concurrency)

    async def one(item: T) -> R:
        outcome: F | ImapError
        async with slots:
            try:
                async with asyncio.timeout(timeout_s):
                    outcome = await fetch(item)
            except ImapError as exc:
                outcome = exc
            except TimeoutError:
                outcome = ImapError(ImapErrorKind.TIMEOUT, "no-answer")
        return await commit(item, outcome)

    return list(await asyncio.gather(*(one(item) for item in items)))


# ------------------------------------------------------------------------------------------- wire formats


def uid_set(uids: Iterable[int]) -> str:
    """A compact IMAP sequence set: `1:3,7,9:12`."""
    ordered = sorted(set(uids))
    if not ordered:
        raise ValueError("empty UID set")
    ranges: list[str] = []
    start = prev = ordered[0]
    for uid in [*ordered[1:], None]:
        if uid is not None and uid == prev + 1:
            prev = uid
            continue
        ranges.append(str(start) if start == prev else f"{start}:{prev}")
        if uid is not None:
            start = prev = uid
    return ",".join(ranges)


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def imap_date(day: dt.date) -> str:
    """RFC 3501 date (`28-Nov-2026`), independent of the process locale."""
    return f"{day.day}-{_MONTHS[day.month - 1]}-{day.year}"


def quote_folder(name: str) -> str:
    """A folder name ready for a command: modified UTF-7 (RFC 3501 §5.1.3), quoted."""
    encoded = encode_mutf7(name)
    return '"' + encoded.replace("\\", "\\\\").replace('"', '\\"') + '"'


def encode_mutf7(text: str) -> str:
    """IMAP's modified UTF-7: printable ASCII as itself ("&" as "&-"), the rest as &base64(UTF-16BE)-."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            raw = "".join(pending).encode("utf-16-be")
            out.append("&" + base64.b64encode(raw).decode("ascii").rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for ch in text:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            pending.append(ch)
    flush()
    return "".join(out)


def decode_mutf7(text: str) -> str:
    """Inverse of `encode_mutf7`; malformed sequences are kept as they are."""

    def decode(match: re.Match[str]) -> str:
        body = match.group(1)
        if not body:
            return "&"
        padded = body.replace(",", "/") + "=" * (-len(body) % 4)
        try:
            return base64.b64decode(padded).decode("utf-16-be")
        except (ValueError, UnicodeDecodeError):
            return match.group(0)

    return re.sub(r"&([A-Za-z0-9+,]*)-", decode, text)


_LIST_LINE = re.compile(rb'^\((?P<flags>[^)]*)\)\s+(?P<delim>"(?:[^"\\]|\\.)*"|NIL)\s+(?P<name>.*)$', re.IGNORECASE)
_LITERAL = re.compile(rb"\{(\d+)\+?\}$")


def parse_list(lines: Sequence[bytes | bytearray]) -> list[Folder]:
    """Folders from LIST response lines as aioimaplib returns them (`(\\flags) "/" name`, literals as items)."""
    folders: list[Folder] = []
    index = 0
    while index < len(lines):
        line = bytes(lines[index])
        index += 1
        match = _LIST_LINE.match(line)
        if not match:
            continue
        raw_name = match.group("name").strip()
        if _LITERAL.search(raw_name) and index < len(lines) and isinstance(lines[index], bytearray):
            raw_name = bytes(lines[index])
            index += 1
        elif raw_name.startswith(b'"'):
            raw_name = _unquote(raw_name)
        delim_raw = match.group("delim")
        delimiter = None if delim_raw.upper() == b"NIL" else _unquote(delim_raw).decode("utf-8", "replace")
        name = decode_mutf7(raw_name.decode("utf-8", "replace"))
        flags = frozenset(match.group("flags").decode("ascii", "replace").split())
        folders.append(Folder(name=name, flags=flags, delimiter=delimiter))
    return folders


def _unquote(value: bytes) -> bytes:
    inner = value.strip()
    if inner.startswith(b'"') and inner.endswith(b'"') and len(inner) >= 2:
        inner = inner[1:-1]
    return re.sub(rb"\\(.)", rb"\1", inner)


def parse_select(lines: Sequence[bytes | bytearray]) -> FolderStatus:
    """UIDVALIDITY, UIDNEXT and EXISTS from a SELECT response."""
    text = b"\n".join(bytes(line) for line in lines if isinstance(line, bytes))
    validity = re.search(rb"\[UIDVALIDITY (\d+)\]", text)
    uidnext = re.search(rb"\[UIDNEXT (\d+)\]", text)
    exists = re.search(rb"^(\d+) EXISTS", text, re.MULTILINE)
    if validity is None:
        raise ImapError(ImapErrorKind.PROTOCOL, "no-uidvalidity")
    return FolderStatus(
        uidvalidity=int(validity.group(1)),
        uidnext=int(uidnext.group(1)) if uidnext else 0,
        exists=int(exists.group(1)) if exists else 0,
    )


_FETCH_START = re.compile(rb"^\d+ FETCH \(")
_UID = re.compile(rb"\bUID (\d+)")
_FLAGS = re.compile(rb"\bFLAGS \(([^)]*)\)")
_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)")
_DATE = re.compile(rb'\bINTERNALDATE "([^"]+)"')
_SECTION = re.compile(rb"\b(BODY\[[^\]]*\](?:<\d+>)?)\s*\{\d+\}$")


def parse_fetch(lines: Sequence[bytes | bytearray]) -> list[FetchedMessage]:
    """Messages from a FETCH response: attributes on the text lines (before and after each literal), the
    header block or body from the `bytearray` literal that follows a line ending in `{N}`."""
    records: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    pending_section: bytes | None = None
    for item in lines:
        if isinstance(item, bytearray):
            if current is not None and pending_section is not None:
                key = "headers" if b"HEADER" in pending_section.upper() else "body"
                current[key] = bytes(item)
            pending_section = None
            continue
        line = bytes(item)
        if _FETCH_START.match(line):
            current = {}
            records.append(current)
        if current is None:
            continue
        _fetch_attributes(line, current)
        section = _SECTION.search(line)
        pending_section = section.group(1) if section else None
    return [_fetched(record) for record in records if "uid" in record]


def _fetch_attributes(line: bytes, record: dict[str, Any]) -> None:
    if match := _UID.search(line):
        record["uid"] = int(match.group(1))
    if match := _FLAGS.search(line):
        record["flags"] = frozenset(match.group(1).decode("ascii", "replace").split())
    if match := _SIZE.search(line):
        record["size"] = int(match.group(1))
    if match := _DATE.search(line):
        record["date"] = _internal_date(match.group(1).decode("ascii", "replace"))


def _internal_date(value: str) -> dt.datetime | None:
    """`28-Nov-2026 12:03:05 +0000` as an aware datetime."""
    try:
        day, clock_time, zone = value.strip().split(" ")
        parsed = email.utils.parsedate_to_datetime(f"{day.replace('-', ' ')} {clock_time} {zone}")
    except (ValueError, TypeError):
        return None
    return parsed if parsed.tzinfo is not None else None


def _fetched(record: dict[str, Any]) -> FetchedMessage:
    return FetchedMessage(
        uid=record["uid"],
        flags=record.get("flags", frozenset()),
        size=record.get("size", 0),
        internal_date=record.get("date"),
        headers=record.get("headers", b""),
        body=record.get("body"),
    )

"""SMTP submission over aiosmtplib: pooled per-mailbox connections, and every answer turned into an `SmtpResult`.

Callers never see a library exception. They get an `SmtpResult` whose `outcome` says what to do:

| outcome         | the send layer should                                                              |
|-----------------|------------------------------------------------------------------------------------|
| `ACCEPTED`      | record the message as sent                                                         |
| `TRANSIENT`     | retry the same message after `retry_after` (greylisting, 4xx, a lost connection)  |
| `PERMANENT`     | fail the message and suppress the recipient (hard bounce at RCPT)                 |
| `REJECTED`      | fail the message; the sender or the message is at fault, not the recipient        |
| `AUTH_FAILED`   | flag the mailbox: its credentials or its provider settings need a person          |
| `THROTTLED`     | cool the mailbox down for `retry_after` (provider rate or daily limit)             |
| `SPAM_REJECTED` | cool the mailbox down for `retry_after` (the provider judged the mail as spam)     |
| `CONNECTION`    | retry after `retry_after`; repeated, alert (DNS, refused, TLS, timeouts)           |
| `UNKNOWN`       | never resend blindly: the connection died after the message was handed over        |

Two costs shape the design (facts/performance.md §1): building an `SSLContext` costs about 45 ms of CPU, so the
process shares one per CA file; and a fresh STARTTLS+AUTH session costs far more than a message on a kept-alive
connection, so connections are pooled per mailbox and closed after an idle timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import enum
import functools
import re
import socket
import ssl
from collections.abc import AsyncIterator, Sequence
from types import TracebackType
from typing import Self

import aiosmtplib

from engine.cancel import cancel_and_wait
from engine.logging import get_logger, server_words
from engine.mail import tls
from engine.mail.message import BuiltMessage
from engine.mail.providers import Credentials, Endpoint, xoauth2_sasl
from models.enums import AuthKind, TlsMode

log = get_logger(__name__)

# Libraries raise these for network and protocol trouble; anything else is a bug and should surface.
_EXPECTED_ERRORS = (aiosmtplib.SMTPException, OSError, TimeoutError, ValueError)

DEFAULT_HELO = "[127.0.0.1]"  # what privacy-minded clients send: reveals nothing about the host
RETRY_BASE = dt.timedelta(minutes=5)  # greylisting usually lets the second attempt through after 5 min
RETRY_CAP = dt.timedelta(hours=6)
THROTTLE_COOLDOWN = dt.timedelta(hours=1)
DAILY_LIMIT_COOLDOWN = dt.timedelta(hours=24)  # Yandex blocks sending for 24 h after a limit breach
SPAM_COOLDOWN = dt.timedelta(hours=24)  # …and after a spam verdict
_MAX_TEXT = 300  # server text kept in a result (provider texts carry ids and links; the gist fits)
_MALFORMED = "Malformed SMTP response line:"  # how aiosmtplib prefixes a line that carries no SMTP code
_OUR_CODE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)+\Z")  # "implicit-tls-expected", "no-password-auth"
# wrong TLS mode or an untrusted certificate: retrying cannot help, a person must act
_SETTINGS_ERRORS = frozenset({"smtp-tls-mismatch", "smtp-tls-required", "smtp-tls-certificate", "smtp-host-refused"})


class Outcome(enum.StrEnum):
    ACCEPTED = "accepted"
    TRANSIENT = "transient"
    PERMANENT = "permanent"
    REJECTED = "rejected"
    AUTH_FAILED = "auth_failed"
    THROTTLED = "throttled"
    SPAM_REJECTED = "spam_rejected"
    CONNECTION = "connection"
    UNKNOWN = "unknown"


class Phase(enum.StrEnum):
    """The step of the SMTP dialogue an answer belongs to; the same code means different things per step."""

    CONNECT = "connect"  # TCP, implicit TLS handshake, greeting
    EHLO = "ehlo"
    STARTTLS = "starttls"
    AUTH = "auth"
    MAIL = "mail"
    RCPT = "rcpt"
    DATA = "data"


_BEFORE_MESSAGE = frozenset({Phase.CONNECT, Phase.EHLO, Phase.STARTTLS, Phase.AUTH})


@dataclasses.dataclass(frozen=True, slots=True)
class SmtpResult:
    """What happened. `key` names a message in locales/*/mail.ftl; `text` is the server's words, secret-free."""

    outcome: Outcome
    key: str
    phase: Phase
    code: int | None = None
    enhanced: str | None = None  # RFC 3463 status such as "5.1.1"
    text: str = ""
    retry_after: dt.timedelta | None = None  # retry delay (TRANSIENT, CONNECTION) or cooldown (THROTTLED, SPAM)

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.ACCEPTED

    @property
    def before_message(self) -> bool:
        """The failure came before any byte of a message was offered (connecting, greeting, TLS, login): it says
        nothing about the message, only that the mailbox cannot reach or use its server now."""
        return not self.ok and self.phase in _BEFORE_MESSAGE

    def stored_error(self) -> str:
        """`key: words` as `Mailbox.last_error` keeps it (a card shows the key as a phrase and quotes the words):
        the server's words when it answered with a reply code, or a code of ours the catalogs put in words
        (`mail-text`); never what the client library or the OS said in English about our connection."""
        words = self.text if self.code is not None or _OUR_CODE.match(self.text) else ""
        return f"{self.key}: {words}"[:1000] if words else self.key

    def params(self) -> dict[str, str]:
        """Placeholders for the localized message of `key`."""
        minutes = int(self.retry_after.total_seconds() // 60) if self.retry_after else 0
        return {
            "code": str(self.code or ""),
            "enhanced": self.enhanced or "",
            "text": self.text,
            "phase": self.phase.value,
            "minutes": str(minutes),
        }


# ----------------------------------------------------------------------------------------------- classification

_ENHANCED = re.compile(r"^\s*([245])\.(\d{1,3})\.(\d{1,3})\b")
# Wording that marks a spam/content verdict: Yandex "Message rejected under suspicion of SPAM", "Your message
# looks like spam … prove you are not a robot"; Mail.ru/rspamd "Spam message rejected"; blocklists.
_SPAM = re.compile(
    r"spam|спам|not a robot|content rejected|unsolicited|blacklist|blocklist|block list|dnsbl|junk mail",
    re.IGNORECASE,
)
# Provider sending limits: "too much mail from …", "too many requests per time unit", "Number messages per hour
# exceeded", "Daily user sending quota exceeded", "exceeded … message rate limit", Russian "превышен лимит".
_THROTTLE = re.compile(
    r"too (?:many|much)|rate.?limit|ratelimit|limit (?:exceeded|reached)|exceeded|quota|throttl|"
    r"sending limit|per (?:hour|day|minute|time unit)|превышен|лимит|слишком много",
    re.IGNORECASE,
)
_DAILY = re.compile(r"daily|24.?hour|per day|сутк|день", re.IGNORECASE)
_APP_PASSWORD = re.compile(
    r"application password|app password|application-specific|parol prilozheniya|пароль приложения", re.IGNORECASE
)
_NO_ACCESS = re.compile(r"access rights|is disabled|not (?:allowed|permitted) to|disabled for", re.IGNORECASE)
_TLS_REQUIRED = re.compile(r"ssl|tls|encryption", re.IGNORECASE)
_GREYLIST = re.compile(r"grey|gray", re.IGNORECASE)
_UNKNOWN_USER = re.compile(
    r"user unknown|unknown user|no such user|does not exist|doesn't exist|not found|mailbox unavailable|"
    r"invalid recipient|recipient address rejected|no mailbox|нет такого",
    re.IGNORECASE,
)
_SENDER_AT_FAULT = re.compile(r"sender address rejected|not owned by|sender.{0,20}(?:mismatch|not allowed)", re.I)


def retry_delay(attempt: int) -> dt.timedelta:
    """Exponential backoff for the `attempt`-th retry (0 = first): 5, 10, 20 … minutes, at most 6 hours."""
    return min(RETRY_BASE * (1 << min(max(attempt, 0), 16)), RETRY_CAP)


def enhanced_status(text: str) -> str | None:
    """The RFC 3463 status at the start of a reply text, e.g. "5.7.1"."""
    match = _ENHANCED.match(text)
    return ".".join(match.groups()) if match else None


def classify_reply(code: int, text: str, phase: Phase, *, attempt: int = 0) -> SmtpResult:
    """Classify one server reply (`code`, its text) given the dialogue step it answered. Pure.

    A multi-line reply repeats its status on every line ("5.7.1 Message rejected\n5.7.1 see https://…"): the
    words keep it once, at the start, so a manager reads the server's sentence, not the protocol's framing."""
    enhanced = enhanced_status(text)
    if enhanced is not None and "\n" in text:
        first, *rest = text.splitlines()
        text = "\n".join([first, *(_strip_status(line, enhanced) for line in rest)])
    text = _clean(text)
    outcome, key = _verdict(code, enhanced, text, phase)
    return SmtpResult(
        outcome=outcome,
        key=key,
        phase=phase,
        code=code,
        enhanced=enhanced,
        text=text,
        retry_after=_delay(outcome, key, text, attempt),
    )


def _strip_status(line: str, enhanced: str) -> str:
    stripped = line.lstrip()
    return stripped[len(enhanced) :].lstrip() if stripped.startswith(enhanced) else line


def _verdict(code: int, enhanced: str | None, text: str, phase: Phase) -> tuple[Outcome, str]:  # noqa: PLR0911, PLR0912
    """The decision table. Order matters: wording that reveals spam or a limit beats the bare code."""
    if 200 <= code < 400:
        return Outcome.ACCEPTED, "smtp-accepted"
    status = enhanced or ""
    if _SPAM.search(text):
        return Outcome.SPAM_REJECTED, "smtp-spam-rejected"
    if status[2:] == "2.2":  # recipient's mailbox full: 452/552 x.2.2 is a soft bounce everywhere
        return Outcome.TRANSIENT, "smtp-mailbox-full"
    if status[2:] in {"3.4", "2.3"}:  # too big for the system / for the recipient: "exceeded" but no limit on us
        return Outcome.REJECTED, "smtp-message-too-large"
    if _THROTTLE.search(text) or status[2:] in {"4.5", "7.28"}:
        return Outcome.THROTTLED, "smtp-throttled"
    if phase is Phase.AUTH:
        if code in (530, 538) and _TLS_REQUIRED.search(text):
            return Outcome.CONNECTION, "smtp-tls-required"
        if code < 500:
            return Outcome.TRANSIENT, "smtp-auth-temporary"
        if _APP_PASSWORD.search(text):
            return Outcome.AUTH_FAILED, "smtp-auth-app-password"
        if _NO_ACCESS.search(text):
            return Outcome.AUTH_FAILED, "smtp-auth-no-access"
        return Outcome.AUTH_FAILED, "smtp-auth-failed"
    if code < 500:
        if code == 421:
            return Outcome.TRANSIENT, "smtp-server-closing"
        return Outcome.TRANSIENT, "smtp-greylisted" if _GREYLIST.search(text) else "smtp-transient"
    if phase in (Phase.CONNECT, Phase.EHLO, Phase.STARTTLS):
        return Outcome.CONNECTION, "smtp-greeting-rejected" if phase is Phase.CONNECT else "smtp-protocol-error"
    if _SENDER_AT_FAULT.search(text) or phase is Phase.MAIL:
        return Outcome.REJECTED, "smtp-sender-rejected"
    if phase is Phase.RCPT:
        if status[2:4] == "1." or status[2:] in {"2.1", "4.4"} or _UNKNOWN_USER.search(text) or not status:
            return Outcome.PERMANENT, "smtp-recipient-rejected"
        return Outcome.REJECTED, "smtp-policy-rejected"
    if code == 552:
        return Outcome.REJECTED, "smtp-message-too-large"
    return Outcome.REJECTED, "smtp-message-rejected"


def _delay(outcome: Outcome, key: str, text: str, attempt: int) -> dt.timedelta | None:
    """How long to wait before trying again, or None when waiting cannot help (a person must act)."""
    if key in _SETTINGS_ERRORS:
        return None
    if outcome in (Outcome.TRANSIENT, Outcome.CONNECTION):
        return retry_delay(attempt)
    if outcome is Outcome.THROTTLED:
        return DAILY_LIMIT_COOLDOWN if _DAILY.search(text) else THROTTLE_COOLDOWN
    if outcome is Outcome.SPAM_REJECTED:
        return SPAM_COOLDOWN
    return None


def classify_exception(exc: BaseException, phase: Phase, *, attempt: int = 0) -> SmtpResult:  # noqa: PLR0911
    """Turn what aiosmtplib or the socket layer raised during `phase` into a result."""
    if isinstance(exc, aiosmtplib.SMTPResponseException) and not isinstance(exc, aiosmtplib.SMTPServerDisconnected):
        if exc.code < 100:  # no SMTP reply code at all: another protocol answers there (IMAP, POP3, HTTP…)
            line = exc.message.removeprefix(_MALFORMED).strip()  # the server's own line, not the library's words
            return _failure(Outcome.CONNECTION, "smtp-not-smtp", phase, exc, attempt, text=line)
        return classify_reply(exc.code, exc.message, phase, attempt=attempt)
    tls_error = _tls_error(exc)
    if tls_error is not None:
        return _failure(Outcome.CONNECTION, _tls_key(tls_error), phase, tls_error, attempt)
    if isinstance(exc, aiosmtplib.SMTPConnectTimeoutError) or (phase is Phase.CONNECT and _is_timeout(exc)):
        key = "smtp-no-greeting" if "ready message" in str(exc) else "smtp-connect-timeout"
        return _failure(Outcome.CONNECTION, key, phase, exc, attempt)
    if isinstance(exc, aiosmtplib.SMTPConnectError) or phase is Phase.CONNECT:
        return _failure(Outcome.CONNECTION, _connect_key(exc), phase, exc, attempt)
    if phase is Phase.DATA and isinstance(exc, (ConnectionError, TimeoutError)):
        # The message may have been taken: only the Sent folder can tell. Never resend blindly.
        key = "smtp-timeout-during-data" if _is_timeout(exc) else "smtp-dropped-during-data"
        return _failure(Outcome.UNKNOWN, key, phase, exc, attempt)
    if _is_timeout(exc):
        return _failure(Outcome.TRANSIENT, "smtp-timeout", phase, exc, attempt)
    if isinstance(exc, ConnectionError):
        return _failure(Outcome.TRANSIENT, "smtp-disconnected", phase, exc, attempt)
    if phase is Phase.AUTH:
        return _failure(Outcome.AUTH_FAILED, "smtp-auth-unavailable", phase, exc, attempt)
    if phase is Phase.STARTTLS:
        return _failure(Outcome.CONNECTION, "smtp-starttls-unsupported", phase, exc, attempt)
    return _failure(Outcome.CONNECTION, "smtp-protocol-error", phase, exc, attempt)


def _failure(
    outcome: Outcome, key: str, phase: Phase, exc: BaseException, attempt: int, *, text: str = ""
) -> SmtpResult:
    text = _clean(text or str(exc) or type(exc).__name__)
    return SmtpResult(outcome=outcome, key=key, phase=phase, text=text, retry_after=_delay(outcome, key, text, attempt))


def _is_timeout(exc: BaseException) -> bool:
    return isinstance(exc, TimeoutError | aiosmtplib.SMTPTimeoutError)


def _tls_error(exc: BaseException) -> ssl.SSLError | None:
    """The TLS failure behind `exc`, if any (aiosmtplib wraps handshake errors of implicit TLS)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _tls_key(error: ssl.SSLError) -> str:
    if isinstance(error, ssl.SSLCertVerificationError):
        return "smtp-tls-certificate"
    if error.reason in {"WRONG_VERSION_NUMBER", "UNKNOWN_PROTOCOL", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG"}:
        return "smtp-tls-mismatch"  # the server answered in plain text: it is a STARTTLS or plain port
    return "smtp-tls-failed"


def _connect_key(exc: BaseException) -> str:
    cause = exc.__cause__ or exc
    if isinstance(cause, socket.gaierror):
        return "smtp-host-unknown"
    if isinstance(cause, ConnectionRefusedError):
        return "smtp-connect-refused"
    return "smtp-connect-failed"


def _clean(text: str) -> str:
    """One line, bounded, with URL passwords and tokens masked: safe for results and logs."""
    return server_words(text, _MAX_TEXT)


# ----------------------------------------------------------------------------------------------------- sessions


@functools.cache
def shared_tls_context(cafile: str | None = None) -> ssl.SSLContext:
    """The one verifying client context per CA file (None: the system store) for every SMTP connection."""
    context = ssl.create_default_context(cafile=cafile)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


@dataclasses.dataclass(frozen=True, slots=True)
class Timeouts:
    """Per-operation limits, in seconds. `connect` covers TCP, the implicit TLS handshake and the greeting."""

    connect: float = 15.0
    command: float = 30.0
    data: float = 120.0  # RFC 5321 §4.5.3.2 allows the server 10 minutes after the final dot; we stop earlier


_Key = tuple[Endpoint, str]


@dataclasses.dataclass(eq=False, slots=True)
class _Session:
    """One SMTP connection and the step it is at (so a failure can be classified by step)."""

    smtp: aiosmtplib.SMTP
    key: _Key
    phase: Phase = Phase.CONNECT
    idle_since: float = 0.0
    clean: bool = True  # False while a command is in flight or after a broken dialogue: never reuse then


async def _open(
    endpoint: Endpoint,
    credentials: Credentials,
    *,
    tls_context: ssl.SSLContext,
    timeouts: Timeouts,
    local_hostname: str,
    addresses: Sequence[str] | None = None,
) -> _Session | SmtpResult:
    """Connect, secure and authenticate; a classified result instead of a session when any step fails.

    With `addresses` (vetted IP literals, `tls.Reach`) the connection goes to one of them and the host name is
    never resolved again; TLS is still verified against the host name.
    """
    session = _Session(smtp=aiosmtplib.SMTP(), key=(endpoint, credentials.username))
    sock: socket.socket | None = None
    try:
        if addresses is not None:
            async with asyncio.timeout(timeouts.connect):
                sock = await tls.open_socket(addresses, endpoint.port)
        session.smtp = smtp = aiosmtplib.SMTP(
            hostname=endpoint.host,
            port=None if sock else endpoint.port,
            sock=sock,
            use_tls=endpoint.tls is TlsMode.IMPLICIT,
            start_tls=False,
            tls_context=tls_context,
            local_hostname=local_hostname,
            timeout=timeouts.command,
        )
        sock = None  # the library owns it from here: closing it under a live (TLS) transport would free its fd
        await smtp.connect(timeout=timeouts.connect)
        session.phase = Phase.EHLO
        await smtp.ehlo(timeout=timeouts.command)
        if endpoint.tls is TlsMode.STARTTLS:
            session.phase = Phase.STARTTLS
            await smtp.starttls(timeout=timeouts.command)
            session.phase = Phase.EHLO
            await smtp.ehlo(timeout=timeouts.command)
        session.phase = Phase.AUTH
        await _authenticate(smtp, credentials, timeouts.command)
    except _EXPECTED_ERRORS as exc:
        _abandon(session.smtp, sock)
        result = classify_exception(exc, session.phase)
        if result.key == "smtp-no-greeting" and endpoint.tls is not TlsMode.IMPLICIT:
            result = await _explain_silence(result, endpoint, tls_context, timeouts.connect, addresses)
        return _scrub(result, credentials)
    except asyncio.CancelledError:
        _abandon(session.smtp, sock)
        raise
    return session


def _abandon(smtp: aiosmtplib.SMTP, sock: socket.socket | None) -> None:
    smtp.close()
    if sock is not None:  # connected by us but never handed to the library
        sock.close()


def refused_result(refusal: tls.Refusal) -> SmtpResult:
    """The result of a connection the deployment's `MailPolicy` does not allow (nothing was connected to)."""
    params = refusal.params
    where = f"{params.get('host', '?')}:{params.get('port', '?')}"
    text = f"{where} → {params['ip']}" if "ip" in params else where
    return SmtpResult(outcome=Outcome.CONNECTION, key="smtp-host-refused", phase=Phase.CONNECT, text=text)


async def _authenticate(smtp: aiosmtplib.SMTP, credentials: Credentials, timeout_s: float) -> None:
    """One AUTH attempt with the best mechanism: a failed AUTH costs the server (and us) about a second."""
    methods = smtp.server_auth_methods
    if credentials.auth_kind is AuthKind.XOAUTH2:
        if "xoauth2" not in methods:
            raise aiosmtplib.SMTPNotSupported("no-xoauth2")  # a code: `mail-text` puts it in words
        initial = xoauth2_sasl(credentials.username, credentials.secret).encode("ascii")
        response = await smtp.execute_command(b"AUTH", b"XOAUTH2", initial, timeout=timeout_s)
        if response.code == 334:  # the error comes as a challenge; an empty line fetches the final reply
            response = await smtp.execute_command(b"", timeout=timeout_s)
        if response.code != 235:
            raise aiosmtplib.SMTPAuthenticationError(response.code, response.message)
    elif "plain" in methods:
        await smtp.auth_plain(credentials.username, credentials.secret, timeout=timeout_s)
    elif "login" in methods:
        await smtp.auth_login(credentials.username, credentials.secret, timeout=timeout_s)
    else:
        raise aiosmtplib.SMTPNotSupported("no-password-auth")  # a code: `mail-text`


async def _explain_silence(
    result: SmtpResult,
    endpoint: Endpoint,
    tls_context: ssl.SSLContext,
    timeout_s: float,
    addresses: Sequence[str] | None,
) -> SmtpResult:
    """A server that accepts TCP but never greets is most often an implicit-TLS port: check with one handshake."""
    try:
        async with asyncio.timeout(timeout_s):
            if addresses is None:
                _, writer = await asyncio.open_connection(
                    endpoint.host, endpoint.port, ssl=tls_context, server_hostname=endpoint.host
                )
            else:
                sock = await tls.open_socket(addresses, endpoint.port)
                _, writer = await asyncio.open_connection(sock=sock, ssl=tls_context, server_hostname=endpoint.host)
    except (OSError, TimeoutError):  # asyncio closes a socket it was given when the connection fails
        return result
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return SmtpResult(
        outcome=Outcome.CONNECTION,
        key="smtp-tls-mismatch",
        phase=Phase.CONNECT,
        text="implicit-tls-expected",  # a code: `mail-text` puts it in words
    )


async def _transact(session: _Session, message: BuiltMessage, timeouts: Timeouts, attempt: int) -> SmtpResult:
    """MAIL, RCPT, DATA on an authenticated session; the session is left reusable only after a clean answer."""
    smtp = session.smtp
    session.clean = False
    try:
        session.phase = Phase.MAIL
        await smtp.mail(message.sender, timeout=timeouts.command)
        session.phase = Phase.RCPT
        await smtp.rcpt(message.recipient, timeout=timeouts.command)
        session.phase = Phase.DATA
        response = await smtp.data(message.data, timeout=timeouts.data)
    except _EXPECTED_ERRORS as exc:
        result = classify_exception(exc, session.phase, attempt=attempt)
        if result.code is None or result.code == 421 or not smtp.is_connected:
            smtp.close()  # no reply (lost, timed out: the dialogue state is unknown) or the server is hanging up
        else:
            session.clean = await _reset(smtp, timeouts.command)
        return result
    session.clean = True
    return SmtpResult(
        outcome=Outcome.ACCEPTED,
        key="smtp-accepted",
        phase=Phase.DATA,
        code=response.code,
        enhanced=enhanced_status(response.message),
        text=_clean(response.message),
    )


async def _reset(smtp: aiosmtplib.SMTP, timeout_s: float) -> bool:
    """RSET after a refused MAIL/RCPT so the connection can carry the next message; close it if that fails."""
    try:
        await smtp.rset(timeout=timeout_s)
    except _EXPECTED_ERRORS:
        smtp.close()
        return False
    return True


async def _quit(smtp: aiosmtplib.SMTP, timeout_s: float) -> None:
    """Say goodbye politely if the server still listens; close regardless."""
    try:
        if smtp.is_connected:
            await smtp.quit(timeout=timeout_s)
    except _EXPECTED_ERRORS:
        pass
    finally:
        smtp.close()


def _scrub(result: SmtpResult, credentials: Credentials) -> SmtpResult:
    """Drop the secret from a server text in case a server echoes what it was sent."""
    if credentials.secret and credentials.secret in result.text:
        return dataclasses.replace(result, text=result.text.replace(credentials.secret, "***"))
    return result


async def check_login(
    endpoint: Endpoint,
    credentials: Credentials,
    *,
    timeout: float,  # noqa: ASYNC109 - one budget for every step, passed on to each of them
    tls_context: ssl.SSLContext | None = None,
    local_hostname: str = DEFAULT_HELO,
    addresses: Sequence[str] | None = None,
) -> SmtpResult:
    """Connect, authenticate and QUIT: ACCEPTED with key "smtp-login-ok", or why not (onboarding's mailbox test).

    `addresses`: the vetted IP literals to connect to (`tls.vet`), so the host name is not resolved again.
    """
    context = tls_context or shared_tls_context()
    step = Timeouts(connect=timeout, command=timeout, data=timeout)
    try:
        async with asyncio.timeout(timeout * 2):  # the greeting probe may add one more connect budget
            opened = await _open(
                endpoint,
                credentials,
                tls_context=context,
                timeouts=step,
                local_hostname=local_hostname,
                addresses=addresses,
            )
    except TimeoutError as exc:
        return classify_exception(exc, Phase.CONNECT)
    if isinstance(opened, SmtpResult):
        return opened
    await _quit(opened.smtp, timeout)
    return SmtpResult(outcome=Outcome.ACCEPTED, key="smtp-login-ok", phase=Phase.AUTH)


# -------------------------------------------------------------------------------------------------------- pool


class SmtpTransport:
    """Sends messages over pooled, authenticated connections: at most `max_per_mailbox` per mailbox and
    `max_connections` in total (busy or idle); an idle connection is closed after `idle_timeout` seconds, and the
    oldest idle one is closed early when a new mailbox needs its slot.

    With a `policy` every new connection is vetted first (`tls.vet`: mail ports only, no private addresses
    unless allowed) and goes to the vetted address, never to a second resolution of the host name; a refused
    endpoint gives `smtp-host-refused`.
    """

    def __init__(
        self,
        *,
        tls_context: ssl.SSLContext | None = None,
        max_connections: int = 100,
        max_per_mailbox: int = 1,
        idle_timeout: float = 60.0,
        timeouts: Timeouts | None = None,
        local_hostname: str = DEFAULT_HELO,
        policy: tls.MailPolicy | None = None,
    ) -> None:
        if max_connections < 1 or max_per_mailbox < 1 or idle_timeout <= 0:
            raise ValueError("limits must be positive")
        self._tls_context = tls_context or shared_tls_context()
        self._timeouts = timeouts or Timeouts()
        self._local_hostname = local_hostname
        self._policy = policy
        self._idle_timeout = idle_timeout
        self._max_per_mailbox = max_per_mailbox
        self._slots = asyncio.Semaphore(max_connections)
        self._gates: dict[_Key, asyncio.Semaphore] = {}
        self._idle: dict[_Key, list[_Session]] = {}
        self._reaper: asyncio.Task[None] | None = None
        self._closed = False
        self._open_count = 0
        self._waiting = 0  # tasks waiting for a connection slot
        self.opened = 0  # connections opened so far (observability; reuse shows as opened << sent)

    @property
    def open_connections(self) -> int:
        """Connections open now, busy or idle."""
        return self._open_count

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def send(
        self,
        endpoint: Endpoint,
        credentials: Credentials,
        message: BuiltMessage,
        *,
        attempt: int = 0,
        tls_context: ssl.SSLContext | None = None,
    ) -> SmtpResult:
        """Send one message from one mailbox. Never raises for network, TLS or SMTP trouble: see `SmtpResult`.

        `attempt` (0 for the first try) only sets the backoff in `retry_after`. `tls_context` replaces the
        transport's own for a mailbox that trusts a CA of its own (`engine.mail.tls.client_context`, cached).
        """
        if self._closed:
            raise RuntimeError("SmtpTransport is closed")
        self._start_reaper()
        key = (endpoint, credentials.username)
        gate = self._gates.get(key) or self._gates.setdefault(key, asyncio.Semaphore(self._max_per_mailbox))
        context = tls_context or self._tls_context
        async with gate:
            result, stale = await self._attempt(endpoint, credentials, message, attempt, context, fresh_only=False)
            if stale:  # the server had closed the pooled connection: nothing was sent, so use a fresh one
                result, _ = await self._attempt(endpoint, credentials, message, attempt, context, fresh_only=True)
        return self._report(_scrub(result, credentials), endpoint, credentials)

    async def _attempt(
        self,
        endpoint: Endpoint,
        credentials: Credentials,
        message: BuiltMessage,
        attempt: int,
        context: ssl.SSLContext,
        *,
        fresh_only: bool,
    ) -> tuple[SmtpResult, bool]:
        """One try on one session; True beside the result when a pooled connection was found dead at MAIL."""
        async with self._lease(endpoint, credentials, context, fresh_only=fresh_only) as (leased, reused):
            if isinstance(leased, SmtpResult):
                return leased, False
            result = await _transact(leased, message, self._timeouts, attempt)
            return result, reused and leased.phase is Phase.MAIL and not leased.smtp.is_connected

    async def close(self) -> None:
        """Close every idle connection (QUIT first) and stop the reaper."""
        self._closed = True
        if self._reaper is not None:
            await cancel_and_wait(self._reaper)
        sessions = [s for pool in self._idle.values() for s in pool]
        self._idle.clear()
        await asyncio.gather(*(self._discard(s, polite=True) for s in sessions))

    @contextlib.asynccontextmanager
    async def _lease(
        self, endpoint: Endpoint, credentials: Credentials, context: ssl.SSLContext, *, fresh_only: bool
    ) -> AsyncIterator[tuple[_Session | SmtpResult, bool]]:
        """A session for the mailbox, reused when one is idle; returned to the pool only if still healthy."""
        key = (endpoint, credentials.username)
        session = None if fresh_only else self._take_idle(key)
        reused = session is not None
        if session is None:
            await self._acquire_slot()
            try:
                opened = await self._connect(endpoint, credentials, context)
            except asyncio.CancelledError:
                self._release_slot()
                raise
            if isinstance(opened, SmtpResult):
                self._release_slot()
                yield opened, False
                return
            self.opened += 1
            session = opened
        try:
            yield session, reused
        finally:
            if session.clean and session.smtp.is_connected and not self._waiting and not self._closed:
                session.idle_since = asyncio.get_running_loop().time()
                self._idle.setdefault(key, []).append(session)
            else:
                await self._discard(session, polite=session.clean)

    async def _connect(
        self, endpoint: Endpoint, credentials: Credentials, context: ssl.SSLContext
    ) -> _Session | SmtpResult:
        addresses: tuple[str, ...] | None = None
        if self._policy is not None:
            reach = await tls.vet(endpoint, self._policy)
            if reach.refusal is not None:
                return refused_result(reach.refusal)
            addresses = reach.addresses
        return await _open(
            endpoint,
            credentials,
            tls_context=context,
            timeouts=self._timeouts,
            local_hostname=self._local_hostname,
            addresses=addresses,
        )

    def _take_idle(self, key: _Key) -> _Session | None:
        pool = self._idle.get(key)
        now = asyncio.get_running_loop().time()
        while pool:
            session = pool.pop()
            if session.smtp.is_connected and now - session.idle_since < self._idle_timeout:
                return session
            session.smtp.close()
            self._release_slot()
        return None

    async def _acquire_slot(self) -> None:
        """Wait for room under `max_connections`, closing the longest-idle connection if that makes room.

        While anyone waits here, finished sessions are closed instead of pooled (see `_lease`), so a waiter is
        never stuck behind idle connections of other mailboxes.
        """
        if self._slots.locked():
            oldest = min((s for pool in self._idle.values() for s in pool), key=lambda s: s.idle_since, default=None)
            if oldest is not None:
                self._idle[oldest.key].remove(oldest)
                await self._discard(oldest, polite=True)
        self._waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self._waiting -= 1
        self._open_count += 1

    def _release_slot(self) -> None:
        self._open_count -= 1
        self._slots.release()

    async def _discard(self, session: _Session, *, polite: bool) -> None:
        if polite:
            await _quit(session.smtp, min(self._timeouts.command, 5.0))
        else:
            session.smtp.close()
        self._release_slot()

    def _start_reaper(self) -> None:
        if self._reaper is None or self._reaper.done():
            self._reaper = asyncio.get_running_loop().create_task(self._reap(), name="smtp-idle-reaper")

    async def _reap(self) -> None:
        """Close connections idle longer than `idle_timeout`, so slots and server sessions are not held for ever."""
        while True:
            await asyncio.sleep(self._idle_timeout / 2)
            now = asyncio.get_running_loop().time()
            expired = [
                s
                for pool in self._idle.values()
                for s in pool
                if now - s.idle_since >= self._idle_timeout or not s.smtp.is_connected
            ]
            for session in expired:
                self._idle[session.key].remove(session)
            await asyncio.gather(*(self._discard(s, polite=True) for s in expired))

    def _report(self, result: SmtpResult, endpoint: Endpoint, credentials: Credentials) -> SmtpResult:
        if not result.ok:
            log.info(
                "smtp.failed",
                host=endpoint.host,
                port=endpoint.port,
                mailbox=credentials.username,
                outcome=result.outcome.value,
                result_key=result.key,
                phase=result.phase.value,
                code=result.code,
                enhanced=result.enhanced,
                text=result.text,
            )
        return result

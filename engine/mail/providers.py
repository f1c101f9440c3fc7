"""Provider presets (Yandex 360, Mail.ru for Business, generic) and the credentials used to log in to them.

The presets are the only place that knows provider hosts, TLS modes, folder names and caps, so onboarding, the
SMTP transport and IMAP sync agree on them. Facts and their sources: shared/facts/providers-ru.md §1.3–§2.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Literal

import aiohttp

from engine.clock import Clock
from engine.errors import UserError
from models.enums import AuthKind, MailProvider, TlsMode

YANDEX_OAUTH_BASE_URL = "https://oauth.yandex.ru"
_TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"  # noqa: S105 - a grant type name
_SUBJECT_TOKEN_TYPES = {
    "email": "urn:yandex:params:oauth:token-type:email",
    "uid": "urn:yandex:params:oauth:token-type:uid",
}


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where a mail server listens and how TLS starts there."""

    host: str
    port: int
    tls: TlsMode

    def __post_init__(self) -> None:
        if not 0 < self.port < 65536:
            raise ValueError(f"port out of range: {self.port}")
        if not self.host or any(ch.isspace() for ch in self.host):
            raise ValueError("host must be a non-empty name without whitespace")


@dataclass(frozen=True, slots=True)
class Credentials:
    """A login: a password or an OAuth access token (XOAUTH2). `repr()` never shows the secret."""

    username: str
    auth_kind: AuthKind
    secret: str = field(repr=False)

    def __repr__(self) -> str:
        return f"Credentials(username={self.username!r}, auth_kind={self.auth_kind.value!r}, secret='***')"

    __str__ = __repr__


@dataclass(frozen=True, slots=True)
class FolderSpec:
    """How to find one standard folder: by its RFC 6154 special-use flag first, else by a known name."""

    special_use: str
    names: tuple[str, ...]


SPAM = FolderSpec(
    "\\Junk",
    (
        "Spam",  # Gmail ([Gmail]/Spam, [Google Mail]/Spam), Yandex, Zoho, GMX, Rambler, AOL, most hosting panels
        "Junk",  # iCloud, Dovecot and Roundcube defaults, INBOX.Junk on Courier and cPanel
        "Спам",  # Mail.ru, Yandex and Rambler in Russian (on the wire in modified UTF-7)
        "Junk Email",  # Outlook.com, Exchange and Microsoft 365 (older Exchange: "Junk E-mail")
        "Нежелательная почта",  # Outlook and Exchange in Russian
        "Bulk Mail",  # Yahoo and AOL (Yahoo's IMAP shows it as "Bulk")
        "Bulk",
        "Junk Mail",
        "Spamverdacht",  # GMX and WEB.DE in German
        # Outlook and Exchange in other languages, listed so where the server has no special-use flags
        "Небажана пошта",  # Ukrainian
        "Courrier indésirable",  # French
        "Correo no deseado",  # Spanish
        "Posta indesiderata",  # Italian
        "Lixo Eletrônico",  # Portuguese (Brazil)
        "Ongewenste e-mail",  # Dutch
        "Wiadomości-śmieci",  # Polish
        "Nevyžádaná pošta",  # Czech
        "Gereksiz E-posta",  # Turkish
    ),
)
"""The spam folder: flagged \\Junk where the server has RFC 6154 flags, else named as providers name it. Names are
compared without case, spaces, hyphens or underscores, so "Junk E-mail", "Junk Email" and "JUNK-EMAIL" are one."""
SENT = FolderSpec("\\Sent", ("Sent", "Sent Items", "Sent Messages", "Отправленные"))


@dataclass(frozen=True, slots=True)
class ProviderPreset:
    """Everything provider-specific that the platform needs to use a mailbox.

    `provider_daily_limit` is the provider's own hard limit (None when unpublished); `default_daily_cap` is
    the platform's cautious starting cap for a cold-outreach mailbox, far below it.
    """

    provider: MailProvider
    smtp: Endpoint | None
    imap: Endpoint | None
    smtp_alternatives: tuple[Endpoint, ...]
    auth_kinds: tuple[AuthKind, ...]
    provider_daily_limit: int | None
    default_daily_cap: int
    max_recipients_per_message: int | None
    spam: FolderSpec = SPAM
    sent: FolderSpec = SENT


PRESETS: dict[MailProvider, ProviderPreset] = {
    # smtp.yandex.ru:465 implicit TLS [V], 587 STARTTLS reported to work [V3]; 500/day and 35 recipients per
    # SMTP message are the published consumer limits [V]; business limits are unpublished, so keep the lower.
    MailProvider.YANDEX360: ProviderPreset(
        provider=MailProvider.YANDEX360,
        smtp=Endpoint("smtp.yandex.ru", 465, TlsMode.IMPLICIT),
        imap=Endpoint("imap.yandex.ru", 993, TlsMode.IMPLICIT),
        smtp_alternatives=(Endpoint("smtp.yandex.ru", 587, TlsMode.STARTTLS),),
        auth_kinds=(AuthKind.PASSWORD, AuthKind.XOAUTH2),
        provider_daily_limit=500,
        default_daily_cap=40,
        max_recipients_per_message=35,
    ),
    # smtp.mail.ru:465 / imap.mail.ru:993 implicit TLS [V3]; limits not published.
    MailProvider.MAILRU: ProviderPreset(
        provider=MailProvider.MAILRU,
        smtp=Endpoint("smtp.mail.ru", 465, TlsMode.IMPLICIT),
        imap=Endpoint("imap.mail.ru", 993, TlsMode.IMPLICIT),
        smtp_alternatives=(),
        auth_kinds=(AuthKind.PASSWORD,),
        provider_daily_limit=None,
        default_daily_cap=40,
        max_recipients_per_message=None,
    ),
    # Hosts come from the import row.
    MailProvider.GENERIC: ProviderPreset(
        provider=MailProvider.GENERIC,
        smtp=None,
        imap=None,
        smtp_alternatives=(),
        auth_kinds=(AuthKind.PASSWORD, AuthKind.XOAUTH2),
        provider_daily_limit=None,
        default_daily_cap=30,
        max_recipients_per_message=None,
    ),
}

_DEFAULT_PORTS: dict[tuple[str, TlsMode], int] = {
    ("smtp", TlsMode.IMPLICIT): 465,
    ("smtp", TlsMode.STARTTLS): 587,
    ("smtp", TlsMode.PLAIN): 25,
    ("imap", TlsMode.IMPLICIT): 993,
    ("imap", TlsMode.STARTTLS): 143,
    ("imap", TlsMode.PLAIN): 143,
}


def preset(provider: MailProvider) -> ProviderPreset:
    return PRESETS[provider]


def default_port(protocol: Literal["smtp", "imap"], tls: TlsMode) -> int:
    """The conventional port for a protocol and TLS mode, so an import row may omit it."""
    return _DEFAULT_PORTS[(protocol, tls)]


def endpoints_for(
    provider: MailProvider,
    *,
    smtp: Endpoint | None = None,
    imap: Endpoint | None = None,
) -> tuple[Endpoint, Endpoint]:
    """The (SMTP, IMAP) endpoints of a mailbox: explicit ones win over the preset; generic needs both given."""
    known = PRESETS[provider]
    smtp = smtp or known.smtp
    imap = imap or known.imap
    if smtp is None or imap is None:
        raise UserError("provider-endpoints-missing", provider=provider.value)
    return smtp, imap


def xoauth2_sasl(username: str, access_token: str) -> str:
    """The base64 SASL XOAUTH2 initial response (`user=…^Aauth=Bearer …^A^A`), as Yandex documents it.

    Control characters are refused: they would let a crafted username end the SASL fields early.
    """
    for value in (username, access_token):
        if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
            raise ValueError("XOAUTH2 fields must not contain control characters")
    raw = f"user={username}\x01auth=Bearer {access_token}\x01\x01"
    return base64.b64encode(raw.encode()).decode("ascii")


@dataclass(frozen=True, slots=True)
class AccessToken:
    """A short-lived OAuth token of a Yandex 360 service application for one mailbox."""

    token: str = field(repr=False)
    expires_at: dt.datetime

    def __repr__(self) -> str:
        return f"AccessToken(token='***', expires_at={self.expires_at.isoformat()!r})"

    def fresh(self, clock: Clock, *, margin: dt.timedelta = dt.timedelta(minutes=5)) -> bool:
        """Still usable for a whole SMTP/IMAP session starting now."""
        return clock.now() + margin < self.expires_at


async def fetch_service_app_token(
    *,
    client_id: str,
    client_secret: str,
    subject: str,
    subject_kind: Literal["email", "uid"] = "email",
    clock: Clock,
    base_url: str = YANDEX_OAUTH_BASE_URL,
    timeout: float = 10.0,  # noqa: ASYNC109 - the HTTP client's own timeout, one place for every phase
    session: aiohttp.ClientSession | None = None,
) -> AccessToken:
    """Exchange service-application credentials for a mailbox's access token (RFC 8693 token exchange).

    Raises `UserError("provider-oauth-token-failed", status=…)`; neither the secret nor the response body (which may
    echo request fields) ends up in the error. `base_url` is injectable so tests use a local server.
    """
    form = {
        "grant_type": _TOKEN_EXCHANGE_GRANT,
        "client_id": client_id,
        "client_secret": client_secret,
        "subject_token": subject,
        "subject_token_type": _SUBJECT_TOKEN_TYPES[subject_kind],
    }
    own = session is None
    http = session or aiohttp.ClientSession()
    try:
        async with http.post(
            base_url.rstrip("/") + "/token", data=form, timeout=aiohttp.ClientTimeout(total=timeout)
        ) as response:
            if response.status != 200:
                raise UserError("provider-oauth-token-failed", status=str(response.status))
            body = await response.read()
    except (aiohttp.ClientError, TimeoutError):
        raise UserError("provider-oauth-token-failed", status="unreachable") from None
    finally:
        if own:
            await http.close()
    return _parse_token(body, clock)


def _parse_token(body: bytes, clock: Clock) -> AccessToken:
    try:
        payload = json.loads(body)
    except ValueError:
        raise UserError("provider-oauth-token-failed", status="malformed") from None
    if not isinstance(payload, dict):
        raise UserError("provider-oauth-token-failed", status="malformed")
    token = payload.get("access_token")
    expires_in = payload.get("expires_in", 3600)
    if not isinstance(token, str) or not token or not isinstance(expires_in, int) or expires_in <= 0:
        raise UserError("provider-oauth-token-failed", status="malformed")
    return AccessToken(token=token, expires_at=clock.now() + dt.timedelta(seconds=expires_in))

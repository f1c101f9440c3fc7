"""Settings from the environment (and an optional `.env`). A bad setting stops the program with one message."""

from __future__ import annotations

import ipaddress
import json
import re
from pathlib import Path
from typing import Annotated, Any, Final, Literal
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs
from cryptography.fernet import Fernet
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from pydantic_settings import SettingsError as PydanticSettingsError


class SettingsError(Exception):
    """Every bad setting at once, each with what it expects."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid settings:\n" + "\n".join(f"  - {p}" for p in problems))


ZONE_KINDS: Final = ("domain", "ip")
ZONE_FAMILIES: Final = ("spamhaus-dbl", "spamhaus-zen", "uribl", "surbl", "barracuda", "spamcop")  # dnsbl.Family


class DnsblZoneSetting(BaseModel):
    """One blocklist of `DNSBL_ZONES`: its name (asked as `<target>.<name>`), what it lists, and which table
    of answer codes it uses. `query_zone`, when given, is asked instead of the name (a mirror). `test_point`, when
    given, is an entry the list always lists (an IP or a domain): when it reads "not listed", so does everything,
    and the list's answers are "could not check"."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    kind: Literal["domain", "ip"]
    family: Literal["spamhaus-dbl", "spamhaus-zen", "uribl", "surbl", "barracuda", "spamcop"]
    query_zone: str = ""
    test_point: str = ""


_WEBHOOK_SECRET: Final = re.compile(r"[A-Za-z0-9_-]{1,256}")
_LABEL: Final = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?$")
_ZONE_EXAMPLE: Final = '{"name": "dbl.spamhaus.org", "kind": "domain", "family": "spamhaus-dbl"}'


def _is_zone_name(value: object) -> bool:
    if not isinstance(value, str):
        return False
    name = value.lower().rstrip(".")
    return 0 < len(name) <= 253 and all(_LABEL.match(label) for label in name.split("."))


def _zone_problem(item: object) -> str:
    """What is wrong with one `DNSBL_ZONES` entry ("" when nothing): the first problem found."""
    if not isinstance(item, dict):
        return f"expected an object such as {_ZONE_EXAMPLE}"
    missing = [key for key in ("name", "kind", "family") if key not in item]
    unknown = sorted(set(item) - {"name", "kind", "family", "query_zone", "test_point"})
    problems = [
        (bool(missing), "missing " + ", ".join(missing)),
        (bool(unknown), "unknown key " + ", ".join(unknown) + " (expected name, kind, family, query_zone, test_point)"),
        (not _is_zone_name(item.get("name", "x")), f"name {item.get('name')!r} is not a DNS name"),
        # the query zone is not quoted: a mirror's may hold an access key
        (not _is_zone_name(item.get("query_zone", "x")), "query_zone is not a DNS name"),
        (item.get("kind", "ip") not in ZONE_KINDS, f"kind {item.get('kind')!r} is not one of {', '.join(ZONE_KINDS)}"),
        (
            item.get("family", "uribl") not in ZONE_FAMILIES,
            f"family {item.get('family')!r} is not one of {', '.join(ZONE_FAMILIES)}",
        ),
    ]
    return next((problem for bad, problem in problems if bad), "")


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("mailfleet", appauthor=False))


class Settings(BaseSettings):
    """Mailfleet's configuration. Secrets are `SecretStr`: `repr()` and logs show `**********`."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str | None = Field(None, description="postgres://user:pass@host:5432/db; unset: embedded")
    redis_url: str | None = Field(None, description="redis://host:6379/0; unset: embedded")
    data_dir: Path = Field(default_factory=default_data_dir, description="embedded PostgreSQL/Redis data")
    encryption_keys: SecretStr | None = Field(
        None, description="comma-separated Fernet keys, newest first (rotation: prepend a new key)"
    )
    telegram_token: SecretStr | None = Field(None, description="bot token from @BotFather")
    telegram_mode: Literal["polling", "webhook", "off"] = "polling"
    telegram_webhook_secret: SecretStr | None = Field(None, description="X-Telegram-Bot-Api-Secret-Token")
    telegram_webhook_url: str | None = Field(None, description="public https URL of /telegram/webhook")
    telegram_api_base: str = Field("https://api.telegram.org", description="Bot API server base URL")
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = Field(None, description="xapp-… token for Socket Mode")
    slack_api_base: str = Field("https://slack.com/api/", description="Slack Web API base URL")
    tracking_base_url: str = Field("http://127.0.0.1:8080", description="public URL of the tracking host")
    dns_resolvers: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["77.88.8.8", "1.1.1.1"])
    dns_port: int = Field(53, ge=1, le=65535)
    dns_timeout_s: float = Field(3.0, gt=0, le=60)
    dnsbl_dqs_key: SecretStr | None = Field(None, description="Spamhaus Data Query Service key")
    dnsbl_zones: Annotated[list[DnsblZoneSetting] | None, NoDecode] = Field(
        None, description='blocklists asked, a JSON list of {"name", "kind", "family"}; unset: the default lists'
    )
    dnsbl_resolvers: Annotated[list[str] | None, NoDecode] = Field(
        None, description="resolvers asked about blocklists; unset: DNS_RESOLVERS"
    )
    dnsbl_port: int | None = Field(None, ge=1, le=65535, description="their port; unset: DNS_PORT")
    dnsbl_timeout_s: float | None = Field(None, gt=0, le=60, description="their timeout; unset: DNS_TIMEOUT_S")
    regru_username: str | None = Field(None, description="REG.RU API login (zones on REG.RU name servers)")
    regru_password: SecretStr | None = Field(None, description="REG.RU API password")
    regru_api_base: str = "https://api.reg.ru/api/regru2/"
    yandex360_org_id: int | None = Field(None, description="Yandex 360 organization id")
    yandex360_token: SecretStr | None = Field(None, description="Yandex 360 OAuth token (directory, DNS)")
    yandex360_api_base: str = "https://api360.yandex.net"
    mail_ca_file: Path | None = Field(None, description="PEM bundle of CAs trusted for SMTP/IMAP besides the system's")
    mail_allowed_ports: Annotated[list[int], NoDecode] = Field(
        default_factory=lambda: [25, 465, 587, 2525, 143, 993], description="ports mailbox imports may connect to"
    )
    mail_allow_private_hosts: bool = Field(False, description="let imports reach loopback/private mail servers")
    admin_telegram_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    admin_slack_ids: Annotated[list[str], NoDecode] = Field(default_factory=list)
    default_locale: Literal["ru", "en"] = "ru"
    timezone: str = "Europe/Moscow"
    web_host: str = "127.0.0.1"
    web_port: int = Field(8080, ge=0, le=65535)
    log_format: Literal["auto", "console", "json"] = "auto"
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    @field_validator(
        "dns_resolvers", "dnsbl_resolvers", "admin_telegram_ids", "admin_slack_ids", "mail_allowed_ports", mode="before"
    )
    @classmethod
    def _split_list(cls, value: Any, info: ValidationInfo) -> Any:
        """A JSON list (`["1.1.1.1"]`) or a comma-separated one (`1.1.1.1, 8.8.8.8`); the items are checked next."""
        if not isinstance(value, str):
            return value
        text = value.strip()
        if not text and info.field_name == "dnsbl_resolvers":
            return None  # empty: unset, the DNS resolvers are used
        if text.startswith("["):
            try:
                return json.loads(text)
            except json.JSONDecodeError:
                raise ValueError(f"expected {EXPECTS[str(info.field_name)]}; this is not a valid JSON list") from None
        return [item.strip() for item in text.split(",") if item.strip()]

    @field_validator("dns_resolvers", "dnsbl_resolvers")
    @classmethod
    def _check_resolvers(cls, value: list[str] | None, info: ValidationInfo) -> list[str] | None:
        expects = EXPECTS[str(info.field_name)]
        if value is not None and not value:
            raise ValueError(f"expected {expects}; the list is empty")
        for item in value or ():
            try:
                ipaddress.ip_address(item)
            except ValueError:
                raise ValueError(f"expected {expects}; {item!r} is not an IP address") from None
        return value

    @field_validator("dnsbl_zones", mode="before")
    @classmethod
    def _parse_zones(cls, value: Any) -> Any:
        """A JSON list of zones, each checked here so that one message names every bad entry."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                raise ValueError(f"expected {EXPECTS['dnsbl_zones']}; this is not valid JSON") from None
        if not isinstance(value, list) or not value:
            raise ValueError(f"expected {EXPECTS['dnsbl_zones']}; got no list of zones")
        problems = [f"zone {n}: {p}" for n, item in enumerate(value, 1) if (p := _zone_problem(item))]
        names = [str(item["name"]).lower().rstrip(".") for item in value if isinstance(item, dict) and "name" in item]
        problems += [f"zone {name!r} is given twice" for name in sorted({n for n in names if names.count(n) > 1})]
        if problems:
            raise ValueError("; ".join(problems))
        return value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str | None) -> str | None:
        """A host, or (libpq's form, which `engine.db` reads) a Unix socket directory:
        `postgresql://user@/db?host=/run/postgresql`."""
        return _check_service_url(
            value, ("postgres", "postgresql"), "a postgres:// or postgresql:// URL", socket_query=True
        )

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: str | None) -> str | None:
        return _check_service_url(value, ("redis", "rediss", "unix"), "a redis://, rediss:// or unix:// URL")

    @field_validator("encryption_keys")
    @classmethod
    def _check_encryption_keys(cls, value: SecretStr | None) -> SecretStr | None:
        """Every key must be a Fernet key; a bad one is named by its position, never shown."""
        if value is None:
            return None
        keys = [k.strip() for k in value.get_secret_value().split(",") if k.strip()]
        bad = []
        for position, key in enumerate(keys, 1):
            try:
                Fernet(key.encode())
            except ValueError:
                bad.append(str(position))
        if bad:
            if len(keys) == 1:
                which = "the key is not a Fernet key"
            elif len(bad) == 1:
                which = f"key {bad[0]} of {len(keys)} is not a Fernet key"
            else:
                which = f"keys {', '.join(bad)} of {len(keys)} are not Fernet keys"
            raise ValueError(f"{which} (44 characters of url-safe base64); generate one with `mailfleet keygen`")
        return value

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _check_webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        """Telegram's setWebhook takes 1-256 characters A-Z, a-z, 0-9, _ and -; any other secret is refused there,
        at the first start in webhook mode. Never quoted back."""
        if value is not None and not _WEBHOOK_SECRET.fullmatch(value.get_secret_value()):
            raise ValueError("expected 1-256 characters A-Z, a-z, 0-9, _ and - (Telegram refuses any other)")
        return value

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("expected an IANA time zone such as Europe/Moscow") from None
        return value

    @field_validator("mail_ca_file")
    @classmethod
    def _check_mail_ca_file(cls, value: Path | None) -> Path | None:
        if value is not None and str(value):
            from engine.mail.tls import check_ca_file  # noqa: PLC0415 - TLS code only when the setting is used

            check_ca_file(str(value))
        return value or None

    @field_validator("mail_allowed_ports")
    @classmethod
    def _check_mail_ports(cls, value: list[int]) -> list[int]:
        if not value or any(not 0 < port < 65536 for port in value):
            raise ValueError("expected a JSON list of port numbers (1-65535), e.g. [25, 465, 587, 2525, 143, 993]")
        return value

    @field_validator("tracking_base_url", "telegram_api_base", "slack_api_base", "regru_api_base", "yandex360_api_base")
    @classmethod
    def _check_url(cls, value: str) -> str:
        checked = _check_service_url(value, ("http", "https"), "an http:// or https:// URL")
        if checked is None:
            raise ValueError("expected an http:// or https:// URL")
        return checked

    @property
    def embedded(self) -> bool:
        """True when PostgreSQL and Redis are started by Mailfleet itself."""
        return self.database_url is None and self.redis_url is None

    def fernet_keys(self) -> list[str]:
        if self.encryption_keys is None:
            return []
        return [k.strip() for k in self.encryption_keys.get_secret_value().split(",") if k.strip()]


def load_settings(**overrides: object) -> Settings:
    """Read settings; raise `SettingsError` naming every bad setting and what it expects.

    A value is quoted back only when it cannot be a secret (tokens, keys, passwords and URLs are never shown).
    """
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise SettingsError(_problems(exc) + _missing_besides(exc, overrides)) from None
    except PydanticSettingsError as exc:  # a source could not even read a value; ours parse lists themselves
        raise SettingsError([f"settings: {exc}"]) from None
    except UnicodeDecodeError as exc:  # the environment is text already: the .env file is not UTF-8
        raise SettingsError(
            [f".env: not UTF-8 text (byte {exc.start + 1} cannot be read); save the file as UTF-8"]
        ) from None
    problems = _missing(settings)
    if problems:
        raise SettingsError(problems)
    return settings


def _missing(settings: Settings, named: frozenset[str] = frozenset()) -> list[str]:
    """What the settings lack together (a URL without the other, a key, the webhook's secret and URL), leaving out
    a check that involves a setting in `named` (one already said to be bad)."""
    checks = [
        (
            {"database_url", "redis_url"},
            (settings.database_url is None) != (settings.redis_url is None),
            "DATABASE_URL and REDIS_URL: set both (production) or neither (embedded default)",
        ),
        (
            {"encryption_keys"},  # a bad URL read as unset: the other one still says production
            not settings.embedded and not settings.fernet_keys(),
            "ENCRYPTION_KEYS: required when DATABASE_URL/REDIS_URL point at production services; "
            "generate one with `mailfleet keygen`",
        ),
        (
            {"telegram_mode", "telegram_webhook_secret"},
            settings.telegram_mode == "webhook" and settings.telegram_webhook_secret is None,
            "TELEGRAM_WEBHOOK_SECRET: required in webhook mode",
        ),
        (
            {"telegram_mode", "telegram_webhook_url"},
            settings.telegram_mode == "webhook" and not settings.telegram_webhook_url,
            "TELEGRAM_WEBHOOK_URL: required in webhook mode (https://your-host/telegram/webhook)",
        ),
    ]
    return [problem for fields, bad, problem in checks if bad and not fields & named]


def _missing_besides(exc: ValidationError, overrides: dict[str, object]) -> list[str]:
    """`_missing` of the settings read again with each bad value replaced by its default: one message names the
    bad values and what is missing besides (a WEB_PORT typo no longer hides a REDIS_URL left out)."""
    named = frozenset(str(err["loc"][0]) for err in exc.errors() if err["loc"])
    defaults = {
        name: info.get_default(call_default_factory=True)
        for name, info in Settings.model_fields.items()
        if name in named
    }
    try:
        rest = Settings(**{**overrides, **defaults})
    except Exception:  # the bad values are said already; what is missing besides is a bonus
        return []
    return _missing(rest, named)


# What each setting expects, for the errors pydantic words in its own terms ("Input should be a valid integer").
# Our validators word their own message; a setting missing here falls back to pydantic's wording.
EXPECTS: dict[str, str] = {
    "database_url": "a postgres:// or postgresql:// URL",
    "redis_url": "a redis://, rediss:// or unix:// URL",
    "data_dir": "a directory path",
    "encryption_keys": "comma-separated Fernet keys (`mailfleet keygen` makes one)",
    "telegram_token": "the bot token from @BotFather",
    "telegram_mode": "polling, webhook or off",
    "telegram_webhook_secret": "a secret string (1-256 characters A-Z, a-z, 0-9, _ and -)",
    "telegram_webhook_url": "the public https URL of /telegram/webhook",
    "telegram_api_base": "an http:// or https:// URL",
    "slack_bot_token": "an xoxb-… token",
    "slack_signing_secret": "the app's signing secret",
    "slack_app_token": "an xapp-… token",
    "slack_api_base": "an http:// or https:// URL",
    "tracking_base_url": "an http:// or https:// URL",
    "dns_resolvers": 'IP addresses, as a JSON list (["77.88.8.8", "1.1.1.1"]) or separated by commas',
    "dns_port": "a port number from 1 to 65535",
    "dns_timeout_s": "seconds, a number above 0 and at most 60",
    "dnsbl_dqs_key": "a Spamhaus DQS key",
    "dnsbl_zones": (
        'a JSON list of zones, e.g. [{"name": "dbl.spamhaus.org", "kind": "domain", "family": "spamhaus-dbl"}] '
        f"(kind: {', '.join(ZONE_KINDS)}; family: {', '.join(ZONE_FAMILIES)})"
    ),
    "dnsbl_resolvers": 'IP addresses, as a JSON list (["127.0.0.1"]) or separated by commas',
    "dnsbl_port": "a port number from 1 to 65535",
    "dnsbl_timeout_s": "seconds, a number above 0 and at most 60",
    "regru_username": "a REG.RU login",
    "regru_password": "a REG.RU password",
    "regru_api_base": "an http:// or https:// URL",
    "yandex360_org_id": "a whole number (the Yandex 360 organization id)",
    "yandex360_token": "a Yandex 360 OAuth token",
    "yandex360_api_base": "an http:// or https:// URL",
    "mail_ca_file": "a readable file of PEM CA certificates",
    "mail_allowed_ports": "port numbers (1-65535), as a JSON list ([587, 993]) or separated by commas",
    "mail_allow_private_hosts": "true or false",
    "admin_telegram_ids": "Telegram user ids (whole numbers), as a JSON list ([123, 456]) or separated by commas",
    "admin_slack_ids": 'Slack user ids, as a JSON list (["U012AB"]) or separated by commas',
    "default_locale": "ru or en",
    "timezone": "an IANA time zone such as Europe/Moscow",
    "web_host": "a host name or IP address to listen on",
    "web_port": "a port number from 0 to 65535",
    "log_format": "auto, console or json",
    "log_level": "debug, info, warning or error",
}


def _problems(exc: ValidationError) -> list[str]:
    """One line per bad setting: its name, what it expects, what it got (unless that may be a secret)."""
    problems: dict[str, str] = {}
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else "settings"
        if field in problems:  # several items of one list: the setting is named once
            continue
        if err["type"] == "value_error":  # our own validators word the whole problem
            problem = str(err["msg"]).removeprefix("Value error, ")
        else:
            problem = f"expected {EXPECTS.get(field, err['msg'])}"
        shown = _shown(err.get("input"), field)
        problems[field] = f"{field.upper()}: {problem}" + (f" (got {shown})" if shown else "")
    return list(problems.values())


def _check_service_url(
    value: str | None, schemes: tuple[str, ...], expected: str, *, socket_query: bool = False
) -> str | None:
    """The URL if its scheme is one of `schemes` and its host and port make sense; empty means unset. With
    `socket_query`, a `?host=/directory` (a Unix socket) stands for the host."""
    if not value:
        return None
    try:
        parts = urlsplit(value)
        port = parts.port  # raises for a port that is not a number from 0 to 65535
    except ValueError:
        raise ValueError(f"expected {expected} with a port number from 1 to 65535") from None
    socket = socket_query and parse_qs(parts.query).get("host", [""])[-1].startswith("/")
    if parts.scheme not in schemes or (parts.scheme != "unix" and not (parts.hostname or socket)) or port == 0:
        raise ValueError(f"expected {expected}")
    return value


def _shown(value: object, name: str) -> str:
    """The value as given, or "" for a setting that may hold a secret (URLs may carry passwords)."""
    secret_words = ("token", "secret", "key", "password", "url", "base", "zones")  # a zone may carry a DQS key
    if any(w in name.lower() for w in secret_words) or isinstance(value, SecretStr):
        return ""
    return repr(value)

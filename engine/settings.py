"""Settings from the environment (and an optional `.env`). A bad setting stops the program with one message."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class SettingsError(Exception):
    """Every bad setting at once, each with what it expects."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid settings:\n" + "\n".join(f"  - {p}" for p in problems))


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
    dns_resolvers: list[str] = Field(default_factory=lambda: ["77.88.8.8", "1.1.1.1"])
    dns_port: int = Field(53, ge=1, le=65535)
    dns_timeout_s: float = Field(3.0, gt=0, le=60)
    dnsbl_dqs_key: SecretStr | None = Field(None, description="Spamhaus Data Query Service key")
    regru_username: str | None = Field(None, description="REG.RU API login (zones on REG.RU name servers)")
    regru_password: SecretStr | None = Field(None, description="REG.RU API password")
    regru_api_base: str = "https://api.reg.ru/api/regru2/"
    yandex360_org_id: int | None = Field(None, description="Yandex 360 organization id")
    yandex360_token: SecretStr | None = Field(None, description="Yandex 360 OAuth token (directory, DNS)")
    yandex360_api_base: str = "https://api360.yandex.net"
    mail_ca_file: Path | None = Field(None, description="PEM bundle of CAs trusted for SMTP/IMAP besides the system's")
    mail_allowed_ports: list[int] = Field(
        default_factory=lambda: [25, 465, 587, 2525, 143, 993], description="ports mailbox imports may connect to"
    )
    mail_allow_private_hosts: bool = Field(False, description="let imports reach loopback/private mail servers")
    admin_telegram_ids: list[int] = Field(default_factory=list)
    admin_slack_ids: list[str] = Field(default_factory=list)
    default_locale: Literal["ru", "en"] = "ru"
    timezone: str = "Europe/Moscow"
    web_host: str = "127.0.0.1"
    web_port: int = Field(8080, ge=0, le=65535)
    log_format: Literal["auto", "console", "json"] = "auto"
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("postgres://", "postgresql://")):
            raise ValueError("expected a postgres:// or postgresql:// URL")
        return value or None

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("expected a redis://, rediss:// or unix:// URL")
        return value or None

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
        if not value.startswith(("http://", "https://")):
            raise ValueError("expected an http:// or https:// URL")
        return value

    @property
    def embedded(self) -> bool:
        """True when PostgreSQL and Redis are started by Mailfleet itself."""
        return self.database_url is None and self.redis_url is None

    def fernet_keys(self) -> list[str]:
        if self.encryption_keys is None:
            return []
        return [k.strip() for k in self.encryption_keys.get_secret_value().split(",") if k.strip()]


def load_settings(**overrides: object) -> Settings:
    """Read settings; raise `SettingsError` naming every bad setting and what it expects."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = ".".join(str(p) for p in err["loc"]) or "settings"
            problems.append(f"{name.upper()}: {err['msg']} (got {_shown(err.get('input'), name)})")
        raise SettingsError(problems) from None
    problems = []
    if (settings.database_url is None) != (settings.redis_url is None):
        problems.append("DATABASE_URL and REDIS_URL: set both (production) or neither (embedded default)")
    if not settings.embedded and not settings.fernet_keys():
        problems.append(
            "ENCRYPTION_KEYS: required when DATABASE_URL/REDIS_URL point at production services; "
            "generate one with `mailfleet keygen`"
        )
    if settings.telegram_mode == "webhook" and settings.telegram_webhook_secret is None:
        problems.append("TELEGRAM_WEBHOOK_SECRET: required in webhook mode")
    if settings.telegram_mode == "webhook" and not settings.telegram_webhook_url:
        problems.append("TELEGRAM_WEBHOOK_URL: required in webhook mode (https://your-host/telegram/webhook)")
    if problems:
        raise SettingsError(problems)
    return settings


def _shown(value: object, name: str) -> str:
    secret_words = ("token", "secret", "key", "password", "url")
    if any(w in name.lower() for w in secret_words):
        return "a value that is not shown"
    return repr(value)

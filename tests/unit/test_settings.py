from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from engine.settings import EXPECTS, Settings, SettingsError, load_settings

KEY = Fernet.generate_key().decode()


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    for name in (
        "DATABASE_URL",
        "REDIS_URL",
        "ENCRYPTION_KEYS",
        "TELEGRAM_TOKEN",
        "TELEGRAM_MODE",
        "WEB_PORT",
        "TIMEZONE",
        "DEFAULT_LOCALE",
        "TELEGRAM_WEBHOOK_SECRET",
        "ADMIN_TELEGRAM_IDS",
        "ADMIN_SLACK_IDS",
        "DNS_RESOLVERS",
        "DNS_PORT",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_embedded_default_needs_nothing() -> None:
    settings = load_settings()
    assert settings.embedded
    assert settings.fernet_keys() == []


def test_every_bad_setting_is_named_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://x")
    monkeypatch.setenv("WEB_PORT", "99999")
    monkeypatch.setenv("TIMEZONE", "Mars/Base")
    monkeypatch.setenv("DEFAULT_LOCALE", "de")
    with pytest.raises(SettingsError) as err:
        load_settings()
    text = str(err.value)
    for name in ("DATABASE_URL", "WEB_PORT", "TIMEZONE", "DEFAULT_LOCALE"):
        assert name in text
    assert "postgres://" in text and "IANA" in text
    assert "mysql://x" not in text  # URLs may carry passwords: never echoed


def test_production_urls_need_an_encryption_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db:5432/mf")
    monkeypatch.setenv("REDIS_URL", "redis://redis:6379/0")
    with pytest.raises(SettingsError, match="ENCRYPTION_KEYS"):
        load_settings()
    monkeypatch.setenv("ENCRYPTION_KEYS", f" {KEY} , {Fernet.generate_key().decode()} ")
    settings = load_settings()
    assert settings.fernet_keys()[0] == KEY and len(settings.fernet_keys()) == 2


def test_one_url_without_the_other_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://redis:6379/0")
    with pytest.raises(SettingsError, match="set both"):
        load_settings()


def test_webhook_mode_needs_its_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_MODE", "webhook")
    with pytest.raises(SettingsError, match="TELEGRAM_WEBHOOK_SECRET"):
        load_settings()


def test_secrets_are_hidden_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_TOKEN", "123456:SECRET-TOKEN-VALUE")
    monkeypatch.setenv("ADMIN_TELEGRAM_IDS", "[1, 2]")
    settings = load_settings()
    assert "SECRET-TOKEN-VALUE" not in repr(settings)
    assert settings.admin_telegram_ids == [1, 2]


def test_dotenv_file_is_read(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("WEB_PORT=9123\nDEFAULT_LOCALE=en\n")
    settings = load_settings()
    assert settings.web_port == 9123 and settings.default_locale == "en"


def test_every_setting_says_what_it_expects() -> None:
    assert sorted(set(Settings.model_fields) - set(EXPECTS)) == []


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("WEB_PORT", "abc", "WEB_PORT: expected a port number from 0 to 65535 (got 'abc')"),
        ("DNS_PORT", "99999", "DNS_PORT: expected a port number from 1 to 65535 (got '99999')"),
        ("DEFAULT_LOCALE", "de", "DEFAULT_LOCALE: expected ru or en (got 'de')"),
        ("ADMIN_TELEGRAM_IDS", "[1, 2", "ADMIN_TELEGRAM_IDS: expected Telegram user ids"),
        ("ADMIN_TELEGRAM_IDS", "1, x", "ADMIN_TELEGRAM_IDS: expected Telegram user ids"),
        ("DNS_RESOLVERS", "1.1.1.1, dns.google", "DNS_RESOLVERS: expected IP addresses"),
        ("MAIL_ALLOWED_PORTS", "587, smtp", "MAIL_ALLOWED_PORTS: expected port numbers"),
        ("MAIL_ALLOWED_PORTS", "[587, 70000]", "MAIL_ALLOWED_PORTS: "),
        ("MAIL_ALLOW_PRIVATE_HOSTS", "maybe", "MAIL_ALLOW_PRIVATE_HOSTS: expected true or false"),
    ],
)
def test_a_bad_value_is_named_with_what_is_expected(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert err.value.problems[0].startswith(message) and len(err.value.problems) == 1


def test_lists_are_json_or_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_TELEGRAM_IDS", "12, 34")
    monkeypatch.setenv("ADMIN_SLACK_IDS", '["U1", "U2"]')
    monkeypatch.setenv("DNS_RESOLVERS", "127.0.0.1")
    monkeypatch.setenv("MAIL_ALLOWED_PORTS", "587, 2525")
    settings = load_settings()
    assert (settings.admin_telegram_ids, settings.admin_slack_ids, settings.dns_resolvers) == (
        [12, 34],
        ["U1", "U2"],
        ["127.0.0.1"],
    )
    assert settings.mail_allowed_ports == [587, 2525]


def test_bad_keys_and_urls_are_named_but_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENCRYPTION_KEYS", f"{KEY},not-a-key,{KEY}")
    monkeypatch.setenv("DATABASE_URL", "postgres://u:hunter2@db:port/mf")
    monkeypatch.setenv("REDIS_URL", "redis://:hunter3@redis:99999/0")
    with pytest.raises(SettingsError) as err:
        load_settings()
    text = str(err.value)
    assert "ENCRYPTION_KEYS: key 2 of 3 is not a Fernet key" in text
    assert "DATABASE_URL: expected a postgres:// or postgresql:// URL with a port number" in text
    assert "REDIS_URL: expected a redis://" in text
    for secret in (KEY, "not-a-key", "hunter2", "hunter3"):
        assert secret not in text


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("not-a-key", "ENCRYPTION_KEYS: the key is not a Fernet key (44 characters"),
        (f"bad-one,{KEY},bad-two", "ENCRYPTION_KEYS: keys 1, 3 of 3 are not Fernet keys (44 characters"),
    ],
)
def test_bad_keys_are_counted_in_plain_words(monkeypatch: pytest.MonkeyPatch, value: str, said: str) -> None:
    """One key read "the key of 1 is not a Fernet key", two bad ones "key 1, 3 of 3 is not"."""
    monkeypatch.setenv("ENCRYPTION_KEYS", value)
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert said in str(err.value)
    assert "bad-one" not in str(err.value) and "not-a-key" not in str(err.value)


def test_a_webhook_secret_telegram_would_refuse_is_named_not_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    """A secret with a space or a colon passed the settings and failed at setWebhook on the first start."""
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "my secret:42")
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert "TELEGRAM_WEBHOOK_SECRET: expected 1-256 characters A-Z, a-z, 0-9, _ and -" in str(err.value)
    assert "my secret" not in str(err.value)


def test_a_dotenv_file_not_in_utf8_is_one_clean_message(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A .env saved in Windows-1251 (a Russian comment) stopped the program with a UnicodeDecodeError traceback."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_bytes("# пароли\nDNS_PORT=53\n".encode("cp1251"))
    with pytest.raises(SettingsError) as err:
        load_settings()
    said = "  - .env: not UTF-8 text (byte 3 cannot be read); save the file as UTF-8"
    assert str(err.value) == "invalid settings:\n" + said


@pytest.mark.parametrize(
    "url", ["postgresql://mf:pw@/mailfleet?host=/run/postgresql", "postgres:///mailfleet?host=/var/run/postgresql"]
)
def test_a_database_on_a_unix_socket_is_accepted(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    """libpq's socket form, which `engine.db.credentials_from_url` reads (`?host=/directory`), was refused as
    "expected a postgres:// or postgresql:// URL"; a URL with neither a host nor a socket still is."""
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("ENCRYPTION_KEYS", KEY)
    assert load_settings().database_url == url
    monkeypatch.setenv("DATABASE_URL", url.split("?", maxsplit=1)[0] + "?host=relative")
    with pytest.raises(SettingsError, match="DATABASE_URL: expected a postgres:// or postgresql:// URL"):
        load_settings()


def test_a_bad_value_does_not_hide_what_is_missing_besides(monkeypatch: pytest.MonkeyPatch) -> None:
    """A WEB_PORT typo stopped the check before the settings that go together were looked at: the operator fixed
    the port and only then heard that REDIS_URL, ENCRYPTION_KEYS and the webhook's settings were missing."""
    monkeypatch.setenv("WEB_PORT", "abc")
    monkeypatch.setenv("DATABASE_URL", "postgres://u:hunter2@db:5432/mf")
    monkeypatch.setenv("TELEGRAM_MODE", "webhook")
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert [p.split(":")[0] for p in err.value.problems] == [
        "WEB_PORT",
        "DATABASE_URL and REDIS_URL",
        "ENCRYPTION_KEYS",
        "TELEGRAM_WEBHOOK_SECRET",
        "TELEGRAM_WEBHOOK_URL",
    ]
    assert "hunter2" not in str(err.value)


def test_a_bad_url_is_not_also_called_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    """A malformed URL is named as malformed, not also as "set both or neither" (it was given)."""
    monkeypatch.setenv("DATABASE_URL", "mysql://x@h/db")
    monkeypatch.setenv("REDIS_URL", "redis://r:6379/0")
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert [p.split(":")[0] for p in err.value.problems] == ["DATABASE_URL", "ENCRYPTION_KEYS"]

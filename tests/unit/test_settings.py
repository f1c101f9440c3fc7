import pytest
from cryptography.fernet import Fernet

from engine.settings import SettingsError, load_settings

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

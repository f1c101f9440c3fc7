"""`mailfleet console` as a script or a person drives it: real process, real database and Redis."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

from tests.conftest import REDIS_URL

MAILFLEET = str(Path(sys.executable).with_name("mailfleet"))


def _console(
    database_url: str, cwd: Path, *lines: str, stdin: str | None = None, **settings: str
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATA_DIR", "ENCRYPTION_KEYS", "DEFAULT_LOCALE"}}
    env.update(
        DATABASE_URL=database_url,
        ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        **{"REDIS_URL": REDIS_URL, "LOG_FORMAT": "json", "LOG_LEVEL": "warning", **settings},
    )
    args = [MAILFLEET, "console", *(a for line in lines for a in ("-c", line))]
    return subprocess.run(args, env=env, cwd=cwd, input=stdin, capture_output=True, text=True, timeout=120, check=False)


def test_commands_run_in_order_and_the_exit_status_tells_failure(orm, database_url: str, tmp_path: Path) -> None:
    ok = _console(database_url, tmp_path, "/workspace_new acme ACME Ltd", "/workspaces", "/whoami")
    assert ok.returncode == 0, ok.stderr
    assert "ACME Ltd" in ok.stdout and "администратор агентства" in ok.stdout
    failed = _console(database_url, tmp_path, "/workspace_new acme again", "/whoami")
    assert failed.returncode == 1
    assert "уже существует" in failed.stdout


def test_interactive_prompt_reads_until_eof(orm, database_url: str, tmp_path: Path) -> None:
    result = _console(database_url, tmp_path, stdin="/lang en\n/help\nexit\n")
    assert result.returncode == 0, result.stderr
    assert "mailfleet> " in result.stdout and "Commands available to you" in result.stdout


def test_the_console_speaks_the_default_locale_until_lang(orm, database_url: str, tmp_path: Path) -> None:
    english = _console(database_url, tmp_path, "/whoami", "/nope", DEFAULT_LOCALE="en")
    assert "Role: agency admin" in english.stdout and "I don't know the command /nope" in english.stdout
    assert english.returncode == 1
    russian = _console(database_url, tmp_path, "/lang ru", "/whoami", DEFAULT_LOCALE="en")
    assert russian.returncode == 0, russian.stderr
    assert "администратор агентства" in russian.stdout


def test_a_current_schema_is_not_announced(orm, database_url: str, tmp_path: Path) -> None:
    """The console applies pending migrations first, and says so only when there were some."""
    result = _console(database_url, tmp_path, "/whoami", LOG_LEVEL="info")
    assert result.returncode == 0, result.stderr
    assert "migration" not in result.stderr


def test_a_command_that_needs_redis_while_it_is_down_says_so(orm, database_url: str, tmp_path: Path) -> None:
    """The console starts on the database alone; a command that needs Redis then names what is missing."""
    lines = ("/whoami", "/workspace_new acme ACME", "/use acme", "/forget_confirm Zq3xT9")
    down = _console(database_url, tmp_path, *lines, REDIS_URL="redis://127.0.0.1:1/0")
    assert "администратор агентства" in down.stdout  # /whoami needs no Redis
    assert "база данных или Redis" in down.stdout and "ничего не изменено" in down.stdout, down.stdout
    assert down.returncode == 1 and "Traceback" not in down.stdout


def test_a_file_is_bounded_before_it_is_read_and_a_bad_path_is_said_in_words(
    orm, database_url: str, tmp_path: Path
) -> None:
    """`/mailbox_import @big.csv` read the whole file into memory (any size: a 10 GB export, /dev/zero) and only
    then refused it; a missing file printed the operating system's English ("No such file or directory")."""
    big = tmp_path / "big.csv"
    big.write_bytes(b"email\n" + b"a@example.com\n" * 800_000)  # 11 MB
    lines = ("/lang en", "/workspace_new acme ACME", "/mailbox_import @big.csv", "/mailbox_import @/dev/zero")
    result = _console(database_url, tmp_path, *lines, "/mailbox_import @nope.csv", "/mailbox_import @.")
    assert result.returncode == 1 and "Traceback" not in result.stdout + result.stderr, result.stderr
    assert result.stdout.count("The file is too large: at most 2048 KB.") == 2, result.stdout
    assert "Cannot read the file nope.csv: there is no such file." in result.stdout
    assert "Cannot read the file .: it is a directory." in result.stdout
    assert "No such file" not in result.stdout


def test_a_console_line_is_bounded_before_it_is_split(orm, database_url: str, tmp_path: Path) -> None:
    """A line as long as a chat message may be is refused whole, like one from Telegram or Slack."""
    result = _console(database_url, tmp_path, "/lang en", "/domain_add " + "a.ru " * 20_000)
    assert result.returncode == 1
    assert "The message is too long for a command: 100012 characters, at most 4000." in result.stdout

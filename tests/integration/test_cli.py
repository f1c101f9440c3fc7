"""`mailfleet` as an operator runs it: the embedded default end to end, and every bad start-up input."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import psutil
import pytest
from cryptography.fernet import Fernet

from tests.conftest import REDIS_URL

MAILFLEET = str(Path(sys.executable).with_name("mailfleet"))
SETTINGS_VARS = ("DATABASE_URL", "REDIS_URL", "ENCRYPTION_KEYS", "DATA_DIR", "WEB_PORT", "TELEGRAM_TOKEN")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARS}
    env.update(LOG_FORMAT="json", TELEGRAM_MODE="off", **values)
    return env


def _run(env: dict[str, str], *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([MAILFLEET, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=90, check=False)


STALL_S = 30.0  # no CPU used by the process and its children for this long while not serving: a hang
START_CAP_S = 420.0  # a start that keeps working this long is a failure too


def _cpu_seconds(proc: psutil.Process) -> float:
    total = 0.0
    for p in [proc, *proc.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            cpu = p.cpu_times()
            total += cpu.user + cpu.system + cpu.children_user + cpu.children_system
    return total


def _healthz(port: int, proc: subprocess.Popen[str], log: Path | None = None) -> dict[str, str]:
    """/healthz once `mailfleet run` serves. A start is slow on a busy machine (a fresh database's migrations
    are CPU-bound, 8 s alone and over 40 s beside a parallel test run), so there is no fixed deadline: the wait
    fails when the process exits, when it and its children use no CPU for `STALL_S` (waiting on something that
    never comes: a real hang), or after `START_CAP_S` in all."""
    started = time.monotonic()
    watched = psutil.Process(proc.pid)
    last_cpu, last_progress = -1.0, started
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as resp:
                return dict(json.load(resp))
        except OSError:
            pass
        now = time.monotonic()
        tail = log.read_text()[-4000:] if log is not None else ""
        if proc.poll() is not None:
            raise AssertionError(f"mailfleet run exited with {proc.returncode} before serving\n{tail}")
        cpu = _cpu_seconds(watched)
        if cpu != last_cpu:
            last_cpu, last_progress = cpu, now
        if now - last_progress > STALL_S:
            raise AssertionError(f"mailfleet run hangs: no CPU used for {STALL_S:.0f} s and not serving\n{tail}")
        if now - started > START_CAP_S:
            raise AssertionError(f"mailfleet run still not serving after {START_CAP_S:.0f} s\n{tail}")
        time.sleep(0.2)


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Path, int, Path]]:
    """`mailfleet run` on a fresh data directory, its output in a file (a pipe nobody reads fills and blocks it)."""
    data, port, log = tmp_path / "data", _free_port(), tmp_path / "run.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [MAILFLEET, "run"],
            env=_env(DATA_DIR=str(data), WEB_PORT=str(port)),
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    yield proc, data, port, log
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)


def _socket_dir(data: Path) -> tuple[str, int]:
    lines = (data / "postgres" / "postmaster.pid").read_text().splitlines()
    return lines[4], int(lines[3])


async def _sql(data: Path, query: str) -> list[asyncpg.Record]:
    host, port = _socket_dir(data)
    conn = await asyncpg.connect(host=host, port=port, user="postgres", database="mailfleet")
    try:
        return list(await conn.fetch(query))
    finally:
        await conn.close()


@pytest.mark.timeout(2 * START_CAP_S + 180)  # two starts; a hang fails within STALL_S
async def test_embedded_run_is_healthy_and_keeps_data_across_restarts(running, tmp_path: Path) -> None:
    proc, data, port, log = running
    health = _healthz(port, proc, log)
    assert health["database"] == "up" and health["redis"] == "up", health
    await _sql(
        data,
        "INSERT INTO workspace (slug, name, locale, timezone, sender_name, sender_address, settings,"
        " created_at) VALUES ('kept', 'Kept', 'ru', 'Europe/Moscow', '', '', '{}', now())",
    )

    second = _run(_env(DATA_DIR=str(data), WEB_PORT=str(_free_port())), "run", cwd=tmp_path)
    assert second.returncode == 1
    assert "already running" in second.stderr

    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 0, log.read_text()[-4000:]
    assert not (data / "postgres" / "postmaster.pid").exists()  # PostgreSQL was stopped, not abandoned

    # the console on the same data: its terminal is the chat's, the start-up log shows only when asked for
    quiet = _run(_env(DATA_DIR=str(data)), "console", "-c", "/whoami", cwd=tmp_path)
    assert quiet.returncode == 0 and "администратор агентства" in quiet.stdout, quiet.stderr
    assert "embedded postgres ready" not in quiet.stderr
    loud = _run(_env(DATA_DIR=str(data), LOG_LEVEL="debug"), "console", "-c", "/whoami", cwd=tmp_path)
    assert loud.returncode == 0 and "embedded postgres ready" in loud.stderr, loud.stderr

    again = subprocess.Popen(
        [MAILFLEET, "run"],
        env=_env(DATA_DIR=str(data), WEB_PORT=str(port)),
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert _healthz(port, again)["database"] == "up"
        rows = await _sql(data, "SELECT name FROM workspace WHERE slug = 'kept'")
        assert [r["name"] for r in rows] == ["Kept"]
    finally:
        again.send_signal(signal.SIGTERM)
        assert again.wait(timeout=60) == 0


def test_port_already_in_use(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = _run(_env(DATA_DIR=str(tmp_path / "d"), WEB_PORT=str(port)), "run", cwd=tmp_path)
    assert result.returncode == 1
    assert f"WEB_PORT {port}" in result.stderr and "already in use" in result.stderr
    assert not (tmp_path / "d").exists()  # refused before an embedded PostgreSQL was set up and migrated


def test_unreachable_database_url(tmp_path: Path) -> None:
    env = _env(
        DATABASE_URL="postgres://u:topsecret@127.0.0.1:1/x",
        REDIS_URL="redis://127.0.0.1:6379/15",
        ENCRYPTION_KEYS=Fernet.generate_key().decode(),
    )
    result = _run(env, "migrate", cwd=tmp_path)
    assert result.returncode == 1
    assert "cannot connect to the database at 127.0.0.1:1" in result.stderr
    assert "topsecret" not in result.stderr + result.stdout


def test_missing_encryption_key_with_production_urls(tmp_path: Path) -> None:
    env = _env(DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres", REDIS_URL="redis://127.0.0.1:6379/15")
    result = _run(env, "web", cwd=tmp_path)
    assert result.returncode == 2
    assert "ENCRYPTION_KEYS" in result.stderr and "mailfleet keygen" in result.stderr


def test_unwritable_data_directory(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = _run(_env(DATA_DIR=str(blocker / "data"), WEB_PORT=str(_free_port())), "run", cwd=tmp_path)
    assert result.returncode == 1
    assert "is not writable" in result.stderr and str(blocker / "data") in result.stderr


def test_worker_and_web_refuse_to_start_embedded(tmp_path: Path) -> None:
    result = _run(_env(DATA_DIR=str(tmp_path / "d")), "worker", cwd=tmp_path)
    assert result.returncode == 1 and "DATABASE_URL and REDIS_URL must be set" in result.stderr


def test_console_demo_before_any_demo_says_what_to_run(tmp_path: Path) -> None:
    """`mailfleet console --demo` with no demo run yet: one line saying to run the demo first, exit 1, nothing
    created (was: an empty PostgreSQL cluster built under DATA_DIR/demo and an empty agency opened, exit 0)."""
    result = _run(_env(DATA_DIR=str(tmp_path / "d")), "console", "--demo", "-c", "/workspaces", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert f"no demo has run in {tmp_path / 'd' / 'demo'} yet" in result.stderr
    assert "demo --mailboxes 60 --domains 6 --clients 2 --weeks 3` first" in result.stderr
    assert "Traceback" not in result.stderr and not result.stdout
    assert not (tmp_path / "d").exists()


def test_version_and_keygen(tmp_path: Path) -> None:
    assert _run(_env(), "--version", cwd=tmp_path).stdout.startswith("mailfleet ")
    key = _run(_env(), "keygen", cwd=tmp_path).stdout.strip()
    Fernet(key.encode())  # a valid key


GOOD_KEY = Fernet.generate_key().decode()
BAD_SETTINGS = [  # (environment, the setting named, what the message says it expects)
    ({"WEB_PORT": "abc"}, "WEB_PORT", "a port number from 0 to 65535"),
    ({"DNS_PORT": "99999"}, "DNS_PORT", "a port number from 1 to 65535"),
    ({"ENCRYPTION_KEYS": "garbage-key-value"}, "ENCRYPTION_KEYS", "the key is not a Fernet key"),
    ({"ENCRYPTION_KEYS": f"{GOOD_KEY},garbage-key-value"}, "ENCRYPTION_KEYS", "key 2 of 2 is not a Fernet key"),
    ({"TIMEZONE": "Mars/Base"}, "TIMEZONE", "an IANA time zone"),
    ({"DEFAULT_LOCALE": "de"}, "DEFAULT_LOCALE", "expected ru or en"),
    ({"DATABASE_URL": "postgres://u:topsecret@db:abc/x", "REDIS_URL": "redis://r:6379/0"}, "DATABASE_URL", "port"),
    ({"ADMIN_TELEGRAM_IDS": "12,abc"}, "ADMIN_TELEGRAM_IDS", "Telegram user ids"),
]


@pytest.mark.parametrize(
    ("values", "name", "expected"), BAD_SETTINGS, ids=[b[1] + str(i) for i, b in enumerate(BAD_SETTINGS)]
)
def test_a_bad_setting_is_one_clean_message(tmp_path: Path, values: dict[str, str], name: str, expected: str) -> None:
    result = _run(_env(DATA_DIR=str(tmp_path / "d"), **values), "migrate", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert result.stderr.startswith("mailfleet: invalid settings:")
    assert f"  - {name}: " in result.stderr and expected in result.stderr
    for secret in ("garbage-key-value", GOOD_KEY, "topsecret"):
        assert secret not in result.stderr
    assert not (tmp_path / "d").exists()  # nothing was started


def test_every_bad_setting_is_named_in_one_message(tmp_path: Path) -> None:
    env = _env(
        DATA_DIR=str(tmp_path / "d"),
        WEB_PORT="abc",
        DNS_PORT="99999",
        ENCRYPTION_KEYS=f"{GOOD_KEY},garbage-key-value",
        TIMEZONE="Mars/Base",
        DEFAULT_LOCALE="de",
    )
    result = _run(env, "run", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    named = [line.split(":")[0].strip(" -") for line in result.stderr.splitlines()[1:]]
    assert sorted(named) == ["DEFAULT_LOCALE", "DNS_PORT", "ENCRYPTION_KEYS", "TIMEZONE", "WEB_PORT"]
    assert GOOD_KEY not in result.stderr and "garbage-key-value" not in result.stderr


async def test_a_worker_refuses_to_start_when_the_keys_open_no_stored_secret(
    orm: None, database_url: str, tmp_path: Path
) -> None:
    """ENCRYPTION_KEYS replaced by a new key without the old one: the worker started, and every mailbox then
    failed on its own ("cannot be decrypted: import it again"). It now refuses to start and says what to do."""
    from engine.crypto import Vault  # noqa: PLC0415 - this file's other tests run the CLI only
    from tests.integration.test_foundation_db import _mailbox  # noqa: PLC0415

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    await _mailbox(Vault([old]), secret="Sup3r-Secret!")
    env = _env(DATABASE_URL=database_url, REDIS_URL=REDIS_URL, ENCRYPTION_KEYS=new)
    result = await asyncio.to_thread(_run, env, "worker", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "ENCRYPTION_KEYS opens none of the stored mailbox secrets (1 newest tried)" in result.stderr
    assert "Traceback" not in result.stderr and old not in result.stderr and new not in result.stderr
    assert "Sup3r-Secret!" not in result.stderr + result.stdout


async def test_a_database_migrated_by_a_newer_version_or_not_yet_migrated_is_refused(
    empty_database, tmp_path: Path
) -> None:
    """The image rolled back after a newer one migrated the database: `migrate` said "the database is current"
    and the worker started on a schema it was not written for. And a worker started before `migrate` ran on a
    schema missing columns. Each start now refuses with what to run."""
    from engine import db  # noqa: PLC0415 - this file's other tests run the CLI only
    from engine.schema import migration_names  # noqa: PLC0415

    url = await empty_database("ahead")
    await db.migrate(url)
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("INSERT INTO tortoise_migrations (app, name, applied_at) VALUES ('models', '9999_x', now())")
    finally:
        await conn.close()
    env = _env(DATABASE_URL=url, REDIS_URL=REDIS_URL, ENCRYPTION_KEYS=GOOD_KEY)
    for command in ("migrate", "worker", "console"):
        result = await asyncio.to_thread(_run, env, command, cwd=tmp_path)
        assert result.returncode == 1, (command, result.stderr)
        assert f"the database is at migration 9999_x, which this Mailfleet ({migration_names()[-1]}) does not know" in (
            result.stderr
        ), command
        assert "Traceback" not in result.stderr

    conn = await asyncpg.connect(url)
    try:
        await conn.execute("DELETE FROM tortoise_migrations WHERE name = '9999_x'")
        await conn.execute("DELETE FROM tortoise_migrations WHERE name = $1", migration_names()[-1])
    finally:
        await conn.close()
    behind = await asyncio.to_thread(_run, env, "worker", cwd=tmp_path)
    assert behind.returncode == 1 and "the database lacks 1 migration(s)" in behind.stderr
    assert "run `mailfleet migrate` first" in behind.stderr


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_console_waiting_at_its_prompt_ends_on_ctrl_c_or_a_signal(tmp_path: Path, stop: signal.Signals) -> None:
    """Ctrl-C at the console's prompt did nothing: the prompt's wait for a line blocks the event loop, and
    asyncio.run's answer to Ctrl-C only cancels the task the loop never got back to, so the console sat there with
    its embedded PostgreSQL until the terminal was closed. Now Ctrl-C, `kill` and a closed terminal end it: exit
    130, the shell's prompt on a new line, its PostgreSQL stopped."""
    data = tmp_path / "data"
    proc = subprocess.Popen(
        [MAILFLEET, "console"], env=_env(DATA_DIR=str(data)), cwd=tmp_path, text=True,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write("/whoami\n")
        proc.stdin.flush()  # the pipe stays open: the console waits for the next line as it would at a terminal
        said = ""
        while said.count("mailfleet> ") < 2 and (char := proc.stdout.read(1)):
            said += char
        assert "администратор агентства" in said, said
        proc.send_signal(stop)
        assert proc.wait(timeout=60) == 130, proc.stderr.read() if proc.stderr else ""
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.stdout.read() == "\n"
    assert not (data / "postgres" / "postmaster.pid").exists()


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGHUP])
def test_a_demo_stopped_by_a_signal_stops_its_embedded_servers(tmp_path: Path, stop: signal.Signals) -> None:
    """`kill` (SIGTERM) or a closed terminal (SIGHUP) ended `mailfleet demo` on the spot, and the embedded
    PostgreSQL it had started kept running after it. Now either ends it as Ctrl-C does: the run says where it stopped,
    exits 130, and its PostgreSQL and Redis are stopped."""
    data = tmp_path / "data"
    args = ["demo", "--mailboxes", "8", "--domains", "4", "--clients", "2", "--weeks", "2", "--lang", "en"]
    proc = subprocess.Popen(
        [MAILFLEET, *args, "--out", str(tmp_path / "out")], env=_env(DATA_DIR=str(data)),
        cwd=tmp_path, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    assert proc.stderr is not None
    try:
        lines = []
        for line in proc.stderr:  # the servers are up and the simulated days go by
            lines.append(line)
            if line.startswith("day 1/14"):
                break
        else:
            pytest.fail("no simulated day: " + "".join(lines)[-3000:])
        children = psutil.Process(proc.pid).children(recursive=True)
        assert children, "the embedded servers run as children of the demo"
        proc.send_signal(stop)
        rest = proc.stderr.read()
        assert proc.wait(timeout=60) == 130, rest[-3000:]
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "interrupted on day " in rest, rest[-3000:]
    _, alive = psutil.wait_procs(children, timeout=30)
    assert alive == [], [p.cmdline() for p in alive]
    assert not (data / "demo" / "postgres" / "postmaster.pid").exists()

"""Start-up cost and memory (ISSUE 14.6), beside a bare `python -c pass`. Prints figures; asserts nothing.

- short commands: `python -c pass`, `import aiogram` (for scale), `mailfleet --version`, `mailfleet console -c
  /whoami` and `-c /help` against running services (wall and CPU seconds, peak RSS);
- `mailfleet migrate` on an empty database: the schema snapshot (what `migrate` does) and Tortoise's runner
  migration by migration (what it did before);
- `mailfleet worker` idle RSS (no chat configured, and with Telegram + Slack tokens: notifiers only);
- the embedded default: `mailfleet run` cold start (empty data dir) and warm start to a healthy /healthz, its idle
  RSS and the PSS of it with its PostgreSQL and Redis.

Services: PostgreSQL at BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres; scratch
databases are created and dropped) and Redis at BENCH_REDIS_URL (default redis://127.0.0.1:6379/14).
Usage: python -m bench.bench_startup [runs]
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import psutil

from bench.scratch import scratch_database

MAILFLEET = str(Path(sys.executable).with_name("mailfleet"))
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
KEY = "x" * 43 + "="
CLEAN = {"DATABASE_URL", "REDIS_URL", "ENCRYPTION_KEYS", "TELEGRAM_TOKEN", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"}


def _env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CLEAN}
    env.update(TELEGRAM_MODE="off", LOG_LEVEL="warning", **values)
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _timed(argv: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak RSS in MB of one child process run to its end."""
    started = time.monotonic()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{argv} failed: {proc.stderr.read().decode() if proc.stderr else ''}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def _fmt(xs: list[float]) -> str:
    return f"median {statistics.median(xs):.2f} (min {min(xs):.2f}, max {max(xs):.2f})"


def _report(label: str, samples: list[tuple[float, float, float]]) -> None:
    walls, cpus, rss = zip(*samples, strict=True)
    print(f"{label:<38} wall s {_fmt(list(walls))} | cpu s {_fmt(list(cpus))} | peak RSS MB {max(rss):.0f}")


def _short_commands(runs: int) -> None:
    python = sys.executable
    env = _env()
    _report("python -c pass", [_timed([python, "-c", "pass"], env) for _ in range(runs)])
    _report(
        "python -c 'import aiogram.types'", [_timed([python, "-c", "import aiogram.types"], env) for _ in range(runs)]
    )
    _report("mailfleet --version", [_timed([MAILFLEET, "--version"], env) for _ in range(runs)])
    with scratch_database("console") as url:
        env = _env(DATABASE_URL=url, REDIS_URL=REDIS_URL, ENCRYPTION_KEYS=KEY)
        for line in ("/whoami", "/help"):  # /help lists every command, from the manifest
            _report(f"mailfleet console -c {line} (URLs set)", [
                _timed([MAILFLEET, "console", "-c", line], env) for _ in range(runs)
            ])  # fmt: skip
        migrated = [_timed([MAILFLEET, "migrate"], env) for _ in range(runs)]
        _report("mailfleet migrate (nothing to apply)", migrated)


def _migrate(runs: int) -> None:
    snapshot, runner = [], []
    code = (
        "import asyncio, sys; from tortoise.migrations.api import migrate; "
        "from engine.db import tortoise_config; asyncio.run(migrate(config=tortoise_config(sys.argv[1])))"
    )
    for i in range(runs):
        with scratch_database(f"migrate{i}", migrated=False) as url:
            env = _env(DATABASE_URL=url, REDIS_URL=REDIS_URL, ENCRYPTION_KEYS=KEY)
            snapshot.append(_timed([MAILFLEET, "migrate"], env))
        with scratch_database(f"runner{i}", migrated=False) as url:
            runner.append(_timed([sys.executable, "-c", code, url], _env()))
    _report("mailfleet migrate, empty database", snapshot)
    _report("Tortoise runner alone, empty database", runner)


def _idle_rss(argv: list[str], env: dict[str, str], ready: Callable[[], bool], settle_s: float = 5.0) -> float:
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not ready():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{argv} did not start")
            time.sleep(0.1)
        time.sleep(settle_s)  # idle: polling the queue, crons waiting
        return float(psutil.Process(proc.pid).memory_info().rss / 2**20)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)


def _worker(runs: int) -> None:
    with scratch_database("worker") as url:
        base = _env(DATABASE_URL=url, REDIS_URL=REDIS_URL, ENCRYPTION_KEYS=KEY)
        chat = {**base, "TELEGRAM_MODE": "polling", "TELEGRAM_TOKEN": "1:bench", "SLACK_BOT_TOKEN": "xoxb-bench"}
        for label, env in (("no chat", base), ("Telegram + Slack notifiers", chat)):
            rss = []
            for _ in range(runs):
                marker = time.monotonic()
                rss.append(_idle_rss([MAILFLEET, "worker"], env, lambda m=marker: time.monotonic() - m > 3))
            print(f"{'mailfleet worker idle RSS MB, ' + label:<38} {_fmt(rss)}")


def _start(data: Path) -> tuple[subprocess.Popen[bytes], float, float]:
    """`mailfleet run` on `data`: the process, the seconds to a healthy /healthz, and the CPU seconds mailfleet
    itself spent until then (its PostgreSQL and Redis not counted: a figure a busy machine barely moves)."""
    port = _free_port()
    env = _env(DATA_DIR=str(data), WEB_PORT=str(port))
    started = time.monotonic()
    proc = subprocess.Popen([MAILFLEET, "run"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as resp:
                if json.load(resp)["database"] == "up":
                    cpu = psutil.Process(proc.pid).cpu_times()
                    return proc, time.monotonic() - started, cpu.user + cpu.system
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError("mailfleet run exited") from None
            time.sleep(0.05)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=60)


def _memory_mb(proc: subprocess.Popen[bytes], data: Path) -> tuple[float, float]:
    """RSS of mailfleet itself, and PSS (shared pages split fairly) of it plus its Redis and PostgreSQL."""
    me = psutil.Process(proc.pid)
    postmaster = psutil.Process(int((data / "postgres" / "postmaster.pid").read_text().split()[0]))
    tree = [me, *me.children(recursive=True), postmaster, *postmaster.children()]
    return me.memory_info().rss / 2**20, sum(p.memory_full_info().pss for p in tree) / 2**20


def _embedded(runs: int) -> None:
    cold, warm, warm_cpu, own, tree = [], [], [], [], []
    for _ in range(runs):
        data = Path(tempfile.mkdtemp(prefix="mf-bench-")) / "data"
        proc, seconds, _ = _start(data)
        cold.append(seconds)
        _stop(proc)
        proc, seconds, cpu = _start(data)
        warm.append(seconds)
        warm_cpu.append(cpu)
        time.sleep(5)  # idle: worker polling, crons waiting
        o, t = _memory_mb(proc, data)
        own.append(o)
        tree.append(t)
        _stop(proc)
        shutil.rmtree(data.parent, ignore_errors=True)
    print(f"{'run: cold start to healthy /healthz, s':<38} {_fmt(cold)}")
    print(f"{'run: warm start to healthy /healthz, s':<38} {_fmt(warm)}")
    print(f"{'run: warm start, CPU s of mailfleet':<38} {_fmt(warm_cpu)}")
    print(f"{'run: idle RSS of mailfleet, MB':<38} {_fmt(own)}")
    print(f"{'run: idle PSS incl. PostgreSQL+Redis, MB':<38} {_fmt(tree)}")


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    print(f"runs: {runs}; cpus: {os.cpu_count()}; load average: {os.getloadavg()[0]:.2f}")
    _short_commands(runs)
    _migrate(runs)
    _worker(runs)
    _embedded(runs)


if __name__ == "__main__":
    main()

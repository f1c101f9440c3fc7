"""Start-up time of the embedded default (cold: empty data dir; warm: existing data) and idle memory of
`mailfleet run`. Prints figures; asserts nothing. Usage: python bench/bench_startup.py [runs]"""

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
from pathlib import Path

import psutil

MAILFLEET = str(Path(sys.executable).with_name("mailfleet"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(data: Path) -> tuple[subprocess.Popen[bytes], float, int]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "ENCRYPTION_KEYS"}}
    env.update(DATA_DIR=str(data), WEB_PORT=str(port), TELEGRAM_MODE="off", LOG_LEVEL="warning")
    started = time.monotonic()
    proc = subprocess.Popen([MAILFLEET, "run"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as resp:
                if json.load(resp)["database"] == "up":
                    return proc, time.monotonic() - started, port
        except OSError:
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


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    cold, warm, own, tree = [], [], [], []
    for _ in range(runs):
        data = Path(tempfile.mkdtemp(prefix="mf-bench-")) / "data"
        proc, seconds, _ = _start(data)
        cold.append(seconds)
        _stop(proc)
        proc, seconds, _ = _start(data)
        warm.append(seconds)
        time.sleep(5)  # idle: worker polling, crons waiting
        o, t = _memory_mb(proc, data)
        own.append(o)
        tree.append(t)
        _stop(proc)
        shutil.rmtree(data.parent, ignore_errors=True)
    fmt = lambda xs: f"median {statistics.median(xs):.2f} (min {min(xs):.2f}, max {max(xs):.2f})"  # noqa: E731
    print(f"runs: {runs}")
    print(f"cold start to healthy /healthz, s: {fmt(cold)}")
    print(f"warm start to healthy /healthz, s: {fmt(warm)}")
    print(f"idle RSS of mailfleet run, MB:     {fmt(own)}")
    print(f"idle PSS incl. PostgreSQL+Redis, MB: {fmt(tree)}")


if __name__ == "__main__":
    main()

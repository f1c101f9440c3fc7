"""How long `mailfleet demo` takes and how much memory it needs, at a given size, on a scratch database.

Run from the repository root:  .venv/bin/python -m bench.bench_demo [--mailboxes 1200 --domains 60 --clients 4
--weeks 10 --seed 1]   (BENCH_DATABASE_URL: the PostgreSQL server, default local; BENCH_REDIS_URL: a Redis
database the run may flush, default redis://127.0.0.1:6379/1)

It runs the demo as the CLI does with configured URLs (the invariants, the transcript and the charts included)
and prints the wall time, the process's CPU time and peak memory, and the time per phase (sending, inbox sync,
planning, monitoring, …). Figures are printed, never asserted.

Measured on the shared 2-core box while four other sessions ran their test suites (load average 12–19), so
expect a quiet machine to be several times faster:

- 60 mailboxes / 6 domains / 2 clients / 3 weeks (the CI size): 95–195 s wall, 52–60 s CPU of this process,
  peak RSS ≈ 365 MiB; ~12,400 sends. By phase: sending ≈ 55 %, inbox sync ≈ 20–25 %, monitoring, notifications
  and planning the rest. The process waits on PostgreSQL most of the time: ~20 round trips per sent email
  (a send job claims, re-counts and records each row, and starts and ends with several statements of its own;
  most jobs send one to three rows), and the sync commits each mailbox in its own transaction.
- 1,200 mailboxes / 60 domains / 4 clients (the default fleet): set-up ≈ 3 min (migrations, 7,200 leads
  imported through the command layer), then ≈ 6.5 min per simulated day at the domain caps (9,000 sends and
  1,200 mailbox syncs a day). Ten weeks would take hours here: the 3-minute target needs the outbox to claim and
  record a mailbox's due rows in batches, and the sync to commit many mailboxes per transaction.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import tempfile
import time
from pathlib import Path

from redis.asyncio import Redis

from bench.scratch import scratch_database
from engine import db
from engine.crypto import Vault, generate_key
from engine.settings import load_settings
from mailfleet.demo.run import DemoOptions, run

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/1")


async def measure(url: str, options: DemoOptions) -> tuple[float, bool]:
    redis: Redis = Redis.from_url(REDIS_URL)
    await redis.flushdb()
    await redis.aclose()
    async with db.database(url):
        outcome = await run(options, load_settings(), REDIS_URL, Vault([generate_key()]))
    return outcome.wall_s, outcome.invariants.ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mailboxes", type=int, default=1200)
    parser.add_argument("--domains", type=int, default=60)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--weeks", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with scratch_database() as url, tempfile.TemporaryDirectory(prefix="bench-demo-") as out:
        options = DemoOptions(args.mailboxes, args.domains, args.clients, args.weeks, args.seed, Path(out))
        started = time.perf_counter()
        wall, ok = asyncio.run(measure(url, options))
        total = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"demo {args.mailboxes} mailboxes / {args.domains} domains / {args.clients} clients / {args.weeks} weeks: "
        f"{wall:.1f} s the run ({total:.1f} s with the scratch database), CPU {time.process_time():.1f} s, "
        f"peak RSS {peak:.0f} MiB, invariants {'ok' if ok else 'FAILED'}"
    )


if __name__ == "__main__":
    main()

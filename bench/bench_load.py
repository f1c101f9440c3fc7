"""A simulated day of the whole fleet: ~60,000 campaign and warmup sends from 1,200 mailboxes on 400 domains,
planned and sent by two worker processes through SMTP to two aiosmtpd sinks (`tests/harness/loadday.py`).

Run from the repository root:  .venv/bin/python -m bench.bench_load [--fraction 1.0] [--rss-every 2]

Prints the fleet, the sends per kind, the throughput (sends per second of real time over the simulated day, the
planners included), wall and set-up time, each worker's RSS over time (one line per tenth of the day) and every
problem the checks found (duplicates, misses, caps, rows left unsent: the load test's assertions, here only
reported). A scratch database on BENCH_DATABASE_URL's server (default: local postgres) is created and dropped; the
Redis database of BENCH_REDIS_URL (default redis://127.0.0.1:6379/14) is flushed first. Figures are printed,
never asserted.
"""

from __future__ import annotations

import argparse
import os
import time

from tests.harness.loadday import DAY_START, Fleet, run_day

ADMIN_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fraction", type=float, default=1.0, help="of the full fleet (1.0: 1,200 mailboxes)")
    parser.add_argument("--rss-every", type=float, default=2.0, help="seconds between RSS samples")
    args = parser.parse_args()
    fleet = Fleet.full() if args.fraction >= 1 else Fleet.scaled(args.fraction)
    print(
        f"fleet: {fleet.workspaces} workspaces, {fleet.domains} domains, {fleet.mailboxes} mailboxes, "
        f"{fleet.workspaces * 2} campaigns of {fleet.leads_per_campaign} leads; day {DAY_START:%Y-%m-%d} (Moscow)"
    )

    def progress(moment: object, elapsed: float) -> None:
        if getattr(moment, "minute", 1) == 0:
            print(f"  {moment:%H:%M} simulated, {elapsed:6.1f} s", flush=True)

    started = time.perf_counter()
    day = run_day(fleet, admin_url=ADMIN_URL, redis_url=REDIS_URL, rss_every_s=args.rss_every, on_step=progress)
    total_s = time.perf_counter() - started
    print(
        f"sends: {day.total} planned ({', '.join(f'{k} {n}' for k, n in sorted(day.planned.items()))}), {day.sent} sent"
    )
    print(f"sinks received: {day.sink_messages} messages; planner runs: {day.plan_runs}")
    print(f"simulated day: {day.wall_s:.1f} s wall → {day.sent / day.wall_s:.1f} sends/s")
    print(f"set-up (database, seed, processes): {day.setup_s:.1f} s; whole run {total_s:.1f} s")
    for n, (pid, samples) in enumerate(day.rss_mb.items(), start=1):
        first, last = day.rss_growth(pid)
        print(f"worker {n} (pid {pid}): RSS first-quarter max {first:.1f} MB, last-quarter max {last:.1f} MB")
        step = max(1, len(samples) // 10)
        line = ", ".join(f"{t:.0f}s {mb:.0f}" for t, mb in samples[::step])
        print(f"  RSS MB over time: {line}")
    problems = day.problems()
    print("checks: " + ("all hold" if not problems else "; ".join(problems)))


if __name__ == "__main__":
    main()

"""A simulated day of the whole fleet: ~60,000 campaign and warmup sends from 1,200 mailboxes on 400 domains,
planned and sent by two worker processes through SMTP to two sinks (`tests/harness/loadday.py`).

Run from the repository root:  .venv/bin/python -m bench.bench_load [--fraction 1.0]

Prints the fleet, the sends per kind, the throughput (sends per second of real time over the simulated day, the
planners included), wall and set-up time, each worker's RSS once 10 %, 50 % and 100 % of the day's sends were done
(and its growth over the second half), its RSS over the day (one figure per tenth of the steps) and every problem
the checks found (duplicates, misses, caps, rows left unsent: the load test's assertions, here only reported). A
scratch database on BENCH_DATABASE_URL's server (default: local postgres) is created and dropped; the Redis
database of BENCH_REDIS_URL (default redis://127.0.0.1:6379/14) is flushed first. Figures are printed, never
asserted.

Looking for a leak: `--memory-every N` makes each worker write its memory figures every N jobs to
`<memory-dir>/memory-<pid>.txt`, `--tracemalloc F` adds allocation diffs with F frames (slow: never with figures
that matter; see `tests/harness/load_worker.py`).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from tests.harness.loadday import DAY_START, DayResult, Fleet, run_day

ADMIN_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
SHARES = (0.1, 0.5, 1.0)  # of the day's sends: where each worker's RSS is reported


def print_memory(day: DayResult) -> None:
    """Each worker's RSS at `SHARES` of the day's sends, and over the day."""
    at = {share: day.rss_at(share) for share in SHARES}
    for n, pid in enumerate(day.memory[-1].rss_mb, start=1):
        mb = {share: point.rss_mb.get(pid, float("nan")) for share, point in at.items()}
        figures = ", ".join(f"{mb[s]:.1f} MB at {s:.0%}" for s in SHARES)
        print(f"worker {n} (pid {pid}) RSS once the share of the sends was done: {figures}")
        print(f"  second half of the day: {mb[1.0] - mb[0.5]:+.1f} MB")
        step = max(1, len(day.memory) // 10)
        line = ", ".join(f"{p.moment:%H:%M} {p.rss_mb.get(pid, 0):.0f}" for p in day.memory[::step])
        print(f"  RSS MB over the day (simulated time): {line}")


def print_steps(day: DayResult) -> None:
    """Where the simulated day's real time went: the planners, the steps' sending, the slowest steps."""
    if not day.steps:
        return
    plan = sum(s.plan_s for s in day.steps)
    drain = sum(s.drain_s for s in day.steps)
    idle = [s for s in day.steps if not s.sent]
    print(
        f"steps: {len(day.steps)}, planners {plan:.1f} s, sending {drain:.1f} s "
        f"({len(idle)} steps sent nothing: {sum(s.drain_s for s in idle):.1f} s), "
        f"{sum(s.nudges for s in day.steps)} nudges"
    )
    slow = sorted(day.steps, key=lambda s: s.plan_s + s.drain_s, reverse=True)[:5]
    print(
        "  slowest: "
        + ", ".join(f"{s.moment:%H:%M} plan {s.plan_s:.1f} s + send {s.drain_s:.1f} s ({s.sent})" for s in slow)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fraction", type=float, default=1.0, help="of the full fleet (1.0: 1,200 mailboxes)")
    parser.add_argument("--memory-every", type=int, default=0, help="jobs between a worker's memory figures")
    parser.add_argument("--memory-dir", type=Path, default=Path(), help="where the workers write them")
    parser.add_argument("--tracemalloc", type=int, default=0, help="frames per traced allocation (0: off)")
    args = parser.parse_args()
    if args.memory_every:
        os.environ["LOAD_MEMORY_EVERY"] = str(args.memory_every)
        os.environ["LOAD_MEMORY_DIR"] = str(args.memory_dir.resolve())
        os.environ["LOAD_TRACEMALLOC"] = str(args.tracemalloc)
    fleet = Fleet.full() if args.fraction >= 1 else Fleet.scaled(args.fraction)
    print(
        f"fleet: {fleet.workspaces} workspaces, {fleet.domains} domains, {fleet.mailboxes} mailboxes, "
        f"{fleet.workspaces * 2} campaigns of {fleet.leads_per_campaign} leads; day {DAY_START:%Y-%m-%d} (Moscow)"
    )

    def progress(moment: object, elapsed: float) -> None:
        if getattr(moment, "minute", 1) == 0:
            print(f"  {moment:%H:%M} simulated, {elapsed:6.1f} s", flush=True)

    started = time.perf_counter()
    day = run_day(fleet, admin_url=ADMIN_URL, redis_url=REDIS_URL, on_step=progress)
    total_s = time.perf_counter() - started
    print(
        f"sends: {day.total} planned ({', '.join(f'{k} {n}' for k, n in sorted(day.planned.items()))}), {day.sent} sent"
    )
    print(f"sinks received: {day.sink_messages} messages; planner runs: {day.plan_runs}")
    print(f"simulated day: {day.wall_s:.1f} s wall → {day.sent / day.wall_s:.1f} sends/s")
    print(f"set-up (database, seed, processes): {day.setup_s:.1f} s; whole run {total_s:.1f} s")
    if day.cpu_s and day.sent:
        per = ", ".join(
            f"{role} {seconds:.0f} s ({seconds / day.sent * 1000:.1f} ms a send)" for role, seconds in day.cpu_s.items()
        )
        print(f"CPU over the day: {per} (PostgreSQL: the connections open at the end)")
    print_steps(day)
    if day.memory:
        print_memory(day)
    problems = day.problems()
    print("checks: " + ("all hold" if not problems else "; ".join(problems)))


if __name__ == "__main__":
    main()

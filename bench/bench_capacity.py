"""What the capacity projection costs for the brief's fleet: 1,200 mailboxes on 60 domains (a third still warming),
`/capacity` without a volume (today and 4 weeks), with a volume that fits, and with one that does not (the
projection then looks up to 26 weeks further for the week it would fit).

Run from the repository root:  .venv/bin/python -m bench.bench_capacity [--mailboxes 1200 --domains 60]

Pure computation, no database (the loader is one query). Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

from engine.capacity import Box, Fleet, assess, day_capacity, project
from engine.warmup.settings import WarmupSettings

START = dt.date(2026, 12, 7)


def fleet(mailboxes: int, domains: int) -> Fleet:
    boxes = []
    for n in range(mailboxes):
        if n % 3 == 0:  # warming, started 0–41 days ago
            boxes.append(Box(n, n % domains, 40, warmup_started_on=START - dt.timedelta(days=n % 42)))
        else:
            boxes.append(Box(n, n % domains, 40, graduated_on=START - dt.timedelta(days=n % 30)))
    return Fleet(tuple(boxes), dict.fromkeys(range(domains), 120 * mailboxes // domains // 3), WarmupSettings())


def timed(label: str, fn: object) -> None:
    began = time.perf_counter()
    result = fn()  # type: ignore[operator]
    print(f"{label:<46} {1000 * (time.perf_counter() - began):8.1f} ms   {result}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mailboxes", type=int, default=1200)
    parser.add_argument("--domains", type=int, default=60)
    args = parser.parse_args()
    f = fleet(args.mailboxes, args.domains)
    print(f"{args.mailboxes} mailboxes on {args.domains} domains")
    timed("one day", lambda: day_capacity(f, START).campaign)
    timed("today + 4 weeks (/capacity)", lambda: [w.campaign for w in project(f, START, 4)])
    timed("/capacity 12000 1 (fits)", lambda: assess(f, emails=12000, weeks=1, start=START).fits)
    timed("/capacity 5000000 12 (does not fit)", lambda: assess(f, emails=5_000_000, weeks=12, start=START).fits)


if __name__ == "__main__":
    main()

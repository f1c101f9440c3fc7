"""Lead import at the brief's size: 1,000,000 generated rows (UTF-8, semicolons, 3 columns, 2,000 domains,
1 % bad addresses, 1 % repeats), streamed from a file on disk.

Runs, each into a fresh workspace of a throwaway database:
1. without DNS (offline checks only: syntax, role, disposable; suppression; COPY + upsert in one transaction);
2. with DNS answered by a local Knot server (tests/harness/dnsserver.py): every domain is asked once per import
   (2,000 MX lookups, 32 in flight), every later row of that domain is answered by the import's in-process cache;
3. a re-import of the same file (1,000,000 updates), without DNS;
then enrolls 100,000 of the leads into a campaign (bulk SQL), again (all already enrolled), and into a second
campaign while the first runs (all skipped); last, the same file packed as .csv.gz (the way to send it through
Telegram, whose bots may download 20 MB at most) into a fresh workspace, without DNS.
Prints rows/s, wall time and peak RSS (sampled every 50 ms, and the process's high-water mark). Asserts nothing.
Uses TEST_DATABASE_URL's server (default postgres://postgres@127.0.0.1:5432/postgres).
Run from the repository root: .venv/bin/python -m bench.bench_leads [rows]"""

from __future__ import annotations

import asyncio
import datetime as dt
import gzip
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import psutil

from engine import db
from engine.access import Actor
from engine.campaigns.enroll import enroll
from engine.clock import FrozenClock
from engine.leads.importer import ImportOptions, ImportReport, import_leads
from models import Campaign, Lead, Workspace
from models.enums import Platform, Role
from tests.harness.dnsserver import DnsServer

ADMIN = os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
NAME = f"mailfleet_bench_leads_{os.getpid()}"
NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
DOMAINS = 2_000
ZONE = "bench.test"


async def admin(sql: str) -> None:
    conn = await asyncpg.connect(ADMIN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def generate(path: Path, rows: int) -> None:
    rng = random.Random(7)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("email;Имя;Компания\r\n")
        for i in range(rows):
            n = rng.randrange(rows) if rng.random() < 0.01 else i  # ~1 % repeats
            email = f"u{n}@d{n % DOMAINS}.{ZONE}" if rng.random() > 0.01 else f"broken{i}.d{i % DOMAINS}"
            out.write(f"{email};Имя{i % 997};Компания {i % 5003}\r\n")


class Peak:
    """Samples the RSS every 50 ms while a coroutine runs."""

    def __init__(self) -> None:
        self.mb = 0.0
        self._stop = False

    async def _sample(self) -> None:
        process = psutil.Process()
        while not self._stop:
            self.mb = max(self.mb, process.memory_info().rss / 2**20)
            await asyncio.sleep(0.05)

    async def run(self, work: Callable[[], Awaitable[Any]]) -> tuple[Any, float]:
        sampler = asyncio.create_task(self._sample())
        started = time.perf_counter()
        try:
            result = await work()
        finally:
            elapsed = time.perf_counter() - started
            self._stop = True
            await sampler
        return result, elapsed


async def one_import(label: str, path: Path, actor: Actor, options: ImportOptions, **kwargs: Any) -> ImportReport:
    peak = Peak()

    async def work() -> ImportReport:
        with path.open("rb") as stream:
            return await import_leads(actor, stream, FrozenClock(NOW), options=options, **kwargs)

    report, elapsed = await peak.run(work)
    print(
        f"{label}: {report.rows:,} rows in {elapsed:.1f} s = {report.rows / elapsed:,.0f} rows/s; "
        f"new {report.imported:,}, updated {report.updated:,}, repeats {report.duplicates:,}, "
        f"invalid {report.invalid:,}, unknown {report.unknown:,}; DNS lookups {report.dns.looked_up:,}; "
        f"peak RSS {peak.mb:.0f} MB"
    )
    return report


async def main(rows: int) -> None:
    await admin(f'DROP DATABASE IF EXISTS "{NAME}"')
    await admin(f'CREATE DATABASE "{NAME}"')
    url = urlunsplit(urlsplit(ADMIN)._replace(path=f"/{NAME}"))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "leads.csv"
        started = time.perf_counter()
        generate(path, rows)
        print(
            f"generated {rows:,} rows, {path.stat().st_size / 2**20:.1f} MiB in {time.perf_counter() - started:.1f} s"
        )
        with DnsServer(Path(tmp) / "knot") as knot:
            knot.set_zone(ZONE, [(f"d{n}", "MX", "10 mx") for n in range(DOMAINS)] + [("mx", "A", "192.0.2.1")])
            try:
                await db.migrate(url)
                await db.init_db(url)
                print(f"RSS after set-up: {psutil.Process().memory_info().rss / 2**20:.0f} MB")
                offline = ImportOptions(legal_basis="договор", source="bench", check_dns=False, test_environment=True)
                online = ImportOptions(legal_basis="договор", source="bench", test_environment=True)
                first = await Workspace.create(slug="bench1", name="Bench 1")
                second = await Workspace.create(slug="bench2", name="Bench 2")
                a1 = Actor(None, Platform.CONSOLE, Role.MANAGER, first.id)
                a2 = Actor(None, Platform.CONSOLE, Role.MANAGER, second.id)
                await one_import("1. without DNS", path, a1, offline)
                await one_import("2. with DNS (Knot, once per domain)", path, a2, online,
                                 resolver=knot.resolver(lifetime=3.0))  # fmt: skip
                await one_import("3. re-import (updates), without DNS", path, a1, offline)
                campaign = await Campaign.create(workspace=first, name="Bench")
                ids = await Lead.filter(workspace=first).order_by("id").limit(100_000).values_list("id", flat=True)
                peak = Peak()
                enrolled, elapsed = await peak.run(lambda: enroll(a1, campaign.id, list(ids), FrozenClock(NOW)))
                print(f"4. enroll {len(ids):,} leads: {enrolled.enrolled:,} enrolled in {elapsed:.2f} s "
                      f"({len(ids) / elapsed:,.0f} leads/s), peak RSS {peak.mb:.0f} MB")  # fmt: skip
                await Campaign.filter(id=campaign.id).update(status="running")
                again, elapsed = await Peak().run(lambda: enroll(a1, campaign.id, list(ids), FrozenClock(NOW)))
                print(f"5. the same {len(ids):,} again: {again.skipped} in {elapsed:.2f} s")
                other = await Campaign.create(workspace=first, name="Bench 2")
                busy, elapsed = await Peak().run(lambda: enroll(a1, other.id, list(ids), FrozenClock(NOW)))
                print(f"6. into another campaign while the first runs: {busy.skipped} in {elapsed:.2f} s")
                packed = Path(tmp) / "leads.csv.gz"
                with path.open("rb") as plain, gzip.open(packed, "wb", compresslevel=6) as out:
                    shutil.copyfileobj(plain, out)
                third = await Workspace.create(slug="bench3", name="Bench 3")
                a3 = Actor(None, Platform.CONSOLE, Role.MANAGER, third.id)
                size = f"{packed.stat().st_size / 2**20:.1f} MiB"
                await one_import(f"7. the same file as .csv.gz ({size}), without DNS", packed, a3, offline)
                high = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                print(f"process high-water RSS {high:.0f} MB; load average "
                      f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")  # fmt: skip
            finally:
                await db.close_db()
                await admin(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000))

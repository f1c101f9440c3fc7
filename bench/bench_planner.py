"""Warmup planning at 10x the brief: 12,000 mailboxes on 600 domains in 10 workspaces, at mixed warmup stages.

Prints: the day plan (rows written, seconds, peak RSS), a re-plan tick that must plan ~420 sends again, a tick
with nothing to do (as the worker runs it: with the Redis memo, so unchanged workspaces are skipped), for
comparison a full reconciliation without the memo, and the outbox's sweep queuing the first ten minutes' rows,
which is where warmup text is written now (the real composer, engine.warmup.content.compose_warmup). Asserts
nothing. Uses a throwaway database on TEST_DATABASE_URL's server (default postgres://postgres@127.0.0.1:5432/postgres)
and keys under a throwaway prefix in TEST_REDIS_URL (default redis://127.0.0.1:6379/14).
Usage: python bench/bench_planner.py [runs]"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import statistics
import sys
import time
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import psutil
from redis.asyncio import Redis
from tortoise import connections

from engine import db
from engine.clock import FrozenClock
from engine.crypto import Vault, generate_key
from engine.mail.smtp import SmtpTransport
from engine.sending.outbox import Outbox
from engine.sending.planner import PlanOptions, RedisPlanMemo, plan_warmup
from engine.sending.sentfolder import ImapSentFolder
from jobs.worker import tune_gc

ADMIN = os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
NAME = f"mailfleet_bench_planner_{os.getpid()}"
NOW = dt.datetime(2026, 11, 2, 6, 0, tzinfo=dt.UTC)  # Monday 09:00 in Moscow
WORKSPACES, DOMAINS, PER_DOMAIN = 10, 600, 20


async def admin(sql: str) -> None:
    conn = await asyncpg.connect(ADMIN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


SEED = """
INSERT INTO workspace (slug, name, locale, timezone, sender_name, sender_address, settings, created_at)
SELECT 'ws' || i, 'Client ' || i, 'ru', 'Europe/Moscow', '', '', '{}'::jsonb, now() FROM generate_series(1, $1) i;
"""


async def seed() -> None:
    conn = connections.get("default")
    await conn.execute_query(SEED.strip().rstrip(";"), [WORKSPACES])
    await conn.execute_query(
        "INSERT INTO domain (workspace_id, name, registrar, mail_provider, pool_role, status, daily_cap, "
        "dmarc_policy, dkim_selector, dkim_public_key, tracking_host, created_at) "
        "SELECT 1 + (d % $1), 'd' || d || '.test', '', CASE WHEN d % 2 = 0 THEN 'yandex360' ELSE 'mailru' END, "
        "'active', 'warming', 120, 'none', '', '', '', now() FROM generate_series(1, $2) d",
        [WORKSPACES, DOMAINS],
    )
    await conn.execute_query(
        "INSERT INTO mailbox (workspace_id, domain_id, address, display_name, provider, smtp_host, smtp_port, "
        "smtp_tls, imap_host, imap_port, imap_tls, username, tls_ca_pem, auth_kind, secret_enc, status, "
        "warmup_started_on, warmup_weeks, daily_cap, last_error, auth_failures, created_at) "
        "SELECT d.workspace_id, d.id, 'u' || i || '@' || d.name, 'User ' || i, d.mail_provider, 'h', 465, "
        "'implicit', 'h', 993, 'implicit', 'u' || i, '', 'password', '\\x00', 'warming', "
        "$1::date - ((d.id * 20 + i) % 50), 6, 40, '', 0, now() "
        "FROM domain d, generate_series(1, $2) i",
        [NOW.date(), PER_DOMAIN],
    )


async def rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


async def remove_some(conn: Any) -> int:
    """~420 sends to plan again: the rows of the first mailboxes disappear (as if just resumed)."""
    ids = await conn.execute_query_dict("SELECT mailbox_id, count(*) AS n FROM outbound_message GROUP BY 1 ORDER BY 1")
    chosen, total = [], 0
    for row in ids:
        if total >= 420:
            break
        chosen.append(row["mailbox_id"])
        total += row["n"]
    await conn.execute_query("DELETE FROM outbound_message WHERE mailbox_id = ANY($1::int[])", [chosen])
    return int(total)


async def sweep_cost(clock: FrozenClock) -> float:
    """The outbox's sweep queuing what is due, which writes the warmup text now: seconds per row."""
    outbox = Outbox(clock=clock, vault=Vault([generate_key()]), sender=SmtpTransport(), sent_folder=ImapSentFolder())
    started = time.perf_counter()
    due = await outbox.sweep()
    cost = (time.perf_counter() - started) / max(due.queued, 1)
    print(f"  sweep of the first minutes: {due.queued} rows queued with their text, {cost * 1e6:.0f} µs a row")
    return cost


async def main(runs: int) -> None:
    await admin(f'DROP DATABASE IF EXISTS "{NAME}"')
    await admin(f'CREATE DATABASE "{NAME}"')
    url = urlunsplit(urlsplit(ADMIN)._replace(path=f"/{NAME}"))
    redis = Redis.from_url(REDIS)
    memo = RedisPlanMemo(redis, prefix=f"{NAME}:")
    try:
        await db.migrate(url)
        await db.init_db(url)
        await seed()
        tune_gc()  # as the worker does at the end of its startup
        conn = connections.get("default")
        day, replan, empty, full, sweep = [], [], [], [], []
        peak = 0.0
        rows = 0
        for run in range(runs):
            await conn.execute_script("TRUNCATE outbound_message, cap_deferral CASCADE")
            await memo.put(dict.fromkeys(range(1, WORKSPACES + 1)))
            clock = FrozenClock(NOW)
            before = await rss_mb()
            started = time.perf_counter()
            report = await plan_warmup(clock, PlanOptions(seed=run), memo=memo)
            day.append(time.perf_counter() - started)
            peak = max(peak, psutil.Process().memory_info().rss / 2**20)
            rows = report.planned
            print(
                f"day plan run {run + 1}: {report.planned} rows, {report.deferrals} deferrals, "
                f"{day[-1]:.2f} s, RSS {before:.0f} -> {await rss_mb():.0f} MB"
            )
            clock.advance(dt.timedelta(minutes=1))
            total = await remove_some(conn)
            started = time.perf_counter()
            again = await plan_warmup(clock, PlanOptions(seed=run + 100), memo=memo)
            replan.append(time.perf_counter() - started)
            print(
                f"  re-plan tick: {again.planned} rows (of {total} removed), {again.skipped} of {again.workspaces} "
                f"workspaces unchanged, {replan[-1] * 1000:.0f} ms"
            )
            clock.advance(dt.timedelta(minutes=1))
            started = time.perf_counter()
            nothing = await plan_warmup(clock, PlanOptions(seed=run + 200), memo=memo)
            empty.append(time.perf_counter() - started)
            print(f"  empty tick: {nothing.planned} rows, {nothing.skipped} skipped, {empty[-1] * 1000:.0f} ms")
            started = time.perf_counter()
            await plan_warmup(clock, PlanOptions(seed=run + 300))
            full.append(time.perf_counter() - started)
            print(f"  full reconciliation without the memo: {full[-1] * 1000:.0f} ms")
            clock.advance(dt.timedelta(minutes=10))
            sweep.append(await sweep_cost(clock))
        print(
            f"\n{WORKSPACES} workspaces, {DOMAINS} domains, {DOMAINS * PER_DOMAIN} mailboxes, {rows} rows a day; "
            f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n"
            f"day plan: median {statistics.median(day):.2f} s (min {min(day):.2f}, max {max(day):.2f}); "
            f"peak RSS {peak:.0f} MB\n"
            f"re-plan tick (~420 sends): median {statistics.median(replan) * 1000:.0f} ms "
            f"(min {min(replan) * 1000:.0f}, max {max(replan) * 1000:.0f})\n"
            f"empty tick: median {statistics.median(empty) * 1000:.0f} ms "
            f"(min {min(empty) * 1000:.0f}, max {max(empty) * 1000:.0f})\n"
            f"full reconciliation without the memo: median {statistics.median(full) * 1000:.0f} ms\n"
            f"sweep (queue + write warmup text): median {statistics.median(sweep) * 1e6:.0f} µs a row"
        )
    finally:
        await memo.put(dict.fromkeys(range(1, WORKSPACES + 1)))
        await redis.aclose()
        await db.close_db()
        await admin(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 3))

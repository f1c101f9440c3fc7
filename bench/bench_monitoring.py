"""Monitoring at 10x the brief: 12,000 mailboxes on 600 domains in 10 workspaces, 17 days of daily counters each
(~214,000 `daily_stat` rows); 1 % of mailboxes bounce hard today (cooldowns) and 1 % are blocked — all on six
domains, so those domains are cut as a whole.

Prints: the first evaluation (which acts: cooldowns, cuts), a second one (nothing to do: the cron's usual tick),
and `health_factors()` as the planners call it. Asserts nothing. Uses a throwaway database on TEST_DATABASE_URL's
server (default postgres://postgres@127.0.0.1:5432/postgres).
Usage: python bench/bench_monitoring.py [--profile]"""

from __future__ import annotations

import asyncio
import cProfile
import datetime as dt
import os
import pstats
import sys
import time
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from tortoise import connections

from engine import db
from engine.clock import FrozenClock
from engine.monitoring import service
from engine.monitoring.health import health_factors

ADMIN = os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
NAME = f"mailfleet_bench_monitoring_{os.getpid()}"
NOW = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
WORKSPACES, DOMAINS, PER_DOMAIN, DAYS = 10, 600, 20, 17
PROFILE = "--profile" in sys.argv


async def admin(sql: str) -> None:
    conn = await asyncpg.connect(ADMIN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def seed() -> None:
    conn = connections.get("default")
    await conn.execute_query(
        "INSERT INTO workspace (slug, name, locale, timezone, sender_name, sender_address, settings, created_at) "
        "SELECT 'ws' || i, 'Client ' || i, 'ru', 'UTC', '', '', '{}'::jsonb, now() FROM generate_series(1, $1) i",
        [WORKSPACES],
    )
    await conn.execute_query(
        "INSERT INTO domain (workspace_id, name, registrar, pool_role, status, daily_cap, dmarc_policy, "
        "dkim_selector, dkim_public_key, tracking_host, created_at) SELECT 1 + (d % $1), 'd' || d || '.test', '', "
        "'active', 'active', 120, 'none', '', '', '', now() FROM generate_series(1, $2) d",
        [WORKSPACES, DOMAINS],
    )
    await conn.execute_query(
        "INSERT INTO mailbox (workspace_id, domain_id, address, display_name, provider, smtp_host, smtp_port, "
        "smtp_tls, imap_host, imap_port, imap_tls, username, tls_ca_pem, auth_kind, secret_enc, status, "
        "status_changed_at, warmup_weeks, daily_cap, last_error, auth_failures, created_at) "
        "SELECT d.workspace_id, d.id, 'u' || i || '@' || d.name, '', 'generic', 'h', 465, 'implicit', 'h', 993, "
        "'implicit', 'u' || i, '', 'password', '\\x00', 'active', $1::timestamptz - interval '60 days', 6, 40, '', 0, "
        "now() FROM domain d, generate_series(1, $2) i",
        [NOW, PER_DOMAIN],
    )
    # every mailbox: 40 sends and a few replies a day; mailbox ids ≡ 0 (mod 100) bounce hard, ≡ 50 are blocked
    await conn.execute_query(
        "INSERT INTO daily_stat (workspace_id, scope, scope_id, day, sent, opens, clicks, replies, auto_replies, "
        "bounces_hard, bounces_soft, bounces_block, complaints, unsubscribes, warmup_inbox, warmup_spam, "
        "smtp_errors, auth_errors) SELECT b.workspace_id, 'mailbox', b.id, $1::date - k, 40, 0, 0, 1, 0, "
        "CASE WHEN b.id % 100 = 0 AND k = 0 THEN 20 ELSE 0 END, 0, "
        "CASE WHEN b.id % 100 = 50 AND k = 0 THEN 20 ELSE 0 END, "
        "0, 0, 5, 0, 0, 0 FROM mailbox b, generate_series(0, $2 - 1) k",
        [NOW.date(), DAYS],
    )
    await conn.execute_query(
        "INSERT INTO daily_stat (workspace_id, scope, scope_id, day, sent, opens, clicks, replies, auto_replies, "
        "bounces_hard, bounces_soft, bounces_block, complaints, unsubscribes, warmup_inbox, warmup_spam, "
        "smtp_errors, auth_errors) SELECT d.workspace_id, 'domain', d.id, $1::date - k, 800, 0, 0, 20, 0, 0, 0, 0, "
        "0, 0, 100, 0, 0, 0 FROM domain d, generate_series(0, $2 - 1) k",
        [NOW.date(), DAYS],
    )


async def main() -> None:
    await admin(f'DROP DATABASE IF EXISTS "{NAME}"')
    await admin(f'CREATE DATABASE "{NAME}"')
    url = urlunsplit(urlsplit(ADMIN)._replace(path=f"/{NAME}"))
    try:
        await db.migrate(url)
        await db.init_db(url)
        await seed()
        rows = await connections.get("default").execute_query_dict("SELECT count(*) AS n FROM daily_stat")
        print(f"seeded: {WORKSPACES * DOMAINS // WORKSPACES * PER_DOMAIN} mailboxes, {rows[0]['n']} daily rows")
        clock = FrozenClock(NOW)
        for label in ("first evaluation (acts)", "second evaluation (nothing to do)"):
            started = time.perf_counter()
            if PROFILE and "second" in label:
                profile = cProfile.Profile()
                profile.enable()
            report = await service.evaluate(clock)
            elapsed = time.perf_counter() - started
            if PROFILE and "second" in label:
                profile.disable()
                pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
            print(f"{label}: {elapsed:.2f} s, {report.workspaces} workspaces, actions {report.actions}")
        started = time.perf_counter()
        factors = await health_factors()
        print(f"health_factors(): {len(factors)} cut mailboxes, {(time.perf_counter() - started) * 1000:.0f} ms")
    finally:
        await db.close_db()
        await admin(f'DROP DATABASE IF EXISTS "{NAME}"')


if __name__ == "__main__":
    asyncio.run(main())

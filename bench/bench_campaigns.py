"""Campaign planning for a day: 200 running campaigns, 1,000,000 enrolled leads, 12,000 mailboxes on 600 domains
in 10 workspaces (target: ≤ 2 s, ≤ 300 MB).

The fleet: graduated mailboxes (cap 40, campaign share 80 %), domains capped at 150 a day, two warmup sends per
mailbox already planned today; each campaign has 3 domains (60 mailboxes), 5,000 leads, a daily cap of 500 and
30 per mailbox. 70 % of the leads wait for step 1 (due now), 30 % are past step 1 (sent from their sticky
mailbox, threaded) with step 2 due between two days ago and five days ahead; 1 % of the lead domains are
suppressed. Prints the worker's first plan of the day (an hour ahead: rows, seconds, peak RSS), a second tick that
finds nothing new (target ≤ 50 ms) and a tick after 420 new leads of one workspace came due (target ≤ 200 ms), both
with the worker's Redis memo (TEST_REDIS_URL, default redis://127.0.0.1:6379/15; only the memo's keys are
touched), then the whole day planned in one run (no horizon, as tests and the demo plan), each with the seconds of
its phases (`CampaignPlanReport.phases`: read, due, place, insert, record, commit; summed over the run's lanes,
which run at once), and for comparison the whole day in one lane (one transaction). Every run is unseeded, as the
worker's are (random Message-IDs and draws). Asserts nothing. Uses a
throwaway database on TEST_DATABASE_URL's server (default postgres://postgres@127.0.0.1:5432/postgres).
Usage: python bench/bench_campaigns.py [runs] [--keep] (--keep: leave the database for EXPLAIN)"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import psutil
from redis.asyncio import Redis
from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient

from engine import db
from engine.campaigns.planner import (
    HORIZON_S,
    CampaignPlanOptions,
    CampaignPlanReport,
    campaign_memo,
    plan_campaigns,
)
from engine.clock import FrozenClock
from engine.sending.planner import PlanMemo

ADMIN = os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
NAME = f"mailfleet_bench_campaigns_{os.getpid()}"
NOW = dt.datetime(2026, 11, 2, 6, 0, tzinfo=dt.UTC)  # Monday 09:00 in Moscow
WORKSPACES, DOMAINS, PER_DOMAIN = 10, 600, 20
CAMPAIGNS, LEADS = 200, 1_000_000
DOMAINS_PER_CAMPAIGN = DOMAINS // CAMPAIGNS


async def admin(sql: str) -> None:
    conn = await asyncpg.connect(ADMIN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


FLEET = [
    (
        "INSERT INTO workspace (slug, name, locale, timezone, sender_name, sender_address, settings, created_at) "
        "SELECT 'ws' || i, 'Client ' || i, 'ru', 'Europe/Moscow', '', '', '{}'::jsonb, now() "
        "FROM generate_series(1, $1) i",
        [WORKSPACES],
    ),
    (
        # domain d belongs to workspace 1 + (d - 1) / 60 and to campaign 1 + (d - 1) / 3
        "INSERT INTO domain (workspace_id, name, registrar, mail_provider, pool_role, status, daily_cap, "
        "dmarc_policy, dkim_selector, dkim_public_key, tracking_host, created_at) "
        "SELECT 1 + (d - 1) / ($2 / $1), 'd' || d || '.test', '', "
        "CASE WHEN d % 2 = 0 THEN 'yandex360' ELSE 'mailru' END, 'active', 'active', 150, 'none', '', '', '', now() "
        "FROM generate_series(1, $2) d",
        [WORKSPACES, DOMAINS],
    ),
    (
        "INSERT INTO mailbox (workspace_id, domain_id, address, display_name, provider, smtp_host, smtp_port, "
        "smtp_tls, imap_host, imap_port, imap_tls, username, tls_ca_pem, auth_kind, secret_enc, status, "
        "warmup_started_on, warmup_weeks, daily_cap, last_error, auth_failures, created_at) "
        "SELECT d.workspace_id, d.id, 'u' || i || '@' || d.name, 'User ' || i, d.mail_provider, 'h', 465, "
        "'implicit', 'h', 993, 'implicit', 'u' || i, '', 'password', '\\x00', 'active', "
        "$1::date - 150, 6, 40, '', 0, now() FROM domain d, generate_series(1, $2) i",
        [NOW.date(), PER_DOMAIN],
    ),
    (
        "INSERT INTO campaign (workspace_id, name, status, timezone, window_start, window_end, weekdays, daily_cap, "
        "per_mailbox_cap, stop_on_reply, track_opens, track_clicks, html, lead_timezone, created_at) "
        "SELECT 1 + (c - 1) / ($1 / $2), 'campaign ' || c, 'running', 'Europe/Moscow', '09:00', '18:00', 31, 500, "
        "30, true, false, false, false, false, now() FROM generate_series(1, $1) c",
        [CAMPAIGNS, WORKSPACES],
    ),
    (
        "INSERT INTO campaign_domain (campaign_id, domain_id) SELECT 1 + (d - 1) / $1, d FROM generate_series(1, $2) d",
        [DOMAINS_PER_CAMPAIGN, DOMAINS],
    ),
    (
        "INSERT INTO step (campaign_id, position, delay_days, business_days, variants) "
        "SELECT c, p, CASE WHEN p = 1 THEN 0 ELSE 3 END, p = 3, "
        '\'[{"subject": "A", "body": "a", "weight": 50}, {"subject": "B", "body": "b", "weight": 50}]\''
        "::jsonb FROM generate_series(1, $1) c, generate_series(1, 3) p",
        [CAMPAIGNS],
    ),
    (  # two warmup sends per mailbox already planned today
        "INSERT INTO outbound_message (kind, workspace_id, mailbox_id, peer_id, message_id, subject, body, status, "
        'scheduled_at, attempts, smtp_reply, in_reply_to, "references", html, created_at) '
        "SELECT 'warmup', b.workspace_id, b.id, b.id, '<w' || b.id || '.' || k || '@x>', 's', 'b', 'planned', "
        "$1::timestamptz + make_interval(mins => 30 + k * 200), 0, '', '', '', '', now() "
        "FROM mailbox b, generate_series(1, 2) k",
        [NOW],
    ),
    (
        "INSERT INTO suppression (workspace_id, value, reason, created_at) "
        "SELECT NULL, 'c' || i || '.example', 'manual', now() FROM generate_series(1, 100) i",
        [],
    ),
]


LEADS_SQL = [
    (
        "INSERT INTO lead (id, workspace_id, email, first_name, last_name, company, custom, source, legal_basis, "
        "verdict, verdict_reason, timezone, created_at) "
        "SELECT n, 1 + ((n - 1) / ($1 / $2)) / ($2 / $3), 'p' || n || '@c' || (n % 10000) || '.example', "
        "'', '', '', '{}'::jsonb, 'bench', 'contract', 'unknown', '', '', now() FROM generate_series(1, $1) n",
        [LEADS, CAMPAIGNS, WORKSPACES],
    ),
    (
        # r: a fixed pseudo-random number per lead; 70 % wait for step 1 (due in the last 10 hours), 30 % sent
        # step 1 from a sticky mailbox of their campaign and are due for step 2 from 2 days ago to 5 days ahead
        "INSERT INTO enrollment (id, campaign_id, lead_id, state, current_step, next_due_at, mailbox_id, "
        "thread_message_id, variant, stopped_reason, created_at) "
        "SELECT n, c, n, 'active', CASE WHEN r < 700 THEN 1 ELSE 2 END, "
        "CASE WHEN r < 700 THEN $2::timestamptz - make_interval(mins => 1 + (n * 7) % 600) "
        "ELSE $2::timestamptz + make_interval(mins => (n * 13) % (7 * 1440) - 2 * 1440) END, "
        "CASE WHEN r < 700 THEN NULL ELSE b.id END, "
        "CASE WHEN r < 700 THEN '' ELSE '<t' || n || '@' || dm.name || '>' END, "
        "CASE WHEN r < 700 THEN NULL ELSE n % 2 END, '', now() "
        "FROM (SELECT n, 1 + (n - 1) / ($1 / $3) AS c, (n * 2654435761) % 1000 AS r "
        "      FROM generate_series(1, $1) n) x "
        "JOIN domain dm ON dm.id = (x.c - 1) * $4 + 1 + n % $4 "
        "JOIN mailbox b ON b.domain_id = dm.id AND b.address = 'u' || (1 + (n / $4) % $5) || '@' || dm.name",
        [LEADS, NOW, CAMPAIGNS, DOMAINS_PER_CAMPAIGN, PER_DOMAIN],
    ),
    (
        "INSERT INTO outbound_message (kind, workspace_id, mailbox_id, lead_id, enrollment_id, campaign_id, "
        "step_position, variant, message_id, subject, body, html, status, scheduled_at, sent_at, attempts, "
        'smtp_reply, in_reply_to, "references", created_at) '
        "SELECT 'campaign', c.workspace_id, e.mailbox_id, e.lead_id, e.id, e.campaign_id, 1, e.variant, "
        "e.thread_message_id, '', '', '', 'sent', s.at, s.at, 1, '250 ok', '', '', now() "
        "FROM enrollment e JOIN campaign c ON c.id = e.campaign_id "
        "CROSS JOIN LATERAL (SELECT least(e.next_due_at - interval '3 days', $1::timestamptz - interval '1 day') "
        "AS at) s "
        "WHERE e.current_step = 2",
        [NOW],
    ),
]


async def seed() -> None:
    """Everything server-side (INSERT … SELECT), so the process's memory is the planner's alone."""
    conn = connections.get("default")
    for sql, args in [*FLEET, *LEADS_SQL]:
        await conn.execute_query(sql, args)
    await conn.execute_script("SELECT setval(pg_get_serial_sequence('lead', 'id'), 1000000); ANALYZE")
    count = await conn.execute_query_dict(
        "SELECT count(*) FILTER (WHERE current_step = 1) AS first, count(*) AS total FROM enrollment"
    )
    print(f"seeded: {count[0]['total']} enrollments, {count[0]['first']} waiting for step 1")


NEW_LEADS = 420  # the due tick: new leads enrolled in the campaigns of workspace 1, due now

NEW_SQL = (
    "WITH n AS (SELECT $1::int + i AS id, 1 + (i - 1) % ($3::int / $4::int) AS c FROM generate_series(1, $2) i), "
    "l AS (INSERT INTO lead (id, workspace_id, email, first_name, last_name, company, custom, source, legal_basis, "
    "verdict, verdict_reason, timezone, created_at) SELECT id, 1, 'new' || id || '@n' || id || '.example', '', '', "
    "'', '{}'::jsonb, 'bench', 'contract', 'unknown', '', '', now() FROM n RETURNING id) "
    "INSERT INTO enrollment (id, campaign_id, lead_id, state, current_step, next_due_at, mailbox_id, "
    "thread_message_id, variant, stopped_reason, created_at) "
    "SELECT n.id, n.c, l.id, 'active', 1, $5::timestamptz, NULL, '', NULL, '', now() FROM n JOIN l ON l.id = n.id"
)


async def clear_memo(redis: Redis) -> None:
    keys = [k async for k in redis.scan_iter(match="mailfleet:plan:campaign:*")]
    if keys:
        await redis.delete(*keys)


def rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


async def reset(conn: BaseDBAsyncClient, redis: Redis) -> None:
    """The day before any plan: no campaign row, no deferral, no variant drawn, nobody stopped, no due-tick lead."""
    await conn.execute_script(
        "DELETE FROM outbound_message WHERE kind = 'campaign' AND status = 'planned'; "
        "TRUNCATE cap_deferral, campaign_deferral; "
        "UPDATE enrollment SET variant = NULL WHERE current_step = 1 AND variant IS NOT NULL"
    )
    await conn.execute_query(  # the leads stopped as suppressed by the last run: due again
        "UPDATE enrollment SET state = 'active', stopped_reason = '', next_due_at = $1 WHERE state = 'stopped'",
        [NOW - dt.timedelta(hours=1)],
    )
    await conn.execute_query("DELETE FROM enrollment WHERE id > $1", [LEADS])  # the due tick's leads
    await conn.execute_query("DELETE FROM lead WHERE id > $1", [LEADS])
    # What autovacuum does in the hours between two days: without it, this reset's dead rows (the last run's plan,
    # its variants) sit in front of every key the plan probes, which takes far longer than on a table in its daily
    # state.
    await conn.execute_script("VACUUM (ANALYZE) outbound_message, enrollment, lead")
    await clear_memo(redis)


async def timed(moment: dt.datetime, memo: PlanMemo, horizon_s: int | None = HORIZON_S, lanes: int = 2) -> Run:
    """A run as the worker makes it: unseeded (random Message-IDs and draws; a seed is for tests and the demo)."""
    started, cpu = time.perf_counter(), time.process_time()
    options = CampaignPlanOptions(horizon_s=horizon_s, lanes=lanes)
    report = await plan_campaigns(FrozenClock(moment), options, memo=memo)
    return Run(report, time.perf_counter() - started, time.process_time() - cpu)


@dataclass(frozen=True)
class Run:
    report: CampaignPlanReport
    wall: float
    cpu: float

    def __str__(self) -> str:
        r = self.report
        return (
            f"{r.planned} rows, {r.waiting} waiting, {r.stopped} stopped, {r.deferrals} deferrals, "
            f"{r.skipped} workspaces skipped, {self.wall * 1000:.0f} ms ({self.cpu * 1000:.0f} ms CPU here)"
            + (f"; {self.split()}" if r.phases else "")
        )

    def split(self) -> str:
        return ", ".join(f"{name} {seconds * 1000:.0f}" for name, seconds in self.report.phases) + " ms"


async def main(runs: int) -> None:
    await admin(f'DROP DATABASE IF EXISTS "{NAME}"')
    await admin(f'CREATE DATABASE "{NAME}"')
    url = urlunsplit(urlsplit(ADMIN)._replace(path=f"/{NAME}"))
    try:
        await db.migrate(url)
        await db.init_db(url)
        await seed()
        conn = connections.get("default")
        redis = Redis.from_url(REDIS)
        memo = campaign_memo(redis)
        figures: dict[str, list[float]] = defaultdict(list)
        peak = 0.0
        for run in range(runs):
            await reset(conn, redis)
            before = rss_mb()
            first = await timed(NOW, memo)
            peak = max(peak, rss_mb())
            print(
                f"run {run + 1}, the worker's first plan of the day (09:00, an hour ahead): {first}, "
                f"RSS {before:.0f} -> {rss_mb():.0f} MB"
            )
            again = await timed(NOW + dt.timedelta(minutes=10), memo)
            print(f"  09:10, nothing new: {again}")
            later = NOW + dt.timedelta(minutes=20)
            await conn.execute_query(NEW_SQL, [LEADS, NEW_LEADS, CAMPAIGNS, WORKSPACES, later])
            due = await timed(later, memo)
            print(f"  09:20, {NEW_LEADS} new leads of one workspace came due: {due}")
            moved = await timed(NOW + dt.timedelta(minutes=30), memo)
            print(f"  09:30, the horizon moved on: {moved}")
            for name, value in (
                ("first", first.wall),
                ("again", again.wall),
                ("due", due.wall),
                ("moved", moved.wall),
                ("first_cpu", first.cpu),
            ):
                figures[name].append(value)
            await reset(conn, redis)
            before = rss_mb()
            whole = await timed(NOW, memo, horizon_s=None)
            peak = max(peak, rss_mb())
            figures["whole"].append(whole.wall)
            figures["whole_cpu"].append(whole.cpu)
            for name, seconds in whole.report.phases:
                figures[f"whole {name}"].append(seconds)
            print(f"  the whole day in one run (no horizon): {whole}, RSS {before:.0f} -> {rss_mb():.0f} MB")
            await reset(conn, redis)
            single = await timed(NOW, memo, horizon_s=None, lanes=1)
            figures["single"].append(single.wall)
            print(f"  the same in one lane (one transaction, as before lanes): {single}")
        med = {k: statistics.median(v) for k, v in figures.items()}
        print(
            f"\n{CAMPAIGNS} campaigns, {LEADS} leads, {DOMAINS * PER_DOMAIN} mailboxes on {DOMAINS} domains; "
            f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n"
            f"the worker's plan at the start of the day (target 2 s): median {med['first']:.2f} s "
            f"(min {min(figures['first']):.2f}, max {max(figures['first']):.2f}; CPU here {med['first_cpu']:.2f} s); "
            f"peak RSS {peak:.0f} MB\n"
            f"nothing new (target 50 ms): median {med['again'] * 1000:.0f} ms; after {NEW_LEADS} came due "
            f"(target 200 ms): median {med['due'] * 1000:.0f} ms; the horizon moving on: median "
            f"{med['moved'] * 1000:.0f} ms\n"
            f"the whole day in one run (no horizon): median {med['whole']:.2f} s (min {min(figures['whole']):.2f}, "
            f"max {max(figures['whole']):.2f}; CPU here {med['whole_cpu']:.2f} s); by phase, median: "
            + ", ".join(f"{k.split()[1]} {v * 1000:.0f}" for k, v in med.items() if k.startswith("whole "))
            + f" ms (summed over its lanes); in one lane: median {med['single']:.2f} s"
        )
        await redis.aclose()
    finally:
        await db.close_db()
        if "--keep" not in sys.argv:
            await admin(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')
        else:
            print(f"kept database {NAME}")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    asyncio.run(main(int(args[0]) if args else 3))

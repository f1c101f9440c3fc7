"""Retention and erasure at a client's scale: one workspace with `leads` leads (default 100,000), each written to
once, with an open and a reply event per lead (so 2 × leads events) and their daily counters; 90 % of it older
than the retention window.

Runs on a throwaway database:
1. `retention.purge` with its default batch (5,000 rows a statement): wall time, rows per second, and the longest
   single statement (what a concurrent writer may wait behind);
2. `/forget` of one address among them (the indexes it relies on: `lead (email)`, `event (workspace_id, …)`).
Prints figures; asserts nothing. Uses TEST_DATABASE_URL's server (default postgres://postgres@127.0.0.1:5432/postgres).
Run from the repository root: .venv/bin/python -m bench.bench_retention [leads]"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
import time
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from tortoise import connections

from engine import db
from engine.access import Actor
from engine.clock import FrozenClock
from engine.compliance import forget, retention
from engine.compliance.hashing import AddressHasher
from models import Campaign, Domain, Mailbox, Workspace
from models.enums import MailProvider, Platform, Role, TlsMode

ADMIN = os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
NAME = f"mailfleet_bench_retention_{os.getpid()}"
NOW = dt.datetime(2031, 3, 3, 9, 0, tzinfo=dt.UTC)

# lead n: created (and written to) 400 days ago for 90 % of them, 10 days ago for the rest
LEADS = """
INSERT INTO lead (id, workspace_id, email, first_name, last_name, company, custom, source, legal_basis, verdict,
                  verdict_reason, timezone, created_at)
SELECT n, 1, 'p' || n || '@lead.example', 'P', '', '', '{}', 'bench', 'consent', 'valid', '', '',
       $2::timestamptz - make_interval(days => CASE WHEN n % 10 = 0 THEN 10 ELSE 400 END)
FROM generate_series(1, $1) n
"""
ENROLLMENTS = """
INSERT INTO enrollment (id, campaign_id, lead_id, state, current_step, last_sent_at, thread_message_id,
                        stopped_reason, created_at)
SELECT id, 1, id, 'completed', 2, created_at, '', '', created_at FROM lead
"""
MESSAGES = """
INSERT INTO outbound_message (id, kind, workspace_id, mailbox_id, lead_id, enrollment_id, campaign_id, step_position,
                              message_id, subject, status, scheduled_at, sent_at, attempts, smtp_reply, body, html,
                              in_reply_to, "references", created_at)
SELECT id, 'campaign', 1, 1, id, id, 1, 1, '<' || id || '@acme.example>', 'Hello', 'sent', created_at, created_at,
       1, '250 ok', 'Body for ' || email, '', '', '', created_at FROM lead
"""
EVENTS = """
INSERT INTO event (workspace_id, kind, mailbox_id, campaign_id, lead_id, message_id, occurred_at, data)
SELECT 1, k, 1, 1, id, id, created_at, jsonb_build_object('address', email) FROM lead, unnest(ARRAY['open', 'reply']) k
"""


async def admin(sql: str) -> None:
    conn = await asyncpg.connect(ADMIN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def main(leads: int) -> None:
    await admin(f'DROP DATABASE IF EXISTS "{NAME}"')
    await admin(f'CREATE DATABASE "{NAME}"')
    url = urlunsplit(urlsplit(ADMIN)._replace(path=f"/{NAME}"))
    try:
        await db.migrate(url)
        await db.init_db(url)
        conn = connections.get("default")
        started = time.perf_counter()
        ws = await Workspace.create(slug="acme", name="Acme", sender_name="Acme", sender_address="Moscow",
                                    retention_days=365)  # fmt: skip
        domain = await Domain.create(workspace=ws, name="acme.example")
        await Mailbox.create(
            workspace=ws, domain=domain, address="a@acme.example", provider=MailProvider.GENERIC, smtp_host="h",
            smtp_port=25, smtp_tls=TlsMode.PLAIN, imap_host="h", imap_port=143, imap_tls=TlsMode.PLAIN,
            username="a", secret_enc=b"x",
        )  # fmt: skip
        await Campaign.create(workspace=ws, name="Q1")
        await conn.execute_query(LEADS, [leads, NOW])
        for sql in (ENROLLMENTS, MESSAGES, EVENTS):
            await conn.execute_query(sql)
        await conn.execute_query("ANALYZE")
        print(
            f"set up {leads:,} leads, {leads:,} messages, {2 * leads:,} events in {time.perf_counter() - started:.1f} s"
        )

        clock = FrozenClock(NOW)
        actor = Actor(person_id=None, platform=Platform.CONSOLE, role=Role.MANAGER, workspace_id=1)
        started = time.perf_counter()
        erased = await forget.forget(actor, clock, "p11@lead.example", hasher=AddressHasher([b"k" * 32]))
        print(f"/forget of one address: {(time.perf_counter() - started) * 1000:.0f} ms; erased {erased}")

        longest = 0.0
        real = conn.execute_query_dict

        async def timed(sql: str, values: list[object] | None = None) -> list[dict[str, object]]:
            nonlocal longest
            t0 = time.perf_counter()
            rows = await real(sql, values)
            longest = max(longest, time.perf_counter() - t0)
            return rows

        conn.execute_query_dict = timed  # type: ignore[method-assign]
        started = time.perf_counter()
        done = await retention.purge(clock)
        elapsed = time.perf_counter() - started
        conn.execute_query_dict = real  # type: ignore[method-assign]
        total = sum(sum(c.values()) for c in done.values())
        print(
            f"retention purge: {dict(done.get(1, {}))} = {total:,} rows in {elapsed:.1f} s "
            f"({total / elapsed:,.0f} rows/s); longest statement {longest * 1000:.0f} ms (batch {retention.BATCH:,})"
        )
    finally:
        await db.close_db()
        await admin(f'DROP DATABASE IF EXISTS "{NAME}"')


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000))

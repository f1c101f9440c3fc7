"""`/report` on a big workspace: 1,200 mailboxes on 60 domains, 10 campaigns and 10,000,000 events over 30 days
(made by `generate_series` in SQL), with the `daily_stat` rows aggregated from those very events and written with
COPY — so the report's numbers can be checked against the events.

Prints: the time to build the data, the `/report 30d` server time (the report service and its text, as the
command runs it: median and worst of several runs), and, in the same run, a naive `count(*) … GROUP BY` over the
events for the same period, with both totals side by side. Asserts nothing.

Run from the repository root:  .venv/bin/python -m bench.bench_report [--events 10000000 --runs 20]
A scratch database `mailfleet_bench_<pid>` is created on BENCH_DATABASE_URL's server and dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import time

from tortoise import connections

from bench.scratch import scratch_database
from engine import db
from engine.access import Actor
from engine.clock import FrozenClock
from engine.i18n import translator
from engine.reports import report, text
from models import Campaign, Domain, Mailbox, Workspace
from models.enums import CampaignStatus, MailboxStatus, MailProvider, Platform, Role, TlsMode

NOW = dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.UTC)
DAYS = 30
DOMAINS, PER_DOMAIN, CAMPAIGNS = 60, 20, 10

# one event in 100: 80 sends, 8 opens, 4 replies, 2 hard, 1 soft, 2 block bounces, 1 complaint, 1 unsubscribe,
# 1 warmup inbox (of the 100th: every other one is spam); the 12 worst mailboxes get 20 blocks instead of 20 sends
_KIND = """CASE
  WHEN (i / 100) % 1200 < 12 AND i % 100 < 20 THEN 'bounce_block'
  WHEN i % 100 < 80 THEN 'sent' WHEN i % 100 < 88 THEN 'open' WHEN i % 100 < 92 THEN 'reply'
  WHEN i % 100 < 94 THEN 'bounce_hard' WHEN i % 100 < 95 THEN 'bounce_soft' WHEN i % 100 < 97 THEN 'bounce_block'
  WHEN i % 100 < 98 THEN 'complaint' WHEN i % 100 < 99 THEN 'unsubscribe'
  WHEN i % 200 < 100 THEN 'warmup_inbox' ELSE 'warmup_spam' END"""
_COUNTER = {
    "sent": "sent",
    "open": "opens",
    "reply": "replies",
    "bounce_hard": "bounces_hard",
    "bounce_soft": "bounces_soft",
    "bounce_block": "bounces_block",
    "complaint": "complaints",
    "unsubscribe": "unsubscribes",
    "warmup_inbox": "warmup_inbox",
    "warmup_spam": "warmup_spam",
}
_ZEROS = ("clicks", "auto_replies", "smtp_errors", "auth_errors")  # no such events here (no DB defaults)
_COLUMNS = ("workspace_id", "scope", "scope_id", "day", *_COUNTER.values(), *_ZEROS)


async def seed(events: int) -> int:
    ws = await Workspace.create(slug="big", name="Big client", timezone="UTC", locale="en")
    await Domain.bulk_create([Domain(workspace=ws, name=f"d{n:02}.test") for n in range(DOMAINS)])
    domains = await Domain.filter(workspace_id=ws.id).order_by("id")
    boxes = [
        Mailbox(
            workspace=ws,
            domain=d,
            address=f"u{i:02}@{d.name}",
            provider=MailProvider.GENERIC,
            smtp_host="h",
            smtp_port=465,
            smtp_tls=TlsMode.IMPLICIT,
            imap_host="h",
            imap_port=993,
            imap_tls=TlsMode.IMPLICIT,
            username=f"u{i}",
            secret_enc=b"x",
            status=MailboxStatus.ACTIVE,
        )
        for d in domains
        for i in range(PER_DOMAIN)
    ]
    await Mailbox.bulk_create(boxes, batch_size=1000)
    for n in range(CAMPAIGNS):
        await Campaign.create(
            workspace=ws, name=f"Campaign {n}", status=CampaignStatus.RUNNING, timezone="UTC", html=n < 2,
            window_start=dt.time(9, 0, tzinfo=dt.UTC), window_end=dt.time(18, 0, tzinfo=dt.UTC),
        )  # fmt: skip
    conn = connections.get("default")
    await conn.execute_script("SET synchronous_commit = off")
    first_box = (await Mailbox.filter(workspace_id=ws.id).order_by("id").first()).id  # type: ignore[union-attr]
    first_campaign = (await Campaign.filter(workspace_id=ws.id).order_by("id").first()).id  # type: ignore[union-attr]
    start = dt.datetime.combine(NOW.date() - dt.timedelta(days=DAYS - 1), dt.time(), dt.UTC)
    # the i-th event: mailbox (i / 100) mod 1200, campaign (i / 7) mod 10, day (i / 13) mod 30, a second of that day
    await conn.execute_query(
        f"""INSERT INTO event (workspace_id, kind, mailbox_id, campaign_id, occurred_at, data)
        SELECT $1, {_KIND}, $2 + (i / 100) % $3, $4 + (i / 7) % $5,
               $6::timestamptz + ((i / 13) % $7) * interval '1 day' + (i % 86400) * interval '1 second', '{{}}'::jsonb
        FROM generate_series(0, $8 - 1) i""",  # noqa: S608 - constant SQL, values bound
        [ws.id, first_box, DOMAINS * PER_DOMAIN, first_campaign, CAMPAIGNS, start, DAYS, events],
    )
    await conn.execute_script("ANALYZE event")
    # daily_stat from the same events (one aggregation per scope), written with COPY
    sums = ", ".join(f"count(*) FILTER (WHERE e.kind = '{k}') AS {c}" for k, c in _COUNTER.items())
    scopes = {
        "mailbox": "e.mailbox_id",
        "domain": "m.domain_id",
        "campaign": "e.campaign_id",
        "workspace": "e.workspace_id",
    }
    records: list[tuple[object, ...]] = []
    for scope, key in scopes.items():
        rows = await conn.execute_query_dict(
            f"SELECT {key} AS scope_id, (e.occurred_at AT TIME ZONE 'UTC')::date AS day, {sums} "  # noqa: S608
            "FROM event e JOIN mailbox m ON m.id = e.mailbox_id WHERE e.workspace_id = $1 GROUP BY 1, 2",
            [ws.id],
        )
        records += [
            (ws.id, scope, r["scope_id"], r["day"], *(r[c] for c in _COUNTER.values()), 0, 0, 0, 0) for r in rows
        ]
    raw = await conn._pool.acquire()  # type: ignore[attr-defined]  # asyncpg's COPY, not in tortoise's API
    try:
        await raw.copy_records_to_table("daily_stat", records=records, columns=_COLUMNS)
    finally:
        await conn._pool.release(raw)  # type: ignore[attr-defined]
    await conn.execute_script("ANALYZE daily_stat")
    return ws.id


async def main(url: str, events: int, runs: int) -> None:
    await db.init_db(url)
    if True:
        try:
            started = time.perf_counter()
            workspace_id = await seed(events)
            conn = connections.get("default")
            [n] = await conn.execute_query_dict("SELECT count(*) AS n FROM event")
            [d] = await conn.execute_query_dict("SELECT count(*) AS n FROM daily_stat")
            took = time.perf_counter() - started
            print(f"seeded {n['n']:,} events, {d['n']:,} daily_stat rows, 1,200 mailboxes in {took:.0f} s")

            actor = Actor(person_id=None, platform=Platform.TELEGRAM, role=Role.MANAGER, workspace_id=workspace_id)
            clock, t = FrozenClock(NOW), translator("en")
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                rep = await report(actor, clock, "30d")
                body = text.title(t, rep) + "\n\n" + "\n\n".join(text.body(t, rep))
                times.append((time.perf_counter() - started) * 1000)
            cold, warm = times[0], times[1:] or times
            print(
                f"/report 30d server time: first (cold) {cold:.1f} ms, then median {statistics.median(warm):.1f} ms, "
                f"worst {max(warm):.1f} ms ({len(warm)} runs, {len(body)} chars)"
            )
            start = dt.datetime.combine(rep.period.start, dt.time(), dt.UTC)
            end = dt.datetime.combine(rep.period.end + dt.timedelta(days=1), dt.time(), dt.UTC)
            started = time.perf_counter()
            naive = await conn.execute_query_dict(
                "SELECT kind, count(*) AS n FROM event WHERE workspace_id = $1 AND occurred_at >= $2 "
                "AND occurred_at < $3 GROUP BY kind",
                [workspace_id, start, end],
            )
            naive_ms = (time.perf_counter() - started) * 1000
            by_kind = {r["kind"]: int(r["n"]) for r in naive}
            print(f"naive count(*) … GROUP BY kind over the events: {naive_ms:.0f} ms")
            c = rep.summary.counts
            print(
                f"sent: report {c.sent:,} / events {by_kind.get('sent', 0):,}; replies: report {c.replies:,} / "
                f"events {by_kind.get('reply', 0):,}; blocks: report {c.bounces_block:,} / "
                f"events {by_kind.get('bounce_block', 0):,}"
            )
            print(body)
        finally:
            await db.close_db()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=20)
    options = parser.parse_args()
    with scratch_database() as scratch:
        asyncio.run(main(scratch, options.events, options.runs))

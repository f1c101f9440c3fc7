"""Migrations that rewrite data, run by Tortoise's runner on a database at the migration before, holding the rows
an install had then."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Awaitable, Callable

import asyncpg
from tortoise import Tortoise
from tortoise.migrations.api import migrate as tortoise_migrate

from engine import db
from engine.schema import migration_names

LATE = dt.datetime(2026, 11, 2, 22, 30, tzinfo=dt.UTC)  # already 3 November in Moscow
TUESDAY = dt.date(2026, 11, 3)


async def test_pixel_sent_is_filled_for_the_counters_written_before_it(
    empty_database: Callable[[str], Awaitable[str]],
) -> None:
    """0020_pixel_sent: the counters and SENT events written before it get the pixel sends as they were measured
    until then (the sends of campaigns that are HTML): a campaign's and its workspace's from the campaign counters,
    a mailbox's and a domain's from the messages still in the outbox on the workspace's day; never more than
    `sent`; the plain campaign's and the warmup mail stay at 0."""
    names = migration_names()
    at = names.index("0020_pixel_sent")
    url = await empty_database("pixel")
    await tortoise_migrate(config=db.tortoise_config(url), target=f"models.{names[at - 1]}")
    await Tortoise.close_connections()
    conn = await asyncpg.connect(url)
    try:
        ws = await conn.fetchval(
            "INSERT INTO workspace (slug, name, locale, timezone, sender_name, sender_address, settings, created_at) "
            "VALUES ('acme', 'Acme', 'en', 'Europe/Moscow', '', '', '{}', now()) RETURNING id"
        )
        domain = await conn.fetchval(
            "INSERT INTO domain (workspace_id, name, registrar, pool_role, status, daily_cap, dmarc_policy, "
            "dkim_selector, dkim_public_key, tracking_host, created_at) "
            "VALUES ($1, 'acme.test', '', 'active', 'active', 150, 'none', '', '', '', now()) RETURNING id",
            ws,
        )
        box = await conn.fetchval(
            "INSERT INTO mailbox (workspace_id, domain_id, address, display_name, provider, smtp_host, smtp_port, "
            "smtp_tls, imap_host, imap_port, imap_tls, username, auth_kind, secret_enc, status, daily_cap, "
            "warmup_weeks, auth_failures, last_error, created_at) VALUES ($1, $2, 'anna@acme.test', '', 'generic', "
            "'127.0.0.1', 587, 'starttls', '127.0.0.1', 993, 'ssl', 'anna', 'password', 'x', 'active', 40, 6, 0, "
            "'', now()) RETURNING id",
            ws,
            domain,
        )
        campaigns = {}
        for name, html in (("Rich", True), ("Plain", False)):
            campaigns[html] = await conn.fetchval(
                "INSERT INTO campaign (workspace_id, name, status, timezone, window_start, window_end, weekdays, "
                "daily_cap, per_mailbox_cap, stop_on_reply, track_opens, track_clicks, html, created_at) "
                "VALUES ($1, $2, 'running', 'Europe/Moscow', '09:00', '18:00', 31, 500, 30, true, $3, false, $3, "
                "now()) RETURNING id",
                ws,
                name,
                html,
            )
        sends = [("campaign", campaigns[True])] * 3 + [("campaign", campaigns[False])] * 2 + [("warmup", None)] * 4
        for n, (kind, campaign) in enumerate(sends):
            message = await conn.fetchval(
                "INSERT INTO outbound_message (kind, workspace_id, mailbox_id, campaign_id, message_id, subject, "
                "status, scheduled_at, sent_at, attempts, smtp_reply, created_at) "
                "VALUES ($1, $2, $3, $4, $5, '', 'sent', $6, $6, 1, '', now()) RETURNING id",
                kind,
                ws,
                box,
                campaign,
                f"<m{n}@acme.test>",
                LATE,
            )
            await conn.execute(
                "INSERT INTO event (workspace_id, kind, occurred_at, mailbox_id, campaign_id, message_id, data) "
                "VALUES ($1, 'sent', $2, $3, $4, $5, $6::jsonb)",
                ws,
                LATE,
                box,
                campaign,
                message,
                json.dumps({"kind": kind}),
            )
        rows = [
            ("workspace", ws, 9, 4), ("mailbox", box, 9, 4), ("domain", domain, 9, 4),
            ("campaign", campaigns[True], 3, 0), ("campaign", campaigns[False], 2, 0),
        ]  # fmt: skip
        await conn.executemany(
            "INSERT INTO daily_stat (workspace_id, scope, scope_id, day, sent, warmup_sent, opens, clicks, replies, "
            "auto_replies, bounces_hard, bounces_soft, bounces_block, complaints, unsubscribes, warmup_inbox, "
            "warmup_spam, smtp_errors, auth_errors) "
            "VALUES ($1, $2, $3, $4, $5, $6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)",
            [(ws, scope, scope_id, TUESDAY, sent, warm) for scope, scope_id, sent, warm in rows],
        )
    finally:
        await conn.close()

    assert await db.migrate(url) == names[at:]

    conn = await asyncpg.connect(url)
    try:
        found = {(r["scope"], r["scope_id"]): r["pixel_sent"] for r in await conn.fetch("SELECT * FROM daily_stat")}
        flagged = await conn.fetch("SELECT campaign_id FROM event WHERE data ->> 'pixel' = 'true'")
    finally:
        await conn.close()
    assert found == {
        ("workspace", ws): 3,
        ("mailbox", box): 3,
        ("domain", domain): 3,
        ("campaign", campaigns[True]): 3,
        ("campaign", campaigns[False]): 0,
    }
    assert [r["campaign_id"] for r in flagged] == [campaigns[True]] * 3

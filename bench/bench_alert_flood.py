"""What a flood of alerts costs: raising N distinct alerts (and N repeats), claiming them, delivering them to the
chats of one workspace through the per-chat budget (most are held for the digest), and sending the digests.

Run from the repository root:  .venv/bin/python -m bench.bench_alert_flood [--alerts 2000 --chats 3]

A recording notifier stands in for Telegram and Slack (their own benches measure the platforms). A scratch database
`mailfleet_bench_<pid>` is created on BENCH_DATABASE_URL's server (default: local postgres) and dropped; Redis is
BENCH_REDIS_URL (default db 15, flushed). Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import time

from redis.asyncio import Redis
from tortoise import connections

from bench.scratch import scratch_database
from engine import alerts, db
from engine.alert_routing import WINDOW_S
from engine.clock import FrozenClock
from engine.notify import deliver, flush_digests
from engine.reply import Reply
from models import ChatBinding, Workspace
from models.enums import Platform, Severity

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
NOW = dt.datetime(2026, 12, 2, 10, 0, 1, tzinfo=dt.UTC)


class Recording:
    platform = Platform.TELEGRAM

    def __init__(self) -> None:
        self.sent: list[tuple[str, Reply]] = []

    async def send(self, chat_id: str, reply: Reply) -> str:
        self.sent.append((chat_id, reply))
        return str(len(self.sent))


async def measure(url: str, alerts_n: int, chats: int, history: int) -> None:
    await db.init_db(url)
    redis = Redis.from_url(REDIS_URL)
    await redis.flushdb()
    clock = FrozenClock(NOW)
    ws = await Workspace.create(slug="bench", name="Bench")
    for n in range(chats):
        await ChatBinding.create(workspace=ws, platform=Platform.TELEGRAM, chat_id=f"chat{n}", purposes=["alerts"])
    notifier = Recording()

    async def raise_all() -> None:
        for i in range(alerts_n):
            await alerts.raise_alert(
                workspace_id=ws.id, kind=f"kind_{i % 7}", severity=Severity.WARNING, subject=f"mailbox:{i}",
                key="", data={"mailbox": f"m{i}"}, now=clock.now(),
            )  # fmt: skip

    started = time.perf_counter()
    await raise_all()
    raised = time.perf_counter() - started
    started = time.perf_counter()
    await raise_all()  # repeats: counted, never announced again
    repeated = time.perf_counter() - started
    started = time.perf_counter()
    due = []
    while batch := await alerts.claim_due(clock, limit=500):
        due += batch
    claimed = time.perf_counter() - started
    started = time.perf_counter()
    held = 0
    for note in due:
        held += len((await deliver(note, {Platform.TELEGRAM: notifier}, redis, clock)).held)
    delivered = time.perf_counter() - started
    messages = len(notifier.sent)
    clock.advance(dt.timedelta(seconds=WINDOW_S))
    started = time.perf_counter()
    digests = await flush_digests({Platform.TELEGRAM: notifier}, redis, clock)
    flushed = time.perf_counter() - started
    longest = max(len(r.plain_text()) for _, r in notifier.sent[messages:])
    # resolving when the table holds a long history: `resolve_alerts` looks alerts up by kind and subject
    await connections.get("default").execute_query(
        "INSERT INTO alert (workspace_id, kind, severity, subject, fingerprint, status, count, data, first_seen, "
        "last_seen, resolved_at) SELECT $1, 'kind_' || (g % 7), 'warning', 'mailbox:' || g, md5(g::text), "
        "'resolved', 1, '{}'::jsonb, $2, $2, $2 FROM generate_series(1, $3) g",
        [ws.id, clock.now(), history],
    )
    await connections.get("default").execute_query("ANALYZE alert")
    started = time.perf_counter()
    for i in range(alerts_n):
        await alerts.resolve_alerts(f"kind_{i % 7}", f"mailbox:{i}", workspace_id=ws.id, clock=clock)
    resolved = time.perf_counter() - started
    await redis.flushdb()
    await redis.aclose()
    await db.close_db()
    print(f"{alerts_n} distinct alerts to {chats} chats of one workspace")
    print(f"raise (new)      : {raised * 1000 / alerts_n:.2f} ms/alert")
    print(f"raise (repeat)   : {repeated * 1000 / alerts_n:.2f} ms/alert")
    print(f"claim            : {claimed * 1000 / alerts_n:.2f} ms/alert ({len(due)} notifications)")
    per_chat = delivered * 1000 / (alerts_n * chats)
    print(f"deliver          : {per_chat:.2f} ms/alert/chat: {messages} messages, {held} held")
    print(f"digests          : {digests} in {flushed * 1000:.0f} ms, the longest {longest} characters")
    print(f"resolve          : {resolved * 1000 / alerts_n:.2f} ms/call with {history} resolved rows in the table")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=2000)
    parser.add_argument("--chats", type=int, default=3)
    parser.add_argument("--history", type=int, default=100_000, help="resolved alerts already in the table")
    args = parser.parse_args()
    with scratch_database() as url:
        asyncio.run(measure(url, args.alerts, args.chats, args.history))


if __name__ == "__main__":
    main()

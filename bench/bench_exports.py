"""Exports and charts at size: a campaign of 100,000 enrolled leads (one step sent to each, replies, bounces and
unsubscribes sprinkled in) exported with `/export_leads` and `/export_campaign`, and each chart rendered.

Prints wall time, the file size, the longest stall of the event loop while exporting (a ticker every 10 ms
measures it: the CSV is written in a thread, page by page) and each chart's render time (the first one includes
importing matplotlib). Figures, never pass/fail.
Run from the repository root: `.venv/bin/python -m bench.bench_exports [leads]`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
import time

from bench.scratch import scratch_database
from engine import db, exports
from engine.access import Actor
from engine.charts import data, render
from engine.clock import SystemClock
from engine.i18n import translator
from engine.monitoring.metrics import Counts
from models import Campaign, Domain, Enrollment, Event, Lead, Mailbox, OutboundMessage, Workspace
from models.enums import (
    CampaignStatus,
    DomainStatus,
    EventKind,
    MailboxStatus,
    MailProvider,
    MessageKind,
    MessageStatus,
    Platform,
    Role,
    TlsMode,
)

NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)
BATCH = 5000


async def seed(n: int) -> Actor:
    ws = await Workspace.create(slug="bench", name="Bench", timezone="Europe/Moscow")
    domain = await Domain.create(workspace=ws, name="bench.test", status=DomainStatus.ACTIVE)
    box = await Mailbox.create(
        workspace=ws, domain=domain, address="a@bench.test", provider=MailProvider.GENERIC, smtp_host="127.0.0.1",
        smtp_port=587, smtp_tls=TlsMode.STARTTLS, imap_host="127.0.0.1", imap_port=993, imap_tls=TlsMode.IMPLICIT,
        username="a@bench.test", secret_enc=b"x", status=MailboxStatus.ACTIVE,
    )  # fmt: skip
    c = await Campaign.create(workspace=ws, name="Большая", status=CampaignStatus.RUNNING)
    for start in range(0, n, BATCH):
        idx = range(start, min(n, start + BATCH))
        await Lead.bulk_create(
            [
                Lead(
                    workspace=ws,
                    email=f"lead{i}@x{i % 2000}.test",
                    first_name="Иван",
                    last_name=f"Петров {i}",
                    company="ООО «Ромашка и партнёры»",
                )
                for i in idx
            ]
        )
        leads = await Lead.filter(workspace=ws, id__gt=0).order_by("-id").limit(len(idx))
        leads.reverse()
        await Enrollment.bulk_create([Enrollment(campaign=c, lead=lead, variant=lead.id % 2, last_sent_at=NOW)
                                      for lead in leads])  # fmt: skip
        enrolled = await Enrollment.filter(campaign=c).order_by("-id").limit(len(idx))
        await OutboundMessage.bulk_create(
            [
                OutboundMessage(
                    kind=MessageKind.CAMPAIGN,
                    workspace=ws,
                    mailbox=box,
                    lead_id=e.lead_id,
                    enrollment=e,
                    campaign=c,
                    step_position=1,
                    variant=e.variant,
                    message_id=f"<{e.id}@bench.test>",
                    status=MessageStatus.SENT,
                    scheduled_at=NOW,
                    sent_at=NOW,
                )
                for e in enrolled
            ]
        )
        sent = await OutboundMessage.filter(campaign=c).order_by("-id").limit(len(idx))
        kinds = (EventKind.REPLY, EventKind.BOUNCE_HARD, EventKind.UNSUBSCRIBE)
        await Event.bulk_create(
            [
                Event(
                    workspace=ws,
                    kind=kinds[m.id % 3],
                    mailbox=box,
                    campaign=c,
                    lead_id=m.lead_id,
                    message=m,
                    occurred_at=NOW,
                )
                for m in sent
                if m.id % 20 == 0
            ]
        )
    return Actor(person_id=1, platform=Platform.TELEGRAM, role=Role.CLIENT, workspace_id=ws.id)


async def stalls(stop: asyncio.Event, worst: list[float]) -> None:
    last = time.perf_counter()
    while not stop.is_set():
        await asyncio.sleep(0.01)
        now = time.perf_counter()
        worst[0] = max(worst[0], now - last - 0.01)
        last = now


async def timed(label: str, call: object) -> exports.Export:
    stop, worst = asyncio.Event(), [0.0]
    ticker = asyncio.create_task(stalls(stop, worst))
    started = time.perf_counter()
    found = await call  # type: ignore[misc]
    took = time.perf_counter() - started
    stop.set()
    await ticker
    print(f"{label}: {took:.2f} s, {found.rows} rows, {len(found.content) / 1e6:.1f} MB, "
          f"longest event-loop stall {worst[0] * 1000:.0f} ms")  # fmt: skip
    return found


async def main(url: str, n: int) -> None:
    await db.init_db(url)
    try:
        started = time.perf_counter()
        actor = await seed(n)
        print(f"seeded {n} leads in {time.perf_counter() - started:.1f} s")
        translator(actor.locale)  # loaded once per process; a running bot has it already
        await timed("export_leads", exports.campaign_leads(actor, "Большая", SystemClock()))
        await timed("export_campaign", exports.campaign_results(actor, "Большая", SystemClock()))
    finally:
        await db.close_db()
    days = data.day_range(NOW.date(), 92)
    charts = {
        "volume (92 days, 30 domains)": (render.volume_png, data.volume(days, {f"d{i}.test": dict.fromkeys(days, i)
                                                                               for i in range(30)})),
        "rates (92 days)": (render.rates_png, data.rates(days, dict.fromkeys(days, Counts(sent=100, replies=3)))),
    }  # fmt: skip
    labels = {"title": "Заголовок", "empty": "Нет", "other": "другие", "axis": "писем", "reply": "ответы",
              "hard_bounce": "жёсткие отказы", "block": "блокировки", "gaps": "Пропуски"}  # fmt: skip
    for name, (draw, value) in charts.items():
        for attempt in ("first", "again"):
            started = time.perf_counter()
            content = await render.png(draw, value, labels)
            print(f"chart {name} {attempt}: {(time.perf_counter() - started) * 1000:.0f} ms, {len(content)} bytes")


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with scratch_database() as database_url:
        asyncio.run(main(database_url, count))

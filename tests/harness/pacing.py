"""Notifications as their job delivers them: a chat at its platform's rate limit (shared in Redis, real seconds)
is delivered again once its slot frees, as the job's retry does. For tests that send several messages to one
chat and are about something else than the pace."""

from __future__ import annotations

import asyncio
from typing import Any

from arq import Retry
from redis.asyncio import Redis

from engine.clock import Clock
from engine.notify import DeliveryReport, Notification, Notifier, deliver, flush_digests
from jobs import worker
from models.enums import Platform


async def deliver_paced(
    note: Notification, notifiers: dict[Platform, Notifier], redis: Redis, clock: Clock
) -> DeliveryReport:
    """`deliver`, retried after each deferral's wait; the report sums every attempt's outcome."""
    total = DeliveryReport()
    while True:
        report = await deliver(note, notifiers, redis, clock)
        for name in ("sent", "duplicate", "unavailable", "failed", "held"):
            getattr(total, name).extend(getattr(report, name))
        if not report.deferred:
            return total
        await asyncio.sleep(report.retry_after_s)


async def deliver_job_paced(ctx: dict[str, Any], data: dict[str, Any]) -> dict[str, list[str]]:
    """The `deliver_notification` job, run again after each `Retry` it raises (as arq would)."""
    while True:
        try:
            return await worker.deliver_notification(ctx, data)
        except Retry as retry:
            await asyncio.sleep((retry.defer_score or 1000) / 1000)


async def flush_paced(notifiers: dict[Platform, Notifier], redis: Redis, clock: Clock) -> int:
    """`flush_digests` once the chats' per-second slots have freed (a digest finding none waits a run)."""
    await asyncio.sleep(1.0)
    return await flush_digests(notifiers, redis, clock)

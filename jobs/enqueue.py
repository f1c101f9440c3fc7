"""Typed enqueue helpers with deterministic job ids: enqueueing the same thing twice runs it once."""

from __future__ import annotations

from arq.connections import ArqRedis

from engine.notify import Notification


async def notification(redis: ArqRedis, item: Notification) -> None:
    await redis.enqueue_job("deliver_notification", item.to_dict(), _job_id=f"notify:{item.id}")

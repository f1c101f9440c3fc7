"""Typed enqueue helpers with deterministic job ids: enqueueing the same thing twice runs it once."""

from __future__ import annotations

from collections.abc import Sequence

from arq.connections import ArqRedis

from engine.notify import Notification


async def notification(redis: ArqRedis, item: Notification) -> None:
    await redis.enqueue_job("deliver_notification", item.to_dict(), _job_id=f"notify:{item.id}")


async def send_mailboxes(redis: ArqRedis, mailbox_ids: Sequence[int], tick: str) -> None:
    """Nudge one send job for several mailboxes (ids in ascending order) for one sweep (`tick`: its moment, e.g.
    "20261128120015")."""
    first, last = mailbox_ids[0], mailbox_ids[-1]
    job_id = f"send:{first}-{last}:{len(mailbox_ids)}:{tick}"
    await redis.enqueue_job("send_mailboxes", mailbox_ids=list(mailbox_ids), _job_id=job_id)


async def recover_mailbox(redis: ArqRedis, mailbox_id: int, tick: str) -> None:
    """Nudge the recovery of one mailbox's rows stuck in `sending`."""
    await redis.enqueue_job("recover_mailbox", mailbox_id=mailbox_id, _job_id=f"recover:{mailbox_id}:{tick}")

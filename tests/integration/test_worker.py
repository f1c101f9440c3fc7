"""The arq worker on real Redis, in burst mode."""

import asyncio
import datetime as dt

from arq import create_pool
from arq.connections import RedisSettings
from redis.asyncio import Redis

from engine.health import HEARTBEAT_KEY
from engine.reply import Reply
from jobs.worker import Resilient, create_worker
from models import Alert, Approval, ChatBinding, Delivery, Workspace
from models.enums import ApprovalKind, Platform, Severity
from tests.conftest import REDIS_URL


async def test_heartbeat_job_runs_and_records_the_beat(redis: Redis, database_url: str) -> None:
    pool = await create_pool(RedisSettings.from_dsn(REDIS_URL))
    job = await pool.enqueue_job("heartbeat", _job_id="beat-1")
    assert await pool.enqueue_job("heartbeat", _job_id="beat-1") is None  # same id: enqueued once
    worker = create_worker(REDIS_URL, ctx={"database_url": database_url}, burst=True, crons=False)
    try:
        await worker.main()
    finally:
        await worker.close()
        await pool.aclose()
    assert job is not None
    beat = await redis.get(HEARTBEAT_KEY)
    assert beat is not None and beat.decode().startswith("20")
    assert worker.jobs_complete == 1 and worker.jobs_failed == 0


class Recording:
    platform = Platform.TELEGRAM

    def __init__(self) -> None:
        self.sent: list[tuple[str, Reply]] = []

    async def send(self, chat_id: str, reply: Reply) -> str:
        self.sent.append((chat_id, reply))
        return str(len(self.sent))


async def test_new_alerts_and_approvals_reach_bound_chats_once(orm, redis: Redis, database_url: str) -> None:
    ws = await Workspace.create(slug="acme", name="ACME")
    await ChatBinding.create(workspace=ws, platform=Platform.TELEGRAM, chat_id="-1001", purposes=["alerts"])
    now = dt.datetime.now(dt.UTC)
    await Alert.create(
        workspace=ws,
        kind="domain_expiry",
        severity=Severity.CRITICAL,
        subject="domain:1",
        fingerprint="f1",
        data={"domain": "a.ru", "expires_on": "2026-12-01", "days_left": 3},
        first_seen=now,
        last_seen=now,
    )
    approval = await Approval.create(
        workspace=ws,
        kind=ApprovalKind.DOMAIN_SWAP,
        subject="domain:1",
        payload={"domain": "a.ru", "replacement": "b.ru"},
        requested_at=now,
        expires_at=now + dt.timedelta(days=1),
    )
    notifier = Recording()
    for _ in range(2):  # the second round finds nothing new: announced once
        worker = create_worker(
            REDIS_URL,
            ctx={"database_url": database_url, "db_ready": True, "notifiers": {Platform.TELEGRAM: notifier}},
            burst=True,
            crons=False,
        )
        pool = await create_pool(RedisSettings.from_dsn(REDIS_URL))
        try:
            await pool.enqueue_job("dispatch_notifications")
            await worker.main()
        finally:
            await worker.close()
            await pool.aclose()
    assert len(notifier.sent) == 2
    texts = [reply.plain_text() for _, reply in notifier.sent]
    assert any("a.ru" in t and "2026-12-01" in t for t in texts)
    swap = next(reply for _, reply in notifier.sent if reply.buttons[0][0].command == "approve")
    alert = next(reply for _, reply in notifier.sent if reply.buttons[0][0].command == "ack")  # every alert
    assert alert.buttons[0][0].arg == str((await Alert.get(fingerprint="f1")).id)
    assert await Alert.all().count() == 1
    assert [(b.command, b.arg) for b in swap.buttons[0]] == [
        ("approve", str(approval.id)),
        ("reject", str(approval.id)),
    ]
    assert await Delivery.filter(chat_id="-1001").count() == 2


async def test_closing_while_a_job_is_claimed_still_shuts_the_worker_down(redis: Redis, database_url: str) -> None:
    """A stop that lands while a job task is still claiming its job in Redis (arq cancels it outside run_job's own
    try, so the task ends in CancelledError) still closes the worker: its shutdown runs, its health key goes, and
    close() raises nothing (it did: `mailfleet run` then exited 1 on SIGTERM)."""
    resilient = Resilient(lambda: create_worker(REDIS_URL, ctx={"database_url": database_url}, crons=False))
    running = asyncio.create_task(resilient.run())
    for _ in range(200):
        worker = resilient.worker
        if worker is not None and await redis.exists(worker.health_check_key):
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the worker never started polling")
    claiming = asyncio.create_task(asyncio.Event().wait())  # a run_job still in its claim when the stop comes
    worker.tasks["claiming"] = claiming
    await resilient.stop(running)
    assert running.cancelled() and claiming.cancelled()
    assert not await redis.exists(worker.health_check_key)

"""The arq worker on real Redis, in burst mode."""

from arq import create_pool
from arq.connections import RedisSettings
from redis.asyncio import Redis

from engine.health import HEARTBEAT_KEY
from jobs.worker import create_worker
from tests.conftest import REDIS_URL


async def test_heartbeat_job_runs_and_records_the_beat(redis: Redis, database_url: str) -> None:
    pool = await create_pool(RedisSettings.from_dsn(REDIS_URL))
    job = await pool.enqueue_job("heartbeat", _job_id="beat-1")
    assert await pool.enqueue_job("heartbeat", _job_id="beat-1") is None  # same id: enqueued once
    worker = create_worker(REDIS_URL, ctx={"database_url": database_url}, burst=True)
    try:
        await worker.main()
    finally:
        await worker.close()
        await pool.aclose()
    assert job is not None
    beat = await redis.get(HEARTBEAT_KEY)
    assert beat is not None and beat.decode().startswith("20")
    assert worker.jobs_complete >= 1 and worker.jobs_failed == 0

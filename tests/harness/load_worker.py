"""A production worker for the load day, in its own process: `jobs.worker`'s functions, start-up and shutdown
(the real Outbox, SMTP transport, composers and planners, settings from the environment), with two differences:
no crons (the driver enqueues the planning and sending ticks itself), and a simulated clock that the driver
steps: before each job the worker reads the simulated moment from Redis (`CLOCK_KEY`), so every worker and the
driver agree on "now" and a day passes as fast as the fleet sends it.

    DATABASE_URL=… REDIS_URL=… ENCRYPTION_KEYS=… MAIL_ALLOW_PRIVATE_HOSTS=true MAIL_ALLOWED_PORTS=[…] \
    python -m tests.harness.load_worker
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from typing import Any, Final

from arq.connections import RedisSettings
from arq.worker import Worker

from engine.clock import FrozenClock
from jobs.worker import WorkerSettings

CLOCK_KEY: Final = "mailfleet:load:clock"  # the simulated moment, ISO 8601 with its offset


async def follow_clock(ctx: dict[str, Any]) -> None:
    """arq's on_job_start: move this process's clock to the driver's simulated moment."""
    raw = await ctx["redis"].get(CLOCK_KEY)
    if raw is not None:
        ctx["clock"].set(dt.datetime.fromisoformat(raw.decode() if isinstance(raw, bytes) else raw))


async def main() -> None:
    start = dt.datetime.fromisoformat(os.environ["LOAD_CLOCK_START"])
    worker = Worker(
        functions=WorkerSettings.functions,
        on_startup=WorkerSettings.on_startup,
        on_shutdown=WorkerSettings.on_shutdown,
        on_job_start=follow_clock,
        poll_delay=WorkerSettings.poll_delay,
        keep_result=WorkerSettings.keep_result,
        max_jobs=WorkerSettings.max_jobs,
        redis_settings=RedisSettings.from_dsn(os.environ["REDIS_URL"]),
        ctx={"database_url": os.environ["DATABASE_URL"], "clock": FrozenClock(start)},
        handle_signals=True,  # SIGTERM: finish the running jobs, run shutdown, exit
    )
    try:
        await worker.async_run()
    except asyncio.CancelledError:  # SIGTERM cancels the worker's main task: a normal stop
        pass
    finally:
        await worker.close()


if __name__ == "__main__":
    asyncio.run(main())

"""Faults: Redis restarted under a sending worker (its own redis-server on a free loopback port, without
persistence: the queue is lost). The worker subprocess survives, the sweep re-enqueues from the database, and
every row is delivered exactly once — counted in the receiving mailboxes."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from arq import create_pool
from arq.connections import RedisSettings
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from models import OutboundMessage
from models.enums import MessageStatus
from tests.harness.mailserver import MailServer
from tests.integration.test_outbox_crash import (
    _at_least,
    drained,
    nudge_until_resolved,
    received,
    seed,
    settled,
    start_worker,
    wait_until,
)

pytestmark = [pytest.mark.usefixtures("orm"), pytest.mark.faults, pytest.mark.slow]


@pytest.fixture(scope="module")
def mail(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailServer]:
    with MailServer(tmp_path_factory.mktemp("restart"), domains=["alpha.test", "beta.test"], users_per_domain=4) as s:
        yield s


class OwnRedis:
    """A redis-server of this test alone on a free loopback port, without persistence; restartable."""

    def __init__(self, workdir: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        with (self.workdir / "redis.log").open("ab") as log:
            self.proc = subprocess.Popen(args, cwd=self.workdir, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        for _ in range(200):
            with contextlib.suppress(OSError, RedisConnectionError):
                client = Redis.from_url(self.url)
                try:
                    if await client.ping():
                        return
                finally:
                    await client.aclose()
            await asyncio.sleep(0.02)
        raise AssertionError("own redis-server did not start")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)


async def test_redis_restarted_mid_burst_loses_the_queue_not_a_message(
    mail: MailServer, database_url: str, tmp_path: Path
) -> None:
    total = await seed(mail)
    own = OwnRedis(tmp_path)
    await own.start()
    log = tmp_path / "worker.log"
    worker = start_worker(mail, database_url, stuck_after_s=3.0, log=log, redis_url=own.url)
    try:
        pool = await create_pool(RedisSettings.from_dsn(own.url))
        await pool.enqueue_job("send_tick")
        await wait_until(lambda: _at_least(total // 4), 60, f"the worker sent nothing; see {log}")
        await pool.aclose()
        own.kill()  # the queue and every job in it are gone
        sent_at_restart = await OutboundMessage.filter(status=MessageStatus.SENT).count()
        await asyncio.sleep(1.0)
        await own.start()
        assert sent_at_restart < total, "the burst finished before the restart: nothing was tested"

        pool = await create_pool(RedisSettings.from_dsn(own.url))
        await nudge_until_resolved(pool, log)
        await drained(pool, log)
        assert worker.poll() is None, f"the worker died with Redis; see {log}"
        await pool.aclose()
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        own.kill()
    await settled(mail)

    final = Counter(m.status.value for m in await OutboundMessage.all())
    arrived = await received(mail)
    assert final == {"sent": total}, final
    assert len(arrived) == total and max(arrived.values()) == 1  # nothing lost, nothing twice

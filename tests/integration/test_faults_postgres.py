"""Faults: PostgreSQL restarted under a sending worker (a cluster of this test alone on a free loopback port; the
shared server is never touched). Every session of the worker is terminated mid-burst and the database is away for a
while: the worker subprocess survives, its pool reconnects, the sweep resumes, rows left `sending` by a job that
lost its connection after the server accepted the message are resolved from the Sent folder, and every row is
delivered exactly once — counted in the receiving mailboxes."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from arq import create_pool
from arq.connections import RedisSettings
from redis.asyncio import Redis

from engine import db
from models import Alert, OutboundMessage
from models.enums import MessageStatus
from tests.conftest import REDIS_URL
from tests.harness.mailserver import MailServer
from tests.harness.ownpg import OwnPostgres
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

pytestmark = [pytest.mark.faults, pytest.mark.slow]

OUTAGE_S = 2.0  # long enough for every job in flight to hit the closed connections and the refused new ones


@pytest.fixture(scope="module")
def mail(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailServer]:
    with MailServer(tmp_path_factory.mktemp("pgrestart"), domains=["alpha.test", "beta.test"], users_per_domain=4) as s:
        yield s


@pytest.fixture
def own_pg(database_url: str) -> Iterator[OwnPostgres]:
    with OwnPostgres() as pg:
        pg.copy_schema(database_url)  # the session database, migrated once for every test
        yield pg


async def test_postgres_restarted_mid_burst_loses_no_message_and_sends_none_twice(
    mail: MailServer, own_pg: OwnPostgres, redis: Redis, tmp_path: Path
) -> None:
    await db.init_db(own_pg.url)
    try:
        total = await seed(mail)
        log = tmp_path / "worker.log"
        worker = start_worker(mail, own_pg.url, stuck_after_s=3.0, log=log)
        pool = await create_pool(RedisSettings.from_dsn(REDIS_URL))
        try:
            await pool.enqueue_job("send_tick")
            await wait_until(lambda: _at_least(total // 4), 60, f"the worker sent nothing; see {log}")
            await db.close_db()  # the test's own pool: not what is under test
            own_pg.stop()  # every session of the worker terminated mid-burst
            await asyncio.sleep(OUTAGE_S)
            assert worker.poll() is None, f"the worker died with PostgreSQL; see {log}"
            await pool.enqueue_job("send_tick")  # a sweep while the database is away fails, and is harmless
            await asyncio.sleep(0.5)
            own_pg.start()
            await db.init_db(own_pg.url)
            at_restart = Counter(m.status.value for m in await OutboundMessage.all())
            assert at_restart["queued"] > 0, f"the burst finished before the restart: nothing was tested {at_restart}"

            await nudge_until_resolved(pool, log)
            assert worker.poll() is None, f"the worker died; see {log}"
            await drained(redis, log)
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.wait(10)
            await pool.aclose()
        await settled(mail)

        final = Counter(m.status.value for m in await OutboundMessage.all())
        arrived = await received(mail)
        assert set(final) <= {"sent", "unknown"} and sum(final.values()) == total, f"at restart {at_restart}, {final}"
        assert max(arrived.values()) == 1, f"duplicates: {[k for k, v in arrived.items() if v > 1]}"
        sent = {m.message_id for m in await OutboundMessage.filter(status=MessageStatus.SENT)}
        unknown = {m.message_id for m in await OutboundMessage.filter(status=MessageStatus.UNKNOWN)}
        assert sent <= set(arrived) <= sent | unknown  # every `sent` row arrived, once; nothing else did
        if unknown:  # a person hears of every row nobody can vouch for
            alerts = await Alert.filter(kind="send_unknown")
            assert sum(a.data["count"] for a in alerts) >= len(unknown)
    finally:
        await db.close_db()

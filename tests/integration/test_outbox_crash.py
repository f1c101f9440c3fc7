"""A sending worker SIGKILLed in the middle of a burst and started again: every planned message is delivered
exactly once or marked `unknown` (and then delivered at most once) — counted in the receiving mailboxes."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from redis.asyncio import Redis

from engine.crypto import Vault, generate_key
from engine.mail.imap import imap_session
from engine.mail.message import make_message_id
from engine.mail.providers import Credentials, Endpoint
from models import Alert, Domain, Mailbox, OutboundMessage, Workspace
from models.enums import AuthKind, MailboxStatus, MailProvider, MessageKind, MessageStatus, TlsMode
from tests.conftest import REDIS_URL
from tests.harness.mailserver import MailServer

pytestmark = [pytest.mark.usefixtures("orm"), pytest.mark.faults, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "pw"
KEY = generate_key()
VAULT = Vault([KEY])
SENDERS = [f"user{n}@alpha.test" for n in (1, 2, 3, 4)]
RECEIVERS = [f"user{n}@beta.test" for n in (1, 2, 3, 4)]
PER_SENDER = 60
QUEUE = "arq:queue"
IN_PROGRESS = "arq:in-progress:"


@pytest.fixture(scope="module")
def mail(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailServer]:
    with MailServer(tmp_path_factory.mktemp("crash"), domains=["alpha.test", "beta.test"], users_per_domain=4) as s:
        yield s


def start_worker(
    mail: MailServer, database_url: str, stuck_after_s: float, log: Path, redis_url: str = REDIS_URL
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SENDER_DATABASE_URL": database_url,
        "SENDER_REDIS_URL": redis_url,
        "SENDER_VAULT_KEY": KEY,
        "SENDER_CAFILE": str(mail.cafile),
        "SENDER_STUCK_AFTER_S": str(stuck_after_s),
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.integration.sender_process"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


async def count(status: MessageStatus) -> int:
    return await OutboundMessage.filter(status=status).count()


async def wait_until(condition, timeout_s: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while not await condition():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.02)


async def nudge_until_resolved(pool: ArqRedis, log: Path, within_s: float = 90) -> None:
    """Queue `send_tick` (the cron's job, every minute), faster, until no row is `queued` or `sending`."""
    deadline = time.monotonic() + within_s
    while await OutboundMessage.filter(status__in=[MessageStatus.QUEUED, MessageStatus.SENDING]).exists():
        if time.monotonic() > deadline:
            statuses = Counter(m.status.value for m in await OutboundMessage.all())
            raise AssertionError(f"rows were left queued or sending: {dict(statuses)}; see {log}")
        await pool.enqueue_job("send_tick")
        await asyncio.sleep(0.3)


async def drained(redis: Redis, log: Path, within_s: float = 60) -> None:
    """Wait until the worker has run every queued job (the nudges included): none is stuck."""
    deadline = time.monotonic() + within_s
    while queued := await redis.zrange(QUEUE, 0, 20):
        if time.monotonic() > deadline:
            raise AssertionError(f"jobs were left in the queue: {[j.decode() for j in queued]}; see {log}")
        await asyncio.sleep(0.1)


async def received(mail: MailServer) -> Counter[str]:
    """Message-IDs in every receiver's INBOX, counted over all of them."""
    found: Counter[str] = Counter()
    for address in RECEIVERS:
        endpoint = Endpoint(mail.host, mail.ports.imap, TlsMode.PLAIN)
        async with imap_session(endpoint, Credentials(address, AuthKind.PASSWORD, PASSWORD)) as session:
            await session.select("INBOX")
            uids = await session.search_uids("ALL")
            for item in await session.fetch_headers(uids) if uids else []:
                for line in item.headers.decode("ascii", "replace").splitlines():
                    if line.lower().startswith("message-id:"):
                        found[line.split(":", 1)[1].strip()] += 1
    return found


async def settled(mail: MailServer) -> None:
    """Wait until Postfix has handed everything to Dovecot (the counts stop moving for a second)."""
    last, still_since = -1, time.monotonic()
    deadline = time.monotonic() + 60
    while time.monotonic() - still_since < 1.0:
        now = sum(mail.count(a) for a in RECEIVERS)
        if now != last:
            last, still_since = now, time.monotonic()
        assert time.monotonic() < deadline, "the mail queue did not settle"
        await asyncio.sleep(0.1)


async def seed(mail: MailServer) -> int:
    """The senders and receivers as mailboxes, and PER_SENDER due warmup rows per sender; how many rows."""
    mail.reset()
    ws = await Workspace.create(slug="acme", name="Acme", timezone="UTC")
    for name in ("alpha.test", "beta.test"):
        await Domain.create(workspace=ws, name=name, daily_cap=100_000)
    boxes = {}
    for address in SENDERS + RECEIVERS:
        boxes[address] = await Mailbox.create(
            workspace=ws,
            domain=await Domain.get(name=address.split("@")[1]),
            address=address,
            provider=MailProvider.GENERIC,
            smtp_host=mail.host,
            smtp_port=mail.ports.submission,
            smtp_tls=TlsMode.STARTTLS,
            imap_host=mail.host,
            imap_port=mail.ports.imap,
            imap_tls=TlsMode.PLAIN,
            username=address,
            secret_enc=VAULT.encrypt(PASSWORD),
            status=MailboxStatus.ACTIVE,
            daily_cap=100_000,
        )
    due = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)  # the worker runs on the machine's clock
    rows = [
        OutboundMessage(
            kind=MessageKind.WARMUP,
            workspace_id=ws.id,
            mailbox=boxes[sender],
            peer=boxes[RECEIVERS[(i + n) % len(RECEIVERS)]],
            message_id=make_message_id(sender),
            subject=f"Quick question {i}",
            body="Hi,\nare we still on for Thursday?\n",
            status=MessageStatus.QUEUED,
            scheduled_at=due,
        )
        for n, sender in enumerate(SENDERS)
        for i in range(PER_SENDER)
    ]
    await OutboundMessage.bulk_create(rows)
    return len(rows)


async def test_a_worker_killed_mid_burst_never_duplicates(
    mail: MailServer, database_url: str, redis: Redis, tmp_path: Path
) -> None:
    total = await seed(mail)
    log = tmp_path / "worker.log"
    pool = await create_pool(RedisSettings.from_dsn(REDIS_URL))
    try:
        # 1. a burst, killed without warning once a quarter has gone out
        first = start_worker(mail, database_url, stuck_after_s=2.0, log=log)
        await pool.enqueue_job("send_tick")
        try:
            await wait_until(lambda: _at_least(total // 4), 60, f"the worker sent nothing; see {log}")
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        orphans = [key.decode().removeprefix(IN_PROGRESS) for key in await redis.keys(IN_PROGRESS + "*")]
        at_kill = {s: await count(s) for s in (MessageStatus.SENT, MessageStatus.SENDING, MessageStatus.QUEUED)}
        assert at_kill[MessageStatus.QUEUED] > 0, "the burst finished before the kill: nothing was tested"
        await settled(mail)

        # 2. a new worker: the sweep finds what is still queued and what is stuck in `sending`
        second = start_worker(mail, database_url, stuck_after_s=2.0, log=log)
        try:
            await asyncio.sleep(2.5)  # past stuck_after for rows claimed before the kill
            await nudge_until_resolved(pool, log)
            # The jobs the kill left running keep arq's in-progress mark until it expires (their timeout + 10 s,
            # minutes here) and then run again; let that happen now: they find their rows resolved.
            if orphans:
                await redis.delete(*(IN_PROGRESS + job for job in orphans))
            await drained(redis, log)
        finally:
            second.send_signal(signal.SIGKILL)
            second.wait(10)
    finally:
        await pool.aclose()
    await settled(mail)

    final = Counter(m.status.value for m in await OutboundMessage.all())
    assert set(final) <= {"sent", "unknown"} and sum(final.values()) == total, f"at kill {at_kill}, now {final}"
    arrived = await received(mail)
    assert max(arrived.values()) == 1, f"duplicates: {[k for k, v in arrived.items() if v > 1]}"
    by_status = {
        status: {m.message_id for m in await OutboundMessage.filter(status=status)}
        for status in (MessageStatus.SENT, MessageStatus.UNKNOWN)
    }
    assert by_status[MessageStatus.SENT] <= set(arrived)  # every `sent` row arrived, once
    assert set(arrived) <= by_status[MessageStatus.SENT] | by_status[MessageStatus.UNKNOWN]
    if by_status[MessageStatus.UNKNOWN]:  # a person hears of every row nobody can vouch for
        alerts = await Alert.filter(kind="send_unknown")
        assert sum(a.data["count"] for a in alerts) >= len(by_status[MessageStatus.UNKNOWN])
    assert await redis.zcard(QUEUE) == 0  # no job left behind


async def _at_least(n: int) -> bool:
    return await count(MessageStatus.SENT) >= n

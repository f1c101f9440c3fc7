"""A real sending worker in its own process, for the crash test: an arq worker loop running the production send
jobs (`jobs.worker.send_tick`, `send_mailboxes`, `recover_mailbox`) against the test database, Redis and mail
harness. Run as `python -m tests.integration.sender_process`; configured by environment variables (below):
SENDER_COMPOSE (optional) names the campaign composer as `module:attribute`; the caps are the worker's
(`EffectiveCaps`)."""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib
import os
import ssl
from typing import Any

from arq.connections import RedisSettings
from arq.worker import Worker, func

from engine import db
from engine.clock import SystemClock
from engine.crypto import Vault
from engine.mail.smtp import SmtpTransport, Timeouts
from engine.sending.outbox import EffectiveCaps, Outbox, SendOptions
from engine.sending.sentfolder import ImapSentFolder
from jobs.worker import Resilient, recover_mailbox, send_mailbox, send_mailboxes, send_tick


async def main() -> None:
    database_url = os.environ["SENDER_DATABASE_URL"]
    context = ssl.create_default_context(cafile=os.environ["SENDER_CAFILE"])
    await db.init_db(database_url)
    transport = SmtpTransport(tls_context=context, timeouts=Timeouts(connect=10, command=10, data=20))
    compose: Any = None
    if name := os.environ.get("SENDER_COMPOSE"):
        module, _, attribute = name.partition(":")
        compose = getattr(importlib.import_module(module), attribute)
    outbox = Outbox(
        clock=SystemClock(),
        vault=Vault([os.environ["SENDER_VAULT_KEY"]]),
        sender=transport,
        sent_folder=ImapSentFolder(timeout_s=10),
        options=SendOptions(
            ssl_context=context, stuck_after=dt.timedelta(seconds=float(os.environ["SENDER_STUCK_AFTER_S"]))
        ),
        caps=EffectiveCaps(),
        compose=compose,
    )
    worker = Resilient(lambda: Worker(
        functions=[
            func(send_tick, name="send_tick", max_tries=1),
            func(send_mailbox, name="send_mailbox", max_tries=3, keep_result=60),
            func(send_mailboxes, name="send_mailboxes", max_tries=3, keep_result=60),
            func(recover_mailbox, name="recover_mailbox", max_tries=3, keep_result=60),
        ],
        redis_settings=RedisSettings.from_dsn(os.environ["SENDER_REDIS_URL"]),
        ctx={"clock": SystemClock(), "outbox": outbox},
        poll_delay=0.05,
        max_jobs=20,
        handle_signals=False,
    ))  # fmt: skip
    try:
        await worker.run()
    finally:
        await transport.close()
        await db.close_db()


if __name__ == "__main__":
    asyncio.run(main())

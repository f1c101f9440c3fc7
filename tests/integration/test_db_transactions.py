"""Transactions that cannot begin, on real PostgreSQL behind a relay that holds its answer to BEGIN."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit, urlunsplit

from tortoise import connections
from tortoise.transactions import in_transaction

from engine import db
from tests.harness.faultproxy import StallAfter


async def test_a_transaction_cancelled_in_its_begin_gives_its_connection_back(database_url: str) -> None:
    """A task cancelled while PostgreSQL had not yet answered its BEGIN (a job's timeout, Ctrl-C, `kill`) kept its
    pooled connection for good and the dead transaction as its connection: with a pool of one the next query waited
    forever, and closing the database failed (`'TransactionWrapper' object has no attribute '_template'`), which
    ended a stopped demo on a traceback."""
    parts = urlsplit(database_url)
    async with StallAfter(parts.port or 5432, b"BEGIN") as relay:
        relayed = parts._replace(netloc=f"{parts.username or 'postgres'}@127.0.0.1:{relay.port}")
        await db.init_db(urlunsplit(relayed) + "?minsize=1&maxsize=1")
        try:
            pool_client = connections.get("default")
            assert await pool_client.execute_query_dict("SELECT 1 AS one") == [{"one": 1}]

            async def transaction() -> None:
                async with in_transaction() as conn:
                    await conn.execute_query("SELECT 1")

            task = asyncio.create_task(transaction())
            await asyncio.wait_for(relay.stalled.wait(), 10)
            task.cancel()
            await asyncio.sleep(0.1)
            relay.release.set()
            await asyncio.gather(task, return_exceptions=True)
            assert task.cancelled()

            assert connections.get("default") is pool_client  # not the transaction that never began
            rows = await asyncio.wait_for(pool_client.execute_query_dict("SELECT 2 AS two"), 10)
            assert rows == [{"two": 2}]
            async with in_transaction() as conn:
                assert await conn.execute_query_dict("SELECT 3 AS three") == [{"three": 3}]
        finally:
            await asyncio.wait_for(db.close_db(), 10)

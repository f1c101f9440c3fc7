"""Seeing a transaction from outside: hold a row lock in another session so the code under test stops half-way,
then look at what other sessions can see. A unit of work that commits piece by piece shows its first pieces."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import TypeVar

import asyncpg

T = TypeVar("T")
WAIT_S = 20.0


@asynccontextmanager
async def holding(database_url: str, lock_sql: str, *args: object) -> AsyncIterator[asyncpg.Connection]:
    """An outside transaction holding the row locks `lock_sql` takes (`SELECT … FOR UPDATE`) until the block ends;
    yields a second, plain session to look with."""
    holder = await asyncpg.connect(database_url)
    looker = await asyncpg.connect(database_url)
    try:
        async with holder.transaction():
            assert await holder.fetch(lock_sql, *args), "the lock statement found no row to hold"
            yield looker
    finally:
        await holder.close()
        await looker.close()


async def stopped_on_lock(looker: asyncpg.Connection, work: Awaitable[T]) -> asyncio.Task[T]:
    """Start `work` and return once a session of this database waits for a row lock (the held one)."""
    task = asyncio.ensure_future(work)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    while not await _lock_waiters(looker):
        if task.done():
            task.result()  # raises what it raised
            raise AssertionError("the work finished without waiting for the held lock")
        if loop.time() > deadline:
            task.cancel()
            raise AssertionError(f"nothing waited for the held lock within {WAIT_S} s")
        await asyncio.sleep(0.02)
    return task


async def _lock_waiters(looker: asyncpg.Connection) -> int:
    return int(
        await looker.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
    )

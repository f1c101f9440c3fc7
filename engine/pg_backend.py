"""Tortoise's asyncpg backend, with a transaction that gives its connection back when it cannot begin.

Tortoise 1.1's pooled transaction (`TransactionContextPooled.__aenter__`) takes a connection from the pool and
makes it the task's current connection before it sends BEGIN. When BEGIN fails — the task is cancelled (a job's
timeout, Ctrl-C, `kill`) or the server goes away — `async with` never calls `__aexit__`: the connection is never
given back, so each such failure shrinks the pool for good, and the task keeps the dead transaction as its
connection, so that closing the database fails (`'TransactionWrapper' object has no attribute '_template'`) and
the demo or console ends on a traceback. Its `__aexit__` likewise leaves the transaction current when giving the
connection back fails. `engine.db` names this module as the connection's engine."""

from __future__ import annotations

import contextlib
from typing import Any

from tortoise.backends.asyncpg.client import AsyncpgDBClient, TransactionWrapper
from tortoise.backends.base.client import TransactionalDBClient, TransactionContext, TransactionContextPooled
from tortoise.connection import get_connections


class _Transaction(TransactionContextPooled):
    __slots__ = ()

    async def __aenter__(self) -> TransactionalDBClient:
        await self.ensure_connection()
        pool = self.client._parent._pool
        self.client._connection = await pool.acquire()
        self.token = get_connections().set(self.connection_name, self.client)
        try:
            await self.client.begin()
        except BaseException:
            get_connections().reset(self.token)
            # asyncpg resets the connection, or closes it when its cancelled BEGIN left it unusable; whatever it
            # raises doing so would only hide why BEGIN failed
            with contextlib.suppress(Exception):
                await pool.release(self.client._connection)
            raise
        return self.client

    async def __aexit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> None:
        try:
            await super().__aexit__(exc_type, exc_val, exc_tb)
        finally:
            if not self.token._used:  # giving the connection back failed before Tortoise reset the task's connection
                get_connections().reset(self.token)


class Client(AsyncpgDBClient):
    def _in_transaction(self) -> TransactionContext:
        return _Transaction(TransactionWrapper(self), self._pool_init_lock)


client_class = Client

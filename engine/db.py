"""The database: Tortoise configuration, start-up, migrations and a health probe."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import asyncpg
from tortoise import Tortoise, connections

APP = "models"


def credentials_from_url(url: str) -> dict[str, Any]:
    """asyncpg credentials from a postgres:// URL; `?host=/dir` selects a Unix socket directory."""
    parts = urlsplit(url)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    return {
        "host": query.get("host") or parts.hostname or "127.0.0.1",
        "port": parts.port or int(query.get("port", 5432)),
        "user": unquote(parts.username or "postgres"),
        "password": unquote(parts.password or ""),
        "database": unquote(parts.path.lstrip("/")) or "postgres",
        "minsize": int(query.get("minsize", 1)),
        "maxsize": int(query.get("maxsize", 10)),
    }


def connect_args(credentials: dict[str, Any]) -> dict[str, Any]:
    """`asyncpg.connect`'s arguments for one connection of its own: the credentials without the pool's sizes."""
    return {k: v for k, v in credentials.items() if k not in {"minsize", "maxsize"}}


async def keep_session(connection: asyncpg.Connection) -> None:
    """The pool's reset when a connection comes back: nothing beyond what asyncpg always does first (roll back a
    transaction left open, forget client-side listeners).

    asyncpg's default reset sends `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL` on every
    release: one more round trip per statement outside a transaction, a sixth of the send path's traffic. None
    of it is needed because Mailfleet keeps no session state: no `SET`, no `LISTEN`, no
    cursors held past a transaction, no session-level advisory locks (only `pg_advisory_xact_lock`). Code that
    ever needs session state must undo it itself before releasing the connection.
    """


def tortoise_config(database_url: str) -> dict[str, Any]:
    credentials = credentials_from_url(database_url)
    credentials["reset"] = keep_session  # passed through to asyncpg.create_pool
    return {
        "connections": {
            "default": {
                "engine": "engine.pg_backend",  # asyncpg, its transactions cleaned up when BEGIN fails
                "credentials": credentials,
            }
        },
        "apps": {APP: {"models": ["models"], "default_connection": "default", "migrations": "models.migrations"}},
        "use_tz": True,
        "timezone": "UTC",
    }


async def init_db(database_url: str) -> None:
    await Tortoise.init(config=tortoise_config(database_url))


async def close_db() -> None:
    await Tortoise.close_connections()


@contextlib.asynccontextmanager
async def database(database_url: str) -> AsyncIterator[None]:
    await init_db(database_url)
    try:
        yield
    finally:
        await close_db()


async def migrate(database_url: str) -> list[str]:
    """Apply every migration not applied yet (Tortoise's built-in migrations); the names of those applied ([] when
    the database was current). An empty database first gets the schema snapshot of the committed migrations in
    one transaction (`engine.schema`), so Tortoise's runner only has the migrations newer than the snapshot left
    to apply. A database that has every committed migration recorded costs a few queries on one connection:
    Tortoise's migration machinery is not even imported."""
    from engine.schema import prepare  # noqa: PLC0415 - only `migrate` reads the snapshot

    prepared = await prepare(credentials_from_url(database_url))
    pending = prepared.pending
    if pending:  # else every committed migration is recorded
        pending = await _run_pending(database_url)
    return [*prepared.loaded, *pending]


async def _run_pending(database_url: str) -> list[str]:
    """Tortoise's runner over the migrations not recorded yet, one process at a time: `migrate`, `run` and the
    console all migrate at start, and two runners at once both create the same table (the second stops on
    "already exists"). The schema lock is held on a connection of its own for the whole run; once it is granted,
    what is still pending is read again (the other process may have applied it all); the names applied here."""
    from tortoise.migrations.api import migrate as tortoise_migrate  # noqa: PLC0415 - only when there is work

    from engine.schema import LOCK_KEY, migration_names, recorded  # noqa: PLC0415

    lock = await asyncpg.connect(**connect_args(credentials_from_url(database_url)))
    try:
        async with lock.transaction():  # held until the runner is done: its lock ends with this transaction
            await lock.execute("SELECT pg_advisory_xact_lock($1)", LOCK_KEY)
            done = set(await recorded(lock))
            pending = [name for name in migration_names() if name not in done]
            if pending:
                await tortoise_migrate(config=tortoise_config(database_url))
                await Tortoise.close_connections()
    finally:
        await lock.close()
    return pending


async def ping() -> bool:
    """True when the default connection answers a trivial query."""
    try:
        await connections.get("default").execute_query("SELECT 1")
    except Exception:  # any failure means "down" to a health probe
        return False
    return True

"""A throw-away PostgreSQL database for a benchmark: created, migrated, and dropped however the run ends."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from engine import db

ADMIN_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")


async def _admin(sql: str, admin_url: str = ADMIN_URL) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextlib.contextmanager
def scratch_database(label: str = "", *, migrated: bool = True, admin_url: str = ADMIN_URL) -> Iterator[str]:
    """The URL of a new database on `admin_url`'s server (named after this process and `label`), migrated unless
    `migrated=False`, dropped on the way out."""
    name = f"mailfleet_bench_{os.getpid()}{'_' + label if label else ''}"
    url = urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', admin_url))
    asyncio.run(_admin(f'CREATE DATABASE "{name}"', admin_url))
    try:
        if migrated:
            asyncio.run(db.migrate(url))
        yield url
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', admin_url))

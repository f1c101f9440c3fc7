"""Real PostgreSQL and Redis for every test that needs them: a fresh database per test session (migrated with
the project's own migrations), tables truncated before each test, a dedicated Redis database flushed around it.

Nothing is skipped when a service is missing: the test fails and says what to start.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from hypothesis import settings as hypothesis_settings
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from tortoise import Tortoise, connections

from engine import db, redis_client

ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

# Property tests are deterministic by default (the same examples on every run and in CI, no example database);
# HYPOTHESIS_PROFILE=explore draws new examples each run, for a developer hunting for new failures.
hypothesis_settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True)
hypothesis_settings.register_profile("explore", deadline=None, print_blob=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def _admin(sql: str) -> None:
    try:
        conn = await asyncpg.connect(ADMIN_URL, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.fail(f"PostgreSQL at TEST_DATABASE_URL is not reachable ({exc}); start it (see README, Tests)")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A database created for this test session and migrated with the project's migrations."""
    name = f"mailfleet_test_{os.getpid()}"
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}"'))
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    url = _with_database(ADMIN_URL, name)
    asyncio.run(db.migrate(url))
    yield url
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def orm(database_url: str) -> AsyncIterator[None]:
    """The ORM on the session database, every table emptied first."""
    await db.init_db(database_url)
    tables = sorted({m._meta.db_table for m in Tortoise.apps[db.APP].values()})  # type: ignore[index]
    through = ["campaign_mailbox"]
    names = ", ".join(f'"{t}"' for t in [*tables, *through])
    await connections.get("default").execute_script(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    yield
    await db.close_db()


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = redis_client.connect(REDIS_URL)  # as the product's processes connect
    try:
        await client.flushdb()
    except RedisConnectionError as exc:
        pytest.fail(f"Redis at TEST_REDIS_URL is not reachable ({exc}); start it (see README, Tests)")
    yield client
    await client.flushdb()
    await client.aclose()


@pytest.fixture
async def empty_database() -> AsyncIterator[Callable[[str], Awaitable[str]]]:
    """A factory of new, empty databases (`await empty_database("label")` → its URL), dropped after the test."""
    names: list[str] = []

    async def create(label: str) -> str:
        name = f"mailfleet_{label}_{os.getpid()}"
        await _admin(f'DROP DATABASE IF EXISTS "{name}"')
        await _admin(f'CREATE DATABASE "{name}"')
        names.append(name)
        return _with_database(ADMIN_URL, name)

    yield create
    for name in names:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

"""Every migration applies, rolls back and applies again on a real PostgreSQL (the stairway test)."""

from __future__ import annotations

import asyncio
import os

import asyncpg
import pytest
from tortoise import Tortoise
from tortoise.migrations.api import migrate as tortoise_migrate

from engine import db
from tests.conftest import ADMIN_URL, _admin, _with_database


async def _tables(url: str) -> set[str]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    finally:
        await conn.close()
    return {r["tablename"] for r in rows} - {"tortoise_migrations"}


async def _migrate(url: str, target: str | None = None) -> None:
    await tortoise_migrate(config=db.tortoise_config(url), target=target)
    await Tortoise.close_connections()


@pytest.mark.timeout(300)  # Tortoise's runner three times over every migration: ~15 s quiet, 85 s at load 10
def test_upgrade_downgrade_upgrade() -> None:
    name = f"mailfleet_stairway_{os.getpid()}"
    url = _with_database(ADMIN_URL, name)

    async def scenario() -> None:
        await _admin(f'DROP DATABASE IF EXISTS "{name}"')
        await _admin(f'CREATE DATABASE "{name}"')
        try:
            await _migrate(url)
            created = await _tables(url)
            assert {"workspace", "domain", "mailbox", "outbound_message", "approval", "campaign_mailbox"} <= created
            await _migrate(url, "models.__first__")
            assert await _tables(url) == set()
            await _migrate(url)
            assert await _tables(url) == created
        finally:
            await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    asyncio.run(scenario())

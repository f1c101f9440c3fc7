"""The database: Tortoise configuration, start-up, migrations and a health probe."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tortoise import Tortoise, connections
from tortoise.migrations.api import migrate as tortoise_migrate

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


def tortoise_config(database_url: str) -> dict[str, Any]:
    return {
        "connections": {
            "default": {
                "engine": "tortoise.backends.asyncpg",
                "credentials": credentials_from_url(database_url),
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


async def migrate(database_url: str) -> None:
    """Apply every migration not applied yet (Tortoise's built-in migrations)."""
    await tortoise_migrate(config=tortoise_config(database_url))
    await Tortoise.close_connections()


async def ping() -> bool:
    """True when the default connection answers a trivial query."""
    try:
        await connections.get("default").execute_query("SELECT 1")
    except Exception:  # any failure means "down" to a health probe
        return False
    return True

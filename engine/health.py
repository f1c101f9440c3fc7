"""Health probes shared by `/healthz` and the start-up checks.

redis-py is imported only by `check_redis`: with it come `jwt` and cryptography's X.509 (`redis.auth.token`),
a tenth of a `mailfleet console -c /whoami`, which checks the database alone (see `mailfleet.runtime.console`).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import asyncpg

from engine import db

if TYPE_CHECKING:
    from redis.asyncio import Redis

HEARTBEAT_KEY = "mailfleet:worker:heartbeat"
PROBE_TIMEOUT_S = 3.0


async def redis_up(redis: Redis) -> bool:
    try:
        return bool(await asyncio.wait_for(redis.ping(), PROBE_TIMEOUT_S))
    except Exception:  # redis-py raises its own hierarchy; any failure means "down"
        return False


async def status(redis: Redis) -> dict[str, str]:
    database_ok, redis_ok = await asyncio.gather(db.ping(), redis_up(redis))
    heartbeat = await redis.get(HEARTBEAT_KEY) if redis_ok else None
    return {
        "database": "up" if database_ok else "down",
        "redis": "up" if redis_ok else "down",
        "worker_heartbeat": heartbeat.decode() if heartbeat else "none",
    }


def describe_url(url: str) -> str:
    """host:port (or the socket) of a URL, never its credentials."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return parts.path
    host = parts.hostname or "localhost"
    return f"{host}:{parts.port}" if parts.port else host


async def check_database(url: str) -> str | None:
    """None when the database answers, else a one-line reason without credentials."""
    creds = db.credentials_from_url(url)
    try:
        conn = await asyncpg.connect(
            host=creds["host"],
            port=creds["port"],
            user=creds["user"],
            password=creds["password"] or None,
            database=creds["database"],
            timeout=PROBE_TIMEOUT_S,
        )
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        reason = type(exc).__name__ if isinstance(exc, TimeoutError) else str(exc).splitlines()[0]
        return f"cannot connect to the database at {describe_url(url)}: {reason}"
    await conn.close()
    return None


async def check_redis(url: str) -> str | None:
    from redis.asyncio import Redis  # noqa: PLC0415 - see the module's docstring

    redis: Redis = Redis.from_url(url, socket_connect_timeout=PROBE_TIMEOUT_S)
    try:
        ok = await redis_up(redis)
    finally:
        await redis.aclose()
    return None if ok else f"cannot connect to Redis at {describe_url(url)}"

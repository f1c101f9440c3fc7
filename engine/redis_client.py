"""Redis clients of every Mailfleet process, in one configuration.

The server may close a connection while a command is on it — Redis restarted or failed over, a client killed,
a proxy in between — and redis-py 5's defaults fail that command with "Connection closed by server" (a Telegram
update at its lock's release, a job at its end's record). The clients here retry a command that met a
closed or timed-out connection `RETRIES` times, on a new connection, after a short backoff (the policy redis-py 6
made its default). A Redis that stays down still fails the command, after well under a second. (A connection
closed while idle in the pool is replaced by redis-py before use.)

Imported only where Redis is used: redis-py brings `jwt` and cryptography's X.509 (see `engine.health`).
"""

from __future__ import annotations

import dataclasses

from arq.connections import RedisSettings
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

RETRIES = 2


def _retry() -> Retry:
    return Retry(ExponentialBackoff(cap=0.5, base=0.05), RETRIES)


def _retry_on() -> list[type[Exception]]:
    return [RedisConnectionError, RedisTimeoutError]


def connect(url: str) -> Redis:
    """A client of the Redis at `url` (no I/O until its first command)."""
    client: Redis = Redis.from_url(url, retry=_retry(), retry_on_error=_retry_on())
    return client


def worker_settings(url: str) -> RedisSettings:
    """arq's settings for `url`, with the same retries as `connect`."""
    return dataclasses.replace(RedisSettings.from_dsn(url), retry=_retry(), retry_on_error=_retry_on())

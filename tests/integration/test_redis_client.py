"""The product's Redis clients (`engine.redis_client`) against the real Redis: a command whose connection the server
closes under it (a restart, a failover, CLIENT KILL) is retried on a new connection, and a Redis that is not
there still fails."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from arq.connections import create_pool
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from engine import redis_client
from tests.conftest import REDIS_URL
from tests.e2e.test_faults_replies import until
from tests.harness.redis_clients import blpop_at_server, blpop_client_id


async def _closed_under(client: Redis, redis: Redis) -> Any:
    """BLPOP on `client`; while it waits, the server closes its connection (as a restart, a failover or CLIENT
    KILL does); then the value arrives."""
    waiting = asyncio.create_task(client.blpop(["mailfleet:test:queue"], timeout=10))
    await until(lambda: blpop_at_server(redis), "the BLPOP at the server")
    await redis.client_kill_filter(_id=await blpop_client_id(redis))
    await until(lambda: waiting.done() or blpop_at_server(redis), "the BLPOP retried (or failed)")
    await redis.rpush("mailfleet:test:queue", "job")
    return await asyncio.wait_for(waiting, 10)


@pytest.mark.parametrize(
    "connect",
    [redis_client.connect, lambda url: create_pool(redis_client.worker_settings(url))],
    ids=["web-and-bot", "worker"],
)
async def test_a_command_whose_connection_the_server_closed_is_retried_on_a_new_one(
    redis: Redis, connect: Callable[[str], Redis | Awaitable[Redis]]
) -> None:
    made = connect(REDIS_URL)
    client = made if isinstance(made, Redis) else await made
    try:
        assert await _closed_under(client, redis) == (b"mailfleet:test:queue", b"job")
    finally:
        await client.aclose()


async def test_a_redis_that_is_not_there_still_fails() -> None:
    client = redis_client.connect("redis://127.0.0.1:1/0")  # nothing listens on port 1
    try:
        with pytest.raises(RedisConnectionError):
            await client.ping()
    finally:
        await client.aclose()

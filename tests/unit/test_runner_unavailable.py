"""Which failures of a command mean "a service it needs does not answer" (a localized error) rather than a bug."""

from __future__ import annotations

import asyncpg
import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.runner import unreachable


@pytest.mark.parametrize(
    "exc",
    [
        ConnectionRefusedError(111, "refused"),
        OSError("network unreachable"),
        TimeoutError(),
        RedisConnectionError("Error 111 connecting to 127.0.0.1:1"),
        RedisTimeoutError("timed out"),
        asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"),
        asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
    ],
)
def test_connection_failures_are_unreachable_services(exc: BaseException) -> None:
    assert unreachable(exc)


@pytest.mark.parametrize("exc", [ValueError("bad"), KeyError("x"), asyncpg.exceptions.UniqueViolationError("dup")])
def test_other_failures_are_not(exc: BaseException) -> None:
    assert not unreachable(exc)

"""`jobs.worker.Resilient`: what ends arq's poll loop when Redis goes away starts a new worker; anything else
ends the run. Workers here are stand-ins that raise what arq's `main()` raised in the fault suite."""

from __future__ import annotations

from typing import Any

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError, WatchError

from jobs.worker import Resilient


class _Loop:
    def __init__(self, outcome: BaseException | None) -> None:
        self.outcome = outcome
        self.pool: Any = None

    async def main(self) -> None:
        if self.outcome is not None:
            raise self.outcome


def _resilient(*outcomes: BaseException | None) -> tuple[Resilient, list[_Loop]]:
    made: list[_Loop] = []

    def make() -> Any:
        made.append(_Loop(outcomes[len(made)]))
        return made[-1]

    return Resilient(make, pause_s=0.001, max_pause_s=0.002), made


async def test_a_lost_connection_of_any_form_starts_a_new_worker() -> None:
    watch = WatchError("A ConnectionError occurred on while watching one or more keys")  # seen in the fault suite
    resilient, made = _resilient(RedisConnectionError("refused"), watch, ConnectionRefusedError(), None)
    await resilient.run()
    assert len(made) == 4 and resilient.restarts == 3


async def test_another_error_ends_the_run() -> None:
    resilient, made = _resilient(ResponseError("WRONGTYPE"), None)
    with pytest.raises(ResponseError):
        await resilient.run()
    assert len(made) == 1

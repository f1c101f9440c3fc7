"""Rate limits shared in the real Redis: two processes (and two independent clients) spend one budget, so a
provider's quota holds however many workers run. Only real Redis here; the REG.RU API is the loopback stand-in."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr
from redis.asyncio import Redis

from engine.dns.adapters import RegRu, RetryPolicy
from engine.dns.adapters import regru as regru_adapter
from engine.errors import UserError
from engine.ratelimit import Pace, RateLimited, Rule, SharedLimits
from tests.conftest import REDIS_URL
from tests.harness.registrar_standins import RegRuStandin

# A child process that takes slots of one rule as fast as it can and prints when each take succeeded.
CHILD = textwrap.dedent(
    """
    import asyncio, json, sys, time
    from redis.asyncio import Redis
    from engine.ratelimit import Rule, SharedLimits

    async def main(url, name, amount, seconds, tries, start_at, patience):
        client = Redis.from_url(url)
        limits = SharedLimits(client)
        rule = Rule(name, amount, seconds)
        while time.time() < start_at:  # both processes start hitting at the same moment
            await asyncio.sleep(0.005)
        taken, refused = [], 0
        deadline = time.time() + patience
        while len(taken) < tries and time.time() < deadline:
            wait = await limits.take([(rule, "shared")])
            if wait == 0.0:
                taken.append(time.time())
            else:
                refused += 1
                await asyncio.sleep(min(wait, 0.05))
        await client.aclose()
        print(json.dumps({"taken": taken, "refused": refused}))

    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]),
                     float(sys.argv[6]), float(sys.argv[7])))
    """
)


def _spawn(rule: Rule, tries: int, start_at: float, patience_s: float) -> subprocess.Popen[str]:
    args = [sys.executable, "-c", CHILD, REDIS_URL, rule.name, str(rule.amount), str(rule.seconds), str(tries)]
    args += [str(start_at), str(patience_s)]
    return subprocess.Popen(args, stdout=subprocess.PIPE, text=True, env=dict(os.environ))


def _run_two(rule: Rule, tries: int, patience_s: float) -> list[dict[str, Any]]:
    """Two processes, each trying to take `tries` slots for at most `patience_s`: what each got and was refused."""
    start_at = time.time() + 3.0  # after both interpreters have imported the engine
    children = [_spawn(rule, tries, start_at, patience_s) for _ in range(2)]
    outputs = [child.communicate(timeout=90)[0] for child in children]
    assert [c.returncode for c in children] == [0, 0]
    return [json.loads(out) for out in outputs]


async def test_two_processes_share_one_window(redis: Redis) -> None:
    """Each process alone would take all 12 it tries; together they get 8, the rule's amount, in its minute,
    and each was refused the rest of what it tried for 2 s."""
    rule = Rule("two-processes", 8, 60)
    first, second = await asyncio.to_thread(_run_two, rule, 12, 2.0)
    assert len(first["taken"]) + len(second["taken"]) == 8
    assert first["refused"] > 0 and second["refused"] > 0
    assert await SharedLimits(redis).count(rule, "shared") == 8


async def test_two_processes_pacing_never_exceed_the_rate_in_any_window(redis: Redis) -> None:
    """Slots free as the window moves: over ~3 s both processes take 12 in all, never 4 within one second."""
    rule = Rule("moving", 3, 1)
    first, second = await asyncio.to_thread(_run_two, rule, 6, 30.0)
    moments = sorted(first["taken"] + second["taken"])
    assert len(moments) == 12
    for i, moment in enumerate(moments):
        within = [m for m in moments[i:] if m - moment < 1.0 - 0.01]  # 10 ms of slack for clock reads
        assert len(within) <= rule.amount, (moment, within)


async def test_a_full_budget_answers_the_wait_and_pace_gives_up_past_its_patience(redis: Redis) -> None:
    rule = Rule("patience", 2, 5)
    other = Redis.from_url(REDIS_URL)  # a second, independent client: as another worker would hold
    try:
        mine, theirs = SharedLimits(redis), SharedLimits(other)
        assert await mine.take([(rule, "acct")]) == 0.0
        assert await theirs.take([(rule, "acct")]) == 0.0
        wait = await mine.take([(rule, "acct")])
        assert 0 < wait <= 5
        assert await theirs.take([(rule, "other-acct")]) == 0.0  # budgets are per key
        with pytest.raises(RateLimited) as raised:
            await Pace(theirs, "REG.RU", [(rule, "acct")], max_wait_s=1).acquire()
        assert raised.value.key == "error-provider-rate-limited" and raised.value.params == {"provider": "REG.RU"}
    finally:
        await other.aclose()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


async def test_regru_hourly_budget_is_one_for_every_process(redis: Redis, session: aiohttp.ClientSession) -> None:
    """With 1,199 of the account's 1,200 hourly requests spent elsewhere, two adapters on two Redis clients
    racing for a zone: exactly one request reaches REG.RU, the other is refused without calling it."""
    for _ in range(regru_adapter.HOURLY_LIMIT - 1):
        assert await SharedLimits(redis).take([(regru_adapter.HOURLY_RULE, "agency")]) == 0.0
    other = Redis.from_url(REDIS_URL)
    fast = RetryPolicy(attempts=1, timeout_s=5)
    try:
        async with RegRuStandin(username="agency", password="pw") as api:
            api.add_zone("client.ru", [("www", "A", "192.0.2.10", 0)])
            adapters = [
                RegRu(
                    session,
                    username="agency",
                    password=SecretStr("pw"),
                    base_url=api.base_url,
                    retry=fast,
                    bucket=regru_adapter.shared_pace(SharedLimits(client), "agency", max_wait_s=0.5),
                )
                for client in (redis, other)
            ]
            results = await asyncio.gather(*(a.list_records("client.ru") for a in adapters), return_exceptions=True)
            assert api.attempts == 1
    finally:
        await other.aclose()
    refused = [r for r in results if isinstance(r, UserError)]
    assert len(refused) == 1 and refused[0].key == "error-provider-rate-limited"
    assert await SharedLimits(redis).count(regru_adapter.HOURLY_RULE, "agency") == regru_adapter.HOURLY_LIMIT

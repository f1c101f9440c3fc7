"""Rate limits shared by every process through Redis: a provider's or a chat platform's quota is one budget
however many workers, web processes and consoles spend it.

The windows are moving windows (the `limits` library's Redis storage: a list of timestamps per key, trimmed and
checked in one Lua script), so no N requests ever fall within any stretch of the rule's length. They count real
seconds, not the engine's `Clock`: a quota is the remote service's, and a simulated day does not slow it down.

A caller that finds no slot never blocks the event loop: `SharedLimits.take` answers how long to wait, a job
defers itself by that much, and `Pace.acquire` (an HTTP client between two requests) sleeps asynchronously
within a bound, or raises `RateLimited`. Nothing here runs inside a database transaction.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Protocol

from redis.asyncio import Redis

from engine.errors import UserError

if TYPE_CHECKING:  # `limits` is imported by the processes that use a limit, not by every `mailfleet` command
    from limits import RateLimitItem

KEY_PREFIX: Final = "mailfleet:ratelimit"
MIN_RETRY_S: Final = 0.05  # a full window that clears "now" is asked again after this pause, never in a spin


@dataclass(frozen=True)
class Rule:
    """At most `amount` events in any `seconds` seconds, for one named budget (e.g. "regru")."""

    name: str
    amount: int
    seconds: int

    def __post_init__(self) -> None:
        if self.amount < 1 or self.seconds < 1 or not self.name or ":" in self.name:
            raise ValueError(f"a rate rule needs a name without ':' and a positive amount and window: {self}")

    @property
    def item(self) -> RateLimitItem:
        from limits import RateLimitItemPerSecond  # noqa: PLC0415 - lazy: only processes that rate-limit import it

        return RateLimitItemPerSecond(self.amount, self.seconds, namespace=self.name)


Budget = tuple[Rule, str]  # a rule and the key it counts under (an account, a chat id; "" for a global rule)


class Limits(Protocol):
    """Budgets a sender spends (`take`: 0.0 when all had room, else the seconds to wait)."""

    async def take(self, budgets: Sequence[Budget]) -> float: ...


class NoLimits:
    """Budgets that always have room, for a sender with no platform behind it (the demo's transcript): the
    platforms' limits are real seconds, which a simulated clock does not pass."""

    async def take(self, budgets: Sequence[Budget]) -> float:
        return 0.0


class SharedLimits:
    """Moving-window limits in Redis, over the caller's Redis connection pool."""

    def __init__(self, redis: Redis, *, prefix: str = KEY_PREFIX) -> None:
        from limits.aio.storage import RedisStorage  # noqa: PLC0415 - lazy, as above
        from limits.aio.strategies import MovingWindowRateLimiter  # noqa: PLC0415

        storage = RedisStorage(
            "async+redis://",
            implementation="redispy",
            connection_pool=redis.connection_pool,  # type: ignore[arg-type]  # limits types options narrowly
            key_prefix=prefix,
        )
        self._limiter = MovingWindowRateLimiter(storage)

    async def take(self, budgets: Sequence[Budget]) -> float:
        """Spend one event of every budget: 0.0 when all had room, else the seconds until the first full one
        frees a slot. Budgets are taken in order and one that is full stops there: a slot already spent in an
        earlier budget stays spent (the rate only ever errs on the slow side, never past the limit)."""
        for rule, key in budgets:
            if not await self._limiter.hit(rule.item, key):
                stats = await self._limiter.get_window_stats(rule.item, key)
                return max(MIN_RETRY_S, stats.reset_time - time.time())
        return 0.0

    async def count(self, rule: Rule, key: str) -> int:
        """How many events of `rule` the window under `key` holds now."""
        stats = await self._limiter.get_window_stats(rule.item, key)
        return rule.amount - stats.remaining

    async def clear(self, rule: Rule, key: str) -> None:
        await self._limiter.clear(rule.item, key)


class RateLimited(UserError):
    """No slot within the caller's patience: the provider's shared budget is spent for now."""

    def __init__(self, provider: str, retry_after_s: float) -> None:
        super().__init__("error-provider-rate-limited", provider=provider)
        self.retry_after_s = retry_after_s


class Pace:
    """The shared budgets of one API account, as an HTTP client paces its requests: `acquire` waits (asleep,
    the loop free) for a slot of every budget, at most `max_wait_s` in all, then raises `RateLimited`."""

    def __init__(
        self, limits: SharedLimits, provider: str, budgets: Sequence[Budget], *, max_wait_s: float = 60.0
    ) -> None:
        self._limits = limits
        self._budgets = tuple(budgets)
        self.provider = provider
        self.max_wait_s = max_wait_s

    async def acquire(self) -> None:
        waited = 0.0
        while wait := await self._limits.take(self._budgets):
            if waited + wait > self.max_wait_s:
                raise RateLimited(self.provider, wait)
            await asyncio.sleep(wait)
            waited += wait


def defer_seconds(wait_s: float) -> int:
    """A job's defer for a wait: whole seconds, at least one."""
    return max(1, math.ceil(wait_s))

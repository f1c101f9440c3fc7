"""The HTTP side of provider APIs: a client-side rate limit, retries with backoff, errors as `UserError`s.

Credentials travel only in headers or request bodies, never in URLs, and nothing here logs a body or puts
one into an exception: a token or password cannot leak through a log line or an error message.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp

from engine.errors import UserError
from engine.logging import get_logger

log = get_logger(__name__)

Sleep = Callable[[float], Awaitable[None]]


class Limiter(Protocol):
    """Paces requests: `acquire` returns when one more may go (a process-local `TokenBucket`, or the budget
    every process shares in Redis, `engine.ratelimit.Pace`)."""

    async def acquire(self) -> None: ...


class TokenBucket:
    """At most `capacity` requests at once, refilled at `rate` per second; `acquire` waits for a token.

    Local to the process: where several processes share one provider account, they share an
    `engine.ratelimit.Pace` instead (`engine.dns.hosting.DnsHosts` with Redis).
    """

    def __init__(
        self,
        rate: float,
        capacity: float,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if rate <= 0 or capacity < 1:
            raise ValueError("a token bucket needs a positive rate and room for one token")
        self.rate = rate
        self.capacity = capacity
        self._tokens = capacity
        self._monotonic = monotonic
        self._sleep = sleep
        self._stamp = monotonic()
        self._lock = asyncio.Lock()

    @classmethod
    def per_hour(
        cls,
        limit: int,
        burst: int,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> TokenBucket:
        """A bucket that never exceeds `limit` requests in any hour: the burst is taken out of the rate."""
        return cls((limit - burst) / 3600, burst, monotonic=monotonic, sleep=sleep)

    async def acquire(self) -> None:
        async with self._lock:
            self._refill()
            if self._tokens < 1:
                await self._sleep((1 - self._tokens) / self.rate)
                self._refill()
            self._tokens -= 1

    def _refill(self) -> None:
        now = self._monotonic()
        self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now


@dataclass(frozen=True)
class RetryPolicy:
    """Retries on 429, 5xx and connection failures: delays `base_delay_s`·2ⁿ, capped, or the server's
    Retry-After when it sends one."""

    attempts: int = 4
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0
    timeout_s: float = 30.0

    def delay(self, attempt: int, retry_after: str | None) -> float:
        if retry_after is not None and retry_after.strip().isdigit():
            return min(self.max_delay_s, float(retry_after))
        return min(self.max_delay_s, self.base_delay_s * 2.0**attempt)


@dataclass(frozen=True)
class HttpReply:
    status: int
    body: Any  # parsed JSON, None for an empty body


class JsonClient:
    """JSON over HTTP to one provider, through its rate limit and retry policy."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        *,
        provider: str,
        bucket: Limiter,
        retry: RetryPolicy,
    ) -> None:
        self._session = session
        self._base = base_url.rstrip("/") + "/"
        self.provider = provider
        self._bucket = bucket
        self._retry = retry

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> HttpReply:
        """Send one request, retrying transient failures; raise `UserError` once retries are spent."""
        url = self._base + path.lstrip("/")
        last_key, delay = "error-provider-unavailable", 0.0
        for attempt in range(self._retry.attempts):
            if attempt:
                await asyncio.sleep(delay)
            await self._bucket.acquire()
            try:
                async with self._session.request(
                    method,
                    url,
                    json=json,
                    data=data,
                    params=params,
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=self._retry.timeout_s),
                ) as response:
                    status, retry_after = response.status, response.headers.get("Retry-After")
                    text = await response.text()
            except (aiohttp.ClientError, TimeoutError):
                log.warning("provider.unreachable", provider=self.provider, method=method, path=path, attempt=attempt)
                last_key, delay = "error-provider-unavailable", self._retry.delay(attempt, None)
                continue
            log.info("provider.call", provider=self.provider, method=method, path=path, status=status)
            if status == 429 or status >= 500:
                last_key = "error-provider-rate-limited" if status == 429 else "error-provider-unavailable"
                delay = self._retry.delay(attempt, retry_after)
                continue
            return HttpReply(status, self._json(text, required=status < 400))
        raise UserError(last_key, provider=self.provider)

    def _json(self, text: str, *, required: bool) -> Any:
        """The parsed body. An error status speaks for itself, so its body may be anything (an HTML page)."""
        if not text.strip():
            return None
        try:
            return json.loads(text)
        except ValueError:
            if required:
                raise UserError("error-provider-bad-response", provider=self.provider) from None
            return None

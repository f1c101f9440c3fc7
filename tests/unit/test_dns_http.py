"""The provider HTTP policies: the token bucket's pace and the retry delays."""

from __future__ import annotations

import pytest

from engine.dns.adapters.http import RetryPolicy, TokenBucket


class FakeTime:
    """A monotonic clock that moves only when the bucket sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


async def test_bucket_allows_a_burst_then_paces_at_the_rate() -> None:
    time = FakeTime()
    bucket = TokenBucket(2.0, 3, monotonic=time.monotonic, sleep=time.sleep)
    for _ in range(3):
        await bucket.acquire()
    assert time.slept == []
    await bucket.acquire()
    await bucket.acquire()
    assert time.slept == [pytest.approx(0.5), pytest.approx(0.5)]
    time.now += 10  # idle: refills to capacity, no more
    for _ in range(3):
        await bucket.acquire()
    assert len(time.slept) == 2


async def test_hourly_bucket_never_exceeds_the_hourly_limit() -> None:
    time = FakeTime()
    bucket = TokenBucket.per_hour(1200, burst=30, monotonic=time.monotonic, sleep=time.sleep)
    for _ in range(1200):
        await bucket.acquire()
    assert time.now == pytest.approx(3600, rel=0.01)


def test_bucket_needs_a_rate() -> None:
    with pytest.raises(ValueError, match="positive rate"):
        TokenBucket(0, 1)


def test_retry_delays_back_off_and_honour_retry_after() -> None:
    policy = RetryPolicy(base_delay_s=0.5, max_delay_s=4)
    assert [policy.delay(n, None) for n in range(5)] == [0.5, 1.0, 2.0, 4.0, 4.0]
    assert policy.delay(0, "3") == 3.0
    assert policy.delay(0, "120") == 4.0
    assert policy.delay(1, "Wed, 21 Oct 2015 07:28:00 GMT") == 1.0

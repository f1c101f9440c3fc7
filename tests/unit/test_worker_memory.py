"""The worker's memory tuning (`jobs.worker`): cyclic garbage collected every so many jobs, and socket reads kept
off glibc's heap (the load day's worker memory stays flat, `tests/integration/test_load.py`)."""

from __future__ import annotations

import collections
import gc
import os
import random
import socket
import weakref
from collections.abc import Iterator

import pytest

from jobs.worker import cycle_collector, tune_malloc
from tests.harness.load_worker import mallinfo


class _Cycle:
    def __init__(self) -> None:
        self.me = self


@pytest.fixture
def no_automatic_gc() -> Iterator[None]:
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@pytest.mark.usefixtures("no_automatic_gc")
async def test_cyclic_garbage_is_collected_once_every_n_jobs() -> None:
    collect = cycle_collector(5)
    for _ in range(2):
        garbage = _Cycle()
        alive = weakref.ref(garbage)
        del garbage
        for _ in range(4):
            await collect({})
        assert alive() is not None  # nothing collected it yet
        await collect({})
        assert alive() is None


def _heap_bytes() -> int:
    figures = mallinfo()
    assert figures is not None
    return int(figures.arena)


@pytest.mark.skipif(not (os.confstr("CS_GNU_LIBC_VERSION") or "").startswith("glibc"), reason="glibc's malloc")
def test_socket_reads_stay_off_the_heap_once_a_big_block_was_freed() -> None:
    """What the load day's workers do all day: short messages read from sockets (each into a fresh 256 KiB block,
    shrunk), some kept alive a while, after some large block was freed. Without `tune_malloc` the heap grows by
    megabytes of free space over these reads."""
    assert tune_malloc()
    big = bytearray(2**20)
    del big
    rng = random.Random(14)
    live: collections.deque[bytes] = collections.deque()
    a, b = socket.socketpair()
    with a, b:
        before = _heap_bytes()
        for _ in range(5_000):
            a.sendall(b"x" * rng.randint(50, 3_000))
            live.append(b.recv(256 * 1024))
            if len(live) > rng.randint(20, 200):
                live.popleft()
        grown = _heap_bytes() - before
    assert grown < 2**20, f"the heap grew by {grown / 2**20:.1f} MB"

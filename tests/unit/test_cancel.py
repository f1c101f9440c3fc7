"""Cancellation that is not lost on the way (`engine.cancel`)."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from engine.cancel import cancel_and_wait, raise_if_cancelled


async def test_stopping_a_task_does_not_swallow_the_stoppers_own_cancellation() -> None:
    """`suppress(CancelledError)` around the awaited task swallowed the caller's cancellation too: a pool closed
    while Ctrl-C stopped the demo closed, and the demo went on."""
    cleaning = asyncio.Event()

    async def inner() -> None:
        try:
            await asyncio.sleep(3600)
        finally:
            cleaning.set()
            await asyncio.sleep(0.05)  # its cleanup takes a moment, as closing connections does

    async def stopper(task: asyncio.Task[None]) -> str:
        await cancel_and_wait(task)
        return "went on"

    inner_task = asyncio.create_task(inner())
    await asyncio.sleep(0)
    outer = asyncio.create_task(stopper(inner_task))
    await cleaning.wait()
    outer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await outer
    assert inner_task.cancelled()


async def test_the_stopped_task_ends_whatever_it_raises() -> None:
    async def failing() -> None:
        try:
            await asyncio.sleep(3600)
        finally:
            raise RuntimeError("cleanup failed")

    task = asyncio.create_task(failing())
    await asyncio.sleep(0)
    await cancel_and_wait(task)
    assert task.done() and isinstance(task.exception(), RuntimeError)


async def test_a_cancellation_lost_on_the_way_is_raised_at_the_next_step() -> None:
    steps: list[int] = []
    waiting = asyncio.Event()

    async def run() -> None:
        for n in range(5):
            raise_if_cancelled()
            steps.append(n)
            if n == 1:
                waiting.set()
                with contextlib.suppress(asyncio.CancelledError):  # a library that loses it
                    await asyncio.sleep(3600)

    task = asyncio.create_task(run())
    await waiting.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert steps == [0, 1]


async def test_a_task_never_cancelled_runs_on() -> None:
    raise_if_cancelled()

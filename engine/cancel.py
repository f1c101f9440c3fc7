"""Cancellation that is not lost on the way.

Python 3.11 loses a task's cancellation in places: `asyncio.wait_for` (which aiosmtplib, redis and asyncpg use)
returns the result of what it waited for when that finished in the same turn as the cancellation, and
`with suppress(CancelledError): await inner` swallows the outer task's cancellation along with the inner one's.
asyncio.run answers Ctrl-C (and, through `mailfleet.cli`, `kill` and a closed terminal) by cancelling the main task
once, so a lost cancellation ran a stopped demo to its end."""

from __future__ import annotations

import asyncio
from typing import Any


async def cancel_and_wait(task: asyncio.Task[Any]) -> None:
    """Cancel `task` and wait until it has ended. The caller's own cancellation, should it come meanwhile, is
    raised (a suppressed CancelledError cannot tell the two apart)."""
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


def raise_if_cancelled() -> None:
    """Raise CancelledError when the current task has been cancelled and the CancelledError was lost on the way; a
    loop of many steps calls it between steps so that a stop request ends it there."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError

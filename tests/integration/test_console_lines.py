"""`mailfleet console` reading its input: a line is bounded while it is read, not after."""

from __future__ import annotations

import asyncio
import io
import signal

import pytest

from bot.command import TEXT_MAX_CHARS
from bot.console import Console
from bot.runner import Runner
from engine.clock import SystemClock


class _Recording(io.StringIO):
    """Standard input that remembers the longest piece a single read handed out."""

    longest = 0

    def readline(self, size: int | None = -1, /) -> str:
        line = super().readline(-1 if size is None else size)
        self.longest = max(self.longest, len(line))
        return line


async def test_a_huge_line_is_refused_by_its_length_without_being_held_and_the_next_line_runs(orm: None) -> None:
    """A file without line breaks piped into the console (`mailfleet console < export.bin`) was read whole into
    memory before the length check; it is now read past in chunks, refused with its true length, and the
    console goes on with the next line. The end of input leaves the terminal on a new line."""
    huge = 3_000_000
    stdin = _Recording("/use " + "я" * (huge - 5) + "\n/lang en\n/whoami\n")
    out = io.StringIO()
    console = Console(Runner(SystemClock(), admins={}), out=out, locale="ru")

    status = await console.interactive(stdin)

    assert status == 1  # the refused line counts as a failure
    assert stdin.longest <= 2**16 + TEXT_MAX_CHARS + 1
    said = out.getvalue()
    assert f"длина {huge} при пределе {TEXT_MAX_CHARS}" in said, said[:500]
    assert "Role: agency admin" in said  # the lines after it ran
    assert said.endswith("mailfleet> \n")
    assert "яяя" not in said


class _PromptInterrupted(io.StringIO):
    """The terminal, where Ctrl-C is pressed the moment the prompt is shown."""

    def write(self, text: str, /) -> int:
        written = super().write(text)
        if text.startswith("mailfleet> "):
            signal.raise_signal(signal.SIGINT)
        return written


class _NoMoreInput(io.StringIO):
    def readline(self, size: int | None = -1, /) -> str:
        raise AssertionError("the console waited for a line after Ctrl-C")


async def test_ctrl_c_as_the_prompt_is_shown_ends_the_console_instead_of_a_wait_nobody_ends(orm: None) -> None:
    """asyncio.run answers Ctrl-C by cancelling the main task; the console's wait for a line blocks the loop, so a
    Ctrl-C that came between the prompt and the wait (the wait's own Ctrl-C handling not yet in place) left the
    console waiting for a line with the stop request unseen: CI caught it hanging on SIGHUP. Ctrl-C at any moment of
    the prompt now ends the console."""
    task = asyncio.current_task()
    assert task is not None

    def as_asyncio_run(_signum: int, _frame: object) -> None:  # what asyncio.Runner's SIGINT handler does
        task.cancel()

    previous = signal.signal(signal.SIGINT, as_asyncio_run)
    try:
        console = Console(Runner(SystemClock(), admins={}), out=_PromptInterrupted(), locale="en")
        with pytest.raises((KeyboardInterrupt, asyncio.CancelledError)):
            await console.interactive(_NoMoreInput())
    finally:
        signal.signal(signal.SIGINT, previous)
        task.uncancel()  # the test's own task goes on

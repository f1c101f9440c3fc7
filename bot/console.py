"""The console transport: the command layer in a terminal, acting as a local agency admin.

`mailfleet console` prompts; `mailfleet console -c "<command>"` (repeatable) runs commands and exits non-zero when
one failed. A file argument is given as `@path`; files in a reply are written to the current directory.
"""

from __future__ import annotations

import contextlib
import errno
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from bot.command import REGISTRY, TEXT_MAX_CHARS, file_limit, split_command, split_line
from bot.runner import Runner
from engine.cancel import raise_if_cancelled
from engine.errors import UserError
from engine.reply import Attachment, Reply
from engine.uploads import MAX_UPLOAD_BYTES, check_size
from models.enums import Platform

CONSOLE_USER = "local"
CONSOLE_CHAT = "console"


def render_text(reply: Reply) -> str:
    """Plain text: the blocks, then buttons as the commands they would run."""
    parts = [reply.plain_text()]
    for row in reply.buttons:
        parts.append("  ".join(f"[{b.label}] /{b.command} {b.arg}".rstrip() for b in row))
    return "\n".join(p for p in parts if p)


def _file_from_words(words: list[str], max_bytes: int) -> tuple[list[str], Attachment | None]:
    """The words without the first `@path`, and that file. A file over `max_bytes` is refused by its size before
    it is read (`error-upload-too-large`), and never more than `max_bytes` + 1 bytes are read (a device, a file
    that grows); a file that cannot be read is `error-console-file`."""
    rest, attachment = [], None
    for word in words:
        if word.startswith("@") and attachment is None and len(word) > 1:
            path = Path(word[1:]).expanduser()
            attachment = Attachment(path.name, _read(path, max_bytes), "text/csv" if path.suffix == ".csv" else "")
        else:
            rest.append(word)
    return rest, attachment


_OS_REASONS = {errno.ENOENT: "missing", errno.EACCES: "denied", errno.EISDIR: "directory"}


def _read(path: Path, max_bytes: int) -> bytes:
    try:
        check_size(path.stat().st_size, max_bytes=max_bytes)
        with path.open("rb") as file:
            content = file.read(max_bytes + 1)
    except OSError as exc:
        raise UserError("error-console-file", path=str(path), reason=_OS_REASONS.get(exc.errno or 0, "other")) from None
    check_size(len(content), max_bytes=max_bytes)
    return content


class Console:
    """The local admin's terminal. It speaks `locale` (default: the install's DEFAULT_LOCALE, from the runner's
    settings) until `/lang` chooses another."""

    def __init__(
        self, runner: Runner, out: TextIO = sys.stdout, workdir: Path | None = None, locale: str | None = None
    ) -> None:
        self.runner = runner
        self.out = out
        self.workdir = workdir or Path.cwd()
        runner.admins.setdefault(Platform.CONSOLE, set()).add(CONSOLE_USER)
        settings = runner.services.get("settings")
        spoken = locale or (settings.default_locale if settings is not None else None)
        self.identity = runner.identity(Platform.CONSOLE, CONSOLE_USER, "console", spoken)

    async def execute(self, line: str) -> bool:
        """Run one command line, print the reply, return whether it succeeded. The line is bounded before it is
        split (as a chat message is); a file named by `@path` is bounded before it is read."""
        name, _ = split_line(line.split(maxsplit=1)[0] if line.strip() else "")
        cmd = REGISTRY.get(name)
        if cmd is None or cmd.file_arg is None or len(line) > TEXT_MAX_CHARS:
            reply = await self.runner.run_line(self.identity, CONSOLE_CHAT, line)
        else:
            _, words = split_command(line)
            try:
                words, attachment = _file_from_words(words, file_limit(name, MAX_UPLOAD_BYTES))
            except UserError as exc:
                reply = await self.runner.refusal(self.identity, exc)
            else:
                reply = await self.runner.run(self.identity, CONSOLE_CHAT, name, words, attachment)
        print(render_text(reply), file=self.out)
        for item in reply.files:
            target = self.workdir / Path(item.filename).name
            target.write_bytes(item.content)
            print(f"→ {target}", file=self.out)
        return reply.ok

    async def interactive(self, stdin: TextIO = sys.stdin) -> int:
        """Prompt and run lines until `exit`, `quit` or the end of input (Ctrl-D); 1 when a command failed."""
        failures = 0
        while True:
            try:
                with _interruptible():
                    # Ctrl-C before the wait (during the last command, or just now): asyncio.run's handler
                    # cancelled the task; from here on Ctrl-C interrupts the wait itself
                    raise_if_cancelled()
                    print("mailfleet> ", end="", file=self.out, flush=True)
                    line, length = _read_line(stdin)
            except KeyboardInterrupt:
                print(file=self.out)  # the shell's prompt on a line of its own, after the terminal's ^C
                raise
            if not line:
                print(file=self.out)  # Ctrl-D: the shell's prompt on a line of its own
                return 1 if failures else 0
            if length > TEXT_MAX_CHARS:  # refused by its length, like a chat message; never held whole
                too_long = UserError("error-text-too-long", length=str(length), limit=str(TEXT_MAX_CHARS))
                print(render_text(await self.runner.refusal(self.identity, too_long)), file=self.out)
                failures += 1
                continue
            line = line.strip()
            if line in {"exit", "quit"}:
                return 1 if failures else 0
            if line:
                failures += 0 if await self.execute(line) else 1


@contextlib.contextmanager
def _interruptible() -> Iterator[None]:
    """While the prompt waits for a line, Ctrl-C ends the console (so do `kill` and a closed terminal, which
    `mailfleet.cli` makes a Ctrl-C). The wait blocks the event loop, and asyncio.run's own answer to Ctrl-C only
    cancels the running task, which the blocked loop never got to: the console sat at its prompt."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.SIG_DFL if previous is None else previous)


def _read_line(stdin: TextIO) -> tuple[str, int]:
    """One line of input ("" at its end) and its length without the line break: at most a command line's worth
    of it is kept, the rest is read past in chunks (a huge or endless line — a file without line breaks piped in —
    never fills memory)."""
    line = stdin.readline(TEXT_MAX_CHARS + 1)
    length = len(line.rstrip("\r\n"))
    rest = line
    while length > TEXT_MAX_CHARS and not rest.endswith("\n") and (rest := stdin.readline(2**16)):
        length += len(rest.rstrip("\r\n"))
    return line, length

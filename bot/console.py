"""The console transport: the command layer in a terminal, acting as a local agency admin.

`mailfleet console` prompts; `mailfleet console -c "<command>"` (repeatable) runs commands and exits non-zero when
one failed. A file argument is given as `@path`; files in a reply are written to the current directory.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from bot.command import REGISTRY, split_line
from bot.runner import Runner
from engine.reply import Attachment, Reply
from models.enums import Platform

CONSOLE_USER = "local"
CONSOLE_CHAT = "console"


def render_text(reply: Reply) -> str:
    """Plain text: the blocks, then buttons as the commands they would run."""
    parts = [reply.plain_text()]
    for row in reply.buttons:
        parts.append("  ".join(f"[{b.label}] /{b.command} {b.arg}".rstrip() for b in row))
    return "\n".join(p for p in parts if p)


def _file_from_words(words: list[str]) -> tuple[list[str], Attachment | None]:
    rest, attachment = [], None
    for word in words:
        if word.startswith("@") and attachment is None and len(word) > 1:
            path = Path(word[1:]).expanduser()
            attachment = Attachment(path.name, path.read_bytes(), "text/csv" if path.suffix == ".csv" else "")
        else:
            rest.append(word)
    return rest, attachment


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
        """Run one command line, print the reply, return whether it succeeded."""
        name, words = split_line(line)
        cmd = REGISTRY.get(name)
        attachment = None
        if cmd is not None and cmd.file_arg is not None:
            try:
                words, attachment = _file_from_words(words)
            except OSError as exc:
                print(f"{exc.filename}: {exc.strerror}", file=self.out)
                return False
        reply = await self.runner.run(self.identity, CONSOLE_CHAT, name, words, attachment)
        print(render_text(reply), file=self.out)
        for item in reply.files:
            target = self.workdir / Path(item.filename).name
            target.write_bytes(item.content)
            print(f"→ {target}", file=self.out)
        return reply.ok

    async def interactive(self, stdin: TextIO = sys.stdin) -> int:
        failures = 0
        while True:
            print("mailfleet> ", end="", file=self.out, flush=True)
            line = stdin.readline()
            if not line:
                return 1 if failures else 0
            line = line.strip()
            if line in {"exit", "quit"}:
                return 1 if failures else 0
            if line:
                failures += 0 if await self.execute(line) else 1

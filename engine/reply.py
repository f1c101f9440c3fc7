"""What a command answers, independent of any chat platform: text blocks, buttons carrying ids, files."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

BlockStyle = Literal["title", "text", "pre", "error"]


@dataclass(frozen=True)
class Block:
    """A paragraph of already localized text. Transports escape it; `style` says how to show it."""

    text: str
    style: BlockStyle = "text"


@dataclass(frozen=True)
class Button:
    """Pressing it runs `command` with the single argument `arg` (an id): state lives in the database."""

    label: str
    command: str
    arg: str = ""
    style: Literal["primary", "danger"] | None = None


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime: str = "text/csv"


@dataclass
class Reply:
    blocks: list[Block] = field(default_factory=list)
    buttons: list[list[Button]] = field(default_factory=list)
    files: list[Attachment] = field(default_factory=list)
    ok: bool = True
    # A command that still needs an argument: (command, words given so far). Transports that can hold a
    # conversation (Telegram) ask for it and run the command again with the next message or file.
    awaiting: tuple[str, list[str]] | None = None

    def add(self, text: str, style: BlockStyle = "text") -> Reply:
        self.blocks.append(Block(text, style))
        return self

    def plain_text(self) -> str:
        """The reply as plain text: the console's rendering and the content every transport must carry."""
        return "\n\n".join(b.text for b in self.blocks)

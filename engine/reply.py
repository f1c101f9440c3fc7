"""What a command answers, independent of any chat platform: text blocks, buttons carrying ids, files."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final, Literal

BlockStyle = Literal["title", "text", "pre", "error"]

BUTTON_DATA_MAX_BYTES: Final = 64
"""Telegram keeps 64 bytes of a button's callback data, `command:arg`; Slack's value is longer, so Telegram decides."""

_BUTTON_COMMAND: Final = re.compile(r"[a-z0-9_]{1,32}")  # a registered command's name, as Telegram's menu allows
_BUTTON_ARG: Final = re.compile(r"[A-Za-z0-9._-]*")  # an id: digits, a slug, an ASCII token — never a name


_UNSHOWN: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""Characters that act on the display instead of being shown: control characters but tab and line ends (an
escape sequence a terminal runs), and the bidirectional embeddings, overrides and isolates (a U+202E in a
campaign or file name turns the rest of our line around it backwards: "invoice\u202efdp.exe" shows as
"invoiceexe.pdf"). Zero-width joiners and the LRM/RLM marks are shown as they are: they reorder nothing."""


def shown(text: str) -> str:
    """Text as a chat or terminal may show it: each character of `_UNSHOWN` becomes U+FFFD, visibly there."""
    return _UNSHOWN.sub("\ufffd", text)


@dataclass(frozen=True)
class Block:
    """A paragraph of already localized text. Transports escape it; `style` says how to show it. Whatever
    a person named in it is shown, never run (`shown`): every transport gets it so, the console too."""

    text: str
    style: BlockStyle = "text"

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", shown(self.text))


@dataclass(frozen=True)
class Button:
    """Pressing it runs `command` with the single argument `arg` (an id): state lives in the database.

    Checked when it is made, so no command can ever build a button a platform refuses to send: `arg` is a short
    ASCII token (digits, a slug, `[A-Za-z0-9._-]`) and `command:arg` fits Telegram's 64 bytes. A domain name,
    an address or any free text belongs in the database, behind an id. Raises `ValueError` (a programming error,
    reported with a reference like any other).
    """

    label: str
    command: str
    arg: str = ""
    style: Literal["primary", "danger"] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "label", shown(self.label))
        if not _BUTTON_COMMAND.fullmatch(self.command):
            raise ValueError(f"a button runs a command by its name, not {self.command[:40]!r}")
        if not _BUTTON_ARG.fullmatch(self.arg):
            raise ValueError(f"the button for /{self.command} must carry an id (ASCII letters, digits, . _ -)")
        size = len(self.command) + 1 + len(self.arg)  # ASCII only: characters are bytes
        if size > BUTTON_DATA_MAX_BYTES:
            raise ValueError(
                f"the button for /{self.command} carries {size} bytes, Telegram keeps {BUTTON_DATA_MAX_BYTES}: "
                "a button must carry a short id"
            )


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
    # A page of a listing (its ◀ ▶ buttons run the same command): a press on one of them shows the page in place
    # of the message pressed, where the platform can (Telegram edits it; Slack replaces any message with buttons).
    in_place: bool = False
    # Rows of `buttons` shown right after a block, where the platform places buttons among text (Slack): row
    # index → block index. A list of items each with its own buttons (/approvals) keeps each row by its item;
    # other rows, and every row in Telegram (its keyboard hangs under the message), come after all the text.
    anchors: dict[int, int] = field(default_factory=dict)

    def add(self, text: str, style: BlockStyle = "text") -> Reply:
        self.blocks.append(Block(text, style))
        return self

    def add_item(self, text: str, row: list[Button]) -> Reply:
        """A block with its own row of buttons, shown under it where the platform can (`anchors`)."""
        self.add(text)
        self.anchors[len(self.buttons)] = len(self.blocks) - 1
        self.buttons.append(row)
        return self

    def plain_text(self) -> str:
        """The reply as plain text: the console's rendering and the content every transport must carry."""
        return "\n\n".join(b.text for b in self.blocks)

"""Reply → Telegram: HTML messages within Telegram's length limit and an inline keyboard of `command:arg` buttons.

Pure functions over plain values, so every limit is checked by unit tests without a bot.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from engine.reply import Attachment, Block, Button, Reply

MESSAGE_LIMIT = 4096  # Telegram's longest message text, in UTF-16 code units (JavaScript string length)
CALLBACK_DATA_LIMIT = 64  # bytes of callback_data Telegram keeps for one button
COMMAND_DESCRIPTION_LIMIT = 256  # characters of a command's description in the menu
ERROR_MARK = "⚠️ "
CANCEL = "cancel"  # the transport's own command: a pending question is Telegram state, not a registered command

_TAGS = {"title": ("<b>", "</b>"), "pre": ("<pre>", "</pre>"), "text": ("", ""), "error": ("", "")}


@dataclass(frozen=True)
class Rendered:
    """What to send for one Reply: the text messages in order (the keyboard goes on the last), then the files."""

    texts: list[str]
    keyboard: dict[str, Any] | None  # the Bot API's InlineKeyboardMarkup as JSON: {"inline_keyboard": [[button]]}
    files: list[Attachment]


def render(reply: Reply, limit: int = MESSAGE_LIMIT) -> Rendered:
    """Escape and format every block, pack the blocks into as few messages as fit, build the keyboard.

    Raises `ValueError` for a reply that cannot be shown (buttons without text, callback data over 64 bytes):
    both are programming errors in a command, caught by its tests.
    """
    texts = _pack(reply.blocks, limit)
    keyboard = _keyboard(reply.buttons)
    if keyboard is not None and not texts:
        raise ValueError("a reply with buttons needs text to carry them")
    return Rendered(texts, keyboard, list(reply.files))


def callback_data(button: Button) -> str:
    """`command:arg`, which a press runs through the runner. Longer than Telegram keeps is a programming error."""
    data = f"{button.command}:{button.arg}"
    size = len(data.encode())
    if size > CALLBACK_DATA_LIMIT:
        raise ValueError(
            f"callback data of the button for /{button.command} is {size} bytes, Telegram keeps {CALLBACK_DATA_LIMIT}: "
            "a button must carry an id"
        )
    return data


def parse_callback_data(data: str) -> tuple[str, list[str]]:
    """`command:arg` → the command's name and its words (none when the button has no argument)."""
    name, _, arg = data.partition(":")
    return name, [arg] if arg else []


def utf16_length(text: str) -> int:
    """Length as Telegram counts it: characters outside the BMP (most emoji) take two units."""
    return len(text.encode("utf-16-le")) // 2


def shortened(text: str, limit: int) -> str:
    """`text` within `limit` UTF-16 units: whole when it fits, else cut between characters (never inside a
    surrogate pair) and ended by "…"."""
    if utf16_length(text) <= limit:
        return text
    kept: list[str] = []
    used = 1  # the ellipsis
    for char in text:
        used += utf16_length(char)
        if used > limit:
            break
        kept.append(char)
    return "".join(kept) + "…"


def _keyboard(rows: list[list[Button]]) -> dict[str, Any] | None:
    buttons = [[_button(b) for b in row] for row in rows if row]
    return {"inline_keyboard": buttons} if buttons else None


def _button(button: Button) -> dict[str, str]:
    data = {"text": button.label, "callback_data": callback_data(button)}
    if button.style:
        data["style"] = button.style
    return data


def _pack(blocks: list[Block], limit: int) -> list[str]:
    """Fill messages block by block, blocks apart by a blank line. A block that fits a message is never split;
    a longer one fills the rest of the current message and continues in the next, cut only between lines, its
    tag closed and reopened, so a cut never falls inside a tag or an entity. A title stays with what follows it:
    one that would end a message, its section beginning the next, begins the next itself."""
    messages: list[str] = []
    current = ""
    shown = [block for block in blocks if block.text.strip()]
    for position, block in enumerate(shown):
        opening, closing = _TAGS[block.style]
        mark = ERROR_MARK if block.style == "error" else ""
        overhead = utf16_length(mark + opening + closing)
        lines = list(_escaped_lines(block.text, limit - overhead))
        whole = _fitting(lines, limit - overhead) == len(lines)
        if current and block.style == "title" and whole and position + 1 < len(shown):
            title = overhead + utf16_length("\n".join(lines))
            if utf16_length(current) + 2 + title + 2 + _opening_size(shown[position + 1], limit) > limit:
                messages.append(current)  # the title and the start of its section go on together
                current = ""
        while lines:
            head = current + "\n\n" if current else ""
            count = _fitting(lines, limit - utf16_length(head) - overhead)
            if current and (count == 0 or (whole and count < len(lines))):
                messages.append(current)  # the block starts the next message
                current = ""
                continue
            current = head + mark + opening + "\n".join(lines[:count]) + closing
            lines = lines[count:]
            mark, overhead = "", overhead - utf16_length(mark)  # the warning sign marks a block once
            if lines:
                messages.append(current)
                current = ""
    return [*messages, current] if current else messages


def _opening_size(block: Block, limit: int) -> int:
    """What of `block` must follow its title in the same message: all of it when it fits a message (it is never
    split then), else its first line (it fills the rest of the message and goes on in the next)."""
    opening, closing = _TAGS[block.style]
    overhead = utf16_length((ERROR_MARK if block.style == "error" else "") + opening + closing)
    lines = list(_escaped_lines(block.text, limit - overhead))
    shown = lines if _fitting(lines, limit - overhead) == len(lines) else lines[:1]
    return overhead + utf16_length("\n".join(shown))


def _fitting(lines: list[str], room: int) -> int:
    """How many leading lines, joined by newlines, fit in `room`."""
    used = -1
    for count, line in enumerate(lines):
        used += 1 + utf16_length(line)
        if used > room:
            return count
    return len(lines)


def _escaped_lines(text: str, budget: int) -> Iterator[str]:
    """Escaped lines; a line longer than the budget is cut between characters, before escaping."""
    for line in text.split("\n"):
        whole = html.escape(line, quote=False)  # quotes are only special inside attributes, and we write none
        if utf16_length(whole) <= budget:
            yield whole
            continue
        piece: list[str] = []
        used = 0
        for char in line:
            escaped = html.escape(char, quote=False)
            size = utf16_length(escaped)
            if used + size > budget:
                yield "".join(piece)
                piece, used = [], 0
            piece.append(escaped)
            used += size
        yield "".join(piece)

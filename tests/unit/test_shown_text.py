"""What a person named is shown, never run: control characters and bidirectional overrides reach no chat and no
terminal, through every renderer."""

from __future__ import annotations

import json

from bot.console import render_text
from bot.slack.render import render as slack_render
from bot.telegram.render import render as telegram_render
from engine.reply import Button, Reply

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: the rest of the line is drawn backwards
ACTING = [RLO, "\u202a", "\u202d", "\u2066", "\u2069", "\x1b", "\x00", "\x07", "\x7f", "\x9b", "\x0b"]


def hostile_reply() -> Reply:
    name = f"invoice{RLO}fdp.exe \x1b]0;owned\x07\x1b[2J\x9b31m"
    reply = Reply().add(f"Campaign «{name}» created: add a step with /step", "title")
    reply.add(f"«{name}» 🧑🏽‍💻 a\u200db", "text").add(f"{name}\tsent", "pre").add(f"No «{name}»", "error")
    reply.buttons.append([Button(f"Open {name}", "campaign", "12")])
    return reply


def test_no_renderer_passes_an_override_or_a_control_character() -> None:
    """A campaign or file name with U+202E turned the rest of our line around it backwards ("…created: add a
    step" read right to left), and in the console an escape sequence in a lead's name was run by the terminal
    (a window title set, the screen cleared)."""
    shown = [
        *telegram_render(hostile_reply()).texts,
        json.dumps(telegram_render(hostile_reply()).keyboard, ensure_ascii=False),
        *(json.dumps([m.blocks, m.text], ensure_ascii=False) for m in slack_render(hostile_reply())),
        render_text(hostile_reply()),
    ]
    for text in shown:
        assert not [ch for ch in ACTING if ch in text], text
        assert "invoice\ufffdfdp.exe" in text  # visibly there, in its place


def test_line_ends_tabs_and_joiners_are_kept() -> None:
    """Only what acts on the display goes: an emoji's zero-width joiner and skin tone, tabs and lines stay."""
    text = "a\tb\nc\r\n🧑🏽‍💻 x\u200dy \u200f"
    assert Reply().add(text).blocks[0].text == text

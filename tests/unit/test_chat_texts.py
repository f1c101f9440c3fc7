"""What the chat says about a command's arguments reads right in both languages, whatever the numbers."""

from __future__ import annotations

import pytest

from bot.command import commands
from engine.i18n import translator

RU = translator("ru")


@pytest.mark.parametrize(("length", "limit"), [(41, 40), (33, 32), (65, 64), (22, 21), (4002, 4000)])
def test_a_value_too_long_is_counted_in_russian_without_a_wrong_plural(length: int, limit: int) -> None:
    params = {"value": "x", "arg": "имя", "command": "use", "usage": "/use acme"}
    for key in ("error-arg-too-long", "error-text-too-long"):
        text = RU(key, length=str(length), limit=str(limit), **params)
        assert str(length) in text and str(limit) in text
        for number in (length, limit):  # "41 символов", "32 символов" are wrong; no unit after a number is safe
            assert f"{number} символ" not in text, text


def test_every_example_is_a_real_call_not_a_placeholder() -> None:
    """Examples are shown as they are, in either language: `/start <invite-code>` read as English in Russian."""
    for cmd in commands():
        assert "<" not in cmd.example and ">" not in cmd.example, f"/{cmd.name}: {cmd.example}"

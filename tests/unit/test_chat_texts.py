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


@pytest.mark.parametrize(
    ("key", "params", "expected"),
    [
        ("capacity-fits", {"emails": 1, "weeks": 1, "available": 980}, "1 письмо влезает"),
        ("capacity-fits", {"emails": 3, "weeks": 1, "available": 980}, "3 письма влезают"),
        ("capacity-fits", {"emails": 21, "weeks": 1, "available": 980}, "21 письмо влезает"),
        ("capacity-fits", {"emails": 600, "weeks": 1, "available": 980}, "600 писем влезают"),
        ("capacity-short", {"emails": 1, "weeks": 1, "available": 0}, "1 письмо не влезает"),
        ("capacity-short", {"emails": 12000, "weeks": 1, "available": 980}, "12 000 писем не влезают"),
        ("capacity-short", {"emails": 1002, "weeks": 2, "available": 980}, "1 002 письма не влезают"),
        ("warmup-placement", {"percent": 95, "sample": 21}, "из 21 письма за"),
        ("warmup-placement", {"percent": 95, "sample": 40}, "из 40 писем за"),
        ("warmup-placement-none", {"sample": 1, "needed": 20}, "(1 письмо из 20 нужных)"),
        ("warmup-placement-none", {"sample": 3, "needed": 20}, "(3 письма из 20 нужных)"),
        ("warmup-placement-none", {"sample": 11, "needed": 20}, "(11 писем из 20 нужных)"),
    ],
)
def test_counted_emails_agree_with_their_number_in_russian(key: str, params: dict[str, int], expected: str) -> None:
    """'/capacity 1 1' read '✅ 1 писем влезают', '/warmup' 'из 21 писем': the noun now follows the number."""
    assert expected in RU(key, **params).replace("\u00a0", " ")

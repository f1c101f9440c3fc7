"""Extra headers a row's message gets (the warmup marker): added on top, and never a way to inject a header."""

from __future__ import annotations

import datetime as dt

import pytest

from engine.clock import FrozenClock
from engine.mail.message import MessageSpec, build_message
from engine.sending.outbox import with_headers

CLOCK = FrozenClock(dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC))
BUILT = build_message(MessageSpec("anna@alpha.test", "bob@beta.test", "Lunch?", "Thursday?\n"), CLOCK)


def test_headers_are_added_on_top_of_the_header_block() -> None:
    marked = with_headers(BUILT, [("X-Mf-Check", "a1b2c3")])
    assert marked.data == b"X-Mf-Check: a1b2c3\r\n" + BUILT.data
    assert (marked.message_id, marked.sender, marked.recipient) == (BUILT.message_id, BUILT.sender, BUILT.recipient)
    assert with_headers(BUILT, []) is BUILT


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("X-Ok", "v\r\nBcc: victim@example.com"),
        ("X-Ok", "v\nX-Evil: 1"),
        ("X-Bad:Name", "v"),
        ("X Bad", "v"),
        ("X-Ok", ""),
        ("X-Ok", "кириллица"),
    ],
)
def test_anything_that_could_inject_or_break_a_header_is_refused(name: str, value: str) -> None:
    with pytest.raises(ValueError, match="refused extra header"):
        with_headers(BUILT, [(name, value)])

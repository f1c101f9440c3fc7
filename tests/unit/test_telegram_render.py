"""The Telegram renderer and client policy without a bot: escaping, styles, the 4,096 split, callback data,
the command menu, flood control, the language a person is spoken to in, settings → transport."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import SendMessage, TelegramMethod
from aiogram.types import InlineKeyboardMarkup
from hypothesis import given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from bot.runner import Runner
from bot.telegram.client import RetryAfter
from bot.telegram.notifier import TelegramNotifier
from bot.telegram.render import (
    CALLBACK_DATA_LIMIT,
    ERROR_MARK,
    MESSAGE_LIMIT,
    callback_data,
    parse_callback_data,
    render,
    shortened,
    utf16_length,
)
from bot.telegram.transport import CLOUD_DOWNLOAD_BYTES, TelegramTransport
from engine.clock import SystemClock
from engine.i18n import spoken
from engine.reply import Attachment, Button, Reply
from engine.settings import Settings

TOKEN = "123456789:TESTaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
_TAG = re.compile(r"<[^>]+>")
_BROKEN_ENTITY = re.compile(r"&(?!(amp|lt|gt);)")


def visible(text: str) -> str:
    return html.unescape(_TAG.sub("", text))


class _Tags(HTMLParser):
    """Fails on a tag closed that was not open; `open` lists what is left open."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open.pop() == tag, f"</{tag}> closes nothing"


def assert_well_formed(message: str) -> None:
    tags = _Tags()
    tags.feed(message)
    tags.close()
    assert tags.open == [], message
    assert not _BROKEN_ENTITY.search(message), message


def test_every_text_is_escaped_and_styled() -> None:
    reply = (
        Reply().add("Fleet <b>&", "title").add("a < b & c > d \"q\" 'q'").add("<pre> x", "pre").add("boom <x>", "error")
    )
    assert render(reply).texts == [
        "<b>Fleet &lt;b&gt;&amp;</b>\n\n"
        "a &lt; b &amp; c &gt; d \"q\" 'q'\n\n"
        "<pre>&lt;pre&gt; x</pre>\n\n"
        f"{ERROR_MARK}boom &lt;x&gt;"
    ]


def test_blank_blocks_are_left_out_and_files_pass_through() -> None:
    csv = Attachment("report.csv", b"a,b\n")
    reply = Reply(files=[csv]).add("  \n ").add("only this")
    rendered = render(reply)
    assert (rendered.texts, rendered.keyboard, rendered.files) == (["only this"], None, [csv])


def test_buttons_become_an_inline_keyboard_of_command_arg() -> None:
    reply = Reply().add("Request #17")
    reply.buttons = [[Button("Approve", "approve", "17", "primary"), Button("Reject", "reject", "17", "danger")]]
    reply.buttons.append([Button("Help", "help")])
    keyboard = render(reply).keyboard
    assert keyboard is not None
    rows = [[(b["text"], b["callback_data"], b.get("style")) for b in row] for row in keyboard["inline_keyboard"]]
    decision = [("Approve", "approve:17", "primary"), ("Reject", "reject:17", "danger")]
    assert rows == [decision, [("Help", "help:", None)]]
    assert InlineKeyboardMarkup.model_validate(keyboard).inline_keyboard[0][1].style == "danger"  # what aiogram takes


def test_callback_data_over_64_bytes_is_a_programming_error() -> None:
    fits = Button("x", "approve", "1" * (CALLBACK_DATA_LIMIT - len("approve:")))
    assert len(callback_data(fits).encode()) == CALLBACK_DATA_LIMIT
    # the button refuses to exist, so no command can reach Telegram with it
    with pytest.raises(ValueError, match="65 bytes"):
        Button("x", "approve", "1" * (CALLBACK_DATA_LIMIT - len("approve:") + 1))
    with pytest.raises(ValueError, match="must carry an id"):  # a name (Cyrillic: two bytes a letter) is no id
        Button("x", "use", "я" * 31)


def test_a_keyboard_needs_text_to_carry_it() -> None:
    with pytest.raises(ValueError, match="needs text"):
        render(Reply(buttons=[[Button("x", "help")]]))


@pytest.mark.parametrize(
    ("data", "parsed"),
    [("approve:17", ("approve", ["17"])), ("help:", ("help", [])), ("use:a:b", ("use", ["a:b"])), ("", ("", []))],
)
def test_callback_data_parses_back_to_a_command_and_its_words(data: str, parsed: tuple[str, list[str]]) -> None:
    assert parse_callback_data(data) == parsed


def test_length_is_counted_as_telegram_counts_it() -> None:
    assert (utf16_length("я"), utf16_length("😀"), utf16_length(ERROR_MARK)) == (1, 2, 3)


def test_shortened_counts_utf16_units_and_never_cuts_an_emoji_in_two() -> None:
    assert shortened("я" * 10, 10) == "я" * 10
    assert shortened("😀" * 10, 10) == "😀" * 4 + "…"  # 8 units and the ellipsis: a fifth emoji would need 2
    assert shortened("a" + "😀" * 10, 4) == "a😀…"
    assert all(utf16_length(shortened("a😀" * 50, n)) <= n for n in range(1, 60))


def test_a_long_pre_block_is_split_on_lines_with_its_tag_reopened() -> None:
    lines = [f"{n:03} a<b>&c" for n in range(50)]
    texts = render(Reply().add("Report", "title").add("\n".join(lines), "pre"), limit=200).texts
    assert len(texts) > 2
    for text in texts:
        assert utf16_length(text) <= 200
        assert_well_formed(text)
    assert texts[0].startswith("<b>Report</b>\n\n<pre>")
    assert all(t.startswith("<pre>") and t.endswith("</pre>") for t in texts[1:])
    assert [line for t in texts for line in visible(t).split("\n")][2:] == lines


def test_a_line_longer_than_a_message_is_cut_between_characters_not_inside_an_entity() -> None:
    line = "&<>😀я" * 2000
    texts = render(Reply().add(line, "error")).texts
    assert len(texts) > 1
    assert all(utf16_length(t) <= MESSAGE_LIMIT for t in texts)
    assert all(not _BROKEN_ENTITY.search(t) for t in texts)
    assert texts[0].startswith(ERROR_MARK) and not texts[1].startswith(ERROR_MARK)
    assert "".join(visible(t) for t in texts) == ERROR_MARK + line


def test_a_title_that_would_end_a_message_begins_the_next_with_its_section() -> None:
    reply = Reply().add("a" * 80).add("Section", "title").add("b" * 30)
    assert render(reply, limit=100).texts == ["a" * 80, "<b>Section</b>\n\n" + "b" * 30]
    longer = Reply().add("a" * 80).add("Section", "title").add("\n".join(["c" * 40] * 5))  # more than a message
    first, *rest = render(longer, limit=100).texts
    assert first == "a" * 80 and rest[0].startswith("<b>Section</b>\n\n" + "c" * 40)
    fits = Reply().add("a" * 40).add("Section", "title").add("b" * 30)  # room for both: nothing moves
    assert render(fits, limit=100).texts == ["a" * 40 + "\n\n<b>Section</b>\n\n" + "b" * 30]


_text = st.text(alphabet=st.sampled_from(list("ab <>&\"'\nя😀")), max_size=300)
_blocks = st.lists(st.tuples(_text, st.sampled_from(["title", "text", "pre", "error"])), max_size=6)


@settings(max_examples=200, deadline=None)
@given(blocks=_blocks, limit=st.integers(min_value=30, max_value=400))
def test_any_reply_splits_into_well_formed_messages_within_the_limit(blocks: list[tuple[str, Any]], limit: int) -> None:
    reply = Reply()
    for text, style in blocks:
        reply.add(text, style)
    texts = render(reply, limit=limit).texts
    for text in texts:
        assert 0 < utf16_length(text) <= limit
        assert_well_formed(text)
    shown = "".join(visible(t) for t in texts).replace(ERROR_MARK, "").replace("\n", "")
    assert shown == "".join(text for text, _ in blocks if text.strip()).replace("\n", "")


class _Flood:
    """make_request that answers 429 `times` times, then succeeds."""

    def __init__(self, times: int, retry_after: int) -> None:
        self.times = times
        self.retry_after = retry_after
        self.calls = 0

    async def __call__(self, bot: Any, method: TelegramMethod[Any]) -> Any:
        self.calls += 1
        if self.calls <= self.times:
            raise TelegramRetryAfter(method=method, message="Too Many Requests", retry_after=self.retry_after)
        return "sent"


async def _with_retries(flood: _Flood, **options: Any) -> tuple[Any, list[float]]:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    result = await RetryAfter(sleep=sleep, **options)(flood, None, SendMessage(chat_id=1, text="hi"))  # type: ignore[arg-type]
    return result, slept


async def test_flood_control_waits_as_told_and_tries_again() -> None:
    flood = _Flood(times=2, retry_after=3)
    assert await _with_retries(flood, attempts=3) == ("sent", [3, 3])
    assert flood.calls == 3


async def test_flood_control_gives_up_after_the_attempts_or_a_long_wait() -> None:
    with pytest.raises(TelegramRetryAfter):
        await _with_retries(_Flood(times=3, retry_after=1), attempts=3)
    flood = _Flood(times=1, retry_after=600)
    with pytest.raises(TelegramRetryAfter):
        await _with_retries(flood, max_wait_s=30)
    assert flood.calls == 1


@pytest.mark.parametrize(
    ("code", "default", "expected"),
    [("en-US", "ru", "en"), ("ru", "en", "ru"), ("de", "en", "en"), ("de", "ru", "ru"), (None, "en", "en")],
)
def test_people_are_spoken_to_in_their_telegram_language_or_the_default(
    code: str | None, default: str, expected: str
) -> None:
    assert spoken(code, default) == expected


def _settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **{"telegram_api_base": "http://127.0.0.1:9", **values})  # type: ignore[call-arg]


def test_settings_describe_the_transport_or_none() -> None:
    runner = Runner(SystemClock())
    redis = Redis()
    assert TelegramTransport.from_settings(runner, _settings(), redis) is None
    assert TelegramTransport.from_settings(runner, _settings(telegram_token=TOKEN, telegram_mode="off"), redis) is None
    transport = TelegramTransport.from_settings(
        runner, _settings(telegram_token=TOKEN, telegram_webhook_secret="s3cret", default_locale="en"), redis
    )
    assert transport is not None
    assert transport.bot.token == TOKEN
    assert transport.bot.session.api.api_url(TOKEN, "getMe").startswith("http://127.0.0.1:9/bot")
    # Telegram's own server lets a bot download 20 MB; a self-hosted one (or the emulator) is not so limited
    assert transport.dispatcher.workflow_data["download_limit"] is None
    cloud = TelegramTransport.from_settings(
        runner, _settings(telegram_token=TOKEN, telegram_api_base="https://api.telegram.org"), redis
    )
    assert cloud is not None and cloud.dispatcher.workflow_data["download_limit"] == CLOUD_DOWNLOAD_BYTES == 20 * 2**20
    assert TelegramNotifier.from_settings(_settings()) is None
    notifier = TelegramNotifier.from_settings(_settings(telegram_token=TOKEN))
    assert notifier is not None and notifier.api._url == f"http://127.0.0.1:9/bot{TOKEN}/"

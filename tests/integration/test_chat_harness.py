"""Proves the chat harness: a throwaway aiogram bot against the Telegram emulator, a throwaway bolt app against
the Slack Web API stand-in, each over real loopback sockets."""

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F
from aiogram.client.session.middlewares.base import NextRequestMiddlewareType
from aiogram.exceptions import TelegramBadRequest, TelegramNotFound
from aiogram.filters import CommandObject, CommandStart
from aiogram.methods import GetUpdates, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.harness.slackapi import (
    CHANNEL_ID,
    SlackAPI,
    block_actions_body,
    serve,
    signed_headers,
    slash_command_body,
)
from tests.harness.telegram import (
    TelegramEmulator,
    TelegramEmulatorError,
    TelegramUser,
    new_bot_token,
)

SIGNING_SECRET = "harness-signing-secret"
KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[
        [
            InlineKeyboardButton(text="Pause", callback_data="campaign:pause"),
            InlineKeyboardButton(text="Docs", url="https://example.test/docs"),
        ]
    ]
)


def build_dispatcher() -> Dispatcher:
    """A tiny bot: /start with a keyboard, a button that edits its message, CSV uploads measured."""
    dp = Dispatcher()

    @dp.message(CommandStart())
    async def start(message: Message, command: CommandObject) -> None:
        await message.answer(f"Welcome! Campaign {command.args}", reply_markup=KEYBOARD)

    @dp.callback_query(F.data == "campaign:pause")
    async def pause(query: CallbackQuery) -> None:
        assert isinstance(query.message, Message)
        await query.message.edit_text("Paused")
        await query.answer("Campaign paused", show_alert=True)

    @dp.message(F.document)
    async def document(message: Message, bot: Bot) -> None:
        assert message.document is not None
        downloaded = await bot.download(message.document)
        assert downloaded is not None
        content = downloaded.read()
        rows = content.decode().count("\n")
        await message.reply(f"{message.document.file_name}: {len(content)} bytes, {rows} lines")

    return dp


@dataclass
class TelegramRig:
    """A polling bot and the user talking to it."""

    bot: Bot
    user: TelegramUser
    get_updates_calls: list[float]


@pytest.fixture(scope="module")
def emulator() -> Iterator[TelegramEmulator]:
    with TelegramEmulator() as emu:
        yield emu


@pytest.fixture
async def telegram(emulator: TelegramEmulator) -> AsyncIterator[TelegramRig]:
    token = new_bot_token()
    bot = Bot(token, session=emulator.bot_session())
    calls: list[float] = []

    @bot.session.middleware
    async def count_polls(
        make_request: NextRequestMiddlewareType[TelegramType], bot: Bot, method: TelegramMethod[TelegramType]
    ) -> Any:
        if isinstance(method, GetUpdates):
            calls.append(time.monotonic())
        return await make_request(bot, method)

    dp = build_dispatcher()
    started = asyncio.Event()
    dp.startup.register(started.set)
    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False))
    await asyncio.wait_for(started.wait(), 5)
    async with TelegramUser(emulator, token, language_code="ru") as user:
        yield TelegramRig(bot, user, calls)
    await dp.stop_polling()
    await polling


async def test_start_command_answers_with_inline_keyboard(telegram: TelegramRig) -> None:
    await telegram.user.send_command("/start camp42")
    [reply] = await telegram.user.wait_replies()
    assert reply.text == "Welcome! Campaign camp42"
    assert [b["text"] for b in reply.buttons] == ["Pause", "Docs"]
    assert reply.callback_data("Pause") == "campaign:pause"
    assert reply.message["from"]["is_bot"] is True


async def test_button_press_edits_message_and_answers_query(telegram: TelegramRig) -> None:
    await telegram.user.send_command("/start")
    [menu] = await telegram.user.wait_replies()
    query_id = await telegram.user.press(menu.callback_data("Pause"), menu)
    [edited] = await telegram.user.wait_replies()
    assert (edited.message_id, edited.text, edited.edited) == (menu.message_id, "Paused", True)
    assert edited.method == "editMessageText"
    assert edited.reply_markup is None  # editMessageText without reply_markup drops the keyboard, as on Telegram
    answer = await telegram.user.wait_callback_answer(query_id)
    assert answer["text"] == "Campaign paused"
    assert answer["show_alert"] is True
    with pytest.raises(TelegramEmulatorError, match="no inline button"):
        await telegram.user.press("campaign:resume", menu)


async def test_csv_upload_is_downloaded_by_the_bot(telegram: TelegramRig) -> None:
    csv = b"email,name\nann@a.test,Ann\nbob@b.test,Bob\n"
    sent_id = await telegram.user.upload_document("лиды.csv", csv, caption="new leads")
    [reply] = await telegram.user.wait_replies()
    assert reply.text == f"лиды.csv: {len(csv)} bytes, 3 lines"
    assert reply.message["reply_to_message"]["message_id"] == sent_id
    assert reply.message["reply_to_message"]["document"]["mime_type"] == "text/csv"


async def test_bot_document_reaches_the_user(telegram: TelegramRig) -> None:
    report = "домен,отправлено\nalpha.test,120\n".encode()
    await telegram.bot.send_document(
        telegram.user.chat_id, BufferedInputFile(report, filename="отчёт.csv"), caption="Weekly report"
    )
    [message] = await telegram.user.wait_replies()
    assert message.method == "sendDocument"
    assert message.caption == "Weekly report"
    assert message.document is not None
    assert (message.document["file_name"], message.document["mime_type"]) == ("отчёт.csv", "text/csv")
    assert await telegram.user.download(message) == report


async def test_long_polling_waits_instead_of_spinning(telegram: TelegramRig) -> None:
    await telegram.user.send_text("nothing handles plain text")
    await telegram.user.assert_no_replies(within=0.5)
    polls_before = len(telegram.get_updates_calls)
    await asyncio.sleep(0.5)
    assert len(telegram.get_updates_calls) - polls_before <= 1


async def test_emulator_errors_are_bot_api_shaped(telegram: TelegramRig) -> None:
    chat_id = telegram.user.chat_id
    with pytest.raises(TelegramNotFound, match="not implemented"):
        await telegram.bot.send_photo(chat_id, "AgACAgIAAx-missing")
    too_long = InlineKeyboardButton(text="x", callback_data="x" * 65)
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await telegram.bot.send_message(chat_id, "hi", reply_markup=InlineKeyboardMarkup(inline_keyboard=[[too_long]]))
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await telegram.bot.send_message(chat_id, "x" * 4097)
    sent = await telegram.bot.send_message(chat_id, "same")
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await telegram.bot.edit_message_text("same", chat_id=chat_id, message_id=sent.message_id)
    assert await telegram.bot.set_my_commands([]) is True
    assert await telegram.bot.send_chat_action(chat_id, "typing") is True


def build_slack_app(api: SlackAPI) -> AsyncApp:
    """A tiny bolt app: /fleet posts a status message, the Pause button answers through response_url."""
    app = AsyncApp(
        signing_secret=SIGNING_SECRET,
        client=AsyncWebClient(token="xoxb-harness", base_url=api.base_url),
    )

    @app.command("/fleet")
    async def fleet(ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient) -> None:
        await ack("Working on it")
        await client.chat_postMessage(channel=command["channel_id"], text=f"Fleet: {command['text']}")

    @app.action("pause")
    async def pause(ack: AsyncAck, respond: AsyncRespond, action: dict[str, Any]) -> None:
        await ack()
        await respond(text=f"Paused {action['value']}", replace_original=True)

    return app


@dataclass
class SlackRig:
    """The Web API stand-in, the bolt app's events URL and a client to post signed requests with."""

    api: SlackAPI
    events_url: str
    http: aiohttp.ClientSession

    async def post(self, body: str, headers: dict[str, str]) -> tuple[int, str]:
        async with self.http.post(self.events_url, data=body, headers=headers) as resp:
            return resp.status, await resp.text()


@pytest.fixture
async def slack() -> AsyncIterator[SlackRig]:
    async with SlackAPI() as api, serve(build_slack_app(api).web_app()) as url, aiohttp.ClientSession() as http:
        yield SlackRig(api, f"{url}/slack/events", http)


async def test_signed_slash_command_posts_a_message(slack: SlackRig) -> None:
    body = slash_command_body("/fleet", "status", response_url=slack.api.response_url())
    status, text = await slack.post(body, signed_headers(SIGNING_SECRET, body))
    assert (status, "Working on it" in text) == (200, True)
    call = await slack.api.wait_call("chat.postMessage")
    assert (call.params["channel"], call.params["text"], call.token) == (CHANNEL_ID, "Fleet: status", "xoxb-harness")
    assert [c.method for c in slack.api.calls] == ["auth.test", "chat.postMessage"]


async def test_signed_button_click_answers_through_response_url(slack: SlackRig) -> None:
    body = block_actions_body("pause", "alpha.test", response_url=slack.api.response_url("click"))
    status, _ = await slack.post(body, signed_headers(SIGNING_SECRET, body))
    assert status == 200
    posted = await slack.api.wait_response()
    assert posted.key == "click"
    assert posted.body["text"] == "Paused alpha.test"
    assert posted.body["replace_original"] is True


async def test_forged_or_stale_requests_are_rejected(slack: SlackRig) -> None:
    body = slash_command_body("/fleet", "status", response_url=slack.api.response_url())
    forged = signed_headers("not-the-secret", body)
    stale = signed_headers(SIGNING_SECRET, body, timestamp=int(time.time()) - 5 * 60 - 10)
    assert (await slack.post(body, forged))[0] == 401
    assert (await slack.post(body, stale))[0] == 401
    assert slack.api.calls == []


async def test_web_api_stand_in_covers_the_products_methods(slack: SlackRig) -> None:
    client = AsyncWebClient(token="xoxb-harness", base_url=slack.api.base_url)
    posted = await client.chat_postMessage(channel=CHANNEL_ID, text="v1")
    updated = await client.chat_update(channel=CHANNEL_ID, ts=posted["ts"], text="v2")
    assert updated["message"]["text"] == "v2"
    assert (await client.chat_postEphemeral(channel=CHANNEL_ID, user="U0TESTER", text="psst"))["ok"]
    assert (await client.conversations_info(channel=CHANNEL_ID))["channel"]["id"] == CHANNEL_ID
    slack.api.users["U0ANN"] = {"id": "U0ANN", "name": "ann", "profile": {"email": "ann@a.test"}}
    assert (await client.users_info(user="U0ANN"))["user"]["profile"]["email"] == "ann@a.test"

    upload = await client.files_upload_v2(
        channel=CHANNEL_ID, content=b"domain,sent\n", filename="report.csv", title="Report", initial_comment="here"
    )
    stored = slack.api.files[upload["file"]["id"]]
    assert (stored.content, stored.title, stored.channel_id) == (b"domain,sent\n", "Report", CHANNEL_ID)
    assert [c.method for c in slack.api.calls[-3:]] == [
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]

    slack.api.fail_next("chat.postMessage", "channel_not_found")
    with pytest.raises(SlackApiError, match="channel_not_found"):
        await client.chat_postMessage(channel="C0GONE", text="x")

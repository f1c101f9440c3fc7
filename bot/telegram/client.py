"""The transport's Bot API client: the aiogram Bot (HTML by default, flood control honoured) and sending a Reply.

Notifications go through `bot.telegram.notifier`, which needs no aiogram."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import BufferedInputFile, ForceReply, InlineKeyboardMarkup, Message, ReplyParameters

from bot.telegram.notifier import RETRY_ATTEMPTS, RETRY_MAX_WAIT_S
from bot.telegram.render import render
from engine.logging import get_logger
from engine.reply import Reply

log = get_logger(__name__)


class RetryAfter(BaseRequestMiddleware):
    """On 429 Telegram says how many seconds to wait: wait that long and try again, a bounded number of times."""

    def __init__(
        self,
        *,
        attempts: int = RETRY_ATTEMPTS,
        max_wait_s: float = RETRY_MAX_WAIT_S,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.attempts = attempts
        self.max_wait_s = max_wait_s
        self._sleep = sleep

    async def __call__(
        self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot, method: TelegramMethod[TelegramType]
    ) -> Response[TelegramType]:
        attempt = 1
        while True:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                if attempt >= self.attempts or exc.retry_after > self.max_wait_s:
                    raise
                log.warning(
                    "telegram flood control",
                    method=type(method).__name__,
                    retry_after_s=exc.retry_after,
                    attempt=attempt,
                )
                await self._sleep(exc.retry_after)
                attempt += 1


def create_bot(token: str, api_base: str) -> Bot:
    """A Bot for `token` on the Bot API server at `api_base` (Telegram's, a self-hosted one, or the test emulator).

    The token ends up in every request URL: nothing here logs URLs.
    """
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_base))
    session.middleware(RetryAfter())
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


async def send_reply(
    bot: Bot, chat_id: int | str, reply: Reply, *, reply_to: int | None = None, force_reply: ForceReply | None = None
) -> list[Message]:
    """Post a Reply: its text messages (the keyboard on the last one), then its files as documents. `reply_to`:
    the first message replies to that one (if it still exists); `force_reply`: the last message asks for a reply
    (when it carries no buttons: a message has one keyboard)."""
    rendered = render(reply)
    keyboard: InlineKeyboardMarkup | ForceReply | None = (
        InlineKeyboardMarkup.model_validate(rendered.keyboard) if rendered.keyboard else force_reply
    )
    quoted = ReplyParameters(message_id=reply_to, allow_sending_without_reply=True) if reply_to else None
    sent = [
        await bot.send_message(
            chat_id,
            text,
            reply_markup=keyboard if i == len(rendered.texts) - 1 else None,
            reply_parameters=quoted if i == 0 else None,
        )
        for i, text in enumerate(rendered.texts)
    ]
    for item in rendered.files:
        sent.append(await bot.send_document(chat_id, BufferedInputFile(item.content, filename=item.filename)))
    return sent

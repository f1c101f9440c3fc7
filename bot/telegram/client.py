"""Talking to the Bot API: the Bot (HTML by default, flood control honoured), sending a Reply, the Notifier."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramRetryAfter,
)
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import BufferedInputFile, Message

from bot.telegram.render import render
from engine.logging import get_logger
from engine.notify import DeliveryFailed
from engine.reply import Reply
from engine.settings import Settings
from models.enums import Platform

log = get_logger(__name__)

RETRY_ATTEMPTS = 3  # tries of one Bot API call under flood control, the first included
RETRY_MAX_WAIT_S = 30.0  # a longer retry_after is raised to the caller (a job retries later; a chat user would
# rather get nothing than an answer minutes late)
CHAT_GONE = "chat not found"  # the 400 for a chat id that no longer exists (or never did)


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


async def send_reply(bot: Bot, chat_id: int | str, reply: Reply) -> list[Message]:
    """Post a Reply: its text messages (the keyboard on the last one), then its files as documents."""
    rendered = render(reply)
    sent = [
        await bot.send_message(chat_id, text, reply_markup=rendered.keyboard if i == len(rendered.texts) - 1 else None)
        for i, text in enumerate(rendered.texts)
    ]
    for item in rendered.files:
        sent.append(await bot.send_document(chat_id, BufferedInputFile(item.content, filename=item.filename)))
    return sent


class TelegramNotifier:
    """`engine.notify.Notifier` for Telegram: a job renders an alert or an approval request; this posts it."""

    platform = Platform.TELEGRAM

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    @classmethod
    def from_settings(cls, settings: Settings) -> TelegramNotifier | None:
        """For a process without the transport (a worker alone); None when Telegram is off or has no token."""
        if settings.telegram_mode == "off" or settings.telegram_token is None:
            return None
        return cls(create_bot(settings.telegram_token.get_secret_value(), settings.telegram_api_base))

    async def send(self, chat_id: str, reply: Reply) -> str:
        """Post the reply; return the id of the message carrying its buttons (the last text message), so a later
        edit can take them away. A chat that cannot receive it raises `DeliveryFailed`; anything else (the network,
        flood control beyond our patience) is left to the job's retry."""
        try:
            sent = await send_reply(self.bot, chat_id, reply)
        except (TelegramForbiddenError, TelegramMigrateToChat, TelegramBadRequest) as exc:
            if not _chat_gone(exc):
                raise
            raise DeliveryFailed(f"{type(exc).__name__}: {exc.message}") from None
        if not sent:
            raise ValueError("an empty reply cannot be posted")
        texts = [m for m in sent if m.text is not None]
        return str((texts or sent)[-1].message_id)


def _chat_gone(exc: TelegramAPIError) -> bool:
    """The bot was blocked, removed or never added; the chat is gone; or a group became a supergroup with a new
    id (its binding must be made again)."""
    return not isinstance(exc, TelegramBadRequest) or CHAT_GONE in exc.message.lower()

"""The Telegram transport: one bot, every registered command, by long polling (development, installs without a
public URL) or by webhook on the shared aiohttp app (production)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, Final, Literal
from urllib.parse import urlsplit

from aiogram import BaseMiddleware, Dispatcher
from aiogram.exceptions import (
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.fsm.storage.base import DefaultKeyBuilder
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.types import TelegramObject
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from redis.asyncio import Redis

from bot.bounded import read_body
from bot.runner import Runner
from bot.telegram.client import create_bot
from bot.telegram.menu import ChatMenus
from bot.telegram.notifier import BotApi, TelegramNotifier
from bot.telegram.updates import build_router
from engine.i18n import DEFAULT_LOCALE
from engine.logging import get_logger
from engine.settings import Settings
from engine.uploads import MAX_UPLOAD_BYTES

log = get_logger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
FSM_PREFIX = "mailfleet:tg:fsm"  # Redis keys of pending questions (and their per-person locks)
QUESTION_TTL_S = 24 * 3600  # a question left unanswered for a day is forgotten
MAX_FILE_BYTES: Final = MAX_UPLOAD_BYTES  # the one limit of uploaded files (engine/uploads); Telegram's own is 20 MB
CLOUD_DOWNLOAD_BYTES: Final = 20 * 1024 * 1024
"""The largest file Telegram's own Bot API server lets a bot download (getFile); a self-hosted `telegram-bot-api`
in local mode has no such limit. A lead file may be larger (`MAX_LEAD_FILE_BYTES`): such a file is refused before
any download, with what to do (pack it, split it), not with "send it again"."""
CLOUD_API_HOST: Final = "api.telegram.org"
WEBHOOK_BODY_MAX_BYTES: Final = 256 * 1024
"""An update is a message of at most 4,096 characters with its entities, or a button press; files arrive as ids."""
STOP_GRACE_S = 30.0  # how long `stop()` lets updates in flight finish their replies


class SharedRedisStorage(RedisStorage):
    """Pending questions in the process's own Redis client. aiogram closes its storage, and with it the client,
    when polling stops — while updates in flight still release their locks, and the rest of the process (alerts,
    Slack, the web) still uses the client. The client's owner closes it (`mailfleet.runtime`)."""

    async def close(self) -> None:
        return None


class InFlight(BaseMiddleware):
    """Knows which updates are being handled, so stopping lets them finish instead of cutting a reply in half
    (aiogram handles each update in a task of its own, by polling and by webhook alike, and awaits none)."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        task = asyncio.current_task()
        if task is None:  # only outside a task, where aiogram never handles an update
            return await handler(event, data)
        self._tasks.add(task)
        try:
            return await handler(event, data)
        finally:
            self._tasks.discard(task)

    async def drain(self, timeout_s: float) -> None:
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=timeout_s)


class BoundedWebhook(SimpleRequestHandler):
    """aiogram's webhook handler, with the body bounded: the secret token is checked first (401, nothing read),
    then the size (413), then the JSON (400 for anything that is not an update object, never a traceback)."""

    def __init__(self, *args: Any, max_body_bytes: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_body_bytes = max_body_bytes

    async def handle(self, request: web.Request) -> web.Response:
        bot = await self.resolve_bot(request)
        if not self.verify_secret(request.headers.get("X-Telegram-Bot-Api-Secret-Token", ""), bot):
            return web.Response(body="Unauthorized", status=401)
        raw = await read_body(request, self.max_body_bytes)
        try:
            update = json.loads(raw)
        except ValueError:  # UnicodeDecodeError included
            update = None
        if not isinstance(update, dict):
            return web.Response(body="Bad Request", status=400)
        task = asyncio.create_task(self._background_feed_update(bot=bot, update=update))
        self._background_feed_update_tasks.add(task)
        task.add_done_callback(self._background_feed_update_tasks.discard)
        return web.json_response({})

    __call__ = handle


class TelegramTransport:
    """Every registered command over one Telegram bot.

    `runner` runs the commands; `token` and `api_base` name the bot and the Bot API server (Telegram's, a
    self-hosted one, or the test emulator); `redis` keeps the guided flow's questions, so any web process may
    receive the answer; `webhook_secret` is required for webhook mode; `default_locale` speaks to people whose
    Telegram language Mailfleet does not have. `notifier` posts through the same bot.
    """

    def __init__(
        self,
        runner: Runner,
        *,
        token: str,
        api_base: str,
        redis: Redis,
        webhook_secret: str | None = None,
        default_locale: str = DEFAULT_LOCALE,
        max_file_bytes: int = MAX_FILE_BYTES,
        download_limit: int | None = None,
    ) -> None:
        self.bot = create_bot(token, api_base)
        self.notifier = TelegramNotifier(BotApi(token, api_base))  # alerts and digests, as a worker sends them
        storage = SharedRedisStorage(
            redis,
            key_builder=DefaultKeyBuilder(prefix=FSM_PREFIX, with_bot_id=True),
            state_ttl=QUESTION_TTL_S,
            data_ttl=QUESTION_TTL_S,
        )
        # isolation: one person's updates in one chat are handled in order, so an answer never overtakes its question
        self.dispatcher = Dispatcher(
            storage=storage,
            events_isolation=storage.create_isolation(),
            runner=runner,
            default_locale=default_locale,
            max_file_bytes=max_file_bytes,
            download_limit=download_limit,
            redis=redis,
        )
        self._in_flight = InFlight()
        self.dispatcher.update.outer_middleware(self._in_flight)
        self.dispatcher.include_router(build_router(runner, default_locale))
        self.menus = ChatMenus(self.bot, runner, redis, default_locale)  # the "/" menu by role, per private chat
        self.menus.install(self.dispatcher)
        self.dispatcher.startup.register(self._on_polling_started)
        self._webhook_secret = webhook_secret
        self._default_locale = default_locale
        self._polling: asyncio.Task[None] | None = None
        self._polling_started = asyncio.Event()

    @classmethod
    def from_settings(cls, runner: Runner, settings: Settings, redis: Redis) -> TelegramTransport | None:
        """The transport the settings describe, or None when Telegram is off or has no token."""
        if settings.telegram_mode == "off" or settings.telegram_token is None:
            return None
        secret = settings.telegram_webhook_secret
        cloud = urlsplit(settings.telegram_api_base).hostname == CLOUD_API_HOST
        return cls(
            runner,
            token=settings.telegram_token.get_secret_value(),
            api_base=settings.telegram_api_base,
            redis=redis,
            webhook_secret=secret.get_secret_value() if secret else None,
            default_locale=settings.default_locale,
            download_limit=CLOUD_DOWNLOAD_BYTES if cloud else None,
        )

    async def publish_commands(self) -> None:
        """The default "/" menu (public commands) in Russian, in English, and otherwise in the default locale."""
        await self.menus.publish_default()

    async def start_polling(self) -> None:
        """Poll for updates in a background task until `stop()`. A webhook is removed first: Telegram refuses
        getUpdates while one is set. Returns once polling runs; a rejected token raises here."""
        await self.bot.delete_webhook()
        await self.publish_commands()
        self._polling_started.clear()
        self._polling = asyncio.create_task(
            self.dispatcher.start_polling(self.bot, handle_signals=False, close_bot_session=False)
        )
        await self._polling_started.wait()
        log.info("telegram polling")

    @staticmethod
    def start_failure(exc: BaseException) -> Literal["refused", "unreachable"] | None:
        """What a failure to start means: "refused" — the token (Telegram answers 401 for a revoked one and 404
        for one it does not know); "unreachable" — no network, the Bot API down or rate-limiting (try again
        later); None — anything else."""
        if isinstance(exc, TelegramUnauthorizedError | TelegramNotFound):
            return "refused"
        if isinstance(exc, TelegramNetworkError | TelegramServerError | TelegramRetryAfter | TimeoutError | OSError):
            return "unreachable"
        return None

    async def stop(self) -> None:
        """Stop polling (if it runs), let updates in flight finish, close the Bot API session. In webhook mode
        call it after the web app stopped taking requests, and before Redis and the database are closed."""
        if self._polling is not None:
            await self.dispatcher.stop_polling()
            await self._polling
            self._polling = None
        await self._in_flight.drain(STOP_GRACE_S)
        await self.bot.session.close()
        await self.notifier.close()

    def register_webhook(self, app: web.Application, path: str = WEBHOOK_PATH) -> None:
        """Serve Telegram's updates at `path` of the shared aiohttp app. A request without the secret token
        header, or with a wrong one, is answered 401 and touches nothing; a body over WEBHOOK_BODY_MAX_BYTES 413."""
        handler = BoundedWebhook(
            self.dispatcher, self.bot, secret_token=self._secret(), max_body_bytes=WEBHOOK_BODY_MAX_BYTES
        )
        handler.register(app, path=path)

    async def set_webhook(self, url: str) -> None:
        """Tell Telegram to post updates to `url` (the public address of `register_webhook`'s path)."""
        await self.publish_commands()
        await self.bot.set_webhook(
            url, secret_token=self._secret(), allowed_updates=self.dispatcher.resolve_used_update_types()
        )
        log.info("telegram webhook set", url=url)

    def _secret(self) -> str:
        if not self._webhook_secret:
            raise ValueError("webhook mode needs webhook_secret (TELEGRAM_WEBHOOK_SECRET)")
        return self._webhook_secret

    def _on_polling_started(self) -> None:
        self._polling_started.set()

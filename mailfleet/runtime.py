"""Resolving where the services are (production URLs or the embedded default) and running the processes.

A process imports what it uses: the command layer (`bot.runner`, every command) only when a chat transport or
the console needs it, aiogram only with Telegram configured for chat, bolt only with Slack configured for chat.
A worker alone posts notifications with `bot.telegram.notifier` (aiohttp) and `bot.slack.notifier` (the Web API
client), each only when that platform has a token.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web
from redis.asyncio import Redis

from engine import db
from engine.clock import SystemClock
from engine.crypto import Vault
from engine.domains import DnsConfig
from engine.logging import get_logger
from engine.notify import Notifier
from engine.settings import Settings
from engine.tracking import TrackingLinks
from mailfleet.services import Services, StartupError, check_reachable
from models.enums import Platform

if TYPE_CHECKING:
    from bot.runner import Runner
    from bot.slack.transport import SlackTransport
    from bot.telegram.transport import TelegramTransport
    from jobs.worker import Resilient

log = get_logger(__name__)


def chat_wanted(settings: Settings) -> bool:
    """Whether the settings connect a chat transport (and so the command layer) in a web process."""
    telegram = settings.telegram_mode != "off" and settings.telegram_token is not None
    return telegram or settings.slack_bot_token is not None


def notifiers_from_settings(settings: Settings) -> dict[Platform, Notifier]:
    """The notifiers a worker posts with: Telegram over plain aiohttp, Slack over its Web API client, each only
    when that platform has a token (and its module only imported then)."""
    notifiers: dict[Platform, Notifier] = {}
    if settings.telegram_mode != "off" and settings.telegram_token is not None:
        from bot.telegram.notifier import TelegramNotifier  # noqa: PLC0415 - only with Telegram configured

        telegram = TelegramNotifier.from_settings(settings)
        if telegram is not None:
            notifiers[Platform.TELEGRAM] = telegram
    if settings.slack_bot_token is not None:
        from bot.slack.notifier import SlackNotifier  # noqa: PLC0415 - only with Slack configured

        slack = SlackNotifier.from_settings(settings)
        if slack is not None:
            notifiers[Platform.SLACK] = slack
    return notifiers


@contextlib.asynccontextmanager
async def app_context(
    settings: Settings, svc: Services, *, chat: bool = False, commands: bool = False, notify: bool = False
) -> AsyncIterator[AppContext]:
    """Everything a process shares: the ORM, Redis, one HTTP session, the vault and the DNS configuration; with
    `chat`, the chat transports the settings configure (and the command runner when there is one); with
    `commands`, the command runner (the console); with `notify`, the notifiers the delivery job posts with.
    Closed in reverse order."""
    await check_reachable(svc)
    await db.init_db(svc.database_url)
    redis: Redis = Redis.from_url(svc.redis_url)
    session = aiohttp.ClientSession()
    shared: dict[str, Any] = {
        "settings": settings,
        "redis": redis,
        "vault": Vault(svc.encryption_keys),
        "dns": DnsConfig.from_settings(settings),  # the same lists, resolver and DQS key as the worker's
    }
    ctx = AppContext(settings, svc, redis, shared)
    try:
        if commands or (chat and chat_wanted(settings)):
            ctx.runner = build_runner(settings, shared, session)
        if chat and ctx.runner is not None:
            ctx.connect_transports()
        if notify:
            ctx.notifiers = notifiers_from_settings(settings)
        try:
            yield ctx
        finally:
            await ctx.close()
    finally:
        await session.close()
        await redis.aclose()
        await db.close_db()


@dataclass
class AppContext:
    settings: Settings
    svc: Services
    redis: Redis
    shared: dict[str, Any]
    runner: Runner | None = None
    slack: SlackTransport | None = None
    telegram: TelegramTransport | None = None
    notifiers: dict[Platform, Notifier] = field(default_factory=dict)

    def connect_transports(self) -> None:
        """The chat transports the settings configure (their SDKs imported only then), and their notifiers."""
        assert self.runner is not None
        settings = self.settings
        if settings.slack_bot_token is not None:
            from bot.slack.transport import SlackTransport  # noqa: PLC0415 - only with Slack configured

            self.slack = SlackTransport.from_settings(self.runner, settings, self.redis)
        if settings.telegram_mode != "off" and settings.telegram_token is not None:
            from bot.telegram.transport import TelegramTransport  # noqa: PLC0415 - only with Telegram configured

            self.telegram = TelegramTransport.from_settings(self.runner, settings, self.redis)

    async def close(self) -> None:
        if self.telegram is not None:
            await self.telegram.stop()  # waits for replies in flight, closes the bot session
        for notifier in self.notifiers.values():
            closing = getattr(notifier, "close", None)
            if closing is not None:
                await closing()

    def worker_ctx(self) -> dict[str, Any]:
        """What jobs find in arq's ctx: the ORM is ready, the settings and notifiers are this process's."""
        return {
            "database_url": self.svc.database_url,
            "db_ready": True,
            "settings": self.settings,
            "notifiers": self.notifiers,
            "dns": self.shared["dns"],
            "vault": self.shared["vault"],
        }

    def web_app(self) -> web.Application:
        from mailfleet.web import create_app  # noqa: PLC0415 - a worker alone serves nothing

        tracking = TrackingLinks.from_vault(self.settings.tracking_base_url, self.shared["vault"])
        app = create_app(self.redis, tracking=tracking, clock=SystemClock())
        if self.slack is not None:
            self.slack.register(app)
        if self.telegram is not None and self.settings.telegram_mode == "webhook":
            self.telegram.register_webhook(app)
        return app

    async def start_chat(self) -> None:
        """Connect the chat transports that keep a connection: Telegram polling or webhook, Slack Socket Mode."""
        if self.telegram is not None:
            if self.settings.telegram_mode == "polling":
                await self.telegram.start_polling()
            elif self.settings.telegram_webhook_url:
                await self.telegram.set_webhook(self.settings.telegram_webhook_url)
            log.info("telegram connected", mode=self.settings.telegram_mode)
        if self.slack is not None and self.slack.socket_mode_enabled:
            await self.slack.start_socket_mode()


async def _listen(app: web.Application, settings: Settings) -> web.AppRunner:
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.web_host, settings.web_port).start()
    except OSError as exc:
        await runner.cleanup()
        if exc.errno == errno.EADDRINUSE:
            raise StartupError(
                f"WEB_PORT {settings.web_port} on {settings.web_host} is already in use; "
                "stop the other program or set WEB_PORT"
            ) from None
        raise
    log.info("web listening", url=f"http://{settings.web_host}:{settings.web_port}")
    return runner


async def serve(settings: Settings, svc: Services, *, web_on: bool, worker_on: bool) -> None:
    """Run the web app (with the chat transports) and/or a worker in this process until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with (
        app_context(settings, svc, chat=web_on, notify=worker_on) as ctx,
        contextlib.AsyncExitStack() as stack,
    ):
        if web_on:
            site = await _listen(ctx.web_app(), settings)
            stack.push_async_callback(site.cleanup)
            if ctx.slack is not None:
                stack.push_async_callback(ctx.slack.stop)
            await ctx.start_chat()
        waiters: list[asyncio.Task[Any]] = [asyncio.create_task(stop.wait())]
        if worker_on:
            from jobs.worker import Resilient, create_worker  # noqa: PLC0415 - a web process alone runs no jobs

            worker_ctx = ctx.worker_ctx()
            worker = Resilient(lambda: create_worker(svc.redis_url, ctx=worker_ctx))
            waiters.append(asyncio.create_task(worker.run()))
            stack.push_async_callback(_stop_worker, worker, waiters[-1])
            log.info("worker started")
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        log.info("stopping")


async def _stop_worker(worker: Resilient, task: asyncio.Task[Any]) -> None:
    await worker.close()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def build_runner(settings: Settings, shared: dict[str, Any], session: aiohttp.ClientSession) -> Runner:
    """The command runner every transport shares, with the shared clients commands may use. Imports the
    command layer (every command)."""
    from bot.runner import Runner  # noqa: PLC0415 - only processes that run commands load them
    from engine.dns.hosting import DnsHosts  # noqa: PLC0415
    from engine.ratelimit import SharedLimits  # noqa: PLC0415

    admins = {
        Platform.TELEGRAM: {str(i) for i in settings.admin_telegram_ids},
        Platform.SLACK: set(settings.admin_slack_ids),
    }
    hosts = DnsHosts(settings, session, SharedLimits(shared["redis"]))  # REG.RU's hourly budget: every process
    return Runner(SystemClock(), admins=admins, services={**shared, "dns_hosts": hosts})


async def console(settings: Settings, svc: Services, lines: list[str] | None) -> int:
    """`mailfleet console`: run the given lines (exit 1 if any failed) or prompt until EOF."""
    from bot.console import Console  # noqa: PLC0415

    async with app_context(settings, svc, commands=True) as ctx:
        assert ctx.runner is not None
        shell = Console(ctx.runner)
        if lines is None:
            return await shell.interactive()
        results = [await shell.execute(line) for line in lines]
        return 0 if all(results) else 1

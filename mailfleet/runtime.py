"""Resolving where the services are (production URLs or the embedded default) and running the processes."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import signal
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web
from arq.worker import Worker
from redis.asyncio import Redis

from bot.console import Console
from bot.runner import Runner
from bot.slack import SlackNotifier, SlackTransport
from bot.telegram import TelegramTransport
from engine import db, health
from engine.clock import SystemClock
from engine.crypto import Vault, load_or_create_keyfile
from engine.dns.hosting import DnsHosts
from engine.domains import DnsConfig
from engine.logging import get_logger
from engine.notify import Notifier
from engine.ratelimit import SharedLimits
from engine.settings import Settings
from engine.tracking import TrackingLinks
from jobs.worker import create_worker
from mailfleet.embedded import EmbeddedServices
from mailfleet.web import create_app
from models.enums import Platform

log = get_logger(__name__)


class StartupError(Exception):
    """The process cannot start; the message is shown to the operator as is."""


@dataclass(frozen=True)
class Services:
    database_url: str
    redis_url: str
    encryption_keys: list[str]


@contextlib.contextmanager
def services(settings: Settings, *, allow_embedded: bool) -> Iterator[Services]:
    """The URLs to use: the configured ones, or an embedded PostgreSQL and Redis started for this process."""
    if settings.database_url and settings.redis_url:
        yield Services(settings.database_url, settings.redis_url, settings.fernet_keys())
        return
    if not allow_embedded:
        raise StartupError(
            "DATABASE_URL and REDIS_URL must be set for this command; "
            "`mailfleet run` starts an embedded PostgreSQL and Redis when they are unset"
        )
    with EmbeddedServices(settings.data_dir) as urls:
        keys = settings.fernet_keys() or [load_or_create_keyfile(settings.data_dir / "secret.key")]
        yield Services(urls.database_url, urls.redis_url, keys)


async def check_reachable(svc: Services) -> None:
    problems = [
        p for p in await asyncio.gather(health.check_database(svc.database_url), health.check_redis(svc.redis_url)) if p
    ]
    if problems:
        raise StartupError("; ".join(problems))


@contextlib.asynccontextmanager
async def app_context(settings: Settings, svc: Services) -> AsyncIterator[AppContext]:
    """Everything a process shares: the ORM, Redis, one HTTP session, the command runner, the chat transports
    and the notifiers the delivery job uses. Closed in reverse order."""
    await check_reachable(svc)
    await db.init_db(svc.database_url)
    redis: Redis = Redis.from_url(svc.redis_url)
    session = aiohttp.ClientSession()
    try:
        runner = build_runner(settings, svc, redis, session)
        slack = SlackTransport.from_settings(runner, settings, redis)
        telegram = TelegramTransport.from_settings(runner, settings, redis)
        notifiers: dict[Platform, Notifier] = {}
        if telegram is not None:
            notifiers[Platform.TELEGRAM] = telegram.notifier
        slack_notifier = SlackNotifier.from_settings(settings)  # a worker alone has no transport, only a token
        if slack_notifier is not None:
            notifiers[Platform.SLACK] = slack_notifier
        try:
            yield AppContext(settings, svc, redis, runner, slack, telegram, notifiers)
        finally:
            if telegram is not None:
                await telegram.stop()  # waits for replies in flight, closes the bot session
    finally:
        await session.close()
        await redis.aclose()
        await db.close_db()


@dataclass
class AppContext:
    settings: Settings
    svc: Services
    redis: Redis
    runner: Runner
    slack: SlackTransport | None
    telegram: TelegramTransport | None
    notifiers: dict[Platform, Notifier]

    def worker_ctx(self) -> dict[str, Any]:
        """What jobs find in arq's ctx: the ORM is ready, the settings and notifiers are this process's."""
        return {
            "database_url": self.svc.database_url,
            "db_ready": True,
            "settings": self.settings,
            "notifiers": self.notifiers,
            "dns": self.runner.services["dns"],
            "vault": self.runner.services["vault"],
        }

    def web_app(self) -> web.Application:
        tracking = TrackingLinks.from_vault(self.settings.tracking_base_url, self.runner.services["vault"])
        app = create_app(self.redis, tracking=tracking, clock=self.runner.clock)
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
    async with app_context(settings, svc) as ctx, contextlib.AsyncExitStack() as stack:
        if web_on:
            site = await _listen(ctx.web_app(), settings)
            stack.push_async_callback(site.cleanup)
            if ctx.slack is not None:
                stack.push_async_callback(ctx.slack.stop)
            await ctx.start_chat()
        waiters: list[asyncio.Task[Any]] = [asyncio.create_task(stop.wait())]
        if worker_on:
            worker = create_worker(svc.redis_url, ctx=ctx.worker_ctx())
            waiters.append(asyncio.create_task(worker.async_run()))
            stack.push_async_callback(_stop_worker, worker, waiters[-1])
            log.info("worker started")
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        log.info("stopping")


async def _stop_worker(worker: Worker, task: asyncio.Task[Any]) -> None:
    await worker.close()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def build_runner(settings: Settings, svc: Services, redis: Redis, session: aiohttp.ClientSession) -> Runner:
    """The command runner every transport shares, with the shared clients commands may use."""
    admins = {
        Platform.TELEGRAM: {str(i) for i in settings.admin_telegram_ids},
        Platform.SLACK: set(settings.admin_slack_ids),
    }
    services = {
        "settings": settings,
        "redis": redis,
        "vault": Vault(svc.encryption_keys),
        "dns": DnsConfig.from_settings(settings),  # the same lists, resolver and DQS key as the worker's
        "dns_hosts": DnsHosts(settings, session, SharedLimits(redis)),  # REG.RU's hourly budget: every process
    }
    return Runner(SystemClock(), admins=admins, services=services)


async def console(settings: Settings, svc: Services, lines: list[str] | None) -> int:
    """`mailfleet console`: run the given lines (exit 1 if any failed) or prompt until EOF."""
    async with app_context(settings, svc) as ctx:
        shell = Console(ctx.runner)
        if lines is None:
            return await shell.interactive()
        results = [await shell.execute(line) for line in lines]
        return 0 if all(results) else 1

"""Resolving where the services are (production URLs or the embedded default) and running the processes."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import signal
from collections.abc import Iterator
from dataclasses import dataclass

from aiohttp import web
from redis.asyncio import Redis

from bot.console import Console
from bot.runner import Runner
from engine import db, health
from engine.clock import SystemClock
from engine.crypto import Vault, load_or_create_keyfile
from engine.logging import get_logger
from engine.settings import Settings
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


async def serve(settings: Settings, svc: Services, *, web_on: bool, worker_on: bool) -> None:
    """Run the web app and/or a worker in this process until SIGINT or SIGTERM."""
    await check_reachable(svc)
    await db.init_db(svc.database_url)
    redis: Redis = Redis.from_url(svc.redis_url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    runner: web.AppRunner | None = None
    worker = None
    worker_task: asyncio.Task[None] | None = None
    try:
        if web_on:
            runner = web.AppRunner(create_app(redis), handle_signals=False)
            await runner.setup()
            site = web.TCPSite(runner, settings.web_host, settings.web_port)
            try:
                await site.start()
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    raise StartupError(
                        f"WEB_PORT {settings.web_port} on {settings.web_host} is already in use; "
                        "stop the other program or set WEB_PORT"
                    ) from None
                raise
            log.info("web listening", url=f"http://{settings.web_host}:{settings.web_port}")
        if worker_on:
            worker = create_worker(svc.redis_url, ctx={"database_url": svc.database_url, "db_ready": True})
            worker_task = asyncio.create_task(worker.async_run())
            log.info("worker started")
        waiters = [asyncio.create_task(stop.wait())] + ([worker_task] if worker_task else [])
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        log.info("stopping")
    finally:
        if worker is not None:
            await worker.close()
        if worker_task is not None:
            worker_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker_task
        if runner is not None:
            await runner.cleanup()
        await redis.aclose()
        await db.close_db()


def build_runner(settings: Settings, svc: Services, redis: Redis) -> Runner:
    """The command runner every transport shares, with the shared clients commands may use."""
    admins = {
        Platform.TELEGRAM: {str(i) for i in settings.admin_telegram_ids},
        Platform.SLACK: set(settings.admin_slack_ids),
    }
    services = {"settings": settings, "redis": redis, "vault": Vault(svc.encryption_keys)}
    return Runner(SystemClock(), admins=admins, services=services)


async def console(settings: Settings, svc: Services, lines: list[str] | None) -> int:
    """`mailfleet console`: run the given lines (exit 1 if any failed) or prompt until EOF."""
    await check_reachable(svc)
    await db.init_db(svc.database_url)
    redis: Redis = Redis.from_url(svc.redis_url)
    try:
        shell = Console(build_runner(settings, svc, redis))
        if lines is None:
            return await shell.interactive()
        results = [await shell.execute(line) for line in lines]
        return 0 if all(results) else 1
    finally:
        await redis.aclose()
        await db.close_db()

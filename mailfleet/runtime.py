"""Resolving where the services are (production URLs or the embedded default) and running the processes.

A process imports what it uses: the command runner only when a chat transport or the console needs it, aiogram
only with Telegram configured for chat, bolt only with Slack configured for chat. A chat process loads every
command at start; the console loads a command's feature module when it first runs (see `bot.manifest`), and the
DNS stack and Redis only when a command asks for them (`Shared`). A worker alone posts notifications with
`bot.telegram.notifier` (aiohttp) and `bot.slack.notifier` (the Web API client), each only when that platform has
a token.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from engine import db, schema
from engine.cancel import cancel_and_wait
from engine.clock import SystemClock
from engine.crypto import Vault
from engine.logging import get_logger
from engine.schema import SchemaError
from engine.settings import Settings
from mailfleet.services import Services, StartupError, check_reachable, port_in_use
from models.enums import Platform

if TYPE_CHECKING:
    from aiohttp import web
    from redis.asyncio import Redis

    from bot.runner import Runner
    from bot.slack.transport import SlackTransport
    from bot.telegram.transport import TelegramTransport
    from engine.dns.hosting import DnsHosts
    from engine.domains import DnsConfig
    from engine.notify import Notifier

log = get_logger(__name__)
CHAT_RETRY_FIRST_S = 5.0  # a chat platform not reachable at start: the first pause before trying again
CHAT_RETRY_MAX_S = 300.0  # … and the longest


def _reason(exc: BaseException) -> str:
    """An exception in one line for the log (the masking formatter removes a bot token a URL might carry)."""
    return f"{type(exc).__name__}: {exc}"[:300]


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


class Shared(dict[str, Any]):
    """The clients commands and jobs share, by name (`ctx.services`). Those given as factories are built on first
    use — `[]`, `get` and `in` see them, iteration and copies do not — so a console that runs /whoami never
    imports the DNS stack nor redis-py. A long-running process builds them at start (`build`): a wrong setting
    shows then, not at the first command that needs it."""

    def __init__(self, values: dict[str, Any], factories: dict[str, Callable[[], Any]]) -> None:
        super().__init__(values)
        self._factories = factories

    def __missing__(self, key: str) -> Any:
        if key not in self._factories:
            raise KeyError(key)
        value = self[key] = self._factories[key]()
        del self._factories[key]
        return value

    def __contains__(self, key: object) -> bool:
        return super().__contains__(key) or key in self._factories

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self else default  # noqa: SIM401 - `self[key]` builds a lazy client

    def build(self, *keys: str) -> None:
        """Build these clients now (every one when no key is given)."""
        for key in keys or list(self._factories):
            if not super().__contains__(key):
                self.__missing__(key)


@contextlib.asynccontextmanager
async def app_context(
    settings: Settings,
    svc: Services,
    *,
    migrate: bool = False,
    chat: bool = False,
    commands: bool = False,
    notify: bool = False,
) -> AsyncIterator[AppContext]:
    """Everything a process shares: the ORM, Redis, the vault, the DNS configuration and the DNS hosts' clients
    (with one HTTP session); with `chat`, the chat transports the settings configure (and the command runner,
    with every command loaded, when there is one); with `commands`, the command runner (the console, which
    builds Redis's client and the DNS parts and loads commands only as they are used, and checks at start only
    the database: a command that needs Redis connects then); with `notify`, the notifiers the delivery job posts
    with; with `migrate`, the migrations not applied yet are applied first. Closed in reverse order."""
    serving = chat or notify  # a long-running process: every client built, and checked, at start
    await check_reachable(svc, redis=serving)
    if migrate:
        try:
            applied = await db.migrate(svc.database_url)
        except SchemaError as exc:
            raise StartupError(str(exc)) from None
        if applied:  # a console user hears nothing of a schema already current
            log.info("migrations applied", migrations=applied)
    else:  # a web or worker process on a schema it was not written for would fail query by query
        problem = await schema.check(db.credentials_from_url(svc.database_url))
        if problem:
            raise StartupError(problem)
    await db.init_db(svc.database_url)
    closing = contextlib.AsyncExitStack()
    shared = Shared(
        {"settings": settings, "vault": Vault(svc.encryption_keys)},
        {
            "redis": lambda: _redis(svc.redis_url, closing),
            "dns": lambda: _dns_config(settings),  # the same lists, resolver and DQS key as the worker's
            "dns_hosts": lambda: _dns_hosts(settings, shared["redis"], closing),
        },
    )
    ctx = AppContext(settings, svc, shared)
    try:
        if serving:
            await _check_keys(shared["vault"])
        if commands or (chat and chat_wanted(settings)):
            ctx.runner = build_runner(settings, shared)
        if serving:
            shared.build("redis", "dns")  # the web app and the worker check the DNS settings at start
        if chat and ctx.runner is not None:
            from bot.manifest import load_all  # noqa: PLC0415 - a chat process answers at once, from the start

            shared.build()
            load_all()
            await _sync_admins(ctx.runner)
            ctx.connect_transports()
        if notify:
            ctx.notifiers = notifiers_from_settings(settings)
        try:
            yield ctx
        finally:
            await ctx.close()
    finally:
        await closing.aclose()
        await db.close_db()


async def _sync_admins(runner: Runner) -> None:
    """The agency admins are the ids the settings list, no more (`engine.people.sync_admins`)."""
    from engine.people import sync_admins  # noqa: PLC0415 - only a chat process knows who the admins are

    made, dropped = await sync_admins(runner.admins)
    if made or dropped:
        log.info("agency admins set from the settings", made=made, dropped=dropped)


async def _check_keys(vault: Vault) -> None:
    """A process that sends and syncs mail refuses to start when ENCRYPTION_KEYS opens none of the stored mailbox
    secrets (a new key set without the old one): else every mailbox fails, one by one, as "cannot be decrypted,
    import it again". Some unreadable among readable ones (an old key dropped early) is only logged."""
    from engine.mailboxes import secrets_opened  # noqa: PLC0415 - the mailbox service, for serving processes

    opened, tried = await secrets_opened(vault)
    if tried and not opened:
        raise StartupError(
            f"ENCRYPTION_KEYS opens none of the stored mailbox secrets ({tried} newest tried): the key they were "
            "encrypted with is not listed. Put it back (the newest key first, then every old one); "
            "`mailfleet rotate-keys` then re-encrypts them under the first"
        )
    if opened < tried:
        log.warning("some mailbox secrets do not open with ENCRYPTION_KEYS", tried=tried, unreadable=tried - opened)


def _redis(url: str, closing: contextlib.AsyncExitStack) -> Redis:
    """Redis's client, closed with the process's context. redis-py is imported here: with it come `jwt` and
    cryptography's X.509 (`redis.auth.token`), which a console command that does not use Redis never loads."""
    from engine.redis_client import connect  # noqa: PLC0415

    redis = connect(url)
    closing.push_async_callback(redis.aclose)
    return redis


def _dns_config(settings: Settings) -> DnsConfig:
    from engine.domains import DnsConfig  # noqa: PLC0415 - the DNS stack, only where it is used

    return DnsConfig.from_settings(settings)


def _dns_hosts(settings: Settings, redis: Redis, closing: contextlib.AsyncExitStack) -> DnsHosts:
    """The DNS hosting providers' clients, over one HTTP session closed with the process's context. REG.RU's
    hourly budget is shared by every process (in Redis)."""
    import aiohttp  # noqa: PLC0415 - only where a DNS host is called

    from engine.dns.hosting import DnsHosts  # noqa: PLC0415
    from engine.ratelimit import SharedLimits  # noqa: PLC0415

    session = aiohttp.ClientSession()
    closing.push_async_callback(session.close)
    return DnsHosts(settings, session, SharedLimits(redis))


@dataclass
class AppContext:
    settings: Settings
    svc: Services
    shared: Shared
    runner: Runner | None = None
    slack: SlackTransport | None = None
    telegram: TelegramTransport | None = None
    notifiers: dict[Platform, Notifier] = field(default_factory=dict)
    chat_retries: list[asyncio.Task[None]] = field(default_factory=list)  # platforms not reachable at start

    @property
    def redis(self) -> Redis:
        """Redis's client (built at start in a long-running process, at first use in the console)."""
        redis: Redis = self.shared["redis"]
        return redis

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
        for retry in self.chat_retries:
            retry.cancel()
        await asyncio.gather(*self.chat_retries, return_exceptions=True)
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
        from engine.tracking import TrackingLinks  # noqa: PLC0415 - a worker alone serves nothing
        from mailfleet.web import create_app  # noqa: PLC0415

        tracking = TrackingLinks.from_vault(self.settings.tracking_base_url, self.shared["vault"])
        app = create_app(self.redis, tracking=tracking, clock=SystemClock())
        if self.slack is not None:
            self.slack.register(app)
        if self.telegram is not None and self.settings.telegram_mode == "webhook":
            self.telegram.register_webhook(app)
        return app

    async def start_chat(self) -> None:
        """Connect the chat transports that keep a connection: Telegram polling or webhook, Slack Socket Mode.
        A platform that cannot be reached now (no network at boot, its API down) is tried again in the background,
        the pause doubling up to `CHAT_RETRY_MAX_S`, while the web app and the worker run; one that refuses the
        credentials stops the start with a `StartupError` naming the setting."""
        telegram, slack = self.telegram, self.slack
        if telegram is not None:
            await self._connect("telegram", "TELEGRAM_TOKEN", self._start_telegram, telegram.start_failure)
        if slack is not None and slack.socket_mode_enabled:
            await self._connect(
                "slack", "SLACK_BOT_TOKEN / SLACK_APP_TOKEN", slack.start_socket_mode, slack.start_failure
            )

    async def _start_telegram(self) -> None:
        assert self.telegram is not None
        if self.settings.telegram_mode == "polling":
            await self.telegram.start_polling()
        elif self.settings.telegram_webhook_url:
            await self.telegram.set_webhook(self.settings.telegram_webhook_url)
        log.info("telegram connected", mode=self.settings.telegram_mode)

    async def _connect(
        self,
        platform: str,
        setting: str,
        connect: Callable[[], Awaitable[None]],
        failure: Callable[[BaseException], str | None],
    ) -> None:
        try:
            await connect()
        except Exception as exc:
            match failure(exc):
                case "refused":
                    raise StartupError(f"{platform} refused the credentials: check {setting}") from None
                case "unreachable":
                    log.warning("chat not reachable, retrying", platform=platform, reason=_reason(exc))
                    self.chat_retries.append(asyncio.create_task(self._retry(platform, connect, failure)))
                case _:
                    raise

    async def _retry(
        self, platform: str, connect: Callable[[], Awaitable[None]], failure: Callable[[BaseException], str | None]
    ) -> None:
        pause = CHAT_RETRY_FIRST_S
        while True:
            await asyncio.sleep(pause)
            try:
                await connect()
            except Exception as exc:
                if failure(exc) != "unreachable":
                    log.error("chat cannot connect, giving up", platform=platform, reason=_reason(exc))
                    return
                pause = min(pause * 2, CHAT_RETRY_MAX_S)
                log.warning("chat not reachable, retrying", platform=platform, reason=_reason(exc), in_s=pause)
            else:
                log.info("chat connected after retrying", platform=platform)
                return


async def _listen(app: web.Application, settings: Settings) -> web.AppRunner:
    from aiohttp import web  # noqa: PLC0415 - only a process that serves

    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.web_host, settings.web_port).start()
    except OSError as exc:
        await runner.cleanup()
        if exc.errno == errno.EADDRINUSE:
            raise port_in_use(settings) from None
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
            if not await _unless_stopped(ctx.start_chat(), stop):
                log.info("stopping")
                return
        waiters: list[asyncio.Task[Any]] = [asyncio.create_task(stop.wait())]
        if worker_on:
            from jobs.worker import Resilient, create_worker  # noqa: PLC0415 - a web process alone runs no jobs

            worker_ctx = ctx.worker_ctx()
            worker = Resilient(lambda: create_worker(svc.redis_url, ctx=worker_ctx))
            waiters.append(asyncio.create_task(worker.run()))
            stack.push_async_callback(worker.stop, waiters[-1])
            log.info("worker started")
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        log.info("stopping")


async def _unless_stopped(work: Awaitable[None], stop: asyncio.Event) -> bool:
    """Await `work` unless SIGINT or SIGTERM comes first (`stop`), then cancel it: whether it finished. Connecting
    a chat platform may take its time (a timeout, a slow API): the signal never waits for it."""
    task = asyncio.ensure_future(work)
    stopped = asyncio.ensure_future(stop.wait())
    await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        await cancel_and_wait(stopped)
        task.result()  # its failure (a refused token) is the start's
        return True
    await cancel_and_wait(task)
    return False


def build_runner(settings: Settings, shared: Shared) -> Runner:
    """The command runner every transport shares, with the shared clients commands may use (`shared` itself:
    a copy would build every lazy client). Commands are loaded as they run, or all at once (`bot.manifest`)."""
    from bot.runner import Runner  # noqa: PLC0415 - only processes that run commands load them

    admins = {
        Platform.TELEGRAM: {str(i) for i in settings.admin_telegram_ids},
        Platform.SLACK: set(settings.admin_slack_ids),
    }
    return Runner(SystemClock(), admins=admins, services=shared)


async def console(
    settings: Settings, svc: Services, lines: list[str] | None, started: Callable[[], None] = lambda: None
) -> int:
    """`mailfleet console`: apply the migrations not applied yet, then run the given lines (exit 1 if any failed)
    or prompt until EOF; `started` is called once connected, before the first command."""
    from bot.console import Console  # noqa: PLC0415

    async with app_context(settings, svc, migrate=True, commands=True) as ctx:
        assert ctx.runner is not None
        shell = Console(ctx.runner)
        started()
        if lines is None:
            return await shell.interactive()
        results = [await shell.execute(line) for line in lines]
        return 0 if all(results) else 1

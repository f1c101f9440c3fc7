"""End-to-end chat fixtures: the Telegram Bot API emulator (one per session), and a real Telegram transport per
test — its own bot token, polling the emulator, bound to a Runner on the real PostgreSQL and Redis with a frozen
clock. People are scripted `TelegramUser`s; the agency admin acts through the console identity."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.runner import Runner
from bot.telegram.transport import TelegramTransport
from engine.clock import FrozenClock
from engine.reply import Reply
from models.enums import Platform
from tests.harness.telegram import TelegramEmulator, TelegramUser, new_bot_token

NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
CONSOLE_ADMIN = "local"
WEBHOOK_SECRET = "e2e-webhook-secret"
_TAG = re.compile(r"<[^>]+>")


def visible(text: str | None) -> str:
    """What a Telegram client shows for an HTML message: tags gone, entities decoded."""
    return html.unescape(_TAG.sub("", text or ""))


async def ask(user: TelegramUser, line: str) -> str:
    """Send a command; return the one reply as the person sees it."""
    await user.send_command(line)
    [reply] = await user.wait_replies()
    return visible(reply.text)


@pytest.fixture(scope="session")
def emulator() -> Iterator[TelegramEmulator]:
    with TelegramEmulator() as emu:
        yield emu


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def runner(orm: None, clock: FrozenClock, redis: Redis) -> Runner:
    """The runner every transport shares; the console identity is the agency admin who sets the scene."""
    return Runner(clock, admins={Platform.CONSOLE: {CONSOLE_ADMIN}}, services={"redis": redis})


@pytest.fixture
def transport_options() -> dict[str, Any]:
    """Extra TelegramTransport arguments; a test overrides it with `@pytest.mark.parametrize`."""
    return {}


@dataclass
class TelegramRig:
    """A running transport and the means to act around it: scripted users, the admin console, the clock."""

    transport: TelegramTransport
    emulator: TelegramEmulator
    token: str
    runner: Runner
    clock: FrozenClock
    redis: Redis
    users: list[TelegramUser] = field(default_factory=list)

    def user(
        self, user_id: int, *, chat_id: int | None = None, first_name: str = "Tester", language_code: str = "en"
    ) -> TelegramUser:
        """A Telegram user talking to this bot in a private chat, or in the group `chat_id` (negative)."""
        person = TelegramUser(
            self.emulator, self.token, user_id, chat_id=chat_id, first_name=first_name, language_code=language_code
        )
        self.users.append(person)
        return person

    async def admin(self, line: str) -> Reply:
        """Run a command as the agency admin at the console; fail loudly when it fails."""
        identity = self.runner.identity(Platform.CONSOLE, CONSOLE_ADMIN, "admin")
        reply = await self.runner.run_line(identity, "console", line)
        assert reply.ok, reply.plain_text()
        return reply

    async def invite(self, slug: str, role: str) -> str:
        """A fresh one-time invite code for `role` in the existing workspace `slug`."""
        await self.admin(f"/use {slug}")
        reply = await self.admin(f"/invite {role}")
        return next(b.text for b in reply.blocks if b.style == "pre")


def make_transport(
    emulator: TelegramEmulator, runner: Runner, redis: Redis, token: str, **options: Any
) -> TelegramTransport:
    """A transport for `token` on the emulator, not started (webhook tests drive it through an aiohttp app)."""
    return TelegramTransport(
        runner, token=token, api_base=emulator.api_base, redis=redis, webhook_secret=WEBHOOK_SECRET, **options
    )


@pytest.fixture
async def telegram(
    emulator: TelegramEmulator,
    runner: Runner,
    clock: FrozenClock,
    redis: Redis,
    transport_options: dict[str, Any],
) -> AsyncIterator[TelegramRig]:
    """A transport polling the emulator with a bot of its own, so tests never see each other's updates."""
    token = new_bot_token()
    transport = make_transport(emulator, runner, redis, token, **transport_options)
    await transport.start_polling()
    rig = TelegramRig(transport, emulator, token, runner, clock, redis)
    try:
        yield rig
    finally:
        for person in rig.users:
            await person.close()
        await transport.stop()

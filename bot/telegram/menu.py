"""The Telegram command menu (the "/" button) by role: per private chat, the commands the person may run, in
their language; for everyone else (the default scope, and groups) the public commands only.

A private chat's menu is set after each update the person sends, when their role or language changed since
the last time (Redis remembers what was set, so an unchanged menu costs one GET), and when someone else
revokes their access (`person_changed`, a hook the revoke command calls through `ctx.services`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from aiogram import BaseMiddleware, Bot, Dispatcher
from aiogram.enums import ChatType
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, BotCommandScopeChat, Chat, TelegramObject
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.command import Access, Command, allowed
from bot.handlers.workspaces import PERSON_CHANGED, help_sections
from bot.runner import Runner
from bot.telegram.render import CANCEL, COMMAND_DESCRIPTION_LIMIT
from engine.access import Actor
from engine.i18n import LOCALES, Translator, translator
from engine.logging import get_logger
from engine.people import Identity, PersonRef, resolve_actor
from models.enums import Platform

log = get_logger(__name__)

MENU_PREFIX = "mailfleet:tg:menu"  # Redis: "<locale>|<commands>" last set for a bot's private chat
MENU_TTL_S = 30 * 24 * 3600  # forgotten after a month unused: the next update sets the menu again


def menu(t: Translator, shown: Callable[[Command], bool]) -> list[BotCommand]:
    """The typed commands `shown` keeps (never buttons' commands) in the order of /help, then /cancel, described
    in `t`'s language."""
    entries = [(c.name, t(c.help_key)) for cmds in help_sections(shown).values() for c in cmds]
    entries.append((CANCEL, t("telegram-cmd-cancel")))
    return [BotCommand(command=name, description=text[:COMMAND_DESCRIPTION_LIMIT]) for name, text in entries]


def public_menu(t: Translator) -> list[BotCommand]:
    """What anybody may run: the menu of the default scope."""
    return menu(t, lambda c: c.access is Access.PUBLIC)


def person_menu(actor: Actor) -> list[BotCommand]:
    """What this person may run in their current workspace, in their language."""
    return menu(translator(actor.locale), lambda c: allowed(c, actor))


class ChatMenus(BaseMiddleware):
    """Keeps each private chat's menu in step with the person's role and language."""

    def __init__(self, bot: Bot, runner: Runner, redis: Redis, default_locale: str) -> None:
        self.bot = bot
        self.runner = runner
        self.redis = redis
        self.default_locale = default_locale

    def install(self, dispatcher: Dispatcher) -> None:
        """Run after every message and button press, and hear about revocations from any transport."""
        dispatcher.message.middleware(self)
        dispatcher.callback_query.middleware(self)
        self.runner.services.setdefault(PERSON_CHANGED, []).append(self.person_changed)

    async def publish_default(self) -> None:
        """The default scope's menu in Russian, in English and (for other languages) in the default locale."""
        for language in (None, *LOCALES):
            t = translator(language or self.default_locale)
            await self.bot.set_my_commands(public_menu(t), language_code=language)

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        result = await handler(event, data)
        chat: Chat | None = data.get("event_chat")
        identity: Identity | None = data.get("identity")
        if chat is not None and identity is not None and chat.type == ChatType.PRIVATE:
            await self.refresh(chat.id, identity)
        return result

    async def refresh(self, chat_id: int, identity: Identity) -> None:
        """Set the chat's menu for the person as they are now, unless it is already that."""
        try:
            actor = await resolve_actor(identity)
            await self._publish(chat_id, actor)
        except (TelegramAPIError, aiohttp.ClientError, TimeoutError, RedisError) as exc:
            # a menu is a convenience: the reply went out (or the change was made), the next update tries again
            log.warning("telegram menu not set", error=type(exc).__name__)

    async def person_changed(self, ref: PersonRef) -> None:
        """Someone else changed what this person may do (revoked them): redo their private chat's menu."""
        if ref.platform is not Platform.TELEGRAM:
            return
        try:
            last = await self.redis.get(self._key(int(ref.external_id)))
        except RedisError as exc:  # the revocation itself is done; the menu follows at the next update
            log.warning("telegram menu not refreshed", error=type(exc).__name__)
            return
        locale = _text(last).partition("|")[0] if last else self.default_locale
        await self.refresh(int(ref.external_id), self.runner.identity(Platform.TELEGRAM, ref.external_id, "", locale))

    async def _publish(self, chat_id: int, actor: Actor) -> None:
        commands_now = person_menu(actor)
        signature = actor.locale + "|" + " ".join(c.command for c in commands_now)
        key = self._key(chat_id)
        if _text(await self.redis.get(key)) == signature:
            return
        await self.bot.set_my_commands(commands_now, scope=BotCommandScopeChat(chat_id=chat_id))
        await self.redis.set(key, signature, ex=MENU_TTL_S)
        log.info("telegram menu set", commands=len(commands_now), locale=actor.locale)

    def _key(self, chat_id: int) -> str:
        return f"{MENU_PREFIX}:{self.bot.id}:{chat_id}"


def _text(value: bytes | str | None) -> str:
    return value.decode() if isinstance(value, bytes) else (value or "")

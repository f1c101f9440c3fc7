"""The agency chats: where alerts that belong to no workspace go (a blind blacklist checker, a worker down, the
queue backing up). An admin binds the chat they type in; the list lives in `AgencySetting` "agency_chats"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from tortoise.transactions import in_transaction

from engine.access import Actor, require_admin
from engine.clock import Clock
from engine.errors import Conflict, UserError
from engine.i18n import pick_locale
from models import AgencySetting, AuditLog, ChatBinding, Person
from models.enums import ChatPurpose, Platform

KEY: Final = "agency_chats"
MAX_CHATS: Final = 20  # an agency has a handful of ops chats; the list is read on every agency alert


@dataclass(frozen=True)
class AgencyChat:
    platform: Platform
    chat_id: str
    locale: str


def _parse(value: object) -> list[AgencyChat]:
    chats = []
    for entry in value if isinstance(value, list) else []:
        try:
            chats.append(AgencyChat(Platform(entry["platform"]), str(entry["chat_id"]), str(entry.get("locale", "ru"))))
        except (KeyError, TypeError, ValueError):
            continue  # a hand-edited entry that names no chat: skipped, never fatal for delivery
    return chats


async def agency_chats() -> list[AgencyChat]:
    setting = await AgencySetting.get_or_none(key=KEY)
    return _parse(setting.value if setting else [])


async def agency_readers() -> list[AgencyChat]:
    """Where an alert of no workspace goes: the agency chats; while none is bound (a new install, the last one
    unbound), each admin's private chat with the bot, in their language — a Telegram user's id is their private
    chat's, a Slack user's id their DM with the app. Else the alert that a bound group removed the bot, or that
    no worker runs, was posted nowhere and nobody was told."""
    chats = await agency_chats()
    if chats:
        return chats
    admins = await Person.filter(is_admin=True, platform__in=[Platform.TELEGRAM, Platform.SLACK]).order_by("id")
    return [AgencyChat(p.platform, p.external_id, pick_locale(p.locale)) for p in admins]


async def bind_agency_chat(actor: Actor, platform: Platform, chat_id: str, clock: Clock, *, on: bool = True) -> bool:
    """Bind (or with `on=False` unbind) this chat for agency-wide alerts, in the admin's language; True when the
    list changed. Admins only. A client's chat is refused (`Conflict("error-agency-chat-client")`): the agency's
    alerts name every workspace, and a client must read nothing of the others."""
    require_admin(actor)
    if not chat_id:
        raise UserError("error-bind-no-chat")
    if (
        on
        and await ChatBinding.filter(
            platform=platform, chat_id=chat_id, purposes__contains=[ChatPurpose.CLIENT.value]
        ).exists()
    ):
        raise Conflict("error-agency-chat-client")
    async with in_transaction() as conn:
        setting = await AgencySetting.select_for_update().using_db(conn).get_or_none(key=KEY)
        chats = _parse(setting.value if setting else [])
        others = [c for c in chats if (c.platform, c.chat_id) != (platform, chat_id)]
        if on:
            if len(others) >= MAX_CHATS:
                raise UserError("error-agency-chat-limit", limit=MAX_CHATS)
            new = [*others, AgencyChat(platform, chat_id, pick_locale(actor.locale))]
        else:
            new = others
        changed = new != chats
        value = [{"platform": c.platform.value, "chat_id": c.chat_id, "locale": c.locale} for c in new]
        if setting is None:
            await AgencySetting.create(key=KEY, value=value, using_db=conn)
        else:
            setting.value = value
            await setting.save(using_db=conn)
        if changed:
            await AuditLog.create(
                actor_id=actor.person_id,
                action="agency_chat.bind" if on else "agency_chat.unbind",
                subject=f"{platform.value}:{chat_id}",
                data={},
                created_at=clock.now(),
                using_db=conn,
            )
    return changed


async def move_agency_chat(platform: Platform, old_chat_id: str, new_chat_id: str, clock: Clock) -> bool:
    """The chat `old_chat_id` now has the id `new_chat_id` (a Telegram group became a supergroup): its agency
    binding follows, in the same language. True when it was an agency chat. Audited without an actor: the
    platform moved it."""
    async with in_transaction() as conn:
        setting = await AgencySetting.select_for_update().using_db(conn).get_or_none(key=KEY)
        chats = _parse(setting.value if setting else [])
        if setting is None or not any((c.platform, c.chat_id) == (platform, old_chat_id) for c in chats):
            return False
        moved: list[AgencyChat] = []
        for chat in chats:
            now = (
                AgencyChat(platform, new_chat_id, chat.locale)
                if (chat.platform, chat.chat_id) == (platform, old_chat_id)
                else chat
            )
            if (now.platform, now.chat_id) not in {(m.platform, m.chat_id) for m in moved}:  # already bound: once
                moved.append(now)
        setting.value = [{"platform": c.platform.value, "chat_id": c.chat_id, "locale": c.locale} for c in moved]
        await setting.save(using_db=conn)
        await AuditLog.create(
            action="agency_chat.move",
            subject=f"{platform.value}:{old_chat_id}",
            data={"to": new_chat_id},
            created_at=clock.now(),
            using_db=conn,
        )
    return True

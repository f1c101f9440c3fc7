"""A workspace's own settings, shown and changed from chat (`/workspace_settings`): its name — the title its
lists, reports and alerts show (its slug stays) —, its time zone — the day every
cap counts, the default send window of a new campaign, report periods, the hour the daily digest goes out — and
its language, the one its chats' alerts, digests and reports speak (each person's replies follow their /lang).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from tortoise.transactions import in_transaction

from engine.access import Actor, require_manager
from engine.clock import Clock, typed_zone
from engine.errors import UserError
from engine.i18n import LOCALES
from models import AuditLog, Workspace

SETTINGS: Final = ("name", "timezone", "lang")
VALUE_MAX: Final = 64  # the longest IANA zone name is ~32 characters
NAME_MAX: Final = 200  # the column's length: a longer name is refused, not cut without a word
_COLUMNS: Final = {"name": "name", "timezone": "timezone", "lang": "locale"}


@dataclass(frozen=True, slots=True)
class WorkspaceSettings:
    name: str
    timezone: str
    lang: str


@dataclass(frozen=True, slots=True)
class Change:
    name: str
    before: str
    after: str


async def show(actor: Actor) -> WorkspaceSettings:
    workspace_id = require_manager(actor)
    space = await Workspace.get(id=workspace_id)
    return WorkspaceSettings(space.name, space.timezone, space.locale)


async def change(actor: Actor, clock: Clock, name: str, value: str) -> Change:
    """Set one setting of the current workspace, audited. Raises `Forbidden`, `UserError`
    (`error-workspace-setting-unknown`, `error-workspace-name`, `error-workspace-timezone`, `error-workspace-lang`)
    naming what is wrong; nothing is written then. A name's runs of spaces and line breaks become one space."""
    workspace_id = require_manager(actor)
    key = name.strip().lower()
    if key not in SETTINGS:
        raise UserError("error-workspace-setting-unknown", name=name[:40], known=", ".join(SETTINGS))
    typed = value.strip()[:VALUE_MAX]
    new: str | None
    if key == "name":
        new = " ".join(value.split())
        if not new or len(new) > NAME_MAX:
            raise UserError("error-workspace-name", length=len(new), max=NAME_MAX)
    elif key == "timezone":
        new = typed_zone(typed)
        if new is None:
            raise UserError("error-workspace-timezone", value=typed)
    else:
        new = typed.lower()
        if new not in LOCALES:
            raise UserError("error-workspace-lang", value=typed, known=", ".join(LOCALES))
    column = _COLUMNS[key]
    async with in_transaction():
        space = await Workspace.filter(id=workspace_id).select_for_update().get()
        before = str(getattr(space, column))
        if before != new:
            await Workspace.filter(id=workspace_id).update(**{column: new})
            await AuditLog.create(
                workspace_id=workspace_id,
                actor_id=actor.person_id,
                action="workspace.setting",
                subject=f"workspace:{workspace_id}",
                data={"name": key, "from": before, "to": new},
                created_at=clock.now(),
            )
    return Change(key, before, new)

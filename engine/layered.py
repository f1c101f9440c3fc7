"""Settings kept in two layers: an agency default (`AgencySetting`, admins) under a workspace's own value
(`Workspace.settings[key]`, managers). One way to change one value of either layer, locked and audited."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tortoise.transactions import in_transaction

from engine.access import Actor, require_admin, require_manager
from engine.clock import Clock
from models import AgencySetting, AuditLog, Workspace


@dataclass(frozen=True, slots=True)
class LayerChange:
    """One value changed: its name, what was in force before and what is now, and the layer changed."""

    name: str
    before: Any
    after: Any
    scope: str  # "workspace" | "agency"


async def change_layered(
    actor: Actor,
    clock: Clock,
    *,
    key: str,
    name: str,
    value: Any,
    agency: bool,
    in_force: Callable[[Mapping[str, Any], Mapping[str, Any] | None], Any],
    action: str,
) -> LayerChange:
    """Set `name` to `value` in the agency's layer of setting `key` (admins) or the actor's workspace's (managers),
    under a row lock, with an audit entry (`action`) naming what was in force before. `in_force(agency layer,
    workspace settings or None)` resolves the values in force (an object with `name` as an attribute). Raises
    `Forbidden`."""
    async with in_transaction():
        if agency:
            require_admin(actor)
            row = await AgencySetting.filter(key=key).select_for_update().first()
            stored = dict(row.value) if row is not None and isinstance(row.value, dict) else {}
            before = getattr(in_force(stored, None), name)
            stored[name] = value
            await AgencySetting.update_or_create(defaults={"value": stored}, key=key)
            workspace_id = None
        else:
            workspace_id = require_manager(actor)
            space = await Workspace.filter(id=workspace_id).select_for_update().get()
            layer = await AgencySetting.get_or_none(key=key)
            agency_values = layer.value if layer is not None and isinstance(layer.value, dict) else {}
            before = getattr(in_force(agency_values, space.settings), name)
            own = dict((space.settings or {}).get(key) or {})
            own[name] = value
            space.settings = {**(space.settings or {}), key: own}
            await space.save(update_fields=["settings"])
        scope = "agency" if agency else "workspace"
        await AuditLog.create(
            workspace_id=workspace_id,
            actor_id=actor.person_id,
            action=action,
            subject=f"workspace:{workspace_id}" if workspace_id else "agency",
            data={"name": name, "from": before, "to": value, "scope": scope},
            created_at=clock.now(),
        )
    return LayerChange(name, before, value, scope)

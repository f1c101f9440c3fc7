"""A workspace's name, time zone and language, shown and changed from chat."""

from __future__ import annotations

from typing import Any

from bot.command import Access, Arg, Ctx, command
from engine import workspace_settings as service
from engine.clock import shown_zone
from engine.reply import Reply


@command(
    "workspace_settings",
    Access.MANAGE,
    Arg("setting", required=False),
    Arg("value", kind="rest", required=False, max_length=service.NAME_MAX),
    example="timezone Asia/Vladivostok",
)
async def workspace_settings(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """Without arguments: the workspace's name, time zone and language. With a setting and a value: change it."""
    if args["setting"] is not None:
        change = await service.change(ctx.actor, ctx.clock, args["setting"], args["value"] or "")
        key = "workspace-setting-unchanged" if change.before == change.after else "workspace-setting-changed"
        shown = shown_zone if change.name == "timezone" else str
        return Reply().add(ctx.t(key, name=change.name, before=shown(change.before), after=shown(change.after)))
    view = await service.show(ctx.actor)
    lines = [
        ctx.t("workspace-setting-line", name=name, value=value, hint=ctx.t(f"workspace-setting-hint-{name}"))
        for name, value in (("name", view.name), ("timezone", shown_zone(view.timezone)), ("lang", view.lang))
    ]
    reply = Reply().add(ctx.t("workspace-settings-title", workspace=view.name), "title").add("\n".join(lines))
    return reply.add(ctx.t("workspace-settings-hint"))

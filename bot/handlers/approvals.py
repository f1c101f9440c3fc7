"""Approval buttons: the same command whether pressed in Telegram, in Slack or typed in the console."""

from __future__ import annotations

from typing import Any

from bot.command import Access, Arg, Ctx, command
from engine import approvals
from engine.reply import Reply


async def _decide(ctx: Ctx, approval_id: int, approve: bool) -> Reply:
    decision = await approvals.decide(ctx.actor, approval_id, approve, ctx.clock)
    key = "approval-approved" if approve else "approval-rejected"
    return Reply().add(ctx.t(key, id=decision.approval_id, subject=decision.subject))


@command("approve", Access.MANAGE, Arg("id", kind="int"), example="17", button_only=True)
async def approve(ctx: Ctx, args: dict[str, Any]) -> Reply:
    return await _decide(ctx, args["id"], approve=True)


@command("reject", Access.MANAGE, Arg("id", kind="int"), example="17", button_only=True)
async def reject(ctx: Ctx, args: dict[str, Any]) -> Reply:
    return await _decide(ctx, args["id"], approve=False)

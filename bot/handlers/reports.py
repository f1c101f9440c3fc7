"""Reports in chat: the workspace, a campaign (managers and clients — a client its own workspace only), a domain
or a mailbox (managers) for a period. The numbers come from `engine.reports` (DailyStat only)."""

from __future__ import annotations

from typing import Any

from bot.command import Access, Arg, Ctx, command
from engine.reply import Reply
from engine.reports import report, text
from engine.reports.period import PERIOD_MAX_CHARS
from engine.reports.service import NAME_MAX_CHARS, Report
from models.enums import StatScope

_PERIOD = Arg("period", required=False, kind="rest", max_length=PERIOD_MAX_CHARS)  # "7 дней", "01.11.2026 – 30.11.2026"


def _reply(ctx: Ctx, rep: Report) -> Reply:
    reply = Reply().add(text.title(ctx.t, rep), "title")
    for section in text.body(ctx.t, rep):
        reply.add(section)
    return reply


@command("report", Access.READ, _PERIOD, example="7d")
async def report_workspace(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """The workspace's numbers for a period (7 days by default) and its top problems."""
    return _reply(ctx, await report(ctx.actor, ctx.clock, args["period"]))


@command("report_campaign", Access.READ, Arg("name", max_length=200), _PERIOD, example="autumn 30d")
async def report_campaign(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """One campaign's numbers for a period."""
    return _reply(ctx, await report(ctx.actor, ctx.clock, args["period"], scope=StatScope.CAMPAIGN, name=args["name"]))


@command("report_domain", Access.MANAGE, Arg("name", max_length=253), _PERIOD, example="acme-mail.ru 7d")
async def report_domain(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """One domain's numbers for a period."""
    return _reply(ctx, await report(ctx.actor, ctx.clock, args["period"], scope=StatScope.DOMAIN, name=args["name"]))


@command(
    "report_mailbox",
    Access.MANAGE,
    Arg("address", kind="rest", max_length=NAME_MAX_CHARS + 1 + PERIOD_MAX_CHARS),
    example="anna@acme-mail.ru 7d",
)
async def report_mailbox(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """One mailbox's numbers for a period: the address as a mail client shows it (`Анна Петрова <anna@…>`, as
    /mailbox takes it), then the period."""
    address, period = split_address(args["address"])
    rep = await report(ctx.actor, ctx.clock, period, scope=StatScope.MAILBOX, name=address)
    return _reply(ctx, rep)


def split_address(text: str) -> tuple[str, str | None]:
    """`Анна Петрова <anna@acme.ru> 30d` → (`Анна Петрова <anna@acme.ru>`, `30d`): the address runs to the last
    word holding an `@` (a display name before it, in quotes or not), the period is what follows (None: none)."""
    words = text.split()
    last = max((i for i, word in enumerate(words) if "@" in word), default=0)
    return " ".join(words[: last + 1]), " ".join(words[last + 1 :]) or None

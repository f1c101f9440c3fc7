"""Costs and capacity in chat: `/cost` (the workspace's month; admins: `/cost all`, the agency with a line per
workspace), `/cost_set <name> <value> [agency]`, and `/capacity [emails] [weeks]` (what the fleet can send, and
whether a client's volume fits)."""

from __future__ import annotations

from typing import Any, Final

from bot.command import AGENCY_SCOPE, LINES_SHOWN, Access, Arg, Ctx, brief, command, with_scope
from engine import capacity as cap
from engine import costs
from engine.costs import BOUNDS, Cost, rub
from engine.reply import Reply

AGENCY: Final = "all"


def _money(ctx: Ctx, c: Cost) -> dict[str, Any]:
    locale = ctx.t.locale
    per_box = c.per_mailbox
    return {
        "domains": c.fleet.domains,
        "mailboxes": c.fleet.mailboxes,
        "domains_cost": rub(c.domains, locale),
        "mailboxes_cost": rub(c.mailboxes, locale),
        "servers_cost": rub(c.servers, locale),
        "total": rub(c.total, locale),
        "saas_total": rub(c.saas_total, locale),
        "per_mailbox": rub(per_box, locale) if per_box is not None else "—",
    }


@command("cost", Access.MANAGE, Arg("scope", required=False, kind="choice", choices=(AGENCY,)))
async def cost(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """The month's cost of the workspace's fleet beside a SaaS platform; admins: `all`, the agency."""
    if args["scope"] == AGENCY or (ctx.actor.is_admin and ctx.actor.workspace_id is None):
        agency = await costs.agency_cost(ctx.actor)
        reply = Reply().add(ctx.t("cost-title-agency"), "title").add(ctx.t("cost-month", **_money(ctx, agency.total)))
        lines = [ctx.t("cost-workspace-line", workspace=s.slug, **_money(ctx, s.cost)) for s in agency.spaces]
        if lines:
            reply.add(brief(ctx, lines, limit=LINES_SHOWN, sep="\n"))
        return reply.add(_prices(ctx, agency.settings)).add(ctx.t("cost-hint"))
    space = await costs.workspace_cost(ctx.actor)
    reply = Reply().add(ctx.t("cost-title", workspace=space.slug), "title")
    reply.add(ctx.t("cost-month", **_money(ctx, space.cost)))
    return reply.add(_prices(ctx, space.settings)).add(ctx.t("cost-hint"))


def _prices(ctx: Ctx, settings: costs.CostSettings) -> str:
    values = {name: getattr(settings, name) for name in BOUNDS}
    return ctx.t("cost-prices", **{k: str(v) if k == "servers" else rub(v, ctx.t.locale) for k, v in values.items()})


@command(
    "cost_set",
    Access.MANAGE,
    Arg("name", max_length=40),
    Arg("value", kind="rest", max_length=40),  # "20 000 ₽" as /cost writes it, then `agency` or nothing
    example="mailbox_month 90",
)
async def cost_set(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """Change one price within its bounds: the workspace's (managers) or, with `agency`, the agency's (admins)."""
    value, agency = with_scope(args["value"], AGENCY_SCOPE)
    change = await costs.set_cost(ctx.actor, ctx.clock, args["name"], value, agency=agency)
    key = "cost-changed-agency" if change.scope == "agency" else "cost-changed"
    return Reply().add(ctx.t(key, name=change.name, before=str(change.before), after=str(change.after)))


def _week(ctx: Ctx, n: int, w: cap.Week) -> str:
    key = "capacity-week" if w.lowest_day != w.highest_day else "capacity-week-even"  # not "140–140 a day"
    return ctx.t(
        key, number=n, start=w.start.isoformat(), end=w.end.isoformat(), emails=w.campaign,
        low=w.lowest_day, high=w.highest_day,
    )  # fmt: skip


def _days(ctx: Ctx, found: cap.Capacity) -> str:
    """Which days the figures count: a week of campaigns that send on weekdays only is five days, not seven."""
    if found.campaign_days is None:
        return ctx.t("capacity-days-all")
    names = ctx.t("campaign-weekdays-short").split(",")
    days = ",".join(names[d] if len(names) == 7 else str(d + 1) for d in sorted(found.campaign_days))
    return ctx.t("capacity-days", days=days, count=len(found.campaign_days))


def _idle(ctx: Ctx, found: cap.Capacity) -> str:
    """How many mailboxes send nothing today and why, then what brings each kind back."""
    causes = ", ".join(ctx.t(f"capacity-idle-{cause}", count=n) for cause, n in found.idle)
    count = sum(n for _, n in found.idle)
    lines = [ctx.t("capacity-idle", count=count, mailboxes=found.mailboxes, causes=causes)]
    lines += [ctx.t(f"capacity-idle-{cause}-fix") for cause, _ in found.idle]
    return "\n".join(lines)


@command(
    "capacity",
    Access.MANAGE,
    Arg("emails", required=False, kind="int", bounds=(1, cap.MAX_EMAILS)),
    Arg("weeks", required=False, kind="int", bounds=(1, cap.MAX_WEEKS)),
    example="12000 1",
)
async def capacity_cmd(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """Campaign emails the fleet can send today and in the coming weeks; with a volume: does it fit, and if not,
    what it takes."""
    found = await cap.capacity(ctx.actor, ctx.clock, emails=args["emails"], weeks=args["weeks"])
    reply = Reply().add(ctx.t("capacity-title"), "title")
    today = found.today
    if found.mailboxes:
        reply.add(
            ctx.t("capacity-today", emails=today.campaign, senders=today.senders, mailboxes=found.mailboxes,
                  warmup=today.warmup)
        )  # fmt: skip
        if found.campaign_days is not None and today.day.weekday() not in found.campaign_days:
            reply.add(ctx.t("capacity-today-off"))  # the 0 above is the campaigns' day off, not the fleet's
        reply.add("\n".join([*(_week(ctx, n, w) for n, w in enumerate(found.weeks, 1)), _days(ctx, found)]))
        if found.idle:  # zeros of mailboxes that send nothing are not zeros of a fleet still warming
            reply.add(_idle(ctx, found))
        if found.campaigns_from is not None and not today.campaign:
            reply.add(ctx.t("capacity-warming", start=found.campaigns_from.isoformat()))
    else:  # not "0 campaign emails from 0 of 0 mailboxes" and weeks of zeros
        reply.add(ctx.t("capacity-no-mailboxes"))
    if found.reserve_per_day:
        key = "capacity-reserve-warm" if found.reserve_warm else "capacity-reserve"  # not "once warm" if it is
        reply.add(ctx.t(key, emails=found.reserve_per_day))
    a = found.assessment
    if a is None:
        return reply.add(ctx.t("capacity-hint"))
    if a.fits:
        return reply.add(ctx.t("capacity-fits", emails=a.emails, weeks=a.weeks, available=a.available))
    reply.add(ctx.t("capacity-short", emails=a.emails, weeks=a.weeks, available=a.available))
    if a.fits_from is not None:
        reply.add(ctx.t("capacity-wait", start=a.fits_from.isoformat(), weeks=a.weeks))
    add = a.addition
    if add is not None:
        reply.add(
            ctx.t(
                "capacity-add", per_day=add.per_day, mailboxes=add.mailboxes, domains=add.domains,
                mailbox_cap=add.mailbox_cap, domain_cap=add.domain_cap, per_mailbox=add.per_mailbox,
                warmup_weeks=add.warmup_weeks, full_weeks=add.full_weeks, full_on=add.full_on.isoformat(),
            )
        )  # fmt: skip
        if add.workspace_cap_binds:
            reply.add(ctx.t("capacity-workspace-cap"))
    return reply

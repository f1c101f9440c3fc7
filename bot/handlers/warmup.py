"""Warmup in chat: progress of a mailbox, a domain or the workspace, start and pause, the settings, and why a
mailbox sent less than it wanted today."""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from bot.command import LINES_SHOWN, Access, Arg, Ctx, brief, command
from bot.handlers.monitoring import protection_lines
from engine.reply import Reply
from engine.sending import why as why_service
from engine.stats import workspace_zone
from engine.warmup import service
from engine.warmup.graduation import Stage
from engine.warmup.placement import Placement
from engine.warmup.service import MailboxWarmup, WarmupChange
from engine.warmup.settings import BOUNDS, WarmupSettings, setting_name
from models.enums import CapKind

STAGE_MARK: Final = {
    Stage.NOT_STARTED: "⚪",
    Stage.WARMING: "🔥",
    Stage.WAITING: "⏳",
    Stage.READY: "✅",
    Stage.GRADUATED: "🟢",
}
ONE_BY_ONE: Final = 3
"""Up to this many mailboxes, /warmup shows each in full; more (a domain) get one line each."""


def stage_key(stage: Stage) -> str:
    return "warmup-stage-" + stage.value.replace("_", "-")


def eta_key(stage: Stage) -> str:
    return "warmup-eta-" + stage.value.replace("_", "-")


def cap_key(cap: CapKind) -> str:
    return f"why-cap-{cap.value}"


def _placement(ctx: Ctx, placement: Placement) -> str:
    if placement.score is None:  # a state of its own, never 0 %
        return ctx.t("warmup-placement-none", sample=placement.sample, needed=placement.min_sample)
    return ctx.t("warmup-placement", percent=round(placement.score * 100), sample=placement.sample)


def _stopped(item: MailboxWarmup) -> bool:
    """Graduated, but sending nothing now (campaigns and maintenance warmup alike)."""
    return item.readiness.stage is Stage.GRADUATED and item.status in service.STOPPED


def _eta(ctx: Ctx, item: MailboxWarmup, min_placement: float) -> str:
    r = item.readiness
    if _stopped(item):  # not "working with campaigns" while it stands
        return ctx.t("warmup-eta-graduated-stopped", status=ctx.t(f"mailbox-status-{item.status.value}"))
    when = str(r.ready_on) if r.ready_on else "—"
    threshold = round(min_placement * 100)
    status = ctx.t(f"mailbox-status-{item.status.value}")
    return ctx.t(_held_key(item) or eta_key(r.stage), date=when, threshold=threshold, status=status)


def _held_key(item: MailboxWarmup) -> str | None:
    """The outlook of a mailbox whose warmup is paused or that stands (paused, cooling down, disabled), where that
    changes it: the planner plans it no warmup and the graduation check passes it over. A warming one's earliest day
    moves on with each day it stands still; a ready one graduates only once it goes on; a graduated one's
    maintenance warmup does not go on. None: the stage says it as it is."""
    stage, stands = item.readiness.stage, item.status in service.STOPPED
    if stage is Stage.WARMING and (item.paused or stands):
        return "warmup-eta-warming-held"
    if stage is Stage.READY and stands:
        return "warmup-eta-ready-stopped"
    if stage is Stage.READY and item.paused:
        return "warmup-eta-ready-paused"
    if stage is Stage.GRADUATED and item.paused:
        return "warmup-eta-graduated-paused"
    return None


_NO_DAY: Final = frozenset({Stage.NOT_STARTED, Stage.GRADUATED})  # no day of a warmup period to show


def _card(ctx: Ctx, item: MailboxWarmup, settings: WarmupSettings) -> str:
    r = item.readiness
    lines = [f"{STAGE_MARK[r.stage]} {item.address} ({ctx.t(f'mailbox-status-{item.status.value}')})"]
    if item.paused:
        lines.append(ctx.t("warmup-paused-note"))
    if r.stage not in _NO_DAY:
        lines.append(ctx.t("warmup-day", day=min(r.day, r.days) if r.stage is Stage.WARMING else r.day, days=r.days))
    lines.append(ctx.t("warmup-today", target=item.target_today, sent=item.sent_today))
    if item.peers_short is not None and not item.paused:  # who does it warm with? nobody, or too few: say so
        allowed, wanted = item.peers_short
        lines.append(ctx.t("warmup-peers-short", allowed=allowed, wanted=wanted))
    lines += [_placement(ctx, r.placement), _eta(ctx, item, settings.min_placement)]
    return "\n".join(lines)


def _line(ctx: Ctx, item: MailboxWarmup) -> str:
    """A mailbox in one line: its day of the period while that counts; working or not started without one."""
    r = item.readiness
    pause = " ⏸" if item.paused else ""
    key = {Stage.GRADUATED: "warmup-line-working", Stage.NOT_STARTED: "warmup-line-not-started"}.get(r.stage)
    if _stopped(item):
        key = "warmup-line-stopped"
    return (
        ctx.t(
            key or "warmup-line",
            status=ctx.t(f"mailbox-status-{item.status.value}"),
            mark=STAGE_MARK[r.stage],
            address=item.address,
            day=r.day,
            days=r.days,
            sent=item.sent_today,
            target=item.target_today,
            placement=_placement(ctx, r.placement),
        )
        + pause
    )


@command("warmup", Access.READ, Arg("target", required=False), example="anna@acme-mail.ru")
async def warmup(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """A mailbox or a domain in detail; without an argument, the workspace in a few lines."""
    if args["target"]:
        items = await service.warmup_status(ctx.actor, ctx.clock, args["target"])
        if not items:
            return Reply().add(ctx.t("warmup-domain-empty", domain=args["target"]))
        settings = await service.show_settings(ctx.actor)
        if len(items) <= ONE_BY_ONE:
            return Reply().add("\n\n".join(_card(ctx, i, settings) for i in items))
        reply = Reply().add(ctx.t("warmup-domain-title", domain=args["target"], count=len(items)), "title")
        return reply.add(brief(ctx, [_line(ctx, i) for i in items], limit=LINES_SHOWN, sep="\n"))
    view = await service.warmup_overview(ctx.actor, ctx.clock)
    if not view.total:
        return Reply().add(ctx.t("warmup-none-manage" if ctx.actor.can_manage() else "warmup-none"))
    reply = Reply().add(ctx.t("warmup-title", total=view.total), "title")
    stages = [
        f"{STAGE_MARK[s]} " + ctx.t("label-count", label=ctx.t(stage_key(s)), count=n)
        for s, n in view.stages.items()
        if n
    ]
    reply.add("\n".join(stages))
    if view.paused:
        reply.add(ctx.t("warmup-paused-count", count=view.paused))
    if view.stopped:  # counted in a stage above, but sending no warmup now
        states = ", ".join(
            ctx.t("label-count", label=ctx.t(f"mailbox-status-{status.value}"), count=n)
            for status, n in view.stopped.items()
        )
        reply.add(ctx.t("warmup-stopped-count", count=sum(view.stopped.values()), states=states))
    if view.worst:
        worst = [f"{address}: {_placement(ctx, p)}" for address, p in view.worst]
        reply.add(ctx.t("warmup-worst") + "\n" + "\n".join(worst))
    if view.unmeasured:
        reply.add(ctx.t("warmup-unmeasured", count=view.unmeasured))
    return reply


def _change(ctx: Ctx, key: str, change: WarmupChange) -> Reply:
    reply = Reply(ok=bool(change.changed) or not change.skipped).add(
        ctx.t(key, changed=len(change.changed), unchanged=len(change.unchanged), skipped=len(change.skipped))
    )
    if change.changed:
        reply.add(brief(ctx, list(change.changed)))
    if change.skipped:
        reply.add(ctx.t("warmup-start-skipped", mailboxes=brief(ctx, list(change.skipped))))
    if change.unready:
        reply.add(ctx.t("warmup-start-dns-unready", domains=", ".join(change.unready)))
    if change.alone:
        reply.add(ctx.t("warmup-start-alone", mailboxes=brief(ctx, list(change.alone))))
    return reply


@command("warmup_start", Access.MANAGE, Arg("which"), example="acme-mail.ru")
async def warmup_start(ctx: Ctx, args: dict[str, Any]) -> Reply:
    return _change(ctx, "warmup-started", await service.start_warmup(ctx.actor, ctx.clock, args["which"]))


@command("warmup_pause", Access.MANAGE, Arg("which"), example="acme-mail.ru")
async def warmup_pause(ctx: Ctx, args: dict[str, Any]) -> Reply:
    return _change(ctx, "warmup-paused", await service.pause_warmup(ctx.actor, ctx.clock, args["which"]))


def _bounds(name: str) -> str:
    bounds = BOUNDS[name]
    if isinstance(bounds[0], str):
        return " | ".join(str(b) for b in bounds)
    return f"{bounds[0]}–{bounds[1]}"


def _typed(value: object) -> str:
    """A value as it is typed back (`true`, not Python's `True`)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


@command(
    "warmup_settings",
    Access.MANAGE,
    Arg("setting", required=False),
    Arg("value", kind="rest", required=False),  # the rest: "85 %", as the warmup card writes a share
    example="target_per_day 30",
)
async def warmup_settings(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """Without arguments: every setting with its bounds. With a name: that one. With a name and a value: change
    it."""
    if args["setting"] is not None and args["value"] is None:  # "/warmup_settings variance": what it is, how to set
        name = setting_name(args["setting"])
        settings = await service.show_settings(ctx.actor)
        line = ctx.t("warmup-setting-line", name=name, value=_typed(getattr(settings, name)), bounds=_bounds(name))
        return Reply().add(line).add(ctx.t("warmup-setting-hint", name=name))
    if args["setting"] is not None:
        change = await service.set_setting(ctx.actor, ctx.clock, args["setting"], args["value"])
        reply = Reply().add(
            ctx.t("warmup-setting-changed", name=change.name, before=_typed(change.before), after=_typed(change.after))
        )
        if change.continued:  # mid-ramp: no mailbox's volume jumps to where the new ramp would have it by now
            step, target = change.settings.step_per_day, change.settings.target_per_day
            reply.add(ctx.t("warmup-setting-continued", count=change.continued, step=step, target=target))
        if change.above:
            reply.add(ctx.t("warmup-setting-lowered", count=change.above, target=change.settings.target_per_day))
        return reply
    settings = await service.show_settings(ctx.actor)
    lines = [
        ctx.t("warmup-setting-line", name=name, value=_typed(getattr(settings, name)), bounds=_bounds(name))
        for name in BOUNDS
    ]
    return Reply().add(ctx.t("warmup-settings-title"), "title").add("\n".join(lines)).add(ctx.t("warmup-settings-hint"))


@command("why", Access.MANAGE, Arg("target"), example="anna@acme-mail.ru")
async def why(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """Today's deferrals of a mailbox or a domain: which cap held it back, wanted against allowed; with none today,
    the last day's (after the demo, on a morning before the plans ran)."""
    found = await why_service.why(ctx.actor, args["target"], ctx.clock)
    guarded = await why_service.protections(ctx.actor, args["target"], ctx.clock)  # monitoring's cuts, cooldowns
    zone = await workspace_zone(ctx.actor.workspace_id)
    if not found and guarded:  # no cap deferred it today, yet protection holds it back: say that, not "nothing"
        return Reply().add(ctx.t("why-protected", target=args["target"]) + "\n" + protection_lines(ctx, guarded, zone))
    nothing = ""
    if not found:  # nothing today (its plans may not have run yet): the last day a cap held it back, if any
        nothing = ctx.t("why-nothing", target=args["target"])
        last = await why_service.last_held_day(ctx.actor, args["target"], ctx.clock)
        found = [] if last is None else await why_service.why(ctx.actor, args["target"], ctx.clock, day=last)
        if not found:
            return Reply().add(nothing)
    day: dt.date = found[0].day
    lines = [
        ctx.t(
            "why-line",
            mailbox=d.mailbox,
            wanted=d.wanted,
            allowed=d.allowed,
            cap=ctx.t(cap_key(d.cap)),
        )
        for d in found
    ]
    reply = Reply().add(nothing) if nothing else Reply()
    reply.add(ctx.t("why-title", target=args["target"], day=str(day)), "title")
    reply.add(brief(ctx, lines, limit=LINES_SHOWN, sep="\n"))
    return reply.add(ctx.t("why-protections") + "\n" + protection_lines(ctx, guarded, zone)) if guarded else reply

"""Monitoring in chat: the health of mailboxes and domains (worst first, each rate with its sample) and the
protection thresholds (show; change within bounds)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from bot.command import AGENCY_SCOPE, LINES_SHOWN, Access, Arg, Ctx, brief, command, with_scope
from engine.clock import local_time
from engine.dns.names import unicode_names
from engine.lifecycle import state_name
from engine.monitoring import report
from engine.monitoring.metrics import Metrics, Rate
from engine.monitoring.report import SubjectHealth
from engine.monitoring.rules import BOUNDS, RECOVERING, window_key
from engine.people import SLUG_MAX_CHARS
from engine.reply import Reply
from engine.sending.why import Protection

SHOWN: Final = 12
"""/health without an argument: this many subjects, worst first; the rest are counted."""


def rate_text(ctx: Ctx, r: Rate) -> str:
    if not r.measured:
        return ctx.t("health-not-measured")
    if r.value is None:  # a state of its own, never 0 %
        return ctx.t("health-not-enough", sample=r.sample, needed=r.min_sample)
    if r.part > r.sample:  # answers to earlier days' sends: "150 %" would be no share of anything
        return ctx.t("health-rate-over", part=r.part, sample=r.sample)
    return ctx.t("health-rate", percent=r.percent, sample=r.sample)


def rule_label(ctx: Ctx, rule: str) -> str:
    """A monitoring rule (`warmup_spam`, `recovering:block_rate`) in the reader's words (`monitoring-rule-…`)."""
    key = "monitoring-rule-" + rule.removeprefix(RECOVERING).replace("_", "-")
    return ctx.t(key) if ctx.t.has(key) else rule


def window_label(ctx: Ctx, window: str) -> str:
    """The window a rule measured (`1d`, `7d`, `3d/14d`, `consecutive`) in the reader's words."""
    key = window_key(window)
    return ctx.t(key) if ctx.t.has(key) else window


def paused_label(ctx: Ctx, reason: str) -> str:
    """Why sending is paused, as stored (`monitoring: error_spike`), in the reader's words."""
    source, _, rule = reason.partition(": ")
    if source == "monitoring" and rule:
        return rule_label(ctx, rule)
    return reason or "—"


def _line(ctx: Ctx, s: SubjectHealth) -> str:
    """One subject in the overview: its 7-day rates in one line."""
    m = s.windows[1]
    return ctx.t(
        "health-line",
        head=_head(ctx, s),
        sent=m.sent,
        hard=rate_text(ctx, m.hard_bounce_rate),
        block=rate_text(ctx, m.block_rate),
        reply=rate_text(ctx, m.reply_rate),
        placement=rate_text(ctx, m.placement),
    )


def _brief(ctx: Ctx, m: Metrics) -> str:
    return ctx.t(
        "health-brief",
        sent=m.sent,
        hard=rate_text(ctx, m.hard_bounce_rate),
        block=rate_text(ctx, m.block_rate),
        reply=rate_text(ctx, m.reply_rate),
        opens=rate_text(ctx, m.open_rate),
        complaints=m.complaint_rate.part,
        unsubscribes=m.unsubscribe_rate.part,
    )


def _metrics(ctx: Ctx, m: Metrics) -> str:
    return ctx.t(
        "health-metrics",
        window=ctx.t(f"health-window-{m.window.value}"),
        sent=m.sent,
        hard=rate_text(ctx, m.hard_bounce_rate),
        block=rate_text(ctx, m.block_rate),
        reply=rate_text(ctx, m.reply_rate),
        opens=rate_text(ctx, m.open_rate),
        placement=rate_text(ctx, m.placement),
        complaints=m.complaint_rate.part,
        unsubscribes=m.unsubscribe_rate.part,
        errors=m.smtp_errors,
        auth=m.auth_errors,
    )


def _head(ctx: Ctx, s: SubjectHealth) -> str:
    # an unread inbox (a mailbox's, or some of a domain's): its low rates were not measured
    warned = s.factor < 1 or bool(s.inbox_unread_since) or s.unread_mailboxes > 0 or s.stopped_count > 0
    warned = warned or s.held_until is not None
    mark = "🔴" if s.in_trouble else "⚪" if not s.in_service else "🟠" if warned else "🟢"
    parts = [ctx.t("health-head", mark=mark, name=s.name, state=state_name(s.kind, s.status))]
    if s.held_by is not None:  # its domain is cooling or burned: the mailbox sends nothing, whatever its own state
        domain, state = s.held_by
        parts.append(ctx.t("health-held-by-domain", domain=domain, state=state_name("domain", state)))
    if s.inbox_unread_since:
        parts.append(ctx.t("health-inbox-unread", since=s.inbox_unread_since))
    if s.stopped:  # a domain whose mailboxes send nothing: how many, and why
        causes = "; ".join(ctx.t(f"health-stopped-{cause}", count=n) for cause, n in s.stopped)
        parts.append(ctx.t("health-domain-stopped", count=s.stopped_count, total=s.mailboxes, causes=causes))
    if s.unread_mailboxes:
        parts.append(ctx.t("health-domain-inbox-unread", count=s.unread_mailboxes, total=s.mailboxes))
    if s.factor < 1:
        parts.append(ctx.t("health-cut", factor=s.factor, reason=rule_label(ctx, s.reason)))
    if s.cooldown_until is not None:
        parts.append(ctx.t("health-cooldown", until=local_time(s.cooldown_until, s.cooldown_until.tzinfo)))
    if s.held_until is not None:
        parts.append(ctx.t("health-held-until", until=local_time(s.held_until, s.held_until.tzinfo)))
    return " · ".join(parts)


@command("health", Access.READ, Arg("target", required=False), example="anna@acme-mail.ru")
async def health(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """Mailboxes and domains worst first (7 days); a mailbox or a domain in detail (1 day, 7 days, last 100)."""
    found = await report.health(ctx.actor, ctx.clock, args["target"])
    if not found:
        idle = await report.unwatched(ctx.actor)  # mailboxes there are, but none sends: say which, not "none yet"
        if not idle:
            return Reply().add(ctx.t("health-none"))
        states = ", ".join(
            ctx.t("label-count", label=ctx.t(f"mailbox-status-{status.value}"), count=n) for status, n in idle.items()
        )
        key = "health-none-idle" if ctx.actor.can_manage() else "health-none-idle-read"
        return Reply().add(ctx.t(key, count=sum(idle.values()), states=states))
    if args["target"]:  # a mailbox's card, or a domain's card and a line for each of its mailboxes, worst first
        reply = Reply().add(ctx.t("health-title-one", target=unicode_names(args["target"])), "title")
        cards = [s for s in found if s.kind == "domain"] or found[:1]
        reply.add("\n\n".join("\n".join([_head(ctx, s), *(_metrics(ctx, m) for m in s.windows)]) for s in cards))
        lines = [s for s in found if s not in cards]
        if lines:
            reply.add("\n".join(_line(ctx, s) for s in lines[:SHOWN]))
        if len(lines) > SHOWN:
            reply.add(ctx.t("health-more", count=len(lines) - SHOWN))
        return reply
    reply = Reply().add(ctx.t("health-title", count=len(found)), "title")
    paused = await report.paused_reason(ctx.actor)
    if paused is not None:
        reply.add(ctx.t("health-sending-paused", reason=paused_label(ctx, paused)))
    view = await report.overview(ctx.actor, ctx.clock)
    scopes = [ctx.t("health-workspace-line", metrics=_brief(ctx, view.workspace))]
    scopes += [ctx.t("health-campaign-line", name=name, metrics=_brief(ctx, m)) for name, m in view.campaigns]
    if view.more_campaigns:
        scopes.append(ctx.t("health-campaigns-more", count=view.more_campaigns))
    reply.add("\n".join(scopes))
    reply.add("\n".join(_line(ctx, s) for s in found[:SHOWN]))
    if len(found) > SHOWN:
        reply.add(ctx.t("health-more", count=len(found) - SHOWN))
    return reply.add(ctx.t("health-hint" if ctx.actor.can_manage() else "health-hint-read"))


@command(
    "thresholds_set",
    Access.MANAGE,
    Arg("name"),
    Arg("value", kind="rest", max_length=40),  # the value, a space before "%" allowed, then `agency` or nothing
    example="hard_bounce_rate 4%",
)
async def thresholds_set(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """Change one protection threshold within its bounds: the workspace's, or with `agency` the agency's default
    (admins)."""
    value, agency = with_scope(args["value"], AGENCY_SCOPE)
    change = await report.set_threshold(ctx.actor, ctx.clock, args["name"], value, agency=agency)
    key = "thresholds-changed-agency" if change.scope == "agency" else "thresholds-changed"
    return Reply().add(ctx.t(key, name=change.name, before=str(change.before), after=str(change.after)))


@command("thresholds", Access.MANAGE)
async def thresholds(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """The protection thresholds with their bounds and where each value comes from."""
    view = await report.show_thresholds(ctx.actor)
    lines = []
    for name, (low, high) in BOUNDS.items():
        origin = "workspace" if name in view.overridden else "agency" if name in view.agency else "default"
        lines.append(
            ctx.t(
                "thresholds-line",
                name=name,
                value=str(getattr(view.values, name)),
                bounds=f"{low}–{high}",
                origin=ctx.t(f"thresholds-origin-{origin}"),
            )
        )
    reply = Reply().add(ctx.t("thresholds-title"), "title").add("\n".join(lines))
    return reply.add(ctx.t("thresholds-hint")) if ctx.actor.can_manage() else reply  # a client cannot change them


@command("sending_resume", Access.MANAGE, Arg("workspace", required=False, max_length=SLUG_MAX_CHARS), example="acme")
async def sending_resume(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """Resume the workspace's sending after a pause (monitoring pauses it on a spike of failures); a workspace
    named by its slug (the button under a domain swap names the swap's)."""
    resumed = await report.resume_sending(ctx.actor, ctx.clock, args["workspace"])
    return Reply(ok=resumed).add(ctx.t("sending-resumed" if resumed else "sending-not-paused"))


def _domain_protection(ctx: Ctx, p: Protection) -> str:
    """A domain protection cooled (or burned): why, from the reason its transition was logged with ("blacklisted:
    dbl.spamhaus.org", "dns drift: dkim, spf")."""
    state = state_name("domain", str(p.data.get("status", "cooling")))
    cause, _, what = p.reason.partition(": ")
    if cause == "blacklisted" and what:
        return ctx.t("why-protection-domain-listed", subject=p.subject, state=state, zones=what)
    if cause == "dns drift" and what:
        records = ", ".join(ctx.t(f"dns-record-{r.strip()}") for r in what.split(","))
        return ctx.t("why-protection-domain-drift", subject=p.subject, state=state, records=records)
    return ctx.t("why-protection-domain", subject=p.subject, state=state)


def protection_lines(ctx: Ctx, found: list[Protection], zone: dt.tzinfo) -> str:
    """/why: the cooldowns and volume cuts in force, with the numbers that triggered them; a cooldown's end on the
    workspace's clock (`zone`)."""
    lines = []
    for p in found:
        numbers = (
            ctx.t(
                "why-protection-numbers",
                rule=rule_label(ctx, str(p.data.get("rule", p.reason) or "?")),
                percent=round(float(p.data.get("rate", 0)) * 100, 1),
                sample=int(p.data.get("sample", 0)),
                threshold=round(float(p.data.get("threshold", 0)) * 100, 1),
                window=window_label(ctx, str(p.data.get("window", "?"))),
            )
            if "sample" in p.data
            else ""
        )
        if p.kind == "domain":
            head = _domain_protection(ctx, p)
        elif p.kind == "inbox":
            head = ctx.t("why-protection-inbox", subject=p.subject, since=p.reason or "?")
        elif p.kind == "held" and p.until is not None:
            head = ctx.t("why-protection-held", subject=p.subject, until=local_time(p.until, zone))
        elif p.kind == "cooldown" and p.until is not None:
            head = ctx.t("why-protection-cooldown", subject=p.subject, until=local_time(p.until, zone))
        else:
            head = ctx.t("why-protection-cut", subject=p.subject, factor=p.factor or 0)
        lines.append(f"{head} {numbers}".strip())
    return brief(ctx, lines, limit=LINES_SHOWN, sep="\n")

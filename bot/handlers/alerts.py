"""Alerts in chat: what is open (worst first), acknowledging one (also the button on every alert message), and
the agency chat that hears agency-wide alerts. Clients see none of it."""

from __future__ import annotations

from typing import Any, Final

from bot.command import Access, Arg, Ctx, command
from engine import agency_chats, alerts
from engine.alert_names import kind_label, subject_names
from engine.alert_routing import age_parts
from engine.alerts import AlertView
from engine.i18n import shorten
from engine.reply import Reply
from models.enums import AlertStatus

SEVERITY_MARK: Final = {"critical": "🔴", "warning": "🟠", "info": "ℹ️"}
SUBJECT_SHOWN: Final = 60  # characters of a subject in /alerts: twenty lines stay one Telegram message


def _age(ctx: Ctx, seconds: float) -> str:
    number, unit = age_parts(seconds)
    return ctx.t("alerts-age", n=number, unit=unit)


def _line(ctx: Ctx, view: AlertView) -> str:
    where = view.workspace or ctx.t("alerts-agency")
    key = "alerts-line-acked" if view.status is AlertStatus.ACKED else "alerts-line"
    return f"{SEVERITY_MARK.get(view.severity.value, '')} " + ctx.t(
        key,
        id=view.id,
        kind=kind_label(ctx.t, view.kind),
        subject=shorten(view.subject, SUBJECT_SHOWN),
        workspace=where,
        count=view.count,
        age=_age(ctx, view.age_s),
        last=_age(ctx, view.last_s),
        who=view.acked_by,
    )


@command("alerts", Access.MANAGE, Arg("scope", required=False, kind="choice", choices=("all",)), example="all")
async def alerts_list(ctx: Ctx, args: dict[str, Any]) -> Reply:
    listing = await alerts.list_alerts(ctx.actor, ctx.clock, everywhere=args["scope"] == "all")
    if not listing.total:
        return Reply().add(ctx.t("alerts-none"))
    reply = Reply().add(ctx.t("alerts-title", total=listing.total, open=listing.open, acked=listing.acked), "title")
    reply.add("\n".join(_line(ctx, v) for v in listing.alerts))
    if listing.total > len(listing.alerts):
        reply.add(ctx.t("list-more", count=listing.total - len(listing.alerts)))
    return reply


@command("ack", Access.MANAGE, Arg("id", kind="int", int_type="int8", not_found="error-alert-not-found"), example="17")
async def ack(ctx: Ctx, args: dict[str, Any]) -> Reply:
    alert = await alerts.ack_alert(ctx.actor, args["id"], ctx.clock)
    subject = (await subject_names([alert.subject]))[alert.subject]
    return Reply().add(ctx.t("alert-acked", id=alert.id, kind=kind_label(ctx.t, alert.kind), subject=subject))


@command("agency_chat", Access.ADMIN, Arg("state", required=False, kind="choice", choices=("off",)), example="off")
async def agency_chat(ctx: Ctx, args: dict[str, Any]) -> Reply:
    on = args["state"] != "off"
    changed = await agency_chats.bind_agency_chat(ctx.actor, ctx.platform, ctx.chat_id, ctx.clock, on=on)
    if on:
        return Reply().add(ctx.t("agency-chat-bound" if changed else "agency-chat-already"))
    return Reply().add(ctx.t("agency-chat-unbound" if changed else "agency-chat-not-bound"))

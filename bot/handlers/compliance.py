"""Compliance with Russian law in chat: the sender identity of the footer, erasing a person, retention, and the
audit log export (`engine.compliance`)."""

from __future__ import annotations

import re
from typing import Any

from bot.command import Access, Arg, Ctx, command, echo
from engine.compliance import audit, forget, identity, retention
from engine.compliance.hashing import AddressHasher
from engine.errors import UserError
from engine.reply import Attachment, Button, Reply

OFF_WORDS = frozenset({"off", "выкл", "нет", "0"})
DAYS = re.compile(r"([+-]?\d+)\s*(?:d|day|days|д|дн|дн\.|день|дня|дней)?")
"""A number of days as people write it: `365`, `365d`, `400 дней`, `90 days`; a sign is read (and out of range), and
so is a number of any length (the argument's 16 characters bound it): 99999999999 is out of range, not "no number"."""


@command(
    "workspace_legal",
    Access.MANAGE,
    Arg("legal_name", required=False, max_length=identity.LEGAL_NAME_MAX),
    Arg("contact", kind="rest", required=False, max_length=identity.CONTACT_MAX),
    example='"ООО «Вектор», ИНН 7701234567" Москва, ул. Ленина, 1, info@vektor.example',
)
async def workspace_legal(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """Show or set the legal name and contact every campaign message is signed with."""
    if not args["legal_name"]:
        current = await identity.sender_identity(ctx.actor)
        if not current.complete:
            return Reply().add(ctx.t("legal-none"))
        return Reply().add(ctx.t("legal-current", name=current.legal_name, contact=current.contact))
    if not args["contact"]:
        raise UserError("error-legal-missing-contact")
    saved = await identity.set_sender_identity(ctx.actor, ctx.clock, args["legal_name"], args["contact"])
    return Reply().add(ctx.t("legal-set", name=saved.legal_name, contact=saved.contact))


@command("forget", Access.MANAGE, Arg("email", max_length=forget.ADDRESS_MAX),
         Arg("scope", kind="choice", choices=("all",), required=False), example="ivan@acme.ru")  # fmt: skip
async def forget_person(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """Erase a person's data in this workspace (`all`: everywhere, admins), keeping only a hashed suppression.
    What would be erased is shown first, with a button that erases it; with nothing stored, the hash is added."""
    everywhere = args["scope"] == "all"
    found = await forget.preview(ctx.actor, args["email"], everywhere=everywhere)
    if not found.anything:
        return await _erase(ctx, args["email"], everywhere)
    token = await forget.park(ctx.services["redis"], ctx.actor, args["email"], everywhere=everywhere)
    reply = Reply().add(ctx.t("forget-confirm", scope=_scope(ctx, found), **_counts(found)))
    reply.buttons.append([Button(ctx.t("forget-confirm-button"), "forget_confirm", token, style="danger")])
    return reply


@command("forget_confirm", Access.MANAGE, Arg("token", max_length=32), example="x1y2", button_only=True)
async def forget_confirm(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """The erase button of /forget: takes the parked request once (a second press finds it used)."""
    email, everywhere = await forget.take(ctx.services["redis"], ctx.actor, args["token"])
    return await _erase(ctx, email, everywhere)


async def _erase(ctx: Ctx, email: str, everywhere: bool) -> Reply:
    hasher = AddressHasher.from_vault(ctx.services["vault"])
    erased = await forget.forget(ctx.actor, ctx.clock, email, hasher=hasher, everywhere=everywhere)
    if not erased.anything:
        new = "yes" if erased.hashed_new else "no"
        return Reply().add(ctx.t("forget-nothing", scope=_scope(ctx, erased), new=new))
    return Reply().add(ctx.t("forget-done", scope=_scope(ctx, erased), **_counts(erased)))


def _scope(ctx: Ctx, erased: forget.Erased) -> str:
    """Where: every workspace, or the one named (a manager of several learns which one it was)."""
    if erased.everywhere:
        return ctx.t("forget-scope-global")
    return ctx.t("forget-scope-workspace", workspace=erased.workspace)


def _counts(erased: forget.Erased) -> dict[str, int]:
    return {
        "leads": erased.leads,
        "enrollments": erased.enrollments,
        "messages": erased.messages,
        "events": erased.events,
        "suppressions": erased.suppressions,
    }


@command("retention", Access.MANAGE, Arg("days", kind="rest", required=False, max_length=16), example="365")
async def retention_days(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """Show or set how many days events, email texts and old leads are kept (off: kept until deleted)."""
    text = (args["days"] or "").strip().lower()
    if not text:
        days = await retention.retention_days(ctx.actor)
        return Reply().add(ctx.t("retention-off") if days is None else ctx.t("retention-current", days=days))
    if text in OFF_WORDS:
        wanted = None
    elif (days_given := DAYS.fullmatch(text)) is not None:
        wanted = int(days_given[1])
    else:
        raise UserError("error-retention-value", value=echo(text))
    change = await retention.set_retention(ctx.actor, ctx.clock, wanted)
    before = ctx.t("retention-was-off") if change.before is None else str(change.before)
    if change.after is None:
        return Reply().add(ctx.t("retention-set-off", before=before))
    return Reply().add(ctx.t("retention-set", days=change.after, before=before))


@command("audit_export", Access.MANAGE, Arg("from", required=False, max_length=20),
         Arg("to", required=False, max_length=20), example="2026-03-01 2026-03-31")  # fmt: skip
async def audit_export(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """The audit log as CSV (admins: every workspace; managers: the workspaces they manage)."""
    start = audit.parse_day(args["from"], field="from")
    end = audit.parse_day(args["to"], field="to")
    found = await audit.export_audit(ctx.actor, ctx.clock, start, end)
    first, last = found.filename.removeprefix("audit-").removesuffix(".csv")[:10], found.filename[-14:-4]
    if not found.rows:
        return Reply().add(ctx.t("audit-export-empty", **{"from": first, "to": last}))
    reply = Reply().add(ctx.t("audit-export-ready", rows=found.rows, **{"from": first, "to": last}))
    reply.files.append(Attachment(found.filename, found.content))
    return reply

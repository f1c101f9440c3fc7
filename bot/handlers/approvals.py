"""Approval buttons: the same command whether pressed in Telegram, in Slack or typed in the console."""

from __future__ import annotations

from typing import Any

from bot.command import Access, Arg, Ctx, command
from bot.handlers.reserve import proposal_reply
from engine import approvals, domains
from engine.alert_names import subject_names
from engine.dns.names import to_unicode
from engine.domains.reserve import Proposal
from engine.domains.swap import (
    apply_swap,
    offer_freed_reserve,
    paused_after,
    refresh_stale,
    renew_pressed,
    swap_waiting_to_apply,
)
from engine.errors import Conflict
from engine.reply import Button, Reply
from models.enums import ApprovalKind, ApprovalStatus

_ASKED = (Proposal.PROPOSED, Proposal.REUSED, Proposal.RESERVE_EMPTY)  # what `proposal_reply` shows
APPROVAL_ID = Arg("id", kind="int", not_found="error-approval-not-found")


async def _decide(ctx: Ctx, approval_id: int, approve: bool) -> Reply:
    if approve and (stale := await refresh_stale(ctx.actor, approval_id, ctx.clock)) is not None:
        # the reserve it names was listed or got a wrong record since: that request is over, here is the next
        if stale.reason == "recovered":  # delisted, its records right: back at work, its reserve free again
            recovered = Reply().add(ctx.t("swap-recovered", id=stale.approval_id, domain=stale.domain))
            return await _offer_freed(ctx, stale.approval_id, recovered)
        text = ctx.t("swap-stale", id=stale.approval_id, replacement=stale.replacement, reason=stale.reason)
        return proposal_reply(ctx, stale.fresh, Reply().add(text))
    try:
        decision = await approvals.decide(ctx.actor, approval_id, approve, ctx.clock)
    except Conflict as decided:
        if approve and await _approved_swap_not_applied(approval_id, decided):
            # approved, but its application failed or was cut short (a crash, a lost connection): pressing
            # Approve again carries it out (`apply_swap` applies once, and re-checks the reserve)
            return await _apply_swap(ctx, approval_id)
        if decided.key == "error-approval-expired":
            # past its time, not yet swept: expired now as the sweep would, and a swap still needed asked again
            fresh = await renew_pressed(approval_id, ctx.clock)
            if fresh is not None and fresh.outcome in _ASKED:
                return proposal_reply(ctx, fresh, Reply().add(ctx.t("error-approval-expired", id=approval_id)))
        raise
    key = "approval-approved" if approve else "approval-rejected"
    subject = (await subject_names([decision.subject]))[decision.subject]  # `domain:7` as its name
    reply = Reply().add(ctx.t(key, id=decision.approval_id, subject=subject))
    if approve and decision.kind is ApprovalKind.DMARC_STEP:
        reply.blocks += (await _apply_dmarc(ctx, decision.approval_id)).blocks
    if not approve and decision.kind is ApprovalKind.DOMAIN_SWAP:  # its reserve is free for a domain that waits
        reply = await _offer_freed(ctx, decision.approval_id, reply)
    if approve and decision.kind is ApprovalKind.DOMAIN_SWAP and "replacement_id" in decision.payload:
        # (a swap request names both domains; one without them — asked by hand — has nothing to carry out)
        applied = await _apply_swap(ctx, decision.approval_id)
        reply.blocks += applied.blocks
        reply.buttons += applied.buttons
    return reply


async def _offer_freed(ctx: Ctx, approval_id: int, reply: Reply) -> Reply:
    """`reply`, and the swap request that now offers the reserve of the request `approval_id` (rejected, or over) to
    a domain that waited for one (`offer_freed_reserve`), with its buttons."""
    freed = await offer_freed_reserve(approval_id, ctx.clock)
    if freed is None or freed.approval_id is None:
        return reply
    replacement, domain = str(freed.payload.get("replacement", "")), str(freed.payload.get("domain", ""))
    text = ctx.t("swap-reserve-freed", replacement=replacement, domain=domain, id=freed.approval_id)
    return proposal_reply(ctx, freed, reply.add(text))


async def _approved_swap_not_applied(approval_id: int, decided: Conflict) -> bool:
    """Whether `decided` (the decision refused) is about a swap approved and not carried out (`approvals.decide`
    let the presser see it, so they manage its workspace)."""
    if decided.key != "error-approval-decided" or decided.params.get("status") != ApprovalStatus.APPROVED.value:
        return False
    return await swap_waiting_to_apply(approval_id)


async def _apply_swap(ctx: Ctx, approval_id: int) -> Reply:
    """Carry out an approved domain swap right away and say what moved (once, however often it is pressed)."""
    report = await apply_swap(approval_id, ctx.clock)
    if report.already_applied:
        return Reply().add(
            ctx.t("swap-already-applied", id=approval_id, domain=report.domain, replacement=report.replacement)
        )
    names = ", ".join(report.campaigns[:10]) + (" …" if len(report.campaigns) > 10 else "")
    text = ctx.t(
        "swap-applied",
        domain=report.domain,
        replacement=report.replacement,
        campaigns=len(report.campaigns),
        names=names,
        moved=report.moved,
        boxes=report.replacement_mailboxes,
        replanned=report.replanned,
        retired=report.retired_mailboxes,
    )
    reply = Reply().add(text)
    paused = await paused_after(approval_id)
    if paused is not None:  # the spike the burned domain caused paused the workspace: the swap does not resume it
        if ctx.actor.can_manage(paused.id):
            reply.add(ctx.t("swap-sending-paused", workspace=paused.name))
            reply.buttons.append([Button(ctx.t("sending-resume-button"), "sending_resume", paused.slug, "primary")])
        else:
            reply.add(ctx.t("swap-sending-paused-use", workspace=paused.name, slug=paused.slug))
    return reply


async def _apply_dmarc(ctx: Ctx, approval_id: int) -> Reply:
    """Carry out an approved DMARC step right away: through the DNS host's API, or say what to publish."""
    approval_domain = await domains.dmarc_step_domain(approval_id)
    host = await domains.dns_host(ctx.actor, approval_domain, ctx.services["dns_hosts"]) if approval_domain else None
    step = await domains.apply_dmarc_step(ctx.actor, ctx.clock, approval_id, ctx.services["dns"], host)
    domain = to_unicode(step.domain)
    if step.verified:
        return Reply().add(ctx.t("dmarc-step-applied", domain=domain, policy=step.policy.value))
    if step.aliased:  # _dmarc is an alias: the record to change is where it leads (a DMARC service's, maybe)
        name = f"_dmarc.{domain}"
        return Reply().add(ctx.t("dmarc-step-set-aliased", domain=domain, alias=name, name=step.name, value=step.value))
    if step.calls and step.unchecked:  # the DNS host took the record; DNS did not answer to say whether it serves it
        return Reply().add(ctx.t("dmarc-step-sent-unchecked", domain=domain, name=step.name, value=step.value))
    if step.calls:  # the DNS host took the record; DNS does not serve it yet
        return Reply().add(ctx.t("dmarc-step-sent", domain=domain, name=step.name, value=step.value))
    return Reply().add(ctx.t("dmarc-step-set-record", domain=domain, name=step.name, value=step.value))


@command("approve", Access.MANAGE, APPROVAL_ID, example="17", button_only=True)
async def approve(ctx: Ctx, args: dict[str, Any]) -> Reply:
    return await _decide(ctx, args["id"], approve=True)


@command("reject", Access.MANAGE, APPROVAL_ID, example="17", button_only=True)
async def reject(ctx: Ctx, args: dict[str, Any]) -> Reply:
    return await _decide(ctx, args["id"], approve=False)

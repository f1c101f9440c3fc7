"""The reserve pool and pending decisions in chat: `/reserve` (per workspace; admins: the agency), `/approvals`
(the requests waiting for a decision, with their buttons) and `/swap <domain>` (ask for a swap by hand)."""

from __future__ import annotations

from typing import Any, Final

from bot.command import LINES_SHOWN, Access, Arg, Ctx, brief, command
from engine.clock import local_time
from engine.dns.names import to_unicode
from engine.domains import reserve
from engine.domains.reserve import PoolState, Proposal, ProposeResult, ReserveDomain
from engine.lifecycle import state_name
from engine.reply import Button, Reply
from engine.stats import workspace_slugs, workspace_zones

AGENCY: Final = "all"


def _reserve_line(ctx: Ctx, r: ReserveDomain, offered: str = "") -> str:
    if r.ready:
        placement = (
            ctx.t("reserve-placement-none") if r.placement is None else f"{round(r.placement * 100)} %"
        )  # not measured is its own state, never 0 %
        line = ctx.t("reserve-line-ready", domain=to_unicode(r.name), graduated=r.graduated, placement=placement)
        return line + ctx.t("reserve-line-offered", request=offered) if offered else line  # promised to a swap
    reasons = ", ".join(ctx.t("reserve-not-ready-" + n.value.replace("_", "-")) for n in r.not_ready)
    return ctx.t("reserve-line-warming", domain=to_unicode(r.name), reasons=reasons, weeks=r.weeks_left)


def _shortfall(ctx: Ctx, state: PoolState) -> list[str]:
    s = state.shortfall
    if not s.short:
        return [ctx.t("reserve-enough", ready=state.counts.ready, target=s.target)]
    lines = [ctx.t("reserve-short", missing=s.missing, target=s.target)]
    if s.warming and s.warming_weeks is not None:
        lines.append(ctx.t("reserve-short-warming", warming=s.warming, weeks=s.warming_weeks))
    if s.buy:
        lines.append(ctx.t("reserve-short-buy", buy=s.buy, weeks=s.buy_weeks))
    return lines


@command("reserve", Access.MANAGE, Arg("scope", required=False, kind="choice", choices=(AGENCY,)), example=AGENCY)
async def reserve_cmd(ctx: Ctx, args: dict[str, Any]) -> Reply:
    agency = ctx.actor.is_admin and (args.get("scope") == AGENCY or ctx.actor.workspace_id is None)
    state = await reserve.pool_state(ctx.actor, ctx.clock, agency=agency)
    reply = Reply().add(ctx.t("reserve-title-agency" if agency else "reserve-title"), "title")
    if not state.counts.total:  # "the reserve is enough: 0 ready of 0 wanted" of a pool with no domain at all
        return reply.add(ctx.t("reserve-no-domains-agency" if agency else "reserve-no-domains"))
    reply.add(ctx.t("reserve-pool", **reserve.pool_params(state.counts)))
    if agency and state.per_workspace:
        lines = [
            ctx.t("reserve-workspace", workspace=state.slugs.get(ws_id, str(ws_id)), **reserve.pool_params(counts))
            for ws_id, counts in sorted(state.per_workspace.items())
        ]
        reply.add(brief(ctx, lines, limit=LINES_SHOWN, sep="\n"))
    reply.add("\n".join(_shortfall(ctx, state)))
    if state.reserves:
        ordered = sorted(state.reserves, key=lambda r: (not r.ready, r.name))
        lines = [_reserve_line(ctx, r, state.offered.get(r.id, "")) for r in ordered]
        reply.add(brief(ctx, lines, limit=LINES_SHOWN, sep="\n"))
    return reply


@command("approvals", Access.MANAGE)
async def approvals_cmd(ctx: Ctx, args: dict[str, Any]) -> Reply:
    waiting = await reserve.pending_approvals(ctx.actor, ctx.clock, limit=LINES_SHOWN)
    pending = waiting.shown  # two buttons each: thirty stay within Telegram's 100 buttons a message
    if not pending:
        return Reply().add(ctx.t("approvals-none"))
    reply = Reply().add(ctx.t("approvals-title", count=waiting.total), "title")
    spaces = {a.workspace_id for a in pending}
    zones = await workspace_zones(spaces)  # each request on its workspace's clock
    slugs = await workspace_slugs(spaces) if len(spaces) > 1 else {}
    for a in pending:
        kind = ctx.t("approval-kind-" + a.kind.value.replace("_", "-"))
        zone = zones.get(a.workspace_id)
        text = ctx.t(
            "approvals-item",
            id=a.id,
            workspace=slugs.get(a.workspace_id, "none"),  # named when the list spans several
            kind=kind,
            subject=str(a.payload.get("domain") or a.subject),
            asked=local_time(a.requested_at, zone),
            expires=local_time(a.expires_at, zone),
        )
        arg = str(a.id)
        reply.add_item(  # in Slack the buttons follow their request; in Telegram "#id" on each names it
            text,
            [
                Button(f"{ctx.t('button-approve')} #{a.id}", "approve", arg, style="primary"),
                Button(f"{ctx.t('button-reject')} #{a.id}", "reject", arg, style="danger"),
            ],
        )
    if waiting.total > len(pending):  # the oldest are listed: deciding them brings the next ones here
        reply.add(ctx.t("approvals-more", count=waiting.total - len(pending)))
    return reply


@command("swap", Access.MANAGE, Arg("domain"), example="alpha.example")
async def swap_cmd(ctx: Ctx, args: dict[str, Any]) -> Reply:
    domain, result = await reserve.request_swap(ctx.actor, args["domain"], ctx.clock)
    if result.outcome is Proposal.SPARE:
        return Reply().add(ctx.t("swap-not-needed-reserve", domain=to_unicode(domain.name)))
    if result.outcome is Proposal.NOT_NEEDED:
        status = state_name("domain", domain.status)
        return Reply().add(ctx.t("swap-not-needed", domain=to_unicode(domain.name), status=status))
    return proposal_reply(ctx, result, Reply())


def proposal_reply(ctx: Ctx, result: ProposeResult, reply: Reply) -> Reply:
    """A swap proposal added to `reply`: what it moves, with its buttons; or what an empty reserve would take."""
    if result.outcome is Proposal.RESERVE_EMPTY:
        return reply.add(ctx.t("alert-reserve-empty", **result.payload))
    if result.outcome not in (Proposal.PROPOSED, Proposal.REUSED):
        return reply
    reply.add(ctx.t("approval-domain-swap", **{"renews": 0, **result.payload}))
    key = "swap-proposed" if result.outcome is Proposal.PROPOSED else "swap-reused"
    reply.add(ctx.t(key, id=result.approval_id))
    arg = str(result.approval_id)
    reply.buttons.append(
        [
            Button(ctx.t("button-approve"), "approve", arg, style="primary"),
            Button(ctx.t("button-reject"), "reject", arg, style="danger"),
        ]
    )
    return reply

"""Charts and exports in chat: `/chart volume|rates|warmup|pool [period]` answers a PNG file,
`/export_campaign <name>` and `/export_leads <name>` a CSV. Clients read their own workspace only."""

from __future__ import annotations

from typing import Any, Final

from bot.command import Access, Arg, Ctx, command
from engine import exports
from engine.charts import data, render, service
from engine.charts.data import POOL_PARTS, RATE_NAMES
from engine.reply import Attachment, Reply
from engine.warmup.graduation import Stage

CHARTS: Final = ("volume", "rates", "warmup", "pool")
PNG: Final = "image/png"


def _labels(ctx: Ctx, chart: str, days: int, rates: data.Rates | None = None) -> dict[str, str]:
    empty = ctx.t("chart-empty")
    if chart == "pool":  # the pool is now, not a period; a client adds no domains
        empty = ctx.t("chart-pool-empty" if ctx.actor.can_manage() else "chart-pool-empty-client")
    elif rates is not None and not rates.measured and rates.sent:  # mail went out, too little to judge any day
        empty = ctx.t("chart-rates-too-few", sent=rates.sent)
    labels = {
        "title": ctx.t(f"chart-{chart}-title", days=days),
        "empty": empty,
        "axis": ctx.t(f"chart-{chart}-axis") if chart in {"volume", "pool"} else "",
    }
    if chart == "volume":
        labels["other"] = ctx.t("chart-volume-other")
    elif chart == "rates":
        labels.update({name: ctx.t("chart-rate-" + name.replace("_", "-")) for name in RATE_NAMES})
        labels["gaps"] = ctx.t("chart-rates-gaps")
    elif chart == "warmup":
        labels.update({f"stage-{s.value}": ctx.t("warmup-stage-" + s.value.replace("_", "-")) for s in Stage})
        labels.update({k: ctx.t(f"chart-warmup-{k}", days=days) for k in ("mailboxes", "checks", "inbox", "spam")})
        labels["empty-checks"] = ctx.t("chart-warmup-no-checks")
    else:
        labels.update({part: ctx.t(f"chart-pool-{part}") for part in POOL_PARTS})
        labels["target"] = ctx.t("chart-pool-target")
    return labels


@command(
    "chart",
    Access.READ,
    Arg("chart", kind="choice", choices=CHARTS),
    Arg("period", required=False, kind="rest", max_length=data.PERIOD_MAX_CHARS),
    example="volume 14d",
)
async def chart(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """A chart of the workspace as a PNG file over the last `period` days (default 14, at most 92)."""
    name: str = args["chart"]
    days = data.parse_period(args["period"])
    labels = _labels(ctx, name, days)
    if name == "volume":
        content = await render.png(render.volume_png, await service.volume(ctx.actor, ctx.clock, days), labels)
    elif name == "rates":
        rates = await service.rates(ctx.actor, ctx.clock, days)
        content = await render.png(render.rates_png, rates, _labels(ctx, name, days, rates))
    elif name == "warmup":
        content = await render.png(render.warmup_png, await service.warmup(ctx.actor, ctx.clock, days), labels)
    else:
        content = await render.png(render.pool_png, await service.pool(ctx.actor, ctx.clock), labels)
    reply = Reply().add(labels["title"])
    reply.files.append(Attachment(f"chart-{name}.png", content, PNG))
    return reply


@command("export_campaign", Access.READ, Arg("name", kind="rest"), example="spring")
async def export_campaign(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """The campaign's results per step and variant as a CSV file."""
    found = await exports.campaign_results(ctx.actor, args["name"], ctx.clock)
    kept = {"since": found.since.isoformat(), "days": found.retention_days} if found.since else None
    if not found.rows:  # a header and nothing under it reads like a broken file: say there is nothing yet
        if kept:  # it did send, before what retention keeps: not "has not sent any email yet"
            return Reply().add(ctx.t("export-campaign-retention-empty", name=found.subject, **kept))
        return Reply().add(ctx.t("export-campaign-empty", name=found.subject))
    reply = Reply().add(ctx.t("export-campaign-ready", rows=found.rows))
    if kept:
        reply.add(ctx.t("export-campaign-retention", **kept))
    reply.files.append(Attachment(found.filename, found.content))
    return reply


@command("export_leads", Access.READ, Arg("name", kind="rest"), example="spring")
async def export_leads(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """Every lead of the campaign and how it went, as a CSV file."""
    found = await exports.campaign_leads(ctx.actor, args["name"], ctx.clock)
    if not found.rows:  # a header and nothing under it reads like a broken file, as for /export_campaign
        key = "export-leads-empty" if ctx.actor.can_manage() else "export-leads-empty-client"
        return Reply().add(ctx.t(key, name=found.subject))
    reply = Reply().add(ctx.t("export-leads-ready", rows=found.rows))
    if found.since:  # answers to mail past retention are erased: a "no" there is not known
        reply.add(ctx.t("export-leads-retention", since=found.since.isoformat(), days=found.retention_days))
    reply.files.append(Attachment(found.filename, found.content))
    return reply

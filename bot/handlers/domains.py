"""Domains in chat: inventory, DNS plans and checks, applying records, blacklists, zone export."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from bot.command import Access, Arg, Ctx, command
from engine import domains
from engine.dns.check import RecordCheck
from engine.dns.dnsbl import DnsblResult
from engine.dns.names import to_unicode
from engine.errors import UserError
from engine.reply import Attachment, Button, Reply

VERDICT_MARK = {"ok": "✅", "timeout": "⏳", "servfail": "⏳"}


def _config(ctx: Ctx) -> domains.DnsConfig:
    config: domains.DnsConfig = ctx.services["dns"]
    return config


def _explain(ctx: Ctx, problems: Iterable[Mapping[str, Any]]) -> str:
    return "; ".join(ctx.t(p["key"], **p.get("params", {})) for p in problems)


def _record_line(ctx: Ctx, check: RecordCheck) -> str:
    mark = VERDICT_MARK.get(check.verdict.value, "❌")
    line = f"{mark} {ctx.t(f'dns-record-{check.kind.value}')}: {ctx.t(f'dns-verdict-{check.verdict.value}')}"
    why = _explain(ctx, (p.as_json() for p in check.problems))
    return f"{line} — {why}" if why else line


def _listing_line(ctx: Ctx, result: DnsblResult) -> str:
    mark = {"listed": "🚫", "clean": "✅"}.get(result.result.value, "⚠️")
    meaning = "; ".join(ctx.t(m) for m in result.meanings)
    line = f"{mark} {result.zone}: {ctx.t(f'dnsbl-result-{result.result.value}')}"
    return f"{line} ({meaning})" if meaning else line


@command("domains", Access.READ)
async def list_domains(ctx: Ctx, args: dict[str, Any]) -> Reply:
    rows = await domains.list_domains(ctx.actor, ctx.clock)
    if not rows:
        return Reply().add(ctx.t("domains-none"))
    lines = [
        ctx.t(
            "domains-line",
            name=d.display_name,
            status=d.status.value,
            pool=ctx.t(f"domains-pool-{d.pool_role.value}"),
            dns="?" if d.dns_ok is None else ("✅" if d.dns_ok else "❌"),
            listed="🚫" if d.listed else "—",
            mailboxes=d.mailboxes,
            days=d.days_left if d.days_left is not None else "—",
        )
        for d in rows
    ]
    return Reply().add(ctx.t("domains-title", count=len(rows)), "title").add("\n".join(lines))


@command(
    "domain_add",
    Access.MANAGE,
    Arg("names", kind="rest", required=False),
    Arg("csv", kind="file", required=False),
    example="acme-mail.ru пример.рф",
)
async def domain_add(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """A list of names in the message, or a CSV (name, registrar, expiry, mail provider, pool role)."""
    upload: Attachment | None = args["csv"]
    source: str | bytes | None = (
        upload.content if upload else (args["names"] or "").replace(",", "\n").replace(" ", "\n")
    )
    if not source:
        raise UserError("error-domain-add-empty", usage="/domain_add acme-mail.ru пример.рф")
    report = await domains.add_domains(ctx.actor, ctx.clock, source)
    reply = Reply(ok=not report.errors).add(
        ctx.t("domain-add-result", added=len(report.added), existing=len(report.existing), errors=len(report.errors))
    )
    if report.added:
        reply.add(", ".join(to_unicode(n) for n in report.added))
    if report.errors:
        reply.add(
            "\n".join(
                ctx.t("domain-add-row-error", line=e.line, value=e.value, reason=ctx.t(e.key, **e.params))
                for e in report.errors
            ),
            "error",
        )
    return reply


@command("domain", Access.READ, Arg("name"), example="acme-mail.ru")
async def show_domain(ctx: Ctx, args: dict[str, Any]) -> Reply:
    d = await domains.show_domain(ctx.actor, ctx.clock, args["name"])
    s = d.summary
    reply = (
        Reply()
        .add(f"{s.display_name}", "title")
        .add(
            ctx.t(
                "domain-facts",
                status=s.status.value,
                pool=ctx.t(f"domains-pool-{s.pool_role.value}"),
                provider=s.mail_provider.value,
                registrar=d.registrar or "—",
                expires=str(s.expires_on or "—"),
                dmarc=d.dmarc_policy.value,
                selector=d.dkim_selector or "—",
                tracking=d.tracking_host or "—",
                mailboxes=s.mailboxes,
                sent=d.sent_today,
            )
        )
    )
    if d.dns:
        reply.add(
            "\n".join(
                f"{VERDICT_MARK.get(v.verdict.value, '❌')} {ctx.t(f'dns-record-{v.record.value}')}: "
                f"{ctx.t(f'dns-verdict-{v.verdict.value}')}" + (f" — {_explain(ctx, v.problems)}" if v.problems else "")
                for v in d.dns
            )
        )
    else:
        reply.add(ctx.t("domain-never-checked"))
    if d.blacklists:
        listed = [b.zone for b in d.blacklists if b.result.value == "listed"]
        reply.add(ctx.t("domain-listed", zones=", ".join(listed)) if listed else ctx.t("domain-not-listed"))
    return reply


@command("dns_plan", Access.MANAGE, Arg("name"), example="acme-mail.ru")
async def dns_plan(ctx: Ctx, args: dict[str, Any]) -> Reply:
    view = await domains.plan_dns(ctx.actor, ctx.clock, args["name"], _config(ctx))
    reply = Reply().add(ctx.t("dns-plan-title", domain=to_unicode(view.domain)), "title").add(view.zone_text, "pre")
    if view.changes is None:
        reply.add(ctx.t("dns-plan-unknown"))
    elif view.changes:
        reply.add(ctx.t("dns-plan-diff", count=len(view.changes))).add(view.diff_text, "pre")
    else:
        reply.add(ctx.t("dns-plan-in-sync"))
    reply.files.append(Attachment(f"{view.domain}.zone", view.zone_text.encode(), "text/plain"))
    return reply


async def _apply(ctx: Ctx, name: str, *, dry_run: bool) -> Reply:
    host = await domains.dns_host(ctx.actor, name, ctx.services["dns_hosts"])
    if host is None:
        view = await domains.plan_dns(ctx.actor, ctx.clock, name, _config(ctx))
        reply = Reply().add(ctx.t("dns-apply-manual", domain=to_unicode(view.domain)))
        return reply.add(view.diff_text or view.zone_text, "pre")
    result = await domains.apply_dns(ctx.actor, ctx.clock, name, _config(ctx), host, dry_run=dry_run)
    if not result.calls:
        return Reply().add(ctx.t("dns-apply-nothing", domain=to_unicode(name), host=host.name))
    calls = "\n".join(f"{c.method} {c.path}" for c in result.calls)
    if not dry_run:
        return Reply().add(ctx.t("dns-apply-done", domain=to_unicode(name), host=host.name, calls=len(result.calls)))
    reply = Reply().add(ctx.t("dns-apply-confirm", domain=to_unicode(name), host=host.name, calls=len(result.calls)))
    reply.add(calls, "pre")
    reply.buttons.append([Button(ctx.t("dns-apply-button"), "dns_apply_confirm", name, "primary")])
    return reply


@command("dns_apply", Access.MANAGE, Arg("name"), example="acme-mail.ru")
async def dns_apply(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """Shows what would change at the DNS host; a button carries it out."""
    return await _apply(ctx, args["name"], dry_run=True)


@command("dns_apply_confirm", Access.MANAGE, Arg("name"), example="acme-mail.ru", button_only=True)
async def dns_apply_confirm(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """Pressing twice is harmless: the second apply finds nothing to change."""
    return await _apply(ctx, args["name"], dry_run=False)


async def _one_or_all(ctx: Ctx, name: str | None, one: Any, every: Any) -> list[Any]:
    """Reports for the named domain, or for every domain of the workspace when no name is given."""
    if name:
        return [await one(ctx.actor, ctx.clock, name, _config(ctx))]
    return list(await every(ctx.actor, ctx.clock, _config(ctx)))


@command("dns_check", Access.MANAGE, Arg("name", required=False), example="acme-mail.ru")
async def dns_check(ctx: Ctx, args: dict[str, Any]) -> Reply:
    reports = await _one_or_all(ctx, args["name"], domains.check_dns, domains.check_all_dns)
    if not reports:
        return Reply().add(ctx.t("domains-none"))
    reply = Reply(ok=all(r.ok for r in reports))
    for report in reports:
        reply.add(to_unicode(report.domain), "title").add("\n".join(_record_line(ctx, c) for c in report.records))
        if report.drifted:
            reply.add(ctx.t("dns-check-drift", records=", ".join(k.value for k in report.drifted)), "error")
    return reply


@command("blacklist_check", Access.MANAGE, Arg("name", required=False), example="acme-mail.ru")
async def blacklist_check(ctx: Ctx, args: dict[str, Any]) -> Reply:
    reports = await _one_or_all(ctx, args["name"], domains.check_blacklists, domains.check_all_blacklists)
    if not reports:
        return Reply().add(ctx.t("domains-none"))
    reply = Reply(ok=not any(r.new_listings for r in reports))
    for report in reports:
        reply.add(to_unicode(report.target), "title").add("\n".join(_listing_line(ctx, r) for r in report.results))
        if report.blind:
            reply.add(ctx.t("blacklist-blind", zones=", ".join(report.blind)), "error")
    return reply


@command(
    "dkim_set",
    Access.MANAGE,
    Arg("name"),
    Arg("selector"),
    Arg("key", kind="rest"),
    example="acme-mail.ru mail v=DKIM1; k=rsa; p=MIIBIjANBg…",
)
async def dkim_set(ctx: Ctx, args: dict[str, Any]) -> Reply:
    record = await domains.set_dkim(ctx.actor, ctx.clock, args["name"], args["key"], selector=args["selector"])
    return Reply().add(
        ctx.t("dkim-set-done", domain=to_unicode(args["name"]), selector=args["selector"], bits=record.key_bits or 0)
    )


@command("zone_export", Access.MANAGE)
async def zone_export(ctx: Ctx, args: dict[str, Any]) -> Reply:
    files = await domains.export_zones(ctx.actor, ctx.clock, _config(ctx))
    if not files:
        return Reply().add(ctx.t("domains-none"))
    reply = Reply().add(ctx.t("zone-export-done", count=len(files)))
    reply.files = [Attachment(name, text.encode(), "text/plain") for name, text in sorted(files.items())]
    return reply

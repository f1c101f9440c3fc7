"""Domains in chat: inventory, settings and removal, DNS plans and checks, applying records, blacklists, zones."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from bot.command import (
    ECHO_MAX_CHARS,
    LINES_SHOWN,
    Access,
    Arg,
    Ctx,
    Page,
    Sealed,
    brief,
    command,
    page_arg,
    page_buttons,
)
from engine import domains
from engine.clock import local_time
from engine.dns.check import RecordCheck
from engine.dns.dnsbl import DnsblResult
from engine.dns.names import to_unicode
from engine.dns.templates import RecordEdit
from engine.domains import BlacklistState, DnsState, Health
from engine.errors import UserError
from engine.i18n import shorten
from engine.lifecycle import LocalizedName, provider_name, state_name
from engine.reply import Attachment, Button, Reply
from engine.stats import workspace_zone
from models.enums import DomainStatus, PoolRole

VERDICT_MARK = {"ok": "✅", "timeout": "❔", "servfail": "❔"}
WARNING_MARK = "⚠️"
STATE_MARK = {Health.OK: "✅", Health.PARTIAL: "◐", Health.UNKNOWN: "❔"}
DOMAIN_ID = Arg("domain_id", kind="int", not_found="error-domain-gone")  # a button's: the domain by its id
SEALED_DOMAIN_ID = Arg("domain_id", kind="sealed", max_length=32, not_found="error-domain-gone")
"""A confirmation button's: the domain by its id, with the seal of what its question said (`engine.confirm.seal`)."""


def _dns_mark(state: domains.DnsState) -> str:
    """A domain's DNS in one mark: like the record lines, records that pass with a warning are ⚠️, not ✅."""
    if state.health == Health.BAD:
        return "❌"
    if state.health == Health.OK and state.warned:
        return WARNING_MARK
    return STATE_MARK[state.health]


def _config(ctx: Ctx) -> domains.DnsConfig:
    config: domains.DnsConfig = ctx.services["dns"]
    return config


def _when(moment: dt.datetime | None, zone: dt.tzinfo) -> str:
    return local_time(moment, zone) if moment else "—"


def _explain(ctx: Ctx, problems: Iterable[Mapping[str, Any]]) -> str:
    return "; ".join(ctx.t(p["key"], **p.get("params", {})) for p in problems)


def _record_line(ctx: Ctx, check: RecordCheck) -> str:
    return _verdict_line(ctx, check.kind.value, check.verdict.value, [p.as_json() for p in check.problems])


def _verdict_line(ctx: Ctx, record: str, verdict: str, problems: Sequence[Mapping[str, Any]]) -> str:
    """One record's verdict and why. A passing record with a warning (advice, or something that could not be
    read, such as an included SPF record) is marked ⚠️, never ✅ beside text that says so."""
    mark = VERDICT_MARK.get(verdict, "❌")
    if verdict == "ok" and any(p.get("warning") for p in problems):
        mark = WARNING_MARK
    line = f"{mark} {ctx.t(f'dns-record-{record}')}: {ctx.t(f'dns-verdict-{verdict}')}"
    return f"{line} — {_explain(ctx, problems)}" if problems else line


def _listing_line(ctx: Ctx, result: DnsblResult) -> str:
    mark = {"listed": "🚫", "clean": "✅"}.get(result.result.value, "❔")
    meaning = "; ".join(ctx.t(m) for m in result.meanings)
    line = f"{mark} {result.zone}: {ctx.t(f'dnsbl-result-{result.result.value}')}"
    return f"{line} ({meaning})" if meaning else line


def _blacklist_text(ctx: Ctx, state: BlacklistState, zone: dt.tzinfo) -> str:
    """Listed (where, since when) / clean (when) / partly unknown / unknown (since when, why), on the workspace's
    clock (`zone`)."""
    why = "; ".join(ctx.t(m) for m in state.reasons) or "—"
    match state.health:
        case Health.BAD:
            text = ctx.t("domain-listed", zones=", ".join(state.zones), since=_when(state.since, zone))
            if state.unchecked:
                text += "\n" + ctx.t("domain-bl-also-unchecked", zones=", ".join(state.unchecked), why=why)
            return text
        case Health.OK:
            return ctx.t("domain-not-listed", when=_when(state.checked_at, zone))
        case Health.PARTIAL:
            return ctx.t("domain-bl-partial", zones=", ".join(state.zones), why=why, when=_when(state.checked_at, zone))
    if state.never_checked:
        return ctx.t("domain-bl-never")
    return ctx.t("domain-bl-unknown", since=_when(state.since, zone), why=why)


def _dns_state_text(ctx: Ctx, state: DnsState, zone: dt.tzinfo) -> str | None:
    """A line for DNS that could not be (fully) checked; None when the verdicts say it all."""
    why = ", ".join(ctx.t(f"dns-verdict-{v.value}") for v in state.reasons)
    records = ", ".join(ctx.t(f"dns-record-{r.value}") for r in state.records)
    if state.health == Health.UNKNOWN and not state.never_checked:
        return ctx.t("domain-dns-unknown", since=_when(state.since, zone), why=why)
    if state.health == Health.PARTIAL:
        return ctx.t("domain-dns-partial", records=records, why=why)
    return None


def _provider(ctx: Ctx, provider: Any) -> LocalizedName | str:
    return provider_name(provider) if provider else ctx.t("domain-provider-unset")


def _pool(ctx: Ctx, status: DomainStatus, role: PoolRole) -> str:
    """The pool a domain is in: none once it is retired (swapped out or removed), whatever role it last had."""
    return ctx.t("domains-pool-none" if status is DomainStatus.RETIRED else f"domains-pool-{role.value}")


DOMAINS_PAGE: Final = 20  # lines of about 150 characters: a page and its legend stay one Telegram message


@command("domains", Access.MANAGE, page_arg(), example="2")
async def list_domains(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """The workspace's domains, a page at a time (a fleet of 300 is 15 pages of one message, not 11 messages)."""
    found = await domains.list_domains(ctx.actor, ctx.clock)
    if not found:
        return Reply().add(ctx.t("domains-none"))
    page = Page.of(len(found), args["page"], DOMAINS_PAGE)
    rows = found[page.rows]
    lines = [
        ctx.t(
            "domains-line",
            name=d.display_name,
            status=state_name("domain", d.status),
            pool=_pool(ctx, d.status, d.pool_role),
            provider=_provider(ctx, d.mail_provider),
            dns=_dns_mark(d.dns),
            listed="🚫" if d.blacklists.health == Health.BAD else STATE_MARK[d.blacklists.health],
            mailboxes=d.mailboxes,
            days=d.days_left if d.days_left is not None else "—",
        )
        for d in rows
    ]
    reply = Reply().add(ctx.t("domains-title", count=len(found)), "title").add("\n".join(lines))
    if page.pages > 1:
        reply.add(ctx.t("list-page", page=page.number, pages=page.pages, command="domains"))
        reply.buttons.append(page_buttons("domains", page))
        reply.in_place = True
    return reply.add(ctx.t("domains-legend"))


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
    source: str | bytes = upload.content if upload else domains.names_list(args["names"] or "")
    if upload is None and not source:  # an empty file is said so by the import, not answered with the usage
        raise UserError("error-domain-add-empty", usage="/domain_add acme-mail.ru пример.рф")
    report = await domains.add_domains(ctx.actor, ctx.clock, source, config=ctx.services.get("dns"))
    reply = Reply(ok=not report.errors).add(
        ctx.t("domain-add-result", added=len(report.added), existing=len(report.existing), errors=len(report.errors))
    )
    if report.added:
        reply.add(brief(ctx, [to_unicode(n) for n in report.added]))
    if report.detected:
        found = brief(ctx, [f"{to_unicode(n)} → {ctx.t(provider_name(p).key)}" for n, p in report.detected.items()])
        reply.add(ctx.t("domain-add-detected", list=found))
    if report.unknown_provider:
        reply.add(
            ctx.t("domain-add-provider-unknown", domains=brief(ctx, [to_unicode(n) for n in report.unknown_provider]))
        )
    if report.errors:
        lines = [
            ctx.t(
                "domain-add-row-error",
                line=e.line,
                value=shorten(e.value, ECHO_MAX_CHARS),
                reason=ctx.t(e.key, **e.params),
            )
            for e in report.errors
        ]
        reply.add(brief(ctx, lines, limit=LINES_SHOWN, sep="\n"), "error")
    return reply


@command("domain", Access.MANAGE, Arg("name"), example="acme-mail.ru")
async def show_domain(ctx: Ctx, args: dict[str, Any]) -> Reply:
    d = await domains.show_domain(ctx.actor, ctx.clock, args["name"])
    zone = await workspace_zone(ctx.actor.workspace_id)
    s = d.summary
    reply = (
        Reply()
        .add(f"{s.display_name}", "title")
        .add(
            ctx.t(
                "domain-facts",
                status=state_name("domain", s.status),
                pool=_pool(ctx, s.status, s.pool_role),
                provider=_provider(ctx, s.mail_provider),
                registrar=LocalizedName(f"registrar-{d.registrar}", d.registrar) if d.registrar else "—",
                expires=str(s.expires_on or "—"),
                dmarc=d.dmarc_policy.value,
                selector=d.dkim_selector or "—",
                tracking=to_unicode(d.tracking_host) if d.tracking_host else "—",
                mailboxes=s.mailboxes,
                sent=d.sent_today,
            )
        )
    )
    if d.dns:
        reply.add("\n".join(_verdict_line(ctx, v.record.value, v.verdict.value, v.problems) for v in d.dns))
        if (line := _dns_state_text(ctx, s.dns, zone)) is not None:
            reply.add(line)
    else:
        reply.add(ctx.t("domain-never-checked"))
    return reply.add(_blacklist_text(ctx, s.blacklists, zone))


@command("domain_set", Access.MANAGE, Arg("name"), Arg("field"), Arg("value", kind="rest"),
         example="acme-mail.ru provider yandex360")  # fmt: skip
async def domain_set(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """Set the mail provider, registrar, pool or tracking host of a domain."""
    change = await domains.set_domain(ctx.actor, ctx.clock, args["name"], args["field"], args["value"])
    return Reply().add(
        ctx.t(
            "domain-set-done",
            domain=to_unicode(change.domain),
            field=ctx.t(f"domain-field-{change.field}"),
            before=_setting(ctx, change.field, change.before),
            after=_setting(ctx, change.field, change.after),
        )
    )


def _setting(ctx: Ctx, field: str, value: str) -> LocalizedName | str:
    """A setting's value as the domain card says it (the provider, registrar and pool in words, the tracking
    host in Unicode), not as it is stored."""
    if value == "—":
        return ctx.t("domain-provider-unset") if field == domains.DomainField.PROVIDER else value
    match field:
        case domains.DomainField.PROVIDER:
            return provider_name(value)
        case domains.DomainField.REGISTRAR:
            return LocalizedName(f"registrar-{value}", value)
        case domains.DomainField.POOL:
            return ctx.t(f"domains-pool-{value}")
        case domains.DomainField.TRACKING:
            return to_unicode(value)
    return value


@command("domain_remove", Access.MANAGE, Arg("name"), example="acme-mail.ru")
async def domain_remove(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """Asks first; the button carries the domain's id and the seal of what the question says."""
    return _removal_question(ctx, await domains.plan_removal(ctx.actor, args["name"]))


def _removal_question(ctx: Ctx, plan: domains.Removal, reply: Reply | None = None) -> Reply:
    key = "domain-remove-confirm-retire" if plan.outcome == "retire" else "domain-remove-confirm-delete"
    reply = (reply or Reply()).add(ctx.t(key, domain=to_unicode(plan.domain), mailboxes=plan.mailboxes))
    sealed = f"{plan.domain_id}.{plan.seal}"
    reply.buttons.append([Button(ctx.t("domain-remove-button"), "domain_remove_confirm", sealed, "danger")])
    return reply


@command("domain_remove_confirm", Access.MANAGE, SEALED_DOMAIN_ID, example="1.0a1b2c3d", button_only=True)
async def domain_remove_confirm(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """Pressing twice is harmless: the second press finds the domain gone or retired. A press after the domain
    changed (an empty one got mailboxes) does nothing and asks again, saying so."""
    pressed: Sealed = args["domain_id"]
    try:
        done = await domains.remove_domain(ctx.actor, ctx.clock, pressed.id, pressed.seal)
    except domains.RemovalChanged as changed:
        return _removal_question(ctx, changed.plan, Reply().add(ctx.t(changed.key, **changed.params), "error"))
    key = "domain-remove-retired" if done.outcome == "retired" else "domain-remove-deleted"
    return Reply().add(ctx.t(key, domain=to_unicode(done.domain)))


@command("domain_resume", Access.MANAGE, Arg("name"), example="acme-mail.ru")
async def domain_resume(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """Return a cooling domain to work by hand. Asks first, showing what the latest checks say (a list or a
    record that could not be checked is named); refused while a list lists it or a swap is waiting."""
    return await _resume_question(ctx, await domains.resume_preview(ctx.actor, ctx.clock, args["name"]))


async def _resume_question(ctx: Ctx, asked: domains.Resumable, reply: Reply | None = None) -> Reply:
    """The question, and its button: the domain's id and the seal of what the question shows."""
    zone = await workspace_zone(asked.workspace_id)
    standing = asked.standing
    reply = (reply or Reply()).add(ctx.t("domain-resume-confirm", domain=to_unicode(asked.name)))
    reply.add(_blacklist_text(ctx, standing.blacklists, zone))
    if standing.dns.health == Health.BAD:
        records = ", ".join(ctx.t(f"dns-record-{r.value}") for r in standing.dns.records)
        reply.add(ctx.t("domain-resume-dns-bad", records=records), "error")
    elif standing.dns.never_checked:
        reply.add(ctx.t("domain-never-checked"))
    elif (line := _dns_state_text(ctx, standing.dns, zone)) is not None:
        reply.add(line)
    sealed = f"{asked.domain_id}.{asked.seal}"
    reply.buttons.append([Button(ctx.t("domain-resume-button"), "domain_resume_confirm", sealed, "primary")])
    return reply


@command("domain_resume_confirm", Access.MANAGE, SEALED_DOMAIN_ID, example="1.0a1b2c3d", button_only=True)
async def domain_resume_confirm(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """Checked again on the press: a second press finds the domain active and says so; a domain that stands
    otherwise than the question showed is left as it is, and asked about again."""
    pressed: Sealed = args["domain_id"]
    try:
        domain = await domains.resume_domain(ctx.actor, ctx.clock, pressed.id, pressed.seal)
    except domains.ResumeChanged as changed:
        note = Reply().add(ctx.t(changed.key, **changed.params), "error")
        return await _resume_question(ctx, changed.now, note)
    return Reply().add(ctx.t("domain-resume-done", domain=to_unicode(domain.name)))


@command("dns_plan", Access.MANAGE, Arg("name"), example="acme-mail.ru")
async def dns_plan(ctx: Ctx, args: dict[str, Any]) -> Reply:
    view = await domains.plan_dns(ctx.actor, ctx.clock, args["name"], _config(ctx))
    reply = Reply().add(ctx.t("dns-plan-title", domain=to_unicode(view.domain)), "title").add(view.zone_text, "pre")
    notes = [ctx.t(n.key, **n.params) for n in view.plan.notes]
    if notes:
        reply.add("\n".join(notes))
    if view.changes is None:
        reply.add(ctx.t("dns-plan-unknown"))
    elif view.changes:
        reply.add(ctx.t("dns-plan-diff", count=len(view.changes))).add(view.diff_text, "pre")
    else:
        reply.add(ctx.t("dns-plan-in-sync"))
    reply.files.append(Attachment(f"{view.domain}.zone", view.zone_text.encode(), "text/plain"))
    return reply


def _edit_line(ctx: Ctx, edit: RecordEdit) -> str:
    name = to_unicode(edit.name)
    return ctx.t(f"dns-apply-{edit.action}", type=edit.rtype, name=name, value=edit.value, old=edit.old)


async def _apply(ctx: Ctx, name: str, *, dry_run: bool, confirmed: str | None = None) -> Reply:
    host = await domains.dns_host(ctx.actor, name, ctx.services["dns_hosts"])
    if host is None:
        plan = await domains.plan_dns(ctx.actor, ctx.clock, name, _config(ctx))
        reply = Reply().add(ctx.t("dns-apply-manual", domain=to_unicode(plan.domain)))
        return reply.add(plan.diff_text or plan.zone_text, "pre")
    try:
        view = await domains.apply_dns(
            ctx.actor, ctx.clock, name, _config(ctx), host, dry_run=dry_run, confirmed=confirmed
        )
    except domains.ApplyChanged as changed:  # nothing written: the records as they would be now, asked again
        view, dry_run = changed.view, True
        if view.result.calls:
            return _apply_question(ctx, view, Reply().add(ctx.t(changed.key, **changed.params), "error"))
    shown = to_unicode(view.domain)
    if not view.result.calls:
        return Reply().add(ctx.t("dns-apply-nothing", domain=shown, host=view.host))
    if not dry_run:
        return Reply().add(ctx.t("dns-apply-done", domain=shown, host=view.host, count=len(view.edits)))
    return _apply_question(ctx, view)


def _apply_question(ctx: Ctx, view: domains.ApplyView, reply: Reply | None = None) -> Reply:
    """The records an apply writes, and its button: the domain's id and the seal of those records."""
    shown = to_unicode(view.domain)
    reply = (reply or Reply()).add(ctx.t("dns-apply-confirm", domain=shown, host=view.host, count=len(view.edits)))
    reply.add("\n".join(_edit_line(ctx, e) for e in view.edits), "pre")
    sealed = f"{view.domain_id}.{view.seal}"
    reply.buttons.append([Button(ctx.t("dns-apply-button"), "dns_apply_confirm", sealed, "primary")])
    return reply


@command("dns_apply", Access.MANAGE, Arg("name"), example="acme-mail.ru")
async def dns_apply(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """Shows the records it would write at the DNS host; a button (carrying the domain id and the seal of those
    records) writes them."""
    return await _apply(ctx, args["name"], dry_run=True)


@command("dns_apply_confirm", Access.MANAGE, SEALED_DOMAIN_ID, example="1.0a1b2c3d", button_only=True)
async def dns_apply_confirm(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """Writes the records its question listed, and no others: a press after the plan changed writes nothing and
    asks again. Pressing twice is harmless: the second press finds nothing to change."""
    pressed: Sealed = args["domain_id"]
    name = await domains.domain_name(ctx.actor, pressed.id)
    return await _apply(ctx, name, dry_run=False, confirmed=pressed.seal)


@command("dns_check", Access.MANAGE, Arg("name", required=False), example="acme-mail.ru")
async def dns_check(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """One domain in detail; without a name, every domain: one summary and one CSV file."""
    if args["name"]:
        report = await domains.check_dns(ctx.actor, ctx.clock, args["name"], _config(ctx))
        reply = Reply(ok=report.ok).add(to_unicode(report.domain), "title")
        reply.add("\n".join(_record_line(ctx, c) for c in report.records))
        if report.drifted:
            records = ", ".join(ctx.t(f"dns-record-{k.value}") for k in report.drifted)
            reply.add(ctx.t("dns-check-drift", records=records), "error")
        if report.fixed:  # wrong before, right now: said as a fix, never as a change to worry about
            reply.add(ctx.t("dns-check-fixed", records=", ".join(ctx.t(f"dns-record-{k.value}") for k in report.fixed)))
        return reply
    reports = await domains.check_all_dns(ctx.actor, ctx.clock, _config(ctx))
    if not reports:
        return Reply().add(ctx.t("domains-none"))
    summary = domains.summarize_dns(reports)
    counts = {h.value: n for h, n in summary.counts.items()}
    # as for one domain: the check did its job only where every record could be read and is right
    all_ok = summary.counts[Health.OK] == summary.total
    reply = Reply(ok=all_ok).add(ctx.t("dns-check-summary", total=summary.total, **counts))
    if summary.worst:
        lines = [
            ctx.t(
                "dns-check-worst-line",
                domain=to_unicode(r.domain),
                state=ctx.t(f"dns-state-{r.state.health.value}"),
                records=", ".join(ctx.t(f"dns-record-{k.value}") for k in r.state.records),
            )
            for r in summary.worst
        ]
        reply.add(ctx.t("dns-check-worst") + "\n" + "\n".join(lines))
    stamp = ctx.clock.now().strftime("%Y%m%d-%H%M")
    reply.files.append(Attachment(f"dns-check-{stamp}.csv", domains.dns_csv(reports, ctx.t)))
    return reply


async def _one_or_all(ctx: Ctx, name: str | None, one: Any, every: Any) -> list[Any]:
    """Reports for the named domain, or for every domain of the workspace when no name is given."""
    if name:
        return [await one(ctx.actor, ctx.clock, name, _config(ctx))]
    return list(await every(ctx.actor, ctx.clock, _config(ctx)))


@command("blacklist_check", Access.MANAGE, Arg("name", required=False), example="acme-mail.ru")
async def blacklist_check(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """One domain list by list; without a name, every domain in one summary (the listed and unchecked first)."""
    reports = await _one_or_all(ctx, args["name"], domains.check_blacklists, domains.check_all_blacklists)
    if not reports:
        return Reply().add(ctx.t("domains-none"))
    # a domain no list could answer for is no success (`mailfleet console` exits non-zero): never "clean"
    blind = any(r.state.health is Health.UNKNOWN for r in reports)
    reply = Reply(ok=not blind and not any(r.new_listings for r in reports))
    zone = await workspace_zone(ctx.actor.workspace_id)
    if args["name"]:
        for report in reports:
            reply.add(to_unicode(report.target), "title")
            reply.add("\n".join(_listing_line(ctx, r) for r in report.results))
            reply.add(_blacklist_text(ctx, report.state, zone))
        return reply
    counts = {h.value: sum(1 for r in reports if r.state.health == h) for h in Health}
    reply.add(ctx.t("blacklist-check-summary", total=len(reports), **counts))
    rank = {Health.BAD: 0, Health.UNKNOWN: 1, Health.PARTIAL: 2}
    worst = sorted((r for r in reports if r.state.health in rank), key=lambda r: (rank[r.state.health], r.target))
    if worst:
        lines = [f"{to_unicode(r.target)}: {_blacklist_text(ctx, r.state, zone)}" for r in worst[: domains.WORST_SHOWN]]
        reply.add(ctx.t("dns-check-worst") + "\n" + "\n".join(lines))
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
    saved = await domains.set_dkim(ctx.actor, ctx.clock, args["name"], args["key"], selector=args["selector"])
    return Reply().add(
        ctx.t("dkim-set-done", domain=to_unicode(saved.domain), selector=saved.selector, bits=saved.key_bits or 0)
    )


@command("zone_export", Access.MANAGE, Arg("name", required=False), example="acme-mail.ru")
async def zone_export(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """One domain's zone file, or every zone of the workspace in one ZIP archive."""
    if args["name"]:
        filename, text = await domains.export_zone(ctx.actor, ctx.clock, args["name"], _config(ctx))
        done = ctx.t("zone-export-one", domain=to_unicode(filename.removesuffix(".zone")), file=filename)
        return Reply(files=[Attachment(filename, text.encode(), "text/plain")]).add(done)
    count, archive = await domains.export_zones_zip(ctx.actor, ctx.clock, _config(ctx))
    if not count:
        return Reply().add(ctx.t("domains-none"))
    stamp = ctx.clock.now().strftime("%Y%m%d")
    return Reply(files=[Attachment(f"zones-{stamp}.zip", archive, "application/zip")]).add(
        ctx.t("zone-export-done", count=count)
    )

"""Leads in chat: import a CSV (validated, optionally enrolled into a campaign), an overview, suppressions."""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Final

from bot.command import LINES_SHOWN, Access, Arg, Ctx, brief, command, echo
from engine.campaigns.template import field_key
from engine.compliance.hashing import AddressHasher
from engine.dns.check import make_resolver
from engine.errors import UserError
from engine.i18n import shorten
from engine.leads import importer, listing, suppression
from engine.leads.columns import FIELD_ALIASES, FIELDS
from engine.leads.reader import MAX_LEAD_FILE_BYTES
from engine.leads.report import reason_key, rejection_csv
from engine.reply import Attachment, Reply
from models.enums import LeadVerdict

VALUE_OPTIONS = {"source": "source", "источник": "source", "basis": "legal_basis", "основание": "legal_basis"}
VERDICT_MARK = {"valid": "✅", "risky": "⚠️", "unknown": "❔", "invalid": "❌"}
REPORT_NAME = "leads-rejected.csv"
FIELD_SHOWN = 60  # characters of a name or company in /leads: ten examples stay one short message
COLUMNS_NAMED = 5  # columns without a header, or with a repeated one, named in the reply (all are kept)


def parse_options(text: str | None) -> importer.ImportOptions:
    """`Весна 2027 source=выставка basis=договор 12 email=Электронная почта` → campaign "Весна 2027", source,
    legal basis "договор 12", column override email → "Электронная почта".

    The command layer hands the rest of the line over as one text (quotes already gone), so words are grouped:
    the words before the first `key=value` are the campaign's name, and a word without `=` continues the value
    before it. Raises `UserError("error-leads-option")` for a key that is neither an option nor a lead field.
    """
    campaign: list[str] = []
    pairs: list[list[str]] = []
    for word in (text or "").split():
        key, sep, value = word.partition("=")
        if sep and key:
            pairs.append([key, value])
        elif pairs:
            pairs[-1][1] = f"{pairs[-1][1]} {word}".strip()
        else:
            campaign.append(word)
    values: dict[str, str] = {}
    columns: dict[str, str] = {}
    for key, value in pairs:
        name = key.strip().lower()
        if name in VALUE_OPTIONS:
            values[VALUE_OPTIONS[name]] = value.strip()
        elif FIELD_ALIASES.get(name, name) in FIELDS:
            columns[name] = value.strip()
        else:
            raise UserError("error-leads-option", word=echo(f"{key}={value}"), fields=", ".join(FIELDS))
    return importer.ImportOptions(
        campaign=" ".join(campaign) or None,
        source=values.get("source", ""),
        legal_basis=values.get("legal_basis", ""),
        columns=columns,
    )


def _counts(ctx: Ctx, report: importer.ImportReport) -> str:
    return ctx.t(
        "leads-import-result",
        rows=report.rows,
        imported=report.imported,
        updated=report.updated,
        duplicates=report.duplicates,
        invalid=report.invalid,
        risky=report.risky,
        unknown=report.unknown,
        suppressed=report.suppressed,
    )


def _reasons(ctx: Ctx, counts: dict[str, int]) -> str:
    ordered = sorted(counts.items(), key=lambda kv: -kv[1])
    return ", ".join(ctx.t("label-count", label=ctx.t(reason_key(r)), count=n) for r, n in ordered)


@command(
    "leads_import",
    Access.MANAGE,
    Arg("options", kind="rest", required=False),
    Arg("csv", kind="file", max_bytes=MAX_LEAD_FILE_BYTES),
    example='Весна source=выставка basis="договор 12" email=Почта + leads.csv',
)
async def leads_import(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """Import leads from a CSV; with a campaign name, enroll them."""
    upload: Attachment = args["csv"]
    options = parse_options(args["options"])
    dns = ctx.services.get("dns")
    options = dataclasses.replace(options, test_environment=bool(ctx.services.get("leads_test_environment")))
    report = await importer.import_leads(
        ctx.actor,
        upload.content,
        ctx.clock,
        options=options,
        resolver=make_resolver(dns.resolver) if dns is not None else None,
        redis=ctx.services.get("redis"),
        hasher=AddressHasher.from_vault(ctx.services["vault"]),
    )
    reply = Reply().add(_counts(ctx, report))
    if report.title_lines:
        reply.add(ctx.t("leads-import-title-skipped", line=report.header_line, count=report.title_lines))
    for column, name in report.unnamed_columns[:COLUMNS_NAMED]:
        reply.add(ctx.t("leads-import-unnamed-column", column=column, name=name, placeholder=f"{{{field_key(name)}}}"))
    for header, name in report.renamed_columns[:COLUMNS_NAMED]:
        reply.add(ctx.t("leads-import-renamed-column", header=header, name=name, placeholder=f"{{{field_key(name)}}}"))
    if report.zones_unknown:
        examples = ", ".join(ctx.t("leads-import-zone-example", value=v) for v in report.zone_examples)
        reply.add(ctx.t("leads-import-zone-unknown", count=report.zones_unknown, examples=examples))
    if report.headerless_column is not None:
        reply.add(ctx.t("leads-import-no-header", column=report.headerless_column))
        if report.unread_columns:
            reply.add(ctx.t("leads-import-no-header-unread", count=report.unread_columns))
    if report.campaign is not None:
        reply.add(ctx.t("leads-import-enrolled", campaign=report.campaign, enrolled=report.enrolled))
        if report.skipped:
            reply.add(ctx.t("leads-import-skipped", reasons=_reasons(ctx, report.skipped)))
    if report.reasons:
        reply.add(ctx.t("leads-import-reasons", reasons=_reasons(ctx, dict(report.reasons))))
    if report.rejections:
        omitted = report.rejected - len(report.rejections)
        report_csv = rejection_csv(report.rejections, ctx.t, omitted=omitted, delimiter=report.delimiter)
        reply.files.append(Attachment(REPORT_NAME, report_csv))
        reply.add(ctx.t("leads-import-report", count=report.rejected))
    return reply


@command("leads", Access.MANAGE, Arg("query", kind="rest", required=False, max_length=100), example="acme")
async def leads_overview(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """Counts by verdict and the newest few leads (matching a search)."""
    summary = await listing.lead_summary(ctx.actor, args["query"] or "")
    if not summary.total:
        return Reply().add(ctx.t("leads-none-query" if summary.query else "leads-none"))
    counts = {v.value: summary.by_verdict.get(v, 0) for v in LeadVerdict}
    reply = Reply().add(ctx.t("leads-title", total=summary.total), "title").add(ctx.t("leads-counts", **counts))
    lines = [
        f"{VERDICT_MARK[line.verdict.value]} {shorten(suppression.shown(line.email), FIELD_SHOWN * 2)}"
        + (f" — {_one_line(line.name)}" if line.name.strip() else "")
        + (f", {_one_line(line.company)}" if line.company.strip() else "")
        + (f" ({ctx.t(reason_key(line.reason))})" if line.reason else "")
        + (f" — {ctx.t('leads-replacement', address=suppression.shown(line.replacement))}" if line.replacement else "")
        for line in summary.examples
    ]
    return reply.add("\n".join(lines))


def _one_line(text: str) -> str:
    """A name or company as one short line: a cell of a spreadsheet may hold line breaks."""
    return shorten(" ".join(text.split()), FIELD_SHOWN)


SCOPE_ALL = "all"
"""The last word of /suppress and /unsuppress that widens them to every workspace (admins)."""


def _value_and_scope(text: str) -> tuple[str, bool]:
    """The address or domain and whether `all` ends the line: the value is the rest of the line, so an address
    copied with its display name (`Иван Петров <ivan@acme.ru>`) comes whole."""
    head, _, last = text.strip().rpartition(" ")
    if head.strip() and last.casefold() == SCOPE_ALL:
        return head.strip(), True
    return text.strip(), False


SUPPRESS_MAX_VALUES: Final = 100
"""How many addresses and domains one /suppress takes (a list pasted from a mail or a spreadsheet column)."""
_LIST_SEPARATORS: Final = re.compile(r"[,;\n]+")


def _values(text: str) -> list[str]:
    """The addresses and domains of a /suppress line: one, or a list apart by commas, semicolons, line ends or
    spaces — but an address with its display name, `Иван Петров <ivan@acme.ru>`, is one, spaces and all."""
    pieces = [p.strip() for p in _LIST_SEPARATORS.split(text) if p.strip()]
    return [word for piece in pieces for word in ([piece] if "<" in piece else piece.split())]


def _checked(ctx: Ctx, values: list[str]) -> list[str]:
    """`values` when every one is an address or a domain; else the refusal of the one, or of the list naming each
    wrong value (`error-leads-suppress-list`): nothing of a list is changed unless all of it can be."""
    if len(values) > SUPPRESS_MAX_VALUES:
        raise UserError("error-leads-suppress-too-many", count=len(values), max=SUPPRESS_MAX_VALUES)
    wrong = []
    for value in values:
        try:
            suppression.normalize_value(value)
        except UserError as refused:
            if len(values) == 1:
                raise
            wrong.append(ctx.t(refused.key, **refused.params))
    if wrong:
        raise UserError("error-leads-suppress-list", count=len(wrong), problems="\n".join(wrong[:LINES_SHOWN]))
    return values


@command("suppress", Access.MANAGE, Arg("value", kind="rest"), example="ivan@acme.ru")
async def suppress(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """Never write to an address or a domain again, or to each of a list (`all` at the end: in every workspace,
    admins). Every value is checked before any is stored: a list with a wrong one stores nothing."""
    text, everywhere = _value_and_scope(args["value"])
    values = _checked(ctx, _values(text))
    lines, stopped = [], 0
    for value in values:
        change = await suppression.suppress(ctx.actor, value, ctx.clock, everywhere=everywhere)
        key = "leads-suppressed" if change.created else "leads-suppressed-already"
        lines.append(ctx.t(key, value=suppression.shown(change.value), scope=ctx.t(_scope(change.everywhere))))
        stopped += change.stopped
    reply = Reply().add(brief(ctx, lines, limit=LINES_SHOWN, sep="\n"))
    if stopped:
        reply.add(ctx.t("leads-suppress-stopped", count=stopped))
    return reply


CONSENT_WORDS = frozenset({"consent", "согласие"})
"""A last word of /unsuppress: the person agreed again, so their own unsubscribe or complaint may be lifted."""


@command("unsuppress", Access.MANAGE, Arg("value", kind="rest"), example="ivan@acme.ru")
async def unsuppress(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """Lift a suppression, or each of a list as /suppress takes it (`all` at the end: the global one, admins;
    `consent`: the person agreed again)."""
    text, consent = args["value"].strip(), False
    head, _, last = text.rpartition(" ")
    if head.strip() and last.casefold() in CONSENT_WORDS:
        text, consent = head, True
    value, everywhere = _value_and_scope(text)
    if not consent:
        head, _, last = value.rpartition(" ")
        if head.strip() and last.casefold() in CONSENT_WORDS:
            value, consent = head.strip(), True
    values = _checked(ctx, _values(value))
    lifted, refused = [], []
    for one in values:  # each on its own: one that is not suppressed (or needs consent) keeps the others lifted
        try:
            change = await suppression.unsuppress(ctx.actor, one, ctx.clock, everywhere=everywhere, consent=consent)
        except UserError as refusal:
            if len(values) == 1:
                raise
            refused.append(ctx.t(refusal.key, **refusal.params))
            continue
        shown = suppression.shown(change.value)
        lifted.append(ctx.t("leads-unsuppressed", value=shown, scope=ctx.t(_scope(change.everywhere))))
        if change.still:
            lifted.append(ctx.t("leads-unsuppressed-still", value=shown, by=change.still))
    reply = Reply(ok=not refused)
    if lifted:
        reply.add(brief(ctx, lifted, limit=LINES_SHOWN, sep="\n"))
    if refused:
        reply.add(brief(ctx, refused, limit=LINES_SHOWN, sep="\n"), "error")
    return reply


def _scope(everywhere: bool) -> str:
    return "leads-scope-global" if everywhere else "leads-scope-workspace"

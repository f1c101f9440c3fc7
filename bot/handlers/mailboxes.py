"""Mailboxes in chat: list, card, CSV import with a login test per row, login tests, a private CA, pause, resume."""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Final

from bot.command import INT_RANGES, LINES_SHOWN, Access, Arg, Ctx, brief, command
from engine import mailboxes
from engine.clock import local_time
from engine.dns.names import to_unicode_address
from engine.errors import UserError
from engine.lifecycle import provider_name, tls_name
from engine.mail import problem_key
from engine.mail.tls import MailPolicy
from engine.mailboxes import LoginState, LoginTest, MailboxPage, MailboxSummary, RowResult, RowStatus
from engine.reply import Attachment, Button, Reply
from engine.stats import workspace_zone
from models.enums import MailboxStatus

STATUS_MARK = {"active": "🟢", "warming": "🔥", "cooldown": "🧊", "paused": "⏸", "disabled": "⛔", "retired": "⚫"}
CHECK_MARK = {LoginState.OK: "✅", LoginState.REFUSED: "❌", LoginState.UNCHECKED: "❔"}
WARNING_MARK = "⚠️"


def _test_options(ctx: Ctx) -> dict[str, Any]:
    """The deployment's mail policy (CA file, allowed ports and hosts) and, for tests, a shorter timeout."""
    options: dict[str, Any] = {"policy": MailPolicy.from_settings(ctx.services.get("settings"))}
    if "mail_test_timeout_s" in ctx.services:
        options["timeout_s"] = ctx.services["mail_test_timeout_s"]
    return options


def _problem(ctx: Ctx, key: str, words: str) -> str:
    """A failure as a manager reads it: its phrase, then the server's words (our own codes put in words)."""
    phrase = ctx.t(problem_key(key))
    if not words:
        return phrase
    return f"{phrase}: {ctx.t('mail-detail', detail=ctx.t('mail-text', text=words))}"


def _line(ctx: Ctx, box: MailboxSummary) -> str:
    mark = STATUS_MARK.get(box.status.value, "•")
    shown = box.last_error and box.status.value in ("disabled", "cooldown")
    error = f" — {_problem(ctx, *mailboxes.split_error(box.last_error))}" if shown else ""
    if box.inbox_unread:  # as /health says it: its bounces and replies go unseen
        error += f" · {ctx.t('mailboxes-line-inbox-unread')}"
    status = ctx.t(f"mailbox-status-{box.status.value}")
    return (
        f"{mark} {to_unicode_address(box.address)} ({status}, {ctx.t('mailboxes-line-cap', cap=box.daily_cap)}){error}"
    )


def _login(ctx: Ctx, test: LoginTest) -> str:
    smtp = ctx.t(test.smtp_key, **test.smtp_params)
    imap = ctx.t(test.imap_key, **test.imap_params)
    return f"SMTP {CHECK_MARK[test.smtp_state]} {smtp} · IMAP {CHECK_MARK[test.imap_state]} {imap}"


def _row(ctx: Ctx, row: RowResult) -> str:
    text = ctx.t(
        "mailbox-import-row",
        line=row.row,
        address=to_unicode_address(row.address) or "—",
        result=ctx.t(row.key, **row.params),
    )
    return f"{text}\n    {_login(ctx, row.test)}" if row.test is not None and not row.test.ok else text


def _plaintext(ctx: Ctx, address: str, protocols: tuple[str, ...]) -> str:
    shown = to_unicode_address(address)
    return f"{WARNING_MARK} " + ctx.t("mailbox-plaintext-warning", address=shown, protocols=", ".join(protocols))


def _refused_today(ctx: Ctx, reasons: tuple[tuple[str, int], ...]) -> str:
    """ "Refused us today: 3 (our IP or domain is blocked…: 2, SPF, DKIM, DMARC or PTR check failed: 1)"."""
    why = ", ".join(
        ctx.t("label-count", label=ctx.t("bounce-reason-" + reason.replace("_", "-")), count=n) for reason, n in reasons
    )
    return ctx.t("mailbox-refused-today", count=sum(n for _, n in reasons), reasons=why)


_PAGE_TOKEN: Final = re.compile(r"(\d+)(?:\.d(\d+))?(?:\.s([a-z]+))?")
PAGE_TOKEN_MAX: Final = len(f"{2**63}.d{2**63}.s") + max(len(s.value) for s in MailboxStatus)
"""The longest `_page_token`: two 64-bit numbers and a status; `mailboxes:` and it fit Telegram's 64 bytes."""


def _page_token(page: MailboxPage, number: int) -> str:
    """A page button's argument: the page and the filters it was read with (`3.d17.spaused`), ids not names."""
    domain = f".d{page.domain_id}" if page.domain_id else ""
    status = f".s{page.status}" if page.status else ""
    return f"{number}{domain}{status}"


def _filters(words: str | None) -> dict[str, Any]:
    """`/mailboxes 2 domain=acme.ru status=paused` → page, domain, status."""
    found: dict[str, Any] = {}
    for word in (words or "").split():
        key, sep, value = word.partition("=")
        if token := _PAGE_TOKEN.fullmatch(word):  # a page number, or a page button's `3.d17.spaused`
            found["page"] = int(token[1])
            if token[2]:
                found["domain_id"] = int(token[2])
            if token[3]:
                found["status"] = token[3]
        elif sep and key in {"domain", "status", "page", "домен", "статус", "страница"}:
            name = {"домен": "domain", "статус": "status", "страница": "page"}.get(key, key)
            found[name] = int(value) if name == "page" and value.isdigit() else value
        else:
            raise UserError("error-mailboxes-filter", word=word, usage="/mailboxes 2 domain=acme-mail.ru status=paused")
    return found


@command("mailboxes", Access.MANAGE, Arg("filters", kind="rest", required=False), example="2 domain=acme-mail.ru")
async def list_mailboxes(ctx: Ctx, args: dict[str, Any]) -> Reply:
    filters = _filters(args["filters"])
    if filters.get("domain_id", 0) > INT_RANGES["int4"][1]:  # a page token typed with an id past the column's
        return Reply().add(ctx.t("mailboxes-none-filtered"))  # names no domain, as a removed domain's id does
    page = await mailboxes.list_mailboxes(ctx.actor, **filters)
    if not page.total and (page.domain_id or page.status):  # none of these, not none at all
        return Reply().add(ctx.t("mailboxes-none-filtered"))
    if not page.total:
        return Reply().add(ctx.t("mailboxes-none"))
    reply = Reply().add(ctx.t("mailboxes-title", total=page.total, page=page.page, pages=page.pages), "title")
    reply.add("\n".join(_line(ctx, box) for box in page.items))
    nav = [Button(f"◀ {page.page - 1}", "mailboxes", _page_token(page, page.page - 1))] if page.page > 1 else []
    if page.page < page.pages:
        nav.append(Button(f"{page.page + 1} ▶", "mailboxes", _page_token(page, page.page + 1)))
    if nav:
        reply.buttons.append(nav)
        reply.in_place = True
    return reply


NAMED_ADDRESS: Final = Arg("address", kind="rest", max_length=400)
"""A mailbox named on the rest of the line: an address pasted with its display name (`Анна Петрова <anna@…>`, as a
mail client's From shows it) is one argument, not three words."""


@command("mailbox", Access.MANAGE, NAMED_ADDRESS, example="anna@acme-mail.ru")
async def show_mailbox(ctx: Ctx, args: dict[str, Any]) -> Reply:
    d = await mailboxes.show_mailbox(ctx.actor, args["address"], clock=ctx.clock)
    zone = await workspace_zone(ctx.actor.workspace_id)
    s = d.summary
    address = to_unicode_address(s.address)
    reply = Reply().add(f"{d.display_name} <{address}>" if d.display_name else address, "title")
    reply.add(
        ctx.t(
            "mailbox-facts",
            status=ctx.t(f"mailbox-status-{s.status.value}"),
            provider=provider_name(d.provider),
            cap=s.daily_cap,
            limit=d.provider_daily_limit or "—",
            smtp=ctx.t("mailbox-endpoint", host=d.smtp.host, port=str(d.smtp.port), tls=tls_name(d.smtp.tls)),
            imap=ctx.t("mailbox-endpoint", host=d.imap.host, port=str(d.imap.port), tls=tls_name(d.imap.tls)),
            warmup=str(d.warmup_started_on or "—"),
            weeks=d.warmup_weeks,
            cooldown=local_time(d.cooldown_until, zone) if d.cooldown_until else "—",
        )
    )
    reply.add(
        ctx.t(
            "mailbox-today",
            sent=d.today.get("sent", 0),
            replies=d.today.get("replies", 0),
            bounces=sum(d.today.get(c, 0) for c in ("bounces_hard", "bounces_soft", "bounces_block")),
            blocked=d.today.get("bounces_block", 0),
            spam=d.today.get("warmup_spam", 0),
        )
    )
    if d.refused_today:
        reply.add(_refused_today(ctx, d.refused_today))
    if d.inbox_read_at is not None:  # is warmup mail to it measured? not without a spam folder to look in
        key = "mailbox-inbox-read" if d.spam_folder else "mailbox-inbox-read-no-spam"
        reply.add(ctx.t(key, when=local_time(d.inbox_read_at, zone), folder=d.spam_folder or ""))
    if d.check is None:
        reply.add(ctx.t("mailbox-check-never"))
    else:
        when = local_time(d.checked_at, zone) if d.checked_at else "—"
        error = _problem(ctx, d.check_key, d.check_error) if d.check_key else ""
        line = ctx.t(f"mailbox-check-{d.check.value}", when=when, error=error, failures=s.auth_failures)
        reply.add(f"{CHECK_MARK[d.check]} {line}", "text" if d.check is LoginState.OK else "error")
    if d.tested is not None:  # a disabled mailbox tested since: apart from why it was disabled
        tested = d.tested
        when = local_time(tested.at, zone)
        if tested.ok:
            line = ctx.t("mailbox-tested-since-disabled-ok", when=when, address=address)
        else:
            which = "same" if tested.same else "failed"
            error = _problem(ctx, tested.key, tested.words)
            line = ctx.t(f"mailbox-tested-since-disabled-{which}", when=when, error=error)
        reply.add(
            f"{CHECK_MARK[LoginState.OK] if tested.ok else WARNING_MARK} {line}", "text" if tested.ok else "error"
        )
    if d.late_read is not None:  # disabled or retired, read for late answers: why that read fails, apart
        late = d.late_read
        error = _problem(ctx, late.key, late.words)
        when, upcoming = local_time(late.failed_at, zone), local_time(late.next_at, zone)
        reply.add(ctx.t("mailbox-late-read", when=when, error=error, failures=late.failures, next=upcoming), "error")
    if d.own_ca:
        reply.add(ctx.t("mailbox-own-ca"))
    if d.plaintext:
        reply.add(_plaintext(ctx, address, d.plaintext))
    return reply


@command("mailbox_import", Access.MANAGE, Arg("csv", kind="file"), example="@mailboxes.csv")
async def mailbox_import(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """Every row is validated and login-tested; only rows that pass are stored, in one transaction."""
    upload: Attachment = args["csv"]
    report = await mailboxes.import_mailboxes(
        ctx.actor, upload.content, clock=ctx.clock, vault=ctx.services["vault"], **_test_options(ctx)
    )
    counts = {s.value: report.count(s) for s in RowStatus}
    problems = [r for r in report.rows if r.status in (RowStatus.INVALID, RowStatus.FAILED)]
    reply = Reply(ok=not problems).add(ctx.t("mailbox-import-result", **counts))
    if problems and counts["created"] + counts["updated"]:  # some stored, some not: never left to be inferred
        reply.add(ctx.t("mailbox-import-partial"), "error")
    if problems:
        lines = [_row(ctx, r) for r in problems]
        reply.add(brief(ctx, lines, limit=LINES_SHOWN, sep="\n"), "error")
        if len(lines) > LINES_SHOWN:  # every row's reason in a file: a 1,200-row import stays one message
            reply.files.append(Attachment("mailbox-import-problems.txt", "\n".join(lines).encode(), "text/plain"))
    plaintext = [
        _plaintext(ctx, ctx.t("mailbox-import-row-ref", line=r.row, address=to_unicode_address(r.address)), r.plaintext)
        for r in report.rows
        if r.plaintext
    ]
    if plaintext:
        reply.add(brief(ctx, plaintext, limit=LINES_SHOWN, sep="\n"))
    return reply


@command("mailbox_test", Access.MANAGE, dataclasses.replace(NAMED_ADDRESS, required=False), example="all")
async def mailbox_test(ctx: Ctx, args: dict[str, Any]) -> Reply:
    results = await mailboxes.check_mailboxes(
        ctx.actor, args["address"] or "all", clock=ctx.clock, vault=ctx.services["vault"], **_test_options(ctx)
    )
    if not results:
        return Reply().add(ctx.t("mailboxes-none"))
    counts = {state.value: sum(1 for r in results if r.test.state is state) for state in LoginState}
    reply = Reply(ok=counts["ok"] == len(results)).add(ctx.t("mailbox-test-result", **counts))
    shown = [r for r in results if not r.test.ok] if len(results) > 1 else results
    if shown:
        lines = [f"{to_unicode_address(r.address)}: {_login(ctx, r.test)}" for r in shown]
        reply.add(brief(ctx, lines, limit=LINES_SHOWN, sep="\n"))
        if len(lines) > LINES_SHOWN:  # every failed mailbox in a file, as the import gives: "… and 70 more" names none
            reply.files.append(Attachment("mailbox-test-problems.txt", "\n".join(lines).encode(), "text/plain"))
    warned = [_plaintext(ctx, r.address, r.plaintext) for r in results if r.plaintext]
    if warned:
        reply.add(brief(ctx, warned, limit=LINES_SHOWN, sep="\n"))
    return reply


@command(
    "mailbox_ca",
    Access.MANAGE,
    Arg("address"),
    Arg("reset", required=False, kind="choice", choices=("default",)),
    Arg("pem", kind="file", required=False),
    example="anna@acme-mail.ru + ca.pem",
)
async def mailbox_ca(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """Trust a private CA (a PEM file sent with the command) for one mailbox, or `default` to go back."""
    upload: Attachment | None = args["pem"]
    if upload is None and args["reset"] is None:
        raise UserError("error-mailbox-ca-file-missing", address=args["address"])
    change = await mailboxes.set_mailbox_ca(
        ctx.actor,
        args["address"],
        upload.content if upload is not None and args["reset"] is None else None,
        clock=ctx.clock,
        vault=ctx.services["vault"],
        **_test_options(ctx),
    )
    if not change.stored:
        return (
            Reply(ok=False)
            .add(ctx.t("mailbox-ca-not-stored", address=to_unicode_address(change.address)), "error")
            .add(_login(ctx, change.test))
        )
    key = "mailbox-ca-stored" if change.certificates else "mailbox-ca-cleared"
    return Reply().add(ctx.t(key, address=to_unicode_address(change.address), count=change.certificates))


@command("mailbox_pause", Access.MANAGE, NAMED_ADDRESS, example="anna@acme-mail.ru")
async def mailbox_pause(ctx: Ctx, args: dict[str, Any]) -> Reply:
    box = await mailboxes.pause_mailbox(ctx.actor, args["address"], clock=ctx.clock)
    return Reply().add(ctx.t("mailbox-paused", address=to_unicode_address(box.address)))


@command("mailbox_resume", Access.MANAGE, NAMED_ADDRESS, example="anna@acme-mail.ru")
async def mailbox_resume(ctx: Ctx, args: dict[str, Any]) -> Reply:
    box = await mailboxes.resume_mailbox(ctx.actor, args["address"], clock=ctx.clock)
    return Reply().add(
        ctx.t(
            "mailbox-resumed",
            address=to_unicode_address(box.address),
            status=ctx.t(f"mailbox-status-{box.status.value}"),
        )
    )

"""Campaigns in chat: create one step by step, its settings, mailbox group and steps, a preview and a test send,
start (with a confirmation button for warnings), pause, resume, and progress."""

from __future__ import annotations

from itertools import takewhile
from typing import Any, Final

from bot.command import LINES_SHOWN, Access, Arg, ArgMissing, Ctx, Page, brief, command, page_arg, page_buttons
from engine.campaigns import service
from engine.campaigns.options import split_pairs, weekdays_text
from engine.campaigns.service import CampaignStatusView, GroupSummary, Reason, StartResult
from engine.campaigns.steps import LETTERS, MAX_STEPS, MAX_TEMPLATE_CHARS, MAX_VARIANTS, StepSpec
from engine.clock import local_time, shown_zone
from engine.errors import UserError
from engine.leads import suppression
from engine.leads.reader import SAMPLE_BYTES
from engine.mail.message import named_targets
from engine.reply import Attachment, Button, Reply
from engine.uploads import decode_upload_async, known_format
from models.enums import CampaignStatus, EnrollmentState, Platform

PREVIEW_SHOWN_CHARS: Final = 3000
"""How much of a previewed body the message shows; the whole text comes as a .txt file."""
CAMPAIGN_ARG: Final = Arg("name", max_length=service.NAME_MAX_CHARS)
STATE_ORDER: Final = (
    EnrollmentState.ACTIVE,
    EnrollmentState.COMPLETED,
    EnrollmentState.REPLIED,
    EnrollmentState.BOUNCED,
    EnrollmentState.UNSUBSCRIBED,
    EnrollmentState.STOPPED,
)


def _reason(ctx: Ctx, reason: Reason) -> str:
    """A reason in the reader's language; one that says how to send a file has a Slack variant (`<key>-slack`):
    Slack has no captions, a file goes to the bot's DM with the command line as its text."""
    slack = f"{reason.key}-slack"
    key = slack if ctx.platform is Platform.SLACK and ctx.t.has(slack) else reason.key
    text = ctx.t(key, **reason.params)
    return text if reason.step is None else ctx.t("campaign-reason-step", step=reason.step, text=text)


def _reasons(ctx: Ctx, reasons: tuple[Reason, ...]) -> str:
    return brief(ctx, [f"• {_reason(ctx, r)}" for r in reasons], limit=LINES_SHOWN, sep="\n")


def _group(ctx: Ctx, group: GroupSummary) -> str:
    stages = ", ".join(
        ctx.t("label-count", label=ctx.t("warmup-stage-" + s.value.replace("_", "-")), count=n)
        for s, n in group.stages.items()
    )
    line = ctx.t("campaign-group-line", ready=group.ready, total=sum(group.stages.values()), stages=stages or "—")
    if not group.ready and group.first_ready is not None:
        line += "\n" + ctx.t("campaign-group-first-ready", date=str(group.first_ready))
    return line


@command("campaigns", Access.READ, page_arg(), example="2")
async def campaigns(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """The workspace's campaigns with their status, newest first, 30 a page (a client reads them to ask for a
    campaign's report: an older one must be reachable too)."""
    found = await service.list_campaigns(ctx.actor)
    if not found:
        return Reply().add(ctx.t("campaigns-none" if ctx.actor.can_manage() else "campaigns-none-client"))
    page = Page.of(len(found), args["page"])
    lines = [
        ctx.t(
            "campaigns-line",
            name=c.name,
            status=ctx.t(f"state-campaign-{c.status.value}"),
            steps=c.steps,
            enrolled=c.enrolled,
            active=c.active,
        )
        for c in found[page.rows]
    ]
    reply = Reply().add(ctx.t("campaigns-title", count=len(found)), "title").add("\n".join(lines))
    if page.pages > 1:
        reply.add(ctx.t("list-page", page=page.number, pages=page.pages, command="campaigns"))
        reply.buttons.append(page_buttons("campaigns", page))
        reply.in_place = True
    return reply.add(ctx.t("campaigns-hint" if ctx.actor.can_manage() else "campaigns-hint-client"))


@command("campaign_new", Access.MANAGE, CAMPAIGN_ARG, Arg("settings", kind="rest", required=False), example="q1-acme")
async def campaign_new(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """Create a draft campaign (optional key=value settings), then say what to do next."""
    words = (args["settings"] or "").split()
    if named := list(takewhile(lambda word: "=" not in word, words)):  # "Весна 2027": a name of several words
        typed = " ".join([args["name"], *named])
        example = service.check_name("-".join([args["name"], *named])[: service.NAME_MAX_CHARS])
        raise UserError("error-campaign-name-words", name=typed[:60], example=example)
    pairs = split_pairs(words)
    campaign = await service.create_campaign(ctx.actor, ctx.clock, args["name"], pairs)
    name = campaign.name
    reply = Reply().add(ctx.t("campaign-created", name=name), "title")
    reply.add(ctx.t("campaign-next-steps", name=name))
    return reply.add(f"/campaign_steps {name}\n{ctx.t('campaign-steps-sample')}", "pre").add(_rules(ctx))


@command(
    "campaign_set",
    Access.MANAGE,
    CAMPAIGN_ARG,
    Arg("settings", kind="rest", required=False),
    example="q1-acme window=09:00-18:00 weekdays=mon-fri",
)
async def campaign_set(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """Change settings: timezone, window, weekdays, daily_cap, per_mailbox_cap, lead_timezone, html, track…"""
    if not args["settings"]:
        return Reply().add(ctx.t("campaign-settings-help"))
    pairs = split_pairs(args["settings"].split())
    campaign = await service.update_settings(ctx.actor, ctx.clock, args["name"], pairs)
    view = await service.campaign_status(ctx.actor, ctx.clock, campaign.name)
    return Reply().add(ctx.t("campaign-settings-saved", name=campaign.name)).add(_settings(ctx, view))


@command("campaign_group", Access.MANAGE, CAMPAIGN_ARG, Arg("mailboxes", kind="rest"), example="q1-acme acme-mail.ru")
async def campaign_group(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """The campaign's mailbox group: addresses (as a mail client shows them too) and/or domains (replaces it)."""
    group = await service.set_group(ctx.actor, ctx.clock, args["name"], named_targets(args["mailboxes"]))
    reply = Reply().add(ctx.t("campaign-group-saved", name=args["name"]), "title").add(_group(ctx, group))
    return reply.add(brief(ctx, [*group.domains, *group.mailboxes]))


@command(
    "campaign_steps",
    Access.MANAGE,
    CAMPAIGN_ARG,
    Arg("steps", kind="block", required=False),
    Arg("file", kind="file", required=False),
    example="q1-acme",
)
async def campaign_steps(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """The sequence: the text after the command (next lines) or an attached .txt file."""
    file: Attachment | None = args["file"]
    if file is not None and (kind := known_format(file.content[:SAMPLE_BYTES])) is not None:
        raise UserError("error-campaign-steps-file", format=kind, name=args["name"])  # a Word file, a PDF…
    text = await decode_upload_async(file.content) if file is not None else args["steps"]
    if not text:
        step_arg = Arg("steps", kind="block")
        raise ArgMissing(  # only Telegram takes the next message as the answer; elsewhere it comes with the command
            "campaign-steps-ask" if ctx.platform is Platform.TELEGRAM else "campaign-steps-ask-inline",
            step_arg,
            name=args["name"],
            sample=ctx.t("campaign-steps-sample"),
            rules=_rules(ctx),
        )
    saved = await service.set_steps(ctx.actor, ctx.clock, args["name"], text)
    lines = [_step_line(ctx, s) for s in saved.steps]
    reply = Reply().add(ctx.t("campaign-steps-saved", name=saved.name, count=len(saved.steps)), "title")
    return reply.add("\n".join(lines)).add(ctx.t("campaign-steps-next", name=saved.name))


def _rules(ctx: Ctx) -> str:
    return ctx.t("campaign-steps-rules", steps=MAX_STEPS, variants=MAX_VARIANTS, chars=MAX_TEMPLATE_CHARS)


def _step_line(ctx: Ctx, step: StepSpec) -> str:
    variants = ", ".join(f"{v.letter} {v.weight}" for v in step.variants)
    if step.number == 1:
        return ctx.t("campaign-step-first", variants=variants, subject=step.variants[0].subject)
    key = "campaign-step-business" if step.business_days else "campaign-step-calendar"
    return ctx.t(key, step=step.number, days=step.delay_days, variants=variants)


@command(
    "campaign_preview",
    Access.MANAGE,
    CAMPAIGN_ARG,
    Arg("options", kind="rest", required=False),
    example="q1-acme ivan@example.com 2 B",
)
async def campaign_preview(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """How a step reads for a lead (or sample fields): [lead email] [step] [variant], in any order."""
    email, step, variant = _preview_options((args["options"] or "").split())
    name, composed = await service.preview(ctx.actor, args["name"], lead_email=email, step=step, variant=variant)
    text = str(composed.text)
    reply = Reply().add(ctx.t("campaign-preview-title", name=name, step=step), "title")
    reply.add(ctx.t("campaign-preview-subject", subject=str(composed.subject)))
    reply.add(text if len(text) <= PREVIEW_SHOWN_CHARS else text[:PREVIEW_SHOWN_CHARS] + "…", "pre")
    if composed.empty:
        names = ", ".join("{" + n + "}" for n in composed.empty)
        reply.add(ctx.t("campaign-preview-empty", fields=names, example="{" + composed.empty[0] + "|…}"))
    if len(text) > PREVIEW_SHOWN_CHARS:
        reply.files.append(Attachment(f"{name}-step{step}.txt", text.encode(), "text/plain"))
    return reply


def _preview_options(
    words: list[str], unknown: str = "error-campaign-preview-word"
) -> tuple[str | None, int, str | None]:
    """A lead's address (has "@"), a step number (digits), a variant letter (Latin or Cyrillic, read against the
    step's variants by the service) — each optional, in any order; any other word is refused (`unknown`, the
    message naming it)."""
    email: str | None = None
    step = 1
    variant: str | None = None
    for word in words:
        if "@" in word and email is None:
            email = word
        elif word.isascii() and word.isdigit() and len(word) <= 2:
            step = int(word)
        elif len(word) == 1 and word.isalpha():
            variant = word
        else:
            raise UserError(unknown, word=word[:40])
    return email, step, variant


TEST_ADDRESS_ARG: Final = Arg("email", kind="rest", max_length=400)
"""The rest of the line: an address copied from a mail client comes with its name ("Анна <anna@acme.ru>")."""


@command("campaign_test", Access.MANAGE, CAMPAIGN_ARG, TEST_ADDRESS_ARG, example="q1-acme me@acme.ru 2 B")
async def campaign_test(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """Send a step (the first unless named) to your own address now: the address, then [step] [variant]."""
    address, step, variant = _test_options(args["email"])
    row = await service.send_test(ctx.actor, ctx.clock, args["name"], address, step=step, variant=variant)
    shown = suppression.shown(row.body)  # the domain as typed (почта.рф), not as stored (punycode)
    return Reply().add(
        ctx.t("campaign-test-queued", name=args["name"], email=shown, step=step, variant=LETTERS[row.variant or 0])
    )


def _test_options(text: str) -> tuple[str, int, int | str]:
    """The address (its last word has "@": "Анна <anna@acme.ru>" as a mail client shows it), then a step number
    and a variant letter, each optional, in any order (as `/campaign_preview` takes them)."""
    words = text.split()
    last = max((i for i, word in enumerate(words) if "@" in word), default=len(words) - 1)
    _, step, variant = _preview_options(words[last + 1 :], "error-campaign-test-word")
    return " ".join(words[: last + 1]), step, variant or 0


def _started(ctx: Ctx, result: StartResult) -> Reply:
    reply = Reply().add(ctx.t("campaign-resumed" if result.resumed else "campaign-started", name=result.name))
    if result.left_to_others:
        reply.add(ctx.t("campaign-started-left-to-others", count=result.left_to_others))
    if result.warnings:
        reply.add(ctx.t("campaign-started-despite") + "\n" + _reasons(ctx, result.warnings))
    return reply


async def _launch(ctx: Ctx, result: StartResult) -> Reply:
    if result.started:
        return _started(ctx, result)
    if result.errors:
        reply = Reply(ok=False).add(ctx.t("campaign-refused", name=result.name), "error")
        reply.add(_reasons(ctx, result.errors))
        if result.warnings:
            reply.add(ctx.t("campaign-warnings") + "\n" + _reasons(ctx, result.warnings))
        return reply
    token = await service.request_confirmation(ctx.services["redis"], ctx.actor, result)
    reply = Reply().add(ctx.t("campaign-confirm-title", name=result.name), "title")
    reply.add(_reasons(ctx, result.warnings)).add(ctx.t("campaign-confirm-ask"))
    reply.buttons.append([Button(ctx.t("campaign-confirm-button"), "campaign_confirm", token, style="danger")])
    return reply


@command("campaign_start", Access.MANAGE, CAMPAIGN_ARG, example="q1-acme")
async def campaign_start(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """Start: refused with reasons when it cannot go; warnings need the confirmation button."""
    result = await service.start_campaign(ctx.actor, ctx.clock, args["name"])
    return await _launch(ctx, result)


@command("campaign_confirm", Access.MANAGE, Arg("token", max_length=32), example="x1y2", button_only=True)
async def campaign_confirm(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """The "start anyway" button."""
    result = await service.confirm_start(ctx.actor, ctx.clock, ctx.services["redis"], args["token"])
    return await _launch(ctx, result)


@command("campaign_pause", Access.MANAGE, CAMPAIGN_ARG, example="q1-acme")
async def campaign_pause(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """Pause: nothing more goes out until /campaign_resume."""
    campaign = await service.pause_campaign(ctx.actor, ctx.clock, args["name"])
    return Reply().add(ctx.t("campaign-paused", name=campaign.name))


@command("campaign_resume", Access.MANAGE, CAMPAIGN_ARG, example="q1-acme")
async def campaign_resume(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """Resume a paused campaign (the same checks as a start)."""
    result = await service.resume_campaign(ctx.actor, ctx.clock, args["name"])
    return await _launch(ctx, result)


def _settings(ctx: Ctx, view: CampaignStatusView) -> str:
    names = tuple(ctx.t("campaign-weekdays-short").split(","))
    flags = ", ".join(f"{k}={'on' if v else 'off'}" for k, v in view.flags.items())
    return ctx.t(
        "campaign-settings-line",
        timezone=shown_zone(view.timezone),
        window=view.window,
        weekdays=weekdays_text(view.weekdays, names) if len(names) == 7 else str(view.weekdays),
        daily_cap=view.daily_cap,
        per_mailbox_cap=view.per_mailbox_cap,
        flags=flags,
    )


def _next_send(ctx: Ctx, view: CampaignStatusView) -> str:
    """When the next email goes, on the campaign's clock with its zone named: a paused campaign's only once it is
    resumed (its planned rows and due leads wait), a draft's once started, a finished one's never."""
    if view.status is CampaignStatus.DRAFT:
        return ctx.t("campaign-next-after-start", name=view.name)
    if view.next_due is None or view.status not in {CampaignStatus.RUNNING, CampaignStatus.PAUSED}:
        return "—"
    when = local_time(view.next_due, view.timezone)
    if view.status is CampaignStatus.PAUSED:
        return ctx.t("campaign-next-once-resumed", at=when, name=view.name)
    return when


@command("campaign", Access.MANAGE, CAMPAIGN_ARG, example="q1-acme")
async def campaign(ctx: Ctx, args: dict[str, Any]) -> Reply:
    """One campaign: settings, group, progress, per step, and why today's sends were deferred."""
    view = await service.campaign_status(ctx.actor, ctx.clock, args["name"])
    status = ctx.t(f"state-campaign-{view.status.value}")
    reply = Reply().add(ctx.t("campaign-title", name=view.name, status=status, steps=view.steps), "title")
    reply.add(_settings(ctx, view)).add(_group(ctx, view.group))
    states = ", ".join(
        ctx.t("label-count", label=ctx.t("enrollment-state-" + s.value), count=view.states.get(s, 0))
        for s in STATE_ORDER
    )
    next_due = _next_send(ctx, view)
    reply.add(
        ctx.t("campaign-progress", enrolled=view.enrolled, states=states)
        + "\n"
        + ctx.t("campaign-sent", today=view.sent_today, total=view.sent_total, pending=view.pending, next=next_due)
    )
    if view.left_company:
        reply.add(ctx.t("campaign-left-company", count=view.left_company))
    if view.waiting:
        waiting = ", ".join(ctx.t("campaign-waiting-step", step=step, count=n) for step, n in view.waiting)
        reply.add(ctx.t("campaign-waiting", steps=waiting))
    if view.per_step:
        lines = [
            ctx.t(
                "campaign-step-sent", step=c.position, variant=LETTERS[c.variant] if c.variant < 5 else "?", sent=c.sent
            )
            for c in view.per_step
        ]
        reply.add(brief(ctx, lines, limit=LINES_SHOWN, sep="\n"))
    if view.deferrals:
        lines = [
            ctx.t(
                "campaign-deferral-mailbox" if d.mailbox else "campaign-deferral",
                mailbox=d.mailbox,
                wanted=d.wanted,
                allowed=d.allowed,
                cap=ctx.t(f"why-cap-{d.cap.value}"),
            )
            for d in view.deferrals
        ]
        reply.add(
            ctx.t("campaign-deferrals-title", day=str(view.day)) + "\n" + brief(ctx, lines, limit=LINES_SHOWN, sep="\n")
        )
    elif view.status is CampaignStatus.RUNNING:
        reply.add(ctx.t("campaign-deferrals-none"))
    if view.group.stages and not view.group.ready:
        reply.add(ctx.t("campaign-group-none-ready"))
    return reply

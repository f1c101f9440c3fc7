"""Campaigns for managers: create, settings, the mailbox group, the steps, a test send, start/pause/resume with
readiness and content checks, and progress.

Every function takes the `Actor` and enforces isolation itself (`engine.access`): every function needs manage
access to the actor's current workspace (clients read nothing of campaigns here); a campaign of another workspace
is "not found". Names are looked up case-insensitively.

Templates are validated by `engine.campaigns.template.parse`, the content by `engine.campaigns.content.check_content`
before a launch, and previews rendered by `engine.campaigns.compose.preview`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal
from zoneinfo import ZoneInfo

from redis.asyncio import Redis
from tortoise.exceptions import IntegrityError
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from engine import confirm
from engine.access import Actor, require_manager, require_reader
from engine.campaigns import compose
from engine.campaigns.compose import campaign_fields
from engine.campaigns.content import (
    BASE_FIELDS,
    MAX_WORDS_SHOWN,
    check_content,
    first_html_tag,
    html_tags,
    typo_fields,
    variant_letter,
)
from engine.campaigns.enroll import IN_OTHER_CAMPAIGN, lock_enrollment
from engine.campaigns.options import ALIASES, parse_settings
from engine.campaigns.ports import Composed
from engine.campaigns.schedule import Window, due_after, open_intervals
from engine.campaigns.steps import LETTERS, StepSpec, parse_steps, variant_named
from engine.campaigns.template import parse as parse_template
from engine.clock import Clock
from engine.clock import zone_or_utc as zone_of
from engine.dns.names import to_ascii
from engine.errors import Conflict, NotFound, UserError
from engine.i18n import Translator, translator
from engine.leads.listing import LEFT_COMPANY
from engine.lifecycle import check_transition, state_name, transition_campaign
from engine.mail.message import make_message_id
from engine.sending.planner import lock_plans
from engine.sending.why import mailboxes_named
from engine.stats import normalize_email, workspace_zone
from engine.warmup.graduation import Stage, readiness
from engine.warmup.placement import PlacementScope, placements
from engine.warmup.settings import WarmupSettings
from models import (
    AuditLog,
    Campaign,
    CampaignDeferral,
    CapDeferral,
    Domain,
    Enrollment,
    Mailbox,
    OutboundMessage,
    Step,
    Workspace,
)
from models.enums import CampaignStatus, CapKind, EnrollmentState, MailboxStatus, MessageKind, MessageStatus
from models.indexes import mailbox_sql

NAME_MAX_CHARS: Final = 64
_NAME = re.compile(r"[^\W_][\w.-]*")  # one word in a command line: letters, digits, "-", "_", "."
GROUP_MAX_TARGETS: Final = 200
"""Addresses and domains named in one `/campaign_group` (a bigger group is better named by its domains)."""
"""How long a "start anyway" button stays valid: the warnings it confirms may be stale after that."""
CONFIRM_PREFIX: Final = "mailfleet:campaign:confirm:"
"""Redis keys of pending start confirmations (`<token>`) and of used ones (`used:<token>`)."""
SLOW_FIRST_STEP_DAYS: Final = 7
"""A warning when the ready mailboxes need more sending days than this to send step 1 to every enrolled lead."""
TEST_SENDS_PER_DAY: Final = 20
"""Test sends of one campaign a day: a manager checks a few, a loop must not turn the test into a campaign."""
OFF_LOOP_CHARS: Final = 64 * 1024
"""Steps texts longer than this are parsed in a worker thread."""
_LIVE_BOXES: Final = frozenset({MailboxStatus.NEW, MailboxStatus.WARMING, MailboxStatus.ACTIVE})
_TEST_BOXES: Final = (MailboxStatus.ACTIVE, MailboxStatus.WARMING)  # a test goes from a mailbox that sends


# ----------------------------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a start was refused or needs a confirmation: a locale key and its parameters."""

    key: str
    params: dict[str, str | int] = field(default_factory=dict)
    step: int | None = None  # the step a content finding is about


@dataclass(frozen=True, slots=True)
class StartResult:
    """What `start_campaign` did: started, or refused (`errors`), or waits for a confirmation of `warnings`."""

    name: str
    started: bool
    errors: tuple[Reason, ...] = ()
    warnings: tuple[Reason, ...] = ()
    campaign_id: int = 0
    resumed: bool = False  # started before: this start resumed it (by /campaign_start, /campaign_resume or a button)
    left_to_others: int = 0  # leads left out at the first start: another running or paused campaign has them

    @property
    def needs_confirmation(self) -> bool:
        return not self.started and not self.errors and bool(self.warnings)


@dataclass(frozen=True, slots=True)
class CampaignLine:
    name: str
    status: CampaignStatus
    steps: int
    enrolled: int
    active: int


@dataclass(frozen=True, slots=True)
class GroupSummary:
    """The mailbox group: named mailboxes and domains, and its live mailboxes by warmup stage."""

    mailboxes: tuple[str, ...]
    domains: tuple[str, ...]
    stages: dict[Stage, int]
    first_ready: dt.date | None  # the earliest day a warming mailbox of the group may graduate (today: one is ready)
    held: int = 0  # mailboxes of the group that are paused, cooling down or disabled
    min_placement: float = 0.0  # the inbox share a mailbox whose period is over waits for (the workspace's setting)

    @property
    def ready(self) -> int:
        return self.stages.get(Stage.GRADUATED, 0)

    @property
    def warming(self) -> int:
        return sum(n for s, n in self.stages.items() if s is not Stage.GRADUATED)


@dataclass(frozen=True, slots=True)
class StepCount:
    position: int
    variant: int
    sent: int


@dataclass(frozen=True, slots=True)
class DeferralLine:
    """Today something held the campaign back: the cap, wanted against allowed, and for whom."""

    cap: CapKind
    wanted: int
    allowed: int
    mailbox: str = ""  # a mailbox's own cap (CapDeferral); "" for the campaign's


@dataclass(frozen=True, slots=True)
class CampaignStatusView:
    """`/campaign <name>`: settings, progress, per-step counts and today's deferrals."""

    name: str
    status: CampaignStatus
    timezone: str
    window: str
    weekdays: int
    daily_cap: int
    per_mailbox_cap: int
    flags: dict[str, bool]
    steps: int
    group: GroupSummary
    states: dict[EnrollmentState, int]
    enrolled: int
    left_company: int  # of the stopped: their auto-reply said they have left the company (`engine.inbox`)
    sent_today: int
    sent_total: int
    pending: int  # planned or queued rows
    next_due: dt.datetime | None
    per_step: tuple[StepCount, ...]
    waiting: tuple[tuple[int, int], ...]  # (step, active leads whose next email is that step)
    deferrals: tuple[DeferralLine, ...]
    day: dt.date


@dataclass(frozen=True, slots=True)
class StepsSaved:
    name: str
    steps: tuple[StepSpec, ...]


# ----------------------------------------------------------------------------------------------- helpers


def check_name(name: str) -> str:
    """A campaign name as typed: one word of letters, digits, `-`, `_`, `.`, at most NAME_MAX_CHARS.

    Raises `UserError("error-campaign-name", max=…)`.
    """
    text = name.strip()
    if not text or len(text) > NAME_MAX_CHARS or not _NAME.fullmatch(text):
        raise UserError("error-campaign-name", name=text[:40], max=NAME_MAX_CHARS)
    return text


async def _campaign(workspace_id: int, name: str, *, lock: bool = False) -> Campaign:
    """The workspace's campaign called `name` (any case), or `NotFound("error-campaign-not-found")`."""
    text = name.strip()[:NAME_MAX_CHARS]
    query = Campaign.filter(workspace_id=workspace_id, name__iexact=text)
    found = await (query.select_for_update().first() if lock else query.first())
    if found is None:
        raise NotFound("error-campaign-not-found", name=name.strip()[:40])
    return found


CampaignAction = Literal["create", "settings", "steps", "group", "start", "resume", "pause", "test"]
"""What a person did to a campaign: its audit entry's action is `campaign.<this>` (each said in words in the
audit export: `audit-action-campaign-…`)."""


async def _audit(
    actor: Actor, workspace_id: int, clock: Clock, campaign: Campaign, action: CampaignAction, **data: Any
) -> None:
    await AuditLog.create(
        workspace_id=workspace_id,
        actor_id=actor.person_id,
        action=f"campaign.{action}",
        subject=f"campaign:{campaign.id}",
        data={"name": campaign.name, **data},
        created_at=clock.now(),
    )


# ----------------------------------------------------------------------------------------------- create, settings


async def create_campaign(actor: Actor, clock: Clock, name: str, settings: dict[str, str] | None = None) -> Campaign:
    """A new draft campaign with the workspace's time zone, and the `key=value` settings given (see
    `engine.campaigns.options`).

    Raises `UserError("error-campaign-name")`, `Conflict("error-campaign-exists")`, the settings' errors.
    """
    workspace_id = require_manager(actor)
    text = check_name(name)
    values = parse_settings(settings or {})
    space = await Workspace.get(id=workspace_id)
    values.setdefault("timezone", space.timezone)
    _opens_need_html(values, settings or {}, html=False, opens=False)
    try:
        async with in_transaction():
            if await Campaign.filter(workspace_id=workspace_id, name__iexact=text).exists():
                raise Conflict("error-campaign-exists", name=text)
            campaign = await Campaign.create(workspace_id=workspace_id, name=text, **values)
            await _audit(actor, workspace_id, clock, campaign, "create", settings=sorted(values))
    except IntegrityError:  # a concurrent create of the same name
        raise Conflict("error-campaign-exists", name=text) from None
    return campaign


async def update_settings(actor: Actor, clock: Clock, name: str, settings: dict[str, str]) -> Campaign:
    """Change settings of a campaign that is not completed or archived; audited. Raises the settings' errors,
    `NotFound`, `Conflict("error-campaign-finished")`, `UserError("error-campaign-setting-none")`."""
    workspace_id = require_manager(actor)
    if not settings:
        raise UserError("error-campaign-setting-none")
    values = parse_settings(settings)
    async with in_transaction():
        campaign = await _campaign(workspace_id, name, lock=True)
        _not_finished(campaign)
        _opens_need_html(values, settings, html=campaign.html, opens=campaign.track_opens)
        await Campaign.filter(id=campaign.id).update(**values)
        await _audit(actor, workspace_id, clock, campaign, "settings", changed={k: str(v) for k, v in values.items()})
        await campaign.refresh_from_db()
    return campaign


def _opens_need_html(values: dict[str, Any], typed: dict[str, str], *, html: bool, opens: bool) -> None:
    """Opens are measured by a pixel, which every HTML email carries and only HTML carries: `track_opens`
    follows `html`. `track_opens=on` on plain text is refused (`error-campaign-opens-need-html`), and so is
    `track_opens=off` on HTML (`error-campaign-html-pixel`: the pixel is part of it); `html=on` turns it on,
    `html=off` off, and `track=on|off` sets it to what the campaign's HTML allows."""
    is_html = values.get("html", html)
    if values.get("track_opens", opens) == is_html:
        return
    if "track_opens" in {ALIASES.get(k.strip().lower(), k.strip().lower()) for k in typed}:
        raise UserError("error-campaign-html-pixel" if is_html else "error-campaign-opens-need-html")
    values["track_opens"] = is_html


def _not_finished(campaign: Campaign) -> None:
    if campaign.status in {CampaignStatus.COMPLETED, CampaignStatus.ARCHIVED}:
        raise Conflict("error-campaign-finished", name=campaign.name)


# ----------------------------------------------------------------------------------------------- group


async def set_group(actor: Actor, clock: Clock, name: str, targets: Sequence[str]) -> GroupSummary:
    """Replace the campaign's mailbox group with the mailboxes (addresses) and domains (names) given.

    Raises `UserError("error-campaign-group-empty"|"error-campaign-group-too-many")`,
    `NotFound("error-mailbox-not-found"|"error-domain-not-found")`, `Conflict("error-campaign-finished")`.
    """
    workspace_id = require_manager(actor)
    wanted = [t.strip() for t in targets if t.strip()]
    if not wanted:
        raise UserError("error-campaign-group-empty")
    if len(wanted) > GROUP_MAX_TARGETS:
        raise UserError("error-campaign-group-too-many", count=len(wanted), max=GROUP_MAX_TARGETS)
    boxes: dict[int, Mailbox] = {}
    domains: dict[int, Domain] = {}
    for target in wanted:
        if "@" in target:
            [box] = await mailboxes_named(workspace_id, target)  # NotFound names the address
            boxes[box.id] = box
        else:
            domain = await _domain(workspace_id, target)
            domains[domain.id] = domain
    async with in_transaction():
        campaign = await _campaign(workspace_id, name, lock=True)
        _not_finished(campaign)
        await campaign.mailboxes.clear()
        await campaign.domains.clear()
        if boxes:
            await campaign.mailboxes.add(*boxes.values())
        if domains:
            await campaign.domains.add(*domains.values())
        await _audit(
            actor, workspace_id, clock, campaign, "group",
            mailboxes=sorted(b.address for b in boxes.values())[:50], domains=sorted(d.name for d in domains.values()),
        )  # fmt: skip
    return await _group(campaign, clock)


async def _domain(workspace_id: int, name: str) -> Domain:
    try:
        ascii_name = to_ascii(name)
    except UserError:
        raise NotFound("error-domain-not-found", name=name[:253]) from None
    domain = await Domain.get_or_none(workspace_id=workspace_id, name=ascii_name)
    if domain is None:
        raise NotFound("error-domain-not-found", name=name[:253])
    return domain


async def group_mailboxes(campaign_id: int, *, live: bool = True) -> list[Mailbox]:
    """The mailboxes of a campaign's group: those named, and those of the domains named; `live`: only those
    that are new, warming or active (not paused, cooling down, disabled or retired)."""
    ids = {int(r["id"]) for r in await Mailbox.filter(campaigns__id=campaign_id).values("id")}
    domain_ids = [int(r["id"]) for r in await Domain.filter(campaigns__id=campaign_id).values("id")]
    if domain_ids:
        ids |= {int(r["id"]) for r in await Mailbox.filter(domain_id__in=domain_ids).values("id")}
    if not ids:
        return []
    query = Mailbox.filter(id__in=list(ids))
    if live:
        query = query.filter(status__in=list(_LIVE_BOXES))
    return list(await query.order_by("address"))


async def _group(campaign: Campaign, clock: Clock) -> GroupSummary:
    members = await group_mailboxes(campaign.id, live=False)
    boxes = [b for b in members if b.status in _LIVE_BOXES]
    held = sum(1 for b in members if b.status is not MailboxStatus.RETIRED) - len(boxes)
    named = await Mailbox.filter(campaigns__id=campaign.id).order_by("address").values_list("address", flat=True)
    domains = await Domain.filter(campaigns__id=campaign.id).order_by("name").values_list("name", flat=True)
    stages: Counter[Stage] = Counter()
    first_ready: dt.date | None = None
    min_placement = 0.0
    if boxes:
        space = await Workspace.get(id=campaign.workspace_id)
        settings = WarmupSettings.in_effect(space.settings)
        min_placement = settings.min_placement
        today = clock.now().astimezone(await workspace_zone(space.id)).date()
        warming = [b.id for b in boxes if b.status is not MailboxStatus.ACTIVE]
        found = await placements(space.id, PlacementScope.MAILBOX, warming, until=today) if warming else {}
        for box in boxes:
            graduated = box.status is MailboxStatus.ACTIVE
            if graduated:
                stages[Stage.GRADUATED] += 1
                continue
            r = readiness(
                settings, started_on=box.warmup_started_on, today=today, placement=found[box.id], graduated=False
            )
            stages[r.stage] += 1
            # a mailbox whose period is over but whose placement is short (WAITING) has no date: its day has passed,
            # and "ready on <a past day> at the earliest" read as a promise the gate did not keep
            when = today if r.stage is Stage.READY else r.ready_on if r.stage is Stage.WARMING else None
            if when is not None:
                first_ready = when if first_ready is None else min(first_ready, when)
    return GroupSummary(
        tuple(str(a) for a in named), tuple(str(d) for d in domains), dict(stages), first_ready, held,
        min_placement=min_placement,
    )  # fmt: skip


# ----------------------------------------------------------------------------------------------- steps


async def set_steps(actor: Actor, clock: Clock, name: str, text: str) -> StepsSaved:
    """Replace the campaign's steps with those of `text` (format: `engine.campaigns.steps`), each template checked
    by `engine.campaigns.template.parse`. Only a draft or paused campaign's steps may change.

    Raises the parser's `error-campaign-steps-*`, the template parser's `error-template-syntax` (its `where`
    names the step, the variant, the part and the line), `error-campaign-steps-field-typo` and
    `error-campaign-steps-unknown-field` (a placeholder no lead of the campaign could fill: `_check_fields`),
    `error-campaign-steps-html` (HTML tags: a letter is plain text, they would reach the lead as written),
    `NotFound`, `Conflict("error-campaign-steps-running")`,
    `Conflict("error-campaign-steps-variants-drawn")` (a paused campaign's leads hold a variant the new sequence
    drops). A shorter sequence ends it for the leads already past its last step (`_end_at`).
    """
    workspace_id = require_manager(actor)
    if len(text) > OFF_LOOP_CHARS:
        specs, used = await asyncio.to_thread(_parse, text, actor.locale)
    else:
        specs, used = _parse(text, actor.locale)
    async with in_transaction() as conn:
        campaign = await _campaign(workspace_id, name, lock=True)
        if campaign.status is CampaignStatus.RUNNING:
            raise Conflict("error-campaign-steps-running", name=campaign.name)
        _not_finished(campaign)
        _check_fields(used, await _fields_known(campaign), actor.locale)
        await _keep_drawn_variants(campaign, len(specs[0].variants))
        await _end_at(campaign, len(specs))
        await _reschedule(conn, campaign, specs)
        await Step.filter(campaign_id=campaign.id).delete()
        await Step.bulk_create(
            [
                Step(
                    campaign_id=campaign.id,
                    position=s.number,
                    delay_days=s.delay_days,
                    business_days=s.business_days,
                    variants=s.to_json(specs[0] if s.number > 1 else None),
                )
                for s in specs
            ]
        )
        await _audit(
            actor, workspace_id, clock, campaign, "steps",
            steps=len(specs), variants=[len(s.variants) for s in specs],
        )  # fmt: skip
    return StepsSaved(campaign.name, tuple(specs))


async def _keep_drawn_variants(campaign: Campaign, count: int) -> None:
    """A lead keeps the A/B variant drawn for it at step 1 for every later step, so a paused campaign's new
    sequence must still have that variant: with fewer, those leads' next messages could never be composed.
    Raises `Conflict("error-campaign-steps-variants-drawn")`."""
    drawn = (
        await Enrollment.filter(
            campaign_id=campaign.id, state=EnrollmentState.ACTIVE, variant__not_isnull=True, variant__gte=count
        )
        .order_by("-variant")
        .first()
    )
    if drawn is not None and drawn.variant is not None:
        letter = LETTERS[drawn.variant] if drawn.variant < len(LETTERS) else "?"
        raise Conflict(
            "error-campaign-steps-variants-drawn",
            name=campaign.name,
            letter=letter,
            count=drawn.variant + 1,
            have=count,
        )


async def _end_at(campaign: Campaign, last: int) -> None:
    """A paused campaign's sequence cut to `last` steps: what was planned for a step that no longer exists is
    cancelled (it could never be composed), and a lead whose next step was one of them has finished."""
    await OutboundMessage.filter(
        campaign_id=campaign.id,
        status__in=(MessageStatus.PLANNED, MessageStatus.QUEUED),
        step_position__gt=last,
    ).update(status=MessageStatus.CANCELLED)
    await Enrollment.filter(campaign_id=campaign.id, state=EnrollmentState.ACTIVE, current_step__gt=last).update(
        state=EnrollmentState.COMPLETED, next_due_at=None
    )


@dataclass(frozen=True, slots=True)
class _Used:
    """The placeholders one template of the typed sequence uses, and where it stands in the text."""

    step: int
    variant: str
    part: Literal["subject", "body"]
    line: int  # the template's first line in the typed text
    source: str
    placeholders: frozenset[str]
    required: frozenset[str]  # used without a fallback


async def _reschedule(conn: Any, campaign: Campaign, specs: list[StepSpec]) -> None:
    """A paused campaign's step whose delay changed: the leads waiting for it are due that new delay after their
    last email (`schedule.due_after`, as the outbox reckons it), not the old one — "after 3 days" made "after 20
    days" otherwise still went out on the third day. Their rows for that step not yet sent (`planned`, `queued`)
    are deleted, as a swap does: a row's step is planned once per lead, so a cancelled one would keep it from
    being planned again at the new time."""
    old = {
        int(r["position"]): (int(r["delay_days"]), bool(r["business_days"]))
        for r in await Step.filter(campaign_id=campaign.id).values("position", "delay_days", "business_days")
    }
    zone = zone_of(campaign.timezone)
    for spec in specs:
        wanted = (spec.delay_days, spec.business_days)
        if spec.number < 2 or old.get(spec.number, wanted) == wanted:
            continue
        waiting = await Enrollment.filter(
            campaign_id=campaign.id,
            state=EnrollmentState.ACTIVE,
            current_step=spec.number,
            last_sent_at__not_isnull=True,
        ).values_list("id", "last_sent_at")
        if not waiting:
            continue
        ids = [int(i) for i, _ in waiting]
        due = [
            due_after(sent, delay_days=spec.delay_days, business_days=spec.business_days, zone=zone)
            for _, sent in waiting
        ]
        await conn.execute_query(_DUE_AGAIN, [ids, due])
        await OutboundMessage.filter(
            campaign_id=campaign.id,
            kind=MessageKind.CAMPAIGN,
            step_position=spec.number,
            enrollment_id__in=ids,
            status__in=(MessageStatus.PLANNED, MessageStatus.QUEUED),
        ).delete()


_DUE_AGAIN: Final = """
UPDATE enrollment e SET next_due_at = t.due
FROM unnest($1::bigint[], $2::timestamptz[]) AS t(id, due)
WHERE e.id = t.id
"""


def _where(t: Translator, here: tuple[int, str, str, str, int], at: int) -> str:
    """Where the character `at` of a template (`here`: its step, variant, part, text and first line) is, in the
    reader's language: its step, variant, part and line."""
    step, variant, part, value, line = here
    return t(
        "campaign-steps-where",
        step=step,
        variant=variant,
        part=t(f"campaign-steps-part-{part}"),
        line=line + value.count("\n", 0, at),
    )


def _parse(text: str, locale: str) -> tuple[list[StepSpec], list[_Used]]:
    """The steps of `text`, each template parsed by `engine.campaigns.template.parse`, whose errors name the
    template by `where`: the step, the variant, the part and the line, in the reader's language; and the
    placeholders each template uses."""
    specs = parse_steps(text)
    t = translator(locale)
    used: list[_Used] = []
    for step in specs:
        for variant in step.variants:
            parts: tuple[tuple[Literal["subject", "body"], str, int], ...] = (
                ("subject", variant.subject, variant.subject_line),
                ("body", variant.body, variant.line),
            )
            for part, value, line in parts:
                if not value:
                    continue
                here = (step.number, variant.letter, part, value, line)
                if (at := first_html_tag(value)) >= 0:
                    where = _where(t, here, at)
                    raise UserError("error-campaign-steps-html", where=where, tags=", ".join(html_tags(value)))
                try:
                    parsed = parse_template(value, where="")
                    used.append(
                        _Used(step.number, variant.letter, part, line, value, parsed.placeholders, parsed.required)
                    )
                except UserError as exc:
                    if exc.key != "error-template-syntax" or exc.params.get("detail") == "too-long":
                        raise
                    # the parser counts characters from the start of the whole text, across its lines: a manager
                    # on a phone looks for the line and its character, so both are counted in the sequence's terms
                    at = int(exc.params["position"]) - 1
                    column = at - (value.rfind("\n", 0, at) + 1) + 1
                    params = {**exc.params, "where": _where(t, here, at), "position": column}
                    raise UserError("error-template-syntax", **params) from None
    return specs, used


async def _fields_known(campaign: Campaign) -> frozenset[str]:
    """The fields a template of the campaign may use: the base fields and the columns of its leads — before any
    lead is enrolled, those of the workspace's latest leads (the file for this campaign has them too, mostly)."""
    known = await campaign_fields(campaign.id)
    if not await Enrollment.filter(campaign_id=campaign.id).exists():
        known |= await compose.workspace_fields(campaign.workspace_id)
    return known


def _check_fields(used: list[_Used], known: frozenset[str], locale: str) -> None:
    """Refuse a sequence with a placeholder that nothing fills, naming the step, variant, part and line, at save
    time: `{nmae}` would otherwise be saved, shown as a sample value by the preview, and only stop the start.

    A name close to a known field (`{frist_name}`, `{first_name|коллега}` misspelt) is a typo, refused even with a
    fallback, which would go in every email (`error-campaign-steps-field-typo`). Any other unknown name without a
    fallback is no column of the leads (`error-campaign-steps-unknown-field`): import them first, or give one.
    """
    t = translator(locale)
    for item in used:
        unknown = item.placeholders - known
        if not unknown:
            continue
        typos = typo_fields(unknown, known)
        missing = sorted((item.required & unknown) - typos.keys())
        if not typos and not missing:
            continue
        at = min(_offset(item.source, n) for n in (*typos, *missing))
        where = t(
            "campaign-steps-where",
            step=item.step,
            variant=item.variant,
            part=t(f"campaign-steps-part-{item.part}"),
            line=item.line + item.source.count("\n", 0, at),
        )
        if typos:
            names = ", ".join(f"{{{n}}} → {{{m}}}" for n, m in sorted(typos.items()))
            raise UserError("error-campaign-steps-field-typo", where=where, names=names)
        raise UserError(
            "error-campaign-steps-unknown-field",
            where=where,
            names=", ".join(f"{{{n}}}" for n in missing[:MAX_WORDS_SHOWN]),
            fields=", ".join(f"{{{n}}}" for n in sorted(BASE_FIELDS)),
            example=f"{{{missing[0]}|…}}",
        )


def _offset(source: str, name: str) -> int:
    """Where the placeholder `name` (case-folded, ё as е) first stands in `source` (0 when not found)."""
    pattern = re.compile(r"\{\s*" + r"[её]".join(re.escape(p) for p in name.split("е")) + r"\s*[|}]", re.IGNORECASE)
    found = pattern.search(source)
    return found.start() if found else 0


# ----------------------------------------------------------------------------------------------- start


async def start_campaign(actor: Actor, clock: Clock, name: str, *, override: bool = False) -> StartResult:
    """Start (or resume) a draft or paused campaign: `→ running` as a conditional update, audited, `started_at`
    stamped the first time. A double start acts once: the second finds it running (`AlreadyInState`).

    Refuses (`errors`, nothing changes) when: no steps, no lead enrolled, no mailbox in the group, no graduated
    mailbox in it (how many warm up and when the first is ready), no sender identity, content errors. Warnings
    (risky content, too few ready mailboxes for the leads, a content check that could not run) need
    `override=True`, which a confirmation button gives (`request_confirmation` / `confirm_start`).
    """
    workspace_id = require_manager(actor)
    campaign = await _campaign(workspace_id, name)
    return await _start(actor, clock, workspace_id, campaign, override=override, allowed=None)


async def resume_campaign(actor: Actor, clock: Clock, name: str, *, override: bool = False) -> StartResult:
    """`start_campaign` for a paused campaign only (the same checks: mailboxes may have left the group)."""
    workspace_id = require_manager(actor)
    campaign = await _campaign(workspace_id, name)
    return await _start(actor, clock, workspace_id, campaign, override=override, allowed={CampaignStatus.PAUSED})


async def _start(
    actor: Actor,
    clock: Clock,
    workspace_id: int,
    campaign: Campaign,
    *,
    override: bool,
    allowed: set[CampaignStatus] | None,
    acknowledged: frozenset[str] | None = None,
) -> StartResult:
    if allowed is not None and campaign.status not in allowed and campaign.status is not CampaignStatus.RUNNING:
        raise Conflict("error-campaign-not-paused", name=campaign.name, status=state_name("campaign", campaign.status))
    check_transition("campaign", campaign.status, CampaignStatus.RUNNING)  # already running: AlreadyInState
    errors, warnings = await launch_checks(campaign, clock)
    result = StartResult(campaign.name, False, tuple(errors), tuple(warnings), campaign.id)
    if errors:
        return result
    if warnings and not override:
        return result
    if warnings and acknowledged is not None and any(_ack(w) not in acknowledged for w in warnings):
        return result  # a new warning came up since the button was offered: it needs its own confirmation
    first = campaign.started_at is None
    left = 0
    async with in_transaction() as conn:  # the transition, its stamp and its audit together
        await transition_campaign(
            campaign, CampaignStatus.RUNNING, clock=clock, reason="started" if first else "resumed",
            actor_id=actor.person_id,
        )  # fmt: skip
        if first:
            await Campaign.filter(id=campaign.id, started_at__isnull=True).update(started_at=clock.now())
            # the locks first, on their own: the statement after them sees what a start or an import into another
            # campaign (which enrolls under `lock_enrollment`) committed; the enrollment lock before the planners'
            await lock_enrollment(conn, workspace_id)
            await lock_plans(conn, [workspace_id])
            left = (await conn.execute_query(_LEFT_TO_OTHERS, [campaign.id]))[0]
        await _audit(
            actor, workspace_id, clock, campaign, "start" if first else "resume",
            confirmed=[w.key for w in warnings],
        )  # fmt: skip
    return StartResult(campaign.name, True, (), tuple(warnings), campaign.id, resumed=not first, left_to_others=left)


LEFT_TO_OTHERS: Final = IN_OTHER_CAMPAIGN
# A lead is in one running (or paused) campaign of its workspace at a time: an import skips a lead another such
# campaign has, but two drafts may both hold it, and each would write to it once started. The first start of a
# campaign leaves out its leads that another running or paused campaign has (under the workspace's enrollment and
# planners' locks, so that two drafts started at once, or a start and an import, take turns: the first keeps them).
# Only leads it has not written to. A person is a mailbox (`ivan@` and `ivan+a@` reach one inbox): another
# campaign holding any lead of the same mailbox (`lead_mailbox` index probes) holds the person.
_LEFT_TO_OTHERS: Final = f"""
UPDATE enrollment e SET state = '{EnrollmentState.STOPPED.value}', stopped_reason = '{LEFT_TO_OTHERS}',
    next_due_at = NULL
FROM lead l
WHERE e.campaign_id = $1 AND e.state = '{EnrollmentState.ACTIVE.value}' AND e.current_step = 0 AND l.id = e.lead_id
  AND EXISTS (SELECT 1 FROM lead ol JOIN enrollment o ON o.lead_id = ol.id JOIN campaign k ON k.id = o.campaign_id
              WHERE {mailbox_sql("ol.email")} = {mailbox_sql("l.email")} AND ol.workspace_id = l.workspace_id
                AND o.campaign_id <> $1 AND k.status IN ('running', 'paused'))
"""  # noqa: S608 - constant names only


def _not_ready(group: GroupSummary) -> list[Reason]:
    """Why a group with no graduated mailbox cannot send yet: the day the first may graduate, the mailboxes whose
    period is over but whose inbox share is short (no day to promise them), those that are held."""
    reasons = []
    waiting = group.stages.get(Stage.WAITING, 0)
    if group.first_ready is not None or not waiting:
        when = str(group.first_ready) if group.first_ready else "—"
        reasons.append(Reason("campaign-refuse-not-ready", {"warming": group.warming, "date": when}))
    if waiting:
        threshold = round(group.min_placement * 100)
        reasons.append(Reason("campaign-refuse-waiting-placement", {"waiting": waiting, "threshold": threshold}))
    if group.held:
        reasons.append(Reason("campaign-refuse-held", {"held": group.held}))
    return reasons


async def launch_checks(campaign: Campaign, clock: Clock) -> tuple[list[Reason], list[Reason]]:
    """The reasons a launch is refused, and the warnings that need a confirmation."""
    errors: list[Reason] = []
    warnings: list[Reason] = []
    steps = list(await Step.filter(campaign_id=campaign.id).order_by("position"))
    if not steps:
        errors.append(Reason("campaign-refuse-no-steps", {"name": campaign.name}))
    active = await Enrollment.filter(campaign_id=campaign.id, state=EnrollmentState.ACTIVE).count()
    if not active:
        enrolled = await Enrollment.filter(campaign_id=campaign.id).count()
        if enrolled:  # every lead went through the sequence or left it: "no leads" would read as a failed import
            errors.append(Reason("campaign-refuse-no-active-leads", {"name": campaign.name, "enrolled": enrolled}))
        else:
            errors.append(Reason("campaign-refuse-no-leads", {"name": campaign.name}))
    group = await _group(campaign, clock)
    if not group.stages and not group.held:
        errors.append(Reason("campaign-refuse-no-group", {"name": campaign.name}))
    elif not group.ready:
        errors += _not_ready(group)
    space = await Workspace.get(id=campaign.workspace_id)
    if not space.sender_name.strip():  # 149-FZ art. 10 part 2: each missing part named (/workspace_legal)
        errors.append(Reason("campaign-refuse-no-legal-name"))
    if not space.sender_address.strip():
        errors.append(Reason("campaign-refuse-no-contact"))
    if steps:
        content_errors, content_warnings = await _content(campaign, steps, space)
        errors += content_errors
        warnings += content_warnings
    if active and group.ready:
        per_day = min(campaign.daily_cap, group.ready * campaign.per_mailbox_cap)
        days = math.ceil(active / per_day) if per_day else 0
        if days > SLOW_FIRST_STEP_DAYS:
            warnings.append(Reason("campaign-warn-slow", {"leads": active, "ready": group.ready, "days": days}))
    return errors, warnings


async def _content(campaign: Campaign, steps: list[Step], space: Workspace) -> tuple[list[Reason], list[Reason]]:
    """`engine.campaigns.content.check_content` on each step's variants as stored (the sender identity is checked
    by the caller, once)."""
    known = await campaign_fields(campaign.id)
    errors: list[Reason] = []
    warnings: list[Reason] = []
    required: set[str] = set()
    for step in steps:
        variants = [(str(v.get("subject", "")), str(v.get("body", ""))) for v in step.variants]
        if len(set(variants)) == 1:
            variants = variants[:1]  # one text stored for every variant of step 1: checked once
        findings = check_content(variants, known_fields=known, locale=space.locale, has_identity=True)
        for f in findings:
            reason = Reason(f.key, dict(f.params), step=step.position)
            (errors if f.severity == "error" else warnings).append(reason)
        required |= _required_fields(variants)
    if not errors:
        empty = await compose.leads_leaving_empty(campaign.id, required & known)
        for name, leads in sorted(empty.items())[:EMPTY_FIELDS_NAMED]:
            params: dict[str, str | int] = {"field": f"{{{name}}}", "leads": leads, "example": f"{{{name}|…}}"}
            warnings.append(Reason("campaign-warn-empty-field", params))
    return errors, warnings


EMPTY_FIELDS_NAMED: Final = 5


def _required_fields(variants: list[tuple[str, str]]) -> set[str]:
    """The placeholders the variants use without a fallback (a template that does not parse: none, its error is
    reported by the content check)."""
    names: set[str] = set()
    for subject, body in variants:
        for text in (subject, body):
            try:
                names |= parse_template(text, where="").required
            except UserError:
                continue
    return names


async def pause_campaign(actor: Actor, clock: Clock, name: str) -> Campaign:
    """`running → paused` (conditional, audited). Planned rows stay: the outbox's claim re-check holds them.

    Raises `NotFound`, `Conflict("error-campaign-not-started")` (a draft), `AlreadyInState`/`IllegalTransition`
    (not running), `Conflict("error-stale-state")`.
    """
    workspace_id = require_manager(actor)
    campaign = await _campaign(workspace_id, name)
    if campaign.status is CampaignStatus.DRAFT:  # the state machine's words would not name it nor say what to do
        raise Conflict("error-campaign-not-started", name=campaign.name)
    async with in_transaction():
        await transition_campaign(
            campaign, CampaignStatus.PAUSED, clock=clock, reason="paused", actor_id=actor.person_id
        )
        await _audit(actor, workspace_id, clock, campaign, "pause")
    return campaign


# ----------------------------------------------------------------------------------------------- confirmation


async def request_confirmation(redis: Redis, actor: Actor, result: StartResult) -> str:
    """Remember a start that waits for "start anyway" (`engine.confirm`): the button carries the token only. The
    campaign's status then is kept too: a button offered for a draft does not resume the campaign once it has
    been started and paused meanwhile."""
    status = await Campaign.filter(id=result.campaign_id).first().values_list("status", flat=True)
    value = {
        "workspace_id": actor.workspace_id,
        "campaign_id": result.campaign_id,
        "person_id": actor.person_id,
        "warnings": sorted({_ack(w) for w in result.warnings}),
        "status": str(status),
    }
    return await confirm.park(redis, CONFIRM_PREFIX, value)


def _ack(warning: Reason) -> str:
    """What a confirmation acknowledges of a warning: its kind and step (numbers in it may move meanwhile)."""
    return f"{warning.key}@{warning.step or 0}"


async def confirm_start(actor: Actor, clock: Clock, redis: Redis, token: str) -> StartResult:
    """The "start anyway" button: the pending start is taken once (a double press finds it used and says what the
    campaign is doing now) and the campaign starts if no new error or unconfirmed warning came up meanwhile.

    Raises `UserError("error-campaign-confirm-expired")`, `Conflict("error-campaign-confirm-used")`, `NotFound`
    (another workspace's), `UserError("error-campaign-confirm-other")` (another person's: left for them), and the
    start's own errors.
    """
    workspace_id = require_manager(actor)
    if not confirm.is_token(token):
        raise UserError("error-campaign-confirm-expired")
    key = CONFIRM_PREFIX + token
    raw = await redis.get(key)
    pending = json.loads(raw) if raw is not None else None
    if pending is not None and pending.get("workspace_id") != workspace_id:
        raise NotFound("error-campaign-confirm-expired")  # another workspace's button: not this person's to use
    if pending is not None and pending.get("person_id") != actor.person_id:
        # the start was asked, and its warnings read, by someone else (a button in a shared chat): theirs to press,
        # so it stays parked for them; this person can ask for their own
        campaign = await Campaign.get_or_none(id=int(pending["campaign_id"]), workspace_id=workspace_id)
        raise UserError("error-campaign-confirm-other", name=campaign.name if campaign else "—")
    if pending is None or await redis.getdel(key) is None:  # expired, or taken by a press a moment ago
        used = await redis.get(CONFIRM_PREFIX + "used:" + token)
        if used is not None:
            campaign = await Campaign.get_or_none(id=int(used), workspace_id=workspace_id)
            if campaign is not None:
                raise Conflict(
                    "error-campaign-confirm-used", name=campaign.name, status=state_name("campaign", campaign.status)
                )
        raise UserError("error-campaign-confirm-expired")
    await redis.set(CONFIRM_PREFIX + "used:" + token, str(pending["campaign_id"]), ex=confirm.CONFIRM_TTL_S)
    campaign = await Campaign.get_or_none(id=int(pending["campaign_id"]), workspace_id=workspace_id)
    if campaign is None:
        raise UserError("error-campaign-confirm-expired")
    if campaign.status is not CampaignStatus.RUNNING and pending.get("status", campaign.status) != campaign.status:
        raise Conflict(
            "error-campaign-confirm-stale", name=campaign.name, status=state_name("campaign", campaign.status)
        )
    return await _start(
        actor, clock, workspace_id, campaign, override=True, allowed=None,
        acknowledged=frozenset(str(k) for k in pending.get("warnings", [])),
    )  # fmt: skip


# ----------------------------------------------------------------------------------------------- reading


async def list_campaigns(actor: Actor) -> list[CampaignLine]:
    """The workspace's campaigns, newest first, with their step and enrollment counts (three queries); managers
    and the workspace's clients."""
    workspace_id = require_reader(actor)
    rows = await Campaign.filter(workspace_id=workspace_id).order_by("-id").values("id", "name", "status")
    ids = [int(r["id"]) for r in rows]
    if not ids:
        return []
    steps = Counter(int(r["campaign_id"]) for r in await Step.filter(campaign_id__in=ids).values("campaign_id"))
    counts = await (
        Enrollment.filter(campaign_id__in=ids)
        .annotate(n=Count("id"))
        .group_by("campaign_id", "state")
        .values("campaign_id", "state", "n")
    )
    enrolled: Counter[int] = Counter()
    active: Counter[int] = Counter()
    for c in counts:
        enrolled[int(c["campaign_id"])] += int(c["n"])
        if c["state"] == EnrollmentState.ACTIVE:
            active[int(c["campaign_id"])] += int(c["n"])
    return [
        CampaignLine(str(r["name"]), CampaignStatus(r["status"]), steps[i], enrolled[i], active[i])
        for r, i in zip(rows, ids, strict=True)
    ]


def _first_opening(campaign: Campaign, zone: ZoneInfo, moment: dt.datetime) -> dt.datetime | None:
    """The first moment at or after `moment` inside the campaign's send window (its days, its zone): when a lead
    due now can go at the earliest, rather than the due time itself (a Saturday-only campaign due on a Thursday
    goes on Saturday). None when the window never opens within two weeks (no weekday chosen)."""
    window = Window(campaign.window_start, campaign.window_end, campaign.weekdays)
    found = open_intervals(window, zone, moment, moment + dt.timedelta(days=14))
    return found[0][0] if found else None


async def campaign_status(actor: Actor, clock: Clock, name: str) -> CampaignStatusView:
    """Progress of one campaign: enrollment states, sent today (in the campaign's time zone) and in total, what is
    planned, the next send (the first planned row, else when the earliest due lead can go by the window), per-step
    and per-variant counts, and today's deferrals (the campaign planner's
    `CampaignDeferral` and its group's `CapDeferral` rows with source `campaign`)."""
    workspace_id = require_manager(actor)
    campaign = await _campaign(workspace_id, name)
    zone = zone_of(campaign.timezone)
    day = clock.now().astimezone(zone).date()
    start = dt.datetime.combine(day, dt.time(), tzinfo=zone)
    states_rows = await (
        Enrollment.filter(campaign_id=campaign.id).annotate(n=Count("id")).group_by("state").values("state", "n")
    )
    states = {EnrollmentState(r["state"]): int(r["n"]) for r in states_rows}
    left_company = await Enrollment.filter(
        campaign_id=campaign.id, state=EnrollmentState.STOPPED, stopped_reason=LEFT_COMPANY
    ).count()
    sent = OutboundMessage.filter(
        campaign_id=campaign.id, kind=MessageKind.CAMPAIGN, status__in=[MessageStatus.SENT, MessageStatus.BOUNCED]
    )
    per_step_rows = await (
        sent.annotate(n=Count("id")).group_by("step_position", "variant").values("step_position", "variant", "n")
    )
    counted = [StepCount(int(r["step_position"] or 0), int(r["variant"] or 0), int(r["n"])) for r in per_step_rows]
    per_step = tuple(sorted(counted, key=lambda c: (c.position, c.variant)))
    sent_today = await sent.filter(sent_at__gte=start, sent_at__lt=start + dt.timedelta(days=1)).count()
    pending = await OutboundMessage.filter(
        campaign_id=campaign.id, kind=MessageKind.CAMPAIGN, status__in=[MessageStatus.PLANNED, MessageStatus.QUEUED]
    ).count()
    next_row = (
        await OutboundMessage.filter(
            campaign_id=campaign.id,
            kind=MessageKind.CAMPAIGN,
            status__in=[MessageStatus.PLANNED, MessageStatus.QUEUED],
        )
        .order_by("scheduled_at")
        .first()
        .values("scheduled_at")
    )
    next_due: dt.datetime | None = next_row["scheduled_at"] if next_row else None
    if next_due is None:
        due = (
            await Enrollment.filter(campaign_id=campaign.id, state=EnrollmentState.ACTIVE, next_due_at__not_isnull=True)
            .order_by("next_due_at")
            .first()
            .values("next_due_at")
        )
        next_due = _first_opening(campaign, zone, max(due["next_due_at"], clock.now())) if due else None
    waiting_rows = await (
        Enrollment.filter(campaign_id=campaign.id, state=EnrollmentState.ACTIVE)
        .annotate(n=Count("id"))
        .group_by("current_step")
        .values("current_step", "n")
    )
    waiting: Counter[int] = Counter()
    for r in waiting_rows:  # current_step is the position of the next step (0 before the first one)
        waiting[max(1, int(r["current_step"] or 0))] += int(r["n"])
    group = await _group(campaign, clock)
    deferrals = await _deferrals(campaign, clock, day)
    steps = await Step.filter(campaign_id=campaign.id).count()
    return CampaignStatusView(
        name=campaign.name,
        status=campaign.status,
        timezone=campaign.timezone,
        window=f"{campaign.window_start:%H:%M}-{campaign.window_end:%H:%M}",
        weekdays=campaign.weekdays,
        daily_cap=campaign.daily_cap,
        per_mailbox_cap=campaign.per_mailbox_cap,
        flags={
            "html": campaign.html,
            "track_opens": campaign.html,  # the pixel comes with HTML (see _opens_need_html)
            "track_clicks": campaign.track_clicks,
            "lead_timezone": campaign.lead_timezone,
            "stop_on_reply": campaign.stop_on_reply,
        },
        steps=steps,
        group=group,
        states=states,
        enrolled=sum(states.values()),
        left_company=left_company,
        sent_today=sent_today,
        sent_total=sum(s.sent for s in per_step),
        pending=pending,
        next_due=next_due,
        per_step=per_step,
        waiting=tuple(sorted(waiting.items())),
        deferrals=deferrals,
        day=day,
    )


async def _deferrals(campaign: Campaign, clock: Clock, day: dt.date) -> tuple[DeferralLine, ...]:
    own = await CampaignDeferral.filter(campaign_id=campaign.id, day=day).values("cap", "wanted", "allowed")
    lines = [DeferralLine(CapKind(r["cap"]), int(r["wanted"]), int(r["allowed"])) for r in own]
    box_ids = [b.id for b in await group_mailboxes(campaign.id)]
    if box_ids:
        zone = await workspace_zone(campaign.workspace_id)
        workspace_day = clock.now().astimezone(zone).date()
        rows = await CapDeferral.filter(mailbox_id__in=box_ids, day=workspace_day, source="campaign").values(
            "mailbox__address", "cap", "wanted", "allowed"
        )
        lines += [
            DeferralLine(CapKind(r["cap"]), int(r["wanted"]), int(r["allowed"]), str(r["mailbox__address"]))
            for r in rows
        ]
    return tuple(sorted(lines, key=lambda d: (d.mailbox != "", d.allowed, d.mailbox, d.cap.value)))


# ----------------------------------------------------------------------------------------------- test, preview


async def send_test(
    actor: Actor, clock: Clock, name: str, address: str, *, step: int = 1, variant: int | str = 0
) -> OutboundMessage:
    """Queue a step (`step`, 1 = the first; `variant`, 0 = A, or its letter as typed: `steps.variant_named`) of the
    campaign to `address` now, from a sending
    mailbox of the group (graduated first): a `kind='test'` row without a lead. The recipient is kept in the row's
    `body` until the composer renders it (no recipient column yet; see the report of issue 10).

    Raises `UserError("error-campaign-test-address"|"error-campaign-test-limit")`, `NotFound`,
    `UserError("campaign-refuse-no-steps")`, `UserError("error-campaign-preview-step")` (no such step),
    `UserError("error-content-variant-not-found")`, `UserError("error-campaign-test-no-identity")` (no sender
    identity: the composer would fail the row), `UserError("error-campaign-test-no-mailbox")` — each before a row
    is queued, rather than a row the composer fails unheard.
    """
    workspace_id = require_manager(actor)
    address = address.strip()
    if address.endswith(">") and "<" in address:  # "Анна <anna@acme.ru>", as a mail client shows an address
        address = address[address.rfind("<") + 1 : -1].strip()
    recipient = normalize_email(address[:320]) if "@" in address else None
    if recipient is None or not re.fullmatch(r"[^@\s\"<>(),;:\\\[\]]{1,64}@[a-z0-9.-]+\.[a-z0-9-]{2,}", recipient):
        raise UserError("error-campaign-test-address", address=address[:60])
    campaign = await _campaign(workspace_id, name)
    if not await Step.filter(campaign_id=campaign.id, position=1).exists():
        raise UserError("campaign-refuse-no-steps", name=campaign.name)
    chosen = await Step.get_or_none(campaign_id=campaign.id, position=step)
    if chosen is None:
        raise UserError("error-campaign-preview-step", name=campaign.name, step=step)
    if isinstance(variant, str):
        variant = variant_named(variant, len(chosen.variants or []), step)
    if not 0 <= variant < len(chosen.variants or []):
        raise UserError("error-content-variant-not-found", step=step, variant=variant_letter(variant))
    if not (await compose.sender_identity(workspace_id)).complete:  # the composer would fail the row, unheard of
        raise UserError("error-campaign-test-no-identity", name=campaign.name)
    box = await _test_mailbox(campaign.id)
    if box is None:
        raise UserError("error-campaign-test-no-mailbox", name=campaign.name)
    now = clock.now()
    since = now - dt.timedelta(days=1)
    if (
        await OutboundMessage.filter(campaign_id=campaign.id, kind=MessageKind.TEST, scheduled_at__gte=since).count()
        >= TEST_SENDS_PER_DAY
    ):
        raise UserError("error-campaign-test-limit", max=TEST_SENDS_PER_DAY)
    async with in_transaction():
        row = await OutboundMessage.create(
            kind=MessageKind.TEST,
            workspace_id=workspace_id,
            mailbox_id=box.id,
            campaign_id=campaign.id,
            step_position=step,
            variant=variant,
            message_id=make_message_id(box.address),
            status=MessageStatus.QUEUED,
            scheduled_at=now,
            body=recipient,
        )
        await _audit(actor, workspace_id, clock, campaign, "test", to=recipient, mailbox=box.address)
    return row


async def _test_mailbox(campaign_id: int) -> Mailbox | None:
    """The mailbox a test send goes from: a sending one of the group, graduated first, then by address."""
    boxes = [b for b in await group_mailboxes(campaign_id) if b.status in _TEST_BOXES]
    boxes.sort(key=lambda b: (b.status is not MailboxStatus.ACTIVE, b.address))
    return boxes[0] if boxes else None


async def preview(
    actor: Actor, name: str, *, lead_email: str | None, step: int, variant: int | str | None
) -> tuple[str, Composed]:
    """The rendered message of `step` (1 = the first) for a lead of the workspace (or sample fields):
    `engine.campaigns.compose.preview`; `variant` an index, a letter as typed (`steps.variant_named`) or None.
    Returns (campaign name, `Composed`).

    Raises `NotFound`, `UserError("error-campaign-preview-step")`
    while the composer is not merged.
    """
    workspace_id = require_manager(actor)
    campaign = await _campaign(workspace_id, name)
    chosen = await Step.get_or_none(campaign_id=campaign.id, position=step)
    if chosen is None:
        raise UserError("error-campaign-preview-step", name=campaign.name, step=step)
    if isinstance(variant, str):
        variant = variant_named(variant, len(chosen.variants or []), step)
    email = normalize_email(lead_email) if lead_email else None
    if lead_email and email is None:
        raise UserError("error-campaign-test-address", address=lead_email[:60])
    box = await _test_mailbox(campaign.id)  # whose name {sender_name} shows, as in a test send
    composed = await compose.preview(
        workspace_id, campaign.id, step_position=step, lead_email=email, variant=variant,
        sender_mailbox_id=box.id if box is not None else None,
    )  # fmt: skip
    return campaign.name, composed

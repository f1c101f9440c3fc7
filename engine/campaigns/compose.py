"""Rendering a campaign message: the outbox's composer, the chat's preview, and the pure function under both.

`render_message` is pure: templates, fields, the sender identity, a seeded random generator and the row's
tracking links in; subject, text (with the sender footer and a localized unsubscribe line), the optional HTML
part and the message's links out. `Composer` is the `ComposeCampaign` the outbox calls when it claims a
campaign or test row: it loads the step's variants, the campaign's flags and the workspace's identity (cached
per process for `ttl_s`, so a day of sends parses each template once per minute, not per message) and the lead
by id, and renders with `random.Random(render_seed(…))` — the campaign, step, variant and lead: a retry of the
same row renders the same text, and a preview of that lead (or, for a test send, the preview with sample values)
draws the same spintax options as the message sent.

Header safety: every field value is cleaned (`clean_field`: control characters and line breaks become spaces)
and the rendered subject loses every control character (`clean_subject`) before it reaches the message builder,
which guards again. Nothing in a template or a lead's data can add a header.

Tracking: a plain-text campaign carries its links as written (or as click links when it opted into
`track_clicks`) and no pixel — its opens are not measured (`opens_measured`). A campaign that opted into HTML
gets an HTML part: the text escaped into paragraphs, every link through the click redirect, a 1×1 open pixel.
"""

from __future__ import annotations

import asyncio
import dataclasses
import html
import random
import re
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol

from tortoise import connections

from engine.campaigns.content import BASE_FIELDS, sample_fields, variant_letter
from engine.campaigns.ports import CampaignRow, Composed, LeadData
from engine.campaigns.template import Template, field_key, parse
from engine.errors import NotFound, UserError
from engine.i18n import letter_locale, translator
from engine.stats import normalize_email
from engine.tracking import MAX_LINKS, TrackingLinks, redirect_location
from models import Campaign, Lead, Mailbox, Step, Workspace
from models.enums import EnrollmentState

DEFAULT_TTL_S: Final = 30.0  # how long a step's parsed templates and the workspace identity are reused
PREVIEW_BASE_URL: Final = "https://tracking.invalid"  # previews show where links go, never a working token
PREVIEW_ROW_ID: Final = 1
_PARSE_OFF_LOOP_CHARS: Final = 4_000  # longer templates are parsed in a thread (ARCHITECTURE §3)
_MAX_CUSTOM_KEYS: Final = 200

_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_BODY_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
_SPACES = re.compile(r"[ \t]+")
_URL = re.compile(r"https?://[^\s<>\"'«»]+", re.IGNORECASE)
_URL_TAIL = ".,;:!?)]}'\""
_CLOSERS: Final = {")": "(", "]": "["}
_PARAGRAPHS = re.compile(r"\n\s*\n")


class HasHtmlFlag(Protocol):
    html: bool


def opens_measured(campaign: HasHtmlFlag) -> bool:
    """Whether opens of this campaign are measured at all: only HTML campaigns carry the pixel. A plain-text
    campaign's open rate is "not measured", never 0 %."""
    return bool(campaign.html)


@dataclass(frozen=True, slots=True)
class Identity:
    """Who sends: printed in the footer of every message (`Workspace.sender_name`, `sender_address`)."""

    sender_name: str
    sender_address: str
    locale: str

    @property
    def complete(self) -> bool:
        return bool(self.sender_name.strip() and self.sender_address.strip())


def clean_field(value: Any) -> str:
    """A field value as templates see it: text on one line (control characters and line breaks become spaces),
    runs of spaces collapsed, ends trimmed. None is empty; numbers and booleans are written out."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    return _SPACES.sub(" ", _CONTROLS.sub(" ", text)).strip()


def name_case(value: str) -> str:
    """A person's name as a letter writes it: one typed all in capitals or all in small letters ("ИВАН",
    "петров-водкин", as web forms and CRM exports give them) is capitalized word by word ("Иван",
    "Петров-Водкин"), or "Здравствуйте, ИВАН!" is shouted at the lead (and caps read as spam to filters). A name
    in mixed case ("МакКуин", "де Голль") is the person's own spelling and stays as it is."""
    if sum(ch.isalpha() for ch in value) < 2 or not (value.isupper() or value.islower()):
        return value
    return value.title()


def clean_subject(value: str) -> str:
    """A rendered subject with every control character and line break removed (replaced by one space)."""
    return _SPACES.sub(" ", _CONTROLS.sub(" ", value)).strip()


_REPLY_PREFIX: Final = re.compile(r"^(?:\s*re\s*:\s*)+", re.IGNORECASE)


def thread_starter_subject(subject: str) -> str:
    """A follow-up's subject when it starts a new thread: without the "Re: " a follow-up written without its own
    subject carries (`engine.campaigns.steps`). After a domain swap the lead's next step comes from a mailbox
    that never wrote to them, with no `In-Reply-To`; "Re: <step 1>" there would fake a reply to mail the lead
    never got from that sender — a deception receivers score as spam. Kept when nothing else is left."""
    return _REPLY_PREFIX.sub("", subject).strip() or subject


def clean_body(value: str) -> str:
    """A rendered body: newlines normalized to LF, other control characters dropped, trailing spaces trimmed."""
    text = _BODY_CONTROLS.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


def render_seed(campaign_id: int, step_position: int, variant: int, lead_id: int | None) -> str:
    """What seeds a rendering's spintax draws: the same for a lead's message and its preview, and for a test send
    (no lead) and the preview with sample values — so a preview reads as what is sent."""
    return f"{campaign_id}:{step_position}:{variant}:{lead_id or 0}"


def render_rngs(
    campaign_id: int, step_position: int, variant: int, lead_id: int | None
) -> tuple[random.Random, random.Random | None]:
    """`render_message`'s `rng` and `subject_rng` for a step: the body's seeded by the step (`render_seed`), the
    subject's by step 1 whatever the step. A follow-up without a subject of its own is "Re: " and step 1's subject
    template (`engine.campaigns.steps`): drawn from its own step's seed, its spintax picked other options than the
    lead got ("Добрый день, Иван" answered by "Re: Здравствуйте, Иван"), a thread that reads as two. Step 1
    renders its subject first from that same seed, so a follow-up repeats exactly the subject step 1 sent."""
    rng = random.Random(render_seed(campaign_id, step_position, variant, lead_id))
    if step_position <= 1:
        return rng, None
    return rng, random.Random(render_seed(campaign_id, 1, variant, lead_id))


def lead_fields(
    *,
    email: str,
    first_name: str = "",
    last_name: str = "",
    company: str = "",
    custom: Mapping[str, Any] | None = None,
    sender_name: str = "",
    sender_company: str = "",
) -> dict[str, str]:
    """The fields a template may use, keyed case-folded with spaces as `_` (`field_key`: a column "Job Title"
    is `{job_title}`); the base fields win over custom columns of the same name. A lead's first and last name
    are in `name_case`."""
    fields: dict[str, str] = {}
    for key, value in list((custom or {}).items())[:_MAX_CUSTOM_KEYS]:
        if isinstance(value, str | int | float | bool) or value is None:
            fields[field_key(str(key))] = clean_field(value)
    fields |= {
        "email": clean_field(email),
        "first_name": name_case(clean_field(first_name)),
        "last_name": name_case(clean_field(last_name)),
        "company": clean_field(company),
        "sender_name": clean_field(sender_name),
        "sender_company": clean_field(sender_company),
    }
    return fields


def find_links(text: str) -> tuple[str, ...]:
    """The distinct http(s) URLs of a text in order of appearance (trailing punctuation is not part of one,
    a closing bracket that closes one inside it is: `https://ru.wikipedia.org/wiki/Мир_(значения)`), leaving out
    those no redirect could lead to (`redirect_location`: a zero-width space in the host, a port out of range):
    they stay in the text as written, with no click link that could only answer 404."""
    links = (url for _, _, url in _url_spans(text) if redirect_location(url) is not None)
    return tuple(dict.fromkeys(links))[:MAX_LINKS]


def _url_spans(text: str) -> Iterable[tuple[int, int, str]]:
    for match in _URL.finditer(text):
        url = _trim_tail(match.group())
        if len(url) > len("https://"):
            yield match.start(), match.start() + len(url), url


def _trim_tail(url: str) -> str:
    """`url` without the punctuation that ends the sentence around it; a `)` or `]` stays when it closes a
    bracket opened inside the URL, as in a Wikipedia link (and not one opened before it: `(see https://…)`)."""
    while url and url[-1] in _URL_TAIL:
        closing = url[-1]
        if closing in _CLOSERS and url.count(_CLOSERS[closing]) >= url.count(closing):
            break
        url = url[:-1]
    return url


def render_message(
    *,
    subject: Template,
    body: Template,
    fields: Mapping[str, str],
    identity: Identity,
    rng: random.Random,
    tracking: TrackingLinks,
    row_id: int,
    html_part: bool = False,
    track_clicks: bool = False,
    subject_rng: random.Random | None = None,
) -> Composed:
    """Render one message (pure). The text ends with the footer «—», «{sender_name}, {sender_address}» and the
    unsubscribe line in the letter's language (`letter_locale`); `html_part` adds the HTML alternative with
    tracked links and the open pixel; `track_clicks` sends a plain text's links through the click redirect too.
    The subject draws its spintax from `subject_rng` when given (`render_rngs`), else from `rng` before the body."""
    subject_text = clean_subject(subject.render(fields, subject_rng or rng))
    body_text = clean_body(body.render(fields, rng))
    t = translator(letter_locale(body_text, identity.locale))
    links = find_links(body_text)
    index = {url: i for i, url in enumerate(links)}
    unsubscribe = tracking.unsubscribe_url(row_id)

    def tracked(url: str) -> str:
        return tracking.click_url(row_id, index[url]) if url in index else url

    shown_body = _replace_urls(body_text, tracked) if track_clicks and not html_part else body_text
    identity_line = ", ".join(
        part for part in (clean_field(identity.sender_name), clean_field(identity.sender_address)) if part
    )
    unsubscribe_line = t("content-unsubscribe-line", url=unsubscribe)
    text = f"{shown_body}\n\n—\n{identity_line}\n{unsubscribe_line}\n"
    html_text = None
    if html_part:
        html_text = _html(
            body_text,
            tracked=tracked,
            identity_line=identity_line,
            unsubscribe_text=t("content-unsubscribe-html"),
            unsubscribe_url=unsubscribe,
            tracking=tracking,
            row_id=row_id,
        )
    return Composed(
        subject=subject_text,
        text=text,
        html=html_text,
        links=links,
        unsubscribe_url=unsubscribe if tracking.one_click_capable else None,
    )


def _replace_urls(text: str, replace: Callable[[str], str]) -> str:
    out: list[str] = []
    last = 0
    for start, end, url in _url_spans(text):
        out += [text[last:start], replace(url)]
        last = end
    out.append(text[last:])
    return "".join(out)


def _html_paragraph(text: str, tracked: Callable[[str], str]) -> str:
    out: list[str] = []
    last = 0
    for start, end, url in _url_spans(text):
        out.append(html.escape(text[last:start]))
        out.append(f'<a href="{html.escape(tracked(url))}">{html.escape(url)}</a>')
        last = end
    out.append(html.escape(text[last:]))
    return "".join(out).replace("\n", "<br>")


def _html(
    body: str,
    *,
    tracked: Callable[[str], str],
    identity_line: str,
    unsubscribe_text: str,
    unsubscribe_url: str,
    tracking: TrackingLinks,
    row_id: int,
) -> str:
    paragraphs = [p for p in _PARAGRAPHS.split(body) if p.strip()]
    parts = [f"<p>{_html_paragraph(p, tracked)}</p>" for p in paragraphs]
    parts.append(f"<p>—<br>{html.escape(identity_line)}<br>")
    parts.append(f'<a href="{html.escape(unsubscribe_url)}">{html.escape(unsubscribe_text)}</a></p>')
    pixel = f'<img src="{html.escape(tracking.open_url(row_id))}" width="1" height="1" alt="" style="border:0">'
    return '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>' + "".join(parts) + pixel + "</body></html>"


# ---------------------------------------------------------------------------------------------------------------
# Loading what a rendering needs


@dataclass(frozen=True, slots=True)
class StepContent:
    """A step of a campaign as the composer needs it: parsed variants and the campaign's flags."""

    campaign_id: int
    workspace_id: int
    html: bool
    track_clicks: bool
    identity: Identity
    sender_company: str
    variants: tuple[tuple[Template, Template], ...]


async def _parse_variant(
    raw: Mapping[str, Any], step_position: int, index: int, locale: str
) -> tuple[Template, Template]:
    t = translator(locale)
    letter = variant_letter(index)
    subject_src, body_src = str(raw.get("subject") or ""), str(raw.get("body") or "")
    where_subject = t("content-where-step-subject", step=step_position, variant=letter)
    where_body = t("content-where-step-body", step=step_position, variant=letter)
    if len(subject_src) + len(body_src) > _PARSE_OFF_LOOP_CHARS:
        return await asyncio.to_thread(
            lambda: (parse(subject_src, where=where_subject), parse(body_src, where=where_body))
        )
    return parse(subject_src, where=where_subject), parse(body_src, where=where_body)


async def load_step(campaign_id: int, step_position: int, *, workspace_id: int | None = None) -> StepContent:
    """A campaign's step with its variants parsed. `NotFound` when the campaign (in that workspace) or the step
    does not exist; `UserError("error-template-syntax")` when a variant no longer parses."""
    query = Campaign.filter(id=campaign_id)
    if workspace_id is not None:
        query = query.filter(workspace_id=workspace_id)
    campaign = await query.first()
    if campaign is None:
        raise NotFound("error-content-campaign-not-found")
    step = await Step.get_or_none(campaign_id=campaign_id, position=step_position)
    if step is None:
        raise NotFound("error-content-step-not-found", step=step_position)
    workspace = await Workspace.get(id=campaign.workspace_id)
    identity = Identity(workspace.sender_name, workspace.sender_address, workspace.locale or "ru")
    variants = tuple(
        [await _parse_variant(raw, step_position, i, identity.locale) for i, raw in enumerate(step.variants or [])]
    )
    return StepContent(
        campaign_id=campaign.id,
        workspace_id=campaign.workspace_id,
        html=campaign.html,
        track_clicks=campaign.track_clicks,
        identity=identity,
        sender_company=workspace.sender_name or workspace.name,
        variants=variants,
    )


async def sender_identity(workspace_id: int) -> Identity:
    """The workspace's sender identity (`Identity.complete` is what `check_content` takes as `has_identity`)."""
    workspace = await Workspace.get_or_none(id=workspace_id)
    if workspace is None:
        raise NotFound("error-content-campaign-not-found")
    return Identity(workspace.sender_name, workspace.sender_address, workspace.locale or "ru")


class Composer:
    """The outbox's `ComposeCampaign`: renders a claimed campaign or test row (see the module docstring).

    Raises `UserError` when the row cannot be rendered: `error-compose-lead-gone` (the lead was erased),
    `content-missing-identity` (the workspace's sender name or address was cleared),
    `error-content-step-not-found`, `error-content-variant-not-found`, `error-template-syntax`,
    `error-template-output-too-long`. The outbox fails the row with that reason.
    """

    def __init__(
        self, tracking: TrackingLinks, *, ttl_s: float = DEFAULT_TTL_S, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.tracking = tracking
        self._ttl_s = ttl_s
        self._monotonic = monotonic  # a cache's age, not the engine's time: the Clock is for business time
        self._steps: dict[tuple[int, int], tuple[float, StepContent]] = {}
        self._senders: dict[int, tuple[float, str]] = {}

    async def __call__(self, row: CampaignRow) -> Composed:
        step = await self._step(row.campaign_id, row.step_position)
        if step.workspace_id != row.workspace_id:
            raise NotFound("error-content-campaign-not-found")
        if not step.identity.complete:  # the launch check refuses this too; a message never goes out without it
            raise UserError("content-missing-identity")
        if not 0 <= row.variant < len(step.variants):
            raise UserError(
                "error-content-variant-not-found", step=row.step_position, variant=variant_letter(row.variant)
            )
        subject, body = step.variants[row.variant]
        if row.sender_name is not None:  # read with the job's accounts: no query of its own a message
            sender = clean_field(row.sender_name) or step.sender_company
        else:
            sender = await self._sender_name(row.mailbox_id) or step.sender_company
        if row.lead_id is None:  # a test send to a manager: sample values stand in for a lead
            fields = sample_fields(step.identity.locale, subject.placeholders | body.placeholders)
            fields |= {
                "email": clean_field(row.recipient),
                "sender_name": sender,
                "sender_company": step.sender_company,
            }
        else:  # the lead as the outbox read it with the row's re-check, else read here (recovery, a preview)
            lead = row.lead or await _read_lead(row.lead_id)
            fields = _fields_of(lead, sender, step.sender_company)
        rng, subject_rng = render_rngs(row.campaign_id, row.step_position, row.variant, row.lead_id)
        composed = render_message(
            subject=subject,
            body=body,
            fields=fields,
            identity=step.identity,
            rng=rng,
            subject_rng=subject_rng,
            tracking=self.tracking,
            row_id=row.row_id,
            html_part=step.html,
            track_clicks=step.track_clicks,
        )
        if row.lead_id is not None and row.step_position > 1 and not row.in_reply_to:
            # a follow-up that starts a thread (its lead was moved to a new mailbox by a swap): no fake "Re:"
            composed = dataclasses.replace(composed, subject=thread_starter_subject(composed.subject))
        return composed

    def forget(self) -> None:
        """Drop every cached step (tests; a process that knows the content changed)."""
        self._steps.clear()
        self._senders.clear()

    async def _step(self, campaign_id: int, step_position: int) -> StepContent:
        key = (campaign_id, step_position)
        now = self._monotonic()
        cached = self._steps.get(key)
        if cached is not None and now - cached[0] < self._ttl_s:
            return cached[1]
        step = await load_step(campaign_id, step_position)
        self._steps[key] = (now, step)
        return step

    async def _sender_name(self, mailbox_id: int) -> str:
        now = self._monotonic()
        cached = self._senders.get(mailbox_id)
        if cached is not None and now - cached[0] < self._ttl_s:
            return cached[1]
        names = await Mailbox.filter(id=mailbox_id).values_list("display_name", flat=True)
        name = clean_field(names[0]) if names else ""
        self._senders[mailbox_id] = (now, name)
        return name


async def _read_lead(lead_id: int) -> LeadData:
    rows = await Lead.filter(id=lead_id).values("email", "first_name", "last_name", "company", "custom")
    if not rows:
        raise UserError("error-compose-lead-gone")
    lead = rows[0]
    custom = lead["custom"] if isinstance(lead["custom"], dict) else {}
    return LeadData(lead["email"], lead["first_name"], lead["last_name"], lead["company"], custom)


def _fields_of(lead: LeadData, sender_name: str, sender_company: str) -> dict[str, str]:
    return lead_fields(
        email=lead.email,
        first_name=lead.first_name,
        last_name=lead.last_name,
        company=lead.company,
        custom=lead.custom,
        sender_name=sender_name,
        sender_company=sender_company,
    )


async def preview(
    workspace_id: int,
    campaign_id: int,
    *,
    step_position: int,
    lead_email: str | None,
    variant: int | None,
    sender_mailbox_id: int | None = None,
    base_url: str = PREVIEW_BASE_URL,
) -> Composed:
    """A step rendered for one lead of the workspace (or sample values), the same on every call and as it is sent
    (the same spintax draws: `render_seed`).

    `variant` None: the lead's own A/B variant when it is enrolled, else the first. `{sender_name}` is the display
    name of the mailbox that writes to the lead (its sequence's), else of `sender_mailbox_id` (the one a test send
    goes from), else the sender's company. For a lead, `empty` names
    the placeholders without a fallback that its fields leave empty. The links point at
    `base_url` with tokens under a throw-away key: a preview never holds a working unsubscribe or click link.
    Raises `NotFound` (`error-content-campaign-not-found`, `error-content-step-not-found`,
    `error-content-lead-not-found`), `UserError("error-content-variant-not-found")` and template errors.
    """
    step = await load_step(campaign_id, step_position, workspace_id=workspace_id)
    lead_id = 0
    chosen = variant
    workspace = await Workspace.get(id=workspace_id)
    sender_company = step.sender_company
    if lead_email is not None:
        email = normalize_email(lead_email)
        lead = await Lead.get_or_none(workspace_id=workspace_id, email=email) if email else None
        if lead is None:
            raise NotFound("error-content-lead-not-found", email=lead_email[:320])
        lead_id = lead.id
        enrolled = await connections.get("default").execute_query_dict(
            "SELECT variant, mailbox_id FROM enrollment WHERE campaign_id = $1 AND lead_id = $2", [campaign_id, lead.id]
        )
        if enrolled and enrolled[0]["mailbox_id"] is not None:
            sender_mailbox_id = int(enrolled[0]["mailbox_id"])
        sender_name = await _display_name(sender_mailbox_id) or sender_company
        fields = _fields_of(await _read_lead(lead.id), sender_name, sender_company)
        if chosen is None and enrolled and enrolled[0]["variant"] is not None:
            chosen = int(enrolled[0]["variant"])
    else:
        fields = sample_fields(workspace.locale or "ru", _names(step))
        sender_name = await _display_name(sender_mailbox_id) or sender_company
        fields |= {"sender_name": sender_name, "sender_company": sender_company}
    chosen = 0 if chosen is None else chosen
    if not 0 <= chosen < len(step.variants):
        raise UserError("error-content-variant-not-found", step=step_position, variant=variant_letter(chosen))
    subject, body = step.variants[chosen]
    rng, subject_rng = render_rngs(campaign_id, step_position, chosen, lead_id)
    composed = render_message(
        subject=subject,
        body=body,
        fields=fields,
        identity=step.identity,
        rng=rng,
        subject_rng=subject_rng,
        tracking=TrackingLinks(base_url, secrets.token_bytes(32)),
        row_id=PREVIEW_ROW_ID,
        html_part=step.html,
        track_clicks=step.track_clicks,
    )
    if lead_email is None:
        return composed
    empty = sorted(n for n in subject.required | body.required if not fields.get(n, "").strip())
    return dataclasses.replace(composed, empty=tuple(empty))


def _names(step: StepContent) -> set[str]:
    return {n for subject, body in step.variants for n in subject.placeholders | body.placeholders}


async def _display_name(mailbox_id: int | None) -> str:
    """A mailbox's display name as a message from it shows it (`Composer._sender_name`); "" without one."""
    if mailbox_id is None:
        return ""
    names = await Mailbox.filter(id=mailbox_id).values_list("display_name", flat=True)
    return clean_field(names[0]) if names else ""


_LEAD_COLUMNS: Final = ("first_name", "last_name", "company")  # the fields a lead may leave empty, as columns


async def leads_leaving_empty(campaign_id: int, names: Iterable[str]) -> dict[str, int]:
    """How many of the campaign's active leads leave each field of `names` (case-folded placeholder names) empty:
    a placeholder without a fallback renders nothing for them ("Здравствуйте, !"). A custom field counts as
    empty when none of the columns that are that placeholder (`field_key`) has a value. Only fields some lead
    leaves empty are returned; names that are no lead field (`sender_name`, an unknown one) are left out."""
    conn = connections.get("default")
    wanted = sorted(set(names) - {"email", "sender_name", "sender_company"})
    if not wanted:
        return {}
    keys: dict[str, list[str]] = {}
    if set(wanted) - set(_LEAD_COLUMNS):
        rows = await conn.execute_query_dict(_CUSTOM_KEYS, [campaign_id])
        for r in rows:
            keys.setdefault(field_key(str(r["k"])), []).append(str(r["k"]))
    params: list[Any] = [campaign_id]
    counted: list[tuple[str, str]] = []
    for name in wanted:
        if name in _LEAD_COLUMNS:
            counted.append((name, f"btrim(l.{name}) = ''"))
        elif name in keys:
            empty = []
            for key in keys[name]:
                params.append(key)
                empty.append(f"coalesce(btrim(l.custom ->> ${len(params)}), '') = ''")
            counted.append((name, " AND ".join(empty)))
    if not counted:
        return {}
    filters = ", ".join(f"count(*) FILTER (WHERE {cond}) AS c{i}" for i, (_, cond) in enumerate(counted))
    sql = (
        f"SELECT {filters} FROM enrollment e JOIN lead l ON l.id = e.lead_id "  # noqa: S608 - names from a whitelist, values as parameters
        f"WHERE e.campaign_id = $1 AND e.state = '{EnrollmentState.ACTIVE.value}'"
    )
    [row] = await conn.execute_query_dict(sql, params)
    return {name: int(row[f"c{i}"]) for i, (name, _) in enumerate(counted) if row[f"c{i}"]}


_CUSTOM_KEYS: Final = (
    "SELECT DISTINCT k FROM enrollment e JOIN lead l ON l.id = e.lead_id, "
    "LATERAL jsonb_object_keys(CASE WHEN jsonb_typeof(l.custom) = 'object' THEN l.custom ELSE '{}' END) AS k "
    "WHERE e.campaign_id = $1 LIMIT 1000"
)


async def campaign_fields(campaign_id: int) -> frozenset[str]:
    """The fields templates of this campaign may use: the base fields and every custom column seen in the
    campaign's leads (what `check_content` takes as `known_fields`)."""
    rows = await connections.get("default").execute_query_dict(_CUSTOM_KEYS, [campaign_id])
    return BASE_FIELDS | {field_key(str(r["k"])) for r in rows}


_WORKSPACE_KEYS: Final = (
    "SELECT DISTINCT k FROM (SELECT custom FROM lead WHERE workspace_id = $1 ORDER BY id DESC LIMIT $2) l, "
    "LATERAL jsonb_object_keys(CASE WHEN jsonb_typeof(l.custom) = 'object' THEN l.custom ELSE '{}' END) AS k "
    "LIMIT 1000"
)
WORKSPACE_LEADS_READ: Final = 5_000  # the latest leads of a workspace whose columns count as known (one import's)


async def workspace_fields(workspace_id: int) -> frozenset[str]:
    """The base fields and the custom columns of the workspace's latest leads (`WORKSPACE_LEADS_READ`): what a
    campaign with no lead yet may expect of the leads it will get."""
    rows = await connections.get("default").execute_query_dict(_WORKSPACE_KEYS, [workspace_id, WORKSPACE_LEADS_READ])
    return BASE_FIELDS | {field_key(str(r["k"])) for r in rows}

"""CSV exports of a campaign: results per step and variant, and the outcome of every lead.

Excel opens them with Cyrillic intact: UTF-8 with a BOM, `;` between cells (the list separator of a Russian
Excel). Text cells that a spreadsheet would run as a formula (`engine.cells`: = + - @, full-width too, after any
spaces; a tab or a line end first) get a leading apostrophe. A lead export is read in pages by id and written in
a thread, page by page, and stops with `export-too-big` past EXPORT_MAX_BYTES (under Telegram's 50 MB for a bot's
file), so 100,000 leads never become one string built on the event loop.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from babel.numbers import format_decimal
from tortoise import connections

from engine.access import Actor, require_reader
from engine.campaigns.content import variant_letter
from engine.cells import safe_text
from engine.clock import Clock, local_time, zone_or_utc
from engine.dns.names import to_unicode_address
from engine.errors import NotFound, UserError
from engine.i18n import translator
from engine.leads.listing import LEFT_COMPANY
from engine.monitoring.metrics import MIN_SAMPLE, rate
from engine.monitoring.service import minimums_of
from models import Campaign, Workspace
from models.enums import EnrollmentState, LeadVerdict, LegalBasis

BOM: Final = "\ufeff"
DELIMITER: Final = ";"
EXPORT_MAX_BYTES: Final = 45 * 1024 * 1024
"""A bot may send files up to 50 MB on Telegram; past this an export is refused with a message, not truncated."""
PAGE: Final = 5000
"""Leads read and written per round trip."""
NAME_MAX_CHARS: Final = 200


def safe_cell(value: Any) -> Any:
    """A text cell a spreadsheet shows as text: one starting like a formula gets a leading apostrophe.
    Numbers stay numbers (a negative number is a value, not a formula)."""
    return safe_text(value) if isinstance(value, str) else value


class CsvWriter:
    """Rows → UTF-8 CSV bytes with a BOM, `;`-separated, every text cell made safe; bounded by `max_bytes`."""

    def __init__(self, header: Sequence[str], max_bytes: int = EXPORT_MAX_BYTES) -> None:
        self._text = io.StringIO()
        self._csv = csv.writer(self._text, delimiter=DELIMITER, lineterminator="\r\n")
        self._out = io.BytesIO()
        self._out.write(BOM.encode())
        self.max_bytes = max_bytes
        self.rows = 0
        self.write([header])
        self.rows = 0

    @property
    def size(self) -> int:
        return self._out.tell()

    def write(self, rows: Iterable[Sequence[Any]]) -> None:
        """Append rows; `UserError("export-too-big")` once the file passes `max_bytes`."""
        for row in rows:
            self._csv.writerow([safe_cell(v) for v in row])
            self.rows += 1
        self._out.write(self._text.getvalue().encode())
        self._text.seek(0)
        self._text.truncate()
        if self.size > self.max_bytes:
            raise UserError("export-too-big", limit=self.max_bytes // (1024 * 1024))

    def getvalue(self) -> bytes:
        return self._out.getvalue()


@dataclass(frozen=True)
class Export:
    filename: str
    content: bytes
    rows: int
    subject: str = ""  # the campaign's name as it is stored (what a reply about the file names)
    since: dt.date | None = None  # the first day counted when retention erased the answers to earlier sends
    retention_days: int | None = None


async def _campaign(actor: Actor, name: str) -> Campaign:
    """The reader's own campaign called `name`: another workspace's is "not found", never "forbidden"."""
    workspace_id = require_reader(actor)
    text = name.strip()[:NAME_MAX_CHARS]
    found = await Campaign.filter(workspace_id=workspace_id, name__iexact=text).first()
    if found is None:
        raise NotFound("error-campaign-not-found", name=name.strip()[:40])
    return found


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in name)[:60] or "campaign"


def _percent(part: int, sample: int, not_enough: str, locale: str, min_sample: int = MIN_SAMPLE) -> str:
    """A rate in percent with one decimal in the reader's digits ("3,3" in Russian, as Excel there reads a
    number) — more for a small share that is not zero (1 of 3,000 is "0.03", as /report shows it, never 0.0
    beside the 1 it counts) — or `not_enough` below the minimum sample."""
    percent = rate(part, sample, min_sample).percent
    return not_enough if percent is None else format_decimal(percent, format="0.0###", locale=_number_locale(locale))


def _number_locale(locale: str) -> str:
    return "ru" if locale == "ru" else "en"


_RESULTS = """
SELECT m.step_position AS step, m.variant AS variant,
  count(DISTINCT e.message_id) FILTER (WHERE e.kind = 'reply') AS replies,
  count(DISTINCT e.message_id) FILTER (WHERE e.kind = 'bounce_hard') AS hard_bounces,
  count(DISTINCT e.message_id) FILTER (
    WHERE e.kind = 'unsubscribe' AND coalesce(e.data ->> 'repeat', '') <> 'true') AS unsubscribes
FROM outbound_message m LEFT JOIN event e ON e.message_id = m.id
WHERE m.campaign_id = $1 AND m.kind = 'campaign' AND m.sent_at >= $2
GROUP BY m.step_position, m.variant ORDER BY m.step_position, m.variant NULLS FIRST
"""
# The join repeats a message per event: sends are counted apart. A person's repeated opt-out (a reply "отпишите"
# after the link: `engine.inbox.REPEAT_DATA`) is on record but counts once, at the message of the first, as /report.
_SENT = """
SELECT step_position AS step, variant, count(*) AS sent FROM outbound_message
WHERE campaign_id = $1 AND kind = 'campaign' AND sent_at >= $2 GROUP BY step_position, variant
"""
# Sends from $2 on: with retention on, the sends whose answers (events) are all still kept (`_erased_before`).
_SENT_BEFORE = """
SELECT EXISTS (SELECT 1 FROM outbound_message WHERE campaign_id = $1 AND kind = 'campaign' AND sent_at < $2) AS any
"""
_EVER: Final = dt.datetime(1, 1, 1, tzinfo=dt.UTC)


async def _erased_before(campaign: Campaign, space: Workspace, clock: Clock) -> dt.datetime | None:
    """The moment before which retention (`engine.compliance.retention`) erases the answers to the campaign's
    sends — their replies, bounces and opt-outs — when it sent anything before it; None when nothing it sent is
    past retention. Counting those sends beside none of their answers would read as 0 % replies."""
    if not space.retention_days:
        return None
    cutoff = clock.now() - dt.timedelta(days=space.retention_days)
    [row] = await connections.get("default").execute_query_dict(_SENT_BEFORE, [campaign.id, cutoff])
    return cutoff if row["any"] else None


async def campaign_results(actor: Actor, name: str, clock: Clock) -> Export:
    """Per step and variant: sent, replies, hard bounces, unsubscribes and their rates ("not enough data" below the
    minimum sample, never 0 %; hard bounces below the workspace's hard-bounce minimum, as /health judges them).
    The count is of hard bounces too, so it is the part of its rate; soft bounces (no rule judges them) and blocks
    (a mailbox's or domain's matter, in /report) are in neither.
    With retention on, only the sends whose answers are still kept count (`Export.since`: their first day on the
    workspace's clock), so a rate never sets old sends against none of their answers."""
    campaign = await _campaign(actor, name)
    space = await Workspace.get(id=campaign.workspace_id)
    least = await minimums_of(space.settings)
    erased_before = await _erased_before(campaign, space, clock)
    t = translator(actor.locale)
    conn = connections.get("default")
    since = erased_before or _EVER
    rows = await conn.execute_query_dict(_RESULTS, [campaign.id, since])
    sent = {
        (r["step"], r["variant"]): int(r["sent"]) for r in await conn.execute_query_dict(_SENT, [campaign.id, since])
    }
    not_enough = t("export-not-enough")
    header = [t(f"export-col-{c}") for c in ("step", "variant", "sent", "replies", "hard-bounces",
                                              "unsubscribes", "reply-rate", "hard-bounce-rate",
                                              "unsubscribe-rate")]  # fmt: skip
    writer = CsvWriter(header)
    lines = []
    for r in rows:
        n = sent.get((r["step"], r["variant"]), 0)
        replies, hard, unsubs = int(r["replies"]), int(r["hard_bounces"]), int(r["unsubscribes"])
        variant = "" if r["variant"] is None else variant_letter(int(r["variant"]))
        lines.append([
            r["step"], variant, n, replies, hard, unsubs,
            _percent(replies, n, not_enough, actor.locale),
            _percent(hard, n, not_enough, actor.locale, least.hard_bounce),
            _percent(unsubs, n, not_enough, actor.locale),
        ])  # fmt: skip
    writer.write(lines)
    first = erased_before.astimezone(zone_or_utc(space.timezone)).date() if erased_before else None
    return Export(
        f"{_slug(campaign.name)}-results.csv", writer.getvalue(), writer.rows, campaign.name, first,
        space.retention_days if first else None,
    )  # fmt: skip


_LEADS = """
WITH page AS (
  SELECT id, lead_id, state, stopped_reason, last_sent_at FROM enrollment
  WHERE campaign_id = $1 AND id > $2 ORDER BY id LIMIT $3
), sent AS (
  SELECT enrollment_id, count(*) AS n FROM outbound_message
  WHERE enrollment_id IN (SELECT id FROM page) AND kind = 'campaign' AND sent_at IS NOT NULL GROUP BY enrollment_id
), ev AS (
  SELECT lead_id, bool_or(kind = 'reply') AS replied,
    bool_or(kind = 'bounce_hard') AS bounced, bool_or(kind = 'unsubscribe') AS unsubscribed
  FROM event WHERE campaign_id = $1 AND lead_id IN (SELECT lead_id FROM page) GROUP BY lead_id
)
SELECT p.id, l.email, l.first_name, l.last_name, l.company, l.verdict, l.source, l.legal_basis, l.basis_note,
  p.state, p.stopped_reason, p.last_sent_at,
  coalesce(s.n, 0) AS steps_sent, coalesce(ev.replied, false) AS replied, coalesce(ev.bounced, false) AS bounced,
  coalesce(ev.unsubscribed, false) AS unsubscribed
FROM page p JOIN lead l ON l.id = p.lead_id LEFT JOIN sent s ON s.enrollment_id = p.id
LEFT JOIN ev ON ev.lead_id = p.lead_id ORDER BY p.id
"""


def _lead_row(r: dict[str, Any], yes: str, no: str, names: dict[str | None, str], timezone: str) -> list[Any]:
    name = f"{r['first_name']} {r['last_name']}".strip()
    flags = [yes if r[k] else no for k in ("replied", "bounced", "unsubscribed")]
    state = names.get(f"state:{r['state']}:{r['stopped_reason']}") or names.get(f"state:{r['state']}", r["state"])
    verdict = names.get(f"verdict:{r['verdict']}", r["verdict"])
    when = local_time(r["last_sent_at"], timezone) if r["last_sent_at"] else ""
    return [to_unicode_address(r["email"]), name, r["company"], state, int(r["steps_sent"]), when, *flags,
            verdict, r["source"], names.get(r["legal_basis"], ""), r["basis_note"]]  # fmt: skip


def basis_names(locale: str) -> dict[str | None, str]:
    """Each legal basis's localized name (`legal-basis-consent` …); a lead imported before bases were recorded
    (NULL) shows `legal-basis-none`."""
    t = translator(locale)
    names: dict[str | None, str] = {b.value: t("legal-basis-" + b.value.replace("_", "-")) for b in LegalBasis}
    return names | {None: t("legal-basis-none")}


def lead_outcome_names(locale: str) -> dict[str, str]:
    """The words a lead export shows for an enrollment's state (`state:<state>` → `export-state-…`) and an
    address's verdict (`verdict:<verdict>` → `export-verdict-…`) in the reader's language."""
    t = translator(locale)
    states = {f"state:{s.value}": t(f"export-state-{s.value}") for s in EnrollmentState}
    # a stop that says why: the lead's auto-reply said they have left the company
    states[f"state:{EnrollmentState.STOPPED.value}:{LEFT_COMPANY}"] = t("export-state-left-company")
    return states | {f"verdict:{v.value}": t(f"export-verdict-{v.value}") for v in LeadVerdict}


async def campaign_leads(
    actor: Actor, name: str, clock: Clock, *, max_bytes: int = EXPORT_MAX_BYTES, page: int = PAGE
) -> Export:
    """Every enrolled lead's outcome: email, name, company, state, steps sent, last sent at, replied / bounced (a
    hard bounce: the address is gone; a block refused *us*, the address is fine and the lead goes on, as its
    state says) / unsubscribed, verdict, and where the lead came from and why we may write to it (source, legal
    basis, note).
    Addresses as people read them (an IDN domain in Unicode), times on the workspace's clock with its zone.
    Read `page` leads at a time; each page is written in a thread. With retention on and sends past it, the
    replied / bounced / unsubscribed of those sends may be erased: `Export.since` says from which day they are kept.
    """
    campaign = await _campaign(actor, name)
    space = await Workspace.get(id=campaign.workspace_id)
    timezone = space.timezone
    erased_before = await _erased_before(campaign, space, clock)
    t = translator(actor.locale)
    yes, no = t("export-yes"), t("export-no")
    header = [t(f"export-col-{c}") for c in ("email", "name", "company", "state", "steps-sent", "last-sent",
                                              "replied", "bounced", "unsubscribed", "verdict", "source",
                                              "legal-basis", "basis-note")]  # fmt: skip
    names = basis_names(actor.locale) | dict(lead_outcome_names(actor.locale))
    writer = CsvWriter(header, max_bytes)
    conn = connections.get("default")
    after = 0
    while True:
        rows = await conn.execute_query_dict(_LEADS, [campaign.id, after, page])
        if not rows:
            break
        after = int(rows[-1]["id"])
        lines = [_lead_row(r, yes, no, names, timezone) for r in rows]
        await asyncio.to_thread(writer.write, lines)
        if len(rows) < page:
            break
    first = erased_before.astimezone(zone_or_utc(timezone)).date() if erased_before else None
    return Export(
        f"{_slug(campaign.name)}-leads.csv", writer.getvalue(), writer.rows, campaign.name, first,
        space.retention_days if first else None,
    )  # fmt: skip

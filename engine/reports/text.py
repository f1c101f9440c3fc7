"""A report as text in the reader's language: used by `/report…` in chat and by the digests. Every text comes
from `locales/*/reports.ftl`; the whole text stays under `TEXT_MAX_CHARS` (a Telegram message holds 4,096)."""

from __future__ import annotations

import datetime as dt
from typing import Final

from engine.alert_names import kind_label
from engine.clock import local_time
from engine.i18n import Translator, shorten
from engine.monitoring.metrics import Rate
from engine.reports.service import Report

TEXT_MAX_CHARS: Final = 3800
"""A report's text at most: Telegram's 4,096 less room for the title and the transport's markup."""
SUBJECT_MAX_CHARS: Final = 80  # a name or an address quoted in a line


def rate_text(t: Translator, r: Rate, *, judged: bool = False) -> str:
    """A rate with its sample, or "not measured" / "not enough data" — never 0 % for what was not measured.
    `judged`: a rate protection acts on (bounces, blocks, warmup placement), below the rules' minimum "too few
    sends to judge", as /health says."""
    if not r.measured:
        return t("report-not-measured")
    if r.value is None:
        return t("report-too-few" if judged else "report-not-enough", sample=r.sample, needed=r.min_sample)
    if r.part > r.sample:  # a day's bounces or replies to the sends of earlier days: no share of today's sends
        return t("report-rate-over", part=r.part, sample=r.sample)
    return t("report-rate", percent=r.percent, part=r.part, sample=r.sample)  # in the locale's digits


def period_text(t: Translator, rep: Report) -> str:
    p = rep.period
    if p.start == p.end:
        return t("report-period-day", day=p.start.isoformat())
    return t("report-period-range", start=p.start.isoformat(), end=p.end.isoformat(), days=p.days)


def title(t: Translator, rep: Report) -> str:
    return t(
        f"report-title-{rep.scope.value}", subject=shorten(rep.subject, SUBJECT_MAX_CHARS), period=period_text(t, rep)
    )


def body(t: Translator, rep: Report) -> list[str]:
    """The report's sections: the numbers, then (for a workspace) the problems."""
    s = rep.summary
    m = s.metrics
    c = s.counts
    if rep.before_start:  # not "0 sent, not enough data": there was nothing yet to count
        return bounded([t(f"report-before-start-{rep.scope.value}", since=_day(rep.since)), *_problems(t, rep)])
    numbers = t(
        "report-numbers",
        sent=c.sent,
        warmup=c.warmup_sent,
        delivered=s.delivered,
        opens=rate_text(t, m.open_rate),
        replies=rate_text(t, m.reply_rate),
        bounces=rate_text(t, m.hard_bounce_rate, judged=True),
        blocks=rate_text(t, m.block_rate, judged=True),
        unsubscribes=c.unsubscribes,
        complaints=c.complaints,
    )
    if m.placement.measured:  # a campaign has no warmup mail: no line rather than a placement never measured
        numbers += "\n" + t("report-placement", placement=rate_text(t, m.placement, judged=True))
    if rep.starts_later:  # "30 days" of a workspace two weeks old: the numbers are of its days only
        numbers += "\n" + t(f"report-since-{rep.scope.value}", since=_day(rep.since), days=rep.counted_days)
    return bounded([numbers, *_problems(t, rep)])


def _day(day: dt.date | None) -> str:
    return day.isoformat() if day else ""


def _problems(t: Translator, rep: Report) -> list[str]:
    """The workspace report's sections after its numbers: the worst subjects, open alerts, cooldowns."""
    sections: list[str] = []
    if rep.problems:
        lines = [
            t(
                f"report-problem-{p.kind}",
                name=shorten(p.name, SUBJECT_MAX_CHARS)
                + (" " + t("report-problem-retired") if p.retired else ""),  # swapped out: history, not to act on
                bounces=rate_text(t, p.hard_bounce_rate, judged=True),
                blocks=rate_text(t, p.block_rate, judged=True),
            )
            for p in rep.problems
        ]
        sections.append("\n".join([t("report-problems-title"), *lines]))
    if rep.alert_count:
        lines = [
            t("report-alert-line", kind=kind_label(t, k), subject=shorten(s_, SUBJECT_MAX_CHARS))
            for k, s_ in rep.alerts
        ]
        more = rep.alert_count - len(rep.alerts)
        if more > 0:
            lines.append(t("report-more", count=more))
        sections.append("\n".join([t("report-alerts-title", count=rep.alert_count), *lines]))
    if rep.cooldown_count:
        lines = [
            t(
                "report-cooldown-line",
                address=shorten(a, SUBJECT_MAX_CHARS),
                until=local_time(u, rep.timezone) if u else "—",
            )
            for a, u in rep.cooldowns
        ]
        more = rep.cooldown_count - len(rep.cooldowns)
        if more > 0:
            lines.append(t("report-more", count=more))
        sections.append("\n".join([t("report-cooldowns-title", count=rep.cooldown_count), *lines]))
    return sections


def bounded(sections: list[str], limit: int = TEXT_MAX_CHARS) -> list[str]:
    """The sections that fit in `limit` characters together; the last one cut if need be."""
    kept: list[str] = []
    used = 0
    for section in sections:
        room = limit - used
        if room <= 1:
            break
        kept.append(shorten(section, room))
        used += len(kept[-1]) + 2  # the blank line between sections
    return kept

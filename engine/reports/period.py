"""Report periods: `today`, `yesterday`, the last N days or weeks (`7d`, `30d`, `14д`, `2w`, `2н`, `7 дней`,
`2 недели`, `7 days`), `month` (and their Russian words `сегодня`, `вчера`, `месяц`), a month by its name
(`november`, `ноябрь`, `nov`: the latest one that has begun) or as `YYYY-MM`, a day `YYYY-MM-DD` (or `DD.MM.YYYY`,
as Russians write it) or `YYYY-MM-DD..YYYY-MM-DD` (`..`, `-` or a dash between the days), as whole calendar
days of the workspace's time zone (both ends inclusive), at most `MAX_DAYS` long. Pure: `today` is given."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Final

from engine.errors import UserError

MAX_DAYS: Final = 366
"""The longest period a report covers: a year of daily rows per subject, still a bounded read."""
PERIOD_MAX_CHARS: Final = 30  # "2026-01-01..2026-12-31" is 22
DEFAULT: Final = "7d"
_RANGE: Final = re.compile(r"(\d{4}-\d{2}-\d{2})\s*(?:\.\.|-|–|—)\s*(\d{4}-\d{2}-\d{2})")
_DOTTED: Final = re.compile(r"(?<!\d)(?<!\d\.)(\d{1,2})\.(\d{1,2})\.(\d{4})(?!\d)(?!\.\d)")
"""A day as Russians write it (`05.11.2026`), read as `2026-11-05`: from `05.11.2026..30.11.2026` or
`01.11.2026–30.11.2026` too."""
_LAST: Final = re.compile(  # the last N days or weeks (any N: too many is "too long"), as typed: 7d, 7 дней, 2 weeks
    r"(\d+)\s*(?:(d|д|дн\.?|день|дня|дней|days?)|(w|н|нед\.?|неделя|недели|недель|weeks?))"
)
_WORDS: Final = {"сегодня": "today", "вчера": "yesterday", "месяц": "month"}
_DAY: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
_YEAR_MONTH: Final = re.compile(r"(\d{4})-(\d{2})")
_MONTH_NAMES: Final = (
    ("january", "jan", "январь", "янв"),
    ("february", "feb", "февраль", "фев"),
    ("march", "mar", "март", "мар"),
    ("april", "apr", "апрель", "апр"),
    ("may", "май"),
    ("june", "jun", "июнь", "июн"),
    ("july", "jul", "июль", "июл"),
    ("august", "aug", "август", "авг"),
    ("september", "sep", "sept", "сентябрь", "сен", "сент"),
    ("october", "oct", "октябрь", "окт"),
    ("november", "nov", "ноябрь", "ноя", "нояб"),
    ("december", "dec", "декабрь", "дек"),
)
MONTHS: Final = {name: number for number, names in enumerate(_MONTH_NAMES, 1) for name in names}
"""A month's names as people type them (English and Russian, whole or short) → its number."""


@dataclass(frozen=True, slots=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive
    label: str  # what the user asked for (normalised)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def parse_period(text: str | None, today: dt.date) -> Period:
    """The period `text` names, ending no later than `today`'s calendar; `UserError("error-report-period")` else."""
    raw = (text or DEFAULT).strip().lower()
    if len(raw) > PERIOD_MAX_CHARS:
        raise UserError("error-report-period", value=raw[:PERIOD_MAX_CHARS] + "…")
    named = _named(raw, today)
    if named is None and _DOTTED.search(raw):
        named = _named(_DOTTED.sub(_iso, raw), today)
    if named is not None:
        return named
    iso = _DOTTED.sub(_iso, raw)
    try:
        if _DAY.fullmatch(iso):
            start = end = dt.date.fromisoformat(iso)
        elif found := _RANGE.fullmatch(iso):
            start, end = (dt.date.fromisoformat(found.group(i)) for i in (1, 2))
        else:
            raise UserError("error-report-period", value=raw)
    except ValueError:
        raise UserError("error-report-period", value=raw) from None
    if end < start:
        raise UserError("error-report-period-order", value=raw)
    if (end - start).days + 1 > MAX_DAYS:
        raise UserError("error-report-period-long", value=raw, days=MAX_DAYS)
    if start > today:
        raise UserError("error-report-period-future", value=raw, today=today.isoformat())
    end = min(end, today)  # the days to come have no numbers: a period counts only the days that were
    return Period(start, end, f"{start.isoformat()}..{end.isoformat()}")


def _iso(found: re.Match[str]) -> str:
    day, month, year = found.groups()
    return f"{year}-{int(month):02}-{int(day):02}"


def _named(raw: str, today: dt.date) -> Period | None:
    """A period by a word (`today`, `7d`, `month`, a month's name) or a month's number (`2026-11`); None else."""
    raw = _WORDS.get(raw, raw)
    if raw == "today":
        return Period(today, today, raw)
    if raw == "yesterday":
        day = today - dt.timedelta(days=1)
        return Period(day, day, raw)
    if found := _LAST.fullmatch(raw):
        days = int(found.group(1)) * (7 if found.group(3) else 1)
        if days < 1:
            raise UserError("error-report-period", value=raw)
        if days > MAX_DAYS:
            raise UserError("error-report-period-long", value=raw, days=MAX_DAYS)
        return Period(today - dt.timedelta(days=days - 1), today, f"{days}d")
    if raw == "month":
        return Period(today.replace(day=1), today, raw)
    return _named_month(raw, today)


def _named_month(raw: str, today: dt.date) -> Period | None:
    """A month by its name or as `2026-11`; None for anything else."""
    if raw in MONTHS:  # the latest such month that has begun: "december" in November is last year's
        number = MONTHS[raw]
        return _month(today.year if number <= today.month else today.year - 1, number, today, raw)
    if found := _YEAR_MONTH.fullmatch(raw):
        year, number = int(found.group(1)), int(found.group(2))
        if not 1 <= number <= 12 or year < 1:
            raise UserError("error-report-period", value=raw)
        return _month(year, number, today, raw)
    return None


def _month(year: int, number: int, today: dt.date, label: str) -> Period:
    """The whole month, up to today at the latest; `error-report-period-future` for one that has not begun."""
    start = dt.date(year, number, 1)
    if start > today:
        raise UserError("error-report-period-future", value=label, today=today.isoformat())
    following = dt.date(year + number // 12, number % 12 + 1, 1)
    return Period(start, min(following - dt.timedelta(days=1), today), label)


def previous_week(today: dt.date) -> Period:
    """Monday…Sunday of the week before `today`'s."""
    monday = today - dt.timedelta(days=today.weekday() + 7)
    return Period(monday, monday + dt.timedelta(days=6), "week")

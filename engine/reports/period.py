"""Report periods: `today`, `yesterday`, `7d`, `30d`, `month` or `YYYY-MM-DD..YYYY-MM-DD`, as whole calendar days
of the workspace's time zone (both ends inclusive), at most `MAX_DAYS` long. Pure: `today` is given."""

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
NAMED: Final = ("today", "yesterday", "7d", "30d", "month")
_RANGE: Final = re.compile(r"(\d{4}-\d{2}-\d{2})\s*\.\.\s*(\d{4}-\d{2}-\d{2})")


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
    if raw == "today":
        return Period(today, today, raw)
    if raw == "yesterday":
        day = today - dt.timedelta(days=1)
        return Period(day, day, raw)
    if raw in {"7d", "30d"}:
        return Period(today - dt.timedelta(days=int(raw[:-1]) - 1), today, raw)
    if raw == "month":
        return Period(today.replace(day=1), today, raw)
    found = _RANGE.fullmatch(raw)
    if found is None:
        raise UserError("error-report-period", value=raw)
    try:
        start, end = (dt.date.fromisoformat(found.group(i)) for i in (1, 2))
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


def previous_week(today: dt.date) -> Period:
    """Monday…Sunday of the week before `today`'s."""
    monday = today - dt.timedelta(days=today.weekday() + 7)
    return Period(monday, monday + dt.timedelta(days=6), "week")

"""When the author of an automatic answer ("out of office until 15 March") is back: pure, over plain values.

An auto-reply delays a lead's next step instead of stopping the sequence (`engine.inbox`). When the notice names
the day the person returns, the next step waits until then; otherwise by a default delay. Only dates after the
day the notice arrived and at most `MAX_AHEAD` later are believed: a date in a signature or a quoted message must
not park a lead for a year. A slashed date is read both ways ("2/1" is 1 February in the US, 2 January in Europe) and
the nearer plausible day is believed: read wrong, an early date costs one more notice, a late one months of silence.
"""

from __future__ import annotations

import datetime as dt
import re
from email.message import Message
from typing import Final

from engine.mail.classify import header, readable_text

MAX_AHEAD: Final = dt.timedelta(days=120)  # a longer absence is a wrong read more often than a real one
MAX_TEXT: Final = 20_000  # characters read: notices are short, the date is near the top

_MONTHS: Final[dict[str, int]] = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10,
    "nov": 11, "dec": 12,
    "янв": 1, "фев": 2, "мар": 3, "апр": 4, "мая": 5, "май": 5, "июн": 6, "июл": 7, "авг": 8, "сен": 9,
    "окт": 10, "ноя": 11, "дек": 12,
}  # fmt: skip
_MONTH = rf"({'|'.join(_MONTHS)})[a-zа-яё]*\.?"
_NUMERIC = re.compile(r"\b(\d{1,2})(?:([./])(\d{1,2})(?:\2(\d{2}|\d{4}))?|(-)(\d{1,2})-(\d{4}))\b")
"""15.01, 15/01/2027, 05-01-2027: with hyphens only with a four-digit year (8-800-555-35-35 is a phone number)."""
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_ORDINAL = r"(?:st|nd|rd|th|-?(?:го|ого|его|е|ое|ее))?"  # 5th; "до 15-го января", "по 5-е января"
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}}){_ORDINAL}\s+(?:of\s+)?{_MONTH}(?:\s*,?\s*(\d{{4}}))?", re.IGNORECASE)
_MONTH_DAY = re.compile(rf"\b{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:\s*,?\s*(\d{{4}}))?", re.IGNORECASE)


def return_date(text: str, *, received_on: dt.date) -> dt.date | None:
    """The day the author says they are back: the latest plausible date in `text` after `received_on` (and at
    most `MAX_AHEAD` later), or None. Numeric dates (15.03, 15/03/2031, the US 3/15), ISO dates and month names in
    English and Russian ("March 15", "15 марта", "15-го марта") are understood; a date without a year is the next such
    day."""
    text = text[:MAX_TEXT]
    found: list[dt.date] = []
    for m in _ISO.finditer(text):
        found += _valid(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    for m in _NUMERIC.finditer(text):
        hyphen = m.group(5) is not None
        first, second = int(m.group(1)), int(m.group(6) if hyphen else m.group(3))
        year = m.group(7) if hyphen else m.group(4)
        readings = _dated(first, second, year, received_on)  # day first: 05.01, 15/03, 05-01-2027
        if m.group(2) == "/":  # slashed: also month first, as in the US (2/1, 12/28/2026)
            readings += _dated(second, first, year, received_on)
        found += sorted(d for d in readings if _plausible(d, received_on))[:1]
    for m in _DAY_MONTH.finditer(text):
        found += _dated(int(m.group(1)), _MONTHS[m.group(2).lower()[:3]], m.group(3), received_on)
    for m in _MONTH_DAY.finditer(text):
        found += _dated(int(m.group(2)), _MONTHS[m.group(1).lower()[:3]], m.group(3), received_on)
    plausible = [d for d in found if _plausible(d, received_on)]
    return max(plausible) if plausible else None


def _plausible(day: dt.date, received_on: dt.date) -> bool:
    return received_on < day <= received_on + MAX_AHEAD


def _dated(day: int, month: int, year: str | None, received_on: dt.date) -> list[dt.date]:
    if year is None:
        for candidate in (received_on.year, received_on.year + 1):
            dates = _valid(candidate, month, day)
            if dates and dates[0] > received_on:
                return dates
        return []
    full = int(year) + (2000 if len(year) == 2 else 0)
    return _valid(full, month, day)


def _valid(year: int, month: int, day: int) -> list[dt.date]:
    try:
        return [dt.date(year, month, day)]
    except ValueError:
        return []


def notice_text(msg: Message) -> str:
    """The readable text of a notice, the first `MAX_TEXT` characters: its subject (encoded words decoded) and
    what its author wrote (`readable_text`: text/plain parts, else the HTML's text, each in its declared charset,
    else UTF-8, else Windows-1251). Outlook and Exchange send a notice written in their editor as HTML only: read
    from text/plain parts alone, "в отпуске до 15 января" was never seen and the default delay applied."""
    return (header(msg, "Subject") + "\n" + readable_text(msg))[:MAX_TEXT]

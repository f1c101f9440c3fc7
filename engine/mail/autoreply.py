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
from collections.abc import Collection
from dataclasses import dataclass
from email.message import Message
from email.utils import parsedate_to_datetime
from typing import Final

from engine.mail.classify import header, readable_text

MAX_AHEAD: Final = dt.timedelta(days=120)  # a longer absence is a wrong read more often than a real one
MAX_TEXT: Final = 20_000  # characters read: notices are short, the date is near the top
DATE_SKEW: Final = dt.timedelta(days=30)  # a Date header older than this when read is a wrong clock, not a late read

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


_WEEKDAYS: Final[dict[str, int]] = {
    "mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
    "понедельник": 0, "вторник": 1, "сред": 2, "четверг": 3, "пятниц": 4, "суббот": 5, "воскресен": 6,
}  # fmt: skip
_EN_DAY = r"(mon|tue|wed|thu|fri|sat|sun)(?:day|s|sday|nesday|rsday|urday)?\b"
_RU_DAY = r"(понедельник|вторник|сред|четверг|пятниц|суббот|воскресен)[а-яё]*"
_WEEKDAY_EN: Final = re.compile(
    rf"\b(?:back|return(?:s|ing)?|in\s+the\s+office|available|reachable|until|till|through)\s+(?:on\s+|by\s+|this\s+"
    rf"|next\s+|coming\s+)?{_EN_DAY}",
    re.IGNORECASE,
)
""""back on Monday", "returning Tuesday", "out until Friday": a day name after a word of return (a bare day name is
office hours or a signature: "Monday–Friday 9–18")."""
_WEEKDAY_RU: Final = re.compile(
    rf"(?:(?:вернусь|вернётся|вернется|возвращаюсь|выйду|выхожу|буду|на\s+связи|в\s+офисе)\s+(?:в|во|с|со|к|ко)?\s*"
    rf"(?:(?:этот|эту|это|ближайш[а-яё]+|следующ[а-яё]+)\s+)?|\b(?:до|после)\s+(?:(?:ближайш|следующ)[а-яё]+\s+)?)"
    rf"{_RU_DAY}",
    re.IGNORECASE,
)
""""вернусь в понедельник", "буду в офисе во вторник", "до среды", "после понедельника" (a bare "с пятницы" starts an
absence as often as it ends one)."""
_NEXT_WEEK: Final = re.compile(r"\bnext\s+week\b|\b(?:на|со?)\s+(?:следующей|будущей)\s+недел[иеюя]", re.IGNORECASE)
_TOMORROW: Final = re.compile(r"\btomorrow\b|(?<![а-яё])(послезавтра|завтра)(?![а-яё])", re.IGNORECASE)
_IN_WEEKS: Final = re.compile(
    r"\bin\s+(a|one|two|three|2|3)\s+weeks?\b|(?<![а-яё])через\s+(одну|две|три|2|3)?\s*недел[июь]",
    re.IGNORECASE,
)
_COUNTS: Final[dict[str, int]] = {"a": 1, "one": 1, "одну": 1, "two": 2, "две": 2, "2": 2, "three": 3, "три": 3, "3": 3}
_AFTER_HOLIDAYS_RU: Final = re.compile(
    r"(?<![а-яё])после\s+(?:(?:новогодних|новогодн[а-яё]+)\s+)?(?:праздник|каникул|нового\s+года)", re.IGNORECASE
)
_AFTER_HOLIDAYS_EN: Final = re.compile(r"\bafter\s+(?:the\s+)?(?:holidays|new\s+year)", re.IGNORECASE)
_HOLIDAY_SEASON: Final = 21  # days either side of 1 January that "after the holidays" means the New Year ones


def return_date(text: str, *, received_on: dt.date) -> dt.date | None:
    """The day the author says they are back: the latest plausible date in `text` after `received_on` (and at
    most `MAX_AHEAD` later), or None. Numeric dates (15.03, 15/03/2031, the US 3/15), ISO dates and month names in
    English and Russian ("March 15", "15 марта", "15-го марта") are understood; a date without a year is the next such
    day. When the notice names no date, the common relative ones are read from `received_on` (the notice's own day,
    `notice_date`): a day of the week after a word of return ("back on Monday", "вернусь в понедельник": the next
    such day), "tomorrow", "next week" (its Monday), "in two weeks", and "after the holidays" around the New Year
    (the first weekday from 9 January in Russian, from 2 January in English)."""
    text = text[:MAX_TEXT]
    found = _absolute(text, received_on)
    if not found:
        found = _relative(text, received_on)
    plausible = [d for d in found if _plausible(d, received_on)]
    return max(plausible) if plausible else None


def _relative(text: str, received_on: dt.date) -> list[dt.date]:
    found: list[dt.date] = []
    for m in (*_WEEKDAY_EN.finditer(text), *_WEEKDAY_RU.finditer(text)):
        weekday = _WEEKDAYS[m.group(1).lower()]
        found.append(received_on + dt.timedelta(days=(weekday - received_on.weekday() - 1) % 7 + 1))
    for m in _TOMORROW.finditer(text):
        found.append(received_on + dt.timedelta(days=2 if m.group(1) and m.group(1).lower() == "послезавтра" else 1))
    if _NEXT_WEEK.search(text):
        found.append(received_on + dt.timedelta(days=7 - received_on.weekday()))
    for m in _IN_WEEKS.finditer(text):
        count = (m.group(1) or m.group(2) or "одну").lower()
        found.append(received_on + dt.timedelta(weeks=_COUNTS[count]))
    for pattern, first_day in ((_AFTER_HOLIDAYS_RU, 9), (_AFTER_HOLIDAYS_EN, 2)):
        if pattern.search(text):
            found += _after_new_year(received_on, first_day)
    return found


def _after_new_year(received_on: dt.date, first_day: int) -> list[dt.date]:
    """The first weekday from `first_day` January of the New Year holidays the notice is sent in or before, when it
    is sent around them (another season's "holidays" are not known: the default delay applies)."""
    year = received_on.year + 1 if received_on.month == 12 else received_on.year
    day = dt.date(year, 1, first_day)
    if abs((received_on - dt.date(year, 1, 1)).days) > _HOLIDAY_SEASON:
        return []
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return [day]


def notice_date(msg: Message, *, seen_at: dt.datetime) -> dt.date:
    """The day a notice was written, which its relative dates ("back on Monday") count from: the day of its Date
    header in the writer's own zone, when that is believable (at most `DATE_SKEW` before it was seen and not after
    the next day), else the day it was seen."""
    try:
        written = parsedate_to_datetime(header(msg, "Date"))
    except (TypeError, ValueError, IndexError):
        return seen_at.date()
    if written.tzinfo is None:
        written = written.replace(tzinfo=dt.UTC)
    if not seen_at - DATE_SKEW <= written <= seen_at + dt.timedelta(days=1):
        return seen_at.date()
    return written.date()


def _absolute(text: str, received_on: dt.date) -> list[dt.date]:
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
    return [d for d in found if _plausible(d, received_on)]


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


@dataclass(frozen=True, slots=True)
class Departure:
    """A notice saying its addressee has left (the company, the post): the sequence to them stops for good.
    `replacement` is the address the notice names to write to instead, when it names one (shown to the manager,
    never written to unasked)."""

    replacement: str | None = None


_DEPARTED: Final = re.compile(
    r"\bno\s+longer\s+(?:with(?!\s+(?:you|us)\b)|at(?!\s+(?:the|my|our)\s+(?:office|desk|work)\b)|works?|working"
    r"|employed|part\s+of|in\s+the\s+company|a\s+member)\b"
    r"|\b(?:has|have|had)\s+left\s+(?:the|our|this)\s+(?:company|organi[sz]ation|firm|business|team)\b"
    r"|\bleft\s+the\s+company\b|\bis\s+not\s+with\s+(?:the|our)\s+company\s+any\s?more\b"
    r"|(?<![а-яё])(?:больше|уже)\s+не\s+(?:работает|работаю|работаем|сотрудник|является\s+сотрудник)"
    r"|(?<![а-яё])не\s+работает\s+в\s+(?:компании|организации)"
    r"|(?<![а-яё])(?:уволил(?:ся|ась|ись)|покинул(?:а|и)?\s+(?:компанию|организацию))"
    r"|(?<![а-яё])(?:ящик|адрес)\s+(?:более\s+|больше\s+)?не\s+(?:обслуживается|используется)",
    re.IGNORECASE,
)
""""… is no longer with the company", "has left the organisation", "больше не работает в компании", "уволилась",
"этот ящик больше не обслуживается": the person is gone, not away."""
_ADDRESS: Final = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)


def departure(text: str, *, not_replacements: Collection[str] = ()) -> Departure | None:
    """Whether a notice says its addressee has left (`_DEPARTED`), and the address it names instead: the first one in
    `text` that is neither of `not_replacements` (the notice's sender, the departed lead, our mailbox). None when
    it says nothing of leaving."""
    text = text[:MAX_TEXT]
    if not _DEPARTED.search(text):
        return None
    skip = {a.lower() for a in not_replacements}
    for m in _ADDRESS.finditer(text):
        found = m.group(0).rstrip(".").lower()
        if found not in skip and found.split("@", 1)[0] not in {"mailer-daemon", "postmaster", "noreply", "no-reply"}:
            return Departure(found)
    return Departure()

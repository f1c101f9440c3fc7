"""Campaign settings typed in chat (`key=value`), parsed into column values within safe bounds. Pure.

Keys: `timezone` (an IANA name), `window` (`09:00-18:00`), `weekdays` (`пн-пт`, `mon-fri`, `1-5`, `пн,ср,пт`),
`daily_cap`, `per_mailbox_cap`, `lead_timezone`, `html`, `track_opens`, `track_clicks`, `track` (both),
`stop_on_reply` (on/off, да/нет, yes/no, 1/0).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any, Final

from engine.clock import typed_zone
from engine.errors import UserError
from engine.lifecycle import LocalizedName

DAILY_CAP_MAX: Final = 5000
"""A campaign's emails a day: above it a campaign should be split (and the planner's other caps bind anyway)."""
PER_MAILBOX_CAP_MAX: Final = 50
"""Campaign emails one mailbox sends a day: cold-email practice keeps a mailbox at 30–50."""
VALUE_MAX_CHARS: Final = 64

KEYS: Final = (
    "timezone",
    "window",
    "weekdays",
    "daily_cap",
    "per_mailbox_cap",
    "lead_timezone",
    "html",
    "track_opens",
    "track_clicks",
    "track",
    "stop_on_reply",
)
ALIASES: Final = {"tz": "timezone", "days": "weekdays", "cap": "daily_cap", "mailbox_cap": "per_mailbox_cap"}
_ON: Final = frozenset({"on", "yes", "true", "1", "да", "вкл", "+"})
_OFF: Final = frozenset({"off", "no", "false", "0", "нет", "выкл", "-"})
_DAYS: Final = {
    **{name: n for n, name in enumerate(("пн", "вт", "ср", "чт", "пт", "сб", "вс"))},
    **{name: n for n, name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
    **{name: n for n, name in enumerate(("mo", "tu", "we", "th", "fr", "sa", "su"))},
    **{str(n + 1): n for n in range(7)},
    **{name: n for n, name in enumerate(("понедельник", "вторник", "среда", "четверг", "пятница", "суббота"))},
    "воскресенье": 6,
    **{name: n for n, name in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday"))},
    "sunday": 6,
}
_DAY_SETS: Final = {  # whole sets of days by their names
    **dict.fromkeys(("будни", "рабочие", "weekdays", "workdays"), "пн-пт"),
    **dict.fromkeys(("выходные", "weekends", "weekend"), "сб-вс"),
    **dict.fromkeys(("ежедневно", "каждый день", "все", "daily", "every day", "all"), "пн-вс"),
}
_TIME = re.compile(r"([01]?\d|2[0-3])[:.]([0-5]\d)")


def parse_settings(pairs: Mapping[str, str]) -> dict[str, Any]:
    """Column values of `Campaign` for the `key=value` pairs given, each validated.

    Raises `UserError`: `error-campaign-setting-unknown` (name, known), `error-campaign-setting-value` (name,
    value, allowed) — nothing is applied then.
    """
    values: dict[str, Any] = {}
    for raw_key, raw_value in pairs.items():
        key = ALIASES.get(raw_key.strip().lower(), raw_key.strip().lower())
        value = raw_value.strip()
        if key not in KEYS:
            raise UserError("error-campaign-setting-unknown", name=raw_key[:40], known=", ".join(KEYS))
        if len(value) > VALUE_MAX_CHARS:
            raise UserError("error-campaign-setting-value", name=key, value=value[:40], allowed=_ALLOWED[key])
        values.update(_parse_one(key, value))
    return values


_ALLOWED: Final = {
    "timezone": "Europe/Moscow, Asia/Yekaterinburg, МСК+4, UTC+3…",
    "window": LocalizedName("campaign-window-allowed", "HH:MM-HH:MM, 09:00-18:00"),
    "weekdays": "пн-пт, mon-fri, 1-5, пн,ср,пт, будни",
    "daily_cap": f"1–{DAILY_CAP_MAX}",
    "per_mailbox_cap": f"1–{PER_MAILBOX_CAP_MAX}",
    **dict.fromkeys(("lead_timezone", "html", "track_opens", "track_clicks", "track", "stop_on_reply"), "on | off"),
}


def _bad(key: str, value: str) -> UserError:
    return UserError("error-campaign-setting-value", name=key, value=value[:40], allowed=_ALLOWED[key])


def _parse_one(key: str, value: str) -> dict[str, Any]:  # noqa: PLR0911 - one return per kind of setting
    match key:
        case "timezone":
            return {"timezone": parse_timezone(value)}
        case "window":
            start, end = parse_window(value)
            return {"window_start": start, "window_end": end}
        case "weekdays":
            return {"weekdays": parse_weekdays(value)}
        case "daily_cap":
            return {"daily_cap": _bounded(key, value, DAILY_CAP_MAX)}
        case "per_mailbox_cap":
            return {"per_mailbox_cap": _bounded(key, value, PER_MAILBOX_CAP_MAX)}
        case "track":
            flag = _flag(key, value)
            return {"track_opens": flag, "track_clicks": flag}
        case _:
            return {key: _flag(key, value)}


def parse_timezone(value: str) -> str:
    """A time zone as people type it (`Europe/Moscow`, `europe/moscow`, `MSK`, `МСК+4`, `UTC+3`: `clock.typed_zone`)
    as its IANA name, or `error-campaign-setting-value`."""
    if len(value) > VALUE_MAX_CHARS or (name := typed_zone(value)) is None:
        raise _bad("timezone", value)
    return name


def parse_window(value: str) -> tuple[dt.time, dt.time]:
    """`09:00-18:00` → two times (UTC as the neutral marker the model uses); the start before the end."""
    start_text, sep, end_text = value.replace("–", "-").replace("—", "-").partition("-")
    start, end = _TIME.fullmatch(start_text.strip()), _TIME.fullmatch(end_text.strip())
    if not sep or start is None or end is None:
        raise _bad("window", value)
    begin = dt.time(int(start[1]), int(start[2]), tzinfo=dt.UTC)
    finish = dt.time(int(end[1]), int(end[2]), tzinfo=dt.UTC)
    if begin >= finish:
        raise _bad("window", value)
    return begin, finish


def parse_weekdays(value: str) -> int:
    """`пн-пт` / `mon-fri` / `1-5` / `пн,ср,пт` / `понедельник-пятница` / `будни` → the bitmask (bit 0 = Monday …
    bit 6 = Sunday), never empty."""
    mask = 0
    typed = " ".join(value.lower().split())
    for part in re.split(r"[,\s]+", _DAY_SETS.get(typed, typed)):
        if not part:
            continue
        first, sep, last = part.replace("–", "-").partition("-")
        if first not in _DAYS or (sep and last not in _DAYS):
            raise _bad("weekdays", value)
        lo, hi = _DAYS[first], _DAYS[last] if sep else _DAYS[first]
        if hi < lo:
            raise _bad("weekdays", value)
        for day in range(lo, hi + 1):
            mask |= 1 << day
    if not mask:
        raise _bad("weekdays", value)
    return mask


def weekdays_text(mask: int, names: tuple[str, ...]) -> str:
    """The bitmask as day names joined by commas (`names`: Monday … Sunday in the reader's language)."""
    return ",".join(names[d] for d in range(7) if mask & (1 << d))


def _bounded(key: str, value: str, high: int) -> int:
    if not re.fullmatch(r"[0-9]{1,6}", value):
        raise _bad(key, value)
    number = int(value)
    if not 1 <= number <= high:
        raise _bad(key, value)
    return number


def _flag(key: str, value: str) -> bool:
    lowered = value.lower()
    if lowered in _ON:
        return True
    if lowered in _OFF:
        return False
    raise _bad(key, value)


def split_pairs(words: list[str]) -> dict[str, str]:
    """`["window=09:00-18:00", "html=on"]` → a dict; a word without `=` raises `error-campaign-setting-pair`."""
    pairs: dict[str, str] = {}
    for word in words:
        key, sep, value = word.partition("=")
        if not sep or not key.strip():
            raise UserError("error-campaign-setting-pair", word=word[:40])
        pairs[key.strip()] = value
    return pairs

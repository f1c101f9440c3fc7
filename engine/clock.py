"""Time for the engine comes from a Clock, never from `datetime.now()`: tests and the demo run weeks in seconds."""

from __future__ import annotations

import datetime as dt
import functools
import re
import zoneinfo
from typing import Final, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current moment, timezone-aware (UTC)."""
        ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class FrozenClock:
    """A clock that moves only when told to (tests, simulations)."""

    def __init__(self, start: dt.datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self._now = start

    def now(self) -> dt.datetime:
        return self._now

    def advance(self, delta: dt.timedelta) -> None:
        self._now += delta

    def set(self, moment: dt.datetime) -> None:
        self._now = moment


UTC_ZONE: Final = ZoneInfo("UTC")


def zone_named(name: str | None) -> ZoneInfo | None:
    """The IANA zone called `name`, or None when it is empty or unknown (then the caller's default applies)."""
    if not name or len(name) > 64:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


_MSK_ZONES: Final = {  # Russia's zones as people name them, "МСК+4", by their offset from Moscow (no DST since 2014)
    -1: "Europe/Kaliningrad",
    0: "Europe/Moscow",
    1: "Europe/Samara",
    2: "Asia/Yekaterinburg",
    3: "Asia/Omsk",
    4: "Asia/Krasnoyarsk",
    5: "Asia/Irkutsk",
    6: "Asia/Yakutsk",
    7: "Asia/Vladivostok",
    8: "Asia/Magadan",
    9: "Asia/Kamchatka",
}
_MSK = re.compile(r"(?:msk|мск)\s*(?:([+-])\s*(\d{1,2}))?")
_OFFSET = re.compile(r"(?:utc|gmt)?\s*([+-])\s*(\d{1,2})(?::?00)?|utc|gmt|z")


def typed_zone(text: str) -> str | None:
    """The IANA name of a time zone as people type it, None when it is none: an IANA name in any case
    (`europe/moscow`), Moscow time and its neighbours (`MSK`, `МСК+4`: Krasnoyarsk), or a whole-hour offset from UTC
    (`UTC+3`, `+03:00`, `GMT-5`: `Etc/GMT-3`, IANA's sign being the other way round)."""
    typed = " ".join(text.split()).lower()
    if not typed or len(typed) > 64:
        return None
    if found := _iana_names().get(typed):
        return found
    if moscow := _MSK.fullmatch(typed):
        shift = int(moscow[2] or 0) * (-1 if moscow[1] == "-" else 1)
        return _MSK_ZONES.get(shift)
    if offset := _OFFSET.fullmatch(typed):
        hours = int(offset[2] or 0) * (-1 if offset[1] == "-" else 1)
        if not -12 <= hours <= 14:
            return None
        return "UTC" if hours == 0 else f"Etc/GMT{-hours:+d}"
    return None


_ETC_OFFSET = re.compile(r"Etc/GMT([+-])(\d{1,2})")


def shown_zone(name: str) -> str:
    """A stored zone name as chat shows it: a whole-hour offset (`typed_zone` stores `UTC+3` as IANA's `Etc/GMT-3`,
    whose sign is the other way round) reads `UTC+3` again; any other name as it is."""
    if offset := _ETC_OFFSET.fullmatch(name):
        hours = int(offset[2])
        return "UTC" if hours == 0 else f"UTC{'-' if offset[1] == '+' else '+'}{hours}"
    return name


@functools.cache
def _iana_names() -> dict[str, str]:
    """Every IANA zone name this system knows, by its lower-case spelling."""
    return {name.lower(): name for name in zoneinfo.available_timezones()}


def zone_or_utc(name: str | None) -> ZoneInfo:
    """The IANA zone called `name`, UTC when it is empty or unknown (stored zones are validated when set)."""
    return zone_named(name) or UTC_ZONE


def local_time(moment: dt.datetime, zone: str | dt.tzinfo | None) -> str:
    """A moment as chat shows it: on the workspace's clock, its zone named (`2026-11-03 06:30 MSK`, `… +10`,
    `… UTC`). `zone`: the workspace's zone or its IANA name (UTC when empty or unknown)."""
    shown = zone if isinstance(zone, dt.tzinfo) else zone_or_utc(zone)
    return moment.astimezone(shown).strftime("%Y-%m-%d %H:%M %Z")

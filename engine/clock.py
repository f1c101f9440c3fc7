"""Time for the engine comes from a Clock, never from `datetime.now()`: tests and the demo run weeks in seconds."""

from __future__ import annotations

import datetime as dt
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


def zone_or_utc(name: str | None) -> ZoneInfo:
    """The IANA zone called `name`, UTC when it is empty or unknown (stored zones are validated when set)."""
    return zone_named(name) or UTC_ZONE


def local_time(moment: dt.datetime, zone: str | dt.tzinfo | None) -> str:
    """A moment as chat shows it: on the workspace's clock, its zone named (`2026-11-03 06:30 MSK`, `… +10`,
    `… UTC`). `zone`: the workspace's zone or its IANA name (UTC when empty or unknown)."""
    shown = zone if isinstance(zone, dt.tzinfo) else zone_or_utc(zone)
    return moment.astimezone(shown).strftime("%Y-%m-%d %H:%M %Z")

"""When a campaign may send: its window, its weekdays, its time zones, and the delays between steps.

Pure policy over plain values. A campaign sends only inside its window (`window_start`–`window_end`, wall-clock
time in the campaign's zone, or in the lead's zone when the campaign asks for it and the lead has a valid one) on
the weekdays of its bitmask (bit 0 = Monday … bit 6 = Sunday). "Nothing outside the window" is kept on the days
the clocks change as well: a window edge that does not exist that day (spring forward) or exists twice (fall
back) is read so that the window only shrinks — it starts at the later of the two readings and ends at the
earlier one. A window whose end is not after its start runs overnight (22:00–06:00 ends the next morning; the
weekday is the one it starts on).

Step delays are whole days after the previous send, at the same wall-clock time in the campaign's zone: calendar
days, or business days (Monday–Friday; a send on a weekend counts from the next Monday).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final
from zoneinfo import ZoneInfo

EVERY_DAY: Final = 0b1111111
WORKDAYS: Final = 0b0011111

Interval = tuple[dt.datetime, dt.datetime]
"""[start, end) in UTC."""


@dataclass(frozen=True, slots=True)
class Window:
    """A daily send window: wall-clock `start` and `end` (no time zone; see `wall`) and the weekdays bitmask."""

    start: dt.time
    end: dt.time
    weekdays: int = WORKDAYS

    def allows(self, day: dt.date) -> bool:
        """Whether the window opens on `day` (a date in the window's zone)."""
        return bool((self.weekdays >> day.weekday()) & 1)


def wall(value: dt.time) -> dt.time:
    """A stored window time as a wall-clock time: the model keeps hour and minute under a neutral UTC marker."""
    return value.replace(tzinfo=None)


def _moment(day: dt.date, time: dt.time, zone: ZoneInfo, *, later: bool) -> dt.datetime:
    """The instant `time` on `day` in `zone` (UTC). When that wall-clock time is ambiguous or does not exist (the
    clocks change), the later (`later=True`) or the earlier of its two readings."""
    first = dt.datetime.combine(day, time, tzinfo=zone).astimezone(dt.UTC)
    second = dt.datetime.combine(day, time, tzinfo=zone).replace(fold=1).astimezone(dt.UTC)
    return max(first, second) if later else min(first, second)


def open_intervals(window: Window, zone: ZoneInfo, lo: dt.datetime, hi: dt.datetime) -> list[Interval]:
    """The parts of [lo, hi) (aware) inside the window on an allowed weekday of `zone`, in order, in UTC."""
    if hi <= lo:
        return []
    start, end = wall(window.start), wall(window.end)
    overnight = end <= start
    first = lo.astimezone(zone).date() - dt.timedelta(days=1)  # yesterday's overnight window may still run
    last = hi.astimezone(zone).date()
    found: list[Interval] = []
    day = first
    while day <= last:
        if window.allows(day):
            opens = _moment(day, start, zone, later=True)
            closes = _moment(day + dt.timedelta(days=1) if overnight else day, end, zone, later=False)
            begin, finish = max(opens, lo.astimezone(dt.UTC)), min(closes, hi.astimezone(dt.UTC))
            if begin < finish:
                found.append((begin, finish))
        day += dt.timedelta(days=1)
    return found


def inside(window: Window, zone: ZoneInfo, moment: dt.datetime) -> bool:
    """Whether `moment` falls inside the window (the check the tests make of every planned send)."""
    return bool(open_intervals(window, zone, moment, moment + dt.timedelta(microseconds=1)))


def clip(intervals: list[Interval], lo: dt.datetime) -> list[Interval]:
    """`intervals` from `lo` on."""
    return [(max(start, lo), end) for start, end in intervals if end > lo]


def until(intervals: list[Interval], hi: dt.datetime) -> list[Interval]:
    """`intervals` before `hi`."""
    return [(start, min(end, hi)) for start, end in intervals if start < hi]


def seconds(intervals: list[Interval]) -> float:
    """The total length of `intervals` in seconds."""
    return sum((end - start).total_seconds() for start, end in intervals)


def add_business_days(day: dt.date, count: int) -> dt.date:
    """`count` Monday–Friday days after `day` (a Saturday plus one is the Monday; plus zero is itself)."""
    for _ in range(max(0, count)):
        day += dt.timedelta(days=1)
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
    return day


def due_after(sent_at: dt.datetime, *, delay_days: int, business_days: bool, zone: ZoneInfo) -> dt.datetime:
    """When the next step becomes due after a send at `sent_at`: `delay_days` calendar or business days later,
    at the same wall-clock time in `zone` (so a change of the clocks does not move the hour). The window then
    decides when on that day (or a later one) it actually goes out."""
    local = sent_at.astimezone(zone)
    day = (
        add_business_days(local.date(), delay_days)
        if business_days
        else local.date() + dt.timedelta(days=max(0, delay_days))
    )
    return dt.datetime.combine(day, local.time().replace(tzinfo=None), tzinfo=zone).astimezone(dt.UTC)

"""Campaign schedule policy: windows in several zones, weekdays, the days the clocks change, step delays."""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

import pytest

from engine.campaigns import schedule
from engine.campaigns.schedule import EVERY_DAY, WORKDAYS, Window
from engine.clock import zone_named
from engine.sending.planner import spread

MOSCOW = ZoneInfo("Europe/Moscow")
VLADIVOSTOK = ZoneInfo("Asia/Vladivostok")
NEW_YORK = ZoneInfo("America/New_York")
UTC = dt.UTC
NINE_TO_SIX = Window(dt.time(9, 0, tzinfo=UTC), dt.time(18, 0, tzinfo=UTC), WORKDAYS)  # as the model stores it


def day_of(zone: ZoneInfo, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time(0), tzinfo=zone)
    return start, dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=zone)


def test_a_working_day_in_moscow_and_in_vladivostok() -> None:
    monday = dt.date(2026, 11, 2)
    assert schedule.open_intervals(NINE_TO_SIX, MOSCOW, *day_of(MOSCOW, monday)) == [
        (dt.datetime(2026, 11, 2, 6, 0, tzinfo=UTC), dt.datetime(2026, 11, 2, 15, 0, tzinfo=UTC))
    ]
    assert schedule.open_intervals(NINE_TO_SIX, VLADIVOSTOK, *day_of(VLADIVOSTOK, monday)) == [
        (dt.datetime(2026, 11, 1, 23, 0, tzinfo=UTC), dt.datetime(2026, 11, 2, 8, 0, tzinfo=UTC))
    ]
    # Vladivostok's Monday window seen from Moscow's Monday: only what is left of it after Moscow's midnight
    lo, hi = day_of(MOSCOW, monday)
    assert schedule.open_intervals(NINE_TO_SIX, VLADIVOSTOK, lo, hi) == [
        (dt.datetime(2026, 11, 1, 23, 0, tzinfo=UTC), dt.datetime(2026, 11, 2, 8, 0, tzinfo=UTC))
    ]


def test_a_weekday_that_is_off_and_a_window_that_is_over_give_nothing() -> None:
    saturday = dt.date(2026, 11, 7)
    assert schedule.open_intervals(NINE_TO_SIX, MOSCOW, *day_of(MOSCOW, saturday)) == []
    assert schedule.open_intervals(
        Window(NINE_TO_SIX.start, NINE_TO_SIX.end, EVERY_DAY), MOSCOW, *day_of(MOSCOW, saturday)
    )
    evening = dt.datetime(2026, 11, 2, 18, 0, tzinfo=MOSCOW)
    assert schedule.open_intervals(NINE_TO_SIX, MOSCOW, evening, day_of(MOSCOW, dt.date(2026, 11, 2))[1]) == []
    late = dt.datetime(2026, 11, 2, 17, 50, tzinfo=MOSCOW)
    assert schedule.open_intervals(NINE_TO_SIX, MOSCOW, late, late + dt.timedelta(hours=3)) == [
        (late.astimezone(UTC), dt.datetime(2026, 11, 2, 15, 0, tzinfo=UTC))
    ]
    only_sunday = Window(NINE_TO_SIX.start, NINE_TO_SIX.end, 0b1000000)
    assert only_sunday.allows(dt.date(2026, 11, 8)) and not only_sunday.allows(dt.date(2026, 11, 2))


def test_new_york_across_the_autumn_change_keeps_the_wall_clock_hours() -> None:
    friday, monday = dt.date(2026, 10, 30), dt.date(2026, 11, 2)  # EDT (-4), then EST (-5) after November 1
    (before,) = schedule.open_intervals(NINE_TO_SIX, NEW_YORK, *day_of(NEW_YORK, friday))
    (after,) = schedule.open_intervals(NINE_TO_SIX, NEW_YORK, *day_of(NEW_YORK, monday))
    assert before == (dt.datetime(2026, 10, 30, 13, 0, tzinfo=UTC), dt.datetime(2026, 10, 30, 22, 0, tzinfo=UTC))
    assert after == (dt.datetime(2026, 11, 2, 14, 0, tzinfo=UTC), dt.datetime(2026, 11, 2, 23, 0, tzinfo=UTC))


def test_window_edges_the_clocks_skip_or_repeat_only_shrink_the_window() -> None:
    every = EVERY_DAY
    # 1 November 2026: 01:00-02:00 happens twice in New York; a window from 01:30 starts at the second 01:30
    repeated = Window(dt.time(1, 30), dt.time(5, 0), every)
    (span,) = schedule.open_intervals(repeated, NEW_YORK, *day_of(NEW_YORK, dt.date(2026, 11, 1)))
    assert span == (dt.datetime(2026, 11, 1, 6, 30, tzinfo=UTC), dt.datetime(2026, 11, 1, 10, 0, tzinfo=UTC))
    # 8 March 2026: 02:00-03:00 does not exist; a window from 02:30 opens at 03:30, one ending at 02:30 ends at 01:30
    skipped_start = Window(dt.time(2, 30), dt.time(9, 0), every)
    (span,) = schedule.open_intervals(skipped_start, NEW_YORK, *day_of(NEW_YORK, dt.date(2026, 3, 8)))
    assert span[0].astimezone(NEW_YORK).time() == dt.time(3, 30)
    skipped_end = Window(dt.time(0, 0), dt.time(2, 30), every)
    (span,) = schedule.open_intervals(skipped_end, NEW_YORK, *day_of(NEW_YORK, dt.date(2026, 3, 8)))
    assert span[1].astimezone(NEW_YORK).time() == dt.time(1, 30)


def local_inside(window: Window, zone: ZoneInfo, moment: dt.datetime) -> bool:
    """The check made from the wall clock alone, independent of `open_intervals`."""
    local = moment.astimezone(zone)
    start, end = schedule.wall(window.start), schedule.wall(window.end)
    if start < end:
        return window.allows(local.date()) and start <= local.time().replace(tzinfo=None) < end
    clock = local.time().replace(tzinfo=None)
    if clock >= start:
        return window.allows(local.date())
    return clock < end and window.allows(local.date() - dt.timedelta(days=1))


@pytest.mark.parametrize("zone", [MOSCOW, VLADIVOSTOK, NEW_YORK])
@pytest.mark.parametrize(
    "window",
    [
        NINE_TO_SIX,
        Window(dt.time(1, 30), dt.time(2, 30), EVERY_DAY),  # inside the hour the clocks change in New York
        Window(dt.time(22, 0), dt.time(6, 0), 0b0101011),  # overnight, odd weekdays
    ],
)
def test_no_planned_moment_ever_falls_outside_the_window(zone: ZoneInfo, window: Window) -> None:
    rng = random.Random(7)
    for first in (dt.date(2026, 3, 6), dt.date(2026, 10, 29), dt.date(2026, 12, 31)):  # both changes, a year end
        for offset in range(5):
            lo = dt.datetime.combine(first + dt.timedelta(days=offset), dt.time(0), tzinfo=MOSCOW)  # a Moscow day
            lo += dt.timedelta(minutes=rng.randrange(0, 600))
            hi = dt.datetime.combine(first + dt.timedelta(days=offset + 1), dt.time(0), tzinfo=MOSCOW)
            for start, end in schedule.open_intervals(window, zone, lo, hi):
                assert lo <= start < end <= hi
                moments = spread(20, start, end, min_gap_s=0, rng=rng)
                assert all(local_inside(window, zone, m) for m in [start, *moments])
                assert not local_inside(window, zone, end) or end == hi
                assert schedule.inside(window, zone, start)


def test_calendar_delays_keep_the_wall_clock_time_across_a_change() -> None:
    sent = dt.datetime(2026, 10, 30, 10, 0, tzinfo=NEW_YORK)  # Friday 10:00 EDT
    due = schedule.due_after(sent, delay_days=3, business_days=False, zone=NEW_YORK)
    assert due.astimezone(NEW_YORK) == dt.datetime(2026, 11, 2, 10, 0, tzinfo=NEW_YORK)  # Monday 10:00 EST
    assert (due - sent) == dt.timedelta(days=3, hours=1)


@pytest.mark.parametrize(
    ("sent_on", "days", "due_on"),
    [
        (dt.date(2026, 10, 30), 1, dt.date(2026, 11, 2)),  # Friday + 1 → Monday
        (dt.date(2026, 10, 31), 1, dt.date(2026, 11, 2)),  # Saturday + 1 → Monday
        (dt.date(2026, 11, 1), 1, dt.date(2026, 11, 2)),  # Sunday + 1 → Monday
        (dt.date(2026, 10, 29), 3, dt.date(2026, 11, 3)),  # Thursday + 3 → Tuesday
        (dt.date(2026, 10, 26), 5, dt.date(2026, 11, 2)),  # Monday + 5 → next Monday
        (dt.date(2026, 10, 31), 0, dt.date(2026, 10, 31)),  # no delay: as sent
    ],
)
def test_business_day_delays_skip_weekends(sent_on: dt.date, days: int, due_on: dt.date) -> None:
    assert schedule.add_business_days(sent_on, days) == due_on
    sent = dt.datetime.combine(sent_on, dt.time(15, 20), tzinfo=VLADIVOSTOK)
    due = schedule.due_after(sent, delay_days=days, business_days=True, zone=VLADIVOSTOK)
    assert due.astimezone(VLADIVOSTOK) == dt.datetime.combine(due_on, dt.time(15, 20), tzinfo=VLADIVOSTOK)
    assert due.tzinfo is UTC


def test_zone_names_unknown_or_empty_give_none() -> None:
    assert zone_named("Asia/Vladivostok") == VLADIVOSTOK
    assert zone_named("") is None and zone_named("Mars/Olympus") is None
    assert zone_named("../etc/passwd") is None and zone_named("x" * 65) is None

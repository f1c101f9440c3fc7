"""Report periods (whole days of the workspace's calendar, bounded) and rate texts ("not measured" and "not
enough data" are never shown as 0 %)."""

from __future__ import annotations

import datetime as dt

import pytest

from engine.errors import UserError
from engine.i18n import translator
from engine.monitoring.metrics import rate
from engine.reports.period import MAX_DAYS, parse_period, previous_week
from engine.reports.text import bounded, rate_text

TODAY = dt.date(2026, 11, 18)  # a Wednesday
EN = translator("en")
RU = translator("ru")


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("today", TODAY, TODAY),
        ("Yesterday", dt.date(2026, 11, 17), dt.date(2026, 11, 17)),
        (None, dt.date(2026, 11, 12), TODAY),
        ("7d", dt.date(2026, 11, 12), TODAY),
        ("30d", dt.date(2026, 10, 20), TODAY),
        ("month", dt.date(2026, 11, 1), TODAY),
        ("2026-01-01..2026-12-31", dt.date(2026, 1, 1), TODAY),  # the days to come are not counted
        ("2026-11-18..2027-01-05", TODAY, TODAY),  # across a year end, from today
        ("2025-12-25..2026-01-06", dt.date(2025, 12, 25), dt.date(2026, 1, 6)),  # across a year end, past
        ("2024-01-01 .. 2024-12-31", dt.date(2024, 1, 1), dt.date(2024, 12, 31)),  # 366 days, a leap year
        # as people type them, Russian first: "7 дней", "2 недели", a day written 05.11.2026, a range with a dash
        ("7 дней", dt.date(2026, 11, 12), TODAY),
        ("3 дня", dt.date(2026, 11, 16), TODAY),
        ("2 недели", dt.date(2026, 11, 5), TODAY),
        ("1 week", dt.date(2026, 11, 12), TODAY),
        ("05.11.2026", dt.date(2026, 11, 5), dt.date(2026, 11, 5)),
        ("01.11.2026..15.11.2026", dt.date(2026, 11, 1), dt.date(2026, 11, 15)),
        ("1.11.2026 – 15.11.2026", dt.date(2026, 11, 1), dt.date(2026, 11, 15)),
        ("2026-11-01-2026-11-15", dt.date(2026, 11, 1), dt.date(2026, 11, 15)),
    ],
)
def test_periods(text: str | None, start: dt.date, end: dt.date) -> None:
    p = parse_period(text, TODAY)
    assert (p.start, p.end) == (start, end)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("fortnight", "error-report-period"),
        ("2026-02-30..2026-03-01", "error-report-period"),
        ("2026-03-02..2026-03-01", "error-report-period-order"),
        ("2025-01-01..2026-01-02", "error-report-period-long"),
        ("2026-11-19..2026-11-30", "error-report-period-future"),
        ("x" * 5000, "error-report-period"),
        ("31.02.2026", "error-report-period"),
        ("01.11.2026.5", "error-report-period"),
        ("15.11.2026..01.11.2026", "error-report-period-order"),
    ],
)
def test_bad_periods_name_what_is_wrong(text: str, key: str) -> None:
    with pytest.raises(UserError) as err:
        parse_period(text, TODAY)
    assert err.value.key == key
    assert len(str(err.value.params.get("value"))) <= 40
    assert EN(key, **err.value.params) != key and RU(key, **err.value.params) != key


@pytest.mark.parametrize(
    ("text", "days"),
    [("14d", 14), ("7д", 7), ("2w", 14), ("2 н", 14), ("90d", 90), ("1d", 1), ("сегодня", 1), ("Вчера", None)],
)
def test_the_last_days_or_weeks_are_taken_as_chart_takes_them(text: str, days: int | None) -> None:
    """'/report 14d' and '/report 7д' were 'not a period' while /chart took them: any number of days or weeks (and
    today, yesterday, month in Russian words) now reads the same in both."""
    p = parse_period(text, TODAY)
    if days is None:
        assert p.start == p.end == TODAY - dt.timedelta(days=1)
    else:
        assert (p.start, p.end, p.days) == (TODAY - dt.timedelta(days=days - 1), TODAY, days)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("0d", "error-report-period"),
        ("60w", "error-report-period-long"),
        ("10000d", "error-report-period-long"),  # was "not a period": more than three digits did not match
        ("1000w", "error-report-period-long"),
        ("9" * 28 + "д", "error-report-period-long"),
    ],
)
def test_no_days_or_too_many_are_named(text: str, key: str) -> None:
    """`/report 10000d` answered "«10000d» is not a period", though `/report 1000d` said "too long: at most 366
    days": a number of days is a number of days however long."""
    with pytest.raises(UserError) as err:
        parse_period(text, TODAY)
    assert err.value.key == key


def test_a_range_ending_in_the_future_ends_today() -> None:
    """'/report 2026-11-01..2026-11-30' on 18 November read '2026-11-01 – 2026-11-30 (30 days)': twelve days that
    have not happened counted in the period. It ends today, and says so."""
    p = parse_period("2026-11-01..2026-11-30", TODAY)
    assert (p.start, p.end, p.days, p.label) == (dt.date(2026, 11, 1), TODAY, 18, "2026-11-01..2026-11-18")


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026-11-05", dt.date(2026, 11, 5), dt.date(2026, 11, 5)),  # one day
        ("october", dt.date(2026, 10, 1), dt.date(2026, 10, 31)),
        ("Октябрь", dt.date(2026, 10, 1), dt.date(2026, 10, 31)),
        ("фев", dt.date(2026, 2, 1), dt.date(2026, 2, 28)),
        ("ноябрь", dt.date(2026, 11, 1), TODAY),  # this month: up to today
        ("december", dt.date(2025, 12, 1), dt.date(2025, 12, 31)),  # not begun this year: last year's
        ("2024-02", dt.date(2024, 2, 1), dt.date(2024, 2, 29)),
        ("2025-12", dt.date(2025, 12, 1), dt.date(2025, 12, 31)),
    ],
)
def test_a_day_and_a_month_by_its_name_or_number(text: str, start: dt.date, end: dt.date) -> None:
    """'/report ноябрь', '/report october', '/report 2026-10' and '/report 2026-11-05' were 'not a period'."""
    p = parse_period(text, TODAY)
    assert (p.start, p.end) == (start, end)


@pytest.mark.parametrize(
    ("text", "key"),
    [("2026-12", "error-report-period-future"), ("2026-13", "error-report-period"),
     ("2026-11-31", "error-report-period"), ("2026-11-19", "error-report-period-future"),
     ("0000-01", "error-report-period"), ("9999-12", "error-report-period-future")],
)  # fmt: skip
def test_a_bad_day_or_month(text: str, key: str) -> None:
    with pytest.raises(UserError) as err:
        parse_period(text, TODAY)
    assert err.value.key == key


def test_a_year_is_the_longest_period() -> None:
    assert parse_period("2025-01-01..2025-12-31", TODAY).days == 365 <= MAX_DAYS


def test_previous_week_is_monday_to_sunday() -> None:
    p = previous_week(TODAY)
    assert (p.start, p.end) == (dt.date(2026, 11, 9), dt.date(2026, 11, 15))
    assert previous_week(dt.date(2026, 11, 16)).start == dt.date(2026, 11, 9)


def test_rate_texts() -> None:
    assert rate_text(EN, rate(3, 100)) == "3 % (3 of 100)"
    assert rate_text(EN, rate(1, 200)) == "0.5 % (1 of 200)"
    assert rate_text(RU, rate(1, 200)) == "0,5 % (1 из 200)"  # the reader's decimal separator, as in /health
    # a day's hard bounces of the sends of earlier days: "150 % (30 of 20)" was no share of anything
    assert rate_text(EN, rate(30, 20)) == "30 — more than the 20 sends the rate is taken of: they answer earlier sends"
    assert rate_text(RU, rate(30, 20)).startswith("30 — больше, чем 20 отправок")
    assert rate_text(RU, rate(1, 14_873)) == "0,01 % (1 из 14\xa0873)"  # a small share is never shown as 0 %
    assert rate_text(EN, rate(0, 100)) == "0 % (0 of 100)"  # measured zero is a zero
    assert rate_text(EN, rate(0, 100, measured=False)) == "not measured"
    assert rate_text(EN, rate(1, 3)) == "not enough data (3 of 20 needed)"
    # as /health says; "(25 of 40)" read as 25 bounces of 40 sends beside "1.1 % (1 of 89)"
    assert rate_text(EN, rate(2, 25, 40), judged=True) == "too few sends (25 of 40 needed)"
    assert rate_text(RU, rate(0, 25, 40), judged=True) == "мало отправок (25 из нужных 40)"
    assert "%" not in rate_text(RU, rate(0, 0)) and "%" not in rate_text(RU, rate(5, 50, measured=False))


def test_report_text_is_bounded() -> None:
    kept = bounded(["a" * 3000, "b" * 3000, "c" * 10])
    assert sum(len(s) + 2 for s in kept) <= 3800 + 2 and kept[0] == "a" * 3000 and kept[1].startswith("b")

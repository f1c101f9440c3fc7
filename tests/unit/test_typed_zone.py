"""Time zones as people type them: an IANA name in any case, Moscow time and its neighbours, a whole-hour offset."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from engine.campaigns.options import parse_settings, split_pairs
from engine.clock import shown_zone, typed_zone
from engine.errors import UserError


@pytest.mark.parametrize(
    ("typed", "zone"),
    [("Europe/Moscow", "Europe/Moscow"), ("asia/VLADIVOSTOK", "Asia/Vladivostok"), ("MSK", "Europe/Moscow"),
     ("мск", "Europe/Moscow"), ("МСК+4", "Asia/Krasnoyarsk"), ("msk -1", "Europe/Kaliningrad"),
     ("UTC+3", "Etc/GMT-3"), ("+03:00", "Etc/GMT-3"), ("GMT-5", "Etc/GMT+5"), ("utc", "UTC"), ("+0", "UTC")],
)  # fmt: skip
def test_a_zone_is_named_as_iana_does(typed: str, zone: str) -> None:
    assert typed_zone(typed) == zone


def test_an_offset_zone_keeps_its_offset_the_right_way_round() -> None:
    """IANA's Etc zones count the other way ("Etc/GMT-3" is three hours ahead of UTC): UTC+3 must be noon at 09:00."""
    moment = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    assert moment.astimezone(ZoneInfo(typed_zone("UTC+3") or "")).hour == 12
    assert moment.astimezone(ZoneInfo(typed_zone("МСК+7") or "")).hour == 19  # Vladivostok: UTC+10


@pytest.mark.parametrize("typed", ["", "Moscow", "Mars/Olympus", "UTC+5:30", "+15", "МСК+12", "x" * 100, "../etc"])
def test_what_is_no_zone_is_none(typed: str) -> None:
    assert typed_zone(typed) is None


def test_a_campaign_takes_moscow_time_as_typed_and_refuses_the_rest() -> None:
    """`timezone=MSK` and `tz=UTC+3` were refused: only IANA names were known."""
    assert parse_settings(split_pairs(["timezone=MSK"])) == {"timezone": "Europe/Moscow"}
    assert parse_settings(split_pairs(["tz=UTC+3"])) == {"timezone": "Etc/GMT-3"}
    with pytest.raises(UserError):
        parse_settings(split_pairs(["tz=Moscow"]))


@pytest.mark.parametrize(
    ("typed", "shown"),
    [("UTC+3", "UTC+3"), ("+03:00", "UTC+3"), ("GMT-5", "UTC-5"), ("+14", "UTC+14"), ("-12", "UTC-12"),
     ("utc", "UTC"), ("МСК+4", "Asia/Krasnoyarsk"), ("Etc/GMT+0", "UTC"), ("etc/gmt-10", "UTC+10")],
)  # fmt: skip
def test_an_offset_zone_is_shown_the_way_people_write_it(typed: str, shown: str) -> None:
    assert shown_zone(typed_zone(typed) or "") == shown

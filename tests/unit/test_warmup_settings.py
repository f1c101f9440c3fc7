"""Warmup settings: defaults, overrides from the workspace, and refusal of anything outside the safe bounds."""

from __future__ import annotations

import pytest

from engine.errors import UserError
from engine.warmup.settings import BOUNDS, WarmupSettings


def test_defaults_fit_the_brief_and_their_own_bounds() -> None:
    s = WarmupSettings.from_workspace({})
    assert (s.start_per_day, s.target_per_day, s.weeks) == (2, 40, 6)
    assert WarmupSettings().with_values({name: getattr(s, name) for name in BOUNDS}) == s


def test_values_typed_in_chat_are_parsed() -> None:
    s = WarmupSettings.from_workspace(
        {"warmup": {"target_per_day": "35", "variance": "0,2", "weekdays_only": "да", "pool": "Agency"}}
    )
    assert (s.target_per_day, s.variance, s.weekdays_only, s.pool) == (35, 0.2, True, "agency")
    assert s.to_json() == {"target_per_day": 35, "variance": 0.2, "weekdays_only": True, "pool": "agency"}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("target_per_day", "80"),
        ("target_per_day", "ten"),
        ("weeks", "2"),
        ("variance", "nan"),
        ("variance", "0.5"),
        ("weekdays_only", "maybe"),
        ("pool", "everyone"),
        ("start_per_day", "1.5"),
        ("weeks", "4 дня"),  # days are no weeks
        ("weeks", "5 days"),
        ("target_per_day", "30 %"),
        ("target_per_day", "30.5/день"),
        ("target_per_day", "/день"),
    ],
)
def test_values_out_of_bounds_are_refused_by_name(name: str, value: str) -> None:
    with pytest.raises(UserError) as caught:
        WarmupSettings().with_values({name: value})
    assert caught.value.key == "error-warmup-setting" and caught.value.params["name"] == name


def test_unknown_names_are_refused_with_the_known_ones() -> None:
    with pytest.raises(UserError) as unknown:
        WarmupSettings().with_values({"speed": "9"})
    assert unknown.value.key == "error-warmup-setting-unknown" and "target_per_day" in unknown.value.params["known"]


@pytest.mark.parametrize(
    ("name", "typed", "stored"),
    [
        ("min_placement", "0.85", 0.85),
        ("min_placement", "0,85", 0.85),
        ("min_placement", "85%", 0.85),
        ("min_placement", "85 %", 0.85),
        ("min_placement", "85", 0.85),  # a share above 1 is a percent, as /thresholds_set reads it
        ("variance", "15%", 0.15),
        ("variance", "0", 0.0),
        ("reply_probability", "33%", 0.33),
        ("target_per_day", "30", 30),
        ("target_per_day", "30.0", 30),
        ("weeks", " 5 ", 5),
        ("target_per_day", "30/день", 30),  # with the unit the texts write: was "cannot be «30/день»: 10–50"
        ("target_per_day", "30 писем в день", 30),
        ("target_per_day", "30/day", 30),
        ("step_per_day", "2 emails a day", 2),
        ("weeks", "4 нед", 4),
        ("weeks", "4 недели", 4),
        ("weeks", "4 weeks", 4),
    ],
)
def test_shares_may_be_typed_as_percents_and_counts_as_whole_floats(name: str, typed: str, stored: float) -> None:
    value = getattr(WarmupSettings().with_values({name: typed}), name)
    assert value == stored and type(value) is type(stored)


@pytest.mark.parametrize(
    ("name", "typed"),
    [
        ("min_placement", "150%"),
        ("min_placement", "1"),  # 1 % — below the bound, not 100 %
        ("variance", "nan"),
        ("variance", "inf"),
        ("variance", "-5%"),
        ("variance", ""),
        ("target_per_day", "30.5"),
        ("target_per_day", "30%"),  # a count is no share
        ("target_per_day", "1e400"),
        ("weeks", "6 days"),  # days are no weeks ("6 weeks" is taken: the unit of weeks)
    ],
)
def test_odd_values_typed_in_chat_are_refused_with_the_bounds(name: str, typed: str) -> None:
    with pytest.raises(UserError) as refused:
        WarmupSettings().with_values({name: typed})
    assert refused.value.key == "error-warmup-setting" and refused.value.params["name"] == name


def test_in_effect_takes_each_stored_value_alone_and_a_stale_one_is_its_default() -> None:
    stored = {"warmup": {"weeks": 12, "target_per_day": 30, "speed": 5, "pool": "agency"}}
    with pytest.raises(UserError):
        WarmupSettings.from_workspace(stored)
    settings = WarmupSettings.in_effect(stored)
    assert (settings.weeks, settings.target_per_day, settings.pool) == (WarmupSettings().weeks, 30, "agency")
    assert WarmupSettings.in_effect(None) == WarmupSettings() == WarmupSettings.in_effect({"warmup": None})

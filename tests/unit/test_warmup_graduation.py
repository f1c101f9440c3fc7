"""Graduation rules: the minimum period, the placement threshold with its sample, and the stepwise campaign unlock."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.handlers.warmup import cap_key, eta_key, stage_key
from engine.i18n import translator
from engine.warmup.graduation import (
    Stage,
    campaign_cap,
    campaign_share,
    period_over_on,
    placement_passes,
    readiness,
)
from engine.warmup.placement import Placement
from engine.warmup.settings import WarmupSettings
from models.enums import CapKind

START = dt.date(2031, 1, 6)
SIX_WEEKS = WarmupSettings()  # weeks=6, min_placement=0.85, maintenance_share=0.2


def measured(inbox: int, spam: int) -> Placement:
    return Placement(inbox, spam, days=14, until=START)


def test_the_period_ends_after_the_configured_weeks() -> None:
    assert period_over_on(SIX_WEEKS, started_on=START) == START + dt.timedelta(days=42)
    four = SIX_WEEKS.with_values({"weeks": 4})
    assert period_over_on(four, started_on=START) == START + dt.timedelta(days=28)


def test_placement_needs_a_sample_and_the_threshold() -> None:
    assert placement_passes(SIX_WEEKS, measured(85, 15))  # exactly the threshold
    assert not placement_passes(SIX_WEEKS, measured(84, 16))
    assert not placement_passes(SIX_WEEKS, measured(10, 0))  # 100 % of 10 is "not enough data", not a pass
    assert not placement_passes(SIX_WEEKS, measured(0, 0))


@pytest.mark.parametrize(
    ("today", "placement", "stage"),
    [
        (START + dt.timedelta(days=41), measured(100, 0), Stage.WARMING),  # day 42: the period is not over
        (START + dt.timedelta(days=42), measured(100, 0), Stage.READY),
        (START + dt.timedelta(days=42), measured(60, 40), Stage.WAITING),
        (START + dt.timedelta(days=90), measured(5, 0), Stage.WAITING),  # not enough data never graduates
    ],
)
def test_readiness_by_day_and_placement(today: dt.date, placement: Placement, stage: Stage) -> None:
    r = readiness(SIX_WEEKS, started_on=START, today=today, placement=placement, graduated=False)
    assert r.stage is stage and r.days == 42 and r.day == (today - START).days + 1
    assert r.ready_on == START + dt.timedelta(days=42)


def test_readiness_of_a_mailbox_never_started_and_of_a_graduated_one() -> None:
    none = readiness(SIX_WEEKS, started_on=None, today=START, placement=measured(0, 0), graduated=False)
    assert (none.stage, none.day, none.ready_on) == (Stage.NOT_STARTED, 0, None)
    done = readiness(SIX_WEEKS, started_on=START, today=START, placement=measured(0, 0), graduated=True)
    assert done.stage is Stage.GRADUATED


def test_campaign_volume_unlocks_weekly_and_keeps_the_maintenance_share() -> None:
    shares = [campaign_share(SIX_WEEKS, days_since_graduation=d) for d in (-1, 0, 6, 7, 13, 14, 21, 400)]
    assert shares == [0.0, 0.25, 0.25, 0.5, 0.5, 0.75, 0.8, 0.8]  # 100 % − 20 % maintenance from week 4
    heavy = SIX_WEEKS.with_values({"maintenance_share": "0.5"})
    assert [campaign_share(heavy, days_since_graduation=d) for d in (0, 7, 14, 21)] == [0.25, 0.5, 0.5, 0.5]
    assert [campaign_cap(SIX_WEEKS, daily_cap=40, days_since_graduation=d) for d in (0, 7, 14, 28)] == [
        10,
        20,
        30,
        32,
    ]
    assert campaign_cap(SIX_WEEKS, daily_cap=0, days_since_graduation=30) == 0
    assert campaign_cap(SIX_WEEKS, daily_cap=3, days_since_graduation=0) == 0  # 0.75 rounds down


def test_every_stage_and_cap_has_words_in_both_languages() -> None:
    for locale in ("ru", "en"):
        t = translator(locale)
        keys = [stage_key(s) for s in Stage] + [eta_key(s) for s in Stage] + [cap_key(c) for c in CapKind]
        assert [k for k in keys if not t.has(k)] == [], locale

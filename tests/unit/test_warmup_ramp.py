"""The warmup ramp: start, step, plateau, deterministic daily jitter, weekdays only, provider limits."""

from __future__ import annotations

import datetime as dt
import itertools

from engine.warmup.ramp import (
    base_target,
    continue_mark,
    daily_target,
    jitter,
    maintenance_base,
    maintenance_target,
    ramp_length_days,
    warmup_day,
)
from engine.warmup.settings import WarmupSettings

MONDAY = dt.date(2026, 11, 2)


def days(n: int, start: dt.date = MONDAY) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range(n)]


def test_without_variance_the_ramp_starts_steps_and_plateaus() -> None:
    s = WarmupSettings(start_per_day=2, step_per_day=1, target_per_day=30, variance=0.0)
    volumes = [daily_target(s, mailbox_id=7, started_on=MONDAY, day=d) for d in days(40)]
    assert volumes[:4] == [2, 3, 4, 5]
    assert volumes[28] == 30 and set(volumes[28:]) == {30}  # linear +1/day from 2 reaches 30 on day 29
    assert ramp_length_days(s) == 29


def test_nothing_before_the_start() -> None:
    s = WarmupSettings()
    assert daily_target(s, mailbox_id=1, started_on=MONDAY, day=MONDAY - dt.timedelta(days=1)) == 0
    assert warmup_day(started_on=MONDAY, day=MONDAY - dt.timedelta(days=3)) == 0


def test_jitter_stays_within_the_variance_is_stable_and_differs_between_mailboxes_and_days() -> None:
    factors = [jitter(mailbox_id=m, day=d, variance=0.2) for m in range(50) for d in days(30)]
    assert all(0.8 <= f <= 1.2 for f in factors)
    assert jitter(mailbox_id=3, day=MONDAY, variance=0.2) == jitter(mailbox_id=3, day=MONDAY, variance=0.2)
    assert len({round(f, 6) for f in factors}) > 1400  # practically all different
    assert min(factors) < 0.85 and max(factors) > 1.15  # the whole band is used
    assert jitter(mailbox_id=3, day=MONDAY, variance=0.0) == 1.0


def test_the_daily_volume_varies_around_the_ramp_never_above_the_target() -> None:
    s = WarmupSettings(start_per_day=2, step_per_day=2, target_per_day=40, variance=0.2)
    for mailbox_id in range(30):
        for number, day in enumerate(days(60), 1):
            volume = daily_target(s, mailbox_id=mailbox_id, started_on=MONDAY, day=day)
            base = base_target(s, day_number=number)
            assert 1 <= volume <= 40
            assert round(base * 0.8) - 1 <= volume <= round(base * 1.2) + 1
    plateau = [daily_target(s, mailbox_id=m, started_on=MONDAY, day=MONDAY + dt.timedelta(days=45)) for m in range(30)]
    assert len(set(plateau)) > 3  # no two mailboxes send like clockwork


def test_weekdays_only_skips_weekends_without_advancing_the_ramp() -> None:
    s = WarmupSettings(start_per_day=2, step_per_day=1, target_per_day=30, variance=0.0, weekdays_only=True)
    volumes = [daily_target(s, mailbox_id=1, started_on=MONDAY, day=d) for d in days(14)]
    assert volumes == [2, 3, 4, 5, 6, 0, 0, 7, 8, 9, 10, 11, 0, 0]
    assert warmup_day(started_on=MONDAY, day=MONDAY + dt.timedelta(days=7), weekdays_only=True) == 6


def test_the_provider_limit_is_respected() -> None:
    s = WarmupSettings(start_per_day=5, step_per_day=5, target_per_day=50, variance=0.2)
    volumes = [daily_target(s, mailbox_id=9, started_on=MONDAY, day=d, provider_limit=12) for d in days(20)]
    assert max(volumes) == 12 and volumes[0] <= 6


def test_maintenance_keeps_a_share_of_the_cap() -> None:
    s = WarmupSettings(maintenance_share=0.2, variance=0.15)
    values = [maintenance_target(s, mailbox_id=m, day=MONDAY, daily_cap=40) for m in range(40)]
    assert all(6 <= v <= 10 for v in values) and len(set(values)) > 1
    assert maintenance_target(s, mailbox_id=1, day=MONDAY, daily_cap=0) == 0
    weekend = WarmupSettings(weekdays_only=True)
    assert maintenance_target(weekend, mailbox_id=1, day=MONDAY + dt.timedelta(days=5), daily_cap=40) == 0


def test_the_maintenance_base_is_the_mailboxs_even_part_of_a_crowded_domain() -> None:
    assert maintenance_base(40, 150, 20) == 7  # 20 mailboxes share 150
    assert maintenance_base(40, 150, 3) == 40  # room for every cap: the mailbox's own
    assert maintenance_base(40, 150, 0) == 40 and maintenance_base(40, 0, 5) == 0


def test_a_ramp_setting_changed_mid_ramp_never_moves_the_volume_more_than_a_step_a_day() -> None:
    """Every change of start, step, target or weekdays_only on day 15 of a 60-day ramp, over the next 30 days: the
    day of the change keeps its volume (unless the target is lowered under it: then the target), and no day adds
    more than the new step. Before, the ramp was recomputed from the start with the new values."""
    before = WarmupSettings().with_values({"start_per_day": 2, "step_per_day": 1, "target_per_day": 50, "variance": 0})
    changed_on = MONDAY + dt.timedelta(days=14)
    for name, value in [
        ("step_per_day", 3), ("step_per_day", 5), ("start_per_day", 5), ("start_per_day", 1), ("target_per_day", 10),
        ("target_per_day", 12), ("target_per_day", 30), ("weekdays_only", True),
    ]:  # fmt: skip
        after = before.with_values({name: value})
        mark = continue_mark(before, after, started_on=MONDAY, on=changed_on, mark=None)
        assert mark is not None
        today = daily_target(before, mailbox_id=1, started_on=MONDAY, day=changed_on)
        volumes = [today] + [
            daily_target(after, mailbox_id=1, started_on=MONDAY, day=d, mark=mark) for d in days(30, changed_on)
        ]
        sending = [v for d, v in zip([changed_on, *days(30, changed_on)], volumes, strict=True) if v or d.weekday() < 5]
        assert sending[1] == min(today, after.target_per_day), (name, value)
        steps = [b - a for a, b in itertools.pairwise(sending[1:])]
        assert max(steps) <= after.step_per_day and min(steps) >= 0, (name, value, sending)
        assert sending[-1] == min(after.target_per_day, sending[1] + after.step_per_day * (len(sending) - 2))


def test_a_mailbox_not_started_by_the_change_gets_no_mark_and_marks_chain() -> None:
    before = WarmupSettings().with_values({"start_per_day": 1, "step_per_day": 2, "variance": 0})
    after = before.with_values({"step_per_day": 1})
    assert continue_mark(before, after, started_on=MONDAY, on=MONDAY - dt.timedelta(days=1), mark=None) is None
    first = continue_mark(before, after, started_on=MONDAY, on=MONDAY + dt.timedelta(days=4), mark=None)
    assert first == (5, 9)  # day 5: 1 + 2 × 4
    again = continue_mark(
        after, after.with_values({"step_per_day": 4}), started_on=MONDAY, on=MONDAY + dt.timedelta(days=6), mark=first
    )
    assert again == (7, 11)  # two days on at 1 a day from the first mark
    assert base_target(after.with_values({"step_per_day": 4}), day_number=8, mark=again) == 15

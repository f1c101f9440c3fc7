"""The capacity projection over plain values, with fixed dates: mailbox by mailbox, within domain and workspace
caps, week by week as mailboxes graduate, fits or not, and what it takes when it does not."""

from __future__ import annotations

import dataclasses
import datetime as dt

from engine.capacity import Box, Fleet, assess, box_day, day_capacity, project, settles_on, weekly, what_it_takes
from engine.warmup.settings import WarmupSettings

S = WarmupSettings()  # start 2, +1 a day, target 40, 6 weeks, maintenance 20 %
MON = dt.date(2026, 12, 7)
OLD = dt.date.min  # graduated long ago: full share


def graduated(box_id: int, domain_id: int, **kw: object) -> Box:
    return dataclasses.replace(Box(id=box_id, domain_id=domain_id, daily_cap=40, graduated_on=OLD), **kw)


def fleet(boxes: list[Box], *, domain_cap: int = 120, workspace_cap: int | None = None) -> Fleet:
    return Fleet(tuple(boxes), {b.domain_id: domain_cap for b in boxes}, S, workspace_cap)


def test_a_graduated_mailbox_sends_its_campaign_share_besides_the_maintenance_warmup() -> None:
    assert box_day(graduated(1, 1), S, MON) == (32, 8)  # 80 % of 40, and 20 % kept for warmup


def test_campaign_volume_unlocks_week_by_week_after_graduation() -> None:
    box = graduated(1, 1, graduated_on=MON)
    week = [box_day(box, S, MON + dt.timedelta(days=7 * n))[0] for n in range(5)]
    assert week == [10, 20, 30, 32, 32]
    assert box_day(box, S, MON - dt.timedelta(days=1)) == (0, 0)  # no warmup start known: nothing before


def test_a_warming_mailbox_sends_only_its_ramp_until_its_period_ends() -> None:
    box = Box(id=1, domain_id=1, daily_cap=40, warmup_started_on=MON)
    assert box_day(box, S, MON) == (0, 2)
    assert box_day(box, S, MON + dt.timedelta(days=9)) == (0, 11)
    assert box_day(box, S, MON + dt.timedelta(days=41)) == (0, 40)
    assert box_day(box, S, MON + dt.timedelta(days=42)) == (10, 8)  # graduates after 6 weeks


def test_health_cuts_cooldowns_and_stopped_mailboxes() -> None:
    assert box_day(graduated(1, 1, health_factor=0.5), S, MON) == (12, 8)  # 20 in all, 8 of them warmup
    cooling = graduated(1, 1, cooldown_until=MON + dt.timedelta(days=2))
    assert [box_day(cooling, S, MON + dt.timedelta(days=n))[0] for n in range(3)] == [0, 0, 32]
    assert box_day(graduated(1, 1, sends=False), S, MON) == (0, 0)
    assert box_day(graduated(1, 1, provider_limit=20), S, MON) == (12, 8)


def test_the_domain_cap_holds_every_kind_of_mail() -> None:
    three = day_capacity(fleet([graduated(n, 1) for n in range(3)]), MON)
    assert (three.campaign, three.warmup, three.senders) == (96, 24, 3)
    four = day_capacity(fleet([graduated(n, 1) for n in range(4)]), MON)
    assert (four.campaign, four.warmup) == (96, 24)  # 120 − 24 of warmup: 20 % of each one's 30 of the domain


def test_the_maintenance_warmup_is_the_planners_share_of_the_domain_not_of_each_nominal_cap() -> None:
    """The brief's fleet puts 20 mailboxes on a domain capped at 150. The projection kept 20 % of each one's
    nominal 40 for warmup (8 × 20 = 160, more than the domain's cap) and said the fleet could send no campaign
    email at all, while the warmup planner keeps 20 % of each one's part of the domain (150 // 20 = 7: 1 a day)
    and the campaigns sent 130 a day."""
    twenty = day_capacity(fleet([graduated(n, 1) for n in range(20)], domain_cap=150), MON)
    assert (twenty.campaign, twenty.warmup, twenty.senders) == (130, 20, 20)
    cooling = [graduated(n, 1, cooldown_until=MON + dt.timedelta(days=1)) for n in range(10)]
    half = day_capacity(fleet([graduated(n, 1) for n in range(10, 20)] + cooling, domain_cap=150), MON)
    assert (half.campaign, half.warmup) == (120, 30)  # those cooling down share no part of the domain today


def test_the_workspace_cap_holds_every_kind_of_mail() -> None:
    boxes = [graduated(n, n) for n in range(4)]
    assert day_capacity(fleet(boxes), MON).campaign == 128
    assert day_capacity(fleet(boxes, workspace_cap=100), MON).campaign == 68


def test_weeks_grow_as_warming_mailboxes_graduate() -> None:
    start = MON
    boxes = [Box(id=n, domain_id=n, daily_cap=40, warmup_started_on=start - dt.timedelta(days=40)) for n in range(10)]
    weeks = project(fleet(boxes), start, 4)
    assert [w.campaign for w in weeks] == [500, 1200, 1900, 2200]
    assert (weeks[0].lowest_day, weeks[0].highest_day) == (0, 100)
    assert (weeks[0].start, weeks[0].end) == (start, start + dt.timedelta(days=6))


def test_12000_next_week_fits_a_large_fleet() -> None:
    boxes = [graduated(n, n // 3) for n in range(60)]  # 60 mailboxes, 3 a domain: 1,920 a day
    found = assess(fleet(boxes), emails=12000, weeks=1, start=MON)
    assert found.fits and found.available == 13440 and found.addition is None


def test_12000_next_week_does_not_fit_ten_mailboxes_and_what_it_takes() -> None:
    boxes = [graduated(n, n // 3) for n in range(10)]  # 320 a day, 2,240 a week
    found = assess(fleet(boxes), emails=12000, weeks=1, start=MON)
    assert not found.fits and found.available == 2240
    assert found.fits_from is None  # a fleet that does not grow never fits it
    add = found.addition
    assert add is not None
    assert (add.shortfall, add.per_day, add.per_mailbox) == (9760, 1395, 32)
    assert (add.mailboxes, add.domains, add.mailbox_cap, add.domain_cap) == (44, 15, 40, 120)
    assert (add.warmup_weeks, add.full_weeks, add.full_on) == (6, 9, MON + dt.timedelta(days=63))
    assert not add.workspace_cap_binds


def test_a_volume_that_fits_once_the_fleet_has_warmed_names_the_week() -> None:
    boxes = [Box(id=n, domain_id=n, daily_cap=40, warmup_started_on=MON - dt.timedelta(days=40)) for n in range(10)]
    found = assess(fleet(boxes), emails=2000, weeks=1, start=MON)
    assert not found.fits and found.fits_from == MON + dt.timedelta(days=21)


def test_what_it_takes_keeps_new_mailboxes_and_domains_within_the_briefs_caps() -> None:
    big = Fleet((Box(id=1, domain_id=1, daily_cap=200, graduated_on=OLD),), {1: 500}, S)
    add = what_it_takes(big, shortfall=700, window_days=7, start=MON)
    assert (add.mailbox_cap, add.domain_cap) == (50, 150)  # 30–50 a mailbox, 100–150 a domain
    assert (add.per_day, add.per_mailbox, add.mailboxes, add.domains) == (100, 40, 3, 1)
    small = Fleet((Box(id=1, domain_id=1, daily_cap=10, graduated_on=OLD),), {1: 50}, S)
    add = what_it_takes(small, shortfall=700, window_days=7, start=MON)
    assert (add.mailbox_cap, add.domain_cap, add.per_mailbox, add.mailboxes, add.domains) == (30, 100, 24, 5, 2)


def test_a_binding_workspace_cap_is_named() -> None:
    boxes = [graduated(n, n) for n in range(4)]
    add = what_it_takes(fleet(boxes, workspace_cap=100), shortfall=1000, window_days=7, start=MON)
    assert add.workspace_cap_binds


def test_weeks_after_the_fleet_settles_repeat_and_match_the_full_projection() -> None:
    boxes = [
        Box(id=n, domain_id=n % 4, daily_cap=40, warmup_started_on=MON - dt.timedelta(days=3 * n)) for n in range(12)
    ]
    boxes.append(graduated(99, 9, cooldown_until=MON + dt.timedelta(days=40)))
    f = fleet(boxes)
    assert settles_on(f) == MON + dt.timedelta(days=42 + 21)  # the latest starter (today): its last unlock step
    assert weekly(f, MON, 20) == [w.campaign for w in project(f, MON, 20)]
    assert len(set(weekly(f, MON, 20)[-5:])) == 1


def test_a_week_counts_only_the_days_the_running_campaigns_send() -> None:
    """/capacity said "Week 1: 840 (120 a day)" for campaigns that send Mon–Fri: 7 × the day. A weekday-only
    week is 5 days; the warmup goes on at the weekend; what a client's volume lacks is spread over send days."""
    every = fleet([graduated(n, 1) for n in range(3)])
    weekdays = dataclasses.replace(every, campaign_days=frozenset(range(5)))
    sat = MON + dt.timedelta(days=5)
    assert day_capacity(every, sat).campaign == 96
    assert (day_capacity(weekdays, sat).campaign, day_capacity(weekdays, sat).warmup) == (0, 24)
    [week] = project(weekdays, MON, 1)
    assert (week.campaign, week.lowest_day, week.highest_day) == (96 * 5, 96, 96)  # not "0–96 a day"
    assert project(every, MON, 1)[0].campaign == 96 * 7
    short = assess(weekdays, emails=3000, weeks=1, start=MON)
    assert (short.fits, short.available) == (False, 480)
    assert short.addition is not None and short.addition.per_day == -(-(3000 - 480) // 5)
    assert (
        assess(every, emails=600, weeks=1, start=MON).fits and not assess(weekdays, emails=600, weeks=1, start=MON).fits
    )

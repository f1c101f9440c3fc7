"""Monitoring metrics and protection rules, pure: sample-size guards, every rule, thresholds within bounds, the
gradual return of a cut volume."""

from __future__ import annotations

import datetime as dt

import pytest

from engine.errors import UserError
from engine.monitoring.metrics import Counts, Window, compute, rate, sum_days, total, window_days
from engine.monitoring.rules import (
    FACTOR_FLOOR,
    ActionKind,
    DomainFacts,
    MailboxFacts,
    Rule,
    Thresholds,
    WorkspaceFacts,
    clean_day_counts,
    cut,
    decide,
    hard_bounce,
    step_up,
    trip_window_start,
)
from engine.sending.outbox import EffectiveCaps, MailboxState
from models.enums import DomainStatus, MailboxStatus

TH = Thresholds()
TODAY = dt.date(2031, 3, 20)


def box(ident: int = 1, domain: int = 10, **kw: object) -> MailboxFacts:
    values: dict[str, object] = {
        "mailbox_id": ident,
        "domain_id": domain,
        "status": MailboxStatus.ACTIVE,
        "auth_failures": 0,
        "health_factor": 1.0,
        "cooldown_over": False,
        "graduated": True,
        "window": Counts(),
        "today": Counts(),
    }
    values.update(kw)
    return MailboxFacts(**values)  # type: ignore[arg-type]


def ws(today: Counts | None = None, paused: bool = False) -> WorkspaceFacts:
    return WorkspaceFacts(workspace_id=1, paused=paused, today=today or Counts())


def kinds(actions: list) -> list[tuple[ActionKind, str]]:  # type: ignore[type-arg]
    return [(a.kind, a.subject) for a in actions]


# --- metrics ----------------------------------------------------------------------------------------------


def test_a_small_sample_is_not_enough_data_never_zero() -> None:
    m = compute(Counts(sent=5, bounces_hard=0), Window.DAY)
    assert m.hard_bounce_rate.value is None and not m.hard_bounce_rate.enough
    assert m.hard_bounce_rate.sample == 5
    big = compute(Counts(sent=50, bounces_hard=0, replies=5), Window.WEEK)
    assert big.hard_bounce_rate.value == 0.0 and big.reply_rate.value == pytest.approx(0.1)


def test_health_judges_bounces_blocks_and_spam_from_the_same_minimum_as_the_rules() -> None:
    th = Thresholds().with_values({"block_min_sent": 60, "warmup_min_checks": 30})
    m = compute(Counts(sent=25, bounces_hard=2, bounces_block=2, warmup_inbox=22, warmup_spam=3), Window.WEEK,
                minimums=th.minimums)  # fmt: skip
    assert (m.hard_bounce_rate.value, m.hard_bounce_rate.min_sample) == (None, th.hard_bounce_min_sent)  # 8 % of 25
    assert (m.block_rate.value, m.block_rate.min_sample) == (None, 60)
    assert (m.placement.value, m.placement.min_sample) == (None, 30)
    assert hard_bounce(Counts(sent=25, bounces_hard=2), th) is None  # the rule does not fire either
    judged = compute(Counts(sent=60, bounces_block=3), Window.WEEK, minimums=th.minimums)
    assert judged.block_rate.value == pytest.approx(0.05)


def test_open_rate_is_measured_only_where_mail_carried_a_pixel() -> None:
    plain = compute(Counts(sent=100, opens=0), Window.WEEK)
    assert not plain.open_rate.measured and plain.open_rate.value is None
    html = compute(Counts(sent=100, opens=30, pixel_sent=60), Window.WEEK)
    assert html.open_rate.value == pytest.approx(0.5) and html.open_rate.sample == 60


def test_placement_and_spam_share_come_from_warmup_checks() -> None:
    m = compute(Counts(warmup_inbox=21, warmup_spam=9), Window.WEEK)
    assert m.placement.value == pytest.approx(0.7) and m.placement.sample == 30
    assert m.warmup_spam_rate.value == pytest.approx(0.3)


def test_daily_windows_sum_whole_day_rows_never_prorated() -> None:
    rows = {TODAY - dt.timedelta(days=d): Counts(sent=10, bounces_block=d) for d in range(10)}
    first, last = window_days(Window.WEEK, TODAY)
    assert (first, last) == (TODAY - dt.timedelta(days=6), TODAY)
    week = sum_days(rows, first, last)
    assert week.sent == 70 and week.bounces_block == sum(range(7))
    assert sum_days(rows, *window_days(Window.DAY, TODAY)).sent == 10


def test_counts_add_keeps_unmeasured_opens_unmeasured() -> None:
    assert (Counts(sent=1) + Counts(sent=2)).measured_sent is None
    assert (Counts(sent=3, pixel_sent=3) + Counts(sent=2)).measured_sent == 3
    assert total([Counts(sent=1), Counts(sent=4, pixel_sent=2, opens=1), Counts(pixel_sent=1)]) == Counts(
        sent=5, pixel_sent=3, opens=1
    )
    assert total([]).measured_sent is None


# --- rules ------------------------------------------------------------------------------------------------


def test_hard_bounces_cool_a_mailbox_down_only_over_enough_sends() -> None:
    tripping = box(window=Counts(sent=40, bounces_hard=2))  # 5 % of 40
    [action] = decide(ws(), [tripping], {}, TH)
    assert action.kind is ActionKind.COOLDOWN and action.rule is Rule.HARD_BOUNCE and action.days == 3
    assert action.evidence is not None
    assert (action.evidence.sample, action.evidence.threshold, action.evidence.value) == (40, 0.05, 0.05)
    assert decide(ws(), [box(window=Counts(sent=39, bounces_hard=5))], {}, TH) == []  # 13 % of 39: too few
    assert decide(ws(), [box(window=Counts(sent=100, bounces_hard=4))], {}, TH) == []  # 4 %


def test_blocks_cut_the_mailbox_volume_by_half() -> None:
    [action] = decide(ws(), [box(window=Counts(sent=40, bounces_block=2))], {10: DomainFacts(10, 1.0)}, TH)
    assert (action.kind, action.subject, action.rule, action.factor) == (
        ActionKind.CUT,
        "mailbox:1",
        Rule.BLOCK,
        0.5,
    )
    assert decide(ws(), [box(window=Counts(sent=30, bounces_block=10))], {}, TH) == []  # under 40 sends


def test_warmup_spam_cuts_with_its_own_sample_guard() -> None:
    [action] = decide(ws(), [box(window=Counts(warmup_inbox=14, warmup_spam=6))], {}, TH)
    assert action.kind is ActionKind.CUT and action.rule is Rule.WARMUP_SPAM
    assert decide(ws(), [box(window=Counts(warmup_inbox=5, warmup_spam=14))], {}, TH) == []  # 19 checks


def test_the_domain_is_cut_when_half_of_its_mailboxes_trip() -> None:
    bad = Counts(sent=50, bounces_block=5)
    boxes = [box(1, window=bad), box(2, window=bad), box(3), box(4)]
    [action] = decide(ws(), boxes, {10: DomainFacts(10, 1.0)}, TH)
    assert (action.kind, action.subject, action.factor) == (ActionKind.CUT, "domain:10", 0.5)
    boxes = [box(1, window=bad), box(2), box(3)]  # one of three: the mailbox only
    assert kinds(decide(ws(), boxes, {10: DomainFacts(10, 1.0)}, TH)) == [(ActionKind.CUT, "mailbox:1")]


def test_repeated_cuts_stop_at_the_floor_and_climb_back_step_by_step() -> None:
    assert cut(1.0, TH) == 0.5 and cut(0.5, TH) == FACTOR_FLOOR and cut(FACTOR_FLOOR, TH) == FACTOR_FLOOR
    assert step_up(0.5, TH) == 0.75 and step_up(0.75, TH) == 1.0 and step_up(0.9, TH) == 1.0


def test_a_clean_day_restores_one_step_a_dirty_or_idle_day_does_not() -> None:
    clean = Counts(sent=20)
    [action] = decide(ws(), [box(health_factor=0.5, yesterday=clean)], {}, TH)
    assert (action.kind, action.factor) == (ActionKind.RESTORE, 0.75)
    assert decide(ws(), [box(health_factor=0.5, yesterday=Counts())], {}, TH) == []  # sent nothing
    assert decide(ws(), [box(health_factor=0.5, yesterday=None)], {}, TH) == []  # not after the cut
    dirty = Counts(sent=50, bounces_block=5)
    assert decide(ws(), [box(health_factor=0.5, yesterday=dirty)], {}, TH) == []
    [domain] = decide(ws(), [], {10: DomainFacts(10, 0.75, yesterday=clean)}, TH)
    assert (domain.kind, domain.subject, domain.factor) == (ActionKind.RESTORE, "domain:10", 1.0)


def test_the_cut_day_never_trips_twice_and_counts_as_clean_only_after() -> None:
    cut_day = TODAY
    assert trip_window_start(TODAY, changed_on=cut_day, recovering=False) == TODAY + dt.timedelta(days=1)
    assert trip_window_start(TODAY, changed_on=None, recovering=False) == TODAY - dt.timedelta(days=6)
    assert trip_window_start(TODAY, changed_on=TODAY, recovering=True) == TODAY
    row = Counts(sent=5)
    assert clean_day_counts(TODAY, changed_on=TODAY - dt.timedelta(days=1), recovering=False, yesterday=row) is None
    assert clean_day_counts(TODAY, changed_on=TODAY - dt.timedelta(days=2), recovering=False, yesterday=row) == row
    assert clean_day_counts(TODAY, changed_on=TODAY - dt.timedelta(days=1), recovering=True, yesterday=row) == row


def test_auth_failures_or_smtp_errors_disable_the_mailbox() -> None:
    [a] = decide(ws(), [box(auth_failures=3)], {}, TH)
    assert (a.kind, a.rule) == (ActionKind.DISABLE, Rule.AUTH)
    [s] = decide(ws(), [box(today=Counts(smtp_errors=10))], {}, TH)
    assert (s.kind, s.rule) == (ActionKind.DISABLE, Rule.SMTP)
    assert decide(ws(), [box(auth_failures=2, today=Counts(smtp_errors=9))], {}, TH) == []
    assert decide(ws(), [box(status=MailboxStatus.DISABLED, auth_failures=9)], {}, TH) == []  # already


def test_engagement_below_half_its_baseline_alerts_only_with_enough_sample() -> None:
    dropped = box(recent=Counts(sent=100, replies=1), baseline=Counts(sent=400, replies=20))  # 1 % vs 5 %
    [a] = decide(ws(), [dropped], {}, TH)
    assert (a.kind, a.rule) == (ActionKind.ALERT, Rule.REPLY_DROP)
    small = box(recent=Counts(sent=99, replies=0), baseline=Counts(sent=400, replies=20))
    assert decide(ws(), [small], {}, TH) == []
    opens = box(recent=Counts(sent=100, opens=10, pixel_sent=100), baseline=Counts(sent=400, opens=200, pixel_sent=400))
    assert [x.rule for x in decide(ws(), [opens], {}, TH)] == [Rule.OPEN_DROP]
    unmeasured = box(recent=Counts(sent=100, opens=0), baseline=Counts(sent=400, opens=0))
    assert decide(ws(), [unmeasured], {}, TH) == []


def test_a_workspace_error_spike_pauses_sending_once() -> None:
    today = Counts(sent=100, smtp_errors=10, bounces_block=12)  # 22 of 110 attempts
    [a] = decide(ws(today), [], {}, TH)
    assert a.kind is ActionKind.PAUSE and a.evidence is not None and a.evidence.sample == 110
    assert decide(ws(today, paused=True), [], {}, TH) == []
    assert decide(ws(Counts(sent=50, smtp_errors=40)), [], {}, TH) == []  # 90 attempts: under 100


def test_cooldown_is_over_only_when_its_time_passed() -> None:
    over = box(status=MailboxStatus.COOLDOWN, cooldown_over=True)
    assert kinds(decide(ws(), [over], {}, TH)) == [(ActionKind.RETURN, "mailbox:1")]
    assert decide(ws(), [box(status=MailboxStatus.COOLDOWN)], {}, TH) == []


# --- thresholds --------------------------------------------------------------------------------------------


def test_thresholds_layer_agency_then_workspace_and_ignore_stored_values_out_of_bounds() -> None:
    th = Thresholds.resolve({"hard_bounce_rate": 0.04, "block_rate": 0.5}, {"hard_bounce_rate": 0.03})
    assert th.hard_bounce_rate == 0.03 and th.block_rate == 0.03  # 0.5 out of bounds: the default stays
    assert Thresholds().with_values({"hard_bounce_rate": "4%"}).hard_bounce_rate == 0.04
    assert Thresholds().with_values({"hard_bounce_rate": "4"}).hard_bounce_rate == 0.04
    assert Thresholds().with_values({"cooldown_days": "5"}).cooldown_days == 5
    # "1" is 1 %, the lowest hard-bounce and block rate allowed (was read as a share of 100 % and refused)
    assert Thresholds().with_values({"hard_bounce_rate": "1"}).hard_bounce_rate == 0.01
    assert Thresholds().with_values({"block_rate": "1,0"}).block_rate == 0.01
    assert Thresholds().with_values({"cooldown_days": 5}).to_json() == {"cooldown_days": 5}


@pytest.mark.parametrize(
    ("name", "value", "key"),
    [
        ("hard_bounce_rate", "50%", "error-threshold-value"),
        ("cooldown_days", "0", "error-threshold-value"),
        ("cooldown_days", "2.5", "error-threshold-value"),
        ("block_min_sent", "many", "error-threshold-value"),
        ("nonsense", "1", "error-threshold-unknown"),
    ],
)
def test_thresholds_out_of_bounds_are_refused_with_the_bounds(name: str, value: str, key: str) -> None:
    with pytest.raises(UserError) as caught:
        Thresholds().with_values({name: value})
    assert caught.value.key == key


def test_rate_never_divides_by_zero() -> None:
    assert rate(0, 0).value is None and rate(3, 0, 1).value is None


def test_the_claim_time_caps_apply_the_health_factor() -> None:
    def state(factor: float, status: MailboxStatus = MailboxStatus.ACTIVE) -> MailboxState:
        return MailboxState(
            mailbox_id=1, workspace_id=1, domain_id=1, status=status, cooldown_until=None,
            warmup_paused=False, mailbox_cap=40, domain_status=DomainStatus.ACTIVE, domain_cap=120,
            workspace_archived=False, workspace_settings={}, mailbox_sent=0, domain_sent=0,
            graduated_on=dt.date(2031, 1, 1), health_factor=factor, warmup_started_on=dt.date(2031, 1, 1),
        )  # fmt: skip

    policy = EffectiveCaps()
    assert policy.caps(state(1.0), TODAY).mailbox == 40
    assert policy.caps(state(0.5), TODAY).mailbox == 20  # same mailbox and day, a new factor: not the cached caps
    assert policy.caps(state(0.25), TODAY).mailbox == 10
    # a warming mailbox on its ramp: the cut is of its cap (20), the ramp's target stays the lower limit
    warming = policy.caps(state(0.5, MailboxStatus.WARMING), TODAY).mailbox
    assert warming == min(policy.caps(state(1.0, MailboxStatus.WARMING), TODAY).mailbox, 20)

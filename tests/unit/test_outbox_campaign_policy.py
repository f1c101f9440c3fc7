"""The pure parts of sending campaign rows: the day a row held back by a
campaign cap is due again, the effective caps at claim time, and the return date of an out-of-office notice."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import random
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest

from engine.inbox import AUTO_REPLY_DELAY, auto_reply_delay
from engine.mail.autoreply import MAX_AHEAD, Departure, departure, notice_date, notice_text, return_date
from engine.sending.outbox import (
    INBOX_HOLD,
    CampaignFacts,
    EffectiveCaps,
    MailboxState,
    NextStep,
    Recheck,
    StoredCaps,
    in_window,
    next_opening,
    recheck,
)
from models.enums import CampaignStatus, CapKind, DomainStatus, EnrollmentState, MailboxStatus

MSK = ZoneInfo("Europe/Moscow")
FRIDAY_EVENING = dt.datetime(2031, 3, 7, 15, 30, tzinfo=dt.UTC)  # 18:30 in Moscow, a Friday
DAY = dt.date(2031, 3, 7)


def facts(**changes: object) -> CampaignFacts:
    values: dict[str, object] = {
        "status": CampaignStatus.RUNNING,
        "enrollment_state": EnrollmentState.ACTIVE,
        "suppressed": False,
        "daily_cap": 100,
        "per_mailbox_cap": 10,
        "campaign_sent": 1,
        "campaign_mailbox_sent": 1,
        "mailbox_campaign_sent": 1,
        "zone": MSK,
        "window_start": dt.time(9, 0, tzinfo=dt.UTC),
        "window_end": dt.time(18, 0, tzinfo=dt.UTC),
        "weekdays": 0b0011111,
        "next_step": NextStep(None),
    }
    values.update(changes)
    return CampaignFacts(**values)  # type: ignore[arg-type]


def test_a_row_held_back_by_a_campaign_cap_is_due_at_the_next_send_days_window() -> None:
    due = next_opening(FRIDAY_EVENING, facts(), random.Random(1), later_day=True)
    local = due.astimezone(MSK)
    assert local.date() == dt.date(2031, 3, 10) and dt.time(9, 0) <= local.time() <= dt.time(10, 0)
    every_day = next_opening(FRIDAY_EVENING, facts(weekdays=0b1111111), random.Random(1), later_day=True)
    assert every_day.astimezone(MSK).date() == dt.date(2031, 3, 8)
    early = dt.datetime(2031, 3, 4, 3, 0, tzinfo=dt.UTC)  # Tuesday 06:00 in Moscow: today's window is ahead
    assert next_opening(early, facts(), random.Random(1)).astimezone(MSK).date() == dt.date(2031, 3, 4)


def test_the_send_window_in_its_zone_on_its_weekdays() -> None:
    tuesday = dt.datetime(2031, 3, 4, tzinfo=MSK)
    at = [tuesday.replace(hour=h) for h in (8, 9, 17, 18)]
    assert [in_window(t, facts()) for t in at] == [False, True, True, False]
    assert not in_window(dt.datetime(2031, 3, 8, 12, tzinfo=MSK), facts())  # a Saturday
    night = facts(window_start=dt.time(22, 0), window_end=dt.time(6, 0), weekdays=0b0000001)  # Monday nights only
    assert in_window(dt.datetime(2031, 3, 3, 23, tzinfo=MSK), night)
    assert in_window(dt.datetime(2031, 3, 4, 5, tzinfo=MSK), night)  # still Monday's night
    assert not in_window(dt.datetime(2031, 3, 4, 23, tzinfo=MSK), night)
    assert in_window(dt.datetime(2031, 3, 8, 3, tzinfo=MSK), facts(window_end=dt.time(9, 0), weekdays=127))


def test_the_claim_time_verdict_on_a_campaign_row() -> None:
    rng = random.Random(1)
    noon = dt.datetime(2031, 3, 4, 12, tzinfo=MSK)

    def verdict(cap: tuple[CapKind, int, int] | None = None, at: dt.datetime = noon, **changes: object) -> object:
        return recheck(facts(**changes), now=at, over=lambda: cap, rng=rng)

    assert verdict() == verdict(enrollment_state=EnrollmentState.ACTIVE)  # goes: nothing to hold or cancel
    assert verdict(status=CampaignStatus.COMPLETED).cancel == "cancelled: campaign completed"
    assert verdict(enrollment_state=EnrollmentState.REPLIED).cancel == "cancelled: enrollment replied"
    assert verdict(enrollment_state=None).cancel == "cancelled: enrollment gone"
    assert verdict(suppressed=True).cancel == "cancelled: suppressed"
    assert verdict(taken=True).cancel == "cancelled: in another campaign"  # the person's other enrollment goes
    assert verdict(taken=True, status=CampaignStatus.PAUSED).cancel == "cancelled: in another campaign"
    paused = verdict(status=CampaignStatus.PAUSED)
    assert paused.hold_until == noon + dt.timedelta(minutes=30) and not paused.cancel  # it may resume
    unread = verdict(inbox_unread=True)  # replies to the mailbox would go unseen: held, even with room under caps
    assert (unread.hold_until, unread.reason, unread.cancel) == (noon + INBOX_HOLD, "held: inbox unread", "")
    assert verdict(inbox_unread=True, suppressed=True).cancel == "cancelled: suppressed"  # a cancel still wins
    evening = verdict(at=noon.replace(hour=19))
    assert evening.hold_until.astimezone(MSK).date() == dt.date(2031, 3, 5) and evening.reason.startswith("held")
    closing = noon.replace(hour=17, minute=59, second=30)  # due in the window's last minute, claimed after it
    assert recheck(facts(), now=closing + dt.timedelta(minutes=2), due=closing, over=lambda: None, rng=rng) == Recheck()
    late = recheck(facts(), now=closing + dt.timedelta(minutes=11), due=closing, over=lambda: None, rng=rng)
    assert late.reason == "held: outside the send window"  # past the grace: the next opening
    after = noon.replace(hour=18, minute=1)  # due after the window closed (held there by hand): no grace
    assert recheck(facts(), now=after, due=after, over=lambda: None, rng=rng).reason.startswith("held")
    capped = verdict((CapKind.CAMPAIGN, 10, 10))
    assert capped.cap == (CapKind.CAMPAIGN, 10, 10) and capped.hold_until > noon + dt.timedelta(hours=18)


def state(**changes: object) -> MailboxState:
    values: dict[str, object] = {
        "mailbox_id": 1,
        "workspace_id": 1,
        "domain_id": 1,
        "status": MailboxStatus.ACTIVE,
        "cooldown_until": None,
        "warmup_paused": False,
        "mailbox_cap": 40,
        "domain_status": DomainStatus.ACTIVE,
        "domain_cap": 120,
        "workspace_archived": False,
        "workspace_settings": {},
        "mailbox_sent": 0,
        "domain_sent": 0,
        "graduated_on": dt.date(2031, 1, 1),
    }
    values.update(changes)
    return MailboxState(**values)  # type: ignore[arg-type]


def test_effective_caps_apply_the_provider_the_ramp_the_workspace_and_the_campaign_share() -> None:
    policy = EffectiveCaps()
    assert policy.caps(state(), DAY).mailbox == 40 and policy.caps(state(), DAY).workspace is None
    assert policy.caps(state(provider="yandex360", mailbox_cap=10_000), DAY).mailbox < 10_000  # provider limit
    warming = state(status=MailboxStatus.WARMING, warmup_started_on=DAY)
    assert policy.caps(warming, DAY).mailbox <= 2  # the ramp's first day
    assert policy.caps(state(workspace_settings={"daily_cap": 70}), DAY).workspace == 70
    # a graduated mailbox: 80 % of its cap for campaigns after four weeks, 25 % in its first week
    assert policy.campaign(state(), facts(mailbox_campaign_sent=32), DAY) is None
    assert policy.campaign(state(), facts(mailbox_campaign_sent=33, per_mailbox_cap=50), DAY) == (
        CapKind.WARMUP,
        32,
        32,
    )
    fresh = state(graduated_on=dt.date(2031, 3, 6))
    assert policy.campaign(fresh, facts(mailbox_campaign_sent=11, per_mailbox_cap=50), DAY) == (CapKind.WARMUP, 10, 10)
    # no graduation in the audit log: counted from the end of the minimum warmup period, else from today
    long_warmed = state(graduated_on=None, warmup_started_on=DAY - dt.timedelta(days=100))
    assert policy.campaign(long_warmed, facts(mailbox_campaign_sent=33, per_mailbox_cap=50), DAY) is not None
    assert policy.campaign(long_warmed, facts(mailbox_campaign_sent=32, per_mailbox_cap=50), DAY) is None
    unknown = state(graduated_on=None)
    assert policy.campaign(unknown, facts(mailbox_campaign_sent=11, per_mailbox_cap=50), DAY) == (
        CapKind.WARMUP,
        10,
        10,
    )
    # not graduated: no campaign mail at all
    assert policy.campaign(warming, facts(), DAY) == (CapKind.WARMUP, 0, 0)


def test_effective_caps_remember_one_entry_per_mailbox_and_follow_changed_inputs() -> None:
    policy = EffectiveCaps()
    for day_offset in range(30):  # a month of days, three mailboxes, their caps changing: three entries at most
        for mailbox_id in (1, 2, 3):
            cap = 20 + day_offset
            assert (
                policy.caps(state(mailbox_id=mailbox_id, mailbox_cap=cap), DAY + dt.timedelta(days=day_offset)).mailbox
                == cap
            )
    assert len(policy._memo) == 3
    assert policy.caps(state(mailbox_id=1, mailbox_cap=15), DAY).mailbox == 15  # a lowered cap is seen at once


def test_campaign_caps_count_the_claimed_row_itself() -> None:
    for policy in (StoredCaps(), EffectiveCaps()):
        assert policy.campaign(state(), facts(campaign_mailbox_sent=10), DAY) is None
        assert policy.campaign(state(), facts(campaign_mailbox_sent=11), DAY) == (CapKind.CAMPAIGN, 10, 10)
        assert policy.campaign(state(), facts(campaign_sent=101, per_mailbox_cap=50), DAY) == (
            CapKind.CAMPAIGN,
            100,
            100,
        )


def test_the_return_date_of_an_out_of_office_notice() -> None:
    received = dt.date(2031, 3, 3)
    assert return_date("I am out of the office until 15.03.2031.", received_on=received) == dt.date(2031, 3, 15)
    assert return_date("В отпуске, вернусь 17 марта", received_on=received) == dt.date(2031, 3, 17)
    assert return_date("Back on March 20th. Call +7 495 123-45-67", received_on=received) == dt.date(2031, 3, 20)
    assert return_date("Away from 01.03 to 2031-03-10", received_on=received) == dt.date(2031, 3, 10)
    assert return_date("Out of office, back soon", received_on=received) is None
    assert return_date("Signed 01.02.2031", received_on=received) is None  # in the past
    far = received + MAX_AHEAD + dt.timedelta(days=1)
    assert return_date(f"until {far.isoformat()}", received_on=received) is None
    assert return_date("до 5 января", received_on=dt.date(2031, 12, 20)) == dt.date(2032, 1, 5)  # the next one


def _next(weekday: int, after: dt.date) -> dt.date:
    """The first such day of the week after `after` (a reference computed apart from the code under test)."""
    return next(
        after + dt.timedelta(days=n) for n in range(1, 8) if (after + dt.timedelta(days=n)).weekday() == weekday
    )


@pytest.mark.parametrize("offset", range(7))
def test_a_relative_return_date_is_read_from_the_notices_own_day(offset: int) -> None:
    """ "Back on Monday", "вернусь в понедельник", "next week" named no date the reader knew: the default delay
    applied, and the lead got the next step while its author was still away (and another notice). They count from
    the day the notice was written, whatever day of the week that is."""
    day = dt.date(2031, 3, 3) + dt.timedelta(days=offset)  # each day of a week
    assert return_date("Out of office, back on Monday.", received_on=day) == _next(0, day)
    assert return_date("Автоответ: в отпуске, вернусь в понедельник", received_on=day) == _next(0, day)
    assert return_date("I am away, returning Wednesday", received_on=day) == _next(2, day)
    assert return_date("Буду в офисе в пятницу.", received_on=day) == _next(4, day)
    assert return_date("Меня не будет до среды", received_on=day) == _next(2, day)
    assert return_date("Out until Thu", received_on=day) == _next(3, day)
    monday = day + dt.timedelta(days=7 - day.weekday())
    assert return_date("I will be back next week", received_on=day) == monday
    assert return_date("Вернусь на следующей неделе", received_on=day) == monday
    assert return_date("Back tomorrow", received_on=day) == day + dt.timedelta(days=1)
    assert return_date("Буду послезавтра", received_on=day) == day + dt.timedelta(days=2)
    assert return_date("Вернусь через две недели", received_on=day) == day + dt.timedelta(weeks=2)
    assert return_date("Office hours Monday to Friday, 9 to 18", received_on=day) is None  # no word of return
    assert return_date("Сегодня понедельник, на связи", received_on=day) is None


def test_a_named_date_wins_over_a_relative_one_and_holidays_mean_the_new_year_ones() -> None:
    received = dt.date(2031, 12, 26)
    assert return_date("Back on Monday, 12 January", received_on=received) == dt.date(2032, 1, 12)
    first_ru = next(
        dt.date(2032, 1, 9) + dt.timedelta(days=n)
        for n in range(3)
        if (dt.date(2032, 1, 9) + dt.timedelta(days=n)).weekday() < 5
    )
    assert return_date("В отпуске, вернусь после праздников", received_on=received) == first_ru
    assert return_date("Вернусь после новогодних каникул", received_on=dt.date(2032, 1, 3)) == first_ru
    first_en = next(
        dt.date(2032, 1, 2) + dt.timedelta(days=n)
        for n in range(3)
        if (dt.date(2032, 1, 2) + dt.timedelta(days=n)).weekday() < 5
    )
    assert return_date("Away, back after the holidays", received_on=received) == first_en
    assert return_date("Вернусь после праздников", received_on=dt.date(2031, 6, 10)) is None  # which ones: unknown


def test_a_notice_that_its_addressee_left_the_company_is_read_with_the_contact_it_names() -> None:
    ours = ("anna@agency.test", "ivan@acme.test")
    said = "Иван больше не работает в компании. Пишите Петру: Petr@acme.test."
    assert departure(said, not_replacements=ours) == Departure("petr@acme.test")
    assert departure("Ivan is no longer with Acme. Please contact ivan@acme.test", not_replacements=ours) == Departure()
    assert departure("Maria has left the company, write to sales@acme.test", not_replacements=ours) == Departure(
        "sales@acme.test"
    )
    assert departure("Сотрудник уволился.", not_replacements=ours) == Departure()
    assert departure("Этот ящик больше не обслуживается", not_replacements=ours) == Departure()
    for away in (
        "Я в отпуске до 15 марта",
        "Out of office, back on Monday",
        "Я больше не в офисе сегодня",
        "I am no longer at the office this week, back on Monday",
        "My old number is no longer available at all",
    ):
        assert departure(away, not_replacements=ours) is None


def test_the_notice_date_is_its_date_header_in_the_writers_zone() -> None:
    seen = dt.datetime(2031, 3, 7, 9, 0, tzinfo=dt.UTC)
    msg = EmailMessage()
    msg["Date"] = "Thu, 06 Mar 2031 23:30:00 -0500"  # 7 March in UTC, 6 March where it was written
    assert notice_date(msg, seen_at=seen) == dt.date(2031, 3, 6)
    for wrong in ("Mon, 01 Jan 1990 00:00:00 +0000", "Sat, 07 Mar 2043 10:00:00 +0000", "not a date"):
        del msg["Date"]
        msg["Date"] = wrong
        assert notice_date(msg, seen_at=seen) == seen.date()  # a wrong clock or no date: the day it was seen
    del msg["Date"]
    assert notice_date(msg, seen_at=seen) == seen.date()


def test_a_slashed_return_date_is_read_month_first_too_and_the_nearer_day_is_believed() -> None:
    """Every numeric date was read day first: an American "back on 1/5" (5 January) parked the lead until 1 May,
    "until 2/13" or "back 12/28" gave no date at all, and "out 2/1 through 2/3" held the lead until 2 March. A
    slashed date is now read both ways and the nearer plausible day is believed (read wrong, an early day costs one
    more notice; a late one, months of silence). Dotted dates stay day first, as they are written in Europe."""
    assert return_date("Out of office, back on 1/5.", received_on=dt.date(2031, 1, 2)) == dt.date(2031, 1, 5)
    assert return_date("Away until 2/13", received_on=dt.date(2031, 1, 20)) == dt.date(2031, 2, 13)
    assert return_date("Back 12/28", received_on=dt.date(2031, 12, 5)) == dt.date(2031, 12, 28)
    assert return_date("Out 2/1 through 2/3", received_on=dt.date(2031, 1, 20)) == dt.date(2031, 2, 3)
    assert return_date("Out 12/20/2031 - 1/5/2032", received_on=dt.date(2031, 12, 18)) == dt.date(2032, 1, 5)
    assert return_date("back on 2/1", received_on=dt.date(2031, 12, 5)) == dt.date(2032, 1, 2)  # the nearer one
    assert return_date("вернусь 05.01", received_on=dt.date(2031, 12, 5)) == dt.date(2032, 1, 5)
    assert return_date("в отпуске до 03.02", received_on=dt.date(2031, 1, 20)) == dt.date(2031, 2, 3)  # day first
    assert return_date("until January 5th", received_on=dt.date(2031, 12, 5)) == dt.date(2032, 1, 5)


def test_the_notice_text_is_its_subject_and_plain_text() -> None:
    msg = EmailMessage()
    msg["Subject"] = "Автоответ: в отпуске"
    msg.set_content("Вернусь 17 марта.\n")
    text = notice_text(msg)
    assert "Автоответ" in text and "17 марта" in text


def test_a_return_day_written_with_a_russian_ordinal_ending_or_with_hyphens_is_read() -> None:
    """The ordinal ending Russian writers put after the day number ("Я в отпуске до 15-го января", "с 20-го декабря
    по 5-е января") hid the date, and the default three days were waited instead, into the holiday. So did
    05-01-2027."""
    day = dt.date(2026, 12, 5)
    assert return_date("Я в отпуске до 15-го января", received_on=day) == dt.date(2027, 1, 15)
    assert return_date("в отпуске с 20-го декабря по 5-е января", received_on=day) == dt.date(2027, 1, 5)
    assert return_date("Вернусь 3-его января.", received_on=day) == dt.date(2027, 1, 3)
    assert return_date("out until 05-01-2027", received_on=day) == dt.date(2027, 1, 5)
    assert return_date("звоните: 8-800-555-35-35, доб. 12-10", received_on=day) is None  # no date in a phone number


def test_the_delay_without_a_return_date_is_the_workspaces_within_bounds() -> None:
    assert auto_reply_delay(None) == AUTO_REPLY_DELAY == dt.timedelta(days=3)
    assert auto_reply_delay({"auto_reply_delay_days": 5}) == dt.timedelta(days=5)
    for bad in (0, 31, "5", True, 2.5):
        assert auto_reply_delay({"auto_reply_delay_days": bad}) == AUTO_REPLY_DELAY


def test_a_mislabelled_russian_notice_still_gives_its_return_date() -> None:
    """An auto-reply written in Windows-1251 but labelled UTF-8 (common with old Russian mail servers)."""
    raw = (
        b"Subject: =?utf-8?b?QXV0b3JlcGx5?=\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + "Я в отпуске. Вернусь 17 марта.\r\n".encode("cp1251")
    )
    text = notice_text(email.message_from_bytes(raw))
    assert "17 марта" in text
    assert return_date(text, received_on=dt.date(2031, 3, 2)) == dt.date(2031, 3, 17)


def test_the_claim_time_warmup_cap_follows_a_ramp_continued_after_a_settings_change() -> None:
    """The sender re-checks each warmup row against the day's ramp: after a settings change it must read the
    mailbox's continued ramp (day 10 at 30 a day, from a mark), or it holds back the rows the planner planned by it
    (a ramp of 2 + 1 a day says 11)."""
    policy = EffectiveCaps()
    settings = {"warmup": {"variance": 0, "target_per_day": 50}}
    started = DAY - dt.timedelta(days=9)
    fresh = state(status=MailboxStatus.WARMING, warmup_started_on=started, workspace_settings=settings)
    assert policy.caps(fresh, DAY).mailbox == 11
    assert policy.caps(dataclasses.replace(fresh, ramp_mark=(10, 30)), DAY).mailbox == 30
    assert policy.caps(dataclasses.replace(fresh, ramp_mark=(9, 30)), DAY).mailbox == 31

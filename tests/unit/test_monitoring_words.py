"""What monitoring did, said in words: /why and /health named the rule and its window by their keys — a Russian
reply read 'Причина: warmup_spam 30 % из 20 (7d)' and 'объём ×0,75 (warmup_spam)'."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.command import Ctx
from bot.handlers.monitoring import _head, protection_lines
from engine.access import Actor
from engine.clock import UTC_ZONE, FrozenClock
from engine.i18n import translator
from engine.monitoring.report import SubjectHealth
from engine.monitoring.rules import RECOVERING, Rule
from engine.people import Identity
from engine.sending.why import Protection
from models.enums import Platform, Role

NOW = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
WINDOWS = ("1d", "7d", "3d/14d", "consecutive")


def ctx(locale: str) -> Ctx:
    actor = Actor(person_id=1, platform=Platform.TELEGRAM, role=Role.MANAGER, workspace_id=1, locale=locale)
    return Ctx(actor, translator(locale), FrozenClock(NOW), Platform.TELEGRAM, "1", Identity(Platform.TELEGRAM, "1"))


@pytest.mark.parametrize("locale", ["ru", "en"])
@pytest.mark.parametrize("rule", list(Rule))
@pytest.mark.parametrize("window", WINDOWS)
def test_why_names_the_rule_and_window_in_words(locale: str, rule: Rule, window: str) -> None:
    data = {"rule": rule.value, "rate": 0.3, "sample": 20, "threshold": 0.3, "window": window}
    told = protection_lines(
        ctx(locale), [Protection("anna@acme.test", "cut", 0.75, reason=rule.value, data=data)], UTC_ZONE
    )
    assert rule.value not in told and f"({window})" not in told
    assert "30" in told and "20" in told  # the numbers stay


def test_why_in_russian_reads_as_russian() -> None:
    data = {"rule": "warmup_spam", "rate": 0.3, "sample": 20, "threshold": 0.3, "window": "7d"}
    told = protection_lines(
        ctx("ru"), [Protection("anna@acme.test", "cut", 0.75, reason="warmup_spam", data=data)], UTC_ZONE
    )
    assert "Причина: прогревочные письма в спаме 30 % из 20 (за 7 дней), порог 30 %." in told


@pytest.mark.parametrize("locale", ["ru", "en"])
@pytest.mark.parametrize("reason", ["warmup_spam", "block_rate", RECOVERING + "block_rate"])
def test_health_names_the_cut_in_words(locale: str, reason: str) -> None:
    subject = SubjectHealth("mailbox", "anna@acme.test", "active", 0.75, reason, None, ())
    head = _head(ctx(locale), subject)
    assert reason.removeprefix(RECOVERING) not in head and "recovering" not in head


@pytest.mark.parametrize(
    ("key", "params"),
    [
        ("alert-mailbox-cooldown", {"until": "2026-11-23 09:00 UTC", "threshold_pct": 5.0, "window": "за 7 дней"}),
        ("alert-engagement-drop", {"rule": "reply_drop", "threshold_pct": 5.0, "baseline_pct": 10.0, "share_pct": 50}),
        ("alert-sending-paused", {"part": 30, "threshold_pct": 20.0}),
    ],
)
@pytest.mark.parametrize(("sample", "noun"), [(41, "1"), (120, "many"), (101, "1"), (44, "many")])
def test_russian_alerts_agree_with_their_sample(key: str, params: dict[str, object], sample: int, noun: str) -> None:
    """'из 41 отправки', 'из 120 отправок': after «из» the noun is genitive, singular for 1, 21, 41, 101…"""
    text = translator("ru")(key, subject="anna@acme.test", rate_pct=7.3, sample=sample, **params)
    singular = {"alert-sending-paused": "попытки", "alert-mailbox-cooldown": "отправки"}.get(key, "отправки")
    plural = {"alert-sending-paused": "попыток"}.get(key, "отправок")
    assert f"из {sample} {singular if noun == '1' else plural}" in text


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_an_engagement_alert_says_the_share_of_the_baseline_that_was_set(locale: str) -> None:
    """With `engagement_drop` at 0.3 the alert said 'half its own 14-day baseline'."""
    params = {"rule": "reply_drop", "rate_pct": 2.0, "sample": 120, "threshold_pct": 3.0}
    text = translator(locale)("alert-engagement-drop", subject="a@b.test", baseline_pct=10.0, share_pct=30, **params)
    assert "30 %" in text and "10 %" in text and "half" not in text and "половин" not in text


@pytest.mark.parametrize(
    ("kind", "status", "mark"),
    [
        ("domain", "cooling", "🔴"),  # listed on a blocklist: it was 🟢 "healthy" beside a 🔴 mailbox in cooldown
        ("domain", "burned", "🔴"),
        ("mailbox", "cooldown", "🔴"),
        ("mailbox", "disabled", "🔴"),
        ("domain", "retired", "⚪"),  # sends nothing by choice: neither healthy nor in trouble
        ("mailbox", "paused", "⚪"),
        ("domain", "active", "🟢"),
        ("mailbox", "warming", "🟢"),
    ],
)
def test_health_marks_a_domain_held_back_as_in_trouble(kind: str, status: str, mark: str) -> None:
    subject = SubjectHealth(kind, "acme.test", status, 1.0, "", None, ())
    assert _head(ctx("en"), subject).startswith(mark)

"""What monitoring did, said in words: /why and /health named the rule and its window by their keys — a Russian
reply read 'Причина: warmup_spam 30 % из 20 (7d)' and 'объём ×0,75 (warmup_spam)'."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.command import Ctx
from bot.handlers.monitoring import _head, protection_lines
from engine.access import Actor
from engine.clock import FrozenClock
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
    told = protection_lines(ctx(locale), [Protection("anna@acme.test", "cut", 0.75, reason=rule.value, data=data)])
    assert rule.value not in told and f"({window})" not in told
    assert "30" in told and "20" in told  # the numbers stay


def test_why_in_russian_reads_as_russian() -> None:
    data = {"rule": "warmup_spam", "rate": 0.3, "sample": 20, "threshold": 0.3, "window": "7d"}
    told = protection_lines(ctx("ru"), [Protection("anna@acme.test", "cut", 0.75, reason="warmup_spam", data=data)])
    assert "Причина: прогревочные письма в спаме 30 % из 20 (за 7 дней), порог 30 %." in told


@pytest.mark.parametrize("locale", ["ru", "en"])
@pytest.mark.parametrize("reason", ["warmup_spam", "block_rate", RECOVERING + "block_rate"])
def test_health_names_the_cut_in_words(locale: str, reason: str) -> None:
    subject = SubjectHealth("mailbox", "anna@acme.test", "active", 0.75, reason, None, ())
    head = _head(ctx(locale), subject)
    assert reason.removeprefix(RECOVERING) not in head and "recovering" not in head

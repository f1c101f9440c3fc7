"""Which shared rate budgets a notification spends, and what a rule accepts."""

from __future__ import annotations

import pytest

from engine.notify import TELEGRAM_CHAT, chat_budgets
from engine.ratelimit import Rule, defer_seconds
from models.enums import Platform


def test_chat_budgets_follow_the_platform_and_chat_kind() -> None:
    names = [rule.name for rule, _ in chat_budgets(Platform.TELEGRAM, "-100123")]
    assert names == ["telegram-chat", "telegram-group", "telegram-bot"]
    assert chat_budgets(Platform.TELEGRAM, "42")[0] == (TELEGRAM_CHAT, "42")
    assert [r.name for r, _ in chat_budgets(Platform.TELEGRAM, "42")] == ["telegram-chat", "telegram-bot"]
    assert [(r.name, k) for r, k in chat_budgets(Platform.SLACK, "C1")] == [("slack-channel", "C1")]


@pytest.mark.parametrize(("amount", "seconds", "name"), [(0, 1, "x"), (1, 0, "x"), (1, 1, ""), (1, 1, "a:b")])
def test_a_rule_needs_a_plain_name_and_a_positive_rate(amount: int, seconds: int, name: str) -> None:
    with pytest.raises(ValueError, match="rate rule"):
        Rule(name, amount, seconds)


def test_a_deferral_is_whole_seconds_and_never_zero() -> None:
    assert [defer_seconds(w) for w in (0.0, 0.05, 1.0, 1.2, 59.9)] == [1, 1, 1, 2, 60]

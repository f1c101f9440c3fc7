"""The demo speaks from the catalogs like the rest of the product: its counts agree with their numbers in
Russian, and every invariant it states has its text (and its figures' text, where it shows figures) in both."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.i18n import LOCALES, translator
from mailfleet.demo import run
from mailfleet.demo.checks import Invariants

RU, EN = translator("ru"), translator("en")


def test_russian_counts_agree_with_their_numbers() -> None:
    assert (
        RU("demo-start", clients=2, domains=3, mailboxes=21, seed="1") == "демо: 2 клиента, 3 домена, 21 ящик, seed 1"
    )
    assert RU("demo-start", clients=5, domains=60, mailboxes=1200, seed="1").startswith("демо: 5 клиентов, 60 доменов")
    inventory = RU("demo-inventory", name="СтройМаркет", slug="s", domains=1, reserve="a.ru", mailboxes=1)
    assert inventory.startswith("«СтройМаркет» (s): 1 домен (резерв: a.ru) и 1 ящик на")  # named as people read it
    assert RU("demo-inventory-warming", inventory="x", days=20).endswith("за 20 дней до демо")
    assert RU("demo-inventory-warming", inventory="x", days=22).endswith("за 22 дня до демо")
    assert RU("demo-check-stage-detail", count=0, days=21) == "превышений: 0 из 21 ящико-дня прогрева"
    assert EN("demo-summary-title", weeks=1, mailboxes=2, domains=1, clients=1, seed="7") == (
        "Mailfleet demo: 1 week, 2 mailboxes, 1 domain, 1 client, seed 7"
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_every_invariant_is_stated_in_each_language(locale: str) -> None:
    t = translator(locale)
    found = Invariants(*[0] * 12)
    for check in found.rows():
        assert t.has(check.key), check.key
        text = t(check.key, **check.params)
        assert "{" not in text and check.key not in text
    assert t.has("demo-check-stage-detail") and t.has("demo-check-suppressed-detail")
    assert found.ok


@pytest.mark.parametrize("locale", LOCALES)
def test_every_phase_the_demo_times_has_a_name(locale: str) -> None:
    source = (Path(run.__file__)).read_text(encoding="utf-8")
    timed = set(re.findall(r'self\.timed\("(\w+)"', source))
    assert len(timed) >= 10
    assert all(translator(locale).has(f"demo-phase-{name}") for name in timed), timed


def test_the_english_demo_quotes_as_english_does() -> None:
    """The English run named its chats Telegram «StroyMarket — managers»: Russian guillemets in English text."""
    texts = [EN("demo-team-chat", name="N"), EN("demo-client-chat", name="N"), EN("demo-pressed", label="L")]
    assert [text for text in texts if "«" in text or "»" in text] == []
    assert EN("demo-team-chat", name="N") == "Telegram “N — managers”"
    assert RU("demo-team-chat", name="N") == "Telegram «N — менеджеры»"

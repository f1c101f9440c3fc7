"""Fluent catalogs (`locales/<lang>/*.ftl`, one file per feature): every user-facing text comes from here."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from fluent.runtime import FluentBundle, FluentResource

LOCALES_DIR = Path(__file__).resolve().parents[1] / "locales"
LOCALES = ("ru", "en")
DEFAULT_LOCALE = "ru"


def pick_locale(*candidates: str | None) -> str:
    """The first supported locale among the candidates (e.g. `/lang`, the platform's language), else Russian."""
    for candidate in candidates:
        if candidate:
            short = candidate.lower().split("-")[0].split("_")[0]
            if short in LOCALES:
                return short
    return DEFAULT_LOCALE


class Translator:
    """Formats messages of one locale. A key missing from the catalog is shown as the key (and a test fails)."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self._bundle = FluentBundle([locale], use_isolating=False)
        for path in sorted((LOCALES_DIR / locale).glob("*.ftl")):
            self._bundle.add_resource(FluentResource(path.read_text(encoding="utf-8")))

    def __call__(self, key: str, **params: Any) -> str:
        if not self._bundle.has_message(key):
            return key
        message = self._bundle.get_message(key)
        if message.value is None:
            return key
        text, _errors = self._bundle.format_pattern(message.value, params)
        return str(text)

    def has(self, key: str) -> bool:
        return self._bundle.has_message(key)


@lru_cache(maxsize=len(LOCALES))
def translator(locale: str) -> Translator:
    return Translator(pick_locale(locale))

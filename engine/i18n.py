"""Fluent catalogs (`locales/<lang>/*.ftl`, one file per feature): every user-facing text comes from here.

fluent.runtime refuses any placeable longer than 2,500 characters (`MAX_PART_LENGTH`, a guard against
expansion attacks) and then returns the whole message as `{???}`. A person who typed 5,000 characters got
exactly that instead of the error naming their mistake. So every string parameter is shortened (with an
ellipsis) below that limit before it reaches Fluent, and whatever Fluent still reports is logged.

A message is parsed when it is first asked for, with the messages and terms it refers to: Fluent's parser is
pure Python, and parsing all twenty files of a locale took a fifth of a `mailfleet console -c /whoami` that
needs two messages; parsing the files of the messages asked for still took an eighth of a `-c /help`, which
needs one message from each of thirteen files. The catalogs are cut into entries beforehand by a scan of the
lines that start an entry or a comment (`_BOUNDARY`), the one thing Fluent's grammar lets no pattern line do.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from fluent.runtime import FluentBundle
from fluent.runtime.types import FluentType
from fluent.syntax import FluentParser
from fluent.syntax import ast as fluent_ast
from fluent.syntax.visitor import Visitor

from engine.logging import get_logger

log = get_logger(__name__)

LOCALES_DIR = Path(__file__).resolve().parents[1] / "locales"
LOCALES = ("ru", "en")
DEFAULT_LOCALE = "ru"
PARAM_MAX_CHARS: Final = 2000
"""The longest string a placeable shows; fluent.runtime gives up on the whole message past 2,500 characters."""
ELLIPSIS: Final = "…"
_BOUNDARY: Final = re.compile(r"^(?:#|(-?[a-zA-Z][a-zA-Z0-9_-]*)[ \t]*=)", re.MULTILINE)
"""The start of a comment, or of a message or term (its identifier, captured, at the start of a line, then `=`).
An entry's text runs to the next one: a pattern's further lines are indented text, or the inside of a
placeable (`}`, `[key]`, `*[other]`, `.attribute`, an expression), and neither starts with `#` or `name =`."""
_PARSER: Final = FluentParser(with_spans=False)


def shorten(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, the cut marked with an ellipsis."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + ELLIPSIS


_NUMBER_RUN: Final = re.compile(r"(\d+)")


def natural_key(text: str) -> tuple[tuple[str | int, ...], str]:
    """The order people read names in: numbers by their value, the rest case-blind — d1, d2, d10, not d1, d10,
    d2 (`client-2` before `client-10`). Names equal so (d01, d1) keep an order, by their text."""
    parts = _NUMBER_RUN.split(text.casefold())  # text, number, text, …: the same kind at the same place
    return tuple(int(p) if i % 2 else p for i, p in enumerate(parts)), text


_CYRILLIC_LETTER: Final = re.compile(r"[\u0400-\u04ff]")
_LATIN_LETTER: Final = re.compile(r"[A-Za-z\u00c0-\u024f]")
_URLS_AND_FIELDS: Final = re.compile(r"https?://\S+|\S+@\S+")


def letter_locale(text: str, default: str) -> str:
    """The language of a letter's footer and unsubscribe line: the language the letter is written in — Russian
    when Cyrillic letters outnumber Latin ones, English when Latin ones outnumber Cyrillic (links and addresses
    aside), else `default` (the workspace's). The workspace's language is its people's chat language: an
    English-speaking agency writing to Russian leads sent a Russian letter ending "To stop receiving these
    emails…", which its reader need not understand (38-FZ asks for a refusal the recipient can use). The
    unsubscribe page speaks the language of the letter it came from the same way."""
    words = _URLS_AND_FIELDS.sub(" ", text)
    cyrillic, latin = len(_CYRILLIC_LETTER.findall(words)), len(_LATIN_LETTER.findall(words))
    if cyrillic > latin:
        return "ru"
    if latin > cyrillic:
        return "en"
    return default


def pick_locale(*candidates: str | None) -> str:
    """The first supported locale among the candidates (e.g. `/lang`, the platform's language), else Russian."""
    for candidate in candidates:
        if candidate:
            short = candidate.lower().split("-")[0].split("_")[0]
            if short in LOCALES:
                return short
    return DEFAULT_LOCALE


def spoken(language_code: str | None, default_locale: str) -> str:
    """The person's chat-app language (Telegram's `language_code`, Slack's user locale) when Mailfleet speaks it,
    else the install's default locale."""
    chosen = pick_locale(language_code)
    return chosen if (language_code or "").lower().startswith(chosen) else default_locale


class Translator:
    """Formats messages of one locale. A key missing from the catalog is shown as the key (and a test fails)."""

    def __init__(self, locale: str, directory: Path = LOCALES_DIR) -> None:
        self.locale = locale
        self._bundle = FluentBundle([locale], use_isolating=False)
        self._unparsed: dict[str, str] = {}  # message or term id (a term's with its "-") → its text, until asked
        self._lock = threading.Lock()  # a translator may be used off the event loop
        for path in sorted((directory / locale).glob("*.ftl")):
            for name, text in entries(path.read_text(encoding="utf-8")):
                self._unparsed.setdefault(name, text)  # the first definition, as a bundle of every file keeps

    def _load(self, name: str) -> None:
        """Parse message or term `name`, and what it refers to."""
        with self._lock:
            wanted = [name]
            while wanted:
                text = self._unparsed.pop(wanted.pop(), None)
                if text is not None:
                    resource = _PARSER.parse(text)
                    self._bundle.add_resource(resource)
                    wanted.extend(_references(resource))

    def __call__(self, key: str, **params: Any) -> str:
        if not self.has(key):
            return key
        message = self._bundle.get_message(key)
        if message.value is None:
            return key
        safe = {k: _param(k, v) for k, v in params.items()}
        text, errors = self._bundle.format_pattern(message.value, safe)
        if errors:
            log.warning(
                "message formatted with errors", message_key=key, locale=self.locale, errors=[str(e) for e in errors]
            )
        return str(text)

    def has(self, key: str) -> bool:
        if self._unparsed and not self._bundle.has_message(key):
            self._load(key)
        return self._bundle.has_message(key)


def entries(text: str) -> list[tuple[str, str]]:
    """The messages and terms of a catalog's text, in order: each id (a term's with its "-") and its text."""
    marks = list(_BOUNDARY.finditer(text))
    ends = [mark.start() for mark in marks[1:]] + [len(text)]
    return [(mark[1], text[mark.start() : end]) for mark, end in zip(marks, ends, strict=True) if mark[1]]


def _references(resource: fluent_ast.Resource) -> list[str]:
    """The messages and terms (`-name`) the resource's entries refer to."""
    found: list[str] = []

    class Collect(Visitor):
        def visit_MessageReference(self, node: fluent_ast.MessageReference) -> None:
            found.append(node.id.name)
            self.generic_visit(node)

        def visit_TermReference(self, node: fluent_ast.TermReference) -> None:
            found.append(f"-{node.id.name}")
            self.generic_visit(node)

    Collect().visit(resource)
    return found


def _param(name: str, value: Any) -> Any:
    """A value as Fluent should see it: long text shortened, and ids as plain digits (Fluent would group a
    number's digits, showing request #1234 as "#1,234" or "#1 234")."""
    if isinstance(value, FluentType):  # formats itself in the message's locale (a catalog name, a label)
        return value
    if isinstance(value, str):
        return shorten(value, PARAM_MAX_CHARS)
    if isinstance(value, int) and not isinstance(value, bool) and (name == "id" or name.endswith("_id")):
        return str(value)
    return value


@lru_cache(maxsize=len(LOCALES))
def translator(locale: str) -> Translator:
    return Translator(pick_locale(locale))

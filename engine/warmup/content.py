"""What warmup mail says: natural small business talk in Russian and English, and replies that quote naturally.

The words come from `corpus.toml` (spintax `{a|b}` and persona placeholders, see its header); this module only
chooses, with the `random.Random` it is given, so the same seed writes the same message (tests, the demo). Plain
text only: no links, images or tracking, and nothing that says what the messages are for.

Two functions are the interface the planner (new threads) and the inbox sync (replies) call:
`compose_warmup(rng, sender=, recipient=, locale=)` and `compose_reply(rng, parent_subject=, parent_body=,
sender=, recipient=, locale=)`, both returning `Composed(subject, body)`.
"""

from __future__ import annotations

import functools
import random
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, Final

from engine.warmup import Composed, Persona

LOCALES: Final = ("ru", "en")
MAX_QUOTED_LINES: Final = 40  # a long thread quotes its recent part only, as mail clients' users trim it

_PLACEHOLDER = re.compile(r"\[([^\[\]\w]*)(their_name|their_company|my_name|my_company)([^\[\]\w]*)\]")
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_REPLY_PREFIX = re.compile(r"^\s*(re|ответ|отв)\s*(\[\d+\])?\s*:", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Topic:
    keywords: tuple[str, ...]
    subjects: tuple[str, ...]
    bodies: tuple[str, ...]
    replies: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Corpus:
    greetings: tuple[str, ...]
    closings: tuple[str, ...]
    signatures: tuple[str, ...]
    attribution: str
    reply_openers: tuple[str, ...]
    generic_replies: tuple[str, ...]
    topics: tuple[_Topic, ...]


def compose_warmup(rng: random.Random, *, sender: Persona, recipient: Persona, locale: str) -> Composed:
    """A new conversation from `sender` to `recipient` in `locale` ("ru" or "en"; ValueError otherwise)."""
    corpus = _corpus(locale)
    topic = rng.choice(corpus.topics)
    values = _values(sender, recipient)
    parts = [
        _render(rng.choice(corpus.greetings), rng, values),
        _render(rng.choice(topic.bodies), rng, values),
        _render(rng.choice(corpus.closings), rng, values),
        _render(rng.choice(corpus.signatures), rng, values),
    ]
    return Composed(_one_line(_render(rng.choice(topic.subjects), rng, values)), _join(parts))


def compose_reply(
    rng: random.Random,
    *,
    parent_subject: str,
    parent_body: str,
    sender: Persona,
    recipient: Persona,
    locale: str,
) -> Composed:
    """`sender`'s answer to `recipient`'s message (`parent_subject`, `parent_body`): on the parent's topic when it
    can be recognised, with the parent quoted below an attribution line, and the subject "Re: …" (never stacked)."""
    corpus = _corpus(locale)
    values = _values(sender, recipient)
    new_text = "\n".join(line for line in parent_body.splitlines() if not line.lstrip().startswith(">"))
    topic = _topic_of(corpus, f"{parent_subject}\n{new_text}")
    answers = topic.replies if topic is not None and rng.random() < 0.8 else corpus.generic_replies
    parts = [
        _render(rng.choice(corpus.reply_openers), rng, values),
        _render(rng.choice(answers), rng, values),
        _render(rng.choice(corpus.closings), rng, values) if rng.random() < 0.5 else "",
        _render(rng.choice(corpus.signatures), rng, values),
    ]
    author = {**values, "their_name": _clean(recipient.name) or _clean(recipient.address)}
    quoted = _render(corpus.attribution, rng, author, capitalize=False) + "\n" + _quote(parent_body)
    subject = _one_line(parent_subject)
    if not _REPLY_PREFIX.match(subject):
        subject = f"Re: {subject}".rstrip()
    return Composed(subject, _join([*parts, quoted]))


def spin(template: str, rng: random.Random) -> str:
    """Expand spintax: each `{a|b|c}` becomes one of its alternatives (nested groups too), chosen by `rng`."""
    out: list[str] = []
    _spin_into(_compile(template), rng, out)
    return "".join(out)


_Spun = tuple["str | tuple[_Spun, ...]", ...]
"""A parsed template: literal text, or a group of parsed alternatives (one is chosen)."""


@functools.lru_cache(maxsize=4096)
def _compile(template: str) -> _Spun:
    """Parse spintax once (the corpus is small and spun thousands of times a day); ValueError when unbalanced."""
    parts: list[str | tuple[_Spun, ...]] = []
    i = text_from = 0
    while i < len(template):
        char = template[i]
        if char == "{":
            if text_from < i:
                parts.append(template[text_from:i])
            end = _closing(template, i)
            parts.append(tuple(_compile(alt) for alt in _alternatives(template[i + 1 : end])))
            i = text_from = end + 1
        elif char in "|}":
            raise ValueError(f"unbalanced spintax at {i}: {template!r}")
        else:
            i += 1
    if text_from < len(template):
        parts.append(template[text_from:])
    return tuple(parts)


def _spin_into(parsed: _Spun, rng: random.Random, out: list[str]) -> None:
    # the same choices in the same order as reading the template left to right: a seed writes the same text
    for part in parsed:
        if isinstance(part, str):
            out.append(part)
        else:
            _spin_into(rng.choice(part), rng, out)


def _closing(text: str, start: int) -> int:
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
    raise ValueError(f"unbalanced spintax at {start}: {text!r}")


def _alternatives(inner: str) -> list[str]:
    parts, depth, last = [], 0, 0
    for i, char in enumerate(inner):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if char == "|" and depth == 0:
            parts.append(inner[last:i])
            last = i + 1
    parts.append(inner[last:])
    return parts


def _render(template: str, rng: random.Random, values: Mapping[str, str], *, capitalize: bool = True) -> str:
    """Spin, then fill the personas (after spinning, so a name with braces is never read as spintax), then start
    every line with a capital letter (a greeting whose name was left out must not start in lower case)."""

    def fill(match: re.Match[str]) -> str:
        value = values.get(match.group(2), "")
        return f"{match.group(1)}{value}{match.group(3)}" if value else ""

    lines = [line for line in _PLACEHOLDER.sub(fill, spin(template, rng)).strip().splitlines() if line.strip()]
    return "\n".join(line[:1].upper() + line[1:] if capitalize else line for line in lines)


def _values(sender: Persona, recipient: Persona) -> dict[str, str]:
    return {
        "their_name": _first_name(recipient.name),
        "their_company": _clean(recipient.company),
        "my_name": _clean(sender.name),
        "my_company": _clean(sender.company),
    }


def _first_name(name: str) -> str:
    words = _clean(name).split()
    return words[0] if words else ""


def _clean(value: str) -> str:
    """A persona value as one line of text (it comes from imports: no control characters, no line breaks)."""
    return " ".join(_UNSAFE.sub(" ", value).split())[:100]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _join(parts: Sequence[str]) -> str:
    return "\n\n".join(p for p in parts if p) + "\n"


def _quote(body: str) -> str:
    lines = body.rstrip().splitlines()[:MAX_QUOTED_LINES]
    return "\n".join((">" if line.startswith(">") else "> ") + line if line else ">" for line in lines)


def _topic_of(corpus: _Corpus, text: str) -> _Topic | None:
    lowered = text.lower()
    return next((t for t in corpus.topics if any(k in lowered for k in t.keywords)), None)


def _corpus(locale: str) -> _Corpus:
    corpora = _load()
    if locale not in corpora:
        raise ValueError(f"no warmup corpus for locale {locale!r} (have {', '.join(sorted(corpora))})")
    return corpora[locale]


@functools.cache
def _load() -> dict[str, _Corpus]:
    raw = tomllib.loads(resources.files(__package__).joinpath("corpus.toml").read_text("utf-8"))
    return {locale: _parse(raw[locale]) for locale in LOCALES}


def _parse(data: Mapping[str, Any]) -> _Corpus:
    def strings(values: Any) -> tuple[str, ...]:
        return tuple(str(v) for v in values)

    return _Corpus(
        greetings=strings(data["greetings"]),
        closings=strings(data["closings"]),
        signatures=strings(data["signatures"]),
        attribution=str(data["attribution"]),
        reply_openers=strings(data["reply_openers"]),
        generic_replies=strings(data["generic_replies"]),
        topics=tuple(
            _Topic(strings(t["keywords"]), strings(t["subjects"]), strings(t["bodies"]), strings(t["replies"]))
            for t in data["topics"]
        ),
    )

"""The content check before a launch: what would block it (errors) and what deserves a second look (warnings).

Pure: it takes the variants' subject and body templates of one step and what the caller knows (the fields the
campaign's leads have, whether the workspace has a sender identity), and returns findings. Errors block a
launch; warnings need the manager's explicit override.

- errors: no sender identity (`Workspace.sender_name`/`sender_address` — the footer every message carries,
  38-FZ art. 18 and the mailbox providers' sender rules); a template that does not parse; a placeholder that is
  no lead field, no custom column of the campaign's leads and has no fallback; an empty variant, or one whose
  spintax can draw nothing (`{{Привет|}}` alone); HTML tags, which would reach the lead as written; a body so
  long that our footer and unsubscribe line would not fit;
- warnings: spam-trigger words (ru and en, `spam_words.toml`), caps-lock runs, a row of exclamation marks, more
  than `MAX_LINKS` links, a body shorter than `BODY_MIN_CHARS` or longer than `BODY_MAX_CHARS`, a subject longer
  than `SUBJECT_MAX_CHARS` (what most clients show).

Lengths are measured on a rendering with sample values (seeded, so the result never changes between runs).
"""

from __future__ import annotations

import difflib
import random
import re
import tomllib
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Final, Literal

from engine.campaigns.template import MAX_OUTPUT_CHARS, Template, field_key, parse
from engine.errors import UserError
from engine.i18n import translator

BASE_FIELDS: Final = frozenset({"email", "first_name", "last_name", "company", "sender_name", "sender_company"})
"""Fields every lead (and every sender) has; custom columns come on top."""

MAX_LINKS: Final = 2  # more links look like a newsletter to filters, and a cold letter needs one at most
BODY_MIN_CHARS: Final = 50
BODY_MAX_CHARS: Final = 2_000
SUBJECT_MAX_CHARS: Final = 78  # what mail clients show before they cut a subject
FOOTER_RESERVE_CHARS: Final = 1_000  # sender name and address, the unsubscribe line with its URL
MAX_WORDS_SHOWN: Final = 10
TYPO_CUTOFF: Final = 0.8  # difflib's similarity above which an unknown field is taken for a misspelt known one
MAX_EXCLAMATIONS: Final = 3

Severity = Literal["error", "warning"]

_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"'«»]+", re.IGNORECASE)
_HTML_TAG = re.compile(
    r"</?(?P<name>p|br|b|i|u|s|a|div|span|strong|em|ul|ol|li|h[1-6]|table|tbody|thead|tr|td|th|img|font|html|head|"
    r"body|center|hr|blockquote|style|meta|!doctype)(?=[\s/>])[^<>]{0,1000}>",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W\d_]+")
_CAPS_MIN_WORD = 3
_CAPS_MIN_LETTERS = 8
_SPAM_FILE = Path(__file__).with_name("spam_words.toml")


@dataclass(frozen=True, slots=True)
class Finding:
    """One result of the check: `key` names a locale message, `params` fill it."""

    key: str
    severity: Severity
    params: dict[str, str | int] = field(default_factory=dict)


def variant_letter(index: int) -> str:
    """A, B, C, … as the chat shows variants."""
    return chr(ord("A") + index) if index < 26 else str(index + 1)


def check_content(
    variants: Sequence[tuple[str, str]],
    *,
    known_fields: Collection[str],
    locale: str,
    has_identity: bool,
) -> list[Finding]:
    """Check one step's variants (subject, body). `known_fields`: the custom columns seen in the campaign's
    leads (the base fields are always known). Returns errors first, then warnings."""
    t = translator(locale)
    known = BASE_FIELDS | {field_key(name) for name in known_fields}
    findings: list[Finding] = []
    if not has_identity:
        findings.append(Finding("content-missing-identity", "error"))
    if not variants:
        findings.append(Finding("content-no-variants", "error"))
    for index, (subject, body) in enumerate(variants):
        words = (t("content-part-subject"), t("content-part-body"))
        findings += _check_variant(index, subject, body, known=known, locale=locale, words=words)
    return sorted(findings, key=lambda f: f.severity != "error")


def _check_variant(
    index: int, subject_src: str, body_src: str, *, known: frozenset[str], locale: str, words: tuple[str, str]
) -> list[Finding]:
    letter = variant_letter(index)
    t = translator(locale)
    found: list[Finding] = []
    for part, text in zip(words, (subject_src, body_src), strict=True):
        if not text.strip():
            found.append(Finding("content-empty-variant", "error", {"variant": letter, "part": part}))
    if found:
        return found
    templates: list[Template] = []
    for part, text in (("subject", subject_src), ("body", body_src)):
        where = t(f"content-where-{part}", variant=letter)
        try:
            templates.append(parse(text, where=where))
        except UserError as exc:
            found.append(Finding(exc.key, "error", dict(exc.params)))
    if found:
        return found
    if blank := _blank(letter, words, templates):
        return blank
    found += _html_found(letter, f"{subject_src}\n{body_src}")
    subject, body = templates
    required = subject.required | body.required
    typos = typo_fields((subject.placeholders | body.placeholders) - known, known)
    # a fallback hides a misspelt field for good ("{firts_name|коллега}" reads "коллега" in every email): a warning
    levels: tuple[tuple[Severity, bool], ...] = (("error", True), ("warning", False))
    for severity, without_fallback in levels:
        pairs = [f"{{{n}}} → {{{m}}}" for n, m in sorted(typos.items()) if (n in required) is without_fallback]
        if pairs:
            params: dict[str, str | int] = {"variant": letter, "names": ", ".join(pairs[:MAX_WORDS_SHOWN])}
            found.append(Finding("content-placeholder-typo", severity, params))
    unknown = sorted(required - known - typos.keys())
    if unknown:
        names = ", ".join("{" + n + "}" for n in unknown[:MAX_WORDS_SHOWN])
        found.append(Finding("content-unknown-placeholder", "error", {"variant": letter, "names": names}))
    try:
        fields = sample_fields(locale, subject.placeholders | body.placeholders)
        rng = random.Random(index)
        subject_text = subject.render(fields, rng).strip()
        body_text = body.render(fields, rng).strip()
    except UserError as exc:
        return [*found, Finding(exc.key, "error", dict(exc.params))]
    if len(body_text) + FOOTER_RESERVE_CHARS > MAX_OUTPUT_CHARS:
        found.append(Finding("content-footer-does-not-fit", "error", {"variant": letter}))
    found += _warnings(letter, subject_src, body_src, subject_text, body_text)
    return found


def _blank(letter: str, words: tuple[str, str], templates: list[Template]) -> list[Finding]:
    """The parts (subject, body) whose spintax can draw nothing — "{{}}", "{{Привет|}}" alone: a letter, or a
    subject, of nothing for some leads."""
    return [
        Finding("content-blank-render", "error", {"variant": letter, "part": part})
        for part, template in zip(words, templates, strict=True)
        if template.may_render_blank
    ]


def _html_found(letter: str, text: str) -> list[Finding]:
    tags = html_tags(text)
    return [Finding("content-html-tags", "error", {"variant": letter, "tags": ", ".join(tags)})] if tags else []


def typo_fields(unknown: Iterable[str], known: Collection[str]) -> dict[str, str]:
    """The unknown field names that misspell a known one (`firts_name` → `first_name`), with that one."""
    near = {name: difflib.get_close_matches(name, sorted(known), n=1, cutoff=TYPO_CUTOFF) for name in unknown}
    return {name: match[0] for name, match in near.items() if match}


def _warnings(letter: str, subject_src: str, body_src: str, subject_text: str, body_text: str) -> list[Finding]:
    found: list[Finding] = []
    source = f"{subject_src}\n{body_src}"
    words = spam_words(source)
    if words:
        found.append(Finding("content-spam-words", "warning", {"variant": letter, "words": ", ".join(words)}))
    caps = caps_runs(source)
    if caps:
        found.append(Finding("content-caps", "warning", {"variant": letter, "words": ", ".join(caps)}))
    marks = source.count("!")
    if "!!" in source or marks > MAX_EXCLAMATIONS:
        found.append(Finding("content-exclamations", "warning", {"variant": letter, "count": marks}))
    links = count_links(body_src)
    if links > MAX_LINKS:
        found.append(
            Finding("content-too-many-links", "warning", {"variant": letter, "count": links, "limit": MAX_LINKS})
        )
    if len(body_text) < BODY_MIN_CHARS:
        found.append(
            Finding(
                "content-body-too-short",
                "warning",
                {"variant": letter, "length": len(body_text), "limit": BODY_MIN_CHARS},
            )
        )
    elif len(body_text) > BODY_MAX_CHARS:
        found.append(
            Finding(
                "content-body-too-long",
                "warning",
                {"variant": letter, "length": len(body_text), "limit": BODY_MAX_CHARS},
            )
        )
    if len(subject_text) > SUBJECT_MAX_CHARS:
        params: dict[str, str | int] = {"variant": letter, "length": len(subject_text), "limit": SUBJECT_MAX_CHARS}
        found.append(Finding("content-subject-too-long", "warning", params))
    return found


def sample_fields(locale: str, names: Iterable[str] = ()) -> dict[str, str]:
    """Plausible values for every field (a test send, a preview without a lead, the length check)."""
    t = translator(locale)
    fields = {name: t("content-sample-custom") for name in names}
    fields |= {
        "email": t("content-sample-email"),
        "first_name": t("content-sample-first-name"),
        "last_name": t("content-sample-last-name"),
        "company": t("content-sample-company"),
        "sender_name": t("content-sample-sender-name"),
        "sender_company": t("content-sample-sender-company"),
    }
    return fields


@lru_cache(maxsize=1)
def _spam_patterns() -> tuple[re.Pattern[str], ...]:
    data = tomllib.loads(_SPAM_FILE.read_text(encoding="utf-8"))
    entries = sorted({str(e).strip().casefold() for lang in ("ru", "en") for e in data.get(lang, []) if str(e).strip()})
    return tuple(_pattern(e) for e in entries)


def _pattern(entry: str) -> re.Pattern[str]:
    star = entry.endswith("*")
    core = entry.rstrip("*")
    body = r"\s+".join(re.escape(part) for part in core.split())
    head = r"(?<!\w)" if re.match(r"\w", core) else ""
    tail = r"\w*" if star else (r"(?!\w)" if re.search(r"\w\Z", core) else "")
    return re.compile(head + body + tail, re.IGNORECASE)


def spam_words(text: str) -> list[str]:
    """The spam-trigger words and phrases found in `text`, as written there (lower case, each once, at most
    `MAX_WORDS_SHOWN`)."""
    found: dict[str, None] = {}
    for pattern in _spam_patterns():
        for match in pattern.finditer(text):
            found.setdefault(" ".join(match.group().casefold().split()), None)
    return sorted(found)[:MAX_WORDS_SHOWN]


def caps_runs(text: str) -> list[str]:
    """Runs of words in capitals: two or more words of 3+ letters, or one word of `_CAPS_MIN_LETTERS`+ letters
    (a short acronym such as CRM or ООО alone is fine)."""
    runs: list[list[str]] = []
    current: list[str] = []
    last_end = -1
    for match in _WORD.finditer(text):
        word = match.group()
        shouty = len(word) >= _CAPS_MIN_WORD and word.isupper()
        adjacent = last_end >= 0 and not re.search(r"[^\W\d_]|\n", text[last_end : match.start()])
        if shouty and current and adjacent:
            current.append(word)
        elif shouty:
            current = [word]
            runs.append(current)
        else:
            current = []
        last_end = match.end()
    shown = [
        " ".join(run)
        for run in runs
        if (len(run) >= 2 and sum(map(len, run)) >= _CAPS_MIN_LETTERS)
        or (len(run) == 1 and len(run[0]) >= _CAPS_MIN_LETTERS)
    ]
    return list(dict.fromkeys(shown))[:MAX_WORDS_SHOWN]


def html_tags(text: str) -> list[str]:
    """The HTML tags a template holds (`<p>`, `<a>`, …, each once, at most `MAX_WORDS_SHOWN`): a letter is written
    as plain text (the HTML part of an `html` campaign is made from it), so a tag would reach the lead as written."""
    names = (f"<{m['name'].lower()}>" for m in _HTML_TAG.finditer(text))
    return list(dict.fromkeys(names))[:MAX_WORDS_SHOWN]


def first_html_tag(text: str) -> int:
    """Where the first HTML tag of `text` starts (`html_tags`), -1 with none."""
    found = _HTML_TAG.search(text)
    return found.start() if found else -1


def count_links(text: str) -> int:
    """How many distinct links (http, https, www.) the text holds."""
    return len({m.group().rstrip(".,;:!?)]}") for m in _URL.finditer(text)})

"""The steps text of a campaign: a sequence of steps, each in one or more A/B variants, typed or sent as a .txt.

Pure: text in, `StepSpec`s out, or a `UserError` naming the step, the variant and the line. The format (the
locale help `campaign-steps-help` shows it to people)::

    Тема: Привет, {first_name|коллега}
    Текст первого письма…

    === вариант B вес 30
    Тема: Вопрос про {company}
    Другой текст…

    --- шаг 2 через 3 дня
    Текст второго письма (без темы: ответ в той же ветке)

    --- шаг 3 через 2 рабочих дня
    …

In English: `--- step 2 after 3 days`, `--- step 3 after 2 business days`, `=== variant B weight 30`,
`Subject: …`. A header may put a colon, a dash or brackets around its delay ("--- Шаг 2: через 3 дня",
"(через 3 раб. дня)"), and a delay may be in weeks ("через неделю", "after 2 weeks": seven days each).

Step 1 starts at the top (a `--- шаг 1` header is allowed); each later step says its delay after the previous one,
in calendar or business (Monday–Friday) days. A step's first variant is A, implicit unless a
`=== вариант A` header opens the step. A weight is a share in percent: variants without one split what the others
leave of 100; when every variant has one they are relative. A follow-up has one variant (for every lead) or as
many as step 1 (a lead keeps its step-1 variant letter). Step 1 needs a subject; a follow-up without one gets
"Re: " and the subject of step 1 (of the same variant), as a reply in the same thread. A subject line is
"Тема:" or "Subject:" ("Тема письма:", "Subject line:").

Templates themselves (placeholders, spintax) are checked by `engine.campaigns.template.parse` in the service;
here only the structure and the bounds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from engine.errors import UserError

MAX_STEPS: Final = 10
"""Steps in one sequence: longer sequences only annoy people who did not answer the first three."""
MAX_VARIANTS: Final = 5
"""A/B variants of one step: more splits the leads too thin to tell which works."""
MAX_TEMPLATE_CHARS: Final = 20_000
"""One body template (characters): far above any cold email, small enough to render fast per send."""
MAX_SUBJECT_CHARS: Final = 300
"""One subject template (characters, one line)."""
MAX_TEXT_CHARS: Final = MAX_STEPS * MAX_VARIANTS * (MAX_TEMPLATE_CHARS + MAX_SUBJECT_CHARS + 200)
"""The whole steps text: every step and variant at its largest, with their headers. Checked before parsing."""
MAX_DELAY_DAYS: Final = 90
"""The longest pause between two steps."""
MAX_WEIGHT: Final = 100
LETTERS: Final = "ABCDE"
_CYRILLIC: Final = {"А": "A", "Б": "B", "В": "BC", "С": "C", "Г": "CD", "Д": "DE", "Е": "E"}
"""What a Cyrillic variant letter may stand for, read as the letter the sequence expects next: in the Russian
alphabet (А, Б, В, Г, Д: A to E) or as a Latin look-alike typed on a Russian keyboard (В for B, С for C, Е for E)."""


def variant_named(typed: str, count: int, step: int) -> int:
    """The index of the variant a typed letter names in step `step` of `count` variants (/campaign_preview,
    /campaign_test): a Latin letter, or a Cyrillic one read as the sequence parser reads it (`_CYRILLIC`: the
    Russian alphabet or a Latin look-alike). Of its readings, the one the step has is meant; a letter two of whose
    readings the step has (В with three variants: B or C) is refused, naming both, rather than guessed.

    Raises `UserError("error-campaign-variant-letter")` (no letter of a variant),
    `UserError("error-campaign-variant-ambiguous")`, `UserError("error-content-variant-not-found")`."""
    letter = typed.strip().upper()
    readings = _CYRILLIC.get(letter, letter if len(letter) == 1 and letter in LETTERS else "")
    if not readings:
        raise UserError("error-campaign-variant-letter", letters=", ".join(LETTERS))
    present = [r for r in readings if r in LETTERS[:count]]
    if len(present) > 1:
        raise UserError("error-campaign-variant-ambiguous", typed=typed.strip(), step=step, choices=" / ".join(present))
    if not present:
        raise UserError("error-content-variant-not-found", step=step, variant=letter)  # as typed: "нет варианта В"
    return LETTERS.index(present[0])


_STEP = re.compile(
    r"---\s*(?:шаг|step)\s+(?P<n>\d{1,3})\s*[:.]?"
    r"(?P<after>\s*[,(\-–—]?\s*(?:через|after|in)\s+(?P<d>\d{1,4})?\s*(?P<unit>[^\d()]+?)\s*\)?)?\s*\.?\s*",
    re.IGNORECASE,
)
_BUSINESS = re.compile(
    r"(?:(?:рабоч\w*|раб\.?)\s*(?:день|дня|дней|дн\.?)|(?:business|working)\s+days?|workdays?)", re.IGNORECASE
)
_CALENDAR = re.compile(
    r"(?:(?:календарн\w*\s+)?(?:день|дня|дней|дн\.?|суток|сутки)|(?:calendar\s+)?days?)", re.IGNORECASE
)
_WEEKS = re.compile(r"(?:недел[юиья]|недель|нед\.?|weeks?)", re.IGNORECASE)
"""A delay in weeks ("через неделю", "after 2 weeks"): seven calendar days each."""
_VARIANT = re.compile(
    r"===\s*(?:вариант|variant)\s+(?P<v>[A-Za-zА-Яа-я])(?:\s*(?:,\s*)?(?:вес|weight)\s+(?P<w>\d{1,4})\s*%?)?\s*",
    re.IGNORECASE,
)
_DASHED_STEP = re.compile(r"(?:--|[—–])[-—–]*\s*(?=(?:шаг|step)\s)", re.IGNORECASE)
"""A step header whose "---" a phone or a chat app turned into a dash ("— шаг 2", "–- step 2") or cut to "--":
read as "---" when the word "шаг"/"step" follows, so a "-- Анна" signature stays text."""
_SUBJECT = re.compile(r"(?:тема(?:\s+письма)?|subject(?:\s+line)?)\s*:\s?(?P<s>.*)", re.IGNORECASE)
"""A subject line: "Тема:", "Тема письма:", "Subject:", "Subject line:" — a follow-up's first line that says it is the
subject and is not read as one would go out as the first line of its text."""


@dataclass(frozen=True, slots=True)
class VariantSpec:
    """One variant of a step: its templates and weight, and the line its text starts on (for later errors)."""

    letter: str
    subject: str
    body: str
    weight: int
    line: int  # the first line of the body
    subject_line: int = 0  # the line of the subject (0: none)


@dataclass(frozen=True, slots=True)
class StepSpec:
    """One step: `number` (1 = the first), sent `delay_days` (business days when `business_days`) after the
    previous step."""

    number: int
    delay_days: int
    business_days: bool
    variants: tuple[VariantSpec, ...]
    line: int

    def to_json(self, first: StepSpec | None = None) -> list[dict[str, str | int]]:
        """`Step.variants`: `[{"subject", "body", "weight"}]`, for storing after step 1 (`first`).

        A follow-up written with one variant is stored once per variant of step 1 (a lead keeps the variant index
        drawn at step 1, so every index must exist in every step); a follow-up without a subject gets "Re: " and
        the step-1 subject of the same variant.
        """
        count = len(first.variants) if first is not None and len(self.variants) == 1 else len(self.variants)
        stored: list[dict[str, str | int]] = []
        for index in range(count):
            variant = self.variants[min(index, len(self.variants) - 1)]
            subject = variant.subject
            if not subject and first is not None:
                subject = f"Re: {first.variants[min(index, len(first.variants) - 1)].subject}"
            stored.append({"subject": subject, "body": variant.body, "weight": variant.weight})
        return stored


@dataclass
class _Variant:
    letter: str
    weight: int | None
    line: int
    lines: list[tuple[int, str]]


@dataclass
class _Step:
    number: int
    delay_days: int
    business_days: bool
    line: int
    variants: list[_Variant]


def parse_steps(text: str) -> list[StepSpec]:
    """The steps of `text` (format in the module docstring).

    Raises `UserError` with keys `error-campaign-steps-*`: the text too long or empty, a header that is not
    understood (`line`), steps or variants out of order, too many of them, a delay or weight out of bounds, a
    missing subject or body, a template too long — each naming the step, the variant and the line.
    """
    if len(text) > MAX_TEXT_CHARS:
        raise UserError("error-campaign-steps-text-too-long", length=len(text), max=MAX_TEXT_CHARS)
    parser = _Parser()
    for number, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1):
        line = raw.strip()
        if not line.startswith("---") and (dashed := _DASHED_STEP.match(line)):
            line = "--- " + line[dashed.end() :]
        if line.startswith("---"):
            parser.step(_step_header(line, number, typed=raw.strip()), number)
        elif line.startswith("==="):
            parser.variant(*_variant_header(line, number), number)
        else:
            parser.steps[-1].variants[-1].lines.append((number, raw.rstrip()))
    if len(parser.steps) == 1 and not _has_text(parser.steps[0]):
        raise UserError("error-campaign-steps-empty")
    return _finish(parser.steps)


class _Parser:
    """The steps read so far; step 1 and its variant A are open from the first line."""

    def __init__(self) -> None:
        self.steps: list[_Step] = [_Step(1, 0, False, 1, [_Variant("A", None, 1, [])])]

    def step(self, head: _Header, number: int) -> None:
        if head.number == 1 and len(self.steps) == 1 and not _has_text(self.steps[0]):  # an explicit "step 1"
            if head.delay_days:
                raise UserError("error-campaign-steps-first-delay", line=number)
            self.steps[0] = _Step(1, 0, False, number, [_Variant("A", None, number + 1, [])])
            return
        expected = len(self.steps) + 1
        if head.number != expected:
            raise UserError("error-campaign-steps-order", line=number, expected=expected, found=head.number)
        if head.delay_days == 0:
            raise UserError("error-campaign-steps-no-delay", line=number, step=head.number)
        if len(self.steps) >= MAX_STEPS:
            raise UserError("error-campaign-steps-too-many", max=MAX_STEPS, line=number)
        variant = _Variant("A", None, number + 1, [])
        self.steps.append(_Step(head.number, head.delay_days, head.business_days, number, [variant]))

    def variant(self, typed: str, weight: int | None, number: int) -> None:
        step = self.steps[-1]
        if typed in {"A", "А"} and len(step.variants) == 1 and not _has_lines(step.variants[0]):  # an explicit "A"
            step.variants[0] = _Variant("A", weight, number + 1, [])
            return
        if len(step.variants) >= MAX_VARIANTS:
            raise UserError("error-campaign-steps-too-many-variants", step=step.number, max=MAX_VARIANTS, line=number)
        expected = LETTERS[len(step.variants)]
        readings = _CYRILLIC.get(typed, typed)
        letter = expected if expected in readings else readings[0]
        if letter != expected:
            raise UserError(
                "error-campaign-steps-variant-order", line=number, step=step.number, expected=expected, found=letter
            )
        step.variants.append(_Variant(letter, weight, number + 1, []))


@dataclass(frozen=True, slots=True)
class _Header:
    number: int
    delay_days: int
    business_days: bool


def _step_header(line: str, number: int, *, typed: str) -> _Header:
    """The header `line` (its dashes made "---"); errors quote it as `typed`."""
    match = _STEP.fullmatch(line)
    if match is None:
        raise UserError("error-campaign-steps-header", line=number, text=typed[:60])
    step = int(match["n"])
    if match["after"] is None:
        return _Header(step, 0, False)
    delay = int(match["d"] or 1)  # "через неделю", "через день": one
    unit = match["unit"].strip()
    if _BUSINESS.fullmatch(unit):
        business = True
    elif _CALENDAR.fullmatch(unit):
        business = False
    elif _WEEKS.fullmatch(unit):
        delay, business = delay * 7, False
    else:
        raise UserError("error-campaign-steps-header", line=number, text=typed[:60])
    if step > 1 and not 1 <= delay <= MAX_DELAY_DAYS:
        raise UserError("error-campaign-steps-delay", line=number, step=step, min=1, max=MAX_DELAY_DAYS)
    return _Header(step, delay, business)


def _variant_header(line: str, number: int) -> tuple[str, int | None]:
    match = _VARIANT.fullmatch(line)
    if match is None:
        raise UserError("error-campaign-steps-header", line=number, text=line[:60])
    letter = match["v"].upper()  # a Cyrillic one is read by the parser, which knows the letter expected next
    if letter not in _CYRILLIC and not "A" <= letter <= "Z":  # past E: refused by the count, which says the bound
        raise UserError("error-campaign-steps-variant-letter", line=number, letters=", ".join(LETTERS))
    weight = None if match["w"] is None else int(match["w"])
    if weight is not None and not 1 <= weight <= MAX_WEIGHT:
        raise UserError("error-campaign-steps-weight", line=number, min=1, max=MAX_WEIGHT)
    return letter, weight


def _has_lines(variant: _Variant) -> bool:
    return any(text.strip() for _, text in variant.lines)


def _has_text(step: _Step) -> bool:
    return any(_has_lines(v) for v in step.variants)


def _finish(steps: list[_Step]) -> list[StepSpec]:
    specs: list[StepSpec] = []
    first_count = len(steps[0].variants)
    for step in steps:
        count = len(step.variants)
        if step.number > 1 and count not in {1, first_count}:
            raise UserError(
                "error-campaign-steps-variant-count", step=step.number, count=count, first=first_count, line=step.line
            )
        weights = _weights(step)
        variants = tuple(_variant(step, v, w) for v, w in zip(step.variants, weights, strict=True))
        specs.append(StepSpec(step.number, step.delay_days, step.business_days, variants, step.line))
    return specs


def _weights(step: _Step) -> list[int]:
    given = [v.weight for v in step.variants]
    missing = sum(1 for w in given if w is None)
    if not missing:
        return [int(w or 0) for w in given]
    left = MAX_WEIGHT - sum(w for w in given if w is not None)
    if left < missing:
        raise UserError("error-campaign-steps-weights-over", step=step.number, line=step.line)
    share = left // missing
    return [share if w is None else w for w in given]


def _variant(step: _Step, variant: _Variant, weight: int) -> VariantSpec:
    lines = list(variant.lines)
    while lines and not lines[0][1].strip():
        lines.pop(0)
    where = {"step": step.number, "variant": variant.letter}
    subject = ""
    start = lines[0][0] if lines else variant.line
    subject_line = 0
    if lines and (match := _SUBJECT.fullmatch(lines[0][1].strip())):
        subject = match["s"].strip()
        subject_line = start
        lines.pop(0)
        if not subject:
            raise UserError("error-campaign-steps-no-subject", line=start, **where)
        if len(subject) > MAX_SUBJECT_CHARS:
            raise UserError("error-campaign-steps-subject-long", line=start, max=MAX_SUBJECT_CHARS, **where)
    elif step.number == 1:
        raise UserError("error-campaign-steps-no-subject", line=start, **where)
    while lines and not lines[0][1].strip():
        lines.pop(0)
    while lines and not lines[-1][1].strip():
        lines.pop()
    if not lines:
        raise UserError("error-campaign-steps-no-body", line=start, **where)
    body = "\n".join(text for _, text in lines)
    if len(body) > MAX_TEMPLATE_CHARS:
        raise UserError(
            "error-campaign-steps-body-long", line=lines[0][0], length=len(body), max=MAX_TEMPLATE_CHARS, **where
        )
    return VariantSpec(variant.letter, subject, body, weight, lines[0][0], subject_line)

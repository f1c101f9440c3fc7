"""The campaign steps text and the campaign settings typed in chat: pure parsers."""

from __future__ import annotations

import datetime as dt

import pytest

from engine.campaigns.options import parse_settings, parse_weekdays, parse_window, split_pairs, weekdays_text
from engine.campaigns.service import _parse
from engine.campaigns.steps import (
    MAX_STEPS,
    MAX_TEMPLATE_CHARS,
    MAX_TEXT_CHARS,
    MAX_VARIANTS,
    parse_steps,
    variant_named,
)
from engine.errors import UserError
from engine.i18n import translator

RU = """Тема: Привет, {first_name|коллега}
Первое письмо.

Вторая строка.
=== вариант B вес 30
Тема: Вопрос
Письмо B

--- шаг 2 через 3 дня
Второе письмо
--- шаг 3 через 2 рабочих дня
Тема: Последнее
Третье
"""

EN = """--- step 1
=== variant A weight 60
Subject: Hi
First
=== variant B weight 40
Subject: Hello
Also first
--- step 2 after 1 business day
Follow-up
--- Step 3 After 10 Days
=== variant A
Last A
=== variant B
Last B
"""


def refused(text: str) -> UserError:
    with pytest.raises(UserError) as caught:
        parse_steps(text)
    return caught.value


def test_russian_headers_delays_and_variants() -> None:
    first, second, third = parse_steps(RU)
    assert (first.number, first.delay_days, [v.letter for v in first.variants]) == (1, 0, ["A", "B"])
    a, b = first.variants
    assert (a.subject, a.body, a.weight) == ("Привет, {first_name|коллега}", "Первое письмо.\n\nВторая строка.", 70)
    assert (b.subject, b.body, b.weight) == ("Вопрос", "Письмо B", 30)
    assert (second.delay_days, second.business_days, second.variants[0].subject) == (3, False, "")
    assert (third.delay_days, third.business_days, third.variants[0].subject) == (2, True, "Последнее")
    assert second.to_json(first) == [
        {"subject": "Re: Привет, {first_name|коллега}", "body": "Второе письмо", "weight": 100},
        {"subject": "Re: Вопрос", "body": "Второе письмо", "weight": 100},
    ]
    assert third.to_json(first) == [{"subject": "Последнее", "body": "Третье", "weight": 100}] * 2
    assert first.to_json() == [{"subject": a.subject, "body": a.body, "weight": 70}, {"subject": "Вопрос",
                               "body": "Письмо B", "weight": 30}]  # fmt: skip


def test_english_headers_any_case_and_explicit_first_step_and_variant() -> None:
    first, second, third = parse_steps(EN)
    assert [(v.letter, v.weight) for v in first.variants] == [("A", 60), ("B", 40)]
    assert (second.delay_days, second.business_days) == (1, True)
    assert (third.delay_days, third.business_days) == (10, False)
    assert [(v.body, v.weight) for v in third.variants] == [("Last A", 50), ("Last B", 50)]


def test_relative_weights_when_every_variant_has_one_and_crlf_lines() -> None:
    [step] = parse_steps("Subject: a\r\nA\r\n=== variant B weight 3\r\nSubject: b\r\nB\r\n".replace(
        "Subject: a", "=== variant A weight 1\r\nSubject: a"))  # fmt: skip
    assert [(v.weight, v.body) for v in step.variants] == [(1, "A"), (3, "B")]


def test_the_locale_samples_parse() -> None:
    for locale in ("ru", "en"):
        steps = parse_steps(translator(locale)("campaign-steps-sample"))
        assert [s.number for s in steps] == [1, 2, 3] and steps[2].business_days


@pytest.mark.parametrize(
    ("text", "key", "params"),
    [
        ("", "error-campaign-steps-empty", {}),
        ("\n\n", "error-campaign-steps-empty", {}),
        ("Просто текст", "error-campaign-steps-no-subject", {"line": 1, "step": 1, "variant": "A"}),
        ("Тема: x\n", "error-campaign-steps-no-body", {"line": 1, "step": 1, "variant": "A"}),
        ("Тема:   \nтело", "error-campaign-steps-no-subject", {"line": 1, "step": 1, "variant": "A"}),
        (
            "Subject: a\nb\n--- step 3 after 2 days\nc",
            "error-campaign-steps-order",
            {"line": 3, "expected": 2, "found": 3},
        ),
        ("Subject: a\nb\n--- step 2\nc", "error-campaign-steps-no-delay", {"line": 3, "step": 2}),
        (
            "Subject: a\nb\n--- шаг 2 через 0 дней\nc",
            "error-campaign-steps-delay",
            {"line": 3, "step": 2, "min": 1, "max": 90},
        ),
        (
            "Subject: a\nb\n--- шаг 2 через 3 часа\nc",
            "error-campaign-steps-header",
            {"line": 3, "text": "--- шаг 2 через 3 часа"},
        ),
        ("Subject: a\nb\n---\nc", "error-campaign-steps-header", {"line": 3, "text": "---"}),
        ("--- шаг 1 через 2 дня\nТема: a\nb", "error-campaign-steps-first-delay", {"line": 1}),
        (
            "Subject: a\nb\n=== variant C\nSubject: c\nc",
            "error-campaign-steps-variant-order",
            {"line": 3, "step": 1, "expected": "B", "found": "C"},
        ),
        (
            "Subject: a\nb\n=== variant Ж\nSubject: c\nc",
            "error-campaign-steps-variant-letter",
            {"line": 3, "letters": "A, B, C, D, E"},
        ),
        (
            "Subject: a\nb\n=== variant B weight 0\nSubject: c\nc",
            "error-campaign-steps-weight",
            {"line": 3, "min": 1, "max": 100},
        ),
        (
            "Subject: a\nb\n=== variant B weight 100\nSubject: c\nc",
            "error-campaign-steps-weights-over",
            {"step": 1, "line": 1},
        ),
        (
            "Subject: a\nb\n=== вариант B\nТема: c\nc\n=== вариант C\nТема: d\nd\n--- шаг 2 через 1 день\nx\n"
            "=== вариант B\ny",
            "error-campaign-steps-variant-count",
            {"step": 2, "count": 2, "first": 3, "line": 9},
        ),
        ("Subject: a\nb\n=== variant B\nc", "error-campaign-steps-no-subject", {"line": 4, "step": 1, "variant": "B"}),
    ],
)
def test_errors_name_the_line_step_and_variant(text: str, key: str, params: dict[str, object]) -> None:
    error = refused(text)
    assert (error.key, error.params) == (key, params)


def test_bounds_steps_variants_template_and_text() -> None:
    steps = "Subject: a\nb\n" + "".join(f"--- step {n} after 1 day\nx\n" for n in range(2, MAX_STEPS + 2))
    assert refused(steps).params == {"max": MAX_STEPS, "line": 3 + 2 * (MAX_STEPS - 1)}
    variants = "Subject: a\nb\n" + "".join(f"=== variant {c}\nSubject: s\nx\n" for c in "BCDEF")
    error = refused(variants)
    assert (error.key, error.params["max"]) == ("error-campaign-steps-too-many-variants", MAX_VARIANTS)
    body = refused("Subject: a\n" + "x" * (MAX_TEMPLATE_CHARS + 1))
    assert (body.key, body.params["length"], body.params["line"]) == (
        "error-campaign-steps-body-long", MAX_TEMPLATE_CHARS + 1, 2)  # fmt: skip
    assert refused("Subject: " + "s" * 301 + "\nb").key == "error-campaign-steps-subject-long"
    assert refused("x" * (MAX_TEXT_CHARS + 1)).key == "error-campaign-steps-text-too-long"
    assert len(parse_steps("Subject: a\n" + "x" * MAX_TEMPLATE_CHARS)[0].variants[0].body) == MAX_TEMPLATE_CHARS


# ------------------------------------------------------------------------------------------------ settings


def test_settings_are_parsed_within_bounds() -> None:
    values = parse_settings(split_pairs(
        ["tz=Asia/Yekaterinburg", "window=8:30-17:00", "weekdays=пн-пт", "daily_cap=200", "per_mailbox_cap=50",
         "html=on", "track=да", "lead_timezone=off", "stop_on_reply=1"]
    ))  # fmt: skip
    assert values == {
        "timezone": "Asia/Yekaterinburg",
        "window_start": dt.time(8, 30, tzinfo=dt.UTC),
        "window_end": dt.time(17, 0, tzinfo=dt.UTC),
        "weekdays": 0b0011111,
        "daily_cap": 200,
        "per_mailbox_cap": 50,
        "html": True,
        "track_opens": True,
        "track_clicks": True,
        "lead_timezone": False,
        "stop_on_reply": True,
    }


@pytest.mark.parametrize(
    ("text", "mask"),
    [("пн-пт", 0b0011111), ("mon-fri", 0b0011111), ("1-5", 0b0011111), ("пн,ср,пт", 0b0010101),
     ("sat-sun", 0b1100000), ("Mon, Wed", 0b0000101), ("7", 0b1000000),
     # whole names and whole sets, as people write them (they were refused)
     ("Понедельник-Пятница", 0b0011111), ("monday, wednesday", 0b0000101), ("будни", 0b0011111),
     ("Выходные", 0b1100000), ("every day", 0b1111111)],
)  # fmt: skip
def test_weekdays(text: str, mask: int) -> None:
    assert parse_weekdays(text) == mask


def test_a_time_zone_is_taken_in_any_case_and_stored_as_named() -> None:
    assert parse_settings({"timezone": "europe/moscow"}) == {"timezone": "Europe/Moscow"}
    assert parse_settings({"tz": "ASIA/YEKATERINBURG"}) == {"timezone": "Asia/Yekaterinburg"}


def test_weekdays_text() -> None:
    assert weekdays_text(0b0010101, ("пн", "вт", "ср", "чт", "пт", "сб", "вс")) == "пн,ср,пт"


@pytest.mark.parametrize(
    ("pair", "name"),
    [("timezone=Mars/Olympus", "timezone"), ("timezone=../etc/passwd", "timezone"), ("window=18:00-09:00", "window"),
     ("window=9-18", "window"), ("weekdays=пт-пн", "weekdays"), ("weekdays=", "weekdays"),
     ("per_mailbox_cap=51", "per_mailbox_cap"), ("daily_cap=0", "daily_cap"), ("daily_cap=1e3", "daily_cap"),
     ("html=maybe", "html")],
)  # fmt: skip
def test_bad_settings_name_the_setting(pair: str, name: str) -> None:
    with pytest.raises(UserError) as caught:
        parse_settings(split_pairs([pair]))
    assert (caught.value.key, caught.value.params["name"]) == ("error-campaign-setting-value", name)


def test_a_bad_window_is_answered_with_its_format_not_with_one_example_as_if_only_it_were_allowed() -> None:
    with pytest.raises(UserError) as caught:
        parse_settings({"window": "25:00-26:00"})
    en, ru = (translator(lang)(caught.value.key, **caught.value.params) for lang in ("en", "ru"))
    assert "HH:MM-HH:MM, the start before the end, for example 09:00-18:00" in en
    assert "ЧЧ:ММ-ЧЧ:ММ, начало раньше конца" in ru


def test_unknown_setting_and_a_word_without_equals() -> None:
    with pytest.raises(UserError) as caught:
        parse_settings({"speed": "fast"})
    assert caught.value.key == "error-campaign-setting-unknown"
    with pytest.raises(UserError) as caught:
        split_pairs(["window"])
    assert caught.value.key == "error-campaign-setting-pair"


def test_window_parses_both_separators() -> None:
    assert parse_window("09.00–18.30") == (dt.time(9, 0, tzinfo=dt.UTC), dt.time(18, 30, tzinfo=dt.UTC))


@pytest.mark.parametrize(
    ("key", "days", "ru", "en"),
    [
        ("campaign-step-calendar", 1, "через 1 день,", "after 1 day,"),
        ("campaign-step-calendar", 3, "через 3 дня,", "after 3 days,"),
        ("campaign-step-calendar", 21, "через 21 день,", "after 21 days,"),
        ("campaign-step-business", 2, "через 2 рабочих дня,", "after 2 business days,"),
        ("campaign-step-business", 1, "через 1 рабочий день,", "after 1 business day,"),
        ("campaign-step-business", 11, "через 11 рабочих дней,", "after 11 business days,"),
        ("campaign-warn-slow", 1, "около 1 дня", "about 1 day"),
        ("campaign-warn-slow", 12, "около 12 дней", "about 12 days"),
        ("campaign-steps-saved", 1, "сохранена: 1 шаг.", "saved: 1 step."),
        ("campaign-steps-saved", 3, "сохранена: 3 шага.", "saved: 3 steps."),
        ("campaign-steps-saved", 10, "сохранена: 10 шагов.", "saved: 10 steps."),
    ],
)
def test_step_delays_and_the_slow_warning_agree_with_their_number(key: str, days: int, ru: str, en: str) -> None:
    """The saved sequence read "Шаг 2: через 1 дн.", "after 1 days" and "saved: 1 steps": the unit now follows
    the number."""
    params = {"step": 2, "days": days, "count": days, "name": "q1", "variants": "A 100", "leads": 12, "ready": 1}
    assert ru in translator("ru")(key, **params).replace("\u00a0", " ")
    assert en in translator("en")(key, **params).replace("\u00a0", " ")


@pytest.mark.parametrize(
    "header", ["— шаг 2 через 3 дня", "-- шаг 2 через 3 дня", "–- step 2 after 3 days", "—— Шаг 2 через 3 дня"]
)
def test_a_step_header_whose_dashes_a_phone_turned_into_a_dash_is_still_a_step(header: str) -> None:
    """iOS and macOS "smart punctuation" send "---" as "—": the header became a line of step 1's body and the
    sequence was saved with one step, step 2's text appended to the first email."""
    specs = parse_steps(f"Тема: Привет\nПервое письмо.\n{header}\nВторое письмо.")
    assert [(s.number, s.delay_days, s.variants[0].body) for s in specs] == [
        (1, 0, "Первое письмо."),
        (2, 3, "Второе письмо."),
    ]


@pytest.mark.parametrize("line", ["-- ", "— Анна", "-- с уважением", "— шагнуть вперёд"])
def test_a_dash_line_that_names_no_step_stays_text(line: str) -> None:
    [step] = parse_steps(f"Тема: Привет\nПервое письмо.\n{line}\nАнна")
    assert step.variants[0].body == f"Первое письмо.\n{line.rstrip()}\nАнна"


def test_a_weight_may_be_written_with_a_percent_sign() -> None:
    [step] = parse_steps("Тема: a\nA\n=== вариант B вес 30%\nТема: b\nB\n=== variant C weight 20 %\nSubject: c\nC")
    assert [v.weight for v in step.variants] == [50, 30, 20]


def test_a_dashed_header_that_is_not_understood_is_quoted_as_typed() -> None:
    with pytest.raises(UserError) as caught:
        parse_steps("Тема: a\nA\n— шаг 2 через месяц\nB")
    assert (caught.value.key, caught.value.params) == (
        "error-campaign-steps-header",
        {"line": 3, "text": "— шаг 2 через месяц"},
    )


def test_a_template_mistake_is_located_by_the_line_it_is_on_and_its_character_in_that_line() -> None:
    """The template parser counts characters across the whole body: an unclosed spintax on the body's second line
    used to read "text (line 2) at character 98" — a line that holds no spintax, and a count nobody can make on
    a phone. The error names the sequence line the mistake is on and the character within that line."""
    text = (
        "Subject: Привет 👋\r\n"
        "Текст «ёлочки» и “smart” quotes\u00a0nbsp, {first_name|коллега}!\r\n"
        "{{Привет|Здравствуйте|{{Хай|Йо}}}} и {{незакрытый|спин\r\n"
        "\r\n--- step 2 after 3 days\r\nЕщё раз."
    )
    with pytest.raises(UserError) as caught:
        _parse(text, "en")
    t = translator("en")
    where = t("campaign-steps-where", step=1, variant="A", part=t("campaign-steps-part-body"), line=3)
    assert (caught.value.params["where"], caught.value.params["position"]) == (where, 38)
    assert text.splitlines()[2][37:49] == "{{незакрытый"

    with pytest.raises(UserError) as stray:
        _parse("Subject: Hi\nfirst line\nsecond } line", "en")
    assert (stray.value.params["where"], stray.value.params["position"]) == (
        t("campaign-steps-where", step=1, variant="A", part=t("campaign-steps-part-body"), line=3),
        8,
    )
    with pytest.raises(UserError) as subject:
        _parse("Subject: Hi {name\nbody", "en")
    assert subject.value.params["where"].endswith("(line 1)") and subject.value.params["position"] == 4


@pytest.mark.parametrize(
    ("letters", "expected"),
    [
        ("АБВГД", "ABCDE"),  # the Russian alphabet: "вариант В" after "вариант Б" is the third
        ("АВСДЕ", "ABCDE"),  # Latin look-alikes typed on a Russian keyboard: В for B, С for C, Е for E
        ("ABВГ", "ABCD"),  # mixed: each read as the letter due next
        ("AВГ", "ABC"),
    ],
)
def test_cyrillic_variant_letters_are_read_in_the_order_they_are_written(letters: str, expected: str) -> None:
    """ "=== вариант Б" then "=== вариант В" was refused ("expected variant C, found B"): В was only read as the
    Latin look-alike of B, though in the Russian alphabet it follows Б."""
    text = "\n".join(f"=== вариант {letter}\nТема: {n}\nПисьмо {n}" for n, letter in enumerate(letters))
    [step] = parse_steps(text)
    assert "".join(v.letter for v in step.variants) == expected
    with pytest.raises(UserError) as skipped:  # a letter that can be no variant due next is still refused
        parse_steps("Тема: a\nтекст\n=== вариант Д\nТема: b\nтекст")
    assert (skipped.value.key, skipped.value.params["expected"], skipped.value.params["found"]) == (
        "error-campaign-steps-variant-order", "B", "D")  # fmt: skip


@pytest.mark.parametrize(
    ("header", "days", "business"),
    [
        ("--- Шаг 2: через 3 дня", 3, False),
        ("--- шаг 2 (через 3 рабочих дня)", 3, True),
        ("--- шаг 2 — через 3 раб. дня.", 3, True),
        ("--- шаг 2 через 2 дн.", 2, False),
        ("--- шаг 2 через 3 календарных дня", 3, False),
        ("--- шаг 2 через неделю", 7, False),
        ("--- шаг 2 через 2 недели", 14, False),
        ("--- step 2: in 2 weeks", 14, False),
        ("--- step 2 - after 3 workdays", 3, True),
        ("--- шаг 2 через день", 1, False),
    ],
)
def test_a_step_header_is_read_as_people_write_it(header: str, days: int, business: bool) -> None:
    """ "--- Шаг 2: через 3 дня", "(через 3 рабочих дня)" or "через неделю" was "line 3 is not understood": a colon, a
    dash or brackets around the delay, an abbreviation, or a delay in weeks (seven days each) are read."""
    step = parse_steps(f"Тема: a\nтекст\n{header}\nещё")[1]
    assert (step.delay_days, step.business_days) == (days, business)


def test_a_subject_labelled_as_people_label_it_is_the_subject_not_the_first_line_of_the_text() -> None:
    """ "Тема письма: …" was no subject: step 1 was refused for having none, and a follow-up's went out as the first
    line of its text ("Тема письма: Ещё вопрос" in the lead's inbox), its subject "Re: " and step 1's."""
    first, second = parse_steps("Тема письма: Вопрос\nТекст\n--- шаг 2 через 2 дня\nSubject line: Ещё вопрос\nТекст 2")
    assert (first.variants[0].subject, second.variants[0].subject) == ("Вопрос", "Ещё вопрос")
    assert second.variants[0].body == "Текст 2"


@pytest.mark.parametrize(
    ("typed", "count", "expected"),
    [
        ("b", 2, 1),
        ("Б", 2, 1),  # the Russian alphabet's second
        ("В", 2, 1),  # two variants: only the look-alike of B can be meant
        ("С", 3, 2),  # the look-alike of C
        ("Г", 3, 2),  # read as the sequence "A В Г" reads it
        ("Д", 4, 3),
        ("е", 5, 4),
    ],
)
def test_a_typed_variant_letter_is_the_variant_the_step_has(typed: str, count: int, expected: int) -> None:
    assert variant_named(typed, count, 1) == expected


def test_a_variant_letter_the_step_could_mean_twice_or_not_at_all_is_refused() -> None:
    with pytest.raises(UserError) as ambiguous:
        variant_named("В", 3, 2)
    assert (ambiguous.value.key, ambiguous.value.params["choices"]) == ("error-campaign-variant-ambiguous", "B / C")
    with pytest.raises(UserError) as missing:
        variant_named("Б", 1, 1)
    assert (missing.value.key, missing.value.params["variant"]) == ("error-content-variant-not-found", "Б")
    with pytest.raises(UserError) as foreign:
        variant_named("Ж", 5, 1)
    assert foreign.value.key == "error-campaign-variant-letter"

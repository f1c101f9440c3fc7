"""The template syntax: fields with fallbacks, spintax, escapes, limits, and errors that say where and what."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from engine.campaigns.template import MAX_DEPTH, MAX_OUTPUT_CHARS, MAX_TEMPLATE_CHARS, parse
from engine.errors import UserError


def render(text: str, seed: int = 0, **fields: str) -> str:
    return parse(text, where="body").render(fields, random.Random(seed))


def syntax(text: str) -> dict[str, object]:
    with pytest.raises(UserError) as caught:
        parse(text, where="subject")
    assert caught.value.key == "error-template-syntax"
    return caught.value.params


def test_fields_and_fallbacks() -> None:
    assert render("Привет, {first_name}!", first_name="Олег") == "Привет, Олег!"
    assert render("Привет, {first_name|коллега}!", first_name="Олег") == "Привет, Олег!"
    assert render("Привет, {first_name|коллега}!", first_name="") == "Привет, коллега!"
    assert render("Привет, {first_name|коллега}!", first_name="   ") == "Привет, коллега!"
    assert render("Привет, {first_name|коллега}!") == "Привет, коллега!"  # not given at all
    assert render("Привет, {first_name}!") == "Привет, !"  # no fallback: empty (the content check forbids unknowns)
    assert render("{ First_Name }", first_name="Ann") == "Ann"  # names compare case-insensitively
    assert render("{должность|руководитель}", должность="CTO") == "CTO"  # Cyrillic custom columns


def test_spaces_around_the_bar_are_not_part_of_the_fallback() -> None:
    """ "Привет, {first_name | коллега}!" rendered "Привет,  коллега !" (two spaces, one before the "!")."""
    assert render("Привет, {first_name | коллега}!") == "Привет, коллега!"
    assert render("Привет, {first_name |коллега }!", first_name="Олег") == "Привет, Олег!"
    assert render("{company| }x") == "x"  # a blank fallback is an empty one
    assert render("{first_name|a\\|b }") == "a|b"


def test_placeholders_and_required() -> None:
    template = parse("{First_name|коллега} {company} {{a|{city}}}", where="body")
    assert template.placeholders == frozenset({"first_name", "company", "city"})
    assert template.required == frozenset({"company", "city"})
    assert parse("{x|y} {x}", where="body").required == frozenset({"x"})


def test_the_lead_s_own_fields_go_by_their_russian_names_too() -> None:
    """ "Добрый день, {имя}!" was refused as an unknown field (and "{имя|коллега}" always read "коллега"), though
    the lead file's "Имя" column is the lead's first name: a Russian manager writes the field as they name it."""
    template = parse("{Имя|коллега}, {фамилия} из {Компания}: {почта} {Name} {organization|}", where="body")
    assert template.placeholders == frozenset({"first_name", "last_name", "company", "email"})
    assert template.required == frozenset({"first_name", "last_name", "company", "email"})  # {Name} has none
    fields = {"first_name": "Анна", "last_name": "Смирнова", "company": "Ромашка", "email": "a@x.ru"}
    assert template.render(fields, random.Random(0)) == "Анна, Смирнова из Ромашка: a@x.ru Анна Ромашка"
    assert render("{должность}", должность="CTO") == "CTO"  # a column of the leads stays itself


def test_spintax_distribution_is_even_and_seeded() -> None:
    template = parse("{{Привет|Здравствуйте|Добрый день}}", where="body")
    counts = Counter(template.render({}, random.Random(seed)) for seed in range(3000))
    assert set(counts) == {"Привет", "Здравствуйте", "Добрый день"}
    assert all(900 < n < 1100 for n in counts.values()), counts
    # the same seed renders the same text: a retried row sends what the first attempt would have
    assert [template.render({}, random.Random(42)) for _ in range(5)] == [template.render({}, random.Random(42))] * 5


def test_nested_spintax_with_fields_and_empty_options() -> None:
    template = parse("{{Hi {first_name|there}|{{Hello|Hey}} {first_name}|}}!", where="body")
    seen = {template.render({"first_name": "Ann"}, random.Random(s)) for s in range(200)}
    assert seen == {"Hi Ann!", "Hello Ann!", "Hey Ann!", "!"}


def test_escapes() -> None:
    assert render(r"\{first_name\} a|b \| \\ \n C:\path") == r"{first_name} a|b | \ \n C:\path"
    assert render(r"{{a\|b|a\}b}}", seed=1) in {"a|b", "a}b"}
    assert render(r"{x|fall\}back}") == "fall}back"


def test_nesting_limit() -> None:
    deepest = "{{" * MAX_DEPTH + "x" + "}}" * MAX_DEPTH
    assert render(deepest) == "x"
    params = syntax("{{" * (MAX_DEPTH + 1) + "x" + "}}" * (MAX_DEPTH + 1))
    assert params["detail"] == "too-deep"
    assert params["position"] == 2 * MAX_DEPTH + 1
    assert params["limit"] == MAX_DEPTH


def test_template_size_is_checked_first() -> None:
    assert parse("a" * MAX_TEMPLATE_CHARS, where="body").render({}, random.Random(0)) == "a" * MAX_TEMPLATE_CHARS
    params = syntax("{" * (MAX_TEMPLATE_CHARS + 1))  # would be a syntax error too: the size is reported
    assert params["detail"] == "too-long"
    assert params["limit"] == MAX_TEMPLATE_CHARS


def test_output_is_bounded() -> None:
    template = parse("{x}" * 1000, where="body")
    with pytest.raises(UserError) as caught:
        template.render({"x": "y" * 100}, random.Random(0))
    assert caught.value.key == "error-template-output-too-long"
    assert caught.value.params == {"where": "body", "limit": MAX_OUTPUT_CHARS}


@pytest.mark.parametrize(
    ("text", "detail", "position"),
    [
        ("Привет {{a|b", "unclosed-spintax", 8),
        ("{{a|b}", "unclosed-spintax", 1),
        ("{{a}b}}", "unexpected-close", 4),
        ("ok }", "unexpected-close", 4),
        ("{first_name", "unclosed-placeholder", 1),
        ("{first_name\n}", "unclosed-placeholder", 1),
        ("{}", "bad-placeholder", 1),
        ("{first name}", "bad-placeholder", 1),
        ("{a:upper}", "bad-placeholder", 1),
        ("{a|b{c}}", "brace-in-placeholder", 5),
        ("x {{a|{b}}", "unclosed-spintax", 3),
    ],
)
def test_errors_name_what_and_where(text: str, detail: str, position: int) -> None:
    params = syntax(text)
    assert params["where"] == "subject"
    assert params["detail"] == detail
    assert params["position"] == position


def test_injection_attempts_are_text() -> None:
    # a template cannot reach anything but its fields: Python format syntax, attribute access and code are text
    assert render("{{__import__('os')|x}}", seed=0) in {"__import__('os')", "x"}
    for attempt in ("{0.__class__}", "{x.__class__.__mro__}", "{self}"):
        assert render(attempt) == ""  # a name like any other, and no such field
    assert "Bcc" in render("Hi\r\nBcc: x@y.z")  # the body keeps text; headers are guarded (see test_campaign_compose)

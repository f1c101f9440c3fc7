"""The content check: each rule on its own, errors before warnings, and a clean letter passes clean."""

from __future__ import annotations

import random

import pytest

from engine.campaigns.compose import lead_fields
from engine.campaigns.content import (
    BODY_MAX_CHARS,
    Finding,
    caps_runs,
    check_content,
    count_links,
    first_html_tag,
    html_tags,
    spam_words,
)
from engine.campaigns.template import MAX_OUTPUT_CHARS, field_key, parse
from engine.i18n import translator

BODY = (
    "{{Добрый день|Здравствуйте}}, {first_name|коллега}!\n\n"
    "Мы помогаем компаниям вроде {company|вашей} сократить время на обработку заявок. "
    "Удобно созвониться на этой неделе?\n\n{sender_name}"
)
SUBJECT = "Вопрос про {company|вашу компанию}"


def check(variants: list[tuple[str, str]], *, known: tuple[str, ...] = (), identity: bool = True) -> list[Finding]:
    return check_content(variants, known_fields=known, locale="ru", has_identity=identity)


def keys(findings: list[Finding]) -> list[str]:
    return [f.key for f in findings]


def test_a_good_letter_has_no_findings() -> None:
    assert check([(SUBJECT, BODY)]) == []


def test_missing_identity_is_an_error() -> None:
    assert check([(SUBJECT, BODY)], identity=False) == [Finding("content-missing-identity", "error")]


def test_no_variant_and_empty_variant_are_errors() -> None:
    assert keys(check([])) == ["content-no-variants"]
    findings = check([(SUBJECT, BODY), ("  ", BODY), (SUBJECT, "\n")])
    assert findings == [
        Finding("content-empty-variant", "error", {"variant": "B", "part": "тема"}),
        Finding("content-empty-variant", "error", {"variant": "C", "part": "текст"}),
    ]


def test_a_variant_whose_spintax_can_draw_nothing_is_an_error_not_a_short_letter() -> None:
    """A body of "{{}}" or "{{Привет|}}" alone passed as a short letter (a warning the start button overrides): a
    lead got an email of nothing but the footer, or a blank subject."""
    findings = check([("{{|}}", BODY), (SUBJECT, "{{}}"), (SUBJECT, "{{Добрый день|}}"), (SUBJECT, " {{ |{job|}}} ")])
    assert findings == [
        Finding("content-blank-render", "error", {"variant": "A", "part": "тема"}),
        Finding("content-blank-render", "error", {"variant": "B", "part": "текст"}),
        Finding("content-blank-render", "error", {"variant": "C", "part": "текст"}),
        Finding("content-blank-render", "error", {"variant": "D", "part": "текст"}),
    ]
    fine = "{{Добрый день|}} {first_name}, {{{{a|b}}|c}} {company|вашей компании} " + BODY
    assert "content-blank-render" not in keys(check([("{{Привет|Добрый день}} {first_name}", fine)], known=("job",)))


def test_unknown_placeholders_without_fallback_are_errors() -> None:
    body = BODY + " {Position} {city|вашем городе} {industry}"
    findings = check([(SUBJECT + " {deal}", body)], known=("industry",))
    assert findings == [
        Finding("content-unknown-placeholder", "error", {"variant": "A", "names": "{deal}, {position}"})
    ]
    assert check([(SUBJECT, body)], known=("Industry", "POSITION")) == []


def test_yo_and_ye_are_one_letter_in_placeholders_as_in_column_headers() -> None:
    """A column "Объём" matched a header typed "Объем", but `{объем}` in a letter was an unknown placeholder (and
    `{объём}` rendered nothing for a column "Объем"): the check blocked the launch, or the letter went out blank."""
    assert check([(SUBJECT, BODY + " {объем} {Объём}")], known=("Объём",)) == []
    assert check([(SUBJECT, BODY + " {объём}")], known=(field_key("Объем"),)) == []
    fields = lead_fields(email="ivan@acme.ru", custom={"Объём": "10 т", "Отчет": "Q4"})
    assert parse("{объем}, {ОТЧЁТ}", where="").render(fields, random.Random(0)) == "10 т, Q4"


def test_syntax_errors_say_where() -> None:
    (finding,) = check([(SUBJECT, BODY), (SUBJECT, "Привет {{a|b")])
    assert finding.key == "error-template-syntax"
    assert finding.severity == "error"
    assert finding.params["where"] == "вариант B, текст"
    assert finding.params["detail"] == "unclosed-spintax"
    assert finding.params["position"] == 8
    text = translator("ru")(finding.key, **finding.params)
    assert "вариант B, текст" in text and "8" in text and "{{" in text


def test_spam_words_ru_and_en_are_warnings_naming_them() -> None:
    body = BODY + " Это БЕСПЛАТНАЯ консультация, гарантируем результат на 100%. Act  now, it's free $$$"
    findings = [f for f in check([(SUBJECT, body)]) if f.key == "content-spam-words"]
    assert findings == [
        Finding(
            "content-spam-words",
            "warning",
            {"variant": "A", "words": "$$$, 100%, act now, free, бесплатная, гарантируем"},
        )
    ]


def test_spam_words_need_word_boundaries() -> None:
    assert spam_words("freedom, Приз и призыв, кредитная линия") == ["кредитная", "приз"]
    assert spam_words("ничего такого") == []


def test_caps_runs_and_exclamations() -> None:
    assert caps_runs("Мы из ООО Ромашка, у нас CRM и IT") == []
    assert caps_runs("ВНИМАНИЕ: ТОЛЬКО СЕГОДНЯ скидки") == ["ВНИМАНИЕ ТОЛЬКО СЕГОДНЯ"]
    assert caps_runs("это ЭКСКЛЮЗИВНО") == ["ЭКСКЛЮЗИВНО"]
    findings = check([(SUBJECT, BODY + " ОЧЕНЬ ВЫГОДНО!!")])
    assert {f.key for f in findings} == {"content-caps", "content-exclamations"}
    assert all(f.severity == "warning" for f in findings)
    many = check([(SUBJECT, BODY + " Да! Нет! Может!")])  # 4 single marks with the one in BODY
    assert keys(many) == ["content-exclamations"]
    assert many[0].params["count"] == 4


def test_too_many_links() -> None:
    assert count_links("https://a.example/x, https://a.example/x. www.b.example and http://c.example/?q=1") == 3
    two = BODY + " https://a.example/x и www.b.example"
    assert check([(SUBJECT, two)]) == []
    three = two + " http://c.example/"
    assert check([(SUBJECT, three)]) == [
        Finding("content-too-many-links", "warning", {"variant": "A", "count": 3, "limit": 2})
    ]


def test_lengths() -> None:
    short = check([(SUBJECT, "Привет, {first_name|коллега}! Созвонимся?")])
    assert keys(short) == ["content-body-too-short"]
    assert short[0].params["limit"] == 50
    long_body = BODY + " Подробнее." * 200
    long = check([(SUBJECT, long_body)])
    assert keys(long) == ["content-body-too-long"]
    assert long[0].params["length"] > BODY_MAX_CHARS  # type: ignore[operator]
    subject = check([("Очень длинная тема письма, которая не поместится в строку списка писем у получателя", BODY)])
    assert keys(subject) == ["content-subject-too-long"]
    # lengths are measured on a rendering with sample values: a field counts as its value, not its name
    assert check([(SUBJECT, "{company}" * 10)]) == check([(SUBJECT, "Ромашка" * 10)])


def test_footer_must_fit() -> None:
    # a custom column renders as its 8-character sample value: 6,300 of them exceed what a message may hold
    (finding,) = check([(SUBJECT, "{x}" * 6300)], known=("x",))
    assert finding.key == "error-template-output-too-long"
    # 6,126 fit (49,008 characters) but leave no room for the footer and the unsubscribe line
    findings = check([(SUBJECT, "{x}" * 6126)], known=("x",))
    assert keys(findings)[0] == "content-footer-does-not-fit"
    assert MAX_OUTPUT_CHARS - 6126 * 8 < 1000


def test_errors_come_before_warnings() -> None:
    findings = check([(SUBJECT, BODY + " БЕСПЛАТНО!!! {unknown}")], identity=False)
    severities = [f.severity for f in findings]
    assert severities == sorted(severities, key=lambda s: s != "error")
    assert severities[0] == "error" and severities[-1] == "warning"


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_every_finding_has_words_in_both_languages(locale: str) -> None:
    t = translator(locale)
    findings = check([(SUBJECT, BODY + " БЕСПЛАТНО!!! {unknown} https://a.b https://c.d https://e.f")], identity=False)
    findings += check([("", "x")]) + check([(SUBJECT, "Привет {{a|b")])
    for finding in findings:
        text = t(finding.key, **finding.params)
        assert text != finding.key and "{" + "$" not in text


def test_a_misspelt_field_is_named_with_the_field_it_misspells() -> None:
    """`{firts_name}` (typed on a phone) was refused only as an unknown column with the advice to add a fallback,
    `{first_name|коллега}`; and `{firts_name|коллега}` passed clean, so every lead got "коллега". A near miss of a
    known field says which field it misspells: an error without a fallback, a warning with one."""
    body = BODY + " {firts_name} {Industri|вашей отрасли} {deal}"
    findings = check([(SUBJECT, body)], known=("industry",))
    assert findings[:2] == [
        Finding("content-placeholder-typo", "error", {"variant": "A", "names": "{firts_name} → {first_name}"}),
        Finding("content-unknown-placeholder", "error", {"variant": "A", "names": "{deal}"}),
    ]
    assert Finding("content-placeholder-typo", "warning", {"variant": "A", "names": "{industri} → {industry}"}) in (
        findings
    )
    text = translator("ru")("content-placeholder-typo", **findings[0].params)
    assert "{firts_name} → {first_name}" in text


def test_html_tags_are_an_error_and_text_with_angle_brackets_is_not() -> None:
    """A body pasted from an HTML editor ("<p>Hello <b>{first_name}</b>…<a href=…>") was accepted: a letter is
    plain text (an html campaign's HTML part is made from it, escaped), so every lead got the tags as written."""
    pasted = '<p>Hello <b>{first_name|there}</b>,</p>\n<BR/>See <a href="https://acme.example">it</a>'
    found = check([(SUBJECT, BODY + "\n" + pasted)])
    assert found[0] == Finding("content-html-tags", "error", {"variant": "A", "tags": "<p>, <b>, <br>, <a>"})
    assert html_tags("Анна <anna@acme.ru>, за <5 минут, a<b, i <3 it, <Ромашка>") == []
    assert first_html_tag("текст\n<div>") == 6 and first_html_tag("x < y > z") == -1
    assert check([(SUBJECT, BODY + "\nАнна <anna@acme.ru>, ответ за <5 минут")]) == []

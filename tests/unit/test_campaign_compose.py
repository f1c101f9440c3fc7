"""`render_message`: footer and unsubscribe line, links, the HTML part with tracked links and pixel, and no way
for a template or a lead's data to reach a header — checked end to end through the message builder."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import random
import re

import pytest

from engine.campaigns.compose import (
    Identity,
    clean_field,
    clean_subject,
    find_links,
    lead_fields,
    opens_measured,
    render_message,
)
from engine.campaigns.ports import Composed
from engine.campaigns.template import parse
from engine.clock import FrozenClock
from engine.i18n import letter_locale
from engine.mail.message import MessageSpec, build_message
from engine.tracking import TokenKind, TrackingLinks

LINKS = TrackingLinks("https://t.example.com", b"k" * 32)
IDENTITY = Identity("ООО «Ромашка»", "Москва, ул. Ленина, 1", "ru")
ROW = 77


def compose(
    subject: str, body: str, *, seed: int = ROW, fields: dict[str, str] | None = None, **flags: bool
) -> Composed:
    values = fields if fields is not None else lead_fields(email="oleg@example.ru", first_name="Олег", company="Acme")
    return render_message(
        subject=parse(subject, where="subject"),
        body=parse(body, where="body"),
        fields=values,
        identity=IDENTITY,
        rng=random.Random(seed),
        tracking=LINKS,
        row_id=ROW,
        **flags,
    )


def test_text_ends_with_footer_and_unsubscribe_line() -> None:
    composed = compose("Вопрос для {company}", "{{Привет|Здравствуйте}}, {first_name|коллега}!\nКак дела?")
    assert composed.subject == "Вопрос для Acme"
    body, footer = composed.text.split("\n\n—\n")
    assert body in {"Привет, Олег!\nКак дела?", "Здравствуйте, Олег!\nКак дела?"}
    unsubscribe = LINKS.unsubscribe_url(ROW)
    assert (
        footer
        == f"ООО «Ромашка», Москва, ул. Ленина, 1\nЧтобы больше не получать писем, перейдите по ссылке: {unsubscribe}"
        " — или ответьте на это письмо словом «отписаться».\n"
    )
    assert composed.unsubscribe_url == unsubscribe
    assert composed.html is None
    assert composed.links == ()


def test_the_same_row_renders_the_same_text() -> None:
    template = "{{a|b|c|d}}{{e|f|g|h}}{{i|j|k|l}}"
    assert len({compose("s", template, seed=ROW).text for _ in range(5)}) == 1
    assert len({compose("s", template, seed=seed).text for seed in range(50)}) > 10


def test_english_workspace_gets_an_english_unsubscribe_line() -> None:
    composed = render_message(
        subject=parse("Hi", where="s"),
        body=parse("Hello", where="b"),
        fields={},
        identity=Identity("Acme Ltd", "1 Main St, London", "en"),
        rng=random.Random(1),
        tracking=LINKS,
        row_id=ROW,
    )
    assert composed.text.endswith(
        f"To stop receiving these emails, follow this link: {LINKS.unsubscribe_url(ROW)}"
        ' — or reply to this email with the word "unsubscribe".\n'
    )


def test_plain_http_tracking_host_has_no_one_click_header() -> None:
    local = TrackingLinks("http://127.0.0.1:8080", b"k" * 32)
    composed = render_message(
        subject=parse("s", where="s"),
        body=parse("b", where="b"),
        fields={},
        identity=IDENTITY,
        rng=random.Random(1),
        tracking=local,
        row_id=ROW,
    )
    assert composed.unsubscribe_url is None  # RFC 8058 needs https; the link stays in the text
    assert local.unsubscribe_url(ROW) in composed.text


def test_links_are_collected_and_plain_text_keeps_them_unless_clicks_are_tracked() -> None:
    body = "Сайт: https://acme.example/a?x=1. Ещё (https://acme.example/b), и снова https://acme.example/a?x=1"
    plain = compose("s", body)
    assert plain.links == ("https://acme.example/a?x=1", "https://acme.example/b")
    assert "https://acme.example/b)" in plain.text
    tracked = compose("s", body, track_clicks=True)
    assert tracked.links == plain.links
    assert "acme.example" not in tracked.text.split("\n\n—\n")[0]
    click_urls = re.findall(r"https://t\.example\.com/t/c/[A-Za-z0-9_-]+", tracked.text)
    assert [LINKS.verify(u.rsplit("/", 1)[1]) for u in click_urls] == [
        (TokenKind.CLICK, ROW, 0),
        (TokenKind.CLICK, ROW, 1),
        (TokenKind.CLICK, ROW, 0),
    ]


def test_html_part_escapes_tracks_links_and_has_a_pixel() -> None:
    fields = lead_fields(email="x@example.ru", first_name="<b>Олег</b> & Co")
    composed = compose(
        "s",
        "Привет, {first_name}!\nСмотрите https://acme.example/p?a=1&b=2\n\nВторой абзац",
        fields=fields,
        html_part=True,
    )
    assert composed.html is not None
    html = composed.html
    assert "<b>Олег</b>" not in html and "&lt;b&gt;Олег&lt;/b&gt; &amp; Co" in html
    assert html.count("<p>") == 3  # two paragraphs and the footer
    assert "<br>" in html
    click = LINKS.click_url(ROW, 0)
    assert f'<a href="{click}">https://acme.example/p?a=1&amp;b=2</a>' in html
    assert f'<img src="{LINKS.open_url(ROW)}" width="1" height="1"' in html
    assert f'<a href="{LINKS.unsubscribe_url(ROW)}">Отписаться от писем</a>' in html
    assert composed.links == ("https://acme.example/p?a=1&b=2",)
    # the text part keeps the link as written: the reader of plain text sees where it goes
    assert "https://acme.example/p?a=1&b=2" in composed.text


def test_opens_are_measured_only_for_html_campaigns() -> None:
    class C:
        def __init__(self, html: bool) -> None:
            self.html = html

    assert opens_measured(C(True))
    assert not opens_measured(C(False))


def test_field_and_subject_cleaning() -> None:
    assert clean_field("Олег\r\nBcc: evil@example.com") == "Олег Bcc: evil@example.com"
    assert clean_field("  a\t\tb\x00c\u2028d ") == "a b c d"
    assert clean_field(None) == "" and clean_field(42) == "42"
    assert clean_subject("Hi\r\n\x0bthere\x7f") == "Hi there"


def test_lead_fields_are_case_folded_and_base_fields_win() -> None:
    fields = lead_fields(
        email="a@b.c", first_name="Ann", custom={"City": "Omsk", "email": "x", "nested": {"a": 1}, "n": 5}
    )
    assert fields["city"] == "Omsk" and fields["email"] == "a@b.c" and fields["n"] == "5"
    assert "nested" not in fields


@pytest.mark.parametrize(
    ("first", "last", "greeting"),
    [
        ("ИВАН", "ПЕТРОВ-ВОДКИН", "Здравствуйте, Иван Петров-Водкин!"),  # a CRM export in capitals
        ("анна-мария", "ёлкина", "Здравствуйте, Анна-Мария Ёлкина!"),  # typed into a web form
        ("МакКуин", "де Голль", "Здравствуйте, МакКуин де Голль!"),  # the person's own spelling stays
        ("", "ОЛЕГОВ", "Здравствуйте, коллега Олегов!"),
    ],
)
def test_a_name_in_capitals_or_small_letters_is_written_as_a_name(first: str, last: str, greeting: str) -> None:
    """A greeting "Здравствуйте, ИВАН!" went to every lead whose list had names in capitals."""
    fields = lead_fields(email="a@b.c", first_name=first, last_name=last)
    template = parse("Здравствуйте, {first_name|коллега} {last_name}!", where="body")
    assert template.render(fields, random.Random(1)) == greeting


def test_a_column_with_a_space_in_its_header_is_a_placeholder_with_an_underscore() -> None:
    """A lead column "Job Title" could never be used: a placeholder has no spaces, and {job_title} found nothing
    (the fallback was sent to every lead instead of their title)."""
    fields = lead_fields(email="a@b.c", custom={"Job Title": "CEO", "  Дата   встречи ": "12.05"})
    template = parse("{job_title|нет}, {JOB_TITLE}, {дата_встречи}", where="body")
    assert template.render(fields, random.Random(1)) == "CEO, CEO, 12.05"


def parsed(composed: Composed) -> email.message.EmailMessage:
    spec = MessageSpec(
        sender="anna@sender.example",
        recipient="oleg@example.ru",
        subject=composed.subject,
        text=composed.text,
        html=composed.html,
        unsubscribe_url=composed.unsubscribe_url,
    )
    built = build_message(spec, FrozenClock(dt.datetime(2026, 12, 1, tzinfo=dt.UTC)))
    message = email.message_from_bytes(built.data, policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    return message


def test_no_header_injection_from_template_or_data_end_to_end() -> None:
    evil = lead_fields(email="oleg@example.ru", first_name="Олег\r\nBcc: victim@example.com", company="A\nX-Evil: 1")
    for subject in ("Привет, {first_name}", "Hi\r\nBcc: victim@example.com {company}", "{{a\r\nBcc: v@e.com|b\nX: y}}"):
        composed = compose(subject, "Текст {first_name}", fields=evil, html_part=True)
        assert not re.search(r"[\x00-\x1f\x7f]", composed.subject)
        message = parsed(composed)
        assert message["Bcc"] is None and message["X-Evil"] is None and message["X"] is None
        assert set(message.keys()) == {
            "Date",
            "From",
            "To",
            "Subject",
            "Message-ID",
            "List-Unsubscribe",
            "List-Unsubscribe-Post",
            "MIME-Version",
            "Content-Type",
        }
        assert str(message["Subject"]) == composed.subject
        assert message["List-Unsubscribe"] == f"<{LINKS.unsubscribe_url(ROW)}>"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_find_links_is_bounded_and_ignores_trailing_punctuation() -> None:
    text = " ".join(f"https://x.example/{i}." for i in range(150))
    links = find_links(text)
    assert len(links) == 100
    assert links[0] == "https://x.example/0"
    assert find_links("http:// https://") == ()


def test_links_keep_their_own_brackets_and_broken_ones_stay_as_written() -> None:
    """A Wikipedia link ends in `)`, which is part of it (the click must lead to the article, not to
    `…Мир_(значения`), while a bracket around a link is not; a link no redirect can lead to (a zero-width space
    pasted into the host) gets no click token — it stays as written rather than become a link that answers 404."""
    wiki = "https://ru.wikipedia.org/wiki/Мир_(значения)"
    broken = "https://ex\u200bample.com/"
    body = f"Про нас: {wiki}. Сайт (https://acme.example/offer), старый: {broken} и [https://acme.example/b]."
    assert find_links(body) == (wiki, "https://acme.example/offer", "https://acme.example/b")
    plain = compose("Тема", body, track_clicks=True)
    assert plain.links == (wiki, "https://acme.example/offer", "https://acme.example/b")
    shown = plain.text.split("\n\n—\n")[0]
    assert shown == (
        f"Про нас: {LINKS.click_url(ROW, 0)}. Сайт ({LINKS.click_url(ROW, 1)}), старый: {broken} и "
        f"[{LINKS.click_url(ROW, 2)}]."
    )
    html_part = compose("Тема", body, html_part=True).html
    assert html_part is not None
    assert f'<a href="{LINKS.click_url(ROW, 0)}">{wiki}</a>. ' in html_part
    assert f'<a href="{broken}">{broken}</a>' in html_part


def test_the_footer_speaks_the_language_the_letter_is_written_in() -> None:
    """An English-speaking agency's workspace (locale en) writing to Russian leads sent a Russian letter that ended
    "To stop receiving these emails…": the footer followed the chat's language, not the letter's. Its reader gets
    the unsubscribe line in the letter's language now; a letter with no words to tell by keeps the workspace's."""
    english_agency = Identity("Acme Ltd", "1 Main St, London", "en")

    def footer(body: str, identity: Identity, *, html: bool = False) -> Composed:
        return render_message(
            subject=parse("Тема", where="s"), body=parse(body, where="b"), fields={}, identity=identity,
            rng=random.Random(1), tracking=LINKS, row_id=ROW, html_part=html,
        )  # fmt: skip

    russian = footer("Здравствуйте! Мы делаем станки, https://acme.example/catalog — посмотрите.", english_agency)
    assert "Чтобы больше не получать писем" in russian.text and "To stop" not in russian.text
    english = footer("Hello Олег, we make machine tools for furniture plants.", IDENTITY, html=True)
    assert "To stop receiving these emails" in english.text and "отписаться" not in english.text
    assert english.html is not None and ">Unsubscribe</a>" in english.html
    assert "To stop receiving" in footer("https://acme.example/x 12345", english_agency).text
    assert "Чтобы больше не получать" in footer("https://acme.example/x 12345", IDENTITY).text
    assert letter_locale("Привет, Oleg", "en") == "ru" and letter_locale("ivan@acme.ru", "ru") == "ru"

"""Message building: wire format, encodings, threading and unsubscribe headers, and no header injection ever."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import email.header
import email.policy
import email.utils
import re
from email.message import Message

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.clock import FrozenClock
from engine.errors import UserError
from engine.i18n import translator
from engine.mail.message import (
    MessageSpec,
    build_message,
    clean_text,
    make_message_id,
    minimal_html,
    named_address,
    named_targets,
    normalize_address,
    rfc5322_date,
)

CLOCK = FrozenClock(dt.datetime(2026, 11, 28, 9, 30, tzinfo=dt.UTC))
BASE = MessageSpec(
    sender="ivan@sender.example",
    sender_name="Ivan Petrov",
    recipient="lead@client.example",
    recipient_name="Pat",
    subject="Quick question",
    text="Hi Pat,\n\nA short note.\n\nIvan\n",
)
BASE_HEADERS = [
    "Date",
    "From",
    "To",
    "Subject",
    "Message-ID",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
]


def parse(data: bytes) -> Message:
    return email.message_from_bytes(data, policy=email.policy.compat32)


def header_names(data: bytes) -> list[str]:
    """Names of the top-level header fields, straight from the raw lines (continuations start with a space)."""
    head = data.split(b"\r\n\r\n", 1)[0].decode("ascii")
    return [line.split(":", 1)[0] for line in head.split("\r\n") if not line.startswith((" ", "\t"))]


def decoded(value: str) -> str:
    """An unstructured header value as an RFC 2047 reader shows it: unfolded, encoded-words decoded."""
    unfolded = re.sub(r"\r\n(?=[ \t])", "", value)
    return str(email.header.make_header(email.header.decode_header(unfolded)))


def display(value: str) -> tuple[str, str]:
    """(display name, address) of a From/To value, decoded as an RFC 2047 reader would."""
    name, address = email.utils.parseaddr(re.sub(r"\r\n(?=[ \t])", "", value))
    return decoded(name), address


def body_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(part.get_content_charset() or "ascii").replace("\r\n", "\n")


def test_plain_ascii_message_is_7bit_with_every_required_header() -> None:
    built = build_message(BASE, CLOCK)
    assert header_names(built.data) == BASE_HEADERS
    msg = parse(built.data)
    assert msg["Date"] == "Sat, 28 Nov 2026 09:30:00 +0000"
    assert msg["From"] == '"Ivan Petrov" <ivan@sender.example>'
    assert msg["To"] == '"Pat" <lead@client.example>'
    assert msg["Content-Transfer-Encoding"] == "7bit"
    assert re.fullmatch(r"<[0-9a-f]{32}@sender\.example>", msg["Message-ID"])
    assert (built.message_id, built.sender, built.recipient) == (msg["Message-ID"], BASE.sender, BASE.recipient)
    assert built.data.endswith(b"Ivan\r\n")
    assert b"\n" not in built.data.replace(b"\r\n", b"")


def test_message_ids_are_unique_and_a_given_one_is_kept() -> None:
    assert len({make_message_id("a@b.example") for _ in range(1000)}) == 1000
    built = build_message(dataclasses.replace(BASE, message_id="<stored.1@sender.example>"), CLOCK)
    assert built.message_id == "<stored.1@sender.example>"
    assert parse(built.data)["Message-ID"] == "<stored.1@sender.example>"


def test_cyrillic_text_goes_base64_and_mostly_ascii_text_quoted_printable() -> None:
    russian = "Здравствуйте, Пётр!\n\nПредлагаю созвониться во вторник.\n"
    msg = parse(build_message(dataclasses.replace(BASE, text=russian), CLOCK).data)
    assert (msg["Content-Transfer-Encoding"], msg.get_content_charset()) == ("base64", "utf-8")
    assert body_text(msg) == russian
    mixed = "Hello Pat, greetings from Moscow (Москва).\n" + "Plain line.\n" * 5
    msg = parse(build_message(dataclasses.replace(BASE, text=mixed), CLOCK).data)
    assert msg["Content-Transfer-Encoding"] == "quoted-printable"
    assert body_text(msg) == mixed


def test_long_ascii_lines_and_missing_final_newline() -> None:
    text = "x" * 2000 + "\r\nlast line without newline"
    built = build_message(dataclasses.replace(BASE, text=text), CLOCK)
    assert max(map(len, built.data.split(b"\r\n"))) <= 998
    assert body_text(parse(built.data)) == text.replace("\r\n", "\n") + "\n"


def test_html_alternative_keeps_both_parts() -> None:
    html = minimal_html("Hi <Pat> & team,\n\nsee you.\nIvan")
    assert "Hi &lt;Pat&gt; &amp; team,</p><p>see you.<br>Ivan" in html
    msg = parse(build_message(dataclasses.replace(BASE, html=html), CLOCK).data)
    assert msg.get_content_type() == "multipart/alternative"
    plain, rich = msg.get_payload()  # type: ignore[misc]
    assert (plain.get_content_type(), rich.get_content_type()) == ("text/plain", "text/html")
    assert body_text(plain) == BASE.text
    assert body_text(rich) == html + "\n"


def test_follow_up_threading_headers() -> None:
    spec = dataclasses.replace(BASE, in_reply_to="<step1@sender.example>", references=("<step1@sender.example>",))
    built = build_message(spec, CLOCK)
    assert header_names(built.data)[5:7] == ["In-Reply-To", "References"]
    msg = parse(built.data)
    assert msg["In-Reply-To"] == "<step1@sender.example>"
    assert decoded(msg["References"]) == "<step1@sender.example>"
    chain = tuple(f"<m{i}@sender.example>" for i in range(30))
    msg = parse(build_message(dataclasses.replace(BASE, in_reply_to="<m30@x.example>", references=chain), CLOCK).data)
    refs = decoded(msg["References"]).split()
    assert len(refs) == 20
    assert (refs[0], refs[1], refs[-1]) == ("<m0@sender.example>", "<m12@sender.example>", "<m30@x.example>")


def test_list_unsubscribe_one_click() -> None:
    spec = dataclasses.replace(
        BASE, unsubscribe_url="https://t.example/u/Zx9?k=1", unsubscribe_mailto="unsub@sender.example"
    )
    msg = parse(build_message(spec, CLOCK).data)
    assert decoded(msg["List-Unsubscribe"]) == (
        "<https://t.example/u/Zx9?k=1>, <mailto:unsub@sender.example?subject=unsubscribe>"
    )
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    mail_only = parse(build_message(dataclasses.replace(BASE, unsubscribe_mailto="u@sender.example"), CLOCK).data)
    assert mail_only["List-Unsubscribe"] == "<mailto:u@sender.example?subject=unsubscribe>"
    assert mail_only["List-Unsubscribe-Post"] is None  # RFC 8058: one-click needs an https URI


@pytest.mark.parametrize(
    "url", ["http://t.example/u", "https://t.example/u x", "https://t.example/u>\r\nBcc: x@y.example", "https://"]
)
def test_unsubscribe_url_must_be_plain_https(url: str) -> None:
    with pytest.raises(UserError) as err:
        build_message(dataclasses.replace(BASE, unsubscribe_url=url), CLOCK)
    assert err.value.key == "message-unsubscribe-url-invalid"


def test_display_names_encode_when_not_ascii_and_quote_when_ascii() -> None:
    spec = dataclasses.replace(BASE, sender_name="Иван Петров", recipient_name='O\'Brien, "Pat" \\ Co')
    msg = parse(build_message(spec, CLOCK).data)
    assert msg["From"].startswith("=?utf-8?b?")
    assert display(msg["From"]) == ("Иван Петров", "ivan@sender.example")
    assert display(msg["To"]) == ('O\'Brien, "Pat" \\ Co', "lead@client.example")
    nameless = parse(build_message(dataclasses.replace(BASE, recipient_name=" \r\n "), CLOCK).data)
    assert nameless["To"] == "lead@client.example"


def test_idn_domains_become_punycode_everywhere() -> None:
    built = build_message(dataclasses.replace(BASE, sender="ivan@почта.рф", recipient="Lead@Пример.РФ"), CLOCK)
    assert built.sender == "ivan@xn--80a1acny.xn--p1ai"
    assert built.recipient == "Lead@xn--e1afmkfd.xn--p1ai"
    msg = parse(built.data)
    assert display(msg["From"])[1] == built.sender
    assert msg["Message-ID"].endswith("@xn--80a1acny.xn--p1ai>")


@pytest.mark.parametrize(
    "address",
    [
        "no-at-sign",
        "a@b",
        "user@exa mple.com",
        "user@example.com\r\nBcc: x@y.example",
        "us er@example.com",
        "user@-bad-.example",
        ".dot@example.com",
        "x" * 65 + "@example.com",
        "user@" + "a" * 64 + ".example",
    ],
)
def test_invalid_addresses_are_refused(address: str) -> None:
    with pytest.raises(UserError) as err:
        normalize_address(address)
    assert err.value.key == "message-address-invalid"


@pytest.mark.parametrize("address", ["пётр@example.com", "анна@пример.рф", "annа@example.com"])
def test_a_non_latin_local_part_is_refused_saying_why(address: str) -> None:
    """No SMTPUTF8 in our mail stack: a Cyrillic part before @ is refused, and the message says it must be Latin."""
    with pytest.raises(UserError) as err:
        normalize_address(address)
    assert (err.value.key, err.value.params) == ("message-address-local-not-latin", {"address": address})
    for lang in ("ru", "en"):
        assert translator(lang)(err.value.key, **err.value.params).count(address) == 1
    assert "латиниц" in translator("ru")(err.value.key, **err.value.params)


@pytest.mark.parametrize("bad", ["<a@b>\r\nBcc: x@y.example", "a@b", "<a b@c>", "<ab>", "<a@b>>"])
def test_invalid_message_ids_are_refused(bad: str) -> None:
    with pytest.raises(UserError) as err:
        build_message(dataclasses.replace(BASE, in_reply_to=bad), CLOCK)
    assert err.value.key == "message-id-invalid"


@given(st.datetimes(timezones=st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=3))])))
def test_date_header_matches_the_standard_library(moment: dt.datetime) -> None:
    assert rfc5322_date(moment) == email.utils.format_datetime(moment.astimezone(dt.UTC))


def test_clean_text_removes_every_line_break_and_control() -> None:
    assert clean_text(" a\r\nb\rc\nd\x00e\x85f\u2028g\u2029h\ud800 ") == "a  b c d e f g h\ufffd"


# ------------------------------------------------------------------------------------------- properties

_ATEXT = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/=?^_`{|}~-"
_label = st.text("abcdefghijklmnopqrstuvwxyzабвгдеёжзийклмнопрстуфхцчшщыэюя0123456789", min_size=1, max_size=12)
addresses = st.builds(
    lambda local, labels: f"{local}@{'.'.join(labels)}",
    st.text(_ATEXT, min_size=1, max_size=20),
    st.lists(_label, min_size=2, max_size=3),
)
# Free text as users type it, with the characters attackers like most mixed in on purpose.
hostile = st.lists(
    st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(["\r", "\n", "\r\n", "\x00", "\x85", "\u2028", ":", '"', "\\", "=?", "?=", "<", ">", " "]),
        st.sampled_from(["\r\nBcc: victim@evil.example", "\nX-Injected: yes", "=?utf-8?q?=0D=0ABcc:_x?="]),
    ),
    max_size=80,
).map("".join)


specs = st.builds(
    MessageSpec,
    sender=addresses,
    recipient=addresses,
    subject=hostile,
    text=hostile,
    sender_name=hostile,
    recipient_name=hostile,
    html=st.none() | hostile,
    unsubscribe_url=st.just("https://t.example/u/1"),
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(spec=specs)
def test_no_user_value_can_inject_a_header(spec: MessageSpec) -> None:
    try:
        built = build_message(spec, CLOCK)
    except UserError as err:  # an address whose domain IDNA refuses (e.g. too long) is the only way out
        assert err.key == "message-address-invalid"
        return
    data = built.data
    assert data.isascii()
    lines = data.split(b"\r\n")
    assert all(b"\r" not in line and b"\n" not in line and len(line) <= 998 for line in lines)
    expected = [*BASE_HEADERS[:5], "List-Unsubscribe", "List-Unsubscribe-Post", "MIME-Version", "Content-Type"]
    if spec.html is None:
        expected.append("Content-Transfer-Encoding")
    assert header_names(data) == expected
    msg = parse(data)
    assert decoded(msg["Subject"]) == clean_text(spec.subject)
    assert display(msg["From"]) == (clean_text(spec.sender_name), built.sender)
    assert display(msg["To"]) == (clean_text(spec.recipient_name), built.recipient)
    parts = [msg] if spec.html is None else msg.get_payload()
    assert isinstance(parts, list)
    texts = [spec.text] if spec.html is None else [spec.text, spec.html]
    assert [body_text(p) for p in parts] == [as_lines(t) for t in texts]


def as_lines(text: str) -> str:
    """Text as a reader gets it back: any line break becomes one newline, and the last line is terminated."""
    text = re.sub(r"\r\n|\r|\n", "\n", text)
    return text if text.endswith("\n") else text + "\n"


@given(value=hostile)
def test_structured_values_are_valid_or_refused(value: str) -> None:
    address_keys = {"message-address-invalid", "message-address-local-not-latin"}
    for field, keys in (
        ("recipient", address_keys),
        ("in_reply_to", {"message-id-invalid"}),
        ("unsubscribe_url", {"message-unsubscribe-url-invalid"}),
        ("unsubscribe_mailto", address_keys),
    ):
        try:
            data = build_message(dataclasses.replace(BASE, **{field: value}), CLOCK).data
        except UserError as err:
            assert err.key in keys
            continue
        assert data.isascii()
        names = header_names(data)
        assert len(names) == len(set(names))
        assert set(names) <= {*BASE_HEADERS, "In-Reply-To", "References", "List-Unsubscribe", "List-Unsubscribe-Post"}


def test_recipients_are_not_remembered_senders_are() -> None:
    """Each lead is written to once a day: remembering recipients would only fill the cache of normalized addresses
    (the fleet's own, message after message) and push the senders out."""
    normalize_address.cache_clear()
    for n in range(20):
        built = build_message(dataclasses.replace(BASE, recipient=f"Lead.{n}@Client.example"), CLOCK)
        assert built.recipient == f"Lead.{n}@client.example"
    assert normalize_address.cache_info().currsize == 1  # the sender alone


@pytest.mark.parametrize(
    "typed",
    ["anna@acme.ru", " ANNA@Acme.RU ", "<anna@acme.ru>", "Anna Petrova <Anna@acme.ru>", "mailto:anna@acme.ru",
     "MAILTO:<anna@acme.ru>"],
)  # fmt: skip
def test_an_address_named_as_people_paste_it_is_the_stored_one(typed: str) -> None:
    assert named_address(typed) == "anna@acme.ru"


@pytest.mark.parametrize("typed", ["Anna Petrova", "<>", "anna@", "Anna <not an address>"])
def test_a_name_that_holds_no_address_names_no_mailbox(typed: str) -> None:
    assert named_address(typed) is None


@pytest.mark.parametrize(
    ("typed", "targets"),
    [
        ("acme-mail.ru box@acme-mail.ru", ["acme-mail.ru", "box@acme-mail.ru"]),
        ("Анна Петрова <anna@acme.ru>", ["Анна Петрова <anna@acme.ru>"]),
        (
            "acme-mail.ru Анна <anna@acme.ru>, b@acme.ru; <c@acme.ru>",
            ["acme-mail.ru", "Анна <anna@acme.ru>", "b@acme.ru", "<c@acme.ru>"],
        ),
        ('"Петрова, Анна" <a@acme.ru> A. Smith <s@acme.ru>', ['"Петрова, Анна" <a@acme.ru>', "A. Smith <s@acme.ru>"]),
        ("mailto:a@acme.ru,пример.рф", ["mailto:a@acme.ru", "пример.рф"]),
    ],
)
def test_a_pasted_list_of_mailboxes_keeps_each_address_with_its_name(typed: str, targets: list[str]) -> None:
    assert named_targets(typed) == targets
    assert [named_address(t) for t in targets if "@" in t] == [
        named_address(t.rpartition("<")[2].rstrip(">").removeprefix("mailto:")) for t in targets if "@" in t
    ]

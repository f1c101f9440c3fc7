"""Compliance pieces without servers: legal bases, the keyed address hash, the sender identity's checks, the
footer in text and HTML, stop words in replies, audit dates and the CSV line of an audit entry."""

from __future__ import annotations

import datetime as dt
import json
import random
from email.message import EmailMessage

import pytest

from engine.campaigns.compose import Identity, render_message
from engine.campaigns.template import parse
from engine.compliance.audit import _line, parse_day
from engine.compliance.hashing import AddressHasher
from engine.compliance.identity import CONTACT_MAX, check_value
from engine.errors import UserError
from engine.exports import CsvWriter
from engine.i18n import translator
from engine.leads.columns import parse_basis
from engine.mail.classify import MailKind, classify
from engine.tracking import TrackingLinks
from models.enums import LegalBasis

LINKS = TrackingLinks("http://t.example.com", b"k" * 32)  # a plain-http tracking host: no one-click header


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("договор 12", (LegalBasis.CONTRACT, "договор 12")),
        ("  Согласие,  форма  7 ", (LegalBasis.CONSENT, "Согласие, форма 7")),
        ("consent", (LegalBasis.CONSENT, "consent")),
        ("public_contact site", (LegalBasis.PUBLIC_CONTACT, "public_contact site")),
        ("публичный сайт компании", (LegalBasis.PUBLIC_CONTACT, "публичный сайт компании")),
        ("x", None),
        ("", None),
        ("12 договор", None),
    ],
)
def test_a_basis_is_named_by_its_first_word_and_the_words_are_kept(text: str, expected: object) -> None:
    assert parse_basis(text) == expected


def test_the_address_hash_is_keyed_and_every_key_matches() -> None:
    old, new = b"o" * 32, b"n" * 32
    hasher = AddressHasher([new, old])
    value = hasher.value("ivan@acme.ru")
    assert value.startswith("h:") and len(value) == 66 and "ivan" not in value
    assert value == AddressHasher([new]).value("ivan@acme.ru")  # stable
    assert value != AddressHasher([old]).value("ivan@acme.ru")  # the key matters: no dictionary without it
    assert value != hasher.value("oleg@acme.ru")
    matches = hasher.values(["ivan@acme.ru"])
    assert matches == {value: "ivan@acme.ru", AddressHasher([old]).value("ivan@acme.ru"): "ivan@acme.ru"}
    assert "keys hidden" in repr(hasher)
    with pytest.raises(ValueError):
        AddressHasher([])


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("ООО «Ромашка»\r\nBcc: x@y", "error-legal-control"),
        ("ООО\nРомашка", "error-legal-control"),
        ("ООО\x00", "error-legal-control"),
        ("  ", "error-legal-too-short"),
        ("«»—", "error-legal-too-short"),
        ("x" * (CONTACT_MAX + 1), "error-legal-too-long"),
    ],
)
def test_a_bad_identity_value_is_refused_naming_the_field(value: str, key: str) -> None:
    with pytest.raises(UserError) as refused:
        check_value(value, field="contact", limit=CONTACT_MAX)
    assert refused.value.key == key and refused.value.params["field"] == "contact"


def test_an_identity_value_is_trimmed_to_one_line() -> None:
    assert check_value("  ООО   «Ромашка» ", field="legal_name", limit=200) == "ООО «Ромашка»"


def test_the_footer_is_in_text_and_escaped_html_and_the_unsubscribe_line_offers_a_reply() -> None:
    composed = render_message(
        subject=parse("Hi", where="s"),
        body=parse("Hello", where="b"),
        fields={},
        identity=Identity('Acme <b>&</b> "Co"', "1 Main St <script>", "en"),
        rng=random.Random(1),
        tracking=LINKS,
        row_id=5,
        html_part=True,
    )
    assert 'Acme <b>&</b> "Co", 1 Main St <script>' in composed.text
    assert composed.html is not None
    assert "<script>" not in composed.html and "<b>&" not in composed.html
    assert "Acme &lt;b&gt;&amp;&lt;/b&gt; &quot;Co&quot;, 1 Main St &lt;script&gt;" in composed.html
    assert LINKS.unsubscribe_url(5) in composed.text
    assert 'reply to this email with the word "unsubscribe"' in composed.text
    assert composed.unsubscribe_url is None  # http: the header falls back to the mailbox's mailto


def _reply(text: str, *, subject: str = "Re: Вопрос", answering: bool = True) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Ivan <ivan@lead.example>"
    msg["To"] = "anna@sender.example"
    msg["Subject"] = subject
    if answering:
        msg["In-Reply-To"] = "<cmp.1.1.aa@sender.example>"
    msg.set_content(text)
    return msg


@pytest.mark.parametrize("text", ["стоп", "Отпишите меня, пожалуйста", "unsubscribe", "Please remove me",
                                  "Не пишите больше сюда", "STOP."])  # fmt: skip
def test_stop_replies_are_unsubscribes(text: str) -> None:
    verdict = classify(_reply(text), {"<cmp.1.1.aa@sender.example>"})
    assert (verdict.kind, verdict.address) == (MailKind.UNSUBSCRIBE, "ivan@lead.example")


def test_the_mailto_unsubscribe_a_mail_client_sends_is_an_unsubscribe() -> None:
    """What Gmail or a person sends to the `mailto:` of List-Unsubscribe: the subject, no thread headers."""
    verdict = classify(_reply("", subject="unsubscribe", answering=False), set())
    assert (verdict.kind, verdict.address) == (MailKind.UNSUBSCRIBE, "ivan@lead.example")


def test_an_ordinary_reply_is_not_an_unsubscribe() -> None:
    assert classify(_reply("Интересно, пришлите цены"), {"<cmp.1.1.aa@sender.example>"}).kind is MailKind.REPLY


@pytest.mark.parametrize("text", ["2026-13-01", "01.03.2026", "2026-3-1", "yesterday", "2026-03-01x", "2026-W10-1"])
def test_an_audit_date_must_be_iso(text: str) -> None:
    with pytest.raises(UserError) as refused:
        parse_day(text, field="from")
    assert refused.value.key == "error-audit-date"


def test_an_audit_line_is_formula_safe_and_bounded() -> None:
    line = _line(translator("en"), {
        "created_at": dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC), "workspace": "acme", "actor": "telegram:1",
        "actor_name": "=HYPERLINK(\"http://x\")", "action": "command", "subject": "/forget",
        "data": {"args": {"email": None}, "long": "y" * 5000},
    }, {"/forget": "/forget"})  # fmt: skip
    assert parse_day("2026-03-01", field="from") == dt.date(2026, 3, 1) and parse_day(None, field="to") is None
    assert line[0] == "2026-03-01 12:00:00 UTC" and len(line[9]) == 2000 and line[9].endswith("…")
    assert len(line[8]) == 2000 and line[8].startswith("args.email: —; long: yyy")  # readable, bounded too
    assert line[4:6] == [translator("en")("audit-action-command"), "command"]  # in words, and the code beside
    writer = CsvWriter(["a"] * 10)
    writer.write([line])
    assert "'=HYPERLINK" in writer.getvalue().decode("utf-8-sig")


def test_an_audit_line_names_its_subject_and_reads_its_details() -> None:
    """Managers read the file in Excel: the subject by its name with the stored reference beside it, the details
    as `key: value; …` (nested keys dotted) beside the exact JSON."""
    line = _line(translator("en"), {
        "created_at": dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC), "workspace": "acme", "actor": "",
        "actor_name": "", "action": "mailbox.transition", "subject": "mailbox:9",
        "data": '{"from": "active", "to": "paused", "reason": null, "limits": {"daily": 30, "warm": true}}',
    }, {"mailbox:9": "anna@acme.ru"})  # fmt: skip
    assert line[6:8] == ["anna@acme.ru", "mailbox:9"]
    assert line[8] == "from: active; limits.daily: 30; limits.warm: true; reason: —; to: paused"
    assert json.loads(line[9])["limits"] == {"daily": 30, "warm": True}  # the exact record beside
    odd = _line(translator("en"), {
        "created_at": dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC), "workspace": "", "actor": "", "actor_name": "",
        "action": "gone.action", "subject": "domain:4", "data": '["a", 1]',
    }, {})  # fmt: skip
    assert odd[4:10] == ["gone.action", "gone.action", "domain:4", "domain:4", '["a", 1]', '["a", 1]']

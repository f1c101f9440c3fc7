"""Every sample of the incoming-mail corpus classifies as the kind its directory names, with the extracted facts
its `X-Expect-*` headers state; plus the header-only triage and the pieces the inbox relies on."""

from __future__ import annotations

from email import policy
from email.message import Message
from email.parser import BytesHeaderParser, BytesParser
from email.policy import Policy
from pathlib import Path

import pytest

from engine.i18n import LOCALES, Translator
from engine.mail.classify import (
    BounceClass,
    BounceReason,
    MailKind,
    bounce_class,
    bounce_reason,
    classify,
    header,
    needs_body,
    new_text,
    normalize_message_id,
    parse_headers,
    parse_message,
    referenced_ids,
)
from engine.warmup.marker import WarmupMarker

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "mail"
KNOWN = frozenset({"<cmp.41.1.a8f3@alpha.test>", "<cmp.41.2.b9e4@alpha.test>", "<wu.77.c0d1@beta.test>"})
SAMPLES = sorted(CORPUS.glob("*/*.eml"))
MARKER = WarmupMarker([bytes([1]) * 32], [bytes([2]) * 32])  # the key the warmup samples' markers were made with
CHECK = MARKER.check


def _parse(path: Path, parse_policy: Policy = policy.default) -> Message:
    return BytesParser(policy=parse_policy).parsebytes(path.read_bytes())


def test_every_kind_has_several_samples() -> None:
    counts = {kind: len(list((CORPUS / kind.value).glob("*.eml"))) for kind in MailKind}
    assert all(n >= 3 for n in counts.values()), counts


@pytest.mark.parametrize("parse_policy", [policy.default, policy.compat32], ids=["default", "compat32"])
@pytest.mark.parametrize("path", SAMPLES, ids=[f"{p.parent.name}/{p.stem}" for p in SAMPLES])
def test_corpus_sample(path: Path, parse_policy: Policy) -> None:
    """Both parsing policies give the same verdict (the inbox uses the faster compat32)."""
    msg = _parse(path, parse_policy)
    verdict = classify(msg, KNOWN, warmup_check=CHECK)
    assert verdict.kind == MailKind(path.parent.name), verdict
    if expected := header(msg, "X-Expect-Address"):
        assert verdict.address == expected
    if expected := header(msg, "X-Expect-Status"):
        assert verdict.status == expected
    if expected := header(msg, "X-Expect-Related"):
        assert verdict.related_id == expected
    if expected := header(msg, "X-Expect-Reason"):
        assert verdict.reason == BounceReason(expected)


@pytest.mark.parametrize("path", SAMPLES, ids=[f"{p.parent.name}/{p.stem}" for p in SAMPLES])
def test_headers_first_decides_or_asks_for_the_body(path: Path) -> None:
    """Whatever the headers alone decide must match the full verdict; everything else asks for the body."""
    raw = path.read_bytes()
    headers = BytesHeaderParser(policy=policy.default).parsebytes(raw)
    full = classify(BytesParser(policy=policy.default).parsebytes(raw), KNOWN, warmup_check=CHECK)
    if not needs_body(headers, KNOWN, warmup_check=CHECK):
        assert classify(headers, KNOWN, warmup_check=CHECK).kind == full.kind


def test_bounces_and_replies_to_us_need_the_body() -> None:
    assert needs_body(_parse(CORPUS / "bounce_hard" / "qmail_failure_notice.eml"), KNOWN)
    assert needs_body(_parse(CORPUS / "complaint" / "arf_abuse_rfc822.eml"), KNOWN)
    assert needs_body(_parse(CORPUS / "reply" / "en_interested_quoted_footer.eml"), KNOWN)
    assert not needs_body(_parse(CORPUS / "warmup" / "warmup_reply.eml"), KNOWN, warmup_check=CHECK)
    assert not needs_body(_parse(CORPUS / "other" / "personal_unrelated.eml"), KNOWN)


def test_a_warmup_marker_counts_only_when_verified() -> None:
    """Without the key nothing is warmup; a marker made for ordinary mail or copied from another message is not."""
    genuine = _parse(CORPUS / "warmup" / "warmup_message.eml")
    assert classify(genuine, KNOWN).kind is MailKind.OTHER
    assert classify(genuine, KNOWN, warmup_check=WarmupMarker([b"k" * 32], [b"o" * 32]).check).kind is MailKind.OTHER
    for name in ("marker_of_ordinary_mail.eml", "marker_copied_to_other_message.eml"):
        assert classify(_parse(CORPUS / "other" / name), KNOWN, warmup_check=CHECK).kind is MailKind.OTHER


def test_a_reply_to_a_message_we_do_not_know_is_other() -> None:
    msg = _parse(CORPUS / "reply" / "en_interested_quoted_footer.eml")
    assert classify(msg, frozenset()).kind is MailKind.OTHER


def test_an_unsubscribe_reply_to_unknown_mail_still_counts_when_explicit() -> None:
    msg = _parse(CORPUS / "unsubscribe" / "en_reply_unsubscribe_me.eml")
    verdict = classify(msg, frozenset())
    assert verdict.kind is MailKind.UNSUBSCRIBE
    assert verdict.related_id is None


def test_bounce_of_a_message_we_do_not_know_keeps_the_original_id_for_lookup() -> None:
    verdict = classify(_parse(CORPUS / "bounce_hard" / "exim_plain_no_dsn.eml"), frozenset())
    assert verdict.kind is MailKind.BOUNCE_HARD
    assert verdict.related_id == "<cmp.99.1.ffff@alpha.test>"


def test_garbage_never_raises() -> None:
    raw = b"From: <<<@@@>>>\r\nSubject: =?bogus?Q?x?=\r\nContent-Type: multipart/report; boundary=\r\n\r\n\xff\xfe"
    verdict = classify(BytesParser(policy=policy.default).parsebytes(raw), KNOWN)
    assert verdict.kind is MailKind.OTHER


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Yes, call me.\n\nOn Mon, Anna <a@b.test> wrote:\n> unsubscribe", "Yes, call me."),
        ('Да.\n\n28.11.2026, 12:03, "Anna" <anna@alpha.test>:\n> отписаться', "Да."),
        ("Ok\n-- \nJohn\nunsubscribe link", "Ok"),
        ("> quoted only", ""),
    ],
)
def test_new_text_cuts_quotes_headers_and_signatures(text: str, expected: str) -> None:
    assert new_text(text) == expected


def test_message_id_helpers() -> None:
    assert normalize_message_id("  <a.b@c.test> ") == "<a.b@c.test>"
    assert normalize_message_id("a.b@c.test") == "<a.b@c.test>"
    assert normalize_message_id("no id here") is None
    msg = BytesParser(policy=policy.default).parsebytes(
        b"In-Reply-To: <3@x.test>\r\nReferences: <1@x.test>\r\n <2@x.test> <3@x.test>\r\n\r\n"
    )
    assert referenced_ids(msg) == ["<3@x.test>", "<2@x.test>", "<1@x.test>"]


@pytest.mark.parametrize(
    ("status", "diagnostic", "reason"),
    [
        ("4.2.2", "This is a permanent error: mailbox full", BounceReason.MAILBOX_FULL),
        ("5.0.0", "552 Mailbox full, this is a permanent error", BounceReason.MAILBOX_FULL),
        ("4.4.7", "retry timeout exceeded: permanent error", BounceReason.EXPIRED),
        ("5.7.1", "No such user!", BounceReason.USER_UNKNOWN),
        ("5.7.1", "Service unavailable; client host [192.0.2.1] blocked using zen.spamhaus.org", BounceReason.BLOCKED),
        ("5.7.1", "Message rejected as spam", BounceReason.SPAM_DETECTED),
        ("5.7.1", "SPF check failed", BounceReason.AUTH_FAILURE),
        ("5.7.26", "user unknown", BounceReason.AUTH_FAILURE),  # the code decides first
        ("4.7.0", "try again later", BounceReason.RATE_LIMITED),
        ("4.7.28", "", BounceReason.RATE_LIMITED),
        ("5.0.0", "550 5.1.0 neko.example does not exist (in reply to MAIL FROM command)", BounceReason.POLICY),
        ("5.0.0", "Почтовый ящик переполнен", BounceReason.MAILBOX_FULL),
        ("5.0.0", "Адресат не существует", BounceReason.USER_UNKNOWN),
        (None, "This is a permanent error.", BounceReason.UNDEFINED),
    ],
)
def test_the_status_code_decides_first_and_the_wording_second(
    status: str | None, diagnostic: str, reason: BounceReason
) -> None:
    assert bounce_reason(status, diagnostic) is reason


def test_only_a_permanent_recipient_failure_is_hard_and_refusals_of_us_are_always_block() -> None:
    assert bounce_class(BounceReason.USER_UNKNOWN, permanent=True) is BounceClass.HARD
    assert bounce_class(BounceReason.USER_UNKNOWN, permanent=False) is BounceClass.SOFT
    assert bounce_class(BounceReason.MAILBOX_FULL, permanent=True) is BounceClass.SOFT
    for reason in (BounceReason.AUTH_FAILURE, BounceReason.BLOCKED, BounceReason.RATE_LIMITED):
        assert bounce_class(reason, permanent=True) is bounce_class(reason, permanent=False) is BounceClass.BLOCK


def test_every_reason_and_class_has_a_name_in_both_languages() -> None:
    for locale in LOCALES:
        t = Translator(locale)
        for key in [
            *(f"bounce-reason-{r.value.replace('_', '-')}" for r in BounceReason),
            *(f"bounce-class-{c}" for c in BounceClass),
        ]:
            assert t(key) != key, (locale, key)


ANSWERS = [p for p in SAMPLES if p.parent.name in {"reply", "auto_reply", "unsubscribe"}]


@pytest.mark.parametrize("path", ANSWERS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_an_answer_without_threading_headers_is_judged_as_the_answer_it_is_taken_to_be(path: Path) -> None:
    """A lead who writes back in a new message (or whose client drops In-Reply-To and References) was `other`,
    and the sequence went on. Told which of our messages it is taken to answer (the inbox finds the last one the
    mailbox sent to the sender), every answer of the corpus keeps its kind, tied to that message; told nothing,
    a reply stays `other`."""
    msg = _parse(path)
    del msg["In-Reply-To"], msg["References"]
    ours = "<cmp.41.2.b9e4@alpha.test>"
    verdict = classify(msg, KNOWN, answering=ours)
    assert verdict.kind.value == path.parent.name
    assert verdict.related_id == ours
    if path.parent.name == "reply":
        assert classify(msg, KNOWN).kind is MailKind.OTHER


def test_a_nul_byte_in_a_bounce_never_reaches_what_is_stored() -> None:
    """A server that passes NUL through (no mail may hold one) put it into the bounced address and diagnostic:
    PostgreSQL refuses NUL in text and JSON, so the mailbox's whole write failed on every sync while the
    message stayed. Parsing drops NUL bytes, headers alone too."""
    raw = (
        b"From: MAILER-DAEMON@mx.example\r\nTo: out@sender.test\r\nSubject: Undelivered\x00 Mail\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=B\r\n\r\n"
        b"--B\r\nContent-Type: text/plain\r\n\r\nfailed\r\n"
        b"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n\r\n"
        b"Final-Recipient: rfc822; lead\x00@acme.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        b"Diagnostic-Code: smtp; 550 5.1.1 no such\x00 user\r\n\r\n"
        b"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <a1@sender.test>\r\n\r\n--B--\r\n"
    )
    verdict = classify(parse_message(raw), {"<a1@sender.test>"})
    assert (verdict.kind, verdict.address, verdict.detail) == (
        MailKind.BOUNCE_HARD,
        "lead@acme.example",
        "550 5.1.1 no such user",
    )
    assert header(parse_headers(raw.partition(b"\r\n\r\n")[0]), "Subject") == "Undelivered Mail"

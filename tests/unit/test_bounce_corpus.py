"""The real-world bounce corpus (tests/fixtures/bounces, see its README) classifies at least as well as it did
when these floors were set: a regression in detection, reason, class or recipient extraction fails here. The
figures themselves are printed by `python -m bench.bench_classify`."""

from __future__ import annotations

from email.parser import BytesParser
from email.policy import compat32

from bench.bench_classify import CORPUS, evaluate, expectations
from engine.mail.classify import MailKind, classify

SCORES = evaluate()


def test_the_corpus_is_varied_and_every_file_has_an_expectation() -> None:
    listed = {e.file for e in expectations()}
    assert listed == {p.name for p in CORPUS.glob("*.eml")}
    assert SCORES.total >= 172
    assert {e.kind for e in expectations()} == {MailKind.BOUNCE_HARD, MailKind.BOUNCE_SOFT, MailKind.BOUNCE_BLOCK}


def test_every_bounce_is_detected() -> None:
    assert SCORES.detected == SCORES.total, SCORES.misses


def test_class_accuracy_floor() -> None:
    assert SCORES.rate(SCORES.class_ok) >= 1.0, SCORES.misses


def test_reason_accuracy_floor() -> None:
    assert SCORES.rate(SCORES.reason_ok) >= 0.98, SCORES.misses


def test_recipient_accuracy_floor() -> None:
    assert SCORES.rate(SCORES.recipient_ok, SCORES.recipient_total) >= 0.99


def test_no_refusal_of_us_ever_suppresses_the_recipient() -> None:
    """The costly mistake: a block or soft bounce read as hard suppresses a valid address for every workspace."""
    assert SCORES.wrong_suppressions == 0, SCORES.misses


def test_our_own_address_is_never_the_failed_recipient() -> None:
    """Whatever else the bounce names, the mailbox it came to is never reported as the recipient that failed."""
    for expected in expectations():
        raw = (CORPUS / expected.file).read_bytes()
        msg = BytesParser(policy=compat32).parsebytes(raw)
        own = msg.get("To", "")
        verdict = classify(msg, frozenset(), own_addresses=[own.strip("<> ").lower()] if own else [])
        assert verdict.address is None or verdict.address.lower() not in own.lower(), expected.file

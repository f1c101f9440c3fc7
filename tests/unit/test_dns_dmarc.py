"""DMARC records: syntax, policy, and the none → quarantine → reject ladder."""

from __future__ import annotations

import pytest

from engine.dns.dmarc import build_dmarc, claims_dmarc, is_dmarc, next_policy, parse_dmarc, with_policy
from engine.i18n import Translator
from models.enums import DmarcPolicy


def test_built_record_parses_back() -> None:
    text = build_dmarc(DmarcPolicy.NONE, "dmarc@example.com")
    assert text == "v=DMARC1; p=none; rua=mailto:dmarc@example.com"
    record = parse_dmarc(text)
    assert record.valid and record.problems == ()
    assert record.policy is DmarcPolicy.NONE and record.rua == ("mailto:dmarc@example.com",)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("p=none; v=DMARC1", "dns-problem-dmarc-version"),
        ("v=DMARC1; p=block", "dns-problem-dmarc-policy"),
        ("v=DMARC1", "dns-problem-dmarc-no-policy"),
        ("v=DMARC1; sp=reject; rua=mailto:a@b.ru", "dns-problem-dmarc-no-policy"),  # sp= is no p=
        ("v=DMARC1; p=; rua=mailto:a@b.ru", "dns-problem-dmarc-policy"),
        ("v=DMARC1; p=none; pct=150; rua=mailto:a@b.ru", "dns-problem-dmarc-tag"),
        ("v=DMARC1; p=none; adkim=x; rua=mailto:a@b.ru", "dns-problem-dmarc-tag"),
        ("v=DMARC1; p=none; rua=dmarc@b.ru", "dns-problem-dmarc-tag"),
        ("v=DMARC1; p=none; sp=maybe; rua=mailto:a@b.ru", "dns-problem-dmarc-tag"),
    ],
)
def test_broken_records(text: str, problem: str) -> None:
    record = parse_dmarc(text)
    assert problem in [p.key for p in record.problems]
    assert not record.valid


def test_missing_rua_is_advice_only() -> None:
    record = parse_dmarc("v=DMARC1; p=reject")
    assert record.valid and [(p.key, p.warning) for p in record.problems] == [("dns-problem-dmarc-no-rua", True)]
    assert parse_dmarc("v=DMARC1; p=none; rua=mailto:a@b.ru!10m,mailto:c@d.ru").valid
    assert parse_dmarc("v=DMARC1; p=none; rua=MAILTO:a@b.ru, Mailto:c@d.ru").valid  # a scheme has no case


def test_is_dmarc() -> None:
    assert is_dmarc(" v=DMARC1;p=none") and is_dmarc("v = DMARC1")
    assert not is_dmarc("v=DMARC1 p=none") and not is_dmarc("p=none; v=DMARC1") and not is_dmarc("v=spf1 -all")


def test_with_policy_keeps_other_tags() -> None:
    text = with_policy("v=DMARC1; p=none; pct=50; rua=mailto:a@b.ru; ruf=mailto:f@b.ru", DmarcPolicy.QUARANTINE)
    assert text == "v=DMARC1; p=quarantine; pct=50; rua=mailto:a@b.ru; ruf=mailto:f@b.ru"


def test_ladder() -> None:
    assert next_policy(DmarcPolicy.NONE) is DmarcPolicy.QUARANTINE
    assert next_policy(DmarcPolicy.QUARANTINE) is DmarcPolicy.REJECT
    assert next_policy(DmarcPolicy.REJECT) is None


def test_only_records_that_start_with_v_dmarc1_are_claimed_by_a_dmarc_plan() -> None:
    """A broken DMARC record is still DMARC (the plan replaces it); a token published at `_dmarc` is not."""
    for text in ("v=DMARC1; p=none", "v=DMARC1 p=none", " v = dmarc1;p=reject", "v=DMARC1"):
        assert claims_dmarc(text), text
    for text in ("reportsvc-verification=f00d", "google-site-verification=x", "p=none; v=DMARC1", "v=DMARC10; p=none"):
        assert not claims_dmarc(text), text


def test_a_partial_pct_of_an_enforcing_policy_is_a_warning_naming_what_the_rest_gets() -> None:
    """`p=quarantine; pct=0` (a way to watch without enforcing) read as a plain ✅ quarantine, and the ladder took the
    domain for one that quarantines: RFC 7489 6.6.4 gives the mail not sampled the next weaker policy."""
    for text, params in (
        ("v=DMARC1; p=quarantine; pct=0; rua=mailto:d@a.ru", {"pct": 0, "policy": "quarantine", "rest": "none"}),
        ("v=DMARC1; P=REJECT; PCT=25; rua=mailto:d@a.ru", {"pct": 25, "policy": "reject", "rest": "quarantine"}),
    ):
        record = parse_dmarc(text)
        assert record.valid and [(p.key, dict(p.params), p.warning) for p in record.problems] == [
            ("dns-problem-dmarc-pct", params, True)
        ]
    for whole in ("v=DMARC1; p=reject; pct=100; rua=mailto:d@a.ru", "v=DMARC1; p=none; pct=10; rua=mailto:d@a.ru"):
        assert parse_dmarc(whole).problems == ()
    for locale in ("ru", "en"):
        said = Translator(locale)("dns-problem-dmarc-pct", pct=0, policy="quarantine", rest="none")
        assert "p=quarantine" in said and "p=none" in said and "0 %" in said

"""The verdict rules of a DNS check, on plain lookups (the network part is tested against Knot)."""

from __future__ import annotations

import pytest

from engine.dns.check import Lookup, LookupStatus, judge
from engine.dns.spf import LookupCount
from engine.dns.templates import DnsPlan, DomainSpec, build_plan
from models.enums import DmarcPolicy, DnsRecordKind, DnsVerdict, MailProvider

K, V, S = DnsRecordKind, DnsVerdict, LookupStatus
DKIM = "v=DKIM1; k=rsa; p=" + "A" * 40  # unreadable key: enough to test the rules around it


@pytest.fixture
def plan() -> DnsPlan:
    spec = DomainSpec(
        "a.test", MailProvider.YANDEX360, "dmarc@a.test", tracking_host="t.a.test", tracking_target="trk.test"
    )
    return build_plan(spec)


def verdict(plan: DnsPlan, kind: DnsRecordKind, result: Lookup, **kw: object) -> tuple[DnsVerdict, list[str]]:
    expectation = plan.expectation(kind)
    assert expectation is not None
    check = judge(plan, expectation, result, **kw)  # type: ignore[arg-type]
    return check.verdict, [p.key for p in check.problems]


@pytest.mark.parametrize("kind", list(DnsRecordKind))
def test_failed_lookups_are_never_ok(plan: DnsPlan, kind: DnsRecordKind) -> None:
    assert verdict(plan, kind, Lookup(S.TIMEOUT)) == (V.TIMEOUT, ["dns-problem-timeout"])
    assert verdict(plan, kind, Lookup(S.SERVFAIL)) == (V.SERVFAIL, ["dns-problem-servfail"])
    assert verdict(plan, kind, Lookup(S.NXDOMAIN), apex_missing=True) == (V.NXDOMAIN, ["dns-problem-nxdomain"])
    assert verdict(plan, kind, Lookup(S.NXDOMAIN))[0] == V.MISSING
    assert verdict(plan, kind, Lookup(S.NODATA))[0] == V.MISSING


def test_a_name_below_a_registered_domain_that_does_not_exist_has_no_records_yet() -> None:
    """`news.acme.ru` not in DNS was "not delegated, or its registration expired": it is a name under acme.ru
    with nothing published yet. `acme.ru` itself not in DNS still reads as not delegated or expired."""
    for zone, key in (("news.acme.ru", "dns-problem-nxdomain-below"), ("acme.ru", "dns-problem-nxdomain")):
        plan = build_plan(DomainSpec(zone, MailProvider.YANDEX360, f"dmarc@{zone}"))
        expectation = plan.expectation(K.MX)
        assert expectation is not None
        check = judge(plan, expectation, Lookup(S.NXDOMAIN), apex_missing=True)
        assert (check.verdict, [p.key for p in check.problems]) == (V.NXDOMAIN, [key])
    assert dict(check.problems[0].params) == {}


def test_mx(plan: DnsPlan) -> None:
    assert verdict(plan, K.MX, Lookup(S.ANSWER, ("10 mx.yandex.net.",))) == (V.OK, [])
    assert verdict(plan, K.MX, Lookup(S.ANSWER, ("10 mx.yandex.net.", "20 emx.mail.ru.")))[0] == V.MISMATCH
    # RFC 7505: a null MX is no mail at all, not merely "elsewhere"
    assert verdict(plan, K.MX, Lookup(S.ANSWER, ("0 .",))) == (V.MISMATCH, ["dns-problem-mx-null"])
    assert verdict(plan, K.MX, Lookup(S.ANSWER, ("10 other.test.",))) == (V.MISMATCH, ["dns-problem-mx-differs"])


def test_spf(plan: DnsPlan) -> None:
    good = "v=spf1 include:_spf.yandex.net ~all"
    other_txt = "google-site-verification=1"
    assert verdict(plan, K.SPF, Lookup(S.ANSWER, (good, other_txt)), spf_lookups=LookupCount(1, ())) == (V.OK, [])
    assert verdict(plan, K.SPF, Lookup(S.ANSWER, (other_txt,)))[0] == V.MISSING
    assert verdict(plan, K.SPF, Lookup(S.ANSWER, (good, "v=spf1 mx -all"))) == (V.DUPLICATE, ["dns-problem-duplicate"])
    assert verdict(plan, K.SPF, Lookup(S.ANSWER, ("v=spf1 include:_spf.yandex.net ~al",)))[0] == V.INVALID
    assert verdict(plan, K.SPF, Lookup(S.ANSWER, ("v=spf1 mx -all",)))[1] == ["dns-problem-spf-no-include"]
    too_many = verdict(plan, K.SPF, Lookup(S.ANSWER, (good,)), spf_lookups=LookupCount(11, ("x.test",)))
    assert too_many == (V.INVALID, ["dns-problem-spf-unresolved", "dns-problem-spf-too-many-lookups"])
    typo = verdict(plan, K.SPF, Lookup(S.ANSWER, (good,)), spf_lookups=LookupCount(2, (), (("t.test", "invalid"),)))
    assert typo == (V.INVALID, ["dns-problem-spf-include-invalid"])


def test_dkim(plan: DnsPlan) -> None:
    assert verdict(plan, K.DKIM, Lookup(S.ANSWER, (DKIM,))) == (V.INVALID, ["dns-problem-dkim-bad-key"])
    assert verdict(plan, K.DKIM, Lookup(S.ANSWER, (DKIM, DKIM + "B")))[0] == V.DUPLICATE


def test_dmarc(plan: DnsPlan) -> None:
    assert verdict(plan, K.DMARC, Lookup(S.ANSWER, ("v=DMARC1; p=none; rua=mailto:d@a.test",))) == (V.OK, [])
    assert verdict(plan, K.DMARC, Lookup(S.ANSWER, ("v=DMARC1; p=reject; rua=mailto:d@a.test",))) == (
        V.MISMATCH,
        ["dns-problem-dmarc-policy-differs"],
    )
    assert verdict(plan, K.DMARC, Lookup(S.ANSWER, ("v=DMARC1 p=none",)))[0] == V.INVALID
    assert plan.dmarc_policy is DmarcPolicy.NONE


def test_tracking(plan: DnsPlan) -> None:
    assert verdict(plan, K.TRACKING, Lookup(S.ANSWER, ("TRK.test.",))) == (V.OK, [])
    assert verdict(plan, K.TRACKING, Lookup(S.ANSWER, ("other.test.",)))[0] == V.MISMATCH

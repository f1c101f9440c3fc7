"""Pure rules behind what chat shows about a domain: its blacklist and DNS state, the provider read from MX, the
records an apply writes, a DMARC policy never weakened, typed lists and tracking hosts checked."""

from __future__ import annotations

import datetime as dt

import pytest

from engine.dns.check import Lookup, LookupStatus, RecordCheck, judge
from engine.dns.records import ZoneRecord
from engine.dns.templates import Change, DomainSpec, build_plan, describe_changes, provider_from_mx
from engine.domains import DnsReport, Health, summarize_dns
from engine.domains.inventory import check_typed, tracking_host
from engine.domains.state import AUTH_RECORDS, DnsRow, ZoneListing, blacklist_state, dns_state, unplanned_records
from engine.errors import UserError
from models.enums import DmarcPolicy, DnsRecordKind, DnsVerdict, ListingResult, MailProvider

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
T1 = T0 + dt.timedelta(hours=6)
L, C, E = ListingResult.LISTED, ListingResult.CLEAN, ListingResult.ERROR
K, V = DnsRecordKind, DnsVerdict


def listing(zone: str, result: ListingResult, since: dt.datetime = T0, *meanings: str) -> ZoneListing:
    return ZoneListing(zone, result, meanings, T1, since)


def test_blacklist_states_are_four_and_never_confused() -> None:
    assert blacklist_state([]).health == Health.UNKNOWN and blacklist_state([]).never_checked
    clean = blacklist_state([listing("a", C), listing("b", C)])
    assert (clean.health, clean.checked_at, clean.since) == (Health.OK, T1, None)
    partial = blacklist_state([listing("a", C), listing("b", E, T0, "dnsbl-error-timeout")])
    assert (partial.health, partial.zones, partial.reasons) == (Health.PARTIAL, ("b",), ("dnsbl-error-timeout",))
    later = T0 + dt.timedelta(hours=2)
    unknown = blacklist_state(
        [listing("a", E, T0, "dnsbl-error-public-resolver"), listing("b", E, later, "dnsbl-error-refused")]
    )
    assert (unknown.health, unknown.since, unknown.never_checked) == (Health.UNKNOWN, later, False)
    assert unknown.reasons == ("dnsbl-error-public-resolver", "dnsbl-error-refused")
    listed = blacklist_state([listing("a", L, later), listing("b", L, T0), listing("c", E, T0, "dnsbl-error-timeout")])
    assert (listed.health, listed.zones, listed.since, listed.unchecked) == (Health.BAD, ("a", "b"), T0, ("c",))
    # a list the latest check did not ask any more does not count
    stale = ZoneListing("gone", E, ("dnsbl-error-timeout",), T0, T0)
    assert blacklist_state([listing("a", C), stale]).health == Health.OK


def test_dns_states() -> None:
    def rows(*verdicts: DnsVerdict) -> list[DnsRow]:
        return [DnsRow(kind, verdict, T1) for kind, verdict in zip(K, verdicts, strict=False)]

    assert dns_state([]).health == Health.UNKNOWN and dns_state([]).never_checked
    assert dns_state(rows(V.OK, V.OK)).health == Health.OK
    assert dns_state(rows(V.OK, V.TIMEOUT)).health == Health.PARTIAL
    failing = dns_state(rows(V.MISSING, V.TIMEOUT, V.OK))
    assert (failing.health, failing.records) == (Health.BAD, (K.MX,))
    unknown = dns_state(rows(V.TIMEOUT, V.SERVFAIL), unknown_since=T0)
    assert (unknown.health, unknown.since, unknown.reasons) == (Health.UNKNOWN, T0, (V.TIMEOUT, V.SERVFAIL))


@pytest.mark.parametrize(
    ("hosts", "provider"),
    [
        (["mx.yandex.net."], MailProvider.YANDEX360),
        (["MX.Yandex.Ru"], MailProvider.YANDEX360),
        (["emx.mail.ru."], MailProvider.MAILRU),
        (["mx.yandex.net.", "emx.mail.ru."], None),  # a mix: nobody's
        (["mx.example.net."], None),
        ([], None),
    ],
)
def test_provider_from_mx(hosts: list[str], provider: MailProvider | None) -> None:
    assert provider_from_mx(hosts) == provider


def test_the_apply_confirmation_lists_records_without_doubled_dots() -> None:
    changes = [
        Change("remove", K.MX, ZoneRecord("@", "MX", "10 mx.old.ru.")),
        Change("remove", K.SPF, ZoneRecord("@", "TXT", "v=spf1 a -all")),
        Change("remove", K.SPF, ZoneRecord("@", "TXT", "v=spf1 mx -all")),
        Change("add", K.MX, ZoneRecord("@", "MX", "10 mx.yandex.net.")),
        Change("add", K.SPF, ZoneRecord("@", "TXT", "v=spf1 include:_spf.yandex.net ~all")),
        Change("add", K.TRACKING, ZoneRecord("t", "CNAME", "track.example.net.")),
    ]
    edits = [(e.action, e.rtype, e.name, e.value, e.old) for e in describe_changes("xn--e1afmkfd.xn--p1ai", changes)]
    assert edits == [
        ("change", "MX", "xn--e1afmkfd.xn--p1ai", "10 mx.yandex.net", "10 mx.old.ru"),
        ("remove", "TXT", "xn--e1afmkfd.xn--p1ai", "v=spf1 a -all", ""),
        ("remove", "TXT", "xn--e1afmkfd.xn--p1ai", "v=spf1 mx -all", ""),
        ("add", "TXT", "xn--e1afmkfd.xn--p1ai", "v=spf1 include:_spf.yandex.net ~all", ""),
        ("add", "CNAME", "t.xn--e1afmkfd.xn--p1ai", "track.example.net", ""),
    ]
    plan = build_plan(DomainSpec("a.ru", MailProvider.YANDEX360, "d@a.ru"))
    mx = plan.expectation(K.MX)
    assert mx is not None
    check: RecordCheck = judge(plan, mx, Lookup(LookupStatus.ANSWER, ("10 mx.other.ru.",)))
    assert [p.params for p in check.problems] == [{"expected": "mx.yandex.net"}]


@pytest.mark.parametrize("served", ["v=DMARC1; p=reject; rua=mailto:d@a.ru", "v=DMARC1; p=quarantine; sp=reject"])
def test_a_plan_never_weakens_a_published_dmarc_policy(served: str) -> None:
    published = DmarcPolicy(served.split("p=")[1].split(";", maxsplit=1)[0])
    plan = build_plan(DomainSpec("a.ru", MailProvider.YANDEX360, "d@a.ru"), [ZoneRecord("_dmarc", "TXT", served)])
    dmarc = plan.expectation(K.DMARC)
    assert plan.dmarc_policy == published and dmarc is not None
    assert f"p={published.value}" in dmarc.records[0].value
    weaker = build_plan(
        DomainSpec("a.ru", MailProvider.YANDEX360, "d@a.ru", DmarcPolicy.REJECT),
        [ZoneRecord("_dmarc", "TXT", "v=DMARC1; p=none")],
    )
    assert weaker.dmarc_policy == DmarcPolicy.REJECT  # the domain's own stricter step stands


def test_a_plan_without_a_provider_says_to_set_one() -> None:
    plan = build_plan(DomainSpec("a.ru", None, "d@a.ru", tracking_host="t.a.ru", tracking_target="track.x.net"))
    assert [e.kind for e in plan.expectations] == [K.DMARC, K.TRACKING]
    assert [(n.key, n.params) for n in plan.notes] == [("dns-note-provider-unknown", {"domain": "a.ru"})]


def test_typed_lists_with_control_characters_are_refused() -> None:
    check_typed("a.ru\tcomment\nb.ru\r\n")
    with pytest.raises(UserError) as caught:
        check_typed("a.ru\nb\x00.ru\nc\x1b.ru")
    assert (caught.value.key, caught.value.params) == ("error-domain-names-control", {"lines": "2, 3"})


def test_tracking_host_is_under_the_domain_and_not_its_apex() -> None:
    assert tracking_host("a.ru", "t") == "t.a.ru"
    assert tracking_host("xn--e1afmkfd.xn--p1ai", "Клик.Пример.РФ.") == "xn--h1adbc.xn--e1afmkfd.xn--p1ai"
    for bad in ("a.ru", "t.b.ru", "bad label", "-"):
        with pytest.raises(UserError, match="error-domain-set-tracking"):
            tracking_host("a.ru", bad)


def test_the_summary_names_the_worst_domains_first() -> None:
    def report(name: str, *verdicts: DnsVerdict) -> DnsReport:
        records = tuple(RecordCheck(k, name, (), (), v) for k, v in zip(K, verdicts, strict=False))
        return DnsReport(name, records, (), T1)

    reports = [
        report("fine.ru", V.OK, V.OK),
        report("blind.ru", V.TIMEOUT, V.TIMEOUT),
        report("half.ru", V.OK, V.SERVFAIL),
        report("bad.ru", V.MISSING, V.OK),
        report("worse.ru", V.MISSING, V.INVALID),
    ]
    summary = summarize_dns(reports, top=3)
    assert summary.counts == {Health.BAD: 2, Health.UNKNOWN: 1, Health.PARTIAL: 1, Health.OK: 1}
    assert [r.domain for r in summary.worst] == ["worse.ru", "bad.ru", "blind.ru"]


def test_a_domain_without_a_provider_is_never_ok_its_auth_records_are_unchecked() -> None:
    at = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
    rows = [DnsRow(DnsRecordKind.DMARC, DnsVerdict.OK, at), DnsRow(DnsRecordKind.TRACKING, DnsVerdict.OK, at)]
    assert dns_state(rows).health is Health.OK
    unknown = dns_state(rows, unplanned=unplanned_records(None))
    assert (unknown.health, unknown.records) == (Health.PARTIAL, AUTH_RECORDS)
    assert unplanned_records(MailProvider.YANDEX360) == ()
    report = DnsReport("x.test", (), (), at, unplanned=AUTH_RECORDS)
    assert not report.ok

"""Provider templates, the plan, its zone-file rendering and the diff against what is served."""

from __future__ import annotations

import dns.zone

from engine.dns.records import ZoneRecord
from engine.dns.templates import DomainSpec, build_plan, diff_plan, render_diff, render_zone
from models.enums import DmarcPolicy, DnsRecordKind, MailProvider

K = DnsRecordKind
KEY = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA" + "x" * 300 + "IDAQAB"


def spec(**overrides: object) -> DomainSpec:
    values: dict[str, object] = {
        "name": "xn--e1afmkfd.xn--p1ai",
        "provider": MailProvider.YANDEX360,
        "dmarc_rua": "dmarc@xn--e1afmkfd.xn--p1ai",
        "dkim_public_key": KEY,
        "tracking_host": "t.xn--e1afmkfd.xn--p1ai",
        "tracking_target": "track.mailfleet.test",
    }
    return DomainSpec(**{**values, **overrides})  # type: ignore[arg-type]


def test_yandex_plan_has_every_record() -> None:
    plan = build_plan(spec())
    assert [(r.owner, r.rtype, r.value) for r in plan.records] == [
        ("@", "MX", "10 mx.yandex.net."),
        ("@", "TXT", "v=spf1 include:_spf.yandex.net ~all"),
        ("mail._domainkey", "TXT", f"v=DKIM1; k=rsa; p={KEY}"),
        ("_dmarc", "TXT", "v=DMARC1; p=none; rua=mailto:dmarc@xn--e1afmkfd.xn--p1ai"),
        ("t", "CNAME", "track.mailfleet.test."),
    ]
    assert plan.notes == () and plan.spf_include == "_spf.yandex.net"


def test_mailru_plan_and_unknown_dkim_key() -> None:
    plan = build_plan(spec(provider=MailProvider.MAILRU, dkim_public_key="", tracking_target="192.0.2.7"))
    mx = plan.expectation(K.MX)
    dkim = plan.expectation(K.DKIM)
    tracking = plan.expectation(K.TRACKING)
    assert mx is not None and [r.value for r in mx.records] == ["10 emx.mail.ru."]
    assert dkim is not None and dkim.owner == "mailru._domainkey" and dkim.records == ()
    assert tracking is not None and [(r.rtype, r.value) for r in tracking.records] == [("A", "192.0.2.7")]
    assert [n.key for n in plan.notes] == ["dns-note-dkim-key-unknown"]


def test_generic_plan_needs_explicit_mx_and_spf() -> None:
    bare = build_plan(spec(provider=MailProvider.GENERIC, tracking_host=""))
    assert [e.kind for e in bare.expectations] == [K.DMARC]
    assert [n.key for n in bare.notes] == ["dns-note-spf-unknown", "dns-note-dkim-selector-unknown"]
    own = build_plan(
        spec(provider=MailProvider.GENERIC, mx=((5, "mx.own.test"),), spf_include="spf.own.test", dkim_selector="s1")
    )
    assert [r.value for r in own.records[:2]] == ["5 mx.own.test.", "v=spf1 include:spf.own.test ~all"]


def test_served_spf_is_merged_and_served_dmarc_keeps_its_tags() -> None:
    served = [
        ZoneRecord("@", "TXT", "v=spf1 ip4:192.0.2.10 -all"),
        ZoneRecord("@", "TXT", "yandex-verification: 123"),
        ZoneRecord("_dmarc", "TXT", "v=DMARC1; p=none; pct=50; rua=mailto:x@y.ru"),
    ]
    plan = build_plan(spec(dmarc_policy=DmarcPolicy.QUARANTINE), served)
    spf, dmarc = plan.expectation(K.SPF), plan.expectation(K.DMARC)
    assert spf is not None and spf.records[0].value == "v=spf1 ip4:192.0.2.10 include:_spf.yandex.net -all"
    assert dmarc is not None and dmarc.records[0].value == "v=DMARC1; p=quarantine; pct=50; rua=mailto:x@y.ru"


def test_zone_file_loads_back_with_dnspython_and_splits_long_txt() -> None:
    plan = build_plan(spec())
    text = render_zone(plan)
    assert text.startswith("; пример.рф\n$ORIGIN xn--e1afmkfd.xn--p1ai.\n")
    zone = dns.zone.from_text(text, origin=None, check_origin=False)
    assert zone.origin is not None and zone.origin.to_text() == "xn--e1afmkfd.xn--p1ai."
    dkim = zone.find_rdataset("mail._domainkey", "TXT")
    (rdata,) = dkim
    assert [len(s) for s in rdata.strings] == [255, len(f"v=DKIM1; k=rsa; p={KEY}") - 255]
    assert b"".join(rdata.strings).decode() == f"v=DKIM1; k=rsa; p={KEY}"
    assert zone.find_rdataset("t", "CNAME")[0].target.to_text() == "track.mailfleet.test."
    assert dkim.ttl == 3600


def test_diff_replaces_only_managed_records() -> None:
    plan = build_plan(spec())
    served = [
        ZoneRecord("@", "MX", "10 mx.yandex.net"),  # same, spelled without the dot
        ZoneRecord("@", "MX", "20 emx.mail.ru."),  # a leftover of another provider
        ZoneRecord("@", "TXT", "v=spf1 include:_spf.yandex.net   ~all"),  # same, other spacing
        ZoneRecord("@", "TXT", "google-site-verification=abc"),  # not ours: untouched
        ZoneRecord("_dmarc", "TXT", "v=DMARC1; p=reject"),
        ZoneRecord("t", "A", "192.0.2.1"),  # must go before a CNAME can exist there
        ZoneRecord("www", "A", "192.0.2.2"),  # not ours: untouched
    ]
    changes = diff_plan(plan, served)
    assert [(c.action, c.kind, c.record.owner, c.record.value) for c in changes] == [
        ("remove", K.MX, "@", "20 emx.mail.ru."),
        ("remove", K.DMARC, "_dmarc", "v=DMARC1; p=reject"),
        ("remove", K.TRACKING, "t", "192.0.2.1"),
        ("add", K.DKIM, "mail._domainkey", f"v=DKIM1; k=rsa; p={KEY}"),
        ("add", K.DMARC, "_dmarc", "v=DMARC1; p=none; rua=mailto:dmarc@xn--e1afmkfd.xn--p1ai"),
        ("add", K.TRACKING, "t", "track.mailfleet.test."),
    ]
    text = render_diff(plan, changes)
    assert '- _dmarc 3600 IN TXT "v=DMARC1; p=reject"' in text
    assert "+ t 3600 IN CNAME track.mailfleet.test." in text


def test_diff_of_a_matching_zone_is_empty_and_unknown_dkim_is_left_alone() -> None:
    plan = build_plan(spec(dkim_public_key=""))
    served = [*plan.records, ZoneRecord("mail._domainkey", "TXT", "v=DKIM1; k=rsa; p=OLD")]
    assert diff_plan(plan, served) == ()
    assert render_diff(plan, ()) == ""

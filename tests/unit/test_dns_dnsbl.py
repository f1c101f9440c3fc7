"""DNSBL answers: code meanings, answers that mean "blind", query names, and the DQS key kept out of sight."""

from __future__ import annotations

import pytest

from engine.dns.dnsbl import DnsblZone, Family, TargetKind, classify, default_zones, query_name, target_kind
from models.enums import ListingResult

L, E = ListingResult.LISTED, ListingResult.ERROR


@pytest.mark.parametrize(
    ("family", "codes", "expected"),
    [
        (Family.SPAMHAUS_ZEN, ["127.0.0.2"], (L, ("dnsbl-code-sbl",))),
        (Family.SPAMHAUS_ZEN, ["127.0.0.4", "127.0.0.10"], (L, ("dnsbl-code-xbl", "dnsbl-code-pbl"))),
        (Family.SPAMHAUS_ZEN, ["127.255.255.254"], (E, ("dnsbl-error-public-resolver",))),
        (Family.SPAMHAUS_ZEN, ["127.255.255.255"], (E, ("dnsbl-error-excessive",))),
        (Family.SPAMHAUS_ZEN, ["127.255.255.252"], (E, ("dnsbl-error-typo",))),
        (Family.SPAMHAUS_DBL, ["127.0.1.2"], (L, ("dnsbl-code-dbl-spam",))),
        (Family.SPAMHAUS_DBL, ["127.0.1.4"], (L, ("dnsbl-code-dbl-phish",))),
        (Family.SPAMHAUS_DBL, ["127.0.1.104"], (L, ("dnsbl-code-dbl-abused",))),
        (Family.SPAMHAUS_DBL, ["127.0.1.255"], (E, ("dnsbl-error-ip-in-domain-list",))),
        (Family.SPAMHAUS_DBL, ["127.0.1.2", "127.255.255.254"], (E, ("dnsbl-error-public-resolver",))),
        (Family.URIBL, ["127.0.0.1"], (E, ("dnsbl-error-refused",))),
        (Family.URIBL, ["127.0.0.6"], (L, ("dnsbl-code-uribl-black", "dnsbl-code-uribl-grey"))),
        (Family.SURBL, ["127.0.0.80"], (L, ("dnsbl-code-surbl-malware", "dnsbl-code-surbl-abuse"))),
        (Family.SURBL, ["127.0.0.1"], (E, ("dnsbl-error-refused",))),
        # 127.255.255.0/24 is a refusal from any list, never every bit of a bitmask
        (Family.URIBL, ["127.255.255.254"], (E, ("dnsbl-error-refused",))),
        (Family.SURBL, ["127.255.255.255"], (E, ("dnsbl-error-refused",))),
        (Family.BARRACUDA, ["127.255.255.254"], (E, ("dnsbl-error-refused",))),
        (Family.SPAMCOP, ["127.0.0.2", "127.255.255.255"], (E, ("dnsbl-error-refused",))),
        (Family.BARRACUDA, ["127.0.0.2"], (L, ("dnsbl-code-barracuda",))),
        (Family.SPAMCOP, ["127.0.0.2"], (L, ("dnsbl-code-spamcop",))),
        (Family.SPAMHAUS_ZEN, ["127.0.0.77"], (L, ("dnsbl-code-unknown",))),
        (Family.SPAMCOP, ["10.0.0.2"], (E, ("dnsbl-error-unexpected",))),
        (Family.SPAMCOP, ["::1"], (E, ("dnsbl-error-unexpected",))),
    ],
)
def test_classify(family: Family, codes: list[str], expected: tuple[ListingResult, tuple[str, ...]]) -> None:
    assert classify(family, codes) == expected


def test_query_names() -> None:
    zen = DnsblZone("zen.spamhaus.org", TargetKind.IP, Family.SPAMHAUS_ZEN)
    dbl = DnsblZone("dbl.spamhaus.org", TargetKind.DOMAIN, Family.SPAMHAUS_DBL)
    assert query_name("192.0.2.99", zen) == "99.2.0.192.zen.spamhaus.org"
    assert query_name("2001:db8::1", zen).startswith("1.0.0.0.") and query_name("2001:db8::1", zen).endswith(
        ".8.b.d.0.1.0.0.2.zen.spamhaus.org"
    )
    assert query_name("Пример.РФ", dbl) == "xn--e1afmkfd.xn--p1ai.dbl.spamhaus.org"
    assert target_kind("192.0.2.1") == TargetKind.IP and target_kind("a.ru") == TargetKind.DOMAIN


def test_dqs_key_goes_into_the_query_only() -> None:
    zones = {z.name: z for z in default_zones("sEcReTkEy")}
    dbl, zen, uribl = zones["dbl.spamhaus.org"], zones["zen.spamhaus.org"], zones["multi.uribl.com"]
    assert query_name("a.ru", dbl) == "a.ru.sEcReTkEy.dbl.dq.spamhaus.net"
    assert query_name("192.0.2.1", zen) == "1.2.0.192.sEcReTkEy.zen.dq.spamhaus.net"
    assert query_name("a.ru", uribl) == "a.ru.multi.uribl.com"
    assert "sEcReTkEy" not in repr(default_zones("sEcReTkEy"))
    assert {z.suffix for z in default_zones()} == {z.name for z in default_zones()}
    assert {z.kind for z in default_zones()} == {TargetKind.IP, TargetKind.DOMAIN}

"""A blocklist asked through a resolver that hides its answers (Spamhaus answers a public resolver with NXDOMAIN;
some resolvers answer NXDOMAIN for every name) says "not listed" about everything. Each list is asked about its
test points too (real Knot zones): a list that does not confirm one is blind, and its "not listed" is an error."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from engine.dns.dnsbl import DnsblZone, Family, TargetKind, check_all, probe_entries, probe_names
from models.enums import ListingResult
from tests.harness.dnsserver import DnsServer

SEEING = DnsblZone("dbl.seeing.test", TargetKind.DOMAIN, Family.SPAMHAUS_DBL)
BLIND = DnsblZone("dbl.blind.test", TargetKind.DOMAIN, Family.SPAMHAUS_DBL)
BLIND_IP = DnsblZone("zen.blind.test", TargetKind.IP, Family.SPAMHAUS_ZEN)
OWN_TEST = DnsblZone("multi.uribl.mirror.test", TargetKind.DOMAIN, Family.URIBL)


@pytest.fixture(scope="module")
def knot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DnsServer]:
    with DnsServer(tmp_path_factory.mktemp("knot")) as server:
        server.set_dnsbl(SEEING.name, {"listed.test": "127.0.1.2"})
        server.set_dnsbl(BLIND.name, {"listed.test": "127.0.1.2"}, test_points=False)
        server.set_dnsbl(BLIND_IP.name, {}, test_points=False)
        # a mirror with only the list's own documented test domain, not RFC 5782's "test"
        server.set_dnsbl(OWN_TEST.name, {"test.uribl.com": "127.0.0.14"}, test_points=False)
        yield server


async def test_a_list_that_confirms_no_test_point_is_blind_never_clean(knot: DnsServer) -> None:
    results = await check_all(
        knot.resolver(), ["clean.test", "listed.test", "192.0.2.1"], [SEEING, BLIND, BLIND_IP, OWN_TEST]
    )
    found = {(r.target, r.zone): (r.result, r.meanings) for r in results}
    assert found[("clean.test", SEEING.name)] == (ListingResult.CLEAN, ())
    assert found[("clean.test", OWN_TEST.name)] == (ListingResult.CLEAN, ())  # its own test domain answered
    assert found[("clean.test", BLIND.name)] == (ListingResult.ERROR, ("dnsbl-error-test-point",))
    assert found[("192.0.2.1", BLIND_IP.name)] == (ListingResult.ERROR, ("dnsbl-error-test-point",))
    assert found[("listed.test", BLIND.name)][0] is ListingResult.LISTED  # a listing it does return still counts
    assert found[("listed.test", SEEING.name)] == (ListingResult.LISTED, ("dnsbl-code-dbl-spam",))
    assert [(r.target, r.zone) for r in results] == [  # in order, one per target and list of its kind
        (t, z.name) for t in ["clean.test", "listed.test"] for z in (SEEING, BLIND, OWN_TEST)
    ] + [("192.0.2.1", BLIND_IP.name)]


def test_the_probes_of_each_kind_of_list() -> None:
    assert probe_entries(SEEING) == ("dbltest.com", "test")
    assert probe_names(OWN_TEST) == (
        "2.0.0.127.multi.uribl.mirror.test",  # URIBL's documented test query, an address reversed
        "test.uribl.com.multi.uribl.mirror.test",
        "test.multi.uribl.mirror.test",
    )
    assert probe_entries(BLIND_IP) == ("127.0.0.2",)
    assert probe_entries(DnsblZone("dnsbl.example", TargetKind.DOMAIN, Family.BARRACUDA)) == ("test",)
    configured = DnsblZone("dbl.example", TargetKind.DOMAIN, Family.SPAMHAUS_DBL, test_point="canary.example")
    assert probe_names(configured) == ("canary.example.dbl.example",)  # DNSBL_ZONES' test_point replaces them

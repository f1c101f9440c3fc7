"""The DNS harness serves exactly what a test sets (real Knot); the resolver doubles fail like broken ones."""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Iterator
from pathlib import Path

import dns.asyncresolver
import dns.resolver
import pytest

from tests.harness.dnsserver import DnsServer, Record, ServfailServer, SilentUdpServer

DKIM_KEY = base64.b64encode(os.urandom(294)).decode()  # the size of a 2048-bit RSA SubjectPublicKeyInfo
DKIM = f"v=DKIM1; k=rsa; p={DKIM_KEY}"
SPF = "v=spf1 ip4:192.0.2.10 include:_spf.provider.test ~all"
DMARC = "v=DMARC1; p=reject; rua=mailto:dmarc@alpha.test; pct=100"
QUOTED = 'say "hi"; back\\slash; Grüße'


@pytest.fixture(scope="module")
def dns_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DnsServer]:
    with DnsServer(tmp_path_factory.mktemp("knot")) as server:
        server.set_zone(
            "alpha.test",
            [
                ("@", "MX", "10 mx"),
                ("@", "MX", "20 mx2.provider.test."),
                ("mx", "A", "127.0.0.5"),
                ("@", "TXT", SPF),
                ("s1._domainkey", "TXT", DKIM, 3600),
                Record("_dmarc.alpha.test", "TXT", DMARC),
                ("quoted", "TXT", QUOTED),
                ("track", "CNAME", "mx"),
                ("links", "CNAME", "tracking.provider.test."),
            ],
        )
        yield server


def txt(answer: dns.resolver.Answer) -> list[str]:
    return sorted(b"".join(rdata.strings).decode() for rdata in answer)


async def test_mail_records_read_back_exactly(dns_server: DnsServer) -> None:
    res = dns_server.resolver()
    mx = await res.resolve("alpha.test", "MX")
    assert sorted((r.preference, r.exchange.to_text()) for r in mx) == [
        (10, "mx.alpha.test."),
        (20, "mx2.provider.test."),
    ]
    assert txt(await res.resolve("alpha.test", "TXT")) == [SPF]
    assert txt(await res.resolve("_dmarc.alpha.test", "TXT")) == [DMARC]
    assert txt(await res.resolve("quoted.alpha.test", "TXT")) == [QUOTED]

    dkim = await res.resolve("s1._domainkey.alpha.test", "TXT", tcp=True)
    assert dkim.rrset is not None and dkim.rrset.ttl == 3600
    (key,) = dkim
    assert len(DKIM) > 255 and [len(s) for s in key.strings] == [255, len(DKIM) - 255]
    assert b"".join(key.strings).decode() == DKIM


async def test_cnames_in_zone_followed_out_of_zone_not(dns_server: DnsServer) -> None:
    res = dns_server.resolver()
    (target,) = await res.resolve("track.alpha.test", "CNAME")
    assert target.target.to_text() == "mx.alpha.test."
    followed = await res.resolve("track.alpha.test", "A")
    assert followed.canonical_name.to_text() == "mx.alpha.test."
    assert [r.address for r in followed] == ["127.0.0.5"]
    (external,) = await res.resolve("links.alpha.test", "CNAME")
    assert external.target.to_text() == "tracking.provider.test."


async def test_served_on_ipv6_loopback_too(dns_server: DnsServer) -> None:
    if dns_server.host6 is None:
        pytest.skip("this host has no IPv6 loopback")
    res = dns_server.resolver()
    res.nameservers = [dns_server.host6]
    assert [r.address for r in await res.resolve("mx.alpha.test", "A")] == ["127.0.0.5"]


async def test_zone_edit_is_served_when_set_zone_returns(dns_server: DnsServer) -> None:
    res = dns_server.resolver()
    first = dns_server.set_zone("edit.test", [("@", "TXT", "v=spf1 -all")])
    assert txt(await res.resolve("edit.test", "TXT")) == ["v=spf1 -all"]
    second = dns_server.set_zone("edit.test", [("@", "TXT", "v=spf1 mx -all"), ("www", "A", "127.0.0.9")])
    assert second > first
    assert txt(await res.resolve("edit.test", "TXT")) == ["v=spf1 mx -all"]
    assert [r.address for r in await res.resolve("www.edit.test", "A")] == ["127.0.0.9"]


async def test_rejected_zone_raises_and_keeps_serving_the_old_one(dns_server: DnsServer) -> None:
    dns_server.set_zone("keep.test", [("www", "A", "127.0.0.1")])
    with pytest.raises(ValueError, match="CNAME"):
        dns_server.set_zone("keep.test", [("www", "A", "127.0.0.2"), ("www", "CNAME", "other")])
    res = dns_server.resolver()
    assert [r.address for r in await res.resolve("www.keep.test", "A")] == ["127.0.0.1"]


async def test_idn_zone_in_punycode(dns_server: DnsServer) -> None:
    dns_server.set_zone("пример.test", [("почта", "A", "127.0.0.8"), ("@", "MX", "10 почта")])
    res = dns_server.resolver()
    (mx,) = await res.resolve("xn--e1afmkfd.test", "MX")
    assert mx.exchange.to_text() == "xn--80a1acny.xn--e1afmkfd.test."
    assert [r.address for r in await res.resolve("xn--80a1acny.xn--e1afmkfd.test", "A")] == ["127.0.0.8"]


async def test_nxdomain_noanswer_and_unserved_zone_are_distinct(dns_server: DnsServer) -> None:
    res = dns_server.resolver()
    with pytest.raises(dns.resolver.NXDOMAIN):
        await res.resolve("nope.alpha.test", "A")
    with pytest.raises(dns.resolver.NoAnswer):
        await res.resolve("mx.alpha.test", "TXT")
    with pytest.raises(dns.resolver.NoNameservers, match="REFUSED"):
        await res.resolve("unknown.test", "A")

    dns_server.set_zone("gone.test", [("@", "TXT", "here")])
    dns_server.remove_zone("gone.test")
    with pytest.raises(dns.resolver.NoNameservers, match="REFUSED"):
        await res.resolve("gone.test", "TXT")


async def test_dnsbl_zones(dns_server: DnsServer) -> None:
    dns_server.set_dnsbl("dbl.test", {"bad.example": "127.0.1.2"}, reasons={"bad.example": "low reputation"})
    dns_server.set_dnsbl("zen.test", {"192.0.2.99": ["127.0.0.2", "127.0.0.4"]})
    res = dns_server.resolver()

    async def codes(name: str) -> list[str]:
        return sorted(r.address for r in await res.resolve(name, "A"))

    assert await codes("bad.example.dbl.test") == ["127.0.1.2"]
    assert txt(await res.resolve("bad.example.dbl.test", "TXT")) == ["low reputation"]
    assert await codes("99.2.0.192.zen.test") == ["127.0.0.2", "127.0.0.4"]
    assert await codes("test.dbl.test") == ["127.0.0.2"]
    assert await codes("2.0.0.127.zen.test") == ["127.0.0.2"]
    for clean in ("good.example.dbl.test", "invalid.dbl.test", "1.0.0.127.zen.test", "98.2.0.192.zen.test"):
        with pytest.raises(dns.resolver.NXDOMAIN):
            await res.resolve(clean, "A")


async def test_restart_keeps_port_and_zones_and_clear_empties(tmp_path: Path) -> None:
    with DnsServer(tmp_path) as server:
        server.set_zone("restart.test", [("@", "A", "127.0.0.3")])
        port = server.port
        server.stop()
        assert not server.running
        server.start()
        assert server.port == port
        res = server.resolver()
        assert [r.address for r in await res.resolve("restart.test", "A")] == ["127.0.0.3"]
        server.clear()
        with pytest.raises(dns.resolver.NoNameservers, match="REFUSED"):
            await res.resolve("restart.test", "A")


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
async def test_silent_resolver_times_out(tcp: bool) -> None:
    with SilentUdpServer() as silent:
        res = silent.resolver(lifetime=0.3)
        started = time.monotonic()
        with pytest.raises(dns.resolver.LifetimeTimeout):
            await res.resolve("alpha.test", "MX", tcp=tcp)
        assert time.monotonic() - started < 1.5


async def test_servfail_resolver_gives_no_nameservers() -> None:
    with ServfailServer() as broken, pytest.raises(dns.resolver.NoNameservers, match="SERVFAIL"):
        await broken.resolver().resolve("alpha.test", "MX")


def test_resolver_never_uses_system_config(dns_server: DnsServer) -> None:
    res = dns_server.resolver(lifetime=1.0)
    assert isinstance(res, dns.asyncresolver.Resolver)
    assert (res.nameservers, res.port, res.cache, res.lifetime) == (["127.0.0.1"], dns_server.port, None, 1.0)

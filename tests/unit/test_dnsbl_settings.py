"""The blocklists and the resolver they are asked through come from the settings, checked at start-up."""

from __future__ import annotations

import json

import pytest

from engine.dns.check import ResolverConfig
from engine.dns.dnsbl import DnsblZone, Family, TargetKind, default_zones
from engine.domains import DnsConfig
from engine.settings import ZONE_FAMILIES, ZONE_KINDS, SettingsError, load_settings

NAMES = ("DNS_RESOLVERS", "DNS_PORT", "DNS_TIMEOUT_S", "DNSBL_DQS_KEY", "DNSBL_ZONES", "DNSBL_RESOLVERS")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    for name in (*NAMES, "DNSBL_PORT", "DNSBL_TIMEOUT_S", "DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def problems(monkeypatch: pytest.MonkeyPatch, **env: str) -> list[str]:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    return caught.value.problems


def test_unset_means_the_default_lists_through_the_dns_resolvers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DNS_RESOLVERS", "10.0.0.53")
    monkeypatch.setenv("DNS_PORT", "5353")
    monkeypatch.setenv("DNS_TIMEOUT_S", "1.5")
    config = DnsConfig.from_settings(load_settings())

    assert config.dnsbl_zones == default_zones()
    assert config.blacklist_resolver == config.resolver == ResolverConfig(("10.0.0.53",), 5353, 1.5)


def test_an_own_resolver_and_a_mirrored_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    zones = [
        {"name": "DBL.Mirror.Example.", "kind": "domain", "family": "spamhaus-dbl"},
        {"name": "zen.spamhaus.org", "kind": "ip", "family": "spamhaus-zen", "query_zone": "zen.rsync.example"},
    ]
    monkeypatch.setenv("DNSBL_ZONES", json.dumps(zones))
    monkeypatch.setenv("DNSBL_RESOLVERS", "127.0.0.1, ::1")
    monkeypatch.setenv("DNSBL_PORT", "5300")
    monkeypatch.setenv("DNSBL_TIMEOUT_S", "0.5")
    config = DnsConfig.from_settings(load_settings())

    assert config.dnsbl_zones == (
        DnsblZone("dbl.mirror.example", TargetKind.DOMAIN, Family.SPAMHAUS_DBL),
        DnsblZone("zen.spamhaus.org", TargetKind.IP, Family.SPAMHAUS_ZEN, "zen.rsync.example"),
    )
    assert config.blacklist_resolver == ResolverConfig(("127.0.0.1", "::1"), 5300, 0.5)
    assert config.resolver.nameservers == ("77.88.8.8", "1.1.1.1")  # other DNS checks keep their resolvers


def test_only_the_resolvers_given_the_rest_follows_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DNS_PORT", "5353")
    monkeypatch.setenv("DNSBL_RESOLVERS", '["192.0.2.53"]')
    assert DnsConfig.from_settings(load_settings()).blacklist_resolver == ResolverConfig(("192.0.2.53",), 5353, 3.0)
    monkeypatch.setenv("DNSBL_RESOLVERS", "")  # empty: unset
    assert DnsConfig.from_settings(load_settings()).blacklist_resolver.nameservers == ("77.88.8.8", "1.1.1.1")


def test_the_dqs_key_is_read_from_the_settings_and_stays_out_of_the_names(monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker builds its configuration from the settings alone: the key must reach the Spamhaus zones there
    too, for the default lists and for a configured public Spamhaus zone without a query zone of its own."""
    monkeypatch.setenv("DNSBL_DQS_KEY", "k3y")
    defaults = DnsConfig.from_settings(load_settings()).dnsbl_zones
    monkeypatch.setenv("DNSBL_ZONES", '[{"name": "dbl.spamhaus.org", "kind": "domain", "family": "spamhaus-dbl"}]')
    (configured,) = DnsConfig.from_settings(load_settings()).dnsbl_zones

    assert {z.suffix for z in defaults} >= {"k3y.dbl.dq.spamhaus.net", "k3y.zen.dq.spamhaus.net"}
    assert (configured.name, configured.suffix) == ("dbl.spamhaus.org", "k3y.dbl.dq.spamhaus.net")
    assert "k3y" not in repr(configured)


def test_every_bad_zone_is_named_in_one_message(monkeypatch: pytest.MonkeyPatch) -> None:
    zones = [
        {"name": "ok.example", "kind": "domain", "family": "uribl"},
        {"name": "bad name", "kind": "domain", "family": "uribl"},
        {"name": "b.example", "kind": "host", "family": "uribl"},
        {"name": "c.example", "kind": "ip", "family": "sorbs"},
        {"name": "d.example", "kind": "ip"},
        {"name": "e.example", "kind": "ip", "family": "spamcop", "weight": 2},
        {"name": "f.example", "kind": "ip", "family": "spamcop", "query_zone": "s3cret key.mirror"},
        "g.example",
        {"name": "OK.example.", "kind": "ip", "family": "spamcop"},
    ]
    (problem,) = problems(monkeypatch, DNSBL_ZONES=json.dumps(zones))

    assert problem.startswith("DNSBL_ZONES: ")
    for expected in (
        "zone 2: name 'bad name' is not a DNS name",
        "zone 3: kind 'host' is not one of domain, ip",
        "zone 4: family 'sorbs' is not one of spamhaus-dbl, spamhaus-zen, uribl, surbl, barracuda, spamcop",
        "zone 5: missing family",
        "zone 6: unknown key weight",
        "zone 7: query_zone is not a DNS name",
        "zone 8: expected an object such as",
        "zone 'ok.example' is given twice",
    ):
        assert expected in problem
    assert "zone 1:" not in problem and "zone 9:" not in problem
    assert "s3cret" not in problem  # neither in the problem nor quoted back as the value


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"DNSBL_ZONES": "dbl.spamhaus.org"}, "DNSBL_ZONES: expected a JSON list of zones"),
        ({"DNSBL_ZONES": "[]"}, "DNSBL_ZONES: expected a JSON list of zones"),
        ({"DNSBL_ZONES": '{"name": "x.example"}'}, "DNSBL_ZONES: expected a JSON list of zones"),
        ({"DNSBL_RESOLVERS": "127.0.0.1, resolver.example"}, "'resolver.example' is not an IP address"),
        ({"DNSBL_RESOLVERS": "[]"}, "DNSBL_RESOLVERS: expected IP addresses"),
        ({"DNSBL_PORT": "0"}, "DNSBL_PORT: expected a port number from 1 to 65535 (got '0')"),
        ({"DNSBL_TIMEOUT_S": "soon"}, "DNSBL_TIMEOUT_S: expected seconds, a number above 0 and at most 60"),
        ({"DNSBL_TIMEOUT_S": "0"}, "DNSBL_TIMEOUT_S: expected seconds"),
    ],
)
def test_a_bad_value_gets_one_clear_message(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    (problem,) = problems(monkeypatch, **env)
    assert expected in problem


def test_several_bad_settings_are_named_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    found = problems(monkeypatch, DNSBL_ZONES="[1]", DNSBL_RESOLVERS="x", DNSBL_PORT="70000", DNSBL_TIMEOUT_S="-1")
    assert [p.split(":")[0] for p in found] == ["DNSBL_ZONES", "DNSBL_RESOLVERS", "DNSBL_PORT", "DNSBL_TIMEOUT_S"]


def test_the_settings_know_every_family_and_kind_the_checker_knows() -> None:
    """The settings module does not import the DNS code, so it names the values itself: they must agree."""
    assert tuple(Family) == ZONE_FAMILIES and tuple(TargetKind) == ZONE_KINDS

"""Domain services read their DNS configuration from the settings."""

from __future__ import annotations

from cryptography.fernet import Fernet
from pydantic import SecretStr

from engine.dns.check import ResolverConfig, make_resolver
from engine.domains import DnsConfig
from engine.settings import Settings


def test_config_from_settings() -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        dns_resolvers=["127.0.0.53", "10.0.0.2"],
        dns_port=5353,
        dns_timeout_s=1.5,
        tracking_base_url="https://t.mailfleet.example:8443/o",
        encryption_keys=SecretStr(Fernet.generate_key().decode()),
    )
    config = DnsConfig.from_settings(settings, dqs_key="k3y")

    assert config.resolver == ResolverConfig(("127.0.0.53", "10.0.0.2"), 5353, 1.5)
    assert config.tracking_target == "t.mailfleet.example"
    assert {z.suffix for z in config.dnsbl_zones} >= {"k3y.dbl.dq.spamhaus.net", "k3y.zen.dq.spamhaus.net"}


def test_a_loopback_tracking_url_plans_no_tracking_record() -> None:
    settings = Settings(_env_file=None, tracking_base_url="http://127.0.0.1:8080")  # type: ignore[call-arg]
    assert DnsConfig.from_settings(settings).tracking_target == ""


def test_resolver_asks_only_the_configured_servers() -> None:
    resolver = make_resolver(ResolverConfig(("127.0.0.1",), 5353, 0.5))
    assert (resolver.nameservers, resolver.port, resolver.cache, resolver.timeout, resolver.lifetime) == (
        ["127.0.0.1"],
        5353,
        None,
        0.5,
        0.5,
    )

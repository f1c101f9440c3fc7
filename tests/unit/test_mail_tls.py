"""Trust and reach of onboarding connections: CA bundles, cached contexts, mail ports, private addresses."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from engine.errors import UserError
from engine.mail.providers import Endpoint
from engine.mail.tls import (
    DEFAULT_MAIL_PORTS,
    MailPolicy,
    client_context,
    normalize_ca_pem,
    public_address,
    vet,
)
from engine.settings import SettingsError, load_settings
from models.enums import TlsMode
from tests.harness.rebinding import Rebinding

START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def make_ca(name: str) -> tuple[str, str]:
    """A self-signed CA certificate and its key, as PEM."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, name)])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(START)
        .not_valid_after(START + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    return certificate.public_bytes(Encoding.PEM).decode(), key_pem


def test_a_ca_bundle_is_checked_and_re_serialized() -> None:
    first, _ = make_ca("First CA")
    second, _ = make_ca("Second CA")
    messy = "Bag Attributes: friendly name\r\n" + first.replace("\n", "\r\n") + "\n\n" + second + "  \n"
    assert normalize_ca_pem(messy) == first + second
    assert normalize_ca_pem("  \n") == ""


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("hello", "error-ca-invalid"),
        ("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "error-ca-invalid"),
        ("x" * 40_000, "error-ca-too-large"),
    ],
)
def test_what_is_not_a_ca_bundle_is_refused(text: str, key: str) -> None:
    with pytest.raises(UserError) as raised:
        normalize_ca_pem(text)
    assert raised.value.key == key


def test_a_private_key_is_refused_and_too_many_certificates_too() -> None:
    certificate, key = make_ca("Leaky CA")
    with pytest.raises(UserError) as raised:
        normalize_ca_pem(certificate + key)
    assert raised.value.key == "error-ca-private-key"
    with pytest.raises(UserError) as raised:
        normalize_ca_pem("".join(make_ca(f"CA {n}")[0] for n in range(11)))
    assert (raised.value.key, raised.value.params) == ("error-ca-too-many", {"limit": "10"})


def test_one_context_per_distinct_trust_is_built_and_reused() -> None:
    pem, _ = make_ca("Shared CA")
    other, _ = make_ca("Other CA")
    assert client_context(pem) is client_context(pem + "\n")
    assert client_context(pem) is not client_context(other)
    assert client_context() is client_context("", None)
    subjects = [dict(x[0] for x in c["subject"]).get("commonName") for c in client_context(pem).get_ca_certs()]
    assert "Shared CA" in subjects and len(subjects) > 1  # added to the system store, not instead of it


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("77.88.8.8", True),
        ("2a02:6b8::2:242", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("192.168.0.10", False),
        ("172.16.5.4", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),  # noqa: S104 - an address under test, nothing binds to it
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),
        ("224.0.0.1", False),
        ("::ffff:77.88.8.8", True),  # IPv4-mapped: judged by its IPv4 part
        ("::ffff:10.0.0.1", False),
        ("64:ff9b::a00:1", False),  # NAT64 of 10.0.0.1
        ("64:ff9b::7f00:1", False),  # NAT64 of 127.0.0.1
        ("64:ff9b::4d58:808", True),  # NAT64 of 77.88.8.8
        ("64:ff9b:1::4d58:808", False),  # local-use NAT64 (RFC 8215): never global
        ("2002:7f00:1::1", False),  # 6to4 of 127.0.0.1
        ("2002:a9fe:a9fe::1", False),  # 6to4 of 169.254.169.254
        ("2002:4d58:808::1", True),  # 6to4 of 77.88.8.8
        ("::127.0.0.1", False),  # IPv4-compatible (deprecated)
        ("::77.88.8.8", False),  # IPv4-compatible, even of a public address
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False),  # Teredo
    ],
)
def test_only_public_addresses_are_public(address: str, public: bool) -> None:
    assert public_address(address) is public


async def test_refusal_names_the_port_or_the_private_address_and_the_setting() -> None:
    policy = MailPolicy()
    assert policy.allowed_ports == DEFAULT_MAIL_PORTS
    db = (await vet(Endpoint("77.88.8.8", 5432, TlsMode.PLAIN), policy)).refusal
    assert db is not None and db.key == "error-mail-port-not-allowed"
    assert (db.params["port"], db.params["setting"]) == ("5432", "MAIL_ALLOWED_PORTS")
    local = (await vet(Endpoint("localhost", 587, TlsMode.STARTTLS), policy)).refusal
    assert local is not None and local.key == "error-mail-host-private"
    assert local.params["setting"] == "MAIL_ALLOW_PRIVATE_HOSTS"
    public = await vet(Endpoint("77.88.8.8", 465, TlsMode.IMPLICIT), policy)
    assert (public.refusal, public.addresses) == (None, ("77.88.8.8",))
    allowed = await vet(Endpoint("127.0.0.1", 465, TlsMode.IMPLICIT), MailPolicy(allow_private_hosts=True))
    assert (allowed.refusal, allowed.addresses) == (None, ("127.0.0.1",))


async def test_vet_resolves_once_and_keeps_the_addresses_it_judged() -> None:
    resolver = Rebinding(["77.88.8.8", "2a02:6b8::2:242"], ["10.0.0.5"])
    reach = await vet(Endpoint("smtp.example.ru", 465, TlsMode.IMPLICIT), MailPolicy(resolver=resolver))
    assert reach.refusal is None
    assert reach.addresses == ("77.88.8.8", "2a02:6b8::2:242")  # what a client connects to: no second lookup
    assert resolver.asked == [("smtp.example.ru", 465)]


async def test_vet_refuses_a_name_with_any_private_or_embedded_private_address() -> None:
    for answer in (["77.88.8.8", "10.0.0.5"], ["64:ff9b::a00:5"], ["2002:7f00:1::1"], ["::127.0.0.1"]):
        resolver = Rebinding(answer, ["77.88.8.8"])
        reach = await vet(Endpoint("mx.example.ru", 993, TlsMode.IMPLICIT), MailPolicy(resolver=resolver))
        assert reach.refusal is not None and reach.refusal.key == "error-mail-host-private", answer
        assert reach.addresses == ()
        assert len(resolver.asked) == 1


async def test_a_refused_port_is_not_even_resolved() -> None:
    resolver = Rebinding(["77.88.8.8"], ["77.88.8.8"])
    reach = await vet(Endpoint("mx.example.ru", 5432, TlsMode.PLAIN), MailPolicy(resolver=resolver))
    assert reach.refusal is not None and reach.refusal.key == "error-mail-port-not-allowed"
    assert resolver.asked == []


def test_the_settings_check_the_ca_file_and_the_ports_at_start_up(tmp_path: Path) -> None:
    good = tmp_path / "ca.pem"
    good.write_text(make_ca("Agency CA")[0])
    settings = load_settings(mail_ca_file=good, mail_allowed_ports=[587, 30025], mail_allow_private_hosts=True)
    policy = MailPolicy.from_settings(settings)
    assert policy == MailPolicy(str(good), frozenset({587, 30025}), allow_private_hosts=True)
    assert MailPolicy.from_settings(None) == MailPolicy()

    bad = tmp_path / "notes.txt"
    bad.write_text("not a certificate")
    with pytest.raises(SettingsError) as raised:
        load_settings(mail_ca_file=bad, mail_allowed_ports=[0])
    assert [p.split(":")[0] for p in raised.value.problems] == ["MAIL_CA_FILE", "MAIL_ALLOWED_PORTS"]
    with pytest.raises(SettingsError):
        load_settings(mail_ca_file=tmp_path / "missing.pem")

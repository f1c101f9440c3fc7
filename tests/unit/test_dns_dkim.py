"""DKIM key records: syntax and key length read from the key itself."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from engine.dns.dkim import build_dkim, key_bits, normalize_key_input, parse_dkim


def rsa_key(bits: int, fmt: serialization.PublicFormat = serialization.PublicFormat.SubjectPublicKeyInfo) -> str:
    if bits < 1024:  # cryptography refuses to generate weak keys; build one from numbers
        public = rsa.RSAPublicNumbers(65537, (1 << (bits - 1)) | 0xABCDEF1).public_key()
    else:
        public = rsa.generate_private_key(public_exponent=65537, key_size=bits).public_key()
    return base64.b64encode(public.public_bytes(serialization.Encoding.DER, fmt)).decode()


@pytest.fixture(scope="module")
def key2048() -> str:
    return rsa_key(2048)


def test_2048_bit_key_is_clean(key2048: str) -> None:
    record = parse_dkim(build_dkim(key2048))
    assert record.valid and record.problems == () and record.key_bits == 2048 and record.key_type == "rsa"


def test_1024_bit_key_passes_with_advice() -> None:
    record = parse_dkim(f"v=DKIM1; k=rsa; p={rsa_key(1024)}")
    assert record.valid and record.key_bits == 1024
    assert [(p.key, p.warning) for p in record.problems] == [("dns-problem-dkim-short-key", True)]


def test_512_bit_key_fails() -> None:
    record = parse_dkim(f"v=DKIM1; p={rsa_key(512)}")
    assert not record.valid and record.key_bits == 512
    assert record.problems[0].key == "dns-problem-dkim-weak-key"
    assert record.problems[0].params == {"bits": 512, "minimum": 1024}


def test_pkcs1_keys_and_split_whitespace_are_read(key2048: str) -> None:
    pkcs1 = rsa_key(2048, serialization.PublicFormat.PKCS1)
    assert key_bits(pkcs1) == 2048
    spaced = " ".join(key2048[i : i + 60] for i in range(0, len(key2048), 60))
    assert parse_dkim(f"v=DKIM1; k=rsa; p={spaced}").public_key == key2048


def test_ed25519_key() -> None:
    raw = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    record = parse_dkim(f"v=DKIM1; k=ed25519; p={base64.b64encode(raw).decode()}")
    assert record.valid and record.key_bits == 256


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("k=rsa; v=DKIM1; p=AAAA", "dns-problem-dkim-version"),
        ("v=DKIM2; p=AAAA", "dns-problem-dkim-version"),
        ("v=DKIM1; k=dsa; p=AAAA", "dns-problem-dkim-key-type"),
        ("v=DKIM1; k=rsa", "dns-problem-dkim-no-key"),
        ("v=DKIM1; k=rsa; p=", "dns-problem-dkim-revoked"),
        ("v=DKIM1; k=rsa; p=not!base64", "dns-problem-dkim-bad-key"),
        ("v=DKIM1; k=rsa; p=QUJD", "dns-problem-dkim-bad-key"),
        ("v=DKIM1; k=rsa; k=rsa; p=QUJD", "dns-problem-tag-repeated"),
        ("v=DKIM1; garbage; p=QUJD", "dns-problem-tag-syntax"),
    ],
)
def test_broken_records(text: str, problem: str) -> None:
    record = parse_dkim(text)
    assert problem in [p.key for p in record.problems]
    assert not record.valid


def test_key_input_accepts_a_bare_key_or_a_record(key2048: str) -> None:
    assert normalize_key_input(f" {key2048}\n") == f"v=DKIM1; k=rsa; p={key2048}"
    assert normalize_key_input(f'"v=DKIM1; k=rsa; p={key2048}"') == f"v=DKIM1; k=rsa; p={key2048}"
    assert normalize_key_input(f"p={key2048}") == f"p={key2048}"


def test_key_input_reads_a_pem_public_key_as_openssl_writes_it(key2048: str) -> None:
    """`openssl rsa -pubout` (and panels that show the key that way): the base64 between the armor lines."""
    lines = "\n".join(key2048[i : i + 64] for i in range(0, len(key2048), 64))
    for pasted in (
        f"-----BEGIN PUBLIC KEY-----\n{lines}\n-----END PUBLIC KEY-----\n",
        f"-----BEGIN PUBLIC KEY----- {key2048} -----END PUBLIC KEY-----",  # a chat that joined the lines
    ):
        record = parse_dkim(normalize_key_input(pasted))
        assert (record.valid, record.public_key, record.key_bits) == (True, key2048, 2048), pasted
    pkcs1 = rsa_key(2048, serialization.PublicFormat.PKCS1)
    pem = f"-----BEGIN RSA PUBLIC KEY-----\n{pkcs1}\n-----END RSA PUBLIC KEY-----"
    assert parse_dkim(normalize_key_input(pem)).key_bits == 2048


def test_key_input_reads_a_long_record_as_a_zone_file_writes_it(key2048: str) -> None:
    """opendkim-genkey's mail.txt: the owner, ( quoted pieces ) and a comment; DNS joins the pieces, so do we —
    also when a chat command's word splitting has already taken the quotes off."""
    head, tail = key2048[:200], key2048[200:]
    genkey = f'mail._domainkey\tIN\tTXT\t( "v=DKIM1; h=sha256; k=rsa; "\n\t  "p={head}"\n\t  "{tail}" )  ; ----- DKIM'
    unquoted = f"mail._domainkey IN TXT ( v=DKIM1; h=sha256; k=rsa;  p={head} {tail} ) ; ----- DKIM key mail"
    for pasted in (genkey, unquoted, f"mail._domainkey IN TXT v=DKIM1; k=rsa; p={key2048}"):
        record = parse_dkim(normalize_key_input(pasted))
        assert (record.valid, record.public_key, record.key_bits) == (True, key2048, 2048), pasted

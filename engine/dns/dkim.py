"""DKIM key records (RFC 6376 3.6.1, RFC 8463): syntax and the strength of the published key.

Google, Yahoo and Microsoft require a key of at least 1024 bits and recommend 2048; the length is read from
the key itself (the `cryptography` package), never guessed from the length of the base64 text.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Final

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from engine.dns.records import Problem, parse_tag_list

MIN_RSA_BITS: Final = 1024
RECOMMENDED_RSA_BITS: Final = 2048
_KEY_TYPES: Final = frozenset({"rsa", "ed25519"})
_TAG_START = re.compile(r"^[a-z]\s*=", re.IGNORECASE)


@dataclass(frozen=True)
class DkimRecord:
    """A parsed DKIM key record. `key_bits` is None when the key could not be read."""

    tags: dict[str, str]
    key_type: str
    public_key: str  # the p= value without white space; "" = revoked
    key_bits: int | None
    problems: tuple[Problem, ...]

    @property
    def valid(self) -> bool:
        return not any(not p.warning for p in self.problems)


def build_dkim(public_key: str, key_type: str = "rsa") -> str:
    """The TXT value publishing `public_key` (base64, white space allowed)."""
    return f"v=DKIM1; k={key_type}; p={''.join(public_key.split())}"


_QUOTED: Final = re.compile(r'"((?:[^"\\]|\\.)*)"')  # a TXT <character-string> as zone files write it
_GROUP: Final = re.compile(r"\(([^()]*)\)")  # a zone file's ( … ) around a record of several lines
_RECORD_START: Final = re.compile(r"\bv\s*=\s*DKIM1\b")
_PEM: Final = re.compile(r"-----BEGIN ((?:RSA )?PUBLIC KEY)-----(.*?)-----END \1-----", re.DOTALL)


def normalize_key_input(text: str) -> str:
    """A full DKIM record from what a person pastes or a provider returns: a whole record or a bare key, or
    the record as a zone file (and opendkim-genkey's mail.txt) writes a long one — quoted pieces, maybe
    with its owner, parentheses and a comment — which DNS joins into one value, and so does this; or the key as
    `openssl` writes it (PEM: the base64 between -----BEGIN PUBLIC KEY----- and -----END PUBLIC KEY-----)."""
    if pem := _PEM.search(text):
        return build_dkim(pem.group(2))
    pieces = _QUOTED.findall(text)
    if pieces:
        text = "".join(pieces)
    elif group := _GROUP.search(text):  # the quotes already gone (a chat command's words): the ( … ) group
        text = group.group(1)
    if start := _RECORD_START.search(text):  # an owner, class and type before the record ("mail._domainkey IN TXT")
        text = text[start.start() :]
    stripped = text.strip().strip('"')
    # base64 never has ";" and never has "=" in its second position, a tag list always does one or the other
    is_record = ";" in stripped or _TAG_START.match(stripped) is not None
    return stripped if is_record else build_dkim(stripped)


def parse_dkim(text: str) -> DkimRecord:
    """Parse a DKIM key record; never raises: every defect becomes a `Problem`."""
    tags, syntax = parse_tag_list(text)
    problems = list(syntax)
    if "v" in tags and (tags["v"] != "DKIM1" or next(iter(tags)) != "v"):
        problems.append(Problem("dns-problem-dkim-version"))
    key_type = tags.get("k", "rsa").lower()
    if key_type not in _KEY_TYPES:
        problems.append(Problem("dns-problem-dkim-key-type", {"type": key_type}))
    public_key = tags.get("p")
    bits: int | None = None
    if public_key is None:
        problems.append(Problem("dns-problem-dkim-no-key"))
        public_key = ""
    elif not public_key:
        problems.append(Problem("dns-problem-dkim-revoked"))
    elif key_type in _KEY_TYPES:
        bits = key_bits(public_key, key_type)
        problems += _strength(bits, key_type)
    return DkimRecord(tags, key_type, public_key, bits, tuple(problems))


def key_bits(public_key: str, key_type: str = "rsa") -> int | None:
    """The key length in bits, or None when `public_key` is not a readable key of that type."""
    try:
        der = base64.b64decode(public_key, validate=True)
    except (binascii.Error, ValueError):
        return None
    if key_type == "ed25519":
        try:
            ed25519.Ed25519PublicKey.from_public_bytes(der)
        except ValueError:
            return None
        return 256
    return _rsa_bits(der)


def _rsa_bits(der: bytes) -> int | None:
    """RSA keys are published as SubjectPublicKeyInfo (RFC 6376 3.6.1); a few hosts publish bare PKCS #1."""
    key: object
    try:
        key = serialization.load_der_public_key(der)
    except (ValueError, TypeError):
        try:
            key = serialization.load_pem_public_key(_pem(der, "RSA PUBLIC KEY"))
        except (ValueError, TypeError):
            return None
    return key.key_size if isinstance(key, rsa.RSAPublicKey) else None


def _pem(der: bytes, label: str) -> bytes:
    body = base64.encodebytes(der).decode("ascii")
    return f"-----BEGIN {label}-----\n{body}-----END {label}-----\n".encode("ascii")


def _strength(bits: int | None, key_type: str) -> list[Problem]:
    if bits is None:
        return [Problem("dns-problem-dkim-bad-key")]
    if key_type != "rsa":
        return []
    if bits < MIN_RSA_BITS:
        return [Problem("dns-problem-dkim-weak-key", {"bits": bits, "minimum": MIN_RSA_BITS})]
    if bits < RECOMMENDED_RSA_BITS:
        return [Problem("dns-problem-dkim-short-key", {"bits": bits, "recommended": RECOMMENDED_RSA_BITS}, True)]
    return []

"""Plain values shared by the DNS modules: a zone record, a problem found in one, and the DKIM/DMARC tag list.

Records are compared by meaning, not by spelling: host names case-insensitively with a final dot, TXT values
with runs of white space collapsed, TTLs and provider record ids ignored. That comparison is what makes an
apply idempotent: a record the provider spells differently is still the same record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TXT

SUPPORTED_TYPES: Final = frozenset({"A", "AAAA", "CNAME", "MX", "TXT"})
DEFAULT_TTL: Final = 3600


@dataclass(frozen=True)
class Problem:
    """Something wrong (or worth improving) in a record. `key` names a Fluent message; `params` fill it."""

    key: str
    params: Mapping[str, str | int] = field(default_factory=dict)
    warning: bool = False  # advice that does not make the record fail, e.g. a 1024-bit DKIM key

    def as_json(self) -> dict[str, object]:
        """The form stored in `DnsCheck.detail`, so chat can explain a verdict in the reader's language."""
        return {"key": self.key, "params": dict(self.params), "warning": self.warning}


@dataclass(frozen=True)
class ZoneRecord:
    """One resource record. `owner` is relative to the zone ("@" = apex); `value` is presentation text for
    MX ("10 mx.example.net."), CNAME ("host.example.net."), A/AAAA, and the raw, unquoted text for TXT.
    `ref` is the provider's record id, needed to delete it through some APIs."""

    owner: str
    rtype: str
    value: str
    ttl: int = field(default=DEFAULT_TTL, compare=False)
    ref: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if self.rtype not in SUPPORTED_TYPES:
            raise ValueError(f"unsupported record type {self.rtype}")

    @property
    def identity(self) -> tuple[str, str, str]:
        """What two records must share to be the same record."""
        return (self.owner.lower(), self.rtype, normalize_value(self.rtype, self.value))


def normalize_value(rtype: str, value: str) -> str:
    """The comparable form of a value: see the module docstring."""
    if rtype == "TXT":
        return " ".join(value.split())
    if rtype == "MX":
        preference, _, host = value.strip().partition(" ")
        return f"{int(preference)} {absolute_host(host)}"
    if rtype == "CNAME":
        return absolute_host(value)
    return value.strip().lower()


def absolute_host(host: str) -> str:
    """A host name in lower case with exactly one final dot."""
    return host.strip().rstrip(".").lower() + "."


def mx_value(preference: int, host: str) -> str:
    """The presentation form of an MX record's data."""
    return f"{preference} {absolute_host(host)}"


def to_rdata(record: ZoneRecord, origin: dns.name.Name) -> dns.rdata.Rdata:
    """dnspython rdata for a record; TXT values longer than 255 bytes are split into several strings."""
    rdtype = dns.rdatatype.from_text(record.rtype)
    if rdtype == dns.rdatatype.TXT:
        raw = record.value.encode()
        chunks = [raw[i : i + 255] for i in range(0, len(raw), 255)] or [b""]
        return dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, rdtype, chunks)
    return dns.rdata.from_text(dns.rdataclass.IN, rdtype, record.value, origin=origin, relativize=False)


def parse_tag_list(text: str) -> tuple[dict[str, str], list[Problem]]:
    """A DKIM/DMARC tag list (RFC 6376 3.2): `tag=value` pairs separated by ";", white space around them.

    Returns the tags in order (names lower-cased, values stripped) and the syntax problems: a pair without
    "=", an empty or badly formed name, a repeated name.
    """
    tags: dict[str, str] = {}
    problems: list[Problem] = []
    for part in text.split(";"):
        if not part.strip():
            continue
        name, eq, value = part.partition("=")
        name = name.strip().lower()
        if not eq or not name or not name.replace("_", "a").isalnum() or not name[0].isalpha():
            problems.append(Problem("dns-problem-tag-syntax", {"tag": part.strip()}))
            continue
        if name in tags:
            problems.append(Problem("dns-problem-tag-repeated", {"tag": name}))
            continue
        tags[name] = "".join(value.split()) if name == "p" else value.strip()
    return tags, problems

"""DNS blocklists: is a sending or tracking domain, or an own sending IP, listed?

A DNSBL answers with an A record in 127.0.0.0/8 whose value is a code; NXDOMAIN means "not listed"
(RFC 5782). Some answers mean the question was refused rather than answered: Spamhaus returns
127.255.255.x to public resolvers and heavy users, 127.0.1.255 for an IP asked of a domain list; URIBL
returns 127.0.0.1 when it refuses. No list lists with a code in 127.255.255.0/24 (a bitmask list would read
127.255.255.254 as every flag at once), so from any list such a code is a refusal. Those, timeouts and failures
classify as `error` ("the checker is blind") and never as `clean`. Only A records are read; TXT records are for
humans. Spamhaus may also answer a public resolver with a silent NXDOMAIN: a list with a test point (an entry it
always lists) is asked about it in every run, and when the test point reads "not listed" the list's "not listed"
answers become `error` too.

With a Spamhaus Data Query Service key, Spamhaus zones are asked as `<query>.<key>.<zone>.dq.spamhaus.net`.
The key is part of the query name, so it is kept out of every result, log line and stored row.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

import dns.asyncresolver

from engine.dns.check import LookupStatus, lookup
from engine.dns.names import to_ascii
from models.enums import ListingResult


class TargetKind(StrEnum):
    DOMAIN = "domain"
    IP = "ip"


class Family(StrEnum):
    """Which table of return codes a zone uses."""

    SPAMHAUS_DBL = "spamhaus-dbl"
    SPAMHAUS_ZEN = "spamhaus-zen"
    URIBL = "uribl"
    SURBL = "surbl"
    BARRACUDA = "barracuda"
    SPAMCOP = "spamcop"


@dataclass(frozen=True)
class DnsblZone:
    """A blocklist. `name` is what people see and what is stored; `query_zone` (when set) is what is asked
    and may hold a secret key."""

    name: str
    kind: TargetKind
    family: Family
    query_zone: str = field(default="", repr=False)
    test_point: str = ""  # an entry the list always lists: not listed means the list answers nothing to us

    @property
    def suffix(self) -> str:
        return self.query_zone or self.name


_DQS_ZONES: Final = {"dbl.spamhaus.org": "dbl", "zen.spamhaus.org": "zen"}


def dqs_query_zone(name: str, dqs_key: str | None) -> str:
    """What to ask instead of a public Spamhaus zone when the agency has a DQS key ("" otherwise)."""
    short = _DQS_ZONES.get(name)
    return f"{dqs_key}.{short}.dq.spamhaus.net" if dqs_key and short else ""


def default_zones(dqs_key: str | None = None) -> tuple[DnsblZone, ...]:
    """The lists worth checking (facts: deliverability §3d), Spamhaus through DQS when a key is given."""

    def spamhaus(zone: str) -> str:
        return dqs_query_zone(zone, dqs_key)

    return (  # each is checked against its test points (`probe_entries`)
        DnsblZone("dbl.spamhaus.org", TargetKind.DOMAIN, Family.SPAMHAUS_DBL, spamhaus("dbl.spamhaus.org")),
        DnsblZone("multi.uribl.com", TargetKind.DOMAIN, Family.URIBL),
        DnsblZone("multi.surbl.org", TargetKind.DOMAIN, Family.SURBL),
        DnsblZone("zen.spamhaus.org", TargetKind.IP, Family.SPAMHAUS_ZEN, spamhaus("zen.spamhaus.org")),
        DnsblZone("b.barracudacentral.org", TargetKind.IP, Family.BARRACUDA),
        DnsblZone("bl.spamcop.net", TargetKind.IP, Family.SPAMCOP),
    )


@dataclass(frozen=True)
class DnsblResult:
    """One target on one list. `meanings` are Fluent keys ("dnsbl-code-sbl", "dnsbl-error-refused", …)."""

    target: str
    zone: str
    result: ListingResult
    codes: tuple[str, ...] = ()
    meanings: tuple[str, ...] = ()


def target_kind(target: str) -> TargetKind:
    try:
        ipaddress.ip_address(target)
    except ValueError:
        return TargetKind.DOMAIN
    return TargetKind.IP


def query_name(target: str, zone: DnsblZone) -> str:
    """`4.3.2.1.<zone>` for 1.2.3.4 (IPv6 by nibbles), `<domain>.<zone>` for a domain."""
    if target_kind(target) == TargetKind.IP:
        reversed_labels = ipaddress.ip_address(target).reverse_pointer.rsplit(".", 2)[0]
        return f"{reversed_labels}.{zone.suffix}"
    return f"{to_ascii(target)}.{zone.suffix}"


_ZEN: Final = {2: "sbl", 3: "css", 4: "xbl", 5: "xbl", 6: "xbl", 7: "xbl", 9: "drop", 10: "pbl", 11: "pbl", 30: "bcl"}
_DBL: Final = {2: "dbl-spam", 4: "dbl-phish", 5: "dbl-malware", 6: "dbl-botnet"}
_URIBL_BITS: Final = {2: "uribl-black", 4: "uribl-grey", 8: "uribl-red"}
_SURBL_BITS: Final = {8: "surbl-phish", 16: "surbl-malware", 64: "surbl-abuse", 128: "surbl-cracked"}
_SPAMHAUS_ERRORS: Final = {252: "typo", 254: "public-resolver", 255: "excessive"}


def classify(family: Family, codes: Sequence[str]) -> tuple[ListingResult, tuple[str, ...]]:
    """Listed / error, with the meaning of each code. An error code anywhere makes the whole answer an error:
    a refusing list may still echo a code, and a refused check must not read as a verdict."""
    errors = [meaning for code in codes if (meaning := _error_meaning(family, code))]
    if errors:
        return ListingResult.ERROR, tuple(dict.fromkeys(errors))
    meanings = [m for code in codes for m in _listing_meanings(family, ipaddress.IPv4Address(code))]
    return ListingResult.LISTED, tuple(dict.fromkeys(meanings))


def _error_meaning(family: Family, code: str) -> str | None:
    try:
        address = ipaddress.IPv4Address(code)
    except ValueError:
        return "dnsbl-error-unexpected"
    octets = address.packed
    if octets[0] != 127:
        return "dnsbl-error-unexpected"
    if address == ipaddress.IPv4Address("127.0.0.1"):  # RFC 5782 forbids it as a listing; URIBL: refused
        return "dnsbl-error-refused"
    if octets[1:3] == b"\xff\xff":  # 127.255.255.0/24: the list refused the query, whichever list it is
        is_spamhaus = family in (Family.SPAMHAUS_DBL, Family.SPAMHAUS_ZEN)
        return f"dnsbl-error-{_SPAMHAUS_ERRORS.get(octets[3], 'refused') if is_spamhaus else 'refused'}"
    if family == Family.SPAMHAUS_DBL and octets[1:] == b"\x00\x01\xff":
        return "dnsbl-error-ip-in-domain-list"
    return None


def _listing_meanings(family: Family, code: ipaddress.IPv4Address) -> list[str]:
    last = code.packed[3]
    found: list[str]
    match family:
        case Family.SPAMHAUS_ZEN:
            found = [_ZEN[last]] if code.packed[1:3] == b"\x00\x00" and last in _ZEN else []
        case Family.SPAMHAUS_DBL:
            abused = code.packed[2] == 1 and 102 <= last <= 106
            found = ["dbl-abused"] if abused else ([_DBL[last]] if code.packed[2] == 1 and last in _DBL else [])
        case Family.URIBL:
            found = [name for bit, name in _URIBL_BITS.items() if last & bit]
        case Family.SURBL:
            found = [name for bit, name in _SURBL_BITS.items() if last & bit]
        case Family.BARRACUDA | Family.SPAMCOP:
            found = [family.value]
    return [f"dnsbl-code-{name}" for name in found] or ["dnsbl-code-unknown"]


async def check(resolver: dns.asyncresolver.Resolver, target: str, zone: DnsblZone) -> DnsblResult:
    """Ask one list about one target."""
    return await _ask(resolver, query_name(target, zone), target, zone)


async def _ask(resolver: dns.asyncresolver.Resolver, name: str, target: str, zone: DnsblZone) -> DnsblResult:
    result = await lookup(resolver, name, "A")
    match result.status:
        case LookupStatus.NXDOMAIN | LookupStatus.NODATA:
            return DnsblResult(target, zone.name, ListingResult.CLEAN)
        case LookupStatus.TIMEOUT:
            return DnsblResult(target, zone.name, ListingResult.ERROR, meanings=("dnsbl-error-timeout",))
        case LookupStatus.SERVFAIL:
            meaning = "dnsbl-error-refused" if result.refused else "dnsbl-error-servfail"
            return DnsblResult(target, zone.name, ListingResult.ERROR, meanings=(meaning,))
    codes = tuple(sorted(result.values, key=_sort_key))
    listing, meanings = classify(zone.family, codes)
    return DnsblResult(target, zone.name, listing, codes, meanings)


def _sort_key(code: str) -> tuple[int, str]:
    try:
        return int(ipaddress.ip_address(code)), code
    except ValueError:
        return -1, code


_OWN_TEST_POINTS: Final = {  # what each list documents besides RFC 5782's (facts: deliverability §3d for URIBL's)
    Family.SPAMHAUS_DBL: ("dbltest.com",),
    Family.URIBL: ("127.0.0.2", "test.uribl.com"),
    Family.SURBL: ("test.surbl.org",),
}


def probe_entries(zone: DnsblZone) -> tuple[str, ...]:
    """Entries a working list always lists — its `test_point` when one is configured, else the list's own
    documented ones and RFC 5782's (§5: 127.0.0.2 on an IP list, `test` on a domain list): the proof that its
    "not listed" answers are real. Several, so one a list does not carry errs towards nothing."""
    if zone.test_point:
        return (zone.test_point,)
    if zone.kind is TargetKind.IP:
        return ("127.0.0.2",)
    return (*_OWN_TEST_POINTS.get(zone.family, ()), "test")


def probe_names(zone: DnsblZone) -> tuple[str, ...]:
    """The query names of `probe_entries` (an address reversed, a name — `test` too — as it is)."""
    return tuple(
        query_name(p, zone) if target_kind(p) is TargetKind.IP else f"{p}.{zone.suffix}" for p in probe_entries(zone)
    )


async def check_all(
    resolver: dns.asyncresolver.Resolver,
    targets: Sequence[str],
    zones: Sequence[DnsblZone],
    *,
    concurrency: int = 16,
) -> list[DnsblResult]:
    """Every target against every list of its kind (domains on domain lists, IPs on IP lists), in order.

    Each list asked is also asked about its test points: a list that does not list any of them is not really
    being asked — a public resolver Spamhaus silently answers NXDOMAIN, a resolver that answers NXDOMAIN for
    every name, a mirror that stopped syncing — so its "not listed" answers are errors ("the checker is blind"),
    never clean. A listing it does return still counts."""
    gate = asyncio.Semaphore(concurrency)

    async def one(target: str, zone: DnsblZone) -> DnsblResult:
        async with gate:
            return await check(resolver, target, zone)

    async def probe(name: str, zone: DnsblZone) -> DnsblResult:
        async with gate:
            return await _ask(resolver, name, name, zone)

    async def sees(zone: DnsblZone) -> bool:
        answers = await asyncio.gather(*(probe(name, zone) for name in probe_names(zone)))
        return any(a.result is ListingResult.LISTED for a in answers)

    pairs = [(t, z) for t in targets for z in zones if z.kind == target_kind(t)]
    asked = list(dict.fromkeys(z for _, z in pairs))
    found, seeing = await asyncio.gather(
        asyncio.gather(*(one(t, z) for t, z in pairs)), asyncio.gather(*(sees(z) for z in asked))
    )
    working = {z.name for z, ok in zip(asked, seeing, strict=True) if ok}
    return [
        DnsblResult(r.target, r.zone, ListingResult.ERROR, meanings=("dnsbl-error-test-point",))
        if r.result is ListingResult.CLEAN and r.zone not in working
        else r
        for r in found
    ]

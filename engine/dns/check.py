"""What DNS serves for a domain's plan, and a verdict per managed record.

Lookups go only to the configured resolvers (`Resolver(configure=False)`: never /etc/resolv.conf) without a
cache, so a drift shows on the next check. A lookup that times out or fails (SERVFAIL, REFUSED) says nothing
about the record, so it gets its own verdict and is never taken for "ok" or "missing". NXDOMAIN of the
domain itself (not delegated, expired) is a verdict of its own too — for a name below a registered domain
(`news.acme.ru`) it only means nothing is published there yet; NXDOMAIN at `_dmarc` or a DKIM selector only means
that record is missing.
"""

from __future__ import annotations

import asyncio
import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Final, ParamSpec

import dns.asyncresolver
import dns.exception
import dns.message
import dns.rdata
import dns.rdtypes.ANY.CNAME
import dns.rdtypes.ANY.MX
import dns.rdtypes.ANY.TXT
import dns.resolver

from engine.dns.dkim import parse_dkim
from engine.dns.dmarc import is_dmarc, parse_dmarc
from engine.dns.names import absolute_name, registrable_domain, to_unicode, unicode_names
from engine.dns.records import Problem, ZoneRecord, absolute_host, mx_value, normalize_value
from engine.dns.spf import (
    MAX_VOID_LOOKUPS,
    LookupCount,
    SpfAbsent,
    SpfRecord,
    count_lookups,
    is_spf,
    parse_spf,
)
from engine.dns.templates import DnsPlan, DomainSpec, Expectation, build_plan
from models.enums import DnsRecordKind, DnsVerdict

K = DnsRecordKind
V = DnsVerdict


@dataclass(frozen=True)
class ResolverConfig:
    """Where DNS questions go. Production: a local recursive resolver (DNSBLs refuse public ones)."""

    nameservers: tuple[str, ...]
    port: int = 53
    timeout_s: float = 3.0


def make_resolver(config: ResolverConfig) -> dns.asyncresolver.Resolver:
    """An async resolver that asks only the configured servers and never caches."""
    resolver = dns.asyncresolver.Resolver(configure=False)
    resolver.nameservers = list(config.nameservers)
    resolver.port = config.port
    resolver.cache = None
    resolver.timeout = config.timeout_s
    resolver.lifetime = config.timeout_s * max(1, len(config.nameservers))
    return resolver


class LookupStatus(StrEnum):
    ANSWER = "answer"
    NODATA = "nodata"  # the name exists, without records of this type
    NXDOMAIN = "nxdomain"
    SERVFAIL = "servfail"  # SERVFAIL, REFUSED or any other failure of every server
    TIMEOUT = "timeout"


@dataclass(frozen=True)
class Lookup:
    status: LookupStatus
    values: tuple[str, ...] = ()
    refused: bool = False  # SERVFAIL status because every server answered REFUSED (not serving us or the zone)
    truncated: bool = False  # SERVFAIL status because the answer did not fit in UDP and DNS over TCP failed
    alias: str = ""  # the name is a CNAME: where it led (the values, if any, are that name's)


async def lookup(resolver: dns.asyncresolver.Resolver, name: str, rdtype: str) -> Lookup:
    """Resolve `name`/`rdtype`; values in `ZoneRecord` presentation form. Never raises for DNS failures."""
    try:
        answer = await resolver.resolve(name, rdtype, raise_on_no_answer=False)
    except dns.resolver.NXDOMAIN:
        return Lookup(LookupStatus.NXDOMAIN)
    except dns.exception.Timeout:
        return Lookup(LookupStatus.TIMEOUT)
    except dns.resolver.NoNameservers as exc:  # every server failed: SERVFAIL, REFUSED (named apart), …
        errors = [error[3] for error in exc.kwargs.get("errors") or () if len(error) > 3]
        rcodes = {str(error) for error in errors}
        # a truncated UDP answer, then a TCP connection that failed (a firewall that lets only UDP through)
        truncated = any(isinstance(e, dns.message.Truncated) for e in errors) and all(
            isinstance(e, (dns.message.Truncated, OSError, EOFError)) for e in errors
        )
        return Lookup(LookupStatus.SERVFAIL, refused=rcodes == {"REFUSED"}, truncated=truncated)
    except dns.exception.DNSException:  # YXDOMAIN, malformed answers
        return Lookup(LookupStatus.SERVFAIL)
    alias = "" if answer.canonical_name == answer.qname else answer.canonical_name.to_text(omit_final_dot=True)
    if answer.rrset is None:
        return Lookup(LookupStatus.NODATA, alias=alias)
    return Lookup(LookupStatus.ANSWER, tuple(_value(rdata) for rdata in answer.rrset), alias=alias)


def txt_text(data: bytes) -> str:
    """A TXT record's strings joined (as SPF, DKIM and DMARC read them), as text: UTF-8 where it is, control bytes
    written as DNS zone files write them (`\\000`), so a NUL a zone may serve is shown for what it is, never
    stored raw (PostgreSQL refuses NUL in text) nor taken for part of a valid record."""
    text = data.decode("utf-8", "replace")
    return _TXT_CONTROL.sub(lambda m: f"\\{ord(m.group()):03d}", text)


_P = ParamSpec("_P")
_TXT_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _value(rdata: dns.rdata.Rdata) -> str:
    if isinstance(rdata, dns.rdtypes.ANY.MX.MX):
        return mx_value(rdata.preference, rdata.exchange.to_text())
    if isinstance(rdata, dns.rdtypes.ANY.TXT.TXT):
        return txt_text(b"".join(rdata.strings))
    if isinstance(rdata, dns.rdtypes.ANY.CNAME.CNAME):
        return absolute_host(rdata.target.to_text())
    return rdata.to_text()


_QUERY_TYPE = {K.MX: "MX", K.SPF: "TXT", K.DKIM: "TXT", K.DMARC: "TXT"}


def _query_type(expectation: Expectation) -> str:
    if expectation.kind == K.TRACKING:
        return expectation.records[0].rtype if expectation.records else "CNAME"
    return _QUERY_TYPE[expectation.kind]


@dataclass(frozen=True)
class Snapshot:
    """The lookups made for one plan: (owner, type) → what came back."""

    zone: str
    lookups: Mapping[tuple[str, str], Lookup]

    @property
    def apex_missing(self) -> bool:
        return any(owner == "@" and r.status == LookupStatus.NXDOMAIN for (owner, _), r in self.lookups.items())

    @property
    def complete(self) -> bool:
        """True when every lookup was answered, so the records are the whole truth (a diff can trust them)."""
        failed = (LookupStatus.TIMEOUT, LookupStatus.SERVFAIL)
        return all(r.status not in failed for r in self.lookups.values())

    def records(self) -> tuple[ZoneRecord, ...]:
        return tuple(
            ZoneRecord(owner, rtype, value)
            for (owner, rtype), result in self.lookups.items()
            for value in result.values
        )


async def take_snapshot(plan: DnsPlan, resolver: dns.asyncresolver.Resolver) -> Snapshot:
    """Query every name the plan manages (and the apex MX/TXT, which tell whether the domain exists)."""
    keys = {("@", "MX"), ("@", "TXT")} | {(e.owner, _query_type(e)) for e in plan.expectations}
    ordered = sorted(keys)
    results = await asyncio.gather(*(lookup(resolver, absolute_name(o, plan.zone), t) for o, t in ordered))
    lookups = dict(zip(ordered, results, strict=True))
    for owner in _named_without_cname(plan, lookups):
        for rtype in ("A", "AAAA"):
            lookups[(owner, rtype)] = await lookup(resolver, absolute_name(owner, plan.zone), rtype)
    for e in plan.expectations:  # `_dmarc` or a DKIM selector that is an alias: the alias itself, which the plan keeps
        served = lookups.get((e.owner, "TXT"))
        if e.kind in (K.DKIM, K.DMARC) and served is not None and served.alias:
            lookups[(e.owner, "CNAME")] = await lookup(resolver, absolute_name(e.owner, plan.zone), "CNAME")
    return Snapshot(plan.zone, lookups)


def _named_without_cname(plan: DnsPlan, lookups: Mapping[tuple[str, str], Lookup]) -> list[str]:
    """Tracking names meant to be a CNAME that exist without one: what a person put there instead (an A record)
    is what the check names and the plan replaces — a CNAME added beside it is refused by every DNS host."""
    return [
        e.owner
        for e in plan.expectations
        if e.kind == K.TRACKING
        and _query_type(e) == "CNAME"
        and lookups[(e.owner, "CNAME")].status == LookupStatus.NODATA
    ]


@dataclass(frozen=True)
class RecordCheck:
    """One managed record: what we expect, what DNS serves, the verdict and why."""

    kind: DnsRecordKind
    name: str
    expected: tuple[str, ...]
    found: tuple[str, ...]
    verdict: DnsVerdict
    problems: tuple[Problem, ...] = ()

    @property
    def conclusive(self) -> bool:
        """False when DNS did not answer: the record may be fine or not, nobody knows."""
        return self.verdict not in (V.TIMEOUT, V.SERVFAIL)


@dataclass(frozen=True)
class DomainCheck:
    plan: DnsPlan
    snapshot: Snapshot
    records: tuple[RecordCheck, ...]


async def check_domain(spec: DomainSpec, resolver: dns.asyncresolver.Resolver) -> DomainCheck:
    """Read what DNS serves, plan against it (the SPF merge needs the served SPF, and where its includes lead)
    and judge every record."""
    snapshot = await take_snapshot(build_plan(spec), resolver)
    served = snapshot.lookups.get(("@", "TXT"))
    count = await spf_lookups(resolver, spec.name, served.values if served else (), probe=True)
    plan = build_plan(spec, snapshot.records(), spf_reached=count.reached if count else ())
    grants = await rua_grants(plan.zone, snapshot, resolver)
    checks = [await _judge_async(plan, e, snapshot, resolver, grants=grants, spf=count) for e in plan.expectations]
    return DomainCheck(plan, snapshot, tuple(checks))


async def spf_lookups(
    resolver: dns.asyncresolver.Resolver, zone: str, values: Sequence[str], *, probe: bool = False
) -> LookupCount | None:
    """The lookups of the one valid SPF record among a domain's TXT `values`, through its includes and redirects
    (with `probe`, the void ones named too); None when there is no single valid record to evaluate."""
    spf_values = [v for v in values if is_spf(v)]
    if len(spf_values) != 1 or not parse_spf(spf_values[0]).valid:
        return None

    async def fetch_spf(domain: str) -> SpfRecord | SpfAbsent | None:
        result = await lookup(resolver, domain, "TXT")
        if result.status in (LookupStatus.TIMEOUT, LookupStatus.SERVFAIL):
            return None  # could not be read: nobody knows
        records = [v for v in result.values if is_spf(v)]
        if len(records) > 1:
            return SpfAbsent("several")
        if not records:  # NXDOMAIN, no TXT (both void lookups), or no SPF among them
            return SpfAbsent("none", void=result.status in (LookupStatus.NXDOMAIN, LookupStatus.NODATA))
        return parse_spf(records[0])

    async def void(mechanism: str, name: str) -> bool | None:
        return await void_lookup(resolver, mechanism, name)

    return await count_lookups(parse_spf(spf_values[0]), fetch_spf, domain=zone, probe=void if probe else None)


def rua_domains(zone: str, dmarc: str) -> tuple[str, ...]:
    """The domains other than `zone` (and its parents and subdomains) that a DMARC record sends reports to."""
    found = []
    for uri in parse_dmarc(dmarc).rua:
        domain = uri.partition("!")[0].rpartition("@")[2].lower().rstrip(".")
        related = domain == zone or domain.endswith("." + zone) or zone.endswith("." + domain)
        if domain and not related:
            found.append(domain)
    return tuple(dict.fromkeys(found))


async def rua_grants(zone: str, snapshot: Snapshot, resolver: dns.asyncresolver.Resolver) -> dict[str, bool | None]:
    """For each other domain the published DMARC record sends reports to: does it accept them (RFC 7489 7.1, a
    `v=DMARC1` TXT at `<zone>._report._dmarc.<domain>`)? None when the lookup got no answer."""
    published = snapshot.lookups.get(("_dmarc", "TXT"))
    values = _claiming(K.DMARC, published.values) if published else ()
    if len(values) != 1 or not is_dmarc(values[0]):
        return {}
    grants: dict[str, bool | None] = {}
    for domain in rua_domains(zone, values[0]):
        answer = await lookup(resolver, f"{zone}._report._dmarc.{domain}", "TXT")
        failed = answer.status in (LookupStatus.TIMEOUT, LookupStatus.SERVFAIL)
        grants[domain] = None if failed else any(is_dmarc(v) for v in answer.values)
    return grants


async def _judge_async(
    plan: DnsPlan,
    expectation: Expectation,
    snapshot: Snapshot,
    resolver: dns.asyncresolver.Resolver,
    *,
    grants: Mapping[str, bool | None] | None = None,
    spf: LookupCount | None = None,
) -> RecordCheck:
    """`judge`, with the SPF lookups counted through the includes (`spf`, for the apex record) and what else
    needs the network: where a tracking CNAME's chain leads, which MX hosts are aliases."""
    result = snapshot.lookups[(expectation.owner, _query_type(expectation))]
    count = spf if expectation.kind == K.SPF and expectation.owner == "@" else None
    chain: Chain | None = None
    if _aliased_elsewhere(expectation, result):
        chain = await follow_cnames(resolver, result.values[0], stop_at=_values(expectation))
    aliases: dict[str, str] = {}
    if expectation.kind == K.MX and result.status == LookupStatus.ANSWER:
        aliases = await _mx_aliases(resolver, expectation, result.values)
    instead: tuple[str, ...] = ()
    if expectation.kind == K.TRACKING and _query_type(expectation) == "CNAME":
        served = [(t, snapshot.lookups.get((expectation.owner, t))) for t in ("A", "AAAA")]
        instead = tuple(f"{t} {v}" for t, r in served if r is not None and not r.alias for v in r.values)
    return judge(
        plan,
        expectation,
        result,
        apex_missing=snapshot.apex_missing,
        spf_lookups=count,
        chain=chain,
        grants=grants,
        instead=instead,
        mx_aliases=aliases,
    )


async def _mx_aliases(
    resolver: dns.asyncresolver.Resolver, expectation: Expectation, values: Sequence[str]
) -> dict[str, str]:
    """The MX hosts outside the plan that are aliases (CNAME), with where each leads: an MX must name the mail
    server itself (RFC 2181 10.3), so a person who aliased the provider's host learns why it does not count."""
    wanted = {normalize_value("MX", r.value).split(" ", 1)[1] for r in expectation.records}
    hosts = [normalize_value("MX", v).split(" ", 1)[1] for v in values]
    found: dict[str, str] = {}
    for host in dict.fromkeys(h for h in hosts if h not in wanted and h != "."):
        step = await lookup(resolver, host, "CNAME")
        if step.status == LookupStatus.ANSWER and step.values:
            found[host.rstrip(".")] = step.values[0].rstrip(".")
    return found


_VOID_TYPES: Final = {"a": ("A", "AAAA"), "mx": ("MX",), "exists": ("A",)}


async def void_lookup(resolver: dns.asyncresolver.Resolver, mechanism: str, name: str) -> bool | None:
    """Whether an SPF `a`, `mx` or `exists` lookup of `name` finds nothing (NXDOMAIN, or no records of the type;
    for `a`, neither A nor AAAA, so a host reached over one family only is not blamed). None when a lookup
    failed and nothing answered: nobody knows."""
    results = [await lookup(resolver, name, rtype) for rtype in _VOID_TYPES[mechanism]]
    if any(r.values for r in results):
        return False
    if any(r.status in (LookupStatus.TIMEOUT, LookupStatus.SERVFAIL) for r in results):
        return None
    return True


MAX_HOPS: Final = 8


def _aliased_elsewhere(expectation: Expectation, result: Lookup) -> bool:
    """A tracking CNAME that names another host than the plan's: where its chain leads decides."""
    if expectation.kind != K.TRACKING or _query_type(expectation) != "CNAME" or len(result.values) != 1:
        return False
    return normalize_value("CNAME", result.values[0]) not in {normalize_value("CNAME", v) for v in _values(expectation)}


@dataclass(frozen=True)
class Chain:
    """Where a CNAME leads: the names after the first target, hop by hop; `failed` when a hop's lookup got no
    answer (the end is unknown); `loop` when it comes back to a name it passed."""

    hops: tuple[str, ...]
    failed: LookupStatus | None = None
    loop: bool = False


async def follow_cnames(resolver: dns.asyncresolver.Resolver, first: str, *, stop_at: Sequence[str] = ()) -> Chain:
    """Follow a CNAME chain from `first` (at most `MAX_HOPS` names) until a name that is not an alias, or one of
    `stop_at` (where the chain is meant to lead)."""
    hops = [first]
    ends = {normalize_value("CNAME", v) for v in stop_at}
    while len(hops) <= MAX_HOPS and normalize_value("CNAME", hops[-1]) not in ends:
        step = await lookup(resolver, hops[-1], "CNAME")
        if step.status in (LookupStatus.TIMEOUT, LookupStatus.SERVFAIL):
            return Chain(tuple(hops), failed=step.status)
        if step.status != LookupStatus.ANSWER or not step.values:
            return Chain(tuple(hops))
        target = step.values[0]
        if normalize_value("CNAME", target) in {normalize_value("CNAME", h) for h in hops}:
            return Chain((*hops, target), loop=True)
        hops.append(target)
    return Chain(tuple(hops), loop=len(hops) > MAX_HOPS)


def _problems_readable(judged: Callable[_P, RecordCheck]) -> Callable[_P, RecordCheck]:
    """A verdict whose problems mention host names in Unicode (`_readable`), as people write them."""

    @functools.wraps(judged)
    def readable(*args: _P.args, **kwargs: _P.kwargs) -> RecordCheck:
        check = judged(*args, **kwargs)
        return replace(check, problems=tuple(_readable(p) for p in check.problems))

    return readable


@_problems_readable
def judge(
    plan: DnsPlan,
    expectation: Expectation,
    result: Lookup,
    *,
    apex_missing: bool = False,
    spf_lookups: LookupCount | None = None,
    chain: Chain | None = None,
    grants: Mapping[str, bool | None] | None = None,
    instead: Sequence[str] = (),
    mx_aliases: Mapping[str, str] | None = None,
) -> RecordCheck:
    """The verdict for one managed record, from one lookup (and, for a tracking CNAME that points elsewhere,
    where its chain leads; for one that is no CNAME, the records served at its name `instead`, "A 192.0.2.5";
    for MX, the hosts that are aliases and where they lead). Pure: the rules, without the network; the host names
    its problems mention are shown in Unicode."""
    name = absolute_name(expectation.owner, plan.zone)
    expected = tuple(r.value for r in expectation.records)
    failure = _failure(result, apex_missing=apex_missing, zone=plan.zone)
    if failure is not None:
        return RecordCheck(expectation.kind, name, expected, (), *failure)
    found = _claiming(expectation.kind, result.values)
    if not found and instead:
        wanted = ", ".join(v.rstrip(".") for v in _values(expectation))
        problem = Problem("dns-problem-tracking-not-cname", {"found": ", ".join(instead), "expected": wanted})
        return RecordCheck(expectation.kind, name, expected, tuple(instead), V.MISMATCH, (problem,))
    if not found:
        return RecordCheck(
            expectation.kind, name, expected, (), V.MISSING, (_missing(result, _query_type(expectation)),)
        )
    if expectation.kind in (K.SPF, K.DKIM, K.DMARC) and len(found) > 1:
        duplicate = Problem("dns-problem-duplicate", {"count": len(found)})
        return RecordCheck(expectation.kind, name, expected, found, V.DUPLICATE, (duplicate,))
    if chain is not None and expectation.kind == K.TRACKING:
        verdict, problems = _judge_chain(expectation, chain)
    else:
        verdict, problems = _RULES[expectation.kind](plan, expectation, found, spf_lookups)
    if expectation.kind == K.MX and verdict == V.MISMATCH and mx_aliases:
        shown = ", ".join(f"{host} → {target}" for host, target in mx_aliases.items())
        problems = [Problem("dns-problem-mx-alias", {"aliases": shown, **problems[0].params})]
    if expectation.kind == K.DMARC and verdict in (V.OK, V.MISMATCH) and grants:
        problems = [*problems, *_rua_problems(plan.zone, grants)]
    return RecordCheck(expectation.kind, name, expected, found, verdict, tuple(problems))


_NAMES_SHOWN: Final = frozenset({"alias", "aliases", "chain", "domain", "expected", "terms"})
"""The problem parameters that name hosts to a person (an MX alias, a CNAME chain, an include): shown in Unicode
(`engine.dns.names.unicode_names`). Text to be typed into a record (`term`, `record`) stays as DNS needs it."""


def _readable(problem: Problem) -> Problem:
    params = {k: unicode_names(v) if k in _NAMES_SHOWN and isinstance(v, str) else v for k, v in problem.params.items()}
    return replace(problem, params=params) if params != dict(problem.params) else problem


def _missing(result: Lookup, rtype: str) -> Problem:
    """No such record — or, where the name is an alias (CNAME), none at the name it leads to: say where, since
    the person sees a record at that name in their DNS panel."""
    if result.alias:
        return Problem("dns-problem-missing-alias", {"alias": result.alias, "type": rtype})
    return Problem("dns-problem-missing")


def _rua_problems(zone: str, grants: Mapping[str, bool | None]) -> list[Problem]:
    """Warnings for report addresses at other domains that do not accept (or could not be asked about) them:
    the mail is not at stake, the reports are."""
    problems = []
    for domain, granted in grants.items():
        params = {"domain": domain, "record": f"{zone}._report._dmarc.{domain}"}
        if granted is None:
            problems.append(Problem("dns-problem-dmarc-rua-unchecked", params, True))
        elif not granted:
            problems.append(Problem("dns-problem-dmarc-rua-unauthorized", params, True))
    return problems


def _claiming(kind: DnsRecordKind, values: Sequence[str]) -> tuple[str, ...]:
    """The values that are (or try to be) the record: SPF among the apex TXT (RFC 7208 4.5); at `_dmarc`, the
    records that start with v=DMARC1, the others being discarded (RFC 7489 6.6.3) — or, when none does, those
    that mention DMARC (a broken attempt is "invalid", a site-verification token alone leaves DMARC missing)."""
    if kind == K.SPF:
        return tuple(v for v in values if is_spf(v))
    if kind == K.DMARC:
        dmarc = tuple(v for v in values if is_dmarc(v))
        return dmarc or tuple(v for v in values if "dmarc" in v.lower())
    return tuple(values)


def _failure(result: Lookup, *, apex_missing: bool, zone: str = "") -> tuple[DnsVerdict, tuple[Problem, ...]] | None:
    if result.status == LookupStatus.TIMEOUT:
        return V.TIMEOUT, (Problem("dns-problem-timeout"),)
    if result.status == LookupStatus.SERVFAIL:
        key = "refused" if result.refused else "truncated" if result.truncated else "servfail"
        return V.SERVFAIL, (Problem(f"dns-problem-{key}"),)
    if apex_missing:
        registrable = registrable_domain(zone) if zone else ""
        if registrable and registrable != zone:  # news.acme.ru under acme.ru: no records there yet, nothing lapsed
            below = {"name": to_unicode(zone), "domain": to_unicode(registrable)}
            return V.NXDOMAIN, (Problem("dns-problem-nxdomain-below", below),)
        return V.NXDOMAIN, (Problem("dns-problem-nxdomain"),)
    return None


Verdict = tuple[DnsVerdict, list[Problem]]


def _judge_mx(plan: DnsPlan, e: Expectation, found: Sequence[str], _: LookupCount | None) -> Verdict:
    def hosts(values: Sequence[str]) -> set[str]:
        return {normalize_value("MX", v).split(" ", 1)[1] for v in values}

    if hosts(found) != hosts([r.value for r in e.records]):
        expected = ", ".join(sorted(h.rstrip(".") for h in hosts(_values(e))))  # the message ends its sentence
        if "." in hosts(found):  # RFC 7505 null MX: the domain says it takes no mail at all
            return V.MISMATCH, [Problem("dns-problem-mx-null", {"expected": expected})]
        return V.MISMATCH, [Problem("dns-problem-mx-differs", {"expected": expected})]
    return V.OK, []


def _judge_spf(plan: DnsPlan, e: Expectation, found: Sequence[str], lookups: LookupCount | None) -> Verdict:
    record = parse_spf(found[0])
    problems = list(record.problems)
    if not record.valid:
        return V.INVALID, problems
    if lookups is not None:
        problems += [Problem("dns-problem-spf-unresolved", {"domain": d}, True) for d in lookups.unresolved]
        broken = [Problem(f"dns-problem-spf-include-{why}", {"domain": d}) for d, why in lookups.broken]
        if broken:
            return V.INVALID, [*problems, *broken]
        if lookups.over_void_limit:  # each names nothing: an old host or provider left in the record
            void: dict[str, str | int] = {"count": len(lookups.void), "limit": MAX_VOID_LOOKUPS}
            void["terms"] = ", ".join(lookups.void)
            problems.append(Problem("dns-problem-spf-void-lookups", void))
        if lookups.over_limit:
            problems.append(Problem("dns-problem-spf-too-many-lookups", {"count": lookups.total, "limit": 10}))
        if lookups.over_limit or lookups.over_void_limit:
            return V.INVALID, problems
    if not record.authorizes(plan.spf_include) and not (lookups is not None and lookups.reaches(plan.spf_include)):
        return V.MISMATCH, [*problems, Problem("dns-problem-spf-no-include", {"include": plan.spf_include})]
    ending = record.all_term
    if ending is not None and ending.qualifier in ("", "+"):  # every server on the internet may send as the domain
        return V.INVALID, [*problems, Problem("dns-problem-spf-pass-all", {"term": ending.text})]
    if ending is not None and ending.qualifier == "?":
        problems.append(Problem("dns-problem-spf-neutral-all", {"term": ending.text}, True))
    elif ending is None and record.redirect is None:  # RFC 7208 4.7: no match and no all is "neutral"
        problems.append(Problem("dns-problem-spf-no-all", warning=True))
    return V.OK, problems


def _judge_dkim(plan: DnsPlan, e: Expectation, found: Sequence[str], _: LookupCount | None) -> Verdict:
    record = parse_dkim(found[0])
    problems = list(record.problems)
    if not record.valid:
        return V.INVALID, problems
    if e.records and e.records[0].rtype == "TXT" and parse_dkim(e.records[0].value).public_key != record.public_key:
        return V.MISMATCH, [*problems, Problem("dns-problem-dkim-other-key")]
    return V.OK, problems


def _judge_dmarc(plan: DnsPlan, e: Expectation, found: Sequence[str], _: LookupCount | None) -> Verdict:
    record = parse_dmarc(found[0])
    problems = list(record.problems)
    if not is_dmarc(found[0]) or not record.valid:
        return V.INVALID, problems
    if record.policy != plan.dmarc_policy:
        found_policy = record.policy.value if record.policy else ""
        differs = Problem("dns-problem-dmarc-policy-differs", {"found": found_policy, "expected": plan.dmarc_policy})
        return V.MISMATCH, [*problems, differs]
    return V.OK, problems


def _judge_tracking(plan: DnsPlan, e: Expectation, found: Sequence[str], _: LookupCount | None) -> Verdict:
    rtype = e.records[0].rtype if e.records else "CNAME"
    if {normalize_value(rtype, v) for v in found} != {normalize_value(rtype, v) for v in _values(e)}:
        expected = ", ".join(v.rstrip(".") for v in _values(e))
        return V.MISMATCH, [Problem("dns-problem-tracking-differs", {"expected": expected})]
    return V.OK, []


def _judge_chain(e: Expectation, chain: Chain) -> Verdict:
    """A tracking CNAME to another alias: fine (with a warning: one more link to keep right) when the chain ends
    at the tracking host; "could not check" when a hop did not answer; otherwise it points elsewhere."""
    wanted = {normalize_value("CNAME", v) for v in _values(e)}
    shown = " → ".join(h.rstrip(".") for h in chain.hops)
    if chain.failed is not None:
        verdict = V.TIMEOUT if chain.failed == LookupStatus.TIMEOUT else V.SERVFAIL
        return verdict, [Problem(f"dns-problem-{verdict.value}")]
    if not chain.loop and normalize_value("CNAME", chain.hops[-1]) in wanted:
        return V.OK, [Problem("dns-problem-tracking-chain", {"chain": shown}, True)]
    expected = ", ".join(v.rstrip(".") for v in _values(e))
    return V.MISMATCH, [Problem("dns-problem-tracking-chain-elsewhere", {"chain": shown, "expected": expected})]


def _values(e: Expectation) -> list[str]:
    return [r.value for r in e.records]


_RULES = {
    K.MX: _judge_mx,
    K.SPF: _judge_spf,
    K.DKIM: _judge_dkim,
    K.DMARC: _judge_dmarc,
    K.TRACKING: _judge_tracking,
}

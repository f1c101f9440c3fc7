"""SPF (RFC 7208): syntax, the 10-DNS-lookup limit, and adding a provider's include to an existing policy.

A domain must publish exactly one SPF record: two make every receiver return `permerror` (RFC 7208 4.5), so a
provider's include is always merged into what is there, never published beside it. The lookup limit counts
every `include`, `a`, `mx`, `ptr`, `exists` and `redirect` over the whole evaluation, includes of includes too
(RFC 7208 4.6.4); going over it is a `permerror` as well, and so are more than two "void" lookups (a name that
does not exist, or has no records of the type asked: typically an old host or provider left in the record).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Final

from engine.dns.records import Problem

VERSION: Final = "v=spf1"
MAX_LOOKUPS: Final = 10
MAX_VOID_LOOKUPS: Final = 2  # RFC 7208 4.6.4: the limit receivers apply to lookups that find nothing
VOID_PROBED: Final = frozenset({"a", "mx", "exists"})  # mechanisms whose own lookup may be void (includes: `fetch`)
MECHANISMS: Final = frozenset({"all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists"})
LOOKUP_MECHANISMS: Final = frozenset({"include", "a", "mx", "ptr", "exists"})
_MODIFIER = re.compile(r"^([a-z][a-z0-9_.-]*)=(.*)$", re.IGNORECASE)
_MECHANISM = re.compile(r"^([+\-~?]?)([a-z0-9]+)(.*)$", re.IGNORECASE)
# RFC 7208 7.1 macro-string: visible characters, with "%" only as %{...}, %%, %_ or %-
_DOMAIN_SPEC = re.compile(r"^(?:%\{[slodiphcrtv][0-9]*r?[.\-+,/_=]*\}|%[%_-]|[!-$&-~])+$", re.IGNORECASE)
_CIDR = re.compile(r"^(?:/([0-9]{1,2}))?(?://([0-9]{1,3}))?$")


@dataclass(frozen=True)
class SpfTerm:
    """One mechanism (`~all`, `include:x`) or modifier (`redirect=x`) as written."""

    text: str
    name: str  # lower case
    value: str  # after ":" or "=", empty when absent
    qualifier: str = ""  # "+", "-", "~", "?" for mechanisms ("" = "+"), "" for modifiers
    is_modifier: bool = False


@dataclass(frozen=True)
class SpfRecord:
    """A parsed SPF record: its terms and the syntax problems found (empty when valid)."""

    terms: tuple[SpfTerm, ...]
    problems: tuple[Problem, ...]

    @property
    def valid(self) -> bool:
        return not any(not p.warning for p in self.problems)

    @property
    def mechanisms(self) -> tuple[SpfTerm, ...]:
        return tuple(t for t in self.terms if not t.is_modifier)

    @property
    def all_term(self) -> SpfTerm | None:
        return next((t for t in self.mechanisms if t.name == "all"), None)

    @property
    def redirect(self) -> str | None:
        """The redirect target, when it applies: RFC 7208 6.1 ignores it in a record that has `all`."""
        target = next((t.value for t in self.terms if t.is_modifier and t.name == "redirect"), None)
        return None if self.all_term is not None else target

    @property
    def includes(self) -> tuple[str, ...]:
        return tuple(t.value for t in self.mechanisms if t.name == "include")

    def own_lookups(self) -> int:
        """DNS lookups this record itself causes (its includes' own records not counted)."""
        return sum(1 for t in self.mechanisms if t.name in LOOKUP_MECHANISMS) + (1 if self.redirect else 0)

    def authorizes(self, domain: str) -> bool:
        """True when the record hands evaluation to `domain` through an include or an effective redirect."""
        target = domain.lower().rstrip(".")
        return target in {d.lower().rstrip(".") for d in (*self.includes, self.redirect or "")}


def is_spf(text: str) -> bool:
    """True for a TXT value that claims to be SPF (RFC 7208 4.5: "v=spf1" followed by a space or nothing)."""
    lowered = text.strip().lower()
    return lowered == VERSION or lowered.startswith(VERSION + " ")


def parse_spf(text: str) -> SpfRecord:
    """Parse an SPF record; never raises: every defect becomes a `Problem`."""
    words = text.split()
    if not words or words[0].lower() != VERSION:
        return SpfRecord((), (Problem("dns-problem-spf-not-spf"),))
    terms: list[SpfTerm] = []
    problems: list[Problem] = []
    for word in words[1:]:
        term, problem = _parse_term(word)
        if problem is not None:
            problems.append(problem)
        if term is not None:
            terms.append(term)
    for name in ("redirect", "exp"):
        if sum(1 for t in terms if t.is_modifier and t.name == name) > 1:
            problems.append(Problem("dns-problem-spf-modifier-repeated", {"modifier": name}))
    mechanisms = [t for t in terms if not t.is_modifier]
    names = [t.name for t in mechanisms]
    if "all" in names and names.index("all") < len(names) - 1:
        problems.append(Problem("dns-problem-spf-after-all", warning=True))
    return SpfRecord(tuple(terms), tuple(problems))


def _parse_term(word: str) -> tuple[SpfTerm | None, Problem | None]:
    modifier = _MODIFIER.match(word)
    if modifier:
        name, value = modifier.group(1).lower(), modifier.group(2)
        term = SpfTerm(word, name, value, is_modifier=True)
        if name in ("redirect", "exp") and not _DOMAIN_SPEC.match(value):
            return term, Problem("dns-problem-spf-bad-term", {"term": word})
        return term, None
    mechanism = _MECHANISM.match(word)
    if not mechanism or mechanism.group(2).lower() not in MECHANISMS:
        return None, Problem("dns-problem-spf-unknown-term", {"term": word})
    qualifier, name, rest = mechanism.group(1), mechanism.group(2).lower(), mechanism.group(3)
    value = rest[1:] if rest.startswith(":") else rest
    term = SpfTerm(word, name, value, qualifier)
    return term, (None if _argument_ok(name, rest) else Problem("dns-problem-spf-bad-term", {"term": word}))


def _argument_ok(name: str, rest: str) -> bool:
    """Whether the text after a mechanism's name fits its grammar (RFC 7208 5)."""
    if name == "all":
        return rest == ""
    if name in ("include", "exists"):
        return rest.startswith(":") and bool(_DOMAIN_SPEC.match(rest[1:]))
    if name in ("ip4", "ip6"):
        return rest.startswith(":") and _network_ok(rest[1:], version=4 if name == "ip4" else 6)
    if name == "ptr":
        return rest == "" or (rest.startswith(":") and bool(_DOMAIN_SPEC.match(rest[1:])))
    # a and mx: [":" domain-spec] [ip4-cidr-length] [ "/" ip6-cidr-length]
    domain, slash, cidr = rest.partition("/")
    if domain and not (domain.startswith(":") and _DOMAIN_SPEC.match(domain[1:])):
        return False
    return _cidr_ok(slash + cidr)


def _network_ok(text: str, *, version: int) -> bool:
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return network.version == version


def _cidr_ok(text: str) -> bool:
    match = _CIDR.match(text)
    if not match:
        return False
    v4, v6 = match.group(1), match.group(2)
    return (v4 is None or int(v4) <= 32) and (v6 is None or int(v6) <= 128)


def merge_include(records: Sequence[str], include: str, *, reached: Collection[str] = ()) -> str:
    """One SPF record that keeps what `records` allow and also authorizes `include`.

    `reached`: the domains the served record's evaluation already reaches through its own includes and
    redirects (`LookupCount.reached`); a lone valid record that reaches `include` that way (an agency's
    `include:_spf.agency.ru` that includes the provider) already authorizes it: no include is added to it.

    With nothing published the result is `v=spf1 include:<include> ~all`. Several records (already broken:
    `permerror`) are folded into the first one: the others' mechanisms are added before its `all`, and their
    redirects become includes. A `+all` (anyone may send as the domain, which the check calls invalid) becomes
    `~all`. The new include goes before `all` (terms after `all` are never evaluated) or,
    in a record that ends with a redirect, after the last mechanism.
    """
    parsed = [parse_spf(text) for text in records if is_spf(text)]
    if not parsed:
        return f"{VERSION} include:{include} ~all"
    base, others = parsed[0], parsed[1:]
    mechanisms = [t for t in base.mechanisms if t.name != "all"]
    modifiers = [t for t in base.terms if t.is_modifier]
    seen = {t.text.lower() for t in mechanisms}
    extra = [t for other in others for t in other.mechanisms if t.name != "all"]
    extra += [SpfTerm(f"include:{other.redirect}", "include", other.redirect) for other in others if other.redirect]
    indirect = not others and include.lower().rstrip(".") in _names(reached)
    if (
        not base.authorizes(include)
        and not indirect
        and not any(t.name == "include" and t.value == include for t in extra)
    ):
        extra.append(SpfTerm(f"include:{include}", "include", include))
    for term in extra:
        if term.text.lower() not in seen:
            seen.add(term.text.lower())
            mechanisms.append(term)
    tail = [base.all_term] if base.all_term is not None else []
    if base.all_term is not None and base.all_term.qualifier in ("", "+"):  # "+all" lets anyone send: soft-fail
        tail = [SpfTerm("~all", "all", "", "~")]
    return " ".join((VERSION, *(t.text for t in (*mechanisms, *tail, *modifiers))))


@dataclass(frozen=True)
class LookupCount:
    """DNS lookups over the whole evaluation; the includes/redirects whose SPF record could not be read (the
    lookup failed: nobody knows), and those that publish no usable one (`broken`: a permerror for receivers),
    each with why (`SpfAbsent.reason`, or "invalid": one record, with a syntax error)."""

    total: int
    unresolved: tuple[str, ...]
    broken: tuple[tuple[str, str], ...] = ()
    void: tuple[str, ...] = ()  # the terms whose lookup found nothing ("a:old.example", "include:gone.example")
    reached: tuple[str, ...] = ()  # every include and redirect target met, at any depth (lower case, no dot)

    def reaches(self, domain: str) -> bool:
        """Whether the evaluation hands over to `domain` somewhere: directly, or through an include of an
        include, a redirect inside an include, … — receivers evaluate it as if it were written in the record."""
        return domain.lower().rstrip(".") in self.reached

    @property
    def over_limit(self) -> bool:
        return self.total > MAX_LOOKUPS

    @property
    def over_void_limit(self) -> bool:
        return len(self.void) > MAX_VOID_LOOKUPS


@dataclass(frozen=True)
class SpfAbsent:
    """An include or redirect target that answered, without exactly one SPF record: `reason` is "none" (no such
    name, or no SPF record there) or "several". RFC 7208 5.2 and 6.1 make either a permerror."""

    reason: str
    void: bool = False  # no such name, or no TXT at all there: a void lookup too (RFC 7208 4.6.4)


SpfFetcher = Callable[[str], Awaitable[SpfRecord | SpfAbsent | None]]
"""Reads the SPF record of a domain; `SpfAbsent` when the domain answered without exactly one, None when it
could not be read (the lookup failed)."""

VoidProbe = Callable[[str, str], Awaitable[bool | None]]
"""Whether the lookup a mechanism (`a`, `mx`, `exists`) makes for a name finds nothing: True for NXDOMAIN or no
records of the type, None when the lookup failed (nobody knows)."""


async def count_lookups(
    record: SpfRecord, fetch: SpfFetcher, *, domain: str = "", probe: VoidProbe | None = None
) -> LookupCount:
    """Count lookups recursively through includes and redirects, the way a receiver evaluates the record:
    a domain included twice is evaluated (and counted) twice. With `probe`, the `a`, `mx` and `exists` lookups
    (a bare `a`/`mx` asks about the record's own domain: `domain` for `record`) that find nothing are named in
    `void`, and so are includes and redirects to names without any TXT.

    Stops descending once the limit is passed, which also ends a loop of includes: every include adds one.
    """
    total = 0
    unresolved: list[str] = []
    broken: list[tuple[str, str]] = []
    void: list[str] = []
    reached: list[str] = []
    pending = [(record, domain.lower().rstrip("."))]
    while pending and total <= MAX_LOOKUPS:
        current, owner = pending.pop()
        total += current.own_lookups()
        if probe is not None:
            void += await _void_terms(current, owner, probe)
        for target in (*current.includes, *([current.redirect] if current.redirect else [])):
            if "%" in target:  # macros expand per message; they cannot be followed statically
                continue
            name = target.lower().rstrip(".")
            reached.append(name)
            child = await fetch(name)
            if child is None:
                unresolved.append(name)
            elif isinstance(child, SpfAbsent):
                broken.append((name, child.reason))
                if child.void:
                    void.append(f"{'include' if name in _names(current.includes) else 'redirect'}:{name}")
            elif not child.valid:  # a syntax error there is a permerror of the whole evaluation (RFC 7208 4.6)
                broken.append((name, "invalid"))
            else:
                pending.append((child, name))
    return LookupCount(
        total,
        tuple(dict.fromkeys(unresolved)),
        tuple(dict.fromkeys(broken)),
        tuple(void),
        tuple(dict.fromkeys(reached)),
    )


def _names(targets: Collection[str]) -> set[str]:
    return {t.lower().rstrip(".") for t in targets}


async def _void_terms(record: SpfRecord, owner: str, probe: VoidProbe) -> list[str]:
    """The `a`, `mx` and `exists` terms of `record` whose lookup finds nothing, as "a:name"."""
    found = []
    for term in record.mechanisms:
        if term.name not in VOID_PROBED:
            continue
        name = (term.value.split("/", 1)[0] or owner).lower().rstrip(".")  # a:host/24: the host
        if name and "%" not in name and await probe(term.name, name):
            found.append(f"{term.name}:{name}")
    return found

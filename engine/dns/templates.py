"""The DNS plan of a sending domain: what its mail provider needs, rendered as a zone file and as a diff.

Pure functions over plain dataclasses. A plan lists, per managed record kind, the owner it lives at and the
records wanted there; the diff touches only those kinds' records (the SPF TXT at the apex, not a site
verification TXT beside it), so applying a plan never removes what Mailfleet does not manage.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from typing import Final, Literal

import dns.name
import dns.zone

from engine.dns.dkim import normalize_key_input
from engine.dns.dmarc import LADDER, build_dmarc, claims_dmarc, is_dmarc, parse_dmarc, with_policy
from engine.dns.names import absolute_name, relative_owner, to_unicode, unicode_names
from engine.dns.records import DEFAULT_TTL, Problem, ZoneRecord, absolute_host, mx_value, to_rdata
from engine.dns.spf import is_spf, merge_include
from models.enums import DmarcPolicy, DnsRecordKind, MailProvider

K = DnsRecordKind


@dataclass(frozen=True)
class ProviderTemplate:
    """What a mail provider expects in DNS (facts: Yandex 360 §1.5, Mail.ru for Business §2)."""

    provider: MailProvider
    mx: tuple[tuple[int, str], ...]
    spf_include: str
    dkim_selector: str


TEMPLATES: Final = {
    MailProvider.YANDEX360: ProviderTemplate(
        MailProvider.YANDEX360, ((10, "mx.yandex.net."),), "_spf.yandex.net", "mail"
    ),
    MailProvider.MAILRU: ProviderTemplate(MailProvider.MAILRU, ((10, "emx.mail.ru."),), "_spf.mail.ru", "mailru"),
    # own SMTP or any other host: MX and SPF come from the domain's own settings
    MailProvider.GENERIC: ProviderTemplate(MailProvider.GENERIC, (), "", ""),
}
# MX hosts that identify a provider (facts: Yandex 360 §1.5, Mail.ru for Business §2), by name suffix.
_MX_PROVIDERS: Final = (
    (("mx.yandex.net", "mx.yandex.ru"), MailProvider.YANDEX360),
    (("emx.mail.ru",), MailProvider.MAILRU),
)


def provider_from_mx(hosts: Sequence[str]) -> MailProvider | None:
    """The provider every one of a domain's MX hosts belongs to, or None (no MX, unknown hosts, or a mix)."""
    found: set[MailProvider | None] = set()
    for host in hosts:
        name = host.strip().rstrip(".").lower()
        found.add(next((p for suffixes, p in _MX_PROVIDERS if name in suffixes), None))
    return found.pop() if len(found) == 1 else None


@dataclass(frozen=True)
class DomainSpec:
    """Everything a plan depends on. `name` is ASCII; `tracking_host` is a name inside the domain that
    points at `tracking_target`, the platform's tracking host (a host name, or an address)."""

    name: str
    provider: MailProvider | None  # None: not known yet; the plan then manages only DMARC and tracking
    dmarc_rua: str
    dmarc_policy: DmarcPolicy = DmarcPolicy.NONE
    dkim_selector: str = ""  # "" = the provider's selector
    dkim_public_key: str = ""  # a bare base64 key or a whole record; "" = not known yet
    tracking_host: str = ""
    tracking_target: str = ""
    mx: tuple[tuple[int, str], ...] = ()  # overrides the template's
    spf_include: str = ""  # overrides the template's
    ttl: int = DEFAULT_TTL


@dataclass(frozen=True)
class Expectation:
    """One managed record kind: where it lives and what should be there (empty: only checked, not written)."""

    kind: DnsRecordKind
    owner: str
    records: tuple[ZoneRecord, ...]


@dataclass(frozen=True)
class DnsPlan:
    zone: str
    expectations: tuple[Expectation, ...]
    spf_include: str
    dmarc_policy: DmarcPolicy
    notes: tuple[Problem, ...]

    @property
    def records(self) -> tuple[ZoneRecord, ...]:
        return tuple(r for e in self.expectations for r in e.records)

    def expectation(self, kind: DnsRecordKind) -> Expectation | None:
        return next((e for e in self.expectations if e.kind == kind), None)


@dataclass(frozen=True)
class Change:
    action: Literal["add", "remove"]
    kind: DnsRecordKind
    record: ZoneRecord


def in_scope(expectation: Expectation, record: ZoneRecord) -> bool:
    """Whether a served record belongs to this managed kind (and may be replaced by the plan)."""
    if record.owner.lower() != expectation.owner:
        return False
    match expectation.kind:
        case K.MX:
            return record.rtype == "MX"
        case K.SPF:
            return record.rtype == "TXT" and is_spf(record.value)
        case K.DKIM | K.DMARC:  # at `_dmarc` only DMARC: a verification token published there stays
            return _in_auth_scope(expectation, record)
        case K.TRACKING:
            return record.rtype in ("CNAME", "A", "AAAA")
    return False


def _in_auth_scope(expectation: Expectation, record: ZoneRecord) -> bool:
    """DKIM and DMARC: the TXT that is (or tries to be) the record; for an aliased `_dmarc` (`dmarc_alias`), the
    alias alone."""
    aliased = bool(expectation.records) and expectation.records[0].rtype == "CNAME"
    if record.rtype == "CNAME" or aliased:
        return aliased and record.rtype == "CNAME"
    return record.rtype == "TXT" and (expectation.kind == K.DKIM or claims_dmarc(record.value))


def build_plan(spec: DomainSpec, served: Sequence[ZoneRecord] = (), *, spf_reached: Collection[str] = ()) -> DnsPlan:
    """The plan for `spec`, given what DNS (or the provider) serves now at the managed names (and `spf_reached`:
    the domains the served SPF hands evaluation to at any depth, `LookupCount.reached`).

    The served SPF is merged with the provider's include rather than replaced (and left as it is when one of
    its own includes already includes the provider's), and a served DMARC record
    keeps its extra tags; everything else is the template's. A plan never weakens DMARC: a served policy
    stricter than the spec's is adopted as the current step (and noted). Without a known provider there is no
    MX, SPF or DKIM to plan, and a note says to set the provider.
    """
    template = TEMPLATES[spec.provider] if spec.provider else None
    include = spec.spf_include or (template.spf_include if template else "")
    selector = spec.dkim_selector or (template.dkim_selector if template else "")
    expectations: list[Expectation] = []
    notes: list[Problem] = []
    if template is None:
        notes.append(Problem("dns-note-provider-unknown", {"domain": to_unicode(spec.name)}, True))
    published = published_dmarc_policy(served)
    if published is not None and LADDER.index(published) > LADDER.index(spec.dmarc_policy):
        notes.append(Problem("dns-note-dmarc-adopted", {"policy": published.value}, True))
        spec = replace(spec, dmarc_policy=published)

    def add(kind: DnsRecordKind, owner: str, rtype: str, values: Sequence[str]) -> Expectation:
        records = tuple(ZoneRecord(owner, rtype, value, spec.ttl) for value in values)
        expectation = Expectation(kind, owner, records)
        expectations.append(expectation)
        return expectation

    mx = spec.mx or (template.mx if template else ())
    if mx:
        add(K.MX, "@", "MX", [mx_value(preference, host) for preference, host in mx])
    if include:
        spf = Expectation(K.SPF, "@", ())
        current = [r.value for r in served if in_scope(spf, r)]
        add(K.SPF, "@", "TXT", [merge_include(current, include, reached=spf_reached)])
    elif template is not None:
        notes.append(Problem("dns-note-spf-unknown", warning=True))
    if selector:
        rtype, values, note = _dkim(spec, selector, served)
        add(K.DKIM, f"{selector}._domainkey", rtype, values)
        notes += [note] if note is not None else []
    elif template is not None:
        notes.append(Problem("dns-note-dkim-selector-unknown", warning=True))
    if alias := dmarc_alias(served):  # no TXT can stand beside a CNAME: DMARC is published where it leads
        add(K.DMARC, "_dmarc", "CNAME", [alias])
        notes.append(
            Problem(
                "dns-note-dmarc-aliased",
                {"name": f"_dmarc.{to_unicode(spec.name)}", "target": unicode_names(alias.rstrip("."))},
                True,
            )
        )
    else:
        add(K.DMARC, "_dmarc", "TXT", [_dmarc_value(spec, served)])
    if spec.tracking_host and spec.tracking_target:
        owner = relative_owner(spec.tracking_host, spec.name)
        add(K.TRACKING, owner, *_tracking_record(spec.tracking_target))
    return DnsPlan(spec.name, tuple(expectations), include, spec.dmarc_policy, tuple(notes))


def dmarc_alias(served: Sequence[ZoneRecord]) -> str:
    """Where `_dmarc` leads when it is an alias (a CNAME to a DMARC service's or another domain's record), "" when
    it is not. DNS hosts refuse any other record beside a CNAME, so the plan keeps the alias and writes no TXT
    there; DMARC is changed where the alias leads (`engine.domains.dmarc` names it)."""
    return alias_at(served, "_dmarc")


def alias_at(served: Sequence[ZoneRecord], owner: str) -> str:
    """The target of the CNAME served at `owner` ("" when there is none): a name that is an alias holds no other
    record, so the plan keeps the alias there (`_dmarc`, a DKIM selector) instead of writing a TXT beside it."""
    return next((r.value for r in served if r.owner.lower() == owner and r.rtype == "CNAME"), "")


def _dkim(spec: DomainSpec, selector: str, served: Sequence[ZoneRecord]) -> tuple[str, list[str], Problem | None]:
    """The DKIM record the plan wants at the selector (type, values) and a note: the key as a TXT; nothing to
    write while the key is unknown; the served alias kept when the selector is one (a provider that publishes its
    key behind a CNAME: Microsoft 365, Amazon SES)."""
    key = spec.dkim_public_key.strip()
    owner = f"{selector}._domainkey"
    if not key:
        return "TXT", [], Problem("dns-note-dkim-key-unknown", {"selector": selector}, True)
    if alias := alias_at(served, owner):
        shown = {"name": f"{owner}.{to_unicode(spec.name)}", "target": unicode_names(alias.rstrip("."))}
        return "CNAME", [alias], Problem("dns-note-dkim-aliased", shown, True)
    return "TXT", [normalize_key_input(key)], None


def published_dmarc_policy(served: Sequence[ZoneRecord]) -> DmarcPolicy | None:
    """The policy of the one valid DMARC record served at `_dmarc`, or None."""
    current = [r.value for r in served if r.owner == "_dmarc" and r.rtype == "TXT" and is_dmarc(r.value)]
    return parse_dmarc(current[0]).policy if len(current) == 1 and parse_dmarc(current[0]).valid else None


def _dmarc_value(spec: DomainSpec, served: Sequence[ZoneRecord]) -> str:
    current = [r.value for r in served if r.owner == "_dmarc" and r.rtype == "TXT" and is_dmarc(r.value)]
    if len(current) == 1 and parse_dmarc(current[0]).valid:
        updated = with_policy(current[0], spec.dmarc_policy)
        return updated if parse_dmarc(updated).rua else f"{updated}; rua=mailto:{spec.dmarc_rua}"
    return build_dmarc(spec.dmarc_policy, spec.dmarc_rua)


def _tracking_record(target: str) -> tuple[str, list[str]]:
    """A CNAME to a host name; A/AAAA when the tracking host is only an address (a CNAME cannot name one)."""
    try:
        address = ipaddress.ip_address(target)
    except ValueError:
        return "CNAME", [absolute_host(target)]
    return ("A" if address.version == 4 else "AAAA"), [str(address)]


def diff_plan(plan: DnsPlan, served: Sequence[ZoneRecord]) -> tuple[Change, ...]:
    """The changes that turn `served` into the plan: removals first (a CNAME cannot join other data, an
    SPF must not exist twice), then additions. Kinds with no known value (a DKIM key not yet fetched) are
    left alone. An empty result means the zone already matches the plan."""
    removes: list[Change] = []
    adds: list[Change] = []
    for expectation in plan.expectations:
        if not expectation.records:
            continue
        current = [r for r in served if in_scope(expectation, r)]
        wanted = {r.identity for r in expectation.records}
        have = {r.identity for r in current}
        removes += [Change("remove", expectation.kind, r) for r in current if r.identity not in wanted]
        adds += [Change("add", expectation.kind, r) for r in expectation.records if r.identity not in have]
    return (*removes, *adds)


def render_zone(plan: DnsPlan) -> str:
    """The plan as a BIND zone file (also the zone's backup and export). SOA and NS are the DNS host's and
    are left out; load it with `$ORIGIN` as written (dnspython: `check_origin=False`)."""
    origin = dns.name.from_text(plan.zone)
    zone = dns.zone.Zone(origin, relativize=True)
    for record in plan.records:
        rdata = to_rdata(record, origin)
        zone.find_rdataset(record.owner, rdata.rdtype, create=True).add(rdata, record.ttl)
    header = f"; {to_unicode(plan.zone)}\n" if to_unicode(plan.zone) != plan.zone else ""
    text: str = zone.to_text(sorted=True, relativize=True, want_origin=True)
    return header + text


def render_diff(plan: DnsPlan, changes: Sequence[Change]) -> str:
    """The changes as zone-file lines, `-` for a removal and `+` for an addition."""
    origin = dns.name.from_text(plan.zone)
    lines = []
    for change in changes:
        record = change.record
        mark = "+" if change.action == "add" else "-"
        lines.append(f"{mark} {record.owner} {record.ttl} IN {record.rtype} {to_rdata(record, origin).to_text()}")
    return "\n".join(lines) + ("\n" if lines else "")


@dataclass(frozen=True)
class RecordEdit:
    """One record as a person reads an apply: `add`, `change` (from `old` to `value`) or `remove`, with its
    type, full name (no final dot) and value (host names without the final dot)."""

    action: Literal["add", "change", "remove"]
    rtype: str
    name: str
    value: str
    old: str = ""


def describe_changes(zone: str, changes: Sequence[Change]) -> tuple[RecordEdit, ...]:
    """The records a set of changes writes: a removal and an addition of the same type at the same name read
    as one change (when each side has one record), everything else as it is."""
    removed: dict[tuple[str, str], list[ZoneRecord]] = {}
    added: dict[tuple[str, str], list[ZoneRecord]] = {}
    for change in changes:
        side = added if change.action == "add" else removed
        side.setdefault((change.record.owner.lower(), change.record.rtype), []).append(change.record)
    edits: list[RecordEdit] = []
    for key in dict.fromkeys([*removed, *added]):
        before, after = removed.get(key, []), added.get(key, [])
        name = absolute_name(key[0], zone)
        if len(before) == 1 and len(after) == 1:
            edits.append(RecordEdit("change", key[1], name, _shown(after[0]), _shown(before[0])))
            continue
        edits += [RecordEdit("remove", key[1], name, _shown(r)) for r in before]
        edits += [RecordEdit("add", key[1], name, _shown(r)) for r in after]
    return tuple(edits)


def _shown(record: ZoneRecord) -> str:
    if record.rtype in ("MX", "CNAME"):
        return record.value.strip().rstrip(".")
    return record.value

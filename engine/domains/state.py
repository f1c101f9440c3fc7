"""A domain's blacklist and DNS state, derived from its latest stored checks. Pure functions over plain values.

"Listed", "clean" and "could not check" are different states and stay different in every view: a list that
timed out, refused a public resolver or failed says nothing about the domain, so a domain whose lists all
failed is `unknown` (since when, and why), never `clean`; one whose lists partly failed is `partial`. The
same holds for DNS: a record whose lookup timed out or failed is not "ok" and not "missing" either.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from models.enums import DnsRecordKind, DnsVerdict, ListingResult, MailProvider

INCONCLUSIVE: Final = (DnsVerdict.TIMEOUT, DnsVerdict.SERVFAIL)
"""Verdicts that say nothing about the record: the lookup did not get an answer."""


class Health(StrEnum):
    """The state of one aspect (blacklists, DNS) of a domain."""

    BAD = "bad"  # listed somewhere / some record fails
    OK = "ok"  # every list answered "not listed" / every record is right
    PARTIAL = "partial"  # nothing bad among the answers, but some lists or records could not be checked
    UNKNOWN = "unknown"  # never checked, or nothing could be checked


@dataclass(frozen=True)
class ZoneListing:
    """A target's latest answer from one list; `since` starts the current run of that answer."""

    zone: str
    result: ListingResult
    meanings: tuple[str, ...]
    checked_at: dt.datetime
    since: dt.datetime | None = None


@dataclass(frozen=True)
class BlacklistState:
    """`zones`: the lists that list the target (BAD) or could not be checked (PARTIAL, UNKNOWN).
    `since`: listed since (BAD) or unchecked since (UNKNOWN); `checked_at`: the latest check;
    `reasons`: why lists could not be checked (`dnsbl-error-*` keys)."""

    health: Health
    zones: tuple[str, ...] = ()
    since: dt.datetime | None = None
    checked_at: dt.datetime | None = None
    reasons: tuple[str, ...] = ()
    unchecked: tuple[str, ...] = ()  # lists that could not be checked, also when the state is BAD

    @property
    def never_checked(self) -> bool:
        return self.checked_at is None


def blacklist_state(latest: Sequence[ZoneListing]) -> BlacklistState:
    """The state of a target from its latest answer per list. Lists that the latest check did not ask (taken
    out of the configuration since) no longer count."""
    if not latest:
        return BlacklistState(Health.UNKNOWN)
    checked_at = max(row.checked_at for row in latest)
    latest = [row for row in latest if row.checked_at == checked_at]
    listed = [row for row in latest if row.result == ListingResult.LISTED]
    failed = [row for row in latest if row.result == ListingResult.ERROR]
    reasons = tuple(dict.fromkeys(m for row in failed for m in row.meanings))
    unchecked = tuple(row.zone for row in failed)
    if listed:
        since = min(row.since or row.checked_at for row in listed)
        zones = tuple(row.zone for row in listed)
        return BlacklistState(Health.BAD, zones, since, checked_at, reasons, unchecked)
    if not failed:
        return BlacklistState(Health.OK, (), None, checked_at)
    if len(failed) < len(latest):
        return BlacklistState(Health.PARTIAL, unchecked, None, checked_at, reasons, unchecked)
    # nothing answered: unknown since the last list stopped answering
    since = max(row.since or row.checked_at for row in failed)
    return BlacklistState(Health.UNKNOWN, unchecked, since, checked_at, reasons, unchecked)


@dataclass(frozen=True)
class DnsRow:
    record: DnsRecordKind
    verdict: DnsVerdict
    checked_at: dt.datetime
    warned: bool = False  # passes, with a warning (advice, or a part that could not be read)


@dataclass(frozen=True)
class DnsState:
    """`records`: the failing records (BAD) or those that could not be checked (PARTIAL, UNKNOWN);
    `since`: unchecked since (UNKNOWN); `reasons`: the verdicts of the records that could not be checked;
    `warned`: the records that pass with a warning (OK with warnings is shown as a warning, never as clean)."""

    health: Health
    records: tuple[DnsRecordKind, ...] = ()
    since: dt.datetime | None = None
    checked_at: dt.datetime | None = None
    reasons: tuple[DnsVerdict, ...] = ()
    warned: tuple[DnsRecordKind, ...] = ()

    @property
    def never_checked(self) -> bool:
        return self.checked_at is None


AUTH_RECORDS: tuple[DnsRecordKind, ...] = (DnsRecordKind.MX, DnsRecordKind.SPF, DnsRecordKind.DKIM)
"""What a plan leaves out while a domain's mail provider is not known: they depend on the provider."""


def unplanned_records(provider: MailProvider | None) -> tuple[DnsRecordKind, ...]:
    """Records a check cannot judge yet for a domain with this provider (all of MX, SPF, DKIM without one)."""
    return AUTH_RECORDS if provider is None else ()


def dns_state(
    latest: Sequence[DnsRow],
    unknown_since: dt.datetime | None = None,
    *,
    unplanned: tuple[DnsRecordKind, ...] = (),
) -> DnsState:
    """The state of a domain's DNS from its latest check; `unknown_since` is when DNS stopped answering.
    `unplanned` records were not checked at all (no provider yet): their domain is never OK, at best PARTIAL."""
    if not latest:
        return DnsState(Health.UNKNOWN)
    checked_at = max(row.checked_at for row in latest)
    failing = tuple(r.record for r in latest if r.verdict != DnsVerdict.OK and r.verdict not in INCONCLUSIVE)
    blind = [r for r in latest if r.verdict in INCONCLUSIVE]
    reasons = tuple(dict.fromkeys(r.verdict for r in blind))
    warned = tuple(r.record for r in latest if r.verdict == DnsVerdict.OK and r.warned)
    if failing:
        return DnsState(Health.BAD, failing, None, checked_at, reasons, warned)
    if not blind and not unplanned:
        return DnsState(Health.OK, (), None, checked_at, warned=warned)
    records = tuple(r.record for r in blind) + unplanned
    if len(blind) < len(latest):
        return DnsState(Health.PARTIAL, records, None, checked_at, reasons, warned)
    return DnsState(Health.UNKNOWN, records, unknown_since or checked_at, checked_at, reasons, warned)

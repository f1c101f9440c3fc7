"""What every part of the domain services shares: the DNS configuration, finding a domain the actor may see,
the scope of a batch service, a domain's plan inputs, and the latest stored checks."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlsplit

from tortoise.functions import Max

from engine.access import Actor, require_manager
from engine.dns.check import ResolverConfig
from engine.dns.dnsbl import DnsblZone, Family, TargetKind, default_zones, dqs_query_zone
from engine.dns.names import to_ascii, typed_domain
from engine.dns.templates import DomainSpec
from engine.domains.state import INCONCLUSIVE, DnsRow, ZoneListing
from engine.errors import NotFound, UserError
from engine.settings import DnsblZoneSetting, Settings
from models import BlacklistCheck, DnsCheck, Domain, Workspace
from models.enums import DnsRecordKind, DomainStatus, ListingResult

DEFAULT_DMARC_CLEAN_DAYS: Final = 14
TRACKING_LABEL: Final = "t"  # links and the open pixel go through t.<domain>, a CNAME to the tracking host
AUTH_KINDS: Final = (DnsRecordKind.SPF, DnsRecordKind.DKIM, DnsRecordKind.DMARC)


@dataclass(frozen=True)
class DnsConfig:
    """How domain services reach DNS, and the policy numbers a workspace may override in its settings
    (`dmarc_clean_days`, `dmarc_rua`)."""

    resolver: ResolverConfig
    tracking_target: str = ""  # the platform's tracking host, the target of every domain's tracking CNAME
    dnsbl_zones: tuple[DnsblZone, ...] = field(default_factory=default_zones)
    dmarc_clean_days: int = DEFAULT_DMARC_CLEAN_DAYS
    expiry_alert_days: tuple[int, ...] = (30, 7)
    approval_ttl: dt.timedelta = dt.timedelta(days=7)
    concurrency: int = 8  # domains checked (or looked up) at once

    dnsbl_resolver: ResolverConfig | None = None  # where blocklists are asked; None: `resolver`

    @property
    def blacklist_resolver(self) -> ResolverConfig:
        return self.dnsbl_resolver or self.resolver

    @classmethod
    def from_settings(cls, settings: Settings, *, dqs_key: str | None = None) -> DnsConfig:
        """The configuration the settings describe; the DQS key is read from them unless given."""
        if dqs_key is None and settings.dnsbl_dqs_key is not None:
            dqs_key = settings.dnsbl_dqs_key.get_secret_value() or None
        resolver = ResolverConfig(tuple(settings.dns_resolvers), settings.dns_port, settings.dns_timeout_s)
        dnsbl_resolver = ResolverConfig(
            tuple(settings.dnsbl_resolvers or settings.dns_resolvers),
            settings.dnsbl_port or settings.dns_port,
            settings.dnsbl_timeout_s or settings.dns_timeout_s,
        )
        host = urlsplit(settings.tracking_base_url).hostname or ""
        tracking = "" if _is_loopback(host) else host  # a development URL is nothing to point DNS at
        return cls(
            resolver,
            tracking_target=tracking,
            dnsbl_zones=configured_zones(settings.dnsbl_zones, dqs_key),
            dnsbl_resolver=dnsbl_resolver,
        )


def configured_zones(zones: Sequence[DnsblZoneSetting] | None, dqs_key: str | None) -> tuple[DnsblZone, ...]:
    """The blocklists of `DNSBL_ZONES` (the default lists when unset); the public Spamhaus zones go through
    DQS when there is a key and the entry names no query zone of its own."""
    if zones is None:
        return default_zones(dqs_key)
    result = []
    for zone in zones:
        name = zone.name.lower().rstrip(".")
        query_zone = zone.query_zone.lower().rstrip(".") or dqs_query_zone(name, dqs_key)
        test_point = zone.test_point.strip().lower().rstrip(".")
        result.append(DnsblZone(name, TargetKind(zone.kind), Family(zone.family), query_zone, test_point))
    return tuple(result)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


async def get_domain(actor: Actor, name: str, *, manage: bool = False) -> Domain:
    """The domain `name` (Unicode or ASCII) if the actor may see it; managing also needs the manager role.
    A domain of another workspace is "not found", never "forbidden": its existence is not the actor's.
    What `/domain_add` took for a domain finds it here too: a site's address pasted whole, or `www.<domain>`."""
    try:
        asked: str | None = to_ascii(name)
    except UserError:
        asked = None
    domain = await Domain.get_or_none(name=asked) if asked else None
    if domain is None and (meant := typed_domain(name)) != asked:  # raises error-domain-invalid for neither
        domain = await Domain.get_or_none(name=meant)
    if domain is None or not actor.can_read(domain.workspace_id):
        raise NotFound("error-domain-not-found", name=name)
    if manage:
        require_manager(actor, domain.workspace_id)
    return domain


async def get_domain_by_id(actor: Actor, domain_id: int, *, manage: bool = False) -> Domain:
    """`get_domain` for the id a button carries (`error-domain-gone` when it no longer exists for the actor)."""
    domain = await Domain.get_or_none(id=domain_id)
    if domain is None or not actor.can_read(domain.workspace_id):
        raise NotFound("error-domain-gone", id=domain_id)
    if manage:
        require_manager(actor, domain.workspace_id)
    return domain


def scope(actor: Actor, workspace_id: int | None) -> int | None:
    """The workspace a batch service covers; None (all) for an agency admin acting outside any workspace."""
    if workspace_id is None and actor.workspace_id is None and actor.is_admin:
        return None
    return require_manager(actor, workspace_id)


async def domains_in(scope_id: int | None, **filters: Any) -> list[Domain]:
    """The domains of a scope that are still in use (retired ones are left out), by id."""
    query = Domain.filter(**filters).exclude(status=DomainStatus.RETIRED).prefetch_related("workspace")
    if scope_id is not None:
        query = query.filter(workspace_id=scope_id)
    return await query.order_by("id")


def domain_spec(domain: Domain, workspace: Workspace, tracking_target: str) -> DomainSpec:
    """What a domain's DNS plan depends on."""
    settings = workspace.settings or {}
    return DomainSpec(
        name=domain.name,
        provider=domain.mail_provider,
        dmarc_rua=str(settings.get("dmarc_rua") or f"dmarc@{domain.name}"),
        dmarc_policy=domain.dmarc_policy,
        dkim_selector=domain.dkim_selector,
        dkim_public_key=domain.dkim_public_key,
        tracking_host=domain.tracking_host,
        tracking_target=tracking_target,
    )


async def latest_dns(domain_ids: Sequence[int]) -> dict[int, list[DnsCheck]]:
    """The rows of each domain's latest DNS check (a check stores all its rows with one timestamp), one per record.

    Two checks may carry the same timestamp (a person's check and the cron's in the same instant): then each
    record's row is the one written last (highest id), so a card never lists a record twice."""
    latest = dict(
        await DnsCheck.filter(domain_id__in=domain_ids)
        .annotate(last=Max("checked_at"))
        .group_by("domain_id")
        .values_list("domain_id", "last")
    )
    rows = await DnsCheck.filter(domain_id__in=list(latest), checked_at__in=list(set(latest.values()))).order_by("id")
    per_record: dict[int, dict[str, DnsCheck]] = {}
    for row in rows:
        if latest.get(row.domain_id) == row.checked_at:
            per_record.setdefault(row.domain_id, {})[row.record.value] = row  # a later row replaces, in place
    return {domain_id: list(records.values()) for domain_id, records in per_record.items()}


async def dns_rows(domain_ids: Sequence[int]) -> dict[int, tuple[list[DnsRow], dt.datetime | None]]:
    """Each domain's latest check as plain rows, and when its DNS stopped answering: the first check after
    the last one in which any record got a conclusive verdict (None when the latest check was conclusive)."""
    latest = await latest_dns(domain_ids)
    result: dict[int, tuple[list[DnsRow], dt.datetime | None]] = {}
    blind = [i for i, rows in latest.items() if all(r.verdict in INCONCLUSIVE for r in rows)]
    since: dict[int, dt.datetime] = {}
    if blind:
        sql = (
            "SELECT d.domain_id, min(d.checked_at) AS since FROM dns_check d WHERE d.domain_id = ANY($1) "
            "AND d.checked_at > COALESCE((SELECT max(c.checked_at) FROM dns_check c WHERE c.domain_id = d.domain_id "
            "AND c.verdict <> ALL($2::text[])), '-infinity') GROUP BY d.domain_id"
        )
        for row in await DnsCheck._meta.db.execute_query_dict(sql, [blind, [v.value for v in INCONCLUSIVE]]):
            since[int(row["domain_id"])] = row["since"]
    for domain_id, rows in latest.items():
        plain = [DnsRow(r.record, r.verdict, r.checked_at, warned=_warned(r.detail)) for r in rows]
        result[domain_id] = (plain, since.get(domain_id))
    return result


def _warned(detail: str) -> bool:
    """Whether a stored check's problems (`DnsCheck.detail`, JSON) hold a warning."""
    try:
        problems = json.loads(detail or "[]")
    except ValueError:
        return False
    return isinstance(problems, list) and any(isinstance(p, dict) and p.get("warning") for p in problems)


_LISTINGS_SQL: Final = """
SELECT l.target, l.zone, l.result, l.meaning, l.checked_at,
  (SELECT min(r.checked_at) FROM blacklist_check r
    WHERE r.target = l.target AND r.zone = l.zone AND r.result = l.result
      AND r.checked_at > COALESCE((
        SELECT max(b.checked_at) FROM blacklist_check b
        WHERE b.target = l.target AND b.zone = l.zone AND b.result <> l.result
          AND (l.result = 'error' OR b.result <> 'error')), '-infinity')) AS since
FROM (SELECT DISTINCT ON (target, zone) target, zone, result, meaning, checked_at FROM blacklist_check
      WHERE target = ANY($1) ORDER BY target, zone, checked_at DESC, id DESC) l
ORDER BY l.target, l.zone
"""


async def latest_listings(targets: Sequence[str]) -> dict[str, list[ZoneListing]]:
    """Each target's latest answer from each list, with the start of its current run: since when it has been
    listed (answers that failed in between do not end a listing) or since when the list has not answered."""
    if not targets:
        return {}
    rows = await BlacklistCheck._meta.db.execute_query_dict(_LISTINGS_SQL, [list(targets)])
    result: dict[str, list[ZoneListing]] = {}
    for row in rows:
        meanings = tuple(m for m in str(row["meaning"]).split(",") if m)
        listing = ZoneListing(row["zone"], ListingResult(row["result"]), meanings, row["checked_at"], row["since"])
        result.setdefault(row["target"], []).append(listing)
    return result

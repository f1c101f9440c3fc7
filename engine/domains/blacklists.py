"""Blacklist checks: ask the lists, store every answer, alert on a new listing (cool the domain and propose its
swap), resolve the alert once every list that listed it says "not listed" (and return a cooled domain to work once
every cause cleared: `engine.domains.resume`), and say honestly when a list could
not be asked: such a domain is "not checked since …, because …", never "clean", and nothing is done about it
(the list's "check blind" alert resolves once it answers about every domain of the workspace again).
The lists and the resolver they are asked through are `DnsConfig.dnsbl_zones` / `blacklist_resolver`, from the
`DNSBL_*` settings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from engine.access import Actor
from engine.alerts import raise_alert
from engine.clock import Clock, local_time
from engine.dns.check import make_resolver
from engine.dns.dnsbl import DnsblResult, check_all
from engine.dns.names import to_unicode
from engine.domains.common import DnsConfig, domains_in, get_domain, latest_listings, scope
from engine.domains.protect import protect, resolve
from engine.domains.resume import resume_cleared
from engine.domains.state import BlacklistState, ZoneListing, blacklist_state
from engine.errors import Forbidden
from engine.stats import workspace_zone
from models import BlacklistCheck, Domain
from models.enums import ListingResult, Severity


@dataclass(frozen=True)
class BlacklistReport:
    target: str
    results: tuple[DnsblResult, ...]
    new_listings: tuple[str, ...]  # zones that list the target now and did not before
    state: BlacklistState


async def check_blacklists(actor: Actor, clock: Clock, name: str, config: DnsConfig) -> BlacklistReport:
    """Ask the domain lists about one domain; store the answers; alert on a new listing and cool the domain."""
    domain = await get_domain(actor, name, manage=True)
    results = await check_all(make_resolver(config.blacklist_resolver), [domain.name], config.dnsbl_zones)
    report = await _store_listings(domain.name, results, domain, clock, actor)
    await resume_cleared([domain], clock)
    return report


async def check_all_blacklists(
    actor: Actor, clock: Clock, config: DnsConfig, *, workspace_id: int | None = None
) -> list[BlacklistReport]:
    """The periodic blacklist check of every domain in scope (lookups bounded by `check_all`)."""
    domains = await domains_in(scope(actor, workspace_id))
    results = await check_all(make_resolver(config.blacklist_resolver), [d.name for d in domains], config.dnsbl_zones)
    by_target: dict[str, list[DnsblResult]] = {}
    for result in results:
        by_target.setdefault(result.target, []).append(result)
    reports = [await _store_listings(d.name, by_target.get(d.name, []), d, clock, actor) for d in domains]
    await _resolve_answering_lists(domains, results, clock)
    await resume_cleared(domains, clock)  # cooled domains whose causes all cleared go back to work
    return reports


async def _resolve_answering_lists(domains: Sequence[Domain], results: Sequence[DnsblResult], clock: Clock) -> None:
    """A list that answered about every domain of a workspace in this run is no longer blind there: its
    `dnsbl_blind` alert resolves (one that failed for any domain stays, counted up by `_store_listings`)."""
    workspace_of = {d.name: d.workspace_id for d in domains}
    asked: dict[int, set[str]] = {}
    blind: dict[int, set[str]] = {}
    for r in results:
        asked.setdefault(workspace_of[r.target], set()).add(r.zone)
        if r.result == ListingResult.ERROR:
            blind.setdefault(workspace_of[r.target], set()).add(r.zone)
    for workspace_id, zones in sorted(asked.items()):
        for zone in sorted(zones - blind.get(workspace_id, set())):
            await resolve("dnsbl_blind", f"dnsbl:{zone}", workspace_id=workspace_id, clock=clock)


async def check_shared_blacklists(
    actor: Actor, clock: Clock, targets: Sequence[str], config: DnsConfig
) -> list[BlacklistReport]:
    """Lists for what the agency shares between clients: its own sending IPs and the tracking host's domain.
    Agency admins only; alerts belong to no workspace."""
    if not actor.is_admin:
        raise Forbidden("error-forbidden")
    results = await check_all(make_resolver(config.blacklist_resolver), list(targets), config.dnsbl_zones)
    return [await _store_listings(t, [r for r in results if r.target == t], None, clock, actor) for t in targets]


def reason_code(meanings: Sequence[str]) -> str:
    """The short reason a list could not be checked (`timeout`, `public-resolver`, `refused`, …) for alert
    texts, which choose their wording by it."""
    return next((m.removeprefix("dnsbl-error-") for m in meanings), "unexpected")


async def _store_listings(
    target: str, results: Sequence[DnsblResult], domain: Domain | None, clock: Clock, actor: Actor
) -> BlacklistReport:
    now = clock.now()
    previous = {  # each list's latest conclusive answer (one row per list, not the target's whole history)
        str(row["zone"]): ListingResult(row["result"])
        for row in await BlacklistCheck._meta.db.execute_query_dict(
            "SELECT DISTINCT ON (zone) zone, result FROM blacklist_check WHERE target = $1 AND result <> $2 "
            "ORDER BY zone, checked_at DESC, id DESC",
            [target, ListingResult.ERROR.value],
        )
    }
    await BlacklistCheck.bulk_create(
        [
            BlacklistCheck(
                domain_id=domain.id if domain else None,
                target=target,
                zone=r.zone,
                result=r.result,
                code=r.codes[0] if r.codes else "",
                meaning=",".join(r.meanings),
                checked_at=now,
            )
            for r in results
        ]
    )
    latest: list[ZoneListing] = (await latest_listings([target])).get(target, [])
    state = blacklist_state(latest)
    workspace_id = domain.workspace_id if domain else None
    subject = f"domain:{domain.id}" if domain else f"target:{target}"
    new = [r for r in results if r.result == ListingResult.LISTED and previous.get(r.zone) != ListingResult.LISTED]
    for r in new:
        data = {
            "target": to_unicode(target),  # people read пример.рф, not its punycode
            "zone": r.zone,
            "codes": list(r.codes),
            "meanings": list(r.meanings),
            "code": ", ".join(r.codes),
            "meaning_keys": list(r.meanings),  # read in each chat's language (`engine.notify.render`)
        }
        await raise_alert(
            workspace_id=workspace_id,
            kind="blacklist_listed",
            severity=Severity.CRITICAL,
            subject=subject,
            key=r.zone,
            data=data,
            now=now,
        )
    since = {row.zone: row.since or row.checked_at for row in latest}
    blind = [r for r in results if r.result == ListingResult.ERROR]
    local = await workspace_zone(workspace_id) if blind else None  # the workspace's clock, for "since"
    for r in blind:
        # The checker is blind on this list: one alert per list and workspace (the chats that read the
        # domain's state hear why it is "not checked"), counted up on every repeat.
        data = {
            "zone": r.zone,
            "reason": reason_code(r.meanings),
            "meanings": list(r.meanings),
            "since": local_time(since.get(r.zone, now), local),
        }
        await raise_alert(
            workspace_id=workspace_id,
            kind="dnsbl_blind",
            severity=Severity.WARNING,
            subject=f"dnsbl:{r.zone}",
            key=str(workspace_id or ""),
            data=data,
            now=now,
        )
    if new and domain is not None:
        await protect(
            domain,
            clock,
            actor,
            reason=f"blacklisted: {', '.join(r.zone for r in new)}",
            cause="blacklisted",
            detail=listing_detail(new, results),
        )
    if listing_cleared(previous, results):
        await resolve("blacklist_listed", subject, workspace_id=workspace_id, clock=clock)
    return BlacklistReport(target, tuple(results), tuple(r.zone for r in new), state)


def listing_detail(new: Sequence[DnsblResult], results: Sequence[DnsblResult]) -> dict[str, Any]:
    """What a swap proposal for a listed domain says: the list and code that burned it, and apart from each
    other every list that lists it, answered "not listed", or could not be checked (and why)."""
    first = new[0]
    return {
        "zone": first.zone,
        "code": first.codes[0] if first.codes else "",
        "meanings": list(first.meanings),
        "listed": [r.zone for r in results if r.result == ListingResult.LISTED],
        "clean": [r.zone for r in results if r.result == ListingResult.CLEAN],
        "unchecked": {r.zone: reason_code(r.meanings) for r in results if r.result == ListingResult.ERROR},
    }


def listing_cleared(previous: Mapping[str, ListingResult], results: Sequence[DnsblResult]) -> bool:
    """True when a target that was listed is listed nowhere now, and every list that listed it answered "not
    listed": a list that could not be checked clears nothing."""
    was_listed = {zone for zone, result in previous.items() if result == ListingResult.LISTED}
    answers = {r.zone: r.result for r in results}
    asked = was_listed & set(answers)
    return (
        bool(asked)
        and ListingResult.LISTED not in answers.values()
        and all(answers[zone] == ListingResult.CLEAN for zone in asked)
    )

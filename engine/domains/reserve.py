"""The reserve pool: which reserve domains stand ready, the pool's state per workspace and for the agency, what
a shortfall would take, and the swap proposal that names the best ready reserve for a burned domain.

A reserve domain (`pool_role = reserve`) warms in the background like any other (the warmup planner does not
look at the pool role) and is **ready** when

- its DNS is clean: the latest check of every record it has checked is OK (a lookup that timed out or failed
  is not OK — "could not check" is never ready), and it has been checked at all;
- it is not listed: its blacklist state from the latest answers is neither listed nor unknown (no list answered
  or never checked); lists that failed while others answered clean (partial) do not hold it back;
- it has at least one graduated mailbox (`MailboxStatus.ACTIVE`);
- its own status lets it send (warming or active: not new, not cooling, burned or retired).

Pure policy (`readiness`, `best_reserve`, `shortfall`, `pool_line`) works over plain values; the loaders and
`propose_swap` read the models. Applying an approved swap is `engine.domains.swap.apply_swap`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from engine import approvals
from engine.access import Actor, require_reader
from engine.alerts import raise_alert, resolve_alerts
from engine.clock import Clock
from engine.dns.names import to_unicode
from engine.domains.common import get_domain, latest_listings
from engine.domains.state import INCONCLUSIVE, Health, blacklist_state
from engine.errors import NotFound
from engine.logging import get_logger
from engine.stats import workspace_slugs, workspace_zones
from engine.warmup.graduation import period_weeks
from engine.warmup.settings import WarmupSettings
from models import AuditLog, Campaign, Domain, Enrollment, Mailbox, Workspace
from models.alert import Approval
from models.enums import (
    ApprovalKind,
    ApprovalStatus,
    DnsVerdict,
    DomainStatus,
    EnrollmentState,
    MailboxStatus,
    MailProvider,
    PoolRole,
    Severity,
    StatScope,
)

log = get_logger(__name__)

DEFAULT_WARMUP_WEEKS: Final = WarmupSettings().weeks
"""Weeks a freshly bought domain's mailboxes warm before they graduate, where the workspace's warmup settings do
not say (`warmup_weeks`: the graduation gate counts `WarmupSettings.weeks` of the workspace, never
`Mailbox.warmup_weeks`)."""
SETUP_WEEKS: Final = 1
"""Buying a domain, publishing its DNS and creating its mailboxes before warmup can start."""
RESERVE_SHARE: Final = 0.15
"""The ready reserve a workspace should keep: this share of its active domains (at least one while it has any);
`Workspace.settings["reserve_target"]` (a number of domains) overrides it."""
PLACEMENT_DAYS: Final = 14
"""Warmup placement of a reserve domain: inbox share of its warmup mail over this many days."""
SENDING_STATUSES: Final = (DomainStatus.WARMING, DomainStatus.ACTIVE)
NEEDS_A_PERSON: Final = frozenset({"dns_bad", "listed"})
"""Why a reserve is not ready that time alone does not mend: a person must fix its records or get it delisted."""
SWAP_TTL: Final = dt.timedelta(days=7)
SWAP_WAITING: Final = (ApprovalStatus.PENDING, ApprovalStatus.APPROVED)  # decided or not, not yet applied
MANUAL_REASON: Final = "requested in chat"
"""The reason of a swap a manager asked for by hand (`request_swap`): theirs to decide, whatever the checks say."""
APPLY_GRACE: Final = dt.timedelta(minutes=10)
"""An approved swap is applied right after the decision; one still not applied this long after it failed (its
reserve could no longer take over) and no longer stands for the domain."""


class NotReady(StrEnum):
    """Why a reserve domain is not ready (the first reason is shown; all are kept)."""

    STATUS = "status"  # new, dns pending, cooling, burned or retired
    DNS_UNCHECKED = "dns_unchecked"
    DNS_BAD = "dns_bad"
    DNS_UNKNOWN = "dns_unknown"  # a record's latest lookup timed out or failed
    LISTED = "listed"
    BLACKLIST_UNKNOWN = "blacklist_unknown"  # never checked, or no list answered
    NO_GRADUATED = "no_graduated"


# ------------------------------------------------------------------------------------------------- pure policy


@dataclass(frozen=True)
class ReserveFacts:
    """What readiness depends on, for one domain."""

    status: DomainStatus
    dns: Mapping[str, DnsVerdict]  # record -> its latest verdict
    blacklist: Health
    graduated: int


def readiness(facts: ReserveFacts) -> tuple[NotReady, ...]:
    """Why the domain is not ready; empty when it is."""
    reasons: list[NotReady] = []
    if facts.status not in SENDING_STATUSES:
        reasons.append(NotReady.STATUS)
    verdicts = list(facts.dns.values())
    if not verdicts:
        reasons.append(NotReady.DNS_UNCHECKED)
    elif any(v is not DnsVerdict.OK and v not in INCONCLUSIVE for v in verdicts):
        reasons.append(NotReady.DNS_BAD)
    elif any(v in INCONCLUSIVE for v in verdicts):
        reasons.append(NotReady.DNS_UNKNOWN)
    if facts.blacklist is Health.BAD:
        reasons.append(NotReady.LISTED)
    elif facts.blacklist is Health.UNKNOWN:
        reasons.append(NotReady.BLACKLIST_UNKNOWN)
    if facts.graduated < 1:
        reasons.append(NotReady.NO_GRADUATED)
    return tuple(reasons)


@dataclass(frozen=True)
class Candidate:
    """A ready reserve domain as the choice sees it. `placement`: inbox share of its warmup mail (None: no
    sample — ranked after every measured one, never as 0 %)."""

    domain_id: int
    name: str
    graduated: int
    placement: float | None
    provider: MailProvider | None


def best_reserve(candidates: Sequence[Candidate], provider: MailProvider | None) -> Candidate | None:
    """The replacement for a burned domain: most graduated mailboxes, then best warmup placement, then the burned
    domain's mail provider (same limits, same behaviour), then the oldest (lowest id)."""
    if not candidates:
        return None

    def key(c: Candidate) -> tuple[int, int, float, int, int]:
        measured = 0 if c.placement is not None else 1
        return (-c.graduated, measured, -(c.placement or 0.0), 0 if c.provider == provider else 1, c.domain_id)

    return min(candidates, key=key)


@dataclass(frozen=True)
class PoolCounts:
    """A pool's domains by where they stand. `total`: domains in use plus those burned this month."""

    total: int = 0
    active: int = 0
    ready: int = 0
    warming: int = 0  # reserve, not ready yet
    cooling: int = 0
    burned_month: int = 0
    other: int = 0  # new or waiting for DNS, in the active pool

    def __add__(self, other: PoolCounts) -> PoolCounts:
        return PoolCounts(*(a + b for a, b in zip(self.astuple(), other.astuple(), strict=True)))

    def astuple(self) -> tuple[int, ...]:
        return (self.total, self.active, self.ready, self.warming, self.cooling, self.burned_month, self.other)


@dataclass(frozen=True)
class Shortfall:
    """What it would take to have `target` ready reserve domains: `buy` new ones (ready in `buy_weeks`), and the
    `warming` reserves already on their way (the first ready in `warming_weeks`)."""

    target: int
    missing: int  # ready reserves short of the target
    buy: int
    buy_weeks: int
    warming: int
    warming_weeks: int | None

    @property
    def short(self) -> bool:
        return self.missing > 0


def reserve_target(active: int, override: Any = None, *, cooling: int = 0) -> int:
    """How many ready reserve domains a pool of `active` domains should keep, `cooling` more of it cooled by
    protection: each of those may need a reserve now, so they count in the share and the target is never below
    their number (a pool whose every domain was cooled was told "the reserve is enough: 0 ready of 0 wanted")."""
    if isinstance(override, int) and not isinstance(override, bool) and 0 <= override <= 1000:
        return override
    in_use = active + cooling
    return max(1, math.ceil(in_use * RESERVE_SHARE), cooling) if in_use else 0


def shortfall(
    counts: PoolCounts, *, target: int, warming_weeks: Sequence[int], warmup_weeks: int = DEFAULT_WARMUP_WEEKS
) -> Shortfall:
    """What it takes to reach `target` ready reserves: the warming ones count toward it (they will be ready in
    their remaining weeks); the rest must be bought and warmed from scratch."""
    missing = max(0, target - counts.ready)
    on_the_way = min(missing, len(warming_weeks))
    buy = missing - on_the_way
    soonest = min(warming_weeks) if warming_weeks else None
    return Shortfall(target, missing, buy, SETUP_WEEKS + warmup_weeks, len(warming_weeks), soonest)


def combined(shortfalls: Sequence[Shortfall]) -> Shortfall:
    """The agency's shortfall: the sum of its workspaces' (a ready reserve of one workspace never stands in for
    another's domain), bought domains ready when the slowest workspace's are, the first warming one when the
    soonest is."""
    if not shortfalls:
        return shortfall(PoolCounts(), target=0, warming_weeks=[])
    soonest = [s.warming_weeks for s in shortfalls if s.warming_weeks is not None]
    return Shortfall(
        target=sum(s.target for s in shortfalls),
        missing=sum(s.missing for s in shortfalls),
        buy=sum(s.buy for s in shortfalls),
        buy_weeks=max((s.buy_weeks for s in shortfalls if s.buy), default=shortfalls[0].buy_weeks),
        warming=sum(s.warming for s in shortfalls),
        warming_weeks=min(soonest) if soonest else None,
    )


def weeks_left(started_on: dt.date | None, weeks: int, today: dt.date) -> int:
    """Whole weeks until a mailbox that started warming on `started_on` may graduate (not started: all of them)."""
    if started_on is None:
        return weeks
    days = (started_on + dt.timedelta(weeks=weeks) - today).days
    return max(0, math.ceil(days / 7))


def pool_params(counts: PoolCounts) -> dict[str, int]:
    """The numbers a pool line shows ("of 60 domains: 41 active, 9 ready in reserve, …")."""
    return {
        "total": counts.total,
        "active": counts.active,
        "ready": counts.ready,
        "warming": counts.warming,
        "cooling": counts.cooling,
        "burned": counts.burned_month,
    }


# ------------------------------------------------------------------------------------------------- loading


@dataclass(frozen=True)
class ReserveDomain:
    id: int
    workspace_id: int
    name: str
    provider: MailProvider | None
    graduated: int
    placement: float | None
    not_ready: tuple[NotReady, ...]
    weeks_left: int

    @property
    def ready(self) -> bool:
        return not self.not_ready

    @property
    def on_the_way(self) -> bool:
        """Not ready only for want of time (mailboxes still warming, DNS not checked yet): it will be ready by
        itself. A listed domain or wrong DNS records need a person first."""
        return not self.ready and not set(self.not_ready) & NEEDS_A_PERSON


@dataclass(frozen=True)
class PoolState:
    workspace_id: int | None  # None: the agency
    counts: PoolCounts
    shortfall: Shortfall
    reserves: tuple[ReserveDomain, ...] = ()
    per_workspace: Mapping[int, PoolCounts] = field(default_factory=dict)
    slugs: Mapping[int, str] = field(default_factory=dict)
    offered: Mapping[int, str] = field(default_factory=dict)  # reserve id -> the swap request that names it


_DNS_LATEST = """
SELECT DISTINCT ON (domain_id, record) domain_id, record, verdict FROM dns_check
WHERE domain_id = ANY($1::int[]) ORDER BY domain_id, record, checked_at DESC, id DESC
"""

_GRADUATED = """
SELECT domain_id, count(*) FILTER (WHERE status = 'active') AS graduated,
    min(CASE WHEN status IN ('new', 'warming') THEN warmup_started_on END) AS started,
    bool_or(status IN ('new', 'warming') AND warmup_started_on IS NULL) AS unstarted
FROM mailbox WHERE domain_id = ANY($1::int[]) AND status <> 'retired' GROUP BY domain_id
"""

_PLACEMENT = """
SELECT scope_id, sum(warmup_inbox) AS inbox, sum(warmup_spam) AS spam FROM daily_stat
WHERE scope = $1 AND scope_id = ANY($2::int[]) AND day >= $3 GROUP BY scope_id
"""


async def load_reserves(domains: Sequence[Domain], today: dt.date) -> list[ReserveDomain]:
    """Readiness and ranking facts of reserve domains (a few queries for any number of them)."""
    if not domains:
        return []
    ids = [d.id for d in domains]
    conn = Domain._meta.db
    dns: dict[int, dict[str, DnsVerdict]] = {}
    for row in await conn.execute_query_dict(_DNS_LATEST, [ids]):
        dns.setdefault(int(row["domain_id"]), {})[str(row["record"])] = DnsVerdict(row["verdict"])
    boxes = {int(r["domain_id"]): r for r in await conn.execute_query_dict(_GRADUATED, [ids])}
    placement: dict[int, float | None] = {}
    since = today - dt.timedelta(days=PLACEMENT_DAYS)
    for row in await conn.execute_query_dict(_PLACEMENT, [StatScope.DOMAIN.value, ids, since]):
        inbox, spam = int(row["inbox"] or 0), int(row["spam"] or 0)
        placement[int(row["scope_id"])] = inbox / (inbox + spam) if inbox + spam else None
    listings = await latest_listings([d.name for d in domains])
    periods = await period_weeks({d.workspace_id for d in domains})
    found = []
    for d in domains:
        b = boxes.get(d.id)
        graduated = int(b["graduated"]) if b else 0
        facts = ReserveFacts(d.status, dns.get(d.id, {}), blacklist_state(listings.get(d.name, [])).health, graduated)
        weeks = periods.get(d.workspace_id, DEFAULT_WARMUP_WEEKS)
        if b is None or (b["started"] is None and not b["unstarted"]):
            left = 0 if graduated else SETUP_WEEKS + weeks  # no mailbox warming: it needs mailboxes first
        elif b["unstarted"] and b["started"] is None:
            left = weeks
        else:
            left = weeks_left(b["started"], weeks, today)
        found.append(
            ReserveDomain(
                d.id, d.workspace_id, d.name, d.mail_provider, graduated, placement.get(d.id), readiness(facts), left
            )
        )
    return found


async def pool_state(actor: Actor, clock: Clock, *, agency: bool = False) -> PoolState:
    """The pool of the actor's workspace, or of every workspace (`agency`, admins only: the caller checks)."""
    workspace_id = None if agency and actor.is_admin else require_reader(actor)
    now = clock.now()
    query = Domain.all() if workspace_id is None else Domain.filter(workspace_id=workspace_id)
    domains = await query.order_by("id")
    burned_ids = await _burned_this_month(domains, now)
    reserve = [d for d in domains if d.pool_role is PoolRole.RESERVE and d.status not in _GONE]
    loaded = {r.id: r for r in await load_reserves(reserve, now.date())}
    per: dict[int, PoolCounts] = {} if workspace_id is None else {workspace_id: PoolCounts()}
    cooled: dict[int, int] = {}  # active-pool domains cooled by protection, per workspace: in use, held back
    for d in domains:
        per[d.workspace_id] = per.get(d.workspace_id, PoolCounts()) + _count(d, loaded.get(d.id), burned_ids)
        if d.status is DomainStatus.COOLING and d.pool_role is PoolRole.ACTIVE and d.id not in burned_ids:
            cooled[d.workspace_id] = cooled.get(d.workspace_id, 0) + 1
    counts = sum(per.values(), PoolCounts())
    stored = dict(await Workspace.filter(id__in=list(per)).values_list("id", "settings"))
    shorts = []
    for ws_id, c in per.items():  # a reserve stands in only for its own workspace's domains
        settings = stored.get(ws_id) or {}
        target = reserve_target(c.active, settings.get("reserve_target"), cooling=cooled.get(ws_id, 0))
        warming = [r.weeks_left for r in loaded.values() if r.workspace_id == ws_id and r.on_the_way]
        weeks = WarmupSettings.in_effect(settings).weeks
        shorts.append(shortfall(c, target=target, warming_weeks=warming, warmup_weeks=weeks))
    short = combined(shorts)
    slugs = await workspace_slugs(per)
    offered = await offered_reserves(workspace_id, "", now)
    return PoolState(workspace_id, counts, short, tuple(loaded.values()), per, slugs, offered)


async def _burned_this_month(domains: Sequence[Domain], now: dt.datetime) -> set[int]:
    """The domains burned since the 1st of the month of their workspace's clock (local midnight, not UTC's)."""
    zones = await workspace_zones({d.workspace_id for d in domains})
    starts = {ws: _month_start(now, zone) for ws, zone in zones.items()}
    if not starts:
        return set()
    rows = await AuditLog.filter(
        action="domain.transition", created_at__gte=min(starts.values()), data__contains={"to": "burned"}
    ).values_list("subject", "created_at")
    since = {d.id: starts.get(d.workspace_id) for d in domains}
    found = set()
    for subject, at in rows:
        if str(subject).startswith("domain:"):
            domain_id = int(str(subject).removeprefix("domain:"))
            start = since.get(domain_id)
            if start is not None and at >= start:
                found.add(domain_id)
    return found


def _month_start(now: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """Midnight of the 1st of `now`'s month on the clock of `zone`, as an instant."""
    local = now.astimezone(zone)
    return dt.datetime.combine(local.date().replace(day=1), dt.time(), zone).astimezone(dt.UTC)


_GONE: Final = (DomainStatus.BURNED, DomainStatus.RETIRED)
_OUT: Final = (DomainStatus.COOLING, DomainStatus.BURNED, DomainStatus.RETIRED)


def _count(d: Domain, reserve: ReserveDomain | None, burned: set[int]) -> PoolCounts:
    if d.id in burned:
        return PoolCounts(total=1, burned_month=1)
    if d.status in _GONE:
        return PoolCounts()  # retired or burned before this month: no longer part of the pool
    if d.status is DomainStatus.COOLING:
        return PoolCounts(total=1, cooling=1)
    if reserve is not None:
        return PoolCounts(total=1, ready=1) if reserve.ready else PoolCounts(total=1, warming=1)
    if d.status in SENDING_STATUSES:
        return PoolCounts(total=1, active=1)
    return PoolCounts(total=1, other=1)


# ------------------------------------------------------------------------------------------------- proposal


class Proposal(StrEnum):
    PROPOSED = "proposed"  # a new approval asks for the swap
    REUSED = "reused"  # one was already open for this domain
    RESERVE_EMPTY = "reserve_empty"  # no ready reserve: an alert says what it would take
    NOT_NEEDED = "not_needed"  # the domain is not burned or cooling (or already retired)
    SPARE = "spare"  # a reserve domain no campaign uses: cooling keeps it out of the pool, nothing to replace


@dataclass(frozen=True)
class ProposeResult:
    outcome: Proposal
    approval_id: int | None = None
    replacement_id: int | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)


_AFFECTED = """
SELECT campaign_id FROM campaign_domain WHERE domain_id = $1
UNION SELECT campaign_id FROM campaign_mailbox WHERE mailbox_id = ANY($2::int[])
UNION SELECT campaign_id FROM enrollment WHERE mailbox_id = ANY($2::int[]) AND state = 'active'
"""


async def campaigns_of(domain_id: int, box_ids: Sequence[int]) -> list[int]:
    """The campaigns a swap of the domain moves: its domain or one of its mailboxes in their group, or a lead's
    sequence sticking to one of its mailboxes."""
    rows = await Domain._meta.db.execute_query_dict(_AFFECTED, [domain_id, list(box_ids)])
    return sorted(int(r["campaign_id"]) for r in rows)


async def affected(domain: Domain) -> tuple[list[Campaign], list[int], int]:
    """The campaigns a swap of `domain` moves, its mailboxes in use, and the active sequences on them."""
    rows = await Mailbox.filter(domain_id=domain.id).exclude(status=MailboxStatus.RETIRED).values("id")
    box_ids = [int(r["id"]) for r in rows]
    ids = await campaigns_of(domain.id, box_ids)
    campaigns = await Campaign.filter(id__in=ids).order_by("id") if ids else []
    leads = await Enrollment.filter(mailbox_id__in=box_ids, state=EnrollmentState.ACTIVE).count() if box_ids else 0
    return list(campaigns), box_ids, leads


def swap_blocks(approval: Approval, now: dt.datetime) -> bool:
    """True while a swap approval still stands for its domain: pending and not expired, or approved and within
    the time its application takes (one approved and never carried out blocks nothing)."""
    if approval.status is ApprovalStatus.PENDING:
        return approval.expires_at > now
    if approval.status is ApprovalStatus.APPROVED:
        return approval.decided_at is not None and approval.decided_at > now - APPLY_GRACE
    return False


async def propose_swap(
    domain_id: int, clock: Clock, *, reason: str, detail: Mapping[str, Any], renews: int = 0
) -> ProposeResult:
    """Ask for a swap of a burned or cooling domain with the best ready reserve of its workspace: one
    DOMAIN_SWAP approval per domain (an open one is reused), announced by the approval notifications. Without a
    ready reserve, the `reserve_empty` alert says what it would take. `renews`: the request nobody decided in time
    that this one asks again (its message says so)."""
    domain = await Domain.get_or_none(id=domain_id)
    if domain is None:
        raise NotFound("error-domain-gone", id=domain_id)
    subject = f"domain:{domain.id}"
    now = clock.now()
    open_one = await Approval.filter(kind=ApprovalKind.DOMAIN_SWAP, subject=subject, status__in=SWAP_WAITING).first()
    if open_one is not None and open_one.status is ApprovalStatus.PENDING and open_one.expires_at <= now:
        # nobody decided in time: that request is over (as `approvals.decide` would find), a fresh one is asked
        await Approval.filter(id=open_one.id, status=ApprovalStatus.PENDING).update(status=ApprovalStatus.EXPIRED)
        open_one = None
    if open_one is not None and not swap_blocks(open_one, now):
        open_one = None  # approved but never carried out (its reserve stopped being usable): ask again
    if open_one is not None:
        return ProposeResult(Proposal.REUSED, open_one.id, open_one.payload.get("replacement_id"), open_one.payload)
    if domain.status not in (DomainStatus.COOLING, DomainStatus.BURNED):
        return ProposeResult(Proposal.NOT_NEEDED)
    campaigns, boxes, leads = await affected(domain)
    if domain.pool_role is PoolRole.RESERVE and not campaigns:
        return ProposeResult(Proposal.SPARE)
    reserves = (
        await Domain.filter(workspace_id=domain.workspace_id, pool_role=PoolRole.RESERVE)
        .exclude(id=domain.id)
        .exclude(status__in=_OUT)
    )
    loaded = await load_reserves(reserves, now.date())
    offered = await offered_reserves(domain.workspace_id, subject, now)
    ready = [
        Candidate(r.id, r.name, r.graduated, r.placement, r.provider) for r in loaded if r.ready and r.id not in offered
    ]
    best = best_reserve(ready, domain.mail_provider)
    if best is None:
        promised = [offered[r.id] for r in loaded if r.ready and r.id in offered]
        warming = [r.weeks_left for r in loaded if r.on_the_way]
        weeks = (await period_weeks([domain.workspace_id])).get(domain.workspace_id, DEFAULT_WARMUP_WEEKS)
        short = shortfall(PoolCounts(), target=1, warming_weeks=warming, warmup_weeks=weeks)
        data = {
            "domain": to_unicode(domain.name),
            "domain_id": domain.id,
            "reason": reason,
            "campaigns": len(campaigns),
            "buy": short.buy,
            "buy_weeks": short.buy_weeks,
            "warming": short.warming,
            "warming_weeks": short.warming_weeks if short.warming_weeks is not None else -1,
            # ready reserves another domain's request already names: free again if that request is rejected
            "offered": "some" if promised else "none",
            "offered_to": ", ".join(promised[:5]),
        }
        await raise_alert(
            workspace_id=domain.workspace_id,
            kind="reserve_empty",
            severity=Severity.CRITICAL,
            subject=subject,
            key="",
            data=data,
            now=now,
        )
        log.warning("swap: no ready reserve", domain_id=domain.id, warming=len(warming))
        return ProposeResult(Proposal.RESERVE_EMPTY, payload=data)
    payload: dict[str, Any] = {
        "domain_id": domain.id,
        "domain": to_unicode(domain.name),
        "replacement_id": best.domain_id,
        "replacement": to_unicode(best.name),
        "campaigns": len(campaigns),
        "campaign_ids": [c.id for c in campaigns][:200],
        "campaign_names": ", ".join(c.name for c in campaigns[:10]) + (" …" if len(campaigns) > 10 else ""),
        "mailboxes": len(boxes),
        "replacement_mailboxes": best.graduated,
        "leads": leads,
        "reason": reason[:200],
        "detail": {str(k): v for k, v in list(detail.items())[:20]},
        "renews": renews,
    }
    approval = await approvals.request(
        domain.workspace_id, ApprovalKind.DOMAIN_SWAP, subject, payload, clock=clock, ttl=SWAP_TTL
    )
    if approval is None:  # another worker asked at the same moment
        other = await Approval.get(kind=ApprovalKind.DOMAIN_SWAP, subject=subject, status=ApprovalStatus.PENDING)
        return ProposeResult(Proposal.REUSED, other.id, other.payload.get("replacement_id"), other.payload)
    await AuditLog.create(
        workspace_id=domain.workspace_id,
        actor_id=None,
        action="domain.swap_proposed",
        subject=subject,
        data={"approval": approval.id, "replacement": best.domain_id, "reason": reason[:200]},
        created_at=now,
    )
    # a reserve is ready after all: the "no ready reserve" alarm for this domain is over
    await resolve_alerts("reserve_empty", subject, workspace_id=domain.workspace_id, clock=clock)
    log.info("swap proposed", domain_id=domain.id, replacement_id=best.domain_id, approval_id=approval.id)
    return ProposeResult(Proposal.PROPOSED, approval.id, best.domain_id, payload)


async def offered_reserves(workspace_id: int | None, subject: str, now: dt.datetime) -> dict[int, str]:
    """The reserves the standing swap requests of other domains of the workspace (None: of every workspace) name
    (`swap_blocks`), each with the request that names it ("#12 (alpha.ru)"): one reserve takes over one domain,
    so a reserve already offered is not offered again — approving both requests would put two burned domains'
    campaigns on it — and /reserve says which request it is promised to."""
    query = Approval.filter(kind=ApprovalKind.DOMAIN_SWAP, status__in=SWAP_WAITING)
    if workspace_id is not None:
        query = query.filter(workspace_id=workspace_id)
    standing = await query.exclude(subject=subject)
    return {
        int(a.payload["replacement_id"]): f"#{a.id} ({a.payload.get('domain', '')})"
        for a in standing
        if swap_blocks(a, now) and "replacement_id" in a.payload
    }


@dataclass(frozen=True)
class Pending:
    """The first `shown` of the approvals waiting for the actor's decision (oldest first), and how many wait."""

    shown: list[Approval]
    total: int


async def pending_approvals(actor: Actor, clock: Clock, limit: int = 50) -> Pending:
    """The approvals waiting for a decision that the actor may decide: admins, all; a manager, those of every
    workspace they manage (an alert of any of them asks them, whichever workspace is their current one). At most
    `limit` of them, with the count of all: a list cut at the limit says how many it leaves out."""
    query = Approval.filter(
        status=ApprovalStatus.PENDING, expires_at__gt=clock.now(), workspace__archived_at=None
    ).order_by("id")  # a client gone (its workspace archived) has nothing left to decide
    if not actor.is_admin:
        managed = set(await approvals.managed_workspaces(actor))
        if actor.workspace_id is not None and actor.can_manage(actor.workspace_id):
            managed.add(actor.workspace_id)
        if not managed:
            require_reader(actor)  # says why: no workspace, or not theirs to decide
            return Pending([], 0)
        query = query.filter(workspace_id__in=sorted(managed))
    shown = list(await query.limit(limit))
    total = len(shown) if len(shown) < limit else await query.count()
    return Pending(shown, total)


async def request_swap(actor: Actor, name: str, clock: Clock) -> tuple[Domain, ProposeResult]:
    """A manager's own swap request for a domain of theirs (`/swap`): the same proposal as the DNSBL check's."""
    domain = await get_domain(actor, name, manage=True)
    detail = {"person": actor.person_id or 0, "via": actor.platform.value}
    return domain, await propose_swap(domain.id, clock, reason=MANUAL_REASON, detail=detail)

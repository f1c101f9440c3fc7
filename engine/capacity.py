"""Sending capacity: how many campaign emails a workspace's fleet can send today and in the coming weeks, whether a
client's volume fits, and if not what it takes (mailboxes, domains, weeks of warmup). Pure projection over plain
values (`day_capacity`, `project`, `assess`, `what_it_takes`), plus a loader (`capacity`).

The projection follows the planners' rules, day by day:

* only mailboxes on active-pool domains that are not cooling, burned or retired send campaigns; reserve domains
  (`engine.domains.reserve`) stand by and are counted apart, never in what fits;
* a warming mailbox graduates when its minimum period is over (`engine.warmup.graduation.period_over_on`; the
  projection assumes its placement passes); before that it sends only its ramp's warmup
  (`engine.warmup.ramp.base_target`, without the daily jitter);
* after graduation, campaigns get the week's step of the daily cap (`graduation.campaign_cap`), never more than
  what its own limits leave after the maintenance warmup: provider limit, daily cap, health factor × daily cap
  (monitoring's cut, mailbox × domain, assumed to last). The maintenance warmup is the warmup planner's: its share
  of the mailbox's part of its domain's cap when the domain's sending mailboxes could not all send their own
  (`engine.warmup.ramp.maintenance_base`), without the daily jitter;
* a mailbox in cooldown sends nothing until the day its cooldown ends; paused, disabled, retired, new: nothing
  (`idle_counts` says how many of each, so that such zeros are not read as a fleet still warming);
* each domain's daily cap, then the workspace's (`settings["daily_cap"]`), holds every kind of mail: warmup first.

Campaigns send only on their days (`Campaign.weekdays`): the fleet's campaign capacity counts the days on which at
least one running campaign of the workspace sends (`Fleet.campaign_days`, the union of their days); with none
running, every day of the week counts, and /capacity says so. "Will 3,000 a week fit?" for campaigns that send on
weekdays only is answered from five days, not seven.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Final

from engine.access import Actor, require_manager
from engine.clock import Clock
from engine.errors import UserError
from engine.mail.providers import PRESETS
from engine.monitoring.health import health_factors
from engine.stats import workspace_zone
from engine.warmup import graduation
from engine.warmup.ramp import RampMark, base_target, maintenance_base, mark_of, warmup_day
from engine.warmup.settings import WarmupSettings
from models import Campaign, Mailbox, Workspace
from models.enums import CampaignStatus, DomainStatus, MailboxStatus, MailProvider, PoolRole

MAILBOX_CAP_BOUNDS: Final = (30, 50)
"""Emails a mailbox a day, every kind (brief: a hard limit of 30–50 a day): what a new mailbox is planned with."""
DOMAIN_CAP_BOUNDS: Final = (100, 150)
"""Emails a domain a day over all its mailboxes (brief: ~100–150 a day)."""
MAX_EMAILS: Final = 10_000_000
MAX_WEEKS: Final = 12
WAIT_WEEKS: Final = 26
"""How far ahead the projection looks for the first window in which the volume fits without new mailboxes."""
_BLOCKED_DOMAIN: Final = frozenset({DomainStatus.COOLING, DomainStatus.BURNED, DomainStatus.RETIRED})


@dataclass(frozen=True, slots=True)
class Box:
    """One mailbox as the projection sees it. `graduated_on`: the day its campaign volume started unlocking
    (None: not graduated; it graduates when its period ends, if it is warming). `cooldown_until`: the first day
    it may send again. `sends`: False for a mailbox that sends nothing (paused, disabled, retired, not started);
    `idle` then says why (`IDLE_CAUSES`)."""

    id: int
    domain_id: int
    daily_cap: int
    provider_limit: int | None = None
    sends: bool = True
    warmup_started_on: dt.date | None = None
    graduated_on: dt.date | None = None
    health_factor: float = 1.0
    cooldown_until: dt.date | None = None
    idle: str = ""
    ramp_mark: RampMark | None = None  # where its ramp continues from after a settings change


IDLE_CAUSES: Final = ("paused", "disabled", "cooldown", "domain", "warmup_paused", "new")
"""Why a mailbox of the fleet sends nothing today: paused by a person, disabled (refused logins, monitoring),
cooling down, its domain cooling or burned, its warmup paused, its warmup never started. A fleet of such mailboxes
projected zeros week after week that read like a fleet still warming (`idle_counts`)."""


def idle_counts(fleet: Fleet, day: dt.date) -> tuple[tuple[str, int], ...]:
    """How many of the fleet's mailboxes send nothing on `day`, by cause (`IDLE_CAUSES` order, none at 0)."""
    causes = Counter(box.idle if not box.sends else "cooldown" for box in fleet.boxes if not _sends_on(box, day))
    return tuple((cause, causes[cause]) for cause in IDLE_CAUSES if causes[cause])


def first_campaign_day(fleet: Fleet, day: dt.date) -> dt.date | None:
    """The first day after `day` on which a mailbox still warming on `day` graduates (None: none warming)."""
    days = [
        graduates
        for box in fleet.boxes
        if box.sends and (graduates := _graduates_on(box, fleet.settings)) is not None and graduates > day
    ]
    return min(days, default=None)


@dataclass(frozen=True, slots=True)
class Fleet:
    """A workspace's fleet: its mailboxes, its domains' daily caps (id → cap), the warmup settings, the
    workspace's own daily cap (None: none)."""

    boxes: tuple[Box, ...]
    domain_caps: dict[int, int]
    settings: WarmupSettings
    workspace_cap: int | None = None
    campaign_days: frozenset[int] | None = None
    """The weekdays (Monday 0 … Sunday 6) on which a running campaign sends; None: every day (none running)."""

    def sends_campaigns_on(self, day: dt.date) -> bool:
        return self.campaign_days is None or day.weekday() in self.campaign_days

    @property
    def days_a_week(self) -> int:
        return 7 if self.campaign_days is None else max(1, len(self.campaign_days))


@dataclass(frozen=True, slots=True)
class Day:
    """One day: campaign emails the fleet may send, warmup emails it sends, and mailboxes sending campaigns."""

    day: dt.date
    campaign: int
    warmup: int
    senders: int


def _graduates_on(box: Box, settings: WarmupSettings) -> dt.date | None:
    if box.graduated_on is not None:
        return box.graduated_on
    if box.warmup_started_on is None:
        return None
    return graduation.period_over_on(settings, started_on=box.warmup_started_on)


def _own(box: Box) -> int:
    """What the mailbox may send in total a day: daily cap, provider limit, health factor × daily cap."""
    limits = [box.daily_cap, math.floor(max(0.0, min(1.0, box.health_factor)) * box.daily_cap)]
    if box.provider_limit is not None:
        limits.append(box.provider_limit)
    return max(0, min(limits))


def _sends_on(box: Box, day: dt.date) -> bool:
    return box.sends and not (box.cooldown_until is not None and day < box.cooldown_until)


def box_day(box: Box, settings: WarmupSettings, day: dt.date, *, maintenance_cap: int | None = None) -> tuple[int, int]:
    """(campaign, warmup) emails of one mailbox on `day`, before the domain's and the workspace's caps;
    `maintenance_cap` is what its maintenance share is taken of (`maintenance_base`; None: its daily cap)."""
    if not _sends_on(box, day):
        return 0, 0
    graduates = _graduates_on(box, settings)
    if graduates is None:
        return 0, 0
    own = _own(box)
    if day < graduates:
        if box.warmup_started_on is None:  # graduated later than `day`, with no warmup start known
            return 0, 0
        number = warmup_day(started_on=box.warmup_started_on, day=day, weekdays_only=settings.weekdays_only)
        weekend = settings.weekdays_only and day.weekday() >= 5
        warm = 0 if weekend else base_target(settings, day_number=number, mark=box.ramp_mark)
        return 0, min(own, warm)
    base = box.daily_cap if maintenance_cap is None else maintenance_cap
    upkeep = 0 if own <= 0 or base <= 0 else max(1, round(settings.maintenance_share * base))
    warm = 0 if settings.weekdays_only and day.weekday() >= 5 else min(own, upkeep)
    share = graduation.campaign_cap(settings, daily_cap=box.daily_cap, days_since_graduation=(day - graduates).days)
    return max(0, min(share, own - warm)), warm


def day_capacity(fleet: Fleet, day: dt.date) -> Day:
    """Campaign emails `fleet` may send on `day`: each mailbox's, within its domain's cap, within the workspace's."""
    per_domain: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])  # campaign, warmup, senders
    sharing = Counter(box.domain_id for box in fleet.boxes if _sends_on(box, day))  # who shares each domain's cap
    for box in fleet.boxes:
        cap = fleet.domain_caps.get(box.domain_id)
        base = box.daily_cap if cap is None else maintenance_base(box.daily_cap, cap, sharing[box.domain_id])
        campaign, warm = box_day(box, fleet.settings, day, maintenance_cap=base)
        acc = per_domain[box.domain_id]
        acc[0] += campaign
        acc[1] += warm
        acc[2] += campaign > 0
    campaign_total = warm_total = senders = 0
    for domain_id, (campaign, warm, count) in per_domain.items():
        cap = fleet.domain_caps.get(domain_id)
        campaign_total += campaign if cap is None else max(0, min(campaign, cap - warm))
        warm_total += warm
        senders += count
    if fleet.workspace_cap is not None:
        campaign_total = max(0, min(campaign_total, fleet.workspace_cap - warm_total))
    if not fleet.sends_campaigns_on(day):  # no running campaign sends on this weekday: its warmup goes on
        campaign_total = senders = 0
    return Day(day, campaign_total, warm_total, senders)


@dataclass(frozen=True, slots=True)
class Week:
    start: dt.date
    end: dt.date  # inclusive
    campaign: int
    lowest_day: int
    highest_day: int


def project(fleet: Fleet, start: dt.date, weeks: int) -> tuple[Week, ...]:
    """`weeks` weeks of 7 days from `start` (inclusive), each with its campaign capacity; a day's lowest and
    highest are of the days campaigns send (`Fleet.campaign_days`: a weekend no campaign sends on is no 0 a day)."""
    found = []
    for week in range(weeks):
        days = [day_capacity(fleet, start + dt.timedelta(days=7 * week + n)) for n in range(7)]
        sending = [d.campaign for d in days if fleet.sends_campaigns_on(d.day)] or [0]
        found.append(
            Week(
                start=days[0].day,
                end=days[-1].day,
                campaign=sum(d.campaign for d in days),
                lowest_day=min(sending),
                highest_day=max(sending),
            )
        )
    return tuple(found)


@dataclass(frozen=True, slots=True)
class Addition:
    """What it takes to send the shortfall: mailboxes on domains, planned at the given caps, and the weeks until
    they carry their full campaign share (warmup, then the unlock steps after graduation)."""

    shortfall: int
    per_day: int  # campaign emails a day missing (the shortfall spread over the window)
    mailboxes: int
    domains: int
    mailbox_cap: int
    domain_cap: int
    per_mailbox: int  # campaign emails a day one new mailbox sends at its full share
    warmup_weeks: int
    full_weeks: int
    full_on: dt.date
    workspace_cap_binds: bool  # the workspace's own cap, not the fleet, is the limit: raise it too


def _clamp(value: int, bounds: tuple[int, int]) -> int:
    return max(bounds[0], min(bounds[1], value))


def what_it_takes(
    fleet: Fleet, *, shortfall: int, window_days: int, start: dt.date, mailbox_cap: int | None = None
) -> Addition:
    """Mailboxes and domains to add so that `shortfall` more campaign emails fit in `window_days` days, once they
    are warm. New mailboxes are planned at the fleet's usual daily cap (the median), kept within the brief's
    30–50 a day, on domains at the fleet's usual domain cap within 100–150 a day; they start warming on `start`."""
    settings = fleet.settings
    caps = sorted(b.daily_cap for b in fleet.boxes) or [MAILBOX_CAP_BOUNDS[1]]
    box_cap = _clamp(mailbox_cap if mailbox_cap is not None else caps[len(caps) // 2], MAILBOX_CAP_BOUNDS)
    domain_caps = sorted(fleet.domain_caps.values()) or [DOMAIN_CAP_BOUNDS[0]]
    domain_cap = _clamp(domain_caps[len(domain_caps) // 2], DOMAIN_CAP_BOUNDS)
    full = 7 * (len(graduation.CAMPAIGN_STEPS) - 1)  # days after graduation until the last step
    per_mailbox = graduation.campaign_cap(settings, daily_cap=box_cap, days_since_graduation=full)
    per_day = -(-max(0, shortfall) // max(1, window_days))
    mailboxes = -(-per_day // max(1, per_mailbox)) if per_day else 0
    per_domain = max(1, domain_cap // box_cap)  # every kind of mail of its mailboxes stays within the domain cap
    domains = -(-mailboxes // per_domain)
    full_weeks = settings.weeks + len(graduation.CAMPAIGN_STEPS) - 1
    days = [day_capacity(fleet, start + dt.timedelta(days=n)) for n in range(min(7, window_days))]
    cap = fleet.workspace_cap
    binds = cap is not None and any(d.campaign >= cap - d.warmup for d in days)
    return Addition(
        shortfall=max(0, shortfall),
        per_day=per_day,
        mailboxes=mailboxes,
        domains=domains,
        mailbox_cap=box_cap,
        domain_cap=domain_cap,
        per_mailbox=per_mailbox,
        warmup_weeks=settings.weeks,
        full_weeks=full_weeks,
        full_on=start + dt.timedelta(days=7 * full_weeks),
        workspace_cap_binds=binds,
    )


@dataclass(frozen=True, slots=True)
class Assessment:
    """Whether `emails` fit in the `weeks` weeks from `start`: the capacity there, and if not, the first later
    window of as many weeks in which they fit as the fleet warms (None: not within `WAIT_WEEKS`), and what it
    takes to fit them in time."""

    emails: int
    weeks: int
    start: dt.date
    available: int
    fits: bool
    fits_from: dt.date | None
    addition: Addition | None


def settles_on(fleet: Fleet) -> dt.date:
    """From this day on every day of the fleet repeats week by week: every mailbox is past its last unlock step
    and its cooldown (a fleet that does not change stays as it is)."""
    unlock = dt.timedelta(days=7 * (len(graduation.CAMPAIGN_STEPS) - 1))
    days = [dt.date.min]
    for box in fleet.boxes:
        graduates = _graduates_on(box, fleet.settings)
        if box.sends and graduates is not None:
            days.append(graduates + unlock if graduates < dt.date.max - unlock else dt.date.max)
        if box.sends and box.cooldown_until is not None:
            days.append(box.cooldown_until)
    return max(days)


def weekly(fleet: Fleet, start: dt.date, weeks: int) -> list[int]:
    """Campaign capacity of each of `weeks` weeks from `start`; weeks after the fleet settles are not recomputed."""
    settled = settles_on(fleet)
    sums: list[int] = []
    for week in range(weeks):
        first = start + dt.timedelta(days=7 * week)
        if sums and first - dt.timedelta(days=7) >= settled:  # the week before was settled: this one repeats it
            sums.append(sums[-1])
            continue
        sums.append(sum(day_capacity(fleet, first + dt.timedelta(days=n)).campaign for n in range(7)))
    return sums


def assess(fleet: Fleet, *, emails: int, weeks: int, start: dt.date) -> Assessment:
    """Do `emails` campaign emails fit in `weeks` weeks from `start`?"""
    available = sum(weekly(fleet, start, weeks))
    if available >= emails:
        return Assessment(emails, weeks, start, available, True, None, None)
    ahead = weekly(fleet, start, weeks + WAIT_WEEKS)
    later = next(
        (start + dt.timedelta(days=7 * k) for k in range(1, WAIT_WEEKS + 1) if sum(ahead[k : k + weeks]) >= emails),
        None,
    )
    # the shortfall is spread over the days campaigns send, not over weekends none of them sends on
    window = fleet.days_a_week * weeks
    addition = what_it_takes(fleet, shortfall=emails - available, window_days=window, start=start)
    return Assessment(emails, weeks, start, available, False, later, addition)


# --------------------------------------------------------------------------------------------------- loader


@dataclass(frozen=True, slots=True)
class Capacity:
    """A workspace's capacity today and week by week from tomorrow; the reserve's apart (not counted)."""

    today: Day
    weeks: tuple[Week, ...]
    reserve_per_day: int  # campaign emails a day the ready reserve would add once put into service
    mailboxes: int
    senders_today: int
    assessment: Assessment | None
    campaign_days: frozenset[int] | None = None  # the days counted (`Fleet.campaign_days`); None: every day
    reserve_warm: bool = False  # the reserve could send `reserve_per_day` today: nothing left to warm or unlock
    idle: tuple[tuple[str, int], ...] = ()  # the fleet's mailboxes sending nothing today, by cause (`idle_counts`)
    campaigns_from: dt.date | None = None  # the first graduation ahead (`first_campaign_day`): zeros of warming


def _box(row: dict[str, object], zone: dt.tzinfo, factors: dict[int, float]) -> Box:
    status = MailboxStatus(str(row["status"]))
    idle = _IDLE_STATUS.get(status, "")
    if not idle and DomainStatus(str(row["domain__status"])) in _BLOCKED_DOMAIN:
        idle = "domain"
    if not idle and status is MailboxStatus.WARMING and row["warmup_paused_at"] is not None:
        idle = "warmup_paused"  # a paused warmup does not graduate
    sends = not idle
    graduated = row["graduated_at"]
    graduated_on = graduated.astimezone(zone).date() if isinstance(graduated, dt.datetime) else None
    if status in {MailboxStatus.ACTIVE, MailboxStatus.COOLDOWN} and graduated_on is None:
        graduated_on = dt.date.min  # active without a graduation stamp: unlocked long ago (imported warm)
    if status is MailboxStatus.WARMING:
        graduated_on = None
    cooldown = row["cooldown_until"]
    box_id = int(str(row["id"]))
    return Box(
        id=box_id,
        domain_id=int(str(row["domain_id"])),
        daily_cap=int(str(row["daily_cap"])),
        provider_limit=PRESETS[MailProvider(str(row["provider"]))].provider_daily_limit,
        sends=sends,
        idle=idle,
        warmup_started_on=row["warmup_started_on"] if isinstance(row["warmup_started_on"], dt.date) else None,
        graduated_on=graduated_on,
        health_factor=factors.get(box_id, 1.0),
        ramp_mark=_mark(row),
        cooldown_until=(cooldown.astimezone(zone).date() + dt.timedelta(days=1))
        if isinstance(cooldown, dt.datetime)
        else None,
    )


def _mark(row: dict[str, object]) -> RampMark | None:
    day, level = row.get("warmup_ramp_day"), row.get("warmup_ramp_level")
    return mark_of(day, level) if isinstance(day, int) and isinstance(level, int) else None


_IDLE_STATUS: Final = {
    MailboxStatus.PAUSED: "paused",
    MailboxStatus.DISABLED: "disabled",
    MailboxStatus.NEW: "new",
    MailboxStatus.RETIRED: "retired",  # not loaded: left out of the fleet
}


def _parse_cap(raw: object) -> int | None:
    return raw if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0 else None


async def load_fleet(workspace_id: int) -> tuple[Fleet, Fleet]:
    """The workspace's sending fleet and its reserve (dates in the workspace's zone)."""
    space = await Workspace.get(id=workspace_id)
    zone = await workspace_zone(workspace_id)
    settings = WarmupSettings.in_effect(space.settings)  # as the planners run it
    rows = await Mailbox.filter(workspace_id=workspace_id).exclude(status=MailboxStatus.RETIRED).values(
        "id", "domain_id", "daily_cap", "provider", "status", "warmup_started_on", "warmup_paused_at",
        "graduated_at", "cooldown_until", "domain__status", "domain__pool_role", "domain__daily_cap",
        "warmup_ramp_day", "warmup_ramp_level",
    )  # fmt: skip
    factors = await health_factors([workspace_id])
    sending: list[Box] = []
    reserve: list[Box] = []
    caps: dict[int, int] = {}
    for row in rows:
        caps[int(row["domain_id"])] = int(row["domain__daily_cap"])
        box = _box(row, zone, factors)
        (reserve if row["domain__pool_role"] == PoolRole.RESERVE else sending).append(box)
    cap = _parse_cap((space.settings or {}).get("daily_cap"))
    masks = await Campaign.filter(workspace_id=workspace_id, status=CampaignStatus.RUNNING).values_list(
        "weekdays", flat=True
    )
    union = 0
    for mask in masks:
        union |= int(str(mask))
    days = frozenset(d for d in range(7) if union & (1 << d)) if union else None
    return (
        Fleet(tuple(sending), caps, settings, cap, days),
        Fleet(tuple(reserve), caps, settings, None),
    )


async def capacity(actor: Actor, clock: Clock, *, emails: int | None = None, weeks: int | None = None) -> Capacity:
    """The actor's workspace: today's campaign capacity, the coming weeks (from tomorrow), and whether `emails`
    fit in `weeks` weeks. Raises `Forbidden` (managers and admins), `UserError("error-capacity-emails"|
    "error-capacity-weeks", …)` for values out of bounds."""
    workspace_id = require_manager(actor)
    if emails is not None and not 1 <= emails <= MAX_EMAILS:
        raise UserError("error-capacity-emails", value=str(emails)[:20], high=MAX_EMAILS)
    if weeks is not None and not 1 <= weeks <= MAX_WEEKS:
        raise UserError("error-capacity-weeks", value=str(weeks)[:20], high=MAX_WEEKS)
    zone = await workspace_zone(workspace_id)
    today = clock.now().astimezone(zone).date()
    fleet, reserve = await load_fleet(workspace_id)
    return await asyncio.to_thread(_project, fleet, reserve, today, emails, weeks or 4)  # see bench_capacity


def _project(fleet: Fleet, reserve: Fleet, today: dt.date, emails: int | None, weeks: int) -> Capacity:
    start = today + dt.timedelta(days=1)
    now = day_capacity(fleet, today)
    return Capacity(
        today=now,
        weeks=project(fleet, start, weeks),
        reserve_per_day=day_capacity(reserve, max(today, settles_on(reserve))).campaign,  # the reserve once warm
        reserve_warm=settles_on(reserve) <= today,
        mailboxes=len(fleet.boxes),
        senders_today=now.senders,
        assessment=assess(fleet, emails=emails, weeks=weeks, start=start) if emails is not None else None,
        idle=idle_counts(fleet, today),
        campaigns_from=first_campaign_day(fleet, today),
        campaign_days=fleet.campaign_days,
    )

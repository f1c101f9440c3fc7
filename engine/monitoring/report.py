"""What `/health` and `/thresholds` show and change: the metrics of a workspace's mailboxes and domains (worst
first, each rate with its sample), and the protection thresholds in force with their bounds."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Final

from tortoise.transactions import in_transaction

from engine.access import Actor, require_manager, require_reader
from engine.alerts import inbox_unread_fingerprints, resolve_saying
from engine.clock import Clock
from engine.clock import zone_or_utc as zone
from engine.dns.names import to_ascii, to_unicode, to_unicode_address
from engine.errors import NotFound, UserError
from engine.layered import LayerChange, change_layered
from engine.mailboxes import LoginState, latest_check
from engine.monitoring import metrics
from engine.monitoring.metrics import Counts, Metrics, Window
from engine.monitoring.rules import BOUNDS, Thresholds, parse
from engine.monitoring.service import (
    PAUSED_ALERT,
    RESUMED_KEY,
    THRESHOLDS_KEY,
    agency_thresholds,
    minimums_of,
    resumed_mark,
    thresholds_of,
)
from engine.people import SLUG_MAX_CHARS
from engine.sending.why import mailboxes_named
from models import Alert, AuditLog, Campaign, Domain, Mailbox, Workspace
from models.enums import AlertStatus, CampaignStatus, DomainStatus, MailboxStatus, StatScope

_SHOWN: Final = (MailboxStatus.ACTIVE, MailboxStatus.WARMING, MailboxStatus.COOLDOWN, MailboxStatus.DISABLED)


@dataclass(frozen=True, slots=True)
class SubjectHealth:
    """One mailbox or domain: its status and health factor, and its metrics per window."""

    kind: str  # "mailbox" | "domain"
    name: str  # address or domain name
    status: str
    factor: float
    reason: str
    cooldown_until: dt.datetime | None
    windows: tuple[Metrics, ...]  # 1d, 7d (and last100 for a mailbox named alone)
    inbox_unread_since: str = ""
    """A mailbox whose inbox goes unread (its `inbox_unreachable` alert is not resolved): since when, as the alert
    says. Its bounces and replies since then are not counted, so its low rates are not a clean bill of health."""
    unread_mailboxes: int = 0
    """A domain: how many of its mailboxes shown (`mailboxes`) have an inbox that goes unread. Its rates add up
    theirs, so they are no clean bill of health either."""
    mailboxes: int = 0
    stopped: tuple[tuple[str, int], ...] = ()
    """A domain: how many of its mailboxes shown send nothing, by cause (`STOP_CAUSES`, in that order, none at 0).
    The domain's own status stays "active" while every mailbox of it is disabled: without this, its line was green
    over a domain that sent nothing."""
    held_by: tuple[str, str] | None = None
    held_until: dt.datetime | None = None
    """A mailbox in service that the senders hold until then (its `cooldown_until`: its mail server asked it to
    wait, or could not be reached), on the workspace's clock. Its status stays "active": without this, green."""
    """A mailbox whose domain protection holds back (cooling after a listing or a drift, burned): the domain and its
    status. The mailbox's own status stays "active" while it sends nothing: without this its line was green."""

    @property
    def stopped_count(self) -> int:
        return sum(n for _, n in self.stopped)

    @property
    def in_trouble(self) -> bool:
        """Protection holds it back: a mailbox cooling down or disabled, a domain cooling or burned (a listing), or a
        domain none of whose mailboxes sends."""
        return self.status in _TROUBLE or bool(self.held_by) or 0 < self.mailboxes == self.stopped_count

    @property
    def in_service(self) -> bool:
        """False for what sends nothing by choice: a retired mailbox or domain, a paused mailbox."""
        return self.status not in _OUT_OF_SERVICE

    @property
    def badness(self) -> float:
        """Worst first: cuts and cooldowns, then the highest hard-bounce, block or spam rate measured."""
        week = self.windows[1] if len(self.windows) > 1 else self.windows[0]
        rates = [week.hard_bounce_rate.value, week.block_rate.value, week.warmup_spam_rate.value]
        worst = max((r for r in rates if r is not None), default=-1.0)
        unread = self.inbox_unread_since or self.unread_mailboxes or self.stopped
        return worst + (10.0 if self.in_trouble or self.factor < 1 or unread else 0.0)


_TROUBLE: Final = frozenset(
    {MailboxStatus.COOLDOWN.value, MailboxStatus.DISABLED.value, DomainStatus.COOLING.value, DomainStatus.BURNED.value}
)
_HOLDING: Final = (DomainStatus.COOLING, DomainStatus.BURNED)
"""Domain states in which none of the domain's mailboxes sends, whatever their own state."""
_OUT_OF_SERVICE: Final = frozenset(
    {MailboxStatus.RETIRED.value, MailboxStatus.PAUSED.value, DomainStatus.RETIRED.value}
)
STOP_CAUSES: Final = ("auth", "disabled", "cooldown")
"""Why a shown mailbox sends nothing: disabled with its login refused (its latest check, `latest_check`),
disabled for another reason, cooling down."""


def stop_cause(box: Mailbox) -> str | None:
    """Why the mailbox sends nothing (`STOP_CAUSES`), None when it sends."""
    if box.status is MailboxStatus.COOLDOWN:
        return "cooldown"
    if box.status is not MailboxStatus.DISABLED:
        return None
    return "auth" if latest_check(box)[0] is LoginState.REFUSED else "disabled"


def _stopped(boxes: Sequence[Mailbox]) -> tuple[tuple[str, int], ...]:
    causes = Counter(stop_cause(b) for b in boxes)
    return tuple((cause, causes[cause]) for cause in STOP_CAUSES if causes[cause])


async def health(actor: Actor, clock: Clock, target: str | None = None) -> list[SubjectHealth]:
    """The workspace's mailboxes and domains (or one mailbox, or a domain and its mailboxes), worst first.

    Raises `Forbidden`, `NotFound("error-mailbox-not-found", …)` or `NotFound("error-domain-not-found", …)`."""
    workspace_id = require_reader(actor)
    space = await Workspace.get(id=workspace_id)
    now = clock.now()
    today = now.astimezone(zone(space.timezone)).date()
    if target:
        boxes = await mailboxes_named(workspace_id, target)  # NotFound for a name not in the workspace
        boxes = [b for b in boxes if b.status in _SHOWN] if len(boxes) > 1 else boxes
        # a domain of the workspace is shown even with no mailbox shown (none yet, or all retired with it)
        domains = [] if "@" in target else await Domain.filter(workspace_id=workspace_id, name=to_ascii(target.strip()))
    else:
        boxes = list(await Mailbox.filter(workspace_id=workspace_id, status__in=_SHOWN))
        domains = list(await Domain.filter(id__in={b.domain_id for b in boxes}))
    least = await minimums_of(space.settings)  # as the rules judge
    first = today - dt.timedelta(days=6)
    box_rows = await metrics.daily_rows(StatScope.MAILBOX, [b.id for b in boxes], first, today)
    dom_rows = await metrics.daily_rows(StatScope.DOMAIN, [d.id for d in domains], first, today)
    single = target is not None and "@" in target
    unread = await _inbox_unread(workspace_id, boxes)
    holding = {
        d.id: (to_unicode(d.name), d.status.value)
        for d in await Domain.filter(id__in={b.domain_id for b in boxes}, status__in=_HOLDING)
    }
    found: list[SubjectHealth] = []
    for d in domains:
        windows = _windows(dom_rows.get(d.id, {}), today, least)
        name = to_unicode(d.name)
        own = [b for b in boxes if b.domain_id == d.id]
        line = SubjectHealth("domain", name, d.status.value, d.health_factor, d.health_reason, None, windows)
        unread_own = sum(b.id in unread for b in own)
        found.append(replace(line, unread_mailboxes=unread_own, mailboxes=len(own), stopped=_stopped(own)))
    for b in boxes:
        windows = _windows(box_rows.get(b.id, {}), today, least)
        if single:
            windows = (*windows, metrics.compute(await metrics.last_sends(b.id), Window.LAST100, minimums=least))
        paused = b.cooldown_until if b.status is MailboxStatus.COOLDOWN else None
        until = paused.astimezone(zone(space.timezone)) if paused else None  # shown on the workspace's clock
        name = to_unicode_address(b.address)
        line = SubjectHealth(
            "mailbox", name, b.status.value, b.health_factor, b.health_reason, until, windows, unread.get(b.id, "")
        )
        if b.status is not MailboxStatus.COOLDOWN and b.cooldown_until is not None and b.cooldown_until > now:
            # its mail server asked it to wait (421, a rate limit) or could not be reached: the senders hold it
            line = replace(line, held_until=b.cooldown_until.astimezone(zone(space.timezone)))
        found.append(replace(line, held_by=holding[b.domain_id]) if b.domain_id in holding else line)
    return sorted(found, key=lambda s: (s.kind != "domain", -s.badness, s.name))


async def unwatched(actor: Actor) -> dict[MailboxStatus, int]:
    """The workspace's mailboxes /health does not watch, by status: paused by hand, or new (warmup never started);
    retired ones left out. They send nothing, so the overview has no line for them — and a workspace whose every
    mailbox is paused was told it had "no mailboxes yet"; /health says what they are instead."""
    workspace_id = require_reader(actor)
    hidden = [*_SHOWN, MailboxStatus.RETIRED]
    statuses = (
        await Mailbox.filter(workspace_id=workspace_id).exclude(status__in=hidden).values_list("status", flat=True)
    )
    return dict(sorted(Counter(MailboxStatus(str(s)) for s in statuses).items()))


async def _inbox_unread(workspace_id: int, boxes: Sequence[Mailbox]) -> dict[int, str]:
    """The mailboxes whose inbox goes unread (an unresolved `inbox_unreachable` alert, or a disabled mailbox's
    `inbox_unreadable_disabled`): since when, by id."""
    if not boxes:
        return {}
    by_fingerprint = {fp: b.id for b in boxes for fp in inbox_unread_fingerprints(workspace_id, b.id)}
    alerts = await Alert.filter(fingerprint__in=list(by_fingerprint), status__not=AlertStatus.RESOLVED).values(
        "fingerprint", "data"
    )
    return {by_fingerprint[a["fingerprint"]]: str((a["data"] or {}).get("since", "")) or "—" for a in alerts}


def _windows(rows: dict[dt.date, Counts], today: dt.date, least: metrics.Minimums) -> tuple[Metrics, ...]:
    """Today and 7 days."""
    return tuple(
        metrics.compute(metrics.sum_days(rows, *metrics.window_days(w, today)), w, minimums=least)
        for w in (Window.DAY, Window.WEEK)
    )


@dataclass(frozen=True, slots=True)
class ThresholdView:
    values: Thresholds
    overridden: frozenset[str]  # set by this workspace
    agency: frozenset[str]  # set by the agency's defaults


async def show_thresholds(actor: Actor) -> ThresholdView:
    """The thresholds in force for the actor's workspace, and which layer set each."""
    workspace_id = require_reader(actor)
    space = await Workspace.get(id=workspace_id)
    agency = await agency_thresholds()
    own = (space.settings or {}).get(THRESHOLDS_KEY) or {}
    return ThresholdView(
        thresholds_of(agency, space.settings), frozenset(own) & set(BOUNDS), frozenset(agency) & set(BOUNDS)
    )


async def set_threshold(actor: Actor, clock: Clock, name: str, value: str, *, agency: bool = False) -> LayerChange:
    """Change one threshold within its bounds: the workspace's (managers) or the agency's default (admins),
    audited. Raises `Forbidden`, `UserError("error-threshold-unknown"|"error-threshold-value", …)`."""
    key = name.strip().lower()
    if key not in BOUNDS:
        raise UserError("error-threshold-unknown", name=name[:40], known=", ".join(BOUNDS))
    number = parse(key, value)
    return await change_layered(
        actor, clock, key=THRESHOLDS_KEY, name=key, value=number, agency=agency, in_force=thresholds_of,
        action="monitoring.threshold",
    )  # fmt: skip


async def paused_reason(actor: Actor) -> str | None:
    """Why the workspace's sending is paused (`settings["sending_paused"]`), None when it is not."""
    space = await Workspace.get(id=require_reader(actor))
    settings = space.settings or {}
    if settings.get("sending_paused") is not True:
        return None
    return str(settings.get("sending_paused_reason") or "")


async def resume_sending(actor: Actor, clock: Clock, slug: str | None = None) -> bool:
    """Lift the sending pause of the actor's workspace, or of the workspace `slug` (the button under a domain swap
    names the swap's, which need not be the presser's current one), after monitoring's error-spike pause, once the
    cause is fixed; audited, and its alert resolved: a spike after this is a new problem the chats hear of (an open
    alert would only count it), judged on the attempts from now on (`service.since_resume`). False when sending was
    not paused. Raises `Forbidden` (managers only); a `slug` the actor cannot manage is `error-workspace-not-found`,
    as one that does not exist (nobody learns another client's workspaces)."""
    target = None
    if slug:
        typed = slug.strip().lower()
        fits = len(typed) <= SLUG_MAX_CHARS  # a longer word names no workspace (and the ORM refuses to compare it)
        named = await Workspace.get_or_none(slug=typed, archived_at=None).only("id") if fits else None
        if named is None or not actor.can_manage(named.id):
            raise NotFound("error-workspace-not-found", slug=slug)
        target = named.id
    workspace_id = require_manager(actor, target)
    async with in_transaction():
        space = await Workspace.filter(id=workspace_id).select_for_update().get()
        settings = dict(space.settings or {})
        if settings.get("sending_paused") is not True:
            return False
        reason = settings.pop("sending_paused_reason", "")
        settings.pop("sending_paused")
        settings[RESUMED_KEY] = await resumed_mark(space, clock)  # the spike judges what is sent from now on
        space.settings = settings
        await space.save(update_fields=["settings"])
        await AuditLog.create(
            workspace_id=workspace_id,
            actor_id=actor.person_id,
            action="monitoring.resume",
            subject=f"workspace:{workspace_id}",
            data={"paused_for": reason},
            created_at=clock.now(),
        )
    # a manager ended it, no check saw it clear: its end says so
    await resolve_saying([PAUSED_ALERT], [f"workspace:{workspace_id}"], "alert-resolved-resumed", clock=clock)
    return True


CAMPAIGNS_SHOWN: Final = 5


@dataclass(frozen=True, slots=True)
class Overview:
    """The workspace as a whole and its running campaigns (the worst first), each over 7 days."""

    workspace: Metrics
    campaigns: tuple[tuple[str, Metrics], ...]
    more_campaigns: int


async def overview(actor: Actor, clock: Clock) -> Overview:
    """The workspace's and its running or paused campaigns' 7-day metrics. Open rates are over the sends that
    carried a pixel (an HTML campaign's), as /report measures them (not measured when none did)."""
    workspace_id = require_reader(actor)
    space = await Workspace.get(id=workspace_id)
    today = clock.now().astimezone(zone(space.timezone)).date()
    least = await minimums_of(space.settings)  # as the rules judge
    first, last = metrics.window_days(Window.WEEK, today)
    ws_rows = await metrics.daily_rows(StatScope.WORKSPACE, [workspace_id], first, last)
    running = await Campaign.filter(
        workspace_id=workspace_id, status__in=(CampaignStatus.RUNNING, CampaignStatus.PAUSED)
    ).order_by("name")
    rows = await metrics.daily_rows(StatScope.CAMPAIGN, [c.id for c in running], first, last)
    campaigns = []
    for c in running:
        counts = metrics.sum_days(rows.get(c.id, {}), first, last)
        campaigns.append((c.name, metrics.compute(counts, Window.WEEK, minimums=least)))
    campaigns.sort(key=lambda item: -max(item[1].hard_bounce_rate.value or -1, item[1].block_rate.value or -1))
    week = metrics.sum_days(ws_rows.get(workspace_id, {}), first, last)
    workspace = metrics.compute(week, Window.WEEK, minimums=least)
    return Overview(workspace, tuple(campaigns[:CAMPAIGNS_SHOWN]), max(0, len(campaigns) - CAMPAIGNS_SHOWN))

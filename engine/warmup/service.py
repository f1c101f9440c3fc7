"""Warmup for people: progress of a mailbox or a domain, a workspace summary, start and pause, the settings.

Every function takes the `Actor` and enforces isolation itself (`engine.access`): reading needs read access to the
actor's current workspace, changing needs manage access; a mailbox or domain of another workspace is "not found".
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from tortoise.transactions import in_transaction

from engine.access import Actor, require_manager, require_reader
from engine.clock import Clock
from engine.dns.names import to_unicode_address
from engine.domains.inventory import summaries
from engine.domains.state import Health
from engine.errors import Conflict
from engine.lifecycle import transition_mailbox
from engine.mail.providers import PRESETS
from engine.sending.why import mailboxes_named
from engine.stats import workspace_zone
from engine.warmup.graduation import Readiness, Stage, readiness
from engine.warmup.placement import Placement, PlacementScope, placements
from engine.warmup.ramp import (
    RAMP_SETTINGS,
    continue_mark,
    maintenance_base,
    mark_of,
    resumed_start,
    volume_today,
)
from engine.warmup.settings import WarmupSettings, setting_name
from models import AuditLog, CapDeferral, Domain, Mailbox, OutboundMessage, Workspace
from models.enums import CapKind, MailboxStatus, MessageKind, MessageStatus

WORST_SHOWN: Final = 5
"""How many of the worst placements the workspace summary lists."""

_SKIPPED: Final = frozenset({MailboxStatus.RETIRED})


@dataclass(frozen=True, slots=True)
class MailboxWarmup:
    """One mailbox's warmup today."""

    address: str
    status: MailboxStatus
    paused: bool  # a manager paused its warmup
    readiness: Readiness
    target_today: int  # warmup emails the ramp (or the maintenance share) wants today
    sent_today: int  # warmup emails it sent today
    peers_short: tuple[int, int] | None = None  # today's plan found receivers for only (allowed, wanted) emails


@dataclass(frozen=True, slots=True)
class Overview:
    """The workspace at a glance: mailboxes by stage, paused ones, and the worst measured placements."""

    total: int
    stages: dict[Stage, int]
    paused: int
    worst: tuple[tuple[str, Placement], ...]  # (address, placement) of warming mailboxes, lowest score first
    unmeasured: int  # warming mailboxes with not enough data yet
    stopped: dict[MailboxStatus, int] = field(default_factory=dict)
    """Mailboxes counted in a stage that send no warmup now (paused, cooling down, disabled), by status: "warming
    up: 3" alone read as warmup going on for three mailboxes disabled by login failures."""


@dataclass(frozen=True, slots=True)
class WarmupChange:
    """What `/warmup_start` or `/warmup_pause` did: the mailboxes changed and those already in that state."""

    changed: tuple[str, ...]
    unchanged: tuple[str, ...]
    skipped: tuple[str, ...] = ()  # start: mailboxes whose status does not allow warmup (paused, disabled, …)
    alone: tuple[str, ...] = ()  # start: mailboxes with no mailbox on another domain of their pool to warm with
    unready: tuple[str, ...] = ()  # start: the domains of those started whose DNS has not passed a check (names)


@dataclass(frozen=True, slots=True)
class SettingChange:
    name: str
    before: Any
    after: Any
    continued: int = 0  # warming mailboxes whose ramp goes on from the volume it had reached (`continue_mark`)
    above: int = 0  # of them, those already above a lowered target: they come down to it
    settings: WarmupSettings = field(default_factory=WarmupSettings)  # the settings now in effect


async def _today(workspace_id: int, clock: Clock) -> dt.date:
    zone = await workspace_zone(workspace_id)
    return clock.now().astimezone(zone).date()


async def _settings(workspace_id: int) -> WarmupSettings:
    space = await Workspace.get(id=workspace_id)
    return WarmupSettings.in_effect(space.settings)


async def _resolve(workspace_id: int, target: str, *, allow_all: bool) -> list[Mailbox]:
    """The mailboxes `target` names in the workspace: an address, a domain, or (when allowed) "all". Changing
    warmup (`allow_all`) of a retired mailbox named by its address raises
    `Conflict("error-warmup-mailbox-retired", address=…)`: it sends and takes no warmup any more."""
    text = target.strip()
    if allow_all and text.lower() in {"all", "все", "всё"}:
        return list(
            await Mailbox.filter(workspace_id=workspace_id).exclude(status__in=list(_SKIPPED)).order_by("address")
        )
    boxes = await mailboxes_named(workspace_id, text)
    if "@" not in text:
        return [b for b in boxes if b.status not in _SKIPPED]  # a domain: the live ones
    if allow_all and boxes[0].status in _SKIPPED:
        raise Conflict("error-warmup-mailbox-retired", address=to_unicode_address(boxes[0].address))
    return boxes


async def _sent_today(workspace_id: int, ids: Sequence[int], today: dt.date) -> Counter[int]:
    zone = await workspace_zone(workspace_id)
    start = dt.datetime.combine(today, dt.time(), tzinfo=zone)
    end = start + dt.timedelta(days=1)
    rows = await OutboundMessage.filter(
        workspace_id=workspace_id,
        mailbox_id__in=list(ids),
        kind=MessageKind.WARMUP,
        status=MessageStatus.SENT,
        sent_at__gte=start,
        sent_at__lt=end,
    ).values("mailbox_id")
    return Counter(int(r["mailbox_id"]) for r in rows)


async def _domain_parts(domain_ids: set[int]) -> dict[int, tuple[int, int]]:
    """Per domain: its daily cap and how many of its mailboxes send (warming or active): as the planner counts."""
    caps = await Domain.filter(id__in=list(domain_ids)).values_list("id", "daily_cap")
    senders = Counter(
        await Mailbox.filter(
            domain_id__in=list(domain_ids),
            status__in=[MailboxStatus.WARMING, MailboxStatus.ACTIVE],
            warmup_started_on__isnull=False,
        ).values_list("domain_id", flat=True)
    )
    return {int(d): (int(cap), senders[d]) for d, cap in caps}


STOPPED: Final = frozenset({MailboxStatus.PAUSED, MailboxStatus.COOLDOWN, MailboxStatus.DISABLED})
"""Statuses the warmup planner plans nothing for (whatever the ramp or the maintenance share would want)."""


def _target(settings: WarmupSettings, box: Mailbox, today: dt.date, domain: tuple[int, int]) -> int:
    """Today's warmup emails as the planner plans them: none while the mailbox stands or its warmup is paused."""
    if box.status in STOPPED or box.warmup_paused_at is not None:
        return 0
    return volume_today(
        settings, mailbox_id=box.id, day=today, started_on=box.warmup_started_on,
        graduated=box.status is MailboxStatus.ACTIVE, provider_limit=PRESETS[box.provider].provider_daily_limit,
        maintenance_cap=maintenance_base(box.daily_cap, *domain),
        mark=mark_of(box.warmup_ramp_day, box.warmup_ramp_level),
    )  # fmt: skip


async def warmup_status(actor: Actor, clock: Clock, target: str) -> list[MailboxWarmup]:
    """The warmup of one mailbox (an address) or of every mailbox of a domain, by address."""
    workspace_id = require_reader(actor)
    boxes = await _resolve(workspace_id, target, allow_all=False)
    if not boxes:
        return []
    settings = await _settings(workspace_id)
    today = await _today(workspace_id, clock)
    ids = [b.id for b in boxes]
    found = await placements(workspace_id, PlacementScope.MAILBOX, ids, until=today)
    sent = await _sent_today(workspace_id, ids, today)
    domains = await _domain_parts({b.domain_id for b in boxes})
    short = {
        int(r["mailbox_id"]): (int(r["allowed"]), int(r["wanted"]))
        for r in await CapDeferral.filter(
            workspace_id=workspace_id, mailbox_id__in=ids, day=today, cap=CapKind.PEERS, source="warmup"
        ).values("mailbox_id", "allowed", "wanted")
    }
    return [
        MailboxWarmup(
            address=to_unicode_address(b.address),
            status=b.status,
            paused=b.warmup_paused_at is not None,
            readiness=readiness(
                settings,
                started_on=b.warmup_started_on,
                today=today,
                placement=found[b.id],
                # paused or cooling down, it stays graduated (active without a stamp: made active some other way)
                graduated=b.graduated_at is not None or b.status is MailboxStatus.ACTIVE,
            ),
            target_today=_target(settings, b, today, domains[b.domain_id]),
            sent_today=sent[b.id],
            peers_short=short.get(b.id),
        )
        for b in boxes
    ]


async def warmup_overview(actor: Actor, clock: Clock) -> Overview:
    """Every mailbox of the workspace by stage (two queries whatever the fleet's size), and the worst placements
    among the warming ones that have enough data."""
    workspace_id = require_reader(actor)
    rows = await (
        Mailbox.filter(workspace_id=workspace_id)
        .exclude(status__in=list(_SKIPPED))
        .values("id", "address", "status", "warmup_started_on", "warmup_paused_at", "graduated_at")
    )
    settings = await _settings(workspace_id)
    today = await _today(workspace_id, clock)
    warming = [r for r in rows if r["status"] == MailboxStatus.WARMING]
    found = await placements(workspace_id, PlacementScope.MAILBOX, [int(r["id"]) for r in warming], until=today)
    stages: Counter[Stage] = Counter()
    for r in rows:
        stage = readiness(
            settings,
            started_on=r["warmup_started_on"],
            today=today,
            placement=found.get(int(r["id"]), Placement(0, 0, 0, today)),
            graduated=r["graduated_at"] is not None or r["status"] == MailboxStatus.ACTIVE,
        ).stage
        stages[stage] += 1
    measured = [
        (to_unicode_address(str(r["address"])), found[int(r["id"])])
        for r in warming
        if found[int(r["id"])].score is not None
    ]
    measured.sort(key=lambda pair: (pair[1].score or 0.0, pair[0]))
    return Overview(
        total=len(rows),
        stages={stage: stages[stage] for stage in Stage},
        paused=sum(1 for r in rows if r["warmup_paused_at"] is not None),
        worst=tuple(measured[:WORST_SHOWN]),
        unmeasured=len(warming) - len(measured),
        stopped=dict(sorted(Counter(MailboxStatus(str(r["status"])) for r in rows if r["status"] in STOPPED).items())),
    )


async def start_warmup(actor: Actor, clock: Clock, which: str) -> WarmupChange:
    """Start (or resume) warmup: `warmup_started_on` = today where unset, the pause cleared, and `new` mailboxes
    moved to `warming`. A warming mailbox resumed after a pause continues its ramp where it stopped: its start
    moves forward by the days it was paused (`ramp.resumed_start`). Mailboxes paused, disabled or in cooldown keep
    their status (they are listed as skipped: `/mailbox_resume` decides about them)."""
    workspace_id = require_manager(actor)
    zone = await workspace_zone(workspace_id)
    today = clock.now().astimezone(zone).date()
    changed: list[str] = []
    unchanged: list[str] = []
    skipped: list[str] = []
    stored: list[str] = []  # the addresses changed as stored, for the audit log
    async with in_transaction():
        boxes = await _resolve(workspace_id, which, allow_all=True)
        for box in boxes:
            shown = to_unicode_address(box.address)
            if box.status not in {MailboxStatus.NEW, MailboxStatus.WARMING, MailboxStatus.ACTIVE}:
                skipped.append(shown)
                continue
            values: dict[str, Any] = {}
            if box.warmup_started_on is None:
                values["warmup_started_on"] = today
            if box.warmup_paused_at is not None:
                values["warmup_paused_at"] = None
                if box.warmup_started_on is not None and box.status is not MailboxStatus.ACTIVE:
                    stopped_on = box.warmup_paused_at.astimezone(zone).date()
                    values["warmup_started_on"] = resumed_start(
                        started_on=box.warmup_started_on, stopped_on=stopped_on, today=today
                    )
            if box.status is MailboxStatus.NEW:
                await transition_mailbox(
                    box, MailboxStatus.WARMING, clock=clock, reason="warmup started", actor_id=actor.person_id,
                    extra=values,
                )  # fmt: skip
            elif values:
                await Mailbox.filter(id=box.id).update(**values)
            else:
                unchanged.append(shown)
                continue
            changed.append(shown)
            stored.append(box.address)
        if changed:
            await _audit(actor, workspace_id, clock, action="warmup.start", which=which, addresses=stored)
        going = set(changed) | set(unchanged)
        warming = [b for b in boxes if to_unicode_address(b.address) in going]
        alone = await _alone(workspace_id, warming)
        unready = await _dns_unready(warming, today)
    return WarmupChange(tuple(changed), tuple(unchanged), tuple(skipped), alone, unready)


async def _dns_unready(boxes: Sequence[Mailbox], today: dt.date) -> tuple[str, ...]:
    """The domains of `boxes` whose DNS has not passed its last check (never checked, a record wrong, or not
    answered): warmup mail without SPF, DKIM and DMARC lands in spam, and the spam placement it earns stays with
    the domain. The planner warms them all the same (a manager may know the records are there); the answer says
    so, as `/domains` shows it."""
    ids = {b.domain_id for b in boxes}
    if not ids:
        return ()
    domains = await Domain.filter(id__in=sorted(ids)).order_by("name")
    return tuple(s.display_name for s in await summaries(domains, today) if s.dns.health is not Health.OK)


async def _alone(workspace_id: int, boxes: Sequence[Mailbox]) -> tuple[str, ...]:
    """The mailboxes started (or already warming) that nobody can warm with: warmup never goes to a mailbox of
    the sender's domain, so in a workspace whose only warming mailboxes are on that domain (or a workspace of one
    mailbox) the planner finds no receiver, day after day, while `/warmup_start` answered "started". In the agency
    pool other workspaces' mailboxes may take them: nothing is said then."""
    if not boxes:
        return ()
    space = await Workspace.get(id=workspace_id)
    if WarmupSettings.in_effect(space.settings).pool == "agency":
        return ()
    peers = set(
        await Mailbox.filter(
            workspace_id=workspace_id,
            status__in=[MailboxStatus.WARMING, MailboxStatus.ACTIVE],
            warmup_started_on__not_isnull=True,
            warmup_paused_at__isnull=True,
        )
        .distinct()
        .values_list("domain_id", flat=True)
    )
    return tuple(to_unicode_address(b.address) for b in boxes if not peers - {b.domain_id})


async def pause_warmup(actor: Actor, clock: Clock, which: str) -> WarmupChange:
    """Pause warmup (`warmup_paused_at` = now): the planner plans no more warmup for these mailboxes and the
    sender re-checks the pause before each send. Campaign mail of an active mailbox is not affected."""
    workspace_id = require_manager(actor)
    now = clock.now()
    async with in_transaction():
        boxes = await _resolve(workspace_id, which, allow_all=True)
        fresh = [b for b in boxes if b.warmup_paused_at is None]
        if fresh:
            await Mailbox.filter(id__in=[b.id for b in fresh], warmup_paused_at__isnull=True).update(
                warmup_paused_at=now
            )
            await _audit(
                actor, workspace_id, clock, action="warmup.pause", which=which, addresses=[b.address for b in fresh]
            )
    return WarmupChange(
        tuple(to_unicode_address(b.address) for b in fresh),
        tuple(to_unicode_address(b.address) for b in boxes if b.warmup_paused_at is not None),
    )


async def _audit(
    actor: Actor, workspace_id: int, clock: Clock, *, action: str, which: str, addresses: list[str]
) -> None:
    await AuditLog.create(
        workspace_id=workspace_id,
        actor_id=actor.person_id,
        action=action,
        subject=f"warmup:{which.strip()[:200]}",
        data={"mailboxes": addresses[:50], "count": len(addresses)},
        created_at=clock.now(),
    )


async def show_settings(actor: Actor) -> WarmupSettings:
    """The workspace's warmup settings (defaults where it sets nothing)."""
    return await _settings(require_reader(actor))


async def set_setting(actor: Actor, clock: Clock, name: str, value: str) -> SettingChange:
    """Change one warmup setting within its bounds (`WarmupSettings.BOUNDS`), stored in
    `Workspace.settings["warmup"]` and audited. Raises `UserError("error-warmup-setting…")` naming the setting
    and its bounds; nothing is written then.

    A ramp setting (`ramp.RAMP_SETTINGS`) changed while mailboxes warm does not recompute their ramps from their
    starts: each warming mailbox goes on from the volume it has reached today (or on the last day it sent, when it
    stands still), by at most the new step a day toward the new target (`ramp.continue_mark`)."""
    workspace_id = require_manager(actor)
    key = setting_name(name)
    async with in_transaction():
        space = await Workspace.filter(id=workspace_id).select_for_update().get()
        current = WarmupSettings.in_effect(space.settings)
        updated = current.with_values({key: value})
        space.settings = {**(space.settings or {}), "warmup": updated.to_json()}
        await space.save(update_fields=["settings"])
        before, after = getattr(current, key), getattr(updated, key)
        continued, above = 0, 0
        if key in RAMP_SETTINGS and before != after:
            continued, above = await _continue_ramps(workspace_id, clock, current, updated)
        await AuditLog.create(
            workspace_id=workspace_id,
            actor_id=actor.person_id,
            action="warmup.setting",
            subject=f"workspace:{workspace_id}",
            data={"name": key, "from": before, "to": after},
            created_at=clock.now(),
        )
    return SettingChange(key, before, after, continued, above, updated)


async def _continue_ramps(
    workspace_id: int, clock: Clock, before: WarmupSettings, after: WarmupSettings
) -> tuple[int, int]:
    """Mark every mailbox of the workspace that is on its ramp (started, not graduated, not retired) to go on from
    the volume it reached under `before`: today's, or — standing still (warmup paused, cooling down, disabled) — that
    of the day it stopped, which its start moves back to when it goes on (`resumed_start`). Returns (mailboxes marked,
    those of them above `after`'s target)."""
    zone = await workspace_zone(workspace_id)
    today = clock.now().astimezone(zone).date()
    boxes = await Mailbox.filter(
        workspace_id=workspace_id, warmup_started_on__not_isnull=True, graduated_at__isnull=True
    ).exclude(status__in=[MailboxStatus.ACTIVE, MailboxStatus.RETIRED])
    marks: dict[tuple[int, int], list[int]] = {}
    for box in boxes:
        on = today
        if box.warmup_paused_at is not None:
            on = min(on, box.warmup_paused_at.astimezone(zone).date())
        if box.status in STOPPED and box.status_changed_at is not None:
            on = min(on, box.status_changed_at.astimezone(zone).date())
        assert box.warmup_started_on is not None
        mark = continue_mark(
            before, after, started_on=box.warmup_started_on, on=on,
            mark=mark_of(box.warmup_ramp_day, box.warmup_ramp_level),
        )  # fmt: skip
        if mark is not None:
            marks.setdefault(mark, []).append(box.id)
    for (day, level), ids in marks.items():  # a fleet started on a few days: a few statements, not one a mailbox
        await Mailbox.filter(id__in=ids).update(warmup_ramp_day=day, warmup_ramp_level=level)
    marked = sum(len(ids) for ids in marks.values())
    above = sum(len(ids) for (_, level), ids in marks.items() if level > after.target_per_day)
    return marked, above

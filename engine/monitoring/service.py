"""Evaluate the protection rules for every workspace and apply what they decide.

Each action moves its subject with a conditional update (mailbox status through `engine.lifecycle`, a health factor
only from the value it was read with), writes an `AuditLog` entry carrying the numbers that triggered it (rate,
sample, threshold, window) and raises an alert. Running twice acts once: a cut's own day never trips again (see
`rules.trip_window_start`), a cooldown, a disable or a pause is not repeated on a subject already in that state.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from tortoise.transactions import in_transaction

from engine import alerts
from engine.alerts import raise_alert
from engine.clock import Clock, local_time
from engine.clock import zone_or_utc as zone
from engine.dns.names import to_unicode, to_unicode_address
from engine.errors import Conflict, IllegalTransition
from engine.lifecycle import transition_mailbox
from engine.logging import get_logger
from engine.monitoring import metrics
from engine.monitoring.metrics import Counts
from engine.monitoring.rules import (
    RECOVERING,
    SENDING,
    Action,
    ActionKind,
    DomainFacts,
    MailboxFacts,
    Rule,
    Thresholds,
    WorkspaceFacts,
    clean_day_counts,
    decide,
    engagement_recovered,
    trip_window_start,
)
from engine.warmup.ramp import after_standstill
from models import AgencySetting, AuditLog, Domain, Mailbox, Workspace
from models.enums import MailboxStatus, Severity, StatScope

log = get_logger(__name__)
THRESHOLDS_KEY: Final = "thresholds"  # AgencySetting key and Workspace.settings key
RECENT_DAYS: Final = 3  # engagement: the recent stretch compared with…
BASELINE_DAYS: Final = 14  # …the mailbox's own baseline just before it
REPLY_LAG_DAYS: Final = 2  # the recent stretch ends this many days ago: answers to the newest mail are still coming
_SPANS_PER_BOX: Final = 5  # `_decide` sums per mailbox: its trip window, today, yesterday, recent, baseline
_WATCHED: Final = (MailboxStatus.ACTIVE, MailboxStatus.WARMING, MailboxStatus.COOLDOWN)
_FACT_FIELDS: Final = (
    "id", "domain_id", "status", "status_changed_at", "auth_failures", "health_factor", "health_changed_at",
    "health_reason", "cooldown_until", "graduated_at",
)  # fmt: skip
"""What `_decide` reads of each mailbox (a run reads the whole fleet: its other columns cost more than the rules)."""


@dataclass
class Report:
    """What one evaluation did, action kind by kind."""

    workspaces: int = 0
    actions: dict[str, int] = field(default_factory=dict)
    failed: int = 0

    def count(self, kind: ActionKind) -> None:
        self.actions[kind.value] = self.actions.get(kind.value, 0) + 1


async def agency_thresholds() -> dict[str, Any]:
    row = await AgencySetting.get_or_none(key=THRESHOLDS_KEY)
    return dict(row.value) if row is not None and isinstance(row.value, dict) else {}


def thresholds_of(agency: Mapping[str, Any], settings: Mapping[str, Any] | None) -> Thresholds:
    own = (settings or {}).get(THRESHOLDS_KEY)
    return Thresholds.resolve(agency, own if isinstance(own, dict) else None)


async def minimums_of(settings: Mapping[str, Any] | None) -> metrics.Minimums:
    """The samples from which the rules of a workspace (its `settings`) judge hard bounces, blocks and warmup
    placement, over the agency's and the code's: what /health, /report and the digests show those rates from."""
    return thresholds_of(await agency_thresholds(), settings).minimums


async def auth_failure_limit(workspace_id: int) -> int:
    """How many logins in a row may fail before a mailbox of the workspace is disabled: its `auth_failures`
    threshold (over the agency's, over the default). The inbox sync and the outbox read it, as the monitor does."""
    settings = await Workspace.filter(id=workspace_id).values_list("settings", flat=True)
    own = settings[0] if settings and isinstance(settings[0], dict) else None
    return thresholds_of(await agency_thresholds(), own).auth_failures


async def evaluate(clock: Clock, workspace_ids: Iterable[int] | None = None) -> Report:
    """Evaluate every (or the given) non-archived workspace and apply the actions. Idempotent."""
    report = Report()
    query = Workspace.filter(archived_at=None)
    if workspace_ids is not None:
        query = query.filter(id__in=list(workspace_ids))
    agency = await agency_thresholds()
    for space in await query.order_by("id"):
        report.workspaces += 1
        th = thresholds_of(agency, space.settings)
        actions, cleared = await _decide(space, th, clock)
        for action in actions:
            try:
                if await apply(action, space, th, clock):
                    report.count(action.kind)
            except (Conflict, IllegalTransition):  # another worker or a person moved it first
                report.failed += 1
        if resolved := await alerts.resolve_fingerprints(cleared, clock=clock):
            report.actions["resolved"] = report.actions.get("resolved", 0) + resolved
    return report


async def _decide(space: Workspace, th: Thresholds, clock: Clock) -> tuple[list[Action], list[str]]:
    """The actions the rules ask for, and the fingerprints of the alerts whose condition cleared: the engagement
    rules each mailbox meets again, and the cooldown of a mailbox that sends again, its time over, without returning
    from it here (a person paused it during its cooldown and resumed it; the senders hold it until that time)."""
    now = clock.now()
    tz = zone(space.timezone)
    today = now.astimezone(tz).date()
    yesterday = today - dt.timedelta(days=1)
    boxes = await Mailbox.filter(workspace_id=space.id, status__in=_WATCHED).order_by("id").only(*_FACT_FIELDS)
    domain_ids = sorted({b.domain_id for b in boxes})
    domains = {d.id: d for d in await Domain.filter(id__in=domain_ids)}
    recent_to = today - dt.timedelta(days=REPLY_LAG_DAYS)
    recent_from = recent_to - dt.timedelta(days=RECENT_DAYS - 1)
    base_from = recent_from - dt.timedelta(days=BASELINE_DAYS)
    domain_rows = await metrics.daily_rows(StatScope.DOMAIN, domain_ids, yesterday, yesterday)
    ws_rows = await metrics.daily_rows(StatScope.WORKSPACE, [space.id], today, today)

    def local_day(moment: dt.datetime | None) -> dt.date | None:
        return moment.astimezone(tz).date() if moment else None

    spans: list[tuple[int, dt.date, dt.date]] = []  # per mailbox, in `_SPANS_PER_BOX` order
    for box in boxes:
        domain = domains[box.domain_id]
        start = max(
            trip_window_start(
                today, changed_on=local_day(box.health_changed_at), recovering=_recovering(box.health_reason)
            ),
            trip_window_start(
                today, changed_on=local_day(domain.health_changed_at), recovering=_recovering(domain.health_reason)
            ),
        )
        returned = local_day(box.status_changed_at)
        if returned is not None and box.status in SENDING:
            start = max(start, returned)  # a return from cooldown (or a graduation) starts a fresh window
        spans += [
            (box.id, start, today),
            (box.id, today, today),
            (box.id, yesterday, yesterday),
            (box.id, recent_from, recent_to),
            (box.id, base_from, recent_from - dt.timedelta(days=1)),
        ]
    sums = await metrics.span_sums(StatScope.MAILBOX, spans)
    facts: list[MailboxFacts] = []
    for n, box in enumerate(boxes):
        window, on_today, on_yesterday, recent, baseline = sums[_SPANS_PER_BOX * n : _SPANS_PER_BOX * (n + 1)]
        facts.append(
            MailboxFacts(
                mailbox_id=box.id,
                domain_id=box.domain_id,
                status=box.status,
                auth_failures=box.auth_failures,
                health_factor=box.health_factor,
                cooldown_over=box.cooldown_until is None or box.cooldown_until <= now,
                graduated=box.graduated_at is not None,
                window=window,
                today=on_today,
                yesterday=clean_day_counts(
                    today,
                    changed_on=local_day(box.health_changed_at),
                    recovering=_recovering(box.health_reason),
                    yesterday=on_yesterday,
                ),
                recent=recent,
                baseline=baseline,
            )
        )
    domain_facts = {
        d.id: DomainFacts(
            domain_id=d.id,
            health_factor=d.health_factor,
            yesterday=clean_day_counts(
                today,
                changed_on=local_day(d.health_changed_at),
                recovering=_recovering(d.health_reason),
                yesterday=domain_rows.get(d.id, {}).get(yesterday, Counts()),
            ),
        )
        for d in domains.values()
    }
    ws = WorkspaceFacts(
        workspace_id=space.id,
        paused=(space.settings or {}).get("sending_paused") is True,
        today=since_resume(
            ws_rows.get(space.id, {}).get(today, Counts()), (space.settings or {}).get(RESUMED_KEY), today
        ),
    )
    actions = decide(ws, facts, domain_facts, th)
    cleared = [
        alerts.alert_fingerprint(ENGAGEMENT_ALERT, f"mailbox:{f.mailbox_id}", rule.value, space.id)
        for f in facts
        for rule in engagement_recovered(f, th)
    ]
    cooling = {a.subject for a in actions if a.kind is ActionKind.COOLDOWN}  # cooled in this run: its alert stands
    cleared += [
        alerts.alert_fingerprint(COOLDOWN_ALERT, subject, Rule.HARD_BOUNCE.value, space.id)
        for f in facts
        if f.status in SENDING and f.cooldown_over and (subject := f"mailbox:{f.mailbox_id}") not in cooling
    ]
    return actions, cleared


RESUMED_KEY: Final = "sending_resumed_counts"
"""`Workspace.settings` key: the day a manager lifted a spike pause (`report.resume_sending`) and the workspace's
counters of that day the spike rule reads, as they stood then. The failures that caused the pause are in them;
judging the whole day again would pause the workspace right after it was resumed, for what was already fixed."""
SPIKE_COUNTERS: Final = ("sent", "smtp_errors", "auth_errors", "bounces_block")


async def resumed_mark(space: Workspace, clock: Clock) -> dict[str, Any]:
    """What `RESUMED_KEY` keeps when sending is resumed now: today (on the workspace's clock) and its counters."""
    today = clock.now().astimezone(zone(space.timezone)).date()
    rows = await metrics.daily_rows(StatScope.WORKSPACE, [space.id], today, today)
    counts = rows.get(space.id, {}).get(today, Counts())
    return {"day": today.isoformat(), **{name: getattr(counts, name) for name in SPIKE_COUNTERS}}


def since_resume(counts: Counts, mark: Any, today: dt.date) -> Counts:
    """Today's workspace counters the spike rule judges: those after the resume when sending was resumed today."""
    if not isinstance(mark, dict) or mark.get("day") != today.isoformat():
        return counts
    later = {}
    for name in SPIKE_COUNTERS:
        seen = mark.get(name)
        later[name] = max(0, getattr(counts, name) - (seen if isinstance(seen, int) else 0))
    return dataclasses.replace(counts, **later)


def _recovering(reason: str) -> bool:
    return reason.startswith(RECOVERING)


def _subject(action: Action) -> tuple[str, int]:
    kind, _, ident = action.subject.partition(":")
    return kind, int(ident)


async def apply(action: Action, space: Workspace, th: Thresholds, clock: Clock) -> bool:
    """Apply one action; False when its subject had already moved (nothing done)."""
    now = clock.now()
    kind, ident = _subject(action)
    evidence = action.evidence.to_json() if action.evidence else {}
    data: dict[str, Any] = {"rule": action.rule.value, **evidence}
    if action.kind is ActionKind.PAUSE:
        return await _pause(space, data, clock)
    async with in_transaction():  # the change and its audit entry together, or neither
        if kind == "domain":
            domain = await Domain.get(id=ident)
            label = {"subject": to_unicode(domain.name)}  # as people write it, not punycode
            done = await _set_factor(
                Domain, ident, current=domain.health_factor, changed_at=domain.health_changed_at, action=action,
                now=now,
            )  # fmt: skip
        else:
            box = await Mailbox.get(id=ident)
            label = {"subject": to_unicode_address(box.address)}
            done = await _mailbox_action(box, action, th, clock, data, timezone=space.timezone)
        if not done:
            return False
        data = {**data, **label}
        if action.factor is not None:
            data["factor"] = action.factor
        if action.kind is not ActionKind.ALERT:
            await AuditLog.create(
                workspace_id=space.id,
                actor_id=None,
                action=f"monitoring.{action.kind.value}",
                subject=action.subject,
                data=data,
                created_at=now,
            )
    cleared = RESOLVES.get(action.kind)
    if cleared is not None and (action.kind is not ActionKind.RESTORE or (action.factor or 0) >= 1.0):
        await _resolve(cleared, action.subject, space.id, clock)
    alert = ALERTS.get(action.kind)
    if alert is not None:
        await raise_alert(
            workspace_id=space.id,
            kind=alert[0],
            severity=alert[1],
            subject=action.subject,
            key=action.rule.value,
            data=_alert_params(data),
            now=now,
        )
    log.info("monitoring action", workspace_id=space.id, action=action.kind.value, subject=action.subject, **evidence)
    return True


COOLDOWN_ALERT: Final = "mailbox_cooldown"
"""A mailbox cooled down on hard bounces (raised with the rule as its key); resolved when it sends again."""
ENGAGEMENT_ALERT: Final = "engagement_drop"
"""A mailbox's replies or opens fell below its own baseline; resolved (per rule) when it measurably meets it again."""
PAUSED_ALERT: Final = "sending_paused"
"""The workspace's sending was paused on an error spike; resolved when a manager resumes it (`/sending_resume`)."""

ALERTS: Final[Mapping[ActionKind, tuple[str, Severity]]] = {
    ActionKind.COOLDOWN: (COOLDOWN_ALERT, Severity.WARNING),
    ActionKind.CUT: ("volume_cut", Severity.WARNING),
    ActionKind.DISABLE: ("mailbox_disabled", Severity.CRITICAL),
    ActionKind.ALERT: (ENGAGEMENT_ALERT, Severity.WARNING),
    ActionKind.PAUSE: (PAUSED_ALERT, Severity.CRITICAL),
}
"""The alert each kind of action raises (`engine.alerts` turns its kind into the message `alert-<kind>`)."""


RESOLVES: Final[Mapping[ActionKind, str]] = {
    ActionKind.RETURN: COOLDOWN_ALERT,  # the cooldown is over
    ActionKind.RESTORE: "volume_cut",  # the volume is whole again (only at factor 1)
}
"""The alert an action clears."""


async def _resolve(kind: str, subject: str, workspace_id: int, clock: Clock) -> None:
    """Resolve the alerts of `kind` on `subject`: the condition cleared."""
    await alerts.resolve_alerts(kind, subject, workspace_id=workspace_id, clock=clock)


def _alert_params(data: Mapping[str, Any]) -> dict[str, Any]:
    """The alert message's parameters: rates as whole percents (rates below 1), the rest as they are."""
    params = dict(data)
    for name in ("rate", "threshold", "baseline", "share"):
        value = params.get(name)
        if isinstance(value, float) and value <= 1:
            params[name + "_pct"] = round(value * 100, 1)
        elif value is not None:
            params[name + "_pct"] = value
    return params


async def _set_factor(
    model: type[Mailbox] | type[Domain],
    ident: int,
    *,
    current: float,
    changed_at: dt.datetime | None,
    action: Action,
    now: dt.datetime,
) -> bool:
    """Move a health factor from the value it was read with (so two workers never both cut it)."""
    assert action.factor is not None
    if action.kind is ActionKind.CUT:
        reason = action.rule.value
    else:
        reason = "" if action.factor >= 1.0 else RECOVERING + (await _base_reason(model, ident))
    query = model.filter(id=ident, health_factor=current)
    query = query.filter(health_changed_at=changed_at) if changed_at else query.filter(health_changed_at=None)
    moved = await query.update(health_factor=action.factor, health_reason=reason[:64], health_changed_at=now)
    return moved == 1


async def _base_reason(model: type[Mailbox] | type[Domain], ident: int) -> str:
    row = await model.get(id=ident)
    return row.health_reason.removeprefix(RECOVERING)


async def _mailbox_action(
    box: Mailbox, action: Action, th: Thresholds, clock: Clock, data: dict[str, Any], *, timezone: str
) -> bool:
    now = clock.now()
    reason = f"monitoring: {action.rule.value}"
    if action.kind is ActionKind.COOLDOWN:
        until = now + dt.timedelta(days=action.days or th.cooldown_days)
        data["until"] = local_time(until, timezone)  # on the workspace's clock, as /why and /health show it
        await transition_mailbox(
            box, MailboxStatus.COOLDOWN, clock=clock, reason=reason, extra={"cooldown_until": until}
        )
        return True
    if action.kind is ActionKind.RETURN:
        target = MailboxStatus.ACTIVE if box.graduated_at is not None else MailboxStatus.WARMING
        extra: dict[str, Any] = {"cooldown_until": None}
        if target is MailboxStatus.WARMING:  # its ramp goes on from where the cooldown stopped it
            extra |= after_standstill(
                started_on=box.warmup_started_on, paused_at=box.warmup_paused_at, stopped_at=box.status_changed_at,
                now=now, zone=zone(timezone),
            )  # fmt: skip
        await transition_mailbox(box, target, clock=clock, reason=reason, extra=extra)
        return True
    if action.kind is ActionKind.DISABLE:
        await transition_mailbox(box, MailboxStatus.DISABLED, clock=clock, reason=reason)
        return True
    if action.kind in (ActionKind.CUT, ActionKind.RESTORE):
        return await _set_factor(
            Mailbox, box.id, current=box.health_factor, changed_at=box.health_changed_at, action=action, now=now
        )
    return action.kind is ActionKind.ALERT


async def _pause(space: Workspace, data: dict[str, Any], clock: Clock) -> bool:
    now = clock.now()
    async with in_transaction():
        row = await Workspace.filter(id=space.id).select_for_update().get()
        settings = dict(row.settings or {})
        if settings.get("sending_paused") is True:
            return False
        settings["sending_paused"] = True
        settings["sending_paused_reason"] = "monitoring: error_spike"
        row.settings = settings
        await row.save(update_fields=["settings"])
        await AuditLog.create(
            workspace_id=space.id,
            actor_id=None,
            action="monitoring.pause",
            subject=f"workspace:{space.id}",
            data=data,
            created_at=now,
        )
    await raise_alert(
        workspace_id=space.id,
        kind=PAUSED_ALERT,
        severity=Severity.CRITICAL,
        subject=f"workspace:{space.id}",
        key="error_spike",
        data=_alert_params({**data, "subject": space.slug}),
        now=now,
    )
    return True

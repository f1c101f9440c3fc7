"""Protection rules: thresholds (defaults, agency defaults, per-workspace overrides within safe bounds) and what
they decide from a subject's counters. Pure: plain values in, `Action`s out; `engine.monitoring.service` applies.

Defaults (each changeable within `BOUNDS`):
- hard bounces ≥ 5 % of ≥ 40 sends → the mailbox cools down for 3 days;
- blocks ("554 5.7.1 … blocked") ≥ 3 % of ≥ 40 sends, or warmup spam ≥ 30 % of ≥ 20 checks → the volume is cut
  ×0.5: for the mailbox, or for its domain when at least half of the domain's mailboxes trip;
- ≥ 3 consecutive auth failures, or ≥ 10 SMTP errors in a day → the mailbox is disabled, with an alert;
- reply (or measured open) rate below 50 % of the mailbox's own 14-day baseline, both with enough sends → alert
  (the recent 3 days end 2 days ago: answers to newer mail are still on their way);
- ≥ 20 % of ≥ 100 attempts today failing or blocked in a workspace → its sending pauses, critical alert.
A cut volume climbs back one step (+0.25) per clean day: a day with sends on which no volume rule tripped.
A rate below its minimum sample never trips anything ("not enough data").
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from engine.errors import UserError
from engine.monitoring.metrics import Counts, Minimums, Rate, rate
from models.enums import MailboxStatus

FACTOR_FLOOR: Final = 0.25  # repeated cuts never take a mailbox below a quarter of its cap: it must keep a sample
RECOVERING: Final = "recovering:"  # `health_reason` prefix once the factor has started to climb back


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The protection thresholds of one workspace."""

    hard_bounce_rate: float = 0.05
    hard_bounce_min_sent: int = 40
    cooldown_days: int = 3
    block_rate: float = 0.03
    block_min_sent: int = 40
    warmup_spam_rate: float = 0.30
    warmup_min_checks: int = 20
    volume_cut: float = 0.5  # the factor a trip multiplies the volume by
    recovery_step: float = 0.25  # added back per clean day
    auth_failures: int = 3
    smtp_errors_per_day: int = 10
    engagement_drop: float = 0.5  # alert below this share of the mailbox's own baseline
    engagement_min_sent: int = 100
    spike_rate: float = 0.20
    spike_min_sent: int = 100

    @classmethod
    def resolve(cls, agency: Mapping[str, Any] | None, workspace: Mapping[str, Any] | None) -> Thresholds:
        """Code defaults, then the agency's defaults (`AgencySetting "thresholds"`), then the workspace's
        (`Workspace.settings["thresholds"]`). A stored value out of bounds is ignored (the safer layer below
        stays), so a bad row never disables protection."""
        result = cls()
        for layer in (agency, workspace):
            for name, value in dict(layer or {}).items():
                try:
                    result = result.with_values({name: value})
                except UserError:
                    continue
        return result

    def with_values(self, values: Mapping[str, Any]) -> Thresholds:
        """A copy with `values` applied (strings are parsed, as typed in chat).

        Raises `UserError("error-threshold-unknown", name=…, known=…)` or
        `UserError("error-threshold-value", name=…, value=…, bounds=…)`; nothing changes then."""
        changes: dict[str, Any] = {name: parse(name, value) for name, value in values.items()}
        return dataclasses.replace(self, **changes)

    @property
    def minimums(self) -> Minimums:
        """The samples these rules need before a rate counts: what /health shows rates from."""
        return Minimums(
            hard_bounce=self.hard_bounce_min_sent, block=self.block_min_sent, placement=self.warmup_min_checks
        )

    def to_json(self, base: Thresholds | None = None) -> dict[str, Any]:
        """The values that differ from `base` (default: the code defaults): what is stored."""
        base = base or Thresholds()
        return {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if getattr(self, f.name) != getattr(base, f.name)
        }


BOUNDS: Final[Mapping[str, tuple[float, float]]] = {
    "hard_bounce_rate": (0.01, 0.10),
    "hard_bounce_min_sent": (20, 500),
    "cooldown_days": (1, 14),
    "block_rate": (0.01, 0.10),
    "block_min_sent": (20, 500),
    "warmup_spam_rate": (0.10, 0.50),
    "warmup_min_checks": (10, 200),
    "volume_cut": (0.25, 0.75),
    "recovery_step": (0.1, 0.5),
    "auth_failures": (1, 10),
    "smtp_errors_per_day": (3, 50),
    "engagement_drop": (0.2, 0.8),
    "engagement_min_sent": (50, 1000),
    "spike_rate": (0.05, 0.50),
    "spike_min_sent": (50, 5000),
}
"""Safe ranges (inclusive): loose enough to fit an agency, tight enough that protection cannot be switched off."""


def parse(name: str, value: Any) -> float | int:
    """A threshold value checked against its bounds. Rates may be typed as shares (0.05) or percents (5 %)."""
    key = str(name).strip().lower()
    bounds = BOUNDS.get(key)
    if bounds is None:
        raise UserError("error-threshold-unknown", name=str(name)[:40], known=", ".join(BOUNDS))
    low, high = bounds
    is_int = isinstance(getattr(Thresholds(), key), int)
    shown = str(value).strip()[:40]  # quoted back as typed ("2,5", not "2.5")
    text = str(value).strip().replace(",", ".")
    percent = text.endswith("%")
    try:
        number = float(text.rstrip("%").strip())
    except ValueError:
        number = float("nan")
    if percent or (not is_int and number >= 1 and high < 1):
        number /= 100  # "5" or "5%" for a rate means 5 %; "1" is 1 % (a share of 100 % is never in bounds)
    if is_int and math.isfinite(number) and number != int(number):
        number = float("nan")
    if not low <= number <= high:  # NaN fails too
        raise UserError("error-threshold-value", name=key, value=shown, bounds=f"{low}–{high}")
    return int(number) if is_int else round(number, 4)


class ActionKind(StrEnum):
    COOLDOWN = "cooldown"  # the mailbox stops for `Thresholds.cooldown_days`
    RETURN = "return"  # its cooldown is over: back to sending
    CUT = "cut"  # volume × factor (mailbox or domain)
    RESTORE = "restore"  # one step back up after a clean day
    DISABLE = "disable"  # repeated auth or SMTP failures
    ALERT = "alert"  # only tell people
    PAUSE = "pause"  # the whole workspace stops sending


class Rule(StrEnum):
    HARD_BOUNCE = "hard_bounce"
    BLOCK = "block_rate"
    WARMUP_SPAM = "warmup_spam"
    AUTH = "auth_failures"
    SMTP = "smtp_errors"
    REPLY_DROP = "reply_drop"
    OPEN_DROP = "open_drop"
    SPIKE = "error_spike"
    COOLDOWN_OVER = "cooldown_over"
    CLEAN_DAY = "clean_day"


@dataclass(frozen=True, slots=True)
class Evidence:
    """The numbers behind an action: what was measured, over how much, against which threshold, in which window."""

    value: float
    part: int
    sample: int
    threshold: float
    window: str
    baseline: float | None = None  # engagement: the mailbox's own rate the threshold is a share of
    share: float | None = None  # engagement: that share (`Thresholds.engagement_drop`)

    def to_json(self) -> dict[str, Any]:
        found = {
            "rate": round(self.value, 4),
            "part": self.part,
            "sample": self.sample,
            "threshold": self.threshold,
            "window": self.window,
            # read as `window` in each chat's language when the alert is sent (`engine.notify.render`)
            "window_keys": [window_key(self.window)],
        }
        if self.baseline is not None:
            found |= {"baseline": round(self.baseline, 4), "share": self.share}
        return found


def window_key(window: str) -> str:
    """The catalog key of the window a rule measured (`1d`, `7d`, `3d/14d`, `consecutive`)."""
    return "monitoring-window-" + window.replace("/", "-")


@dataclass(frozen=True, slots=True)
class Action:
    kind: ActionKind
    subject: str  # "mailbox:12", "domain:3", "workspace:1"
    rule: Rule
    evidence: Evidence | None = None
    factor: float | None = None  # CUT / RESTORE: the new factor
    days: int | None = None  # COOLDOWN: how long


@dataclass(frozen=True, slots=True)
class MailboxFacts:
    """What the rules read of one mailbox. `window`: its counters since its last protective change (at most 7
    days, `trip_window_start`); `yesterday`: yesterday's counters when yesterday counts as a possible clean day
    (after its last change), else None; `recent`/`baseline`: 3 days ending 2 days ago and the 14 days before."""

    mailbox_id: int
    domain_id: int
    status: MailboxStatus
    auth_failures: int
    health_factor: float
    cooldown_over: bool  # in cooldown and `cooldown_until` has passed
    graduated: bool
    window: Counts
    today: Counts
    yesterday: Counts | None = None
    recent: Counts = field(default_factory=Counts)
    baseline: Counts = field(default_factory=Counts)


@dataclass(frozen=True, slots=True)
class DomainFacts:
    domain_id: int
    health_factor: float
    yesterday: Counts | None = None  # as for a mailbox


@dataclass(frozen=True, slots=True)
class WorkspaceFacts:
    workspace_id: int
    paused: bool
    today: Counts


SENDING: Final = frozenset({MailboxStatus.ACTIVE, MailboxStatus.WARMING})


def trip_window_start(today: dt.date, *, changed_on: dt.date | None, recovering: bool) -> dt.date:
    """The first day whose counters may trip a rule again: at most 7 days back, and never the day of the last
    cut (its counters caused it — counting them again would cut twice); a climb keeps its own day."""
    start = today - dt.timedelta(days=6)
    if changed_on is not None:
        start = max(start, changed_on if recovering else changed_on + dt.timedelta(days=1))
    return start


def clean_day_counts(
    today: dt.date, *, changed_on: dt.date | None, recovering: bool, yesterday: Counts | None
) -> Counts | None:
    """Yesterday's counters when yesterday may count as a clean day (it came after the last cut, or is the day of
    the last climb or later), else None."""
    if yesterday is None or changed_on is None:
        return None
    day = today - dt.timedelta(days=1)
    return yesterday if (day >= changed_on if recovering else day > changed_on) else None


def _over(r: Rate, threshold: float, window: str) -> Evidence | None:
    value = r.value
    if value is None or value < threshold:
        return None
    return Evidence(value=value, part=r.part, sample=r.sample, threshold=threshold, window=window)


def hard_bounce(c: Counts, th: Thresholds, window: str = "7d") -> Evidence | None:
    return _over(rate(c.bounces_hard, c.sent, th.hard_bounce_min_sent), th.hard_bounce_rate, window)


def volume_trip(c: Counts, th: Thresholds, window: str = "7d") -> tuple[Rule, Evidence] | None:
    """The block-rate or warmup-spam rule tripping on `c`, if one does (block first)."""
    blocked = _over(rate(c.bounces_block, c.sent, th.block_min_sent), th.block_rate, window)
    if blocked:
        return Rule.BLOCK, blocked
    checks = c.warmup_inbox + c.warmup_spam
    spam = _over(rate(c.warmup_spam, checks, th.warmup_min_checks), th.warmup_spam_rate, window)
    return (Rule.WARMUP_SPAM, spam) if spam else None


def is_clean(c: Counts | None, th: Thresholds) -> bool:
    """A clean day: the subject sent, and neither volume rule nor the hard-bounce rule trips on it."""
    if c is None or c.sent <= 0:
        return False
    return volume_trip(c, th, "1d") is None and hard_bounce(c, th, "1d") is None


def step_up(factor: float, th: Thresholds) -> float:
    return min(1.0, round(factor + th.recovery_step, 4))


def cut(factor: float, th: Thresholds) -> float:
    return max(FACTOR_FLOOR, round(min(1.0, factor) * th.volume_cut, 4))


def failures(box: MailboxFacts, th: Thresholds) -> tuple[Rule, Evidence] | None:
    if box.auth_failures >= th.auth_failures:
        ev = Evidence(float(box.auth_failures), box.auth_failures, box.auth_failures, th.auth_failures, "consecutive")
        return Rule.AUTH, ev
    if box.today.smtp_errors >= th.smtp_errors_per_day:
        n = box.today.smtp_errors
        return Rule.SMTP, Evidence(float(n), n, n + box.today.sent, th.smtp_errors_per_day, "1d")
    return None


def _engagement_rates(box: MailboxFacts, th: Thresholds) -> list[tuple[Rule, float, int, int, float]]:
    """Reply (and measured open) rates with enough sends on both sides: (rule, recent rate, part, sample, the
    mailbox's 14-day baseline)."""
    pairs = (
        (Rule.REPLY_DROP, box.recent.replies, box.recent.outreach, box.baseline.replies, box.baseline.outreach),
        (
            Rule.OPEN_DROP,
            box.recent.opens,
            box.recent.measured_sent or 0,
            box.baseline.opens,
            box.baseline.measured_sent or 0,
        ),
    )
    found = []
    for rule, part, sample, base_part, base_sample in pairs:
        now_rate = rate(part, sample, th.engagement_min_sent).value
        base = rate(base_part, base_sample, th.engagement_min_sent).value
        if now_rate is None or base is None or base <= 0:
            continue  # not enough data on either side: no verdict
        found.append((rule, now_rate, part, sample, base))
    return found


def engagement(box: MailboxFacts, th: Thresholds) -> list[tuple[Rule, Evidence]]:
    """Reply (and measured open) rates that fell below `engagement_drop` × the mailbox's 14-day baseline."""
    found: list[tuple[Rule, Evidence]] = []
    for rule, now_rate, part, sample, base in _engagement_rates(box, th):
        if now_rate < th.engagement_drop * base:
            threshold = round(th.engagement_drop * base, 4)
            found.append((rule, Evidence(now_rate, part, sample, threshold, "3d/14d", base, th.engagement_drop)))
    return found


def engagement_recovered(box: MailboxFacts, th: Thresholds) -> list[Rule]:
    """The engagement rules a mailbox measurably meets again (a drop they alerted on is over); a rate without
    enough sends on either side says nothing either way."""
    return [rule for rule, now_rate, _, _, base in _engagement_rates(box, th) if now_rate >= th.engagement_drop * base]


def spike(ws: WorkspaceFacts, th: Thresholds) -> Evidence | None:
    """Today's share of failed or blocked attempts in the workspace."""
    t = ws.today
    failed = t.smtp_errors + t.auth_errors + t.bounces_block
    attempts = t.sent + t.smtp_errors + t.auth_errors
    return _over(rate(failed, attempts, th.spike_min_sent), th.spike_rate, "1d")


def decide(
    workspace: WorkspaceFacts,
    mailboxes: Sequence[MailboxFacts],
    domains: Mapping[int, DomainFacts],
    th: Thresholds,
) -> list[Action]:
    """Everything the rules ask for in one workspace, in the order it should be applied."""
    actions: list[Action] = []
    if not workspace.paused and (ev := spike(workspace, th)):
        actions.append(Action(ActionKind.PAUSE, f"workspace:{workspace.workspace_id}", Rule.SPIKE, ev))
    volume: dict[int, list[tuple[MailboxFacts, Rule, Evidence]]] = {}
    members: dict[int, int] = {}
    for box in mailboxes:
        if box.status in SENDING or box.status is MailboxStatus.COOLDOWN:
            members[box.domain_id] = members.get(box.domain_id, 0) + 1
        actions.extend(_mailbox(box, th, volume))
    actions.extend(_cuts(volume, members, domains, th))
    for domain in domains.values():
        if domain.domain_id in volume or domain.health_factor >= 1.0 or not is_clean(domain.yesterday, th):
            continue
        factor = step_up(domain.health_factor, th)
        actions.append(Action(ActionKind.RESTORE, f"domain:{domain.domain_id}", Rule.CLEAN_DAY, factor=factor))
    return actions


def _mailbox(
    box: MailboxFacts, th: Thresholds, volume: dict[int, list[tuple[MailboxFacts, Rule, Evidence]]]
) -> list[Action]:
    """One mailbox's actions; its volume trips go to `volume` (decided per domain)."""
    subject = f"mailbox:{box.mailbox_id}"
    if box.status is MailboxStatus.COOLDOWN and box.cooldown_over:
        return [Action(ActionKind.RETURN, subject, Rule.COOLDOWN_OVER)]
    if box.status not in SENDING:
        return []
    if failed := failures(box, th):
        return [Action(ActionKind.DISABLE, subject, failed[0], failed[1])]
    if ev := hard_bounce(box.window, th):
        return [Action(ActionKind.COOLDOWN, subject, Rule.HARD_BOUNCE, ev, days=th.cooldown_days)]
    actions: list[Action] = []
    if trip := volume_trip(box.window, th):
        volume.setdefault(box.domain_id, []).append((box, trip[0], trip[1]))
    elif box.health_factor < 1.0 and is_clean(box.yesterday, th):
        actions.append(Action(ActionKind.RESTORE, subject, Rule.CLEAN_DAY, factor=step_up(box.health_factor, th)))
    actions.extend(Action(ActionKind.ALERT, subject, rule, ev) for rule, ev in engagement(box, th))
    return actions


def _cuts(
    volume: Mapping[int, list[tuple[MailboxFacts, Rule, Evidence]]],
    members: Mapping[int, int],
    domains: Mapping[int, DomainFacts],
    th: Thresholds,
) -> list[Action]:
    """Volume cuts: the domain's when at least half of its (two or more) mailboxes trip, else each mailbox's."""
    actions: list[Action] = []
    for domain_id, trips in sorted(volume.items()):
        domain = domains.get(domain_id)
        if domain is not None and members.get(domain_id, 0) >= 2 and 2 * len(trips) >= members[domain_id]:
            rule, ev = max(((r, e) for _, r, e in trips), key=lambda t: t[1].value)
            factor = cut(domain.health_factor, th)
            actions.append(Action(ActionKind.CUT, f"domain:{domain_id}", rule, ev, factor=factor))
            continue
        for box, rule, ev in trips:
            factor = cut(box.health_factor, th)
            actions.append(Action(ActionKind.CUT, f"mailbox:{box.mailbox_id}", rule, ev, factor=factor))
    return actions

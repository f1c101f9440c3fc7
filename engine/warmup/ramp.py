"""The warmup ramp: how many warmup emails one mailbox sends on one day. Pure policy over plain values.

The volume starts at `start_per_day`, grows by `step_per_day` each warmup day up to `target_per_day`, and moves by
a daily jitter of ± `variance` so it never looks machine-made. The jitter is seeded by the mailbox and the day:
the same mailbox on the same day always gets the same number (planning twice plans the same), two mailboxes on
one day and one mailbox on two days differ. The target is a ceiling: jitter never lifts a day above it, nor
above the provider's own limit. With `weekdays_only`, Saturdays and Sundays send nothing and do not advance the
ramp. After graduation a mailbox keeps a maintenance warmup of `maintenance_share` of its daily cap.

A workspace's ramp settings changed while its mailboxes warm do not recompute their ramps from their starts (day 15
of a ramp of 1 a day is 16; of 3 a day it would be 44: a jump overnight). Each warming mailbox keeps a `RampMark`
(`continue_mark`): the warmup day the change took effect and the volume it had reached then under the settings
before; from that day on its ramp goes from that volume toward the new target by the new step a day.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from engine.warmup.settings import WarmupSettings


def warmup_day(*, started_on: dt.date, day: dt.date, weekdays_only: bool = False) -> int:
    """The 1-based warmup day number of `day` (0 before the start; with `weekdays_only` weekends are not counted,
    and a weekend day reports the number of the last weekday before it)."""
    if day < started_on:
        return 0
    if not weekdays_only:
        return (day - started_on).days + 1
    return _weekdays_between(started_on, day)


def _weekdays_between(first: dt.date, last: dt.date) -> int:
    """Monday-to-Friday days in [first, last], inclusive."""
    days = (last - first).days + 1
    weeks, rest = divmod(days, 7)
    count = weeks * 5
    start = first.weekday()
    count += sum(1 for i in range(rest) if (start + i) % 7 < 5)
    return count


def jitter(*, mailbox_id: int, day: dt.date, variance: float) -> float:
    """A factor in [1 - variance, 1 + variance], the same for the same mailbox and day on every machine."""
    if variance <= 0:
        return 1.0
    digest = hashlib.blake2b(f"ramp:{mailbox_id}:{day.isoformat()}".encode(), digest_size=8).digest()
    unit = int.from_bytes(digest, "big") / 2**64  # [0, 1)
    return 1.0 + variance * (2.0 * unit - 1.0)


RampMark = tuple[int, int]
"""(warmup day number, volume): from that day of its warmup a mailbox's ramp continues from that volume
(`Mailbox.warmup_ramp_day`, `Mailbox.warmup_ramp_level`). Day numbers count as `warmup_day` does, so moving the start
forward after a pause (`resumed_start`) moves the mark with it."""


def mark_of(day: int | None, level: int | None) -> RampMark | None:
    """A mailbox's stored mark (None when its ramp was never continued after a settings change)."""
    return None if day is None or level is None else (day, level)


def base_target(settings: WarmupSettings, *, day_number: int, mark: RampMark | None = None) -> int:
    """The ramp before jitter on warmup day `day_number` (1-based): start, plus a step a day, up to the target; from
    the day of `mark` on: the mark's volume plus a step a day, up to the target (a target lowered below it is the
    ceiling at once)."""
    if day_number <= 0:
        return 0
    if mark is not None and day_number >= mark[0]:
        return max(1, min(settings.target_per_day, mark[1] + settings.step_per_day * (day_number - mark[0])))
    return min(settings.target_per_day, settings.start_per_day + settings.step_per_day * (day_number - 1))


RAMP_SETTINGS = frozenset({"start_per_day", "step_per_day", "target_per_day", "weekdays_only"})
"""The settings a mailbox's warmup volume follows: changing one of them mid-ramp sets a `continue_mark`."""


def continue_mark(
    before: WarmupSettings,
    after: WarmupSettings,
    *,
    started_on: dt.date,
    on: dt.date,
    mark: RampMark | None,
) -> RampMark | None:
    """The mark that makes a mailbox whose warmup started on `started_on` go on under `after` from the volume it had
    reached under `before` (and its `mark`) on `on` — today, or the last day it sent when it stands still (paused,
    cooling down, disabled); None when its warmup had not started by then (it starts on `after` alone)."""
    number = warmup_day(started_on=started_on, day=on, weekdays_only=before.weekdays_only)
    if number <= 0:
        return None
    level = base_target(before, day_number=number, mark=mark)
    return warmup_day(started_on=started_on, day=on, weekdays_only=after.weekdays_only), level


def daily_target(
    settings: WarmupSettings,
    *,
    mailbox_id: int,
    started_on: dt.date,
    day: dt.date,
    provider_limit: int | None = None,
    mark: RampMark | None = None,
) -> int:
    """Warmup emails `mailbox_id` should send on `day` when its warmup started on `started_on` (and its ramp
    continues from `mark`, `continue_mark`).

    0 before the start and, with `weekdays_only`, on weekends. Otherwise at least 1, at most the ramp's target
    and `provider_limit` (the provider's own daily limit, when it has one).
    """
    if day < started_on or (settings.weekdays_only and day.weekday() >= 5):
        return 0
    number = warmup_day(started_on=started_on, day=day, weekdays_only=settings.weekdays_only)
    base = base_target(settings, day_number=number, mark=mark)
    wanted = round(base * jitter(mailbox_id=mailbox_id, day=day, variance=settings.variance))
    ceiling = settings.target_per_day if provider_limit is None else min(settings.target_per_day, provider_limit)
    return max(0, min(max(1, wanted), ceiling))


def maintenance_target(settings: WarmupSettings, *, mailbox_id: int, day: dt.date, daily_cap: int) -> int:
    """Warmup emails a graduated mailbox keeps sending on `day`: `maintenance_share` of its daily cap, with the
    same daily jitter (0 on weekends with `weekdays_only`, 0 for a mailbox whose cap is 0)."""
    if daily_cap <= 0 or (settings.weekdays_only and day.weekday() >= 5):
        return 0
    base = settings.maintenance_share * daily_cap
    wanted = round(base * jitter(mailbox_id=mailbox_id, day=day, variance=settings.variance))
    return max(1, min(wanted, daily_cap))


def maintenance_base(daily_cap: int, domain_cap: int, domain_senders: int) -> int:
    """The cap a graduated mailbox's maintenance share is taken of: its own daily cap, or its even part of its
    domain's cap when the domain's sending mailboxes (`domain_senders`: warming or active) could not all send their
    caps. 20 mailboxes on a domain capped at 150 send 7 a day each at most; a share of their nominal 40 would fill
    the domain with maintenance warmup and leave their campaigns nothing."""
    return max(0, min(daily_cap, domain_cap // max(1, domain_senders)))


def volume_today(
    settings: WarmupSettings,
    *,
    mailbox_id: int,
    day: dt.date,
    started_on: dt.date | None,
    graduated: bool,
    provider_limit: int | None,
    maintenance_cap: int,
    mark: RampMark | None = None,
) -> int:
    """The warmup emails a mailbox sends on `day`, as the planner counts them: none before its warmup started, the
    ramp's target while it warms, once graduated the maintenance share of `maintenance_cap` (`maintenance_base`)."""
    if started_on is None:
        return 0
    if graduated:
        return maintenance_target(settings, mailbox_id=mailbox_id, day=day, daily_cap=maintenance_cap)
    return daily_target(
        settings, mailbox_id=mailbox_id, started_on=started_on, day=day, provider_limit=provider_limit, mark=mark
    )


def resumed_start(*, started_on: dt.date, stopped_on: dt.date, today: dt.date) -> dt.date:
    """Where a warmup that stood still from `stopped_on` (a pause, a disabled mailbox) until `today` starts counting
    from when it goes on: the start moved forward by the days it stood still, so the ramp continues at the level it
    had reached (never the level of the days it did not send, which a mailbox silent for weeks is not ready for)
    and the minimum period counts only the days it warmed."""
    return started_on + dt.timedelta(days=max(0, (today - stopped_on).days))


def after_standstill(
    *,
    started_on: dt.date | None,
    paused_at: dt.datetime | None,
    stopped_at: dt.datetime | None,
    now: dt.datetime,
    zone: dt.tzinfo,
) -> dict[str, Any]:
    """The warmup fields of a warming mailbox to write when it goes on after it stood still from `stopped_at` (a
    cooldown, its domain cooled) until `now`, on the workspace's day (`zone`): its start moved forward
    (`resumed_start`), so it does not jump the ramp by the days it sent nothing; with its warmup paused meanwhile,
    the pause dated back to `stopped_at`, so `/warmup_start` moves the start by every day it stood still."""
    if started_on is None or stopped_at is None:
        return {}
    if paused_at is not None:
        return {"warmup_paused_at": min(paused_at, stopped_at)}
    stopped_on, today = stopped_at.astimezone(zone).date(), now.astimezone(zone).date()
    return {"warmup_started_on": resumed_start(started_on=started_on, stopped_on=stopped_on, today=today)}


def ramp_length_days(settings: WarmupSettings) -> int:
    """Warmup days until the ramp reaches its target (1 when it starts there)."""
    gap = max(0, settings.target_per_day - settings.start_per_day)
    return 1 + -(-gap // settings.step_per_day)

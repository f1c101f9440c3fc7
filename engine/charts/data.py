"""Chart data from plain values: series per day, the top domains and "other", rates with gaps (pure)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from engine.errors import UserError
from engine.monitoring.metrics import Counts, Minimums, Rate, rate

DEFAULT_DAYS: Final = 14
MAX_DAYS: Final = 92
"""The longest period a chart covers: a quarter; more bars would not read on a phone."""
TOP_DOMAINS: Final = 6
"""Volume shows this many domains by name; the rest are summed as "other"."""
OTHER: Final = ""
"""The key of the "other" series (the renderer shows a localized label)."""


_PERIOD: Final = re.compile(
    r"(\d{1,8})\s*(?:(d|д|дн\.?|день|дня|дней|days?)|(w|н|нед\.?|неделя|недели|недель|weeks?))?"
)
"""A number of days or weeks as typed: `14`, `14d`, `2w`, `14 дней`, `2 недели`, `2 weeks` (as /report reads them)."""
PERIOD_MAX_CHARS: Final = 16  # "14 дней", "12 недель"


def parse_period(text: str | None, *, default: int = DEFAULT_DAYS) -> int:
    """`14`, `14d`, `2w`, `14 дней` → a number of days in 1…MAX_DAYS; anything else →
    `UserError("chart-error-period")`."""
    if not text:
        return default
    found = _PERIOD.fullmatch(text.strip().lower()[:PERIOD_MAX_CHARS])
    if found is None or not found.group(1).isascii():
        raise UserError("chart-error-period", period=text[:20], max=MAX_DAYS)
    days = int(found.group(1)) * (7 if found.group(3) else 1)
    if not 1 <= days <= MAX_DAYS:
        raise UserError("chart-error-period", period=text[:20], max=MAX_DAYS)
    return days


def day_range(last: dt.date, days: int) -> list[dt.date]:
    """The `days` calendar days ending `last`, oldest first."""
    return [last - dt.timedelta(days=days - 1 - i) for i in range(days)]


@dataclass(frozen=True)
class Volume:
    """Sends per day for each shown domain (name → one value per day); `OTHER` sums the rest."""

    days: tuple[dt.date, ...]
    series: Mapping[str, tuple[int, ...]]

    @property
    def total(self) -> int:
        return sum(sum(v) for v in self.series.values())


def volume(days: Sequence[dt.date], sent: Mapping[str, Mapping[dt.date, int]], top: int = TOP_DOMAINS) -> Volume:
    """The `top` domains by sends over `days` by name, the rest summed as `OTHER` (only if any sent)."""
    totals = {name: sum(per.get(d, 0) for d in days) for name, per in sent.items()}
    ranked = sorted((n for n, t in totals.items() if t > 0), key=lambda n: (-totals[n], n))
    shown, rest = ranked[:top], ranked[top:]
    series: dict[str, tuple[int, ...]] = {n: tuple(sent[n].get(d, 0) for d in days) for n in shown}
    if rest:
        series[OTHER] = tuple(sum(sent[n].get(d, 0) for n in rest) for d in days)
    return Volume(tuple(days), series)


RATE_NAMES: Final = ("reply", "hard_bounce", "block")


@dataclass(frozen=True)
class Rates:
    """A rate per day for each of RATE_NAMES; None on a day with too few sends (a gap, never 0 %)."""

    days: tuple[dt.date, ...]
    series: Mapping[str, tuple[float | None, ...]]
    sent: int = 0
    """Every send of the period: with none of its days measured, mail may still have gone out (too little of it
    to judge a day), which is not "no data"."""

    @property
    def measured(self) -> bool:
        return any(v is not None for s in self.series.values() for v in s)


def day_rates(counts: Counts, least: Minimums | None = None) -> dict[str, Rate]:
    """Reply, hard-bounce and block rates of one day's counters, each with its sample. Hard bounces and blocks are
    the rates the rules judge, each from its minimum (`least`: the workspace's `minimums_of`), so the chart draws no
    point where /health says there are too few sends to judge; soft bounces, which no rule judges, are in none.
    Replies from `least.rates`."""
    least = least or Minimums()
    return {
        "reply": rate(counts.replies, counts.outreach, least.rates),
        "hard_bounce": rate(counts.bounces_hard, counts.sent, least.hard_bounce),
        "block": rate(counts.bounces_block, counts.sent, least.block),
    }


def rates(days: Sequence[dt.date], rows: Mapping[dt.date, Counts], least: Minimums | None = None) -> Rates:
    per_day = [day_rates(rows.get(d, Counts()), least) for d in days]
    sent = sum(rows.get(d, Counts()).sent for d in days)
    return Rates(tuple(days), {n: tuple(r[n].value for r in per_day) for n in RATE_NAMES}, sent)


@dataclass(frozen=True)
class Warmup:
    """Mailboxes by warmup stage today, and the warmup checks of each day (inbox and spam placements)."""

    stages: Mapping[str, int]
    days: tuple[dt.date, ...]
    inbox: tuple[int, ...]
    spam: tuple[int, ...]


def warmup(stages: Mapping[str, int], days: Sequence[dt.date], rows: Mapping[dt.date, Counts]) -> Warmup:
    return Warmup(
        dict(stages),
        tuple(days),
        tuple(rows.get(d, Counts()).warmup_inbox for d in days),
        tuple(rows.get(d, Counts()).warmup_spam for d in days),
    )


POOL_PARTS: Final = ("active", "ready", "warming", "cooling", "burned")


@dataclass(frozen=True)
class Pool:
    """Domains by where they stand: active, ready reserve, warming reserve, cooling, burned this month."""

    parts: Mapping[str, int]
    target: int  # the reserve the workspace wants ready

"""Health metrics of a mailbox, a domain, a campaign or a workspace over a window, each rate with its sample.

Pure part: `Counts` (sums of `DailyStat` counters over some days) → `Metrics` (rates). A rate whose sample is
below its minimum is "not enough data" (`Rate.value is None`), never 0 %; an open rate is only measured where
the mail carried a pixel (campaigns that opted into HTML), else it is "not measured".

Windows: "1d" is today's daily row, "7d" the seven daily rows ending today (the calendar days of the workspace's
time zone, as `engine.stats` counts them — never prorated), "last100" the last 100 sends of a mailbox read from
`outbound_message` and their events. The loaders at the bottom read the database; everything else is pure.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any, Final

from tortoise import connections

from models.enums import StatScope

MIN_SAMPLE: Final = 20
"""Below this many sends (or warmup checks), a rate is "not enough data": 1 bounce in 3 sends says nothing."""
LAST_SENDS: Final = 100  # the "last 100" window


class Window(StrEnum):
    DAY = "1d"
    WEEK = "7d"
    LAST100 = "last100"


WINDOW_DAYS: Final = {Window.DAY: 1, Window.WEEK: 7}


@dataclass(frozen=True, slots=True)
class Counts:
    """Counters summed over a window. `sent` counts every message sent, `warmup_sent` the warmup ones among them
    (`outreach`: the rest), `pixel_sent` those that carried an open pixel (`measured_sent`)."""

    sent: int = 0
    warmup_sent: int = 0
    opens: int = 0
    replies: int = 0
    bounces_hard: int = 0
    bounces_soft: int = 0
    bounces_block: int = 0
    complaints: int = 0
    unsubscribes: int = 0
    warmup_inbox: int = 0
    warmup_spam: int = 0
    smtp_errors: int = 0
    auth_errors: int = 0
    pixel_sent: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(*map(operator.add, _VALUES(self), _VALUES(other)))

    @property
    def measured_sent(self) -> int | None:
        """The sample of the open rate: the sends that carried an open pixel; None when none did (opens are not
        measured, never 0 %)."""
        return self.pixel_sent or None

    @property
    def outreach(self) -> int:
        """The sends that a person may answer (campaign and test mail): the sample of reply, complaint and
        unsubscribe rates. Bounces and blocks are over `sent`: a warmup message bounces as well."""
        return max(0, self.sent - self.warmup_sent)

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> Counts:
        """The counters of a `DailyStat` row (or any mapping with those names); missing ones are 0."""
        return cls(*[int(row.get(n) or 0) for n in _COUNTERS])


_COUNTERS: Final = tuple(f.name for f in fields(Counts))
"""The summed counters, in field order (hot loops avoid `dataclasses.fields`)."""


_VALUES: Final = operator.attrgetter(*_COUNTERS)


def total(items: Iterable[Counts]) -> Counts:
    """The sum of `items` (monitoring sums a month of days for every mailbox on every run: one pass, in C where it
    can be)."""
    listed = list(items)
    if not listed:
        return Counts()
    return Counts(*map(sum, zip(*map(_VALUES, listed), strict=True)))


@dataclass(frozen=True, slots=True)
class Rate:
    """`part` of `sample`. `value` None: not enough data (`sample < min_sample`) or not measured."""

    part: int
    sample: int
    min_sample: int
    measured: bool = True

    @property
    def value(self) -> float | None:
        if not self.measured or self.sample < self.min_sample or self.sample <= 0:
            return None
        return self.part / self.sample

    @property
    def enough(self) -> bool:
        return self.value is not None

    @property
    def percent(self) -> float | None:
        """The value in percent as people read it: one decimal, and more for a small share that is not zero (1 of
        14,873 reads 0.01 %, never 0 % beside the 1 it counts)."""
        value = self.value
        if value is None:
            return None
        shown = round(value * 100, 1)
        digits = 1
        while shown == 0 and self.part > 0 and digits < 4:
            digits += 1
            shown = round(value * 100, digits)
        return shown


def rate(part: int, sample: int, min_sample: int = MIN_SAMPLE, *, measured: bool = True) -> Rate:
    return Rate(part=max(0, part), sample=max(0, sample), min_sample=max(1, min_sample), measured=measured)


@dataclass(frozen=True, slots=True)
class Metrics:
    """The rates of one subject over one window."""

    window: Window
    sent: int
    open_rate: Rate
    reply_rate: Rate
    hard_bounce_rate: Rate
    soft_bounce_rate: Rate
    block_rate: Rate
    complaint_rate: Rate
    unsubscribe_rate: Rate
    placement: Rate  # warmup inbox / (inbox + spam)
    smtp_errors: int
    auth_errors: int

    @property
    def warmup_spam_rate(self) -> Rate:
        p = self.placement
        return Rate(part=p.sample - p.part, sample=p.sample, min_sample=p.min_sample, measured=p.measured)


@dataclass(frozen=True, slots=True)
class Minimums:
    """The samples below which a rate is "not enough data". Hard bounces, blocks and warmup placement are the
    rates protection acts on: a report shows them from the same minimums the rules read
    (`Thresholds.minimums`), so a rate shown is a rate the rules judged."""

    rates: int = MIN_SAMPLE
    hard_bounce: int = MIN_SAMPLE
    block: int = MIN_SAMPLE
    placement: int = MIN_SAMPLE


def compute(
    counts: Counts, window: Window, *, min_sample: int = MIN_SAMPLE, minimums: Minimums | None = None
) -> Metrics:
    """The rates of `counts`; each is "not enough data" below its minimum (`minimums`, else `min_sample`)."""
    c = counts
    least = minimums or Minimums(min_sample, min_sample, min_sample, min_sample)
    min_sample = least.rates
    opens_sample = c.measured_sent or 0
    return Metrics(
        window=window,
        sent=c.sent,
        open_rate=rate(c.opens, opens_sample, min_sample, measured=c.measured_sent is not None),
        reply_rate=rate(c.replies, c.outreach, min_sample),
        hard_bounce_rate=rate(c.bounces_hard, c.sent, least.hard_bounce),
        soft_bounce_rate=rate(c.bounces_soft, c.sent, min_sample),
        block_rate=rate(c.bounces_block, c.sent, least.block),
        complaint_rate=rate(c.complaints, c.outreach, min_sample),
        unsubscribe_rate=rate(c.unsubscribes, c.outreach, min_sample),
        placement=rate(c.warmup_inbox, c.warmup_inbox + c.warmup_spam, least.placement),
        smtp_errors=c.smtp_errors,
        auth_errors=c.auth_errors,
    )


def window_days(window: Window, today: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of a daily window ending `today`."""
    return today - dt.timedelta(days=WINDOW_DAYS[window] - 1), today


def sum_days(rows: Mapping[dt.date, Counts], first: dt.date, last: dt.date) -> Counts:
    """The counters of the days `first`…`last` (inclusive) of one subject."""
    return total(counts for day, counts in rows.items() if first <= day <= last)


# --- loaders -------------------------------------------------------------------------------------------------

_DAILY = f"""
SELECT scope_id, day, {", ".join(_COUNTERS)} FROM daily_stat
WHERE scope = $1 AND scope_id = ANY($2::int[]) AND day BETWEEN $3 AND $4
"""  # noqa: S608 - the constant counter names
"""The counters in `Counts`' field order: a row makes its `Counts` by position (monitoring reads a month of days
for every mailbox on every run; through a dict per row, that was half of a run's time)."""


async def daily_rows(
    scope: StatScope, ids: Sequence[int], first: dt.date, last: dt.date
) -> dict[int, dict[dt.date, Counts]]:
    """Each subject's daily counters for the days `first`…`last` (days without a row are absent)."""
    if not ids:
        return {}
    conn = connections.get("default")
    _, rows = await conn.execute_query(_DAILY, [scope.value, list(ids), first, last])
    found: dict[int, dict[dt.date, Counts]] = {}
    for r in rows:
        found.setdefault(r[0], {})[r[1]] = Counts(*r[2:])
    return found


_SPANS = f"""
SELECT w.n, {", ".join(f"sum(s.{c})" for c in _COUNTERS)}
FROM unnest($2::int[], $3::date[], $4::date[]) WITH ORDINALITY AS w(id, first, last, n)
JOIN daily_stat s ON s.scope = $1 AND s.scope_id = w.id AND s.day BETWEEN w.first AND w.last
GROUP BY w.n
"""  # noqa: S608 - the constant counter names


async def span_sums(scope: StatScope, spans: Sequence[tuple[int, dt.date, dt.date]]) -> list[Counts]:
    """The counters of each span (a subject's id, its first and last day, inclusive), summed by the server: one
    `Counts` per span, in order (empty for a span without rows). Monitoring sums five spans of every mailbox on
    every run; read as days and summed here, that was most of its time."""
    if not spans:
        return []
    conn = connections.get("default")
    ids, firsts, lasts = zip(*spans, strict=True)
    _, rows = await conn.execute_query(_SPANS, [scope.value, list(ids), list(firsts), list(lasts)])
    found = {r[0]: Counts(*r[1:]) for r in rows}  # sums of integers: bigint, ints as they come
    return [found.get(n, _NOTHING) for n in range(1, len(spans) + 1)]


_NOTHING: Final = Counts()
"""The counts of a span without rows (one instance: `Counts` is immutable)."""


# pixel_sent: the sends whose SENT event says they carried an open pixel (`engine.stats.PIXEL_DATA`); a person's
# repeated opt-out (`engine.inbox.REPEAT_DATA`: "отпишите" after the link, in another letter's thread) counts once
_LAST_SENDS = """
WITH last AS (
  SELECT m.id, m.kind FROM outbound_message m
  WHERE m.mailbox_id = $1 AND m.sent_at IS NOT NULL AND m.kind <> 'test'
  ORDER BY m.sent_at DESC LIMIT $2
)
SELECT (SELECT count(*) FROM last) AS sent,
       (SELECT count(*) FROM last WHERE kind = 'warmup') AS warmup_sent,
       count(DISTINCT e.message_id) FILTER (WHERE e.kind = 'sent' AND e.data ->> 'pixel' = 'true') AS pixel_sent,
       count(DISTINCT e.message_id) FILTER (WHERE e.kind = 'open') AS opens,
       count(DISTINCT e.message_id) FILTER (WHERE e.kind = 'reply') AS replies,
       count(DISTINCT e.message_id) FILTER (WHERE e.kind = 'bounce_hard') AS bounces_hard,
       count(DISTINCT e.message_id) FILTER (WHERE e.kind = 'bounce_soft') AS bounces_soft,
       count(DISTINCT e.message_id) FILTER (WHERE e.kind = 'bounce_block') AS bounces_block,
       count(DISTINCT e.message_id) FILTER (WHERE e.kind = 'complaint') AS complaints,
       count(DISTINCT e.message_id) FILTER (
           WHERE e.kind = 'unsubscribe' AND coalesce(e.data ->> 'repeat', '') <> 'true') AS unsubscribes,
       count(DISTINCT e.message_id) FILTER (WHERE e.kind = 'warmup_inbox') AS warmup_inbox,
       count(DISTINCT e.message_id) FILTER (WHERE e.kind = 'warmup_spam') AS warmup_spam
FROM event e WHERE e.message_id IN (SELECT id FROM last)
"""


async def last_sends(mailbox_id: int, limit: int = LAST_SENDS) -> Counts:
    """The counters of a mailbox's last `limit` sends (each message counted once per kind of event)."""
    conn = connections.get("default")
    rows = await conn.execute_query_dict(_LAST_SENDS, [mailbox_id, limit])
    return Counts.of(dict(rows[0]) if rows else {})

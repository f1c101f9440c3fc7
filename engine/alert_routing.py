"""Who hears an alert, and when: pure policy over plain values (the delivery code holds the Redis state).

Severity decides first: `info` only ever reaches the digest, `critical` always goes out at once, `warning` goes
out while the chat's budget for the window lasts and is held for the window's digest after that. The digest is
one message per chat and window: "12 more alerts: 7 bounce_spike, 5 dns_drift", with the top subjects of each.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

WINDOW_S: Final = 600
"""Seconds in one rate window of a chat: its alert budget is counted, and its digest sent, per window."""
PER_WINDOW: Final = 8
"""Alert messages a chat gets in one window before the rest waits for the digest (critical ones excepted)."""
TOP_KINDS: Final = 8
"""Kinds a digest names one by one; the rest are summed as "other"."""
TOP_SUBJECTS: Final = 5
"""Subjects a digest names for each kind."""
DIGEST_MAX_CHARS: Final = 3500
"""A digest stays well inside Telegram's 4,096 characters (title and hint included) and Slack's 3,000 a block."""


class Route(StrEnum):
    DIRECT = "direct"  # not an alert (an approval request): only the platform's per-minute limit applies
    SEND = "send"  # within the budget: a message of its own
    FORCE = "force"  # critical: a message of its own even over the budget
    HOLD = "hold"  # into the window's digest


def route(severity: str | None, used: int, per_window: int = PER_WINDOW) -> Route:
    """Where one notification goes in a chat that already got `used` alert messages this window.

    `severity` None is not an alert (an approval request): it is never held.
    """
    if severity is None:
        return Route.DIRECT
    if severity == "critical":
        return Route.FORCE
    if severity == "info":
        return Route.HOLD
    return Route.SEND if used < per_window else Route.HOLD


def window_of(moment: dt.datetime, window_s: int = WINDOW_S) -> int:
    """The number of the rate window `moment` falls in (windows are aligned on the epoch, in UTC)."""
    return int(moment.timestamp()) // window_s


@dataclass(frozen=True)
class Held:
    """One alert (or one resolution) waiting in a chat's digest."""

    kind: str
    subject: str
    resolved: bool = False


@dataclass(frozen=True)
class KindLine:
    kind: str
    count: int
    subjects: tuple[str, ...]  # the most frequent first, at most TOP_SUBJECTS
    more_subjects: int  # subjects not named


@dataclass(frozen=True)
class DigestSummary:
    total: int  # alerts held (resolutions not counted)
    kinds: tuple[KindLine, ...]  # most frequent first, at most TOP_KINDS
    other: int  # alerts of kinds not named
    resolved: int  # resolutions held


def summarize(items: Sequence[Held], top_kinds: int = TOP_KINDS, top_subjects: int = TOP_SUBJECTS) -> DigestSummary:
    """Count the held items by kind, most frequent first (ties by name), each with its most frequent subjects."""
    alerts = [i for i in items if not i.resolved]
    by_kind = Counter(i.kind for i in alerts)
    ordered = sorted(by_kind.items(), key=lambda kv: (-kv[1], kv[0]))
    lines = []
    for kind, count in ordered[:top_kinds]:
        subjects = Counter(i.subject for i in alerts if i.kind == kind)
        top = sorted(subjects.items(), key=lambda kv: (-kv[1], kv[0]))
        lines.append(KindLine(kind, count, tuple(s for s, _ in top[:top_subjects]), max(0, len(top) - top_subjects)))
    other = sum(count for _, count in ordered[top_kinds:])
    return DigestSummary(len(alerts), tuple(lines), other, len(items) - len(alerts))


def clip(text: str, limit: int = DIGEST_MAX_CHARS) -> str:
    """`text` cut at a line boundary to at most `limit` characters, with "…" when anything was cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    head = cut.rsplit("\n", 1)[0] if "\n" in cut else cut
    return head + "\n…"


SEVERITY_RANK: Final = {"critical": 0, "warning": 1, "info": 2}
"""Worst first."""


def age_parts(seconds: float) -> tuple[int, str]:
    """An age as (number, unit): minutes under two hours, hours under two days, then days."""
    minutes = max(0, int(seconds // 60))
    if minutes < 120:
        return minutes, "m"
    if minutes < 48 * 60:
        return minutes // 60, "h"
    return minutes // (24 * 60), "d"

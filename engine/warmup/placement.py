"""Inbox placement: the share of our warmup mail that reached the inbox rather than the spam folder, per mailbox,
domain or provider, over the last days.

The inbox sync counts each warmup message where it landed (`warmup_inbox` / `warmup_spam` in DailyStat, against the
sending mailbox and its domain). A score always comes with its sample size, and too small a sample is a state of
its own ("not enough data"), never 0 % nor 100 %: a new mailbox with two messages has proved nothing yet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from tortoise import connections

from models.enums import StatScope

DEFAULT_DAYS: Final = 14  # two weeks: long enough to smooth one bad day, short enough to show a trend
DEFAULT_MIN_SAMPLE: Final = 20  # below this many warmup messages a share says little (±20 points at 20)


class PlacementScope(StrEnum):
    MAILBOX = "mailbox"
    DOMAIN = "domain"
    PROVIDER = "provider"  # key: a `MailProvider` value; the workspace's mailboxes of that provider


class PlacementState(StrEnum):
    OK = "ok"
    NOT_ENOUGH_DATA = "not_enough_data"


@dataclass(frozen=True, slots=True)
class Placement:
    """Warmup mail that landed in the inbox and in spam over `days` days ending `until` (inclusive)."""

    inbox: int
    spam: int
    days: int
    until: dt.date
    min_sample: int = DEFAULT_MIN_SAMPLE

    @property
    def sample(self) -> int:
        return self.inbox + self.spam

    @property
    def state(self) -> PlacementState:
        return PlacementState.OK if self.sample >= max(1, self.min_sample) else PlacementState.NOT_ENOUGH_DATA

    @property
    def score(self) -> float | None:
        """The inbox share (0–1), or None while there is not enough data."""
        return self.inbox / self.sample if self.state is PlacementState.OK else None


_BY_SCOPE = """
SELECT scope_id AS key, coalesce(sum(warmup_inbox), 0) AS inbox, coalesce(sum(warmup_spam), 0) AS spam
FROM daily_stat
WHERE workspace_id = $1 AND scope = $2 AND scope_id = ANY($3::int[]) AND day > $4 AND day <= $5
GROUP BY scope_id
"""
_BY_PROVIDER = """
SELECT b.provider AS key, coalesce(sum(s.warmup_inbox), 0) AS inbox, coalesce(sum(s.warmup_spam), 0) AS spam
FROM daily_stat s JOIN mailbox b ON b.id = s.scope_id
WHERE s.workspace_id = $1 AND s.scope = 'mailbox' AND b.workspace_id = $1 AND b.provider = ANY($2::text[])
  AND s.day > $3 AND s.day <= $4
GROUP BY b.provider
"""


async def placements(
    workspace_id: int,
    scope: PlacementScope,
    keys: Iterable[int | str],
    *,
    until: dt.date,
    days: int = DEFAULT_DAYS,
    min_sample: int = DEFAULT_MIN_SAMPLE,
) -> dict[int | str, Placement]:
    """The placement of each key (mailbox ids, domain ids or provider names) in one query; a key without any
    warmup results gets an empty `Placement` (state NOT_ENOUGH_DATA). `until` is the workspace's local day."""
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return {}
    since = until - dt.timedelta(days=days)
    db = connections.get("default")
    if scope is PlacementScope.PROVIDER:
        rows = await db.execute_query_dict(_BY_PROVIDER, [workspace_id, [str(k) for k in wanted], since, until])
    else:
        stat = StatScope.MAILBOX if scope is PlacementScope.MAILBOX else StatScope.DOMAIN
        rows = await db.execute_query_dict(
            _BY_SCOPE, [workspace_id, stat.value, [int(k) for k in wanted], since, until]
        )
    found: Mapping[str, tuple[int, int]] = {str(r["key"]): (int(r["inbox"]), int(r["spam"])) for r in rows}
    return {
        key: Placement(*found.get(str(key), (0, 0)), days=days, until=until, min_sample=min_sample) for key in wanted
    }


async def placement(
    workspace_id: int,
    scope: PlacementScope,
    key: int | str,
    *,
    until: dt.date,
    days: int = DEFAULT_DAYS,
    min_sample: int = DEFAULT_MIN_SAMPLE,
) -> Placement:
    """The placement of one mailbox, domain or provider (see `placements`)."""
    found = await placements(workspace_id, scope, [key], until=until, days=days, min_sample=min_sample)
    return found[key]

"""The effective daily cap of a mailbox: the lowest of every limit that applies, and which one binds.

Pure policy over plain values. A mailbox's own limits (provider, warmup stage, health factor × base cap, its own
cap, campaign cap) bound it alone; the domain's and the workspace's caps are totals shared by their mailboxes,
so `share` splits what is left of them among the mailboxes that want it. Every kind of mail (warmup and
campaign) counts toward every cap: the caller passes what was already used today by all kinds.

When two limits are equal, the first in `ORDER` is named: the most specific reason to a person asking "why".
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from models.enums import CapKind

ORDER: Final[tuple[CapKind, ...]] = (
    CapKind.STATUS,
    CapKind.PROVIDER,
    CapKind.HEALTH,
    CapKind.MAILBOX,
    CapKind.WARMUP,
    CapKind.CAMPAIGN,
    CapKind.DOMAIN,
    CapKind.WORKSPACE,
    CapKind.WINDOW,
    CapKind.PEERS,
)
"""Which cap is named when several allow the same number."""


@dataclass(frozen=True, slots=True)
class CapInputs:
    """The limits of one mailbox on one day. None: that limit does not apply.

    `base_cap` × `health_factor` is the health limit (monitoring lowers the factor below 1 when a mailbox or its
    domain shows trouble); it applies only when the factor is below 1. `domain_share` and `workspace_share` are
    this mailbox's part of what its domain and workspace may still send (see `share`), plus what it already
    used, so that all limits are totals for the day.
    """

    mailbox_cap: int
    provider_limit: int | None = None
    warmup_stage: int | None = None
    health_factor: float = 1.0
    base_cap: int | None = None
    campaign_cap: int | None = None
    domain_share: int | None = None
    workspace_share: int | None = None


@dataclass(frozen=True, slots=True)
class EffectiveCap:
    """What a mailbox may send in total on a day, the cap that sets it, and every limit that was considered."""

    allowed: int
    binding: CapKind
    limits: Mapping[CapKind, int] = field(default_factory=dict)

    def remaining(self, used: int) -> int:
        """How many more it may send after `used` today."""
        return max(0, self.allowed - used)


def effective_cap(inputs: CapInputs) -> EffectiveCap:
    """The lowest limit of `inputs` (never below 0) and the kind of cap that sets it."""
    limits: dict[CapKind, int] = {CapKind.MAILBOX: max(0, inputs.mailbox_cap)}
    if inputs.provider_limit is not None:
        limits[CapKind.PROVIDER] = max(0, inputs.provider_limit)
    if inputs.warmup_stage is not None:
        limits[CapKind.WARMUP] = max(0, inputs.warmup_stage)
    if inputs.health_factor < 1.0:
        base = inputs.mailbox_cap if inputs.base_cap is None else inputs.base_cap
        limits[CapKind.HEALTH] = max(0, math.floor(max(0.0, inputs.health_factor) * base))
    if inputs.campaign_cap is not None:
        limits[CapKind.CAMPAIGN] = max(0, inputs.campaign_cap)
    if inputs.domain_share is not None:
        limits[CapKind.DOMAIN] = max(0, inputs.domain_share)
    if inputs.workspace_share is not None:
        limits[CapKind.WORKSPACE] = max(0, inputs.workspace_share)
    allowed = min(limits.values())
    binding = next(kind for kind in ORDER if limits.get(kind) == allowed)
    return EffectiveCap(allowed=allowed, binding=binding, limits=limits)


def share(total: int, wants: Mapping[int, int]) -> dict[int, int]:
    """Split `total` among claimants fairly: each gets what it wants if everything fits; otherwise an equal share
    (water-filling: what a small claimant does not need goes to the others). Ties in the remainder go to the
    lower ids, so the split is the same on every run. Never gives anyone more than it wants."""
    left = max(0, total)
    if left == 0:
        return dict.fromkeys(wants, 0)
    if sum(max(0, w) for w in wants.values()) <= left:
        return {key: max(0, want) for key, want in wants.items()}
    # the water level: everyone gets min(want, level); the level is as high as the total allows
    ordered = sorted(max(0, w) for w in wants.values())
    level, below, count = 0, 0, len(ordered)
    for position, want in enumerate(ordered):
        if below + want * (count - position) > left:
            level = (left - below) // (count - position)
            break
        below += want
    given = {key: min(max(0, want), level) for key, want in wants.items()}
    rest = left - sum(given.values())
    for key in sorted(k for k, want in wants.items() if want > level):
        if rest <= 0:
            break
        given[key] += 1
        rest -= 1
    return given

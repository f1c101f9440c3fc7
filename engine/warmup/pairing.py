"""Who writes to whom in warmup: each warmup email goes to another of our own mailboxes. Pure policy.

Rules, strongest first: never a mailbox of the same domain; only within the sender's pool (its own workspace's
mailboxes by default; the agency-wide pool only for workspaces that opted in, so one client's mail never reaches
another client's mailboxes otherwise); no pair (sender → receiver) repeated within the recent days the caller
passes, nor twice on one day; every mailbox receives about as much as it sends (the receiver furthest below its
own volume goes first); another provider is preferred unless that receiver is clearly busier than one on the
sender's own provider. Ties are broken by a seeded RNG, so a plan is reproducible.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

PROVIDER_SLACK: Final = 3
"""How many more emails (relative to its own volume) a receiver on another provider may already have received and
still be preferred to one on the sender's provider: a preference, not a rule that overloads one provider."""


@dataclass(frozen=True, slots=True)
class Peer:
    """A mailbox that takes part in warmup. `pool` is its pool key (`pool_key`); `receive_target` is what it
    should receive today (about what it sends)."""

    mailbox_id: int
    domain_id: int
    provider: str
    pool: str
    receive_target: int = 0


def pool_key(workspace_id: int, pool: str) -> str:
    """The pool a workspace's mailboxes pair in: "agency" when it opted in, else its own."""
    return "agency" if pool == "agency" else f"workspace:{workspace_id}"


@dataclass(slots=True)
class Pairing:
    """Receivers chosen for each sender (one per email, in order) and the emails that found no receiver."""

    receivers: dict[int, list[int]] = field(default_factory=dict)
    unpaired: dict[int, int] = field(default_factory=dict)


def pair(
    sends: Mapping[int, int],
    peers: Iterable[Peer],
    *,
    recent: Collection[tuple[int, int]] = (),
    rng: random.Random,
) -> Pairing:
    """Choose a receiver for each of `sends[sender]` emails of every sender (senders must be among `peers`).

    `recent` holds the (sender, receiver) pairs used in the last days; none of them is used again.
    """
    by_id = {p.mailbox_id: p for p in peers}
    used = set(recent)
    result = Pairing()
    pools: dict[str, _Pool] = {}
    for peer in sorted(by_id.values(), key=lambda p: p.mailbox_id):
        pools.setdefault(peer.pool, _Pool()).add(peer, rng)
    for each in pools.values():
        each.ready()
    senders = [s for s in sorted(sends) if sends[s] > 0]
    for sender in senders:
        if sender not in by_id:
            result.unpaired[sender] = sends[sender]
    senders = [s for s in senders if s in by_id]
    rng.shuffle(senders)
    left = {s: sends[s] for s in senders}
    # round robin: when receivers run short, every sender still gets some of them
    while senders:
        still = []
        for sender in senders:
            me = by_id[sender]
            chosen = pools[me.pool].take(me, used, rng)
            if chosen is None:
                result.unpaired[sender] = left[sender]  # eligibility only shrinks: the rest fails too
                continue
            used.add((sender, chosen))
            result.receivers.setdefault(sender, []).append(chosen)
            left[sender] -= 1
            if left[sender]:
                still.append(sender)
        senders = still
    return result


class _Pool:
    """Receivers of one pool in a heap per provider, keyed by how far they are from their receive target."""

    def __init__(self) -> None:
        self.heaps: dict[str, list[tuple[int, float, int]]] = {}
        self.peers: dict[int, Peer] = {}

    def add(self, peer: Peer, rng: random.Random) -> None:
        self.peers[peer.mailbox_id] = peer
        heap = self.heaps.setdefault(peer.provider, [])
        heap.append((-peer.receive_target, rng.random(), peer.mailbox_id))

    def ready(self) -> None:
        for heap in self.heaps.values():
            heapq.heapify(heap)

    def take(self, sender: Peer, used: set[tuple[int, int]], rng: random.Random) -> int | None:
        best: tuple[int, float, int] | None = None
        best_heap = ""
        found: dict[str, tuple[tuple[int, float, int], bool]] = {}  # provider -> (entry, taken out of its heap)
        for provider, heap in self.heaps.items():
            if not heap:
                continue
            entry, popped = self._first_eligible(heap, sender, used)
            if entry is None:
                continue
            found[provider] = (entry, popped)
            score = entry[0] - (PROVIDER_SLACK if provider != sender.provider else 0)
            if best is None or (score, entry[1]) < (best[0], best[1]):
                best, best_heap = (score, entry[1], entry[2]), provider
        for provider, (entry, popped) in found.items():
            if provider != best_heap and popped:
                heapq.heappush(self.heaps[provider], entry)
        if best is None:
            return None
        (load, _, receiver), popped = found[best_heap]
        again = (load + 1, rng.random(), receiver)
        if popped:
            heapq.heappush(self.heaps[best_heap], again)
        else:  # it is still the top of its heap: replace it in one step
            heapq.heapreplace(self.heaps[best_heap], again)
        return receiver

    def _first_eligible(
        self, heap: list[tuple[int, float, int]], sender: Peer, used: set[tuple[int, int]]
    ) -> tuple[tuple[int, float, int] | None, bool]:
        """The least-loaded receiver of `heap` that `sender` may write to, and whether it was taken out of the
        heap (it stays in place, at the top, when the top is eligible: the common case)."""
        top = heap[0]
        if self.peers[top[2]].domain_id != sender.domain_id and (sender.mailbox_id, top[2]) not in used:
            return top, False
        stash = []
        entry = None
        while heap:
            candidate = heapq.heappop(heap)
            peer = self.peers[candidate[2]]
            if peer.domain_id != sender.domain_id and (sender.mailbox_id, peer.mailbox_id) not in used:
                entry = candidate
                break
            stash.append(candidate)
        for item in stash:
            heapq.heappush(heap, item)
        return entry, entry is not None

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
import operator
import random
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from heapq import heappush, heapreplace
from typing import Final, NamedTuple

PROVIDER_SLACK: Final = 3
"""How many more emails (relative to its own volume) a receiver on another provider may already have received and
still be preferred to one on the sender's provider: a preference, not a rule that overloads one provider."""


class Peer(NamedTuple):
    """A mailbox that takes part in warmup. `pool` is its pool key (`pool_key`); `receive_target` is what it
    should receive today (about what it sends). (A named tuple: a plan makes one per mailbox of the fleet.)"""

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
    taken: dict[int, set[int]] = defaultdict(set)  # per sender: the receivers it may not write to (again)
    for sender, receiver in recent:
        taken[sender].add(receiver)
    result = Pairing()
    pools: dict[str, _Pool] = {}
    for peer in sorted(by_id.values(), key=_mailbox_id):
        pool = pools.get(peer.pool)
        if pool is None:
            pool = pools[peer.pool] = _Pool()
        pool.add(peer, rng)
    for each in pools.values():
        each.ready()
    senders = [s for s in sorted(sends) if sends[s] > 0]
    for sender in senders:
        if sender not in by_id:
            result.unpaired[sender] = sends[sender]
    senders = [s for s in senders if s in by_id]
    rng.shuffle(senders)
    turns = [_Turn(by_id[s], pools[by_id[s].pool], taken[s], sends[s]) for s in senders]
    served = turns
    # round robin: when receivers run short, every sender still gets some of them
    while turns:
        still = []
        for turn in turns:
            chosen = turn.take(turn.me, turn.taken, rng)
            if chosen is None:
                result.unpaired[turn.me.mailbox_id] = turn.left  # eligibility only shrinks: the rest fails too
                continue
            turn.taken.add(chosen)
            turn.chosen.append(chosen)
            turn.left -= 1
            if turn.left:
                still.append(turn)
        turns = still
    result.receivers.update((turn.me.mailbox_id, turn.chosen) for turn in served if turn.chosen)
    return result


_mailbox_id = operator.attrgetter("mailbox_id")


class _Turn:
    """A sender in the round robin: its receivers so far, and how many it still wants."""

    __slots__ = ("chosen", "left", "me", "take", "taken")

    def __init__(self, me: Peer, pool: _Pool, taken: set[int], left: int) -> None:
        self.me, self.take, self.taken, self.left = me, pool.take, taken, left
        self.chosen: list[int] = []


_Entry = tuple[int, float, int]
"""A receiver in its provider's heap: (what it received minus what it should receive, a random tie-break, id)."""


class _Pool:
    """Receivers of one pool in a heap per provider, keyed by how far they are from their receive target."""

    def __init__(self) -> None:
        self.heaps: dict[str, list[_Entry]] = {}
        self.domain_of: dict[int, int] = {}
        self.items: list[tuple[str, list[_Entry]]] = []

    def add(self, peer: Peer, rng: random.Random) -> None:
        self.domain_of[peer.mailbox_id] = peer.domain_id
        heap = self.heaps.get(peer.provider)
        if heap is None:
            heap = self.heaps[peer.provider] = []
        heap.append((-peer.receive_target, rng.random(), peer.mailbox_id))

    def ready(self) -> None:
        for heap in self.heaps.values():
            heapq.heapify(heap)
        self.items = list(self.heaps.items())

    def take(self, sender: Peer, taken: set[int], rng: random.Random) -> int | None:
        """The receiver for one more email of `sender` (never one of `taken`, never of its domain), counted."""
        domain_of, domain, own = self.domain_of, sender.domain_id, sender.provider
        best: _Entry | None = None
        best_score = 0
        best_heap: list[_Entry] = []
        best_popped = False
        losers: list[tuple[list[_Entry], _Entry]] | None = None  # taken out of their heaps, not chosen: put back
        for provider, heap in self.items:
            if not heap:
                continue
            entry = heap[0]
            popped = False
            if domain_of[entry[2]] == domain or entry[2] in taken:  # the least loaded one may not: look deeper
                found = _first_eligible(heap, domain_of, domain, taken)
                if found is None:
                    continue
                entry, popped = found, True
            score = entry[0] - PROVIDER_SLACK if provider != own else entry[0]
            if best is None or score < best_score or (score == best_score and entry[1] < best[1]):
                if best is not None and best_popped:
                    losers = [*(losers or ()), (best_heap, best)]
                best, best_score, best_heap, best_popped = entry, score, heap, popped
            elif popped:
                losers = [*(losers or ()), (heap, entry)]
        if losers:
            for heap, entry in losers:
                heappush(heap, entry)
        if best is None:
            return None
        again = (best[0] + 1, rng.random(), best[2])
        if best_popped:
            heappush(best_heap, again)
        else:  # it is still the top of its heap: replace it in one step
            heapreplace(best_heap, again)
        return best[2]


def _first_eligible(heap: list[_Entry], domain_of: Mapping[int, int], domain: int, taken: set[int]) -> _Entry | None:
    """The least-loaded receiver of `heap` outside `domain` and `taken`, taken out of the heap (None: there is
    none; the heap is left as it was)."""
    stash = []
    found = None
    while heap:
        candidate = heapq.heappop(heap)
        if domain_of[candidate[2]] != domain and candidate[2] not in taken:
            found = candidate
            break
        stash.append(candidate)
    for item in stash:
        heapq.heappush(heap, item)
    return found

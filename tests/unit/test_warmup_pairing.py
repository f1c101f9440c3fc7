"""Warmup pairing: never the same domain, pools isolate clients, no repeated pair, receive ≈ send, another
provider preferred."""

from __future__ import annotations

import random
from collections import Counter

from engine.warmup.pairing import Peer, pair, pool_key


def fleet(domains: int, per_domain: int, *, providers: tuple[str, ...] = ("yandex360", "mailru"), pool: str = "w1"):
    peers = []
    for d in range(domains):
        for i in range(per_domain):
            mailbox_id = d * 100 + i
            peers.append(Peer(mailbox_id, d, providers[d % len(providers)], pool, receive_target=5))
    return peers


def test_never_the_same_domain_never_twice_a_day_and_receive_about_send() -> None:
    peers = fleet(6, 5)
    sends = {p.mailbox_id: 5 for p in peers}
    result = pair(sends, peers, rng=random.Random(1))
    domain = {p.mailbox_id: p.domain_id for p in peers}
    assert not result.unpaired
    received: Counter[int] = Counter()
    for sender, receivers in result.receivers.items():
        assert len(receivers) == 5 and len(set(receivers)) == 5
        assert all(domain[r] != domain[sender] for r in receivers)
        received.update(receivers)
    assert sum(received.values()) == 150 and set(received.values()) <= {4, 5, 6}  # receive ≈ send (5)


def test_another_provider_is_preferred() -> None:
    peers = fleet(4, 3)  # domains 0, 2 on yandex360; 1, 3 on mailru
    provider = {p.mailbox_id: p.provider for p in peers}
    result = pair({p.mailbox_id: 2 for p in peers}, peers, rng=random.Random(2))
    pairs = [(s, r) for s, rs in result.receivers.items() for r in rs]
    other = sum(1 for s, r in pairs if provider[s] != provider[r])
    assert other / len(pairs) > 0.9


def test_recent_pairs_are_not_repeated_and_exhaustion_is_reported() -> None:
    peers = [Peer(1, 1, "x", "w"), Peer(2, 2, "x", "w"), Peer(3, 3, "x", "w")]
    result = pair({1: 3}, peers, recent={(1, 2)}, rng=random.Random(3))
    assert result.receivers == {1: [3]}
    assert result.unpaired == {1: 2}  # only mailbox 3 is left for today


def test_pools_isolate_workspaces_unless_they_opted_in() -> None:
    a = [Peer(1, 1, "x", pool_key(1, "workspace")), Peer(2, 2, "x", pool_key(1, "workspace"))]
    b = [Peer(3, 3, "x", pool_key(2, "workspace")), Peer(4, 4, "x", pool_key(2, "workspace"))]
    c = [Peer(5, 5, "x", pool_key(3, "agency")), Peer(6, 6, "x", pool_key(4, "agency"))]
    result = pair({1: 5, 3: 5, 5: 5}, a + b + c, rng=random.Random(4))
    assert result.receivers == {1: [2], 3: [4], 5: [6]}
    assert result.unpaired == {1: 4, 3: 4, 5: 4}


def test_a_sender_outside_the_peers_is_unpaired_and_the_plan_is_reproducible() -> None:
    peers = fleet(5, 4)
    sends = {p.mailbox_id: 3 for p in peers} | {999: 2}
    first = pair(sends, peers, rng=random.Random(7))
    again = pair(sends, peers, rng=random.Random(7))
    assert first.receivers == again.receivers and first.unpaired == {999: 2}
    assert pair(sends, peers, rng=random.Random(8)).receivers != first.receivers


def test_scarce_receivers_are_shared_round_robin() -> None:
    peers = [Peer(1, 1, "x", "w"), Peer(2, 1, "x", "w"), Peer(3, 2, "x", "w")]
    result = pair({1: 1, 2: 1}, peers, rng=random.Random(5))
    assert result.receivers == {1: [3], 2: [3]}  # the only other-domain mailbox takes one from each

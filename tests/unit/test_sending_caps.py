"""The effective daily cap: the lowest limit wins and is named; domain and workspace totals are shared fairly."""

from __future__ import annotations

import random

from engine.sending.caps import CapInputs, effective_cap, share
from models.enums import CapKind


def test_the_lowest_limit_binds_and_is_named() -> None:
    cap = effective_cap(CapInputs(mailbox_cap=40, provider_limit=500, warmup_stage=12, domain_share=30))
    assert (cap.allowed, cap.binding) == (12, CapKind.WARMUP)
    assert cap.limits[CapKind.PROVIDER] == 500 and cap.remaining(5) == 7 and cap.remaining(20) == 0


def test_each_kind_of_cap_can_bind() -> None:
    cases = {
        CapKind.PROVIDER: CapInputs(mailbox_cap=40, provider_limit=10),
        CapKind.HEALTH: CapInputs(mailbox_cap=40, health_factor=0.5),
        CapKind.MAILBOX: CapInputs(mailbox_cap=8, warmup_stage=20),
        CapKind.CAMPAIGN: CapInputs(mailbox_cap=40, campaign_cap=6),
        CapKind.DOMAIN: CapInputs(mailbox_cap=40, domain_share=5),
        CapKind.WORKSPACE: CapInputs(mailbox_cap=40, domain_share=5, workspace_share=4),
    }
    for kind, inputs in cases.items():
        assert effective_cap(inputs).binding is kind, kind
    assert effective_cap(CapInputs(mailbox_cap=40, health_factor=0.5)).allowed == 20
    assert effective_cap(CapInputs(mailbox_cap=40, base_cap=30, health_factor=0.5)).allowed == 15


def test_a_health_factor_of_one_is_not_a_limit_and_ties_name_the_most_specific_cap() -> None:
    assert CapKind.HEALTH not in effective_cap(CapInputs(mailbox_cap=40)).limits
    assert effective_cap(CapInputs(mailbox_cap=10, warmup_stage=10, domain_share=10)).binding is CapKind.MAILBOX
    assert effective_cap(CapInputs(mailbox_cap=-3)).allowed == 0


def test_share_gives_everyone_what_it_wants_when_it_fits() -> None:
    assert share(100, {1: 10, 2: 20, 3: 0}) == {1: 10, 2: 20, 3: 0}


def test_share_splits_evenly_and_passes_on_what_small_claimants_leave() -> None:
    given = share(100, {1: 5, 2: 50, 3: 50, 4: 50})
    assert given == {1: 5, 2: 32, 3: 32, 4: 31}
    assert sum(given.values()) == 100
    assert share(0, {1: 5}) == {1: 0} and share(-4, {1: 5}) == {1: 0}


def test_share_never_exceeds_the_total_or_a_want_and_is_fair() -> None:
    rng = random.Random(5)
    for _ in range(300):
        wants = {i: rng.randint(0, 60) for i in range(rng.randint(1, 25))}
        total = rng.randint(0, 700)
        given = share(total, wants)
        assert sum(given.values()) == min(total, sum(wants.values()))
        assert all(0 <= given[k] <= wants[k] for k in wants)
        short = [k for k in wants if given[k] < wants[k]]  # fair: nobody cut short got less than others
        assert all(given[k] >= max(given.values()) - 1 for k in short)

"""Every legal and every illegal transition of every state machine."""

import itertools

import pytest

from engine.errors import IllegalTransition
from engine.lifecycle import check_transition
from models.states import MACHINES

CASES = [
    (machine, source, target, target in table[source])
    for machine, table in MACHINES.items()
    for source, target in itertools.product(table, table)
]


@pytest.mark.parametrize(("machine", "source", "target", "legal"), CASES, ids=[f"{m}:{s}->{t}" for m, s, t, _ in CASES])
def test_transition(machine: str, source: str, target: str, legal: bool) -> None:
    if legal:
        check_transition(machine, source, target)
    else:
        with pytest.raises(IllegalTransition) as err:
            check_transition(machine, source, target)
        assert err.value.params == {"machine": machine, "current": source, "target": target}


def test_tables_cover_every_status() -> None:
    for table in MACHINES.values():
        statuses = set(next(iter(table)).__class__)
        assert set(table) == statuses
        assert all(targets <= statuses for targets in table.values())


def test_the_documented_paths_exist() -> None:
    for machine, path in {
        "domain": ["new", "dns_pending", "warming", "active", "cooling", "active", "burned", "retired"],
        "mailbox": ["new", "warming", "active", "cooldown", "active", "paused", "active", "disabled", "retired"],
        "message": ["planned", "queued", "sending", "sent", "bounced"],
        "campaign": ["draft", "running", "paused", "running", "completed", "archived"],
        "approval": ["pending", "approved", "applied"],
    }.items():
        for a, b in itertools.pairwise(path):
            check_transition(machine, a, b)


def test_terminal_states_stay_terminal() -> None:
    for machine, status in [
        ("domain", "retired"),
        ("mailbox", "retired"),
        ("message", "failed"),
        ("campaign", "archived"),
        ("approval", "rejected"),
    ]:
        with pytest.raises(IllegalTransition):
            check_transition(machine, status, next(iter(MACHINES[machine])))

"""Every legal and every illegal transition of every state machine."""

import itertools

import pytest

from engine.errors import AlreadyInState, IllegalTransition
from engine.i18n import translator
from engine.lifecycle import check_transition
from models.states import MACHINES

EN, RU = translator("en"), translator("ru")

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
        assert (err.value.machine, err.value.current, err.value.target) == (machine, source, target)
        assert isinstance(err.value, AlreadyInState) == (source == target)


def _key(machine: str, state: str) -> str:
    return f"state-{machine}-{state.replace('_', '-')}"


def test_every_machine_and_state_has_a_name_in_both_languages() -> None:
    for t in (EN, RU):
        for machine, table in MACHINES.items():
            assert t.has(f"machine-{machine}"), machine
            assert [s for s in table if not t.has(_key(machine, s))] == []


def test_the_message_names_machine_and_states_in_the_readers_language() -> None:
    with pytest.raises(IllegalTransition) as err:
        check_transition("mailbox", "retired", "active")
    assert EN(err.value.key, **err.value.params) == 'The mailbox cannot go from "retired" to "active".'
    assert (
        RU(err.value.key, **err.value.params) == "Ящик: нельзя перейти из состояния «выведен из работы» в «в работе»."
    )
    with pytest.raises(AlreadyInState) as same:
        check_transition("mailbox", "paused", "paused")
    assert EN(same.value.key, **same.value.params) == "The mailbox is already paused."
    assert RU(same.value.key, **same.value.params) == "Ящик уже приостановлен."
    with pytest.raises(AlreadyInState) as campaign:
        check_transition("campaign", "paused", "paused")
    assert RU(campaign.value.key, **campaign.value.params) == "Кампания уже приостановлена."


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

"""How the campaign planner splits a run's workspaces into lanes planned at once (`planner._lanes`)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from engine.campaigns.planner import _lanes


def campaigns(**per_workspace: int) -> dict[int, Any]:
    """`ws<N>=k`: workspace N runs k campaigns."""
    found: dict[int, Any] = {}
    for name, count in per_workspace.items():
        for _ in range(count):
            found[len(found) + 1] = SimpleNamespace(workspace_id=int(name.removeprefix("ws")))
    return found


def test_workspaces_split_into_lanes_of_about_equal_work_each_in_id_order() -> None:
    running = campaigns(ws1=5, ws2=1, ws3=4, ws4=1, ws5=1)
    lanes = _lanes(dict.fromkeys(range(1, 6)), running, 2)
    assert lanes == [[1, 4], [2, 3, 5]]  # 5 + 1 against 1 + 4 + 1: the largest first, each to the lightest lane
    assert sorted(w for lane in lanes for w in lane) == [1, 2, 3, 4, 5]  # every workspace in exactly one lane


def test_never_more_lanes_than_workspaces_nor_fewer_than_one() -> None:
    running = campaigns(ws7=2, ws9=1)
    assert _lanes({7: None, 9: None}, running, 8) == [[7], [9]]
    assert _lanes({7: None}, running, 2) == [[7]]
    assert _lanes({7: None, 9: None}, running, 1) == [[7, 9]]
    assert _lanes({7: None, 9: None}, running, 0) == [[7, 9]]


def test_the_split_depends_only_on_the_workspaces_and_their_campaigns() -> None:
    running = campaigns(ws1=3, ws2=3, ws3=3, ws4=3)
    spaces = dict.fromkeys([4, 2, 3, 1])
    assert _lanes(spaces, running, 3) == _lanes(dict.fromkeys([1, 2, 3, 4]), running, 3) == [[1, 4], [2], [3]]

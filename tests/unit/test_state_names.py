"""State names in chat come from `engine.lifecycle.state_name`, the one place that knows the catalog keys of the
state machines; a handler that builds a `state-…` key by hand breaks when a state or a machine is renamed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

OWNED = ("domains.py", "mailboxes.py", "monitoring.py", "reserve.py")


@pytest.mark.parametrize("name", OWNED)
def test_handlers_name_states_through_state_name(name: str) -> None:
    source = (Path("bot/handlers") / name).read_text(encoding="utf-8")
    assert re.findall(r"""["']state-""", source) == []

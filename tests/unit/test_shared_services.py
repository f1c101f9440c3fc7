"""`Shared`: the clients commands share, some built only when a command first asks for them."""

from __future__ import annotations

import pytest

from mailfleet.runtime import Shared


def _shared(built: list[str]) -> Shared:
    def make(name: str) -> object:
        built.append(name)
        if name == "broken" and built.count(name) == 1:
            raise RuntimeError("first try fails")
        return f"<{name}>"

    return Shared({"redis": "<redis>"}, {key: (lambda key=key: make(key)) for key in ("dns", "hosts", "broken")})


def test_a_client_is_built_on_first_use_and_once() -> None:
    built: list[str] = []
    shared = _shared(built)
    assert "dns" in shared and "hosts" in shared and "nothing" not in shared and built == []
    assert shared["redis"] == "<redis>" and shared.get("nothing", 7) == 7 and built == []
    assert shared["dns"] == "<dns>" and shared.get("dns") == "<dns>" and shared["dns"] == "<dns>"
    assert built == ["dns"]
    with pytest.raises(KeyError):
        shared["nothing"]


def test_a_client_that_failed_to_build_is_tried_again() -> None:
    built: list[str] = []
    shared = _shared(built)
    with pytest.raises(RuntimeError):
        shared["broken"]
    assert shared["broken"] == "<broken>" and built == ["broken", "broken"]


def test_build_makes_the_named_clients_or_all_of_them() -> None:
    built: list[str] = []
    shared = _shared(built)
    shared.build("hosts")
    assert built == ["hosts"]
    with pytest.raises(RuntimeError):
        shared.build()
    shared.build()
    assert sorted(built) == ["broken", "broken", "dns", "hosts"]
    assert dict(shared) == {"redis": "<redis>", "dns": "<dns>", "hosts": "<hosts>", "broken": "<broken>"}
    with pytest.raises(KeyError):
        shared.build("nothing")

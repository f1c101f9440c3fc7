"""The keyed warmup marker: verifiable by us, unforgeable and indistinguishable from outside."""

from __future__ import annotations

import re
from types import SimpleNamespace

from engine.crypto import Vault, generate_key
from engine.warmup.marker import WARMUP_HEADER, WarmupMarker
from models.enums import MessageKind

MID = "<wu.1.abcd@alpha.test>"


def test_warmup_stamps_verify_and_ordinary_stamps_look_the_same_but_do_not() -> None:
    marker = WarmupMarker.from_vault(Vault([generate_key()]))
    name, warm = marker.stamp(MID, warmup=True)
    _, plain = marker.stamp(MID, warmup=False)
    assert name == WARMUP_HEADER and "warmup" not in name.lower()
    assert re.fullmatch(r"[0-9a-f]{32}", warm) and re.fullmatch(r"[0-9a-f]{32}", plain) and warm != plain
    assert marker.check(warm, MID) and marker.check(warm.upper(), f"  {MID} ")
    assert not marker.check(plain, MID)


def test_a_marker_is_bound_to_its_message_and_its_key() -> None:
    marker = WarmupMarker.from_vault(Vault([generate_key()]))
    _, value = marker.stamp(MID, warmup=True)
    assert not marker.check(value, "<wu.2.abcd@alpha.test>")  # copied onto another message
    assert not WarmupMarker.from_vault(Vault([generate_key()])).check(value, MID)  # someone else's key
    assert not marker.check(value[:-1], MID) and not marker.check("", MID) and not marker.check(value, "")
    assert not marker.check("0" * 32, MID)


def test_markers_survive_a_key_rotation() -> None:
    old, new = generate_key(), generate_key()
    _, before = WarmupMarker.from_vault(Vault([old])).stamp(MID, warmup=True)
    rotated = WarmupMarker.from_vault(Vault([new, old]))
    assert rotated.check(before, MID)
    assert rotated.stamp(MID, warmup=True) != WarmupMarker.from_vault(Vault([old])).stamp(MID, warmup=True)


def test_the_keys_never_show() -> None:
    key = generate_key()
    marker = WarmupMarker.from_vault(Vault([key]))
    assert key not in repr(marker) and "hidden" in repr(marker)


def test_the_outbox_stamps_every_row_and_only_warmup_rows_verify() -> None:
    marker = WarmupMarker.from_vault(Vault([generate_key()]))
    warmup = SimpleNamespace(message_id="<w1@alpha.test>", kind=MessageKind.WARMUP)
    campaign = SimpleNamespace(message_id="<c1@alpha.test>", kind=MessageKind.CAMPAIGN)
    [(name, value)] = marker.headers_for(warmup)  # type: ignore[arg-type]
    [(other_name, other_value)] = marker.headers_for(campaign)  # type: ignore[arg-type]
    assert name == other_name == WARMUP_HEADER and len(value) == len(other_value)
    assert marker.check(value, "<w1@alpha.test>") and not marker.check(other_value, "<c1@alpha.test>")

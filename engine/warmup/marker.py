"""The keyed warmup marker: how our inbox sync knows a message is warmup traffic, and nobody else can tell.

Every message the fleet sends may carry the header `engine.mail.classify.WARMUP_HEADER` (a name many senders
use for their own reference ids, so it says nothing about us or about warmup). Its value is 32 hex characters:
for warmup mail an HMAC-SHA256 of the Message-ID under the warmup key, for any other mail (`warmup=False`) an HMAC
under a different key, which looks exactly the same from outside. Only a holder of the key can tell the two
apart, and nobody without it can make a value that verifies: copying the header onto another message fails,
because the value is bound to that message's Message-ID.

The keys are derived from the vault's keys (`Vault.derive`), newest first: values are made with the newest and
verified against all of them, so mail sent just before a key rotation still counts.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from typing import Final

from engine.crypto import Vault
from engine.mail.classify import WARMUP_HEADER, normalize_message_id
from engine.sending.outbox import Claimed
from models.enums import MessageKind

__all__ = ["WARMUP_HEADER", "WarmupMarker"]

_WARMUP_PURPOSE: Final = "warmup-marker/v1"
_OTHER_PURPOSE: Final = "message-ref/v1"
_VALUE_BYTES: Final = 16  # 128 bits of the HMAC: forging one by chance is out of reach


class WarmupMarker:
    """Makes and checks marker values. Build it once per process (`from_vault`) and share it."""

    def __init__(self, warmup_keys: Sequence[bytes], other_keys: Sequence[bytes]) -> None:
        if not warmup_keys or not other_keys:
            raise ValueError("WarmupMarker needs at least one key of each kind")
        self._warmup = tuple(warmup_keys)
        self._other = tuple(other_keys)

    @classmethod
    def from_vault(cls, vault: Vault) -> WarmupMarker:
        """The marker keyed by the deployment's encryption keys (ENCRYPTION_KEYS or the embedded key file)."""
        return cls(vault.derive(_WARMUP_PURPOSE), vault.derive(_OTHER_PURPOSE))

    def __repr__(self) -> str:
        return "WarmupMarker(<keys hidden>)"

    def stamp(self, message_id: str, *, warmup: bool) -> tuple[str, str]:
        """The header (name, value) for the message with this Message-ID (`<…>`, as it is sent).

        Send it on every message, warmup or not: only then does its presence reveal nothing.
        """
        key = (self._warmup if warmup else self._other)[0]
        return WARMUP_HEADER, _value(key, _normalized(message_id))

    def headers_for(self, row: Claimed) -> list[tuple[str, str]]:
        """The outbox's extra headers for a claimed row: the marker, on every message (see `stamp`)."""
        return [self.stamp(row.message_id, warmup=row.kind is MessageKind.WARMUP)]

    def check(self, value: str, message_id: str) -> bool:
        """Whether `value` is a genuine warmup marker for `message_id` (made with any of our keys)."""
        given = value.strip().lower()
        mid = _normalized(message_id)
        if len(given) != 2 * _VALUE_BYTES or not mid:
            return False
        return any(hmac.compare_digest(_value(key, mid), given) for key in self._warmup)


def _normalized(message_id: str) -> str:
    return normalize_message_id(message_id) or ""


def _value(key: bytes, message_id: str) -> str:
    return hmac.new(key, message_id.encode("utf-8", "replace"), hashlib.sha256).digest()[:_VALUE_BYTES].hex()

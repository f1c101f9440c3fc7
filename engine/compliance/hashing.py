"""Keyed hashes of addresses: what a suppression keeps of a person whose data was erased (`/forget`).

The hash is HMAC-SHA256 of the normalized address under a key derived from the deployment's encryption keys
(`Vault.derive`), never stored in the database: a dictionary of likely addresses run over a database dump alone
recovers nothing. Every configured key is tried when matching, so a key rotation keeps old entries working.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence
from typing import Final

from engine.crypto import Vault

PURPOSE: Final = "forget"
PREFIX: Final = "h:"  # a suppression value never starts so otherwise: ':' is in no address domain or host name


class AddressHasher:
    """Makes the suppression value of a forgotten address (`h:<hex>`), newest key first."""

    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys or not all(keys):
            raise ValueError("AddressHasher needs a key")
        self._keys = tuple(keys)

    @classmethod
    def from_vault(cls, vault: Vault) -> AddressHasher:
        return cls(vault.derive(PURPOSE))

    def __repr__(self) -> str:
        return "AddressHasher(<keys hidden>)"

    def value(self, email: str) -> str:
        """The value stored for `email` (already normalized), under the newest key."""
        return self._digest(self._keys[0], email)

    def values(self, emails: Iterable[str]) -> dict[str, str]:
        """Every value (under each key) that would mean one of `emails`, mapped back to its address."""
        return {self._digest(key, email): email for email in emails for key in self._keys}

    @staticmethod
    def _digest(key: bytes, email: str) -> str:
        return PREFIX + hmac.new(key, email.encode("utf-8"), hashlib.sha256).hexdigest()

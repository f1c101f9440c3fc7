"""Credentials at rest: Fernet (AES-128-CBC + HMAC-SHA256) with rotation through MultiFernet."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class VaultError(Exception):
    """A secret could not be decrypted with any configured key (the message never contains the secret)."""


class Vault:
    """Encrypts and decrypts mailbox secrets. The first key encrypts; every key decrypts (rotation)."""

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("Vault needs at least one key")
        try:
            self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])
        except ValueError:
            raise ValueError("an encryption key is not a valid Fernet key (32 url-safe base64 bytes)") from None
        self._keys = tuple(keys)

    def __repr__(self) -> str:
        return "Vault(<keys hidden>)"

    def encrypt(self, secret: str) -> bytes:
        return self._fernet.encrypt(secret.encode())

    def decrypt(self, token: bytes) -> str:
        try:
            return self._fernet.decrypt(bytes(token)).decode()
        except InvalidToken:
            raise VaultError("a stored secret cannot be decrypted with the configured keys") from None

    def derive(self, purpose: str) -> tuple[bytes, ...]:
        """A 32-byte key for `purpose` from each configured key, newest first (HKDF-SHA256): other secrets
        (the warmup marker) follow the same rotation without a setting of their own, and stay independent of
        the encryption keys and of each other."""
        info = f"mailfleet/{purpose}".encode()
        return tuple(
            HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(k.encode()) for k in self._keys
        )

    def rotate(self, token: bytes) -> bytes:
        """Re-encrypt `token` under the newest key."""
        try:
            return self._fernet.rotate(bytes(token))
        except InvalidToken:
            raise VaultError("a stored secret cannot be decrypted with the configured keys") from None


def generate_key() -> str:
    return Fernet.generate_key().decode()


def load_or_create_keyfile(path: Path) -> str:
    """The embedded default keeps its key in a 0600 file next to its data, created on first start."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = generate_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key + "\n")
    return key

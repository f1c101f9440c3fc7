"""Bulk operations on stored mailbox secrets."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from engine.crypto import Vault
from models import Mailbox


async def rotate_secrets(vault: Vault) -> int:
    """Re-encrypt every mailbox secret under the newest key, in one transaction; returns how many."""
    count = 0
    async with in_transaction():
        for mailbox in await Mailbox.all().select_for_update().only("id", "secret_enc"):
            await Mailbox.filter(id=mailbox.id).update(secret_enc=vault.rotate(mailbox.secret_enc))
            count += 1
    return count

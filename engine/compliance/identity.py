"""The sender identity every campaign message carries (149-FZ art. 10 part 2; 38-FZ art. 18): the workspace's
legal name and a contact (postal address, INN/OGRN, an e-mail or a phone), set by a manager with
/workspace_legal. The footer (`engine.campaigns.compose.render_message`) prints them; a campaign without them
cannot start or resume (`engine.campaigns.service.launch_checks`), and the composer refuses to render a row
whose workspace lost them, so nothing goes out unidentified.

Both values end up in message bodies, never in a header; still, a line break or another control character is
refused outright (a footer line must stay one line), as is a value too short to identify anyone.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final

from tortoise.transactions import in_transaction

from engine.access import Actor, require_manager, require_reader
from engine.clock import Clock
from engine.errors import UserError
from models import AuditLog, Workspace

LEGAL_NAME_MAX: Final = 200  # Workspace.sender_name
CONTACT_MAX: Final = 500
MIN_CHARS: Final = 3
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


@dataclass(frozen=True, slots=True)
class SenderIdentity:
    legal_name: str
    contact: str

    @property
    def complete(self) -> bool:
        return bool(self.legal_name.strip() and self.contact.strip())


def check_value(value: str, *, field: str, limit: int) -> str:
    """The value trimmed, or `UserError` naming the field: empty/too short, too long, a line break or control
    character, or no letter or digit at all."""
    if len(value) > limit:
        raise UserError("error-legal-too-long", field=field, length=len(value), limit=limit)
    if _CONTROL.search(value):
        raise UserError("error-legal-control", field=field)
    text = " ".join(unicodedata.normalize("NFC", value).split())
    if len(text) < MIN_CHARS or not any(ch.isalnum() for ch in text):
        raise UserError("error-legal-too-short", field=field, min=MIN_CHARS)
    return text


async def sender_identity(actor: Actor) -> SenderIdentity:
    """The current workspace's identity (readers may see it: it is printed in every message anyway)."""
    workspace_id = require_reader(actor)
    space = await Workspace.get(id=workspace_id)
    return SenderIdentity(space.sender_name, space.sender_address)


async def set_sender_identity(actor: Actor, clock: Clock, legal_name: str, contact: str) -> SenderIdentity:
    """Set the current workspace's legal name and contact (both checked first; nothing is written when either
    is wrong), audited with the old and new values (they are public: every message prints them).

    Raises `Forbidden`, `UserError` (`error-legal-too-long`, `error-legal-control`, `error-legal-too-short`).
    """
    workspace_id = require_manager(actor)
    name = check_value(legal_name, field="legal_name", limit=LEGAL_NAME_MAX)
    where = check_value(contact, field="contact", limit=CONTACT_MAX)
    async with in_transaction():
        space = await Workspace.filter(id=workspace_id).select_for_update().get()
        before = {"legal_name": space.sender_name, "contact": space.sender_address}
        await Workspace.filter(id=workspace_id).update(sender_name=name, sender_address=where)
        await AuditLog.create(
            workspace_id=workspace_id,
            actor_id=actor.person_id,
            action="workspace.sender_identity",
            subject=f"workspace:{workspace_id}",
            data={"from": before, "to": {"legal_name": name, "contact": where}},
            created_at=clock.now(),
        )
    return SenderIdentity(name, where)

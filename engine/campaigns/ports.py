"""The seam between the outbox and campaign content.

A campaign row is planned without text. When the outbox claims it, it calls `ComposeCampaign` with the row's
ids; the composer loads (and caches) the campaign's step and variant, the lead's fields and the workspace's sender
identity, renders the templates with a random generator seeded by the row id (a retry renders the same text),
adds the footer and unsubscribe line, and returns what the message carries. The outbox then builds the message
(`engine.mail.message.MessageSpec`: `text`, `html`, `unsubscribe_url` → `List-Unsubscribe` and
`List-Unsubscribe-Post`) and stores `subject` and `links` on the row with the send's record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class LeadData:
    """A lead's fields as a template sees them (before `compose.lead_fields` cleans them), read by the outbox with the
    claim-time re-check of the row: one round trip fewer a message."""

    email: str
    first_name: str = ""
    last_name: str = ""
    company: str = ""
    custom: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CampaignRow:
    """What the composer gets for one claimed row of kind `campaign` or `test`."""

    row_id: int  # outbound_message.id: identifies the message in tracking tokens
    workspace_id: int
    campaign_id: int
    mailbox_id: int
    lead_id: int | None  # None for a test send to a manager's address
    step_position: int
    variant: int
    recipient: str
    in_reply_to: str = ""  # the thread a follow-up answers; "" when it starts one (its mailbox was swapped in)
    lead: LeadData | None = None  # the lead's fields as the outbox read them; None: the composer reads them itself
    # the sending mailbox's display name as the outbox read it with the job's accounts ("" without one); None: the
    # composer reads it itself
    sender_name: str | None = None


@dataclass(frozen=True, slots=True)
class Composed:
    """The rendered message. `text` already ends with the sender footer and the unsubscribe line; `html` is set
    only for campaigns that opted into HTML (then it carries the open pixel and tracked links); `links` are the
    URLs the text contained, the only ones a click redirect may lead to; `empty` (a preview for a lead only) the
    placeholders without a fallback that rendered empty for that lead."""

    subject: str
    text: str
    html: str | None = None
    links: tuple[str, ...] = ()
    unsubscribe_url: str | None = None
    empty: tuple[str, ...] = ()


class ComposeCampaign(Protocol):
    """Renders a claimed campaign row. Raises `engine.errors.UserError` when it cannot (the lead was erased, a
    template no longer renders): the outbox then fails the row with that reason instead of sending."""

    async def __call__(self, row: CampaignRow) -> Composed: ...

"""The state machines of the data model as plain tables: which status may follow which.

Only data lives here; `engine.lifecycle` enforces the tables (one transition function per machine).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final

from models.enums import (
    ApprovalStatus,
    CampaignStatus,
    DomainStatus,
    MailboxStatus,
    MessageStatus,
)

D = DomainStatus
DOMAIN: Final[Mapping[DomainStatus, frozenset[DomainStatus]]] = {
    D.NEW: frozenset({D.DNS_PENDING, D.RETIRED}),
    D.DNS_PENDING: frozenset({D.WARMING, D.RETIRED}),
    D.WARMING: frozenset({D.ACTIVE, D.COOLING, D.BURNED, D.RETIRED}),
    D.ACTIVE: frozenset({D.COOLING, D.BURNED, D.RETIRED}),
    D.COOLING: frozenset({D.ACTIVE, D.WARMING, D.BURNED, D.RETIRED}),  # back to the state it was cooled from
    D.BURNED: frozenset({D.RETIRED}),
    D.RETIRED: frozenset(),
}

M = MailboxStatus
MAILBOX: Final[Mapping[MailboxStatus, frozenset[MailboxStatus]]] = {
    M.NEW: frozenset({M.WARMING, M.ACTIVE, M.PAUSED, M.DISABLED, M.RETIRED}),
    M.WARMING: frozenset({M.ACTIVE, M.COOLDOWN, M.PAUSED, M.DISABLED, M.RETIRED}),
    M.ACTIVE: frozenset({M.COOLDOWN, M.PAUSED, M.DISABLED, M.RETIRED}),
    M.COOLDOWN: frozenset({M.ACTIVE, M.WARMING, M.PAUSED, M.DISABLED, M.RETIRED}),
    M.PAUSED: frozenset({M.WARMING, M.ACTIVE, M.DISABLED, M.RETIRED}),
    M.DISABLED: frozenset({M.WARMING, M.ACTIVE, M.PAUSED, M.RETIRED}),
    M.RETIRED: frozenset(),
}

S = MessageStatus
MESSAGE: Final[Mapping[MessageStatus, frozenset[MessageStatus]]] = {
    S.PLANNED: frozenset({S.QUEUED, S.CANCELLED}),
    S.QUEUED: frozenset({S.SENDING, S.CANCELLED}),
    # a transient failure puts the row back in the queue for a later attempt
    S.SENDING: frozenset({S.SENT, S.FAILED, S.BOUNCED, S.UNKNOWN, S.QUEUED}),
    S.SENT: frozenset({S.BOUNCED}),  # a DSN arrives after the provider accepted the message
    S.FAILED: frozenset(),
    S.BOUNCED: frozenset(),
    S.CANCELLED: frozenset(),
    S.UNKNOWN: frozenset({S.SENT, S.FAILED}),  # resolved by looking into the Sent folder or by a person
}

C = CampaignStatus
CAMPAIGN: Final[Mapping[CampaignStatus, frozenset[CampaignStatus]]] = {
    C.DRAFT: frozenset({C.RUNNING, C.ARCHIVED}),
    C.RUNNING: frozenset({C.PAUSED, C.COMPLETED}),
    C.PAUSED: frozenset({C.RUNNING, C.COMPLETED, C.ARCHIVED}),
    C.COMPLETED: frozenset({C.ARCHIVED}),
    C.ARCHIVED: frozenset(),
}

A = ApprovalStatus
APPROVAL: Final[Mapping[ApprovalStatus, frozenset[ApprovalStatus]]] = {
    A.PENDING: frozenset({A.APPROVED, A.REJECTED, A.EXPIRED}),
    A.APPROVED: frozenset({A.APPLIED}),
    A.REJECTED: frozenset(),
    A.EXPIRED: frozenset(),
    A.APPLIED: frozenset(),
}

MACHINES: Final[Mapping[str, Mapping[StrEnum, frozenset[StrEnum]]]] = {
    "domain": DOMAIN,  # type: ignore[dict-item]
    "mailbox": MAILBOX,  # type: ignore[dict-item]
    "message": MESSAGE,  # type: ignore[dict-item]
    "campaign": CAMPAIGN,  # type: ignore[dict-item]
    "approval": APPROVAL,  # type: ignore[dict-item]
}

"""Tortoise models: one module per aggregate. Nothing here does I/O beyond the ORM.

Every model sets `_no_comments = True`: field descriptions are not written as `#:` comments here, and without it
Tortoise reads each model's source file at import to look for them (≈45 ms of every process's start-up)."""

from models.alert import Alert, Approval, AuditLog, Delivery, PendingNotification
from models.campaign import Campaign, Enrollment, PlanChange, Step
from models.domain import BlacklistCheck, DnsCheck, Domain
from models.lead import Lead, Suppression
from models.mailbox import FolderState, Mailbox
from models.message import CampaignDeferral, CapDeferral, DailyStat, Event, OutboundMessage, WarmupChange
from models.workspace import AgencySetting, ChatBinding, Invite, Membership, Person, Workspace

__all__ = [
    "AgencySetting",
    "Alert",
    "Approval",
    "AuditLog",
    "BlacklistCheck",
    "Campaign",
    "CampaignDeferral",
    "CapDeferral",
    "ChatBinding",
    "DailyStat",
    "Delivery",
    "DnsCheck",
    "Domain",
    "Enrollment",
    "Event",
    "FolderState",
    "Invite",
    "Lead",
    "Mailbox",
    "Membership",
    "OutboundMessage",
    "PendingNotification",
    "Person",
    "PlanChange",
    "Step",
    "Suppression",
    "WarmupChange",
    "Workspace",
]

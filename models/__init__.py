"""Tortoise models: one module per aggregate. Nothing here does I/O beyond the ORM."""

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

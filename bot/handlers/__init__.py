"""Every feature's commands; importing this package registers them all."""

from bot.handlers import (
    alerts,
    approvals,
    campaigns,
    charts,
    compliance,
    costs,
    domains,
    leads,
    mailboxes,
    monitoring,
    reports,
    reserve,
    warmup,
    workspaces,
)

__all__ = [
    "alerts",
    "approvals",
    "campaigns",
    "charts",
    "compliance",
    "costs",
    "domains",
    "leads",
    "mailboxes",
    "monitoring",
    "reports",
    "reserve",
    "warmup",
    "workspaces",
]

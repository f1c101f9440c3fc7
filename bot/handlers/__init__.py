"""Every feature's commands; importing this package registers them all."""

from bot.handlers import approvals, campaigns, domains, leads, mailboxes, monitoring, warmup, workspaces

__all__ = ["approvals", "campaigns", "domains", "leads", "mailboxes", "monitoring", "warmup", "workspaces"]

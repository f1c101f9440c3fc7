"""Every feature's commands; importing this package registers them all."""

from bot.handlers import approvals, domains, leads, mailboxes, warmup, workspaces

__all__ = ["approvals", "domains", "leads", "mailboxes", "warmup", "workspaces"]

"""Every feature's commands; importing this package registers them all."""

from bot.handlers import approvals, workspaces

__all__ = ["approvals", "workspaces"]

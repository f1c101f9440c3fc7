"""Slack: the bolt transport (slash command, buttons, files), the Block Kit renderer and the Notifier."""

from bot.slack.notifier import SlackNotifier
from bot.slack.render import SlackMessage, render
from bot.slack.transport import SlackTransport

__all__ = ["SlackMessage", "SlackNotifier", "SlackTransport", "render"]

"""Telegram: every registered command over a bot, by long polling or webhook (ARCHITECTURE §3).

`render` turns a Reply into HTML messages and a keyboard, `client` talks to the Bot API (and holds the
Notifier), `updates` maps updates to the runner, `transport` composes them for a process.
"""

from bot.telegram.client import TelegramNotifier, create_bot
from bot.telegram.transport import WEBHOOK_PATH, TelegramTransport

__all__ = ["WEBHOOK_PATH", "TelegramNotifier", "TelegramTransport", "create_bot"]

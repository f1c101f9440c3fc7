"""Telegram: every registered command over a bot, by long polling or webhook (ARCHITECTURE §3).

`render` turns a Reply into HTML messages and a keyboard, `client` is the transport's aiogram Bot, `updates` maps
updates to the runner, `transport` composes them for a process. `notifier` posts notifications over the Bot API
with aiohttp alone: a worker imports it, never aiogram. Import the module you need; this package imports none.
"""

"""Notifications to Telegram without a bot framework: a small Bot API client on aiohttp and the Notifier.

A worker that only delivers alerts, digests and approval requests needs `sendMessage` and `sendDocument`, not
aiogram (whose import alone costs seconds of CPU and over 100 MB). The rendering is the transport's own
(`bot.telegram.render`: HTML parse mode, inline keyboard of `command:arg` buttons, 4,096 characters a message);
flood control is honoured the same way (wait `retry_after` and try again, a bounded number of times).

The token is part of every request URL: nothing here logs a URL or puts one into an exception.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, Final

import aiohttp

from bot.telegram.render import render
from engine.logging import get_logger
from engine.notify import ChatMoved, DeliveryFailed
from engine.reply import Reply
from engine.settings import Settings
from models.enums import Platform

log = get_logger(__name__)

RETRY_ATTEMPTS: Final = 3  # tries of one Bot API call under flood control, the first included
RETRY_MAX_WAIT_S: Final = 30.0  # a longer retry_after is raised to the caller (a job retries later)
REQUEST_TIMEOUT_S: Final = 60.0
CHAT_GONE: Final = "chat not found"  # the 400 for a chat id that no longer exists (or never did)
TOO_MANY_REQUESTS: Final = 429
FORBIDDEN: Final = 403


class BotApiError(Exception):
    """The Bot API answered `ok: false`: its error code, description and parameters (never the URL)."""

    def __init__(self, method: str, code: int, description: str, parameters: dict[str, Any]) -> None:
        super().__init__(f"{method}: {code} {description}")
        self.method = method
        self.code = code
        self.description = description
        self.parameters = parameters

    @property
    def retry_after(self) -> float | None:
        value = self.parameters.get("retry_after")
        return float(value) if self.code == TOO_MANY_REQUESTS and isinstance(value, int | float) else None

    @property
    def migrated_to(self) -> str | None:
        """The supergroup a group became: Telegram refuses the old id with the new one in `migrate_to_chat_id`."""
        value = self.parameters.get("migrate_to_chat_id")
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def chat_gone(self) -> bool:
        """The bot was blocked, removed or never added; the chat is gone; or a group became a supergroup with a
        new id (its binding must be made again)."""
        return (
            self.code == FORBIDDEN or CHAT_GONE in self.description.lower() or "migrate_to_chat_id" in self.parameters
        )


class BotApi:
    """`POST {api_base}/bot{token}/{method}` with a JSON body (or a form with a file), flood control honoured."""

    def __init__(
        self,
        token: str,
        api_base: str,
        *,
        attempts: int = RETRY_ATTEMPTS,
        max_wait_s: float = RETRY_MAX_WAIT_S,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._url = f"{api_base.rstrip('/')}/bot{token}/"
        self.attempts = attempts
        self.max_wait_s = max_wait_s
        self._sleep = sleep
        self._session: aiohttp.ClientSession | None = None

    async def call(self, method: str, payload: dict[str, Any], file: tuple[str, str, bytes] | None = None) -> Any:
        """The call's `result`; `file` is (field, filename, content), sent as multipart form data."""
        attempt = 1
        while True:
            try:
                return await self._once(method, payload, file)
            except BotApiError as exc:
                wait = exc.retry_after
                if wait is None or attempt >= self.attempts or wait > self.max_wait_s:
                    raise
                log.warning("telegram flood control", method=method, retry_after_s=wait, attempt=attempt)
                await self._sleep(wait)
                attempt += 1

    async def _once(self, method: str, payload: dict[str, Any], file: tuple[str, str, bytes] | None) -> Any:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S))
        if file is None:
            request = self._session.post(self._url + method, json=payload)
        else:
            form = aiohttp.FormData()
            for key, value in payload.items():
                form.add_field(key, value if isinstance(value, str) else json.dumps(value))
            field, filename, content = file
            form.add_field(field, content, filename=filename, content_type="application/octet-stream")
            request = self._session.post(self._url + method, data=form)
        async with request as response:
            try:
                answer = await response.json(content_type=None)
            except ValueError:
                raise BotApiError(method, response.status, "not a Bot API answer", {}) from None
        if not isinstance(answer, dict) or not answer.get("ok"):
            answer = answer if isinstance(answer, dict) else {}
            code = int(answer.get("error_code") or response.status)
            parameters = answer.get("parameters")
            raise BotApiError(
                method, code, str(answer.get("description", "")), parameters if isinstance(parameters, dict) else {}
            )
        return answer.get("result")

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


async def post_reply(api: BotApi, chat_id: str, reply: Reply) -> list[dict[str, Any]]:
    """Post a Reply: its text messages in HTML (the keyboard on the last one), then its files as documents.
    Returns the sent Message objects."""
    rendered = render(reply)
    sent: list[dict[str, Any]] = []
    for i, text in enumerate(rendered.texts):
        payload: dict[str, Any] = {"chat_id": chat_id, "text": text, "parse_mode": "HTML"}
        if rendered.keyboard is not None and i == len(rendered.texts) - 1:
            payload["reply_markup"] = rendered.keyboard
        sent.append(await api.call("sendMessage", payload))
    for item in rendered.files:
        sent.append(await api.call("sendDocument", {"chat_id": chat_id}, ("document", item.filename, item.content)))
    return sent


class TelegramNotifier:
    """`engine.notify.Notifier` for Telegram: a job renders an alert or an approval request; this posts it."""

    platform = Platform.TELEGRAM

    def __init__(self, api: BotApi) -> None:
        self.api = api

    @classmethod
    def from_settings(cls, settings: Settings) -> TelegramNotifier | None:
        """None when Telegram is off or has no token."""
        if settings.telegram_mode == "off" or settings.telegram_token is None:
            return None
        return cls(BotApi(settings.telegram_token.get_secret_value(), settings.telegram_api_base))

    async def send(self, chat_id: str, reply: Reply) -> str:
        """Post the reply; return the id of the message carrying its buttons (the last text message), so a later
        edit can take them away. A chat that cannot receive it raises `DeliveryFailed` (`ChatMoved` for a group
        that became a supergroup: the caller sends again to the new id); anything else (the network,
        flood control beyond our patience, a 5xx) is left to the job's retry."""
        try:
            sent = await post_reply(self.api, chat_id, reply)
        except BotApiError as exc:
            if exc.migrated_to is not None:
                raise ChatMoved(exc.migrated_to) from None
            if not exc.chat_gone:
                raise
            raise DeliveryFailed(f"{exc.code}: {exc.description}") from None
        if not sent:
            raise ValueError("an empty reply cannot be posted")
        texts = [m for m in sent if m.get("text") is not None]
        return str((texts or sent)[-1]["message_id"])

    async def close(self) -> None:
        await self.api.close()

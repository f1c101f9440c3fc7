"""A Bot API stand-in on a loopback port that fails on purpose: each `sendMessage` takes the next scripted answer
(429 with `retry_after`, a 5xx) and, once the script is used up, succeeds. `delivered` lists the texts that got
a message id; `calls` counts every sendMessage. For the fault suite (the Telegram emulator cannot answer 429/5xx).

It also serves a polling bot: `getMe`, `getUpdates` (the updates given to `user_says`, each once) and any other
method (`deleteWebhook`, `setMyCommands`, …) as a plain success; with `unauthorized`, a 401 for every method."""

from __future__ import annotations

import asyncio
import itertools
from types import TracebackType
from typing import Any, Self

from aiohttp import web


class FlakyBotApi:
    def __init__(self, port: int = 0, *, unauthorized: bool = False) -> None:
        self.port = port  # 0: any free port
        self.unauthorized = unauthorized  # every method answers 401, as for a revoked token
        self.script: list[tuple[int, dict[str, Any]]] = []
        self.delivered: list[tuple[str, str]] = []  # (chat id, text)
        self.calls = 0
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.base = ""
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)

    def too_many_requests(self, retry_after: int) -> None:
        self.script.append(
            (429, {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after "
                   f"{retry_after}", "parameters": {"retry_after": retry_after}})
        )  # fmt: skip

    def forbidden(self) -> None:
        """The person blocked the bot (or the bot was removed from the group)."""
        blocked = "Forbidden: bot was blocked by the user"
        self.script.append((403, {"ok": False, "error_code": 403, "description": blocked}))

    def server_error(self, status: int = 502) -> None:
        self.script.append((status, {"ok": False, "error_code": status, "description": "Bad Gateway"}))

    def user_says(self, chat_id: int, text: str) -> None:
        """A private message from user `chat_id`, handed to the bot by its next getUpdates."""
        user = {"id": chat_id, "is_bot": False, "first_name": f"user{chat_id}", "language_code": "en"}
        head = len(text.split(maxsplit=1)[0]) if text[:1] == "/" else 0
        entities = [{"type": "bot_command", "offset": 0, "length": head}] if head else []
        message = {"message_id": next(self._ids), "date": 0, "chat": {"id": chat_id, "type": "private"},
                   "from": user, "text": text, "entities": entities}  # fmt: skip
        self._updates.append({"update_id": next(self._update_ids), "message": message})

    async def _method(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if self.unauthorized:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        data: dict[str, Any] = dict(await request.post()) if request.body_exists else {}
        if request.content_type == "application/json":
            data = await request.json()
        if method == "getMe":
            bot = {"id": 1, "is_bot": True, "first_name": "Mailfleet", "username": "mailfleet_bot"}
            return web.json_response({"ok": True, "result": bot})
        if method == "getUpdates":
            updates, self._updates = self._updates, []
            if not updates:
                await asyncio.sleep(0.05)  # a short poll: no update now
            return web.json_response({"ok": True, "result": updates})
        if method != "sendMessage":
            return web.json_response({"ok": True, "result": True})
        self.calls += 1
        if self.script:
            status, body = self.script.pop(0)
            return web.json_response(body, status=status)
        chat, text = str(data.get("chat_id")), str(data.get("text"))
        self.delivered.append((chat, text))
        message = {"message_id": next(self._ids), "date": 0, "chat": {"id": int(chat), "type": "group"}, "text": text}
        return web.json_response({"ok": True, "result": message})

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._method)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

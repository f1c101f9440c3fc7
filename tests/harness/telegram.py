"""Telegram side of the chat harness: the Bot API emulator process and a scripted user talking to the bot.

The bot under test talks to the emulator exactly as to Telegram::

    emulator = TelegramEmulator()
    emulator.start()                                   # node tests/harness/node/emulator.js on a free port
    bot = Bot(token, session=emulator.bot_session())   # = AiohttpSession(api=TelegramAPIServer.from_base(api_base))
    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False))
    async with TelegramUser(emulator, token) as user:
        await user.send_command("/start abc")
        [reply] = await user.wait_replies()
    await dp.stop_polling()

Stock aiogram works unmodified: the emulator answers getUpdates by long polling (it honours ``timeout``),
confirms updates by ``offset``, and sends Bot-API-shaped results and errors (``ok: false``), so no session
subclass is needed.
"""

import asyncio
import http.client
import json
import mimetypes
import secrets
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import aiohttp
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

NODE_DIR = Path(__file__).resolve().parent / "node"
EMULATOR_JS = NODE_DIR / "emulator.js"
_READY = "READY "
GROUP_ANONYMOUS_BOT = {"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"}


def new_bot_token() -> str:
    """A fresh, well-formed bot token, so tests sharing one emulator do not see each other's updates."""
    return f"{secrets.randbelow(9 * 10**9) + 10**9}:TEST{secrets.token_hex(16)}"


class TelegramEmulatorError(RuntimeError):
    """The emulator refused a user-side request (its ``description`` is the message)."""


class TelegramEmulator:
    """The Bot API emulator as a child process on 127.0.0.1; sync ``start``/``stop`` or a ``with`` block."""

    def __init__(
        self,
        *,
        log_path: Path | None = None,
        bot_username: str = "mailfleet_test_bot",
        node: str = "node",
        start_timeout: float = 10.0,
    ) -> None:
        self.log_path = log_path
        self.bot_username = bot_username
        self._node = node
        self._start_timeout = start_timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._api_base: str | None = None

    @property
    def api_base(self) -> str:
        """``http://127.0.0.1:PORT``: the Bot API base URL (bot side) and the user side's URL."""
        if self._api_base is None:
            raise RuntimeError("TelegramEmulator is not started")
        return self._api_base

    def start(self) -> None:
        """Start node, wait for its ready line; raise (never skip) when node or the package is missing."""
        node = shutil.which(self._node)
        if node is None:
            raise RuntimeError(f"{self._node!r} is not on PATH: the Telegram emulator needs Node.js 20")
        if not (NODE_DIR / "node_modules" / "telegram-test-api").is_dir():
            raise RuntimeError("telegram-test-api is not installed: run bash tests/harness/install.sh")
        if self.log_path is None:
            self.log_path = Path(tempfile.mkdtemp(prefix="telegram-emulator-")) / "emulator.log"
        with self.log_path.open("wb") as log:
            self._proc = subprocess.Popen(
                [node, str(EMULATOR_JS), "--host", "127.0.0.1", "--port", "0", "--bot-username", self.bot_username],
                cwd=NODE_DIR,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + self._start_timeout
        while True:
            text = self.log_path.read_text(errors="replace")
            for line in text.splitlines():
                if line.startswith(_READY):
                    self._api_base = line.removeprefix(_READY).strip()
                    return
            code = self._proc.poll()
            if code is not None or time.monotonic() > deadline:
                self.stop()
                reason = f"exited with {code}" if code is not None else f"not ready in {self._start_timeout}s"
                raise RuntimeError(f"Telegram emulator {reason}; log {self.log_path}:\n{text[-2000:]}")
            time.sleep(0.02)

    def stop(self) -> None:
        """Stop the node process (SIGTERM, then SIGKILL after 5 s)."""
        proc, self._proc, self._api_base = self._proc, None, None
        if proc is None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def reset(self) -> None:
        """Forget all messages, files, callback answers, commands and webhooks (ids keep growing)."""
        host, port = self.api_base.removeprefix("http://").rsplit(":", 1)
        conn = http.client.HTTPConnection(host, int(port), timeout=5)
        try:
            conn.request("POST", "/reset")
            body = conn.getresponse().read()
        finally:
            conn.close()
        if not json.loads(body).get("ok"):
            raise TelegramEmulatorError(body.decode())

    def bot_session(self) -> AiohttpSession:
        """A stock aiogram session pointed at the emulator: ``Bot(token, session=emulator.bot_session())``."""
        return AiohttpSession(api=TelegramAPIServer.from_base(self.api_base))

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


@dataclass(frozen=True)
class BotMessage:
    """A message the bot sent (or its latest edit) as the user's client sees it."""

    message_id: int
    chat_id: int
    method: str  # the Bot API call behind this state: sendMessage, sendDocument, editMessageText, ...
    edited: bool
    message: dict[str, Any]  # the Telegram Message object
    request: dict[str, Any]  # that call's parameters as sent (form values are strings), e.g. parse_mode

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Self:
        """Build from one record of the emulator's user-side ``/getUpdates``."""
        message = record["message"]
        return cls(
            message_id=int(record["messageId"]),
            chat_id=int(message["chat"]["id"]),
            method=str(record.get("method", "sendMessage")),
            edited=bool(record.get("edited", False)),
            message=message,
            request=dict(record.get("request") or {}),
        )

    @property
    def text(self) -> str | None:
        """Text as sent (HTML/Markdown markup is not parsed into entities)."""
        return self.message.get("text")

    @property
    def caption(self) -> str | None:
        """Caption of a document message."""
        return self.message.get("caption")

    @property
    def reply_markup(self) -> dict[str, Any] | None:
        """Any keyboard: inline, reply, remove or force-reply."""
        return self.message.get("reply_markup")

    @property
    def document(self) -> dict[str, Any] | None:
        """``file_id``, ``file_unique_id``, ``file_name``, ``mime_type``, ``file_size``."""
        return self.message.get("document")

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """Inline keyboard buttons, row by row, flattened."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [button for row in rows for button in row]

    def callback_data(self, label: str) -> str:
        """The callback_data of the inline button whose text is ``label``."""
        for button in self.buttons:
            if button.get("text") == label and "callback_data" in button:
                return str(button["callback_data"])
        raise KeyError(f"no callback button {label!r}; buttons: {[b.get('text') for b in self.buttons]}")


class TelegramUser:
    """One Telegram user in one chat, talking to the bot ``bot_token`` through the emulator's user side."""

    def __init__(
        self,
        emulator: TelegramEmulator,
        bot_token: str,
        user_id: int = 700001,
        *,
        chat_id: int | None = None,
        first_name: str = "Tester",
        language_code: str = "en",
    ) -> None:
        self.bot_token = bot_token
        self.user: dict[str, Any] = {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name,
            "language_code": language_code,
        }
        self.chat_id = user_id if chat_id is None else chat_id
        if self.chat_id > 0:
            self.chat: dict[str, Any] = {"id": self.chat_id, "type": "private", "first_name": first_name}
        else:
            self.chat = {"id": self.chat_id, "type": "supergroup", "title": "Mailfleet test group"}
        self._base = emulator.api_base
        self._session: aiohttp.ClientSession | None = None
        self._buffer: list[BotMessage] = []

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    async def _call(self, path: str, seconds: float = 10.0, **kwargs: Any) -> Any:
        async with self._http().post(
            f"{self._base}{path}", timeout=aiohttp.ClientTimeout(total=seconds), **kwargs
        ) as resp:
            body = await resp.json()
        if not body.get("ok"):
            raise TelegramEmulatorError(body.get("description", str(body)))
        return body["result"]

    def _envelope(self) -> dict[str, Any]:
        return {"botToken": self.bot_token, "from": self.user, "chat": self.chat, "date": int(time.time())}

    async def send_text(self, text: str, *, reply_to: BotMessage | None = None) -> int:
        """Send a plain text message; returns its message_id."""
        message = {**self._envelope(), "text": text}
        if reply_to is not None:  # as the bot gets it back: a Message's reply_markup is only an inline keyboard
            quoted = dict(reply_to.message)
            if "inline_keyboard" not in (quoted.get("reply_markup") or {}):
                quoted.pop("reply_markup", None)
            message["reply_to_message"] = quoted
        result = await self._call("/sendMessage", json=message)
        return int(result["message_id"])

    async def send_media(self, kind: str, media: Any, *, caption: str | None = None) -> int:
        """A message with only a sticker, photo, voice… (``kind`` is its Message field, ``media`` its value as
        Telegram sends it); returns its message_id."""
        message = {**self._envelope(), kind: media}
        if caption is not None:
            message["caption"] = caption
        result = await self._call("/sendMessage", json=message)
        return int(result["message_id"])

    async def send_command(self, command: str, *, anonymous: bool = False) -> int:
        """Send ``/cmd args`` with its bot_command entity (as Telegram clients do); returns its message_id.
        ``anonymous``: an admin who "remains anonymous" in this group: Telegram names the sender GroupAnonymousBot
        (a bot) and puts the group in ``sender_chat``."""
        if not command.startswith("/"):
            raise ValueError(f"a command starts with '/': {command!r}")
        entity = {"type": "bot_command", "offset": 0, "length": len(command.split(maxsplit=1)[0])}
        envelope = self._envelope()
        if anonymous:
            envelope["from"] = dict(GROUP_ANONYMOUS_BOT)
            envelope["sender_chat"] = self.chat
        result = await self._call("/sendCommand", json={**envelope, "text": command, "entities": [entity]})
        return int(result["message_id"])

    async def upgrade_to_supergroup(self, new_chat_id: int, *, basic_group: bool = True) -> None:
        """This group becomes the supergroup ``new_chat_id``, as Telegram does when a group is upgraded: the bot
        gets the old chat's ``migrate_to_chat_id`` and the new chat's ``migrate_from_chat_id`` service messages,
        and its messages to the old id fail with 400 and ``parameters.migrate_to_chat_id``."""
        chat = {**self.chat, "type": "group"} if basic_group else self.chat
        await self._call("/migrateChat", json={**self._envelope(), "chat": chat, "toChatId": new_chat_id})

    async def press(
        self, callback_data: str, message: BotMessage, *, too_old: bool = False, inaccessible: bool = False
    ) -> str:
        """Press the inline button ``callback_data`` on ``message``; returns the callback_query id.

        ``too_old``: Telegram refuses to take an answer to this press (``answerCallbackQuery`` → 400 "query is too
        old"), as it does for a press the bot answers after about 15 seconds. ``inaccessible``: the message is
        older than 48 hours, so Telegram sends it as an InaccessibleMessage (chat, message_id, date 0) only.
        """
        payload = {
            "botToken": self.bot_token,
            "from": self.user,
            "chatId": message.chat_id,
            "messageId": message.message_id,
            "data": callback_data,
            "tooOld": too_old,
        }
        if inaccessible:
            payload["message"] = {"chat": self.chat, "message_id": message.message_id, "date": 0}
        result = await self._call("/sendCallback", json=payload)
        return str(result["callback_query_id"])

    async def upload_document(
        self,
        filename: str,
        content: bytes,
        caption: str | None = None,
        mime_type: str | None = None,
        *,
        declared_size: int | None = None,
        media_group_id: str | None = None,
    ) -> int:
        """Send a file (e.g. a CSV) as a document message; returns its message_id. ``declared_size`` makes the
        document state another ``file_size`` than its real one; ``media_group_id`` sends it as one file of an
        album (Telegram sends each file of an album as its own message, the caption on one of them)."""
        meta = self._envelope()
        if media_group_id is not None:
            meta["media_group_id"] = media_group_id
        if caption is not None:
            meta["caption"] = caption
        if declared_size is not None:
            meta["declaredSize"] = declared_size
        form = aiohttp.FormData(quote_fields=False)  # raw UTF-8 file names, like Telegram clients
        form.add_field("message", json.dumps(meta), content_type="application/json")
        form.add_field(
            "document",
            content,
            filename=filename,
            content_type=mime_type or mimetypes.guess_type(filename)[0] or "application/octet-stream",
        )
        result = await self._call("/uploadDocument", data=form)
        return int(result["message_id"])

    async def _fetch(self, wait: float) -> None:
        records = await self._call(
            "/getUpdates",
            seconds=wait + 5,
            json={"token": self.bot_token, "chatId": self.chat_id, "timeout": wait},
        )
        self._buffer.extend(BotMessage.from_record(r) for r in records)

    async def wait_replies(self, n: int = 1, timeout: float = 5.0) -> list[BotMessage]:  # noqa: ASYNC109
        """The next ``n`` bot messages or edits in this chat, oldest first; extras stay queued for the next call.

        ``timeout`` bounds the emulator's server-side long poll, so it is a parameter, not ``asyncio.timeout``.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self._buffer) < n and (remaining := deadline - loop.time()) > 0:
            await self._fetch(remaining)
        if len(self._buffer) < n:
            got = [m.text or m.caption or m.document for m in self._buffer]
            raise AssertionError(f"expected {n} bot message(s) in chat {self.chat_id} within {timeout}s, got {got}")
        replies, self._buffer = self._buffer[:n], self._buffer[n:]
        return replies

    async def assert_no_replies(self, within: float = 0.5) -> None:
        """Fail if the bot sends or edits anything in this chat within ``within`` seconds."""
        await self._fetch(within)
        if self._buffer:
            raise AssertionError(f"unexpected bot messages: {[m.text or m.document for m in self._buffer]}")

    async def wait_callback_answer(
        self,
        callback_query_id: str,
        timeout: float = 5.0,  # noqa: ASYNC109 - the emulator's server-side long poll
    ) -> dict[str, Any]:
        """The bot's answerCallbackQuery parameters (``text``, ``show_alert``, ``url``) for a press."""
        answer = await self._call(
            "/getCallbackAnswer",
            seconds=timeout + 5,
            json={"callbackQueryId": callback_query_id, "timeout": timeout},
        )
        if answer is None:
            raise AssertionError(f"callback query {callback_query_id} not answered within {timeout}s")
        return dict(answer)

    async def bot_downloads(self) -> list[str]:
        """The file_ids the bot has downloaded so far (through ``getFile`` and the file URL), oldest first."""
        return [str(f) for f in await self._call("/getDownloads", json={"token": self.bot_token})]

    async def download(self, message: BotMessage) -> bytes:
        """The bytes of a document the bot sent."""
        if message.document is None:
            raise ValueError(f"message {message.message_id} has no document")
        async with self._http().get(f"{self._base}/files/{message.document['file_id']}") as resp:
            resp.raise_for_status()
            return await resp.read()

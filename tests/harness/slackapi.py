"""Slack side of the chat harness: a local stand-in for the Slack Web API and builders for signed requests.

Point the app's client at the stand-in and serve the bolt app on a real socket::

    async with SlackAPI() as api, serve(bolt_app.web_app()) as app_url:
        # bolt_app = AsyncApp(signing_secret=S, client=AsyncWebClient(token="xoxb-test", base_url=api.base_url))
        body = slash_command_body("/fleet", "status", response_url=api.response_url())
        async with session.post(f"{app_url}/slack/events", data=body, headers=signed_headers(S, body)) as r: ...
        call = await api.wait_call("chat.postMessage")

Every Web API call is recorded in ``api.calls`` (also failed ones), every ``response_url`` post in
``api.responses``, every file of the ``files_upload_v2`` flow in ``api.files`` — and where it was shared:
``api.files_in(channel)`` (a file uploaded but never completed is shared nowhere, as in Slack).

The bot's DM with a person is opened with ``conversations.open`` (``api.dm_channel(user)`` names it). With
``scopes`` given, a method the token has no scope for answers ``missing_scope`` with ``needed`` and ``provided``,
as Slack does (``None``: every scope granted).
"""

import asyncio
import itertools
import json
import socket
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlencode

from aiohttp import web
from slack_sdk.signature import SignatureVerifier

FORM = "application/x-www-form-urlencoded"
TEAM_ID = "T0MAILFLEET"
TEAM_DOMAIN = "mailfleet-test"
USER_ID = "U0TESTER"
CHANNEL_ID = "C0GENERAL"
BOT_USER_ID = "U0MFBOT"
API_APP_ID = "A0MAILFLEET"
CONVERSATIONS_WRITE = "channels:write,groups:write,mpim:write,im:write"
"""What Slack names as `needed` when conversations.open lacks its scope: any of them, though a 1:1 DM takes
im:write and a group DM mpim:write."""
SCOPES_OF: dict[str, frozenset[str]] = {
    "chat.postMessage": frozenset({"chat:write"}),
    "chat.postEphemeral": frozenset({"chat:write"}),
    "chat.update": frozenset({"chat:write"}),
    "files.getUploadURLExternal": frozenset({"files:write"}),
    "files.completeUploadExternal": frozenset({"files:write"}),
    "conversations.info": frozenset({"channels:read", "groups:read", "im:read", "mpim:read"}),
    "users.info": frozenset({"users:read"}),
}
"""The bot scopes each method takes (any one of them); auth.test takes none, conversations.open is below."""
OPEN_USERS_MAX = 8  # conversations.open takes 1 to 8 users


@dataclass(frozen=True)
class SlackCall:
    """One Web API request: query, form and JSON parameters merged (form values are strings)."""

    method: str
    params: dict[str, Any]
    token: str | None
    files: dict[str, bytes] = field(default_factory=dict)


RESPONSE_URL_POSTS = 5  # Slack takes up to five posts to one response_url (within 30 minutes)
SECTION_TEXT_MAX = 3000  # characters of a section's text
BLOCKS_MAX = 50  # blocks in one message
BLOCKS_TEXT_MAX = 12_000  # characters of all blocks' texts in one message (undocumented; msg_blocks_too_long)


def _block_texts(node: Any) -> list[str]:
    """Every `text` string under a block (section and header texts, button labels)."""
    if isinstance(node, list):
        return [t for item in node for t in _block_texts(item)]
    if not isinstance(node, dict):
        return []
    own = [node["text"]] if isinstance(node.get("text"), str) else []
    return own + [t for key, value in node.items() if key != "text" or not own for t in _block_texts(value)]


def _blocks_refusal(blocks: Any) -> str | None:
    """Slack's error for blocks it refuses (too many, a section too long, too much text in all), or None."""
    if not blocks:
        return None
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if len(blocks) > BLOCKS_MAX:
        return "invalid_blocks"
    sections = [b["text"]["text"] for b in blocks if b.get("type") == "section" and isinstance(b.get("text"), dict)]
    if any(len(text) > SECTION_TEXT_MAX for text in sections):
        return "invalid_blocks"
    if sum(len(text) for text in _block_texts(blocks)) > BLOCKS_TEXT_MAX:
        return "msg_blocks_too_long"
    return None


@dataclass(frozen=True)
class ResponseUrlPost:
    """One JSON body posted to a ``response_url`` made by :meth:`SlackAPI.response_url`."""

    key: str
    body: dict[str, Any]


@dataclass
class UploadedFile:
    """A file of the ``files.getUploadURLExternal`` → upload URL → ``files.completeUploadExternal`` flow."""

    id: str
    filename: str
    length: int
    content: bytes | None = None  # set by the upload step
    title: str | None = None  # set, with the rest, by files.completeUploadExternal
    channel_id: str | None = None  # the first channel it was shared in
    initial_comment: str | None = None
    thread_ts: str | None = None
    shared_in: list[str] = field(default_factory=list)  # every channel it was shared in (channel_id, channels)


class SlackError(Exception):
    """Raised by a method handler to answer ``{"ok": false, "error": <code>}`` (plus ``fields``)."""

    def __init__(self, error: str, **fields: Any) -> None:
        super().__init__(error)
        self.fields = fields


@asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[str]:
    """Serve an aiohttp application (e.g. ``AsyncApp.web_app()``) on 127.0.0.1; yields ``http://127.0.0.1:PORT``."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.SockSite(runner, sock).start()
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        await runner.cleanup()
        sock.close()


class SlackAPI:
    """Stand-in for ``https://slack.com/api/`` on a loopback port; an async context manager."""

    def __init__(
        self,
        *,
        token: str | None = None,
        team_id: str = TEAM_ID,
        team: str = "Mailfleet Test",
        bot_user_id: str = BOT_USER_ID,
        bot_id: str = "B0MFBOT",
        scopes: frozenset[str] | None = None,
    ) -> None:
        self.token = token  # when set, any other token gets ``invalid_auth``
        self.scopes = scopes  # the bot token's scopes; None: all of them
        self.team_id = team_id
        self.team = team
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.calls: list[SlackCall] = []
        self.responses: list[ResponseUrlPost] = []
        self.files: dict[str, UploadedFile] = {}
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}  # (channel, ts) -> message
        self.users: dict[str, dict[str, Any]] = {}  # users.info answers; unknown ids get a made-up user
        self.channels: dict[str, dict[str, Any]] = {}  # conversations.info answers; likewise
        self.ephemerals: list[dict[str, Any]] = []  # chat.postEphemeral messages: channel, user, text, blocks
        self.not_member: set[str] = set()  # channels the bot was never added to: posts and shares get not_in_channel
        self.dms: dict[str, str] = {}  # person -> the bot's DM with them, once conversations.open opened it
        self._failures: dict[str, list[web.Response]] = {}
        self._response_failures: list[int] = []
        self.failed_responses: list[ResponseUrlPost] = []  # posts to a response_url answered with an error
        self._seq = itertools.count(1)
        self._changed = asyncio.Condition()
        self._serving: AbstractAsyncContextManager[str] | None = None
        self._root: str | None = None
        self._methods: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "chat.postEphemeral": self._post_ephemeral,
            "conversations.info": self._conversations_info,
            "conversations.open": self._conversations_open,
            "users.info": self._users_info,
            "files.getUploadURLExternal": self._get_upload_url,
            "files.completeUploadExternal": self._complete_upload,
        }

    @property
    def root(self) -> str:
        """``http://127.0.0.1:PORT`` of the running stand-in."""
        if self._root is None:
            raise RuntimeError("SlackAPI is not started")
        return self._root

    @property
    def base_url(self) -> str:
        """The Web API base for ``AsyncWebClient(base_url=...)`` (with the trailing slash the SDK needs)."""
        return f"{self.root}/api/"

    def response_url(self, key: str | None = None) -> str:
        """A ``response_url`` to put in a payload; posts to it land in :attr:`responses` under ``key``."""
        return f"{self.root}/response/{key or f'r{next(self._seq)}'}"

    async def start(self) -> None:
        """Listen on a free loopback port."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_post("/response/{key}", self._response)
        self._serving = serve(app)
        self._root = await self._serving.__aenter__()

    async def stop(self) -> None:
        """Stop listening."""
        serving, self._serving, self._root = self._serving, None, None
        if serving is not None:
            await serving.__aexit__(None, None, None)

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    @staticmethod
    def dm_channel(user: str) -> str:
        """The id of the bot's DM with `user` (the one conversations.open opens), for a payload from that DM."""
        return "D" + user.removeprefix("U").removeprefix("W")

    def files_in(self, channel: str) -> list[UploadedFile]:
        """The files shared in `channel`, oldest first."""
        return [f for f in self.files.values() if channel in f.shared_in]

    def calls_to(self, method: str) -> list[SlackCall]:
        """The recorded calls of one Web API method, oldest first."""
        return [c for c in self.calls if c.method == method]

    async def wait_call(self, method: str, *, count: int = 1, within: float = 5.0) -> SlackCall:
        """Wait until ``method`` has been called ``count`` times; returns that call."""
        await self._wait(lambda: len(self.calls_to(method)) >= count, within, f"{count} × {method}")
        return self.calls_to(method)[count - 1]

    async def wait_until(self, predicate: Callable[[], bool], what: str, *, within: float = 5.0) -> None:
        """Wait until `predicate` holds (checked after every call and response_url post)."""
        await self._wait(predicate, within, what)

    async def wait_response(self, *, count: int = 1, within: float = 5.0) -> ResponseUrlPost:
        """Wait until ``count`` posts reached any response_url; returns that post."""
        await self._wait(lambda: len(self.responses) >= count, within, f"{count} response_url post(s)")
        return self.responses[count - 1]

    def fail_next(self, method: str, error: str, *, status: int = 200, retry_after: int | None = None) -> None:
        """Answer the next call of ``method`` with ``{"ok": false, "error": error}`` (e.g. 429 + Retry-After)."""
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        response = web.json_response({"ok": False, "error": error}, status=status, headers=headers)
        self._failures.setdefault(method, []).append(response)

    async def _wait(self, predicate: Callable[[], bool], within: float, what: str) -> None:
        try:
            async with asyncio.timeout(within), self._changed:
                await self._changed.wait_for(predicate)
        except TimeoutError:
            raise AssertionError(f"no {what} within {within}s; calls: {[c.method for c in self.calls]}") from None

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params: dict[str, Any] = dict(request.query)
        files: dict[str, bytes] = {}
        if request.content_type == "application/json":
            params.update(await request.json())
        elif request.body_exists:
            for key, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    files[key] = value.file.read()
                else:
                    params[key] = value
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else params.pop("token", None)
        self.calls.append(SlackCall(method, params, token, files))
        await self._notify()
        if self._failures.get(method):
            return self._failures[method].pop(0)
        if not token:
            return web.json_response({"ok": False, "error": "not_authed"})
        if self.token is not None and token != self.token:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        handler = self._methods.get(method)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        try:
            self._check_scope(method, params)
            return web.json_response({"ok": True, **handler(params)})
        except SlackError as e:
            return web.json_response({"ok": False, "error": str(e), **e.fields})

    def _check_scope(self, method: str, params: dict[str, Any]) -> None:
        """Slack's `missing_scope` for a method the token has no scope for."""
        if self.scopes is None:
            return
        needed = SCOPES_OF.get(method, frozenset())
        if method == "conversations.open":
            several = len(str(params.get("users") or "").split(",")) > 1
            needed = frozenset({"mpim:write" if several else "im:write"})
        if needed and not needed & self.scopes:
            named = CONVERSATIONS_WRITE if method == "conversations.open" else ",".join(sorted(needed))
            raise SlackError("missing_scope", needed=named, provided=",".join(sorted(self.scopes)))

    async def _upload(self, request: web.Request) -> web.Response:
        upload = self.files.get(request.match_info["file_id"])
        if upload is None:
            return web.Response(status=404, text="file not found")
        if request.content_type.startswith("multipart/"):
            part = (await request.post()).get("file")
            upload.content = part.file.read() if isinstance(part, web.FileField) else None
        else:
            upload.content = await request.read()
        self.calls.append(SlackCall("upload", {"file_id": upload.id}, None, {"file": upload.content or b""}))
        await self._notify()
        return web.Response(text=f"OK - {len(upload.content or b'')}")

    def fail_responses(self, times: int, status: int = 500) -> None:
        """The next `times` posts to a response_url are answered `status` and not kept (Slack failing)."""
        self._response_failures += [status] * times

    async def _response(self, request: web.Request) -> web.Response:
        body = await request.json()
        key = request.match_info["key"]
        refusal = _blocks_refusal(body.get("blocks"))
        if refusal is None and sum(r.key == key for r in self.responses) >= RESPONSE_URL_POSTS:
            refusal = "used_url"
        if refusal is not None:  # Slack answers such a post 404 and shows nothing
            self.failed_responses.append(ResponseUrlPost(key, body))
            await self._notify()
            return web.Response(status=404, text=refusal)
        if self._response_failures:
            status = self._response_failures.pop(0)
            self.failed_responses.append(ResponseUrlPost(request.match_info["key"], body))
            await self._notify()
            return web.Response(status=status, text="internal_error")
        self.responses.append(ResponseUrlPost(request.match_info["key"], body))
        await self._notify()
        return web.json_response({"ok": True})

    def _ts(self) -> str:
        return f"{int(time.time())}.{next(self._seq):06d}"

    @staticmethod
    def _json(params: dict[str, Any], key: str) -> Any:
        value = params.get(key)
        return json.loads(value) if isinstance(value, str) else value

    def _auth_test(self, _params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": f"https://{TEAM_DOMAIN}.slack.com/",
            "team": self.team,
            "user": "mailfleet",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _message_fields(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("channel"):
            raise SlackError("channel_not_found")
        if params["channel"] in self.not_member:
            raise SlackError("not_in_channel")
        fields = {"text": params.get("text", "")}
        for key in ("blocks", "attachments", "metadata"):
            if params.get(key):
                fields[key] = self._json(params, key)
        if not (fields["text"] or "blocks" in fields or "attachments" in fields):
            raise SlackError("no_text")
        refusal = _blocks_refusal(fields.get("blocks"))
        if refusal is not None:
            raise SlackError(refusal)
        return fields

    def _post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        fields, channel, ts = self._message_fields(params), params["channel"], self._ts()
        message = {"type": "message", "user": self.bot_user_id, "bot_id": self.bot_id, "team": self.team_id}
        message |= {"ts": ts, **fields}
        if params.get("thread_ts"):
            message["thread_ts"] = params["thread_ts"]
        self.messages[(channel, ts)] = message
        return {"channel": channel, "ts": ts, "message": message}

    def _update(self, params: dict[str, Any]) -> dict[str, Any]:
        fields, channel, ts = self._message_fields(params), params["channel"], params.get("ts", "")
        message = self.messages.get((channel, ts))
        if message is None:
            raise SlackError("message_not_found")
        message.update(fields)
        return {"channel": channel, "ts": ts, "text": message["text"], "message": message}

    def _post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        fields = self._message_fields(params)
        if not params.get("user"):
            raise SlackError("user_not_in_channel")
        self.ephemerals.append({"channel": params["channel"], "user": params["user"], **fields})
        return {"message_ts": self._ts()}

    def _conversations_info(self, params: dict[str, Any]) -> dict[str, Any]:
        channel_id = params.get("channel") or ""
        if not channel_id:
            raise SlackError("channel_not_found")
        made_up = {"id": channel_id, "name": channel_id.lower(), "is_channel": True, "is_private": False}
        return {"channel": self.channels.get(channel_id, made_up | {"is_im": False, "is_member": True})}

    def _conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        """Opens (or finds) the bot's DM with one person, or a group DM with several, as Slack does."""
        channel = params.get("channel")
        if channel:
            if channel not in self.dms.values():
                raise SlackError("channel_not_found")
            return {"no_op": True, "already_open": True, "channel": {"id": channel}}
        users = [u for u in str(params.get("users") or "").split(",") if u]
        if not users:
            raise SlackError("users_list_not_supplied")
        if len(users) > OPEN_USERS_MAX:
            raise SlackError("too_many_users")
        if self.bot_user_id in users:
            raise SlackError("cannot_dm_bot")
        if len(users) > 1:
            return {"channel": {"id": "G" + "".join(sorted(u.removeprefix("U") for u in users))[:20]}}
        opened = users[0] in self.dms
        dm = self.dms.setdefault(users[0], self.dm_channel(users[0]))
        found: dict[str, Any] = {"id": dm}
        if str(params.get("return_im", "")).lower() in {"1", "true"}:
            found |= {"is_im": True, "user": users[0], "created": int(time.time()), "is_user_deleted": False}
        return {"no_op": True, "already_open": True, "channel": found} if opened else {"channel": found}

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = params.get("user") or ""
        if not user_id:
            raise SlackError("user_not_found")
        name = user_id.lower()
        profile = {"real_name": f"User {user_id}", "display_name": name, "email": f"{name}@example.test"}
        made_up = {"id": user_id, "team_id": self.team_id, "name": name, "real_name": profile["real_name"]}
        made_up |= {"is_bot": False, "tz": "UTC", "tz_offset": 0, "profile": profile}
        user = dict(self.users.get(user_id, made_up))
        if str(params.get("include_locale", "")).lower() in {"1", "true"}:
            user.setdefault("locale", "en-US")
        return {"user": user}

    def _get_upload_url(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("filename") or not str(params.get("length", "")).isdigit():
            raise SlackError("invalid_arguments")
        file_id = f"F{next(self._seq):08d}"
        self.files[file_id] = UploadedFile(file_id, params["filename"], int(params["length"]))
        return {"upload_url": f"{self.root}/upload/{file_id}", "file_id": file_id}

    def _complete_upload(self, params: dict[str, Any]) -> dict[str, Any]:
        channels = [params["channel_id"]] if params.get("channel_id") else []
        channels += [c for c in str(params.get("channels") or "").split(",") if c and c not in channels]
        if any(c in self.not_member for c in channels):
            raise SlackError("not_in_channel")
        done = []
        for item in self._json(params, "files") or []:
            upload = self.files.get(item.get("id", ""))
            if upload is None or upload.content is None:
                raise SlackError("file_not_found")
            upload.title = item.get("title") or upload.filename
            upload.channel_id = channels[0] if channels else None
            upload.shared_in = channels
            upload.initial_comment = params.get("initial_comment")
            upload.thread_ts = params.get("thread_ts")
            done.append({"id": upload.id, "name": upload.filename, "title": upload.title, "size": len(upload.content)})
        if not done:
            raise SlackError("invalid_arguments")
        return {"files": done}


def signed_headers(
    signing_secret: str, body: str | bytes, timestamp: int | None = None, content_type: str = FORM
) -> dict[str, str]:
    """Headers Slack sends with a request: ``Content-Type``, ``X-Slack-Request-Timestamp``, ``X-Slack-Signature``."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(signing_secret).generate_signature(timestamp=ts, body=body)
    assert signature is not None
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}


def slash_command_body(
    command: str,
    text: str = "",
    *,
    response_url: str,
    user_id: str = USER_ID,
    user_name: str = "tester",
    channel_id: str = CHANNEL_ID,
    channel_name: str = "general",
    team_id: str = TEAM_ID,
    trigger_id: str = "1337.42.trigger",
) -> str:
    """The form body Slack posts for a slash command."""
    return urlencode(
        {
            "token": "verification-token",
            "team_id": team_id,
            "team_domain": TEAM_DOMAIN,
            "channel_id": channel_id,
            "channel_name": channel_name,
            "user_id": user_id,
            "user_name": user_name,
            "command": command,
            "text": text,
            "api_app_id": API_APP_ID,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }
    )


def block_actions_body(
    action_id: str,
    value: str = "",
    *,
    response_url: str,
    block_id: str = "actions",
    message_ts: str | None = None,
    user_id: str = USER_ID,
    channel_id: str = CHANNEL_ID,
    team_id: str = TEAM_ID,
    trigger_id: str = "1337.43.trigger",
) -> str:
    """The form body (``payload=<json>``) Slack posts when a button in a message is clicked."""
    ts = message_ts or f"{int(time.time())}.000100"
    payload = {
        "type": "block_actions",
        "user": {"id": user_id, "username": "tester", "name": "tester", "team_id": team_id},
        "api_app_id": API_APP_ID,
        "token": "verification-token",
        "container": {"type": "message", "message_ts": ts, "channel_id": channel_id, "is_ephemeral": False},
        "trigger_id": trigger_id,
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": "general"},
        "message": {"type": "message", "ts": ts, "text": "", "user": BOT_USER_ID},
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": block_id,
                "value": value,
                "text": {"type": "plain_text", "text": action_id},
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)})

"""The Slack transport: one slash command (`/mailfleet <command> …`), Block Kit buttons, CSV files sent to the bot.

Every listener acknowledges first and works after: bolt runs with `process_before_response=False`, so the HTTP
response (or the Socket Mode envelope ack) leaves as soon as `ack()` is called — well inside Slack's 3 seconds —
and the listener goes on to run the command and answer through `response_url` or chat.postMessage.

Visibility, decided once:
- a slash command's answer is ephemeral (only the person who typed it sees it): invite codes, member lists and
  mistakes are nobody else's business; so are its files (lead exports, audit logs, reports: personal data), and
  Slack has no ephemeral files: they go to the person's DM with the app (conversations.open, then one upload
  shared there), and the answer says so — or, when they could not go (a scope missing, Slack limiting us),
  why, with nothing shared anywhere. A command typed in that DM gets its files there, as its answer. A button's
  files go the same way (the message it replaces is the channel's); /bind's answer is posted by the bot itself
  (chat.postEphemeral), which Slack refuses in a channel the bot is not in: the person learns at once that nothing
  can arrive there until the app is added;
- a button that worked replaces its message — its text stays, the buttons go, the confirmation is added — so the
  channel sees who decided; an answer that brings buttons of its own (the next page of a list, a fresh request to
  decide) takes the message's place whole, so pages do not pile up in one message; a button that failed ("already
  decided", "forbidden") answers ephemerally and leaves the message as it was;
- a file sent to the bot with a command's name (a DM: "import_leads acme" + leads.csv) is answered in that
  channel — in a channel, for everyone there, so there it acts in the channel's workspace, as a command in a
  Telegram group does (a button of a message the channel reads too); a file sent alone answers the slash command
  that just asked for it (the guided flow of Telegram's next document: the question is kept in Redis for
  PENDING_FILE_S, answered once, dropped by any other command).

Every HTTP request is checked in front of bolt, cheapest first, so a flood of forged requests costs almost
nothing and never reaches a parser: a body over BODY_MAX_BYTES is refused (413) by its Content-Length, or while
it is read; a missing, malformed or stale signature header is refused (401) before the body is read; the
HMAC (`X-Slack-Signature`, slack_sdk's constant-time SignatureVerifier) is checked on the raw bytes (401); and
a signature seen before is a replay (401), remembered in Redis for every web process. Only then does bolt parse
the body.

Files named by an event are fetched only from Slack's file host (the bot token goes nowhere else), only for a
command the person may run, only when the declared size fits engine/uploads.MAX_UPLOAD_BYTES, and the download
stops at that limit whatever the declared size said.

A person is the Slack user id alone (`U…`/`W…`, unique across Slack and stable across an Enterprise Grid org),
the same string ADMIN_SLACK_IDS lists. The display name comes from the payload (no users.info call per request);
the language is the person's `/lang`, else their Slack language when Mailfleet speaks it (users.info with
`include_locale`, scope users:read, remembered a day in Redis), else the configured default.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import json
import re
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any, Final, Literal

import aiohttp
from aiohttp import web
from redis.asyncio import Redis
from redis.exceptions import RedisError
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.signature import SignatureVerifier
from yarl import URL

from bot.bounded import read_body
from bot.command import REGISTRY, Command, file_limit, parse_args, split_line
from bot.runner import Runner
from bot.slack.notifier import post_reply, upload_files, web_client
from bot.slack.render import (
    ACTION_ID,
    CODE_FENCE,
    SLASH_COMMAND,
    SlackMessage,
    as_typed,
    command_of,
    escape,
    fits,
    render,
)
from engine.errors import UserError
from engine.i18n import Translator, shorten, spoken, translator
from engine.logging import get_logger
from engine.notify import chat_lost
from engine.people import Identity, resolve_actor
from engine.reply import Attachment, Block, Reply
from engine.settings import Settings
from engine.uploads import MAX_UPLOAD_BYTES
from models.enums import Platform

log = get_logger(__name__)

DEFAULT_PATH = "/slack/events"
FILE_MAX_BYTES: Final = MAX_UPLOAD_BYTES  # the one limit of uploaded files (engine/uploads)
DOWNLOAD_TIMEOUT_S = 60
LEADING_MENTION = re.compile(r"^\s*<@[A-Z0-9]+(\|[^>]*)?>\s*")
LEADING_SLASH_COMMAND = re.compile(rf"^/?{SLASH_COMMAND.lstrip('/')}(?:\s+|$)", re.IGNORECASE)
"""A file's text written as the slash command ("mailfleet leads_import …"): the command is the next word."""
BODY_MAX_BYTES: Final = 512 * 1024
"""Slack's largest request to us is a button press, which carries the pressed message (at most 50 blocks of
3,000 characters, URL-encoded); our messages with buttons are a few kilobytes. Commands and events are smaller."""
SIGNATURE_WINDOW_S: Final = 5 * 60
"""Slack's (and slack_sdk's) window: a request is accepted within five minutes either side of its timestamp."""
REPLAY_PREFIX: Final = "mailfleet:slack:seen:"
"""Redis keys of signatures already accepted, kept for the whole window: any web process refuses a replay."""
EVENT_PREFIX: Final = "mailfleet:slack:event:"
"""Redis keys of Events API event ids already taken: Slack's retries carry the same id."""
PENDING_FILE_PREFIX: Final = "mailfleet:slack:pending-file:"
"""Redis keys of the file a person's slash command is waiting for (its command and words), by Slack user id."""
PENDING_FILE_S: Final = 15 * 60  # long enough to find the file and open the DM; a stale question must not linger
SOCKET_CONNECT_S: Final = 30.0
"""How long Socket Mode's WebSocket may take to open once Slack gave its URL; past that, it is unreachable."""
EVENT_SEEN_S: Final = 3600  # Slack retries three times within about five minutes; an hour is ample
CHAT_LOST_EVENTS: Final = {
    "member_left_channel": "not_in_channel",  # someone left a channel the bot is in: the bot itself, here
    "channel_left": "not_in_channel",  # the app removed from a channel (Slack sometimes withholds it)
    "group_left": "not_in_channel",  # … from a private channel
    "channel_archive": "is_archived",
    "group_archive": "is_archived",
    "channel_deleted": "channel_not_found",
    "group_deleted": "channel_not_found",
}
"""Events saying the bot can no longer post in a channel, with the error a post there would get."""
SLACK_FILE_HOST: Final = "https://files.slack.com/"
RESPONSE_URL_POSTS: Final = 5
"""Posts one response_url takes (within 30 minutes); Slack drops the sixth without a word."""
_REFUSED: Final = frozenset(
    {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive", "not_allowed_token_type"}
)  # Web API errors that mean the tokens, not the moment
_NOT_HERE: Final = frozenset({"not_in_channel", "channel_not_found", "is_archived"})
"""Web API errors of a share to a channel the bot cannot write to (never added, a DM between people, archived)."""
POSTS_HERE: Final = frozenset({"bind", "agency_chat"})
"""Commands whose success (but with `off`) means the bot posts to this channel from now on. A slash command works in
any channel, the bot posts only where it is a member: their answer goes by chat.postEphemeral, which Slack refuses
there, so the person learns it at once — not from the first alert that never arrives."""
LANGUAGE_KEY: Final = "mailfleet:slack:language:"
"""Redis: a person's Slack locale as users.info gave it ("" when it could not be read), for `LANGUAGE_TTL_S`."""
LANGUAGE_TTL_S: Final = 86_400  # a person who switches Slack's language is spoken to in it from the next day
LANGUAGE_RETRY_S: Final = 3_600  # unread (no users:read scope, Slack down): asked again an hour later
LANGUAGE_WAIT_S: Final = 2.0  # the answer waits no longer for the language: then the default speaks
DM_SCOPE: Final = "im:write"
"""The bot scope conversations.open takes for a 1:1 DM (Slack's `needed` may list every conversation scope)."""
FILES_SCOPE: Final = "files:write"  # files.getUploadURLExternal and files.completeUploadExternal
_NO_DM: Final = frozenset(
    {
        "user_not_found", "user_disabled", "user_not_visible", "cannot_dm_bot", "invalid_user_combination",
        "not_in_channel", "channel_not_found", "is_archived", "access_denied", "method_not_supported_for_channel_type",
    }
)  # fmt: skip
"""Web API errors that say this person's DM cannot take a file now (a deactivated or external user, …)."""
RETRY_AFTER_DEFAULT_S: Final = 60  # a 429 without Retry-After: Slack's windows are a minute
FILES_NAMED: Final = 10  # names of shared files a refusal lists (Slack shares up to ten in one message)
FILE_NAME_SHOWN: Final = 60  # characters of each name
HINT_LINE_MAX: Final = 120  # characters of the typed line a hint quotes back (a campaign_steps line may be 4,000)
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


def files_base_for(api_base: str) -> str:
    """Where Slack serves files to this install: files.slack.com for Slack itself (Enterprise Grid included);
    for a Web API base elsewhere (a proxy, the test stand-in), that server's origin."""
    api = URL(api_base)
    if api.host == "slack.com" or (api.host or "").endswith(".slack.com"):
        return SLACK_FILE_HOST
    return str(api.origin()) + "/"


def is_file_url(url: str, files_base: str) -> bool:
    """Whether `url` is on the file host: same scheme, host and port, under its path. Nothing else gets the token."""
    try:
        target, base = URL(url), URL(files_base)
    except ValueError:
        return False
    return (
        target.is_absolute()
        and (target.scheme, target.host, target.port) == (base.scheme, base.host, base.port)
        and target.path.startswith(base.path)
        and not target.user
    )


class SlackTransport:
    """The bolt app, its listeners and how it is hosted (a route on the shared aiohttp app, or Socket Mode)."""

    def __init__(
        self,
        runner: Runner,
        *,
        bot_token: str,
        signing_secret: str,
        api_base: str,
        redis: Redis,
        app_token: str | None = None,
        default_locale: str = "ru",
        files_base: str | None = None,
        max_body_bytes: int = BODY_MAX_BYTES,
    ) -> None:
        self.runner = runner
        self.default_locale = default_locale
        self.files_base = files_base or files_base_for(api_base)
        self.max_body_bytes = max_body_bytes
        self._redis = redis
        self._verifier = SignatureVerifier(signing_secret)
        self._bot_token = bot_token  # file downloads need it; never logged
        self._app_token = app_token
        self._socket_mode: AsyncSocketModeHandler | None = None
        self.client = web_client(bot_token, api_base)
        self.app = AsyncApp(signing_secret=signing_secret, client=self.client, process_before_response=False)
        self.app.command(SLASH_COMMAND)(self._on_command)
        self.app.action(ACTION_ID)(self._on_button)
        self.app.event("message")(self._on_message)
        for lost in CHAT_LOST_EVENTS:
            self.app.event(lost)(self._on_chat_lost)
        self.app.error(self._on_error)

    @classmethod
    def from_settings(cls, runner: Runner, settings: Settings, redis: Redis) -> SlackTransport | None:
        """The transport the settings describe, or None when Slack is not configured (no bot token or secret)."""
        if settings.slack_bot_token is None or settings.slack_signing_secret is None:
            return None
        return cls(
            runner,
            bot_token=settings.slack_bot_token.get_secret_value(),
            signing_secret=settings.slack_signing_secret.get_secret_value(),
            api_base=settings.slack_api_base,
            redis=redis,
            app_token=settings.slack_app_token.get_secret_value() if settings.slack_app_token else None,
            default_locale=settings.default_locale,
        )

    # hosting

    def register(self, app: web.Application, path: str = DEFAULT_PATH) -> None:
        """Serve slash commands, button presses and events at `path` of the shared aiohttp app (HTTP mode)."""
        app.router.add_post(path, self._handle_http)

    async def _handle_http(self, request: web.Request) -> web.Response:
        """Only a fresh, correctly signed request of bounded size reaches bolt (which checks the signature again)."""
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature", "")
        if not (_TIMESTAMP.fullmatch(timestamp) and _SIGNATURE.fullmatch(signature)):
            return _unauthorized()
        if abs(time.time() - int(timestamp)) > SIGNATURE_WINDOW_S:
            return _unauthorized()
        raw = await read_body(request, self.max_body_bytes)  # 413 past the cap
        try:
            text = raw.decode("utf-8")  # Slack sends UTF-8; anything else cannot carry its signature
        except UnicodeDecodeError:
            return _unauthorized()
        if not self._verifier.is_valid(raw, timestamp, signature):
            return _unauthorized()
        if not await self._first_delivery(signature, request.headers.get("X-Slack-Retry-Num")):
            return _unauthorized()
        bolt_request = AsyncBoltRequest(body=text, query=request.query_string, headers=dict(request.headers))
        return await to_aiohttp_response(await self.app.async_dispatch(bolt_request))

    async def _first_delivery(self, signature: str, retry: str | None) -> bool:
        """Whether this signature is new. A signed request replayed within the window (by anyone who saw it)
        would run its command again — a second invite code, a second import — so a seen signature is refused.

        Slack itself retries only when we were slow or failed; we acknowledge before working, so the first
        delivery is already running: a retry that repeats a signature is refused like any replay (401) and never
        re-runs the command. (A retry Slack signs anew reaches the listener, which runs it only when its event
        never ran.) Redis down: refused too (503) — better Slack retries than a command runs twice.
        """
        key = REPLAY_PREFIX + hashlib.sha256(signature.encode()).hexdigest()[:32]
        try:
            # the window is ±5 minutes around the timestamp, so a signature stays acceptable up to 10 minutes
            first = await self._redis.set(key, "1", nx=True, ex=2 * SIGNATURE_WINDOW_S)
        except RedisError as exc:
            log.warning("slack replay check unavailable", error=type(exc).__name__)
            raise web.HTTPServiceUnavailable() from None
        if not first:
            log.info("slack replay refused", retry=retry)
        return bool(first)

    async def _first_event(self, event_id: Any, retry: str | None) -> bool:
        """Whether this event (by its `event_id`, the same in each of Slack's retries) is taken here for the first
        time. A retry (X-Slack-Retry-Num) of a delivery that ran is dropped; one whose first delivery never ran
        (refused while Redis was down, lost on the way) runs. Without an id or Redis: only a first attempt runs."""
        if not isinstance(event_id, str) or not event_id:
            return retry is None
        key = EVENT_PREFIX + hashlib.sha256(event_id.encode()).hexdigest()[:32]
        try:
            first = bool(await self._redis.set(key, "1", nx=True, ex=EVENT_SEEN_S))
        except RedisError as exc:
            log.warning("slack event check unavailable", error=type(exc).__name__)
            return retry is None
        if not first:
            log.info("slack event redelivery dropped", retry=retry)
        return first

    @property
    def socket_mode_enabled(self) -> bool:
        return self._app_token is not None

    def socket_mode_handler(self) -> AsyncSocketModeHandler:
        """The Socket Mode connection (made once, inside the running loop: its client starts a task)."""
        if self._app_token is None:
            raise RuntimeError("Socket Mode needs SLACK_APP_TOKEN")
        if self._socket_mode is None:
            self._socket_mode = AsyncSocketModeHandler(self.app, self._app_token)
        return self._socket_mode

    async def start_socket_mode(self) -> None:
        """Connect to Slack over a WebSocket (installs without a public URL); returns once connected. The
        WebSocket's URL is asked for first (`apps.connections.open`), so that tokens Slack refuses and a Slack that
        cannot be reached raise here (`start_failure` tells which): the SDK's connect retries every error, a
        revoked token included, for ever, and the process neither started its worker nor heard SIGTERM. A
        WebSocket that does not open within `SOCKET_CONNECT_S` is unreachable too (tried again later)."""
        handler = self.socket_mode_handler()
        handler.client.wss_uri = await handler.client.issue_new_wss_url()
        await asyncio.wait_for(handler.connect_async(), SOCKET_CONNECT_S)  # type: ignore[no-untyped-call]
        log.info("slack socket mode connected")

    @staticmethod
    def start_failure(exc: BaseException) -> Literal["refused", "unreachable"] | None:
        """What a failure to connect Socket Mode means: "refused" — the tokens (Slack answers invalid_auth,
        not_authed, token_revoked…); "unreachable" — no network, Slack down or rate-limiting; None — anything
        else."""
        if isinstance(exc, SlackApiError):
            error = str(exc.response.get("error", "")) if exc.response is not None else ""
            return "refused" if error in _REFUSED else "unreachable"
        if isinstance(exc, aiohttp.ClientError | TimeoutError | OSError):
            return "unreachable"
        return None

    async def stop(self) -> None:
        """Close the Socket Mode connection, if any."""
        if self._socket_mode is not None:
            await self._socket_mode.close_async()  # type: ignore[no-untyped-call]  # bolt leaves it bare
            self._socket_mode = None

    # listeners

    async def _on_command(
        self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, context: AsyncBoltContext
    ) -> None:
        """`/mailfleet <command> …` (bare `/mailfleet`: /help): ack at once, run, answer ephemerally."""
        await ack()
        async with self._after_ack(body, context):
            identity = await self._identity(body["user_id"], body.get("user_name", ""))
            channel = body.get("channel_id", "")
            line = as_typed(body.get("text", "")).strip() or "help"
            reply = await self.runner.run_line(identity, channel, line)
            waiting = await self._remember_file_question(body["user_id"], reply)
            reply = await self._with_file_hint(reply, line, identity, waiting=waiting)
            name, words = split_line(line.partition("\n")[0])
            cmd = REGISTRY.get(name)
            failure: Exception | None = None
            try:  # before the answer, which says where they went
                note = await self._send_files(body["user_id"], channel, reply, identity, name)
            except Exception as exc:  # answered after the answer, with a reference (`_after_ack`)
                note, failure = [], exc
            if reply.ok and cmd is not None and cmd.name in POSTS_HERE and "off" not in words:
                if await self._answer_in_channel(channel, body["user_id"], _with_blocks(reply, note)):
                    return
                t = translator(await self._locale(identity))
                reply = dataclasses.replace(reply, blocks=[*reply.blocks, Block(t("slack-not-member"), "error")])
            pages = await self._fit_response_url(reply, identity, note)
            await _respond_pages(respond, pages, response_type="ephemeral")
            if failure is not None:
                raise failure

    async def _on_button(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        respond: AsyncRespond,
        context: AsyncBoltContext,
    ) -> None:
        """A button runs its command with its value as the only argument; state is in the database. A button of a
        message the channel reads (an alert, an approval request) answers there, so it acts as a command in a shared
        chat does (`Runner.run(shared=True)`: in the channel's workspace); one of an ephemeral message (a slash
        command's answer) or of the app's DM answers only the person, in their current workspace, as the command
        that made it did."""
        await ack()
        async with self._after_ack(body, context):
            user = body["user"]
            identity = await self._identity(user["id"], user.get("username") or user.get("name", ""))
            channel = (body.get("channel") or {}).get("id") or body.get("container", {}).get("channel_id", "")
            value, name = action.get("value") or "", command_of(action["action_id"]) or ""
            shared = in_channel(channel) and not (body.get("container") or {}).get("is_ephemeral")
            reply = await self.runner.run(identity, channel, name, [value] if value else [], shared=shared)
            pages = await self._fit_response_url(reply, identity)
            if reply.ok:  # an answer with buttons of its own (the next page, a fresh request) is the message now
                pressed = str(action.get("block_id") or "")
                await _replace_message(respond, None if reply.buttons else body.get("message"), pages, pressed)
            else:
                await _respond_pages(respond, pages, response_type="ephemeral", replace_original=False)
            note = await self._send_files(user["id"], channel, reply, identity, name)
            if note:  # to the one who pressed: the replaced message is the channel's
                told = render(Reply(blocks=note))
                await _respond_pages(respond, told, response_type="ephemeral", replace_original=False)

    @contextlib.asynccontextmanager
    async def _after_ack(self, body: dict[str, Any], context: AsyncBoltContext) -> AsyncIterator[None]:
        """The work a listener does after its ack: what it raises is answered here (`_on_error`), never left to
        bolt. Bolt polls for the ack every 10 ms, and a listener that fails inside that gap erases the ack it
        made: Slack would get a 404 for a command that ran."""
        try:
            yield
        except Exception as exc:
            await self._on_error(exc, body, context)

    async def _on_message(self, event: dict[str, Any], body: dict[str, Any], request: AsyncBoltRequest) -> None:
        """A file sent with the name of a command that takes a file: that command, with the file as its argument.

        Anything else a person writes to the bot's DM is answered with how to use the bot (commands go through
        /mailfleet; a file needs a command's name beside it). Messages elsewhere are not for us (the bot does not
        chat), nor are edits, bots' posts (our own included) and an event already taken (`_first_event`).
        """
        files, user = event.get("files") or [], event.get("user")
        ours = event.get("subtype") in {None, "file_share"} and not event.get("bot_id")
        if not user or not ours:
            return
        retry = request.headers.get("x-slack-retry-num")  # bolt keeps each header as a list of its values
        if not await self._first_event(body.get("event_id"), retry[0] if retry else None):
            return
        text = LEADING_SLASH_COMMAND.sub("", as_typed(LEADING_MENTION.sub("", event.get("text", ""))).strip())
        im = event.get("channel_type") == "im"
        pending = await self._pending_file(user) if files and not text and im else None  # a file alone answers
        name, _ = pending or split_line(text.split(maxsplit=1)[0] if text else "")  # the runner bounds the rest
        command = REGISTRY.get(name)
        channel, thread_ts = event["channel"], event.get("thread_ts")
        identity = await self._identity(user, "")
        if not files or command is None or command.file_arg is None:
            if im:
                t = translator(await self._locale(identity))
                hint = Reply().add(t("slack-file-no-command"), "error") if files else Reply().add(t("slack-text-hint"))
                await post_reply(self.client, channel, hint, thread_ts)
            return
        limit = file_limit(name, FILE_MAX_BYTES)
        shared = not im  # answered in the channel, for everyone there: its workspace's (`Runner.run(shared=True)`)
        refused = await self.runner.precheck(identity, name, channel, shared=shared) or await self._one_file(
            files, identity
        )
        fetched = refused or await self._fetch(files[0], limit, identity)
        if isinstance(fetched, Reply):
            await post_reply(self.client, channel, fetched, thread_ts)
            return
        if pending is not None:
            reply = await self.runner.run(identity, channel, name, pending[1], fetched, shared=shared)
        else:
            reply = await self.runner.run_line(identity, channel, text, fetched, shared=shared)
        await post_reply(self.client, channel, reply, thread_ts)

    async def _on_chat_lost(
        self, event: dict[str, Any], body: dict[str, Any], request: AsyncBoltRequest, context: AsyncBoltContext
    ) -> None:
        """The bot can no longer post in a channel: removed from it (`member_left_channel` naming the bot itself;
        `channel_left`, `group_left`), or the channel archived or deleted. When a workspace or the agency writes
        there, the agency is told now, while someone can add the app back, not by the next alert that fails there
        (`engine.notify.chat_lost`). The reason is the error Slack would give a post there."""
        channel = event.get("channel")
        if not isinstance(channel, str) or not channel:
            return
        if event.get("type") == "member_left_channel" and event.get("user") != context.bot_user_id:
            return  # a person left
        retry = request.headers.get("x-slack-retry-num")
        if not await self._first_event(body.get("event_id"), retry[0] if retry else None):
            return
        reason = CHAT_LOST_EVENTS[str(event.get("type"))]
        if await chat_lost(Platform.SLACK, channel, reason, self.runner.clock):
            log.info("slack channel lost", channel=channel, reason=reason)

    async def _one_file(self, files: list[Any], identity: Identity) -> Reply | None:
        """The refusal of a message sharing several files (Slack takes up to ten at once), or None for one: a command
        takes one file, and running it on the first alone would drop the others without a word."""
        if len(files) < 2:
            return None
        t = translator(await self._locale(identity))
        names = [
            shorten(str(f.get("name") or "file"), FILE_NAME_SHOWN) for f in files[:FILES_NAMED] if isinstance(f, dict)
        ]
        text = t(
            "slack-one-file", count=len(files), names=", ".join(names) + (", …" if len(files) > FILES_NAMED else "")
        )
        return Reply(ok=False).add(text, "error")

    async def _fetch(self, file: dict[str, Any], limit: int, identity: Identity) -> Attachment | Reply:
        """The shared file (for a command `identity` may run: asked first), or the refusal to post in the person's
        language: too large (declared or downloaded), or not downloadable."""
        t = translator(await self._locale(identity))
        name = str(file.get("name") or "file")
        too_large = Reply(ok=False).add(t("slack-file-too-large", limit_mb=limit // 2**20), "error")
        declared = file.get("size")
        if isinstance(declared, int) and declared > limit:  # the download is capped anyway
            return too_large
        try:
            attachment = await self._download(file, limit)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            # only the type: aiohttp errors quote the URL, and the URL came from the request
            log.warning("slack download failed", error=type(exc).__name__)
            return Reply(ok=False).add(t("slack-download-failed", name=name), "error")
        return too_large if attachment is None else attachment

    async def _on_error(self, error: Exception, body: dict[str, Any], context: AsyncBoltContext) -> None:
        """Anything a listener did not expect: logged with a reference (never the payload — it carries
        tokens), and the person gets the generic localized message quoting that reference."""
        ref = uuid.uuid4().hex[:8]
        log.error(
            "slack request failed",
            ref=ref,
            kind=body.get("type") or body.get("command"),
            user=context.user_id,
            channel=context.channel_id,
            exc_info=error,
        )
        user = context.user_id
        locale = await self._locale(await self._identity(user, "")) if user else self.default_locale
        text = escape(translator(locale)("error-internal", ref=ref))
        if context.respond is not None and context.response_url:
            await context.respond(text=text, response_type="ephemeral", replace_original=False)
        elif context.channel_id:
            await self.client.chat_postMessage(channel=context.channel_id, text=text)

    # helpers

    async def _remember_file_question(self, user: str, reply: Reply) -> bool:
        """After a slash command: when it asked for its file (a slash command carries none), remember the question
        for PENDING_FILE_S, so that the file sent alone to the bot's DM answers it, as Telegram's next document
        does; any other command drops an open question, as in Telegram. Whether a question is open now."""
        key = PENDING_FILE_PREFIX + user
        awaiting = reply.awaiting
        cmd = REGISTRY.get(awaiting[0]) if awaiting is not None else None
        try:
            if awaiting is None or cmd is None or not _wants_only_its_file(cmd, awaiting[1]):
                await self._redis.delete(key)
                return False
            question = json.dumps({"command": cmd.name, "words": awaiting[1]})
            await self._redis.set(key, question, ex=PENDING_FILE_S)
        except RedisError as exc:  # the question is only a convenience: the refusal still says what to do
            log.warning("slack file question not kept", error=type(exc).__name__)
            return False
        return True

    async def _pending_file(self, user: str) -> tuple[str, list[str]] | None:
        """The file question `user` left open (taken: it is answered once), or None."""
        try:
            raw = await self._redis.getdel(PENDING_FILE_PREFIX + user)
        except RedisError as exc:
            log.warning("slack file question unavailable", error=type(exc).__name__)
            return None
        if raw is None:
            return None
        question = json.loads(raw)
        return str(question["command"]), [str(w) for w in question["words"]]

    async def _with_file_hint(self, reply: Reply, line: str, identity: Identity, *, waiting: bool = False) -> Reply:
        """A refused slash command whose command takes a file: a slash command never carries one, so the refusal
        ("send it as a document", "attach it to the command") gets how a file reaches the bot in Slack — in a
        direct message, with the command line, without /mailfleet, as its text. Not for someone who may not run
        the command at all."""
        name, _ = split_line(line.partition("\n")[0])
        cmd = REGISTRY.get(name)
        if reply.ok or cmd is None or cmd.file_arg is None or await self.runner.precheck(identity, name) is not None:
            return reply
        t = translator(await self._locale(identity))
        typed = shorten(line.partition("\n")[0].removeprefix("/"), HINT_LINE_MAX)
        hint = t("slack-file-waiting" if waiting else "slack-file-how", line=typed, minutes=PENDING_FILE_S // 60)
        return dataclasses.replace(reply, blocks=[*reply.blocks, Block(hint)])

    async def _answer_in_channel(self, channel: str, user: str, reply: Reply) -> bool:
        """The answer, shown to `user` alone, posted by the bot itself in `channel`: False (nothing posted) when
        Slack refuses because the bot is not a member there."""
        for number, page in enumerate(render(reply)):
            try:
                await self.client.chat_postEphemeral(channel=channel, user=user, text=page.text, blocks=page.blocks)
            except SlackApiError as exc:
                if number > 0 or (exc.response.get("error") if exc.response is not None else None) not in _NOT_HERE:
                    raise
                log.info("slack bot not in the channel", error=exc.response.get("error"))
                return False
        return True

    async def _send_files(self, user: str, channel: str, reply: Reply, identity: Identity, command: str) -> list[Block]:
        """Send the reply's files to `user` alone: to their DM with the app, opened with conversations.open (the
        app's DM is where Slack lets a bot share with one person; a file shared in a channel is the channel's).
        All files go in one upload, shared by one files.completeUploadExternal: all of them arrive, or none.

        What the answer in `channel` says about them: where they went; nothing when `channel` is that DM (they
        are right there); or why they did not go — the app lacks a scope (named: an admin adds it and reinstalls),
        Slack is limiting us (after the client waited Retry-After twice), or the DM cannot take them now. In every
        such case nothing is shared anywhere — but a command typed in the app's DM, whose files go there even
        without im:write. Any other failure is raised (answered with a reference)."""
        if not reply.files:
            return []
        t = translator(await self._locale(identity))
        names = ", ".join(shorten(f.filename, FILE_NAME_SHOWN) for f in reply.files[:FILES_NAMED])
        names += ", …" if len(reply.files) > FILES_NAMED else ""
        count = len(reply.files)
        try:
            opened = await self.client.conversations_open(users=user)
        except SlackApiError as exc:
            if _error_of(exc) == "missing_scope" and channel.startswith("D") and await self._share_here(channel, reply):
                return []  # typed in the app's DM: without im:write the files still go there, as the answer does
            return _not_sent(exc, t, DM_SCOPE, names=names, count=count)
        dm = str(opened["channel"]["id"])
        comment = None if dm == channel else t("slack-file-dm-comment", count=count, command=command)
        try:
            await upload_files(self.client, dm, reply, initial_comment=comment)
        except SlackApiError as exc:
            return _not_sent(exc, t, FILES_SCOPE, names=names, count=count)
        except SlackRequestError:  # an upload URL refused the bytes: its message quotes Slack's body, not ours
            log.warning("slack file upload refused", files=count)
            raise
        return [] if dm == channel else [Block(t("slack-file-sent-dm", names=names, count=count))]

    async def _share_here(self, channel: str, reply: Reply) -> bool:
        """Share the files in `channel`, a 1:1 DM (`D…`), when the app is in it: the app's own DM with the person.
        A DM between two people never has the app in it, so Slack refuses there and nothing is shared."""
        try:
            await upload_files(self.client, channel, reply)
        except SlackApiError as exc:
            log.info("slack files not shared in the dm", error=_error_of(exc))
            return False
        return True

    async def _identity(self, user_id: str, display_name: str) -> Identity:
        return self.runner.identity(Platform.SLACK, user_id, display_name, await self._language(user_id))

    async def _language(self, user_id: str) -> str:
        """The language a person is spoken to in until they choose one with /lang: their Slack language when
        Mailfleet speaks it, else the default. users.info is asked once a day per person (Redis); without the
        users:read scope, or while Slack or Redis fail, the default speaks and the answer is never held up."""
        key = LANGUAGE_KEY + user_id
        code: str | None = None
        with contextlib.suppress(RedisError):
            remembered = await self._redis.get(key)
            code = remembered.decode() if remembered is not None else None
        if code is None:
            ttl = LANGUAGE_TTL_S
            try:
                answer = await asyncio.wait_for(
                    self.client.users_info(user=user_id, include_locale=True), LANGUAGE_WAIT_S
                )
                user = answer.get("user")
                code = str(user.get("locale") or "") if isinstance(user, dict) else ""
            except (SlackApiError, SlackRequestError, aiohttp.ClientError, TimeoutError, OSError) as exc:
                error = _error_of(exc) if isinstance(exc, SlackApiError) else type(exc).__name__
                log.info("slack language not read", error=error)  # never the response: it names the person
                code, ttl = "", LANGUAGE_RETRY_S
            with contextlib.suppress(RedisError):
                await self._redis.set(key, code[:35], ex=ttl)
        return spoken(code, self.default_locale)

    async def _fit_response_url(
        self, reply: Reply, identity: Identity, tail: list[Block] | None = None
    ) -> list[SlackMessage]:
        """The pages of `reply` and then `tail` a response_url takes: Slack accepts five posts to one and drops the
        rest without a word, so a longer answer keeps its first four pages and ends with one saying how many lines
        are not shown — and the tail (where the files went), which is never cut."""
        tail = tail or []
        pages = render(_with_blocks(reply, tail))
        if len(pages) <= RESPONSE_URL_POSTS:
            return pages
        pages = render(reply)
        kept, left = pages[: RESPONSE_URL_POSTS - 1], pages[RESPONSE_URL_POSTS - 1 :]
        lines = sum(_lines_of(block) for page in left for block in page.blocks)
        t = translator(await self._locale(identity))
        note = render(Reply(blocks=[Block(t("slack-reply-cut", lines=lines), "error"), *tail], ok=False))
        return kept + note

    async def _locale(self, identity: Identity) -> str:
        """The language of the transport's own messages to a person: their /lang, else the default. The database
        may be what failed: then the default."""
        try:
            return (await resolve_actor(identity)).locale
        except Exception:
            log.warning("slack locale unavailable", exc_info=True)
            return self.default_locale

    async def _download(self, file: dict[str, Any], limit: int = FILE_MAX_BYTES) -> Attachment | None:
        """The file's bytes from `url_private_download` (bot token as Bearer), only on the file host; None when it
        turns out larger than the limit. A URL elsewhere raises `ValueError` and is never requested. A redirect
        to another origin would lose the token (aiohttp drops Authorization across origins)."""
        url = str(file.get("url_private_download") or file.get("url_private") or "")
        if not is_file_url(url, self.files_base):
            raise ValueError("the file is not on Slack's file host")
        content = bytearray()
        timeout = aiohttp.ClientTimeout(total=DOWNLOAD_TIMEOUT_S)
        headers = {"Authorization": f"Bearer {self._bot_token}"}
        async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url, headers=headers) as response:
            response.raise_for_status()
            async for chunk in response.content.iter_chunked(64 * 1024):
                content += chunk
                if len(content) > limit:
                    return None
        return Attachment(file.get("name") or "file", bytes(content), file.get("mimetype") or "")


def in_channel(channel: str) -> bool:
    """Whether a conversation is read by others than the person and the app: every conversation but a 1:1 DM,
    whose id starts with `D` (a channel's with `C`, a private channel's or a group DM's with `C` or `G`). A DM
    between two people has the app in it never, so nothing the app posts lands there."""
    return bool(channel) and not channel.startswith("D")


def _wants_only_its_file(cmd: Command, words: list[str]) -> bool:
    """Whether `words` are all `cmd` needs but its file: a question a file alone can answer."""
    if cmd.file_arg is None:
        return False
    try:
        parse_args(cmd, words, Attachment("file", b""))
    except UserError:
        return False
    return True


def _error_of(exc: SlackApiError) -> str:
    return str(exc.response.get("error", "")) if exc.response is not None else ""


def _not_sent(exc: SlackApiError, t: Translator, scope: str, *, names: str, count: int) -> list[Block]:
    """What the answer says of files Slack refused to take (nothing of them is shared anywhere): the scope the app
    lacks (ours, for the step that failed: Slack's `needed` may list several), when to try again after a 429 the
    client already waited out twice, or that this person's DM cannot take them. Anything else is raised."""
    error = _error_of(exc)
    log.warning("slack files not sent", error=error, scope=scope, files=count)  # never the response: ids, scopes
    if error == "missing_scope":
        return [Block(t("slack-file-dm-scope", names=names, count=count, scope=scope), "error")]
    if error == "ratelimited":
        seconds = _retry_after_s(exc.response.headers if exc.response is not None else {})
        return [Block(t("slack-file-dm-busy", names=names, count=count, seconds=seconds), "error")]
    if error in _NO_DM:
        return [Block(t("slack-file-dm-failed", names=names, count=count, error=error), "error")]
    raise exc


def _with_blocks(reply: Reply, blocks: list[Block]) -> Reply:
    return dataclasses.replace(reply, blocks=[*reply.blocks, *blocks]) if blocks else reply


def _retry_after_s(headers: Any) -> int:
    """Seconds a 429 asks us to wait (Retry-After; a list of values in some clients), else a minute."""
    value = headers.get("Retry-After") or headers.get("retry-after")
    value = value[0] if isinstance(value, list) and value else value
    return int(value) if isinstance(value, str) and value.isdigit() else RETRY_AFTER_DEFAULT_S


def _lines_of(block: dict[str, Any]) -> int:
    """How many lines of the answer a rendered block shows (a button row shows none)."""
    text = block.get("text")
    if not isinstance(text, dict):
        return 0
    return str(text.get("text", "")).removeprefix(CODE_FENCE).removesuffix(CODE_FENCE).count("\n") + 1


def _unauthorized() -> web.Response:
    return web.Response(status=401, text="invalid request signature")


async def _respond_pages(respond: AsyncRespond, pages: list[SlackMessage], **options: Any) -> None:
    """The pages in order, until one is refused: the rest of an answer whose start is missing would only
    puzzle (the person asks again)."""
    for page in pages:
        if not await _post(respond, text=page.text, blocks=page.blocks, **options):
            return


async def _post(respond: AsyncRespond, **message: Any) -> bool:
    """Post to the response_url; whether Slack took it. bolt returns Slack's refusal instead of raising: say it
    in the log (the status only: the URL is a credential for the channel), and go on — the person may ask again."""
    response = await respond(**message)
    if response.status_code != 200:
        log.warning("slack reply not delivered", status=response.status_code, body=str(response.body)[:200])
        return False
    return True


async def _replace_message(
    respond: AsyncRespond, original: dict[str, Any] | None, pages: list[SlackMessage], pressed: str = ""
) -> None:
    """The pressed message keeps its text, loses its buttons and gains the confirmation; more pages follow it. In a
    list whose items each have their buttons (/approvals), only the pressed item's row gives way, to the
    confirmation: the other items keep theirs."""
    first, rest = (pages[0], pages[1:]) if pages else (SlackMessage([], ""), [])
    blocks = _in_place_of(original, pressed, first.blocks)
    if blocks is None:
        kept = [b for b in (original or {}).get("blocks", []) if b.get("type") != "actions"]
        blocks = kept + first.blocks if fits(kept + first.blocks) else first.blocks
    if await _post(respond, text=first.text, blocks=blocks, replace_original=True):
        await _respond_pages(respond, rest, response_type="ephemeral", replace_original=False)


def _in_place_of(
    original: dict[str, Any] | None, pressed: str, answer: list[dict[str, Any]]
) -> list[dict[str, Any]] | None:
    """The original's blocks with `answer` in place of the pressed row, when the message is a list of items each
    with its own row (each row right under a text, and another such row besides the pressed one); None otherwise,
    or when the result would not fit a message."""
    blocks = list((original or {}).get("blocks", []))

    def own_row(i: int) -> bool:  # a row right under its item's text
        return blocks[i].get("type") == "actions" and i > 0 and blocks[i - 1].get("type") != "actions"

    at = next((i for i, b in enumerate(blocks) if pressed and b.get("block_id") == pressed and own_row(i)), None)
    if at is None or not any(own_row(i) for i in range(len(blocks)) if i != at):
        return None
    replaced = blocks[:at] + answer + blocks[at + 1 :]
    return replaced if fits(replaced) else None

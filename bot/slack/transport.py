"""The Slack transport: one slash command (`/mailfleet <command> …`), Block Kit buttons, CSV files sent to the bot.

Every listener acknowledges first and works after: bolt runs with `process_before_response=False`, so the HTTP
response (or the Socket Mode envelope ack) leaves as soon as `ack()` is called — well inside Slack's 3 seconds —
and the listener goes on to run the command and answer through `response_url` or chat.postMessage.

Visibility, decided once:
- a slash command's answer is ephemeral (only the person who typed it sees it): invite codes, member lists and
  mistakes are nobody else's business; files are shared in the channel (Slack has no ephemeral files);
- a button that worked replaces its message — its text stays, the buttons go, the confirmation is added — so the
  channel sees who decided; a button that failed ("already decided", "forbidden") answers ephemerally and leaves
  the message as it was;
- a file sent to the bot with a command's name (a DM: "import_leads acme" + leads.csv) is answered in that
  channel.

A person is the Slack user id alone (`U…`/`W…`, unique across Slack and stable across an Enterprise Grid org),
the same string ADMIN_SLACK_IDS lists. The display name comes from the payload (no users.info call per request);
the language is the person's `/lang`, else the configured default.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.command import REGISTRY, split_line
from bot.runner import Runner
from bot.slack.notifier import post_reply, upload_files, web_client
from bot.slack.render import ACTION_ID, BLOCKS_MAX, SlackMessage, command_of, escape, render, unescape
from engine.i18n import translator
from engine.logging import get_logger
from engine.people import Identity
from engine.reply import Attachment, Reply
from engine.settings import Settings
from models.enums import Platform

log = get_logger(__name__)

SLASH_COMMAND = "/mailfleet"
DEFAULT_PATH = "/slack/events"
FILE_MAX_BYTES = 20 * 1024 * 1024  # a lead list of a few hundred thousand rows; more is a mistake or an attack
DOWNLOAD_TIMEOUT_S = 60
LEADING_MENTION = re.compile(r"^\s*<@[A-Z0-9]+(\|[^>]*)?>\s*")


class SlackTransport:
    """The bolt app, its listeners and how it is hosted (a route on the shared aiohttp app, or Socket Mode)."""

    def __init__(
        self,
        runner: Runner,
        *,
        bot_token: str,
        signing_secret: str,
        api_base: str,
        app_token: str | None = None,
        default_locale: str = "ru",
    ) -> None:
        self.runner = runner
        self.default_locale = default_locale
        self._bot_token = bot_token  # file downloads need it; never logged
        self._app_token = app_token
        self._socket_mode: AsyncSocketModeHandler | None = None
        self.client = web_client(bot_token, api_base)
        self.app = AsyncApp(signing_secret=signing_secret, client=self.client, process_before_response=False)
        self.app.command(SLASH_COMMAND)(self._on_command)
        self.app.action(ACTION_ID)(self._on_button)
        self.app.event("message")(self._on_message)
        self.app.error(self._on_error)

    @classmethod
    def from_settings(cls, runner: Runner, settings: Settings) -> SlackTransport | None:
        """The transport the settings describe, or None when Slack is not configured (no bot token or secret)."""
        if settings.slack_bot_token is None or settings.slack_signing_secret is None:
            return None
        return cls(
            runner,
            bot_token=settings.slack_bot_token.get_secret_value(),
            signing_secret=settings.slack_signing_secret.get_secret_value(),
            api_base=settings.slack_api_base,
            app_token=settings.slack_app_token.get_secret_value() if settings.slack_app_token else None,
            default_locale=settings.default_locale,
        )

    # hosting

    def register(self, app: web.Application, path: str = DEFAULT_PATH) -> None:
        """Serve slash commands, button presses and events at `path` of the shared aiohttp app (HTTP mode)."""
        app.router.add_post(path, self._handle_http)

    async def _handle_http(self, request: web.Request) -> web.Response:
        """Bolt checks the signature and the timestamp (401 otherwise) before any listener runs."""
        return await to_aiohttp_response(await self.app.async_dispatch(await to_bolt_request(request)))

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
        """Connect to Slack over a WebSocket (installs without a public URL); returns once connected."""
        await self.socket_mode_handler().connect_async()  # type: ignore[no-untyped-call]  # bolt leaves it bare
        log.info("slack socket mode connected")

    async def stop(self) -> None:
        """Close the Socket Mode connection, if any."""
        if self._socket_mode is not None:
            await self._socket_mode.close_async()  # type: ignore[no-untyped-call]  # bolt leaves it bare
            self._socket_mode = None

    # listeners

    async def _on_command(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        """`/mailfleet <command> …` (bare `/mailfleet`: /help): ack at once, run, answer ephemerally."""
        await ack()
        name, words = split_line(unescape(body.get("text", "")))
        identity = self._identity(body["user_id"], body.get("user_name", ""))
        channel = body.get("channel_id", "")
        reply = await self.runner.run(identity, channel, name or "help", words)
        await _respond_pages(respond, render(reply), response_type="ephemeral")
        await upload_files(self.client, channel, reply)

    async def _on_button(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        """A button runs its command with its value as the only argument; state is in the database."""
        await ack()
        user = body["user"]
        identity = self._identity(user["id"], user.get("username") or user.get("name", ""))
        channel = (body.get("channel") or {}).get("id") or body.get("container", {}).get("channel_id", "")
        value, name = action.get("value") or "", command_of(action["action_id"]) or ""
        reply = await self.runner.run(identity, channel, name, [value] if value else [])
        if reply.ok:
            await _replace_message(respond, body.get("message"), render(reply))
        else:
            await _respond_pages(respond, render(reply), response_type="ephemeral", replace_original=False)
        await upload_files(self.client, channel, reply)

    async def _on_message(self, event: dict[str, Any], request: AsyncBoltRequest) -> None:
        """A file sent with the name of a command that takes a file: that command, with the file as its argument.

        Other messages are not for us (the bot does not chat). A redelivery by Slack (X-Slack-Retry-Num) is
        ignored: the first delivery is already running.
        """
        files, user = event.get("files") or [], event.get("user")
        if not files or not user or request.headers.get("x-slack-retry-num"):
            return
        name, words = split_line(LEADING_MENTION.sub("", unescape(event.get("text", ""))))
        command = REGISTRY.get(name)
        if command is None or command.file_arg is None:
            return
        channel, thread_ts = event["channel"], event.get("thread_ts")
        attachment = await self._download(files[0])
        if attachment is None:
            t = translator(self.default_locale)
            too_large = Reply(ok=False).add(t("slack-file-too-large", limit_mb=FILE_MAX_BYTES // 2**20), "error")
            await post_reply(self.client, channel, too_large, thread_ts)
            return
        reply = await self.runner.run(self._identity(user, ""), channel, name, words, attachment)
        await post_reply(self.client, channel, reply, thread_ts)

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
        text = escape(translator(self.default_locale)("error-internal", ref=ref))
        if context.respond is not None and context.response_url:
            await context.respond(text=text, response_type="ephemeral", replace_original=False)
        elif context.channel_id:
            await self.client.chat_postMessage(channel=context.channel_id, text=text)

    # helpers

    def _identity(self, user_id: str, display_name: str) -> Identity:
        return self.runner.identity(Platform.SLACK, user_id, display_name, self.default_locale)

    async def _download(self, file: dict[str, Any]) -> Attachment | None:
        """The file's bytes from `url_private_download` (bot token as Bearer); None when it is too large."""
        if int(file.get("size") or 0) > FILE_MAX_BYTES:
            return None
        url = file.get("url_private_download") or file["url_private"]
        content = bytearray()
        timeout = aiohttp.ClientTimeout(total=DOWNLOAD_TIMEOUT_S)
        headers = {"Authorization": f"Bearer {self._bot_token}"}
        async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url, headers=headers) as response:
            response.raise_for_status()
            async for chunk in response.content.iter_chunked(64 * 1024):
                content += chunk
                if len(content) > FILE_MAX_BYTES:
                    return None
        return Attachment(file.get("name") or "file", bytes(content), file.get("mimetype") or "")


async def _respond_pages(respond: AsyncRespond, pages: list[SlackMessage], **options: Any) -> None:
    for page in pages:
        await respond(text=page.text, blocks=page.blocks, **options)


async def _replace_message(respond: AsyncRespond, original: dict[str, Any] | None, pages: list[SlackMessage]) -> None:
    """The pressed message keeps its text, loses its buttons and gains the confirmation; more pages follow it."""
    kept = [b for b in (original or {}).get("blocks", []) if b.get("type") != "actions"]
    first, rest = (pages[0], pages[1:]) if pages else (SlackMessage([], ""), [])
    blocks = kept + first.blocks if len(kept) + len(first.blocks) <= BLOCKS_MAX else first.blocks
    await respond(text=first.text, blocks=blocks, replace_original=True)
    await _respond_pages(respond, rest, response_type="ephemeral", replace_original=False)

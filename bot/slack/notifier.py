"""Posting a Reply to a Slack channel: the Notifier the delivery job uses, and the transport's answers to events."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.render import render
from engine.notify import DeliveryFailed
from engine.reply import Reply
from engine.settings import Settings
from models.enums import Platform

# chat.postMessage errors that no retry can fix: the channel is gone or the bot is not in it
PERMANENT_ERRORS = frozenset({"channel_not_found", "not_in_channel", "is_archived", "account_inactive"})
RATE_LIMIT_RETRIES = 2  # honour Retry-After twice, then let the caller see the 429


def web_client(bot_token: str, api_base: str) -> AsyncWebClient:
    """The Web API client every Slack caller uses: a 429 waits for Retry-After instead of failing at once."""
    client = AsyncWebClient(token=bot_token, base_url=api_base)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES))
    return client


async def post_reply(client: AsyncWebClient, channel: str, reply: Reply, thread_ts: str | None = None) -> str:
    """chat.postMessage every page of the reply, then upload its files; the ts of the first message ("" if none)."""
    first_ts = ""
    for message in render(reply):
        posted = await client.chat_postMessage(
            channel=channel, text=message.text, blocks=message.blocks, thread_ts=thread_ts
        )
        first_ts = first_ts or str(posted["ts"])
    await upload_files(client, channel, reply, thread_ts)
    return first_ts


async def upload_files(
    client: AsyncWebClient,
    channel: str,
    reply: Reply,
    thread_ts: str | None = None,
    *,
    initial_comment: str | None = None,
) -> None:
    """The reply's files, shared in `channel` with one files_upload_v2 — everyone there sees them (Slack has no
    ephemeral files): a person's own files go to their DM with the app (the transport's `_send_files`).

    Each file gets its upload URL and its bytes first; one files.completeUploadExternal then shares them all, so
    a failure on the way shares none (an upload never completed stays private to the app). Slack takes files of
    up to 1 GB; ours are far smaller (exports stop at engine/exports.EXPORT_MAX_BYTES)."""
    if not reply.files:
        return
    uploads = [{"content": f.content, "filename": f.filename, "title": f.filename} for f in reply.files]
    await client.files_upload_v2(
        file_uploads=uploads, channel=channel, thread_ts=thread_ts, initial_comment=initial_comment
    )


class SlackNotifier:
    """`engine.notify.Notifier` for Slack: alerts, digests and approval requests posted to a bound channel."""

    platform: Platform = Platform.SLACK

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    @classmethod
    def from_settings(cls, settings: Settings) -> SlackNotifier | None:
        """For a worker process, which has no transport; None when SLACK_BOT_TOKEN is unset."""
        if settings.slack_bot_token is None:
            return None
        return cls(web_client(settings.slack_bot_token.get_secret_value(), settings.slack_api_base))

    async def send(self, chat_id: str, reply: Reply) -> str:
        try:
            return await post_reply(self.client, chat_id, reply)
        except SlackApiError as exc:
            if exc.response.get("error") in PERMANENT_ERRORS:
                raise DeliveryFailed(str(exc.response.get("error"))) from None
            raise

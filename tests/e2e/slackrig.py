"""The Slack side of the end-to-end tests: the real bolt app on a loopback socket behind the real transport, a
stand-in for the Web API and for Slack's file host, and helpers that post signed requests the way Slack does.

Every Slack e2e file opens `slack_rig(redis, services)` with the services its feature needs; nothing in between
is mocked."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import aiohttp
from aiohttp import web
from redis.asyncio import Redis

from bot.runner import Runner
from bot.slack.render import escape, slack_commands
from bot.slack.transport import SlackTransport
from engine.clock import SystemClock
from engine.i18n import translator
from models import Workspace
from models.enums import Platform
from tests.harness.slack_files import DM_CHANNEL_ID, SlackFiles, message_event_body
from tests.harness.slackapi import (
    CHANNEL_ID,
    ResponseUrlPost,
    SlackAPI,
    block_actions_body,
    serve,
    signed_headers,
    slash_command_body,
)

SECRET = "e2e-signing-secret"
BOT_TOKEN = "xoxb-e2e-0000-secret-bot-token"
ADMIN = "U0ADMIN"  # the agency admin (a Runner built for Slack lists this user among its admins)
EN = translator("en")
CLOCK = SystemClock()  # Slack signatures are checked against real time, so everything runs on it


def readme_scopes() -> frozenset[str]:
    """The bot scopes the README's Slack setup tells an admin to grant: the stand-in grants exactly these, so a
    method the app calls without its scope listed there fails here as it would in Slack."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    found = re.search(r"scopes `([a-z:. ]+)`", readme)
    assert found, "README: the Slack setup lists no bot scopes"
    return frozenset(found.group(1).split())


SCOPES = readme_scopes()


def seen(text: str) -> str:
    """What Slack shows of a localized text: commands as `/mailfleet <command>`, entities escaped."""
    return escape(slack_commands(text))


def texts(blocks: list[dict[str, Any]]) -> list[str]:
    """The visible text of header and section blocks, in order."""
    return [b["text"]["text"] for b in blocks if b["type"] in {"header", "section"}]


@dataclass
class Rig:
    """The app's events URL, the stand-ins it talks to, and helpers that post signed requests as Slack does."""

    api: SlackAPI
    files: SlackFiles
    transport: SlackTransport
    events_url: str
    http: aiohttp.ClientSession

    async def post(self, body: str, headers: dict[str, str]) -> int:
        async with self.http.post(self.events_url, data=body, headers=headers) as response:
            return response.status

    async def command(
        self, text: str, *, user: str = ADMIN, name: str = "tester", channel: str = CHANNEL_ID
    ) -> dict[str, Any]:
        """`/mailfleet <text>` typed by `user` (text escaped as Slack sends it); the answer posted to response_url
        — or, for a command answered with chat.postEphemeral (/bind), that message."""
        expected, ephemerals = len(self.api.responses) + 1, len(self.api.ephemerals)
        body = slash_command_body(
            "/mailfleet", escape(text), response_url=self.api.response_url(), user_id=user, user_name=name,
            channel_id=channel,
        )  # fmt: skip
        assert await self.post(body, signed_headers(SECRET, body)) == 200
        await self.api.wait_until(
            lambda: len(self.api.responses) >= expected or len(self.api.ephemerals) > ephemerals,
            f"an answer to /mailfleet {text[:40]}",
            within=30,
        )
        if len(self.api.ephemerals) > ephemerals:
            return self.api.ephemerals[ephemerals] | {"response_type": "ephemeral"}
        return self.api.responses[expected - 1].body

    async def say(self, text: str, *, user: str = ADMIN, channel: str = CHANNEL_ID) -> list[str]:
        """`command`, reduced to the visible texts of the answer."""
        return texts((await self.command(text, user=user, channel=channel))["blocks"])

    async def upload(
        self, command: str, name: str, data: bytes, *, user: str = ADMIN, channel: str = DM_CHANNEL_ID
    ) -> list[str]:
        """A file sent to the bot's DM (or to `channel`, a channel the app is in) with `command` as its text; the
        visible texts of the answer there."""
        expected = len(self.api.calls_to("chat.postMessage")) + 1
        kind = "im" if channel.startswith("D") else "channel"
        body = message_event_body(
            command, files=[self.files.add(name, data)], user_id=user, channel_id=channel, channel_type=kind
        )
        assert await self.post(body, signed_headers(SECRET, body, content_type="application/json")) == 200
        answer = await self.api.wait_call("chat.postMessage", count=expected, within=30)
        assert answer.params["channel"] == channel
        return texts(answer.params["blocks"])

    async def press(
        self, action: dict[str, Any], *, user: str, channel: str, message: dict[str, Any], ephemeral: bool = False
    ) -> ResponseUrlPost:
        """Click `action` (a button element as posted) on `message`, which Slack sends along with its blocks
        (`ephemeral`: a message only this person sees, such as a slash command's answer)."""
        expected = len(self.api.responses) + 1
        rows = [b for b in message["blocks"] if b.get("type") == "actions" and action in b.get("elements", [])]
        block_id = rows[0].get("block_id", "mf.row.0") if rows else "mf.row.0"  # the row it is in, as Slack says
        body = block_actions_body(
            action["action_id"], action.get("value", ""), response_url=self.api.response_url(), user_id=user,
            channel_id=channel, message_ts=message["ts"], block_id=block_id,
        )  # fmt: skip
        payload = json.loads(parse_qs(body)["payload"][0])
        payload["message"] |= {"text": message["text"], "blocks": message["blocks"]}
        payload["container"]["is_ephemeral"] = ephemeral
        body = urlencode({"payload": json.dumps(payload)})
        assert await self.post(body, signed_headers(SECRET, body)) == 200
        return await self.api.wait_response(count=expected)


@asynccontextmanager
async def slack_rig(
    redis: Redis, services: dict[str, Any] | None = None, *, scopes: frozenset[str] = SCOPES
) -> AsyncIterator[Rig]:
    """The real Slack transport, served on loopback and talking to fresh stand-ins, for a runner with `services`
    (Redis alone by default) on the real clock, with `ADMIN` as the agency admin; the bot token has `scopes` (the
    README's)."""
    runner = Runner(CLOCK, admins={Platform.SLACK: {ADMIN}}, services=services or {"redis": redis})
    async with SlackAPI(token=BOT_TOKEN, scopes=scopes) as api, SlackFiles(token=BOT_TOKEN) as files:
        transport = SlackTransport(
            runner,
            bot_token=BOT_TOKEN,
            signing_secret=SECRET,
            api_base=api.base_url,
            redis=redis,
            default_locale="en",
            files_base=files.root,
        )
        app = web.Application()
        transport.register(app)
        async with serve(app) as url, aiohttp.ClientSession() as http:
            yield Rig(api, files, transport, f"{url}/slack/events", http)


async def join(rig: Rig, user: str, role: str, *, name: str = "tester") -> None:
    """The admin creates "acme" (once) and invites `user`, who joins with the code — all through Slack."""
    if not await Workspace.exists(slug="acme"):
        await rig.command('workspace_new acme "ACME & Co"', user=ADMIN, name="boss")
    invite = await rig.command(f"invite {role}", user=ADMIN, name="boss")
    [code] = [t.strip("`") for t in texts(invite["blocks"]) if t.startswith("```")]
    joined = await rig.command(f"join {code}", user=user, name=name)
    assert texts(joined["blocks"]) == [seen(EN("start-joined", workspace="ACME & Co", slug="acme"))]

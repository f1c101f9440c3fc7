"""Files shared with a Slack app, for the stand-in of ``slackapi.py``: a ``url_private_download`` host that, like
Slack's, serves a file only to a request carrying the bot token, and the Events API body of the ``message`` that
shares the file.

    async with SlackFiles(token="xoxb-test") as files:
        shared = files.add("leads.csv", b"email\\nann@a.test\\n")
        body = message_event_body("import_leads acme", files=[shared])
        # POST body to the app with signed_headers(secret, body, content_type="application/json")
        assert files.downloads == [(shared["id"], "xoxb-test")]
"""

import itertools
import json
import time
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from tests.harness.slackapi import API_APP_ID, TEAM_ID, USER_ID, serve

DM_CHANNEL_ID = "D0MAILFLEET"


@dataclass(frozen=True)
class HostedFile:
    id: str
    name: str
    content: bytes
    mimetype: str


class SlackFiles:
    """A loopback ``files.slack.com``: ``GET /files-pri/<team>-<id>/download/<name>`` with ``Bearer <token>``."""

    def __init__(self, *, token: str, team_id: str = TEAM_ID) -> None:
        self.token = token
        self.team_id = team_id
        self.files: dict[str, HostedFile] = {}
        self.downloads: list[tuple[str, str | None]] = []  # (file id, token presented), also refused ones
        self._seq = itertools.count(1)
        self._serving: AbstractAsyncContextManager[str] | None = None
        self._root: str | None = None

    @property
    def root(self) -> str:
        """``http://127.0.0.1:PORT``: the base an app under test treats as Slack's file host."""
        if self._root is None:
            raise RuntimeError("SlackFiles is not started")
        return self._root

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_get("/files-pri/{team_file}/download/{name}", self._download)
        self._serving = serve(app)
        self._root = await self._serving.__aenter__()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        serving, self._serving, self._root = self._serving, None, None
        if serving is not None:
            await serving.__aexit__(exc_type, exc, tb)

    def add(self, name: str, content: bytes, mimetype: str = "text/csv", *, size: int | None = None) -> dict[str, Any]:
        """Host a file; returns the file object Slack puts in a ``file_share`` message (``size`` may lie)."""
        if self._root is None:
            raise RuntimeError("SlackFiles is not started")
        file_id = f"F{next(self._seq):08d}"
        self.files[file_id] = HostedFile(file_id, name, content, mimetype)
        url = f"{self._root}/files-pri/{self.team_id}-{file_id}"
        return {
            "id": file_id,
            "created": int(time.time()),
            "name": name,
            "title": name,
            "mimetype": mimetype,
            "filetype": name.rsplit(".", 1)[-1] if "." in name else "binary",
            "size": len(content) if size is None else size,
            "mode": "hosted",
            "is_external": False,
            "url_private": f"{url}/{name}",
            "url_private_download": f"{url}/download/{name}",
        }

    async def _download(self, request: web.Request) -> web.Response:
        file_id = request.match_info["team_file"].removeprefix(f"{self.team_id}-")
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None
        self.downloads.append((file_id, token))
        hosted = self.files.get(file_id)
        if token != self.token:
            return web.Response(status=403, text="invalid_auth")
        if hosted is None:
            return web.Response(status=404, text="file_not_found")
        return web.Response(body=hosted.content, content_type=hosted.mimetype)


_EVENT_NUMBERS = itertools.count(1)


def message_event_body(
    text: str,
    *,
    files: list[dict[str, Any]],
    user_id: str = USER_ID,
    channel_id: str = DM_CHANNEL_ID,
    channel_type: str = "im",
    team_id: str = TEAM_ID,
    event_id: str | None = None,
) -> str:
    """The JSON body of an Events API ``event_callback`` for a message sharing ``files`` (subtype file_share)."""
    ts = f"{time.time():.6f}"
    event = {
        "type": "message",
        "subtype": "file_share",
        "text": text,
        "user": user_id,
        "channel": channel_id,
        "channel_type": channel_type,
        "team": team_id,
        "ts": ts,
        "event_ts": ts,
        "files": files,
        "upload": False,
        "display_as_bot": False,
    }
    return json.dumps(
        {
            "token": "verification-token",
            "team_id": team_id,
            "api_app_id": API_APP_ID,
            "event": event,
            "type": "event_callback",
            # unique per body: an id from the millisecond alone was shared by two bodies made within one
            # millisecond (a quick local round trip between them), and the app dropped the second as a redelivery
            "event_id": event_id or f"Ev{int(time.time() * 1000)}N{next(_EVENT_NUMBERS)}",
            "event_time": int(float(ts)),
            "authorizations": [{"team_id": team_id, "user_id": "U0MFBOT", "is_bot": True}],
        }
    )

"""The product's main process end to end: `mailfleet run` with Telegram (the Bot API emulator) and Slack (signed
requests, the Web API stand-in) wired from settings alone, and the same command giving the same content through
Telegram, Slack and the console (parity)."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
import redis as sync_redis
from cryptography.fernet import Fernet

from tests.conftest import REDIS_URL
from tests.e2e.conftest import visible
from tests.harness.slackapi import SlackAPI, signed_headers, slash_command_body
from tests.harness.telegram import TelegramEmulator, TelegramUser, new_bot_token

MAILFLEET = str(Path(sys.executable).with_name("mailfleet"))
SIGNING_SECRET = "run-process-signing-secret"
TG_ADMIN, SLACK_ADMIN = 424242, "U0ADMIN"
pytestmark = pytest.mark.usefixtures("orm")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "SLACK_", "DATA_DIR"))}
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=REDIS_URL,
        ENCRYPTION_KEYS=KEY,
        LOG_FORMAT="json",
        LOG_LEVEL="warning",
        **extra,
    )
    return env


KEY = Fernet.generate_key().decode()


@pytest.fixture
async def slack_api() -> AsyncIterator[SlackAPI]:
    async with SlackAPI() as api:
        api.users[SLACK_ADMIN] = {"id": SLACK_ADMIN, "name": "admin", "locale": "ru-RU"}  # Russian, like the others
        yield api


@pytest.fixture
def process(
    database_url: str, emulator: TelegramEmulator, slack_api: SlackAPI, tmp_path: Path
) -> Iterator[tuple[int, str]]:
    port, token = _free_port(), new_bot_token()
    sync_redis.Redis.from_url(REDIS_URL).flushdb()  # what earlier runs left (a person's remembered Slack language…)
    env = _env(
        database_url,
        WEB_PORT=str(port),
        TELEGRAM_TOKEN=token,
        TELEGRAM_MODE="polling",
        TELEGRAM_API_BASE=emulator.api_base,
        ADMIN_TELEGRAM_IDS=f"[{TG_ADMIN}]",
        SLACK_BOT_TOKEN="xoxb-run-process",
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_BASE=slack_api.base_url,
        ADMIN_SLACK_IDS=f'["{SLACK_ADMIN}"]',
    )
    log = (tmp_path / "run.log").open("w")
    proc = subprocess.Popen([MAILFLEET, "run"], env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as resp:
                if json.load(resp)["status"] == "ok":
                    break
        except OSError:
            time.sleep(0.2)
    else:
        proc.kill()
        raise AssertionError((tmp_path / "run.log").read_text())
    yield port, token
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0, (tmp_path / "run.log").read_text()
    secret_free = (tmp_path / "run.log").read_text()
    assert token not in secret_free and SIGNING_SECRET not in secret_free


def _console(database_url: str, cwd: Path, line: str) -> str:
    result = subprocess.run(
        [MAILFLEET, "console", "-c", line],
        env=_env(database_url),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


async def _slack(port: int, api: SlackAPI, text: str) -> str:
    count = len(api.responses) + 1
    body = slash_command_body(
        "/mailfleet", text, response_url=api.response_url(), user_id=SLACK_ADMIN, user_name="admin"
    )
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"http://127.0.0.1:{port}/slack/events", data=body, headers=signed_headers(SIGNING_SECRET, body)
        ) as resp,
    ):
        assert resp.status == 200
    posted = await api.wait_response(count=count, within=20)
    return "\n".join(b["text"]["text"] for b in posted.body["blocks"] if "text" in b and isinstance(b["text"], dict))


def _normalized(text: str) -> str:
    """Content only: formatting marks and spacing differ by platform, words and numbers must not."""
    text = re.sub(r"[*_`]", "", text)
    return " ".join(text.replace("&gt;", ">").replace("&lt;", "<").replace("&amp;", "&").split())


async def test_one_process_serves_telegram_slack_and_the_console_alike(
    process: tuple[int, str], emulator: TelegramEmulator, slack_api: SlackAPI, database_url: str, tmp_path: Path
) -> None:
    port, token = process
    created = _console(database_url, tmp_path, "/workspace_new acme ACME Ltd")
    assert "ACME Ltd" in created
    async with TelegramUser(emulator, token, user_id=TG_ADMIN, first_name="Admin", language_code="ru") as admin:
        await admin.send_command("/use acme")
        await admin.wait_replies(1, timeout=20)
        await admin.send_command("/workspace")
        (tg_reply,) = await admin.wait_replies(1, timeout=20)
    await _slack(port, slack_api, "use acme")
    slack_text = await _slack(port, slack_api, "workspace")
    console_text = _console(database_url, tmp_path, "/workspace")
    expected = _normalized(console_text)
    assert "ACME Ltd (acme)" in expected and "Домены: 0" in expected
    assert _normalized(visible(tg_reply.text)) == expected
    assert _normalized(slack_text) == expected
    # the same process is the tracking host: its routes answer with their own pages
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{port}/t/u/{'A' * 31}") as resp:
            assert resp.status == 404
            assert "Ссылка не найдена" in await resp.text()
        async with http.put(f"http://127.0.0.1:{port}/t/u/{'A' * 31}") as resp:
            assert resp.status == 405

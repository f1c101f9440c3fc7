"""`mailfleet run` when a chat platform is not there at start: a Bot API that does not answer yet (no network at
boot, Telegram down) leaves the web app and the worker running and is tried again until it answers; a token
Telegram refuses stops the start with one line naming the setting, no traceback and no token."""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.test_run_process import MAILFLEET, _env, _free_port
from tests.harness.flaky_botapi import FlakyBotApi
from tests.harness.slackapi import SlackAPI

pytestmark = [pytest.mark.usefixtures("orm"), pytest.mark.faults]
TOKEN = "4242:start-token-abcdefghijklmnopqrstuvwxyz0123"
USER = 5151


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as resp:
            return bool(json.load(resp)["status"] == "ok")
    except OSError:
        return False


async def _until(condition, what: str, within_s: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + within_s
    while not condition():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.2)


@pytest.mark.timeout(180)
async def test_a_bot_api_that_answers_only_later_is_connected_without_a_restart(
    database_url: str, tmp_path: Path
) -> None:
    web_port, api_port = _free_port(), _free_port()
    env = _env(
        database_url,
        WEB_PORT=str(web_port),
        TELEGRAM_TOKEN=TOKEN,
        TELEGRAM_API_BASE=f"http://127.0.0.1:{api_port}",
    )
    env["LOG_LEVEL"] = "info"
    log = tmp_path / "run.log"
    with log.open("w") as out:
        proc = subprocess.Popen([MAILFLEET, "run"], env=env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT)
    try:
        await _until(lambda: _healthy(web_port) or proc.poll() is not None, "never served", 90)
        assert proc.poll() is None, log.read_text()[-3000:]  # nothing listens on the Bot API port: still running
        assert "chat not reachable, retrying" in log.read_text()
        async with FlakyBotApi(api_port) as api:  # Telegram is back
            api.user_says(USER, "/help")
            await _until(lambda: bool(api.delivered), "the command was never answered", 60)
            assert api.delivered[0][0] == str(USER)
        assert "chat connected after retrying" in log.read_text()
    finally:
        proc.terminate()
        code = proc.wait(timeout=60)
    text = log.read_text()
    assert code == 0, text[-3000:]
    assert TOKEN not in text and TOKEN.split(":")[1] not in text


async def test_a_refused_token_stops_the_start_naming_the_setting(database_url: str, tmp_path: Path) -> None:
    async with FlakyBotApi(unauthorized=True) as api:
        env = _env(database_url, WEB_PORT=str(_free_port()), TELEGRAM_TOKEN=TOKEN, TELEGRAM_API_BASE=api.base)
        done = await asyncio.to_thread(
            subprocess.run, [MAILFLEET, "run"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
        )
    assert done.returncode == 1
    assert "telegram refused the credentials: check TELEGRAM_TOKEN" in done.stderr
    assert "Traceback" not in done.stderr and TOKEN.split(":")[1] not in done.stderr + done.stdout


SLACK_APP_TOKEN = "xapp-1-A0MAILFLEET-start-token-abcdefghijklmnopqrstuvwxyz"


def _slack_env(database_url: str, api_base: str, **extra: str) -> dict[str, str]:
    return _env(
        database_url,
        SLACK_BOT_TOKEN="xoxb-start-bot-token",
        SLACK_SIGNING_SECRET="start-signing-secret",
        SLACK_APP_TOKEN=SLACK_APP_TOKEN,
        SLACK_API_BASE=api_base,
        **extra,
    )


@pytest.mark.timeout(180)
async def test_a_slack_that_cannot_be_reached_leaves_the_worker_running_and_a_signal_stops_it(
    database_url: str, tmp_path: Path
) -> None:
    """Socket Mode's connect retried every error inside the SDK for ever: with Slack unreachable at boot (no
    network yet) `mailfleet run` served /healthz but never started its worker (nothing was sent), and SIGTERM
    left it running."""
    web_port = _free_port()
    env = _slack_env(database_url, f"http://127.0.0.1:{_free_port()}/api/", WEB_PORT=str(web_port))
    env["LOG_LEVEL"] = "info"
    log = tmp_path / "run.log"
    with log.open("w") as out:
        proc = subprocess.Popen([MAILFLEET, "run"], env=env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT)
    try:
        await _until(lambda: "worker started" in log.read_text() or proc.poll() is not None, "no worker", 90)
        assert proc.poll() is None, log.read_text()[-3000:]
        assert _healthy(web_port) and "chat not reachable, retrying" in log.read_text()
    finally:
        proc.terminate()
        code = proc.wait(timeout=60)
    text = log.read_text()
    assert code == 0, text[-3000:]
    assert SLACK_APP_TOKEN not in text and "start-token" not in text


async def test_a_slack_app_token_refused_stops_the_start_naming_the_settings(database_url: str, tmp_path: Path) -> None:
    """The SDK retried a refused app token for ever: the start hung instead of saying which setting is wrong."""
    async with SlackAPI(token="xoxb-another-workspace") as api:  # every other token: invalid_auth
        env = _slack_env(database_url, api.base_url, WEB_PORT=str(_free_port()))
        done = await asyncio.to_thread(
            subprocess.run, [MAILFLEET, "run"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
        )
        assert [c.method for c in api.calls if c.method == "apps.connections.open"]
    assert done.returncode == 1
    assert "slack refused the credentials: check SLACK_BOT_TOKEN / SLACK_APP_TOKEN" in done.stderr
    assert "Traceback" not in done.stderr and "start-token" not in done.stderr + done.stdout

"""Faults: a command's reply that cannot be delivered. Telegram answers the reply (and the error notice after it)
with a 5xx or a flood-control wait too long to honour; Slack's response_url answers 500. The handler logs it,
the polling loop and the Slack app go on, and the next command is answered — once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import pytest
from redis.asyncio import Redis

from bot.runner import Runner
from bot.telegram.transport import TelegramTransport
from tests.e2e.slackrig import ADMIN, SECRET, slack_rig, texts
from tests.harness.flaky_botapi import FlakyBotApi
from tests.harness.slackapi import signed_headers, slash_command_body

pytestmark = [pytest.mark.usefixtures("orm"), pytest.mark.faults]

USER = 4242


async def until(condition: Callable[[], bool | Awaitable[bool]], what: str, within_s: float = 20.0) -> None:
    deadline = time.monotonic() + within_s
    while True:
        result = condition()
        if await result if isinstance(result, Awaitable) else result:
            return
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.02)


async def test_telegram_refusing_a_reply_does_not_stop_polling(runner: Runner, redis: Redis) -> None:
    async with FlakyBotApi() as api:
        transport = TelegramTransport(runner, token="42:fault-token", api_base=api.base, redis=redis)
        await transport.start_polling()
        try:
            # 1. the reply gets a 502, and so does the error notice about it
            api.server_error(502)
            api.server_error(502)
            api.user_says(USER, "/help")
            await until(lambda: api.calls >= 2, "the reply and the notice were not tried")
            # 2. flood control longer than a chat answer is worth waiting for, then a 503 for the notice
            api.too_many_requests(retry_after=600)
            api.server_error(503)
            api.user_says(USER, "/help")
            await until(lambda: api.calls >= 4, "the second reply was not tried")
            # 3. Telegram is well again: the next command is answered
            api.user_says(USER, "/help")
            await until(lambda: len(api.delivered) >= 1, "polling stopped after the failed replies")
            assert transport._polling is not None and not transport._polling.done()
            await asyncio.sleep(0.3)  # nothing late or twice
        finally:
            await transport.stop()
    assert api.calls == 5 and len(api.delivered) == 1
    chat, text = api.delivered[0]
    assert chat == str(USER) and "/help" in text


async def test_slack_failing_a_response_url_does_not_stop_the_app(
    redis: Redis, capsys: pytest.CaptureFixture[str]
) -> None:
    async with slack_rig(redis) as slack:
        slack.api.fail_responses(1)
        url = slack.api.response_url()
        body = slash_command_body("/mailfleet", "help", response_url=url, user_id=ADMIN)
        assert await slack.post(body, signed_headers(SECRET, body)) == 200  # the ack comes first, whatever follows
        await until(lambda: len(slack.api.failed_responses) >= 1, "the answer was not posted")
        answered = await slack.command("help")  # the app goes on
        assert any("/mailfleet" in t for t in texts(answered["blocks"])), answered
        await asyncio.sleep(0.3)
        assert len(slack.api.failed_responses) == 1  # not late, not twice: the refused answer's other pages
        first = url.rsplit("/", 1)[-1]  # (/help takes more than one) are not posted without their start
        assert slack.api.responses and all(r.key != first for r in slack.api.responses)
    logged = capsys.readouterr().out
    assert "slack reply not delivered" in logged and "status=500" in logged, logged[-2000:]
    assert url not in logged  # the URL is a credential

"""What a failure to connect a chat platform at start means: the credentials (stop, naming the setting), the
moment (try again in the background), or neither (a bug: raised as it is)."""

from __future__ import annotations

import aiohttp
from aiogram.exceptions import TelegramNetworkError, TelegramNotFound, TelegramServerError, TelegramUnauthorizedError
from aiogram.methods import DeleteWebhook
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.slack.transport import SlackTransport
from bot.telegram.transport import TelegramTransport


def _slack_error(code: str) -> SlackApiError:
    response = AsyncSlackResponse(
        client=None, http_verb="POST", api_url="apps.connections.open", req_args={}, data={"ok": False, "error": code},
        headers={}, status_code=200,
    )  # fmt: skip
    return SlackApiError(code, response)


def test_telegram_failures() -> None:
    method = DeleteWebhook()
    failure = TelegramTransport.start_failure
    assert failure(TelegramUnauthorizedError(method, "Unauthorized")) == "refused"
    assert failure(TelegramNotFound(method, "Not Found")) == "refused"  # a token Telegram does not know
    assert failure(TelegramNetworkError(method, "Name or service not known")) == "unreachable"
    assert failure(TelegramServerError(method, "Bad Gateway")) == "unreachable"
    assert failure(ConnectionRefusedError()) == "unreachable"
    assert failure(ValueError("a bug")) is None


def test_slack_failures() -> None:
    failure = SlackTransport.start_failure
    assert failure(_slack_error("invalid_auth")) == "refused"
    assert failure(_slack_error("token_revoked")) == "refused"
    assert failure(_slack_error("ratelimited")) == "unreachable"
    assert failure(aiohttp.ClientConnectionError("down")) == "unreachable"
    assert failure(TimeoutError()) == "unreachable"
    assert failure(KeyError("a bug")) is None

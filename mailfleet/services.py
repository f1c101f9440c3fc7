"""Where the services are — the configured URLs, or an embedded PostgreSQL and Redis started for this process —
and whether they answer. Light on purpose: `migrate`, `backup`, `restore` and `rotate-keys` need nothing more."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
from collections.abc import Iterator
from dataclasses import dataclass

from engine import health
from engine.crypto import load_or_create_keyfile
from engine.settings import Settings
from mailfleet.embedded import EmbeddedServices


class StartupError(Exception):
    """The process cannot start; the message is shown to the operator as is."""


def port_in_use(settings: Settings) -> StartupError:
    return StartupError(
        f"WEB_PORT {settings.web_port} on {settings.web_host} is already in use; stop the other program or set WEB_PORT"
    )


def ensure_port_free(settings: Settings) -> None:
    """Refuse at once when another program listens on the web port: before an embedded PostgreSQL and Redis are
    started and migrations applied for nothing. (Listening still handles the port being taken in between.)"""
    with socket.socket(socket.AF_INET6 if ":" in settings.web_host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as aiohttp listens: a TIME_WAIT is no owner
        try:
            probe.bind((settings.web_host, settings.web_port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise port_in_use(settings) from None


@dataclass(frozen=True)
class Services:
    database_url: str
    redis_url: str
    encryption_keys: list[str]


@contextlib.contextmanager
def services(settings: Settings, *, allow_embedded: bool) -> Iterator[Services]:
    """The URLs to use: the configured ones, or an embedded PostgreSQL and Redis started for this process."""
    if settings.database_url and settings.redis_url:
        yield Services(settings.database_url, settings.redis_url, settings.fernet_keys())
        return
    if not allow_embedded:
        raise StartupError(
            "DATABASE_URL and REDIS_URL must be set for this command; "
            "`mailfleet run` starts an embedded PostgreSQL and Redis when they are unset"
        )
    with EmbeddedServices(settings.data_dir) as urls:
        keys = settings.fernet_keys() or [load_or_create_keyfile(settings.data_dir / "secret.key")]
        yield Services(urls.database_url, urls.redis_url, keys)


async def check_reachable(svc: Services, *, redis: bool = True) -> None:
    """Raise when the database (and, with `redis`, Redis) does not answer, naming each that does not."""
    checks = [health.check_database(svc.database_url)]
    if redis:
        checks.append(health.check_redis(svc.redis_url))
    problems = [p for p in await asyncio.gather(*checks) if p]
    if problems:
        raise StartupError("; ".join(problems))

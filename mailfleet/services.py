"""Where the services are — the configured URLs, or an embedded PostgreSQL and Redis started for this process —
and whether they answer. Light on purpose: `migrate`, `backup`, `restore` and `rotate-keys` need nothing more."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from engine import health
from engine.crypto import load_or_create_keyfile
from engine.settings import Settings
from mailfleet.embedded import EmbeddedServices


class StartupError(Exception):
    """The process cannot start; the message is shown to the operator as is."""


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

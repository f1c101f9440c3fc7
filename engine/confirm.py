"""Actions that wait for a confirmation button: the request is parked in Redis behind a short random token (the
button carries only the token: Telegram's 64 bytes, nothing personal in callback data) for `CONFIRM_TTL_S`."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Mapping
from typing import Any, Final

from redis.asyncio import Redis

CONFIRM_TTL_S: Final = 15 * 60
_TOKEN: Final = re.compile(r"[A-Za-z0-9_-]{1,32}")


def is_token(token: str) -> bool:
    """Whether `token` can be one of ours (checked before it becomes part of a Redis key)."""
    return _TOKEN.fullmatch(token) is not None


async def park(redis: Redis, prefix: str, value: Mapping[str, Any]) -> str:
    """Keep `value` under a new token for `CONFIRM_TTL_S`; the token."""
    token = secrets.token_urlsafe(9)  # 12 characters of [A-Za-z0-9_-]
    await redis.set(prefix + token, json.dumps(value), ex=CONFIRM_TTL_S)
    return token


async def take(
    redis: Redis, prefix: str, token: str, *, owner: Mapping[str, Any] | None = None
) -> dict[str, Any] | None:
    """The value parked under `token`, once (a second take, a late one or a malformed token: None). With `owner`,
    only a value whose fields match it is taken: anyone else's press gets None and leaves it parked for its owner
    (a button in a shared chat pressed by someone else must not use up the one who asked)."""
    if not is_token(token):
        return None
    if owner is not None:
        raw = await redis.get(prefix + token)
        if not raw or any(json.loads(raw).get(k) != v for k, v in owner.items()):
            return None
    raw = await redis.getdel(prefix + token)
    return json.loads(raw) if raw else None

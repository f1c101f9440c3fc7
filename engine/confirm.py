"""Actions that wait for a confirmation button: the request is parked in Redis behind a short random token (the
button carries only the token: Telegram's 64 bytes, nothing personal in callback data) for `CONFIRM_TTL_S` — or,
for a button that carries a row's id, a `seal` of what the question showed beside the id, which never lapses."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:  # the command layer reads SEAL without loading redis-py
    from redis.asyncio import Redis

CONFIRM_TTL_S: Final = 15 * 60
_TOKEN: Final = re.compile(r"[A-Za-z0-9_-]{1,32}")
SEAL_CHARS: Final = 8
SEAL: Final = re.compile(rf"[0-9a-f]{{{SEAL_CHARS}}}")


def seal(*parts: object) -> str:
    """A short digest of what a confirmation told the person would happen (the parts, in order). The button
    carries it beside the row's id, and the press acts only while the row still seals the same: a question about
    an empty domain must not delete it once it has mailboxes. Not a secret: the parts are the person's own."""
    text = "\x1f".join(str(p) for p in parts)
    return hashlib.sha256(text.encode()).hexdigest()[:SEAL_CHARS]


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

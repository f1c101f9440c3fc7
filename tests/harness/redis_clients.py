"""What a test sees of Redis's own clients (CLIENT LIST)."""

from __future__ import annotations

from redis.asyncio import Redis


async def blpop_at_server(redis: Redis) -> bool:
    """Whether some client waits in a BLPOP at the server: a command that is on its connection right now."""
    return any(client.get("cmd") == "blpop" for client in await redis.client_list())


async def blpop_client_id(redis: Redis) -> str | None:
    return next((client["id"] for client in await redis.client_list() if client.get("cmd") == "blpop"), None)

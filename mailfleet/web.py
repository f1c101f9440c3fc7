"""The aiohttp application: `/healthz`, and the mount point for chat webhooks and tracking endpoints."""

from __future__ import annotations

from aiohttp import web
from redis.asyncio import Redis

from engine import health
from mailfleet import __version__

REDIS_KEY = web.AppKey("redis", Redis)


async def healthz(request: web.Request) -> web.Response:
    state = await health.status(request.app[REDIS_KEY])
    ok = state["database"] == "up" and state["redis"] == "up"
    return web.json_response(
        {"status": "ok" if ok else "degraded", "version": __version__, **state}, status=200 if ok else 503
    )


def create_app(redis: Redis) -> web.Application:
    app = web.Application()
    app[REDIS_KEY] = redis
    app.router.add_get("/healthz", healthz)
    return app

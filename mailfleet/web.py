"""The aiohttp application: `/healthz`, and the mount point for chat webhooks and tracking endpoints."""

from __future__ import annotations

from aiohttp import web
from redis.asyncio import Redis

from engine import health
from engine.clock import Clock, SystemClock
from engine.tracking import TrackingLinks
from mailfleet import __version__, tracking_web

REDIS_KEY = web.AppKey("redis", Redis)


async def healthz(request: web.Request) -> web.Response:
    state = await health.status(request.app[REDIS_KEY])
    ok = state["database"] == "up" and state["redis"] == "up"
    return web.json_response(
        {"status": "ok" if ok else "degraded", "version": __version__, **state}, status=200 if ok else 503
    )


def create_app(redis: Redis, *, tracking: TrackingLinks | None = None, clock: Clock | None = None) -> web.Application:
    """The web app; with `tracking`, the tracking host's routes too (`mailfleet.tracking_web`)."""
    app = web.Application()
    app[REDIS_KEY] = redis
    app.router.add_get("/healthz", healthz)
    if tracking is not None:
        tracking_web.register(app, tracking, clock or SystemClock(), redis)
    return app

"""Request bodies read with a cap: the chat webhooks never hold more than their limit of anyone's bytes."""

from __future__ import annotations

from aiohttp import web


async def read_body(request: web.Request, max_bytes: int) -> bytes:
    """The body, or `HTTPRequestEntityTooLarge` (413) as soon as it is known to exceed `max_bytes`: from
    Content-Length before reading anything, else while reading (a chunked body carries no length)."""
    declared = request.content_length
    if declared is not None and declared > max_bytes:
        raise web.HTTPRequestEntityTooLarge(max_size=max_bytes, actual_size=declared)
    body = bytearray()
    while chunk := await request.content.read(64 * 1024):
        body += chunk
        if len(body) > max_bytes:
            raise web.HTTPRequestEntityTooLarge(max_size=max_bytes, actual_size=len(body))
    return bytes(body)

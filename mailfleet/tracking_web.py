"""The tracking host's routes: the open pixel, the click redirect and the RFC 8058 one-click unsubscribe.

The handlers are thin: verify the token (`engine.tracking.TrackingLinks.verify`), call one `engine.tracking`
function, answer. Nothing here sets or reads cookies or asks anyone to log in (RFC 8058 §3). A GET never
unsubscribes by itself — link scanners and mail security gateways fetch every GET — it shows a page with a
button that POSTs; the mail client's one-click POST and that button land on the same handler. Every GET route
answers HEAD too (RFC 9110 §9.1), with the same status and headers and no side effect: a scanner that checks
where a link leads with a HEAD counts no click, an image proxy's HEAD no open.
"""

from __future__ import annotations

import html
from typing import Final

from aiohttp import web
from aiohttp.typedefs import Handler
from aiohttp.web_urldispatcher import _default_expect_handler
from redis.asyncio import Redis

from engine.clock import Clock
from engine.i18n import pick_locale, translator
from engine.logging import get_logger
from engine.tracking import (
    InvalidToken,
    TokenKind,
    TrackingLinks,
    click_target,
    machine_request,
    record_open,
    row_locale,
    unsubscribe,
)

log = get_logger(__name__)

RETRY_AFTER_S: Final = 120  # what a failed tracking request tells the reader to wait; outages are short or long
MAX_LANGUAGES: Final = 20  # Accept-Language tags looked at; browsers send a handful
MAX_BODY_BYTES: Final = 1024  # a one-click POST carries "List-Unsubscribe=One-Click"; nothing legitimate is bigger

TRACKING_KEY = web.AppKey("tracking", TrackingLinks)
CLOCK_KEY = web.AppKey("tracking_clock", Clock)
TRACKING_REDIS_KEY = web.AppKey("tracking_redis", Redis)

# A transparent 1x1 GIF (43 bytes).
PIXEL: Final = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
_HEADERS: Final = {
    "Cache-Control": "no-store, max-age=0",
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "no-referrer",
}
_PAGE_HEADERS: Final = {
    **_HEADERS,
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    "X-Frame-Options": "DENY",
}


def register(app: web.Application, tracking: TrackingLinks, clock: Clock, redis: Redis) -> None:
    """Mount `/t/o/<token>`, `/t/c/<token>` and `/t/u/<token>` on the web app (other methods get 405)."""
    app[TRACKING_KEY] = tracking
    app[CLOCK_KEY] = clock
    app[TRACKING_REDIS_KEY] = redis
    app.middlewares.append(unavailable_page)
    app.router.add_get("/t/o/{token}", open_pixel, allow_head=False)
    app.router.add_head("/t/o/{token}", pixel_head)
    app.router.add_get("/t/c/{token}", click, allow_head=False)
    app.router.add_head("/t/c/{token}", click_head)
    app.router.add_get("/t/u/{token}", unsubscribe_page)  # HEAD too: the page changes nothing
    app.router.add_post("/t/u/{token}", unsubscribe_post, expect_handler=expect_small_body)
    # any other path under /t/ (a link a mail client broke at a line end, a slash added): the localized 404 page,
    # not aiohttp's bare text; the routes above keep their 405 for other methods
    broken = r"/t/{tail:(?![ocu]/[^/]+\Z).*}"
    app.router.add_get(broken, broken_link)
    app.router.add_post(broken, broken_link)


def _verified(request: web.Request, kind: TokenKind) -> tuple[int, int] | None:
    try:
        found, row_id, index = request.app[TRACKING_KEY].verify(request.match_info["token"])
    except InvalidToken:
        return None
    return (row_id, index) if found is kind else None


async def open_pixel(request: web.Request) -> web.Response:
    """The pixel, always (a broken image tells the reader something); the open is counted when it is ours."""
    verified = _verified(request, TokenKind.OPEN)
    if verified is not None:
        try:
            await record_open(verified[0], request.app[CLOCK_KEY], request.app[TRACKING_REDIS_KEY])
        except Exception:  # counting an open must never break the image
            log.exception("open not recorded", message_id=verified[0])
    return web.Response(body=PIXEL, content_type="image/gif", headers=_HEADERS)


async def pixel_head(request: web.Request) -> web.Response:
    """The pixel's headers; no open is counted (a proxy or scanner checking the image, nobody reading)."""
    return web.Response(body=PIXEL, content_type="image/gif", headers=_HEADERS)


async def click(request: web.Request) -> web.Response:
    """302 to the URL the message contained at that index (`Location` as `click_target` spelled it: aiohttp's
    `HTTPFound` would re-encode the query of a signed link); anything else is a 404 page, never a redirect."""
    return await _redirect(request, count=True)


async def click_head(request: web.Request) -> web.Response:
    """What a GET would answer (the 302 and its `Location`, or the 404), without counting a click."""
    return await _redirect(request, count=False)


async def _redirect(request: web.Request, *, count: bool) -> web.Response:
    verified = _verified(request, TokenKind.CLICK)
    url = None
    if verified is not None:
        count = count and not machine_request(request.headers.get("User-Agent"))
        url = await click_target(*verified, request.app[CLOCK_KEY], request.app[TRACKING_REDIS_KEY], count=count)
    if url is None:
        return _not_found(request)
    return web.Response(status=302, headers={**_HEADERS, "Location": url})


async def unsubscribe_page(request: web.Request) -> web.Response:
    """A GET shows a confirmation button (POST to the same URL); it changes nothing by itself."""
    verified = _verified(request, TokenKind.UNSUBSCRIBE)
    locale = await row_locale(verified[0]) if verified is not None else None
    if verified is None or locale is None:
        return _not_found(request)
    t = translator(locale)
    form = (
        '<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">'
        f'<button type="submit">{html.escape(t("tracking-unsubscribe-button"))}</button></form>'
    )
    return _page(locale, t("tracking-unsubscribe-title"), t("tracking-unsubscribe-question"), form, status=200)


async def unsubscribe_post(request: web.Request) -> web.Response:
    """RFC 8058 one-click (and the page's button): unsubscribe now, answer 200."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        return _too_large(request)
    body = await request.content.read(MAX_BODY_BYTES + 1)
    while len(body) <= MAX_BODY_BYTES and not request.content.at_eof():
        chunk = await request.content.read(MAX_BODY_BYTES + 1 - len(body))
        if not chunk:
            break
        body += chunk
    if len(body) > MAX_BODY_BYTES:
        return _too_large(request)
    verified = _verified(request, TokenKind.UNSUBSCRIBE)
    locale = await row_locale(verified[0]) if verified is not None else None
    if verified is None or locale is None:
        return _not_found(request)
    via = "one-click" if b"One-Click" in body else "post"
    await unsubscribe(verified[0], request.app[CLOCK_KEY], via=via)
    t = translator(locale)
    return _page(locale, t("tracking-unsubscribe-title"), t("tracking-unsubscribed"), "", status=200)


async def expect_small_body(request: web.Request) -> web.StreamResponse | None:
    """`Expect: 100-continue` (curl and HTTP libraries send it before a large body): a body declared bigger than
    `MAX_BODY_BYTES` is refused with the 413 page before the client is told to go on and send it; any other is
    answered as aiohttp does (100 Continue)."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        return _too_large(request)
    await _default_expect_handler(request)
    return None


@web.middleware
async def unavailable_page(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A tracking route that fails (the database away, a statement refused) answers a localized 503 page with
    `Retry-After` — the person pressing unsubscribe is told to try again, not shown aiohttp's bare 500 — and the
    failure is logged with its traceback. Other routes are left to their own handling."""
    if not request.path.startswith("/t/"):
        return await handler(request)
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception:
        log.exception("tracking request failed", method=request.method, route=request.path[:5])
        locale = _reader_locale(request)
        t = translator(locale)
        page = _page(locale, t("tracking-unavailable-title"), t("tracking-unavailable"), "", status=503)
        page.headers["Retry-After"] = str(RETRY_AFTER_S)
        return page


async def broken_link(request: web.Request) -> web.Response:
    """A path under /t/ that is no tracking link at all: the same page as for a bad token."""
    return _not_found(request)


def _reader_locale(request: web.Request) -> str:
    """The reader's most preferred language we have (`Accept-Language: de-DE,de;q=0.9,en;q=0.8` → en, by
    weight, not merely the first tag), for pages with no row behind them; Russian when none is ours."""
    return pick_locale(*accepted_languages(request.headers.get("Accept-Language", "")))


def accepted_languages(header: str) -> list[str]:
    """The language tags of an `Accept-Language` value, most preferred first (RFC 9110 §12.5.4; `q=0`: not
    acceptable), at most `MAX_LANGUAGES` of them; a malformed weight counts as 0."""
    weighted: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")[:MAX_LANGUAGES]):
        tag, *params = (part.strip() for part in item.split(";"))
        weight = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value) if len(value) <= 5 else 0.0
                except ValueError:
                    weight = 0.0
        if tag and tag != "*" and weight > 0:
            weighted.append((-weight, position, tag))
    return [tag for _, _, tag in sorted(weighted)]


def _not_found(request: web.Request) -> web.Response:
    locale = _reader_locale(request)
    t = translator(locale)
    return _page(locale, t("tracking-not-found-title"), t("tracking-not-found"), "", status=404)


def _too_large(request: web.Request) -> web.Response:
    """The 413 page; the connection closes after it (the body was left unread, or never sent)."""
    locale = _reader_locale(request)
    t = translator(locale)
    page = _page(locale, t("tracking-too-large-title"), t("tracking-too-large"), "", status=413)
    page.force_close()
    return page


def _page(locale: str, title: str, text: str, extra: str, *, status: int) -> web.Response:
    """A minimal self-contained page: no scripts, no external resources, nothing to track."""
    body = (
        f'<!DOCTYPE html><html lang="{locale}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;max-width:32em;margin:4em auto;padding:0 1em;line-height:1.5}"
        "button{font-size:1em;padding:.5em 1.5em}</style></head>"
        f"<body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>{extra}</body></html>"
    )
    return web.Response(text=body, content_type="text/html", charset="utf-8", status=status, headers=_PAGE_HEADERS)

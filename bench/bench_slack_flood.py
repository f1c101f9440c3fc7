"""`/healthz` latency while 20 clients keep posting unsigned 1 MB bodies to `/slack/events`, before and after the
signature is checked in front of bolt. Prints figures; asserts nothing.

    python -m bench.bench_slack_flood [--waves 5] [--concurrency 20]

Each mode runs the real web app (`mailfleet.web.create_app` + the Slack route) in a child process on the local
PostgreSQL and Redis (BENCH_DATABASE_URL, BENCH_REDIS_URL). "before" hands every request to bolt as the transport
used to (`to_bolt_request` → `async_dispatch`: the body is parsed, then the signature is checked); "after" is
`SlackTransport`'s own route. The flood is form-encoded (`a=1&a=1&…`), what a slash command posts, of three
kinds: `unsigned` (no Slack headers), `forged` (well-formed signature headers with a fresh timestamp: the cap
decides, 413) and `forged-small` (400 KB under the cap with a wrong HMAC: read and hashed, 401).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter

import aiohttp
from aiohttp import web
from redis.asyncio import Redis
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request

from bot.runner import Runner
from bot.slack.transport import SlackTransport
from engine import db
from engine.clock import SystemClock
from mailfleet.web import create_app

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
BODY = b"&".join([b"a=1"] * 250_000)[:1_000_000]  # 1 MB, under aiohttp's default 1 MiB body limit
SMALL = BODY[:400_000]
SECRET = "bench-signing-secret"  # noqa: S105 - a made-up secret nobody signs with
KINDS = ("unsigned", "forged", "forged-small")


def _request(kind: str) -> tuple[bytes, dict[str, str]]:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if kind == "unsigned":
        return BODY, headers
    forged = {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=" + "0" * 64}
    return (BODY if kind == "forged" else SMALL), headers | forged


async def serve(mode: str, port: int) -> None:
    """The child: the web app with the Slack route of `mode`, until killed."""
    await db.init_db(DATABASE_URL)
    redis: Redis = Redis.from_url(REDIS_URL)
    transport = SlackTransport(
        Runner(SystemClock()),
        bot_token="xoxb-bench",  # noqa: S106 - made up: nothing here calls Slack
        signing_secret=SECRET,
        api_base="http://127.0.0.1:9/api/",
        redis=redis,
    )
    app = create_app(redis)
    if mode == "after":
        transport.register(app)
    else:

        async def bolt_first(request: web.Request) -> web.Response:
            return await to_aiohttp_response(await transport.app.async_dispatch(await to_bolt_request(request)))

        app.router.add_post("/slack/events", bolt_first)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    print("READY", flush=True)
    await asyncio.Event().wait()


async def healthz(http: aiohttp.ClientSession, base: str, statuses: Counter[int] | None = None) -> float:
    """Seconds for one /healthz; its status is counted (503 = a probe of PostgreSQL or Redis timed out)."""
    started = time.perf_counter()
    async with http.get(f"{base}/healthz") as response:
        await response.read()
        if statuses is not None:
            statuses[response.status] += 1
    return time.perf_counter() - started


async def flood(http: aiohttp.ClientSession, base: str, kind: str, concurrency: int, waves: int) -> Counter[int]:
    statuses: Counter[int] = Counter()

    async def post() -> None:
        body, headers = _request(kind)
        async with http.post(f"{base}/slack/events", data=body, headers=headers) as response:
            await response.read()
            statuses[response.status] += 1

    for _ in range(waves):
        await asyncio.gather(*(post() for _ in range(concurrency)))
    return statuses


async def measure(base: str, kind: str, concurrency: int, waves: int) -> dict[str, object]:
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        idle = [await healthz(http, base) for _ in range(20)]
        samples: list[float] = []
        health: Counter[int] = Counter()
        flooding = asyncio.create_task(flood(http, base, kind, concurrency, waves))
        started = time.perf_counter()
        while not flooding.done():
            samples.append(await healthz(http, base, health))
            await asyncio.sleep(0.02)
        statuses = await flooding
        elapsed = time.perf_counter() - started
    return {
        "idle_ms": statistics.median(idle) * 1000,
        "flood_p50_ms": statistics.median(samples) * 1000,
        "flood_max_ms": max(samples) * 1000,
        "samples": len(samples),
        "flood_s": elapsed,
        "statuses": dict(statuses),
        "healthz": dict(health),
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_mode(mode: str, kind: str, concurrency: int, waves: int) -> dict[str, object]:
    port = _free_port()
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.bench_slack_flood", "--serve", mode, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "LOG_LEVEL": "critical"},
    )
    try:
        assert child.stdout is not None
        if child.stdout.readline().strip() != b"READY":
            raise RuntimeError(f"the {mode} server did not start")
        return asyncio.run(measure(f"http://127.0.0.1:{port}", kind, concurrency, waves))
    finally:
        child.terminate()
        child.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--waves", type=int, default=5, help="rounds of `concurrency` simultaneous posts")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--serve", choices=("before", "after"))
    parser.add_argument("--port", type=int)
    parser.add_argument("--kinds", default=",".join(KINDS), help=f"comma-separated: {', '.join(KINDS)}")
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.serve, args.port))
        return
    print(f"{args.concurrency} concurrent POSTs of {len(BODY):,} bytes × {args.waves} waves")
    for kind in args.kinds.split(","):
        for mode in ("before", "after"):
            r = run_mode(mode, kind, args.concurrency, args.waves)
            print(
                f"{kind}/{mode}: /healthz idle {r['idle_ms']:.1f} ms; "
                f"under flood p50 {r['flood_p50_ms']:.1f} ms, "
                f"max {r['flood_max_ms']:.1f} ms ({r['samples']} samples); flood took {r['flood_s']:.2f} s; "
                f"/slack/events {r['statuses']}, /healthz {r['healthz']}"
            )


if __name__ == "__main__":
    main()

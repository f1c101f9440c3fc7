"""A fast SMTP sink on loopback for load tests: aiosmtpd in its own process, plain text, any AUTH accepted, every
message counted by its Message-ID and dropped.

    python -m tests.harness.smtp_sink --port 0 --out counts.json

Prints `ready <port>` once it listens. On SIGTERM (or SIGINT) it stops listening and writes
`{"messages": N, "by_id": {"<id@host>": count, …}}` to `--out`, then exits: a count above 1 is a duplicate.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import signal
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, Session

MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*(<[^>\r\n]+>)", re.IGNORECASE | re.MULTILINE)


class Counting:
    """The aiosmtpd handler: count each message by its Message-ID (the header part only is searched)."""

    def __init__(self) -> None:
        self.by_id: Counter[str] = Counter()
        self.messages = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        head = content.split(b"\r\n\r\n", 1)[0]
        found = MESSAGE_ID.search(head)
        self.by_id[found.group(1).decode("ascii", "replace") if found else "<none>"] += 1
        self.messages += 1
        return "250 2.0.0 Ok: dropped"


def accept_any(server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any) -> AuthResult:
    return AuthResult(success=True)


async def serve(port: int, out: Path) -> None:
    handler = Counting()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(
            handler,
            hostname="sink.test",  # never socket.getfqdn() per connection
            auth_require_tls=False,
            authenticator=accept_any,
            data_size_limit=10 * 2**20,
        ),
        host="127.0.0.1",
        port=port,
    )
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    sys.stdout.write(f"ready {server.sockets[0].getsockname()[1]}\n")
    sys.stdout.flush()
    await stop.wait()
    server.close()
    await server.wait_closed()
    out.write_text(json.dumps({"messages": handler.messages, "by_id": handler.by_id}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    asyncio.run(serve(args.port, args.out))


if __name__ == "__main__":
    main()

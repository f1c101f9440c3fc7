"""A fast SMTP sink on loopback for load tests: in its own process, plain text, any AUTH accepted, every message
counted by its Message-ID and dropped.

    python -m tests.harness.smtp_sink --port 0 --out counts.json

Prints `ready <port>` once it listens. On SIGTERM (or SIGINT) it stops listening and writes
`{"messages": N, "by_id": {"<id@host>": count, …}}` to `--out`, then exits: a count above 1 is a duplicate.

The server is a small asyncio protocol, not aiosmtpd: on the load day aiosmtpd's sinks took about 2 ms of CPU a
message (a sixth of the day's CPU on a 2-core box), this one 0.5 to 1 ms. It speaks what a submission
client needs, in order: EHLO/HELO, AUTH PLAIN or LOGIN (any credentials), MAIL, RCPT, DATA (a message ends at
CRLF.CRLF and counts once it has), RSET, NOOP, QUIT; a command out of sequence is refused with 503 as a real
server would, so a client that skipped a step fails the day instead of passing it.
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

MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*(<[^>\r\n]+>)", re.IGNORECASE | re.MULTILINE)
HOST = b"sink.test"
EHLO = b"250-" + HOST + b"\r\n250-SIZE 10485760\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 AUTH PLAIN LOGIN\r\n"
END_OF_DATA = b"\r\n.\r\n"
MAX_LINE = 4096  # a command line longer than this (without its end) closes the connection


class Counting:
    """What the sink received: each message by its Message-ID (the header part only is searched)."""

    def __init__(self) -> None:
        self.by_id: Counter[str] = Counter()
        self.messages = 0

    def received(self, content: bytes) -> None:
        head = content.split(b"\r\n\r\n", 1)[0]
        found = MESSAGE_ID.search(head)
        self.by_id[found.group(1).decode("ascii", "replace") if found else "<none>"] += 1
        self.messages += 1


class Session(asyncio.Protocol):
    """One SMTP connection: commands a line at a time, then the message's data up to CRLF.CRLF."""

    def __init__(self, counting: Counting) -> None:
        self.counting = counting
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.greeted = self.authed = self.in_data = False
        self.sender = self.recipients = 0
        self.auth_step = b""  # the AUTH exchange under way: b"PLAIN", b"LOGIN-USER", b"LOGIN-PASS"

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(b"220 " + HOST + b" ESMTP sink\r\n")

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self.transport is not None and not self.transport.is_closing():
            if self.in_data:
                if self.buffer.startswith(b".\r\n"):  # an empty message
                    content = b""
                    del self.buffer[:3]
                else:
                    end = self.buffer.find(END_OF_DATA)
                    if end < 0:
                        return
                    content = bytes(self.buffer[:end]).replace(b"\r\n..", b"\r\n.")  # dot-unstuffing
                    del self.buffer[: end + len(END_OF_DATA)]
                self.counting.received(content)
                self.in_data, self.sender, self.recipients = False, 0, 0
                self.transport.write(b"250 2.0.0 Ok: dropped\r\n")
                continue
            end = self.buffer.find(b"\r\n")
            if end < 0:
                if len(self.buffer) > MAX_LINE:
                    self.transport.write(b"500 5.5.2 Line too long\r\n")
                    self.transport.close()
                return
            line = bytes(self.buffer[:end])
            del self.buffer[: end + 2]
            self.transport.write(self.reply(line))

    def reply(self, line: bytes) -> bytes:
        """The answer to one command line (or to one line of an AUTH exchange)."""
        if self.auth_step:
            return self._auth_line(line)
        verb, _, rest = line.partition(b" ")
        verb = verb.upper()
        if verb in (b"EHLO", b"HELO"):
            self.greeted, self.sender, self.recipients = True, 0, 0
            return EHLO if verb == b"EHLO" else b"250 " + HOST + b"\r\n"
        if verb == b"QUIT":
            assert self.transport is not None
            self.transport.write(b"221 2.0.0 Bye\r\n")
            self.transport.close()
            return b""
        return self._out_of_sequence(verb) or self._accept(verb, rest)

    def _out_of_sequence(self, verb: bytes) -> bytes:
        """The refusal of a command that may not come yet (empty when it may)."""
        if verb in (b"AUTH", b"MAIL", b"RCPT", b"DATA") and not self.greeted:
            return b"503 5.5.1 Send EHLO first\r\n"
        refusals = {
            b"AUTH": (self.authed, b"503 5.5.1 Already authenticated\r\n"),
            b"MAIL": (not self.authed, b"530 5.7.0 Authentication required\r\n"),
            b"RCPT": (not self.sender, b"503 5.5.1 Need MAIL first\r\n"),
            b"DATA": (not self.recipients, b"503 5.5.1 Need RCPT first\r\n"),
        }
        refused, answer = refusals.get(verb, (False, b""))
        if verb == b"MAIL" and self.authed and self.sender:
            return b"503 5.5.1 Sender already given\r\n"
        return answer if refused else b""

    def _accept(self, verb: bytes, rest: bytes) -> bytes:
        """The answer to a command that may come now."""
        if verb == b"RSET":
            self.sender = self.recipients = 0
        if verb in (b"NOOP", b"RSET"):
            return b"250 2.0.0 OK\r\n"
        if verb == b"AUTH":
            return self._auth_start(rest)
        if verb == b"MAIL":
            self.sender = 1
            return b"250 2.1.0 OK\r\n"
        if verb == b"RCPT":
            self.recipients += 1
            return b"250 2.1.5 OK\r\n"
        if verb == b"DATA":
            self.in_data = True
            return b"354 End data with <CR><LF>.<CR><LF>\r\n"
        return b"500 5.5.2 Command not recognized\r\n"

    def _auth_start(self, rest: bytes) -> bytes:
        mechanism, _, initial = rest.partition(b" ")
        mechanism = mechanism.upper()
        if mechanism == b"PLAIN":
            if initial:
                return self._authenticated()
            self.auth_step = b"PLAIN"
            return b"334 \r\n"
        if mechanism == b"LOGIN":
            self.auth_step = b"LOGIN-PASS" if initial else b"LOGIN-USER"
            return b"334 UGFzc3dvcmQ6\r\n" if initial else b"334 VXNlcm5hbWU6\r\n"
        return b"504 5.5.4 Unrecognized authentication type\r\n"

    def _auth_line(self, line: bytes) -> bytes:
        if line == b"*":
            self.auth_step = b""
            return b"501 5.7.0 Authentication cancelled\r\n"
        if self.auth_step == b"LOGIN-USER":
            self.auth_step = b"LOGIN-PASS"
            return b"334 UGFzc3dvcmQ6\r\n"
        return self._authenticated()

    def _authenticated(self) -> bytes:
        self.auth_step, self.authed = b"", True
        return b"235 2.7.0 Authentication successful\r\n"

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


async def serve(port: int, out: Path) -> None:
    counting = Counting()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Session(counting), host="127.0.0.1", port=port)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    sys.stdout.write(f"ready {server.sockets[0].getsockname()[1]}\n")
    sys.stdout.flush()
    await stop.wait()
    server.close()
    out.write_text(json.dumps({"messages": counting.messages, "by_id": counting.by_id}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    asyncio.run(serve(args.port, args.out))


if __name__ == "__main__":
    main()

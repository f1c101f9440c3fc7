"""Loopback TCP proxies that misbehave on purpose, in front of the real servers of the harness.

* `SmtpCutProxy` relays plaintext SMTP and, for the next `times` messages, cuts the connection in DATA: either
  after `after_bytes` bytes of the message (the server never sees the final dot: it did not accept the message)
  or after the whole message, final dot included, with the server's reply swallowed (the server accepted it; the
  client cannot know). Later messages pass untouched. With `Cut.STALL` it cuts nothing: it holds the server's
  "354" to the next `times` DATA commands until `release` is set (a slow server; the message is not taken yet).
* `ImapLineDropProxy` relays plaintext IMAP and drops the server's lines that match a pattern: the answers of a
  server that leaves out what RFC 3501 requires (e.g. `[UIDNEXT n]` after SELECT, as Winmail Pro and 163.com do).
* `ImapLineEditProxy` relays plaintext IMAP and rewrites what matches a pattern in the server's lines: a server
  that lacks a capability Dovecot has (e.g. `SASL-IR` taken out of CAPABILITY, as older servers announce it); or in
  the client's commands, so that the real server refuses one (a MOVE aimed at a folder that does not exist).
* `StallAfter` relays any TCP protocol and, once the client has sent `pattern`, holds the server's answers until
  `release` is set (a server that takes its time over one command: PostgreSQL's reply to a BEGIN).
* `BlackHole` accepts TCP connections, reads whatever comes and never answers (an IMAP or SMTP server that hangs),
  optionally after a greeting. A DNS server that never answers is `tests.harness.dnsserver.SilentUdpServer`.

All of them run in the test's event loop; `async with` starts and stops them.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import re
from collections.abc import Callable, Coroutine
from types import TracebackType
from typing import Any, Self

HOST = "127.0.0.1"
_DOT = b"\r\n.\r\n"


class Cut(enum.StrEnum):
    MID_DATA = "mid_data"  # after `after_bytes` bytes of the message: the final dot never reaches the server
    BEFORE_REPLY = "before_reply"  # the whole message reaches the server; its reply never reaches the client
    STALL = "stall"  # nothing is cut: the server's go-ahead to DATA waits for `release` (`stalled` says it does)


class _Server:
    """A listening socket on a free loopback port; subclasses handle each connection."""

    def __init__(self) -> None:
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self.port = 0
        self.connections = 0

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._accept, HOST, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    async def _relay(
        self,
        up: Coroutine[Any, Any, None],
        down: Coroutine[Any, Any, None],
        done: asyncio.Event,
        writer: asyncio.StreamWriter,
        up_writer: asyncio.StreamWriter,
        *,
        cut: Callable[[], bool],
    ) -> None:
        """Run both directions of a relayed connection until `done`; then close it, the client's side with a reset
        when `cut()` says the proxy dropped it (as a dropped connection looks to the client)."""
        tasks = [asyncio.create_task(up), asyncio.create_task(down)]
        try:
            await done.wait()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if cut():
                with contextlib.suppress(OSError):
                    writer.transport.abort()
            up_writer.transport.abort()
            self._writers.discard(up_writer)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.add(writer)
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._handle(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._tasks.discard(task)
            self._writers.discard(writer)
            writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError


class BlackHole(_Server):
    """Accepts, reads and never answers — or, given a `greeting`, says it and then falls silent (a server that
    hangs in the middle of a session rather than at its start)."""

    def __init__(self, greeting: bytes = b"") -> None:
        super().__init__()
        self.greeting = greeting

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.greeting:
            writer.write(self.greeting)
            await writer.drain()
        while await reader.read(65536):
            pass


class StallAfter(_Server):
    """A relay to `upstream_port` that holds what the server says, from the moment the client has sent `pattern`
    until `release` is set; `stalled` says it holds."""

    def __init__(self, upstream_port: int, pattern: bytes) -> None:
        super().__init__()
        self.upstream_port = upstream_port
        self.pattern = pattern
        self.stalled = asyncio.Event()
        self.release = asyncio.Event()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(HOST, self.upstream_port)
        self._writers.add(up_writer)
        done = asyncio.Event()

        async def client_to_server() -> None:
            seen = b""
            while chunk := await reader.read(65536):
                up_writer.write(chunk)
                await up_writer.drain()
                seen = (seen + chunk)[-(len(self.pattern) + 65536) :]
                if self.pattern in seen and not self.release.is_set():
                    self.stalled.set()
            done.set()

        async def server_to_client() -> None:
            while chunk := await up_reader.read(65536):
                if self.stalled.is_set():
                    await self.release.wait()
                writer.write(chunk)
                await writer.drain()
            done.set()

        await self._relay(client_to_server(), server_to_client(), done, writer, up_writer, cut=lambda: False)


class SmtpCutProxy(_Server):
    """A plaintext SMTP relay to `upstream` that cuts the next `times` messages in DATA (see `Cut`).

    `cuts` counts the connections cut so far; `relayed` counts messages that passed through whole with their
    reply. Only for plaintext sessions (no STARTTLS): the proxy must read the dialogue."""

    def __init__(self, upstream_port: int, *, mode: Cut, times: int = 1, after_bytes: int = 64) -> None:
        super().__init__()
        self.upstream_port = upstream_port
        self.mode = mode
        self.times = times
        self.after_bytes = after_bytes
        self.cuts = 0
        self.relayed = 0
        self.stalled = asyncio.Event()
        self.release = asyncio.Event()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(HOST, self.upstream_port)
        self._writers.add(up_writer)
        state = {"in_data": False, "sent": 0, "dot_seen": False, "cut": False}
        done = asyncio.Event()

        async def client_to_server() -> None:
            pending = b""
            while not done.is_set():
                chunk = await reader.read(65536)
                if not chunk:
                    break
                if not state["in_data"]:
                    up_writer.write(chunk)
                    await up_writer.drain()
                    pending = (pending + chunk)[-16:]
                    if b"DATA\r\n" in pending.upper() and self.cuts < self.times:
                        state["in_data"], state["sent"] = True, 0
                    continue
                if self.mode is Cut.MID_DATA:
                    room = self.after_bytes - int(state["sent"])
                    up_writer.write(chunk[: max(room, 0)])
                    await up_writer.drain()
                    state["sent"] = int(state["sent"]) + len(chunk)
                    if int(state["sent"]) >= self.after_bytes:
                        self.cuts += 1
                        state["cut"] = True
                        done.set()
                        return
                else:
                    up_writer.write(chunk)
                    await up_writer.drain()
                    pending = (pending + chunk)[-16:]
                    if _DOT in pending:
                        state["dot_seen"] = True
            done.set()

        async def server_to_client() -> None:
            while not done.is_set():
                line = await up_reader.readline()
                if not line:
                    break
                if self.mode is Cut.STALL and line.startswith(b"354") and self.cuts < self.times:
                    self.cuts += 1
                    self.stalled.set()
                    await self.release.wait()
                if state["dot_seen"] and self.mode is Cut.BEFORE_REPLY:
                    self.cuts += 1  # the server answered the final dot: its reply is dropped, the client cut off
                    state["cut"] = True
                    done.set()
                    return
                writer.write(line)
                await writer.drain()
            done.set()

        await self._relay(client_to_server(), server_to_client(), done, writer, up_writer, cut=lambda: state["cut"])


class ImapCutProxy(_Server):
    """A plaintext IMAP relay to `upstream` that, for the next `times` connections, drops the connection in the
    middle of the answer to the first command containing `trigger` (e.g. b"FETCH"): `after_bytes` bytes of the
    server's answer reach the client, then both sides are reset. Later connections pass untouched; `cuts` counts
    the connections cut so far."""

    def __init__(self, upstream_port: int, *, trigger: bytes, times: int = 1, after_bytes: int = 64) -> None:
        super().__init__()
        self.upstream_port = upstream_port
        self.trigger = trigger.upper()
        self.times = times
        self.after_bytes = after_bytes
        self.cuts = 0

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(HOST, self.upstream_port)
        self._writers.add(up_writer)
        armed = self.cuts < self.times
        if armed:
            self.cuts += 1  # taken now: a second connection opened meanwhile passes untouched
        triggered = asyncio.Event()
        done = asyncio.Event()
        cut = False

        async def client_to_server() -> None:
            while chunk := await reader.read(65536):
                if armed and self.trigger in chunk.upper():
                    triggered.set()
                up_writer.write(chunk)
                await up_writer.drain()
            done.set()

        async def server_to_client() -> None:
            nonlocal cut
            relayed = 0
            while chunk := await up_reader.read(65536):
                if triggered.is_set():
                    room = self.after_bytes - relayed
                    writer.write(chunk[: max(room, 0)])
                    await writer.drain()
                    relayed += len(chunk)
                    if relayed >= self.after_bytes:
                        cut = True
                        break
                    continue
                writer.write(chunk)
                await writer.drain()
            done.set()

        await self._relay(client_to_server(), server_to_client(), done, writer, up_writer, cut=lambda: cut)


class ImapLineDropProxy(_Server):
    """A plaintext IMAP relay to `upstream` that drops every line of the server's answers matching `drop`;
    `dropped` counts them. Lines are relayed whole, so a literal's own lines pass unless they match too."""

    def __init__(self, upstream_port: int, *, drop: re.Pattern[bytes]) -> None:
        super().__init__()
        self.upstream_port = upstream_port
        self.drop = drop
        self.dropped = 0

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(HOST, self.upstream_port)
        self._writers.add(up_writer)
        done = asyncio.Event()

        async def client_to_server() -> None:
            while chunk := await reader.read(65536):
                up_writer.write(chunk)
                await up_writer.drain()
            done.set()

        async def server_to_client() -> None:
            while line := await up_reader.readline():
                if self.drop.search(line):
                    self.dropped += 1
                    continue
                writer.write(line)
                await writer.drain()
            done.set()

        await self._relay(client_to_server(), server_to_client(), done, writer, up_writer, cut=lambda: False)


class ImapLineEditProxy(_Server):
    """A plaintext IMAP relay to `upstream` that replaces every match of `pattern` in the server's lines with
    `replacement`, and of `command` in the client's lines with `command_replacement`; `edited` counts the lines
    changed either way."""

    def __init__(
        self,
        upstream_port: int,
        *,
        pattern: re.Pattern[bytes] | None = None,
        replacement: bytes = b"",
        command: re.Pattern[bytes] | None = None,
        command_replacement: bytes = b"",
    ) -> None:
        super().__init__()
        self.upstream_port = upstream_port
        self.pattern = pattern
        self.replacement = replacement
        self.command = command
        self.command_replacement = command_replacement
        self.edited = 0

    def _edit(self, line: bytes, pattern: re.Pattern[bytes] | None, replacement: bytes) -> bytes:
        if pattern is None:
            return line
        edited, count = pattern.subn(replacement, line)
        self.edited += bool(count)
        return edited

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(HOST, self.upstream_port)
        self._writers.add(up_writer)
        done = asyncio.Event()

        async def client_to_server() -> None:
            while line := await reader.readline():
                up_writer.write(self._edit(line, self.command, self.command_replacement))
                await up_writer.drain()
            done.set()

        async def server_to_client() -> None:
            while line := await up_reader.readline():
                writer.write(self._edit(line, self.pattern, self.replacement))
                await writer.drain()
            done.set()

        await self._relay(client_to_server(), server_to_client(), done, writer, up_writer, cut=lambda: False)

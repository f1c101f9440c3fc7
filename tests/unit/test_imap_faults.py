"""The IMAP client against scripted loopback servers that misbehave the ways real ones do (Dovecot cannot be
made to: XOAUTH2 challenges, a BYE greeting, a dropped connection, silence), and the fleet sweep's bounds."""

from __future__ import annotations

import asyncio
import base64
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from engine.i18n import translator
from engine.mail.imap import ImapError, ImapErrorKind, check_login, sweep
from engine.mail.providers import Credentials, Endpoint
from models.enums import AuthKind, TlsMode

Answer = Callable[[bytes, asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
TOKEN = "ya29.secret-token-value"
READY = b"* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2 AUTH=PLAIN] ready\r\n"


async def _serve(greeting: bytes | None, answer: Answer) -> asyncio.Server:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if greeting is not None:
            writer.write(greeting)
        try:
            while line := await reader.readline():
                await answer(line, reader, writer)
                if writer.is_closing():
                    break
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0)


@pytest.fixture
async def servers() -> AsyncIterator[list[asyncio.Server]]:
    started: list[asyncio.Server] = []
    yield started
    for server in started:
        server.close()
        await server.wait_closed()


async def endpoint(servers: list[asyncio.Server], greeting: bytes | None, answer: Answer) -> Endpoint:
    server = await _serve(greeting, answer)
    servers.append(server)
    return Endpoint("127.0.0.1", server.sockets[0].getsockname()[1], TlsMode.PLAIN)


def _tag(line: bytes) -> bytes:
    return line.split(b" ", 1)[0]


async def logout(line: bytes, writer: asyncio.StreamWriter) -> bool:
    if b" LOGOUT" in line.upper():
        writer.write(b"* BYE bye\r\n" + _tag(line) + b" OK done\r\n")
        writer.close()
        return True
    return False


async def test_xoauth2_sends_the_documented_sasl_string(servers: list[asyncio.Server]) -> None:
    seen: list[bytes] = []

    async def answer(line: bytes, _: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if await logout(line, writer):
            return
        tag, command, mechanism, initial = line.split()
        assert (command, mechanism) == (b"AUTHENTICATE", b"XOAUTH2")
        seen.append(base64.b64decode(initial))
        writer.write(tag + b" OK [CAPABILITY IMAP4rev1 MOVE] Logged in\r\n")

    where = await endpoint(servers, READY, answer)
    result = await check_login(where, Credentials("anna@alpha.test", AuthKind.XOAUTH2, TOKEN), timeout=3)
    assert result.ok and result.key == "imap-login-ok"
    assert seen == [f"user=anna@alpha.test\x01auth=Bearer {TOKEN}\x01\x01".encode()]


async def test_a_refused_token_is_an_auth_failure_not_a_timeout(
    servers: list[asyncio.Server], caplog: pytest.LogCaptureFixture
) -> None:
    """XOAUTH2 servers answer a bad token with a JSON challenge and wait for an empty line before the NO."""
    pending: list[bytes] = []

    async def answer(line: bytes, _: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if b"AUTHENTICATE" in line:
            pending.append(_tag(line))
            writer.write(b"+ " + base64.b64encode(b'{"status":"401","schemes":"bearer"}') + b"\r\n")
        elif line == b"\r\n" and pending:
            writer.write(pending.pop() + b" NO [AUTHENTICATIONFAILED] Invalid credentials\r\n")

    caplog.set_level(logging.DEBUG)
    where = await endpoint(servers, READY, answer)
    started = time.monotonic()
    result = await check_login(where, Credentials("anna@alpha.test", AuthKind.XOAUTH2, TOKEN), timeout=5)
    assert (result.ok, result.key) == (False, "error-imap-auth")
    assert "AUTHENTICATIONFAILED" in result.detail
    assert time.monotonic() - started < 2
    assert TOKEN not in caplog.text and base64.b64encode(TOKEN.encode()).decode() not in caplog.text


async def test_password_login_unavailable_and_wrong(
    servers: list[asyncio.Server], caplog: pytest.LogCaptureFixture
) -> None:
    async def answer(line: bytes, _: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if await logout(line, writer):
            return
        if b'"busy@alpha.test"' in line:
            writer.write(_tag(line) + b" NO [UNAVAILABLE] Try again later\r\n")
        else:
            writer.write(_tag(line) + b" NO [AUTHENTICATIONFAILED] Authentication failed.\r\n")

    caplog.set_level(logging.DEBUG)
    where = await endpoint(servers, READY, answer)
    busy = await check_login(where, Credentials("busy@alpha.test", AuthKind.PASSWORD, "s3cret-pw"), timeout=3)
    wrong = await check_login(where, Credentials("anna@alpha.test", AuthKind.PASSWORD, "s3cret-pw"), timeout=3)
    assert busy.key == "error-imap-unavailable" and wrong.key == "error-imap-auth"
    assert "s3cret-pw" not in caplog.text


async def test_a_non_ascii_password_where_the_server_cannot_take_one_is_not_a_refused_login(
    servers: list[asyncio.Server],
) -> None:
    """A server that offers no AUTH=PLAIN (only LOGIN, which is ASCII) cannot be given a non-ASCII password: that
    is said as such, and nothing is sent — a refused login would count towards disabling the mailbox."""
    commands: list[bytes] = []

    async def answer(line: bytes, _: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        commands.append(line)
        if not await logout(line, writer):
            writer.write(_tag(line) + b" NO [AUTHENTICATIONFAILED] Authentication failed.\r\n")

    where = await endpoint(servers, b"* OK [CAPABILITY IMAP4rev1 AUTH=LOGIN AUTH=CRAM-MD5] ready\r\n", answer)
    result = await check_login(where, Credentials("anna@alpha.test", AuthKind.PASSWORD, "пароль"), timeout=3)
    assert (result.ok, result.key) == (False, "error-imap-charset")
    assert not [c for c in commands if b"LOGOUT" not in c.upper()]  # no login was tried


async def test_bye_greeting_dropped_connection_and_silence(servers: list[asyncio.Server]) -> None:
    async def drop(line: bytes, _: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    credentials = Credentials("anna@alpha.test", AuthKind.PASSWORD, "pw")
    bye = await endpoint(servers, b"* BYE Too many connections from your IP\r\n", drop)
    dropped = await endpoint(servers, READY, drop)
    silent = await endpoint(servers, None, drop)
    started = time.monotonic()
    results = await asyncio.gather(
        check_login(bye, credentials, timeout=3),
        check_login(dropped, credentials, timeout=3),
        check_login(silent, credentials, timeout=1),
    )
    assert [r.key for r in results] == ["error-imap-unavailable", "error-imap-dropped", "error-imap-no-greeting"]
    assert "Too many connections" in results[0].detail
    assert time.monotonic() - started < 1.5


async def test_a_greeting_without_capabilities_then_silence_is_a_hang_not_a_tls_port(
    servers: list[asyncio.Server],
) -> None:
    async def mute(line: bytes, _: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        return  # reads CAPABILITY (and whatever follows) and never answers

    credentials = Credentials("anna@alpha.test", AuthKind.PASSWORD, "pw")
    hangs = await endpoint(servers, b"* OK ready\r\n", mute)  # no CAPABILITY code: the client must ask for it
    silent = await endpoint(servers, None, mute)
    hung, quiet = await asyncio.gather(
        check_login(hangs, credentials, timeout=1), check_login(silent, credentials, timeout=1)
    )
    assert hung.key == "error-imap-timeout", hung
    assert hung.detail == "capability-unanswered"  # codes, put in words by the catalogs: never English in Russian
    assert quiet.key == "error-imap-no-greeting" and quiet.detail == "no-greeting"
    ru = translator("ru")
    for check, endpoint_ in ((hung, hangs), (quiet, silent)):
        text = ru(check.key, detail=check.detail, host=endpoint_.host, port=str(endpoint_.port))
        assert check.detail not in text and not re.search(r"[A-Za-z]{4,}", text.replace("IMAP", "").replace("SSL", ""))


async def test_sweep_bounds_concurrency_and_times_out_one_item_alone() -> None:
    running = 0
    peak = 0

    async def fetch(item: int) -> int:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        try:
            await asyncio.sleep(3600 if item == 3 else 0.02)
            if item == 5:
                raise ImapError(ImapErrorKind.AUTH, "nope")
            return item * 10
        finally:
            running -= 1

    async def commit(item: int, outcome: int | ImapError) -> str:
        if isinstance(outcome, ImapError) and outcome.kind is ImapErrorKind.TIMEOUT:
            assert outcome.detail == "no-answer"  # a code the catalogs put in words
        return f"{item}:{outcome.kind.value if isinstance(outcome, ImapError) else outcome}"

    started = time.monotonic()
    results = await sweep(list(range(8)), fetch, commit, concurrency=3, timeout_s=0.3)
    assert results == ["0:0", "1:10", "2:20", "3:timeout", "4:40", "5:auth", "6:60", "7:70"]
    assert peak == 3
    assert time.monotonic() - started < 1.0

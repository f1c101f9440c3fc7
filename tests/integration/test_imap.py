"""The IMAP layer against real Dovecot: TLS modes, login failures, folders, incremental fetch, move and flags."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
import time
from collections.abc import Iterator
from email.message import EmailMessage

import aioimaplib
import pytest

from engine.mail.imap import (
    INBOX,
    ImapError,
    ImapErrorKind,
    Position,
    check_login,
    fetch_new,
    find_folder,
    imap_session,
    quote_folder,
    sweep,
)
from engine.mail.providers import SPAM, Credentials, Endpoint
from engine.mail.tls import MailPolicy
from models.enums import AuthKind, TlsMode
from tests.harness.mailserver import MailServer
from tests.harness.rebinding import Rebinding

ANNA = "user1@alpha.test"
GOOD = Credentials(ANNA, AuthKind.PASSWORD, "pw")


@pytest.fixture(scope="module")
def mail(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailServer]:
    with MailServer(tmp_path_factory.mktemp("mail"), domains=["alpha.test"], users_per_domain=6) as server:
        yield server


@pytest.fixture(autouse=True)
def clean(mail: MailServer) -> None:
    mail.reset()


def plain(mail: MailServer) -> Endpoint:
    return Endpoint(mail.host, mail.ports.imap, TlsMode.PLAIN)


async def deliver(mail: MailServer, to: str, subject: str, *, spam: bool = False, size: int = 0) -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "someone@beta.test", to, subject
    if spam:
        msg["X-Test-Spam"] = "yes"
    msg.set_content("x" * size or "hello\n")
    folder = "Junk" if spam else "INBOX"
    before = mail.count(to, folder)
    with smtplib.SMTP(mail.host, mail.ports.mx, timeout=10) as smtp:
        smtp.send_message(msg)
    deadline = time.monotonic() + 10
    while mail.count(to, folder) == before:
        assert time.monotonic() < deadline, "not delivered"
        await asyncio.sleep(0.03)


async def test_login_works_in_every_tls_mode(mail: MailServer) -> None:
    context = mail.ssl_context()
    for where in [
        plain(mail),
        Endpoint(mail.host, mail.ports.imap, TlsMode.STARTTLS),
        Endpoint(mail.host, mail.ports.imaps, TlsMode.IMPLICIT),
    ]:
        result = await check_login(where, GOOD, timeout=5, ssl_context=context)
        assert (result.ok, result.key) == (True, "imap-login-ok"), where


async def test_every_login_failure_has_its_own_reason(mail: MailServer) -> None:
    context = mail.ssl_context()
    cases = {
        "wrong password": (plain(mail), Credentials(ANNA, AuthKind.PASSWORD, "nope"), context),
        "non-ASCII password (SASL PLAIN)": (plain(mail), Credentials(ANNA, AuthKind.PASSWORD, "пароль"), context),
        "nothing listens": (Endpoint(mail.host, 1, TlsMode.PLAIN), GOOD, context),
        "TLS to a plain port": (Endpoint(mail.host, mail.ports.imap, TlsMode.IMPLICIT), GOOD, context),
        "plain to a TLS port": (Endpoint(mail.host, mail.ports.imaps, TlsMode.PLAIN), GOOD, context),
        "untrusted certificate": (
            Endpoint(mail.host, mail.ports.imaps, TlsMode.IMPLICIT),
            GOOD,
            ssl.create_default_context(),
        ),
        "XOAUTH2 not offered": (plain(mail), Credentials(ANNA, AuthKind.XOAUTH2, "token"), context),
    }
    results = await asyncio.gather(*(check_login(e, c, timeout=2, ssl_context=x) for e, c, x in cases.values()))
    keys = dict(zip(cases, [r.key for r in results], strict=True))
    assert keys == {
        "wrong password": "error-imap-auth",
        "non-ASCII password (SASL PLAIN)": "error-imap-auth",
        "nothing listens": "error-imap-connect",
        "TLS to a plain port": "error-imap-no-tls",  # the port does not speak TLS ...
        "plain to a TLS port": "error-imap-no-greeting",
        "untrusted certificate": "error-imap-certificate",  # ... which is not the same as an untrusted certificate
        "XOAUTH2 not offered": "error-imap-auth",
    }
    assert results[5].detail == "unable to get local issuer certificate" and "nope" not in results[0].detail


async def test_folders_by_special_use_and_localized_names(mail: MailServer) -> None:
    created = ["Спам", "Входящие/Счета 2026"]
    await _admin(mail, [("CREATE", quote_folder(name)) for name in created])
    try:
        async with imap_session(plain(mail), GOOD) as session:
            folders = await session.list_folders()
            assert {"INBOX", "Junk", "Sent", "Спам", "Входящие/Счета 2026"} <= {f.name for f in folders}
            spam = find_folder(folders, SPAM)
            assert spam is not None and spam.name == "Junk"  # the special-use flag beats the Russian name
            status = await session.select("Входящие/Счета 2026")
            assert status.exists == 0 and status.uidvalidity > 0
            with pytest.raises(ImapError) as missing:
                await session.select("Нет такой папки")
            assert missing.value.kind is ImapErrorKind.FOLDER
    finally:
        await _admin(mail, [("DELETE", quote_folder(name)) for name in [*reversed(created), "Входящие"]])


async def _admin(mail: MailServer, commands: list[tuple[str, str]]) -> None:
    """Folder housekeeping with the bare library, outside the code under test."""
    client = aioimaplib.IMAP4(mail.host, mail.ports.imap, timeout=10)
    await client.wait_hello_from_server()
    await client.login(ANNA, "pw")
    for name, argument in commands:
        await client.protocol.simple_command(name, argument)
    await client.logout()


async def test_incremental_fetch_headers_first_bodies_on_demand(mail: MailServer) -> None:
    for n in range(3):
        await deliver(mail, ANNA, f"m{n}", size=5000)
    async with imap_session(plain(mail), GOOD) as session:
        first = await fetch_new(session, INBOX, None, since=None, limit=2)
        assert first.reset and first.more and [m.body for m in first.messages] == [None, None]
        assert all(b"Subject: m" in m.headers and b"xxxx" not in m.headers for m in first.messages)
        rest = await fetch_new(session, INBOX, first.position, since=None, limit=10)
        assert not rest.reset and not rest.more and len(rest.messages) == 1
        idle = await fetch_new(session, INBOX, rest.position, since=None, limit=10)
        assert idle.messages == () and idle.position == rest.position
        bodies = await session.fetch_bodies([m.uid for m in first.messages], max_bytes=1000)
        assert sorted(len(b) for b in bodies.values()) == [1000, 1000]
        full = await session.fetch_bodies([rest.messages[0].uid])
        assert len(full[rest.messages[0].uid]) == rest.messages[0].size > 5000
    await deliver(mail, ANNA, "m3")
    async with imap_session(plain(mail), GOOD) as session:
        new = await fetch_new(session, INBOX, rest.position, since=None, limit=10)
        assert [m.uid for m in new.messages] == [rest.position.last_uid + 1]


async def test_changed_uidvalidity_resets_the_position(mail: MailServer) -> None:
    await deliver(mail, ANNA, "one", spam=True)
    async with imap_session(plain(mail), GOOD) as session:
        before = await fetch_new(session, "Junk", None, since=None, limit=10)
        stale = Position(before.position.uidvalidity + 1, before.position.last_uid)
        again = await fetch_new(session, "Junk", stale, since=None, limit=10)
    assert again.reset and [m.uid for m in again.messages] == [m.uid for m in before.messages]


async def test_move_and_flags(mail: MailServer) -> None:
    await deliver(mail, ANNA, "rescue me", spam=True)
    async with imap_session(plain(mail), GOOD) as session:
        batch = await fetch_new(session, "Junk", None, since=None, limit=10)
        uids = [m.uid for m in batch.messages]
        await session.add_flags(uids, ["\\Seen", "\\Flagged"])
        await session.move(uids, INBOX)
        inbox = await fetch_new(session, INBOX, None, since=None, limit=10)
    assert (mail.count(ANNA, "Junk"), mail.count(ANNA, INBOX)) == (0, 1)
    assert {"\\Seen", "\\Flagged"} <= inbox.messages[0].flags


async def test_sweep_over_real_mailboxes_with_a_broken_one(mail: MailServer) -> None:
    addresses = [a for a, _ in mail.users]
    await deliver(mail, addresses[2], "hi")

    async def fetch(address: str) -> int:
        where = Endpoint(mail.host, mail.ports.imaps if address == addresses[4] else mail.ports.imap, TlsMode.PLAIN)
        async with imap_session(where, Credentials(address, AuthKind.PASSWORD, "pw"), greeting_timeout_s=5) as s:
            return len((await fetch_new(s, INBOX, None, since=None, limit=10)).messages)

    async def commit(address: str, outcome: int | ImapError) -> str:
        return outcome.kind.value if isinstance(outcome, ImapError) else str(outcome)

    started = time.monotonic()
    results = await sweep(addresses, fetch, commit, concurrency=3, timeout_s=1.0)
    assert results == ["0", "0", "1", "0", "timeout", "0"]
    assert time.monotonic() - started < 2.5


async def test_with_a_policy_a_session_reads_through_the_vetted_address(mail: MailServer) -> None:
    # 127.0.0.2 is loopback where nothing listens: a session that resolved the name again would be refused
    resolver = Rebinding(["127.0.0.1"], ["127.0.0.2"])
    policy = MailPolicy(allowed_ports=frozenset({mail.ports.imaps}), allow_private_hosts=True, resolver=resolver)
    endpoint = Endpoint("localhost", mail.ports.imaps, TlsMode.IMPLICIT)  # verified against the name localhost
    async with imap_session(endpoint, GOOD, ssl_context=mail.ssl_context(), policy=policy) as session:
        assert (await session.select(INBOX)).uidvalidity > 0
    assert resolver.asked == [("localhost", mail.ports.imaps)]


async def test_with_a_policy_a_private_answer_is_refused_before_connecting(mail: MailServer) -> None:
    policy = MailPolicy(allowed_ports=frozenset({mail.ports.imaps}), resolver=Rebinding(["64:ff9b::7f00:1"], []))
    endpoint = Endpoint("imap.rebind.invalid", mail.ports.imaps, TlsMode.IMPLICIT)
    with pytest.raises(ImapError) as refused:
        async with imap_session(endpoint, GOOD, ssl_context=mail.ssl_context(), policy=policy):
            pass
    assert refused.value.kind is ImapErrorKind.REFUSED and refused.value.key == "error-imap-refused"
    assert "64:ff9b::7f00:1" in refused.value.detail

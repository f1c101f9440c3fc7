"""The mail harness proven with the clients the product uses: aiosmtplib and aioimaplib against real servers."""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
import ssl
import time
from collections.abc import Iterator
from email.message import EmailMessage

import aioimaplib
import aiosmtplib
import pytest

from tests.harness.mailserver import Fault, MailServer

PASSWORD = "pw"
ALICE = "user1@alpha.test"
BOB = "user1@beta.test"
DELIVERY_TIMEOUT_S = 10.0  # delivery takes about 70 ms; a loaded CI box may be far slower


@pytest.fixture(scope="module")
def mail(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailServer]:
    """One Postfix + Dovecot for the whole module; missing binaries make every test error, never skip."""
    base = tmp_path_factory.mktemp("mail")
    with MailServer(base, domains=["alpha.test", "beta.test"], users_per_domain=8, password=PASSWORD) as server:
        yield server


@pytest.fixture(autouse=True)
def clean(mail: MailServer) -> None:
    """Every test starts with empty mailboxes, an empty queue and no faults."""
    mail.reset()


def make_message(sender: str, to: str, subject: str, headers: dict[str, str] | None = None) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content("Hello from the mail harness test.\n")
    return msg


async def submit(
    mail: MailServer,
    login: str,
    msg: EmailMessage,
    *,
    password: str = PASSWORD,
    sender: str | None = None,
    implicit_tls: bool = False,
) -> None:
    """Send through the submission port (STARTTLS) or the implicit-TLS port, authenticated as ``login``."""
    await aiosmtplib.send(
        msg,
        hostname=mail.host,
        port=mail.ports.submissions if implicit_tls else mail.ports.submission,
        username=login,
        password=password,
        sender=sender,
        use_tls=implicit_tls,
        start_tls=not implicit_tls,
        tls_context=mail.ssl_context(),
        timeout=10,
    )


async def imap_login(mail: MailServer, address: str, *, tls: bool = False) -> aioimaplib.IMAP4:
    client = (
        aioimaplib.IMAP4_SSL(mail.host, mail.ports.imaps, timeout=10, ssl_context=mail.ssl_context())
        if tls
        else aioimaplib.IMAP4(mail.host, mail.ports.imap, timeout=10)
    )
    await client.wait_hello_from_server()
    response = await client.login(address, PASSWORD)
    assert response.result == "OK", response.lines
    return client


async def fetch(
    mail: MailServer, address: str, folder: str = "INBOX", *, expect: int = 1, tls: bool = False
) -> list[EmailMessage]:
    """Poll ``folder`` over IMAP until it holds ``expect`` messages (or time runs out) and return them all."""
    client = await imap_login(mail, address, tls=tls)
    try:
        assert (await client.select(folder)).result == "OK"
        deadline = time.monotonic() + DELIVERY_TIMEOUT_S
        while True:
            await client.noop()  # without it, SEARCH may miss a just-delivered message for seconds
            found = len((await client.search("ALL")).lines[0].split())
            if found >= expect or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.05)
        if not found:
            return []
        response = await client.fetch("1:*", "(RFC822)")
        return [
            email.message_from_bytes(bytes(item), _class=EmailMessage, policy=email.policy.default)
            for item in response.lines
            if isinstance(item, bytearray)
        ]
    finally:
        await client.logout()


def smtp_reply(exc: BaseException) -> tuple[int, str]:
    """Reply code and text of a refusal (the first refused recipient's, for SMTPRecipientsRefused)."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        exc = exc.recipients[0]
    assert isinstance(exc, aiosmtplib.SMTPResponseException)
    return exc.code, exc.message


async def test_submission_with_starttls_and_auth_delivers_to_another_mailbox(mail: MailServer) -> None:
    async with aiosmtplib.SMTP(hostname=mail.host, port=mail.ports.submission, start_tls=False) as smtp:
        await smtp.ehlo()
        assert smtp.supports_extension("starttls")
        assert "plain" in smtp.server_auth_methods  # plaintext AUTH is allowed, as on many providers
        await smtp.starttls(tls_context=mail.ssl_context())
        await smtp.ehlo()
        assert smtp.get_transport_info("peercert")
        await smtp.login(ALICE, PASSWORD)
        await smtp.send_message(make_message(ALICE, BOB, "hello bob"))

    [received] = await fetch(mail, BOB)
    assert received["Subject"] == "hello bob"
    assert received["From"] == ALICE
    assert mail.count(BOB) == 1


async def test_mailboxes_have_special_use_folders(mail: MailServer) -> None:
    client = await imap_login(mail, ALICE)
    try:
        lines = (await client.list('""', "*")).lines
    finally:
        await client.logout()
    # b'(\\HasNoChildren \\Junk) "/" Junk' -> {"Junk": {"\\HasNoChildren", "\\Junk"}}
    folders = {
        match["name"].decode(): set(match["flags"].decode().split())
        for line in lines
        if isinstance(line, bytes) and (match := re.fullmatch(rb'\((?P<flags>[^)]*)\) "/" (?P<name>.+)', line))
    }
    assert folders.keys() == {"INBOX", "Sent", "Drafts", "Junk", "Trash"}
    for name in ("Sent", "Drafts", "Junk", "Trash"):
        assert f"\\{name}" in folders[name]


async def test_spam_header_is_filed_into_junk(mail: MailServer) -> None:
    await submit(mail, ALICE, make_message(ALICE, BOB, "buy now", {"X-Test-Spam": "yes"}))
    await submit(mail, ALICE, make_message(ALICE, BOB, "meeting notes", {"X-Test-Spam": "no"}))

    [junk] = await fetch(mail, BOB, "Junk")
    [inbox] = await fetch(mail, BOB, "INBOX")
    assert junk["Subject"] == "buy now"
    assert inbox["Subject"] == "meeting notes"


async def test_unknown_local_recipient_bounces_with_a_dsn(mail: MailServer) -> None:
    await submit(mail, ALICE, make_message(ALICE, "nobody@beta.test", "to nobody"))

    [dsn] = await fetch(mail, ALICE)
    assert dsn.get_content_type() == "multipart/report"
    assert dsn.get_param("report-type") == "delivery-status"
    assert dsn["From"].addresses[0].username == "MAILER-DAEMON"
    parts = {part.get_content_type(): part for part in dsn.iter_parts()}
    status = parts["message/delivery-status"].as_string()
    assert "Final-Recipient: rfc822; nobody@beta.test" in status
    assert "Action: failed" in status
    assert "Status: 5.1.1" in status
    assert "to nobody" in parts["message/rfc822"].as_string()


async def test_wrong_password_is_refused_without_slowing_later_logins(mail: MailServer) -> None:
    with pytest.raises(aiosmtplib.SMTPAuthenticationError) as refused:
        await submit(mail, ALICE, make_message(ALICE, BOB, "nope"), password="wrong")
    assert refused.value.code == 535

    started = time.monotonic()
    await (await imap_login(mail, ALICE)).logout()
    assert time.monotonic() - started < 1.0  # the per-IP auth failure penalty is off


async def test_envelope_sender_must_equal_the_login(mail: MailServer) -> None:
    with pytest.raises(aiosmtplib.SMTPSenderRefused) as refused:
        await submit(mail, ALICE, make_message(BOB, BOB, "spoofed"), sender=BOB)
    assert refused.value.code == 553


async def test_mx_port_takes_mail_for_local_domains_without_auth(mail: MailServer) -> None:
    outsider = "prospect@example.net"
    await aiosmtplib.send(
        make_message(outsider, BOB, "reply from a prospect"),
        hostname=mail.host,
        port=mail.ports.mx,
        start_tls=False,
        timeout=10,
    )
    [received] = await fetch(mail, BOB)
    assert received["Subject"] == "reply from a prospect"

    for rcpt, code in [("nobody@beta.test", 550), ("someone@example.com", 554)]:
        with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
            await aiosmtplib.send(
                make_message(outsider, rcpt, "x"), hostname=mail.host, port=mail.ports.mx, start_tls=False
            )
        assert smtp_reply(refused.value)[0] == code


async def test_implicit_tls_smtp_and_imap_work_with_the_harness_ca(mail: MailServer) -> None:
    await submit(mail, ALICE, make_message(ALICE, BOB, "over 465"), implicit_tls=True)

    [received] = await fetch(mail, BOB, tls=True)
    assert received["Subject"] == "over 465"

    untrusting = aioimaplib.IMAP4_SSL(mail.host, mail.ports.imaps, timeout=10, ssl_context=ssl.create_default_context())
    with pytest.raises(ssl.SSLCertVerificationError):
        await untrusting.wait_hello_from_server()


@pytest.mark.parametrize(
    ("kind", "error", "code", "status"),
    [
        (Fault.TEMPFAIL, aiosmtplib.SMTPRecipientsRefused, 451, "4.7.1"),
        (Fault.REJECT, aiosmtplib.SMTPRecipientsRefused, 554, "5.7.1"),
        (Fault.RATE_LIMIT, aiosmtplib.SMTPSenderRefused, 450, "4.7.1"),
        (Fault.DATA_REJECT, aiosmtplib.SMTPDataError, 550, "5.7.1"),
        (Fault.DISCONNECT_MID_DATA, aiosmtplib.SMTPDataError, 421, "4.4.2"),
        (Fault.AUTH_FAIL, aiosmtplib.SMTPAuthenticationError, 535, "5.7.8"),
    ],
)
async def test_fault_hits_only_its_login_until_cleared(
    mail: MailServer, kind: Fault, error: type[Exception], code: int, status: str
) -> None:
    faulty, healthy = "user2@alpha.test", "user3@alpha.test"
    mail.set_fault(faulty, kind)

    with pytest.raises(error) as caught:
        await submit(mail, faulty, make_message(faulty, BOB, "while faulty"))
    reply_code, reply_text = smtp_reply(caught.value)
    assert (reply_code, reply_text.split()[0]) == (code, status)
    await submit(mail, healthy, make_message(healthy, BOB, "healthy sender"))

    mail.clear_faults()
    await submit(mail, faulty, make_message(faulty, BOB, "after clearing"))
    subjects = {m["Subject"] for m in await fetch(mail, BOB, expect=2)}
    assert subjects == {"healthy sender", "after clearing"}


async def test_disconnect_fault_closes_the_connection_after_data(mail: MailServer) -> None:
    faulty = "user4@alpha.test"
    mail.set_fault(faulty, Fault.DISCONNECT_MID_DATA)
    async with aiosmtplib.SMTP(
        hostname=mail.host, port=mail.ports.submission, start_tls=True, tls_context=mail.ssl_context()
    ) as smtp:
        await smtp.login(faulty, PASSWORD)
        with pytest.raises(aiosmtplib.SMTPDataError):
            await smtp.send_message(make_message(faulty, BOB, "cut off"))
        assert not smtp.is_connected


async def test_auth_fault_also_locks_imap(mail: MailServer) -> None:
    faulty = "user5@alpha.test"
    mail.set_fault(faulty, Fault.AUTH_FAIL)
    client = aioimaplib.IMAP4(mail.host, mail.ports.imap, timeout=10)
    await client.wait_hello_from_server()
    assert (await client.login(faulty, PASSWORD)).result == "NO"
    await client.logout()

    mail.clear_faults()
    await (await imap_login(mail, faulty)).logout()


async def test_reset_empties_mailboxes_and_clears_faults(mail: MailServer) -> None:
    await submit(mail, ALICE, make_message(ALICE, BOB, "to be wiped", {"X-Test-Spam": "yes"}))
    await fetch(mail, BOB, "Junk")
    assert mail.count(BOB, "Junk") == 1
    mail.set_fault(ALICE, Fault.REJECT)

    mail.reset()

    assert mail.count(BOB, "Junk") == 0
    assert await fetch(mail, BOB, "Junk", expect=0) == []
    assert mail.faults == {}
    await submit(mail, ALICE, make_message(ALICE, BOB, "fault cleared"))

"""The SMTP transport against the real Postfix + Dovecot harness: delivery, reuse, and every failure classified."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import email
import email.header
import email.policy
import socket
import time
from collections.abc import AsyncIterator, Callable, Iterator

import aioimaplib
import pytest

from engine.clock import SystemClock
from engine.i18n import translator
from engine.mail.message import BuiltMessage, MessageSpec, build_message
from engine.mail.providers import Credentials, Endpoint
from engine.mail.smtp import Outcome, Phase, SmtpTransport, Timeouts, check_login, shared_tls_context
from engine.mail.tls import MailPolicy
from models.enums import AuthKind, TlsMode
from tests.harness.mailserver import Fault, MailServer
from tests.harness.rebinding import Rebinding

PASSWORD = "pw"
SENDER = "user1@alpha.test"
DELIVERY_TIMEOUT_S = 10.0  # delivery takes about 70 ms; a loaded CI box may be far slower
TIMEOUTS = Timeouts(connect=2.0, command=5.0, data=10.0)
# One fault per login, switched on once for the module (each switch costs a Postfix reload of about 2 s).
FAULTY = {
    Fault.RATE_LIMIT: "user3@alpha.test",
    Fault.TEMPFAIL: "user4@alpha.test",
    Fault.REJECT: "user5@alpha.test",
    Fault.DATA_REJECT: "user6@alpha.test",
    Fault.DISCONNECT_MID_DATA: "user7@alpha.test",
    Fault.AUTH_FAIL: "user8@alpha.test",
}


@pytest.fixture(scope="module")
def mail(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailServer]:
    """One Postfix + Dovecot for the module, with the faults of FAULTY on; missing binaries error, never skip."""
    with MailServer(tmp_path_factory.mktemp("smtp"), users_per_domain=8, password=PASSWORD) as server:
        server.set_faults({login: fault for fault, login in FAULTY.items()})
        yield server


@pytest.fixture
async def transport(mail: MailServer) -> AsyncIterator[SmtpTransport]:
    async with SmtpTransport(tls_context=shared_tls_context(str(mail.cafile)), timeouts=TIMEOUTS) as pool:
        yield pool


def starttls(mail: MailServer) -> Endpoint:
    return Endpoint(mail.host, mail.ports.submission, TlsMode.STARTTLS)


def implicit(mail: MailServer) -> Endpoint:
    return Endpoint(mail.host, mail.ports.submissions, TlsMode.IMPLICIT)


def login(address: str, password: str = PASSWORD) -> Credentials:
    return Credentials(address, AuthKind.PASSWORD, password)


def message(sender: str, recipient: str, subject: str = "Тест", **extra: object) -> BuiltMessage:
    spec = MessageSpec(sender=sender, recipient=recipient, subject=subject, text="Добрый день!\n\n-- \nИван\n")
    return build_message(dataclasses.replace(spec, **extra), SystemClock())  # type: ignore[arg-type]


async def fetch_raw(mail: MailServer, address: str, expect: int) -> list[bytes]:
    """Every message in the INBOX of `address` over IMAP, waiting until there are `expect` of them."""
    client = aioimaplib.IMAP4(mail.host, mail.ports.imap, timeout=10)
    await client.wait_hello_from_server()
    assert (await client.login(address, PASSWORD)).result == "OK"
    try:
        assert (await client.select("INBOX")).result == "OK"
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
        return [bytes(item) for item in response.lines if isinstance(item, bytearray)]
    finally:
        await client.logout()


def submission_connects(mail: MailServer) -> int:
    """How many client connections Postfix's submission service has logged so far."""
    log = mail.log_files[0].read_text(errors="replace")
    return sum(1 for line in log.splitlines() if "postfix/submission/smtpd" in line and ": connect from" in line)


# ----------------------------------------------------------------------------------------------- delivery


@pytest.mark.parametrize("endpoint", [starttls, implicit], ids=["starttls", "implicit-tls"])
async def test_message_arrives_intact_with_every_header(
    mail: MailServer, transport: SmtpTransport, endpoint: Callable[[MailServer], Endpoint]
) -> None:
    recipient = "user1@beta.test" if endpoint is starttls else "user2@beta.test"
    built = message(
        SENDER,
        recipient,
        subject="Вопрос по поставкам — коротко",
        sender_name="Иван Петров",
        in_reply_to="<step1@alpha.test>",
        references=("<step1@alpha.test>",),
        unsubscribe_url="https://t.example/u/abc",
        unsubscribe_mailto="unsub@alpha.test",
    )
    result = await transport.send(endpoint(mail), login(SENDER), built)
    assert (result.outcome, result.key, result.code) == (Outcome.ACCEPTED, "smtp-accepted", 250)

    [raw] = await fetch_raw(mail, recipient, expect=1)
    # Postfix and Dovecot only prepend trace headers (and store LF line ends): our bytes follow untouched.
    assert raw.replace(b"\r\n", b"\n").endswith(built.data.replace(b"\r\n", b"\n"))
    received = email.message_from_bytes(raw, policy=email.policy.default)
    assert received["Message-ID"] == built.message_id
    assert received["Subject"] == "Вопрос по поставкам — коротко"
    assert received["From"].addresses[0].display_name == "Иван Петров"
    assert received["In-Reply-To"] == "<step1@alpha.test>"
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert received.get_body(("plain",)).get_content().replace("\r\n", "\n") == "Добрый день!\n\n-- \nИван\n"


async def test_one_connection_carries_many_messages(mail: MailServer, transport: SmtpTransport) -> None:
    before = submission_connects(mail)
    results = [
        await transport.send(starttls(mail), login(SENDER), message(SENDER, "user3@beta.test")) for _ in range(8)
    ]
    assert [r.outcome for r in results] == [Outcome.ACCEPTED] * 8
    assert (transport.opened, transport.open_connections) == (1, 1)
    assert submission_connects(mail) - before == 1
    assert len(await fetch_raw(mail, "user3@beta.test", expect=8)) == 8


async def test_login_check_passes_on_both_tls_modes(mail: MailServer) -> None:
    context = shared_tls_context(str(mail.cafile))
    for endpoint in (starttls(mail), implicit(mail)):
        result = await check_login(endpoint, login(SENDER), timeout=5, tls_context=context)
        assert (result.outcome, result.key) == (Outcome.ACCEPTED, "smtp-login-ok")


# ----------------------------------------------------------------------------------------------- failures


async def test_wrong_password_is_an_auth_failure_and_no_connection_is_kept(
    mail: MailServer, transport: SmtpTransport
) -> None:
    result = await transport.send(starttls(mail), login(SENDER, "wrong-pw"), message(SENDER, "user4@beta.test"))
    assert (result.outcome, result.key, result.phase, result.code) == (
        Outcome.AUTH_FAILED, "smtp-auth-failed", Phase.AUTH, 535
    )  # fmt: skip
    assert "wrong-pw" not in repr(result)
    assert transport.open_connections == 0


@pytest.mark.parametrize(
    ("fault", "outcome", "key", "phase"),
    [
        (Fault.RATE_LIMIT, Outcome.THROTTLED, "smtp-throttled", Phase.MAIL),
        (Fault.TEMPFAIL, Outcome.TRANSIENT, "smtp-transient", Phase.RCPT),
        (Fault.REJECT, Outcome.SPAM_REJECTED, "smtp-spam-rejected", Phase.RCPT),
        (Fault.DATA_REJECT, Outcome.SPAM_REJECTED, "smtp-spam-rejected", Phase.DATA),
        (Fault.DISCONNECT_MID_DATA, Outcome.TRANSIENT, "smtp-server-closing", Phase.DATA),
        (Fault.AUTH_FAIL, Outcome.AUTH_FAILED, "smtp-auth-failed", Phase.AUTH),
    ],
)
async def test_each_provider_fault_gets_its_class(
    mail: MailServer, transport: SmtpTransport, fault: Fault, outcome: Outcome, key: str, *, phase: Phase
) -> None:
    sender = FAULTY[fault]
    result = await transport.send(implicit(mail), login(sender), message(sender, "user5@beta.test"))
    assert (result.outcome, result.key, result.phase) == (outcome, key, phase)
    assert result.retry_after is not None or outcome is Outcome.AUTH_FAILED
    # a refusal before DATA leaves a reusable connection (after RSET); a server hanging up (421) does not
    kept = 1 if fault in (Fault.RATE_LIMIT, Fault.TEMPFAIL, Fault.REJECT, Fault.DATA_REJECT) else 0
    assert transport.open_connections == kept


async def test_unreachable_hosts_fail_fast(mail: MailServer, transport: SmtpTransport) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind((mail.host, 0))
        closed_port = probe.getsockname()[1]
    started = time.monotonic()
    refused = await transport.send(
        Endpoint(mail.host, closed_port, TlsMode.IMPLICIT), login(SENDER), message(SENDER, "user6@beta.test")
    )
    assert (refused.outcome, refused.key, refused.phase) == (Outcome.CONNECTION, "smtp-connect-refused", Phase.CONNECT)
    blackhole = await check_login(Endpoint("192.0.2.1", 465, TlsMode.IMPLICIT), login(SENDER), timeout=0.5)
    assert blackhole.outcome is Outcome.CONNECTION
    assert blackhole.key in {"smtp-connect-timeout", "smtp-connect-failed", "smtp-connect-refused"}
    assert time.monotonic() - started < 2.5
    assert transport.open_connections == 0


@pytest.mark.parametrize(
    ("port", "tls"),
    [("submission", TlsMode.IMPLICIT), ("submissions", TlsMode.STARTTLS)],
    ids=["implicit-tls-on-starttls-port", "starttls-on-implicit-tls-port"],
)
async def test_tls_mode_that_does_not_match_the_port(mail: MailServer, port: str, tls: TlsMode) -> None:
    endpoint = Endpoint(mail.host, getattr(mail.ports, port), tls)
    started = time.monotonic()
    result = await check_login(endpoint, login(SENDER), timeout=1.0, tls_context=shared_tls_context(str(mail.cafile)))
    assert (result.outcome, result.key, result.phase) == (Outcome.CONNECTION, "smtp-tls-mismatch", Phase.CONNECT)
    assert result.retry_after is None  # retrying cannot help: the settings must change
    said = translator("ru")(result.key, **result.params(), host=mail.host, port=str(endpoint.port))
    assert "expects" not in said and "{" not in said  # our own findings are codes the catalogs put in words
    assert time.monotonic() - started < 3.0


async def test_untrusted_certificate(mail: MailServer) -> None:
    result = await check_login(implicit(mail), login(SENDER), timeout=5, tls_context=shared_tls_context())
    assert (result.outcome, result.key) == (Outcome.CONNECTION, "smtp-tls-certificate")


# --------------------------------------------------------------------------- broken connections, idle, limits


class CuttingProxy:
    """A TCP relay in front of the real Postfix that cuts both sides when `cut(sent_so_far, chunk)` says so.

    It injects the one fault Postfix will not produce on demand: a connection that dies at a chosen moment.
    """

    def __init__(self, upstream_port: int, cut: Callable[[bytes, bytes], bool]) -> None:
        self._upstream_port = upstream_port
        self._cut = cut
        self._server: asyncio.Server | None = None
        self.port = 0

    async def __aenter__(self) -> CuttingProxy:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._server is not None
        self._server.close()

    async def _relay(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection("127.0.0.1", self._upstream_port)

        async def pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, watch: bool) -> None:
            sent = b""
            while chunk := await reader.read(65536):
                if watch and self._cut(sent, chunk):
                    break
                sent += chunk
                writer.write(chunk)
                await writer.drain()
            for w in (client_w, server_w):
                w.close()

        await asyncio.gather(pump(client_r, server_w, True), pump(server_r, client_w, False), return_exceptions=True)


async def test_connection_dropped_mid_data_is_unknown_and_discarded(mail: MailServer, transport: SmtpTransport) -> None:
    def after_data_command(sent: bytes, _: bytes) -> bool:
        return sent.endswith(b"DATA\r\n")

    async with CuttingProxy(mail.ports.submission, after_data_command) as proxy:
        plain = Endpoint("127.0.0.1", proxy.port, TlsMode.PLAIN)  # in clear, so the relay can see the commands
        result = await transport.send(plain, login(SENDER), message(SENDER, "user6@beta.test"))
    assert (result.outcome, result.key, result.phase) == (Outcome.UNKNOWN, "smtp-dropped-during-data", Phase.DATA)
    assert result.retry_after is None
    assert transport.open_connections == 0
    again = await transport.send(starttls(mail), login(SENDER), message(SENDER, "user6@beta.test"))
    assert again.ok


async def test_pooled_connection_that_died_is_replaced_without_losing_the_message(
    mail: MailServer, transport: SmtpTransport
) -> None:
    def second_mail_from(sent: bytes, chunk: bytes) -> bool:
        return chunk.startswith(b"MAIL FROM") and b"MAIL FROM" in sent

    async with CuttingProxy(mail.ports.submission, second_mail_from) as proxy:
        plain = Endpoint("127.0.0.1", proxy.port, TlsMode.PLAIN)
        first = await transport.send(plain, login(SENDER), message(SENDER, "user7@beta.test"))
        second = await transport.send(plain, login(SENDER), message(SENDER, "user7@beta.test"))
    assert (first.ok, second.ok, transport.opened) == (True, True, 2)
    assert len(await fetch_raw(mail, "user7@beta.test", expect=2)) == 2


async def test_idle_connections_are_closed(mail: MailServer) -> None:
    context = shared_tls_context(str(mail.cafile))
    async with SmtpTransport(tls_context=context, idle_timeout=0.2, timeouts=TIMEOUTS) as pool:
        assert (await pool.send(starttls(mail), login(SENDER), message(SENDER, "user8@beta.test"))).ok
        assert pool.open_connections == 1
        await asyncio.sleep(0.5)
        assert pool.open_connections == 0
        assert (await pool.send(starttls(mail), login(SENDER), message(SENDER, "user8@beta.test"))).ok
        assert pool.opened == 2


async def test_total_connections_stay_within_the_limit(mail: MailServer) -> None:
    context = shared_tls_context(str(mail.cafile))
    senders = [f"user{n}@beta.test" for n in range(1, 6)]
    peak = 0
    async with SmtpTransport(tls_context=context, max_connections=2, timeouts=TIMEOUTS) as pool:

        async def watch() -> None:
            nonlocal peak
            while True:
                peak = max(peak, pool.open_connections)
                await asyncio.sleep(0)

        watcher = asyncio.create_task(watch())
        sends = [pool.send(starttls(mail), login(s), message(s, "user1@alpha.test")) for s in senders * 2]
        results = await asyncio.gather(*sends)
        watcher.cancel()
    assert all(r.ok for r in results)
    assert peak == 2


async def test_a_cancelled_send_leaks_no_connection(mail: MailServer, transport: SmtpTransport) -> None:
    endpoint, credentials = starttls(mail), login(SENDER)
    for delay in (0.001, 0.01, 0.03):  # cancelled while connecting, in TLS or AUTH, or in the dialogue
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(transport.send(endpoint, credentials, message(SENDER, "user4@beta.test")), delay)
        assert transport.open_connections <= 1
    assert (await transport.send(endpoint, credentials, message(SENDER, "user4@beta.test"))).ok
    assert transport.open_connections == 1


async def test_with_a_policy_the_transport_sends_through_the_vetted_address(mail: MailServer) -> None:
    # 127.0.0.2 is loopback where nothing listens: a transport that resolved the name again would be refused
    resolver = Rebinding(["127.0.0.1"], ["127.0.0.2"])
    policy = MailPolicy(allowed_ports=frozenset({mail.ports.submission}), allow_private_hosts=True, resolver=resolver)
    endpoint = Endpoint("localhost", mail.ports.submission, TlsMode.STARTTLS)  # the certificate names localhost
    async with SmtpTransport(
        tls_context=shared_tls_context(str(mail.cafile)), timeouts=TIMEOUTS, policy=policy
    ) as pool:
        result = await pool.send(endpoint, login(SENDER), message(SENDER, "user2@alpha.test"))
    assert result.outcome is Outcome.ACCEPTED, result
    assert resolver.asked == [("localhost", mail.ports.submission)]


async def test_with_a_policy_a_name_that_turned_private_is_not_connected_to(mail: MailServer) -> None:
    resolver = Rebinding(["10.0.0.5"], ["77.88.8.8"])
    policy = MailPolicy(allowed_ports=frozenset({mail.ports.submission}), resolver=resolver)
    endpoint = Endpoint("smtp.rebind.invalid", mail.ports.submission, TlsMode.STARTTLS)
    async with SmtpTransport(timeouts=TIMEOUTS, policy=policy) as pool:
        result = await pool.send(endpoint, login(SENDER), message(SENDER, "user2@alpha.test"))
        assert pool.opened == 0
    assert (result.outcome, result.key, result.retry_after) == (Outcome.CONNECTION, "smtp-host-refused", None)
    assert result.text == f"smtp.rebind.invalid:{mail.ports.submission} → 10.0.0.5"

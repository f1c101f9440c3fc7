"""Compliance through real Postfix + Dovecot, PostgreSQL and the real outbox and composer: every campaign message
carries the sender footer and a working unsubscribe even when the tracking host is plain http (a `mailto:`
List-Unsubscribe to the sending mailbox), and an unsubscribe mail or a "stop" reply takes effect before the next
send: the follow-ups already queued for those leads never leave.

What arrived is read from the receiving mailboxes over IMAP, not from our own records.
"""

from __future__ import annotations

import datetime as dt
import email
import imaplib
from collections.abc import AsyncIterator, Iterator
from email.message import Message
from email.policy import default as default_policy
from urllib.parse import parse_qs, urlsplit

import pytest

from engine.access import SYSTEM, Actor
from engine.campaigns import service
from engine.campaigns.compose import Composer
from engine.clock import FrozenClock
from engine.crypto import Vault, generate_key
from engine.inbox import SyncOptions, sync_mailbox
from engine.mail.smtp import SmtpTransport, Timeouts
from engine.sending.outbox import EffectiveCaps, Outbox, SendOptions
from engine.sending.sentfolder import ImapSentFolder
from engine.tracking import TrackingLinks
from models import Domain, Enrollment, Mailbox, OutboundMessage, Step, Suppression, Workspace
from models.enums import (
    EnrollmentState,
    MailboxStatus,
    MailProvider,
    MessageStatus,
    Platform,
    Role,
    SuppressionReason,
    TlsMode,
)
from tests.harness.mailserver import MailServer
from tests.integration.campaign_kit import campaign, enroll, plan_due
from tests.integration.test_inbox import deliver, message

pytestmark = pytest.mark.usefixtures("orm")

PASSWORD = "pw"
NOW = dt.datetime(2031, 3, 3, 9, 0, tzinfo=dt.UTC)  # a Monday, 12:00 in Moscow
TODAY = NOW.date()
VAULT = Vault([generate_key()])
ANNA = "user1@alpha.test"
CLICKER, REPLIER, KEEPER = "user1@beta.test", "user2@beta.test", "user3@beta.test"
LEGAL = ("ООО «Ромашка» <Co> & Partners", "Москва, ул. Ленина, 1, ИНН 7701234567")


@pytest.fixture(scope="module")
def mail(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailServer]:
    with MailServer(tmp_path_factory.mktemp("comp"), domains=["alpha.test", "beta.test"], users_per_domain=3) as s:
        yield s


@pytest.fixture(autouse=True)
def clean(mail: MailServer) -> None:
    mail.reset()


@pytest.fixture
async def transport(mail: MailServer) -> AsyncIterator[SmtpTransport]:
    async with SmtpTransport(tls_context=mail.ssl_context(), timeouts=Timeouts(10, 10, 20)) as pool:
        yield pool


def inbox_of(mail: MailServer, address: str) -> list[Message]:
    """Every message in `address`'s INBOX, parsed (read over IMAP as the recipient)."""
    with imaplib.IMAP4(mail.host, mail.ports.imap) as imap:
        imap.login(address, PASSWORD)
        imap.select("INBOX", readonly=True)
        _, data = imap.uid("SEARCH", "ALL")
        out = []
        for uid in data[0].split():
            _, parts = imap.uid("FETCH", uid, "(RFC822)")
            raw = parts[0][1] if parts and isinstance(parts[0], tuple) else b""
            out.append(email.message_from_bytes(raw, policy=default_policy))
        return out


def text_of(msg: Message) -> str:
    part = msg.get_body(("plain",))  # type: ignore[attr-defined]
    assert part is not None
    return str(part.get_content())


def html_of(msg: Message) -> str:
    part = msg.get_body(("html",))  # type: ignore[attr-defined]
    assert part is not None
    return str(part.get_content())


async def test_an_http_tracking_host_still_gives_a_working_unsubscribe_and_stops_act_before_the_next_send(
    mail: MailServer, transport: SmtpTransport
) -> None:
    clock = FrozenClock(NOW)
    ws = await Workspace.create(slug="acme", name="Acme", timezone="Europe/Moscow", locale="ru",
                                sender_name=LEGAL[0], sender_address=LEGAL[1])  # fmt: skip
    alpha = await Domain.create(workspace=ws, name="alpha.test", daily_cap=120)
    box = await Mailbox.create(
        workspace=ws, domain=alpha, address=ANNA, display_name="Anna", provider=MailProvider.GENERIC,
        smtp_host=mail.host, smtp_port=mail.ports.submission, smtp_tls=TlsMode.STARTTLS, imap_host=mail.host,
        imap_port=mail.ports.imap, imap_tls=TlsMode.PLAIN, username=ANNA, secret_enc=VAULT.encrypt(PASSWORD),
        status=MailboxStatus.ACTIVE, daily_cap=40, warmup_started_on=TODAY - dt.timedelta(days=100),
    )  # fmt: skip
    c = await campaign(ws, [box], html=True)
    await Step.filter(campaign_id=c.id).update(variants=[{"subject": "Вопрос", "body": "Добрый день, {first_name}!"}])
    enrollments = dict(zip((CLICKER, REPLIER, KEEPER), await enroll(c, [CLICKER, REPLIER, KEEPER], NOW), strict=True))
    composer = Composer(TrackingLinks("http://t.example.test", b"k" * 32))  # plain http: no one-click possible
    sender = Outbox(
        clock=clock, vault=VAULT, sender=transport, sent_folder=ImapSentFolder(timeout_s=10),
        options=SendOptions(ssl_context=mail.ssl_context()), caps=EffectiveCaps(), compose=composer,
    )  # fmt: skip

    assert await plan_due(clock, c, [box]) == 3
    await sender.sweep()
    assert (await sender.send_mailbox(box.id)).sent == 3
    mail.settle()

    [first] = inbox_of(mail, CLICKER)
    assert first["List-Unsubscribe"] == f"<mailto:{ANNA}?subject=unsubscribe>"
    assert first["List-Unsubscribe-Post"] is None  # RFC 8058 one-click needs https
    body = text_of(first)
    assert f"{LEGAL[0]}, {LEGAL[1]}" in body and "http://t.example.test/t/u/" in body and "«отписаться»" in body
    html = html_of(first)
    assert "ООО «Ромашка» &lt;Co&gt; &amp; Partners" in html and "<Co>" not in html

    # two days later the follow-ups are planned and queued; then the leads say stop, before any of them is sent
    clock.set(NOW + dt.timedelta(days=2))
    assert await plan_due(clock, c, [box]) == 3
    await sender.sweep()
    assert await OutboundMessage.filter(step_position=2, status=MessageStatus.QUEUED).count() == 3
    target = urlsplit(str(first["List-Unsubscribe"]).strip("<>"))  # what the recipient's mail client does
    subject = parse_qs(target.query)["subject"][0]
    await deliver(mail, message(CLICKER, target.path, subject, ""))
    [to_replier] = inbox_of(mail, REPLIER)
    await deliver(mail, message(REPLIER, ANNA, "Re: Вопрос", "Не пишите больше.\n\n> Добрый день\n",
                                In_Reply_To=str(to_replier["Message-ID"])))  # fmt: skip
    await sync_mailbox(
        SYSTEM, box.id, clock=clock, vault=VAULT, options=SyncOptions(timeout_s=10, ssl_context=mail.ssl_context())
    )

    await sender.sweep()
    await sender.send_mailbox(box.id)
    mail.settle()

    for lead in (CLICKER, REPLIER):
        suppression = await Suppression.get(value=lead)
        assert (suppression.workspace_id, suppression.reason) == (ws.id, SuppressionReason.UNSUBSCRIBE)
        assert (await Enrollment.get(id=enrollments[lead].id)).state is EnrollmentState.UNSUBSCRIBED
        follow_up = await OutboundMessage.get(enrollment_id=enrollments[lead].id, step_position=2)
        assert follow_up.status is MessageStatus.CANCELLED and follow_up.sent_at is None
        assert len(inbox_of(mail, lead)) == 1  # step 1 only: the stop took effect before the next send
    assert len(inbox_of(mail, KEEPER)) == 2  # the lead who said nothing got the follow-up


async def test_a_test_send_arrives_as_the_leads_will_get_it_and_names_nothing_internal(
    mail: MailServer, transport: SmtpTransport
) -> None:
    """/campaign_test to the manager's own address, through Postfix and read over IMAP as the manager: the From
    of the mailbox, the legal footer, a one-click List-Unsubscribe, sample values for the lead's fields, and no
    internal id (the row's, the campaign's, the workspace's slug) anywhere in the headers or the text."""
    clock = FrozenClock(NOW)
    ws = await Workspace.create(slug="acme-internal", name="Acme", timezone="Europe/Moscow", locale="ru",
                                sender_name=LEGAL[0], sender_address=LEGAL[1])  # fmt: skip
    alpha = await Domain.create(workspace=ws, name="alpha.test", daily_cap=120)
    box = await Mailbox.create(
        workspace=ws, domain=alpha, address=ANNA, display_name="Анна", provider=MailProvider.GENERIC,
        smtp_host=mail.host, smtp_port=mail.ports.submission, smtp_tls=TlsMode.STARTTLS, imap_host=mail.host,
        imap_port=mail.ports.imap, imap_tls=TlsMode.PLAIN, username=ANNA, secret_enc=VAULT.encrypt(PASSWORD),
        status=MailboxStatus.ACTIVE, daily_cap=40, warmup_started_on=TODAY - dt.timedelta(days=100),
    )  # fmt: skip
    c = await campaign(ws, [box], name="весна-2031")
    await Step.filter(campaign_id=c.id, position=1).update(
        variants=[{"subject": "Вопрос для {company|вашей компании}", "body": "Добрый день, {first_name|коллега}!"}]
    )
    manager = Actor(person_id=None, platform=Platform.CONSOLE, role=Role.MANAGER, workspace_id=ws.id)
    row = await service.send_test(manager, clock, "весна-2031", KEEPER)
    composer = Composer(TrackingLinks("https://t.example.test", b"k" * 32))
    sender = Outbox(
        clock=clock, vault=VAULT, sender=transport, sent_folder=ImapSentFolder(timeout_s=10),
        options=SendOptions(ssl_context=mail.ssl_context()), caps=EffectiveCaps(), compose=composer,
    )  # fmt: skip
    assert (await sender.send_mailbox(box.id)).sent == 1
    mail.settle()

    [got] = inbox_of(mail, KEEPER)
    assert str(got["From"]) == f"Анна <{ANNA}>" and str(got["To"]) == KEEPER
    assert str(got["Message-ID"]) == row.message_id
    assert str(got["List-Unsubscribe"]).startswith("<https://t.example.test/t/u/")
    assert str(got["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    text = text_of(got)
    assert f"{LEGAL[0]}, {LEGAL[1]}" in text
    headers = "\n".join(f"{k}: {v}" for k, v in got.items() if k not in {"Received", "Date"})
    for internal in (ws.slug, f"/{row.id}", f"={row.id}", f"/{c.id}/", "mailfleet"):
        assert internal not in headers.lower() and internal not in text.lower(), internal
    assert not [k for k in got if k.lower().startswith("x-")], list(got.keys())

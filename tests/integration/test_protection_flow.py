"""Issue 11's "Done when", on the real Postfix + Dovecot: recipients that do not exist bounce (Postfix's own DSNs)
and push a mailbox over the hard-bounce threshold → it cools down, audited, with an alert for the workspace's
chats; a receiver's "554 5.7.1 … blocked using …" rejections (DSNs from a remote MTA, delivered to the sender's
INBOX) raise another mailbox's block rate → its volume is cut, its recipients are not suppressed and their
sequences go on. Every bounce is read back from Dovecot by the real inbox sync; nothing is counted by hand."""

from __future__ import annotations

import asyncio
import datetime as dt
import smtplib
from collections.abc import Iterator
from email.message import EmailMessage

import pytest

from engine import alerts
from engine.access import SYSTEM
from engine.clock import FrozenClock
from engine.crypto import Vault, generate_key
from engine.i18n import translator
from engine.inbox import SyncOptions, SyncStatus, sweep
from engine.mail.smtp import SmtpTransport, Timeouts
from engine.monitoring import service
from engine.monitoring.health import health_factors
from engine.notify import render
from engine.sending.outbox import EffectiveCaps, Outbox, SendOptions
from engine.sending.sentfolder import ImapSentFolder
from models import (
    Alert,
    AuditLog,
    DailyStat,
    Domain,
    Enrollment,
    Lead,
    Mailbox,
    OutboundMessage,
    Suppression,
    Workspace,
)
from models.enums import EnrollmentState, MailboxStatus, MailProvider, MessageStatus, StatScope, TlsMode
from tests.harness.mailserver import MailServer
from tests.integration import campaign_kit
from tests.integration.campaign_kit import campaign, enroll, plan_due

pytestmark = [pytest.mark.usefixtures("orm"), pytest.mark.timeout(300)]

EN = translator("en")
PASSWORD = "pw"
VAULT = Vault([generate_key()])
SENDERS = ["out1@north.test", "out2@north.test", "out3@north.test"]
LEADS = [f"lead{n}@leads.test" for n in range(1, 78)]
GHOSTS = [f"ghost{n}@leads.test" for n in range(1, 4)]  # no such users: Postfix bounces them
BOUNCER_LEADS = LEADS[:37] + GHOSTS  # out1's 40 recipients, 3 of them bounce: 7.5 % ≥ 5 %
BLOCKED_LEADS = LEADS[37:77]  # out2's 40 recipients; 3 of its messages are refused by the receiver: 7.5 % ≥ 3 %
NOW = dt.datetime(2031, 3, 4, 10, 0, tzinfo=dt.UTC)  # a Tuesday, inside the campaign window
SYNC = SyncOptions(timeout_s=20)


@pytest.fixture(scope="module")
def mail(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailServer]:
    users = [(a, PASSWORD) for a in SENDERS + LEADS]
    with MailServer(tmp_path_factory.mktemp("protect"), domains=["north.test", "leads.test"], users=users) as s:
        yield s


async def fleet(mail: MailServer) -> tuple[Workspace, list[Mailbox]]:
    ws = await Workspace.create(
        slug="acme", name="Acme", timezone="Europe/Moscow", sender_name="Acme LLC", sender_address="Moscow"
    )
    domain = await Domain.create(workspace=ws, name="north.test", daily_cap=1000)
    long_ago = NOW - dt.timedelta(days=100)
    boxes = []
    for address in SENDERS:
        boxes.append(
            await Mailbox.create(
                workspace=ws, domain=domain, address=address, provider=MailProvider.GENERIC, smtp_host=mail.host,
                smtp_port=mail.ports.submission, smtp_tls=TlsMode.STARTTLS, imap_host=mail.host,
                imap_port=mail.ports.imap, imap_tls=TlsMode.PLAIN, username=address,
                secret_enc=VAULT.encrypt(PASSWORD), status=MailboxStatus.ACTIVE, status_changed_at=long_ago,
                graduated_at=long_ago, daily_cap=100, warmup_started_on=(long_ago - dt.timedelta(days=50)).date(),
            )
        )  # fmt: skip
    return ws, boxes


def blocked_dsn(sender: str, recipient: str, message_id: str, n: int) -> EmailMessage:
    """What a relay sends back when the receiving server refuses us for a blocklist listing (Exim's wording)."""
    msg = EmailMessage()
    msg["From"] = "Mail Delivery System <Mailer-Daemon@mx.relay.test>"
    msg["To"] = sender
    msg["Subject"] = "Mail delivery failed: returning message to sender"
    msg["Message-ID"] = f"<dsn.{n}@mx.relay.test>"
    msg["Auto-Submitted"] = "auto-replied"
    msg["X-Failed-Recipients"] = recipient
    msg.set_content(
        "This message was created automatically by mail delivery software.\n\n"
        "A message that you sent could not be delivered to one or more of its\n"
        "recipients. This is a permanent error. The following address(es) failed:\n\n"
        f"  {recipient}\n    host mx.leads.test [198.51.100.8]\n"
        f"    SMTP error from remote mail server after RCPT TO:<{recipient}>:\n"
        "    554 5.7.1 Service unavailable; Client host [203.0.113.5] blocked using\n"
        "    zen.spamhaus.org; https://www.spamhaus.org/query/ip/203.0.113.5\n\n"
        "------ This is a copy of the message, including all the headers. ------\n\n"
        f"From: {sender}\nTo: {recipient}\nSubject: Step 1\nMessage-ID: {message_id}\n\nHello!\n"
    )
    return msg


async def test_bounces_cool_a_mailbox_down_and_blocks_cut_volume_without_suppressing(mail: MailServer) -> None:
    mail.reset()
    clock = FrozenClock(NOW)
    ws, (bouncer, blocked, quiet) = await fleet(mail)
    c1 = await campaign(ws, [bouncer], name="A", steps=((0, False), (2, False)), daily_cap=1000, per_mailbox_cap=100)
    c2 = await campaign(ws, [blocked], name="B", steps=((0, False), (2, False)), daily_cap=1000, per_mailbox_cap=100)
    await enroll(c1, BOUNCER_LEADS, NOW)
    await enroll(c2, BLOCKED_LEADS, NOW)
    assert await plan_due(clock, c1, [bouncer]) == 40 and await plan_due(clock, c2, [blocked]) == 40

    async with SmtpTransport(tls_context=mail.ssl_context(), timeouts=Timeouts(10, 10, 20)) as transport:
        outbox = Outbox(
            clock=clock, vault=VAULT, sender=transport, sent_folder=ImapSentFolder(timeout_s=10),
            options=SendOptions(ssl_context=mail.ssl_context()), caps=EffectiveCaps(), compose=campaign_kit.compose,
        )  # fmt: skip
        due = await outbox.sweep()
        reports = await asyncio.gather(*(outbox.send_mailbox(i) for i in due.send))
    assert sum(r.sent for r in reports) == 80, reports
    mail.settle()  # Postfix has bounced the ghosts back to out1

    refused = await OutboundMessage.filter(mailbox_id=blocked.id).order_by("id").limit(3).prefetch_related("lead")
    with smtplib.SMTP(mail.host, mail.ports.mx, timeout=10) as smtp:
        for n, row in enumerate(refused):
            smtp.send_message(blocked_dsn(blocked.address, row.lead.email, row.message_id, n))
    mail.settle()
    results = await sweep(SYSTEM, [b.id for b in (bouncer, blocked, quiet)], clock=clock, vault=VAULT, options=SYNC)
    assert all(r.status is SyncStatus.OK for r in results), results

    stats = {s.scope_id: s for s in await DailyStat.filter(scope=StatScope.MAILBOX)}
    assert (stats[bouncer.id].sent, stats[bouncer.id].bounces_hard) == (40, 3)
    assert (stats[blocked.id].sent, stats[blocked.id].bounces_block, stats[blocked.id].bounces_hard) == (40, 3, 0)

    report = await service.evaluate(clock)
    assert report.actions == {"cooldown": 1, "cut": 1}
    await bouncer.refresh_from_db()
    await blocked.refresh_from_db()
    assert bouncer.status is MailboxStatus.COOLDOWN and bouncer.cooldown_until == NOW + dt.timedelta(days=3)
    assert (blocked.status, blocked.health_factor, blocked.health_reason) == (MailboxStatus.ACTIVE, 0.5, "block_rate")
    assert (await Mailbox.get(id=quiet.id)).health_factor == 1.0
    assert await health_factors() == {blocked.id: 0.5}

    [cooled] = await AuditLog.filter(action="monitoring.cooldown")
    assert (cooled.data["rate"], cooled.data["sample"], cooled.data["threshold"]) == (0.075, 40, 0.05)
    [cut] = await AuditLog.filter(action="monitoring.cut")
    assert (cut.data["rate"], cut.data["sample"], cut.data["threshold"], cut.data["part"]) == (0.075, 40, 0.03, 3)

    # the ghosts are suppressed (they do not exist); the refused recipients are not, and their sequences go on
    assert {s.value for s in await Suppression.all()} == set(GHOSTS)
    for row in refused:
        enrollment = await Enrollment.get(lead_id=row.lead_id)
        assert enrollment.state is EnrollmentState.ACTIVE, row.lead.email
    assert await Lead.filter(email__in=[r.lead.email for r in refused]).count() == 3

    # the alerts wait for the workspace's chats (Telegram and Slack alike get what `claim_due` hands over)
    notes = {n.body_key: n for n in await alerts.claim_due(clock)}
    assert set(notes) == {"alert-mailbox-cooldown", "alert-volume-cut"}
    assert "7.5 %" in EN(notes["alert-mailbox-cooldown"].body_key, **notes["alert-mailbox-cooldown"].params)
    assert bouncer.address in EN("alert-mailbox-cooldown", **notes["alert-mailbox-cooldown"].params)
    assert "×0.5" in EN("alert-volume-cut", **notes["alert-volume-cut"].params)
    cooled_ru = render(notes["alert-mailbox-cooldown"], "ru").plain_text()  # as the chat reads it
    assert "(за 7 дней)" in cooled_ru and "7d" not in cooled_ru
    assert await Alert.filter(workspace_id=ws.id).count() == 2

    assert (await service.evaluate(clock)).actions == {}  # running again acts once

    # two days later the follow-ups are due: the cooled-down mailbox sends none; the cut one goes on, the refused
    # recipients included (a block is about us, not them)
    clock.advance(dt.timedelta(days=2))
    assert await plan_due(clock, c1, [bouncer]) == 37 and await plan_due(clock, c2, [blocked]) == 40
    async with SmtpTransport(tls_context=mail.ssl_context(), timeouts=Timeouts(10, 10, 20)) as transport:
        outbox = Outbox(
            clock=clock, vault=VAULT, sender=transport, sent_folder=ImapSentFolder(timeout_s=10),
            options=SendOptions(ssl_context=mail.ssl_context()), caps=EffectiveCaps(), compose=campaign_kit.compose,
        )  # fmt: skip
        due = await outbox.sweep()
        await asyncio.gather(*(outbox.send_mailbox(i) for i in due.send))
    sent = OutboundMessage.filter(status=MessageStatus.SENT, step_position=2)
    assert await sent.filter(mailbox_id=bouncer.id).count() == 0
    assert await sent.filter(mailbox_id=blocked.id, lead_id__in=[r.lead_id for r in refused]).count() == 3

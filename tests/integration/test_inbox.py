"""Inbox sync against real Postfix + Dovecot and PostgreSQL: what arrives becomes events, counters, suppressions,
stopped enrollments, and warmup mail rescued from the spam folder."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import smtplib
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import aioimaplib
import asyncpg
import pytest
from tortoise import connections

from bot.runner import Runner
from engine import tracking
from engine.access import SYSTEM, Actor
from engine.alerts import RESOLUTION_SAYS, alert_key, claim_due, inbox_unreachable_fingerprint, raise_alert
from engine.clock import FrozenClock
from engine.crypto import Vault, generate_key
from engine.exports import campaign_leads
from engine.i18n import translator
from engine.inbox import (
    DISABLED_READ_FOR,
    RETIRED_READ_FOR,
    SyncOptions,
    SyncStatus,
    _Lookup,
    sweep,
    sweep_all,
    sync_mailbox,
)
from engine.mail.imap import ImapConnect, MailFolders, imap_session
from engine.mail.message import seeded_message_hex
from engine.mail.providers import Credentials, Endpoint
from engine.mail.tls import MailPolicy
from engine.mailboxes import check_mailboxes, resume_mailbox, show_mailbox
from engine.notify import render
from engine.stats import EventRecord, SuppressionRecord, add_suppressions, counters, record_events
from engine.warmup.marker import WarmupMarker
from engine.warmup.receive import Reaction, message_rng, react
from engine.warmup.settings import WarmupSettings
from models import (
    AgencySetting,
    Alert,
    AuditLog,
    Campaign,
    DailyStat,
    Domain,
    Enrollment,
    Event,
    FolderState,
    Lead,
    Mailbox,
    OutboundMessage,
    Suppression,
    Workspace,
)
from models.enums import (
    AlertStatus,
    EnrollmentState,
    EventKind,
    LeadVerdict,
    MailboxStatus,
    MailProvider,
    MessageKind,
    MessageStatus,
    Platform,
    Role,
    Severity,
    StatScope,
    SuppressionReason,
    TlsMode,
)
from tests.harness.mailserver import MailServer

pytestmark = pytest.mark.usefixtures("orm")

PASSWORD = "pw"
ANNA = "user1@alpha.test"  # our outreach mailbox
BOB = "user2@alpha.test"  # another of our mailboxes (warmup peer)
LEAD = "user1@beta.test"  # a lead that exists
NOBODY = "nobody@alpha.test"  # a lead that does not exist: Postfix bounces it
NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)
VAULT = Vault([generate_key()])
MARKER = WarmupMarker.from_vault(VAULT)


def mark(msg: EmailMessage, *, warmup: bool = True) -> EmailMessage:
    name, value = MARKER.stamp(str(msg["Message-ID"]), warmup=warmup)
    msg[name] = value
    return msg


@pytest.fixture(scope="module")
def mail(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailServer]:
    with MailServer(tmp_path_factory.mktemp("mail"), domains=["alpha.test", "beta.test"], users_per_domain=4) as s:
        yield s


@pytest.fixture(autouse=True)
def clean(mail: MailServer) -> None:
    mail.reset()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


def options(mail: MailServer, timeout_s: float = 10.0) -> SyncOptions:
    return SyncOptions(timeout_s=timeout_s, ssl_context=mail.ssl_context())


async def workspace(slug: str = "acme") -> Workspace:
    ws = await Workspace.create(slug=slug, name=slug.title(), timezone="Europe/Moscow")
    await Domain.create(workspace=ws, name="alpha.test" if slug == "acme" else f"{slug}.test")
    return ws


async def mailbox(
    mail: MailServer, ws: Workspace, address: str, *, password: str = PASSWORD, **fields: object
) -> Mailbox:
    domain = await Domain.get(name=address.split("@")[1])
    values: dict[str, object] = {
        "workspace": ws,
        "domain": domain,
        "address": address,
        "provider": MailProvider.GENERIC,
        "smtp_host": mail.host,
        "smtp_port": mail.ports.submission,
        "smtp_tls": TlsMode.STARTTLS,
        "imap_host": mail.host,
        "imap_port": mail.ports.imap,
        "imap_tls": TlsMode.PLAIN,
        "username": address,
        "secret_enc": VAULT.encrypt(password),
        "status": MailboxStatus.WARMING,
        **fields,
    }
    box = await Mailbox.create(**values)
    await Mailbox.filter(id=box.id).update(created_at=NOW - dt.timedelta(hours=1))
    return await Mailbox.get(id=box.id)


async def sent_message(
    box: Mailbox,
    *,
    to: str,
    message_id: str,
    enrollment: Enrollment | None = None,
    kind: MessageKind = MessageKind.CAMPAIGN,
    peer: Mailbox | None = None,
) -> OutboundMessage:
    lead = await Lead.get(id=enrollment.lead_id) if enrollment else None
    return await OutboundMessage.create(
        kind=kind,
        workspace_id=box.workspace_id,
        mailbox=box,
        lead=lead,
        peer=peer,
        enrollment=enrollment,
        step_position=0 if enrollment else None,
        message_id=message_id,
        status=MessageStatus.SENT,
        scheduled_at=NOW - dt.timedelta(hours=2),
        sent_at=NOW - dt.timedelta(hours=2),
    )


async def enrolled(ws: Workspace, email: str, box: Mailbox) -> Enrollment:
    # aware window times: the model's naive defaults warn under use_tz (reported to the campaign owner)
    window = {"window_start": dt.time(9, tzinfo=dt.UTC), "window_end": dt.time(18, tzinfo=dt.UTC)}
    campaign = await Campaign.get_or_none(workspace=ws, name="Q4") or await Campaign.create(
        workspace=ws, name="Q4", **window
    )
    lead = await Lead.create(workspace=ws, email=email)
    return await Enrollment.create(campaign=campaign, lead=lead, mailbox=box)


def message(sender: str, to: str, subject: str, body: str = "Hello.\n", **headers: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = headers.pop("message_id", f"<{time.monotonic_ns()}@{sender.split('@')[1]}>")
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg


async def deliver(mail: MailServer, msg: EmailMessage, *, folder: str = "INBOX") -> None:
    """Hand a message to the MX port and wait until Dovecot has filed it."""
    rcpt = str(msg["To"])
    before = mail.count(rcpt, folder)
    with smtplib.SMTP(mail.host, mail.ports.mx, timeout=10) as smtp:
        smtp.send_message(msg)
    await wait_for(lambda: mail.count(rcpt, folder) > before)


async def wait_for(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "mail did not arrive in time"
        await asyncio.sleep(0.03)


async def kinds_of_events() -> list[str]:
    return sorted(e.kind.value for e in await Event.all())


# ---------------------------------------------------------------------------------------------------- tests


async def test_incremental_sync_sees_only_new_mail(mail: MailServer, clock: FrozenClock) -> None:
    ws = await workspace()
    box = await mailbox(mail, ws, ANNA)
    await deliver(mail, message(LEAD, ANNA, "Out of Office", Auto_Submitted="auto-replied"))
    await deliver(mail, message(LEAD, ANNA, "hello there"))

    first = await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=options(mail))
    assert first.status is SyncStatus.OK and first.kinds == {"auto_reply": 1, "other": 1}
    second = await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=options(mail))
    assert second.status is SyncStatus.OK and second.kinds == {}

    await deliver(mail, message(LEAD, ANNA, "Automatic reply: later", Auto_Submitted="auto-replied"))
    third = await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=options(mail))
    assert third.kinds == {"auto_reply": 1}
    assert await kinds_of_events() == ["auto_reply", "auto_reply"]
    states = {s.folder: s for s in await FolderState.filter(mailbox=box)}
    assert set(states) == {"INBOX", "Junk"} and states["INBOX"].last_uid >= 3
    refreshed = await Mailbox.get(id=box.id)
    assert refreshed.last_ok_at == NOW and refreshed.auth_failures == 0


async def test_reply_stops_the_enrollment_and_its_planned_follow_up(mail: MailServer, clock: FrozenClock) -> None:
    ws = await workspace()
    box = await mailbox(mail, ws, ANNA)
    enrollment = await enrolled(ws, LEAD, box)
    first = await sent_message(box, to=LEAD, message_id="<step1.a8f3@alpha.test>", enrollment=enrollment)
    follow_up = await OutboundMessage.create(
        kind=MessageKind.CAMPAIGN, workspace=ws, mailbox=box, lead_id=enrollment.lead_id, enrollment=enrollment,
        step_position=1, message_id="<step2.b9e4@alpha.test>", status=MessageStatus.PLANNED,
        scheduled_at=NOW + dt.timedelta(days=3),
    )  # fmt: skip
    reply = message(
        LEAD, ANNA, "Re: logistics", "Sounds good, call me on Tuesday.\n\n> reply unsubscribe to stop\n",
        In_Reply_To="<step1.a8f3@alpha.test>", References="<step1.a8f3@alpha.test>",
    )  # fmt: skip
    await deliver(mail, reply)

    result = await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=options(mail))

    assert result.kinds == {"reply": 1}
    assert (await Enrollment.get(id=enrollment.id)).state is EnrollmentState.REPLIED
    assert (await OutboundMessage.get(id=follow_up.id)).status is MessageStatus.CANCELLED
    event = await Event.get(kind=EventKind.REPLY)
    assert (event.message_id, event.lead_id, event.campaign_id) == (
        first.id,
        enrollment.lead_id,
        enrollment.campaign_id,
    )
    day = dt.date(2026, 11, 28)
    for scope, scope_id in [
        (StatScope.MAILBOX, box.id),
        (StatScope.DOMAIN, box.domain_id),
        (StatScope.CAMPAIGN, enrollment.campaign_id),
        (StatScope.WORKSPACE, ws.id),
    ]:
        assert (await counters(scope, scope_id, day))["replies"] == 1, scope
    assert await Suppression.all().count() == 0  # the quoted "unsubscribe" is ours, not the lead's


async def test_a_sweep_reads_before_its_writes_may_start_and_writes_nothing_until_then(
    mail: MailServer, clock: FrozenClock
) -> None:
    """`SyncOptions.writes_after`: the mailbox is read and its mail classified at once (the demo overlaps that with
    the tick's sends), but nothing is written until the awaited event: no reply event, the sequence still active,
    the folder position not kept. Then everything is written as without it."""
    ws = await workspace()
    box = await mailbox(mail, ws, ANNA)
    enrollment = await enrolled(ws, LEAD, box)
    await sent_message(box, to=LEAD, message_id="<step1.d00d@alpha.test>", enrollment=enrollment)
    reply = message(LEAD, ANNA, "Re: logistics", "Yes, call me.\n", In_Reply_To="<step1.d00d@alpha.test>")
    await deliver(mail, reply)
    read, may_write = asyncio.Event(), asyncio.Event()

    @contextlib.asynccontextmanager
    async def connect(*args: Any, **kwargs: Any) -> AsyncIterator[MailFolders]:
        async with imap_session(*args, **kwargs) as session:
            yield session
        read.set()  # the mailbox's read is over: classified, waiting to be written

    gated = dataclasses.replace(options(mail), connect=connect, writes_after=may_write.wait)
    sweep = asyncio.create_task(sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=gated))
    await asyncio.wait_for(read.wait(), 10)
    await asyncio.sleep(0.2)  # time enough for a write that did not wait

    assert not sweep.done()
    assert await Event.filter(kind=EventKind.REPLY).count() == 0
    assert (await Enrollment.get(id=enrollment.id)).state is EnrollmentState.ACTIVE
    assert not await FolderState.filter(mailbox_id=box.id).exists()

    may_write.set()
    result = await asyncio.wait_for(sweep, 10)

    assert result.kinds == {"reply": 1}
    assert await Event.filter(kind=EventKind.REPLY).count() == 1
    assert (await Enrollment.get(id=enrollment.id)).state is EnrollmentState.REPLIED
    assert await FolderState.filter(mailbox_id=box.id).exists()


async def test_a_lead_who_writes_back_in_a_new_message_stops_the_sequence_too(
    mail: MailServer, clock: FrozenClock
) -> None:
    """A lead who answers with a new message (or whose mail client drops In-Reply-To and References) referenced
    none of our Message-IDs: the answer was `other`, and the next step went out. Mail from an address this mailbox
    sent campaign mail to now answers the latest such message. The same lead writing to a mailbox that never wrote
    to them, and a stranger, stay `other`."""
    ws = await workspace()
    box, other_box = await mailbox(mail, ws, ANNA), await mailbox(mail, ws, BOB)
    enrollment = await enrolled(ws, LEAD, box)
    await sent_message(box, to=LEAD, message_id="<u-step1@alpha.test>", enrollment=enrollment)
    step = {"kind": MessageKind.CAMPAIGN, "workspace": ws, "mailbox": box, "lead_id": enrollment.lead_id}
    step2 = await OutboundMessage.create(
        **step, enrollment=enrollment, step_position=1, message_id="<u-step2@alpha.test>", status=MessageStatus.SENT,
        scheduled_at=NOW - dt.timedelta(hours=1), sent_at=NOW - dt.timedelta(hours=1),
    )  # fmt: skip
    step3 = await OutboundMessage.create(
        **step, enrollment=enrollment, step_position=2, message_id="<u-step3@alpha.test>",
        status=MessageStatus.PLANNED, scheduled_at=NOW + dt.timedelta(days=3),
    )  # fmt: skip
    await deliver(mail, message(f"Ivan Petrov <{LEAD.upper()}>", ANNA, "Вопрос по поставкам", "Пришлите прайс.\n"))
    await deliver(mail, message("someone@gamma.test", ANNA, "Партнёрство", "Добрый день.\n"))
    await deliver(mail, message(LEAD, BOB, "Вопрос", "Здравствуйте.\n"))

    result = await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=options(mail))
    elsewhere = await sync_mailbox(SYSTEM, other_box.id, clock=clock, vault=VAULT, options=options(mail))

    assert result.kinds == {"reply": 1, "other": 1} and elsewhere.kinds == {"other": 1}
    assert (await Enrollment.get(id=enrollment.id)).state is EnrollmentState.REPLIED
    assert (await OutboundMessage.get(id=step3.id)).status is MessageStatus.CANCELLED
    event = await Event.get(kind=EventKind.REPLY)
    assert (event.message_id, event.lead_id, event.mailbox_id) == (step2.id, enrollment.lead_id, box.id)
    assert (await counters(StatScope.CAMPAIGN, enrollment.campaign_id, dt.date(2026, 11, 28)))["replies"] == 1


async def _bounce_from_nobody(mail: MailServer) -> None:
    """Anna's cold letter to `nobody@`, through the real Postfix, whose DSN lands in her inbox."""
    with smtplib.SMTP(mail.host, mail.ports.submission, timeout=10) as smtp:
        smtp.starttls(context=mail.ssl_context())
        smtp.login(ANNA, PASSWORD)
        smtp.send_message(message(ANNA, NOBODY, "Quick question", message_id="<cold.1@alpha.test>"))
    await wait_for(lambda: mail.count(ANNA) == 1)


async def left_unknown(box: Mailbox, enrollment: Enrollment, message_id: str) -> OutboundMessage:
    """A campaign send a worker died in: the Sent folder did not tell, so it is `unknown` and its sequence stopped."""
    claimed = NOW - dt.timedelta(hours=3)
    row = await sent_message(box, to="", message_id=message_id, enrollment=enrollment)
    await OutboundMessage.filter(id=row.id).update(
        status=MessageStatus.UNKNOWN, sent_at=None, claimed_at=claimed, campaign_id=enrollment.campaign_id,
        smtp_reply="recovery: not found in the Sent folder",
    )  # fmt: skip
    await Enrollment.filter(id=enrollment.id).update(state=EnrollmentState.STOPPED, stopped_reason="send_unknown")
    return await OutboundMessage.get(id=row.id)


async def test_a_send_left_unknown_is_settled_as_sent_by_the_bounce_or_the_reply_that_names_it(
    mail: MailServer, clock: FrozenClock
) -> None:
    """A send left `unknown` after a worker crash stayed unknown for good, though a DSN naming its Message-ID or the
    lead's reply to it proved it went out: the campaign's sent count missed it (its bounce and reply rates were over
    fewer letters than went out) and the lead's card said "stopped: send unknown" for a lead who answered. The
    evidence settles it as sent now, counted once, then bounced or replied as usual."""
    ws = await workspace()
    box = await mailbox(mail, ws, ANNA)
    gone = await enrolled(ws, NOBODY, box)
    talks = await enrolled(ws, LEAD, box)
    bounced = await left_unknown(box, gone, "<cold.1@alpha.test>")
    answered = await left_unknown(box, talks, "<cold.2@alpha.test>")
    await raise_alert(
        workspace_id=ws.id, kind="send_unknown", severity=Severity.WARNING, subject=f"mailbox:{box.id}",
        key=NOW.date().isoformat(), data={"mailbox": ANNA, "count": 2}, now=NOW,
    )  # fmt: skip  # as the recovery raised it
    await _bounce_from_nobody(mail)
    await deliver(mail, message(LEAD, ANNA, "Re: Quick question", "Tell me more.\n",
                                In_Reply_To="<cold.2@alpha.test>", References="<cold.2@alpha.test>"))  # fmt: skip

    result = await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=options(mail))
    await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=options(mail))  # nothing new: once

    assert result.kinds == {"bounce_hard": 1, "reply": 1}
    first, second = await OutboundMessage.get(id=bounced.id), await OutboundMessage.get(id=answered.id)
    assert (first.status, second.status) == (MessageStatus.BOUNCED, MessageStatus.SENT)
    assert first.sent_at == second.sent_at == bounced.claimed_at  # when the send was attempted
    sent = await Event.filter(kind=EventKind.SENT).order_by("message_id").values_list("message_id", flat=True)
    assert sent == [bounced.id, answered.id]
    assert (await Enrollment.get(id=gone.id)).state is EnrollmentState.BOUNCED
    replied = await Enrollment.get(id=talks.id)
    assert (replied.state, replied.stopped_reason) == (EnrollmentState.REPLIED, "")
    day = bounced.claimed_at.astimezone(ZoneInfo("Europe/Moscow")).date()
    for scope, scope_id in ((StatScope.CAMPAIGN, gone.campaign_id), (StatScope.MAILBOX, box.id)):
        counted = await counters(scope, scope_id, day)
        assert (counted["sent"], counted["bounces_hard"], counted["replies"]) == (2, 1, 1)
    alert = await Alert.get(kind="send_unknown")  # nothing of the mailbox's is unknown any more: said so
    assert (alert.status, alert.data[RESOLUTION_SAYS]) == (AlertStatus.RESOLVED, "alert-resolved-settled")


async def test_a_no_longer_with_the_company_notice_stops_the_lead_for_good_and_shows_the_new_contact(
    mail: MailServer, clock: FrozenClock
) -> None:
    """ "Больше не работает в компании" only delayed the next step as an absence does: each step brought the same
    notice, to an address nobody reads. The lead is stopped for good now (invalid, never enrolled again), /campaign
    and the lead export say why, and the new contact the notice names is shown in /leads, never enrolled."""
    ws = await workspace()
    box = await mailbox(mail, ws, ANNA)
    enrollment = await enrolled(ws, LEAD, box)
    first = await sent_message(box, to=LEAD, message_id="<step1.gone@alpha.test>", enrollment=enrollment)
    await OutboundMessage.filter(id=first.id).update(campaign_id=enrollment.campaign_id)
    follow_up = await OutboundMessage.create(
        kind=MessageKind.CAMPAIGN, workspace=ws, mailbox=box, lead_id=enrollment.lead_id, enrollment=enrollment,
        campaign_id=enrollment.campaign_id, step_position=1, message_id="<step2.gone@alpha.test>",
        status=MessageStatus.PLANNED, scheduled_at=NOW + dt.timedelta(days=3),
    )  # fmt: skip
    notice = message(
        LEAD, ANNA, "Автоответ: Re: логистика",
        "Здравствуйте! Иван Петров больше не работает в компании. По всем вопросам пишите Петру: "
        "petr.sidorov@beta.test\n\n> Добрый день, Иван!\n> пишите нам на sales@alpha.test\n",
        In_Reply_To="<step1.gone@alpha.test>", References="<step1.gone@alpha.test>", Auto_Submitted="auto-replied",
    )  # fmt: skip
    await deliver(mail, notice)

    result = await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=options(mail))

    assert result.kinds == {"auto_reply": 1}
    stopped = await Enrollment.get(id=enrollment.id)
    assert (stopped.state, stopped.stopped_reason, stopped.next_due_at) == (
        EnrollmentState.STOPPED,
        "left_company",
        None,
    )
    assert (await OutboundMessage.get(id=follow_up.id)).status is MessageStatus.CANCELLED
    lead = await Lead.get(id=enrollment.lead_id)
    assert (lead.verdict, lead.verdict_reason) == (LeadVerdict.INVALID, "left_company")
    event = await Event.get(kind=EventKind.AUTO_REPLY)
    assert event.data["replacement"] == "petr.sidorov@beta.test" and event.data["left_company"] is True
    assert not await Lead.filter(email="petr.sidorov@beta.test").exists()  # shown, never enrolled

    runner = Runner(clock, admins={Platform.TELEGRAM: {"1"}})
    for lang, t in (("ru", translator("ru")), ("en", translator("en"))):
        me = runner.identity(Platform.TELEGRAM, "1", "Admin", lang)
        await runner.run_line(me, "c1", f"/lang {lang}")
        await runner.run_line(me, "c1", "/use acme")
        leads = (await runner.run_line(me, "c1", "/leads")).plain_text()
        assert t("leads-reason-left-company") in leads
        assert t("leads-replacement", address="petr.sidorov@beta.test") in leads
        shown = (await runner.run_line(me, "c1", "/campaign Q4")).plain_text()
        assert t("campaign-left-company", count=1) in shown
    manager = Actor(person_id=None, platform=Platform.TELEGRAM, role=Role.MANAGER, workspace_id=ws.id, locale="en")
    export = await campaign_leads(manager, "Q4", clock)
    assert "stopped: no longer with the company" in export.content.decode("utf-8-sig")


async def test_postfix_dsn_becomes_a_hard_bounce_and_a_suppression(mail: MailServer, clock: FrozenClock) -> None:
    ws = await workspace()
    box = await mailbox(mail, ws, ANNA)
    enrollment = await enrolled(ws, NOBODY, box)
    sent = await sent_message(box, to=NOBODY, message_id="<cold.1@alpha.test>", enrollment=enrollment)
    await _bounce_from_nobody(mail)

    result = await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=options(mail))

    assert result.kinds == {"bounce_hard": 1}
    event = await Event.get(kind=EventKind.BOUNCE_HARD)
    assert event.message_id == sent.id and event.data["address"] == NOBODY and event.data["status"].startswith("5.1.")
    suppression = await Suppression.get(value=NOBODY)
    assert suppression.workspace_id is None and suppression.reason is SuppressionReason.BOUNCE
    assert (await OutboundMessage.get(id=sent.id)).status is MessageStatus.BOUNCED
    assert (await Enrollment.get(id=enrollment.id)).state is EnrollmentState.BOUNCED
    assert (await counters(StatScope.MAILBOX, box.id, dt.date(2026, 11, 28)))["bounces_hard"] == 1
    lead = await Lead.get(id=enrollment.lead_id)  # the address is gone: the lead says so, not only the suppression
    assert (lead.verdict, lead.verdict_reason) == (LeadVerdict.INVALID, "hard_bounce")


BLOCKLIST_DSN = """\
From: Mail Delivery Subsystem <MAILER-DAEMON@mx.beta.test>
To: <{ours}>
Subject: Returned mail: see transcript for details
Auto-Submitted: auto-generated (failure)
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="sm-1"

--sm-1

   ----- The following addresses had permanent fatal errors -----
<{lead}>
    (reason: 550 5.7.1 Service unavailable; Client host [203.0.113.5] blocked using zen.spamhaus.org)

--sm-1
Content-Type: message/delivery-status

Reporting-MTA: dns; relay.alpha.test

Final-Recipient: RFC822; {lead}
Action: failed
Status: 5.7.1
Diagnostic-Code: SMTP; 550 5.7.1 Service unavailable; Client host [203.0.113.5] blocked using zen.spamhaus.org

--sm-1
Content-Type: text/rfc822-headers

From: {ours}
To: {lead}
Subject: Quick question
Message-ID: <cold.1@alpha.test>

--sm-1--
"""
DMARC_DSN = """\
From: MAILER-DAEMON (Mail Delivery System)
To: {ours}
Subject: Undelivered Mail Returned to Sender
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="pf-2"

--pf-2
Content-Type: text/plain

This is the mail system at host relay.alpha.test.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. This is a permanent error.

<{lead}>: host mx.beta.test[192.0.2.7] said: 550-5.7.26 Unauthenticated email
    from alpha.test is not accepted due to domain's DMARC policy (in reply to
    end of DATA command)

--pf-2
Content-Type: message/delivery-status

Reporting-MTA: dns; relay.alpha.test

Final-Recipient: rfc822; {lead}
Action: failed
Status: 5.7.26
Diagnostic-Code: smtp; 550-5.7.26 Unauthenticated email from alpha.test is not accepted due to domain's DMARC policy

--pf-2
Content-Type: text/rfc822-headers

From: {ours}
To: {lead}
Subject: Quick question
Message-ID: <cold.2@alpha.test>

--pf-2--
"""
RATE_LIMIT_EXIM = """\
From: Mail Delivery System <Mailer-Daemon@relay.alpha.test>
To: {ours}
Subject: Mail delivery failed: returning message to sender
X-Failed-Recipients: {lead}
Auto-Submitted: auto-replied

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  {lead}
    host mx.beta.test [192.0.2.7]
    SMTP error from remote mail server after RCPT TO:<{lead}>:
    450 4.7.28 Our system has detected an unusual rate of unsolicited mail originating from your IP address

------ This is a copy of the message, including all the headers. ------

From: {ours}
To: {lead}
Subject: Quick question
Message-ID: <cold.3@alpha.test>

Hello.
"""
EXCHANGE_BLOCKLIST_NDR = """\
From: Microsoft Outlook <postmaster@beta.test>
To: <{ours}>
Subject: Undeliverable: Quick question
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="ex-4"

--ex-4
Content-Type: text/plain; charset="us-ascii"

Your message to {lead} couldn't be delivered.

Diagnostic information for administrators:

Remote Server returned '550 5.7.606 Access denied, banned sending IP [203.0.113.5]'

--ex-4
Content-Type: message/delivery-status

Reporting-MTA: dns;beta.test

Final-Recipient: rfc822;{lead}
Action: failed
Status: 5.7.606
Diagnostic-Code: smtp;550 5.7.606 Access denied, banned sending IP [203.0.113.5]

--ex-4
Content-Type: text/rfc822-headers

From: {ours}
To: {lead}
Subject: Quick question
Message-ID: <cold.4@alpha.test>

--ex-4--
"""


async def test_refusals_of_our_sender_become_block_bounces_without_suppression(
    mail: MailServer, clock: FrozenClock
) -> None:
    """A blocklist (Sendmail, Exchange), a DMARC failure (Postfix) and a rate limit (Exim) arrive through the real
    MX: each is a bounce_block on our mailbox with its reason, the leads stay unsuppressed and enrolled."""
    ws = await workspace()
    box = await mailbox(mail, ws, ANNA)
    bounces = [
        (BLOCKLIST_DSN, "user1@beta.test", "blocked", "5.7.1"),
        (DMARC_DSN, "user2@beta.test", "auth_failure", "5.7.26"),
        (RATE_LIMIT_EXIM, "user3@beta.test", "rate_limited", "4.7.28"),
        (EXCHANGE_BLOCKLIST_NDR, "user4@beta.test", "blocked", "5.7.606"),
    ]
    sent = {}
    for number, (template, lead, _, _) in enumerate(bounces, start=1):
        enrollment = await enrolled(ws, lead, box)
        sent[lead] = await sent_message(box, to=lead, message_id=f"<cold.{number}@alpha.test>", enrollment=enrollment)
        with smtplib.SMTP(mail.host, mail.ports.mx, timeout=10) as smtp:
            smtp.sendmail("", [ANNA], template.format(ours=ANNA, lead=lead).encode())
    await wait_for(lambda: mail.count(ANNA) == len(bounces))

    result = await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=options(mail))

    assert result.kinds == {"bounce_block": len(bounces)}
    events = {e.data["address"]: e for e in await Event.filter(kind=EventKind.BOUNCE_BLOCK)}
    for _, lead, reason, status in bounces:
        event = events[lead]
        assert (event.data["reason"], event.data["status"]) == (reason, status), lead
        assert event.mailbox_id == box.id and event.message_id == sent[lead].id
    assert await Suppression.all().count() == 0
    assert {e.state for e in await Enrollment.all()} == {EnrollmentState.ACTIVE}
    # a final refusal marks the message as never delivered; a 4.x.x deferral leaves it as sent
    assert (await OutboundMessage.get(id=sent["user3@beta.test"].id)).status is MessageStatus.SENT
    assert (await OutboundMessage.get(id=sent["user1@beta.test"].id)).status is MessageStatus.BOUNCED
    day = dt.date(2026, 11, 28)
    for scope, scope_id in [(StatScope.MAILBOX, box.id), (StatScope.WORKSPACE, ws.id)]:
        stats = await counters(scope, scope_id, day)
        assert (stats["bounces_block"], stats["bounces_hard"]) == (len(bounces), 0), scope


async def test_an_event_belongs_to_the_engine_clock_not_to_the_servers_arrival_stamp(mail: MailServer) -> None:
    """Dovecot stamps the machine's real time; the engine runs on its own clock (here years away from it, and
    near midnight in the workspace's zone): counters follow the engine's clock, the stamp is kept as data."""
    late_evening = dt.datetime(2031, 3, 9, 20, 59, tzinfo=dt.UTC)  # 23:59 in Moscow
    clock = FrozenClock(late_evening)
    ws = await workspace()
    box = await mailbox(mail, ws, ANNA)
    enrollment = await enrolled(ws, LEAD, box)
    await sent_message(box, to=LEAD, message_id="<s1@alpha.test>", enrollment=enrollment)
    before = dt.datetime.now(dt.UTC)
    await deliver(mail, message(LEAD, ANNA, "Re: hi", "Yes, tell me more.\n", In_Reply_To="<s1@alpha.test>"))

    await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=options(mail))

    event = await Event.get(kind=EventKind.REPLY)
    assert event.occurred_at == late_evening
    assert (await counters(StatScope.MAILBOX, box.id, dt.date(2031, 3, 9)))["replies"] == 1
    assert (await counters(StatScope.MAILBOX, box.id, dt.date(2031, 3, 10)))["replies"] == 0
    arrived = dt.datetime.fromisoformat(event.data["arrived_at"])  # the server's clock: the machine's real time
    assert before - dt.timedelta(minutes=2) <= arrived <= dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2)


async def test_unsubscribe_request_suppresses_in_the_workspace(mail: MailServer, clock: FrozenClock) -> None:
    ws = await workspace()
    box = await mailbox(mail, ws, ANNA)
    enrollment = await enrolled(ws, LEAD, box)
    await sent_message(box, to=LEAD, message_id="<s1@alpha.test>", enrollment=enrollment)
    await deliver(mail, message(LEAD, ANNA, "Re: hi", "Отпишите меня, пожалуйста.\n", In_Reply_To="<s1@alpha.test>"))

    await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=options(mail))

    suppression = await Suppression.get(value=LEAD)
    assert (suppression.workspace_id, suppression.reason) == (ws.id, SuppressionReason.UNSUBSCRIBE)
    assert (await Enrollment.get(id=enrollment.id)).state is EnrollmentState.UNSUBSCRIBED


async def test_a_person_who_unsubscribes_by_the_link_and_then_by_mail_counts_once(
    mail: MailServer, clock: FrozenClock
) -> None:
    """/report_campaign said "Unsubscribes: 4" beside the card's 2 unsubscribed leads: a reply "отпишите" after the
    link (or a second such reply) counted the person again. Every request stays on record; the counters, which
    reports read, count the person once — and a second person's two letters in one read once too."""
    ws = await workspace()
    box = await mailbox(mail, ws, ANNA)
    first = await enrolled(ws, LEAD, box)
    second = await enrolled(ws, "user2@beta.test", box)
    linked = await sent_message(box, to=LEAD, message_id="<s1@alpha.test>", enrollment=first)
    mailed = await sent_message(box, to="user2@beta.test", message_id="<s2@alpha.test>", enrollment=second)
    await OutboundMessage.all().update(campaign_id=first.campaign_id)
    assert await tracking.unsubscribe(linked.id, clock, via="one-click")
    for n in range(2):
        for who, thread in ((LEAD, "<s1@alpha.test>"), ("user2@beta.test", "<s2@alpha.test>")):
            await deliver(mail, message(who, ANNA, "Re: hi", "Отпишите меня, пожалуйста.\n", In_Reply_To=thread,
                                        message_id=f"<r{n}.{who}>"))  # fmt: skip

    await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=options(mail))

    assert await Event.filter(kind=EventKind.UNSUBSCRIBE).count() == 5  # the link and four letters, on record
    day = NOW.astimezone(ZoneInfo("Europe/Moscow")).date()
    for scope, scope_id in ((StatScope.WORKSPACE, ws.id), (StatScope.CAMPAIGN, first.campaign_id),
                            (StatScope.MAILBOX, box.id)):  # fmt: skip
        assert (await counters(scope, scope_id, day))["unsubscribes"] == 2, scope
    assert {e.state for e in await Enrollment.all()} == {EnrollmentState.UNSUBSCRIBED}
    assert not await tracking.unsubscribe(mailed.id, clock, via="one-click")  # the link after the letters: no more
    assert (await counters(StatScope.CAMPAIGN, first.campaign_id, day))["unsubscribes"] == 2


async def test_a_lead_who_writes_twice_in_a_thread_is_one_reply_in_the_counters(
    mail: MailServer, clock: FrozenClock
) -> None:
    """A lead answered, the rep wrote back from the mailbox, the lead answered again (a new Message-ID in our
    thread): /report_campaign said 'Replies: 2' beside /export_campaign's 1 for the step and the card's one replied
    lead, and the reply rate rose with every letter of a conversation. Every letter stays on record; the counters
    count a message answered once, in this read or a later one."""
    ws = await workspace()
    box = await mailbox(mail, ws, ANNA)
    lead = await enrolled(ws, LEAD, box)
    await sent_message(box, to=LEAD, message_id="<t1@alpha.test>", enrollment=lead)
    await OutboundMessage.all().update(campaign_id=lead.campaign_id)
    for n in range(2):
        await deliver(mail, message(LEAD, ANNA, "Re: hi", "Интересно, расскажите.\n", In_Reply_To="<t1@alpha.test>",
                                    message_id=f"<r{n}@beta.test>"))  # fmt: skip
    await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=options(mail))
    again = message(LEAD, ANNA, "Re: Re: hi", "И еще вопрос.\n", In_Reply_To="<rep@alpha.test>",
                    References="<t1@alpha.test> <rep@alpha.test>", message_id="<r2@beta.test>")  # fmt: skip
    await deliver(mail, again)  # after the rep's answer from the mailbox, in a later read
    await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=options(mail))

    assert await Event.filter(kind=EventKind.REPLY).count() == 3  # every letter on record
    day = NOW.astimezone(ZoneInfo("Europe/Moscow")).date()
    for scope, scope_id in ((StatScope.WORKSPACE, ws.id), (StatScope.CAMPAIGN, lead.campaign_id),
                            (StatScope.MAILBOX, box.id)):  # fmt: skip
        assert (await counters(scope, scope_id, day))["replies"] == 1, scope


async def test_warmup_mail_in_spam_is_moved_to_inbox_and_counted_once(mail: MailServer, clock: FrozenClock) -> None:
    ws = await workspace()
    anna = await mailbox(mail, ws, ANNA)
    bob = await mailbox(mail, ws, BOB)
    await sent_message(bob, to=ANNA, message_id="<wu.1@alpha.test>", kind=MessageKind.WARMUP, peer=anna)
    await sent_message(bob, to=ANNA, message_id="<wu.2@alpha.test>", kind=MessageKind.WARMUP, peer=anna)
    spammed = mark(message(BOB, ANNA, "Lunch?", message_id="<wu.1@alpha.test>", X_Test_Spam="yes"))
    await deliver(mail, spammed, folder="Junk")
    await deliver(mail, mark(message(BOB, ANNA, "Numbers", message_id="<wu.2@alpha.test>")))

    result = await sync_mailbox(SYSTEM, anna.id, clock=clock, vault=VAULT, options=options(mail))

    assert result.rescued == 1 and result.kinds == {"warmup": 3}  # spam copy, its rescued copy, the inbox one
    assert (mail.count(ANNA, "Junk"), mail.count(ANNA, "INBOX")) == (0, 2)
    assert await kinds_of_events() == ["warmup_inbox", "warmup_spam"]
    assert {e.mailbox_id for e in await Event.all()} == {bob.id}  # placement counts against the sender
    again = await sync_mailbox(SYSTEM, anna.id, clock=clock, vault=VAULT, options=options(mail))
    assert again.kinds == {} and len(await Event.all()) == 2
    expected = [react(message_rng("mailfleet", m), WarmupSettings(), position=1, root_message_id=m).flag for m in MIDS]
    assert await flags_in_inbox(mail, ANNA) == [{"\\Seen", "\\Flagged"} if f else {"\\Seen"} for f in expected]


MIDS = ("<wu.2@alpha.test>", "<wu.1@alpha.test>")  # INBOX order: wu.2 was filed there first, wu.1 moved in later


async def test_warmup_mail_is_answered_in_its_thread_as_the_reactions_chose(
    mail: MailServer, clock: FrozenClock
) -> None:
    ws = await workspace()
    await Workspace.filter(id=ws.id).update(settings={"warmup": {"reply_probability": 0.6, "flag_probability": 0.5}})
    settings = WarmupSettings().with_values({"reply_probability": 0.6, "flag_probability": 0.5})
    anna = await mailbox(mail, ws, ANNA, warmup_started_on=NOW.date() - dt.timedelta(days=30))
    bob = await mailbox(mail, ws, BOB, display_name="Bob Stone")
    fresh = []  # today's warmup volume of anna, planned this morning and not yet due: two answers take their place
    for n in range(2):
        row = await OutboundMessage.create(
            kind=MessageKind.WARMUP, workspace=ws, mailbox=anna, peer=bob, message_id=f"<plan.{n}@alpha.test>",
            subject="Hi", body="Hi", status=MessageStatus.PLANNED, scheduled_at=NOW + dt.timedelta(hours=n + 1),
        )  # fmt: skip
        fresh.append(row)
    ids = [f"<wu.{n}@alpha.test>" for n in range(12)]
    for n, mid in enumerate(ids):
        row = await sent_message(bob, to=ANNA, message_id=mid, kind=MessageKind.WARMUP, peer=anna)
        await OutboundMessage.filter(id=row.id).update(subject=f"Lunch {n}?", body=f"Fancy lunch on Friday {n}?\n")
        headers = {"In_Reply_To": "<root@alpha.test>", "References": "<root@alpha.test>"} if n % 2 else {}
        await deliver(mail, mark(message(BOB, ANNA, f"Lunch {n}?", message_id=mid, **headers)))
    opts = SyncOptions(timeout_s=10, ssl_context=mail.ssl_context(), warmup_seed="seed-7")

    await sync_mailbox(SYSTEM, anna.id, clock=clock, vault=VAULT, options=opts)

    def reaction(n: int) -> Reaction:
        root = "<root@alpha.test>" if n % 2 else ids[n]
        return react(message_rng("seed-7", ids[n]), settings, position=1 + n % 2, root_message_id=root)

    answered = [n for n in range(12) if reaction(n).reply]
    assert 0 < len(answered) < 12
    replies = await OutboundMessage.filter(mailbox=anna).exclude(in_reply_to="").order_by("in_reply_to")
    assert sorted(r.in_reply_to for r in replies) == sorted(ids[n] for n in answered)
    taken = await OutboundMessage.filter(id__in=[r.id for r in fresh], status=MessageStatus.CANCELLED)
    assert {r.smtp_reply for r in taken} == {"replaced by a warmup answer"} and len(taken) == 2
    today = [r for r in replies if r.scheduled_at == NOW + reaction(ids.index(r.in_reply_to)).delay]
    assert len(today) == 2  # the others move to tomorrow (below): anna's volume today stays what was planned
    for reply in replies:
        n = ids.index(reply.in_reply_to)
        assert (reply.kind, reply.status, reply.peer_id) == (MessageKind.WARMUP, MessageStatus.PLANNED, bob.id)
        assert reply.subject == f"Re: Lunch {n}?" and f"> Fancy lunch on Friday {n}?" in reply.body
        assert "Bob Stone" in reply.body  # the attribution line names who wrote the quoted message
        assert reply.references == (f"<root@alpha.test> {ids[n]}" if n % 2 else ids[n])
        later = dt.timedelta(0) if reply in today else dt.timedelta(days=1)
        assert reply.scheduled_at == NOW + reaction(n).delay + later and reply.message_id.endswith("@alpha.test>")
    flags = await flags_in_inbox(mail, ANNA)
    assert flags == [{"\\Seen", "\\Flagged"} if reaction(n).flag else {"\\Seen"} for n in range(12)]

    await sync_mailbox(SYSTEM, anna.id, clock=clock, vault=VAULT, options=opts)
    assert await OutboundMessage.filter(mailbox=anna).exclude(in_reply_to="").count() == len(answered)  # once


async def test_warmup_mail_rescued_from_spam_is_answered_once(mail: MailServer, clock: FrozenClock) -> None:
    """The spam folder is read first and its warmup mail moved to INBOX, where the same run reads it again (not
    counted a second time): the answer the reaction chose is planned once, not once per copy."""
    ws = await workspace()
    await Workspace.filter(id=ws.id).update(settings={"warmup": {"reply_probability": 0.6}})
    settings = WarmupSettings().with_values({"reply_probability": 0.6})
    anna = await mailbox(mail, ws, ANNA, warmup_started_on=NOW.date() - dt.timedelta(days=30))
    bob = await mailbox(mail, ws, BOB)
    ids = [f"<spam.{n}@alpha.test>" for n in range(6)]
    for mid in ids:
        await sent_message(bob, to=ANNA, message_id=mid, kind=MessageKind.WARMUP, peer=anna)
        await deliver(mail, mark(message(BOB, ANNA, "Lunch?", message_id=mid, X_Test_Spam="yes")), folder="Junk")
    opts = SyncOptions(timeout_s=10, ssl_context=mail.ssl_context(), warmup_seed="seed-7")

    result = await sync_mailbox(SYSTEM, anna.id, clock=clock, vault=VAULT, options=opts)

    assert result.rescued == 6
    answered = [m for m in ids if react(message_rng("seed-7", m), settings, position=1, root_message_id=m).reply]
    assert 0 < len(answered) < 6
    replies = await OutboundMessage.filter(mailbox=anna).exclude(in_reply_to="").values_list("in_reply_to", flat=True)
    assert sorted(replies) == sorted(answered)


async def test_warmup_mail_rescued_into_an_inbox_read_in_a_later_run_is_counted_and_answered_once(
    mail: MailServer, clock: FrozenClock
) -> None:
    """The rescued copy lands in INBOX with the highest UID. When INBOX has more new mail than one run reads
    (`batch_limit`), or its read fails after the move, the copy is read in a later run, which knows nothing of the
    rescue: it counted it a second time, as inbox placement (one message, two results: a spam and an inbox one),
    and answered it a second time."""
    ws = await workspace()
    await Workspace.filter(id=ws.id).update(settings={"warmup": {"reply_probability": 0.6}})
    settings = WarmupSettings().with_values({"reply_probability": 0.6})
    anna = await mailbox(mail, ws, ANNA, warmup_started_on=NOW.date() - dt.timedelta(days=30))
    bob = await mailbox(mail, ws, BOB)
    candidates = [f"<late.{n}@alpha.test>" for n in range(100)]
    mid = next(m for m in candidates if react(message_rng("seed-7", m), settings, position=1, root_message_id=m).reply)
    await sent_message(bob, to=ANNA, message_id=mid, kind=MessageKind.WARMUP, peer=anna)
    for n in range(2):
        await deliver(mail, message(LEAD, ANNA, f"Newsletter {n}"))
    await deliver(mail, mark(message(BOB, ANNA, "Lunch?", message_id=mid, X_Test_Spam="yes")), folder="Junk")
    opts = SyncOptions(timeout_s=10, ssl_context=mail.ssl_context(), warmup_seed="seed-7", batch_limit=2)

    first = await sync_mailbox(SYSTEM, anna.id, clock=clock, vault=VAULT, options=opts)
    assert first.rescued == 1 and (mail.count(ANNA, "Junk"), mail.count(ANNA, "INBOX")) == (0, 3)
    second = await sync_mailbox(SYSTEM, anna.id, clock=clock, vault=VAULT, options=opts)

    assert second.kinds == {"warmup": 1}  # the rescued copy, read now
    assert await kinds_of_events() == ["warmup_spam"]
    placed = await counters(StatScope.MAILBOX, bob.id, NOW.date())
    assert (placed["warmup_spam"], placed["warmup_inbox"]) == (1, 0)
    answers = await OutboundMessage.filter(mailbox=anna).exclude(in_reply_to="").values_list("in_reply_to", flat=True)
    assert answers == [mid]


class _LostAtInbox:
    """A real IMAP session whose connection drops as INBOX is selected (after the spam folder was read)."""

    def __init__(self, session: Any) -> None:
        self._session = session

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)

    async def select(self, folder: str) -> Any:
        if folder == "INBOX":
            self._session._protocol.transport.close()
        return await self._session.select(folder)


@contextlib.asynccontextmanager
async def lost_at_inbox(endpoint: Endpoint, credentials: Credentials, **kwargs: Any) -> AsyncIterator[MailFolders]:
    async with imap_session(endpoint, credentials, **kwargs) as session:
        yield _LostAtInbox(session)  # type: ignore[misc]


async def test_warmup_mail_rescued_from_spam_before_the_inbox_read_failed_counts_as_spam(
    mail: MailServer, clock: FrozenClock
) -> None:
    """The spam folder is read and its warmup mail moved to INBOX, then the connection drops before INBOX is read:
    the run failed as a whole and recorded nothing, so the next run found the rescued copy in INBOX, knew nothing of
    the rescue and counted it as inbox placement. The spam folder's read is kept now; the run still reports the
    failure."""
    ws = await workspace()
    anna = await mailbox(mail, ws, ANNA, warmup_started_on=NOW.date() - dt.timedelta(days=30))
    bob = await mailbox(mail, ws, BOB)
    await sent_message(bob, to=ANNA, message_id="<lost.1@alpha.test>", kind=MessageKind.WARMUP, peer=anna)
    await deliver(
        mail, mark(message(BOB, ANNA, "Lunch?", message_id="<lost.1@alpha.test>", X_Test_Spam="yes")), folder="Junk"
    )

    broken = dataclasses.replace(options(mail), connect=lost_at_inbox)
    first = await sync_mailbox(SYSTEM, anna.id, clock=clock, vault=VAULT, options=broken)
    assert first.status is SyncStatus.FAILED
    assert (mail.count(ANNA, "Junk"), mail.count(ANNA, "INBOX")) == (0, 1)
    assert (await Mailbox.get(id=anna.id)).last_error.startswith("error-imap-")
    second = await sync_mailbox(SYSTEM, anna.id, clock=clock, vault=VAULT, options=options(mail))

    assert second.status is SyncStatus.OK
    assert await kinds_of_events() == ["warmup_spam"]
    placed = await counters(StatScope.MAILBOX, bob.id, NOW.date())
    assert (placed["warmup_spam"], placed["warmup_inbox"]) == (1, 0)


async def test_answers_to_warmup_mail_without_a_marker_are_no_replies_and_its_bounce_suppresses_no_mailbox(
    mail: MailServer, clock: FrozenClock
) -> None:
    """Warmup mail answered by a person reading the peer mailbox, or by its out-of-office responder, comes back
    without our marker: it was a reply (or an auto-reply) in the workspace's, mailbox's and domain's counters, so
    /report showed replies that no lead wrote, over the campaign mail alone. A warmup message to a peer mailbox gone
    at its provider bounced into a suppression of our own mailbox's address, for every workspace. The bounce still
    counts against the sender (as a refusal at sending time of a warmup message does)."""
    ws = await workspace()
    anna, bob = await mailbox(mail, ws, ANNA), await mailbox(mail, ws, BOB)
    gone = await mailbox(mail, ws, NOBODY)  # a peer mailbox deleted at the provider
    for mid, peer in [("<wu.h@alpha.test>", bob), ("<wu.a@alpha.test>", bob), ("<cold.1@alpha.test>", gone)]:
        await sent_message(anna, to=peer.address, message_id=mid, kind=MessageKind.WARMUP, peer=peer)
    await _bounce_from_nobody(mail)  # <cold.1@alpha.test>, to nobody@
    await deliver(mail, message(BOB, ANNA, "Re: Lunch?", "Sure, see you!\n", In_Reply_To="<wu.h@alpha.test>"))
    absent = message(BOB, ANNA, "Автоответ: Re: Numbers", "Я в отпуске до 15 января.\n", Auto_Submitted="auto-replied")
    absent["In-Reply-To"] = "<wu.a@alpha.test>"
    await deliver(mail, absent)

    result = await sync_mailbox(SYSTEM, anna.id, clock=clock, vault=VAULT, options=options(mail))

    assert result.kinds == {"reply": 1, "auto_reply": 1, "bounce_hard": 1}
    for scope, scope_id in [(StatScope.WORKSPACE, ws.id), (StatScope.MAILBOX, anna.id)]:
        counted = await counters(scope, scope_id, NOW.date())
        assert (counted["replies"], counted["auto_replies"], counted["bounces_hard"]) == (0, 0, 1), scope
    assert await kinds_of_events() == ["bounce_hard"]
    assert await Suppression.all().count() == 0


async def test_a_forged_or_copied_marker_is_ordinary_mail(mail: MailServer, clock: FrozenClock) -> None:
    ws = await workspace()
    anna = await mailbox(mail, ws, ANNA)
    outsider = WarmupMarker.from_vault(Vault([generate_key()]))
    forged = message(LEAD, ANNA, "Lunch?", message_id="<x.1@beta.test>", X_Test_Spam="yes")
    forged.__setitem__(*outsider.stamp("<x.1@beta.test>", warmup=True))
    await deliver(mail, forged, folder="Junk")
    copied = message(LEAD, ANNA, "Lunch?", message_id="<x.2@beta.test>")
    copied.__setitem__(*MARKER.stamp("<x.3@beta.test>", warmup=True))  # a genuine value from another message
    await deliver(mail, copied)
    await deliver(mail, mark(message(LEAD, ANNA, "Hi", message_id="<x.4@beta.test>"), warmup=False))

    result = await sync_mailbox(SYSTEM, anna.id, clock=clock, vault=VAULT, options=options(mail))

    assert result.rescued == 0 and result.kinds == {"other": 3}
    assert (mail.count(ANNA, "Junk"), mail.count(ANNA, "INBOX")) == (1, 2)
    assert await Event.all().count() == 0


async def flags_in_inbox(mail: MailServer, address: str) -> list[set[str]]:
    client = aioimaplib.IMAP4(mail.host, mail.ports.imap, timeout=10)
    await client.wait_hello_from_server()
    await client.login(address, PASSWORD)
    await client.select("INBOX")
    response = await client.fetch("1:*", "(FLAGS)")
    await client.logout()
    found = [line for line in response.lines if isinstance(line, bytes) and b"FLAGS" in line]
    return [set(line.split(b"FLAGS (")[1].split(b")")[0].decode().split()) - {"\\Recent"} for line in found]


async def test_a_leads_reply_filed_as_spam_is_moved_to_inbox_unread_and_counted_once(
    mail: MailServer, clock: FrozenClock
) -> None:
    """A lead's answer the provider filed as spam stopped the sequence, but stayed in Spam: whoever reads the
    mailbox (a rep, a unibox) looks for replies in INBOX and never saw it. It is moved there, unread, as warmup
    mail is (the provider learns the sender is wanted), and counted once although INBOX then holds it too."""
    ws = await workspace()
    box = await mailbox(mail, ws, ANNA)
    enrollment = await enrolled(ws, LEAD, box)
    await sent_message(box, to=LEAD, message_id="<spam.reply.1@alpha.test>", enrollment=enrollment)
    answer = message(LEAD, ANNA, "Re: logistics", "Interesting, call me.\n", X_Test_Spam="yes")
    answer["In-Reply-To"] = "<spam.reply.1@alpha.test>"
    await deliver(mail, answer, folder="Junk")
    await deliver(mail, message("promo@beta.test", ANNA, "WIN A PRIZE", X_Test_Spam="yes"), folder="Junk")

    first = await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=options(mail))
    again = await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=options(mail))

    assert first.kinds == {"reply": 2, "other": 1} and again.kinds == {}  # the reply read in Junk and in INBOX
    assert (mail.count(ANNA, "Junk"), mail.count(ANNA, "INBOX")) == (1, 1)  # the prize stays in spam
    assert await flags_in_inbox(mail, ANNA) == [set()]  # unread: the person sees a new message
    assert (await Enrollment.get(id=enrollment.id)).state is EnrollmentState.REPLIED
    assert await kinds_of_events() == ["reply"]
    assert (await counters(StatScope.MAILBOX, box.id, NOW.date()))["replies"] == 1


async def test_uidvalidity_change_rescans_without_counting_twice(mail: MailServer, clock: FrozenClock) -> None:
    ws = await workspace()
    box = await mailbox(mail, ws, ANNA)
    await deliver(mail, message(LEAD, ANNA, "Out of Office", Auto_Submitted="auto-replied"))
    await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=options(mail))
    await FolderState.filter(mailbox=box, folder="INBOX").update(uidvalidity=1, last_uid=999)  # server "changed"
    await deliver(mail, message(LEAD, ANNA, "Autoreply: again", Auto_Submitted="auto-replied"))

    result = await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=options(mail))

    assert result.status is SyncStatus.OK and result.kinds == {"auto_reply": 2}  # both re-read ...
    assert await kinds_of_events() == ["auto_reply", "auto_reply"]  # ... the old one not counted again
    state = await FolderState.get(mailbox=box, folder="INBOX")
    assert state.uidvalidity != 1 and state.last_uid < 999


async def test_a_recreated_spam_folder_resets_its_position(mail: MailServer, clock: FrozenClock) -> None:
    ws = await workspace()
    box = await mailbox(mail, ws, ANNA)
    await deliver(mail, message(LEAD, ANNA, "spam one", X_Test_Spam="yes"), folder="Junk")
    await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=options(mail))
    old = await FolderState.get(mailbox=box, folder="Junk")
    client = aioimaplib.IMAP4(mail.host, mail.ports.imap, timeout=10)
    await client.wait_hello_from_server()
    await client.login(ANNA, PASSWORD)
    assert (await client.delete("Junk")).result == "OK"
    assert (await client.create("Junk")).result == "OK"
    await client.logout()
    await deliver(
        mail, message(LEAD, ANNA, "Out of Office", X_Test_Spam="yes", Auto_Submitted="auto-replied"), folder="Junk"
    )

    result = await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=options(mail))

    new = await FolderState.get(mailbox=box, folder="Junk")
    assert new.uidvalidity != old.uidvalidity and new.last_uid == 1
    assert result.kinds == {"auto_reply": 1}


async def test_bad_password_counts_failures_and_disables_at_the_limit(mail: MailServer, clock: FrozenClock) -> None:
    ws = await workspace()
    box = await mailbox(mail, ws, ANNA, password="wrong")
    for attempt in (1, 2, 3):
        result = await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=options(mail))
        assert (result.status, result.key) == (SyncStatus.FAILED, "error-imap-auth")
        assert result.disabled is (attempt == 3)
    stored = await Mailbox.get(id=box.id)
    assert stored.status is MailboxStatus.DISABLED and stored.auth_failures == 3
    assert stored.last_error.startswith("error-imap-auth") and "wrong" not in stored.last_error
    assert await kinds_of_events() == ["auth_error"] * 3
    assert await AuditLog.filter(action="mailbox.transition").count() == 1
    # the managers hear of it as of an SMTP login that failed: one critical alert naming the mailbox, no secret
    (alert,) = await Alert.filter(kind="mailbox_auth_disabled", subject=f"mailbox:{box.id}")
    assert (alert.severity, alert.workspace_id, alert.data["failures"]) == (Severity.CRITICAL, ws.id, 3)
    for locale in ("ru", "en"):
        text = translator(locale)(alert_key(alert.kind), **alert.data)
        assert ANNA in text and "wrong" not in text and "{" not in text
    [notification] = [n for n in await claim_due(clock) if n.kind == "mailbox_auth_disabled"]
    for locale in ("ru", "en"):  # as the chats read it: the reason in words, not its code
        text = render(notification, locale).plain_text()
        assert translator(locale)("mail-problem-imap-auth") in text and "error-imap-auth" not in text, text
    skipped = await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=options(mail))
    assert (skipped.status, skipped.key) == (SyncStatus.SKIPPED, "inbox-skipped")


async def test_a_password_this_process_cannot_decrypt_is_not_a_refused_login(
    mail: MailServer, clock: FrozenClock
) -> None:
    """A process still running the key list from before `rotate-keys` (or one missing a key) cannot open a
    secret: no login is tried, and it neither counts toward disabling the mailbox nor tells the managers to check
    a password that is right. The process with the current keys reads the mailbox."""
    ws = await workspace()
    rotated = Vault([generate_key()])  # the key the secret is encrypted under now; this process lacks it
    box = await mailbox(mail, ws, ANNA, secret_enc=rotated.encrypt(PASSWORD))
    for _ in range(4):
        result = await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=options(mail))
        assert (result.status, result.key, result.disabled) == (SyncStatus.FAILED, "error-imap-secret", False)
    stored = await Mailbox.get(id=box.id)
    assert (stored.status, stored.auth_failures) == (MailboxStatus.WARMING, 0)
    assert stored.last_error.startswith("error-imap-secret")
    assert await kinds_of_events() == []
    assert not await Alert.filter(kind="mailbox_auth_disabled").exists()
    read = await sync_mailbox(SYSTEM, box.id, clock=clock, vault=rotated, options=options(mail))
    assert read.status is SyncStatus.OK


async def test_the_workspaces_auth_failure_threshold_decides_when_the_sync_disables(
    mail: MailServer, clock: FrozenClock
) -> None:
    """The threshold a manager sets (`auth_failures`, the same one the monitor reads) holds for the inbox sync:
    with 5, the third failure does not disable; the fifth does. The agency's default applies where it is unset."""
    ws = await workspace()
    ws.settings = {"thresholds": {"auth_failures": 5}}
    await ws.save()
    box = await mailbox(mail, ws, ANNA, password="wrong")
    results = [await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=options(mail)) for _ in range(5)]
    assert [r.disabled for r in results] == [False, False, False, False, True]
    assert (await Mailbox.get(id=box.id)).status is MailboxStatus.DISABLED

    await AgencySetting.create(key="thresholds", value={"auth_failures": 2})
    other = await workspace("other")
    bob = await mailbox(mail, other, "user2@other.test", password="wrong")
    results = [await sync_mailbox(SYSTEM, bob.id, clock=clock, vault=VAULT, options=options(mail)) for _ in range(2)]
    assert [r.disabled for r in results] == [False, True]


async def test_broken_mailboxes_fail_alone_and_fast(mail: MailServer, clock: FrozenClock) -> None:
    ws = await workspace()
    good = await mailbox(mail, ws, ANNA)
    refused = await mailbox(mail, ws, "user3@alpha.test", imap_port=1)
    tls_mismatch = await mailbox(mail, ws, "user4@alpha.test", imap_port=mail.ports.imaps)  # plain to a TLS port
    wrong = await mailbox(mail, ws, BOB, password="nope")
    await Mailbox.filter(id=wrong.id).update(last_error="smtp-auth-failed: kept")  # SMTP's error is not ours
    await deliver(mail, message(LEAD, ANNA, "hello"))
    started = time.monotonic()

    results = await sweep(
        SYSTEM, [good.id, refused.id, tls_mismatch.id, wrong.id, 999_999], clock=clock, vault=VAULT,
        options=options(mail, timeout_s=3.0), concurrency=4,
    )  # fmt: skip

    assert time.monotonic() - started < 3.0
    assert [(r.status, r.key) for r in results] == [
        (SyncStatus.OK, "inbox-synced"),
        (SyncStatus.FAILED, "error-imap-connect"),
        (SyncStatus.FAILED, "error-imap-no-greeting"),
        (SyncStatus.FAILED, "error-imap-auth"),
        (SyncStatus.NOT_FOUND, "error-inbox-mailbox-not-found"),
    ]
    assert results[0].kinds == {"other": 1}
    assert (await Mailbox.get(id=refused.id)).last_error.startswith("error-imap-connect")
    assert (await Mailbox.get(id=refused.id)).auth_failures == 0


def gated(count: int, meanwhile: Callable[[], Awaitable[None]]) -> ImapConnect:
    """Real IMAP sessions, each held after its read until all `count` mailboxes are read; then `meanwhile` runs
    once (another worker's doing) and the mail of all of them is written together."""
    arrived = 0
    everyone = asyncio.Event()

    @contextlib.asynccontextmanager
    async def connect(endpoint: Endpoint, credentials: Credentials, **kwargs: Any) -> AsyncIterator[MailFolders]:
        nonlocal arrived
        async with imap_session(endpoint, credentials, **kwargs) as session:
            yield session
        arrived += 1
        if arrived == count:
            await meanwhile()
            everyone.set()
        await everyone.wait()

    return connect


async def transactions_of_events() -> dict[int, str]:
    """The inserting transaction of each mailbox's events (PostgreSQL's `xmin`)."""
    rows = await connections.get("default").execute_query_dict("SELECT mailbox_id, xmin::text AS tx FROM event")
    return {r["mailbox_id"]: r["tx"] for r in rows}


async def test_mailboxes_read_together_are_written_together_without_one_another_worker_synced(
    mail: MailServer, clock: FrozenClock
) -> None:
    ws = await workspace()
    boxes = [await mailbox(mail, ws, address) for address in (ANNA, BOB, "user3@alpha.test")]
    ids = [b.id for b in boxes]
    await sweep(SYSTEM, ids, clock=clock, vault=VAULT, options=options(mail))  # positions exist
    for box in boxes:
        await deliver(mail, message(LEAD, box.address, "Out of Office", Auto_Submitted="auto-replied"))
    bob = boxes[1]
    read_to = (await FolderState.get(mailbox=bob, folder="INBOX")).last_uid + 1

    async def bob_synced_elsewhere() -> None:
        await FolderState.filter(mailbox=bob, folder="INBOX").update(last_uid=read_to)

    opts = dataclasses.replace(options(mail), commit_concurrency=1, connect=gated(3, bob_synced_elsewhere))
    results = await sweep(SYSTEM, ids, clock=clock, vault=VAULT, options=opts)

    assert [(r.status, r.key) for r in results] == [
        (SyncStatus.OK, "inbox-synced"),
        (SyncStatus.SKIPPED, "inbox-busy"),
        (SyncStatus.OK, "inbox-synced"),
    ]
    written = await transactions_of_events()
    assert sorted(written) == [boxes[0].id, boxes[2].id] and len(set(written.values())) == 1  # one transaction
    assert await kinds_of_events() == ["auto_reply", "auto_reply"]
    counted = await counters(StatScope.WORKSPACE, ws.id, NOW.date())
    assert counted["auto_replies"] == 2
    assert (await FolderState.get(mailbox=bob, folder="INBOX")).last_uid == read_to


async def test_a_position_that_appears_mid_write_rolls_back_and_the_others_are_written_alone(
    mail: MailServer, clock: FrozenClock, database_url: str
) -> None:
    ws = await workspace()
    boxes = [await mailbox(mail, ws, address) for address in (ANNA, BOB, "user3@alpha.test")]
    for box in boxes:
        await deliver(mail, message(LEAD, box.address, "Out of Office", Auto_Submitted="auto-replied"))
    bob = boxes[1]
    other = await asyncpg.connect(database_url)
    other_tx = other.transaction()
    committed: list[asyncio.Task[None]] = []

    async def commit_once_the_sweep_waits_for_it() -> None:
        for _ in range(1000):
            waiting = await other.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if waiting:
                break
            await asyncio.sleep(0.01)
        await other_tx.commit()

    async def bob_first_synced_elsewhere() -> None:  # a first sync of bob's INBOX by another worker, not committed
        await other_tx.start()
        await other.execute(
            "INSERT INTO folder_state (mailbox_id, folder, uidvalidity, last_uid, synced_at) VALUES ($1, 'INBOX', 7, 1,"
            " now())",
            bob.id,
        )
        committed.append(asyncio.create_task(commit_once_the_sweep_waits_for_it()))

    opts = dataclasses.replace(options(mail), commit_concurrency=1, connect=gated(3, bob_first_synced_elsewhere))
    try:
        results = await sweep(SYSTEM, [b.id for b in boxes], clock=clock, vault=VAULT, options=opts)
        await committed[0]
    finally:
        await other.close()

    assert [(r.status, r.key) for r in results] == [
        (SyncStatus.OK, "inbox-synced"),
        (SyncStatus.SKIPPED, "inbox-busy"),
        (SyncStatus.OK, "inbox-synced"),
    ]
    written = await transactions_of_events()
    assert sorted(written) == [boxes[0].id, boxes[2].id] and len(set(written.values())) == 2  # one by one
    bob_inbox = await FolderState.get(mailbox=bob, folder="INBOX")
    assert (bob_inbox.uidvalidity, bob_inbox.last_uid) == (7, 1)
    assert await FolderState.filter(mailbox_id__in=[boxes[0].id, boxes[2].id], folder="INBOX").count() == 2


async def test_lookups_of_mailboxes_read_at_once_share_a_query_that_a_timed_out_read_does_not_cancel(
    mail: MailServer,
) -> None:
    box = await mailbox(mail, await workspace(), ANNA)
    for mid in ("<a@alpha.test>", "<b@alpha.test>"):
        await sent_message(box, to=LEAD, message_id=mid)
    lookup = _Lookup()
    timed_out = asyncio.create_task(lookup.get({"<a@alpha.test>"}))
    other = asyncio.create_task(lookup.get({"<b@alpha.test>", "<unknown@x.test>"}))
    await asyncio.sleep(0)  # both have asked
    timed_out.cancel()

    found = await other

    assert list(found) == ["<b@alpha.test>"] and found["<b@alpha.test>"].mailbox_id == box.id
    assert timed_out.cancelled()


async def test_a_manager_syncs_only_own_mailboxes(mail: MailServer, clock: FrozenClock) -> None:
    ws = await workspace()
    other = await workspace("globex")
    box = await mailbox(mail, ws, ANNA)
    stranger = Actor(person_id=1, platform=Platform.TELEGRAM, role=Role.MANAGER, workspace_id=other.id)
    result = await sync_mailbox(stranger, box.id, clock=clock, vault=VAULT, options=options(mail))
    assert result.status is SyncStatus.NOT_FOUND
    owner = Actor(person_id=2, platform=Platform.TELEGRAM, role=Role.MANAGER, workspace_id=ws.id)
    assert (await sync_mailbox(owner, box.id, clock=clock, vault=VAULT, options=options(mail))).status is SyncStatus.OK


async def test_counters_add_up_in_one_statement_and_suppressions_are_idempotent() -> None:
    ws = await workspace()
    evening_utc = dt.datetime(2026, 11, 28, 22, 30, tzinfo=dt.UTC)  # already the 29th in Moscow
    records = [EventRecord(ws.id, EventKind.REPLY, evening_utc, campaign_id=None) for _ in range(3)]
    await record_events(records)
    await record_events(records[:1])
    stat = await DailyStat.get(scope=StatScope.WORKSPACE, scope_id=ws.id)
    assert (stat.day, stat.replies) == (dt.date(2026, 11, 29), 4)
    batch = [SuppressionRecord(ws.id, "Lead@Example.TEST", SuppressionReason.UNSUBSCRIBE)] * 2
    batch.append(SuppressionRecord(None, "x@пример.рф", SuppressionReason.BOUNCE))
    assert await add_suppressions(batch, now=NOW) == 2
    assert await add_suppressions(batch, now=NOW) == 0
    assert sorted(await Suppression.all().values_list("value", flat=True)) == [
        "lead@example.test",
        "x@xn--e1afmkfd.xn--p1ai",
    ]


async def test_a_sync_under_the_mail_policy_never_connects_to_a_port_it_does_not_allow(
    mail: MailServer, clock: FrozenClock
) -> None:
    ws = await workspace()
    box = await mailbox(mail, ws, ANNA)
    await deliver(mail, message(LEAD, ANNA, "hello there"))
    strict = dataclasses.replace(options(mail), policy=MailPolicy(allowed_ports=frozenset({993})))

    refused = await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=strict)

    assert (refused.status, refused.key) == (SyncStatus.FAILED, "error-imap-refused")
    assert await Event.all().count() == 0 and await FolderState.filter(mailbox=box).count() == 0
    allowed = MailPolicy(allowed_ports=frozenset({mail.ports.imap}), allow_private_hosts=True)
    synced = await sync_mailbox(
        SYSTEM, box.id, clock=clock, vault=VAULT, options=dataclasses.replace(options(mail), policy=allowed)
    )
    assert synced.status is SyncStatus.OK and synced.kinds == {"other": 1}


async def test_a_seeded_sync_gives_warmup_answers_message_ids_made_from_what_they_answer(
    mail: MailServer, clock: FrozenClock
) -> None:
    """`message_id_seed` (the demo's reproducible run): an answer's Message-ID comes from the seed and the message
    it answers, not from random bits, so it is the same whichever mailbox's sync commits first."""
    ws = await workspace()
    await Workspace.filter(id=ws.id).update(settings={"warmup": {"reply_probability": 0.6}})
    anna = await mailbox(mail, ws, ANNA, warmup_started_on=NOW.date() - dt.timedelta(days=30))
    bob = await mailbox(mail, ws, BOB)
    ids = [f"<wu.{n}@alpha.test>" for n in range(8)]
    for n, mid in enumerate(ids):
        await sent_message(bob, to=ANNA, message_id=mid, kind=MessageKind.WARMUP, peer=anna)
        await deliver(mail, mark(message(BOB, ANNA, f"Lunch {n}?", message_id=mid)))
    opts = SyncOptions(timeout_s=10, ssl_context=mail.ssl_context(), message_id_seed="demo-7")

    await sync_mailbox(SYSTEM, anna.id, clock=clock, vault=VAULT, options=opts)

    replies = await OutboundMessage.filter(mailbox=anna).exclude(in_reply_to="")
    assert replies and {r.in_reply_to for r in replies} <= set(ids)
    for reply in replies:
        made = seeded_message_hex("demo-7", "answer", clock.now().isoformat(), anna.id, reply.in_reply_to)
        assert reply.message_id == f"<{made}@alpha.test>"


async def test_a_reply_to_a_mailbox_retired_by_a_swap_still_stops_the_moved_sequence(
    mail: MailServer, clock: FrozenClock
) -> None:
    """A domain swap retires the burned domain's mailboxes and moves their leads' sequences to the reserve's. A
    lead answering step 1 the day after writes to the retired mailbox — which the sync no longer read, so the reply
    went unseen and the follow-up went out from the new mailbox to someone who had answered. A retired mailbox is
    read for `RETIRED_READ_FOR` after its retirement (nothing more: no failure counted, no warmup answer)."""
    ws = await workspace()
    retired_at = NOW - dt.timedelta(days=2)
    old = await mailbox(mail, ws, ANNA, status=MailboxStatus.RETIRED, status_changed_at=retired_at)
    new = await mailbox(mail, ws, BOB, status=MailboxStatus.ACTIVE)
    enrollment = await enrolled(ws, LEAD, new)  # moved by the swap: a new thread from the new mailbox
    await sent_message(old, to=LEAD, message_id="<step1.c0ffee@alpha.test>", enrollment=enrollment)
    follow_up = await OutboundMessage.create(
        kind=MessageKind.CAMPAIGN, workspace=ws, mailbox=new, lead_id=enrollment.lead_id, enrollment=enrollment,
        step_position=1, message_id="<step2.c0ffee@alpha.test>", status=MessageStatus.PLANNED,
        scheduled_at=NOW + dt.timedelta(days=1),
    )  # fmt: skip
    await deliver(
        mail, message(LEAD, ANNA, "Re: logistics", "Yes, let's talk.\n", In_Reply_To="<step1.c0ffee@alpha.test>")
    )

    results = {r.mailbox_id: r for r in await sweep_all(clock, VAULT, options(mail))}
    assert results[old.id].status is SyncStatus.OK and results[old.id].kinds == {"reply": 1}
    assert (await Enrollment.get(id=enrollment.id)).state is EnrollmentState.REPLIED
    assert (await OutboundMessage.get(id=follow_up.id)).status is MessageStatus.CANCELLED

    # a month after its retirement it is left alone
    await Mailbox.filter(id=old.id).update(status_changed_at=NOW - RETIRED_READ_FOR)
    later = await sync_mailbox(SYSTEM, old.id, clock=clock, vault=VAULT, options=options(mail))
    assert (later.status, later.key) == (SyncStatus.SKIPPED, "inbox-skipped")
    assert old.id not in {r.mailbox_id for r in await sweep_all(clock, VAULT, options(mail))}


async def test_a_mailbox_disabled_for_its_smtp_login_still_reads_the_replies_and_bounces_to_what_it_sent(
    mail: MailServer, clock: FrozenClock
) -> None:
    """A mailbox disabled for SMTP login failures (or by monitoring) was no longer read, though its IMAP login
    worked: the lead's reply to its step 1 went unseen until someone re-enabled it, the follow-up stayed due, and
    the bounce of its other send was never counted. It is read for `DISABLED_READ_FOR` after it was disabled,
    and keeps the failure count that disabled it; a mailbox cooling down is read as ever."""
    ws = await workspace()
    smtp_error = "smtp-auth-failed: 535 5.7.8 Error: authentication failed"
    anna = await mailbox(
        mail, ws, ANNA, status=MailboxStatus.DISABLED, status_changed_at=NOW - dt.timedelta(days=1),
        auth_failures=3, last_error=smtp_error, last_error_at=NOW - dt.timedelta(days=1),
    )  # fmt: skip
    bob = await mailbox(
        mail, ws, BOB, status=MailboxStatus.COOLDOWN, status_changed_at=NOW - dt.timedelta(hours=3),
        cooldown_until=NOW + dt.timedelta(days=2),
    )  # fmt: skip
    replied = await enrolled(ws, LEAD, anna)
    await sent_message(anna, to=LEAD, message_id="<step1.d15ab1ed@alpha.test>", enrollment=replied)
    follow_up = await OutboundMessage.create(
        kind=MessageKind.CAMPAIGN, workspace=ws, mailbox=anna, lead_id=replied.lead_id, enrollment=replied,
        step_position=1, message_id="<step2.d15ab1ed@alpha.test>", status=MessageStatus.PLANNED,
        scheduled_at=NOW + dt.timedelta(days=1),
    )  # fmt: skip
    gone = await enrolled(ws, NOBODY, anna)
    await sent_message(anna, to=NOBODY, message_id="<cold.d15ab1ed@alpha.test>", enrollment=gone)
    with smtplib.SMTP(mail.host, mail.ports.submission, timeout=10) as smtp:  # sent before it was disabled
        smtp.starttls(context=mail.ssl_context())
        smtp.login(ANNA, PASSWORD)
        smtp.send_message(message(ANNA, NOBODY, "Quick question", message_id="<cold.d15ab1ed@alpha.test>"))
    await wait_for(lambda: mail.count(ANNA) == 1)
    await deliver(
        mail, message(LEAD, ANNA, "Re: logistics", "Yes, let's talk.\n", In_Reply_To="<step1.d15ab1ed@alpha.test>")
    )
    cooled = await enrolled(ws, "user2@beta.test", bob)
    await sent_message(bob, to="user2@beta.test", message_id="<step1.c001@alpha.test>", enrollment=cooled)
    await deliver(mail, message("user2@beta.test", BOB, "Re: hi", "Sure.\n", In_Reply_To="<step1.c001@alpha.test>"))

    results = {r.mailbox_id: r for r in await sweep_all(clock, VAULT, options(mail))}

    assert results[anna.id].status is SyncStatus.OK
    assert results[anna.id].kinds == {"reply": 1, "bounce_hard": 1}
    assert (await Enrollment.get(id=replied.id)).state is EnrollmentState.REPLIED
    assert (await OutboundMessage.get(id=follow_up.id)).status is MessageStatus.CANCELLED
    assert (await Enrollment.get(id=gone.id)).state is EnrollmentState.BOUNCED
    assert (await counters(StatScope.MAILBOX, anna.id, NOW.date()))["bounces_hard"] == 1
    stored = await Mailbox.get(id=anna.id)
    assert (stored.status, stored.auth_failures, stored.last_error) == (MailboxStatus.DISABLED, 3, smtp_error)
    assert (results[bob.id].status, results[bob.id].kinds) == (SyncStatus.OK, {"reply": 1})
    assert (await Enrollment.get(id=cooled.id)).state is EnrollmentState.REPLIED

    # a month after it was disabled it is left alone
    await Mailbox.filter(id=anna.id).update(status_changed_at=NOW - DISABLED_READ_FOR)
    later = await sync_mailbox(SYSTEM, anna.id, clock=clock, vault=VAULT, options=options(mail))
    assert (later.status, later.key) == (SyncStatus.SKIPPED, "inbox-skipped")
    assert anna.id not in {r.mailbox_id for r in await sweep_all(clock, VAULT, options(mail))}


async def test_a_disabled_mailbox_whose_imap_login_is_refused_is_tried_once_not_on_every_sweep(
    mail: MailServer, clock: FrozenClock
) -> None:
    """A disabled mailbox read for late answers must not hammer a server that refuses its login: one refused IMAP
    login is recorded (no alert: its disable alert says it all) and later sweeps leave it. Its card keeps the SMTP
    error it was disabled for: the IMAP one took its place, and the card no longer said why it sends nothing."""
    ws = await workspace()
    box = await mailbox(
        mail, ws, ANNA, password="wrong", status=MailboxStatus.DISABLED,
        status_changed_at=NOW - dt.timedelta(hours=2), auth_failures=3, last_error="smtp-auth-failed: 535",
    )  # fmt: skip

    first = {r.mailbox_id: r for r in await sweep_all(clock, VAULT, options(mail))}
    assert (first[box.id].status, first[box.id].key) == (SyncStatus.FAILED, "error-imap-auth")
    stored = await Mailbox.get(id=box.id)
    assert (stored.auth_failures, stored.imap_auth_failures) == (3, 1)
    assert (stored.last_error, stored.last_error_at) == ("smtp-auth-failed: 535", None)
    assert await kinds_of_events() == [] and not await Alert.all().exists()

    assert box.id not in {r.mailbox_id for r in await sweep_all(clock, VAULT, options(mail))}
    skipped = await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=options(mail))
    assert (skipped.status, skipped.key) == (SyncStatus.SKIPPED, "inbox-skipped")


async def test_a_disabled_mailbox_read_for_late_answers_answers_no_warmup_mail(
    mail: MailServer, clock: FrozenClock
) -> None:
    """Warmup mail a disabled mailbox receives is read (counted, opened) but not answered: it sends nothing."""
    ws = await workspace()
    await Workspace.filter(id=ws.id).update(settings={"warmup": {"reply_probability": 1.0}})
    anna = await mailbox(
        mail, ws, ANNA, status=MailboxStatus.DISABLED, status_changed_at=NOW - dt.timedelta(hours=2),
        last_error="smtp-auth-failed: 535", warmup_started_on=NOW.date() - dt.timedelta(days=30),
    )  # fmt: skip
    bob = await mailbox(mail, ws, BOB)
    for n in range(3):
        mid = f"<wu.off{n}@alpha.test>"
        await sent_message(bob, to=ANNA, message_id=mid, kind=MessageKind.WARMUP, peer=anna)
        await deliver(mail, mark(message(BOB, ANNA, f"Lunch {n}?", message_id=mid)))

    result = await sync_mailbox(SYSTEM, anna.id, clock=clock, vault=VAULT, options=options(mail))

    assert result.status is SyncStatus.OK and result.kinds == {"warmup": 3}
    assert not await OutboundMessage.filter(mailbox=anna).exists()


@pytest.mark.parametrize(
    "stands",
    [
        {"warmup_paused_at": NOW - dt.timedelta(days=1)},
        {"status": MailboxStatus.PAUSED},
        {"status": MailboxStatus.COOLDOWN, "cooldown_until": NOW + dt.timedelta(days=2)},
        {"cooldown_until": NOW + dt.timedelta(hours=3)},
    ],
    ids=["warmup-paused", "paused", "cooldown", "cooling-until"],
)
async def test_a_mailbox_whose_warmup_stands_plans_no_warmup_answers(
    mail: MailServer, clock: FrozenClock, stands: dict[str, object]
) -> None:
    """Warmup mail a mailbox receives while its warmup is paused, or while it is paused or cooling down, is read and
    counted but not answered: it sends no warmup. Answers were planned all the same; they took the slots of its later
    warmup days and expired unsent."""
    ws = await workspace()
    await Workspace.filter(id=ws.id).update(settings={"warmup": {"reply_probability": 1.0}})
    started = NOW.date() - dt.timedelta(days=30)
    anna = await mailbox(mail, ws, ANNA, **({"status": MailboxStatus.ACTIVE, "warmup_started_on": started} | stands))
    bob = await mailbox(mail, ws, BOB)
    for n in range(3):
        mid = f"<wu.stand{n}@alpha.test>"
        await sent_message(bob, to=ANNA, message_id=mid, kind=MessageKind.WARMUP, peer=anna)
        await deliver(mail, mark(message(BOB, ANNA, f"Lunch {n}?", message_id=mid)))

    result = await sync_mailbox(SYSTEM, anna.id, clock=clock, vault=VAULT, options=options(mail))

    assert result.status is SyncStatus.OK and result.kinds == {"warmup": 3}
    assert await kinds_of_events() == ["warmup_inbox"] * 3  # placement is still measured for the sender
    assert not await OutboundMessage.filter(mailbox=anna).exists()


async def test_an_unsubscribe_request_from_a_plus_tag_address_stops_the_person_under_every_address(
    mail: MailServer, clock: FrozenClock
) -> None:
    """`User1+news@` (a lead stored before the +tag rule, enrolled beside `user1@`) wrote "unsubscribe me": the
    suppression closed the mailbox `user1@`, but only `user1+news@`'s enrollment stopped; `user1@`'s planned letter
    waited for its claim. Both stop with the request now; `user10@` goes on."""
    ws = await workspace()
    box = await mailbox(mail, ws, ANNA)
    tagged = await enrolled(ws, "user1+news@beta.test", box)
    plain = await enrolled(ws, LEAD, box)
    near = await enrolled(ws, "user10@beta.test", box)
    await sent_message(box, to="user1+news@beta.test", message_id="<s1@alpha.test>", enrollment=tagged)
    planned = await sent_message(box, to=LEAD, message_id="<s2@alpha.test>", enrollment=plain)
    await OutboundMessage.filter(id=planned.id).update(status=MessageStatus.PLANNED, sent_at=None)
    request = message("User1+news@beta.test", ANNA, "Re: hi", "Отпишите меня, пожалуйста.\n",
                      In_Reply_To="<s1@alpha.test>")  # fmt: skip
    await deliver(mail, request)

    await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=options(mail))

    assert await Suppression.filter(workspace_id=ws.id).values_list("value", flat=True) == [LEAD]
    states = {e.id: e.state for e in await Enrollment.all()}
    assert states == {
        tagged.id: EnrollmentState.UNSUBSCRIBED,
        plain.id: EnrollmentState.UNSUBSCRIBED,
        near.id: EnrollmentState.ACTIVE,
    }
    assert (await OutboundMessage.get(id=planned.id)).status is MessageStatus.CANCELLED


async def test_a_hard_bounce_of_a_mailbox_stops_its_plus_tag_addresses_too(
    mail: MailServer, clock: FrozenClock
) -> None:
    """`nobody@` does not exist, so neither does `nobody+x@` (its suppression says so at the next plan): the
    +tag lead's enrollment stayed active with its letter planned until then. It stops with the bounce now."""
    ws = await workspace()
    box = await mailbox(mail, ws, ANNA)
    enrollment = await enrolled(ws, NOBODY, box)
    alias = await enrolled(ws, "nobody+x@alpha.test", box)
    await sent_message(box, to=NOBODY, message_id="<cold.1@alpha.test>", enrollment=enrollment)
    planned = await sent_message(box, to="nobody+x@alpha.test", message_id="<cold.2@alpha.test>", enrollment=alias)
    await OutboundMessage.filter(id=planned.id).update(status=MessageStatus.PLANNED, sent_at=None)
    await _bounce_from_nobody(mail)

    result = await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=options(mail))

    assert result.kinds == {"bounce_hard": 1}
    assert (await Enrollment.get(id=enrollment.id)).state is EnrollmentState.BOUNCED
    assert (await Enrollment.get(id=alias.id)).state is EnrollmentState.BOUNCED
    assert (await OutboundMessage.get(id=planned.id)).status is MessageStatus.CANCELLED


def _closed_port() -> int:
    """A local port nothing listens on: a connection to it is refused (a server that is gone)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_a_disabled_mailbox_whose_inbox_cannot_be_reached_says_so_on_its_card_backs_off_and_alerts_once(
    mail: MailServer,
) -> None:
    """Before: a disabled mailbox whose IMAP server refused the connection was tried at every 5-minute sweep for 30
    days, raised nothing, and its card showed the connection error in place of why it had been disabled. Now the
    card keeps the cause and says apart when its inbox was last tried, why that failed and when the next try is;
    the tries back off (15 min, doubling, up to 6 h); one alert is raised (repeats only count), a good read
    resolves it, and a login test that works ends the back-off."""
    ws = await workspace()
    box = await mailbox(
        mail, ws, ANNA, status=MailboxStatus.DISABLED, status_changed_at=NOW - dt.timedelta(hours=2),
        auth_failures=3, smtp_auth_failures=3, last_error="smtp-auth-failed: 535", last_error_at=NOW,
        imap_host="127.0.0.1", imap_port=_closed_port(),
    )  # fmt: skip
    tried = []
    for minute in range(0, 120, 5):  # two hours of the 5-minute cron
        results = await sweep_all(FrozenClock(NOW + dt.timedelta(minutes=minute)), VAULT, options(mail))
        if box.id in {r.mailbox_id for r in results}:
            tried.append(minute)
    assert tried == [0, 15, 45, 105]

    stored = await Mailbox.get(id=box.id)
    assert (stored.last_error, stored.last_error_at) == ("smtp-auth-failed: 535", NOW)  # why it is disabled
    assert stored.read_error.startswith("error-imap-connect") and stored.read_failures == 4
    assert stored.read_error_at == NOW + dt.timedelta(minutes=105)
    [alert] = await Alert.filter(kind="inbox_unreadable_disabled")
    assert (alert.subject, alert.count, alert.data["failures"]) == (f"mailbox:{box.id}", 3, 4)
    [note] = [n for n in await claim_due(FrozenClock(NOW + dt.timedelta(hours=2))) if n.kind == alert.kind]
    text = render(note, "ru").plain_text()
    assert "user1@alpha.test отключён" in text and "соединение отклонено" in text
    assert [n for n in await claim_due(FrozenClock(NOW + dt.timedelta(hours=3))) if n.kind == alert.kind] == []

    manager = Actor(person_id=None, platform=Platform.TELEGRAM, role=Role.MANAGER, workspace_id=ws.id, locale="ru")
    card = await show_mailbox(manager, ANNA, clock=FrozenClock(NOW + dt.timedelta(hours=2)))
    assert card.late_read is not None and card.check_key == "smtp-auth-failed"
    assert (card.late_read.key, card.late_read.failures) == ("error-imap-connect", 4)
    assert card.late_read.next_at == NOW + dt.timedelta(minutes=105 + 120)

    # the server back (its port fixed), a login test that works clears the back-off: the next sweep reads it
    await Mailbox.filter(id=box.id).update(imap_port=mail.ports.imap)
    ports = [mail.ports.submission, mail.ports.imap]
    policy = MailPolicy(ca_file=str(mail.cafile), allowed_ports=ports, allow_private_hosts=True)
    tested = FrozenClock(NOW + dt.timedelta(hours=2))
    [checked] = await check_mailboxes(manager, ANNA, clock=tested, vault=VAULT, policy=policy, timeout_s=10)
    assert checked.test.ok
    assert (await show_mailbox(manager, ANNA, clock=tested)).late_read is None
    swept = await sweep_all(FrozenClock(NOW + dt.timedelta(hours=2, minutes=5)), VAULT, options(mail))
    assert [r.status for r in swept if r.mailbox_id == box.id] == [SyncStatus.OK]
    assert (await Alert.get(id=alert.id)).status is AlertStatus.RESOLVED  # read again: the alert is over

    await resume_mailbox(manager, ANNA, clock=FrozenClock(NOW + dt.timedelta(hours=3)))
    assert (await Alert.get(id=alert.id)).status is AlertStatus.RESOLVED
    assert (await Mailbox.get(id=box.id)).read_failures == 0


async def _unresolved(box: Mailbox) -> list[str]:
    rows = await Alert.filter(subject=f"mailbox:{box.id}").exclude(status=AlertStatus.RESOLVED).order_by("id")
    return [a.kind for a in rows]


async def test_an_inbox_unreachable_before_its_mailbox_was_disabled_is_one_alert_said_once_and_ended_once(
    mail: MailServer,
) -> None:
    """Before: a mailbox whose `inbox_unreachable` alert was open when it got disabled (its SMTP login refused) then
    raised `inbox_unreadable_disabled` as well: both stayed open and the chats heard of the one outage twice. Now
    the open alert becomes the disabled mailbox's one (not announced again), and its end is announced once."""
    ws = await workspace()
    box = await mailbox(
        mail, ws, ANNA, status=MailboxStatus.ACTIVE, last_ok_at=NOW - dt.timedelta(hours=2),
        imap_host="127.0.0.1", imap_port=_closed_port(),
    )  # fmt: skip
    for minute in (0, 5):
        await sweep_all(FrozenClock(NOW + dt.timedelta(minutes=minute)), VAULT, options(mail))
    assert await _unresolved(box) == ["inbox_unreachable"]
    first = [n for n in await claim_due(FrozenClock(NOW + dt.timedelta(minutes=6))) if n.subject == f"mailbox:{box.id}"]
    assert [n.kind for n in first] == ["inbox_unreachable"]

    # the outbox disables it (SMTP 535) while its IMAP server is still down
    disabled_at = NOW + dt.timedelta(minutes=10)
    await Mailbox.filter(id=box.id).update(
        status=MailboxStatus.DISABLED, status_changed_at=disabled_at, last_error="smtp-auth-failed: 535",
        last_error_at=disabled_at,
    )  # fmt: skip
    for minute in range(10, 130, 5):
        await sweep_all(FrozenClock(NOW + dt.timedelta(minutes=minute)), VAULT, options(mail))
    assert await _unresolved(box) == ["inbox_unreadable_disabled"]
    again = [n for n in await claim_due(FrozenClock(NOW + dt.timedelta(hours=2))) if n.subject == f"mailbox:{box.id}"]
    assert again == []  # heard of already

    await Mailbox.filter(id=box.id).update(imap_port=mail.ports.imap, read_failures=0)  # the server is back
    await sweep_all(FrozenClock(NOW + dt.timedelta(hours=3)), VAULT, options(mail))
    assert await _unresolved(box) == []
    ended = [n for n in await claim_due(FrozenClock(NOW + dt.timedelta(hours=3))) if n.subject == f"mailbox:{box.id}"]
    assert [(n.kind, n.resolved) for n in ended] == [("inbox_unreadable_disabled", True)]


async def test_a_disabled_mailboxs_inbox_alert_ends_when_its_inbox_is_no_longer_read(mail: MailServer) -> None:
    """Before: once a disabled mailbox's month of reading for late answers was over, its open
    `inbox_unreadable_disabled` alert stayed open for good (nothing read it again to resolve it) until someone acked
    it or resumed the mailbox. Now the sweep resolves it then, and the chats are told its inbox is no longer read."""
    ws = await workspace()
    box = await mailbox(
        mail, ws, ANNA, status=MailboxStatus.DISABLED, status_changed_at=NOW - dt.timedelta(hours=2),
        auth_failures=3, smtp_auth_failures=3, last_error="smtp-auth-failed: 535", last_error_at=NOW,
        imap_host="127.0.0.1", imap_port=_closed_port(),
    )  # fmt: skip
    for minute in (0, 15):
        await sweep_all(FrozenClock(NOW + dt.timedelta(minutes=minute)), VAULT, options(mail))
    assert await _unresolved(box) == ["inbox_unreadable_disabled"]
    await claim_due(FrozenClock(NOW + dt.timedelta(minutes=20)))

    almost = NOW - dt.timedelta(hours=2) + DISABLED_READ_FOR - dt.timedelta(minutes=1)
    await sweep_all(FrozenClock(almost), VAULT, options(mail))
    assert await _unresolved(box) == ["inbox_unreadable_disabled"]  # still read: still open

    over = NOW - dt.timedelta(hours=2) + DISABLED_READ_FOR
    await sweep_all(FrozenClock(over), VAULT, options(mail))
    assert await _unresolved(box) == []
    [note] = [n for n in await claim_due(FrozenClock(over)) if n.subject == f"mailbox:{box.id}"]
    assert note.resolved and note.kind == "inbox_unreadable_disabled"
    text = render(note, "ru").plain_text()
    assert "входящие больше не читаются" in text and "больше не наблюдается" not in text
    assert "no longer read" in render(note, "en").plain_text()


async def test_a_disabled_mailbox_resumed_while_its_inbox_cannot_be_read_keeps_its_campaign_sends_held(
    mail: MailServer,
) -> None:
    """Before: `/mailbox_resume` on a disabled mailbox whose IMAP server was still down resolved its
    `inbox_unreadable_disabled` alert (the chats were told it was "no longer seen") and nothing held its campaign
    sends until two more sweeps had failed and raised `inbox_unreachable` anew. Now the alert becomes that
    mailbox's `inbox_unreachable` at once (not announced again, its end said once, after a good read)."""
    ws = await workspace()
    box = await mailbox(
        mail, ws, ANNA, status=MailboxStatus.DISABLED, status_changed_at=NOW - dt.timedelta(hours=2),
        auth_failures=3, smtp_auth_failures=3, last_error="smtp-auth-failed: 535", last_error_at=NOW,
        last_ok_at=NOW - dt.timedelta(hours=3), imap_host="127.0.0.1", imap_port=_closed_port(),
    )  # fmt: skip
    for minute in (0, 15):
        await sweep_all(FrozenClock(NOW + dt.timedelta(minutes=minute)), VAULT, options(mail))
    assert await _unresolved(box) == ["inbox_unreadable_disabled"]
    await claim_due(FrozenClock(NOW + dt.timedelta(minutes=20)))

    manager = Actor(person_id=None, platform=Platform.TELEGRAM, role=Role.MANAGER, workspace_id=ws.id, locale="ru")
    resumed_at = FrozenClock(NOW + dt.timedelta(minutes=30))
    await resume_mailbox(manager, ANNA, clock=resumed_at)
    assert await _unresolved(box) == ["inbox_unreachable"]  # the outbox holds its campaign sends
    [alert] = await Alert.filter(kind="inbox_unreachable")
    assert alert.fingerprint == inbox_unreachable_fingerprint(ws.id, box.id)  # what the outbox looks for
    assert "не читаются с" in render_alert_text(alert) and alert.data["read"] == "before"
    assert [n for n in await claim_due(resumed_at) if n.subject == f"mailbox:{box.id}"] == []

    await Mailbox.filter(id=box.id).update(imap_port=mail.ports.imap)  # the server is back
    await sweep_all(FrozenClock(NOW + dt.timedelta(minutes=35)), VAULT, options(mail))
    assert await _unresolved(box) == []
    ended = [
        n for n in await claim_due(FrozenClock(NOW + dt.timedelta(minutes=36))) if n.subject == f"mailbox:{box.id}"
    ]
    assert [(n.kind, n.resolved) for n in ended] == [("inbox_unreachable", True)]


def render_alert_text(alert: Alert) -> str:
    """The alert's message in Russian, as a chat reads it (fails on a missing parameter)."""
    t = translator("ru")
    return t(alert_key(alert.kind), **alert.data)


async def test_a_disabled_mailbox_whose_imap_login_works_again_by_a_login_test_is_read_again(
    mail: MailServer,
) -> None:
    """Before: a disabled mailbox whose IMAP login was refused once during its reading for late answers (a password
    changed at the provider) was left alone for good: a `/mailbox_test` proving both logins work again did not
    restart its reading (only a re-import or a resume did), so the replies to what it sent went unseen. A passing
    login test now ends the refusal: the next sweep reads it."""
    ws = await workspace()
    box = await mailbox(
        mail, ws, ANNA, password="wrong", status=MailboxStatus.DISABLED,
        status_changed_at=NOW - dt.timedelta(hours=2), auth_failures=3, smtp_auth_failures=3,
        last_error="smtp-auth-failed: 535", last_error_at=NOW - dt.timedelta(hours=2),
    )  # fmt: skip
    await sweep_all(FrozenClock(NOW), VAULT, options(mail))
    assert (await Mailbox.get(id=box.id)).imap_auth_failures == 1
    assert box.id not in {r.mailbox_id for r in await sweep_all(FrozenClock(NOW), VAULT, options(mail))}

    await Mailbox.filter(id=box.id).update(secret_enc=VAULT.encrypt(PASSWORD))  # the password put right
    manager = Actor(person_id=None, platform=Platform.TELEGRAM, role=Role.MANAGER, workspace_id=ws.id, locale="ru")
    ports = [mail.ports.submission, mail.ports.imap]
    policy = MailPolicy(ca_file=str(mail.cafile), allowed_ports=ports, allow_private_hosts=True)
    tested = FrozenClock(NOW + dt.timedelta(minutes=10))
    [checked] = await check_mailboxes(manager, ANNA, clock=tested, vault=VAULT, policy=policy, timeout_s=10)
    assert checked.test.ok
    swept = await sweep_all(FrozenClock(NOW + dt.timedelta(minutes=15)), VAULT, options(mail))
    assert [r.status for r in swept if r.mailbox_id == box.id] == [SyncStatus.OK]
    stored = await Mailbox.get(id=box.id)
    assert (stored.status, stored.last_error) == (MailboxStatus.DISABLED, "smtp-auth-failed: 535")

"""Campaign rows through the outbox against real Postfix + Dovecot and PostgreSQL: composed when claimed, re-checked
before any byte goes out (campaign running, enrollment active, lead not suppressed, every cap), recorded with the
enrollment's advance in one statement; auto-replies delay a lead's next step, replies stop it.

What arrived is read from the receiving mailboxes (Dovecot), not from our own counters.
"""

from __future__ import annotations

import datetime as dt
import smtplib
from collections.abc import AsyncIterator, Iterator
from email.message import EmailMessage
from email.utils import format_datetime
from zoneinfo import ZoneInfo

import pytest

from engine.access import SYSTEM
from engine.alerts import INBOX_UNREACHABLE, raise_alert, resolve_subjects
from engine.campaigns.ports import CampaignRow, Composed
from engine.clock import FrozenClock
from engine.crypto import Vault, generate_key
from engine.inbox import SyncOptions, sync_mailbox
from engine.lifecycle import transition_mailbox
from engine.mail.smtp import SmtpTransport, Timeouts
from engine.monitoring.metrics import last_sends
from engine.reports import summary
from engine.sending.outbox import INBOX_HOLD, EffectiveCaps, Outbox, SendOptions
from engine.sending.sentfolder import ImapSentFolder
from engine.stats import EventRecord, counters, record_events
from models import (
    Alert,
    Campaign,
    CapDeferral,
    Domain,
    Enrollment,
    Event,
    Mailbox,
    OutboundMessage,
    Suppression,
    Workspace,
)
from models.enums import (
    AlertStatus,
    CampaignStatus,
    CapKind,
    EnrollmentState,
    EventKind,
    MailboxStatus,
    MailProvider,
    MessageKind,
    MessageStatus,
    Severity,
    StatScope,
    SuppressionReason,
    TlsMode,
)
from tests.harness.mailserver import Fault, MailServer
from tests.integration.campaign_kit import UNSUBSCRIBE_BASE, TestComposer, campaign, enroll, plan_due

pytestmark = pytest.mark.usefixtures("orm")

PASSWORD = "pw"
NOW = dt.datetime(2031, 3, 3, 9, 0, tzinfo=dt.UTC)  # a Monday, 12:00 in Moscow
TODAY = dt.date(2031, 3, 3)
VAULT = Vault([generate_key()])
ANNA = "user1@alpha.test"
LEADS = [f"user{n}@beta.test" for n in (1, 2, 3, 4)]
HEADERS = ("message-id", "subject", "in-reply-to", "references", "list-unsubscribe", "list-unsubscribe-post")


@pytest.fixture(scope="module")
def mail(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailServer]:
    with MailServer(tmp_path_factory.mktemp("camp"), domains=["alpha.test", "beta.test"], users_per_domain=4) as s:
        yield s


@pytest.fixture(autouse=True)
def clean(mail: MailServer) -> None:
    mail.reset()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
async def transport(mail: MailServer) -> AsyncIterator[SmtpTransport]:
    async with SmtpTransport(tls_context=mail.ssl_context(), timeouts=Timeouts(10, 10, 20)) as pool:
        yield pool


def outbox(
    mail: MailServer, clock: FrozenClock, transport: SmtpTransport, composer: TestComposer, max_attempts: int = 5
) -> Outbox:
    return Outbox(
        clock=clock,
        vault=VAULT,
        sender=transport,
        sent_folder=ImapSentFolder(timeout_s=10),
        options=SendOptions(ssl_context=mail.ssl_context(), max_attempts=max_attempts),
        caps=EffectiveCaps(),
        compose=composer,
    )


async def world(mail: MailServer, **ws_fields: object) -> tuple[Workspace, Mailbox]:
    ws = await Workspace.create(slug="acme", name="Acme", timezone="Europe/Moscow", **ws_fields)
    alpha = await Domain.create(workspace=ws, name="alpha.test", daily_cap=120)
    box = await Mailbox.create(
        workspace=ws, domain=alpha, address=ANNA, display_name="Anna", provider=MailProvider.GENERIC,
        smtp_host=mail.host, smtp_port=mail.ports.submission, smtp_tls=TlsMode.STARTTLS, imap_host=mail.host,
        imap_port=mail.ports.imap, imap_tls=TlsMode.PLAIN, username=ANNA, secret_enc=VAULT.encrypt(PASSWORD),
        status=MailboxStatus.ACTIVE, daily_cap=40, warmup_started_on=TODAY - dt.timedelta(days=100),
    )  # fmt: skip
    return ws, box


async def send(box: Outbox, mailbox_id: int, mail: MailServer) -> None:
    await box.sweep()
    await box.send_mailbox(mailbox_id)
    mail.settle()


def arrived(mail: MailServer) -> dict[str, list[dict[str, str]]]:
    """Recipient -> the headers of each message in its INBOX."""
    found: dict[str, list[dict[str, str]]] = {}
    for m in mail.messages(["INBOX"], HEADERS):
        found.setdefault(m.address, []).append(m.headers)
    return found


async def test_steps_are_composed_sent_in_one_thread_and_advance_the_enrollment(
    mail: MailServer, clock: FrozenClock, transport: SmtpTransport
) -> None:
    ws, box = await world(mail)
    c = await campaign(ws, [box], steps=((0, False), (2, False)))
    enrollments = await enroll(c, LEADS[:2], NOW)
    composer = TestComposer()
    sender = outbox(mail, clock, transport, composer)
    assert await plan_due(clock, c, [box]) == 2

    await send(sender, box.id, mail)

    got = arrived(mail)
    rows = {r.lead_id: r for r in await OutboundMessage.filter(step_position=1)}
    for e, lead in zip(enrollments, LEADS[:2], strict=True):
        row = rows[e.lead_id]
        assert row.status is MessageStatus.SENT and row.subject == f"Step 1 for {lead}"
        assert row.links == ["https://example.test/offer?step=1"]
        [headers] = got[lead]
        assert headers["message-id"] == row.message_id and headers["subject"] == row.subject
        assert headers["list-unsubscribe"] == f"<{UNSUBSCRIBE_BASE}{row.id}>, <mailto:{ANNA}?subject=unsubscribe>"
        assert headers["list-unsubscribe-post"] == "List-Unsubscribe=One-Click"
        after = await Enrollment.get(id=e.id)
        assert (after.current_step, after.mailbox_id, after.thread_message_id) == (2, box.id, row.message_id)
        assert after.last_sent_at == NOW and after.next_due_at == NOW + dt.timedelta(days=2)
        assert after.state is EnrollmentState.ACTIVE
    assert {(r.campaign_id, r.step_position, r.recipient) for r in composer.calls} == {(c.id, 1, x) for x in LEADS[:2]}
    assert (await counters(StatScope.CAMPAIGN, c.id, TODAY))["sent"] == 2
    mailbox_day = await counters(StatScope.MAILBOX, box.id, TODAY)
    assert (mailbox_day["sent"], mailbox_day["warmup_sent"]) == (2, 0)  # campaign mail: the sample of reply rates
    assert await Event.filter(kind=EventKind.SENT, campaign_id=c.id).count() == 2

    # two days later: the follow-up, from the same mailbox, in the thread of step 1; then the sequence is complete
    clock.set(NOW + dt.timedelta(days=2))
    assert await plan_due(clock, c, [box]) == 2
    await send(sender, box.id, mail)
    got = arrived(mail)
    for e, lead in zip(enrollments, LEADS[:2], strict=True):
        first, second = sorted(got[lead], key=lambda h: h["subject"])
        assert second["subject"] == f"Step 2 for {lead}"
        assert second["in-reply-to"] == second["references"] == first["message-id"]
        after = await Enrollment.get(id=e.id)
        assert after.state is EnrollmentState.COMPLETED and after.next_due_at is None and after.current_step == 3


async def test_the_sends_that_carried_a_pixel_are_counted_per_message_when_a_campaign_leaves_html_midway(
    mail: MailServer, clock: FrozenClock, transport: SmtpTransport
) -> None:
    """The open rate's sample is the mail that could be opened: two sends composed with the HTML part (its pixel),
    then the campaign goes plain and two more are sent. Every scope counts 2 of 4 sent as carrying a pixel, the
    campaign's report measures its one open over those 2 (50 %, not 25 % over all 4, nor "not measured" because
    the campaign is plain now), and the mailbox's last sends agree."""
    ws, box = await world(mail)
    c = await campaign(ws, [box], steps=((0, False),), html=True)
    composer = TestComposer(html=True)
    sender = outbox(mail, clock, transport, composer)
    await enroll(c, LEADS[:2], NOW)
    assert await plan_due(clock, c, [box]) == 2
    await send(sender, box.id, mail)
    await Campaign.filter(id=c.id).update(html=False)
    composer.html = False
    await enroll(c, LEADS[2:], NOW)
    assert await plan_due(clock, c, [box]) == 2
    await send(sender, box.id, mail)

    arrived_html = [m for m in mail.messages(["INBOX"], ("content-type",)) if "multipart" in m.headers["content-type"]]
    assert len(arrived_html) == 2  # what went out: two with the HTML part, two plain
    for scope, scope_id in (
        (StatScope.CAMPAIGN, c.id),
        (StatScope.MAILBOX, box.id),
        (StatScope.DOMAIN, box.domain_id),
        (StatScope.WORKSPACE, ws.id),
    ):
        day = await counters(scope, scope_id, TODAY)
        assert (day["sent"], day["pixel_sent"]) == (4, 2), scope
    opened = await OutboundMessage.filter(campaign_id=c.id, step_position=1).order_by("id").first()
    assert opened is not None
    await record_events(
        [EventRecord(ws.id, EventKind.OPEN, NOW, box.id, box.domain_id, c.id, opened.lead_id, opened.id)]
    )
    opens = (await summary(ws.id, TODAY, TODAY, scope=StatScope.CAMPAIGN, scope_id=c.id)).metrics.open_rate
    assert (opens.measured, opens.part, opens.sample) == (True, 1, 2)
    last = await last_sends(box.id)
    assert (last.sent, last.measured_sent, last.opens) == (4, 2, 1)


async def test_rows_that_may_no_longer_go_are_cancelled_at_claim(
    mail: MailServer, clock: FrozenClock, transport: SmtpTransport
) -> None:
    ws, box = await world(mail)
    c = await campaign(ws, [box])
    paused = await campaign(ws, [box], name="Paused")
    done = await campaign(ws, [box], name="Done")
    ok, replied, suppressed, by_domain = await enroll(c, [*LEADS[:3], "user2@alpha.test"], NOW)
    [in_paused] = await enroll(paused, [LEADS[3]], NOW)
    [in_done] = await enroll(done, ["user3@alpha.test"], NOW)
    for each in (c, paused, done):
        await plan_due(clock, each, [box])
    await OutboundMessage.all().update(status=MessageStatus.QUEUED)
    # after the rows were queued: a reply, a suppression in the workspace, one of a whole domain everywhere, a pause
    await Enrollment.filter(id=replied.id).update(state=EnrollmentState.REPLIED)
    await Suppression.create(workspace_id=ws.id, value=LEADS[2], reason=SuppressionReason.MANUAL)
    await Suppression.create(workspace_id=None, value="alpha.test", reason=SuppressionReason.MANUAL)
    await type(paused).filter(id=paused.id).update(status=CampaignStatus.PAUSED)
    await type(done).filter(id=done.id).update(status=CampaignStatus.COMPLETED)
    sender = outbox(mail, clock, transport, TestComposer())

    await sender.sweep()
    report = await sender.send_mailbox(box.id)
    mail.settle()

    assert report.sent == 1
    statuses = {r.enrollment_id: (r.status, r.smtp_reply) for r in await OutboundMessage.all()}
    assert statuses[ok.id][0] is MessageStatus.SENT
    assert statuses[replied.id] == (MessageStatus.CANCELLED, "cancelled: enrollment replied")
    assert statuses[suppressed.id] == statuses[by_domain.id] == (MessageStatus.CANCELLED, "cancelled: suppressed")
    assert statuses[in_done.id] == (MessageStatus.CANCELLED, "cancelled: campaign completed")
    assert statuses[in_paused.id] == (MessageStatus.QUEUED, "held: campaign paused")  # it may resume
    for e in (suppressed, by_domain):
        stopped = await Enrollment.get(id=e.id)
        assert (stopped.state, stopped.stopped_reason) == (EnrollmentState.STOPPED, "suppressed")
    assert await OutboundMessage.filter(attempts__gt=0).count() == 1  # an undone claim is no attempt
    assert set(arrived(mail)) == {LEADS[0]}

    # resumed: the held row goes out once its hold is over
    await type(paused).filter(id=paused.id).update(status=CampaignStatus.RUNNING)
    clock.set(NOW + dt.timedelta(minutes=31))
    await send(sender, box.id, mail)
    assert (await OutboundMessage.get(enrollment_id=in_paused.id)).status is MessageStatus.SENT
    assert set(arrived(mail)) == {LEADS[0], LEADS[3]}

    # a domain suppressed everywhere also stops the follow-up of a lead already in the sequence
    await Suppression.create(workspace_id=None, value="beta.test", reason=SuppressionReason.BOUNCE)
    clock.set(NOW + dt.timedelta(days=2))
    assert await plan_due(clock, c, [box]) == 1
    await send(sender, box.id, mail)
    follow_up = await OutboundMessage.get(enrollment_id=ok.id, step_position=2)
    assert (follow_up.status, follow_up.smtp_reply) == (MessageStatus.CANCELLED, "cancelled: suppressed")
    assert sorted(len(v) for v in arrived(mail).values()) == [1, 1]


async def test_campaign_rows_wait_while_the_mailboxs_inbox_goes_unread(
    mail: MailServer, clock: FrozenClock, transport: SmtpTransport
) -> None:
    """A reply or an unsubscribe request to a mailbox whose inbox cannot be read would go unseen: while its
    `inbox_unreachable` alert is open (or only acked) its campaign rows are held; resolved, they go."""
    ws, box = await world(mail)
    c = await campaign(ws, [box])
    [e] = await enroll(c, [LEADS[0]], NOW)
    await plan_due(clock, c, [box])
    data = {"mailbox": ANNA, "read": "before", "since": "", "error": "error-imap-timeout", "detail": ""}
    await raise_alert(
        workspace_id=ws.id, kind=INBOX_UNREACHABLE, severity=Severity.WARNING, subject=f"mailbox:{box.id}",
        key="imap", data=data, now=NOW,
    )  # fmt: skip
    await Alert.filter(kind=INBOX_UNREACHABLE).update(status=AlertStatus.ACKED)  # seen by someone: still unread
    sender = outbox(mail, clock, transport, TestComposer())

    await send(sender, box.id, mail)
    row = await OutboundMessage.get(enrollment_id=e.id)
    assert (row.status, row.smtp_reply, row.attempts) == (MessageStatus.QUEUED, "held: inbox unread", 0)
    assert row.scheduled_at == NOW + INBOX_HOLD and arrived(mail) == {}

    await resolve_subjects(INBOX_UNREACHABLE, [f"mailbox:{box.id}"], clock=clock)  # a good sync
    clock.set(NOW + INBOX_HOLD)
    await send(sender, box.id, mail)
    assert (await OutboundMessage.get(id=row.id)).status is MessageStatus.SENT
    assert set(arrived(mail)) == {LEADS[0]}


async def test_a_campaign_cap_postpones_rows_already_queued_to_the_next_send_day(
    mail: MailServer, clock: FrozenClock, transport: SmtpTransport
) -> None:
    ws, box = await world(mail)
    c = await campaign(ws, [box], per_mailbox_cap=2)
    await enroll(c, LEADS, NOW)
    await plan_due(clock, c, [box])
    sender = outbox(mail, clock, transport, TestComposer())
    await send(sender, box.id, mail)

    rows = await OutboundMessage.all().order_by("id")
    assert [r.status for r in rows] == [MessageStatus.SENT] * 2 + [MessageStatus.QUEUED] * 2
    tomorrow = dt.datetime(2031, 3, 4, 6, 0, tzinfo=dt.UTC)  # 09:00 in Moscow, the window opens
    for r in rows[2:]:
        assert tomorrow <= r.scheduled_at <= tomorrow + dt.timedelta(hours=1) and r.attempts == 0
        assert r.smtp_reply == "postponed: campaign cap 2"
    deferral = await CapDeferral.get(mailbox_id=box.id, day=TODAY, source="claim")
    assert (deferral.cap, deferral.allowed) == (CapKind.CAMPAIGN, 2)
    assert sum(len(v) for v in arrived(mail).values()) == 2

    clock.set(tomorrow + dt.timedelta(hours=2))
    await send(sender, box.id, mail)
    assert await OutboundMessage.filter(status=MessageStatus.SENT).count() == 4


async def test_a_row_due_outside_the_send_window_waits_for_its_next_opening(
    mail: MailServer, clock: FrozenClock, transport: SmtpTransport
) -> None:
    ws, box = await world(mail)
    c = await campaign(ws, [box])
    await enroll(c, LEADS[:1], NOW)
    await plan_due(clock, c, [box])
    friday_evening = dt.datetime(2031, 3, 7, 16, 0, tzinfo=dt.UTC)  # 19:00 in Moscow, after the window
    clock.set(friday_evening)
    sender = outbox(mail, clock, transport, TestComposer())
    await send(sender, box.id, mail)
    row = await OutboundMessage.get()
    monday = dt.datetime(2031, 3, 10, 6, 0, tzinfo=dt.UTC)
    assert row.status is MessageStatus.QUEUED and row.smtp_reply == "held: outside the send window"
    assert monday <= row.scheduled_at <= monday + dt.timedelta(hours=1)
    assert arrived(mail) == {}
    clock.set(monday + dt.timedelta(hours=1))
    await send(sender, box.id, mail)
    assert set(arrived(mail)) == {LEADS[0]}


async def test_a_mailbox_graduated_this_week_sends_a_quarter_of_its_cap_to_campaigns(
    mail: MailServer, clock: FrozenClock, transport: SmtpTransport
) -> None:
    ws, box = await world(mail)
    await Mailbox.filter(id=box.id).update(status=MailboxStatus.WARMING, daily_cap=8)
    await transition_mailbox(await Mailbox.get(id=box.id), MailboxStatus.ACTIVE, clock=clock, reason="graduated")
    c = await campaign(ws, [box])
    await enroll(c, [*LEADS, "user2@alpha.test"], NOW)
    await plan_due(clock, c, [box])
    await send(outbox(mail, clock, transport, TestComposer()), box.id, mail)
    assert await OutboundMessage.filter(status=MessageStatus.SENT).count() == 2  # 25 % of 8, from the audit log
    deferral = await CapDeferral.get(mailbox_id=box.id, source="claim")
    assert (deferral.cap, deferral.allowed) == (CapKind.WARMUP, 2)
    assert sum(len(v) for v in arrived(mail).values()) == 2


async def test_a_workspace_cap_lowered_after_queueing_holds_back_the_rest(
    mail: MailServer, clock: FrozenClock, transport: SmtpTransport
) -> None:
    ws, box = await world(mail)
    c = await campaign(ws, [box])
    await enroll(c, [*LEADS, "user2@alpha.test"], NOW)
    await plan_due(clock, c, [box])
    await Workspace.filter(id=ws.id).update(settings={"daily_cap": 3})
    sender = outbox(mail, clock, transport, TestComposer())
    await sender.sweep()
    report = await sender.send_mailbox(box.id)
    mail.settle()
    assert report.sent == 3 and report.blocked is CapKind.WORKSPACE
    assert await OutboundMessage.filter(status=MessageStatus.QUEUED).count() == 2
    assert sum(len(v) for v in arrived(mail).values()) == 3


async def test_a_template_that_no_longer_renders_fails_the_row_and_stops_the_sequence(
    mail: MailServer, clock: FrozenClock, transport: SmtpTransport
) -> None:
    ws, box = await world(mail)
    c = await campaign(ws, [box])
    [broken, fine] = await enroll(c, LEADS[:2], NOW)
    await plan_due(clock, c, [box])
    await send(outbox(mail, clock, transport, TestComposer(broken=[LEADS[0]])), box.id, mail)

    row = await OutboundMessage.get(enrollment_id=broken.id)
    assert row.status is MessageStatus.FAILED and row.smtp_reply.startswith("error-template-syntax")
    stopped = await Enrollment.get(id=broken.id)
    assert (stopped.state, stopped.stopped_reason) == (EnrollmentState.STOPPED, "compose_failed")
    assert (await Enrollment.get(id=fine.id)).current_step == 2
    assert set(arrived(mail)) == {LEADS[1]}


async def test_a_step_that_fails_for_good_stops_the_sequence(
    mail: MailServer, clock: FrozenClock, transport: SmtpTransport
) -> None:
    ws, box = await world(mail)
    c = await campaign(ws, [box])
    [e] = await enroll(c, LEADS[:1], NOW)
    await plan_due(clock, c, [box])
    mail.set_fault(ANNA, Fault.TEMPFAIL)  # 451 at RCPT, on the last attempt allowed
    await send(outbox(mail, clock, transport, TestComposer(), max_attempts=1), box.id, mail)
    row = await OutboundMessage.get(enrollment_id=e.id)
    assert row.status is MessageStatus.FAILED and row.smtp_code == 451
    stopped = await Enrollment.get(id=e.id)
    assert (stopped.state, stopped.stopped_reason, stopped.next_due_at) == (
        EnrollmentState.STOPPED,
        "smtp_transient",
        None,
    )
    assert arrived(mail) == {}


async def test_a_crashed_step_is_resolved_from_the_sent_folder_and_its_enrollment_follows(
    mail: MailServer, clock: FrozenClock, transport: SmtpTransport
) -> None:
    ws, box = await world(mail)
    c = await campaign(ws, [box])
    went, lost = await enroll(c, LEADS[:2], NOW)
    await plan_due(clock, c, [box])
    await OutboundMessage.all().update(status=MessageStatus.SENDING, claimed_at=NOW - dt.timedelta(minutes=20))
    gone = await OutboundMessage.get(enrollment_id=went.id)
    with smtplib.SMTP(mail.host, mail.ports.submission, timeout=10) as smtp:  # it did go out before the crash
        smtp.starttls(context=mail.ssl_context())
        smtp.login(ANNA, PASSWORD)
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"], msg["Message-ID"] = ANNA, LEADS[0], "Step 1", gone.message_id
        msg.set_content("Hello\n")
        smtp.send_message(msg)
    mail.settle()

    report = await outbox(mail, clock, transport, TestComposer()).recover_mailbox(box.id)

    assert (report.sent, report.unknown) == (1, 1)
    row = await OutboundMessage.get(id=gone.id)
    assert row.status is MessageStatus.SENT and row.subject == f"Step 1 for {LEADS[0]}"  # composed again, same text
    advanced = await Enrollment.get(id=went.id)
    assert (advanced.current_step, advanced.thread_message_id, advanced.mailbox_id) == (2, gone.message_id, box.id)
    assert advanced.next_due_at == NOW + dt.timedelta(days=2)
    assert (await OutboundMessage.get(enrollment_id=lost.id)).status is MessageStatus.UNKNOWN
    stopped = await Enrollment.get(id=lost.id)
    assert (stopped.state, stopped.stopped_reason) == (EnrollmentState.STOPPED, "send_unknown")


def answer(lead: str, to: str, parent: str, subject: str, body: str, **headers: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = lead, to, subject
    msg["Message-ID"] = f"<answer.{lead.split('@', maxsplit=1)[0]}.{parent.strip('<>')}>"
    msg["In-Reply-To"] = msg["References"] = parent
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg


async def test_an_auto_reply_delays_the_next_step_and_a_reply_stops_it_within_one_sync(
    mail: MailServer, clock: FrozenClock, transport: SmtpTransport
) -> None:
    ws, box = await world(mail, settings={"auto_reply_delay_days": 4})  # no return date: four days
    c = await campaign(ws, [box], steps=((0, False), (2, False)))
    away, back, talks = await enroll(c, LEADS[:3], NOW)
    await plan_due(clock, c, [box])
    sender = outbox(mail, clock, transport, TestComposer())
    await send(sender, box.id, mail)
    parents = {r.enrollment_id: r.message_id for r in await OutboundMessage.all()}

    clock.set(NOW + dt.timedelta(days=2))
    assert await plan_due(clock, c, [box]) == 3  # the follow-ups, planned ahead: they must move or stop
    clock.set(NOW + dt.timedelta(hours=1))
    with smtplib.SMTP(mail.host, mail.ports.mx, timeout=10) as smtp:
        smtp.send_message(answer(LEADS[0], ANNA, parents[away.id], "Автоответ: в отпуске",
                                 "Я в отпуске до 12.03.2031.\n", Auto_Submitted="auto-replied"))  # fmt: skip
        smtp.send_message(answer(LEADS[1], ANNA, parents[back.id], "Out of office", "I am away.\n",
                                 Auto_Submitted="auto-replied"))  # fmt: skip
        smtp.send_message(answer(LEADS[2], ANNA, parents[talks.id], "Re: hello", "Sounds interesting, call me.\n"))
    mail.settle()

    result = await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=SyncOptions(timeout_s=10))

    assert result.kinds == {"auto_reply": 2, "reply": 1}
    until = dt.datetime(2031, 3, 12, tzinfo=dt.UTC)
    four_days = clock.now() + dt.timedelta(days=4)
    expected = {away.id: (EnrollmentState.ACTIVE, until), back.id: (EnrollmentState.ACTIVE, four_days)}
    for enrollment_id, (state, due) in expected.items():
        e = await Enrollment.get(id=enrollment_id)
        assert (e.state, e.next_due_at) == (state, due)
        follow_up = await OutboundMessage.get(enrollment_id=enrollment_id, step_position=2)
        assert follow_up.status is MessageStatus.PLANNED and follow_up.scheduled_at == due
    assert (await Enrollment.get(id=talks.id)).state is EnrollmentState.REPLIED
    stopped = await OutboundMessage.get(enrollment_id=talks.id, step_position=2)
    assert stopped.status is MessageStatus.CANCELLED
    day = await counters(StatScope.CAMPAIGN, c.id, TODAY)
    assert (day["auto_replies"], day["replies"], day["sent"]) == (2, 1, 3)  # written with the events


async def test_an_out_of_office_notice_back_on_a_weekday_or_next_week_holds_the_next_step_until_then(
    mail: MailServer, clock: FrozenClock, transport: SmtpTransport
) -> None:
    """ "Вернусь в четверг" and "back next week" named no date the reader knew: the default delay applied and the
    follow-up went out while the lead was away (and brought another notice). They are read from the notice's own
    date (its Date header, in the writer's zone) now."""
    ws, box = await world(mail)
    c = await campaign(ws, [box], steps=((0, False), (2, False)))
    thursday, next_week = await enroll(c, LEADS[:2], NOW)
    await plan_due(clock, c, [box])
    await send(outbox(mail, clock, transport, TestComposer()), box.id, mail)
    parents = {r.enrollment_id: r.message_id for r in await OutboundMessage.all()}
    clock.set(NOW + dt.timedelta(hours=1))
    written = clock.now().astimezone(ZoneInfo("Europe/Moscow"))  # as the lead's server stamps it
    with smtplib.SMTP(mail.host, mail.ports.mx, timeout=10) as smtp:
        for enrollment, subject, body in (
            (thursday, "Автоответ: в отпуске", "Добрый день! Я в отпуске, вернусь в четверг.\n"),
            (next_week, "Out of office", "Thanks for your email. I am away and will be back next week.\n"),
        ):
            notice = answer(LEADS[0] if enrollment is thursday else LEADS[1], ANNA, parents[enrollment.id], subject,
                            body, Auto_Submitted="auto-replied", Date=format_datetime(written))  # fmt: skip
            smtp.send_message(notice)
    mail.settle()

    result = await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=SyncOptions(timeout_s=10))

    assert result.kinds == {"auto_reply": 2}
    day = written.date()
    thu = next(day + dt.timedelta(days=n) for n in range(1, 8) if (day + dt.timedelta(days=n)).weekday() == 3)
    monday = day + dt.timedelta(days=7 - day.weekday())
    for enrollment, back in ((thursday, thu), (next_week, monday)):
        due = dt.datetime.combine(back, dt.time(), tzinfo=dt.UTC)
        assert due > clock.now()
        assert (await Enrollment.get(id=enrollment.id)).next_due_at == due


async def test_test_sends_go_to_the_managers_address_and_never_count_for_the_campaign(
    mail: MailServer, clock: FrozenClock, transport: SmtpTransport
) -> None:
    ws, box = await world(mail)
    c = await campaign(ws, [box], status=CampaignStatus.DRAFT)
    await OutboundMessage.create(
        kind=MessageKind.TEST, workspace_id=ws.id, mailbox_id=box.id, campaign_id=c.id, step_position=1,
        variant=0, message_id="<test.1@alpha.test>", body="user2@alpha.test", status=MessageStatus.QUEUED,
        scheduled_at=NOW,
    )  # fmt: skip
    await send(outbox(mail, clock, transport, TestComposer()), box.id, mail)
    assert [h["subject"] for h in arrived(mail)["user2@alpha.test"]] == ["Step 1 for user2@alpha.test"]
    assert (await counters(StatScope.CAMPAIGN, c.id, TODAY))["sent"] == 0
    assert (await counters(StatScope.MAILBOX, box.id, TODAY))["sent"] == 1


async def test_an_error_before_a_row_is_handed_over_gives_the_rest_of_the_batch_back(
    mail: MailServer, clock: FrozenClock, transport: SmtpTransport
) -> None:
    """The composer breaks down (not a template error: a bug, a lost database) on the second row of a batch: the
    first row is sent and recorded, the job fails, and the second row and the rest are `queued` again as before
    their claim, never left `sending` for recovery to guess about. The next job sends them, each once."""
    ws, box = await world(mail)
    c = await campaign(ws, [box])
    await enroll(c, LEADS[:3], NOW)
    await plan_due(clock, c, [box])

    class Crashing(TestComposer):
        async def __call__(self, row: CampaignRow) -> Composed:
            if len(self.calls) == 1:
                self.calls.append(row)
                raise RuntimeError("composer down")
            return await super().__call__(row)

    composer = Crashing()
    sender = outbox(mail, clock, transport, composer)
    await sender.sweep()
    with pytest.raises(RuntimeError, match="composer down"):
        await sender.send_mailbox(box.id)

    rows = await OutboundMessage.all().order_by("scheduled_at", "id")
    assert [(r.status, r.attempts) for r in rows] == [(MessageStatus.SENT, 1)] + [(MessageStatus.QUEUED, 0)] * 2
    assert all(r.claimed_at is None for r in rows[1:])
    await send(sender, box.id, mail)
    assert await OutboundMessage.filter(status=MessageStatus.SENT).count() == 3
    got = arrived(mail)
    assert sorted(got) == sorted(LEADS[:3]) and all(len(v) == 1 for v in got.values())


async def test_one_person_enrolled_twice_before_the_plus_tag_rule_gets_each_letter_once(
    mail: MailServer, clock: FrozenClock, transport: SmtpTransport
) -> None:
    """`user1@` in «Q1» and `user1+a@` (one inbox) in «Q2», both running, both enrolled before enrollment compared
    mailboxes, and `user2@` twice in «Q1» under two addresses: every row was planned and sent, and the person got
    each letter twice. At its claim a row yields to the person's enrollment that comes first (the one that wrote to
    them already, else the older): it is cancelled and its enrollment stopped, whichever row is claimed first."""
    ws, box = await world(mail)
    q1 = await campaign(ws, [box])
    q2 = await campaign(ws, [box], name="Q2")
    younger_first = await enroll(q2, ["user1+a@beta.test"], NOW)  # the older enrollment, in Q2
    plain, twin, alone = await enroll(q1, [LEADS[0], "user2+x@beta.test", LEADS[2]], NOW)
    [twin_plain] = await enroll(q1, [LEADS[1]], NOW)
    # the plain address had written to the person already (step 1 went out before): it comes first, though younger
    await Enrollment.filter(id=twin_plain.id).update(last_sent_at=NOW - dt.timedelta(days=3))
    for each in (q1, q2):
        await plan_due(clock, each, [box])
    await OutboundMessage.all().update(status=MessageStatus.QUEUED)
    sender = outbox(mail, clock, transport, TestComposer())

    await send(sender, box.id, mail)

    statuses = {r.enrollment_id: (r.status, r.smtp_reply) for r in await OutboundMessage.all()}
    yielded = (MessageStatus.CANCELLED, "cancelled: in another campaign")
    assert statuses[plain.id] == statuses[twin.id] == yielded
    assert {statuses[e.id][0] for e in (younger_first[0], twin_plain, alone)} == {MessageStatus.SENT}
    stopped = await Enrollment.filter(state=EnrollmentState.STOPPED).values_list("id", "stopped_reason")
    assert sorted(stopped) == sorted([(plain.id, "in_other_campaign"), (twin.id, "in_other_campaign")])
    assert sorted((k, len(v)) for k, v in arrived(mail).items()) == [(LEADS[0], 1), (LEADS[1], 1), (LEADS[2], 1)]

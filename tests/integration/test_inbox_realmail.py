"""Inbox sync against real-world mail in a real Dovecot: raw 8-bit and mislabelled headers, odd threading headers,
messages without a Message-ID, oversized messages, folders that come and go. Messages are filed with IMAP APPEND
as the bytes they are (no SMTP hop to tidy them up), then synced with the real code over real IMAP."""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import datetime as dt
import re
import smtplib
from collections.abc import AsyncIterator, Iterator
from email.policy import SMTP
from typing import Any

import aioimaplib
import pytest
from tortoise import connections

from bot.runner import Runner
from engine.access import SYSTEM
from engine.clock import FrozenClock
from engine.inbox import AUTO_REPLY_DELAY, SyncStatus, sweep, sync_mailbox
from engine.mail.imap import (
    HEADER_BYTES,
    Folder,
    ImapConnect,
    MailFolders,
    check_login,
    fetch_new,
    imap_session,
    quote_folder,
)
from engine.mail.providers import Credentials, Endpoint
from engine.stats import counters
from models import Enrollment, Event, FolderState, Lead, Mailbox, OutboundMessage, Suppression
from models.enums import (
    AuthKind,
    EnrollmentState,
    EventKind,
    LeadVerdict,
    MailboxStatus,
    MessageKind,
    MessageStatus,
    Platform,
    StatScope,
    SuppressionReason,
    TlsMode,
)
from tests.harness.faultproxy import ImapCutProxy, ImapLineDropProxy, ImapLineEditProxy
from tests.harness.mailserver import MailServer
from tests.integration.test_inbox import (
    ANNA,
    BOB,
    NOBODY,
    NOW,
    PASSWORD,
    VAULT,
    deliver,
    enrolled,
    mailbox,
    mark,
    message,
    options,
    sent_message,
    wait_for,
    workspace,
)

pytestmark = pytest.mark.usefixtures("orm")


IVAN, IVAN_PASSWORD = "ivan@alpha.test", "пароль-Ёлка"  # a correct password in Cyrillic


@pytest.fixture(scope="module")
def mail(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailServer]:
    users = [(f"user{n}@{d}", PASSWORD) for d in ("alpha.test", "beta.test") for n in (1, 2)] + [(IVAN, IVAN_PASSWORD)]
    with MailServer(tmp_path_factory.mktemp("mail"), domains=["alpha.test", "beta.test"], users=users) as s:
        yield s


@pytest.fixture(autouse=True)
def clean(mail: MailServer) -> None:
    mail.reset()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


def raw(text: str, charset: str = "ascii") -> bytes:
    """A message as bytes with CRLF line ends, in `charset` (headers included: nothing is RFC 2047-encoded)."""
    return text.replace("\n", "\r\n").encode(charset)


def b64(text: str, charset: str) -> str:
    return base64.b64encode(text.encode(charset)).decode("ascii")


async def file_raw(
    mail: MailServer, data: bytes, *, folder: str = "INBOX", address: str = ANNA, password: str = PASSWORD
) -> None:
    """APPEND the bytes to a folder, as they are."""
    client = aioimaplib.IMAP4(mail.host, mail.ports.imap, timeout=30)
    await client.wait_hello_from_server()
    await client.login(address, password)
    response = await client.append(data, mailbox=quote_folder(folder))
    await client.logout()
    assert response.result == "OK", response.lines


async def state_of(enrollment: Enrollment) -> EnrollmentState:
    return (await Enrollment.get(id=enrollment.id)).state


async def test_raw_8bit_and_mislabelled_subjects_are_read_in_their_charset(
    mail: MailServer, clock: FrozenClock
) -> None:
    """Russian mailers still write headers without RFC 2047: raw Windows-1251, KOI8-R or UTF-8 (RFC 6532), or
    encoded words that name the wrong or no known charset. Read as replacement characters, an "Автоответ" notice
    was a reply that stopped the sequence, and an "Отписаться" request was a reply that suppressed nobody."""
    ws = await workspace()
    box = await mailbox(mail, ws, ANNA)
    notices = {
        "cp1251": raw("Subject: Автоответ: Re: Вопрос\n", "cp1251"),
        "koi8-r": raw("Subject: Автоответ: Re: Вопрос\n", "koi8-r"),
        "mislabelled": raw(f"Subject: =?utf-8?B?{b64('Автоответ: Re: Вопрос', 'cp1251')}?=\n"),
        "unknown": raw(f"Subject: =?unknown-8bit?B?{b64('Автоответ: Re: Вопрос', 'utf-8')}?=\n"),
    }
    leads: dict[str, Enrollment] = {}
    for n, (name, subject) in enumerate(notices.items()):
        lead = f"notice{n}@beta.test"
        leads[name] = await enrolled(ws, lead, box)
        await sent_message(box, to=lead, message_id=f"<n{n}@alpha.test>", enrollment=leads[name])
        head = raw(f"From: {lead}\nTo: {ANNA}\nMessage-ID: <an{n}@beta.test>\nIn-Reply-To: <n{n}@alpha.test>\n")
        await file_raw(mail, head + subject + raw("\nМеня нет в офисе.\n", "utf-8"))
    opt_out = await enrolled(ws, "optout@beta.test", box)
    await sent_message(box, to="optout@beta.test", message_id="<o1@alpha.test>", enrollment=opt_out)
    request = "From: optout@beta.test\nTo: {ANNA}\nSubject: Отписаться\nIn-Reply-To: <o1@alpha.test>\n\n.\n"
    await file_raw(mail, raw(request.format(ANNA=ANNA), "utf-8"))

    result = await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=options(mail))

    assert result.status is SyncStatus.OK and result.kinds == {"auto_reply": 4, "unsubscribe": 1}
    for name, enrollment in leads.items():  # an absence notice delays the next step; it does not stop it
        stored = await Enrollment.get(id=enrollment.id)
        assert stored.state is EnrollmentState.ACTIVE, name
        assert stored.next_due_at is not None and stored.next_due_at >= NOW + AUTO_REPLY_DELAY, name
    assert await state_of(opt_out) is EnrollmentState.UNSUBSCRIBED
    assert await Suppression.filter(value="optout@beta.test", reason=SuppressionReason.UNSUBSCRIBE).exists()


async def test_an_html_only_absence_notice_delays_the_next_step_to_the_day_it_names(
    mail: MailServer, clock: FrozenClock
) -> None:
    """Outlook and Exchange send an out-of-office notice written in their editor as HTML only, and its subject may
    come encoded. The return day was read from text/plain parts and the raw subject alone: "в отпуске до 15 января"
    was never seen and the next step went out three days later, into the holiday. The HTML's text and the decoded
    subject are read now."""
    ws = await workspace()
    box = await mailbox(mail, ws, ANNA)
    notices = {
        "html": (
            "Subject: =?utf-8?B?" + b64("Автоматический ответ: Re: Поставки", "utf-8") + "?=\n"
            "Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
            + b64("<html><body><p>Добрый день!</p><p>Я в отпуске до 15&nbsp;января.</p></body></html>", "utf-8")
            + "\n"
        ),
        "subject": (
            "Subject: =?utf-8?B?" + b64("Автоответ: в отпуске до 20.01", "utf-8") + "?=\n"
            "Content-Type: text/plain; charset=utf-8\n\nМеня нет в офисе.\n"
        ),
    }
    leads: dict[str, Enrollment] = {}
    for n, (name, rest) in enumerate(notices.items()):
        lead = f"away{n}@beta.test"
        leads[name] = await enrolled(ws, lead, box)
        await sent_message(box, to=lead, message_id=f"<aw{n}@alpha.test>", enrollment=leads[name])
        head = f"From: {lead}\nTo: {ANNA}\nMessage-ID: <away{n}@beta.test>\nIn-Reply-To: <aw{n}@alpha.test>\n"
        await file_raw(mail, raw(head + "Auto-Submitted: auto-generated\nMIME-Version: 1.0\n" + rest, "utf-8"))

    result = await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=options(mail))

    assert result.kinds == {"auto_reply": 2}
    back = {"html": dt.date(NOW.year + 1, 1, 15), "subject": dt.date(NOW.year + 1, 1, 20)}
    for name, enrollment in leads.items():
        stored = await Enrollment.get(id=enrollment.id)
        assert stored.state is EnrollmentState.ACTIVE and stored.next_due_at is not None, name
        assert stored.next_due_at.astimezone(dt.UTC).date() == back[name], name


async def test_a_sender_name_with_a_comma_in_an_encoded_word_still_names_the_sender(
    mail: MailServer, clock: FrozenClock
) -> None:
    """`=?utf-8?B?...?= <ivan@…>` whose name decodes to "Петров, Иван" (what Python's own `formataddr` and many
    mailers write) was parsed after decoding, as two addresses, so the sender was unknown: a lead's answer in a new
    message was not matched to the mail sent to them, and an opt-out suppressed no one."""
    ws = await workspace()
    box = await mailbox(mail, ws, ANNA)
    name = f"=?utf-8?B?{b64('Петров, Иван', 'utf-8')}?="
    writer = await enrolled(ws, "ivan@beta.test", box)
    await sent_message(box, to="ivan@beta.test", message_id="<w1@alpha.test>", enrollment=writer)
    opt_out = await enrolled(ws, "olga@beta.test", box)
    await sent_message(box, to="olga@beta.test", message_id="<w2@alpha.test>", enrollment=opt_out)
    await file_raw(mail, raw(f"From: {name} <ivan@beta.test>\nTo: {ANNA}\nSubject: Question\n\nCall me.\n"))
    await file_raw(
        mail,
        raw(f"From: {name} <olga@beta.test>\nTo: {ANNA}\nSubject: unsubscribe\nIn-Reply-To: <w2@alpha.test>\n\n.\n"),
    )

    result = await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=options(mail))

    assert result.kinds == {"reply": 1, "unsubscribe": 1}
    assert await state_of(writer) is EnrollmentState.REPLIED
    assert await state_of(opt_out) is EnrollmentState.UNSUBSCRIBED
    assert await Suppression.filter(value="olga@beta.test").exists()
    reply = await Event.get(kind=EventKind.REPLY)
    assert reply.data["address"] == "ivan@beta.test" and reply.lead_id == writer.lead_id


async def test_mail_without_a_message_id_is_not_counted_again_after_a_uidvalidity_change(
    mail: MailServer, clock: FrozenClock
) -> None:
    """After a UIDVALIDITY change the folder is read again by date and what was recorded is recognised by its
    Message-ID. Mail without one (some autoresponders, hand-rolled scripts) was counted a second time."""
    ws = await workspace()
    box = await mailbox(mail, ws, ANNA)
    enrollment = await enrolled(ws, "lead@beta.test", box)
    await sent_message(box, to="lead@beta.test", message_id="<m1@alpha.test>", enrollment=enrollment)
    head = f"From: lead@beta.test\nTo: {ANNA}\nIn-Reply-To: <m1@alpha.test>\n"
    await file_raw(mail, raw(head + "Subject: Out of office\nAuto-Submitted: auto-replied\n\nAway.\n"))
    await file_raw(mail, raw(head + "Subject: Re: hello\n\nInterested, call me.\n"))
    first = await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=options(mail))
    assert first.kinds == {"auto_reply": 1, "reply": 1}

    mail.renumber(ANNA)
    again = await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=options(mail))

    assert again.status is SyncStatus.OK and again.kinds == {"auto_reply": 1, "reply": 1}  # read again ...
    assert sorted(await Event.all().values_list("kind", flat=True)) == ["auto_reply", "reply"]  # ... counted once
    day = await counters(StatScope.MAILBOX, box.id, NOW.date())
    assert (day["replies"], day["auto_replies"]) == (1, 1)


async def test_megabytes_of_headers_are_read_only_as_far_as_the_bound(mail: MailServer, clock: FrozenClock) -> None:
    """A message with megabytes of header lines (a broken mailer's, or a hostile one's) was fetched and parsed
    whole: seconds of the event loop and hundreds of MB for 25 MB of headers. Only the first `HEADER_BYTES` are
    read now, which still hold what the sync needs; a 25 MB body was bounded already (`fetch_bodies`)."""
    ws = await workspace()
    box = await mailbox(mail, ws, ANNA)
    enrollment = await enrolled(ws, "lead@beta.test", box)
    await sent_message(box, to="lead@beta.test", message_id="<h1@alpha.test>", enrollment=enrollment)
    padding = "".join(f"X-Trace-{n}: {'x' * 990}\n" for n in range(4_000))  # 4 MB of header lines
    head = f"From: lead@beta.test\nTo: {ANNA}\nSubject: Re: hello\nIn-Reply-To: <h1@alpha.test>\n"
    await file_raw(mail, raw(head + padding + "\nYes, let us talk.\n"))
    await file_raw(mail, raw(f"From: other@beta.test\nTo: {ANNA}\nSubject: hi\n" + padding + "\n" + "y" * 25_000_000))

    endpoint = Endpoint(mail.host, mail.ports.imap, TlsMode.PLAIN)
    async with imap_session(endpoint, Credentials(ANNA, AuthKind.PASSWORD, PASSWORD)) as session:
        batch = await fetch_new(session, "INBOX", None, since=None, limit=10)
    assert [m.size > 4_000_000 for m in batch.messages] == [True, True]
    assert all(len(m.headers) <= HEADER_BYTES for m in batch.messages)

    result = await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=options(mail))

    assert result.status is SyncStatus.OK and result.kinds == {"reply": 1, "other": 1}
    assert await state_of(enrollment) is EnrollmentState.REPLIED


@pytest.fixture(scope="module")
def plain_mail(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailServer]:
    """A server without special-use flags or auto-created folders, as older Russian providers are: the spam folder
    is known by its name ("Спам", in modified UTF-7 on the wire), and a deleted one stays deleted."""
    with MailServer(
        tmp_path_factory.mktemp("plain"), domains=["alpha.test"], users_per_domain=1, special_use=False
    ) as s:
        yield s


async def admin(mail: MailServer, command: str, argument: str) -> None:
    """A folder command from another client (the owner's mail app), outside the code under test."""
    client = aioimaplib.IMAP4(mail.host, mail.ports.imap, timeout=30)
    await client.wait_hello_from_server()
    await client.login(ANNA, PASSWORD)
    response = await client.protocol.simple_command(command, argument)
    await client.logout()
    assert response.result == "OK", response.lines


def deleted_after_list(mail: MailServer, folder: str) -> ImapConnect:
    """Real sessions in which another client deletes `folder` right after a LIST shows it: listed, not there."""

    @contextlib.asynccontextmanager
    async def connect(endpoint: Endpoint, credentials: Credentials, **kwargs: Any) -> AsyncIterator[MailFolders]:
        async with imap_session(endpoint, credentials, **kwargs) as session:
            listed = session.list_folders

            async def list_then_delete() -> list[Folder]:
                folders = await listed()
                if folder in {f.name for f in folders}:
                    await admin(mail, "DELETE", quote_folder(folder))
                return folders

            session.list_folders = list_then_delete  # type: ignore[method-assign]
            yield session

    return connect


async def test_a_spam_folder_deleted_between_list_and_select_does_not_keep_inbox_unread(
    plain_mail: MailServer, clock: FrozenClock
) -> None:
    """The spam folder went away between LIST and SELECT (the owner deleted it in their mail app): the whole sync
    failed, so a reply waiting in INBOX did not stop the sequence. INBOX is read all the same now."""
    await admin(plain_mail, "CREATE", quote_folder("Спам"))
    ws = await workspace()
    box = await mailbox(plain_mail, ws, ANNA)
    enrollment = await enrolled(ws, "lead@beta.test", box)
    await sent_message(box, to="lead@beta.test", message_id="<d1@alpha.test>", enrollment=enrollment)
    await file_raw(plain_mail, raw(f"From: lead@beta.test\nTo: {ANNA}\nIn-Reply-To: <d1@alpha.test>\n\nCall me.\n"))
    racing = dataclasses.replace(options(plain_mail), connect=deleted_after_list(plain_mail, "Спам"))

    result = await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=racing)

    assert (result.status, result.kinds) == (SyncStatus.OK, {"reply": 1})
    assert await state_of(enrollment) is EnrollmentState.REPLIED
    assert await FolderState.filter(mailbox=box).values_list("folder", flat=True) == ["INBOX"]

    await admin(plain_mail, "CREATE", quote_folder("Спам"))  # back again: found by its Russian name
    await file_raw(plain_mail, raw(f"From: x@beta.test\nTo: {ANNA}\nSubject: win\n\nSpam.\n"), folder="Спам")
    later = await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=options(plain_mail))
    assert (later.status, later.kinds) == (SyncStatus.OK, {"other": 1})
    assert sorted(await FolderState.filter(mailbox=box).values_list("folder", flat=True)) == ["INBOX", "Спам"]


@pytest.mark.parametrize("trigger", [b"BODY.PEEK[HEADER]", b"BODY.PEEK[]"])
async def test_a_connection_dropped_mid_fetch_loses_and_repeats_nothing(
    mail: MailServer, clock: FrozenClock, trigger: bytes
) -> None:
    """The server hangs up in the middle of a FETCH answer (inside a literal): the run fails as `dropped`, not as
    a login failure, records nothing and moves no position; the next run reads every message once."""
    ws = await workspace()
    async with ImapCutProxy(mail.ports.imap, trigger=trigger, after_bytes=300) as proxy:
        box = await mailbox(mail, ws, ANNA, imap_port=proxy.port)
        enrollment = await enrolled(ws, "lead@beta.test", box)
        await sent_message(box, to="lead@beta.test", message_id="<c1@alpha.test>", enrollment=enrollment)
        for n in range(3):
            body = f"From: lead@beta.test\nTo: {ANNA}\nIn-Reply-To: <c1@alpha.test>\nSubject: Re {n}\n\n{'z' * 3000}\n"
            await file_raw(mail, raw(body))

        cut = await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=options(mail))
        assert (cut.status, cut.key, proxy.cuts) == (SyncStatus.FAILED, "error-imap-dropped", 1)
        assert await Event.all().count() == 0 and await FolderState.filter(mailbox=box).count() == 0

        again = await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=options(mail))

    assert (again.status, again.kinds) == (SyncStatus.OK, {"reply": 3})
    assert await Event.filter(kind=EventKind.REPLY).count() == 3
    assert await state_of(enrollment) is EnrollmentState.REPLIED
    assert (await Mailbox.get(id=box.id)).auth_failures == 0


async def test_a_server_that_leaves_uidnext_out_of_select_still_has_its_new_mail_read(
    mail: MailServer, clock: FrozenClock
) -> None:
    """RFC 3501 requires `[UIDNEXT n]` in a SELECT answer, but some servers leave it out (Winmail Pro, 163.com,
    some hosting providers). Read as "the next UID is 0", every later run saw "nothing new" and reported a good
    sync: a lead's reply after the first run never stopped the sequence."""
    ws = await workspace()
    async with ImapLineDropProxy(mail.ports.imap, drop=re.compile(rb"^\* OK \[UIDNEXT \d+\]")) as proxy:
        box = await mailbox(mail, ws, ANNA, imap_port=proxy.port)
        enrollment = await enrolled(ws, "lead@beta.test", box)
        await sent_message(box, to="lead@beta.test", message_id="<u1@alpha.test>", enrollment=enrollment)
        await file_raw(mail, raw(f"From: news@beta.test\nTo: {ANNA}\nSubject: Weekly\n\nNews.\n"))
        first = await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=options(mail))
        assert (first.status, first.kinds) == (SyncStatus.OK, {"other": 1})

        await file_raw(mail, raw(f"From: lead@beta.test\nTo: {ANNA}\nIn-Reply-To: <u1@alpha.test>\n\nCall me.\n"))
        second = await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=options(mail))

    assert proxy.dropped >= 2  # the server's UIDNEXT never reached the sync
    assert (second.status, second.kinds) == (SyncStatus.OK, {"reply": 1})
    assert await state_of(enrollment) is EnrollmentState.REPLIED
    third = await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=options(mail))
    assert third.kinds == {} and await Event.filter(kind=EventKind.REPLY).count() == 1


async def test_a_message_delivered_twice_is_counted_once(mail: MailServer, clock: FrozenClock) -> None:
    """A sender's MTA that lost the answer to its final dot delivers the message again: the same Message-ID twice
    in INBOX. A bounce delivered twice counted two hard bounces against the mailbox (what the bounce-spike rule
    reads), and a reply twice two replies in the client's report, for one lead."""
    ws = await workspace()
    box = await mailbox(mail, ws, ANNA)
    replier = await enrolled(ws, "lead@beta.test", box)
    await sent_message(box, to="lead@beta.test", message_id="<t1@alpha.test>", enrollment=replier)
    gone = await enrolled(ws, "gone@beta.test", box)
    await sent_message(box, to="gone@beta.test", message_id="<t2@alpha.test>", enrollment=gone)
    reply = raw(f"From: lead@beta.test\nTo: {ANNA}\nMessage-ID: <r1@beta.test>\nIn-Reply-To: <t1@alpha.test>\n\nOk.\n")
    dsn = raw(
        f"From: MAILER-DAEMON@beta.test\nTo: {ANNA}\nMessage-ID: <b1@beta.test>\nSubject: Undelivered Mail\n"
        'MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
        "--B\nContent-Type: text/plain\n\nThe mail could not be delivered.\n\n"
        "--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.beta.test\n\n"
        "Final-Recipient: rfc822; gone@beta.test\nAction: failed\nStatus: 5.1.1\n"
        "Diagnostic-Code: smtp; 550 5.1.1 User unknown\n\n"
        "--B\nContent-Type: text/rfc822-headers\n\nMessage-ID: <t2@alpha.test>\n\n--B--\n"
    )
    for data in (reply, dsn, reply, dsn):
        await file_raw(mail, data)

    result = await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=options(mail))

    assert result.status is SyncStatus.OK
    assert sorted(await Event.all().values_list("kind", flat=True)) == ["bounce_hard", "reply"]
    day = await counters(StatScope.MAILBOX, box.id, NOW.date())
    assert (day["replies"], day["bounces_hard"]) == (1, 1)
    assert await state_of(replier) is EnrollmentState.REPLIED and await state_of(gone) is EnrollmentState.BOUNCED


async def test_a_nul_hidden_in_encoded_text_does_not_stop_the_sweep(mail: MailServer, clock: FrozenClock) -> None:
    """Anyone can mail a mailbox `In-Reply-To: =?utf-8?Q?<a=00b@x>?=`: plain ASCII on the wire, a NUL once decoded.
    The NUL went into the lookup of our messages, PostgreSQL refused it, and the whole sweep failed — that mailbox
    and every other read with it, on every run, so no reply stopped any sequence any more."""
    ws = await workspace()
    hit, other = await mailbox(mail, ws, ANNA), await mailbox(mail, ws, "user2@alpha.test")
    enrollment = await enrolled(ws, "lead@beta.test", other)
    await sent_message(other, to="lead@beta.test", message_id="<z1@alpha.test>", enrollment=enrollment)
    hostile = "From: x@beta.test\nTo: {to}\nMessage-ID: <=?utf-8?Q?m=00@x>?=\nIn-Reply-To: =?utf-8?Q?<a=00b@x>?=\n"
    await file_raw(mail, raw(hostile.format(to=ANNA) + "Subject: =?utf-8?Q?hi=00?=\n\nHi.\n"))
    original = b64("Message-ID: <q\x00q@alpha.test>\nTo: gone@beta.test\n", "ascii")  # base64 decodes to a NUL too
    report = (
        f"From: MAILER-DAEMON@beta.test\nTo: {ANNA}\nSubject: Undelivered Mail\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
        "--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.beta.test\n\n"
        "Final-Recipient: rfc822; gone@beta.test\nAction: failed\nStatus: 5.1.1\n\n"
        f"--B\nContent-Type: text/rfc822-headers\nContent-Transfer-Encoding: base64\n\n{original}\n--B--\n"
    )
    await file_raw(mail, raw(report))
    reply = "From: lead@beta.test\nTo: user2@alpha.test\nIn-Reply-To: <z1@alpha.test>\n\nCall me.\n"
    await file_raw(mail, raw(reply), address="user2@alpha.test")

    results = await sweep(SYSTEM, [hit.id, other.id], clock=clock, vault=VAULT, options=options(mail))

    assert [(r.status, r.kinds) for r in results] == [
        (SyncStatus.OK, {"other": 1, "bounce_hard": 1}),
        (SyncStatus.OK, {"reply": 1}),
    ]
    assert await state_of(enrollment) is EnrollmentState.REPLIED


def failing_for(address: str) -> ImapConnect:
    """Real sessions, except that reading `address`'s folders hits a fault of ours (a bug met by one mailbox's mail)."""

    @contextlib.asynccontextmanager
    async def connect(endpoint: Endpoint, credentials: Credentials, **kwargs: Any) -> AsyncIterator[MailFolders]:
        async with imap_session(endpoint, credentials, **kwargs) as session:
            if credentials.username == address:

                async def broken() -> list[Folder]:
                    raise KeyError("a bug of ours")

                session.list_folders = broken  # type: ignore[method-assign]
            yield session

    return connect


async def test_a_fault_of_ours_with_one_mailbox_fails_that_mailbox_not_the_sweep(
    mail: MailServer, clock: FrozenClock
) -> None:
    """Anything but an IMAP error in one mailbox's read (a bug met by its mail) failed the whole sweep: every other
    mailbox read with it lost its run, on every run. Now that mailbox alone fails, with a reference in the log and a
    message in words; the others are read and recorded."""
    ws = await workspace()
    broken, other = await mailbox(mail, ws, ANNA), await mailbox(mail, ws, "user2@alpha.test")
    enrollment = await enrolled(ws, "lead@beta.test", other)
    await sent_message(other, to="lead@beta.test", message_id="<k1@alpha.test>", enrollment=enrollment)
    reply = "From: lead@beta.test\nTo: user2@alpha.test\nIn-Reply-To: <k1@alpha.test>\n\nCall me.\n"
    await file_raw(mail, raw(reply), address="user2@alpha.test")
    faulty = dataclasses.replace(options(mail), connect=failing_for(ANNA))

    results = await sweep(SYSTEM, [broken.id, other.id], clock=clock, vault=VAULT, options=faulty)

    assert [(r.status, r.key) for r in results] == [
        (SyncStatus.FAILED, "error-imap-internal"),
        (SyncStatus.OK, "inbox-synced"),
    ]
    assert await state_of(enrollment) is EnrollmentState.REPLIED
    stored = await Mailbox.get(id=broken.id)
    assert stored.last_error == f"error-imap-internal: {results[0].detail}" and stored.auth_failures == 0
    assert (await Mailbox.get(id=other.id)).last_ok_at == clock.now()


LOGIN_OK = re.compile(rb"^(\S+) OK \[CAPABILITY [^\]]*\] Logged in[^\r\n]*")
LIMITS = {  # what a server says to a right password when the account is over its connection limit
    "gmail": rb"\1 NO [ALERT] Too many simultaneous connections. (Failure)",
    "rfc5530": rb"\1 NO [LIMIT] Connection limit reached for this account",
}


@pytest.mark.parametrize("answer", LIMITS.values(), ids=LIMITS.keys())
async def test_a_login_refused_for_too_many_connections_is_no_refused_password(
    mail: MailServer, clock: FrozenClock, answer: bytes
) -> None:
    """Gmail answers a right password with "NO [ALERT] Too many simultaneous connections" while the account has
    its 15 connections open (a rep's phone, a CRM, another tool reading the same mailbox); RFC 5530 servers say
    [LIMIT]. It counted as a refused login: the import said to check the password, and a few syncs in a row
    disabled a mailbox whose password was right, alerting "IMAP login failed 3 times". It is the server being
    unavailable now: no failure counts, and the next sync reads the mailbox."""
    ws = await workspace()
    async with ImapLineEditProxy(mail.ports.imap, pattern=LOGIN_OK, replacement=answer) as proxy:
        where = Endpoint(mail.host, proxy.port, TlsMode.PLAIN)
        check = await check_login(where, Credentials(ANNA, AuthKind.PASSWORD, PASSWORD), timeout=5)
        box = await mailbox(mail, ws, ANNA, imap_port=proxy.port)
        limited = dataclasses.replace(options(mail), auth_failure_limit=2)
        results = [await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=limited) for _ in "123"]

    assert proxy.edited >= 4
    assert (check.ok, check.key) == (False, "error-imap-unavailable") and "connection" in check.detail.lower()
    unavailable = (SyncStatus.FAILED, "error-imap-unavailable", False)
    assert [(r.status, r.key, r.disabled) for r in results] == [unavailable] * 3
    stored = await Mailbox.get(id=box.id)
    assert (stored.status, stored.imap_auth_failures, stored.auth_failures) == (MailboxStatus.WARMING, 0, 0)
    assert await Event.filter(kind=EventKind.AUTH_ERROR).count() == 0


async def test_a_correct_non_ascii_password_logs_in_where_the_server_has_no_sasl_ir(
    mail: MailServer, clock: FrozenClock
) -> None:
    """A password with non-Latin characters goes as SASL PLAIN. A server that does not announce SASL-IR (the
    response inside the command) had it refused before anything was sent, and that refusal counted as a failed
    login: the import said the server refused it, and three syncs disabled a mailbox whose password was right.
    The response now follows the server's challenge; a wrong password is still a refused login."""
    ws = await workspace()
    await file_raw(mail, raw(f"From: lead@beta.test\nTo: {IVAN}\nIn-Reply-To: <p1@alpha.test>\n\nCall me.\n"),
                   address=IVAN, password=IVAN_PASSWORD)  # fmt: skip
    async with ImapLineEditProxy(mail.ports.imap, pattern=re.compile(rb" SASL-IR\b", re.IGNORECASE)) as proxy:
        where = Endpoint(mail.host, proxy.port, TlsMode.PLAIN)
        imported = await check_login(where, Credentials(IVAN, AuthKind.PASSWORD, IVAN_PASSWORD), timeout=5)
        wrong = await check_login(where, Credentials(IVAN, AuthKind.PASSWORD, "пароль-Ель"), timeout=5)
        box = await mailbox(mail, ws, IVAN, password=IVAN_PASSWORD, imap_port=proxy.port)
        enrollment = await enrolled(ws, "lead@beta.test", box)
        await sent_message(box, to="lead@beta.test", message_id="<p1@alpha.test>", enrollment=enrollment)
        results = [await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=options(mail)) for _ in "123"]

    assert proxy.edited >= 1  # the server's SASL-IR never reached the client
    assert (imported.ok, imported.key) == (True, "imap-login-ok")
    assert (wrong.ok, wrong.key) == (False, "error-imap-auth") and "Ель" not in wrong.detail
    assert [(r.status, r.key) for r in results] == [(SyncStatus.OK, "inbox-synced")] * 3
    assert results[0].kinds == {"reply": 1} and await state_of(enrollment) is EnrollmentState.REPLIED
    stored = await Mailbox.get(id=box.id)
    assert (stored.status, stored.auth_failures) == (MailboxStatus.WARMING, 0)


NO_MOVE = re.compile(rb" MOVE(?=[ \]\r])")  # MOVE taken out of CAPABILITY: the client falls back to COPY
REFUSALS = {  # a command the real server then refuses: aimed at a folder that does not exist, or a bogus flag
    "MOVE": (None, re.compile(rb'^(\S+ UID MOVE \S+ )"INBOX"'), rb'\1"Nowhere"'),
    "COPY": (NO_MOVE, re.compile(rb'^(\S+ UID COPY \S+ )"INBOX"'), rb'\1"Nowhere"'),
    "STORE after COPY": (NO_MOVE, re.compile(rb"(\+FLAGS\.SILENT )\(\\Deleted\)"), rb"\1(\\Bogus)"),
}


@pytest.mark.parametrize("refused", list(REFUSALS))
async def test_a_server_refusing_the_spam_rescue_still_has_the_mailbox_read(
    mail: MailServer, clock: FrozenClock, refused: str
) -> None:
    """Warmup mail found in spam is moved to INBOX. A server that answered NO to the MOVE (or, without MOVE, to the
    COPY or the STORE of \\Deleted: a full INBOX, a provider's own rules) failed the whole read: INBOX went unread,
    so a lead's reply stopped nothing, no position moved, and the same refusal came back on every run. The refusal
    is now recorded on the message's event, which stays counted as spam, and the rest is read."""
    ws = await workspace()
    anna, bob = await mailbox(mail, ws, ANNA), await mailbox(mail, ws, BOB)
    await sent_message(bob, to=ANNA, message_id="<wr.1@alpha.test>", kind=MessageKind.WARMUP, peer=anna)
    await deliver(mail, mark(message(BOB, ANNA, "Lunch?", message_id="<wr.1@alpha.test>", X_Test_Spam="yes")),
                  folder="Junk")  # fmt: skip
    enrollment = await enrolled(ws, "lead@beta.test", anna)
    await sent_message(anna, to="lead@beta.test", message_id="<r1@alpha.test>", enrollment=enrollment)
    await file_raw(mail, raw(f"From: lead@beta.test\nTo: {ANNA}\nIn-Reply-To: <r1@alpha.test>\n\nCall me.\n"))
    capability, command, replacement = REFUSALS[refused]
    proxy = ImapLineEditProxy(mail.ports.imap, pattern=capability, command=command, command_replacement=replacement)
    async with proxy:
        await Mailbox.filter(id=anna.id).update(imap_port=proxy.port)
        result = await sync_mailbox(SYSTEM, anna.id, clock=clock, vault=VAULT, options=options(mail))
        again = await sync_mailbox(SYSTEM, anna.id, clock=clock, vault=VAULT, options=options(mail))

    assert proxy.edited >= 1
    assert result.status is SyncStatus.OK and again.kinds == {}
    assert await state_of(enrollment) is EnrollmentState.REPLIED
    assert sorted(await FolderState.filter(mailbox=anna).values_list("folder", flat=True)) == ["INBOX", "Junk"]
    if refused == "STORE after COPY":  # the copy reached INBOX: rescued, counted once; the original stays in spam
        assert (result.rescued, result.kinds) == (1, {"warmup": 2, "reply": 1})
        assert (mail.count(ANNA, "Junk"), mail.count(ANNA, "INBOX")) == (1, 2)
        assert "rescue" not in (await Event.get(kind=EventKind.WARMUP_SPAM)).data
    else:
        assert (result.rescued, result.kinds) == (0, {"warmup": 1, "reply": 1})
        assert (mail.count(ANNA, "Junk"), mail.count(ANNA, "INBOX")) == (1, 1)
        assert (await Event.get(kind=EventKind.WARMUP_SPAM)).data["rescue"] == "refused"
    assert not await Event.filter(kind=EventKind.WARMUP_INBOX).exists()


async def test_a_database_error_writing_one_mailbox_fails_that_mailbox_not_the_sweep(
    mail: MailServer, clock: FrozenClock
) -> None:
    """A batch whose write fails is written again mailbox by mailbox, but the one mailbox whose own write failed
    then raised, and the whole sweep failed with it: every other mailbox lost its run, on every run while that
    mail waited. Now that mailbox alone fails, with a logged reference; the others are recorded."""
    ws = await workspace()
    broken, other = await mailbox(mail, ws, ANNA), await mailbox(mail, ws, "user2@alpha.test")
    enrollment = await enrolled(ws, "lead@beta.test", other)
    await sent_message(other, to="lead@beta.test", message_id="<w1@alpha.test>", enrollment=enrollment)
    await file_raw(mail, raw("From: lead@beta.test\nTo: user2@alpha.test\nIn-Reply-To: <w1@alpha.test>\n\nYes.\n"),
                   address="user2@alpha.test")  # fmt: skip
    await file_raw(mail, raw(f"From: news@beta.test\nTo: {ANNA}\nSubject: Weekly\n\nNews.\n"))
    db = connections.get("default")  # PostgreSQL itself refuses the broken mailbox's rows
    await db.execute_script(f"ALTER TABLE folder_state ADD CONSTRAINT refuse_one CHECK (mailbox_id <> {broken.id})")
    try:
        results = await sweep(SYSTEM, [broken.id, other.id], clock=clock, vault=VAULT, options=options(mail))
    finally:
        await db.execute_script("ALTER TABLE folder_state DROP CONSTRAINT refuse_one")

    assert [(r.status, r.key) for r in results] == [
        (SyncStatus.FAILED, "error-imap-internal"),
        (SyncStatus.OK, "inbox-synced"),
    ]
    assert await state_of(enrollment) is EnrollmentState.REPLIED
    stored = await Mailbox.get(id=broken.id)
    assert stored.last_error == f"error-imap-internal: {results[0].detail}" and stored.auth_failures == 0
    assert await FolderState.filter(mailbox=broken).count() == 0 and await Event.filter(mailbox=broken).count() == 0


async def bare(mail: MailServer) -> None:
    """Empty, with INBOX its only folder (the folders earlier tests created are deleted, children first)."""
    mail.reset()
    endpoint = Endpoint(mail.host, mail.ports.imap, TlsMode.PLAIN)
    async with imap_session(endpoint, Credentials(ANNA, AuthKind.PASSWORD, PASSWORD)) as session:
        names = [f.name for f in await session.list_folders() if f.name != "INBOX"]
    for name in sorted(names, key=len, reverse=True):
        await admin(mail, "DELETE", quote_folder(name))


PROVIDER_SPAM_NAMES = (  # as the providers' IMAP servers list them when they have no special-use flags
    "Junk Email",  # Outlook.com, Microsoft 365
    "Junk E-mail",  # older Exchange
    "Bulk Mail",  # Yahoo, AOL
    "Bulk",  # Yahoo's IMAP
    "Нежелательная почта",  # Outlook in Russian
    "Спам",  # Mail.ru, Yandex, Rambler
    "[Gmail]/Spam",
    "Spamverdacht",  # GMX, WEB.DE
    "Небажана пошта",  # Outlook in Ukrainian
    "Courrier indésirable",  # Outlook in French
    "Wiadomości-śmieci",  # Outlook in Polish
)


async def test_spam_folders_named_as_real_providers_name_them_are_found(
    plain_mail: MailServer, clock: FrozenClock
) -> None:
    """Without special-use flags the spam folder is known by its name only; Outlook's "Junk Email", Yahoo's "Bulk"
    and GMX's "Spamverdacht" were not among the names, so their spam was never read: warmup mail there was neither
    rescued nor counted as spam, and the sender's placement read too high."""
    await bare(plain_mail)
    ws = await workspace()
    box = await mailbox(plain_mail, ws, ANNA)
    found: dict[str, tuple[dict[str, int], list[str]]] = {}
    for name in PROVIDER_SPAM_NAMES:
        await admin(plain_mail, "CREATE", quote_folder(name))
        await file_raw(plain_mail, raw(f"From: x@beta.test\nTo: {ANNA}\nSubject: win\n\nSpam.\n"), folder=name)
        result = await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=options(plain_mail))
        found[name] = (
            dict(result.kinds),
            sorted(await FolderState.filter(mailbox=box).values_list("folder", flat=True)),
        )
        await admin(plain_mail, "DELETE", quote_folder(name))
        await FolderState.filter(mailbox=box).delete()  # the next name is looked for afresh

    assert found == {name: ({"other": 1}, sorted(["INBOX", name])) for name in PROVIDER_SPAM_NAMES}


async def test_warmup_mail_of_a_mailbox_without_a_spam_folder_does_not_count_as_inbox_placement(
    plain_mail: MailServer, clock: FrozenClock
) -> None:
    """A mailbox with no spam folder to be found showed every warmup message it got as "in the inbox": what went to
    spam was never seen, so the sender's placement read 100 %. Such mail is still read and answered, but its
    placement is not counted (could not check) until a spam folder is found."""
    await bare(plain_mail)
    ws = await workspace()
    anna, bob = await mailbox(plain_mail, ws, ANNA), await mailbox(plain_mail, ws, BOB)
    for n in (1, 2):
        await sent_message(bob, to=ANNA, message_id=f"<wp.{n}@alpha.test>", kind=MessageKind.WARMUP, peer=anna)
    warm = mark(message(BOB, ANNA, "Lunch?", message_id="<wp.1@alpha.test>"))
    await file_raw(plain_mail, warm.as_bytes(policy=SMTP))

    blind = await sync_mailbox(SYSTEM, anna.id, clock=clock, vault=VAULT, options=options(plain_mail))

    assert (blind.status, blind.kinds) == (SyncStatus.OK, {"warmup": 1})
    assert not await Event.filter(kind__in=[EventKind.WARMUP_INBOX, EventKind.WARMUP_SPAM]).exists()
    day = await counters(StatScope.MAILBOX, bob.id, NOW.date())
    assert (day["warmup_inbox"], day["warmup_spam"]) == (0, 0)

    await admin(plain_mail, "CREATE", quote_folder("Junk Email"))  # now there is one to look in
    try:
        await file_raw(plain_mail, mark(message(BOB, ANNA, "Numbers", message_id="<wp.2@alpha.test>")).as_bytes(
            policy=SMTP))  # fmt: skip
        seen = await sync_mailbox(SYSTEM, anna.id, clock=clock, vault=VAULT, options=options(plain_mail))
    finally:
        await admin(plain_mail, "DELETE", quote_folder("Junk Email"))
    assert seen.kinds == {"warmup": 1}
    assert await Event.filter(kind=EventKind.WARMUP_INBOX, mailbox=bob).count() == 1


async def test_the_mailbox_card_says_when_its_inbox_was_read_and_whether_its_spam_folder_was_found(
    plain_mail: MailServer, clock: FrozenClock
) -> None:
    """A mailbox whose spam folder the sync cannot find measures no placement for the mail it gets (what went to spam
    is never seen), so its peers' placement stays "not enough data" and they wait to graduate: nothing said so, nor
    when its inbox was last read. Its card now says both, and names the spam folder once there is one."""
    await bare(plain_mail)
    ws = await workspace()
    anna = await mailbox(plain_mail, ws, ANNA)
    runner = Runner(clock, admins={Platform.TELEGRAM: {"1"}})
    person = runner.identity(Platform.TELEGRAM, "1", "admin", "en")
    await runner.run_line(person, "c1", "/use acme")

    unread = (await runner.run_line(person, "c1", f"/mailbox {ANNA}")).plain_text()
    await sync_mailbox(SYSTEM, anna.id, clock=clock, vault=VAULT, options=options(plain_mail))
    blind = (await runner.run_line(person, "c1", f"/mailbox {ANNA}")).plain_text()
    await admin(plain_mail, "CREATE", quote_folder("Спам"))
    try:
        await sync_mailbox(SYSTEM, anna.id, clock=clock, vault=VAULT, options=options(plain_mail))
        seen = (await runner.run_line(person, "c1", f"/mailbox {ANNA}")).plain_text()
        ru = runner.identity(Platform.TELEGRAM, "1", "admin", "ru")
        seen_ru = (await runner.run_line(ru, "c1", f"/mailbox {ANNA}")).plain_text()
    finally:
        await admin(plain_mail, "DELETE", quote_folder("Спам"))

    assert "Inbox read" not in unread
    assert "Inbox read 2026-11-28 15:00 MSK; no spam folder found" in blind
    assert 'Inbox read 2026-11-28 15:00 MSK; spam folder: "Спам"' in seen and "no spam folder" not in seen
    assert "Входящие прочитаны 2026-11-28 15:00 MSK; папка спама: «Спам»" in seen_ru


async def test_a_message_delivered_again_after_a_sync_is_counted_once(mail: MailServer, clock: FrozenClock) -> None:
    """The second copy of a bounce or a reply (same Message-ID) that arrives after a sync has run was counted again:
    two hard bounces against the mailbox for one address, two replies for one lead. It is recognised by the event
    recorded for the first copy; an autoresponder that stamps one Message-ID on every notice still has each lead's
    notice counted."""
    ws = await workspace()
    box = await mailbox(mail, ws, ANNA)
    replier = await enrolled(ws, "lead@beta.test", box)
    await sent_message(box, to="lead@beta.test", message_id="<a1@alpha.test>", enrollment=replier)
    gone = await enrolled(ws, "gone@beta.test", box)
    await sent_message(box, to="gone@beta.test", message_id="<a2@alpha.test>", enrollment=gone)
    away = [await enrolled(ws, f"away{n}@beta.test", box) for n in (1, 2)]
    for n, enrollment in enumerate(away, 1):
        await sent_message(box, to=f"away{n}@beta.test", message_id=f"<a3{n}@alpha.test>", enrollment=enrollment)
    reply = raw(f"From: lead@beta.test\nTo: {ANNA}\nMessage-ID: <ra@beta.test>\nIn-Reply-To: <a1@alpha.test>\n\nOk.\n")
    dsn = raw(
        f"From: MAILER-DAEMON@beta.test\nTo: {ANNA}\nMessage-ID: <ba@beta.test>\nSubject: Undelivered Mail\n"
        'MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
        "--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.beta.test\n\n"
        "Final-Recipient: rfc822; gone@beta.test\nAction: failed\nStatus: 5.1.1\n\n"
        "--B\nContent-Type: text/rfc822-headers\n\nMessage-ID: <a2@alpha.test>\n\n--B--\n"
    )

    def notice(n: int) -> bytes:  # one fixed Message-ID on every notice
        return raw(
            f"From: away{n}@beta.test\nTo: {ANNA}\nMessage-ID: <auto@beta.test>\nIn-Reply-To: <a3{n}@alpha.test>\n"
            "Subject: Out of office\nAuto-Submitted: auto-replied\n\nAway.\n"
        )

    for data in (reply, dsn, notice(1)):
        await file_raw(mail, data)
    first = await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=options(mail))
    for data in (reply, dsn, notice(2)):
        await file_raw(mail, data)
    second = await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=options(mail))

    assert (first.status, second.status) == (SyncStatus.OK, SyncStatus.OK)
    assert second.kinds == {"reply": 1, "bounce_hard": 1, "auto_reply": 1}  # read again ...
    kinds = sorted(await Event.all().values_list("kind", flat=True))
    assert kinds == ["auto_reply", "auto_reply", "bounce_hard", "reply"]  # ... counted once; each lead's notice
    day = await counters(StatScope.MAILBOX, box.id, NOW.date())
    assert (day["replies"], day["bounces_hard"], day["auto_replies"]) == (1, 1, 2)


async def test_a_colleague_answering_the_thread_without_its_headers_is_the_leads_reply(
    mail: MailServer, clock: FrozenClock
) -> None:
    """The lead forwards us to a colleague (or answers from another address of the company), who writes back from
    Outlook with only Thread-Index and Thread-Topic, "RE: FW: <our subject>" behind the gateway's "[EXTERNAL]". It
    referenced none of our Message-IDs and came from an address we never wrote to: `other`, dropped, and the lead
    got the next step. Mail from the lead's domain with the subject of the thread this mailbox sent that lead now
    answers it. A subject this mailbox sent to two people of one company names neither of them, mail on another
    subject is someone else's business, and a public mail service's users are no colleagues."""
    ws = await workspace()
    box = await mailbox(mail, ws, ANNA)
    lead = await enrolled(ws, "ivan@beta.test", box)
    await sent_message(box, to="ivan@beta.test", message_id="<c-step1@alpha.test>", enrollment=lead)
    step = {"kind": MessageKind.CAMPAIGN, "workspace": ws, "mailbox": box, "lead_id": lead.lead_id}
    await OutboundMessage.create(
        **step, enrollment=lead, step_position=1, message_id="<c-step2@alpha.test>", status=MessageStatus.SENT,
        subject="Re: Logistics for Beta", scheduled_at=NOW - dt.timedelta(hours=1), sent_at=NOW - dt.timedelta(hours=1),
    )  # fmt: skip
    step3 = await OutboundMessage.create(
        **step, enrollment=lead, step_position=2, message_id="<c-step3@alpha.test>", status=MessageStatus.PLANNED,
        subject="Re: Logistics for Beta", scheduled_at=NOW + dt.timedelta(days=3),
    )  # fmt: skip
    await OutboundMessage.filter(message_id="<c-step1@alpha.test>").update(subject="Logistics for Beta")
    shared = [await enrolled(ws, f"{name}@gamma.test", box) for name in ("anna", "boris")]
    for n, enrollment in enumerate(shared):
        sent = await sent_message(box, to="gamma.test", message_id=f"<c-g{n}@alpha.test>", enrollment=enrollment)
        await OutboundMessage.filter(id=sent.id).update(subject="Quick question")
    freemail = await enrolled(ws, "kate@gmail.com", box)
    sent = await sent_message(box, to="kate@gmail.com", message_id="<c-f1@alpha.test>", enrollment=freemail)
    await OutboundMessage.filter(id=sent.id).update(subject="Hello Kate")
    outlook = {"Thread_Topic": "Logistics for Beta", "Thread_Index": "AQHZxyz0aa1bb2cc3dd4ee5ff6"}
    await deliver(mail, message("Olga <olga@beta.test>", ANNA, "[EXTERNAL] RE: FW: Logistics for Beta",
                                "I handle logistics here, let us talk.\n", **outlook))  # fmt: skip
    await deliver(mail, message("petr@gamma.test", ANNA, "Re: Quick question", "Who is this for?\n"))
    await deliver(mail, message("hr@beta.test", ANNA, "Job application", "Hello.\n"))
    await deliver(mail, message("stranger@gmail.com", ANNA, "Re: Hello Kate", "Buy now.\n"))

    result = await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=options(mail))

    assert result.kinds == {"reply": 1, "other": 3}
    assert await state_of(lead) is EnrollmentState.REPLIED
    assert (await OutboundMessage.get(id=step3.id)).status is MessageStatus.CANCELLED
    reply = await Event.get(kind=EventKind.REPLY)
    assert (reply.lead_id, reply.data["address"]) == (lead.lead_id, "olga@beta.test")
    assert [await state_of(e) for e in [*shared, freemail]] == [EnrollmentState.ACTIVE] * 3


async def test_a_bounce_of_another_clients_message_never_stops_that_clients_lead(
    mail: MailServer, clock: FrozenClock
) -> None:
    """Postfix's DSN reaches one client's mailbox naming a Message-ID of another client's message (misrouted, or
    forged to hurt that client). The foreign message was never matched, but the address was suppressed for every
    workspace and the other client's lead marked invalid, so that client's sequence stopped at the next planning.
    It now suppresses the address for the receiving workspace only; the other client's lead is left alone."""
    ws, other_ws = await workspace(), await workspace("beta")
    box, theirs = await mailbox(mail, ws, ANNA), await mailbox(mail, other_ws, "user1@beta.test")
    own_lead = await enrolled(ws, NOBODY, box)
    their_lead = await enrolled(other_ws, NOBODY, theirs)
    their_mail = await sent_message(theirs, to=NOBODY, message_id="<b-cold.1@beta.test>", enrollment=their_lead)
    with smtplib.SMTP(mail.host, mail.ports.submission, timeout=10) as smtp:
        smtp.starttls(context=mail.ssl_context())
        smtp.login(ANNA, PASSWORD)
        smtp.send_message(message(ANNA, NOBODY, "Quick question", message_id="<b-cold.1@beta.test>"))
    await wait_for(lambda: mail.count(ANNA) == 1)

    result = await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=options(mail))

    assert result.kinds == {"bounce_hard": 1}
    event = await Event.get(kind=EventKind.BOUNCE_HARD)
    assert (event.workspace_id, event.message_id, event.lead_id) == (ws.id, None, None)
    assert await Suppression.filter(value=NOBODY).values_list("workspace_id", flat=True) == [ws.id]
    assert await state_of(own_lead) is EnrollmentState.BOUNCED  # this client's own lead at that address stops
    assert await state_of(their_lead) is EnrollmentState.ACTIVE
    assert (await OutboundMessage.get(id=their_mail.id)).status is MessageStatus.SENT
    assert (await Lead.get(id=their_lead.lead_id)).verdict is not LeadVerdict.INVALID

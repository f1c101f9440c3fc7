"""What real-world mail taught the classifier (held-out runs over public corpora, see tests/fixtures/mail/README.md):
servers' wordings, MTAs' guessed status codes, broken MIME, mislabelled charsets and hostile nesting. The classifier
never raises; what it cannot read is `other`."""

from __future__ import annotations

import time
from email import policy
from email.header import Header
from email.message import Message
from email.parser import BytesHeaderParser, BytesParser
from pathlib import Path

import pytest

from engine.mail.classify import (
    BounceReason,
    MailKind,
    bounce_reason,
    classify,
    header,
    needs_body,
    new_text,
    parse_message,
)

KNOWN = frozenset({"<cmp.41.1.a8f3@alpha.test>"})


@pytest.mark.parametrize(
    ("status", "diagnostic", "reason"),
    [
        ("5.0.0", "550-<r@example.net> is not a known user on this system", BounceReason.USER_UNKNOWN),
        ("5.0.0", "550 ** No mail box available for this user **", BounceReason.USER_UNKNOWN),
        ("5.0.0", "550 BAD_RECIPIENT - see http://www.example.ac.uk/undelivered", BounceReason.USER_UNKNOWN),
        ("5.0.0", "550-r@example.net is not an active address at this host", BounceReason.USER_UNKNOWN),
        ("5.7.1", "553 sorry, badrcptto(user mail-box not found) (#5.7.1)", BounceReason.USER_UNKNOWN),
        ("5.0.0", "[dest.example.com]: Name or service not known", BounceReason.HOST_UNKNOWN),
        ("5.4.4", "Name service error for name=a.b.c type=MX: Malformed or unexpected name server reply",
         BounceReason.NETWORK_ERROR),
        ("5.0.0", "550 Benutzer hat zuviele Mails auf dem Server. / User has too many messages on the server",
         BounceReason.MAILBOX_FULL),
        ("5.7.0", "The recipient mailbox has exceeded its disk space limit.", BounceReason.MAILBOX_FULL),
        ("5.0.0", "554 email rejected due to security policies - MCSpamSignature.sa.5.6", BounceReason.POLICY),
        ("5.0.0", "550 Your server requires confirmation. Visit http://example.com/Whitelist", BounceReason.BLOCKED),
        # Gmail's 5.2.1 is also "the recipient receives too much mail": x.2.1 is only a default the words refine
        ("5.2.1", "550-5.2.1 The user you are trying to contact is receiving mail at a rate that prevents additional "
         "messages from being delivered", BounceReason.RATE_LIMITED),
        ("5.2.1", "550 5.2.1 The email account that you tried to reach is disabled", BounceReason.MAILBOX_DISABLED),
        ("5.2.1", "550 5.2.1 <r@example.net>", BounceReason.MAILBOX_DISABLED),
        (None, "an MX or SRV record indicated no SMTP service", BounceReason.HOST_UNKNOWN),
        ("5.5.0", "554 The mail could not be delivered to the recipient because the domain is not reachable",
         BounceReason.HOST_UNKNOWN),
        ("5.0.0", "550 Unauthenticated senders not allowed (in reply to MAIL FROM command)", BounceReason.POLICY),
        ("5.7.1", "550 5.7.1 Unauthenticated email is not accepted from this domain", BounceReason.AUTH_FAILURE),
        (None, "The account or domain may not exist, they may be blacklisted, or missing the proper dns entries.",
         BounceReason.UNDEFINED),
        (None, "Failed to read response template /home/n/.tpl: No such file or directory", BounceReason.SYSTEM_ERROR),
        ("5.0.0", "500 Line limit exceeded", BounceReason.MESSAGE_TOO_LARGE),
        ("5.0.0", "554 INVALID IP FOR SENDING MAIL OF DOMAIN example.com", BounceReason.BLOCKED),
        # a local delivery program failed: Sendmail's words for its exit code are no refusal of us, the program's are
        ("5.3.0", "550 5.0.0 <r@example.net>... Insufficient permission", BounceReason.SYSTEM_ERROR),
        ("5.3.0", "maildrop: maildir over quota. 550 5.0.0 <r@example.net>... Insufficient permission",
         BounceReason.MAILBOX_FULL),
        ("5.2.0", 'procmail: Lock failure on "/var/mail/r.lock" procmail: Error while writing to "/var/mail/r"',
         BounceReason.SYSTEM_ERROR),
        (None, "451 Error: queue file write error", BounceReason.SYSTEM_ERROR),
        # Sendmail's answer for a domain with a null MX (RFC 7505), under a status it guessed
        (None, "550 Host does not accept mail", BounceReason.HOST_UNKNOWN),
        ("5.0.0", "550 This host does not accept mail from you", BounceReason.POLICY),
        # IMail: the mailbox is over its size, not the message
        (None, "User mailbox exceeds allowed size: r@example.net", BounceReason.MAILBOX_FULL),
        (None, "Message exceeds allowed size", BounceReason.MESSAGE_TOO_LARGE),
        # Office 365 names what made the queue give up in its code: the cause, not the expiry, is the reason
        ("5.4.312", "550 5.4.312 Message expired, DNS query failed", BounceReason.NETWORK_ERROR),
        ("5.4.316", "550 5.4.316 Message expired, connection refused(Socket error)", BounceReason.NETWORK_ERROR),
        ("5.4.310", "550 5.4.310 DNS domain example.net does not exist", BounceReason.HOST_UNKNOWN),
        ("5.0.0", "550 SC-004 (COL0-MC1-F1) Unfortunately, messages from 192.0.2.22 weren't sent. We recommend that "
         "you contact your Internet service provider. The problem is that too many unwanted messages have been sent "
         "from the following IP address above.", BounceReason.BLOCKED),
        ("5.0.0", "550 Unsolicited mail has been sent from your network", BounceReason.BLOCKED),
        # advice on what to set up is not the cause: the group refused the message as spam
        ("5.0.0", "Your email to group g@example.net was rejected due to spam classification. To address this issue: "
         "* Set up SPF records for your sending domain if you have not done so already.", BounceReason.SPAM_DETECTED),
        ("5.7.1", "550 5.7.1 SPF check failed. Please set up an SPF record", BounceReason.AUTH_FAILURE),
        ("5.7.1", "550 5.7.1 Sender domain does not publish an SPF record", BounceReason.AUTH_FAILURE),
        # the same wordings where they mean something else
        ("5.0.0", "552 This host does not accept mail larger than 10 MB", BounceReason.MESSAGE_TOO_LARGE),
        ("5.0.0", "550 Your message from 2024-01-01 was not delivered: mailbox full", BounceReason.MAILBOX_FULL),
    ],
)  # fmt: skip
def test_real_servers_wordings(status: str, diagnostic: str, reason: BounceReason) -> None:
    assert bounce_reason(status, diagnostic) is reason


@pytest.mark.parametrize(
    "diagnostic",
    ["SMTP error from remote mail server after end of data: host mx.example [192.0.2.1]: 550 : User unknown",
     "host mx.example[192.0.2.1] said: 550 No such user (in reply to end of DATA command)"],
)  # fmt: skip
def test_an_unknown_user_answered_after_the_message_is_a_refusal_of_the_message(diagnostic: str) -> None:
    """The server accepted the recipient at RCPT TO and refused only once it had read the message: a content filter
    that says "User unknown" (ezweb.ne.jp and others), which must never suppress the recipient."""
    assert bounce_reason("5.0.0", diagnostic) is BounceReason.POLICY


def test_a_refusal_at_the_greeting_that_names_no_cause_is_a_block_of_our_ip() -> None:
    """Before the greeting the server knows nothing of us but our IP address."""
    diagnostic = "connect to mx.example[192.0.2.1]: server refused to talk to me: 421 Service not available"
    assert bounce_reason("4.0.0", diagnostic) is BounceReason.BLOCKED
    assert bounce_reason("4.0.0", "connect to mx.example[192.0.2.1]: Connection timed out") is (
        BounceReason.NETWORK_ERROR
    )
    # Sendmail's transcript: the first answer after "... while talking to" replies to no command of ours
    prose = "... while talking to mx1.example.:\n<<< 554 mx1.example ESMTP not accepting connections\n>>> QUIT\n"
    assert bounce_reason("5.5.0", "554 mx1.example ESMTP not accepting connections", prose) is BounceReason.BLOCKED
    prose = "... while talking to mx1.example.:\n>>> RCPT To:<a@b.example>\n<<< 554 Service unavailable\n"
    assert bounce_reason("5.0.0", "554 Service unavailable", prose) is BounceReason.SYSTEM_ERROR


def test_an_unknown_user_in_a_transcript_after_data_is_a_refusal_of_the_message() -> None:
    """Courier and Sendmail show the answer to the message as the lines after ">>> DATA"; an unknown user refused
    at RCPT TO stays one."""
    after_data = (
        "<kijitora@example.jp>:\n    mx.example.jp [192.0.2.45]:\n>>> DATA\n<<< 550 Unknown user kijitora@example.jp\n"
    )
    assert bounce_reason("5.0.0", "550 Unknown user kijitora@example.jp", after_data) is BounceReason.POLICY
    at_rcpt = ">>> RCPT TO:<kijitora@example.jp>\n<<< 550 Unknown user\n>>> DATA\n<<< 554 No valid recipients\n"
    assert bounce_reason("5.0.0", "550 Unknown user", at_rcpt) is BounceReason.USER_UNKNOWN


def test_the_recipients_own_filter_is_no_unknown_user_whatever_the_code() -> None:
    """Facebook answers "5.1.1 RCP-P2 … Refused due to recipient preferences": the address exists."""
    diagnostic = (
        "550 5.1.1 RCP-P2 http://postmaster.facebook.com/response_codes#rcp Refused due to recipient preferences"
    )
    assert bounce_reason("5.1.1", diagnostic) is BounceReason.POLICY
    assert bounce_reason("5.1.1", "550 5.1.1 RCP-P1 Recipient address does not exist") is BounceReason.USER_UNKNOWN


_FORWARDED_BOUNCE = (
    b"From: MAILER-DAEMON@isp.example\r\nTo: us@alpha.test\r\nSubject: Undelivered Mail Returned to Sender\r\n"
    b"Content-Type: text/plain\r\n\r\nThe message returned below could not be delivered.\r\n"
    b"For further assistance, please contact <support@isp.example>\r\n\r\n"
    b"From MAILER-DAEMON  Thu Apr 29 23:34:45 2015\r\nReturn-Path: <>\r\n"
    b"From: MAILER-DAEMON@relay.isp.example (Mail Delivery System)\r\n\r\nThe mail system\r\n\r\n"
    b"<lead@beta.example> (expanded from\r\n    <alias@beta.example>): host mx.beta.example[192.0.2.1] said: "
    b"550 5.2.2 Mailbox full\r\n"
)


def test_a_bounce_quoted_inside_a_bounce_is_read_and_names_its_recipient() -> None:
    """A null Return-Path starts a quoted bounce, never the copy of our original; Postfix names an alias's target
    as "<address> (expanded from <alias>):"."""
    verdict = classify(parse_message(_FORWARDED_BOUNCE), KNOWN)
    assert verdict.reason is BounceReason.MAILBOX_FULL, verdict
    assert verdict.address == "lead@beta.example"


def test_a_status_the_reporting_mta_guessed_does_not_outvote_the_servers_words() -> None:
    """Sendmail writes 5.1.1 for any "550" to RCPT TO; the server said the message was too large (soft, not hard)."""
    assert bounce_reason("5.1.1", "550 RCPT TO:<f@a.b.c> max message size exceeded") is BounceReason.USER_UNKNOWN
    assert (
        bounce_reason("5.1.1", "550 RCPT TO:<f@a.b.c> max message size exceeded", trust_code=False)
        is BounceReason.MESSAGE_TOO_LARGE
    )
    raw = (
        b"From: Mail Delivery Subsystem <MAILER-DAEMON@mta.example>\r\nSubject: Delivery Status Notification\r\n"
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n--b\r\n"
        b"Content-Type: text/plain\r\n\r\nFailed.\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mta.example\r\n\r\nFinal-Recipient: rfc822; f@a.b.c\r\nAction: failed\r\n"
        b"Status: 5.1.1 (bad destination mailbox address)\r\n"
        b"Diagnostic-Code: smtp; 550 RCPT TO:<f@a.b.c> max message size exceeded\r\n--b--\r\n"
    )
    verdict = classify(parse_message(raw), KNOWN)
    assert verdict.kind is MailKind.BOUNCE_SOFT, verdict
    assert verdict.reason is BounceReason.MESSAGE_TOO_LARGE


_VERIZON = (
    b"From: post_master@vtext.example\r\nTo: us@alpha.test\r\nSubject: Re:Offer\r\n"
    b"In-Reply-To: <cmp.41.1.a8f3@alpha.test>\r\nContent-Type: text/plain\r\n\r\n"
    b"Error: Invalid user address\r\n\r\nError message below:\r\n"
    b"550 - Requested action not taken: no such user here\r\n\r\nMessage details:\r\n"
    b"  MAIL FROM: us@alpha.test\r\n  RCPT TO: lead@vtext.example\r\n"
)
_JIS_SUBJECT = "メールエラー通知".encode("iso-2022-jp")
_KDDI = (
    b"From: no-reply@ezweb.example\r\nTo: <us@alpha.test>\r\nSubject: " + _JIS_SUBJECT + b"\r\n"
    b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
    b"Your mail sent on: Thu, 29 Apr 2013 23:45:22 +0900\r\n     Could not be delivered to: <lead@ezweb.example>\r\n"
    b"     As their mailbox is full.\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n"
    b"From: us@alpha.test\r\nTo: lead@ezweb.example\r\nMessage-Id: <cmp.41.1.a8f3@alpha.test>\r\n\r\nHi\r\n--b--\r\n"
)
_POSTMASTER_TRANSCRIPT = (
    b"From: MAILER-DAEMON@mx.example (Mail Delivery System)\r\nTo: postmaster@mx.example (Postmaster)\r\n"
    b"Return-Path: <double-bounce@mx.example>\r\nSubject: Postfix SMTP server: errors from localhost[127.0.0.1]\r\n"
    b"\r\nTranscript of session follows.\r\n\r\n Out: 220 mx.example ESMTP\r\n In:  MAIL FROM:<us@alpha.test>\r\n"
    b" Out: 250 2.1.0 Ok\r\n In:  RCPT TO:<lead@beta.example>\r\n Out: 250 2.1.5 Ok\r\n In:  DATA\r\n"
    b" Out: 354 End data with <CR><LF>.<CR><LF>\r\n Out: 451 4.3.0 Error: queue file write error\r\n"
)


def test_a_daemon_that_answers_like_a_person_is_still_a_bounce() -> None:
    """Verizon's post_master answers "Re: <our subject>" In-Reply-To our message: never the lead's reply."""
    verdict = classify(parse_message(_VERIZON), KNOWN)
    assert verdict.kind is MailKind.BOUNCE_HARD, verdict
    assert (verdict.reason, verdict.address) == (BounceReason.USER_UNKNOWN, "lead@vtext.example")


def test_a_no_reply_notice_that_names_the_failed_recipient_is_a_bounce() -> None:
    """KDDI's notice comes from no-reply@ with a raw ISO-2022-JP subject ("mail error notice") and no bounce
    headers: the headers alone ask for the body, which names the recipient and the reason."""
    assert header(BytesHeaderParser().parsebytes(_KDDI), "Subject") == "メールエラー通知"
    assert needs_body(BytesHeaderParser().parsebytes(_KDDI), frozenset())
    verdict = classify(parse_message(_KDDI), KNOWN)
    assert verdict.kind is MailKind.BOUNCE_SOFT, verdict
    assert (verdict.reason, verdict.address) == (BounceReason.MAILBOX_FULL, "lead@ezweb.example")


def test_a_no_reply_notification_that_names_no_failed_recipient_is_no_bounce() -> None:
    raw = (
        b"From: no-reply@parcels.example\r\nTo: us@alpha.test\r\nSubject: Delivery failed: parcel 1234\r\n\r\n"
        b"Your parcel could not be delivered: nobody was at home. Questions? help@parcels.example\r\n"
    )
    assert classify(parse_message(raw), KNOWN).kind is MailKind.OTHER


def test_a_servers_transcript_to_its_postmaster_names_the_refused_recipient_and_the_failure() -> None:
    """The "250 2.1.5 Ok" lines of a transcript are no failure: the 451 after DATA is."""
    verdict = classify(parse_message(_POSTMASTER_TRANSCRIPT), KNOWN)
    assert verdict.kind is MailKind.BOUNCE_SOFT, verdict
    assert (verdict.status, verdict.reason) == ("4.3.0", BounceReason.SYSTEM_ERROR)
    assert verdict.address == "lead@beta.example"


_BROKEN_REPORT = (
    b"From: MAILER-DAEMON@mx.example (Mail Delivery System)\r\nSubject: Undelivered Mail Returned to Sender\r\n"
    b"Auto-Submitted: auto-replied\r\nContent-Type: multipart/report; report-type=delivery-status;\r\n"
    b'\tboundary="40F1.1312/mx.example" Message-Id: <2011@mx.example>\r\n\r\n'
    b"I'm sorry to have to inform you that your message could not\r\nbe delivered to one or more recipients.\r\n\r\n"
    b"<gf@sample.example>: host mail.sample.example[192.0.2.1] said: 550\r\n"
    b"    Probable Spam (in reply to end of DATA command)\r\n"
)


def test_a_bounce_whose_mime_is_broken_is_read_as_text_and_never_taken_for_an_auto_reply() -> None:
    verdict = classify(parse_message(_BROKEN_REPORT), KNOWN)
    assert verdict.kind is MailKind.BOUNCE_BLOCK, verdict
    assert verdict.address == "gf@sample.example"


def test_a_daemon_notice_without_facts_is_never_a_reply_or_an_absence() -> None:
    raw = (
        b"From: Mail Delivery System <MAILER-DAEMON@mx.example>\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        b"Auto-Submitted: auto-replied\r\nIn-Reply-To: <cmp.41.1.a8f3@alpha.test>\r\n\r\nSomething happened.\r\n"
    )
    assert classify(parse_message(raw), KNOWN).kind is MailKind.OTHER


def test_a_null_from_is_a_mailer_daemon() -> None:
    raw = (
        b"From: <>\r\nTo: bounces@alpha.test\r\nAuto-Submitted: auto-replied\r\n\r\n"
        b"You sent mail to a@b.example. That's not a valid user here.\r\n"
    )
    assert classify(parse_message(raw), KNOWN).kind in {MailKind.BOUNCE_HARD, MailKind.OTHER}


@pytest.mark.parametrize(
    "subject",
    ["[Automatyczna =?iso-8859-2?Q?odpowied=BC?=] test", "Automatische Antwort: Angebot", "Réponse automatique : x",
     "Respuesta automática: oferta", "自動返信: hello"],
)  # fmt: skip
def test_vacation_subjects_in_more_languages(subject: str) -> None:
    encoded = subject if subject.isascii() else Header(subject, "utf-8").encode()  # as mail carries it (RFC 2047)
    raw = f"From: p@example.pl\r\nSubject: {encoded}\r\nPrecedence: junk\r\n\r\nJestem na urlopie.\r\n".encode()
    assert classify(parse_message(raw), KNOWN).kind is MailKind.AUTO_REPLY


def test_an_acknowledgement_is_automatic_only_with_an_automation_header() -> None:
    head = b"From: John <john@example.com>\r\nSubject: Thank you for your e-mail\r\n"
    assert classify(parse_message(head + b"Precedence: bulk\r\n\r\nI will reply soon.\r\n"), KNOWN).kind is (
        MailKind.AUTO_REPLY
    )
    assert classify(parse_message(head + b"\r\nI will reply soon.\r\n"), KNOWN).kind is MailKind.OTHER


@pytest.mark.parametrize(
    ("charset", "encoding"),
    [("koi8-r", "koi8-r"), ("utf-8", "cp1251"), ("unknown-8bit", "cp1251"), ("x-no-such-charset", "cp1251")],
)
def test_russian_text_is_read_whatever_its_charset_label_says(charset: str, encoding: str) -> None:
    body = "Пожалуйста, отпишите меня.\r\n".encode(encoding)
    raw = (
        b"From: a@b.example\r\nIn-Reply-To: <cmp.41.1.a8f3@alpha.test>\r\n"
        + f"Content-Type: text/plain; charset={charset}\r\n\r\n".encode()
        + body
    )
    assert classify(parse_message(raw), KNOWN).kind is MailKind.UNSUBSCRIBE


def _nested_rfc822(depth: int) -> bytes:
    inner = b"From: x@y.example\r\nSubject: hi\r\n\r\nbody\r\n"
    for _ in range(depth):
        inner = (
            b"From: MAILER-DAEMON@x.example\r\nSubject: Undelivered Mail\r\nContent-Type: message/rfc822\r\n\r\n"
            + inner
        )
    return inner


def _nested_multipart(depth: int) -> bytes:
    body = b"Content-Type: text/plain\r\n\r\nx\r\n"
    for i in range(depth):
        body = f"Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n".encode() + body
        body += f"\r\n--b{i}--\r\n".encode()
    return b"From: a@b.example\r\n" + body


@pytest.mark.parametrize(
    "raw",
    [
        _nested_rfc822(2000),  # 180 KB: within the fetched first 256 KB, and past the parser's recursion limit
        _nested_multipart(2000),
        b"From: a@b.example\r\nContent-Type: multipart/mixed\r\n\r\nno boundary at all\r\n",
        b"Subject: a\r\nSubject: b\r\nFrom:\r\nFrom: \r\nContent-Type: multipart/report; boundary=\r\n\r\n",
        b"From: a@b.example\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!!====abc\r\n",
        b"From: a@b.example\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=ZZ=\r\n=C3\r\n",
        bytes(range(256)) * 400,
    ],
    ids=["rfc822-x2000", "multipart-x2000", "no-boundary", "dup-and-empty-headers", "bad-base64", "bad-qp", "binary"],
)
def test_hostile_or_broken_mail_never_raises(raw: bytes) -> None:
    """A message the parser cannot walk used to raise RecursionError out of inbox sync, failing the whole mailbox
    on every run; now it is parsed by its headers alone and classified, never raising."""
    started = time.perf_counter()
    verdict = classify(parse_message(raw), KNOWN)
    assert isinstance(verdict.kind, MailKind)
    assert time.perf_counter() - started < 2.0  # parsing a fetched (≤ 256 KB) message never stalls the loop long


def test_classify_itself_never_raises_on_a_message_too_deep_to_walk() -> None:
    msg = BytesParser(policy=policy.compat32).parsebytes(_nested_rfc822(50))
    node = msg
    for _ in range(50):  # make it deeper than the stack after parsing, as a hand-built message could be
        payload = node.get_payload()
        node = payload[0] if isinstance(payload, list) else node
    for _ in range(3000):
        node.set_payload([parse_message(b"From: MAILER-DAEMON@x.example\r\nContent-Type: message/rfc822\r\n\r\n")])
        node = node.get_payload()[0]
    assert classify(msg, KNOWN).kind is MailKind.OTHER


# ---------------------------------------------------------------------------------------------- batch 5: replies

MAIL = Path(__file__).resolve().parents[1] / "fixtures" / "mail"
_OUR_FOOTER = '\n\nIf you\'d rather not hear from me, reply "unsubscribe".\nЧтобы отписаться, ответьте «стоп».\n'


def _with_our_footer_quoted(sample: str, marker: str) -> Message:
    """A real reply (tests/fixtures/mail/reply) whose quoted original, written below `marker`, ends with the opt-out
    line our own outreach carries, as the client quotes it: without '>' marks."""
    raw = (MAIL / "reply" / sample).read_bytes().decode()
    head, _, body = raw.partition("\n\n")
    assert marker in body
    return BytesParser(policy=policy.default).parsebytes(f"{head}\n\n{body.rstrip()}{_OUR_FOOTER}".encode())


@pytest.mark.parametrize(
    ("sample", "marker"),
    [
        ("real_erp_outlook_pt_br_header.eml", "Enviada em:"),  # Outlook in Portuguese: De: / Enviada em: / Para:
        ("real_zerp_chinese_cancel_order.eml", "发件人:"),  # a Chinese client's 发件人: / 日期: / 收件人: / 主题:
    ],
)
def test_our_opt_out_footer_in_a_quoted_original_in_another_language_is_no_opt_out(sample: str, marker: str) -> None:
    """A lead's reply quoting our mail under a header block in another language was read to its end, so the
    opt-out footer of our own message made a person's answer an unsubscribe (the lead suppressed)."""
    verdict = classify(_with_our_footer_quoted(sample, marker), KNOWN)
    assert verdict.kind is MailKind.REPLY, verdict


@pytest.mark.parametrize(
    "quote",
    [
        "De : Bob <bob@alpha.test>\nEnvoyé : vendredi 27 juillet 2012 15:09\nÀ : lead@example.com\nObjet : Offre",
        "Von: Bob <bob@alpha.test>\nGesendet: Freitag, 27. Juli 2012 15:09\nAn: lead@example.com\nBetreff: Angebot",
        "Da: Bob <bob@alpha.test>\nInviato: venerdì 27 luglio 2012 15:09\nA: lead@example.com\nOggetto: Offerta",
        "-----Ursprüngliche Nachricht-----\nVon: Bob [mailto:bob@alpha.test]",
        "-------- Mensaje original --------",
        "Le mer. 29 juin 2022 à 12:32, Bob <bob@alpha.test> a écrit :",
        "Am Mo., 4. Juli 2022 um 08:13 Uhr schrieb Bob Smith:",
        "Il giorno lun 4 lug 2022 alle ore 08:12 Bob ha scritto:",
        "---- On Mon, 30 Nov 2026 10:00:00 +0300 Bob <bob@alpha.test> wrote ----",  # Zoho Mail
        "От кого: Bob <bob@alpha.test>\nКому: lead@example.test\nДата: Понедельник, 30 ноября 2026, 10:00",  # Mail.ru
        # Gmail wraps a long header onto a second line (the Chatwoot sample's "… test <" / "…@chatwoot.com> wrote:")
        "On Thu, Aug 19, 2021 at 2:07 PM Bob from Alpha Sales <\nbob@alpha.test> wrote:",
    ],
)
def test_quote_headers_in_other_languages_end_the_new_text(quote: str) -> None:
    assert new_text(f"Merci, mardi.\n\n{quote}\n\nHi, quick question.{_OUR_FOOTER}") == "Merci, mardi."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # "De:" opening a sentence, with no header block after it
        ("De: nada, fico feliz.\nQualquer coisa me avise.", "De: nada, fico feliz.\nQualquer coisa me avise."),
        # no date: a sentence, not a quote header
        ("Here is what she wrote:\nplease unsubscribe me", "Here is what she wrote:\nplease unsubscribe me"),
        # a header on its own line is not joined with the new text above it
        ("Please remove me from your list.\nOn Sat, Nov 28, 2026 at 12:03 PM Anna <a@alpha.test> wrote:\n> Hi",
         "Please remove me from your list."),
    ],
)  # fmt: skip
def test_lines_that_only_look_like_quote_headers_keep_the_new_text(text: str, expected: str) -> None:
    assert new_text(text) == expected


@pytest.mark.parametrize(
    "subject",
    ["Odpowiedź automatyczna: Oferta", "Automatická odpověď: Nabídka", "Automatisk svar: Tilbud",
     "Automatiskt svar: Offert", "Automatikus válasz: Ajánlat", "Автоматична відповідь: Пропозиція",
     "Răspuns automat: Ofertă", "Automatski odgovor: Ponuda", "Αυτόματη απάντηση: Προσφορά", "自动答复: 报价",
     "自動回覆: 報價", "自動応答: ご提案", "자동 회신: 제안", "Autoresponder: Offer"],
)  # fmt: skip
def test_outlooks_automatic_reply_subject_in_more_languages_answering_us_is_an_auto_reply(subject: str) -> None:
    """Outlook and Exchange write "Automatic reply:" in the mailbox's language; sent through a rule or a relay that
    drops Auto-Submitted, an absence notice in Polish, Czech, Danish, Chinese, Korean … answering our message was a
    reply, and a reply stops the sequence."""
    encoded = Header(subject, "utf-8").encode()
    raw = (
        f"From: p@example.test\r\nSubject: {encoded}\r\nIn-Reply-To: <cmp.41.1.a8f3@alpha.test>\r\n\r\n"
        "Back on Monday.\r\n"
    ).encode()
    assert classify(parse_message(raw), KNOWN).kind is MailKind.AUTO_REPLY


@pytest.mark.parametrize(
    ("headers", "answering_us", "detail"),
    [
        # Zimbra comments its keyword; the comment's ';' cut it to "auto-replied (zimbra", no longer the keyword
        ("Auto-Submitted: auto-replied (zimbra; vacation)", False, "auto-submitted: auto-replied"),
        ("Precedence: auto-reply", True, "precedence: auto_reply"),
        # an Exchange inbox rule answered with a template: no Auto-Submitted, no vacation subject
        ("X-MS-Exchange-Inbox-Rules-Loop: lead@example.test", True, "x-ms-exchange-inbox-rules-loop"),
    ],
)
def test_automation_headers_as_servers_write_them(headers: str, answering_us: bool, detail: str) -> None:
    thread = "In-Reply-To: <cmp.41.1.a8f3@alpha.test>\r\n" if answering_us else ""
    raw = f"From: p@example.test\r\nSubject: Re: Offer\r\n{thread}{headers}\r\n\r\nThanks for your mail.\r\n"
    verdict = classify(parse_message(raw.encode()), KNOWN)
    assert (verdict.kind, verdict.detail) == (MailKind.AUTO_REPLY, detail)


def test_an_exchange_rules_header_on_mail_that_answers_nothing_of_ours_decides_nothing() -> None:
    raw = b"From: p@example.test\r\nSubject: Hello\r\nX-MS-Exchange-Inbox-Rules-Loop: p@example.test\r\n\r\nHi\r\n"
    assert classify(parse_message(raw), KNOWN).kind is MailKind.OTHER


def _answer(text: str) -> Message:
    """A lead's answer to our message, quoting it (with its opt-out footer) as Gmail does."""
    quoted = "".join(f"> {line}\n" for line in f"Hi, quick question.{_OUR_FOOTER}".splitlines())
    raw = (
        "From: Lead <lead@example.test>\nTo: bob@alpha.test\nSubject: Re: Offer\n"
        "In-Reply-To: <cmp.41.1.a8f3@alpha.test>\nContent-Type: text/plain; charset=utf-8\n\n"
        f"{text}\n\nOn Mon, Nov 30, 2026 at 10:00 AM Bob <bob@alpha.test> wrote:\n{quoted}"
    )
    return BytesParser(policy=policy.default).parsebytes(raw.encode())


@pytest.mark.parametrize(
    "text",
    ["Please remove my email from your list.", "Remove from mailing list", "Opt me out please.",
     "Not interested. Please stop.", "Уберите из рассылки.", "Не интересно, вычеркните меня из списка.",
     "Bitte austragen.", "Bitte nehmen Sie mich aus dem Verteiler.", "Merci de me désabonner.",
     "Por favor, darme de baja.", "Vi prego di disiscrivermi.", "Favor me descadastrar."],
)  # fmt: skip
def test_opt_out_answers_in_more_wordings_and_languages(text: str) -> None:
    """A lead asking to be taken off the list in words the rules did not know was a plain reply: the sequence
    stopped, but the address was not suppressed and the next campaign wrote again."""
    verdict = classify(_answer(text), KNOWN)
    assert verdict.kind is MailKind.UNSUBSCRIBE, verdict


@pytest.mark.parametrize(
    "text",
    ["Please remove me from the CC and add Anna, she handles this.", "Please stop by our booth on Tuesday.",
     "Ich muss mich für Montag leider abmelden, passt Dienstag?", "We'd like to opt into the pilot."],
)  # fmt: skip
def test_answers_that_only_sound_like_opt_outs_stay_replies(text: str) -> None:
    assert classify(_answer(text), KNOWN).kind is MailKind.REPLY


@pytest.mark.parametrize(
    ("subject", "text"),
    [
        ("Read: Offer", "Your message\n\n  To: Lead\n  Subject: Offer\n  Sent: Monday, November 30, 2026 10:00\n\n"
         "was read on Monday, November 30, 2026 11:00."),
        ("Прочитано: Offer", "Ваше сообщение\n\n  Кому: Lead\n  Тема: Offer\n\nбыло прочитано 30.11.2026 11:00."),
        ("Gelesen: Offer", "Ihre Nachricht\n\n  An: Lead\n  Betreff: Offer\n\nwurde am 30.11.2026 11:00 gelesen."),
        ("Not read: Offer", "Your message\n\n  To: Lead\n  Subject: Offer\n\nwas deleted without being read."),
        ("Return Receipt (displayed) - Offer", "This is a Return Receipt for the mail you sent to l@example.test."),
    ],
)  # fmt: skip
def test_a_read_receipt_sent_as_plain_mail_is_no_reply(subject: str, text: str) -> None:
    """The real RFC 8098 receipt (flanker's) was already 'other'; a client that sends its receipt as plain mail
    answering our Message-ID made it a reply, and a reply stops the sequence."""
    raw = (
        f"From: Lead <lead@example.test>\nSubject: {Header(subject, 'utf-8').encode()}\n"
        f"In-Reply-To: <cmp.41.1.a8f3@alpha.test>\nContent-Type: text/plain; charset=utf-8\n\n{text}\n"
    )
    verdict = classify(BytesParser(policy=policy.default).parsebytes(raw.encode()), KNOWN)
    assert verdict.kind is MailKind.OTHER, verdict


def test_a_reply_about_reading_is_still_a_reply() -> None:
    raw = (
        b"From: Lead <lead@example.test>\nSubject: Re: Offer\nIn-Reply-To: <cmp.41.1.a8f3@alpha.test>\n\n"
        b"I have read your offer and it was read by my team too. Let's talk.\n"
    )
    assert classify(parse_message(raw), KNOWN).kind is MailKind.REPLY


def _answer(text: str) -> Message:
    raw = "From: Ivan <ivan@lead.example>\r\nSubject: Re: Offer\r\nIn-Reply-To: <cmp.41.1.a8f3@alpha.test>\r\n"
    raw += f"Content-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n\r\nС уважением, Иван\r\n"
    return parse_message(raw.encode())


@pytest.mark.parametrize(
    "text",
    ["Прошу исключить меня из рассылки", "Прошу удалить меня из базы", "Удалите мои данные",
     "Прошу удалить мои персональные данные", "Уберите мой адрес из рассылки",
     "Уберите, пожалуйста, меня из вашей базы",
     "Отзываю согласие на обработку персональных данных", "Не хочу получать ваши письма", "Хватит спамить",
     "Прекратите присылать мне письма", "Перестаньте мне писать", "Не надо мне писать", "Прошу прекратить рассылку",
     "Прошу больше не направлять мне писем", "Стоп", "STOP!", "Delete my data", "Please delete my email address",
     "I withdraw my consent"],
)  # fmt: skip
def test_a_lead_asking_to_stop_in_other_words_is_an_unsubscribe(text: str) -> None:
    """These answers to our mail were replies: the sequence stopped, but nobody was suppressed, so the next
    campaign or a re-import wrote to a person who had asked to stop (38-FZ art. 18) or withdrawn consent (152-FZ
    art. 9); "Стоп" followed by a signature missed the whole-message rule."""
    assert classify(_answer(text), KNOWN).kind is MailKind.UNSUBSCRIBE


@pytest.mark.parametrize(
    "text",
    ["Удалите мою заявку от вторника, пришлю новую", "Уберите меня из копии, пожалуйста",
     "Удалите, пожалуйста, дубли из базы", "Хватит писать общими словами, пришлите цену",
     "Не надо мне звонить, пишите на почту", "Stop by our booth tomorrow",
     "Стоп-лист у нас пустой"],
)  # fmt: skip
def test_answers_that_only_share_words_with_an_opt_out_stay_replies(text: str) -> None:
    assert classify(_answer(text), KNOWN).kind is MailKind.REPLY


def test_a_quoted_message_id_is_never_the_failed_recipient() -> None:
    """A plain-text bounce that names no recipient line and quotes the original's headers with no known marker: the
    Message-ID there looks like an address but is none; the original's To is the recipient."""
    raw = (
        b"From: MAILER-DAEMON <>\r\nTo: us@sender.test\r\nSubject: Mail delivery failed\r\n\r\n"
        b"Delivery failed: 550 5.1.1 user unknown\r\n\r\nThe headers of your mail were:\r\n\r\n"
        b"Message-Id: <66681288.e06d1.3824794@mta.sender.test>\r\nTo: <gone@example.net>\r\n"
        b"From: <us@sender.test>\r\n"
    )
    verdict = classify(BytesParser(policy=policy.compat32).parsebytes(raw), KNOWN)
    assert verdict.kind is MailKind.BOUNCE_HARD
    assert verdict.address == "gone@example.net"

"""Pure classification of SMTP answers and client-side failures into what the send layer must do."""

from __future__ import annotations

import datetime as dt
import socket
import ssl

import aiosmtplib
import pytest

from engine.mail.imap import ImapError, ImapErrorKind
from engine.mail.smtp import (
    DAILY_LIMIT_COOLDOWN,
    SPAM_COOLDOWN,
    THROTTLE_COOLDOWN,
    Outcome,
    Phase,
    classify_exception,
    classify_reply,
    enhanced_status,
    retry_delay,
)

A, R, D, M, AUTH = Phase.AUTH, Phase.RCPT, Phase.DATA, Phase.MAIL, Phase.AUTH

CASES = [
    # accepted
    (250, "2.0.0 Ok: queued as 4Z9kLm", D, Outcome.ACCEPTED, "smtp-accepted"),
    # Yandex: spam verdicts, at DATA and even at AUTH (the password is right, the mailbox is blocked)
    (554, "5.7.1 [2] Message rejected under suspicion of SPAM; https://ya.cc/1IrBc 1631900360-h4Ajl35YEe", D,
     Outcome.SPAM_REJECTED, "smtp-spam-rejected"),
    (535, "5.7.8 Error: authentication failed: Your message looks like spam. You need to use web for sending or "
          "prove you are not a robot using the following link http://ya.cc/xyz", A,
     Outcome.SPAM_REJECTED, "smtp-spam-rejected"),
    # Yandex: encryption required; bad password; IMAP/SMTP access switched off for the user
    (530, "5.7.7 Email sending without SSL/TLS encryption is not allowed.", A, Outcome.CONNECTION,
     "smtp-tls-required"),
    (535, "5.7.8 Error: authentication failed: Invalid user or password!", A, Outcome.AUTH_FAILED,
     "smtp-auth-failed"),
    (535, "5.7.8 Error: authentication failed: This user does not have access rights to this service", A,
     Outcome.AUTH_FAILED, "smtp-auth-no-access"),
    # Mail.ru: app password required (transliterated Russian + English)
    (535, "5.7.0 NEOBHODIM parol prilozheniya https://help.mail.ru/mail/security/protection/external / "
          "Application password is REQUIRED", A, Outcome.AUTH_FAILED, "smtp-auth-app-password"),
    (454, "4.7.0 Temporary authentication failure", A, Outcome.TRANSIENT, "smtp-auth-temporary"),
    # rate and daily limits
    (451, "4.5.1 Ratelimit: recipient exceeded their message rate limit", R, Outcome.THROTTLED, "smtp-throttled"),
    (450, "4.7.1 Error: too much mail from user3@alpha.test", M, Outcome.THROTTLED, "smtp-throttled"),
    (450, "4.7.1 <END-OF-MESSAGE>: End-of-data rejected: Number messages per hour exceeded. Error:RATE_MSG", D,
     Outcome.THROTTLED, "smtp-throttled"),
    (550, "5.4.5 Daily user sending quota exceeded.", M, Outcome.THROTTLED, "smtp-throttled"),
    (554, "5.7.1 Превышен лимит отправки писем", D, Outcome.THROTTLED, "smtp-throttled"),
    # temporary
    (451, "4.7.1 Service temporarily unavailable, try again later", R, Outcome.TRANSIENT, "smtp-transient"),
    (450, "4.2.0 <lead@client.example>: Recipient address rejected: Greylisted, see http://postgrey.x", R,
     Outcome.TRANSIENT, "smtp-greylisted"),
    (452, "4.2.2 Mailbox full", R, Outcome.TRANSIENT, "smtp-mailbox-full"),
    (552, "5.2.2 <lead@client.example>: mailbox is over quota", R, Outcome.TRANSIENT, "smtp-mailbox-full"),
    (421, "4.4.2 Connection dropped during data transfer", D, Outcome.TRANSIENT, "smtp-server-closing"),
    # recipient hard bounces: suppress
    (550, "5.1.1 <nobody@client.example>: Recipient address rejected: User unknown in virtual mailbox table", R,
     Outcome.PERMANENT, "smtp-recipient-rejected"),
    (550, "Mailbox unavailable", R, Outcome.PERMANENT, "smtp-recipient-rejected"),
    (550, "5.2.1 The email account that you tried to reach is disabled.", R, Outcome.PERMANENT,
     "smtp-recipient-rejected"),
    (553, "5.1.3 Bad recipient address syntax", R, Outcome.PERMANENT, "smtp-recipient-rejected"),
    # not the recipient's fault: never suppress
    (553, "5.7.1 <x@other.example>: Sender address rejected: not owned by user user1@alpha.test", R,
     Outcome.REJECTED, "smtp-sender-rejected"),
    (550, "5.7.1 Relay access denied", R, Outcome.REJECTED, "smtp-policy-rejected"),
    (552, "5.3.4 Message size exceeds fixed limit", D, Outcome.REJECTED, "smtp-message-too-large"),
    (552, "5.2.3 Message length exceeded administrative limit", D, Outcome.REJECTED, "smtp-message-too-large"),
    (554, "5.6.0 Malformed message", D, Outcome.REJECTED, "smtp-message-rejected"),
    (501, "5.1.7 Bad sender address syntax", M, Outcome.REJECTED, "smtp-sender-rejected"),
    # content filters and blocklists
    (550, "5.7.1 Message content rejected", D, Outcome.SPAM_REJECTED, "smtp-spam-rejected"),
    (554, "5.7.1 Message rejected: sender flagged as spam", R, Outcome.SPAM_REJECTED, "smtp-spam-rejected"),
    (554, "5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org (blocklist)",
     Phase.CONNECT, Outcome.SPAM_REJECTED, "smtp-spam-rejected"),
    (554, "No SMTP service here", Phase.CONNECT, Outcome.CONNECTION, "smtp-greeting-rejected"),
]  # fmt: skip


@pytest.mark.parametrize(("code", "text", "phase", "outcome", "key"), CASES)
def test_reply_classification(code: int, text: str, phase: Phase, outcome: Outcome, key: str) -> None:
    result = classify_reply(code, text, phase)
    assert (result.outcome, result.key) == (outcome, key)
    assert (result.code, result.phase) == (code, phase)


def test_enhanced_status_is_read_from_the_start_only() -> None:
    assert enhanced_status("5.7.1 [2] Message rejected") == "5.7.1"
    assert enhanced_status("4.2.2 Mailbox full") == "4.2.2"
    assert enhanced_status("Mailbox unavailable 5.1.1") is None
    assert enhanced_status("6.1.1 nonsense") is None
    assert classify_reply(550, "5.1.1 User unknown", R).enhanced == "5.1.1"


def test_server_text_is_one_bounded_line_without_url_passwords() -> None:
    result = classify_reply(550, "5.7.1 see\r\n  https://admin:hunter2@ya.cc/x " + "y" * 1000, D)
    assert "\n" not in result.text
    assert "hunter2" not in result.text
    assert len(result.text) <= 300


def test_backoff_doubles_and_is_capped() -> None:
    assert [retry_delay(n) for n in range(4)] == [dt.timedelta(minutes=m) for m in (5, 10, 20, 40)]
    assert retry_delay(50) == dt.timedelta(hours=6)
    assert retry_delay(-1) == dt.timedelta(minutes=5)
    assert classify_reply(451, "4.7.1 try later", R, attempt=2).retry_after == dt.timedelta(minutes=20)


def test_cooldowns_follow_the_kind_of_limit() -> None:
    assert classify_reply(450, "4.7.1 too much mail", M).retry_after == THROTTLE_COOLDOWN
    assert classify_reply(550, "5.4.5 Daily sending quota exceeded", M).retry_after == DAILY_LIMIT_COOLDOWN
    assert classify_reply(554, "5.7.1 suspicion of SPAM", D).retry_after == SPAM_COOLDOWN
    assert classify_reply(550, "5.1.1 User unknown", R).retry_after is None
    assert classify_reply(535, "5.7.8 authentication failed", A).retry_after is None
    assert classify_reply(530, "5.7.7 TLS required", A).retry_after is None  # settings must change first


def test_params_for_the_localized_message() -> None:
    result = classify_reply(450, "4.7.1 too much mail", M)
    assert result.params() == {"code": "450", "enhanced": "4.7.1", "text": "4.7.1 too much mail", "phase": "mail",
                               "minutes": "60"}  # fmt: skip


# --------------------------------------------------------------------------------------------- exceptions


def _wrapped(outer: Exception, cause: BaseException) -> Exception:
    outer.__cause__ = cause
    return outer


EXCEPTIONS = [
    (aiosmtplib.SMTPRecipientRefused(550, "5.1.1 User unknown", "x@y.example"), R, Outcome.PERMANENT,
     "smtp-recipient-rejected"),
    (aiosmtplib.SMTPAuthenticationError(535, "5.7.8 Error: authentication failed"), A, Outcome.AUTH_FAILED,
     "smtp-auth-failed"),
    (aiosmtplib.SMTPDataError(421, "4.4.2 Connection dropped"), D, Outcome.TRANSIENT, "smtp-server-closing"),
    (_wrapped(aiosmtplib.SMTPConnectError("Error connecting"), ConnectionRefusedError(111, "refused")),
     Phase.CONNECT, Outcome.CONNECTION, "smtp-connect-refused"),
    (_wrapped(aiosmtplib.SMTPConnectError("Error connecting"), socket.gaierror(-2, "Name or service not known")),
     Phase.CONNECT, Outcome.CONNECTION, "smtp-host-unknown"),
    (aiosmtplib.SMTPConnectTimeoutError("Timed out connecting to 192.0.2.1 on port 465"), Phase.CONNECT,
     Outcome.CONNECTION, "smtp-connect-timeout"),
    (aiosmtplib.SMTPConnectTimeoutError("Timed out waiting for server ready message"), Phase.CONNECT,
     Outcome.CONNECTION, "smtp-no-greeting"),
    (_wrapped(aiosmtplib.SMTPConnectError("Error connecting"), ssl.SSLCertVerificationError(1, "self-signed")),
     Phase.CONNECT, Outcome.CONNECTION, "smtp-tls-certificate"),
    (aiosmtplib.SMTPException("SMTP STARTTLS extension not supported by server."), Phase.STARTTLS,
     Outcome.CONNECTION, "smtp-starttls-unsupported"),
    (aiosmtplib.SMTPNotSupported("server does not offer AUTH XOAUTH2"), A, Outcome.AUTH_FAILED,
     "smtp-auth-unavailable"),
    (aiosmtplib.SMTPServerDisconnected("Connection lost"), D, Outcome.UNKNOWN, "smtp-dropped-during-data"),
    (aiosmtplib.SMTPReadTimeoutError("Timed out waiting for server response"), D, Outcome.UNKNOWN,
     "smtp-timeout-during-data"),
    (aiosmtplib.SMTPServerDisconnected("Connection lost"), M, Outcome.TRANSIENT, "smtp-disconnected"),
    (aiosmtplib.SMTPReadTimeoutError("Timed out waiting for server response"), R, Outcome.TRANSIENT,
     "smtp-timeout"),
    (TimeoutError(), Phase.CONNECT, Outcome.CONNECTION, "smtp-connect-timeout"),
]  # fmt: skip


@pytest.mark.parametrize(("exc", "phase", "outcome", "key"), EXCEPTIONS)
def test_exception_classification(exc: Exception, phase: Phase, outcome: Outcome, key: str) -> None:
    result = classify_exception(exc, phase)
    assert (result.outcome, result.key, result.phase) == (outcome, key, phase)
    assert result.text


def test_tls_version_mismatch_is_recognised_from_the_ssl_reason() -> None:
    error = ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number")
    error.reason = "WRONG_VERSION_NUMBER"  # type: ignore[misc]
    result = classify_exception(_wrapped(aiosmtplib.SMTPConnectError("Error connecting"), error), Phase.CONNECT)
    assert (result.outcome, result.key, result.retry_after) == (Outcome.CONNECTION, "smtp-tls-mismatch", None)


def test_unknown_after_data_is_never_given_a_retry_delay() -> None:
    assert classify_exception(aiosmtplib.SMTPServerDisconnected("lost"), D).retry_after is None


def test_another_protocol_on_the_smtp_port_is_quoted_by_its_own_line_not_a_python_tuple() -> None:
    """The IMAP port given as SMTP: the row read «(-1, 'Malformed SMTP response line: * OK … ready.\\r\\n')»,
    the exception's repr with the library's English; the server's own line is what helps a person."""
    greeting = "* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN] Dovecot ready.\r\n"
    exc = aiosmtplib.SMTPResponseException(-1, f"Malformed SMTP response line: {greeting}")
    result = classify_exception(exc, Phase.CONNECT)
    assert (result.key, result.text) == (
        "smtp-not-smtp",
        "* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN] Dovecot ready.",
    )


def test_a_servers_control_characters_never_reach_what_is_stored() -> None:
    """A reply holding NUL (PostgreSQL refuses it in text: the row's record failed on every retry) or a terminal
    escape is kept as words on one line; the IMAP side's error detail the same."""
    result = classify_reply(550, "5.1.1 <lead@acme.example>:\x00 user\x1b[31m unknown\r\n\x7f", R)
    assert (result.outcome, result.enhanced) == (Outcome.PERMANENT, "5.1.1")
    assert result.text == "5.1.1 <lead@acme.example>: user[31m unknown"
    assert ImapError(ImapErrorKind.PROTOCOL, "BAD \x00line\x1b").detail == "BAD line"


def test_a_stored_error_quotes_the_server_or_our_code_never_the_librarys_english() -> None:
    refused = classify_exception(
        aiosmtplib.SMTPConnectError("Error connecting to 10.0.0.1 on port 587: [Errno 111] Connect call failed"),
        Phase.CONNECT,
    )
    assert refused.before_message and refused.stored_error() == "smtp-connect-failed"
    greeting = classify_reply(421, "4.7.0 Try again later, closing connection. (EHLO) - gsmtp", Phase.EHLO)
    assert greeting.before_message and greeting.outcome is Outcome.TRANSIENT
    assert greeting.stored_error() == "smtp-server-closing: 4.7.0 Try again later, closing connection. (EHLO) - gsmtp"
    no_auth = classify_exception(aiosmtplib.SMTPNotSupported("no-password-auth"), Phase.AUTH)
    assert no_auth.stored_error() == "smtp-auth-unavailable: no-password-auth"
    rcpt = classify_reply(450, "4.2.0 <a@b.ru>: Recipient address rejected: Greylisted", Phase.RCPT)
    assert not rcpt.before_message


def test_a_multi_line_reply_reads_as_one_sentence_with_its_status_said_once() -> None:
    gmail = (
        "5.7.1 [203.0.113.5] Our system has detected that this message is\n"
        "5.7.1 likely unsolicited mail. To reduce the amount of spam sent to Gmail,\n"
        "5.7.1 this message has been blocked. https://support.google.com/mail/?p=UnsolicitedMessageError"
    )
    result = classify_reply(550, gmail, Phase.DATA)
    assert (result.outcome, result.enhanced) == (Outcome.SPAM_REJECTED, "5.7.1")
    assert result.text.count("5.7.1") == 1 and result.text.startswith("5.7.1 [203.0.113.5] Our system")
    assert "is likely unsolicited mail. To reduce" in result.text
    russian = classify_reply(550, "5.7.1 Сообщение отклонено\n5.7.1 политикой безопасности домена", Phase.DATA)
    assert russian.text == "5.7.1 Сообщение отклонено политикой безопасности домена"
    other = classify_reply(550, "5.7.1 Rejected\n5.1.1 not the same status stays", Phase.DATA)
    assert other.text == "5.7.1 Rejected 5.1.1 not the same status stays"

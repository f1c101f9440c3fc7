"""Challenge-response mail (Boxbe, Bluebottle, Spam Arrest and their kind): the recipient's filter holds our message
until we prove we are a person. It is the recipient's system answering automatically, so an auto-reply: never a
person's reply (which would stop the sequence and count as a reply), never a bounce (which could suppress the
lead or mark the message as not delivered)."""

from __future__ import annotations

import datetime as dt
from email import policy
from email.message import Message
from email.parser import BytesHeaderParser, BytesParser
from email.policy import Policy
from pathlib import Path

import pytest

from engine.inbox import Incoming, OurMessage, Receiver, plan_effects
from engine.mail.classify import MailKind, classify, needs_body
from models.enums import MessageStatus

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "mail"
KNOWN = frozenset({"<cmp.41.1.a8f3@alpha.test>", "<cmp.41.2.b9e4@alpha.test>"})
CHALLENGES = [
    "real_bounceparser_boxbe_challenge.eml",
    "real_bounceparser_boxbe_guest_list_notice.eml",
    "real_bounceparser_bluebottle_challenge.eml",
    "constructed_spamarrest_style_challenge.eml",
    "constructed_ru_confirm_not_robot.eml",
]


def _raw(name: str) -> bytes:
    return (CORPUS / "auto_reply" / name).read_bytes()


def _parse(raw: bytes, parse_policy: Policy = policy.compat32) -> Message:
    return BytesParser(policy=parse_policy).parsebytes(raw)


def _message(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode()


@pytest.mark.parametrize("parse_policy", [policy.default, policy.compat32], ids=["default", "compat32"])
@pytest.mark.parametrize("name", CHALLENGES)
def test_a_challenge_is_an_auto_reply_named_a_challenge(name: str, parse_policy: Policy) -> None:
    verdict = classify(BytesParser(policy=parse_policy).parsebytes(_raw(name)), KNOWN)
    assert verdict.kind is MailKind.AUTO_REPLY, verdict
    assert verdict.detail.startswith("challenge-response: "), verdict.detail
    assert verdict.status is None and verdict.reason is None


def test_a_challenge_that_answers_our_message_is_not_a_reply() -> None:
    """Spam Arrest and the Russian filters answer from the recipient's own address, In-Reply-To our Message-ID."""
    for name in ("constructed_spamarrest_style_challenge.eml", "constructed_ru_confirm_not_robot.eml"):
        verdict = classify(BytesParser(policy=policy.compat32).parsebytes(_raw(name)), KNOWN)
        assert verdict.kind is MailKind.AUTO_REPLY
        assert verdict.related_id in KNOWN


def test_a_challenge_as_a_delivery_report_names_the_held_message_and_its_recipient() -> None:
    """Boxbe sends a DSN ("Action: failed", 4.7.0) from noreply@boxbe.com: the held message is the attached one."""
    verdict = classify(BytesParser(policy=policy.compat32).parsebytes(_raw(CHALLENGES[0])), KNOWN)
    assert (verdict.address, verdict.related_id) == ("bloggs.fred@googlemail.com", "<cmp.41.1.a8f3@alpha.test>")


def test_a_challenge_holds_the_lead_and_never_suppresses_or_marks_the_send() -> None:
    step = OurMessage(
        id=501, kind="campaign", workspace_id=100, mailbox_id=1, domain_id=10, lead_id=77, enrollment_id=900,
        campaign_id=30, stop_on_reply=True, status=MessageStatus.SENT,
    )  # fmt: skip
    at = dt.datetime(2026, 11, 28, 12, tzinfo=dt.UTC)
    items = [
        Incoming("INBOX", False, n, f"<in{n}@x.test>", at, None, classify(_parse(_raw(name)), KNOWN))
        for n, name in enumerate(CHALLENGES)
    ]
    ours = dict.fromkeys(KNOWN, step)
    effects = plan_effects(Receiver(mailbox_id=1, workspace_id=100, domain_id=10), items, ours)
    assert effects.suppressions == [] and effects.stop_by_id == {} and effects.stop_by_email == {}
    assert effects.bounced_messages == set() and effects.blocked_messages == set()
    assert effects.delays == {900: at + dt.timedelta(days=3)}


def test_bluebottles_headers_decide_without_the_body() -> None:
    raw = _raw("real_bounceparser_bluebottle_challenge.eml")
    headers = BytesHeaderParser(policy=policy.compat32).parsebytes(raw)
    assert not needs_body(headers, KNOWN)
    assert classify(headers, KNOWN).kind is MailKind.AUTO_REPLY


REPLY_ABOUT_VERIFYING = """From: Anna <anna@gamma.test>
To: oleg@alpha.test
Subject: Re: Freight rates for Q1
In-Reply-To: <cmp.41.1.a8f3@alpha.test>
Message-ID: <r1@gamma.test>
Content-Type: text/plain; charset=utf-8

Hi Oleg, I'll verify the figures with our team and click the link to your calendar tomorrow.
Please confirm you can do Tuesday.
"""

REPLY_ABOUT_A_HELD_MESSAGE = """From: Anna <anna@gamma.test>
To: oleg@alpha.test
Subject: Re: Freight rates for Q1
In-Reply-To: <cmp.41.1.a8f3@alpha.test>
Message-ID: <r3@gamma.test>
Content-Type: text/plain; charset=utf-8

Sorry, your email was held by our spam filter, I found it only today. Let's talk: https://cal.gamma.test/anna
"""

TMDA_PERSON = """From: Matthew <lists-sender-14a37a@delta.test>
To: oleg@alpha.test
Subject: Re: Freight rates for Q1
In-Reply-To: <cmp.41.1.a8f3@alpha.test>
Message-ID: <r2@delta.test>
X-Delivery-Agent: TMDA/1.0.3 (Seattle Slew)
Content-Type: text/plain; charset=us-ascii

Interesting - send me the price list.
"""

SIGNUP_CONFIRMATION = """From: Service <no-reply@service.test>
To: oleg@alpha.test
Subject: Please verify your email address
Message-ID: <n1@service.test>
Auto-Submitted: auto-generated
Content-Type: text/plain; charset=us-ascii

Click the link below to verify your email address and complete your registration.
https://service.test/verify?t=1
"""

SMTP_WHITELIST_REFUSAL = """From: MAILER-DAEMON@mx.alpha.test (Mail Delivery System)
To: oleg@alpha.test
Subject: Undelivered Mail Returned to Sender
Auto-Submitted: auto-replied
Message-ID: <b1@mx.alpha.test>
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.alpha.test.

<john.smith@example.com>: host mail1.example.com[192.0.2.7]
    said: 550 Your server requires confirmation. Visit
    http://www.example.com/Whitelist.aspx?IP=192.0.2.1 to
    confirm this mail server. (in reply to RCPT TO command)
"""


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (REPLY_ABOUT_VERIFYING, MailKind.REPLY),
        (REPLY_ABOUT_A_HELD_MESSAGE, MailKind.REPLY),
        (TMDA_PERSON, MailKind.REPLY),  # TMDA also signs its users' ordinary mail
        (SIGNUP_CONFIRMATION, MailKind.OTHER),  # a service's own confirmation, not an answer to us
        (SMTP_WHITELIST_REFUSAL, MailKind.BOUNCE_BLOCK),  # refused at RCPT TO: not held, the server refused us
    ],
    ids=[
        "reply-verifying",
        "reply-held-message",
        "tmda-signed-person",
        "signup-confirmation",
        "smtp-whitelist-refusal",
    ],
)
def test_what_only_looks_like_a_challenge_keeps_its_kind(text: str, kind: MailKind) -> None:
    verdict = classify(BytesParser(policy=policy.compat32).parsebytes(_message(text)), KNOWN)
    assert verdict.kind is kind, verdict
    assert not verdict.detail.startswith("challenge-response")


def test_a_challenge_services_wording_decides_without_its_headers() -> None:
    """Boxbe's diagnostic type removed: the service's sender and its "add yourself to my Guest List" still tell."""
    raw = _raw("real_bounceparser_boxbe_challenge.eml").replace(b"X-Boxbe-Notice;", b"smtp;")
    verdict = classify(_parse(raw), KNOWN)
    assert verdict.kind is MailKind.AUTO_REPLY
    assert verdict.detail == "challenge-response: has been waitlisted"

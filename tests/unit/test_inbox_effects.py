"""What classified mail changes, decided without I/O: events, suppressions, stopped enrollments, bounced sends."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from engine.inbox import Incoming, OurMessage, Receiver, plan_effects
from engine.mail.classify import BounceReason, MailKind, Verdict
from models.enums import EnrollmentState, EventKind, MessageStatus, SuppressionReason

AT = dt.datetime(2026, 11, 28, 12, tzinfo=dt.UTC)
ME = Receiver(mailbox_id=1, workspace_id=100, domain_id=10)
STEP1 = OurMessage(
    id=501, kind="campaign", workspace_id=100, mailbox_id=1, domain_id=10, lead_id=77, enrollment_id=900,
    campaign_id=30, stop_on_reply=True, status=MessageStatus.SENT,
)  # fmt: skip
WARMUP = OurMessage(
    id=601, kind="warmup", workspace_id=200, mailbox_id=2, domain_id=20, lead_id=None, enrollment_id=None,
    campaign_id=None, stop_on_reply=False, status=MessageStatus.SENT,
)  # fmt: skip
OURS = {"<s1@alpha.test>": STEP1, "<wu@beta.test>": WARMUP}


def item(
    kind: MailKind,
    *,
    related: str | None = None,
    address: str | None = "lead@x.test",
    message_id: str = "<in@x.test>",
    folder: str = "INBOX",
    in_spam: bool = False,
    counted: bool = True,
) -> Incoming:
    status = "5.1.1" if kind in {MailKind.BOUNCE_HARD, MailKind.BOUNCE_SOFT} else None
    verdict = Verdict(kind, address=address, related_id=related, status=status)
    return Incoming(folder, in_spam, 1, message_id, AT, None, verdict, counted=counted)


def blocked(status: str, reason: BounceReason, *, related: str | None = "<s1@alpha.test>") -> Incoming:
    verdict = Verdict(MailKind.BOUNCE_BLOCK, address="lead@x.test", related_id=related, status=status, reason=reason)
    return Incoming("INBOX", False, 1, "<in@x.test>", AT, None, verdict)


def test_a_reply_counts_for_its_campaign_and_stops_the_enrollment() -> None:
    effects = plan_effects(ME, [item(MailKind.REPLY, related="<s1@alpha.test>")], OURS)
    (event,) = effects.events
    assert (event.kind, event.mailbox_id, event.campaign_id, event.lead_id, event.message_id) == (
        EventKind.REPLY, 1, 30, 77, 501,
    )  # fmt: skip
    assert effects.stop_by_id == {EnrollmentState.REPLIED: {900}} and effects.suppressions == []


def test_a_campaign_that_keeps_going_after_replies_is_not_stopped() -> None:
    ours = {"<s1@alpha.test>": replace(STEP1, stop_on_reply=False)}
    effects = plan_effects(ME, [item(MailKind.REPLY, related="<s1@alpha.test>")], ours)
    assert effects.stop_by_id == {} and len(effects.events) == 1


def test_another_workspaces_message_is_never_matched() -> None:
    foreign = Receiver(mailbox_id=3, workspace_id=999, domain_id=30)
    effects = plan_effects(foreign, [item(MailKind.UNSUBSCRIBE, related="<s1@alpha.test>")], OURS)
    (event,) = effects.events
    assert (event.workspace_id, event.campaign_id, event.message_id) == (999, None, None)
    assert effects.stop_by_id == {} and effects.stop_by_email == {EnrollmentState.UNSUBSCRIBED: {"lead@x.test"}}
    assert [(s.workspace_id, s.reason) for s in effects.suppressions] == [(999, SuppressionReason.UNSUBSCRIBE)]


def test_a_hard_bounce_suppresses_everywhere_and_marks_the_send() -> None:
    effects = plan_effects(ME, [item(MailKind.BOUNCE_HARD, related="<s1@alpha.test>", address="gone@x.test")], OURS)
    assert [(s.workspace_id, s.value, s.reason) for s in effects.suppressions] == [
        (None, "gone@x.test", SuppressionReason.BOUNCE)
    ]
    assert effects.bounced_messages == {501}
    assert effects.stop_by_id == {EnrollmentState.BOUNCED: {900}}
    assert effects.stop_by_email == {EnrollmentState.BOUNCED: {"gone@x.test"}}
    assert effects.events[0].data["status"] == "5.1.1"


def test_soft_bounces_auto_replies_and_other_mail_change_nothing_but_counters() -> None:
    items = [item(MailKind.BOUNCE_SOFT), item(MailKind.AUTO_REPLY, related="<s1@alpha.test>"), item(MailKind.OTHER)]
    effects = plan_effects(ME, items, OURS)
    assert [e.kind for e in effects.events] == [EventKind.BOUNCE_SOFT, EventKind.AUTO_REPLY]
    assert (effects.suppressions, effects.stop_by_id, effects.stop_by_email, effects.bounced_messages) == (
        [], {}, {}, set(),
    )  # fmt: skip


def test_warmup_placement_counts_against_the_sender_once() -> None:
    items = [
        item(MailKind.WARMUP, message_id="<wu@beta.test>", in_spam=True, folder="Junk"),
        item(MailKind.WARMUP, message_id="<wu@beta.test>", counted=False),  # the rescued copy, seen in INBOX
        item(MailKind.WARMUP, message_id="<unknown@peer.test>"),
    ]
    effects = plan_effects(ME, items, OURS)
    assert [(e.kind, e.workspace_id, e.mailbox_id, e.message_id) for e in effects.events] == [
        (EventKind.WARMUP_SPAM, 200, 2, 601),
        (EventKind.WARMUP_INBOX, 100, 1, None),
    ]
    assert effects.events[0].data == {
        "inbox_mailbox_id": 1,
        "folder": "Junk",
        "incoming_id": "<wu@beta.test>",
        "address": "lead@x.test",
    }


def test_a_blocked_bounce_counts_against_our_mailbox_and_never_touches_the_lead() -> None:
    """`550 5.7.26 unauthenticated`: the receiver refused us; the lead's address is fine and its sequence goes on."""
    effects = plan_effects(ME, [blocked("5.7.26", BounceReason.AUTH_FAILURE)], OURS)
    (event,) = effects.events
    assert (event.kind, event.mailbox_id, event.domain_id, event.campaign_id, event.message_id) == (
        EventKind.BOUNCE_BLOCK, 1, 10, 30, 501,
    )  # fmt: skip
    assert (event.data["reason"], event.data["status"], event.data["address"]) == (
        "auth_failure", "5.7.26", "lead@x.test",
    )  # fmt: skip
    assert (effects.suppressions, effects.stop_by_id, effects.stop_by_email, effects.bounced_messages) == (
        [], {}, {}, set(),
    )  # fmt: skip
    assert effects.blocked_messages == {501}  # the message never arrived: its row says so


def test_a_temporary_block_leaves_the_message_sent() -> None:
    """`421 4.7.0 rate limited` is a deferral: counted against us, but the server may still take the message."""
    effects = plan_effects(ME, [blocked("4.7.0", BounceReason.RATE_LIMITED)], OURS)
    assert [e.kind for e in effects.events] == [EventKind.BOUNCE_BLOCK]
    assert effects.blocked_messages == set() and effects.suppressions == []


def test_a_blocked_bounce_of_unknown_mail_still_counts_for_the_receiving_mailbox() -> None:
    effects = plan_effects(ME, [blocked("5.7.1", BounceReason.BLOCKED, related=None)], OURS)
    (event,) = effects.events
    assert (event.kind, event.workspace_id, event.mailbox_id, event.message_id) == (
        EventKind.BOUNCE_BLOCK,
        100,
        1,
        None,
    )
    assert effects.blocked_messages == set() and effects.suppressions == []


def test_every_bounce_event_carries_its_reason() -> None:
    verdict = Verdict(MailKind.BOUNCE_SOFT, address="lead@x.test", status="5.2.2", reason=BounceReason.MAILBOX_FULL)
    effects = plan_effects(ME, [Incoming("INBOX", False, 1, "<b@x.test>", AT, None, verdict)], OURS)
    assert effects.events[0].data["reason"] == "mailbox_full" and effects.suppressions == []

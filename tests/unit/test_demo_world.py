"""The demo's simulated world writes mail the real classifier reads as what it means: a user-unknown DSN is a hard
bounce of the lead, a 5.7.1 listing refusal is a block (the lead is fine), an out-of-office is an auto-reply, an
answer is a reply — each tied to our Message-ID. And the simulated IMAP folders behave as the sync expects."""

from __future__ import annotations

import datetime as dt
import re
from email import message_from_bytes
from email.policy import compat32

import pytest

from engine.clock import FrozenClock
from engine.mail.classify import MailKind, classify
from engine.mail.imap import INBOX, ImapError, Position, fetch_new
from engine.mail.message import BuiltMessage, MessageSpec, build_message
from engine.mail.providers import Credentials, Endpoint
from engine.tracking import TrackingLinks
from mailfleet.demo.world import SPAM_FOLDER, ListQuality, SimImap, Tally, World
from models.enums import AuthKind, MailProvider, TlsMode

CLOCK = FrozenClock(dt.datetime(2031, 3, 4, 10, 0, tzinfo=dt.UTC))
OURS = "anna1@acme-mail1.ru"
LEAD = "buyer1@client.ru"


def sent() -> BuiltMessage:
    spec = MessageSpec(sender=OURS, recipient=LEAD, subject="Добрый день", text="Удобно обсудить?")
    return build_message(spec, CLOCK)


def world(**quality: float) -> World:
    w = World(7, CLOCK, TrackingLinks("https://t.example.test", b"k" * 32))
    w.add_mailbox(OURS, MailProvider.YANDEX360)
    # every share the test does not set is zero: the default 2 % unsubscribe share took the roll before the reply
    # (an unsubscribe answers with no mail), so about one run in fifty had nothing to classify
    shares = {"invalid": 0.0, "reply": 0.0, "auto_reply": 0.0, "unsubscribe": 0.0, **quality}
    w.quality["client.ru"] = ListQuality(**shares)
    # never filed as spam: a lead reads a spam-filed message less (30 %), so with a Message-ID that is new every run
    # about one run in fifty had no answer to classify; placement is not what these tests are about
    w.spam_chance = lambda sender_domain, provider: 0.0  # type: ignore[method-assign]
    return w


def verdict_of(data: bytes, message: BuiltMessage):  # type: ignore[no-untyped-def]
    return classify(message_from_bytes(data, policy=compat32), {message.message_id}, own_addresses=[OURS])


async def delivered(w: World) -> list[bytes]:
    CLOCK.advance(dt.timedelta(days=3))
    await w.settle()
    return [m.data for m in w.boxes[OURS].folders[INBOX].messages.values()]


@pytest.mark.parametrize(
    ("quality", "kind"),
    [
        ({"invalid": 1.0}, MailKind.BOUNCE_HARD),
        ({"auto_reply": 1.0}, MailKind.AUTO_REPLY),
        ({"reply": 1.0}, MailKind.REPLY),
    ],
)
async def test_the_world_answers_in_bytes_the_classifier_understands(quality: dict[str, float], kind: MailKind) -> None:
    w = world(**quality)
    message = sent()
    assert (await w.send(message)).ok
    (answer,) = await delivered(w)
    verdict = verdict_of(answer, message)
    assert verdict.kind is kind
    assert verdict.related_id == message.message_id
    if kind is MailKind.BOUNCE_HARD:
        assert verdict.address == LEAD and verdict.status == "5.1.1"


@pytest.mark.parametrize(
    ("quality", "counted"),
    [({"reply": 1.0}, "replies"), ({"auto_reply": 1.0}, "auto_replies"), ({"invalid": 1.0}, "bounced")],
)
async def test_an_answer_is_counted_when_it_lands_not_when_the_world_decides_it(
    quality: dict[str, float], counted: str
) -> None:
    """The summary's replies agreed with the database's only when none was still on its way (a reply takes up to
    40 hours): the tally now counts what reached our mailbox."""
    w = world(**quality)
    assert (await w.send(sent())).ok
    await w.settle()  # nothing is due yet: it takes at least a minute
    assert getattr(w.tally, counted) == 0 and not w.boxes[OURS].folders[INBOX].messages
    (_answer,) = await delivered(w)
    assert getattr(w.tally, counted) == 1


async def test_a_listed_domain_is_refused_as_a_block_not_a_bad_address() -> None:
    w = world()
    w.list_domain("acme-mail1.ru", CLOCK.now())
    verdicts = []
    for _ in range(20):
        message = sent()
        await w.send(message)
        verdicts += [verdict_of(data, message) for data in await delivered(w) if message.message_id.encode() in data]
        w.boxes[OURS].folders[INBOX].messages.clear()
    assert verdicts and {v.kind for v in verdicts} == {MailKind.BOUNCE_BLOCK}
    assert w.is_listed("acme-mail1.ru") and not w.is_listed("other.ru")


async def test_simulated_folders_read_incrementally_and_move_to_inbox() -> None:
    w = world()
    box = w.boxes[OURS]
    box.folders[SPAM_FOLDER].add(CLOCK.now(), b"Message-ID: <1@x>\r\n\r\nbody")
    connect = SimImap(w)
    credentials = Credentials(OURS, AuthKind.PASSWORD, "x")
    async with connect(Endpoint("imap.yandex.ru", 993, TlsMode.IMPLICIT), credentials) as session:
        first = await fetch_new(session, SPAM_FOLDER, None, since=CLOCK.now().date(), limit=10)
        assert [m.uid for m in first.messages] == [1] and first.messages[0].headers.startswith(b"Message-ID")
        again = await fetch_new(session, SPAM_FOLDER, first.position, since=None, limit=10)
        assert again.messages == () and again.position == Position(first.position.uidvalidity, 1)
        await session.move([1], INBOX)
    assert not box.folders[SPAM_FOLDER].messages and len(box.folders[INBOX].messages) == 1
    with pytest.raises(ImapError, match="authentication"):
        async with connect(
            Endpoint("imap.yandex.ru", 993, TlsMode.IMPLICIT), Credentials("nobody@x.ru", AuthKind.PASSWORD, "x")
        ):
            pass


async def _warmup_tick(backwards: bool) -> tuple[Tally, list[tuple[str, bytes]]]:
    """Five mailboxes of one domain send 40 warmup emails each to one peer in one tick, after a quiet day."""
    clock = FrozenClock(dt.datetime(2031, 3, 4, 10, 0, tzinfo=dt.UTC))
    w = World(7, clock, TrackingLinks("https://t.example.test", b"k" * 32))
    peer = "peer1@other-mail1.ru"
    w.add_mailbox(peer, MailProvider.MAILRU)
    w.days[("acme-mail1.ru", dt.date(2031, 3, 3))].sent = 10  # so today's 200 are a spike
    messages = [
        build_message(
            MessageSpec(
                sender=f"box{n}@acme-mail1.ru",
                recipient=peer,
                subject="Привет",
                text="Как дела?",
                message_id=f"<{n}.{k}@acme-mail1.ru>",
            ),
            clock,
        )
        for n in range(5)
        for k in range(40)
    ]
    for message in reversed(messages) if backwards else messages:
        assert (await w.send(message)).ok
    clock.advance(dt.timedelta(hours=1))
    await w.settle()
    box = w.boxes[peer]
    arrived = [
        (name, re.search(rb"^Message-ID: (\S+)", m.data, re.MULTILINE)[1])  # type: ignore[index]
        for name in (INBOX, SPAM_FOLDER)
        for m in box.folders[name].messages.values()
    ]
    return w.tally, arrived


async def test_what_mail_meets_does_not_hang_on_which_mailbox_sent_first() -> None:
    """The demo's mailboxes send at once, finishing in no fixed order: where each message is filed (the day's
    volume spike it meets) and the order messages arrive in a folder (their UIDs) are the same either way, so a
    seed tells the same story twice."""
    forwards, backwards = await _warmup_tick(False), await _warmup_tick(True)
    assert forwards[0].warmup_spam > 0 and forwards[0].warmup_inbox > 0
    assert forwards == backwards

"""Faults: SMTP connections cut in DATA, through a TCP proxy in front of the real Postfix (`tests/harness/faultproxy`).

What the outbox does, counted in the receiving mailboxes (Dovecot):

* cut after part of the message (the server never saw the final dot, so it did not accept it): the send's outcome
  is `unknown` (the client cannot tell the two cuts apart) and the row stays `sending`; recovery, `stuck_after`
  later, does not find it in the Sent folder while the folder holds the mailbox's previous message (the witness),
  so it is queued again and delivered once;
* cut after the final dot, the server's "250" swallowed (the server accepted it): the same `unknown`, and recovery
  finds the copy in the Sent folder: `sent`, never sent again;
* the same cut on a mailbox with no message known to be filed in Sent (no witness): `unknown` and an alert for a
  person; never resent;
* a server that stalls a send for longer than `stuck_after`: the live job keeps its claim fresh, so recovery
  leaves the row alone (it is in flight, not stuck), and the message goes once;
* two recoveries of one mailbox at once (two ticks): the first queues the row again and a send job takes it; the
  second, deciding from what it read before, leaves the row alone, since its claim is no longer stale.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Collection, Iterator
from typing import Any

import pytest

from engine.clock import FrozenClock
from engine.mail.smtp import SmtpTransport
from models import Alert, Mailbox, OutboundMessage
from models.enums import MessageStatus, TlsMode
from tests.harness.faultproxy import Cut, SmtpCutProxy
from tests.harness.mailserver import MailServer
from tests.integration.test_outbox import NOW, TIMEOUTS, mailbox, make_outbox, message_ids, plan, world

pytestmark = [pytest.mark.usefixtures("orm"), pytest.mark.faults, pytest.mark.slow]


@pytest.fixture(scope="module")
def mail(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailServer]:
    with MailServer(tmp_path_factory.mktemp("faults"), domains=["alpha.test", "beta.test"], users_per_domain=2) as s:
        yield s


@pytest.fixture
async def transport(mail: MailServer) -> AsyncIterator[SmtpTransport]:
    async with SmtpTransport(tls_context=mail.ssl_context(), timeouts=TIMEOUTS) as pool:
        yield pool


async def _through(proxy: SmtpCutProxy, mail: MailServer) -> tuple[Mailbox, Mailbox]:
    ws = await world(mail)
    anna = await mailbox(mail, ws, "user1@alpha.test", smtp_port=proxy.port, smtp_tls=TlsMode.PLAIN)
    bob = await mailbox(mail, ws, "user1@beta.test")
    return anna, bob


@pytest.mark.parametrize("cut", [Cut.MID_DATA, Cut.BEFORE_REPLY])
async def test_a_cut_in_data_is_resolved_from_the_sent_folder_and_delivered_once(
    mail: MailServer, transport: SmtpTransport, cut: Cut
) -> None:
    mail.reset()
    clock = FrozenClock(NOW)
    async with SmtpCutProxy(mail.ports.submission, mode=cut, times=0, after_bytes=40) as proxy:
        anna, bob = await _through(proxy, mail)
        outbox = make_outbox(mail, clock, transport)
        [witness] = await plan(anna, bob, 1)
        assert (await outbox.send_mailbox(anna.id)).sent == 1  # went through whole: the witness in Sent
        proxy.times = 1
        [row] = await plan(anna, bob, 1, body="A longer text, so that the proxy cuts it in the middle.\n" * 20)
        report = await outbox.send_mailbox(anna.id)
        assert (report.unresolved, report.outcomes, proxy.cuts) == (1, {"unknown": 1}, 1)
        assert (await OutboundMessage.get(id=row.id)).status is MessageStatus.SENDING  # never resent blindly
        mail.settle()
        accepted = cut is Cut.BEFORE_REPLY
        assert (await message_ids(mail, bob.address)).get(row.message_id, 0) == int(accepted)

        clock.advance(dt.timedelta(minutes=20))  # stuck_after (15 min) passed: the sweep asks for recovery
        assert (await outbox.sweep()).recover == (anna.id,)
        recovered = await outbox.recover_mailbox(anna.id)
        assert (recovered.sent, recovered.retried, recovered.unknown) == ((1, 0, 0) if accepted else (0, 1, 0))
        due = await outbox.sweep()
        assert due.recover == () and due.send == (() if accepted else (anna.id,))
        if not accepted:
            assert (await outbox.send_mailbox(anna.id)).sent == 1
        mail.settle()

    assert {m.status for m in await OutboundMessage.all()} == {MessageStatus.SENT}
    arrived = await message_ids(mail, bob.address)
    assert arrived == {witness.message_id: 1, row.message_id: 1}  # nothing lost, nothing twice
    assert (await OutboundMessage.get(id=row.id)).attempts == (1 if accepted else 2)
    assert not await Alert.exists(kind="send_unknown")


async def test_a_cut_without_a_witness_in_the_sent_folder_is_unknown_and_alerted(
    mail: MailServer, transport: SmtpTransport
) -> None:
    mail.reset()
    clock = FrozenClock(NOW)
    async with SmtpCutProxy(mail.ports.submission, mode=Cut.MID_DATA, times=1, after_bytes=40) as proxy:
        anna, bob = await _through(proxy, mail)
        outbox = make_outbox(mail, clock, transport)
        [row] = await plan(anna, bob, 1)
        assert (await outbox.send_mailbox(anna.id)).unresolved == 1
        clock.advance(dt.timedelta(minutes=20))
        recovered = await outbox.recover_mailbox(anna.id)

    assert (recovered.sent, recovered.retried, recovered.unknown) == (0, 0, 1)
    assert (await OutboundMessage.get(id=row.id)).status is MessageStatus.UNKNOWN
    alert = await Alert.get(kind="send_unknown")
    assert alert.data["count"] == 1 and alert.data["mailbox"] == anna.address
    assert (await outbox.sweep()).send == () and mail.count(bob.address) == 0


async def test_a_send_stalled_past_stuck_after_is_not_taken_for_stuck_while_its_job_lives(
    mail: MailServer, transport: SmtpTransport
) -> None:
    mail.reset()
    clock = FrozenClock(NOW)
    async with SmtpCutProxy(mail.ports.submission, mode=Cut.STALL, times=0) as proxy:
        anna, bob = await _through(proxy, mail)
        outbox = make_outbox(mail, clock, transport, claim_refresh=dt.timedelta(seconds=0.05))
        [witness] = await plan(anna, bob, 1)
        assert (await outbox.send_mailbox(anna.id)).sent == 1
        mail.settle()
        proxy.times = 1
        [row] = await plan(anna, bob, 1)
        job = asyncio.create_task(outbox.send_mailbox(anna.id))
        await asyncio.wait_for(proxy.stalled.wait(), 10)
        clock.advance(dt.timedelta(minutes=20))  # the server holds the send past stuck_after (15 min)
        for _ in range(200):  # until the job's refresh has stamped the row (every 0.05 s)
            if (await OutboundMessage.get(id=row.id)).claimed_at == clock.now():
                break
            await asyncio.sleep(0.05)
        due = await outbox.sweep()
        recovered = await outbox.recover_mailbox(anna.id)
        proxy.release.set()
        assert (await asyncio.wait_for(job, 20)).sent == 1
        again = await outbox.send_mailbox(anna.id)  # the next tick's job
        mail.settle()

    assert due.recover == () and (recovered.sent, recovered.retried, recovered.unknown) == (0, 0, 0)
    assert again.sent == 0 and (await OutboundMessage.get(id=row.id)).status is MessageStatus.SENT
    assert await message_ids(mail, bob.address) == {witness.message_id: 1, row.message_id: 1}


async def test_a_second_recovery_never_takes_back_a_row_the_first_one_handed_to_a_new_send(
    mail: MailServer, transport: SmtpTransport
) -> None:
    mail.reset()
    clock = FrozenClock(NOW)
    async with SmtpCutProxy(mail.ports.submission, mode=Cut.MID_DATA, times=0, after_bytes=40) as proxy:
        anna, bob = await _through(proxy, mail)
        outbox = make_outbox(mail, clock, transport, claim_refresh=dt.timedelta(seconds=0.05))
        [witness] = await plan(anna, bob, 1)
        assert (await outbox.send_mailbox(anna.id)).sent == 1
        proxy.times = 1
        [row] = await plan(anna, bob, 1, body="A longer text, so that the proxy cuts it in the middle.\n" * 20)
        assert (await outbox.send_mailbox(anna.id)).unresolved == 1  # never accepted: left `sending`
        mail.settle()
        clock.advance(dt.timedelta(minutes=20))

        searching, answer = asyncio.Event(), asyncio.Event()
        folder = outbox.sent_folder

        class Slow:  # the second recovery's search of the Sent folder answers late
            async def find(self, account: Any, message_ids: Collection[str]) -> set[str]:
                searching.set()
                await answer.wait()
                return await folder.find(account, message_ids)

        late = make_outbox(mail, clock, transport)
        late.sent_folder = Slow()
        second = asyncio.create_task(late.recover_mailbox(anna.id))
        await asyncio.wait_for(searching.wait(), 10)
        first = await outbox.recover_mailbox(anna.id)  # not in Sent, the witness is: queued again
        proxy.mode, proxy.times = Cut.STALL, 2
        job = asyncio.create_task(outbox.send_mailbox(anna.id))
        await asyncio.wait_for(proxy.stalled.wait(), 10)  # taken by a new send, held by the server
        answer.set()
        late_report = await asyncio.wait_for(second, 20)
        proxy.release.set()
        assert (await asyncio.wait_for(job, 20)).sent == 1
        again = await outbox.send_mailbox(anna.id)
        mail.settle()

    assert (first.retried, late_report.retried, late_report.unknown, again.sent) == (1, 0, 0, 0)
    assert (await OutboundMessage.get(id=row.id)).status is MessageStatus.SENT
    assert await message_ids(mail, bob.address) == {witness.message_id: 1, row.message_id: 1}

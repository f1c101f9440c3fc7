"""Issue 10's "Done when", on the real Postfix + Dovecot: a campaign of a few hundred leads over a mailbox group
runs for simulated days under every cap; replies, auto-replies, bounces and unsubscribes act on the sequences; and
a sending worker SIGKILLed mid-campaign and started again leaves every lead-step sent exactly once or `unknown`.

The leads are users of the test mail server (`lead<N>@leads.test`); a few addresses do not exist
(`ghost<N>@leads.test`), so Postfix bounces them to the sender. Everything the assertions count about delivery
comes from Dovecot — the leads' INBOX and the senders' Sent folders that Postfix's sender BCC fills — never from
our own counters. Days are told apart by reading the mailboxes after each simulated day (Dovecot stamps arrivals
with the machine's time).

The days run through the real campaign planner (`plan_campaigns`) and the real composer (templates, footer,
signed unsubscribe links); the crash test plans its rows directly (every row due at once) to have a burst to
interrupt.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import smtplib
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import pytest
from arq import create_pool
from arq.connections import RedisSettings
from redis.asyncio import Redis

from engine.access import SYSTEM
from engine.campaigns.compose import Composer
from engine.campaigns.planner import CampaignPlanOptions, plan_campaigns
from engine.clock import FrozenClock
from engine.crypto import Vault, generate_key
from engine.inbox import SyncOptions, SyncStatus, sweep
from engine.mail.smtp import SmtpTransport, Timeouts
from engine.sending.outbox import EffectiveCaps, Outbox, SendOptions
from engine.sending.sentfolder import ImapSentFolder
from engine.tracking import TrackingLinks
from models import Campaign, Domain, Enrollment, Lead, Mailbox, OutboundMessage, Suppression, Workspace
from models.enums import EnrollmentState, MailboxStatus, MailProvider, MessageStatus, SuppressionReason, TlsMode
from tests.conftest import REDIS_URL
from tests.harness.mailserver import MailServer
from tests.integration import campaign_kit
from tests.integration.campaign_kit import campaign, enroll, unsubscribe

pytestmark = [pytest.mark.usefixtures("orm"), pytest.mark.timeout(300)]

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "pw"
KEY = generate_key()
VAULT = Vault([KEY])
LINKS = TrackingLinks.from_vault("https://t.example.test", VAULT)
SENDER_DOMAINS = {"north.test": 75, "south.test": 150}  # domain caps: north's binds before its mailboxes' do
SENDERS = [f"out{n}@{d}" for d in SENDER_DOMAINS for n in (1, 2, 3)]
MAILBOX_CAP = 40  # graduated long ago: campaigns may use 80 % of it (32) ...
PER_MAILBOX = 30  # ... and the campaign allows 30 a mailbox a day
LEADS = [f"lead{n}@leads.test" for n in range(1, 241)]
GHOSTS = [f"ghost{n}@leads.test" for n in range(1, 21)]  # no such users: Postfix bounces them
ZONE_OFFSET = dt.timedelta(hours=3)  # Europe/Moscow: the window 09:00–18:00 is 06:00–15:00 UTC
FIRST_DAY = dt.date(2031, 3, 3)  # a Monday
TICKS = (dt.time(6, 0), dt.time(9, 0), dt.time(12, 0), dt.time(14, 30), dt.time(14, 59, 45))  # UTC, in the window
REPLIERS = LEADS[0:8]
AWAY = LEADS[8:11]  # out of office until the day after tomorrow
QUITTERS = LEADS[11:16]  # unsubscribe once their follow-up is planned
SYNC = SyncOptions(timeout_s=20)
AUTO = {"Auto_Submitted": "auto-replied"}


@pytest.fixture(scope="module")
def mail(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailServer]:
    users = [(a, PASSWORD) for a in SENDERS + LEADS]
    with MailServer(tmp_path_factory.mktemp("flow"), domains=[*SENDER_DOMAINS, "leads.test"], users=users) as s:
        yield s


async def fleet(mail: MailServer) -> tuple[Workspace, list[Mailbox]]:
    ws = await Workspace.create(
        slug="acme", name="Acme", timezone="Europe/Moscow", sender_name="Acme LLC", sender_address="Moscow, 1 Tverskaya"
    )
    boxes = []
    for name, cap in SENDER_DOMAINS.items():
        domain = await Domain.create(workspace=ws, name=name, daily_cap=cap)
        for address in (a for a in SENDERS if a.endswith("@" + name)):
            warmed = FIRST_DAY - dt.timedelta(days=100)  # graduated long ago: campaigns may use 80 % of the cap
            box = await Mailbox.create(
                workspace=ws, domain=domain, address=address, display_name=address.split("@")[0].title(),
                provider=MailProvider.GENERIC, smtp_host=mail.host, smtp_port=mail.ports.submission,
                smtp_tls=TlsMode.STARTTLS, imap_host=mail.host, imap_port=mail.ports.imap, imap_tls=TlsMode.PLAIN,
                username=address, secret_enc=VAULT.encrypt(PASSWORD), status=MailboxStatus.ACTIVE,
                daily_cap=MAILBOX_CAP, warmup_started_on=warmed,
            )  # fmt: skip
            boxes.append(box)
    return ws, boxes


async def plan(clock: FrozenClock, c: Campaign, boxes: list[Mailbox]) -> int:
    """The campaign planner's tick: today's due steps over the group, spread through the rest of the window."""
    return (await plan_campaigns(clock, CampaignPlanOptions(min_gap_s=30, lead_s=0, seed=7))).planned


def answer(lead: str, to: str, parent: str, subject: str, body: str, **headers: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = lead, to, subject
    msg["Message-ID"] = f"<re.{parent.strip('<>')}>"
    msg["In-Reply-To"] = msg["References"] = parent
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg


def address(value: str) -> str:
    return parseaddr(value)[1].lower()


class Ledger:
    """What Dovecot holds, read after each simulated day: the messages new since the last read are that day's."""

    def __init__(self) -> None:
        self.seen: set[tuple[str, str, int]] = set()
        self.day_of: dict[str, dt.date] = {}
        self.inbox: dict[str, list[str]] = defaultdict(list)  # Message-ID -> recipients that hold a copy
        self.sent: dict[str, list[str]] = defaultdict(list)  # Message-ID -> senders whose Sent folder holds it

    def read(self, mail: MailServer, day: dt.date) -> None:
        for m in mail.messages(["INBOX", "Sent"], ["message-id", "from"]):
            if (m.address, m.folder, m.uid) in self.seen or m.address not in LEADS + SENDERS:
                continue
            self.seen.add((m.address, m.folder, m.uid))
            if m.folder == "INBOX" and m.address in SENDERS:
                continue  # answers and bounces the senders received
            mid = m.headers["message-id"]
            (self.inbox if m.folder == "INBOX" else self.sent)[mid].append(m.address)
            self.day_of.setdefault(mid, day)


@dataclass
class Scenario:
    """The campaign's world while simulated days pass: one `tick` plans, sends, lets Postfix deliver and syncs,
    and has the leads act (answer, go away, unsubscribe) when their moment comes."""

    ws: Workspace
    c: Campaign
    boxes: list[Mailbox]
    outbox: Outbox
    clock: FrozenClock
    lead_of: dict[str, int]
    answered: bool = False
    quit: bool = False

    async def sync(self) -> None:
        results = await sweep(SYSTEM, [b.id for b in self.boxes], clock=self.clock, vault=VAULT, options=SYNC)
        assert all(r.status is SyncStatus.OK for r in results), results

    async def tick(self, mail: MailServer, day: dt.date) -> None:
        await plan(self.clock, self.c, self.boxes)
        if not self.quit and await _follow_ups_planned(QUITTERS, self.lead_of):
            for email in QUITTERS:  # the unsubscribe click in step 1, before the planned follow-up goes out
                first = await OutboundMessage.get(lead_id=self.lead_of[email], step_position=1)
                await unsubscribe(self.ws.id, email, row_id=first.id, clock=self.clock)
            self.quit = True
        due = await self.outbox.sweep()
        reports = await asyncio.gather(*(self.outbox.send_mailbox(i) for i in due.send))
        assert not any(r.retried or r.unresolved for r in reports), reports
        mail.settle()
        await self.sync()
        if not self.answered and await _all_sent(REPLIERS + AWAY, self.lead_of):
            await _answer(mail, self.lead_of, day)
            await self.sync()  # one sync: every reply has stopped its sequence, every auto-reply delayed its lead
            for email in REPLIERS:
                assert (await Enrollment.get(lead_id=self.lead_of[email])).state is EnrollmentState.REPLIED
            back = dt.datetime.combine(day + dt.timedelta(days=2), dt.time(), tzinfo=dt.UTC)
            for email in AWAY:
                e = await Enrollment.get(lead_id=self.lead_of[email])
                assert e.state is EnrollmentState.ACTIVE and e.next_due_at == back, (email, e.next_due_at)
            self.answered = True


async def test_a_campaign_runs_for_days_under_every_cap_and_stops_where_it_must(mail: MailServer) -> None:
    mail.reset()
    clock = FrozenClock(dt.datetime.combine(FIRST_DAY, TICKS[0], tzinfo=dt.UTC))
    ws, boxes = await fleet(mail)
    c = await campaign(ws, boxes, steps=((0, False), (1, False)), per_mailbox_cap=PER_MAILBOX, daily_cap=1000)
    await enroll(c, LEADS + GHOSTS, clock.now())
    lead_of = {lead.email: lead.id for lead in await Lead.all()}
    ledger = Ledger()
    async with SmtpTransport(tls_context=mail.ssl_context(), timeouts=Timeouts(10, 10, 20)) as transport:
        outbox = Outbox(
            clock=clock, vault=VAULT, sender=transport, sent_folder=ImapSentFolder(timeout_s=10),
            options=SendOptions(ssl_context=mail.ssl_context()), caps=EffectiveCaps(), compose=Composer(LINKS),
        )  # fmt: skip
        world = Scenario(ws, c, boxes, outbox, clock, lead_of)
        for n in range(5):
            day = FIRST_DAY + dt.timedelta(days=n)
            for moment in TICKS:
                clock.set(dt.datetime.combine(day, moment, tzinfo=dt.UTC))
                await world.tick(mail, day)
            ledger.read(mail, day)
    assert world.answered and world.quit

    rows = await OutboundMessage.all().values("id", "message_id", "lead_id", "step_position", "status", "mailbox_id")
    check_caps(ledger)
    check_delivered_once(ledger, rows, {v: k for k, v in lead_of.items()})
    await check_sequences(ws, ledger, rows, lead_of)


def check_caps(ledger: Ledger) -> None:
    """Counted in the Sent folders, per mailbox and per domain and day: never above a cap, and the caps bound."""
    per_box: Counter[tuple[str, dt.date]] = Counter()
    per_domain: Counter[tuple[str, dt.date]] = Counter()
    for mid, senders in ledger.sent.items():
        assert len(senders) == 1, mid
        per_box[(senders[0], ledger.day_of[mid])] += 1
        per_domain[(senders[0].split("@")[1], ledger.day_of[mid])] += 1
    assert max(per_box.values()) == PER_MAILBOX  # reached, never passed
    for (name, _), count in per_domain.items():
        assert count <= SENDER_DOMAINS[name]
    assert max(per_domain[("north.test", FIRST_DAY + dt.timedelta(days=n))] for n in range(5)) == 75


def check_delivered_once(ledger: Ledger, rows: list[dict[str, Any]], email_of: dict[int, str]) -> None:
    """Every lead-step has one row at most; every sent row arrived exactly once, with its lead; nothing else did."""
    assert Counter((r["lead_id"], r["step_position"]) for r in rows).most_common(1)[0][1] == 1
    sent = [r for r in rows if r["status"] == MessageStatus.SENT]
    for r in sent:
        if email_of[r["lead_id"]] not in GHOSTS:
            assert ledger.inbox.get(r["message_id"]) == [email_of[r["lead_id"]]], r
            assert r["message_id"] in ledger.sent
    assert set(ledger.inbox) <= {r["message_id"] for r in sent}


async def check_sequences(ws: Workspace, ledger: Ledger, rows: list[dict[str, Any]], lead_of: dict[str, int]) -> None:
    """Replies stopped their sequences after one message; the unsubscribers' planned follow-ups were cancelled
    (by the unsubscribe, or by the claim-time re-check while it is the stand-in); bounces suppressed and stopped;
    everyone else got both steps, those away once they were back."""
    final = {e.lead_id: e for e in await Enrollment.all()}
    received = Counter(to for copies in ledger.inbox.values() for to in copies)

    def steps(email: str, position: int) -> list[dict[str, Any]]:
        return [r for r in rows if r["lead_id"] == lead_of[email] and r["step_position"] == position]

    for email in REPLIERS:
        assert received[email] == 1 and final[lead_of[email]].state is EnrollmentState.REPLIED
    for email in QUITTERS:
        assert received[email] == 1 and final[lead_of[email]].state is EnrollmentState.UNSUBSCRIBED
        assert [MessageStatus(r["status"]) for r in steps(email, 2)] == [MessageStatus.CANCELLED]
        assert await Suppression.filter(workspace_id=ws.id, value=email).exists()
    for email in GHOSTS:
        assert final[lead_of[email]].state is EnrollmentState.BOUNCED, email
        assert await Suppression.filter(workspace_id=None, value=email, reason=SuppressionReason.BOUNCE).exists()
        assert [MessageStatus(r["status"]) for r in steps(email, 1)] == [MessageStatus.BOUNCED]
        assert not steps(email, 2)
    for email in set(LEADS) - set(REPLIERS) - set(QUITTERS):
        assert received[email] == 2 and final[lead_of[email]].state is EnrollmentState.COMPLETED, email
    for email in AWAY:
        [first], [second] = steps(email, 1), steps(email, 2)
        assert ledger.day_of[second["message_id"]] >= ledger.day_of[first["message_id"]] + dt.timedelta(days=2)


async def _all_sent(emails: list[str], lead_of: dict[str, int]) -> bool:
    ids = [lead_of[e] for e in emails]
    return await OutboundMessage.filter(lead_id__in=ids, status=MessageStatus.SENT).count() == len(ids)


async def _follow_ups_planned(emails: list[str], lead_of: dict[str, int]) -> bool:
    ids = [lead_of[e] for e in emails]
    waiting = [MessageStatus.PLANNED, MessageStatus.QUEUED]
    return await OutboundMessage.filter(lead_id__in=ids, step_position=2, status__in=waiting).count() == len(ids)


async def _answer(mail: MailServer, lead_of: dict[str, int], day: dt.date) -> None:
    """The repliers answer from their own mailboxes; those away send an out-of-office notice naming the day they
    are back (the day after tomorrow)."""
    rows = {
        r.lead_id: r
        for r in await OutboundMessage.filter(lead_id__in=[lead_of[e] for e in REPLIERS + AWAY]).prefetch_related(
            "mailbox"
        )
    }
    back = (day + dt.timedelta(days=2)).strftime("%d.%m.%Y")
    with smtplib.SMTP(mail.host, mail.ports.mx, timeout=10) as smtp:
        for email in REPLIERS:
            row = rows[lead_of[email]]
            smtp.send_message(answer(email, row.mailbox.address, row.message_id, "Re: hi", "Interesting, call me.\n"))
        for email in AWAY:
            row = rows[lead_of[email]]
            notice = f"I am out of the office until {back}.\n"
            smtp.send_message(
                answer(
                    email, row.mailbox.address, row.message_id, "Out of office", notice, Auto_Submitted="auto-replied"
                )
            )
    mail.settle()


# ------------------------------------------------------------------------------------------ the crash


CRASH_LEADS = LEADS[:120]


def start_worker(mail: MailServer, database_url: str, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SENDER_DATABASE_URL": database_url,
        "SENDER_REDIS_URL": REDIS_URL,
        "SENDER_VAULT_KEY": KEY,
        "SENDER_CAFILE": str(mail.cafile),
        "SENDER_STUCK_AFTER_S": "2",
        "SENDER_COMPOSE": "tests.integration.campaign_kit:compose",
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.integration.sender_process"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


async def wait_until(condition, timeout_s: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while not await condition():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.02)


async def test_a_worker_killed_mid_campaign_sends_every_lead_step_once_or_marks_it_unknown(
    mail: MailServer, database_url: str, redis: Redis, tmp_path: Path
) -> None:
    mail.reset()
    ws, boxes = await fleet(mail)
    now = dt.datetime.now(dt.UTC)  # the worker runs on the machine's clock
    warmed = now.date() - dt.timedelta(days=100)
    await Mailbox.filter(id__in=[b.id for b in boxes]).update(daily_cap=1000, warmup_started_on=warmed)
    await Domain.all().update(daily_cap=10_000)
    await Workspace.filter(id=ws.id).update(timezone="UTC")
    c = await campaign(
        ws, boxes, per_mailbox_cap=1000, daily_cap=10_000, timezone="UTC",
        window_start=dt.time(0, 0, tzinfo=dt.UTC), window_end=dt.time(0, 0, tzinfo=dt.UTC), weekdays=127,
    )  # fmt: skip
    enrollments = await enroll(c, CRASH_LEADS, now - dt.timedelta(minutes=1))
    await campaign_kit.plan_due(FrozenClock(now), c, boxes)
    await OutboundMessage.all().update(status=MessageStatus.QUEUED)
    total = len(enrollments)
    log = tmp_path / "worker.log"
    pool = await create_pool(RedisSettings.from_dsn(REDIS_URL))

    async def sent_at_least(n: int) -> bool:
        return await OutboundMessage.filter(status=MessageStatus.SENT).count() >= n

    try:
        first = start_worker(mail, database_url, log)
        await pool.enqueue_job("send_tick")
        try:
            await wait_until(lambda: sent_at_least(total // 4), 60, f"the worker sent nothing; see {log}")
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        left = await OutboundMessage.filter(status=MessageStatus.QUEUED).count()
        assert left > 0, "the burst finished before the kill: nothing was tested"
        mail.settle()

        second = start_worker(mail, database_url, log)
        try:
            await asyncio.sleep(2.5)  # past stuck_after for rows claimed before the kill

            async def resolved() -> bool:
                busy = [MessageStatus.QUEUED, MessageStatus.SENDING]
                if await OutboundMessage.filter(status__in=busy).exists():
                    await pool.enqueue_job("send_tick")
                    await asyncio.sleep(0.3)
                    return False
                return True

            await wait_until(resolved, 90, f"rows were left queued or sending; see {log}")
        finally:
            second.send_signal(signal.SIGKILL)
            second.wait(10)
    finally:
        await pool.aclose()
    mail.settle()

    rows = await OutboundMessage.all()
    assert {r.status for r in rows} <= {MessageStatus.SENT, MessageStatus.UNKNOWN} and len(rows) == total
    arrived = Counter(m.headers["message-id"] for m in mail.messages(["INBOX"], ["message-id"]))
    assert max(arrived.values()) == 1, [k for k, v in arrived.items() if v > 1]
    sent = {r.message_id for r in rows if r.status is MessageStatus.SENT}
    unknown = {r.message_id for r in rows if r.status is MessageStatus.UNKNOWN}
    assert sent <= set(arrived) <= sent | unknown
    # each lead-step once, and each enrollment where its record left it: advanced by a send, stopped by an unknown
    for r in rows:
        e = await Enrollment.get(id=r.enrollment_id)
        if r.status is MessageStatus.SENT:
            assert (e.current_step, e.thread_message_id, e.mailbox_id) == (2, r.message_id, r.mailbox_id)
        else:
            assert (e.state, e.stopped_reason) == (EnrollmentState.STOPPED, "send_unknown")

"""What sending a campaign row costs over sending a warmup row: the outbox's claim → campaign re-check → compose →
SMTP → record with the enrollment's advance, against the same outbox sending warmup rows, to the same Postfix.

Run from the repository root:  .venv/bin/python -m bench.bench_campaign_send [--messages 1000 --mailboxes 10]

One process plays one worker (a send job per mailbox, all at once). The composer is a trivial one (the content
engineer's `Composer` has its own bench, `bench_compose`): what is measured is the outbox's own campaign work —
the re-check query, the CampaignRow, the message with List-Unsubscribe, the subject, links and enrollment advance
in the record. Rounds alternate warmup and campaign runs; the Postfix queue is emptied between them. A scratch
database `mailfleet_bench_<pid>` is created on BENCH_DATABASE_URL's server (default: local postgres) and dropped.
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import tempfile

from tortoise import connections

from bench.bench_send import Run, engine_run
from bench.scratch import scratch_database
from engine import db
from engine.campaigns.ports import CampaignRow, Composed
from engine.clock import FrozenClock
from engine.crypto import Vault, generate_key
from engine.mail.message import make_message_id
from engine.mail.smtp import SmtpTransport, shared_tls_context
from engine.sending.outbox import EffectiveCaps, Outbox, SendOptions
from engine.sending.sentfolder import ImapSentFolder
from models import Campaign, Domain, Enrollment, Lead, Mailbox, OutboundMessage, Step, Workspace
from models.enums import CampaignStatus, MailboxStatus, MailProvider, MessageKind, MessageStatus, TlsMode
from tests.harness.mailserver import MailServer

PASSWORD = "pw"  # noqa: S105 - the harness mailboxes' password
NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)  # a Monday, inside the window
TEXT = "Добрый день!\n\nКоротко о нашем предложении: https://example.com/offer\n\n--\nAcme\nОтписаться: {url}\n"


async def compose(row: CampaignRow) -> Composed:
    url = f"https://t.example.com/u/{row.row_id}"
    return Composed(
        subject=f"Предложение для {row.recipient}",
        text=TEXT.format(url=url),
        links=("https://example.com/offer",),
        unsubscribe_url=url,
    )


async def setup(mail: MailServer, messages: int, mailboxes: int, vault: Vault) -> list[int]:
    ws = await Workspace.create(slug="bench", name="Bench", timezone="UTC")
    alpha = await Domain.create(workspace=ws, name="alpha.test", daily_cap=10**6)
    beta = await Domain.create(workspace=ws, name="beta.test", daily_cap=10**6)
    senders, peers = [], []
    for n in range(1, mailboxes + 1):
        for domain, group in ((alpha, senders), (beta, peers)):
            address = f"user{n}@{domain.name}"
            box = await Mailbox.create(
                workspace=ws, domain=domain, address=address, display_name=f"User {n}",
                provider=MailProvider.GENERIC, smtp_host=mail.host, smtp_port=mail.ports.submission,
                smtp_tls=TlsMode.STARTTLS, imap_host=mail.host, imap_port=mail.ports.imap, imap_tls=TlsMode.PLAIN,
                username=address, secret_enc=vault.encrypt(PASSWORD), status=MailboxStatus.ACTIVE,
                daily_cap=10**6, warmup_started_on=NOW.date() - dt.timedelta(days=100),
            )  # fmt: skip
            group.append(box)
    c = await Campaign.create(
        workspace=ws, name="Bench", status=CampaignStatus.RUNNING, timezone="UTC", daily_cap=10**6,
        per_mailbox_cap=10**6, window_start=dt.time(0, 0, tzinfo=dt.UTC), window_end=dt.time(0, 0, tzinfo=dt.UTC),
        weekdays=127,
    )  # fmt: skip
    for position in (1, 2):
        await Step.create(campaign=c, position=position, delay_days=2, variants=[{"subject": "s", "body": "b"}])
    leads = [
        Lead(workspace_id=ws.id, email=f"user{i % mailboxes + 1}+lead{i}@beta.test", first_name=f"Lead {i}")
        for i in range(messages)
    ]
    await Lead.bulk_create(leads, batch_size=5000)
    stored = await Lead.filter(workspace_id=ws.id).order_by("id")
    await Enrollment.bulk_create([Enrollment(campaign=c, lead=lead, current_step=1) for lead in stored])
    enrollments = await Enrollment.filter(campaign=c).order_by("id")
    rows = []
    for i, (lead, e) in enumerate(zip(stored, enrollments, strict=True)):
        box = senders[i % mailboxes]
        due = NOW - dt.timedelta(minutes=1)
        step = OutboundMessage(
            kind=MessageKind.CAMPAIGN, workspace_id=ws.id, mailbox=box, campaign=c, enrollment=e, lead=lead,
            step_position=1, variant=0, message_id=make_message_id(box.address), status=MessageStatus.CANCELLED,
            scheduled_at=due,
        )  # fmt: skip
        warm = OutboundMessage(
            kind=MessageKind.WARMUP, workspace_id=ws.id, mailbox=box, peer=peers[i % mailboxes],
            message_id=make_message_id(box.address), subject=f"Re: четверг #{i}", body=TEXT.format(url="-"),
            status=MessageStatus.CANCELLED, scheduled_at=due,
        )  # fmt: skip
        rows += [step, warm]
    await OutboundMessage.bulk_create(rows, batch_size=5000)
    return [box.id for box in senders]


async def reset(kind: MessageKind) -> None:
    """Only `kind`'s rows queued (the others cancelled), the enrollments back at step 1, the counters empty."""
    await connections.get("default").execute_query(
        "UPDATE outbound_message SET status = CASE WHEN kind = $1 THEN 'queued' ELSE 'cancelled' END, attempts = 0, "
        "claimed_at = NULL, sent_at = NULL, smtp_code = NULL, smtp_reply = ''",
        [kind.value],
    )
    await connections.get("default").execute_script(
        "UPDATE enrollment SET state = 'active', current_step = 1, thread_message_id = '', mailbox_id = NULL, "
        "next_due_at = NULL, last_sent_at = NULL; TRUNCATE event, daily_stat, cap_deferral"
    )


async def measure(mail: MailServer, url: str, args: argparse.Namespace) -> dict[MessageKind, list[Run]]:
    await db.init_db(url)
    vault = Vault([generate_key()])
    mailbox_ids = await setup(mail, args.messages, args.mailboxes, vault)
    runs: dict[MessageKind, list[Run]] = {MessageKind.WARMUP: [], MessageKind.CAMPAIGN: []}
    context = shared_tls_context(str(mail.cafile))
    async with SmtpTransport(tls_context=context, max_connections=100) as transport:
        outbox = Outbox(
            clock=FrozenClock(NOW), vault=vault, sender=transport, sent_folder=ImapSentFolder(),
            options=SendOptions(ssl_context=context, batch_limit=10**6), caps=EffectiveCaps(), compose=compose,
        )  # fmt: skip
        for _ in range(args.rounds):
            for kind, found in runs.items():
                mail.reset()
                await reset(kind)
                await asyncio.sleep(1.0)
                found.append(await engine_run(outbox, mailbox_ids, args.messages))
        advanced = await Enrollment.filter(current_step=2).count()
        if advanced != args.messages:
            raise RuntimeError(f"{advanced} of {args.messages} enrollments advanced")
    await db.close_db()
    return runs


def report(name: str, runs: list[Run]) -> tuple[float, float]:
    rate = statistics.median(r for r, _ in runs)
    cpu = statistics.median(c for _, c in runs)
    listed = ", ".join(f"{r:.1f}" for r, _ in runs)
    print(f"{name:<24}: {rate:7.1f} msg/s, client CPU {cpu:6.0f} µs/msg  (runs: {listed})")
    return rate, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000, help="messages per run")
    parser.add_argument("--mailboxes", type=int, default=10, help="sending mailboxes (= connections)")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each kind, alternating")
    args = parser.parse_args()
    with (
        scratch_database() as url,
        tempfile.TemporaryDirectory(prefix="bench-campaign-send-") as base,
        MailServer(base, users_per_domain=args.mailboxes, password=PASSWORD) as mail,
    ):
        runs = asyncio.run(measure(mail, url, args))
    print(f"{args.messages} messages from {args.mailboxes} mailboxes (STARTTLS + AUTH), {args.rounds} rounds each")
    warm_rate, warm_cpu = report("warmup rows", runs[MessageKind.WARMUP])
    camp_rate, camp_cpu = report("campaign rows (+advance)", runs[MessageKind.CAMPAIGN])
    print(f"campaign/warmup         : {camp_rate / warm_rate:.2f} of the rate, +{camp_cpu - warm_cpu:.0f} µs CPU/msg")


if __name__ == "__main__":
    main()

"""Engine send throughput: the outbox (claim → re-check → build → SMTP → recorded) against a bare aiosmtplib loop
sending the same messages to the same Postfix, in the same run.

Run from the repository root:  .venv/bin/python -m bench.bench_send [--messages 1000 --mailboxes 10 --rounds 2
--claim-batch 8]

One process plays one worker: a send job per mailbox, all at once (as arq runs them with max_jobs ≥ mailboxes),
each over its mailbox's one reused STARTTLS + AUTH connection. The bare loop uses as many connections and sends
the very bytes the outbox built. Rounds alternate and the Postfix queue is emptied between them. A scratch
database `mailfleet_bench_<pid>` is created on BENCH_DATABASE_URL's server (default: local postgres) and dropped.
Client CPU per email is this process's CPU (PostgreSQL's own CPU is not in it). Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import statistics
import tempfile
import time

from tortoise import connections

from bench.bench_smtp import bare
from bench.scratch import scratch_database
from engine import db
from engine.clock import FrozenClock
from engine.crypto import Vault, generate_key
from engine.mail.message import BuiltMessage, make_message_id
from engine.mail.smtp import SmtpTransport, shared_tls_context
from engine.sending.outbox import Outbox, SendOptions, _claimed_rows
from engine.sending.sentfolder import ImapSentFolder
from jobs.worker import tune_gc
from models import Domain, Mailbox, OutboundMessage, Workspace
from models.enums import MailboxStatus, MailProvider, MessageKind, MessageStatus, TlsMode
from tests.harness.mailserver import MailServer

PASSWORD = "pw"  # noqa: S105 - the harness mailboxes' password
NOW = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)
BODY = (
    "Привет, {name}!\n\nКак прошла неделя? У нас наконец закончился переезд офиса, "
    "теперь сидим у окна с видом на парк.\n\nДавай созвонимся в четверг?\n\nИван\n"
)
Run = tuple[float, float]  # msg/s, client CPU µs per message


async def setup(mail: MailServer, messages: int, mailboxes: int, vault: Vault) -> list[int]:
    ws = await Workspace.create(slug="bench", name="Bench", timezone="UTC")
    alpha = await Domain.create(workspace=ws, name="alpha.test", daily_cap=10**6)
    beta = await Domain.create(workspace=ws, name="beta.test", daily_cap=10**6)
    senders, peers = [], []
    for n in range(1, mailboxes + 1):
        for domain, group in ((alpha, senders), (beta, peers)):
            address = f"user{n}@{domain.name}"
            group.append(
                await Mailbox.create(
                    workspace=ws, domain=domain, address=address, display_name=f"User {n}",
                    provider=MailProvider.GENERIC, smtp_host=mail.host, smtp_port=mail.ports.submission,
                    smtp_tls=TlsMode.STARTTLS, imap_host=mail.host, imap_port=mail.ports.imap,
                    imap_tls=TlsMode.PLAIN, username=address, secret_enc=vault.encrypt(PASSWORD),
                    status=MailboxStatus.ACTIVE, daily_cap=10**6,
                )
            )  # fmt: skip
    rows = [
        OutboundMessage(
            kind=MessageKind.WARMUP,
            workspace_id=ws.id,
            mailbox=senders[i % mailboxes],
            peer=peers[i % mailboxes],
            message_id=make_message_id(senders[i % mailboxes].address),
            subject=f"Re: четверг #{i}",
            body=BODY.format(name=f"Пётр {i}"),
            status=MessageStatus.QUEUED,
            scheduled_at=NOW - dt.timedelta(minutes=1),
        )
        for i in range(messages)
    ]
    await OutboundMessage.bulk_create(rows, batch_size=5000)
    return [box.id for box in senders]


async def reset_rows() -> None:
    await connections.get("default").execute_script(
        "UPDATE outbound_message SET status = 'queued', attempts = 0, claimed_at = NULL, sent_at = NULL, "
        "smtp_code = NULL, smtp_reply = ''; TRUNCATE event, daily_stat"
    )


async def engine_run(outbox: Outbox, mailbox_ids: list[int], count: int) -> Run:
    wall, cpu = time.perf_counter(), time.process_time()
    reports = await asyncio.gather(*(outbox.send_mailbox(i) for i in mailbox_ids))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    sent = sum(r.sent for r in reports)
    if sent != count:
        raise RuntimeError(f"the outbox sent {sent} of {count}: {reports[:3]}")
    return count / wall, cpu / count * 1e6


async def built_messages(outbox: Outbox, mailbox_ids: list[int]) -> dict[str, list[BuiltMessage]]:
    """The bytes the outbox builds for every row, per sending mailbox (what the bare loop sends)."""
    ids = [r["id"] for r in await OutboundMessage.all().order_by("id").values("id")]
    rows = await _claimed_rows(ids)
    peers = {m.id: (m.address, m.display_name) for m in await Mailbox.all()}
    work: dict[str, list[BuiltMessage]] = {}
    accounts = {i: await outbox.account(i) for i in mailbox_ids}
    for row in rows:
        account = accounts[row.mailbox_id]
        assert account is not None and row.peer_id is not None
        address, name = peers[row.peer_id]
        built = outbox._build(account, dataclasses.replace(row, recipient=address, recipient_name=name))
        work.setdefault(account.address, []).append(built)
    return work


async def measure(mail: MailServer, url: str, args: argparse.Namespace) -> tuple[list[Run], list[Run]]:
    await db.init_db(url)
    vault = Vault([generate_key()])
    mailbox_ids = await setup(mail, args.messages, args.mailboxes, vault)
    engine_runs: list[Run] = []
    bare_runs: list[Run] = []
    async with SmtpTransport(tls_context=shared_tls_context(str(mail.cafile)), max_connections=100) as transport:
        outbox = Outbox(
            clock=FrozenClock(NOW),
            vault=vault,
            sender=transport,
            sent_folder=ImapSentFolder(),
            options=SendOptions(
                ssl_context=shared_tls_context(str(mail.cafile)), batch_limit=10**6, claim_batch=args.claim_batch
            ),
        )
        work = await built_messages(outbox, mailbox_ids)
        tune_gc()  # as the worker does at the end of its startup
        await bare(mail, [(k, v[:1]) for k, v in list(work.items())[:1]])  # warm up Postfix's tlsmgr
        for _ in range(args.rounds):
            mail.reset()
            await asyncio.sleep(1.0)
            bare_runs.append(await bare(mail, list(work.items())))  # the same loop as bench_smtp
            mail.reset()
            await reset_rows()
            await asyncio.sleep(1.0)
            engine_runs.append(await engine_run(outbox, mailbox_ids, args.messages))
    await db.close_db()
    return engine_runs, bare_runs


def report(name: str, runs: list[Run]) -> float:
    rate = statistics.median(r for r, _ in runs)
    cpu = statistics.median(c for _, c in runs)
    listed = ", ".join(f"{r:.1f}" for r, _ in runs)
    print(f"{name:<22}: {rate:7.1f} msg/s, client CPU {cpu:6.0f} µs/msg  (runs: {listed})")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000, help="messages per run")
    parser.add_argument("--mailboxes", type=int, default=10, help="sending mailboxes (= connections)")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each side, alternating")
    parser.add_argument("--claim-batch", type=int, default=SendOptions().claim_batch, help="rows per claim")
    args = parser.parse_args()
    with (
        scratch_database() as url,
        tempfile.TemporaryDirectory(prefix="bench-send-") as base,
        MailServer(base, users_per_domain=args.mailboxes, password=PASSWORD) as mail,
    ):
        engine_runs, bare_runs = asyncio.run(measure(mail, url, args))
    print(
        f"{args.messages} messages from {args.mailboxes} mailboxes (STARTTLS + AUTH), {args.rounds} rounds each, "
        f"claims of up to {args.claim_batch} rows"
    )
    b = report("bare aiosmtplib loop", bare_runs)
    e = report("outbox (one worker)", engine_runs)
    print(f"ratio outbox/bare      : {e / b:.2f}  (target ≥ 0.5; absolute target ≥ 100 msg/s)")


if __name__ == "__main__":
    main()

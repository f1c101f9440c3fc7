"""SMTP throughput: `SmtpTransport` against a bare aiosmtplib loop, same Postfix, same number of connections.

Run from the repository root:  .venv/bin/python -m bench.bench_smtp [--messages 1000 --connections 10 --rounds 2]

Both sides connect with STARTTLS + AUTH through one shared SSLContext, then send pre-built messages over
kept-alive connections, one mailbox per connection; connecting is inside the timed part for both. Rounds
alternate (bare, transport, bare, …) and the Postfix queue is emptied between them, because delivery to
Dovecot competes for the same two cores. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import tempfile
import time

import aiosmtplib

from engine.clock import FrozenClock
from engine.mail.message import BuiltMessage, MessageSpec, build_message
from engine.mail.providers import Credentials, Endpoint
from engine.mail.smtp import SmtpTransport, shared_tls_context
from models.enums import AuthKind, TlsMode
from tests.harness.mailserver import MailServer

PASSWORD = "pw"  # noqa: S105 - the harness mailboxes' password
CLOCK = FrozenClock(dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC))
BODY = (
    "Здравствуйте, {name}!\n\nМы помогаем командам вроде вашей сократить время на отчёты вдвое. "
    "Удобно ли созвониться на этой неделе?\n\n-- \nИван Петров\nООО «Пример», ИНН 7700000000\n"
)


def spec(n: int, sender: str, recipient: str) -> MessageSpec:
    return MessageSpec(
        sender=sender,
        sender_name="Иван Петров",
        recipient=recipient,
        recipient_name=f"Пётр {n}",
        subject=f"Пётр, вопрос про отчёты #{n}",
        text=BODY.format(name=f"Пётр {n}"),
        unsubscribe_url=f"https://t.example/u/{n:08x}",
        unsubscribe_mailto="unsub@alpha.test",
    )


def build_cost_us(count: int) -> float:
    """CPU time of building one personalised message, in microseconds (best of three batches)."""
    specs = [spec(n, "user1@alpha.test", "user1@beta.test") for n in range(count)]
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for item in specs:
            build_message(item, CLOCK)
        best = min(best, (time.perf_counter() - started) / count)
    return best * 1e6


def workload(mail: MailServer, messages: int, connections: int) -> list[tuple[str, list[BuiltMessage]]]:
    """Per connection: its mailbox (sender = login) and its share of the messages."""
    per = messages // connections
    return [
        (
            f"user{c}@alpha.test",
            [build_message(spec(n, f"user{c}@alpha.test", f"user{c}@beta.test"), CLOCK) for n in range(per)],
        )
        for c in range(1, connections + 1)
    ]


class Timer:
    """Wall clock and this process's CPU over a run: msg/s, and client CPU µs per message."""

    def __init__(self, work: list[tuple[str, list[BuiltMessage]]]) -> None:
        self.count = sum(len(batch) for _, batch in work)

    def __enter__(self) -> Timer:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *_: object) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu

    def figures(self) -> tuple[float, float]:
        return self.count / self.wall, self.cpu / self.count * 1e6


async def bare(mail: MailServer, work: list[tuple[str, list[BuiltMessage]]]) -> tuple[float, float]:
    """The floor: one aiosmtplib.SMTP per mailbox, sendmail in a loop."""
    context = shared_tls_context(str(mail.cafile))

    async def run(login: str, batch: list[BuiltMessage]) -> None:
        smtp = aiosmtplib.SMTP(
            hostname=mail.host, port=mail.ports.submission, start_tls=True, tls_context=context,
            local_hostname="[127.0.0.1]",
        )  # fmt: skip
        await smtp.connect()
        await smtp.login(login, PASSWORD)
        for item in batch:
            await smtp.sendmail(item.sender, [item.recipient], item.data)
        await smtp.quit()

    with Timer(work) as timer:
        await asyncio.gather(*(run(login, batch) for login, batch in work))
    return timer.figures()


async def transport(mail: MailServer, work: list[tuple[str, list[BuiltMessage]]]) -> tuple[float, float]:
    """The product path: SmtpTransport.send for every message, the pool opening one connection per mailbox."""
    endpoint = Endpoint(mail.host, mail.ports.submission, TlsMode.STARTTLS)

    async def run(pool: SmtpTransport, login: str, batch: list[BuiltMessage]) -> None:
        credentials = Credentials(login, AuthKind.PASSWORD, PASSWORD)
        for item in batch:
            result = await pool.send(endpoint, credentials, item)
            if not result.ok:
                raise RuntimeError(f"send failed: {result.key} {result.text}")

    with Timer(work) as timer:
        async with SmtpTransport(tls_context=shared_tls_context(str(mail.cafile)), max_connections=len(work)) as pool:
            await asyncio.gather(*(run(pool, login, batch) for login, batch in work))
    if pool.opened != len(work):
        raise RuntimeError(f"expected {len(work)} connections, the pool opened {pool.opened}")
    return timer.figures()


Runs = list[tuple[float, float]]


async def measure(mail: MailServer, messages: int, connections: int, rounds: int) -> tuple[Runs, Runs]:
    work = workload(mail, messages, connections)
    await bare(mail, work[:1])  # warm-up: first TLS sessions after start wait for Postfix's tlsmgr
    bare_runs: Runs = []
    transport_runs: Runs = []
    for _ in range(rounds):
        for runner, runs in ((bare, bare_runs), (transport, transport_runs)):
            mail.reset()
            await asyncio.sleep(1.0)  # let in-flight deliveries finish before the next timed run
            runs.append(await runner(mail, work))
    return bare_runs, transport_runs


def report(name: str, runs: Runs) -> float:
    rate = statistics.median(r for r, _ in runs)
    cpu = statistics.median(c for _, c in runs)
    listed = ", ".join(f"{r:.1f}" for r, _ in runs)
    print(f"{name:<21}: {rate:7.1f} msg/s, client CPU {cpu:6.0f} µs/msg  (runs: {listed})")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000, help="messages per run")
    parser.add_argument("--connections", type=int, default=10, help="connections (= mailboxes) per run")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each side, alternating")
    args = parser.parse_args()

    print(f"message build: {build_cost_us(5000):.1f} µs/message (personalised, Cyrillic, with List-Unsubscribe)")
    with (
        tempfile.TemporaryDirectory(prefix="bench-smtp-") as base,
        MailServer(base, users_per_domain=max(args.connections, 1), password=PASSWORD) as mail,
    ):
        bare_runs, transport_runs = asyncio.run(measure(mail, args.messages, args.connections, args.rounds))
    print(f"{args.messages} messages over {args.connections} connections (STARTTLS + AUTH), {args.rounds} rounds each")
    b = report("bare aiosmtplib loop", bare_runs)
    t = report("SmtpTransport", transport_runs)
    print(f"ratio transport/bare : {t / b:.2f}  (target ≥ 0.8)")


if __name__ == "__main__":
    main()

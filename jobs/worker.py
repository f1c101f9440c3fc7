"""arq glue: the worker's settings, its start-up and shutdown, and the job functions (a few lines each)."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import dataclasses
import gc
import itertools
import os
import signal
from collections.abc import Callable
from typing import Any, ClassVar

from arq import Retry, cron
from arq.typing import StartupShutdown
from arq.worker import Worker, func
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.exceptions import WatchError

from engine import alerts, db, domains, inbox, redis_client, watchdog
from engine.access import SYSTEM
from engine.campaigns import planner as campaign_planner
from engine.campaigns.compose import Composer
from engine.campaigns.ports import ComposeCampaign
from engine.cancel import cancel_and_wait
from engine.clock import SystemClock
from engine.compliance import retention
from engine.compliance.hashing import AddressHasher
from engine.crypto import Vault
from engine.domains import progress, swap
from engine.health import HEARTBEAT_KEY
from engine.logging import get_logger
from engine.mail.smtp import SmtpTransport
from engine.mail.tls import MailPolicy
from engine.monitoring import service as monitoring
from engine.monitoring.health import health_factors
from engine.notify import Notification, deliver, flush_digests, pending, settle, submit
from engine.reports import digest as report_digests
from engine.sending import planner
from engine.sending.outbox import EffectiveCaps, Outbox, SendOptions
from engine.sending.sentfolder import ImapSentFolder
from engine.settings import Settings, load_settings
from engine.tracking import TrackingLinks
from engine.warmup import graduation
from engine.warmup.content import compose_warmup
from engine.warmup.marker import WarmupMarker
from jobs import enqueue

log = get_logger(__name__)
HEARTBEAT_TTL_S = 300  # /healthz shows "none" when no worker beat for 5 minutes
M_MMAP_THRESHOLD, MMAP_THRESHOLD = -3, 128 * 1024  # glibc's mallopt parameter, and its initial value
SEND_GROUP = 8  # mailboxes per send job: each job reads their accounts and rolls their counters up once
GC_EVERY_JOBS = 1_000  # finished jobs between two full garbage collections (`cycle_collector`)


async def startup(ctx: dict[str, Any]) -> None:
    if not ctx.get("db_ready"):
        await db.init_db(ctx["database_url"])
    ctx.setdefault("clock", SystemClock())
    ctx.setdefault("settings", load_settings())
    ctx.setdefault("dns", domains.DnsConfig.from_settings(ctx["settings"]))
    ca_file = ctx["settings"].mail_ca_file
    policy = MailPolicy.from_settings(ctx["settings"])  # mail ports and public hosts only, each resolved once
    ctx.setdefault("inbox_options", inbox.SyncOptions(ca_file=str(ca_file) if ca_file else None, policy=policy))
    keys = ctx["settings"].fernet_keys()  # required with production URLs; `run` passes its embedded vault
    if keys:
        ctx.setdefault("vault", Vault(keys))
    if "vault" in ctx and "outbox" not in ctx:
        options = SendOptions(ca_file=str(ca_file) if ca_file else None)
        ctx["outbox"] = Outbox(
            clock=ctx["clock"],
            vault=ctx["vault"],
            sender=SmtpTransport(policy=policy),
            sent_folder=ImapSentFolder(policy=policy),
            options=options,
            headers_for=WarmupMarker.from_vault(ctx["vault"]).headers_for,
            caps=EffectiveCaps(),  # every cap the planners apply, applied again to rows already queued
            compose=ctx.get("compose_campaign") or campaign_composer(ctx["settings"], ctx["vault"]),
            compose_warmup=ctx.get("compose_warmup", compose_warmup),
        )
    tune_malloc()
    tune_gc()


def tune_malloc() -> bool:
    """Blocks of 128 KiB and more get a mapping of their own, unmapped when freed, for the life of the process.

    glibc starts so, but once it frees a mapped block bigger than that (a large query result, a plan's lists) it
    raises the threshold to that block's size. asyncio reads every socket into a new 256 KiB block, shrunk to what
    arrived: past that point those blocks come from the heap, and the short messages left in them, still alive,
    keep the heap from reusing or returning what lies behind them. The load day's worker heap grew by about 2 MB
    a thousand jobs so, all of it free and never given back (`bench/bench_load.py`); with the threshold fixed it
    stays flat (a socket read was no slower in a micro-benchmark). Nothing is done (False) where the C library
    is not glibc."""
    try:
        glibc = os.confstr("CS_GNU_LIBC_VERSION") or ""
    except (ValueError, OSError):
        glibc = ""
    if not glibc.startswith("glibc"):
        return False
    mallopt = ctypes.CDLL(None).mallopt  # the process's own C library
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))


def tune_gc() -> None:
    """What startup built lives as long as the process: frozen, the collector stops walking it again and again
    while a day's plan allocates hundreds of thousands of short-lived objects (a tenth of a re-plan tick otherwise);
    and the young generation is collected once 50,000 container objects more were allocated than freed, instead of
    700 (plans and sweeps allocate in bursts of tuples that die together).

    A sending worker frees nearly all it allocates, so it did not reach that threshold once in a load day
    (`bench/bench_load.py`): cyclic garbage piled up uncollected all day, above all every closed SMTP connection
    (its asyncio transport refers to itself; the pool closes one every few jobs). `cycle_collector` therefore
    runs a full collection every `GC_EVERY_JOBS` jobs: it only walks what startup did not build, tens of
    milliseconds on a loaded box."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def cycle_collector(every: int) -> StartupShutdown:
    """arq's after_job_end: a full garbage collection every `every` finished jobs of this process (see
    `tune_gc`). arq hands each job a copy of the worker's context, so the count lives here."""
    finished = itertools.count(1)

    async def collect_cycles(ctx: dict[str, Any]) -> None:
        if next(finished) % every == 0:
            gc.collect()

    return collect_cycles


def campaign_composer(settings: Settings, vault: Vault) -> ComposeCampaign:
    """The composer of campaign rows, with signed tracking links (every key verifies, the newest signs)."""
    return Composer(TrackingLinks.from_vault(settings.tracking_base_url, vault))


async def shutdown(ctx: dict[str, Any]) -> None:
    if isinstance(sender := getattr(ctx.get("outbox"), "sender", None), SmtpTransport):
        await sender.close()
    if not ctx.get("db_ready"):
        await db.close_db()


async def heartbeat(ctx: dict[str, Any]) -> str:
    """Record that a worker is alive; `/healthz` reports the last beat."""
    moment: str = ctx["clock"].now().isoformat(timespec="seconds")
    await ctx["redis"].set(HEARTBEAT_KEY, moment, ex=HEARTBEAT_TTL_S)
    return moment


async def deliver_notification(ctx: dict[str, Any], data: dict[str, Any]) -> dict[str, list[str]]:
    """Deliver to every bound chat; chats at their rate limit are retried once their next slot frees, chats failing
    for a while with a backoff (the notification stays pending in the database until every chat has it)."""
    notification = Notification.from_dict(data)
    report = await deliver(notification, ctx.get("notifiers", {}), ctx["redis"], ctx["clock"])
    wait = await settle(notification, report, ctx["clock"])
    if wait is not None:
        raise Retry(defer=wait)
    return {
        "sent": report.sent,
        "held": report.held,
        "duplicate": report.duplicate,
        "unavailable": report.unavailable,
        "failed": report.failed,
    }


async def dispatch_notifications(ctx: dict[str, Any]) -> int:
    """Announce new alerts and approval requests in their workspaces' chats, kept pending until delivered; queue
    again what a lost job left undelivered."""
    due = await alerts.claim_due(ctx["clock"], keep=submit)
    due += [n for n in await pending(ctx["clock"]) if n.id not in {d.id for d in due}]
    for item in due:
        await enqueue.notification(ctx["redis"], item)
    return len(due)


async def send_digests(ctx: dict[str, Any]) -> int:
    """One digest per chat for each closed rate window in which alerts were held."""
    return await flush_digests(ctx.get("notifiers", {}), ctx["redis"], ctx["clock"])


async def watch_fleet(ctx: dict[str, Any]) -> dict[str, Any]:
    """Agency-wide alerts: a worker down (heartbeat too old), the send queue backing up; resolved when cleared."""
    seen = await watchdog.check_fleet(ctx["redis"], ctx["clock"])
    return {"worker_down": seen.worker_down, "backlog": seen.backlog}


async def check_dns(ctx: dict[str, Any]) -> int:
    """Every domain's records against its plan; drift raises alerts."""
    return len(await domains.check_all_dns(SYSTEM, ctx["clock"], ctx["dns"]))


async def check_blacklists(ctx: dict[str, Any]) -> int:
    return len(await domains.check_all_blacklists(SYSTEM, ctx["clock"], ctx["dns"]))


async def watch_domains(ctx: dict[str, Any]) -> int:
    """Expiry alerts and DMARC steps proposed for approval."""
    expiring = await domains.watch_expiry(SYSTEM, ctx["clock"], ctx["dns"])
    proposed = await domains.propose_dmarc_steps(SYSTEM, ctx["clock"], ctx["dns"])
    return len(expiring) + len(proposed)


async def expire_approvals(ctx: dict[str, Any]) -> int:
    """Requests nobody decided in time are over; a domain swap still needed is asked for again (every 15 minutes)."""
    return len(await swap.renew_expired(ctx["clock"]))


async def sync_inboxes(ctx: dict[str, Any]) -> dict[str, int]:
    """Read new mail of the whole fleet: replies stop sequences, bounces suppress, warmup is rescued from spam."""
    if "vault" not in ctx:
        log.error("inbox sync needs ENCRYPTION_KEYS to read mailbox secrets")
        return {}
    results = await inbox.sweep_all(ctx["clock"], ctx["vault"], ctx.get("inbox_options"))
    return {status: sum(1 for r in results if r.status == status) for status in {r.status for r in results}}


async def send_tick(ctx: dict[str, Any]) -> dict[str, int]:
    """Queue what the database says is due; nudge a send job per `SEND_GROUP` mailboxes and a recovery job per stuck
    mailbox."""
    if "outbox" not in ctx:
        log.error("sending needs ENCRYPTION_KEYS to read mailbox secrets")
        return {}
    due = await ctx["outbox"].sweep()
    tick = ctx["clock"].now().strftime("%Y%m%d%H%M%S")  # a job killed with its worker keeps its id for a while
    for group in _groups(due.send, SEND_GROUP):
        await enqueue.send_mailboxes(ctx["redis"], group, tick)
    for mailbox_id in due.recover:
        await enqueue.recover_mailbox(ctx["redis"], mailbox_id, tick)
    return {"queued": due.queued, "send": len(due.send), "recover": len(due.recover)}


async def send_mailbox(ctx: dict[str, Any], *, mailbox_id: int) -> dict[str, int]:
    """Send one mailbox's due messages (each claimed once, re-checked against pauses and caps)."""
    report = await ctx["outbox"].send_mailbox(mailbox_id)
    return {"sent": report.sent, "retried": report.retried, "failed": report.failed}


async def send_mailboxes(ctx: dict[str, Any], *, mailbox_ids: list[int]) -> dict[str, int]:
    """Send several mailboxes' due messages (`Outbox.send_mailboxes`; each row claimed once, re-checked)."""
    reports = await ctx["outbox"].send_mailboxes(mailbox_ids)
    return {
        "mailboxes": len(reports),
        "sent": sum(r.sent for r in reports),
        "retried": sum(r.retried for r in reports),
        "failed": sum(r.failed for r in reports),
    }


def _groups(ids: tuple[int, ...], size: int) -> list[tuple[int, ...]]:
    """`ids` in consecutive groups of at most `size`."""
    return [ids[i : i + size] for i in range(0, len(ids), size)]


async def recover_mailbox(ctx: dict[str, Any], *, mailbox_id: int) -> dict[str, int]:
    """Resolve rows stuck in `sending` from the mailbox's Sent folder; never resend."""
    report = await ctx["outbox"].recover_mailbox(mailbox_id)
    return {"sent": report.sent, "unknown": report.unknown, "retried": report.retried}


async def plan_warmup(ctx: dict[str, Any]) -> int:
    """Turn today's warmup quotas into planned sends inside every cap (idempotent; every 10 minutes)."""
    memo = planner.RedisPlanMemo(ctx["redis"])  # unchanged workspaces are skipped between ticks
    options = ctx.get("warmup_plan_options") or planner.PlanOptions()  # tests and the demo: a seed
    options = dataclasses.replace(options, health=await health_factors())  # monitoring's volume cuts
    return (await planner.plan_warmup(ctx["clock"], options, memo=memo)).planned


async def plan_campaigns(ctx: dict[str, Any]) -> int:
    """Turn due enrollments of running campaigns into planned sends inside every cap (idempotent; every 10
    minutes, between the warmup plans)."""
    options = ctx.get("campaign_plan_options") or campaign_planner.CampaignPlanOptions(  # tests: a seed
        horizon_s=campaign_planner.HORIZON_S
    )
    options = dataclasses.replace(options, health=await health_factors())  # monitoring's volume cuts
    memo = campaign_planner.campaign_memo(ctx["redis"])  # unchanged workspaces are skipped between ticks
    return (await campaign_planner.plan_campaigns(ctx["clock"], options, memo=memo)).planned


async def graduate_warmup(ctx: dict[str, Any]) -> int:
    """Warming mailboxes that passed their minimum period and placement become active, then their domains follow
    them along `new → dns_pending → warming → active` (daily)."""
    graduated = len((await graduation.run_gate(ctx["clock"])).graduated)
    await progress.advance_domains(ctx["clock"])
    return graduated


async def monitor(ctx: dict[str, Any]) -> dict[str, int]:
    """Evaluate the protection rules and apply them: cooldowns, volume cuts and their gradual return, disables,
    workspace pauses (every 15 minutes; idempotent)."""
    report = await monitoring.evaluate(ctx["clock"])
    return {**report.actions, "workspaces": report.workspaces, "failed": report.failed}


async def send_reports(ctx: dict[str, Any]) -> int:
    """The daily digests (yesterday) and, on Mondays, the weekly client reports that are due, each once per
    workspace and day however many workers run (claimed in Redis; delivered through `engine.notify`)."""
    due = await report_digests.due(ctx["clock"], ctx["redis"])
    await submit(due, ctx["clock"])
    for item in due:
        await enqueue.notification(ctx["redis"], item)
    return len(due)


async def purge_retention(ctx: dict[str, Any]) -> int:
    """Delete what each workspace's retention setting no longer keeps, in batches (daily; idempotent)."""
    if "vault" not in ctx:  # a deleted lead keeps the keyed hash of its address: no key, no deletion
        log.error("retention needs ENCRYPTION_KEYS to keep the hashes that honour later unsubscribes")
        return 0
    done = await retention.purge(ctx["clock"], hasher=AddressHasher.from_vault(ctx["vault"]))
    return sum(sum(counts.values()) for counts in done.values())


class WorkerSettings:
    """What every worker runs. `--scale worker=N` is safe: crons are `unique`, jobs are idempotent."""

    functions: ClassVar = [
        func(heartbeat, name="heartbeat", max_tries=1),
        func(deliver_notification, name="deliver_notification", max_tries=30),
        func(dispatch_notifications, name="dispatch_notifications", max_tries=1),
        func(send_digests, name="send_digests", max_tries=1, timeout=300),
        func(watch_fleet, name="watch_fleet", max_tries=1, timeout=120),
        func(check_dns, name="check_dns", max_tries=1, timeout=1800),
        func(check_blacklists, name="check_blacklists", max_tries=1, timeout=1800),
        func(watch_domains, name="watch_domains", max_tries=1, timeout=600),
        func(expire_approvals, name="expire_approvals", max_tries=1, timeout=600),
        func(sync_inboxes, name="sync_inboxes", max_tries=1, timeout=600),
        func(send_tick, name="send_tick", max_tries=1, timeout=120),
        # a job killed with its worker is retried; the claim makes that harmless. Results: short-lived.
        # one mailbox a job: what send_tick queued before send jobs served several; kept so those jobs still run
        func(send_mailbox, name="send_mailbox", max_tries=3, timeout=900, keep_result=60),
        func(send_mailboxes, name="send_mailboxes", max_tries=3, timeout=900, keep_result=60),
        func(recover_mailbox, name="recover_mailbox", max_tries=3, timeout=300, keep_result=60),
        func(plan_warmup, name="plan_warmup", max_tries=1, timeout=600),
        func(graduate_warmup, name="graduate_warmup", max_tries=1, timeout=600),
        func(plan_campaigns, name="plan_campaigns", max_tries=1, timeout=600),
        func(monitor, name="monitor", max_tries=1, timeout=600),
        func(purge_retention, name="purge_retention", max_tries=1, timeout=3600),
    ]
    cron_jobs: ClassVar = [
        cron(heartbeat, name="cron:heartbeat", second={0}, unique=True, run_at_startup=True),
        cron(dispatch_notifications, name="cron:dispatch_notifications", second={30}, unique=True),
        cron(send_digests, name="cron:send_digests", second={45}, unique=True, timeout=300),
        # after the heartbeat (second 0) of the same minute
        cron(watch_fleet, name="cron:watch_fleet", second={20}, unique=True, timeout=120),
        cron(check_dns, name="cron:check_dns", hour={5}, minute={10}, unique=True, timeout=1800),
        cron(
            check_blacklists, name="cron:check_blacklists", hour={1, 7, 13, 19}, minute={20}, unique=True, timeout=1800
        ),
        cron(watch_domains, name="cron:watch_domains", hour={6}, minute={0}, unique=True),
        cron(expire_approvals, name="cron:expire_approvals", minute={5, 20, 35, 50}, unique=True, timeout=600),
        cron(sync_inboxes, name="cron:sync_inboxes", minute=set(range(0, 60, 5)), unique=True, timeout=600),
        # every minute, and at start-up: Redis may have lost its queue, the database has not
        cron(send_tick, name="cron:send_tick", second={15}, unique=True, run_at_startup=True, timeout=120),
        cron(plan_warmup, name="cron:plan_warmup", minute=set(range(2, 60, 10)), unique=True, timeout=600),
        # offset from the warmup plan (minute 2): both take the same per-workspace lock, so they never overbook
        cron(plan_campaigns, name="cron:plan_campaigns", minute=set(range(7, 60, 10)), unique=True, timeout=600),
        cron(graduate_warmup, name="cron:graduate_warmup", hour={3}, minute={40}, unique=True, timeout=600),
        # before each other plan (minutes 2 and 7 of the ten): cuts reach the planners within minutes
        cron(monitor, name="cron:monitor", minute={0, 15, 30, 45}, unique=True, timeout=600),
        # hourly: each workspace's digest goes out once its local morning has come (DAILY_FROM_HOUR)
        cron(send_reports, name="cron:send_reports", minute={25}, unique=True, timeout=600),
        cron(purge_retention, name="cron:purge_retention", hour={2}, minute={50}, unique=True, timeout=3600),
    ]
    on_startup = startup
    on_shutdown = shutdown
    after_job_end = cycle_collector(GC_EVERY_JOBS)
    poll_delay = 0.1  # seconds; arq's 0.5 s default caps a worker near 200 jobs/s
    keep_result = 3600  # seconds a job result stays readable
    max_jobs = 50


def create_worker(redis_url: str, *, ctx: dict[str, Any], burst: bool = False, crons: bool = True) -> Worker:
    """A worker bound to `redis_url`; `ctx` carries `database_url` (and `db_ready` when the process already
    initialised the ORM, as `mailfleet run` does). `crons=False` runs only what is queued: a burst worker that must
    not start whatever cron the wall clock happens to make due while it runs."""
    return Worker(
        functions=WorkerSettings.functions,
        cron_jobs=WorkerSettings.cron_jobs if crons else [],
        on_startup=WorkerSettings.on_startup,
        on_shutdown=WorkerSettings.on_shutdown,
        after_job_end=WorkerSettings.after_job_end,
        poll_delay=WorkerSettings.poll_delay,
        keep_result=WorkerSettings.keep_result,
        max_jobs=WorkerSettings.max_jobs,
        redis_settings=redis_client.worker_settings(redis_url),
        ctx=ctx,
        burst=burst,
        handle_signals=False,
    )


class Resilient:
    """Runs arq workers one after another: arq's poll loop dies when Redis goes away (a restart, a failover), so a
    new worker is built by `make` and started, with a growing pause, until Redis answers again. A `WatchError` out
    of the loop is the same loss: redis-py raises it when the connection drops under a WATCH, which arq's claim of
    a job does outside the `try` that handles a real race. Jobs in flight go on
    against the database; a job lost with the queue is found again by the sweeps (PostgreSQL is the truth)."""

    def __init__(self, make: Callable[[], Worker], *, pause_s: float = 0.5, max_pause_s: float = 15.0) -> None:
        self.make = make
        self.pause_s = pause_s
        self.max_pause_s = max_pause_s
        self.worker: Worker | None = None
        self.restarts = 0

    async def run(self) -> None:
        pause = self.pause_s
        while True:
            self.worker = worker = self.make()
            try:
                await worker.main()
                return
            except (RedisConnectionError, RedisTimeoutError, ConnectionError, WatchError) as exc:
                log.warning("worker lost Redis; starting again", error=type(exc).__name__, pause_s=pause)
            if worker.pool is not None:  # its on_shutdown is not run: the ctx (ORM, outbox) serves the next one
                with contextlib.suppress(Exception):
                    await worker.pool.aclose()
            self.restarts += 1
            await asyncio.sleep(pause)
            pause = min(pause * 2, self.max_pause_s)

    async def stop(self, running: asyncio.Task[Any]) -> None:
        """Stop the worker `running` runs: its poll loop first, so nothing new is claimed, then the jobs in flight
        (cancelled; the sweeps find them again) and its shutdown. arq's own close() gathers the job tasks without
        `return_exceptions`: a job cancelled while it still claims its job in Redis (before run_job's own try) raised
        CancelledError out of it, its shutdown never ran and `mailfleet run` exited 1 on SIGTERM. So the job tasks
        are cancelled and collected here, and close() finds none."""
        await cancel_and_wait(running)
        worker = self.worker
        if worker is None:
            return
        worker.handle_sig(signal.SIGUSR1)
        await asyncio.gather(*worker.tasks.values(), return_exceptions=True)
        worker.tasks.clear()
        await worker.close()

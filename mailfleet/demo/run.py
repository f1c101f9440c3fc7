"""`mailfleet demo`: an agency of client workspaces run for weeks on a simulated clock, through the real engine.

The engine is composed here as `mailfleet run` composes it (jobs' start-up builds the outbox, the job functions
plan, send, sync, monitor, check blacklists and DNS, dispatch notifications), with three differences that are
all composition: the clock is a `FrozenClock` moved through each day in ticks; the outside world behind the
engine's ports is `mailfleet.demo.world`; the chats are a transcript (a `Notifier` that writes what each bound
chat would show, rendered from the real notifications and command replies).

People act through the command layer (`bot.runner.Runner`): the agency admin creates the client workspaces and
sets warmup up, each client's manager joins by invite, binds the team's chat, writes and starts a campaign and
imports its leads from a CSV, and approves the swap the engine proposes when a domain is listed — the approval
is pressed automatically in the demo, and the transcript says so.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import io
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from redis.asyncio import Redis

from bot.console import render_text
from bot.runner import Runner
from engine import alerts, redis_client
from engine.access import SYSTEM
from engine.campaigns.planner import CampaignPlanOptions
from engine.cancel import raise_if_cancelled
from engine.clock import FrozenClock
from engine.crypto import Vault
from engine.dns.check import ResolverConfig
from engine.dns.dnsbl import TargetKind, default_zones
from engine.domains import DnsConfig
from engine.domains.plans import export_zones
from engine.i18n import translator
from engine.inbox import SyncOptions
from engine.logging import logs_to_file
from engine.notify import Notification, deliver, flush_digests
from engine.ratelimit import NoLimits
from engine.reply import Reply
from engine.reports import digest as report_digests
from engine.sending.outbox import EffectiveCaps, Outbox, SendOptions
from engine.sending.planner import PlanOptions
from engine.settings import Settings
from engine.tracking import TrackingLinks
from engine.warmup.marker import WarmupMarker
from jobs import worker as jobs
from mailfleet.demo import seed
from mailfleet.demo.checks import Invariants, check_invariants
from mailfleet.demo.world import SimDns, SimImap, SimSender, SimSentFolder, World
from models import Approval
from models.enums import ApprovalStatus, Platform

ZONE = ZoneInfo("Europe/Moscow")
TRACKING_URL = "https://t.demo.mailfleet.test"  # https: messages carry RFC 8058 one-click unsubscribe headers
MORNING = dt.time(6, 0)  # local: the day's plans, graduation, monitoring, DNS and blacklist checks
# local: what came due is sent. Fewer, fuller ticks cost less than a tick a minute and change nothing the caps
# allow: a mailbox's claims take every row due since the last tick (per statement, not per row). The second comes
# before the campaign window closes (18:00); the last before midnight, so the warmup answers planned in the evening
# go out that day (the answer to a message comes hours later: with no tick after them they expired the next morning,
# a fifth of all warmup mail)
TICKS = (dt.time(12, 0), dt.time(17, 55), dt.time(23, 55))
SEND_CONCURRENCY = 16  # mailboxes sending at once in a tick
SYNC_AT = frozenset({dt.time(12, 0), dt.time(17, 55)})  # the inbox sweeps of the fleet, after that tick's sends
LOG_FILE = "demo.log"  # the engine's log of the run, in the output folder: the terminal shows the story and warnings
HIGHLIGHT = 150  # characters of a chat highlight in the summary
CHARTS = ("volume", "rates", "warmup", "pool")  # each client's charts: `<slug>-chart-<name>.png`
TRANSCRIPT = "transcript.txt"
SUMMARY = "summary.txt"


@dataclass(frozen=True)
class DemoOptions:
    mailboxes: int = 1200
    domains: int = 60
    clients: int = 4
    weeks: int = 10
    seed: int = 1
    out: Path = Path("mailfleet-demo")
    start: dt.date | None = None  # the first simulated day; default: so that the run ends yesterday
    lang: str = "ru"  # the language of the people, their chats, the transcript and the terminal


@dataclass
class Transcript:
    """What the chats would show, in order, with the simulated time of each message."""

    out: TextIO
    clock: FrozenClock
    lines: int = 0
    alerts: list[str] = field(default_factory=list)  # one-line summaries for the console

    def say(self, chat: str, who: str, text: str) -> None:
        stamp = self.clock.now().astimezone(ZONE).strftime("%Y-%m-%d %H:%M")
        self.out.write(f"── {stamp} · {chat} · {who}\n{text.rstrip()}\n\n")
        self.lines += 1

    def note(self, text: str) -> None:
        stamp = self.clock.now().astimezone(ZONE).strftime("%Y-%m-%d %H:%M")
        self.out.write(f"══ {stamp} · {text}\n\n")


class TranscriptNotifier:
    """A `Notifier` for Telegram chats: each message the engine delivers is written to the transcript."""

    platform = Platform.TELEGRAM

    def __init__(self, transcript: Transcript, names: dict[str, str]) -> None:
        self.transcript = transcript
        self.names = names
        self.sent = 0

    async def send(self, chat_id: str, reply: Reply) -> str:
        self.sent += 1
        text = render_text(reply)
        self.transcript.say(self.names.get(chat_id, chat_id), "Mailfleet", text)
        lines = [line for line in text.splitlines() if line.strip() and not line.startswith("[")]
        self.transcript.alerts.append(f"{self.names.get(chat_id, chat_id)}: {' — '.join(lines[:2])}")
        return str(self.sent)


class Progress:
    """A bar per simulated day on stderr; plain lines when stderr is not a terminal."""

    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self.total = total
        self.stream: TextIO = stream or sys.stderr  # read when the run starts, not when this module was imported
        self.tty = self.stream.isatty()
        self.started = time.perf_counter()

    def elapsed_s(self) -> int:
        return round(time.perf_counter() - self.started)

    def stop(self, text: str) -> None:
        """The run ends before its last day (Ctrl-C): the bar's line is ended, and `text` says so."""
        self.stream.write(("\n" if self.tty else "") + text + "\n")
        self.stream.flush()

    def day(self, n: int, text: str) -> None:
        if self.tty:
            width = 30
            done = int(width * n / self.total)
            self.stream.write(f"\r[{'#' * done}{'.' * (width - done)}] {text}\033[K")
            if n == self.total:
                self.stream.write("\n")
        else:
            self.stream.write(f"{text}\n")
        self.stream.flush()


@dataclass
class Demo:
    options: DemoOptions
    settings: Settings
    redis: Redis
    vault: Vault
    clock: FrozenClock
    world: World
    dns: DnsConfig
    cast: seed.Cast
    transcript: Transcript
    notifier: TranscriptNotifier
    ctx: dict[str, Any]
    fleet: seed.Fleet
    sent_total: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)  # this process's CPU seconds per phase (bench_demo prints)

    async def timed(self, name: str, call: Callable[[], Any]) -> Any:
        """Run one step of the day and add its time to its phase's. A stop request the step lost on the way
        (`engine.cancel`) ends the run here rather than at its end."""
        started, cpu = time.perf_counter(), time.process_time()
        try:
            return await call()
        finally:
            self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - started
            self.cpu[name] = self.cpu.get(name, 0.0) + time.process_time() - cpu
            raise_if_cancelled()

    # -------------------------------------------------------------------------------------------- engine

    async def at(self, local: dt.date, moment: dt.time) -> None:
        self.clock.set(dt.datetime.combine(local, moment, tzinfo=ZONE).astimezone(dt.UTC))

    async def send_due(self) -> int:
        """The sweep, then one send job for every mailbox with due rows (`SEND_CONCURRENCY` of them sending at a
        time; one worker's job, as `jobs.worker.send_mailboxes` runs it, only bigger), then recovery."""
        outbox: Outbox = self.ctx["outbox"]
        due = await outbox.sweep()
        reports = await outbox.send_mailboxes(due.send, rng_for=self.rng_of) if due.send else []
        for mailbox_id in due.recover:
            await jobs.recover_mailbox(self.ctx, mailbox_id=mailbox_id)
        return sum(r.sent for r in reports)

    def rng_of(self, mailbox_id: int) -> random.Random:
        """One mailbox's random draws (a held row's next opening, a retry's spread) in this tick, from its own
        seeded source, so mailboxes sending at once draw the same numbers in any order."""
        return random.Random(f"{self.options.seed}:{mailbox_id}:{self.clock.now().isoformat()}")

    async def notify(self) -> None:
        """What `dispatch_notifications`, `deliver_notification`, `send_digests` and `send_reports` do, with the
        transcript as the chats; then any pending approval is pressed by the workspace's manager."""
        due: list[Notification] = await alerts.claim_due(self.clock)
        due += await report_digests.due(self.clock, self.redis)
        notifiers = {Platform.TELEGRAM: self.notifier}
        unlimited = NoLimits()  # Telegram's limits are real seconds: here every message would wait on the machine
        for item in due:
            await deliver(item, notifiers, self.redis, self.clock, unlimited)  # type: ignore[arg-type]
        await flush_digests(notifiers, self.redis, self.clock, unlimited)  # type: ignore[arg-type]
        for approval in await Approval.filter(status=ApprovalStatus.PENDING).order_by("id"):
            manager = self.fleet.managers.get(approval.workspace_id)
            if manager is None:
                continue
            who, chat = manager
            note = self.cast.t("demo-auto-approved")
            reply = await self.cast.say(who, chat, f"/approve {approval.id}", note=note)
            answer = " — ".join(line for line in render_text(reply).splitlines() if line.strip())
            self.transcript.alerts.append(
                f"{self.cast.names.get(chat, chat)}: /approve {approval.id} ({note}) → {answer}"
            )
            for button in (b for row in reply.buttons for b in row if b.command == "sending_resume"):
                # the swap replaced the domain whose blocks paused the workspace: the cause is fixed
                await self.cast.say(who, chat, f"/sending_resume {button.arg}", note=self.cast.t("demo-auto-resumed"))

    async def morning(self, day: dt.date) -> None:
        await self.at(day, MORNING)
        await self.timed("graduate", lambda: jobs.graduate_warmup(self.ctx))
        await self.timed("monitor", lambda: jobs.monitor(self.ctx))
        if day.weekday() == 0 or day == self.fleet.first_day:
            await self.timed("dns", lambda: jobs.check_dns(self.ctx))
        await self.timed("blacklists", lambda: jobs.check_blacklists(self.ctx))
        await self.timed("plan_warmup", lambda: jobs.plan_warmup(self.ctx))
        await self.timed("plan_campaigns", lambda: jobs.plan_campaigns(self.ctx))
        self.clock.advance(dt.timedelta(minutes=1))  # the chats hear of it, and answer, after the checks
        await self.timed("notify", self.notify)

    async def tick(self, day: dt.date, moment: dt.time) -> None:
        """What came due is sent; at `SYNC_AT`, the inbox sweep reads the fleet's mail meanwhile (what has landed by
        the tick: the CPU work of parsing and classifying fills the sends' waits on the database) and writes once
        the sends are done (`SyncOptions.writes_after`): what it records is the same however the two interleave."""
        await self.at(day, moment)
        await self.timed("world", self.world.settle)
        sync: asyncio.Task[Any] | None = None
        sent = asyncio.Event()
        if moment in SYNC_AT:
            options = dataclasses.replace(self.ctx["inbox_options"], writes_after=sent.wait)
            sync = asyncio.create_task(jobs.sync_inboxes({**self.ctx, "inbox_options": options}))
        try:
            self.sent_total += await self.timed("send", self.send_due)
        except BaseException:
            if sync is not None:
                sync.cancel()
                await asyncio.gather(sync, return_exceptions=True)
            raise
        sent.set()
        if sync is not None:
            await self.timed("sync", lambda: sync)  # what is left of it once the sends are done: its writes
        self.clock.advance(dt.timedelta(minutes=1))  # what follows the sends happens after them
        if moment in SYNC_AT:
            await self.timed("plan_warmup", lambda: jobs.plan_warmup(self.ctx))  # replies the sync planned
            await self.timed("plan_campaigns", lambda: jobs.plan_campaigns(self.ctx))
            await self.timed("monitor", lambda: jobs.monitor(self.ctx))
        await self.timed("notify", self.notify)

    async def run_days(self, progress: Progress) -> None:
        days = self.options.weeks * 7
        n = 0
        try:
            for n in range(days):
                await self.run_day(n, progress)
        except (asyncio.CancelledError, KeyboardInterrupt):  # Ctrl-C: the transcript and the terminal say where
            said = self.cast.t("demo-interrupted", day=n + 1, days=days, path=str(self.options.out.resolve()))
            self.transcript.note(said)
            progress.stop(said)
            raise

    async def run_day(self, n: int, progress: Progress) -> None:
        days = self.options.weeks * 7
        day = self.fleet.first_day + dt.timedelta(days=n)
        await self.morning(day)
        await self.timed("story", lambda day=day: seed.story(self, day))  # type: ignore[misc]
        for moment in TICKS:
            await self.tick(day, moment)
        t = self.world.tally
        line = self.cast.t(
            "demo-progress", day=n + 1, days=days, date=day.isoformat(), sent=self.sent_total,
            inbox=t.warmup_inbox, spam=t.warmup_spam, replies=t.replies, bounces=t.bounced,
            seconds=progress.elapsed_s(),
        )  # fmt: skip
        progress.day(n + 1, line)


async def build(options: DemoOptions, settings: Settings, redis: Redis, vault: Vault, transcript_out: TextIO) -> Demo:
    first = options.start or seed.first_day(dt.datetime.now(ZONE).date(), options.weeks)
    clock = FrozenClock(dt.datetime.combine(first, dt.time(0, 0), tzinfo=ZONE).astimezone(dt.UTC))
    settings = settings.model_copy(update={"tracking_base_url": TRACKING_URL, "default_locale": options.lang})
    links = TrackingLinks.from_vault(TRACKING_URL, vault)
    world = World(options.seed, clock, links)
    zones = [z for z in default_zones() if z.kind is TargetKind.DOMAIN]
    sim_dns = SimDns(world, zones)
    port = await sim_dns.start()
    resolver = ResolverConfig(("127.0.0.1",), port, 2.0)
    dns_config = DnsConfig(resolver, dnsbl_zones=tuple(zones), dnsbl_resolver=resolver)
    transcript = Transcript(transcript_out, clock)
    runner = Runner(
        clock,
        admins={Platform.CONSOLE: {seed.ADMIN_ID}},
        services={"settings": settings, "redis": redis, "vault": vault, "dns": dns_config},
    )
    cast = seed.Cast(runner, transcript, translator(options.lang))
    fleet = await seed.create(options, first=first, clock=clock, vault=vault, world=world, cast=cast)
    world_zones = await export_zones(SYSTEM, clock, dns_config)
    sim_dns.load_zones(world_zones)
    notifier = TranscriptNotifier(transcript, cast.names)
    ctx: dict[str, Any] = {
        "db_ready": True,
        "clock": clock,
        "settings": settings,
        "redis": redis,
        "vault": vault,
        "dns": dns_config,
        "notifiers": {Platform.TELEGRAM: notifier},
        "inbox_options": SyncOptions(
            connect=SimImap(world), warmup_seed=f"demo-{options.seed}", message_id_seed=f"demo-{options.seed}"
        ),
        # seeded plans: the same moments, pairs and Message-IDs every run (the world's rolls hang on the ids)
        "warmup_plan_options": PlanOptions(seed=options.seed),
        "campaign_plan_options": CampaignPlanOptions(seed=options.seed),
    }
    ctx["outbox"] = Outbox(
        clock=clock,
        vault=vault,
        sender=SimSender(world),
        sent_folder=SimSentFolder(world),
        options=SendOptions(group_concurrency=SEND_CONCURRENCY),
        headers_for=WarmupMarker.from_vault(vault).headers_for,
        caps=EffectiveCaps(),
        rng=random.Random(options.seed),
        compose=jobs.campaign_composer(settings, vault),
    )
    await jobs.startup(ctx)
    demo = Demo(options, settings, redis, vault, clock, world, dns_config, cast, transcript, notifier, ctx, fleet)
    demo.ctx["sim_dns"] = sim_dns
    return demo


@dataclass(frozen=True)
class Outcome:
    invariants: Invariants
    out: Path
    wall_s: float
    phases: dict[str, tuple[float, float]]  # per phase: wall seconds, this process's CPU seconds


async def finish(demo: Demo) -> list[Path]:
    """The closing story: each manager's report, the agency's monthly cost, charts as PNG files."""
    out = demo.options.out
    files: list[Path] = []
    admin = demo.fleet.admin
    demo.transcript.note(demo.cast.t("demo-the-end"))
    reply = await demo.cast.say(admin, seed.ADMIN_CHAT, "/cost all")
    summary = [render_text(reply)]
    for space_id, (who, chat) in sorted(demo.fleet.managers.items()):
        slug = demo.fleet.slugs[space_id]
        report = await demo.cast.say(who, chat, "/report 30d")
        summary.append(f"[{slug}]\n" + render_text(report))
        health = await demo.cast.say(who, chat, "/health")
        summary.append(render_text(health))
        for chart in CHARTS:
            chart_reply = await demo.cast.runner.run_line(who, chat, f"/chart {chart} 30d")
            for item in chart_reply.files:
                target = out / f"{slug}-{Path(item.filename).name}"
                target.write_bytes(item.content)
                files.append(target)
    (out / SUMMARY).write_text("\n\n".join(summary) + "\n", encoding="utf-8")
    return files


def clear_previous(out: Path) -> None:
    """Remove what an earlier run wrote in `out` (its transcript, summary, log and charts, by their names only):
    a run writes charts for its own clients and appends to the log, so a previous run's files would otherwise
    stand beside this one's — a bigger run's charts, a summary that an interrupted run never replaced."""
    names = [TRANSCRIPT, SUMMARY, LOG_FILE]
    names += [f"{slug}-chart-{chart}.png" for slug, _, _ in seed.CLIENTS for chart in CHARTS]
    for name in names:
        (out / name).unlink(missing_ok=True)


async def run(options: DemoOptions, settings: Settings, redis_url: str, vault: Vault) -> Outcome:
    started = time.perf_counter()
    options.out.mkdir(parents=True, exist_ok=True)
    clear_previous(options.out)
    redis = redis_client.connect(redis_url)
    transcript_path = options.out / TRANSCRIPT
    try:
        with logs_to_file(options.out / LOG_FILE), transcript_path.open("w", encoding="utf-8") as transcript_out:
            demo = await build(options, settings, redis, vault, transcript_out)
            try:
                await demo.run_days(Progress(options.weeks * 7))
                files = await finish(demo)
            finally:
                demo.ctx["sim_dns"].close()
        invariants = await check_invariants(ZONE)
    finally:
        await redis.aclose()
    wall = time.perf_counter() - started
    print_summary(demo, invariants, files, transcript_path, wall)
    return Outcome(invariants, options.out, wall, {k: (v, demo.cpu.get(k, 0.0)) for k, v in demo.timings.items()})


def print_summary(demo: Demo, invariants: Invariants, files: list[Path], transcript: Path, wall: float) -> None:
    import resource  # noqa: PLC0415 - only here

    t = demo.cast.t
    tally = demo.world.tally
    lines = [
        "",
        t(
            "demo-summary-title", weeks=demo.options.weeks, mailboxes=len(demo.fleet.mailbox_ids),
            domains=demo.fleet.domain_count, clients=len(demo.fleet.slugs), seed=str(demo.options.seed),
        ),
        "  " + t(
            "demo-summary-sent", sent=demo.sent_total, inbox=tally.warmup_inbox, spam=tally.warmup_spam,
            replies=tally.replies, auto=tally.auto_replies, bounces=tally.bounced, blocked=tally.blocked,
            unsubscribes=tally.unsubscribes,
        ),
        "  " + t("demo-summary-chats", count=demo.transcript.lines, notices=demo.notifier.sent),
    ]  # fmt: skip
    for line in [a for a in demo.transcript.alerts if "📰" not in a][:12]:
        lines.append(f"    {line if len(line) <= HIGHLIGHT else line[: HIGHLIGHT - 1] + '…'}")
    lines.append("  " + t("demo-summary-checks"))
    for check in invariants.rows():
        mark = t("demo-check-ok" if check.ok else "demo-check-failed")
        detail = t(check.key + "-detail", **check.params) if t.has(check.key + "-detail") else ""
        lines.append(f"    {mark:<6}{t(check.key, **check.params)}{': ' + detail if detail else ''}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    phases = ", ".join(
        t("demo-phase", name=t(f"demo-phase-{k}"), seconds=round(v, 1))
        for k, v in sorted(demo.timings.items(), key=lambda kv: -kv[1])
    )
    lines += [
        "  " + t(
            "demo-summary-time", wall=round(wall, 1), cpu=round(time.process_time(), 1), memory=round(peak),
            phases=phases,
        ),
        "  " + t("demo-summary-transcript", path=str(transcript.resolve())),
        "  " + t("demo-summary-folder", path=str(demo.options.out.resolve()), charts=len(files), log=LOG_FILE),
    ]  # fmt: skip
    out = io.StringIO()
    out.write("\n".join(lines) + "\n")
    sys.stdout.write(out.getvalue())
    sys.stdout.flush()

"""A simulated day of the fleet, for the load test (`tests/integration/test_load.py`) and `bench/bench_load.py`.

The fleet at full size (`Fleet.full()`): 8 client workspaces, each with 50 domains of 3 mailboxes — 400 domains,
1,200 mailboxes, the arithmetic of the real caps: a mailbox sends at most 50 a day and a domain 150, so 3 mailboxes
a domain — and two running campaigns over half its domains each. Every mailbox graduated long ago: it keeps its
maintenance warmup (20 % of the cap, jittered) and gives the rest to its campaign. Caps: mailbox 50, domain 150,
workspace 7,500 (its mailboxes × 50), campaign daily cap its mailboxes × 40, 50 per mailbox. About 60,000 sends.

The day runs through the production code only: a scratch PostgreSQL database migrated like production, the real
Redis, TWO worker processes (`tests.harness.load_worker`: `jobs.worker`'s functions, start-up and Outbox) and SMTP
to SMTP sinks in processes of their own (`tests.harness.smtp_sink`). The driver (this module) steps a
simulated clock kept in Redis through the day (Monday 07:55 to 20:05 in Moscow) in 5-minute steps: it enqueues the
planners (warmup and campaigns, at the start and again every simulated hour: idempotent, and racing between the
two workers) and a sending tick per step, and moves on once nothing due is left unsent. After every step it
notes the rows sent so far and each worker's RSS (`MemoryPoint`): `DayResult.rss_at` gives the RSS once a share
of the day's sends was done, so memory is compared at the same points of the work however fast the box is.

`check` then reads the database and the sinks: every planned row sent, each Message-ID received exactly once and
nothing else received, no mailbox, domain, workspace or campaign cap exceeded, no row left planned, queued,
sending, failed or unknown.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import psutil
from arq.connections import ArqRedis, RedisSettings, create_pool

from bench.scratch import scratch_database
from engine.crypto import Vault, generate_key
from tests.harness.load_worker import CLOCK_KEY

MSK = dt.timezone(dt.timedelta(hours=3))
DAY_START = dt.datetime(2026, 11, 30, 7, 55, tzinfo=MSK)  # a Monday: campaigns send on weekdays
DAY_END = dt.datetime(2026, 11, 30, 20, 5, tzinfo=MSK)  # warmup's window closes at 20:00
STEP = dt.timedelta(minutes=5)
PLAN_EVERY = dt.timedelta(hours=1)
MAILBOX_CAP, DOMAIN_CAP, CAMPAIGN_SHARE_CAP, PER_DOMAIN = 50, 150, 40, 3
UNSENT = ("planned", "queued", "sending", "failed", "unknown")


@dataclasses.dataclass(frozen=True)
class Fleet:
    workspaces: int
    domains_per_workspace: int  # split between the workspace's two campaigns
    lead_margin: float = 1.1  # leads per campaign over what its cap can send

    @classmethod
    def full(cls) -> Fleet:
        return cls(workspaces=8, domains_per_workspace=50)

    @classmethod
    def scaled(cls, fraction: float) -> Fleet:
        """The same day for `fraction` of the fleet (whole domains per campaign, two workspaces at least)."""
        domains = max(4, round(50 * 8 * fraction / 2) * 2)
        workspaces = 2 if domains < 100 else 8
        return cls(workspaces=workspaces, domains_per_workspace=max(2, domains // workspaces // 2 * 2))

    @property
    def domains(self) -> int:
        return self.workspaces * self.domains_per_workspace

    @property
    def mailboxes(self) -> int:
        return self.domains * PER_DOMAIN

    @property
    def campaign_cap(self) -> int:
        return self.domains_per_workspace // 2 * PER_DOMAIN * CAMPAIGN_SHARE_CAP

    @property
    def workspace_cap(self) -> int:
        return self.domains_per_workspace * PER_DOMAIN * MAILBOX_CAP

    @property
    def leads_per_campaign(self) -> int:
        return round(self.campaign_cap * self.lead_margin)


@dataclasses.dataclass(frozen=True)
class MemoryPoint:
    """Where the day stood after one step (the step's sends all done, so no job was running)."""

    moment: dt.datetime  # simulated
    elapsed_s: float  # real seconds since the day began
    sent: int  # rows sent so far
    rss_mb: dict[int, float]  # worker pid → RSS


@dataclasses.dataclass(frozen=True)
class StepTime:
    """Where one step's real time went (for the bench's figures, never asserted)."""

    moment: dt.datetime  # simulated
    plan_s: float  # both planners (0 when the step planned nothing)
    drain_s: float  # from the sending tick to nothing due left unsent
    nudges: int  # sending ticks enqueued again because nothing moved for a while
    sent: int  # rows the step sent


@dataclasses.dataclass
class DayResult:
    fleet: Fleet
    planned: dict[str, int]  # rows of the day by kind (cancelled excluded)
    statuses: dict[str, int]
    sink_messages: int
    duplicates: dict[str, int]  # Message-ID → times received, for those received more than once
    missing: int  # sent rows whose Message-ID no sink received
    unexpected: int  # Message-IDs received that no sent row has
    cap_violations: list[str]
    memory: list[MemoryPoint]  # after each step
    wall_s: float  # the simulated day, from the first plan to the last send
    setup_s: float
    stuck_steps: list[str]  # steps that never drained
    plan_runs: int
    worker_logs: list[str]
    unsent: list[str]  # the first rows left unsent, for the report
    steps: list[StepTime] = dataclasses.field(default_factory=list)
    cpu_s: dict[str, float] = dataclasses.field(default_factory=dict)  # CPU seconds by role, the day's end

    @property
    def total(self) -> int:
        return sum(self.planned.values())

    @property
    def sent(self) -> int:
        return self.statuses.get("sent", 0)

    def problems(self) -> list[str]:
        """Everything that makes the day wrong (empty: the day is right)."""
        found = list(self.cap_violations) + [f"step never drained: {s}" for s in self.stuck_steps]
        unsent = {s: n for s, n in self.statuses.items() if s in UNSENT and n}
        if unsent:
            found.append(f"rows not sent: {unsent}, e.g. {self.unsent}")
        if self.duplicates:
            found.append(f"{len(self.duplicates)} Message-IDs received more than once: {list(self.duplicates)[:3]}")
        if self.missing or self.unexpected:
            found.append(f"{self.missing} sent rows never received, {self.unexpected} unknown Message-IDs received")
        if self.sink_messages != self.sent:
            found.append(f"the sinks received {self.sink_messages} messages for {self.sent} sent rows")
        return found

    def rss_at(self, share: float) -> MemoryPoint:
        """The point after the first step by which `share` (0 to 1) of the day's sends were done."""
        wanted = share * self.memory[-1].sent
        return next(p for p in self.memory if p.sent >= wanted)


SEED = [
    # workspace w: its sender identity (the footer every campaign message carries) and a daily cap
    "INSERT INTO workspace (slug, name, locale, timezone, sender_name, sender_address, settings, created_at) "
    "SELECT 'client' || w, 'Client ' || w, 'ru', 'Europe/Moscow', 'ООО Клиент ' || w, 'Москва, ул. Пример, ' || w, "
    "jsonb_build_object('daily_cap', $2::int), now() FROM generate_series(1, $1::int) w",
    # domain d of workspace 1 + (d - 1) / per_ws
    "INSERT INTO domain (workspace_id, name, registrar, mail_provider, pool_role, status, daily_cap, "
    "dmarc_policy, dkim_selector, dkim_public_key, tracking_host, created_at) "
    "SELECT 1 + (d - 1) / $2::int, 'fleet' || d || '.test', '', 'generic', 'active', 'active', $3::int, 'none', "
    "'', '', '', now() FROM generate_series(1, $1::int * $2::int) d",
    # three graduated mailboxes a domain, sending through the sinks (alternating), any password accepted
    "INSERT INTO mailbox (workspace_id, domain_id, address, display_name, provider, smtp_host, smtp_port, "
    "smtp_tls, imap_host, imap_port, imap_tls, username, tls_ca_pem, auth_kind, secret_enc, status, "
    "graduated_at, warmup_started_on, warmup_weeks, daily_cap, last_error, auth_failures, created_at) "
    "SELECT d.workspace_id, d.id, 'u' || i || '@' || d.name, 'User ' || i, 'generic', '127.0.0.1', "
    "($5::int[])[1 + (d.id * 3 + i) % cardinality($5::int[])], 'plain', '127.0.0.1', 1, 'plain', "
    "'u' || i || '@' || d.name, '', 'password', $1::bytea, 'active', $2::timestamptz - interval '120 days', "
    "$2::date - 160, 6, $3::int, '', 0, now() FROM domain d, generate_series(1, $4::int) i",
    # two campaigns a workspace: 2w - 1 over its first half of domains, 2w over the second
    "INSERT INTO campaign (workspace_id, name, status, timezone, window_start, window_end, weekdays, daily_cap, "
    "per_mailbox_cap, stop_on_reply, track_opens, track_clicks, html, lead_timezone, created_at) "
    "SELECT 1 + (c - 1) / 2, 'campaign ' || c, 'running', 'Europe/Moscow', '09:00', '18:00', 31, $2::int, "
    "$3::int, true, false, false, false, false, now() FROM generate_series(1, $1::int * 2) c",
    "INSERT INTO campaign_domain (campaign_id, domain_id) SELECT 1 + (d.id - 1) / ($1::int / 2), d.id FROM domain d",
    "INSERT INTO step (campaign_id, position, delay_days, business_days, variants) "
    'SELECT c.id, 1, 0, false, \'[{"subject": "{{Вопрос|Предложение}} для {company|вашей команды}", '
    '"body": "{{Здравствуйте|Добрый день}}, {first_name|коллега}!\\n\\nКоротко о нашем предложении: '
    'https://example.com/offer\\n\\nС уважением,\\n{sender_name}", "weight": 1}]\'::jsonb FROM campaign c',
    # leads of campaign c, each enrolled at step 1 and due since before the day
    "INSERT INTO lead (id, workspace_id, email, first_name, last_name, company, custom, source, legal_basis, "
    "verdict, verdict_reason, timezone, created_at) "
    "SELECT n, 1 + ((n - 1) / $1::int) / 2, 'p' || n || '@c' || (n % 997) || '.example', 'Имя' || n, '', "
    "'Компания ' || (n % 50), '{}'::jsonb, 'load', 'consent', 'unknown', '', '', now() "
    "FROM generate_series(1, $1::int * $2::int * 2) n",
    "INSERT INTO enrollment (id, campaign_id, lead_id, state, current_step, next_due_at, mailbox_id, "
    "thread_message_id, variant, stopped_reason, created_at) "
    "SELECT l.id, 1 + (l.id - 1) / $1::int, l.id, 'active', 1, $2::timestamptz - interval '1 hour', NULL, '', "
    "NULL, '', now() FROM lead l",
    "SELECT setval(pg_get_serial_sequence('lead', 'id'), (SELECT max(id) FROM lead))",
    "SELECT setval(pg_get_serial_sequence('enrollment', 'id'), (SELECT max(id) FROM enrollment))",
]


async def seed(url: str, fleet: Fleet, vault: Vault, sink_ports: list[int]) -> None:
    conn = await asyncpg.connect(url)
    try:
        secret = vault.encrypt("pw")
        args: list[list[Any]] = [
            [fleet.workspaces, fleet.workspace_cap],
            [fleet.workspaces, fleet.domains_per_workspace, DOMAIN_CAP],
            [secret, DAY_START, MAILBOX_CAP, PER_DOMAIN, sink_ports],
            [fleet.workspaces, fleet.campaign_cap, MAILBOX_CAP],
            [fleet.domains_per_workspace],
            [],
            [fleet.leads_per_campaign, fleet.workspaces],
            [fleet.leads_per_campaign, DAY_START],
            [],
            [],
        ]
        for sql, values in zip(SEED, args, strict=True):
            await conn.execute(sql, *values)
        await conn.execute("ANALYZE")
        # The day's connections (opened after this) commit without waiting for the WAL to reach the disk: what
        # they see of each other is the same, only a crash of the server could lose the last commits, and a
        # scratch database never outlives one. On a slow disk the waits were most of a send's time.
        await conn.execute(
            "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET synchronous_commit = off', current_database()); END $$"
        )
    finally:
        await conn.close()


@contextlib.contextmanager
def processes(
    argvs: list[list[str]], env: dict[str, str], logs: Path, name: str
) -> Iterator[list[subprocess.Popen[str]]]:
    """Start the processes (their output to files under `logs`); SIGTERM and wait for each on the way out."""
    started: list[subprocess.Popen[str]] = []
    try:
        for n, argv in enumerate(argvs):
            out = (logs / f"{name}{n}.log").open("w")
            started.append(subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT, text=True))
        yield started
    finally:
        for proc in started:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in started:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_ready(path: Path, proc: subprocess.Popen[str], timeout_s: float = 30) -> int:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        text = path.read_text() if path.exists() else ""
        if text.startswith("ready "):
            return int(text.split()[1])
        if proc.poll() is not None:
            raise RuntimeError(f"{path.name}: exited before it was ready: {text[-2000:]}")
        time.sleep(0.05)
    raise RuntimeError(f"{path.name}: not ready after {timeout_s} s")


async def _due_left(conn: asyncpg.Connection, moment: dt.datetime) -> int:
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM outbound_message WHERE status IN ('planned', 'queued', 'sending') "
            "AND scheduled_at <= $1",
            moment,
        )
    )


async def _set_clock(redis: ArqRedis, moment: dt.datetime) -> None:
    await redis.set(CLOCK_KEY, moment.isoformat())


async def _plan(redis: ArqRedis, moment: dt.datetime) -> None:
    """Both planners, as two jobs the two workers race for; waits for both."""
    jobs = [
        await redis.enqueue_job(name, _job_id=f"load:{name}:{moment:%H%M}")
        for name in ("plan_warmup", "plan_campaigns")
    ]
    for job in jobs:
        if job is not None:
            await job.result(timeout=600, poll_delay=0.2)


def _cpu_s(pids: list[int]) -> float:
    """The CPU seconds (user and system) the processes used so far; those gone are left out."""
    total = 0.0
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            times = psutil.Process(pid).cpu_times()
            total += times.user + times.system
    return total


async def _backends(url: str) -> list[int]:
    """The PostgreSQL server processes connected to the day's database."""
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        return [int(r["pid"]) for r in rows if r["pid"] != conn.get_server_pid()]
    finally:
        await conn.close()


def _rss_mb(workers: dict[int, psutil.Process]) -> dict[int, float]:
    found = {}
    for pid, proc in workers.items():
        with contextlib.suppress(psutil.Error):  # a worker that died is reported by `run_day`
            found[pid] = proc.memory_info().rss / 2**20
    return found


async def drive(
    url: str, redis_url: str, pids: list[int], on_step: Any = None, step_timeout_s: float = 600
) -> tuple[float, list[str], int, list[MemoryPoint], list[StepTime]]:
    """Step the simulated day; the real seconds it took, the steps that did not drain, the planner runs, the
    memory of the workers (`pids`) after each step and where each step's time went."""
    redis = await create_pool(RedisSettings.from_dsn(redis_url))
    conn = await asyncpg.connect(url)
    workers = {pid: psutil.Process(pid) for pid in pids}
    stuck: list[str] = []
    plans = 0
    started = time.perf_counter()
    memory: list[MemoryPoint] = []
    steps: list[StepTime] = []
    sent = 0
    try:
        moment, next_plan = DAY_START, DAY_START
        while moment <= DAY_END:
            step_started = time.perf_counter()
            await _set_clock(redis, moment)
            if moment >= next_plan:
                await _plan(redis, moment)
                plans += 2
                next_plan += PLAN_EVERY
                # autovacuum's ANALYZE on the simulated clock: a real hour gives it time to catch up with the
                # tables the day fills (the day's rows, its counters), minutes of real time would not, and plans
                # made on the empty tables of the seed scan every mailbox's counter for each claim
                await conn.execute("ANALYZE")
            plan_s = time.perf_counter() - step_started
            nudge, deadline, last = 0, time.monotonic() + step_timeout_s, -1
            await redis.enqueue_job("send_tick", _job_id=f"load:tick:{moment:%H%M}")
            quiet_since = time.monotonic()
            while (left := await _due_left(conn, moment)) and time.monotonic() < deadline:
                if left != last:
                    last, quiet_since = left, time.monotonic()
                elif time.monotonic() - quiet_since > 5:  # nothing moved: the sweep missed it, nudge again
                    nudge += 1
                    await redis.enqueue_job("send_tick", _job_id=f"load:tick:{moment:%H%M}:{nudge}")
                    quiet_since = time.monotonic()
                await asyncio.sleep(0.1)
            if left:
                stuck.append(f"{moment:%H:%M} ({left} due rows left)")
                break
            before, sent = sent, int(await conn.fetchval("SELECT count(*) FROM outbound_message WHERE status = 'sent'"))
            steps.append(StepTime(moment, plan_s, time.perf_counter() - step_started - plan_s, nudge, sent - before))
            memory.append(MemoryPoint(moment, time.perf_counter() - started, sent, _rss_mb(workers)))
            if on_step is not None:
                on_step(moment, time.perf_counter() - started)
            moment += STEP
    finally:
        await conn.close()
        await redis.aclose()
    return time.perf_counter() - started, stuck, plans, memory, steps


CHECKS = {
    "mailbox": "SELECT m.address AS who, count(*) AS n, m.daily_cap AS cap FROM outbound_message o "
    "JOIN mailbox m ON m.id = o.mailbox_id WHERE o.status <> 'cancelled' GROUP BY m.id HAVING count(*) > m.daily_cap",
    "domain": "SELECT d.name AS who, count(*) AS n, d.daily_cap AS cap FROM outbound_message o "
    "JOIN mailbox m ON m.id = o.mailbox_id JOIN domain d ON d.id = m.domain_id WHERE o.status <> 'cancelled' "
    "GROUP BY d.id HAVING count(*) > d.daily_cap",
    "workspace": "SELECT w.slug AS who, count(*) AS n, (w.settings->>'daily_cap')::int AS cap FROM outbound_message o "
    "JOIN workspace w ON w.id = o.workspace_id WHERE o.status <> 'cancelled' "
    "GROUP BY w.id HAVING count(*) > (w.settings->>'daily_cap')::int",
    "campaign": "SELECT c.name AS who, count(*) AS n, c.daily_cap AS cap FROM outbound_message o "
    "JOIN campaign c ON c.id = o.campaign_id WHERE o.status <> 'cancelled' GROUP BY c.id HAVING count(*) > c.daily_cap",
    "campaign per mailbox": "SELECT c.name || ' / ' || o.mailbox_id AS who, count(*) AS n, c.per_mailbox_cap AS cap "
    "FROM outbound_message o JOIN campaign c ON c.id = o.campaign_id WHERE o.status <> 'cancelled' "
    "GROUP BY c.id, o.mailbox_id, c.per_mailbox_cap HAVING count(*) > c.per_mailbox_cap",
}


async def check(url: str, sink_files: list[Path]) -> dict[str, Any]:
    conn = await asyncpg.connect(url)
    try:
        planned = {
            r["kind"]: r["n"]
            for r in await conn.fetch(
                "SELECT kind, count(*) AS n FROM outbound_message WHERE status <> 'cancelled' GROUP BY kind"
            )
        }
        statuses = {
            r["status"]: r["n"]
            for r in await conn.fetch("SELECT status, count(*) AS n FROM outbound_message GROUP BY 1")
        }
        violations = []
        for scope, sql in CHECKS.items():
            violations += [
                f"{scope} cap exceeded: {r['who']} sent {r['n']} of {r['cap']}" for r in await conn.fetch(sql)
            ]
        unsent = [
            f"{r['kind']} #{r['id']} {r['status']} at {r['scheduled_at']:%H:%M} (Moscow): {r['smtp_reply'][:80]}"
            for r in await conn.fetch(
                "SELECT id, kind, status, scheduled_at AT TIME ZONE 'Europe/Moscow' AS scheduled_at, smtp_reply "
                "FROM outbound_message WHERE status = ANY($1::text[]) ORDER BY id LIMIT 10",
                list(UNSENT),
            )
        ]
        sent_ids = {
            r["message_id"] for r in await conn.fetch("SELECT message_id FROM outbound_message WHERE status = 'sent'")
        }
    finally:
        await conn.close()
    received: dict[str, int] = {}
    messages = 0
    for path in sink_files:
        data = json.loads(path.read_text())
        messages += data["messages"]
        for message_id, count in data["by_id"].items():
            received[message_id] = received.get(message_id, 0) + count
    return {
        "planned": planned,
        "statuses": statuses,
        "sink_messages": messages,
        "duplicates": {k: v for k, v in received.items() if v > 1},
        "missing": len(sent_ids - received.keys()),
        "unexpected": len(received.keys() - sent_ids),
        "cap_violations": violations,
        "unsent": unsent,
    }


def run_day(
    fleet: Fleet,
    *,
    admin_url: str,
    redis_url: str,
    sinks: int = 2,
    workers: int = 2,
    on_step: Any = None,
) -> DayResult:
    """The whole scenario: a scratch database, the sinks, the workers, the day, the checks."""
    setup_started = time.perf_counter()
    key = generate_key()
    with tempfile.TemporaryDirectory(prefix="mailfleet-load-") as tmp, scratch_database(admin_url=admin_url) as url:
        logs = Path(tmp)
        asyncio.run(_flush(redis_url))
        sink_files = [logs / f"sink{n}.json" for n in range(sinks)]
        sink_argv = [
            [sys.executable, "-m", "tests.harness.smtp_sink", "--port", "0", "--out", str(path)] for path in sink_files
        ]
        with processes(sink_argv, dict(os.environ), logs, "sink") as sink_procs:
            ports = [_wait_ready(logs / f"sink{n}.log", p) for n, p in enumerate(sink_procs)]
            asyncio.run(seed(url, fleet, Vault([key]), ports))
            env = {
                **os.environ,
                "DATABASE_URL": url,
                "REDIS_URL": redis_url,
                "ENCRYPTION_KEYS": key,
                "MAIL_ALLOW_PRIVATE_HOSTS": "true",
                "MAIL_ALLOWED_PORTS": json.dumps(ports),
                "LOG_LEVEL": "warning",
                "LOG_FORMAT": "json",
                "LOAD_CLOCK_START": DAY_START.isoformat(),
            }
            worker_argv = [[sys.executable, "-m", "tests.harness.load_worker"]] * workers
            with processes(worker_argv, env, logs, "worker") as worker_procs:
                setup_s = time.perf_counter() - setup_started
                pids = [p.pid for p in worker_procs]
                wall_s, stuck, plans, memory, steps = asyncio.run(drive(url, redis_url, pids, on_step))
                cpu_s = {
                    "workers": _cpu_s(pids),
                    "sinks": _cpu_s([p.pid for p in sink_procs]),
                    "postgres": _cpu_s(asyncio.run(_backends(url))),  # same machine only; 0 otherwise
                }
                dead = [p.pid for p in worker_procs if p.poll() is not None]
                if dead:
                    stuck.append(f"workers exited during the day: {dead}")
            # after the workers stopped: a job they were running when stopped stays queued in arq, and a later
            # test's burst worker on the same database would wait for it (and its deferred retries) forever
            asyncio.run(_flush(redis_url))
            worker_logs = [(logs / f"worker{n}.log").read_text()[-3000:] for n in range(workers)]
        found = asyncio.run(check(url, sink_files))
    return DayResult(
        fleet=fleet,
        memory=memory,
        wall_s=wall_s,
        setup_s=setup_s,
        stuck_steps=stuck,
        plan_runs=plans,
        worker_logs=worker_logs,
        steps=steps,
        cpu_s=cpu_s,
        **found,
    )


async def _flush(redis_url: str) -> None:
    """The load day's Redis database starts and ends empty (its queue, memos and clock are the day's alone)."""
    redis = await create_pool(RedisSettings.from_dsn(redis_url))
    try:
        await redis.flushdb()
    finally:
        await redis.aclose()

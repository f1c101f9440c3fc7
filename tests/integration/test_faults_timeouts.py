"""Faults: an IMAP server that accepts and never answers (a black hole in front of nothing) and a DNS server that
reads queries and never replies, met by the production jobs (`sync_inboxes`, `check_dns`, `check_blacklists`) in a
real arq worker. Each job ends within its timeout and succeeds, the failure is recorded where a person looks (the
mailbox's last check, the domain card: "could not check", never clean or 0 %; a "list blind" alert), the other
mailbox is read all the same, nothing about the domain changes, and no job is left in the queue."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from collections.abc import Iterator

import pytest
from arq import create_pool
from arq.connections import RedisSettings
from redis.asyncio import Redis

from bot.runner import Runner
from engine.alerts import alert_key
from engine.clock import FrozenClock, SystemClock
from engine.crypto import Vault, generate_key
from engine.dns.check import ResolverConfig
from engine.dns.dnsbl import DnsblZone, Family, TargetKind
from engine.domains import DnsConfig
from engine.i18n import translator
from engine.inbox import UNREACHABLE_AFTER, SyncOptions
from engine.mailboxes import LoginState, latest_check
from jobs.worker import create_worker
from models import Alert, Approval, BlacklistCheck, DnsCheck, Domain, Mailbox, Workspace
from models.enums import (
    AlertStatus,
    AuthKind,
    DnsVerdict,
    DomainStatus,
    ListingResult,
    MailboxStatus,
    MailProvider,
    Platform,
    TlsMode,
)
from tests.conftest import REDIS_URL
from tests.harness.dnsserver import SilentUdpServer
from tests.harness.faultproxy import BlackHole
from tests.harness.mailserver import MailServer

pytestmark = [pytest.mark.usefixtures("orm"), pytest.mark.faults, pytest.mark.slow]

KEY = generate_key()
TIMEOUT_S = 1.0  # the sync's and the resolver's timeout in these tests (production: 60 s and 3 s)
GREETING = b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n"  # then silence: LOGIN is never answered
HANG_GUARD_S = 60.0  # a job that is still running after this hangs: the timeout did not work
EN = translator("en")
RUNS = itertools.count()  # a fresh job id per run: arq keeps a finished job's id (and refuses it) for an hour
LISTS = (
    DnsblZone("dbl.test", TargetKind.DOMAIN, Family.SPAMHAUS_DBL),
    DnsblZone("uribl.test", TargetKind.DOMAIN, Family.URIBL),
)


@pytest.fixture(scope="module")
def mail(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailServer]:
    with MailServer(tmp_path_factory.mktemp("timeouts"), domains=["alpha.test"], users_per_domain=2) as s:
        yield s


async def run_jobs(ctx: dict[str, object], *names: str) -> tuple[int, int]:
    """Queue the jobs and run a burst worker until the queue is empty; (complete, failed)."""
    pool = await create_pool(RedisSettings.from_dsn(REDIS_URL))
    worker = create_worker(REDIS_URL, ctx={"db_ready": True, "clock": SystemClock(), **ctx}, burst=True, crons=False)
    try:
        for name in names:
            await pool.enqueue_job(name, _job_id=f"fault:{name}:{next(RUNS)}")
        await asyncio.wait_for(worker.main(), HANG_GUARD_S)
    finally:
        await worker.close()
        await pool.aclose()
    return worker.jobs_complete, worker.jobs_failed


async def test_black_holed_imap_servers_time_out_and_are_shown(mail: MailServer, redis: Redis) -> None:
    vault = Vault([KEY])
    ws = await Workspace.create(slug="acme", name="Acme", timezone="UTC")
    domain = await Domain.create(workspace=ws, name="alpha.test", status=DomainStatus.ACTIVE)
    async with BlackHole() as mute, BlackHole(greeting=GREETING) as stuck:
        boxes = {}
        for n, port in ((1, mail.ports.imap), (2, mute.port), (3, stuck.port)):
            address = f"user{n}@alpha.test"
            boxes[n] = await Mailbox.create(
                workspace=ws, domain=domain, address=address, provider=MailProvider.GENERIC, smtp_host=mail.host,
                smtp_port=mail.ports.submission, smtp_tls=TlsMode.STARTTLS, imap_host=mail.host, imap_port=port,
                imap_tls=TlsMode.PLAIN, username=address, auth_kind=AuthKind.PASSWORD, secret_enc=vault.encrypt("pw"),
                status=MailboxStatus.ACTIVE,
            )  # fmt: skip
        options = SyncOptions(timeout_s=TIMEOUT_S, ssl_context=mail.ssl_context())
        complete, failed = await run_jobs({"vault": vault, "inbox_options": options}, "sync_inboxes")
        assert mute.connections >= 1 and stuck.connections >= 1  # the sync did knock

    assert failed == 0 and complete >= 1
    good, silent, hung = [await Mailbox.get(id=boxes[n].id) for n in (1, 2, 3)]
    assert good.last_ok_at is not None and good.last_error == ""  # read although its neighbours hung
    assert silent.last_error.startswith("error-imap-no-greeting: "), silent.last_error  # silent from the start
    assert hung.last_error.startswith("error-imap-timeout: "), hung.last_error  # silent after its greeting
    for box in (silent, hung):
        assert (box.status, box.auth_failures, box.last_ok_at) == (MailboxStatus.ACTIVE, 0, None)  # no verdict
        state, at, key, words = latest_check(box)  # what the mailbox card shows a person
        assert (state, at) == (LoginState.UNCHECKED, box.last_error_at) and at is not None and key and words
    assert await redis.zcard("arq:queue") == 0


async def test_an_inbox_black_holed_for_an_hour_raises_an_alert_that_a_good_sync_resolves(
    mail: MailServer, redis: Redis
) -> None:
    vault = Vault([KEY])
    clock = FrozenClock(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC))
    ws = await Workspace.create(slug="acme", name="Acme", timezone="Asia/Vladivostok")  # its alerts: its clock
    domain = await Domain.create(workspace=ws, name="alpha.test", status=DomainStatus.ACTIVE)
    box = await Mailbox.create(
        workspace=ws, domain=domain, address="user1@alpha.test", provider=MailProvider.GENERIC, smtp_host=mail.host,
        smtp_port=mail.ports.submission, smtp_tls=TlsMode.STARTTLS, imap_host=mail.host, imap_port=mail.ports.imap,
        imap_tls=TlsMode.PLAIN, username="user1@alpha.test", auth_kind=AuthKind.PASSWORD,
        secret_enc=vault.encrypt("pw"), status=MailboxStatus.ACTIVE,
    )  # fmt: skip
    ctx = {
        "vault": vault,
        "clock": clock,
        "inbox_options": SyncOptions(timeout_s=TIMEOUT_S, ssl_context=mail.ssl_context()),
    }

    async def sync_at(minutes: int, port: int) -> Mailbox:
        clock.set(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC) + dt.timedelta(minutes=minutes))
        await Mailbox.filter(id=box.id).update(imap_port=port)
        assert await run_jobs(ctx, "sync_inboxes") == (1, 0)
        return await Mailbox.get(id=box.id)

    read = await sync_at(0, mail.ports.imap)  # read once: the last good sync is the start of the outage
    assert read.last_ok_at == clock.now() and read.last_error == ""
    async with BlackHole() as mute:
        threshold = UNREACHABLE_AFTER // dt.timedelta(minutes=1)
        for minutes in (5, 30, threshold - 1):  # failing, but not for long enough yet
            failing = await sync_at(minutes, mute.port)
            assert failing.last_error.startswith("error-imap-no-greeting: "), failing.last_error
            assert not await Alert.exists()
        for minutes in (threshold, threshold + 5):  # an hour unread: one alert, its repeat counted
            await sync_at(minutes, mute.port)
        assert mute.connections == 5

    alert = await Alert.get(kind="inbox_unreachable")
    assert (alert.status, alert.severity.value, alert.subject, alert.count) == (
        AlertStatus.OPEN, "warning", f"mailbox:{box.id}", 2
    )  # fmt: skip
    assert alert.workspace_id == ws.id and alert.first_seen == read.last_ok_at + UNREACHABLE_AFTER
    text = EN(alert_key(alert.kind), **alert.data)
    assert text.startswith("The inbox of user1@alpha.test has not been read since 2026-03-02 19:00 +10"), text
    assert EN("mail-detail", detail="no-greeting") in text and "campaign emails are held" in text, text

    healed = await sync_at(threshold + 10, mail.ports.imap)  # the server answers again: read, and resolved
    assert healed.last_error == "" and healed.last_ok_at == clock.now()
    alert = await Alert.get(id=alert.id)
    assert (alert.status, alert.resolved_at) == (AlertStatus.RESOLVED, clock.now())
    assert await Alert.all().count() == 1
    assert await redis.zcard("arq:queue") == 0


async def test_a_silent_dns_server_leaves_the_domain_unchecked_never_clean(redis: Redis) -> None:
    runner = Runner(SystemClock(), admins={Platform.TELEGRAM: {"1"}})
    admin = runner.identity(Platform.TELEGRAM, "1", "admin", "en")
    assert (await runner.run_line(admin, "c1", "/workspace_new acme ACME")).ok
    await runner.run_line(admin, "c1", "/lang en")
    ws = await Workspace.get(slug="acme")
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
    await Domain.create(
        workspace=ws, name="quiet.test", status=DomainStatus.ACTIVE, status_changed_at=since,
        mail_provider=MailProvider.YANDEX360, daily_cap=300,
    )  # fmt: skip
    before = await Domain.get(name="quiet.test").values()

    with SilentUdpServer() as silent:
        config = DnsConfig(ResolverConfig(("127.0.0.1",), silent.port, TIMEOUT_S), dnsbl_zones=LISTS)
        complete, failed = await run_jobs({"dns": config}, "check_dns", "check_blacklists")

    assert failed == 0 and complete >= 2
    assert {c.verdict for c in await DnsCheck.all()} == {DnsVerdict.TIMEOUT}
    listings = await BlacklistCheck.all()
    assert {(c.zone, c.result, c.meaning) for c in listings} == {
        (z.name, ListingResult.ERROR, "dnsbl-error-timeout") for z in LISTS
    }
    assert await Domain.get(name="quiet.test").values() == before  # not paused, cooled or re-capped
    assert not await Approval.exists()  # no swap proposed over a check that did not run
    alerts = {a.kind for a in await Alert.all()}
    assert alerts == {"dnsbl_blind", "dns_blind"}, alerts  # the lists and DNS checks are blind; no drift, no listing

    card = (await runner.run_line(admin, "c1", "/domain quiet.test")).plain_text()
    assert "could not be checked since" in card and "Blacklists not checked since" in card, card
    assert "That does not mean “clean”" in card
    assert await redis.zcard("arq:queue") == 0

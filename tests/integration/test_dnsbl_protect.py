"""Blocklists for real: the zones and the resolver come from the settings, a local authoritative Knot serves a
blocklist that lists `burned.test`, and the blacklist job and the DNS check protect what burns.

A listing (or DNS drift: a right record wrong in two checks in a row on an active domain) cools the domain and
proposes its swap; a list that times out or refuses the query is "could not check" and nothing is done.

`engine.domains.reserve.propose_swap` and `engine.alerts.resolve_alerts` run for real; the tests watch what they
were asked (`Calls`) and leave their effects (approvals, `reserve_empty` alerts, resolutions) to them.
"""

from __future__ import annotations

import datetime as dt
import json
import socketserver
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import dns.message
import dns.name
import dns.query
import pytest

import engine.alerts
from bot.runner import Runner
from engine import approvals
from engine.access import Actor
from engine.clock import Clock, FrozenClock
from engine.domains import DnsConfig, Health, add_domains, check_dns, list_domains, reserve, set_dkim, show_domain
from engine.domains.protect import DRIFT_CHECKS
from engine.i18n import translator
from engine.lifecycle import transition_domain
from engine.notify import render
from engine.settings import Settings, load_settings
from jobs import worker
from models import Alert, Approval, AuditLog, DnsCheck, Domain, Workspace
from models.enums import (
    AlertStatus,
    ApprovalKind,
    ApprovalStatus,
    DmarcPolicy,
    DnsRecordKind,
    DnsVerdict,
    DomainStatus,
    ListingResult,
    Platform,
    Role,
    Severity,
)
from tests.harness.dnsserver import LOOPBACK, DnsServer, SilentUdpServer
from tests.integration.test_domains_dns import DKIM_KEY, SPF, TRACKING, good_zone

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
BLOCKED = "127.255.255.254"  # Spamhaus: "your resolver is public", a refusal and not a verdict
MIRROR = {"name": "bl.mirror.test", "kind": "domain", "family": "uribl"}  # 127.0.0.2: uribl black
REFUSING = {"name": "dbl.refusing.test", "kind": "domain", "family": "spamhaus-dbl"}
BUSY_URIBL = {"name": "multi.busy-uribl.test", "kind": "domain", "family": "uribl"}
BUSY_SURBL = {"name": "multi.busy-surbl.test", "kind": "domain", "family": "surbl"}
SLOW = {"name": "slow.test", "kind": "domain", "family": "surbl"}  # its queries are dropped: a timeout
DEAD_PORT = 9  # discard: nothing answers DNS there
EN = translator("en")


class DroppingProxy(socketserver.ThreadingUDPServer):
    """A resolver on loopback that passes questions on to Knot, except those under `dropped`, which it never
    answers: one list times out while the others answer, as with a list that is down."""

    daemon_threads = True

    def __init__(self, upstream_port: int, dropped: str) -> None:
        super().__init__((LOOPBACK, 0), _ProxyHandler)
        self.upstream_port = upstream_port
        self.dropped = dns.name.from_text(dropped)
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class _ProxyHandler(socketserver.BaseRequestHandler):
    server: DroppingProxy

    def handle(self) -> None:
        data, sock = self.request
        query = dns.message.from_wire(data)
        if query.question[0].name.is_subdomain(self.server.dropped):
            return
        response = dns.query.udp(query, LOOPBACK, timeout=2.0, port=self.server.upstream_port)
        sock.sendto(response.to_wire(), self.client_address)


@pytest.fixture(scope="module")
def knot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DnsServer]:
    with DnsServer(tmp_path_factory.mktemp("knot")) as server:
        server.set_zone("yandex.net", [("_spf", "TXT", "v=spf1 ip4:77.88.0.0/18 -all")])
        server.set_dnsbl("bl.mirror.test", {"burned.test": "127.0.0.2"})
        server.set_dnsbl("dbl.refusing.test", dict.fromkeys(("burned.test", "clean.test", "quiet.test"), BLOCKED))
        server.set_dnsbl("slow.test", {"burned.test": "127.0.0.8"})  # listed, but the answer never comes
        # bitmask lists that refuse every question (test points too) with Spamhaus's refusal codes
        refused = ("quiet.test", "127.0.0.2", "test.uribl.com", "test.surbl.org", "test")
        server.set_dnsbl(BUSY_URIBL["name"], dict.fromkeys(refused, BLOCKED), test_points=False)
        server.set_dnsbl(BUSY_SURBL["name"], dict.fromkeys(refused, "127.255.255.255"), test_points=False)
        yield server


@pytest.fixture(scope="module")
def resolver(knot: DnsServer) -> Iterator[DroppingProxy]:
    proxy = DroppingProxy(knot.port, "slow.test")
    proxy.thread.start()
    yield proxy
    proxy.shutdown()
    proxy.server_close()


def settings_for(dnsbl_port: int, *zones: Mapping[str, str], dns_port: int = DEAD_PORT) -> Settings:
    """Settings naming the lists and their resolver, as an agency with its own resolver or mirror sets them
    (the other DNS checks ask `dns_port`: by default a port where nobody answers, so a blocklist question that
    went there would time out)."""
    return load_settings(
        _env_file=None,
        database_url=None,
        redis_url=None,
        tracking_base_url=f"https://{TRACKING}",
        dns_resolvers="127.0.0.1",
        dns_port=str(dns_port),
        dns_timeout_s="0.3",
        dnsbl_zones=json.dumps(list(zones)),
        dnsbl_resolvers="127.0.0.1",
        dnsbl_port=str(dnsbl_port),
        dnsbl_timeout_s="0.3",
    )


def settings_config(dnsbl_port: int, *zones: Mapping[str, str], dns_port: int = DEAD_PORT) -> DnsConfig:
    return DnsConfig.from_settings(settings_for(dnsbl_port, *zones, dns_port=dns_port))


@dataclass
class Calls:
    """What the checks asked of `reserve.propose_swap` and `alerts.resolve_alerts` (both still run)."""

    proposals: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)
    resolved: list[tuple[str, str, int | None]] = field(default_factory=list)


@pytest.fixture
def standins(monkeypatch: pytest.MonkeyPatch) -> Calls:
    calls = Calls()
    propose, resolve = reserve.propose_swap, engine.alerts.resolve_alerts

    async def propose_swap(domain_id: int, clock: Clock, *, reason: str, detail: Mapping[str, Any]) -> object:
        calls.proposals.append((domain_id, reason, dict(detail)))
        return await propose(domain_id, clock, reason=reason, detail=detail)

    async def resolve_alerts(kind: str, subject: str, *, workspace_id: int | None, clock: Clock) -> int:
        calls.resolved.append((kind, subject, workspace_id))
        return await resolve(kind, subject, workspace_id=workspace_id, clock=clock)

    monkeypatch.setattr(reserve, "propose_swap", propose_swap)
    monkeypatch.setattr(engine.alerts, "resolve_alerts", resolve_alerts)
    return calls


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
async def manager(orm: None) -> Actor:
    workspace = await Workspace.create(slug="acme", name="Acme")
    return Actor(person_id=None, platform=Platform.CONSOLE, role=Role.MANAGER, workspace_id=workspace.id)


async def active_domain(manager: Actor, clock: FrozenClock, name: str) -> Domain:
    report = await add_domains(manager, clock, f"{name};;;yandex360")
    assert report.added == (name,)
    domain = await Domain.get(name=name)
    for status in (DomainStatus.DNS_PENDING, DomainStatus.WARMING, DomainStatus.ACTIVE):
        await transition_domain(domain, status, clock=clock, reason="test")
    return domain


async def blacklist_job(clock: FrozenClock, settings: Settings) -> int:
    """The worker's blacklist job, with the configuration its start-up builds from the settings."""
    ctx: dict[str, Any] = {"db_ready": True, "clock": clock, "settings": settings}
    await worker.startup(ctx)
    try:
        return await worker.check_blacklists(ctx)
    finally:
        await worker.shutdown(ctx)


async def test_the_job_cools_a_listed_domain_and_proposes_its_swap_a_clean_one_stays_active(
    resolver: DroppingProxy, manager: Actor, clock: FrozenClock, standins: Calls
) -> None:
    burned = await active_domain(manager, clock, "burned.test")
    clean = await active_domain(manager, clock, "clean.test")
    settings = settings_for(resolver.port, MIRROR, REFUSING, SLOW)

    assert await blacklist_job(clock, settings) == 2
    clock.advance(dt.timedelta(hours=6))
    assert await blacklist_job(clock, settings) == 2  # still listed: no second proposal, no second listing alert

    assert (await Domain.get(id=burned.id)).status == DomainStatus.COOLING
    assert (await Domain.get(id=clean.id)).status == DomainStatus.ACTIVE
    (proposal,) = standins.proposals
    assert proposal == (
        burned.id,
        "blacklisted",
        {
            "zone": "bl.mirror.test",
            "code": "127.0.0.2",
            "meanings": ["dnsbl-code-uribl-black"],
            "listed": ["bl.mirror.test"],
            "clean": [],
            "unchecked": {"dbl.refusing.test": "public-resolver", "slow.test": "timeout"},
        },
    )
    listed = await Alert.filter(kind="blacklist_listed")
    assert [(a.subject, a.data["zone"], a.count) for a in listed] == [(f"domain:{burned.id}", "bl.mirror.test", 1)]
    # the listing stays; the list that answered about every domain is not blind, the two others are
    assert [r for r in standins.resolved if r[0] == "blacklist_listed"] == []
    assert {r for r in standins.resolved if r[0] == "dnsbl_blind"} == {
        ("dnsbl_blind", "dnsbl:bl.mirror.test", burned.workspace_id)
    }
    blind = await Alert.filter(kind="dnsbl_blind").order_by("subject")
    assert [(a.subject, a.status, a.count) for a in blind] == [
        ("dnsbl:dbl.refusing.test", AlertStatus.OPEN, 4),  # two domains, two runs
        ("dnsbl:slow.test", AlertStatus.OPEN, 4),
    ]

    # three answers kept apart in the list and on the card: listed, clean, could not check
    summaries = {s.name: s.blacklists for s in await list_domains(manager, clock)}
    assert (summaries["burned.test"].health, summaries["burned.test"].zones) == (Health.BAD, ("bl.mirror.test",))
    assert summaries["burned.test"].unchecked == ("dbl.refusing.test", "slow.test")
    assert summaries["clean.test"].health is Health.PARTIAL  # clean on one list, two could not be asked
    assert set(summaries["clean.test"].reasons) == {"dnsbl-error-public-resolver", "dnsbl-error-timeout"}
    card = await show_domain(manager, clock, "clean.test")
    assert {b.zone: b.result for b in card.blacklists} == {
        "bl.mirror.test": ListingResult.CLEAN,
        "dbl.refusing.test": ListingResult.ERROR,
        "slow.test": ListingResult.ERROR,
    }


async def test_lists_that_time_out_or_refuse_are_could_not_check_and_nothing_is_done(
    resolver: DroppingProxy, manager: Actor, clock: FrozenClock, standins: Calls
) -> None:
    """`burned.test` is listed on the slow list too, but its answer never comes: that is no listing."""
    burned = await active_domain(manager, clock, "burned.test")
    quiet = await active_domain(manager, clock, "quiet.test")

    await blacklist_job(clock, settings_for(resolver.port, REFUSING, SLOW))

    assert [d.status for d in await Domain.filter(id__in=(burned.id, quiet.id))] == [DomainStatus.ACTIVE] * 2
    assert standins.proposals == []
    assert not await Alert.filter(kind="blacklist_listed").exists()
    blind = {a.subject: a.data["reason"] for a in await Alert.filter(kind="dnsbl_blind")}
    assert blind == {"dnsbl:dbl.refusing.test": "public-resolver", "dnsbl:slow.test": "timeout"}
    for name in ("burned.test", "quiet.test"):
        state = (await show_domain(manager, clock, name)).summary.blacklists
        assert (state.health, state.since) == (Health.UNKNOWN, START)  # not checked since …, never "clean"
        assert state.reasons == ("dnsbl-error-public-resolver", "dnsbl-error-timeout")

    # a whole resolver that never answers: every list "could not check", still nothing done
    with SilentUdpServer() as silent:
        await blacklist_job(clock, settings_for(silent.port, MIRROR))
    assert (await Domain.get(id=burned.id)).status == DomainStatus.ACTIVE and standins.proposals == []


async def test_a_bitmask_list_answering_a_refusal_code_is_could_not_check_not_a_listing(
    resolver: DroppingProxy, manager: Actor, clock: FrozenClock, standins: Calls
) -> None:
    """127.255.255.254 / .255 from URIBL or SURBL read as every bit of their bitmask set ('listed: black, grey,
    red'): the domain was cooled and its swap proposed because a list refused to answer."""
    quiet = await active_domain(manager, clock, "quiet.test")

    await blacklist_job(clock, settings_for(resolver.port, BUSY_URIBL, BUSY_SURBL))

    assert (await Domain.get(id=quiet.id)).status == DomainStatus.ACTIVE and standins.proposals == []
    assert not await Alert.filter(kind="blacklist_listed").exists()
    state = (await show_domain(manager, clock, "quiet.test")).summary.blacklists
    assert (state.health, state.reasons) == (Health.UNKNOWN, ("dnsbl-error-refused",))
    blind = {a.subject: a.data["reason"] for a in await Alert.filter(kind="dnsbl_blind")}
    assert blind == {f"dnsbl:{BUSY_URIBL['name']}": "refused", f"dnsbl:{BUSY_SURBL['name']}": "refused"}


async def test_a_cleared_listing_resolves_its_alert_but_an_unanswered_list_clears_nothing(
    knot: DnsServer, resolver: DroppingProxy, manager: Actor, clock: FrozenClock, standins: Calls
) -> None:
    flip = {"name": "flip.test", "kind": "domain", "family": "uribl"}
    knot.set_dnsbl("flip.test", {"burned.test": "127.0.0.2"})
    domain = await active_domain(manager, clock, "burned.test")
    settings = settings_for(resolver.port, flip)
    await blacklist_job(clock, settings)
    (alert,) = await Alert.filter(kind="blacklist_listed")

    knot.remove_zone("flip.test")  # the list is not served any more: REFUSED, "could not check"
    clock.advance(dt.timedelta(hours=6))
    await blacklist_job(clock, settings)
    assert [r for r in standins.resolved if r[0] == "blacklist_listed"] == []
    assert (await Alert.get(id=alert.id)).status == AlertStatus.OPEN
    assert (await Alert.get(kind="dnsbl_blind")).data["reason"] == "refused"  # Knot refuses an unserved zone
    unchecked = (await show_domain(manager, clock, "burned.test")).summary.blacklists
    assert (unchecked.health, unchecked.reasons) == (Health.UNKNOWN, ("dnsbl-error-refused",))

    knot.set_dnsbl("flip.test", {})  # served again, and burned.test is delisted
    clock.advance(dt.timedelta(hours=6))
    await blacklist_job(clock, settings)
    clock.advance(dt.timedelta(hours=6))
    await blacklist_job(clock, settings)  # clean again: nothing more to resolve

    listing_resolved = [r for r in standins.resolved if r[0] == "blacklist_listed"]
    assert listing_resolved == [("blacklist_listed", f"domain:{domain.id}", domain.workspace_id)]
    resolved = await Alert.get(id=alert.id)
    assert (resolved.status, resolved.resolved_at) == (AlertStatus.RESOLVED, START + dt.timedelta(hours=12))
    blind = await Alert.get(kind="dnsbl_blind")  # the list answers again: no longer blind
    assert (blind.status, blind.resolved_at) == (AlertStatus.RESOLVED, START + dt.timedelta(hours=12))
    assert (await show_domain(manager, clock, "burned.test")).summary.blacklists.health is Health.OK
    assert len(standins.proposals) == 1  # the listing proposed once; clearing does not undo a swap decision


async def test_dns_drift_in_two_checks_in_a_row_cools_an_active_domain_and_proposes_its_swap(
    knot: DnsServer, manager: Actor, clock: FrozenClock, standins: Calls
) -> None:
    config = settings_config(knot.port, MIRROR, dns_port=knot.port)
    knot.set_zone("drift.test", good_zone("drift.test"))
    domain = await active_domain(manager, clock, "drift.test")
    await set_dkim(manager, clock, "drift.test", DKIM_KEY)

    async def check() -> None:
        clock.advance(dt.timedelta(days=1))
        await check_dns(manager, clock, "drift.test", config)

    await check()  # every record right
    knot.set_zone("drift.test", good_zone("drift.test", dkim=[]))  # the DKIM record is gone
    await check()
    with SilentUdpServer() as silent:  # an unanswered check neither counts as wrong nor breaks the run
        clock.advance(dt.timedelta(days=1))
        await check_dns(manager, clock, "drift.test", settings_config(knot.port, MIRROR, dns_port=silent.port))
    assert (await Domain.get(id=domain.id)).status == DomainStatus.ACTIVE and standins.proposals == []

    await check()  # wrong a second time in a row
    await check()  # and a third: the same drift is proposed once

    assert (await Domain.get(id=domain.id)).status == DomainStatus.COOLING
    (proposal,) = standins.proposals
    assert proposal[:2] == (domain.id, "dns_drift")
    detail = proposal[2]
    assert (detail["record"], detail["verdict"], detail["unchecked"]) == ("dkim", DnsVerdict.MISSING.value, [])
    assert [(r["record"], r["found"]) for r in detail["records"]] == [("dkim", [])]
    assert detail["records"][0]["expected"] and DKIM_KEY[:20] in detail["records"][0]["expected"][0]

    # the record is put back: the drift alert resolves; the domain stays cooling until the swap is decided
    (drift,) = await Alert.filter(kind="dns_drift", subject=f"domain:{domain.id}")
    assert drift.status == AlertStatus.OPEN
    knot.set_zone("drift.test", good_zone("drift.test"))
    await check()
    assert (await Alert.get(id=drift.id)).status == AlertStatus.RESOLVED
    assert (await Domain.get(id=domain.id)).status == DomainStatus.COOLING and len(standins.proposals) == 1


async def test_a_record_served_as_it_was_when_it_passed_is_no_drift_when_a_new_rule_finds_it_wrong(
    knot: DnsServer, manager: Actor, clock: FrozenClock, standins: Calls
) -> None:
    """An SPF ending in `+all` passed the check until the check learned that rule; on the day it did, every active
    domain publishing one turned wrong in two checks in a row and was cooled with a swap proposed, though nobody had
    touched its DNS. The check says the record is wrong; the domain keeps sending."""
    config = settings_config(knot.port, MIRROR, dns_port=knot.port)
    spf = SPF.replace("~all", "+all")
    knot.set_zone("open.test", good_zone("open.test", spf=[("@", "TXT", spf)]))
    domain = await active_domain(manager, clock, "open.test")
    await set_dkim(manager, clock, "open.test", DKIM_KEY)
    report = await check_dns(manager, clock, "open.test", config)
    assert {r.kind: r.verdict for r in report.records}[DnsRecordKind.SPF] == DnsVerdict.INVALID
    # as the check before the rule judged the same record
    await DnsCheck.filter(domain_id=domain.id, record=DnsRecordKind.SPF).update(verdict=DnsVerdict.OK)
    for _ in range(DRIFT_CHECKS + 1):
        clock.advance(dt.timedelta(days=1))
        report = await check_dns(manager, clock, "open.test", config)
    assert {r.kind: r.verdict for r in report.records}[DnsRecordKind.SPF] == DnsVerdict.INVALID
    assert (await Domain.get(id=domain.id)).status == DomainStatus.ACTIVE and standins.proposals == []


async def test_drift_on_a_domain_that_is_not_active_only_alerts(
    knot: DnsServer, manager: Actor, clock: FrozenClock, standins: Calls
) -> None:
    config = settings_config(knot.port, MIRROR, dns_port=knot.port)
    knot.set_zone("warm.test", good_zone("warm.test"))
    await add_domains(manager, clock, "warm.test;;;yandex360")
    await set_dkim(manager, clock, "warm.test", DKIM_KEY)
    domain = await Domain.get(name="warm.test")
    for status in (DomainStatus.DNS_PENDING, DomainStatus.WARMING):
        await transition_domain(domain, status, clock=clock, reason="test")
    await check_dns(manager, clock, "warm.test", config)
    knot.set_zone("warm.test", good_zone("warm.test", spf=[]))
    for _ in range(2):
        clock.advance(dt.timedelta(days=1))
        report = await check_dns(manager, clock, "warm.test", config)
    assert {r.kind: r.verdict for r in report.records}[DnsRecordKind.SPF] == DnsVerdict.MISSING

    assert (await Domain.get(id=domain.id)).status == DomainStatus.WARMING and standins.proposals == []
    assert await Alert.filter(kind="dns_drift", subject=f"domain:{domain.id}").exists()


async def test_blacklist_check_in_chat_uses_the_settings_and_keeps_the_three_answers_apart(
    resolver: DroppingProxy, manager: Actor, clock: FrozenClock, standins: Calls
) -> None:
    """`/blacklist_check` with the configuration the app builds from the settings (`build_runner`)."""
    burned = await active_domain(manager, clock, "burned.test")
    config = DnsConfig.from_settings(settings_for(resolver.port, MIRROR, REFUSING, SLOW))
    runner = Runner(clock, admins={Platform.TELEGRAM: {"1"}}, services={"dns": config})
    admin = runner.identity(Platform.TELEGRAM, "1", "Admin", "en")
    assert (await runner.run_line(admin, "chat", "/lang en")).ok
    assert (await runner.run_line(admin, "chat", "/use acme")).ok

    reply = await runner.run_line(admin, "chat", "/blacklist_check burned.test")

    text = reply.plain_text()
    assert not reply.ok
    for zone, result in (("bl.mirror.test", "listed"), ("dbl.refusing.test", "error"), ("slow.test", "error")):
        assert f"{zone}: {EN(f'dnsbl-result-{result}')}" in text
    assert EN("dnsbl-error-public-resolver") in text and EN("dnsbl-error-timeout") in text
    assert EN("dnsbl-result-clean") not in text
    assert (await Domain.get(id=burned.id)).status == DomainStatus.COOLING
    assert [(p[0], p[1]) for p in standins.proposals] == [(burned.id, "blacklisted")]


async def dns_job(clock: FrozenClock, settings: Settings) -> int:
    """The worker's daily DNS check job, with the configuration its start-up builds from the settings."""
    ctx: dict[str, Any] = {"db_ready": True, "clock": clock, "settings": settings}
    await worker.startup(ctx)
    try:
        return await worker.check_dns(ctx)
    finally:
        await worker.shutdown(ctx)


async def test_a_cooled_domain_returns_to_active_once_every_cause_cleared_on_a_complete_check(
    knot: DnsServer, resolver: DroppingProxy, manager: Actor, clock: FrozenClock, standins: Calls
) -> None:
    """Listed → cooling (no reserve: no swap). Delisted while another list times out, or while DNS is wrong or
    unanswered: still cooling. Every list clean and every record right: active again, by the checks' jobs."""
    back = {"name": "back.test", "kind": "domain", "family": "uribl"}
    knot.set_dnsbl("back.test", {"cooled.test": "127.0.0.2"})
    knot.set_zone("cooled.test", good_zone("cooled.test"))
    domain = await active_domain(manager, clock, "cooled.test")
    await set_dkim(manager, clock, "cooled.test", DKIM_KEY)
    settings = settings_for(resolver.port, back, dns_port=knot.port)
    await dns_job(clock, settings)  # every record right

    await blacklist_job(clock, settings)
    assert (await Domain.get(id=domain.id)).status == DomainStatus.COOLING
    assert [p[:2] for p in standins.proposals] == [(domain.id, "blacklisted")]
    (empty,) = await Alert.filter(kind="reserve_empty", subject=f"domain:{domain.id}")

    knot.set_dnsbl("back.test", {})  # delisted
    clock.advance(dt.timedelta(hours=6))
    await blacklist_job(clock, settings_for(resolver.port, back, SLOW, dns_port=knot.port))  # slow: could not check
    assert (await Domain.get(id=domain.id)).status == DomainStatus.COOLING

    knot.set_zone("cooled.test", good_zone("cooled.test", dkim=[]))  # DNS wrong now
    clock.advance(dt.timedelta(hours=6))
    await dns_job(clock, settings)
    await blacklist_job(clock, settings)  # every list clean, but a record is wrong
    assert (await Domain.get(id=domain.id)).status == DomainStatus.COOLING

    knot.set_zone("cooled.test", good_zone("cooled.test"))
    with SilentUdpServer() as silent:  # DNS does not answer: "could not check" is not "right"
        clock.advance(dt.timedelta(hours=6))
        await dns_job(clock, settings_for(resolver.port, back, dns_port=silent.port))
    assert (await Domain.get(id=domain.id)).status == DomainStatus.COOLING
    assert not await Alert.filter(kind="domain_resumed").exists()

    clock.advance(dt.timedelta(hours=6))
    await dns_job(clock, settings)  # every record right, the lists clean since the last run: back at work

    resumed = await Domain.get(id=domain.id)
    assert (resumed.status, resumed.status_changed_at) == (DomainStatus.ACTIVE, clock.now())
    audit = await AuditLog.filter(action="domain.transition", subject=f"domain:{domain.id}").order_by("-id").first()
    assert audit is not None and audit.data["from"] == "cooling" and audit.data["to"] == "active"
    assert "causes cleared" in audit.data["reason"]
    assert (await Alert.get(id=empty.id)).status == AlertStatus.RESOLVED  # no replacement needed any more
    (notice,) = await Alert.filter(kind="domain_resumed", subject=f"domain:{domain.id}")
    assert (notice.severity, notice.workspace_id) == (Severity.INFO, domain.workspace_id)
    ru = translator("ru")(engine.alerts.alert_key(notice.kind), **notice.data)
    assert "cooled.test" in ru and "снова в работе" in ru
    assert "every blocklist answered" in EN(engine.alerts.alert_key(notice.kind), **notice.data)

    clock.advance(dt.timedelta(hours=6))
    await blacklist_job(clock, settings)  # nothing more to do: one notice
    assert await Alert.filter(kind="domain_resumed").count() == 1

    # a notice is news, not a condition: nothing would ever resolve it, and /alerts listed it (open, or acked)
    # for good. Once announced it is over: no Ack button, no "no longer seen" announcement, not listed
    [note] = [n for n in await engine.alerts.claim_due(clock) if n.kind == "domain_resumed"]
    assert note.buttons == [] and not note.resolved
    assert (await Alert.get(id=notice.id)).status == AlertStatus.RESOLVED
    assert [n for n in await engine.alerts.claim_due(clock) if n.kind == "domain_resumed"] == []
    assert "domain_resumed" not in {v.kind for v in (await engine.alerts.list_alerts(manager, clock)).alerts}


async def test_a_waiting_swap_keeps_a_cleared_domain_cooling_until_it_expires(
    knot: DnsServer, resolver: DroppingProxy, manager: Actor, clock: FrozenClock, standins: Calls
) -> None:
    back = {"name": "wait.list.test", "kind": "domain", "family": "uribl"}
    knot.set_dnsbl("wait.list.test", {})
    knot.set_zone("waits.test", good_zone("waits.test"))
    domain = await active_domain(manager, clock, "waits.test")
    await set_dkim(manager, clock, "waits.test", DKIM_KEY)
    settings = settings_for(resolver.port, back, dns_port=knot.port)
    await transition_domain(domain, DomainStatus.COOLING, clock=clock, reason="test")
    approval = await approvals.request(
        domain.workspace_id, ApprovalKind.DOMAIN_SWAP, f"domain:{domain.id}", {}, clock=clock, ttl=reserve.SWAP_TTL
    )
    assert approval is not None

    await dns_job(clock, settings)
    await blacklist_job(clock, settings)
    assert (await Domain.get(id=domain.id)).status == DomainStatus.COOLING  # a person is deciding

    clock.advance(reserve.SWAP_TTL + dt.timedelta(hours=1))  # nobody decided: the request is over
    await blacklist_job(clock, settings)
    assert (await Domain.get(id=domain.id)).status == DomainStatus.ACTIVE

    # cooled again, and this time a manager rejects the swap: the next clean check resumes it
    domain = await Domain.get(id=domain.id)
    await transition_domain(domain, DomainStatus.COOLING, clock=clock, reason="test")
    await Approval.filter(id=approval.id).update(status=ApprovalStatus.EXPIRED)  # as propose_swap finds it
    again = await approvals.request(
        domain.workspace_id, ApprovalKind.DOMAIN_SWAP, f"domain:{domain.id}", {}, clock=clock, ttl=reserve.SWAP_TTL
    )
    assert again is not None
    admin = Actor(person_id=None, platform=Platform.CONSOLE, role=Role.ADMIN, workspace_id=domain.workspace_id)
    await approvals.decide(admin, again.id, False, clock)
    clock.advance(dt.timedelta(hours=6))
    await blacklist_job(clock, settings)
    assert (await Domain.get(id=domain.id)).status == DomainStatus.ACTIVE
    assert await Alert.filter(kind="domain_resumed", subject=f"domain:{domain.id}").count() == 2  # one per cooling


async def test_the_listing_alert_names_the_list_and_what_its_code_means_in_the_readers_language(
    knot: DnsServer, resolver: DroppingProxy, manager: Actor, clock: FrozenClock, standins: Calls
) -> None:
    await active_domain(manager, clock, "burned.test")
    await blacklist_job(clock, settings_for(resolver.port, MIRROR))

    due = [n for n in await engine.alerts.claim_due(clock) if n.kind == "blacklist_listed"]
    (notification,) = due
    for locale in ("ru", "en"):
        text = render(notification, locale).plain_text()
        t = translator(locale)
        assert "bl.mirror.test" in text and t("dnsbl-code-uribl-black") in text, text
        assert "127.0.0.2" in text and "{" not in text


async def test_a_list_that_does_not_list_its_own_test_point_is_blind_not_clean(
    knot: DnsServer, resolver: DroppingProxy, manager: Actor, clock: FrozenClock, standins: Calls
) -> None:
    """Spamhaus answers a public resolver with silent NXDOMAIN: every domain would read "not listed". A list's
    test point (an entry it always lists) tells: when it is not listed, the list's "not listed" means nothing."""
    knot.set_zone("silent.test", [("www", "A", "192.0.2.1")])  # NXDOMAIN to everything, its test point too
    knot.set_dnsbl("honest.test", {})  # lists the RFC 5782 test points (127.0.0.2), not quiet.test
    silent = {"name": "silent.test", "kind": "domain", "family": "spamhaus-dbl", "test_point": "127.0.0.2"}
    honest = {"name": "honest.test", "kind": "domain", "family": "uribl", "test_point": "127.0.0.2"}
    await active_domain(manager, clock, "quiet.test")

    await blacklist_job(clock, settings_for(resolver.port, silent, honest))

    card = await show_domain(manager, clock, "quiet.test")
    assert {b.zone: b.result for b in card.blacklists} == {
        "silent.test": ListingResult.ERROR,
        "honest.test": ListingResult.CLEAN,
    }
    state = card.summary.blacklists
    assert (state.health, state.reasons) == (Health.PARTIAL, ("dnsbl-error-test-point",))
    blind = await Alert.get(kind="dnsbl_blind", subject="dnsbl:silent.test")
    assert blind.data["reason"] == "test-point"
    text = EN("alert-dnsbl-blind", **blind.data)
    assert "does not list even its own test entry" in text and "not “clean”" in text, text
    assert "тестовую запись" in translator("ru")("alert-dnsbl-blind", **blind.data)


async def test_an_idn_domains_alerts_name_it_in_cyrillic(
    knot: DnsServer, resolver: DroppingProxy, manager: Actor, clock: FrozenClock, standins: Calls
) -> None:
    """пример.рф is stored and asked as xn--e1afmkfd.xn--p1ai; people read пример.рф."""
    knot.set_dnsbl("idn.list.test", {"xn--e1afmkfd.xn--p1ai": "127.0.0.2"})
    idn = {"name": "idn.list.test", "kind": "domain", "family": "uribl"}
    await add_domains(manager, clock, "пример.рф;;;yandex360")
    domain = await Domain.get(name="xn--e1afmkfd.xn--p1ai")
    for status in (DomainStatus.DNS_PENDING, DomainStatus.WARMING, DomainStatus.ACTIVE):
        await transition_domain(domain, status, clock=clock, reason="test")
    await blacklist_job(clock, settings_for(resolver.port, idn))
    assert (await Domain.get(id=domain.id)).status == DomainStatus.COOLING

    due = {n.kind: n for n in await engine.alerts.claim_due(clock)}
    for kind in ("blacklist_listed", "reserve_empty"):
        text = render(due[kind], "ru").plain_text()
        assert "пример.рф" in text and "xn--" not in text, text


async def test_a_weaker_dmarc_policy_published_by_hand_alerts_but_does_not_burn_the_domain(
    knot: DnsServer, manager: Actor, clock: FrozenClock, standins: Calls
) -> None:
    """Someone at the client lowered DMARC from p=quarantine to p=none on an active domain: a valid record, every
    message still authenticated. Two checks later the domain was cooled (its campaigns held) and its swap for a
    reserve proposed, as if it were burned. A policy that differs from the ladder's is a drift to alert about and
    to set right (/dns_apply); the domain keeps sending. A DMARC record gone is still a drift that protects."""
    config = settings_config(knot.port, MIRROR, dns_port=knot.port)
    strict = [("_dmarc", "TXT", "v=DMARC1; p=quarantine; rua=mailto:dmarc@lowered.test")]
    knot.set_zone("lowered.test", good_zone("lowered.test", dmarc=strict))
    domain = await active_domain(manager, clock, "lowered.test")
    await set_dkim(manager, clock, "lowered.test", DKIM_KEY)
    report = await check_dns(manager, clock, "lowered.test", config)
    assert report.ok and (await Domain.get(id=domain.id)).dmarc_policy is DmarcPolicy.QUARANTINE
    weaker = [("_dmarc", "TXT", "v=DMARC1; p=none; rua=mailto:dmarc@lowered.test")]
    knot.set_zone("lowered.test", good_zone("lowered.test", dmarc=weaker))
    for _ in range(DRIFT_CHECKS + 1):
        clock.advance(dt.timedelta(days=1))
        report = await check_dns(manager, clock, "lowered.test", config)
    assert {r.kind: r.verdict for r in report.records}[DnsRecordKind.DMARC] == DnsVerdict.MISMATCH
    assert await Alert.filter(kind="dns_drift", subject=f"domain:{domain.id}").exists()
    assert (await Domain.get(id=domain.id)).status == DomainStatus.ACTIVE and standins.proposals == []

    knot.set_zone("lowered.test", good_zone("lowered.test", dmarc=strict))  # set right again ...
    clock.advance(dt.timedelta(days=1))
    assert (await check_dns(manager, clock, "lowered.test", config)).ok
    knot.set_zone("lowered.test", good_zone("lowered.test", dmarc=[]))  # ... then the record is deleted
    for _ in range(DRIFT_CHECKS):
        clock.advance(dt.timedelta(days=1))
        await check_dns(manager, clock, "lowered.test", config)
    assert (await Domain.get(id=domain.id)).status == DomainStatus.COOLING and len(standins.proposals) == 1

"""Domain DNS checks, drift, blacklists and DMARC steps against a real Knot server and real PostgreSQL."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterator, Sequence

import aiohttp
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr

from engine.access import SYSTEM, Actor
from engine.alerts import claim_due
from engine.clock import FrozenClock
from engine.dns.adapters import RegRu
from engine.dns.check import RecordCheck, ResolverConfig
from engine.dns.dnsbl import DnsblZone, Family, TargetKind
from engine.dns.names import to_ascii
from engine.domains import (
    DnsConfig,
    Health,
    add_domains,
    apply_dmarc_step,
    apply_dns,
    check_all_blacklists,
    check_all_dns,
    check_blacklists,
    check_dns,
    check_shared_blacklists,
    export_zones,
    list_domains,
    plan_dns,
    propose_dmarc_steps,
    set_dkim,
    show_domain,
)
from engine.errors import Conflict, Forbidden
from engine.i18n import Translator, translator
from engine.lifecycle import transition_approval, transition_domain
from engine.notify import render
from models import Alert, Approval, BlacklistCheck, DnsCheck, Domain, Event, Mailbox, Workspace
from models.enums import (
    AlertStatus,
    ApprovalKind,
    ApprovalStatus,
    DmarcPolicy,
    DnsRecordKind,
    DnsVerdict,
    DomainStatus,
    EventKind,
    ListingResult,
    MailboxStatus,
    MailProvider,
    Platform,
    Role,
    TlsMode,
)
from tests.harness.dnsserver import DnsServer, RecordLike, ServfailServer, SilentUdpServer, TruncatingServer
from tests.harness.registrar_standins import RegRuStandin

K, V = DnsRecordKind, DnsVerdict
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
TRACKING = "track.mailfleet.test"
SPF = "v=spf1 include:_spf.yandex.net ~all"
EN = translator("en")


def _key() -> str:
    public = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


DKIM_KEY = _key()


@pytest.fixture(scope="module")
def knot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DnsServer]:
    with DnsServer(tmp_path_factory.mktemp("knot")) as server:
        server.set_zone("yandex.net", [("_spf", "TXT", "v=spf1 ip4:77.88.0.0/18 -all")])
        server.set_dnsbl("dbl.test", {"listed.test": "127.0.1.2"})
        server.set_dnsbl("uribl.test", {"listed.test": "127.0.0.1", "clean.test": "127.0.0.1"})
        server.set_dnsbl("zen.test", {"192.0.2.99": "127.0.0.2"})
        yield server


ZONES = (
    DnsblZone("dbl.test", TargetKind.DOMAIN, Family.SPAMHAUS_DBL),
    DnsblZone("uribl.test", TargetKind.DOMAIN, Family.URIBL),
    DnsblZone("zen.test", TargetKind.IP, Family.SPAMHAUS_ZEN),
)


def config_for(port: int, *, timeout: float = 2.0) -> DnsConfig:
    return DnsConfig(ResolverConfig(("127.0.0.1",), port, timeout), tracking_target=TRACKING, dnsbl_zones=ZONES)


@pytest.fixture
def config(knot: DnsServer) -> DnsConfig:
    return config_for(knot.port)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
async def manager(orm: None) -> Actor:
    workspace = await Workspace.create(slug="acme", name="Acme")
    return Actor(person_id=None, platform=Platform.CONSOLE, role=Role.MANAGER, workspace_id=workspace.id)


def good_zone(name: str, **replace: list[RecordLike]) -> list[RecordLike]:
    """A zone that matches the Yandex 360 plan; `replace` swaps the records of one owner ("spf", "dkim", …)."""
    parts: dict[str, list[RecordLike]] = {
        "mx": [("@", "MX", "10 mx.yandex.net.")],
        "spf": [("@", "TXT", SPF), ("@", "TXT", "yandex-verification: 42")],
        "dkim": [("mail._domainkey", "TXT", f"v=DKIM1; k=rsa; p={DKIM_KEY}")],
        "dmarc": [("_dmarc", "TXT", f"v=DMARC1; p=none; rua=mailto:dmarc@{name}")],
        "tracking": [("t", "CNAME", f"{TRACKING}.")],
    }
    parts.update(replace)
    return [record for records in parts.values() for record in records]


async def add_domain(manager: Actor, clock: FrozenClock, name: str) -> Domain:
    report = await add_domains(manager, clock, f"{name};;;yandex360")
    assert report.added == (to_ascii(name),)
    await set_dkim(manager, clock, name, DKIM_KEY)
    return await Domain.get(name=to_ascii(name))


def verdicts(records: Sequence[RecordCheck]) -> dict[DnsRecordKind, DnsVerdict]:
    return {r.kind: r.verdict for r in records}


async def test_correct_records_check_clean(
    knot: DnsServer, config: DnsConfig, manager: Actor, clock: FrozenClock
) -> None:
    knot.set_zone("good.test", good_zone("good.test"))
    await add_domain(manager, clock, "good.test")

    report = await check_dns(manager, clock, "good.test", config)

    assert verdicts(report.records) == dict.fromkeys(K, V.OK)
    assert report.ok and report.drifted == ()
    assert [p.key for r in report.records for p in r.problems] == []
    assert await DnsCheck.filter(domain__name="good.test").count() == 5
    detail = await show_domain(manager, clock, "good.test")
    assert {v.record: v.verdict for v in detail.dns} == dict.fromkeys(K, V.OK)
    assert detail.summary.dns.health is Health.OK
    assert [s.dns.health for s in await list_domains(manager, clock)] == [Health.OK]
    clock.advance(dt.timedelta(days=1))
    (daily,) = await check_all_dns(SYSTEM, clock, config)  # the cron: every workspace, nothing drifted
    assert daily.domain == "good.test" and daily.ok and daily.drifted == ()


async def test_broken_spf_missing_dkim_and_two_spf_records(
    knot: DnsServer, config: DnsConfig, manager: Actor, clock: FrozenClock
) -> None:
    knot.set_zone(
        "broken.test", good_zone("broken.test", spf=[("@", "TXT", "v=spf1 include:_spf.yandex.net ~al")], dkim=[])
    )
    knot.set_zone("twospf.test", good_zone("twospf.test", spf=[("@", "TXT", SPF), ("@", "TXT", "v=spf1 mx -all")]))
    await add_domain(manager, clock, "broken.test")
    await add_domain(manager, clock, "twospf.test")

    broken = await check_dns(manager, clock, "broken.test", config)
    two = await check_dns(manager, clock, "twospf.test", config)

    assert verdicts(broken.records) == {
        K.MX: V.OK,
        K.SPF: V.INVALID,
        K.DKIM: V.MISSING,
        K.DMARC: V.OK,
        K.TRACKING: V.OK,
    }
    assert verdicts(two.records)[K.SPF] == V.DUPLICATE
    spf = next(r for r in broken.records if r.kind == K.SPF)
    assert spf.found == ("v=spf1 include:_spf.yandex.net ~al",)
    (problem,) = spf.problems
    for locale, word in (("ru", "Неизвестный"), ("en", "Unknown")):
        explanation = Translator(locale)(problem.key, **problem.params)
        assert word in explanation and "~al" in explanation
    stored = await DnsCheck.get(domain__name="broken.test", record=K.DKIM)
    assert (stored.verdict, stored.found) == (V.MISSING, "")
    assert "dns-problem-missing" in stored.detail


async def test_spf_over_ten_lookups_through_includes(
    knot: DnsServer, config: DnsConfig, manager: Actor, clock: FrozenClock
) -> None:
    chain = [(f"i{n}", "TXT", f"v=spf1 a mx include:i{n + 1}.heavy.test -all") for n in range(5)]
    spf = "v=spf1 include:_spf.yandex.net include:i0.heavy.test ~all"
    knot.set_zone("heavy.test", good_zone("heavy.test", spf=[("@", "TXT", spf), *chain]))
    await add_domain(manager, clock, "heavy.test")

    report = await check_dns(manager, clock, "heavy.test", config)

    spf_check = next(r for r in report.records if r.kind == K.SPF)
    assert spf_check.verdict == V.INVALID
    too_many = next(p for p in spf_check.problems if p.key == "dns-problem-spf-too-many-lookups")
    assert too_many.params["count"] > 10


async def test_more_than_two_spf_lookups_that_find_nothing_is_a_permerror_naming_them(
    knot: DnsServer, config: DnsConfig, manager: Actor, clock: FrozenClock
) -> None:
    """RFC 7208 4.6.4: receivers allow two lookups that find nothing (no such name, no records of the type) and
    answer permerror past that; the check passed such a record. Two are allowed, a third names them all."""
    stale = "a:old.voids.test mx:gone.voids.test a:www.voids.test"  # www exists: not void
    spf = f"v=spf1 {stale} include:_spf.yandex.net ~all"
    knot.set_zone("voids.test", good_zone("voids.test", spf=[("@", "TXT", spf), ("www", "A", "192.0.2.80")]))
    await add_domain(manager, clock, "voids.test")
    two = next(r for r in (await check_dns(manager, clock, "voids.test", config)).records if r.kind == K.SPF)
    assert two.verdict == V.OK and not any(p.key == "dns-problem-spf-void-lookups" for p in two.problems)

    spf = f"v=spf1 {stale} exists:x.voids.test include:_spf.yandex.net ~all"
    knot.set_zone("voids.test", good_zone("voids.test", spf=[("@", "TXT", spf), ("www", "A", "192.0.2.80")]))
    clock.advance(dt.timedelta(days=1))
    three = next(r for r in (await check_dns(manager, clock, "voids.test", config)).records if r.kind == K.SPF)
    assert three.verdict == V.INVALID
    void = next(p for p in three.problems if p.key == "dns-problem-spf-void-lookups")
    assert void.params == {"count": 3, "limit": 2, "terms": "a:old.voids.test, mx:gone.voids.test, exists:x.voids.test"}
    for locale in ("ru", "en"):
        text = Translator(locale)(void.key, **void.params)
        assert "mx:gone.voids.test" in text and "permerror" in text


async def test_an_mx_that_names_an_alias_of_the_providers_host_says_so(
    knot: DnsServer, config: DnsConfig, manager: Actor, clock: FrozenClock
) -> None:
    """MX → mail.alias.test → CNAME mx.yandex.net: it "points elsewhere" because an MX may not name an alias
    (RFC 2181 10.3); the reason names the alias and where it leads. Another host that is no alias reads as before."""
    mx = [("@", "MX", "10 mail.alias.test."), ("mail", "CNAME", "mx.yandex.net.")]
    knot.set_zone("alias.test", good_zone("alias.test", mx=mx))
    knot.set_zone("elsewhere.test", good_zone("elsewhere.test", mx=[("@", "MX", "10 mx.elsewhere.test.")]))
    await add_domain(manager, clock, "alias.test")
    await add_domain(manager, clock, "elsewhere.test")

    aliased = next(r for r in (await check_dns(manager, clock, "alias.test", config)).records if r.kind == K.MX)
    other = next(r for r in (await check_dns(manager, clock, "elsewhere.test", config)).records if r.kind == K.MX)

    assert aliased.verdict == V.MISMATCH
    assert [(p.key, p.params) for p in aliased.problems] == [
        ("dns-problem-mx-alias", {"aliases": "mail.alias.test → mx.yandex.net", "expected": "mx.yandex.net"})
    ]
    for locale in ("ru", "en"):
        assert "CNAME" in Translator(locale)(aliased.problems[0].key, **aliased.problems[0].params)
    assert (other.verdict, [p.key for p in other.problems]) == (V.MISMATCH, ["dns-problem-mx-differs"])


async def test_an_spf_that_lets_anyone_send_is_invalid_and_a_neutral_one_is_warned_about(
    knot: DnsServer, config: DnsConfig, manager: Actor, clock: FrozenClock
) -> None:
    """`+all` (or a bare `all`) passes every server on the internet; `?all`, or no `all` and no redirect, leaves
    forged mail "neutral". The first is wrong and the plan replaces it with `~all`, the others pass with advice."""
    cases = {
        "plusall.test": ("v=spf1 include:_spf.yandex.net +all", V.INVALID, "dns-problem-spf-pass-all"),
        "bareall.test": ("V=SPF1 INCLUDE:_spf.yandex.net ALL", V.INVALID, "dns-problem-spf-pass-all"),
        "neutral.test": ("v=spf1 include:_spf.yandex.net ?all", V.OK, "dns-problem-spf-neutral-all"),
        "noall.test": ("v=spf1 include:_spf.yandex.net", V.OK, "dns-problem-spf-no-all"),
        "redirect.test": ("v=spf1 redirect=_spf.yandex.net", V.OK, None),  # the redirected record's -all decides
    }
    for name, (spf, verdict, key) in cases.items():
        knot.set_zone(name, good_zone(name, spf=[("@", "TXT", spf)]))
        await add_domain(manager, clock, name)
        report = await check_dns(manager, clock, name, config)
        check = next(r for r in report.records if r.kind == K.SPF)
        assert check.verdict == verdict, name
        assert [p.key for p in check.problems] == ([key] if key else []), name
        assert not report.ok if verdict == V.INVALID else report.ok, name

    (problem,) = next(
        r for r in (await check_dns(manager, clock, "plusall.test", config)).records if r.kind == K.SPF
    ).problems
    for locale in ("ru", "en"):
        assert "+all" in Translator(locale)(problem.key, **problem.params)
    view = await plan_dns(manager, clock, "plusall.test", config)
    assert '+ @ 3600 IN TXT "v=spf1 include:_spf.yandex.net ~all"' in view.diff_text


async def test_an_spf_that_includes_the_provider_through_its_own_includes_is_right_and_kept(
    knot: DnsServer, config: DnsConfig, manager: Actor, clock: FrozenClock
) -> None:
    """`v=spf1 include:_spf.agency.test ~all` (the agency's SPF, which includes Yandex) or a redirect to it was
    "SPF lacks include:_spf.yandex.net", and the plan and /dns_apply added that include beside it: one more
    lookup towards the limit of 10, in a record that already let Yandex send."""
    knot.set_zone("agency.test", [("_spf", "TXT", "v=spf1 ip4:192.0.2.1 include:_spf.yandex.net ~all")])
    for name, spf in (
        ("nested.test", "v=spf1 include:_spf.agency.test ~all"),
        ("redirected.test", "v=spf1 redirect=_spf.agency.test"),
    ):
        knot.set_zone(name, good_zone(name, spf=[("@", "TXT", spf)]))
        await add_domain(manager, clock, name)
        report = await check_dns(manager, clock, name, config)
        check = next(r for r in report.records if r.kind == K.SPF)
        assert (check.verdict, check.problems, report.ok) == (V.OK, (), True), name
        view = await plan_dns(manager, clock, name, config)
        assert view.changes == (), (name, view.diff_text)
        async with RegRuStandin() as api, aiohttp.ClientSession() as session:
            api.add_zone(name, [("@", "TXT", spf, 0)])
            provider = RegRu(session, username="test", password=SecretStr("test"), base_url=api.base_url)
            applied = await apply_dns(manager, clock, name, config, provider)
        assert not [c for c in applied.result.changes if c.kind == K.SPF], name

    knot.set_zone("elsewhere.test", good_zone("elsewhere.test", spf=[("@", "TXT", "v=spf1 include:_spf.agency.test")]))
    knot.set_zone("agency.test", [("_spf", "TXT", "v=spf1 ip4:192.0.2.1 ~all")])  # the agency's SPF dropped Yandex
    await add_domain(manager, clock, "elsewhere.test")
    check = next(r for r in (await check_dns(manager, clock, "elsewhere.test", config)).records if r.kind == K.SPF)
    assert check.verdict == V.MISMATCH


async def test_nxdomain_timeout_and_servfail_are_their_own_verdicts(
    knot: DnsServer, config: DnsConfig, manager: Actor, clock: FrozenClock
) -> None:
    knot.set_zone("parent.test", [("www", "A", "192.0.2.1")])
    await add_domain(manager, clock, "gone.parent.test")
    await add_domain(manager, clock, "blind.test")

    missing = await check_dns(manager, clock, "gone.parent.test", config)
    with SilentUdpServer() as silent:
        timed_out = await check_dns(manager, clock, "blind.test", config_for(silent.port, timeout=0.3))
    with ServfailServer() as broken:
        failed = await check_dns(manager, clock, "blind.test", config_for(broken.port))

    await add_domain(manager, clock, "unserved.example")  # Knot serves no such zone: it answers REFUSED
    refused = await check_dns(manager, clock, "unserved.example", config)

    assert set(verdicts(missing.records).values()) == {V.NXDOMAIN}
    assert set(verdicts(timed_out.records).values()) == {V.TIMEOUT}
    assert set(verdicts(failed.records).values()) == {V.SERVFAIL}
    assert {p.key for r in failed.records for p in r.problems} == {"dns-problem-servfail"}
    # a refusal is "could not check" too, and says so by name
    assert set(verdicts(refused.records).values()) == {V.SERVFAIL} and not refused.ok
    assert {p.key for r in refused.records for p in r.problems} == {"dns-problem-refused"}
    for locale in ("ru", "en"):
        assert "REFUSED" in Translator(locale)("dns-problem-refused")
    assert not (missing.ok or timed_out.ok or failed.ok)
    assert await Alert.all().count() == 0


async def test_an_answer_too_big_for_udp_with_tcp_blocked_is_could_not_check_and_says_why(
    manager: Actor, clock: FrozenClock
) -> None:
    """A long TXT set (a 2048-bit DKIM key beside verification tokens) needs DNS over TCP; where a firewall lets
    only UDP through, nothing is known about the records — said as such, not as a SERVFAIL the server never sent."""
    await add_domain(manager, clock, "bigkeys.test")
    with TruncatingServer() as truncating:
        report = await check_dns(manager, clock, "bigkeys.test", config_for(truncating.port))

    assert set(verdicts(report.records).values()) == {V.SERVFAIL} and not report.ok
    assert not any(r.conclusive for r in report.records)
    assert {p.key for r in report.records for p in r.problems} == {"dns-problem-truncated"}
    for locale in ("ru", "en"):
        assert "TCP" in Translator(locale)("dns-problem-truncated")


async def test_checks_that_get_no_answer_tell_the_agency_once_naming_the_resolvers_and_clear_when_answered(
    knot: DnsServer, config: DnsConfig, manager: Actor, clock: FrozenClock
) -> None:
    """DNS_RESOLVERS that stopped answering (or answered SERVFAIL to everything) turned every daily check into
    "could not check": drift protection was off and nobody was told (only /domains showed ❔). The agency's
    chats hear it once (repeats count), with the resolvers named, and hear it is over once most domains are
    answered again."""
    names = ("blind-a.test", "blind-b.test", "blind-c.test")
    for name in names:
        knot.set_zone(name, good_zone(name))
        await add_domain(manager, clock, name)

    with SilentUdpServer() as silent:
        reports = await check_all_dns(SYSTEM, clock, config_for(silent.port, timeout=0.2))
        resolvers = f"127.0.0.1:{silent.port}"
    assert all(r.blind and r.drifted == () for r in reports)
    (alert,) = await Alert.all()
    assert (alert.kind, alert.workspace_id, alert.subject, alert.count) == (
        "dns_blind",
        None,  # agency-wide: its chats (or the admins) hear it
        "resolvers:DNS_RESOLVERS",
        1,
    )
    assert alert.data == {"resolvers": resolvers, "blind": 3, "total": 3, "reason": "timeout"}
    [notice] = [n for n in await claim_due(clock) if n.id == f"alert:{alert.id}"]
    assert notice.workspace_id is None
    english = render(notice, "en").plain_text()
    assert resolvers in english and "3 of 3 domains" in english and "in time" in english, english
    assert resolvers in render(notice, "ru").plain_text() and "DNS_RESOLVERS" in english

    clock.advance(dt.timedelta(days=1))
    with ServfailServer() as failing:  # SERVFAIL for everything: as blind, the same alert counted up
        await check_all_dns(SYSTEM, clock, config_for(failing.port))
    (alert,) = await Alert.all()
    assert (alert.count, alert.data["reason"], alert.status) == (2, "servfail", AlertStatus.OPEN)
    assert "SERVFAIL" in EN("alert-dns-blind", **alert.data)

    knot.remove_zone("blind-c.test")  # one domain unanswered (refused) of three is not the resolvers
    clock.advance(dt.timedelta(days=1))
    reports = await check_all_dns(SYSTEM, clock, config)
    assert [r.blind for r in sorted(reports, key=lambda r: r.domain)] == [False, False, True]
    assert (await Alert.get(id=alert.id)).status == AlertStatus.RESOLVED
    assert await Alert.filter(kind="dns_drift").count() == 0


async def test_drift_raises_one_alert_and_repeats_only_count(
    knot: DnsServer, config: DnsConfig, manager: Actor, clock: FrozenClock
) -> None:
    knot.set_zone("drift.test", good_zone("drift.test"))
    domain = await add_domain(manager, clock, "drift.test")
    assert (await check_dns(manager, clock, "drift.test", config)).drifted == ()

    knot.set_zone("drift.test", good_zone("drift.test", spf=[("@", "TXT", "v=spf1 mx ~all")]))
    clock.advance(dt.timedelta(days=1))
    first = await check_dns(manager, clock, "drift.test", config)
    clock.advance(dt.timedelta(days=1))
    unchanged = await check_dns(manager, clock, "drift.test", config)
    with SilentUdpServer() as silent:  # an unanswered check in between is not a change
        await check_dns(manager, clock, "drift.test", config_for(silent.port, timeout=0.2))

    assert first.drifted == (K.SPF,) and unchanged.drifted == ()
    (alert,) = await Alert.all()
    assert (alert.kind, alert.subject, alert.count, alert.workspace_id) == (
        "dns_drift",
        f"domain:{domain.id}",
        1,
        manager.workspace_id,
    )
    assert alert.data["before"] == f"{SPF}" and alert.data["after"] == "v=spf1 mx ~all"

    knot.set_zone("drift.test", good_zone("drift.test", spf=[("@", "TXT", "v=spf1 a ~all")]))
    clock.advance(dt.timedelta(days=1))  # changed again, and still wrong: drift again, the same alert counted up
    assert (await check_dns(manager, clock, "drift.test", config)).drifted == (K.SPF,)
    (alert,) = await Alert.all()
    assert (alert.count, alert.data["after"]) == (2, "v=spf1 a ~all")

    knot.set_zone("drift.test", good_zone("drift.test", spf=[("@", "TXT", SPF)]))
    clock.advance(dt.timedelta(days=1))  # put right: a fix, not a drift — the alert is over, not counted up
    fixed = await check_dns(manager, clock, "drift.test", config)
    assert (fixed.drifted, fixed.fixed) == ((), (K.SPF,))
    (alert,) = await Alert.all()
    assert (alert.count, alert.status) == (2, AlertStatus.RESOLVED)


async def test_putting_a_wrong_record_right_is_a_fix_not_a_drift_and_ends_that_records_alert(
    knot: DnsServer, config: DnsConfig, manager: Actor, clock: FrozenClock
) -> None:
    """MX `10 mx.other.ru.`, then the MX corrected: every record was ✅, yet the check said "Changed since the
    last check: MX" and opened a drift alert that stayed until the next check. A wrong record put right is a fix;
    it ends its own drift alert even while another record is still wrong."""
    knot.set_zone("mend.test", good_zone("mend.test", mx=[("@", "MX", "10 mx.other.ru.")]))
    await add_domain(manager, clock, "mend.test")
    assert verdicts((await check_dns(manager, clock, "mend.test", config)).records)[K.MX] == V.MISMATCH

    knot.set_zone("mend.test", good_zone("mend.test"))
    clock.advance(dt.timedelta(days=1))
    mended = await check_dns(manager, clock, "mend.test", config)
    assert mended.ok and (mended.drifted, mended.fixed) == ((), (K.MX,))
    assert await Alert.all().count() == 0

    wrong = {"mx": [("@", "MX", "10 mx.other.ru.")], "spf": [("@", "TXT", "v=spf1 mx ~all")]}
    knot.set_zone("mend.test", good_zone("mend.test", **wrong))
    clock.advance(dt.timedelta(days=1))
    assert set((await check_dns(manager, clock, "mend.test", config)).drifted) == {K.MX, K.SPF}
    knot.set_zone("mend.test", good_zone("mend.test", spf=wrong["spf"]))  # MX put right, SPF still wrong
    clock.advance(dt.timedelta(days=1))
    half = await check_dns(manager, clock, "mend.test", config)
    assert (half.drifted, half.fixed) == ((), (K.MX,))
    alerts = {a.data["record"]: a.status for a in await Alert.filter(kind="dns_drift")}
    assert alerts == {"mx": AlertStatus.RESOLVED, "spf": AlertStatus.OPEN}


async def test_listed_domain_is_cooled_blind_lists_alert_and_ips_are_checked(
    knot: DnsServer, config: DnsConfig, manager: Actor, clock: FrozenClock
) -> None:
    domain = await add_domain(manager, clock, "listed.test")
    for status in (DomainStatus.DNS_PENDING, DomainStatus.WARMING):
        await transition_domain(domain, status, clock=clock, reason="test")

    report = await check_blacklists(manager, clock, "listed.test", config)
    (again,) = await check_all_blacklists(SYSTEM, clock, config)  # the cron, still listed: nothing new

    by_zone = {r.zone: r for r in report.results}
    assert set(by_zone) == {"dbl.test", "uribl.test"}  # the IP list is not asked about a domain
    assert (by_zone["dbl.test"].result, by_zone["dbl.test"].codes) == (ListingResult.LISTED, ("127.0.1.2",))
    assert by_zone["dbl.test"].meanings == ("dnsbl-code-dbl-spam",)
    assert (by_zone["uribl.test"].result, by_zone["uribl.test"].meanings) == (
        ListingResult.ERROR,
        ("dnsbl-error-refused",),
    )
    assert report.new_listings == ("dbl.test",) and again.new_listings == ()
    assert report.state.unchecked == ("uribl.test",)
    assert (await Domain.get(id=domain.id)).status == DomainStatus.COOLING
    # (the swap proposal for the cooled domain: tests/integration/test_dnsbl_protect.py)
    alerts = {a.kind: a for a in await Alert.exclude(kind="reserve_empty")}
    assert set(alerts) == {"blacklist_listed", "dnsbl_blind"}
    assert alerts["blacklist_listed"].count == 1 and alerts["dnsbl_blind"].count == 2
    assert await BlacklistCheck.filter(target="listed.test").count() == 4
    detail = await show_domain(manager, clock, "listed.test")
    assert detail.summary.blacklists.health is Health.BAD and {b.zone: b.result for b in detail.blacklists} == {
        "dbl.test": ListingResult.LISTED,
        "uribl.test": ListingResult.ERROR,
    }

    # the agency's own sending IPs go to the IP lists; their alerts belong to no workspace
    listed, clean = await check_shared_blacklists(SYSTEM, clock, ["192.0.2.99", "192.0.2.98"], config)
    assert [(r.zone, r.result, r.meanings) for r in listed.results] == [
        ("zen.test", ListingResult.LISTED, ("dnsbl-code-sbl",))
    ]
    assert [(r.zone, r.result) for r in clean.results] == [("zen.test", ListingResult.CLEAN)]
    ip_alert = await Alert.get(subject="target:192.0.2.99")
    assert (ip_alert.kind, ip_alert.workspace_id) == ("blacklist_listed", None)
    with pytest.raises(Forbidden):
        await check_shared_blacklists(manager, clock, ["192.0.2.99"], config)


async def test_dmarc_step_is_proposed_once_applied_then_verified(
    knot: DnsServer, config: DnsConfig, manager: Actor, clock: FrozenClock
) -> None:
    knot.set_zone("steady.test", good_zone("steady.test"))
    domain = await add_domain(manager, clock, "steady.test")
    for status in (DomainStatus.DNS_PENDING, DomainStatus.WARMING):
        await transition_domain(domain, status, clock=clock, reason="test")
    clock.advance(dt.timedelta(hours=1))
    await check_dns(manager, clock, "steady.test", config)
    assert await propose_dmarc_steps(manager, clock, config) == []  # not clean for long enough yet

    clock.advance(dt.timedelta(days=14))
    await check_dns(manager, clock, "steady.test", config)
    first = await propose_dmarc_steps(manager, clock, config)
    second = await propose_dmarc_steps(manager, clock, config)

    assert len(first) == 1 and second == []
    approval = await Approval.get(id=first[0])
    assert (approval.kind, approval.subject, approval.status) == (
        ApprovalKind.DMARC_STEP,
        f"domain:{domain.id}",
        ApprovalStatus.PENDING,
    )
    wanted = "v=DMARC1; p=quarantine; rua=mailto:dmarc@steady.test"
    assert approval.payload["value"] == wanted and approval.payload["name"] == "_dmarc.steady.test"
    with pytest.raises(Conflict):
        await apply_dmarc_step(manager, clock, approval.id, config)

    await transition_approval(approval, ApprovalStatus.APPROVED, clock=clock, reason="test")
    pending = await apply_dmarc_step(manager, clock, approval.id, config)
    assert (pending.verified, pending.name, pending.rtype, pending.value) == (
        False,
        "_dmarc.steady.test",
        "TXT",
        wanted,
    )

    async with RegRuStandin() as api, aiohttp.ClientSession() as session:
        api.add_zone("steady.test", [("_dmarc", "TXT", "v=DMARC1; p=none; rua=mailto:dmarc@steady.test", 0)])
        provider = RegRu(session, username="test", password=SecretStr("test"), base_url=api.base_url)
        via_api = await apply_dmarc_step(manager, clock, approval.id, config, provider)
        assert (via_api.calls, via_api.verified) == (2, False)  # sent, but DNS does not serve it yet
        assert [(c.path, c.payload.get("text")) for c in api.writes] == [
            ("zone/remove_record", None),
            ("zone/add_txt", wanted),
        ]
        knot.set_zone("steady.test", good_zone("steady.test", dmarc=[("_dmarc", "TXT", wanted)]))
        done = await apply_dmarc_step(manager, clock, approval.id, config, provider)

    assert done.verified and done.calls == 0 and done.policy == DmarcPolicy.QUARANTINE
    assert (await Approval.get(id=approval.id)).status == ApprovalStatus.APPLIED
    stepped = await Domain.get(id=domain.id)
    assert (stepped.dmarc_policy, stepped.dmarc_since) == (
        DmarcPolicy.QUARANTINE,
        START + dt.timedelta(days=14, hours=1),
    )
    assert (await check_dns(manager, clock, "steady.test", config)).ok


async def stepped_domain(
    knot: DnsServer, config: DnsConfig, manager: Actor, clock: FrozenClock, name: str, *, zone: str | None = None
) -> tuple[Domain, int]:
    """A warming domain whose DNS stayed right for the clean period, and the DMARC step then proposed for it (the
    id of the approval, pending)."""
    knot.set_zone(name, good_zone(zone or name))
    domain = await add_domain(manager, clock, name)
    for status in (DomainStatus.DNS_PENDING, DomainStatus.WARMING):
        await transition_domain(domain, status, clock=clock, reason="test")
    for wait in (dt.timedelta(hours=1), dt.timedelta(days=14)):  # clean for long enough
        clock.advance(wait)
        await check_dns(manager, clock, name, config)
    [approval_id] = await propose_dmarc_steps(manager, clock, config)
    return domain, approval_id


async def test_an_approved_dmarc_step_published_by_hand_is_applied_by_the_next_check(
    knot: DnsServer, config: DnsConfig, manager: Actor, clock: FrozenClock
) -> None:
    """No DNS host API: the approval's answer names the record to publish and says to run /dns_check. The check
    that finds it served adopts the policy and the approved step is `applied`, not left "approved" for good."""
    domain, approval_id = await stepped_domain(knot, config, manager, clock, "byhand.test")
    approval = await Approval.get(id=approval_id)
    await transition_approval(approval, ApprovalStatus.APPROVED, clock=clock, reason="test")
    asked = await apply_dmarc_step(manager, clock, approval_id, config)  # no provider: publish it yourself
    assert (asked.verified, asked.calls) == (False, 0)

    knot.set_zone("byhand.test", good_zone("byhand.test", dmarc=[("_dmarc", "TXT", asked.value)]))
    clock.advance(dt.timedelta(hours=2))
    assert (await check_dns(manager, clock, "byhand.test", config)).ok

    done = await Approval.get(id=approval_id)
    assert done.status == ApprovalStatus.APPLIED
    stepped = await Domain.get(id=domain.id)
    assert (stepped.dmarc_policy, stepped.dmarc_since) == (DmarcPolicy.QUARANTINE, clock.now())
    assert (await apply_dmarc_step(manager, clock, approval_id, config)).verified  # its button now just says so


async def test_no_dmarc_step_on_checks_that_could_not_be_made_or_were_not_made(
    knot: DnsServer, config: DnsConfig, manager: Actor, clock: FrozenClock
) -> None:
    """Clean at the start of the period, then DNS stopped answering (or nothing checked at all): the last
    answered verdicts, two weeks old, were taken for 'stayed clean' and the stricter policy was proposed."""
    knot.set_zone("dimmed.test", good_zone("dimmed.test"))
    domain = await add_domain(manager, clock, "dimmed.test")
    for status in (DomainStatus.DNS_PENDING, DomainStatus.WARMING):
        await transition_domain(domain, status, clock=clock, reason="test")
    clock.advance(dt.timedelta(hours=1))
    await check_dns(manager, clock, "dimmed.test", config)

    clock.advance(dt.timedelta(days=14))
    assert await propose_dmarc_steps(manager, clock, config) == []  # nothing checked it in the period
    with SilentUdpServer() as silent:
        dimmed = await check_dns(manager, clock, "dimmed.test", config_for(silent.port, timeout=0.3))
    assert {r.verdict for r in dimmed.records} == {V.TIMEOUT}
    assert await propose_dmarc_steps(manager, clock, config) == []  # its latest checks could not be made

    clock.advance(dt.timedelta(hours=1))
    await check_dns(manager, clock, "dimmed.test", config)  # DNS answers again: all still right
    assert len(await propose_dmarc_steps(manager, clock, config)) == 1


async def warming_and_checked(
    knot: DnsServer, config: DnsConfig, manager: Actor, clock: FrozenClock, name: str
) -> Domain:
    """A warming domain with a right check at the start of the clean period (observed since before it)."""
    knot.set_zone(name, good_zone(name))
    domain = await add_domain(manager, clock, name)
    for status in (DomainStatus.DNS_PENDING, DomainStatus.WARMING):
        await transition_domain(domain, status, clock=clock, reason="test")
    clock.advance(dt.timedelta(hours=1))
    await check_dns(manager, clock, name, config)
    return domain


async def test_no_dmarc_step_while_receivers_refuse_the_domains_mail_for_failed_authentication(
    knot: DnsServer, config: DnsConfig, manager: Actor, clock: FrozenClock
) -> None:
    """Records right all along, yet receivers refused the domain's mail for failed SPF/DKIM/DMARC ("550 5.7.26
    unauthenticated", "5.7.509 DMARC reject") three days ago: the stricter policy was proposed anyway, and
    quarantine or reject would have sent more of that mail to spam or back. Such a refusal in the clean period
    holds the step back; other refusals (a blocklist, content) do not: DMARC does not mend them."""
    domain = await warming_and_checked(knot, config, manager, clock, "refused.test")
    box = await Mailbox.create(
        workspace_id=domain.workspace_id,
        domain=domain,
        address="anna@refused.test",
        provider=MailProvider.YANDEX360,
        smtp_host="127.0.0.1",
        smtp_port=2525,
        smtp_tls=TlsMode.PLAIN,
        imap_host="127.0.0.1",
        imap_port=1143,
        imap_tls=TlsMode.PLAIN,
        username="anna@refused.test",
        secret_enc=b"x",
        status=MailboxStatus.WARMING,
    )
    clock.advance(dt.timedelta(days=11))
    for reason in ("blocked", "spam_detected", "auth_failure"):
        await Event.create(
            workspace_id=domain.workspace_id,
            kind=EventKind.BOUNCE_BLOCK,
            mailbox=box,
            occurred_at=clock.now(),
            data={"code": 550, "reason": reason},
        )
    clock.advance(dt.timedelta(days=3))
    await check_dns(manager, clock, "refused.test", config)
    assert await propose_dmarc_steps(manager, clock, config) == []

    clock.advance(dt.timedelta(days=12))  # a clean period since the last refusal
    await check_dns(manager, clock, "refused.test", config)
    assert len(await propose_dmarc_steps(manager, clock, config)) == 1


async def test_no_dmarc_step_within_a_clean_period_of_a_change_to_the_domains_records(
    knot: DnsServer, config: DnsConfig, manager: Actor, clock: FrozenClock
) -> None:
    """A DKIM key rotated (or an SPF changed) two days before the end of the clean period checks right at once, and
    the step to quarantine was proposed the same day, before any mail signed with the new key had been seen to
    pass: the period proves the records as they are now, so it starts again from the change."""
    domain = await warming_and_checked(knot, config, manager, clock, "rotated.test")
    clock.advance(dt.timedelta(days=12))
    await check_dns(manager, clock, "rotated.test", config)
    rotated = _key()
    knot.set_zone("rotated.test", good_zone("rotated.test", dkim=[("mail._domainkey", "TXT", f"v=DKIM1; p={rotated}")]))
    await set_dkim(manager, clock, "rotated.test", rotated)
    await check_dns(manager, clock, "rotated.test", config)
    clock.advance(dt.timedelta(days=2))
    report = await check_dns(manager, clock, "rotated.test", config)
    assert report.ok and (await Domain.get(id=domain.id)).dmarc_policy is DmarcPolicy.NONE
    assert await propose_dmarc_steps(manager, clock, config) == []

    clock.advance(dt.timedelta(days=13))  # the new key has stood a whole clean period
    await check_dns(manager, clock, "rotated.test", config)
    assert len(await propose_dmarc_steps(manager, clock, config)) == 1


async def test_a_dmarc_step_for_an_idn_domain_is_asked_in_its_cyrillic_name(
    knot: DnsServer, config: DnsConfig, manager: Actor, clock: FrozenClock
) -> None:
    """The request read 'Domain xn--80a1acny.test stayed clean for the whole trial period…' — the stored name."""
    _, approval_id = await stepped_domain(knot, config, manager, clock, "почта.test", zone="xn--80a1acny.test")

    [request] = [n for n in await claim_due(clock) if n.id == f"approval:{approval_id}"]
    text = render(request, "en").plain_text()
    assert "почта.test" in text and "xn--" not in text.split("published:")[0], text
    # what "clean" means, and for how long (the workspace's clean period, 14 days by default)
    assert "stayed clean for 14 days: SPF, DKIM and DMARC right, on no blacklist" in text, text
    assert "14 дн." in render(request, "ru").plain_text()
    older = {k: v for k, v in request.params.items() if k != "days"}  # asked before requests said how long
    assert "for the whole clean period" in translator("en")("dmarc-step-proposal", **{"days": 0, **older})
    await transition_approval(await Approval.get(id=approval_id), ApprovalStatus.APPROVED, clock=clock, reason="t")
    step = await apply_dmarc_step(manager, clock, approval_id, config)  # the record is asked of DNS in ASCII
    assert (step.domain, step.name, step.verified) == ("xn--80a1acny.test", "_dmarc.xn--80a1acny.test", False)


async def test_plan_diff_and_zone_export(
    knot: DnsServer, config: DnsConfig, manager: Actor, clock: FrozenClock
) -> None:
    knot.set_zone("half.test", [("@", "MX", "10 mx.yandex.net."), ("@", "TXT", "v=spf1 ip4:192.0.2.10 -all")])
    await add_domain(manager, clock, "half.test")

    view = await plan_dns(manager, clock, "half.test", config)

    assert view.changes is not None
    assert [(c.action, c.kind) for c in view.changes] == [
        ("remove", K.SPF),
        ("add", K.SPF),
        ("add", K.DKIM),
        ("add", K.DMARC),
        ("add", K.TRACKING),
    ]
    assert '+ @ 3600 IN TXT "v=spf1 ip4:192.0.2.10 include:_spf.yandex.net -all"' in view.diff_text
    await check_dns(manager, clock, "half.test", config)
    files = await export_zones(manager, clock, config)
    assert list(files) == ["half.test.zone"]
    assert "v=spf1 ip4:192.0.2.10 include:_spf.yandex.net -all" in files["half.test.zone"]
    assert files["half.test.zone"] == view.zone_text


async def test_an_approved_step_never_weakens_a_stricter_policy_published_meanwhile(
    knot: DnsServer, config: DnsConfig, manager: Actor, clock: FrozenClock
) -> None:
    domain, approval_id = await stepped_domain(knot, config, manager, clock, "steady.test")  # none → quarantine
    approval = await Approval.get(id=approval_id)
    await transition_approval(approval, ApprovalStatus.APPROVED, clock=clock, reason="test")
    strict = "v=DMARC1; p=reject; rua=mailto:dmarc@steady.test"
    knot.set_zone("steady.test", good_zone("steady.test", dmarc=[("_dmarc", "TXT", strict)]))
    await check_dns(manager, clock, "steady.test", config)  # adopts the published p=reject

    async with RegRuStandin() as api, aiohttp.ClientSession() as session:
        api.add_zone("steady.test", [("_dmarc", "TXT", strict, 0)])
        provider = RegRu(session, username="test", password=SecretStr("test"), base_url=api.base_url)
        with pytest.raises(Conflict) as superseded:
            await apply_dmarc_step(manager, clock, approval_id, config, provider)
        assert api.writes == []
    assert superseded.value.key == "error-dmarc-step-superseded"
    assert (await Approval.get(id=approval_id)).status == ApprovalStatus.APPLIED
    assert (await Domain.get(id=domain.id)).dmarc_policy == DmarcPolicy.REJECT


async def test_an_approved_step_reads_the_record_at_the_dns_host_before_it_writes(
    knot: DnsServer, config: DnsConfig, manager: Actor, clock: FrozenClock
) -> None:
    """The record was changed by hand after the step was proposed and no check has seen it yet: a stricter policy
    there is never overwritten by the step, and tags set by hand (another report address) survive it."""
    await stepped_domain(knot, config, manager, clock, "hand.test")  # none → quarantine, for both domains
    _, approval_id = await stepped_domain(knot, config, manager, clock, "tags.test")
    approvals_ = await Approval.filter(kind=ApprovalKind.DMARC_STEP).order_by("id")
    for approval in approvals_:
        await transition_approval(approval, ApprovalStatus.APPROVED, clock=clock, reason="test")
    strict = "v=DMARC1; p=reject; rua=mailto:dmarc@hand.test"
    own = "v=DMARC1; p=none; rua=mailto:reports@agency.example; ruf=mailto:reports@agency.example"

    async with RegRuStandin() as api, aiohttp.ClientSession() as session:
        api.add_zone("hand.test", [("_dmarc", "TXT", strict, 0)])
        api.add_zone("tags.test", [("_dmarc", "TXT", own, 0)])
        provider = RegRu(session, username="test", password=SecretStr("test"), base_url=api.base_url)
        with pytest.raises(Conflict) as superseded:
            await apply_dmarc_step(manager, clock, approvals_[0].id, config, provider)
        assert api.writes == []
        await apply_dmarc_step(manager, clock, approval_id, config, provider)
        written = [r["content"] for r in api.zones["tags.test"] if r["subname"] == "_dmarc"]
    assert superseded.value.key == "error-dmarc-step-superseded"
    assert superseded.value.params["current"] == "reject"
    assert (await Approval.get(id=approvals_[0].id)).status == ApprovalStatus.APPLIED
    assert written == ["v=DMARC1; p=quarantine; rua=mailto:reports@agency.example; ruf=mailto:reports@agency.example"]


async def test_a_step_published_by_hand_is_asked_from_the_record_dns_serves_now(
    knot: DnsServer, config: DnsConfig, manager: Actor, clock: FrozenClock
) -> None:
    """No DNS host API: the answer names the record to publish. Changed by hand since the request (before a
    check saw it), a stricter policy is never to be replaced by the step, and the person's own tags stay in it."""
    await stepped_domain(knot, config, manager, clock, "stricter.test")
    await stepped_domain(knot, config, manager, clock, "owntags.test")
    stricter, owntags = await Approval.filter(kind=ApprovalKind.DMARC_STEP).order_by("id")
    for approval in (stricter, owntags):
        await transition_approval(approval, ApprovalStatus.APPROVED, clock=clock, reason="test")
    own = "v=DMARC1; p=none; rua=mailto:reports@agency.example"
    knot.set_zone("stricter.test", good_zone("stricter.test", dmarc=[("_dmarc", "TXT", "v=DMARC1; p=reject")]))
    knot.set_zone("owntags.test", good_zone("owntags.test", dmarc=[("_dmarc", "TXT", own)]))

    with pytest.raises(Conflict) as superseded:
        await apply_dmarc_step(manager, clock, stricter.id, config)
    asked = await apply_dmarc_step(manager, clock, owntags.id, config)

    assert (superseded.value.key, superseded.value.params["current"]) == ("error-dmarc-step-superseded", "reject")
    assert (await Approval.get(id=stricter.id)).status == ApprovalStatus.APPLIED
    assert (asked.verified, asked.value) == (False, "v=DMARC1; p=quarantine; rua=mailto:reports@agency.example")


async def test_an_spf_include_or_redirect_to_a_domain_without_spf_is_a_permerror_not_a_pass(
    knot: DnsServer, config: DnsConfig, manager: Actor, clock: FrozenClock
) -> None:
    """RFC 7208 5.2 and 6.1: receivers answer permerror when an include or redirect target publishes no SPF
    (NXDOMAIN, no TXT, or several SPF records); only a target whose lookup fails is "could not read"."""
    cases = {
        "nospf.test": [("@", "TXT", f"{SPF[:-5]} include:plain.nospf.test ~all"), ("plain", "TXT", "hello")],
        "nxinc.test": [("@", "TXT", f"{SPF[:-5]} include:gone.nxinc.test ~all")],
        "tworedir.test": [
            ("@", "TXT", "v=spf1 include:_spf.yandex.net redirect=two.tworedir.test"),
            ("two", "TXT", "v=spf1 -all"),
            ("two", "TXT", "v=spf1 mx -all"),
        ],
        "unread.test": [("@", "TXT", f"{SPF[:-5]} include:_spf.unserved.example ~all")],  # REFUSED
    }
    found = {}
    for name, spf in cases.items():
        knot.set_zone(name, good_zone(name, spf=spf))
        await add_domain(manager, clock, name)
        report = await check_dns(manager, clock, name, config)
        found[name] = next(r for r in report.records if r.kind == K.SPF)

    for name, target in (("nospf.test", "plain.nospf.test"), ("nxinc.test", "gone.nxinc.test")):
        assert found[name].verdict == V.INVALID, name
        (problem,) = [p for p in found[name].problems if not p.warning]
        assert (problem.key, problem.params) == ("dns-problem-spf-include-none", {"domain": target})
        for locale in ("ru", "en"):
            assert target in Translator(locale)(problem.key, **problem.params)
    assert found["tworedir.test"].verdict == V.INVALID
    assert [p.key for p in found["tworedir.test"].problems] == ["dns-problem-spf-include-several"]
    unread = found["unread.test"]  # could not be read: still a pass, with the warning that says so
    assert unread.verdict == V.OK
    assert [(p.key, p.warning) for p in unread.problems] == [("dns-problem-spf-unresolved", True)]


async def test_a_record_name_that_is_an_alias_says_where_it_leads_when_nothing_is_there(
    knot: DnsServer, config: DnsConfig, manager: Actor, clock: FrozenClock
) -> None:
    """_dmarc as a CNAME to a host without TXT read 'No such record' while the panel shows a record there."""
    knot.set_zone(
        "aliased.test",
        good_zone(
            "aliased.test",
            dmarc=[("_dmarc", "CNAME", "policy.aliased.test."), ("policy", "A", "192.0.2.5")],
            dkim=[("mail._domainkey", "CNAME", "keys.aliased.test."), ("keys", "TXT", f"v=DKIM1; k=rsa; p={DKIM_KEY}")],
        ),
    )
    await add_domain(manager, clock, "aliased.test")
    report = await check_dns(manager, clock, "aliased.test", config)
    checks = {r.kind: r for r in report.records}
    assert checks[K.DKIM].verdict == V.OK  # an alias that leads to the key is fine
    dmarc = checks[K.DMARC]
    assert dmarc.verdict == V.MISSING
    assert [(p.key, dict(p.params)) for p in dmarc.problems] == [
        ("dns-problem-missing-alias", {"alias": "policy.aliased.test", "type": "TXT"})
    ]


async def test_dmarc_ignores_other_txt_at_dmarc_but_two_dmarc_records_are_duplicate(
    knot: DnsServer, config: DnsConfig, manager: Actor, clock: FrozenClock
) -> None:
    """RFC 7489 6.6.3: TXT records at _dmarc that do not start with v=DMARC1 are discarded."""
    dmarc = ("_dmarc", "TXT", "v=DMARC1; p=none; rua=mailto:dmarc@{}")
    cases = {
        "junk.test": [(dmarc[0], dmarc[1], dmarc[2].format("junk.test")), ("_dmarc", "TXT", "site-verification=1")],
        "twodmarc.test": [
            (dmarc[0], dmarc[1], dmarc[2].format("twodmarc.test")),
            ("_dmarc", "TXT", "v=DMARC1; p=reject"),
        ],
        "onlyjunk.test": [("_dmarc", "TXT", "site-verification=1")],
    }
    got = {}
    for name, records in cases.items():
        knot.set_zone(name, good_zone(name, dmarc=records))
        await add_domain(manager, clock, name)
        report = await check_dns(manager, clock, name, config)
        got[name] = next(r for r in report.records if r.kind == K.DMARC)
    assert (got["junk.test"].verdict, got["junk.test"].found) == (
        V.OK,
        ("v=DMARC1; p=none; rua=mailto:dmarc@junk.test",),
    )
    assert got["twodmarc.test"].verdict == V.DUPLICATE
    assert got["onlyjunk.test"].verdict == V.MISSING


async def test_a_tracking_cname_chain_is_followed_to_where_it_ends(
    knot: DnsServer, config: DnsConfig, manager: Actor, clock: FrozenClock
) -> None:
    """t → hop → the tracking host works (⚠️: one more hop to keep right); a chain that ends elsewhere names
    where it ends; a loop leads nowhere; a hop that does not answer is "could not check"."""
    knot.set_zone("other.example", [("www", "A", "192.0.2.7")])
    knot.set_zone(
        "hops.test",
        good_zone("hops.test", tracking=[("t", "CNAME", "hop.hops.test."), ("hop", "CNAME", f"{TRACKING}.")]),
    )
    knot.set_zone(
        "astray.test",
        good_zone("astray.test", tracking=[("t", "CNAME", "hop.astray.test."), ("hop", "CNAME", "other.example.")]),
    )
    knot.set_zone(
        "loop.test", good_zone("loop.test", tracking=[("t", "CNAME", "a.loop.test."), ("a", "CNAME", "t.loop.test.")])
    )
    got = {}
    knot.set_zone(
        "blindhop.test", good_zone("blindhop.test", tracking=[("t", "CNAME", "hop.unserved.example.")])
    )  # REFUSED
    for name in ("hops.test", "astray.test", "loop.test", "blindhop.test"):
        await add_domain(manager, clock, name)
        report = await check_dns(manager, clock, name, config)
        got[name] = next(r for r in report.records if r.kind == K.TRACKING)

    hops = got["hops.test"]
    assert hops.verdict == V.OK
    assert [(p.key, p.params, p.warning) for p in hops.problems] == [
        ("dns-problem-tracking-chain", {"chain": f"hop.hops.test → {TRACKING}"}, True)
    ]
    astray = got["astray.test"]
    assert astray.verdict == V.MISMATCH
    assert [(p.key, p.params) for p in astray.problems] == [
        ("dns-problem-tracking-chain-elsewhere", {"chain": "hop.astray.test → other.example", "expected": TRACKING})
    ]
    assert got["loop.test"].verdict == V.MISMATCH
    assert (got["blindhop.test"].verdict, got["blindhop.test"].conclusive) == (V.SERVFAIL, False)


async def test_a_tracking_host_with_an_address_instead_of_a_cname_names_it_and_the_plan_replaces_it(
    knot: DnsServer, config: DnsConfig, manager: Actor, clock: FrozenClock
) -> None:
    """A person pointed t at an address (A, AAAA) rather than the CNAME: the check says what is there instead of
    "no such record", and the plan's diff removes it, since a CNAME beside other records is refused."""
    tracking = [("t", "A", "192.0.2.5"), ("t", "AAAA", "2001:db8::5")]
    knot.set_zone("address.test", good_zone("address.test", tracking=tracking))
    knot.set_zone("bare.test", good_zone("bare.test", tracking=[("t", "TXT", "not an address")]))
    await add_domain(manager, clock, "address.test")
    await add_domain(manager, clock, "bare.test")

    report = await check_dns(manager, clock, "address.test", config)
    bare = await check_dns(manager, clock, "bare.test", config)

    check = next(r for r in report.records if r.kind == K.TRACKING)
    assert check.verdict == V.MISMATCH and not report.ok
    (problem,) = check.problems
    assert (problem.key, problem.params) == (
        "dns-problem-tracking-not-cname",
        {"found": "A 192.0.2.5, AAAA 2001:db8::5", "expected": TRACKING},
    )
    for locale in ("ru", "en"):
        assert "A 192.0.2.5" in Translator(locale)(problem.key, **problem.params)
    stored = await DnsCheck.get(domain__name="address.test", record=K.TRACKING)
    assert (stored.verdict, stored.found) == (V.MISMATCH, "A 192.0.2.5\nAAAA 2001:db8::5")
    view = await plan_dns(manager, clock, "address.test", config)
    assert view.changes is not None
    assert [(c.action, c.record.rtype) for c in view.changes] == [("remove", "A"), ("remove", "AAAA"), ("add", "CNAME")]
    assert verdicts(bare.records)[K.TRACKING] == V.MISSING  # nothing that could stand for it: missing, as before


async def test_dmarc_reports_to_another_domain_need_that_domains_authorization(
    knot: DnsServer, config: DnsConfig, manager: Actor, clock: FrozenClock
) -> None:
    """RFC 7489 7.1: reports go to another domain only if it publishes <domain>._report._dmarc.<its name>."""
    knot.set_zone("reports.test", [("granted.test._report._dmarc", "TXT", "v=DMARC1")])
    rua = "v=DMARC1; p=none; rua=mailto:dmarc@reports.test"
    got = {}
    for name in ("granted.test", "ungranted.test", "ownrua.test"):
        own = f"v=DMARC1; p=none; rua=mailto:d@mail.{name}"
        knot.set_zone(name, good_zone(name, dmarc=[("_dmarc", "TXT", own if name == "ownrua.test" else rua)]))
        await add_domain(manager, clock, name)
        report = await check_dns(manager, clock, name, config)
        got[name] = next(r for r in report.records if r.kind == K.DMARC)
    knot.set_zone(
        "blindrua.test",
        good_zone("blindrua.test", dmarc=[("_dmarc", "TXT", rua.replace("reports.test", "unserved.example"))]),
    )
    await add_domain(manager, clock, "blindrua.test")
    blind = next(r for r in (await check_dns(manager, clock, "blindrua.test", config)).records if r.kind == K.DMARC)

    assert (got["granted.test"].verdict, got["granted.test"].problems) == (V.OK, ())
    assert (got["ownrua.test"].verdict, got["ownrua.test"].problems) == (V.OK, ())
    ungranted = got["ungranted.test"]
    assert ungranted.verdict == V.OK  # mail is not at stake, the reports are: a warning
    assert [(p.key, p.params, p.warning) for p in ungranted.problems] == [
        (
            "dns-problem-dmarc-rua-unauthorized",
            {"domain": "reports.test", "record": "ungranted.test._report._dmarc.reports.test"},
            True,
        )
    ]
    assert [(p.key, p.warning) for p in blind.problems] == [("dns-problem-dmarc-rua-unchecked", True)]
    for locale in ("ru", "en"):
        problem = ungranted.problems[0]
        assert "ungranted.test._report._dmarc.reports.test" in Translator(locale)(problem.key, **problem.params)


async def test_a_record_holding_a_nul_byte_is_checked_and_stored_as_zone_files_write_it(
    knot: DnsServer, config: DnsConfig, manager: Actor, clock: FrozenClock
) -> None:
    """A TXT record with a NUL byte in it (a zone edited by a script gone wrong): the check's write failed
    (PostgreSQL refuses NUL in text) and the domain could not be checked at all. The byte is shown as zone files
    write it, and the record is judged by what it is: not a valid SPF."""
    knot.set_zone("nul.test", good_zone("nul.test", spf=[("@", "TXT", "v=spf1 include:_spf.yandex.net \x00-all")]))
    await add_domain(manager, clock, "nul.test")
    report = await check_dns(manager, clock, "nul.test", config)
    spf = next(r for r in report.records if r.kind == K.SPF)
    assert spf.verdict == V.INVALID and spf.found == ("v=spf1 include:_spf.yandex.net \\000-all",)
    stored = await DnsCheck.get(domain__name="nul.test", record=K.SPF)
    assert stored.found == "v=spf1 include:_spf.yandex.net \\000-all"
    assert verdicts(report.records)[K.DMARC] == V.OK

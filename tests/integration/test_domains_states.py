"""Honest domain states, providers read from MX, settings and removal, and checks of hundreds of domains at once,
against real Knot, PostgreSQL and the chat command layer."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import AsyncIterator, Iterator

import pytest

from bot.runner import Runner
from engine.access import Actor
from engine.clock import FrozenClock
from engine.dns.check import ResolverConfig
from engine.dns.dnsbl import DnsblZone, Family, TargetKind
from engine.domains import (
    DnsConfig,
    Health,
    RemovalChanged,
    add_domains,
    check_blacklists,
    check_dns,
    inventory,
    list_domains,
    plan_dns,
    plan_removal,
    remove_domain,
    set_domain,
    show_domain,
)
from engine.errors import Conflict, NotFound, UserError
from engine.i18n import translator
from engine.reply import Attachment, Reply
from models import Alert, AuditLog, BlacklistCheck, DnsCheck, Domain, Mailbox, Workspace
from models.enums import (
    AuthKind,
    DmarcPolicy,
    DnsRecordKind,
    DnsVerdict,
    DomainStatus,
    MailProvider,
    Platform,
    PoolRole,
    Role,
    TlsMode,
)
from tests.harness.dnsserver import DnsServer, SilentUdpServer

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
TG = Platform.TELEGRAM
EN = translator("en")
LISTS = (
    DnsblZone("dbl.test", TargetKind.DOMAIN, Family.SPAMHAUS_DBL),
    DnsblZone("uribl.test", TargetKind.DOMAIN, Family.URIBL),
)
DEAD_LISTS = (  # Knot serves neither zone: it refuses, and the checker is blind
    DnsblZone("dead-one.test", TargetKind.DOMAIN, Family.SPAMHAUS_DBL),
    DnsblZone("dead-two.test", TargetKind.DOMAIN, Family.URIBL),
)


@pytest.fixture(scope="module")
def knot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DnsServer]:
    with DnsServer(tmp_path_factory.mktemp("knot")) as server:
        server.set_dnsbl("dbl.test", {"listed.test": "127.0.1.2"})
        server.set_dnsbl("uribl.test", {"other.test": "127.0.0.2"})
        server.set_zone("yandex-mx.test", [("@", "MX", "10 mx.yandex.net.")])
        server.set_zone("vk-mx.test", [("@", "MX", "10 emx.mail.ru.")])
        server.set_zone("own-mx.test", [("@", "MX", "10 mx.own-mx.test.")])
        server.set_zone("no-mx.test", [("www", "A", "192.0.2.1")])
        yield server


def config_for(port: int, zones: tuple[DnsblZone, ...] = LISTS, *, timeout: float = 2.0) -> DnsConfig:
    return DnsConfig(ResolverConfig(("127.0.0.1",), port, timeout), tracking_target="track.mailfleet.test",
                     dnsbl_zones=zones)  # fmt: skip


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
async def manager(orm: None) -> Actor:
    workspace = await Workspace.create(slug="acme", name="Acme")
    return Actor(person_id=None, platform=Platform.CONSOLE, role=Role.MANAGER, workspace_id=workspace.id)


async def test_blacklist_state_is_listed_clean_partial_or_unknown_with_since_and_why(
    knot: DnsServer, manager: Actor, clock: FrozenClock
) -> None:
    await add_domains(manager, clock, "listed.test\nquiet.test")
    blind, good = config_for(knot.port, DEAD_LISTS), config_for(knot.port)
    never = (await show_domain(manager, clock, "quiet.test")).summary.blacklists
    assert (never.health, never.never_checked) == (Health.UNKNOWN, True)

    await check_blacklists(manager, clock, "quiet.test", blind)
    clock.advance(HOUR)
    report = await check_blacklists(manager, clock, "quiet.test", blind)
    assert report.state.health == Health.UNKNOWN  # no list answered: not "clean"
    assert (report.state.since, report.state.checked_at) == (START, START + HOUR)
    assert report.state.reasons == ("dnsbl-error-refused",) and report.state.zones == (  # unserved: REFUSED
        "dead-one.test",
        "dead-two.test",
    )

    (alert, _) = await Alert.filter(kind="dnsbl_blind").order_by("subject")
    assert (alert.workspace_id, alert.count, alert.data["reason"], alert.data["since"]) == (
        manager.workspace_id,
        2,
        "refused",
        "2026-03-02 12:00 MSK",  # on the workspace's clock (Moscow), as its chats read every moment
    )
    text = EN("alert-dnsbl-blind", **alert.data)
    assert "since 2026-03-02 12:00 MSK" in text and "refuses to answer" in text and "not “clean”" in text

    clock.advance(HOUR)
    partial = await check_blacklists(manager, clock, "quiet.test", config_for(knot.port, (LISTS[0], DEAD_LISTS[0])))
    assert (partial.state.health, partial.state.zones) == (Health.PARTIAL, ("dead-one.test",))
    clock.advance(HOUR)
    clean = await check_blacklists(manager, clock, "quiet.test", good)
    assert (clean.state.health, clean.state.checked_at) == (Health.OK, START + 3 * HOUR)

    # listed at 4h, unanswered at 5h, listed again at 6h: listed since 4h (a failed check does not end a listing)
    with SilentUdpServer() as silent:
        for config in (good, config_for(silent.port, timeout=0.2), good):
            clock.advance(HOUR)
            await check_blacklists(manager, clock, "listed.test", config)
    (listed,) = [s for s in await list_domains(manager, clock) if s.name == "listed.test"]
    assert (listed.blacklists.health, listed.blacklists.zones, listed.blacklists.since) == (
        Health.BAD,
        ("dbl.test",),
        START + 4 * HOUR,
    )
    assert await BlacklistCheck.filter(target="listed.test").count() == 6


async def test_dns_that_does_not_answer_is_unknown_never_ok_or_missing(
    knot: DnsServer, manager: Actor, clock: FrozenClock
) -> None:
    await add_domains(manager, clock, "blind.test;;;yandex360")
    with SilentUdpServer() as silent:
        await check_dns(manager, clock, "blind.test", config_for(silent.port, timeout=0.2))
        clock.advance(HOUR)
        report = await check_dns(manager, clock, "blind.test", config_for(silent.port, timeout=0.2))
    assert {r.verdict for r in report.records} == {DnsVerdict.TIMEOUT}
    (summary,) = await list_domains(manager, clock)
    assert (summary.dns.health, summary.dns.since, summary.dns.reasons) == (
        Health.UNKNOWN,
        START,
        (DnsVerdict.TIMEOUT,),
    )
    assert await Alert.all().count() == 0  # no drift, no "missing"


async def test_a_published_stricter_dmarc_policy_is_adopted_never_lowered(
    knot: DnsServer, manager: Actor, clock: FrozenClock
) -> None:
    knot.set_zone("strict.test", [("_dmarc", "TXT", "v=DMARC1; p=reject; pct=100; rua=mailto:d@strict.test")])
    await add_domains(manager, clock, "strict.test;;;yandex360")
    config = config_for(knot.port)

    clock.advance(HOUR)
    view = await plan_dns(manager, clock, "strict.test", config)

    assert "p=reject; pct=100" in view.zone_text and "p=none" not in view.zone_text
    assert [n.key for n in view.plan.notes if n.key.startswith("dns-note-dmarc")] == ["dns-note-dmarc-adopted"]
    stored = await Domain.get(name="strict.test")
    assert (stored.dmarc_policy, stored.dmarc_since) == (DmarcPolicy.REJECT, START + HOUR)
    report = await check_dns(manager, clock, "strict.test", config)
    assert {r.kind: r.verdict for r in report.records}[DnsRecordKind.DMARC] == DnsVerdict.OK
    assert await AuditLog.filter(action="domain.dmarc_adopted").count() == 1


async def test_mx_detection_stops_at_its_budget_and_says_not_known(
    knot: DnsServer, manager: Actor, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inventory, "DETECT_BUDGET_S", 0.0)  # no time at all: nothing is looked up
    report = await add_domains(manager, clock, "yandex-mx.test\nvk-mx.test", config=config_for(knot.port))
    assert report.added == ("yandex-mx.test", "vk-mx.test") and report.detected == {}
    assert report.unknown_provider == ("yandex-mx.test", "vk-mx.test")


async def test_the_mail_provider_comes_from_mx_or_stays_unknown(
    knot: DnsServer, manager: Actor, clock: FrozenClock
) -> None:
    names = "yandex-mx.test vk-mx.test own-mx.test no-mx.test".replace(" ", "\n")
    report = await add_domains(manager, clock, names + "\nset.test;;;generic", config=config_for(knot.port))
    with SilentUdpServer() as silent:  # DNS that does not answer: not known, and not an error
        slow = await add_domains(manager, clock, "yandex-mx-2.test", config=config_for(silent.port, timeout=0.2))

    stored = dict(await Domain.all().values_list("name", "mail_provider"))
    assert stored == {
        "yandex-mx.test": MailProvider.YANDEX360,
        "vk-mx.test": MailProvider.MAILRU,
        "own-mx.test": None,
        "no-mx.test": None,
        "set.test": MailProvider.GENERIC,
        "yandex-mx-2.test": None,
    }
    assert report.detected == {"yandex-mx.test": MailProvider.YANDEX360, "vk-mx.test": MailProvider.MAILRU}
    assert report.unknown_provider == ("own-mx.test", "no-mx.test") and report.errors == ()
    assert slow.added == ("yandex-mx-2.test",) and slow.unknown_provider == ("yandex-mx-2.test",)
    assert (await Domain.get(name="vk-mx.test")).dkim_selector == "mailru"
    assert (await Domain.get(name="no-mx.test")).dkim_selector == ""
    view = await plan_dns(manager, clock, "no-mx.test", config_for(knot.port))  # no provider: a plan all the same
    assert {e.kind for e in view.plan.expectations} == {DnsRecordKind.DMARC, DnsRecordKind.TRACKING}
    assert [n.key for n in view.plan.notes] == ["dns-note-provider-unknown"]


async def test_binary_files_and_control_characters_are_refused_whole(manager: Actor, clock: FrozenClock) -> None:
    with pytest.raises(UserError) as binary:
        await add_domains(manager, clock, b"good.ru\nPK\x03\x04\x00\x00bad\n")
    with pytest.raises(UserError) as typed:
        await add_domains(manager, clock, "good.ru\nbad\x00.ru\n")
    with pytest.raises(UserError) as big:
        await add_domains(manager, clock, b"a.ru\n" * 600_000)
    assert (binary.value.key, binary.value.params) == ("error-upload-binary", {"lines": "2", "count": 1})
    assert (typed.value.key, typed.value.params) == ("error-domain-names-control", {"lines": "2"})
    assert big.value.key == "error-upload-too-large"
    assert await Domain.all().count() == 0


async def _mailbox(domain: Domain) -> None:
    await Mailbox.create(
        workspace_id=domain.workspace_id, domain=domain, address=f"anna@{domain.name}",
        provider=MailProvider.YANDEX360, smtp_host="smtp.yandex.ru", smtp_port=465, smtp_tls=TlsMode.IMPLICIT,
        imap_host="imap.yandex.ru", imap_port=993, imap_tls=TlsMode.IMPLICIT, username=f"anna@{domain.name}",
        auth_kind=AuthKind.PASSWORD, secret_enc=b"x",
    )  # fmt: skip


async def test_domain_settings_are_validated(manager: Actor, clock: FrozenClock) -> None:
    await add_domains(manager, clock, "пример.рф")
    name = "пример.рф"

    changed = await set_domain(manager, clock, name, "provider", "Mail.ru")
    await set_domain(manager, clock, name, "registrar", "REG.RU")
    await set_domain(manager, clock, name, "pool", "резерв")
    await set_domain(manager, clock, name, "tracking", "go")

    domain = await Domain.get(name="xn--e1afmkfd.xn--p1ai")
    assert (changed.before, changed.after) == ("—", "mailru")
    assert (domain.mail_provider, domain.dkim_selector, domain.registrar, domain.pool_role, domain.tracking_host) == (
        MailProvider.MAILRU,
        "mailru",
        "regru",
        PoolRole.RESERVE,
        "go.xn--e1afmkfd.xn--p1ai",
    )
    refused = {
        ("provider", "gmail"): "error-domain-set-provider",
        ("registrar", "godaddy-ish"): "error-domain-set-registrar",
        ("pool", "main"): "error-domain-set-pool",
        ("tracking", "пример.рф"): "error-domain-set-tracking",  # the apex cannot be a CNAME
        ("tracking", "t.other.ru"): "error-domain-set-tracking",
        ("colour", "blue"): "error-domain-set-field",
    }
    for (field, value), key in refused.items():
        with pytest.raises(UserError) as caught:
            await set_domain(manager, clock, name, field, value)
        assert caught.value.key == key, (field, value)
    assert await AuditLog.filter(action="domain.set").count() == 4
    same = await set_domain(manager, clock, name, "pool", "reserve")  # already so: nothing written
    assert (same.before, same.after) == ("reserve", "reserve")
    assert await AuditLog.filter(action="domain.set").count() == 4
    other = await Workspace.create(slug="other", name="Other")
    stranger = Actor(person_id=None, platform=Platform.CONSOLE, role=Role.MANAGER, workspace_id=other.id)
    with pytest.raises(NotFound):
        await set_domain(stranger, clock, name, "pool", "active")


async def test_removal_deletes_a_bare_domain_and_retires_one_with_history(
    knot: DnsServer, manager: Actor, clock: FrozenClock
) -> None:
    await add_domains(manager, clock, "bare.test\nused.test")
    await check_dns(manager, clock, "bare.test", config_for(knot.port))
    used = await Domain.get(name="used.test")
    await _mailbox(used)

    bare_plan, used_plan = await plan_removal(manager, "bare.test"), await plan_removal(manager, "used.test")
    assert (bare_plan.outcome, used_plan.outcome, used_plan.mailboxes) == ("delete", "retire", 1)
    other = await Workspace.create(slug="other", name="Other")
    stranger = Actor(person_id=None, platform=Platform.CONSOLE, role=Role.MANAGER, workspace_id=other.id)
    with pytest.raises(NotFound):
        await remove_domain(stranger, clock, bare_plan.domain_id, bare_plan.seal)

    assert (await remove_domain(manager, clock, bare_plan.domain_id, bare_plan.seal)).outcome == "deleted"
    assert (await remove_domain(manager, clock, used_plan.domain_id, used_plan.seal)).outcome == "retired"
    with pytest.raises(NotFound) as gone:
        await remove_domain(manager, clock, bare_plan.domain_id, bare_plan.seal)  # the button pressed twice
    with pytest.raises(Conflict) as retired:
        await remove_domain(manager, clock, used_plan.domain_id, used_plan.seal)

    assert (gone.value.key, retired.value.key) == ("error-domain-gone", "error-domain-retired")
    assert not await Domain.exists(name="bare.test") and await DnsCheck.all().count() == 0
    assert (await Domain.get(name="used.test")).status == DomainStatus.RETIRED
    assert await Mailbox.filter(domain_id=used.id).count() == 1
    assert await AuditLog.filter(action__in=["domain.delete", "domain.transition"]).count() == 2


async def test_a_removal_acts_only_on_what_its_confirmation_said(manager: Actor, clock: FrozenClock) -> None:
    """The confirmation of removing an empty domain said it would be deleted; pressed after the domain got a
    mailbox, it retired the domain and the mailbox. A removal acts only while the domain seals what was confirmed
    (a button made before seals carries none): else nothing happens, and what removing it does now is told."""
    await add_domains(manager, clock, "spare.test")
    plan = await plan_removal(manager, "spare.test")
    domain = await Domain.get(name="spare.test")
    await _mailbox(domain)
    for confirmed in (plan.seal, ""):
        with pytest.raises(RemovalChanged) as changed:
            await remove_domain(manager, clock, plan.domain_id, confirmed)
        assert (changed.value.plan.outcome, changed.value.plan.mailboxes) == ("retire", 1)
        assert (await Domain.get(id=domain.id)).status is DomainStatus.NEW
    now = changed.value.plan
    assert now.seal != plan.seal and now == await plan_removal(manager, "spare.test")
    assert (await remove_domain(manager, clock, now.domain_id, now.seal)).outcome == "retired"


# ------------------------------------------------------------------ hundreds of domains in chat


@pytest.fixture
async def runner(knot: DnsServer, orm: None) -> AsyncIterator[Runner]:
    r = Runner(FrozenClock(START), admins={TG: {"1"}}, services={"dns": config_for(knot.port)})
    await say(r, "/lang en")
    await say(r, "/workspace_new acme ACME")
    yield r


async def say(runner: Runner, line: str, file: Attachment | None = None) -> Reply:
    return await runner.run_line(runner.identity(TG, "1", "Admin", "en"), "chat", line, file)


async def test_checking_and_exporting_three_hundred_domains_gives_one_summary_and_one_file(
    runner: Runner, knot: DnsServer
) -> None:
    knot.set_zone("d000.test", [("@", "MX", "10 mx.yandex.net."), ("@", "TXT", "v=spf1 -all")])
    names = [f"d{n:03}.test" for n in range(300)]
    added = await say(runner, "/domain_add", Attachment("domains.csv", "\n".join(names).encode()))
    assert "Added: 300" in added.plain_text()

    checked = await say(runner, "/dns_check")
    [report] = checked.files
    rows = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert len(rows) == 301 and rows[0][:2] == [EN("dns-csv-domain"), EN("dns-csv-state")]
    assert rows[1][:2] == ["d000.test", EN("dns-state-bad")]
    summary = checked.plain_text()
    assert EN("dns-check-summary", total=300, ok=0, bad=1, partial=0, unknown=299) in summary
    assert len(checked.blocks) == 2 and len(summary) < 3000  # one message, whatever the count
    assert summary.count("\n") <= 12  # the worst few, not every domain

    listed = await say(runner, "/blacklist_check")
    assert listed.plain_text() == EN("blacklist-check-summary", total=300, bad=0, ok=300, partial=0, unknown=0)

    exported = await say(runner, "/zone_export")
    [archive] = exported.files
    with zipfile.ZipFile(io.BytesIO(archive.content)) as zipped:
        assert sorted(zipped.namelist()) == [f"{n}.zone" for n in names]
        assert "mx.yandex.net." in zipped.read("d000.test.zone").decode()
    assert EN("zone-export-done", count=300) in exported.plain_text()
    one = await say(runner, "/zone_export d001.test")
    assert [f.filename for f in one.files] == ["d001.test.zone"]

"""Domain commands as a manager uses them in chat, against real Knot, PostgreSQL and the REG.RU stand-in."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import socket
import zipfile
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest
from pydantic import SecretStr

from bot.runner import Runner
from engine import approvals
from engine.clock import FrozenClock
from engine.dns.check import ResolverConfig
from engine.dns.dnsbl import DnsblZone, Family, TargetKind
from engine.dns.hosting import DnsHosts
from engine.domains import DnsConfig
from engine.i18n import translator
from engine.lifecycle import transition_domain
from engine.reply import Attachment, Reply
from engine.settings import Settings
from models import Alert, Approval, DailyStat, Domain
from models.enums import ApprovalKind, ApprovalStatus, DmarcPolicy, DomainStatus, Platform, StatScope
from tests.harness.dnsserver import DnsServer, RecordLike, SilentUdpServer
from tests.harness.registrar_standins import RegRuStandin
from tests.integration.test_domains_dns import DKIM_KEY, good_zone

NOW = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)
TG = Platform.TELEGRAM
EN = translator("en")
pytestmark = pytest.mark.usefixtures("orm")


@pytest.fixture(scope="module")
def knot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DnsServer]:
    with DnsServer(tmp_path_factory.mktemp("knot")) as server:
        server.set_dnsbl("dbl.test", {"listed.test": "127.0.1.2"})
        yield server


@pytest.fixture
def listed_zone(knot: DnsServer) -> Iterator[None]:
    """The test serves `listed.test` (the REG.RU stand-in's zone) from Knot: no other test sees it afterwards."""
    yield
    with contextlib.suppress(KeyError):
        knot.remove_zone("listed.test")


@pytest.fixture
async def regru() -> AsyncIterator[RegRuStandin]:
    async with RegRuStandin(username="agency", password="regru-secret") as standin:
        standin.add_zone("listed.test", [("@", "TXT", "v=spf1 ip4:192.0.2.1 -all", 0)])
        yield standin


@pytest.fixture
async def runner(knot: DnsServer, regru: RegRuStandin) -> AsyncIterator[Runner]:
    config = DnsConfig(
        ResolverConfig(("127.0.0.1",), knot.port, 2.0),
        tracking_target="track.mailfleet.test",
        dnsbl_zones=(DnsblZone("dbl.test", TargetKind.DOMAIN, Family.SPAMHAUS_DBL),),
    )
    settings = Settings(
        regru_username="agency", regru_password=SecretStr("regru-secret"), regru_api_base=regru.base_url
    )
    async with aiohttp.ClientSession() as session:
        r = Runner(
            FrozenClock(NOW), admins={TG: {"1"}}, services={"dns": config, "dns_hosts": DnsHosts(settings, session)}
        )
        await say(r, "/lang en")
        await say(r, "/workspace_new acme ACME")
        yield r


async def say(runner: Runner, line: str, file: Attachment | None = None) -> Reply:
    return await runner.run_line(runner.identity(TG, "1", "Admin", "en"), "chat", line, file)


async def test_add_list_and_show_domains_including_idn_and_a_cp1251_csv(runner: Runner) -> None:
    added = await say(runner, "/domain_add acme-mail.ru пример.рф")
    assert added.ok and "Added: 2" in added.plain_text() and "пример.рф" in added.plain_text()
    assert await Domain.filter(name="xn--e1afmkfd.xn--p1ai").exists()
    csv = "домен;регистратор;оплачен до;почта;пул\nreserve-one.ru;regru;01.02.2027;яндекс;резерв\nbad domain;;;;\n"
    report = await say(runner, "/domain_add", Attachment("d.csv", csv.encode("cp1251")))
    text = report.plain_text()
    assert not report.ok and "Added: 1" in text and "Row 3" in text
    listing = (await say(runner, "/domains")).plain_text()
    assert "пример.рф" in listing and "reserve" in listing and "Domains (3)" in listing
    assert "reserve-one.ru — new · pool: reserve · mail: Yandex 360" in listing  # the status, the provider in words
    await say(runner, "/lang ru")
    russian = (await say(runner, "/domains")).plain_text()
    assert "reserve-one.ru — новый · пул: резерв · почта: Яндекс 360" in russian, russian
    await say(runner, "/lang en")
    card = (await say(runner, "/domain пример.рф")).plain_text()
    assert "DNS has not been checked yet" in card
    assert "xn--" not in card and "tracking: t.пример.рф" in card  # people read the Unicode name everywhere


async def test_a_typed_list_takes_semicolons_and_commas_and_a_csv_refuses_an_unknown_registrar(runner: Runner) -> None:
    added = await say(runner, "/domain_add a.ru;b.ru c.ru ,d.ru")
    assert added.ok and "Added: 4" in added.plain_text(), added.plain_text()
    assert await Domain.filter(name="a.ru", registrar="").exists()
    report = await say(runner, "/domain_add", Attachment("d.csv", b"e.ru;f.ru\ng.ru;nic.ru\n"))
    text = report.plain_text()
    assert not report.ok and "Added: 1" in text
    assert "Row 1 (e.ru): unknown registrar “f.ru”; known ones: beget, nicru, other, r01, regru" in text, text
    assert not await Domain.filter(name__in=["e.ru", "f.ru"]).exists()
    assert await Domain.filter(name="g.ru", registrar="nicru").exists()


async def test_an_empty_file_is_said_to_be_empty(runner: Runner) -> None:
    """An empty CSV got the usage ("give the domains … or send a CSV file"), as if no file had been sent."""
    for content in (b"", b"\xef\xbb\xbf\n\n"):
        said = await say(runner, "/domain_add", Attachment("d.csv", content))
        assert not said.ok and said.plain_text() == "The file has no rows with a domain.", said.plain_text()


async def test_a_pasted_site_address_is_its_domain_and_an_idn_typed_twice_is_one(runner: Runner) -> None:
    """A site's address pasted whole ('https://www.Acme-Mail.RU/contacts') was 'not a domain name', and 'www.x.ru'
    was added as a domain of its own beside x.ru; the Cyrillic and punycode forms of one name are one row."""
    typed = "https://www.Acme-Mail.RU/contacts?x=1 www.acme3.ru кириллический.рф xn--e1afaabgbega6cr0f.xn--p1ai"
    added = await say(runner, f"/domain_add {typed}")
    text = added.plain_text()
    assert "Added: 3, already there: 0, with errors: 1" in text, text
    stored = await Domain.all().order_by("name").values_list("name", flat=True)
    assert stored == ["acme-mail.ru", "acme3.ru", "xn--e1afaabgbega6cr0f.xn--p1ai"]
    repeated = EN("domain-import-duplicate", line=3)
    assert f"Row 4 (xn--e1afaabgbega6cr0f.xn--p1ai): {repeated}" in text, text
    again = await say(runner, "/domain_add КИРИЛЛИЧЕСКИЙ.РФ. http://acme3.ru")
    assert "Added: 0, already there: 2, with errors: 0" in again.plain_text()


async def test_the_site_address_a_domain_was_added_by_finds_it_in_every_command(runner: Runner) -> None:
    """/domain_add took 'https://www.Acme-Mail.RU/contacts' for acme-mail.ru; the same text (or www.acme-mail.ru)
    pasted into /domain, /dns_check or /domain_set was 'not a domain name' or 'not in this workspace'."""
    await say(runner, "/domain_add https://www.Acme-Mail.RU/contacts")
    for line in (
        "/domain https://www.Acme-Mail.RU/contacts",
        "/domain www.acme-mail.ru",
        "/dns_check https://acme-mail.ru/",
        "/domain_set http://www.acme-mail.ru pool reserve",
    ):
        reply = await say(runner, line)
        assert reply.plain_text().startswith("acme-mail.ru"), (line, reply.plain_text())
    assert (await Domain.get(name="acme-mail.ru")).pool_role.value == "reserve"
    for line in ("/domain mail.acme-mail.ru", "/domain https://other.ru/"):
        assert "not in this workspace" in (await say(runner, line)).plain_text(), line
    assert "does not look like a domain name" in (await say(runner, "/domain https://")).plain_text()


async def test_a_name_too_long_is_named_so_and_quoted_short(runner: Runner) -> None:
    long_name = "a" * 300 + ".ru"
    for lang, reason in (("en", "too long for a domain name"), ("ru", "слишком длинно для доменного имени")):
        await say(runner, f"/lang {lang}")
        reply = await say(runner, f"/domain_add {long_name}")
        [row] = [line for line in reply.plain_text().splitlines() if long_name[:20] in line]
        assert reason in row and "253" in row and len(row) < 150, row
    await say(runner, "/lang en")


async def test_check_shows_verdicts_with_reasons(runner: Runner, knot: DnsServer) -> None:
    knot.set_zone("acme-mail.ru", [("@", "TXT", "v=spf1 include:_spf.yandex.net ~al")])
    added = await say(runner, "/domain_add acme-mail.ru")  # no MX yet: the provider is not known
    assert EN("domain-add-provider-unknown", domains="acme-mail.ru") in added.plain_text()
    assert (await say(runner, "/domain_set acme-mail.ru provider yandex360")).ok
    reply = await say(runner, "/dns_check acme-mail.ru")
    text = reply.plain_text()
    assert not reply.ok
    assert f"SPF: {EN('dns-verdict-invalid')}" in text and "~al" in text
    assert f"MX: {EN('dns-verdict-missing')}" in text


async def test_a_new_subdomain_without_records_is_said_to_have_none_yet_not_to_be_expired(
    runner: Runner, knot: DnsServer
) -> None:
    """`/dns_check news.acme.ru` on a subdomain with no records said "Not delegated, or its registration expired"."""
    knot.set_zone("acme-mail.ru", good_zone("acme-mail.ru"))
    await say(runner, "/domain_add news.acme-mail.ru")
    await say(runner, "/domain_set news.acme-mail.ru provider yandex360")
    text = (await say(runner, "/dns_check news.acme-mail.ru")).plain_text()
    assert EN("dns-problem-nxdomain-below", name="news.acme-mail.ru", domain="acme-mail.ru") in text, text
    assert EN("dns-problem-nxdomain") not in text


async def test_a_passing_record_that_could_not_be_read_whole_is_not_marked_clean(
    runner: Runner, knot: DnsServer
) -> None:
    """The provider's SPF include is not served here: the record passes, its lookups were counted without it."""
    knot.set_zone("partial.ru", [("@", "TXT", "v=spf1 include:_spf.yandex.net ~all")])
    await say(runner, "/domain_add partial.ru")
    assert (await say(runner, "/domain_set partial.ru provider yandex360")).ok
    unread = EN("dns-problem-spf-unresolved", domain="_spf.yandex.net")
    for command in ("/dns_check partial.ru", "/domain partial.ru"):
        [spf] = [line for line in (await say(runner, command)).plain_text().splitlines() if " SPF: " in line]
        assert spf == f"⚠️ SPF: {EN('dns-verdict-ok')} — {unread}", command


async def test_a_dkim_key_pasted_as_opendkim_genkey_writes_it_is_taken_and_checks_ok(
    runner: Runner, knot: DnsServer
) -> None:
    """mail.txt of opendkim-genkey (a long key in quoted pieces inside ( … ), the owner before, a comment after)
    was 'not a DKIM key'."""
    knot.set_zone("genkey.ru", good_zone("genkey.ru"))
    await say(runner, "/domain_add genkey.ru")
    assert (await say(runner, "/domain_set genkey.ru provider yandex360")).ok
    head, tail = DKIM_KEY[:200], DKIM_KEY[200:]
    pasted = f'mail._domainkey IN TXT ( "v=DKIM1; h=sha256; k=rsa; "\n  "p={head}"\n  "{tail}" )  ; ----- DKIM key'
    saved = await say(runner, f"/dkim_set genkey.ru mail {pasted}")
    assert saved.ok and "2048" in saved.plain_text(), saved.plain_text()
    check = (await say(runner, "/dns_check genkey.ru")).plain_text()
    assert f"✅ DKIM: {EN('dns-verdict-ok')}" in check, check


@pytest.mark.parametrize("selector", ["mail._domainkey", "Mail._domainkey.genkey.ru.", "MAIL"])
async def test_a_dkim_selector_pasted_as_the_record_name_is_its_selector_and_checks_ok(
    runner: Runner, knot: DnsServer, selector: str
) -> None:
    """`/dkim_set genkey.ru mail._domainkey <key>` (the name Yandex's panel shows) stored the selector
    `mail._domainkey`: the plan wrote the key at mail._domainkey._domainkey, where nobody looks, and the answer
    repeated the selector as typed."""
    knot.set_zone("genkey.ru", good_zone("genkey.ru"))
    await say(runner, "/domain_add genkey.ru")
    assert (await say(runner, "/domain_set genkey.ru provider yandex360")).ok
    saved = await say(runner, f"/dkim_set genkey.ru {selector} {DKIM_KEY}")
    assert saved.plain_text() == EN("dkim-set-done", domain="genkey.ru", selector="mail", bits=2048)
    plan = (await say(runner, "/dns_plan genkey.ru")).plain_text()
    assert "mail._domainkey 3600 IN TXT" in plan and "_domainkey._domainkey" not in plan
    check = (await say(runner, "/dns_check genkey.ru")).plain_text()
    assert f"✅ DKIM: {EN('dns-verdict-ok')}" in check, check


@pytest.mark.parametrize("words", ["v=DKIM1; k=rsa; p={key}", "mail;x {key}", "почта {key}"])
async def test_a_dkim_selector_that_cannot_be_one_is_refused_naming_it(runner: Runner, words: str) -> None:
    """The key pasted without a selector (`/dkim_set acme.ru v=DKIM1; k=rsa; p=…`) stored `v=dkim1;` as the
    selector and the rest as the key, and said "saved"; a zone file then carried `v=dkim1;._domainkey`."""
    await say(runner, "/domain_add genkey.ru")
    refused = await say(runner, f"/dkim_set genkey.ru {words.format(key=DKIM_KEY)}")
    typed = words.split(maxsplit=1)[0]
    assert not refused.ok and refused.plain_text() == EN("error-dkim-selector-invalid", selector=typed)
    assert (await Domain.get(name="genkey.ru")).dkim_public_key == ""


async def test_blacklist_listing_is_reported(runner: Runner) -> None:
    await say(runner, "/domain_add listed.test")
    reply = await say(runner, "/blacklist_check listed.test")
    assert not reply.ok and "dbl.test" in reply.plain_text() and EN("dnsbl-result-listed") in reply.plain_text()
    card = (await say(runner, "/domain listed.test")).plain_text()
    assert "Listed on: dbl.test" in card


async def test_the_domain_card_shows_its_checks_on_the_workspace_clock(runner: Runner) -> None:
    """A Vladivostok manager's card read 'Listed on: dbl.test — since 2026-11-28 09:00 UTC' for a listing found at
    19:00 there: the card's moments are on the workspace's clock, that zone named; the expiry stays a date."""
    await say(runner, "/workspace_settings timezone Asia/Vladivostok")
    await say(runner, "/domain_add listed.test")
    await Domain.filter(name="listed.test").update(expires_on=dt.date(2027, 3, 1))
    await say(runner, "/blacklist_check listed.test")
    card = (await say(runner, "/domain listed.test")).plain_text()
    assert EN("domain-listed", zones="dbl.test", since="2026-11-28 19:00 +10") in card, card
    assert "2027-03-01" in card and "UTC" not in card


async def test_dns_apply_asks_first_and_a_second_confirmation_changes_nothing(runner: Runner, regru) -> None:
    await say(runner, "/domain_add listed.test")
    await Domain.filter(name="listed.test").update(registrar="regru")
    preview = await say(runner, "/dns_apply listed.test")
    assert preview.ok and preview.buttons[0][0].command == "dns_apply_confirm"
    assert regru.writes == []  # a preview writes nothing
    button = preview.buttons[0][0]
    done = await say(runner, f"/{button.command} {button.arg}")
    assert "records changed" in done.plain_text() and regru.writes
    writes = len(regru.writes)
    again = await say(runner, f"/{button.command} {button.arg}")
    assert "nothing to change" in again.plain_text() and len(regru.writes) == writes
    assert "regru-secret" not in done.plain_text() + again.plain_text()


async def test_a_dns_apply_button_writes_only_the_records_it_listed(runner: Runner, regru) -> None:
    """/dns_apply listed the records it would write; the button, pressed after the domain's provider had changed,
    wrote another provider's MX records, which nobody had been shown. Pressed after a change, it writes nothing,
    says so and lists what would be written now, with a button of its own; a button made before seals asks too."""
    await say(runner, "/domain_add listed.test")
    await Domain.filter(name="listed.test").update(registrar="regru")
    before = (await say(runner, "/dns_apply listed.test")).buttons[0][0]
    assert (await say(runner, "/domain_set listed.test provider yandex360")).ok
    domain = await Domain.get(name="listed.test")
    for arg in (before.arg, str(domain.id)):
        asked = await say(runner, f"/{before.command} {arg}")
        assert asked.ok and regru.writes == [], asked.plain_text()
        assert asked.blocks[0].text == EN("error-dns-apply-changed", domain="listed.test")
        assert "mx.yandex.net" in asked.plain_text()
    [[button]] = asked.buttons
    assert button.arg != before.arg
    done = await say(runner, f"/{button.command} {button.arg}")
    assert "records changed" in done.plain_text() and regru.writes


async def test_plan_and_zone_export_come_as_files(runner: Runner) -> None:
    await say(runner, "/domain_add acme-mail.ru")
    plan = await say(runner, "/dns_plan acme-mail.ru")
    assert plan.files[0].filename == "acme-mail.ru.zone" and b"_dmarc" in plan.files[0].content
    export = await say(runner, "/zone_export")
    [archive] = export.files
    with zipfile.ZipFile(io.BytesIO(archive.content)) as zipped:
        assert zipped.namelist() == ["acme-mail.ru.zone"]
    one = await say(runner, "/zone_export ACME-MAIL.RU.")  # one domain: its file, not "1, in one archive"
    assert [f.filename for f in one.files] == ["acme-mail.ru.zone"]
    assert one.plain_text() == EN("zone-export-one", domain="acme-mail.ru", file="acme-mail.ru.zone")
    manual = await say(runner, "/dns_apply acme-mail.ru")  # no API for this registrar: the records to set
    assert "by hand" in manual.plain_text() and manual.buttons == []


async def dmarc_step(domain: Domain, name: str, value: str) -> Approval:
    """A pending request to move the domain's DMARC policy from none to quarantine with the record `value`."""
    return await Approval.create(
        workspace_id=domain.workspace_id,
        kind=ApprovalKind.DMARC_STEP,
        subject=f"domain:{domain.id}",
        payload={
            "domain_id": domain.id,
            "domain": domain.name,
            "from": "none",
            "to": "quarantine",
            "name": name,
            "type": "TXT",
            "value": value,
        },
        requested_at=NOW,
        expires_at=NOW + dt.timedelta(days=7),
    )


async def test_approving_a_dmarc_step_says_exactly_what_to_publish(runner: Runner) -> None:
    await say(runner, "/domain_add acme-mail.ru")
    domain = await Domain.get(name="acme-mail.ru")
    value = "v=DMARC1; p=quarantine; rua=mailto:dmarc@acme-mail.ru"
    approval = await dmarc_step(domain, "_dmarc.acme-mail.ru.", value)
    reply = await say(runner, f"/approve {approval.id}")
    assert reply.ok, reply.plain_text()
    wanted = EN("dmarc-step-set-record", domain="acme-mail.ru", name="_dmarc.acme-mail.ru.", value=value)
    assert wanted in reply.plain_text() and "/dns_check acme-mail.ru" in wanted
    assert (await Approval.get(id=approval.id)).status is ApprovalStatus.APPROVED


@pytest.mark.usefixtures("listed_zone")
async def test_a_dmarc_step_sent_through_the_dns_host_is_not_asked_to_be_published_by_hand(
    runner: Runner, regru: RegRuStandin, knot: DnsServer
) -> None:
    """The REG.RU API took the record, DNS did not serve it yet: the answer said 'Publish this record' — a
    manager would add by hand, in the registrar's panel, a second copy of what the API had just written."""
    knot.set_zone("listed.test", good_zone("listed.test"))  # DNS still serves the p=none record
    await say(runner, "/domain_add listed.test")
    domain = await Domain.get(name="listed.test")
    await Domain.filter(id=domain.id).update(registrar="regru")
    value = "v=DMARC1; p=quarantine; rua=mailto:dmarc@listed.test"
    approval = await dmarc_step(domain, "_dmarc.listed.test", value)
    text = (await say(runner, f"/approve {approval.id}")).plain_text()
    assert [w.payload.get("text") for w in regru.writes if w.path == "zone/add_txt"] == [value]
    assert EN("dmarc-step-sent", domain="listed.test", name="_dmarc.listed.test", value=value) in text, text
    assert "Publish this record" not in text


async def test_the_domain_list_marks_dns_that_passes_with_a_warning_with_a_warning_not_a_tick(
    runner: Runner, knot: DnsServer
) -> None:
    """Every record right, but SPF's include could not be read here: the list says ⚠️ like the record lines."""
    knot.set_zone("warned.ru", good_zone("warned.ru"))
    assert (await say(runner, "/domain_add warned.ru")).ok
    assert (await say(runner, "/domain_set warned.ru provider yandex360")).ok
    assert (await say(runner, f"/dkim_set warned.ru mail {DKIM_KEY}")).ok
    warned = (await say(runner, "/dns_check warned.ru")).plain_text()
    assert "⚠️ SPF" in warned and "❌" not in warned, warned
    lines = {line.split(" — ")[0]: line for line in (await say(runner, "/domains")).plain_text().splitlines()}
    assert "DNS ⚠️" in lines["warned.ru"], lines
    assert "DNS ✅" not in lines["warned.ru"]


async def test_a_manager_resumes_a_cooling_domain_by_hand_refused_while_listed_or_a_swap_waits(
    runner: Runner, knot: DnsServer
) -> None:
    knot.set_dnsbl("dbl.test", {"listed.test": "127.0.1.2", "cool.test": "127.0.1.2"})
    assert (await say(runner, "/domain_add cool.test")).ok
    domain = await Domain.get(name="cool.test")
    clock = FrozenClock(NOW)
    for status in (DomainStatus.DNS_PENDING, DomainStatus.WARMING, DomainStatus.ACTIVE):
        await transition_domain(domain, status, clock=clock, reason="test")
    assert not (await say(runner, "/domain_resume cool.test")).ok  # active: nothing to resume
    await say(runner, "/blacklist_check cool.test")  # listed: cooled
    assert (await Domain.get(id=domain.id)).status == DomainStatus.COOLING

    refused = await say(runner, "/domain_resume cool.test")
    assert not refused.ok and refused.buttons == []
    assert refused.plain_text() == EN("error-resume-listed", domain="cool.test", zones="dbl.test")

    knot.set_dnsbl("dbl.test", {"listed.test": "127.0.1.2"})  # delisted
    await say(runner, "/blacklist_check cool.test")
    # DNS never checked: the checks do not resume it on their own; a person may
    assert (await Domain.get(id=domain.id)).status == DomainStatus.COOLING
    swap = await approvals.request(
        domain.workspace_id, ApprovalKind.DOMAIN_SWAP, f"domain:{domain.id}", {}, clock=clock
    )
    assert swap is not None
    waiting = await say(runner, "/domain_resume cool.test")
    assert not waiting.ok and waiting.plain_text() == EN("error-resume-swap-waiting", domain="cool.test")
    await Approval.filter(id=swap.id).update(status=ApprovalStatus.REJECTED)

    preview = await say(runner, "/domain_resume cool.test")
    text = preview.plain_text()
    assert preview.ok and EN("domain-resume-confirm", domain="cool.test") in text
    assert "dbl.test" not in text and EN("domain-never-checked") in text  # the unknown is named, not hidden
    assert (await Domain.get(id=domain.id)).status == DomainStatus.COOLING  # a preview changes nothing
    (button,) = preview.buttons[0]
    assert button.command == "domain_resume_confirm"
    done = await say(runner, f"/{button.command} {button.arg}")
    assert done.plain_text() == EN("domain-resume-done", domain="cool.test")
    assert (await Domain.get(id=domain.id)).status == DomainStatus.ACTIVE
    again = await say(runner, f"/{button.command} {button.arg}")  # a second press acts once
    assert not again.ok and EN("state-domain-active") in again.plain_text()
    (notice,) = await Alert.filter(kind="domain_resumed")
    assert notice.data["how"] == "hand"


async def test_a_resume_button_acts_only_on_the_cooling_it_asked_about(runner: Runner, knot: DnsServer) -> None:
    """A Resume button left unpressed still resumed the domain after it had gone back to work and been cooled
    again for another cause, which its question had never shown. Pressed after the domain changed, it does
    nothing, says so and asks again, with what the checks say now; the new question's button resumes it."""
    assert (await say(runner, "/domain_add cool.test")).ok
    domain = await Domain.get(name="cool.test")
    clock = FrozenClock(NOW)
    for status in (DomainStatus.DNS_PENDING, DomainStatus.WARMING, DomainStatus.ACTIVE, DomainStatus.COOLING):
        await transition_domain(domain, status, clock=clock, reason="test")
    (before,) = (await say(runner, "/domain_resume cool.test")).buttons[0]
    clock.advance(dt.timedelta(days=2))
    for status in (DomainStatus.ACTIVE, DomainStatus.COOLING):  # resumed, then cooled again
        await transition_domain(domain, status, clock=clock, reason="test")

    asked = await say(runner, f"/{before.command} {before.arg}")
    assert asked.ok and asked.blocks[0].text == EN("error-domain-resume-changed", domain="cool.test")
    assert EN("domain-resume-confirm", domain="cool.test") in asked.plain_text()
    assert (await Domain.get(id=domain.id)).status == DomainStatus.COOLING
    ((button,),) = asked.buttons
    assert button.arg != before.arg
    assert (await say(runner, f"/{button.command} {button.arg}")).plain_text() == EN(
        "domain-resume-done", domain="cool.test"
    )
    assert (await Domain.get(id=domain.id)).status == DomainStatus.ACTIVE


async def test_a_setting_change_and_a_drift_are_said_in_words_not_stored_values(
    runner: Runner, knot: DnsServer
) -> None:
    """'/domain_set … pool reserve' read 'spare.ru: pool active → reserve' in Russian, the provider and the
    registrar by their stored values (yandex360, regru) and the tracking host in punycode; the drift line named
    records by their codes ('mx, tracking'). Each is said like the domain card says it."""
    await say(runner, "/domain_add spare.ru пример.рф")
    await say(runner, "/lang ru")
    said = [
        (await say(runner, line)).plain_text()
        for line in (
            "/domain_set spare.ru pool reserve",
            "/domain_set spare.ru provider yandex360",
            "/domain_set spare.ru registrar reg.ru",
            "/domain_set пример.рф tracking трек",
            "/domain_set spare.ru provider none",
        )
    ]
    assert said == [
        "spare.ru: пул активный → резерв.",
        "spare.ru: почта не задана → Яндекс 360.",
        "spare.ru: регистратор — → REG.RU.",
        "пример.рф: трекинг t.пример.рф → трек.пример.рф.",
        "spare.ru: почта Яндекс 360 → не задана.",
    ]
    await say(runner, "/domain_set spare.ru provider yandex360")
    knot.set_zone("spare.ru", good_zone("spare.ru"))
    await say(runner, "/dns_check spare.ru")
    knot.set_zone("spare.ru", good_zone("spare.ru", mx=[("@", "MX", "10 mx.elsewhere.test.")]))
    drift = (await say(runner, "/dns_check spare.ru")).plain_text()
    assert "Изменились с прошлой проверки: MX" in drift, drift


async def test_a_record_put_right_is_said_fixed_not_changed(runner: Runner, knot: DnsServer) -> None:
    """MX `10 mx.other.ru.` corrected in the zone: the next /dns_check showed every record ✅ and added "Changed
    since the last check: MX", with a drift alert. It says the record is fixed, and no alert is raised."""
    await say(runner, "/domain_add fixed.ru")
    await say(runner, "/domain_set fixed.ru provider yandex360")
    knot.set_zone("fixed.ru", good_zone("fixed.ru", mx=[("@", "MX", "10 mx.other.ru.")]))
    assert not (await say(runner, "/dns_check fixed.ru")).ok
    knot.set_zone("fixed.ru", good_zone("fixed.ru"))
    reply = await say(runner, "/dns_check fixed.ru")
    text = reply.plain_text()
    assert EN("dns-check-fixed", records="MX") in text and "Changed since" not in text, text
    assert await Alert.filter(kind="dns_drift").count() == 0


async def test_the_domain_card_counts_today_by_the_workspace_day(runner: Runner) -> None:
    """In Vladivostok (UTC+10) 06:00 on the 29th is 20:00 UTC on the 28th: the counters are kept by the
    workspace's day, and the card read the UTC day's row (yesterday's sends, or none) as 'sent today'."""
    await say(runner, "/workspace_settings timezone Asia/Vladivostok")
    await say(runner, "/domain_add acme-mail.ru")
    await Domain.filter(name="acme-mail.ru").update(expires_on=dt.date(2026, 12, 9))
    domain = await Domain.get(name="acme-mail.ru")
    for day, sent in ((dt.date(2026, 11, 28), 40), (dt.date(2026, 11, 29), 7)):
        await DailyStat.create(
            workspace_id=domain.workspace_id, scope=StatScope.DOMAIN, scope_id=domain.id, day=day, sent=sent
        )
    assert isinstance(runner.clock, FrozenClock)
    runner.clock.set(dt.datetime(2026, 11, 28, 20, 0, tzinfo=dt.UTC))
    card = (await say(runner, "/domain acme-mail.ru")).plain_text()
    assert "sent today: 7" in card, card
    assert "days until renewal: 10" in (await say(runner, "/domains")).plain_text()  # the 9th is 10 days away


async def test_checks_of_every_domain_that_could_not_be_made_are_no_success() -> None:
    """DNS that never answers: every record and every list 'could not check'. The texts said so, but the replies
    of /dns_check and /blacklist_check over every domain counted as succeeded (`mailfleet console` exited 0) —
    as if the fleet were fine. A check that could not be made is no success, one domain or all."""
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # takes the queries and never answers
    silent.bind(("127.0.0.1", 0))
    try:
        config = DnsConfig(
            ResolverConfig(("127.0.0.1",), silent.getsockname()[1], 0.3),
            tracking_target="track.mailfleet.test",
            dnsbl_zones=(DnsblZone("dbl.test", TargetKind.DOMAIN, Family.SPAMHAUS_DBL),),
        )
        r = Runner(FrozenClock(NOW), admins={TG: {"1"}}, services={"dns": config})
        for line in (
            "/lang en",
            "/workspace_new acme ACME",
            "/domain_add quiet.ru",
            "/domain_set quiet.ru provider yandex360",
        ):
            assert (await say(r, line)).ok, line
        for command in ("/dns_check", "/dns_check quiet.ru", "/blacklist_check", "/blacklist_check quiet.ru"):
            reply = await say(r, command)
            assert not reply.ok, (command, reply.plain_text())
            assert "✅" not in reply.plain_text() and EN("dnsbl-result-clean") not in reply.plain_text(), command
    finally:
        silent.close()


async def test_the_host_names_a_check_of_an_idn_domain_explains_are_shown_in_cyrillic(
    runner: Runner, knot: DnsServer
) -> None:
    """/dns_check пример.рф explained its MX alias, its broken include, its aliased _dmarc and its CNAME chain with
    names like "mx.xn--80a1acny.xn--p1ai": what DNS stores, not what the agency registered and reads."""
    zone, other = "xn--e1afmkfd.xn--p1ai", "xn--80a1acny.xn--p1ai"  # пример.рф, почта.рф
    knot.set_zone(other, [("t", "CNAME", "track.mailfleet.test."), ("mx", "CNAME", "mx.yandex.net.")])
    spf = f"v=spf1 include:none.{other} ~all"
    knot.set_zone(
        zone,
        good_zone(
            zone,
            mx=[("@", "MX", f"10 mx.{other}.")],
            spf=[("@", "TXT", spf)],
            dmarc=[("_dmarc", "CNAME", f"_dmarc.{other}.")],
            tracking=[("t", "CNAME", f"t.{other}.")],
        ),
    )
    await say(runner, "/domain_add пример.рф")
    await say(runner, "/domain_set пример.рф provider yandex360")
    await say(runner, f"/dkim_set пример.рф mail {DKIM_KEY}")
    for command in ("/dns_check пример.рф", "/domain пример.рф", "/health xn--e1afmkfd.xn--p1ai"):
        text = (await say(runner, command)).plain_text()
        assert "xn--" not in text, (command, text)
    text = (await say(runner, "/dns_check пример.рф")).plain_text()
    aliased = ("mx.почта.рф → mx.yandex.net", "_dmarc.почта.рф", "t.почта.рф → track.mailfleet.test")
    for shown in (*aliased, "none.почта.рф"):
        assert shown in text, (shown, text)
    plan = await say(runner, "/dns_plan пример.рф")  # the zone file is for DNS: its names stay as DNS stores them
    assert f"include:none.{other}".encode() in plan.files[0].content


@pytest.mark.usefixtures("listed_zone")
async def test_an_aliased_dmarc_is_kept_and_a_step_says_to_change_the_record_it_leads_to(
    runner: Runner, knot: DnsServer, regru: RegRuStandin
) -> None:
    """_dmarc.listed.test is a CNAME to a DMARC service's record. /dns_plan and /dns_apply added a TXT record at
    _dmarc beside the CNAME (every DNS host refuses that; the REG.RU stand-in does not), and an approved DMARC
    step wrote one there through the API too. The plan keeps the alias and says why; the step names the record
    the alias leads to, where the policy is changed, and writes nothing beside the alias."""
    service = "v=DMARC1; p=none; rua=mailto:dmarc@listed.test"
    target = "listed.dmarc-svc.listed.test"  # the service's record (Knot follows an alias only within a zone)

    def zone(value: str) -> list[RecordLike]:
        return [*good_zone("listed.test", dmarc=[("_dmarc", "CNAME", f"{target}.")]), (target, "TXT", value)]

    knot.set_zone("listed.test", zone(service))
    regru.add_zone("listed.test", [("_dmarc", "CNAME", f"{target}.", 0)])
    await say(runner, "/domain_add listed.test")
    domain = await Domain.get(name="listed.test")
    await Domain.filter(id=domain.id).update(registrar="regru")
    await say(runner, "/domain_set listed.test provider yandex360")
    await say(runner, f"/dkim_set listed.test mail {DKIM_KEY}")
    assert f"✅ DMARC: {EN('dns-verdict-ok')}" in (await say(runner, "/dns_check listed.test")).plain_text()
    plan = (await say(runner, "/dns_plan listed.test")).plain_text()
    note = EN("dns-note-dmarc-aliased", name="_dmarc.listed.test", target=target)
    assert note in plan and "+ _dmarc" not in plan and "- _dmarc" not in plan, plan
    apply = await say(runner, "/dns_apply listed.test")
    assert "_dmarc" not in apply.plain_text(), apply.plain_text()
    button = apply.buttons[0][0]
    await say(runner, f"/{button.command} {button.arg}")
    assert not [w for w in regru.writes if w.payload.get("subdomain") == "_dmarc"], regru.writes

    value = "v=DMARC1; p=quarantine; rua=mailto:dmarc@listed.test"
    approval = await dmarc_step(domain, "_dmarc.listed.test", value)
    text = (await say(runner, f"/approve {approval.id}")).plain_text()
    wanted = EN(
        "dmarc-step-set-aliased",
        domain="listed.test",
        alias="_dmarc.listed.test",
        name=target,
        value=value,
    )
    assert wanted in text, text
    assert not [w for w in regru.writes if w.payload.get("subdomain") == "_dmarc"], regru.writes
    knot.set_zone("listed.test", zone(value))  # changed at the service
    await say(runner, "/dns_check listed.test")  # the next check sees the policy served through the alias
    assert (await Approval.get(id=approval.id)).status is ApprovalStatus.APPLIED
    assert (await Domain.get(id=domain.id)).dmarc_policy is DmarcPolicy.QUARANTINE


async def test_a_dmarc_step_sent_while_dns_does_not_answer_is_not_said_to_be_unserved(regru: RegRuStandin) -> None:
    """The REG.RU API took the record and the verifying lookup timed out: the answer said "DNS does not serve it
    yet", a verdict nobody could make. It says the DNS could not be asked."""
    with SilentUdpServer() as silent:
        config = DnsConfig(ResolverConfig(("127.0.0.1",), silent.port, 0.3), tracking_target="track.mailfleet.test")
        settings = Settings(
            regru_username="agency", regru_password=SecretStr("regru-secret"), regru_api_base=regru.base_url
        )
        async with aiohttp.ClientSession() as session:
            hosts = DnsHosts(settings, session)
            quiet = Runner(FrozenClock(NOW), admins={TG: {"1"}}, services={"dns": config, "dns_hosts": hosts})
            await say(quiet, "/lang en")
            await say(quiet, "/workspace_new acme ACME")
            await say(quiet, "/domain_add listed.test")
            domain = await Domain.get(name="listed.test")
            await Domain.filter(id=domain.id).update(registrar="regru")
            value = "v=DMARC1; p=quarantine; rua=mailto:dmarc@listed.test"
            approval = await dmarc_step(domain, "_dmarc.listed.test", value)
            text = (await say(quiet, f"/approve {approval.id}")).plain_text()
    assert [w.payload.get("text") for w in regru.writes if w.path == "zone/add_txt"] == [value]
    wanted = EN("dmarc-step-sent-unchecked", domain="listed.test", name="_dmarc.listed.test", value=value)
    assert wanted in text and "does not serve it yet" not in text, text


@pytest.mark.usefixtures("listed_zone")
async def test_a_dkim_selector_that_is_an_alias_is_kept_not_given_a_key_beside_it(
    runner: Runner, knot: DnsServer, regru: RegRuStandin
) -> None:
    """mail._domainkey.listed.test is a CNAME to the provider's key (as Microsoft 365 and Amazon SES publish theirs):
    /dns_plan and /dns_apply added the key as a TXT record beside the CNAME, which every DNS host refuses."""
    target = "mail.keys.listed.test"  # the provider's record (Knot follows an alias only within a zone)
    zone = good_zone("listed.test", dkim=[("mail._domainkey", "CNAME", f"{target}.")])
    knot.set_zone("listed.test", [*zone, (target, "TXT", f"v=DKIM1; k=rsa; p={DKIM_KEY}")])
    regru.add_zone("listed.test", [("mail._domainkey", "CNAME", f"{target}.", 0)])
    await say(runner, "/domain_add listed.test")
    await Domain.filter(name="listed.test").update(registrar="regru")
    await say(runner, "/domain_set listed.test provider yandex360")
    await say(runner, f"/dkim_set listed.test mail {DKIM_KEY}")
    assert f"✅ DKIM: {EN('dns-verdict-ok')}" in (await say(runner, "/dns_check listed.test")).plain_text()
    plan = (await say(runner, "/dns_plan listed.test")).plain_text()
    note = EN("dns-note-dkim-aliased", name="mail._domainkey.listed.test", target=target)
    assert note in plan and "_domainkey 3600 IN TXT" not in plan, plan
    apply = await say(runner, "/dns_apply listed.test")
    assert "_domainkey" not in apply.plain_text(), apply.plain_text()
    button = apply.buttons[0][0]
    await say(runner, f"/{button.command} {button.arg}")
    assert not [w for w in regru.writes if w.payload.get("subdomain") == "mail._domainkey"], regru.writes


async def test_a_retired_domain_is_in_no_pool_in_the_list_and_on_its_card(runner: Runner) -> None:
    """A domain swapped out (or removed with history) is retired, its pool role left as it was: '/domains' read
    'old.ru — retired · pool: active', as if it still took a share of the campaigns' mail."""
    await say(runner, "/domain_add old.ru spare.ru")
    await Domain.filter(name="old.ru").update(status=DomainStatus.RETIRED)
    listing = (await say(runner, "/domains")).plain_text()
    assert "old.ru — retired · pool: none ·" in listing, listing
    assert "spare.ru — new · pool: active ·" in listing, listing
    card = (await say(runner, "/domain old.ru")).plain_text()
    assert "pool: none" in card and "pool: active" not in card, card
    await say(runner, "/lang ru")
    russian = (await say(runner, "/domains")).plain_text()
    assert "old.ru — выведен из работы · пул: нет ·" in russian, russian

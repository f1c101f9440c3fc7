"""Domain commands end to end: Telegram through the Bot API emulator and Slack through signed requests to the real
bolt app, with real Knot, PostgreSQL, Redis and the REG.RU stand-in behind them."""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr
from redis.asyncio import Redis

from bot.runner import Runner
from bot.telegram.render import ERROR_MARK
from engine.clock import FrozenClock
from engine.dns.check import ResolverConfig
from engine.dns.dnsbl import DnsblZone, Family, TargetKind
from engine.dns.hosting import DnsHosts
from engine.dns.names import to_ascii
from engine.domains import DnsConfig
from engine.i18n import translator
from engine.settings import Settings
from models import Domain, Mailbox
from models.enums import AuthKind, DomainStatus, MailboxStatus, MailProvider, Platform, TlsMode
from tests.e2e.conftest import TelegramRig, visible
from tests.e2e.slackrig import Rig, join, seen, slack_rig, texts
from tests.harness.dnsserver import DnsServer
from tests.harness.registrar_standins import RegRuStandin
from tests.harness.telegram import TelegramUser

EN = translator("en")
ANNA = 700301
LONG_IDN = "очень-длинное-имя-почтового-домена-для-рассылок.рф"
DEAD_LISTS = (  # Knot serves neither zone, so it refuses: the checker is blind
    DnsblZone("dead-one.test", TargetKind.DOMAIN, Family.SPAMHAUS_DBL),
    DnsblZone("dead-two.test", TargetKind.DOMAIN, Family.URIBL),
)


@pytest.fixture(scope="module")
def knot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DnsServer]:
    with DnsServer(tmp_path_factory.mktemp("knot")) as server:
        server.set_zone("ya-mail.test", [("@", "MX", "10 mx.yandex.net.")])
        yield server


@pytest.fixture
async def regru() -> AsyncIterator[RegRuStandin]:
    async with RegRuStandin(username="agency", password="regru-secret") as standin:
        yield standin


@pytest.fixture
async def services(knot: DnsServer, regru: RegRuStandin, redis: Redis) -> AsyncIterator[dict[str, Any]]:
    config = DnsConfig(
        ResolverConfig(("127.0.0.1",), knot.port, 2.0), tracking_target="track.mailfleet.test", dnsbl_zones=DEAD_LISTS
    )
    settings = Settings(
        regru_username="agency", regru_password=SecretStr("regru-secret"), regru_api_base=regru.base_url
    )
    async with aiohttp.ClientSession() as session:
        yield {"redis": redis, "dns": config, "dns_hosts": DnsHosts(settings, session)}


@pytest.fixture
def runner(orm: None, clock: FrozenClock, services: dict[str, Any]) -> Runner:
    """The Telegram rig's runner, with DNS and the DNS-host APIs wired in."""
    return Runner(clock, admins={Platform.CONSOLE: {"local"}}, services=services)


async def manager(rig: TelegramRig) -> TelegramUser:
    await rig.admin("/workspace_new acme ACME")
    code = await rig.invite("acme", "manager")
    anna = rig.user(ANNA, first_name="Anna")
    await anna.send_command(f"/start {code}")
    await anna.wait_replies()
    return anna


async def ask(user: TelegramUser, line: str, replies: int = 1) -> list[str]:
    await user.send_command(line)
    return [visible(m.text or m.caption) for m in await user.wait_replies(replies)]


# ------------------------------------------------------------------------------------------------ Telegram


async def test_telegram_dns_apply_on_a_long_idn_domain_lists_records_and_its_button_carries_an_id(
    telegram: TelegramRig, regru: RegRuStandin
) -> None:
    anna = await manager(telegram)
    ascii_name = to_ascii(LONG_IDN)
    regru.add_zone(ascii_name, [("@", "MX", "mx.old-host.ru", 10)])
    await ask(anna, f"/domain_add {LONG_IDN}")
    await ask(anna, f"/domain_set {LONG_IDN} provider yandex360")
    [changed] = await ask(anna, f"/domain_set {LONG_IDN} registrar reg.ru")
    assert changed == f"{LONG_IDN}: registrar — → REG.RU."  # the registrar named, not stored as "regru"

    await anna.send_command(f"/dns_apply {LONG_IDN}")
    [preview] = await anna.wait_replies()
    text = visible(preview.text)
    domain = await Domain.get(name=ascii_name)
    assert EN("dns-apply-change", type="MX", name=LONG_IDN, old="10 mx.old-host.ru", value="10 mx.yandex.net") in text
    assert EN("dns-apply-add", type="CNAME", name=f"t.{LONG_IDN}", value="track.mailfleet.test") in text
    assert ".." not in text and "zone/add_mx" not in text and regru.writes == []
    data = preview.callback_data(EN("dns-apply-button"))
    assert data.startswith(f"dns_apply_confirm:{domain.id}.") and len(data.encode()) <= 64  # the id, the seal
    assert len(ascii_name) > 64  # the name itself would never have fitted

    query = await anna.press(data, preview)
    await anna.wait_callback_answer(query)
    _edited, done = await anna.wait_replies(2)
    assert "records changed" in visible(done.text) and regru.writes
    writes = len(regru.writes)
    [again] = await ask(anna, f"/dns_apply {LONG_IDN}")
    assert again == EN("dns-apply-nothing", domain=LONG_IDN, host="regru") and len(regru.writes) == writes
    assert (await Domain.get(id=domain.id)).status == DomainStatus.DNS_PENDING


async def test_telegram_a_binary_file_for_domain_add_is_refused_and_names_the_lines(telegram: TelegramRig) -> None:
    anna = await manager(telegram)
    await anna.upload_document("domains.csv", b"good.ru\n\x00\x01\x02PK\n", caption="/domain_add")
    [refused] = await anna.wait_replies()
    assert EN("error-upload-binary", lines="2", count=1) in visible(refused.text)
    assert await Domain.all().count() == 0


async def test_telegram_three_hundred_domains_give_one_summary_and_one_file_each(telegram: TelegramRig) -> None:
    anna = await manager(telegram)
    names = "\n".join(["ya-mail.test", *(f"d{n:03}.test" for n in range(1, 300))]).encode()
    await anna.upload_document("domains.csv", names, caption="/domain_add")
    [added] = [visible(m.text) for m in await anna.wait_replies()]
    await anna.assert_no_replies(within=0.5)  # one message, however many domains: long lists are cut short
    assert "Added: 300" in added and EN("domain-add-detected", list="ya-mail.test → Yandex 360") in added
    assert added.count(EN("list-more", count=280)) == 1 and added.count(EN("list-more", count=279)) == 1

    await anna.send_command("/dns_check")
    summary, report = await anna.wait_replies(2, timeout=30)
    await anna.assert_no_replies(within=0.5)
    assert "Domains checked: 300." in visible(summary.text)
    assert report.document is not None and report.document["file_name"].endswith(".csv")
    assert (await anna.download(report)).decode("utf-8-sig").count("\n") == 301

    await anna.send_command("/zone_export")
    text, archive = await anna.wait_replies(2, timeout=15)
    await anna.assert_no_replies(within=0.5)
    assert visible(text.text) == EN("zone-export-done", count=300)
    with zipfile.ZipFile(io.BytesIO(await anna.download(archive))) as zipped:
        assert len(zipped.namelist()) == 300


async def test_telegram_domain_remove_asks_and_deletes_once(telegram: TelegramRig) -> None:
    anna = await manager(telegram)
    await ask(anna, "/domain_add spare.test")
    domain = await Domain.get(name="spare.test")
    await anna.send_command("/domain_remove spare.test")
    [question] = await anna.wait_replies()
    assert visible(question.text) == EN("domain-remove-confirm-delete", domain="spare.test", mailboxes=0)
    data = question.callback_data(EN("domain-remove-button"))
    assert data.startswith(f"domain_remove_confirm:{domain.id}.")  # and the seal of what it asks
    query = await anna.press(data, question)
    await anna.wait_callback_answer(query)
    _edited, done = await anna.wait_replies(2)
    assert visible(done.text) == EN("domain-remove-deleted", domain="spare.test")
    assert not await Domain.exists(id=domain.id)


async def test_telegram_a_late_remove_button_never_retires_what_it_did_not_ask_about(telegram: TelegramRig) -> None:
    """/domain_remove of an empty domain asked to delete it; the button was left unpressed while the domain got a
    mailbox and went to work. Pressed then, it retired the domain and its live mailbox, which nobody had been asked
    about. The button carries what its question said: pressed after a change, it does nothing, says so and asks
    again; pressing the new question acts — once. A button made before seals (the id alone) asks again too."""
    anna = await manager(telegram)
    await ask(anna, "/domain_add spare.test")
    domain = await Domain.get(name="spare.test")
    await anna.send_command("/domain_remove spare.test")
    [question] = await anna.wait_replies()
    old = question.callback_data(EN("domain-remove-button"))
    await Mailbox.create(
        workspace_id=domain.workspace_id, domain=domain, address="anna@spare.test", provider=MailProvider.YANDEX360,
        smtp_host="smtp.yandex.ru", smtp_port=465, smtp_tls=TlsMode.IMPLICIT, imap_host="imap.yandex.ru",
        imap_port=993, imap_tls=TlsMode.IMPLICIT, username="anna@spare.test", auth_kind=AuthKind.PASSWORD,
        secret_enc=b"x", status=MailboxStatus.ACTIVE,
    )  # fmt: skip
    await Domain.filter(id=domain.id).update(status=DomainStatus.ACTIVE)

    query = await anna.press(old, question)
    await anna.wait_callback_answer(query)
    _edited, asked = await anna.wait_replies(2)
    assert visible(asked.text) == "\n\n".join([
        ERROR_MARK + EN("error-domain-remove-changed", domain="spare.test"),
        EN("domain-remove-confirm-retire", domain="spare.test", mailboxes=1),
    ])  # fmt: skip
    assert (await Domain.get(id=domain.id)).status is DomainStatus.ACTIVE
    assert (await Mailbox.get(domain=domain)).status is MailboxStatus.ACTIVE
    again = asked.callback_data(EN("domain-remove-button"))
    assert again != old
    query = await anna.press(again, asked)
    await anna.wait_callback_answer(query)
    _edited, done = await anna.wait_replies(2)
    assert visible(done.text) == EN("domain-remove-retired", domain="spare.test")
    assert (await Domain.get(id=domain.id)).status is DomainStatus.RETIRED


# ------------------------------------------------------------------------------------------------ Slack


@pytest.fixture
async def slack(orm: None, redis: Redis, services: dict[str, Any]) -> AsyncIterator[Rig]:
    async with slack_rig(redis, services) as rig:
        yield rig


def shown(body: dict[str, Any]) -> str:
    return "\n".join(texts(body["blocks"]))


async def test_slack_a_blind_blacklist_check_reads_not_checked_in_the_card_and_the_list(slack: Rig) -> None:
    await join(slack, "U0MGR", "manager", name="mgr")
    await slack.command("domain_add quiet.test", user="U0MGR")

    checked = shown(await slack.command("blacklist_check quiet.test", user="U0MGR"))
    card = shown(await slack.command("domain quiet.test", user="U0MGR"))
    listing = shown(await slack.command("domains", user="U0MGR"))

    why = EN("dnsbl-error-refused")  # the lists are not served: the DNS server answers REFUSED
    for text in (checked, card):
        assert seen(EN("domain-bl-unknown", since="", why=why)).split(" since")[0] in text
        assert why in text and EN("domain-not-listed", when="").split(" (")[0] not in text
    assert "blacklists ❔" in listing and "🚫" not in listing.split("\n")[1]


async def test_slack_domain_set_then_remove_with_a_button_that_carries_the_id(slack: Rig) -> None:
    await join(slack, "U0MGR", "manager", name="mgr")
    await slack.command("domain_add spare.test", user="U0MGR")
    refused = shown(await slack.command("domain_set spare.test provider gmail", user="U0MGR"))
    assert "gmail" in refused and "yandex360" in refused
    changed = shown(await slack.command("domain_set spare.test pool reserve", user="U0MGR"))
    assert changed == "spare.test: pool active → reserve."
    domain = await Domain.get(name="spare.test")

    asked = await slack.command("domain_remove spare.test", user="U0MGR")
    [actions] = [b for b in asked["blocks"] if b["type"] == "actions"]
    [button] = actions["elements"]
    assert button["value"].startswith(f"{domain.id}.")  # and the seal of what it asks
    message = {"ts": "1.0", "text": asked["text"], "blocks": asked["blocks"]}
    done = await slack.press(button, user="U0MGR", channel="C0CHAT", message=message)
    assert EN("domain-remove-deleted", domain="spare.test") in shown(done.body)
    assert not await Domain.exists(id=domain.id)


async def test_slack_dns_check_of_every_domain_is_one_answer_and_one_file(slack: Rig) -> None:
    await join(slack, "U0MGR", "manager", name="mgr")
    await slack.command("domain_add " + " ".join(f"s{n:02}.test" for n in range(40)), user="U0MGR")
    answered = shown(await slack.command("dns_check", user="U0MGR"))
    assert "Domains checked: 40." in answered
    [uploaded] = slack.api.files_in(slack.api.dm_channel("U0MGR"))  # the asker's DM, not the channel
    assert uploaded.filename.endswith(".csv") and uploaded.content.decode("utf-8-sig").count("\n") == 41

"""Mailbox onboarding as a manager sees it in Telegram and Slack: a private mail server (the harness's Postfix and
Dovecot with their own test CA) over STARTTLS, the trust message, a CA per mailbox, plaintext warnings, refused
ports, and broken files. Real transports, real mail servers, real PostgreSQL and Redis."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.runner import Runner
from bot.slack.render import escape
from bot.telegram.render import ERROR_MARK
from engine.clock import Clock, FrozenClock
from engine.crypto import Vault, generate_key
from engine.i18n import translator
from engine.settings import Settings, load_settings
from engine.stats import EventRecord, record_events
from models import Mailbox
from models.enums import EventKind, Platform
from tests.e2e.conftest import CONSOLE_ADMIN, TelegramRig, visible
from tests.e2e.slackrig import CLOCK as SLACK_CLOCK
from tests.e2e.slackrig import Rig, seen, slack_rig
from tests.harness.mailserver import MailServer

EN = translator("en")
ANNA = 700301
HEADER = "address;password;display_name;smtp_host;smtp_port;smtp_tls;imap_host;imap_port;imap_tls"


@pytest.fixture(scope="module")
def mail(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailServer]:
    with MailServer(tmp_path_factory.mktemp("mail"), domains=["alpha.test"], users_per_domain=4) as server:
        yield server


def mail_settings(mail: MailServer, *, ca: bool) -> Settings:
    """An admin's settings for a deployment whose mail server is the harness: its ports, loopback, maybe its CA."""
    return load_settings(
        mail_ca_file=mail.cafile if ca else None,
        mail_allowed_ports=[mail.ports.submission, mail.ports.imap],
        mail_allow_private_hosts=True,
    )


def services(redis: Redis, mail: MailServer, *, ca: bool) -> dict[str, Any]:
    return {"redis": redis, "vault": Vault([generate_key()]), "settings": mail_settings(mail, ca=ca),
            "mail_test_timeout_s": 10.0}  # fmt: skip


def csv(mail: MailServer, *rows: str, imap_tls: str = "starttls", ca: str | None = None) -> bytes:
    """A semicolon CSV (as Russian Excel saves it) of rows on the harness; with a `ca` column when `ca` is given."""
    hosts = f"{mail.host};{mail.ports.submission};starttls;{mail.host};{mail.ports.imap};{imap_tls}"
    cell = "" if ca is None else f';"{ca}"'
    return "\n".join([HEADER + (";ca" if ca is not None else ""), *(f"{row};{hosts}{cell}" for row in rows)]).encode()


# Telegram ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def global_ca() -> bool:
    """Whether the deployment trusts the harness's CA (MAIL_CA_FILE); a test parametrizes it to False."""
    return True


@pytest.fixture
def runner(orm: None, clock: FrozenClock, redis: Redis, mail: MailServer, global_ca: bool) -> Runner:
    """The runner every transport shares, with the deployment's mail settings."""
    return Runner(clock, admins={Platform.CONSOLE: {CONSOLE_ADMIN}}, services=services(redis, mail, ca=global_ca))


async def manager(rig: TelegramRig) -> Any:
    await rig.admin("/workspace_new acme ACME")
    await rig.admin("/domain_add alpha.test")
    code = await rig.invite("acme", "manager")
    anna = rig.user(ANNA, first_name="Anna")
    await anna.send_command(f"/start {code}")
    await anna.wait_replies()
    return anna


async def upload(user: Any, name: str, data: bytes, caption: str) -> str:
    await user.upload_document(name, data, caption=caption)
    [reply] = await user.wait_replies(timeout=30)
    return visible(reply.text)


@pytest.mark.parametrize("global_ca", [False])
async def test_telegram_private_server_needs_a_ca_and_says_whose_certificate_it_is(
    telegram: TelegramRig, mail: MailServer
) -> None:
    anna = await manager(telegram)

    refused = await upload(anna, "boxes.csv", csv(mail, "user1@alpha.test;pw;Anna"), "/mailbox_import")

    assert ERROR_MARK in refused
    assert EN("mailbox-import-result", created=0, updated=0, invalid=0, failed=1) in refused
    assert EN("error-import-login-unchecked") in refused
    assert "the server's certificate is not trusted (issuer CN=Mailfleet Test CA,O=Mailfleet harness" in refused
    assert f"host {mail.host}; unable to get local issuer certificate" in refused
    assert "set a CA or check the host name" in refused and "detail" not in refused
    assert "SMTP ❔" in refused and "IMAP ❔" in refused
    assert await Mailbox.all().count() == 0

    ca = mail.cafile.read_text()
    with_ca = csv(mail, "user1@alpha.test;pw;Anna", ca=ca)
    stored = await upload(anna, "boxes.csv", with_ca, "/mailbox_import")
    assert stored == EN("mailbox-import-result", created=1, updated=0, invalid=0, failed=0)
    await anna.send_command("/mailbox user1@alpha.test")
    [card] = await anna.wait_replies()
    assert EN("mailbox-own-ca") in visible(card.text) and "⚠️" not in visible(card.text)


async def test_telegram_plaintext_is_accepted_with_a_warning_and_the_card_shows_it(
    telegram: TelegramRig, mail: MailServer
) -> None:
    anna = await manager(telegram)

    reply = await upload(anna, "boxes.csv", csv(mail, "user1@alpha.test;pw;Anna", imap_tls="plain"), "/mailbox_import")

    warning = EN("mailbox-plaintext-warning", address=EN("mailbox-import-row-ref", line=2, address="user1@alpha.test"),
                 protocols="IMAP")  # fmt: skip
    assert reply == EN("mailbox-import-result", created=1, updated=0, invalid=0, failed=0) + "\n\n⚠️ " + warning
    await anna.send_command("/mailbox user1@alpha.test")
    [card] = await anna.wait_replies()
    text = visible(card.text)
    assert "⚠️ " + EN("mailbox-plaintext-warning", address="user1@alpha.test", protocols="IMAP") in text
    assert "✅" in text and "Last check (" in text


async def test_telegram_a_control_character_and_a_mixed_encoding_are_reported_and_nothing_is_stored(
    telegram: TelegramRig, mail: MailServer
) -> None:
    anna = await manager(telegram)

    control = await upload(anna, "boxes.csv", csv(mail, "user1@alpha.test;pw;An\u202ena"), "/mailbox_import")
    assert EN("error-import-control-char", column="display_name", char="U+202E") in control
    assert "Row 2 (user1@alpha.test)" in control

    mixed = csv(mail, "user1@alpha.test;pw;Анна") + b"\n" + csv(mail, "user2@alpha.test;pw;Борис").split(b"\n")[1]
    mixed = mixed.replace("Борис".encode(), "Борис".encode("cp1251"))
    refused = await upload(anna, "boxes.csv", mixed, "/mailbox_import")
    assert refused == ERROR_MARK + EN("error-upload-mixed-encoding", lines="3", count=1)
    assert await Mailbox.all().count() == 0


# Slack ------------------------------------------------------------------------------------------------------------


@pytest.fixture
async def slack(orm: None, redis: Redis, mail: MailServer, global_ca: bool) -> AsyncIterator[Rig]:
    async with slack_rig(redis, services(redis, mail, ca=global_ca)) as rig:
        await rig.say("workspace_new acme ACME")
        await rig.say("domain_add alpha.test")
        yield rig


@pytest.mark.parametrize("global_ca", [False])
async def test_slack_mailbox_ca_sets_a_private_ca_and_the_test_tells_could_not_check_from_ok(
    slack: Rig, mail: MailServer
) -> None:
    ca = mail.cafile.read_text()
    imported = await slack.upload("mailbox_import", "boxes.csv", csv(mail, "user1@alpha.test;pw;A", ca=ca))
    assert imported == [seen(EN("mailbox-import-result", created=1, updated=0, invalid=0, failed=0))]

    other = csv(mail, "user2@alpha.test;pw;B", "user3@alpha.test;pw;C")
    failed = "\n".join(await slack.upload("mailbox_import", "more.csv", other))
    assert "the server's certificate is not trusted (issuer CN=Mailfleet Test CA,O=Mailfleet harness" in failed

    mailbox = await Mailbox.get(address="user1@alpha.test")
    await Mailbox.filter(id=mailbox.id).update(tls_ca_pem="")  # as if the server's CA had changed meanwhile
    tested = "\n".join(await slack.say("mailbox_test all"))
    assert seen(EN("mailbox-test-result", ok=0, refused=0, unchecked=1)) in tested
    card = "\n".join(await slack.say("mailbox user1@alpha.test"))
    assert "❔ " + seen(EN("mailbox-check-unchecked", when="")).split("()")[0] in card
    assert "unable to get local issuer certificate" in card and "✅" not in card

    set_ca = await slack.upload("mailbox_ca user1@alpha.test", "ca.pem", ca.encode())
    assert set_ca == [seen(EN("mailbox-ca-stored", address="user1@alpha.test", count=1))]
    retested = "\n".join(await slack.say("mailbox_test user1@alpha.test"))
    assert seen(EN("mailbox-test-result", ok=1, refused=0, unchecked=0)) in retested


async def test_slack_a_port_outside_the_mail_ports_is_a_row_error_naming_the_setting(
    slack: Rig, mail: MailServer
) -> None:
    data = csv(mail, "user1@alpha.test;pw;A").replace(str(mail.ports.imap).encode(), str(mail.ports.imaps).encode())
    reply = "\n".join(await slack.upload("mailbox_import", "boxes.csv", data))
    expected = EN(
        "error-mail-port-not-allowed", port=str(mail.ports.imaps), host=mail.host,
        allowed=", ".join(str(p) for p in sorted([mail.ports.submission, mail.ports.imap])),
        setting="MAIL_ALLOWED_PORTS",
    )  # fmt: skip
    assert escape(expected) in reply
    assert await Mailbox.all().count() == 0


# The card: why receivers refused us today ----------------------------------------------------------------------------


async def refusals_today(clock: Clock) -> None:
    """Block bounces of user1 as the inbox sync records them: two "blocked" and one "auth failure" today, and
    what must not count: a refusal two days ago and a hard bounce (the recipient is gone, not a refusal of us)."""
    box = await Mailbox.get(address="user1@alpha.test")
    now = clock.now()

    def event(kind: EventKind, reason: str, at: dt.datetime = now) -> EventRecord:
        return EventRecord(box.workspace_id, kind, at, box.id, box.domain_id, data={"reason": reason})

    await record_events(
        [
            event(EventKind.BOUNCE_BLOCK, "blocked"),
            event(EventKind.BOUNCE_BLOCK, "auth_failure"),
            event(EventKind.BOUNCE_BLOCK, "blocked"),
            event(EventKind.BOUNCE_BLOCK, "spam_detected", now - dt.timedelta(days=2)),
            event(EventKind.BOUNCE_HARD, "user_unknown"),
        ]
    )


def refused_line(t: Any) -> str:
    reasons = f"{t('bounce-reason-blocked')}: 2, {t('bounce-reason-auth-failure')}: 1"
    return t("mailbox-refused-today", count=3, reasons=reasons)


async def test_telegram_the_card_says_why_receivers_refused_us_today(
    telegram: TelegramRig, mail: MailServer, clock: FrozenClock
) -> None:
    anna = await manager(telegram)
    await upload(anna, "boxes.csv", csv(mail, "user1@alpha.test;pw;Anna", imap_tls="plain"), "/mailbox_import")
    await refusals_today(clock)

    await anna.send_command("/mailbox user1@alpha.test")
    [card] = await anna.wait_replies()
    text = visible(card.text)
    assert refused_line(EN) in text
    assert "Refused us today: 3 (our IP or domain is blocked (blocklist, reputation): 2," in text
    assert EN("bounce-reason-spam-detected") not in text and EN("bounce-reason-user-unknown") not in text


async def test_slack_the_card_says_why_receivers_refused_us_today_in_russian(slack: Rig, mail: MailServer) -> None:
    await slack.upload("mailbox_import", "boxes.csv", csv(mail, "user1@alpha.test;pw;A", imap_tls="plain"))
    await refusals_today(SLACK_CLOCK)  # the Slack rig's runner reads the real clock; the events are stamped by it
    await slack.say("lang ru")

    card = "\n".join(await slack.say("mailbox user1@alpha.test"))
    assert seen(refused_line(translator("ru"))) in card
    assert "Отказали нам сегодня: 3" in card

"""A new agency's first hours in Telegram, where a value or a list is bigger than the common case. Real transport
(the Bot API emulator), PostgreSQL and Redis."""

from __future__ import annotations

import datetime as dt

import pytest
from redis.asyncio import Redis

from bot.handlers.workspaces import HELP_GROUPS
from bot.runner import Runner
from bot.telegram.render import ERROR_MARK
from engine.clock import FrozenClock
from engine.crypto import Vault, generate_key
from engine.i18n import translator
from models import Approval, Campaign, Domain, Mailbox, Suppression, Workspace
from models.enums import ApprovalKind, MailboxStatus, MailProvider, Platform, TlsMode
from tests.e2e.conftest import CONSOLE_ADMIN, NOW, TelegramRig, ask, visible
from tests.e2e.slackrig import join, seen, slack_rig, texts
from tests.harness.slackapi import CHANNEL_ID
from tests.harness.telegram import TelegramUser

RU = translator("ru")
EN = translator("en")
ANNA = 700771


@pytest.fixture
def runner(orm: None, clock: FrozenClock, redis: Redis) -> Runner:
    """The runner every transport shares, with the vault that mailbox secrets are kept in."""
    return Runner(
        clock, admins={Platform.CONSOLE: {CONSOLE_ADMIN}}, services={"redis": redis, "vault": Vault([generate_key()])}
    )


async def manager(rig: TelegramRig) -> TelegramUser:
    """Anna, a manager of "acme" whose Telegram speaks Russian."""
    await rig.admin('/workspace_new acme "ООО Ромашка"')
    code = await rig.invite("acme", "manager")
    anna = rig.user(ANNA, first_name="Анна", language_code="ru")
    await anna.send_command(f"/start {code}")
    await anna.wait_replies()
    return anna


async def alpha_mailbox() -> None:
    """anna@alpha.example, an active mailbox of "acme"."""
    acme = await Workspace.get(slug="acme")
    domain = await Domain.create(workspace=acme, name="alpha.example")
    await Mailbox.create(
        workspace=acme, domain=domain, address="anna@alpha.example", provider=MailProvider.GENERIC,
        smtp_host="192.0.2.1", smtp_port=587, smtp_tls=TlsMode.STARTTLS, imap_host="192.0.2.1", imap_port=993,
        imap_tls=TlsMode.IMPLICIT, username="anna@alpha.example", secret_enc=b"x", status=MailboxStatus.ACTIVE,
    )  # fmt: skip


async def test_a_workspace_name_longer_than_any_is_refused_by_its_length_not_with_an_internal_error(
    telegram: TelegramRig,
) -> None:
    anna = await manager(telegram)
    typed = "acme-" + "x" * 60

    answer = await ask(anna, f"/workspace {typed}")

    assert "Что-то пошло не так" not in answer
    expected = RU("error-arg-too-long", value=typed[:39] + "…", length="65", limit="40", command="workspace",
                  arg=RU("arg-slug"), usage="/workspace acme")  # fmt: skip
    assert answer == ERROR_MARK + expected
    assert answer == (await ask(anna, f"/use {typed}")).replace("/use", "/workspace")


async def test_a_typed_page_token_with_a_domain_id_past_any_is_a_list_of_none(telegram: TelegramRig) -> None:
    anna = await manager(telegram)
    await telegram.admin("/domain_add alpha.example")

    answer = await ask(anna, "/mailboxes 2.d99999999999999999999")

    assert answer == RU("mailboxes-none-filtered")


async def test_approvals_beyond_one_answer_are_counted_and_said_to_be_more(telegram: TelegramRig) -> None:
    anna = await manager(telegram)
    acme = await Workspace.get(slug="acme")
    for n in range(35):
        domain = await Domain.create(workspace=acme, name=f"d{n}.example")
        await Approval.create(
            workspace=acme, kind=ApprovalKind.DOMAIN_SWAP, subject=f"domain:{domain.id}",
            payload={"domain": domain.name}, requested_at=NOW, expires_at=NOW + dt.timedelta(days=2),
        )  # fmt: skip

    await anna.send_command("/approvals")
    replies = await anna.wait_replies()
    text = visible(replies[0].text)

    assert text.startswith(RU("approvals-title", count=35) + "\n\n")
    assert RU("approvals-more", count=5) in text
    buttons = [b for m in replies for b in m.buttons]
    assert len(buttons) == 60  # Approve and Reject for each one listed: within Telegram's 100 a message


async def test_every_mailbox_whose_login_test_failed_is_named_in_a_file_when_the_answer_lists_thirty(
    telegram: TelegramRig,
) -> None:
    anna = await manager(telegram)
    acme = await Workspace.get(slug="acme")
    domain = await Domain.create(workspace=acme, name="alpha.example")
    lost = Vault([generate_key()]).encrypt("pw")  # kept under a key this deployment no longer has
    for n in range(35):
        address = f"box{n:02}@alpha.example"
        await Mailbox.create(
            workspace=acme, domain=domain, address=address, provider=MailProvider.GENERIC, smtp_host="192.0.2.1",
            smtp_port=587, smtp_tls=TlsMode.STARTTLS, imap_host="192.0.2.1", imap_port=993, imap_tls=TlsMode.IMPLICIT,
            username=address, secret_enc=lost, status=MailboxStatus.ACTIVE,
        )  # fmt: skip

    await anna.send_command("/mailbox_test all")
    answer = [await anna.wait_replies(timeout=15)]
    while answer[-1][0].document is None:
        answer.append(await anna.wait_replies(timeout=15))
    *parts, [report] = answer

    text = "\n".join(visible(m.text) for [m] in parts)
    assert RU("mailbox-test-result", ok=0, refused=0, unchecked=35) in text
    assert "box29@alpha.example" in text and "box30@alpha.example" not in text
    assert RU("list-more", count=5) in text
    assert report.document is not None and report.document["file_name"] == "mailbox-test-problems.txt"
    named = (await anna.download(report)).decode().splitlines()
    assert [line.split(":")[0] for line in named] == [f"box{n:02}@alpha.example" for n in range(35)]
    assert all(RU("error-mailbox-secret") in line for line in named)


async def test_a_campaign_without_leads_is_not_exported_as_an_empty_file_and_says_how_to_add_them(
    telegram: TelegramRig,
) -> None:
    anna = await manager(telegram)
    await ask(anna, "/campaign_new Весна")

    answer = await ask(anna, "/export_leads Весна")

    assert answer == RU("export-leads-empty", name="Весна")
    assert "/leads_import Весна" in answer
    await anna.assert_no_replies()  # no CSV of a header alone


async def test_help_too_long_for_one_message_never_leaves_a_section_title_at_the_foot_of_a_message(
    telegram: TelegramRig,
) -> None:
    anna = await manager(telegram)

    await anna.send_command("/help")
    parts = [visible(m.text) for m in await anna.wait_replies(2)]

    titles = {RU(f"help-group-{group}") for group in HELP_GROUPS}
    for part in parts:
        assert part.split("\n\n")[-1] not in titles, f"a title left without its commands: {part[-80:]!r}"
    assert sum(part.count("\n/") + part.startswith("/") for part in parts) >= 70  # every command is still there


async def test_seventy_domains_are_paged_twenty_at_a_time_with_buttons_not_sent_as_a_wall(
    telegram: TelegramRig,
) -> None:
    anna = await manager(telegram)
    acme = await Workspace.get(slug="acme")
    for n in range(70):
        await Domain.create(workspace=acme, name=f"client-{n:02}-outreach-mail.example")

    await anna.send_command("/domains")
    [first] = await anna.wait_replies()  # one message, not three
    text = visible(first.text)
    assert text.startswith(RU("domains-title", count=70))
    assert "client-00-outreach" in text and "client-19-outreach" in text and "client-20-outreach" not in text
    assert RU("list-page", page=1, pages=4, command="domains") in text
    assert [b["text"] for b in first.buttons] == ["2 ▶"]

    await anna.press(first.callback_data("2 ▶"), first)
    [second] = await anna.wait_replies()  # the next page in place of the pressed one: no new message
    assert second.message_id == first.message_id
    text = visible(second.text)
    assert "client-20-outreach" in text and "client-39-outreach" in text and "client-19-outreach" not in text
    assert [b["callback_data"] for b in second.buttons] == ["domains:1", "domains:3"]
    await anna.press(second.callback_data("◀ 1"), second)
    [back] = await anna.wait_replies()
    assert back.message_id == first.message_id and visible(back.text) == visible(first.text)
    await anna.assert_no_replies()

    last = await ask(anna, "/domains 99")  # past the last page: the last one
    assert "client-69-outreach" in last and RU("list-page", page=4, pages=4, command="domains") in last
    assert "client-59-outreach" not in last and "client-60-outreach" in last


async def test_a_client_in_slack_reaches_an_older_campaign_on_the_next_page_of_campaigns(
    orm: None, redis: Redis
) -> None:
    async with slack_rig(redis) as slack:
        await join(slack, "U0CLIENT", "client", name="client")
        acme = await Workspace.get(slug="acme")
        for n in range(45):  # newest first: the oldest ones, still running for months, come last
            await Campaign.create(workspace=acme, name=f"wave-{n:02}")

        first = await slack.command("campaigns", user="U0CLIENT")
        shown = "\n".join(texts(first["blocks"]))
        assert "wave-44" in shown and "wave-15" in shown and "wave-14" not in shown
        assert seen(EN("list-page", page=1, pages=2, command="campaigns")) in shown
        [forward] = [e for b in first["blocks"] if b["type"] == "actions" for e in b["elements"]]
        assert (forward["text"]["text"], forward["value"]) == ("2 ▶", "2")

        message = {"ts": "1700000000.000100", "text": first.get("text", ""), "blocks": first["blocks"]}
        pressed = await slack.press(forward, user="U0CLIENT", channel=CHANNEL_ID, message=message, ephemeral=True)
        assert pressed.body.get("replace_original") is True  # the page in place of the one pressed
        older = "\n".join(texts(pressed.body["blocks"]))
        assert "wave-14" in older and "wave-00" in older and "wave-15" not in older
        assert seen(EN("campaigns-hint-client")) in older


async def test_a_list_of_addresses_pasted_into_suppress_suppresses_each_or_names_the_wrong_ones(
    telegram: TelegramRig,
) -> None:
    anna = await manager(telegram)
    scope = RU("leads-scope-workspace")

    wrong = await ask(anna, "/suppress ivan@acme.ru, петр@; spam-sender.ru")
    assert wrong == ERROR_MARK + RU("error-leads-suppress-list", count=1,
                                    problems=RU("error-leads-suppress-value", value="петр@"))  # fmt: skip
    assert await Suppression.all().count() == 0  # a list with a wrong value stores nothing

    done = await ask(anna, "/suppress ivan@acme.ru, Petr@Acme.ru; spam-sender.ru\nanna@acme.ru")
    assert done.split("\n") == [
        RU("leads-suppressed", value="ivan@acme.ru", scope=scope),
        RU("leads-suppressed", value="petr@acme.ru", scope=scope),
        RU("leads-suppressed", value="spam-sender.ru", scope=scope),
        RU("leads-suppressed", value="anna@acme.ru", scope=scope),
    ]
    spaced = await ask(anna, "/suppress ivan@acme.ru boris@acme.ru")  # a list apart by spaces, one already in
    assert spaced.split("\n") == [
        RU("leads-suppressed-already", value="ivan@acme.ru", scope=scope),
        RU("leads-suppressed", value="boris@acme.ru", scope=scope),
    ]
    named = await ask(anna, "/suppress Иван Петров <ivan.petrov@acme.ru>")  # one address with its display name
    assert named == RU("leads-suppressed", value="ivan.petrov@acme.ru", scope=scope)
    assert await Suppression.all().count() == 6
    many = await ask(anna, "/suppress " + " ".join(f"p{n}@acme.ru" for n in range(101)))
    assert many == ERROR_MARK + RU("error-leads-suppress-too-many", count=101, max=100)
    assert await Suppression.all().count() == 6


async def test_a_retention_of_too_many_days_is_answered_with_the_range_not_as_no_number(telegram: TelegramRig) -> None:
    anna = await manager(telegram)

    for typed in ("99999999999", "99999999999 дней", "-1"):
        answer = await ask(anna, f"/retention {typed}")
        assert answer == ERROR_MARK + RU("error-retention-range", min=30, max=3650), typed
    assert await ask(anna, "/retention много") == ERROR_MARK + RU("error-retention-value", value="много")


async def test_a_list_pasted_into_unsuppress_lifts_each_and_names_what_could_not_be_lifted(
    telegram: TelegramRig,
) -> None:
    anna = await manager(telegram)
    scope = RU("leads-scope-workspace")
    await ask(anna, "/suppress ivan@acme.ru petr@acme.ru spam-sender.ru")

    await anna.send_command("/unsuppress ivan@acme.ru, anna@acme.ru; spam-sender.ru")
    [reply] = await anna.wait_replies()

    lifted, refused = visible(reply.text).split("\n\n")
    assert lifted.split("\n") == [
        RU("leads-unsuppressed", value="ivan@acme.ru", scope=scope),
        RU("leads-unsuppressed", value="spam-sender.ru", scope=scope),
    ]
    assert refused == ERROR_MARK + RU("error-leads-suppression-not-found", value="anna@acme.ru")
    assert await Suppression.filter(value="petr@acme.ru").exists()
    assert not await Suppression.filter(value__in=["ivan@acme.ru", "spam-sender.ru"]).exists()
    single = await ask(anna, "/unsuppress anna@acme.ru")  # one value: refused as before, not as a list
    assert single == ERROR_MARK + RU("error-leads-suppression-not-found", value="anna@acme.ru")


async def test_a_mailbox_named_as_a_mail_client_shows_it_is_found(telegram: TelegramRig) -> None:
    anna = await manager(telegram)
    await alpha_mailbox()

    card = await ask(anna, "/mailbox Анна Петрова <Anna@alpha.example>")  # copied from a mail client's From
    assert card.startswith("anna@alpha.example\n\n")
    paused = await ask(anna, "/mailbox_pause <anna@alpha.example>")
    assert paused == RU("mailbox-paused", address="anna@alpha.example")
    why = await ask(anna, "/why mailto:anna@alpha.example")  # a link copied from a message
    assert RU("error-mailbox-not-found", address="mailto:anna@alpha.example") not in why
    assert RU("error-mailbox-not-found", address="Анна") in await ask(anna, "/mailbox Анна")


async def test_report_mailbox_takes_an_address_as_a_mail_client_shows_it_then_the_period(
    telegram: TelegramRig,
) -> None:
    """'/report_mailbox Анна Петрова <anna@alpha.example> 30d' (the From line copied, then a period) answered
    'extra arguments' (the address was one word, the period the next); the address now runs to its last word with
    an @ and the period is what follows, '7 дней' too."""
    anna = await manager(telegram)
    await alpha_mailbox()
    title = RU("report-title-mailbox", subject="anna@alpha.example", period="")
    for line in (
        "/report_mailbox Анна Петрова <Anna@alpha.example> 30d",
        "/report_mailbox anna@alpha.example 7 дней",
        "/report_mailbox <anna@alpha.example>",
    ):
        reply = await ask(anna, line)
        assert reply.startswith(title.strip()), (line, reply)
    assert "(дней: 30)" in await ask(anna, "/report_mailbox Анна Петрова <Anna@alpha.example> 30d")
    assert RU("error-mailbox-not-found", address="Анна") in await ask(anna, "/report_mailbox Анна 7d")

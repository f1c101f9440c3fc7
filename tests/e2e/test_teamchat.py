"""The chat layer where an agency's team meets it: lists of requests with their buttons, long lists of domains and
workspaces, variant letters and addresses as people type them, and the team itself — invites, roles and
workspaces — in Telegram (the Bot API emulator) and Slack (signed requests to the real bolt app), on real
PostgreSQL and Redis."""

from __future__ import annotations

import datetime as dt

from redis.asyncio import Redis

from bot.telegram.render import ERROR_MARK
from engine.crypto import Vault, generate_key
from engine.i18n import translator
from models import Approval, Campaign, Domain, Mailbox, Membership, Person, Workspace
from models.enums import ApprovalKind, ApprovalStatus, MailboxStatus, MailProvider, Role, TlsMode
from tests.e2e.conftest import NOW, TelegramRig, ask, visible
from tests.e2e.slackrig import CLOCK, join, seen, slack_rig, texts
from tests.harness.slackapi import CHANNEL_ID
from tests.harness.telegram import TelegramUser

RU = translator("ru")
EN = translator("en")
ANNA = 700881
SECRET = Vault([generate_key()]).encrypt("pw")


async def manager(rig: TelegramRig, slug: str = "acme") -> TelegramUser:
    """Anna, a manager of `slug` whose Telegram speaks Russian."""
    await rig.admin(f'/workspace_new {slug} "ООО Ромашка"')
    code = await rig.invite(slug, "manager")
    anna = rig.user(ANNA, first_name="Анна", language_code="ru")
    await anna.send_command(f"/start {code}")
    await anna.wait_replies()
    return anna


async def mailbox(workspace: Workspace, address: str) -> Mailbox:
    domain, _ = await Domain.get_or_create(workspace=workspace, name=address.split("@")[1])
    return await Mailbox.create(
        workspace=workspace, domain=domain, address=address, provider=MailProvider.GENERIC, smtp_host="192.0.2.1",
        smtp_port=587, smtp_tls=TlsMode.STARTTLS, imap_host="192.0.2.1", imap_port=993, imap_tls=TlsMode.IMPLICIT,
        username=address, secret_enc=SECRET, status=MailboxStatus.ACTIVE,
    )  # fmt: skip


async def swap_requests(now: dt.datetime) -> list[int]:
    """Three domain swaps of "acme" waiting for a decision: their approval ids."""
    acme = await Workspace.get(slug="acme")
    ids = []
    for n in range(3):
        domain = await Domain.create(workspace=acme, name=f"burned{n}.example")
        approval = await Approval.create(
            workspace=acme, kind=ApprovalKind.DOMAIN_SWAP, subject=f"domain:{domain.id}",
            payload={"domain": domain.name}, requested_at=now, expires_at=now + dt.timedelta(days=2),
        )  # fmt: skip
        ids.append(approval.id)
    return ids


async def test_slack_approvals_put_each_requests_buttons_under_it_and_a_press_keeps_the_others(
    orm: None, redis: Redis
) -> None:
    async with slack_rig(redis) as slack:
        await join(slack, "U0MGR", "manager")
        ids = await swap_requests(CLOCK.now())

        answer = await slack.command("approvals", user="U0MGR")
        blocks = answer["blocks"]
        kinds = [b["type"] for b in blocks]
        assert kinds == ["header", "section", "actions", "section", "actions", "section", "actions"]
        for n, approval_id in enumerate(ids):  # each row follows the text of its own request
            item, row = blocks[1 + 2 * n], blocks[2 + 2 * n]
            assert f"burned{n}.example" in item["text"]["text"]
            assert {e["value"] for e in row["elements"]} == {str(approval_id)}
        assert len({b["block_id"] for b in blocks if b["type"] == "actions"}) == 3

        message = {"ts": "1700000000.000200", "text": answer.get("text", ""), "blocks": blocks}
        [_, reject] = blocks[4]["elements"]  # the second request's
        pressed = await slack.press(reject, user="U0MGR", channel=CHANNEL_ID, message=message, ephemeral=True)
        assert (await Approval.get(id=ids[1])).status is ApprovalStatus.REJECTED
        after = pressed.body["blocks"]
        assert [b["type"] for b in after] == [
            "header",
            "section",
            "actions",
            "section",
            "section",
            "section",
            "actions",
        ]
        assert after[4]["text"]["text"] == seen(
            EN("approval-rejected", id=ids[1], subject="burned1.example")
        )  # the decision in place of its buttons; the other two keep theirs
        assert [e["value"] for e in after[2]["elements"]] == [str(ids[0])] * 2
        assert [e["value"] for e in after[6]["elements"]] == [str(ids[2])] * 2


async def test_domains_are_listed_in_the_order_people_count_them(telegram: TelegramRig) -> None:
    anna = await manager(telegram)
    acme = await Workspace.get(slug="acme")
    for n in (10, 2, 1, 21, 3):
        await Domain.create(workspace=acme, name=f"d{n}.example")

    text = await ask(anna, "/domains")

    order = [text.index(f"d{n}.example") for n in (1, 2, 3, 10, 21)]
    assert order == sorted(order)


async def test_workspaces_offers_a_button_for_each_of_twenty_clients(telegram: TelegramRig) -> None:
    anna = await manager(telegram)
    person = await Person.get(external_id=str(ANNA))
    for n in range(1, 21):
        client = await Workspace.create(slug=f"client-{n}", name=f"Клиент {n}")
        await Membership.create(person=person, workspace=client, role=Role.MANAGER)

    await anna.send_command("/workspaces")
    [reply] = await anna.wait_replies()

    slugs = [b["text"] for b in reply.buttons]
    assert slugs == [f"client-{n}" for n in range(1, 21)]  # every one but the current, client-2 before client-10
    text = visible(reply.text)
    assert text.index("client-2 —") < text.index("client-10 —")
    assert "/use" not in text


async def test_workspaces_beyond_the_buttons_are_said_to_be_reached_with_use(telegram: TelegramRig) -> None:
    for n in range(66):
        await Workspace.create(slug=f"w{n:02}", name=f"W{n}")

    reply = await telegram.admin("/workspaces")

    assert sum(len(row) for row in reply.buttons) == 60
    assert all(len(row) <= 3 for row in reply.buttons)
    assert RU("workspaces-more", shown=60, count=6) in reply.plain_text()
    assert "w65 — W65" in reply.plain_text()


async def test_a_campaign_group_takes_addresses_pasted_with_their_names(telegram: TelegramRig) -> None:
    anna = await manager(telegram)
    acme = await Workspace.get(slug="acme")
    await mailbox(acme, "anna@alpha.example")
    await mailbox(acme, "petr@alpha.example")
    await mailbox(acme, "box@beta.example")
    await ask(anna, "/campaign_new q1")

    answer = await ask(
        anna, "/campaign_group q1 Анна Петрова <anna@alpha.example>, Пётр <petr@alpha.example> beta.example"
    )

    assert answer.startswith(RU("campaign-group-saved", name="q1"))
    campaign = await Campaign.get(name="q1")
    assert sorted(b.address for b in await campaign.mailboxes.all()) == ["anna@alpha.example", "petr@alpha.example"]
    assert [d.name for d in await campaign.domains.all()] == ["beta.example"]


STEPS_THREE = """/campaign_steps q1
=== вариант А
Тема: Первое
Текст А
=== вариант Б
Тема: Второе
Текст Б
=== вариант В
Тема: Третье
Текст В"""


async def test_a_cyrillic_variant_letter_names_the_variant_the_step_has_or_asks_for_the_latin_one(
    telegram: TelegramRig,
) -> None:
    anna = await manager(telegram)
    await ask(anna, "/campaign_new q1")
    await ask(anna, STEPS_THREE)

    second = await ask(anna, "/campaign_preview q1 Б")
    assert RU("campaign-preview-subject", subject="Второе") in second
    third = await ask(anna, "/campaign_preview q1 1 с")  # the Latin look-alike of C
    assert RU("campaign-preview-subject", subject="Третье") in third
    ambiguous = await ask(anna, "/campaign_preview q1 В")  # three variants: B as a look-alike, C as the alphabet's
    assert ambiguous == ERROR_MARK + RU("error-campaign-variant-ambiguous", typed="В", step=1, choices="B / C")
    assert RU("campaign-preview-subject", subject="Третье") in await ask(anna, "/campaign_preview q1 Г")  # as "AВГ"
    missing = await ask(anna, "/campaign_preview q1 Д")  # D or E: neither here
    assert missing == ERROR_MARK + RU("error-content-variant-not-found", step=1, variant="Д")

    await ask(anna, "/campaign_steps q1\n=== вариант А\nТема: Первое\nТекст\n=== вариант В\nТема: Второе\nТекст")
    two = await ask(anna, "/campaign_preview q1 В")  # two variants: В can only be B
    assert RU("campaign-preview-subject", subject="Второе") in two
    test = await ask(anna, "/campaign_test q1 Анна <anna@acme.example> Б")
    assert test == ERROR_MARK + RU("error-campaign-test-no-identity", name="q1")  # past the letter: no signature yet


async def test_telegram_approvals_keep_the_other_requests_buttons_after_one_is_decided(telegram: TelegramRig) -> None:
    anna = await manager(telegram)
    ids = await swap_requests(NOW)

    await anna.send_command("/approvals")
    [listing] = await anna.wait_replies()
    await anna.press(listing.callback_data(f"{RU('button-reject')} #{ids[1]}"), listing)
    edited, decided = await anna.wait_replies(2)

    assert edited.message_id == listing.message_id
    assert [b["callback_data"] for b in edited.buttons] == [
        f"approve:{ids[0]}",
        f"reject:{ids[0]}",
        f"approve:{ids[2]}",
        f"reject:{ids[2]}",
    ]
    assert visible(decided.text) == RU("approval-rejected", id=ids[1], subject="burned1.example")
    await anna.press(edited.callback_data(f"{RU('button-approve')} #{ids[0]}"), edited)
    last, _ = await anna.wait_replies(2)
    assert [b["callback_data"] for b in last.buttons] == [f"approve:{ids[2]}", f"reject:{ids[2]}"]


GROUP = -100700881


async def test_an_archived_workspace_is_nobodys_current_one_and_its_group_answers_nothing_of_another(
    telegram: TelegramRig,
) -> None:
    """A client gone (its workspace archived): its manager still acted in it — /invite brought people in, /domains
    listed it — and in its group, bound to it alone, a manager of another client was answered with that client's
    data; a code made before the archive still opened it."""
    anna = await manager(telegram, "beta")  # manager of beta, then of acme (current)
    await telegram.admin("/workspace_new acme ACME")
    code = await telegram.invite("acme", "manager")
    await ask(anna, f"/start {code}")
    group = telegram.user(ANNA, chat_id=GROUP, first_name="Анна", language_code="ru")
    await ask(group, "/bind reports")
    client_code = await telegram.invite("acme", "client")
    beta = await Workspace.get(slug="beta")
    await Domain.create(workspace=beta, name="beta-secret.example")
    acme = await Workspace.get(slug="acme")
    gone = await Domain.create(workspace=acme, name="gone.example")
    await Approval.create(
        workspace=acme, kind=ApprovalKind.DOMAIN_SWAP, subject=f"domain:{gone.id}", payload={"domain": gone.name},
        requested_at=NOW, expires_at=NOW + dt.timedelta(days=2),
    )  # fmt: skip
    await Workspace.filter(slug="acme").update(archived_at=NOW)

    answer = await ask(anna, "/domains")  # beta, her one live workspace, is hers to act in now
    assert "beta-secret.example" in answer
    assert "beta —" in await ask(anna, "/workspaces") and "acme" not in await ask(anna, "/workspaces")
    assert await ask(anna, "/approvals") == RU("approvals-none")  # the gone client's request is nobody's to decide
    in_group = await ask(group, "/domains")
    assert "beta-secret.example" not in in_group
    assert in_group == ERROR_MARK + RU("error-chat-archived")
    newcomer = telegram.user(700882, language_code="ru")
    assert await ask(newcomer, f"/start {client_code}") == ERROR_MARK + RU("error-invite-archived")
    assert not await Membership.filter(person__external_id="700882").exists()


async def test_an_invite_opened_twice_by_its_own_person_or_copied_with_its_full_stop_lets_them_in(
    telegram: TelegramRig,
) -> None:
    """A start link tapped twice answered 'this invite code has been used already, ask for a new one' to the person
    who had just joined with it; a code copied from 'Ваш код: Xy7k….' with its full stop was 'not found'."""
    await telegram.admin("/workspace_new acme ACME")
    code = await telegram.invite("acme", "client")
    joined = RU("start-joined", workspace="ACME", slug="acme")
    olga = telegram.user(700883, language_code="ru")
    assert await ask(olga, f"/start {code}") == joined

    assert await ask(olga, f"/start {code}") == joined  # the same link again: still in, nothing new
    other = telegram.user(700884, language_code="ru")
    assert await ask(other, f"/start {code}") == ERROR_MARK + RU("error-invite-used")  # anyone else: spent
    fresh = await telegram.invite("acme", "client")
    assert await ask(other, f"/start «{fresh}».") == joined
    assert await Membership.filter(workspace__slug="acme").count() == 2


async def test_slack_a_code_sent_again_by_its_own_person_lets_them_in_but_not_once_revoked(
    orm: None, redis: Redis
) -> None:
    async with slack_rig(redis) as slack:
        await join(slack, "U0MGR", "manager")
        invite = await slack.command("invite client", user="U0MGR")
        [code] = [t.strip("`") for t in texts(invite["blocks"]) if t.startswith("```")]
        joined = await slack.say(f"join {code}", user="U0CLIENT")
        assert joined == [seen(EN("start-joined", workspace="ACME & Co", slug="acme"))]
        assert await slack.say(f"join {code}", user="U0CLIENT") == joined  # their own code again
        client = await Person.get(external_id="U0CLIENT")
        assert await slack.say(f"revoke {client.id}", user="U0MGR") == [seen(EN("revoke-done", id=client.id))]

        again = await slack.say(f"join {code}", user="U0CLIENT")  # revoked: the old code lets nobody back in
        assert again == [":warning: " + seen(EN("error-invite-used"))]
        assert not await Membership.filter(person__external_id="U0CLIENT").exists()

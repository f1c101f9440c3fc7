"""Telegram end to end: scripted users talk to the real transport through the Bot API emulator, on the real
PostgreSQL and Redis. Each test has its own bot token, so the shared emulator keeps their chats apart."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import re
import time
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
from aiogram.exceptions import TelegramConflictError
from aiogram.fsm.context import FSMContext
from aiohttp import web
from redis.asyncio import Redis

from bot.command import REGISTRY, Access, Arg, Ctx, command
from bot.runner import Runner
from bot.telegram.render import ERROR_MARK, MESSAGE_LIMIT, utf16_length
from bot.telegram.transport import WEBHOOK_BODY_MAX_BYTES, WEBHOOK_PATH
from bot.telegram.updates import CALLBACK_ANSWER_LIMIT, Flow
from engine import approvals
from engine.i18n import translator
from engine.notify import Notification, deliver
from engine.reply import Attachment, Button, Reply
from engine.reports.digest import weekly
from engine.reports.period import previous_week
from engine.uploads import MAX_UPLOAD_BYTES
from models import Approval, AuditLog, Campaign, ChatBinding, Delivery, Domain, Membership, Person, Workspace
from models.enums import ApprovalKind, ApprovalStatus, ChatPurpose, DomainStatus, Platform, Role
from tests.e2e.conftest import WEBHOOK_SECRET, TelegramRig, ask, make_transport, visible
from tests.harness.slackapi import serve
from tests.harness.telegram import BotMessage, TelegramEmulator, TelegramEmulatorError, TelegramUser, new_bot_token

EN = translator("en")
RU = translator("ru")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ANNA, BORIS, CLARA = 700201, 700202, 700203
GROUP = -100700200
REPORT_LINES = [f"{n:04} <box-{n}@alpha.test> & sent={n * 3}" for n in range(400)]
CSV = b"email,name\nann@a.test,Ann\nbob@b.test,Bob\n"


# Commands that exist only for these tests (core has no file command yet). They are registered per test and
# removed afterwards, so no other test (the isolation matrix over every command) ever sees them.


async def _rows(ctx: Ctx, args: dict[str, Any]) -> Reply:
    upload: Attachment = args["file"]
    rows = list(csv.reader(io.StringIO(upload.content.decode())))
    reply = Reply().add(f"{upload.filename}: {len(rows) - 1} rows")
    reply.files.append(Attachment("checked.csv", upload.content))
    return reply


async def _long_report(ctx: Ctx, args: dict[str, Any]) -> Reply:
    reply = Reply().add("Fleet <report>", "title").add("\n".join(REPORT_LINES), "pre").add("End & done")
    reply.buttons = [[Button("acme", "use", "acme")]]
    return reply


async def _value_button(ctx: Ctx, args: dict[str, Any]) -> Reply:
    reply = Reply().add("A button that carries a value instead of an id")
    reply.buttons = [[Button("go", "use", "x" * 70)]]
    return reply


LONG_REFUSAL = "This cannot be done: " + " ".join(f"reason-{n}" for n in range(60)) + " THE END"


EMOJI_REFUSAL = "Not for the lead company " + "🚀" * 80 + " — already decided."
"""Fewer than 200 characters, more than 200 UTF-16 units: as Telegram counts, too long for a pop-up."""


async def _offer_refusal(ctx: Ctx, args: dict[str, Any]) -> Reply:
    reply = Reply().add("A button whose command is refused at length")
    reply.buttons = [[Button("try", "refuse_long", "1"), Button("emoji", "refuse_long", "emoji")]]
    return reply


async def _refuse_long(ctx: Ctx, args: dict[str, Any]) -> Reply:
    return Reply(ok=False).add(EMOJI_REFUSAL if args["n"] == "emoji" else LONG_REFUSAL, "error")


TEST_COMMANDS = ("rows", "manage_rows", "long_report", "value_button", "slow", "offer_refusal", "refuse_long")


@pytest.fixture(autouse=True)
def test_commands() -> Iterator[None]:
    command("rows", Access.PUBLIC, Arg("file", kind="file"))(_rows)
    command("manage_rows", Access.MANAGE, Arg("file", kind="file"))(_rows)
    command("long_report", Access.PUBLIC)(_long_report)
    command("value_button", Access.PUBLIC)(_value_button)
    command("offer_refusal", Access.PUBLIC)(_offer_refusal)
    command("refuse_long", Access.PUBLIC, Arg("n"))(_refuse_long)
    try:
        yield
    finally:
        for name in TEST_COMMANDS:  # "slow" is declared by its test
            REGISTRY.pop(name, None)


# Helpers ------------------------------------------------------------------------------------------------------


async def member(rig: TelegramRig, user_id: int, role: str, *, first_name: str = "Tester") -> TelegramUser:
    """A person who joined the workspace acme with `role` by `/start <code>`."""
    code = await rig.invite("acme", role)
    user = rig.user(user_id, first_name=first_name)
    await ask(user, f"/start {code}")
    return user


async def request_approval(rig: TelegramRig) -> tuple[Approval, str, str]:
    """A pending domain-swap approval in acme, delivered to every chat bound for alerts; its button labels."""
    workspace = await Workspace.get(slug="acme")
    approval = await approvals.request(workspace.id, ApprovalKind.DOMAIN_SWAP, "alpha.test", {}, clock=rig.clock)
    assert approval is not None
    # The approval request's own message keys come with the feature that raises approvals (domain swap);
    # any catalog message shows the delivery path.
    note = Notification(
        f"approval:{approval.id}",
        workspace.id,
        ChatPurpose.ALERTS,
        "workspace-title",
        "workspace-title",
        {"name": "Swap alpha.test", "slug": "domain_swap"},
        [("button-approve", "approve", str(approval.id)), ("button-reject", "reject", str(approval.id))],
    )
    report = await deliver(note, {Platform.TELEGRAM: rig.transport.notifier}, rig.redis, rig.clock)
    assert report.sent and not report.deferred
    t = translator(workspace.locale)
    return approval, t("button-approve"), t("button-reject")


def state_of(rig: TelegramRig, user: TelegramUser) -> FSMContext:
    """The guided flow's state for this person in this chat, as the transport stores it in Redis."""
    return rig.transport.dispatcher.fsm.get_context(rig.transport.bot, chat_id=user.chat_id, user_id=user.user["id"])


# Getting in -----------------------------------------------------------------------------------------------------


async def test_start_with_an_invite_binds_the_person_to_the_workspace(telegram: TelegramRig) -> None:
    await telegram.admin('/workspace_new acme "ACME Ltd"')
    code = await telegram.invite("acme", "manager")
    anna = telegram.user(ANNA, first_name="Anna")

    assert await ask(anna, f"/start {code}") == EN("start-joined", workspace="ACME Ltd", slug="acme")
    assert await ask(anna, "/whoami") == EN(
        "whoami", platform=EN("platform-telegram"), id=str(ANNA), role=EN("role-manager"), workspace="acme"
    )
    person = await Person.get(platform=Platform.TELEGRAM, external_id=str(ANNA))
    assert person.display_name == "Anna"
    assert (await Membership.get(person=person)).role is Role.MANAGER
    assert await ask(telegram.user(BORIS), f"/start {code}") == ERROR_MARK + EN("error-invite-used")


async def test_an_unknown_person_is_greeted_and_only_start_works(telegram: TelegramRig) -> None:
    stranger = telegram.user(BORIS)
    assert await ask(stranger, "/start") == EN("start-unknown")
    for line, name in (("/invite client", "invite"), ("/workspace_new beta", "workspace_new"), ("/members", "members")):
        assert await ask(stranger, line) == ERROR_MARK + EN("error-not-registered", command=name)
    await stranger.send_text("hello?")
    [hint] = await stranger.wait_replies()
    assert visible(hint.text) == EN("telegram-text-hint")
    assert await Membership.all().count() == 0


async def test_a_client_may_read_but_not_run_a_manager_command(telegram: TelegramRig) -> None:
    await telegram.admin("/workspace_new acme ACME")
    clara = await member(telegram, CLARA, "client")
    assert await ask(clara, "/invite client") == ERROR_MARK + EN("error-forbidden", command="invite")
    assert (await ask(clara, "/workspace")).startswith(EN("workspace-title", name="ACME", slug="acme"))


async def test_a_client_is_not_pointed_at_commands_their_role_does_not_allow(telegram: TelegramRig) -> None:
    """A client asking about a domain not in their workspace was told "List: /domains", and one with no campaigns
    "Create one: /campaign_new", both commands their role refuses. Their answers stop at what they may do."""
    await telegram.admin("/workspace_new acme ACME")
    clara = await member(telegram, CLARA, "client")
    for line in ("/health other-mail.test", "/warmup other-mail.test"):
        assert await ask(clara, line) == ERROR_MARK + EN("error-domain-not-found", name="other-mail.test")
    assert await ask(clara, "/campaigns") == EN("campaigns-none-client")
    anna = await member(telegram, ANNA, "manager")
    assert await ask(anna, "/health other-mail.test") == ERROR_MARK + EN(
        "error-domain-not-found-manage", name="other-mail.test"
    )
    assert await ask(anna, "/campaigns") == EN("campaigns-none")
    assert "/domains" not in EN("error-domain-not-found", name="x")
    assert "/campaign_new" not in EN("campaigns-none-client")


async def test_lang_switches_the_replies_to_english(telegram: TelegramRig) -> None:
    boris = telegram.user(BORIS, language_code="ru")
    assert await ask(boris, "/start") == RU("start-unknown")
    assert await ask(boris, "/lang en") == EN("lang-set")
    assert await ask(boris, "/start") == EN("start-unknown")


async def test_the_command_menu_is_published_in_both_languages(telegram: TelegramRig) -> None:
    for language, t in (("ru", RU), ("en", EN), (None, RU)):
        menu = {c.command: c.description for c in await telegram.transport.bot.get_my_commands(language_code=language)}
        assert menu["help"] == t("cmd-help")
        assert menu["use"] == t("cmd-use")
        assert "workspace_new" not in menu and "invite" not in menu  # the default menu is the public commands
        assert menu["cancel"] == t("telegram-cmd-cancel")
        assert "approve" not in menu and "join" not in menu


async def test_a_command_for_another_bot_in_a_group_is_left_alone(telegram: TelegramRig) -> None:
    group = telegram.user(ANNA, chat_id=GROUP)
    await group.send_command("/start@someone_else_bot")
    await group.assert_no_replies(within=0.3)
    assert await ask(group, "/start@mailfleet_test_bot") == EN("start-unknown")


# Workspaces and buttons -----------------------------------------------------------------------------------------


async def test_a_manager_creates_a_workspace_and_switches_back_with_a_button(telegram: TelegramRig) -> None:
    await telegram.admin("/workspace_new acme ACME")
    anna = await member(telegram, ANNA, "manager")
    assert await ask(anna, '/workspace_new beta "Beta LLC"') == EN("workspace-created", slug="beta", name="Beta LLC")
    await anna.send_command("/workspaces")
    [listing] = await anna.wait_replies()
    assert [b["text"] for b in listing.buttons] == ["acme"]

    query = await anna.press(listing.callback_data("acme"), listing)
    assert await anna.wait_callback_answer(query) == {"callback_query_id": query, "show_alert": False}
    edited, result = await anna.wait_replies(2)
    assert (edited.message_id, edited.edited, edited.buttons) == (listing.message_id, True, [])
    assert visible(result.text) == EN("use-done", slug="acme", name="ACME")
    assert await ask(anna, "/whoami") == EN(
        "whoami", platform=EN("platform-telegram"), id=str(ANNA), role=EN("role-manager"), workspace="acme"
    )


async def test_an_approval_button_decides_once(telegram: TelegramRig) -> None:
    await telegram.admin("/workspace_new acme ACME")
    anna = await member(telegram, ANNA, "manager", first_name="Anna")
    group = telegram.user(ANNA, chat_id=GROUP, first_name="Anna")
    done = EN("bind-done", workspace="ACME", slug="acme", purposes=EN("purpose-alerts"))  # it named no workspace
    assert await ask(anna, "/bind alerts") == done
    assert await ask(group, "/bind alerts") == done
    approval, approve, reject = await request_approval(telegram)
    [in_private] = await anna.wait_replies()
    [in_group] = await group.wait_replies()
    assert [b["text"] for b in in_group.buttons] == [approve, reject]
    assert in_group.callback_data(approve) == f"approve:{approval.id}"
    delivered = await Delivery.get(chat_id=str(GROUP))
    assert delivered.external_id == str(in_group.message_id)

    query = await group.press(in_group.callback_data(approve), in_group)
    assert (await group.wait_callback_answer(query))["show_alert"] is False
    edited, result = await group.wait_replies(2)
    assert (edited.message_id, edited.buttons) == (in_group.message_id, [])
    assert visible(result.text) == EN("approval-approved", id=approval.id, subject="alpha.test")
    decided = await Approval.get(id=approval.id)
    anna_person = await Person.get(platform=Platform.TELEGRAM, external_id=str(ANNA))
    assert (decided.status, decided.decided_via) == (ApprovalStatus.APPROVED, Platform.TELEGRAM)
    assert decided.decided_by_id == anna_person.id  # type: ignore[attr-defined]

    # the same request in the other chat: pressing Reject there now only says who decided
    query = await anna.press(in_private.callback_data(reject), in_private)
    answer = await anna.wait_callback_answer(query)
    assert answer["show_alert"] is True
    assert answer["text"] == EN("error-approval-decided", id=approval.id, status="approved", who="Anna", via="telegram")
    await anna.assert_no_replies(within=0.3)
    again = await Approval.get(id=approval.id)
    assert (again.status, again.decided_at) == (ApprovalStatus.APPROVED, decided.decided_at)
    assert await AuditLog.filter(action="approval.decide").count() == 1


async def test_a_clients_chat_is_bound_for_the_weekly_report_only(telegram: TelegramRig) -> None:
    """An agency bound its client's group for reports, and the client read the managers' daily digest and could
    have been sent approval requests. `/bind client` makes the group the client's chat, in words: the weekly client
    report reaches it (once, however often the job runs), an approval request does not; a client may not rebind it."""
    await telegram.admin("/workspace_new acme ACME")
    anna = await member(telegram, ANNA, "manager", first_name="Anna")
    await member(telegram, CLARA, "client", first_name="Clara")
    assert await ask(anna, "/bind alerts") == EN(
        "bind-done", workspace="ACME", slug="acme", purposes=EN("purpose-alerts")
    )
    group = telegram.user(ANNA, chat_id=GROUP, first_name="Anna")
    both = f"{EN('purpose-alerts')}, {EN('purpose-reports')}"
    assert await ask(group, "/bind all") == EN("bind-done", workspace="ACME", slug="acme", purposes=both)
    done = EN("bind-done", workspace="ACME", slug="acme", purposes=EN("purpose-client"))
    assert await ask(group, "/bind client") == done
    assert EN("purpose-client") not in (EN("purpose-alerts"), EN("purpose-reports"))
    clara = telegram.user(CLARA, chat_id=GROUP, first_name="Clara")
    assert await ask(clara, "/bind alerts") == ERROR_MARK + EN("error-forbidden", command="bind")
    assert (await ChatBinding.get(chat_id=str(GROUP))).purposes == ["client"]

    await request_approval(telegram)
    await anna.wait_replies()  # the managers' chat has it
    await group.assert_no_replies(within=0.3)
    workspace = await Workspace.get(slug="acme")
    week = previous_week(dt.date(2026, 11, 16))
    note = await weekly(workspace, week)
    notifiers = {Platform.TELEGRAM: telegram.transport.notifier}
    assert (await deliver(note, notifiers, telegram.redis, telegram.clock)).sent == [f"telegram:{GROUP}"]
    again = await deliver(note, notifiers, telegram.redis, telegram.clock)  # a retried job
    assert (again.sent, again.duplicate) == ([], [f"telegram:{GROUP}"])
    [report] = await group.wait_replies()
    title = translator(workspace.locale)("digest-weekly-title", subject="ACME", start="2026-11-09", end="2026-11-15")
    assert visible(report.text).startswith(title)
    await anna.assert_no_replies(within=0.3)


async def test_a_bound_group_hears_only_about_its_own_workspace(telegram: TelegramRig) -> None:
    """Anna manages two clients. In ACME's client group, with RIVAL her current workspace, /domains and /campaigns
    posted RIVAL's domains and campaign names for ACME's client to read, and /approvals, /approve and /workspace
    reached RIVAL whatever her current workspace. In a group bound to a workspace, its members act in that
    workspace only (their current one stays as it is); someone with no role there is refused."""
    await telegram.admin("/workspace_new rival RIVAL")
    await telegram.admin("/workspace_new acme ACME")
    for slug in ("acme", "rival"):
        workspace = await Workspace.get(slug=slug)
        await Domain.create(workspace=workspace, name=f"{slug}-mail.test", status=DomainStatus.ACTIVE)
        await Campaign.create(workspace=workspace, name=f"{slug}-spring")
    anna = await member(telegram, ANNA, "manager", first_name="Anna")
    await ask(anna, f"/start {await telegram.invite('rival', 'manager')}")
    boris = telegram.user(BORIS, first_name="Boris")
    await ask(boris, f"/start {await telegram.invite('rival', 'manager')}")
    await member(telegram, CLARA, "client", first_name="Clara")
    group = telegram.user(ANNA, chat_id=GROUP, first_name="Anna")
    await ask(group, "/use acme")
    await ask(group, "/bind client")
    assert await ask(anna, "/use rival") == EN("use-done", slug="rival", name="RIVAL")  # not in ACME's group

    domains = await ask(group, "/domains")
    assert "acme-mail.test" in domains and "rival-mail.test" not in domains
    campaigns = await ask(group, "/campaigns")
    assert "acme-spring" in campaigns and "rival-spring" not in campaigns
    assert "rival-mail.test" in await ask(anna, "/domains")  # her own chat: her current workspace
    rival = await Workspace.get(slug="rival")
    approval = await approvals.request(rival.id, ApprovalKind.DOMAIN_SWAP, "rival-mail.test", {}, clock=telegram.clock)
    assert approval is not None
    assert "rival-mail.test" in await ask(anna, "/approvals")
    assert "rival-mail.test" not in await ask(group, "/approvals")
    assert await ask(group, f"/approve {approval.id}") == ERROR_MARK + EN("error-approval-not-found", id=approval.id)
    assert (await Approval.get(id=approval.id)).status is ApprovalStatus.PENDING
    assert await ask(group, "/workspace rival") == ERROR_MARK + EN("error-workspace-not-found", slug="rival")
    in_group = telegram.user(BORIS, chat_id=GROUP, first_name="Boris")  # RIVAL's manager only
    assert await ask(in_group, "/domains") == ERROR_MARK + EN("error-chat-not-yours")
    clara = telegram.user(CLARA, chat_id=GROUP, first_name="Clara")
    assert "ACME" in await ask(clara, "/report")
    assert await ask(clara, "/domains") == ERROR_MARK + EN("error-forbidden", command="domains")


async def test_a_managers_group_of_two_workspaces_decides_either_ones_approvals(telegram: TelegramRig) -> None:
    """A group bound to both of Anna's workspaces is confined to those two: an approval of the one that is not
    her current workspace is still hers to decide there."""
    await telegram.admin("/workspace_new rival RIVAL")
    await telegram.admin("/workspace_new acme ACME")
    anna = await member(telegram, ANNA, "manager", first_name="Anna")
    await ask(anna, f"/start {await telegram.invite('rival', 'manager')}")
    team = telegram.user(ANNA, chat_id=GROUP, first_name="Anna")
    for slug in ("rival", "acme"):
        await ask(anna, f"/use {slug}")  # in her private chat: the group chooses among its own workspaces only
        done = EN("bind-done", workspace=slug.upper(), slug=slug, purposes=EN("purpose-alerts"))
        assert await ask(team, "/bind alerts") == done
    rival = await Workspace.get(slug="rival")
    approval = await approvals.request(rival.id, ApprovalKind.DOMAIN_SWAP, "rival-mail.test", {}, clock=telegram.clock)
    assert approval is not None
    assert "rival-mail.test" in await ask(team, "/approvals")
    rejected = EN("approval-rejected", id=approval.id, subject="rival-mail.test")
    assert await ask(team, f"/reject {approval.id}") == rejected


async def test_a_bound_group_names_only_its_own_workspaces(telegram: TelegramRig) -> None:
    """In ACME's client group, Anna's /workspaces listed her other clients by name and slug, /whoami named her
    current one, RIVAL, and /use rival switched to it there, naming it for ACME's client to read. In a bound group
    they list, show and choose the group's workspaces only; her private chat still has them all. In a group of two
    of her workspaces, none of them current, /workspaces and /use choose between the two, as the refusal of other
    commands there advises."""
    for slug in ("rival", "acme", "beta"):
        await telegram.admin(f"/workspace_new {slug} {slug.upper()}")
    anna = await member(telegram, ANNA, "manager", first_name="Anna")
    for slug in ("rival", "beta"):
        await ask(anna, f"/start {await telegram.invite(slug, 'manager')}")
    group = telegram.user(ANNA, chat_id=GROUP, first_name="Anna")
    await ask(anna, "/use acme")
    await ask(group, "/bind client")
    await ask(anna, "/use rival")

    listed = await ask(group, "/workspaces")
    assert "acme — ACME" in listed and "rival" not in listed.lower() and "beta" not in listed.lower(), listed
    role = EN("role-manager")
    assert await ask(group, "/whoami") == EN("whoami", platform="Telegram", id=ANNA, role=role, workspace="acme")
    for slug in ("rival", "nosuch"):  # whether it exists or not
        assert await ask(group, f"/use {slug}") == ERROR_MARK + EN("error-chat-use-private")
    assert (await Person.get(external_id=str(ANNA))).current_workspace_id == (await Workspace.get(slug="rival")).id
    mine = await ask(anna, "/workspaces")
    assert "acme" in mine and "rival" in mine and "beta" in mine

    team = telegram.user(ANNA, chat_id=GROUP - 1, first_name="Anna")
    for slug in ("beta", "acme"):
        await ask(anna, f"/use {slug}")
        await ask(team, "/bind alerts")
    await ask(anna, "/use rival")
    assert await ask(team, "/domains") == ERROR_MARK + EN("error-chat-choose-workspace")
    listed = await ask(team, "/workspaces")
    assert "acme — ACME" in listed and "beta — BETA" in listed and "rival" not in listed.lower(), listed
    assert await ask(team, "/use beta") == EN("use-done", slug="beta", name="BETA")
    assert "rival" not in (await ask(team, "/whoami")).lower()


async def test_a_group_is_listed_and_disconnected_from_inside_it(telegram: TelegramRig) -> None:
    """/chats in a group marks the group among the workspace's chats; /unbind there disconnects it, and pressing
    it twice is answered in words, not with an error trace."""
    await telegram.admin("/workspace_new acme ACME")
    anna = await member(telegram, ANNA, "manager", first_name="Anna")
    group = telegram.user(ANNA, chat_id=GROUP, first_name="Anna")
    await ask(group, "/bind alerts")
    await ask(anna, "/bind reports")
    listed = await ask(group, "/chats")
    binding = await ChatBinding.get(chat_id=str(GROUP))
    assert f"#{binding.id} Telegram {GROUP} (this chat) — {EN('purpose-alerts')}" in listed, listed
    assert f"Telegram {ANNA} — {EN('purpose-reports')}" in listed
    done = await ask(group, "/unbind")
    assert done == 'This chat no longer receives the alerts and reports of the workspace "ACME" (acme).'
    assert await ask(group, "/unbind") == ERROR_MARK + EN("error-unbind-not-bound")
    assert await ChatBinding.filter(chat_id=str(GROUP)).count() == 0 and await ChatBinding.exists(chat_id=str(ANNA))


async def test_a_refusal_too_long_for_a_pop_up_is_sent_whole_as_a_message(telegram: TelegramRig) -> None:
    """Telegram cuts a button's pop-up at 200 characters: a longer answer is given whole as a message, and the
    pop-up starts it and says where the rest is."""
    anna = telegram.user(ANNA, first_name="Anna")
    await anna.send_command("/offer_refusal")
    [offer] = await anna.wait_replies()
    assert len(LONG_REFUSAL) > CALLBACK_ANSWER_LIMIT

    query = await anna.press(offer.callback_data("try"), offer)

    answer = await anna.wait_callback_answer(query)
    assert answer["show_alert"] is True and len(answer["text"]) <= CALLBACK_ANSWER_LIMIT
    assert (
        answer["text"].startswith("This cannot be done: reason-0") and EN("telegram-answer-in-chat") in answer["text"]
    )
    [whole] = await anna.wait_replies()
    assert visible(whole.text) == ERROR_MARK + LONG_REFUSAL


async def test_a_refusal_of_emoji_too_long_for_a_pop_up_in_utf16_units_is_sent_whole(telegram: TelegramRig) -> None:
    """Telegram counts a pop-up's 200 in UTF-16 units and refuses a longer one: a refusal of fewer characters
    but more units (emoji in a name) is started in the pop-up, never cut inside an emoji, and sent whole."""
    anna = telegram.user(ANNA, first_name="Anna")
    await anna.send_command("/offer_refusal")
    [offer] = await anna.wait_replies()
    assert len(EMOJI_REFUSAL) <= CALLBACK_ANSWER_LIMIT < utf16_length(EMOJI_REFUSAL)

    query = await anna.press(offer.callback_data("emoji"), offer)

    answer = await anna.wait_callback_answer(query)
    assert answer["show_alert"] is True and utf16_length(answer["text"]) <= CALLBACK_ANSWER_LIMIT
    start, _, hint = answer["text"].partition("\n\n")
    assert EMOJI_REFUSAL.startswith(start.removesuffix("…")) and hint == EN("telegram-answer-in-chat")
    [whole] = await anna.wait_replies()
    assert visible(whole.text) == ERROR_MARK + EMOJI_REFUSAL


async def test_a_double_click_on_approve_acts_once(telegram: TelegramRig) -> None:
    await telegram.admin("/workspace_new acme ACME")
    anna = await member(telegram, ANNA, "manager", first_name="Anna")
    await ask(anna, "/bind alerts")
    approval, approve, _ = await request_approval(telegram)
    [message] = await anna.wait_replies()
    data = message.callback_data(approve)

    presses = await asyncio.gather(anna.press(data, message), anna.press(data, message), return_exceptions=True)
    # the emulator refuses a press once the keyboard is gone, as a Telegram client would not show it
    assert all(isinstance(p, str | TelegramEmulatorError) for p in presses), presses
    answers = [await anna.wait_callback_answer(q) for q in presses if isinstance(q, str)]
    assert sorted(a["show_alert"] for a in answers) == [False, True][: len(answers)]
    edited, result = await anna.wait_replies(2)
    assert edited.buttons == []
    assert visible(result.text) == EN("approval-approved", id=approval.id, subject="alpha.test")
    await anna.assert_no_replies(within=0.3)
    assert await AuditLog.filter(action="approval.decide").count() == 1


async def test_a_chat_that_cannot_receive_notifications_is_reported_not_retried(telegram: TelegramRig) -> None:
    await telegram.admin("/workspace_new acme ACME")
    anna = await member(telegram, ANNA, "manager")
    await ask(anna, "/bind alerts")
    workspace = await Workspace.get(slug="acme")
    await ChatBinding.create(workspace=workspace, platform=Platform.TELEGRAM, chat_id="gone", purposes=["alerts"])
    note = Notification("alert:1", workspace.id, ChatPurpose.ALERTS, "workspace-title", "workspace-title")
    report = await deliver(note, {Platform.TELEGRAM: telegram.transport.notifier}, telegram.redis, telegram.clock)
    assert (report.sent, report.failed) == ([f"telegram:{ANNA}"], ["telegram:gone"])
    [alert] = await anna.wait_replies()
    assert alert.text is not None and alert.text.startswith("<b>")


async def test_a_button_carrying_more_than_64_bytes_is_a_reported_error(
    telegram: TelegramRig, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    text = await ask(telegram.user(BORIS), "/value_button")
    expected = re.escape(ERROR_MARK + EN("error-internal", ref="REF")).replace("REF", "([0-9a-f]{8})")
    match = re.fullmatch(expected, text)
    assert match, text
    logged = caplog.text + capsys.readouterr().out
    assert match[1] in logged and "ValueError" in logged
    assert telegram.token.split(":")[1] not in logged


# Documents and the guided flow ----------------------------------------------------------------------------------


async def test_a_csv_with_the_command_as_caption_becomes_its_file_argument(telegram: TelegramRig) -> None:
    boris = telegram.user(BORIS)
    await boris.upload_document("лиды.csv", CSV, caption="/rows")
    text, document = await boris.wait_replies(2)
    assert visible(text.text) == "лиды.csv: 2 rows"
    assert document.document is not None and document.document["file_name"] == "checked.csv"
    assert await boris.download(document) == CSV


async def test_a_command_without_its_file_asks_for_it_and_takes_the_next_upload(telegram: TelegramRig) -> None:
    boris = telegram.user(BORIS)
    question = await ask(boris, "/rows")
    assert question == EN("error-file-missing", command="rows", arg="file", usage="/rows") + "\n\n" + EN(
        "telegram-awaiting"
    )
    assert await state_of(telegram, boris).get_state() == Flow.awaiting.state
    await boris.upload_document("leads.csv", CSV)
    text, _document = await boris.wait_replies(2)
    assert visible(text.text) == "leads.csv: 2 rows"
    assert await state_of(telegram, boris).get_state() is None


async def test_a_missing_argument_is_asked_for_and_the_answer_completes_the_command(telegram: TelegramRig) -> None:
    await telegram.admin("/workspace_new acme ACME")
    anna = await member(telegram, ANNA, "manager")
    usage = '/workspace_new acme "ACME Ltd"'
    expected = EN("error-arg-missing", command="workspace_new", arg="name", usage=usage)  # arg-workspace-new-slug
    assert await ask(anna, "/workspace_new") == expected + "\n\n" + EN("telegram-awaiting")
    await anna.send_text('beta "Beta LLC"')
    [created] = await anna.wait_replies()
    assert visible(created.text) == EN("workspace-created", slug="beta", name="Beta LLC")
    await anna.send_text("more chatter")
    [hint] = await anna.wait_replies()
    assert visible(hint.text) == EN("telegram-text-hint")


async def test_a_refused_answer_keeps_the_question_open_for_a_corrected_one(telegram: TelegramRig) -> None:
    """A wrong answer is told as an error and the question stays: the corrected answer completes the command
    (it once got "I understand commands", the question gone with the refusal)."""
    await telegram.admin("/workspace_new acme ACME")
    anna = await member(telegram, ANNA, "manager")
    await ask(anna, "/workspace_new")
    await anna.send_text("acme Again")
    refused = visible((await anna.wait_replies())[0].text)
    assert refused == ERROR_MARK + EN("error-workspace-exists", slug="acme") + "\n\n" + EN("telegram-answer-again")
    assert await state_of(telegram, anna).get_state() == Flow.awaiting.state
    await anna.send_text('beta "Beta LLC"')
    [created] = await anna.wait_replies()
    assert visible(created.text) == EN("workspace-created", slug="beta", name="Beta LLC")
    assert await state_of(telegram, anna).get_state() is None


async def test_cancel_drops_the_question(telegram: TelegramRig) -> None:
    boris = telegram.user(BORIS)
    await ask(boris, "/rows")
    assert await ask(boris, "/cancel") == EN("telegram-cancelled")
    assert await state_of(telegram, boris).get_state() is None
    await boris.upload_document("leads.csv", CSV)
    [refused] = await boris.wait_replies()
    assert visible(refused.text) == ERROR_MARK + EN("telegram-document-no-command")
    assert await ask(boris, "/cancel") == EN("telegram-nothing-to-cancel")


@pytest.mark.parametrize("transport_options", [{"max_file_bytes": 1024}])
async def test_a_file_over_the_limit_is_refused_with_the_sizes(telegram: TelegramRig) -> None:
    boris = telegram.user(BORIS)
    await boris.upload_document("big.csv", CSV * 40, caption="/rows")
    [refused] = await boris.wait_replies()
    assert visible(refused.text) == ERROR_MARK + EN("telegram-file-too-large", name="big.csv", size_kb=2, limit_kb=1)
    await boris.assert_no_replies(within=0.3)


# Telegram's limits ----------------------------------------------------------------------------------------------


async def test_a_long_reply_is_split_below_the_limit_with_the_keyboard_on_the_last_part(telegram: TelegramRig) -> None:
    boris = telegram.user(BORIS)
    await boris.send_command("/long_report")
    parts: list[BotMessage] = []
    while not parts or not parts[-1].buttons:
        parts += await boris.wait_replies()
    await boris.assert_no_replies(within=0.3)
    assert len(parts) >= 4
    assert all(utf16_length(p.text or "") <= MESSAGE_LIMIT for p in parts)
    assert all((p.text or "").count("<pre>") == (p.text or "").count("</pre>") for p in parts)
    assert [p.buttons for p in parts[:-1]] == [[]] * (len(parts) - 1)
    lines = [line for p in parts for line in visible(p.text).split("\n") if line]
    assert lines == ["Fleet <report>", *REPORT_LINES, "End & done"]


async def test_stopping_lets_a_reply_in_flight_finish(telegram: TelegramRig) -> None:
    started = asyncio.Event()

    @command("slow", Access.PUBLIC)
    async def slow(ctx: Ctx, args: dict[str, Any]) -> Reply:
        started.set()
        await asyncio.sleep(1)
        return Reply().add("slow done")

    boris = telegram.user(BORIS)
    await boris.send_command("/slow")
    await asyncio.wait_for(started.wait(), 5)
    await telegram.transport.stop()
    [reply] = await boris.wait_replies(timeout=0.1)  # already sent when stop() returned
    assert visible(reply.text) == "slow done"


# Webhook mode ---------------------------------------------------------------------------------------------------


def _update(user_id: int, text: str) -> dict[str, Any]:
    person = {"id": user_id, "is_bot": False, "first_name": "Webhook", "language_code": "en"}
    return {
        "update_id": 1,
        "message": {
            "message_id": 1,
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": "Webhook"},
            "from": person,
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split(maxsplit=1)[0])}],
        },
    }


async def test_the_webhook_acts_only_on_requests_with_the_secret(
    emulator: TelegramEmulator, runner: Runner, redis: Redis
) -> None:
    token = new_bot_token()
    transport = make_transport(emulator, runner, redis, token)
    app = web.Application()
    transport.register_webhook(app)
    update = _update(BORIS, "/whoami")
    try:
        async with serve(app) as base, aiohttp.ClientSession() as http, TelegramUser(emulator, token, BORIS) as boris:
            for headers in ({}, {SECRET_HEADER: "not-the-secret"}):
                async with http.post(base + WEBHOOK_PATH, json=update, headers=headers) as resp:
                    assert resp.status == 401
            await boris.assert_no_replies(within=0.3)
            assert await Person.all().count() == 0

            async with http.post(base + WEBHOOK_PATH, json=update, headers={SECRET_HEADER: WEBHOOK_SECRET}) as resp:
                assert resp.status == 200
            [reply] = await boris.wait_replies()
            assert visible(reply.text) == EN(
                "whoami", platform=EN("platform-telegram"), id=str(BORIS), role=EN("role-none"), workspace="-"
            )
            assert await Person.filter(external_id=str(BORIS)).count() == 1
    finally:
        await transport.stop()


async def test_set_webhook_registers_it_and_publishes_the_menu(
    emulator: TelegramEmulator, runner: Runner, redis: Redis
) -> None:
    transport = make_transport(emulator, runner, redis, new_bot_token())
    try:
        await transport.set_webhook("https://mailfleet.example" + WEBHOOK_PATH)
        with pytest.raises(TelegramConflictError, match="webhook is active"):
            await transport.bot.get_updates()
        menu = await transport.bot.get_my_commands(language_code="en")
        assert "use" in {c.command for c in menu}
    finally:
        await transport.bot.delete_webhook()
        await transport.stop()


# Attacks and platform limits --------------------------------------------------------------------------------------


async def test_a_late_button_press_still_runs(telegram: TelegramRig) -> None:
    await telegram.admin("/workspace_new acme ACME")
    anna = await member(telegram, ANNA, "manager")
    await ask(anna, "/workspace_new beta Beta")
    await anna.send_command("/workspaces")
    [listing] = await anna.wait_replies()
    await anna.press(listing.callback_data("acme"), listing, too_old=True)  # Telegram refuses the answer
    edited, result = await anna.wait_replies(2)
    assert (edited.message_id, edited.buttons) == (listing.message_id, [])
    assert visible(result.text) == EN("use-done", slug="acme", name="ACME")
    await anna.assert_no_replies(within=0.3)  # no "something went wrong" after it


async def test_a_late_press_that_is_refused_says_why_in_the_chat(telegram: TelegramRig) -> None:
    await telegram.admin("/workspace_new acme ACME")
    anna = await member(telegram, ANNA, "manager", first_name="Anna")
    team = telegram.user(ANNA, chat_id=-100500900, first_name="Anna")  # Anna in the team's group
    await ask(team, "/bind alerts")
    approval, _approve, reject = await request_approval(telegram)
    [message] = await team.wait_replies()
    await telegram.admin(f"/approve {approval.id}")  # decided meanwhile, elsewhere
    await team.press(message.callback_data(reject), message, too_old=True)  # no pop-up can carry the refusal
    [refusal] = await anna.wait_replies()  # said to her alone, in her private chat with the bot
    await team.assert_no_replies()  # never to the whole group
    decided = EN("error-approval-decided", id=approval.id, status="approved", who="admin", via="console")
    assert visible(refusal.text) == ERROR_MARK + decided
    assert (await Approval.get(id=approval.id)).status is ApprovalStatus.APPROVED


async def test_a_document_for_a_command_the_person_may_not_run_is_not_downloaded(telegram: TelegramRig) -> None:
    stranger = telegram.user(BORIS)
    await stranger.upload_document("leads.csv", CSV, caption="/manage_rows")
    [refused] = await stranger.wait_replies()
    assert visible(refused.text) == ERROR_MARK + EN("error-not-registered")
    assert await stranger.bot_downloads() == []
    await stranger.upload_document("leads.csv", CSV, caption="/rows")  # one that anyone may run is fetched
    text, _document = await stranger.wait_replies(2)
    assert visible(text.text) == "leads.csv: 2 rows"
    assert len(await stranger.bot_downloads()) == 1


async def test_a_document_bigger_than_it_says_is_cut_off_at_the_limit(telegram: TelegramRig) -> None:
    boris = telegram.user(BORIS)
    big = b"email,name\n" * (MAX_UPLOAD_BYTES // 10)  # just over 2 MiB, declared as 100 bytes
    await boris.upload_document("big.csv", big, caption="/rows", declared_size=100)
    [refused] = await boris.wait_replies()
    limit_kb = MAX_UPLOAD_BYTES // 1024
    assert visible(refused.text) == ERROR_MARK + EN(
        "telegram-file-too-large", name="big.csv", size_kb=f"> {limit_kb}", limit_kb=limit_kb
    )
    await boris.assert_no_replies(within=0.3)


@pytest.mark.parametrize("transport_options", [{"max_file_bytes": 4 * MAX_UPLOAD_BYTES}])
async def test_a_file_over_the_upload_limit_is_refused_before_the_command_runs(telegram: TelegramRig) -> None:
    boris = telegram.user(BORIS)
    await boris.upload_document("big.csv", b"email,name\n" * (MAX_UPLOAD_BYTES // 10), caption="/rows")
    [refused] = await boris.wait_replies()
    assert visible(refused.text) == ERROR_MARK + EN("error-upload-too-large", limit_kb=str(MAX_UPLOAD_BYTES // 1024))
    await boris.assert_no_replies(within=0.3)  # "rows" never ran: it would have answered with a count and a file


async def test_huge_numbers_long_values_and_control_characters_are_refused_by_name(telegram: TelegramRig) -> None:
    await telegram.admin("/workspace_new acme ACME")
    anna = await member(telegram, ANNA, "manager")
    assert await ask(anna, "/approve 99999999999999999999") == ERROR_MARK + EN(
        "error-approval-not-found", id=99999999999999999999
    )  # as any wrong id: no column's bounds
    too_long = await ask(anna, "/use " + "я" * 3000)
    assert "{???}" not in too_long and "3000" in too_long and "я" * 39 + "…" in too_long and len(too_long) < 400
    assert await ask(anna, "/use ac\x00me") == ERROR_MARK + EN(
        "error-arg-control", arg="workspace", command="use", position="3", usage="/use acme"
    )
    assert await ask(anna, "/use " + "x" * 5000) == ERROR_MARK + EN("error-text-too-long", length="5005", limit="4000")


async def test_the_webhook_bounds_the_body_and_refuses_garbage_without_a_traceback(
    emulator: TelegramEmulator, runner: Runner, redis: Redis, caplog: pytest.LogCaptureFixture
) -> None:
    token = new_bot_token()
    transport = make_transport(emulator, runner, redis, token)
    app = web.Application()
    transport.register_webhook(app)
    secret = {SECRET_HEADER: WEBHOOK_SECRET}
    huge = b"{" + b" " * WEBHOOK_BODY_MAX_BYTES + b"}"
    try:
        async with serve(app) as base, aiohttp.ClientSession() as http, TelegramUser(emulator, token, BORIS) as boris:
            for body, headers, expected in (
                (huge, {}, 401),  # no secret: refused before a byte is read
                (huge, secret, 413),
                (b"{not json", secret, 400),
                (b"[1, 2]", secret, 400),
                (b"\xff\xfe", secret, 400),
            ):
                async with http.post(base + WEBHOOK_PATH, data=body, headers=headers) as resp:
                    assert resp.status == expected, body[:20]
            await boris.assert_no_replies(within=0.3)
            assert await Person.all().count() == 0
    finally:
        await transport.stop()
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.levelname in {"ERROR", "CRITICAL"}]

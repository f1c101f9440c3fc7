"""What a person sees in chat while finding their way, end to end in Telegram (the Bot API emulator) and Slack
(signed requests to the real bolt app): /help with arguments, first and returning greetings, invites that name
their workspace, the command menu by role, workspaces that are not yours, and plain state-change messages."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiogram.types import BotCommandScopeChat
from redis.asyncio import Redis

from bot.command import Access, commands
from bot.slack.render import escape
from bot.telegram.menu import ChatMenus
from bot.telegram.render import ERROR_MARK
from engine.crypto import Vault, generate_key
from engine.i18n import translator
from engine.people import PersonRef
from models import Domain, Mailbox, Person, Workspace
from models.enums import MailboxStatus, MailProvider, Platform, TlsMode
from tests.e2e.conftest import TelegramRig, ask, visible
from tests.e2e.slackrig import ADMIN as SLACK_ADMIN
from tests.e2e.slackrig import Rig, seen, slack_rig
from tests.harness.telegram import TelegramUser

EN = translator("en")
RU = translator("ru")
ANNA, BORIS, CLARA = 700301, 700302, 700303


async def join(rig: TelegramRig, user_id: int, role: str, *, language: str = "en") -> TelegramUser:
    code = await rig.invite("acme", role)
    user = rig.user(user_id, language_code=language)
    await ask(user, f"/start {code}")
    return user


async def chat_menu(rig: TelegramRig, chat_id: int, want: set[str], *, language: str | None = None) -> dict[str, str]:
    """The chat's menu once it holds exactly `want` (it is set right after the reply; give it a few seconds)."""
    scope = BotCommandScopeChat(chat_id=chat_id)
    menu: dict[str, str] = {}
    for _ in range(100):
        menu = {c.command: c.description for c in await rig.transport.bot.get_my_commands(scope=scope)}
        if set(menu) == want and (language is None or menu["help"] == translator(language)("cmd-help")):
            return menu
        await asyncio.sleep(0.05)
    raise AssertionError(f"the menu of chat {chat_id} is {sorted(menu)}, expected {sorted(want)}")


def typed(*levels: Access) -> set[str]:
    """The menu of someone who may use these access levels: their typed commands and /cancel."""
    return {c.name for c in commands() if c.access in levels and not c.button_only} | {"cancel"}


PUBLIC = typed(Access.PUBLIC)
CLIENT = typed(Access.PUBLIC, Access.READ)
MANAGER = typed(Access.PUBLIC, Access.READ, Access.MANAGE, Access.CREATE)


# Telegram -------------------------------------------------------------------------------------------------------


async def test_help_shows_arguments_and_one_command_in_full(telegram: TelegramRig) -> None:
    await telegram.admin('/workspace_new acme "ACME Ltd"')
    clara = await join(telegram, CLARA, "client")
    listing = await ask(clara, "/help")
    assert "/use <workspace> — " + EN("cmd-use") in listing
    assert "/workspace [<workspace>] — " in listing and "/help [<command>] — " in listing
    assert "/invite" not in listing and "/domain_add" not in listing and "/mailbox_pause" not in listing
    one = await ask(clara, "/help use")
    assert one == "\n\n".join(["/use <workspace>", EN("cmd-use"), EN("help-example", example="/use acme")])
    assert await ask(clara, "/help invite") == ERROR_MARK + EN("error-help-unknown", command="invite")


async def test_a_bootstrapped_admin_is_greeted_as_new_then_as_returning(telegram: TelegramRig) -> None:
    telegram.runner.admins[Platform.TELEGRAM] = {str(ANNA)}
    anna = telegram.user(ANNA)
    assert await ask(anna, "/start") == EN("start-first-admin")
    assert await ask(anna, "/start") == EN("start-known")
    stranger = telegram.user(BORIS)
    assert await ask(stranger, "/start") == EN("start-unknown")


async def test_the_invite_and_the_welcome_name_the_workspace(telegram: TelegramRig) -> None:
    await telegram.admin('/workspace_new acme "ACME Ltd"')
    anna = await join(telegram, ANNA, "manager")
    await anna.send_command("/invite client")
    [invite] = await anna.wait_replies()
    code = visible(invite.text).split("\n\n")[1]
    expires = "2026-12-03 12:00 MSK"  # the frozen clock plus 72 hours, on the workspace's clock
    assert visible(invite.text).split("\n\n") == [
        EN("invite-created", workspace="ACME Ltd", slug="acme", role=EN("role-client"), expires=expires),
        code,
        EN("invite-how", workspace="ACME Ltd", slug="acme", code=code),
    ]
    boris = telegram.user(BORIS)
    assert await ask(boris, f"/start {code}") == EN("start-joined", workspace="ACME Ltd", slug="acme")


async def test_the_command_menu_follows_role_language_and_revocation(telegram: TelegramRig) -> None:
    await telegram.admin("/workspace_new acme ACME")
    for language in ("en", "ru", None):
        default = {c.command for c in await telegram.transport.bot.get_my_commands(language_code=language)}
        assert default == PUBLIC
    clara = await join(telegram, CLARA, "client")
    menu = await chat_menu(telegram, CLARA, CLIENT, language="en")
    assert menu["use"] == EN("cmd-use")
    assert {"start", "use", "workspace"} <= CLIENT and not {"invite", "members", "domain_add"} & CLIENT
    await join(telegram, ANNA, "manager")
    manager = await chat_menu(telegram, ANNA, MANAGER, language="en")
    assert {"invite", "revoke", "domain_add"} <= set(manager) and "approve" not in manager
    # in the order of /help: getting started on top (it began with /alerts, /ack, and /start came 60th)
    assert list(manager)[:6] == ["start", "help", "lang", "whoami", "workspaces", "use"]
    assert list(manager).index("report") < list(manager).index("domain_add") < list(manager).index("invite")

    assert await ask(clara, "/lang ru") == RU("lang-set")
    await chat_menu(telegram, CLARA, CLIENT, language="ru")

    clara_id = (await Person.get(platform=Platform.TELEGRAM, external_id=str(CLARA))).id
    await telegram.admin(f"/revoke {clara_id}")  # at the console: the Telegram menu follows all the same
    await chat_menu(telegram, CLARA, PUBLIC, language="ru")
    group = telegram.user(ANNA, chat_id=-100700300)
    await ask(group, "/whoami")
    assert await telegram.transport.bot.get_my_commands(scope=BotCommandScopeChat(chat_id=-100700300)) == []


async def test_a_menu_that_cannot_reach_redis_is_skipped_quietly(telegram: TelegramRig) -> None:
    broken = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)  # nothing listens on port 1
    menus = ChatMenus(telegram.transport.bot, telegram.runner, broken, "en")
    identity = telegram.runner.identity(Platform.TELEGRAM, str(CLARA), "Clara", "en")
    try:
        await menus.refresh(CLARA, identity)  # the reply went out: a menu is a convenience
        await menus.person_changed(PersonRef(1, Platform.TELEGRAM, str(CLARA)))  # the revocation is already done
    finally:
        await broken.aclose()


async def test_someone_elses_workspace_looks_like_a_missing_one(telegram: TelegramRig) -> None:
    await telegram.admin("/workspace_new beta Beta")
    await telegram.admin("/workspace_new acme ACME")
    anna = await join(telegram, ANNA, "manager")
    for line in ("/workspace {}", "/use {}"):
        other = await ask(anna, line.format("beta"))
        missing = await ask(anna, line.format("zeta"))
        assert other == ERROR_MARK + EN("error-workspace-not-found", slug="beta")
        assert missing == other.replace("beta", "zeta")


async def _paused_mailbox() -> None:
    workspace = await Workspace.get(slug="acme")
    domain = await Domain.create(workspace=workspace, name="acme-mail.ru")
    await Mailbox.create(
        workspace=workspace,
        domain=domain,
        address="anna@acme-mail.ru",
        provider=MailProvider.YANDEX360,
        smtp_host="smtp.yandex.ru",
        smtp_port=465,
        smtp_tls=TlsMode.IMPLICIT,
        imap_host="imap.yandex.ru",
        imap_port=993,
        imap_tls=TlsMode.IMPLICIT,
        username="anna@acme-mail.ru",
        secret_enc=Vault([generate_key()]).encrypt("secret"),
        status=MailboxStatus.PAUSED,
    )


async def test_pausing_a_paused_mailbox_says_it_plainly(telegram: TelegramRig) -> None:
    await telegram.admin("/workspace_new acme ACME")
    await _paused_mailbox()
    anna = await join(telegram, ANNA, "manager")
    assert await ask(anna, "/mailbox_pause anna@acme-mail.ru") == ERROR_MARK + "The mailbox is already paused."
    assert await ask(anna, "/lang ru") == RU("lang-set")
    assert await ask(anna, "/mailbox_pause anna@acme-mail.ru") == ERROR_MARK + "Ящик уже приостановлен."


# Slack ----------------------------------------------------------------------------------------------------------


@pytest.fixture
async def slack(orm: None, redis: Redis) -> AsyncIterator[Rig]:
    async with slack_rig(redis) as rig:
        yield rig


async def _slack_join(slack: Rig, user: str, role: str) -> None:
    invite = await slack.say(f"invite {role}", user=SLACK_ADMIN)
    [code] = [t.strip("`") for t in invite if t.startswith("```")]
    await slack.say(f"join {code}", user=user)


async def test_slack_greets_help_and_invites_by_role(slack: Rig) -> None:
    assert await slack.say("start", user=SLACK_ADMIN) == [seen(EN("start-first-admin"))]
    assert await slack.say("start", user=SLACK_ADMIN) == [seen(EN("start-known"))]
    await slack.say('workspace_new acme "ACME Ltd"', user=SLACK_ADMIN)
    invite = await slack.say("invite client", user=SLACK_ADMIN)
    assert '"ACME Ltd" (acme)' in invite[0] and "(acme)" in invite[2]
    await _slack_join(slack, "U0CLIENT", "client")
    [title, start, listing, *sections, more] = await slack.say("help", user="U0CLIENT")
    assert title == EN("help-title") and start == EN("help-group-start") and more == seen(EN("help-more"))
    assert escape("/mailfleet use <workspace> — ") in listing and "/mailfleet invite" not in "".join(sections)
    assert EN("help-group-reports") in sections and EN("help-group-team") in sections  # a header: plain text
    one = await slack.say("help workspace", user="U0CLIENT")
    assert one[0] == "/workspace [<workspace>]"  # a header is plain text


async def test_slack_answers_someone_elses_workspace_like_a_missing_one(slack: Rig) -> None:
    await slack.say("workspace_new beta Beta", user=SLACK_ADMIN)
    await slack.say("workspace_new acme ACME", user=SLACK_ADMIN)
    await _slack_join(slack, "U0MGR", "manager")
    other = await slack.say("workspace beta", user="U0MGR")
    missing = await slack.say("workspace zeta", user="U0MGR")
    assert other == [":warning: " + seen(EN("error-workspace-not-found", slug="beta"))]
    assert missing == [other[0].replace("beta", "zeta")]


async def test_slack_says_plainly_that_a_mailbox_is_already_paused(slack: Rig) -> None:
    await slack.say("workspace_new acme ACME", user=SLACK_ADMIN)
    await _paused_mailbox()
    assert await slack.say("mailbox_pause anna@acme-mail.ru", user=SLACK_ADMIN) == [
        ":warning: The mailbox is already paused."
    ]

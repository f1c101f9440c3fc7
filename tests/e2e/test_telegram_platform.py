"""Telegram as the real Bot API behaves, end to end through the emulator: what Telegram itself does to a chat
(a group upgraded to a supergroup changes its id) and how the bot must follow it. Real PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.command import REGISTRY, Access, Arg, Ctx, command
from bot.runner import Runner
from bot.telegram.notifier import BotApi, TelegramNotifier
from bot.telegram.transport import TelegramTransport
from engine.agency_chats import AgencyChat, agency_chats
from engine.i18n import translator
from engine.notify import CHAT_UNREACHABLE, Notification, deliver
from engine.people import move_chat
from engine.reply import Attachment, Reply
from models import AgencySetting, Alert, AuditLog, ChatBinding, Workspace
from models.enums import ChatPurpose, Platform
from tests.conftest import REDIS_URL
from tests.e2e.conftest import CONSOLE_ADMIN, TelegramRig, ask, visible
from tests.e2e.test_faults_replies import until
from tests.harness.flaky_botapi import FlakyBotApi
from tests.harness.redis_clients import blpop_at_server
from tests.harness.telegram import TelegramUser, new_bot_token

EN = translator("en")
ANNA = 700401
OLD_GROUP = -4700401  # a basic group's id
SUPERGROUP = -1004700401  # the id Telegram gives it when it becomes a supergroup


async def manager_in_group(rig: TelegramRig) -> TelegramUser:
    await rig.admin("/workspace_new acme ACME")
    code = await rig.invite("acme", "manager")
    anna = rig.user(ANNA, first_name="Anna")
    await ask(anna, f"/start {code}")
    return rig.user(ANNA, chat_id=OLD_GROUP, first_name="Anna")


async def test_a_group_upgraded_to_a_supergroup_keeps_its_alerts(telegram: TelegramRig) -> None:
    """A group bound for alerts was upgraded to a supergroup (Telegram does it by itself past 200 members, or when
    an admin turns on a supergroup feature): its id changed and the old one takes no messages, so every alert
    failed and the chat was reported unreachable until someone bound it again. The binding follows the new id."""
    group = await manager_in_group(telegram)
    await ask(group, "/bind alerts")
    await group.upgrade_to_supergroup(SUPERGROUP)
    supergroup = telegram.user(ANNA, chat_id=SUPERGROUP, first_name="Anna")

    for _ in range(50):  # both service messages are handled in the background
        if await ChatBinding.exists(chat_id=str(SUPERGROUP)):
            break
        await supergroup.assert_no_replies(within=0.05)
    binding = await ChatBinding.get(platform=Platform.TELEGRAM, chat_id=str(SUPERGROUP))
    assert binding.purposes == [ChatPurpose.ALERTS.value]
    assert not await ChatBinding.exists(chat_id=str(OLD_GROUP))
    assert await AuditLog.filter(action="chat.move", subject=f"telegram:{OLD_GROUP}").count() == 1

    workspace = await Workspace.get(slug="acme")
    note = Notification("alert:1", workspace.id, ChatPurpose.ALERTS, "workspace-title", "workspace-title")
    report = await deliver(note, {Platform.TELEGRAM: telegram.transport.notifier}, telegram.redis, telegram.clock)
    assert (report.sent, report.failed) == ([f"telegram:{SUPERGROUP}"], [])
    [alert] = await supergroup.wait_replies()
    assert alert.text
    listed = await ask(supergroup, "/chats")
    assert f"Telegram {SUPERGROUP} (this chat)" in listed, listed


async def test_an_alert_to_a_group_upgraded_while_the_bot_missed_it_reaches_the_supergroup(
    telegram: TelegramRig,
) -> None:
    """The upgrade happened while no bot took updates (a worker sends alerts; the web process was down, or the
    group moved before this version): Telegram refuses the old id with 400 and `migrate_to_chat_id`. That was
    taken for a chat gone — the alert lost, the chat reported unreachable. The alert goes to the new id, and the
    binding follows it, so the next one goes there straight away."""
    await telegram.admin("/workspace_new acme ACME")
    workspace = await Workspace.get(slug="acme")
    await ChatBinding.create(
        workspace=workspace, platform=Platform.TELEGRAM, chat_id=str(OLD_GROUP), purposes=["alerts"]
    )
    token = new_bot_token()  # a worker's bot: nothing polls its updates, so the service messages stay unread
    notifier = TelegramNotifier(BotApi(token, telegram.emulator.api_base))
    group = TelegramUser(telegram.emulator, token, ANNA, chat_id=OLD_GROUP)
    supergroup = TelegramUser(telegram.emulator, token, ANNA, chat_id=SUPERGROUP)
    try:
        await group.upgrade_to_supergroup(SUPERGROUP)
        notifiers = {Platform.TELEGRAM: notifier}
        note = Notification("alert:1", workspace.id, ChatPurpose.ALERTS, "workspace-title", "workspace-title")
        report = await deliver(note, notifiers, telegram.redis, telegram.clock)
        assert (report.sent, report.failed) == ([f"telegram:{SUPERGROUP}"], [])
        [alert] = await supergroup.wait_replies()
        assert alert.text
        assert [b.chat_id for b in await ChatBinding.all()] == [str(SUPERGROUP)]
        assert not await Alert.exists(kind=CHAT_UNREACHABLE)

        again = Notification("alert:2", workspace.id, ChatPurpose.ALERTS, "workspace-title", "workspace-title")
        assert (await deliver(again, notifiers, telegram.redis, telegram.clock)).sent == [f"telegram:{SUPERGROUP}"]
        assert len(await supergroup.wait_replies()) == 1
    finally:
        for user in (group, supergroup):
            await user.close()
        await notifier.close()


async def test_a_question_in_a_group_asks_for_a_reply_the_bot_can_see(telegram: TelegramRig) -> None:
    """In a group the bot is in privacy mode (Telegram's default): it never sees a plain message, so the answer
    to "send it in your next message" never arrived and the command hung. The question now replies to the
    person's command with a selective force-reply (their app opens a reply to it, which the bot does see), says
    so, and the reply completes the command; a refused reply asks again the same way."""
    await telegram.admin("/workspace_new acme ACME")
    code = await telegram.invite("acme", "manager")
    await ask(telegram.user(ANNA, first_name="Anna"), f"/start {code}")
    group = telegram.user(ANNA, chat_id=OLD_GROUP, first_name="Anna")
    asked = await group.send_command("/workspace_new")
    [question] = await group.wait_replies()
    assert visible(question.text).endswith("\n\n" + EN("telegram-awaiting-group"))
    assert question.reply_markup == {"force_reply": True, "selective": True}
    assert question.message["reply_to_message"]["message_id"] == asked

    await group.send_text('beta "Beta LLC"')  # typed without replying: privacy mode keeps it from the bot
    await group.assert_no_replies(within=0.3)
    await group.send_text("acme Again", reply_to=question)
    [again] = await group.wait_replies()
    assert visible(again.text).endswith("\n\n" + EN("telegram-answer-again-group"))
    assert again.reply_markup == {"force_reply": True, "selective": True}
    await group.send_text('beta "Beta LLC"', reply_to=again)
    [created] = await group.wait_replies()
    assert visible(created.text) == EN("workspace-created", slug="beta", name="Beta LLC")
    assert created.reply_markup is None


async def test_a_file_captioned_with_another_bots_command_in_a_group_is_left_alone(telegram: TelegramRig) -> None:
    """A group with several bots: a file captioned `/weather Moscow` (another bot's command, typed without its
    name, as a text command is left alone) got "unknown command" from Mailfleet in the group. Named for this
    bot, it is answered."""
    group = telegram.user(ANNA, chat_id=OLD_GROUP, first_name="Anna")
    await group.upload_document("moscow.csv", b"city\nMoscow\n", caption="/weather Moscow")
    await group.assert_no_replies(within=0.5)
    await group.upload_document("moscow.csv", b"city\nMoscow\n", caption="/weather@mailfleet_test_bot Moscow")
    [reply] = await group.wait_replies()
    assert visible(reply.text) == "⚠️ " + EN("error-unknown-command", command="weather")
    assert await group.bot_downloads() == []


STICKER = {"file_id": "CAACAgIAAxk-sticker", "file_unique_id": "AgADsticker", "type": "regular", "width": 512,
           "height": 512, "is_animated": False, "is_video": False, "emoji": "👍"}  # fmt: skip
VOICE = {"file_id": "AwACAgIAAxk-voice", "file_unique_id": "AgADvoice", "duration": 3, "mime_type": "audio/ogg"}


async def test_a_sticker_or_voice_instead_of_an_answer_is_told_and_the_question_stays(telegram: TelegramRig) -> None:
    """Asked for an argument, the person sent a sticker (or a voice message): nothing answered, and they waited.
    They are told it is no answer; the question stays open for the real one. Without a question, a private chat
    gets the pointer to /help; a sticker in a group is not for the bot."""
    await telegram.admin("/workspace_new acme ACME")
    code = await telegram.invite("acme", "manager")
    anna = telegram.user(ANNA, first_name="Anna")
    await ask(anna, f"/start {code}")
    await ask(anna, "/workspace_new")
    await anna.send_media("sticker", STICKER)
    [told] = await anna.wait_replies()
    assert visible(told.text) == "⚠️ " + EN("telegram-media-not-an-answer")
    await anna.send_media("voice", VOICE)
    assert visible((await anna.wait_replies())[0].text) == "⚠️ " + EN("telegram-media-not-an-answer")
    await anna.send_text('beta "Beta LLC"')
    [created] = await anna.wait_replies()
    assert visible(created.text) == EN("workspace-created", slug="beta", name="Beta LLC")
    await anna.send_media("sticker", STICKER)
    assert visible((await anna.wait_replies())[0].text) == EN("telegram-text-hint")
    group = telegram.user(ANNA, chat_id=OLD_GROUP, first_name="Anna")
    await group.send_media("sticker", STICKER, caption="@mailfleet_test_bot")
    await group.assert_no_replies(within=0.3)


async def test_a_command_from_an_anonymous_admin_is_told_who_can_run_it(telegram: TelegramRig) -> None:
    """An admin who "remains anonymous" sends commands as GroupAnonymousBot (a bot, on behalf of the group):
    the bot dropped them without a word. They are told to send it as themselves; another bot's command is not."""
    group = telegram.user(ANNA, chat_id=OLD_GROUP, first_name="Anna")
    await group.send_command("/report@mailfleet_test_bot 7d", anonymous=True)
    [told] = await group.wait_replies()
    assert visible(told.text) == "⚠️ " + translator("ru")("telegram-anonymous-sender")
    await group.send_command("/weather Moscow", anonymous=True)
    await group.send_command("/report@other_bot 7d", anonymous=True)
    await group.assert_no_replies(within=0.5)


@pytest.fixture
def rows_command() -> Iterator[None]:
    async def rows(ctx: Ctx, args: dict[str, Any]) -> Reply:
        upload: Attachment = args["file"]
        lines = upload.content.splitlines()
        return Reply().add(f"{upload.filename}: {len(lines) - 1} rows")

    command("album_rows", Access.PUBLIC, Arg("file", kind="file"))(rows)
    try:
        yield
    finally:
        REGISTRY.pop("album_rows", None)


@pytest.mark.usefixtures("rows_command")
async def test_each_file_of_an_album_captioned_with_a_command_runs_it(telegram: TelegramRig) -> None:
    """Three CSVs sent at once arrive as an album: three messages, the caption `/album_rows` on the first only.
    The first ran; the other two got "what should I do with this file?". Each file of the album runs the
    command; a file of another album without a caption still gets the pointer."""
    boris = telegram.user(700402)
    for n, name in enumerate(("a.csv", "b.csv", "c.csv")):
        caption = "/album_rows" if n == 0 else None
        content = b"email\n" + b"x@y.test\n" * (n + 1)
        await boris.upload_document(name, content, caption=caption, media_group_id="13579")
    replies = await boris.wait_replies(3)
    assert sorted(visible(r.text) for r in replies) == ["a.csv: 1 rows", "b.csv: 2 rows", "c.csv: 3 rows"]
    await boris.upload_document("d.csv", b"email\n", media_group_id="24680")
    [pointer] = await boris.wait_replies()
    assert visible(pointer.text) == "⚠️ " + EN("telegram-document-no-command")


async def test_a_command_with_its_argument_on_the_next_line_runs(telegram: TelegramRig) -> None:
    """A phone keyboard puts a line break after the command: Telegram reads `/lang⏎en` as the command /lang (its
    bot_command entity ends at the break), but the name was cut at the first space only, "lang\\nen" was no
    command — "unknown" in a private chat, silence in a group."""
    boris = telegram.user(700403, language_code="ru")
    assert await ask(boris, "/lang\nen") == EN("lang-set")
    group = telegram.user(700403, chat_id=OLD_GROUP, language_code="ru")
    assert await ask(group, "/lang@mailfleet_test_bot\nru") == translator("ru")("lang-set")
    assert await ask(group, "/lang\nen") == EN("lang-set")


async def test_a_button_on_a_message_older_than_two_days_still_runs(telegram: TelegramRig) -> None:
    """Past 48 hours Telegram sends the pressed message as an InaccessibleMessage (no text, no keyboard, date 0):
    the press is answered, runs, and its result is posted as a new message."""
    await telegram.admin("/workspace_new acme ACME")
    code = await telegram.invite("acme", "manager")
    anna = telegram.user(ANNA, first_name="Anna")
    await ask(anna, f"/start {code}")
    await ask(anna, '/workspace_new beta "Beta LLC"')
    await anna.send_command("/workspaces")
    [listing] = await anna.wait_replies()
    query = await anna.press(listing.callback_data("acme"), listing, inaccessible=True)
    assert await anna.wait_callback_answer(query) == {"callback_query_id": query, "show_alert": False}
    [result] = await anna.wait_replies()
    assert visible(result.text) == EN("use-done", slug="acme", name="ACME")


async def test_a_question_the_person_never_got_does_not_take_their_next_message(
    runner: Runner, redis: Redis, capsys: pytest.CaptureFixture[str]
) -> None:
    """The person blocked the bot while it asked for a missing argument (Telegram: 403). The question stayed
    open for a day, so after unblocking, their next message ("beta Beta LLC", meant as anything) ran the old
    command with it. A question that could not be delivered is dropped. Being blocked is no failure of ours: it
    is logged as information, and no error notice is tried into the chat that refused the question."""
    console = runner.identity(Platform.CONSOLE, CONSOLE_ADMIN, "admin")
    for line in ("/workspace_new acme ACME", "/use acme"):
        await runner.run_line(console, "console", line)
    invite = await runner.run_line(console, "console", "/invite manager")
    code = next(b.text for b in invite.blocks if b.style == "pre")
    async with FlakyBotApi() as api:
        transport = TelegramTransport(runner, token="42:blocked-token", api_base=api.base, redis=redis)
        await transport.start_polling()
        try:
            api.user_says(ANNA, f"/start {code}")
            await until(lambda: len(api.delivered) >= 1, "the welcome")
            api.forbidden()  # the question
            api.user_says(ANNA, "/workspace_new")
            await until(lambda: api.calls >= 2, "the refused question")
            api.user_says(ANNA, 'beta "Beta LLC"')
            await until(lambda: len(api.delivered) >= 2, "the answer to the plain text")
        finally:
            await transport.stop()
    assert not await Workspace.exists(slug="beta")
    assert api.delivered[1][1] == EN("telegram-text-hint")
    assert api.calls == 3  # no "something went wrong" notice tried into a chat that refused the question
    logged = capsys.readouterr().out
    assert "telegram chat unreachable" in logged and "telegram update failed" not in logged, logged[-2000:]


async def test_stopping_telegram_leaves_the_process_redis_to_its_owner(runner: Runner, redis: Redis) -> None:
    """aiogram's shutdown closes its storage's Redis client, and the transport's storage holds the process's own:
    stopping polling (a shutdown, before the updates in flight finished) cut every command the rest of the process
    — and those updates — had on Redis. CI lost an update's lock release to it."""
    shared = Redis.from_url(REDIS_URL)  # without the product's retries, so a cut connection shows
    queue = "mailfleet:test:other-part"
    async with FlakyBotApi() as api:
        transport = TelegramTransport(runner, token="42:stop-token", api_base=api.base, redis=shared)
        await transport.start_polling()
        waiting = asyncio.create_task(shared.blpop([queue], timeout=10))  # another part of the process, on Redis
        await until(lambda: blpop_at_server(redis), "the other part's BLPOP at the server")
        await transport.stop()
    await redis.rpush(queue, "work")
    try:
        assert await asyncio.wait_for(waiting, 10) == (queue.encode(), b"work")
    finally:
        await shared.aclose()


async def test_a_moved_chat_merges_into_a_binding_of_its_new_id_and_keeps_its_agency_alerts(
    telegram: TelegramRig,
) -> None:
    """The new id may be bound already (someone bound the supergroup by hand before the move came through):
    the purposes merge into that one binding; an agency chat follows too, in its language; moving again is a
    no-op."""
    await telegram.admin("/workspace_new acme ACME")
    workspace = await Workspace.get(slug="acme")
    for chat, purposes in ((OLD_GROUP, ["alerts"]), (SUPERGROUP, ["reports"])):
        await ChatBinding.create(workspace=workspace, platform=Platform.TELEGRAM, chat_id=str(chat), purposes=purposes)
    chats = [{"platform": "telegram", "chat_id": str(OLD_GROUP), "locale": "en"}]
    await AgencySetting.create(key="agency_chats", value=chats)
    assert await move_chat(Platform.TELEGRAM, str(OLD_GROUP), str(SUPERGROUP), telegram.clock) == 1
    [binding] = await ChatBinding.all()
    assert (binding.chat_id, binding.purposes) == (str(SUPERGROUP), ["alerts", "reports"])
    assert await agency_chats() == [AgencyChat(Platform.TELEGRAM, str(SUPERGROUP), "en")]
    assert await move_chat(Platform.TELEGRAM, str(OLD_GROUP), str(SUPERGROUP), telegram.clock) == 0


def _removed(chat: dict[str, Any], status: str, update_id: int) -> dict[str, Any]:
    """Telegram's my_chat_member update: the bot's own membership of `chat` changed to `status`."""
    bot = {"id": 4242, "is_bot": True, "first_name": "Mailfleet", "username": "mailfleet_bot"}
    admin = {"id": ANNA, "is_bot": False, "first_name": "Anna"}
    return {
        "update_id": update_id,
        "my_chat_member": {
            "chat": chat,
            "from": admin,
            "date": 1_790_000_000,
            "old_chat_member": {"status": "member", "user": bot},
            "new_chat_member": {"status": status, "user": bot, "until_date": 0}
            if status == "kicked"
            else {"status": status, "user": bot},
        },
    }


async def test_the_bot_removed_from_a_bound_group_is_reported_at_once(telegram: TelegramRig) -> None:
    """The bot removed from a group bound for alerts: nothing happened until the next alert failed there, and
    that alert was read by nobody. Telegram says so at once (my_chat_member), and the agency is told then."""
    group = await manager_in_group(telegram)
    await ask(group, "/bind alerts")
    dispatcher, bot = telegram.transport.dispatcher, telegram.transport.bot
    group_chat = {"id": OLD_GROUP, "type": "group", "title": "ACME ops"}
    await dispatcher.feed_raw_update(bot, _removed(group_chat, "kicked", 1))
    alert = await Alert.get(kind=CHAT_UNREACHABLE)
    assert alert.workspace_id is None and alert.subject == f"chat:telegram:{OLD_GROUP}"
    assert alert.data["workspace"] == "acme" and "kicked" in alert.data["reason"]
    unbound = {"id": -4700999, "type": "supergroup", "title": "elsewhere"}
    await dispatcher.feed_raw_update(bot, _removed(unbound, "left", 2))  # no workspace writes there
    await dispatcher.feed_raw_update(bot, _removed({"id": ANNA, "type": "private", "first_name": "Anna"}, "kicked", 3))
    assert await Alert.filter(kind=CHAT_UNREACHABLE).count() == 1

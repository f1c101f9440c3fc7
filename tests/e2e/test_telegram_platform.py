"""Telegram as the real Bot API behaves, end to end through the emulator: what Telegram itself does to a chat
(a group upgraded to a supergroup changes its id) and how the bot must follow it. Real PostgreSQL and Redis."""

from __future__ import annotations

from engine.i18n import translator
from engine.notify import Notification, deliver
from models import AuditLog, ChatBinding, Workspace
from models.enums import ChatPurpose, Platform
from tests.e2e.conftest import TelegramRig, visible
from tests.harness.telegram import TelegramUser

EN = translator("en")
ANNA = 700401
OLD_GROUP = -4700401  # a basic group's id
SUPERGROUP = -1004700401  # the id Telegram gives it when it becomes a supergroup


async def ask(user: TelegramUser, line: str) -> str:
    await user.send_command(line)
    [reply] = await user.wait_replies()
    return visible(reply.text)


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

"""A new agency's first hours in Telegram, where a value or a list is bigger than the common case. Real transport
(the Bot API emulator), PostgreSQL and Redis."""

from __future__ import annotations

import datetime as dt

from bot.telegram.render import ERROR_MARK
from engine.i18n import translator
from models import Approval, Domain, Workspace
from models.enums import ApprovalKind
from tests.e2e.conftest import NOW, TelegramRig, visible
from tests.harness.telegram import TelegramUser

RU = translator("ru")
ANNA = 700771


async def manager(rig: TelegramRig) -> TelegramUser:
    """Anna, a manager of "acme" whose Telegram speaks Russian."""
    await rig.admin('/workspace_new acme "ООО Ромашка"')
    code = await rig.invite("acme", "manager")
    anna = rig.user(ANNA, first_name="Анна", language_code="ru")
    await anna.send_command(f"/start {code}")
    await anna.wait_replies()
    return anna


async def ask(user: TelegramUser, line: str) -> str:
    await user.send_command(line)
    [reply] = await user.wait_replies()
    return visible(reply.text)


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

"""Compliance commands in chat: /forget, /retention and /audit_export in Telegram (through the Bot API emulator),
Slack (signed requests to the bolt app) and the console, for managers, admins and clients."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.runner import Runner
from bot.telegram.render import ERROR_MARK
from engine.clock import FrozenClock
from engine.compliance.audit import action_key
from engine.crypto import Vault, generate_key
from engine.i18n import translator
from models import AuditLog, Event, Lead, Suppression, Workspace
from models.enums import EventKind, LegalBasis, Platform, SuppressionReason
from tests.e2e.conftest import CONSOLE_ADMIN, NOW, TelegramRig, ask, visible
from tests.e2e.slackrig import CLOCK, Rig, join, seen, slack_rig, texts
from tests.e2e.test_leads_chat import person
from tests.harness.slackapi import CHANNEL_ID
from tests.harness.telegram import TelegramEmulatorError

EN = translator("en")
ANNA, CLARA = 700501, 700502
IVAN = "ivan@lead.example"


def services(redis: Redis) -> dict[str, Any]:
    return {"redis": redis, "vault": Vault([generate_key()])}


@pytest.fixture
def runner(orm: None, clock: FrozenClock, redis: Redis) -> Runner:
    return Runner(clock, admins={Platform.CONSOLE: {CONSOLE_ADMIN}}, services=services(redis))


async def a_person_to_forget(slug: str = "acme") -> Lead:
    ws = await Workspace.get(slug=slug)
    lead = await Lead.create(workspace=ws, email=IVAN, legal_basis=LegalBasis.CONSENT, source="сайт")
    await Event.create(workspace=ws, kind=EventKind.REPLY, lead=lead, occurred_at=NOW, data={"address": IVAN})
    await Event.create(workspace=ws, kind=EventKind.OPEN, lead=lead, occurred_at=NOW)
    return lead


async def test_telegram_forget_retention_and_audit_export(telegram: TelegramRig) -> None:
    anna = await person(telegram, ANNA, "manager")
    await a_person_to_forget()

    await anna.send_command(f"/forget {IVAN.upper()}")  # what would go is shown first, behind a button
    [confirm] = await anna.wait_replies()
    counts = {"leads": 1, "enrollments": 0, "messages": 0, "events": 2, "suppressions": 0}
    assert EN("forget-confirm", scope=EN("forget-scope-workspace", workspace="ACME"), **counts) in visible(confirm.text)
    assert await Lead.filter(email=IVAN).exists()
    data = confirm.callback_data(EN("forget-confirm-button"))
    assert len(data.encode()) <= 64 and "ivan" not in data.lower()  # a token, never the address
    presses = await asyncio.gather(anna.press(data, confirm), anna.press(data, confirm), return_exceptions=True)
    assert all(isinstance(p, str | TelegramEmulatorError) for p in presses), presses
    answers = [await anna.wait_callback_answer(q) for q in presses if isinstance(q, str)]
    assert sorted(a["show_alert"] for a in answers) == [False, True][: len(answers)]  # the second press: refused
    edited, erased = await anna.wait_replies(2)
    assert edited.buttons == []
    assert EN("forget-done", scope=EN("forget-scope-workspace", workspace="ACME"), **counts) in visible(erased.text)
    await anna.assert_no_replies(within=0.3)
    assert not await Lead.filter(email=IVAN).exists()
    again = await ask(anna, f"/forget {IVAN}")  # nothing stored any more: no button, nothing changes
    assert EN("forget-nothing", scope=EN("forget-scope-workspace", workspace="ACME"), new="no") in again
    late = await ask(anna, f"/forget_confirm {data.partition(':')[2] or data}")  # a used token erases nothing
    assert EN("error-forget-confirm-expired") in late
    assert await Suppression.filter(reason=SuppressionReason.FORGOTTEN).count() == 1
    assert EN("error-forget-address", value="not-an-address") in await ask(anna, "/forget not-an-address")
    assert (await ask(anna, f"/forget {IVAN} all")).startswith(ERROR_MARK)
    assert await Suppression.filter(workspace_id=None).count() == 0  # a manager cannot erase agency-wide

    assert EN("error-retention-range", min=30, max=3650) in await ask(anna, "/retention 7")
    assert EN("error-retention-value", value="year") in await ask(anna, "/retention year")
    assert EN("retention-off") in await ask(anna, "/retention")
    assert EN("retention-set", days=90, before=EN("retention-was-off")) in await ask(anna, "/retention 90")
    assert EN("retention-current", days=90) in await ask(anna, "/retention")

    await anna.send_command("/audit_export")
    text, document = await anna.wait_replies(2)
    first = (NOW.date() - dt.timedelta(days=29)).isoformat()
    assert document.document is not None and document.document["file_name"].startswith("audit-")
    rows = list(csv.reader(io.StringIO((await anna.download(document)).decode("utf-8-sig")), delimiter=";"))
    ready = EN("audit-export-ready", rows=len(rows) - 1, **{"from": first, "to": NOW.date().isoformat()})
    assert ready in visible(text.text)
    assert rows[0] == ["Time", "Workspace", "Who", "Name", "Action", "Action code", "Subject", "Subject code",
                       "Details", "Details (JSON)"]  # fmt: skip
    actions = [(r[5], r[7]) for r in rows[1:]]
    assert all(r[4] == EN(action_key(r[5])) for r in rows[1:])  # people read the action in words, the code beside
    assert ["acme", "workspace.retention"] in [[r[6], r[5]] for r in rows[1:]]  # and the subject by its name
    assert ("compliance.forget", f"workspace:{(await Workspace.get(slug='acme')).id}") in actions
    workspace = f"workspace:{(await Workspace.get(slug='acme')).id}"
    assert {("command", "/forget"), ("command", "/retention"), ("workspace.retention", workspace)} <= set(actions)
    assert "ivan" not in "\n".join(";".join(r) for r in rows).lower()  # the address is never in the log
    assert EN("error-audit-date", field="to", value="31.12.2026") in await ask(
        anna, "/audit_export 2026-01-01 31.12.2026"
    )

    clara = await person(telegram, CLARA, "client")
    refused = await ask(clara, f"/forget {IVAN}")
    assert refused.startswith(ERROR_MARK) and await Suppression.all().count() == 1  # nothing more happened
    assert await AuditLog.filter(subject="/forget").count() == 2  # the two successful runs, not the refusals


async def test_console_admin_forgets_everywhere(runner: Runner) -> None:
    admin = runner.identity(Platform.CONSOLE, CONSOLE_ADMIN, "admin")
    assert (await runner.run_line(admin, "console", "/workspace_new acme ACME")).ok
    await a_person_to_forget()
    asked = await runner.run_line(admin, "console", f"/forget {IVAN} all")
    [[button]] = asked.buttons
    assert asked.ok and button.command == "forget_confirm" and await Lead.filter(email=IVAN).exists()
    manager = runner.identity(Platform.CONSOLE, "someone-else", "admin")  # only who asked can confirm
    refused = await runner.run_line(manager, "console", f"/forget_confirm {button.arg}")
    assert not refused.ok and await Lead.filter(email=IVAN).exists()
    reply = await runner.run_line(admin, "console", f"/forget_confirm {button.arg}")
    assert reply.ok and "1" in reply.plain_text()
    assert await Suppression.filter(workspace_id=None, reason=SuppressionReason.FORGOTTEN).count() == 1
    assert not await Lead.filter(email=IVAN).exists()


@pytest.fixture
async def slack(orm: None, redis: Redis) -> AsyncIterator[Rig]:
    async with slack_rig(redis, services(redis)) as rig:
        yield rig


async def test_slack_forget_and_audit_export(slack: Rig) -> None:
    await join(slack, "U0MGR", "manager", name="mgr")
    await a_person_to_forget()
    name = (await Workspace.get(slug="acme")).name  # the erasure says in which workspace
    body = await slack.command(f"forget {IVAN}", user="U0MGR")
    counts = {"leads": 1, "enrollments": 0, "messages": 0, "events": 2, "suppressions": 0}
    assert seen(EN("forget-confirm", scope=EN("forget-scope-workspace", workspace=name), **counts)) in "\n".join(
        texts(body["blocks"])
    )
    [actions] = [b for b in body["blocks"] if b["type"] == "actions"]
    [button] = actions["elements"]
    assert (button["text"]["text"], button["style"]) == (EN("forget-confirm-button"), "danger")
    message = {"ts": "1700000000.000100", "text": body.get("text", ""), "blocks": body["blocks"]}
    erased = await slack.press(button, user="U0MGR", channel=CHANNEL_ID, message=message)
    assert seen(EN("forget-done", scope=EN("forget-scope-workspace", workspace=name), **counts)) in "\n".join(
        texts(erased.body["blocks"])
    )
    assert not await Lead.filter(email=IVAN).exists()
    assert await slack.say("retention off", user="U0MGR") == [
        seen(EN("retention-set-off", before=EN("retention-was-off")))]  # fmt: skip
    day = CLOCK.now().date().isoformat()  # the Slack rig runs on the real clock
    exported = await slack.say(f"audit_export {day} {day}", user="U0MGR")
    assert exported[-1] == EN("slack-file-sent-dm", names=f"audit-{day}-{day}.csv", count=1)
    [uploaded] = slack.api.files_in(slack.api.dm_channel("U0MGR"))  # who did what: the asker's alone
    assert slack.api.files_in(CHANNEL_ID) == []
    assert uploaded.filename == f"audit-{day}-{day}.csv"
    text = uploaded.content.decode("utf-8-sig")
    assert "/forget" in text and "ivan" not in text.lower()
    [refused] = await slack.say("audit_export 2026-12-01 2026-01-01", user="U0MGR")
    assert refused.endswith(seen(EN("error-audit-range", days=366)))


async def test_console_a_persons_unsubscribe_is_lifted_only_with_consent(runner: Runner) -> None:
    """/unsuppress of what a person's unsubscribe put there says why not and how (their new consent); with
    `согласие` at the end (after `all` or before it) it is lifted, and the audit log has it."""
    admin = runner.identity(Platform.CONSOLE, CONSOLE_ADMIN, "admin")
    assert (await runner.run_line(admin, "console", "/workspace_new acme ACME")).ok
    ws = await Workspace.get(slug="acme")
    await Suppression.create(workspace=ws, value=IVAN, reason=SuppressionReason.UNSUBSCRIBE, created_at=NOW)
    refused = await runner.run_line(admin, "console", f"/unsuppress {IVAN.upper()}")
    day = NOW.date().isoformat()
    assert not refused.ok
    ru = translator("ru")  # the console speaks Russian by default
    assert ru("error-leads-unsuppress-opt-out", value=IVAN, reason="unsubscribe", day=day) in refused.plain_text()
    assert await Suppression.filter(value=IVAN).exists()
    lifted = await runner.run_line(admin, "console", f"/unsuppress {IVAN} согласие")
    assert lifted.ok and not await Suppression.filter(value=IVAN).exists()
    assert (await AuditLog.get(action="leads.unsuppress")).data["consent"] is True


async def test_console_retention_reads_days_as_people_write_them(runner: Runner) -> None:
    """`/retention -1` answered '"-1" is not a number of days' (it is one: out of range), and `365d`,
    `365 дней` or `400 days` were refused; each is now read as the number it says, or refused by its range."""
    admin = runner.identity(Platform.CONSOLE, CONSOLE_ADMIN, "admin")
    assert (await runner.run_line(admin, "console", "/workspace_new acme ACME")).ok
    ru = translator("ru")
    for line in ("/retention -1", "/retention 36500", "/retention 10лет"):
        refused = await runner.run_line(admin, "console", line)
        expected = ru("error-retention-range", min=30, max=3650) if "лет" not in line else "10лет"
        assert not refused.ok and expected in refused.plain_text(), line
    for line, days in (("/retention 365d", 365), ("/retention 400 дней", 400), ("/retention 90 days", 90)):
        done = await runner.run_line(admin, "console", line)
        assert done.ok and (await Workspace.get(slug="acme")).retention_days == days, line

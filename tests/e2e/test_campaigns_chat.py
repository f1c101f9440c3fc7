"""Campaign commands end to end: Telegram through the Bot API emulator and Slack through signed requests to the real
bolt app, on real PostgreSQL and Redis. Mailboxes, the sender identity and enrolled leads are written straight into
the database (importing them is another feature's job)."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from bot.telegram.render import MESSAGE_LIMIT
from engine.crypto import Vault, generate_key
from engine.i18n import translator
from models import AuditLog, Campaign, Domain, Enrollment, Lead, Mailbox, Step, Workspace
from models.enums import CampaignStatus, MailboxStatus, MailProvider, TlsMode
from tests.e2e.conftest import NOW, TelegramRig, ask, visible
from tests.e2e.slackrig import CLOCK, Rig, join, seen, slack_rig, texts
from tests.harness.slackapi import CHANNEL_ID
from tests.harness.telegram import TelegramEmulatorError, TelegramUser

EN = translator("en")
ANNA = 700951
SECRET = Vault([generate_key()]).encrypt("pw")
STEPS = """Subject: Hello {first_name|there}
A short note about "us".

=== variant B weight 30
Subject: A question for {company}
Another first email.

--- step 2 after 3 business days
Just checking in."""


async def mailboxes(slug: str, domain_name: str, count: int, *, started: dt.date) -> None:
    ws = await Workspace.get(slug=slug)
    domain, _ = await Domain.get_or_create(workspace=ws, name=domain_name)
    for n in range(count):
        address = f"box{n}@{domain_name}"
        await Mailbox.create(
            workspace=ws, domain=domain, address=address, provider=MailProvider.GENERIC, smtp_host="127.0.0.1",
            smtp_port=587, smtp_tls=TlsMode.STARTTLS, imap_host="127.0.0.1", imap_port=993, imap_tls=TlsMode.IMPLICIT,
            username=address, secret_enc=SECRET, status=MailboxStatus.WARMING, warmup_started_on=started,
        )  # fmt: skip


async def graduate_and_enroll(slug: str, campaign_name: str, leads: int, *, identity: bool = True) -> None:
    """What the gate, the import and the enrollment would do: one mailbox active, leads enrolled, an identity
    (unless the test sets it through /workspace_legal)."""
    ws = await Workspace.get(slug=slug)
    if identity:
        await Workspace.filter(id=ws.id).update(sender_name="ACME LLC", sender_address="Moscow, Tverskaya 1")
    first = await Mailbox.filter(workspace_id=ws.id).order_by("address").first()
    assert first is not None
    await Mailbox.filter(id=first.id).update(status=MailboxStatus.ACTIVE)
    campaign = await Campaign.get(workspace_id=ws.id, name=campaign_name)
    for n in range(leads):
        lead = await Lead.create(workspace=ws, email=f"lead{n}@example.com", first_name=f"L{n}")
        await Enrollment.create(campaign=campaign, lead=lead, next_due_at=NOW)


# ------------------------------------------------------------------------------------------------ Telegram


async def manager(rig: TelegramRig) -> TelegramUser:
    await rig.admin("/workspace_new acme ACME")
    await Workspace.filter(slug="acme").update(timezone="UTC")
    code = await rig.invite("acme", "manager")
    anna = rig.user(ANNA, first_name="Anna")
    await anna.send_command(f"/start {code}")
    await anna.wait_replies()
    return anna


async def test_telegram_campaign_from_creation_to_a_confirmed_start_a_pause_and_the_status(
    telegram: TelegramRig,
) -> None:
    anna = await manager(telegram)
    await mailboxes("acme", "warm.test", 2, started=NOW.date() - dt.timedelta(days=10))
    created = await ask(anna, "/campaign_new q1 window=10:00-17:00")
    assert EN("campaign-created", name="q1") in created and "/campaign_group q1" in created
    assert "--- step 2 after 3 days" in created  # the sample sequence, ready to copy

    grouped = await ask(anna, "/campaign_group q1 warm.test")
    assert EN("campaign-group-saved", name="q1") in grouped and "warm.test" in grouped

    await anna.send_command("/campaign_steps q1")  # guided: the sequence comes as the next message
    [question] = await anna.wait_replies()
    assert "next message" in visible(question.text)
    await anna.send_text(STEPS)
    [saved] = await anna.wait_replies()
    assert EN("campaign-steps-saved", name="q1", count=2) in visible(saved.text)
    steps = await Step.filter(campaign__name="q1").order_by("position")
    assert steps[0].variants[0]["body"] == 'A short note about "us".' and steps[1].business_days
    await anna.upload_document("sequence.txt", STEPS.encode("utf-16"), caption="/campaign_steps q1")
    [from_file] = await anna.wait_replies()
    assert EN("campaign-steps-saved", name="q1", count=2) in visible(from_file.text)
    inline = await ask(anna, "/campaign_steps q1\n" + STEPS.replace("3 business days", "2 days"))
    assert EN("campaign-step-calendar", step=2, days=2, variants="A 100") in inline
    bad = await ask(anna, "/campaign_steps q1\nSubject: x\nbody\n--- step 3 after 1 day\ny")
    assert EN("error-campaign-steps-order", line=3, expected=2, found=3) in bad

    refused = await ask(anna, "/campaign_start q1")
    assert EN("campaign-refused", name="q1") in refused
    assert EN("campaign-refuse-no-leads", name="q1") in refused
    ready_on = str(NOW.date() - dt.timedelta(days=10) + dt.timedelta(days=42))
    assert EN("campaign-refuse-not-ready", warming=2, date=ready_on) in refused
    assert EN("campaign-refuse-no-legal-name") in refused and EN("campaign-refuse-no-contact") in refused

    await graduate_and_enroll("acme", "q1", leads=12, identity=False)
    assert EN("legal-none") in await ask(anna, "/workspace_legal")
    # a line break never reaches the footer: the command line's words are joined on one line
    injected = await ask(anna, '/workspace_legal "ACME LLC" Moscow\nBcc: x@y.example')
    assert EN("legal-set", name="ACME LLC", contact="Moscow Bcc: x@y.example") in injected
    short = await ask(anna, '/workspace_legal "ACME LLC" ..')
    assert EN("error-legal-too-short", field="contact", min=3) in short
    saved = await ask(anna, '/workspace_legal "ACME LLC, INN 7701234567" Moscow, Tverskaya 1')
    assert EN("legal-set", name="ACME LLC, INN 7701234567", contact="Moscow, Tverskaya 1") in saved
    assert EN("campaign-settings-saved", name="q1") in await ask(anna, "/campaign_set q1 per_mailbox_cap=1")
    await anna.send_command("/campaign_start q1")
    [confirm] = await anna.wait_replies()
    text = visible(confirm.text)
    assert EN("campaign-warn-slow", leads=12, ready=1, days=12) in text
    assert (await Campaign.get(name="q1")).status is CampaignStatus.DRAFT
    data = confirm.callback_data(EN("campaign-confirm-button"))
    assert len(data.encode()) <= 64 and "q1" not in data  # an id, never the name

    presses = await asyncio.gather(anna.press(data, confirm), anna.press(data, confirm), return_exceptions=True)
    assert all(isinstance(p, str | TelegramEmulatorError) for p in presses), presses
    answers = [await anna.wait_callback_answer(q) for q in presses if isinstance(q, str)]
    assert sorted(a["show_alert"] for a in answers) == [False, True][: len(answers)]
    edited, result = await anna.wait_replies(2)
    assert edited.buttons == []
    assert EN("campaign-started", name="q1") in visible(result.text)
    await anna.assert_no_replies(within=0.3)
    assert (await Campaign.get(name="q1")).status is CampaignStatus.RUNNING
    assert await AuditLog.filter(action="campaign.start").count() == 1

    assert await ask(anna, "/campaign_pause q1") == EN("campaign-paused", name="q1")
    status = await ask(anna, "/campaign q1")
    assert len(status) < MESSAGE_LIMIT
    assert EN("campaign-title", name="q1", status=EN("state-campaign-paused"), steps=2) in status
    assert "Leads: 12 (active: 12," in status and "window 10:00-17:00" in status
    assert "stopped: 0) — where each stands now: one who replied or opted out after the sequence ended" in status
    assert EN("campaign-waiting", steps=EN("campaign-waiting-step", step=1, count=12)) in status
    assert re.search(r"; next: \d{4}-\d\d-\d\d 10:00 UTC", status)  # the window's next opening, its zone named
    listing = await ask(anna, "/campaigns")
    assert (
        EN("campaigns-line", name="q1", status=EN("state-campaign-paused"), steps=2, enrolled=12, active=12) in listing
    )
    await anna.send_command("/campaign_start q1")  # /campaign_start of a paused campaign resumes it, and says so
    [again] = await anna.wait_replies()
    await anna.press(again.callback_data(EN("campaign-confirm-button")), again)
    _, resumed = await anna.wait_replies(2)
    assert EN("campaign-resumed", name="q1") in visible(resumed.text)
    assert (await Campaign.get(name="q1")).status is CampaignStatus.RUNNING


async def test_telegram_a_client_lists_the_campaigns_to_ask_for_their_reports_and_manages_none(
    telegram: TelegramRig,
) -> None:
    """A client reads /report_campaign <name>: /campaigns is how they learn the names (read-only, their own
    workspace); the manager's card (/campaign, with the send plan's deferrals) and every change stay closed."""
    anna = await manager(telegram)
    await ask(anna, "/campaign_new q1")
    await telegram.admin("/workspace_new other Other")
    await telegram.admin("/use other")
    await telegram.admin("/campaign_new secret-launch")
    code = await telegram.invite("acme", "client")
    client = telegram.user(700952)
    await ask(client, f"/start {code}")
    listed = await ask(client, "/campaigns")
    assert EN("campaigns-title", count=1) in listed and "q1 — " in listed and "secret-launch" not in listed
    assert EN("campaigns-hint-client") in listed and EN("campaigns-hint") not in listed
    assert EN("error-forbidden", command="campaign") in await ask(client, "/campaign q1")
    assert EN("error-forbidden", command="campaign_pause") in await ask(client, "/campaign_pause q1")


# ------------------------------------------------------------------------------------------------ Slack


@pytest.fixture
async def slack(orm: None, redis: Redis) -> AsyncIterator[Rig]:
    async with slack_rig(redis) as rig:
        await join(rig, "U0MGR", "manager", name="mgr")
        await join(rig, "U0CLI", "client", name="client")
        yield rig


async def say(rig: Rig, text: str, user: str = "U0MGR") -> str:
    return "\n".join(await rig.say(text, user=user))


async def test_slack_campaign_from_creation_to_a_confirmed_start_a_pause_and_the_status(slack: Rig) -> None:
    today = CLOCK.now().date()
    await mailboxes("acme", "warm.test", 1, started=today - dt.timedelta(days=3))
    assert seen(EN("campaign-created", name="q1")) in await say(slack, "campaign_new q1 per_mailbox_cap=1")
    assert seen(EN("campaign-group-saved", name="q1")) in await say(slack, "campaign_group q1 box0@warm.test")
    uploaded = "\n".join(await slack.upload("campaign_steps q1", "steps.txt", STEPS.encode("cp1251")))
    assert seen(EN("campaign-steps-saved", name="q1", count=2)) in uploaded
    asked = await say(slack, "campaign_steps q1")  # Slack passes the bot no next message: the command must carry it
    assert "next message" not in asked and "/mailfleet campaign_steps q1 on the first line" in asked
    typed = await say(slack, "campaign_steps q1\n" + STEPS)  # a slash command's text keeps its lines
    assert seen(EN("campaign-steps-saved", name="q1", count=2)) in typed

    refused = await say(slack, "campaign_start q1")
    assert seen(EN("campaign-refuse-no-leads-slack", name="q1")) in refused  # no captions in Slack: the DM way
    assert "captioned" not in refused
    assert seen(EN("campaign-refuse-not-ready", warming=1, date=str(today + dt.timedelta(days=39)))) in refused
    assert seen(EN("error-forbidden", command="campaign_start")) in await say(slack, "campaign_start q1", user="U0CLI")

    await graduate_and_enroll("acme", "q1", leads=40)
    body = await slack.command("campaign_start q1", user="U0MGR")
    assert seen(EN("campaign-warn-slow", leads=40, ready=1, days=40)) in "\n".join(texts(body["blocks"]))
    assert (await Campaign.get(name="q1")).status is CampaignStatus.DRAFT
    [actions] = [b for b in body["blocks"] if b["type"] == "actions"]
    [button] = actions["elements"]
    assert (button["text"]["text"], button["style"]) == (EN("campaign-confirm-button"), "danger")
    message = {"ts": "1700000000.000100", "text": body.get("text", ""), "blocks": body["blocks"]}
    first = await slack.press(button, user="U0MGR", channel=CHANNEL_ID, message=message)
    assert first.body["replace_original"] is True
    assert seen(EN("campaign-started", name="q1")) in "\n".join(texts(first.body["blocks"]))
    assert all(b["type"] != "actions" for b in first.body["blocks"])
    again = await slack.press(button, user="U0MGR", channel=CHANNEL_ID, message=message)  # a second click
    assert (again.body["response_type"], again.body["replace_original"]) == ("ephemeral", False)
    assert seen(EN("error-campaign-confirm-used", name="q1", status=EN("state-campaign-running"))) in "\n".join(
        texts(again.body["blocks"])
    )
    assert (await Campaign.get(name="q1")).status is CampaignStatus.RUNNING
    assert await AuditLog.filter(action="campaign.start").count() == 1
    assert seen(EN("error-already-in-state", machine=EN("machine-campaign"), state=EN("state-campaign-running"))) in (
        await say(slack, "campaign_start q1")
    )

    assert seen(EN("campaign-paused", name="q1")) in await say(slack, "campaign_pause q1")
    status = await say(slack, "campaign q1")
    assert seen(EN("campaign-title", name="q1", status=EN("state-campaign-paused"), steps=2)) in status
    assert "Leads: 40 (active: 40," in status


async def test_telegram_a_start_anyway_button_in_a_team_chat_is_only_for_the_manager_who_asked(
    telegram: TelegramRig,
) -> None:
    """Anna asks to start in the team's group and reads the warnings; Boris, another manager of the workspace,
    pressed her "start anyway" and the campaign started on warnings he never asked about, audited as his. The
    button is hers: Boris is told to ask for his own, and her button still works."""
    anna = await manager(telegram)
    code = await telegram.invite("acme", "manager")
    boris = telegram.user(700953, first_name="Boris")
    await ask(boris, f"/start {code}")
    await mailboxes("acme", "warm.test", 1, started=NOW.date() - dt.timedelta(days=10))
    await ask(anna, "/campaign_new q1")
    await ask(anna, "/campaign_group q1 warm.test")
    await ask(anna, "/campaign_steps q1\n" + STEPS)
    await graduate_and_enroll("acme", "q1", leads=12)
    team_anna = telegram.user(ANNA, chat_id=-100700954, first_name="Anna")
    team_boris = telegram.user(700953, chat_id=-100700954, first_name="Boris")
    await team_anna.send_command("/campaign_start q1")
    [confirm] = await team_anna.wait_replies()
    data = confirm.callback_data(EN("campaign-confirm-button"))

    pressed = await team_boris.press(data, confirm)
    answer = await team_boris.wait_callback_answer(pressed)
    assert EN("error-campaign-confirm-other", name="q1")[:150] in answer["text"]
    assert (await Campaign.get(name="q1")).status is CampaignStatus.DRAFT
    assert await AuditLog.filter(action="campaign.start").count() == 0

    await team_anna.press(data, confirm)  # still hers to press
    _, started = await team_anna.wait_replies(2)
    assert EN("campaign-started", name="q1") in visible(started.text)
    assert (await Campaign.get(name="q1")).status is CampaignStatus.RUNNING


async def test_telegram_a_campaign_name_of_several_words_is_answered_with_a_one_word_example(
    telegram: TelegramRig,
) -> None:
    """A new manager answers /campaign_new's question with "Весна 2027": the second word was taken for a setting,
    "«2027» is not a setting: write key=value". The name is one word: the answer says so, offers "Весна-2027",
    and the question stays open for the corrected answer."""
    anna = await manager(telegram)
    question = await ask(anna, "/campaign_new")
    assert "next message" in question
    await anna.send_text("Весна 2027")
    [refused] = await anna.wait_replies()
    assert EN("error-campaign-name-words", name="Весна 2027", example="Весна-2027") in visible(refused.text)
    assert "next message" in visible(refused.text) and await Campaign.all().count() == 0
    await anna.send_text("Весна-2027")
    [created] = await anna.wait_replies()
    assert EN("campaign-created", name="Весна-2027") in visible(created.text)
    typed = await ask(anna, "/campaign_new Осень 2027 window=10:00-17:00")  # typed on one line, settings after
    assert EN("error-campaign-name-words", name="Осень 2027", example="Осень-2027") in typed
    assert await Campaign.all().count() == 1

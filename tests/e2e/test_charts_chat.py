"""Charts and exports end to end: `/chart volume` answers a PNG file in Telegram (Bot API emulator) and in Slack
(signed requests to the real bolt app, the file uploaded to the channel); a client asking for another workspace's
campaign export is refused without learning it exists. Real PostgreSQL and Redis."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import Any

import pytest
from PIL import Image
from redis.asyncio import Redis

from bot.telegram.render import ERROR_MARK
from engine.i18n import translator
from models import Campaign, DailyStat, Domain, Enrollment, Lead, Workspace
from models.enums import DomainStatus, StatScope
from tests.e2e.conftest import NOW, TelegramRig, visible
from tests.e2e.slackrig import CLOCK, Rig, join, seen, slack_rig
from tests.harness.slackapi import CHANNEL_ID

EN = translator("en")
ANNA = 700931


async def person(rig: TelegramRig, user_id: int, role: str, slug: str = "acme") -> Any:
    if not await Workspace.exists(slug=slug):
        await rig.admin(f"/workspace_new {slug} {slug.upper()}")
    code = await rig.invite(slug, role)
    user = rig.user(user_id, first_name="Anna")
    await user.send_command(f"/start {code}")
    await user.wait_replies()
    return user


async def sends(slug: str, day: Any) -> None:
    ws = await Workspace.get(slug=slug)
    domain = await Domain.create(workspace=ws, name=f"{slug}-mail.test", status=DomainStatus.ACTIVE)
    await DailyStat.create(workspace=ws, scope=StatScope.DOMAIN, scope_id=domain.id, day=day, sent=42)


def png_size(content: bytes) -> tuple[int, int]:
    image = Image.open(io.BytesIO(content))
    image.load()
    return image.size


async def test_telegram_chart_volume_is_a_png_file_for_a_client(telegram: TelegramRig) -> None:
    client = await person(telegram, ANNA, "client")
    await sends("acme", NOW.date())

    await client.send_command("/chart volume 7d")
    text, file = await client.wait_replies(2, timeout=30)

    assert visible(text.text) == EN("chart-volume-title", days=7)
    assert file.document is not None and file.document["file_name"] == "chart-volume.png"
    assert png_size(await client.download(file)) == (1080, 1350)

    await client.send_command("/chart rates 7d")
    text, file = await client.wait_replies(2, timeout=30)
    assert visible(text.text) == "Replies, hard bounces and blocks, last 7 days"  # the rate the rule judges
    assert file.document is not None and file.document["file_name"] == "chart-rates.png"

    await client.send_command("/chart volume 1000")
    [refused] = await client.wait_replies()
    assert visible(refused.text) == ERROR_MARK + EN("chart-error-period", period="1000", max=92)


async def test_telegram_a_client_may_not_export_another_workspaces_campaign(telegram: TelegramRig) -> None:
    await telegram.admin("/workspace_new rival RIVAL")
    await Campaign.create(workspace=await Workspace.get(slug="rival"), name="Secret")
    client = await person(telegram, ANNA + 1, "client")
    await Campaign.create(workspace=await Workspace.get(slug="acme"), name="Весна")

    await client.send_command("/export_campaign Secret")
    [refused] = await client.wait_replies()
    assert visible(refused.text) == ERROR_MARK + EN("error-campaign-not-found", name="Secret")
    await client.send_command("/export_leads Secret")
    [refused] = await client.wait_replies()
    assert visible(refused.text) == ERROR_MARK + EN("error-campaign-not-found", name="Secret")

    await client.send_command("/export_leads Весна")  # a header and nothing under it would read like a broken file
    [empty] = await client.wait_replies()
    assert visible(empty.text) == EN("export-leads-empty-client", name="Весна")

    spring = await Campaign.get(name="Весна")
    lead = await Lead.create(workspace_id=spring.workspace_id, email="ivan@example.ru", first_name="Иван")
    await Enrollment.create(campaign=spring, lead=lead, next_due_at=NOW)
    await client.send_command("/export_leads Весна")
    text, file = await client.wait_replies(2, timeout=30)
    assert visible(text.text) == EN("export-leads-ready", rows=1)
    content = await client.download(file)
    assert content.startswith("\ufeff".encode())
    header, row = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert header[0] == EN("export-col-email") and row[0] == "ivan@example.ru"


@pytest.fixture
async def slack(orm: None, redis: Redis) -> AsyncIterator[Rig]:
    async with slack_rig(redis) as rig:
        yield rig


async def test_slack_chart_volume_uploads_a_png_and_other_workspaces_stay_hidden(slack: Rig) -> None:
    await join(slack, "U0CLIENT", "client", name="client")
    await sends("acme", CLOCK.now().date())

    answer = await slack.say("chart volume", user="U0CLIENT")
    assert answer == [
        seen(EN("chart-volume-title", days=14)),
        EN("slack-file-sent-dm", names="chart-volume.png", count=1),
    ]
    dm = slack.api.dm_channel("U0CLIENT")
    [uploaded] = slack.api.files_in(dm)  # the person's DM with the app: not the channel the command was typed in
    assert uploaded.filename == "chart-volume.png"
    assert png_size(uploaded.content) == (1080, 1350)

    rival = await Workspace.create(slug="rival", name="RIVAL", timezone="Europe/Moscow")
    await Campaign.create(workspace=rival, name="Secret")
    refused = await slack.say("export_campaign Secret", user="U0CLIENT")
    assert len(refused) == 1 and seen(EN("error-campaign-not-found", name="Secret")) in refused[0]

    spring = await Campaign.create(workspace=await Workspace.get(slug="acme"), name="Весна")
    assert await slack.say("export_leads Весна", user="U0CLIENT") == [EN("export-leads-empty-client", name="Весна")]
    lead = await Lead.create(workspace_id=spring.workspace_id, email="ivan@example.ru", first_name="Иван")
    await Enrollment.create(campaign=spring, lead=lead, next_due_at=NOW)
    exported = await slack.say("export_leads Весна", user="U0CLIENT")  # every lead's address and outcome
    assert exported[0] == EN("export-leads-ready", rows=1)
    [_, leads] = slack.api.files_in(dm)
    assert exported[1] == EN("slack-file-sent-dm", names=leads.filename, count=1)
    assert (leads.content or b"").startswith("\ufeff".encode())
    assert slack.api.files_in(CHANNEL_ID) == []

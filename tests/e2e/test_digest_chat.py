"""A daily digest end to end: built from the daily counters and delivered to a Telegram chat (through the Bot API
emulator) and a Slack channel (the real bolt app's client against the Web API stand-in) bound for reports, in the
workspace's language, once even when the delivery job runs again."""

from __future__ import annotations

import datetime as dt

from redis.asyncio import Redis

from bot.slack.notifier import SlackNotifier
from engine.i18n import translator
from engine.notify import deliver
from engine.reports.digest import daily
from engine.reports.period import Period
from engine.stats import StatRow, upsert_daily_stats
from models import Delivery, Workspace
from models.enums import Platform, StatScope
from tests.e2e.conftest import TelegramRig, visible
from tests.e2e.slackrig import ADMIN, CLOCK, slack_rig, texts

ANNA = 700961
REPORTS = "C0REPORTS"


async def test_a_daily_digest_reaches_the_report_chats_in_both_apps_once(telegram: TelegramRig, redis: Redis) -> None:
    await telegram.admin("/workspace_new acme ACME")
    code = await telegram.invite("acme", "manager")
    anna = telegram.user(ANNA, first_name="Anna")
    await anna.send_command(f"/start {code}")
    await anna.wait_replies()
    async with slack_rig(redis) as slack:
        await slack.command("use acme", user=ADMIN)
        invite = await slack.command("invite manager", user=ADMIN)
        [invite_code] = [t.strip("`") for t in texts(invite["blocks"]) if t.startswith("```")]
        await slack.command(f"join {invite_code}", user="U0MGR", name="mgr")
        await slack.command("bind reports", user="U0MGR", channel=REPORTS)
        await anna.send_command("/bind reports")
        await anna.wait_replies()

        space = await Workspace.get(slug="acme")
        yesterday = CLOCK.now().astimezone(dt.UTC).date() - dt.timedelta(days=1)
        await upsert_daily_stats(
            [StatRow(space.id, StatScope.WORKSPACE, space.id, yesterday, {"sent": 120, "replies": 6})]
        )
        note = await daily(space, Period(yesterday, yesterday, "yesterday"))
        notifiers = {
            Platform.TELEGRAM: telegram.transport.notifier,
            Platform.SLACK: SlackNotifier(slack.transport.client),
        }
        report = await deliver(note, notifiers, redis, CLOCK)
        assert sorted(report.sent) == [f"slack:{REPORTS}", f"telegram:{ANNA}"]
        again = await deliver(note, notifiers, redis, CLOCK)  # a retried delivery job
        assert again.sent == []

        t = translator(space.locale)
        [in_telegram] = await anna.wait_replies()
        assert t("digest-sent", sent=120, warmup=0, replies=6) in visible(in_telegram.text)
        await slack.api.wait_call("chat.postMessage")
        delivered = await Delivery.get(notification_id=note.id, platform=Platform.SLACK)
        message = slack.api.messages[(REPORTS, delivered.external_id)]
        assert any(t("digest-sent", sent=120, warmup=0, replies=6) in line for line in texts(message["blocks"]))

"""Reports end to end: a client asks `/report` in Telegram (in its own language) and over Slack, gets its own
workspace's numbers, and `/report_campaign` for another workspace's campaign is "not found" — exactly as for a
name nobody has; domain and mailbox reports are for managers."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from engine.i18n import translator
from engine.stats import StatRow, upsert_daily_stats
from models import Campaign, Workspace
from models.enums import StatScope
from tests.e2e.conftest import NOW, TelegramRig, ask
from tests.e2e.slackrig import CLOCK, Rig, join, seen, slack_rig

EN = translator("en")
RU = translator("ru")
TELEGRAM_LIMIT = 4096


async def numbers(slug: str, day: dt.date, *, sent: int, replies: int) -> Workspace:
    """The workspace's and its campaign "Autumn"'s counters on `day` (a plain-text campaign: opens unmeasured)."""
    ws = await Workspace.get(slug=slug)
    campaign = await Campaign.create(workspace=ws, name=f"Autumn {slug}")
    counts = {"sent": sent, "replies": replies, "bounces_block": 2}
    await upsert_daily_stats(
        [
            StatRow(ws.id, StatScope.WORKSPACE, ws.id, day, counts),
            StatRow(ws.id, StatScope.CAMPAIGN, campaign.id, day, counts),
        ]
    )
    return ws


async def test_telegram_client_reads_its_own_report_in_russian(telegram: TelegramRig) -> None:
    await telegram.admin("/workspace_new acme ACME")
    await telegram.admin("/workspace_new rival RIVAL")
    today = NOW.date()  # 12:00 in Moscow, the workspaces' time zone
    await numbers("acme", today, sent=400, replies=12)
    await numbers("rival", today, sent=9000, replies=900)
    code = await telegram.invite("acme", "client")
    olga = telegram.user(700950, first_name="Olga", language_code="ru")
    await olga.send_command(f"/start {code}")
    await olga.wait_replies()

    report = await ask(olga, "/report today")
    assert len(report) < TELEGRAM_LIMIT
    assert RU("report-title-workspace", subject="ACME", period=RU("report-period-day", day=today.isoformat())) in report
    assert "400" in report and "9000" not in report and "9 000" not in report
    assert RU("report-rate", percent=3, part=12, sample=400) in report
    assert RU("report-not-measured") in report  # no pixel campaign: opens are not measured, not 0 %

    own = await ask(olga, "/report_campaign 'Autumn acme' 7d")
    assert RU("report-rate", percent=0.5, part=2, sample=400) in own
    rival = await ask(olga, "/report_campaign 'Autumn rival'")
    nobody = await ask(olga, "/report_campaign 'Autumn nobody'")
    assert rival.endswith(RU("error-campaign-not-found", name="Autumn rival"))
    assert rival.replace("rival", "nobody") == nobody  # the same answer as for a name nobody has
    refused = await ask(olga, "/report_domain acme.test")
    assert RU("error-forbidden", command="report_domain") in refused
    bad = await ask(olga, "/report fortnight")
    assert RU("error-report-period", value="fortnight") in bad

    # a period as a Russian types it: "7 дней" was "extra arguments: дней", 01.11.2026 "not a period"
    week = await ask(olga, "/report 7 дней")
    start = (today - dt.timedelta(days=6)).isoformat()
    assert RU("report-period-range", start=start, end=today.isoformat(), days=7) in week and "400" in week
    dotted = f"{today:%d.%m.%Y}"
    assert RU("report-period-day", day=today.isoformat()) in await ask(olga, f"/report_campaign 'Autumn acme' {dotted}")
    ranged = await ask(olga, f"/report {today - dt.timedelta(days=1):%d.%m.%Y} – {dotted}")
    assert (
        RU("report-period-range", start=(today - dt.timedelta(days=1)).isoformat(), end=today.isoformat(), days=2)
        in ranged
    )


@pytest.fixture
async def slack(orm: None, redis: Redis) -> AsyncIterator[Rig]:
    async with slack_rig(redis) as rig:
        await join(rig, "U0CLI", "client", name="client")
        yield rig


async def test_slack_client_report_and_another_workspaces_campaign(slack: Rig) -> None:
    await slack.say("workspace_new rival RIVAL")
    await slack.say("use acme")
    today = CLOCK.now().astimezone(dt.UTC).date()
    await Workspace.filter(slug__in=["acme", "rival"]).update(timezone="UTC")
    await numbers("acme", today, sent=300, replies=30)
    await numbers("rival", today, sent=5000, replies=5)

    report = "\n".join(await slack.say("report today", user="U0CLI"))
    assert seen(EN("report-rate", percent=10, part=30, sample=300)) in report
    assert "5,000" not in report
    refused = "\n".join(await slack.say("report_campaign 'Autumn rival'", user="U0CLI"))
    assert seen(EN("error-campaign-not-found", name="Autumn rival")) in refused
    own = "\n".join(await slack.say("report_campaign 'Autumn acme' today", user="U0CLI"))
    assert (
        seen(EN("report-title-campaign", subject="Autumn acme", period=EN("report-period-day", day=today.isoformat())))
        in own
    )
    denied = "\n".join(await slack.say("report_mailbox a@acme.test", user="U0CLI"))
    assert seen(EN("error-forbidden", command="report_mailbox")) in denied

"""Faults: Telegram answering 429 (retry_after) and 5xx, the Slack Web API failing (429, 500, `ok: false`), and the
delivery job lost with Redis's queue. A notification stays pending in the database until every chat has it, is
tried again with a backoff, is queued again by the dispatch sweep when its job is gone, and reaches each chat
exactly once — counted at the stand-ins."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
from arq import Retry
from arq.connections import ArqRedis, RedisSettings, create_pool

from bot.slack.notifier import SlackNotifier, web_client
from bot.telegram.notifier import BotApi, TelegramNotifier
from engine.alerts import raise_alert
from engine.clock import FrozenClock
from engine.notify import CHAT_UNREACHABLE
from jobs import worker
from models import AgencySetting, Alert, ChatBinding, Delivery, PendingNotification, Workspace
from models.enums import AlertStatus, Platform, Severity
from tests.conftest import REDIS_URL
from tests.harness.flaky_botapi import FlakyBotApi
from tests.harness.slackapi import SlackAPI

pytestmark = [pytest.mark.usefixtures("orm"), pytest.mark.faults]

NOW = dt.datetime(2026, 12, 2, 10, 0, 5, tzinfo=dt.UTC)


@pytest.fixture
async def arq_redis(redis: object) -> AsyncIterator[ArqRedis]:
    pool = await create_pool(RedisSettings.from_dsn(REDIS_URL))
    yield pool
    await pool.aclose()


async def _alert_for(platform: Platform, chat: str) -> Workspace:
    ws = await Workspace.create(slug="acme", name="Acme", locale="en")
    await ChatBinding.create(workspace=ws, platform=platform, chat_id=chat, purposes=["alerts"])
    await raise_alert(
        workspace_id=ws.id, kind="send_unknown", severity=Severity.CRITICAL, subject="mailbox:1", key="k",
        data={"mailbox": "anna@alpha.test", "count": 2, "reason": "not-found"}, now=NOW,
    )  # fmt: skip
    return ws


async def _unknown_sends(ws: Workspace, subject: str, clock: FrozenClock) -> None:
    await raise_alert(
        workspace_id=ws.id, kind="send_unknown", severity=Severity.CRITICAL, subject=subject, key="k",
        data={"mailbox": "boris@alpha.test", "count": 1, "reason": "not-found"}, now=clock.now(),
    )  # fmt: skip


async def _deliver_all(ctx: dict[str, Any]) -> None:
    """One round of the worker: the dispatch cron queues what is due, each delivery job runs once."""
    await worker.dispatch_notifications(ctx)
    for job in await _queued(ctx["redis"]):
        await worker.deliver_notification(ctx, job["args"][0])
    await ctx["redis"].flushdb()


async def _queued(redis: ArqRedis) -> list[dict[str, Any]]:
    return [{"id": j.job_id, **j.kwargs, "args": j.args} for j in await redis.queued_jobs()]


async def _run_until_delivered(ctx: dict[str, Any], clock: FrozenClock, rounds: int) -> list[dt.timedelta]:
    """What the worker does over time: the dispatch cron queues, the job delivers or asks to be retried; between
    rounds Redis loses its queue (a restart without persistence) and the clock passes the backoff."""
    waits: list[dt.timedelta] = []
    for _ in range(rounds):
        await worker.dispatch_notifications(ctx)
        jobs = await _queued(ctx["redis"])
        if not jobs:
            break
        assert len(jobs) == 1 and jobs[0]["id"].startswith("notify:alert:")
        try:
            await worker.deliver_notification(ctx, jobs[0]["args"][0])
        except Retry as retry:
            waits.append(dt.timedelta(milliseconds=retry.defer_score or 0))
        await ctx["redis"].flushdb()  # the queue is gone
        clock.advance(waits[-1] if waits else dt.timedelta(minutes=1))
    return waits


async def test_telegram_429_and_5xx_delay_an_alert_but_it_arrives_once(arq_redis: ArqRedis) -> None:
    clock = FrozenClock(NOW)
    async with FlakyBotApi() as api:
        await _alert_for(Platform.TELEGRAM, "-100")
        api.too_many_requests(1)  # honoured in place (the Bot API client): waits 1 s and tries again
        api.server_error(502)  # → the job's retry
        api.too_many_requests(120)  # longer than we wait in place → the job's retry
        api.server_error(500)
        bot = BotApi("123:fault", api.base)
        ctx = {"redis": arq_redis, "clock": clock, "notifiers": {Platform.TELEGRAM: TelegramNotifier(bot)}}
        try:
            waits = await _run_until_delivered(ctx, clock, rounds=6)
            assert [w.total_seconds() for w in waits] == [30, 60, 120]  # backoff per attempt
            assert len(api.delivered) == 1 and "anna@alpha.test" in api.delivered[0][1]
            assert api.calls == 5
            # a duplicate job (arq delivers at least once) sends nothing more
            await worker.deliver_notification(ctx, (await PendingNotification.get()).payload)
        finally:
            await bot.close()
    assert len(api.delivered) == 1 and await Delivery.filter(chat_id="-100").count() == 1
    pending = await PendingNotification.get()
    assert pending.delivered_at is not None and pending.attempts == 5
    assert await _queued(arq_redis) == [] and await worker.dispatch_notifications(ctx) == 0  # nothing stuck


async def test_slack_429_500_and_ok_false_delay_an_alert_but_it_arrives_once(arq_redis: ArqRedis) -> None:
    clock = FrozenClock(NOW)
    async with SlackAPI() as api:
        await _alert_for(Platform.SLACK, "C0ALERTS")
        api.fail_next("chat.postMessage", "ratelimited", status=429, retry_after=1)  # the SDK waits and retries
        api.fail_next("chat.postMessage", "internal_error", status=500)
        api.fail_next("chat.postMessage", "fatal_error")  # ok: false with HTTP 200
        notifier = SlackNotifier(web_client("xoxb-fault", api.base_url))
        ctx = {"redis": arq_redis, "clock": clock, "notifiers": {Platform.SLACK: notifier}}
        waits = await _run_until_delivered(ctx, clock, rounds=5)
    assert [w.total_seconds() for w in waits] == [30, 60]
    posted = api.calls_to("chat.postMessage")
    assert len(posted) == 4 and len(api.messages) == 1  # one message in the channel
    assert await Delivery.filter(chat_id="C0ALERTS").count() == 1
    assert (await PendingNotification.get()).delivered_at is not None


async def test_a_chat_that_is_gone_is_not_retried_forever_and_the_agency_hears_of_it(arq_redis: ArqRedis) -> None:
    """A permanent refusal (channel_not_found) is a failed chat for a person to fix, not a retry forever: the
    agency's chats get one alert naming the chat, the workspace and the refusal, resolved once the chat takes a
    message again."""
    clock = FrozenClock(NOW)
    async with SlackAPI() as api:
        await AgencySetting.create(
            key="agency_chats", value=[{"platform": "slack", "chat_id": "C0OPS", "locale": "en"}]
        )
        ws = await _alert_for(Platform.SLACK, "C0GONE")
        api.fail_next("chat.postMessage", "channel_not_found")
        ctx = {
            "redis": arq_redis,
            "clock": clock,
            "notifiers": {Platform.SLACK: SlackNotifier(web_client("x", api.base_url))},
        }
        await _deliver_all(ctx)  # the workspace's alert: refused, not retried
        assert (await PendingNotification.get(notification_id="alert:1")).delivered_at is not None and not api.messages
        unreachable = await Alert.get(kind=CHAT_UNREACHABLE)
        assert (unreachable.workspace_id, unreachable.subject, unreachable.severity) == (
            None, "chat:slack:C0GONE", Severity.WARNING
        )  # fmt: skip
        await _deliver_all(ctx)  # the agency's alert about it
        [told] = [m["text"] for (channel, _), m in api.messages.items() if channel == "C0OPS"]
        assert "Slack channel C0GONE (workspace acme): channel_not_found" in told and "bind there" in told
        await _deliver_all(ctx)
        assert await worker.dispatch_notifications(ctx) == 0  # nothing pending, nothing retried

        # the chat refuses again: the same alert counts it; once it takes a message, the alert is resolved
        await _unknown_sends(ws, "mailbox:2", clock)
        api.fail_next("chat.postMessage", "channel_not_found")
        await _deliver_all(ctx)
        assert (await Alert.get(id=unreachable.id)).count == 2 and await Alert.filter(
            kind=CHAT_UNREACHABLE
        ).count() == 1
        await _unknown_sends(ws, "mailbox:3", clock)
        await _deliver_all(ctx)
        assert any(channel == "C0GONE" for channel, _ in api.messages)
        assert (await Alert.get(id=unreachable.id)).status is AlertStatus.RESOLVED

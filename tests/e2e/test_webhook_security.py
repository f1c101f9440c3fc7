"""Webhook authentication across web processes: a Slack request accepted by one process is a replay for every
other one (the seen signatures live in Redis), and a timestamp more than five minutes away — in the past or in
the future — is refused before anything runs."""

from __future__ import annotations

import time

import pytest
from redis.asyncio import Redis

from models import Invite
from tests.conftest import REDIS_URL
from tests.e2e.slackrig import ADMIN, SECRET, slack_rig
from tests.harness.slackapi import signed_headers, slash_command_body

pytestmark = pytest.mark.usefixtures("orm")


async def test_a_request_one_web_process_accepted_is_refused_by_another(redis: Redis) -> None:
    other_redis = Redis.from_url(REDIS_URL)  # the second process has a connection of its own
    try:
        async with slack_rig(redis) as first, slack_rig(other_redis) as second:
            await first.command('workspace_new acme "ACME"', user=ADMIN, name="boss")
            body = slash_command_body(
                "/mailfleet", "invite manager", response_url=first.api.response_url(), user_id=ADMIN, user_name="boss"
            )
            headers = signed_headers(SECRET, body)
            assert await first.post(body, headers) == 200
            await first.api.wait_response(count=2)
            assert await second.post(body, headers) == 401  # the same signature at the other process
            assert await first.post(body, headers) == 401
            assert await Invite.all().count() == 1
    finally:
        await other_redis.aclose()


async def test_timestamps_more_than_five_minutes_away_either_way_are_refused(redis: Redis) -> None:
    async with slack_rig(redis) as rig:
        body = slash_command_body("/mailfleet", "whoami", response_url=rig.api.response_url(), user_id="U0LATE")
        now = int(time.time())
        for timestamp in (now - 5 * 60 - 5, now + 5 * 60 + 5, 0, 10**12 - 1):
            assert await rig.post(body, signed_headers(SECRET, body, timestamp=timestamp)) == 401
        assert rig.api.responses == [] and rig.api.calls == []
        assert await redis.keys("mailfleet:slack:seen:*") == []  # refused before the replay cache was touched

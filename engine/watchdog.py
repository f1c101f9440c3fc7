"""Agency-wide checks of the machinery itself: a worker that stopped beating, and a send queue backing up. Each
raises its alert (no workspace: it goes to the agency chats) and resolves it when the condition clears."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from redis.asyncio import Redis
from tortoise import connections

from engine.alerts import raise_alert, resolve_alerts
from engine.clock import UTC_ZONE, Clock, local_time
from engine.health import HEARTBEAT_KEY
from models import AgencySetting
from models.enums import Severity

THRESHOLDS_KEY: Final = "thresholds"  # AgencySetting: agency-wide defaults, shared with monitoring
WORKER_DOWN_MINUTES: Final = 10  # no heartbeat (a cron every minute) for this long: no worker is running crons
QUEUE_BACKLOG_MINUTES: Final = 30  # due sends older than this: the workers do not keep up (or none sends)
WORKER_SUBJECT: Final = "worker:heartbeat"
QUEUE_SUBJECT: Final = "queue:outbound"


@dataclass(frozen=True)
class FleetCheck:
    worker_down: bool
    heartbeat_age_s: float | None  # None: no heartbeat recorded (it expires a few minutes after the last beat)
    backlog: int  # planned or queued sends due for longer than the threshold
    oldest_due: dt.datetime | None


async def _threshold(name: str, default: int) -> int:
    setting = await AgencySetting.get_or_none(key=THRESHOLDS_KEY)
    value = setting.value.get(name) if setting and isinstance(setting.value, dict) else None
    return value if isinstance(value, int) and value > 0 else default


async def check_fleet(redis: Redis, clock: Clock) -> FleetCheck:
    """Raise or resolve `worker_down` and `queue_backlog`; what was seen."""
    now = clock.now()
    down_after = dt.timedelta(minutes=await _threshold("worker_down_minutes", WORKER_DOWN_MINUTES))
    raw = await redis.get(HEARTBEAT_KEY)
    beat = dt.datetime.fromisoformat(raw.decode() if isinstance(raw, bytes) else str(raw)) if raw else None
    age = (now - beat).total_seconds() if beat else None
    down = age is None or age > down_after.total_seconds()
    if down:
        since = local_time(beat, UTC_ZONE) if beat else "-"  # the agency has no workspace clock: UTC, named
        data = {"minutes": int(down_after.total_seconds() // 60), "since": since}
        await raise_alert(
            workspace_id=None,
            kind="worker_down",
            severity=Severity.CRITICAL,
            subject=WORKER_SUBJECT,
            key="",
            data=data,
            now=now,
        )
    else:
        await resolve_alerts("worker_down", WORKER_SUBJECT, workspace_id=None, clock=clock)

    backlog_after = dt.timedelta(minutes=await _threshold("queue_backlog_minutes", QUEUE_BACKLOG_MINUTES))
    rows = await connections.get("default").execute_query_dict(
        "SELECT count(*) AS n, min(scheduled_at) AS oldest FROM outbound_message "
        "WHERE status IN ('planned', 'queued') AND scheduled_at < $1",
        [now - backlog_after],
    )
    count, oldest = int(rows[0]["n"]), rows[0]["oldest"]
    if count:
        minutes = int((now - oldest).total_seconds() // 60)
        await raise_alert(
            workspace_id=None,
            kind="queue_backlog",
            severity=Severity.WARNING,
            subject=QUEUE_SUBJECT,
            key="",
            data={"count": count, "minutes": minutes},
            now=now,
        )
    else:
        await resolve_alerts("queue_backlog", QUEUE_SUBJECT, workspace_id=None, clock=clock)
    return FleetCheck(down, age, count, oldest)

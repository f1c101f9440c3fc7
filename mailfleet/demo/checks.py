"""The demo's invariants, read back from the database after the run (the demo exits non-zero when one fails).

Days are the workspace's local days (the caps' days). "Sent" is every row the engine recorded as sent. Besides the
stored caps, a warming mailbox's day is held to its warmup stage: on every day before its graduation, everything
it sent (warmup, replies) stays within the ramp's target for that day (`engine.warmup.ramp.daily_target`, from its
workspace's warmup settings and its provider's limit), which is what the engine's caps allowed it then. Health
cuts and cooldowns only ever lowered a day's cap, so they are not part of this bound.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from tortoise import connections

from engine.errors import UserError
from engine.mail.providers import PRESETS
from engine.warmup.ramp import daily_target, mark_of
from engine.warmup.settings import WarmupSettings
from models.enums import MailProvider

MAILBOX_CAP = """
SELECT count(*) AS n, coalesce(max(sent - cap), 0) AS worst FROM (
  SELECT o.mailbox_id, (o.sent_at AT TIME ZONE w.timezone)::date AS day, count(*) AS sent, min(m.daily_cap) AS cap
  FROM outbound_message o JOIN mailbox m ON m.id = o.mailbox_id JOIN workspace w ON w.id = o.workspace_id
  WHERE o.status = 'sent' GROUP BY 1, 2) d
WHERE sent > cap
"""
CAMPAIGN_MAILBOX_CAP = """
SELECT count(*) AS n FROM (
  SELECT o.mailbox_id, o.campaign_id, (o.sent_at AT TIME ZONE w.timezone)::date AS day, count(*) AS sent,
         min(c.per_mailbox_cap) AS cap
  FROM outbound_message o JOIN campaign c ON c.id = o.campaign_id JOIN workspace w ON w.id = o.workspace_id
  WHERE o.status = 'sent' AND o.kind = 'campaign' GROUP BY 1, 2, 3) d
WHERE sent > cap
"""
DOMAIN_CAP = """
SELECT count(*) AS n, coalesce(max(sent), 0) AS worst FROM (
  SELECT m.domain_id, (o.sent_at AT TIME ZONE w.timezone)::date AS day, count(*) AS sent
  FROM outbound_message o JOIN mailbox m ON m.id = o.mailbox_id JOIN workspace w ON w.id = o.workspace_id
  WHERE o.status = 'sent' GROUP BY 1, 2) d
WHERE sent > $1
"""
BUSIEST_DOMAIN = """
SELECT coalesce(max(sent), 0) AS n FROM (
  SELECT m.domain_id, (o.sent_at AT TIME ZONE w.timezone)::date AS day, count(*) AS sent
  FROM outbound_message o JOIN mailbox m ON m.id = o.mailbox_id JOIN workspace w ON w.id = o.workspace_id
  WHERE o.status = 'sent' GROUP BY 1, 2) d
"""
DUPLICATES = """
SELECT count(*) AS n FROM (
  SELECT lead_id, campaign_id, step_position FROM outbound_message
  WHERE kind = 'campaign' AND status IN ('sent', 'sending', 'unknown')
  GROUP BY 1, 2, 3 HAVING count(*) > 1) d
"""
SUPPRESSED = """
SELECT count(*) AS n FROM outbound_message o JOIN lead l ON l.id = o.lead_id
WHERE o.kind = 'campaign' AND o.status = 'sent' AND EXISTS (
  SELECT 1 FROM suppression s
  WHERE (s.workspace_id = o.workspace_id OR s.workspace_id IS NULL)
    AND (s.value = l.email OR s.value = split_part(l.email, '@', 2))
    AND s.created_at < o.sent_at)
"""
UNSUBSCRIBED = """
SELECT count(*) AS n FROM outbound_message o
WHERE o.kind = 'campaign' AND o.status = 'sent' AND EXISTS (
  SELECT 1 FROM event e WHERE e.lead_id = o.lead_id AND e.kind IN ('unsubscribe', 'complaint')
    AND e.workspace_id = o.workspace_id AND e.occurred_at < o.sent_at)
"""
WARMING_DAYS = """
SELECT o.mailbox_id, m.warmup_started_on AS started_on, m.provider, w.settings::text AS settings,
       (o.sent_at AT TIME ZONE w.timezone)::date AS day, count(*) AS sent, m.warmup_ramp_day, m.warmup_ramp_level
FROM outbound_message o JOIN mailbox m ON m.id = o.mailbox_id JOIN workspace w ON w.id = o.workspace_id
WHERE o.status = 'sent' AND m.warmup_started_on IS NOT NULL
  AND (m.graduated_at IS NULL
       OR (o.sent_at AT TIME ZONE w.timezone)::date < (m.graduated_at AT TIME ZONE w.timezone)::date)
GROUP BY 1, 2, 3, 4, 5, 7, 8
"""
TOTALS = """
SELECT count(*) FILTER (WHERE kind = 'campaign') AS campaign, count(*) FILTER (WHERE kind = 'warmup') AS warmup
FROM outbound_message WHERE status = 'sent'
"""


@dataclass(frozen=True)
class Invariants:
    mailbox_over: int
    stage_over: int
    warming_days: int
    campaign_mailbox_over: int
    domain_over: int
    busiest_domain_day: int
    duplicates: int
    suppressed_sends: int
    unsubscribed_sends: int
    campaign_sent: int
    warmup_sent: int
    domain_cap: int

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.rows())

    def rows(self) -> Iterator[Check]:
        yield Check("demo-check-mailbox-cap", self.mailbox_over == 0, {"count": self.mailbox_over})
        yield Check("demo-check-stage", self.stage_over == 0, {"count": self.stage_over, "days": self.warming_days})
        yield Check("demo-check-campaign-cap", self.campaign_mailbox_over == 0, {"count": self.campaign_mailbox_over})
        yield Check(
            "demo-check-domain-cap",
            self.domain_over == 0,
            {"cap": self.domain_cap, "busiest": self.busiest_domain_day},
        )
        yield Check("demo-check-duplicates", self.duplicates == 0, {"count": self.duplicates})
        yield Check(
            "demo-check-suppressed",
            self.suppressed_sends == 0,
            {"campaign": self.campaign_sent, "warmup": self.warmup_sent},
        )
        yield Check("demo-check-unsubscribed", self.unsubscribed_sends == 0)


@dataclass(frozen=True)
class Check:
    """One invariant as the summary states it: its catalog key (`demo.ftl`; its figures, if it shows any, are
    `<key>-detail`), whether it held, and the values both are formatted with."""

    key: str
    ok: bool
    params: dict[str, int] = field(default_factory=dict)


async def check_invariants(zone: ZoneInfo, domain_cap: int = 150) -> Invariants:
    db = connections.get("default")

    async def one(sql: str, *params: object) -> dict[str, int]:
        rows = await db.execute_query_dict(sql, list(params))
        return {k: int(v or 0) for k, v in rows[0].items()}

    mailbox = await one(MAILBOX_CAP)
    totals = await one(TOTALS)
    warming = await db.execute_query_dict(WARMING_DAYS)
    return Invariants(
        mailbox_over=mailbox["n"],
        stage_over=sum(1 for r in warming if int(r["sent"]) > _stage(r)),
        warming_days=len(warming),
        campaign_mailbox_over=(await one(CAMPAIGN_MAILBOX_CAP))["n"],
        domain_over=(await one(DOMAIN_CAP, domain_cap))["n"],
        busiest_domain_day=(await one(BUSIEST_DOMAIN))["n"],
        duplicates=(await one(DUPLICATES))["n"],
        suppressed_sends=(await one(SUPPRESSED))["n"],
        unsubscribed_sends=(await one(UNSUBSCRIBED))["n"],
        campaign_sent=totals["campaign"],
        warmup_sent=totals["warmup"],
        domain_cap=domain_cap,
    )


def _stage(row: dict[str, Any]) -> int:
    """The warmup stage (the ramp's target) of a warming mailbox on its day, as the engine's caps computed it."""
    try:
        settings = WarmupSettings.from_workspace(json.loads(row["settings"] or "{}"))
    except UserError:
        settings = WarmupSettings()
    try:
        limit = PRESETS[MailProvider(row["provider"])].provider_daily_limit
    except ValueError:
        limit = None
    return daily_target(
        settings, mailbox_id=int(row["mailbox_id"]), started_on=row["started_on"], day=row["day"], provider_limit=limit,
        mark=mark_of(row.get("warmup_ramp_day"), row.get("warmup_ramp_level")),
    )  # fmt: skip

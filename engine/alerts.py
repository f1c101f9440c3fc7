"""From alerts and approval requests in the database to notifications in chat.

A cron claims what has not been announced yet (a conditional update of `notified_at`, so several workers
never announce the same row twice) and hands the notifications to the delivery job. Repeats of an open
alert only raise its count: people hear about a problem once, not every time a check sees it again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from engine.clock import Clock
from engine.notify import Notification
from models import Alert
from models.alert import Approval
from models.enums import AlertStatus, ApprovalKind, ApprovalStatus, ChatPurpose, Severity

# The message that asks for each kind of approval; its payload fills the placeholders.
APPROVAL_MESSAGES = {
    ApprovalKind.DMARC_STEP: "dmarc-step-proposal",
    ApprovalKind.DOMAIN_SWAP: "approval-domain-swap",
    ApprovalKind.DNS_APPLY: "approval-dns-apply",
}


async def raise_alert(
    *,
    workspace_id: int | None,
    kind: str,
    severity: Severity,
    subject: str,
    key: str,
    data: Mapping[str, Any],
    now: dt.datetime,
) -> bool:
    """Open an alert, or count a repeat of the open one with the same fingerprint; True when new.

    One statement (`INSERT … ON CONFLICT` on the partial unique index of open fingerprints), so two workers
    raising the same alert at once still leave one row.
    """
    fingerprint = hashlib.sha256(f"{kind}|{subject}|{key}".encode()).hexdigest()
    sql = (
        "INSERT INTO alert (workspace_id, kind, severity, subject, fingerprint, status, count, data, "
        "first_seen, last_seen) VALUES ($1, $2, $3, $4, $5, 'open', 1, $6::jsonb, $7, $7) "
        "ON CONFLICT (fingerprint) WHERE status <> 'resolved' "
        "DO UPDATE SET count = alert.count + 1, last_seen = EXCLUDED.last_seen, data = EXCLUDED.data "
        "RETURNING (xmax = 0) AS inserted"
    )
    params = [workspace_id, kind, severity.value, subject, fingerprint, json.dumps(data, ensure_ascii=False), now]
    rows = await Alert._meta.db.execute_query_dict(sql, params)
    return bool(rows[0]["inserted"])


def alert_key(kind: str) -> str:
    return "alert-" + kind.replace("_", "-")


async def claim_due(clock: Clock, limit: int = 100) -> list[Notification]:
    """Notifications for alerts and approval requests no chat has heard of yet; marks them announced."""
    now = clock.now()
    due: list[Notification] = []
    alerts = await Alert.filter(notified_at=None, status=AlertStatus.OPEN, workspace_id__not_isnull=True).limit(limit)
    for alert in alerts:
        if await Alert.filter(id=alert.id, notified_at=None).update(notified_at=now) != 1:
            continue  # another worker claimed it
        params: dict[str, Any] = {**alert.data, "severity": alert.severity.value}
        assert alert.workspace_id is not None  # filtered above
        due.append(
            Notification(
                f"alert:{alert.id}",
                alert.workspace_id,
                ChatPurpose.ALERTS,
                "alert-title",
                alert_key(alert.kind),
                params,
            )
        )
    approvals = await Approval.filter(notified_at=None, status=ApprovalStatus.PENDING).limit(limit)
    for approval in approvals:
        if await Approval.filter(id=approval.id, notified_at=None).update(notified_at=now) != 1:
            continue
        arg = str(approval.id)
        due.append(
            Notification(
                f"approval:{approval.id}",
                approval.workspace_id,
                ChatPurpose.ALERTS,
                "approval-title",
                APPROVAL_MESSAGES[approval.kind],
                {**approval.payload, "id": approval.id},
                [("button-approve", "approve", arg), ("button-reject", "reject", arg)],
            )
        )
    return due

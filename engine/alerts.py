"""The alert lifecycle, and from alerts and approval requests in the database to notifications in chat.

One open alert per fingerprint (kind, subject, key, workspace): repeats only raise its `count` and `last_seen`,
so people hear about a problem once, not every time a check sees it again. An alert is `open`, then `acked`
(someone took it; repeats still count) and `resolved` when the check that raised it sees the condition clear —
after that the same problem is a new alert. A cron claims what has not been announced yet (conditional
updates, so several workers never announce the same row twice) and hands the notifications to the delivery job:
the new alerts, with an Ack button, and the resolutions of announced ones, once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from engine.access import Actor
from engine.alert_names import part_of, subject_names
from engine.alert_routing import SEVERITY_RANK
from engine.approvals import managed_workspaces, manages
from engine.clock import Clock
from engine.dns.names import to_unicode_address
from engine.errors import Conflict, Forbidden, NotFound
from engine.logging import get_logger
from engine.mail import problem_key
from engine.notify import Notification
from models import Alert, AuditLog, Person, Workspace
from models.alert import Approval
from models.enums import AlertStatus, ApprovalKind, ApprovalStatus, ChatPurpose, Severity

log = get_logger(__name__)
RESOLUTION_MARK: Final = "_resolution_announced"
"""Set in a resolved alert's `data` when its resolution was claimed for announcement (no column for it)."""
RESOLUTION_SAYS: Final = "_resolution_says"
"""Set in a resolved alert's `data` by whatever resolved it for a reason of its own (not "no longer seen"): the
catalog key its announced resolution reads (`resolve_saying`)."""
RESOLUTION_NEWS_FOR: Final = dt.timedelta(hours=24)
"""A resolution older than this is not news: it is never announced (rows resolved before this code, a long
outage of every worker)."""
LIST_LIMIT: Final = 20  # alerts /alerts shows; the totals say how many more there are
INBOX_UNREACHABLE: Final = "inbox_unreachable"
"""A mailbox's inbox has gone unread for a while (`engine.inbox`); while it is not resolved the outbox holds the
mailbox's campaign sends (`engine.sending.outbox`): a reply or an unsubscribe request to it would go unseen."""

SMTP_UNREACHABLE: Final = "smtp_unreachable"
"""A mailbox has not reached its SMTP server for a while (`engine.sending.outbox`): its mail waits, nothing is sent
or failed; resolved by the first message that goes out."""


NOTICES: Final = frozenset({"domain_resumed"})
"""Kinds that are news, not a condition (a cooled domain went back to work): nothing would ever resolve them, so
once announced they are over — resolved, no resolution announced, no Ack button — and /alerts does not keep
listing them."""


INBOX_UNREADABLE_DISABLED: Final = "inbox_unreadable_disabled"
"""A disabled mailbox's inbox, still read for the answers to what it sent before it was disabled (`engine.inbox`),
failed to be read (not its login: the connection, TLS, a timeout) twice in a row: raised once (a repeat only
counts), resolved by a good read or when a person resumes the mailbox."""

DISABLED_ALERTS: Final = ("mailbox_auth_disabled", "mailbox_disabled", INBOX_UNREADABLE_DISABLED)
"""The alerts of a disabled mailbox (refused logins; monitoring's auth or SMTP error rule; its inbox not read),
resolved when a person resumes it (`engine.mailboxes.resume_mailbox`)."""


def inbox_unreachable_fingerprint(workspace_id: int, mailbox_id: int) -> str:
    """The fingerprint of a mailbox's `inbox_unreachable` alert (raised with the key "imap")."""
    return alert_fingerprint(INBOX_UNREACHABLE, f"mailbox:{mailbox_id}", "imap", workspace_id)


def inbox_unread_fingerprints(workspace_id: int, mailbox_id: int) -> tuple[str, str]:
    """The fingerprints of the alerts that say a mailbox's inbox goes unread: `inbox_unreachable`, and the one a
    disabled mailbox's becomes (`INBOX_UNREADABLE_DISABLED`, both raised with the key "imap")."""
    subject = f"mailbox:{mailbox_id}"
    late = alert_fingerprint(INBOX_UNREADABLE_DISABLED, subject, "imap", workspace_id)
    return inbox_unreachable_fingerprint(workspace_id, mailbox_id), late


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
    """Open an alert, or count a repeat of the open (or acked) one with the same fingerprint; True when new.

    One statement (`INSERT … ON CONFLICT` on the partial unique index of unresolved fingerprints), so two
    workers raising the same alert at once still leave one row. An acked alert that repeats stays acked.
    """
    fingerprint = alert_fingerprint(kind, subject, key, workspace_id)
    if isinstance(data.get("mailbox"), str):  # callers pass the stored address: people read `anna@пример.рф`
        data = {**data, "mailbox": to_unicode_address(data["mailbox"])}
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


async def mailbox_auth_disabled(
    workspace_id: int, mailbox_id: int, address: str, *, failures: int, reason: str, via: str, now: dt.datetime
) -> bool:
    """The critical alert of a mailbox disabled after `failures` refused logins (`via` "imap" or "smtp"); `reason`
    is the failure's key, also read in words in each chat's language."""
    return await raise_alert(
        workspace_id=workspace_id,
        kind="mailbox_auth_disabled",
        severity=Severity.CRITICAL,
        subject=f"mailbox:{mailbox_id}",
        key="auth",
        data={
            "mailbox": address,  # named in Unicode by `raise_alert`
            "failures": failures,
            "reason": reason,
            "reason_keys": [problem_key(reason)],
            "via": via,
        },
        now=now,
    )


async def smtp_unreachable(
    workspace_id: int, mailbox_id: int, address: str, *, since: str, reason: str, now: dt.datetime
) -> bool:
    """The warning that a mailbox's mail has waited since `since` (as chat shows a moment) because its SMTP server
    cannot be reached or used; `reason` is the failure's key, read in words in each chat's language."""
    return await raise_alert(
        workspace_id=workspace_id,
        kind=SMTP_UNREACHABLE,
        severity=Severity.WARNING,
        subject=f"mailbox:{mailbox_id}",
        key="smtp",
        data={"mailbox": address, "since": since, "reason": reason, "reason_keys": [problem_key(reason)]},
        now=now,
    )


def alert_fingerprint(kind: str, subject: str, key: str, workspace_id: int | None) -> str:
    """The identity of one problem: the same kind, subject and key in the same workspace (or agency-wide)."""
    scope = "agency" if workspace_id is None else str(workspace_id)
    return hashlib.sha256(f"{kind}|{subject}|{key}|{scope}".encode()).hexdigest()


def alert_key(kind: str) -> str:
    return "alert-" + kind.replace("_", "-")


async def resolve_alerts(kind: str, subject: str, *, workspace_id: int | None, clock: Clock) -> int:
    """Resolve the open and acked alerts of `kind` on `subject` (every key) in the workspace, or agency-wide
    with None: the check that raised them sees the condition clear. The number resolved; the chats that heard
    of one hear of its resolution once (`claim_due`)."""
    sql = (
        "UPDATE alert SET status = 'resolved', resolved_at = $4 "
        "WHERE kind = $1 AND subject = $2 AND workspace_id IS NOT DISTINCT FROM $3 AND status <> 'resolved'"
    )
    count, _ = await Alert._meta.db.execute_query(sql, [kind, subject, workspace_id, clock.now()])
    if count:
        log.info("alerts resolved", kind=kind, subject=subject, workspace_id=workspace_id, count=count)
    return int(count)


async def resolve_fingerprints(fingerprints: Sequence[str], *, clock: Clock) -> int:
    """Resolve the open and acked alerts of these fingerprints (one problem each: kind, subject, key, workspace)
    in one statement, for a check that sees many conditions clear at once. The number resolved."""
    if not fingerprints:
        return 0
    sql = (
        "UPDATE alert SET status = 'resolved', resolved_at = $2 "
        "WHERE fingerprint = ANY($1::text[]) AND status <> 'resolved'"
    )
    count, _ = await Alert._meta.db.execute_query(sql, [list(fingerprints), clock.now()])
    if count:
        log.info("alerts resolved", count=count)
    return int(count)


async def resolve_subjects(kind: str, subjects: Sequence[str], *, clock: Clock) -> int:
    """Resolve the open and acked alerts of `kind` on any of `subjects` in one statement, whatever their workspace:
    for subjects that name one object of the whole install (`mailbox:<id>`), checked many at a time. The number
    resolved."""
    if not subjects:
        return 0
    sql = (
        "UPDATE alert SET status = 'resolved', resolved_at = $3 "
        "WHERE kind = $1 AND subject = ANY($2::text[]) AND status <> 'resolved'"
    )
    count, _ = await Alert._meta.db.execute_query(sql, [kind, list(subjects), clock.now()])
    if count:
        log.info("alerts resolved", kind=kind, count=count)
    return int(count)


async def resolve_saying(kinds: Sequence[str], subjects: Sequence[str], says: str, *, clock: Clock) -> int:
    """Resolve the open and acked alerts of `kinds` on any of `subjects` (whatever their workspace) for a reason the
    chats are told in the words of `says` (a catalog key, filled like `alert-resolved`) rather than "no longer
    seen": the condition did not clear, it stopped mattering (a disabled mailbox's inbox no longer read). The
    number resolved."""
    if not kinds or not subjects:
        return 0
    sql = (
        "UPDATE alert SET status = 'resolved', resolved_at = $3, data = data || jsonb_build_object($4::text, $5::text) "
        "WHERE kind = ANY($1::text[]) AND subject = ANY($2::text[]) AND status <> 'resolved'"
    )
    count, _ = await Alert._meta.db.execute_query(
        sql, [list(kinds), list(subjects), clock.now(), RESOLUTION_SAYS, says]
    )
    if count:
        log.info("alerts resolved", kinds=list(kinds), says=says, count=count)
    return int(count)


SEND_UNKNOWN: Final = "send_unknown"
"""The alert of a mailbox's sends left `unknown` by a worker that died mid-send (`engine.sending.outbox`)."""
_UNKNOWN_LEFT = (
    "SELECT DISTINCT mailbox_id FROM outbound_message WHERE mailbox_id = ANY($1::bigint[]) AND status = 'unknown'"
)


async def unknown_sends_settled(mailbox_ids: Collection[int], *, clock: Clock) -> int:
    """Resolve the open `send_unknown` alerts of these mailboxes once no send of theirs is left `unknown` (later
    mail or a reader settled them as sent: `engine.lifecycle.settle_unknown`), saying so; a mailbox with one still
    unknown keeps its alert. Run on the transaction that settled them. The number resolved."""
    if not mailbox_ids:
        return 0
    alerted = (
        await Alert.filter(kind=SEND_UNKNOWN, subject__in=[f"mailbox:{m}" for m in sorted(set(mailbox_ids))])
        .exclude(status=AlertStatus.RESOLVED)
        .values_list("subject", flat=True)
    )
    if not alerted:
        return 0
    ids = sorted({int(str(s).removeprefix("mailbox:")) for s in alerted})
    left = {int(r["mailbox_id"]) for r in await Alert._meta.db.execute_query_dict(_UNKNOWN_LEFT, [ids])}
    settled = [f"mailbox:{m}" for m in ids if m not in left]
    return await resolve_saying([SEND_UNKNOWN], settled, "alert-resolved-settled", clock=clock)


async def hand_over(
    old_fingerprint: str,
    *,
    kind: str,
    severity: Severity,
    key: str,
    data: Mapping[str, Any],
    now: dt.datetime,
) -> bool:
    """Turn the unresolved alert of `old_fingerprint` into one of `kind` on the same subject and workspace, in place:
    the same problem seen anew (an unreachable inbox whose mailbox has since been disabled), so the chats that heard
    of it do not hear of it again as a new alert, and hear of its end once. Its count, first sighting, ack and
    announcement are kept. False when there is no such alert, or when one of `kind` is already unresolved there (then
    the old one is settled, unannounced: the other one speaks for both)."""
    rows = await Alert._meta.db.execute_query_dict(
        "SELECT id, workspace_id, subject FROM alert WHERE fingerprint = $1 AND status <> 'resolved'",
        [old_fingerprint],
    )
    if not rows:
        return False
    row = rows[0]
    fingerprint = alert_fingerprint(kind, row["subject"], key, row["workspace_id"])
    if isinstance(data.get("mailbox"), str):
        data = {**data, "mailbox": to_unicode_address(data["mailbox"])}
    if await Alert.filter(fingerprint=fingerprint).exclude(status=AlertStatus.RESOLVED).exists():
        await Alert._meta.db.execute_query(
            "UPDATE alert SET status = 'resolved', resolved_at = $2, data = data || jsonb_build_object($3::text, "
            "$4::text) WHERE id = $1 AND status <> 'resolved'",
            [row["id"], now, RESOLUTION_MARK, now.isoformat()],
        )
        return False
    count, _ = await Alert._meta.db.execute_query(
        "UPDATE alert SET kind = $2, severity = $3, fingerprint = $4, data = $5::jsonb, count = count + 1, "
        "last_seen = $6 WHERE id = $1 AND status <> 'resolved'",
        [row["id"], kind, severity.value, fingerprint, json.dumps(data, ensure_ascii=False), now],
    )
    if count:
        log.info("alert handed over", id=row["id"], kind=kind)
    return bool(count)


async def settle_subjects(subjects: Sequence[str], *, workspace_id: int, clock: Clock) -> int:
    """Resolve every open and acked alert on `subjects` in the workspace, whatever its kind, for objects taken out
    of service (a swapped-out domain and its mailboxes): no check looks at them again, so nothing else would ever
    resolve them. Their resolution is not announced — the condition was not seen to clear (the domain may still
    be listed); the message that took them out says what became of them. The number settled."""
    if not subjects:
        return 0
    sql = (
        "UPDATE alert SET status = 'resolved', resolved_at = $3, data = data || jsonb_build_object($4::text, $5::text) "
        "WHERE subject = ANY($1::text[]) AND workspace_id = $2 AND status <> 'resolved'"
    )
    now = clock.now()
    params = [list(subjects), workspace_id, now, RESOLUTION_MARK, now.isoformat()]
    count, _ = await Alert._meta.db.execute_query(sql, params)
    if count:
        log.info("alerts settled", workspace_id=workspace_id, count=count)
    return int(count)


async def _may_handle(actor: Actor, alert: Alert) -> bool:
    """Managers of the alert's workspace (any of theirs) and admins; agency-wide alerts: admins only."""
    if alert.workspace_id is None:
        return actor.is_admin
    return await manages(actor, alert.workspace_id)


async def ack_alert(actor: Actor, alert_id: int, clock: Clock) -> Alert:
    """Acknowledge an open alert, once: `Conflict` ("error-alert-acked", naming who) for a second ack — from
    another chat or a double click — and ("error-alert-resolved") for one already cleared. `NotFound` for an
    alert the actor may not handle, exactly as for one that does not exist."""
    alert = await Alert.get_or_none(id=alert_id)
    if alert is None or not await _may_handle(actor, alert):
        raise NotFound("error-alert-not-found", id=alert_id)
    now = clock.now()
    moved = await Alert.filter(id=alert.id, status=AlertStatus.OPEN).update(
        status=AlertStatus.ACKED, acked_by_id=actor.person_id, acked_at=now
    )
    fresh = await Alert.get(id=alert.id)
    if moved != 1:
        if fresh.status is AlertStatus.RESOLVED:
            raise Conflict("error-alert-resolved", id=alert_id)
        raise Conflict("error-alert-acked", id=alert_id, who=await _who(fresh.acked_by_id))
    await AuditLog.create(
        workspace_id=alert.workspace_id,
        actor_id=actor.person_id,
        action="alert.ack",
        subject=f"alert:{alert.id}",
        data={"via": actor.platform.value, "kind": alert.kind, "subject": alert.subject},
        created_at=now,
    )
    log.info("alert acked", id=alert.id, via=actor.platform.value)
    return fresh


async def _who(person_id: int | None) -> str:
    person = await Person.get_or_none(id=person_id) if person_id else None
    return (person.display_name or person.external_id) if person else "-"


@dataclass(frozen=True)
class AlertView:
    id: int
    workspace: str  # its slug; "" for an agency-wide alert
    kind: str
    severity: Severity
    subject: str  # its name (`engine.alert_names.subject_names`)
    status: AlertStatus
    count: int
    age_s: float  # since first seen
    last_s: float  # since last seen
    acked_by: str  # "" when open


@dataclass(frozen=True)
class AlertListing:
    alerts: list[AlertView]  # worst first: critical, warning, info; open before acked; the latest first
    total: int  # open and acked alerts in scope
    open: int
    acked: int


async def _scope(actor: Actor, everywhere: bool) -> Q:
    """Which alerts the actor sees: the current workspace (admins: and the agency's); with `everywhere` every
    workspace they manage (admins: all of them)."""
    if actor.is_admin:
        if everywhere:
            return Q()
        current = Q(workspace_id=actor.workspace_id) if actor.workspace_id is not None else Q(id=-1)
        return Q(current, Q(workspace_id__isnull=True), join_type="OR")
    if not everywhere:
        if actor.workspace_id is None or not actor.can_manage(actor.workspace_id):
            raise Forbidden("error-forbidden")
        return Q(workspace_id=actor.workspace_id)
    managed = await managed_workspaces(actor)
    if not managed:
        raise Forbidden("error-forbidden")
    return Q(workspace_id__in=managed)


async def list_alerts(actor: Actor, clock: Clock, *, everywhere: bool = False, limit: int = LIST_LIMIT) -> AlertListing:
    """Open and acked alerts in the actor's scope (`_scope`), worst first, at most `limit`, with the totals."""
    scope = await _scope(actor, everywhere)
    live = Alert.filter(scope, status__in=[AlertStatus.OPEN, AlertStatus.ACKED])
    opened = await live.filter(status=AlertStatus.OPEN).count()
    acked = await live.filter(status=AlertStatus.ACKED).count()
    rows: list[Alert] = []
    for severity in sorted(Severity, key=lambda s: SEVERITY_RANK[s.value]):
        if len(rows) >= limit:
            break
        rows += await live.filter(severity=severity).order_by("-status", "-last_seen", "-id").limit(limit - len(rows))
    ids = {r.workspace_id for r in rows if r.workspace_id}
    slugs = dict(await Workspace.filter(id__in=ids).values_list("id", "slug"))
    people = {r.acked_by_id: await _who(r.acked_by_id) for r in rows if r.acked_by_id}
    now = clock.now()
    names = await subject_names(r.subject for r in rows)
    views = [
        AlertView(
            id=r.id,
            workspace=str(slugs.get(r.workspace_id, "")) if r.workspace_id else "",
            kind=r.kind,
            severity=r.severity,
            subject=f"{names[r.subject]} ({part})" if (part := part_of(r.kind, r.data or {})) else names[r.subject],
            status=r.status,
            count=r.count,
            age_s=(now - r.first_seen).total_seconds(),
            last_s=(now - r.last_seen).total_seconds(),
            acked_by=people.get(r.acked_by_id, "") if r.acked_by_id else "",
        )
        for r in rows
    ]
    return AlertListing(views, opened + acked, opened, acked)


def _alert_notification(row: Mapping[str, Any]) -> Notification:
    data = row["data"]
    data = json.loads(data) if isinstance(data, str) else dict(data or {})
    params: dict[str, Any] = {**data, "severity": row["severity"], "id": row["id"]}
    return Notification(
        f"alert:{row['id']}",
        row["workspace_id"],
        ChatPurpose.ALERTS,
        "alert-heading",
        alert_key(row["kind"]),
        params,
        [] if row["kind"] in NOTICES else [("button-ack", "ack", str(row["id"]))],
        severity=row["severity"],
        kind=row["kind"],
        subject=row["subject"],
    )


async def _claim_alerts(now: dt.datetime, limit: int) -> list[Notification]:
    """New open alerts no chat has heard of, oldest first, each claimed once by one statement (`SKIP LOCKED`:
    workers claiming at once take different rows)."""
    sql = (
        "UPDATE alert SET notified_at = $1 WHERE id IN ("
        "SELECT id FROM alert WHERE notified_at IS NULL AND status = 'open' "
        "ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED) "
        "RETURNING id, workspace_id, kind, subject, severity, data"
    )
    rows = await Alert._meta.db.execute_query_dict(sql, [now, limit])
    if notices := [int(r["id"]) for r in rows if r["kind"] in NOTICES]:
        await Alert._meta.db.execute_query(
            "UPDATE alert SET status = 'resolved', resolved_at = $2, data = data || jsonb_build_object($3::text, "
            "$4::text) WHERE id = ANY($1::bigint[]) AND status <> 'resolved'",
            [notices, now, RESOLUTION_MARK, now.isoformat()],
        )
    return [_alert_notification(r) for r in sorted(rows, key=lambda r: int(r["id"]))]


def _resolution_says(row: Mapping[str, Any]) -> str:
    data = row.get("data")
    data = json.loads(data) if isinstance(data, str) else dict(data or {})
    says = data.get(RESOLUTION_SAYS)
    if isinstance(says, str) and says.startswith("alert-resolved-"):
        return says
    return "alert-resolved"


async def _claim_resolutions(now: dt.datetime, limit: int) -> list[Notification]:
    """The resolutions of alerts some chat heard of, each claimed once (a conditional update of a mark in
    `data`: several workers never announce one twice)."""
    sql = (
        "UPDATE alert SET data = data || jsonb_build_object($1::text, $2::text) WHERE id IN ("
        "SELECT id FROM alert WHERE status = 'resolved' AND notified_at IS NOT NULL AND NOT (data ? $1) "
        "AND resolved_at > $4 ORDER BY resolved_at LIMIT $3 FOR UPDATE SKIP LOCKED) "
        "RETURNING id, workspace_id, kind, subject, severity, count, data"
    )
    params = [RESOLUTION_MARK, now.isoformat(), limit, now - RESOLUTION_NEWS_FOR]
    rows = await Alert._meta.db.execute_query_dict(sql, params)
    names = await subject_names(r["subject"] for r in rows)
    return [
        Notification(
            f"alert:{r['id']}:resolved",
            r["workspace_id"],
            ChatPurpose.ALERTS,
            "alert-resolved-title",
            _resolution_says(r),
            {"id": r["id"], "kind": r["kind"], "subject": names[r["subject"]], "count": r["count"]},
            severity=Severity.INFO.value if r["severity"] == Severity.INFO.value else Severity.WARNING.value,
            kind=r["kind"],
            subject=r["subject"],
            resolved=True,
        )
        for r in rows
    ]


async def claim_due(
    clock: Clock, limit: int = 100, *, keep: Callable[[list[Notification], Clock], Awaitable[None]] | None = None
) -> list[Notification]:
    """Notifications for alerts, resolutions and approval requests no chat has heard of yet; marks them
    announced. Agency-wide alerts (no workspace) are included: delivery sends them to the agency chats. `keep`
    (`engine.notify.submit`) stores them in the same transaction as the claim: a crash loses neither."""
    if keep is None:
        return await _claim_due(clock, limit)
    async with in_transaction():
        due = await _claim_due(clock, limit)
        await keep(due, clock)
    return due


async def _claim_due(clock: Clock, limit: int) -> list[Notification]:
    now = clock.now()
    due = await _claim_alerts(now, limit)
    due += await _claim_resolutions(now, limit)
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
                {"renews": 0, "days": 0, **approval.payload, "id": approval.id},  # older requests had neither
                [("button-approve", "approve", arg), ("button-reject", "reject", arg)],
            )
        )
    return due

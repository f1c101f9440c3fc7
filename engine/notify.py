"""Outbound notifications (alerts, digests, approval requests) to every chat bound to a workspace, or to the
agency chats for alerts that belong to no workspace.

Transports implement `Notifier`; a job calls `deliver`. Every notification is first kept in the database
(`submit`, a `PendingNotification`) until a run delivers it to every chat (`settle`): a chat that failed for a reason
that may pass (a 5xx, flood control, the network) is tried again with a backoff, and `pending` hands back what a
lost job left undelivered. A notification id is delivered to a chat at most once (a unique row per id and chat),
and each chat stays within its platform's limits (`chat_budgets`: Telegram about 1 message a second in a chat, 20
a minute in a group, 30 a second for the whole bot; Slack about 1 a second in a channel), counted in Redis for
every worker at once (`engine.ratelimit`) — the rest is reported as deferred, with the wait, so the job retries
when a slot frees. Alerts also count against the chat's budget for the rate window (`engine.alert_routing`): past
it, and for `info` alerts always, they are held in Redis and `flush_digests` sends one digest per chat and window
once the window has closed. Critical alerts always go out at once.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from redis.asyncio import Redis
from tortoise.exceptions import IntegrityError

from engine.agency_chats import agency_chats, agency_readers
from engine.alert_names import kind_label, subject_names
from engine.alert_routing import PER_WINDOW, WINDOW_S, Held, Route, clip, route, summarize, window_of
from engine.clock import Clock
from engine.i18n import Translator, translator
from engine.logging import get_logger
from engine.people import chats_for, move_chat
from engine.ratelimit import Budget, Limits, Rule, SharedLimits, defer_seconds
from engine.reply import Button, Reply
from models import ChatBinding, Delivery, PendingNotification, Workspace
from models.enums import ChatPurpose, Platform, Severity

log = get_logger(__name__)
# The platforms' documented pace: Telegram's Bots FAQ (1 a second in one chat, 20 a minute in a group, about 30 a
# second in all) and Slack's chat.postMessage (about 1 a second per channel, short bursts allowed)
TELEGRAM_CHAT: Final = Rule("telegram-chat", 1, 1)
TELEGRAM_GROUP: Final = Rule("telegram-group", 20, 60)
TELEGRAM_BOT: Final = Rule("telegram-bot", 30, 1)
SLACK_CHANNEL: Final = Rule("slack-channel", 1, 1)
# Redis keys of the per-chat alert budget and digests, shared by every worker
WINDOW_KEY: Final = "mailfleet:alertwin:{platform}:{chat}:{window}"  # alert messages sent in the window
DIGEST_KEY: Final = "mailfleet:digest:{platform}:{chat}:{window}"  # held items (JSON), in arrival order
DIGEST_PENDING: Final = "mailfleet:digest:pending"  # set of "platform|chat|window" with held items
KEY_TTL_S: Final = 7 * 86_400  # held items wait out a week of outage of every worker, then expire
RETRY_BASE_S: Final = 30  # a delivery that failed for a reason that may pass waits 30 s, 60 s, … at most an hour
RETRY_MAX_S: Final = 3_600
PENDING_FOR: Final = dt.timedelta(days=7)  # an undelivered notification is given up after a week


@dataclass(frozen=True)
class Notification:
    """Plain values only: it travels through the job queue as a dict."""

    id: str
    workspace_id: int | None  # None: an agency-wide alert, for the agency chats
    purpose: ChatPurpose
    title_key: str
    body_key: str
    params: dict[str, Any] = field(default_factory=dict)
    buttons: list[tuple[str, str, str]] = field(default_factory=list)  # (label key, command, arg)
    severity: str | None = None  # an alert's severity (routing: info → digest only); None: never held
    kind: str = ""  # an alert's kind and subject: what its digest line names
    subject: str = ""
    resolved: bool = False  # the notice that an alert cleared

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "workspace_id": self.workspace_id,
            "purpose": self.purpose.value,
            "title_key": self.title_key,
            "body_key": self.body_key,
            "params": self.params,
            "buttons": [list(b) for b in self.buttons],
            "severity": self.severity,
            "kind": self.kind,
            "subject": self.subject,
            "resolved": self.resolved,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Notification:
        return cls(
            id=data["id"],
            workspace_id=data["workspace_id"],
            purpose=ChatPurpose(data["purpose"]),
            title_key=data["title_key"],
            body_key=data["body_key"],
            params=dict(data["params"]),
            buttons=[(b[0], b[1], b[2]) for b in data["buttons"]],
            severity=data.get("severity"),  # jobs queued before alert routing carry none of these
            kind=data.get("kind", ""),
            subject=data.get("subject", ""),
            resolved=bool(data.get("resolved", False)),
        )


class DeliveryFailed(Exception):
    """A chat that cannot receive messages (deleted, bot removed or not invited). Retrying will not help."""


class ChatMoved(DeliveryFailed):
    """The chat lives on under another id (a Telegram group upgraded to a supergroup): `chat_id` is the new one."""

    def __init__(self, chat_id: str) -> None:
        super().__init__(f"moved to {chat_id}")
        self.chat_id = chat_id


class Notifier(Protocol):
    platform: Platform

    async def send(self, chat_id: str, reply: Reply) -> str:
        """Post the reply to the chat; return the platform's message id. Raise `DeliveryFailed` for a chat that
        cannot receive it (`ChatMoved` for one that now has another id); other errors are transient and the job
        retries."""
        ...


@dataclass
class DeliveryReport:
    sent: list[str] = field(default_factory=list)
    duplicate: list[str] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)
    unavailable: list[str] = field(default_factory=list)  # no transport configured for that platform
    failed: list[str] = field(default_factory=list)  # the chat refused (DeliveryFailed): needs a person
    held: list[str] = field(default_factory=list)  # kept for the chat's digest of this window
    errors: list[str] = field(default_factory=list)  # why deferred chats failed (transient: tried again)
    retry_after_s: float = 0.0  # when deferred at a rate limit: the longest wait for a chat's next slot


def _keyed(name: str, value: Any) -> bool:
    return name.endswith("_keys") and isinstance(value, list)


def render(notification: Notification, locale: str) -> Reply:
    t = translator(locale)
    params = notification.params
    if notification.resolved:  # "… is no longer seen" names the kind by its label
        params = {**params, "kind": kind_label(t, notification.kind)}
    # `<name>_keys`: catalog keys (what a code means, why a check failed), read in the chat's language as `<name>`
    params = {
        **params,
        **{k.removesuffix("_keys"): "; ".join(t(str(key)) for key in v) for k, v in params.items() if _keyed(k, v)},
    }
    reply = Reply().add(t(notification.title_key, **params), "title")
    reply.add(t(notification.body_key, **params))
    if notification.buttons:
        reply.buttons.append(
            [
                Button(t(label), command, arg, "danger" if command == "reject" else "primary")
                for label, command, arg in notification.buttons
            ]
        )
    return reply


def chat_budgets(platform: Platform, chat_id: str) -> list[Budget]:
    """The rate budgets one message to the chat spends, the chat's own first (a Telegram group's id is
    negative)."""
    if platform is Platform.SLACK:
        return [(SLACK_CHANNEL, chat_id)]
    group = [(TELEGRAM_GROUP, chat_id)] if chat_id.startswith("-") else []
    return [(TELEGRAM_CHAT, chat_id), *group, (TELEGRAM_BOT, "bot")]


@dataclass(frozen=True)
class Target:
    platform: Platform
    chat_id: str
    locale: str


async def targets(notification: Notification) -> list[Target]:
    """The chats a notification goes to: the workspace's chats bound for its purpose, or the agency's readers
    (`agency_readers`: the agency chats, else the admins' private chats)."""
    if notification.workspace_id is None:
        return [Target(c.platform, c.chat_id, c.locale) for c in await agency_readers()]
    workspace = await Workspace.get(id=notification.workspace_id)
    bindings = await chats_for(workspace.id, notification.purpose)
    return [Target(b.platform, b.chat_id, workspace.locale) for b in bindings]


async def _route(
    redis: Redis, limits: Limits, notification: Notification, target: Target, clock: Clock
) -> Route | float:
    """Where the notification goes in this chat; or the seconds to wait when the chat (or the platform) is at
    its rate limit (retry then).

    The window budget is an atomic counter, so workers racing for the last slot never overspend it.
    """
    window = window_of(clock.now())
    key = WINDOW_KEY.format(platform=target.platform.value, chat=target.chat_id, window=window)
    decision = route(notification.severity, 0)
    if decision is Route.SEND:
        used = int(await redis.incr(key))
        if used == 1:
            await redis.expire(key, 2 * WINDOW_S)
        decision = route(notification.severity, used - 1, PER_WINDOW)
    if decision in {Route.SEND, Route.DIRECT, Route.FORCE}:
        wait = await limits.take(chat_budgets(target.platform, target.chat_id))
        if wait and decision is not Route.FORCE:  # a critical alert is counted, never held back
            if decision is Route.SEND:
                await redis.decr(key)
            return wait
    return decision


async def _hold(redis: Redis, notification: Notification, target: Target, clock: Clock) -> None:
    window = window_of(clock.now())
    key = DIGEST_KEY.format(platform=target.platform.value, chat=target.chat_id, window=window)
    item = {
        "kind": notification.kind,
        "subject": notification.subject,
        "resolved": notification.resolved,
        "locale": target.locale,
    }
    async with redis.pipeline(transaction=True) as pipe:
        pipe.rpush(key, json.dumps(item, ensure_ascii=False))
        pipe.expire(key, KEY_TTL_S)
        pipe.sadd(DIGEST_PENDING, f"{target.platform.value}|{target.chat_id}|{window}")
        await pipe.execute()


CHAT_UNREACHABLE: Final = "chat_unreachable"
"""A bound chat refuses our messages (deleted, the bot removed or never invited): an agency-wide alert, so the
agency's chats hear it once (its repeats only count), resolved by the next message the chat takes."""


def chat_subject(target: Target) -> str:
    return f"chat:{target.platform.value}:{target.chat_id}"


async def _chat_refused(notification: Notification, target: Target, reason: str, clock: Clock) -> None:
    """Tell the agency's chats that `target` refuses notifications: which chat, for which workspace, and why."""
    from engine.alerts import raise_alert  # noqa: PLC0415 - engine.alerts builds on this module

    slugs = await Workspace.filter(id=notification.workspace_id or 0).values_list("slug", flat=True)
    workspace = str(slugs[0]) if slugs else "—"  # an agency-wide notification has none
    await raise_alert(
        workspace_id=None,
        kind=CHAT_UNREACHABLE,
        severity=Severity.WARNING,
        subject=chat_subject(target),
        key="delivery",
        data={"platform": target.platform.value, "chat": target.chat_id, "workspace": workspace, "reason": reason},
        now=clock.now(),
    )


async def chat_lost(platform: Platform, chat_id: str, reason: str, clock: Clock) -> bool:
    """The platform says the bot can no longer post in `chat_id` (removed from a group): when a workspace or the
    agency writes there, the agency hears it now (`chat_unreachable`, naming the workspaces), not from the next
    alert that fails there — which nobody would have read. True when the chat was bound."""
    from engine.alerts import raise_alert  # noqa: PLC0415 - engine.alerts builds on this module

    slugs = sorted(
        await ChatBinding.filter(platform=platform, chat_id=chat_id).values_list("workspace__slug", flat=True)
    )
    agency = any((c.platform, c.chat_id) == (platform, chat_id) for c in await agency_chats())
    if not slugs and not agency:
        return False
    await raise_alert(
        workspace_id=None,
        kind=CHAT_UNREACHABLE,
        severity=Severity.WARNING,
        subject=chat_subject(Target(platform, chat_id, locale="")),
        key="delivery",
        data={
            "platform": platform.value,
            "chat": chat_id,
            "workspace": ", ".join(map(str, slugs)) or "—",
            "reason": reason,
        },
        now=clock.now(),
    )
    return True


async def _send(notifier: Notifier, target: Target, reply: Reply, clock: Clock) -> tuple[Target, str]:
    """Post to the target; a chat that moved to another id (`ChatMoved`) has its bindings follow it and gets the
    message there. Returns the chat it reached and the platform's message id."""
    try:
        return target, await notifier.send(target.chat_id, reply)
    except ChatMoved as exc:
        log.info("chat moved", platform=target.platform.value, old=target.chat_id, new=exc.chat_id)
        await move_chat(target.platform, target.chat_id, exc.chat_id, clock)
        moved = Target(target.platform, exc.chat_id, target.locale)
        return moved, await notifier.send(moved.chat_id, reply)


async def _chats_back(targets: Sequence[Target], clock: Clock) -> None:
    """The chats that took a message resolve their `chat_unreachable` alert, if any (one statement)."""
    from engine.alerts import resolve_subjects  # noqa: PLC0415 - engine.alerts builds on this module

    await resolve_subjects(CHAT_UNREACHABLE, [chat_subject(t) for t in targets], clock=clock)


async def deliver(
    notification: Notification,
    notifiers: dict[Platform, Notifier],
    redis: Redis,
    clock: Clock,
    limits: Limits | None = None,
) -> DeliveryReport:
    report = DeliveryReport()
    rendered: dict[str, Reply] = {}
    limits = limits or SharedLimits(redis)
    took: list[Target] = []
    for target in await targets(notification):
        where = f"{target.platform.value}:{target.chat_id}"
        notifier = notifiers.get(target.platform)
        if notifier is None:
            report.unavailable.append(where)
            continue
        if await Delivery.exists(notification_id=notification.id, platform=target.platform, chat_id=target.chat_id):
            report.duplicate.append(where)
            continue
        decision = await _route(redis, limits, notification, target, clock)
        if not isinstance(decision, Route):
            report.deferred.append(where)
            report.retry_after_s = max(report.retry_after_s, decision)
            continue
        if decision is Route.HOLD:
            # held first, then the row: a crash in between may count it twice in the digest, never lose it
            await _hold(redis, notification, target, clock)
            await _record(notification.id, target, clock, f"digest:{window_of(clock.now())}")
            report.held.append(where)
            continue
        if target.locale not in rendered:
            rendered[target.locale] = render(notification, target.locale)
        try:
            reached, external_id = await _send(notifier, target, rendered[target.locale], clock)
        except DeliveryFailed as exc:
            log.warning("chat cannot receive notifications", where=where, reason=str(exc))
            report.failed.append(where)
            await _chat_refused(notification, target, str(exc), clock)
            continue
        except Exception as exc:  # the platform's 5xx, flood control beyond our patience, the network
            log.warning("notification not delivered, retried later", where=where, error=type(exc).__name__)
            report.deferred.append(where)
            report.errors.append(f"{where}: {type(exc).__name__}")
            continue
        where = f"{reached.platform.value}:{reached.chat_id}"  # the chat it reached: it may have moved
        if not await _record(notification.id, reached, clock, external_id):
            report.duplicate.append(where)  # a concurrent retry of the same job delivered it first
            continue
        report.sent.append(where)
        took.append(reached)
    await _chats_back(took, clock)  # resolve_subjects does nothing for none
    log.info(
        "notification delivered",
        id=notification.id,
        sent=len(report.sent),
        held=len(report.held),
        deferred=len(report.deferred),
    )
    return report


async def submit(items: list[Notification], clock: Clock) -> None:
    """Keep each notification until it is delivered (`PendingNotification`; one row per id, so submitting again
    changes nothing). Called before its delivery job is queued: a lost job is queued again by `pending`."""
    now = clock.now()
    rows = [PendingNotification(notification_id=n.id, payload=n.to_dict(), created_at=now, next_at=now) for n in items]
    if rows:
        await PendingNotification.bulk_create(rows, ignore_conflicts=True)


async def pending(clock: Clock, limit: int = 200) -> list[Notification]:
    """Notifications not yet delivered whose time has come (a job lost with Redis, or out of tries), oldest
    first, to be queued again; those older than `PENDING_FOR` are given up."""
    now = clock.now()
    rows = (
        await PendingNotification.filter(delivered_at=None, next_at__lte=now, created_at__gt=now - PENDING_FOR)
        .order_by("id")
        .limit(limit)
    )
    return [Notification.from_dict(r.payload) for r in rows]


async def settle(notification: Notification, report: DeliveryReport, clock: Clock) -> dt.timedelta | None:
    """Record the outcome of one delivery run: done when no chat was deferred; else due again after a backoff,
    which is returned (the job retries then; the sweep of `pending` if the job is lost)."""
    now = clock.now()
    row = await PendingNotification.get_or_none(notification_id=notification.id)
    attempts = (row.attempts if row else 0) + 1
    if not report.deferred:
        await PendingNotification.filter(notification_id=notification.id).update(delivered_at=now, attempts=attempts)
        return None
    if report.errors:  # a chat failed: back off
        wait = dt.timedelta(seconds=min(RETRY_BASE_S * 2 ** min(attempts - 1, 16), RETRY_MAX_S))
    else:  # only rate limits: due again when the slot frees
        wait = dt.timedelta(seconds=defer_seconds(report.retry_after_s))
    error = "; ".join(report.errors or [f"{w}: rate limited" for w in report.deferred])[:300]
    await PendingNotification.filter(notification_id=notification.id).update(
        next_at=now + wait, attempts=attempts, last_error=error
    )
    return wait


async def _record(notification_id: str, target: Target, clock: Clock, external_id: str) -> bool:
    try:
        await Delivery.create(
            notification_id=notification_id,
            platform=target.platform,
            chat_id=target.chat_id,
            delivered_at=clock.now(),
            external_id=external_id,
        )
    except IntegrityError:
        return False
    return True


async def _command(redis: Redis, *args: Any) -> Any:
    """One Redis command; redis-py types set and list commands as sync-or-async unions, which mypy refuses."""
    return await redis.execute_command(*args)  # type: ignore[no-untyped-call]  # redis-py leaves it untyped


def render_digest(items: list[Held], t: Translator) -> Reply:
    """ "12 more alerts: 7 bounce_spike, 5 dns_drift" with the top subjects of each kind, within the platforms'
    message limits."""
    summary = summarize(items)
    reply = Reply()
    if summary.total:
        counts = ", ".join(f"{line.count} {kind_label(t, line.kind)}" for line in summary.kinds)
        reply.add(t("alerts-digest-title", count=summary.total, kinds=counts), "title")
    lines = []
    for line in summary.kinds:
        subjects = ", ".join(line.subjects)
        more = line.more_subjects
        label = kind_label(t, line.kind)
        lines.append(t("alerts-digest-kind", kind=label, count=line.count, subjects=subjects, more=more))
    if summary.other:
        lines.append(t("alerts-digest-other", count=summary.other))
    if summary.resolved:
        lines.append(t("alerts-digest-resolved", count=summary.resolved))
    lines.append(t("alerts-digest-hint"))
    reply.add(clip("\n".join(lines)))
    return reply


async def flush_digests(
    notifiers: dict[Platform, Notifier], redis: Redis, clock: Clock, limits: Limits | None = None
) -> int:
    """Send the digest of every chat whose window closed with alerts held; the number of digests sent.

    A worker claims a chat's window by removing it from the pending set (only one removal succeeds), and the
    delivery row of `digest:<platform>:<chat>:<window>` keeps it to one message even across a crash.
    """
    current = window_of(clock.now())
    limits = limits or SharedLimits(redis)
    sent = 0
    for raw in await _command(redis, "SMEMBERS", DIGEST_PENDING):
        member = raw.decode() if isinstance(raw, bytes) else str(raw)
        platform_name, chat_id, window_text = member.rsplit("|", 2)
        if int(window_text) >= current or not await _command(redis, "SREM", DIGEST_PENDING, member):
            continue  # the window is still open, or another worker took it
        key = DIGEST_KEY.format(platform=platform_name, chat=chat_id, window=window_text)
        items = [json.loads(x) for x in await _command(redis, "LRANGE", key, 0, -1)]
        platform = Platform(platform_name)
        notifier = notifiers.get(platform)
        target = Target(platform, chat_id, items[0]["locale"] if items else "ru")
        digest_id = f"digest:{platform_name}:{chat_id}:{window_text}"
        if items and notifier is None:  # a worker without this platform's transport: one that has it sends it
            await _command(redis, "SADD", DIGEST_PENDING, member)
            continue
        done = await Delivery.exists(notification_id=digest_id, platform=platform, chat_id=chat_id)
        if not items or notifier is None or done:
            await redis.delete(key)
            continue
        if await limits.take(chat_budgets(platform, chat_id)):
            await _command(redis, "SADD", DIGEST_PENDING, member)  # the chat is at its rate limit: next run
            continue
        names = await subject_names(i["subject"] for i in items)
        held = [Held(i["kind"], names[i["subject"]], bool(i["resolved"])) for i in items]
        try:
            _, external_id = await _send(notifier, target, render_digest(held, translator(target.locale)), clock)
        except DeliveryFailed as exc:
            log.warning("chat cannot receive its digest", where=f"{platform_name}:{chat_id}", reason=str(exc))
            await redis.delete(key)
            continue
        except Exception:
            await _command(redis, "SADD", DIGEST_PENDING, member)  # transient: the next run tries again
            raise
        await _record(digest_id, target, clock, external_id)
        await redis.delete(key)
        sent += 1
    return sent

"""Outbound notifications (alerts, digests, approval requests) to every chat bound to a workspace.

Transports implement `Notifier`; a job calls `deliver`. A notification id is delivered to a chat at most once
(a unique row per id and chat), and each chat gets at most `RATE_PER_MINUTE` messages a minute — the rest is
reported as deferred so the job retries later.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from redis.asyncio import Redis
from tortoise.exceptions import IntegrityError

from engine.clock import Clock
from engine.i18n import translator
from engine.logging import get_logger
from engine.people import chats_for
from engine.reply import Button, Reply
from models import Delivery, Workspace
from models.enums import ChatPurpose, Platform

log = get_logger(__name__)
RATE_PER_MINUTE = 20  # Telegram allows about 20 messages a minute to one group; Slack about 1 a second


@dataclass(frozen=True)
class Notification:
    """Plain values only: it travels through the job queue as a dict."""

    id: str
    workspace_id: int
    purpose: ChatPurpose
    title_key: str
    body_key: str
    params: dict[str, Any] = field(default_factory=dict)
    buttons: list[tuple[str, str, str]] = field(default_factory=list)  # (label key, command, arg)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "workspace_id": self.workspace_id,
            "purpose": self.purpose.value,
            "title_key": self.title_key,
            "body_key": self.body_key,
            "params": self.params,
            "buttons": [list(b) for b in self.buttons],
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
        )


class DeliveryFailed(Exception):
    """A chat that cannot receive messages (deleted, bot removed or not invited). Retrying will not help."""


class Notifier(Protocol):
    platform: Platform

    async def send(self, chat_id: str, reply: Reply) -> str:
        """Post the reply to the chat; return the platform's message id. Raise `DeliveryFailed` for a chat that
        cannot receive it; other errors are transient and the job retries."""
        ...


@dataclass
class DeliveryReport:
    sent: list[str] = field(default_factory=list)
    duplicate: list[str] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)
    unavailable: list[str] = field(default_factory=list)  # no transport configured for that platform
    failed: list[str] = field(default_factory=list)  # the chat refused (DeliveryFailed): needs a person


def render(notification: Notification, locale: str) -> Reply:
    t = translator(locale)
    reply = Reply().add(t(notification.title_key, **notification.params), "title")
    reply.add(t(notification.body_key, **notification.params))
    if notification.buttons:
        reply.buttons.append(
            [
                Button(t(label), command, arg, "danger" if command == "reject" else "primary")
                for label, command, arg in notification.buttons
            ]
        )
    return reply


async def _take_rate_slot(redis: Redis, platform: Platform, chat_id: str, clock: Clock) -> bool:
    minute = clock.now().strftime("%Y%m%d%H%M")
    key = f"mailfleet:rate:{platform.value}:{chat_id}:{minute}"
    count = int(await redis.incr(key))
    if count == 1:
        await redis.expire(key, 120)
    return count <= RATE_PER_MINUTE


async def deliver(
    notification: Notification, notifiers: dict[Platform, Notifier], redis: Redis, clock: Clock
) -> DeliveryReport:
    report = DeliveryReport()
    workspace = await Workspace.get(id=notification.workspace_id)
    reply = render(notification, workspace.locale)
    for binding in await chats_for(workspace.id, notification.purpose):
        where = f"{binding.platform.value}:{binding.chat_id}"
        notifier = notifiers.get(binding.platform)
        if notifier is None:
            report.unavailable.append(where)
            continue
        if await Delivery.exists(notification_id=notification.id, platform=binding.platform, chat_id=binding.chat_id):
            report.duplicate.append(where)
            continue
        if not await _take_rate_slot(redis, binding.platform, binding.chat_id, clock):
            report.deferred.append(where)
            continue
        try:
            external_id = await notifier.send(binding.chat_id, reply)
        except DeliveryFailed as exc:
            log.warning("chat cannot receive notifications", where=where, reason=str(exc))
            report.failed.append(where)
            continue
        try:
            await Delivery.create(
                notification_id=notification.id,
                platform=binding.platform,
                chat_id=binding.chat_id,
                delivered_at=clock.now(),
                external_id=external_id,
            )
        except IntegrityError:  # a concurrent retry of the same job delivered it first
            report.duplicate.append(where)
            continue
        report.sent.append(where)
    log.info("notification delivered", id=notification.id, sent=len(report.sent), deferred=len(report.deferred))
    return report

"""Alerts, approvals asked in chat, notifications delivered, and the audit log."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import UniqueConstraint
from tortoise.models import Model

from models.enums import AlertStatus, ApprovalKind, ApprovalStatus, Platform, Severity
from models.workspace import Person, Workspace


class Alert(Model):
    """A problem worth a person's attention; repeats of the same fingerprint only raise `count`."""

    _no_comments = True

    id = fields.BigIntField(primary_key=True)
    workspace: fields.ForeignKeyNullableRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="alerts", null=True, on_delete=fields.CASCADE
    )
    workspace_id: int | None
    kind = fields.CharField(max_length=40)
    severity = fields.CharEnumField(Severity, max_length=16)
    subject = fields.CharField(max_length=255)  # e.g. "domain:12", "mailbox:340"
    fingerprint = fields.CharField(max_length=64)
    status = fields.CharEnumField(AlertStatus, max_length=16, default=AlertStatus.OPEN)
    count = fields.IntField(default=1)
    data: dict[str, Any] = fields.JSONField(default=dict)
    first_seen = fields.DatetimeField()
    last_seen = fields.DatetimeField()
    notified_at = fields.DatetimeField(null=True)  # when chats were told; repeats only raise `count`
    acked_by: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    acked_by_id: int | None
    acked_at = fields.DatetimeField(null=True)
    resolved_at = fields.DatetimeField(null=True)  # the condition cleared

    class Meta:
        table = "alert"
        constraints = (
            UniqueConstraint(fields=("fingerprint",), name="alert_open_fingerprint", condition="status <> 'resolved'"),
        )


class Approval(Model):
    """An action that waits for a person's yes or no in chat. Deciding is a conditional update: once."""

    _no_comments = True

    id = fields.BigIntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="approvals", on_delete=fields.CASCADE
    )
    workspace_id: int
    kind = fields.CharEnumField(ApprovalKind, max_length=16)
    subject = fields.CharField(max_length=255)
    payload: dict[str, Any] = fields.JSONField(default=dict)
    status = fields.CharEnumField(ApprovalStatus, max_length=16, default=ApprovalStatus.PENDING)
    requested_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    decided_by: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    decided_by_id: int | None
    decided_via = fields.CharEnumField(Platform, max_length=16, null=True)
    decided_at = fields.DatetimeField(null=True)
    applied_at = fields.DatetimeField(null=True)
    notified_at = fields.DatetimeField(null=True)  # when the request with its buttons was sent to chats

    class Meta:
        table = "approval"
        constraints = (
            UniqueConstraint(fields=("kind", "subject"), name="approval_one_pending", condition="status = 'pending'"),
        )


class Delivery(Model):
    """A notification delivered to one chat: the unique key makes a retried job deliver once."""

    _no_comments = True

    id = fields.BigIntField(primary_key=True)
    notification_id = fields.CharField(max_length=128)
    platform = fields.CharEnumField(Platform, max_length=16)
    chat_id = fields.CharField(max_length=64)
    delivered_at = fields.DatetimeField()
    external_id = fields.CharField(max_length=64, default="")  # the platform's message id

    class Meta:
        table = "delivery"
        unique_together = (("notification_id", "platform", "chat_id"),)


class PendingNotification(Model):
    """A notification handed to delivery, kept until every chat has it: the job queue is only a nudge (Redis may
    lose it, a job may run out of tries), so a sweep queues again whatever is still undelivered here."""

    _no_comments = True

    id = fields.BigIntField(primary_key=True)
    notification_id = fields.CharField(max_length=128, unique=True)
    payload: Any = fields.JSONField()  # `engine.notify.Notification.to_dict()`
    created_at = fields.DatetimeField()
    next_at = fields.DatetimeField()  # when it is due (again)
    attempts = fields.IntField(default=0)
    last_error = fields.CharField(max_length=300, default="")
    delivered_at = fields.DatetimeField(null=True)

    class Meta:
        table = "notification_outbox"


class AuditLog(Model):
    """Who did what, when: every state transition and every decision."""

    _no_comments = True

    id = fields.BigIntField(primary_key=True)
    workspace: fields.ForeignKeyNullableRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name=False, null=True, on_delete=fields.CASCADE
    )
    workspace_id: int | None
    actor: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    actor_id: int | None
    action = fields.CharField(max_length=64)
    subject = fields.CharField(max_length=255)
    data: dict[str, Any] = fields.JSONField(default=dict)
    created_at = fields.DatetimeField()

    class Meta:
        table = "audit_log"
        indexes = (Index(fields=("created_at", "id")), Index(fields=("workspace_id", "created_at")))  # exports

"""Leads and the suppression list."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import CheckConstraint, UniqueConstraint
from tortoise.models import Model

from models.enums import LeadVerdict, LegalBasis, SuppressionReason
from models.indexes import MailboxIndex
from models.workspace import Workspace


class Lead(Model):
    """A recipient of one workspace; `email` is normalized (lower-case, IDN domain in punycode)."""

    _no_comments = True

    id = fields.BigIntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="leads", on_delete=fields.CASCADE
    )
    workspace_id: int
    email = fields.CharField(max_length=320)
    first_name = fields.CharField(max_length=200, default="")
    last_name = fields.CharField(max_length=200, default="")
    company = fields.CharField(max_length=300, default="")
    custom: dict[str, Any] = fields.JSONField(default=dict)
    source = fields.CharField(max_length=200, default="")  # where the address came from ("exhibition 2026 list")
    # 152-FZ / 38-FZ: why we may write to this person; NULL only for leads imported before it was an enum
    legal_basis = fields.CharEnumField(LegalBasis, max_length=32, null=True)
    basis_note = fields.CharField(max_length=200, default="", db_default="")  # evidence: "договор 12", a form id
    verdict = fields.CharEnumField(LeadVerdict, max_length=16, default=LeadVerdict.UNKNOWN)
    verdict_reason = fields.CharField(max_length=64, default="", db_default="")  # e.g. "no_mx", "disposable", "role"
    validated_at = fields.DatetimeField(null=True)
    timezone = fields.CharField(max_length=64, default="", db_default="")  # IANA name; "" = the workspace's
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "lead"
        unique_together = (("workspace", "email"),)
        indexes = (
            Index(fields=("email",)),  # a hard bounce marks an address's leads in every workspace
            # one person, several addresses (`ivan@`, `ivan+news@`): enrollment finds the workspace's other leads of
            # a mailbox, and the agency-wide contact window the mailbox's leads in every workspace
            MailboxIndex("email", name="lead_mailbox"),
        )
        constraints = (CheckConstraint(check="email = lower(email)", name="lead_email_lower"),)

    def __str__(self) -> str:
        return self.email


class Suppression(Model):
    """An address or a whole domain nobody may write to: in one workspace, or everywhere when global."""

    _no_comments = True

    id = fields.BigIntField(primary_key=True)
    workspace: fields.ForeignKeyNullableRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="suppressions", null=True, on_delete=fields.CASCADE
    )
    workspace_id: int | None
    value = fields.CharField(max_length=320)  # "user@host", "host", or "h:<hex>" (a forgotten address's keyed hash)
    reason = fields.CharEnumField(SuppressionReason, max_length=16)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "suppression"
        unique_together = (("workspace", "value"),)
        constraints = (
            UniqueConstraint(fields=("value",), name="suppression_global_value", condition="workspace_id IS NULL"),
            CheckConstraint(check="value = lower(value)", name="suppression_value_lower"),
        )

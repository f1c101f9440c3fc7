"""Sending domains, their DNS checks and blacklist checks."""

from __future__ import annotations

from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from models.enums import (
    DmarcPolicy,
    DnsRecordKind,
    DnsVerdict,
    DomainStatus,
    ListingResult,
    MailProvider,
    PoolRole,
)
from models.workspace import Workspace


class Domain(Model):
    """A domain of one workspace. `name` is the ASCII (punycode) form; chat shows it as Unicode."""

    _no_comments = True

    id = fields.IntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="domains", on_delete=fields.RESTRICT
    )
    workspace_id: int
    name = fields.CharField(max_length=253, unique=True)  # one domain, one workspace
    registrar = fields.CharField(max_length=32, default="")
    expires_on = fields.DateField(null=True)
    mail_provider = fields.CharEnumField(MailProvider, max_length=16, null=True, default=None)  # None: not known yet
    pool_role = fields.CharEnumField(PoolRole, max_length=16, default=PoolRole.ACTIVE)
    status = fields.CharEnumField(DomainStatus, max_length=16, default=DomainStatus.NEW)
    status_changed_at = fields.DatetimeField(null=True)
    daily_cap = fields.IntField(default=120)  # sends per day over all its mailboxes
    dmarc_policy = fields.CharEnumField(DmarcPolicy, max_length=16, default=DmarcPolicy.NONE)
    dmarc_since = fields.DatetimeField(null=True)
    dkim_selector = fields.CharField(max_length=63, default="")
    dkim_public_key = fields.TextField(default="")
    tracking_host = fields.CharField(max_length=253, default="")
    # monitoring's volume cut for the whole domain (see Mailbox.health_factor)
    health_factor = fields.FloatField(default=1.0, db_default=1.0)
    health_reason = fields.CharField(max_length=64, default="", db_default="")
    health_changed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "domain"
        indexes = (Index(fields=("workspace_id", "status")),)
        constraints = (
            CheckConstraint(check="name = lower(name) AND name !~ '[^a-z0-9.-]'", name="domain_name_ascii"),
            CheckConstraint(check="daily_cap >= 0", name="domain_daily_cap"),
        )

    def __str__(self) -> str:
        return self.name


class DnsCheck(Model):
    """One record of one domain as checked at one moment: what we expect, what DNS served, the verdict."""

    _no_comments = True

    id = fields.BigIntField(primary_key=True)
    domain: fields.ForeignKeyRelation[Domain] = fields.ForeignKeyField(
        "models.Domain", related_name="dns_checks", on_delete=fields.CASCADE
    )
    domain_id: int
    record = fields.CharEnumField(DnsRecordKind, max_length=16)
    expected = fields.TextField(default="")
    found = fields.TextField(default="")
    verdict = fields.CharEnumField(DnsVerdict, max_length=16)
    detail = fields.TextField(default="")
    checked_at = fields.DatetimeField()

    class Meta:
        table = "dns_check"
        indexes = (Index(fields=("domain_id", "checked_at")),)


class BlacklistCheck(Model):
    """One DNSBL lookup of a domain or an IP address."""

    _no_comments = True

    id = fields.BigIntField(primary_key=True)
    domain: fields.ForeignKeyNullableRelation[Domain] = fields.ForeignKeyField(
        "models.Domain", related_name="blacklist_checks", null=True, on_delete=fields.CASCADE
    )
    domain_id: int | None
    target = fields.CharField(max_length=253)
    zone = fields.CharField(max_length=253)
    result = fields.CharEnumField(ListingResult, max_length=16)
    code = fields.CharField(max_length=15, default="")  # the 127.0.0.x answer
    meaning = fields.TextField(default="")
    checked_at = fields.DatetimeField()

    class Meta:
        table = "blacklist_check"
        indexes = (Index(fields=("target", "zone", "checked_at")),)

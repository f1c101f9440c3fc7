"""Mailboxes and their IMAP sync position."""

from __future__ import annotations

from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from models.domain import Domain
from models.enums import AuthKind, MailboxStatus, MailProvider, TlsMode
from models.workspace import Workspace


class Mailbox(Model):
    """A sending mailbox. The password or OAuth token is stored only encrypted (`secret_enc`)."""

    _no_comments = True

    id = fields.IntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="mailboxes", on_delete=fields.RESTRICT
    )
    workspace_id: int
    domain: fields.ForeignKeyRelation[Domain] = fields.ForeignKeyField(
        "models.Domain", related_name="mailboxes", on_delete=fields.RESTRICT
    )
    domain_id: int
    address = fields.CharField(max_length=320, unique=True)  # one address, one workspace
    display_name = fields.CharField(max_length=200, default="")
    provider = fields.CharEnumField(MailProvider, max_length=16)
    smtp_host = fields.CharField(max_length=253)
    smtp_port = fields.IntField()
    smtp_tls = fields.CharEnumField(TlsMode, max_length=16)
    imap_host = fields.CharField(max_length=253)
    imap_port = fields.IntField()
    imap_tls = fields.CharEnumField(TlsMode, max_length=16)
    username = fields.CharField(max_length=320)
    tls_ca_pem = fields.TextField(
        default="", db_default=""
    )  # trusted CA certificates (PEM) for a private server; "": the default
    auth_kind = fields.CharEnumField(AuthKind, max_length=16, default=AuthKind.PASSWORD)
    secret_enc = fields.BinaryField()
    status = fields.CharEnumField(MailboxStatus, max_length=16, default=MailboxStatus.NEW)
    status_changed_at = fields.DatetimeField(null=True)
    # the last `warming → active` (graduation): campaign volume unlocks week by week from it; a return from cooldown
    # keeps it
    graduated_at = fields.DatetimeField(null=True)
    warmup_started_on = fields.DateField(null=True)
    warmup_weeks = fields.SmallIntField(default=6)
    warmup_paused_at = fields.DatetimeField(null=True)  # warmup stopped by a manager (the mailbox may still send)
    # where its ramp continues from after the workspace's ramp settings changed mid-ramp (`ramp.RampMark`): from
    # warmup day `warmup_ramp_day` on, `warmup_ramp_level` plus a step a day; null: the ramp from its start
    warmup_ramp_day = fields.IntField(null=True)
    warmup_ramp_level = fields.IntField(null=True)
    daily_cap = fields.IntField(default=40)
    cooldown_until = fields.DatetimeField(null=True)
    last_error = fields.TextField(default="")
    last_error_at = fields.DatetimeField(null=True)
    auth_failures = fields.IntField(default=0)  # the larger of the two below: what the monitor, card and alert read
    # each login's own refusals in a row, reset only by a good login of the same kind: a good IMAP read proves
    # nothing about the SMTP password (nor a message accepted about the IMAP one)
    smtp_auth_failures = fields.IntField(default=0, db_default=0)
    imap_auth_failures = fields.IntField(default=0, db_default=0)
    # a disabled or retired mailbox's inbox, still read for late answers, failing for another reason than its login:
    # the last such error (`key: words`), when, and how many reads failed in a row (the sweep backs off by it);
    # apart from `last_error`, which keeps why it was disabled
    read_error = fields.TextField(default="", db_default="")
    read_error_at = fields.DatetimeField(null=True)
    read_failures = fields.IntField(default=0, db_default=0)
    # monitoring's volume cut: the planners and the claim-time caps allow `health_factor` × the mailbox's cap (1 = no
    # cut); `health_reason` names the rule, and the factor climbs back gradually from `health_changed_at`
    health_factor = fields.FloatField(default=1.0, db_default=1.0)
    health_reason = fields.CharField(max_length=64, default="", db_default="")
    health_changed_at = fields.DatetimeField(null=True)
    last_ok_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "mailbox"
        indexes = (Index(fields=("workspace_id", "status")), Index(fields=("domain_id",)))
        constraints = (
            CheckConstraint(check="daily_cap >= 0", name="mailbox_daily_cap"),
            CheckConstraint(check="auth_failures >= 0", name="mailbox_auth_failures"),
            CheckConstraint(check="warmup_weeks BETWEEN 1 AND 12", name="mailbox_warmup_weeks"),
        )

    def __str__(self) -> str:
        return self.address


class FolderState(Model):
    """How far a mailbox folder has been read: UIDVALIDITY and the last UID seen."""

    _no_comments = True

    id = fields.IntField(primary_key=True)
    mailbox: fields.ForeignKeyRelation[Mailbox] = fields.ForeignKeyField(
        "models.Mailbox", related_name="folders", on_delete=fields.CASCADE
    )
    mailbox_id: int
    folder = fields.CharField(max_length=255)
    uidvalidity = fields.BigIntField(default=0)
    last_uid = fields.BigIntField(default=0)
    synced_at = fields.DatetimeField(null=True)

    class Meta:
        table = "folder_state"
        unique_together = (("mailbox", "folder"),)

"""Outbound messages, events, and the daily counters reports read."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tortoise import fields
from tortoise.indexes import Index, PartialIndex
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from models.campaign import Campaign, Enrollment
from models.enums import CapKind, EventKind, MessageKind, MessageStatus, StatScope
from models.indexes import JsonKeyIndex, SetIndex
from models.lead import Lead
from models.mailbox import Mailbox
from models.workspace import Workspace


class OutboundMessage(Model):
    """One email we send: the database row is the source of truth; a queued job is only a nudge.

    `workspace_id` and `campaign_id` are plain indexed columns without a foreign-key constraint in the database
    (`db_constraint=False`, migration 0015): each is implied by a constraint the row keeps (its mailbox belongs to
    its workspace, its enrollment to its campaign), workspaces and campaigns are never deleted (archived,
    completed), and each check cost a locked index lookup per inserted row — over half of PostgreSQL's work when
    a day's warmup plan inserts 72,000 rows. So nothing cascades from them: whoever ever deletes a workspace or
    a campaign deletes its outbound messages first (deleting their mailboxes would stop it anyway, below).

    `lead_id` and `enrollment_id` have no constraint either (migrations 0026, 0028): only the campaign planner sets
    them, to an enrollment it read under the workspace's planning lock (`engine.sending.planner.PLAN_LOCK`) and its
    lead, and their checks cost a third of PostgreSQL's work inserting a day's campaign plan. Leads and enrollments
    are deleted only by /forget and retention (`engine.compliance`): they take the same lock first, and set both
    columns to NULL on the person's messages after the delete, in the same transaction. A message without a lead is
    how the rest of the product knows its person is gone.

    `mailbox_id` has none (migration 0027) for the same cost: mailboxes are never deleted (retired), and deleting
    one that has mail fails as the constraint made it fail (a foreign-key violation, from a trigger on `mailbox`)."""

    _no_comments = True

    id = fields.BigIntField(primary_key=True)
    kind = fields.CharEnumField(MessageKind, max_length=16)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name=False, on_delete=fields.NO_ACTION, db_constraint=False
    )  # no constraint in the database: see the class's docstring
    workspace_id: int
    mailbox: fields.ForeignKeyRelation[Mailbox] = fields.ForeignKeyField(
        "models.Mailbox", related_name="outbound", on_delete=fields.NO_ACTION, db_constraint=False
    )  # no constraint in the database: see the class's docstring
    mailbox_id: int
    lead: fields.ForeignKeyNullableRelation[Lead] = fields.ForeignKeyField(
        "models.Lead", related_name=False, null=True, on_delete=fields.NO_ACTION, db_constraint=False
    )  # no constraint in the database: see the class's docstring
    lead_id: int | None
    peer: fields.ForeignKeyNullableRelation[Mailbox] = fields.ForeignKeyField(
        "models.Mailbox", related_name=False, null=True, on_delete=fields.SET_NULL
    )  # the receiving mailbox of a warmup message
    peer_id: int | None
    enrollment: fields.ForeignKeyNullableRelation[Enrollment] = fields.ForeignKeyField(
        "models.Enrollment", related_name="messages", null=True, on_delete=fields.NO_ACTION, db_constraint=False
    )  # no constraint in the database: see the class's docstring
    enrollment_id: int | None
    campaign: fields.ForeignKeyNullableRelation[Campaign] = fields.ForeignKeyField(
        "models.Campaign", related_name=False, null=True, on_delete=fields.NO_ACTION, db_constraint=False
    )  # no constraint in the database: see the class's docstring
    campaign_id: int | None
    step_position = fields.SmallIntField(null=True)
    variant = fields.SmallIntField(null=True)
    message_id = fields.CharField(max_length=255, unique=True)
    subject = fields.TextField(default="")
    status = fields.CharEnumField(MessageStatus, max_length=16, default=MessageStatus.PLANNED)
    scheduled_at = fields.DatetimeField()
    sent_at = fields.DatetimeField(null=True)
    attempts = fields.SmallIntField(default=0)
    smtp_code = fields.SmallIntField(null=True)
    smtp_reply = fields.TextField(default="")
    body = fields.TextField(default="", db_default="")  # the text as built at planning time (warmup; campaigns)
    in_reply_to = fields.CharField(max_length=255, default="", db_default="")  # threads: the parent's Message-ID
    references = fields.TextField(default="", db_default="")  # threads: the chain of Message-IDs, oldest first
    claimed_at = fields.DatetimeField(null=True)  # when a worker took it (`sending`): stuck rows are found by it
    html = fields.TextField(default="", db_default="")  # campaigns that opted into HTML: the alternative part
    links: list[str] | None = fields.JSONField(
        null=True
    )  # the URLs the message contained (click redirects go only there)
    # the keyed hash (`engine.compliance.hashing`, `h:<hex>`) of the recipient, kept when retention deletes the lead:
    # an unsubscribe from this message afterwards still suppresses the person, who is no longer on record
    recipient_hash = fields.CharField(max_length=80, default="", db_default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "outbound_message"
        # exactly once per enrollment and step: the constraint, not the job queue, guarantees it
        unique_together = (("enrollment", "step_position"),)
        indexes = (
            # the claim's pick: a mailbox's due rows in order, never a walk over every mailbox's queued rows (rows
            # held back by a cap stay queued, due, all day). The only index on queued rows: with a second one by
            # time alone, a cached generic plan of the claim picked that one and filtered it by mailbox (migration
            # 0019); the few fleet-wide reads of queued rows (due mailboxes, the backlog alarm) scan this one
            PartialIndex(
                fields=("mailbox_id", "scheduled_at", "id"),
                condition={"status": "queued"},
                name="outbound_queued_mailbox",
            ),
            PartialIndex(fields=("scheduled_at",), condition={"status": "planned"}, name="outbound_planned_due"),
            PartialIndex(fields=("claimed_at",), condition={"status": "sending"}, name="outbound_sending_claimed"),
            Index(fields=("mailbox_id", "scheduled_at")),
            # campaign and lead rows only: a warmup row (most of a day's plan) has neither, and writes no entry
            SetIndex(fields=("campaign_id", "scheduled_at"), name="outbound_campaign_due"),
            # /forget and retention find a person's rows, and deleting a lead sets its rows' lead_id to NULL:
            # without it, each deleted lead scans the whole table
            SetIndex(fields=("lead_id",), name="outbound_lead"),
        )
        constraints = (CheckConstraint(check="attempts >= 0", name="outbound_attempts"),)


class CapDeferral(Model):
    """On one day, a mailbox wanted to send `wanted` and the cap `cap` allowed only `allowed`: what `/why` reads.
    One row per mailbox, day and cap, upserted by each planning tick."""

    _no_comments = True

    id = fields.BigIntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name=False, on_delete=fields.CASCADE
    )
    workspace_id: int
    mailbox: fields.ForeignKeyRelation[Mailbox] = fields.ForeignKeyField(
        "models.Mailbox", related_name="deferrals", on_delete=fields.CASCADE
    )
    mailbox_id: int
    day: dt.date = fields.DateField()
    cap = fields.CharEnumField(CapKind, max_length=16)
    # who recorded it: "warmup" (the warmup planner), "campaign" (the campaign planner), "claim" (the outbox's
    # claim-time re-check); each keeps and cleans its own rows
    source = fields.CharField(max_length=16, default="warmup", db_default="warmup")
    wanted = fields.IntField()
    allowed = fields.IntField()
    detail: dict[str, Any] = fields.JSONField(default=dict)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "cap_deferral"
        unique_together = (("mailbox", "day", "cap", "source"),)
        indexes = (Index(fields=("workspace_id", "day")),)


class WarmupChange(Model):
    """Something the warmup plan of a workspace depends on changed among its outbound messages: one row per
    statement and workspace, written by triggers (migration 0012), never by code — a message inserted or deleted,
    cancelled (or no longer cancelled), moved to another moment, mailbox or workspace. The warmup planner's memo
    reads the rows of each workspace and deletes those it read once it planned the workspace; its own inserts set
    `mailfleet.warmup_planning` and log nothing. (The campaign planner keeps its own log, `PlanChange`.)"""

    _no_comments = True

    id = fields.BigIntField(primary_key=True)
    workspace_id = fields.IntField()  # no foreign key: the triggers stay cheap

    class Meta:
        table = "warmup_change"
        indexes = (Index(fields=("workspace_id", "id")),)


class CampaignDeferral(Model):
    """On one day, a campaign had `wanted` sends due and the cap `cap` let only `allowed` go (the campaign's own
    cap, its window, its mailbox group having no room…): what `/campaign <name>` shows. Upserted by each run of
    the campaign planner."""

    _no_comments = True

    id = fields.BigIntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name=False, on_delete=fields.CASCADE
    )
    workspace_id: int
    campaign: fields.ForeignKeyRelation[Campaign] = fields.ForeignKeyField(
        "models.Campaign", related_name="deferrals", on_delete=fields.CASCADE
    )
    campaign_id: int
    day: dt.date = fields.DateField()
    cap = fields.CharEnumField(CapKind, max_length=16)
    wanted = fields.IntField()
    allowed = fields.IntField()
    detail: dict[str, Any] = fields.JSONField(default=dict)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "campaign_deferral"
        unique_together = (("campaign", "day", "cap"),)


class Event(Model):
    """Something that happened to a message or a mailbox. Reports read DailyStat, never scan events."""

    _no_comments = True

    id = fields.BigIntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name=False, on_delete=fields.CASCADE
    )
    workspace_id: int
    kind = fields.CharEnumField(EventKind, max_length=16)
    mailbox: fields.ForeignKeyNullableRelation[Mailbox] = fields.ForeignKeyField(
        "models.Mailbox", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    mailbox_id: int | None
    campaign: fields.ForeignKeyNullableRelation[Campaign] = fields.ForeignKeyField(
        "models.Campaign", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    campaign_id: int | None
    lead: fields.ForeignKeyNullableRelation[Lead] = fields.ForeignKeyField(
        "models.Lead", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    lead_id: int | None
    message: fields.ForeignKeyNullableRelation[OutboundMessage] = fields.ForeignKeyField(
        "models.OutboundMessage", related_name="events", null=True, on_delete=fields.SET_NULL
    )
    message_id: int | None
    occurred_at = fields.DatetimeField()
    data: dict[str, Any] = fields.JSONField(default=dict)

    class Meta:
        table = "event"
        indexes = (
            Index(fields=("mailbox_id", "occurred_at")),
            Index(fields=("campaign_id", "kind")),
            Index(fields=("workspace_id", "occurred_at")),  # retention deletes a workspace's old events in batches
            Index(fields=("lead_id",)),  # as outbound_message's: a lead's deletion (/forget, retention) probes it
            # the inbox sync asks whether a message it reads was recorded before (a second delivery, a re-read)
            JsonKeyIndex("data", "incoming_id", name="event_incoming"),
        )


class DailyStat(Model):
    """Counters of one scope (mailbox, domain, campaign, workspace) on one day, upserted as events arrive."""

    _no_comments = True

    id = fields.BigIntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name=False, on_delete=fields.CASCADE
    )
    workspace_id: int
    scope = fields.CharEnumField(StatScope, max_length=16)
    scope_id = fields.IntField()
    day: dt.date = fields.DateField()
    sent = fields.IntField(default=0)  # every message sent: campaign, warmup and test
    # of `sent`, the warmup messages between own mailboxes (migration 0017): replies, complaints and unsubscribes
    # only ever answer the rest, so their rates are over `sent - warmup_sent`
    warmup_sent = fields.IntField(default=0, db_default=0)
    # of `sent`, the messages that carried an open pixel (an HTML campaign's): the sample of the open rate
    pixel_sent = fields.IntField(default=0, db_default=0)
    opens = fields.IntField(default=0)
    clicks = fields.IntField(default=0)
    replies = fields.IntField(default=0)
    auto_replies = fields.IntField(default=0)
    bounces_hard = fields.IntField(default=0)
    bounces_soft = fields.IntField(default=0)
    bounces_block = fields.IntField(default=0, db_default=0)
    complaints = fields.IntField(default=0)
    unsubscribes = fields.IntField(default=0)
    warmup_inbox = fields.IntField(default=0)
    warmup_spam = fields.IntField(default=0)
    smtp_errors = fields.IntField(default=0)
    auth_errors = fields.IntField(default=0)

    class Meta:
        table = "daily_stat"
        unique_together = (("scope", "scope_id", "day"),)
        indexes = (Index(fields=("workspace_id", "day")),)

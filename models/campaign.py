"""Campaigns, their steps and the leads enrolled in them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tortoise import fields
from tortoise.indexes import Index, PartialIndex
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from models.domain import Domain
from models.enums import CampaignStatus, EnrollmentState
from models.lead import Lead
from models.mailbox import Mailbox
from models.workspace import Workspace


class Campaign(Model):
    """A sequence sent to a list of leads from a group of mailboxes inside a window."""

    _no_comments = True

    id = fields.IntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="campaigns", on_delete=fields.CASCADE
    )
    workspace_id: int
    name = fields.CharField(max_length=200)
    status = fields.CharEnumField(CampaignStatus, max_length=16, default=CampaignStatus.DRAFT)
    status_changed_at = fields.DatetimeField(null=True)
    timezone = fields.CharField(max_length=64, default="Europe/Moscow")
    # Wall-clock times in the campaign's `timezone`. Tortoise (use_tz) warns on naive times, so they carry UTC
    # as a neutral marker; the planner reads hour and minute only.
    window_start: dt.time = fields.TimeField(default=dt.time(9, 0, tzinfo=dt.UTC))
    window_end: dt.time = fields.TimeField(default=dt.time(18, 0, tzinfo=dt.UTC))
    weekdays = fields.SmallIntField(default=0b0011111)  # bit 0 = Monday … bit 6 = Sunday
    daily_cap = fields.IntField(default=500)
    per_mailbox_cap = fields.IntField(default=30)
    stop_on_reply = fields.BooleanField(default=True)
    track_opens = fields.BooleanField(default=False)
    track_clicks = fields.BooleanField(default=False)
    html = fields.BooleanField(default=False, db_default=False)  # opted into HTML: the only case with an open pixel
    lead_timezone = fields.BooleanField(default=False, db_default=False)  # the window in the lead's zone when known
    started_at = fields.DatetimeField(null=True)
    # the mailbox group: these mailboxes, plus every mailbox of these domains (graduated ones only send)
    domains: fields.ManyToManyRelation[Domain] = fields.ManyToManyField(
        "models.Domain", related_name="campaigns", through="campaign_domain"
    )
    mailboxes: fields.ManyToManyRelation[Mailbox] = fields.ManyToManyField(
        "models.Mailbox", related_name="campaigns", through="campaign_mailbox"
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "campaign"
        unique_together = (("workspace", "name"),)
        constraints = (
            CheckConstraint(check="weekdays BETWEEN 1 AND 127", name="campaign_weekdays"),
            CheckConstraint(check="daily_cap >= 0 AND per_mailbox_cap >= 0", name="campaign_caps"),
        )

    def __str__(self) -> str:
        return self.name


class Step(Model):
    """One step of a sequence: sent `delay_days` after the previous one, in one of several variants."""

    _no_comments = True

    id = fields.IntField(primary_key=True)
    campaign: fields.ForeignKeyRelation[Campaign] = fields.ForeignKeyField(
        "models.Campaign", related_name="steps", on_delete=fields.CASCADE
    )
    campaign_id: int
    position = fields.SmallIntField()
    delay_days = fields.SmallIntField(default=0)
    business_days = fields.BooleanField(default=False, db_default=False)  # count the delay in Monday–Friday days
    variants: list[dict[str, Any]] = fields.JSONField(default=list)  # [{subject, body, weight}]

    class Meta:
        table = "step"
        unique_together = (("campaign", "position"),)
        constraints = (CheckConstraint(check="position >= 0 AND delay_days >= 0", name="step_position_delay"),)


class Enrollment(Model):
    """A lead's progress through a campaign. Follow-ups keep the mailbox and the thread of step 1."""

    _no_comments = True

    id = fields.BigIntField(primary_key=True)
    campaign: fields.ForeignKeyRelation[Campaign] = fields.ForeignKeyField(
        "models.Campaign", related_name="enrollments", on_delete=fields.CASCADE
    )
    campaign_id: int
    lead: fields.ForeignKeyRelation[Lead] = fields.ForeignKeyField(
        "models.Lead", related_name="enrollments", on_delete=fields.CASCADE
    )
    lead_id: int
    state = fields.CharEnumField(EnrollmentState, max_length=16, default=EnrollmentState.ACTIVE)
    current_step = fields.SmallIntField(default=0)
    next_due_at = fields.DatetimeField(null=True)
    mailbox: fields.ForeignKeyNullableRelation[Mailbox] = fields.ForeignKeyField(
        "models.Mailbox", related_name="enrollments", null=True, on_delete=fields.SET_NULL
    )
    mailbox_id: int | None
    thread_message_id = fields.CharField(max_length=255, default="")
    variant = fields.SmallIntField(null=True)  # the A/B variant drawn for this lead, kept for every step
    last_sent_at = fields.DatetimeField(null=True)
    stopped_reason = fields.CharField(max_length=64, default="", db_default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "enrollment"
        unique_together = (("campaign", "lead"),)
        indexes = (
            PartialIndex(fields=("next_due_at",), condition={"state": "active"}, name="enrollment_active_due"),
            Index(fields=("lead_id",)),  # a reply or bounce stops every enrollment of the lead
            Index(fields=("campaign_id", "state")),
        )  # and, in SQL (migration 0008: a partial index on `mailbox_id IS NULL` is not expressible here), the
        # campaign planner's: `enrollment_first_due` (campaign_id, next_due_at, id) of active first steps and
        # `enrollment_follow_up_due` (campaign_id, mailbox_id, next_due_at, id) of active follow-ups


class PlanChange(Model):
    """Something a workspace's campaign plan depends on changed: one row per statement and workspace, written by
    triggers (migration 0008), never by code — an enrollment inserted, updated or deleted; an outbound message
    inserted or deleted, cancelled, moved to another mailbox or moment. The campaign planner's memo reads the
    rows of each workspace, and deletes those it read once it planned the workspace (its own writes set
    `mailfleet.planning` and log nothing)."""

    _no_comments = True

    id = fields.BigIntField(primary_key=True)
    workspace_id = fields.IntField()  # no foreign key: the triggers stay cheap

    class Meta:
        table = "plan_change"
        indexes = (Index(fields=("workspace_id", "id")),)

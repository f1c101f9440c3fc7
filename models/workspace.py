"""Workspaces (one per client) and the people who act in them."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from models.enums import Platform, Role


class Workspace(Model):
    """A client's isolated pool of domains, mailboxes, leads and campaigns."""

    _no_comments = True

    id = fields.IntField(primary_key=True)
    slug = fields.CharField(max_length=40, unique=True)
    name = fields.CharField(max_length=200)
    locale = fields.CharField(max_length=5, default="ru")
    timezone = fields.CharField(max_length=64, default="Europe/Moscow")
    # The sender identity printed in every footer (149-FZ art. 10 part 2, 38-FZ art. 18, Gmail/Yahoo rules):
    # the legal name and a contact (address, INN/OGRN, e-mail or phone), set with /workspace_legal.
    sender_name = fields.CharField(max_length=200, default="")
    sender_address = fields.TextField(default="")
    # Days events, inbound-mail records and lead data are kept (/retention); NULL keeps them (off).
    retention_days = fields.IntField(null=True)
    settings: dict[str, Any] = fields.JSONField(default=dict)  # thresholds and caps overriding the defaults
    created_at = fields.DatetimeField(auto_now_add=True)
    archived_at = fields.DatetimeField(null=True)

    class Meta:
        table = "workspace"
        constraints = (CheckConstraint(check="slug ~ '^[a-z0-9][a-z0-9-]*$'", name="workspace_slug_format"),)

    def __str__(self) -> str:
        return self.slug


class Person(Model):
    """Somebody who talks to the bot, identified by platform and the platform's user id."""

    _no_comments = True

    id = fields.IntField(primary_key=True)
    platform = fields.CharEnumField(Platform, max_length=16)
    external_id = fields.CharField(max_length=64)
    display_name = fields.CharField(max_length=200, default="")
    locale = fields.CharField(max_length=5, null=True)  # chosen with /lang; else the platform's language
    is_admin = fields.BooleanField(default=False)
    current_workspace: fields.ForeignKeyNullableRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    current_workspace_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "person"
        unique_together = (("platform", "external_id"),)

    def __str__(self) -> str:
        return f"{self.platform}:{self.external_id}"


class Membership(Model):
    """A person's role in one workspace."""

    _no_comments = True

    id = fields.IntField(primary_key=True)
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="memberships", on_delete=fields.CASCADE
    )
    person_id: int
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="memberships", on_delete=fields.CASCADE
    )
    workspace_id: int
    role = fields.CharEnumField(Role, max_length=16)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "membership"
        unique_together = (("person", "workspace"),)
        constraints = (CheckConstraint(check="role IN ('manager', 'client')", name="membership_role"),)


class ChatBinding(Model):
    """A chat or channel that receives a workspace's alerts and/or reports."""

    _no_comments = True

    id = fields.IntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="chats", on_delete=fields.CASCADE
    )
    workspace_id: int
    platform = fields.CharEnumField(Platform, max_length=16)
    chat_id = fields.CharField(max_length=64)
    purposes: list[str] = fields.JSONField(default=list)
    created_at = fields.DatetimeField(auto_now_add=True)
    bound_by: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    """Who bound the chat (None: before this was kept). A Slack DM's id is not its person's, as a Telegram private
    chat's is: revoking a manager unbinds the DMs they bound (`engine.people.revoke_member`)."""
    bound_by_id: int | None

    class Meta:
        table = "chat_binding"
        unique_together = (("workspace", "platform", "chat_id"),)


class Invite(Model):
    """A one-time code that binds whoever presents it to a workspace with a role. Only a hash is stored."""

    _no_comments = True

    id = fields.IntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="invites", on_delete=fields.CASCADE
    )
    workspace_id: int
    role = fields.CharEnumField(Role, max_length=16)
    code_hash = fields.CharField(max_length=64, unique=True)
    created_by: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_by_id: int | None
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    used_by: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    used_by_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "invite"
        constraints = (CheckConstraint(check="role IN ('manager', 'client')", name="invite_role"),)


class AgencySetting(Model):
    """One agency-wide setting (admins change them from chat): e.g. `contact_window_days`."""

    _no_comments = True

    key = fields.CharField(max_length=64, primary_key=True)
    value: Any = fields.JSONField()
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "agency_setting"

"""People, workspaces, invites and chat bindings: who may act where."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from engine.access import Actor, require_manager, require_reader
from engine.clock import Clock
from engine.errors import Conflict, Forbidden, NotFound, UserError
from engine.i18n import pick_locale
from models import ChatBinding, Domain, Invite, Lead, Mailbox, Membership, Person, Workspace
from models.campaign import Campaign
from models.enums import ChatPurpose, Platform, Role

INVITE_TTL = dt.timedelta(hours=72)
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")


@dataclass(frozen=True)
class Identity:
    """A person as a transport sees them."""

    platform: Platform
    external_id: str
    display_name: str = ""
    language: str | None = None  # the platform's language code, e.g. "en-US"
    is_bootstrap_admin: bool = False  # listed in ADMIN_* settings


async def resolve_actor(identity: Identity) -> Actor:
    """The Actor for a person in their current workspace; creates the Person on first contact."""
    person, _ = await Person.get_or_create(
        platform=identity.platform,
        external_id=identity.external_id,
        defaults={"display_name": identity.display_name[:200], "is_admin": identity.is_bootstrap_admin},
    )
    if identity.is_bootstrap_admin and not person.is_admin:
        person.is_admin = True
        await person.save(update_fields=["is_admin"])
    memberships = await Membership.filter(person=person).all()
    workspace_id = person.current_workspace_id
    if workspace_id is None and len(memberships) == 1:
        workspace_id = memberships[0].workspace_id
    role: Role | None
    if person.is_admin:
        role = Role.ADMIN
    else:
        role = next((m.role for m in memberships if m.workspace_id == workspace_id), None)
    return Actor(
        person_id=person.id,
        platform=identity.platform,
        role=role,
        workspace_id=workspace_id,
        locale=pick_locale(person.locale, identity.language),
        manages_any=person.is_admin or any(m.role is Role.MANAGER for m in memberships),
    )


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.strip().encode()).hexdigest()


def _check_slug(slug: str) -> str:
    slug = slug.strip().lower()
    if not SLUG_RE.match(slug):
        raise UserError("error-bad-slug", slug=slug)
    return slug


async def _workspace_by_slug(slug: str) -> Workspace:
    workspace = await Workspace.get_or_none(slug=slug.strip().lower(), archived_at=None)
    if workspace is None:
        raise NotFound("error-workspace-not-found", slug=slug)
    return workspace


async def create_workspace(actor: Actor, slug: str, name: str) -> Workspace:
    """A new client workspace; a manager who creates one manages it and switches to it."""
    if not actor.manages_any:
        raise Forbidden("error-forbidden")
    slug = _check_slug(slug)
    name = " ".join(name.split()) or slug
    try:
        async with in_transaction():
            workspace = await Workspace.create(slug=slug, name=name[:200])
            if not actor.is_admin and actor.person_id is not None:
                await Membership.create(person_id=actor.person_id, workspace=workspace, role=Role.MANAGER)
            if actor.person_id is not None:
                await Person.filter(id=actor.person_id).update(current_workspace_id=workspace.id)
    except IntegrityError:
        raise Conflict("error-workspace-exists", slug=slug) from None
    return workspace


@dataclass(frozen=True)
class WorkspaceSummary:
    id: int
    slug: str
    name: str
    role: str
    current: bool
    domains: int = 0
    mailboxes: int = 0
    campaigns: int = 0
    leads: int = 0
    members: int = 0
    chats: int = 0


async def list_workspaces(actor: Actor) -> list[WorkspaceSummary]:
    """Admins see all workspaces; others the ones they belong to."""
    if actor.is_admin:
        rows = await Workspace.filter(archived_at=None).order_by("slug")
        return [WorkspaceSummary(w.id, w.slug, w.name, "admin", w.id == actor.workspace_id) for w in rows]
    if actor.person_id is None:
        return []
    memberships = await Membership.filter(person_id=actor.person_id, workspace__archived_at=None).prefetch_related(
        "workspace"
    )
    return sorted(
        (
            WorkspaceSummary(
                m.workspace.id, m.workspace.slug, m.workspace.name, m.role.value, m.workspace.id == actor.workspace_id
            )
            for m in memberships
        ),
        key=lambda s: s.slug,
    )


async def workspace_summary(actor: Actor, slug: str | None = None) -> WorkspaceSummary:
    """The current (or named) workspace with its counts."""
    workspace = await _workspace_by_slug(slug) if slug else await Workspace.get_or_none(id=actor.workspace_id or 0)
    if workspace is None:
        raise Forbidden("error-no-workspace")
    require_reader(actor, workspace.id)
    return WorkspaceSummary(
        id=workspace.id,
        slug=workspace.slug,
        name=workspace.name,
        role=actor.role.value if actor.role else "",
        current=workspace.id == actor.workspace_id,
        domains=await Domain.filter(workspace_id=workspace.id).count(),
        mailboxes=await Mailbox.filter(workspace_id=workspace.id).count(),
        campaigns=await Campaign.filter(workspace_id=workspace.id).count(),
        leads=await Lead.filter(workspace_id=workspace.id).count(),
        members=await Membership.filter(workspace_id=workspace.id).count(),
        chats=await ChatBinding.filter(workspace_id=workspace.id).count(),
    )


async def use_workspace(actor: Actor, slug: str) -> Workspace:
    workspace = await _workspace_by_slug(slug)
    member = await Membership.exists(person_id=actor.person_id, workspace_id=workspace.id)
    if not (actor.is_admin or member):
        raise NotFound("error-workspace-not-found", slug=slug)  # other clients' workspaces do not exist for you
    await Person.filter(id=actor.person_id).update(current_workspace_id=workspace.id)
    return workspace


async def create_invite(actor: Actor, role: Role, clock: Clock) -> tuple[str, dt.datetime]:
    """A one-time code for the current workspace. Only its hash is stored."""
    workspace_id = require_manager(actor)
    if role not in (Role.MANAGER, Role.CLIENT):
        raise UserError("error-bad-role", role=str(role))
    code = secrets.token_urlsafe(12)
    expires = clock.now() + INVITE_TTL
    await Invite.create(
        workspace_id=workspace_id,
        role=role,
        code_hash=_code_hash(code),
        created_by_id=actor.person_id,
        expires_at=expires,
    )
    return code, expires


async def redeem_invite(identity: Identity, code: str, clock: Clock) -> Workspace:
    """Bind the person presenting `code` to its workspace. A code works once, before it expires."""
    now = clock.now()
    person, _ = await Person.get_or_create(
        platform=identity.platform,
        external_id=identity.external_id,
        defaults={"display_name": identity.display_name[:200]},
    )
    async with in_transaction():
        invite = await Invite.filter(code_hash=_code_hash(code)).select_for_update().first()
        if invite is None:
            raise NotFound("error-invite-invalid")
        if invite.used_at is not None:
            raise Conflict("error-invite-used")
        if invite.expires_at <= now:
            raise Conflict("error-invite-expired")
        await Invite.filter(id=invite.id).update(used_at=now, used_by_id=person.id)
        membership = await Membership.get_or_none(person=person, workspace_id=invite.workspace_id)
        if membership is None:
            await Membership.create(person=person, workspace_id=invite.workspace_id, role=invite.role)
        elif membership.role is not invite.role:
            membership.role = invite.role
            await membership.save(update_fields=["role"])
        await Person.filter(id=person.id).update(current_workspace_id=invite.workspace_id)
    return await Workspace.get(id=invite.workspace_id)


@dataclass(frozen=True)
class MemberInfo:
    person_id: int
    platform: str
    external_id: str
    display_name: str
    role: str


async def list_members(actor: Actor) -> list[MemberInfo]:
    workspace_id = require_manager(actor)
    rows = await Membership.filter(workspace_id=workspace_id).prefetch_related("person").order_by("id")
    return [
        MemberInfo(m.person.id, m.person.platform.value, m.person.external_id, m.person.display_name, m.role.value)
        for m in rows
    ]


async def revoke_member(actor: Actor, person_id: int) -> None:
    workspace_id = require_manager(actor)
    if person_id == actor.person_id:
        raise UserError("error-revoke-self")
    deleted = await Membership.filter(workspace_id=workspace_id, person_id=person_id).delete()
    if not deleted:
        raise NotFound("error-member-not-found", id=person_id)
    await Person.filter(id=person_id, current_workspace_id=workspace_id).update(current_workspace_id=None)


async def bind_chat(actor: Actor, platform: Platform, chat_id: str, purposes: list[ChatPurpose]) -> ChatBinding:
    """Send this workspace's alerts and/or reports to this chat; binding again adds purposes."""
    workspace_id = require_manager(actor)
    binding, _ = await ChatBinding.get_or_create(
        workspace_id=workspace_id, platform=platform, chat_id=chat_id, defaults={"purposes": []}
    )
    merged = sorted({*binding.purposes, *(p.value for p in purposes)})
    if merged != binding.purposes:
        binding.purposes = merged
        await binding.save(update_fields=["purposes"])
    return binding


async def chats_for(workspace_id: int, purpose: ChatPurpose) -> list[ChatBinding]:
    rows = await ChatBinding.filter(workspace_id=workspace_id).order_by("id")
    return [b for b in rows if purpose.value in b.purposes]


async def set_locale(actor: Actor, locale: str) -> str:
    chosen = pick_locale(locale)
    if chosen != locale.lower():
        raise UserError("error-bad-locale", locale=locale)
    await Person.filter(id=actor.person_id).update(locale=chosen)
    return chosen


async def workspace_slug(workspace_id: int | None) -> str:
    if workspace_id is None:
        return ""
    workspace = await Workspace.get_or_none(id=workspace_id)
    return workspace.slug if workspace else ""

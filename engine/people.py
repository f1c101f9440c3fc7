"""People, workspaces, invites and chat bindings: who may act where."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Final

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from engine.access import Actor, require_manager, require_reader
from engine.agency_chats import agency_chats, move_agency_chat
from engine.clock import Clock
from engine.errors import Conflict, Forbidden, NotFound, UserError
from engine.i18n import natural_key, pick_locale, shorten
from models import AuditLog, ChatBinding, Domain, Invite, Lead, Mailbox, Membership, Person, Workspace
from models.campaign import Campaign
from models.enums import ChatPurpose, Platform, Role

INVITE_TTL = dt.timedelta(hours=72)
SLUG_MAX_CHARS: Final = 40
"""The longest workspace slug (`Workspace.slug`): a longer word names no workspace, and the ORM refuses to even
compare it with the column."""
SLUG_RE = re.compile(rf"^[a-z0-9][a-z0-9-]{{1,{SLUG_MAX_CHARS - 1}}}$")


@dataclass(frozen=True)
class Identity:
    """A person as a transport sees them."""

    platform: Platform
    external_id: str
    display_name: str = ""
    language: str | None = None  # the platform's language code, e.g. "en-US"
    is_bootstrap_admin: bool = False  # listed in ADMIN_* settings


async def resolve_actor(identity: Identity) -> Actor:
    """The Actor for a person in their current workspace; creates the Person on first contact. A person first
    met without a name (a Slack message event carries only the user id) gets the name the next contact brings."""
    person, created = await Person.get_or_create(
        platform=identity.platform,
        external_id=identity.external_id,
        defaults={"display_name": identity.display_name[:200], "is_admin": identity.is_bootstrap_admin},
    )
    if not person.display_name and identity.display_name:
        person.display_name = identity.display_name[:200]
        await person.save(update_fields=["display_name"])
    if identity.is_bootstrap_admin and not person.is_admin:
        person.is_admin = True
        await person.save(update_fields=["is_admin"])
    # an archived workspace (a client gone) is nobody's to act in: neither current nor counted among theirs
    memberships = await Membership.filter(person=person, workspace__archived_at=None).all()
    workspace_id = person.current_workspace_id
    if workspace_id is not None and await Workspace.filter(id=workspace_id).exclude(archived_at=None).exists():
        workspace_id = None
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
        first_contact=created,
        member_of=len(memberships),
    )


async def in_shared_chat(actor: Actor, platform: Platform, chat_id: str, *, choosing: bool = False) -> Actor:
    """The actor in a shared chat (a group): in the workspace the chat is bound to. Everyone there reads the
    answer, so it must be that workspace's: a manager of two clients, whose current workspace was the other one,
    posted that client's domains, campaigns and report into this client's group. The person acts there with their
    role in the chat's workspace (their current one is left as it is); `Forbidden("error-chat-not-yours")` when
    they have none there, `Forbidden("error-chat-choose-workspace")` when the chat is several workspaces' and
    they belong to more than one of them, none current. A chat bound to nothing changes nothing.

    There the actor is confined to the chat's workspaces (`Actor.confined_to`): what reaches beyond the current
    workspace (a manager's approvals and alerts of all their workspaces, /workspace of another) stops at them,
    and an agency admin's agency-wide views are closed (they are no chat's people's).

    `choosing`: for the commands that find one's way among workspaces (/workspaces, /use, /whoami), which list
    and pick among the chat's workspaces only (the names of the person's other clients are nobody's there): a
    person of several of them, none current, is confined to them with none chosen, so /use can choose one."""
    if not actor.member_of and not actor.is_admin:
        return actor  # nobody's member: nothing of theirs to show, and the role check refuses them as it does anywhere
    bound = {b.workspace_id for b in await ChatBinding.filter(platform=platform, chat_id=chat_id)}
    if not bound:
        return actor
    live = set(await Workspace.filter(id__in=bound, archived_at=None).values_list("id", flat=True))
    if not live:  # the chat of a client gone: nothing of theirs, and nothing of anyone else's, is answered there
        raise Forbidden("error-chat-archived")
    bound = {int(str(w)) for w in live}
    confined_to = frozenset(bound)
    if actor.workspace_id in bound:
        return replace(actor, confined_to=confined_to)
    roles: dict[int, Role]
    if actor.is_admin:
        roles = dict.fromkeys(bound, Role.ADMIN)
    else:
        members = await Membership.filter(person_id=actor.person_id, workspace_id__in=bound)
        roles = {m.workspace_id: m.role for m in members}
    if not roles:
        raise Forbidden("error-chat-not-yours")
    if len(roles) > 1:
        if choosing:
            role = Role.ADMIN if actor.is_admin else None
            return replace(actor, workspace_id=None, role=role, confined_to=confined_to)
        raise Forbidden("error-chat-choose-workspace")
    [(workspace_id, role)] = roles.items()
    return replace(actor, workspace_id=workspace_id, role=role, confined_to=confined_to)


async def sync_admins(admins: Mapping[Platform, Iterable[str]]) -> tuple[int, int]:
    """Make the agency admins of each platform given exactly its listed ids (`ADMIN_TELEGRAM_IDS`,
    `ADMIN_SLACK_IDS`), at a chat process's start. A person met as an admin kept the flag for good: one whose id the
    agency took off the list (someone who left) still ran every workspace and kept getting the agency's alerts in
    their private chat. Platforms not given are left as they are. Returns (made admins, no longer admins)."""
    made = dropped = 0
    for platform, listed in admins.items():
        ids = sorted({str(i) for i in listed})
        dropped += (
            await Person.filter(platform=platform, is_admin=True).exclude(external_id__in=ids).update(is_admin=False)
        )
        if ids:
            made += await Person.filter(platform=platform, is_admin=False, external_id__in=ids).update(is_admin=True)
    return made, dropped


def _code_hash(code: str) -> str:
    return hashlib.sha256(invite_code(code).encode()).hexdigest()


_LINK_START = re.compile(r"[?&]start=([A-Za-z0-9_-]+)")
_QUOTES = "\"'`«»“”‘’<>"
_TRAILING = ".,;:!?)"  # a code copied with the end of its sentence ("код: Xy7k…4Tv."): none is a code's character


def invite_code(text: str) -> str:
    """The code in what a person pasted: the code itself, quoted or not, or the bot's start link that carries it
    (`https://t.me/<bot>?start=<code>`, `tg://resolve?domain=<bot>&start=<code>`) — opened, the link sends
    `/start <code>`; pasted into the chat as text, it is the link that arrives. The end of the sentence it was
    copied from (a full stop, a comma) is no part of it."""
    text = text.strip().strip(_QUOTES).strip().rstrip(_TRAILING).strip(_QUOTES)
    link = _LINK_START.search(text)
    return link.group(1) if link else text


def _check_slug(typed: str) -> str:
    """The slug `typed` names (lower case), or `error-bad-slug` quoting it as typed ("Тест", not "тест")."""
    slug = typed.strip().lower()
    if not SLUG_RE.match(slug):
        raise UserError("error-bad-slug", slug=shorten(typed.strip(), SLUG_MAX_CHARS))
    return slug


async def _visible_workspace(actor: Actor, slug: str) -> tuple[Workspace, Role]:
    """The workspace `slug` with the actor's role in it. One that exists but is not the actor's is answered
    exactly like one that does not exist (`NotFound`, `error-workspace-not-found`): nobody learns which
    workspaces other clients have."""
    typed = slug.strip().lower()
    workspace = await Workspace.get_or_none(slug=typed, archived_at=None) if len(typed) <= SLUG_MAX_CHARS else None
    membership = None
    if workspace is not None and actor.person_id is not None:
        membership = await Membership.get_or_none(person_id=actor.person_id, workspace_id=workspace.id)
    if workspace is None or not (actor.is_admin or membership is not None or actor.can_read(workspace.id)):
        raise NotFound("error-workspace-not-found", slug=slug)
    if actor.confined and workspace.id not in actor.confined_to:  # a shared chat: its workspaces only
        raise NotFound("error-workspace-not-found", slug=slug)
    return workspace, Role.ADMIN if actor.role is Role.ADMIN or membership is None else membership.role


async def create_workspace(actor: Actor, slug: str, name: str, clock: Clock | None = None) -> Workspace:
    """A new client workspace; a manager who creates one manages it and switches to it. Audited in the new
    workspace (`workspace.create`), at the `clock`'s time (without one, the row's own stamp): the command's own
    entry is written in the one the person was in before."""
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
            await AuditLog.create(
                workspace_id=workspace.id,
                actor_id=actor.person_id,
                action="workspace.create",
                subject=f"workspace:{workspace.id}",
                data={"name": workspace.name},
                created_at=clock.now() if clock is not None else workspace.created_at,
            )
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
    """Admins see all workspaces; others the ones they belong to. In a shared chat (`Actor.confined_to`), only the
    chat's: a manager's /workspaces in one client's group listed the names of their other clients there."""
    if actor.role is Role.ADMIN:
        rows = Workspace.filter(archived_at=None)
        if actor.confined:
            rows = rows.filter(id__in=actor.confined_to)
        return [
            WorkspaceSummary(w.id, w.slug, w.name, "admin", w.id == actor.workspace_id)
            for w in sorted(await rows, key=lambda w: natural_key(w.slug))
        ]
    if actor.person_id is None:
        return []
    query = Membership.filter(person_id=actor.person_id, workspace__archived_at=None)
    if actor.confined:
        query = query.filter(workspace_id__in=actor.confined_to)
    memberships = await query.prefetch_related("workspace")
    return sorted(
        (
            WorkspaceSummary(
                m.workspace.id, m.workspace.slug, m.workspace.name, m.role.value, m.workspace.id == actor.workspace_id
            )
            for m in memberships
        ),
        key=lambda s: natural_key(s.slug),  # client-2 before client-10
    )


async def workspace_summary(actor: Actor, slug: str | None = None) -> WorkspaceSummary:
    """The current workspace, or the one named `slug` if the actor belongs to it, with its counts.

    Raises `error-no-workspace` (no current one), `error-forbidden`, `error-workspace-not-found`.
    """
    if slug:
        workspace, role = await _visible_workspace(actor, slug)
    else:
        current = await Workspace.get_or_none(id=actor.workspace_id or 0)
        if current is None:
            raise Forbidden("error-no-workspace")
        require_reader(actor, current.id)
        workspace, role = current, actor.role or Role.CLIENT
    return WorkspaceSummary(
        id=workspace.id,
        slug=workspace.slug,
        name=workspace.name,
        role=role.value,
        current=workspace.id == actor.workspace_id,
        domains=await Domain.filter(workspace_id=workspace.id).count(),
        mailboxes=await Mailbox.filter(workspace_id=workspace.id).count(),
        campaigns=await Campaign.filter(workspace_id=workspace.id).count(),
        leads=await Lead.filter(workspace_id=workspace.id).count(),
        members=await Membership.filter(workspace_id=workspace.id).count(),
        chats=await ChatBinding.filter(workspace_id=workspace.id).count(),
    )


async def use_workspace(actor: Actor, slug: str) -> Workspace:
    """Make `slug` the actor's current workspace (`error-workspace-not-found` unless it is theirs). In a shared
    chat, only one of the chat's (`Forbidden("error-chat-use-private")` for any other, whether it exists or not):
    the answer names the workspace for everyone there to read."""
    typed = slug.strip().lower()
    if actor.confined and not (
        len(typed) <= SLUG_MAX_CHARS and await Workspace.exists(slug=typed, id__in=actor.confined_to)
    ):
        raise Forbidden("error-chat-use-private")
    workspace, _ = await _visible_workspace(actor, slug)
    await Person.filter(id=actor.person_id).update(current_workspace_id=workspace.id)
    return workspace


@dataclass(frozen=True)
class Invitation:
    """A fresh invite: the one-time code (shown once, only its hash is stored) and what it opens."""

    code: str
    expires_at: dt.datetime
    role: Role
    workspace_slug: str
    workspace_name: str
    workspace_timezone: str  # the clock its expiry is shown on


async def create_invite(actor: Actor, role: Role, clock: Clock) -> Invitation:
    """A one-time code for the current workspace. Only its hash is stored.

    Raises `error-no-workspace`, `error-forbidden`, `error-bad-role`.
    """
    workspace_id = require_manager(actor)
    if role not in (Role.MANAGER, Role.CLIENT):
        raise UserError("error-bad-role", role=str(role))
    code = secrets.token_urlsafe(12)
    expires = clock.now() + INVITE_TTL
    workspace = await Workspace.get(id=workspace_id)
    await Invite.create(
        workspace_id=workspace_id,
        role=role,
        code_hash=_code_hash(code),
        created_by_id=actor.person_id,
        expires_at=expires,
    )
    return Invitation(code, expires, role, workspace.slug, workspace.name, workspace.timezone)


async def redeem_invite(identity: Identity, code: str, clock: Clock) -> Workspace:
    """Bind the person presenting `code` to its workspace. A code works once, before it expires. Audited, as the
    presenter's act (`invite.redeem`: the role, and whether they joined, were raised to it or stayed as they were).

    A code that gives its presenter nothing (an admin; a member with the same or a higher role) is spent all the
    same — it may have been typed where others read it — and changes nothing: `error-invite-admin`,
    `error-invite-member`. The person who used a code presenting it again while still a member is answered as
    the first time (their workspace, made current again), changing nothing else; anyone else: `error-invite-used`."""
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
            if invite.used_by_id == person.id and await Membership.exists(
                person=person, workspace_id=invite.workspace_id, workspace__archived_at=None
            ):  # their own code again (a start link tapped twice): they are in, as the first time said
                await Person.filter(id=person.id).update(current_workspace_id=invite.workspace_id)
                return await Workspace.get(id=invite.workspace_id)
            raise Conflict("error-invite-used")
        if invite.expires_at <= now:
            raise Conflict("error-invite-expired")
        if await Workspace.filter(id=invite.workspace_id).exclude(archived_at=None).exists():
            raise Conflict("error-invite-archived")  # a code made before its client left opens nothing
        membership = await Membership.get_or_none(person=person, workspace_id=invite.workspace_id)
        await Invite.filter(id=invite.id).update(used_at=now, used_by_id=person.id)
        refusal = _no_gain(person, membership, invite.role)
        if refusal is None:
            await _join(person, membership, invite)
        await AuditLog.create(  # who came in, with which role: the entry an access review starts from
            workspace_id=invite.workspace_id,
            actor_id=person.id,
            action="invite.redeem",
            subject=f"workspace:{invite.workspace_id}",
            data={
                "invite": invite.id,
                "role": invite.role.value,
                "result": "unchanged" if refusal is not None else "joined" if membership is None else "raised",
            },
            created_at=now,
        )
    if refusal is not None:
        raise refusal  # after the commit: the code stays spent
    return await Workspace.get(id=invite.workspace_id)


async def _join(person: Person, membership: Membership | None, invite: Invite) -> None:
    """Give the person the invite's role in its workspace (a new membership, or a raised role) and make it their
    current workspace."""
    if membership is None:
        await Membership.create(person=person, workspace_id=invite.workspace_id, role=invite.role)
    else:
        membership.role = invite.role
        await membership.save(update_fields=["role"])
    await Person.filter(id=person.id).update(current_workspace_id=invite.workspace_id)


_RANK: dict[Role, int] = {Role.CLIENT: 1, Role.MANAGER: 2}


def _no_gain(person: Person, membership: Membership | None, role: Role) -> Conflict | None:
    """Why the code gives this person nothing, if it does not: a manager opening a client's code of their own
    workspace (to see what the client will see) kept the client's role and lost their own."""
    if person.is_admin:
        return Conflict("error-invite-admin")
    if membership is not None and _RANK.get(membership.role, 0) >= _RANK[role]:
        return Conflict("error-invite-member", role=membership.role.value)
    return None


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


@dataclass(frozen=True)
class PersonRef:
    """Where a person can be reached: their platform and the platform's id for them."""

    person_id: int
    platform: Platform
    external_id: str


async def revoke_member(actor: Actor, person_id: int, clock: Clock) -> PersonRef:
    """Take the person's membership in the actor's current workspace away; returns who lost it. The invite codes
    they made for it and nobody has used yet lapse with it: a manager let go could otherwise come back (or bring
    someone in) with a code made the day before. Their private chat with the bot stops receiving the workspace's
    alerts and reports too (a manager bound it with /bind): the alerts, digests and approval requests kept coming
    to someone who no longer belonged to it (`_private_chats`). Chats others read stay bound.

    Raises `error-no-workspace`, `error-forbidden`, `error-revoke-self`, `error-member-not-found`.
    """
    workspace_id = require_manager(actor)
    if person_id == actor.person_id:
        raise UserError("error-revoke-self")
    now = clock.now()
    async with in_transaction():
        deleted = await Membership.filter(workspace_id=workspace_id, person_id=person_id).delete()
        if not deleted:
            raise NotFound("error-member-not-found", id=person_id)
        await Invite.filter(
            workspace_id=workspace_id, created_by_id=person_id, used_at=None, expires_at__gt=now
        ).update(expires_at=now)
        person = await Person.get(id=person_id)
        for binding in await _private_chats(workspace_id, person):
            await unbind_chat(actor, clock, binding_id=binding.id, platform=person.platform, chat_id="")  # audited
    await Person.filter(id=person_id, current_workspace_id=workspace_id).update(current_workspace_id=None)
    return PersonRef(person.id, person.platform, person.external_id)


SLACK_DM_PREFIX: Final = "D"  # a Slack 1:1 DM's id; a channel's or a group DM's starts otherwise


async def _private_chats(workspace_id: int, person: Person) -> list[ChatBinding]:
    """The workspace's bindings of the person's private chats with the bot: a Telegram private chat, whose id is
    the person's, and a Slack DM they bound — its id (`D…`) is not the person's, so who bound it is what tells
    (`ChatBinding.bound_by`; a DM bound before that was kept is not found)."""
    rows = await ChatBinding.filter(workspace_id=workspace_id, platform=person.platform)
    return [
        b
        for b in rows
        if b.chat_id == person.external_id
        or (person.platform is Platform.SLACK and b.chat_id.startswith(SLACK_DM_PREFIX) and b.bound_by_id == person.id)
    ]


READERS: Final[dict[ChatPurpose, frozenset[str]]] = {
    ChatPurpose.ALERTS: frozenset({ChatPurpose.ALERTS.value}),
    ChatPurpose.REPORTS: frozenset({ChatPurpose.REPORTS.value}),
    ChatPurpose.CLIENT: frozenset({ChatPurpose.REPORTS.value, ChatPurpose.CLIENT.value}),
}
"""The chats a notification of each purpose reaches, by the purposes they are bound for: what is written for
the client (the weekly report) reaches the client's chat and the managers' report chats alike, as one notification,
so a chat gets it once; nothing else reaches a client's chat."""


async def bind_chat(
    actor: Actor, platform: Platform, chat_id: str, purposes: list[ChatPurpose], clock: Clock
) -> ChatBinding:
    """Send this workspace's alerts and/or reports to this chat; binding again adds purposes. A chat another
    workspace writes to: `_check_shared_chat`.

    A client's chat is that only: binding it `client` drops whatever it had (the client must never read the
    managers' alerts or digests), and binding it for alerts or reports makes it a managers' chat again.
    """
    workspace_id = require_manager(actor)
    wanted = {p.value for p in purposes}
    await _check_shared_chat(actor, workspace_id, platform, chat_id, client=ChatPurpose.CLIENT.value in wanted)
    binding, _ = await ChatBinding.get_or_create(
        workspace_id=workspace_id,
        platform=platform,
        chat_id=chat_id,
        defaults={"purposes": [], "created_at": clock.now(), "bound_by_id": actor.person_id},
    )
    if binding.bound_by_id is None and actor.person_id is not None:  # bound before who bound it was kept
        binding.bound_by_id = actor.person_id
        await binding.save(update_fields=["bound_by_id"])
    if ChatPurpose.CLIENT.value in wanted:
        merged = [ChatPurpose.CLIENT.value]
    else:
        merged = sorted({*binding.purposes, *wanted} - {ChatPurpose.CLIENT.value})
    if merged != binding.purposes:
        binding.purposes = merged
        await binding.save(update_fields=["purposes"])
    return binding


async def _check_shared_chat(
    actor: Actor, workspace_id: int, platform: Platform, chat_id: str, *, client: bool
) -> None:
    """A chat another workspace writes to takes this one's notifications only when nobody there could read what
    is not theirs: never a client's chat (it is one workspace's; its client must never read another workspace's
    alerts or reports) nor a chat made a client's while another workspace writes to it
    (`Conflict("error-bind-client-chat")`), and only from someone who manages every workspace already there — a
    manager of B cannot pour B's alerts into A's group, whose people are A's (`Conflict("error-bind-taken")`,
    naming no workspace). An agency chat, whose alerts name every workspace, is no client's chat either
    (`Conflict("error-bind-client-agency-chat")`)."""
    if client and (platform, chat_id) in {(c.platform, c.chat_id) for c in await agency_chats()}:
        raise Conflict("error-bind-client-agency-chat")
    others = await ChatBinding.filter(platform=platform, chat_id=chat_id).exclude(workspace_id=workspace_id)
    if not others:
        return
    if client or any(ChatPurpose.CLIENT.value in b.purposes for b in others):
        raise Conflict("error-bind-client-chat")
    if actor.is_admin or await ChatBinding.exists(workspace_id=workspace_id, platform=platform, chat_id=chat_id):
        return  # already this workspace's chat too: its managers add what it hears
    theirs = {b.workspace_id for b in others}
    managed = await Membership.filter(
        person_id=actor.person_id or 0, workspace_id__in=theirs, role=Role.MANAGER
    ).count()
    if managed < len(theirs):
        raise Conflict("error-bind-taken")


async def list_chats(actor: Actor) -> tuple[Workspace, list[ChatBinding]]:
    """The current workspace and its bound chats, oldest first (managers)."""
    workspace_id = require_manager(actor)
    workspace = await Workspace.get(id=workspace_id)
    return workspace, await ChatBinding.filter(workspace_id=workspace_id).order_by("id")


async def unbind_chat(
    actor: Actor, clock: Clock, *, binding_id: int | None = None, platform: Platform, chat_id: str
) -> ChatBinding:
    """Stop sending the current workspace's notifications to a chat: the one numbered `binding_id` in /chats,
    else the chat the command was typed in (`platform`, `chat_id`). Audited. A chat that after this receives
    nothing of any workspace and is no agency chat has its `chat_unreachable` alert resolved: nobody is asked
    to fix a chat the agency no longer writes to. `NotFound` for a number that is not this workspace's chat,
    `UserError("error-unbind-not-bound")` for a chat that is not bound (a second press, another workspace)."""
    from engine.alerts import resolve_subjects  # noqa: PLC0415 - engine.notify (which alerts imports) imports this module
    from engine.notify import CHAT_UNREACHABLE, Target, chat_subject  # noqa: PLC0415

    workspace_id = require_manager(actor)
    async with in_transaction() as conn:
        query = ChatBinding.filter(workspace_id=workspace_id)
        if binding_id is not None:
            query = query.filter(id=binding_id)
        else:
            if not chat_id:
                raise UserError("error-bind-no-chat")
            query = query.filter(platform=platform, chat_id=chat_id)
        binding = await query.select_for_update().using_db(conn).first()
        if binding is None:
            if binding_id is not None:
                raise NotFound("error-chat-not-found", id=binding_id)
            raise UserError("error-unbind-not-bound")
        await binding.delete(using_db=conn)
        await AuditLog.create(
            workspace_id=workspace_id,
            actor_id=actor.person_id,
            action="chat.unbind",
            subject=f"{binding.platform.value}:{binding.chat_id}",
            data={"purposes": binding.purposes},
            created_at=clock.now(),
            using_db=conn,
        )
    where = (binding.platform, binding.chat_id)
    elsewhere = await ChatBinding.filter(platform=binding.platform, chat_id=binding.chat_id).exists()
    if not elsewhere and where not in {(c.platform, c.chat_id) for c in await agency_chats()}:
        await resolve_subjects(CHAT_UNREACHABLE, [chat_subject(Target(*where, locale=""))], clock=clock)
    return binding


async def move_chat(platform: Platform, old_chat_id: str, new_chat_id: str, clock: Clock) -> int:
    """The chat `old_chat_id` now has the id `new_chat_id` (a Telegram group upgraded to a supergroup gets a new
    id, and the old one stops taking messages): every workspace's binding of it follows, with its purposes merged
    into a binding the new id already has, and so does an agency binding. Audited without an actor, as the
    platform's doing. Returns how many bindings moved; moving again (both ids' service messages arrive) is a no-op."""
    if old_chat_id == new_chat_id:
        return 0
    moved = 0
    async with in_transaction() as conn:
        old = await ChatBinding.filter(platform=platform, chat_id=old_chat_id).select_for_update().using_db(conn)
        for binding in old:
            existing = await (
                ChatBinding.filter(workspace_id=binding.workspace_id, platform=platform, chat_id=new_chat_id)
                .select_for_update()
                .using_db(conn)
                .first()
            )
            if existing is None:
                binding.chat_id = new_chat_id
                await binding.save(update_fields=["chat_id"], using_db=conn)
            else:
                merged = {*existing.purposes, *binding.purposes}
                # a client's chat stays that only: the client must never read the managers' alerts
                existing.purposes = [ChatPurpose.CLIENT.value] if ChatPurpose.CLIENT.value in merged else sorted(merged)
                await existing.save(update_fields=["purposes"], using_db=conn)
                await binding.delete(using_db=conn)
            await AuditLog.create(
                workspace_id=binding.workspace_id,
                action="chat.move",
                subject=f"{platform.value}:{old_chat_id}",
                data={"to": new_chat_id, "purposes": binding.purposes},
                created_at=clock.now(),
                using_db=conn,
            )
            moved += 1
    await move_agency_chat(platform, old_chat_id, new_chat_id, clock)
    return moved


async def chats_for(workspace_id: int, purpose: ChatPurpose) -> list[ChatBinding]:
    """The workspace's chats a notification of `purpose` goes to (`READERS`)."""
    readers = READERS[purpose]
    rows = await ChatBinding.filter(workspace_id=workspace_id).order_by("id")
    return [b for b in rows if readers.intersection(b.purposes)]


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

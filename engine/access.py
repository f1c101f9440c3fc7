"""Who is acting, and what they may do. Every service takes an `Actor` and enforces isolation itself."""

from __future__ import annotations

from dataclasses import dataclass

from engine.errors import Forbidden
from models.enums import Platform, Role


@dataclass(frozen=True)
class Actor:
    """A person acting in a workspace. `role` is the role in `workspace_id` (ADMIN for agency admins)."""

    person_id: int | None
    platform: Platform
    role: Role | None  # None: a person with no role here (unknown, or not a member of this workspace)
    workspace_id: int | None
    locale: str = "ru"
    manages_any: bool = False  # admin, or manager of at least one workspace: may create workspaces
    first_contact: bool = False  # the person was not known before this request (a new Person row)
    member_of: int = 0  # how many workspaces the person belongs to (with no current one: they must choose)
    confined_to: frozenset[int] = frozenset()
    """Acting in a shared chat (`engine.people.in_shared_chat`), whose people read the answer: the workspaces the
    chat is bound to. Nothing of another workspace is reached, even one the person manages too, and an agency
    admin is no admin there (agency-wide views and alerts are not for that chat's people)."""

    @property
    def confined(self) -> bool:
        return bool(self.confined_to)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN and not self.confined

    def can_manage(self, workspace_id: int | None = None) -> bool:
        """Admins everywhere (in a shared chat: its workspaces); managers in their current workspace."""
        target = self.workspace_id if workspace_id is None else workspace_id
        if self.role is Role.ADMIN:
            return not self.confined or target in self.confined_to
        return self.role is Role.MANAGER and target is not None and target == self.workspace_id

    def can_read(self, workspace_id: int | None = None) -> bool:
        """Reports: admins (in a shared chat: its workspaces), and managers or clients of that workspace."""
        target = self.workspace_id if workspace_id is None else workspace_id
        if self.role is Role.ADMIN:
            return not self.confined or target in self.confined_to
        return self.role in (Role.MANAGER, Role.CLIENT) and target is not None and target == self.workspace_id


def require_manager(actor: Actor, workspace_id: int | None = None) -> int:
    """The workspace id the actor may manage, or `Forbidden`/`error-no-workspace`."""
    target = actor.workspace_id if workspace_id is None else workspace_id
    if target is None:
        raise Forbidden("error-no-workspace")
    if not actor.can_manage(target):
        raise Forbidden("error-forbidden")
    return target


def require_reader(actor: Actor, workspace_id: int | None = None) -> int:
    target = actor.workspace_id if workspace_id is None else workspace_id
    if target is None:
        raise Forbidden("error-no-workspace")
    if not actor.can_read(target):
        raise Forbidden("error-forbidden")
    return target


def require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden("error-forbidden")


SYSTEM = Actor(person_id=None, platform=Platform.CONSOLE, role=Role.ADMIN, workspace_id=None, manages_any=True)
"""The engine acting on its own (crons, jobs): admin rights, no person."""

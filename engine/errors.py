"""The error taxonomy. Services raise `UserError(key, **params)`; each transport renders it localized."""

from __future__ import annotations

from typing import Any


class UserError(Exception):
    """A mistake the person can fix. `key` names a locale message; `params` fill its placeholders."""

    def __init__(self, key: str, **params: Any) -> None:
        self.key = key
        self.params = params
        super().__init__(key)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.key!r})"


class NotFound(UserError):
    """The thing named does not exist, or the actor may not know it exists."""


class Forbidden(UserError):
    """The actor's role does not allow this."""


class Conflict(UserError):
    """The action clashes with the current state (already decided, already exists, illegal transition)."""


class IllegalTransition(Conflict):
    """A state machine refused a transition."""

    def __init__(self, machine: str, current: str, target: str) -> None:
        super().__init__("error-illegal-transition", machine=machine, current=current, target=target)
        self.machine = machine
        self.current = current
        self.target = target


class AlreadyInState(IllegalTransition):
    """A transition to the state the thing is already in ("the mailbox is already paused")."""

    def __init__(self, machine: str, state: str) -> None:
        super().__init__(machine, state, state)
        self.key = "error-already-in-state"
        self.params = {"machine": machine, "state": state}

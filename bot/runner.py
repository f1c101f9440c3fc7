"""Runs a command for a person in a chat: identity → actor → access → arguments → command → Reply.

Every transport calls this and only renders the Reply; errors become localized replies here, once.
"""

from __future__ import annotations

import difflib
import uuid
from collections.abc import Mapping
from typing import Any, Final

from bot.command import (
    REGISTRY,
    Access,
    ArgMissing,
    Command,
    Ctx,
    allowed,
    check_text,
    commands,
    echo,
    parse_args,
    split_command,
)
from engine.access import Actor
from engine.clock import Clock
from engine.errors import UserError
from engine.i18n import translator
from engine.logging import get_logger
from engine.people import Identity, in_shared_chat, resolve_actor
from engine.reply import Attachment, Reply
from models.enums import Platform

log = get_logger(__name__)


CHAT_SETUP: Final = frozenset({"bind", "unbind"})
"""Commands that connect the chat itself to the person's current workspace (a managers' chat may hear several):
they act there as anywhere else, and say which workspace they connected."""


WAYFINDING: Final = frozenset({"workspaces", "use", "whoami"})
"""Commands anyone may run that name workspaces: in a shared chat they list, choose and show the chat's workspaces
only (`in_shared_chat(choosing=True)`), never the person's other clients."""


class Runner:
    def __init__(
        self, clock: Clock, *, admins: Mapping[Platform, set[str]] | None = None, services: dict[str, Any] | None = None
    ) -> None:
        self.clock = clock
        self.admins = {p: set(ids) for p, ids in (admins or {}).items()}
        self.services = services or {}

    def identity(
        self, platform: Platform, external_id: str, display_name: str = "", language: str | None = None
    ) -> Identity:
        return Identity(
            platform,
            str(external_id),
            display_name,
            language,
            is_bootstrap_admin=str(external_id) in self.admins.get(platform, set()),
        )

    async def run_line(
        self, identity: Identity, chat_id: str, line: str, file: Attachment | None = None, *, shared: bool = False
    ) -> Reply:
        """A typed line: refused whole when it is longer than any command line, else split and run."""
        try:
            check_text(line)
        except UserError as exc:
            return await self.refusal(identity, exc)
        name, words = split_command(line)
        return await self.run(identity, chat_id, name, words, file, shared=shared)

    async def precheck(self, identity: Identity, name: str, chat_id: str = "", *, shared: bool = False) -> Reply | None:
        """Whether this person may run `name` at all, asked before a transport downloads the file for it: the
        refusal to show, or None. `run` checks again; this only spares fetching a file nobody may use."""
        actor = await resolve_actor(identity)
        try:
            cmd = REGISTRY.get(name)
            actor = await self._in_chat(cmd, actor, chat_id, shared=shared)
            self._allowed(cmd, name, actor)
        except UserError as exc:
            return _refused(actor, exc, name)
        return None

    @staticmethod
    async def _in_chat(cmd: Command | None, actor: Actor, chat_id: str, *, shared: bool) -> Actor:
        """In a shared chat (`shared`: a group, where everyone reads the answer), a command that reads or changes a
        workspace acts in the workspace the chat is bound to (`in_shared_chat`)."""
        if not shared or cmd is None:
            return actor
        if cmd.name in WAYFINDING:
            return await in_shared_chat(actor, actor.platform, chat_id, choosing=True)
        if cmd.access not in {Access.READ, Access.MANAGE} or cmd.name in CHAT_SETUP:
            return actor
        return await in_shared_chat(actor, actor.platform, chat_id)

    @staticmethod
    def _allowed(cmd: Command | None, name: str, actor: Actor) -> Command:
        if cmd is None:
            near = closest(name, actor)
            if near is not None:
                raise UserError("error-unknown-command-near", command=echo(name), near=near)
            raise UserError("error-unknown-command", command=echo(name))
        if not allowed(cmd, actor):
            if actor.workspace_id is None and actor.member_of:  # a member of several, none of them current
                raise UserError("error-no-workspace")
            no_role = actor.role is None and not actor.manages_any
            raise UserError("error-not-registered" if no_role else "error-forbidden", command=name)
        return cmd

    async def refusal(self, identity: Identity, exc: UserError) -> Reply:
        """A refusal a transport met before the command ran (a line or a file too large), in the person's
        language."""
        return _refused(await resolve_actor(identity), exc)

    async def run(
        self,
        identity: Identity,
        chat_id: str,
        name: str,
        words: list[str],
        file: Attachment | None = None,
        *,
        shared: bool = False,
    ) -> Reply:
        """Run `name` for the person; `shared`: in a chat others read too (see `_in_chat`)."""
        actor = await resolve_actor(identity)
        t = translator(actor.locale)
        try:
            check_text(" ".join(words))  # words that did not come from a checked line (a button, an answer)
            found = REGISTRY.get(name)
            actor = await self._in_chat(found, actor, chat_id, shared=shared)
            cmd = self._allowed(found, name, actor)
            args = parse_args(cmd, words, file)
            ctx = Ctx(
                actor=actor,
                t=t,
                clock=self.clock,
                platform=identity.platform,
                chat_id=chat_id,
                identity=identity,
                services=self.services,
            )
            reply = await cmd.load()(ctx, args)  # imports the command's feature module on its first use
            if cmd.access >= Access.MANAGE and reply.ok:
                await _audit(ctx, cmd, args)
            return reply
        except ArgMissing as exc:
            reply = Reply(ok=False).add(t(exc.key, **exc.params), "error")
            reply.awaiting = (name, list(words))
            return reply
        except UserError as exc:
            return _refused(actor, exc, name)
        except Exception as exc:
            ref = uuid.uuid4().hex[:8]
            log.exception("command failed", ref=ref, command=name, platform=identity.platform.value)
            key = "error-unavailable" if unreachable(exc) else "error-internal"
            return Reply(ok=False).add(t(key, ref=ref), "error")


def closest(name: str, actor: Actor) -> str | None:
    """The command this person may run that `name` most likely mistypes (/hepl, /domian, /report_campain), if
    one is close enough. Only a name of command length is compared: a long word is no typo of a command."""
    if not name or len(name) > NAME_MAX_CHARS:
        return None
    names = [c.name for c in commands() if not c.button_only and allowed(c, actor)]
    near = difflib.get_close_matches(name, names, n=1, cutoff=0.75)
    return near[0] if near else None


NAME_MAX_CHARS = 32  # Telegram's longest command name


def unreachable(exc: BaseException) -> bool:
    """Whether a command failed because a service it needs (PostgreSQL, Redis) does not answer: a socket error, or
    one of the clients' connection or timeout errors (recognised by name: the console does not import redis-py
    for commands that do not use it)."""
    if isinstance(exc, OSError | TimeoutError):
        return True
    return any(c.__name__ in _CONNECTION_ERRORS for c in type(exc).__mro__)


_CONNECTION_ERRORS = frozenset(
    {"ConnectionError", "TimeoutError", "ConnectionDoesNotExistError", "CannotConnectNowError"}
)


def _refused(actor: Actor, exc: UserError, command: str = "") -> Reply:
    """The error in the person's language. An error quoting a name the person typed as a command has a `-slack`
    variant (Slack's commands are words after /mailfleet: an unknown word is no command Slack knows either).
    An error whose message points at a managing command (a list only a
    manager may open) has a `-manage` variant: a manager gets that, anyone else the message without it. A refusal
    a service raised (`Forbidden` knows no command) names the command that was run."""
    t = translator(actor.locale)
    if actor.platform is Platform.SLACK and t.has(f"{exc.key}-slack"):
        key = f"{exc.key}-slack"  # quotes the name as typed in Slack: `/mailfleet cancel`, not `/cancel`
    elif actor.can_manage() and t.has(f"{exc.key}-manage"):
        key = f"{exc.key}-manage"
    else:
        key = exc.key
    params = dict(exc.params)
    if command and exc.key in _NAMING_COMMAND:
        params.setdefault("command", command)
    return Reply(ok=False).add(t(key, **params), "error")


_NAMING_COMMAND = frozenset({"error-forbidden"})  # refusals whose message names the command refused


async def _audit(ctx: Ctx, cmd: Command, args: dict[str, Any]) -> None:
    """The audit entry of a command a manager or an admin ran (`engine.compliance.audit`): the arguments given,
    with the values of choices and integers only (free text may be a secret or a person's address). A failure
    to write it is logged; the command has already acted and its answer still goes out."""
    given: dict[str, str | int | None] = {}
    for arg in cmd.args:
        value = args.get(arg.name)
        if value is None or value == "":
            continue
        given[arg.name] = value if arg.kind in {"choice", "int"} and isinstance(value, str | int) else None
    from engine.compliance.audit import record_command  # noqa: PLC0415 - the export machinery, only when auditing

    try:
        await record_command(ctx.actor, ctx.clock, cmd.name, given, ctx.platform)
    except Exception:
        log.exception("audit entry not written", command=cmd.name)

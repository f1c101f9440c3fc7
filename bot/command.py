"""The command layer: a command is declared once and every transport (Telegram, Slack, console) exposes it."""

from __future__ import annotations

import shlex
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from engine.access import Actor
from engine.clock import Clock
from engine.errors import UserError
from engine.i18n import Translator
from engine.people import Identity
from engine.reply import Attachment, Reply
from models.enums import Platform


class Access(IntEnum):
    """Who may run a command. The dispatcher checks this first; services check the actor again."""

    PUBLIC = 0  # anyone, even a person with no workspace (/start, /help, /lang, /whoami)
    READ = 1  # clients, managers and admins of the current workspace (reports)
    MANAGE = 2  # managers of the current workspace, admins
    CREATE = 3  # admins, and managers of any workspace (creating a workspace)
    ADMIN = 4  # agency admins


@dataclass(frozen=True)
class Arg:
    name: str
    required: bool = True
    kind: str = "text"  # text | int | choice | file | rest (the rest of the line)
    choices: tuple[str, ...] = ()


@dataclass
class Ctx:
    """What a command function gets besides its arguments. No platform object ever reaches a command."""

    actor: Actor
    t: Translator
    clock: Clock
    platform: Platform
    chat_id: str
    identity: Identity
    services: dict[str, Any] = field(default_factory=dict)  # shared clients (redis, vault, settings, …)


Handler = Callable[[Ctx, dict[str, Any]], Awaitable[Reply]]


@dataclass(frozen=True)
class Command:
    name: str
    handler: Handler
    access: Access
    args: tuple[Arg, ...] = ()
    example: str = ""  # arguments of a correct call, shown when the arguments are wrong
    aliases: tuple[str, ...] = ()
    button_only: bool = False  # run by pressing a button (approve/reject); hidden from /help

    @property
    def help_key(self) -> str:
        return f"cmd-{self.name.replace('_', '-')}"

    @property
    def file_arg(self) -> Arg | None:
        return next((a for a in self.args if a.kind == "file"), None)


REGISTRY: dict[str, Command] = {}


def command(
    name: str,
    access: Access,
    *args: Arg,
    example: str = "",
    aliases: tuple[str, ...] = (),
    button_only: bool = False,
) -> Callable[[Handler], Handler]:
    """Register the decorated async function `(ctx, args) -> Reply` as a command."""

    def register(handler: Handler) -> Handler:
        cmd = Command(name, handler, access, tuple(args), example, aliases, button_only)
        for key in (name, *aliases):
            if key in REGISTRY:
                raise ValueError(f"command {key} is declared twice")
            REGISTRY[key] = cmd
        return handler

    return register


def commands() -> list[Command]:
    """Every command once (aliases folded), in declaration order."""
    seen: dict[str, Command] = {}
    for cmd in REGISTRY.values():
        seen.setdefault(cmd.name, cmd)
    return list(seen.values())


def split_line(line: str) -> tuple[str, list[str]]:
    """`/cmd@bot a "b c"` → ("cmd", ["a", "b c"]). Quotes group words; a lone quote is kept as text."""
    line = line.strip()
    head, _, rest = line.partition(" ")
    name = head.lstrip("/").split("@", 1)[0].lower()
    try:
        words = shlex.split(rest)
    except ValueError:
        words = rest.split()
    return name, words


class ArgMissing(UserError):
    """A required argument (or file) is missing; a conversational transport may ask for it."""

    def __init__(self, key: str, missing: Arg, **params: Any) -> None:
        super().__init__(key, **params)
        self.missing = missing


def parse_args(cmd: Command, words: list[str], file: Attachment | None) -> dict[str, Any]:
    """Bind words to the command's arguments, or raise `UserError` naming what is wrong, with an example."""
    queue = list(words)
    usage = f"/{cmd.name} {cmd.example}".strip()
    values = {arg.name: _bind(cmd, arg, queue, file, usage) for arg in cmd.args}
    if queue:
        raise UserError("error-arg-extra", command=cmd.name, extra=" ".join(queue), usage=usage)
    return values


def _bind(cmd: Command, arg: Arg, queue: list[str], file: Attachment | None, usage: str) -> Any:
    """The value of one argument, taken from the front of `queue` (or the uploaded file)."""
    where = {"command": cmd.name, "arg": arg.name, "usage": usage}
    if arg.kind == "file":
        if file is None and arg.required:
            raise ArgMissing("error-file-missing", arg, **where)
        return file
    if arg.kind == "rest":
        text = " ".join(queue)
        queue.clear()
    else:
        text = queue.pop(0) if queue else ""
    if not text:
        if arg.required:
            raise ArgMissing("error-arg-missing", arg, **where)
        return None
    if arg.kind == "int":
        try:
            return int(text)
        except ValueError:
            raise UserError("error-arg-not-int", value=text, **where) from None
    if arg.kind == "choice":
        if text.lower() not in arg.choices:
            raise UserError("error-arg-choice", value=text, choices=", ".join(arg.choices), **where)
        return text.lower()
    return text


def usage(cmd: Command, label: Callable[[Arg], str] = lambda arg: arg.name) -> str:
    """How to call the command: `/name <arg> [<optional>] <rest…> one|two`, each argument named by `label`."""
    parts = [f"/{cmd.name}"]
    for arg in cmd.args:
        text = "|".join(arg.choices) if arg.kind == "choice" else f"<{label(arg)}{'…' if arg.kind == 'rest' else ''}>"
        parts.append(text if arg.required else f"[{text}]")
    return " ".join(parts)


def allowed(cmd: Command, actor: Actor) -> bool:
    """The coarse role check; services still enforce isolation on every object they touch."""
    match cmd.access:
        case Access.PUBLIC:
            return True
        case Access.READ:
            return actor.can_read()
        case Access.MANAGE:
            return actor.can_manage()
        case Access.CREATE:
            return actor.manages_any
        case Access.ADMIN:
            return actor.is_admin
    return False

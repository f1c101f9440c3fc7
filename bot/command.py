"""The command layer: a command is declared once and every transport (Telegram, Slack, console) exposes it."""

from __future__ import annotations

import dataclasses
import importlib
import json
import re
import shlex
import unicodedata
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Any, Final, Literal, NamedTuple

from babel import Locale

from engine.access import Actor
from engine.clock import Clock
from engine.confirm import SEAL
from engine.errors import NotFound, UserError
from engine.i18n import Translator, shorten, translator
from engine.lifecycle import LocalizedName
from engine.people import Identity
from engine.reply import Attachment, Button, Reply
from engine.uploads import MAX_UPLOAD_BYTES, check_size
from models.enums import Platform

# Every input is bounded before it is parsed (ARCHITECTURE §3).
TEXT_MAX_CHARS: Final = 4000
"""The longest command line parsed: Slack's slash-command text stops near 4,000 characters, Telegram's messages
at 4,096. Longer text is refused whole, before it is split into words."""
ARG_MAX_CHARS: Final = 200
"""The default limit of one word argument (a slug, a name, an address); a command may declare another."""
REST_MAX_CHARS: Final = TEXT_MAX_CHARS
"""The default limit of a `rest` argument (a list of names, a DKIM key): the rest of a bounded line."""
ECHO_MAX_CHARS: Final = 40
"""How much of a wrong value an error message quotes back."""
INT_RANGES: Final = {"int4": (-(2**31), 2**31 - 1), "int8": (-(2**63), 2**63 - 1)}
"""PostgreSQL's integer columns: an argument declares which one its value is compared with."""
_INTEGER: Final = re.compile(r"[+-]?[0-9]+")  # ASCII digits only: int() would also take "1_000" and "١٢"
_ALLOWED_CONTROL: Final = frozenset("\t")
_BLOCK_CONTROL: Final = frozenset("\t\n\r")  # a `block` argument keeps its lines


class Access(IntEnum):
    """Who may run a command. The dispatcher checks this first; services check the actor again."""

    PUBLIC = 0  # anyone, even a person with no workspace (/start, /help, /lang, /whoami)
    READ = 1  # clients, managers and admins of the current workspace (reports)
    MANAGE = 2  # managers of the current workspace, admins
    CREATE = 3  # admins, and managers of any workspace (creating a workspace)
    ADMIN = 4  # agency admins


class Sealed(NamedTuple):
    """A `sealed` argument: a row's id and the seal of what the question about it showed (`engine.confirm.seal`),
    "" for a button made before seals."""

    id: int
    seal: str


@dataclass(frozen=True)
class Arg:
    """One argument of a command. `max_length` (characters, checked before anything parses the value) defaults
    to ARG_MAX_CHARS for a word and REST_MAX_CHARS for the rest of the line; an `int` fits the PostgreSQL column
    `int_type` names. An `int` that is a row's id names the `NotFound` key its command answers a wrong id with
    (`not_found`, given `id`): a number past the column names no row either, and gets the same answer."""

    name: str
    required: bool = True
    kind: str = "text"  # text | int | sealed | choice | file | rest (the rest of the line) | block (lines kept)
    choices: tuple[str, ...] = ()
    max_length: int | None = None
    int_type: Literal["int4", "int8"] = "int4"
    max_bytes: int | None = None  # a file: its own size limit (lead lists), else every transport's default
    not_found: str = ""  # an id: the key of "no such …" (`id` given), also for a number past the column
    bounds: tuple[int, int] | None = None  # an `int` people choose (not an id): the values the command takes,
    # named in the error instead of the column's

    @property
    def limit(self) -> int:
        """The most characters this argument takes."""
        if self.max_length is not None:
            return self.max_length
        return REST_MAX_CHARS if self.kind in {"rest", "block"} else ARG_MAX_CHARS


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


LINES_SHOWN: Final = 30
"""How many per-row lines (errors, warnings) a reply shows before "… and N more"."""


def brief(ctx: Ctx, items: Sequence[str], *, limit: int = 20, sep: str = ", ") -> str:
    """The first `limit` items joined by `sep`, then "… and N more": a reply stays readable for 400 domains."""
    shown = sep.join(items[:limit])
    return shown + (sep + ctx.t("list-more", count=len(items) - limit) if len(items) > limit else "")


PAGE_MAX: Final = 100_000
"""The highest page a listing takes as its argument: past the last page, the last is shown."""


@dataclass(frozen=True)
class Page:
    """Which rows of a listing of `total` one page shows (`rows`, a slice), as page `number` of `pages`."""

    number: int
    pages: int
    rows: slice

    @classmethod
    def of(cls, total: int, wanted: int | None, size: int = LINES_SHOWN) -> Page:
        """Page `wanted` (the first when None, the last when past it) of `total` rows, `size` a page."""
        pages = max(1, -(-total // size))
        number = min(max(1, wanted or 1), pages)
        return cls(number, pages, slice((number - 1) * size, number * size))


def page_arg() -> Arg:
    """The optional page number of a listing that pages (`Page`), typed or carried by its ◀ ▶ buttons."""
    return Arg("page", required=False, kind="int", bounds=(1, PAGE_MAX))


def page_buttons(command: str, page: Page) -> list[Button]:
    """◀ and ▶ to the neighbouring pages of a listing (none on a listing of one page): each runs `command` with
    the page's number, so a press shows the listing as it is now."""
    row = [Button(f"◀ {page.number - 1}", command, str(page.number - 1))] if page.number > 1 else []
    if page.number < page.pages:
        row.append(Button(f"{page.number + 1} ▶", command, str(page.number + 1)))
    return row


Handler = Callable[[Ctx, dict[str, Any]], Awaitable[Reply]]

HANDLERS_PACKAGE: Final = "bot.handlers"
MANIFEST: Final = Path(__file__).with_name("commands.json")
"""Every command of `bot/handlers/`, as its decorator declares it, without its function: what help, menus and the
authorization check read without importing a feature's module (`python -m bot.manifest write` regenerates it;
a unit test fails when it differs from the declarations)."""


class ManifestError(RuntimeError):
    """bot/commands.json and the modules of bot/handlers/ disagree."""


@dataclass(frozen=True)
class Command:
    name: str
    handler: Handler | None  # None for a command of bot/handlers/ until its module is imported (see `load`)
    access: Access
    args: tuple[Arg, ...] = ()
    example: str = ""  # arguments of a correct call, shown when the arguments are wrong
    aliases: tuple[str, ...] = ()
    button_only: bool = False  # run by pressing a button (approve/reject); hidden from /help
    module: str = ""  # the module that declares it
    private: bool = False  # its answer holds a secret (an invite code): never run in a shared chat where all see it

    @property
    def help_key(self) -> str:
        return f"cmd-{self.name.replace('_', '-')}"

    @property
    def file_arg(self) -> Arg | None:
        return next((a for a in self.args if a.kind == "file"), None)

    @property
    def block_arg(self) -> Arg | None:
        return next((a for a in self.args if a.kind == "block"), None)

    @property
    def word_args(self) -> int:
        """How many arguments are single words (those before a `block`)."""
        return sum(1 for a in self.args if a.kind not in {"block", "file"})

    def load(self) -> Handler:
        """The command's function: its module is imported the first time one of its commands runs, so a process
        that runs one command loads one feature. Refused when the module declares the command otherwise than the
        manifest (which decided who may run it)."""
        if self.handler is not None:
            return self.handler
        importlib.import_module(self.module)
        declared = DECLARED.get(self.name)
        if declared is None or declared.handler is None or dataclasses.replace(declared, handler=None) != self:
            raise ManifestError(f"{self.module} does not declare /{self.name} as {MANIFEST.name} says")
        return declared.handler


def _arg_from(data: dict[str, Any]) -> Arg:
    values: dict[str, Any] = {k: tuple(v) if k in {"choices", "bounds"} else v for k, v in data.items()}
    return Arg(**values)


def _command_from(data: dict[str, Any]) -> Command:
    return Command(
        data["name"],
        None,
        Access[data["access"]],
        tuple(_arg_from(a) for a in data.get("args", ())),
        data.get("example", ""),
        tuple(data.get("aliases", ())),
        data.get("button_only", False),
        data["module"],
        data.get("private", False),
    )


def _registry(manifest: Path) -> dict[str, Command]:
    """Every command of the manifest by name and by alias, in declaration order."""
    registry: dict[str, Command] = {}
    for data in json.loads(manifest.read_text(encoding="utf-8")):
        cmd = _command_from(data)
        for key in (cmd.name, *cmd.aliases):
            registry[key] = cmd
    return registry


REGISTRY: dict[str, Command] = _registry(MANIFEST)
"""Every command by name and alias: the manifest's, and those a test declares outside bot/handlers/."""
DECLARED: dict[str, Command] = {}
"""The commands of bot/handlers/ whose modules are imported, with their functions, by name."""


def file_limit(name: str, default: int) -> int:
    """How many bytes a transport may download for command `name`: the file argument's own limit when it
    declares one, else the transport's `default`."""
    cmd = REGISTRY.get(name)
    arg = cmd.file_arg if cmd is not None else None
    return arg.max_bytes if arg is not None and arg.max_bytes is not None else default


def command(
    name: str,
    access: Access,
    *args: Arg,
    example: str = "",
    aliases: tuple[str, ...] = (),
    button_only: bool = False,
    private: bool = False,
) -> Callable[[Handler], Handler]:
    """Declare the decorated async function `(ctx, args) -> Reply` as a command. One in bot/handlers/ is found
    through the manifest (`Command.load`); one declared elsewhere (a test's) is registered as it is."""

    def register(handler: Handler) -> Handler:
        cmd = Command(name, handler, access, tuple(args), example, aliases, button_only, handler.__module__, private)
        if cmd.module.startswith(HANDLERS_PACKAGE + "."):
            if name in DECLARED:
                raise ValueError(f"command {name} is declared twice")
            DECLARED[name] = cmd
            return handler
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


def check_text(text: str) -> None:
    """Refuse a whole message longer than any command line (`error-text-too-long`), before it is split."""
    if len(text) > TEXT_MAX_CHARS:
        raise UserError("error-text-too-long", length=str(len(text)), limit=str(TEXT_MAX_CHARS))


AGENCY_SCOPE: Final = "agency"
"""The last word of a setting's value that means the agency's default (`/thresholds_set`, `/cost_set`)."""


def with_scope(typed: str, scope: str) -> tuple[str, bool]:
    """`4 % agency` → ("4 %", True): a value typed as the bot writes it (a space before "%", "20 000 ₽"), the rest
    of the line, and whether its last word is `scope`."""
    value, _, last = typed.strip().rpartition(" ")
    if last.lower() == scope:
        return value.strip(), True
    return typed.strip(), False


def split_line(line: str) -> tuple[str, list[str]]:
    """`/cmd@bot a "b c"` → ("cmd", ["a", "b c"]). Quotes group words; a lone quote is kept as text.

    Callers bound the line first (`check_text`): shlex is linear, but nothing is parsed unbounded.
    """
    parts = line.strip().split(maxsplit=1)  # any whitespace ends the command: "/report\n7d", as Telegram reads it
    head, rest = [*parts, "", ""][:2]
    name = head.lstrip("/").split("@", 1)[0].lower()
    try:
        words = shlex.split(rest)
    except ValueError:
        words = rest.split()
    return name, words


def split_command(line: str) -> tuple[str, list[str]]:
    """`split_line`, except for a command with a `block` argument (a text of several lines, such as campaign
    steps): its word arguments come from the first line, and everything after them — the rest of the first line
    and every following line, verbatim — is one more word. Callers bound the line first (`check_text`)."""
    stripped = line.strip()
    first, newline, tail = stripped.partition("\n")
    name, words = split_line(first)
    cmd = REGISTRY.get(name)
    if cmd is None or cmd.block_arg is None:
        return split_line(stripped) if newline else (name, words)
    return name, _with_block(cmd, words, tail)


def answer_words(name: str, words: list[str], text: str) -> list[str]:
    """The words a typed answer adds to a pending command: split like a command line, or the whole text when
    it answers the command's `block` argument."""
    cmd = REGISTRY.get(name)
    if cmd is not None and cmd.block_arg is not None and len(words) >= cmd.word_args:
        return [text.strip("\n")] if text.strip() else []
    return split_line(f"/_ {text}")[1]


def _with_block(cmd: Command, words: list[str], tail: str) -> list[str]:
    lead = cmd.word_args
    if len(words) < lead:
        return words  # a word argument is missing: asked for first, the text can follow as the answer
    parts = [" ".join(words[lead:]), tail.strip("\n")]
    block = "\n".join(p for p in parts if p.strip())
    return [*words[:lead], *([block] if block else [])]


def arg_keys(cmd: Command, arg: Arg) -> tuple[str, str]:
    """The catalog keys that name an argument in the reader's language, the most specific first."""
    return f"arg-{cmd.name}-{arg.name}".replace("_", "-"), f"arg-{arg.name}".replace("_", "-")


class ArgName(LocalizedName):
    """An argument named in an error in the language of the message (`arg_keys`), else as declared."""

    def __init__(self, cmd: Command, arg: Arg) -> None:
        specific, general = arg_keys(cmd, arg)
        super().__init__(general, arg.name)
        self.specific = specific

    def format(self, locale: Locale) -> str:
        t = translator(str(locale.language))
        return t(self.specific) if t.has(self.specific) else super().format(locale)


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
        raise UserError("error-arg-extra", command=cmd.name, extra=echo(" ".join(queue)), usage=usage)
    return values


def echo(text: str) -> str:
    """A person's value quoted back in an error: short, with an ellipsis when cut."""
    return shorten(text, ECHO_MAX_CHARS)


def _bind(cmd: Command, arg: Arg, queue: list[str], file: Attachment | None, usage: str) -> Any:
    """The value of one argument, taken from the front of `queue` (or the uploaded file): bounded first, then
    checked for control characters, then parsed."""
    where = {"command": cmd.name, "arg": ArgName(cmd, arg), "usage": usage}
    if arg.kind == "file":
        if file is None and arg.required:
            raise ArgMissing("error-file-missing", arg, **where)
        if file is not None:
            check_size(len(file.content), max_bytes=arg.max_bytes or MAX_UPLOAD_BYTES)
        return file
    if arg.kind in {"rest", "block"}:
        text = " ".join(queue)
        queue.clear()
    else:
        text = queue.pop(0) if queue else ""
    if not text:
        if arg.required:
            raise ArgMissing("error-arg-missing", arg, **where)
        return None
    if len(text) > arg.limit:
        raise UserError("error-arg-too-long", value=echo(text), length=str(len(text)), limit=str(arg.limit), **where)
    bad = _control_at(text, _BLOCK_CONTROL if arg.kind == "block" else _ALLOWED_CONTROL)
    if bad is not None:
        raise UserError("error-arg-control", position=str(bad), **where)
    if arg.kind in _NUMBERS:
        return _NUMBERS[arg.kind](arg, text, where)
    if arg.kind == "choice":
        if text.lower() not in arg.choices:
            raise UserError("error-arg-choice", value=echo(text), choices=", ".join(arg.choices), **where)
        return text.lower()
    return text


def _control_at(text: str, allowed: frozenset[str] = _ALLOWED_CONTROL) -> int | None:
    """The 1-based position of the first control character (NUL, escape, …) or lone surrogate, if any."""
    for position, char in enumerate(text, 1):
        if unicodedata.category(char) in {"Cc", "Cs"} and char not in allowed:
            return position
    return None


def _integer(arg: Arg, text: str, where: dict[str, Any]) -> int:
    if not _INTEGER.fullmatch(text):
        raise UserError("error-arg-not-int", value=echo(text), **where)
    low, high = arg.bounds or INT_RANGES[arg.int_type]
    value = int(text)  # at most `arg.limit` digits: cheap
    if not low <= value <= high:
        if arg.not_found:  # an id: no row has it, as for any wrong id (the column's bounds mean nothing to people)
            raise NotFound(arg.not_found, id=value)
        raise UserError("error-arg-int-range", value=echo(text), min=low, max=high, **where)
    return value


def _sealed(arg: Arg, text: str, where: dict[str, Any]) -> Sealed:
    """A confirmation button's `<id>.<seal>`; a button made before seals carries the id alone."""
    number, dot, seal = text.partition(".")
    if dot and not SEAL.fullmatch(seal):
        raise UserError("error-arg-not-int", value=echo(text), **where)
    return Sealed(_integer(arg, number, where), seal)


_NUMBERS: Final[dict[str, Callable[[Arg, str, dict[str, Any]], Any]]] = {"int": _integer, "sealed": _sealed}


def usage(cmd: Command, label: Callable[[Arg], str] = lambda arg: arg.name) -> str:
    """How to call the command: `/name <arg> [<optional>] <rest…> one|two`, each argument named by `label`."""
    parts = [f"/{cmd.name}"]
    for arg in cmd.args:
        more = "…" if arg.kind in {"rest", "block"} else ""
        text = "|".join(arg.choices) if arg.kind == "choice" else f"<{label(arg)}{more}>"
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

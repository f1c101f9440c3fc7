"""bot/commands.json, the command manifest: every command of bot/handlers/ as its decorator declares it (name,
module, role, arguments, example, aliases), without its function.

Help, the chat menus, argument parsing and the role check read the manifest (`bot.command.REGISTRY`), so a
process that runs one command imports one feature module, not the whole command layer: `mailfleet console -c
/whoami` loads neither the DNS nor the campaign stack. The declarations stay the source: `python -m bot.manifest
write` regenerates the file from them, `check` exits 1 when it is out of date, a unit test fails then, and
`Command.load` refuses a command whose module declares it otherwise than the manifest says.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import pkgutil
import sys
from typing import Any

from bot.command import DECLARED, HANDLERS_PACKAGE, MANIFEST, Arg, Command


def handler_modules() -> list[str]:
    """The feature modules of bot/handlers/, in name order (the order of the manifest)."""
    package = importlib.import_module(HANDLERS_PACKAGE)
    return sorted(f"{HANDLERS_PACKAGE}.{m.name}" for m in pkgutil.iter_modules(package.__path__))


def load_all() -> list[Command]:
    """Import every feature module; their commands, module by module in declaration order. A long-running
    process calls this at start, so no command's first use waits for an import."""
    modules = handler_modules()
    for module in modules:
        importlib.import_module(module)
    declared = [cmd for module in modules for cmd in DECLARED.values() if cmd.module == module]
    keys = [key for cmd in declared for key in (cmd.name, *cmd.aliases)]
    twice = sorted({key for key in keys if keys.count(key) > 1})
    if twice:
        raise ValueError(f"command names declared twice: {', '.join(twice)}")
    return declared


def render(declared: list[Command]) -> str:
    """The manifest's text: one command a line, so a changed command is a changed line."""
    return "[\n" + ",\n".join(json.dumps(_entry(cmd), ensure_ascii=False) for cmd in declared) + "\n]\n"


def _entry(cmd: Command) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": cmd.name, "module": cmd.module, "access": cmd.access.name}
    if cmd.args:
        entry["args"] = [_arg(arg) for arg in cmd.args]
    if cmd.example:
        entry["example"] = cmd.example
    if cmd.aliases:
        entry["aliases"] = list(cmd.aliases)
    if cmd.button_only:
        entry["button_only"] = True
    if cmd.private:
        entry["private"] = True
    return entry


def _arg(arg: Arg) -> dict[str, Any]:
    """The fields that differ from their defaults."""
    fields = dataclasses.fields(arg)
    values = {f.name: getattr(arg, f.name) for f in fields if f.name == "name" or getattr(arg, f.name) != f.default}
    return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}


def main(argv: list[str]) -> int:
    """`python -m bot.manifest write` rewrites bot/commands.json; `check` exits 1 when it is out of date."""
    if argv not in (["write"], ["check"]):
        print("usage: python -m bot.manifest write|check", file=sys.stderr)  # noqa: T201
        return 2
    text = render(load_all())
    if argv == ["write"]:
        MANIFEST.write_text(text, encoding="utf-8")
        return 0
    if MANIFEST.read_text(encoding="utf-8") == text:
        return 0
    print(f"{MANIFEST} is out of date: run `python -m bot.manifest write`", file=sys.stderr)  # noqa: T201
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""bot/commands.json is what the modules of bot/handlers/ declare, and a command runs only as it says."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from bot.command import DECLARED, MANIFEST, REGISTRY, Access, Arg, ManifestError, commands
from bot.manifest import handler_modules, load_all, render


def test_the_manifest_is_what_the_handler_modules_declare() -> None:
    declared = load_all()
    assert MANIFEST.read_text(encoding="utf-8") == render(declared), (
        "bot/commands.json is out of date: run `python -m bot.manifest write`"
    )
    assert [c.name for c in commands()] == [c.name for c in declared]  # help and the menus list them in this order
    assert {c.module for c in declared} == set(handler_modules())  # no feature module without a command


def test_every_listed_command_loads_the_function_its_module_declares() -> None:
    load_all()
    for cmd in commands():
        assert cmd.load() is DECLARED[cmd.name].handler, cmd.name
    for name, cmd in REGISTRY.items():
        assert name == cmd.name or name in cmd.aliases


@pytest.mark.parametrize(
    "change",
    [
        {"access": Access.PUBLIC},  # the manifest would let anyone run what the module reserves to managers
        {"args": (Arg("email", max_length=1000), Arg("everywhere", required=False))},
        {"module": "bot.handlers.workspaces"},
        {"button_only": True},
    ],
)
def test_a_command_listed_otherwise_than_declared_does_not_run(change: dict[str, object]) -> None:
    stale = dataclasses.replace(REGISTRY["forget"], **change)
    with pytest.raises(ManifestError, match="/forget"):
        stale.load()


def test_a_command_missing_from_its_module_does_not_run() -> None:
    ghost = dataclasses.replace(REGISTRY["whoami"], name="whoami_ghost", aliases=())
    with pytest.raises(ManifestError, match="whoami_ghost"):
        ghost.load()


def test_the_registry_is_read_without_importing_a_feature_module() -> None:
    code = (
        "import sys; from bot.command import commands; from bot.runner import Runner; "
        "assert len(commands()) > 50; print(sorted(m for m in sys.modules if m.startswith('bot.handlers.')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "[]"


def test_every_command_has_a_help_section_named_in_both_languages() -> None:
    """A feature module added without a section of /help would list its commands under a raw key."""
    from bot.handlers.workspaces import HELP_GROUPS, help_group  # noqa: PLC0415 - a handler module, loaded here only
    from engine.i18n import translator  # noqa: PLC0415

    for cmd in commands():
        assert cmd.button_only or help_group(cmd) in HELP_GROUPS, cmd.name
    for locale in ("ru", "en"):
        assert all(translator(locale).has(f"help-group-{group}") for group in HELP_GROUPS), locale

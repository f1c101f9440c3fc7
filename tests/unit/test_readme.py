"""The README a newcomer follows against what the product declares: its chat commands (`bot/commands.json`),
its settings (`engine/settings.py`) and its CLI (`mailfleet.cli`). A command, setting or option added, renamed or
removed on one side only fails here."""

import json
import re
from pathlib import Path

from pydantic import SecretStr

from engine.settings import Settings
from mailfleet.cli import _parser

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
COMMANDS = json.loads((ROOT / "bot" / "commands.json").read_text(encoding="utf-8"))
# `/healthz` and the tracking paths (`/t/u/<token>`) are URLs, not chat commands
_NOT_COMMANDS = {"healthz", "t", "mailfleet"}


def _readme_commands() -> set[str]:
    return set(re.findall(r"`/(?:mailfleet )?([a-z_]+)", README)) - _NOT_COMMANDS


def test_every_typed_command_is_in_the_readme() -> None:
    mentioned = _readme_commands()
    missing = [c["name"] for c in COMMANDS if not c.get("button_only") and c["name"] not in mentioned]
    assert not missing, f"commands.json commands the README never names: {missing}"


def test_every_command_the_readme_names_exists() -> None:
    known = {c["name"] for c in COMMANDS} | {a for c in COMMANDS for a in c.get("aliases", [])}
    unknown = sorted(_readme_commands() - known)
    assert not unknown, f"the README names commands that do not exist: {unknown}"


def test_readme_choices_are_the_commands_choices() -> None:
    """`/bind alerts|reports|all|client`, `/chart volume|rates|…`, `/agency_chat off`: the words the README offers
    are the command's choices, all of them."""
    by_name = {c["name"]: c for c in COMMANDS}
    checked = 0
    for name, words in re.findall(r"`/([a-z_]+) \[?([a-z]+(?:\|[a-z]+)+)\]?[ `]", README):
        choices = [set(a["choices"]) for a in by_name[name].get("args", []) if a.get("kind") == "choice"]
        if not choices:  # `/mailbox_test [address|all]`: placeholders, no choice argument
            continue
        assert set(words.split("|")) in choices, f"/{name} {words}: the command's choices are {choices}"
        checked += 1
    assert checked >= 4


def _table_settings() -> dict[str, str]:
    """Each setting of the configuration table with its row."""
    section = README.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, str] = {}
    for line in section.splitlines():
        if line.startswith("| `"):
            first = line.split("|")[1]
            for name in re.findall(r"`([A-Z0-9_]+)`", first):
                rows[name] = line
    return rows


def test_configuration_table_lists_every_setting() -> None:
    table = _table_settings()
    fields = {name.upper() for name in Settings.model_fields}
    assert sorted(fields - set(table)) == [], "settings missing from the README's table"
    assert sorted(set(table) - fields) == [], "the README's table lists settings that do not exist"


def test_configuration_table_marks_every_secret() -> None:
    table = _table_settings()
    for name, info in Settings.model_fields.items():
        if info.annotation is not None and SecretStr in getattr(info.annotation, "__args__", (info.annotation,)):
            assert "secret" in table[name.upper()].split("|", 2)[2], f"{name.upper()} is a secret: say so"


def test_cli_commands_and_options_are_in_the_readme() -> None:
    parser = _parser()
    subparsers = next(a for a in parser._actions if a.choices and isinstance(a.choices, dict))
    section = README.split("## The CLI", 1)[1].split("\n## ", 1)[0]
    for name, sub in subparsers.choices.items():
        assert re.search(rf"`(mailfleet )?{re.escape(name)}[ `]", section), f"`mailfleet {name}` not in the CLI table"
        for action in sub._actions:
            for option in action.option_strings:
                if option.startswith("--") and option != "--help":
                    assert option in README, f"`mailfleet {name} {option}` not in the README"

"""Buttons carry short ids: checked when one is made, and for every place the code makes one."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot.command import REGISTRY
from bot.handlers.mailboxes import PAGE_TOKEN_MAX
from engine.reply import BUTTON_DATA_MAX_BYTES, Button

ROOT = Path(__file__).resolve().parents[2]
INT8_CHARS = len(str(-(2**63)))  # the longest integer an argument takes: "-9223372036854775808"


def test_a_button_with_an_id_is_made() -> None:
    assert Button("Approve", "approve", "17", "primary").arg == "17"
    assert Button("acme", "use", "acme-spb").arg == "acme-spb"
    assert Button("Help", "help").arg == ""
    longest = Button("x", "approve", "1" * (BUTTON_DATA_MAX_BYTES - len("approve:")))
    assert len(f"{longest.command}:{longest.arg}".encode()) == BUTTON_DATA_MAX_BYTES


@pytest.mark.parametrize(
    ("command", "arg", "why"),
    [
        ("approve", "1" * 57, "65 bytes"),
        ("dns_apply_confirm", "очень-длинное-имя.рф", "must carry an id"),
        ("dns_apply_confirm", "a" * 50 + ".example", "bytes"),
        ("use", "two words", "must carry an id"),
        ("use", "a\x00b", "must carry an id"),
        ("use", "a:b", "must carry an id"),
        ("Use", "acme", "by its name"),
        ("", "acme", "by its name"),
    ],
)
def test_a_button_telegram_could_not_send_cannot_be_made(command: str, arg: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        Button("label", command, arg)


BOUNDED: dict[str, int] = {"_page_token": PAGE_TOKEN_MAX}
"""Functions that build a button's argument of a known greatest length (a page and its filters, as ids)."""


def _button_targets() -> dict[str, tuple[str, int | None]]:
    """Every command a `Button(...)` in the code runs (by its literal name): where the button is made, and the
    longest argument its buttons carry when that is known — a number made with `str(...)` (an id, a page), as ids
    are, or a `BOUNDED` builder's — else None (the command's own limit must fit)."""
    found: dict[str, tuple[str, int | None]] = {}
    for layer in ("bot", "engine", "jobs", "mailfleet"):
        for path in sorted((ROOT / layer).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Button" and len(node.args) > 1:
                    target, arg = node.args[1], node.args[2] if len(node.args) > 2 else None
                    if isinstance(target, ast.Constant) and isinstance(target.value, str):
                        builder = getattr(arg.func, "id", None) if isinstance(arg, ast.Call) else None
                        known = INT8_CHARS if builder == "str" else BOUNDED.get(builder or "")
                        where = f"{path.relative_to(ROOT)}:{node.lineno}"
                        before = found.get(target.value, (where, known))[1]
                        found[target.value] = (where, None if known is None or before is None else max(known, before))
    # engine/notify.py builds the buttons a notification lists; approval requests (by id) are the ones there are
    found.update({"approve": ("engine/notify.py", None), "reject": ("engine/notify.py", None)})
    return found


# A button is checked when it is made; this checks, for every button the code makes, that the argument its command
# accepts can never be too long for one — so no input can make a command fail while building its reply.
@pytest.mark.parametrize(
    "name",
    sorted(_button_targets()),
)
def test_every_button_runs_a_command_whose_argument_fits(name: str) -> None:
    where, known = _button_targets()[name]
    command = REGISTRY.get(name)
    assert command is not None, f"{where}: a button runs /{name}, which is not a command"
    words = [a for a in command.args if a.kind != "file"]
    assert len(words) <= 1, f"/{name} takes {len(words)} arguments; a button carries one"
    if not words:
        return
    arg = words[0]
    longest = INT8_CHARS if arg.kind == "int" else known if known is not None else arg.limit
    kinds = {"int", "sealed", "text", "choice", "rest"}
    assert arg.kind in kinds, f"/{name}: a button cannot carry a {arg.kind} argument"
    assert len(name) + 1 + longest <= BUTTON_DATA_MAX_BYTES, (
        f"{where}: /{name} takes {arg.name} of up to {longest} characters, more than a button carries; "
        "declare a shorter max_length or carry an id"
    )

"""The layer rule of ARCHITECTURE §2, checked by parsing every import of every module."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# layer -> module prefixes it must never import
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "models": (
        "engine",
        "bot",
        "jobs",
        "mailfleet",
        "aiogram",
        "slack_bolt",
        "slack_sdk",
        "aiosmtplib",
        "aioimaplib",
        "dns",
        "aiohttp",
        "arq",
    ),
    "engine": ("bot", "jobs", "mailfleet", "aiogram", "slack_bolt", "slack_sdk"),
    "jobs": ("bot", "mailfleet", "models", "aiogram", "slack_bolt", "tortoise"),
    "bot": ("models", "jobs", "mailfleet", "tortoise", "asyncpg", "aiosmtplib", "aioimaplib", "dns", "arq"),
}
# narrow exceptions: plain enums carry no ORM, and chat may enqueue jobs by their typed helpers
ALLOWED = {"bot": ("models.enums", "jobs.enqueue")}


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def _violations() -> list[str]:
    bad = []
    for layer, forbidden in FORBIDDEN.items():
        for path in sorted((ROOT / layer).rglob("*.py")):
            for lineno, module in _imports(path):
                allowed = any(module == a or module.startswith(a + ".") for a in ALLOWED.get(layer, ()))
                hit = any(module == f or module.startswith(f + ".") for f in forbidden)
                if hit and not allowed:
                    bad.append(f"{path.relative_to(ROOT)}:{lineno} imports {module}")
    return bad


def test_layers_import_only_downwards() -> None:
    assert _violations() == []


def test_the_rule_catches_a_violation(tmp_path, monkeypatch) -> None:
    (tmp_path / "engine").mkdir()
    (tmp_path / "engine" / "bad.py").write_text("from bot.telegram import x\nimport aiogram\n")
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    assert _violations() == ["engine/bad.py:1 imports bot.telegram", "engine/bad.py:2 imports aiogram"]

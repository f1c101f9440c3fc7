"""A client taken with `connections.get(...)` before `async with in_transaction():` is the pool, not the
transaction: statements sent through it inside the block commit on their own (it happened twice: the
unsubscribe's stop and `/forget`'s erasure were not atomic). This reads the product's code and names any such use."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("engine", "jobs", "bot", "mailfleet", "models")


def _misuses(source: str) -> list[str]:
    found = []
    for fn in ast.walk(ast.parse(source)):
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        clients = {
            (target.id, node.lineno)
            for node in ast.walk(fn)
            if isinstance(node, ast.Assign) and "connections.get" in ast.unparse(node.value)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        for block in ast.walk(fn):
            if not isinstance(block, ast.AsyncWith):
                continue
            if not any("in_transaction" in ast.unparse(item.context_expr) for item in block.items):
                continue
            used = {n.id for stmt in block.body for n in ast.walk(stmt) if isinstance(n, ast.Name)}
            found += [
                f"{fn.name}:{block.lineno} uses {name}"
                for name, line in clients
                if name in used and line < block.lineno
            ]
    return found


def test_the_check_sees_the_mistake() -> None:
    wrong = (
        'async def f():\n    conn = connections.get("default")\n'
        "    async with in_transaction():\n        await conn.x()\n"
    )
    right = "async def f():\n    async with in_transaction() as conn:\n        await conn.x()\n"
    assert _misuses(wrong) == ["f:3 uses conn"] and _misuses(right) == []


def test_no_statement_inside_a_transaction_bypasses_it() -> None:
    found = {
        str(path.relative_to(ROOT)): misuses
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if (misuses := _misuses(path.read_text(encoding="utf-8")))
    }
    assert found == {}

"""Pooled connections are not reset on release (`engine.db.keep_session`): that is only safe while no code keeps
session state. This test fails the day someone adds any."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SESSION_STATE = re.compile(  # statements that leave state on the connection once their transaction ends
    r"pg_(?:try_)?advisory_lock(?:_shared)?\s*\("  # session-level locks (the _xact_ ones end with the transaction)
    r"""|["']\s*(?:LISTEN|SET)\s+(?!LOCAL\b)"""  # LISTEN, or SET opening a statement (not UPDATE … SET)
    r"|WITH\s+HOLD"  # cursors that outlive their transaction
)


def test_no_code_keeps_state_on_a_pooled_connection() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for package in ("engine", "jobs", "bot", "mailfleet", "models")
        for path in sorted((ROOT / package).rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if SESSION_STATE.search(line) and "keep_session" not in line and not line.lstrip().startswith("#")
    ]
    assert offenders == [], "session state on a pooled connection; undo it before release, or reset the pool"


def test_the_pattern_catches_what_it_must() -> None:
    caught = [
        '"SELECT pg_advisory_lock(1)"',
        '"LISTEN alerts"',
        '"SET search_path TO x"',
        "'SET statement_timeout = 5'",
    ]
    allowed = ['"SELECT pg_advisory_xact_lock(1)"', '"SET LOCAL statement_timeout = 5"', '"UPDATE t SET x = 1"']
    assert all(SESSION_STATE.search(q) for q in caught)
    assert not any(SESSION_STATE.search(q) for q in allowed)

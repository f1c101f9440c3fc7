"""The models and the committed migrations agree: `tortoise makemigrations` on this checkout writes nothing."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = ROOT / "models" / "migrations"


def test_makemigrations_writes_nothing() -> None:
    before = {p.name for p in MIGRATIONS.glob("*.py")}
    result = subprocess.run(
        [sys.executable, "-m", "tortoise", "makemigrations"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    created = {p.name for p in MIGRATIONS.glob("*.py")} - before
    for name in created:  # leave the checkout as it was; the failure below says what was missing
        (MIGRATIONS / name).unlink()
    assert result.returncode == 0, result.stderr
    assert created == set(), f"models changed without a migration: {created}"
    assert "No changes detected" in result.stdout

"""models/schema.sql is exactly the SQL Tortoise collects from the committed migrations (no database needed)."""

import asyncio

from engine.schema import collect_snapshot, migration_names, read_snapshot


def test_the_snapshot_is_what_the_committed_migrations_produce() -> None:
    snapshot = read_snapshot()
    assert snapshot.covers == migration_names()
    fresh = asyncio.run(collect_snapshot("postgres://postgres@127.0.0.1:9/unused"))
    assert snapshot.sql == fresh, "models/schema.sql is out of date: run `python -m engine.schema write`"


def test_the_snapshot_names_the_migrations_it_covers_before_any_sql() -> None:
    lines = read_snapshot().sql.splitlines()
    covers = next(i for i, line in enumerate(lines) if line.startswith("-- covers: "))
    assert all(line.startswith("--") for line in lines[: covers + 1])

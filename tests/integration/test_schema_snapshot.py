"""`mailfleet migrate` on an empty database loads the schema snapshot; the result is the database Tortoise's
migration runner builds, object by object, and an existing database keeps its recorded history."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable

import asyncpg
import pytest
from tortoise import Tortoise
from tortoise.migrations.api import migrate as tortoise_migrate

from engine import db
from engine.schema import migration_names, read_snapshot

CATALOG = {
    "columns": """
        SELECT table_name, column_name, ordinal_position, data_type, udt_name, is_nullable, column_default,
               character_maximum_length, numeric_precision, numeric_scale
        FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 3""",
    "constraints": """
        SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
        FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
        WHERE n.nspname = 'public' ORDER BY 1, 2""",
    "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1, 2",
    "triggers": """
        SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t
        WHERE NOT tgisinternal ORDER BY 1, 2""",
    "functions": """
        SELECT p.proname, pg_get_functiondef(p.oid) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'public' ORDER BY 1""",
    "comments": """
        SELECT c.relname, d.objsubid, d.description FROM pg_description d
        JOIN pg_class c ON c.oid = d.objoid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' ORDER BY 1, 2""",
    "sequences": """
        SELECT sequence_name, data_type, start_value, increment FROM information_schema.sequences
        WHERE sequence_schema = 'public' ORDER BY 1""",
    "storage": """
        SELECT c.relname, c.reloptions::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.reloptions IS NOT NULL ORDER BY 1""",
    "recorded": "SELECT app, name FROM tortoise_migrations ORDER BY name",
}


async def _catalog(url: str) -> dict[str, list[tuple[object, ...]]]:
    conn = await asyncpg.connect(url)
    try:
        return {name: [tuple(r) for r in await conn.fetch(sql)] for name, sql in CATALOG.items()}
    finally:
        await conn.close()


async def _runner(url: str, target: str | None = None) -> None:
    """Tortoise's own runner, migration by migration (what `migrate` did before the snapshot)."""
    await tortoise_migrate(config=db.tortoise_config(url), target=target)
    await Tortoise.close_connections()


async def test_the_snapshot_builds_what_the_migration_runner_builds(
    empty_database: Callable[[str], Awaitable[str]],
) -> None:
    by_runner, by_snapshot = await empty_database("runner"), await empty_database("fast")
    await _runner(by_runner)
    assert await db.migrate(by_snapshot) == migration_names()  # it names what it applied
    assert await db.migrate(by_snapshot) == []  # and then that nothing was left

    expected, got = await _catalog(by_runner), await _catalog(by_snapshot)
    assert len(expected["columns"]) > 200 and expected["triggers"] and expected["functions"]  # a real schema
    assert any(t == "outbound_message" and "autovacuum_vacuum_scale_factor=0.01" in o for t, o in expected["storage"])
    for part in CATALOG:
        assert got[part] == expected[part], part
    assert [name for _, name in got["recorded"]] == migration_names()
    await _runner(by_snapshot)  # the runner agrees that nothing is left to apply
    assert await _catalog(by_snapshot) == got


async def test_an_existing_database_keeps_its_history_and_gets_the_rest_from_the_runner(
    empty_database: Callable[[str], Awaitable[str]],
) -> None:
    """An install migrated up to an older migration: the snapshot is not used, the runner applies the rest."""
    partial, reference = await empty_database("partial"), await empty_database("reference")
    names = migration_names()
    await _runner(partial, f"models.{names[3]}")
    conn = await asyncpg.connect(partial)
    try:
        before = await conn.fetch("SELECT name, applied_at FROM tortoise_migrations ORDER BY name")
    finally:
        await conn.close()
    assert [r["name"] for r in before] == names[:4]

    assert await db.migrate(partial) == names[4:]
    await _runner(reference)

    assert await _catalog(partial) == await _catalog(reference)
    conn = await asyncpg.connect(partial)
    try:
        after = await conn.fetch("SELECT name, applied_at FROM tortoise_migrations ORDER BY name")
    finally:
        await conn.close()
    assert after[:4] == before  # the history already recorded is untouched


async def test_two_migrates_at_once_on_an_empty_database_build_it_once(
    empty_database: Callable[[str], Awaitable[str]],
) -> None:
    url = await empty_database("race")
    code = f"import asyncio; from engine import db; asyncio.run(db.migrate({url!r}))"
    procs = [await asyncio.create_subprocess_exec(sys.executable, "-c", code) for _ in range(2)]
    assert [await p.wait() for p in procs] == [0, 0]
    catalog = await _catalog(url)
    assert [name for _, name in catalog["recorded"]] == read_snapshot().covers == migration_names()


async def test_two_migrates_at_once_on_an_older_database_both_succeed(
    empty_database: Callable[[str], Awaitable[str]],
) -> None:
    """The code upgraded, then `mailfleet run` and `mailfleet console` (each migrates at start) started together:
    one applies the pending migrations, the other waits for it and finds nothing left (was: both ran Tortoise's
    runner and one stopped with a traceback, "relation … already exists")."""
    url = await empty_database("race_older")
    names = migration_names()
    await _runner(url, f"models.{names[4]}")
    code = f"import asyncio; from engine import db; print(asyncio.run(db.migrate({url!r})))"
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", code, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        for _ in range(2)
    ]
    outputs = [await p.communicate() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err.decode()[-500:] for _, err in outputs]
    applied = {out.decode().strip() for out, _ in outputs}
    assert applied == {"[]", str(names[5:])}  # the work was done once
    catalog = await _catalog(url)
    assert [name for _, name in catalog["recorded"]] == names


async def test_a_database_with_foreign_tables_is_left_to_the_runner(
    empty_database: Callable[[str], Awaitable[str]],
) -> None:
    """Our tables half there without a record (a restore gone wrong, a hand-made table): the snapshot never
    runs over it; the runner reports the conflict, and nothing is recorded."""
    url = await empty_database("foreign")
    conn = await asyncpg.connect(url)
    try:
        await conn.execute('CREATE TABLE "workspace" (id int)')
    finally:
        await conn.close()
    with pytest.raises(Exception, match="workspace"):
        await db.migrate(url)
    await Tortoise.close_connections()
    conn = await asyncpg.connect(url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM tortoise_migrations") == 0
    finally:
        await conn.close()

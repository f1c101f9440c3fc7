"""`mailfleet backup` / `mailfleet restore`: the database and the DNS zone exports in one verified archive.

The archive is a gzip-compressed tar: `manifest.json` first (format, Mailfleet version, the migrations the
database had, and for every file its row count, size and SHA-256), then `data/<table>.csv` — each table as
PostgreSQL writes it with `COPY … (FORMAT csv, HEADER)` in ISO dates, UTC and hex bytea — and `zones/<domain>.zone`,
the BIND zone files `/zone_export` gives, for re-creating DNS anywhere. Every table is read in one repeatable-read
transaction, so the tables agree with each other.

The format is logical on purpose: the schema is never in the archive, only data. A restore builds the schema
with Mailfleet's own migrations and loads the rows into it, so a backup of the embedded PostgreSQL 18 restores into
the Compose deployment's PostgreSQL 16 (or any server Mailfleet runs on), which `pg_restore` does not promise.

A restore checks the whole archive (every checksum, size and name) before it touches the database, refuses a
target that holds data unless `force`, loads every table in one transaction (all or nothing), checks the row
counts, and reports what it restored. Encryption keys are never in a backup: the restore checks that the stored
mailbox secrets decrypt with the configured keys before it commits, and refuses (nothing restored) when some do not,
unless told to accept them (`accept_unreadable`: the keys are lost, the passwords will be entered again).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import errno
import hashlib
import io
import json
import os
import re
import shutil
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Final

import asyncpg

from engine import db
from engine.access import SYSTEM
from engine.clock import Clock
from engine.crypto import Vault, VaultError
from engine.domains import DnsConfig, export_zones
from engine.schema import RECORDER_TABLE, migration_names, prepare, recorded

FORMAT: Final = "mailfleet-backup"
FORMAT_VERSION: Final = 1
MANIFEST: Final = "manifest.json"
MAX_MANIFEST_BYTES: Final = 4 * 2**20
MAX_MEMBERS: Final = 100_000
_TABLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_ZONE_FILE = re.compile(r"^zones/[A-Za-z0-9.-]{1,253}\.zone$")
SESSION: Final = (  # inside each transaction: the CSV is read and written in one notation whatever the server's
    "SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL TimeZone = 'UTC'; SET LOCAL IntervalStyle = 'postgres'; "
    "SET LOCAL bytea_output = 'hex'; SET LOCAL extra_float_digits = 3"
)
KEYS_NOT_INCLUDED: Final = (
    "the encryption keys are not in the backup: the restored mailbox secrets need the same ENCRYPTION_KEYS "
    "(the embedded default keeps its key in DATA_DIR/secret.key)"
)


class BackupError(Exception):
    """The archive or the target cannot be used; the message says what is wrong and what to do."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    sha256: str
    tables: dict[str, int]
    zones: int
    zones_skipped: str = ""  # why no zone file was exported ("" when they were)


@dataclass
class RestoreReport:
    created_at: str
    mailfleet: str
    postgres: str
    tables: dict[str, int] = field(default_factory=dict)
    zones: int = 0
    zones_matching: int = 0
    secrets: int = 0
    secrets_decrypted: int = 0
    migrated_after: list[str] = field(default_factory=list)


def _connect_args(database_url: str) -> dict[str, Any]:
    return db.connect_args(db.credentials_from_url(database_url))


async def _tables(conn: asyncpg.Connection) -> list[str]:
    """Our tables, parents before children (a foreign key to another table orders it after that table)."""
    names = [
        r["tablename"]
        for r in await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename <> $1 ORDER BY 1",
            RECORDER_TABLE,
        )
    ]
    edges = await conn.fetch(
        "SELECT c.conrelid::regclass::text AS child, c.confrelid::regclass::text AS parent FROM pg_constraint c "
        "JOIN pg_namespace n ON n.oid = c.connamespace WHERE c.contype = 'f' AND n.nspname = current_schema()"
    )
    parents: dict[str, set[str]] = {n: set() for n in names}
    for edge in edges:
        child, parent = edge["child"].strip('"'), edge["parent"].strip('"')
        if child in parents and parent in parents and child != parent:
            parents[child].add(parent)
    ordered: list[str] = []
    while parents:
        ready = sorted(n for n, deps in parents.items() if not deps - set(ordered))
        if not ready:
            raise BackupError(f"the tables {sorted(parents)} reference each other in a cycle; no load order exists")
        ordered += ready
        for n in ready:
            del parents[n]
    return ordered


async def _columns(conn: asyncpg.Connection, table: str) -> list[str]:
    rows = await conn.fetch(
        "SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped "
        "ORDER BY attnum",
        f'"{table}"',
    )
    return [r["attname"] for r in rows]


def _quoted(names: list[str]) -> str:
    return ", ".join(f'"{n}"' for n in names)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(2**20), b""):
            digest.update(chunk)
    return digest.hexdigest()


async def create_backup(database_url: str, path: Path, *, clock: Clock, dns: DnsConfig, version: str) -> BackupResult:
    """Write the archive to `path` (through a temporary file beside it, renamed once complete; mode 0600).

    The zone files are exported through the models, so only from a database at this Mailfleet's migrations; one
    still at older migrations (code upgraded, `migrate` not run yet) is backed up without them (`zones_skipped`):
    they derive from the data, and the restored database exports them."""
    work = Path(tempfile.mkdtemp(prefix="mailfleet-backup-"))
    try:
        try:
            manifest = await _dump(database_url, work, clock, version)
        except OSError as exc:  # the temporary directory full or read-only
            raise BackupError(
                f"cannot write the tables to the temporary directory {work.parent} ({exc.strerror or exc}); "
                "set TMPDIR to a directory with room"
            ) from None
        zones: dict[str, str] = {}
        skipped = ""
        if manifest["migrations"] == migration_names():
            async with db.database(database_url):
                zones = await export_zones(SYSTEM, clock, dns)
        else:
            last = manifest["migrations"][-1] if manifest["migrations"] else "none"
            skipped = f"the database is at migration {last}, this Mailfleet at {migration_names()[-1]}"
        for name, text in sorted(zones.items()):
            file = f"zones/{name}"
            (work / file).parent.mkdir(exist_ok=True)
            (work / file).write_text(text, encoding="utf-8")
            manifest["zones"].append(
                {"file": file, "bytes": (work / file).stat().st_size, "sha256": _sha256(work / file)}
            )
        result = await asyncio.to_thread(_write_archive, work, manifest, path)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return dataclasses.replace(result, zones_skipped=skipped)


async def _dump(database_url: str, work: Path, clock: Clock, version: str) -> dict[str, Any]:
    conn = await asyncpg.connect(**_connect_args(database_url))
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            await conn.execute(SESSION)
            manifest: dict[str, Any] = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "mailfleet": version,
                "created_at": clock.now().isoformat(timespec="seconds"),
                "postgres": await conn.fetchval("SHOW server_version"),
                "migrations": await recorded(conn),
                "encryption_keys": KEYS_NOT_INCLUDED,
                "tables": [],
                "zones": [],
            }
            (work / "data").mkdir()
            for table in await _tables(conn):
                columns = await _columns(conn, table)
                file = f"data/{table}.csv"
                await conn.copy_from_query(
                    f'SELECT {_quoted(columns)} FROM "{table}" ORDER BY 1',  # noqa: S608 - names from the catalog
                    output=str(work / file),
                    format="csv",
                    header=True,
                )
                rows = await conn.fetchval(f'SELECT count(*) FROM "{table}"')  # noqa: S608
                manifest["tables"].append(
                    {
                        "name": table,
                        "file": file,
                        "columns": columns,
                        "rows": rows,
                        "bytes": (work / file).stat().st_size,
                        "sha256": _sha256(work / file),
                    }
                )
    finally:
        await conn.close()
    return manifest


def _write_archive(work: Path, manifest: dict[str, Any], path: Path) -> BackupResult:
    path = path.resolve()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_dir():
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as exc:  # a directory given, no permission, a read-only or full disk: said, not a traceback
        raise BackupError(f"cannot write the archive {path}: {exc.strerror or exc}") from None
    os.close(handle)
    try:
        os.chmod(temporary, 0o600)  # personal data and encrypted secrets: the owner's alone
        body = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
        with tarfile.open(temporary, "w:gz", format=tarfile.PAX_FORMAT) as tar:
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mode = len(body), 0o600
            tar.addfile(info, io.BytesIO(body))
            for entry in [*manifest["tables"], *manifest["zones"]]:
                tar.add(work / entry["file"], arcname=entry["file"], recursive=False)
        os.replace(temporary, path)
    except BaseException as exc:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise BackupError(f"cannot write the archive {path}: {exc.strerror or exc}; nothing was written") from None
        raise
    tables = {t["name"]: int(t["rows"]) for t in manifest["tables"]}
    return BackupResult(path, path.stat().st_size, _sha256(path), tables, len(manifest["zones"]))


# ---------------------------------------------------------------- verifying an archive


@contextlib.contextmanager
def _open_archive(path: Path) -> Iterator[tarfile.TarFile]:
    if not path.is_file():
        raise BackupError(f"{path}: {'not a file' if path.exists() else 'no such file'}")
    try:
        with tarfile.open(path, "r:gz") as tar:
            yield tar
    except (tarfile.ReadError, EOFError, zlib.error, OSError) as exc:
        if isinstance(exc, BackupError):
            raise
        raise BackupError(
            f"{path} is not a complete Mailfleet backup (damaged, truncated or not a gzip tar archive: {exc})"
        ) from None


def _read_manifest(tar: tarfile.TarFile, path: Path) -> dict[str, Any]:
    first = tar.next()
    if first is None or first.name != MANIFEST or not first.isfile() or first.size > MAX_MANIFEST_BYTES:
        raise BackupError(f"{path} is not a Mailfleet backup: it does not start with its {MANIFEST}")
    stream = tar.extractfile(first)
    try:
        manifest = json.loads(stream.read() if stream else b"")
    except ValueError:
        raise BackupError(f"{path}: its {MANIFEST} is not valid JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not a Mailfleet backup (its {MANIFEST} names no {FORMAT} format)")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"{path} is a backup in format {manifest.get('format_version')!r}; this Mailfleet reads format "
            f"{FORMAT_VERSION}: restore it with the Mailfleet version that made it"
        )
    try:
        tables = [
            (str(t["name"]), str(t["file"]), int(t["rows"]), int(t["bytes"]), str(t["sha256"]))
            for t in manifest["tables"]
        ]
        zones = [(str(z["file"]), int(z["bytes"]), str(z["sha256"])) for z in manifest["zones"]]
        [str(m) for m in manifest["migrations"]]
    except (KeyError, TypeError, ValueError):
        raise BackupError(f"{path}: its {MANIFEST} lacks the tables, zones or migrations it must list") from None
    for name, file, *_ in tables:
        if not _TABLE_NAME.match(name) or file != f"data/{name}.csv":
            raise BackupError(f"{path}: its {MANIFEST} names an unexpected table file {file!r}")
    for file, *_ in zones:
        if not _ZONE_FILE.match(file):
            raise BackupError(f"{path}: its {MANIFEST} names an unexpected zone file {file!r}")
    return manifest


def verify_archive(path: Path) -> dict[str, Any]:
    """Read the whole archive once: the manifest, then every file against its size and SHA-256; nothing missing,
    nothing extra. The manifest, or `BackupError` naming the first problem."""
    with _open_archive(path) as tar:
        manifest = _read_manifest(tar, path)
        expected = {t["file"]: (int(t["bytes"]), t["sha256"]) for t in [*manifest["tables"], *manifest["zones"]]}
        seen: set[str] = set()
        count = 0
        while (member := tar.next()) is not None:
            count += 1
            if count > MAX_MEMBERS:
                raise BackupError(f"{path} holds more than {MAX_MEMBERS} files; it is not a Mailfleet backup")
            if member.name not in expected or member.name in seen or not member.isfile():
                raise BackupError(f"{path} holds {member.name!r}, which its {MANIFEST} does not list")
            size, digest = expected[member.name]
            sha = hashlib.sha256()
            stream = tar.extractfile(member)
            while stream is not None and (chunk := stream.read(2**20)):
                sha.update(chunk)
            if member.size != size or sha.hexdigest() != digest:
                raise BackupError(
                    f"{path}: {member.name} does not match its checksum in the {MANIFEST} (altered or damaged); "
                    "nothing was restored"
                )
            seen.add(member.name)
        missing = sorted(set(expected) - seen)
        if missing:
            raise BackupError(f"{path} lacks {len(missing)} file(s) its {MANIFEST} lists, e.g. {missing[0]}")
    return manifest


# ---------------------------------------------------------------- restoring


async def restore_backup(
    database_url: str,
    path: Path,
    *,
    force: bool,
    vault: Vault,
    clock: Clock,
    dns: DnsConfig,
    accept_unreadable: bool = False,
) -> RestoreReport:
    manifest = await asyncio.to_thread(verify_archive, path)
    backup_migrations: list[str] = list(manifest["migrations"])
    code = migration_names()
    unknown = [m for m in backup_migrations if m not in code]
    if unknown:
        raise BackupError(
            f"the backup was made by a newer Mailfleet (migration {unknown[0]} is unknown here): "
            "restore it with that version or newer"
        )
    if backup_migrations != code[: len(backup_migrations)]:
        raise BackupError(
            "the backup's migrations are not a prefix of this Mailfleet's; restore it with its own version"
        )
    report = RestoreReport(str(manifest["created_at"]), str(manifest["mailfleet"]), str(manifest["postgres"]))
    conn = await asyncpg.connect(**_connect_args(database_url))
    try:
        await _prepare_target(conn, database_url, backup_migrations, code, force=force)
        with _open_archive(path) as tar:
            async with conn.transaction():
                await conn.execute(SESSION)
                await _load(conn, tar, manifest, force=force, report=report)
                report.secrets, report.secrets_decrypted = await _check_secrets(conn, vault)
                unreadable = report.secrets - report.secrets_decrypted
                if unreadable and not accept_unreadable:  # raised in the transaction: nothing is restored
                    raise BackupError(
                        f"{unreadable} of {report.secrets} stored mailbox secrets do not decrypt with the configured "
                        "keys, so nothing was restored: set ENCRYPTION_KEYS to the source installation's key(s) "
                        "(embedded default: the content of its DATA_DIR/secret.key), or, if those keys are lost, add "
                        "--accept-unreadable-secrets and enter those mailboxes' passwords again"
                    )
    finally:
        await conn.close()
    if backup_migrations != code:
        await db.migrate(database_url)
        report.migrated_after = code[len(backup_migrations) :]
    zones = await asyncio.to_thread(_zone_texts, path, manifest)
    async with db.database(database_url):
        current = await export_zones(SYSTEM, clock, dns)
    report.zones = len(zones)
    report.zones_matching = sum(1 for name, text in zones.items() if current.get(name) == text)
    return report


async def _prepare_target(
    conn: asyncpg.Connection, database_url: str, backup_migrations: list[str], code: list[str], *, force: bool
) -> None:
    """An empty database gets the backup's schema; one with tables must be at the backup's migrations and, without
    `force`, hold no rows."""
    tables = await _tables(conn)
    if not tables:
        if backup_migrations == code:
            await prepare(db.credentials_from_url(database_url))
        else:
            from tortoise.migrations.api import migrate as tortoise_migrate  # noqa: PLC0415 - an older backup

            await tortoise_migrate(config=db.tortoise_config(database_url), target=f"{db.APP}.{backup_migrations[-1]}")
            await db.close_db()
        return
    applied = await recorded(conn)
    if applied != backup_migrations:
        raise BackupError(
            f"the target database is at migration {applied[-1] if applied else 'none'}, the backup at "
            f"{backup_migrations[-1] if backup_migrations else 'none'}: restore into an empty database "
            "(or one migrated by the same Mailfleet version)"
        )
    counts = {t: await conn.fetchval(f'SELECT count(*) FROM "{t}"') for t in tables}  # noqa: S608
    filled = {t: n for t, n in counts.items() if n}
    if filled and not force:
        shown = ", ".join(f"{t} {n}" for t, n in sorted(filled.items(), key=lambda x: -x[1])[:5])
        raise BackupError(
            f"the target database holds data ({shown}{', …' if len(filled) > 5 else ''} rows); "
            "restoring would replace all of it: add --force to do so"
        )


async def _load(
    conn: asyncpg.Connection, tar: tarfile.TarFile, manifest: dict[str, Any], *, force: bool, report: RestoreReport
) -> None:
    target = await _tables(conn)
    entries = {t["name"]: t for t in manifest["tables"]}
    if set(entries) != set(target):
        missing, extra = sorted(set(target) - set(entries)), sorted(set(entries) - set(target))
        raise BackupError(f"the backup's tables differ from this schema's (missing {missing}, unexpected {extra})")
    if force:
        await conn.execute(f"TRUNCATE {_quoted(target)} RESTART IDENTITY CASCADE")
    members = {m.name: m for m in tar.getmembers()}
    for table in target:
        entry = entries[table]
        columns = await _columns(conn, table)
        if list(entry["columns"]) != columns:
            raise BackupError(f"the backup's columns of {table} differ from this schema's")
        stream: IO[bytes] | None = tar.extractfile(members[entry["file"]])
        if stream is None:
            raise BackupError(f"{entry['file']} cannot be read from the archive")
        await conn.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER USER')  # the rows are history, not new events
        try:
            status = await conn.copy_to_table(table, source=stream, columns=columns, format="csv", header=True)
        except asyncpg.PostgresError as exc:  # its message quotes the row: personal data, secrets; name the line only
            line = re.search(r"\bline (\d+)", getattr(exc, "context", None) or "")
            where = f" at line {line.group(1)} of {entry['file']}" if line else ""
            raise BackupError(
                f"{table} could not be loaded{where} ({exc.__class__.__name__}, SQLSTATE {exc.sqlstate}); "
                "nothing was restored"
            ) from None
        await conn.execute(f'ALTER TABLE "{table}" ENABLE TRIGGER USER')
        loaded = int(status.split()[-1])
        if loaded != int(entry["rows"]):
            raise BackupError(f"{table}: {loaded} rows loaded, the backup lists {entry['rows']}; nothing was restored")
        report.tables[table] = loaded
    serials = await conn.fetch(
        "SELECT c.relname AS t, a.attname AS col, pg_get_serial_sequence(quote_ident(c.relname), a.attname) AS seq "
        "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped"
    )
    for row in serials:
        if row["seq"] and row["t"] in entries:
            await conn.execute(
                f'SELECT setval($1, coalesce((SELECT max("{row["col"]}") FROM "{row["t"]}"), 0) + 1, false)',  # noqa: S608
                row["seq"],
            )


async def _check_secrets(conn: asyncpg.Connection, vault: Vault) -> tuple[int, int]:
    """How many stored mailbox secrets there are, and how many decrypt with the configured keys."""
    tokens = [r["secret_enc"] for r in await conn.fetch("SELECT secret_enc FROM mailbox")]
    ok = 0
    for token in tokens:
        with contextlib.suppress(VaultError):
            vault.decrypt(bytes(token))
            ok += 1
    return len(tokens), ok


def _zone_texts(path: Path, manifest: dict[str, Any]) -> dict[str, str]:
    wanted = {z["file"] for z in manifest["zones"]}
    texts: dict[str, str] = {}
    with _open_archive(path) as tar:
        for member in tar:
            if member.name in wanted:
                stream = tar.extractfile(member)
                texts[member.name.removeprefix("zones/")] = stream.read().decode("utf-8") if stream else ""
    return texts

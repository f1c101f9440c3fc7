"""`mailfleet backup` and `mailfleet restore` as an operator runs them, against real PostgreSQL databases: a
populated database restores into a fresh one with every row, byte and sequence intact; bad archives and
occupied targets are refused before anything is written; a wrong key refuses the restore unless the lost keys
are accepted."""

from __future__ import annotations

import asyncio
import datetime as dt
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
import pytest
from cryptography.fernet import Fernet
from tortoise import Tortoise
from tortoise.migrations.api import migrate as tortoise_migrate

from engine import db
from engine.crypto import Vault
from engine.schema import migration_names
from mailfleet.embedded import EmbeddedServices
from models import AuditLog, DnsCheck, Domain, Mailbox, Workspace
from models.enums import DnsRecordKind, DnsVerdict, MailboxStatus, MailProvider, TlsMode
from tests.conftest import REDIS_URL
from tests.integration.campaign_kit import campaign, enroll

MAILFLEET = str(Path(sys.executable).with_name("mailfleet"))
KEY = Fernet.generate_key().decode()
OTHER_KEY = Fernet.generate_key().decode()
SECRET = 'p@ss, "quoted"\nand ünïcode'
WHEN = dt.datetime(2026, 11, 3, 9, 30, tzinfo=dt.UTC)
pytestmark = pytest.mark.timeout(300)  # each test runs mailfleet two or three times (≈ 20 s each on 2 busy cores)
SETTINGS_VARS = ("DATABASE_URL", "REDIS_URL", "ENCRYPTION_KEYS", "DATA_DIR", "TELEGRAM_TOKEN", "SLACK_BOT_TOKEN")


def _env(database_url: str, key: str = KEY) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARS}
    env.update(DATABASE_URL=database_url, REDIS_URL=REDIS_URL, ENCRYPTION_KEYS=key, TELEGRAM_MODE="off")
    env.update(LOG_FORMAT="json", LOG_LEVEL="warning", TRACKING_BASE_URL="https://t.backup.test")
    return env


def _mailfleet(
    database_url: str, *args: str, key: str = KEY, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MAILFLEET, *args],
        env=_env(database_url, key),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


async def populate() -> dict[str, int]:
    """Three workspaces with domains, mailboxes (encrypted secrets), campaigns, leads, checks and audit rows,
    with the values a naive dump gets wrong: commas, quotes, line breaks, Cyrillic, NULL beside '', bytes, JSON."""
    vault = Vault([KEY])
    for n, slug in enumerate(("acme", "beta", "гамма"), start=1):
        ws = await Workspace.create(slug=f"ws{n}", name=f'{slug}, "Ltd"\nline two', timezone="Europe/Moscow")
        boxes = []
        for d in range(2):
            domain = await Domain.create(
                workspace=ws,
                name=f"d{d}.{'ws' + str(n)}.test",
                mail_provider=MailProvider.YANDEX360,
                dkim_selector="mail",
            )
            await DnsCheck.create(
                domain=domain, record=DnsRecordKind.SPF, expected="v=spf1 include:_spf.yandex.net ~all",
                found="v=spf1 include:_spf.yandex.net ~all", verdict=DnsVerdict.OK, checked_at=WHEN,
            )  # fmt: skip
            for b in range(2):
                address = f"box{b}@{domain.name}"
                boxes.append(
                    await Mailbox.create(
                        workspace=ws, domain=domain, address=address, display_name="Иван \"Ваня\", Петров",
                        provider=MailProvider.YANDEX360, smtp_host="smtp.yandex.ru", smtp_port=465,
                        smtp_tls=TlsMode.IMPLICIT, imap_host="imap.yandex.ru", imap_port=993, imap_tls=TlsMode.IMPLICIT,
                        username=address, secret_enc=vault.encrypt(SECRET), status=MailboxStatus.WARMING,
                        tls_ca_pem="" if b else "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
                    )
                )  # fmt: skip
        c = await campaign(ws, boxes, name=f'Q{n} "осень", wave 1')
        await enroll(c, [f"lead{i}@client{n}.test" for i in range(5)], WHEN)
        await AuditLog.create(
            workspace=ws, action="backup.test", subject=f"workspace:{ws.id}",
            data={"text": "a,b;\"c\"\n", "nested": {"list": [1, None, "д"]}}, created_at=WHEN,
        )  # fmt: skip
    return {"workspace": 3, "domain": 6, "mailbox": 12}


async def _content(url: str) -> dict[str, list[tuple[object, ...]]]:
    conn = await asyncpg.connect(url)
    try:
        tables = [
            r["tablename"]
            for r in await conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'tortoise_migrations'"
            )
        ]
        query = 'SELECT * FROM "{}" ORDER BY 1'
        return {t: [tuple(r) for r in await conn.fetch(query.format(t))] for t in sorted(tables)}
    finally:
        await conn.close()


async def _tables(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"))
    finally:
        await conn.close()


@pytest.fixture
async def archive(orm: None, database_url: str, tmp_path: Path) -> tuple[Path, dict[str, list[tuple[object, ...]]]]:
    """A backup of the populated session database, and that database's content at the time."""
    await populate()
    path = tmp_path / "out" / "mailfleet.tar.gz"
    result = await asyncio.to_thread(_mailfleet, database_url, "backup", str(path))
    assert result.returncode == 0, result.stderr
    assert f"backup written: {path}" in result.stdout
    assert "workspace 3" in result.stdout and "mailbox 12" in result.stdout and "DNS zone exports: 6" in result.stdout
    assert "encryption keys are not in the backup" in result.stdout
    assert KEY not in result.stdout + result.stderr and KEY.encode() not in path.read_bytes()
    assert path.stat().st_mode & 0o777 == 0o600
    return path, await _content(database_url)


async def test_rotate_keys_re_encrypts_every_secret_or_none(orm: None, database_url: str) -> None:
    """`mailfleet rotate-keys` as an operator runs it: with the old key left out it names the mailboxes it cannot
    open and changes nothing; with the new key first and the old one after, the new key alone opens every secret."""
    await populate()
    before = {m.id: bytes(m.secret_enc) for m in await Mailbox.all()}
    refused = await asyncio.to_thread(_mailfleet, database_url, "rotate-keys", key=OTHER_KEY)
    assert refused.returncode == 1, refused.stderr
    assert "12 of 12 mailbox secrets cannot be decrypted with ENCRYPTION_KEYS (box0@d0.ws1.test," in refused.stderr
    assert "nothing was re-encrypted" in refused.stderr and "Traceback" not in refused.stderr
    assert {m.id: bytes(m.secret_enc) for m in await Mailbox.all()} == before

    done = await asyncio.to_thread(_mailfleet, database_url, "rotate-keys", key=f"{OTHER_KEY},{KEY}")
    assert done.returncode == 0, done.stderr
    assert "12 mailbox secrets re-encrypted under the first of ENCRYPTION_KEYS" in done.stdout
    # the old key must stay: links in mail already sent and erased addresses' suppressions are keyed by it
    assert "Keep the older keys listed after the first" in done.stdout and "unsubscribe links" in done.stdout
    assert all(Vault([OTHER_KEY]).decrypt(m.secret_enc) == SECRET for m in await Mailbox.all())
    for out in (refused, done):
        said = out.stdout + out.stderr
        assert SECRET not in said and "p@ss" not in said and KEY not in said and OTHER_KEY not in said


async def test_a_backup_restores_into_a_fresh_database_with_everything(
    archive: tuple[Path, dict[str, list[tuple[object, ...]]]], empty_database: Callable[[str], Awaitable[str]]
) -> None:
    path, source = archive
    fresh = await empty_database("fresh")

    result = await asyncio.to_thread(_mailfleet, fresh, "restore", str(path))

    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"archive verified: {path}" in out
    assert "workspace 3" in out and "domain 6" in out and "mailbox 12" in out and "campaign 3" in out
    assert "DNS zone exports: 6 in the archive, 6 identical" in out
    assert "encryption keys are not in the backup" in out
    assert "all 12 stored mailbox secrets decrypt with the configured keys" in out
    restored = await _content(fresh)
    assert restored == source
    assert sum(len(rows) for rows in restored.values()) > 60
    conn = await asyncpg.connect(fresh)
    try:  # sequences continue after the restored ids: the next workspace never collides
        next_id = await conn.fetchval("SELECT nextval(pg_get_serial_sequence('workspace', 'id'))")
        secret = await conn.fetchval("SELECT secret_enc FROM mailbox ORDER BY id LIMIT 1")
        await conn.execute("UPDATE workspace SET name = 'changed since' WHERE id = $1", source["workspace"][0][0])
    finally:
        await conn.close()
    assert next_id == max(r[0] for r in source["workspace"]) + 1
    assert Vault([KEY]).decrypt(secret) == SECRET
    changed = await _content(fresh)

    again = await asyncio.to_thread(_mailfleet, fresh, "restore", str(path))
    assert again.returncode == 1
    assert "restore refused: the target database holds data" in again.stderr and "--force" in again.stderr
    assert await _content(fresh) == changed  # untouched
    forced = await asyncio.to_thread(_mailfleet, fresh, "restore", str(path), "--force")
    assert forced.returncode == 0, forced.stderr
    assert await _content(fresh) == source


async def test_a_wrong_key_refuses_the_restore_unless_the_lost_keys_are_accepted(
    archive: tuple[Path, dict[str, list[tuple[object, ...]]]], empty_database: Callable[[str], Awaitable[str]]
) -> None:
    path, source = archive
    fresh = await empty_database("otherkey")
    refused = await asyncio.to_thread(_mailfleet, fresh, "restore", str(path), key=OTHER_KEY)
    assert refused.returncode == 1, refused.stdout
    assert "restore refused: 12 of 12 stored mailbox secrets do not decrypt with the configured keys" in refused.stderr
    assert "--accept-unreadable-secrets" in refused.stderr and "Traceback" not in refused.stderr
    assert KEY not in refused.stderr + refused.stdout and OTHER_KEY not in refused.stderr + refused.stdout
    assert {t: rows for t, rows in (await _content(fresh)).items() if rows} == {}  # the schema, not one row

    accepted = await asyncio.to_thread(
        _mailfleet, fresh, "restore", str(path), "--accept-unreadable-secrets", key=OTHER_KEY
    )
    assert accepted.returncode == 0, accepted.stderr
    assert "WARNING: 12 of 12 stored mailbox secrets do NOT decrypt with the configured keys" in accepted.stdout
    assert await _content(fresh) == source


def _rewrite(path: Path, out: Path, change: Callable[[str, bytes], bytes | None]) -> None:
    """A copy of the archive with each member's bytes passed through `change` (None drops the member)."""
    with tarfile.open(path, "r:gz") as src, tarfile.open(out, "w:gz") as dst:
        for member in src:
            data = src.extractfile(member).read()  # type: ignore[union-attr]
            new = change(member.name, data)
            if new is None:
                continue
            info = tarfile.TarInfo(member.name)
            info.size = len(new)
            dst.addfile(info, io.BytesIO(new))


async def test_bad_archives_are_refused_before_anything_is_written(
    archive: tuple[Path, dict[str, list[tuple[object, ...]]]],
    empty_database: Callable[[str], Awaitable[str]],
    tmp_path: Path,
) -> None:
    path, _ = archive
    fresh = await empty_database("bad")
    raw = path.read_bytes()
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(raw[: len(raw) // 2])
    text = tmp_path / "notes.txt"
    text.write_text("not a backup\n")
    plain_gzip = tmp_path / "plain.gz"
    plain_gzip.write_bytes(gzip.compress(b"just some bytes"))

    def bump(name: str, data: bytes) -> bytes | None:  # one lead's address changed, the manifest kept
        return data.replace(b"lead0@client1.test", b"evil0@client1.test") if name == "data/lead.csv" else data

    def drop(name: str, data: bytes) -> bytes | None:
        return None if name == "data/mailbox.csv" else data

    def other_format(name: str, data: bytes) -> bytes | None:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["format_version"] = 99
        return json.dumps(manifest).encode()

    tampered, dropped, future = tmp_path / "tampered.tar.gz", tmp_path / "dropped.tar.gz", tmp_path / "v99.tar.gz"
    _rewrite(path, tampered, bump)
    _rewrite(path, dropped, drop)
    _rewrite(path, future, other_format)
    cases = {
        truncated: "not a complete Mailfleet backup (damaged, truncated",
        text: "not a complete Mailfleet backup",
        plain_gzip: "not a complete Mailfleet backup",
        tampered: "data/lead.csv does not match its checksum",
        dropped: "lacks 1 file(s) its manifest.json lists, e.g. data/mailbox.csv",
        future: "a backup in format 99",
        tmp_path / "missing.tar.gz": "no such file",
    }
    for bad, message in cases.items():
        result = await asyncio.to_thread(_mailfleet, fresh, "restore", str(bad))
        assert result.returncode == 1, bad
        assert f"restore refused: {bad}" in result.stderr or "restore refused:" in result.stderr, result.stderr
        assert message in result.stderr, (bad, result.stderr)
        assert "Traceback" not in result.stderr
        assert await _tables(fresh) == 0  # nothing created, nothing loaded


async def test_the_embedded_default_moves_to_an_older_postgresql_server(
    tmp_path: Path, empty_database: Callable[[str], Awaitable[str]]
) -> None:
    """The move to Compose: `mailfleet backup` on the embedded default (the wheel's PostgreSQL 18), `mailfleet
    restore` into a server of another major version (the machine's; Compose runs 16) with the URLs set."""
    data = tmp_path / "data"
    embedded = EmbeddedServices(data)
    urls = await asyncio.to_thread(embedded.start)
    try:
        await db.migrate(urls.database_url)
        async with db.database(urls.database_url):
            await populate()
        source = await _content(urls.database_url)
        source_version = await _server_version(urls.database_url)
    finally:
        await asyncio.to_thread(embedded.stop)
    path = tmp_path / "move.tar.gz"
    env = {k: v for k, v in _env("unused").items() if k not in {"DATABASE_URL", "REDIS_URL", "ENCRYPTION_KEYS"}}
    made = await asyncio.to_thread(
        subprocess.run,
        [MAILFLEET, "backup", str(path)],
        env={**env, "DATA_DIR": str(data)},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    fresh = await empty_database("moved")
    assert _major(await _server_version(fresh)) != _major(source_version)  # really across major versions

    result = await asyncio.to_thread(_mailfleet, fresh, "restore", str(path))

    assert result.returncode == 0, result.stderr
    assert f"PostgreSQL {source_version}" in result.stdout
    assert await _content(fresh) == source


def _major(version: str) -> str:
    return version.split(".", maxsplit=1)[0]


async def _server_version(url: str) -> str:
    conn = await asyncpg.connect(**db.connect_args(db.credentials_from_url(url)))
    try:
        return str(await conn.fetchval("SHOW server_version")).split()[0]
    finally:
        await conn.close()


async def test_an_archive_consistent_in_itself_but_with_rows_the_schema_refuses_loads_nothing(
    archive: tuple[Path, dict[str, list[tuple[object, ...]]]],
    empty_database: Callable[[str], Awaitable[str]],
    tmp_path: Path,
) -> None:
    """Checksums recomputed after a workspace's id was changed into another's (a hand-edited archive): the primary
    key refuses it, the load stops, and the transaction leaves every table empty."""
    path, _ = archive
    with tarfile.open(path, "r:gz") as tar:
        files = {m.name: tar.extractfile(m).read() for m in tar}  # type: ignore[union-attr]
    second = files["data/workspace.csv"].index(b"\n2,ws2,")
    files["data/workspace.csv"] = (
        files["data/workspace.csv"][:second] + b"\n1,ws2," + files["data/workspace.csv"][second + 7 :]
    )
    manifest = json.loads(files["manifest.json"])
    entry = next(t for t in manifest["tables"] if t["name"] == "workspace")
    entry.update(bytes=len(files["data/workspace.csv"]), sha256=hashlib.sha256(files["data/workspace.csv"]).hexdigest())
    files["manifest.json"] = json.dumps(manifest).encode()
    clashing = tmp_path / "clashing.tar.gz"
    with tarfile.open(clashing, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    fresh = await empty_database("clashing")

    result = await asyncio.to_thread(_mailfleet, fresh, "restore", str(clashing))

    assert result.returncode == 1
    assert "restore refused: workspace could not be loaded at line " in result.stderr, result.stderr
    assert "of data/workspace.csv (UniqueViolationError, SQLSTATE 23505)" in result.stderr
    assert "nothing was restored" in result.stderr and "Traceback" not in result.stderr
    assert "ws2" not in result.stderr and "Ltd" not in result.stderr  # the row itself is never echoed
    assert all(rows == [] for rows in (await _content(fresh)).values())


async def test_a_backup_of_an_older_schema_restores_then_migrates(
    empty_database: Callable[[str], Awaitable[str]], tmp_path: Path
) -> None:
    """A database still at an older migration: the restore builds that schema, loads, then applies the rest."""
    names = migration_names()
    old = await empty_database("older")
    await tortoise_migrate(config=db.tortoise_config(old), target=f"models.{names[4]}")
    await Tortoise.close_connections()
    conn = await asyncpg.connect(old)
    try:
        await conn.execute(
            "INSERT INTO workspace (slug, name, locale, timezone, sender_name, sender_address, settings, created_at) "
            "VALUES ('old', 'Old, \"Ltd\"', 'en', 'UTC', '', '', '{}', now())"
        )
    finally:
        await conn.close()
    path = tmp_path / "older.tar.gz"
    made = await asyncio.to_thread(_mailfleet, old, "backup", str(path))
    assert made.returncode == 0, made.stderr
    assert f"DNS zone exports: skipped (the database is at migration {names[4]}" in made.stdout
    fresh = await empty_database("newer")

    result = await asyncio.to_thread(_mailfleet, fresh, "restore", str(path))

    assert result.returncode == 0, result.stderr
    assert "workspace 1" in result.stdout and f"then migrated: {', '.join(names[5:])}" in result.stdout
    conn = await asyncpg.connect(fresh)
    try:
        recorded = [r["name"] for r in await conn.fetch("SELECT name FROM tortoise_migrations ORDER BY name")]
        workspace = await conn.fetchrow("SELECT slug, name FROM workspace")
    finally:
        await conn.close()
    assert recorded == names and tuple(workspace) == ("old", 'Old, "Ltd"')


async def test_a_backup_into_a_directory_or_an_unwritable_path(orm: None, database_url: str, tmp_path: Path) -> None:
    """`mailfleet backup /backups/` writes the default name in that directory (was: a traceback, "Is a directory");
    a path that cannot be written is one line naming it, exit 1, and nothing left behind."""
    await populate()
    folder = tmp_path / "backups"
    folder.mkdir()
    made = await asyncio.to_thread(_mailfleet, database_url, "backup", f"{folder}/")
    assert made.returncode == 0, made.stderr
    [written] = list(folder.iterdir())
    assert written.name.startswith("mailfleet-backup-") and written.name.endswith(".tar.gz")
    assert f"backup written: {written}" in made.stdout and written.stat().st_mode & 0o777 == 0o600

    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory\n")
    refused = await asyncio.to_thread(_mailfleet, database_url, "backup", str(blocker / "x.tar.gz"))
    assert refused.returncode == 1
    assert f"mailfleet: backup failed: cannot write the archive {blocker / 'x.tar.gz'}" in refused.stderr
    assert "Traceback" not in refused.stderr and not refused.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "backups"]

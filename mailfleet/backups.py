"""`mailfleet backup [PATH]` and `mailfleet restore PATH [--force]`: what they print around `engine.backup`."""

from __future__ import annotations

from pathlib import Path

from engine import health
from engine.backup import KEYS_NOT_INCLUDED, BackupError, create_backup, restore_backup
from engine.clock import SystemClock
from engine.crypto import Vault
from engine.domains import DnsConfig
from engine.settings import Settings
from mailfleet import __version__
from mailfleet.services import Services, StartupError


def _say(text: str) -> None:
    print(text, flush=True)  # noqa: T201 - the command's output


def _counts(tables: dict[str, int]) -> str:
    return ", ".join(f"{name} {rows}" for name, rows in tables.items() if rows) or "no rows"


async def _database_answers(svc: Services) -> None:
    problem = await health.check_database(svc.database_url)
    if problem:
        raise StartupError(problem)


async def backup(settings: Settings, svc: Services, path: str | None) -> None:
    await _database_answers(svc)
    clock = SystemClock()
    default = f"mailfleet-backup-{clock.now():%Y%m%d-%H%M%S}.tar.gz"
    target = Path(path) if path else Path(default)
    if target.is_dir():  # `mailfleet backup /backups/`: the default name in that directory
        target /= default
    try:
        result = await create_backup(
            svc.database_url, target, clock=clock, dns=DnsConfig.from_settings(settings), version=__version__
        )
    except BackupError as exc:
        raise StartupError(f"backup failed: {exc}") from None
    total = sum(result.tables.values())
    _say(f"backup written: {result.path} ({result.size:,} bytes, sha256 {result.sha256})")
    _say(f"database: {total:,} rows in {len(result.tables)} tables ({_counts(result.tables)})")
    if result.zones_skipped:
        _say(
            f"DNS zone exports: skipped ({result.zones_skipped}); `mailfleet migrate`, then back up again to have them"
        )
    else:
        _say(f"DNS zone exports: {result.zones}")
    _say(f"NOTE: {KEYS_NOT_INCLUDED}; keep them apart from the archive")


async def restore(settings: Settings, svc: Services, path: str, *, force: bool, accept_unreadable: bool) -> None:
    await _database_answers(svc)
    try:
        report = await restore_backup(
            svc.database_url,
            Path(path),
            force=force,
            accept_unreadable=accept_unreadable,
            vault=Vault(svc.encryption_keys),
            clock=SystemClock(),
            dns=DnsConfig.from_settings(settings),
        )
    except BackupError as exc:
        raise StartupError(f"restore refused: {exc}") from None
    total = sum(report.tables.values())
    _say(
        f"archive verified: {path} (made {report.created_at} by mailfleet {report.mailfleet}, "
        f"PostgreSQL {report.postgres})"
    )
    _say(f"restored: {total:,} rows in {len(report.tables)} tables ({_counts(report.tables)})")
    if report.migrated_after:
        _say(f"then migrated: {', '.join(report.migrated_after)}")
    _say(
        f"DNS zone exports: {report.zones} in the archive, {report.zones_matching} identical to what the restored "
        "database exports"
        + (
            ""
            if report.zones == report.zones_matching
            else " (a different TRACKING_BASE_URL changes the tracking record)"
        )
    )
    _say(f"NOTE: {KEYS_NOT_INCLUDED}")
    if not report.secrets:
        _say("encryption keys: no stored mailbox secret to check them against")
    elif report.secrets_decrypted == report.secrets:
        _say(f"encryption keys: all {report.secrets} stored mailbox secrets decrypt with the configured keys")
    else:
        _say(
            f"WARNING: {report.secrets - report.secrets_decrypted} of {report.secrets} stored mailbox secrets do NOT "
            "decrypt with the configured keys (--accept-unreadable-secrets): those mailboxes cannot send or sync "
            "until their passwords are entered again (/mailbox_import)"
        )

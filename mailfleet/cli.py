"""`mailfleet` — the one command: migrate, web, worker, run, console, backup, restore, keygen, rotate-keys."""

from __future__ import annotations

import argparse
import asyncio
import gc
import signal
import sys
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from mailfleet import __version__
from mailfleet.demo import cli as demo_cli  # the demo's arguments; only the standard library at import time

if TYPE_CHECKING:
    from types import FrameType

    from engine.settings import Settings
    from mailfleet.services import Services

# Only argparse at import time: `mailfleet --version` and `--help` answer in milliseconds; each command imports
# what it uses once it is chosen (settings and logging, then the runtime, then the command layer if any).

EXIT_CONFIG = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mailfleet", description="Cold-outreach mailbox fleet, run from chat.")
    parser.add_argument("--version", action="version", version=f"mailfleet {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("migrate", help="apply database migrations and exit")
    sub.add_parser("web", help="serve the web app (webhooks, tracking, /healthz)")
    sub.add_parser("worker", help="run a background worker (sending, sync, monitoring)")
    sub.add_parser("run", help="web + worker in one process; embedded PostgreSQL and Redis when URLs are unset")
    console = sub.add_parser("console", help="the chat commands in a terminal, as a local agency admin")
    console.add_argument(
        "-c",
        dest="lines",
        action="append",
        metavar="COMMAND",
        help="run this command and exit (repeatable); exit status 1 when one failed",
    )
    console.add_argument("--demo", action="store_true", help="open the data of the last `mailfleet demo`")
    demo_cli.add_parser(sub)
    backup = sub.add_parser("backup", help="write the database and the DNS zone exports to one archive (no keys)")
    backup.add_argument(
        "path",
        nargs="?",
        help="the archive to write, or a directory to write it in (default: ./mailfleet-backup-<time>.tar.gz)",
    )
    restore = sub.add_parser("restore", help="restore a `mailfleet backup` archive into an empty database")
    restore.add_argument("path", help="the archive")
    restore.add_argument("--force", action="store_true", help="replace the data of a database that holds some")
    restore.add_argument(
        "--accept-unreadable-secrets",
        action="store_true",
        help="restore even when stored mailbox secrets do not decrypt with the configured keys (the keys are lost)",
    )
    sub.add_parser("keygen", help="print a new encryption key for ENCRYPTION_KEYS")
    sub.add_parser("rotate-keys", help="re-encrypt every stored secret under the first of ENCRYPTION_KEYS")
    return parser


async def _migrate(svc: Services) -> None:
    from engine import db  # noqa: PLC0415 - keeps `mailfleet --version` fast
    from engine.logging import get_logger  # noqa: PLC0415
    from engine.schema import SchemaError  # noqa: PLC0415
    from mailfleet.services import StartupError, check_reachable  # noqa: PLC0415

    await check_reachable(svc)
    try:
        applied = await db.migrate(svc.database_url)
    except SchemaError as exc:
        raise StartupError(str(exc)) from None
    log = get_logger("mailfleet")
    if applied:
        log.info("migrations applied", migrations=applied)
    else:
        log.info("no migration to apply: the database is current")


async def _rotate(svc: Services) -> None:
    from engine import db  # noqa: PLC0415
    from engine.crypto import Vault, VaultError  # noqa: PLC0415
    from engine.logging import get_logger  # noqa: PLC0415
    from engine.mailboxes import rotate_secrets  # noqa: PLC0415
    from mailfleet.services import StartupError, check_reachable  # noqa: PLC0415

    if not svc.encryption_keys:
        raise StartupError("ENCRYPTION_KEYS is not set")
    await check_reachable(svc)
    async with db.database(svc.database_url):
        try:
            count = await rotate_secrets(Vault(svc.encryption_keys))
        except VaultError as exc:
            raise StartupError(str(exc)) from None
    get_logger("mailfleet").info("secrets re-encrypted", count=count)
    print(f"{count} mailbox secrets re-encrypted under the first of ENCRYPTION_KEYS")  # noqa: T201 - the result
    if len(svc.encryption_keys) > 1:
        print(KEEP_OLD_KEYS)  # noqa: T201


KEEP_OLD_KEYS = (
    "Keep the older keys listed after the first: the mailbox secrets no longer need them, but the tracking and "
    "unsubscribe links in mail already sent are verified with them, and the suppressions of erased addresses "
    "(/forget, retention) are matched with them. Removed, those links stop working and those people can be "
    "imported and mailed again. Restart every web and worker process with these ENCRYPTION_KEYS as well."
)


def _console_exit(settings: Settings, svc: Services, lines: list[str] | None) -> int:
    """`mailfleet console`, its cyclic garbage collector off until it is connected (see `_quick_start`)."""
    from mailfleet.runtime import console  # noqa: PLC0415 - the command runner; each command loads its own module

    try:
        return asyncio.run(console(settings, svc, lines, started=_started))
    finally:
        gc.freeze()  # the process ends: its teardown need not search every live object for cycles (0.1 s)


def _quick_start() -> None:
    """Start-up creates hundreds of thousands of objects (modules, classes, the ORM's models, the catalogs) and
    frees almost none: the cyclic garbage collector, run every few hundred allocations, finds nothing and costs a
    tenth of a short command's time. `_started` turns it back on."""
    gc.disable()


def _started() -> None:
    """Start-up is over: what it built lives as long as the process, and is left out of later collections."""
    gc.freeze()
    gc.enable()


def _run_async(factory: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(factory())


def _dispatch(settings: Settings, svc: Services, args: argparse.Namespace) -> int:
    """Run the chosen command on the services; its exit status."""
    if args.command == "migrate":
        _run_async(lambda: _migrate(svc))
    elif args.command == "rotate-keys":
        _run_async(lambda: _rotate(svc))
    elif args.command in {"backup", "restore"}:
        from mailfleet import backups  # noqa: PLC0415

        if args.command == "backup":
            _run_async(lambda: backups.backup(settings, svc, args.path))
        else:
            _run_async(
                lambda: backups.restore(
                    settings, svc, args.path, force=args.force, accept_unreadable=args.accept_unreadable_secrets
                )
            )
    elif args.command == "demo":
        return demo_cli.run(settings, svc, args)
    elif args.command == "console":
        return _console_exit(settings, svc, args.lines)
    else:
        if args.command == "run":
            _run_async(lambda: _migrate(svc))
        from mailfleet.runtime import serve  # noqa: PLC0415 - the web app and the worker

        web_on = args.command in {"web", "run"}
        worker_on = args.command in {"worker", "run"}
        _run_async(lambda: serve(settings, svc, web_on=web_on, worker_on=worker_on))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "console":
        _quick_start()
    if args.command == "keygen":
        from engine.crypto import generate_key  # noqa: PLC0415

        print(generate_key())  # noqa: T201 - the command's output
        return 0
    from engine.logging import configure_logging  # noqa: PLC0415
    from engine.settings import SettingsError, load_settings  # noqa: PLC0415
    from mailfleet.embedded import EmbeddedError  # noqa: PLC0415
    from mailfleet.services import StartupError, ensure_port_free, services  # noqa: PLC0415

    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"mailfleet: {exc}", file=sys.stderr)  # noqa: T201
        return EXIT_CONFIG
    # the console is a chat on the terminal: its log shows warnings and above unless LOG_LEVEL asks for debug
    quiet = args.command == "console" and settings.log_level == "info"
    configure_logging(settings.log_format, "warning" if quiet else settings.log_level)
    try:
        settings = demo_cli.adjust(settings, args)  # the demo's own data; the demo offered where no chat is set
    except demo_cli.DemoRefused as exc:
        print(f"mailfleet: {exc}", file=sys.stderr)  # noqa: T201
        return 1
    embedded_ok = args.command in {"run", "migrate", "rotate-keys", "console", "demo", "backup", "restore"}
    _stop_as_ctrl_c()
    try:
        if args.command in {"run", "web"}:
            ensure_port_free(settings)
        with services(settings, allow_embedded=embedded_ok) as svc:
            return _dispatch(settings, svc, args)
    except (StartupError, EmbeddedError) as exc:
        print(f"mailfleet: {exc}", file=sys.stderr)  # noqa: T201
        return 1
    except KeyboardInterrupt:
        return 130


def _stop_as_ctrl_c() -> None:
    """SIGTERM (`kill`, a service manager) and SIGHUP (the terminal closed) end a command as Ctrl-C does: what it
    started is stopped on the way out. Their default ends the process on the spot, and the embedded PostgreSQL and
    Redis of a `demo`, `console` or `run` stayed behind. `run` answers SIGTERM itself, gracefully, once it serves.

    They go to whatever answers Ctrl-C at that moment. Inside `asyncio.run` that is its own handler, which cancels the
    main task; raising KeyboardInterrupt there instead broke into whatever code was running, and inside asyncpg's
    protocol that crashed the process (SIGSEGV) with the embedded servers left running."""

    def as_ctrl_c(_signum: int, frame: FrameType | None) -> None:
        answer = signal.getsignal(signal.SIGINT)
        if not callable(answer):
            raise KeyboardInterrupt
        answer(signal.SIGINT, frame)

    for name in ("SIGTERM", "SIGHUP"):
        if (number := getattr(signal, name, None)) is not None:
            signal.signal(number, as_ctrl_c)


if __name__ == "__main__":
    sys.exit(main())

"""The `demo` subcommand and the `console --demo` switch, kept apart from `mailfleet.cli` (one hook each there).

Embedded (URLs unset): the demo has its own PostgreSQL cluster and Redis under `DATA_DIR/demo`, never the
install's own data; each run starts from an empty database there, and `mailfleet console --demo` opens it
afterwards. With `DATABASE_URL` and `REDIS_URL` set (CI) it uses those, and refuses a database that already holds
workspaces: the demo never writes into a real install.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:  # `mailfleet --version` builds this module's parser: only the standard library at import time
    from engine.settings import Settings
    from mailfleet.services import Services

DEMO_DIR = "demo"
EXIT_INVARIANT = 3
QUICK = "--mailboxes 60 --domains 6 --clients 2 --weeks 3"
"""A size that runs in about a minute on a 2-core machine (the full default takes 6 to 10 minutes: bench_demo)."""
CHAT_HINT = (
    "No chat is configured (TELEGRAM_TOKEN, SLACK_BOT_TOKEN). To see Mailfleet run a whole agency end to end "
    "first, type:\n\n    {prog} demo " + QUICK + "\n\n(about a minute; `{prog} demo` alone runs the full size, "
    "1,200 mailboxes for ten weeks, which takes 6 to 10 minutes), then `{prog} console --demo` to look around its "
    "data.\n"
)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = sub.add_parser(
        "demo", help=f"run a whole agency for weeks on a simulated clock and world (a quick one: {QUICK})"
    )
    demo.add_argument("--mailboxes", type=_bounded(2, 5000), default=1200, help="mailboxes in the fleet (1200)")
    demo.add_argument("--domains", type=_bounded(2, 200), default=60, help="domains, a reserve among them (60)")
    demo.add_argument("--clients", type=_bounded(1, 6), default=4, help="client workspaces (4)")
    demo.add_argument("--weeks", type=_bounded(2, 12), default=10, help="simulated weeks (10)")
    demo.add_argument("--seed", type=_bounded(0, 2**31), default=1, help="seed of the simulated world (1)")
    demo.add_argument("--out", type=Path, default=Path("mailfleet-demo"), help="output folder (./mailfleet-demo)")
    demo.add_argument("--start", type=_date, default=None, help="first simulated day (YYYY-MM-DD)")
    demo.add_argument(
        "--lang", choices=("ru", "en"), default="ru", help="language of the people, chats and this summary (ru)"
    )


def _bounded(low: int, high: int):  # type: ignore[no-untyped-def]
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is outside {low}–{high}")
        return value

    return parse


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date: write it as YYYY-MM-DD (2026-03-02)") from None


def demo_settings(settings: Settings) -> Settings:
    """The settings of the demo's own embedded services (`DATA_DIR/demo`); configured URLs stay as they are."""
    return settings.model_copy(update={"data_dir": settings.data_dir / DEMO_DIR})


def adjust(settings: Settings, args: argparse.Namespace) -> Settings:
    """`demo` and `console --demo` work on the demo's data; `run` without a chat says how to see the demo.
    `console --demo` on the embedded default with no demo run yet is refused (`NoDemo`): it would build an empty
    cluster under `DATA_DIR/demo` and open a world without anything in it. `demo` with sizes that do not fit
    together, or an output folder it cannot write, is refused (`BadDemo`) here, before any service starts."""
    if args.command == "run" and not (settings.telegram_token or settings.slack_bot_token):
        print(CHAT_HINT.format(prog=program()), file=sys.stderr)  # noqa: T201 - the operator's hint, before the logs
    if args.command == "demo":
        check(args)
    if args.command == "demo" or (args.command == "console" and args.demo):
        demo = demo_settings(settings)
        if args.command == "console" and demo.embedded and not (demo.data_dir / "postgres").is_dir():
            raise NoDemo(
                f"no demo has run in {demo.data_dir} yet: run `{program()} demo {QUICK}` first (about a minute), "
                f"then `{program()} console --demo`"
            )
        return demo
    return settings


class DemoRefused(Exception):
    """What the demo cannot do as asked, said in one line (`mailfleet: …`, exit status 1)."""


class NoDemo(DemoRefused):
    """`console --demo` before any `mailfleet demo`: the message says what to run."""


class BadDemo(DemoRefused):
    """`demo` with sizes that do not fit together, or an output folder it cannot write."""


def check(args: argparse.Namespace) -> None:
    """The arguments that only make sense together, and the output folder: created if missing, and written to
    once (a file there is made and removed). Raises `BadDemo`."""
    if args.domains > args.mailboxes:
        raise BadDemo(f"--domains ({args.domains}) must not exceed --mailboxes ({args.mailboxes})")
    if args.clients * 2 > args.domains:
        raise BadDemo(
            f"each client needs at least two domains ({args.clients} clients, {args.domains} domains): "
            "raise --domains or lower --clients"
        )
    out: Path = args.out
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise BadDemo(f"cannot write the output folder {out}: {reason}; choose another with --out") from None


def program() -> str:
    """How this program was typed (`.venv/bin/mailfleet` from `./dev run`), so the hint can be pasted as is."""
    typed = sys.argv[0] if sys.argv else ""
    if Path(typed).name != "mailfleet":
        return "mailfleet"
    path = Path(typed)
    with contextlib.suppress(ValueError):
        return str(path.relative_to(Path.cwd())) if path.is_absolute() else typed
    return typed


def run(settings: Settings, svc: Services, args: argparse.Namespace) -> int:
    """`mailfleet demo`: 0 when every invariant held, `EXIT_INVARIANT` when one failed."""
    from mailfleet.demo.run import DemoOptions  # noqa: PLC0415 - loads the engine

    options = DemoOptions(
        mailboxes=args.mailboxes, domains=args.domains, clients=args.clients, weeks=args.weeks, seed=args.seed,
        out=args.out, start=args.start, lang=args.lang,
    )  # fmt: skip
    embedded = not (settings.database_url and settings.redis_url)
    return asyncio.run(_run(settings, svc, options, fresh=embedded))


async def _run(settings: Settings, svc: Services, options: object, *, fresh: bool) -> int:
    from redis.asyncio import Redis  # noqa: PLC0415

    from engine import db  # noqa: PLC0415
    from engine.crypto import Vault  # noqa: PLC0415
    from mailfleet.demo.run import DemoOptions, run  # noqa: PLC0415
    from mailfleet.services import StartupError, check_reachable  # noqa: PLC0415

    assert isinstance(options, DemoOptions)
    await check_reachable(svc)
    if fresh:
        await _recreate(svc.database_url)
        redis: Redis = Redis.from_url(svc.redis_url)
        await redis.flushdb()  # the demo's own embedded Redis
        await redis.aclose()
    await db.migrate(svc.database_url)
    async with db.database(svc.database_url):
        from models import Workspace  # noqa: PLC0415

        if await Workspace.all().exists():
            raise StartupError("the demo needs an empty database; DATABASE_URL points at one with workspaces")
        outcome = await run(options, settings, svc.redis_url, Vault(svc.encryption_keys))
    return 0 if outcome.invariants.ok else EXIT_INVARIANT


async def _recreate(database_url: str) -> None:
    """Drop and create the demo's database in its own embedded cluster (a fresh demo each run)."""
    import asyncpg  # noqa: PLC0415

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    conn = await asyncpg.connect(urlunsplit(parts._replace(path="/postgres")))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()

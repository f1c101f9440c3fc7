"""What each process imports (ISSUE 14.6): a chat SDK only where the process talks to that platform, the command
layer only where commands run, a command's feature module only when it runs (outside a chat process), nothing
but argparse for `--version`. Each case runs in a fresh interpreter and reports its `sys.modules`; no timing is
asserted (bench/bench_startup.py prints the figures)."""

from __future__ import annotations

import json
import os
import pkgutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import REDIS_URL

ROOT = Path(__file__).resolve().parents[2]
MAILFLEET = str(Path(sys.executable).with_name("mailfleet"))
CHAT_SDKS = ("aiogram", "slack_bolt", "slack_sdk")
COMMAND_LAYER = ("bot.runner", "bot.handlers", "bot.console")
FEATURES = "bot.handlers."
DNS_STACK = ("engine.domains", "engine.dns", "dns")  # dnspython and what uses it
MIGRATION_RUNNER = "tortoise.migrations.api"
REDIS_CLIENT = ("redis", "jwt")  # redis-py brings PyJWT (and cryptography's X.509) along
SETTINGS_VARS = ("DATABASE_URL", "REDIS_URL", "ENCRYPTION_KEYS", "TELEGRAM_TOKEN", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN")
KEY = "x" * 43 + "="


def _env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARS}
    env.update(LOG_LEVEL="warning", **values)
    return env


def _modules(code: str, env: dict[str, str]) -> tuple[set[str], str]:
    """Run `code` in a fresh interpreter: the modules loaded at its end, and what it printed."""
    script = textwrap.dedent(code) + "\nimport json, sys\nprint('MODULES=' + json.dumps(sorted(sys.modules)))\n"
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("MODULES="))
    return set(json.loads(line.removeprefix("MODULES="))), result.stdout


def _loaded(modules: set[str], prefixes: tuple[str, ...]) -> set[str]:
    return {p for p in prefixes if any(m == p or m.startswith(p + ".") for m in modules)}


def test_version_imports_no_settings_orm_or_chat() -> None:
    result = subprocess.run([MAILFLEET, "--version"], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0 and result.stdout.startswith("mailfleet ")
    modules, _ = _modules(
        """
        import contextlib
        from mailfleet.cli import main
        with contextlib.suppress(SystemExit):
            main(["--version"])
        """,
        _env(),
    )
    assert "mailfleet.cli" in modules
    heavy = (*CHAT_SDKS, *COMMAND_LAYER, "pydantic", "tortoise", "asyncpg", "aiohttp", "redis", "arq", "engine")
    assert _loaded(modules, heavy) == set()


_CONTEXT = """
import asyncio
from engine.settings import load_settings
from mailfleet.runtime import app_context
from mailfleet.services import Services

async def main():
    settings = load_settings()
    svc = Services({database_url!r}, {redis_url!r}, settings.fernet_keys())
    async with app_context(settings, svc, {options}) as ctx:
        print("NOTIFIERS=" + ",".join(sorted(p.value for p in ctx.notifiers)))
        print("RUNNER=" + str(ctx.runner is not None))
        {extra}

asyncio.run(main())
"""


def _context(database_url: str, options: str, env: dict[str, str], extra: str = "pass") -> tuple[set[str], str]:
    return _modules(_CONTEXT.format(database_url=database_url, redis_url=REDIS_URL, options=options, extra=extra), env)


@pytest.mark.usefixtures("orm")
def test_a_worker_posts_to_both_platforms_without_their_frameworks(database_url: str) -> None:
    env = _env(ENCRYPTION_KEYS=KEY, TELEGRAM_TOKEN="123:abc", TELEGRAM_MODE="polling", SLACK_BOT_TOKEN="xoxb-1")
    extra = f"from jobs.worker import create_worker; create_worker({REDIS_URL!r}, ctx=ctx.worker_ctx())"
    modules, out = _context(database_url, "notify=True", env, extra)
    assert "NOTIFIERS=slack,telegram" in out and "RUNNER=False" in out
    assert "jobs.worker" in modules and "bot.telegram.notifier" in modules
    # the Slack Web API client is how a worker posts to Slack; bolt and aiogram are frameworks it never loads
    assert _loaded(modules, ("aiogram", "slack_bolt", *COMMAND_LAYER)) == set()


@pytest.mark.usefixtures("orm")
def test_without_chat_settings_no_process_loads_a_chat_sdk_or_the_commands(database_url: str) -> None:
    modules, out = _context(database_url, "chat=True, notify=True", _env(ENCRYPTION_KEYS=KEY, TELEGRAM_MODE="off"))
    assert "NOTIFIERS=\n" in out and "RUNNER=False" in out  # `mailfleet run` with no chat: web + worker
    assert _loaded(modules, (*CHAT_SDKS, *COMMAND_LAYER)) == set()


@pytest.mark.usefixtures("orm")
def test_the_console_loads_the_runner_and_no_command_nor_chat_sdk_even_with_chat_configured(database_url: str) -> None:
    env = _env(ENCRYPTION_KEYS=KEY, TELEGRAM_TOKEN="123:abc", SLACK_BOT_TOKEN="xoxb-1")
    modules, out = _context(database_url, "commands=True", env)
    assert "RUNNER=True" in out and "NOTIFIERS=\n" in out
    assert "bot.runner" in modules
    assert _features(modules) == set() and _loaded(modules, (*CHAT_SDKS, *DNS_STACK, *REDIS_CLIENT)) == set()


def _features(modules: set[str]) -> set[str]:
    return {m.removeprefix(FEATURES) for m in modules if m.startswith(FEATURES)}


_CONSOLE = """
import sys
from mailfleet.cli import main
status = main(["console", *sum((["-c", line] for line in {lines!r}), [])])
print("STATUS=" + str(status))
"""


def _console(lines: list[str], env: dict[str, str]) -> tuple[set[str], str]:
    """`mailfleet console -c …` in a fresh interpreter: the modules it loaded, and what it printed."""
    return _modules(_CONSOLE.format(lines=lines), env)


@pytest.mark.usefixtures("orm")
def test_console_whoami_loads_its_own_feature_and_nothing_unrelated(database_url: str) -> None:
    env = _env(DATABASE_URL=database_url, REDIS_URL=REDIS_URL, ENCRYPTION_KEYS=KEY)
    env.update(TELEGRAM_TOKEN="123:abc", TELEGRAM_MODE="polling", SLACK_BOT_TOKEN="xoxb-1")  # chat configured
    modules, out = _console(["/whoami"], env)
    assert "STATUS=0" in out and "console" in out  # the reply names the console's person
    assert _features(modules) == {"workspaces"}
    unrelated = (*CHAT_SDKS, *DNS_STACK, MIGRATION_RUNNER, *REDIS_CLIENT, "aiohttp", "arq", "jobs", "matplotlib")
    assert _loaded(modules, unrelated) == set()


@pytest.mark.usefixtures("orm")
def test_console_loads_the_redis_client_when_a_command_uses_redis(database_url: str) -> None:
    env = _env(DATABASE_URL=database_url, REDIS_URL=REDIS_URL, ENCRYPTION_KEYS=KEY, TELEGRAM_MODE="off")
    modules, out = _console(["/whoami", "/forget_confirm 0123456789abcdef"], env)  # the token is looked up in Redis
    assert "STATUS=1" in out  # an unknown token
    assert _loaded(modules, REDIS_CLIENT) == set(REDIS_CLIENT)


@pytest.mark.usefixtures("orm")
def test_console_loads_the_feature_of_each_command_it_runs(database_url: str) -> None:
    env = _env(DATABASE_URL=database_url, REDIS_URL=REDIS_URL, ENCRYPTION_KEYS=KEY, TELEGRAM_MODE="off")
    modules, out = _console(["/help", "/domains"], env)
    assert "STATUS=1" in out  # /domains needs a current workspace; the console's admin has none yet
    assert _features(modules) == {"workspaces", "domains"}
    assert _loaded(modules, ("bot.handlers.campaigns", "engine.campaigns.service", *CHAT_SDKS)) == set()


@pytest.mark.usefixtures("orm")
def test_a_web_process_with_telegram_loads_aiogram_and_not_bolt(database_url: str) -> None:
    env = _env(ENCRYPTION_KEYS=KEY, TELEGRAM_TOKEN="123:abc", TELEGRAM_MODE="polling")
    modules, out = _context(database_url, "chat=True", env, "assert ctx.telegram is not None and ctx.slack is None")
    assert "RUNNER=True" in out
    assert "aiogram" in modules and _loaded(modules, ("slack_bolt", "slack_sdk")) == set()
    # a chat process answers its first command without an import: every feature is loaded at start
    assert _features(modules) == {m.name for m in pkgutil.iter_modules([str(ROOT / "bot" / "handlers")])}

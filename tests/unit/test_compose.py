"""docker-compose.yml is valid against the Compose specification, and every service runs a real CLI command."""

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from mailfleet.cli import _parser

ROOT = Path(__file__).resolve().parents[2]


def test_compose_file_matches_the_specification() -> None:
    exe = shutil.which("check-jsonschema") or str(Path(sys.executable).with_name("check-jsonschema"))
    result = subprocess.run(
        [exe, "--builtin-schema", "vendor.compose-spec", str(ROOT / "docker-compose.yml")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_app_service_runs_an_existing_cli_command() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    commands = _parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    app_services = {name: svc for name, svc in compose["services"].items() if svc.get("image") == "mailfleet:latest"}
    assert set(app_services) == {"migrate", "web", "worker"}
    for name, svc in app_services.items():
        program, sub = svc["command"][:2]
        assert program == "mailfleet", name
        assert sub in commands, f"{name} runs `mailfleet {sub}`, which the CLI does not have"
    assert compose["services"]["postgres"]["image"].startswith("postgres:16")
    assert compose["services"]["redis"]["image"].startswith("redis:7")
    assert all("healthcheck" in compose["services"][s] for s in ("postgres", "redis", "web"))

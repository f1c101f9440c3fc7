"""A production worker for the load day, in its own process: `jobs.worker`'s functions, start-up and shutdown
(the real Outbox, SMTP transport, composers and planners, settings from the environment), with two differences:
no crons (the driver enqueues the planning and sending ticks itself), and a simulated clock that the driver
steps: before each job the worker reads the simulated moment from Redis (`CLOCK_KEY`), so every worker and the
driver agree on "now" and a day passes as fast as the fleet sends it.

    DATABASE_URL=… REDIS_URL=… ENCRYPTION_KEYS=… MAIL_ALLOW_PRIVATE_HOSTS=true MAIL_ALLOWED_PORTS=[…] \
    python -m tests.harness.load_worker

Memory hunting: with `LOAD_MEMORY_EVERY=N` the worker appends a line of memory figures to `memory-<pid>.txt` in
`LOAD_MEMORY_DIR` (default: the working directory) every N finished jobs (`MemoryLog`); with `LOAD_TRACEMALLOC=F`
as well, it traces Python allocations (F frames each) and adds the allocations that grew most since the first
dump and since the previous one, by traceback. Tracing slows the worker several times over and its own
bookkeeping shows in RSS: never in a measured run.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import datetime as dt
import gc
import os
import sys
import threading
import time
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Any, Final

from arq.connections import RedisSettings
from arq.worker import Worker
from tortoise import connections

from engine.clock import FrozenClock
from jobs.worker import WorkerSettings

CLOCK_KEY: Final = "mailfleet:load:clock"  # the simulated moment, ISO 8601 with its offset
TOP: Final = 12  # allocation sites per diff
JUMP: Final = 256 * 1024  # a job during which RSS grew this much is named in the memory log


async def follow_clock(ctx: dict[str, Any]) -> None:
    """arq's on_job_start: move this process's clock to the driver's simulated moment."""
    raw = await ctx["redis"].get(CLOCK_KEY)
    if raw is not None:
        ctx["clock"].set(dt.datetime.fromisoformat(raw.decode() if isinstance(raw, bytes) else raw))


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost",
    )]  # fmt: skip


def mallinfo() -> _MallInfo2 | None:
    """glibc's heap figures (None elsewhere): `arena` bytes from the system in the main and thread arenas,
    `uordblks` of them in use, `fordblks` free but kept, `hblkhd` in mmapped blocks."""
    try:
        function = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallinfo2
    except (OSError, AttributeError):
        return None
    function.restype = _MallInfo2
    info: _MallInfo2 = function()
    return info


def _rss() -> int:
    """This process's resident set, bytes (cheap enough to read after every job)."""
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _mappings() -> str:
    """Resident memory by kind of mapping: the main malloc heap, anonymous mappings (Python's object arenas,
    threads' malloc arenas and stacks, big blocks), files (code)."""
    kinds: Counter[str] = Counter()
    kind = ""
    for line in Path("/proc/self/smaps").read_text().splitlines():
        head = line.split()
        if "-" in head[0] and len(head) >= 5:  # a mapping's first line: range, perms, offset, dev, inode [path]
            path = head[5] if len(head) > 5 else ""
            kind = "heap" if path == "[heap]" else "anonymous" if not path or path.startswith("[anon") else "files"
        elif head[0] == "Rss:":
            kinds[kind] += int(head[1])
    return ", ".join(f"{k} {kinds[k] / 1024:.1f}" for k in ("heap", "anonymous", "files")) + " MB resident"


def _statements() -> str:
    """The database pool's connections and the prepared statements their caches hold."""
    pool = getattr(connections.get("default"), "_pool", None)
    held = [h._con for h in getattr(pool, "_holders", ()) if h._con is not None]
    cached = sum(len(c._stmt_cache) for c in held)
    return f"pool {len(held)} connections, {cached} statements cached"


class GcTimes:
    """The garbage collections of this process since it was made: how many, and the seconds they took."""

    def __init__(self) -> None:
        self.count = 0
        self.total_s = self.max_s = 0.0
        self._began = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._began = time.perf_counter()
            return
        took = time.perf_counter() - self._began
        self.count += 1
        self.total_s += took
        self.max_s = max(self.max_s, took)


class MemoryLog:
    """Every `every` finished jobs (`on_job_end`), one line of the process's memory: RSS; glibc's heap in use and
    free; Python's allocated blocks, live objects and threads; the database pool's prepared statements; the garbage
    collections so far and their time; then the object types that grew most since the first dump and, when
    `tracemalloc` traces, the allocations that grew most since the first dump and since the previous one."""

    def __init__(self, every: int, out: Path) -> None:
        self.every = every
        self.out = out
        self.jobs = 0
        self.started = time.monotonic()
        self.first: tracemalloc.Snapshot | None = None
        self.previous: tracemalloc.Snapshot | None = None
        self.types: Counter[str] | None = None
        self.gc = GcTimes()
        self.rss = _rss()

    def job_ended(self, job_id: str) -> None:
        """Count the job; note it when RSS rose by `JUMP` or more while it ran (with the others running then)."""
        self.jobs += 1
        rss = _rss()
        if rss - self.rss >= JUMP:
            with self.out.open("a") as file:
                file.write(f"  RSS {(rss - self.rss) / 2**20:+.1f} → {rss / 2**20:.1f} MB by the end of {job_id}\n")
        self.rss = rss
        if self.jobs % self.every == 0:
            self.dump()

    def dump(self) -> None:
        rss = _rss()
        heap = mallinfo()
        line = f"jobs {self.jobs} at {time.monotonic() - self.started:.0f} s: RSS {rss / 2**20:.1f} MB ({_mappings()})"
        if heap is not None:
            line += (
                f", malloc in use {heap.uordblks / 2**20:.1f} MB free {heap.fordblks / 2**20:.1f} MB "
                f"mmapped {heap.hblkhd / 2**20:.1f} MB"
            )
        objects = gc.get_objects()
        line += (
            f", Python blocks {sys.getallocatedblocks()}, objects {len(objects)}, threads {threading.active_count()}"
            f", {_statements()}; {self.gc.count} collections took {self.gc.total_s * 1000:.0f} ms "
            f"(longest {self.gc.max_s * 1000:.1f} ms)"
        )
        lines = [line]
        types = Counter(type(o).__qualname__ for o in objects)
        del objects
        if self.types is not None:
            grown = (types - self.types).most_common(TOP)
            lines.append("  objects grew since the first dump: " + ", ".join(f"{n} +{k}" for n, k in grown))
        self.types = self.types or types
        if tracemalloc.is_tracing():
            lines += self._diffs()
        with self.out.open("a") as file:
            file.write("\n".join(lines) + "\n")

    def _diffs(self) -> list[str]:
        gc.collect()  # what is still traced after a full collection is really held
        ignore = [tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, __file__)]
        snapshot = tracemalloc.take_snapshot().filter_traces(ignore)
        traced, peak = tracemalloc.get_traced_memory()
        lines = [f"  traced {traced / 2**20:.1f} MB (peak {peak / 2**20:.1f} MB)"]
        for title, base in (("since the first dump", self.first), ("since the previous dump", self.previous)):
            if base is None:
                continue
            lines.append(f"  grew most {title}:")
            for stat in snapshot.compare_to(base, "traceback")[:TOP]:
                lines.append(
                    f"  {stat.size_diff / 1024:+9.1f} KiB {stat.count_diff:+7d} blocks, now {stat.size / 1024:.1f} KiB"
                )
                lines += [f"        {frame.filename}:{frame.lineno}" for frame in reversed(stat.traceback)]
        self.first = self.first or snapshot
        self.previous = snapshot
        return lines


async def main() -> None:
    start = dt.datetime.fromisoformat(os.environ["LOAD_CLOCK_START"])
    memory = None
    if every := int(os.environ.get("LOAD_MEMORY_EVERY", "0")):
        if frames := int(os.environ.get("LOAD_TRACEMALLOC", "0")):
            tracemalloc.start(frames)
        folder = Path(os.environ.get("LOAD_MEMORY_DIR", "."))
        memory = MemoryLog(every, folder / f"memory-{os.getpid()}.txt")

    async def after_job_end(ctx: dict[str, Any]) -> None:
        await WorkerSettings.after_job_end(ctx)
        if memory is not None:
            memory.job_ended(ctx["job_id"])

    worker = Worker(
        functions=WorkerSettings.functions,
        on_startup=WorkerSettings.on_startup,
        on_shutdown=WorkerSettings.on_shutdown,
        on_job_start=follow_clock,
        after_job_end=after_job_end,
        poll_delay=WorkerSettings.poll_delay,
        keep_result=WorkerSettings.keep_result,
        max_jobs=WorkerSettings.max_jobs,
        redis_settings=RedisSettings.from_dsn(os.environ["REDIS_URL"]),
        ctx={"database_url": os.environ["DATABASE_URL"], "clock": FrozenClock(start)},
        handle_signals=True,  # SIGTERM: finish the running jobs, run shutdown, exit
    )
    try:
        await worker.async_run()
    except asyncio.CancelledError:  # SIGTERM cancels the worker's main task: a normal stop
        pass
    finally:
        if memory is not None:  # the last figures, while the database pool is still open
            memory.dump()
        await worker.close()


if __name__ == "__main__":
    asyncio.run(main())

"""The load day (issue 14, point 2): a simulated day of the fleet through the real planners, the arq jobs and the
outbox in TWO worker processes sharing PostgreSQL and Redis, SMTP to sinks in their own processes
(`tests/harness/loadday.py` says how). The normal run has a tenth of the fleet (120 mailboxes on 40 domains,
~6,000 sends, the same caps and day; marker `load`); the whole fleet (1,200 mailboxes on 400 domains, ~60,000
sends; marker `full_load`) is a stage of its own in `./dev test`, after the rest (`pytest -m full_load`; the
default run leaves it out). `python -m bench.bench_load` prints the figures of either. Throughput is never
asserted; memory flatness is a behaviour, asserted on each worker's RSS between the points where half and all of
the day's sends were done (no job running at either)."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import ADMIN_URL, REDIS_URL
from tests.harness.loadday import MAILBOX_CAP, DayResult, Fleet, run_day

log = logging.getLogger(__name__)
CI_FRACTION = 0.1
SECOND_HALF_MB = 3.0
"""How much a worker's RSS may grow over the second half of the tenth's day (about 3,000 sends a worker). Measured
on a loaded 2-core box: before the fixes of `jobs.worker.tune_malloc` and `cycle_collector` +2.8 to +3.4 MB (3 days,
6 workers), after 0.0 to +0.6 MB (4 days, 8 workers: bounded caches still filling). Measured again since (what
changed it is not known): +0.4 to +1.5 MB (509d93b: 2 days, 4 workers) and +0.8 to +2.2 MB (a41d1a7: 3 days,
6 workers, one of them in CI at +2.17), so the bound of 2 MB failed a run by noise. Catches a leak of about 1 KB a
send or more."""
FULL_SECOND_HALF_MB = 8.0
"""The same for the whole fleet's day, where each worker sends about 15,000 messages in the second half. While the
campaign planner planned the whole day in its first run, the whole day's growth was +0.0 to +0.4 MB (2 days, 4
workers). Since the worker plans an hour ahead (`engine.campaigns.planner.HORIZON_S`), either worker runs an hourly
campaign plan all day, and a worker's first plans lift its RSS once, by +4 to +6 MB, to a level it then keeps
(`bench/bench_load.py --memory-every`: +6.1, +4.1, +1.8, +0.5 MB at one worker's plans at 08:55, 09:55, 11:55, 14:55,
flat between them); the two workers race for the plans, so that step can come after half the day's sends (+6.6 MB
once). Catches a leak of about 0.5 KB a send or more; the fleet's tenth keeps the tight bound above."""


def check_day(day: DayResult, fleet: Fleet, second_half_mb: float) -> None:
    """The load day's assertions, the same at every size."""
    # the day really is the fleet's: both kinds, the caps binding (the campaigns have more leads than room)
    assert set(day.planned) == {"campaign", "warmup"}
    assert day.total >= 0.97 * fleet.mailboxes * MAILBOX_CAP, day.planned
    # from the database and the sinks: every planned send delivered exactly once, no cap exceeded, nothing stuck
    assert day.problems() == [], "\n".join(day.worker_logs)
    assert day.sent == day.total == day.sink_messages
    log.info(
        "%d sends in %.0f s of simulated day (%.1f a second), set-up %.1f s; CPU seconds %s",
        day.sent, day.wall_s, day.sent / day.wall_s, day.setup_s, {k: round(v) for k, v in day.cpu_s.items()},
    )  # fmt: skip
    # two workers did the day, and neither grew while doing it (the figures: `--log-cli-level=INFO`)
    points = {share: day.rss_at(share) for share in (0.1, 0.5, 1.0)}
    assert len(points[1.0].rss_mb) == 2 and points[0.5].sent < points[1.0].sent
    for n, pid in enumerate(points[1.0].rss_mb, start=1):
        rss = {share: point.rss_mb[pid] for share, point in points.items()}
        figures = ", ".join(f"{mb:.1f} MB at {share:.0%}" for share, mb in rss.items())
        log.info("worker %d (pid %d): RSS %s of the day's sends", n, pid, figures)
        assert rss[1.0] - rss[0.5] <= second_half_mb, f"worker {pid}: RSS {figures} of the day's sends"


@pytest.mark.load
@pytest.mark.timeout(900)
def test_a_day_of_the_fleet_sends_each_planned_message_once_within_every_cap() -> None:
    fleet = Fleet.scaled(CI_FRACTION)
    assert fleet.mailboxes == 120 and fleet.domains == 40
    check_day(run_day(fleet, admin_url=ADMIN_URL, redis_url=REDIS_URL), fleet, SECOND_HALF_MB)


@pytest.mark.full_load
@pytest.mark.timeout(1800)
def test_a_day_of_the_whole_fleet_sends_each_planned_message_once_within_every_cap() -> None:
    fleet = Fleet.full()
    assert fleet.mailboxes == 1200 and fleet.domains == 400
    check_day(run_day(fleet, admin_url=ADMIN_URL, redis_url=REDIS_URL), fleet, FULL_SECOND_HALF_MB)

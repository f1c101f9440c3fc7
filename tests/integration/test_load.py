"""The load day (issue 14, point 2): a simulated day of the fleet through the real planners, the arq jobs and the
outbox in TWO worker processes sharing PostgreSQL and Redis, SMTP to aiosmtpd sinks in their own processes
(`tests/harness/loadday.py` says how). CI runs a tenth of the fleet (120 mailboxes on 40 domains, ~6,000 sends,
the same caps and day); `python -m bench.bench_load` runs the full 1,200 mailboxes and ~60,000 sends and prints
the figures. Throughput is never asserted; memory flatness is a behaviour, asserted with a generous margin."""

from __future__ import annotations

import pytest

from tests.conftest import ADMIN_URL, REDIS_URL
from tests.harness.loadday import MAILBOX_CAP, Fleet, run_day

CI_FRACTION = 0.1
RSS_MARGIN = 1.25, 25.0  # the last quarter's peak within 125 % of the first quarter's, plus 25 MB


@pytest.mark.load
@pytest.mark.timeout(900)
def test_a_day_of_the_fleet_sends_each_planned_message_once_within_every_cap() -> None:
    fleet = Fleet.scaled(CI_FRACTION)
    assert fleet.mailboxes == 120 and fleet.domains == 40
    day = run_day(fleet, admin_url=ADMIN_URL, redis_url=REDIS_URL)

    # the day really is the fleet's: both kinds, the caps binding (the campaigns have more leads than room)
    assert set(day.planned) == {"campaign", "warmup"}
    assert day.total >= 0.97 * fleet.mailboxes * MAILBOX_CAP, day.planned
    # from the database and the sinks: every planned send delivered exactly once, no cap exceeded, nothing stuck
    assert day.problems() == [], "\n".join(day.worker_logs)
    assert day.sent == day.total == day.sink_messages
    # two workers did the day, and neither grew while doing it
    assert len(day.rss_mb) == 2
    for pid, samples in day.rss_mb.items():
        assert len(samples) >= 8, f"worker {pid}: too few RSS samples for a trend"
        first, last = day.rss_growth(pid)
        assert last <= first * RSS_MARGIN[0] + RSS_MARGIN[1], (pid, first, last, samples)

"""When failing inbox syncs make a mailbox's inbox "unreachable" (the `inbox_unreachable` alert's rule)."""

from __future__ import annotations

import datetime as dt

import pytest

from engine.inbox import UNREACHABLE_AFTER, inbox_unreachable, unread_since

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
IMAP_ERROR = "error-imap-timeout: no answer within 60 s"
SECOND = dt.timedelta(seconds=1)


@pytest.mark.parametrize(
    ("previous_error", "unread_for", "expected"),
    [
        (IMAP_ERROR, UNREACHABLE_AFTER, True),  # exactly at the threshold
        (IMAP_ERROR, UNREACHABLE_AFTER - SECOND, False),  # not yet
        (IMAP_ERROR, dt.timedelta(days=3), True),
        ("error-imap-no-greeting: no greeting from port 993", UNREACHABLE_AFTER * 2, True),
        ("", dt.timedelta(days=3), False),  # the sync before succeeded (or nothing failed): one failure is no outage
        ("error-smtp-auth: 535 rejected", dt.timedelta(days=3), False),  # SMTP's error says nothing about IMAP
    ],
)
def test_two_failures_in_a_row_and_an_hour_unread(
    previous_error: str, unread_for: dt.timedelta, expected: bool
) -> None:
    assert inbox_unreachable(previous_error, T0, T0 + unread_for) is expected


def test_unread_since_the_last_good_sync_else_since_the_mailbox_was_added() -> None:
    added = T0 - dt.timedelta(days=10)
    assert unread_since(T0, added) == T0
    assert unread_since(None, added) == added
    assert inbox_unreachable(IMAP_ERROR, unread_since(None, added), added + UNREACHABLE_AFTER)
    assert not inbox_unreachable(IMAP_ERROR, unread_since(T0, added), T0 + UNREACHABLE_AFTER / 2)

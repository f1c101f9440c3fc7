"""Counter aggregation (scopes, the workspace's calendar day, lock order) and address normalization."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from engine.stats import COUNTER_OF, COUNTERS, EventRecord, normalize_email, stat_rows
from models.enums import EventKind, StatScope

UTC = dt.UTC


def test_every_event_kind_has_a_counter_column_and_warmup_and_pixel_sends_their_own() -> None:
    assert set(COUNTERS) == {*COUNTER_OF.values(), "warmup_sent", "pixel_sent"}
    assert len(set(COUNTER_OF.values())) == len(EventKind)


def test_a_warmup_send_counts_in_sent_and_in_warmup_sent() -> None:
    at = dt.datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    records = [
        EventRecord(1, EventKind.SENT, at, mailbox_id=10, domain_id=5, data={"kind": "warmup"}),
        EventRecord(1, EventKind.SENT, at, mailbox_id=10, domain_id=5, campaign_id=3, data={"kind": "campaign"}),
        EventRecord(1, EventKind.SENT, at, mailbox_id=10, domain_id=5, data={"kind": "test"}),
    ]
    found = {(r.scope, r.scope_id): dict(r.counts) for r in stat_rows(records, {})}
    assert found[(StatScope.MAILBOX, 10)] == {"sent": 3, "warmup_sent": 1}
    assert found[(StatScope.WORKSPACE, 1)] == {"sent": 3, "warmup_sent": 1}
    assert found[(StatScope.CAMPAIGN, 3)] == {"sent": 1}


def test_a_send_that_carried_a_pixel_counts_in_pixel_sent_and_others_do_not() -> None:
    at = dt.datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    records = [
        EventRecord(1, EventKind.SENT, at, mailbox_id=10, domain_id=5, campaign_id=3, data={"kind": "campaign"}),
        EventRecord(
            1, EventKind.SENT, at, mailbox_id=10, domain_id=5, campaign_id=3, data={"kind": "campaign", "pixel": True}
        ),
        EventRecord(1, EventKind.OPEN, at, mailbox_id=10, domain_id=5, campaign_id=3, data={"pixel": True}),
    ]
    found = {(r.scope, r.scope_id): dict(r.counts) for r in stat_rows(records, {})}
    assert found[(StatScope.CAMPAIGN, 3)] == {"sent": 2, "pixel_sent": 1, "opens": 1}
    assert found[(StatScope.MAILBOX, 10)] == {"sent": 2, "pixel_sent": 1, "opens": 1}


def test_rows_per_scope_and_day_in_the_workspace_zone() -> None:
    late = dt.datetime(2026, 11, 28, 21, 30, tzinfo=UTC)  # 00:30 on the 29th in Moscow, still the 28th in UTC
    records = [
        EventRecord(1, EventKind.REPLY, late, mailbox_id=10, domain_id=5, campaign_id=3),
        EventRecord(1, EventKind.REPLY, late, mailbox_id=11, domain_id=5),
        EventRecord(1, EventKind.BOUNCE_HARD, late, mailbox_id=10, domain_id=5, campaign_id=3),
        EventRecord(2, EventKind.WARMUP_SPAM, late, mailbox_id=20, domain_id=6),
    ]
    rows = stat_rows(records, {1: ZoneInfo("Europe/Moscow")})
    found = {(r.scope, r.scope_id, r.day): dict(r.counts) for r in rows}
    moscow, utc = dt.date(2026, 11, 29), dt.date(2026, 11, 28)
    assert found == {
        (StatScope.CAMPAIGN, 3, moscow): {"replies": 1, "bounces_hard": 1},
        (StatScope.DOMAIN, 5, moscow): {"replies": 2, "bounces_hard": 1},
        (StatScope.DOMAIN, 6, utc): {"warmup_spam": 1},
        (StatScope.MAILBOX, 10, moscow): {"replies": 1, "bounces_hard": 1},
        (StatScope.MAILBOX, 11, moscow): {"replies": 1},
        (StatScope.MAILBOX, 20, utc): {"warmup_spam": 1},
        (StatScope.WORKSPACE, 1, moscow): {"replies": 2, "bounces_hard": 1},
        (StatScope.WORKSPACE, 2, utc): {"warmup_spam": 1},
    }
    keys = [(r.scope, r.scope_id, r.day) for r in rows]
    assert keys == sorted(keys)  # one lock order for every writer


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" Lead@Example.COM ", "lead@example.com"),
        ("<x@Пример.РФ>", "x@xn--e1afmkfd.xn--p1ai"),
        ("no-at-sign", None),
        ("a b@c.test", None),
        ("x@localhost", None),
        ("@c.test", None),
    ],
)
def test_normalize_email(raw: str, expected: str | None) -> None:
    assert normalize_email(raw) == expected

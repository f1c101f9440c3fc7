"""Who hears an alert and what a digest says: pure decisions over plain values."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from engine.alert_routing import (
    DIGEST_MAX_CHARS,
    PER_WINDOW,
    WINDOW_S,
    Held,
    Route,
    age_parts,
    clip,
    route,
    summarize,
    window_of,
)
from engine.alerts import INBOX_UNREACHABLE, alert_fingerprint
from engine.i18n import translator
from engine.monitoring.service import ALERTS as ACTION_ALERTS
from engine.notify import CHAT_UNREACHABLE, Notification, render_digest
from models.enums import ChatPurpose


def test_severity_decides_who_hears_and_when() -> None:
    assert route(None, 10_000) is Route.DIRECT  # an approval request is never held
    assert route("critical", 10_000) is Route.FORCE  # critical goes out at once, over any budget
    assert route("info", 0) is Route.HOLD  # info only ever reaches the digest
    assert [route("warning", used) for used in range(PER_WINDOW + 2)] == [Route.SEND] * PER_WINDOW + [Route.HOLD] * 2
    assert route("warning", 2, per_window=2) is Route.HOLD


def test_windows_are_aligned_and_independent_of_the_time_zone() -> None:
    start = dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.UTC)
    moscow = start.astimezone(dt.timezone(dt.timedelta(hours=3)))
    assert window_of(start) == window_of(moscow)
    assert window_of(start + dt.timedelta(seconds=WINDOW_S - 1)) == window_of(start)
    assert window_of(start + dt.timedelta(seconds=WINDOW_S)) == window_of(start) + 1


def test_a_digest_counts_by_kind_with_the_top_subjects() -> None:
    items = (
        [Held("bounce_spike", f"mailbox:{i % 9}") for i in range(7)]
        + [Held("dns_drift", "domain:1")] * 3
        + [Held("dns_drift", "domain:2")] * 2
        + [Held("open_drop", "mailbox:1"), Held("bounce_spike", "mailbox:1", resolved=True)]
    )
    summary = summarize(items, top_kinds=2, top_subjects=2)
    assert (summary.total, summary.other, summary.resolved) == (13, 1, 1)
    assert [(k.kind, k.count, k.subjects, k.more_subjects) for k in summary.kinds] == [
        ("bounce_spike", 7, ("mailbox:0", "mailbox:1"), 5),
        ("dns_drift", 5, ("domain:1", "domain:2"), 0),
    ]


def test_a_huge_digest_stays_inside_one_telegram_message() -> None:
    items = [Held(f"kind_{k}_" + "x" * 30, f"mailbox:{'y' * 200}{i}") for k in range(40) for i in range(30)]
    for locale in ("ru", "en"):
        reply = render_digest(items, translator(locale))
        text = reply.plain_text()
        assert len(text) < 4096, len(text)
        title = reply.blocks[0].text.replace("\xa0", "").replace(",", "")
        assert title.startswith("Ещё 1200" if locale == "ru" else "1200 more")
    assert len(clip("a\n" * 5000)) <= DIGEST_MAX_CHARS
    assert clip("short") == "short"


def test_the_digest_says_how_many_and_of_which_kinds() -> None:
    items = [Held("mailbox_cooldown", "a@x.ru")] * 7 + [Held("dns_drift", "x.ru")] * 5 + [Held("new_kind", "y.ru")]
    reply = render_digest(items, translator("en"))
    assert reply.blocks[0].text == "13 more alerts: 7 mailbox cooling down, 5 DNS changed, 1 new_kind"
    assert "• mailbox cooling down: 7 — a@x.ru" in reply.plain_text()  # a kind by its label, unknown ones as they are
    russian = render_digest(items, translator("ru"))
    assert russian.blocks[0].text.endswith("7 ящик на паузе, 5 DNS изменился, 1 new_kind")


def test_every_kind_of_alert_the_engine_raises_has_a_label_in_every_language() -> None:
    """Kinds named where they are raised (`kind="…"`), by a constant, or by monitoring's actions."""
    source = "\n".join(p.read_text(encoding="utf-8") for p in Path("engine").rglob("*.py"))
    kinds = set(re.findall(r'raise_alert\([^)]*?kind="([a-z_]+)"', source, flags=re.DOTALL))
    kinds |= {INBOX_UNREACHABLE, CHAT_UNREACHABLE, *(kind for kind, _ in ACTION_ALERTS.values())}
    assert len(kinds) >= 16, kinds
    for locale in ("ru", "en"):
        t = translator(locale)
        missing = sorted(k for k in kinds if not t.has(f"alert-kind-{k}"))
        assert missing == [], f"{locale}: {missing}"


def test_ages_are_shown_in_a_readable_unit() -> None:
    assert [age_parts(s) for s in (30, 90 * 60, 5 * 3600, 3 * 86400)] == [(0, "m"), (90, "m"), (5, "h"), (3, "d")]


def test_the_same_problem_in_two_workspaces_is_two_alerts() -> None:
    one = alert_fingerprint("dnsbl_blind", "dnsbl:zen.test", "", 1)
    assert one == alert_fingerprint("dnsbl_blind", "dnsbl:zen.test", "", 1)
    assert one != alert_fingerprint("dnsbl_blind", "dnsbl:zen.test", "", 2)
    assert one != alert_fingerprint("dnsbl_blind", "dnsbl:zen.test", "", None)


def test_a_notification_keeps_its_alert_fields_through_the_queue() -> None:
    note = Notification(
        "alert:1", None, ChatPurpose.ALERTS, "t", "b", {}, [("button-ack", "ack", "1")], "info", "k", "s"
    )
    assert Notification.from_dict(note.to_dict()) == note
    old = note.to_dict()
    for name in ("severity", "kind", "subject", "resolved"):
        old.pop(name)  # a job queued before alert routing existed
    assert Notification.from_dict(old).severity is None

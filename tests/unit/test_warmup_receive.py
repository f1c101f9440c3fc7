"""The receiving side's choices: flag and reply shares as configured, threads two to four deep, human delays."""

from __future__ import annotations

import datetime as dt

from engine.warmup.receive import (
    MAX_THREAD,
    MIN_THREAD,
    REPLY_DELAY_MAX,
    REPLY_DELAY_MIN,
    message_rng,
    react,
    thread_length,
)
from engine.warmup.settings import WarmupSettings


def test_shares_follow_the_settings_and_a_seed_decides_the_same_way_again() -> None:
    settings = WarmupSettings().with_values({"reply_probability": "0.5", "flag_probability": "0.2"})
    roots = [f"<r{i}@a.test>" for i in range(2000)]
    reactions = [react(message_rng("s", r), settings, position=1, root_message_id=r) for r in roots]
    assert 0.45 < sum(r.reply for r in reactions) / len(reactions) < 0.55  # position 1 < every thread length
    assert 0.16 < sum(r.flag for r in reactions) / len(reactions) < 0.24
    again = [react(message_rng("s", r), settings, position=1, root_message_id=r) for r in roots]
    assert again == reactions
    other = [react(message_rng("t", r), settings, position=1, root_message_id=r) for r in roots]
    assert other != reactions


def test_threads_are_two_to_four_deep_and_never_answered_past_their_length() -> None:
    lengths = {thread_length(f"<r{i}@a.test>") for i in range(300)}
    assert lengths == set(range(MIN_THREAD, MAX_THREAD + 1))
    always = WarmupSettings().with_values({"reply_probability": "0.6"})
    for i in range(300):
        root = f"<r{i}@a.test>"
        for position in range(1, 6):
            reaction = react(message_rng("s", f"{root}{position}"), always, position=position, root_message_id=root)
            assert not reaction.reply or position < thread_length(root)


def test_no_reply_when_replies_are_off_and_delays_look_human() -> None:
    off = WarmupSettings().with_values({"reply_probability": "0"})
    assert not any(
        react(message_rng("s", str(i)), off, position=1, root_message_id="<x@a.test>").reply for i in range(500)
    )
    on = WarmupSettings().with_values({"reply_probability": "0.6"})
    delays = [
        r.delay
        for i in range(2000)
        if (r := react(message_rng("s", str(i)), on, position=1, root_message_id="<x@a.test>")).reply
    ]
    assert all(REPLY_DELAY_MIN <= d <= REPLY_DELAY_MAX for d in delays)
    assert len({d.seconds // 600 for d in delays}) > 10  # spread over hours, not one fixed pause
    assert dt.timedelta(minutes=45) < sorted(delays)[len(delays) // 2] < dt.timedelta(hours=3)

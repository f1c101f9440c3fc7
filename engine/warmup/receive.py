"""What a mailbox does with the warmup mail it receives (pure policy; the inbox sync carries it out).

Every warmup message is opened (marked read) and rescued from spam; some are flagged important
(`flag_probability`), some answered (`reply_probability`) after a human-like delay, as long as the thread is not
yet as deep as it is meant to grow (two to four messages, fixed per thread). All choices come from a
`random.Random` seeded by the message, so a re-read never decides differently and tests are deterministic.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import random
from dataclasses import dataclass
from typing import Final

from engine.warmup.settings import WarmupSettings

MIN_THREAD: Final = 2
MAX_THREAD: Final = 4
REPLY_DELAY_MEDIAN: Final = dt.timedelta(minutes=90)  # people answer colleagues within hours, rarely at once
REPLY_DELAY_MIN: Final = dt.timedelta(minutes=12)
REPLY_DELAY_MAX: Final = dt.timedelta(hours=7)


@dataclass(frozen=True, slots=True)
class Reaction:
    """What to do with one received warmup message."""

    flag: bool
    reply: bool
    delay: dt.timedelta  # when `reply`: how long after reading it the answer is scheduled


def message_rng(seed: str, message_id: str) -> random.Random:
    """The random source for one message: the same seed and Message-ID always give the same choices."""
    digest = hashlib.sha256(f"{seed}\x00{message_id}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def thread_length(root_message_id: str) -> int:
    """How many messages the thread started by `root_message_id` grows to (2–4), the same for every mailbox."""
    digest = hashlib.sha256(root_message_id.encode()).digest()
    return MIN_THREAD + digest[0] % (MAX_THREAD - MIN_THREAD + 1)


def react(rng: random.Random, settings: WarmupSettings, *, position: int, root_message_id: str) -> Reaction:
    """Decide about a received message that is number `position` (1 = the first) of its thread."""
    flag = rng.random() < settings.flag_probability
    wants = rng.random() < settings.reply_probability
    reply = wants and position < thread_length(root_message_id)
    return Reaction(flag=flag, reply=reply, delay=reply_delay(rng) if reply else dt.timedelta(0))


def reply_delay(rng: random.Random) -> dt.timedelta:
    """A log-normal delay around `REPLY_DELAY_MEDIAN`, kept between the minimum and maximum."""
    minutes = rng.lognormvariate(math.log(REPLY_DELAY_MEDIAN.total_seconds() / 60), 0.8)
    delay = dt.timedelta(minutes=minutes)
    return min(max(delay, REPLY_DELAY_MIN), REPLY_DELAY_MAX)

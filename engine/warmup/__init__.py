"""Warmup: mailboxes of one agency writing to each other for weeks, so that providers learn to trust them.

`settings` holds the knobs a workspace may turn (with safe bounds); the ramp, pairing, content, marker,
placement and graduation live in modules of their own.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Persona:
    """Who writes or reads a message: a display name ("" when unknown), a company ("" when unknown), the address."""

    name: str
    company: str
    address: str


@dataclass(frozen=True, slots=True)
class Composed:
    """A message's subject (one line) and plain-text body (lines joined with "\\n")."""

    subject: str
    body: str


class ComposeWarmup(Protocol):
    """Writes the first email of a warmup thread. The real one is `engine.warmup.content.compose_warmup`; the
    planner takes it as a parameter, so it is tested with any composer."""

    def __call__(self, rng: random.Random, *, sender: Persona, recipient: Persona, locale: str) -> Composed: ...

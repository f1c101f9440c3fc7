"""Mail I/O: provider presets, message building, the SMTP transport (and IMAP sync beside them)."""

from __future__ import annotations

from typing import Final

from engine.i18n import translator

PROBLEM_PREFIX: Final = "mail-problem-"
PROBLEM_OTHER: Final = "mail-problem-other"


def problem_key(key: str) -> str:
    """The catalog key of the short phrase naming a mail failure (`smtp-auth-failed`, `error-imap-connect`, a
    refusal of the mail policy…) where a card line, a list or an alert names it: `mail-problem-<key>` without its
    `error-` prefix; a failure the catalogs have no phrase for is `mail-problem-other`, never shown by its code."""
    wanted = PROBLEM_PREFIX + key.removeprefix("error-")
    return wanted if translator("en").has(wanted) else PROBLEM_OTHER

"""Every failure a mailbox can record has a short phrase in both catalogs (`mail-problem-*`): the card, the list
and the alerts name the failure in words, never by its code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.i18n import translator
from engine.mail import problem_key
from engine.mail.imap import ImapError, ImapErrorKind

SMTP_SOURCE = Path(__file__).resolve().parents[2] / "engine" / "mail" / "smtp.py"
NOT_FAILURES = {"smtp-accepted", "smtp-login-ok", "smtp-idle-reaper"}
OTHERS = [
    "error-mail-port-not-allowed",
    "error-mail-host-private",
    "mail-certificate-untrusted",
    "error-mailbox-secret",
    "error-sent-folder-missing",
    "error-recovery-no-account",
    "not-found",
]
KEYS = sorted(
    {k for k in re.findall(r'"(smtp-[a-z-]+)"', SMTP_SOURCE.read_text()) if k not in NOT_FAILURES}
    | {ImapError(kind).key for kind in ImapErrorKind}
    | set(OTHERS)
)


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("locale", ["ru", "en"])
def test_every_failure_has_a_phrase(key: str, locale: str) -> None:
    t = translator(locale)
    assert t.has(problem_key(key)), problem_key(key)
    assert "{" not in t(problem_key(key))  # a phrase of its own: no parameters to miss


def test_a_failure_without_a_phrase_is_never_shown_by_its_code() -> None:
    assert translator("ru")(problem_key("smtp-something-new")) == translator("ru")("mail-problem-other")

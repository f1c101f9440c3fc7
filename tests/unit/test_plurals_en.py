"""English counts agree with their numbers: "1 campaign email", "1 mailbox has", "21 days" — not "1 campaign emails".

English has two plural categories (one: exactly 1; other: 0, 2, 21, 1.5 …), so each count before a noun selects
it, the way the Russian catalog does with its one/few/many. The selector gets the number itself (Fluent shows it
grouped, "1,200", and still picks by the value), never digits already made into text.
"""

from __future__ import annotations

import pytest

from engine.campaigns.content import BODY_MIN_CHARS, check_content
from engine.i18n import translator

EN = translator("en")

# (key, the count's parameter, other parameters, what 1 reads, what 2 and 21 read with {n} for the number); a
# trailing "$" means the message ends there ("last 1 day" is part of the old "last 1 days")
CASES: list[tuple[str, str, dict[str, object], str, str]] = [
    ("alert-resolved", "count", {"kind": "k", "subject": "s"}, "It occurred 1 time.", "It occurred {n} times."),
    ("alert-queue-backlog", "count", {"minutes": 30}, "1 message has waited", "{n} messages have waited"),
    ("error-agency-chat-limit", "limit", {}, "at most 1 agency chat.", "at most {n} agency chats."),
    ("error-template-syntax", "limit", {"where": "w", "position": 1, "detail": "too-deep"},
     "more than 1 level deep", "more than {n} levels deep"),
    ("error-template-syntax", "limit", {"where": "w", "position": 1, "detail": "too-long"},
     "longer than 1 character$", "longer than {n} characters$"),
    ("content-body-too-short", "length", {"variant": "A", "limit": 40}, "(1 character, under 40)",
     "({n} characters, under 40)"),
    ("content-too-many-links", "count", {"variant": "A", "limit": 0}, "A: 1 link —", "A: {n} links —"),
    ("campaign-steps-rules", "steps", {"variants": 5, "chars": 4000}, "up to 1 step, up to 5 variants, up to 4,000",
     "up to {n} steps, up to 5 variants"),
    ("campaign-refuse-not-ready", "warming", {"date": "d"}, "ready: 1 is warming up", "ready: {n} are warming up"),
    ("campaign-refuse-waiting-placement", "waiting", {"threshold": 80},
     "1 mailbox has finished the warmup period but waits for at least 80 % of its warmup mail",
     "{n} mailboxes have finished the warmup period but wait for at least 80 % of their warmup mail"),
    ("campaign-warn-slow", "leads", {"ready": 2, "days": 3}, "1 lead, 2 ready mailboxes", "{n} leads, 2 ready"),
    ("error-campaign-steps-variant-count", "count", {"step": 2, "line": 7, "first": 3}, "(line 7): 1 variant, step 1",
     "(line 7): {n} variants, step 1"),
    ("error-campaign-steps-delay", "max", {"line": 3, "step": 2, "min": 1}, "is 1 to 1 day.", "is 1 to {n} days."),
    ("chart-volume-title", "days", {}, "last 1 day$", "last {n} days$"),
    ("export-campaign-ready", "rows", {}, "variant: 1 row.", "variant: {n} rows."),
    ("retention-current", "days", {}, "Retention: 1 day.", "Retention: {n} days."),
    ("error-audit-too-many", "limit", {}, "More than 1 entry in", "More than {n} entries in"),
    ("capacity-today", "emails", {"senders": 1, "mailboxes": 3, "warmup": 40},
     "Today: 1 campaign email from", "Today: {n} campaign emails from"),
    ("capacity-today", "mailboxes", {"emails": 30, "senders": 1, "warmup": 1},
     "of 1 mailbox (besides 1 warmup email).", "of {n} mailboxes (besides 1 warmup email)."),
    ("capacity-add", "warmup_weeks",
     {"per_day": 1, "mailboxes": 1, "domains": 1, "mailbox_cap": 1, "domain_cap": 1, "per_mailbox": 1,
      "full_weeks": 1, "full_on": "d"},
     "1 campaign email a day each at full share). New mailboxes send campaigns after 1 week of warmup",
     "after {n} weeks of warmup"),
    ("demo-check-suppressed-detail", "warmup", {"campaign": 1},
     "1 campaign email and 1 warmup email checked", "1 campaign email and {n} warmup emails checked"),
    ("error-dkim-weak-key", "bits", {"minimum": 1024}, "too short: 1 bit,", "too short: {n} bits,"),
    ("alert-domain-expiry", "days_left", {"domain": "a.ru", "expires_on": "d"}, "(1 day left)", "({n} days left)"),
    ("dns-apply-done", "count", {"domain": "a.ru", "host": "h"}, ": 1 record changed.", ": {n} records changed."),
    ("leads-report-omitted", "count", {}, "…and 1 more row (", "…and {n} more rows ("),
    ("error-leads-columns", "count", {"line": 2, "limit": 200}, "Line 2: 1 column,", "Line 2: {n} columns,"),
    ("mailbox-ca-stored", "count", {"address": "a@b.ru"}, "(1 certificate)", "({n} certificates)"),
    ("health-campaigns-more", "count", {}, "…and 1 more campaign:", "…and {n} more campaigns:"),
    ("alert-mailbox-cooldown", "sample", {"subject": "s", "until": "u", "rate_pct": 5, "window": "w",
                                          "threshold_pct": 4}, "% of 1 send (w)", "% of {n} sends (w)"),
    ("alert-mailbox-disabled", "part", {"subject": "s", "rule": "auth_failures", "threshold": 1},
     "disabled: 1 login failure in a row", "disabled: {n} login failures in a row"),
    ("alert-mailbox-disabled", "part", {"subject": "s", "rule": "smtp_errors", "threshold": 1},
     "disabled: 1 SMTP error today", "disabled: {n} SMTP errors today"),
    ("alert-sending-paused", "part", {"subject": "s", "sample": 40, "rate_pct": 5, "threshold_pct": 4},
     "1 of 40 attempts today failed or was blocked", "{n} of 40 attempts today failed or were blocked"),
    ("report-period-range", "days", {"start": "a", "end": "b"}, "(1 day)", "({n} days)"),
    ("alert-reserve-empty", "buy_weeks", {"domain": "a.ru", "campaigns": 1, "warming": 0},
     "buy a domain and warm it up, about 1 week.", "about {n} weeks."),
    ("reserve-short-buy", "weeks", {"buy": 1}, "ready in about 1 week (", "ready in about {n} weeks ("),
    ("alert-mailbox-auth-disabled", "failures", {"mailbox": "m", "via": "smtp", "reason": "r"},
     "refused its login 1 time in a row", "refused its login {n} times in a row"),
    ("alert-send-unknown", "count", {"mailbox": "m", "reason": "r"},
     "1 message with an unknown outcome. Sending was interrupted and it is not in the Sent folder (r). It is not",
     "{n} messages with an unknown outcome. Sending was interrupted and they are not in the Sent folder (r). They"),
    ("warmup-title", "total", {}, "Warmup: 1 mailbox$", "Warmup: {n} mailboxes$"),
]  # fmt: skip


@pytest.mark.parametrize(("key", "count", "params", "one", "other"), CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_an_english_count_agrees_with_its_number(
    key: str, count: str, params: dict[str, object], one: str, other: str
) -> None:
    assert _reads(EN(key, **params, **{count: 1}), one)
    for n in (2, 21):
        assert _reads(EN(key, **params, **{count: n}), other.format(n=n))


def _reads(text: str, part: str) -> bool:
    return text.endswith(part[:-1]) if part.endswith("$") else part in text


def test_a_grouped_number_still_selects_by_its_value() -> None:
    """Fluent shows 1,200 with a separator but picks the form from the number: "1,200 campaign emails"."""
    text = EN("capacity-today", emails=1200, senders=10, mailboxes=1001, warmup=1)
    assert "Today: 1,200 campaign emails from 10 of 1,001 mailboxes (besides 1 warmup email)." in text


def test_a_one_character_body_is_named_as_one_character() -> None:
    """The content check passes the length as a number, so the finding reads "1 character", not "1 characters"."""
    findings = check_content([("Hello", "x")], known_fields=(), locale="en", has_identity=True)
    short = next(f for f in findings if f.key == "content-body-too-short")
    assert f"(1 character, under {BODY_MIN_CHARS})" in EN(short.key, **short.params)

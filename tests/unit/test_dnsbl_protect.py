"""When a listing counts as cleared, what a swap proposal says, and which DNS verdicts are wrong: pure rules."""

from __future__ import annotations

import pytest

from engine.dns.dnsbl import DnsblResult
from engine.domains.blacklists import listing_cleared, listing_detail
from engine.domains.protect import is_wrong
from models.enums import DnsVerdict, ListingResult

L, C, E = ListingResult.LISTED, ListingResult.CLEAN, ListingResult.ERROR


def answers(**results: ListingResult) -> list[DnsblResult]:
    return [DnsblResult("burned.test", zone.replace("_", "."), result) for zone, result in results.items()]


@pytest.mark.parametrize(
    ("previous", "now", "cleared"),
    [
        ({"a.test": L}, answers(a_test=C), True),
        ({"a.test": L, "b.test": C}, answers(a_test=C, b_test=C), True),
        ({"a.test": L}, answers(a_test=E), False),  # could not check is not "not listed"
        ({"a.test": L, "b.test": L}, answers(a_test=C, b_test=E), False),
        ({"a.test": L}, answers(a_test=C, b_test=L), False),  # listed elsewhere now
        ({"a.test": C}, answers(a_test=C), False),  # nothing was listed: nothing to resolve
        ({}, answers(a_test=C), False),
        ({"gone.test": L}, answers(a_test=C), False),  # the list that listed it is not asked any more
    ],
)
def test_a_listing_clears_only_when_every_list_that_listed_it_says_not_listed(
    previous: dict[str, ListingResult], now: list[DnsblResult], cleared: bool
) -> None:
    assert listing_cleared(previous, now) is cleared


def test_the_proposal_keeps_listed_clean_and_could_not_check_apart() -> None:
    results = [
        DnsblResult("burned.test", "a.test", L, ("127.0.0.2",), ("dnsbl-code-uribl-black",)),
        DnsblResult("burned.test", "b.test", C),
        DnsblResult("burned.test", "c.test", E, (), ("dnsbl-error-timeout",)),
        DnsblResult("burned.test", "d.test", E, ("127.255.255.254",), ("dnsbl-error-public-resolver",)),
        DnsblResult("burned.test", "e.test", L, ("127.0.0.4",), ("dnsbl-code-uribl-grey",)),
    ]
    assert listing_detail([results[0], results[4]], results) == {
        "zone": "a.test",
        "code": "127.0.0.2",
        "meanings": ["dnsbl-code-uribl-black"],
        "listed": ["a.test", "e.test"],
        "clean": ["b.test"],
        "unchecked": {"c.test": "timeout", "d.test": "public-resolver"},
    }


def test_unanswered_lookups_are_never_wrong_records() -> None:
    assert [v for v in DnsVerdict if is_wrong(v)] == [
        DnsVerdict.MISSING,
        DnsVerdict.MISMATCH,
        DnsVerdict.INVALID,
        DnsVerdict.DUPLICATE,
        DnsVerdict.NXDOMAIN,
    ]

"""The reserve pool's pure policy: when a reserve domain is ready, which ready reserve replaces a burned domain,
what a shortfall would take, and the pool line in both languages."""

from __future__ import annotations

import datetime as dt

import pytest

from engine.domains.reserve import (
    SETUP_WEEKS,
    Candidate,
    NotReady,
    PoolCounts,
    ReserveFacts,
    best_reserve,
    pool_params,
    readiness,
    reserve_target,
    shortfall,
    weeks_left,
)
from engine.domains.state import Health
from engine.i18n import translator
from models.enums import DnsVerdict, DomainStatus, MailProvider

OK = {"mx": DnsVerdict.OK, "spf": DnsVerdict.OK, "dkim": DnsVerdict.OK, "dmarc": DnsVerdict.OK}


def facts(**kw: object) -> ReserveFacts:
    values: dict[str, object] = {"status": DomainStatus.WARMING, "dns": OK, "blacklist": Health.OK, "graduated": 2}
    return ReserveFacts(**{**values, **kw})  # type: ignore[arg-type]


def test_a_clean_unlisted_domain_with_a_graduated_mailbox_is_ready() -> None:
    assert readiness(facts()) == ()
    assert readiness(facts(status=DomainStatus.ACTIVE, blacklist=Health.PARTIAL, graduated=1)) == ()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"dns": {}}, NotReady.DNS_UNCHECKED),
        ({"dns": {**OK, "spf": DnsVerdict.MISMATCH}}, NotReady.DNS_BAD),
        ({"dns": {**OK, "dkim": DnsVerdict.TIMEOUT}}, NotReady.DNS_UNKNOWN),  # inconclusive is not ready
        ({"dns": {**OK, "mx": DnsVerdict.SERVFAIL}}, NotReady.DNS_UNKNOWN),
        ({"blacklist": Health.BAD}, NotReady.LISTED),
        ({"blacklist": Health.UNKNOWN}, NotReady.BLACKLIST_UNKNOWN),
        ({"graduated": 0}, NotReady.NO_GRADUATED),
        ({"status": DomainStatus.COOLING}, NotReady.STATUS),
        ({"status": DomainStatus.DNS_PENDING}, NotReady.STATUS),
    ],
)
def test_each_rule_holds_a_reserve_back(change: dict[str, object], reason: NotReady) -> None:
    assert readiness(facts(**change)) == (reason,)


def test_a_wrong_record_outweighs_one_that_could_not_be_checked() -> None:
    assert readiness(facts(dns={**OK, "spf": DnsVerdict.MISSING, "dkim": DnsVerdict.TIMEOUT})) == (NotReady.DNS_BAD,)


def test_the_best_reserve_has_most_graduated_then_best_placement_then_same_provider() -> None:
    y, m = MailProvider.YANDEX360, MailProvider.MAILRU
    many = Candidate(1, "many.test", 5, 0.50, m)
    few = Candidate(2, "few.test", 3, 0.99, y)
    assert best_reserve([few, many], y) == many  # graduated mailboxes first
    good = Candidate(3, "good.test", 5, 0.90, m)
    assert best_reserve([many, good], y) == good  # then placement
    unmeasured = Candidate(4, "new.test", 5, None, y)
    assert best_reserve([unmeasured, many], y) == many  # a measured placement beats none (never read as 0 %)
    twin = Candidate(5, "twin.test", 5, 0.90, y)
    assert best_reserve([good, twin], y) == twin  # then the burned domain's provider
    assert best_reserve([twin, good], m) == good
    assert best_reserve([], y) is None


def test_the_target_is_a_share_of_the_active_pool_or_the_workspace_setting() -> None:
    assert reserve_target(0) == 0
    assert reserve_target(3) == 1
    assert reserve_target(41) == 7
    assert reserve_target(41, 2) == 2
    assert reserve_target(41, "lots") == 7
    assert reserve_target(41, True) == 7
    # domains cooled by protection are in use and may need a reserve now: never "0 wanted" while one waits
    assert reserve_target(0, cooling=1) == 1
    assert reserve_target(10, cooling=4) == 4 and reserve_target(36, cooling=4) == 6
    assert reserve_target(0, 0, cooling=3) == 0  # the workspace's own setting stands


def test_the_shortfall_counts_warming_reserves_before_buying() -> None:
    enough = shortfall(PoolCounts(ready=3), target=3, warming_weeks=[])
    assert not enough.short and enough.buy == 0
    short = shortfall(PoolCounts(ready=1), target=4, warming_weeks=[2, 5])
    assert (short.missing, short.warming, short.warming_weeks, short.buy) == (3, 2, 2, 1)
    assert short.buy_weeks == SETUP_WEEKS + 6
    none_warming = shortfall(PoolCounts(), target=1, warming_weeks=[])
    assert (none_warming.buy, none_warming.warming_weeks) == (1, None)


def test_weeks_left_round_up_and_never_go_negative() -> None:
    today = dt.date(2031, 3, 3)
    assert weeks_left(today - dt.timedelta(days=10), 6, today) == 5  # 32 days left
    assert weeks_left(today - dt.timedelta(days=60), 6, today) == 0
    assert weeks_left(None, 6, today) == 6


def test_the_pool_line_shows_every_number_in_both_languages() -> None:
    counts = PoolCounts(total=60, active=41, ready=9, warming=3, cooling=1, burned_month=2, other=4)
    assert counts + PoolCounts(total=1, ready=1) == PoolCounts(60 + 1, 41, 10, 3, 1, 2, 4)
    en = translator("en")("reserve-pool", **pool_params(counts))
    assert en == ("Of 60 domains: 41 active, 9 ready in reserve, 3 warming in reserve, 1 cooling, 2 burned this month.")
    ru = translator("ru")("reserve-pool", **pool_params(counts))
    for number in ("60", "41", "9", "3", "2"):
        assert number in ru
    assert "{" not in ru


def test_the_swap_request_names_the_numbers() -> None:
    payload = {
        "domain": "burned.test",
        "replacement": "spare.test",
        "campaigns": 2,
        "campaign_names": "Q1, Q2",
        "mailboxes": 3,
        "replacement_mailboxes": 4,
        "leads": 17,
        "renews": 0,
    }
    en = translator("en")("approval-domain-swap", **payload)
    assert "burned.test" in en and "spare.test" in en and "Q1, Q2" in en
    assert "4 graduated mailboxes" in en and "2 campaigns move" in en and "17 active sequences" in en
    ru = translator("ru")("approval-domain-swap", **payload)
    assert "spare.test" in ru and "17" in ru and "{" not in ru
    assert "#" not in en and "#" not in ru  # a first request renews none
    again = {**payload, "renews": 12}
    assert "request #12" in translator("en")("approval-domain-swap", **again)
    assert "запрос #12" in translator("ru")("approval-domain-swap", **again)

"""SPF: syntax, lookup counting through includes, and merging a provider include into one record."""

from __future__ import annotations

import pytest

from engine.dns.spf import (
    MAX_LOOKUPS,
    SpfAbsent,
    SpfFetcher,
    SpfRecord,
    count_lookups,
    is_spf,
    merge_include,
    parse_spf,
)


def keys(record: SpfRecord) -> list[str]:
    return [p.key for p in record.problems]


def test_valid_record_parses_into_terms() -> None:
    record = parse_spf("v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a mx:mx.example.com/24 include:_spf.yandex.net ~all")
    assert record.valid and keys(record) == []
    assert [t.name for t in record.mechanisms] == ["ip4", "ip6", "a", "mx", "include", "all"]
    assert record.all_term is not None and record.all_term.qualifier == "~"
    assert record.includes == ("_spf.yandex.net",)
    assert record.authorizes("_SPF.yandex.net.")
    assert record.own_lookups() == 3  # a, mx, include


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("v=spf2 -all", "dns-problem-spf-not-spf"),
        ("spf1 -all", "dns-problem-spf-not-spf"),
        ("v=spf1 include:_spf.yandex.net ~al", "dns-problem-spf-unknown-term"),
        ("v=spf1 ip4:300.1.1.1 -all", "dns-problem-spf-bad-term"),
        ("v=spf1 ip4:2001:db8::1 -all", "dns-problem-spf-bad-term"),
        ("v=spf1 include -all", "dns-problem-spf-bad-term"),
        ("v=spf1 a/33 -all", "dns-problem-spf-bad-term"),
        ("v=spf1 all:x", "dns-problem-spf-bad-term"),
        ("v=spf1 redirect=a.example redirect=b.example", "dns-problem-spf-modifier-repeated"),
    ],
)
def test_invalid_records_name_the_problem(text: str, problem: str) -> None:
    record = parse_spf(text)
    assert problem in keys(record)
    assert not record.valid


def test_terms_after_all_are_only_a_warning_and_macros_are_allowed() -> None:
    record = parse_spf("v=spf1 exists:%{i}._spf.%{d} -all mx")
    assert record.valid
    assert keys(record) == ["dns-problem-spf-after-all"]


def test_redirect_counts_only_without_all() -> None:
    assert parse_spf("v=spf1 redirect=_spf.yandex.net").own_lookups() == 1
    assert parse_spf("v=spf1 redirect=_spf.yandex.net").authorizes("_spf.yandex.net")
    with_all = parse_spf("v=spf1 -all redirect=_spf.yandex.net")
    assert with_all.own_lookups() == 0 and with_all.redirect is None


def test_is_spf_needs_the_exact_version_term() -> None:
    assert is_spf("v=spf1 -all") and is_spf("V=SPF1") and is_spf("v=spf1")
    assert not is_spf("v=spf10 -all") and not is_spf("google-site-verification=abc") and not is_spf("v=DMARC1")


def fetcher_for(records: dict[str, str]) -> SpfFetcher:
    """SPF records served from a dict, as `count_lookups` would read them from DNS."""

    async def fetch(domain: str) -> SpfRecord | None:
        return parse_spf(records[domain]) if domain in records else None

    return fetch


async def test_lookups_are_counted_through_includes_and_redirects() -> None:
    fetch = fetcher_for(
        {
            "a.test": "v=spf1 include:b.test include:c.test mx -all",  # 3
            "b.test": "v=spf1 a ip4:192.0.2.1 -all",  # 1
            "c.test": "v=spf1 redirect=d.test",  # 1
            "d.test": "v=spf1 ptr -all",  # 1
        }
    )
    count = await count_lookups(parse_spf("v=spf1 include:a.test include:missing.test include:b.test ~all"), fetch)
    assert count.total == 3 + 3 + 1 + 1 + 1 + 1  # b.test is included twice and counted twice
    assert count.unresolved == ("missing.test",)
    assert not count.over_limit


async def test_void_lookups_are_named_through_includes_and_bare_terms_ask_about_their_own_domain() -> None:
    """RFC 7208 4.6.4: a lookup that finds nothing is void; a bare `a`/`mx` asks about the domain whose record it
    is in; an include of a name with no TXT at all is void too; a lookup that failed is not counted."""
    records = {"inc.test": "v=spf1 a mx:gone.test -all"}

    async def fetch(domain: str) -> SpfRecord | SpfAbsent | None:
        return parse_spf(records[domain]) if domain in records else SpfAbsent("none", void=True)

    empty = {("a", "inc.test"), ("mx", "gone.test"), ("a", "top.test"), ("exists", "x.test")}

    async def probe(mechanism: str, name: str) -> bool | None:
        return None if name == "failing.test" else (mechanism, name) in empty

    record = parse_spf("v=spf1 a a:failing.test mx exists:x.test include:inc.test include:nowhere.test ~all")
    count = await count_lookups(record, fetch, domain="top.test", probe=probe)
    assert count.void == ("a:top.test", "exists:x.test", "include:nowhere.test", "a:inc.test", "mx:gone.test")
    assert count.over_void_limit
    assert (await count_lookups(record, fetch)).void == ("include:nowhere.test",)  # no probe: only what fetch saw


async def test_an_included_record_with_a_syntax_error_is_a_broken_include() -> None:
    """Receivers answer permerror for the whole evaluation when an included record does not parse; a record
    that only carries advice (terms after all) is evaluated as usual."""
    fetch = fetcher_for({"typo.test": "v=spf1 ip4:192.0.2.1 ~al", "late.test": "v=spf1 -all mx"})
    count = await count_lookups(parse_spf("v=spf1 include:typo.test include:late.test ~all"), fetch)
    assert count.broken == (("typo.test", "invalid"),)
    assert count.total == 2 + 1  # late.test's mx is counted, typo.test is not followed


async def test_more_than_ten_lookups_is_over_the_limit_and_loops_terminate() -> None:
    chain = {f"n{i}.test": f"v=spf1 a mx include:n{i + 1}.test -all" for i in range(10)}
    chain["n10.test"] = "v=spf1 include:n0.test -all"  # a loop back to the start
    count = await count_lookups(parse_spf("v=spf1 include:n0.test -all"), fetcher_for(chain))
    assert count.total > MAX_LOOKUPS and count.over_limit


async def test_exactly_ten_lookups_is_allowed() -> None:
    record = parse_spf("v=spf1 " + " ".join(f"a:h{i}.test" for i in range(10)) + " -all")
    assert (await count_lookups(record, fetcher_for({}))).total == MAX_LOOKUPS
    assert not (await count_lookups(record, fetcher_for({}))).over_limit


@pytest.mark.parametrize(
    ("existing", "merged"),
    [
        ([], "v=spf1 include:_spf.yandex.net ~all"),
        (["v=spf1 ip4:192.0.2.10 -all"], "v=spf1 ip4:192.0.2.10 include:_spf.yandex.net -all"),
        (["v=spf1 include:_spf.yandex.net ~all"], "v=spf1 include:_spf.yandex.net ~all"),
        (["v=spf1 redirect=_spf.yandex.net"], "v=spf1 redirect=_spf.yandex.net"),
        (["v=spf1 redirect=_spf.mail.ru"], "v=spf1 include:_spf.yandex.net redirect=_spf.mail.ru"),
        (["google-site-verification=x", "v=spf1 mx -all"], "v=spf1 mx include:_spf.yandex.net -all"),
        (["v=spf1 mx +all"], "v=spf1 mx include:_spf.yandex.net ~all"),  # "+all" lets anyone send
        (["v=spf1 mx all"], "v=spf1 mx include:_spf.yandex.net ~all"),
        (
            ["v=spf1 ip4:192.0.2.10 ~all", "v=spf1 include:_spf.mail.ru mx -all", "v=spf1 redirect=other.test"],
            "v=spf1 ip4:192.0.2.10 include:_spf.mail.ru mx include:other.test include:_spf.yandex.net ~all",
        ),
    ],
)
def test_merge_keeps_one_record_that_authorizes_the_include(existing: list[str], merged: str) -> None:
    result = merge_include(existing, "_spf.yandex.net")
    assert result == merged
    assert parse_spf(result).valid and parse_spf(result).authorizes("_spf.yandex.net")


async def test_the_domains_reached_at_any_depth_are_named() -> None:
    """An agency's own SPF (`include:_spf.agency.test`) that includes the provider authorizes the provider as
    much as an include in the domain's record does: receivers follow it the same way."""
    fetch = fetcher_for(
        {
            "_spf.agency.test": "v=spf1 ip4:192.0.2.1 include:_spf.yandex.net ~all",
            "_spf.yandex.net": "v=spf1 ip4:77.88.0.0/18 -all",
            "hub.test": "v=spf1 redirect=_SPF.Agency.test.",
        }
    )
    nested = await count_lookups(parse_spf("v=spf1 include:hub.test -all"), fetch)
    assert nested.reached == ("hub.test", "_spf.agency.test", "_spf.yandex.net")
    assert nested.reaches("_SPF.yandex.net.") and not nested.reaches("_spf.mail.ru")


def test_merge_adds_no_include_the_record_already_reaches_through_its_own() -> None:
    served = ["v=spf1 include:_spf.agency.test ~all"]
    reached = ("_spf.agency.test", "_spf.yandex.net")
    assert merge_include(served, "_spf.yandex.net", reached=reached) == served[0]
    assert merge_include(served, "_spf.mail.ru", reached=reached) == (
        "v=spf1 include:_spf.agency.test include:_spf.mail.ru ~all"
    )
    twice = [*served, "v=spf1 mx -all"]  # two records: broken whatever they reach, folded into one as before
    assert "include:_spf.yandex.net" in merge_include(twice, "_spf.yandex.net", reached=reached)

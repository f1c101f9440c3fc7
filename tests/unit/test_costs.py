"""The cost model: the brief's defaults, overrides (agency under workspace), bounds, the SaaS comparison, and money
shown with the locale's digit grouping."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.costs import CostSettings, Fleet, monthly, parse, rub
from engine.errors import UserError
from engine.i18n import translator

NNBSP = "\u202f"


def test_defaults_are_the_briefs_midpoints_for_1200_mailboxes_on_60_domains() -> None:
    cost = monthly(CostSettings(), Fleet(domains=60, mailboxes=1200))
    assert cost.domains == Decimal(5250)  # 60 × 1,050 ₽ / 12
    assert cost.mailboxes == Decimal(90000)  # 1,200 × 75 ₽
    assert cost.servers == Decimal(4200)  # 3 × 1,400 ₽
    assert cost.total == Decimal(99450)
    assert cost.saas_total == Decimal(115250)  # the SaaS plan (20,000 ₽) instead of the servers
    assert cost.per_mailbox == Decimal("82.875")


def test_a_workspace_carries_its_share_of_the_servers_and_the_saas_plan() -> None:
    cost = monthly(CostSettings(saas_seat_month=100), Fleet(domains=1, mailboxes=10), server_share=Decimal("0.25"))
    assert cost.servers == Decimal(1050)
    assert cost.saas == Decimal(5000) + Decimal(1000)  # a quarter of the plan, plus 10 seats
    assert monthly(CostSettings(), Fleet(0, 0)).per_mailbox is None


def test_the_workspace_overrides_the_agency_which_overrides_the_defaults() -> None:
    agency = {"mailbox_month": 60, "domain_year": "900"}
    settings = CostSettings.resolve(agency, {"costs": {"mailbox_month": 90}})
    assert (settings.mailbox_month, settings.domain_year, settings.servers) == (90, 900, 3)
    assert CostSettings.resolve(agency, {"other": 1}).mailbox_month == 60


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [("mailbox_month", "90", 90), ("domain_year", "1 050 ₽", 1050), ("saas_month", "20_000", 20000), ("servers", 4, 4)],
)
def test_values_within_bounds_are_parsed(name: str, value: object, expected: int) -> None:
    assert parse(name, value) == expected


@pytest.mark.parametrize("value", ["5001", "-1", "abc", "1.5", "", "٣", True])
def test_values_out_of_bounds_or_not_whole_numbers_are_refused(value: object) -> None:
    with pytest.raises(UserError) as caught:
        parse("mailbox_month", value)
    assert caught.value.key == "error-cost-setting"
    assert caught.value.params["low"] == 0 and caught.value.params["high"] == 5000


@pytest.mark.parametrize("value", ["90 руб", "90 руб.", "90р", "90 р.", "90 RUB", "90 ₽"])
def test_a_price_in_roubles_is_taken_however_the_roubles_are_written(value: str) -> None:
    """`/cost_set mailbox_month 90 руб` was refused as "not a whole number from 0 to 5000"; only "₽" was taken."""
    assert parse("mailbox_month", value) == 90


@pytest.mark.parametrize("value", ["5 $", "$5", "5 USD", "€ 5", "5 eur", "5 евро", "5 долларов"])
def test_a_price_in_another_currency_is_refused_as_such(value: str) -> None:
    """`/cost_set mailbox_month 5 $` answered "cannot be “5 $”: a whole number from 0 to 5000" — it was one; the
    answer now says that prices are in roubles."""
    with pytest.raises(UserError) as caught:
        parse("mailbox_month", value)
    assert caught.value.key == "error-cost-currency" and caught.value.params["value"] == value
    for locale in ("ru", "en"):
        said = translator(locale)("error-cost-currency", **caught.value.params)
        assert value in said and ("рубл" in said if locale == "ru" else "roubles" in said)


def test_an_unknown_price_is_named() -> None:
    with pytest.raises(UserError) as caught:
        CostSettings().with_values({"vps": 1})
    assert caught.value.key == "error-cost-setting-unknown" and "mailbox_month" in caught.value.params["known"]


def test_money_is_whole_roubles_grouped_as_the_locale_does() -> None:
    assert rub(Decimal("99450"), "ru") == f"99{NNBSP}450{NNBSP}₽"
    assert rub(Decimal("1234567.5"), "en") == f"1,234,568{NNBSP}₽"
    assert rub(Decimal("87.5"), "ru") == f"88{NNBSP}₽"  # half up, never banker's rounding
    assert rub(0, "ru") == f"0{NNBSP}₽"


@pytest.mark.parametrize(
    ("domains", "mailboxes", "said"),
    [(1, 21, "1 домен, 21 ящик"), (3, 24, "3 домена, 24 ящика"), (5, 11, "5 доменов, 11 ящиков"), (0, 0, "0 доменов")],
)
def test_the_agency_line_of_a_workspace_agrees_in_russian(domains: int, mailboxes: int, said: str) -> None:
    """/cost all read 'доменов 1, ящиков 21': the nouns agree with their numbers."""
    line = translator("ru")(
        "cost-workspace-line", workspace="acme", total="1 ₽", domains=domains, mailboxes=mailboxes, saas_total="2 ₽"
    )
    assert said in line

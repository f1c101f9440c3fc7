"""Chart data shaping (top domains and "other", rates with gaps, periods) and CSV safety (BOM, `;`, formulas)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from types import SimpleNamespace
from typing import cast

import pytest

from bot.command import Ctx
from bot.handlers import charts as charts_handler
from engine.access import SYSTEM, Actor
from engine.charts import data
from engine.errors import UserError
from engine.exports import BOM, CsvWriter, _percent, safe_cell
from engine.i18n import translator
from engine.monitoring.metrics import Counts, Minimums
from models.enums import Platform, Role

LAST = dt.date(2026, 12, 2)


def test_day_range_ends_on_the_last_day_oldest_first() -> None:
    assert data.day_range(LAST, 3) == [dt.date(2026, 11, 30), dt.date(2026, 12, 1), LAST]


@pytest.mark.parametrize(
    ("text", "days"),
    [
        (None, 14),
        ("7", 7),
        ("30d", 30),
        ("30д", 30),
        ("2w", 14),
        ("92", 92),
        ("14 дней", 14),
        ("2 недели", 14),
        ("3 weeks", 21),
    ],
)
def test_periods(text: str | None, days: int) -> None:
    assert data.parse_period(text) == days


@pytest.mark.parametrize("text", ["0", "93", "-1", "abc", "1.5", "٣", "1000000000000"])
def test_a_period_out_of_range_is_refused(text: str) -> None:
    with pytest.raises(UserError) as err:
        data.parse_period(text)
    assert err.value.key == "chart-error-period"


def test_volume_keeps_the_top_domains_by_name_and_sums_the_rest_as_other() -> None:
    days = data.day_range(LAST, 2)
    sent = {f"d{i}.test": {days[0]: i, days[1]: 10 * i} for i in range(9)}  # d0 sent nothing
    v = data.volume(days, sent, top=3)
    assert list(v.series) == ["d8.test", "d7.test", "d6.test", data.OTHER]
    assert v.series["d8.test"] == (8, 80)
    assert v.series[data.OTHER] == (1 + 2 + 3 + 4 + 5, 10 + 20 + 30 + 40 + 50)
    assert v.total == sum(i + 10 * i for i in range(9))


def test_volume_without_other_when_few_domains_and_a_missing_day_is_zero_sends() -> None:
    days = data.day_range(LAST, 3)
    v = data.volume(days, {"a.test": {LAST: 5}, "idle.test": {}})
    assert v.series == {"a.test": (0, 0, 5)}


def test_rates_leave_days_without_enough_sends_as_gaps_never_zero() -> None:
    days = data.day_range(LAST, 3)
    rows = {
        days[0]: Counts(sent=100, replies=5, bounces_hard=2, bounces_soft=1, bounces_block=4),
        days[1]: Counts(sent=3, replies=0),  # too few sends: unknown, not 0 %
    }  # days[2]: no row at all
    r = data.rates(days, rows)
    assert r.series["reply"] == (0.05, None, None)
    assert r.series["hard_bounce"] == (0.02, None, None)  # hard bounces only: the rate the rule judges
    assert r.series["block"] == (0.04, None, None)
    assert r.measured
    assert not data.rates(days, {days[1]: Counts(sent=3)}).measured


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_a_rates_chart_of_too_few_sends_says_so_not_no_data(locale: str) -> None:
    """A new workspace sent 5 emails today; `/chart rates 1` read "No data for this period" while /report said
    "Sent: 5 · too few sends to judge". The picture now says how many went out and that it is too few to tell."""
    t = translator(locale)
    ctx = cast(Ctx, SimpleNamespace(t=t, actor=SYSTEM))
    days = data.day_range(LAST, 1)
    few = data.rates(days, {LAST: Counts(sent=5, bounces_hard=5)})
    assert not few.measured and few.sent == 5
    said = charts_handler._labels(ctx, "rates", 1, few)["empty"]
    assert said == t("chart-rates-too-few", sent=5) and "5" in said and said != t("chart-empty")
    nothing = data.rates(days, {})  # nothing sent at all: no data, as before
    assert charts_handler._labels(ctx, "rates", 1, nothing)["empty"] == t("chart-empty")

    from PIL import Image  # noqa: PLC0415

    from engine.charts import render  # noqa: PLC0415  (matplotlib: slow to import)

    # the longer text stays inside the chart's box, which keeps the picture's width (matplotlib wrapped it at the
    # figure's edge and narrowed the box around it)
    image = Image.open(io.BytesIO(render.rates_png(few, charts_handler._labels(ctx, "rates", 1, few)))).convert("L")
    frame = [x for x in range(image.width) if image.getpixel((x, image.height // 3)) < 100]  # the box's sides
    assert min(frame) < 0.05 * image.width and max(frame) > 0.95 * image.width


def test_bounce_and_block_points_need_the_sends_the_rules_judge_them_from() -> None:
    """/health said "too few sends to judge (25 of 40)" for a day the rates chart drew as 8 % bounces and 0 %
    blocks (it drew from 20 sends): bounce and block points need the workspace's rule minimums, replies its own."""
    days = data.day_range(LAST, 3)
    rows = {
        days[0]: Counts(sent=25, replies=1, bounces_hard=2),  # /health: too few for either rule
        days[1]: Counts(sent=45, replies=2, bounces_hard=3),  # enough for blocks (40), not for bounces (50)
        days[2]: Counts(sent=60, replies=3, bounces_hard=3, bounces_block=6),
    }
    r = data.rates(days, rows, Minimums(hard_bounce=50, block=40))
    assert r.series["hard_bounce"] == (None, None, 0.05)
    assert r.series["block"] == (None, 0.0, 0.1)
    assert r.series["reply"] == (0.04, pytest.approx(2 / 45), 0.05)  # no rule for replies: from 20 sends
    day = data.day_rates(rows[days[1]], Minimums(hard_bounce=50, block=40))
    assert (day["hard_bounce"].min_sample, day["block"].min_sample, day["reply"].min_sample) == (50, 40, 20)


def test_warmup_checks_per_day() -> None:
    days = data.day_range(LAST, 2)
    w = data.warmup({"warming": 3}, days, {LAST: Counts(warmup_inbox=9, warmup_spam=1)})
    assert (w.inbox, w.spam) == ((0, 9), (0, 1))


@pytest.mark.parametrize(
    ("value", "safe"),
    [("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"), ("+7 999", "'+7 999"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
     ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("Анна", "Анна"), ("a=b", "a=b"), (-5, -5), (3, 3), ("", "")],
)  # fmt: skip
def test_formula_like_text_is_quoted_numbers_are_not(value: object, safe: object) -> None:
    assert safe_cell(value) == safe


@pytest.mark.parametrize(
    "value",
    ['＝HYPERLINK("x")', "＋7 999", "－2", "＠SUM(A1)", "  =1+1", " \t@x", "\u00a0=1", "\u3000＝1", "\n=1", "\n"],
)
def test_formula_after_spaces_full_width_or_a_line_feed_is_quoted(value: str) -> None:
    """Excel and LibreOffice skip leading spaces before a formula sign; an East Asian Excel reads ＝ as =; OWASP
    lists a line feed first beside a tab and a carriage return."""
    assert safe_cell(value) == "'" + value


def test_csv_has_a_bom_semicolons_cyrillic_and_quoted_formulas() -> None:
    w = CsvWriter(["Email", "Компания"])
    w.write([["anna@x.test", "ООО «Ромашка»; филиал"], ["=cmd|'/c calc'!A0", "@x"]])
    raw = w.getvalue()
    assert raw.startswith(BOM.encode())
    text = raw.decode("utf-8-sig")
    assert text.splitlines()[0] == "Email;Компания"
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows == [["Email", "Компания"], ["anna@x.test", "ООО «Ромашка»; филиал"], ["'=cmd|'/c calc'!A0", "'@x"]]
    assert w.rows == 2


def test_csv_refuses_past_its_limit() -> None:
    w = CsvWriter(["a"], max_bytes=100)
    w.write([["x" * 10]] * 5)
    with pytest.raises(UserError) as err:
        w.write([["x" * 10]] * 10)
    assert err.value.key == "export-too-big"


LONG_IDN = "очень-длинное-имя-домена-для-проверки-графика-и-подписей-тест.рф"


def test_long_domain_names_keep_the_volume_chart_readable() -> None:
    """Two 63-character domain names among the top six pushed the legend past the picture: the bars shrank to a
    sliver and the names were cut at the picture's edge, mid-word. A legend name is now shortened in the middle,
    marked with "…", keeping its start and its zone."""
    from engine.charts import render  # noqa: PLC0415  (matplotlib: slow to import)

    days = data.day_range(dt.date(2026, 11, 30), 14)
    names = [LONG_IDN, "b" * 63 + ".com", "пример.рф", "d.ru", "e.ru", "f.ru", "g.ru"]
    volume = data.volume(days, {n: dict.fromkeys(days, 100 - i) for i, n in enumerate(names)})
    labels = {"title": "t", "empty": "-", "axis": "a", "other": "остальные домены"}
    assert render.volume_png(volume, labels).startswith(b"\x89PNG")  # no "axes collapsed" warning (an error here)
    short = render.legend_name(LONG_IDN)
    assert len(short) <= render.LEGEND_CHARS and "…" in short
    assert short.startswith("очень-длинное") and short.endswith("тест.рф")
    assert render.legend_name("пример.рф") == "пример.рф"


def test_the_bounce_line_is_the_hard_bounce_rate_its_minimum_is_about() -> None:
    """The rates chart drew hard and soft bounces together (16 % of 50) from the hard-bounce rule's minimum, a rate
    no rule judges: its line is the hard-bounce rate (2 %), soft bounces and blocks are not in it."""
    counts = Counts(sent=50, bounces_hard=1, bounces_soft=7, bounces_block=2)
    day = data.day_rates(counts, Minimums(hard_bounce=40, block=40))
    assert (day["hard_bounce"].part, day["hard_bounce"].sample, day["hard_bounce"].min_sample) == (1, 50, 40)
    assert day["block"].value == pytest.approx(0.04)
    assert set(data.RATE_NAMES) == set(day) == {"reply", "hard_bounce", "block"}


@pytest.mark.parametrize(
    ("locale", "title", "legend"),
    [
        ("ru", "Ответы, жёсткие отказы и блокировки за 14 дн.", "жёсткие отказы"),
        ("en", "Replies, hard bounces and blocks, last 14 days", "hard bounces"),
    ],
)
def test_the_rates_chart_names_its_bounce_line_hard_bounces(locale: str, title: str, legend: str) -> None:
    labels = charts_handler._labels(cast(Ctx, SimpleNamespace(t=translator(locale))), "rates", 14)
    assert labels["title"] == title and labels["hard_bounce"] == legend
    assert set(data.RATE_NAMES) <= set(labels)


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_an_empty_pool_chart_sends_only_a_manager_to_add_domains(locale: str) -> None:
    """A client's empty pool chart told them to run /domain_add, which their role does not allow."""
    client = Actor(person_id=7, platform=Platform.TELEGRAM, role=Role.CLIENT, workspace_id=1, locale=locale)
    t = translator(locale)
    for actor, key in ((client, "chart-pool-empty-client"), (SYSTEM, "chart-pool-empty")):
        labels = charts_handler._labels(cast(Ctx, SimpleNamespace(t=t, actor=actor)), "pool", 14)
        assert labels["empty"] == t(key)
    assert "/domain_add" not in t("chart-pool-empty-client") and "/domain_add" in t("chart-pool-empty")


@pytest.mark.parametrize(
    ("part", "sample", "locale", "shown"),
    [
        (1, 3000, "en", "0.03"),
        (1, 3000, "ru", "0,03"),
        (0, 3000, "en", "0.0"),
        (1, 30, "en", "3.3"),
        (3, 10, "en", "-"),
    ],
)
def test_a_campaign_results_percent_is_never_zero_beside_a_count(
    part: int, sample: int, locale: str, shown: str
) -> None:
    """/export_campaign wrote 'Hard bounces: 1; Hard bounces, %: 0.0' for 1 of 3,000 sends, where /report says
    0.03 %; below the minimum sample it is 'not enough data', never a percent."""
    assert _percent(part, sample, "-", locale) == shown


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_the_warmup_stage_names_leave_the_checks_chart_the_pictures_width(locale: str) -> None:
    """The stage names ("готовы, перейдут в работу при следующей проверке") sat on one line left of the stage bars
    and, the two charts sharing one column, squeezed the daily checks below into the right sixth of the picture,
    both titles cut at its edge. The checks' bars now span most of the width."""
    from PIL import Image  # noqa: PLC0415

    from engine.charts import render  # noqa: PLC0415  (matplotlib: slow to import)

    labels = charts_handler._labels(cast(Ctx, SimpleNamespace(t=translator(locale))), "warmup", 30)
    days = data.day_range(dt.date(2026, 12, 3), 30)
    stages = dict.fromkeys((key.removeprefix("stage-") for key in labels if key.startswith("stage-")), 3)
    drawn = render.warmup_png(data.Warmup(stages, tuple(days), (400,) * 30, (20,) * 30), labels)
    image = Image.open(io.BytesIO(drawn)).convert("RGB")
    inbox = (0x2C, 0xA0, 0x2C)
    xs = [x for x in range(image.width) for y in range(image.height // 2, image.height, 25)
          if image.getpixel((x, y)) == inbox]  # fmt: skip
    assert max(xs) - min(xs) > 0.75 * render.WIDTH_PX


@pytest.mark.parametrize(("locale", "said"), [("ru", "ещё нет доменов"), ("en", "no domains yet")])
def test_an_empty_pool_chart_says_there_are_no_domains_not_no_data_for_a_period(locale: str, said: str) -> None:
    """The pool chart is the domains as they stand now: an empty one read "No data for this period"."""
    labels = charts_handler._labels(cast(Ctx, SimpleNamespace(t=translator(locale), actor=SYSTEM)), "pool", 14)
    assert said in labels["empty"]

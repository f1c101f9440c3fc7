"""Charts and exports on real PostgreSQL: DailyStat rows of the reader's own workspace become PNGs of 1080×1350 px
that PIL opens, with Russian labels drawn without a missing glyph; a campaign's results and leads become CSV files
Excel opens (BOM, `;`), paged and bounded; another workspace's campaign is "not found"."""

from __future__ import annotations

import csv
import datetime as dt
import io
import warnings
from collections.abc import Callable
from typing import Any

import pytest
from PIL import Image

from bot.runner import Runner
from engine import exports
from engine.access import Actor
from engine.charts import data, render, service
from engine.clock import FrozenClock
from engine.errors import NotFound, UserError
from models import Campaign, DailyStat, Domain, Enrollment, Event, Lead, Mailbox, OutboundMessage, Step, Workspace
from models.enums import (
    CampaignStatus,
    DomainStatus,
    EnrollmentState,
    EventKind,
    LeadVerdict,
    LegalBasis,
    MailboxStatus,
    MailProvider,
    MessageKind,
    MessageStatus,
    Platform,
    PoolRole,
    Role,
    StatScope,
    TlsMode,
)

pytestmark = pytest.mark.usefixtures("orm")

NOW = dt.datetime(2026, 12, 2, 21, 30, tzinfo=dt.UTC)  # already Dec 3 in Moscow
TODAY = dt.date(2026, 12, 3)
CLOCK = FrozenClock(NOW)


def reader(ws: Workspace, role: Role = Role.CLIENT) -> Actor:
    return Actor(person_id=1, platform=Platform.TELEGRAM, role=role, workspace_id=ws.id)


async def space(slug: str = "acme") -> Workspace:
    return await Workspace.create(slug=slug, name=slug.upper(), timezone="Europe/Moscow")


async def stat(ws: Workspace, scope: StatScope, scope_id: int, day: dt.date, **counters: int) -> None:
    await DailyStat.create(workspace=ws, scope=scope, scope_id=scope_id, day=day, **counters)


def drawn(draw: Callable[[Any, dict[str, str]], bytes], value: Any, labels: dict[str, str]) -> tuple[bytes, list[str]]:
    """The PNG, and every warning matplotlib gave while drawing it (a missing glyph is one)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        content = draw(value, labels)
    return content, [str(w.message) for w in caught]


def opened(content: bytes) -> Image.Image:
    assert content.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(content))
    image.load()
    return image


VOLUME_RU = {"title": "Отправлено по доменам за 7 дн.", "empty": "Нет данных", "other": "остальные домены",
             "axis": "писем в день"}  # fmt: skip


async def test_volume_of_the_readers_workspace_by_day_in_its_time_zone_as_a_phone_sized_png() -> None:
    ws, other = await space(), await space("rival")
    a = await Domain.create(workspace=ws, name="alpha.test", status=DomainStatus.ACTIVE)
    b = await Domain.create(workspace=ws, name="xn--80abm6c.test", status=DomainStatus.ACTIVE)
    theirs = await Domain.create(workspace=other, name="rival.test", status=DomainStatus.ACTIVE)
    await stat(ws, StatScope.DOMAIN, a.id, TODAY, sent=40)
    await stat(ws, StatScope.DOMAIN, a.id, TODAY - dt.timedelta(days=1), sent=30)
    await stat(ws, StatScope.DOMAIN, b.id, TODAY, sent=12)
    await stat(ws, StatScope.DOMAIN, a.id, TODAY - dt.timedelta(days=7), sent=999)  # before the period
    await stat(other, StatScope.DOMAIN, theirs.id, TODAY, sent=500)

    volume = await service.volume(reader(ws), CLOCK, 7)

    assert volume.days[-1] == TODAY and len(volume.days) == 7
    assert volume.series == {"alpha.test": (0, 0, 0, 0, 0, 30, 40), "бета.test": (0, 0, 0, 0, 0, 0, 12)}
    content, warned = drawn(render.volume_png, volume, VOLUME_RU)
    assert opened(content).size == (render.WIDTH_PX, render.HEIGHT_PX)
    assert not [w for w in warned if "missing" in w.lower()], warned


def test_a_glyph_the_font_lacks_is_caught_so_the_cyrillic_check_can_fail() -> None:
    volume = data.volume(data.day_range(TODAY, 2), {"a.test": {TODAY: 5}})
    _, warned = drawn(render.volume_png, volume, {**VOLUME_RU, "title": "漢字"})  # no CJK in DejaVu Sans
    assert [w for w in warned if "missing" in w.lower()]


async def test_rates_are_gaps_on_days_with_too_few_sends_and_every_chart_renders() -> None:
    ws = await space()
    await stat(ws, StatScope.WORKSPACE, ws.id, TODAY, sent=200, replies=10, bounces_hard=4, bounces_soft=6,
               bounces_block=2, warmup_inbox=18, warmup_spam=2)  # fmt: skip
    await stat(ws, StatScope.WORKSPACE, ws.id, TODAY - dt.timedelta(days=1), sent=5, replies=0)
    await Domain.create(workspace=ws, name="live.test", status=DomainStatus.ACTIVE)
    await Domain.create(workspace=ws, name="cool.test", status=DomainStatus.COOLING)
    await Domain.create(workspace=ws, name="spare.test", pool_role=PoolRole.RESERVE, status=DomainStatus.WARMING)

    rates = await service.rates(reader(ws), CLOCK, 3)
    assert rates.series["reply"] == (None, None, 0.05)
    assert rates.series["block"] == (None, None, 0.01)
    assert rates.series["hard_bounce"] == (None, None, 0.02)  # 4 hard of 200; soft bounces and blocks apart
    labels = {"title": "Ответы, жёсткие отказы и блокировки", "empty": "Нет данных", "reply": "ответы",
              "hard_bounce": "жёсткие отказы", "block": "блокировки",
              "gaps": "Пропуски — мало писем (не 0 %)"}  # fmt: skip
    content, warned = drawn(render.rates_png, rates, labels)
    assert opened(content).size == (1080, 1350) and not warned

    pool = await service.pool(reader(ws), CLOCK)
    assert (pool.parts["active"], pool.parts["cooling"], pool.parts["warming"]) == (1, 1, 1)
    pool_labels = {"title": "Домены", "empty": "Нет", "axis": "доменов", "target": "желаемый резерв",
                   **{p: f"часть {p}" for p in data.POOL_PARTS}}  # fmt: skip
    content, warned = drawn(render.pool_png, pool, pool_labels)
    assert opened(content).size == (1080, 1350) and not warned

    warm = await service.warmup(reader(ws), CLOCK, 3)
    assert (warm.inbox, warm.spam) == ((0, 0, 18), (0, 0, 2))
    warm_labels = {"title": "Прогрев", "empty": "Нет", "axis": "", "mailboxes": "ящиков", "checks": "Проверки",
                   "inbox": "входящие", "spam": "спам", "empty-checks": "Нет проверок",
                   **{f"stage-{s}": f"этап {s}" for s in warm.stages}}  # fmt: skip
    content = await render.png(render.warmup_png, warm, warm_labels)
    assert opened(content).size == (1080, 1350)


async def test_the_rates_chart_draws_bounces_and_blocks_from_the_workspaces_rule_minimums() -> None:
    """/health said "too few sends to judge" where /chart rates drew 6.7 % bounces and 0 % blocks: the chart's
    points need the sends the workspace's rules judge from (its own minimum over the default), as /health does."""
    ws = await space()
    ws.settings = {"thresholds": {"hard_bounce_min_sent": 50}}
    await ws.save()
    await stat(ws, StatScope.WORKSPACE, ws.id, TODAY - dt.timedelta(days=1), sent=25, replies=1, bounces_hard=2)
    await stat(ws, StatScope.WORKSPACE, ws.id, TODAY, sent=45, replies=0, bounces_hard=3)

    rates = await service.rates(reader(ws), CLOCK, 2)

    assert rates.series["hard_bounce"] == (None, None)  # 25 and 45 of the workspace's 50
    assert rates.series["block"] == (None, 0.0)  # 25 of the default 40: a gap, never 0 %
    assert rates.series["reply"] == (0.04, 0.0)  # no rule for replies: from 20 sends


# Exports ----------------------------------------------------------------------------------------------------------


async def campaign_with_results(ws: Workspace) -> Campaign:
    """Step 1 in variants A and B to 30 leads; step 2 to 2 of them. Lead 0 replied, lead 1 bounced, lead 2
    unsubscribed; lead 3's company starts like a formula."""
    domain = await Domain.create(workspace=ws, name="send.test", status=DomainStatus.ACTIVE)
    box = await Mailbox.create(
        workspace=ws, domain=domain, address="anna@send.test", provider=MailProvider.GENERIC, smtp_host="127.0.0.1",
        smtp_port=587, smtp_tls=TlsMode.STARTTLS, imap_host="127.0.0.1", imap_port=993, imap_tls=TlsMode.IMPLICIT,
        username="anna@send.test", secret_enc=b"x", status=MailboxStatus.ACTIVE,
    )  # fmt: skip
    c = await Campaign.create(workspace=ws, name="Весна", status=CampaignStatus.RUNNING)
    for position in (1, 2):
        await Step.create(campaign=c, position=position, variants=[{"subject": "s", "body": "b", "weight": 1}] * 2)
    sent_at = NOW - dt.timedelta(days=1)
    for i in range(30):
        company = '=HYPERLINK("http://evil")' if i == 3 else "ООО «Ромашка»"
        lead = await Lead.create(workspace=ws, email=f"lead{i:02}@x.test", first_name="Иван", last_name=f"№{i}",
                                 company=company, verdict=LeadVerdict.VALID, source="выставка",
                                 legal_basis=LegalBasis.CONTRACT if i else None, basis_note="договор 12")  # fmt: skip
        state = {0: EnrollmentState.REPLIED, 1: EnrollmentState.BOUNCED, 2: EnrollmentState.UNSUBSCRIBED}
        e = await Enrollment.create(campaign=c, lead=lead, state=state.get(i, EnrollmentState.ACTIVE), variant=i % 2,
                                    last_sent_at=sent_at)  # fmt: skip
        for step in (1, 2) if i < 2 else (1,):
            m = await OutboundMessage.create(
                kind=MessageKind.CAMPAIGN, workspace=ws, mailbox=box, lead=lead, enrollment=e, campaign=c,
                step_position=step, variant=i % 2, message_id=f"<{i}.{step}@send.test>", status=MessageStatus.SENT,
                scheduled_at=sent_at, sent_at=sent_at,
            )  # fmt: skip
            kind = {0: EventKind.REPLY, 1: EventKind.BOUNCE_HARD, 2: EventKind.UNSUBSCRIBE}.get(i)
            if kind is not None and step == 1:
                await Event.create(workspace=ws, kind=kind, mailbox=box, campaign=c, lead=lead, message=m,
                                   occurred_at=sent_at)  # fmt: skip
                await Event.create(workspace=ws, kind=kind, mailbox=box, campaign=c, lead=lead, message=m,
                                   occurred_at=sent_at)  # a second event of the same kind counts once  # fmt: skip
    return c


def rows_of(content: bytes) -> list[list[str]]:
    assert content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


async def test_campaign_results_per_step_and_variant_with_not_enough_data_rather_than_zero() -> None:
    ws = await space()
    c = await campaign_with_results(ws)

    found = await exports.campaign_results(reader(ws), "весна", CLOCK)

    assert found.filename == "Весна-results.csv"
    rows = rows_of(found.content)
    assert rows[0][:3] == ["Шаг", "Вариант", "Отправлено"]
    # step, variant, sent, replies, hard bounces, unsubscribes, reply %, hard bounce %, unsubscribe %
    assert rows[1:] == [
        ["1", "A", "15", "1", "0", "1", "мало данных", "мало данных", "мало данных"],
        ["1", "B", "15", "0", "1", "0", "мало данных", "мало данных", "мало данных"],
        ["2", "A", "1", "0", "0", "0", "мало данных", "мало данных", "мало данных"],
        ["2", "B", "1", "0", "0", "0", "мало данных", "мало данных", "мало данных"],
    ]
    en = Actor(person_id=1, platform=Platform.TELEGRAM, role=Role.MANAGER, workspace_id=ws.id, locale="en")
    await OutboundMessage.filter(campaign_id=c.id, step_position=2).update(variant=0)
    await OutboundMessage.filter(campaign_id=c.id, step_position=1).update(variant=0)
    rows = rows_of((await exports.campaign_results(en, "Весна", CLOCK)).content)
    assert rows[1] == ["1", "A", "30", "1", "1", "1", "3.3", "not enough data", "3.3"]  # bounces: the rule's 40
    rows = rows_of((await exports.campaign_results(reader(ws), "Весна", CLOCK)).content)
    assert rows[1][6:] == ["3,3", "мало данных", "3,3"]  # a Russian Excel reads "3,3" as a number, "3.3" as a date


async def test_the_results_bounce_rate_counts_from_the_workspaces_hard_bounce_minimum() -> None:
    """A campaign's results read "Bounces, %: 3.3" for 30 sends while /health said there were too few to judge
    hard bounces (40): the bounce rate counts from the workspace's hard-bounce minimum (its own over the default),
    replies and unsubscribes, which no rule judges, from 20 sends; "not enough data" in the reader's language."""
    ws = await space()
    c = await campaign_with_results(ws)
    await OutboundMessage.filter(campaign_id=c.id).update(variant=0)  # step 1: 30 sends, 1 bounce
    en = Actor(person_id=1, platform=Platform.TELEGRAM, role=Role.MANAGER, workspace_id=ws.id, locale="en")

    assert rows_of((await exports.campaign_results(en, "Весна", CLOCK)).content)[1][6:] == [
        "3.3",
        "not enough data",
        "3.3",
    ]

    ws.settings = {"thresholds": {"hard_bounce_min_sent": 25}}
    await ws.save()
    assert rows_of((await exports.campaign_results(en, "Весна", CLOCK)).content)[1][6:] == ["3.3", "3.3", "3.3"]


async def test_the_results_count_and_rate_the_hard_bounces_the_rule_judges() -> None:
    """The results' "Bounces" and "Bounces, %" counted hard, soft and block bounces (13.3 % of 30: 4 bounces) yet
    judged the rate from the hard-bounce rule's minimum: both columns are the hard bounces (1, 3.3 %), named so,
    as /report and /health name them; a soft bounce or a block is not one."""
    ws = await space()
    c = await campaign_with_results(ws)
    await OutboundMessage.filter(campaign_id=c.id).update(variant=0)  # step 1: 30 sends, lead 1's hard bounce
    ws.settings = {"thresholds": {"hard_bounce_min_sent": 25}}
    await ws.save()
    for i, kind in ((4, EventKind.BOUNCE_SOFT), (5, EventKind.BOUNCE_BLOCK), (6, EventKind.BOUNCE_SOFT)):
        m = await OutboundMessage.get(campaign_id=c.id, message_id=f"<{i}.1@send.test>")
        await Event.create(workspace=ws, kind=kind, mailbox_id=m.mailbox_id, campaign=c, lead_id=m.lead_id,
                           message=m, occurred_at=m.sent_at)  # fmt: skip
    en = Actor(person_id=1, platform=Platform.TELEGRAM, role=Role.MANAGER, workspace_id=ws.id, locale="en")

    rows = rows_of((await exports.campaign_results(en, "Весна", CLOCK)).content)

    assert rows[0] == ["Step", "Variant", "Sent", "Replies", "Hard bounces", "Unsubscribes", "Replies, %",
                       "Hard bounces, %", "Unsubscribes, %"]  # fmt: skip
    assert rows[1] == ["1", "A", "30", "1", "1", "1", "3.3", "3.3", "3.3"]
    ru = rows_of((await exports.campaign_results(reader(ws), "Весна", CLOCK)).content)
    assert (ru[0][4], ru[0][7]) == ("Жёсткие отказы", "Жёсткие отказы, %")
    assert ru[1][4] == "1" and ru[1][7] == "3,3"


async def test_lead_export_pages_every_lead_protects_cells_and_is_bounded() -> None:
    ws = await space()
    await campaign_with_results(ws)

    found = await exports.campaign_leads(reader(ws), "Весна", CLOCK, page=7)  # 30 leads in 5 pages

    rows = rows_of(found.content)
    assert found.rows == 30 and len(rows) == 31
    assert rows[0] == ["Email", "Имя", "Компания", "Статус", "Шагов отправлено", "Последнее письмо", "Ответил",
                       "Отказ", "Отписался", "Проверка адреса", "Источник", "Правовое основание",
                       "Подтверждение основания"]  # fmt: skip
    assert rows[1] == ["lead00@x.test", "Иван №0", "ООО «Ромашка»", "ответил", "2", "2026-12-02 00:30 MSK", "да",
                       "нет", "нет", "действителен", "выставка", "не записано", "договор 12"]  # fmt: skip
    assert rows[2][10:] == ["выставка", "договор", "договор 12"]
    assert rows[2][3:9] == ["не доставлено", "2", "2026-12-02 00:30 MSK", "нет", "да", "нет"]
    assert rows[3][6:9] == ["нет", "нет", "да"]
    assert rows[4][2] == '\'=HYPERLINK("http://evil")'
    assert [r[0] for r in rows[1:]] == [f"lead{i:02}@x.test" for i in range(30)]

    with pytest.raises(UserError) as err:
        await exports.campaign_leads(reader(ws), "Весна", CLOCK, max_bytes=1000, page=7)
    assert err.value.key == "export-too-big"


async def test_lead_export_names_addresses_and_times_as_the_workspace_reads_them() -> None:
    """A Vladivostok client's lead export read 'Последнее письмо: 2026-12-01 21:30 UTC' (07:30 the next morning
    there) and a lead on an IDN domain as ivan@xn--e1afmkfd.xn--p1ai: times are on the workspace's clock with its
    zone, addresses as people typed them."""
    ws = await Workspace.create(slug="vvo", name="VVO", timezone="Asia/Vladivostok")
    c = await campaign_with_results(ws)
    lead = await Lead.create(workspace=ws, email="ivan@xn--e1afmkfd.xn--p1ai", source="сайт")
    await Enrollment.create(campaign=c, lead=lead, last_sent_at=NOW - dt.timedelta(days=1))

    rows = rows_of((await exports.campaign_leads(reader(ws), "Весна", CLOCK)).content)
    assert rows[1][5] == "2026-12-02 07:30 +10"
    assert rows[-1][0] == "ivan@пример.рф" and rows[-1][5] == "2026-12-02 07:30 +10"
    assert not any("UTC" in cell or "xn--" in cell for row in rows for cell in row)


async def test_another_workspaces_campaign_is_not_found_for_a_client() -> None:
    ws, rival = await space(), await space("rival")
    await campaign_with_results(rival)
    for call in (
        exports.campaign_results(reader(ws), "Весна", CLOCK),
        exports.campaign_leads(reader(ws), "Весна", CLOCK),
    ):
        with pytest.raises(NotFound) as err:
            await call
        assert err.value.key == "error-campaign-not-found"


async def test_a_lead_whose_mail_was_blocked_is_not_called_bounced() -> None:
    """The leads export said "Отказ: да" beside "Статус: в работе" for a lead whose email the receiver blocked: a
    block refused *us* (our reputation, content, authentication), the address is fine and the lead is neither
    stopped nor suppressed; "Отказ" is a hard bounce, as in the results export and /report."""
    ws = await space()
    c = await campaign_with_results(ws)
    m = await OutboundMessage.get(campaign_id=c.id, message_id="<5.1@send.test>")
    await Event.create(workspace=ws, kind=EventKind.BOUNCE_BLOCK, mailbox_id=m.mailbox_id, campaign=c,
                       lead_id=m.lead_id, message=m, occurred_at=m.sent_at)  # fmt: skip
    rows = rows_of((await exports.campaign_leads(reader(ws), "Весна", CLOCK)).content)
    assert rows[6][0] == "lead05@x.test" and rows[6][3] == "в работе" and rows[6][7] == "нет"
    assert rows[2][0] == "lead01@x.test" and rows[2][7] == "да"  # the hard bounce


async def test_exporting_a_campaign_that_has_sent_nothing_says_so_instead_of_sending_an_empty_file() -> None:
    """A header with no row under it read like a broken file: the reply says there is nothing yet, without one."""
    ws = await space()
    await Campaign.create(workspace=ws, name="Весна", status=CampaignStatus.DRAFT)
    runner = Runner(CLOCK, admins={Platform.TELEGRAM: {"1"}})
    for lang, text in (("ru", "Кампания Весна ещё не отправила"), ("en", "Campaign Весна has not sent any email yet")):
        who = runner.identity(Platform.TELEGRAM, "1", "Admin", lang)
        await runner.run_line(who, "chat", f"/lang {lang}")
        await runner.run_line(who, "chat", "/use acme")
        reply = await runner.run_line(who, "chat", "/export_campaign весна")
        assert reply.ok and text in reply.plain_text(), reply.plain_text()
        assert reply.files == []

    c = await campaign_with_results(await space("beta"))  # with sends: the file, as before
    who = runner.identity(Platform.TELEGRAM, "1", "Admin", "en")
    await runner.run_line(who, "chat", "/use beta")
    reply = await runner.run_line(who, "chat", f"/export_campaign {c.name}")
    assert [f.filename for f in reply.files] == ["Весна-results.csv"]


async def test_a_persons_repeated_opt_out_counts_once_in_the_results() -> None:
    """A lead who unsubscribed by the link in one letter and then wrote "отпишите" in the thread of another (kept
    on record, marked a repeat by the inbox): the second letter's step counted them again; it counts them once, at
    the first, as /report does."""
    ws = await space()
    c = await campaign_with_results(ws)
    later = await OutboundMessage.get(campaign_id=c.id, step_position=2, variant=0)
    await Event.create(workspace=ws, kind=EventKind.UNSUBSCRIBE, mailbox_id=later.mailbox_id, campaign=c,
                       lead_id=later.lead_id, message=later, occurred_at=NOW, data={"repeat": True})  # fmt: skip
    rows = rows_of((await exports.campaign_results(reader(ws), "Весна", CLOCK)).content)
    assert [(r[0], r[1], r[5]) for r in rows[1:]] == [
        ("1", "A", "1"),
        ("1", "B", "0"),
        ("2", "A", "0"),
        ("2", "B", "0"),
    ]


async def test_with_retention_the_results_count_only_the_sends_whose_answers_are_kept() -> None:
    """Retention (/retention 30) erases events older than 30 days: /export_campaign then set step 1's 30 old sends
    against none of their replies — 'Replies, %: 0.0' where /report_campaign said 3.3 %. The file now counts the
    sends since the cut-off and the reply says so; a campaign that sent only before it is not 'not sent yet'."""
    ws = await space()
    c = await campaign_with_results(ws)  # sent a day before NOW
    old = NOW - dt.timedelta(days=40)
    await OutboundMessage.filter(campaign_id=c.id, step_position=1).update(sent_at=old, scheduled_at=old)
    await Event.filter(campaign_id=c.id).delete()  # what the purge erased: the answers to the old sends
    await Workspace.filter(id=ws.id).update(retention_days=30)
    en = Actor(person_id=1, platform=Platform.TELEGRAM, role=Role.MANAGER, workspace_id=ws.id, locale="en")

    found = await exports.campaign_results(en, "Весна", CLOCK)

    assert [row[:3] for row in rows_of(found.content)[1:]] == [["2", "A", "1"], ["2", "B", "1"]]
    assert (found.since, found.retention_days) == (dt.date(2026, 11, 3), 30)  # NOW - 30 days on Moscow's clock
    runner = Runner(CLOCK, admins={Platform.TELEGRAM: {"1"}})
    who = runner.identity(Platform.TELEGRAM, "1", "Admin", "en")
    await runner.run_line(who, "chat", "/lang en")
    await runner.run_line(who, "chat", "/use acme")
    reply = await runner.run_line(who, "chat", "/export_campaign весна")
    assert "the file counts the emails sent since 2026-11-03" in reply.plain_text() and reply.files

    await OutboundMessage.filter(campaign_id=c.id).update(sent_at=old, scheduled_at=old)
    await runner.run_line(who, "chat", "/lang ru")
    reply = await runner.run_line(who, "chat", "/export_campaign весна")
    assert reply.ok and not reply.files, reply.plain_text()
    assert (
        "Кампания Весна ничего не отправляла с 2026-11-03, а пространство хранит данные 30 дней" in reply.plain_text()
    )

    # the leads' flags of the old sends were erased too: "Ответил: нет" beside the state "ответил" says why
    reply = await runner.run_line(who, "chat", "/export_leads весна")
    assert reply.files and "ответы, отказы и отписки до 2026-11-03 стерты" in reply.plain_text(), reply.plain_text()

    await Workspace.filter(id=ws.id).update(retention_days=None)  # no retention: every send counts, nothing said
    assert len(rows_of((await exports.campaign_results(en, "Весна", CLOCK)).content)) == 5
    assert (await exports.campaign_leads(en, "Весна", CLOCK)).since is None

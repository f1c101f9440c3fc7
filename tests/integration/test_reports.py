"""Reports on real PostgreSQL: the numbers of a workspace, a campaign, a domain and a mailbox come from DailyStat
(days in the workspace's time zone), opens are "not measured" where no pixel went out, a client reads only its
own workspace (another workspace's campaign is "not found"), and the worst subjects are named."""

from __future__ import annotations

import datetime as dt

import pytest

from engine.access import Actor
from engine.clock import FrozenClock
from engine.errors import Forbidden, NotFound
from engine.i18n import translator
from engine.reports import report, summary, text
from engine.stats import StatRow, upsert_daily_stats
from models import Alert, Campaign, Domain, Mailbox, Workspace
from models.enums import (
    AlertStatus,
    DomainStatus,
    MailboxStatus,
    MailProvider,
    Platform,
    Role,
    Severity,
    StatScope,
    TlsMode,
)

pytestmark = pytest.mark.usefixtures("orm")

NOW = dt.datetime(2026, 11, 2, 22, 30, tzinfo=dt.UTC)  # already 3 November in Moscow (01:30)
TODAY = dt.date(2026, 11, 3)
EN = translator("en")


async def world(slug: str) -> tuple[Workspace, Domain, Mailbox, Campaign, Campaign]:
    ws = await Workspace.create(slug=slug, name=slug.upper(), timezone="Europe/Moscow")
    domain = await Domain.create(workspace=ws, name=f"{slug}.test")
    box = await Mailbox.create(
        workspace=ws, domain=domain, address=f"anna@{slug}.test", provider=MailProvider.GENERIC,
        smtp_host="127.0.0.1", smtp_port=25, smtp_tls=TlsMode.PLAIN, imap_host="127.0.0.1", imap_port=143,
        imap_tls=TlsMode.PLAIN, username="anna", secret_enc=b"x", status=MailboxStatus.COOLDOWN,
        cooldown_until=NOW + dt.timedelta(hours=5),
    )  # fmt: skip
    plain = await Campaign.create(workspace=ws, name="Autumn")
    html = await Campaign.create(workspace=ws, name="Pixel", html=True)
    return ws, domain, box, plain, html


def row(ws: Workspace, scope: StatScope, scope_id: int, day: dt.date, **counts: int) -> StatRow:
    return StatRow(ws.id, scope, scope_id, day, counts)


def actor(ws: Workspace, role: Role) -> Actor:
    return Actor(person_id=1, platform=Platform.TELEGRAM, role=role, workspace_id=ws.id, locale="en")


async def seed(ws: Workspace, domain: Domain, box: Mailbox, plain: Campaign, html: Campaign) -> None:
    days = [TODAY - dt.timedelta(days=n) for n in range(3)]  # today, yesterday, the day before
    rows = []
    for day in days:
        rows += [
            row(
                ws,
                StatScope.WORKSPACE,
                ws.id,
                day,
                sent=100,
                replies=4,
                bounces_hard=2,
                bounces_block=3,
                opens=9,
                pixel_sent=30,
            ),
            row(ws, StatScope.DOMAIN, domain.id, day, sent=100, bounces_hard=2, bounces_block=3),
            row(ws, StatScope.MAILBOX, box.id, day, sent=100, replies=4, bounces_hard=2, bounces_block=3),
            row(ws, StatScope.CAMPAIGN, plain.id, day, sent=70, replies=3, unsubscribes=1),
            row(ws, StatScope.CAMPAIGN, html.id, day, sent=30, replies=1, opens=9, complaints=1, pixel_sent=30),
        ]
    rows.append(row(ws, StatScope.WORKSPACE, ws.id, TODAY - dt.timedelta(days=40), sent=999))  # outside 30d
    await upsert_daily_stats(rows)


async def test_numbers_of_a_workspace_campaign_domain_and_mailbox() -> None:
    ws, domain, box, plain, html = await world("acme")
    await seed(ws, domain, box, plain, html)
    clock = FrozenClock(NOW)
    manager = actor(ws, Role.MANAGER)

    today = await report(manager, clock, "today")
    assert (today.period.start, today.period.end) == (TODAY, TODAY)  # the workspace's day, not UTC's
    assert today.summary.sent == 100 and today.summary.delivered == 95
    assert today.summary.metrics.reply_rate.value == pytest.approx(0.04)
    assert today.summary.metrics.open_rate.sample == 30  # only the pixel campaign's sends
    assert today.summary.metrics.open_rate.value == pytest.approx(0.3)
    assert today.summary.metrics.placement.value is None  # no warmup checks: not enough data, not 0 %

    month = await report(manager, clock, "30d")
    assert month.summary.sent == 300 and month.summary.counts.bounces_block == 9
    assert [p.name for p in month.problems] == ["acme.test", "anna@acme.test"]
    assert month.problems[0].block_rate.value == pytest.approx(0.03)
    assert month.cooldown_count == 1 and month.cooldowns[0][0] == "anna@acme.test"

    campaign = await report(manager, clock, "7d", scope=StatScope.CAMPAIGN, name="autumn")
    assert campaign.subject == "Autumn" and campaign.summary.sent == 210
    assert not campaign.summary.metrics.open_rate.measured  # a plain-text campaign: not measured
    assert campaign.summary.counts.unsubscribes == 3
    pixel = await report(manager, clock, "yesterday", scope=StatScope.CAMPAIGN, name="Pixel")
    assert pixel.summary.sent == 30 and pixel.summary.metrics.open_rate.value == pytest.approx(0.3)

    dom = await report(manager, clock, "2026-11-02..2026-11-03", scope=StatScope.DOMAIN, name="ACME.test")
    assert dom.summary.sent == 200 and dom.summary.metrics.hard_bounce_rate.part == 4
    assert not dom.summary.metrics.open_rate.measured
    mbox = await report(manager, clock, "month", scope=StatScope.MAILBOX, name="anna@acme.test")
    assert mbox.summary.sent == 300  # 1…3 November

    direct = await summary(ws.id, TODAY - dt.timedelta(days=40), TODAY)
    assert direct.sent == 300 + 999

    body = "\n".join(text.body(EN, campaign))
    assert EN("report-not-measured") in body and "0 %" not in body.split("Replies")[0].split("Opens")[1]
    # the card's "unsubscribed" is the leads whose sequence an opt-out stopped; the report says what it counts
    assert "Opted out in the period: 3 (each person once, those whose sequence had ended too)" in body
    ru = "\n".join(text.body(translator("ru"), campaign))
    assert "Отписались за период: 3 (каждый человек один раз, и те, чья цепочка уже закончилась)" in ru


async def test_a_mailbox_and_a_domain_report_measure_opens_over_the_sends_that_carried_a_pixel() -> None:
    """/report_mailbox and /report_domain measure opens over the period's sends that carried a pixel
    (`pixel_sent`), not over all sends; a day before the period does not count; a mailbox with no pixel sent
    stays "not measured", never 0 %."""
    ws, domain, box, _, _ = await world("acme")
    other = await Mailbox.create(
        workspace=ws, domain=domain, address="boris@acme.test", provider=MailProvider.GENERIC, smtp_host="127.0.0.1",
        smtp_port=25, smtp_tls=TlsMode.PLAIN, imap_host="127.0.0.1", imap_port=143, imap_tls=TlsMode.PLAIN,
        username="boris", secret_enc=b"x",
    )  # fmt: skip
    days = [TODAY - dt.timedelta(days=1), TODAY]
    before = TODAY - dt.timedelta(days=2)
    await upsert_daily_stats(
        [row(ws, StatScope.MAILBOX, box.id, day, sent=21, opens=5, pixel_sent=20) for day in days]
        + [row(ws, StatScope.DOMAIN, domain.id, day, sent=30, opens=5, pixel_sent=20) for day in days]
        + [row(ws, StatScope.MAILBOX, other.id, day, sent=9) for day in days]
        + [row(ws, StatScope.MAILBOX, box.id, before, sent=50, opens=1, pixel_sent=50)]
    )
    manager, clock = actor(ws, Role.MANAGER), FrozenClock(NOW)

    mailbox = await report(manager, clock, "2026-11-02..2026-11-03", scope=StatScope.MAILBOX, name=box.address)
    opens = mailbox.summary.metrics.open_rate
    assert (opens.measured, opens.part, opens.sample, opens.value) == (True, 10, 40, 0.25)
    dom = await report(manager, clock, "2026-11-02..2026-11-03", scope=StatScope.DOMAIN, name="acme.test")
    assert (dom.summary.metrics.open_rate.part, dom.summary.metrics.open_rate.sample) == (10, 40)
    body = "\n".join(text.body(EN, mailbox))
    assert "25" in body.split("Opens")[1].split("\n")[0]
    plain_box = await report(manager, clock, "2026-11-02..2026-11-03", scope=StatScope.MAILBOX, name=other.address)
    assert not plain_box.summary.metrics.open_rate.measured
    assert EN("report-not-measured") in "\n".join(text.body(EN, plain_box))


async def test_a_campaigns_report_has_no_warmup_placement() -> None:
    """Campaign mail is never warmup: a campaign's report says nothing of warmup placement — not "too few sends
    to judge (0 of 20)" as if some might come — while the workspace's still says it."""
    ws, domain, box, plain, html = await world("acme")
    await seed(ws, domain, box, plain, html)
    manager = actor(ws, Role.MANAGER)
    campaign = await report(manager, FrozenClock(NOW), "7d", scope=StatScope.CAMPAIGN, name="Autumn")
    assert not campaign.summary.metrics.placement.measured
    assert "Warmup in inbox" not in "\n".join(text.body(EN, campaign))
    space = await report(manager, FrozenClock(NOW), "7d")
    assert "Warmup in inbox: too few sends (0 of 20 needed)" in "\n".join(text.body(EN, space))


async def test_a_client_reads_only_its_own_workspace() -> None:
    ws, domain, box, plain, html = await world("acme")
    other, *_ = await world("rival")
    await seed(ws, domain, box, plain, html)
    clock = FrozenClock(NOW)
    client = actor(ws, Role.CLIENT)

    own = await report(client, clock, "7d", scope=StatScope.CAMPAIGN, name="Autumn")
    assert own.summary.sent == 210
    with pytest.raises(Forbidden):
        await report(client, clock, "7d", scope=StatScope.DOMAIN, name="acme.test")
    with pytest.raises(Forbidden):
        await report(client, clock, "7d", scope=StatScope.MAILBOX, name="anna@acme.test")
    # the rival's campaign is "not found", exactly like a name nobody has: the client learns nothing about it
    await Campaign.filter(workspace_id=other.id, name="Pixel").update(name="Rival secret")
    with pytest.raises(NotFound) as rival:
        await report(client, clock, "7d", scope=StatScope.CAMPAIGN, name="Rival secret")
    with pytest.raises(NotFound) as nobody:
        await report(client, clock, "7d", scope=StatScope.CAMPAIGN, name="Nobody has it")
    assert rival.value.key == nobody.value.key
    mine = await report(actor(other, Role.CLIENT), clock, "7d", scope=StatScope.CAMPAIGN, name="Rival secret")
    assert mine.summary.sent == 0  # the rival's own client does see it


async def test_open_alerts_are_named_in_the_workspace_report() -> None:
    ws, _domain, box, _plain, _html = await world("acme")
    await Alert.create(
        workspace=ws, kind="mailbox_cooldown", severity=Severity.WARNING, subject=f"mailbox:{box.id}",
        fingerprint="f1", status=AlertStatus.OPEN, first_seen=NOW, last_seen=NOW,
    )  # fmt: skip
    rep = await report(actor(ws, Role.MANAGER), FrozenClock(NOW))
    assert rep.alert_count == 1 and rep.alerts == [("mailbox_cooldown", box.address)]  # the subject by its name
    assert rep.summary.sent == 0 and rep.summary.metrics.reply_rate.value is None
    # alerts are the managers' (README: "clients see none"): a client's /report read "Open alerts: 1 …"
    seen = await report(actor(ws, Role.CLIENT), FrozenClock(NOW))
    assert seen.alert_count == 0 and seen.alerts == []
    assert EN("report-alerts-title", count=1) not in "\n".join(text.body(EN, seen))


async def test_warmup_sends_are_counted_but_reply_rates_are_over_the_mail_people_can_answer() -> None:
    """A workspace whose mailboxes warm up besides one campaign: its report says how many of the sends were warmup,
    and its reply, complaint and unsubscribe rates are over the rest (the campaign's 14 % read 3 % before, diluted
    by 500 warmup messages nobody could answer); bounces and blocks stay over every send (warmup mail bounces)."""
    ws, _, box, plain, _ = await world("warm")
    await upsert_daily_stats(
        [
            row(ws, StatScope.WORKSPACE, ws.id, TODAY, sent=630, warmup_sent=496, replies=19, unsubscribes=5),
            row(ws, StatScope.MAILBOX, box.id, TODAY, sent=630, warmup_sent=496, replies=19, bounces_block=6),
            row(ws, StatScope.CAMPAIGN, plain.id, TODAY, sent=134, replies=19, unsubscribes=5),
        ]
    )
    manager = actor(ws, Role.MANAGER)
    rep = await report(manager, FrozenClock(NOW), "today")
    m = rep.summary.metrics
    assert (m.reply_rate.part, m.reply_rate.sample) == (19, 134)
    assert (m.unsubscribe_rate.part, m.unsubscribe_rate.sample) == (5, 134)
    assert rep.summary.metrics.hard_bounce_rate.sample == 630
    campaign = await report(manager, FrozenClock(NOW), "today", scope=StatScope.CAMPAIGN, name="Autumn")
    assert campaign.summary.metrics.reply_rate.value == m.reply_rate.value  # one campaign: the same rate
    mbox = await report(manager, FrozenClock(NOW), "today", scope=StatScope.MAILBOX, name=box.address)
    assert mbox.summary.metrics.reply_rate.sample == 134 and mbox.summary.metrics.block_rate.sample == 630
    ru = "\n".join(text.body(translator("ru"), rep))
    assert "Отправлено: 630 (из них прогрев 496)" in ru and "Ответы: 14,2 % (19 из 134)" in ru
    en = "\n".join(text.body(EN, campaign))
    assert "Sent: 134 · delivered" in en  # no warmup: nothing said of it


async def test_a_cooldown_is_shown_on_the_workspace_clock_with_the_address_as_people_read_it() -> None:
    """A Vladivostok workspace read '… до 2026-11-03 03:30 UTC' for a pause ending at 13:30 its time, and a
    mailbox on an IDN domain was named in punycode: the report and the digest show the local time and Unicode."""
    ws = await Workspace.create(slug="vvo", name="VVO", timezone="Asia/Vladivostok")
    domain = await Domain.create(workspace=ws, name="xn--e1afmkfd.xn--p1ai")
    await Mailbox.create(
        workspace=ws, domain=domain, address="anna@xn--e1afmkfd.xn--p1ai", provider=MailProvider.GENERIC,
        smtp_host="127.0.0.1", smtp_port=25, smtp_tls=TlsMode.PLAIN, imap_host="127.0.0.1", imap_port=143,
        imap_tls=TlsMode.PLAIN, username="anna", secret_enc=b"x", status=MailboxStatus.COOLDOWN,
        cooldown_until=NOW + dt.timedelta(hours=5),
    )  # fmt: skip
    rep = await report(actor(ws, Role.MANAGER), FrozenClock(NOW))
    assert rep.cooldowns[0][0] == "anna@пример.рф"
    body = "\n".join(text.body(EN, rep))
    assert EN("report-cooldown-line", address="anna@пример.рф", until="2026-11-03 13:30 +10") in body
    assert "UTC" not in body


async def test_the_bounces_line_counts_the_hard_bounces_its_minimum_is_about() -> None:
    """/report read "Bounces: 13.3 % (6 of 45)" summing hard, soft and block bounces (the blocks again below on
    their own line) yet said "too few sends to judge" from the hard-bounce rule's minimum: the line is the
    hard-bounce rate that rule judges, named as /health names it; every bounce still counts as not delivered."""
    ws, *_ = await world("mixed")
    counts = {"sent": 45, "bounces_hard": 1, "bounces_soft": 2, "bounces_block": 3}
    await upsert_daily_stats([row(ws, StatScope.WORKSPACE, ws.id, TODAY, **counts)])

    rep = await report(actor(ws, Role.MANAGER), FrozenClock(NOW), "today")

    en = "\n".join(text.body(EN, rep))
    assert "Hard bounces: 2.2 % (1 of 45)" in en and "Blocks: 6.7 % (3 of 45)" in en
    assert "delivered: 39" in en
    ru = "\n".join(text.body(translator("ru"), rep))
    assert "Жёсткие отказы: 2,2 % (1 из 45)" in ru and "Блокировки: 6,7 % (3 из 45)" in ru


async def test_bounces_and_blocks_count_from_the_rules_minimums_as_health_does() -> None:
    """A manager read 'Bounces: 8 % (2 of 25)' in /report while protection, which judges hard bounces from 40
    sends, rightly did nothing: /report judges bounces, blocks and warmup placement from the rules' minimums."""
    few, *_ = await world("few")
    enough, *_ = await world("enough")
    strict, *_ = await world("strict")
    strict.settings = {"thresholds": {"hard_bounce_min_sent": 50}}  # the workspace's own minimum over the default
    await strict.save()
    await upsert_daily_stats(
        [
            row(few, StatScope.WORKSPACE, few.id, TODAY, sent=25, bounces_hard=2),
            row(enough, StatScope.WORKSPACE, enough.id, TODAY, sent=45, bounces_hard=3),
            row(strict, StatScope.WORKSPACE, strict.id, TODAY, sent=45, bounces_hard=3),
        ]
    )
    clock = FrozenClock(NOW)

    low = "\n".join(text.body(EN, await report(actor(few, Role.MANAGER), clock, "today")))
    assert f"Hard bounces: {EN('report-too-few', sample=25, needed=40)}" in low
    assert f"Blocks: {EN('report-too-few', sample=25, needed=40)}" in low
    assert "%" not in low.split("Hard bounces")[1]  # neither 8 % nor 0 % blocks

    judged = "\n".join(text.body(EN, await report(actor(enough, Role.MANAGER), clock, "today")))
    assert "Hard bounces: 6.7 % (3 of 45)" in judged and "Blocks: 0 % (0 of 45)" in judged

    own = "\n".join(text.body(EN, await report(actor(strict, Role.MANAGER), clock, "today")))
    assert f"Hard bounces: {EN('report-too-few', sample=45, needed=50)}" in own and "Blocks: 0 % (0 of 45)" in own


async def mailbox(ws: Workspace, domain: Domain, local: str) -> Mailbox:
    return await Mailbox.create(
        workspace=ws, domain=domain, address=f"{local}@{domain.name}", provider=MailProvider.GENERIC,
        smtp_host="127.0.0.1", smtp_port=25, smtp_tls=TlsMode.PLAIN, imap_host="127.0.0.1", imap_port=143,
        imap_tls=TlsMode.PLAIN, username=local, secret_enc=b"x",
    )  # fmt: skip


async def test_the_worst_lines_show_the_hard_bounce_and_block_rates_the_rules_judge() -> None:
    """The worst mailboxes and domains counted every bounce (hard, soft and block) yet judged them from the
    hard-bounce rule's minimum: a mailbox with 30 soft bounces of 100 came first as "bounces 31 %" though no rule
    acts on soft bounces, and one with 9 hard bounces of 45 ranked on a 20 % the rule (50 sends here) had not
    judged. Each line shows the hard-bounce rate and the block rate, each from its own minimum ("too few sends to
    judge" below it), and the list ranks by the worse of the rates judged; nothing judged bad, nothing listed."""
    ws, domain, _box, *_ = await world("acme")
    ws.settings = {"thresholds": {"hard_bounce_min_sent": 50}}  # blocks keep the default 40
    await ws.save()
    soft = await mailbox(ws, domain, "soft")
    mid = await mailbox(ws, domain, "mid")
    quiet = await mailbox(ws, domain, "quiet")
    blocked = await Domain.create(workspace=ws, name="blocked.test")
    await upsert_daily_stats(
        [
            row(ws, StatScope.MAILBOX, soft.id, TODAY, sent=100, bounces_hard=1, bounces_soft=30),
            row(ws, StatScope.MAILBOX, mid.id, TODAY, sent=45, bounces_hard=9, bounces_block=1),
            row(ws, StatScope.MAILBOX, quiet.id, TODAY, sent=100, bounces_soft=10),  # soft only: no rule's concern
            row(ws, StatScope.DOMAIN, blocked.id, TODAY, sent=100, bounces_block=5),
        ]
    )

    rep = await report(actor(ws, Role.MANAGER), FrozenClock(NOW), "today")

    assert [p.name for p in rep.problems] == ["blocked.test", "mid@acme.test", "soft@acme.test"]  # 5 %, 2.2 %, 1 %
    first, second, third = rep.problems
    assert (first.hard_bounce_rate.value, first.block_rate.value) == (0.0, 0.05)  # a judged 0 %, not "too few"
    assert (second.hard_bounce_rate.value, second.hard_bounce_rate.min_sample) == (None, 50)
    assert second.block_rate.value == pytest.approx(1 / 45)
    assert (third.hard_bounce_rate.part, third.hard_bounce_rate.sample) == (1, 100)
    en = "\n".join(text.body(EN, rep))
    assert "• domain blocked.test: hard bounces 0 % (0 of 100) · blocks 5 % (5 of 100)" in en
    too_few = EN("report-too-few", sample=45, needed=50)
    assert f"• mid@acme.test: hard bounces {too_few} · blocks 2.2 % (1 of 45)" in en
    assert "• soft@acme.test: hard bounces 1 % (1 of 100) · blocks 0 % (0 of 100)" in en
    ru = "\n".join(text.body(translator("ru"), rep))
    too_few_ru = translator("ru")("report-too-few", sample=45, needed=50)
    assert f"• mid@acme.test: жёсткие отказы {too_few_ru} · блокировки 2,2 % (1 из 45)" in ru
    assert "• домен blocked.test: жёсткие отказы 0 % (0 из 100) · блокировки 5 % (5 из 100)" in ru


async def test_the_alerts_of_one_domain_are_named_apart_in_the_report_as_in_alerts() -> None:
    """A domain whose MX and SPF drifted has two alerts: the report (and the digest, which reads the same) listed
    "DNS changed: acme.test" twice, where /alerts names each record."""
    ws, domain, *_ = await world("acme")
    for n, record in enumerate(("mx", "spf")):
        await Alert.create(
            workspace=ws, kind="dns_drift", severity=Severity.CRITICAL, subject=f"domain:{domain.id}",
            fingerprint=f"f{n}", status=AlertStatus.OPEN, first_seen=NOW, last_seen=NOW - dt.timedelta(minutes=n),
            data={"record": record},
        )  # fmt: skip
    rep = await report(actor(ws, Role.MANAGER), FrozenClock(NOW))
    assert rep.alerts == [("dns_drift", f"{domain.name} (MX)"), ("dns_drift", f"{domain.name} (SPF)")]


async def test_a_period_before_the_subject_started_says_so_rather_than_showing_zeros() -> None:
    """'/report 2026-08' of a workspace set up in September read 'Sent: 0 … Replies: not enough data (0 of 20
    needed)', as if August had been measured; and '/report 30d' of a workspace ten days old gave its numbers as
    30 days'. The report names the day the subject started (set up, or its first counted day if earlier)."""
    ws, domain, box, plain, html = await world("acme")
    await seed(ws, domain, box, plain, html)  # counters from 40 days before today on: earlier than the row's date
    await Workspace.filter(id=ws.id).update(created_at=NOW - dt.timedelta(days=10))
    await Campaign.filter(id=plain.id).update(created_at=NOW - dt.timedelta(days=5))  # its first send: 2 days ago
    await Campaign.filter(id=html.id).update(created_at=NOW + dt.timedelta(days=30))  # a clock behind the database's
    clock = FrozenClock(NOW)
    manager = actor(ws, Role.MANAGER)
    first = TODAY - dt.timedelta(days=40)

    august = await report(manager, clock, "2026-08")
    assert august.since == first and august.before_start
    assert text.body(EN, august)[0] == f"No numbers for this period: the workspace started on {first}."
    ru = text.body(translator("ru"), august)[0]
    assert ru == f"За этот период цифр нет: пространство начало работу {first}."
    assert any("cooldown" in section for section in text.body(EN, august))  # what stands now is still said

    long = await report(manager, clock, "60d")
    assert long.starts_later and long.counted_days == 41
    assert f"The workspace started on {first}: the numbers are of its 41 days in the period." in text.body(EN, long)[0]
    assert not (await report(manager, clock, "30d")).starts_later  # a period the subject covers: no line

    campaign = await report(manager, clock, "7d", scope=StatScope.CAMPAIGN, name="autumn")
    started = (NOW - dt.timedelta(days=5)).astimezone(dt.timezone(dt.timedelta(hours=3))).date()
    assert campaign.since == started and campaign.counted_days == 6
    ru_campaign = text.body(translator("ru"), campaign)[0]
    assert f"Кампания начала работу {started}: цифры — за 6 дней периода." in ru_campaign
    before = await report(manager, clock, "2026-10-20", scope=StatScope.CAMPAIGN, name="autumn")
    assert text.body(EN, before) == [f"No numbers for this period: the campaign started on {started}."]

    pixel = await report(manager, clock, "2026-10-01", scope=StatScope.CAMPAIGN, name="pixel")  # before its sends
    assert pixel.since == TODAY - dt.timedelta(days=2)  # its first counted day: the row's later date is not taken


async def test_a_swapped_out_domain_and_its_mailboxes_are_named_retired_among_the_worst() -> None:
    """After a swap the burned domain's mailboxes led '/report 30d''s worst list as if they still sent (the demo:
    all five lines), and a manager went looking for mailboxes that no longer exist; their history still counts,
    and the lines now say they are retired (ru, en)."""
    ws, domain, *_ = await world("acme")
    burned = await Domain.create(workspace=ws, name="burned.test", status=DomainStatus.RETIRED)
    gone = await mailbox(ws, burned, "gone")
    await Mailbox.filter(id=gone.id).update(status=MailboxStatus.RETIRED)
    live = await mailbox(ws, domain, "live")
    await upsert_daily_stats(
        [
            row(ws, StatScope.MAILBOX, gone.id, TODAY, sent=100, bounces_block=9),
            row(ws, StatScope.DOMAIN, burned.id, TODAY, sent=100, bounces_block=9),
            row(ws, StatScope.MAILBOX, live.id, TODAY, sent=100, bounces_hard=2),
        ]
    )
    rep = await report(actor(ws, Role.MANAGER), FrozenClock(NOW), "today")
    assert [(p.name, p.retired) for p in rep.problems] == [
        ("burned.test", True), ("gone@burned.test", True), ("live@acme.test", False)]  # fmt: skip
    en = "\n".join(text.body(EN, rep))
    assert "• domain burned.test (retired): hard bounces" in en and "• gone@burned.test (retired): hard" in en
    assert "• live@acme.test: hard bounces 2 % (2 of 100)" in en
    assert "• gone@burned.test (выведен): жёсткие" in "\n".join(text.body(translator("ru"), rep))

"""Costs and capacity over a real inventory in PostgreSQL: counts (retired left out, reserve domains paid for but
not sending), overrides in the workspace and the agency, audit, health cuts, cooldowns, graduation, and access."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from bot.runner import Runner
from engine import capacity, costs, people
from engine.access import SYSTEM, Actor
from engine.clock import FrozenClock
from engine.errors import Forbidden, UserError
from engine.i18n import translator
from models import AgencySetting, AuditLog, Campaign, Domain, Mailbox, Membership, Person, Workspace
from models.enums import CampaignStatus, DomainStatus, MailboxStatus, MailProvider, Platform, PoolRole, Role, TlsMode

NOW = dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
CLOCK = FrozenClock(NOW)
TG = Platform.TELEGRAM
ADMIN = Actor(None, TG, Role.ADMIN, None, manages_any=True)
EN = translator("en")

pytestmark = pytest.mark.usefixtures("orm")


async def _box(domain: Domain, n: int, status: MailboxStatus, **kw: object) -> Mailbox:
    address = f"box{n}@{domain.name}"
    return await Mailbox.create(
        workspace_id=domain.workspace_id, domain=domain, address=address, provider=MailProvider.GENERIC,
        smtp_host="127.0.0.1", smtp_port=587, smtp_tls=TlsMode.STARTTLS, imap_host="127.0.0.1", imap_port=993,
        imap_tls=TlsMode.IMPLICIT, username=address, secret_enc=b"x", status=status, **kw,
    )  # fmt: skip


async def _member(ws: Workspace, external_id: str, role: Role) -> Actor:
    person = await Person.create(platform=TG, external_id=external_id, display_name=external_id)
    await Membership.create(person=person, workspace=ws, role=role)
    return Actor(person.id, TG, role, ws.id)


async def _inventory() -> tuple[Workspace, Workspace]:
    """acme: a1 (3 graduated, one cut to half), a2 (1 warming 40 days, 1 cooling down, 1 retired), r1 (reserve:
    2 graduated), x (retired); beta: 1 domain, 2 graduated."""
    acme = await people.create_workspace(SYSTEM, "acme", "ACME")
    beta = await people.create_workspace(SYSTEM, "beta", "Beta")
    await Workspace.filter(id__in=[acme.id, beta.id]).update(timezone="UTC")
    old = NOW - dt.timedelta(days=60)
    a1 = await Domain.create(workspace=acme, name="a1.test", status=DomainStatus.ACTIVE)
    a2 = await Domain.create(workspace=acme, name="a2.test", status=DomainStatus.ACTIVE)
    r1 = await Domain.create(workspace=acme, name="r1.test", status=DomainStatus.ACTIVE, pool_role=PoolRole.RESERVE)
    await Domain.create(workspace=acme, name="x.test", status=DomainStatus.RETIRED)
    b1 = await Domain.create(workspace=beta, name="b1.test", status=DomainStatus.ACTIVE)
    for n in range(3):
        await _box(a1, n, MailboxStatus.ACTIVE, graduated_at=old, health_factor=0.5 if n == 0 else 1.0)
    await _box(a2, 0, MailboxStatus.WARMING, warmup_started_on=TODAY - dt.timedelta(days=40))
    await _box(a2, 1, MailboxStatus.COOLDOWN, graduated_at=old, cooldown_until=NOW + dt.timedelta(days=1))
    await _box(a2, 2, MailboxStatus.RETIRED, graduated_at=old)
    for n in range(2):
        await _box(r1, n, MailboxStatus.ACTIVE, graduated_at=old)
        await _box(b1, n, MailboxStatus.ACTIVE, graduated_at=old)
    return acme, beta


async def test_the_workspace_and_the_agency_month_from_the_inventory() -> None:
    acme, _ = await _inventory()
    manager = await _member(acme, "m1", Role.MANAGER)
    space = await costs.workspace_cost(manager)
    assert space.cost.fleet == costs.Fleet(domains=3, mailboxes=7)  # retired left out, the reserve paid for
    assert space.cost.domains == Decimal("262.5") and space.cost.mailboxes == Decimal(525)
    assert space.cost.servers == Decimal(4200) * 7 / 9  # its share of the agency's mailboxes

    change = await costs.set_cost(manager, CLOCK, "mailbox_month", "90")
    assert (change.before, change.after, change.scope) == (75, 90, "workspace")
    assert (await Workspace.get(id=acme.id)).settings["costs"] == {"mailbox_month": 90}
    await costs.set_cost(ADMIN, CLOCK, "saas_seat_month", "100", agency=True)
    assert (await AgencySetting.get(key="costs")).value == {"saas_seat_month": 100}
    assert await AuditLog.filter(action="costs.setting").count() == 2

    agency = await costs.agency_cost(ADMIN)
    assert [s.slug for s in agency.spaces] == ["acme", "beta"]
    acme_row, beta_row = agency.spaces
    assert acme_row.cost.mailboxes == Decimal(630) and beta_row.cost.mailboxes == Decimal(150)
    assert agency.total.fleet == costs.Fleet(domains=4, mailboxes=9)
    assert agency.total.servers == Decimal(4200)  # counted once
    assert agency.total.total == Decimal(350) + Decimal(780) + Decimal(4200)
    assert agency.total.saas == Decimal(20000) + Decimal(900)  # the plan once, 9 seats


async def test_prices_are_bounded_and_kept_to_who_may_set_them() -> None:
    acme, _ = await _inventory()
    manager = await _member(acme, "m1", Role.MANAGER)
    client = await _member(acme, "c1", Role.CLIENT)
    with pytest.raises(UserError) as caught:
        await costs.set_cost(manager, CLOCK, "mailbox_month", "100000")
    assert caught.value.key == "error-cost-setting"
    with pytest.raises(UserError) as caught:
        await costs.set_cost(manager, CLOCK, "servers", "4")
    assert caught.value.key == "error-cost-agency-only"
    with pytest.raises(Forbidden):
        await costs.set_cost(manager, CLOCK, "servers", "4", agency=True)
    with pytest.raises(Forbidden):
        await costs.workspace_cost(client)
    with pytest.raises(Forbidden):
        await costs.agency_cost(manager)
    assert await AgencySetting.get_or_none(key="costs") is None
    assert "costs" not in (await Workspace.get(id=acme.id)).settings
    assert await AuditLog.filter(action="costs.setting").count() == 0


async def test_capacity_today_and_next_week_from_the_inventory() -> None:
    acme, _ = await _inventory()
    manager = await _member(acme, "m1", Role.MANAGER)
    found = await capacity.capacity(manager, CLOCK, emails=12000, weeks=1)
    # a1: 12 (cut to half) + 32 + 32; a2: the warming one only warms, the cooling one waits
    assert (found.today.campaign, found.today.senders, found.today.warmup, found.mailboxes) == (76, 3, 64, 5)
    [week] = found.weeks
    assert (week.start, week.campaign) == (TODAY + dt.timedelta(days=1), 76 * 7 + 10 * 6 + 32 * 6)
    assert found.reserve_per_day == 64  # r1's two mailboxes: not counted in what fits
    a = found.assessment
    assert a is not None and not a.fits and a.available == 784
    assert a.addition is not None
    assert (a.addition.per_day, a.addition.mailboxes, a.addition.domains) == (1603, 51, 17)
    assert (await capacity.capacity(manager, CLOCK, emails=700, weeks=1)).assessment.fits  # type: ignore[union-attr]


async def test_capacity_refuses_clients_and_values_out_of_bounds() -> None:
    acme, _ = await _inventory()
    client = await _member(acme, "c1", Role.CLIENT)
    manager = await _member(acme, "m1", Role.MANAGER)
    with pytest.raises(Forbidden):
        await capacity.capacity(client, CLOCK)
    with pytest.raises(UserError) as caught:
        await capacity.capacity(manager, CLOCK, emails=1, weeks=13)
    assert caught.value.key == "error-capacity-weeks"
    with pytest.raises(UserError) as caught:
        await capacity.capacity(manager, CLOCK, emails=0)
    assert caught.value.key == "error-capacity-emails"


async def test_capacity_of_a_workspace_without_mailboxes_says_so() -> None:
    """/capacity in a new workspace read 'Today: 0 campaign emails from 0 of 0 mailboxes (besides 0 warmup
    emails)' over four weeks of zeros; it says there is nothing to send from, and still what a volume would take."""
    runner = Runner(CLOCK, admins={TG: {"1"}})
    me = runner.identity(TG, "1", "admin", "en")
    await runner.run_line(me, "c1", "/workspace_new acme ACME")
    for line in ("/capacity", "/capacity 700 1"):
        said = (await runner.run_line(me, "c1", line)).plain_text()
        assert EN("capacity-no-mailboxes") in said
        assert "0 of 0" not in said and "Week 1" not in said
    assert "mailboxes on" in said or "mailbox on" in said  # what it takes: new mailboxes on new domains


async def test_capacity_does_not_wait_for_a_reserve_that_is_warm_already() -> None:
    """/capacity said the reserve would add its emails "once warm and put into service" of a reserve whose
    mailboxes graduated two months ago."""
    acme, _ = await _inventory()
    found = await capacity.capacity(await _member(acme, "m1", Role.MANAGER), CLOCK)
    assert found.reserve_warm and found.reserve_per_day == 64
    runner = Runner(CLOCK, admins={TG: {"1"}})
    me = runner.identity(TG, "1", "admin", "en")
    await runner.run_line(me, "c1", "/use acme")
    said = (await runner.run_line(me, "c1", "/capacity")).plain_text()
    assert EN("capacity-reserve-warm", emails=64) in said and "once warm" not in said
    await Mailbox.filter(domain__name="r1.test").update(status=MailboxStatus.WARMING, graduated_at=None,
                                                        warmup_started_on=TODAY)  # fmt: skip
    assert EN("capacity-reserve", emails=64) in (await runner.run_line(me, "c1", "/capacity")).plain_text()


async def test_a_price_typed_as_cost_writes_it_is_taken() -> None:
    """/cost writes "20 000 ₽" (ru) and `costs.parse` takes group separators and "₽", but the command took one
    word: `/cost_set saas_month 20 000 agency` and `/cost_set mailbox_month 90 ₽` were refused with "does not
    fit “scope”". The value is the rest of the line, `agency` after it as before; nothing is half-written."""
    runner = Runner(CLOCK, admins={TG: {"1"}})
    me = runner.identity(TG, "1", "admin", "ru")
    await runner.run_line(me, "c1", "/workspace_new acme ACME")
    ru = translator("ru")

    seat = await runner.run_line(me, "c1", "/cost_set mailbox_month 90 ₽")
    assert seat.ok, seat.plain_text()
    plan = await runner.run_line(me, "c1", "/cost_set saas_month 25 000 agency")
    assert plan.ok, plan.plain_text()
    assert (await AgencySetting.get(key="costs")).value == {"saas_month": 25000}
    assert (await Workspace.get(slug="acme")).settings["costs"] == {"mailbox_month": 90}

    refused = await runner.run_line(me, "c1", "/cost_set mailbox_month 2,5")
    assert not refused.ok
    assert ru("error-cost-setting", name="mailbox_month", value="2,5", low=0, high=5000) in refused.plain_text()
    assert (await Workspace.get(slug="acme")).settings["costs"] == {"mailbox_month": 90}


async def test_capacity_of_a_fleet_that_sends_nothing_says_why_and_tells_it_from_one_still_warming() -> None:
    """Three mailboxes 10 days into warmup, all disabled: /capacity read "Today: 0 … from 0 of 3 mailboxes", then
    "Week 1–4: 0 (0 a day)" — the same as a fleet still warming, with no reason. It now counts them by cause with
    what to do; a fleet still warming says when its first campaigns go instead."""
    acme = await people.create_workspace(SYSTEM, "acme", "ACME")
    await Workspace.filter(id=acme.id).update(timezone="UTC")
    domain = await Domain.create(workspace=acme, name="a1.test", status=DomainStatus.ACTIVE)
    started = TODAY - dt.timedelta(days=10)
    for n in range(3):
        await _box(domain, n, MailboxStatus.DISABLED, warmup_started_on=started, status_changed_at=NOW)
    runner = Runner(CLOCK, admins={TG: {"1"}})
    for locale in ("ru", "en"):
        t = translator(locale)
        me = runner.identity(TG, "1", "admin", locale)
        await runner.run_line(me, "c1", "/use acme")
        said = (await runner.run_line(me, "c1", "/capacity")).plain_text()
        idle = t("capacity-idle", count=3, mailboxes=3, causes=t("capacity-idle-disabled", count=3))
        assert idle in said and t("capacity-idle-disabled-fix") in said, said
    manager = Actor(None, TG, Role.MANAGER, acme.id)
    assert (await capacity.capacity(manager, CLOCK)).campaigns_from is None  # not "still warming"

    await Mailbox.filter(workspace_id=acme.id).update(status=MailboxStatus.WARMING)
    found = await capacity.capacity(manager, CLOCK)
    assert found.idle == () and found.today.campaign == 0 and found.campaigns_from is not None
    said = (await runner.run_line(me, "c1", "/capacity")).plain_text()
    assert EN("capacity-warming", start=found.campaigns_from.isoformat()) in said
    assert "nothing today" not in said

    mixed = {0: MailboxStatus.PAUSED, 1: MailboxStatus.COOLDOWN}
    for n, status in mixed.items():
        await Mailbox.filter(address=f"box{n}@a1.test").update(status=status, cooldown_until=NOW + dt.timedelta(days=2))
    found = await capacity.capacity(manager, CLOCK)
    assert found.idle == (("paused", 1), ("cooldown", 1))


async def test_capacity_counts_the_days_the_running_campaigns_send_and_says_which() -> None:
    """Every running campaign sends Mon–Fri: /capacity said "Week 1: 7 × the day" and 3,000 a week "fit" in
    weekends no campaign sends on. The week now counts the days of the running campaigns (a paused one's do not
    count), and the reply names them; with none running it says every day is counted."""
    acme, _ = await _inventory()
    manager = await _member(acme, "m1", Role.MANAGER)
    everyday = await capacity.capacity(manager, CLOCK, emails=700, weeks=1)
    assert everyday.campaign_days is None and everyday.assessment is not None and everyday.assessment.fits
    window = {"window_start": dt.time(9, tzinfo=dt.UTC), "window_end": dt.time(18, tzinfo=dt.UTC)}
    await Campaign.create(workspace=acme, name="q1", status=CampaignStatus.RUNNING, weekdays=0b0011111, **window)
    await Campaign.create(workspace=acme, name="q2", status=CampaignStatus.PAUSED, weekdays=0b1100000, **window)

    found = await capacity.capacity(manager, CLOCK, emails=700, weeks=1)

    assert found.campaign_days == frozenset(range(5))
    [week] = found.weeks  # Thursday to Wednesday: Saturday and Sunday send no campaign
    assert week.campaign == 76 * 5 + 10 * 4 + 32 * 4  # the cooling mailbox is back from Friday
    assert found.assessment is not None and not found.assessment.fits
    runner = Runner(CLOCK, admins={TG: {"1"}})
    for locale, days in (("ru", "пн,вт,ср,чт,пт"), ("en", "Mon,Tue,Wed,Thu,Fri")):
        me = runner.identity(TG, "1", "admin", locale)
        await runner.run_line(me, "c1", "/use acme")
        said = (await runner.run_line(me, "c1", "/capacity")).plain_text()
        assert translator(locale)("capacity-days", days=days, count=5) in said, said

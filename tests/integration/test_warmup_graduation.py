"""The graduation gate and the warmup services on real PostgreSQL: who graduates (audited), isolation, start,
pause, settings and the day's numbers."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.handlers.warmup import ONE_BY_ONE
from bot.runner import Runner
from engine import mailboxes
from engine.access import Actor
from engine.clock import FrozenClock
from engine.crypto import Vault, generate_key
from engine.domains.resume import resume_domain
from engine.errors import Conflict, Forbidden, NotFound, UserError
from engine.i18n import translator
from engine.lifecycle import transition_domain
from engine.sending.planner import plan_warmup
from engine.stats import EventRecord, record_events
from engine.warmup import service
from engine.warmup.graduation import Stage, run_gate
from jobs import worker
from models import AuditLog, DnsCheck, Domain, Mailbox, OutboundMessage, Workspace
from models.enums import (
    DnsRecordKind,
    DnsVerdict,
    DomainStatus,
    EventKind,
    MailboxStatus,
    MailProvider,
    MessageKind,
    MessageStatus,
    Platform,
    Role,
    TlsMode,
)

pytestmark = pytest.mark.usefixtures("orm")

VAULT = Vault([generate_key()])
TODAY = dt.date(2031, 3, 20)
CLOCK = FrozenClock(dt.datetime(2031, 3, 20, 9, 0, tzinfo=dt.UTC))


def actor(ws: Workspace, role: Role = Role.MANAGER) -> Actor:
    return Actor(person_id=None, platform=Platform.TELEGRAM, role=role, workspace_id=ws.id, locale="en")


async def box(
    ws: Workspace, address: str, *, started: dt.date | None, status: MailboxStatus = MailboxStatus.WARMING
) -> Mailbox:
    domain, _ = await Domain.get_or_create(workspace=ws, name=address.split("@")[1])
    return await Mailbox.create(
        workspace=ws, domain=domain, address=address, provider=MailProvider.GENERIC, smtp_host="127.0.0.1",
        smtp_port=587, smtp_tls=TlsMode.STARTTLS, imap_host="127.0.0.1", imap_port=993, imap_tls=TlsMode.IMPLICIT,
        username=address, secret_enc=VAULT.encrypt("pw"), status=status, warmup_started_on=started,
    )  # fmt: skip


async def landed(mailbox: Mailbox, *, inbox: int, spam: int) -> None:
    at = dt.datetime.combine(TODAY - dt.timedelta(days=1), dt.time(12), tzinfo=dt.UTC)
    kinds = [EventKind.WARMUP_INBOX] * inbox + [EventKind.WARMUP_SPAM] * spam
    await record_events([EventRecord(mailbox.workspace_id, k, at, mailbox.id, mailbox.domain_id) for k in kinds])


async def test_the_gate_graduates_only_after_the_period_with_good_placement_and_audits_it() -> None:
    ws = await Workspace.create(slug="acme", name="Acme", timezone="UTC")
    old = TODAY - dt.timedelta(days=42)  # six weeks ago: the period is over today
    good = await box(ws, "good@alpha.test", started=old)
    low = await box(ws, "low@alpha.test", started=old)
    unmeasured = await box(ws, "few@alpha.test", started=old)
    young = await box(ws, "young@alpha.test", started=old + dt.timedelta(days=1))
    paused = await box(ws, "paused@alpha.test", started=old)
    await Mailbox.filter(id=paused.id).update(warmup_paused_at=CLOCK.now())
    for b in (good, young, paused):
        await landed(b, inbox=30, spam=2)
    await landed(low, inbox=20, spam=10)
    await landed(unmeasured, inbox=5, spam=0)

    report = await run_gate(CLOCK)

    assert report.graduated == ("good@alpha.test",) and report.checked == 3
    statuses = {b.address: b.status for b in await Mailbox.filter(workspace_id=ws.id)}
    assert statuses["good@alpha.test"] is MailboxStatus.ACTIVE
    assert {a for a, s in statuses.items() if s is MailboxStatus.WARMING} == {
        "low@alpha.test", "few@alpha.test", "young@alpha.test", "paused@alpha.test"
    }  # fmt: skip
    [audit] = await AuditLog.filter(action="mailbox.transition", subject=f"mailbox:{good.id}")
    assert audit.data["to"] == "active" and "30/32" in audit.data["reason"]
    assert (await run_gate(CLOCK)).graduated == ()  # a second run changes nothing


async def test_a_stricter_workspace_threshold_holds_the_mailbox_back() -> None:
    ws = await Workspace.create(slug="acme", name="Acme", timezone="UTC", settings={"warmup": {"min_placement": 0.99}})
    b = await box(ws, "anna@alpha.test", started=TODAY - dt.timedelta(days=60))
    await landed(b, inbox=30, spam=2)
    assert (await run_gate(CLOCK)).graduated == ()


async def test_a_value_stored_before_a_bound_tightened_neither_stops_the_gate_nor_the_settings() -> None:
    """A warmup value stored under an older, wider bound (weeks 12) made the daily graduation check raise for every
    workspace, and `/warmup` and `/warmup_settings` fail, so the manager could not even put it right; the planners
    meanwhile dropped every stored choice for the defaults. That value alone is its default now."""
    stale = {"warmup": {"weeks": 12, "min_placement": 0.99}}
    ws = await Workspace.create(slug="acme", name="Acme", timezone="UTC", settings=stale)
    held = await box(ws, "held@alpha.test", started=TODAY - dt.timedelta(days=60))
    await landed(held, inbox=30, spam=2)  # 94 %: below the workspace's own 99 %, which still holds
    assert (await run_gate(CLOCK)).graduated == ()
    change = await service.set_setting(actor(ws), CLOCK, "weeks", "5")
    assert (change.before, change.after) == (6, 5)
    assert (await Workspace.get(id=ws.id)).settings == {"warmup": {"weeks": 5, "min_placement": 0.99}}


async def test_status_shows_day_target_sent_and_placement_and_stays_in_its_workspace() -> None:
    ws = await Workspace.create(slug="acme", name="Acme", timezone="UTC")
    other = await Workspace.create(slug="other", name="Other", timezone="UTC")
    anna = await box(ws, "anna@alpha.test", started=TODAY - dt.timedelta(days=9))
    await box(other, "zoe@zeta.test", started=TODAY)
    for n, when in enumerate((CLOCK.now(), CLOCK.now() - dt.timedelta(days=1))):
        await OutboundMessage.create(
            kind=MessageKind.WARMUP, workspace=ws, mailbox=anna, message_id=f"<m{n}@alpha.test>",
            status=MessageStatus.SENT, scheduled_at=when, sent_at=when,
        )  # fmt: skip
    await landed(anna, inbox=3, spam=0)

    [item] = await service.warmup_status(actor(ws, Role.CLIENT), CLOCK, "anna@alpha.test")
    r = item.readiness
    assert (r.day, r.days, r.stage, item.sent_today) == (10, 42, Stage.WARMING, 1)  # yesterday's send not today's
    assert item.target_today >= 1 and r.placement.sample == 3 and r.placement.score is None
    with pytest.raises(NotFound):
        await service.warmup_status(actor(ws), CLOCK, "zoe@zeta.test")
    with pytest.raises(NotFound):
        await service.warmup_status(actor(ws), CLOCK, "zeta.test")
    with pytest.raises(Forbidden):
        await service.warmup_status(Actor(None, Platform.TELEGRAM, None, ws.id), CLOCK, "anna@alpha.test")

    view = await service.warmup_overview(actor(ws), CLOCK)
    assert view.total == 1 and view.stages[Stage.WARMING] == 1 and view.unmeasured == 1 and view.worst == ()


async def test_start_and_pause_by_domain_and_all() -> None:
    ws = await Workspace.create(slug="acme", name="Acme", timezone="UTC")
    other = await Workspace.create(slug="other", name="Other", timezone="UTC")
    new = await box(ws, "new@alpha.test", started=None, status=MailboxStatus.NEW)
    off = await box(ws, "off@alpha.test", started=None, status=MailboxStatus.DISABLED)
    warm = await box(ws, "warm@beta.test", started=TODAY - dt.timedelta(days=3))
    theirs = await box(other, "zoe@zeta.test", started=None, status=MailboxStatus.NEW)

    started = await service.start_warmup(actor(ws), CLOCK, "alpha.test")
    assert started.changed == ("new@alpha.test",) and started.skipped == ("off@alpha.test",)
    fresh = await Mailbox.get(id=new.id)
    assert fresh.status is MailboxStatus.WARMING and fresh.warmup_started_on == TODAY
    assert (await Mailbox.get(id=off.id)).warmup_started_on is None
    assert await AuditLog.filter(action="mailbox.transition", subject=f"mailbox:{new.id}").exists()

    paused = await service.pause_warmup(actor(ws), CLOCK, "all")
    assert set(paused.changed) == {"new@alpha.test", "off@alpha.test", "warm@beta.test"}
    assert (await service.pause_warmup(actor(ws), CLOCK, "all")).changed == ()
    assert (await Mailbox.get(id=theirs.id)).warmup_paused_at is None  # another workspace untouched

    resumed = await service.start_warmup(actor(ws), CLOCK, "warm@beta.test")
    fresh = await Mailbox.get(id=warm.id)
    assert resumed.changed == ("warm@beta.test",) and fresh.warmup_paused_at is None
    assert fresh.warmup_started_on == TODAY - dt.timedelta(days=3)  # the start date is kept
    with pytest.raises(Forbidden):
        await service.pause_warmup(actor(ws, Role.CLIENT), CLOCK, "all")


async def test_settings_change_within_bounds_is_stored_and_audited_and_a_bad_one_writes_nothing() -> None:
    ws = await Workspace.create(slug="acme", name="Acme", timezone="UTC", settings={"daily_cap": 500})
    change = await service.set_setting(actor(ws), CLOCK, "target_per_day", "30")
    assert (change.before, change.after) == (40, 30)
    stored = await Workspace.get(id=ws.id)
    assert stored.settings == {"daily_cap": 500, "warmup": {"target_per_day": 30}}
    assert (await AuditLog.get(action="warmup.setting")).data == {"name": "target_per_day", "from": 40, "to": 30}

    with pytest.raises(UserError) as bad:
        await service.set_setting(actor(ws), CLOCK, "target_per_day", "500")
    assert bad.value.key == "error-warmup-setting" and bad.value.params["bounds"] == "10–50"
    with pytest.raises(UserError) as unknown:
        await service.set_setting(actor(ws), CLOCK, "speed", "5")
    assert unknown.value.key == "error-warmup-setting-unknown"
    assert (await Workspace.get(id=ws.id)).settings == stored.settings
    with pytest.raises(Forbidden):
        await service.set_setting(actor(ws, Role.CLIENT), CLOCK, "weeks", "5")


async def test_the_daily_worker_job_runs_the_gate_once_a_day_as_a_unique_cron() -> None:
    ws = await Workspace.create(slug="acme", name="Acme", timezone="UTC")
    b = await box(ws, "anna@alpha.test", started=TODAY - dt.timedelta(days=50))
    await landed(b, inbox=40, spam=0)
    assert await worker.graduate_warmup({"clock": CLOCK}) == 1
    [job] = [c for c in worker.WorkerSettings.cron_jobs if c.name == "cron:graduate_warmup"]
    assert job.unique and job.hour == {3} and job.minute == {40}


async def test_a_paused_warmup_continues_its_ramp_where_it_stopped() -> None:
    ws = await Workspace.create(slug="acme", name="Acme", timezone="Asia/Vladivostok")
    anna = await box(ws, "anna@alpha.test", started=TODAY - dt.timedelta(days=9))  # day 10 today (19:00 there)
    await service.pause_warmup(actor(ws), CLOCK, "anna@alpha.test")

    later = FrozenClock(CLOCK.now() + dt.timedelta(days=21))  # three weeks without a warmup email
    [paused] = await service.warmup_status(actor(ws), later, "anna@alpha.test")
    assert paused.paused and paused.readiness.stage is Stage.WARMING
    resumed = await service.start_warmup(actor(ws), later, "anna@alpha.test")

    fresh = await Mailbox.get(id=anna.id)
    assert resumed.changed == ("anna@alpha.test",) and fresh.warmup_paused_at is None
    assert fresh.warmup_started_on == TODAY + dt.timedelta(days=12)  # moved by the 21 days it stood still
    [item] = await service.warmup_status(actor(ws), later, "anna@alpha.test")
    assert item.readiness.day == 10  # the ramp goes on at day 10, not at day 31's volume
    assert item.readiness.ready_on == TODAY + dt.timedelta(days=12 + 42)  # paused days are no warmup days
    assert item.target_today <= 13  # day 10 of 2 + 1/day, jitter ±15 % (day 31 would be 32 or more)


async def test_resuming_a_paused_mailbox_never_skips_the_graduation_gate() -> None:
    ws = await Workspace.create(slug="acme", name="Acme", timezone="UTC")
    manager = actor(ws)
    never = await box(ws, "never@alpha.test", started=TODAY - dt.timedelta(days=60))  # period over, never graduated
    await landed(never, inbox=5, spam=25)  # mostly spam: the gate keeps it warming
    grad = await box(ws, "grad@alpha.test", started=TODAY - dt.timedelta(days=60), status=MailboxStatus.ACTIVE)
    await Mailbox.filter(id=grad.id).update(graduated_at=CLOCK.now() - dt.timedelta(days=9))
    young = await box(ws, "young@alpha.test", started=TODAY - dt.timedelta(days=9))
    for address in ("never@alpha.test", "grad@alpha.test", "young@alpha.test"):
        await mailboxes.pause_mailbox(manager, address, clock=CLOCK)

    later = FrozenClock(CLOCK.now() + dt.timedelta(days=14))
    for address in ("never@alpha.test", "grad@alpha.test", "young@alpha.test"):
        await mailboxes.resume_mailbox(manager, address, clock=later)

    assert (await Mailbox.get(id=never.id)).status is MailboxStatus.WARMING  # no campaigns before the gate says so
    assert (await Mailbox.get(id=grad.id)).status is MailboxStatus.ACTIVE
    fresh = await Mailbox.get(id=young.id)
    assert fresh.status is MailboxStatus.WARMING
    assert fresh.warmup_started_on == TODAY + dt.timedelta(days=5)  # day 10 again: the 14 days paused not counted


async def test_warming_mailboxes_of_a_domain_back_from_cooling_go_on_with_their_ramps_where_they_stopped() -> None:
    """A domain cooled (listed) while its mailboxes were on warmup day 3 came back after three weeks, and its
    mailboxes sent the plateau's 40 a day the next morning instead of day 3's 4: a jump receivers read as spam."""
    ws = await Workspace.create(slug="acme", name="Acme", timezone="Asia/Vladivostok")
    anna = await box(ws, "anna@alpha.test", started=TODAY - dt.timedelta(days=2))  # day 3 today (19:00 there)
    boris = await box(ws, "boris@alpha.test", started=TODAY - dt.timedelta(days=2))
    await service.pause_warmup(actor(ws), FrozenClock(CLOCK.now() + dt.timedelta(days=1)), "boris@alpha.test")
    domain = await Domain.get(name="alpha.test")
    for status in (DomainStatus.DNS_PENDING, DomainStatus.WARMING, DomainStatus.COOLING):
        await transition_domain(domain, status, clock=CLOCK, reason="test")

    later = FrozenClock(CLOCK.now() + dt.timedelta(days=21))
    await resume_domain(actor(ws), later, domain.id)

    fresh = await Mailbox.get(id=anna.id)
    assert fresh.warmup_started_on == TODAY + dt.timedelta(days=19)  # moved by the 21 days it stood still
    [item] = await service.warmup_status(actor(ws), later, "anna@alpha.test")
    assert item.readiness.day == 3 and item.target_today <= 5  # day 3 of 2 + 1/day, not the plateau
    await service.start_warmup(actor(ws), later, "boris@alpha.test")  # paused during the cooling: from its start
    assert (await Mailbox.get(id=boris.id)).warmup_started_on == TODAY + dt.timedelta(days=19)


async def test_an_idn_domain_is_found_as_typed_and_its_mailboxes_shown_in_unicode() -> None:
    ws = await Workspace.create(slug="acme", name="Acme", timezone="UTC")
    anna = await box(ws, "anna@xn--e1afmkfd.xn--p1ai", started=None, status=MailboxStatus.NEW)  # anna@пример.рф
    await landed(anna, inbox=30, spam=1)

    started = await service.start_warmup(actor(ws), CLOCK, "Пример.РФ")
    assert started.changed == ("anna@пример.рф",)
    [item] = await service.warmup_status(actor(ws), CLOCK, "anna@пример.рф")
    assert item.address == "anna@пример.рф"
    assert (await service.pause_warmup(actor(ws), CLOCK, "xn--e1afmkfd.xn--p1ai")).changed == ("anna@пример.рф",)
    view = await service.warmup_overview(actor(ws), CLOCK)
    assert [address for address, _ in view.worst] == ["anna@пример.рф"]


async def test_starting_or_pausing_the_warmup_of_a_retired_mailbox_says_it_is_retired() -> None:
    ws = await Workspace.create(slug="acme", name="Acme", timezone="UTC")
    old = await box(ws, "old@alpha.test", started=TODAY - dt.timedelta(days=50), status=MailboxStatus.RETIRED)
    for change in (service.start_warmup, service.pause_warmup):
        with pytest.raises(Conflict) as refused:
            await change(actor(ws), CLOCK, "old@alpha.test")
        assert refused.value.key == "error-warmup-mailbox-retired"  # not "paused, disabled … /mailbox_resume first"
    fresh = await Mailbox.get(id=old.id)
    assert fresh.status is MailboxStatus.RETIRED and fresh.warmup_paused_at is None
    [item] = await service.warmup_status(actor(ws), CLOCK, "old@alpha.test")  # its history can still be read
    assert item.status is MailboxStatus.RETIRED


async def test_a_mailbox_with_nobody_to_warm_with_is_told_so_in_its_card() -> None:
    """One domain only: warmup never goes to a mailbox of the sender's domain, so the plan finds no receiver. The
    card said "today: target 2, sent 0" day after day, and the mailbox could never graduate, without a word why."""
    runner = Runner(CLOCK, admins={Platform.TELEGRAM: {"1"}})
    admin = runner.identity(Platform.TELEGRAM, "1", "admin", "en")
    await runner.run_line(admin, "c1", "/workspace_new acme ACME")
    ws = await Workspace.get(slug="acme")
    await box(ws, "anna@alpha.test", started=TODAY)
    await box(ws, "boris@alpha.test", started=TODAY)
    await plan_warmup(CLOCK)
    assert not await OutboundMessage.exists()

    card = (await runner.run_line(admin, "c1", "/warmup anna@alpha.test")).plain_text()
    assert "only 0 of 2 warmup emails found a mailbox to go to" in card and "another domain" in card
    ru = runner.identity(Platform.TELEGRAM, "1", "admin", "ru")
    card = (await runner.run_line(ru, "c1", "/warmup anna@alpha.test")).plain_text()
    assert "адресат нашёлся только для 0 из 2 писем прогрева" in card


async def test_a_graduated_mailbox_paused_or_cooling_down_is_still_graduated_and_wants_no_warmup_today() -> None:
    """/warmup judged graduation by the status `active`: a graduated mailbox paused by hand (or cooling down) read
    "warmup day 46 of 42, target 40 today, the period is over: waiting for good placement" — it had graduated
    long ago, and the planner plans nothing for it while it stands."""
    ws = await Workspace.create(slug="acme", name="Acme", timezone="UTC")
    for address, status in (("grad@alpha.test", MailboxStatus.PAUSED), ("cool@alpha.test", MailboxStatus.COOLDOWN)):
        b = await box(ws, address, started=TODAY - dt.timedelta(days=45), status=status)
        await Mailbox.filter(id=b.id).update(graduated_at=CLOCK.now() - dt.timedelta(days=3))
    for address in ("grad@alpha.test", "cool@alpha.test"):
        [item] = await service.warmup_status(actor(ws), CLOCK, address)
        assert (item.readiness.stage, item.target_today) == (Stage.GRADUATED, 0), address
    view = await service.warmup_overview(actor(ws), CLOCK)
    assert view.stages[Stage.GRADUATED] == 2 and view.stages[Stage.WAITING] == 0


async def test_a_graduated_mailbox_that_stands_is_not_said_to_work_with_campaigns() -> None:
    """A graduated mailbox paused by hand read "Working with campaigns; maintenance warmup goes on" on its card and
    "working, maintenance warmup today 0/0" in the workspace's list: it sends nothing, and the chat now says so."""
    runner = Runner(CLOCK, admins={Platform.TELEGRAM: {"1"}})
    admin = runner.identity(Platform.TELEGRAM, "1", "admin", "en")
    await runner.run_line(admin, "c1", "/workspace_new acme ACME")
    ws = await Workspace.get(slug="acme")
    boxes = [("grad@alpha.test", MailboxStatus.PAUSED)]
    boxes += [(f"busy{n}@alpha.test", MailboxStatus.ACTIVE) for n in range(ONE_BY_ONE)]  # a domain in lines
    for address, status in boxes:
        b = await box(ws, address, started=TODAY - dt.timedelta(days=45), status=status)
        await Mailbox.filter(id=b.id).update(graduated_at=CLOCK.now() - dt.timedelta(days=3))
    card = (await runner.run_line(admin, "c1", "/warmup grad@alpha.test")).plain_text()
    assert "Warmup passed; it sends nothing now (paused)" in card and "Working with campaigns" not in card
    domain = (await runner.run_line(admin, "c1", "/warmup alpha.test")).plain_text()
    assert "grad@alpha.test: warmup passed, sends nothing now (paused)" in domain
    assert "busy0@alpha.test: working, maintenance warmup today" in domain
    ru = runner.identity(Platform.TELEGRAM, "1", "admin", "ru")
    card = (await runner.run_line(ru, "c1", "/warmup grad@alpha.test")).plain_text()
    assert "Прогрев пройден; сейчас ничего не отправляет (статус: на паузе)" in card


async def test_a_mailbox_whose_warmup_is_paused_wants_no_warmup_today_and_its_card_says_so() -> None:
    """/warmup_pause and then /warmup: the card said "⏸ Warmup paused" and, below it, "Today: target 3, sent 0" and
    "Working with campaigns; maintenance warmup goes on" (a warming one: "ready on <date>", a date its pause moves
    on by a day each day): the planner plans no warmup for it while its warmup is paused."""
    runner = Runner(CLOCK, admins={Platform.TELEGRAM: {"1"}})
    admin = runner.identity(Platform.TELEGRAM, "1", "admin", "en")
    await runner.run_line(admin, "c1", "/workspace_new acme ACME")
    ws = await Workspace.get(slug="acme")
    grad = await box(ws, "grad@alpha.test", started=TODAY - dt.timedelta(days=45), status=MailboxStatus.ACTIVE)
    await Mailbox.filter(id=grad.id).update(graduated_at=CLOCK.now() - dt.timedelta(days=3))
    await box(ws, "young@alpha.test", started=TODAY - dt.timedelta(days=5))
    await runner.run_line(admin, "c1", "/warmup_pause alpha.test")

    for address in ("grad@alpha.test", "young@alpha.test"):
        [item] = await service.warmup_status(actor(ws), CLOCK, address)
        assert (item.paused, item.target_today) == (True, 0), address
    card = (await runner.run_line(admin, "c1", "/warmup grad@alpha.test")).plain_text()
    assert "Today: target 0, sent 0" in card and "maintenance warmup goes on" not in card
    assert "Working with campaigns; maintenance warmup paused" in card
    card = (await runner.run_line(admin, "c1", "/warmup young@alpha.test")).plain_text()
    assert "later by each day its warmup stands still" in card
    ru = runner.identity(Platform.TELEGRAM, "1", "admin", "ru")
    card = (await runner.run_line(ru, "c1", "/warmup grad@alpha.test")).plain_text()
    assert "В работе с рассылками; поддерживающий прогрев на паузе" in card


async def test_a_mailbox_ready_to_graduate_that_the_gate_skips_is_not_said_to_go_to_work_at_the_next_check() -> None:
    """A mailbox past its period with good placement read "Ready: goes to work at the next daily check" while its
    warmup was paused or the mailbox stood (paused, cooling down): the gate passes both over, day after day. The
    card now says what it waits for."""
    runner = Runner(CLOCK, admins={Platform.TELEGRAM: {"1"}})
    admin = runner.identity(Platform.TELEGRAM, "1", "admin", "en")
    await runner.run_line(admin, "c1", "/workspace_new acme ACME")
    ws = await Workspace.get(slug="acme")
    held = await box(ws, "held@alpha.test", started=TODAY - dt.timedelta(days=60))
    cooling = await box(ws, "cool@alpha.test", started=TODAY - dt.timedelta(days=60), status=MailboxStatus.COOLDOWN)
    for b in (held, cooling):
        await landed(b, inbox=30, spam=1)
    await Mailbox.filter(id=held.id).update(warmup_paused_at=CLOCK.now() - dt.timedelta(days=1))

    card = (await runner.run_line(admin, "c1", "/warmup held@alpha.test")).plain_text()
    assert "next daily check" not in card and "after /warmup_start" in card
    card = (await runner.run_line(admin, "c1", "/warmup cool@alpha.test")).plain_text()
    assert "next daily check" not in card and "once the mailbox is back at work (now: cooling down)" in card
    assert (await run_gate(CLOCK)).graduated == ()  # what the cards say: the gate passes both over
    ru = runner.identity(Platform.TELEGRAM, "1", "admin", "ru")
    card = (await runner.run_line(ru, "c1", "/warmup held@alpha.test")).plain_text()
    assert "после /warmup_start" in card


async def test_the_summary_says_which_mailboxes_send_no_warmup_now() -> None:
    """Three warming mailboxes disabled by login failures (and one cooling down) read "Warmup: 4 mailboxes —
    warming up: 4" in /warmup, as if warmup went on for all of them: the planner plans nothing for them. The summary
    keeps their stage and says how many send no warmup now, and why; a workspace that warms fine says nothing more."""
    runner = Runner(CLOCK, admins={Platform.TELEGRAM: {"1"}})
    admin = runner.identity(Platform.TELEGRAM, "1", "admin", "ru")
    await runner.run_line(admin, "c1", "/workspace_new acme ACME")
    ws = await Workspace.get(slug="acme")
    for n in range(3):
        await box(ws, f"off{n}@alpha.test", started=TODAY - dt.timedelta(days=10), status=MailboxStatus.DISABLED)
    await box(ws, "cool@alpha.test", started=TODAY - dt.timedelta(days=10), status=MailboxStatus.COOLDOWN)
    await box(ws, "warm@beta.test", started=TODAY - dt.timedelta(days=10))
    said = (await runner.run_line(admin, "c1", "/warmup")).plain_text()
    ru = translator("ru")
    stopped = (("cooldown", 1), ("disabled", 3))
    states = ", ".join(ru("label-count", label=ru(f"mailbox-status-{s}"), count=n) for s, n in stopped)
    assert ru("warmup-stage-warming") + ": 5" in said and ru("warmup-stopped-count", count=4, states=states) in said
    await Mailbox.filter(workspace_id=ws.id).update(status=MailboxStatus.WARMING)
    said = (await runner.run_line(admin, "c1", "/warmup")).plain_text()
    assert ru("warmup-stopped-count", count=1, states="x").split("(")[0] not in said, said


async def test_a_setting_typed_in_chat_with_its_unit_is_taken() -> None:
    """`/warmup_settings weeks 4 нед` answered «не может быть «4 нед»: допустимо 4–8» — a value inside the bounds
    refused as outside them; `30/день` the same."""
    runner = Runner(CLOCK, admins={Platform.TELEGRAM: {"1"}})
    ru = runner.identity(Platform.TELEGRAM, "1", "admin", "ru")
    await runner.run_line(ru, "c1", "/workspace_new acme ACME")
    weeks = (await runner.run_line(ru, "c1", "/warmup_settings weeks 4 нед")).plain_text()
    assert weeks == "Настройка прогрева weeks: было 6, стало 4."
    target = (await runner.run_line(ru, "c1", "/warmup_settings target_per_day 30/день")).plain_text()
    assert target == "Настройка прогрева target_per_day: было 40, стало 30."
    days = (await runner.run_line(ru, "c1", "/warmup_settings weeks 5 дней")).plain_text()
    assert "не может быть «5 дней»" in days
    assert (await Workspace.get(slug="acme")).settings["warmup"] == {"weeks": 4, "target_per_day": 30}


async def test_starting_the_warmup_of_a_domain_whose_dns_has_not_passed_a_check_says_so() -> None:
    """`/warmup_start` on mailboxes of a domain nobody had checked (or whose SPF was wrong) answered "Warmup
    started" and warmup mail went out without SPF, DKIM and DMARC, earning the domain spam placement. The answer now
    names those domains and `/dns_check`; a domain whose last check passed is not named."""
    runner = Runner(CLOCK, admins={Platform.TELEGRAM: {"1"}})
    admin = runner.identity(Platform.TELEGRAM, "1", "admin", "en")
    await runner.run_line(admin, "c1", "/workspace_new acme ACME")
    ws = await Workspace.get(slug="acme")
    for address in ("anna@alpha.test", "vera@beta.test", "gleb@gamma.test"):
        await box(ws, address, started=None, status=MailboxStatus.NEW)
    checked = CLOCK.now() - dt.timedelta(hours=1)
    for name, verdict in (("beta.test", DnsVerdict.OK), ("gamma.test", DnsVerdict.MISMATCH)):
        domain = await Domain.get(name=name)
        await Domain.filter(id=domain.id).update(mail_provider=MailProvider.YANDEX360)
        await DnsCheck.bulk_create(
            DnsCheck(domain_id=domain.id, record=kind, verdict=DnsVerdict.OK if kind != DnsRecordKind.SPF else verdict,
                     checked_at=checked)
            for kind in (DnsRecordKind.MX, DnsRecordKind.SPF, DnsRecordKind.DKIM, DnsRecordKind.DMARC)
        )  # fmt: skip
    said = (await runner.run_line(admin, "c1", "/warmup_start all")).plain_text()
    assert "Warmup started: 3" in said
    assert translator("en")("warmup-start-dns-unready", domains="alpha.test, gamma.test") in said, said


async def test_starting_the_warmup_of_mailboxes_with_nobody_to_warm_with_says_so() -> None:
    """`/warmup_start` of the only mailbox of a workspace, or of mailboxes all on one domain, answered "Warmup
    started: 1" — and no warmup email ever went, since warmup never goes to the sender's own domain."""
    runner = Runner(CLOCK, admins={Platform.TELEGRAM: {"1"}})
    admin = runner.identity(Platform.TELEGRAM, "1", "admin", "en")
    ru = runner.identity(Platform.TELEGRAM, "1", "admin", "ru")
    await runner.run_line(admin, "c1", "/workspace_new acme ACME")
    ws = await Workspace.get(slug="acme")
    for address in ("anna@alpha.test", "boris@alpha.test", "vera@beta.test"):
        await box(ws, address, started=None, status=MailboxStatus.NEW)

    alone = (await runner.run_line(admin, "c1", "/warmup_start alpha.test")).plain_text()
    assert "Warmup started: 2" in alone
    assert "Nobody to warm with" in alone and alone.endswith("anna@alpha.test, boris@alpha.test")
    paired = (await runner.run_line(ru, "c1", "/warmup_start vera@beta.test")).plain_text()
    assert "Прогрев запущен: 1" in paired and "не с кем" not in paired  # alpha.test's two warm: peers
    await runner.run_line(admin, "c1", "/warmup_pause alpha.test")
    again = (await runner.run_line(ru, "c1", "/warmup_start vera@beta.test")).plain_text()
    assert "уже шёл: 1" in again and "Прогреваться не с кем" in again and again.endswith("vera@beta.test")

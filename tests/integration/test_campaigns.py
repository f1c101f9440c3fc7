"""The campaign service on the real PostgreSQL and Redis: roles and isolation, the group, the steps, a start refused
with reasons, a start that needs a confirmation and acts once, pause/resume, progress and a test send."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import zipfile

import asyncpg
import pytest
from redis.asyncio import Redis
from tortoise.transactions import in_transaction

from bot.runner import Runner
from engine.access import Actor
from engine.campaigns import service
from engine.campaigns.compose import Composer
from engine.campaigns.enroll import enroll as enroll_leads
from engine.campaigns.ports import CampaignRow
from engine.clock import FrozenClock
from engine.confirm import CONFIRM_TTL_S
from engine.crypto import Vault, generate_key
from engine.errors import AlreadyInState, Conflict, Forbidden, NotFound, UserError
from engine.i18n import translator
from engine.reply import Attachment
from engine.tracking import TrackingLinks
from models import (
    AuditLog,
    Campaign,
    CampaignDeferral,
    CapDeferral,
    Domain,
    Enrollment,
    Lead,
    Mailbox,
    OutboundMessage,
    Step,
    Workspace,
)
from models.enums import (
    CampaignStatus,
    CapKind,
    EnrollmentState,
    MailboxStatus,
    MailProvider,
    MessageKind,
    MessageStatus,
    Platform,
    Role,
    TlsMode,
)

NOW = dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.UTC)
SECRET = Vault([generate_key()]).encrypt("pw")
STEPS = (
    "Тема: Привет, {first_name|коллега}\nКоротко о нас: мы делаем станки для мебельных фабрик уже двадцать лет.\n"
    "--- шаг 2 через 3 рабочих дня\nНапоминаю о письме: если тема интересна, ответьте одним словом."
)

pytestmark = pytest.mark.usefixtures("orm")


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


async def space(slug: str = "acme", *, identity: bool = True) -> Workspace:
    return await Workspace.create(
        slug=slug, name=slug.upper(), timezone="UTC", sender_name="ACME LLC" if identity else "",
        sender_address="Moscow, Tverskaya 1" if identity else "",
    )  # fmt: skip


def actor(ws: Workspace, role: Role = Role.MANAGER, person_id: int | None = None) -> Actor:
    return Actor(person_id=person_id, platform=Platform.CONSOLE, role=role, workspace_id=ws.id)


async def mailboxes(
    ws: Workspace, domain_name: str, count: int, *, status: MailboxStatus, started: dt.date | None = None
) -> list[Mailbox]:
    domain, _ = await Domain.get_or_create(workspace=ws, name=domain_name)
    for n in range(count):
        address = f"box{n}@{domain_name}"
        await Mailbox.create(
            workspace=ws, domain=domain, address=address, provider=MailProvider.GENERIC, smtp_host="127.0.0.1",
            smtp_port=587, smtp_tls=TlsMode.STARTTLS, imap_host="127.0.0.1", imap_port=993, imap_tls=TlsMode.IMPLICIT,
            username=address, secret_enc=SECRET, status=status, warmup_started_on=started,
        )  # fmt: skip
    return list(await Mailbox.filter(domain_id=domain.id).order_by("address"))


async def enroll(campaign_name: str, ws: Workspace, count: int) -> None:
    campaign = await Campaign.get(workspace_id=ws.id, name=campaign_name)
    for n in range(count):
        lead = await Lead.create(workspace=ws, email=f"lead{n}@example.com", first_name=f"L{n}")
        await Enrollment.create(campaign=campaign, lead=lead, next_due_at=NOW)


async def ready_campaign(clock: FrozenClock, ws: Workspace, *, leads: int = 3) -> Actor:
    """A campaign "q1" with steps, enrolled leads and a group with one graduated mailbox."""
    manager = actor(ws)
    await service.create_campaign(manager, clock, "q1", {"per_mailbox_cap": "1"})
    await mailboxes(ws, "ready.test", 1, status=MailboxStatus.ACTIVE, started=NOW.date() - dt.timedelta(days=50))
    await service.set_group(manager, clock, "q1", ["ready.test"])
    await service.set_steps(manager, clock, "q1", STEPS)
    await enroll("q1", ws, leads)
    return manager


# ------------------------------------------------------------------------------------------------ create, roles


async def test_create_names_settings_conflict_roles_and_isolation(clock: FrozenClock) -> None:
    acme, other = await space(), await space("other")
    manager = actor(acme)
    created = await service.create_campaign(manager, clock, "Q1-acme", {"window": "10:00-17:00", "days": "пн,ср"})
    assert (created.status, created.timezone, created.weekdays) == (CampaignStatus.DRAFT, "UTC", 0b101)
    assert created.window_start == dt.time(10, 0, tzinfo=dt.UTC)
    with pytest.raises(Conflict) as clash:
        await service.create_campaign(manager, clock, "q1-ACME")
    assert (clash.value.key, clash.value.params) == ("error-campaign-exists", {"name": "q1-ACME"})
    for bad in ("", "two words", "x" * 65, "-dash-first", "имя;drop"):
        with pytest.raises(UserError) as named:
            await service.create_campaign(manager, clock, bad)
        assert named.value.key == "error-campaign-name"
    with pytest.raises(UserError):
        await service.create_campaign(manager, clock, "opens", {"track_opens": "on"})  # opens need HTML
    assert await Campaign.filter(workspace_id=acme.id).count() == 1

    with pytest.raises(Forbidden):
        await service.create_campaign(actor(acme, Role.CLIENT), clock, "q2")
    client_sees = [c.name for c in await service.list_campaigns(actor(acme, Role.CLIENT))]
    assert client_sees == ["Q1-acme"]  # their own campaigns' names, to ask for their reports
    with pytest.raises(Forbidden):
        await service.campaign_status(actor(acme, Role.CLIENT), clock, "q1-acme")
    with pytest.raises(NotFound) as hidden:
        await service.campaign_status(actor(other), clock, "q1-acme")
    assert hidden.value.key == "error-campaign-not-found"
    with pytest.raises(NotFound):
        await service.start_campaign(actor(other), clock, "q1-acme")
    assert [c.name for c in await service.list_campaigns(manager)] == ["Q1-acme"]
    assert await service.list_campaigns(actor(other)) == []
    assert await AuditLog.filter(action="campaign.create").count() == 1


async def test_settings_change_and_track_without_html_tracks_clicks(clock: FrozenClock) -> None:
    ws = await space()
    manager = actor(ws)
    await service.create_campaign(manager, clock, "q1")
    changed = await service.update_settings(manager, clock, "Q1", {"track": "on", "tz": "Europe/Moscow"})
    assert (changed.track_clicks, changed.track_opens, changed.timezone) == (True, False, "Europe/Moscow")
    changed = await service.update_settings(manager, clock, "q1", {"html": "on", "track_opens": "on"})
    assert (changed.html, changed.track_opens) == (True, True)
    with pytest.raises(UserError) as bad:
        await service.update_settings(manager, clock, "q1", {"per_mailbox_cap": "80", "daily_cap": "10"})
    assert bad.value.params["name"] == "per_mailbox_cap"
    assert (await Campaign.get(id=changed.id)).daily_cap == 500  # nothing half-written


# ------------------------------------------------------------------------------------------------ group, steps


async def test_track_opens_says_whether_the_pixel_goes_out(clock: FrozenClock) -> None:
    """ "/campaign_set q1 html=on track_opens=off" was saved and shown as "track_opens=off", but every HTML email
    carries the open pixel and its opens were counted: the flag said nothing about what went out."""
    ws = await space()
    manager = actor(ws)
    await service.create_campaign(manager, clock, "q1")
    html = await service.update_settings(manager, clock, "q1", {"html": "on"})
    assert (html.html, html.track_opens) == (True, True)
    with pytest.raises(UserError) as refused:
        await service.update_settings(manager, clock, "q1", {"track_opens": "off"})
    assert refused.value.key == "error-campaign-html-pixel"
    with pytest.raises(UserError):
        await service.update_settings(manager, clock, "q1", {"html": "on", "track_opens": "off"})
    clicks_off = await service.update_settings(manager, clock, "q1", {"track": "off"})
    assert (clicks_off.track_opens, clicks_off.track_clicks) == (True, False)
    plain = await service.update_settings(manager, clock, "q1", {"html": "off"})
    assert (plain.html, plain.track_opens) == (False, False)
    await Campaign.filter(id=plain.id).update(html=True, track_opens=False)  # a row saved before the rule
    view = await service.campaign_status(manager, clock, "q1")
    assert view.flags["track_opens"] is True


async def test_group_of_domains_and_addresses_with_readiness(clock: FrozenClock) -> None:
    ws, other = await space(), await space("other")
    manager = actor(ws)
    await service.create_campaign(manager, clock, "q1")
    await mailboxes(ws, "warm.test", 3, status=MailboxStatus.WARMING, started=NOW.date() - dt.timedelta(days=10))
    [active] = await mailboxes(ws, "live.test", 1, status=MailboxStatus.ACTIVE, started=NOW.date())
    await mailboxes(other, "theirs.test", 1, status=MailboxStatus.ACTIVE)
    group = await service.set_group(manager, clock, "q1", ["warm.test", active.address, "warm.test"])
    assert (group.domains, group.mailboxes, group.ready, group.warming) == (("warm.test",), (active.address,), 1, 3)
    assert group.first_ready == NOW.date() - dt.timedelta(days=10) + dt.timedelta(days=42)
    for target, key in (("theirs.test", "error-domain-not-found"), ("box0@theirs.test", "error-mailbox-not-found")):
        with pytest.raises(NotFound) as missing:
            await service.set_group(manager, clock, "q1", [target])
        assert missing.value.key == key
    assert len(await service.group_mailboxes((await Campaign.get(name="q1")).id)) == 4  # unchanged by the refusal
    group = await service.set_group(manager, clock, "q1", [active.address])  # replaces the group
    assert (group.domains, group.ready, group.warming) == ((), 1, 0)


async def test_steps_are_stored_and_replaced_and_frozen_while_running(clock: FrozenClock) -> None:
    ws = await space()
    manager = await ready_campaign(clock, ws, leads=1)
    campaign = await Campaign.get(name="q1")
    rows = await Step.filter(campaign_id=campaign.id).order_by("position")
    assert [(s.position, s.delay_days, s.business_days) for s in rows] == [(1, 0, False), (2, 3, True)]
    assert rows[0].variants == [
        {"subject": "Привет, {first_name|коллега}", "body": STEPS.split("\n")[1], "weight": 100}
    ]
    assert rows[1].variants == [
        {"subject": "Re: Привет, {first_name|коллега}", "body": STEPS.split("\n")[3], "weight": 100}
    ]
    with pytest.raises(UserError) as bad:
        await service.set_steps(manager, clock, "q1", "Тема: x\nтело\n--- шаг 3 через 1 день\nz")
    assert (bad.value.key, bad.value.params["line"]) == ("error-campaign-steps-order", 3)
    assert await Step.filter(campaign_id=campaign.id).count() == 2
    saved = await service.set_steps(manager, clock, "q1", "Subject: one\nbody")
    assert len(saved.steps) == 1 and await Step.filter(campaign_id=campaign.id).count() == 1
    await service.start_campaign(manager, clock, "q1", override=True)
    with pytest.raises(Conflict) as running:
        await service.set_steps(manager, clock, "q1", STEPS)
    assert running.value.key == "error-campaign-steps-running"


async def test_a_misspelt_or_unknown_placeholder_is_refused_when_the_steps_are_saved(clock: FrozenClock) -> None:
    """ "Subject: Hello {nmae}" was saved ("Sequence saved"), the preview showed it filled with a sample value, and
    only the start said it was unknown. It is refused at once, naming the field, step, variant, part and line; a
    column of the campaign's leads (or, before any is enrolled, of the workspace's) is a field."""
    ws = await space()
    manager = actor(ws)
    await service.create_campaign(manager, clock, "q1")
    with pytest.raises(UserError) as unknown:
        await service.set_steps(manager, clock, "q1", "Subject: Hello {nmae}\nBody\n--- step 2 after 2 days\nMore")
    assert unknown.value.key == "error-campaign-steps-unknown-field"
    assert unknown.value.params["names"] == "{nmae}" and unknown.value.params["example"] == "{nmae|…}"
    assert unknown.value.params["where"] == "шаг 1, вариант A, тема (строка 1)"
    typo = "Тема: Привет\nТекст\n\n--- шаг 2 через 2 дня\nЕщё\n\n{Frist_Name|коллега}, ответьте"
    with pytest.raises(UserError) as misspelt:  # a fallback would hide the typo in every email
        await service.set_steps(manager, clock, "q1", typo)
    assert misspelt.value.key == "error-campaign-steps-field-typo"
    assert misspelt.value.params == {
        "where": "шаг 2, вариант A, текст (строка 7)",
        "names": "{frist_name} → {first_name}",
    }
    assert not await Step.filter(campaign__name="q1").exists()
    # a field with a fallback that is no typo is fine, as are the workspace's lead columns before leads are enrolled
    await Lead.create(workspace=ws, email="x@client.test", custom={"Город": "Омск"})
    saved = await service.set_steps(manager, clock, "q1", "Тема: Вопрос про {город}\nКак там {отрасль|у вас}?")
    assert len(saved.steps) == 1
    await enroll("q1", ws, 1)  # enrolled leads without that column: now only theirs count
    with pytest.raises(UserError) as gone:
        await service.set_steps(manager, clock, "q1", "Тема: Вопрос про {город}\nТекст")
    assert (gone.value.key, gone.value.params["names"]) == ("error-campaign-steps-unknown-field", "{город}")


async def test_a_sequence_written_in_html_is_refused_as_it_is_saved(clock: FrozenClock) -> None:
    """A body pasted from an HTML editor was saved and went out with its tags as written ("<p>Hello <b>Anna</b>")."""
    ws = await space()
    manager = actor(ws)
    await service.create_campaign(manager, clock, "q1", {"html": "on"})
    pasted = "Subject: Hello\nHi {first_name|there},\n\n<p>See <a href='https://acme.example'>our offer</a></p>"
    with pytest.raises(UserError) as html:
        await service.set_steps(manager, clock, "q1", pasted)
    assert (html.value.key, html.value.params) == (
        "error-campaign-steps-html",
        {"where": "шаг 1, вариант A, текст (строка 4)", "tags": "<p>, <a>"},
    )
    assert not await Step.filter(campaign__name="q1").exists()
    plain = pasted.replace("<p>See <a href='https://acme.example'>our offer</a></p>", "See https://acme.example")
    assert len((await service.set_steps(manager, clock, "q1", plain)).steps) == 1


async def test_a_paused_campaign_keeps_every_variant_its_leads_drew(clock: FrozenClock) -> None:
    """Paused with leads in variant B, the sequence was replaced by one of a single variant and saved: those
    leads' next step then failed to compose ("step 2 has no variant B") after the resume."""
    ws = await space()
    manager = await ready_campaign(clock, ws, leads=2)
    ab = STEPS.replace("\n--- шаг 2", "\n=== вариант B\nТема: Вопрос\nДругой текст первого письма.\n--- шаг 2")
    await service.set_steps(manager, clock, "q1", ab)
    await service.start_campaign(manager, clock, "q1", override=True)
    first, second = await Enrollment.filter(campaign__name="q1").order_by("id")
    await Enrollment.filter(id=first.id).update(variant=0, current_step=1)
    await Enrollment.filter(id=second.id).update(variant=1, current_step=1)
    await service.pause_campaign(manager, clock, "q1")
    with pytest.raises(Conflict) as drawn:
        await service.set_steps(manager, clock, "q1", STEPS)
    assert (drawn.value.key, drawn.value.params) == (
        "error-campaign-steps-variants-drawn",
        {"name": "q1", "letter": "B", "count": 2, "have": 1},
    )
    assert [len(s.variants) for s in await Step.filter(campaign__name="q1").order_by("position")] == [2, 2]
    follow_ups_cut = ab.split("--- шаг 2")[0] + "--- шаг 2 через 1 день\nОдин текст для всех."
    saved = await service.set_steps(manager, clock, "q1", follow_ups_cut)  # later steps may have one variant
    assert [len(s.variants) for s in saved.steps] == [2, 1]
    await Enrollment.filter(id=second.id).update(state=EnrollmentState.COMPLETED)  # B's lead left the sequence
    assert len((await service.set_steps(manager, clock, "q1", STEPS)).steps) == 2


async def test_a_paused_campaign_cut_to_fewer_steps_ends_for_the_leads_past_its_last(clock: FrozenClock) -> None:
    """Paused with a follow-up planned, the sequence was cut to its first step: the follow-up failed to compose
    after the resume ("the campaign has no step 2") and its lead stayed active; it is cancelled and the lead has
    finished, while a lead still before the last step goes on."""
    ws = await space()
    manager = await ready_campaign(clock, ws, leads=2)
    await service.start_campaign(manager, clock, "q1", override=True)
    past, before = await Enrollment.filter(campaign__name="q1").order_by("id")
    await Enrollment.filter(id=past.id).update(current_step=2, next_due_at=NOW)
    box = await Mailbox.get(address="box0@ready.test")
    follow_up = await OutboundMessage.create(
        kind=MessageKind.CAMPAIGN, workspace=ws, mailbox=box, lead_id=past.lead_id, enrollment=past,
        campaign_id=past.campaign_id, step_position=2, message_id="<f2@ready.test>", scheduled_at=NOW,
    )  # fmt: skip
    await service.pause_campaign(manager, clock, "q1")
    saved = await service.set_steps(manager, clock, "q1", STEPS.split("\n--- шаг 2", maxsplit=1)[0])
    assert len(saved.steps) == 1
    assert (await OutboundMessage.get(id=follow_up.id)).status is MessageStatus.CANCELLED
    states = {e.id: (e.state, e.next_due_at) for e in await Enrollment.filter(campaign__name="q1")}
    assert states[past.id] == (EnrollmentState.COMPLETED, None)
    assert states[before.id][0] is EnrollmentState.ACTIVE


async def test_a_paused_campaign_s_new_delay_counts_for_the_leads_waiting_for_that_step(clock: FrozenClock) -> None:
    """Paused, step 2 changed from "after 3 business days" to "after 20 days" and saved: the leads that had step 1
    kept the due time of the old delay, and their step 2 went out on the third working day after the resume.
    They are due the new delay after their last email now, and what was planned for the old time is gone, for the
    planner to plan again; an unchanged step keeps its leads' times."""
    ws = await space()
    manager = await ready_campaign(clock, ws, leads=2)
    await service.start_campaign(manager, clock, "q1", override=True)
    waiting, fresh = await Enrollment.filter(campaign__name="q1").order_by("id")
    sent = dt.datetime(2026, 11, 27, 11, 30, tzinfo=dt.UTC)  # a Friday
    await Enrollment.filter(id=waiting.id).update(current_step=2, last_sent_at=sent, next_due_at=NOW)
    box = await Mailbox.get(address="box0@ready.test")
    planned = await OutboundMessage.create(
        kind=MessageKind.CAMPAIGN, workspace=ws, mailbox=box, lead_id=waiting.lead_id, enrollment=waiting,
        campaign_id=waiting.campaign_id, step_position=2, message_id="<f2@ready.test>", scheduled_at=NOW,
    )  # fmt: skip
    await service.pause_campaign(manager, clock, "q1")
    unchanged = STEPS + "\n--- шаг 3 через 2 дня\nПоследнее письмо: если тема не актуальна, просто ответьте «нет»."
    await service.set_steps(manager, clock, "q1", unchanged)  # step 2 as it was: nothing moves
    assert (await Enrollment.get(id=waiting.id)).next_due_at == NOW
    assert await OutboundMessage.filter(id=planned.id).exists()
    await service.set_steps(manager, clock, "q1", unchanged.replace("через 3 рабочих дня", "через 20 дней"))
    assert (await Enrollment.get(id=waiting.id)).next_due_at == sent + dt.timedelta(days=20)
    assert not await OutboundMessage.filter(id=planned.id).exists()
    assert (await Enrollment.get(id=fresh.id)).next_due_at == NOW  # still before step 1: not its delay
    await service.set_steps(manager, clock, "q1", unchanged.replace("через 3 рабочих дня", "через 2 рабочих дня"))
    assert (await Enrollment.get(id=waiting.id)).next_due_at == dt.datetime(2026, 12, 1, 11, 30, tzinfo=dt.UTC)


# ------------------------------------------------------------------------------------------------ start


async def test_start_is_refused_with_every_reason(clock: FrozenClock) -> None:
    ws = await space(identity=False)
    manager = actor(ws)
    await service.create_campaign(manager, clock, "q1")
    result = await service.start_campaign(manager, clock, "q1")
    assert not result.started
    assert [r.key for r in result.errors] == [
        "campaign-refuse-no-steps",
        "campaign-refuse-no-leads",
        "campaign-refuse-no-group",
        "campaign-refuse-no-legal-name",
        "campaign-refuse-no-contact",
    ]
    started = NOW.date() - dt.timedelta(days=20)
    await mailboxes(ws, "warm.test", 2, status=MailboxStatus.WARMING, started=started)
    await service.set_group(manager, clock, "q1", ["warm.test"])
    await service.set_steps(manager, clock, "q1", STEPS)
    await enroll("q1", ws, 2)
    result = await service.start_campaign(manager, clock, "q1", override=True)  # override never beats an error
    [not_ready, no_name, no_contact] = result.errors
    assert (not_ready.key, not_ready.params) == (
        "campaign-refuse-not-ready", {"warming": 2, "date": str(started + dt.timedelta(days=42))})  # fmt: skip
    assert (no_name.key, no_contact.key) == ("campaign-refuse-no-legal-name", "campaign-refuse-no-contact")
    assert (await Campaign.get(name="q1")).status is CampaignStatus.DRAFT
    # the warmup period over, the inbox share not measured enough: no date to promise (it read "ready on <a day
    # already past> at the earliest", day after day), but what the gate waits for
    await Mailbox.filter(domain__name="warm.test").update(warmup_started_on=NOW.date() - dt.timedelta(days=50))
    result = await service.start_campaign(manager, clock, "q1")
    assert [(r.key, r.params) for r in result.errors[:1]] == [
        ("campaign-refuse-waiting-placement", {"waiting": 2, "threshold": 85})
    ]
    assert "campaign-refuse-not-ready" not in [r.key for r in result.errors]
    await Mailbox.filter(domain__name="warm.test").update(status=MailboxStatus.PAUSED)
    result = await service.start_campaign(manager, clock, "q1")
    assert [(r.key, r.params) for r in result.errors[:2]] == [
        ("campaign-refuse-not-ready", {"warming": 0, "date": "—"}),
        ("campaign-refuse-held", {"held": 2}),
    ]


async def test_a_warning_needs_the_override_and_a_double_start_acts_once(clock: FrozenClock) -> None:
    ws = await space()
    manager = await ready_campaign(clock, ws, leads=10)  # 10 leads, 1 mailbox × 1 a day: 10 days for step 1
    waiting = await service.start_campaign(manager, clock, "q1")
    assert waiting.needs_confirmation and not waiting.errors
    assert {"key": "campaign-warn-slow", "params": {"leads": 10, "ready": 1, "days": 10}} in [
        {"key": w.key, "params": w.params} for w in waiting.warnings
    ]
    assert (await Campaign.get(name="q1")).status is CampaignStatus.DRAFT

    first, second = await asyncio.gather(
        service.start_campaign(manager, clock, "q1", override=True),
        service.start_campaign(manager, clock, "q1", override=True),
        return_exceptions=True,
    )
    outcomes = [r for r in (first, second) if isinstance(r, service.StartResult) and r.started]
    refusals = [r for r in (first, second) if isinstance(r, Conflict)]
    assert (len(outcomes), len(refusals)) == (1, 1), (first, second)
    campaign = await Campaign.get(name="q1")
    assert (campaign.status, campaign.started_at) == (CampaignStatus.RUNNING, NOW)
    assert await AuditLog.filter(action="campaign.transition").count() == 1
    assert await AuditLog.filter(action="campaign.start").count() == 1
    with pytest.raises(AlreadyInState):
        await service.start_campaign(manager, clock, "q1", override=True)


async def test_a_button_offered_for_a_draft_does_not_resume_the_campaign_paused_since(
    clock: FrozenClock, redis: Redis
) -> None:
    ws = await space()
    manager = await ready_campaign(clock, ws, leads=10)  # 10 leads, 1 mailbox: a warning, so a button
    first = await service.request_confirmation(redis, manager, await service.start_campaign(manager, clock, "q1"))
    second = await service.request_confirmation(redis, manager, await service.start_campaign(manager, clock, "q1"))
    assert (await service.confirm_start(manager, clock, redis, first)).started
    await service.pause_campaign(manager, clock, "q1")
    with pytest.raises(Conflict) as stale:  # the older message's button, pressed late
        await service.confirm_start(manager, clock, redis, second)
    assert stale.value.key == "error-campaign-confirm-stale"
    assert translator("ru")(stale.value.key, **stale.value.params).startswith("Эта кнопка устарела")
    assert (await Campaign.get(name="q1")).status is CampaignStatus.PAUSED
    resume = await service.resume_campaign(manager, clock, "q1")  # a button offered for the paused campaign works
    assert (
        await service.confirm_start(manager, clock, redis, await service.request_confirmation(redis, manager, resume))
    ).resumed


async def test_the_confirmation_is_used_once_and_expires_with_its_workspace(clock: FrozenClock, redis: Redis) -> None:
    ws, other = await space(), await space("other")
    manager = await ready_campaign(clock, ws, leads=10)
    waiting = await service.start_campaign(manager, clock, "q1")
    token = await service.request_confirmation(redis, manager, waiting)
    assert 0 < await redis.ttl(service.CONFIRM_PREFIX + token) <= CONFIRM_TTL_S
    with pytest.raises(NotFound):  # another workspace's manager can neither use it nor spend it
        await service.confirm_start(actor(other), clock, redis, token)
    presses = await asyncio.gather(
        service.confirm_start(manager, clock, redis, token),
        service.confirm_start(manager, clock, redis, token),
        return_exceptions=True,
    )
    started = [p for p in presses if isinstance(p, service.StartResult) and p.started]
    refused = [p for p in presses if isinstance(p, UserError)]
    assert (len(started), len(refused)) == (1, 1), presses
    assert refused[0].key in {"error-campaign-confirm-used", "error-campaign-confirm-expired"}
    with pytest.raises(Conflict) as late:
        await service.confirm_start(manager, clock, redis, token)
    assert late.value.key == "error-campaign-confirm-used"
    ru = translator("ru")(late.value.key, **late.value.params)  # the state in the reader's words, not the enum's
    assert "q1" in ru and ru.endswith(translator("ru")("state-campaign-running") + ".") and "running" not in ru
    with pytest.raises(UserError) as unknown:
        await service.confirm_start(manager, clock, redis, "nope")
    assert unknown.value.key == "error-campaign-confirm-expired"
    assert await AuditLog.filter(action="campaign.start").count() == 1


async def test_a_campaign_whose_leads_all_left_the_sequence_is_refused_for_that_not_for_having_none(
    clock: FrozenClock,
) -> None:
    ws = await space()
    manager = await ready_campaign(clock, ws, leads=2)
    await Enrollment.filter(campaign__name="q1").update(state=EnrollmentState.COMPLETED)
    result = await service.start_campaign(manager, clock, "q1")
    assert [(r.key, r.params) for r in result.errors] == [
        ("campaign-refuse-no-active-leads", {"name": "q1", "enrolled": 2})
    ]


async def test_pause_and_resume(clock: FrozenClock) -> None:
    ws = await space()
    manager = await ready_campaign(clock, ws, leads=1)
    with pytest.raises(Conflict) as draft:  # a draft is not running: said by name, with what to do instead
        await service.pause_campaign(manager, clock, "q1")
    assert translator("ru")(draft.value.key, **draft.value.params) == (
        "Кампания q1 ещё не запущена: приостанавливать нечего. Запуск: /campaign_start q1"
    )
    with pytest.raises(Conflict) as not_paused:
        await service.resume_campaign(manager, clock, "q1")
    assert not_paused.value.key == "error-campaign-not-paused"
    assert translator("ru")(not_paused.value.key, **not_paused.value.params) == (
        "Кампания q1 не на паузе (сейчас: " + translator("ru")("state-campaign-draft") + ")."
    )
    assert (await service.start_campaign(manager, clock, "q1", override=True)).started
    paused = await service.pause_campaign(manager, clock, "q1")
    assert paused.status is CampaignStatus.PAUSED
    with pytest.raises(AlreadyInState):
        await service.pause_campaign(manager, clock, "q1")
    resumed = await service.resume_campaign(manager, clock, "q1", override=True)
    assert resumed.started and (await Campaign.get(name="q1")).status is CampaignStatus.RUNNING
    assert await AuditLog.filter(action="campaign.resume").count() == 1
    assert (await Campaign.get(name="q1")).started_at == NOW  # kept from the first start


# ------------------------------------------------------------------------------------------------ status, test


async def test_status_counts_progress_steps_and_todays_deferrals(clock: FrozenClock) -> None:
    ws = await space()
    manager = await ready_campaign(clock, ws, leads=4)
    campaign = await Campaign.get(name="q1")
    [box] = await Mailbox.filter(domain__name="ready.test")
    enrollments = list(await Enrollment.filter(campaign_id=campaign.id).order_by("id"))
    await Enrollment.filter(id=enrollments[0].id).update(state=EnrollmentState.REPLIED)
    await Enrollment.filter(id=enrollments[1].id).update(state=EnrollmentState.BOUNCED)
    await Enrollment.filter(id=enrollments[2].id).update(current_step=2)
    for n, (e, status, sent_at) in enumerate([
        (enrollments[0], MessageStatus.SENT, NOW - dt.timedelta(days=2)),
        (enrollments[1], MessageStatus.BOUNCED, NOW - dt.timedelta(hours=1)),
        (enrollments[2], MessageStatus.SENT, NOW - dt.timedelta(hours=2)),
        (enrollments[3], MessageStatus.PLANNED, None),
    ]):  # fmt: skip
        await OutboundMessage.create(
            kind=MessageKind.CAMPAIGN, workspace=ws, mailbox=box, lead_id=e.lead_id, enrollment=e, campaign=campaign,
            step_position=1, variant=n % 2, message_id=f"<m{n}@ready.test>", status=status,
            scheduled_at=NOW + dt.timedelta(hours=3) if sent_at is None else sent_at, sent_at=sent_at,
        )  # fmt: skip
    await CampaignDeferral.create(
        workspace=ws, campaign=campaign, day=NOW.date(), cap=CapKind.CAMPAIGN, wanted=9, allowed=5, updated_at=NOW
    )
    await CampaignDeferral.create(  # yesterday's: not shown
        workspace=ws, campaign=campaign, day=NOW.date() - dt.timedelta(days=1), cap=CapKind.WINDOW, wanted=1,
        allowed=0, updated_at=NOW,
    )  # fmt: skip
    for source, cap in (("campaign", CapKind.MAILBOX), ("warmup", CapKind.WARMUP)):
        await CapDeferral.create(
            workspace=ws, mailbox=box, day=NOW.date(), cap=cap, source=source, wanted=3, allowed=1, updated_at=NOW
        )

    view = await service.campaign_status(manager, clock, "q1")
    assert (view.enrolled, view.states[EnrollmentState.ACTIVE], view.states[EnrollmentState.REPLIED]) == (4, 2, 1)
    assert (view.sent_today, view.sent_total, view.pending, view.next_due) == (2, 3, 1, NOW + dt.timedelta(hours=3))
    assert [(c.position, c.variant, c.sent) for c in view.per_step] == [(1, 0, 2), (1, 1, 1)]
    assert view.waiting == ((1, 1), (2, 1))  # one lead still before step 1, one past it
    assert [(d.cap, d.wanted, d.allowed, d.mailbox) for d in view.deferrals] == [
        (CapKind.CAMPAIGN, 9, 5, ""),
        (CapKind.MAILBOX, 3, 1, "box0@ready.test"),
    ]
    assert (view.window, view.per_mailbox_cap, view.steps, view.group.ready) == ("09:00-18:00", 1, 2, 1)
    [line] = await service.list_campaigns(manager)
    assert (line.steps, line.enrolled, line.active) == (2, 4, 2)


async def test_with_nothing_planned_the_next_send_is_when_the_window_next_opens(clock: FrozenClock) -> None:
    ws = await space()
    manager = await ready_campaign(clock, ws, leads=2)  # due at NOW, a Wednesday 10:00 UTC, nothing planned
    assert (await service.campaign_status(manager, clock, "q1")).next_due == NOW  # inside today's window
    await service.update_settings(manager, clock, "q1", {"weekdays": "сб"})
    saturday = dt.datetime(2026, 12, 5, 9, 0, tzinfo=dt.UTC)
    assert (await service.campaign_status(manager, clock, "q1")).next_due == saturday
    await service.update_settings(manager, clock, "q1", {"weekdays": "пн-вс", "window": "08:00-09:30"})
    tomorrow = dt.datetime(2026, 12, 3, 8, 0, tzinfo=dt.UTC)  # today's window has closed
    assert (await service.campaign_status(manager, clock, "q1")).next_due == tomorrow
    await Enrollment.filter(lead__workspace_id=ws.id).update(next_due_at=NOW + dt.timedelta(days=3, hours=1))
    assert (await service.campaign_status(manager, clock, "q1")).next_due == dt.datetime(2026, 12, 6, 8, tzinfo=dt.UTC)


async def test_the_card_of_a_paused_or_draft_campaign_does_not_promise_a_send(clock: FrozenClock) -> None:
    """A paused campaign's card said "next: 2026-12-07 09:00 MSK" as if it would send then, and a draft's the
    time its leads were due: neither sends anything until it is resumed or started, and the card now says so."""
    runner = Runner(clock, admins={Platform.TELEGRAM: {"1"}})
    admin = runner.identity(Platform.TELEGRAM, "1", "boss", "en")
    assert (await runner.run_line(admin, "c1", "/workspace_new acme ACME")).ok
    ws = await Workspace.get(slug="acme")
    await Workspace.filter(id=ws.id).update(timezone="UTC", sender_name="ACME LLC", sender_address="Moscow")
    await ready_campaign(clock, ws, leads=1)
    en = translator("en")

    async def next_send() -> str:
        text = (await runner.run_line(admin, "c1", "/campaign q1")).plain_text()
        return text.split("next: ", 1)[1].split("\n", 1)[0]

    assert await next_send() == en("campaign-next-after-start", name="q1")
    await service.start_campaign(actor(ws), clock, "q1", override=True)
    assert await next_send() == "2026-12-02 10:00 UTC"
    assert (await runner.run_line(admin, "c1", "/campaign_pause q1")).ok
    assert await next_send() == en("campaign-next-once-resumed", at="2026-12-02 10:00 UTC", name="q1")


async def test_a_test_send_is_queued_from_a_graduated_mailbox(clock: FrozenClock) -> None:
    ws = await space()
    manager = await ready_campaign(clock, ws, leads=1)
    await mailboxes(ws, "ready.test", 0, status=MailboxStatus.ACTIVE)
    for bad in ("not-an-address", "a@b", "two@@example.com", "x@example.com\r\nBcc: y@example.com"):
        with pytest.raises(UserError) as refused:
            await service.send_test(manager, clock, "q1", bad)
        assert refused.value.key == "error-campaign-test-address"
    row = await service.send_test(manager, clock, "q1", "Анна Иванова <Me@Acme.Example> ")  # copied from a client
    assert (row.kind, row.status, row.step_position, row.variant, row.lead_id) == (
        MessageKind.TEST, MessageStatus.QUEUED, 1, 0, None)  # fmt: skip
    assert (row.body, row.scheduled_at, row.campaign_id) == ("me@acme.example", NOW, (await Campaign.get(name="q1")).id)
    assert (await Mailbox.get(id=row.mailbox_id)).address == "box0@ready.test"
    assert row.message_id.endswith("@ready.test>")
    for _ in range(service.TEST_SENDS_PER_DAY - 1):
        await service.send_test(manager, clock, "q1", "me@acme.example")
    with pytest.raises(UserError) as limit:
        await service.send_test(manager, clock, "q1", "me@acme.example")
    assert limit.value.key == "error-campaign-test-limit"


async def test_the_status_of_a_big_group_stays_one_readable_message(clock: FrozenClock, redis: Redis) -> None:
    runner = Runner(clock, admins={Platform.TELEGRAM: {"1"}}, services={"redis": redis})
    admin = runner.identity(Platform.TELEGRAM, "1", "boss", "en")
    assert (await runner.run_line(admin, "c1", "/workspace_new acme ACME")).ok
    ws = await Workspace.get(slug="acme")
    await Workspace.filter(id=ws.id).update(timezone="UTC")
    boxes = await mailboxes(ws, "fleet.test", 300, status=MailboxStatus.ACTIVE)
    assert (await runner.run_line(admin, "c1", "/campaign_new q1")).ok
    group = await runner.run_line(admin, "c1", "/campaign_group q1 fleet.test")
    assert translator("en")(
        "campaign-group-line", ready=300, total=300, stages="working (maintenance warmup): 300"
    ) in (group.plain_text())
    await CapDeferral.bulk_create([
        CapDeferral(workspace=ws, mailbox=b, day=NOW.date(), cap=CapKind.DOMAIN, source="campaign", wanted=5,
                    allowed=2, updated_at=NOW)
        for b in boxes
    ])  # fmt: skip
    status = (await runner.run_line(admin, "c1", "/campaign q1")).plain_text()
    assert len(status) < 4096, len(status)
    assert translator("en")("list-more", count=300 - 30) in status
    assert "box0@fleet.test: wanted 5, allowed 2 — the mailbox's share of its domain's daily cap" in status


async def test_a_test_send_to_an_address_copied_with_its_name_is_queued_to_the_address(clock: FrozenClock) -> None:
    """`/campaign_test q1 Анна Иванова <anna@acme.example>` (an address as a mail client shows it) was refused with
    "Too many arguments for /campaign_test: Иванова <anna@acme.example>"."""
    runner = Runner(clock, admins={Platform.TELEGRAM: {"1"}})
    admin = runner.identity(Platform.TELEGRAM, "1", "boss", "en")
    assert (await runner.run_line(admin, "c1", "/workspace_new acme ACME")).ok
    ws = await Workspace.get(slug="acme")
    await Workspace.filter(id=ws.id).update(sender_name="ACME LLC", sender_address="Moscow")
    await mailboxes(ws, "ready.test", 1, status=MailboxStatus.ACTIVE)
    for line in ("/campaign_new q1", "/campaign_group q1 ready.test", "/campaign_steps q1\n" + STEPS):
        assert (await runner.run_line(admin, "c1", line)).ok, line
    reply = await runner.run_line(admin, "c1", "/campaign_test q1 Анна Иванова <Anna@Acme.Example>")
    assert reply.ok, reply.plain_text()
    assert (
        translator("en")("campaign-test-queued", name="q1", email="anna@acme.example", step=1, variant="A")
        in reply.plain_text()
    )
    assert (await OutboundMessage.get(kind=MessageKind.TEST)).body == "anna@acme.example"


async def test_a_test_send_goes_for_the_step_and_variant_named_after_the_address(clock: FrozenClock) -> None:
    """/campaign_test always sent step 1, variant A: a manager could not see a follow-up or variant B in their own
    inbox before the launch. The step and the variant now follow the address, as /campaign_preview takes them; a step
    or a variant the campaign does not have, or a word that is neither, is refused and nothing is queued (the
    composer would have failed the row unheard)."""
    runner = Runner(clock, admins={Platform.TELEGRAM: {"1"}})
    admin = runner.identity(Platform.TELEGRAM, "1", "boss", "en")
    assert (await runner.run_line(admin, "c1", "/workspace_new acme ACME")).ok
    ws = await Workspace.get(slug="acme")
    await Workspace.filter(id=ws.id).update(sender_name="ACME LLC", sender_address="Moscow")
    await mailboxes(ws, "ready.test", 1, status=MailboxStatus.ACTIVE)
    steps = STEPS.replace("\n---", "\n=== variant B\nSubject: Вопрос\nДругой текст.\n---", 1)
    for line in ("/campaign_new q1", "/campaign_group q1 ready.test", "/campaign_steps q1\n" + steps):
        assert (await runner.run_line(admin, "c1", line)).ok, line
    t = translator("en")
    reply = await runner.run_line(admin, "c1", "/campaign_test q1 Анна <anna@acme.example> B 2")
    assert reply.plain_text() == t("campaign-test-queued", name="q1", email="anna@acme.example", step=2, variant="B")
    row = await OutboundMessage.get(kind=MessageKind.TEST)
    assert (row.step_position, row.variant, row.body) == (2, 1, "anna@acme.example")
    reply = await runner.run_line(admin, "c1", "/campaign_test q1 me@acme.example")
    assert reply.plain_text() == t("campaign-test-queued", name="q1", email="me@acme.example", step=1, variant="A")
    for options, expected in (
        ("3", t("error-campaign-preview-step", name="q1", step=3)),
        ("C", t("error-content-variant-not-found", step=1, variant="C")),
        ("2 please", t("error-campaign-test-word", word="please")),
    ):
        reply = await runner.run_line(admin, "c1", f"/campaign_test q1 me@acme.example {options}")
        assert not reply.ok and reply.plain_text() == expected, options
    assert await OutboundMessage.filter(kind=MessageKind.TEST).count() == 2


async def test_a_word_file_sent_as_the_sequence_is_named_not_called_a_list(clock: FrozenClock) -> None:
    """A .docx sent with /campaign_steps was answered "not a text file (control characters on lines 1). Send a
    CSV or a plain list": the generic upload check, with advice for lead lists."""
    runner = Runner(clock, admins={Platform.TELEGRAM: {"1"}})
    admin = runner.identity(Platform.TELEGRAM, "1", "boss", "ru")
    assert (await runner.run_line(admin, "c1", "/workspace_new acme ACME")).ok
    assert (await runner.run_line(admin, "c1", "/campaign_new q1")).ok
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as document:
        document.writestr("word/document.xml", "<w:document/>")
    sent = Attachment("sequence.docx", out.getvalue())
    reply = await runner.run_line(admin, "c1", "/campaign_steps q1", sent)
    assert not reply.ok
    assert reply.plain_text() == translator("ru")("error-campaign-steps-file", format="DOCX", name="q1")
    assert await Step.filter(campaign__name="q1").count() == 0
    pdf = await runner.run_line(admin, "c1", "/campaign_steps q1", Attachment("seq.pdf", b"%PDF-1.7\n%\xe2\xe3"))
    assert pdf.plain_text() == translator("ru")("error-campaign-steps-file", format="PDF", name="q1")


async def test_a_test_send_to_a_cyrillic_domain_is_confirmed_as_typed(clock: FrozenClock) -> None:
    """ "/campaign_test q1 я@почта.рф" was confirmed as queued "to я@xn--80a1acny.xn--p1ai"."""
    runner = Runner(clock, admins={Platform.TELEGRAM: {"1"}})
    admin = runner.identity(Platform.TELEGRAM, "1", "boss", "ru")
    assert (await runner.run_line(admin, "c1", "/workspace_new acme ACME")).ok
    ws = await Workspace.get(slug="acme")
    await Workspace.filter(id=ws.id).update(timezone="UTC", sender_name="ACME LLC", sender_address="Moscow")
    await ready_campaign(clock, ws, leads=1)
    reply = await runner.run_line(admin, "c1", "/campaign_test q1 Anna@ПОЧТА.РФ")
    assert reply.ok, reply.plain_text()
    row = await OutboundMessage.get(kind=MessageKind.TEST)
    assert row.body == "anna@xn--80a1acny.xn--p1ai"
    expected = translator("ru")("campaign-test-queued", name="q1", email="anna@почта.рф", step=1, variant="A")
    assert reply.plain_text() == expected


async def test_the_preview_reads_as_the_test_send_and_as_each_lead_s_message(clock: FrozenClock) -> None:
    """/campaign_preview drew its spintax from a seed of its own while a message drew from its row id: a lead's
    preview said "Здравствуйте" and the lead got "Привет". And {sender_name} read the group's named mailboxes only:
    a group given as a domain previewed the company where the test send and every message show the mailbox's name."""
    ws = await space()
    manager = actor(ws)
    await service.create_campaign(manager, clock, "q1")
    await mailboxes(ws, "ready.test", 2, status=MailboxStatus.ACTIVE, started=NOW.date() - dt.timedelta(days=50))
    await Mailbox.filter(address="box0@ready.test").update(display_name="Анна Петрова")
    await service.set_group(manager, clock, "q1", ["ready.test"])
    steps = (
        "Тема: {{Привет|Здравствуйте|Добрый день}}, {first_name|коллега}: {{вопрос|идея|предложение}}\n"
        "{{Пишу|Обращаюсь}} по поводу {{станков|оборудования|поставок}} для {{вашей|Вашей}} фабрики.\n"
        "С уважением, {sender_name}"
    )
    await service.set_steps(manager, clock, "q1", steps)
    await enroll("q1", ws, 12)
    links = TrackingLinks("https://t.example.test", b"k" * 32)
    composer = Composer(links)

    def letter(text: str) -> str:  # the body without the unsubscribe line (a preview's link never works)
        return text.rsplit("\n", 2)[0]

    _, shown = await service.preview(manager, "q1", lead_email=None, step=1, variant=None)
    test = await service.send_test(manager, clock, "q1", "me@acme.example")
    sent = await composer(CampaignRow(test.id, ws.id, test.campaign_id, test.mailbox_id, None, 1, 0, "me@acme.example"))
    assert (sent.subject, letter(sent.text)) == (shown.subject, letter(shown.text))
    assert "С уважением, Анна Петрова\n" in sent.text
    box = await Mailbox.get(address="box0@ready.test")
    campaign = await Campaign.get(name="q1")
    for n, e in enumerate(await Enrollment.filter(campaign_id=campaign.id).order_by("id").prefetch_related("lead")):
        await Enrollment.filter(id=e.id).update(mailbox_id=box.id, variant=0)
        _, shown = await service.preview(manager, "q1", lead_email=e.lead.email, step=1, variant=None)
        row = CampaignRow(1000 + n, ws.id, campaign.id, box.id, e.lead.id, 1, 0, e.lead.email)
        sent = await composer(row)
        assert (sent.subject, letter(sent.text)) == (shown.subject, letter(shown.text)), e.lead.email


async def test_a_test_send_without_a_sender_identity_is_refused_not_queued_to_fail(clock: FrozenClock) -> None:
    """/campaign_test answered "queued" in a workspace without /workspace_legal; the composer then failed the row
    (no message goes out without the footer) and the manager waited for a test that never came, told nothing."""
    runner = Runner(clock, admins={Platform.TELEGRAM: {"1"}})
    admin = runner.identity(Platform.TELEGRAM, "1", "boss", "ru")
    assert (await runner.run_line(admin, "c1", "/workspace_new acme ACME")).ok
    ws = await Workspace.get(slug="acme")
    await mailboxes(ws, "ready.test", 1, status=MailboxStatus.ACTIVE)
    for line in ("/campaign_new q1", "/campaign_group q1 ready.test", "/campaign_steps q1\n" + STEPS):
        assert (await runner.run_line(admin, "c1", line)).ok, line
    for lang in ("ru", "en"):
        reply = await runner.run_line(
            runner.identity(Platform.TELEGRAM, "1", "boss", lang), "c1", "/campaign_test q1 me@acme.example"
        )
        assert not reply.ok
        assert reply.plain_text() == translator(lang)("error-campaign-test-no-identity", name="q1")
    assert not await OutboundMessage.exists(kind=MessageKind.TEST)
    await Workspace.filter(id=ws.id).update(sender_name="ACME LLC")  # a name without a contact is no footer yet
    assert not (await runner.run_line(admin, "c1", "/campaign_test q1 me@acme.example")).ok
    await Workspace.filter(id=ws.id).update(sender_address="Moscow, Tverskaya 1")
    assert (await runner.run_line(admin, "c1", "/campaign_test q1 me@acme.example")).ok
    assert await OutboundMessage.filter(kind=MessageKind.TEST).count() == 1


async def test_two_drafts_holding_the_same_leads_do_not_both_write_to_them(clock: FrozenClock) -> None:
    """An import skips a lead that a running or paused campaign has, but one list imported into two drafts enrolled
    every lead in both, and both started: each lead would get two sequences. The first start keeps them; the second
    leaves them out (stopped, `in_other_campaign`) and says how many. Started at the same moment, one keeps them."""
    ws = await space()
    manager = await ready_campaign(clock, ws, leads=3)
    await service.create_campaign(manager, clock, "q2", {"per_mailbox_cap": "1"})
    await service.set_group(manager, clock, "q2", ["ready.test"])
    await service.set_steps(manager, clock, "q2", STEPS)
    q1, q2 = await Campaign.get(name="q1"), await Campaign.get(name="q2")
    for enrollment in await Enrollment.filter(campaign_id=q1.id):  # the same three leads, and one of its own
        await Enrollment.create(campaign=q2, lead_id=enrollment.lead_id, next_due_at=NOW)
    own = await Lead.create(workspace=ws, email="own@example.com")
    await Enrollment.create(campaign=q2, lead=own, next_due_at=NOW)

    results = await asyncio.gather(
        service.start_campaign(manager, clock, "q1", override=True),
        service.start_campaign(manager, clock, "q2", override=True),
    )
    assert all(r.started for r in results) and sorted(r.left_to_others for r in results) == [0, 3]
    later = q2 if results[1].left_to_others else q1  # the one whose start came second
    states = await Enrollment.filter(campaign_id=later.id).order_by("id").values_list("state", "stopped_reason")
    kept = [(EnrollmentState.ACTIVE, "")] if later is q2 else []  # q2's own lead stays in it
    assert states == [(EnrollmentState.STOPPED, service.LEFT_TO_OTHERS)] * 3 + kept
    first = q1 if later is q2 else q2
    assert await Enrollment.filter(campaign_id=first.id, state=EnrollmentState.ACTIVE).count() == 3 + (first is q2)
    said = translator("en")("campaign-started-left-to-others", count=3)
    assert said.startswith("3 leads are already in another running or paused campaign")
    assert translator("ru")("campaign-started-left-to-others", count=3).startswith("3 лида уже есть")


async def test_a_draft_holding_the_person_under_a_plus_tag_address_leaves_them_to_the_campaign_started_first(
    clock: FrozenClock,
) -> None:
    """«q1» holds `lead0@`, draft «q2» holds `lead0+promo@` (one inbox, another lead): the second start looked for
    the same lead only, kept it, and the person got both sequences. It is left out now, as the same lead is."""
    ws = await space()
    manager = await ready_campaign(clock, ws, leads=2)
    await service.create_campaign(manager, clock, "q2", {"per_mailbox_cap": "1"})
    await service.set_group(manager, clock, "q2", ["ready.test"])
    await service.set_steps(manager, clock, "q2", STEPS)
    q2 = await Campaign.get(name="q2")
    for email in ("lead0+promo@example.com", "lead00@example.com"):
        await Enrollment.create(campaign=q2, lead=await Lead.create(workspace=ws, email=email), next_due_at=NOW)
    assert (await service.start_campaign(manager, clock, "q1", override=True)).left_to_others == 0
    assert (await service.start_campaign(manager, clock, "q2", override=True)).left_to_others == 1
    states = await Enrollment.filter(campaign_id=q2.id).order_by("id").values_list("lead__email", "state")
    assert states == [
        ("lead0+promo@example.com", EnrollmentState.STOPPED),
        ("lead00@example.com", EnrollmentState.ACTIVE),
    ]


async def test_a_start_waits_for_an_import_enrolling_the_same_person_and_leaves_them_to_it(
    clock: FrozenClock, database_url: str
) -> None:
    """An import into running «q1» enrolled `newbie@` while draft «q2», holding `newbie+x@` (one inbox), started:
    the start looked for other running campaigns' leads before the import committed, kept the person, and both
    campaigns wrote to them. The start now waits for the import's enrollment and leaves the person to «q1»."""
    ws = await space()
    manager = await ready_campaign(clock, ws, leads=1)
    assert (await service.start_campaign(manager, clock, "q1", override=True)).started
    await service.create_campaign(manager, clock, "q2", {"per_mailbox_cap": "1"})
    await service.set_group(manager, clock, "q2", ["ready.test"])
    await service.set_steps(manager, clock, "q2", STEPS)
    q1, q2 = await Campaign.get(name="q1"), await Campaign.get(name="q2")
    held = await Enrollment.create(campaign=q2, lead=await Lead.create(workspace=ws, email="newbie+x@example.com"))
    newbie = await Lead.create(workspace=ws, email="newbie@example.com")
    enrolled, release = asyncio.Event(), asyncio.Event()

    async def importing() -> int:
        async with in_transaction():  # an import's transaction: its enrollments commit with the whole file
            report = await enroll_leads(manager, q1.id, [newbie.id], clock)
            enrolled.set()
            await release.wait()
        return report.enrolled

    holder = asyncio.ensure_future(importing())
    await asyncio.wait_for(enrolled.wait(), 20)
    start = asyncio.ensure_future(service.start_campaign(manager, clock, "q2", override=True))
    looker = await asyncpg.connect(database_url)
    try:
        deadline = asyncio.get_running_loop().time() + 5
        while not start.done() and asyncio.get_running_loop().time() < deadline:
            if await looker.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            ):
                break
            await asyncio.sleep(0.02)
    finally:
        await looker.close()
    release.set()
    imported, started = await asyncio.wait_for(asyncio.gather(holder, start), 20)
    assert imported == 1 and started.started and started.left_to_others == 1
    assert (await Enrollment.get(id=held.id)).state is EnrollmentState.STOPPED

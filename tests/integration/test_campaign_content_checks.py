"""The campaign service with the content side: template errors name where they are, the content check refuses a
launch or asks for a confirmation, the preview command renders through `engine.campaigns.compose.preview`."""

from __future__ import annotations

import dataclasses

import pytest
from redis.asyncio import Redis

from bot.runner import Runner
from engine.campaigns import service
from engine.clock import FrozenClock
from engine.errors import UserError
from engine.i18n import translator
from models import Campaign, Enrollment, Lead, Step, Workspace
from models.enums import CampaignStatus, Platform
from tests.integration.test_campaigns import NOW, STEPS, actor, ready_campaign, space

pytestmark = pytest.mark.usefixtures("orm")
EN = translator("en")


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


LONG = "Коротко о нас: мы делаем станки для мебельных фабрик уже двадцать лет."


async def test_a_template_error_names_the_step_variant_part_and_line(clock: FrozenClock) -> None:
    ws = await space()
    manager = dataclasses.replace(actor(ws), locale="en")
    await service.create_campaign(manager, clock, "q1")
    await service.set_steps(manager, clock, "q1", STEPS)
    broken = "Subject: fine\nbody\n=== variant B\nSubject: ok\nHello {first_name\n--- step 2 after 1 day\nx"
    with pytest.raises(UserError) as caught:
        await service.set_steps(manager, clock, "q1", broken)
    assert caught.value.key == "error-template-syntax"
    assert caught.value.params["where"] == "step 1, variant B, text (line 5)"
    assert await Step.filter(campaign__name="q1").count() == 2  # the steps stored before stay


async def test_content_errors_refuse_and_warnings_need_the_override(clock: FrozenClock) -> None:
    ws = await space()
    manager = await ready_campaign(clock, ws, leads=1)
    await Workspace.filter(id=ws.id).update(locale="en")
    await enroll_custom(ws)
    with pytest.raises(UserError) as refused:  # refused as it is saved ...
        await service.set_steps(manager, clock, "q1", f"Subject: Hi {{first_name}}\n{LONG} {{unknown_field}}")
    assert refused.value.key == "error-campaign-steps-unknown-field"
    # ... and at the start, when the leads with that column have left the campaign since
    variants = [{"subject": "Hi {first_name}", "body": f"{LONG} {{unknown_field}}", "weight": 100}]
    await Step.filter(campaign__name="q1", position=1).update(variants=variants)
    result = await service.start_campaign(manager, clock, "q1", override=True)
    assert not result.started  # an error is never overridden
    assert [r.key for r in result.errors] == ["content-unknown-placeholder"] and result.errors[0].step == 1

    await service.set_steps(manager, clock, "q1", f"Subject: Hi {{first_name}}\n{LONG} {{industry}} БЕСПЛАТНО!!!")
    waiting = await service.start_campaign(manager, clock, "q1")  # a custom column of an enrolled lead is known
    assert not waiting.errors and waiting.needs_confirmation and waiting.warnings
    assert (await Campaign.get(name="q1")).status is CampaignStatus.DRAFT
    assert (await service.start_campaign(manager, clock, "q1", override=True)).started
    assert (await Campaign.get(name="q1")).status is CampaignStatus.RUNNING


async def test_a_column_whose_header_has_a_space_is_known_by_its_placeholder(clock: FrozenClock) -> None:
    """A column "Job Title" was reported unknown as {job_title}, and {job title} is not a placeholder at all."""
    ws = await space()
    manager = await ready_campaign(clock, ws, leads=1)
    campaign = await Campaign.get(workspace_id=ws.id, name="q1")
    lead = await Lead.create(workspace=ws, email="title@example.com", custom={"Job Title": "CEO"})
    await Enrollment.create(campaign=campaign, lead=lead, next_due_at=NOW)
    await service.set_steps(manager, clock, "q1", f"Subject: Hi {{first_name}}\n{LONG} {{job_title}}")
    result = await service.start_campaign(manager, clock, "q1", override=True)
    assert not result.errors and result.started


async def enroll_custom(ws: Workspace) -> str:
    """One more lead, with a custom field the templates may use."""
    campaign = await Campaign.get(workspace_id=ws.id, name="q1")
    lead = await Lead.create(workspace=ws, email="custom@example.com", custom={"industry": "steel"})
    await Enrollment.create(campaign=campaign, lead=lead, next_due_at=NOW)
    return "industry"


async def test_a_new_warning_after_the_button_was_offered_needs_its_own_confirmation(
    clock: FrozenClock, redis: Redis
) -> None:
    ws = await space()
    manager = await ready_campaign(clock, ws, leads=20)
    waiting = await service.start_campaign(manager, clock, "q1")
    assert [w.key for w in waiting.warnings] == ["campaign-warn-slow"]
    token = await service.request_confirmation(redis, manager, waiting)
    await service.set_steps(manager, clock, "q1", f"Subject: Now!!!\n{LONG} БЕСПЛАТНО")  # meanwhile
    again = await service.confirm_start(manager, clock, redis, token)
    assert not again.started and len(again.warnings) > 1 and "campaign-warn-slow" in {w.key for w in again.warnings}
    assert (await Campaign.get(name="q1")).status is CampaignStatus.DRAFT


async def test_preview_through_the_command(clock: FrozenClock, redis: Redis) -> None:
    runner = Runner(clock, admins={Platform.TELEGRAM: {"1"}}, services={"redis": redis})
    admin = runner.identity(Platform.TELEGRAM, "1", "boss", "en")
    assert (await runner.run_line(admin, "c1", "/workspace_new acme ACME")).ok
    ws = await Workspace.get(slug="acme")
    await Workspace.filter(id=ws.id).update(sender_name="ACME LLC", sender_address="Moscow, Tverskaya 1")
    await ready_campaign(clock, ws, leads=1)
    await Lead.filter(email="lead0@example.com").update(first_name="Ivan")
    reply = await runner.run_line(admin, "c1", "/campaign_preview q1 Lead0@Example.com 1")
    assert reply.ok, reply.plain_text()
    text = reply.plain_text()
    assert "Привет, Ivan" in text and "ACME LLC" in text and len(text) < 4096
    first = await runner.run_line(admin, "c1", "/campaign_preview q1")
    assert first.ok and "Привет, " in first.plain_text()
    wrong = await runner.run_line(admin, "c1", "/campaign_preview q1 2 B extra")
    assert EN("error-campaign-preview-word", word="extra") in wrong.plain_text()
    missing = await runner.run_line(admin, "c1", "/campaign_preview q1 3")
    assert EN("error-campaign-preview-step", name="q1", step=3) in missing.plain_text()
    unknown = await runner.run_line(admin, "c1", "/campaign_preview q1 nobody@example.com")
    assert not unknown.ok


async def test_a_preview_names_the_fields_a_lead_leaves_empty(clock: FrozenClock, redis: Redis) -> None:
    """A preview for a lead without a company read "мы пишем  про станки" with nothing said: a field without a
    fallback renders empty, and the manager could only spot the double space."""
    runner = Runner(clock, admins={Platform.TELEGRAM: {"1"}}, services={"redis": redis})
    admin = runner.identity(Platform.TELEGRAM, "1", "boss", "ru")
    assert (await runner.run_line(admin, "c1", "/workspace_new acme ACME")).ok
    ws = await Workspace.get(slug="acme")
    await Workspace.filter(id=ws.id).update(sender_name="ACME LLC", sender_address="Moscow, Tverskaya 1")
    manager = await ready_campaign(clock, ws, leads=2)
    steps = f"Тема: {{first_name|Коллеги}}, вопрос\n{LONG} Пишем {{company}} про {{city}} и {{first_name}}."
    await Lead.filter(email="lead0@example.com").update(company="", first_name="", custom={"city": " "})
    await Lead.filter(email="lead1@example.com").update(company="Ромашка", custom={"city": "Омск"})
    await service.set_steps(manager, clock, "q1", steps)
    bare = (await runner.run_line(admin, "c1", "/campaign_preview q1 lead0@example.com")).plain_text()
    expected = translator("ru")("campaign-preview-empty", fields="{city}, {company}, {first_name}", example="{city|…}")
    assert expected in bare
    full = (await runner.run_line(admin, "c1", "/campaign_preview q1 lead1@example.com")).plain_text()
    assert "Пишем Ромашка про Омск" in full and "{company}" not in full
    sample = (await runner.run_line(admin, "c1", "/campaign_preview q1")).plain_text()
    assert "{company}" not in sample  # sample values fill every field


async def test_a_placeholder_some_leads_leave_empty_needs_a_confirmation_naming_how_many(clock: FrozenClock) -> None:
    """A campaign whose letter says "Здравствуйте, {first_name}! Вы {должность} в {company}" started without a word
    when half its leads had no name or title: they got "Здравствуйте, ! Вы  в Ромашка". The content check only
    asked whether some lead has the column; now the launch counts the leads that leave each one empty."""
    ws = await space()
    manager = await ready_campaign(clock, ws, leads=1)  # lead0: a first name, no title, no company
    campaign = await Campaign.get(workspace_id=ws.id, name="q1")
    for n, (name, custom) in enumerate([("Анна", {"Должность": "директор"}), ("", {}), ("", {"Должность": " "})]):
        lead = await Lead.create(workspace=ws, email=f"more{n}@example.com", first_name=name, custom=custom)
        await Enrollment.create(campaign=campaign, lead=lead, next_due_at=NOW)
    letter = f"Тема: Здравствуйте, {{first_name}}\n{LONG} Вы {{должность}} в {{company|вашей компании}}."
    await service.set_steps(manager, clock, "q1", letter)
    waiting = await service.start_campaign(manager, clock, "q1")
    empty = [(w.key, w.params) for w in waiting.warnings if w.key == "campaign-warn-empty-field"]
    assert empty == [
        ("campaign-warn-empty-field", {"field": "{first_name}", "leads": 2, "example": "{first_name|…}"}),
        ("campaign-warn-empty-field", {"field": "{должность}", "leads": 3, "example": "{должность|…}"}),
    ]  # {company} has a fallback: its empty value is no gap
    assert (await Campaign.get(name="q1")).status is CampaignStatus.DRAFT
    assert translator("ru")("campaign-warn-empty-field", **empty[0][1]).startswith("у 2 лидов пустое поле {first_name}")

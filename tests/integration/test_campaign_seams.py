"""The campaign service against the agreed seams of the content engineer (`engine.campaigns.template.parse`,
`engine.campaigns.content.check_content`, `engine.campaigns.compose.preview`), each replaced here by a private
stand-in module with the agreed signature, so this wiring is tested whether or not the real ones are merged."""

from __future__ import annotations

import dataclasses
import sys
import types
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pytest
from redis.asyncio import Redis

from bot.runner import Runner
from engine.campaigns import service
from engine.campaigns.ports import Composed
from engine.clock import FrozenClock
from engine.errors import UserError
from engine.i18n import translator
from models import Campaign, Enrollment, Lead, Step, Workspace
from models.enums import CampaignStatus, Platform
from tests.integration.test_campaigns import NOW, STEPS, actor, ready_campaign, space

pytestmark = pytest.mark.usefixtures("orm")
EN = translator("en")


@dataclass(frozen=True)
class Finding:
    key: str
    severity: Literal["error", "warning"]
    params: dict[str, str | int] = field(default_factory=dict)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def template(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """`parse` refuses a template with unbalanced braces; records where it was asked to look."""
    seen: list[str] = []

    def parse(text: str, *, where: str) -> object:
        seen.append(where)
        if text.count("{") != text.count("}"):
            raise UserError("error-template-syntax", where=where, detail="unclosed {")
        return object()

    module = types.ModuleType("engine.campaigns.template")
    module.parse = parse  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "engine.campaigns.template", module)
    return seen


@pytest.fixture
def content(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """`check_content` finds an error for "FREE" and a warning for "!!!"; records what it was given."""
    calls: list[dict[str, Any]] = []

    def check_content(
        variants: Sequence[tuple[str, str]], *, known_fields: Collection[str], locale: str, has_identity: bool
    ) -> list[Finding]:
        calls.append({"variants": list(variants), "known": set(known_fields), "locale": locale, "id": has_identity})
        text = " ".join(s + " " + b for s, b in variants)
        found = [Finding("content-spam-word", "error", {"word": "FREE"})] if "FREE" in text else []
        return found + ([Finding("content-shouting", "warning")] if "!!!" in text else [])

    module = types.ModuleType("engine.campaigns.content")
    module.check_content = check_content  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "engine.campaigns.content", module)
    return calls


@pytest.fixture
def compose(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []

    async def preview(
        workspace_id: int, campaign_id: int, *, step_position: int, lead_email: str | None, variant: int | None
    ) -> Composed:
        calls.append({"ws": workspace_id, "campaign": campaign_id, "step": step_position, "lead": lead_email,
                      "variant": variant})  # fmt: skip
        return Composed(subject="Hello Ivan", text="Line\n" * 1000, unsubscribe_url="https://t.example/u/1")

    module = types.ModuleType("engine.campaigns.compose")
    module.preview = preview  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "engine.campaigns.compose", module)
    return calls


async def test_a_template_error_names_the_step_variant_part_and_line(clock: FrozenClock, template: list[str]) -> None:
    ws = await space()
    manager = dataclasses.replace(actor(ws), locale="en")
    await service.create_campaign(manager, clock, "q1")
    await service.set_steps(manager, clock, "q1", STEPS)
    assert template == [  # a follow-up without a subject has none to parse
        "step 1, variant A, subject (line 1)",
        "step 1, variant A, text (line 2)",
        "step 2, variant A, text (line 4)",
    ]
    broken = "Subject: fine\nbody\n=== variant B\nSubject: ok\nHello {first_name\n--- step 2 after 1 day\nx"
    with pytest.raises(UserError) as caught:
        await service.set_steps(manager, clock, "q1", broken)
    assert (caught.value.key, caught.value.params) == (
        "error-template-syntax",
        {"where": "step 1, variant B, text (line 5)", "detail": "unclosed {"},
    )
    assert await Step.filter(campaign__name="q1").count() == 2  # the earlier steps stay


async def test_content_errors_refuse_and_warnings_need_the_override(
    clock: FrozenClock, content: list[dict[str, Any]]
) -> None:
    ws = await space()
    manager = await ready_campaign(clock, ws, leads=1)
    await Workspace.filter(id=ws.id).update(locale="en")
    lead = await enroll_custom(ws)
    await service.set_steps(manager, clock, "q1", "Subject: FREE offer!!!\nHi {first_name}")
    result = await service.start_campaign(manager, clock, "q1", override=True)
    assert not result.started
    assert [(r.key, r.params) for r in result.errors] == [("content-spam-word", {"word": "FREE"})]
    assert [r.key for r in result.warnings] == ["content-shouting"]
    [call] = content
    assert call["variants"] == [("FREE offer!!!", "Hi {first_name}")] and (call["locale"], call["id"]) == ("en", True)
    assert call["known"] == {lead}  # the custom columns of the enrolled leads
    assert [r.step for r in (*result.errors, *result.warnings)] == [1, 1]

    await service.set_steps(manager, clock, "q1", "Subject: An offer!!!\nHi {first_name}")
    waiting = await service.start_campaign(manager, clock, "q1")
    assert waiting.needs_confirmation and [w.key for w in waiting.warnings] == ["content-shouting"]
    assert (await service.start_campaign(manager, clock, "q1", override=True)).started
    assert (await Campaign.get(name="q1")).status is CampaignStatus.RUNNING


async def enroll_custom(ws: Workspace) -> str:
    """One more lead, with a custom field the templates may use."""
    campaign = await Campaign.get(workspace_id=ws.id, name="q1")
    lead = await Lead.create(workspace=ws, email="custom@example.com", custom={"industry": "steel"})
    await Enrollment.create(campaign=campaign, lead=lead, next_due_at=NOW)
    return "industry"


async def test_a_new_warning_after_the_button_was_offered_needs_its_own_confirmation(
    clock: FrozenClock, content: list[dict[str, Any]], redis: Redis
) -> None:
    ws = await space()
    manager = await ready_campaign(clock, ws, leads=20)
    await Campaign.filter(name="q1").update(per_mailbox_cap=1)
    waiting = await service.start_campaign(manager, clock, "q1")
    assert [w.key for w in waiting.warnings] == ["campaign-warn-slow"]
    token = await service.request_confirmation(redis, manager, waiting)
    await service.set_steps(manager, clock, "q1", "Subject: Now shouting!!!\nHi")  # meanwhile
    again = await service.confirm_start(manager, clock, redis, token)
    assert not again.started and [w.key for w in again.warnings] == ["content-shouting", "campaign-warn-slow"]
    assert (await Campaign.get(name="q1")).status is CampaignStatus.DRAFT


async def test_preview_through_the_command(clock: FrozenClock, compose: list[dict[str, Any]], redis: Redis) -> None:
    runner = Runner(clock, admins={Platform.TELEGRAM: {"1"}}, services={"redis": redis})
    admin = runner.identity(Platform.TELEGRAM, "1", "boss", "en")
    assert (await runner.run_line(admin, "c1", "/workspace_new acme ACME")).ok
    ws = await Workspace.get(slug="acme")
    await ready_campaign(clock, ws, leads=1)
    reply = await runner.run_line(admin, "c1", "/campaign_preview q1 Ivan@Example.com 2 b")
    assert reply.ok, reply.plain_text()
    [call] = compose
    assert (call["step"], call["lead"], call["variant"]) == (2, "ivan@example.com", 1)
    assert call["campaign"] == (await Campaign.get(name="q1")).id
    text = reply.plain_text()
    assert EN("campaign-preview-subject", subject="Hello Ivan") in text and len(text) < 4096
    [attached] = reply.files
    assert attached.content == ("Line\n" * 1000).encode() and attached.filename == "q1-step2.txt"
    first = await runner.run_line(admin, "c1", "/campaign_preview q1")
    assert first.ok and compose[-1] == {**call, "step": 1, "lead": None, "variant": None}
    wrong = await runner.run_line(admin, "c1", "/campaign_preview q1 2 B extra")
    assert EN("error-campaign-preview-word", word="extra") in wrong.plain_text()
    missing = await runner.run_line(admin, "c1", "/campaign_preview q1 3")
    assert EN("error-campaign-preview-step", name="q1", step=3) in missing.plain_text()
    other = await runner.run_line(admin, "c1", "/campaign_test q1 me@acme.example")
    assert EN("campaign-test-queued", name="q1", email="me@acme.example", id=1) in other.plain_text()

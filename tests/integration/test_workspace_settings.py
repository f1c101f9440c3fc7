"""/workspace_settings: a manager sets the workspace's time zone (the day of its caps, reports and digests) and
the language its chats are told things in; a wrong value is named and changes nothing; a client cannot."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.runner import Runner
from engine.clock import FrozenClock
from engine.i18n import translator
from engine.notify import Notification, targets
from engine.reply import Reply
from engine.reports.service import today_of
from models import AuditLog, ChatBinding, Workspace
from models.enums import ChatPurpose, Platform

NOW = dt.datetime(2026, 11, 28, 20, 0, tzinfo=dt.UTC)  # already the 29th in Vladivostok
TG = Platform.TELEGRAM
RU, EN = translator("ru"), translator("en")
pytestmark = pytest.mark.usefixtures("orm")


@pytest.fixture
def runner() -> Runner:
    return Runner(FrozenClock(NOW), admins={TG: {"1"}})


async def say(runner: Runner, user: str, line: str, lang: str = "ru") -> Reply:
    return await runner.run_line(runner.identity(TG, user, f"user{user}", lang), "c1", line)


async def test_a_manager_sets_the_time_zone_and_the_chats_language(runner: Runner) -> None:
    await say(runner, "1", "/workspace_new acme ACME")
    shown = (await say(runner, "1", "/workspace_settings")).plain_text()
    hint = RU("workspace-setting-hint-timezone")
    assert RU("workspace-setting-line", name="timezone", value="Europe/Moscow", hint=hint) in shown

    changed = await say(runner, "1", "/workspace_settings timezone asia/vladivostok")  # typed in lower case
    assert changed.plain_text() == RU(
        "workspace-setting-changed", name="timezone", before="Europe/Moscow", after="Asia/Vladivostok"
    )
    space = await Workspace.get(slug="acme")
    assert space.timezone == "Asia/Vladivostok"
    assert (await today_of(space.id, FrozenClock(NOW)))[1] == dt.date(2026, 11, 29)  # its days are Vladivostok's

    await ChatBinding.create(workspace=space, platform=TG, chat_id="-100", purposes=["alerts"])
    told = Notification(id="n1", workspace_id=space.id, purpose=ChatPurpose.ALERTS, title_key="t", body_key="b")
    assert [t.locale for t in await targets(told)] == ["ru"]
    english = await say(runner, "1", "/workspace_settings lang EN", lang="en")
    assert english.plain_text() == EN("workspace-setting-changed", name="lang", before="ru", after="en")
    assert [t.locale for t in await targets(told)] == ["en"]  # its chats are now told in English
    again = await say(runner, "1", "/workspace_settings lang en", lang="en")
    assert again.plain_text() == EN("workspace-setting-unchanged", name="lang", before="en", after="en")

    audit = await AuditLog.filter(action="workspace.setting").order_by("id").values_list("data", flat=True)
    assert audit == [
        {"name": "timezone", "from": "Europe/Moscow", "to": "Asia/Vladivostok"},
        {"name": "lang", "from": "ru", "to": "en"},
    ]


async def test_wrong_values_are_named_and_change_nothing(runner: Runner) -> None:
    await say(runner, "1", "/workspace_new acme ACME")
    zone = await say(runner, "1", "/workspace_settings timezone Moscow")
    assert not zone.ok and zone.plain_text() == RU("error-workspace-timezone", value="Moscow")
    lang = await say(runner, "1", "/workspace_settings lang de")
    assert not lang.ok and lang.plain_text() == RU("error-workspace-lang", value="de", known="ru, en")
    unknown = await say(runner, "1", "/workspace_settings currency RUB")
    assert not unknown.ok and unknown.plain_text() == RU(
        "error-workspace-setting-unknown", name="currency", known="name, timezone, lang"
    )
    blank = await say(runner, "1", "/workspace_settings name")
    assert not blank.ok and blank.plain_text() == RU("error-workspace-name", length=0, max=200)
    long = await say(runner, "1", "/workspace_settings name " + "Я" * 201)
    assert not long.ok and "201" in long.plain_text() and "200" in long.plain_text()
    missing = await say(runner, "1", "/workspace_settings timezone")
    assert not missing.ok and missing.plain_text() == RU("error-workspace-timezone", value="")
    space = await Workspace.get(slug="acme")
    assert (space.name, space.timezone, space.locale) == ("ACME", "Europe/Moscow", "ru")
    assert not await AuditLog.filter(action="workspace.setting").exists()


async def test_moscow_time_and_utc_offsets_are_zones_as_typed(runner: Runner) -> None:
    """`МСК+4` and `UTC+3` were "not found": only IANA names were known, which nobody in Russia types."""
    await say(runner, "1", "/workspace_new acme ACME")
    for typed, zone in (("МСК+4", "Asia/Krasnoyarsk"), ("UTC+3", "Etc/GMT-3"), ("msk", "Europe/Moscow")):
        assert (await say(runner, "1", f"/workspace_settings timezone {typed}")).ok, typed
        assert (await Workspace.get(slug="acme")).timezone == zone


async def test_an_offset_is_shown_as_typed_never_as_iana_reversed_sign(runner: Runner) -> None:
    """`/workspace_settings timezone +3` answered "now Etc/GMT-3" (IANA's name, its sign the other way round): the
    manager read minus three hours."""
    await say(runner, "1", "/workspace_new acme ACME")
    changed = (await say(runner, "1", "/workspace_settings timezone +3", lang="en")).plain_text()
    assert changed == EN("workspace-setting-changed", name="timezone", before="Europe/Moscow", after="UTC+3")
    shown = (await say(runner, "1", "/workspace_settings", lang="en")).plain_text()
    hint = EN("workspace-setting-hint-timezone")
    assert EN("workspace-setting-line", name="timezone", value="UTC+3", hint=hint) in shown
    await say(runner, "1", "/campaign_new q1")
    card = (await say(runner, "1", "/campaign_set q1 timezone=GMT-5", lang="en")).plain_text()
    assert "Zone UTC-5," in card and "Etc/GMT" not in card


async def test_a_manager_renames_the_workspace_its_slug_stays(runner: Runner) -> None:
    """`/workspace_new Acme Corp` makes slug acme named "Corp": the name can be put right afterwards, with spaces
    and without quotes; the lists and the settings then show the new one."""
    await say(runner, "1", "/workspace_new Acme Corp")
    shown = (await say(runner, "1", "/workspace_settings", lang="en")).plain_text()
    assert EN("workspace-setting-line", name="name", value="Corp", hint=EN("workspace-setting-hint-name")) in shown
    renamed = await say(runner, "1", "/workspace_settings name  Acme   Corp\nLLC", lang="en")
    assert renamed.plain_text() == EN("workspace-setting-changed", name="name", before="Corp", after="Acme Corp LLC")
    assert (await say(runner, "1", "/use acme", lang="en")).plain_text() == EN(
        "use-done", slug="acme", name="Acme Corp LLC"
    )
    audit = await AuditLog.filter(action="workspace.setting").values_list("data", flat=True)
    assert audit == [{"name": "name", "from": "Corp", "to": "Acme Corp LLC"}]


async def test_a_client_can_neither_read_nor_change_them(runner: Runner) -> None:
    await say(runner, "1", "/workspace_new acme ACME")
    invite = await say(runner, "1", "/invite client")
    code = next(b.text for b in invite.blocks if b.style == "pre")
    await say(runner, "5", f"/start {code}")
    denied = await say(runner, "5", "/workspace_settings timezone UTC")
    assert not denied.ok and denied.plain_text() == RU("error-forbidden", command="workspace_settings")
    assert (await Workspace.get(slug="acme")).timezone == "Europe/Moscow"

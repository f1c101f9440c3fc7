"""/health and /thresholds end to end: Telegram through the Bot API emulator and Slack through signed requests to the
real bolt app, on real PostgreSQL and Redis; /why naming monitoring's cut with its numbers."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from bot.slack.notifier import SlackNotifier
from engine import alerts
from engine.clock import FrozenClock
from engine.i18n import translator
from engine.monitoring import service
from engine.notify import Notification, deliver
from engine.stats import EventRecord, record_events
from models import AgencySetting, AuditLog, ChatBinding, Domain, Mailbox, Workspace
from models.enums import EventKind, MailboxStatus, MailProvider, Platform, Severity, TlsMode
from tests.e2e.conftest import NOW, TelegramRig, ask, visible
from tests.e2e.slackrig import CLOCK, Rig, join, seen, slack_rig
from tests.harness.telegram import TelegramUser

EN = translator("en")
ANNA = 700911
TELEGRAM_LIMIT = 4096


async def mailboxes(slug: str, domain_name: str, count: int, prefix: str = "box") -> list[Mailbox]:
    ws = await Workspace.get(slug=slug)
    domain, _ = await Domain.get_or_create(workspace=ws, name=domain_name)
    for n in range(count):
        await Mailbox.create(
            workspace=ws, domain=domain, address=f"{prefix}{n:03}@{domain_name}", provider=MailProvider.GENERIC,
            smtp_host="127.0.0.1", smtp_port=587, smtp_tls=TlsMode.STARTTLS, imap_host="127.0.0.1", imap_port=993,
            imap_tls=TlsMode.IMPLICIT, username=f"{prefix}{n:03}@{domain_name}", secret_enc=b"x",
            status=MailboxStatus.ACTIVE, status_changed_at=NOW - dt.timedelta(days=30),
        )  # fmt: skip
    return list(await Mailbox.filter(domain_id=domain.id).order_by("address"))


async def events(box: Mailbox, kind: EventKind, n: int, at: dt.datetime) -> None:
    await record_events([EventRecord(box.workspace_id, kind, at, box.id, box.domain_id) for _ in range(n)])


async def manager(rig: TelegramRig) -> TelegramUser:
    await rig.admin("/workspace_new acme ACME")
    code = await rig.invite("acme", "manager")
    anna = rig.user(ANNA, first_name="Anna")
    await anna.send_command(f"/start {code}")
    await anna.wait_replies()
    return anna


async def test_telegram_health_worst_first_with_samples_and_why_shows_the_cut(telegram: TelegramRig) -> None:
    anna = await manager(telegram)
    await Workspace.filter(slug="acme").update(timezone="UTC")
    boxes = await mailboxes("acme", "alpha.test", 40)
    few, blocked = boxes[0], boxes[7]
    await events(few, EventKind.SENT, 5, NOW - dt.timedelta(hours=1))
    await events(blocked, EventKind.SENT, 40, NOW - dt.timedelta(days=1))
    await events(blocked, EventKind.BOUNCE_BLOCK, 4, NOW - dt.timedelta(hours=1))
    assert (await service.evaluate(FrozenClock(NOW))).actions == {"cut": 1}

    summary = await ask(anna, "/health")
    assert len(summary) < TELEGRAM_LIMIT and EN("health-title", count=41) in summary
    assert EN("health-more", count=41 - 12) in summary
    shown = [line for line in summary.splitlines() if "@alpha.test" in line]
    assert len(shown) == 11 and shown[0].startswith("🟠 box007@alpha.test")  # the cut mailbox first
    assert EN("health-cut", factor=0.5, reason=EN("monitoring-rule-block-rate")) in summary
    assert EN("health-rate", percent=10.0, sample=40) in summary
    assert "🏢 Workspace: sent 45 · hard bounces 0 % of 45 · blocks 8.9 % of 45" in summary

    card = await ask(anna, "/health box000@alpha.test")
    assert EN("health-not-enough", sample=5, needed=40) in card and "0.0 %" not in card
    assert EN("health-window-last100") in card and EN("health-not-measured") in card

    told = await ask(anna, "/why box007@alpha.test")
    assert EN("why-protection-cut", subject="box007@alpha.test", factor=0.5) in told
    rule, window = EN("monitoring-rule-block-rate"), EN("monitoring-window-7d")
    numbers = EN("why-protection-numbers", rule=rule, percent=10.0, sample=40, threshold=3.0, window=window)
    assert numbers in told
    # nothing was deferred by a cap today, but the cut holds it back: /why does not also say "nothing held back"
    assert EN("why-nothing", target="box007@alpha.test") not in told
    assert told.startswith(EN("why-protected", target="box007@alpha.test"))


async def test_telegram_health_shows_a_cooldown_on_the_workspace_clock(telegram: TelegramRig) -> None:
    """A Vladivostok manager read 'on pause until … UTC' (ten hours off their own clock) in /health, and in /why
    too ('❄️ box000@alpha.test is cooling down until 2026-11-30 14:00 UTC')."""
    anna = await manager(telegram)
    await Workspace.filter(slug="acme").update(timezone="Asia/Vladivostok")
    [box] = await mailboxes("acme", "alpha.test", 1)
    until = NOW + dt.timedelta(hours=5)
    await Mailbox.filter(id=box.id).update(status=MailboxStatus.COOLDOWN, cooldown_until=until)
    local = (until + dt.timedelta(hours=10)).strftime("%Y-%m-%d %H:%M") + " +10"
    for line in ("/health", "/health box000@alpha.test"):
        text = await ask(anna, line)
        assert EN("health-cooldown", until=local) in text and "UTC" not in text
    told = await ask(anna, "/why box000@alpha.test")  # NOW + 5 hours: past midnight there
    assert EN("why-protection-cooldown", subject="box000@alpha.test", until="2026-12-01 00:00 +10") in told, told
    assert "UTC" not in told


async def test_telegram_thresholds_show_change_within_bounds_and_refuse_outside(telegram: TelegramRig) -> None:
    anna = await manager(telegram)
    shown = await ask(anna, "/thresholds")
    default = EN("thresholds-origin-default")
    assert EN("thresholds-line", name="hard_bounce_rate", value="0.05", bounds="0.01–0.1", origin=default) in shown
    assert EN("thresholds-hint") in shown
    carl = telegram.user(ANNA + 7, first_name="Carl")
    await carl.send_command(f"/start {await telegram.invite('acme', 'client')}")
    await carl.wait_replies()
    seen_by_client = await ask(carl, "/thresholds")  # a client's role is the reports: the managers' settings are not
    assert EN("error-forbidden", command="thresholds") in seen_by_client
    refused = await ask(anna, "/thresholds_set hard_bounce_rate 50%")
    assert EN("error-threshold-value", name="hard_bounce_rate", value="50%", bounds="0.01–0.1") in refused
    changed = await ask(anna, "/thresholds_set hard_bounce_rate 4%")
    assert changed == EN("thresholds-changed", name="hard_bounce_rate", before="0.05", after="0.04")
    ws = await Workspace.get(slug="acme")
    assert ws.settings["thresholds"] == {"hard_bounce_rate": 0.04}
    assert await AuditLog.filter(action="monitoring.threshold").count() == 1
    denied = await ask(anna, "/thresholds_set cooldown_days 5 agency")  # a manager cannot set the agency default
    assert EN("error-forbidden", command="thresholds_set") in denied
    assert await AgencySetting.get_or_none(key="thresholds") is None


@pytest.fixture
async def slack(orm: None, redis: Redis) -> AsyncIterator[Rig]:
    async with slack_rig(redis) as rig:
        await join(rig, "U0CLI", "client", name="client")
        yield rig


async def test_slack_health_for_a_client_and_agency_thresholds_for_the_admin(slack: Rig) -> None:
    [box] = await mailboxes("acme", "alpha.test", 1)
    await events(box, EventKind.SENT, 3, CLOCK.now())
    card = "\n".join(await slack.say("health alpha.test", user="U0CLI"))
    assert seen(EN("health-title-one", target="alpha.test")) in card
    assert seen(EN("health-not-enough", sample=3, needed=40)) in card
    overview = "\n".join(await slack.say("health", user="U0CLI"))  # no hint at a command the role may not run
    assert seen(EN("health-hint-read")) in overview and "thresholds" not in overview

    denied = "\n".join(await slack.say("thresholds_set block_rate 2%", user="U0CLI"))
    assert seen(EN("error-forbidden", command="thresholds_set")) in denied
    agency = "\n".join(await slack.say("thresholds_set cooldown_days 5 agency"))
    assert seen(EN("thresholds-changed-agency", name="cooldown_days", before="3", after="5")) in agency
    assert (await AgencySetting.get(key="thresholds")).value == {"cooldown_days": 5}
    assert seen(EN("error-forbidden", command="thresholds")) in "\n".join(await slack.say("thresholds", user="U0CLI"))
    shown = "\n".join(await slack.say("thresholds"))
    line = EN("thresholds-line", name="cooldown_days", value="5", bounds="1–14", origin=EN("thresholds-origin-agency"))
    assert seen(line) in shown

    # an inbox that goes unread holds the mailbox's campaign emails: /why says so, with since when
    data = {"mailbox": box.address, "read": "before", "since": "2026-03-01 08:00 UTC", "error": "error-imap-timeout"}
    await alerts.raise_alert(
        workspace_id=box.workspace_id, kind=alerts.INBOX_UNREACHABLE, severity=Severity.WARNING,
        subject=f"mailbox:{box.id}", key="imap", data=data, now=CLOCK.now(),
    )  # fmt: skip
    assert seen(EN("error-forbidden", command="why")) in "\n".join(await slack.say("why alpha.test", user="U0CLI"))
    told = "\n".join(await slack.say("why alpha.test"))
    assert seen(EN("why-protection-inbox", subject=box.address, since="2026-03-01 08:00 UTC")) in told
    await alerts.resolve_subjects(alerts.INBOX_UNREACHABLE, [f"mailbox:{box.id}"], clock=CLOCK)
    assert "📭" not in "\n".join(await slack.say("why alpha.test"))


async def test_telegram_a_paused_workspace_shows_in_health_and_resumes(telegram: TelegramRig) -> None:
    anna = await manager(telegram)
    await Workspace.filter(slug="acme").update(timezone="UTC")
    [box] = await mailboxes("acme", "alpha.test", 1)
    await events(box, EventKind.SENT, 100, NOW - dt.timedelta(hours=2))
    await events(box, EventKind.SMTP_ERROR, 30, NOW - dt.timedelta(hours=1))  # 30 of 130 attempts failed
    assert (await service.evaluate(FrozenClock(NOW))).actions["pause"] == 1

    summary = await ask(anna, "/health")
    assert EN("health-sending-paused", reason=EN("monitoring-rule-error-spike")) in summary  # not the stored key
    assert await ask(anna, "/sending_resume") == EN("sending-resumed")
    assert (await Workspace.get(slug="acme")).settings.get("sending_paused") is None
    assert await ask(anna, "/sending_resume") == EN("sending-not-paused")
    assert await AuditLog.filter(action="monitoring.resume").count() == 1


async def cooldown_alert(ws_slug: str, clock: FrozenClock) -> Notification:
    """A mailbox over the hard-bounce threshold, evaluated: the cooldown alert as `claim_due` hands it over."""
    [box] = await mailboxes(ws_slug, "alpha.test", 1)
    await events(box, EventKind.SENT, 40, clock.now() - dt.timedelta(days=1))
    await events(box, EventKind.BOUNCE_HARD, 4, clock.now())
    assert (await service.evaluate(clock)).actions == {"cooldown": 1}
    [note] = await alerts.claim_due(clock)
    assert note.body_key == "alert-mailbox-cooldown"
    return note


async def test_telegram_the_cooldown_alert_reaches_the_alerts_chat(telegram: TelegramRig) -> None:
    anna = await manager(telegram)
    await ask(anna, "/bind alerts")
    note = await cooldown_alert("acme", FrozenClock(NOW))
    report = await deliver(note, {Platform.TELEGRAM: telegram.transport.notifier}, telegram.redis, telegram.clock)
    assert report.sent == [f"telegram:{ANNA}"]
    [alert] = await anna.wait_replies()
    text = visible(alert.text or "")
    assert "box000@alpha.test" in text and "10 %" in text and "40" in text  # the rate, its sample


async def test_slack_the_cooldown_alert_reaches_the_alerts_channel(slack: Rig, redis: Redis) -> None:
    ws = await Workspace.get(slug="acme")
    await ChatBinding.create(workspace=ws, platform=Platform.SLACK, chat_id="C0ALERTS", purposes=["alerts"])
    note = await cooldown_alert("acme", FrozenClock(CLOCK.now()))
    report = await deliver(note, {Platform.SLACK: SlackNotifier(slack.transport.client)}, redis, CLOCK)
    assert report.sent == ["slack:C0ALERTS"]
    posted = await slack.api.wait_call("chat.postMessage")
    assert posted.params["channel"] == "C0ALERTS"
    body = str(posted.params)
    assert "box000@alpha.test" in body and "10 %" in body

"""Alerts end to end: an alert reaches a Telegram chat (through the Bot API emulator) and a Slack channel (the real
bolt app, signed requests) with an Ack button in both; pressing it in Slack and then in Telegram acts once;
`/alerts` shows who took it. Real PostgreSQL and Redis; nothing in between is mocked."""

from __future__ import annotations

import datetime as dt

from redis.asyncio import Redis

from bot.slack.notifier import SlackNotifier
from bot.slack.render import escape
from bot.telegram.render import ERROR_MARK
from engine import alerts
from engine.alert_routing import PER_WINDOW, WINDOW_S
from engine.clock import FrozenClock
from engine.i18n import translator
from engine.notify import deliver
from models import Alert, AuditLog, Delivery, Person, Workspace
from models.enums import AlertStatus, Platform, Severity
from tests.e2e.conftest import TelegramRig, visible
from tests.e2e.slackrig import ADMIN, CLOCK, EN, seen, slack_rig, texts
from tests.harness.pacing import deliver_paced, flush_paced

ANNA = 700951
ALERTS = "C0ALERTS"


async def test_an_alert_acked_in_slack_is_not_acked_again_in_telegram(telegram: TelegramRig, redis: Redis) -> None:
    # Telegram: the admin creates acme; Anna, a manager, binds her chat for alerts
    await telegram.admin("/workspace_new acme ACME")
    code = await telegram.invite("acme", "manager")
    anna = telegram.user(ANNA, first_name="Anna")
    await anna.send_command(f"/start {code}")
    await anna.wait_replies()
    await anna.send_command("/bind alerts")
    await anna.wait_replies()
    async with slack_rig(redis) as slack:
        # Slack: the agency admin invites a manager of acme, who binds a channel for alerts
        await slack.command("use acme", user=ADMIN)
        invite = await slack.command("invite manager", user=ADMIN)
        [invite_code] = [t.strip("`") for t in texts(invite["blocks"]) if t.startswith("```")]
        await slack.command(f"join {invite_code}", user="U0MGR", name="mgr")
        await slack.command("bind alerts", user="U0MGR", channel=ALERTS)

        workspace = await Workspace.get(slug="acme")
        now = CLOCK.now()
        await alerts.raise_alert(
            workspace_id=workspace.id, kind="mailbox_auth_disabled", severity=Severity.CRITICAL,
            subject="mailbox:7", key="auth", data={"mailbox": "anna@alpha.test", "failures": 5, "reason": "535"},
            now=now,
        )  # fmt: skip
        alert = await Alert.get()
        [note] = await alerts.claim_due(CLOCK)
        notifiers = {
            Platform.TELEGRAM: telegram.transport.notifier,
            Platform.SLACK: SlackNotifier(slack.transport.client),
        }
        report = await deliver(note, notifiers, redis, CLOCK)
        assert sorted(report.sent) == [f"slack:{ALERTS}", f"telegram:{ANNA}"]

        ws_t = translator(workspace.locale)
        body = ws_t("alert-mailbox-auth-disabled", mailbox="anna@alpha.test", failures=5, reason="535")
        [in_telegram] = await anna.wait_replies()
        assert visible(in_telegram.text).startswith(ws_t("alert-heading", severity="critical", id=alert.id))
        assert body in visible(in_telegram.text)
        assert in_telegram.callback_data(ws_t("button-ack")) == f"ack:{alert.id}"

        await slack.api.wait_call("chat.postMessage")
        delivered = await Delivery.get(notification_id=note.id, platform=Platform.SLACK)
        message = slack.api.messages[(ALERTS, delivered.external_id)]
        [actions] = [b for b in message["blocks"] if b["type"] == "actions"]
        [ack_button] = actions["elements"]
        assert (ack_button["text"]["text"], ack_button["value"]) == (ws_t("button-ack"), str(alert.id))

        # pressed in Slack first: acknowledged by the Slack manager
        first = await slack.press(ack_button, user="U0MGR", channel=ALERTS, message=message)
        label = EN("alert-kind-mailbox_auth_disabled")  # the kind by its label
        confirmation = seen(EN("alert-acked", id=alert.id, kind=label, subject=alert.subject))
        assert confirmation in texts(first.body["blocks"])
        acked = await Alert.get(id=alert.id)
        manager = await Person.get(platform=Platform.SLACK, external_id="U0MGR")
        assert (acked.status, acked.acked_by_id) == (AlertStatus.ACKED, manager.id)

        # then in Telegram: nothing more happens, Anna is told who took it
        query = await anna.press(in_telegram.callback_data(ws_t("button-ack")), in_telegram)
        answer = await anna.wait_callback_answer(query)
        assert answer["show_alert"] is True
        assert answer["text"] == EN("error-alert-acked", id=alert.id, who="mgr")
        again = await Alert.get(id=alert.id)
        assert (again.acked_by_id, again.acked_at) == (manager.id, acked.acked_at)
        assert await AuditLog.filter(action="alert.ack").count() == 1

        # a repeat only counts; /alerts shows it acknowledged, in both apps
        await alerts.raise_alert(
            workspace_id=workspace.id, kind="mailbox_auth_disabled", severity=Severity.CRITICAL,
            subject="mailbox:7", key="auth", data={"mailbox": "anna@alpha.test", "failures": 6, "reason": "535"},
            now=now + dt.timedelta(minutes=1),
        )  # fmt: skip
        assert await alerts.claim_due(CLOCK) == []
        await anna.send_command("/alerts")
        [listing] = await anna.wait_replies()
        shown = visible(listing.text)
        assert EN("alerts-title", total=1, open=0, acked=1) in shown
        assert f"#{alert.id} {label}" in shown and "×2" in shown and "mgr" in shown
        in_slack = "\n".join(await slack.say("alerts", user="U0MGR"))
        assert escape(f"#{alert.id} {label}") in in_slack and "acknowledged by mgr" in in_slack


async def test_a_client_sees_no_alerts_and_cannot_ack(telegram: TelegramRig) -> None:
    await telegram.admin("/workspace_new acme ACME")
    code = await telegram.invite("acme", "client")
    clara = telegram.user(ANNA + 1, first_name="Clara")
    await clara.send_command(f"/start {code}")
    await clara.wait_replies()
    for name, line in (("alerts", "/alerts"), ("ack", "/ack 1"), ("agency_chat", "/agency_chat")):
        await clara.send_command(line)
        [reply] = await clara.wait_replies()
        assert visible(reply.text) == ERROR_MARK + EN("error-forbidden", command=name)
    assert await AuditLog.filter(action="alert.ack").count() == 0


async def test_a_flood_in_a_slack_channel_becomes_the_budget_and_one_digest(orm: None, redis: Redis) -> None:
    async with slack_rig(redis) as slack:
        await slack.command('workspace_new acme "ACME"', user=ADMIN)
        await slack.command("lang en", user=ADMIN)
        await slack.command("bind alerts", user=ADMIN, channel=ALERTS)
        workspace = await Workspace.get(slug="acme")
        clock = FrozenClock(dt.datetime(2026, 12, 2, 10, 0, 1, tzinfo=dt.UTC))  # outbound only: no signatures
        for i in range(PER_WINDOW + 12):
            await alerts.raise_alert(
                workspace_id=workspace.id, kind="bounce_spike" if i % 3 else "dns_drift", severity=Severity.WARNING,
                subject=f"mailbox:{i}", key="", data={"mailbox": f"box{i}@alpha.test"}, now=clock.now(),
            )  # fmt: skip
        notifiers = {Platform.SLACK: SlackNotifier(slack.transport.client)}
        for note in await alerts.claim_due(clock):
            await deliver_paced(note, notifiers, redis, clock)  # Slack's pace: about one a second in a channel
        posts = await slack.api.wait_call("chat.postMessage", count=PER_WINDOW)
        assert posts.params["channel"] == ALERTS
        clock.advance(dt.timedelta(seconds=WINDOW_S))
        assert await flush_paced(notifiers, redis, clock) == 1
        digest = await slack.api.wait_call("chat.postMessage", count=PER_WINDOW + 1)
        ws_t = translator(workspace.locale)
        shown = texts(digest.params["blocks"])
        assert shown[0] == escape(ws_t("alerts-digest-title", count=12, kinds="8 bounce_spike, 4 DNS изменился"))
        assert all(b["type"] != "actions" for b in digest.params["blocks"])  # a digest has no Ack button
        assert len(slack.api.calls_to("chat.postMessage")) == PER_WINDOW + 1

"""The alert lifecycle and its delivery on the real PostgreSQL and Redis: one alert per problem, resolution
announced once, acknowledgement once, a flood turned into a budget of messages and one digest, agency-wide alerts
in the agency chat, the worker and queue checks."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from redis.asyncio import Redis

from bot.runner import Runner
from engine import agency_chats, alerts, approvals, people, watchdog
from engine.access import SYSTEM, Actor
from engine.alert_routing import PER_WINDOW, WINDOW_S
from engine.clock import FrozenClock
from engine.errors import Conflict, Forbidden, NotFound
from engine.health import HEARTBEAT_KEY
from engine.i18n import translator
from engine.notify import DIGEST_PENDING, DeliveryFailed, flush_digests
from engine.reply import Reply
from jobs import worker
from models import (
    Alert,
    AuditLog,
    ChatBinding,
    Delivery,
    Domain,
    Mailbox,
    Membership,
    OutboundMessage,
    Person,
    Workspace,
)
from models.enums import (
    AlertStatus,
    ApprovalKind,
    ChatPurpose,
    MailboxStatus,
    MessageStatus,
    Platform,
    Role,
    Severity,
)
from tests.harness.pacing import deliver_job_paced, deliver_paced, flush_paced
from tests.integration.content_world import make_world, planned_row

NOW = dt.datetime(2026, 12, 2, 10, 0, 5, tzinfo=dt.UTC)  # 5 s into a rate window
MSK = dt.timezone(dt.timedelta(hours=3))
TG = Platform.TELEGRAM
EN = translator("en")
RU = translator("ru")
pytestmark = pytest.mark.usefixtures("orm")


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


class RecordingNotifier:
    """A transport stand-in for the delivery logic; the real ones are tested end to end (tests/e2e)."""

    def __init__(self, platform: Platform = TG) -> None:
        self.platform = platform
        self.sent: list[tuple[str, Reply]] = []

    async def send(self, chat_id: str, reply: Reply) -> str:
        self.sent.append((chat_id, reply))
        return str(len(self.sent))


async def _raise(
    workspace_id: int | None,
    subject: str,
    clock: FrozenClock,
    *,
    kind: str = "bounce_spike",
    severity: Severity = Severity.WARNING,
) -> bool:
    return await alerts.raise_alert(
        workspace_id=workspace_id,
        kind=kind,
        severity=severity,
        subject=subject,
        key="",
        data={"mailbox": subject},
        now=clock.now(),
    )


async def _manager(ws: Workspace, external_id: str) -> Actor:
    person = await Person.create(platform=TG, external_id=external_id, display_name=f"m{external_id}")
    await Membership.create(person=person, workspace=ws, role=Role.MANAGER)
    return Actor(person.id, TG, Role.MANAGER, ws.id)


async def _workspace(slug: str = "acme") -> Workspace:
    ws = await people.create_workspace(SYSTEM, slug, slug.upper())
    await ChatBinding.create(workspace=ws, platform=TG, chat_id=f"{slug}-alerts", purposes=["alerts"])
    return ws


async def test_a_repeat_counts_up_and_is_announced_once(clock: FrozenClock) -> None:
    ws = await _workspace()
    assert await _raise(ws.id, "mailbox:1", clock) is True
    first = await alerts.claim_due(clock)
    assert [(n.id, n.severity, n.buttons) for n in first] == [(f"alert:{(await Alert.get()).id}", "warning", [
        ("button-ack", "ack", str((await Alert.get()).id))
    ])]  # fmt: skip
    clock.advance(dt.timedelta(minutes=5))
    assert await _raise(ws.id, "mailbox:1", clock) is False
    assert await alerts.claim_due(clock) == []
    alert = await Alert.get()
    assert (alert.count, alert.first_seen, alert.last_seen) == (2, NOW, NOW + dt.timedelta(minutes=5))
    # the same kind and subject in another workspace is another problem
    other = await _workspace("beta")
    assert await _raise(other.id, "mailbox:1", clock) is True
    assert await Alert.all().count() == 2


async def test_a_resolution_is_announced_once_and_a_comeback_is_a_new_alert(clock: FrozenClock) -> None:
    ws = await _workspace()
    await _raise(ws.id, "mailbox:1", clock)
    await _raise(ws.id, "mailbox:2", clock)
    await alerts.claim_due(clock)
    clock.advance(dt.timedelta(hours=1))
    assert await alerts.resolve_alerts("bounce_spike", "mailbox:1", workspace_id=ws.id, clock=clock) == 1
    assert await alerts.resolve_alerts("bounce_spike", "mailbox:1", workspace_id=ws.id, clock=clock) == 0
    assert await alerts.resolve_alerts("bounce_spike", "mailbox:2", workspace_id=None, clock=clock) == 0
    resolved = await Alert.get(subject="mailbox:1")
    assert (resolved.status, resolved.resolved_at) == (AlertStatus.RESOLVED, clock.now())
    [notice] = await alerts.claim_due(clock)
    assert (notice.id, notice.resolved, notice.title_key) == (
        f"alert:{resolved.id}:resolved",
        True,
        "alert-resolved-title",
    )
    assert await alerts.claim_due(clock) == []  # once

    # a resolution older than a day is not news (e.g. rows resolved before resolutions were announced)
    await _raise(ws.id, "mailbox:4", clock)
    await alerts.claim_due(clock)
    await alerts.resolve_alerts("bounce_spike", "mailbox:4", workspace_id=ws.id, clock=clock)
    await Alert.filter(subject="mailbox:4").update(resolved_at=clock.now() - alerts.RESOLUTION_NEWS_FOR)
    assert await alerts.claim_due(clock) == []

    # an alert resolved before any chat heard of it is never announced, nor is its resolution
    await _raise(ws.id, "mailbox:3", clock)
    await alerts.resolve_alerts("bounce_spike", "mailbox:3", workspace_id=ws.id, clock=clock)
    assert await alerts.claim_due(clock) == []

    clock.advance(dt.timedelta(hours=1))
    assert await _raise(ws.id, "mailbox:1", clock) is True
    comeback = await Alert.get(subject="mailbox:1", status=AlertStatus.OPEN)
    assert comeback.id != resolved.id and comeback.count == 1
    assert [n.id for n in await alerts.claim_due(clock)] == [f"alert:{comeback.id}"]


async def test_ack_acts_once_and_an_acked_alert_keeps_counting(clock: FrozenClock) -> None:
    ws = await _workspace()
    anna, boris = await _manager(ws, "21"), await _manager(ws, "22")
    await _raise(ws.id, "mailbox:1", clock)
    alert = await Alert.get()
    acked = await alerts.ack_alert(anna, alert.id, clock)
    assert (acked.status, acked.acked_by_id, acked.acked_at) == (AlertStatus.ACKED, anna.person_id, NOW)
    with pytest.raises(Conflict) as again:
        await alerts.ack_alert(boris, alert.id, clock)
    assert again.value.key == "error-alert-acked" and again.value.params["who"] == "m21"
    assert await AuditLog.filter(action="alert.ack").count() == 1

    await _raise(ws.id, "mailbox:1", clock)
    still = await Alert.get(id=alert.id)
    assert (still.status, still.count) == (AlertStatus.ACKED, 2)
    await alerts.resolve_alerts("bounce_spike", "mailbox:1", workspace_id=ws.id, clock=clock)
    with pytest.raises(Conflict) as late:
        await alerts.ack_alert(anna, alert.id, clock)
    assert late.value.key == "error-alert-resolved"
    assert await _raise(ws.id, "mailbox:1", clock) is True  # back after resolving: a new, open alert
    assert await Alert.filter(status=AlertStatus.OPEN).count() == 1


async def test_only_managers_of_the_workspace_and_admins_ack(clock: FrozenClock) -> None:
    ws, other = await _workspace(), await _workspace("beta")
    stranger = await _manager(other, "31")
    client = await Person.create(platform=TG, external_id="32")
    await Membership.create(person=client, workspace=ws, role=Role.CLIENT)
    await _raise(ws.id, "mailbox:1", clock)
    await _raise(None, "worker:heartbeat", clock, kind="worker_down", severity=Severity.CRITICAL)
    mine = await Alert.get(workspace_id=ws.id)
    agency = await Alert.get(workspace_id=None)
    for actor in (stranger, Actor(client.id, TG, Role.CLIENT, ws.id)):
        with pytest.raises(NotFound):
            await alerts.ack_alert(actor, mine.id, clock)
    with pytest.raises(NotFound):  # an agency-wide alert is the admins'
        await alerts.ack_alert(await _manager(ws, "33"), agency.id, clock)
    admin = Actor(None, TG, Role.ADMIN, None)
    assert (await alerts.ack_alert(admin, agency.id, clock)).status is AlertStatus.ACKED
    with pytest.raises(Forbidden):
        await alerts.list_alerts(Actor(client.id, TG, Role.CLIENT, ws.id), clock)


async def test_a_flood_to_one_chat_becomes_a_budget_of_messages_and_one_digest(
    redis: Redis, clock: FrozenClock
) -> None:
    ws = await _workspace()
    for i in range(30):
        await _raise(ws.id, f"mailbox:{i % 4}", clock, kind="bounce_spike" if i < 18 else "dns_drift")
    assert await Alert.all().count() == 8
    for i in range(22):
        await _raise(ws.id, f"domain:{i}", clock, kind="dns_drift")
    tg = RecordingNotifier()
    due = await alerts.claim_due(clock)
    assert len(due) == 30
    reports = [await deliver_paced(n, {TG: tg}, redis, clock) for n in due]
    assert len(tg.sent) == PER_WINDOW
    assert sum(len(r.held) for r in reports) == 30 - PER_WINDOW
    assert await Delivery.filter(chat_id="acme-alerts").count() == 30  # each one accounted for, once
    again = [await deliver_paced(n, {TG: tg}, redis, clock) for n in due]  # a retried job changes nothing
    assert all(r.duplicate == ["telegram:acme-alerts"] for r in again) and len(tg.sent) == PER_WINDOW

    assert await flush_digests({TG: tg}, redis, clock) == 0  # the window is still open
    clock.advance(dt.timedelta(seconds=WINDOW_S))
    assert await flush_paced({TG: tg}, redis, clock) == 1
    assert await flush_digests({TG: tg}, redis, clock) == 0
    chat, digest = tg.sent[-1]
    assert chat == "acme-alerts" and len(tg.sent) == PER_WINDOW + 1
    held = 30 - PER_WINDOW
    title = digest.blocks[0].text
    assert title.startswith(RU("alerts-digest-title", count=held, kinds="").split(":")[0]), title
    assert "DNS изменился" in title and "• DNS изменился:" in digest.plain_text()  # the kind by its label
    assert await redis.scard(DIGEST_PENDING) == 0  # type: ignore[misc]


async def test_critical_goes_out_over_the_budget_and_info_only_in_the_digest(redis: Redis, clock: FrozenClock) -> None:
    ws = await _workspace()
    tg = RecordingNotifier()
    for i in range(PER_WINDOW):
        await _raise(ws.id, f"mailbox:{i}", clock)
    await _raise(ws.id, "domain:1", clock, kind="blacklist_listed", severity=Severity.CRITICAL)
    await _raise(ws.id, "mailbox:99", clock, kind="open_drop", severity=Severity.INFO)
    for note in await alerts.claim_due(clock):
        await deliver_paced(note, {TG: tg}, redis, clock)
    assert len(tg.sent) == PER_WINDOW + 1
    assert tg.sent[-1][1].blocks[0].text.startswith("🔴")
    clock.advance(dt.timedelta(seconds=WINDOW_S))
    assert await flush_paced({TG: tg}, redis, clock) == 1
    assert "open_drop" in tg.sent[-1][1].plain_text()


async def test_agency_alerts_reach_the_agency_chats_only(redis: Redis, clock: FrozenClock) -> None:
    ws = await _workspace()
    admin = Actor(None, TG, Role.ADMIN, None, locale="en")
    tg, slack = RecordingNotifier(), RecordingNotifier(Platform.SLACK)
    notifiers = {TG: tg, Platform.SLACK: slack}
    await _raise(None, "dnsbl:zen.test", clock, kind="dnsbl_blind", severity=Severity.CRITICAL)
    [unbound] = await alerts.claim_due(clock)
    assert (await deliver_paced(unbound, notifiers, redis, clock)).sent == []  # no agency chat yet: stored only

    manager = await _manager(ws, "41")
    with pytest.raises(Forbidden):
        await agency_chats.bind_agency_chat(manager, TG, "ops", clock)
    assert await agency_chats.bind_agency_chat(admin, TG, "ops", clock) is True
    assert await agency_chats.bind_agency_chat(admin, TG, "ops", clock) is False
    assert await agency_chats.bind_agency_chat(admin, Platform.SLACK, "C0OPS", clock) is True
    await _raise(None, "worker:heartbeat", clock, kind="worker_down", severity=Severity.CRITICAL)
    await _raise(ws.id, "mailbox:1", clock, severity=Severity.CRITICAL)
    reports = {n.kind: await deliver_paced(n, notifiers, redis, clock) for n in await alerts.claim_due(clock)}
    assert sorted(reports["worker_down"].sent) == ["slack:C0OPS", "telegram:ops"]
    assert reports["bounce_spike"].sent == ["telegram:acme-alerts"]  # a workspace's alert stays in its chats
    [reply] = [r for c, r in tg.sent if c == "ops"]
    worker_down = await Alert.get(kind="worker_down")
    assert reply.blocks[0].text == EN("alert-heading", severity="critical", id=worker_down.id)  # the admin's language
    assert [b.command for b in reply.buttons[0]] == ["ack"]

    assert await agency_chats.bind_agency_chat(admin, TG, "ops", clock, on=False) is True
    assert [c.chat_id for c in await agency_chats.agency_chats()] == ["C0OPS"]


async def test_with_no_agency_chat_an_agency_alert_reaches_the_admins_privately(
    redis: Redis, clock: FrozenClock
) -> None:
    """The bot removed from a workspace's only alerts group: its alert failed there, and the `chat_unreachable`
    alert, which goes to the agency chats, went nowhere on an install that had bound none — nobody was told.
    With no agency chat, the admins hear it in their private chats, each in their language; once one is bound,
    only there."""
    ws = await _workspace()
    await Person.create(platform=TG, external_id="501", is_admin=True, locale="en")
    await Person.create(platform=Platform.SLACK, external_id="U0ADMIN", is_admin=True)
    await Person.create(platform=TG, external_id="502")  # no admin
    await _manager(ws, "41")

    class GoneGroup(RecordingNotifier):
        async def send(self, chat_id: str, reply: Reply) -> str:
            if chat_id == "acme-alerts":
                raise DeliveryFailed("Forbidden: bot was kicked from the group chat")
            return await super().send(chat_id, reply)

    tg, slack = GoneGroup(), RecordingNotifier(Platform.SLACK)
    notifiers = {TG: tg, Platform.SLACK: slack}
    await _raise(ws.id, "mailbox:1", clock, severity=Severity.CRITICAL)
    [lost] = await alerts.claim_due(clock)
    assert (await deliver_paced(lost, notifiers, redis, clock)).failed == ["telegram:acme-alerts"]
    [told] = await alerts.claim_due(clock)
    report = await deliver_paced(told, notifiers, redis, clock)
    assert sorted(report.sent) == ["slack:U0ADMIN", "telegram:501"]
    unreachable = await Alert.get(kind="chat_unreachable")
    [(_, english)] = tg.sent
    [(_, russian)] = slack.sent
    assert english.blocks[0].text == EN("alert-heading", severity="warning", id=unreachable.id)
    assert russian.blocks[0].text == RU("alert-heading", severity="warning", id=unreachable.id)
    assert "acme-alerts" in english.plain_text()

    await agency_chats.bind_agency_chat(Actor(None, TG, Role.ADMIN, None), TG, "ops", clock)
    await _raise(None, "worker:heartbeat", clock, kind="worker_down", severity=Severity.CRITICAL)
    [down] = await alerts.claim_due(clock)
    assert (await deliver_paced(down, notifiers, redis, clock)).sent == ["telegram:ops"]


async def test_an_alert_never_reaches_a_clients_chat(redis: Redis, clock: FrozenClock) -> None:
    """A chat a manager bound for everything, then as the client's chat: no alert, resolution, alert digest or
    approval request reaches it any more; the managers' alert chat gets them all."""
    ws = await _workspace()
    manager = await _manager(ws, "41")
    await people.bind_chat(manager, TG, "acme-client", [ChatPurpose.ALERTS, ChatPurpose.REPORTS], clock)
    binding = await people.bind_chat(manager, TG, "acme-client", [ChatPurpose.CLIENT], clock)
    assert binding.purposes == ["client"]  # the client's chat is that only: alerts and reports are gone
    tg = RecordingNotifier()
    await _raise(ws.id, "mailbox:1", clock, severity=Severity.CRITICAL)
    await _raise(ws.id, "mailbox:2", clock, kind="open_drop", severity=Severity.INFO)  # for the window's digest
    await approvals.request(ws.id, ApprovalKind.DOMAIN_SWAP, "old.test", {}, clock=clock)
    for note in await alerts.claim_due(clock):
        await deliver_paced(note, {TG: tg}, redis, clock)
    await alerts.resolve_subjects("bounce_spike", ["mailbox:1"], clock=clock)
    for note in await alerts.claim_due(clock):
        await deliver_paced(note, {TG: tg}, redis, clock)
    clock.advance(dt.timedelta(seconds=WINDOW_S))
    assert await flush_paced({TG: tg}, redis, clock) == 1
    assert [chat for chat, _ in tg.sent] == ["acme-alerts"] * 4  # alert, approval, resolution, digest
    assert not await Delivery.filter(chat_id="acme-client").exists()


async def test_worker_down_and_queue_backlog_are_raised_and_resolved(redis: Redis, clock: FrozenClock) -> None:
    await redis.set(HEARTBEAT_KEY, (clock.now() - dt.timedelta(minutes=15)).astimezone(MSK).isoformat())
    seen = await watchdog.check_fleet(redis, clock)
    assert seen.worker_down and seen.backlog == 0
    down = await Alert.get(kind="worker_down")
    assert (down.workspace_id, down.severity, down.status) == (None, Severity.CRITICAL, AlertStatus.OPEN)
    assert down.data["since"] == "2026-12-02 09:45 UTC"  # the agency's alert: on UTC, named, as chat shows times
    await redis.set(HEARTBEAT_KEY, (clock.now() - dt.timedelta(minutes=2)).isoformat())
    assert not (await watchdog.check_fleet(redis, clock)).worker_down
    assert (await Alert.get(id=down.id)).status is AlertStatus.RESOLVED

    world = await make_world()
    old = clock.now() - dt.timedelta(minutes=watchdog.QUEUE_BACKLOG_MINUTES + 5)
    await planned_row(world, 0, status=MessageStatus.QUEUED, at=old)
    await planned_row(world, 1, status=MessageStatus.PLANNED, at=clock.now())  # due now: not late
    seen = await watchdog.check_fleet(redis, clock)
    assert (seen.backlog, seen.oldest_due) == (1, old)
    backlog = await Alert.get(kind="queue_backlog")
    assert backlog.data == {"count": 1, "minutes": watchdog.QUEUE_BACKLOG_MINUTES + 5}
    await watchdog.check_fleet(redis, clock)
    assert (await Alert.get(id=backlog.id)).count == 2
    clock.advance(dt.timedelta(minutes=1))
    await redis.set(HEARTBEAT_KEY, clock.now().isoformat())
    await OutboundMessage.filter(status=MessageStatus.QUEUED).update(status=MessageStatus.SENT)
    await watchdog.check_fleet(redis, clock)
    assert (await Alert.get(id=backlog.id)).status is AlertStatus.RESOLVED


async def _say(runner: Runner, user: str, line: str, chat: str = "c1") -> Reply:
    return await runner.run_line(runner.identity(TG, user, f"user{user}", "en"), chat, line)


async def test_alerts_lists_worst_first_and_ack_works_by_command(clock: FrozenClock) -> None:
    runner = Runner(clock, admins={TG: {"1"}})
    await _say(runner, "1", "/workspace_new acme ACME")
    ws = await Workspace.get(slug="acme")
    await _say(runner, "1", "/lang en")
    assert (await _say(runner, "1", "/alerts")).plain_text() == EN("alerts-none")
    await _raise(ws.id, "mailbox:1", clock, kind="open_drop", severity=Severity.INFO)
    await _raise(ws.id, "mailbox:2", clock)
    clock.advance(dt.timedelta(hours=3))
    listed = await Domain.create(workspace=ws, name="xn--e1afmkfd.xn--p1ai")  # пример.рф
    await _raise(ws.id, f"domain:{listed.id}", clock, kind="blacklist_listed", severity=Severity.CRITICAL)
    await _raise(None, "worker:heartbeat", clock, kind="worker_down", severity=Severity.CRITICAL)
    for record in ("mx", "spf"):  # one domain's two records drifted: two alerts, each saying which record
        await alerts.raise_alert(
            workspace_id=ws.id, kind="dns_drift", severity=Severity.WARNING, subject=f"domain:{listed.id}",
            key=record, data={"record": record}, now=clock.now(),
        )  # fmt: skip
    listing = await _say(runner, "1", "/alerts")
    lines = listing.blocks[1].text.split("\n")
    assert [line.split(" ")[0] for line in lines] == ["🔴", "🔴", "🟠", "🟠", "🟠", "ℹ️"]
    # each kind by its label, each subject by its name (a domain in Unicode); an unknown kind as it is
    assert "blocklisted · пример.рф · acme" in lines[0] + lines[1] and "worker not answering" in lines[0] + lines[1]
    assert {"пример.рф (MX)", "пример.рф (SPF)"} <= {line.split(" · ")[1] for line in lines}
    assert "bounce_spike" in lines[4] and "3 h" in lines[4]
    assert listing.blocks[0].text == EN("alerts-title", total=6, open=6, acked=0)
    warning = await Alert.get(kind="bounce_spike")
    assert (await _say(runner, "1", f"/ack {warning.id}")).ok
    twice = await _say(runner, "1", f"/ack {warning.id}")
    assert twice.plain_text() == EN("error-alert-acked", id=warning.id, who="user1")
    assert EN("alerts-title", total=6, open=5, acked=1) in (await _say(runner, "1", "/alerts")).plain_text()
    assert (await _say(runner, "1", "/agency_chat")).plain_text() == EN("agency-chat-bound")
    assert (await _say(runner, "1", "/agency_chat off")).plain_text() == EN("agency-chat-unbound")


async def test_workers_claiming_and_people_acking_at_once_act_once(clock: FrozenClock) -> None:
    ws = await _workspace()
    for i in range(40):
        await _raise(ws.id, f"mailbox:{i}", clock)
    claims = await asyncio.gather(*(alerts.claim_due(clock, limit=15) for _ in range(4)))
    ids = [n.id for batch in claims for n in batch]
    assert len(ids) == len(set(ids)) and len(ids) <= 40
    rest = await alerts.claim_due(clock)
    assert sorted(ids + [n.id for n in rest]) == sorted(f"alert:{a.id}" for a in await Alert.all())

    anna, boris = await _manager(ws, "51"), await _manager(ws, "52")
    first = await Alert.filter(workspace_id=ws.id).first()
    assert first is not None
    results = await asyncio.gather(
        alerts.ack_alert(anna, first.id, clock), alerts.ack_alert(boris, first.id, clock), return_exceptions=True
    )
    assert sorted(type(r).__name__ for r in results) == ["Alert", "Conflict"]
    assert await AuditLog.filter(action="alert.ack").count() == 1


async def test_the_worker_jobs_check_the_fleet_and_send_the_digests(redis: Redis, clock: FrozenClock) -> None:
    admin = Actor(None, TG, Role.ADMIN, None, locale="en")
    await agency_chats.bind_agency_chat(admin, TG, "ops", clock)
    await redis.delete(HEARTBEAT_KEY)
    tg = RecordingNotifier()
    ctx = {"redis": redis, "clock": clock, "notifiers": {TG: tg}}
    assert await worker.watch_fleet(ctx) == {"worker_down": True, "backlog": 0}
    [note] = await alerts.claim_due(clock)
    await deliver_job_paced(ctx, note.to_dict())
    assert tg.sent[0][0] == "ops"
    assert EN("alert-worker-down", minutes=10, since="-") in tg.sent[0][1].plain_text()
    await redis.set(HEARTBEAT_KEY, clock.now().isoformat())
    await worker.watch_fleet(ctx)
    [resolution] = await alerts.claim_due(clock)
    await deliver_job_paced(ctx, resolution.to_dict())
    assert tg.sent[-1][1].blocks[0].text == EN("alert-resolved-title", id=(await Alert.get()).id)

    await _raise(None, "dnsbl:zen.test", clock, kind="dnsbl_blind", severity=Severity.INFO)
    [info] = await alerts.claim_due(clock)
    assert (await deliver_job_paced(ctx, info.to_dict()))["held"] == ["telegram:ops"]
    assert await worker.send_digests(ctx) == 0
    clock.advance(dt.timedelta(seconds=WINDOW_S))
    await asyncio.sleep(1.0)  # the chat's per-second slot (real time) frees
    assert await worker.send_digests(ctx) == 1
    assert tg.sent[-1][1].blocks[0].text == EN("alerts-digest-title", count=1, kinds="1 blocklist check not working")


async def test_a_mailbox_disabled_again_after_it_was_resumed_is_announced_again(clock: FrozenClock) -> None:
    from engine.mailboxes import resume_mailbox  # noqa: PLC0415 - only this test drives a mailbox
    from tests.integration.test_monitoring import fleet  # noqa: PLC0415

    ws, [box, _] = await fleet(1, 2)
    await Mailbox.filter(id=box.id).update(status=MailboxStatus.DISABLED, auth_failures=3)

    async def disabled(now: dt.datetime) -> list[str]:
        await alerts.mailbox_auth_disabled(
            ws.id, box.id, box.address, failures=3, reason="auth_failed", via="smtp", now=now
        )
        return [n.id for n in await alerts.claim_due(clock)]

    [first] = await disabled(NOW)
    manager = Actor(None, Platform.TELEGRAM, Role.MANAGER, ws.id, locale="en")
    await resume_mailbox(manager, box.address, clock=clock)  # the password was fixed
    assert [n.id for n in await alerts.claim_due(clock)] == [f"{first}:resolved"]

    clock.advance(dt.timedelta(days=2))
    await Mailbox.filter(id=box.id).update(status=MailboxStatus.DISABLED)  # it broke again
    [second] = await disabled(clock.now())
    assert second != first  # a new alert, announced, not a count on the old one


@pytest.mark.parametrize(("lang", "label"), [("ru", "номер оповещения"), ("en", "alert number")])
async def test_ack_names_its_argument_an_alert_number(clock: FrozenClock, lang: str, label: str) -> None:
    runner = Runner(clock, admins={TG: {"1"}})
    reply = await runner.run_line(runner.identity(TG, "1", "ann", lang), "c1", "/ack abc")
    assert label in reply.plain_text() and translator(lang)("arg-id") not in reply.plain_text()


async def test_a_mailbox_alert_names_an_idn_address_as_people_write_it() -> None:
    """A mailbox on пример.рф disabled after refused logins, or waiting on its SMTP server, was announced as
    "anna@xn--e1afmkfd.xn--p1ai" (the stored form, as the sender and the inbox sync pass it)."""
    ws = await Workspace.create(slug="acme", name="Acme")
    stored = "anna@xn--e1afmkfd.xn--p1ai"
    await alerts.mailbox_auth_disabled(ws.id, 7, stored, failures=3, reason="auth-rejected", via="imap", now=NOW)
    await alerts.smtp_unreachable(ws.id, 7, stored, since="2026-12-02 13:00 MSK", reason="timeout", now=NOW)
    for kind in (alerts.INBOX_UNREACHABLE, "send_unknown"):  # raised by the inbox sync and the sender themselves
        data = {"mailbox": stored, "read": "never", "since": "2026-12-01 10:00 MSK", "error": "timeout",
                "detail": "", "count": 1, "reason": "not-found", "reason_keys": []}  # fmt: skip
        await alerts.raise_alert(
            workspace_id=ws.id, kind=kind, severity=Severity.WARNING, subject="mailbox:7", key="k", data=data, now=NOW
        )
    for alert in await Alert.all():
        assert alert.data["mailbox"] == "anna@пример.рф", alert.kind
    for note in await alerts.claim_due(FrozenClock(NOW)):
        said = EN(note.body_key, **note.params)
        assert "anna@пример.рф" in said and "xn--" not in said, said

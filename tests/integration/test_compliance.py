"""Compliance services against the real PostgreSQL: the sender identity, `/forget` and its hashed suppression,
agency-wide suppression across workspaces at import, retention in batches, and the audit export's scopes."""

from __future__ import annotations

import csv as csvlib
import dataclasses
import datetime as dt
import io
import json

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer
from redis.asyncio import Redis
from tortoise import connections

from engine import exports
from engine.access import Actor
from engine.clock import FrozenClock
from engine.compliance import audit, forget, identity, retention
from engine.compliance.hashing import AddressHasher
from engine.errors import Conflict, Forbidden, NotFound, UserError
from engine.i18n import translator
from engine.leads.importer import ImportOptions, import_leads
from engine.leads.suppression import is_suppressed, suppress, unsuppress
from engine.sending.planner import PLAN_LOCK
from engine.tracking import TrackingLinks
from mailfleet.web import create_app
from models import (
    AuditLog,
    Campaign,
    DailyStat,
    Domain,
    Enrollment,
    Event,
    Lead,
    Mailbox,
    Membership,
    OutboundMessage,
    Person,
    Suppression,
    Workspace,
)
from models.enums import (
    EnrollmentState,
    EventKind,
    LegalBasis,
    MailProvider,
    MessageKind,
    MessageStatus,
    Platform,
    Role,
    StatScope,
    SuppressionReason,
    TlsMode,
)
from tests.integration.txprobe import holding, stopped_on_lock

pytestmark = pytest.mark.usefixtures("orm")

NOW = dt.datetime(2031, 3, 3, 9, 0, tzinfo=dt.UTC)
IVAN = "ivan.petrov@lead.example"
HASHER = AddressHasher([b"s" * 32])
OPTIONS = ImportOptions(legal_basis="договор 7", source="выставка", test_environment=True, check_dns=False)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


def actor(ws: Workspace | None, role: Role = Role.MANAGER, person_id: int | None = None) -> Actor:
    return Actor(person_id=person_id, platform=Platform.CONSOLE, role=role, workspace_id=ws.id if ws else None)


async def space(slug: str) -> tuple[Workspace, Mailbox]:
    ws = await Workspace.create(slug=slug, name=slug.title())
    domain = await Domain.create(workspace=ws, name=f"{slug}.example")
    box = await Mailbox.create(
        workspace=ws, domain=domain, address=f"anna@{slug}.example", provider=MailProvider.GENERIC,
        smtp_host="127.0.0.1", smtp_port=25, smtp_tls=TlsMode.PLAIN, imap_host="127.0.0.1", imap_port=143,
        imap_tls=TlsMode.PLAIN, username="a", secret_enc=b"x",
    )  # fmt: skip
    return ws, box


async def history(ws: Workspace, box: Mailbox, email: str, at: dt.datetime) -> tuple[Lead, Enrollment]:
    """A lead written to once (sent), with a queued follow-up, an open, a reply and the day's counters."""
    lead = await Lead.create(workspace=ws, email=email, first_name="Иван", legal_basis=LegalBasis.CONSENT,
                             source="сайт", created_at=at)  # fmt: skip
    await Lead.filter(id=lead.id).update(created_at=at)
    c = await Campaign.get_or_none(workspace=ws) or await Campaign.create(workspace=ws, name="Q1")
    e = await Enrollment.create(campaign=c, lead=lead, current_step=2, last_sent_at=at, state=EnrollmentState.COMPLETED)
    sent = await OutboundMessage.create(
        kind=MessageKind.CAMPAIGN, workspace=ws, mailbox=box, lead=lead, enrollment=e, campaign=c, step_position=1,
        message_id=f"<{lead.id}.1@{ws.slug}>", status=MessageStatus.SENT, scheduled_at=at, sent_at=at,
        subject="Вопрос для Ивана", body=f"Добрый день, Иван ({email})", links=["https://x.example"],
        smtp_reply=f"250 ok {email}",
    )  # fmt: skip
    await OutboundMessage.create(
        kind=MessageKind.CAMPAIGN, workspace=ws, mailbox=box, lead=lead, enrollment=e, campaign=c, step_position=2,
        message_id=f"<{lead.id}.2@{ws.slug}>", status=MessageStatus.QUEUED, scheduled_at=at + dt.timedelta(days=2),
    )  # fmt: skip
    await Event.create(workspace=ws, kind=EventKind.OPEN, lead=lead, message=sent, campaign=c, occurred_at=at)
    await Event.create(workspace=ws, kind=EventKind.REPLY, mailbox=box, occurred_at=at,
                       data={"address": email, "incoming_id": "<r1@lead.example>"})  # fmt: skip
    await DailyStat.get_or_create(scope=StatScope.CAMPAIGN, scope_id=c.id, day=at.date(),
                                  defaults={"workspace": ws, "sent": 1, "opens": 1})  # fmt: skip
    return lead, e


async def test_the_sender_identity_is_checked_whole_and_audited(clock: FrozenClock) -> None:
    ws, _ = await space("acme")
    with pytest.raises(UserError) as injected:
        await identity.set_sender_identity(actor(ws), clock, "ООО «Ромашка»", "Москва\r\nBcc: all@x.example")
    assert (injected.value.key, injected.value.params["field"]) == ("error-legal-control", "contact")
    assert (await Workspace.get(id=ws.id)).sender_name == ""  # nothing half-written
    with pytest.raises(Forbidden):
        await identity.set_sender_identity(actor(ws, Role.CLIENT), clock, "ООО «Ромашка»", "Москва")
    saved = await identity.set_sender_identity(actor(ws), clock, " ООО  «Ромашка» ", "Москва, ИНН 7701234567")
    assert saved == identity.SenderIdentity("ООО «Ромашка»", "Москва, ИНН 7701234567")
    assert await identity.sender_identity(actor(ws, Role.CLIENT)) == saved
    entry = await AuditLog.get(action="workspace.sender_identity")
    assert entry.workspace_id == ws.id and entry.data["to"] == {"legal_name": "ООО «Ромашка»", "contact": saved.contact}


async def test_forget_is_one_transaction(clock: FrozenClock, database_url: str) -> None:
    """Stopped half-way (an event row held by another session), nothing is erased yet for anyone else to see."""
    ws, box = await space("acme")
    lead, enrollment = await history(ws, box, IVAN, NOW - dt.timedelta(days=3))
    event = await Event.get(kind=EventKind.OPEN)
    async with holding(database_url, "SELECT id FROM event WHERE id = $1 FOR UPDATE", event.id) as looker:
        task = await stopped_on_lock(looker, forget.forget(actor(ws), clock, IVAN, hasher=HASHER))
        seen = await looker.fetchrow(
            "SELECT (SELECT count(*) FROM enrollment WHERE id = $1) AS enrollments,"
            " (SELECT count(*) FROM outbound_message WHERE lead_id = $2 AND subject <> '') AS written",
            enrollment.id,
            lead.id,
        )
        assert (seen["enrollments"], seen["written"]) == (1, 1)
    assert (await task).leads == 1
    assert not await Enrollment.filter(id=enrollment.id).exists()


async def test_forget_waits_for_a_campaign_plan_under_way_and_erases_what_it_planned(
    clock: FrozenClock, database_url: str
) -> None:
    """A campaign plan holds the workspace's planning lock while it inserts a row for the person (the row names its
    enrollment and lead without a constraint): /forget waits for it, then cancels that row too, naming nobody."""
    ws, box = await space("acme")
    lead, enrollment = await history(ws, box, IVAN, NOW - dt.timedelta(days=3))
    planner = await asyncpg.connect(database_url)
    looker = await asyncpg.connect(database_url)
    try:
        async with planner.transaction():
            await planner.execute("SELECT pg_advisory_xact_lock($1, $2)", PLAN_LOCK, ws.id)
            task = await stopped_on_lock(looker, forget.forget(actor(ws), clock, IVAN, hasher=HASHER))
            await planner.execute(
                "INSERT INTO outbound_message (kind, workspace_id, mailbox_id, lead_id, enrollment_id, campaign_id, "
                "step_position, message_id, subject, status, scheduled_at, attempts, smtp_reply, created_at) "
                "SELECT 'campaign', $1, $2, $3, $4, campaign_id, 3, '<planned@x>', '', 'planned', $5, 0, '', $5 "
                "FROM enrollment WHERE id = $4",
                ws.id, box.id, lead.id, enrollment.id, NOW,
            )  # fmt: skip
    finally:
        await planner.close()
        await looker.close()
    assert (await task).messages == 3
    planned = await OutboundMessage.get(message_id="<planned@x>")
    assert (planned.status, planned.lead_id, planned.enrollment_id) == (MessageStatus.CANCELLED, None, None)
    assert not await OutboundMessage.filter(enrollment_id=enrollment.id).exists()


async def test_forget_erases_the_person_keeps_aggregates_and_a_hash_and_is_harmless_twice(clock: FrozenClock) -> None:
    ws, box = await space("acme")
    other, other_box = await space("beta")
    lead, enrollment = await history(ws, box, IVAN, NOW - dt.timedelta(days=3))
    theirs, _ = await history(other, other_box, IVAN, NOW - dt.timedelta(days=3))
    await suppress(actor(ws), IVAN, clock)  # the plain entry becomes the hash
    await Enrollment.filter(id=enrollment.id).update(state=EnrollmentState.ACTIVE)
    with pytest.raises(Forbidden):
        await forget.forget(actor(ws), clock, IVAN, hasher=HASHER, everywhere=True)  # managers: own workspace
    with pytest.raises(UserError) as bad:
        await forget.forget(actor(ws), clock, "not an address", hasher=HASHER)
    assert bad.value.key == "error-forget-address"

    erased = await forget.forget(actor(ws), clock, " Ivan.Petrov@LEAD.example ", hasher=HASHER)

    assert (erased.leads, erased.enrollments, erased.messages, erased.events, erased.suppressions) == (1, 1, 2, 2, 1)
    assert not await Lead.filter(id=lead.id).exists() and not await Enrollment.filter(id=enrollment.id).exists()
    rows = await OutboundMessage.filter(workspace=ws).order_by("step_position")
    assert [(r.status, r.subject, r.body, r.links, r.smtp_reply, r.lead_id) for r in rows] == [
        (MessageStatus.SENT, "", "", None, "", None), (MessageStatus.CANCELLED, "", "", None, "", None)]  # fmt: skip
    kept_events = await Event.filter(workspace=ws).order_by("id").values("kind", "lead_id", "data")
    assert kept_events == [  # nothing of the person; what counting and the inbox's dedup need stays
        {"kind": EventKind.OPEN, "lead_id": None, "data": {}},
        {"kind": EventKind.REPLY, "lead_id": None, "data": {"incoming_id": "<r1@lead.example>"}},
    ]
    assert (await DailyStat.get(workspace=ws)).sent == 1  # aggregates stay
    [kept] = await Suppression.filter(workspace=ws)
    assert (kept.value, kept.reason) == (HASHER.value(IVAN), SuppressionReason.FORGOTTEN)
    dump = json.dumps(
        [await connections.get("default").execute_query_dict(f"SELECT * FROM {t}")  # noqa: S608 - fixed names
         for t in ("lead", "outbound_message", "event", "suppression", "audit_log", "enrollment")], default=str
    )  # fmt: skip
    # only the other workspace's copy remains: its lead, its sent row's body and SMTP reply, its reply event
    assert dump.lower().count("ivan.petrov") == 4
    assert await Lead.filter(id=theirs.id).exists()
    entry = await AuditLog.get(action="compliance.forget")
    assert entry.data["leads"] == 1 and "ivan" not in json.dumps(entry.data).lower()

    again = await forget.forget(actor(ws), clock, IVAN, hasher=HASHER)
    assert not again.anything and not again.hashed_new
    assert await Suppression.filter(workspace=ws).count() == 1
    assert await AuditLog.filter(action="compliance.forget").count() == 1

    # the person is never stored again in this workspace: the import matches the hash (another key would not)
    data = f"Почта;Имя\r\n{IVAN};Иван\r\nolga@lead.example;Ольга\r\n".encode()
    report = await import_leads(actor(ws), data, clock, options=OPTIONS, hasher=HASHER)
    assert (report.imported, report.suppressed) == (1, 1)
    assert not await Lead.filter(workspace=ws, email=IVAN).exists()
    assert await is_suppressed(ws.id, [IVAN], hasher=AddressHasher([b"t" * 32])) == set()

    # an admin erases everywhere: the other workspace too, with one agency-wide hash
    admin = actor(None, Role.ADMIN)
    everywhere = await forget.forget(admin, clock, IVAN, hasher=HASHER, everywhere=True)
    assert (everywhere.leads, everywhere.events) == (1, 2)
    assert await Suppression.filter(workspace_id=None, value=HASHER.value(IVAN)).exists()
    assert await is_suppressed(other.id, [IVAN], hasher=HASHER) == {IVAN}


async def test_an_agency_wide_suppression_blocks_imports_in_every_workspace(clock: FrozenClock) -> None:
    acme, _ = await space("acme")
    beta, _ = await space("beta")
    with pytest.raises(Forbidden):
        await suppress(actor(acme), "lead.example", clock, everywhere=True)
    await suppress(actor(None, Role.ADMIN), "lead.example", clock, everywhere=True)
    await suppress(actor(acme), "olga@other.example", clock)
    data = f"Почта\r\n{IVAN}\r\nolga@other.example\r\n".encode()
    for ws, stored in ((acme, set()), (beta, {"olga@other.example"})):
        report = await import_leads(actor(ws), data, clock, options=OPTIONS)
        assert {lead.email for lead in await Lead.filter(workspace=ws)} == stored
        assert report.suppressed == 2 - len(stored)


async def test_retention_deletes_old_data_in_batches_and_keeps_aggregates_and_suppressions(clock: FrozenClock) -> None:
    ws, box = await space("acme")
    keep, keep_box = await space("keep")
    for n in range(5):
        await history(ws, box, f"old{n}@lead.example", NOW - dt.timedelta(days=100))
    recent, _ = await history(ws, box, "new@lead.example", NOW - dt.timedelta(days=5))
    busy, busy_enrollment = await history(ws, box, "busy@lead.example", NOW - dt.timedelta(days=100))
    await Enrollment.filter(id=busy_enrollment.id).update(state=EnrollmentState.ACTIVE)  # still in its sequence
    await history(keep, keep_box, "old@lead.example", NOW - dt.timedelta(days=100))  # retention off there
    await suppress(actor(ws), "old0@lead.example", clock)
    await OutboundMessage.filter(workspace=ws, status=MessageStatus.QUEUED).update(status=MessageStatus.CANCELLED)
    with pytest.raises(UserError) as short:
        await retention.set_retention(actor(ws), clock, 7)
    assert short.value.params == {"min": retention.MIN_DAYS, "max": retention.MAX_DAYS}
    change = await retention.set_retention(actor(ws), clock, 30)
    assert (change.before, change.after) == (None, 30)

    done = await retention.purge(clock, hasher=HASHER, batch=2)

    assert set(done) == {ws.id}
    assert done[ws.id] == {"events": 12, "messages": 6, "leads": 5}
    assert {lead.email for lead in await Lead.filter(workspace=ws)} == {"new@lead.example", "busy@lead.example"}
    assert await Event.filter(workspace=ws).count() == 2  # the recent lead's
    assert await OutboundMessage.filter(workspace=ws, body__not="").count() == 1  # the recent lead's step 1
    assert await DailyStat.filter(workspace=ws).count() == 2 and await Suppression.filter(workspace=ws).count() == 1
    assert await Lead.filter(workspace=keep).count() == 1 and await Event.filter(workspace=keep).count() == 2
    assert recent.id and busy.id
    assert (await AuditLog.get(action="retention.purge")).data == {"days": 30, "events": 12, "messages": 6, "leads": 5}
    kept = await OutboundMessage.filter(workspace=ws, lead_id=None).values_list("recipient_hash", flat=True)
    assert sorted(set(kept)) == sorted(HASHER.value(f"old{n}@lead.example") for n in range(5))  # nothing else
    assert await OutboundMessage.filter(workspace=ws, lead_id=None, enrollment_id__isnull=False).count() == 0
    assert await retention.purge(clock, hasher=HASHER, batch=2) == {}  # nothing left: a second run is a no-op
    await retention.set_retention(actor(ws), clock, None)
    assert await retention.retention_days(actor(ws)) is None


async def test_the_audit_export_shows_admins_everything_and_managers_their_workspaces(
    clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    acme, _ = await space("acme")
    beta, beta_box = await space("beta")
    person = await Person.create(platform=Platform.TELEGRAM, external_id="42", display_name="=cmd|' /C calc'!A0")
    await Membership.create(person=person, workspace=acme, role=Role.MANAGER)
    manager = actor(acme, person_id=person.id)
    await identity.set_sender_identity(manager, clock, "ООО «Ромашка»", "Москва")
    await AuditLog.create(workspace=beta, action="secret_beta_action", subject="x", created_at=NOW)
    await AuditLog.create(workspace=None, action="agency_action", subject="agency", created_at=NOW)
    await AuditLog.create(workspace=acme, action="last_year", subject="x", created_at=NOW - dt.timedelta(days=400))

    mine = await audit.export_audit(manager, clock)
    rows = list(csvlib.reader(io.StringIO(mine.content.decode("utf-8-sig")), delimiter=";"))
    assert mine.rows == 1 and rows[1][4:6] == ["реквизиты отправителя изменены", "workspace.sender_identity"]
    assert rows[1][:4] == ["2031-03-03 09:00:00 UTC", "acme", "telegram:42", "'=cmd|' /C calc'!A0"]
    assert rows[1][6:8] == ["acme", f"workspace:{acme.id}"]  # the subject by its name, the reference beside
    assert rows[1][8] == "from.contact: —; from.legal_name: —; to.contact: Москва; to.legal_name: ООО «Ромашка»"
    assert json.loads(rows[1][9])["to"] == {"legal_name": "ООО «Ромашка»", "contact": "Москва"}
    assert rows[0][6:] == ["Объект", "Код объекта", "Подробности", "Подробности (JSON)"]
    await AuditLog.create(workspace=beta, action="mailbox.transition", subject=f"mailbox:{beta_box.id}", created_at=NOW)
    await AuditLog.create(workspace=beta, action="domain.delete", subject="domain:999999", created_at=NOW)  # gone
    monkeypatch.setattr(audit, "PAGE", 2)  # names are looked up page by page
    everything = await audit.export_audit(actor(None, Role.ADMIN), clock)
    rows = list(csvlib.reader(io.StringIO(everything.content.decode("utf-8-sig")), delimiter=";"))
    assert everything.rows == 5 and [r[6:8] for r in rows[1:]] == [
        ["acme", f"workspace:{acme.id}"], ["x", "x"], ["agency", "agency"],
        ["anna@beta.example", f"mailbox:{beta_box.id}"], ["domain:999999", "domain:999999"],
    ]  # fmt: skip
    old = await audit.export_audit(manager, clock, dt.date(2030, 1, 1), dt.date(2030, 12, 31))
    assert old.rows == 1 and old.filename == "audit-2030-01-01-2030-12-31.csv"
    with pytest.raises(UserError) as long_range:
        await audit.export_audit(manager, clock, dt.date(2029, 1, 1), dt.date(2031, 1, 1))
    assert long_range.value.key == "error-audit-range"
    with pytest.raises(UserError) as too_many:
        await audit.export_audit(actor(None, Role.ADMIN), clock, max_rows=2)
    assert too_many.value.key == "error-audit-too-many"
    with pytest.raises(Forbidden):
        await audit.export_audit(actor(beta, person_id=None), clock)  # no membership behind this manager


async def test_the_audit_export_takes_the_first_and_last_days_a_date_can_name(clock: FrozenClock) -> None:
    """`/audit_export 9999-12-31 9999-12-31` was an internal error (the day after it is no date) and an ISO week
    (`2026-W10-1`) was taken for a day; the last day is exported (nothing in it), a range ending early in year 1
    starts on its first day, and a week is refused as the date it is not."""
    admin = actor(None, Role.ADMIN)
    await AuditLog.create(workspace=None, action="agency_action", subject="agency", created_at=NOW)
    last = await audit.export_audit(admin, clock, dt.date.max, dt.date.max)
    assert (last.rows, last.filename) == (0, "audit-9999-12-31-9999-12-31.csv")
    first = await audit.export_audit(admin, clock, None, dt.date(1, 1, 5))
    assert (first.rows, first.filename) == (0, "audit-0001-01-01-0001-01-05.csv")
    with pytest.raises(UserError) as week:
        audit.parse_day("2026-W10-1", field="from")
    assert week.value.key == "error-audit-date"


async def test_forget_erases_the_events_that_name_an_idn_address_in_unicode(clock: FrozenClock) -> None:
    """A reply or a bounce from ivan@пример.рф keeps the address as the mail wrote it (Unicode), while /forget
    looks for it as stored (punycode): the event stayed, with the address in it, after '/forget ivan@пример.рф'."""
    ws, box = await space("acme")
    stored = "ivan@xn--e1afmkfd.xn--p1ai"
    await history(ws, box, stored, NOW - dt.timedelta(days=3))
    await Event.create(workspace=ws, kind=EventKind.BOUNCE_HARD, mailbox=box, occurred_at=NOW,
                       data={"address": "ivan@пример.рф", "status": "5.1.1"})  # fmt: skip
    shown = await forget.preview(actor(ws), "Ivan@Пример.рф")
    erased = await forget.forget(actor(ws), clock, "Ivan@Пример.рф", hasher=HASHER)
    assert erased.events == shown.events == 3  # the open, the reply and the bounce
    assert not await Event.filter(workspace_id=ws.id, lead_id__not_isnull=True).exists()
    assert [e["data"] for e in await Event.filter(workspace_id=ws.id).order_by("id").values("data")] == [
        {}, {"incoming_id": "<r1@lead.example>"}, {"status": "5.1.1"}]  # fmt: skip
    assert (await forget.preview(actor(ws), "Ivan@Пример.рф")).events == 0  # found once: a repeat finds nothing


async def test_a_parked_erasure_is_previewed_exactly_and_taken_once_by_who_asked(
    clock: FrozenClock, redis: Redis
) -> None:
    ws, box = await space("acme")
    other, _ = await space("beta")
    await history(ws, box, IVAN, NOW - dt.timedelta(days=3))
    anna, boris = actor(ws, person_id=1), actor(ws, person_id=2)
    shown = await forget.preview(anna, IVAN.upper())
    assert await Lead.filter(email=IVAN).exists()  # a preview changes nothing
    assert await forget.preview(actor(other, person_id=1), IVAN) == forget.Erased(False)  # nobody elsewhere
    token = await forget.park(redis, anna, IVAN, everywhere=False)
    for wrong in (boris, actor(other, person_id=1)):  # another person, or the same one in another workspace
        with pytest.raises(UserError) as refused:
            await forget.take(redis, wrong, token)
        assert refused.value.key == "error-forget-confirm-expired"
    # their presses left it waiting for Anna (before, the first of them used it up and her button expired)
    assert await forget.take(redis, anna, token) == (IVAN, False)
    with pytest.raises(UserError):  # a second press
        await forget.take(redis, anna, token)
    erased = await forget.forget(actor(ws), clock, IVAN, hasher=HASHER)
    assert dataclasses.replace(erased, hashed_new=False) == shown


async def test_an_erasure_names_the_workspace_it_erases_in(clock: FrozenClock) -> None:
    """A manager of two workspaces who asked /forget in the wrong one read 'erased in this workspace' and could
    not tell which: the preview and the erasure carry the workspace's name (the reply says it)."""
    acme, box = await space("acme")
    beta, beta_box = await space("beta")
    for ws, b in ((acme, box), (beta, beta_box)):
        await history(ws, b, IVAN, NOW - dt.timedelta(days=3))
    shown = await forget.preview(actor(beta), IVAN)
    erased = await forget.forget(actor(beta), clock, IVAN, hasher=HASHER)
    assert (shown.workspace, erased.workspace, erased.leads) == ("Beta", "Beta", 1)
    assert await Lead.filter(workspace_id=acme.id, email=IVAN).exists()  # the other workspace keeps its own
    everywhere = await forget.forget(actor(None, Role.ADMIN), clock, IVAN, hasher=HASHER, everywhere=True)
    assert (everywhere.workspace, everywhere.leads) == ("", 1)
    assert translator("ru")("forget-scope-workspace", workspace="Beta") == "в пространстве «Beta»"


async def test_an_unsubscribe_from_an_old_mail_after_retention_still_suppresses(
    clock: FrozenClock, redis: Redis
) -> None:
    """Retention deleted the lead a month after its sequence ended; the mail is still in the person's inbox,
    and Gmail's unsubscribe button posts to its one-click URL. The person is suppressed all the same — by the
    keyed hash retention kept on the message, no address on record — so a re-import of the old list refuses
    them; a second press changes nothing."""
    ws, box = await space("acme")
    lead, _ = await history(ws, box, IVAN, NOW - dt.timedelta(days=100))
    sent = await OutboundMessage.get(lead_id=lead.id, step_position=1)
    await OutboundMessage.filter(workspace=ws, status=MessageStatus.QUEUED).update(status=MessageStatus.CANCELLED)
    await retention.set_retention(actor(ws), clock, 30)
    assert (await retention.purge(clock, hasher=HASHER))[ws.id]["leads"] == 1
    links = TrackingLinks("https://t.example.com", b"k" * 32)
    url = links.unsubscribe_url(sent.id).removeprefix(links.base_url)
    async with TestClient(TestServer(create_app(redis, tracking=links, clock=clock))) as client:
        for _ in range(2):
            pressed = await client.post(
                url, data=b"List-Unsubscribe=One-Click", headers={"Content-Type": "application/x-www-form-urlencoded"}
            )
            assert pressed.status == 200 and "вы отписаны" in await pressed.text()
    assert await is_suppressed(ws.id, [IVAN], hasher=HASHER) == {IVAN}
    stored = await Suppression.filter(workspace=ws).values_list("value", "reason")
    assert stored == [(HASHER.value(IVAN), SuppressionReason.UNSUBSCRIBE)]  # the hash, never the address
    assert await Event.filter(workspace=ws, kind=EventKind.UNSUBSCRIBE).count() == 1
    report = await import_leads(actor(ws), f"Почта\r\n{IVAN}\r\n".encode(), clock, options=OPTIONS, hasher=HASHER)
    assert report.suppressed == 1 and not await Lead.filter(workspace=ws).exists()


async def test_forget_reads_an_address_as_the_import_stored_it(clock: FrozenClock) -> None:
    """`/forget mailto:ivan@…` (copied from a link) or `/forget Иван Петров <ivan@…>` (from a mail client's From)
    read the address otherwise than the import that stored it: the first erased nothing and answered "its hash
    was added, it can never be written to" about the hash of "mailto:ivan@…", the second was "not an address".
    /forget now reads an address as the import does; what the import could not store is refused, never hashed."""
    ws, box = await space("acme")
    for written in (f"mailto:{IVAN.upper()}", f"Иван Петров <{IVAN}>"):
        await history(ws, box, IVAN, NOW - dt.timedelta(days=3))
        assert (await forget.preview(actor(ws), written)).leads == 1
        erased = await forget.forget(actor(ws), clock, written, hasher=HASHER)
        assert erased.leads == 1 and not await Lead.filter(email=IVAN).exists()
    assert await Suppression.filter(workspace=ws).values_list("value", flat=True) == [HASHER.value(IVAN)]
    # a control character pasted in, quotes (a zero-width space is read away, as the import reads it: `checks`)
    for garbage in (f"iv\x01{IVAN[2:]}", f'"ivan"@{IVAN.partition("@")[2]}'):
        with pytest.raises(UserError) as refused:
            await forget.forget(actor(ws), clock, garbage, hasher=HASHER)
        assert refused.value.key == "error-forget-address"
    assert await Suppression.filter(workspace=ws).count() == 1  # no hash of something that is no address
    # an address only mail can bring (a Cyrillic local part: the import refuses it, an unsubscribe by mail keeps it)
    await suppress(actor(ws), "olga@lead.example", clock)
    await connections.get("default").execute_query(
        "UPDATE suppression SET value = $1 WHERE value = 'olga@lead.example'", ["ольга@xn--e1afmkfd.xn--p1ai"]
    )
    erased = await forget.forget(actor(ws), clock, "Ольга@Пример.рф", hasher=HASHER)
    assert erased.suppressions == 1


async def test_a_persons_own_opt_out_is_lifted_only_with_their_new_consent_and_on_record(clock: FrozenClock) -> None:
    """`/unsuppress` silently deleted a suppression whatever put it there: a manager undid a person's unsubscribe
    (or spam complaint) with one command, leaving no trace of it, and the next campaign wrote to someone who had
    asked to stop (38-FZ art. 18). It is refused now, naming why and since when, unless the manager says the person
    consented again — and every lift is in the audit log, with its reason and never the address."""
    ws, _ = await space("acme")
    await suppress(actor(ws), IVAN, clock, reason=SuppressionReason.UNSUBSCRIBE)
    await suppress(actor(ws), "olga@lead.example", clock, reason=SuppressionReason.COMPLAINT)
    await suppress(actor(ws), "boris@lead.example", clock)  # a manager's own entry
    for address, reason in ((IVAN, "unsubscribe"), ("olga@lead.example", "complaint")):
        with pytest.raises(Conflict) as refused:
            await unsuppress(actor(ws), address.upper(), clock)
        assert refused.value.key == "error-leads-unsuppress-opt-out"
        assert refused.value.params == {"value": address, "reason": reason, "day": NOW.date().isoformat()}
    assert await is_suppressed(ws.id, [IVAN, "olga@lead.example"]) == {IVAN, "olga@lead.example"}
    assert not await AuditLog.filter(action="leads.unsuppress").exists()
    lifted = await unsuppress(actor(ws), IVAN, clock, consent=True)
    assert lifted.created and await is_suppressed(ws.id, [IVAN]) == set()
    await unsuppress(actor(ws), "boris@lead.example", clock)  # a manual entry needs no consent
    entries = await AuditLog.filter(action="leads.unsuppress").order_by("id").values_list("data", flat=True)
    assert entries == [
        {"scope": "workspace", "kind": "address", "reason": "unsubscribe", "consent": True},
        {"scope": "workspace", "kind": "address", "reason": "manual", "consent": False},
    ]
    assert "lead.example" not in json.dumps(entries)


async def test_unsuppressing_a_tagged_address_whose_mailbox_is_closed_names_the_mailbox_entry(
    clock: FrozenClock,
) -> None:
    """An unsubscribe from a letter to ivan+news@ closes ivan@, the whole mailbox. `/unsuppress ivan+news@` then
    answered "is not suppressed", though nothing would ever be sent to it: it now names the entry that closes it."""
    ws, _ = await space("acme")
    local, _, domain = IVAN.partition("@")
    await suppress(actor(ws), IVAN, clock, reason=SuppressionReason.UNSUBSCRIBE)
    with pytest.raises(NotFound) as refused:
        await unsuppress(actor(ws), f"{local}+news@{domain}", clock, consent=True)
    assert (refused.value.key, refused.value.params) == (
        "error-leads-suppression-mailbox",
        {"value": f"{local}+news@{domain}", "mailbox": IVAN},
    )
    with pytest.raises(NotFound) as other:
        await unsuppress(actor(ws), f"olga+news@{domain}", clock)
    assert other.value.key == "error-leads-suppression-not-found"
    assert await is_suppressed(ws.id, [IVAN]) == {IVAN}


async def test_an_unsuppressed_address_still_closed_by_its_domain_or_the_agency_says_so(clock: FrozenClock) -> None:
    """A manager lifted the workspace's entry for an address and read "no longer suppressed" while its domain
    (or the agency's list) still closed it: nothing would ever be sent, and nobody could tell why."""
    ws, _ = await space("acme")
    await suppress(actor(ws), IVAN, clock)
    await suppress(actor(ws), "lead.example", clock)
    await suppress(actor(ws), "olga@other.example", clock)
    await suppress(actor(None, Role.ADMIN), "olga@other.example", clock, everywhere=True)
    await suppress(actor(ws), "boris@free.example", clock)
    assert (await unsuppress(actor(ws), IVAN, clock)).still == "domain"
    assert (await unsuppress(actor(ws), "olga@other.example", clock)).still == "agency"
    assert (await unsuppress(actor(ws), "boris@free.example", clock)).still == ""
    await suppress(actor(None, Role.ADMIN), "free.example", clock, everywhere=True)
    await suppress(actor(ws), "boris@free.example", clock)
    assert (await unsuppress(actor(ws), "boris@free.example", clock)).still == "agency-domain"
    for by, words in (("domain", "its domain is suppressed in this workspace"), ("agency", "agency-wide list")):
        text = translator("en")("leads-unsuppressed-still", value=IVAN, by=by)
        assert text.startswith(IVAN) and words in text, text


async def test_forgetting_a_person_who_replied_keeps_the_campaigns_results(clock: FrozenClock) -> None:
    """/export_campaign counts replies per step from the events: '/forget' of a lead who replied deleted their
    reply, and the file said 0 replies beside /report_campaign's 1 (which DailyStat kept)."""
    ws, box = await space("acme")
    lead, _ = await history(ws, box, IVAN, NOW - dt.timedelta(days=3))
    sent = await OutboundMessage.get(lead=lead, step_position=1)
    await Event.create(workspace=ws, kind=EventKind.SENT, mailbox=box, campaign_id=sent.campaign_id, lead=lead,
                       message=sent, occurred_at=sent.sent_at, data={"kind": "campaign"})  # fmt: skip
    await Event.create(workspace=ws, kind=EventKind.REPLY, mailbox=box, campaign_id=sent.campaign_id, lead=lead,
                       message=sent, occurred_at=NOW, data={"address": IVAN, "incoming_id": "<r2@lead.example>",
                                                            "inbox_mailbox_id": box.id})  # fmt: skip
    before = (await exports.campaign_results(actor(ws), "Q1", clock)).content

    await forget.forget(actor(ws), clock, IVAN, hasher=HASHER)

    assert (await exports.campaign_results(actor(ws), "Q1", clock)).content == before
    assert b";1;1;0;0;" in before  # step 1: sent 1, replies 1
    assert "ivan" not in json.dumps(await Event.filter(workspace=ws).values("data")).lower()

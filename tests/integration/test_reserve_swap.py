"""The reserve pool and domain swaps on real PostgreSQL: readiness from the stored checks, the pool state, the
swap proposal (one approval per burned domain, or the `reserve_empty` alert), and applying an approved swap —
campaign groups, sticky mailboxes, unsent rows — followed by the real campaign planner, which plans the moved
leads' next steps from the replacement's mailboxes and never a step already sent."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from typing import Literal

import pytest

from bot.runner import Runner
from engine import approvals
from engine.access import Actor
from engine.alerts import claim_due, raise_alert
from engine.campaigns.planner import CampaignPlanOptions, plan_campaigns
from engine.clock import FrozenClock
from engine.domains.progress import advance_domains
from engine.domains.protect import protect
from engine.domains.reserve import Proposal, pool_state, propose_swap
from engine.domains.swap import apply_swap, renew_expired
from engine.errors import Conflict
from engine.i18n import translator
from engine.lifecycle import transition_domain
from engine.mailboxes import show_mailbox
from engine.sending.planner import PlanOptions, plan_warmup
from models import (
    Alert,
    AuditLog,
    BlacklistCheck,
    Campaign,
    DnsCheck,
    Domain,
    Enrollment,
    Lead,
    Mailbox,
    Membership,
    OutboundMessage,
    Person,
    Workspace,
)
from models.alert import Approval
from models.enums import (
    AlertStatus,
    ApprovalKind,
    ApprovalStatus,
    DnsRecordKind,
    DnsVerdict,
    DomainStatus,
    EnrollmentState,
    ListingResult,
    MailboxStatus,
    MailProvider,
    MessageKind,
    MessageStatus,
    Platform,
    PoolRole,
    Role,
    Severity,
    TlsMode,
)
from tests.integration.campaign_kit import campaign

pytestmark = pytest.mark.usefixtures("orm")
EN = translator("en")

NOW = dt.datetime(2031, 3, 3, 6, 0, tzinfo=dt.UTC)  # a Monday, 09:00 in Moscow
LONG_AGO = NOW.date() - dt.timedelta(days=100)


async def domain(
    ws: Workspace,
    name: str,
    *,
    boxes: int = 2,
    pool: PoolRole = PoolRole.ACTIVE,
    status: DomainStatus = DomainStatus.ACTIVE,
    box_status: MailboxStatus = MailboxStatus.ACTIVE,
    dns: DnsVerdict | None = DnsVerdict.OK,
    listed: ListingResult | Literal["as-status"] | None = "as-status",
    provider: MailProvider = MailProvider.YANDEX360,
) -> tuple[Domain, list[Mailbox]]:
    if listed == "as-status":  # a cooled domain was cooled by a listing (a clean one has recovered: `_recovered`)
        listed = ListingResult.LISTED if status is DomainStatus.COOLING else ListingResult.CLEAN
    d = await Domain.create(
        workspace=ws, name=name, pool_role=pool, status=status, mail_provider=provider, daily_cap=500
    )
    if dns is not None:
        for record in (DnsRecordKind.MX, DnsRecordKind.SPF, DnsRecordKind.DKIM, DnsRecordKind.DMARC):
            await DnsCheck.create(domain=d, record=record, verdict=DnsVerdict.OK, checked_at=NOW - dt.timedelta(days=2))
            await DnsCheck.create(domain=d, record=record, verdict=dns, checked_at=NOW - dt.timedelta(hours=1))
    if listed is not None:
        await BlacklistCheck.create(domain=d, target=name, zone="dbl.test", result=listed, checked_at=NOW)
    made = []
    for n in range(boxes):
        made.append(
            await Mailbox.create(
                workspace=ws,
                domain=d,
                address=f"out{n}@{name}",
                provider=provider,
                smtp_host="127.0.0.1",
                smtp_port=2525,
                smtp_tls=TlsMode.PLAIN,
                imap_host="127.0.0.1",
                imap_port=1143,
                imap_tls=TlsMode.PLAIN,
                username=f"out{n}@{name}",
                secret_enc=b"x",
                status=box_status,
                daily_cap=40,
                warmup_started_on=LONG_AGO,
                graduated_at=NOW - dt.timedelta(days=60),
            )
        )
    return d, made


async def workspace(slug: str = "acme") -> Workspace:
    return await Workspace.create(slug=slug, name=slug.title(), timezone="Europe/Moscow")


async def admin() -> Actor:
    person = await Person.create(platform=Platform.TELEGRAM, external_id="1", display_name="Ann", is_admin=True)
    return Actor(person.id, Platform.TELEGRAM, Role.ADMIN, None)


# ------------------------------------------------------------------------------------------------- readiness


async def test_only_clean_unlisted_reserves_with_a_graduated_mailbox_are_ready_and_the_pool_counts_them() -> None:
    ws = await workspace()
    await domain(ws, "live1.test")
    await domain(ws, "live2.test")
    await domain(ws, "spare.test", pool=PoolRole.RESERVE)
    await domain(ws, "timeout.test", pool=PoolRole.RESERVE, dns=DnsVerdict.TIMEOUT)  # inconclusive: not ready
    await domain(ws, "listed.test", pool=PoolRole.RESERVE, listed=ListingResult.LISTED)
    await domain(ws, "young.test", pool=PoolRole.RESERVE, box_status=MailboxStatus.WARMING)
    await domain(ws, "unchecked.test", pool=PoolRole.RESERVE, listed=None)
    burned, _ = await domain(ws, "gone.test", status=DomainStatus.BURNED)
    await AuditLog.create(
        workspace_id=ws.id, action="domain.transition", subject=f"domain:{burned.id}",
        data={"from": "cooling", "to": "burned"}, created_at=NOW - dt.timedelta(days=1),
    )  # fmt: skip
    actor = Actor(None, Platform.CONSOLE, Role.MANAGER, ws.id)
    state = await pool_state(actor, FrozenClock(NOW))
    c = state.counts
    assert (c.total, c.active, c.ready, c.warming, c.burned_month) == (8, 2, 1, 4, 1)
    ready = {r.name for r in state.reserves if r.ready}
    assert ready == {"spare.test"}
    why = {r.name: {n.value for n in r.not_ready} for r in state.reserves if not r.ready}
    assert why == {
        "timeout.test": {"dns_unknown"},
        "listed.test": {"listed"},
        "young.test": {"no_graduated"},
        "unchecked.test": {"blacklist_unknown"},
    }
    assert state.shortfall.target == 1 and not state.shortfall.short


async def test_reserve_mailboxes_warm_like_any_other() -> None:
    ws = await workspace()
    for name in ("live.test", "spare.test"):
        await domain(
            ws, name, pool=PoolRole.RESERVE if name == "spare.test" else PoolRole.ACTIVE,
            status=DomainStatus.WARMING, box_status=MailboxStatus.WARMING,
        )  # fmt: skip
    await Mailbox.all().update(warmup_started_on=NOW.date() - dt.timedelta(days=3), graduated_at=None)

    await plan_warmup(FrozenClock(NOW), PlanOptions(seed=1))
    spare = await Mailbox.filter(domain__name="spare.test").values_list("id", flat=True)
    sent_by_spare = await OutboundMessage.filter(mailbox_id__in=list(spare), kind=MessageKind.WARMUP).count()
    assert sent_by_spare > 0


# ------------------------------------------------------------------------------------------------- proposal


async def test_a_proposal_names_the_best_ready_reserve_once_and_is_announced() -> None:
    ws = await workspace()
    burned, old = await domain(ws, "burned.test", status=DomainStatus.COOLING)
    await domain(ws, "small.test", pool=PoolRole.RESERVE, boxes=1)
    big, _ = await domain(ws, "big.test", pool=PoolRole.RESERVE, boxes=3, provider=MailProvider.MAILRU)
    await domain(ws, "other.test", pool=PoolRole.RESERVE, boxes=5, status=DomainStatus.COOLING)  # not sending
    other_ws = await workspace("other")
    await domain(other_ws, "foreign.test", pool=PoolRole.RESERVE, boxes=9)  # another workspace's reserve
    c = await campaign(ws, old, name="Q1")
    clock = FrozenClock(NOW)
    first = await propose_swap(burned.id, clock, reason="blacklisted: dbl.test", detail={"zone": "dbl.test"})
    assert first.outcome is Proposal.PROPOSED and first.replacement_id == big.id
    assert first.payload["campaigns"] == 1 and first.payload["campaign_ids"] == [c.id]
    assert first.payload["mailboxes"] == 2 and first.payload["replacement_mailboxes"] == 3
    again = await asyncio.gather(*(propose_swap(burned.id, clock, reason="again", detail={}) for _ in range(3)))
    assert {r.outcome for r in again} == {Proposal.REUSED} and {r.approval_id for r in again} == {first.approval_id}
    assert await Approval.filter(kind=ApprovalKind.DOMAIN_SWAP).count() == 1
    notes = [n for n in await claim_due(clock) if n.id.startswith("approval:")]
    assert len(notes) == 1 and notes[0].body_key == "approval-domain-swap"
    assert notes[0].params["replacement"] == "big.test"


async def test_without_a_ready_reserve_an_alert_says_what_it_would_take() -> None:
    ws = await workspace()
    burned, _ = await domain(ws, "burned.test", status=DomainStatus.COOLING)
    await domain(ws, "young.test", pool=PoolRole.RESERVE, box_status=MailboxStatus.WARMING)
    await Mailbox.filter(domain__name="young.test").update(warmup_started_on=NOW.date() - dt.timedelta(days=28))
    clock = FrozenClock(NOW)
    result = await propose_swap(burned.id, clock, reason="listed", detail={})
    assert result.outcome is Proposal.RESERVE_EMPTY
    alert = await Alert.get(kind="reserve_empty")
    assert alert.data["warming"] == 1 and alert.data["warming_weeks"] == 2 and alert.data["buy"] == 0
    assert await Approval.all().count() == 0
    await propose_swap(burned.id, clock, reason="listed", detail={})
    assert (await Alert.get(kind="reserve_empty")).count == 2  # one alert, counted up

    await domain(ws, "spare.test", pool=PoolRole.RESERVE)  # a reserve is ready now: the alarm is over
    assert (await propose_swap(burned.id, clock, reason="listed", detail={})).outcome is Proposal.PROPOSED
    assert (await Alert.get(kind="reserve_empty")).status is AlertStatus.RESOLVED


async def test_an_expired_request_gives_way_to_a_fresh_one_and_a_listed_reserve_is_not_on_the_way() -> None:
    ws = await workspace()
    burned, _ = await domain(ws, "burned.test", status=DomainStatus.COOLING)
    await domain(ws, "spare.test", pool=PoolRole.RESERVE)
    clock = FrozenClock(NOW)
    first = await propose_swap(burned.id, clock, reason="listed", detail={})
    clock.set(NOW + dt.timedelta(days=8))
    second = await propose_swap(burned.id, clock, reason="listed", detail={})
    assert second.outcome is Proposal.PROPOSED and second.approval_id != first.approval_id
    assert (await Approval.get(id=first.approval_id)).status is ApprovalStatus.EXPIRED

    other = await workspace("other")
    gone, _ = await domain(other, "gone.test", status=DomainStatus.COOLING)
    await domain(other, "dirty.test", pool=PoolRole.RESERVE, box_status=MailboxStatus.WARMING)
    await BlacklistCheck.create(
        domain=await Domain.get(name="dirty.test"), target="dirty.test", zone="dbl.test",
        result=ListingResult.LISTED, checked_at=NOW + dt.timedelta(days=8),
    )  # fmt: skip
    empty = await propose_swap(gone.id, clock, reason="listed", detail={})
    assert empty.outcome is Proposal.RESERVE_EMPTY
    assert (empty.payload["warming"], empty.payload["buy"]) == (0, 1)  # a listed reserve needs a person first


async def test_an_active_domain_needs_no_swap() -> None:
    ws = await workspace()
    d, _ = await domain(ws, "fine.test")
    await domain(ws, "spare.test", pool=PoolRole.RESERVE)
    assert (await propose_swap(d.id, FrozenClock(NOW), reason="x", detail={})).outcome is Proposal.NOT_NEEDED


# ------------------------------------------------------------------------------------------------- apply


async def sent_step_one(c: Campaign, boxes: Sequence[Mailbox], count: int) -> list[Enrollment]:
    """`count` leads whose step 1 went out yesterday from `boxes` (round-robin); step 2 is due now."""
    out = []
    for n in range(count):
        box = boxes[n % len(boxes)]
        lead = await Lead.create(workspace_id=c.workspace_id, email=f"lead{n}@leads.test")
        mid = f"<s1.{n}@{box.address.split('@')[1]}>"
        e = await Enrollment.create(
            campaign=c, lead=lead, current_step=2, next_due_at=NOW - dt.timedelta(minutes=5), variant=0,
            mailbox_id=box.id, thread_message_id=mid, last_sent_at=NOW - dt.timedelta(days=1),
        )  # fmt: skip
        await OutboundMessage.create(
            kind=MessageKind.CAMPAIGN, workspace_id=c.workspace_id, mailbox_id=box.id, lead_id=lead.id,
            enrollment_id=e.id, campaign_id=c.id, step_position=1, variant=0, message_id=mid,
            status=MessageStatus.SENT, scheduled_at=NOW - dt.timedelta(days=1), sent_at=NOW - dt.timedelta(days=1),
        )  # fmt: skip
        out.append(e)
    return out


async def approved_swap(ws: Workspace, burned: Domain, clock: FrozenClock) -> int:
    result = await propose_swap(burned.id, clock, reason="listed", detail={})
    assert result.approval_id is not None
    actor = await admin()
    await approvals.decide(actor, result.approval_id, True, clock)
    return result.approval_id


async def test_applying_moves_groups_sequences_and_unsent_rows_once_and_the_planner_never_repeats_a_step() -> None:
    ws = await workspace()
    burned, old = await domain(ws, "burned.test", status=DomainStatus.COOLING)
    _, kept = await domain(ws, "keep.test")
    spare, new = await domain(ws, "spare.test", pool=PoolRole.RESERVE, boxes=2)
    by_domain = await campaign(ws, kept, name="ByDomain", steps=((0, False), (1, False), (1, False)))
    await by_domain.domains.add(burned)
    by_box = await campaign(ws, [old[0]], name="ByBox", steps=((0, False), (1, False)))
    moved = await sent_step_one(by_domain, old, 6)
    stay = await sent_step_one_on(by_domain, kept, 2)
    box_leads = await sent_step_one_on(by_box, [old[0]], 2, first=100)
    clock = FrozenClock(NOW)
    # the planner already planned step 2 on the burned mailboxes before the listing (its rows wait unsent)
    for e in [*moved, *box_leads]:
        await OutboundMessage.create(
            kind=MessageKind.CAMPAIGN, workspace_id=ws.id, mailbox_id=e.mailbox_id, lead_id=e.lead_id,
            enrollment_id=e.id, campaign_id=e.campaign_id, step_position=2, variant=0,
            message_id=f"<p2.{e.id}@burned.test>", in_reply_to=e.thread_message_id, references=e.thread_message_id,
            status=MessageStatus.QUEUED if e.id % 2 else MessageStatus.PLANNED, scheduled_at=NOW,
        )  # fmt: skip
    approval_id = await approved_swap(ws, burned, clock)

    report = await apply_swap(approval_id, clock)
    assert (report.moved, report.replanned, report.retired_mailboxes) == (8, 8, 2)
    assert set(report.campaigns) == {"ByDomain", "ByBox"}
    for c in (by_domain, by_box):
        assert set(await c.domains.all().values_list("name", flat=True)) == {"spare.test"}
        assert not set(await c.mailboxes.all().values_list("id", flat=True)) & {b.id for b in old}
    assert set(await by_domain.mailboxes.all().values_list("id", flat=True)) == {b.id for b in kept}
    sticky = [(await Enrollment.get(id=e.id)) for e in [*moved, *box_leads]]
    assert {e.mailbox_id for e in sticky} == {b.id for b in new}  # round-robin over both
    assert all(e.thread_message_id == "" for e in sticky)
    assert [e.mailbox_id for e in sticky[:6]].count(new[0].id) == 3
    for e in stay:  # the others are untouched
        assert (await Enrollment.get(id=e.id)).mailbox_id == e.mailbox_id
    assert not await OutboundMessage.filter(mailbox_id__in=[b.id for b in old], status__in=["planned", "queued"])
    assert (await Domain.get(id=burned.id)).status is DomainStatus.RETIRED
    assert (await Domain.get(id=spare.id)).pool_role is PoolRole.ACTIVE
    assert {b.status for b in await Mailbox.filter(domain_id=burned.id)} == {MailboxStatus.RETIRED}
    approval = await Approval.get(id=approval_id)
    assert approval.status is ApprovalStatus.APPLIED and approval.applied_at == NOW
    transitions = await AuditLog.filter(subject=f"domain:{burned.id}", action="domain.transition").values_list(
        "data", flat=True
    )
    assert [t["to"] for t in transitions] == ["burned", "retired"]
    assert await AuditLog.filter(action="domain.swap").count() == 1

    again = await apply_swap(approval_id, clock)  # the other app's button, a retried job
    assert again.already_applied and again.moved == 8
    assert await AuditLog.filter(action="domain.swap").count() == 1

    await plan_campaigns(clock, CampaignPlanOptions(min_gap_s=1, lead_s=0, seed=3))
    rows = await OutboundMessage.filter(status=MessageStatus.PLANNED).values(
        "enrollment_id", "step_position", "mailbox_id", "in_reply_to", "references"
    )
    moved_ids = {e.id for e in [*moved, *box_leads]}
    planned_moved = [r for r in rows if r["enrollment_id"] in moved_ids]
    assert len(planned_moved) == 8
    for r in planned_moved:
        assert r["step_position"] == 2 and r["mailbox_id"] in {b.id for b in new}
        assert r["in_reply_to"] == "" and r["references"] == ""  # a new thread from the new mailbox
    for e in stay:  # the others keep their thread
        row = next(r for r in rows if r["enrollment_id"] == e.id)
        assert row["in_reply_to"] == e.thread_message_id and row["mailbox_id"] == e.mailbox_id
    steps = await OutboundMessage.filter(kind=MessageKind.CAMPAIGN).values_list("enrollment_id", "step_position")
    assert len(steps) == len(set(steps))  # no lead-step twice
    assert await OutboundMessage.filter(step_position=1).count() == 10  # step 1 never planned again


async def sent_step_one_on(c: Campaign, boxes: Sequence[Mailbox], count: int, *, first: int = 50) -> list[Enrollment]:
    out = []
    for n in range(first, first + count):
        box = boxes[n % len(boxes)]
        lead = await Lead.create(workspace_id=c.workspace_id, email=f"lead{n}@leads.test")
        mid = f"<s1.{n}@{box.address.split('@')[1]}>"
        e = await Enrollment.create(
            campaign=c, lead=lead, current_step=2, next_due_at=NOW - dt.timedelta(minutes=5), variant=0,
            mailbox_id=box.id, thread_message_id=mid, last_sent_at=NOW - dt.timedelta(days=1),
        )  # fmt: skip
        await OutboundMessage.create(
            kind=MessageKind.CAMPAIGN, workspace_id=c.workspace_id, mailbox_id=box.id, lead_id=lead.id,
            enrollment_id=e.id, campaign_id=c.id, step_position=1, variant=0, message_id=mid,
            status=MessageStatus.SENT, scheduled_at=NOW - dt.timedelta(days=1), sent_at=NOW - dt.timedelta(days=1),
        )  # fmt: skip
        out.append(e)
    return out


async def test_apply_needs_an_approved_request_and_a_usable_replacement() -> None:
    ws = await workspace()
    burned, _ = await domain(ws, "burned.test", status=DomainStatus.COOLING)
    spare, _ = await domain(ws, "spare.test", pool=PoolRole.RESERVE)
    clock = FrozenClock(NOW)
    result = await propose_swap(burned.id, clock, reason="listed", detail={})
    assert result.approval_id is not None
    with pytest.raises(Conflict) as pending:
        await apply_swap(result.approval_id, clock)
    assert pending.value.key == "error-swap-not-approved"
    said = translator("ru")(pending.value.key, **pending.value.params)  # the state in the reader's language
    assert "«ждёт решения»" in said and "pending" not in said
    await approvals.decide(await admin(), result.approval_id, True, clock)
    await Domain.filter(id=spare.id).update(status=DomainStatus.COOLING)  # listed meanwhile
    with pytest.raises(Conflict) as unusable:
        await apply_swap(result.approval_id, clock)
    assert unusable.value.key == "error-swap-replacement-unusable"
    assert (await Domain.get(id=burned.id)).status is DomainStatus.COOLING  # nothing half-done
    assert (await Approval.get(id=result.approval_id)).status is ApprovalStatus.APPROVED


async def test_a_swap_that_could_not_be_carried_out_gives_way_and_a_retired_domain_is_not_swapped_again() -> None:
    ws = await workspace()
    burned, _ = await domain(ws, "burned.test", status=DomainStatus.COOLING)
    spare, _ = await domain(ws, "spare.test", pool=PoolRole.RESERVE)
    await domain(ws, "second.test", pool=PoolRole.RESERVE, boxes=1)
    clock = FrozenClock(NOW)
    approval_id = await approved_swap(ws, burned, clock)
    await Domain.filter(id=spare.id).update(status=DomainStatus.COOLING)  # listed before it could take over
    with pytest.raises(Conflict):
        await apply_swap(approval_id, clock)
    assert (await propose_swap(burned.id, clock, reason="again", detail={})).outcome is Proposal.REUSED  # in flight
    clock.set(NOW + dt.timedelta(minutes=11))
    fresh = await propose_swap(burned.id, clock, reason="again", detail={})
    assert fresh.outcome is Proposal.PROPOSED and fresh.payload["replacement"] == "second.test"
    assert fresh.approval_id is not None
    await approvals.decide(await admin2(), fresh.approval_id, True, clock)
    report = await apply_swap(fresh.approval_id, clock)
    assert report.replacement == "second.test"
    with pytest.raises(Conflict) as retired:
        await apply_swap(approval_id, clock)
    assert retired.value.key == "error-swap-domain-retired"


@pytest.mark.parametrize(
    ("problem", "reason"),
    [("listed", "listed"), ("dns", "dns_bad"), ("dns_unknown", None)],
)
async def test_a_replacement_listed_or_with_bad_dns_since_the_proposal_takes_over_nothing(
    problem: str, reason: str | None
) -> None:
    ws = await workspace()
    burned, old = await domain(ws, "burned.test", status=DomainStatus.COOLING)
    spare, _ = await domain(ws, "spare.test", pool=PoolRole.RESERVE)
    c = await campaign(ws, old, name="Q1")
    clock = FrozenClock(NOW)
    approval_id = await approved_swap(ws, burned, clock)
    later = NOW + dt.timedelta(minutes=1)  # the reserve still sends (its state machine has not moved yet)
    if problem == "listed":
        await BlacklistCheck.create(
            domain=spare, target="spare.test", zone="dbl.test", result=ListingResult.LISTED, checked_at=later
        )
    else:
        verdict = DnsVerdict.MISSING if problem == "dns" else DnsVerdict.TIMEOUT
        await DnsCheck.create(domain=spare, record=DnsRecordKind.DKIM, verdict=verdict, checked_at=later)
    clock.set(later)
    if reason is None:  # a lookup that got no answer is not a wrong record: the approved swap goes ahead
        assert (await apply_swap(approval_id, clock)).replacement == "spare.test"
        return
    with pytest.raises(Conflict) as unusable:
        await apply_swap(approval_id, clock)
    assert unusable.value.key == "error-swap-replacement-unusable"
    assert unusable.value.params == {"domain": "spare.test", "reason": reason}
    assert (await Domain.get(id=burned.id)).status is DomainStatus.COOLING  # nothing moved onto a bad domain
    assert set(await c.domains.all().values_list("name", flat=True)) == set()
    assert (await Domain.get(id=spare.id)).pool_role is PoolRole.RESERVE


async def test_a_listed_reserve_domain_is_cooled_but_not_swapped_for_another_reserve() -> None:
    ws = await workspace()
    await domain(ws, "busy.test")
    listed, _ = await domain(ws, "spare.test", pool=PoolRole.RESERVE, status=DomainStatus.COOLING)
    await domain(ws, "second.test", pool=PoolRole.RESERVE)
    clock = FrozenClock(NOW)
    result = await propose_swap(listed.id, clock, reason="blacklisted", detail={})
    assert result.outcome is Proposal.SPARE  # no campaign sends from it: nothing to replace
    assert await Approval.all().count() == 0
    await Domain.filter(name="second.test").update(status=DomainStatus.COOLING)  # no other ready reserve either
    empty = await propose_swap(listed.id, clock, reason="blacklisted", detail={})
    assert empty.outcome is Proposal.SPARE
    assert await Alert.filter(kind="reserve_empty").count() == 0  # no "needs replacing" alarm for a spare


async def admin2() -> Actor:
    person = await Person.create(platform=Platform.SLACK, external_id="U2", display_name="Bo", is_admin=True)
    return Actor(person.id, Platform.SLACK, Role.ADMIN, None)


async def test_two_applications_at_once_apply_once() -> None:
    ws = await workspace()
    burned, old = await domain(ws, "burned.test", status=DomainStatus.COOLING)
    await domain(ws, "spare.test", pool=PoolRole.RESERVE)
    c = await campaign(ws, old, name="Q1")
    await sent_step_one(c, old, 4)
    clock = FrozenClock(NOW)
    approval_id = await approved_swap(ws, burned, clock)
    reports = await asyncio.gather(apply_swap(approval_id, clock), apply_swap(approval_id, clock))
    assert sorted(r.already_applied for r in reports) == [False, True]
    assert await AuditLog.filter(action="domain.swap").count() == 1
    assert await Enrollment.filter(state=EnrollmentState.ACTIVE, mailbox_id__in=[b.id for b in old]).count() == 0


async def test_domains_follow_their_mailboxes_to_warming_and_active_and_a_reserve_added_new_becomes_ready() -> None:
    """Added in chat a domain is `new`: nothing but its mailboxes moves it on (`engine.domains.progress`)."""
    ws = await workspace()
    await domain(ws, "live1.test")
    fresh, boxes = await domain(ws, "fresh.test", pool=PoolRole.RESERVE, status=DomainStatus.NEW,
                                box_status=MailboxStatus.WARMING)  # fmt: skip
    idle, _ = await domain(ws, "idle.test", status=DomainStatus.DNS_PENDING, box_status=MailboxStatus.NEW)
    await Mailbox.filter(domain_id=idle.id).update(warmup_started_on=None, graduated_at=None)
    cooling, _ = await domain(ws, "cool.test", status=DomainStatus.COOLING)
    actor = Actor(None, Platform.CONSOLE, Role.MANAGER, ws.id)
    clock = FrozenClock(NOW)

    assert await advance_domains(clock) == 1  # its mailboxes warm up: it sends
    assert (await Domain.get(id=fresh.id)).status is DomainStatus.WARMING
    steps = await AuditLog.filter(action="domain.transition", subject=f"domain:{fresh.id}").order_by("id")
    assert [(s.data["from"], s.data["to"]) for s in steps] == [("new", "dns_pending"), ("dns_pending", "warming")]
    assert not {r.name for r in (await pool_state(actor, clock)).reserves if r.ready}

    await Mailbox.filter(id=boxes[0].id).update(status=MailboxStatus.ACTIVE)  # graduated
    assert await advance_domains(clock) == 1
    assert (await Domain.get(id=fresh.id)).status is DomainStatus.ACTIVE
    assert {r.name for r in (await pool_state(actor, clock)).reserves if r.ready} == {"fresh.test"}
    # a domain whose mailboxes have not started stays where it is; a cooling one is protection's, not this
    assert (await Domain.get(id=idle.id)).status is DomainStatus.DNS_PENDING
    assert (await Domain.get(id=cooling.id)).status is DomainStatus.COOLING
    assert await advance_domains(clock) == 0


async def test_approving_a_swap_whose_reserve_was_listed_since_asks_again_with_the_next_reserve() -> None:
    ws = await workspace()
    burned, old = await domain(ws, "burned.test", status=DomainStatus.COOLING)
    spare, _ = await domain(ws, "spare.test", pool=PoolRole.RESERVE, boxes=3)
    await domain(ws, "second.test", pool=PoolRole.RESERVE, boxes=1)
    c = await campaign(ws, old, name="Q1")
    clock = FrozenClock(NOW)
    first = await propose_swap(burned.id, clock, reason="blacklisted: dbl.test", detail={"zone": "dbl.test"})
    assert first.replacement_id == spare.id and first.approval_id is not None
    clock.set(NOW + dt.timedelta(days=1))
    await BlacklistCheck.create(
        domain=spare, target="spare.test", zone="dbl.test", result=ListingResult.LISTED, checked_at=clock.now()
    )  # listed after the proposal; its state machine has not cooled it yet
    runner = Runner(clock, admins={Platform.TELEGRAM: {"1"}})
    anna = runner.identity(Platform.TELEGRAM, "1", "anna", "en")

    pressed = await runner.run_line(anna, "c1", f"/approve {first.approval_id}")
    assert pressed.ok
    text = pressed.plain_text()
    assert EN("swap-stale", id=first.approval_id, replacement="spare.test", reason="listed") in text
    assert (await Approval.get(id=first.approval_id)).status is ApprovalStatus.EXPIRED
    fresh = await Approval.get(kind=ApprovalKind.DOMAIN_SWAP, status=ApprovalStatus.PENDING)
    assert fresh.payload["replacement"] == "second.test" and fresh.payload["reason"] == "blacklisted: dbl.test"
    assert [b.arg for b in pressed.buttons[0]] == [str(fresh.id), str(fresh.id)]  # the new request's buttons
    assert (await Domain.get(id=burned.id)).status is DomainStatus.COOLING  # nothing moved onto the listed one

    again = await runner.run_line(anna, "c1", f"/approve {first.approval_id}")  # the old button, pressed late
    assert not again.ok and "expired" in again.plain_text()
    done = await runner.run_line(anna, "c1", f"/approve {fresh.id}")
    assert done.ok and "second.test" in done.plain_text()
    assert set(await c.domains.all().values_list("name", flat=True)) == {"second.test"}


async def test_swap_by_hand_of_a_cooled_spare_says_it_needs_no_replacement() -> None:
    ws = await workspace()
    await domain(ws, "spare.test", pool=PoolRole.RESERVE, status=DomainStatus.COOLING)
    await domain(ws, "second.test", pool=PoolRole.RESERVE)
    runner = Runner(FrozenClock(NOW), admins={Platform.TELEGRAM: {"1"}})
    anna = runner.identity(Platform.TELEGRAM, "1", "anna", "ru")
    await runner.run_line(anna, "c1", "/use acme")
    reply = await runner.run_line(anna, "c1", "/swap spare.test")
    assert reply.plain_text() == translator("ru")("swap-not-needed-reserve", domain="spare.test")
    assert not reply.buttons and await Approval.all().count() == 0


async def test_approvals_are_listed_on_the_clock_of_each_requests_workspace() -> None:
    """The agency admin read 'asked 2031-03-03 06:00 UTC' for requests of a Vladivostok workspace (16:00 there) and
    of a Moscow one (09:00 there): each request is shown on its own workspace's clock, that zone named."""
    vvo = await Workspace.create(slug="vvo", name="Vvo", timezone="Asia/Vladivostok")
    msk = await workspace()
    clock = FrozenClock(NOW)
    for ws in (vvo, msk):
        burned, _ = await domain(ws, f"burned-{ws.slug}.test", status=DomainStatus.COOLING)
        await domain(ws, f"spare-{ws.slug}.test", pool=PoolRole.RESERVE)
        assert (await propose_swap(burned.id, clock, reason="listed", detail={})).outcome is Proposal.PROPOSED
    runner = Runner(clock, admins={Platform.TELEGRAM: {"1"}})
    reply = await runner.run_line(runner.identity(Platform.TELEGRAM, "1", "anna", "en"), "c1", "/approvals")
    text = reply.plain_text()
    for ws, local, name in ((vvo, 10, "+10"), (msk, 3, "MSK")):
        asked = await Approval.get(workspace_id=ws.id)
        expires = (asked.expires_at + dt.timedelta(hours=local)).strftime("%Y-%m-%d %H:%M")
        assert f"burned-{ws.slug}.test · asked {(NOW + dt.timedelta(hours=local)):%Y-%m-%d %H:%M} {name}, " in text
        assert f"expires {expires} {name}" in text, text
    assert "UTC" not in text


async def test_a_swap_settles_the_alerts_of_the_retired_domain_and_its_mailboxes_without_calling_them_cleared() -> None:
    """The alerts of a swapped-out domain (its listing) and of its mailboxes (a cooldown, a volume cut) stayed open
    for good: a retired domain is no longer checked and a retired mailbox no longer watched, so nothing could ever
    resolve them, and /alerts listed them forever. Applying the swap settles them — without a "no longer seen"
    announcement (the domain is still listed: the swap's own message says what became of it)."""
    ws = await workspace()
    burned, old = await domain(ws, "burned.test", status=DomainStatus.COOLING)
    await domain(ws, "spare.test", pool=PoolRole.RESERVE)
    _, live_boxes = await domain(ws, "live.test")
    clock = FrozenClock(NOW)
    raised = [
        ("blacklist_listed", f"domain:{burned.id}", "dbl.test"),
        ("volume_cut", f"domain:{burned.id}", "block_rate"),
        ("mailbox_cooldown", f"mailbox:{old[0].id}", "hard_bounce"),
        ("volume_cut", f"mailbox:{live_boxes[0].id}", "block_rate"),  # another domain's: it stays
    ]
    for kind, subject, key in raised:
        await raise_alert(
            workspace_id=ws.id, kind=kind, severity=Severity.WARNING, subject=subject, key=key, data={}, now=NOW
        )
    result = await propose_swap(burned.id, clock, reason="blacklisted", detail={})
    assert result.approval_id is not None
    assert len(await claim_due(clock)) == 5  # the four alerts and the request were announced

    clock.advance(dt.timedelta(hours=2))
    await approvals.decide(await admin(), result.approval_id, True, clock)
    await apply_swap(result.approval_id, clock)
    still = await Alert.exclude(status=AlertStatus.RESOLVED).values_list("subject", flat=True)
    assert still == [f"mailbox:{live_boxes[0].id}"]
    assert [n.id for n in await claim_due(clock)] == []  # settled, not announced as "no longer seen"


async def test_a_reserve_listed_and_cooled_by_the_check_is_named_listed_when_the_old_request_is_approved() -> None:
    """The DNSBL check that lists a reserve also cools it (`protect`). Approving a swap request that named it then
    said the reserve "is not sending or has no graduated mailbox" — its cooling was read before its listing — when
    the reason a person must act on is the listing."""
    ws = await workspace()
    burned, old = await domain(ws, "burned.test", status=DomainStatus.COOLING)
    spare, _ = await domain(ws, "spare.test", pool=PoolRole.RESERVE, boxes=3)
    await domain(ws, "second.test", pool=PoolRole.RESERVE, boxes=1)
    await campaign(ws, old, name="Q1")
    clock = FrozenClock(NOW)
    first = await propose_swap(burned.id, clock, reason="blacklisted: dbl.test", detail={})
    assert first.replacement_id == spare.id
    clock.set(NOW + dt.timedelta(days=1))
    await BlacklistCheck.create(
        domain=spare, target="spare.test", zone="dbl.test", result=ListingResult.LISTED, checked_at=clock.now()
    )
    system = Actor(None, Platform.CONSOLE, Role.ADMIN, None)
    await protect(spare, clock, system, reason="blacklisted: dbl.test", cause="blacklisted", detail={})
    assert (await Domain.get(id=spare.id)).status is DomainStatus.COOLING
    runner = Runner(clock, admins={Platform.TELEGRAM: {"1"}})
    anna = runner.identity(Platform.TELEGRAM, "1", "anna", "en")
    pressed = await runner.run_line(anna, "c1", f"/approve {first.approval_id}")
    assert EN("swap-stale", id=first.approval_id, replacement="spare.test", reason="listed") in pressed.plain_text()


async def test_an_approved_swap_whose_application_was_cut_short_is_carried_out_by_pressing_approve_again() -> None:
    """The decision commits on its own, then the swap is applied: a crash or a lost connection in between left the
    request approved and nothing moved, and pressing Approve again only said it "was already approved" — the
    burned domain's campaigns stayed on it with no way to carry the swap out. Pressing again carries it out,
    once."""
    ws = await workspace()
    burned, old = await domain(ws, "burned.test", status=DomainStatus.COOLING)
    await domain(ws, "spare.test", pool=PoolRole.RESERVE)
    c = await campaign(ws, old, name="Q1")
    clock = FrozenClock(NOW)
    result = await propose_swap(burned.id, clock, reason="blacklisted", detail={})
    assert result.approval_id is not None
    runner = Runner(clock, admins={Platform.TELEGRAM: {"1"}})
    anna = runner.identity(Platform.TELEGRAM, "1", "anna", "en")
    await runner.run_line(anna, "c1", "/use acme")
    person = await Person.get(external_id="1")
    actor = Actor(person.id, Platform.TELEGRAM, Role.ADMIN, ws.id)
    await approvals.decide(actor, result.approval_id, True, clock)  # ... and the process died before applying
    assert (await Domain.get(id=burned.id)).status is DomainStatus.COOLING

    clock.advance(dt.timedelta(minutes=3))
    again = await runner.run_line(anna, "c1", f"/approve {result.approval_id}")
    assert again.ok, again.plain_text()
    assert (await Domain.get(id=burned.id)).status is DomainStatus.RETIRED
    assert set(await c.domains.all().values_list("name", flat=True)) == {"spare.test"}
    assert (await Approval.get(id=result.approval_id)).status is ApprovalStatus.APPLIED
    twice = await runner.run_line(anna, "c1", f"/approve {result.approval_id}")  # carried out: once
    assert not twice.ok and await AuditLog.filter(action="domain.swap").count() == 1


async def test_a_swap_request_nobody_answered_is_asked_again_while_the_domain_needs_it() -> None:
    """A request left unanswered until it expired used to end the question: the burned domain stayed cooled and
    its campaigns held, with no new request and no word in any chat. The sweep expires it and asks again, saying
    which request it renews; a request decided in time, one not expired yet, a domain that recovered, and other
    kinds of request are not asked again."""
    ws = await workspace()
    burned, _ = await domain(ws, "burned.test", status=DomainStatus.COOLING)
    healed, _ = await domain(ws, "healed.test", status=DomainStatus.COOLING)
    decided, _ = await domain(ws, "decided.test", status=DomainStatus.COOLING)
    await domain(ws, "spare.test", pool=PoolRole.RESERVE)
    for name in ("spare2.test", "spare3.test"):  # a reserve for each request: one is never offered twice
        await domain(ws, name, pool=PoolRole.RESERVE, boxes=1)
    clock = FrozenClock(NOW)
    first = await propose_swap(burned.id, clock, reason="blacklisted: dbl.test", detail={"zone": "dbl.test"})
    other = await propose_swap(healed.id, clock, reason="dns_drift", detail={})
    kept = await propose_swap(decided.id, clock, reason="dns_drift", detail={})
    dmarc = await approvals.request(ws.id, ApprovalKind.DMARC_STEP, "dmarc:x", {"domain": "x"}, clock=clock)
    assert first.approval_id and other.approval_id and kept.approval_id and dmarc is not None
    await claim_due(clock)  # all announced
    person = await Person.create(platform=Platform.TELEGRAM, external_id="7", display_name="Max", is_admin=True)
    await approvals.decide(Actor(person.id, Platform.TELEGRAM, Role.ADMIN, None), kept.approval_id, False, clock)
    await Domain.filter(id=healed.id).update(status=DomainStatus.ACTIVE)  # resumed by a person meanwhile

    clock.set(NOW + dt.timedelta(days=2))
    assert await renew_expired(clock) == []  # nothing has expired yet (a DMARC step stands 3 days, a swap 7)
    clock.set(NOW + dt.timedelta(days=8))
    expired = await renew_expired(clock)
    assert sorted(expired) == sorted([first.approval_id, other.approval_id, dmarc.id])
    for approval_id in expired:
        assert (await Approval.get(id=approval_id)).status is ApprovalStatus.EXPIRED
        assert await AuditLog.filter(action="approval.transition", subject=f"approval:{approval_id}").exists()
    assert (await Approval.get(id=kept.approval_id)).status is ApprovalStatus.REJECTED
    fresh = await Approval.filter(status=ApprovalStatus.PENDING)
    assert [(a.subject, a.payload["renews"], a.payload["reason"]) for a in fresh] == [
        (f"domain:{burned.id}", first.approval_id, "blacklisted: dbl.test")
    ]
    [note] = [n for n in await claim_due(clock) if n.id.startswith("approval:")]
    text = EN(note.body_key, **note.params)
    assert "spare.test" in text and f"request #{first.approval_id}" in text
    assert await renew_expired(clock) == []  # the new one stands: asked once


async def test_an_expired_request_whose_renewal_fails_stays_pending_for_the_next_sweep() -> None:
    ws = await workspace()
    burned, _ = await domain(ws, "burned.test", status=DomainStatus.COOLING)
    await domain(ws, "spare.test", pool=PoolRole.RESERVE)
    clock = FrozenClock(NOW)
    first = await propose_swap(burned.id, clock, reason="listed", detail={})
    clock.set(NOW + dt.timedelta(days=8))

    async def broken(approval: Approval) -> None:
        raise RuntimeError("the reserve lookup failed")

    assert await approvals.expire_due(clock, then=broken) == []
    assert (await Approval.get(id=first.approval_id)).status is ApprovalStatus.PENDING
    assert not await AuditLog.filter(action="approval.transition").exists()
    assert await renew_expired(clock) == [first.approval_id]


async def test_a_manager_of_two_workspaces_sees_the_requests_of_both_each_named() -> None:
    """A manager of two clients read only the requests of their current workspace in /approvals, though the
    alerts of both ask them to decide (and they may): the list holds every workspace they manage, each line
    naming its workspace, and nothing of a workspace they only read or do not belong to."""
    spaces = [await workspace(slug) for slug in ("acme", "beta", "gamma", "delta")]
    for ws in spaces:
        burned, _ = await domain(ws, f"burned-{ws.slug}.test", status=DomainStatus.COOLING)
        await domain(ws, f"spare-{ws.slug}.test", pool=PoolRole.RESERVE)
        await propose_swap(burned.id, FrozenClock(NOW), reason="listed", detail={})
    person = await Person.create(platform=Platform.TELEGRAM, external_id="5", display_name="Max")
    acme, beta, gamma, _ = spaces
    await Membership.create(person=person, workspace=acme, role=Role.MANAGER)
    await Membership.create(person=person, workspace=beta, role=Role.MANAGER)
    await Membership.create(person=person, workspace=gamma, role=Role.CLIENT)
    await Person.filter(id=person.id).update(current_workspace_id=acme.id)
    runner = Runner(FrozenClock(NOW + dt.timedelta(hours=1)))
    max_ = runner.identity(Platform.TELEGRAM, "5", "max", "en")
    text = (await runner.run_line(max_, "c5", "/approvals")).plain_text()
    assert "Waiting for a decision: 2" in text, text
    assert "acme · #" in text and "burned-acme.test" in text and "beta · #" in text and "burned-beta.test" in text
    assert "gamma" not in text and "delta" not in text

    await Membership.filter(person=person, workspace=beta).delete()  # one workspace: no name needed
    text = (await runner.run_line(max_, "c5", "/approvals")).plain_text()
    assert "burned-acme.test" in text and "acme · #" not in text and "beta" not in text


async def test_a_press_on_a_swap_request_expired_before_the_sweep_asks_again_and_does_not_end_the_question() -> None:
    """A press on a swap request that expired minutes before the 15-minute sweep used to mark it expired on the
    spot, without what the sweep does with it: no new request was ever asked, the burned domain stayed cooled and
    its campaigns held, and the presser read only "expired". The press now expires it as the sweep does
    (audited) and shows the request that asks again, with its buttons."""
    ws = await workspace()
    burned, old = await domain(ws, "burned.test", status=DomainStatus.COOLING)
    await domain(ws, "spare.test", pool=PoolRole.RESERVE)
    await campaign(ws, old, name="Q1")
    clock = FrozenClock(NOW)
    first = await propose_swap(burned.id, clock, reason="blacklisted: dbl.test", detail={"zone": "dbl.test"})
    assert first.approval_id is not None
    clock.set(NOW + dt.timedelta(days=7, minutes=5))  # expired; the sweep has not run yet
    runner = Runner(clock, admins={Platform.TELEGRAM: {"1"}})
    anna = runner.identity(Platform.TELEGRAM, "1", "anna", "en")

    pressed = await runner.run_line(anna, "c1", f"/approve {first.approval_id}")
    text = pressed.plain_text()
    assert EN("error-approval-expired", id=first.approval_id) in text
    assert (await Approval.get(id=first.approval_id)).status is ApprovalStatus.EXPIRED
    assert await AuditLog.filter(action="approval.transition", subject=f"approval:{first.approval_id}").exists()
    fresh = await Approval.get(kind=ApprovalKind.DOMAIN_SWAP, status=ApprovalStatus.PENDING)
    assert fresh.payload["renews"] == first.approval_id and fresh.payload["replacement"] == "spare.test"
    assert f"request #{first.approval_id}" in text and EN("swap-proposed", id=fresh.id) in text
    assert [b.arg for b in pressed.buttons[0]] == [str(fresh.id), str(fresh.id)]
    assert await renew_expired(clock) == []  # asked once
    assert (await Domain.get(id=burned.id)).status is DomainStatus.COOLING  # nothing moved on the old press

    late = await runner.run_line(anna, "c1", f"/reject {first.approval_id}")  # the old button again
    assert not late.ok and EN("error-approval-expired", id=first.approval_id) in late.plain_text()
    assert await Approval.filter(status=ApprovalStatus.PENDING).count() == 1


async def test_a_press_on_an_expired_request_whose_domain_recovered_only_says_it_expired() -> None:
    ws = await workspace()
    burned, _ = await domain(ws, "burned.test", status=DomainStatus.COOLING)
    await domain(ws, "spare.test", pool=PoolRole.RESERVE)
    clock = FrozenClock(NOW)
    first = await propose_swap(burned.id, clock, reason="dns_drift", detail={})
    await Domain.filter(id=burned.id).update(status=DomainStatus.ACTIVE)  # resumed by a person meanwhile
    clock.set(NOW + dt.timedelta(days=7, minutes=5))
    runner = Runner(clock, admins={Platform.TELEGRAM: {"1"}})
    anna = runner.identity(Platform.TELEGRAM, "1", "anna", "en")

    pressed = await runner.run_line(anna, "c1", f"/approve {first.approval_id}")
    assert not pressed.ok and EN("error-approval-expired", id=first.approval_id) in pressed.plain_text()
    assert (await Approval.get(id=first.approval_id)).status is ApprovalStatus.EXPIRED
    assert not await Approval.filter(status=ApprovalStatus.PENDING).exists()


async def test_burned_this_month_is_the_month_of_each_workspaces_clock() -> None:
    """/reserve and /chart pool count the domains burned "this month": the month began at midnight UTC, so on
    the 1st in Vladivostok (UTC+10) until 10:00 a domain burned the evening before, last month, was counted,
    and in a workspace west of UTC one burned on its 1st was not yet. Each workspace's month now."""
    east = await Workspace.create(slug="east", name="East", timezone="Asia/Vladivostok")
    west = await Workspace.create(slug="west", name="West", timezone="America/Sao_Paulo")  # UTC−3, no DST
    now = dt.datetime(2031, 11, 30, 20, 0, tzinfo=dt.UTC)  # Dec 1 06:00 in Vladivostok; Nov 30 17:00 in São Paulo

    async def burned(ws: Workspace, name: str, at: dt.datetime) -> None:
        d, _ = await domain(ws, name, status=DomainStatus.BURNED, boxes=0)
        await AuditLog.create(
            workspace_id=ws.id, action="domain.transition", subject=f"domain:{d.id}",
            data={"from": "cooling", "to": "burned"}, created_at=at,
        )  # fmt: skip

    await burned(east, "last-month.test", dt.datetime(2031, 11, 30, 10, 0, tzinfo=dt.UTC))  # Nov 30 20:00 local
    await burned(east, "this-month.test", dt.datetime(2031, 11, 30, 15, 0, tzinfo=dt.UTC))  # Dec 1 01:00 local
    await burned(west, "west-old.test", dt.datetime(2031, 11, 1, 1, 0, tzinfo=dt.UTC))  # Oct 31 22:00 local
    await burned(west, "west-new.test", dt.datetime(2031, 11, 1, 4, 0, tzinfo=dt.UTC))  # Nov 1 01:00 local
    clock = FrozenClock(now)
    for ws in (east, west):
        state = await pool_state(Actor(None, Platform.CONSOLE, Role.MANAGER, ws.id), clock)
        assert state.counts.burned_month == 1, ws.slug
    agency = await pool_state(await admin(), clock, agency=True)
    assert {ws: c.burned_month for ws, c in agency.per_workspace.items()} == {east.id: 1, west.id: 1}


async def test_weeks_until_ready_follow_the_workspaces_warmup_period_not_the_mailboxes_unused_column() -> None:
    """The gate graduates after the workspace's `warmup.weeks`; /reserve read `Mailbox.warmup_weeks` (6 by
    default, used by nothing else) for a warming reserve and 6 weeks for a domain to buy, and the mailbox card
    showed it: a workspace warming 4 weeks was told 7 weeks for a new domain while /capacity said 4 weeks."""
    ws = await workspace()
    ws.settings = {"warmup": {"weeks": 4}}
    await ws.save()
    await domain(ws, "live.test")
    _, boxes = await domain(ws, "young.test", pool=PoolRole.RESERVE, box_status=MailboxStatus.WARMING)
    await Mailbox.filter(domain__name="young.test").update(warmup_started_on=NOW.date() - dt.timedelta(days=14))
    actor = Actor(None, Platform.CONSOLE, Role.MANAGER, ws.id)
    state = await pool_state(actor, FrozenClock(NOW))
    [young] = state.reserves
    assert young.weeks_left == 2  # 4 weeks from 14 days ago, not 6
    assert state.shortfall.short and state.shortfall.buy_weeks == 1 + 4
    details = await show_mailbox(actor, boxes[0].address, clock=FrozenClock(NOW))
    assert details.warmup_weeks == 4


async def test_the_agencys_shortfall_is_the_sum_of_its_workspaces_a_reserve_serves_only_its_own() -> None:
    """A ready reserve of one workspace never stands in for another's domain (a swap takes the same workspace's):
    two spare reserves in one workspace hid the other's empty reserve from /reserve all."""
    rich, poor = await workspace("rich"), await workspace("poor")
    await domain(rich, "rich-live.test")
    await domain(rich, "rich-spare1.test", pool=PoolRole.RESERVE)
    await domain(rich, "rich-spare2.test", pool=PoolRole.RESERVE)
    await domain(poor, "poor-live.test")
    poor.settings = {"reserve_target": 2}
    await poor.save()
    agency = await pool_state(await admin(), FrozenClock(NOW), agency=True)
    s = agency.shortfall
    assert (s.target, s.missing, s.buy) == (1 + 2, 2, 2)


async def test_reserve_of_a_workspace_without_domains_says_there_are_none_not_that_it_is_enough() -> None:
    """A new workspace, no domain yet: /reserve answered "Of 0 domains: 0 active, … The reserve is enough: 0 ready
    of 0 wanted." It now says there are no domains and how to add them; a pool with one says what it lacks."""
    clock = FrozenClock(NOW)
    runner = Runner(clock, admins={Platform.TELEGRAM: {"1"}})
    for locale in ("ru", "en"):
        me = runner.identity(Platform.TELEGRAM, "1", "admin", locale)
        if locale == "ru":
            await runner.run_line(me, "c1", "/workspace_new fresh Fresh")
        t = translator(locale)
        said = (await runner.run_line(me, "c1", "/reserve")).plain_text()
        assert t("reserve-no-domains") in said and "/domain_add" in said, said
        assert t("reserve-enough", ready=0, target=0) not in said
    await Domain.create(workspace=await Workspace.get(slug="fresh"), name="one.test", status=DomainStatus.ACTIVE)
    said = (await runner.run_line(me, "c1", "/reserve")).plain_text()
    assert EN("reserve-no-domains") not in said and EN("reserve-short", missing=1, target=1) in said


async def test_a_swap_in_a_workspace_the_spike_paused_offers_to_resume_it_there_and_only_there() -> None:
    """The blocks of a burned domain pause the whole workspace (an error spike); approving its swap said the domain
    was replaced and nothing else, so the client's sending stayed at 0 for days until someone thought of
    /sending_resume. The reply now says sending is still paused, with a button that resumes that workspace (named
    by its slug: the presser's current workspace may be another). A manager of another workspace cannot resume it."""
    acme, rival = await workspace("acme"), await workspace("rival")
    burned, old = await domain(acme, "burned.test", status=DomainStatus.COOLING)
    await domain(acme, "spare.test", pool=PoolRole.RESERVE)
    await campaign(acme, old, name="Q1")
    await Workspace.filter(id=acme.id).update(settings={"sending_paused": True, "sending_paused_reason": "spike"})
    clock = FrozenClock(NOW)
    result = await propose_swap(burned.id, clock, reason="blacklisted", detail={})
    max_, eve = [await Person.create(platform=Platform.TELEGRAM, external_id=n, display_name=n) for n in ("5", "6")]
    await Membership.create(person=max_, workspace=acme, role=Role.MANAGER)
    await Membership.create(person=eve, workspace=rival, role=Role.MANAGER)
    await Person.filter(id=max_.id).update(current_workspace_id=acme.id)
    await Person.filter(id=eve.id).update(current_workspace_id=rival.id)
    runner = Runner(clock)
    manager, other = (
        runner.identity(Platform.TELEGRAM, "5", "max", "en"),
        runner.identity(Platform.TELEGRAM, "6", "eve", "en"),
    )

    pressed = await runner.run_line(manager, "c5", f"/approve {result.approval_id}")
    assert pressed.ok and EN("swap-sending-paused", workspace="Acme") in pressed.plain_text(), pressed.plain_text()
    [[button]] = pressed.buttons
    assert (button.command, button.arg) == ("sending_resume", "acme")

    refused = await runner.run_line(other, "c6", "/sending_resume acme")
    assert not refused.ok and EN("error-workspace-not-found", slug="acme") in refused.plain_text()
    assert (await Workspace.get(id=acme.id)).settings.get("sending_paused") is True

    resumed = await runner.run_line(manager, "c5", "/sending_resume acme")
    assert resumed.ok and EN("sending-resumed") in resumed.plain_text()
    assert "sending_paused" not in (await Workspace.get(id=acme.id)).settings
    again = await runner.run_line(manager, "c5", "/sending_resume acme")  # the button pressed twice
    assert not again.ok and EN("sending-not-paused") in again.plain_text()


async def test_a_swap_in_a_workspace_that_sends_says_nothing_of_resuming() -> None:
    ws = await workspace()
    burned, old = await domain(ws, "burned.test", status=DomainStatus.COOLING)
    await domain(ws, "spare.test", pool=PoolRole.RESERVE)
    await campaign(ws, old, name="Q1")
    clock = FrozenClock(NOW)
    result = await propose_swap(burned.id, clock, reason="blacklisted", detail={})
    runner = Runner(clock, admins={Platform.TELEGRAM: {"1"}})
    anna = runner.identity(Platform.TELEGRAM, "1", "anna", "en")
    await runner.run_line(anna, "c1", "/use acme")
    pressed = await runner.run_line(anna, "c1", f"/approve {result.approval_id}")
    assert pressed.ok and "paused" not in pressed.plain_text() and not pressed.buttons


async def test_a_reserve_taken_by_one_swap_is_not_given_to_another() -> None:
    """Two domains listed in the same check, one ready reserve: both requests named it, and approving the second
    after the first moved the second domain's campaigns onto the domain the first swap had just put to work (no
    longer a reserve), as if it were still spare. A reserve another standing request names is not offered again
    (the alert says where it went), and a request whose reserve was taken since is refused and asked again."""
    ws = await workspace()
    first_burned, first_boxes = await domain(ws, "first.test", status=DomainStatus.COOLING)
    second_burned, second_boxes = await domain(ws, "second.test", status=DomainStatus.COOLING)
    spare, _ = await domain(ws, "spare.test", pool=PoolRole.RESERVE, boxes=3)
    await campaign(ws, first_boxes, name="Q1")
    q2 = await campaign(ws, second_boxes, name="Q2")
    clock = FrozenClock(NOW)
    first = await propose_swap(first_burned.id, clock, reason="blacklisted: dbl.test", detail={})
    assert first.replacement_id == spare.id
    second = await propose_swap(second_burned.id, clock, reason="blacklisted: dbl.test", detail={})
    assert second.outcome is Proposal.RESERVE_EMPTY
    offered = f"#{first.approval_id} (first.test)"
    assert (second.payload["offered"], second.payload["offered_to"]) == ("some", offered)
    for t in (EN, translator("ru")):
        said = t("alert-reserve-empty", **second.payload)
        assert offered in said and "/swap second.test" in said, said
    assert "/swap" not in EN("alert-reserve-empty", **{**second.payload, "offered": "none"})

    # a request asked before this rule (or by a person who set the pool by hand) still names the taken reserve
    late = await Approval.create(
        workspace=ws,
        kind=ApprovalKind.DOMAIN_SWAP,
        subject=f"domain:{second_burned.id}",
        payload={**first.payload, "domain_id": second_burned.id, "domain": "second.test"},
        requested_at=NOW,
        expires_at=NOW + dt.timedelta(days=7),
    )
    runner = Runner(clock, admins={Platform.TELEGRAM: {"1"}})
    anna = runner.identity(Platform.TELEGRAM, "1", "anna", "en")
    done = await runner.run_line(anna, "c1", f"/approve {first.approval_id}")
    assert done.ok and (await Domain.get(id=spare.id)).pool_role is PoolRole.ACTIVE, done.plain_text()
    pressed = await runner.run_line(anna, "c1", f"/approve {late.id}")
    text = pressed.plain_text()
    assert EN("swap-stale", id=late.id, replacement="spare.test", reason="taken") in text, text
    assert "no longer in the reserve" in text
    assert "spare.test" not in await q2.domains.all().values_list("name", flat=True)  # nothing moved onto it
    assert await AuditLog.filter(action="domain.swap").count() == 1
    assert (await Domain.get(id=second_burned.id)).status is DomainStatus.COOLING
    assert (await Approval.get(id=late.id)).status is ApprovalStatus.EXPIRED


async def test_reserve_of_a_workspace_whose_domains_were_all_cooled_is_not_enough_without_a_ready_one() -> None:
    """Both domains of a workspace were listed and cooled, no reserve domain: /reserve said "Of 2 domains: 0 active,
    0 ready in reserve, …, 2 cooling. The reserve is enough: 0 ready of 0 wanted" while both waited for one."""
    ws = await workspace()
    for name in ("one.test", "two.test"):
        await domain(ws, name, status=DomainStatus.COOLING)
    runner = Runner(FrozenClock(NOW), admins={Platform.TELEGRAM: {"1"}})
    me = runner.identity(Platform.TELEGRAM, "1", "admin", "en")
    await runner.run_line(me, "c1", "/use acme")
    said = (await runner.run_line(me, "c1", "/reserve")).plain_text()
    assert EN("reserve-short", missing=2, target=2) in said, said
    assert "enough" not in said
    await domain(ws, "spare.test", pool=PoolRole.RESERVE)
    said = (await runner.run_line(me, "c1", "/reserve")).plain_text()
    assert EN("reserve-short", missing=1, target=2) in said, said


async def test_reserve_names_a_cyrillic_reserve_domain_as_people_write_it() -> None:
    """/reserve listed the reserve домен.рф as "xn--d1acufc.xn--p1ai: ready, …", the stored punycode."""
    ws = await workspace()
    await domain(ws, "one.test")
    await domain(ws, "xn--d1acufc.xn--p1ai", pool=PoolRole.RESERVE)  # домен.рф
    await domain(ws, "xn--80a1acny.xn--p1ai", pool=PoolRole.RESERVE, box_status=MailboxStatus.WARMING)  # почта.рф
    runner = Runner(FrozenClock(NOW), admins={Platform.TELEGRAM: {"1"}})
    me = runner.identity(Platform.TELEGRAM, "1", "admin", "en")
    await runner.run_line(me, "c1", "/use acme")
    said = (await runner.run_line(me, "c1", "/reserve")).plain_text()
    assert "xn--" not in said and "домен.рф" in said and "почта.рф" in said, said


async def test_why_of_a_domain_cooled_by_protection_says_why_its_mailboxes_send_nothing() -> None:
    """/why burned.test, cooled for a listing: "burned.test: nothing was held back today." while none of its
    mailboxes could send. It names the listing (or the drifted records) and what ends it."""
    ws = await workspace()
    burned, boxes = await domain(ws, "burned.test")
    drifted, _ = await domain(ws, "drifted.test")
    clock = FrozenClock(NOW)
    system = Actor(None, Platform.CONSOLE, Role.ADMIN, None)
    await protect(burned, clock, system, reason="blacklisted: dbl.test", cause="blacklisted", detail={})
    await protect(drifted, clock, system, reason="dns drift: dkim, spf", cause="dns_drift", detail={})
    runner = Runner(clock, admins={Platform.TELEGRAM: {"1"}})
    for locale in ("en", "ru"):
        t = translator(locale)
        me = runner.identity(Platform.TELEGRAM, "1", "admin", locale)
        await runner.run_line(me, "c1", "/use acme")
        state = t("state-domain-cooling")
        listed = t("why-protection-domain-listed", subject="burned.test", state=state, zones="dbl.test")
        for target in ("burned.test", boxes[0].address):
            said = (await runner.run_line(me, "c1", f"/why {target}")).plain_text()
            assert listed in said and t("why-nothing", target=target) not in said, said
        said = (await runner.run_line(me, "c1", "/why drifted.test")).plain_text()
        records = f"{t('dns-record-dkim')}, {t('dns-record-spf')}"
        assert t("why-protection-domain-drift", subject="drifted.test", state=state, records=records) in said, said


async def test_approving_a_swap_of_a_domain_that_recovered_meanwhile_sends_it_back_to_work_instead() -> None:
    """burned.test was listed and its swap proposed; two days later every list answered "not listed" and its records
    were right, yet pressing the old request's Approve retired it and moved its campaigns to the reserve. The
    request is over, the domain goes back to work and nothing moves; a swap a manager asked for by hand is theirs
    to carry out."""
    ws = await workspace()
    burned, old = await domain(ws, "burned.test")
    spare, _ = await domain(ws, "spare.test", pool=PoolRole.RESERVE, boxes=3)
    c = await campaign(ws, old, name="Q1")
    clock = FrozenClock(NOW)
    await BlacklistCheck.create(
        domain=burned, target="burned.test", zone="dbl.test", result=ListingResult.LISTED, checked_at=NOW
    )
    system = Actor(None, Platform.CONSOLE, Role.ADMIN, None)
    await protect(burned, clock, system, reason="blacklisted: dbl.test", cause="blacklisted", detail={})
    request = await Approval.get(kind=ApprovalKind.DOMAIN_SWAP, status=ApprovalStatus.PENDING)
    clock.set(NOW + dt.timedelta(days=2))
    await BlacklistCheck.create(
        domain=burned, target="burned.test", zone="dbl.test", result=ListingResult.CLEAN, checked_at=clock.now()
    )  # delisted; the domain stays cooling while the request waits
    runner = Runner(clock, admins={Platform.TELEGRAM: {"1"}})
    anna = runner.identity(Platform.TELEGRAM, "1", "anna", "en")
    pressed = await runner.run_line(anna, "c1", f"/approve {request.id}")
    assert pressed.ok and pressed.plain_text() == EN("swap-recovered", id=request.id, domain="burned.test")
    assert (await Domain.get(id=burned.id)).status is DomainStatus.ACTIVE
    assert (await Domain.get(id=spare.id)).pool_role is PoolRole.RESERVE
    assert set(await c.domains.all().values_list("name", flat=True)) != {"spare.test"}
    assert (await Approval.get(id=request.id)).status is ApprovalStatus.EXPIRED
    again = await runner.run_line(anna, "c1", f"/approve {request.id}")  # a second press: over, nothing moves
    assert not again.ok and (await Domain.get(id=burned.id)).status is DomainStatus.ACTIVE

    await transition_domain(await Domain.get(id=burned.id), DomainStatus.COOLING, clock=clock, reason="by hand")
    await runner.run_line(anna, "c1", "/use acme")
    asked = await runner.run_line(anna, "c1", "/swap burned.test")  # asked by hand: carried out as asked
    done = await runner.run_line(anna, "c1", f"/approve {asked.buttons[0][0].arg}")
    assert done.ok and (await Domain.get(id=burned.id)).status is DomainStatus.RETIRED, done.plain_text()


async def test_reserve_says_which_swap_request_a_ready_reserve_is_offered_in() -> None:
    """/reserve listed the one ready reserve as free ("✅ spare.test: ready, …") while a swap request waiting for a
    decision named it: a second burned domain would find no reserve. The line says which request it is offered in."""
    ws = await workspace()
    burned, _ = await domain(ws, "burned.test", status=DomainStatus.COOLING)
    await domain(ws, "spare.test", pool=PoolRole.RESERVE, boxes=3)
    await domain(ws, "second.test", pool=PoolRole.RESERVE, boxes=1)
    proposal = await propose_swap(burned.id, FrozenClock(NOW), reason="blacklisted: dbl.test", detail={})
    runner = Runner(FrozenClock(NOW), admins={Platform.TELEGRAM: {"1"}})
    for locale in ("en", "ru"):
        t = translator(locale)
        me = runner.identity(Platform.TELEGRAM, "1", "admin", locale)
        await runner.run_line(me, "c1", "/use acme")
        lines = (await runner.run_line(me, "c1", "/reserve")).plain_text().splitlines()
        offered = t("reserve-line-offered", request=f"#{proposal.approval_id} (burned.test)")
        [spare] = [line for line in lines if "spare.test" in line]
        [second] = [line for line in lines if "second.test" in line]
        assert spare.endswith(offered) and offered not in second, lines
    agency = (await runner.run_line(me, "c1", "/reserve all")).plain_text()
    assert f"#{proposal.approval_id} (burned.test)" in agency


async def test_rejecting_a_swap_offers_its_reserve_to_a_domain_that_waits_for_one() -> None:
    """first.test's request took the one ready reserve, so second.test's swap found none (the alert said so). When
    first.test's request was rejected the reserve was free again, yet second.test kept waiting until someone asked
    by hand. The rejection now offers it to the domain waiting longest."""
    ws = await workspace()
    first_burned, _ = await domain(ws, "first.test", status=DomainStatus.COOLING)
    second_burned, _ = await domain(ws, "second.test", status=DomainStatus.COOLING)
    await domain(ws, "spare.test", pool=PoolRole.RESERVE, boxes=3)
    clock = FrozenClock(NOW)
    first = await propose_swap(first_burned.id, clock, reason="blacklisted: dbl.test", detail={})
    second = await propose_swap(second_burned.id, clock, reason="dns_drift", detail={})
    assert second.outcome is Proposal.RESERVE_EMPTY
    runner = Runner(clock, admins={Platform.TELEGRAM: {"1"}})
    anna = runner.identity(Platform.TELEGRAM, "1", "anna", "en")
    rejected = await runner.run_line(anna, "c1", f"/reject {first.approval_id}")
    fresh = await Approval.get(kind=ApprovalKind.DOMAIN_SWAP, status=ApprovalStatus.PENDING)
    assert (fresh.subject, fresh.payload["replacement"], fresh.payload["reason"]) == (
        f"domain:{second_burned.id}",
        "spare.test",
        "dns_drift",
    )
    text = rejected.plain_text()
    assert EN("swap-reserve-freed", replacement="spare.test", domain="second.test", id=fresh.id) in text, text
    assert [b.arg for b in rejected.buttons[0]] == [str(fresh.id), str(fresh.id)]
    assert await Alert.filter(kind="reserve_empty", status=AlertStatus.RESOLVED).count() == 1
    assert (await Domain.get(id=first_burned.id)).status is DomainStatus.COOLING  # rejected: stays as it is


async def test_a_request_over_because_its_domain_recovered_offers_its_reserve_to_a_domain_that_waits() -> None:
    ws = await workspace()
    burned, _ = await domain(ws, "burned.test", status=DomainStatus.COOLING)
    waiting, _ = await domain(ws, "waiting.test", status=DomainStatus.COOLING)
    await domain(ws, "spare.test", pool=PoolRole.RESERVE, boxes=3)
    clock = FrozenClock(NOW)
    first = await propose_swap(burned.id, clock, reason="blacklisted: dbl.test", detail={})
    assert (await propose_swap(waiting.id, clock, reason="blacklisted: dbl.test", detail={})).approval_id is None
    clock.set(NOW + dt.timedelta(days=1))
    await BlacklistCheck.create(
        domain=burned, target="burned.test", zone="dbl.test", result=ListingResult.CLEAN, checked_at=clock.now()
    )
    runner = Runner(clock, admins={Platform.TELEGRAM: {"1"}})
    anna = runner.identity(Platform.TELEGRAM, "1", "anna", "en")
    pressed = await runner.run_line(anna, "c1", f"/approve {first.approval_id}")
    fresh = await Approval.get(kind=ApprovalKind.DOMAIN_SWAP, status=ApprovalStatus.PENDING)
    assert fresh.subject == f"domain:{waiting.id}"
    text = pressed.plain_text()
    assert EN("swap-recovered", id=first.approval_id, domain="burned.test") in text
    assert EN("swap-reserve-freed", replacement="spare.test", domain="waiting.test", id=fresh.id) in text, text

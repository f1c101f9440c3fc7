"""Shared pieces of the campaign sending tests: a small composer (the outbox tests look at what the outbox does
with a rendering, not at the rendering: `engine.campaigns.compose` has its own tests), a campaign over a mailbox
group, and `plan_due`, which makes every due step a row at once (no caps, no spreading: the outbox tests and the
crash test need rows due now, and every cap is then the claim-time re-check's to enforce).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from engine import tracking
from engine.campaigns.ports import CampaignRow, Composed
from engine.clock import Clock
from engine.errors import UserError
from engine.mail.message import make_message_id
from models import Campaign, Enrollment, Lead, Mailbox, OutboundMessage, Step, Workspace
from models.enums import CampaignStatus, EnrollmentState, MessageKind, MessageStatus

UNSUBSCRIBE_BASE = "https://t.example.test/u/"
PIXEL_BASE = "https://t.example.test/o/"


class TestComposer:
    """Renders a campaign row: "Step N for <address>" and a body with the footer and unsubscribe line. Rows
    whose recipient is in `broken` fail to render (a template that no longer renders)."""

    __test__ = False  # not a pytest class

    def __init__(self, broken: Sequence[str] = (), *, html: bool = False) -> None:
        self.broken = set(broken)
        self.html = html  # adds an HTML part with an open pixel, as for a campaign that opted into HTML
        self.calls: list[CampaignRow] = []

    async def __call__(self, row: CampaignRow) -> Composed:
        self.calls.append(row)
        if row.recipient in self.broken:
            raise UserError("error-template-syntax", where="body", detail="test")
        link = f"https://example.test/offer?step={row.step_position}"
        return Composed(
            subject=f"Step {row.step_position} for {row.recipient}",
            text=f"Hello,\nstep {row.step_position}, variant {row.variant}: {link}\n\n--\nAcme\n"
            f"Unsubscribe: {UNSUBSCRIBE_BASE}{row.row_id}\n",
            links=(link,),
            unsubscribe_url=f"{UNSUBSCRIBE_BASE}{row.row_id}",
            html=f'<p>Step {row.step_position}</p><img src="{PIXEL_BASE}{row.row_id}" width="1" height="1" alt="">'
            if self.html
            else None,
        )


compose = TestComposer()  # for the sender subprocess (SENDER_COMPOSE=tests.integration.campaign_kit:compose)


async def campaign(
    ws: Workspace,
    group: Sequence[Mailbox],
    *,
    steps: Sequence[tuple[int, bool]] = ((0, False), (2, False)),
    name: str = "Q1",
    **fields: object,
) -> Campaign:
    """A running campaign over `group` with steps at positions 1.. (delay days, business days)."""
    values: dict[str, object] = {
        "workspace": ws,
        "name": name,
        "status": CampaignStatus.RUNNING,
        "timezone": "Europe/Moscow",
        "window_start": dt.time(9, 0, tzinfo=dt.UTC),
        "window_end": dt.time(18, 0, tzinfo=dt.UTC),
        **fields,
    }
    c = await Campaign.create(**values)
    await c.mailboxes.add(*group)
    for position, (delay, business) in enumerate(steps, start=1):
        variants = [{"subject": f"Step {position}", "body": "Hello", "weight": 1}]
        await Step.create(campaign=c, position=position, delay_days=delay, business_days=business, variants=variants)
    return c


async def enroll(c: Campaign, emails: Sequence[str], due: dt.datetime) -> list[Enrollment]:
    """Leads for `emails`, enrolled at step 1, due at `due` (what `engine.campaigns.enroll` will do)."""
    out = []
    for email in emails:
        lead = await Lead.get_or_none(workspace_id=c.workspace_id, email=email) or await Lead.create(
            workspace_id=c.workspace_id, email=email, first_name=email.split("@")[0].title()
        )
        out.append(await Enrollment.create(campaign=c, lead=lead, current_step=1, next_due_at=due, variant=0))
    return out


async def plan_due(clock: Clock, c: Campaign, group: Sequence[Mailbox], *, at: dt.datetime | None = None) -> int:
    """A `planned` row for each due active enrollment of `c` that has none for its
    current step; step 1 round-robin over `group`, follow-ups from the enrollment's mailbox in its thread."""
    now = clock.now()
    due = await Enrollment.filter(campaign_id=c.id, state=EnrollmentState.ACTIVE, next_due_at__lte=now).order_by("id")
    if not due:
        return 0
    taken = set(
        await OutboundMessage.filter(enrollment_id__in=[e.id for e in due]).values_list(
            "enrollment_id", "step_position"
        )
    )
    leads = {lead.id: lead for lead in await Lead.filter(id__in=[e.lead_id for e in due])}
    rows = []
    for n, e in enumerate(due):
        if (e.id, e.current_step) in taken:
            continue
        box = next((b for b in group if b.id == e.mailbox_id), None) or group[n % len(group)]
        thread = e.thread_message_id
        rows.append(
            OutboundMessage(
                kind=MessageKind.CAMPAIGN,
                workspace_id=c.workspace_id,
                mailbox_id=box.id,
                campaign_id=c.id,
                enrollment_id=e.id,
                lead_id=leads[e.lead_id].id,
                step_position=e.current_step,
                variant=e.variant,
                message_id=make_message_id(box.address),
                in_reply_to=thread,
                references=thread,
                status=MessageStatus.PLANNED,
                scheduled_at=at or now,
            )
        )
    await OutboundMessage.bulk_create(rows)
    return len(rows)


async def unsubscribe(workspace_id: int, email: str, *, row_id: int, clock: Clock) -> None:
    """The unsubscribe click on the message `row_id` (what the tracking host's POST does)."""
    await tracking.unsubscribe(row_id, clock)

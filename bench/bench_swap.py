"""What a domain swap costs: proposing it (readiness of the reserve, the campaigns and sequences it moves) and
applying it in one transaction, for a burned domain whose mailboxes carry many active sequences and as many
planned follow-ups; then the campaign planner's tick that re-plans them from the replacement.

Run from the repository root:  .venv/bin/python -m bench.bench_swap [--leads 20000 --mailboxes 20]

A scratch database `mailfleet_bench_<pid>` is created on BENCH_DATABASE_URL's server (default: local postgres) and
dropped. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import time

from bench.scratch import scratch_database
from engine import approvals, db
from engine.access import SYSTEM
from engine.campaigns.planner import CampaignPlanOptions, plan_campaigns
from engine.clock import FrozenClock
from engine.domains.reserve import propose_swap
from engine.domains.swap import apply_swap
from models import BlacklistCheck, Campaign, DnsCheck, Domain, Lead, Mailbox, Step, Workspace
from models.enums import (
    CampaignStatus,
    DnsRecordKind,
    DnsVerdict,
    DomainStatus,
    ListingResult,
    MailboxStatus,
    MailProvider,
    PoolRole,
    TlsMode,
)

NOW = dt.datetime(2031, 3, 5, 6, 0, tzinfo=dt.UTC)  # a Wednesday, 09:00 in Moscow

_SEQUENCES = """
WITH e AS (
    INSERT INTO enrollment (campaign_id, lead_id, state, current_step, next_due_at, mailbox_id, thread_message_id,
        variant, created_at, stopped_reason)
    SELECT $2, l.id, 'active', 2, $3::timestamptz - interval '1 hour',
        ($4::int[])[1 + l.id % array_length($4::int[], 1)],
        '<s1.' || l.id || '@burned.test>', 0, $3, '' FROM lead l WHERE l.workspace_id = $1
    RETURNING id, lead_id, mailbox_id
)
INSERT INTO outbound_message (kind, workspace_id, mailbox_id, lead_id, enrollment_id, campaign_id, step_position,
    variant, message_id, subject, smtp_reply, status, scheduled_at, attempts, created_at)
SELECT 'campaign', $1, e.mailbox_id, e.lead_id, e.id, $2, s.pos, 0, '<s' || s.pos || '.' || e.id || '@burned.test>',
    '', '', CASE s.pos WHEN 1 THEN 'sent' ELSE 'planned' END, $3::timestamptz + (s.pos - 2) * interval '1 day', 0, $3
FROM e CROSS JOIN (VALUES (1), (2)) AS s(pos)
"""


async def domain(ws: Workspace, name: str, boxes: int, pool: PoolRole, status: DomainStatus) -> list[int]:
    d = await Domain.create(workspace=ws, name=name, pool_role=pool, status=status, daily_cap=10**5)
    for record in DnsRecordKind:
        await DnsCheck.create(domain=d, record=record, verdict=DnsVerdict.OK, checked_at=NOW)
    await BlacklistCheck.create(domain=d, target=name, zone="dbl.test", result=ListingResult.CLEAN, checked_at=NOW)
    await Mailbox.bulk_create(
        [
            Mailbox(
                workspace=ws,
                domain=d,
                address=f"out{n}@{name}",
                provider=MailProvider.GENERIC,
                smtp_host="h",
                smtp_port=587,
                smtp_tls=TlsMode.STARTTLS,
                imap_host="h",
                imap_port=993,
                imap_tls=TlsMode.IMPLICIT,
                username=f"out{n}@{name}",
                secret_enc=b"x",
                status=MailboxStatus.ACTIVE,
                daily_cap=10**4,
                warmup_started_on=NOW.date() - dt.timedelta(days=200),
                graduated_at=NOW - dt.timedelta(days=150),
            )
            for n in range(boxes)
        ]
    )
    return list(await Mailbox.filter(domain_id=d.id).order_by("id").values_list("id", flat=True))


async def measure(url: str, leads: int, boxes: int) -> dict[str, float]:
    await db.init_db(url)
    try:
        ws = await Workspace.create(slug="bench", name="Bench", timezone="Europe/Moscow")
        burned_boxes = await domain(ws, "burned.test", boxes, PoolRole.ACTIVE, DomainStatus.COOLING)
        await domain(ws, "spare.test", boxes, PoolRole.RESERVE, DomainStatus.ACTIVE)
        c = await Campaign.create(
            workspace=ws, name="Big", status=CampaignStatus.RUNNING, daily_cap=10**5, per_mailbox_cap=10**4
        )
        await c.domains.add(await Domain.get(name="burned.test"))
        for position in (1, 2):
            await Step.create(campaign=c, position=position, delay_days=1, variants=[{"subject": "s", "body": "b"}])
        conn = Domain._meta.db
        await Lead.bulk_create([Lead(workspace=ws, email=f"lead{n}@leads.test") for n in range(leads)], batch_size=5000)
        await conn.execute_query(_SEQUENCES, [ws.id, c.id, NOW, burned_boxes])
        await conn.execute_query("ANALYZE")
        clock = FrozenClock(NOW)
        start = time.perf_counter()
        proposal = await propose_swap((await Domain.get(name="burned.test")).id, clock, reason="bench", detail={})
        proposed = time.perf_counter() - start
        assert proposal.approval_id is not None
        await approvals.decide(SYSTEM, proposal.approval_id, True, clock)
        start = time.perf_counter()
        report = await apply_swap(proposal.approval_id, clock)
        applied = time.perf_counter() - start
        start = time.perf_counter()
        planned = (await plan_campaigns(clock, CampaignPlanOptions(min_gap_s=1, lead_s=0, seed=1))).planned
        replanned = time.perf_counter() - start
        return {
            "propose_s": proposed,
            "apply_s": applied,
            "moved": report.moved,
            "deleted": report.replanned,
            "plan_s": replanned,
            "planned": planned,
        }
    finally:
        await db.close_db()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=20000, help="active sequences on the burned domain")
    parser.add_argument("--mailboxes", type=int, default=20, help="mailboxes of each domain")
    args = parser.parse_args()
    with scratch_database() as url:
        f = asyncio.run(measure(url, args.leads, args.mailboxes))
    print(f"{args.leads} active sequences on {args.mailboxes} mailboxes of the burned domain")
    print(f"propose_swap : {f['propose_s'] * 1000:8.1f} ms")
    moved, deleted, planned = int(f["moved"]), int(f["deleted"]), int(f["planned"])
    print(f"apply_swap   : {f['apply_s'] * 1000:8.1f} ms  ({moved} moved, {deleted} unsent rows removed)")
    print(f"planner tick : {f['plan_s'] * 1000:8.1f} ms  ({planned} follow-ups planned from the replacement)")


if __name__ == "__main__":
    main()

"""Issue 11's "Done when" for domain swaps, end to end: a campaign sends its first step from a domain's mailboxes
through the real Postfix; the domain is listed (cooled and `propose_swap` called, as the DNSBL check does); the
swap request reaches Telegram and Slack with its numbers; a manager approves it in Slack with a signed
`block_actions` request and the campaign moves; the next day's follow-ups — planned by the real campaign planner
and sent by the real outbox — come from the reserve domain's mailboxes, in a new thread, each lead getting each
step once; pressing the same button in Telegram then changes nothing.

What the assertions count about delivery comes from Dovecot (the leads' INBOX), never from our own rows."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from collections.abc import Iterator
from email.utils import parseaddr

import pytest
from redis.asyncio import Redis

from bot.slack.notifier import SlackNotifier
from engine.alerts import claim_due
from engine.campaigns.compose import Composer
from engine.campaigns.planner import CampaignPlanOptions, plan_campaigns
from engine.clock import FrozenClock
from engine.crypto import Vault, generate_key
from engine.domains.reserve import Proposal, propose_swap
from engine.lifecycle import transition_domain
from engine.mail.smtp import SmtpTransport, Timeouts
from engine.notify import deliver
from engine.sending.outbox import EffectiveCaps, Outbox, SendOptions
from engine.sending.sentfolder import ImapSentFolder
from engine.tracking import TrackingLinks
from models import AuditLog, BlacklistCheck, DnsCheck, Domain, Enrollment, Lead, Mailbox, Step, Workspace
from models.alert import Approval
from models.enums import (
    ApprovalStatus,
    DnsRecordKind,
    DnsVerdict,
    DomainStatus,
    ListingResult,
    MailboxStatus,
    MailProvider,
    Platform,
    PoolRole,
    TlsMode,
)
from tests.e2e.conftest import TelegramRig, visible
from tests.e2e.slackrig import ADMIN, EN, Rig, seen, slack_rig, texts
from tests.harness.mailserver import MailServer
from tests.integration.campaign_kit import campaign, enroll

pytestmark = pytest.mark.timeout(240)

PASSWORD = "pw"
VAULT = Vault([generate_key()])
LINKS = TrackingLinks.from_vault("https://t.example.test", VAULT)
BURNED = [f"out{n}@burned.test" for n in (1, 2)]
SPARE = [f"out{n}@spare.test" for n in (1, 2, 3)]
LEADS = [f"lead{n}@leads.test" for n in range(1, 13)]
DAY1 = dt.datetime(2031, 3, 3, 7, 0, tzinfo=dt.UTC)  # a Monday, 10:00 in Moscow
DAY2 = DAY1 + dt.timedelta(days=2)  # step 2 (a day after step 1, sent at the end of day 1) is due all day
ALERTS = "C0ALERTS"
ANNA = 700777


@pytest.fixture(scope="module")
def mail(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailServer]:
    users = [(a, PASSWORD) for a in BURNED + SPARE + LEADS]
    domains = ["burned.test", "spare.test", "leads.test"]
    with MailServer(tmp_path_factory.mktemp("swap"), domains=domains, users=users) as server:
        yield server


async def sending_domain(ws: Workspace, mail: MailServer, name: str, addresses: list[str], pool: PoolRole) -> Domain:
    d = await Domain.create(
        workspace=ws, name=name, pool_role=pool, status=DomainStatus.ACTIVE, mail_provider=MailProvider.GENERIC
    )
    for record in (DnsRecordKind.MX, DnsRecordKind.SPF, DnsRecordKind.DKIM, DnsRecordKind.DMARC):
        await DnsCheck.create(domain=d, record=record, verdict=DnsVerdict.OK, checked_at=DAY1)
    await BlacklistCheck.create(domain=d, target=name, zone="dbl.test", result=ListingResult.CLEAN, checked_at=DAY1)
    for address in addresses:
        await Mailbox.create(
            workspace=ws, domain=d, address=address, display_name="Sales", provider=MailProvider.GENERIC,
            smtp_host=mail.host, smtp_port=mail.ports.submission, smtp_tls=TlsMode.STARTTLS, imap_host=mail.host,
            imap_port=mail.ports.imap, imap_tls=TlsMode.PLAIN, username=address, secret_enc=VAULT.encrypt(PASSWORD),
            status=MailboxStatus.ACTIVE, daily_cap=40, warmup_started_on=DAY1.date() - dt.timedelta(days=100),
            graduated_at=DAY1 - dt.timedelta(days=60),
        )  # fmt: skip
    return d


async def send_day(outbox: Outbox, clock: FrozenClock, mail: MailServer) -> int:
    """The planner's tick, then the outbox sends every row due today (the clock walks to the window's end)."""
    planned = (await plan_campaigns(clock, CampaignPlanOptions(min_gap_s=1, lead_s=0, seed=5))).planned
    clock.set(clock.now().replace(hour=14, minute=59, second=59))  # the window's last second: every row is due
    due = await outbox.sweep()
    reports = await asyncio.gather(*(outbox.send_mailbox(i) for i in due.send))
    assert not any(r.retried or r.unresolved for r in reports), reports
    mail.settle()
    return planned


def inbox(mail: MailServer) -> list[tuple[str, str, str, str]]:
    """(lead, sender, Message-ID, In-Reply-To) of every message in the leads' INBOX."""
    return [
        (m.address, parseaddr(m.headers["from"])[1].lower(), m.headers["message-id"], m.headers["in-reply-to"])
        for m in mail.messages(["INBOX"], ["from", "message-id", "in-reply-to"])
        if m.address in LEADS
    ]


async def test_a_listed_domain_is_swapped_in_slack_and_the_next_sends_come_from_the_reserve(
    telegram: TelegramRig, redis: Redis, mail: MailServer
) -> None:
    mail.reset()
    # the scene: acme with a Telegram manager (alerts in her chat) and a Slack manager (alerts in a channel)
    await telegram.admin("/workspace_new acme ACME")
    code = await telegram.invite("acme", "manager")
    anna = telegram.user(ANNA, first_name="Anna")
    await anna.send_command(f"/start {code}")
    await anna.wait_replies()
    await anna.send_command("/bind alerts")
    await anna.wait_replies()
    async with slack_rig(redis) as slack:
        await slack_manager(slack)
        ws = await Workspace.get(slug="acme")
        await Workspace.filter(id=ws.id).update(
            sender_name="Acme LLC", sender_address="Moscow, 1 Tverskaya", timezone="Europe/Moscow", locale="en"
        )
        burned = await sending_domain(ws, mail, "burned.test", BURNED, PoolRole.ACTIVE)
        spare = await sending_domain(ws, mail, "spare.test", SPARE, PoolRole.RESERVE)
        group = await Mailbox.filter(domain_id=burned.id).order_by("id")
        c = await campaign(ws, group, name="Spring", steps=((0, False), (1, False)), per_mailbox_cap=30)
        # the follow-up was written without its own subject: stored as "Re: <step 1>" (`engine.campaigns.steps`)
        await Step.filter(campaign_id=c.id, position=2).update(
            variants=[{"subject": "Re: Step 1", "body": "Following up", "weight": 1}]
        )
        await enroll(c, LEADS, DAY1 - dt.timedelta(hours=1))
        clock = FrozenClock(DAY1)
        async with SmtpTransport(tls_context=mail.ssl_context(), timeouts=Timeouts(10, 10, 20)) as transport:
            outbox = Outbox(
                clock=clock, vault=VAULT, sender=transport, sent_folder=ImapSentFolder(timeout_s=10),
                options=SendOptions(ssl_context=mail.ssl_context()), caps=EffectiveCaps(), compose=Composer(LINKS),
            )  # fmt: skip
            assert await send_day(outbox, clock, mail) == len(LEADS)
            first = inbox(mail)
            assert len(first) == len(LEADS) and {sender for _, sender, _, _ in first} == set(BURNED)

            # the DNSBL check lists burned.test: it cools the domain and asks for a swap
            listing = {"target": "burned.test", "zone": "dbl.test", "result": ListingResult.LISTED}
            await BlacklistCheck.create(domain=burned, checked_at=clock.now(), **listing)
            await transition_domain(burned, DomainStatus.COOLING, clock=clock, reason="blacklisted: dbl.test")
            proposal = await propose_swap(burned.id, clock, reason="blacklisted: dbl.test", detail={"zone": "dbl.test"})
            assert proposal.outcome is Proposal.PROPOSED and proposal.replacement_id == spare.id
            approval_id = proposal.approval_id
            assert approval_id is not None
            notifiers = {
                Platform.TELEGRAM: telegram.transport.notifier,
                Platform.SLACK: SlackNotifier(slack.transport.client),
            }
            for note in await claim_due(clock):
                await deliver(note, notifiers, redis, clock)
            request = EN(
                "approval-domain-swap", domain="burned.test", replacement="spare.test", replacement_mailboxes=3,
                campaigns=1, campaign_names="Spring", leads=len(LEADS), mailboxes=2, renews=0,
            )  # fmt: skip
            [in_telegram] = await anna.wait_replies()
            assert request in visible(in_telegram.text)
            await slack.api.wait_call("chat.postMessage")
            [message] = [m for (channel, _), m in slack.api.messages.items() if channel == ALERTS]
            assert seen(request) in texts(message["blocks"])

            # approved in Slack: the campaign moves at once, and the reply says what moved
            [actions] = [b for b in message["blocks"] if b["type"] == "actions"]
            approved = await slack.press(actions["elements"][0], user="U0MGR", channel=ALERTS, message=message)
            said = texts(approved.body["blocks"])
            applied = EN(
                "swap-applied", domain="burned.test", replacement="spare.test", campaigns=1, names="Spring",
                moved=len(LEADS), boxes=3, replanned=0, retired=2,
            )  # fmt: skip
            assert seen(applied) in said, said
            assert set(await c.domains.all().values_list("name", flat=True)) == {"spare.test"}
            assert not await c.mailboxes.all().count()
            assert (await Domain.get(id=burned.id)).status is DomainStatus.RETIRED

            # the same button in Telegram: already decided, nothing more happens
            query = await anna.press(in_telegram.callback_data(EN("button-approve")), in_telegram)
            answer = await anna.wait_callback_answer(query)
            assert answer["show_alert"] is True
            assert answer["text"] == EN(
                "error-approval-decided", id=approval_id, status="applied", who="mgr", via="slack"
            )
            assert (await Approval.get(id=approval_id)).status is ApprovalStatus.APPLIED
            assert await AuditLog.filter(action="domain.swap").count() == 1

            # two days later: the follow-ups go from the reserve's mailboxes, in a new thread, once per lead
            clock.set(DAY2)
            assert await send_day(outbox, clock, mail) == len(LEADS)
    messages = inbox(mail)
    step_one = {m for _, _, m, _ in first}
    second = [m for m in messages if m[2] not in step_one]
    assert len(second) == len(LEADS) and Counter(lead for lead, _, _, _ in second) == Counter(LEADS)
    assert Counter(sender for _, sender, _, _ in second) == Counter(dict.fromkeys(SPARE, 4))  # round-robin
    assert all(reply_to == "" for _, _, _, reply_to in second)  # a new thread from the new mailbox
    # ... which does not pretend to answer mail the lead never got from that sender
    subjects = {
        m.headers["message-id"]: m.headers["subject"] for m in mail.messages(["INBOX"], ["message-id", "subject"])
    }
    assert {subjects[m] for _, _, m, _ in second} == {"Step 1"}
    assert len(messages) == 2 * len(LEADS)  # nobody got a step twice
    for e in await Enrollment.filter(campaign_id=c.id).prefetch_related("lead"):
        assert e.mailbox_id in set(await Mailbox.filter(domain_id=spare.id).values_list("id", flat=True))
        assert e.thread_message_id and "spare.test" in e.thread_message_id
    assert await Lead.all().count() == len(LEADS)


async def slack_manager(slack: Rig) -> None:
    """mgr joins acme through Slack as a manager and binds the alerts channel."""
    await slack.command("use acme", user=ADMIN, name="boss")
    invite = await slack.command("invite manager", user=ADMIN, name="boss")
    [code] = [t.strip("`") for t in texts(invite["blocks"]) if t.startswith("```")]
    await slack.command(f"join {code}", user="U0MGR", name="mgr")
    bound = await slack.command("bind alerts", user="U0MGR", channel=ALERTS)
    assert texts(bound["blocks"]) == [
        seen(EN("bind-done", workspace="ACME", slug="acme", purposes=EN("purpose-alerts")))
    ]

"""A small campaign world in the real database for the content and tracking tests: a workspace with a sender
identity, a mailbox, a campaign with two steps, leads enrolled, and outbound rows as the planner leaves them."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

from engine.crypto import Vault, generate_key
from models import Campaign, Domain, Enrollment, Lead, Mailbox, OutboundMessage, Step, Workspace
from models.enums import CampaignStatus, MailboxStatus, MailProvider, MessageKind, MessageStatus, TlsMode

NOW = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)
VAULT = Vault([generate_key()])
_ids = itertools.count(1)

STEP1 = [
    {
        "subject": "Вопрос для {company|вашей компании}",
        "body": "{{Привет|Здравствуйте}}, {first_name|коллега}!\n"
        "Наш сайт: https://acme.example/offer\nСозвонимся? {city|}",
        "weight": 1,
    },
    {"subject": "B: {first_name}", "body": "Вариант B для {first_name}", "weight": 1},
]
STEP2 = [{"subject": "Re: вопрос", "body": "{first_name|Коллега}, напомню о себе.", "weight": 1}]


@dataclass
class World:
    workspace: Workspace
    mailbox: Mailbox
    campaign: Campaign
    leads: list[Lead]
    enrollments: list[Enrollment]


async def make_world(*, html: bool = False, track_clicks: bool = False, locale: str = "ru", leads: int = 2) -> World:
    n = next(_ids)
    ws = await Workspace.create(
        slug=f"acme-{n}",
        name="Acme",
        locale=locale,
        sender_name="ООО «Ромашка»",
        sender_address="Москва, ул. Ленина, 1",
    )
    domain = await Domain.create(workspace=ws, name=f"acme{n}.test")
    mailbox = await Mailbox.create(
        workspace=ws,
        domain=domain,
        address=f"anna@acme{n}.test",
        display_name="Анна Смирнова",
        provider=MailProvider.GENERIC,
        smtp_host="127.0.0.1",
        smtp_port=25,
        smtp_tls=TlsMode.PLAIN,
        imap_host="127.0.0.1",
        imap_port=143,
        imap_tls=TlsMode.PLAIN,
        username=f"anna@acme{n}.test",
        secret_enc=VAULT.encrypt("pw"),
        status=MailboxStatus.ACTIVE,
    )
    campaign = await Campaign.create(
        workspace=ws, name=f"Осень {n}", status=CampaignStatus.RUNNING, html=html, track_clicks=track_clicks
    )
    await campaign.mailboxes.add(mailbox)
    await Step.create(campaign=campaign, position=1, delay_days=0, variants=STEP1)
    await Step.create(campaign=campaign, position=2, delay_days=3, variants=STEP2)
    people = [
        await Lead.create(
            workspace=ws,
            email=f"lead{i}@client.example",
            first_name=["Олег", ""][i % 2],
            company="Рога и копыта",
            custom={"City": "Омск", "Должность": "CTO"} if i == 0 else {},
        )
        for i in range(leads)
    ]
    enrollments = [
        await Enrollment.create(campaign=campaign, lead=lead, mailbox=mailbox, variant=0, next_due_at=NOW)
        for lead in people
    ]
    return World(ws, mailbox, campaign, people, enrollments)


async def planned_row(
    world: World,
    lead_index: int,
    *,
    step: int = 1,
    variant: int = 0,
    status: MessageStatus = MessageStatus.SENT,
    kind: MessageKind = MessageKind.CAMPAIGN,
    links: list[str] | None = None,
    at: dt.datetime = NOW,
) -> OutboundMessage:
    lead = world.leads[lead_index] if kind is MessageKind.CAMPAIGN else None
    enrollment = world.enrollments[lead_index] if kind is MessageKind.CAMPAIGN else None
    return await OutboundMessage.create(
        kind=kind,
        workspace_id=world.workspace.id,
        mailbox=world.mailbox,
        lead=lead,
        enrollment=enrollment,
        campaign=world.campaign,
        step_position=step,
        variant=variant,
        message_id=f"<{next(_ids)}.{lead_index}.{step}@{world.mailbox.address.split('@')[1]}>",
        status=status,
        scheduled_at=at,
        links=links,
    )

"""The demo's agency and its story: who does what, when, through the command layer.

The inventory the agency already owns — its domains and mailboxes at Yandex 360 and Mail.ru — is written as
rows (a real import logs in to every mailbox over SMTP and IMAP, which the simulated providers have no
endpoint for); everything a person does is a command line run by `bot.runner.Runner`, as a chat would run it.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import functools
import io
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.console import render_text
from bot.runner import Runner
from engine.clock import FrozenClock
from engine.crypto import Vault
from engine.i18n import Translator
from engine.mail.providers import PRESETS
from engine.people import Identity, create_invite, resolve_actor
from engine.reply import Attachment, Reply
from mailfleet.demo.world import ListQuality, World
from models import Campaign, Domain, Mailbox, Workspace
from models.enums import CampaignStatus, DomainStatus, MailboxStatus, MailProvider, Platform, PoolRole, Role

if TYPE_CHECKING:
    from mailfleet.demo.run import Demo, DemoOptions, Transcript

ADMIN_ID: Final = "local"
ADMIN_CHAT: Final = "console"
DOMAIN_CAP: Final = 150
WARMUP_WEEKS: Final = 4  # the shortest warmup the settings allow  # sends a day over all of a domain's mailboxes
CAMPAIGN: Final = "q1"
LEAD_DOMAINS: Final = 40  # the companies' domains each client's leads are spread over
CLIENTS: Final = (  # slug, name (ru, en: the people's language), how its lead list behaves
    ("stroymarket", ("СтройМаркет", "StroyMarket"), ListQuality(invalid=0.02)),
    ("logistika", ("Логистика Плюс", "Logistika Plus"), ListQuality(invalid=0.05, reply=0.07)),
    ("medtech", ("МедТех", "MedTech"), ListQuality(invalid=0.08, unsubscribe=0.03)),
    ("edtech", ("ЭдТех Школа", "EdTech School"), ListQuality(invalid=0.03, auto_reply=0.06)),
    ("agrosnab", ("АгроСнаб", "AgroSnab"), ListQuality(invalid=0.04)),
    ("finpro", ("ФинПро", "FinPro"), ListQuality(invalid=0.06)),
)
FIRST_NAMES: Final = ("Анна", "Иван", "Мария", "Олег", "Елена", "Сергей", "Ольга", "Дмитрий", "Наталья", "Павел")
STEPS: Final = """Тема: {{Добрый день|Здравствуйте}}, {first_name|коллега}
{{Добрый день|Здравствуйте}}, {first_name|коллега}!

Мы помогаем компаниям вроде {company} сократить расходы на закупки. Удобно обсудить на неделе?

--- шаг 2 через 3 рабочих дня
{first_name|Коллега}, напомню о письме выше: пара минут на звонок найдётся?

--- шаг 3 через 4 дня
Последнее письмо: если тема не актуальна, просто ответьте «нет» — больше не напишу."""


@dataclass
class Fleet:
    first_day: dt.date
    warm_days: int  # days of warmup inside the run before the mailboxes may graduate
    admin: Identity
    managers: dict[int, tuple[Identity, str]] = field(default_factory=dict)  # workspace -> (manager, team chat)
    slugs: dict[int, str] = field(default_factory=dict)
    mailbox_ids: list[int] = field(default_factory=list)
    domain_count: int = 0
    started: set[int] = field(default_factory=set)
    listed_domain: str = ""
    list_day: dt.date | None = None

    @property
    def early(self) -> int:
        """Days the mailboxes started warming before the first simulated day."""
        return WARMUP_WEEKS * 7 - self.warm_days


def first_day(today: dt.date, weeks: int) -> dt.date:
    """The first simulated day: `weeks` weeks before `today`, so that the run ends yesterday and the reports of
    `mailfleet console --demo` (on the machine's clock) show it."""
    return today - dt.timedelta(days=weeks * 7)


def _split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


@dataclass
class Cast:
    """People speaking in chats: each line is run by the command runner, and it and its answer go to the
    transcript under the chat's name."""

    runner: Runner
    transcript: Transcript
    t: Translator  # the demo's language: its people's, and the transcript's own lines
    names: dict[str, str] = field(default_factory=dict)  # chat id -> what the transcript calls it

    async def say(
        self, who: Identity, chat: str, line: str, file: Attachment | None = None, *, note: str = ""
    ) -> Reply:
        reply = await self.runner.run_line(who, chat, line, file)
        shown = line.splitlines()[0] + (" …" if "\n" in line else "") + (f"   📎 {file.filename}" if file else "")
        name = self.names.get(chat, chat)
        self.transcript.say(name, who.display_name, shown + (f"   ({note})" if note else ""))
        self.transcript.say(name, "Mailfleet", render_text(reply))
        return reply


async def create(
    options: DemoOptions, *, first: dt.date, clock: FrozenClock, vault: Vault, world: World, cast: Cast
) -> Fleet:
    """The agency: client workspaces, their pools (a reserve share among the domains), people and chats.

    Warmup takes at least `WARMUP_WEEKS` (the setting's lower bound); a run shorter than that shows its last
    `warm_days` (40 % of the run, at least a week): the mailboxes started warming before the first simulated
    day, and nothing of that time is in the database but the start date."""
    clients = CLIENTS[: max(1, min(options.clients, len(CLIENTS)))]
    warm_days = min(WARMUP_WEEKS * 7, max(7, round(options.weeks * 7 * 0.4)))
    t = cast.t
    admin = cast.runner.identity(Platform.CONSOLE, ADMIN_ID, t("demo-admin"), t.locale)
    fleet = Fleet(first, warm_days, admin)
    cast.names[ADMIN_CHAT] = t("demo-admin-chat")
    cast.transcript.note(
        t(
            "demo-start",
            clients=len(clients),
            domains=options.domains,
            mailboxes=options.mailboxes,
            seed=str(options.seed),
        )
    )
    domain_counts = _split(options.domains, len(clients))
    box_counts = _split(options.mailboxes, len(clients))
    say = cast.say
    secret = vault.encrypt("demo-password")
    for index, (slug, (legal, english), quality) in enumerate(clients):
        name = english if t.locale == "en" else legal
        await say(admin, ADMIN_CHAT, f'/workspace_new {slug} "{name}"')
        space = await Workspace.get(slug=slug)
        await Workspace.filter(id=space.id).update(
            timezone="Europe/Moscow",
            locale=t.locale,  # the language its chats are told things in (alerts, digests): the people's
            sender_name=f"ООО «{legal}»",  # the letters' footer: the letters are Russian in either language
            sender_address=f"Москва, ул. Примерная, д. {index + 1}",
        )
        fleet.slugs[space.id] = slug
        await say(admin, ADMIN_CHAT, f"/use {slug}")
        await say(admin, ADMIN_CHAT, f"/warmup_settings weeks {WARMUP_WEEKS}")
        await say(admin, ADMIN_CHAT, "/warmup_settings pool agency")  # small pools run out of fresh peers
        names = await _inventory(
            space, slug, domain_counts[index], box_counts[index], secret=secret, world=world, fleet=fleet
        )
        inventory = t(
            "demo-inventory", name=name, slug=slug, domains=domain_counts[index], reserve=", ".join(names["reserve"]),
            mailboxes=box_counts[index],
        )  # fmt: skip
        if fleet.early:
            inventory = t("demo-inventory-warming", inventory=inventory, days=fleet.early)
        cast.transcript.note(inventory)
        await say(admin, ADMIN_CHAT, "/warmup_start all")
        fleet.managers[space.id] = await _people(cast, fleet, slug, name, clock)
        manager, chat = fleet.managers[space.id]
        await _campaign(cast, manager, chat, slug, names["active"], leads=max(40, box_counts[index] * 6))
        for k in range(1, LEAD_DOMAINS + 1):
            world.quality[_lead_domain(slug, k)] = quality
        if index == 0 and names["active"]:
            fleet.listed_domain = names["active"][0]
    fleet.domain_count = options.domains
    campaign_days = options.weeks * 7 - warm_days
    fleet.list_day = fleet.first_day + dt.timedelta(days=warm_days + max(2, campaign_days // 3))
    return fleet


async def _inventory(
    space: Workspace, slug: str, domains: int, boxes: int, *, secret: bytes, world: World, fleet: Fleet
) -> dict[str, list[str]]:
    reserve = max(1, round(domains * 0.15)) if domains > 1 else 0
    rows = []
    key = _dkim_key()
    for k in range(domains):
        provider = MailProvider.YANDEX360 if k % 3 != 2 else MailProvider.MAILRU
        role = PoolRole.RESERVE if k >= domains - reserve else PoolRole.ACTIVE
        rows.append(
            Domain(
                workspace_id=space.id, name=f"{slug}-mail{k + 1}.ru", mail_provider=provider, pool_role=role,
                status=DomainStatus.ACTIVE if role is PoolRole.ACTIVE else DomainStatus.WARMING, daily_cap=DOMAIN_CAP,
                registrar="regru", expires_on=fleet.first_day + dt.timedelta(days=300), dkim_selector="mail",
                dkim_public_key=key,
            )
        )  # fmt: skip
    await Domain.bulk_create(rows)
    stored = await Domain.filter(workspace_id=space.id).order_by("id")
    counts = _split(boxes, len(stored))
    mailboxes = []
    for domain, count in zip(stored, counts, strict=True):
        preset = PRESETS[domain.mail_provider or MailProvider.YANDEX360]
        assert preset.smtp is not None and preset.imap is not None
        for n in range(count):
            address = f"{FIRST_NAMES[n % len(FIRST_NAMES)].lower()}{n + 1}@{domain.name}"
            address = _latin(address)
            mailboxes.append(
                Mailbox(
                    workspace_id=space.id, domain_id=domain.id, address=address, provider=preset.provider,
                    display_name=f"{FIRST_NAMES[n % len(FIRST_NAMES)]} · {space.name}",
                    smtp_host=preset.smtp.host, smtp_port=preset.smtp.port, smtp_tls=preset.smtp.tls,
                    imap_host=preset.imap.host, imap_port=preset.imap.port, imap_tls=preset.imap.tls,
                    username=address, secret_enc=secret, daily_cap=preset.default_daily_cap,
                    status=MailboxStatus.WARMING if fleet.early else MailboxStatus.NEW,
                    warmup_started_on=fleet.first_day - dt.timedelta(days=fleet.early) if fleet.early else None,
                )
            )  # fmt: skip
            world.add_mailbox(address, preset.provider)
    await Mailbox.bulk_create(mailboxes, batch_size=1000)
    fleet.mailbox_ids += [m["id"] for m in await Mailbox.filter(workspace_id=space.id).values("id")]
    return {
        "active": [d.name for d in stored if d.pool_role is PoolRole.ACTIVE],
        "reserve": [d.name for d in stored if d.pool_role is PoolRole.RESERVE],
    }


@functools.cache
def _dkim_key() -> str:
    """The DKIM public key the mail provider generated (one for the whole demo: the simulation checks no
    signatures), base64 DER as `/dkim_set` takes it."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    der = private.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode("ascii")


_LATIN = str.maketrans(
    {"а": "a", "н": "n", "и": "i", "в": "v", "м": "m", "р": "r", "я": "ya", "о": "o", "л": "l", "г": "g", "е": "e",
     "с": "s", "й": "y", "ь": "", "д": "d", "т": "t", "ш": "sh", "п": "p", "ы": "y", "ч": "ch", "к": "k", "у": "u"}
)  # fmt: skip


def _latin(text: str) -> str:
    return text.translate(_LATIN)


async def _people(cast: Cast, fleet: Fleet, slug: str, name: str, clock: FrozenClock) -> tuple[Identity, str]:
    """The client's manager joins by invite and binds the team chat; the client joins, and the manager binds the
    client's chat as that (it gets the weekly report, never the managers' digests or alerts)."""
    actor = await resolve_actor(fleet.admin)
    team, client_chat = f"tg-{slug}-team", f"tg-{slug}-client"
    t = cast.t
    cast.names[team] = t("demo-team-chat", name=name)
    cast.names[client_chat] = t("demo-client-chat", name=name)
    manager = cast.runner.identity(Platform.TELEGRAM, f"manager-{slug}", t("demo-manager", name=name), t.locale)
    client = cast.runner.identity(Platform.TELEGRAM, f"client-{slug}", t("demo-client", name=name), t.locale)
    invite = await create_invite(actor, Role.MANAGER, clock)
    await cast.say(manager, team, f"/start {invite.code}")
    await cast.say(manager, team, "/bind all")
    invite = await create_invite(actor, Role.CLIENT, clock)
    await cast.say(client, client_chat, f"/start {invite.code}")
    await cast.say(manager, client_chat, "/bind client")  # the weekly report only: no digest, no alert
    return manager, team


def _lead_domain(slug: str, k: int) -> str:
    return f"{slug}-client{k}.ru"


async def _campaign(cast: Cast, manager: Identity, chat: str, slug: str, active: list[str], *, leads: int) -> None:
    """The manager drafts the campaign, its group and steps, and imports the leads (started once warm)."""
    t = cast.t
    settings = f"window=09:00-18:00 weekdays={t('demo-weekdays')} daily_cap=5000 per_mailbox_cap=50"
    await cast.say(manager, chat, f"/campaign_new {CAMPAIGN} {settings}")
    await cast.say(manager, chat, f"/campaign_group {CAMPAIGN} {' '.join(active)}")
    await cast.say(manager, chat, f"/campaign_steps {CAMPAIGN}\n{STEPS}")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["email", "first_name", "company"])
    for n in range(leads):
        domain = _lead_domain(slug, n % LEAD_DOMAINS + 1)
        writer.writerow([f"buyer{n + 1}@{domain}", FIRST_NAMES[n % len(FIRST_NAMES)], f"Компания {n + 1}"])
    data = Attachment("leads.csv", buffer.getvalue().encode("utf-8"), "text/csv")
    line = f'/leads_import {CAMPAIGN} source={t("demo-lead-source")} basis="{t("demo-lead-basis")}"'
    await cast.say(manager, chat, line, data)


async def story(demo: Demo, day: dt.date) -> None:
    """What happens on `day` besides the engine's own work: campaigns start once mailboxes are warm, and the
    blocklist lists one domain of the first client mid-run."""
    fleet = demo.fleet
    if day >= fleet.first_day + dt.timedelta(days=fleet.warm_days):
        for space_id, (manager, chat) in sorted(fleet.managers.items()):
            if space_id in fleet.started:
                continue
            reply = await demo.cast.say(manager, chat, f"/campaign_start {CAMPAIGN}")
            for row in reply.buttons:
                for button in row:
                    if button.command == "campaign_confirm":
                        note = demo.cast.t("demo-pressed", label=button.label)
                        await demo.cast.say(manager, chat, f"/campaign_confirm {button.arg}", note=note)
            if await Campaign.filter(workspace_id=space_id, name=CAMPAIGN, status=CampaignStatus.RUNNING).exists():
                fleet.started.add(space_id)
    if fleet.list_day == day and fleet.listed_domain:
        demo.world.list_domain(fleet.listed_domain, demo.clock.now())
        demo.transcript.note(demo.cast.t("demo-listed", list="dbl.spamhaus.org", domain=fleet.listed_domain))

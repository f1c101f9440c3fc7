"""Nobody learns what another workspace holds, on the real database, through every registered command.

- Naming another workspace's domain, mailbox, campaign, lead, alert, approval or member gets exactly the reply
  that naming one that does not exist gets (the value itself masked in both), for a manager of another workspace,
  a client and a stranger; and that reply shows nothing else of the other workspace.
- Every command run with its example (or nothing) by those people lists nothing of the other workspace, in its
  text, its buttons or its files.
- A client's commands of its own workspace change nothing in the database.

Every registered command must be classified in OBJECT_ARG below, so a new command fails these tests until
someone says which object (if any) its first argument names.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from redis.asyncio import Redis
from tortoise import connections

from bot.command import Access, commands
from bot.runner import Runner
from engine import approvals
from engine.clock import FrozenClock
from engine.crypto import Vault, generate_key
from engine.dns.hosting import DnsHosts
from engine.domains.common import DnsConfig
from engine.i18n import translator
from engine.leads.importer import ImportOptions, import_leads
from engine.people import create_workspace, resolve_actor
from engine.reply import Reply
from engine.settings import Settings
from models import Alert, ChatBinding, Lead, Membership, Person, Workspace
from models.enums import AlertStatus, ApprovalKind, Platform, Role, Severity
from tests.integration.content_world import NOW, World, make_world

pytestmark = pytest.mark.usefixtures("orm")
TG = Platform.TELEGRAM
ADMIN = "1"
EN_INTERNAL = translator("en")("error-internal", ref="").split(":")[0].strip()

OBJECT_ARG: dict[str, str | None] = {
    # the object a command's first argument names; None: it names nothing that belongs to a workspace
    "alerts": None,
    "ack": "alert",
    "agency_chat": None,
    "approve": "approval",
    "reject": "approval",
    "campaigns": None,
    "campaign_new": None,  # a name to be: unique per workspace, so another workspace's is no conflict
    "campaign_set": "campaign",
    "campaign_group": "campaign",
    "campaign_steps": "campaign",
    "campaign_preview": "campaign",
    "campaign_test": "campaign",
    "campaign_start": "campaign",
    "campaign_confirm": None,  # a one-time token, checked against the person who asked
    "campaign_pause": "campaign",
    "campaign_resume": "campaign",
    "campaign": "campaign",
    "chart": None,
    "export_campaign": "campaign",
    "export_leads": "campaign",
    "cost": None,
    "cost_set": None,
    "capacity": None,
    "domains": None,
    "domain_add": None,  # a new name: a domain lives in one workspace, its DNS is public, a taken one is refused
    "domain": "domain",
    "domain_set": "domain",
    "domain_remove": "domain",
    "domain_remove_confirm": "domain_id",
    "domain_resume": "domain",
    "domain_resume_confirm": "domain_id",
    "dns_plan": "domain",
    "dns_apply": "domain",
    "dns_apply_confirm": "domain_id",
    "dns_check": "domain",
    "blacklist_check": "domain",
    "dkim_set": "domain",
    "zone_export": "domain",
    "leads_import": None,
    "leads": "lead",
    "suppress": "lead",
    "unsuppress": "lead",
    "forget": "lead",  # erasing another workspace's person must look like erasing nobody
    "forget_confirm": None,  # a one-time token, checked against the person and workspace that asked
    "retention": None,
    "audit_export": None,  # dates: the export is scoped to the actor's own workspaces
    "workspace_legal": None,  # sets the current workspace's own identity
    "mailboxes": None,
    "mailbox": "mailbox",
    "mailbox_import": None,
    "mailbox_test": "mailbox",
    "mailbox_ca": "mailbox",
    "mailbox_pause": "mailbox",
    "mailbox_resume": "mailbox",
    "health": "mailbox",
    "thresholds_set": None,
    "thresholds": None,
    "sending_resume": None,
    "report": None,
    "report_campaign": "campaign",
    "report_domain": "domain",
    "report_mailbox": "mailbox",
    "reserve": None,
    "approvals": None,
    "swap": "domain",
    "warmup": "mailbox",
    "warmup_start": "domain",
    "warmup_pause": "mailbox",
    "warmup_settings": None,
    "workspace_settings": None,
    "why": "mailbox",
    "start": None,
    "help": None,
    "lang": None,
    "whoami": None,
    "workspace_new": None,
    "workspaces": None,
    "workspace": "workspace",
    "use": "workspace",
    "invite": None,
    "members": None,
    "revoke": "person",
    "bind": None,
    "chats": None,
    "unbind": "chat",  # a number of /chats: another workspace's chat must look like no chat
}
_REF = re.compile(r"[0-9a-f]{8,}")  # an error reference, if a command ever failed unexpectedly


@dataclass
class Foreign:
    """Workspace A (someone else's) and the values that name its objects, with equally shaped missing ones."""

    world: World
    values: dict[str, tuple[str, str]]  # object kind -> (A's value, a value that names nothing)
    markers: list[str]  # strings that only A's data contains


@pytest.fixture
async def runner(redis: Redis) -> AsyncIterator[Runner]:
    settings = Settings(regru_username="agency", regru_password=SecretStr("regru-secret"))
    async with aiohttp.ClientSession() as session:
        yield Runner(
            FrozenClock(NOW),
            admins={TG: {ADMIN}},
            services={
                "settings": settings,
                "redis": redis,
                "vault": Vault([generate_key()]),
                "dns": DnsConfig.from_settings(settings),
                "dns_hosts": DnsHosts(settings, session),
            },
        )


async def say(runner: Runner, user: str, line: str, lang: str = "en") -> Reply:
    return await runner.run_line(runner.identity(TG, user, f"user{user}", lang), f"chat{user}", line)


async def foreign_workspace(runner: Runner) -> Foreign:
    world = await make_world(leads=2)
    ws = world.workspace
    domain = await world.mailbox.domain
    member = await Person.create(platform=TG, external_id="777", display_name="Зоя Секретная")
    await Membership.create(person=member, workspace=ws, role=Role.MANAGER)
    alert = await Alert.create(
        workspace=ws, kind="bounce_spike", severity=Severity.WARNING, subject=f"mailbox:{world.mailbox.id}",
        fingerprint="f" * 64, status=AlertStatus.OPEN, first_seen=NOW, last_seen=NOW,
    )  # fmt: skip
    approval = await approvals.request(ws.id, ApprovalKind.DOMAIN_SWAP, f"domain:{domain.id}", {}, clock=runner.clock)
    assert approval is not None
    chat = await ChatBinding.create(workspace=ws, platform=TG, chat_id="-100777000", purposes=["alerts"])
    big = 10**6
    values = {
        "workspace": (ws.slug, "zz-nosuch"),
        "domain": (domain.name, "zz-nosuch.test"),
        "domain_id": (str(domain.id), str(domain.id + big)),
        "mailbox": (world.mailbox.address, "anna@zz-nosuch.test"),
        "campaign": (world.campaign.name, "Осень 999999"),
        "lead": (world.leads[0].email, "lead0@zz-nosuch.example"),
        "alert": (str(alert.id), str(alert.id + big)),
        "approval": (str(approval.id), str(approval.id + big)),
        "person": (str(member.id), str(member.id + big)),
        "chat": (str(chat.id), str(chat.id + big)),
    }
    markers = [ws.slug, domain.name, chat.chat_id, world.mailbox.address, world.campaign.name, "Анна Смирнова",
               "Рога и копыта", "Зоя Секретная", "ООО «Ромашка»", *(lead.email for lead in world.leads)]  # fmt: skip
    return Foreign(world, values, markers)


async def outsiders(runner: Runner) -> dict[str, str]:
    """A manager and a client of workspace `beta`, and a stranger; `beta` is their current workspace."""
    await say(runner, ADMIN, "/workspace_new beta Beta")
    users = {"manager of beta": "12", "client of beta": "13", "stranger": "14"}
    for user, role in (("12", "manager"), ("13", "client")):
        await say(runner, ADMIN, "/use beta")
        code = next(b.text for b in (await say(runner, ADMIN, f"/invite {role}")).blocks if b.style == "pre")
        assert (await say(runner, user, f"/start {code}")).ok
    await say(runner, "14", "/start")
    return users


def quoted(value: str) -> str:
    return f'"{value}"' if " " in value else value


def line_for(name: str, value: str) -> str:
    """The command's example with its first argument replaced by `value`."""
    cmd = next(c for c in commands() if c.name == name)
    rest = cmd.example.split(" ", 1)[1] if " " in cmd.example else ""
    if cmd.args and cmd.args[0].kind == "rest":
        rest = ""  # the whole rest of the line is the one value
    return f"/{name} {quoted(value)} {rest}".strip()


def shown(reply: Reply) -> str:
    """Everything a reply shows or carries: text, button labels and arguments, file names and contents."""
    parts = [reply.plain_text()]
    parts += [f"{b.label} {b.command}:{b.arg}" for row in reply.buttons for b in row]
    parts += [f"{f.filename} {f.content.decode('utf-8', 'replace')}" for f in reply.files]
    return "\n".join(parts)


def masked(reply: Reply, value: str) -> str:
    return _REF.sub("<ref>", shown(reply).replace(value, "<value>"))


def test_every_command_is_classified() -> None:
    assert sorted(c.name for c in commands() if c.name not in OBJECT_ARG) == []
    assert sorted(set(OBJECT_ARG) - {c.name for c in commands()}) == []


async def test_another_workspaces_objects_are_answered_like_missing_ones(runner: Runner) -> None:
    foreign = await foreign_workspace(runner)
    users = await outsiders(runner)
    differences: list[str] = []
    leaks: list[str] = []
    checked = 0
    for cmd in commands():
        kind = OBJECT_ARG.get(cmd.name)
        if kind is None:
            continue
        theirs, missing = foreign.values[kind]
        for who, user in users.items():
            other = await say(runner, user, line_for(cmd.name, theirs))
            none = await say(runner, user, line_for(cmd.name, missing))
            await say(runner, user, "/use beta")  # a /use that worked must not carry over
            if masked(other, theirs) != masked(none, missing):
                differences.append(f"{who}: {line_for(cmd.name, theirs)!r}\n  {shown(other)!r}\n  {shown(none)!r}")
            rest = shown(other).replace(theirs, "")
            leaks += [f"{who}: /{cmd.name} shows {m!r}" for m in foreign.markers if m in rest]
            checked += 1
    assert differences == [] and leaks == []
    assert checked >= 3 * 40
    # the same values do name things for the agency admin: the comparison above was not between two misses
    await say(runner, ADMIN, f"/use {foreign.world.workspace.slug}")
    for line in (f"/domain {foreign.values['domain'][0]}", f"/mailbox {foreign.values['mailbox'][0]}",
                 f"/campaign {quoted(foreign.values['campaign'][0])}"):  # fmt: skip
        assert (await say(runner, ADMIN, line)).ok, line


async def test_lists_buttons_and_files_never_show_another_workspace(runner: Runner) -> None:
    foreign = await foreign_workspace(runner)
    users = await outsiders(runner)
    leaks = []
    for cmd in commands():
        for who, user in users.items():
            for line in (f"/{cmd.name}", f"/{cmd.name} {cmd.example}".strip()):
                reply = await say(runner, user, line)
                await say(runner, user, "/use beta")
                text = shown(reply)
                leaks += [f"{who}: {line!r} shows {m!r}" for m in foreign.markers if m in text]
                ids = {foreign.values[k][0] for k in ("alert", "approval", "domain_id", "person")}
                leaks += [f"{who}: {line!r} has a button for {b.command}:{b.arg}" for row in reply.buttons
                          for b in row if b.arg in ids and b.command not in {"use", "help", "lang"}]  # fmt: skip
    assert leaks == []


async def _snapshot() -> dict[str, str]:
    """A digest of every row of every table (the migrations' bookkeeping aside)."""
    conn = connections.get("default")
    tables = await conn.execute_query_dict(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'aerich' ORDER BY 1"
    )
    digest = {}
    for row in tables:
        name = row["tablename"]
        [found] = await conn.execute_query_dict(
            f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS d FROM \"{name}\" t"  # noqa: S608 - names from pg_tables
        )
        digest[name] = found["d"]
    return digest


async def test_a_clients_commands_read_and_never_write(runner: Runner) -> None:
    """Every command a client may run in its own workspace, with its example and with the names of real objects
    of that workspace: the database is the same before and after (the client's own language choice aside)."""
    foreign = await foreign_workspace(runner)  # here: the client's own workspace, with data in it
    ws = foreign.world.workspace
    await say(runner, ADMIN, f"/use {ws.slug}")
    code = next(b.text for b in (await say(runner, ADMIN, "/invite client")).blocks if b.style == "pre")
    assert (await say(runner, "21", f"/start {code}")).ok
    read = [c for c in commands() if c.access is Access.READ]
    assert {c.name for c in read} >= {"report", "report_campaign", "health", "warmup", "workspace"}
    before = await _snapshot()
    answered = 0
    for cmd in read:
        kind = OBJECT_ARG[cmd.name]
        lines = [f"/{cmd.name}", f"/{cmd.name} {cmd.example}".strip()]
        if kind is not None:
            lines.append(line_for(cmd.name, foreign.values[kind][0]))
        for line in lines:
            reply = await say(runner, "21", line)
            answered += reply.ok
            assert not reply.plain_text().startswith(EN_INTERNAL), line  # a crash is no "read"
    after = await _snapshot()
    changed = [name for name in before if before[name] != after[name]]
    assert changed == []
    assert answered >= len(read)  # most of them answered with data, not with an error


def _examples(strategy: st.SearchStrategy[str], count: int) -> list[str]:
    """`count` deterministic examples of a Hypothesis strategy, for a test that needs the database (Hypothesis
    cannot drive an async test with fixtures itself)."""
    drawn: list[str] = []

    @settings(max_examples=count, derandomize=True, database=None, deadline=None)
    @given(strategy)
    def draw(value: str) -> None:
        drawn.append(value)

    draw()
    return drawn


_PRINTABLE = st.characters(blacklist_categories=("Cc", "Cs"))
_SQLISH = ["'", "''", '"', "\\", ";", "--", "/*", "*/", "%", "_", "$1", "\\x00", "'); DROP TABLE lead; --",
           "' OR '1'='1", "<!channel>", "<b>", "&", "=1+1", "ё", "𝔘"]  # fmt: skip
hostile_values = st.lists(st.one_of(_PRINTABLE, st.sampled_from(_SQLISH)), min_size=1, max_size=25).map(
    lambda parts: "".join(parts).strip() or "x"
)


async def test_hostile_values_round_trip_through_the_database_unchanged(runner: Runner) -> None:
    """Workspace names and lead fields from a CSV, full of SQL and markup metacharacters, are
    stored and read back exactly as given (after the documented trimming), and the tables are all still there."""
    values = _examples(hostile_values, 60)
    assert sum("'" in v or '"' in v or ";" in v for v in values) >= 10
    await say(runner, ADMIN, "/workspace_new acme ACME")
    actor = await resolve_actor(runner.identity(TG, ADMIN, "admin", "en"))
    for n, value in enumerate(values[:30]):
        await create_workspace(actor, f"w{n}", value)
        assert (await Workspace.get(slug=f"w{n}")).name == " ".join(value.split())[:200], value
    lead_values = values[30:]
    rows = [f"lead{n}@example.com;{_cell(v)};{_cell(v[::-1])};{_cell(v)}" for n, v in enumerate(lead_values)]
    data = ("email;first_name;company;note\n" + "\n".join(rows) + "\n").encode()
    report = await import_leads(
        actor, data, runner.clock, options=ImportOptions(source="fuzz", legal_basis="contract", check_dns=False)
    )
    assert report.imported == len(lead_values), report
    for n, value in enumerate(lead_values):
        lead = await Lead.get(email=f"lead{n}@example.com")
        assert (lead.first_name, lead.company, lead.custom["note"]) == (value[:200], value[::-1].strip()[:300], value)
    assert await Lead.all().count() == len(lead_values)


def _cell(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'

"""/cost, /cost_set and /capacity end to end: Telegram through the Bot API emulator and Slack through signed
requests to the real bolt app, on real PostgreSQL and Redis; a client is refused."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from engine.i18n import translator
from models import AgencySetting, Domain, Mailbox, Workspace
from models.enums import DomainStatus, MailboxStatus, MailProvider, TlsMode
from tests.e2e.conftest import NOW, TelegramRig, ask
from tests.e2e.slackrig import Rig, join, seen, slack_rig

EN = translator("en")
ANNA, CARL = 700921, 700922
RUB = "\u202f₽"
LONG_AGO = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)  # graduated long ago: the full campaign share on any date


async def graduated(slug: str, domain_name: str, count: int) -> None:
    ws = await Workspace.get(slug=slug)
    domain = await Domain.create(workspace=ws, name=domain_name, status=DomainStatus.ACTIVE, daily_cap=120)
    for n in range(count):
        await Mailbox.create(
            workspace=ws, domain=domain, address=f"box{n}@{domain_name}", provider=MailProvider.GENERIC,
            smtp_host="127.0.0.1", smtp_port=587, smtp_tls=TlsMode.STARTTLS, imap_host="127.0.0.1", imap_port=993,
            imap_tls=TlsMode.IMPLICIT, username=f"box{n}@{domain_name}", secret_enc=b"x",
            status=MailboxStatus.ACTIVE, graduated_at=LONG_AGO,
        )  # fmt: skip


async def test_telegram_cost_capacity_for_a_manager_and_a_client_refused(telegram: TelegramRig) -> None:
    await telegram.admin("/workspace_new acme ACME")
    anna = telegram.user(ANNA, first_name="Anna")
    await anna.send_command(f"/start {await telegram.invite('acme', 'manager')}")
    await anna.wait_replies()
    carl = telegram.user(CARL, first_name="Carl")
    await carl.send_command(f"/start {await telegram.invite('acme', 'client')}")
    await carl.wait_replies()
    await Workspace.filter(slug="acme").update(timezone="UTC")
    await graduated("acme", "alpha.test", 3)

    cost = await ask(anna, "/cost")
    assert EN("cost-title", workspace="acme") in cost
    month = EN(
        "cost-month", domains=1, mailboxes=3, domains_cost=f"88{RUB}", mailboxes_cost=f"225{RUB}",
        servers_cost=f"4,200{RUB}", total=f"4,513{RUB}", per_mailbox=f"1,504{RUB}", saas_total=f"20,313{RUB}",
    )  # fmt: skip
    assert month in cost

    changed = await ask(anna, "/cost_set mailbox_month 90")
    assert EN("cost-changed", name="mailbox_month", before="75", after="90") in changed
    assert f"270{RUB}" in await ask(anna, "/cost")
    refused = await ask(anna, "/cost_set mailbox_month 9000")
    assert EN("error-cost-setting", name="mailbox_month", value="9000", low=0, high=5000) in refused

    capacity = await ask(anna, "/capacity 12000 1")
    assert EN("capacity-today", emails=96, senders=3, mailboxes=3, warmup=24) in capacity
    assert EN("capacity-short", emails=12000, weeks=1, available=672) in capacity
    start = NOW.date() + dt.timedelta(days=1)
    week = {"number": 1, "start": start.isoformat(), "end": (start + dt.timedelta(days=6)).isoformat(), "emails": 672}
    assert EN("capacity-week-even", **week, low=96) in capacity  # the same every day: "96 a day", not "96–96"
    assert EN(
        "capacity-add", per_day=1619, mailboxes=51, domains=17, mailbox_cap=40, domain_cap=120, per_mailbox=32,
        warmup_weeks=6, full_weeks=9, full_on=(start + dt.timedelta(days=63)).isoformat(),
    ) in capacity  # fmt: skip
    assert EN("capacity-fits", emails=600, weeks=1, available=672) in await ask(anna, "/capacity 600 1")
    too_many = await ask(anna, "/capacity 99999999999 1")  # past the column too: the command's own bounds
    assert EN("error-arg-int-range", value="99999999999", arg="emails", command="capacity", min=1, max=10_000_000,
              usage="/capacity 12000 1") in too_many  # fmt: skip

    assert EN("error-forbidden", command="cost") in await ask(carl, "/cost")
    assert EN("error-forbidden", command="capacity") in await ask(carl, "/capacity 12000 1")
    assert "4,513" not in await ask(carl, "/cost all")


@pytest.fixture
async def slack(orm: None, redis: Redis) -> AsyncIterator[Rig]:
    async with slack_rig(redis) as rig:
        await join(rig, "U0CLI", "client", name="client")
        await join(rig, "U0MGR", "manager", name="manager")
        yield rig


async def test_slack_agency_cost_for_the_admin_capacity_for_a_manager_and_a_client_refused(slack: Rig) -> None:
    await graduated("acme", "alpha.test", 3)
    agency = "\n".join(await slack.say("cost all"))
    assert seen(EN("cost-title-agency")) in agency
    line = EN(
        "cost-workspace-line", workspace="acme", total=f"4,513{RUB}", domains=1, mailboxes=3, saas_total=f"20,313{RUB}"
    )
    assert seen(line) in agency

    changed = "\n".join(await slack.say("cost_set saas_seat_month 1000 agency"))
    assert seen(EN("cost-changed-agency", name="saas_seat_month", before="0", after="1000")) in changed
    assert (await AgencySetting.get(key="costs")).value == {"saas_seat_month": 1000}
    again = "\n".join(await slack.say("cost all"))
    assert f"23,313{RUB}" in again  # three seats at 1,000 ₽ more on SaaS

    capacity = "\n".join(await slack.say("capacity 12000 1", user="U0MGR"))
    assert seen(EN("capacity-short", emails=12000, weeks=1, available=672)) in capacity
    denied = "\n".join(await slack.say("cost", user="U0CLI"))
    assert seen(EN("error-forbidden", command="cost")) in denied
    assert "4,513" not in denied

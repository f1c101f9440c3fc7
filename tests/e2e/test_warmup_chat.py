"""Warmup commands end to end: Telegram through the Bot API emulator and Slack through signed requests to the real
bolt app, on real PostgreSQL and Redis. Mailboxes are written straight into the database (their logins are not
what these tests are about)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

import pytest
from redis.asyncio import Redis

from engine.crypto import Vault, generate_key
from engine.i18n import translator
from engine.stats import EventRecord, record_events
from models import CapDeferral, Domain, Mailbox, Workspace
from models.enums import CapKind, EventKind, MailboxStatus, MailProvider, TlsMode
from tests.e2e.conftest import NOW, TelegramRig, ask
from tests.e2e.slackrig import CLOCK, Rig, join, seen, slack_rig
from tests.harness.telegram import TelegramUser

EN = translator("en")
ANNA = 700901
VAULT = Vault([generate_key()])
SECRET = VAULT.encrypt("pw")
TELEGRAM_LIMIT = 4096


def _mailbox(ws: Workspace, domain: Domain, address: str, started: dt.date) -> Mailbox:
    return Mailbox(
        workspace=ws, domain=domain, address=address, provider=MailProvider.GENERIC, smtp_host="127.0.0.1",
        smtp_port=587, smtp_tls=TlsMode.STARTTLS, imap_host="127.0.0.1", imap_port=993, imap_tls=TlsMode.IMPLICIT,
        username=address, secret_enc=SECRET, status=MailboxStatus.WARMING, warmup_started_on=started,
    )  # fmt: skip


async def mailboxes(slug: str, domain_name: str, count: int, *, started: dt.date, prefix: str = "box") -> list[int]:
    ws = await Workspace.get(slug=slug)
    domain, _ = await Domain.get_or_create(workspace=ws, name=domain_name)
    await Mailbox.bulk_create([_mailbox(ws, domain, f"{prefix}{n:04}@{domain_name}", started) for n in range(count)])
    return [b.id for b in await Mailbox.filter(domain_id=domain.id).order_by("address")]


async def landed(mailbox_id: int, when: dt.datetime, *, inbox: int, spam: int) -> None:
    box = await Mailbox.get(id=mailbox_id)
    kinds = [EventKind.WARMUP_INBOX] * inbox + [EventKind.WARMUP_SPAM] * spam
    await record_events([EventRecord(box.workspace_id, k, when, box.id, box.domain_id) for k in kinds])


async def manager(rig: TelegramRig) -> TelegramUser:
    await rig.admin("/workspace_new acme ACME")
    code = await rig.invite("acme", "manager")
    anna = rig.user(ANNA, first_name="Anna")
    await anna.send_command(f"/start {code}")
    await anna.wait_replies()
    return anna


# ------------------------------------------------------------------------------------------------ Telegram


async def test_telegram_warmup_of_a_mailbox_the_workspace_of_1200_and_a_big_domain(telegram: TelegramRig) -> None:
    anna = await manager(telegram)
    await Workspace.filter(slug="acme").update(timezone="UTC")
    today = NOW.date()
    [solo] = await mailboxes("acme", "alpha.test", 1, started=today - dt.timedelta(days=9), prefix="anna")
    fleet = await mailboxes("acme", "beta.test", 1199, started=today - dt.timedelta(days=20))
    await landed(solo, NOW - dt.timedelta(days=1), inbox=3, spam=0)
    for n, box_id in enumerate(fleet[:8]):  # measured ones, the worst first in the summary
        await landed(box_id, NOW - dt.timedelta(days=1), inbox=20 + n, spam=10)

    card = await ask(anna, "/warmup anna0000@alpha.test")
    assert EN("warmup-day", day=10, days=42) in card
    assert EN("warmup-placement-none", sample=3, needed=20) in card and "0 %" not in card
    assert EN("warmup-eta-warming", date=str(today + dt.timedelta(days=33)), threshold=85) in card
    assert "Today: target " in card and "sent 0" in card

    summary = await ask(anna, "/warmup")
    assert len(summary) < TELEGRAM_LIMIT and EN("warmup-title", total=1200) in summary
    assert f"{EN('warmup-stage-warming')}: 1,200" in summary  # grouped like every count
    assert EN("warmup-unmeasured", count=1192) in summary
    worst = summary.split(EN("warmup-worst"))[1]
    assert worst.index("box0000@beta.test") < worst.index("box0004@beta.test")
    assert EN("warmup-placement", percent=67, sample=30) in worst

    domain = await ask(anna, "/warmup beta.test")
    assert len(domain) < TELEGRAM_LIMIT and EN("warmup-domain-title", domain="beta.test", count=1199) in domain
    assert EN("list-more", count=1199 - 30) in domain
    assert ": day 21 of 42, today 0/" in domain

    # mailboxes at work long after their period: no "day 60 of 42", they are working
    working = await mailboxes("acme", "gamma.test", 4, started=today - dt.timedelta(days=59), prefix="work")
    await Mailbox.filter(id__in=working).update(status=MailboxStatus.ACTIVE)
    lines = await ask(anna, "/warmup gamma.test")
    assert "work0000@gamma.test: working, maintenance warmup today 0/" in lines and " day " not in lines
    await Mailbox.filter(id__in=working[1:]).delete()
    card = await ask(anna, "/warmup work0000@gamma.test")
    assert EN("warmup-eta-graduated") in card and "Warmup day" not in card


async def test_telegram_settings_pause_and_why(telegram: TelegramRig) -> None:
    anna = await manager(telegram)
    await Workspace.filter(slug="acme").update(timezone="UTC")
    [box_id] = await mailboxes("acme", "alpha.test", 1, started=NOW.date() - dt.timedelta(days=3))
    ws = await Workspace.get(slug="acme")

    shown = await ask(anna, "/warmup_settings")
    assert EN("warmup-setting-line", name="target_per_day", value="40", bounds="10–50") in shown
    assert EN("warmup-setting-line", name="pool", value="workspace", bounds="workspace | agency") in shown
    assert EN("warmup-setting-line", name="weekdays_only", value="false", bounds="true | false") in shown  # as typed
    refused = await ask(anna, "/warmup_settings target_per_day 500")
    assert EN("error-warmup-setting", name="target_per_day", value="500", bounds="10–50") in refused
    changed = await ask(anna, "/warmup_settings target_per_day 30")
    assert changed.startswith(EN("warmup-setting-changed", name="target_per_day", before="40", after="30"))
    # the mailbox on day 4 of its ramp goes on from its volume: the reply says so
    assert EN("warmup-setting-continued", count=1, step=1, target=30) in changed
    assert (await Mailbox.get(id=box_id)).warmup_ramp_level == 5
    assert "warmup-setting-lowered" not in changed and EN("warmup-setting-lowered", count=1, target=30) not in changed
    assert (await Workspace.get(id=ws.id)).settings["warmup"] == {"target_per_day": 30}
    one = await ask(anna, "/warmup_settings Min_Placement")  # a name without a value: that setting, not an error
    assert EN("warmup-setting-line", name="min_placement", value="0.85", bounds="0.5–0.99") in one
    assert EN("warmup-setting-hint", name="min_placement") in one
    percent = await ask(anna, "/warmup_settings min_placement 90%")  # as the warmup card shows it
    assert percent == EN("warmup-setting-changed", name="min_placement", before="0.85", after="0.9")
    spaced = await ask(anna, "/warmup_settings min_placement 85 %")  # with the space the card writes
    assert spaced == EN("warmup-setting-changed", name="min_placement", before="0.9", after="0.85")

    paused = await ask(anna, "/warmup_pause alpha.test")
    assert EN("warmup-paused", changed=1, unchanged=0) in paused
    assert (await Mailbox.get(id=box_id)).warmup_paused_at == NOW

    nothing = await ask(anna, "/why box0000@alpha.test")
    assert nothing == EN("why-nothing", target="box0000@alpha.test")
    await CapDeferral.create(
        workspace=ws, mailbox_id=box_id, day=NOW.date(), cap=CapKind.DOMAIN, wanted=12, allowed=7, updated_at=NOW
    )
    told = await ask(anna, "/why alpha.test")
    assert EN("why-line", mailbox="box0000@alpha.test", wanted=12, allowed=7, cap=EN("why-cap-domain")) in told


# ------------------------------------------------------------------------------------------------ Slack


@pytest.fixture
async def slack(orm: None, redis: Redis) -> AsyncIterator[Rig]:
    async with slack_rig(redis) as rig:
        await join(rig, "U0CLI", "client", name="client")
        yield rig


def today_in_moscow() -> dt.date:
    return CLOCK.now().astimezone(ZoneInfo("Europe/Moscow")).date()  # the workspace's default time zone


async def test_slack_warmup_card_for_a_client_and_a_bad_setting_for_the_admin(slack: Rig) -> None:
    [box_id] = await mailboxes("acme", "alpha.test", 1, started=today_in_moscow() - dt.timedelta(days=2))
    await landed(box_id, CLOCK.now() - dt.timedelta(days=1), inbox=40, spam=0)

    card = "\n".join(await slack.say("warmup box0000@alpha.test", user="U0CLI"))
    assert seen(EN("warmup-placement", percent=100, sample=40)) in card
    assert seen(EN("warmup-day", day=3, days=42)) in card
    summary = "\n".join(await slack.say("warmup", user="U0CLI"))
    assert seen(EN("warmup-title", total=1)) in summary

    refused = "\n".join(await slack.say("warmup_settings weeks 12"))
    assert seen(EN("error-warmup-setting", name="weeks", value="12", bounds="4–8")) in refused
    assert (await Workspace.get(slug="acme")).settings.get("warmup") is None
    denied = "\n".join(await slack.say("warmup_settings weeks 5", user="U0CLI"))
    assert seen(EN("error-forbidden", command="warmup_settings")) in denied


async def test_slack_pause_then_why(slack: Rig) -> None:
    [box_id] = await mailboxes("acme", "alpha.test", 1, started=today_in_moscow())
    paused = "\n".join(await slack.say("warmup_pause all"))
    assert seen(EN("warmup-paused", changed=1, unchanged=0)) in paused
    assert (await Mailbox.get(id=box_id)).warmup_paused_at is not None
    again = "\n".join(await slack.say("warmup_pause box0000@alpha.test"))
    assert seen(EN("warmup-paused", changed=0, unchanged=1)) in again

    ws = await Workspace.get(slug="acme")
    await CapDeferral.create(
        workspace=ws, mailbox_id=box_id, day=today_in_moscow(), cap=CapKind.STATUS, wanted=3, allowed=0,
        updated_at=CLOCK.now(),
    )  # fmt: skip
    told = "\n".join(await slack.say("why box0000@alpha.test"))
    assert seen(EN("why-line", mailbox="box0000@alpha.test", wanted=3, allowed=0, cap=EN("why-cap-status"))) in told
    none = "\n".join(await slack.say("why nobody@alpha.test"))
    assert seen(EN("error-mailbox-not-found", address="nobody@alpha.test")) in none

"""Warmup settings changed while mailboxes warm: the real planner over simulated days (a FrozenClock moved a day at a
time) plans each mailbox's volume from where it had got to, never from its ramp recomputed with the new values."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

import pytest

from engine.access import Actor
from engine.clock import FrozenClock
from engine.sending.planner import PlanOptions, plan_warmup
from engine.warmup import service
from engine.warmup.settings import WarmupSettings
from models import Domain, Mailbox, OutboundMessage, Workspace
from models.enums import DomainStatus, MailboxStatus, MailProvider, MessageKind, MessageStatus, Platform, Role, TlsMode

pytestmark = pytest.mark.usefixtures("orm")

ZONE = ZoneInfo("Europe/Moscow")
FIRST = dt.date(2031, 3, 3)  # a Monday
PLAN_AT = dt.time(6, 0)  # UTC: 09:00 in Moscow, inside the send window
SETTINGS = WarmupSettings().with_values({"start_per_day": 1, "step_per_day": 3, "target_per_day": 10, "variance": 0})


def at(day: int, hour: int = 6) -> FrozenClock:
    """The clock on warmup day `day` (1 = FIRST)."""
    moment = dt.datetime.combine(FIRST + dt.timedelta(days=day - 1), dt.time(hour), tzinfo=dt.UTC)
    return FrozenClock(moment)


def manager(ws: Workspace) -> Actor:
    return Actor(person_id=None, platform=Platform.TELEGRAM, role=Role.MANAGER, workspace_id=ws.id, locale="ru")


async def fleet() -> tuple[Workspace, list[Mailbox]]:
    """Twenty mailboxes on four domains: each has fifteen peers on other domains, more than any day asks for (the
    plans leave out the rule against a pair of the last days, which a fleet this small could not keep)."""
    ws = await Workspace.create(slug="acme", name="Acme", timezone=str(ZONE), settings={"warmup": SETTINGS.to_json()})
    boxes = []
    for d in range(4):
        domain = await Domain.create(workspace=ws, name=f"d{d}.test", status=DomainStatus.WARMING, daily_cap=500)
        for i in range(5):
            address = f"user{i}@{domain.name}"
            box = await Mailbox.create(
                workspace=ws, domain=domain, address=address, display_name=f"User {d}-{i}",
                provider=MailProvider.GENERIC, smtp_host="127.0.0.1", smtp_port=2525, smtp_tls=TlsMode.PLAIN,
                imap_host="127.0.0.1", imap_port=1143, imap_tls=TlsMode.PLAIN, username=address,
                secret_enc=b"x", status=MailboxStatus.WARMING, warmup_started_on=FIRST,
            )  # fmt: skip
            boxes.append(box)
    return ws, boxes


async def planned_on(day: int) -> Counter[int]:
    """Warmup rows each mailbox has on warmup day `day` (the workspace's day), as the planner left them."""
    start = dt.datetime.combine(FIRST + dt.timedelta(days=day - 1), dt.time(), tzinfo=ZONE)
    rows = await OutboundMessage.filter(
        kind=MessageKind.WARMUP, scheduled_at__gte=start, scheduled_at__lt=start + dt.timedelta(days=1)
    ).exclude(status=MessageStatus.CANCELLED)
    return Counter(r.mailbox_id for r in rows)


async def test_ramp_settings_changed_mid_ramp_continue_from_each_mailboxs_volume_over_days() -> None:
    """Before: the step lowered from 3 to 1 on day 3 (volume 7) planned 4 on day 4 — the ramp recomputed from the
    start —, and the target raised from 10 to 20 on day 7 (a plateau of 10) planned 8 on day 8; a mailbox whose
    warmup was paused meanwhile came back at 3, below the 4 it had stopped at. Now each goes on from its own
    volume, by at most the step a day."""
    ws, boxes = await fleet()
    paused = boxes[0]
    replies = {}
    volumes: dict[int, list[int]] = {b.id: [] for b in boxes}
    for day in range(1, 11):
        await plan_warmup(at(day), PlanOptions(seed=day, recent_days=0))  # every one gets what it wants
        counts = await planned_on(day)
        for box in boxes:
            volumes[box.id].append(counts[box.id])
        if day == 2:
            await service.pause_warmup(manager(ws), at(day, 12), paused.address)
        if day == 3:
            replies["step"] = await service.set_setting(manager(ws), at(day, 12), "step_per_day", "1")
        if day == 7:
            replies["target"] = await service.set_setting(manager(ws), at(day, 12), "target_per_day", "20")
        if day == 8:
            await service.start_warmup(manager(ws), at(day, 20), paused.address)  # after the day's plan: from day 9

    for box in boxes[1:]:
        assert volumes[box.id] == [1, 4, 7, 8, 9, 10, 10, 11, 12, 13], box.address
    assert volumes[paused.id] == [1, 4, 0, 0, 0, 0, 0, 0, 5, 6]  # goes on from the volume it stopped at
    assert (replies["step"].continued, replies["step"].above) == (20, 0)
    assert (replies["target"].continued, replies["target"].above) == (20, 0)
    assert replies["target"].settings.target_per_day == 20

    # the target lowered below today's volume is the ceiling at once; raised again, the volume climbs from there by
    # the new step a day
    lowered = await service.set_setting(manager(ws), at(10, 12), "target_per_day", "12")
    assert (lowered.continued, lowered.above) == (20, 19)
    await plan_warmup(at(11), PlanOptions(seed=11, recent_days=0))
    assert (await planned_on(11))[boxes[1].id] == 12
    await service.set_setting(manager(ws), at(11, 12), "step_per_day", "2")
    await service.set_setting(manager(ws), at(11, 13), "target_per_day", "40")
    await plan_warmup(at(12), PlanOptions(seed=12, recent_days=0))
    assert (await planned_on(12))[boxes[1].id] == 14

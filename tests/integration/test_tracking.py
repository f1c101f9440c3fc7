"""The tracking host through a real aiohttp server (the project's web app) on the real database and Redis:
one-click unsubscribe suppresses, stops and cancels within the request and only once; a GET never unsubscribes;
clicks redirect only to links the message held; opens count only for HTML campaigns, once an hour."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient, TestServer
from redis.asyncio import Redis
from tortoise.transactions import in_transaction

from engine import db
from engine.access import Actor
from engine.alerts import RESOLUTION_SAYS, raise_alert
from engine.clock import FrozenClock
from engine.compliance.forget import forget
from engine.compliance.hashing import AddressHasher
from engine.errors import Conflict
from engine.i18n import translator
from engine.leads.suppression import is_suppressed, suppress, unsuppress
from engine.monitoring.metrics import Minimums
from engine.reports.service import summary
from engine.stats import PIXEL_DATA, EventRecord, counters, record_events
from engine.tracking import TOKEN_CHARS, TokenKind, TrackingLinks, unsubscribe
from mailfleet.tracking_web import PIXEL
from mailfleet.web import create_app
from models import Alert, Campaign, Enrollment, Event, Lead, OutboundMessage, Suppression, Workspace
from models.enums import (
    AlertStatus,
    CampaignStatus,
    EnrollmentState,
    EventKind,
    MessageKind,
    MessageStatus,
    Platform,
    Role,
    Severity,
    StatScope,
    SuppressionReason,
)
from tests.integration.content_world import NOW, World, make_world, planned_row
from tests.integration.txprobe import holding, stopped_on_lock

pytestmark = pytest.mark.usefixtures("orm")

LINKS = TrackingLinks("https://t.example.com", b"k" * 32)
ONE_CLICK = {"Content-Type": "application/x-www-form-urlencoded"}
TODAY = dt.date(2026, 12, 1)
BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
async def client(redis: Redis, clock: FrozenClock) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    app = create_app(redis, tracking=LINKS, clock=clock)
    async with TestClient(TestServer(app), headers={"User-Agent": BROWSER}) as test_client:  # a person, by default
        yield test_client


def sent_event(world: World, row: OutboundMessage, *, pixel: bool) -> EventRecord:
    """The SENT event the outbox records for a campaign row (`pixel`: the message carried the open pixel)."""
    data: dict[str, object] = {"kind": "campaign", PIXEL_DATA: True} if pixel else {"kind": "campaign"}
    return EventRecord(
        world.workspace.id, EventKind.SENT, NOW, mailbox_id=world.mailbox.id, campaign_id=world.campaign.id,
        lead_id=row.lead_id, message_id=row.id, data=data,
    )  # fmt: skip


def path(url: str) -> str:
    return url.removeprefix(LINKS.base_url)


async def unsubscribe_world() -> tuple[World, OutboundMessage, list[OutboundMessage]]:
    """Lead 0 got step 1; its step 2 is planned, lead 1's step 1 is queued (it must survive)."""
    world = await make_world()
    sent = await planned_row(world, 0, status=MessageStatus.SENT)
    follow_up = await planned_row(world, 0, step=2, status=MessageStatus.PLANNED, at=NOW + dt.timedelta(days=3))
    other = await planned_row(world, 1, status=MessageStatus.QUEUED)
    return world, sent, [follow_up, other]


async def test_one_click_unsubscribe_acts_within_the_request_and_only_once(client: TestClient) -> None:  # type: ignore[type-arg]
    world, sent, (follow_up, other) = await unsubscribe_world()
    url = path(LINKS.unsubscribe_url(sent.id))
    response = await client.post(url, data=b"List-Unsubscribe=One-Click", headers=ONE_CLICK)
    assert response.status == 200
    assert "set-cookie" not in {k.lower() for k in response.headers}
    assert "вы отписаны" in await response.text()
    # within the request: suppressed, stopped, cancelled, counted
    suppression = await Suppression.get(workspace_id=world.workspace.id, value="lead0@client.example")
    assert suppression.reason is SuppressionReason.UNSUBSCRIBE
    enrollment = await Enrollment.get(id=world.enrollments[0].id)
    assert enrollment.state is EnrollmentState.UNSUBSCRIBED and enrollment.next_due_at is None
    assert (await OutboundMessage.get(id=follow_up.id)).status is MessageStatus.CANCELLED
    assert (await OutboundMessage.get(id=sent.id)).status is MessageStatus.SENT
    assert (await OutboundMessage.get(id=other.id)).status is MessageStatus.QUEUED  # another lead
    assert (await Enrollment.get(id=world.enrollments[1].id)).state is EnrollmentState.ACTIVE
    events = await Event.filter(kind=EventKind.UNSUBSCRIBE).values("campaign_id", "lead_id", "message_id", "data")
    assert events == [
        {
            "campaign_id": world.campaign.id,
            "lead_id": world.leads[0].id,
            "message_id": sent.id,
            "data": {"via": "one-click", "stopped": 1, "cancelled": 1},
        }
    ]
    assert (await counters(StatScope.CAMPAIGN, world.campaign.id, TODAY))["unsubscribes"] == 1
    # a second click (and the page's button) change nothing
    for _ in range(2):
        again = await client.post(url, data=b"List-Unsubscribe=One-Click", headers=ONE_CLICK)
        assert again.status == 200
    assert await Event.filter(kind=EventKind.UNSUBSCRIBE).count() == 1
    assert (await counters(StatScope.CAMPAIGN, world.campaign.id, TODAY))["unsubscribes"] == 1
    assert await Suppression.filter(value="lead0@client.example").count() == 1


async def test_two_clicks_at_once_act_once(clock: FrozenClock) -> None:
    world, sent, _ = await unsubscribe_world()
    results = await asyncio.gather(*(unsubscribe(sent.id, clock) for _ in range(4)))
    assert sorted(results) == [False, False, False, True]
    assert await Event.filter(kind=EventKind.UNSUBSCRIBE).count() == 1
    assert (await counters(StatScope.WORKSPACE, world.workspace.id, TODAY))["unsubscribes"] == 1


async def test_an_unsubscribe_is_one_transaction(clock: FrozenClock, database_url: str) -> None:
    """Stopped half-way (the follow-up's row held by another session), nothing of it shows yet: not the
    suppression, not the stopped enrollment; the lead stays locked until it commits, then all of it shows."""
    world, sent, (follow_up, _) = await unsubscribe_world()
    hold = "SELECT id FROM outbound_message WHERE id = $1 FOR UPDATE"
    async with holding(database_url, hold, follow_up.id) as looker:
        task = await stopped_on_lock(looker, unsubscribe(sent.id, clock))
        seen = await looker.fetchrow(
            "SELECT (SELECT state FROM enrollment WHERE id = $1) AS state, (SELECT count(*) FROM suppression) AS n",
            world.enrollments[0].id,
        )
        assert (seen["state"], seen["n"]) == ("active", 0)
        with pytest.raises(asyncpg.LockNotAvailableError):  # two clicks queue on the lead
            await looker.fetch("SELECT id FROM lead WHERE id = $1 FOR UPDATE NOWAIT", world.leads[0].id)
    assert await task is True
    assert (await Enrollment.get(id=world.enrollments[0].id)).state is EnrollmentState.UNSUBSCRIBED
    assert (await OutboundMessage.get(id=follow_up.id)).status is MessageStatus.CANCELLED


async def test_a_get_shows_a_page_and_changes_nothing(client: TestClient) -> None:  # type: ignore[type-arg]
    world, sent, _ = await unsubscribe_world()
    response = await client.get(path(LINKS.unsubscribe_url(sent.id)))
    assert response.status == 200
    page = await response.text()
    assert '<form method="post">' in page and 'name="List-Unsubscribe" value="One-Click"' in page
    assert "Отписаться" in page
    assert response.headers["Cache-Control"].startswith("no-store")
    assert await Suppression.all().count() == 0
    assert (await Enrollment.get(id=world.enrollments[0].id)).state is EnrollmentState.ACTIVE


async def test_a_test_send_unsubscribe_changes_nothing(client: TestClient) -> None:  # type: ignore[type-arg]
    world = await make_world()
    test_row = await planned_row(world, 0, kind=MessageKind.TEST, status=MessageStatus.SENT)
    response = await client.post(path(LINKS.unsubscribe_url(test_row.id)), data=b"List-Unsubscribe=One-Click")
    assert response.status == 200
    assert await Suppression.all().count() == 0
    assert await Event.all().count() == 0


async def test_bad_tokens_sizes_and_methods(client: TestClient) -> None:  # type: ignore[type-arg]
    _, sent, _ = await unsubscribe_world()
    good = path(LINKS.unsubscribe_url(sent.id))
    token = good.rsplit("/", 1)[1]
    forged = TrackingLinks("https://t.example.com", b"x" * 32).unsubscribe_url(sent.id)
    for bad in (
        f"/t/u/{token[:-1]}",
        f"/t/u/{token[:-1]}{'A' if token[-1] != 'A' else 'B'}",
        path(forged),
        path(LINKS.click_url(sent.id, 0)).replace("/t/c/", "/t/u/"),  # a click token is no unsubscribe
        f"/t/u/{'A' * 5000}",
    ):
        response = await client.post(bad, data=b"List-Unsubscribe=One-Click")
        assert response.status == 404, bad
        assert (await client.get(bad)).status == 404
    english = await client.get(f"/t/u/{token[:-1]}", headers={"Accept-Language": "en-GB;q=0.9,ru;q=0.5"})
    assert english.status == 404 and "Link not found" in await english.text()
    big = await client.post(good, data=b"List-Unsubscribe=One-Click&" + b"x" * 1100)
    assert big.status == 413

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(3):
            yield b"y" * 600

    chunked = await client.post(good, data=chunks())
    assert chunked.status == 413
    # `Expect: 100-continue` with 10 MB declared: refused before the client is told to send it (no 100 first)
    reader, writer = await asyncio.open_connection(client.host, client.port)
    writer.write(
        f"POST {good} HTTP/1.1\r\nHost: t.example.com\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {10 * 1024 * 1024}\r\nExpect: 100-continue\r\n\r\n".encode()
    )
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    finally:
        writer.close()
    assert head.startswith(b"HTTP/1.1 413 ") and b"\r\nConnection: close\r\n" in head, head  # nothing to send
    for method in ("PUT", "DELETE", "PATCH"):
        assert (await client.request(method, good)).status == 405
    assert (await client.post(path(LINKS.open_url(sent.id)))).status == 405
    assert await Suppression.all().count() == 0


async def test_click_redirects_only_to_stored_links(client: TestClient, clock: FrozenClock) -> None:  # type: ignore[type-arg]
    world = await make_world()
    links = ["https://acme.example/offer", "https://acme.example/b?x=1&y=2"]
    row = await planned_row(world, 0, links=links)
    response = await client.get(path(LINKS.click_url(row.id, 1)), allow_redirects=False)
    assert response.status == 302
    assert response.headers["Location"] == links[1]
    # a valid signature for a link the message did not have, or a row without links: a 404 page, no redirect
    for url in (LINKS.click_url(row.id, 2), LINKS.click_url(row.id + 1000, 0)):
        missing = await client.get(path(url), allow_redirects=False)
        assert missing.status == 404 and "Location" not in missing.headers
    no_links = await planned_row(world, 1, links=None)
    assert (await client.get(path(LINKS.click_url(no_links.id, 0)), allow_redirects=False)).status == 404
    tampered = path(LINKS.click_url(row.id, 0))[:-2] + "AA"
    assert (await client.get(tampered, allow_redirects=False)).status == 404
    # counted once per message, link and clock hour, with the campaign
    await client.get(path(LINKS.click_url(row.id, 1)), allow_redirects=False)
    assert await Event.filter(kind=EventKind.CLICK, campaign_id=world.campaign.id, message_id=row.id).count() == 1
    clock.advance(dt.timedelta(hours=1))
    await client.get(path(LINKS.click_url(row.id, 1)), allow_redirects=False)
    await client.get(path(LINKS.click_url(row.id, 0)), allow_redirects=False)
    assert await Event.filter(kind=EventKind.CLICK).count() == 3
    assert (await counters(StatScope.CAMPAIGN, world.campaign.id, TODAY))["clicks"] == 3


async def test_opens_count_only_for_html_campaigns_once_an_hour(client: TestClient, clock: FrozenClock) -> None:  # type: ignore[type-arg]
    html_world = await make_world(html=True)
    plain_world = await make_world(html=False)
    html_row = await planned_row(html_world, 0)
    plain_row = await planned_row(plain_world, 0)
    test_row = await planned_row(html_world, 1, kind=MessageKind.TEST)
    unsent = await planned_row(html_world, 1, status=MessageStatus.PLANNED)
    for row in (html_row, html_row, plain_row, test_row, unsent):
        response = await client.get(path(LINKS.open_url(row.id)))
        assert response.status == 200
        assert response.headers["Content-Type"] == "image/gif"
        assert await response.read() == PIXEL
    bad = await client.get("/t/o/" + "A" * 31)
    assert bad.status == 200 and await bad.read() == PIXEL  # the image, whatever the token
    opens = await Event.filter(kind=EventKind.OPEN).values_list("campaign_id", "message_id")
    assert opens == [(html_world.campaign.id, html_row.id)]
    clock.advance(dt.timedelta(minutes=61))
    await client.get(path(LINKS.open_url(html_row.id)))
    assert await Event.filter(kind=EventKind.OPEN).count() == 2  # recorded again in a new hour
    assert (await counters(StatScope.CAMPAIGN, html_world.campaign.id, TODAY))["opens"] == 1  # one message opened
    assert (await counters(StatScope.CAMPAIGN, plain_world.campaign.id, TODAY))["opens"] == 0


async def test_an_open_or_a_click_settles_a_send_left_unknown_as_sent_once(  # type: ignore[type-arg]
    client: TestClient, clock: FrozenClock
) -> None:
    """A send left `unknown` (a worker died mid-send) that a lead opened or clicked went out: it stayed unknown,
    missing from the campaign's sent count while its open or click counted. It is settled as sent now, once."""
    world = await make_world(html=True)
    claimed = NOW - dt.timedelta(minutes=30)
    opened = await planned_row(world, 0, status=MessageStatus.UNKNOWN, links=["https://acme.example/offer"])
    clicked = await planned_row(world, 1, status=MessageStatus.UNKNOWN, links=["https://acme.example/offer"])
    await OutboundMessage.filter(id__in=[opened.id, clicked.id]).update(claimed_at=claimed)

    for _ in range(2):
        await client.get(path(LINKS.open_url(opened.id)))
        await client.get(path(LINKS.click_url(clicked.id, 0)), allow_redirects=False)
        clock.advance(dt.timedelta(hours=1))  # each hour's open and click recorded again: settled once

    for row in (opened, clicked):
        settled = await OutboundMessage.get(id=row.id)
        assert (settled.status, settled.sent_at) == (MessageStatus.SENT, claimed)
    assert sorted(await Event.filter(kind=EventKind.SENT).values_list("message_id", flat=True)) == sorted(
        [opened.id, clicked.id]
    )
    day = claimed.astimezone(ZoneInfo(world.workspace.timezone)).date()
    counted = await counters(StatScope.CAMPAIGN, world.campaign.id, day)
    assert (counted["sent"], counted["opens"], counted["clicks"]) == (2, 1, 2)


async def test_an_unsubscribe_through_the_letter_settles_a_send_left_unknown_as_sent_once(  # type: ignore[type-arg]
    client: TestClient,
) -> None:
    """A lead who opted out through the link (or List-Unsubscribe one-click) of a send left `unknown` had the
    letter — as an open or a click proves — yet it stayed unknown, out of the campaign's sent count while its
    opt-out counted. It is settled as sent now, once, with the opt-out."""
    world = await make_world()
    claimed = NOW - dt.timedelta(minutes=30)
    row = await planned_row(world, 0, status=MessageStatus.UNKNOWN)
    await OutboundMessage.filter(id=row.id).update(claimed_at=claimed)
    url = path(LINKS.unsubscribe_url(row.id))
    for _ in range(2):  # the second click changes nothing
        response = await client.post(url, data=b"List-Unsubscribe=One-Click", headers=ONE_CLICK)
        assert response.status == 200
    settled = await OutboundMessage.get(id=row.id)
    assert (settled.status, settled.sent_at) == (MessageStatus.SENT, claimed)
    assert await Event.filter(kind=EventKind.SENT).values_list("message_id", flat=True) == [row.id]
    assert await Event.filter(kind=EventKind.UNSUBSCRIBE).count() == 1
    day = claimed.astimezone(ZoneInfo(world.workspace.timezone)).date()
    counted = await counters(StatScope.CAMPAIGN, world.campaign.id, day)
    assert (counted["sent"], counted["unsubscribes"]) == (1, 1)


async def test_the_alert_about_unknown_sends_is_resolved_once_none_of_the_mailboxs_is_left(  # type: ignore[type-arg]
    client: TestClient,
) -> None:
    """The recovery's alert 'send outcome unknown' stayed open after an open and an opt-out had settled every
    send it was about; it is resolved, saying why, once none of the mailbox's sends is left unknown — not before."""
    world = await make_world(html=True)
    opened = await planned_row(world, 0, status=MessageStatus.UNKNOWN)
    left = await planned_row(world, 1, status=MessageStatus.UNKNOWN)
    await OutboundMessage.filter(id__in=[opened.id, left.id]).update(claimed_at=NOW - dt.timedelta(minutes=30))
    await raise_alert(
        workspace_id=world.workspace.id, kind="send_unknown", severity=Severity.WARNING,
        subject=f"mailbox:{world.mailbox.id}", key=NOW.date().isoformat(), data={"count": 2}, now=NOW,
    )  # fmt: skip
    await client.get(path(LINKS.open_url(opened.id)))
    assert (await OutboundMessage.get(id=opened.id)).status is MessageStatus.SENT
    assert (await Alert.get(kind="send_unknown")).status is AlertStatus.OPEN  # one is still unknown
    await client.post(path(LINKS.unsubscribe_url(left.id)), data=b"List-Unsubscribe=One-Click", headers=ONE_CLICK)
    alert = await Alert.get(kind="send_unknown")
    assert (alert.status, alert.data[RESOLUTION_SAYS]) == (AlertStatus.RESOLVED, "alert-resolved-settled")
    said = translator("en")("alert-resolved-settled", kind="send outcome unknown", subject="anna@acme.test")
    assert "went out" in said and "{" not in said


def _mutations(token: str) -> list[str]:
    """Every single-character change of a token (one per position), the way someone probing for ids would."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    return [token[:i] + alphabet[(alphabet.index(c) + 7) % 64] + token[i + 1 :] for i, c in enumerate(token)]


async def test_crafted_tokens_are_404_and_change_nothing(client: TestClient, redis: Redis) -> None:  # type: ignore[type-arg]
    """Tampered, foreign-key, kind-swapped and neighbour-guessing tokens for a real row that has links: each one
    is a 404 without a redirect (a pixel for an open), and nothing is written (events, counters, suppressions,
    the row, Redis)."""
    world = await make_world(html=True)
    row = await planned_row(world, 0, status=MessageStatus.SENT, links=["https://acme.example/offer"])
    other_key = TrackingLinks("https://t.example.com", b"x" * 32)
    crafted: list[str] = []
    for kind, token in (
        ("c", LINKS.token(TokenKind.CLICK, row.id, 0)),
        ("u", LINKS.token(TokenKind.UNSUBSCRIBE, row.id)),
        ("o", LINKS.token(TokenKind.OPEN, row.id)),
    ):
        crafted += [f"/t/{kind}/{bad}" for bad in _mutations(token)]
    crafted += [
        path(other_key.click_url(row.id, 0)),
        path(other_key.unsubscribe_url(row.id)),
        path(LINKS.click_url(row.id, 0)).replace("/t/c/", "/t/u/"),
        path(LINKS.unsubscribe_url(row.id)).replace("/t/u/", "/t/c/"),
        path(LINKS.open_url(row.id)).replace("/t/o/", "/t/c/"),
        path(LINKS.click_url(row.id, 1)),  # signed, but the message has one link
        path(LINKS.click_url(row.id + 1, 0)),  # signed, the next row (which does not exist)
        "/t/c/" + "A" * TOKEN_CHARS,
        "/t/c/%2F%2Fevil.example",
        "/t/c/https:%2F%2Fevil.example",
    ]
    stats_before = await counters(StatScope.CAMPAIGN, world.campaign.id, TODAY)
    redis_before = sorted(await redis.keys("*"))
    for url in crafted:
        response = await client.get(url, allow_redirects=False)
        if url.startswith("/t/o/"):  # the pixel is always served (a broken image would tell); nothing counted
            assert (response.status, await response.read()) == (200, PIXEL), url
        else:
            assert response.status == 404 and "Location" not in response.headers, url
        posted = await client.post(url, data=b"List-Unsubscribe=One-Click", headers=ONE_CLICK, allow_redirects=False)
        assert posted.status in (404, 405) and "Location" not in posted.headers, url
    assert await Event.all().count() == 0 and await Suppression.all().count() == 0
    assert await counters(StatScope.CAMPAIGN, world.campaign.id, TODAY) == stats_before
    assert (await OutboundMessage.get(id=row.id)).status is MessageStatus.SENT
    assert sorted(await redis.keys("*")) == redis_before
    # a query string never names the target either
    redirected = await client.get(path(LINKS.click_url(row.id, 0)) + "?url=https://evil.example", allow_redirects=False)
    assert redirected.headers["Location"] == "https://acme.example/offer"


async def test_click_leads_to_the_link_as_written_and_never_fails(client: TestClient) -> None:  # type: ignore[type-arg]
    """Links as people write them: an upper-case scheme, an IDN host with a Cyrillic path, a signed query whose
    `%2F`/`%3A` must reach the site unchanged — each a 302 to it; a link no redirect can name (a zero-width space
    pasted into the host, a port out of range, a broken IPv6 literal) is a localized 404, never a 500, and is not
    counted."""
    world = await make_world()
    signed = "https://cdn.example/f.pdf?X-Cred=AKIA%2F20261201%2Fru&next=https%3A%2F%2Fx.example%2F%3Fa%3D1&sig=a%2Bb"
    links = [
        "HTTPS://Example.COM/Offer",
        "https://пример.рф/путь?q=да#якорь",
        signed,
        "https://ex\u200bample.com/",
        "https://acme.example:99999/",
        "https://[oops/x",
    ]
    row = await planned_row(world, 0, links=links)
    expected = [
        "https://Example.COM/Offer",
        "https://xn--e1afmkfd.xn--p1ai/%D0%BF%D1%83%D1%82%D1%8C?q=%D0%B4%D0%B0#%D1%8F%D0%BA%D0%BE%D1%80%D1%8C",
        signed,
    ]
    for index, location in enumerate(expected):
        response = await client.get(path(LINKS.click_url(row.id, index)), allow_redirects=False)
        assert (response.status, response.headers.get("Location")) == (302, location), links[index]
    for index in range(len(expected), len(links)):
        response = await client.get(
            path(LINKS.click_url(row.id, index)), allow_redirects=False, headers={"Accept-Language": "en"}
        )
        assert response.status == 404 and "Location" not in response.headers, links[index]
        assert "Link not found" in await response.text()
    clicked = await Event.filter(kind=EventKind.CLICK).order_by("id").values_list("data", flat=True)
    assert clicked == [{"link": 0}, {"link": 1}, {"link": 2}]


async def test_a_scanner_heads_every_link_and_nothing_counts(client: TestClient, redis: Redis) -> None:  # type: ignore[type-arg]
    """A mail security gateway (Safe Links, Mimecast, Proofpoint) or an image proxy HEADs the click link, the
    pixel and the unsubscribe URL before anyone reads the mail: each answers as its GET would (RFC 9110 §9.1:
    HEAD is supported wherever GET is) and nothing is counted, suppressed or remembered — so the person's own
    click and open an instant later still count."""
    world = await make_world(html=True)
    row = await planned_row(world, 0, links=["https://acme.example/offer?utm_source=mail"])
    click_url, open_url = path(LINKS.click_url(row.id, 0)), path(LINKS.open_url(row.id))
    unsubscribe_url = path(LINKS.unsubscribe_url(row.id))
    for _ in range(2):
        clicked = await client.head(click_url, allow_redirects=False)
        assert (clicked.status, clicked.headers["Location"]) == (302, "https://acme.example/offer?utm_source=mail")
        pixel = await client.head(open_url)
        assert (pixel.status, pixel.headers["Content-Type"]) == (200, "image/gif")
        page = await client.head(unsubscribe_url)
        assert page.status == 200 and page.headers["Content-Type"].startswith("text/html")
        assert (await client.head(path(LINKS.click_url(row.id, 1)), allow_redirects=False)).status == 404
    assert await Event.all().count() == 0 and await Suppression.all().count() == 0
    assert (await Enrollment.get(id=world.enrollments[0].id)).state is EnrollmentState.ACTIVE
    assert await redis.keys("*") == []
    await client.get(click_url, allow_redirects=False)
    await client.get(open_url)
    assert sorted(await Event.all().values_list("kind", flat=True)) == [EventKind.CLICK, EventKind.OPEN]


async def test_a_gateway_that_follows_every_link_counts_no_click(client: TestClient) -> None:  # type: ignore[type-arg]
    """Mail security gateways GET every link of a message as it arrives: every message was reported clicked. A
    request without a User-Agent, or with one of a link scanner, a mail client's link preview, a crawler or an
    HTTP library, is redirected like any other and counts nothing; the person's browser then counts."""
    world = await make_world()
    row = await planned_row(world, 0, links=["https://acme.example/offer"])
    url = path(LINKS.click_url(row.id, 0))
    machines = [
        "",
        "Barracuda Sentinel (EE)",
        "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.5017; Pro)",
        "curl/8.5.0",
        "python-requests/2.31.0",
        "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0 Safari/537.36",
        "curl/8.5.0 " + "x" * 8_000,  # read up to USER_AGENT_READ characters: still a machine
    ]
    for agent in machines:
        response = await client.get(url, allow_redirects=False, headers={"User-Agent": agent})
        assert (response.status, response.headers["Location"]) == (302, "https://acme.example/offer"), agent
    assert await Event.filter(kind=EventKind.CLICK).count() == 0
    for agent in (BROWSER, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"):
        await client.get(url, allow_redirects=False, headers={"User-Agent": agent})
    assert await Event.filter(kind=EventKind.CLICK).count() == 1  # once an hour


async def test_after_forget_the_person_is_tracked_no_more(client: TestClient, clock: FrozenClock) -> None:  # type: ignore[type-arg]
    """/forget erases the records of a person's tracking (their open stays counted, cleared of the person: 25697a7);
    the mail stays in their inbox, and their mail client keeps loading the pixel. Opening it after the erasure
    records nothing new, and the unsubscribe link still answers that they are unsubscribed (the hashed
    suppression stands)."""
    world = await make_world(html=True)
    row = await planned_row(world, 0, links=["https://acme.example/offer"])
    assert (await client.get(path(LINKS.open_url(row.id)))).status == 200
    assert await Event.filter(kind=EventKind.OPEN).count() == 1
    manager = Actor(person_id=None, platform=Platform.CONSOLE, role=Role.MANAGER, workspace_id=world.workspace.id)
    erased = await forget(manager, clock, "lead0@client.example", hasher=AddressHasher([b"s" * 32]))
    assert erased.events == 1
    clock.advance(dt.timedelta(hours=2))
    pixel = await client.get(path(LINKS.open_url(row.id)))
    assert (pixel.status, await pixel.read()) == (200, PIXEL)
    kept = [{"kind": EventKind.OPEN, "lead_id": None}]  # the open before the erasure, nobody's now
    assert await Event.filter(message_id=row.id).values("kind", "lead_id") == kept
    assert (await client.get(path(LINKS.click_url(row.id, 0)), allow_redirects=False)).status == 404
    unsubscribed = await client.post(path(LINKS.unsubscribe_url(row.id)), data=b"List-Unsubscribe=One-Click")
    assert unsubscribed.status == 200 and "вы отписаны" in await unsubscribed.text()
    assert await Event.all().values("kind", "lead_id") == kept


async def test_a_click_leads_on_while_redis_is_down(clock: FrozenClock) -> None:
    """Redis (where a click's once-an-hour key lives) is down: the reader still gets to the link — a 302, not a
    500 — and the pixel is still served; only the counting is lost, and logged."""
    world = await make_world(html=True)
    row = await planned_row(world, 0, links=["https://acme.example/offer"])
    broken = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)  # nothing listens on port 1
    app = create_app(broken, tracking=LINKS, clock=clock)
    try:
        async with TestClient(TestServer(app)) as down:
            clicked = await down.get(path(LINKS.click_url(row.id, 0)), allow_redirects=False)
            assert (clicked.status, clicked.headers.get("Location")) == (302, "https://acme.example/offer")
            pixel = await down.get(path(LINKS.open_url(row.id)))
            assert (pixel.status, await pixel.read()) == (200, PIXEL)
    finally:
        await broken.aclose()
    assert await Event.all().count() == 0


async def test_pages_without_a_row_speak_the_readers_best_language(client: TestClient) -> None:  # type: ignore[type-arg]
    """A German reader whose browser also takes English (`de-DE,de;q=0.9,en;q=0.8`) gets the English page, not
    the Russian default picked from the first tag alone; weights decide, not order, and `q=0` refuses."""
    _, sent, _ = await unsubscribe_world()
    token = path(LINKS.unsubscribe_url(sent.id)).rsplit("/", 1)[1]
    for header, expected in (
        ("de-DE,de;q=0.9,en;q=0.8", "Link not found"),
        ("ru;q=0, en", "Link not found"),
        ("ru;q=0.4, en-US;q=0.7", "Link not found"),
        ("de-DE,de;q=0.9", "Ссылка не найдена"),
        ("en;q=0.3, ru", "Ссылка не найдена"),
    ):
        response = await client.get(f"/t/u/{token[:-1]}", headers={"Accept-Language": header})
        assert response.status == 404 and expected in await response.text(), header
    big = await client.post(
        path(LINKS.unsubscribe_url(sent.id)), data=b"x" * 2000, headers={"Accept-Language": "de, en;q=0.5"}
    )
    assert big.status == 413 and '<html lang="en">' in await big.text()


async def test_the_unsubscribe_page_speaks_the_language_of_the_letter_it_came_from(client: TestClient) -> None:  # type: ignore[type-arg]
    """A Russian letter from an English-speaking workspace ends with a Russian footer; its link opened a page in
    English (the workspace's chat language) that its reader need not understand. Without the letter's text
    (retention cleared it) the page speaks the workspace's language."""
    world, sent, (_, other) = await unsubscribe_world()
    await Workspace.filter(id=world.workspace.id).update(locale="en")
    await OutboundMessage.filter(id=sent.id).update(body="Добрый день! Предлагаем поставки цемента со склада.")
    page = await client.get(path(LINKS.unsubscribe_url(sent.id)))
    assert page.status == 200 and '<html lang="ru">' in await page.text()
    await OutboundMessage.filter(id=sent.id).update(body="")
    page = await client.get(path(LINKS.unsubscribe_url(sent.id)))
    assert page.status == 200 and '<html lang="en">' in await page.text()
    await Workspace.filter(id=world.workspace.id).update(locale="ru")
    await OutboundMessage.filter(id=other.id).update(body="Good afternoon! We supply cement from our warehouse.")
    page = await client.get(path(LINKS.unsubscribe_url(other.id)))
    assert page.status == 200 and '<html lang="en">' in await page.text()


async def test_the_open_rate_counts_messages_opened_not_views(client: TestClient, clock: FrozenClock) -> None:  # type: ignore[type-arg]
    """The pixel is uncacheable, so Gmail's image proxy fetches it on every view and a reader who comes back to
    the mail over a day loads it again and again: each hour's open is recorded, but the open rate is the share of
    messages opened — one of two messages read in five different hours is 50 %, not 250 %."""
    world = await make_world(html=True)
    rows = [await planned_row(world, 0), await planned_row(world, 1)]
    sent = [sent_event(world, row, pixel=True) for row in rows]  # as the record of an HTML campaign's send writes it
    async with in_transaction():
        await record_events(sent)
    for _ in range(5):
        opened = await asyncio.gather(*(client.get(path(LINKS.open_url(rows[0].id))) for _ in range(3)))
        assert {response.status for response in opened} == {200}
        clock.advance(dt.timedelta(hours=1))
    assert await Event.filter(kind=EventKind.OPEN).count() == 5
    for scope, subject in ((StatScope.CAMPAIGN, world.campaign.id), (StatScope.WORKSPACE, world.workspace.id)):
        found = await summary(world.workspace.id, TODAY, TODAY, scope=scope, scope_id=subject, minimums=Minimums(1))
        assert (found.metrics.open_rate.part, found.metrics.open_rate.sample) == (1, 2), scope
        assert found.metrics.open_rate.value == 0.5


async def test_a_broken_link_gets_the_page_not_bare_text(client: TestClient) -> None:  # type: ignore[type-arg]
    """A link a mail client cut at the end of a line (`…/t/u`), or one with a slash added, is answered with the
    localized page, as a bad token is — not aiohttp's bare `404: Not Found`; other methods on real routes keep
    their 405."""
    _, sent, _ = await unsubscribe_world()
    good = path(LINKS.unsubscribe_url(sent.id))
    for url in ("/t/u", "/t/u/", f"{good}/", "/t/", "/t/x/abc", f"{good}/extra"):
        for method in ("GET", "HEAD", "POST"):
            response = await client.request(method, url, headers={"Accept-Language": "en"}, allow_redirects=False)
            assert response.status == 404 and response.headers["Content-Type"].startswith("text/html"), (method, url)
            if method != "HEAD":
                assert "Link not found" in await response.text()
    assert (await client.post(path(LINKS.open_url(sent.id)))).status == 405
    assert (await client.put(good)).status == 405
    assert await Suppression.all().count() == 0


async def test_a_database_failure_is_a_localized_try_again_page(
    client: TestClient,  # type: ignore[type-arg]
    empty_database: Callable[[str], Awaitable[str]],
) -> None:
    """The database fails under the tracking host (here: a database without our tables, as after a restore that
    went wrong): the person pressing unsubscribe, or following a link, is told in their language to try again
    (503 with Retry-After), not shown aiohttp's bare '500 Internal Server Error'; the pixel is still an image."""
    _, sent, _ = await unsubscribe_world()
    await db.close_db()
    await db.init_db(await empty_database("trackfail"))
    english = {"Accept-Language": "en"}
    for method, url in (
        ("POST", LINKS.unsubscribe_url(sent.id)),
        ("GET", LINKS.unsubscribe_url(sent.id)),
        ("GET", LINKS.click_url(sent.id, 0)),
    ):
        response = await client.request(method, path(url), headers=english, data=b"List-Unsubscribe=One-Click")
        assert (response.status, response.headers.get("Retry-After")) == (503, "120"), (method, url)
        assert "try again" in await response.text()
    russian = await client.post(path(LINKS.unsubscribe_url(sent.id)), data=b"List-Unsubscribe=One-Click")
    assert russian.status == 503 and "Попробуйте ещё раз" in await russian.text()
    pixel = await client.get(path(LINKS.open_url(sent.id)))
    assert (pixel.status, await pixel.read()) == (200, PIXEL)


async def test_an_unsubscribe_waiting_on_retention_still_suppresses(clock: FrozenClock, database_url: str) -> None:
    """Retention holds the lead (it is deleting it, its hash kept on the rows) while the person presses
    unsubscribe: the press waits for the lock, finds the lead gone, and suppresses the hash — it does not answer
    'unsubscribed' having done nothing."""
    world, sent, _ = await unsubscribe_world()
    hashed = AddressHasher([b"s" * 32]).value("lead0@client.example")
    retention = await asyncpg.connect(database_url)
    looker = await asyncpg.connect(database_url)
    try:
        async with retention.transaction():
            await retention.fetch("SELECT id FROM lead WHERE id = $1 FOR UPDATE", world.leads[0].id)
            task = await stopped_on_lock(looker, unsubscribe(sent.id, clock))
            await retention.execute("DELETE FROM lead WHERE id = $1", world.leads[0].id)
            await retention.execute(  # as `engine.compliance.retention` does, after the delete
                "UPDATE outbound_message SET lead_id = NULL, recipient_hash = $2 WHERE lead_id = $1",
                world.leads[0].id,
                hashed,
            )
        assert await task is True
    finally:
        await retention.close()
        await looker.close()
    stored = await Suppression.filter(workspace_id=world.workspace.id).values_list("value", "reason")
    assert stored == [(hashed, SuppressionReason.UNSUBSCRIBE)]
    assert await Event.filter(kind=EventKind.UNSUBSCRIBE, message_id=sent.id).count() == 1


async def test_one_click_as_gmail_and_yahoo_post_it(client: TestClient) -> None:  # type: ignore[type-arg]
    """RFC 8058 lets the POST come form-encoded or as multipart/form-data, and some senders' mail clients post
    an empty body: each suppresses (the first one counts), and each answers 200 with no redirect."""
    _, sent, _ = await unsubscribe_world()
    url = path(LINKS.unsubscribe_url(sent.id))
    multipart = FormData(default_to_multipart=True)
    multipart.add_field("List-Unsubscribe", "One-Click")
    posted = await client.post(url, data=multipart, allow_redirects=False)
    assert posted.status == 200 and posted.request_info.headers["Content-Type"].startswith("multipart/form-data")
    for body in (b"", b"List-Unsubscribe=One-Click"):
        again = await client.post(url, data=body, headers=ONE_CLICK, allow_redirects=False)
        assert again.status == 200
    expecting = await client.post(url, data=b"List-Unsubscribe=One-Click", headers=ONE_CLICK, expect100=True)
    assert expecting.status == 200  # `Expect: 100-continue` with a small body goes on
    assert await Suppression.filter(value="lead0@client.example").count() == 1
    assert await Event.filter(kind=EventKind.UNSUBSCRIBE).values_list("data", flat=True) == [
        {"via": "one-click", "stopped": 1, "cancelled": 1}
    ]


async def test_an_unsubscribe_of_an_address_a_manager_suppressed_is_the_persons_own(
    client: TestClient,  # type: ignore[type-arg]
    clock: FrozenClock,
) -> None:
    """A manager had suppressed the address (`/suppress`) when the person pressed unsubscribe in an earlier mail:
    the entry stayed the manager's, so `/unsuppress` without the person's consent lifted their opt-out and the
    next campaign wrote to them again. Now the entry becomes their unsubscribe, dated when they pressed: lifted
    only with their consent; and the unsubscribe is counted."""
    world, sent, _ = await unsubscribe_world()
    manager = Actor(person_id=None, platform=Platform.CONSOLE, role=Role.MANAGER, workspace_id=world.workspace.id)
    await suppress(manager, "lead0@client.example", clock)
    clock.advance(dt.timedelta(days=2))
    response = await client.post(path(LINKS.unsubscribe_url(sent.id)), data=b"List-Unsubscribe=One-Click")
    assert response.status == 200
    stored = await Suppression.get(workspace_id=world.workspace.id, value="lead0@client.example")
    assert (stored.reason, stored.created_at) == (SuppressionReason.UNSUBSCRIBE, NOW + dt.timedelta(days=2))
    assert await Event.filter(kind=EventKind.UNSUBSCRIBE, message_id=sent.id).count() == 1
    with pytest.raises(Conflict) as refused:
        await unsuppress(manager, "lead0@client.example", clock)
    assert refused.value.key == "error-leads-unsuppress-opt-out"
    lifted = await unsuppress(manager, "lead0@client.example", clock, consent=True)
    assert lifted.created


async def test_opens_of_html_mail_count_after_the_campaign_went_plain(client: TestClient) -> None:  # type: ignore[type-arg]
    """A campaign sent HTML mail (with the pixel, counted in the open rate's sample), then was switched to plain
    text (`html=off`): the opens of that mail were dropped — the campaign was no longer HTML — so its open rate
    fell with every later reader. An open counts when the message carried the pixel (its SENT event says so),
    whatever the campaign is now; a plain message (no pixel when it went out) still counts none."""
    world = await make_world(html=True)
    carried, plain = await planned_row(world, 0), await planned_row(world, 1)
    sent = [sent_event(world, carried, pixel=True), sent_event(world, plain, pixel=False)]
    async with in_transaction():
        await record_events(sent)
    await Campaign.filter(id=world.campaign.id).update(html=False)
    for row in (carried, plain):
        assert (await client.get(path(LINKS.open_url(row.id)))).status == 200
    assert await Event.filter(kind=EventKind.OPEN).values_list("message_id", flat=True) == [carried.id]
    assert (await counters(StatScope.CAMPAIGN, world.campaign.id, TODAY))["opens"] == 1


async def test_an_unsubscribe_from_a_plus_tag_address_closes_the_persons_inbox(client: TestClient) -> None:  # type: ignore[type-arg]
    """The letter went to `lead0+news@` (an alias of `lead0@`'s inbox): the unsubscribe suppressed only that
    alias, and the person was mailed again in the same inbox as `lead0@` (another campaign, a later import). The
    opt-out now closes the mailbox, so every address of it; a `/suppress` of one alias by a manager stays exact."""
    world, sent, _ = await unsubscribe_world()
    await Lead.filter(id=world.leads[0].id).update(email="lead0+news@client.example")
    response = await client.post(path(LINKS.unsubscribe_url(sent.id)), data=b"List-Unsubscribe=One-Click")
    assert response.status == 200
    stored = await Suppression.filter(workspace_id=world.workspace.id).values_list("value", "reason")
    assert stored == [("lead0@client.example", SuppressionReason.UNSUBSCRIBE)]
    addresses = ["lead0@client.example", "lead0+news@client.example", "lead0+b@client.example", "lead01@client.example"]
    assert await is_suppressed(world.workspace.id, addresses) == set(addresses[:3])


async def test_an_unsubscribe_from_a_plus_tag_address_stops_the_person_under_every_address_at_once(
    clock: FrozenClock,
) -> None:
    """The letter went to `lead0+a@` (another campaign's lead, stored before the +tag rule): its unsubscribe
    suppressed the mailbox `lead0@` but stopped only the `+a` lead's enrollment; `lead0@`'s follow-up stayed planned
    until the next plan or its claim. Both stop in the unsubscribe's transaction now; `lead01@`, `lead1@` and the
    same address in another workspace go on."""
    world = await make_world()
    other = await make_world()  # another client holding `lead0@client.example` too
    second = await Campaign.create(workspace=world.workspace, name="Зима", status=CampaignStatus.RUNNING)
    tagged = await Lead.create(workspace=world.workspace, email="lead0+a@client.example", first_name="И")
    near = await Lead.create(workspace=world.workspace, email="lead01@client.example", first_name="Н")
    tagged_in = await Enrollment.create(campaign=second, lead=tagged, current_step=2)
    near_in = await Enrollment.create(campaign=second, lead=near)
    letter = await OutboundMessage.create(
        kind=MessageKind.CAMPAIGN, workspace_id=world.workspace.id, mailbox=world.mailbox, lead=tagged,
        enrollment=tagged_in, campaign=second, step_position=1, message_id="<tagged.1@t>",
        status=MessageStatus.SENT, scheduled_at=NOW,
    )  # fmt: skip
    plain_next = await planned_row(world, 0, step=2, status=MessageStatus.PLANNED, at=NOW + dt.timedelta(days=3))
    elsewhere = await planned_row(other, 0, status=MessageStatus.QUEUED)

    assert await unsubscribe(letter.id, clock) is True

    states = {e.id: e.state for e in await Enrollment.all()}
    assert states[tagged_in.id] is states[world.enrollments[0].id] is EnrollmentState.UNSUBSCRIBED
    assert (await OutboundMessage.get(id=plain_next.id)).status is MessageStatus.CANCELLED
    assert states[near_in.id] is states[world.enrollments[1].id] is EnrollmentState.ACTIVE
    assert states[other.enrollments[0].id] is EnrollmentState.ACTIVE
    assert (await OutboundMessage.get(id=elsewhere.id)).status is MessageStatus.QUEUED
    event = await Event.get(kind=EventKind.UNSUBSCRIBE)
    assert event.data == {"via": "one-click", "stopped": 2, "cancelled": 1}

"""The tracking host's engine side: signed tokens, and what an open, a click or an unsubscribe does.

A token names one outbound row (and, for a click, the index of a link the message contained) under a key
derived from the vault (`Vault.derive("tracking")`, newest key first), sealed the SIV way: a truncated
HMAC-SHA256 of the payload authenticates it and is the counter block with which AES-CTR encrypts it. Nobody
without the key can make a token for another row, another link or another kind, nor read the row id out of a
token (a recipient learns nothing about how much the agency sends), so ids are neither enumerable nor visible,
and a click can only lead to a URL that was in the message (`OutboundMessage.links`): no open redirect. Tokens
are URL-safe base64 of fixed length (31 characters), made with the newest key and verified against every key, so
links in mail sent before a key rotation keep working.

- open (`/t/o/<token>`): recorded for messages that carried the pixel only — HTML campaigns' (plain text has no
  pixel: its opens are "not measured", never 0 %), also once the campaign went plain — once per message and clock
  hour, and counted (`opens`) once per message;
- click (`/t/c/<token>`): the stored URL as written (`redirect_location`), counted once per message, link and
  clock hour; a HEAD, a request no person made (`machine_request`: no User-Agent, or one of the link scanners,
  crawlers and HTTP libraries CrawlerDetect knows — mail security gateways follow every link of a message as it
  arrives, and counting them would report every message clicked) and a click whose lead is gone count nothing;
- unsubscribe (`/t/u/<token>`, RFC 8058 one-click POST): suppresses the lead's mailbox in the workspace (its
  address without a `+tag`), stops the active enrollments of every lead of the workspace at that mailbox (`ivan@`
  and `ivan+a@` are one person), cancels their planned and queued rows and counts the event — in one transaction,
  and a second request changes nothing. Once retention deleted the lead, the keyed hash of the address it left on
  the row is suppressed instead.

Test sends (`kind='test'`) count toward caps, never toward results: their opens and clicks are not recorded,
and their unsubscribe link (the recipient is a manager) changes nothing.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
import math
import re
from collections.abc import Sequence
from enum import StrEnum
from typing import Any, Final

from crawlerdetect import CrawlerDetect
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from redis.asyncio import Redis
from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction
from yarl import URL

from engine.alerts import unknown_sends_settled
from engine.clock import Clock
from engine.crypto import Vault
from engine.i18n import letter_locale
from engine.leads.checks import mailbox_of
from engine.lifecycle import cancel_unsent, settle_unknown
from engine.logging import get_logger
from engine.stats import (
    PIXEL_DATA,
    EventRecord,
    SuppressionRecord,
    add_suppressions,
    count_events,
    insert_events,
    record_events,
)
from models.enums import EventKind, MessageKind, MessageStatus, SuppressionReason
from models.indexes import mailbox_sql

log = get_logger(__name__)

PURPOSE: Final = "tracking"
_DOMAIN: Final = b"mailfleet-track/v2|"  # binds a MAC to this use and format
_MAC_BYTES: Final = 12  # 96 bits: guessing a valid token is out of reach, and the URL stays short
_PAYLOAD_BYTES: Final = 1 + 8 + 2  # kind, row id, link index
TOKEN_CHARS: Final = math.ceil((_PAYLOAD_BYTES + _MAC_BYTES) * 4 / 3)  # unpadded base64 of 23 bytes: 31 characters
MAX_LINKS: Final = 100  # links a message may carry that get click tokens; the rest stay as written
MAX_URL_CHARS: Final = 2048  # a longer link is no redirect target (browsers and proxies cut such URLs short)
_TOKEN = re.compile(rf"[A-Za-z0-9_-]{{{TOKEN_CHARS}}}\Z")
_URI_CHARS = re.compile(r"[A-Za-z0-9._~:/?#\[\]@!$&'()*+,;=%-]+\Z")  # RFC 3986: unreserved, reserved, '%'
DEDUPE_WINDOW_S: Final = 2 * 3600  # a dedupe key outlives its clock hour, whatever the clock's drift
_DEDUPE_PREFIX: Final = "mf:track:seen:"
COUNTED_STATUSES: Final = frozenset({MessageStatus.SENT, MessageStatus.UNKNOWN})  # delivered, or maybe


class TokenKind(StrEnum):
    OPEN = "o"
    CLICK = "c"
    UNSUBSCRIBE = "u"


class InvalidToken(ValueError):
    """The token was not made by us for a row (too long, malformed, tampered with, truncated, another key)."""


class TrackingLinks:
    """Makes and verifies tracking URLs. Build it once per process (`from_vault`) and share it."""

    def __init__(self, base_url: str, key: bytes, *, old_keys: Sequence[bytes] = ()) -> None:
        if not key:
            raise ValueError("TrackingLinks needs a key")
        self.base_url = base_url.rstrip("/")
        self._keys = (key, *old_keys)

    @classmethod
    def from_vault(cls, base_url: str, vault: Vault) -> TrackingLinks:
        """Keyed by the deployment's encryption keys: newest makes, all verify."""
        newest, *older = vault.derive(PURPOSE)
        return cls(base_url, newest, old_keys=older)

    def __repr__(self) -> str:
        return f"TrackingLinks({self.base_url!r}, <keys hidden>)"

    @property
    def one_click_capable(self) -> bool:
        """RFC 8058 one-click needs an https URI; a plain-http host (development) gets only the link in the text."""
        return self.base_url.startswith("https://")

    def token(self, kind: TokenKind, row_id: int, index: int = 0) -> str:
        if not 0 < row_id < 2**63 or not 0 <= index < MAX_LINKS or (kind is not TokenKind.CLICK and index):
            raise ValueError("row id or link index out of range")
        payload = kind.value.encode() + row_id.to_bytes(8, "big") + index.to_bytes(2, "big")
        mac = _mac(self._keys[0], payload)
        raw = _ctr(self._keys[0], mac, payload) + mac
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")

    def url(self, kind: TokenKind, row_id: int, index: int = 0) -> str:
        return f"{self.base_url}/t/{kind.value}/{self.token(kind, row_id, index)}"

    def unsubscribe_url(self, row_id: int) -> str:
        return self.url(TokenKind.UNSUBSCRIBE, row_id)

    def open_url(self, row_id: int) -> str:
        return self.url(TokenKind.OPEN, row_id)

    def click_url(self, row_id: int, index: int) -> str:
        return self.url(TokenKind.CLICK, row_id, index)

    def verify(self, token: str) -> tuple[TokenKind, int, int]:
        """(kind, row id, link index) of a token we made; `InvalidToken` for anything else."""
        if len(token) != TOKEN_CHARS or not _TOKEN.match(token):
            raise InvalidToken("malformed")
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (binascii.Error, ValueError):
            raise InvalidToken("malformed") from None
        if len(raw) != _PAYLOAD_BYTES + _MAC_BYTES:
            raise InvalidToken("malformed")
        sealed, mac = raw[:_PAYLOAD_BYTES], raw[_PAYLOAD_BYTES:]
        # a token re-encoded with other trailing bits decodes to the same bytes: only our own spelling counts
        if base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != token:
            raise InvalidToken("malformed")
        payload = next(
            (opened for key in self._keys if hmac.compare_digest(_mac(key, opened := _ctr(key, mac, sealed)), mac)),
            None,
        )
        if payload is None:
            raise InvalidToken("signature")
        try:
            kind = TokenKind(payload[:1].decode("ascii"))
        except (UnicodeDecodeError, ValueError):
            raise InvalidToken("kind") from None
        row_id = int.from_bytes(payload[1:9], "big")
        index = int.from_bytes(payload[9:11], "big")
        if row_id <= 0 or index >= MAX_LINKS or (kind is not TokenKind.CLICK and index):
            raise InvalidToken("range")
        return kind, row_id, index


def _mac(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, _DOMAIN + payload, hashlib.sha256).digest()[:_MAC_BYTES]


def _ctr(key: bytes, mac: bytes, data: bytes) -> bytes:
    """AES-256-CTR of `data` (both ways), its counter block the payload's MAC: a deterministic encryption that
    never repeats a counter for two payloads (SIV), under a key of its own derived from the tracking key."""
    enc_key = hmac.new(key, _DOMAIN + b"enc", hashlib.sha256).digest()
    cipher = Cipher(algorithms.AES(enc_key), modes.CTR(mac + bytes(16 - _MAC_BYTES)))
    return cipher.encryptor().update(data)


# ---------------------------------------------------------------------------------------------------------------
# What the endpoints do


_ROW = """
SELECT m.id, m.kind, m.status, m.workspace_id, m.mailbox_id, b.domain_id, m.campaign_id, m.lead_id, m.links,
       c.html AS campaign_html, w.locale
FROM outbound_message m
JOIN workspace w ON w.id = m.workspace_id
LEFT JOIN mailbox b ON b.id = m.mailbox_id
LEFT JOIN campaign c ON c.id = m.campaign_id
WHERE m.id = $1
"""


async def _row(row_id: int) -> dict[str, Any] | None:
    rows = await connections.get("default").execute_query_dict(_ROW, [row_id])
    return rows[0] if rows else None


def _event(row: dict[str, Any], kind: EventKind, now: dt.datetime, **data: Any) -> EventRecord:
    return EventRecord(
        workspace_id=int(row["workspace_id"]),
        kind=kind,
        occurred_at=now,
        mailbox_id=row["mailbox_id"],
        domain_id=row["domain_id"],
        campaign_id=row["campaign_id"],
        lead_id=row["lead_id"],
        message_id=int(row["id"]),
        data=data,
    )


def _counts_toward_results(row: dict[str, Any]) -> bool:
    """A delivered (or maybe delivered) campaign message to a lead we still hold: once the lead is gone (erased
    by /forget, or by retention), its opens and clicks are no longer tracked — a new event would be a new
    record of the person's reading."""
    return (
        row["kind"] == MessageKind.CAMPAIGN.value
        and row["status"] in {s.value for s in COUNTED_STATUSES}
        and row["lead_id"] is not None
    )


async def _first_in_hour(redis: Redis, clock: Clock, *parts: object) -> bool:
    """True the first time these parts are seen in the current clock hour (a Redis SET NX)."""
    hour = clock.now().astimezone(dt.UTC).strftime("%Y%m%d%H")
    key = _DEDUPE_PREFIX + ":".join(str(p) for p in (*parts, hour))
    return bool(await redis.set(key, b"1", nx=True, ex=DEDUPE_WINDOW_S))


_OPENED_BEFORE = """
SELECT EXISTS (SELECT 1 FROM event WHERE lead_id = $2 AND message_id = $1 AND kind = 'open') AS seen
FROM outbound_message WHERE id = $1 FOR UPDATE
"""


# Whether a message went out with the pixel (its SENT event says so); by the lead, whose events are indexed.
_CARRIED_PIXEL = f"""
SELECT 1 FROM event WHERE lead_id = $2 AND message_id = $1 AND kind = 'sent' AND data->>'{PIXEL_DATA}' = 'true' LIMIT 1
"""  # noqa: S608 - a constant key


async def record_open(row_id: int, clock: Clock, redis: Redis) -> bool:
    """Record an open of a sent campaign message that carried the pixel — its campaign opted into HTML, or had
    when the message went out (a campaign switched to plain text midway: the open rate is over the mail that
    carried the pixel, so its opens still count) — once per message and clock hour; the `opens` counter counts
    the message once, at its first open — the open rate is the share of messages opened, never above 100 %
    however often a reader (or an image proxy fetching the uncacheable pixel on every view) comes back. Returns
    whether an event was recorded."""
    row = await _row(row_id)
    if row is None or not _counts_toward_results(row):
        return False
    if not row["campaign_html"] and not await connections.get("default").execute_query_dict(
        _CARRIED_PIXEL, [row_id, row["lead_id"]]
    ):
        return False
    if not await _first_in_hour(redis, clock, "o", row_id):
        return False
    records = [_event(row, EventKind.OPEN, clock.now())]
    async with in_transaction() as conn:  # the row locked: two first opens at once count once
        seen = await conn.execute_query_dict(_OPENED_BEFORE, [row_id, row["lead_id"]])
        settled = await _settled(row, "open", clock)
        await insert_events(records)
        if seen and not seen[0]["seen"]:
            await count_events([*settled, *records])
        else:
            await count_events(settled)
    return True


async def _settled(row: dict[str, Any], evidence: str, clock: Clock) -> list[EventRecord]:
    """A message whose sending was left `unknown` that a reader opened, clicked or unsubscribed from went out:
    settled as sent (its SENT event, inserted, for the caller to count), so the reports count it sent, once; its
    mailbox's alert about unknown sends is resolved once none is left."""
    if row["status"] != MessageStatus.UNKNOWN.value:
        return []
    settled = await settle_unknown([int(row["id"])], evidence=evidence)
    await unknown_sends_settled({e.mailbox_id for e in settled if e.mailbox_id is not None}, clock=clock)
    return settled


USER_AGENT_READ: Final = 512
"""Characters of a User-Agent matched against the crawler patterns: real ones are far shorter, and a long hostile
one must not cost the tracking host its time."""
_CRAWLERS = CrawlerDetect()


def machine_request(user_agent: str | None) -> bool:
    """True for a request no person made: no User-Agent, or one CrawlerDetect names (link scanners of mail
    gateways such as Barracuda, Outlook's link previews, crawlers, curl and other HTTP libraries). A scanner that
    poses as a browser is not caught here; it is one more reason a click rate is a signal, not a count of
    readers."""
    agent = (user_agent or "").strip()[:USER_AGENT_READ]
    return not agent or bool(_CRAWLERS.isCrawler(agent))


async def click_target(row_id: int, index: int, clock: Clock, redis: Redis, *, count: bool = True) -> str | None:
    """The URL link `index` of the message pointed at (as `redirect_location` spells it), or None when the
    message had no such link or it is no URL a redirect could name (the endpoint then answers 404: nothing else
    is ever redirected to). Counts the click once per message, link and clock hour, for campaign messages only,
    unless `count` is False (a HEAD, or a `machine_request`: link scanners check where a link leads, no person
    clicked); a click that cannot be counted (Redis down) is logged and still leads on."""
    row = await _row(row_id)
    if row is None:
        return None
    links = row["links"]
    if isinstance(links, str):  # asyncpg hands a json column back as text
        links = json.loads(links)
    if not isinstance(links, list) or not 0 <= index < len(links) or not isinstance(links[index], str):
        return None
    url = redirect_location(links[index])
    if url is None:
        return None
    if count and _counts_toward_results(row):
        try:
            if await _first_in_hour(redis, clock, "c", row_id, index):
                async with in_transaction():
                    settled = await _settled(row, "click", clock)  # inserted: counted with the click
                    click = _event(row, EventKind.CLICK, clock.now(), link=index)
                    await insert_events([click])
                    await count_events([*settled, click])
        except Exception:  # counting must never keep the reader from the link (Redis down, a failed write)
            log.exception("click not recorded", message_id=row_id, link=index)
    return url


def redirect_location(url: str) -> str | None:
    """What the click redirect's `Location` says for a link of a message: the link as written when it is a
    plain ASCII URI (byte for byte: a signed or pre-encoded query, `%2F` and all, must reach its site unchanged;
    only the scheme is put in lower case, as a text may write `HTTPS://`), else its ASCII form (the host in IDNA,
    `пример.рф` → `xn--e1afmkfd.xn--p1ai`, the path and query percent-encoded). None when it is no http(s) URL with
    a host that a redirect could name (`javascript:`, a port out of range, a zero-width space pasted into the
    host): nothing is ever redirected to such a link, and it is never counted."""
    if len(url) > MAX_URL_CHARS:
        return None
    try:
        parsed = URL(url)
        encoded = str(parsed)
        encoded.encode("ascii")
    except (ValueError, UnicodeError):
        return None
    if parsed.scheme not in {"http", "https"} or not parsed.raw_host or not parsed.is_absolute():
        return None
    if _URI_CHARS.match(url):
        return parsed.scheme + url[len(parsed.scheme) :]
    return encoded


async def row_locale(row_id: int) -> str | None:
    """The language of the row's unsubscribe page, None if the row is gone: the language its letter is written in,
    as its footer's (`letter_locale`), the workspace's when the text is not kept (retention) or tells nothing."""
    rows = await connections.get("default").execute_query_dict(
        "SELECT w.locale, m.body FROM outbound_message m JOIN workspace w ON w.id = m.workspace_id WHERE m.id = $1",
        [row_id],
    )
    return letter_locale(str(rows[0]["body"]), str(rows[0]["locale"])) if rows else None


_LOCK_LEAD = "SELECT id, email FROM lead WHERE id = $1 FOR UPDATE"
# The person, not the address: every lead of the workspace whose address reaches the same mailbox (`ivan@`,
# `ivan+a@`: one inbox) stops with the one the letter went to — the opt-out suppresses the mailbox, and its other
# enrollments' planned rows must not wait for the next plan or claim to be cancelled. Index probes: the lead's key
# and `lead_mailbox`.
_STOP = f"""
UPDATE enrollment e SET state = 'unsubscribed', next_due_at = NULL, stopped_reason = 'unsubscribe'
FROM lead l
WHERE e.lead_id = l.id AND e.state = 'active'
  AND (l.id = $1 OR (l.workspace_id = $2 AND {mailbox_sql("l.email")} = $3))
RETURNING e.id
"""  # noqa: S608 - no input in the text


async def unsubscribe(row_id: int, clock: Clock, *, via: str = "one-click") -> bool:
    """Unsubscribe the lead a message was sent to: suppress the address in the workspace, stop the lead's
    active enrollments (`unsubscribed`), cancel its planned and queued rows, record an UNSUBSCRIBE event with its
    counters — all in one transaction, with the lead's row locked so two clicks at once act once. Returns whether
    anything changed (a second click, a test send or a row whose lead was erased change nothing).

    A message whose lead retention deleted suppresses the keyed hash of the address kept on it
    (`recipient_hash`): a re-import refuses the person ever after (`_unsubscribe_purged`)."""
    row = await _row(row_id)
    if row is None or row["kind"] != MessageKind.CAMPAIGN.value:
        return False
    now = clock.now()
    if row["lead_id"] is None:
        return await _unsubscribe_purged(row, now, via)
    async with in_transaction() as conn:  # every statement on the transaction's connection
        leads = await conn.execute_query_dict(_LOCK_LEAD, [row["lead_id"]])
        if leads:  # an opt-out through the letter's link proves it arrived, as an open does: a send left unknown
            settled = await _settled(row, "unsubscribe", clock)  # went out (its SENT event counted with the opt-out)
            stopped, cancelled, changed = await _unsubscribe_lead(
                conn, row, str(leads[0]["email"]), now, via, settled=settled
            )
    if not leads:  # deleted since the row was read (retention, which held it): its hash is on the row now
        return await _unsubscribe_purged(row, now, via)
    if changed:
        log.info(
            "unsubscribed",
            message_id=row_id,
            workspace_id=row["workspace_id"],
            stopped=len(stopped),
            cancelled=cancelled,
        )
    return changed


async def _unsubscribe_lead(
    conn: BaseDBAsyncClient,
    row: dict[str, Any],
    email: str,
    now: dt.datetime,
    via: str,
    *,
    settled: Sequence[EventRecord] = (),
) -> tuple[list[dict[str, Any]], int, bool]:
    """The locked lead's part of `unsubscribe`: (stopped enrollments, cancelled rows, whether anything changed).
    `settled`: the SENT events of the message settled by the opt-out, inserted, counted here with it (last)."""
    record = SuppressionRecord(int(row["workspace_id"]), email, SuppressionReason.UNSUBSCRIBE)
    added = await add_suppressions([record], now=now)
    stopped = await conn.execute_query_dict(_STOP, [row["lead_id"], int(row["workspace_id"]), mailbox_of(email)])
    cancelled = await cancel_unsent([int(r["id"]) for r in stopped], reason="cancelled: the lead unsubscribed")
    changed = bool(added or stopped or cancelled)
    records = [_event(row, EventKind.UNSUBSCRIBE, now, via=via, stopped=len(stopped), cancelled=cancelled)]
    if changed:
        await insert_events(records)
    await count_events([*settled, *(records if changed else [])])
    return stopped, cancelled, changed


_SUPPRESS_HASH = """
INSERT INTO suppression (workspace_id, value, reason, created_at)
SELECT m.workspace_id, m.recipient_hash, $2, $3 FROM outbound_message m
WHERE m.id = $1 AND m.lead_id IS NULL AND m.recipient_hash <> ''
ON CONFLICT DO NOTHING
RETURNING id
"""


async def _unsubscribe_purged(row: dict[str, Any], now: dt.datetime, via: str) -> bool:
    """An unsubscribe from a message whose lead is no longer on record: retention left the keyed hash of its
    address on the row, which becomes a suppression of the workspace (once; counted). /forget left none — it
    suppressed the hash itself — so nothing changes then."""
    async with in_transaction() as conn:
        added = await conn.execute_query_dict(_SUPPRESS_HASH, [row["id"], SuppressionReason.UNSUBSCRIBE.value, now])
        if added:
            gone = {**row, "lead_id": None}  # the row as read may still name the lead deleted since
            await record_events([_event(gone, EventKind.UNSUBSCRIBE, now, via=via, stopped=0, cancelled=0)])
    if added:
        log.info("unsubscribed by hash", message_id=row["id"], workspace_id=row["workspace_id"])
    return bool(added)

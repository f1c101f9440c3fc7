"""The outside world of the demo: a seeded simulation behind the engine's own ports.

- `SimSender` is a `MailSender` (engine.sending.ports): it plays the receiving providers. Mail to one of our
  mailboxes (warmup) lands in that mailbox's INBOX or spam folder by the provider's placement model; mail to a
  lead is answered by the lead's model — a hard bounce (by list quality) or, once the sender's domain is listed, a
  block, each as real RFC 3464 DSN bytes; a reply or an RFC 3834 auto-reply; an unsubscribe through the one-click
  URL of the message (the real `engine.tracking.unsubscribe`, as the web endpoint calls it).
- `SimSentFolder` is a `SentFolder`: what each mailbox sent, by Message-ID.
- `SimImap.connect` is an `ImapConnect` (engine.mail.imap): the mailboxes' folders, read by the real inbox sync
  and classifier.
- `SimDns` is a DNS server on a loopback UDP port, asked by the engine's own resolver: MX for the leads' domains
  (the import's checks) and the blocklists, which list one domain from a given moment on.

Placement worsens with a volume spike (a domain's day against its recent days), with complaints (unsubscribes)
and with a listing. Nothing here touches the database except the unsubscribe, through the engine's service.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email.header
import email.utils
import hashlib
import heapq
import random
import re
import ssl
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.zone

from engine.clock import Clock
from engine.dns.dnsbl import DnsblZone, probe_names
from engine.dns.templates import TEMPLATES
from engine.mail.imap import INBOX, FetchedMessage, Folder, FolderStatus, ImapError, ImapErrorKind, MailFolders
from engine.mail.message import BuiltMessage
from engine.mail.providers import Credentials, Endpoint
from engine.mail.smtp import Outcome, Phase, SmtpResult
from engine.mail.tls import MailPolicy
from engine.sending.ports import Account
from engine.tracking import InvalidToken, TrackingLinks
from engine.tracking import unsubscribe as tracking_unsubscribe
from models.enums import MailProvider

SPAM_FOLDER = "Spam"
LISTING_ZONE = "dbl.spamhaus.org"  # the one blocklist that lists the domain
KEEP = dt.timedelta(days=3)  # read mail older than this is dropped from the simulated folders (memory)
_UNSUB = re.compile(rb"^List-Unsubscribe:\s*<([^>]+)>", re.MULTILINE | re.IGNORECASE)
_SUBJECT = re.compile(rb"^Subject:\s*(.*)$", re.MULTILINE | re.IGNORECASE)
ACCEPTED = SmtpResult(Outcome.ACCEPTED, "smtp-accepted", Phase.DATA, 250, "2.0.0", "OK")


# ------------------------------------------------------------------------------------------------ folders


@dataclass
class _Stored:
    uid: int
    at: dt.datetime
    data: bytes
    flags: set[str] = field(default_factory=set)

    @property
    def headers(self) -> bytes:
        end = self.data.find(b"\r\n\r\n")
        return self.data if end < 0 else self.data[: end + 4]


@dataclass
class _Folder:
    uidvalidity: int
    next_uid: int = 1
    messages: dict[int, _Stored] = field(default_factory=dict)

    def add(self, at: dt.datetime, data: bytes, flags: Collection[str] = ()) -> None:
        self.messages[self.next_uid] = _Stored(self.next_uid, at, data, set(flags))
        self.next_uid += 1

    def prune(self, before: dt.datetime) -> None:
        for uid in [u for u, m in self.messages.items() if m.at < before and "\\Seen" in m.flags]:
            del self.messages[uid]


@dataclass
class SimMailbox:
    address: str
    provider: MailProvider
    folders: dict[str, _Folder]


class _Session:
    """One logged-in simulated mailbox (the `MailFolders` the inbox sync reads)."""

    capabilities = frozenset({"IMAP4REV1", "MOVE", "UIDPLUS", "SPECIAL-USE"})

    def __init__(self, box: SimMailbox, clock: Clock) -> None:
        self.box = box
        self.clock = clock
        self.selected: _Folder | None = None

    async def list_folders(self) -> list[Folder]:
        return [
            Folder(INBOX, frozenset(), "/"),
            Folder(SPAM_FOLDER, frozenset({"\\Junk"}), "/"),
            Folder("Sent", frozenset({"\\Sent"}), "/"),
        ]

    async def select(self, folder: str) -> FolderStatus:
        found = self.box.folders.get(folder)
        if found is None:
            raise ImapError(ImapErrorKind.FOLDER, f"{folder}: no such folder")
        found.prune(self.clock.now() - KEEP)
        self.selected = found
        return FolderStatus(found.uidvalidity, found.next_uid, len(found.messages))

    def _folder(self) -> _Folder:
        if self.selected is None:
            raise ImapError(ImapErrorKind.PROTOCOL, "no folder selected")
        return self.selected

    async def search_uids(self, *criteria: str) -> list[int]:
        folder = self._folder()
        if len(criteria) == 2 and criteria[0] == "UID":  # "UID n:*"
            low = int(criteria[1].split(":", 1)[0])
            return sorted(u for u in folder.messages if u >= low)
        if len(criteria) == 2 and criteria[0] == "SINCE":
            since = dt.datetime.strptime(criteria[1], "%d-%b-%Y").replace(tzinfo=dt.UTC).date()
            return sorted(u for u, m in folder.messages.items() if m.at.date() >= since)
        return sorted(folder.messages)

    async def fetch_headers(self, uids: Sequence[int]) -> list[FetchedMessage]:
        folder = self._folder()
        found = [folder.messages[u] for u in sorted(set(uids)) if u in folder.messages]
        return [FetchedMessage(m.uid, frozenset(m.flags), len(m.data), m.at, m.headers) for m in found]

    async def fetch_bodies(self, uids: Sequence[int], *, max_bytes: int = 256 * 1024) -> dict[int, bytes]:
        folder = self._folder()
        return {u: folder.messages[u].data[:max_bytes] for u in uids if u in folder.messages}

    async def add_flags(self, uids: Sequence[int], flags: Sequence[str]) -> None:
        folder = self._folder()
        for u in uids:
            if u in folder.messages:
                folder.messages[u].flags.update(flags)

    async def move(self, uids: Sequence[int], destination: str) -> None:
        folder = self._folder()
        target = self.box.folders[destination]
        for u in sorted(uids):
            moved = folder.messages.pop(u, None)
            if moved is not None:
                target.add(moved.at, moved.data, moved.flags)


# ------------------------------------------------------------------------------------------------ the model


@dataclass(frozen=True)
class ListQuality:
    """How a client's lead list behaves: shares of invalid addresses, replies, auto-replies, unsubscribes."""

    invalid: float
    reply: float = 0.05
    auto_reply: float = 0.04
    unsubscribe: float = 0.02


@dataclass
class _DomainDay:
    sent: int = 0
    complaints: int = 0


@dataclass(order=True)
class _Pending:
    at: dt.datetime
    key: str  # what orders things due at the same moment: the Message-ID of the message that caused it
    kind: str = field(compare=False)  # "deliver" (to one of our folders) or "unsubscribe"
    address: str = field(compare=False)
    folder: str = field(compare=False, default=INBOX)
    data: bytes = field(compare=False, default=b"")
    counts: str = field(compare=False, default="")  # the `Tally` field it adds one to when it lands


@dataclass
class Tally:
    """What the world did, for the summary (the database says the rest): a lead's answer (reply, auto-reply,
    bounce, block) counts once it has landed in our mailbox, not when the world decided it (a reply may come 40
    hours later: the last day's would be counted and never read)."""

    warmup_inbox: int = 0
    warmup_spam: int = 0
    delivered: int = 0
    bounced: int = 0
    blocked: int = 0
    replies: int = 0
    auto_replies: int = 0
    unsubscribes: int = 0


class World:
    """The seeded world: our mailboxes' folders, the providers' placement, the leads' behaviour, the blocklist."""

    def __init__(self, seed: int, clock: Clock, links: TrackingLinks) -> None:
        self.seed = seed
        self.clock = clock
        self.links = links
        self.boxes: dict[str, SimMailbox] = {}
        self.sent: dict[str, deque[tuple[dt.datetime, str]]] = defaultdict(deque)
        self.sent_ids: dict[str, set[str]] = defaultdict(set)
        self.quality: dict[str, ListQuality] = {}  # lead domain suffix (the client's list) -> behaviour
        self.days: dict[tuple[str, dt.date], _DomainDay] = defaultdict(_DomainDay)  # as of the last `settle`
        self.ticking: dict[tuple[str, dt.date], _DomainDay] = defaultdict(_DomainDay)  # since: counted at the next
        self.listed: dict[str, dt.datetime] = {}  # domain -> listed from
        self.pending: list[_Pending] = []
        self.tally = Tally()
        # `spam_chance` by (domain, provider, moment): its inputs change only at a `settle` (and with the clock),
        # so a tick's thousands of messages work it out once per domain and provider
        self._chances: dict[tuple[str, MailProvider, dt.datetime], float] = {}

    # -- set-up

    def add_mailbox(self, address: str, provider: MailProvider) -> None:
        validity = int(hashlib.blake2b(address.encode(), digest_size=3).hexdigest(), 16) + 1
        folders = {INBOX: _Folder(validity), SPAM_FOLDER: _Folder(validity + 1), "Sent": _Folder(validity + 2)}
        self.boxes[address.lower()] = SimMailbox(address.lower(), provider, folders)

    def list_domain(self, domain: str, since: dt.datetime) -> None:
        self.listed[domain.lower()] = since

    def is_listed(self, domain: str) -> bool:
        since = self.listed.get(domain.lower())
        return since is not None and self.clock.now() >= since

    # -- the model

    def _rng(self, *parts: object) -> random.Random:
        return random.Random(f"{self.seed}:" + ":".join(map(str, parts)))

    def spam_chance(self, sender_domain: str, provider: MailProvider) -> float:
        """A provider's chance of filing this domain's mail as spam today: a base, plus a volume spike against
        the domain's last week, plus complaints, plus a listing. Today's volume is the domain's as of the last
        `settle` (the tick's start): what this tick sends counts from the next one, so the mailboxes sending at
        once (concurrently, in no fixed order) all see the same figure and a seed gives the same placements."""
        key = (sender_domain, provider, self.clock.now())
        found = self._chances.get(key)
        if found is None:
            found = self._chances[key] = self._spam_chance(sender_domain, provider)
        return found

    def _spam_chance(self, sender_domain: str, provider: MailProvider) -> float:
        today = self.clock.now().date()
        now = self.days[(sender_domain, today)]
        past = [self.days.get((sender_domain, today - dt.timedelta(days=d))) for d in range(1, 8)]
        history = [p.sent for p in past if p is not None and p.sent]
        base = 0.03 if provider is MailProvider.YANDEX360 else 0.05
        spike = 0.0
        if history:
            average = sum(history) / len(history)
            ratio = now.sent / max(average, 1.0)
            spike = max(0.0, ratio - 1.5) * 0.08
        complaints = sum(p.complaints for p in past if p is not None) + now.complaints
        sent_week = sum(history) + now.sent
        complaint_share = complaints / sent_week if sent_week else 0.0
        listed = 0.5 if self.is_listed(sender_domain) else 0.0
        return min(0.95, base + spike + complaint_share * 4 + listed)

    def _later(
        self,
        kind: str,
        address: str,
        delay: dt.timedelta,
        about: BuiltMessage,
        *,
        folder: str = INBOX,
        data: bytes = b"",
        counts: str = "",
    ) -> None:
        """`kind` happens after `delay`, caused by the message `about` (one thing a message; its Message-ID, not
        the order sends came in, orders things due at the same moment); then the `Tally` field `counts` adds one."""
        due = _Pending(self.clock.now() + delay, about.message_id, kind, address, folder, data, counts)
        heapq.heappush(self.pending, due)

    async def send(self, message: BuiltMessage) -> SmtpResult:
        now = self.clock.now()
        sender = message.sender.lower()
        sender_domain = sender.rpartition("@")[2]
        self.ticking[(sender_domain, now.date())].sent += 1
        self.sent[sender].append((now, message.message_id))
        self.sent_ids[sender].add(message.message_id)
        while self.sent[sender] and self.sent[sender][0][0] < now - KEEP:
            _, old = self.sent[sender].popleft()
            self.sent_ids[sender].discard(old)
        recipient = message.recipient.lower()
        rng = self._rng(message.message_id)
        peer = self.boxes.get(recipient)
        if peer is not None:  # warmup: the receiving provider files it
            spam = rng.random() < self.spam_chance(sender_domain, peer.provider)
            if spam:
                self.tally.warmup_spam += 1
            else:
                self.tally.warmup_inbox += 1
            folder = SPAM_FOLDER if spam else INBOX
            self._later(
                "deliver",
                recipient,
                dt.timedelta(seconds=rng.randint(5, 300)),
                message,
                folder=folder,
                data=message.data,
            )
            return ACCEPTED
        return self._to_lead(message, sender, sender_domain, recipient, rng)

    def _to_lead(
        self, message: BuiltMessage, sender: str, sender_domain: str, recipient: str, rng: random.Random
    ) -> SmtpResult:
        quality = self.quality.get(recipient.rpartition("@")[2], ListQuality(invalid=0.03))
        profile = self._rng("lead", recipient)
        if profile.random() < quality.invalid:  # the address is gone, whoever writes
            dsn = _dsn(message, "5.1.1", "550 5.1.1 <{r}>: Recipient address rejected: User unknown", self.clock)
            delay = dt.timedelta(minutes=rng.randint(1, 20))
            self._later("deliver", sender, delay, message, data=dsn, counts="bounced")
            return ACCEPTED
        if self.is_listed(sender_domain) and rng.random() < 0.6:  # the receiver refuses us, not the address
            text = f"554 5.7.1 Service unavailable; Sender domain {sender_domain} blocked using dbl.spamhaus.org"
            dsn = _dsn(message, "5.7.1", text, self.clock)
            delay = dt.timedelta(minutes=rng.randint(1, 20))
            self._later("deliver", sender, delay, message, data=dsn, counts="blocked")
            return ACCEPTED
        self.tally.delivered += 1
        spam = rng.random() < self.spam_chance(sender_domain, MailProvider.YANDEX360)
        engaged = 0.3 if spam else 1.0
        roll = rng.random()
        if roll < quality.unsubscribe * engaged:
            found = _UNSUB.search(message.data)
            if found:
                self.ticking[(sender_domain, self.clock.now().date())].complaints += 1
                self._later("unsubscribe", found.group(1).decode(), dt.timedelta(hours=rng.uniform(0.5, 30)), message)
        elif roll < (quality.unsubscribe + quality.auto_reply) * engaged:
            self._later(
                "deliver",
                sender,
                dt.timedelta(minutes=rng.randint(1, 10)),
                message,
                data=_auto_reply(message, self.clock),
                counts="auto_replies",
            )
        elif roll < (quality.unsubscribe + quality.auto_reply + quality.reply) * engaged:
            delay = dt.timedelta(hours=rng.uniform(1, 40))
            self._later("deliver", sender, delay, message, data=_reply(message, self.clock), counts="replies")
        return ACCEPTED

    async def settle(self) -> int:
        """Everything due by now happens: deliveries land in their folders, unsubscribe links are followed."""
        now = self.clock.now()
        for key, counted in self.ticking.items():
            self.days[key].sent += counted.sent
            self.days[key].complaints += counted.complaints
        self.ticking.clear()
        self._chances.clear()
        done = 0
        while self.pending and self.pending[0].at <= now:
            item = heapq.heappop(self.pending)
            done += 1
            if item.kind == "unsubscribe":
                if await self._unsubscribe(item.address):
                    self.tally.unsubscribes += 1
                continue
            box = self.boxes.get(item.address)
            if box is not None:
                box.folders[item.folder].add(item.at, item.data)
                if item.counts:
                    setattr(self.tally, item.counts, getattr(self.tally, item.counts) + 1)
        return done

    async def _unsubscribe(self, url: str) -> bool:
        token = url.rstrip("/").rpartition("/")[2]
        try:
            _, row_id, _ = self.links.verify(token)
        except InvalidToken:
            return False
        return await tracking_unsubscribe(row_id, self.clock, via="one-click")


# ------------------------------------------------------------------------------------------------ the ports


class SimSender:
    """`engine.sending.ports.MailSender` over the world."""

    def __init__(self, world: World) -> None:
        self.world = world

    async def send(
        self,
        endpoint: Endpoint,
        credentials: Credentials,
        message: BuiltMessage,
        *,
        attempt: int = 0,
        tls_context: ssl.SSLContext | None = None,
    ) -> SmtpResult:
        return await self.world.send(message)


class SimSentFolder:
    """`engine.sending.ports.SentFolder` over the world."""

    def __init__(self, world: World) -> None:
        self.world = world

    async def find(self, account: Account, message_ids: Collection[str]) -> set[str]:
        sent = self.world.sent_ids.get(account.address.lower(), set())
        return {m for m in message_ids if m in sent}


class SimImap:
    """`engine.mail.imap.ImapConnect` over the world."""

    def __init__(self, world: World) -> None:
        self.world = world

    @contextlib.asynccontextmanager
    async def _open(self, credentials: Credentials) -> AsyncIterator[MailFolders]:
        box = self.world.boxes.get(credentials.username.lower())
        if box is None:
            raise ImapError(ImapErrorKind.AUTH, "authentication failed")
        yield _Session(box, self.world.clock)

    def __call__(
        self,
        endpoint: Endpoint,
        credentials: Credentials,
        *,
        ssl_context: ssl.SSLContext | None = None,
        greeting_timeout_s: float = 10.0,
        policy: MailPolicy | None = None,
    ) -> contextlib.AbstractAsyncContextManager[MailFolders]:
        return self._open(credentials)


# ------------------------------------------------------------------------------------------------ mail bytes


def _subject(message: BuiltMessage) -> str:
    found = _SUBJECT.search(message.data)
    raw = found.group(1).decode("ascii", "replace").strip() if found else ""
    return str(email.header.make_header(email.header.decode_header(raw))) if raw else ""


def _crlf(text: str) -> bytes:
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


def _dsn(message: BuiltMessage, status: str, diagnostic: str, clock: Clock) -> bytes:
    """An RFC 3464 delivery status notification, as a provider's MTA writes one back to the sender."""
    recipient = message.recipient
    boundary = "dsn-" + hashlib.blake2b(message.message_id.encode(), digest_size=8).hexdigest()
    mta = "mx." + recipient.rpartition("@")[2]
    headers = message.data.split(b"\r\n\r\n", 1)[0].decode("ascii", "replace")
    date = email.utils.format_datetime(clock.now())
    return _crlf(
        f"From: Mail Delivery System <MAILER-DAEMON@{mta}>\n"
        f"To: {message.sender}\n"
        "Subject: Undelivered Mail Returned to Sender\n"
        f"Date: {date}\n"
        f"Message-ID: <{boundary}@{mta}>\n"
        "Auto-Submitted: auto-replied\n"
        "MIME-Version: 1.0\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\n\n'
        f"--{boundary}\n"
        "Content-Type: text/plain; charset=us-ascii\n\n"
        f"Your message to <{recipient}> could not be delivered.\n\n"
        f"--{boundary}\n"
        "Content-Type: message/delivery-status\n\n"
        f"Reporting-MTA: dns; {mta}\n\n"
        f"Final-Recipient: rfc822; {recipient}\n"
        "Action: failed\n"
        f"Status: {status}\n"
        f"Diagnostic-Code: smtp; {diagnostic.format(r=recipient)}\n\n"
        f"--{boundary}\n"
        "Content-Type: text/rfc822-headers\n\n"
        f"{headers}\n\n"
        f"--{boundary}--\n"
    )


def _answer(message: BuiltMessage, clock: Clock, extra: str, subject: str, text: str) -> bytes:
    date = email.utils.format_datetime(clock.now())
    mid = f"<{hashlib.blake2b(extra.encode() + message.message_id.encode(), digest_size=12).hexdigest()}@"
    mid += message.recipient.rpartition("@")[2] + ">"
    return _crlf(
        f"From: {message.recipient}\n"
        f"To: {message.sender}\n"
        f"Subject: {email.header.Header(subject, 'utf-8').encode()}\n"
        f"Date: {date}\n"
        f"Message-ID: {mid}\n"
        f"In-Reply-To: {message.message_id}\n"
        f"References: {message.message_id}\n"
        f"{extra}"
        "MIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: 8bit\n\n"
        f"{text}\n"
    )


def _reply(message: BuiltMessage, clock: Clock) -> bytes:
    """A person's answer in the thread."""
    rng = random.Random(message.message_id)
    text = rng.choice(
        [
            "Добрый день! Интересно, пришлите, пожалуйста, подробности и цены.",
            "Здравствуйте. Давайте созвонимся в четверг после обеда.",
            "Спасибо, пока не актуально. Напишите через квартал.",
        ]
    )
    return _answer(message, clock, "", "Re: " + _subject(message), text)


def _auto_reply(message: BuiltMessage, clock: Clock) -> bytes:
    """An RFC 3834 out-of-office notice with a return date."""
    back = (clock.now() + dt.timedelta(days=random.Random(message.message_id).randint(2, 9))).strftime("%d.%m.%Y")
    text = f"Здравствуйте! Я в отпуске до {back}, отвечу после возвращения."
    return _answer(message, clock, "Auto-Submitted: auto-replied\n", "Автоответ: " + _subject(message), text)


# ------------------------------------------------------------------------------------------------ DNS


PROVIDER_SPF: Final = {t.spf_include: "v=spf1 ip4:192.0.2.0/24 ~all" for t in TEMPLATES.values() if t.spf_include}
"""The SPF records the mail providers publish at the includes their customers name (a domain's SPF that includes
one without a record there is a permerror)."""


class SimDns(asyncio.DatagramProtocol):
    """A DNS server on a loopback UDP port: the agency's published zones (`load_zones`), MX (and an address) for
    every other name asked (the leads' domains), and the blocklist zones, which answer NXDOMAIN (not listed) or,
    in `LISTING_ZONE` for a listed domain, 127.0.1.2 (a spam domain, Spamhaus DBL's code); like real lists, they
    list their test points (`dnsbl.probe_names`), so the checker knows it sees them."""

    def __init__(self, world: World, zones: Sequence[DnsblZone]) -> None:
        self.world = world
        self.zones = tuple(z.name.lower().rstrip(".") for z in zones)
        self.test_points = frozenset(name for z in zones for name in probe_names(z))  # query names lists always list
        self.transport: asyncio.DatagramTransport | None = None
        self.port = 0
        self.records: dict[tuple[str, int], dns.rrset.RRset] = {}  # the agency's published zones
        self.owners: set[str] = set()

    def load_zones(self, files: dict[str, str]) -> None:
        """Publish zone files (`<domain>.zone` → text, as `/zone_export` writes them): the agency's DNS."""
        for filename, text in files.items():
            origin = filename.removesuffix(".zone")
            zone = dns.zone.from_text(text, origin=origin, relativize=False, check_origin=False)
            for name, rdataset in zone.iterate_rdatasets():
                key = (name.to_text(omit_final_dot=True).lower(), int(rdataset.rdtype))
                values = [r.to_text() for r in rdataset]
                self.records[key] = dns.rrset.from_text_list(name, rdataset.ttl, "IN", rdataset.rdtype, values)
                self.owners.add(key[0])

    async def start(self) -> int:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(lambda: self, local_addr=("127.0.0.1", 0))
        self.port = int(transport.get_extra_info("sockname")[1])
        return self.port

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # a datagram endpoint's transport

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        try:
            query = dns.message.from_wire(data)
        except Exception:
            return
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        for question in query.question:
            self._answer(question, response)
        if self.transport is not None:
            self.transport.sendto(response.to_wire(), addr)

    def _answer(self, question: dns.rrset.RRset, response: dns.message.Message) -> None:
        name = question.name.to_text(omit_final_dot=True).lower()
        zone = next((z for z in self.zones if name.endswith("." + z)), None)
        if zone is not None:
            target = name[: -len(zone) - 1]
            listed = zone == LISTING_ZONE and self.world.is_listed(target)
            if question.rdtype == dns.rdatatype.A and (listed or name in self.test_points):
                response.answer.append(dns.rrset.from_text(question.name, 60, "IN", "A", "127.0.1.2"))
            else:
                response.set_rcode(dns.rcode.NXDOMAIN)
            return
        published = self.records.get((name, int(question.rdtype)))
        if published is not None:
            response.answer.append(published)
            return
        if name in self.owners:
            return  # a published name without this type: NODATA
        if question.rdtype == dns.rdatatype.TXT and name in PROVIDER_SPF:  # what the providers publish
            response.answer.append(dns.rrset.from_text(question.name, 300, "IN", "TXT", f'"{PROVIDER_SPF[name]}"'))
        elif question.rdtype == dns.rdatatype.MX:
            response.answer.append(dns.rrset.from_text(question.name, 300, "IN", "MX", f"10 mx.{name}."))
        elif question.rdtype == dns.rdatatype.A:
            response.answer.append(dns.rrset.from_text(question.name, 300, "IN", "A", "192.0.2.25"))

"""Inbox sync: read each mailbox's new mail, classify it, and act on it.

Per mailbox, the spam folder is read first and then INBOX, incrementally by UID (positions in FolderState). Each
new message is fetched as headers; only bounces, complaints and answers to our own messages are fetched whole.
What the classifier finds becomes Events and DailyStat counters, suppressions (bounces, complaints, unsubscribe
requests), stopped enrollments (a reply stops the sequence, and its planned follow-ups are cancelled), and for
warmup traffic IMAP actions: opened and flagged important, and moved out of the spam folder (a lead's answer
filed as spam is moved to INBOX too, unread, where people look for replies).

A sweep runs many mailboxes at once (`engine.mail.imap.sweep`): the network part of each is limited by a timeout
and may be cancelled, the database part is a transaction that is never cancelled. Mailboxes read while another
transaction writes are written together in the next one (group commit), with set-based statements (unnest) for
all of them: positions, suppressions, stopped enrollments, events, warmup answers and counters cost a fixed
number of round trips per transaction, not per mailbox or per message. A folder position only moves forward in
the same transaction as the effects of the messages it covers, and only if nobody else moved it in the meantime,
so two workers syncing one mailbox cannot double-count. The DailyStat increments are that transaction's last
statement (a crash may not lose counts; the shared counter rows stay locked only until the commit).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import functools
import hashlib
import ssl
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import Message
from enum import StrEnum
from typing import Any, Final, Generic, TypeVar, cast
from zoneinfo import ZoneInfo

from tortoise import connections
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from engine.access import SYSTEM, Actor
from engine.alerts import (
    INBOX_UNREACHABLE,
    INBOX_UNREADABLE_DISABLED,
    hand_over,
    inbox_unreachable_fingerprint,
    mailbox_auth_disabled,
    raise_alert,
    resolve_saying,
    resolve_subjects,
    unknown_sends_settled,
)
from engine.clock import Clock, local_time
from engine.crypto import Vault, VaultError
from engine.leads.checks import mailbox_of
from engine.leads.listing import LEFT_COMPANY
from engine.leads.suppression import mark_hard_bounced
from engine.lifecycle import bounce_sent, cancel_unsent, check_transition, settle_unknown, transition_mailbox
from engine.logging import get_logger
from engine.mail.autoreply import Departure, departure, notice_date, notice_text, return_date
from engine.mail.classify import (
    MailKind,
    Verdict,
    WarmupCheck,
    classify,
    header,
    is_warmup,
    needs_body,
    new_text,
    normalize_message_id,
    parse_headers,
    parse_message,
    readable_text,
    referenced_ids,
    sender_address,
    thread_subject,
)
from engine.mail.imap import (
    DEFAULT_BODY_BYTES,
    INBOX,
    FetchedMessage,
    ImapConnect,
    ImapError,
    ImapErrorKind,
    MailFolders,
    Position,
    fetch_new,
    find_folder,
    imap_session,
)
from engine.mail.imap import sweep as imap_sweep
from engine.mail.message import make_message_id, seeded_message_hex
from engine.mail.providers import PRESETS, SPAM, Credentials, Endpoint
from engine.mail.tls import MailPolicy, client_context
from engine.monitoring.service import auth_failure_limit
from engine.stats import (
    OPT_OUTS,
    EventRecord,
    SuppressionRecord,
    add_suppressions,
    count_events,
    insert_events,
    normalize_email,
    workspace_zones,
)
from engine.warmup import Composed, Persona
from engine.warmup.content import compose_reply
from engine.warmup.marker import WarmupMarker
from engine.warmup.ramp import RampMark, mark_of, volume_today
from engine.warmup.receive import Reaction, message_rng, react
from engine.warmup.settings import WarmupSettings
from models import FolderState, Mailbox, Workspace
from models.enums import (
    AuthKind,
    EnrollmentState,
    EventKind,
    MailboxStatus,
    MailProvider,
    MessageKind,
    MessageStatus,
    Severity,
    SuppressionReason,
    TlsMode,
)
from models.indexes import mailbox_sql

log = get_logger(__name__)

WARMUP_FLAGS: Final = ("\\Seen", "\\Flagged")  # "opened and marked important": what engaged readers do
_WARMUP_SEEN: Final = ("\\Seen",)  # every warmup message is opened; only some are flagged (`flag_probability`)
_FIRST_SYNC_LOOKBACK: Final = dt.timedelta(days=1)  # IMAP SINCE compares dates in the server's zone: one day slack
_SKIPPED_STATUSES: Final = frozenset({MailboxStatus.DISABLED, MailboxStatus.RETIRED})
RETIRED_READ_FOR: Final = dt.timedelta(days=30)
"""A retired mailbox's inbox is still read this long after it was retired: leads answer the mail it sent (a domain
swap retires the mailboxes and moves their sequences to the reserve's), and such a reply or unsubscribe request
must still stop the sequence. Nothing is raised about it any more (nothing sends from it)."""
DISABLED_READ_FOR: Final = RETIRED_READ_FOR
"""A disabled mailbox (its SMTP login refused, or disabled by monitoring) sent mail until it was disabled: answers
and bounces to that mail keep arriving, so its inbox is read this long after it was disabled — unread, a lead's
reply was seen only once someone re-enabled it (a follow-up may have gone from elsewhere meanwhile) and its bounces
were never counted. Not one whose IMAP login is refused (`imap_auth_failures`): that one is left alone, not
logged in to every five minutes. Like a retired one, it answers no warmup mail (it sends nothing) and keeps on its
card the error it was disabled for. When its inbox cannot be read for another reason (the server refuses the
connection, TLS fails, a timeout), the card says so apart (`Mailbox.read_error`, when, how many tries in a row), the
tries back off (`late_read_due`), and a disabled one raises `LATE_READ_KIND` once."""
LATE_READ_RETRY: Final = dt.timedelta(minutes=15)
"""After a failed read of a disabled or retired mailbox's inbox the sweep waits this long before the next try, twice
as long after each further failure in a row, up to `LATE_READ_RETRY_MAX`: not a connection every five minutes for
thirty days to a server that is gone."""
LATE_READ_RETRY_MAX: Final = dt.timedelta(hours=6)
LATE_READ_KIND: Final = INBOX_UNREADABLE_DISABLED
IMAP_AUTH_KEY: Final = f"error-imap-{ImapErrorKind.AUTH.value}"
AUTO_REPLY_DELAY: Final = dt.timedelta(days=3)  # an out-of-office notice without a return date: wait this long
_MAX_AUTO_REPLY_DAYS: Final = 30  # the most a workspace may set: longer, and the lead has likely moved on
UNREACHABLE_AFTER: Final = dt.timedelta(hours=1)
"""An inbox not read for this long, over at least two failed syncs in a row, raises `inbox_unreachable`: its
replies, bounces and unsubscribe requests go unnoticed. An hour is 12 runs of the 5-minute cron, past a provider's
usual short hiccup. Until the alert is resolved (a good sync) the outbox holds the mailbox's campaign sends."""
UNREACHABLE_KIND: Final = INBOX_UNREACHABLE

_EVENT_OF: Final[Mapping[MailKind, EventKind]] = {
    MailKind.REPLY: EventKind.REPLY,
    MailKind.AUTO_REPLY: EventKind.AUTO_REPLY,
    MailKind.BOUNCE_HARD: EventKind.BOUNCE_HARD,
    MailKind.BOUNCE_SOFT: EventKind.BOUNCE_SOFT,
    MailKind.BOUNCE_BLOCK: EventKind.BOUNCE_BLOCK,
    MailKind.COMPLAINT: EventKind.COMPLAINT,
    MailKind.UNSUBSCRIBE: EventKind.UNSUBSCRIBE,
}
# what each verdict does to the lead's other active enrollments in the workspace, and how it suppresses. A blocked
# bounce is in neither: the receiver refused *us* (reputation, content, authentication), the address is fine, so
# the lead is never suppressed nor stopped; the event counts against our mailbox and domain, where protection reads
# it. A soft bounce changes nothing either: the next attempt may well arrive.
_STOPS: Final[Mapping[MailKind, EnrollmentState]] = {
    MailKind.BOUNCE_HARD: EnrollmentState.BOUNCED,
    MailKind.COMPLAINT: EnrollmentState.UNSUBSCRIBED,
    MailKind.UNSUBSCRIBE: EnrollmentState.UNSUBSCRIBED,
}
_SUPPRESSES: Final[Mapping[MailKind, SuppressionReason]] = {
    MailKind.BOUNCE_HARD: SuppressionReason.BOUNCE,
    MailKind.COMPLAINT: SuppressionReason.COMPLAINT,
    MailKind.UNSUBSCRIBE: SuppressionReason.UNSUBSCRIBE,
}


@dataclass(frozen=True, slots=True)
class SyncOptions:
    """Knobs of a sweep. `concurrency` mailboxes are read at once (network waits overlap), but only
    `commit_concurrency` transactions write at once, each for up to `commit_batch` mailboxes whose mail has been
    read meanwhile (group commit: a transaction's statements cost about the same for one mailbox as for fifty):
    more writers at once only hold pool connections the readers need and contend for the rows a workspace's
    mailboxes share. `timeout_s` limits the
    network part of one mailbox; `batch_limit` the messages read per folder per run (the rest waits for the next
    run); `auth_failure_limit` consecutive login failures disable the mailbox (None: the workspace's `auth_failures`
    threshold, as the monitor reads it); connections trust the system store,
    `ca_file` (MAIL_CA_FILE) and the mailbox's own CA, unless `ssl_context` replaces all of that."""

    concurrency: int = 50
    commit_concurrency: int = 4
    commit_batch: int = 50
    timeout_s: float = 60.0
    batch_limit: int = 500
    body_bytes: int = DEFAULT_BODY_BYTES
    auth_failure_limit: int | None = None
    ssl_context: ssl.SSLContext | None = None
    ca_file: str | None = None
    policy: MailPolicy | None = None  # ports and hosts the deployment may reach (None: no check, as in tests)
    warmup_seed: str = "mailfleet"  # seeds the per-message choices (flag, reply, delay, wording); tests vary it
    message_id_seed: str | None = None  # a reproducible run (the demo): warmup answers' Message-IDs from it, not random
    connect: ImapConnect = imap_session  # how a mailbox is opened: real IMAP, or a simulated world (the demo)
    # what every write of the sweep waits for first (None: nothing). Reading and classifying go on meanwhile: the
    # demo reads a tick's mail while the tick's sends run and writes once they are done, so what it records never
    # depends on how the two interleave
    writes_after: Callable[[], Awaitable[object]] | None = None


class SyncStatus(StrEnum):
    OK = "ok"
    FAILED = "failed"  # the mailbox could not be read; `key` says why
    SKIPPED = "skipped"  # disabled or retired, or another worker is syncing it right now
    NOT_FOUND = "not_found"  # no such mailbox, or not one the actor may manage


@dataclass(frozen=True, slots=True)
class SyncResult:
    """What one mailbox's sync did. `key` names a locale message (`inbox-synced`, `error-imap-*`, …)."""

    mailbox_id: int
    address: str
    status: SyncStatus
    key: str
    detail: str = ""
    kinds: Mapping[str, int] = field(default_factory=dict)  # MailKind value -> messages classified so
    rescued: int = 0  # warmup messages moved from the spam folder to INBOX
    disabled: bool = False  # this failure disabled the mailbox (too many authentication failures)


# ------------------------------------------------------------------------------------------- internal values


@dataclass(frozen=True, slots=True)
class _Target:
    """A mailbox to sync, as loaded once for the whole sweep."""

    id: int
    workspace_id: int
    domain_id: int
    address: str
    status: MailboxStatus
    endpoint: Endpoint
    username: str
    auth_kind: AuthKind
    secret_enc: bytes
    created_at: dt.datetime
    last_ok_at: dt.datetime | None  # the last good sync
    last_error: str  # the last recorded error: an IMAP one (`error-imap-…`) is cleared by a good sync
    positions: Mapping[str, tuple[Position, dt.datetime | None]]  # folder -> (position, synced_at)
    ca_pem: str = ""  # the mailbox's own trusted CA (PEM), "" for the default trust
    warmup: WarmupSettings = field(default_factory=WarmupSettings)  # the workspace's, for received warmup mail
    auto_reply_delay: dt.timedelta = AUTO_REPLY_DELAY  # the workspace's (`auto_reply_delay_days`)
    status_changed_at: dt.datetime | None = None
    imap_refused: bool = False  # its IMAP login was refused last time (`imap_auth_failures`)
    read_failures: int = 0  # a disabled or retired mailbox's failed reads in a row (`Mailbox.read_failures`)

    def readable(self, now: dt.datetime) -> bool:
        """Whether the sync reads it (`readable`)."""
        return readable(self.status, self.status_changed_at, now, imap_refused=self.imap_refused)

    @property
    def spam_folder(self) -> str | None:
        """The spam folder found on an earlier run (the one folder besides INBOX we keep a position for)."""
        return next((name for name in self.positions if name != INBOX), None)


@dataclass(frozen=True, slots=True)
class Receiver:
    """The mailbox that received the mail being acted on."""

    mailbox_id: int
    workspace_id: int
    domain_id: int


@dataclass(frozen=True, slots=True)
class OurMessage:
    """One of our sent messages that incoming mail refers to."""

    id: int
    kind: str
    workspace_id: int
    mailbox_id: int
    domain_id: int
    lead_id: int | None
    enrollment_id: int | None
    campaign_id: int | None
    stop_on_reply: bool
    status: MessageStatus


@dataclass(frozen=True, slots=True)
class Incoming:
    """One classified message."""

    folder: str
    in_spam: bool
    uid: int
    message_id: str | None
    seen_at: dt.datetime
    """When this sync saw the message, on the engine's clock: the time its event belongs to. The engine's rules
    (cooldowns, daily counters, rates against the day's sends) all run on the engine's clock, which in the demo
    and in tests is simulated; the server's arrival stamp is the machine's time and lagging when a mailbox was
    unreachable, so it is kept for information only (`arrived`)."""
    arrived: dt.datetime | None
    verdict: Verdict
    counted: bool = True  # False for warmup mail rescued from spam earlier in this run (already counted there)
    reaction: Reaction | None = None  # warmup mail: flagged? answered, and when?
    thread: tuple[str, ...] = ()  # warmup mail: the Message-IDs it follows (References), oldest first
    returns_on: dt.date | None = None  # an auto-reply: the day its author says they are back, when it says
    headers_digest: str | None = None  # names a message without a Message-ID (`incoming_id`)
    rescue_refused: bool = False  # warmup mail in spam the server would not move to INBOX: it stays spam
    placed: bool = True  # False: warmup mail of a mailbox without a known spam folder, no placement measured
    departed: Departure | None = None  # an auto-reply saying its addressee has left: the sequence stops for good

    @property
    def incoming_id(self) -> str | None:
        """What tells this message apart when a folder is read again after a UIDVALIDITY change (its events keep
        it): the Message-ID, else a digest of the header block, which the server keeps as it stored it."""
        return self.message_id or self.headers_digest


@dataclass(frozen=True, slots=True)
class _FolderRead:
    folder: str
    before: Position | None
    after: Position
    reset: bool
    items: tuple[Incoming, ...]


@dataclass(frozen=True, slots=True)
class _Fetched:
    """The network part's result for one mailbox."""

    folders: tuple[_FolderRead, ...]
    ours: Mapping[str, OurMessage]
    rescued: int
    spam_folder: str | None
    failed: ImapError | None = None  # INBOX could not be read after the spam folder was: what was read is kept


@dataclass
class Effects:
    """Database changes planned from one mailbox's classified mail."""

    events: list[EventRecord] = field(default_factory=list)
    suppressions: list[SuppressionRecord] = field(default_factory=list)
    stop_by_id: dict[EnrollmentState, set[int]] = field(default_factory=dict)
    stop_by_email: dict[EnrollmentState, set[str]] = field(default_factory=dict)
    delays: dict[int, dt.datetime] = field(default_factory=dict)  # auto-replies: enrollment -> not before then
    departed: dict[int, int] = field(default_factory=dict)  # "no longer with the company": enrollment -> its lead
    bounced_messages: set[int] = field(default_factory=set)  # hard bounces: the lead's address is gone
    settled_messages: set[int] = field(default_factory=set)  # sends left `unknown` this mail proves went out
    blocked_messages: set[int] = field(default_factory=set)  # refused for good because of us, the lead is fine


# ------------------------------------------------------------------------------------------- public services


async def sync_mailbox(
    actor: Actor,
    mailbox_id: int,
    *,
    clock: Clock,
    vault: Vault,
    options: SyncOptions | None = None,
) -> SyncResult:
    """Sync one mailbox (see `sweep`)."""
    return (await sweep(actor, [mailbox_id], clock=clock, vault=vault, options=options))[0]


async def sweep(
    actor: Actor,
    mailbox_ids: Sequence[int],
    *,
    clock: Clock,
    vault: Vault,
    concurrency: int | None = None,
    options: SyncOptions | None = None,
) -> list[SyncResult]:
    """Sync the inbox and spam folder of each mailbox, at most `concurrency` at once; one result per id, in order.

    A mailbox the actor may not manage is reported NOT_FOUND; one `readable` refuses is SKIPPED. Login failures
    count towards `auth_failure_limit`, after which the mailbox is disabled (`engine.lifecycle`).
    """
    opts = options or SyncOptions()
    width = concurrency or opts.concurrency
    targets = await _load_targets(mailbox_ids)
    allowed = {i: t for i, t in targets.items() if actor.can_manage(t.workspace_id)}
    unique_ids = [i for i in dict.fromkeys(mailbox_ids) if i in allowed]
    runnable = [allowed[i] for i in unique_ids if allowed[i].readable(clock.now())]

    # a message's marker is checked up to three times (threading, whether to fetch its body, its class): one HMAC
    check = functools.lru_cache(maxsize=None)(WarmupMarker.from_vault(vault).check)
    lookup = _Lookup()

    async def fetch(target: _Target) -> _Fetched:
        try:
            return await _read_mailbox(target, vault=vault, clock=clock, options=opts, check=check, lookup=lookup)
        except (ImapError, TimeoutError):
            raise
        except Exception:
            # a fault of ours with one mailbox's mail fails that mailbox, not the sweep: raised, it failed every
            # mailbox of the run, on every run, and no reply stopped any sequence
            ref = uuid.uuid4().hex[:8]
            log.exception("inbox read failed", mailbox_id=target.id, ref=ref)
            raise ImapError(ImapErrorKind.INTERNAL, ref) from None

    zones = await workspace_zones({t.workspace_id for t in runnable})
    writers = asyncio.Semaphore(opts.commit_concurrency)

    async def write(batch: list[tuple[_Target, _Fetched]]) -> list[SyncResult]:
        results = await _commit_batch(batch, clock=clock, options=opts, zones=zones)
        return [results[target.id] for target, _ in batch]

    group = GroupCommit(write, slots=writers, limit=opts.commit_batch)

    async def commit(target: _Target, outcome: _Fetched | ImapError) -> SyncResult:
        if opts.writes_after is not None:
            await opts.writes_after()
        if isinstance(outcome, ImapError):
            async with writers:
                return await _record_failure(target, outcome, clock=clock, options=opts, zones=zones)
        if outcome.failed is None:
            return await group.submit((target, outcome))
        await group.submit((target, outcome))  # the spam folder's read is recorded; the run still failed
        async with writers:
            return await _record_failure(target, outcome.failed, clock=clock, options=opts, zones=zones)

    done = await imap_sweep(runnable, fetch, commit, concurrency=width, timeout_s=opts.timeout_s)
    by_id = {r.mailbox_id: r for r in done}
    await _mark_ok([r.mailbox_id for r in done if r.status is SyncStatus.OK], clock)
    return [by_id.get(i) or _not_run(i, allowed.get(i)) for i in mailbox_ids]


def readable(
    status: MailboxStatus, status_changed_at: dt.datetime | None, now: dt.datetime, *, imap_refused: bool = False
) -> bool:
    """Whether the sync reads a mailbox of this status: a paused or cooling one always (it stopped sending, not
    receiving); a retired one for `RETIRED_READ_FOR` after its retirement and a disabled one for
    `DISABLED_READ_FOR` after it was disabled (answers to what it sent still arrive there) — unless its IMAP login
    was refused (`imap_refused`)."""
    if status is MailboxStatus.RETIRED:
        return status_changed_at is not None and now - status_changed_at < RETIRED_READ_FOR
    if status is MailboxStatus.DISABLED:
        recent = status_changed_at is not None and now - status_changed_at < DISABLED_READ_FOR
        return recent and not imap_refused
    return True


def _not_run(mailbox_id: int, target: _Target | None) -> SyncResult:
    if target is None:
        return SyncResult(mailbox_id, "", SyncStatus.NOT_FOUND, "error-inbox-mailbox-not-found")
    return SyncResult(mailbox_id, target.address, SyncStatus.SKIPPED, "inbox-skipped", detail=target.status.value)


# ------------------------------------------------------------------------------------------- loading


async def _load_targets(mailbox_ids: Sequence[int]) -> dict[int, _Target]:
    """Every mailbox and its folder positions in two queries (a sweep of 1,200 must not query per mailbox)."""
    fields = (
        "id", "workspace_id", "domain_id", "address", "status", "imap_host", "imap_port", "imap_tls",
        "username", "auth_kind", "secret_enc", "created_at", "tls_ca_pem", "last_ok_at", "last_error",
        "status_changed_at", "imap_auth_failures", "read_failures",
    )  # fmt: skip
    rows = await Mailbox.filter(id__in=list(set(mailbox_ids))).values(*fields)
    states = await FolderState.filter(mailbox_id__in=[r["id"] for r in rows]).values(
        "mailbox_id", "folder", "uidvalidity", "last_uid", "synced_at"
    )
    spaces = await Workspace.filter(id__in={r["workspace_id"] for r in rows}).values("id", "settings")
    settings = {w["id"]: WarmupSettings.in_effect(w["settings"]) for w in spaces}
    delays = {w["id"]: auto_reply_delay(w["settings"]) for w in spaces}
    positions: dict[int, dict[str, tuple[Position, dt.datetime | None]]] = {}
    for s in states:
        positions.setdefault(s["mailbox_id"], {})[s["folder"]] = (
            Position(int(s["uidvalidity"]), int(s["last_uid"])),
            s["synced_at"],
        )
    return {
        r["id"]: _Target(
            id=r["id"],
            workspace_id=r["workspace_id"],
            domain_id=r["domain_id"],
            address=r["address"],
            status=MailboxStatus(r["status"]),
            endpoint=Endpoint(r["imap_host"], r["imap_port"], TlsMode(r["imap_tls"])),
            username=r["username"],
            auth_kind=AuthKind(r["auth_kind"]),
            secret_enc=bytes(r["secret_enc"]),
            created_at=r["created_at"],
            last_ok_at=r["last_ok_at"],
            last_error=r["last_error"],
            positions=positions.get(r["id"], {}),
            ca_pem=r["tls_ca_pem"],
            warmup=settings.get(r["workspace_id"], WarmupSettings()),
            auto_reply_delay=delays.get(r["workspace_id"], AUTO_REPLY_DELAY),
            status_changed_at=r["status_changed_at"],
            imap_refused=r["imap_auth_failures"] > 0,
            read_failures=int(r["read_failures"]),
        )
        for r in rows
    }


def auto_reply_delay(stored: Mapping[str, Any] | None) -> dt.timedelta:
    """How long an auto-reply without a return date delays the lead's next step: the workspace's
    `auto_reply_delay_days` setting (1–30), else `AUTO_REPLY_DELAY`."""
    days = (stored or {}).get("auto_reply_delay_days")
    if isinstance(days, int) and not isinstance(days, bool) and 1 <= days <= _MAX_AUTO_REPLY_DAYS:
        return dt.timedelta(days=days)
    return AUTO_REPLY_DELAY


# ------------------------------------------------------------------------------------------- network part


async def _read_mailbox(
    target: _Target, *, vault: Vault, clock: Clock, options: SyncOptions, check: WarmupCheck, lookup: _Lookup
) -> _Fetched:
    """Log in, read the spam folder (rescuing warmup mail) and then INBOX; classify everything new."""
    try:
        secret = vault.decrypt(target.secret_enc)
    except VaultError:
        # not the server refusing it: no login is tried, and no failure counts toward disabling the mailbox (a
        # process still running the key list from before a `rotate-keys` would otherwise disable them all)
        raise ImapError(ImapErrorKind.UNDECRYPTABLE) from None
    credentials = Credentials(target.username, target.auth_kind, secret)
    greeting_s = min(10.0, options.timeout_s / 2)
    context = options.ssl_context or client_context(target.ca_pem, options.ca_file)
    async with options.connect(
        target.endpoint, credentials, ssl_context=context, greeting_timeout_s=greeting_s, policy=options.policy
    ) as session:
        ours: dict[str, OurMessage] = {}
        reads: list[_FolderRead] = []
        rescued: set[str] = set()

        async def read(folder: str) -> None:
            found = await _read_folder(
                session, target, folder, ours, rescued, clock=clock, options=options, check=check, lookup=lookup
            )
            reads.append(found)

        spam = await _read_spam(session, target.spam_folder, read)
        failed: ImapError | None = None
        try:
            await read(INBOX)
        except ImapError as exc:
            if not any(r.items for r in reads):
                raise
            # the spam folder's mail was read and acted on (warmup mail moved to INBOX, leads' answers surfaced):
            # failing the whole run lost that, and the next run counted the rescued copies as inbox placement
            failed = exc
    if spam is None:  # no spam folder to look in: where warmup mail lands here cannot be told (`unplaced`)
        reads = [dataclasses.replace(r, items=tuple(_unplaced(i) for i in r.items)) for r in reads]
    return _Fetched(folders=tuple(reads), ours=ours, rescued=len(rescued), spam_folder=spam, failed=failed)


def _unplaced(item: Incoming) -> Incoming:
    """Warmup mail read in a mailbox without a spam folder we know: its arrival in INBOX says nothing about
    placement, because what went to spam was never seen. Counted, it made the sender's placement read 100 %."""
    return dataclasses.replace(item, placed=False) if item.verdict.kind is MailKind.WARMUP else item


async def _read_spam(
    session: MailFolders, remembered: str | None, read: Callable[[str], Awaitable[None]]
) -> str | None:
    """Read the spam folder: the one found on an earlier run, else the one LIST shows. Returns the folder whose
    position is to be kept (None: the account has no spam folder any more).

    A folder that cannot be selected (renamed or deleted, also between our LIST and SELECT) is looked for once
    more; when it still cannot be read, it is left for the next run and INBOX is read all the same: its replies
    must stop sequences whatever happens to the spam folder. A remembered position is then kept, not lost."""
    tried = remembered or await _find_spam(session)
    for _ in range(2):  # the remembered or listed folder, then the one listed now
        if tried is None:
            return None
        try:
            await read(tried)
            return tried
        except ImapError as exc:
            if exc.kind is not ImapErrorKind.FOLDER:
                raise
        found = await _find_spam(session)
        if found is None:
            return None  # gone for good: its position is forgotten
        if found == tried:
            break
        tried = found
    return remembered  # listed but not readable now: the next run tries again


async def _find_spam(session: MailFolders) -> str | None:
    """The spam folder by special-use flag or localized name; None when the account has none."""
    found = find_folder(await session.list_folders(), SPAM)
    return found.name if found is not None else None


async def _read_folder(
    session: MailFolders,
    target: _Target,
    folder: str,
    ours: dict[str, OurMessage],
    rescued: set[str],
    *,
    clock: Clock,
    options: SyncOptions,
    check: WarmupCheck,
    lookup: _Lookup,
) -> _FolderRead:
    """Fetch and classify one folder's new mail; flag warmup mail and, in the spam folder, move it to INBOX.

    `ours` collects the sent messages referred to (looked up in batches); `rescued` carries the Message-IDs moved
    from spam, so INBOX does not count them a second time.
    """
    known = target.positions.get(folder)
    before = known[0] if known else None
    since = _since(target, known)
    batch = await fetch_new(session, folder, before, since=since, limit=options.batch_limit)
    if not batch.messages:
        return _FolderRead(folder, before, batch.position, batch.reset, ())
    in_spam = folder != INBOX
    heads = [(m, parse_headers(m.headers)) for m in batch.messages]
    wanted = {i for _, h in heads for i in [*referenced_ids(h), normalize_message_id(header(h, "Message-ID"))] if i}
    ours.update(await lookup.get(wanted - ours.keys()))
    answering = await _unthreaded(target, heads, ours, check, lookup, now=clock.now())
    need = [m.uid for m, h in heads if m.uid in answering or needs_body(h, ours, warmup_check=check)]
    bodies = await session.fetch_bodies(need, max_bytes=options.body_bytes) if need else {}
    items: list[Incoming] = []
    for m, h in heads:
        items.append(
            _classified(
                m,
                h,
                bodies.get(m.uid),
                folder=folder,
                in_spam=in_spam,
                ours=ours,
                rescued=rescued,
                clock=clock,
                own=(target.address.lower(),),
                check=check,
                warmup=target.warmup,
                seed=options.warmup_seed,
                answering=answering.get(m.uid),
            )
        )
        await asyncio.sleep(0)  # classifying is CPU work: let other mailboxes' I/O (and commits) move in between
    reported = {i.verdict.related_id for i in items if i.verdict.related_id} - ours.keys()
    if reported:  # bounces and complaints name our message inside the body: look those up too
        ours.update(await lookup.get(reported))
    warm = [i for i in items if i.verdict.kind is MailKind.WARMUP]
    if warm and await _engage(session, target, folder, warm, in_spam=in_spam):
        if in_spam:
            rescued.update(i.message_id for i in warm if i.message_id)
    elif warm and in_spam:
        kept = {i.uid for i in warm}
        items = [dataclasses.replace(i, rescue_refused=True) if i.uid in kept else i for i in items]
    if in_spam:
        await _surface(session, target, folder, [i for i in items if _leads_answer(i, ours, target)])
    return _FolderRead(folder, before, batch.position, batch.reset, tuple(items))


def _leads_answer(item: Incoming, ours: Mapping[str, OurMessage], target: _Target) -> bool:
    """Whether a message is a person's answer to campaign mail of the mailbox's workspace."""
    related = ours.get(item.verdict.related_id or "")
    return (
        item.verdict.kind is MailKind.REPLY
        and related is not None
        and related.kind == MessageKind.CAMPAIGN.value
        and related.workspace_id == target.workspace_id
    )


async def _surface(session: MailFolders, target: _Target, folder: str, answers: Sequence[Incoming]) -> None:
    """Move leads' answers the provider filed as spam to INBOX, unread. Their sequences stop all the same, but
    whoever reads the mailbox (a rep, a unibox) looks for replies in INBOX: left in spam, an interested lead's
    answer went unseen. The INBOX copy is the same message (`_once` counts it once, `_not_recorded` in a later run).
    A server's refusal leaves it where it is; the rest of the mailbox is read all the same."""
    if not answers:
        return
    try:
        await session.move(sorted({i.uid for i in answers}), INBOX)
    except ImapError as exc:
        if exc.kind is not ImapErrorKind.PROTOCOL:
            raise
        log.warning("reply rescue refused", mailbox_id=target.id, folder=folder, detail=exc.detail)


async def _engage(
    session: MailFolders, target: _Target, folder: str, warm: Sequence[Incoming], *, in_spam: bool
) -> bool:
    """Open and flag warmup mail as an engaged reader does and, in the spam folder, move it to INBOX. Returns False
    when the server refused the move.

    A server's NO to any of it (a full INBOX, a provider's own rules, a folder it will not change) leaves the mail
    where it is: a message not rescued stays counted as spam, which is where it landed, and the rest of the mailbox
    is read all the same. Raised, the refusal failed the whole read: INBOX went unread, no position moved, and the
    same refusal came back on every run. A connection that fails mid-way still fails the read."""
    flagged = {i.uid for i in warm if i.reaction is not None and i.reaction.flag}
    try:
        if flagged:
            await session.add_flags(sorted(flagged), WARMUP_FLAGS)
        if len(flagged) < len(warm):
            await session.add_flags([i.uid for i in warm if i.uid not in flagged], _WARMUP_SEEN)
    except ImapError as exc:
        if exc.kind is not ImapErrorKind.PROTOCOL:
            raise
        log.warning("warmup flags refused", mailbox_id=target.id, folder=folder, detail=exc.detail)
    if not in_spam:
        return True
    try:
        await session.move([i.uid for i in warm], INBOX)
    except ImapError as exc:
        if exc.kind is not ImapErrorKind.PROTOCOL:
            raise
        log.warning("warmup rescue refused", mailbox_id=target.id, folder=folder, detail=exc.detail)
        return False
    return True


_LAST_SENT_TO = """
SELECT DISTINCT ON (l.email) l.email, m.message_id
FROM lead l JOIN outbound_message m ON m.lead_id = l.id
WHERE l.workspace_id = $1 AND l.email = ANY($2::text[]) AND m.mailbox_id = $3 AND m.kind = 'campaign'
  AND m.status = 'sent'
ORDER BY l.email, m.sent_at DESC NULLS LAST, m.id DESC
"""
_SENT_TO_DOMAINS = """
SELECT l.email, m.message_id, m.subject
FROM outbound_message m JOIN lead l ON l.id = m.lead_id
WHERE m.mailbox_id = $3 AND m.kind = 'campaign' AND m.status = 'sent' AND l.workspace_id = $1
  AND split_part(l.email, '@', 2) = ANY($2::text[]) AND m.scheduled_at >= $4
ORDER BY m.sent_at DESC NULLS LAST, m.id DESC
"""
PUBLIC_MAIL_DOMAINS: Final = frozenset(
    {
        "gmail.com", "googlemail.com", "yahoo.com", "ymail.com", "outlook.com", "hotmail.com", "live.com",
        "msn.com", "icloud.com", "me.com", "mac.com", "aol.com", "proton.me", "protonmail.com", "gmx.com", "gmx.de",
        "gmx.net", "web.de", "t-online.de", "zoho.com", "yandex.ru", "yandex.com", "ya.ru", "mail.ru", "inbox.ru",
        "list.ru", "bk.ru", "internet.ru", "rambler.ru", "qq.com", "163.com",
    }
)  # fmt: skip
"""Mail services whose users share nothing but the provider: someone there is never a lead's colleague."""
_COLLEAGUE_WINDOW: Final = dt.timedelta(days=90)  # a colleague answers a thread within weeks, not a year on


async def _unthreaded(
    target: _Target,
    heads: Sequence[tuple[FetchedMessage, Message]],
    ours: dict[str, OurMessage],
    check: WarmupCheck,
    lookup: _Lookup,
    *,
    now: dt.datetime,
) -> dict[int, str]:
    """Mail that references none of our messages but comes from a lead this mailbox sent campaign mail to: the
    lead wrote back in a new message, or from a client that drops the threading headers. Without this, such an
    answer was `other` and the sequence went on. Returns uid -> the Message-ID of the latest campaign message
    this mailbox sent to that address (added to `ours`); one query, and only when such mail came.

    Mail from someone else at a lead's company (a colleague the lead forwarded us to, the lead's other address)
    answers that lead when its subject is the thread's (`_colleagues`)."""
    own = target.address.lower()
    senders: dict[int, str] = {}
    subjects: dict[int, str] = {}
    for m, h in heads:
        if is_warmup(h, check) or any(i in ours for i in referenced_ids(h)):
            continue
        address = sender_address(h)
        if address is not None and address != own:
            senders[m.uid] = address
            subjects[m.uid] = thread_subject(header(h, "Subject"))
    if not senders:
        return {}
    rows = await connections.get("default").execute_query(
        _LAST_SENT_TO, [target.workspace_id, sorted(set(senders.values())), target.id]
    )
    latest = {str(email): str(message_id) for email, message_id in rows[1]}
    answering = {uid: latest[a] for uid, a in senders.items() if a in latest}
    others = {uid: a for uid, a in senders.items() if uid not in answering}
    answering |= await _colleagues(target, others, subjects, since=now - _COLLEAGUE_WINDOW)
    ours.update(await lookup.get(set(answering.values()) - ours.keys()))
    return {uid: i for uid, i in answering.items() if i in ours}


async def _colleagues(
    target: _Target, senders: Mapping[int, str], subjects: Mapping[int, str], *, since: dt.datetime
) -> dict[int, str]:
    """Mail from an address this mailbox never wrote to, at the domain of a lead it did, with the subject of the
    thread it sent that lead ("RE: FW: <our subject>"): a colleague the lead forwarded us to, or the lead from
    another address, answering. It was `other` and dropped, and the sequence went on. It answers that lead's
    latest message, but only when one lead there got that subject from this mailbox: a subject sent to several
    people of a company names none of them. A public mail service's domain is no company (`PUBLIC_MAIL_DOMAINS`).
    Only the mail sent within `_COLLEAGUE_WINDOW` is read: the mailbox's recent rows by its index, not its history."""
    wanted = {uid: a for uid, a in senders.items() if subjects.get(uid)}
    domains = {a.rpartition("@")[2] for a in wanted.values()} - PUBLIC_MAIL_DOMAINS
    if not domains:
        return {}
    rows = await connections.get("default").execute_query(
        _SENT_TO_DOMAINS, [target.workspace_id, sorted(domains), target.id, since]
    )
    threads: dict[tuple[str, str], dict[str, str]] = {}  # (domain, subject) -> lead -> its latest message
    for email, message_id, subject in rows[1]:
        leads = threads.setdefault((str(email).rpartition("@")[2], thread_subject(str(subject))), {})
        leads.setdefault(str(email), str(message_id))
    found: dict[int, str] = {}
    for uid, address in wanted.items():
        leads = threads.get((address.rpartition("@")[2], subjects[uid]), {})
        if len(leads) == 1:
            found[uid] = next(iter(leads.values()))
    return found


def _since(target: _Target, known: tuple[Position, dt.datetime | None] | None) -> dt.date:
    """Where a date-chosen batch starts: the last sync of this folder, else the day the mailbox was added."""
    start = (known[1] if known and known[1] else None) or target.created_at
    return (start - _FIRST_SYNC_LOOKBACK).date()


def _classified(
    fetched: FetchedMessage,
    headers: Message,
    body: bytes | None,
    *,
    folder: str,
    in_spam: bool,
    ours: Mapping[str, OurMessage],
    rescued: set[str],
    clock: Clock,
    own: tuple[str, ...] = (),
    check: WarmupCheck | None = None,
    warmup: WarmupSettings | None = None,
    seed: str = "",
    answering: str | None = None,
) -> Incoming:
    message = parse_message(body) if body is not None else headers
    verdict = classify(message, ours, own_addresses=own, warmup_check=check, answering=answering)
    message_id = normalize_message_id(header(headers, "Message-ID"))
    recount = verdict.kind is MailKind.WARMUP and not in_spam and message_id in rescued
    reaction: Reaction | None = None
    thread: tuple[str, ...] = ()
    if verdict.kind is MailKind.WARMUP and message_id:
        thread = tuple(reversed(referenced_ids(headers)))  # oldest first: the root, ..., the parent
        rng = message_rng(seed, message_id)
        root = thread[0] if thread else message_id
        reaction = react(rng, warmup or WarmupSettings(), position=len(thread) + 1, root_message_id=root)
    returns_on = None
    departed = None
    if verdict.kind is MailKind.AUTO_REPLY:
        # "no longer with the company": whoever it names instead is only shown, never the notice's sender, the
        # departed lead (the one our message went to) or this mailbox
        related = ours.get(verdict.related_id or "")
        skip = [*own, sender_address(headers) or "", *([verdict.address] if verdict.address else [])]
        said = header(message, "Subject") + "\n" + new_text(readable_text(message))
        departed = departure(said, not_replacements=skip) if related is not None else None
        # relative dates ("back on Monday") count from the day the notice was written, not the day it is read
        returns_on = return_date(notice_text(message), received_on=notice_date(headers, seen_at=clock.now()))
    digest = None
    if message_id is None and fetched.headers:
        digest = "headers:" + hashlib.sha256(fetched.headers).hexdigest()[:32]
    return Incoming(
        headers_digest=digest,
        reaction=reaction,
        thread=thread,
        returns_on=returns_on,
        departed=departed,
        folder=folder,
        in_spam=in_spam,
        uid=fetched.uid,
        message_id=message_id,
        seen_at=clock.now(),
        arrived=fetched.internal_date,
        verdict=verdict,
        counted=not recount,
    )


_OURS = """
SELECT m.id, m.message_id, m.kind, m.workspace_id, m.mailbox_id, b.domain_id, m.lead_id, m.enrollment_id,
       e.campaign_id, coalesce(c.stop_on_reply, false) AS stop_on_reply, m.status
FROM outbound_message m
JOIN mailbox b ON b.id = m.mailbox_id
LEFT JOIN enrollment e ON e.id = m.enrollment_id
LEFT JOIN campaign c ON c.id = e.campaign_id
WHERE m.message_id = ANY($1::text[])
"""


class _Lookup:
    """Our sent messages by Message-ID, for all the mailboxes of a sweep: the ids that mailboxes read at the same
    moment ask for share one query (`_our_messages`), instead of a query per folder of each."""

    def __init__(self) -> None:
        self._wanted: set[str] = set()
        self._found: asyncio.Future[dict[str, OurMessage]] | None = None
        self._running: set[asyncio.Task[None]] = set()

    async def get(self, message_ids: set[str]) -> dict[str, OurMessage]:
        if not message_ids:
            return {}
        if self._found is None:
            self._found = asyncio.get_running_loop().create_future()
            task = asyncio.create_task(self._query(self._found))
            self._running.add(task)
            task.add_done_callback(self._running.discard)
        self._wanted |= message_ids
        # shielded: a mailbox whose read times out must not cancel the answer the others wait for
        found = await asyncio.shield(self._found)
        return {i: found[i] for i in message_ids if i in found}

    async def _query(self, found: asyncio.Future[dict[str, OurMessage]]) -> None:
        await asyncio.sleep(0)  # the mailboxes read at this moment add their ids
        wanted, self._wanted, self._found = self._wanted, set(), None
        try:
            found.set_result(await _our_messages(wanted))
        except asyncio.CancelledError:  # the loop is closing: nobody will get an answer
            found.cancel()
            raise
        except Exception as exc:  # every mailbox waiting for this answer fails with it
            found.set_exception(exc)


async def _our_messages(message_ids: Iterable[str]) -> dict[str, OurMessage]:
    """Our sent messages with these Message-IDs, with what the effects need: one hand-written query, because
    the ORM spends more CPU building this three-join query than PostgreSQL spends answering it."""
    ids = sorted(set(message_ids))
    if not ids:
        return {}
    rows = await connections.get("default").execute_query_dict(_OURS, [ids])
    return {
        r["message_id"]: OurMessage(
            id=r["id"],
            kind=str(r["kind"]),
            workspace_id=r["workspace_id"],
            mailbox_id=r["mailbox_id"],
            domain_id=r["domain_id"],
            lead_id=r["lead_id"],
            enrollment_id=r["enrollment_id"],
            campaign_id=r["campaign_id"],
            stop_on_reply=bool(r["stop_on_reply"]),
            status=MessageStatus(r["status"]),
        )
        for r in rows
    }


# ------------------------------------------------------------------------------------------- database part


@dataclass(frozen=True, slots=True)
class _Work:
    """One mailbox's read mail that changes something: new messages, or a folder position that moved."""

    target: _Target
    fetched: _Fetched
    changed: tuple[_FolderRead, ...]
    items: tuple[Incoming, ...]


T = TypeVar("T")
R = TypeVar("R")


@dataclass(slots=True)
class _Queued(Generic[T, R]):
    """An item waiting for a writer, and what became of it."""

    item: T
    taken: bool = False  # a writer has it
    done: asyncio.Event = field(default_factory=asyncio.Event)
    result: R | None = None
    error: BaseException | None = None


class GroupCommit(Generic[T, R]):
    """Group commit: items (here, the read mail of many mailboxes) written in few transactions.

    Each item joins a queue. A writer (at most as many at once as `slots` allows) takes the `limit` oldest queued
    items and writes them together with `write`, which returns one result per item, in order; whatever arrives
    meanwhile waits for the next writer. A lone item is written at once, and the busier the sweep the more items
    share a transaction: its statements cost about the same for one mailbox as for fifty. Each caller gets its
    own item's result, or the error of the write that carried it."""

    def __init__(self, write: Callable[[list[T]], Awaitable[list[R]]], *, slots: asyncio.Semaphore, limit: int) -> None:
        self._write = write
        self._slots = slots
        self._limit = max(1, limit)
        self._queue: list[_Queued[T, R]] = []

    async def submit(self, item: T) -> R:
        entry: _Queued[T, R] = _Queued(item)
        self._queue.append(entry)
        while not entry.taken:
            async with self._slots:
                await asyncio.sleep(0)  # items submitted at the same moment join this write
                if not entry.taken:
                    await self._run()
        await entry.done.wait()
        if entry.error is not None:
            raise entry.error
        return cast(R, entry.result)

    async def _run(self) -> None:
        batch, self._queue = self._queue[: self._limit], self._queue[self._limit :]
        for entry in batch:
            entry.taken = True
        try:
            results = await self._write([e.item for e in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"{len(results)} results for {len(batch)} items")
        except BaseException as exc:  # every item of the batch fails with it
            for entry in batch:
                entry.error = exc
            raise
        else:
            for entry, result in zip(batch, results, strict=True):
                entry.result = result
        finally:
            for entry in batch:
                entry.done.set()


async def _commit_batch(
    batch: Sequence[tuple[_Target, _Fetched]],
    *,
    clock: Clock,
    options: SyncOptions,
    zones: Mapping[int, ZoneInfo],
) -> dict[int, SyncResult]:
    """Record what the mail of these mailboxes means, in one transaction with their new folder positions.

    A mailbox whose position another worker moved first is left out (`inbox-busy`). When the transaction fails as
    a whole (a position that appeared meanwhile, or an error one mailbox's mail causes), each mailbox is written
    again on its own, so only the one concerned is lost: its write failing alone fails that mailbox (logged with a
    reference, as a fault of ours in its read is), never the sweep — raised, it failed every other mailbox of the
    run, on every run while its mail stayed unread."""
    results: dict[int, SyncResult] = {}
    work: list[_Work] = []
    for target, fetched in batch:
        items = tuple(i for read in fetched.folders for i in read.items)
        kinds = dict(Counter(i.verdict.kind.value for i in items))
        changed = tuple(r for r in fetched.folders if r.items or r.before != r.after)
        rescued = fetched.rescued if changed else 0
        results[target.id] = SyncResult(
            target.id, target.address, SyncStatus.OK, "inbox-synced", kinds=kinds, rescued=rescued
        )
        if changed:
            work.append(_Work(target, fetched, changed, items))
    if not work:
        return results
    try:
        async with in_transaction():  # positions and effects together, or neither
            lost = await _write(work, clock=clock, options=options, zones=zones)
    except Exception as exc:
        if len(work) > 1:
            if not isinstance(exc, _Moved):
                log.warning("inbox write failed, writing mailbox by mailbox", mailboxes=len(work), error=repr(exc))
            for one in work:
                results |= await _commit_batch([(one.target, one.fetched)], clock=clock, options=options, zones=zones)
            return results
        if not isinstance(exc, _Moved):
            alone = work[0].target
            ref = uuid.uuid4().hex[:8]
            log.exception("inbox write failed", mailbox_id=alone.id, ref=ref)
            failed = ImapError(ImapErrorKind.INTERNAL, ref)
            results[alone.id] = await _record_failure(alone, failed, clock=clock, options=options, zones=zones)
            return results
        lost = {work[0].target.id}
    for one in work:
        if one.target.id in lost:
            results[one.target.id] = SyncResult(one.target.id, one.target.address, SyncStatus.SKIPPED, "inbox-busy")
    return results


async def _write(
    work: Sequence[_Work], *, clock: Clock, options: SyncOptions, zones: Mapping[int, ZoneInfo]
) -> set[int]:
    """The statements of one transaction: positions first, the counters last. Returns the mailboxes lost to
    another worker (their mail changes nothing here: that worker records it)."""
    now = clock.now()
    locked = await _lock_positions(sorted(w.target.id for w in work))
    lost = {w.target.id for w in work if any(_at(locked, w.target.id, r.folder) != r.before for r in w.changed)}
    won = [w for w in work if w.target.id not in lost]
    if not won:
        return lost
    await _forget_spam_folders([w for w in won if w.fetched.spam_folder != w.target.spam_folder])
    await _advance(won, locked, now)
    received: list[tuple[_Target, list[Incoming], Mapping[str, OurMessage]]] = []
    planned: list[tuple[int, Effects]] = []
    recorded = await _recorded(won)
    for w in won:
        receiver = Receiver(w.target.id, w.target.workspace_id, w.target.domain_id)
        fresh = _once(_not_recorded(receiver, w, recorded.get(w.target.id, set())))
        effects = plan_effects(receiver, fresh, w.fetched.ours, auto_reply_delay=w.target.auto_reply_delay)
        received.append((w.target, fresh, w.fetched.ours))
        planned.append((w.target.workspace_id, effects))
    events = await _apply(planned, clock=clock)
    await _plan_replies(received, clock=clock, seed=options.warmup_seed, zones=zones, ids=options.message_id_seed)
    # the counters last, in the same transaction as their events (a crash may not lose counts): the shared
    # workspace and campaign rows are locked only for the commit that follows
    await count_events(events, zones=zones)
    return lost


class _Moved(Exception):
    """A folder position appeared while this run wrote its own: this run's effects are rolled back."""


# The positions of the batch's mailboxes, locked in one order (two workers' batches cannot deadlock on them) and
# compared with the positions the reads started from: a mailbox whose position moved meanwhile was synced by
# another worker, and is left to it.
_LOCK_POSITIONS = """
SELECT id, mailbox_id, folder, uidvalidity, last_uid FROM folder_state
WHERE mailbox_id = ANY($1::int[])
ORDER BY id
FOR UPDATE
"""
_FORGET_SPAM = """
DELETE FROM folder_state f USING unnest($1::int[], $2::text[]) AS k(mailbox_id, spam)
WHERE f.mailbox_id = k.mailbox_id AND f.folder <> 'INBOX' AND f.folder <> k.spam
"""
# A row that is not among the locked ones appeared after the lock (another worker's first sync of the folder):
# it is not overwritten, and the missing row in RETURNING rolls the batch back (`_Moved`).
_ADVANCE = """
INSERT INTO folder_state (mailbox_id, folder, uidvalidity, last_uid, synced_at)
SELECT mailbox_id, folder, uidvalidity, last_uid, $5::timestamptz
FROM unnest($1::int[], $2::text[], $3::bigint[], $4::bigint[]) AS t(mailbox_id, folder, uidvalidity, last_uid)
ON CONFLICT (mailbox_id, folder) DO UPDATE
    SET uidvalidity = excluded.uidvalidity, last_uid = excluded.last_uid, synced_at = excluded.synced_at
    WHERE folder_state.id = ANY($6::int[])
RETURNING id
"""


async def _lock_positions(mailbox_ids: list[int]) -> dict[tuple[int, str], tuple[int, Position]]:
    rows = await connections.get("default").execute_query_dict(_LOCK_POSITIONS, [mailbox_ids])
    return {
        (int(r["mailbox_id"]), str(r["folder"])): (int(r["id"]), Position(int(r["uidvalidity"]), int(r["last_uid"])))
        for r in rows
    }


def _at(locked: Mapping[tuple[int, str], tuple[int, Position]], mailbox_id: int, folder: str) -> Position | None:
    found = locked.get((mailbox_id, folder))
    return found[1] if found else None


async def _forget_spam_folders(work: Sequence[_Work]) -> None:
    """Forget the positions of spam folders that are gone (renamed, or none any more)."""
    if work:
        await connections.get("default").execute_query(
            _FORGET_SPAM, [[w.target.id for w in work], [w.fetched.spam_folder or "" for w in work]]
        )


async def _advance(
    work: Sequence[_Work], locked: Mapping[tuple[int, str], tuple[int, Position]], now: dt.datetime
) -> None:
    """Move the folder positions forward, in one statement."""
    moves = [(w.target.id, r) for w in work for r in w.changed]
    rows = await connections.get("default").execute_query_dict(
        _ADVANCE,
        [
            [mailbox_id for mailbox_id, _ in moves],
            [r.folder for _, r in moves],
            [r.after.uidvalidity for _, r in moves],
            [r.after.last_uid for _, r in moves],
            now,
            [found[0] for found in locked.values()],
        ],
    )
    if len(rows) != len(moves):
        raise _Moved


_Recorded = tuple[str, str, str | None, int | None]  # incoming id, event kind, address, our message id
# The events of incoming mail the batch's mailboxes recorded before, for the messages read now: by `event_incoming`,
# one index probe per message id whatever the size of the event table. The probes are spelled out (`LATERAL`,
# `OFFSET 0`) and say the index's own condition: the planner has no statistics of a partial index's expression, so
# `= ANY($1)` over the whole table was estimated at a third of it and read with a sequential scan (20 ms a batch
# at the middle of a full-size demo, growing with the table; 0.5 ms probed).
_RECORDED = """
SELECT e.data->>'inbox_mailbox_id' AS mailbox, e.data->>'incoming_id' AS incoming, e.kind,
       e.data->>'address' AS address, e.message_id
FROM unnest($1::text[]) AS i(id) CROSS JOIN LATERAL (
    SELECT x.data, x.kind, x.message_id FROM event x
    WHERE x.data->>'incoming_id' = i.id AND x.data->>'incoming_id' IS NOT NULL
      AND x.data->>'inbox_mailbox_id' = ANY($2::text[])
    OFFSET 0) e
"""


async def _recorded(work: Sequence[_Work]) -> dict[int, set[_Recorded]]:
    """Per mailbox, what its earlier syncs recorded of the messages read now (one statement for the batch)."""
    wanted = {
        i.incoming_id
        for w in work
        for i in w.items
        if i.incoming_id and (i.verdict.kind in _EVENT_OF or i.verdict.kind is MailKind.WARMUP)
    }
    if not wanted:
        return {}
    rows = await connections.get("default").execute_query_dict(
        _RECORDED, [sorted(wanted), sorted({str(w.target.id) for w in work})]
    )
    found: dict[int, set[_Recorded]] = {}
    for r in rows:
        key = (str(r["incoming"]), str(r["kind"]), r["address"], r["message_id"])
        found.setdefault(int(r["mailbox"]), set()).add(key)
    return found


def _not_recorded(receiver: Receiver, work: _Work, recorded: set[_Recorded]) -> list[Incoming]:
    """Drop what this mailbox recorded in an earlier sync. A folder read again by date after a UIDVALIDITY change
    repeats its messages: one recorded in any way is dropped. Elsewhere a message read now is new to the folder,
    yet a sender's MTA that lost the answer to its final dot delivers it again, maybe after a sync ran: it is
    dropped when it would record the very event recorded before (same id, kind, address and message of ours),
    so an autoresponder that stamps one Message-ID on every notice still has each counted for its own lead.
    Counted again, a second copy doubled a bounce (what the bounce-spike rule reads) or a lead's reply. A warmup
    message placed before is dropped whichever folder it is read in now: the copy a rescue moved to INBOX is read
    in a later run when INBOX had more new mail than one run reads or its read failed after the move, and it was
    counted again as inbox placement (one message, a spam and an inbox result) and answered a second time."""
    if not recorded:
        return list(work.items)
    rescanned = {r.folder for r in work.fetched.folders if r.reset and r.before is not None}
    seen = {key[0] for key in recorded}
    placed = {key[0] for key in recorded if key[1] in _PLACEMENTS}
    kept: list[Incoming] = []
    for item in work.items:
        if item.incoming_id is not None:
            if item.folder in rescanned and item.incoming_id in seen:
                continue
            if item.verdict.kind is MailKind.WARMUP and item.incoming_id in placed:
                continue  # the copy a rescue moved to INBOX, read in a later run: its placement is counted
            events = plan_effects(receiver, [item], work.fetched.ours).events
            if events and all(_recorded_as(e) in recorded for e in events):
                continue
        kept.append(item)
    return kept


_PLACEMENTS: Final = frozenset({EventKind.WARMUP_INBOX.value, EventKind.WARMUP_SPAM.value})


def _recorded_as(event: EventRecord) -> _Recorded:
    return (str(event.data.get("incoming_id")), event.kind.value, event.data.get("address"), event.message_id)


def _once(items: Sequence[Incoming]) -> list[Incoming]:
    """Each message once. A sender's MTA that lost the answer to its final dot delivers the message again: the same
    Message-ID twice, and counted twice it doubled a bounce (what the bounce-spike rule reads) or a lead's reply.
    Two deliveries of one message are told from two messages by the id and the verdict together (an autoresponder
    that stamps one fixed Message-ID on every notice still has each counted for its own lead)."""
    seen: set[tuple[str, MailKind, str | None, str | None]] = set()
    kept: list[Incoming] = []
    for item in items:
        if item.incoming_id is not None:
            key = (item.incoming_id, item.verdict.kind, item.verdict.address, item.verdict.related_id)
            if key in seen:
                continue
            seen.add(key)
        kept.append(item)
    return kept


# ------------------------------------------------------------------------------------------- warmup answers


@dataclass(frozen=True, slots=True)
class _Answer:
    """A received warmup message the reaction chose to answer."""

    target: _Target  # the mailbox that answers
    message_id: str
    item: Incoming
    reaction: Reaction
    sent: OurMessage  # our row of the message answered (its sender's)


@dataclass(frozen=True, slots=True)
class _Answerer:
    """What planning an answer needs of the answering mailbox, read in the transaction that plans it."""

    id: int
    address: str
    display_name: str
    status: MailboxStatus
    provider: MailProvider
    daily_cap: int
    warmup_started_on: dt.date | None
    locale: str
    maintenance_cap: int  # what its maintenance share is taken of (`engine.warmup.ramp.maintenance_base`)
    ramp_mark: RampMark | None = None  # where its ramp continues from after a settings change
    stopped: bool = False  # its warmup is paused, or it or its domain stands (`_ANSWERERS`): it answers nothing


def _answers_wanted(
    received: Iterable[tuple[_Target, Sequence[Incoming], Mapping[str, OurMessage]]], agency: Collection[int] = ()
) -> list[_Answer]:
    """The warmup mail to answer: mail we sent ourselves (its row holds the text to quote) in the same workspace,
    or in another one when both are in the agency-wide pool (`agency`: the workspaces that opted in, whose
    mailboxes warm with each other), counted in this run (a re-read or a rescued copy is not), and each message
    once."""
    wanted: list[_Answer] = []
    for target, items, ours in received:
        seen: set[str] = set()
        for i in items:
            if not i.counted or i.reaction is None or not i.reaction.reply or not i.message_id:
                continue
            sent = ours.get(i.message_id)
            if sent is None or sent.kind != MessageKind.WARMUP.value:
                continue
            if sent.workspace_id != target.workspace_id and not {sent.workspace_id, target.workspace_id} <= {*agency}:
                continue
            if i.message_id not in seen:
                seen.add(i.message_id)
                wanted.append(_Answer(target, i.message_id, i, i.reaction, sent))
    return wanted


async def _plan_replies(
    received: Sequence[tuple[_Target, Sequence[Incoming], Mapping[str, OurMessage]]],
    *,
    clock: Clock,
    seed: str,
    zones: Mapping[int, ZoneInfo],
    ids: str | None = None,
) -> None:
    """Answer the warmup mail the reactions chose: each answer is a `planned` warmup row from the receiving mailbox
    to the sender, in the same thread, scheduled after the reaction's delay; the sending engine sends it like any
    other. Only mail we sent ourselves is answered, each message once (`_answers_wanted`).

    An answer is part of the mailbox's warmup volume. Today's volume the planner has already decided: an answer due
    today takes the place of one of today's fresh warmup emails not yet due (the latest). A later day, not planned
    yet, holds answers up to its ramp volume (the planner then plans only the rest). Otherwise the answer moves to
    the same time a day later, for at most `_REPLY_DAYS` days; past that it is not sent. The day's volume stays
    the ramp's.

    The answers of every mailbox of the batch are planned together, in a fixed number of statements: the parents
    and the answering mailboxes, today's replaceable rows (locked), the later days' held counts when needed, then
    one update that cancels the rows replaced and one insert of the answers."""
    wanted = _answers_wanted(received, await _agency_pool(received))
    if not wanted:
        return
    db = connections.get("default")
    now = clock.now()
    parents = {int(r["id"]): r for r in await db.execute_query_dict(_PARENTS, [sorted({a.sent.id for a in wanted})])}
    wanted = [a for a in wanted if a.sent.id in parents]
    boxes = {b.id: b for b in await _answerers(sorted({a.target.id for a in wanted}), now)}
    # a retired or disabled mailbox is read only for late answers to its mail: it sends nothing, warmup answers
    # included. One whose warmup is paused, or that (or whose domain) is paused or cooling down, sends no warmup:
    # an answer planned for it took a later day's warmup slot and expired unsent
    boxes = {i: b for i, b in boxes.items() if b.status not in _SKIPPED_STATUSES and not b.stopped}
    wanted = [a for a in wanted if a.target.id in boxes]
    if not wanted:
        return
    zone = {a.target.id: zones.get(a.target.workspace_id, ZoneInfo("UTC")) for a in wanted}
    today = {box_id: now.astimezone(z).date() for box_id, z in zone.items()}
    check_transition("message", MessageStatus.PLANNED, MessageStatus.CANCELLED)
    replaceable = await _replaceable({box_id: _bounds(day, zone[box_id]) for box_id, day in today.items()})
    held = await _held(_later_days(wanted, replaceable, today, zone, now), zone)
    volumes: dict[tuple[int, dt.date], int] = {}
    replaced: list[int] = []
    rows: list[tuple[_Answer, int, Composed, dt.datetime]] = []
    for answer in wanted:
        box_id, settings = answer.target.id, answer.target.warmup
        moment = now + answer.reaction.delay
        for _ in range(_REPLY_DAYS):
            day = moment.astimezone(zone[box_id]).date()
            if day == today[box_id]:
                if replaceable.get(box_id):
                    replaced.append(replaceable[box_id].pop(0))
                    break
            else:
                key = (box_id, day)
                if key not in volumes:
                    volumes[key] = _warmup_volume(boxes[box_id], settings, day)
                if held.get(key, 0) < volumes[key]:
                    held[key] = held.get(key, 0) + 1
                    break
            moment += dt.timedelta(days=1)
        else:
            continue  # no room for an answer in the days ahead: this message stays unanswered
        parent, me = parents[answer.sent.id], boxes[box_id]
        composed = compose_reply(
            message_rng(seed, f"reply:{answer.message_id}"),
            parent_subject=str(parent["subject"]),
            parent_body=str(parent["body"]),
            sender=_persona(me.display_name, me.address),
            recipient=_persona(str(parent["display_name"]), str(parent["address"])),
            locale=_language(str(parent["body"]), me.locale),
        )
        rows.append((answer, int(parent["mailbox_id"]), composed, moment))
    if replaced:  # rows locked by `_replaceable`: each is still `planned`
        await db.execute_query(_REPLACE, [replaced])
    if rows:
        await db.execute_query(
            _INSERT_ANSWERS,
            [
                [answer.target.workspace_id for answer, _, _, _ in rows],
                [answer.target.id for answer, _, _, _ in rows],
                [peer for _, peer, _, _ in rows],
                [_answer_id(answer, now, ids) for answer, _, _, _ in rows],
                [composed.subject for _, _, composed, _ in rows],
                [composed.body for _, _, composed, _ in rows],
                [answer.message_id for answer, _, _, _ in rows],
                [" ".join([*answer.item.thread, answer.message_id][-20:]) for answer, _, _, _ in rows],
                [moment for _, _, _, moment in rows],
                now,
            ],
        )


async def _agency_pool(received: Iterable[tuple[_Target, Sequence[Incoming], Mapping[str, OurMessage]]]) -> set[int]:
    """Of the workspaces that sent warmup mail to another workspace's mailbox in this batch, and of the receivers',
    those in the agency-wide pool (one query, only when there is such mail)."""
    ids: set[int] = set()
    for target, items, ours in received:
        for i in items:
            sent = ours.get(i.message_id or "")
            if sent is not None and sent.kind == MessageKind.WARMUP.value and sent.workspace_id != target.workspace_id:
                ids |= {sent.workspace_id, target.workspace_id}
    if not ids:
        return set()
    rows = await Workspace.filter(id__in=sorted(ids)).values("id", "settings")
    return {int(r["id"]) for r in rows if WarmupSettings.in_effect(r["settings"]).pool == "agency"}


def _answer_id(answer: _Answer, now: dt.datetime, seed: str | None) -> str:
    """A new Message-ID for a warmup answer: random, or with `seed` made from it and the message answered."""
    if seed is None:
        return make_message_id(answer.target.address)
    domain = answer.target.address.rpartition("@")[2]
    return f"<{seeded_message_hex(seed, 'answer', now.isoformat(), answer.target.id, answer.message_id)}@{domain}>"


_REPLY_DAYS: Final = 7
_PARENTS = """
SELECT m.id, m.subject, m.body, m.mailbox_id, b.address, b.display_name
FROM outbound_message m JOIN mailbox b ON b.id = m.mailbox_id
WHERE m.id = ANY($1::bigint[])
"""
# maintenance_cap: `engine.warmup.ramp.maintenance_base` — the mailbox's cap, or its even part of its domain's
_ANSWERERS = """
SELECT b.id, b.address, b.display_name, b.status, b.provider, b.daily_cap, b.warmup_started_on, w.locale,
    b.warmup_ramp_day, b.warmup_ramp_level,
    (b.status IN ('paused', 'cooldown') OR b.warmup_paused_at IS NOT NULL OR coalesce(b.cooldown_until > $2, false)
        OR d.status IN ('cooling', 'burned', 'retired')) AS stopped,
    greatest(0, least(b.daily_cap, d.daily_cap / greatest(1, (
        SELECT count(*) FROM mailbox s WHERE s.domain_id = b.domain_id AND s.warmup_started_on IS NOT NULL
          AND s.status IN ('warming', 'active'))))) AS maintenance_cap
FROM mailbox b JOIN workspace w ON w.id = b.workspace_id JOIN domain d ON d.id = b.domain_id
WHERE b.id = ANY($1::int[])
"""
# today's fresh warmup emails of each mailbox not yet sent, latest first: an answer due today takes the place of one
_REPLACEABLE = """
SELECT m.id, m.mailbox_id FROM outbound_message m
JOIN unnest($1::int[], $2::timestamptz[], $3::timestamptz[]) AS t(mailbox_id, lo, hi)
  ON m.mailbox_id = t.mailbox_id AND m.scheduled_at >= t.lo AND m.scheduled_at < t.hi
WHERE m.kind = 'warmup' AND m.status = 'planned' AND m.in_reply_to = ''
ORDER BY m.mailbox_id, m.scheduled_at DESC, m.id DESC
FOR UPDATE OF m SKIP LOCKED
"""
_HELD = """
SELECT t.mailbox_id, t.day, count(m.id) AS n
FROM unnest($1::int[], $2::date[], $3::timestamptz[], $4::timestamptz[]) AS t(mailbox_id, day, lo, hi)
LEFT JOIN outbound_message m ON m.mailbox_id = t.mailbox_id AND m.kind = 'warmup' AND m.status <> 'cancelled'
  AND m.scheduled_at >= t.lo AND m.scheduled_at < t.hi
GROUP BY t.mailbox_id, t.day
"""


_REPLACE = """
UPDATE outbound_message SET status = 'cancelled', smtp_reply = 'replaced by a warmup answer'
WHERE id = ANY($1::bigint[]) AND status = 'planned'
"""
_INSERT_ANSWERS = """
INSERT INTO outbound_message (kind, workspace_id, mailbox_id, peer_id, message_id, subject, body, in_reply_to,
    "references", status, scheduled_at, attempts, smtp_reply, html, created_at)
SELECT 'warmup', ws, mb, peer, mid, subject, body, irt, refs, 'planned', at, 0, '', '', $10::timestamptz
FROM unnest($1::int[], $2::int[], $3::int[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
    $9::timestamptz[]) AS t(ws, mb, peer, mid, subject, body, irt, refs, at)
"""


async def _answerers(mailbox_ids: list[int], now: dt.datetime) -> list[_Answerer]:
    rows = await connections.get("default").execute_query_dict(_ANSWERERS, [mailbox_ids, now])
    return [
        _Answerer(
            id=int(r["id"]),
            address=str(r["address"]),
            display_name=str(r["display_name"]),
            status=MailboxStatus(r["status"]),
            provider=MailProvider(r["provider"]),
            daily_cap=int(r["daily_cap"]),
            warmup_started_on=r["warmup_started_on"],
            locale=str(r["locale"]),
            maintenance_cap=int(r["maintenance_cap"]),
            ramp_mark=mark_of(r["warmup_ramp_day"], r["warmup_ramp_level"]),
            stopped=bool(r["stopped"]),
        )
        for r in rows
    ]


async def _replaceable(today: Mapping[int, tuple[dt.datetime, dt.datetime]]) -> dict[int, list[int]]:
    """Per mailbox, the ids of today's fresh warmup emails still `planned`, latest first, locked (rows a send job
    holds are skipped: it is about to send them)."""
    ids = sorted(today)
    rows = await connections.get("default").execute_query_dict(
        _REPLACEABLE, [ids, [today[i][0] for i in ids], [today[i][1] for i in ids]]
    )
    found: dict[int, list[int]] = {}
    for r in rows:
        found.setdefault(int(r["mailbox_id"]), []).append(int(r["id"]))
    return found


def _later_days(
    wanted: Sequence[_Answer],
    replaceable: Mapping[int, Sequence[int]],
    today: Mapping[int, dt.date],
    zone: Mapping[int, ZoneInfo],
    now: dt.datetime,
) -> set[tuple[int, dt.date]]:
    """The (mailbox, day) pairs after today that answers may land on: every day within reach of a mailbox that
    has an answer not due today, or more answers due today than rows to replace."""
    due: dict[int, list[_Answer]] = {}
    for answer in wanted:
        due.setdefault(answer.target.id, []).append(answer)
    days: set[tuple[int, dt.date]] = set()
    for box_id, answers in due.items():
        firsts = [(now + a.reaction.delay).astimezone(zone[box_id]).date() for a in answers]
        today_count = sum(day == today[box_id] for day in firsts)
        if today_count == len(firsts) and today_count <= len(replaceable.get(box_id, ())):
            continue
        for answer in answers:
            for shift in range(_REPLY_DAYS):
                moment = now + answer.reaction.delay + dt.timedelta(days=shift)
                day = moment.astimezone(zone[box_id]).date()
                if day != today[box_id]:
                    days.add((box_id, day))
    return days


async def _held(days: set[tuple[int, dt.date]], zone: Mapping[int, ZoneInfo]) -> dict[tuple[int, dt.date], int]:
    """How many warmup emails each mailbox already has on each of these days (planned answers included)."""
    if not days:
        return {}
    pairs = sorted(days)
    bounds = [_bounds(day, zone[box_id]) for box_id, day in pairs]
    rows = await connections.get("default").execute_query_dict(
        _HELD, [[b for b, _ in pairs], [d for _, d in pairs], [lo for lo, _ in bounds], [hi for _, hi in bounds]]
    )
    return {(int(r["mailbox_id"]), r["day"]): int(r["n"]) for r in rows}


def _bounds(day: dt.date, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time(), tzinfo=zone)
    return start, dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone)


def _warmup_volume(box: _Answerer, settings: WarmupSettings, day: dt.date) -> int:
    """The warmup emails `box` sends on `day`, as the planner counts them."""
    return volume_today(
        settings, mailbox_id=box.id, day=day, started_on=box.warmup_started_on,
        graduated=box.status is MailboxStatus.ACTIVE, provider_limit=PRESETS[box.provider].provider_daily_limit,
        maintenance_cap=box.maintenance_cap, mark=box.ramp_mark,
    )  # fmt: skip


def _persona(name: str, address: str) -> Persona:
    company = address.rpartition("@")[2].split(".")[0].replace("-", " ").title()
    return Persona(name=name, company=company, address=address)


def _language(text: str, fallback: str) -> str:
    """Answer in the language the message was written in."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return fallback if fallback in ("ru", "en") else "ru"
    cyrillic = sum("\u0400" <= c <= "\u04ff" for c in letters)
    return "ru" if cyrillic * 2 > len(letters) else "en"


def plan_effects(
    receiver: Receiver,
    items: Iterable[Incoming],
    ours: Mapping[str, OurMessage],
    *,
    auto_reply_delay: dt.timedelta = AUTO_REPLY_DELAY,
) -> Effects:
    """What the classified mail of one mailbox changes (pure: no I/O).

    Warmup placement counts against the mailbox that sent the warmup message (its reputation is measured);
    everything else counts for the receiving mailbox. Our messages are only matched within the workspace, so one
    client's mail can never touch another client's enrollments. An auto-reply to a campaign message delays the
    lead's next step (until the day its author is back, when it names one, else by `auto_reply_delay`) instead
    of stopping the sequence.
    """
    effects = Effects()
    for item in items:
        verdict = item.verdict
        related = ours.get(verdict.related_id or "")
        foreign = related is not None and related.workspace_id != receiver.workspace_id
        if foreign:
            related = None
        if verdict.kind is MailKind.WARMUP:
            _settle(effects, ours.get(item.message_id or ""))  # a peer received it: it went out
            if item.counted and item.placed:  # unplaced: could not check, never "in the inbox"
                effects.events.append(_warmup_event(item, ours, receiver))
            continue
        kind = _EVENT_OF.get(verdict.kind)
        if kind is None:
            continue
        _settle(effects, related)  # a bounce naming it or an answer to it: it went out
        if related is not None and related.kind == MessageKind.WARMUP.value:
            _plan_warmup_report(effects, kind, item, related, receiver)
            continue
        effects.events.append(_event(kind, item, related, receiver))
        _plan_stops(effects, verdict, related)
        if verdict.kind is MailKind.AUTO_REPLY and related is not None and related.enrollment_id is not None:
            _plan_auto_reply(effects, item, related.enrollment_id, related.lead_id, auto_reply_delay)
        reason = _SUPPRESSES.get(verdict.kind)
        if reason is not None and verdict.address:
            # an address that does not exist does not exist for anyone; a complaint or an opt-out is per client. A
            # bounce of another client's message is none of this mailbox's business (misrouted, or forged to hurt
            # that client): it suppresses the address for this workspace only, never another client's lead
            scope = None if verdict.kind is MailKind.BOUNCE_HARD and not foreign else receiver.workspace_id
            effects.suppressions.append(SuppressionRecord(scope, verdict.address, reason))
        if related is not None and related.status in _WENT_OUT:
            if verdict.kind is MailKind.BOUNCE_HARD:
                effects.bounced_messages.add(related.id)
            elif verdict.kind is MailKind.BOUNCE_BLOCK and _permanent(verdict):
                # the message row tells the truth (it never arrived: `bounced`), the enrollment goes on
                effects.blocked_messages.add(related.id)
    return effects


def _plan_auto_reply(
    effects: Effects, item: Incoming, enrollment_id: int, lead_id: int | None, delay: dt.timedelta
) -> None:
    """An auto-reply to a campaign message: "no longer with the company" stops the lead for good (each step only
    brought another such notice); an absence delays the next step until its author is back."""
    if item.departed is not None:
        if lead_id is not None:
            effects.departed[enrollment_id] = lead_id
        return
    until = _back_at(item, delay)
    earlier = effects.delays.get(enrollment_id)
    effects.delays[enrollment_id] = max(until, earlier) if earlier else until


_WENT_OUT: Final = frozenset({MessageStatus.SENT, MessageStatus.UNKNOWN})
"""What a bounce can move to `bounced`: a sent message, or one left `unknown` that the bounce settles first."""


def _settle(effects: Effects, related: OurMessage | None) -> None:
    """A send left `unknown` (`engine.sending.outbox`: a worker died mid-send) that mail about it proves went out
    is settled as sent (`engine.lifecycle.settle_unknown`), before the mail's own effects (bounced, replied)."""
    if related is not None and related.status is MessageStatus.UNKNOWN:
        effects.settled_messages.add(related.id)


def _back_at(item: Incoming, default: dt.timedelta) -> dt.datetime:
    """Until when an auto-reply holds its lead's next step: the day its author is back, when it names one still
    ahead (a day already past when the notice is read late is not), else `default` from when it was seen."""
    if item.returns_on is not None:
        back = dt.datetime.combine(item.returns_on, dt.time(), tzinfo=item.seen_at.tzinfo or dt.UTC)
        if back > item.seen_at:
            return back
    return item.seen_at + default


_WARMUP_REPORTS: Final = frozenset(
    {EventKind.BOUNCE_HARD, EventKind.BOUNCE_SOFT, EventKind.BOUNCE_BLOCK, EventKind.COMPLAINT}
)
"""What mail about one of our warmup messages, without the warmup marker, is recorded as: a provider's report that
it did not arrive or was marked as spam (it counts against the sender, as a refusal at sending time does). An
answer to it (a person reading the peer mailbox, its out-of-office responder, "stop") is no lead's: counted, it was
a reply in the client's report. A report on it names our own peer mailbox: nobody is suppressed nor stopped."""


def _plan_warmup_report(
    effects: Effects, kind: EventKind, item: Incoming, related: OurMessage, receiver: Receiver
) -> None:
    """The effects of unmarked mail about our warmup message `related` (`_WARMUP_REPORTS`)."""
    if kind not in _WARMUP_REPORTS:
        return
    effects.events.append(_event(kind, item, related, receiver))
    if related.status in _WENT_OUT and kind is EventKind.BOUNCE_HARD:
        effects.bounced_messages.add(related.id)
    elif related.status in _WENT_OUT and kind is EventKind.BOUNCE_BLOCK and _permanent(item.verdict):
        effects.blocked_messages.add(related.id)


def _permanent(verdict: Verdict) -> bool:
    """A final refusal: a 5.x.x status (a 4.x.x one is a deferral; the server may still take the message)."""
    return verdict.status is None or verdict.status.startswith("5")


def _plan_stops(effects: Effects, verdict: Verdict, related: OurMessage | None) -> None:
    if verdict.kind is MailKind.REPLY:
        if related is not None and related.enrollment_id is not None and related.stop_on_reply:
            effects.stop_by_id.setdefault(EnrollmentState.REPLIED, set()).add(related.enrollment_id)
        return
    state = _STOPS.get(verdict.kind)
    if state is None:
        return
    if related is not None and related.enrollment_id is not None:
        effects.stop_by_id.setdefault(state, set()).add(related.enrollment_id)
    if verdict.address:  # as leads store it: lower case, an IDN domain in punycode
        address = normalize_email(verdict.address) or verdict.address.lower()
        effects.stop_by_email.setdefault(state, set()).add(address)


def _event(kind: EventKind, item: Incoming, related: OurMessage | None, receiver: Receiver) -> EventRecord:
    return EventRecord(
        workspace_id=receiver.workspace_id,
        kind=kind,
        occurred_at=item.seen_at,
        mailbox_id=receiver.mailbox_id,
        domain_id=receiver.domain_id,
        campaign_id=related.campaign_id if related else None,
        lead_id=related.lead_id if related else None,
        message_id=related.id if related else None,
        data=_event_data(item, receiver.mailbox_id),
    )


def _warmup_event(item: Incoming, ours: Mapping[str, OurMessage], receiver: Receiver) -> EventRecord:
    kind = EventKind.WARMUP_SPAM if item.in_spam else EventKind.WARMUP_INBOX
    data = _event_data(item, receiver.mailbox_id)
    sender = ours.get(item.message_id or "")
    if sender is None:  # not one we know: still worth counting, against the mailbox it landed in
        return EventRecord(
            receiver.workspace_id, kind, item.seen_at, receiver.mailbox_id, receiver.domain_id, data=data
        )
    return EventRecord(
        workspace_id=sender.workspace_id,
        kind=kind,
        occurred_at=item.seen_at,
        mailbox_id=sender.mailbox_id,
        domain_id=sender.domain_id,
        message_id=sender.id,
        data=data,
    )


def _event_data(item: Incoming, mailbox_id: int) -> dict[str, Any]:
    """What an event keeps of a message: ids, folder and the classifier's findings, never the text itself."""
    data: dict[str, Any] = {"inbox_mailbox_id": mailbox_id, "folder": item.folder, "incoming_id": item.incoming_id}
    if item.arrived is not None:
        data["arrived_at"] = item.arrived.isoformat()
    if item.rescue_refused:
        data["rescue"] = "refused"
    if item.departed is not None:
        data[LEFT_COMPANY] = True
        if item.departed.replacement:
            data[REPLACEMENT] = item.departed.replacement
    verdict = item.verdict
    if verdict.address:
        data["address"] = verdict.address
    if verdict.status:
        data["status"] = verdict.status
    if verdict.reason is not None:
        data["reason"] = verdict.reason.value
    if verdict.detail:
        data["detail"] = verdict.detail[:200]
    return data


async def _apply(planned: Sequence[tuple[int, Effects]], *, clock: Clock) -> list[EventRecord]:
    """Write the planned effects of a batch of mailboxes (workspace id, effects), a few statements for all of
    them; the events are inserted, their counters are the caller's (the transaction's last statement). Returns
    the events."""
    now = clock.now()
    # first: the bounce that follows moves them on to `bounced`, and their SENT events are counted with the rest
    settled = await settle_unknown(
        sorted({m for _, effects in planned for m in effects.settled_messages}), evidence="incoming mail"
    )
    await unknown_sends_settled({e.mailbox_id for e in settled if e.mailbox_id is not None}, clock=clock)
    events, counted = await _opt_outs_once([e for _, effects in planned for e in effects.events])
    events, counted = await _replies_once(events, counted)
    suppressions = [s for _, effects in planned for s in effects.suppressions]
    await add_suppressions(suppressions, now=now)
    # a lead is marked gone in every workspace only by a bounce that suppresses everywhere (not a foreign one)
    gone = {s.value for s in suppressions if s.reason is SuppressionReason.BOUNCE and s.workspace_id is None}
    await mark_hard_bounced(gone, now=now)
    by_id: dict[EnrollmentState, set[int]] = {}
    by_email: dict[tuple[EnrollmentState, int], set[str]] = {}
    delays: dict[int, dt.datetime] = {}
    bounced: set[int] = set()
    blocked: set[int] = set()
    for workspace_id, effects in planned:
        for state, enrollment_ids in effects.stop_by_id.items():
            by_id.setdefault(state, set()).update(enrollment_ids)
        for state, emails in effects.stop_by_email.items():
            by_email.setdefault((state, workspace_id), set()).update(emails)
        for enrollment_id, until in effects.delays.items():
            delays[enrollment_id] = max(until, delays.get(enrollment_id, until))
        bounced |= effects.bounced_messages
        blocked |= effects.blocked_messages
    stopped: set[int] = set()
    for state, enrollment_ids in by_id.items():
        stopped |= await _stop(state, sorted(enrollment_ids))
    for (state, workspace_id), emails in by_email.items():
        # an opt-out closes the person's mailbox (`add_suppressions`): every address of it stops
        wanted = {mailbox_of(e) for e in emails} if state is EnrollmentState.UNSUBSCRIBED else emails
        rows = await connections.get("default").execute_query_dict(_ACTIVE_BY_EMAIL, [workspace_id, sorted(wanted)])
        if rows:
            stopped |= await _stop(state, sorted(int(r["id"]) for r in rows))
    departed = {e: lead for _, effects in planned for e, lead in effects.departed.items()}
    stopped |= await _departed(departed, now=now)
    await cancel_unsent(stopped, reason="cancelled: enrollment stopped")
    await _delay(delays)
    await bounce_sent(bounced, reason="hard bounce received")
    await bounce_sent(blocked - bounced, reason="refused us")
    await insert_events(events)
    return [*settled, *counted]


REPEAT_DATA: Final = "repeat"
"""The key of an UNSUBSCRIBE event's data that marks a person who had opted out before (a link, then a reply
"отпишите"; two replies): kept on record, counted once — reports count people who opted out, not their letters.
On a REPLY: another letter answering a message already answered (`_replies_once`)."""
_OPTED_OUT = """
SELECT DISTINCT v.workspace_id, v.value
FROM unnest($1::int[], $2::text[]) AS v(workspace_id, value)
JOIN suppression s ON s.value = v.value AND (s.workspace_id = v.workspace_id OR s.workspace_id IS NULL)
WHERE s.reason = ANY($3::text[])
"""


async def _opt_outs_once(events: list[EventRecord]) -> tuple[list[EventRecord], list[EventRecord]]:
    """(every event, with a repeated opt-out marked `REPEAT_DATA`; the events to count). An unsubscribe request
    from a person already opted out in the workspace (by the link, by an earlier letter or a complaint: their
    mailbox is suppressed as an opt-out), or a second one in the same read, is recorded but not counted again.
    Run before this read's suppressions are added."""
    keys: dict[int, tuple[int, str]] = {}
    for n, event in enumerate(events):
        address = normalize_email(str(event.data.get("address") or ""))
        if event.kind is EventKind.UNSUBSCRIBE and address is not None:
            keys[n] = (event.workspace_id, mailbox_of(address))
    if not keys:
        return events, events
    wanted = sorted(set(keys.values()))
    rows = await connections.get("default").execute_query_dict(
        _OPTED_OUT, [[w for w, _ in wanted], [v for _, v in wanted], sorted(r.value for r in OPT_OUTS)]
    )
    seen = {(int(r["workspace_id"]), str(r["value"])) for r in rows}
    marked: list[EventRecord] = []
    counted: list[EventRecord] = []
    for n, event in enumerate(events):
        key = keys.get(n)
        if key is not None and key in seen:
            marked.append(dataclasses.replace(event, data={**event.data, REPEAT_DATA: True}))
            continue
        if key is not None:
            seen.add(key)
        marked.append(event)
        counted.append(event)
    return marked, counted


_ANSWERED = "SELECT DISTINCT message_id FROM event WHERE kind = 'reply' AND message_id = ANY($1::bigint[])"


async def _replies_once(
    events: list[EventRecord], counted: list[EventRecord]
) -> tuple[list[EventRecord], list[EventRecord]]:
    """(every event, with a reply to a message already answered marked `REPEAT_DATA`; the events to count). A lead
    writing again in the thread (after the rep's answer, or twice) is a conversation, not more replies: the
    counters count each of our messages answered once, as the per-step export and /health's last sends do."""
    replies = {e.message_id for e in counted if e.kind is EventKind.REPLY and e.message_id is not None}
    if not replies:
        return events, counted
    rows = await connections.get("default").execute_query_dict(_ANSWERED, [sorted(replies)])
    answered = {int(r["message_id"]) for r in rows}
    repeats: set[int] = set()  # positions in `events` of the repeated replies
    for n, event in enumerate(events):
        if event.kind is EventKind.REPLY and event.message_id is not None and not event.data.get(REPEAT_DATA):
            if event.message_id in answered:
                repeats.add(n)
            answered.add(event.message_id)
    if not repeats:
        return events, counted
    marked = [dataclasses.replace(e, data={**e.data, REPEAT_DATA: True}) if n in repeats else e
              for n, e in enumerate(events)]  # fmt: skip
    gone = {id(events[n]) for n in repeats}
    return marked, [e for e in counted if id(e) not in gone]


_DELAY = """
WITH d AS (SELECT * FROM unnest($1::bigint[], $2::timestamptz[]) AS t(id, until)),
e AS (
    UPDATE enrollment e SET next_due_at = GREATEST(e.next_due_at, d.until)
    FROM d WHERE e.id = d.id AND e.state = 'active'
    RETURNING e.id, d.until
)
UPDATE outbound_message m SET scheduled_at = e.until
FROM e WHERE m.enrollment_id = e.id AND m.status IN ('planned', 'queued') AND m.scheduled_at < e.until
"""


async def _delay(delays: Mapping[int, dt.datetime]) -> None:
    """Auto-replies: each active enrollment's next step waits until the given moment, a follow-up already
    planned or queued too (it moves, keeping its row: the step is sent once, later)."""
    if not delays:
        return
    ids = sorted(delays)
    await connections.get("default").execute_query(_DELAY, [ids, [delays[i] for i in ids]])


# A sequence stopped because its send was left unknown (`engine.sending.outbox`) is stopped again for what the mail
# about that send says (the lead replied, the address bounced): the lead's card then tells why, as for any other.
_STOP_BY_ID = """
UPDATE enrollment SET state = $1, next_due_at = NULL,
    stopped_reason = CASE WHEN state = 'stopped' THEN '' ELSE stopped_reason END
WHERE (state = 'active' OR (state = 'stopped' AND stopped_reason = 'send_unknown')) AND id = ANY($2::bigint[])
RETURNING id
"""
# Enrollments are found first and then updated by primary key. The lead ids are an ARRAY(sub-select), which
# PostgreSQL evaluates once: a plain join planned on stale statistics (right after a bulk import) became a
# nested loop and took 400 ms per statement at 1,200 leads; this shape stays a single index probe and one scan.
# An address stops its own leads and, when it is a mailbox, its `+tag` addresses' (`ivan@` is the inbox of
# `ivan+a@`, as the suppression it leaves says): two index probes (`email`, `lead_mailbox`). An opt-out passes the
# mailbox of the address it came from (`ivan+a@` → `ivan@`), which stops the person under every address.
_ACTIVE_BY_EMAIL = f"""
SELECT id FROM enrollment
WHERE state = 'active'
  AND lead_id = ANY(ARRAY(SELECT id FROM lead WHERE workspace_id = $1
                          AND (email = ANY($2::text[]) OR {mailbox_sql("email")} = ANY($2::text[]))))
"""  # noqa: S608 - no input in the text


REPLACEMENT: Final = "replacement"
"""The key of such an event's data holding the address the notice names instead (`/leads` shows it)."""
# The person is gone: the enrollment that got the notice and any other active one of the lead stop, and the lead is
# invalid in this workspace (never enrolled again; a re-import keeps it, as a hard bounce), unless a bounce said so.
_DEPARTED = f"""
WITH s AS (
    UPDATE enrollment SET state = 'stopped', stopped_reason = '{LEFT_COMPANY}', next_due_at = NULL
    WHERE (state = 'active' OR (state = 'stopped' AND stopped_reason = 'send_unknown'))
      AND (id = ANY($1::bigint[]) OR lead_id = ANY($2::bigint[]))
    RETURNING id
), l AS (
    UPDATE lead SET verdict = 'invalid', verdict_reason = '{LEFT_COMPANY}', validated_at = $3
    WHERE id = ANY($2::bigint[]) AND verdict_reason NOT IN ('hard_bounce', '{LEFT_COMPANY}')
)
SELECT id FROM s
"""  # noqa: S608 - a constant reason


async def _departed(departed: Mapping[int, int], *, now: dt.datetime) -> set[int]:
    """Stop the sequences of leads who have left their company (`_DEPARTED`); the enrollments stopped."""
    if not departed:
        return set()
    rows = await connections.get("default").execute_query_dict(
        _DEPARTED, [sorted(departed), sorted(set(departed.values())), now]
    )
    return {int(r["id"]) for r in rows}


async def _stop(state: EnrollmentState, enrollment_ids: list[int]) -> set[int]:
    """Stop active enrollments in one statement; the ids actually stopped."""
    rows = await connections.get("default").execute_query_dict(_STOP_BY_ID, [state.value, enrollment_ids])
    return {int(r["id"]) for r in rows}


async def _record_failure(
    target: _Target, error: ImapError, *, clock: Clock, options: SyncOptions, zones: Mapping[int, ZoneInfo]
) -> SyncResult:
    """Remember why a mailbox could not be read; count authentication failures and disable at the limit."""
    now = clock.now()
    text = f"{error.key}: {error.detail}"[:1000]
    log.warning("inbox sync failed", mailbox_id=target.id, error=error.kind.value, detail=error.detail)
    late = target.status in _SKIPPED_STATUSES
    if late and error.kind is ImapErrorKind.AUTH:
        # a retired or disabled mailbox read for late answers: no alert (it may well be gone at the provider, and a
        # disabled one has its alert); the refused login stops its reading (`readable`), and the card keeps the
        # error it was disabled for (an SMTP login refused, say), as it said until now
        await Mailbox.filter(id=target.id).update(
            imap_auth_failures=F("imap_auth_failures") + 1,
            **({} if _keeps_cause(target.last_error) else {"last_error": text, "last_error_at": now}),
        )
        return SyncResult(target.id, target.address, SyncStatus.FAILED, error.key, detail=error.detail)
    if late:  # not the login: the card keeps why it was disabled and says this apart; the tries back off
        await Mailbox.filter(id=target.id).update(
            read_error=text, read_error_at=now, read_failures=F("read_failures") + 1
        )
        if target.status is MailboxStatus.DISABLED and target.read_failures >= 1:  # twice in a row: raised once
            await _late_read_alert(target, error, now, zones.get(target.workspace_id))
        return SyncResult(target.id, target.address, SyncStatus.FAILED, error.key, detail=error.detail)
    if error.kind is not ImapErrorKind.AUTH:
        # no failure count
        await Mailbox.filter(id=target.id).update(last_error=text, last_error_at=now)
        if not late:
            await _check_unreachable(target, error, now, zones.get(target.workspace_id))
        return SyncResult(target.id, target.address, SyncStatus.FAILED, error.key, detail=error.detail)
    disabled = False
    data = {"via": "imap"}
    auth_error = EventRecord(target.workspace_id, EventKind.AUTH_ERROR, now, target.id, target.domain_id, data=data)
    async with in_transaction():
        await connections.get("default").execute_query(_IMAP_REFUSED, [target.id, text, now])
        await insert_events([auth_error])
        mailbox = await Mailbox.get(id=target.id)
        limit = options.auth_failure_limit or await auth_failure_limit(target.workspace_id)
        if mailbox.imap_auth_failures >= limit and mailbox.status not in _SKIPPED_STATUSES:
            reason = f"IMAP login failed {mailbox.imap_auth_failures} times in a row"
            await transition_mailbox(mailbox, MailboxStatus.DISABLED, clock=clock, reason=reason)
            disabled = True
        await count_events([auth_error], zones=zones)
    if disabled:  # a disabled mailbox is not synced any more: its own alert says why
        await mailbox_auth_disabled(
            target.workspace_id, target.id, target.address, failures=mailbox.imap_auth_failures, reason=error.key,
            via="imap", now=now,
        )  # fmt: skip
    else:
        await _check_unreachable(target, error, now, zones.get(target.workspace_id))
    return SyncResult(target.id, target.address, SyncStatus.FAILED, error.key, detail=error.detail, disabled=disabled)


# An IMAP login refused: its own count up, and the mailbox's (the larger of SMTP's and IMAP's) with it.
_IMAP_REFUSED: Final = (
    "UPDATE mailbox SET imap_auth_failures = imap_auth_failures + 1, "
    "auth_failures = GREATEST(smtp_auth_failures, imap_auth_failures + 1), last_error = $2, last_error_at = $3 "
    "WHERE id = $1"
)


def _keeps_cause(last_error: str) -> bool:
    """Whether a mailbox read for late answers keeps its recorded error over a refused IMAP login: the error it was
    disabled for (an SMTP one) says why it sends nothing; an earlier IMAP error or none is just replaced."""
    return bool(last_error) and not last_error.startswith("error-imap-")


def unread_since(last_ok_at: dt.datetime | None, created_at: dt.datetime) -> dt.datetime:
    """Since when a mailbox's inbox has gone unread: its last good sync, or its creation if it was never read."""
    return last_ok_at or created_at


def inbox_unreachable(previous_error: str, unread_from: dt.datetime, now: dt.datetime) -> bool:
    """Whether a sync that has just failed makes the inbox unreachable: the sync before it failed too (its IMAP
    error is still recorded; a good sync clears it) and nothing was read for `UNREACHABLE_AFTER` from `unread_from`
    (`unread_since`). One failure after a long pause of the worker is not yet an unreachable inbox."""
    return previous_error.startswith("error-imap-") and now - unread_from >= UNREACHABLE_AFTER


async def _check_unreachable(target: _Target, error: ImapError, now: dt.datetime, zone: ZoneInfo | None) -> None:
    """Raise (or count a repeat of) the mailbox's `inbox_unreachable` alert when its failures have lasted; since
    when, on the workspace's clock (`zone`)."""
    since = unread_since(target.last_ok_at, target.created_at)
    if not inbox_unreachable(target.last_error, since, now):
        return
    data = {
        "mailbox": target.address,
        "read": "before" if target.last_ok_at else "never",
        "since": local_time(since, zone),
        "error": error.kind.value,
        "detail": error.detail,
    }
    await raise_alert(
        workspace_id=target.workspace_id,
        kind=UNREACHABLE_KIND,
        severity=Severity.WARNING,
        subject=f"mailbox:{target.id}",
        key="imap",
        data=data,
        now=now,
    )


def late_read_due(failures: int, failed_at: dt.datetime | None, now: dt.datetime) -> bool:
    """Whether the sweep tries again to read a disabled or retired mailbox whose last `failures` reads in a row
    failed, the last at `failed_at`: `LATE_READ_RETRY`, doubled per further failure, up to `LATE_READ_RETRY_MAX`."""
    if failures <= 0 or failed_at is None:
        return True
    return now - failed_at >= late_read_wait(failures)


def late_read_wait(failures: int) -> dt.timedelta:
    """How long the sweep waits after the `failures`-th failed read in a row of a disabled or retired mailbox."""
    doublings = min(max(0, failures - 1), 16)
    return min(LATE_READ_RETRY * (1 << doublings), LATE_READ_RETRY_MAX)


async def _late_read_alert(target: _Target, error: ImapError, now: dt.datetime, zone: ZoneInfo | None) -> None:
    """Raise (or count a repeat of) a disabled mailbox's `LATE_READ_KIND` alert: the error, the failed reads in a
    row, the next try and when its reading for late answers ends."""
    failures = target.read_failures + 1  # with this one, just counted
    until = (target.status_changed_at or now) + DISABLED_READ_FOR
    data = {
        "mailbox": target.address,
        "since": local_time(unread_since(target.last_ok_at, target.created_at), zone),  # /health says it
        "error": error.kind.value,
        "detail": error.detail,
        "failures": failures,
        "next": local_time(now + late_read_wait(failures), zone),
        "until": local_time(until, zone),
    }
    # an `inbox_unreachable` raised before the mailbox was disabled is the same outage: it becomes this alert, so the
    # chats hear of it once, and of its end once
    unreachable = inbox_unreachable_fingerprint(target.workspace_id, target.id)
    if await hand_over(unreachable, kind=LATE_READ_KIND, severity=Severity.WARNING, key="imap", data=data, now=now):
        return
    await raise_alert(
        workspace_id=target.workspace_id,
        kind=LATE_READ_KIND,
        severity=Severity.WARNING,
        subject=f"mailbox:{target.id}",
        key="imap",
        data=data,
        now=now,
    )


# A good read of every mailbox in $1 at $2, in one new version of each row (every sweep reads the whole fleet: two
# updates of every row a sweep left the table and its indexes with twice the dead versions to step over).
_READ_OK = """
UPDATE mailbox SET last_ok_at = $2, imap_auth_failures = 0,
    auth_failures = CASE WHEN status = 'disabled' THEN auth_failures ELSE smtp_auth_failures END,
    read_failures = 0,
    read_error = CASE WHEN read_failures > 0 THEN '' ELSE read_error END,
    read_error_at = CASE WHEN read_failures > 0 THEN NULL ELSE read_error_at END,
    last_error = CASE WHEN starts_with(last_error, 'error-imap-') THEN '' ELSE last_error END,
    last_error_at = CASE WHEN starts_with(last_error, 'error-imap-') THEN NULL ELSE last_error_at END
WHERE id = ANY($1::int[])
"""
_FOLDERS_SYNCED = "UPDATE folder_state SET synced_at = $2 WHERE mailbox_id = ANY($1::int[])"


async def _mark_ok(mailbox_ids: Sequence[int], clock: Clock) -> None:
    """One round of updates for every mailbox that was read: a good IMAP login proves the IMAP password, so IMAP's
    failure count restarts — never SMTP's, which it does not disprove (the sweep reads every five minutes: a wrong
    SMTP password would never reach the limit); only IMAP's own last error is cleared (SMTP's is not ours to
    forget); an `inbox_unreachable` alert of any of them is resolved. A disabled mailbox keeps its count: the
    failures that disabled it (or monitoring's reason)."""
    if not mailbox_ids:
        return
    now = clock.now()
    ids = sorted(mailbox_ids)
    await resolve_subjects(UNREACHABLE_KIND, [f"mailbox:{i}" for i in ids], clock=clock)
    await resolve_subjects(LATE_READ_KIND, [f"mailbox:{i}" for i in ids], clock=clock)
    db = connections.get("default")
    await db.execute_query(_READ_OK, [ids, now])
    await db.execute_query(_FOLDERS_SYNCED, [ids, now])


async def sweep_all(clock: Clock, vault: Vault, options: SyncOptions | None = None) -> list[SyncResult]:
    """The cron's sweep: every mailbox that is not disabled or retired, or was disabled or retired lately and may
    still be read (`readable`), in every workspace."""
    now = clock.now()
    retired = Q(status=MailboxStatus.RETIRED, status_changed_at__gt=now - RETIRED_READ_FOR)
    disabled = Q(status=MailboxStatus.DISABLED, status_changed_at__gt=now - DISABLED_READ_FOR, imap_auth_failures=0)
    boxes = (
        await Mailbox.filter(Q(Q(status__not_in=list(_SKIPPED_STATUSES)), retired, disabled, join_type="OR"))
        .order_by("id")
        .values_list("id", "status", "read_failures", "read_error_at")
    )
    due = [
        box_id
        for box_id, status, failures, failed_at in boxes
        if status not in _SKIPPED_STATUSES or late_read_due(failures, failed_at, now)  # a late read backs off
    ]
    results = await sweep(SYSTEM, due, clock=clock, vault=vault, options=options)
    await _end_unread_alerts(now, clock)  # a write: after the sweep's own (`SyncOptions.writes_after`)
    return results


NO_LONGER_READ: Final = "alert-resolved-no-longer-read"
"""How the end of an inbox alert of a disabled mailbox that is no longer read reads in chat."""

# Disabled mailboxes with an unresolved inbox alert whose inbox the sweep no longer reads: the month of reading for
# late answers is over, or its IMAP login was refused.
_UNREAD_DISABLED: Final = (
    "SELECT DISTINCT m.id FROM alert a JOIN mailbox m ON a.subject = 'mailbox:' || m.id "
    "WHERE a.kind = ANY($1::text[]) AND a.status <> 'resolved' AND m.status = 'disabled' "
    "AND (m.status_changed_at IS NULL OR m.status_changed_at <= $2 OR m.imap_auth_failures > 0)"
)


async def _end_unread_alerts(now: dt.datetime, clock: Clock) -> None:
    """Resolve the inbox alerts (`LATE_READ_KIND`, `UNREACHABLE_KIND`) of disabled mailboxes the sweep no longer
    reads: nothing would ever resolve them (no read succeeds, none is tried), so they stayed open until someone
    acknowledged them or resumed the mailbox. Their end says the inbox is no longer read (`NO_LONGER_READ`), not that
    the problem cleared."""
    kinds = [LATE_READ_KIND, UNREACHABLE_KIND]
    rows = await connections.get("default").execute_query_dict(_UNREAD_DISABLED, [kinds, now - DISABLED_READ_FOR])
    if rows:
        subjects = [f"mailbox:{r['id']}" for r in rows]
        await resolve_saying(kinds, subjects, NO_LONGER_READ, clock=clock)

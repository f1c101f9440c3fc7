"""The outbox: due rows become sends, each claimed exactly once, re-checked at claim time, and recorded.

PostgreSQL is the source of truth for every send; a queued job is only a nudge (ARCHITECTURE §5):

1. `Outbox.sweep` (a unique cron tick) moves `planned` rows whose time has come to `queued` and names the mailboxes
   that have due rows (a send job each) and those with rows stuck in `sending` (a recovery job each). Redis may
   lose its queue; the next sweep finds the same rows again.
2. `Outbox.send_mailbox` sends a mailbox's due rows a small batch at a time (`SendOptions.claim_batch`, no more
   than today's caps leave room for). A batch is claimed with one conditional `UPDATE … RETURNING` (`queued →
   sending`, `claimed_at`, `attempts + 1`) in a statement that also re-reads everything that may forbid the send
   *now*: the mailbox's status, cooldown and warmup pause, the domain's and the workspace's state, and today's use
   of the mailbox's and the domain's caps (re-counted once the claim committed, so concurrent workers never
   overbook; see `Outbox._claim`). A pause or a lowered cap thus applies to rows already planned or queued. Each
   message is built from its row and handed to SMTP over the transport's reused connection; the accepted ones
   are recorded (see `_record_ctes`) all at once by the statement that claims the next batch. Any other outcome
   ends the batch: its unsent rows are given back (`queued`) and the next claim re-reads the mailbox's state.
   While the job lives it stamps the rows it holds as claimed again (`_keep_claimed`), so a slow server never
   makes an in-flight row look stuck. A send job serves several mailboxes (`Outbox.send_mailboxes`: each sends as
   above, in lanes side by side), so what they share — reading their accounts, rolling their counters up into
   their domains' and workspaces' — costs a statement per job, not per mailbox, and a mailbox's last accepted
   messages are recorded by the next mailbox's first claim in its lane.
3. `Outbox.recover_mailbox` resolves rows left in `sending` by a crash or by a connection lost in DATA: found in
   the mailbox's Sent folder over IMAP → `sent`; not found while the folder demonstrably holds the mailbox's
   submissions (a witness: its previous accepted message is there) → never accepted, `queued` again; not found
   otherwise, or the folder could not be searched → `unknown` and an alert. Never resent blindly.

Campaign rows (kind `campaign`, and `test` sends of a step) are planned without text. Once the claim committed, when
the first campaign row of a claimed batch comes up, the campaign facts of all of the batch's campaign rows are read
in one statement (`_CAMPAIGN_FACTS`); right before each row is built, `_recheck_campaign` decides on them and the
clock: a campaign no longer running, an enrollment no longer active or a suppressed lead (address or domain,
workspace or global) cancels the row; a campaign cap (its `daily_cap`, `per_mailbox_cap`, the campaign share a
graduated mailbox has unlocked) postpones it to the campaign's next send day. Its counts hold the rows of its batch
sent before it, not those still to come, as if they were not claimed yet (`_counted`). Then the composer
(`engine.campaigns.ports.ComposeCampaign`) renders it; a `UserError` fails the row and stops the sequence. The
send's record (`_record_ctes`) also stores the composed subject and links on the row and advances the enrollment to
its next step (or `completed`) in the same statement, so a crash can never separate a sent step from its
enrollment's advance. A step that fails for good, or whose outcome stays `unknown`, stops the sequence
(`stopped_reason`). A `test` row carries the manager's address in `body` (it has no lead) and never counts toward
the campaign's results.
"""

from __future__ import annotations

import asyncio
import collections
import copy
import dataclasses
import datetime as dt
import functools
import json
import random
import re
import ssl
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol
from zoneinfo import ZoneInfo

from tortoise import connections
from tortoise.exceptions import BaseORMException
from tortoise.transactions import in_transaction

from engine.alerts import (
    SEND_UNKNOWN,
    SMTP_UNREACHABLE,
    inbox_unreachable_fingerprint,
    mailbox_auth_disabled,
    raise_alert,
    resolve_alerts,
    smtp_unreachable,
)
from engine.campaigns.enroll import IN_OTHER_CAMPAIGN
from engine.campaigns.ports import CampaignRow, ComposeCampaign, Composed, LeadData
from engine.campaigns.schedule import Window, due_after, inside, open_intervals
from engine.clock import Clock, local_time, zone_named, zone_or_utc
from engine.crypto import Vault, VaultError
from engine.errors import UserError
from engine.lifecycle import check_transition as _check_transition
from engine.lifecycle import transition_mailbox
from engine.logging import get_logger
from engine.mail import problem_key
from engine.mail.classify import BounceClass, bounce_class, bounce_reason
from engine.mail.message import BuiltMessage, MessageSpec, build_message
from engine.mail.providers import PRESETS, Credentials, Endpoint
from engine.mail.smtp import Outcome, SmtpResult
from engine.mail.tls import client_context
from engine.monitoring.service import auth_failure_limit
from engine.sending.caps import CapInputs, effective_cap
from engine.sending.ports import Account, MailSender, SentFolder, SentFolderError
from engine.stats import (
    COUNTERS,
    PIXEL_DATA,
    PIXEL_SENT,
    WARMUP_SENT,
    EventRecord,
    SuppressionRecord,
    add_suppressions,
    record_events,
    stat_rows,
)
from engine.warmup import ComposeWarmup, Persona
from engine.warmup.content import compose_warmup
from engine.warmup.graduation import campaign_cap, period_over_on
from engine.warmup.ramp import RampMark, daily_target, mark_of
from engine.warmup.settings import WarmupSettings
from models import Mailbox
from models.enums import (
    AuthKind,
    CampaignStatus,
    CapKind,
    DomainStatus,
    EnrollmentState,
    EventKind,
    MailboxStatus,
    MailProvider,
    MessageKind,
    MessageStatus,
    Severity,
    StatScope,
    SuppressionReason,
    TlsMode,
)
from models.indexes import mailbox_sql

log = get_logger(__name__)

check_transition = functools.cache(_check_transition)
"""`engine.lifecycle.check_transition`, remembered: the outbox checks the same few transitions for every message
(a refused one raises, and is not remembered)."""

SENDABLE_MAILBOX: Final = frozenset({MailboxStatus.WARMING, MailboxStatus.ACTIVE})
BLOCKED_DOMAIN: Final = frozenset({DomainStatus.COOLING, DomainStatus.BURNED, DomainStatus.RETIRED})
PAUSE_HOLD: Final = dt.timedelta(minutes=30)  # a paused campaign's row is looked at again this much later
UNREACHED_HOLD: Final = dt.timedelta(minutes=15)  # a mailbox whose SMTP settings were wrong is tried again this late
UNREACHED_ALERT_AFTER: Final = dt.timedelta(hours=1)  # mail waiting this long on an unreachable server: an alert
INBOX_HOLD: Final = dt.timedelta(minutes=10)  # a row held for an unread inbox: two runs of the inbox sync's cron
OPENING_SPREAD: Final = dt.timedelta(hours=1)  # rows held until a window opens go out over its first hour
WINDOW_GRACE: Final = dt.timedelta(minutes=10)
"""A row due inside the send window still goes when a worker claims it at most this long after the window closed:
the sweep runs once a minute and a busy fleet lags behind, so the rows planned for a window's last minutes would
otherwise wait for the next day (found by the load day, `tests/integration/test_load.py`)."""
_HEADER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,75}\Z")
_HEADER_VALUE = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]{0,900}[\x21-\x7e])?\Z")  # printable ASCII, no CR/LF


@dataclass(frozen=True, slots=True)
class SendOptions:
    """Knobs of the outbox. `batch_limit` messages per send job (the rest waits for the next tick); `claim_batch`
    rows claimed at most per statement (fewer round trips and commits per message; also the most rows a crash can
    leave `sending` for recovery at once, and the most that a pause applied meanwhile can still let out);
    `group_concurrency` mailboxes of one `send_mailboxes` call send at a time;
    `max_attempts` tries before a transiently failing message fails; `retry_jitter` spreads retries by ±that
    share; `stuck_after` is how long a row may stay in `sending`, with no live job vouching for it, before
    recovery looks for it in the Sent folder (longer than the server's filing delay); a send job stamps the rows
    it holds as claimed again every `claim_refresh` (None: a quarter of `stuck_after`); `auth_failure_limit` consecutive
    authentication failures disable the mailbox (None: the workspace's `auth_failures` threshold, as the monitor
    reads it). TLS trusts the system store, `ca_file` (MAIL_CA_FILE) and the
    mailbox's own CA, unless `ssl_context` replaces all of that (tests)."""

    batch_limit: int = 500
    claim_batch: int = 8
    group_concurrency: int = 8
    max_attempts: int = 5
    retry_jitter: float = 0.2
    stuck_after: dt.timedelta = dt.timedelta(minutes=15)
    claim_refresh: dt.timedelta | None = None
    auth_failure_limit: int | None = None
    sweep_limit: int = 20_000
    ssl_context: ssl.SSLContext | None = None
    ca_file: str | None = None


@dataclass(frozen=True, slots=True)
class Claimed:
    """One row as claimed (`sending`): everything needed to build and record it."""

    id: int
    kind: MessageKind
    workspace_id: int
    mailbox_id: int
    peer_id: int | None
    lead_id: int | None
    enrollment_id: int | None
    campaign_id: int | None
    message_id: str
    subject: str
    body: str
    in_reply_to: str
    references: str
    attempts: int
    recipient: str
    recipient_name: str
    step_position: int | None = None
    variant: int | None = None
    next_step: NextStep | None = None  # campaign rows: set by the claim-time re-check
    scheduled_at: dt.datetime | None = None  # when it was due
    lead: LeadData | None = None  # campaign rows: the lead's fields, read by the claim-time re-check

    @property
    def is_campaign(self) -> bool:
        """A campaign step or a test send of one: composed at claim time."""
        return self.kind in (MessageKind.CAMPAIGN, MessageKind.TEST)


@dataclass(frozen=True, slots=True)
class NextStep:
    """Where an enrollment goes once the claimed step is sent: the next step's position and its delay, or None
    (the sequence is complete). `zone` is the campaign's time zone (business days are counted there)."""

    position: int | None
    delay_days: int = 0
    business_days: bool = False
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))


@dataclass(frozen=True, slots=True)
class Sending:
    """What the record of a campaign row adds: the composed subject and links (stored on the row) and the
    enrollment's next step (advanced in the same statement)."""

    subject: str | None = None
    links: tuple[str, ...] | None = None
    next_step: NextStep | None = None
    pixel: bool = False  # it carried an open pixel (an HTML campaign's): counted in `pixel_sent`


@dataclass(frozen=True, slots=True)
class _Accepted:
    """A message the server accepted (or recovery found in the Sent folder: no `result`), to be recorded."""

    row: Claimed
    at: dt.datetime
    result: SmtpResult | None
    sending: Sending | None = None


@dataclass(frozen=True, slots=True)
class _Claim:
    """What one claim took: its rows (in due order) and the mailbox's state it re-checked; with no rows, why
    (`blocked`; None: nothing was due). `room`: how many more today's caps left room for after these rows."""

    rows: tuple[Claimed, ...] = ()
    state: MailboxState | None = None
    blocked: CapKind | None = None
    room: int = 0
    expired: int = 0  # warmup rows of an earlier day it cancelled
    at: dt.datetime = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)  # when it claimed them (their `claimed_at`)
    exhausted: bool = False  # it took every row due (fewer than it asked for) and kept them all


@dataclass(frozen=True, slots=True)
class _Want:
    """A mailbox's part of a claim (`Outbox._claim_many`): at most `limit` rows; with `expire`, its warmup rows of
    an earlier day are cancelled first."""

    account: Account
    zone: ZoneInfo
    limit: int
    expire: bool = False


@dataclass(frozen=True, slots=True)
class _Tally:
    """A mailbox's claim to re-count: its state, its caps and day, the rows it claimed (in due order) of `limit`."""

    state: MailboxState
    caps: Caps
    day: dt.date
    rows: tuple[Claimed, ...]
    limit: int


_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _kept(
    tallies: Sequence[_Tally], uses: Mapping[int, tuple[int, int, int]]
) -> dict[int, tuple[int, int, tuple[CapKind, int, int] | None]]:
    """After the re-count of a claim (`uses`: each mailbox's today's use of its own, its domain's and its
    workspace's cap, every claim committed included, ours too), for each mailbox of `tallies`: how many of its
    claimed rows to keep (the first, in due order), the room its caps leave after the rows kept, and, when it
    keeps none, the cap it went over (its limit and today's use before our claims).

    Whatever a cap is over by, that many of our claims under it are given up: per mailbox, then per domain, then per
    workspace (with a cap), the latest due first among the claims under that cap still kept. Claims under one cap
    share its room: each mailbox's room is the least its caps leave."""
    keep = {t.state.mailbox_id: len(t.rows) for t in tallies}
    room: dict[int, int] = {}
    over: dict[int, tuple[CapKind, int, int]] = {}
    caps: list[tuple[CapKind, int, Callable[[_Tally], Any], Callable[[_Tally], int | None]]] = [
        (CapKind.MAILBOX, 0, lambda t: t.state.mailbox_id, lambda t: t.caps.mailbox),
        (CapKind.DOMAIN, 1, lambda t: t.state.domain_id, lambda t: t.caps.domain),
        (CapKind.WORKSPACE, 2, lambda t: t.state.workspace_id, lambda t: t.caps.workspace),
    ]
    for kind, index, key, limit in caps:
        groups: dict[Any, list[_Tally]] = collections.defaultdict(list)
        for tally in tallies:
            if limit(tally) is not None:
                groups[key(tally)].append(tally)
        for members in groups.values():
            allowed = limit(members[0])
            assert allowed is not None  # grouped only with a limit
            counted = uses[members[0].state.mailbox_id][index]
            ours = sum(len(t.rows) for t in members)
            given_up = sum(len(t.rows) - keep[t.state.mailbox_id] for t in members)  # under an earlier cap
            used = counted - given_up
            if used > allowed:
                still = sorted(
                    ((row.scheduled_at or _EPOCH, row.id, t.state.mailbox_id)
                     for t in members for row in t.rows[: keep[t.state.mailbox_id]]),
                    reverse=True,
                )  # fmt: skip
                for _, _, mailbox_id in still[: used - allowed]:
                    keep[mailbox_id] -= 1
                used -= min(used - allowed, len(still))
            for tally in members:
                mailbox_id = tally.state.mailbox_id
                room[mailbox_id] = min(room.get(mailbox_id, allowed - used), allowed - used)
                if keep[mailbox_id] == 0 and mailbox_id not in over:
                    over[mailbox_id] = (kind, allowed, counted - ours)
    return {
        t.state.mailbox_id: (
            keep[t.state.mailbox_id],
            max(room[t.state.mailbox_id], 0),
            over.get(t.state.mailbox_id) if keep[t.state.mailbox_id] == 0 else None,
        )
        for t in tallies
    }


CLAIM_AHEAD: Final = 4
"""A send job's first claims are made for up to this many mailboxes per lane at once (`Outbox.send_mailboxes`)."""
RECORD_EVERY: Final = 64
"""Accepted messages of a send job waiting for the next claim of their lane are recorded on their own at this many."""

_BUILD_FAILED: Final = "build_failed"  # the outcome of a row whose message could not be built: nothing was sent


Pending = tuple[Account, ZoneInfo, Sequence[_Accepted]]
"""A mailbox's accepted messages not recorded yet, with its account and its workspace's zone."""

HeadersFor = Callable[[Claimed], Sequence[tuple[str, str]]]
"""Extra headers for a row (e.g. the keyed warmup marker of `engine.warmup.marker`); none by default."""


def no_headers(row: Claimed) -> Sequence[tuple[str, str]]:
    return ()


@dataclass(frozen=True, slots=True)
class Caps:
    """Today's limits for one mailbox at claim time: its own and its domain's (all of the domain's mailboxes), and
    its workspace's (all of the workspace's mailboxes; None: no workspace cap)."""

    mailbox: int
    domain: int
    workspace: int | None = None


@dataclass(frozen=True, slots=True)
class MailboxState:
    """What the claim-time re-check reads, fresh for every message."""

    mailbox_id: int
    workspace_id: int
    domain_id: int
    status: MailboxStatus
    cooldown_until: dt.datetime | None
    warmup_paused: bool
    mailbox_cap: int
    domain_status: DomainStatus
    domain_cap: int
    workspace_archived: bool
    workspace_settings: Mapping[str, Any]
    mailbox_sent: int  # today's DailyStat plus the rows in flight
    domain_sent: int
    workspace_sent: int = 0  # only counted when the workspace has a `daily_cap` setting
    provider: str = "generic"
    warmup_started_on: dt.date | None = None
    status_changed_at: dt.datetime | None = None  # its last status change (a graduation, or a return from cooldown)
    graduated_at: dt.datetime | None = None  # `Mailbox.graduated_at`: its last `warming → active`
    graduated_on: dt.date | None = None  # that day in the workspace's zone (set by the outbox)
    health_factor: float = 1.0  # monitoring's volume cut: mailbox × domain factor (1: none)
    ramp_mark: RampMark | None = None  # where its ramp continues from after a settings change (`ramp.continue_mark`)


@dataclass(frozen=True, slots=True)
class CampaignFacts:
    """What the claim-time re-check of a campaign row reads, after the claim committed (counts include it)."""

    status: CampaignStatus
    enrollment_state: EnrollmentState | None
    suppressed: bool
    daily_cap: int
    per_mailbox_cap: int
    campaign_sent: int  # the campaign's sends today, all mailboxes, with the ones in flight
    campaign_mailbox_sent: int  # the campaign's sends today from this mailbox
    mailbox_campaign_sent: int  # campaign and test sends today from this mailbox, every campaign
    zone: ZoneInfo  # of the send window: the campaign's, or the lead's when the campaign follows lead zones
    window_start: dt.time  # wall-clock times in `zone` (hour and minute only)
    window_end: dt.time
    weekdays: int  # bit 0 = Monday
    next_step: NextStep
    inbox_unread: bool = False  # the mailbox's `inbox_unreachable` alert is not resolved: replies go unseen
    lead: LeadData | None = None  # the lead's fields (None: no lead, or it is gone)
    taken: bool = False  # another enrollment of the workspace has the person (`_CAMPAIGN_FACTS`): this one yields


class CapPolicy(Protocol):
    """The effective caps at claim time (the planner's `engine.sending.caps` plugs in here)."""

    def caps(self, state: MailboxState, day: dt.date) -> Caps: ...

    def campaign(self, state: MailboxState, facts: CampaignFacts, day: dt.date) -> tuple[CapKind, int, int] | None:
        """For a claimed campaign row: the campaign cap it would exceed, as (cap, allowed, used before it), or
        None when it may go."""
        ...


class StoredCaps:
    """Caps as stored: the mailbox's and the domain's `daily_cap`, the campaign's `daily_cap` and
    `per_mailbox_cap`."""

    def caps(self, state: MailboxState, day: dt.date) -> Caps:
        return Caps(mailbox=state.mailbox_cap, domain=state.domain_cap)

    def campaign(self, state: MailboxState, facts: CampaignFacts, day: dt.date) -> tuple[CapKind, int, int] | None:
        return _campaign_over(facts, share=None)


def _campaign_over(facts: CampaignFacts, *, share: int | None) -> tuple[CapKind, int, int] | None:
    """The first campaign cap the claimed row exceeds (the counts include it, hence `>`)."""
    if facts.campaign_mailbox_sent > facts.per_mailbox_cap:
        return CapKind.CAMPAIGN, facts.per_mailbox_cap, facts.campaign_mailbox_sent - 1
    if facts.campaign_sent > facts.daily_cap:
        return CapKind.CAMPAIGN, facts.daily_cap, facts.campaign_sent - 1
    if share is not None and facts.mailbox_campaign_sent > share:
        return CapKind.WARMUP, share, facts.mailbox_campaign_sent - 1
    return None


class EffectiveCaps:
    """The caps the planner applies, re-applied at claim time (`engine.sending.caps.effective_cap`): the mailbox's
    own cap, its provider's limit, the warmup ramp's target while it warms, the domain's cap, the workspace's
    `daily_cap` setting; for campaign rows also the campaign's `daily_cap` and `per_mailbox_cap` and the campaign
    share a graduated mailbox has unlocked (`engine.warmup.graduation.campaign_cap`; nothing before graduation).
    Lowering any of them applies to rows already queued. Results are cached per mailbox, day and inputs (one
    policy per worker; the inputs are in the claim's facts, so nothing is read for it)."""

    def __init__(self) -> None:
        # one entry per mailbox, replaced when its inputs or the day change: bounded by the fleet's size however
        # long the worker lives
        self._memo: dict[int, tuple[tuple[Any, ...], tuple[Caps, int | None]]] = {}

    def _computed(self, state: MailboxState, day: dt.date) -> tuple[Caps, int | None]:
        settings_key = json.dumps(state.workspace_settings, sort_keys=True, default=str)
        key = (
            day, state.status, state.mailbox_cap, state.domain_cap, state.provider,
            state.warmup_started_on, state.graduated_on, settings_key, state.health_factor, state.ramp_mark,
        )  # fmt: skip
        found = self._memo.get(state.mailbox_id)
        if found is not None and found[0] == key:
            return found[1]
        result = _effective(state, day)
        self._memo[state.mailbox_id] = (key, result)
        return result

    def caps(self, state: MailboxState, day: dt.date) -> Caps:
        return self._computed(state, day)[0]

    def campaign(self, state: MailboxState, facts: CampaignFacts, day: dt.date) -> tuple[CapKind, int, int] | None:
        return _campaign_over(facts, share=self._computed(state, day)[1])


def _effective(state: MailboxState, day: dt.date) -> tuple[Caps, int | None]:
    """(the caps of every row, the campaign share of a graduated mailbox or 0 before graduation)."""
    settings = WarmupSettings.in_effect(state.workspace_settings)
    try:
        provider_limit = PRESETS[MailProvider(state.provider)].provider_daily_limit
    except ValueError:
        provider_limit = None
    stage = None
    if state.status is MailboxStatus.WARMING and state.warmup_started_on is not None:
        stage = daily_target(
            settings, mailbox_id=state.mailbox_id, started_on=state.warmup_started_on, day=day,
            provider_limit=provider_limit, mark=state.ramp_mark,
        )  # fmt: skip
    own = effective_cap(CapInputs(mailbox_cap=state.mailbox_cap, provider_limit=provider_limit, warmup_stage=stage))
    mailbox = own.allowed
    if state.health_factor < 1.0:  # monitoring's cut of the day's total, as the planners apply it: × the own cap
        base = effective_cap(CapInputs(mailbox_cap=state.mailbox_cap, provider_limit=provider_limit)).allowed
        mailbox = min(mailbox, effective_cap(CapInputs(base, health_factor=state.health_factor)).allowed)
    ws_cap = state.workspace_settings.get("daily_cap")
    workspace = ws_cap if isinstance(ws_cap, int) and not isinstance(ws_cap, bool) and ws_cap >= 0 else None
    share = 0
    if state.status is MailboxStatus.ACTIVE:
        # as the campaign planner counts it: the graduation in the audit log, else the end of the minimum warmup
        # period, else today (the most careful step)
        since = state.graduated_on or day
        if state.graduated_on is None and state.warmup_started_on is not None:
            since = period_over_on(settings, started_on=state.warmup_started_on)
        share = campaign_cap(settings, daily_cap=own.allowed, days_since_graduation=(day - since).days)
    return Caps(mailbox=mailbox, domain=state.domain_cap, workspace=workspace), share


@dataclass(frozen=True, slots=True)
class Due:
    """What a sweep found: mailboxes to send from and mailboxes with rows stuck in `sending`."""

    queued: int  # planned rows that became queued
    send: tuple[int, ...]
    recover: tuple[int, ...]


@dataclass
class SendReport:
    """What one send job did."""

    mailbox_id: int
    sent: int = 0
    retried: int = 0
    failed: int = 0
    unresolved: int = 0  # the connection died after the message was handed over: left for recovery
    expired: int = 0  # warmup rows of a past day cancelled instead of sent
    blocked: CapKind | None = None  # why the job stopped early, if it did
    outcomes: dict[str, int] = field(default_factory=dict)
    auth_failures: int = 0  # the mailbox's count of failed SMTP logins when the job began (a good one resets it)
    smtp_error: bool = False  # the mailbox's card showed an SMTP error when the job began (a good send clears it)


@dataclass(frozen=True, slots=True)
class RecoveryReport:
    mailbox_id: int
    sent: int
    unknown: int
    error: str = ""  # the Sent folder could not be searched: why
    retried: int = 0  # not in a Sent folder known to hold the mailbox's submissions: queued again


# ------------------------------------------------------------------------------------------------- SQL

_QUEUE_DUE = """
UPDATE outbound_message SET status = 'queued'
WHERE id IN (SELECT id FROM outbound_message WHERE status = 'planned' AND scheduled_at <= $1
             ORDER BY scheduled_at LIMIT $2 FOR UPDATE SKIP LOCKED)
  AND status = 'planned'
RETURNING id, kind = 'warmup' AND body = '' AND peer_id IS NOT NULL AS blank
"""
_WARMUP_PERSONAS = """
SELECT m.id, m.message_id, s.address AS s_address, s.display_name AS s_name, sw.locale,
       COALESCE(NULLIF(sw.sender_name, ''), sw.name) AS s_company,
       p.address AS p_address, p.display_name AS p_name, COALESCE(NULLIF(pw.sender_name, ''), pw.name) AS p_company
FROM outbound_message m
JOIN mailbox s ON s.id = m.mailbox_id JOIN workspace sw ON sw.id = s.workspace_id
JOIN mailbox p ON p.id = m.peer_id JOIN workspace pw ON pw.id = p.workspace_id
WHERE m.id = ANY($1::bigint[])
"""
_WRITE_TEXT = """
UPDATE outbound_message m SET subject = t.subject, body = t.body
FROM unnest($1::bigint[], $2::text[], $3::text[]) AS t(id, subject, body)
WHERE m.id = t.id
"""
_DUE_MAILBOXES = """
SELECT DISTINCT m.mailbox_id FROM outbound_message m JOIN mailbox b ON b.id = m.mailbox_id
WHERE m.status = 'queued' AND m.scheduled_at <= $1 AND b.status = ANY($2::text[])
"""
_STUCK_MAILBOXES = "SELECT DISTINCT mailbox_id FROM outbound_message WHERE status = 'sending' AND claimed_at < $1"

# Rows in flight (`sending`), read in one pass over the partial index on them: a plain index scan marks the
# entries of rows that left `sending` as dead as it passes them, where a bitmap scan visits every such entry (and
# its heap page) again, for every statement, until the next VACUUM — and every send leaves one. The ORDER BY alone
# did not get a plain scan: with a few dozen rows estimated, a bitmap scan and a sort cost less, so the planner
# took them, and a claim or a campaign row's re-check walked all the sends since the last VACUUM (7,825 entries,
# 781 heap pages, ~1 ms at the end of a CI-size demo on a server without autovacuum; 0.02 ms once killed). A
# LIMIT whose value the planner cannot see (`_UNSEEN_LIMIT`, never reached) makes it plan for the first tenth of
# the rows, which only the ordered index scan gives without sorting them all.
_UNSEEN_LIMIT = "LIMIT (SELECT 2147483647)"
_IN_FLIGHT = f"""
SELECT mailbox_id, workspace_id FROM outbound_message WHERE status = 'sending' ORDER BY claimed_at {_UNSEEN_LIMIT}
"""  # noqa: S608 - constant text


# Today's `sent` of a domain's or a workspace's mailboxes, and their rows in flight, go by the array of their ids
# (`_boxes`): a condition on the counters' unique key (scope, scope_id, day) that no plan can leave out of its index
# scan. Written as a join, a cached generic plan made while the tables were nearly empty (a new install, the demo)
# scanned every mailbox's counter of the day once for each mailbox of the domain, and kept doing it as the fleet
# grew: thousands of buffers a claim, most of the send path's time.
def _boxes(where: str) -> str:
    """The ids of the mailboxes `where` (a condition on `mailbox`), as an array."""
    return f"ARRAY(SELECT x.id FROM mailbox x WHERE x.{where})"  # noqa: S608 - constant conditions of this module


def _sent_of(where: str, day: str) -> str:
    """The sum of `sent` on `day` of the mailboxes `where` (0 without any)."""
    boxes = _boxes(where)
    return f"COALESCE((SELECT sum(s.sent) FROM daily_stat s WHERE s.scope = 'mailbox' AND s.day = {day} AND s.scope_id = ANY({boxes})), 0)"  # noqa: E501, S608 - constant conditions of this module


def _use_ctes(keys: str) -> str:
    """CTEs `fm`, `ud` and `uw` for `_uses`, after `fl` (the rows in flight). `keys` is a query of the (domain_id,
    workspace_id, day, counted) of the mailboxes asked about: each domain and each counted workspace is summed
    once, however many of its mailboxes the statement asks about (summed for each of them, a claim of 32 mailboxes
    of one workspace added up that workspace's 300 mailbox counters 32 times: most of the claim's time)."""
    return f"""fm AS MATERIALIZED (SELECT mailbox_id, count(*) AS n FROM fl GROUP BY mailbox_id),
uk AS MATERIALIZED ({keys}),
ud AS MATERIALIZED (
    SELECT k.domain_id, k.day, {_sent_of("domain_id = k.domain_id", "k.day")}
        + COALESCE((SELECT sum(fm.n) FROM fm WHERE fm.mailbox_id = ANY({_boxes("domain_id = k.domain_id")})), 0) AS n
    FROM (SELECT DISTINCT domain_id, day FROM uk) k),
uw AS MATERIALIZED (
    SELECT k.workspace_id, k.day, {_sent_of("workspace_id = k.workspace_id", "k.day")}
        + (SELECT count(*) FROM fl WHERE fl.workspace_id = k.workspace_id) AS n
    FROM (SELECT DISTINCT workspace_id, day FROM uk WHERE counted) k)"""  # noqa: S608 - constant conditions


def _uses(mailbox: str, domain: str, workspace: str) -> str:
    """The columns `mailbox_sent`, `domain_sent` and `workspace_sent`: the use on `q.day` of the caps of a mailbox,
    of its domain's mailboxes and (when its workspace's cap counts, else 0) of its workspace's, each the counters
    plus the rows in flight (`fl`, summed in `_use_ctes`) — what the claim reads before it claims and the re-count
    after."""
    own = f"SELECT sent FROM daily_stat WHERE scope = 'mailbox' AND scope_id = {mailbox} AND day = q.day"  # noqa: S608
    return f"""COALESCE(({own}), 0) + COALESCE((SELECT fm.n FROM fm WHERE fm.mailbox_id = {mailbox}), 0)
         AS mailbox_sent,
       COALESCE((SELECT ud.n FROM ud WHERE ud.domain_id = {domain} AND ud.day = q.day), 0) AS domain_sent,
       COALESCE((SELECT uw.n FROM uw WHERE uw.workspace_id = {workspace} AND uw.day = q.day), 0)
         AS workspace_sent"""  # noqa: S608


# The mailboxes a claim is for (`_RECORD_AND_CLAIM`): $1 their ids, $2 the day of each (in its workspace's zone),
# $4 how many rows each may take at most, $5 the start of each one's day when warmup rows of earlier days expire in
# this claim (NULL: they do not).
_WANTED = (
    "q AS (SELECT * FROM unnest($1::int[], $2::date[], $4::int[], $5::timestamptz[]) AS q(id, day, lim, day_start))"
)

# The keys of `_use_ctes` for the mailboxes of `q`: a workspace's use counts when it has a daily cap of its own.
_STATE_KEYS = """SELECT DISTINCT b.domain_id, b.workspace_id, q.day, w.settings ? 'daily_cap' AS counted
    FROM q JOIN mailbox b ON b.id = q.id JOIN workspace w ON w.id = b.workspace_id"""
# What the claim re-checks of each mailbox of `q`: its state and today's use of its caps, sent plus in flight.
_STATES = f"""
SELECT b.id, q.lim, q.day_start, b.workspace_id, b.domain_id, b.status, b.cooldown_until,
       b.warmup_paused_at IS NOT NULL AS wp, b.daily_cap, d.status AS domain_status, d.daily_cap AS domain_cap,
       w.archived_at IS NOT NULL AS archived, w.settings,
       {_uses("b.id", "b.domain_id", "b.workspace_id")},
       b.provider, b.warmup_started_on, b.status_changed_at, b.graduated_at,
       b.health_factor * d.health_factor AS health_factor, b.warmup_ramp_day, b.warmup_ramp_level
FROM q JOIN mailbox b ON b.id = q.id JOIN domain d ON d.id = b.domain_id JOIN workspace w ON w.id = b.workspace_id
"""  # noqa: S608 - composed of constant statements


RECORD_PARAMS: Final = 21  # the parameters of `_record_ctes`
_SENT_PARTS: Final = ("sent", WARMUP_SENT, PIXEL_SENT)
"""The counters a send adds to (`sent` and its parts): what the record counts and the rollups sum."""


def _record_ctes(first: int) -> str:
    """CTEs `rt`, `r`, `re`, `rs`, `ra` recording any number of accepted messages of any mailboxes (one array element
    each): the rows `sending → sent` (with the subject and links a campaign row was composed with), their SENT
    events, the day's counters (rows sorted by `stats.stat_rows`, so concurrent upserts lock them in one order;
    only the messages actually moved count) and the advance of their enrollments (while active: the next step and
    when it is due, or `completed`; the sticky mailbox and the thread set by the first send — unless a domain swap
    retired that mailbox while the send was in flight: the next step then goes from the group). Parameters are
    numbered from `first`: one array per field of the messages: mailbox, id, sent_at, smtp_code,
    smtp_reply, workspace, campaign, lead, event data, subject, links, enrollment, step position, next position,
    next due, Message-ID; then one array per field of their counter rows (one element per row and message, in
    `stats.stat_rows`'s order): the message, workspace, scope, scope id, day. Empty arrays record nothing; a NULL
    enrollment advances nothing."""
    p = [f"${first + i}" for i in range(RECORD_PARAMS)]
    counters = ", ".join(COUNTERS)
    of_sent = {
        "sent": "count(*)",
        WARMUP_SENT: "count(*) FILTER (WHERE t.data::jsonb ->> 'kind' = 'warmup')",
        PIXEL_SENT: f"count(*) FILTER (WHERE t.data::jsonb ->> '{PIXEL_DATA}' = 'true')",
    }
    counts = ", ".join(of_sent.get(c, "0") for c in COUNTERS)
    added = ", ".join(f"{c} = daily_stat.{c} + excluded.{c}" for c in _SENT_PARTS)
    return f"""rt AS (
    SELECT * FROM unnest({p[0]}::int[], {p[1]}::bigint[], {p[2]}::timestamptz[], {p[3]}::int[], {p[4]}::text[],
        {p[5]}::int[], {p[6]}::int[], {p[7]}::bigint[], {p[8]}::text[], {p[9]}::text[], {p[10]}::text[],
        {p[11]}::bigint[], {p[12]}::int[], {p[13]}::int[], {p[14]}::timestamptz[], {p[15]}::text[])
    AS t(box, id, at, code, reply, ws, campaign, lead, data, subject, links, enrollment, position, next_position,
         next_due, message_id)
), r AS (
    UPDATE outbound_message m SET status = 'sent', sent_at = t.at, smtp_code = t.code, smtp_reply = t.reply,
        subject = COALESCE(t.subject, m.subject), links = COALESCE(t.links::jsonb, m.links)
    FROM rt t WHERE m.id = t.id AND m.status = 'sending' RETURNING m.id
), re AS (
    INSERT INTO event (workspace_id, kind, occurred_at, mailbox_id, campaign_id, lead_id, message_id, data)
    SELECT t.ws, 'sent', t.at, t.box, t.campaign, t.lead, t.id, t.data::jsonb FROM rt t JOIN r ON r.id = t.id
), rs AS (
    INSERT INTO daily_stat (workspace_id, scope, scope_id, day, {counters})
    SELECT k.ws, k.scope, k.scope_id, k.day, {counts}
    FROM unnest({p[16]}::bigint[], {p[17]}::int[], {p[18]}::text[], {p[19]}::int[], {p[20]}::date[])
        WITH ORDINALITY AS k(id, ws, scope, scope_id, day, n)
    JOIN r ON r.id = k.id JOIN rt t ON t.id = k.id
    GROUP BY k.ws, k.scope, k.scope_id, k.day
    ORDER BY min(k.n)
    ON CONFLICT (scope, scope_id, day) DO UPDATE SET {added}
), ra AS (
    UPDATE enrollment e SET
        current_step = COALESCE(t.next_position, t.position + 1), last_sent_at = t.at, next_due_at = t.next_due,
        state = CASE WHEN t.next_position IS NULL THEN 'completed' ELSE e.state END,
        mailbox_id = CASE WHEN e.thread_message_id = '' AND ret.status <> 'retired' THEN t.box ELSE e.mailbox_id END,
        thread_message_id = CASE WHEN e.thread_message_id = '' AND ret.status <> 'retired' THEN t.message_id
                                 ELSE e.thread_message_id END
    FROM rt t JOIN r ON r.id = t.id JOIN mailbox ret ON ret.id = t.box
    WHERE e.id = t.enrollment AND e.state = 'active' AND e.current_step <= t.position
)"""  # noqa: S608 - built from the constant counter names; every value is a bound parameter


# Whether the peer of warmup row `m` takes warmup now: a lookup of that one mailbox (and its domain) by key. As an
# EXISTS the planner may turn it into a join, and a generic plan did: every claim read every mailbox of the fleet
# and its domain to learn about one.
_PEER_TAKES_WARMUP = """coalesce((
    SELECT p.status IN ('warming', 'active') AND p.warmup_paused_at IS NULL
        AND NOT coalesce(p.cooldown_until > $3, false)
        AND (SELECT pd.status FROM domain pd WHERE pd.id = p.domain_id) NOT IN ('cooling', 'burned', 'retired')
    FROM mailbox p WHERE p.id = m.peer_id), false)"""


def _of_each(where: str, *, tail: str = "") -> str:
    """The ids of the rows of `outbound_message m` that `where` picks for each mailbox `st` of the claim: read per
    mailbox (`LATERAL`, `OFFSET 0` so that it stays one lookup of the mailbox's own rows in the index of queued
    rows, whatever plan is cached), `tail` ending the per-mailbox query (its order, limit and lock)."""
    return f"""SELECT e.id FROM st CROSS JOIN LATERAL (
        SELECT m.id FROM outbound_message m WHERE m.status = 'queued' AND m.mailbox_id = st.id AND {where}
        {tail or "OFFSET 0"}) e"""  # noqa: S608 - constant conditions of this module


# The record of the previous batches' accepted messages (`_record_ctes`), the re-check's facts of each mailbox of
# `q` and the claim of its next due rows (at most its `lim`), in one statement that commits on its own. A mailbox
# whose `day_start` is set also has its warmup rows due before it (the start of its day: warmup volume belongs to
# its day; rows left from an earlier day by a pause or an outage never go) cancelled and counted (`x`: the queued
# ones, as the sweep before each send tick queues every due row; a row still `planned` from an earlier day waits
# at most for the next tick's sweep). The facts come from the snapshot before the record (`r`): the recorded rows
# still count once, as in flight. The caller undoes the claims the facts forbid, and after the commit re-counts
# (`_COUNTS`) to catch claims of other workers this snapshot could not see (see `Outbox._claim_many`). A due
# warmup row (of its day) whose receiver takes no warmup any more — disabled (its login fails: it could neither
# read, rescue nor answer it), paused, cooling down, retired, its warmup paused, its domain cooling, burned or
# retired — is cancelled instead of sent (`y`; the planner sees the cancellation and may pair the send anew): the
# plan was made hours earlier. The picks are CTEs, evaluated exactly once (as a subquery in FROM the planner may
# rescan it, and every rescan of `LIMIT … SKIP LOCKED` takes other rows). One result row per claimed row (its
# mailbox's facts repeated), or one with the facts alone for a mailbox that claimed none; none for a mailbox gone.
_RECORD_AND_CLAIM = f"""
WITH {_record_ctes(6)},
{_WANTED},
fl AS MATERIALIZED ({_IN_FLIGHT}),
{_use_ctes(_STATE_KEYS)},
st AS MATERIALIZED ({_STATES}),
xe AS MATERIALIZED ({_of_each("m.kind = 'warmup' AND m.scheduled_at < st.day_start")}),
x AS (
    UPDATE outbound_message m SET status = 'cancelled', smtp_reply = 'expired: planned for an earlier day'
    FROM xe WHERE m.id = xe.id AND m.status = 'queued'
    RETURNING m.mailbox_id),
ye AS MATERIALIZED ({
    _of_each(
        "m.kind = 'warmup' AND m.scheduled_at <= $3 AND (st.day_start IS NULL OR m.scheduled_at >= st.day_start) "
        f"AND m.peer_id IS NOT NULL AND NOT {_PEER_TAKES_WARMUP}"
    )
}),
y AS (
    UPDATE outbound_message m SET status = 'cancelled',
        smtp_reply = 'cancelled: the receiving mailbox takes no warmup now'
    FROM ye WHERE m.id = ye.id AND m.status = 'queued'
    RETURNING m.id),
c AS MATERIALIZED ({
    _of_each(
        "m.scheduled_at <= $3 AND (m.kind <> 'warmup' OR NOT st.wp "
        "AND (st.day_start IS NULL OR m.scheduled_at >= st.day_start) "
        f"AND (m.peer_id IS NULL OR {_PEER_TAKES_WARMUP}))",
        tail="ORDER BY m.scheduled_at, m.id LIMIT st.lim FOR UPDATE OF m SKIP LOCKED",
    )
}),
u AS (
    UPDATE outbound_message m SET status = 'sending', claimed_at = $3, attempts = m.attempts + 1
    FROM c WHERE m.id = c.id AND m.status = 'queued'
    RETURNING m.id AS c_id, m.kind AS c_kind, m.workspace_id AS c_workspace_id, m.mailbox_id AS c_mailbox_id,
        m.peer_id AS c_peer_id, m.lead_id AS c_lead_id, m.enrollment_id AS c_enrollment_id,
        m.message_id AS c_message_id, m.subject AS c_subject, m.body AS c_body, m.in_reply_to AS c_in_reply_to,
        m."references" AS c_references, m.attempts AS c_attempts, m.campaign_id AS c_campaign_id,
        m.step_position AS c_step_position, m.variant AS c_variant, m.scheduled_at AS c_scheduled_at,
        COALESCE((SELECT p.address FROM mailbox p WHERE p.id = m.peer_id),
                 (SELECT l.email FROM lead l WHERE l.id = m.lead_id),
                 CASE WHEN m.kind = 'test' THEN m.body END, '') AS c_recipient,
        COALESCE((SELECT p.display_name FROM mailbox p WHERE p.id = m.peer_id),
                 (SELECT trim(l.first_name || ' ' || l.last_name) FROM lead l WHERE l.id = m.lead_id), '')
          AS c_recipient_name)
SELECT st.*, u.*, (SELECT count(*) FROM x WHERE x.mailbox_id = st.id) AS expired
FROM st LEFT JOIN u ON u.c_mailbox_id = st.id
"""  # noqa: S608 - composed of the constant statements above
_REFRESH_CLAIMS = "UPDATE outbound_message SET claimed_at = $2 WHERE id = ANY($1::bigint[]) AND status = 'sending'"
_UNCLAIM = (  # the exact undo of the claim above (queued rows have no claimed_at)
    "UPDATE outbound_message SET status = 'queued', claimed_at = NULL, attempts = attempts - 1 "
    "WHERE id = ANY($1::bigint[]) AND status = 'sending'"
)
# Today's use of each mailbox's, its domain's and (when it has a cap: not NULL) its workspace's caps, sent plus in
# flight, read after a claim committed: $1 the mailboxes, $2 their domains, $3 their days, $4 their workspaces.
_COUNTS = f"""
WITH fl AS MATERIALIZED ({_IN_FLIGHT}),
q AS (SELECT * FROM unnest($1::int[], $2::int[], $3::date[], $4::int[]) AS q(id, domain_id, day, workspace_id)),
{_use_ctes("SELECT DISTINCT domain_id, workspace_id, day, workspace_id IS NOT NULL AS counted FROM q")}
SELECT q.id, {_uses("q.id", "q.domain_id", "q.workspace_id")}
FROM q
"""  # noqa: S608 - composed of constant statements
_DEFER = """
INSERT INTO cap_deferral (workspace_id, mailbox_id, day, cap, source, wanted, allowed, detail, updated_at)
VALUES ($1, $2, $3, $4, 'claim', $5, $6, $7::jsonb, $8)
ON CONFLICT (mailbox_id, day, cap, source) DO UPDATE SET
    wanted = GREATEST(cap_deferral.wanted, excluded.wanted), allowed = excluded.allowed,
    detail = cap_deferral.detail || excluded.detail, updated_at = excluded.updated_at
"""
# Rows, their SENT events and the day's counters in one statement (one round trip, atomic without a transaction).
_RECORD_SENT = f"WITH {_record_ctes(1)} SELECT count(*) AS n FROM r"  # noqa: S608 - see `_record_ctes`
# The claim-time re-check of a claimed batch's campaign and test rows, read after the claim committed (so the counts
# include every claim committed before, this one too; see `Outbox._claim`), one result row per row whose campaign
# still exists: the campaign's status and caps, the enrollment's state, whether the lead's address, the mailbox of
# its `+tag` address or its domain is suppressed (in the workspace or globally), today's sends of the campaign (all
# its mailboxes), of the campaign from this mailbox, and of every campaign from this mailbox — all without the
# rows asked about (`$12`: the outbox adds each row itself and the rows of its batch sent before it, `_counted`) —
# and the step after this one. Per row: $1 the row, $2 campaign, $3 enrollment, $4 workspace, $5 recipient, $6 step
# position, $7 lead, $8 the fingerprint of the mailbox's `inbox_unreachable` alert (open or acked: its inbox goes
# unread); for all of them: $9 the day, $10 the mailbox, $11 the start of the day, $12 the rows not to count. The
# lead's fields come along for the composer (`engine.campaigns.ports.LeadData`): one round trip fewer a message.
# `taken`: the person (the lead's mailbox: `ivan@` and `ivan+a@` are one inbox) has another enrollment in the
# workspace, in a running or paused campaign or in this one, that comes first — one that wrote to them before this
# one did, else the older — and that is active or reached them (replied, completed, unsubscribed); one left to
# another campaign itself (`IN_OTHER_CAMPAIGN`) does not count. Two enrollments of one person made before the +tag
# rule (or by hand) would each send: the one that comes second yields, whichever row is claimed first. Index probes:
# `lead_mailbox`, the enrollment's lead.
# A row sent today was scheduled at most a week earlier (retries only move later); the mailbox's counts come from
# one pass over its rows of that week (`w`). The rows in flight are read as `_IN_FLIGHT` reads them (`fl`), not over
# the campaigns' whole history; both once for the batch.
_CAMPAIGN_FACTS = f"""
WITH r AS (
    SELECT * FROM unnest($1::bigint[], $2::int[], $3::bigint[], $4::int[], $5::text[], $6::int[], $7::bigint[],
                         $8::text[]) AS r(id, campaign, enrollment, workspace, recipient, position, lead, fingerprint)
), fl AS MATERIALIZED (
    SELECT f.campaign_id, count(*) AS n
    FROM (SELECT m.id, m.campaign_id, m.kind FROM outbound_message m
          WHERE m.status = 'sending' ORDER BY m.claimed_at {_UNSEEN_LIMIT}) f
    WHERE f.kind = 'campaign' AND f.id <> ALL($12::bigint[])
    GROUP BY f.campaign_id
), w AS MATERIALIZED (
    SELECT m.campaign_id, m.kind, count(*) AS n
    FROM outbound_message m
    WHERE m.mailbox_id = $10 AND m.scheduled_at >= $11::timestamptz - interval '7 days'
      AND m.kind IN ('campaign', 'test') AND m.id <> ALL($12::bigint[])
      AND (m.status = 'sending' OR (m.status = 'sent' AND m.sent_at >= $11))
    GROUP BY m.campaign_id, m.kind
)
SELECT r.id AS row_id, c.status, c.daily_cap, c.per_mailbox_cap, c.timezone, c.window_start, c.window_end,
    c.weekdays, CASE WHEN c.lead_timezone THEN ld.timezone ELSE '' END AS lead_zone,
    (SELECT e.state FROM enrollment e WHERE e.id = r.enrollment) AS enrollment_state,
    EXISTS (SELECT 1 FROM suppression s WHERE (s.workspace_id = r.workspace OR s.workspace_id IS NULL)
            AND s.value = ANY(ARRAY[lower(r.recipient), lower({mailbox_sql("r.recipient")}),
                                    lower(split_part(r.recipient, '@', 2))])) AS suppressed,
    COALESCE((SELECT sent FROM daily_stat WHERE scope = 'campaign' AND scope_id = r.campaign AND day = $9), 0)
      + COALESCE((SELECT fl.n FROM fl WHERE fl.campaign_id = r.campaign), 0) AS campaign_sent,
    COALESCE((SELECT sum(w.n) FROM w WHERE w.campaign_id = r.campaign AND w.kind = 'campaign'), 0)
      AS campaign_mailbox_sent,
    COALESCE((SELECT sum(w.n) FROM w), 0) AS mailbox_campaign_sent,
    nx.position AS next_position, nx.delay_days AS next_delay, nx.business_days AS next_business,
    EXISTS (SELECT 1 FROM alert a WHERE a.fingerprint = r.fingerprint AND a.status <> 'resolved') AS inbox_unread,
    EXISTS (SELECT 1 FROM enrollment me, lead o JOIN enrollment e ON e.lead_id = o.id
            JOIN campaign k ON k.id = e.campaign_id
            WHERE me.id = r.enrollment AND o.workspace_id = r.workspace
              AND {mailbox_sql("o.email")} = {mailbox_sql("ld.email")}
              AND e.id <> r.enrollment AND (k.status IN ('running', 'paused') OR e.campaign_id = r.campaign)
              AND e.state IN ('active', 'replied', 'completed', 'unsubscribed')
              AND e.stopped_reason <> '{IN_OTHER_CAMPAIGN}'
              AND ((e.last_sent_at IS NOT NULL) > (me.last_sent_at IS NOT NULL)
                   OR ((e.last_sent_at IS NOT NULL) = (me.last_sent_at IS NOT NULL) AND e.id < me.id))) AS taken,
    ld.email AS lead_email, ld.first_name AS lead_first_name, ld.last_name AS lead_last_name,
    ld.company AS lead_company, ld.custom AS lead_custom
FROM r
JOIN campaign c ON c.id = r.campaign
LEFT JOIN lead ld ON ld.id = r.lead
LEFT JOIN LATERAL (SELECT position, delay_days, business_days FROM step
                   WHERE campaign_id = c.id AND position > r.position ORDER BY position LIMIT 1) nx ON true
"""  # noqa: S608 - no input in the text
# A claimed row that must not go out at all: the exact undo of the claim, then `queued → cancelled`.
_CANCEL_CLAIMED = """
UPDATE outbound_message SET status = 'cancelled', claimed_at = NULL, attempts = attempts - 1, smtp_reply = $2
WHERE id = $1 AND status = 'sending'
"""
# A claimed row over a campaign cap: the undo of the claim, due again at `$2` (the campaign's next send day).
_POSTPONE_CLAIMED = """
UPDATE outbound_message SET status = 'queued', claimed_at = NULL, attempts = attempts - 1, scheduled_at = $2,
    smtp_reply = $3
WHERE id = $1 AND status = 'sending'
"""
_STOP_ENROLLMENT = """
UPDATE enrollment SET state = $2, stopped_reason = $3, next_due_at = NULL WHERE id = $1 AND state = 'active'
"""
_WANTING = """
SELECT count(*) AS n FROM outbound_message
WHERE mailbox_id = $1 AND status = 'queued' AND scheduled_at <= $2 AND ($3 OR kind <> 'warmup')
"""


class _Job:
    """What the lanes of one `Outbox.send_mailboxes` call share: the mailboxes waiting, the rows held, the first
    claims made ahead (and the next group's, under way), and the errors to raise once every lane is done."""

    def __init__(
        self,
        outbox: Outbox,
        reached: Mapping[int, tuple[Account, ZoneInfo, int, bool]],
        todo: collections.deque[SendReport],
        rng_for: Callable[[int], random.Random] | None,
    ) -> None:
        self.outbox = outbox
        self.reached = reached
        self.todo = todo
        self.rng_for = rng_for
        self.lanes = min(len(todo), max(1, outbox.options.group_concurrency))
        self.held: set[int] = set()  # the rows held in `sending`: claimed, in flight, accepted but not recorded
        self.ahead: dict[int, _Claim] = {}  # first claims made for mailboxes no lane has taken yet
        self.errors: list[BaseException] = []
        self._claiming = asyncio.Lock()
        self._next: asyncio.Task[dict[int, _Claim]] | None = None  # the next group's first claims, under way
        self._next_ids: frozenset[int] = frozenset()

    async def lane(self) -> None:
        """Take the waiting mailboxes one after another and send each (`Outbox._send_reached`); accepted messages
        are carried to the next claim of the lane, or recorded on their own (`Outbox._overdue`, and at the end)."""
        carried: list[Pending] = []
        try:
            while self.todo:
                report = self.todo.popleft()
                outbox = self.outbox
                if self.rng_for is not None:
                    outbox = copy.copy(outbox)
                    outbox.rng = self.rng_for(report.mailbox_id)
                try:  # errors are raised by the caller once the other mailboxes are done
                    first = await self.first_claim(report.mailbox_id, carried)
                except Exception as exc:
                    self.errors.append(exc)  # `carried` is emptied only once recorded: a later claim records it
                    continue
                try:
                    carried = await outbox._send_reached(
                        report, self.reached[report.mailbox_id], carried, first=first, held=self.held
                    )
                except Exception as exc:
                    carried = []  # `_send_reached` recorded them, or tried to
                    self.errors.append(exc)
                    continue
                if carried and self.outbox._overdue(carried):
                    await self.outbox._sent_many(carried)
                    carried = []
        finally:
            if carried:
                await self.outbox._sent_many(carried)

    async def first_claim(self, mailbox_id: int, carried: list[Pending]) -> _Claim:
        """The mailbox's first claim: made ahead (by another lane, or by the next group's claim under way), or now
        together with the next mailboxes waiting (`CLAIM_AHEAD` per lane), `carried` recorded by it (and emptied).
        Once half of the claims made ahead are taken, the next group's claim starts in the background, so its round
        trip overlaps the lanes' sending instead of holding up every lane that runs out."""
        async with self._claiming:
            if mailbox_id not in self.ahead and mailbox_id in self._next_ids:
                await self._landed()
            if mailbox_id not in self.ahead:
                self.ahead.update(await self._claim(self._group(mailbox_id), carried))
                carried.clear()
            claim = self.ahead.pop(mailbox_id)
            if self._next is None and len(self.ahead) <= CLAIM_AHEAD * self.lanes // 2:
                group = self._group(None)
                if group:
                    self._next_ids = frozenset(group)
                    self._next = asyncio.create_task(self._claim(group, []))
            return claim

    def _group(self, first: int | None) -> list[int]:
        """`first` and the next mailboxes waiting with no claim made or under way, `CLAIM_AHEAD` per lane."""
        group = [first] if first is not None else []
        for waiting in self.todo:  # read only as far as the group reaches
            if len(group) == CLAIM_AHEAD * self.lanes:
                break
            m = waiting.mailbox_id
            if m not in self.ahead and m not in self._next_ids and m not in group:
                group.append(m)
        return group

    async def _claim(self, group: Sequence[int], carried: Sequence[Pending]) -> dict[int, _Claim]:
        options = self.outbox.options
        limit = min(options.claim_batch, options.batch_limit)
        wants = [_Want(self.reached[m][0], self.reached[m][1], limit, expire=True) for m in group]
        claims = await self.outbox._claim_many(wants, carried)
        for claim in claims.values():
            self.held.update(row.id for row in claim.rows)
        return claims

    async def _landed(self) -> None:
        """The next group's claims, once made, join the ones made ahead (its error is the waiting lane's)."""
        task, self._next, self._next_ids = self._next, None, frozenset()
        if task is not None:
            self.ahead.update(await task)

    async def unused(self) -> collections.deque[Claimed]:
        """The rows of the first claims no lane took (the job ended early), the next group's under way included (its
        error is the job's)."""
        try:
            await self._landed()
        except Exception as exc:
            self.errors.append(exc)
        rows = collections.deque(row for claim in self.ahead.values() for row in claim.rows)
        self.ahead.clear()
        return rows


class Outbox:
    """The sending service. One per worker process: it keeps the SMTP transport (and its pooled connections).

    `sender` and `sent_folder` are the seams (`engine.sending.ports`); `headers_for` adds headers to a row's
    message (the warmup marker); `caps` gives the effective caps at claim time (`StoredCaps` by default; the
    worker uses `EffectiveCaps`); `rng` spreads retries (seed it in tests); `compose` renders campaign and test
    rows when they are claimed (`engine.campaigns.ports`; without it their stored subject and body are sent);
    `compose_warmup` writes the text of warmup rows as they come due.
    """

    def __init__(
        self,
        *,
        clock: Clock,
        vault: Vault,
        sender: MailSender,
        sent_folder: SentFolder,
        options: SendOptions | None = None,
        headers_for: HeadersFor = no_headers,
        caps: CapPolicy | None = None,
        rng: random.Random | None = None,
        compose: ComposeCampaign | None = None,
        compose_warmup: ComposeWarmup = compose_warmup,
    ) -> None:
        self.clock = clock
        self.vault = vault
        self.sender = sender
        self.sent_folder = sent_folder
        self.options = options or SendOptions()
        self.headers_for = headers_for
        self.caps = caps or StoredCaps()
        self.compose = compose
        self.rng = rng or random.Random()  # jitter, not security
        self.compose_warmup = compose_warmup

    # --------------------------------------------------------------------------------------------- sweep

    async def sweep(self) -> Due:
        """Queue the planned rows whose time has come; name the mailboxes to send from and to recover.

        Warmup rows are planned without text: the ones queued here get their subject and body (`compose_warmup`,
        seeded by the row's Message-ID, so a retried sweep writes the same) in the transaction that queues them,
        so no claim ever sees one of them queued without text."""
        now = self.clock.now()
        check_transition("message", MessageStatus.PLANNED, MessageStatus.QUEUED)
        db = connections.get("default")
        async with in_transaction() as conn:
            queued = await conn.execute_query_dict(_QUEUE_DUE, [now, self.options.sweep_limit])
            blank = [int(r["id"]) for r in queued if r["blank"]]
            if blank:
                await self._write_warmup(conn, blank)
        sendable = [s.value for s in SENDABLE_MAILBOX]
        send = await db.execute_query_dict(_DUE_MAILBOXES, [now, sendable])
        stuck = await db.execute_query_dict(_STUCK_MAILBOXES, [now - self.options.stuck_after])
        return Due(
            queued=len(queued),
            send=tuple(sorted(int(r["mailbox_id"]) for r in send)),
            recover=tuple(sorted(int(r["mailbox_id"]) for r in stuck)),
        )

    async def _write_warmup(self, conn: Any, ids: Sequence[int]) -> None:
        """Subject and body of warmup rows planned without text, as the planner used to write them: from the
        sender (its display name or local part, its workspace's sender name or name) to the peer (the same of
        theirs), in the sender's workspace's language."""
        rows = await conn.execute_query_dict(_WARMUP_PERSONAS, [list(ids)])
        subjects, bodies = [], []
        for r in rows:
            sender = Persona(str(r["s_name"] or r["s_address"].partition("@")[0]), str(r["s_company"]), r["s_address"])
            peer = Persona(str(r["p_name"] or r["p_address"].partition("@")[0]), str(r["p_company"]), r["p_address"])
            rng = random.Random(f"warmup:{r['message_id']}")
            locale = str(r["locale"] or "ru")
            try:
                text = self.compose_warmup(rng, sender=sender, recipient=peer, locale=locale)
            except ValueError:  # a language without a corpus must not hold back every other send of the sweep
                log.warning("warmup text: no corpus for the language, Russian used", locale=locale, row=r["id"])
                text = self.compose_warmup(rng, sender=sender, recipient=peer, locale="ru")
            subjects.append(text.subject)
            bodies.append(text.body)
        await conn.execute_query(_WRITE_TEXT, [[int(r["id"]) for r in rows], subjects, bodies])

    # ---------------------------------------------------------------------------------------------- send

    async def send_mailbox(self, mailbox_id: int) -> SendReport:
        """Send one mailbox's due rows (`send_mailboxes` of that one mailbox)."""
        return (await self.send_mailboxes([mailbox_id]))[0]

    async def send_mailboxes(
        self, mailbox_ids: Sequence[int], *, rng_for: Callable[[int], random.Random] | None = None
    ) -> list[SendReport]:
        """Send the due rows of several mailboxes, each as `_send_reached` does it, in `group_concurrency` lanes
        that take the mailboxes one after another; a report per mailbox, in the order given. Most mailboxes send a
        message or two a job, so a job spends most of its round trips on what its mailboxes can share:

        * their accounts are read in one query;
        * the first claim of a mailbox is made together with those of the next ones waiting, up to
          `CLAIM_AHEAD` lanes' worth (`_claim_many`: one statement and one re-count for all of them), by the first
          lane to need one, or in the background once half of the last group's are taken (`_Job.first_claim`); the
          job vouches for all the rows it holds (`_keep_claimed`), and gives back the claims made ahead that no lane
          took (the job ended early);
        * the messages the server accepted are recorded by the next claim of their lane, whichever mailbox it is
          for, or on their own once `RECORD_EVERY` of them wait or the oldest waited a quarter of `stuck_after`,
          and when the lane ends;
        * once every lane is done (every record committed), each of their (workspace, domain) pairs is rolled up
          once (`_rollup`), not once per mailbox.

        `rng_for` gives each mailbox its own random source (retries' spread, a held row's next opening): the demo's
        sends draw the same numbers in any order. Never raises for mail trouble; a database error of a mailbox is
        raised once all the others are done and rolled up (the job retries: the claims make that harmless)."""
        reached = await self._reach_many(mailbox_ids)
        reports = [SendReport(mailbox_id) for mailbox_id in mailbox_ids]
        job = _Job(self, reached, collections.deque(r for r in reports if r.mailbox_id in reached), rng_for)
        refresh = asyncio.create_task(self._keep_claimed(job.held))
        try:
            done = await asyncio.gather(*(job.lane() for _ in range(job.lanes)), return_exceptions=True)
        finally:
            refresh.cancel()
            await asyncio.gather(refresh, return_exceptions=True)
            await self._give_back(await job.unused())
        errors = job.errors + [outcome for outcome in done if isinstance(outcome, BaseException)]
        pairs = {
            (found[0].workspace_id, found[0].domain_id): found[1]
            for r in reports
            if r.sent and (found := reached.get(r.mailbox_id)) is not None
        }
        try:
            await self._rollup(pairs)
        finally:
            if errors:
                raise errors[0]
        return reports

    def _overdue(self, carried: Sequence[Pending]) -> bool:
        """Whether accepted messages waiting for the next claim of their lane are recorded on their own now: once
        `RECORD_EVERY` wait, or the oldest waited a quarter of `stuck_after` (the job vouches for their rows, but
        a record is what survives a crash)."""
        waiting = [item.at for _, _, accepted in carried for item in accepted]
        return len(waiting) >= RECORD_EVERY or (
            bool(waiting) and self.clock.now() - min(waiting) >= self.options.stuck_after / 4
        )

    async def _send_reached(
        self,
        report: SendReport,
        reached: tuple[Account, ZoneInfo, int, bool],
        carried: Sequence[Pending],
        *,
        first: _Claim,
        held: set[int],
    ) -> list[Pending]:
        """Send the mailbox's due rows, a claimed batch at a time (`first`, then `_claim`), until none is due, a
        re-check forbids more, or `batch_limit` is reached; return what it leaves to record. `held` is the job's set
        of the rows it holds in `sending` (its rows join it and leave it). Never raises for mail trouble; database
        errors propagate (the job retries). The domain's and workspace's counters are left for the caller to roll
        up (`send_mailboxes`).

        The messages of a batch the server accepted are recorded by the statement that claims the next batch (one
        round trip for both), and so are `carried` (accepted messages of mailboxes sent before it in the same
        lane) by its first claim made here. No claim follows a batch that took every due row and handed each one
        over: its accepted messages are returned instead, for the caller to record (with a later claim of the lane,
        or on their own); those a database error left are recorded on their own before raising. Until then their
        rows stay `sending`, which is what a crash in between leaves for recovery either way. Any outcome but
        acceptance ends the batch, so the next claim re-reads the mailbox's state (a cooldown or a failed login
        applies to the very next message); the batch's rows not handed to SMTP go back to `queued` as they were
        before the claim, then or when the job ends early (cancelled, a database error)."""
        account, zone, report.auth_failures, report.smtp_error = reached
        pending: list[Pending] = list(carried)
        accepted: list[_Accepted] = []
        batch: collections.deque[Claimed] = collections.deque()  # claimed, not handed to SMTP yet
        mine: set[int] = set()  # this mailbox's rows of its last claim, in `held`
        left, want = self.options.batch_limit, self.options.claim_batch
        claim: _Claim | None = first
        finished = False
        try:
            while left > 0:
                if claim is None:
                    if accepted:
                        pending.append((account, zone, accepted))
                    claim = await self._claim(account, zone, pending, limit=min(want, left))
                    pending, accepted = [], []  # recorded in the claim's statement
                held.difference_update(mine)
                mine = {row.id for row in claim.rows}
                held.update(mine)
                report.expired += claim.expired
                if not claim.rows or claim.state is None:
                    report.blocked = claim.blocked
                    break
                batch.extend(claim.rows)
                want = max(1, min(claim.room, self.options.claim_batch))
                go_on = await self._send_batch(
                    account, claim.state, batch, claimed_at=claim.at, accepted=accepted, held=held, report=report,
                    zone=zone,
                )  # fmt: skip
                left -= len(claim.rows) - len(batch)
                handed_all = not batch
                await self._give_back(batch)
                if not go_on:
                    break  # the next one would fail the same way; the mailbox may be disabled by now
                if claim.exhausted and handed_all:
                    break  # nothing else was due: a claim now would find nothing, and only record
                claim = None
            finished = True
        finally:
            try:
                if accepted:
                    pending.append((account, zone, accepted))
                if pending and not finished:  # idempotent: only rows still `sending` become `sent`
                    await self._sent_many(pending)
            finally:
                await self._give_back(batch)
        return pending

    async def _keep_claimed(self, held: set[int]) -> None:
        """While its job lives, stamp the rows in `held` as claimed now, every `claim_refresh`: recovery takes a row
        for stuck only when no live job has vouched for it for `stuck_after`, however long a slow server holds one
        send or a batch waits its turn. A killed worker stops vouching, and its rows age from its last stamp."""
        every = (self.options.claim_refresh or self.options.stuck_after / 4).total_seconds()
        while True:
            await asyncio.sleep(every)
            if not held:
                continue
            try:
                await connections.get("default").execute_query(_REFRESH_CLAIMS, [list(held), self.clock.now()])
            except (BaseORMException, OSError) as exc:  # the job's own writes will say more; keep vouching
                log.warning("send: claims not refreshed", rows=len(held), error=type(exc).__name__)

    async def _send_batch(
        self,
        account: Account,
        state: MailboxState,
        batch: collections.deque[Claimed],
        *,
        claimed_at: dt.datetime,
        accepted: list[_Accepted],
        held: set[int],
        report: SendReport,
        zone: ZoneInfo,
    ) -> bool:
        """Send the claimed rows of `batch` in order, taking each out once it is handed to SMTP (or failed, or no
        longer claimed after its re-check: the facts of the batch's campaign rows are read in one statement when the
        first of them comes up, `_campaign_facts`), and add the accepted ones to `accepted`; stop at the first other
        outcome (a row that could not be built does not count), leaving the rest in `batch`. An error before a row is
        handed over leaves it in `batch` too: given back, never left `sending` for recovery to guess about. So does a
        slow server: the rest of a batch claimed more than a third of `stuck_after` ago is given back (to be claimed
        and re-checked afresh). Rows leaving the job's hands leave `held` (`_keep_claimed`). False when the job
        should stop (a failed login)."""
        facts: dict[int, CampaignFacts] | None = None  # read when the batch's first campaign row comes up
        went: list[Claimed] = []  # the campaign rows handed over since
        while batch:
            if self.clock.now() - claimed_at > self.options.stuck_after / 3:
                return True
            row = batch[0]
            if row.is_campaign and row.campaign_id is not None:
                if facts is None:
                    checking = [r for r in batch if r.is_campaign and r.campaign_id is not None]
                    facts = await self._campaign_facts(checking, state.mailbox_id, zone)
                checked = await self._recheck_campaign(row, state, zone, _counted(facts.get(row.id), row, went))
                if checked is None:  # cancelled or held back: no longer claimed
                    held.discard(batch.popleft().id)
                    continue
                row = checked
            prepared = await self._prepare(account, row, report, zone)
            batch.popleft()  # failed, or about to be handed to SMTP: never given back from here on
            if prepared is None:
                held.discard(row.id)
                report.outcomes[_BUILD_FAILED] = report.outcomes.get(_BUILD_FAILED, 0) + 1
                continue
            if row.is_campaign:
                went.append(row)
            outcome, done = await self._hand_over(account, row, *prepared, report=report, zone=zone)
            report.outcomes[outcome] = report.outcomes.get(outcome, 0) + 1
            if done is not None:
                accepted.append(done)
            else:
                held.discard(row.id)  # recorded, or left `sending` for recovery (`unknown`)
                return outcome != Outcome.AUTH_FAILED
        return True

    async def _give_back(self, batch: collections.deque[Claimed]) -> None:
        """Rows claimed but never handed to SMTP: `queued` again, as before their claim. The batch is emptied first,
        so rows are never given back twice (the second time, they might be another worker's claim)."""
        if not batch:
            return
        ids = [row.id for row in batch]
        batch.clear()
        await connections.get("default").execute_query(_UNCLAIM, [ids])

    async def _rollup(self, pairs: Mapping[tuple[int, int], ZoneInfo]) -> None:
        """The domains' and their workspaces' `sent` caught up with their mailboxes' (`_rollup_sql`; `pairs`: each
        (workspace, domain) and the workspace's zone), yesterday's too (a job stopped before its rollup, late in
        the day, is made good by the next one)."""
        if not pairs:
            return
        keys = sorted(pairs)
        now = self.clock.now()
        since = [now.astimezone(pairs[key]).date() - dt.timedelta(days=1) for key in keys]
        await connections.get("default").execute_query(
            _ROLLUP, [[ws for ws, _ in keys], [domain for _, domain in keys], since]
        )

    async def account(self, mailbox_id: int) -> Account | None:
        """How to reach a mailbox, with its secret decrypted; None when it is gone or cannot be decrypted."""
        reached = (await self._reach_many([mailbox_id])).get(mailbox_id)
        return reached[0] if reached is not None else None

    async def _reach_many(self, mailbox_ids: Sequence[int]) -> dict[int, tuple[Account, ZoneInfo, int, bool]]:
        """Each mailbox's `Account`, its workspace's time zone, its count of failed logins and whether its last
        error is an SMTP one, in one query (a send job starts with these, and most mailboxes send a message or two
        a job, so each round trip counts); the ones gone or whose secret cannot be decrypted are left out."""
        rows = await connections.get("default").execute_query_dict(_REACH, [list(mailbox_ids)])
        found: dict[int, tuple[Account, ZoneInfo, int, bool]] = {}
        for box in rows:
            reached = self._reached(box)
            if reached is not None:
                found[reached[0].mailbox_id] = reached
        return found

    def _reached(self, box: Mapping[str, Any]) -> tuple[Account, ZoneInfo, int, bool] | None:
        mailbox_id = int(box["id"])
        try:
            secret = self.vault.decrypt(bytes(box["secret_enc"]))
        except VaultError:
            log.error("send: the stored secret cannot be decrypted", mailbox_id=mailbox_id)
            return None
        context = self.options.ssl_context or client_context(box["tls_ca_pem"], self.options.ca_file)
        account = Account(
            mailbox_id=mailbox_id,
            address=box["address"],
            smtp=Endpoint(box["smtp_host"], int(box["smtp_port"]), TlsMode(box["smtp_tls"])),
            imap=Endpoint(box["imap_host"], int(box["imap_port"]), TlsMode(box["imap_tls"])),
            credentials=Credentials(box["username"], AuthKind(box["auth_kind"]), secret),
            tls_context=context,
            display_name=box["display_name"],
            domain_id=int(box["domain_id"]),
            workspace_id=int(box["workspace_id"]),
        )
        return account, zone_or_utc(str(box["timezone"])), int(box["smtp_auth_failures"]), bool(box["smtp_error"])

    async def _claim(
        self, account: Account, zone: ZoneInfo, pending: Sequence[Pending], *, limit: int, expire: bool = False
    ) -> _Claim:
        """`_claim_many` for one mailbox."""
        return (await self._claim_many([_Want(account, zone, limit, expire)], pending))[account.mailbox_id]

    async def _claim_many(self, wants: Sequence[_Want], pending: Sequence[Pending]) -> dict[int, _Claim]:
        """Record `pending` (accepted messages of these mailboxes or of others sent before them in the same job),
        re-check and claim up to each `limit` of due rows for each mailbox: two statements for all of them, no lock,
        no transaction. With `expire`, a mailbox's warmup rows of an earlier day are cancelled first
        (`_RECORD_AND_CLAIM`). A claim per mailbox, by mailbox id (with no rows and no state for a mailbox gone).

        The claim statement reads the facts (statuses, today's use of every cap) and claims in one snapshot; the
        facts may forbid a mailbox's sends, and then its claim is undone. That snapshot cannot see claims another
        worker commits meanwhile, so after the commit `_COUNTS` reads today's use again, now counting every claim
        that committed before it, ours included; as many of ours as that count is over a cap are undone, the latest
        due first (`_kept`; all of them when it is over by as many as we claimed). This never lets more than a cap
        through: of all the workers that kept claims, the one that re-counted last saw every claim the others kept
        (each committed before its own re-count) and all of its own, and kept no more than fitted. Two workers
        racing for the last units may both give them up; the next tick sends them. A crash between the claim and
        the undo leaves the rows `sending`, for recovery like any other. Campaign rows are re-checked once more
        before each is sent (`_recheck_campaign`, on the facts read for its batch).
        """
        check_transition("message", MessageStatus.QUEUED, MessageStatus.SENDING)
        if any(w.expire for w in wants):
            check_transition("message", MessageStatus.QUEUED, MessageStatus.CANCELLED)
        now = self.clock.now()
        days = {w.account.mailbox_id: now.astimezone(w.zone).date() for w in wants}
        params = (
            [w.account.mailbox_id for w in wants],
            [days[w.account.mailbox_id] for w in wants],
            now,
            [w.limit for w in wants],
            [_day_start(now, w.zone) if w.expire else None for w in wants],
            *self._sent_params(pending),
        )
        claims: dict[int, _Claim] = {w.account.mailbox_id: _Claim() for w in wants}
        blocked: list[tuple[MailboxState, tuple[CapKind, int, int]]] = []
        async with connections.get("default").acquire_connection() as conn:
            found: dict[int, list[Any]] = collections.defaultdict(list)
            for r in await conn.fetch(_RECORD_AND_CLAIM, *params):
                found[int(r["id"])].append(r)
            undo: list[int] = []
            tallies: list[_Tally] = []
            for want in wants:
                rows = found.get(want.account.mailbox_id)
                if not rows:
                    continue
                state = self._with_graduation(_state(rows[0]), want.zone)
                day = days[state.mailbox_id]
                claimed = [_claimed(r, "c_") for r in sorted(rows, key=_due_order) if r["c_id"] is not None]
                if len(claimed) > want.limit:  # cannot happen with the CTE; if it did, the extra rows would be stranded
                    raise RuntimeError(f"claim took {len(claimed)} rows of {want.limit}")
                claims[state.mailbox_id] = _Claim(state=state, expired=int(rows[0]["expired"]), at=now)
                over = self._blocked(state, now, day)
                if over is not None:
                    undo += [row.id for row in claimed]
                    blocked.append((state, over))
                elif claimed:
                    tallies.append(_Tally(state, self.caps.caps(state, day), day, tuple(claimed), want.limit))
            if tallies:
                undo += await self._recount(conn, tallies, claims, blocked)
            if undo:
                await conn.execute(_UNCLAIM, undo)
        for state, (cap, allowed, used) in blocked:  # why nothing goes, for `/why`, when something waits
            claims[state.mailbox_id] = dataclasses.replace(claims[state.mailbox_id], blocked=cap)
            wanting = await connections.get("default").execute_query_dict(
                _WANTING, [state.mailbox_id, now, not state.warmup_paused]
            )
            if wanted := int(wanting[0]["n"]):
                day = days[state.mailbox_id]
                await self._defer(state, day, cap, wanted=used + wanted, allowed=allowed, now=now)
        return claims

    async def _recheck_campaign(
        self, row: Claimed, state: MailboxState, zone: ZoneInfo, facts: CampaignFacts | None
    ) -> Claimed | None:
        """The claim-time re-check of a claimed campaign or test row, right before it is built and sent, on the
        facts of its batch (`_campaign_facts`, read when the batch's first campaign row came up; `_counted` for this
        row) and the clock now: the row with its next step when it may go; else None, the row having been

        * cancelled (the reason in `smtp_reply`): the campaign is over (completed, archived, gone: `facts` None),
          the enrollment is no longer active, or the lead is suppressed (and then its enrollment stops);
        * held (due again later, still `queued`): the campaign is paused (for `PAUSE_HOLD`: it may resume), the
          mailbox's inbox has gone unread (its `inbox_unreachable` alert is not resolved; for `INBOX_HOLD`), it is
          outside the campaign's send window or weekdays (until the next opening), or a campaign cap is reached
          (until the next send day; recorded for `/why`).
        """
        now = self.clock.now()
        day = now.astimezone(zone).date()
        if facts is None:
            async with connections.get("default").acquire_connection() as conn:
                await self._cancel_claimed(conn, row, "cancelled: the campaign is gone")
            return None
        if row.kind is MessageKind.TEST:
            return dataclasses.replace(row, next_step=facts.next_step, lead=facts.lead)
        verdict = recheck(
            facts, now=now, due=row.scheduled_at, over=lambda: self.caps.campaign(state, facts, day), rng=self.rng
        )
        if verdict.cancel:
            async with connections.get("default").acquire_connection() as conn:
                await self._cancel_claimed(conn, row, verdict.cancel)
                why = "suppressed" if facts.suppressed else IN_OTHER_CAMPAIGN if facts.taken else ""
                if why and row.enrollment_id is not None:
                    await conn.execute(_STOP_ENROLLMENT, row.enrollment_id, EnrollmentState.STOPPED.value, why)
            return None
        if verdict.hold_until is not None:
            await connections.get("default").execute_query(
                _POSTPONE_CLAIMED, [row.id, verdict.hold_until, verdict.reason]
            )
            if verdict.cap is not None:
                cap, allowed, used = verdict.cap
                await self._defer(state, day, cap, wanted=used + 1, allowed=allowed, now=now)
            return None
        return dataclasses.replace(row, next_step=facts.next_step, lead=facts.lead)

    async def _campaign_facts(
        self, rows: Sequence[Claimed], mailbox_id: int, zone: ZoneInfo
    ) -> dict[int, CampaignFacts]:
        """The facts of claimed campaign and test rows of one mailbox (`_CAMPAIGN_FACTS`, one statement), by row id;
        a row whose campaign is gone has none. Their counts leave all of these rows out (`_counted` adds them)."""
        now = self.clock.now()
        fields: list[list[Any]] = [[] for _ in range(8)]
        for row in rows:
            position = row.step_position if row.step_position is not None else -1
            values = (
                row.id, row.campaign_id, row.enrollment_id, row.workspace_id, row.recipient, position, row.lead_id,
                inbox_unreachable_fingerprint(row.workspace_id, mailbox_id),
            )  # fmt: skip
            for column, value in zip(fields, values, strict=True):
                column.append(value)
        found = await connections.get("default").execute_query_dict(
            _CAMPAIGN_FACTS,
            [*fields, now.astimezone(zone).date(), mailbox_id, _day_start(now, zone), [row.id for row in rows]],
        )
        return {int(r["row_id"]): _facts(r) for r in found}

    async def _cancel_claimed(self, conn: Any, row: Claimed, reason: str) -> None:
        check_transition("message", MessageStatus.QUEUED, MessageStatus.CANCELLED)
        await conn.execute(_CANCEL_CLAIMED, row.id, reason[:1000])
        log.info("send: campaign row cancelled at claim", message_id=row.id, reason=reason)

    @staticmethod
    def _with_graduation(state: MailboxState, zone: ZoneInfo) -> MailboxState:
        """`state` with the day (in the workspace's zone) an active mailbox graduated."""
        if state.status is not MailboxStatus.ACTIVE or state.graduated_at is None:
            return state
        return dataclasses.replace(state, graduated_on=state.graduated_at.astimezone(zone).date())

    async def _recount(
        self,
        conn: Any,
        tallies: Sequence[_Tally],
        claims: dict[int, _Claim],
        blocked: list[tuple[MailboxState, tuple[CapKind, int, int]]],
    ) -> list[int]:
        """The re-count of `_claim_many` (`_COUNTS`, `_kept`): each mailbox's claim in `claims` gets the rows it
        keeps; a mailbox that keeps none because of a cap goes to `blocked`. Returns the rows given up."""
        undo: list[int] = []
        counts = await conn.fetch(
            _COUNTS,
            [t.state.mailbox_id for t in tallies],
            [t.state.domain_id for t in tallies],
            [t.day for t in tallies],
            [t.state.workspace_id if t.caps.workspace is not None else None for t in tallies],
        )
        uses = {int(c["id"]): (int(c["mailbox_sent"]), int(c["domain_sent"]), int(c["workspace_sent"])) for c in counts}
        kept = _kept(tallies, uses)
        for tally in tallies:
            mailbox_id = tally.state.mailbox_id
            keep, room, over = kept[mailbox_id]
            undo += [row.id for row in tally.rows[keep:]]
            if keep:
                exhausted = len(tally.rows) < tally.limit and keep == len(tally.rows)
                claims[mailbox_id] = dataclasses.replace(
                    claims[mailbox_id], rows=tally.rows[:keep], room=room, exhausted=exhausted
                )
            elif over is not None:
                blocked.append((tally.state, over))
        return undo

    def _blocked(self, state: MailboxState, now: dt.datetime, day: dt.date) -> tuple[CapKind, int, int] | None:
        """Why nothing may go out from this mailbox now (None: it may): the cap, its limit and today's count."""
        if (
            state.status not in SENDABLE_MAILBOX
            or (state.cooldown_until is not None and state.cooldown_until > now)
            or state.domain_status in BLOCKED_DOMAIN
            or state.workspace_archived
            or state.workspace_settings.get("sending_paused") is True
        ):
            return CapKind.STATUS, 0, state.mailbox_sent
        caps = self.caps.caps(state, day)
        if state.mailbox_sent >= caps.mailbox:
            return CapKind.MAILBOX, caps.mailbox, state.mailbox_sent
        if state.domain_sent >= caps.domain:
            return CapKind.DOMAIN, caps.domain, state.domain_sent
        if caps.workspace is not None and state.workspace_sent >= caps.workspace:
            return CapKind.WORKSPACE, caps.workspace, state.workspace_sent
        return None

    async def _defer(
        self,
        state: MailboxState,
        day: dt.date,
        cap: CapKind,
        *,
        wanted: int,
        allowed: int,
        now: dt.datetime,
    ) -> None:
        """Record for `/why` that the claim-time re-check held this mailbox back today."""
        detail = '{"at": "claim"}'
        await connections.get("default").execute_query(
            _DEFER, [state.workspace_id, state.mailbox_id, day, cap.value, wanted, allowed, detail, now]
        )

    async def _prepare(
        self, account: Account, row: Claimed, report: SendReport, zone: ZoneInfo
    ) -> tuple[BuiltMessage, Composed | None] | None:
        """The message of a claimed row, composed first for a campaign row; None when it cannot be built (a
        `UserError`: the row has failed)."""
        composed: Composed | None = None
        try:
            if row.is_campaign and self.compose is not None:
                composed = await self.compose(_campaign_row(row, account))
            elif row.is_campaign and (row.kind is MessageKind.TEST or not row.body):  # never an empty message
                raise UserError("error-campaign-not-composed")
            return self._build(account, row, composed), composed
        except UserError as exc:
            await self._fail(row, MessageStatus.FAILED, None, f"{exc.key}: {exc.params}"[:1000], zone=zone)
            report.failed += 1
            return None

    async def _hand_over(
        self,
        account: Account,
        row: Claimed,
        built: BuiltMessage,
        composed: Composed | None,
        *,
        report: SendReport,
        zone: ZoneInfo,
    ) -> tuple[str, _Accepted | None]:
        """Send one built message and record what went wrong; an accepted message is returned instead, for the
        next claim to record."""
        result = await self.sender.send(
            account.smtp,
            account.credentials,
            built,
            attempt=max(row.attempts - 1, 0),
            tls_context=account.tls_context,
        )
        if result.outcome is Outcome.ACCEPTED:
            if not report.sent and (report.auth_failures or report.smtp_error):  # proves the SMTP side: once a job
                await connections.get("default").execute_query(_SMTP_WORKS, [account.mailbox_id])
                if report.smtp_error:
                    await resolve_alerts(
                        SMTP_UNREACHABLE, f"mailbox:{account.mailbox_id}", workspace_id=account.workspace_id,
                        clock=self.clock,
                    )  # fmt: skip
            report.sent += 1
            sending = None
            if row.is_campaign:
                links = composed.links if composed is not None else None
                subject = composed.subject if composed is not None else None
                pixel = composed is not None and composed.html is not None
                sending = Sending(subject=subject, links=links, next_step=row.next_step, pixel=pixel)
            return result.outcome.value, _Accepted(row, self.clock.now(), result, sending)
        await self._record(account, row, result, report, zone)
        return result.outcome.value, None

    def _build(self, account: Account, row: Claimed, composed: Composed | None = None) -> BuiltMessage:
        """The message of a row. A campaign or test row (`composed`) carries the sender footer and unsubscribe
        line in its text, a one-click `List-Unsubscribe` when the tracking host is https, and always a `mailto:`
        one to the sending mailbox (subject "unsubscribe": the inbox sync suppresses whoever sends it), so even a
        plain-http tracking host leaves a working header. Warmup rows (`composed` None) go between our own
        mailboxes: that is not outreach to anybody (149-FZ art. 10, 38-FZ art. 18 concern information sent to
        others), so they carry no footer and no unsubscribe, which would also mark them as bulk mail."""
        if not row.recipient:
            raise UserError("message-address-invalid", address="")
        spec = MessageSpec(
            sender=account.address,
            sender_name=account.display_name,
            recipient=row.recipient,
            recipient_name=row.recipient_name,
            subject=composed.subject if composed is not None else row.subject,
            text=composed.text if composed is not None else row.body,
            html=composed.html if composed is not None else None,
            unsubscribe_url=composed.unsubscribe_url if composed is not None else None,
            unsubscribe_mailto=account.address if composed is not None else None,
            in_reply_to=row.in_reply_to or None,
            references=tuple(row.references.split()),
            message_id=row.message_id,
        )
        return with_headers(build_message(spec, self.clock), self.headers_for(row))

    # -------------------------------------------------------------------------------------------- record

    async def _record(
        self, account: Account, row: Claimed, result: SmtpResult, report: SendReport, zone: ZoneInfo
    ) -> None:
        """Turn an SMTP result other than acceptance (`send_mailbox` records those, `_sent`) into the row's next
        state, events and mailbox bookkeeping.

        Transient, connection trouble, throttling, spam verdicts →
        back to `queued` with backoff and jitter (throttling and spam verdicts also cool the mailbox down), or
        `failed` after `max_attempts`; permanent → `bounced` (+ suppression of a lead); rejected → `failed`; a
        refusal of us (a listed IP or domain, our authentication or content: `refuses_us`), permanent or not, is a
        block — a BOUNCE_BLOCK event, nobody suppressed, the message tried again later like a spam verdict;
        auth → back to `queued`, the mailbox's failure count up, disabled at the limit (+ an alert); unknown (the
        connection died after the data was handed over) → left in `sending` for recovery to resolve. Connection
        trouble and temporary errors before the message was offered (connecting, greeting, TLS, a login that could
        not be tried) are the mailbox's, not the message's: see `_unreached`.
        """
        now = self.clock.now()
        outcome = result.outcome
        if outcome is Outcome.UNKNOWN:
            report.unresolved += 1
            log.warning("send: outcome unknown, left for recovery", message_id=row.id, reason_key=result.key)
        elif result.before_message and outcome in (Outcome.CONNECTION, Outcome.TRANSIENT):
            await self._unreached(account, row, result, now, again=report.smtp_error, zone=zone)
            report.retried += 1
        elif outcome is Outcome.PERMANENT and not refuses_us(result):
            await self._fail(
                row, MessageStatus.BOUNCED, result, "", event=EventKind.BOUNCE_HARD, account=account, zone=zone
            )
            if row.lead_id is not None:
                reason = SuppressionReason.BOUNCE
                await add_suppressions([SuppressionRecord(row.workspace_id, row.recipient, reason)], now=now)
            report.failed += 1
        elif outcome is Outcome.REJECTED and not refuses_us(result):
            await self._fail(
                row, MessageStatus.FAILED, result, "", event=EventKind.SMTP_ERROR, account=account, zone=zone
            )
            report.failed += 1
        elif outcome is Outcome.AUTH_FAILED:
            await self._retry(row, result, now, delay=result.retry_after or dt.timedelta(hours=1))
            await self._auth_failed(account, result, now, zone)
            report.retried += 1
        else:  # TRANSIENT, CONNECTION, THROTTLED, SPAM_REJECTED, and a refusal of us ("554 5.7.1 … blocked using …")
            if outcome in (Outcome.THROTTLED, Outcome.SPAM_REJECTED) and result.retry_after:
                await Mailbox.filter(id=account.mailbox_id).update(cooldown_until=now + result.retry_after)
            if outcome in (Outcome.SPAM_REJECTED, Outcome.PERMANENT, Outcome.REJECTED):  # a block: counts against the
                # mailbox and its domain (monitoring's block rate), never against the recipient; tried again later
                data = {"key": result.key, "code": result.code, "reason": bounce_reason(result.enhanced, result.text)}
                await record_events(
                    [self._event(EventKind.BOUNCE_BLOCK, account, row, now, data)], zones={row.workspace_id: zone}
                )
            if row.attempts >= self.options.max_attempts:
                await self._fail(
                    row, MessageStatus.FAILED, result, "", event=EventKind.SMTP_ERROR, account=account, zone=zone
                )
                report.failed += 1
            else:
                await self._retry(row, result, now, delay=result.retry_after or dt.timedelta(hours=1))
                report.retried += 1

    async def _sent(self, account: Account, accepted: Sequence[_Accepted], zone: ZoneInfo) -> int:
        """Record accepted messages as sent (see `_record_ctes`): how many of their rows were still `sending`."""
        return await self._sent_many([(account, zone, accepted)])

    async def _sent_many(self, pending: Sequence[Pending]) -> int:
        """`_sent` of several mailboxes' accepted messages, in one statement."""
        params = self._sent_params(pending)
        rows = await connections.get("default").execute_query_dict(_RECORD_SENT, list(params))
        return int(rows[0]["n"]) if rows else 0

    def _sent_params(self, pending: Sequence[Pending]) -> tuple[Any, ...]:
        """`_record_ctes`'s parameters for the accepted messages of `pending` (one array per field)."""
        check_transition("message", MessageStatus.SENDING, MessageStatus.SENT)
        fields: list[list[Any]] = [[] for _ in range(16)]
        keyed: list[tuple[str, int, dt.date, int, int]] = []  # the counter rows: scope, id, day, message, workspace
        for account, zone, item in ((a, z, i) for a, z, accepted in pending for i in accepted):
            row, now, result, sending = item.row, item.at, item.result, item.sending
            campaign_id = row.campaign_id if row.kind is MessageKind.CAMPAIGN else None  # a test never counts
            day = now.astimezone(zone).date()
            for scope, scope_id, workspace_id in _sent_counters(
                row.workspace_id, account.mailbox_id, account.domain_id, campaign_id
            ):
                keyed.append((scope, scope_id, day, row.id, workspace_id))
            subject = links = None
            enrollment = position = next_position = next_due = None
            if sending is not None:
                subject = sending.subject
                links = json.dumps(list(sending.links)) if sending.links is not None else None
                step = sending.next_step
                if row.kind is MessageKind.CAMPAIGN and row.enrollment_id is not None and step is not None:
                    enrollment, position, next_position = row.enrollment_id, row.step_position or 0, step.position
                    if step.position is not None:
                        next_due = due_after(
                            now, delay_days=step.delay_days, business_days=step.business_days, zone=step.zone
                        )
            data = _PIXEL_EVENT_DATA if sending is not None and sending.pixel else _EVENT_DATA
            values = (
                account.mailbox_id, row.id, now, result.code if result else None,
                result.text if result else "found in the Sent folder", row.workspace_id, campaign_id, row.lead_id,
                data[row.kind], subject, links, enrollment, position, next_position, next_due, row.message_id,
            )  # fmt: skip
            for column, value in zip(fields, values, strict=True):
                column.append(value)
        keyed.sort()  # `stats.stat_rows`'s order: (scope, scope id, day)
        counters = [[k[3] for k in keyed], [k[4] for k in keyed], [k[0] for k in keyed], [k[1] for k in keyed]]
        return (*fields, *counters, [k[2] for k in keyed])

    async def _fail(
        self,
        row: Claimed,
        status: MessageStatus,
        result: SmtpResult | None,
        reason: str,
        *,
        event: EventKind | None = None,
        account: Account | None = None,
        zone: ZoneInfo,
        stale: dt.datetime | None = None,
    ) -> None:
        """The row fails for good (`status`), if it is still `sending` (and, for recovery, still stuck: claimed
        before `stale`; see `_requeue`); a campaign row stops its sequence."""
        check_transition("message", MessageStatus.SENDING, status)
        now = self.clock.now()
        text = (f"{result.key}: {result.text}" if result else reason)[:1000]
        async with in_transaction() as db:
            moved = await db.execute_query_dict(
                "UPDATE outbound_message SET status = $2, smtp_code = $3, smtp_reply = $4 "
                "WHERE id = $1 AND status = 'sending' AND ($5::timestamptz IS NULL OR claimed_at < $5) RETURNING id",
                [row.id, status.value, result.code if result else None, text, stale],
            )
            if moved and event is not None and account is not None:
                data = {"key": result.key if result else "", "code": result.code if result else None}
                await record_events([self._event(event, account, row, now, data)], zones={row.workspace_id: zone})
            if moved and row.kind is MessageKind.CAMPAIGN and row.enrollment_id is not None:
                # the step can never be sent: the sequence stops here (a hard bounce as `bounced`)
                state = EnrollmentState.BOUNCED if status is MessageStatus.BOUNCED else EnrollmentState.STOPPED
                why = "compose_failed" if result is None else f"smtp_{result.outcome.value}"
                await db.execute_query(_STOP_ENROLLMENT, [row.enrollment_id, state.value, why[:64]])

    async def _retry(self, row: Claimed, result: SmtpResult, now: dt.datetime, *, delay: dt.timedelta) -> None:
        """Back to `queued`, due again after `delay` spread by ±`retry_jitter`."""
        check_transition("message", MessageStatus.SENDING, MessageStatus.QUEUED)
        spread = 1 + self.rng.uniform(-self.options.retry_jitter, self.options.retry_jitter)
        due = now + delay * spread
        await connections.get("default").execute_query(
            "UPDATE outbound_message SET status = 'queued', scheduled_at = $2, claimed_at = NULL, smtp_code = $3, "
            "smtp_reply = $4 WHERE id = $1 AND status = 'sending'",
            [row.id, due, result.code, f"{result.key}: {result.text}"[:1000]],
        )

    async def _unreached(
        self, account: Account, row: Claimed, result: SmtpResult, now: dt.datetime, *, again: bool, zone: ZoneInfo
    ) -> None:
        """The mailbox could not reach or use its server (refused, timed out, a TLS mode or certificate that does not
        fit, a greeting of 421): the message was never offered, so its claim is undone (no attempt used: an outage
        of any length never fails a message, nor stops a sequence), and the whole mailbox waits `retry_after`
        (`UNREACHED_HOLD` when only a person can help: its settings) instead of trying every due row in turn. Its
        card says why (`last_error`) until a message goes out or a login test passes. When it failed `again` (the
        job began with an SMTP error on the card) and its oldest waiting message has waited `UNREACHED_ALERT_AFTER`,
        the `smtp_unreachable` warning says so (counted up, not repeated, while it lasts)."""
        check_transition("message", MessageStatus.SENDING, MessageStatus.QUEUED)
        until = now + (result.retry_after or UNREACHED_HOLD)
        async with in_transaction() as db:
            await db.execute_query(_UNCLAIM_UNREACHED, [row.id, result.code, f"{result.key}: {result.text}"[:1000]])
            await db.execute_query(_HOLD_UNREACHED, [account.mailbox_id, until, result.stored_error(), now])
        log.info("send: mailbox cannot reach its server", mailbox_id=account.mailbox_id, reason_key=result.key)
        if not again:
            return
        rows = await connections.get("default").execute_query_dict(_OLDEST_WAITING, [account.mailbox_id])
        oldest = rows[0]["at"] if rows else None
        if oldest is not None and now - oldest >= UNREACHED_ALERT_AFTER:
            await smtp_unreachable(
                account.workspace_id, account.mailbox_id, account.address, since=local_time(oldest, zone),
                reason=result.key, now=now,
            )  # fmt: skip

    async def _auth_failed(self, account: Account, result: SmtpResult, now: dt.datetime, zone: ZoneInfo) -> None:
        """Count the failure on the mailbox; disable it at the limit (`engine.lifecycle`) and alert."""
        text = result.stored_error()
        data = {"via": "smtp", "key": result.key}
        event = EventRecord(
            account.workspace_id, EventKind.AUTH_ERROR, now, account.mailbox_id, account.domain_id, data=data
        )
        async with in_transaction():
            await connections.get("default").execute_query(
                "UPDATE mailbox SET smtp_auth_failures = smtp_auth_failures + 1, "
                "auth_failures = GREATEST(imap_auth_failures, smtp_auth_failures + 1), last_error = $2, "
                "last_error_at = $3 WHERE id = $1",
                [account.mailbox_id, text, now],
            )
            await record_events([event], zones={account.workspace_id: zone})
            box = await Mailbox.get(id=account.mailbox_id)
            limit = self.options.auth_failure_limit or await auth_failure_limit(account.workspace_id)
            disable = box.smtp_auth_failures >= limit and box.status in SENDABLE_MAILBOX
            if disable:
                reason = f"SMTP login failed {box.smtp_auth_failures} times in a row"
                await transition_mailbox(box, MailboxStatus.DISABLED, clock=self.clock, reason=reason)
        if disable:
            await mailbox_auth_disabled(
                account.workspace_id, account.mailbox_id, account.address, failures=box.smtp_auth_failures,
                reason=result.key, via="smtp", now=now,
            )  # fmt: skip

    def _event(
        self, kind: EventKind, account: Account, row: Claimed, now: dt.datetime, data: Mapping[str, Any]
    ) -> EventRecord:
        return EventRecord(
            workspace_id=row.workspace_id,
            kind=kind,
            occurred_at=now,
            mailbox_id=account.mailbox_id,
            domain_id=account.domain_id,
            campaign_id=row.campaign_id if row.kind is MessageKind.CAMPAIGN else None,  # a test never counts
            lead_id=row.lead_id,
            message_id=row.id,
            data={"kind": row.kind.value, **data},
        )

    # ------------------------------------------------------------------------------------------ recovery

    async def recover_mailbox(self, mailbox_id: int) -> RecoveryReport:
        """Resolve this mailbox's rows stuck in `sending` longer than `stuck_after`: each one found in the Sent
        folder is `sent`. A row not found there is sent again only when the folder is known to hold this mailbox's
        submissions: its latest message recorded as accepted over SMTP before the stuck ones (the witness) is
        found there too, so the provider files what it accepts and a missing copy means the server never took the
        message (a connection cut in DATA before the final dot, a crash before the send). It is queued again at
        once (it has already waited `stuck_after`), or fails after `max_attempts`. Without a witness, or when the
        folder cannot be searched, the rows become `unknown` and one alert names how many: never resent blindly."""
        now = self.clock.now()
        stale = now - self.options.stuck_after
        rows = await connections.get("default").execute_query_dict(
            "SELECT id FROM outbound_message WHERE mailbox_id = $1 AND status = 'sending' AND claimed_at < $2 "
            "ORDER BY id",
            [mailbox_id, stale],
        )
        account = await self.account(mailbox_id)
        zone = await _zone_of(mailbox_id) or ZoneInfo("UTC")
        if not rows:
            return RecoveryReport(mailbox_id, 0, 0)
        stuck = await _claimed_rows([int(r["id"]) for r in rows])
        error = ""
        found: set[str] = set()
        witness = await self._witness(mailbox_id, [r.id for r in stuck])
        if account is None:
            error = "error-recovery-no-account"
        else:
            try:
                wanted = [r.message_id for r in stuck] + ([witness] if witness else [])
                found = await self.sent_folder.find(account, wanted)
            except SentFolderError as exc:
                error = exc.key
                log.warning("recovery: Sent folder not searchable", mailbox_id=mailbox_id, reason_key=exc.key)
        filed = witness is not None and witness in found  # the folder holds what this mailbox submits
        sent = unknown = retried = 0
        for row in stuck:
            if account is not None and row.message_id in found:
                await self._sent(account, [_Accepted(row, now, None, await self._recovered(row, now, zone))], zone)
                sent += 1
            elif filed and row.attempts < self.options.max_attempts:
                retried += await self._requeue(row, now, stale)
            elif filed:
                reason = "recovery: never accepted, attempts used"
                await self._fail(row, MessageStatus.FAILED, None, reason, zone=zone, stale=stale)
            else:
                unknown += await self._unknown(row, error or "not found in the Sent folder", stale)
        if unknown:
            box = account.address if account else str(mailbox_id)
            await raise_alert(
                workspace_id=stuck[0].workspace_id,
                kind=SEND_UNKNOWN,
                severity=Severity.WARNING,
                subject=f"mailbox:{mailbox_id}",
                key=now.date().isoformat(),
                data={
                    "mailbox": box,
                    "count": unknown,
                    "reason": error or "not-found",
                    "reason_keys": [problem_key(error or "not-found")],
                },
                now=now,
            )
        if sent and account is not None:
            await self._rollup({(account.workspace_id, account.domain_id): zone})
        log.info("recovery", mailbox_id=mailbox_id, sent=sent, unknown=unknown, retried=retried, error=error)
        return RecoveryReport(mailbox_id, sent, unknown, error, retried)

    async def _witness(self, mailbox_id: int, stuck: Sequence[int]) -> str | None:
        """The Message-ID of the mailbox's latest message accepted over SMTP (recorded with the server's code)
        before its stuck rows were claimed: its copy has had as long as they have to be filed."""
        rows = await connections.get("default").execute_query_dict(
            "SELECT message_id FROM outbound_message WHERE mailbox_id = $1 AND status = 'sent' "
            "AND smtp_code IS NOT NULL AND sent_at <= (SELECT min(claimed_at) FROM outbound_message "
            "WHERE id = ANY($2::bigint[])) ORDER BY sent_at DESC LIMIT 1",
            [mailbox_id, list(stuck)],
        )
        return str(rows[0]["message_id"]) if rows else None

    async def _requeue(self, row: Claimed, now: dt.datetime, stale: dt.datetime) -> bool:
        """A stuck row the server never accepted: `queued` again, due now (recovery ran `stuck_after` late). Only
        while it is still stuck (claimed before `stale`): another recovery may have queued it again meanwhile, and a
        send job taken it (a fresh claim), which this one must not take back."""
        check_transition("message", MessageStatus.SENDING, MessageStatus.QUEUED)
        moved = await connections.get("default").execute_query_dict(
            "UPDATE outbound_message SET status = 'queued', scheduled_at = $2, claimed_at = NULL, "
            "smtp_reply = 'recovery: not in the Sent folder, sent again' "
            "WHERE id = $1 AND status = 'sending' AND claimed_at < $3 RETURNING id",
            [row.id, now, stale],
        )
        return bool(moved)

    async def _recovered(self, row: Claimed, now: dt.datetime, zone: ZoneInfo) -> Sending | None:
        """What the record of a campaign row found in the Sent folder adds: its enrollment's next step, and the
        subject and links composed again (the rendering is seeded by the row id: the same text)."""
        if not row.is_campaign or row.campaign_id is None:
            return None
        facts = (await self._campaign_facts([row], row.mailbox_id, zone)).get(row.id)
        composed = None
        if self.compose is not None:
            try:
                composed = await self.compose(_campaign_row(row))
            except UserError:
                composed = None
        return Sending(
            subject=composed.subject if composed else None,
            links=composed.links if composed else None,
            next_step=facts.next_step if facts else None,
            pixel=composed is not None and composed.html is not None,
        )

    async def _unknown(self, row: Claimed, reason: str, stale: dt.datetime) -> bool:
        """Nobody knows whether it went out: never resent, and its sequence stops here (a follow-up to a message
        that may never have arrived would make no sense); a person decides. Only while it is still stuck (see
        `_requeue`)."""
        check_transition("message", MessageStatus.SENDING, MessageStatus.UNKNOWN)
        async with in_transaction() as db:
            moved = await db.execute_query_dict(
                "UPDATE outbound_message SET status = 'unknown', smtp_reply = $2 WHERE id = $1 AND status = 'sending' "
                "AND claimed_at < $3 RETURNING id",
                [row.id, f"recovery: {reason}"[:1000], stale],
            )
            if moved and row.kind is MessageKind.CAMPAIGN and row.enrollment_id is not None:
                await db.execute_query(
                    _STOP_ENROLLMENT, [row.enrollment_id, EnrollmentState.STOPPED.value, "send_unknown"]
                )
        return bool(moved)


# ------------------------------------------------------------------------------------------------ helpers


def with_headers(message: BuiltMessage, headers: Sequence[tuple[str, str]]) -> BuiltMessage:
    """The message with `headers` added at the top of its header block. Names must be header tokens and values
    printable ASCII without line breaks (a keyed marker is hex): anything else raises `ValueError`, so nothing
    can inject a header line."""
    if not headers:
        return message
    lines = []
    for name, value in headers:
        if not _HEADER_NAME.match(name) or not _HEADER_VALUE.match(value):
            raise ValueError(f"refused extra header {name!r}")
        lines.append(f"{name}: {value}\r\n")
    return dataclasses.replace(message, data="".join(lines).encode("ascii") + message.data)


def _state(r: Mapping[str, Any]) -> MailboxState:
    return MailboxState(
        mailbox_id=int(r["id"]),
        workspace_id=int(r["workspace_id"]),
        domain_id=int(r["domain_id"]),
        status=MailboxStatus(r["status"]),
        cooldown_until=r["cooldown_until"],
        warmup_paused=bool(r["wp"]),
        mailbox_cap=int(r["daily_cap"]),
        domain_status=DomainStatus(r["domain_status"]),
        domain_cap=int(r["domain_cap"]),
        workspace_archived=bool(r["archived"]),
        workspace_settings=_json(r["settings"]),
        mailbox_sent=int(r["mailbox_sent"]),
        domain_sent=int(r["domain_sent"]),
        workspace_sent=int(r["workspace_sent"]),
        provider=str(r["provider"]),
        warmup_started_on=r["warmup_started_on"],
        status_changed_at=r["status_changed_at"],
        graduated_at=r["graduated_at"],
        health_factor=float(r.get("health_factor", 1.0)),
        ramp_mark=mark_of(r.get("warmup_ramp_day"), r.get("warmup_ramp_level")),
    )


def _lead_data(r: Mapping[str, Any]) -> LeadData | None:
    """The lead's fields the campaign facts carry; None when the row has no lead or it is gone."""
    if r["lead_email"] is None:
        return None
    return LeadData(
        email=str(r["lead_email"]),
        first_name=str(r["lead_first_name"] or ""),
        last_name=str(r["lead_last_name"] or ""),
        company=str(r["lead_company"] or ""),
        custom=_json(r["lead_custom"]),
    )


def _facts(r: Mapping[str, Any]) -> CampaignFacts:
    """A row of `_CAMPAIGN_FACTS` (its counts without the rows asked about)."""
    campaign_zone = zone_named(str(r["timezone"])) or ZoneInfo("UTC")
    window_zone = zone_named(str(r["lead_zone"] or "")) or campaign_zone
    state = r["enrollment_state"]
    nxt = r["next_position"]
    return CampaignFacts(
        status=CampaignStatus(r["status"]),
        enrollment_state=EnrollmentState(state) if state is not None else None,
        suppressed=bool(r["suppressed"]),
        daily_cap=int(r["daily_cap"]),
        per_mailbox_cap=int(r["per_mailbox_cap"]),
        campaign_sent=int(r["campaign_sent"]),
        campaign_mailbox_sent=int(r["campaign_mailbox_sent"]),
        mailbox_campaign_sent=int(r["mailbox_campaign_sent"]),
        zone=window_zone,
        window_start=r["window_start"],
        window_end=r["window_end"],
        weekdays=int(r["weekdays"]),
        next_step=NextStep(
            position=int(nxt) if nxt is not None else None,
            delay_days=int(r["next_delay"] or 0),
            business_days=bool(r["next_business"]),
            zone=campaign_zone,
        ),
        inbox_unread=bool(r["inbox_unread"]),
        lead=_lead_data(r),
        taken=bool(r["taken"]),
    )


def _counted(facts: CampaignFacts | None, row: Claimed, went: Sequence[Claimed]) -> CampaignFacts | None:
    """The facts of a batch (`Outbox._campaign_facts`, which leaves the batch's rows out of its counts) as `row`'s
    re-check counts them: with the row itself and the batch's rows handed over before it (in flight, as a claim
    counts them), of its campaign for the campaign's counts, of every campaign and test for the mailbox's."""
    if facts is None:
        return None
    mine = [*went, row]
    same = sum(1 for r in mine if r.kind is MessageKind.CAMPAIGN and r.campaign_id == row.campaign_id)
    return dataclasses.replace(
        facts,
        campaign_sent=facts.campaign_sent + same,
        campaign_mailbox_sent=facts.campaign_mailbox_sent + same,
        mailbox_campaign_sent=facts.mailbox_campaign_sent + len(mine),
    )


def _json(value: Any) -> Mapping[str, Any]:
    if isinstance(value, str):
        loaded = json.loads(value)
        return loaded if isinstance(loaded, dict) else {}
    return value if isinstance(value, dict) else {}


def _claimed(row: Mapping[str, Any], prefix: str = "") -> Claimed:
    p = prefix
    return Claimed(
        id=int(row[p + "id"]),
        kind=MessageKind(row[p + "kind"]),
        workspace_id=int(row[p + "workspace_id"]),
        mailbox_id=int(row[p + "mailbox_id"]),
        peer_id=row[p + "peer_id"],
        lead_id=row[p + "lead_id"],
        enrollment_id=row[p + "enrollment_id"],
        campaign_id=row[p + "campaign_id"],
        message_id=str(row[p + "message_id"]),
        subject=str(row[p + "subject"]),
        body=str(row[p + "body"]),
        in_reply_to=str(row[p + "in_reply_to"]),
        references=str(row[p + "references"]),
        attempts=int(row[p + "attempts"]),
        recipient=str(row[p + "recipient"]),
        recipient_name=str(row[p + "recipient_name"]),
        step_position=row.get(p + "step_position"),
        variant=row.get(p + "variant"),
        scheduled_at=row.get(p + "scheduled_at"),
    )


_EVENT_DATA: Final = {k: json.dumps({"kind": k.value}) for k in MessageKind}
"""The SENT event's data for each kind of row (what `Outbox._event` writes)."""
_PIXEL_EVENT_DATA: Final = {k: json.dumps({"kind": k.value, PIXEL_DATA: True}) for k in MessageKind}
"""The SENT event's data of a message that carried an open pixel (counted in `pixel_sent`)."""


_ROLLED_UP: Final = frozenset({StatScope.DOMAIN, StatScope.WORKSPACE})


def _rollup_sql() -> str:
    """Each domain's and each of their workspaces' `sent` and its parts (`_SENT_PARTS`) of the days since its
    `since` as the sums of their mailboxes': $1 the workspaces, $2 the domains (one element per domain: its
    workspace, its id), $3 the first day of each. Every sending mailbox of a workspace would otherwise update the
    same two rows with every message, each holding their lock until its commit is on disk: the sends of a workspace
    would be recorded one at a time. A workspace is summed once however many of its domains sent (summed with each
    of them, a tick of the demo's 60 domains added each workspace's 300 mailbox counters 15 times). Only ever
    raises a count (sums only grow), so rollups racing each other never lose one; rows locked in
    `stats.stat_rows`'s order (domains before workspaces, each by id and day)."""
    counters = ", ".join(COUNTERS)
    values = ", ".join(f"t.{c}" if c in _SENT_PARTS else "0" for c in COUNTERS)
    sums = ", ".join(f"sum(s.{c}) AS {c}" for c in _SENT_PARTS)
    raised = ", ".join(f"{c} = greatest(daily_stat.{c}, excluded.{c})" for c in _SENT_PARTS)
    below = " OR ".join(f"daily_stat.{c} < excluded.{c}" for c in _SENT_PARTS)
    picked = ", ".join(f"x.{c}" for c in _SENT_PARTS)
    return f"""
WITH d AS (SELECT * FROM unnest($1::int[], $2::int[], $3::date[]) AS d(ws, id, since)),
t AS (
    SELECT d.ws, 'domain' AS scope, d.id AS scope_id, x.day, {picked}
    FROM d CROSS JOIN LATERAL (
        SELECT s.day, {sums} FROM daily_stat s
        WHERE s.scope = 'mailbox' AND s.scope_id = ANY({_boxes("domain_id = d.id")}) AND s.day >= d.since
        GROUP BY s.day) x
    UNION ALL
    SELECT w.ws, 'workspace', w.ws, x.day, {picked}
    FROM (SELECT ws, min(since) AS since FROM d GROUP BY ws) w CROSS JOIN LATERAL (
        SELECT s.day, {sums} FROM daily_stat s
        WHERE s.workspace_id = w.ws AND s.day >= w.since AND s.scope = 'mailbox' GROUP BY s.day) x
)
INSERT INTO daily_stat (workspace_id, scope, scope_id, day, {counters})
SELECT t.ws, t.scope, t.scope_id, t.day, {values} FROM t ORDER BY t.scope, t.scope_id, t.day
ON CONFLICT (scope, scope_id, day) DO UPDATE SET {raised}
WHERE {below}
"""  # noqa: S608 - built from the constant counter names; every value is a bound parameter


_ROLLUP: Final = _rollup_sql()


@functools.lru_cache(maxsize=4096)
def _sent_counters(
    workspace_id: int, mailbox_id: int, domain_id: int, campaign_id: int | None
) -> tuple[tuple[str, int, int], ...]:
    """The DailyStat rows a SENT event counts in as its message is recorded (`stats.stat_rows`, but the domain's and
    the workspace's, see `_rollup_sql`), each as (scope, scope id, workspace): the same few for every message of a
    mailbox, so computed once."""
    event = EventRecord(workspace_id, EventKind.SENT, _NOON, mailbox_id, domain_id, campaign_id)
    return tuple(
        (r.scope.value, r.scope_id, r.workspace_id) for r in stat_rows([event], {}) if r.scope not in _ROLLED_UP
    )


_NOON: Final = dt.datetime(2000, 1, 1, 12, tzinfo=dt.UTC)  # any moment: only the day of a counter row depends on it


def _due_order(row: Mapping[str, Any]) -> tuple[Any, Any]:
    """Claimed rows in the order they were due (the claim's `ORDER BY`)."""
    return row["c_scheduled_at"], row["c_id"]


async def _claimed_rows(ids: Sequence[int]) -> list[Claimed]:
    """Rows by id in the shape the claim returns (for recovery)."""
    rows = await connections.get("default").execute_query_dict(
        """
        SELECT m.id, m.kind, m.workspace_id, m.mailbox_id, m.peer_id, m.lead_id, m.enrollment_id, m.message_id,
               m.subject, m.body, m.in_reply_to, m."references", m.attempts, m.campaign_id, m.step_position,
               m.variant, m.scheduled_at,
               COALESCE((SELECT p.address FROM mailbox p WHERE p.id = m.peer_id),
                        (SELECT l.email FROM lead l WHERE l.id = m.lead_id),
                        CASE WHEN m.kind = 'test' THEN m.body END, '') AS recipient,
               '' AS recipient_name
        FROM outbound_message m WHERE m.id = ANY($1::bigint[]) ORDER BY m.id
        """,
        [list(ids)],
    )
    return [_claimed(r) for r in rows]


_REACH: Final = (
    "SELECT b.id, b.address, b.smtp_host, b.smtp_port, b.smtp_tls, b.imap_host, b.imap_port, b.imap_tls, "
    "b.username, b.auth_kind, b.secret_enc, b.tls_ca_pem, b.display_name, b.domain_id, b.workspace_id, "
    "b.smtp_auth_failures, b.last_error LIKE 'smtp-%' AS smtp_error, w.timezone "
    "FROM mailbox b JOIN workspace w ON w.id = b.workspace_id WHERE b.id = ANY($1::int[])"
)
# A message accepted proves the mailbox's SMTP side works: its failed SMTP logins are forgotten (not IMAP's), its
# SMTP error too.
_SMTP_WORKS: Final = (
    "UPDATE mailbox SET smtp_auth_failures = 0, auth_failures = imap_auth_failures, "
    "last_error = CASE WHEN last_error LIKE 'smtp-%' THEN '' ELSE last_error END, "
    "last_error_at = CASE WHEN last_error LIKE 'smtp-%' THEN NULL ELSE last_error_at END "
    "WHERE id = $1 AND (smtp_auth_failures > 0 OR last_error LIKE 'smtp-%')"
)
# Since when the mailbox's mail has waited: its oldest queued row.
_OLDEST_WAITING: Final = (
    "SELECT min(scheduled_at) AS at FROM outbound_message WHERE mailbox_id = $1 AND status = 'queued'"
)
# A row whose mailbox could not reach its server: the exact undo of its claim (it was never offered), with why.
_UNCLAIM_UNREACHED: Final = (
    "UPDATE outbound_message SET status = 'queued', claimed_at = NULL, attempts = attempts - 1, smtp_code = $2, "
    "smtp_reply = $3 WHERE id = $1 AND status = 'sending'"
)
# …and the mailbox waits until `$2` (never shortening a longer cooldown), its card saying why.
_HOLD_UNREACHED: Final = (
    "UPDATE mailbox SET cooldown_until = GREATEST(cooldown_until, $2), last_error = $3, last_error_at = $4 "
    "WHERE id = $1"
)


async def _zone_of(mailbox_id: int) -> ZoneInfo | None:
    rows = await connections.get("default").execute_query_dict(
        "SELECT w.timezone FROM mailbox b JOIN workspace w ON w.id = b.workspace_id WHERE b.id = $1", [mailbox_id]
    )
    return zone_or_utc(str(rows[0]["timezone"])) if rows else None


def _day_start(now: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    local = now.astimezone(zone)
    return dt.datetime.combine(local.date(), dt.time(), tzinfo=zone)


def _campaign_row(row: Claimed, account: Account | None = None) -> CampaignRow:
    return CampaignRow(
        row_id=row.id,
        workspace_id=row.workspace_id,
        campaign_id=row.campaign_id or 0,
        mailbox_id=row.mailbox_id,
        lead_id=row.lead_id,
        step_position=row.step_position or 0,
        variant=row.variant or 0,
        recipient=row.recipient,
        in_reply_to=row.in_reply_to,
        lead=row.lead,
        sender_name=(account.display_name or "") if account is not None else None,
    )


@dataclass(frozen=True, slots=True)
class Recheck:
    """What the claim-time re-check decided for a campaign row: cancel it (`cancel` is the reason), hold it until
    `hold_until` (`reason`; `cap` when a campaign cap held it: (cap, allowed, used)), or neither: it goes."""

    cancel: str = ""
    hold_until: dt.datetime | None = None
    reason: str = ""
    cap: tuple[CapKind, int, int] | None = None


def recheck(
    facts: CampaignFacts,
    *,
    now: dt.datetime,
    over: Callable[[], tuple[CapKind, int, int] | None],
    rng: random.Random,
    due: dt.datetime | None = None,
) -> Recheck:
    """The claim-time verdict on a campaign row (pure): cancelled when the campaign is over (completed, archived),
    the enrollment no longer active, the lead suppressed or the person taken by another enrollment (`taken`); held
    while the campaign is paused (`PAUSE_HOLD`: it may resume), while the mailbox's inbox goes unread
    (`INBOX_HOLD`: replies and unsubscribe requests to it would go unseen), outside its send window or weekdays
    (until the next opening; a row `due` inside the window and claimed within `WINDOW_GRACE` of it still goes), or
    over a campaign cap (`over`; until the next send day)."""
    cancel = ""
    if facts.status not in (CampaignStatus.RUNNING, CampaignStatus.PAUSED):
        cancel = f"cancelled: campaign {facts.status.value}"
    elif facts.enrollment_state is not EnrollmentState.ACTIVE:
        cancel = f"cancelled: enrollment {facts.enrollment_state.value if facts.enrollment_state else 'gone'}"
    elif facts.suppressed:
        cancel = "cancelled: suppressed"
    elif facts.taken:
        cancel = "cancelled: in another campaign"
    if cancel:
        return Recheck(cancel=cancel)
    if facts.status is CampaignStatus.PAUSED:
        return Recheck(hold_until=now + PAUSE_HOLD, reason="held: campaign paused")
    if facts.inbox_unread:  # a reply or an unsubscribe request to this mailbox would go unseen
        return Recheck(hold_until=now + INBOX_HOLD, reason="held: inbox unread")
    late = due is not None and now - due <= WINDOW_GRACE and in_window(due, facts)
    if not in_window(now, facts) and not late:
        return Recheck(hold_until=next_opening(now, facts, rng), reason="held: outside the send window")
    cap = over()
    if cap is not None:
        due = next_opening(now, facts, rng, later_day=True)
        return Recheck(hold_until=due, reason=f"postponed: {cap[0].value} cap {cap[1]}", cap=cap)
    return Recheck()


def _window(facts: CampaignFacts) -> Window:
    return Window(start=facts.window_start, end=facts.window_end, weekdays=facts.weekdays or 0b1111111)


def in_window(now: dt.datetime, facts: CampaignFacts) -> bool:
    """Whether `now` is inside the campaign's send window on one of its weekdays (`engine.campaigns.schedule`)."""
    return inside(_window(facts), facts.zone, now)


def next_opening(now: dt.datetime, facts: CampaignFacts, rng: random.Random, *, later_day: bool = False) -> dt.datetime:
    """When a held row is due again: the next opening of the campaign's window on one of its weekdays (after
    today when `later_day`: a campaign cap is for the whole day), plus up to `OPENING_SPREAD` so the held rows do
    not all go at once."""
    lo = now
    if later_day:
        local = now.astimezone(facts.zone)
        lo = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(0), tzinfo=facts.zone)
    for start, _ in open_intervals(_window(facts), facts.zone, lo, lo + dt.timedelta(days=8)):
        if start > now or not later_day:
            return max(start, now) + rng.uniform(0, 1) * OPENING_SPREAD
    return now + dt.timedelta(days=1)  # no weekday at all: check again tomorrow


def refuses_us(result: SmtpResult) -> bool:
    """A permanent refusal at the recipient that is about us (our IP or domain listed, our authentication, our
    content, a policy against our sender) rather than about the recipient: it counts as a block, never suppresses."""
    reason = bounce_reason(result.enhanced, result.text)
    return bounce_class(reason, permanent=True) is BounceClass.BLOCK

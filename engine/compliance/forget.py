"""`/forget <email>`: erase a person's data on request (152-FZ art. 21 part 5; FACTS §6.4 item 5).

In the actor's workspace (a manager), or in every workspace (`everywhere`, admins only), in one transaction:
- leads with that address are deleted, and with them their enrollments (the rows that held the person's state);
- outbound messages to them keep only what caps, threads and counters need (ids, mailbox, status, times): the
  subject, body, HTML, links, SMTP reply and the lead link are blanked; unsent ones are cancelled;
- events about them (sends, opens, clicks, replies, bounces, unsubscribes: the records of their tracking and of
  their inbound mail, which keep the address in `data`) lose the lead and every detail but the few that counting
  needs (`EVENT_KEEPS`: what kind of mail, a code, a repeat mark — never an address, a text or an IP). The rows
  stay, as the messages do: /export_campaign's replies per step and /health's last sends count them, and
  forgetting a person who replied (or bounced) may not change a campaign's results beside /report_campaign nor
  hide a bounce from the protection rules. DailyStat counters stay: aggregates with no person in them;
- a plain suppression of the address in the scope is replaced by one keyed hash (`engine.compliance.hashing`),
  so the person is still never written to again, and a re-import refuses them, while the address itself is gone.
  A workspace's erasure leaves agency-wide entries alone (the agency's list: an admin erases with `all`).

The audit entry counts what was erased and never names the address. Running it again finds nothing and changes
nothing (the hashed suppression already exists): a repeated command or a second press is harmless.

In chat the erasure is asked for first (`preview` counts what it would erase, `park` keeps the request behind a
short token for a confirmation button, `take` hands it back once, to the same person in the same workspace).
Copies of the person's mail in the mailboxes themselves (the provider's IMAP folders) are not touched.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Final

from redis.asyncio import Redis
from tortoise import connections
from tortoise.transactions import in_transaction

from engine import confirm
from engine.access import Actor, require_admin, require_manager
from engine.clock import Clock
from engine.compliance.hashing import AddressHasher
from engine.dns.names import to_unicode_address
from engine.errors import UserError
from engine.leads.checks import AddressChecker, bare_address
from engine.lifecycle import check_transition
from engine.sending.planner import lock_plans
from engine.stats import normalize_email
from models import AuditLog, Workspace
from models.enums import MessageStatus, SuppressionReason

ADDRESS_MAX = 320
_PARKED: Final = "mailfleet:forget:"


@dataclass(frozen=True, slots=True)
class Erased:
    everywhere: bool
    leads: int = 0
    enrollments: int = 0
    messages: int = 0
    events: int = 0
    suppressions: int = 0  # plain entries replaced by the hash
    hashed_new: bool = False  # False: the hashed entry was already there (a repeat)
    workspace: str = field(default="", compare=False)  # the name of the workspace erased in ("" everywhere)

    @property
    def anything(self) -> bool:
        return bool(self.leads or self.enrollments or self.messages or self.events or self.suppressions)


_LEADS = "SELECT id, workspace_id FROM lead WHERE email = $1 AND ($2::int IS NULL OR workspace_id = $2)"
_ENROLLMENTS = "DELETE FROM enrollment WHERE lead_id = ANY($1::bigint[]) RETURNING id"
_MESSAGES = """
UPDATE outbound_message SET subject = '', body = '', html = '', links = NULL, smtp_reply = '', lead_id = NULL,
    enrollment_id = NULL, status = CASE WHEN status IN ('planned', 'queued') THEN 'cancelled' ELSE status END
WHERE lead_id = ANY($1::bigint[])
RETURNING id
"""
EVENT_KEEPS: Final = (
    "kind",
    "pixel",
    "repeat",
    "via",
    "key",
    "code",
    "status",
    "reason",
    "folder",
    "inbox_mailbox_id",
    "incoming_id",
)
"""The keys of an event's data a forgotten person's event keeps: what counting and the inbox's dedup of mail
already read need (`engine.stats`, `engine.inbox`), none of which names or describes the person."""
_EVENTS = """
UPDATE event SET lead_id = NULL, data = (
    SELECT coalesce(jsonb_object_agg(d.key, d.value), '{}'::jsonb) FROM jsonb_each(event.data) AS d
    WHERE d.key = ANY($4::text[]))
WHERE (lead_id = ANY($1::bigint[]) OR data->>'address' = ANY($2::text[])) AND ($3::int IS NULL OR workspace_id = $3)
RETURNING id
"""
_DELETE_LEADS = "DELETE FROM lead WHERE id = ANY($1::bigint[])"
_PLAIN = """
DELETE FROM suppression WHERE value = $1 AND (CASE WHEN $2::int IS NULL THEN true ELSE workspace_id = $2 END)
RETURNING id
"""
_HASHED = """
INSERT INTO suppression (workspace_id, value, reason, created_at) VALUES ($1, $2, $3, $4)
ON CONFLICT DO NOTHING RETURNING id
"""


async def forget(
    actor: Actor, clock: Clock, address: str, *, hasher: AddressHasher, everywhere: bool = False
) -> Erased:
    """Erase everything about `address` in the actor's workspace (or everywhere, admins) and keep its hash as
    a suppression; see the module docstring. Raises `Forbidden`, `UserError("error-forget-address")`."""
    workspace_id, email = _scope(actor, address, everywhere)
    check_transition("message", MessageStatus.QUEUED, MessageStatus.CANCELLED)
    async with in_transaction() as conn:  # every statement on the transaction's connection
        leads = await conn.execute_query_dict(_LEADS, [email, workspace_id])
        lead_ids = [int(r["id"]) for r in leads]
        await lock_plans(conn, {int(r["workspace_id"]) for r in leads})  # a campaign plan of them commits first:
        # its rows name their enrollments and leads without a constraint (`models.OutboundMessage`)
        enrollments = len(await conn.execute_query_dict(_ENROLLMENTS, [lead_ids])) if lead_ids else 0
        messages = len(await conn.execute_query_dict(_MESSAGES, [lead_ids])) if lead_ids else 0
        events = len(
            await conn.execute_query_dict(_EVENTS, [lead_ids, spellings(email), workspace_id, list(EVENT_KEEPS)])
        )
        if lead_ids:
            await conn.execute_query(_DELETE_LEADS, [lead_ids])
        plain = len(await conn.execute_query_dict(_PLAIN, [email, workspace_id]))
        reason = SuppressionReason.FORGOTTEN.value
        added = await conn.execute_query_dict(_HASHED, [workspace_id, hasher.value(email), reason, clock.now()])
        erased = Erased(
            everywhere, len(lead_ids), enrollments, messages, events, plain, bool(added), await _name(workspace_id)
        )
        if erased.anything or erased.hashed_new:
            await AuditLog.create(
                workspace_id=workspace_id,
                actor_id=actor.person_id,
                action="compliance.forget",
                subject=f"workspace:{workspace_id}" if workspace_id else "agency",
                data={
                    "scope": "agency" if everywhere else "workspace",
                    "leads": erased.leads,
                    "enrollments": erased.enrollments,
                    "messages": erased.messages,
                    "events": erased.events,
                    "suppressions": erased.suppressions,
                },
                created_at=clock.now(),
            )
    return erased


async def _name(workspace_id: int | None) -> str:
    """The workspace's name, for the reply to say where (a manager of several may be in another than meant)."""
    return "" if workspace_id is None else (await Workspace.get(id=workspace_id)).name


def spellings(email: str) -> list[str]:
    """The ways an event may hold the (normalized) address: as stored, and with an IDN domain in Unicode, as the
    mail that came from or bounced for `ivan@пример.рф` names it."""
    return sorted({email, to_unicode_address(email)})


def read_address(text: str) -> str | None:
    """The normalized address of what a manager typed, read as the import read the lead's (`checks`: a display
    name, `mailto:` and spaces around dropped, the domain in IDNA), so the lead, its events and the hash are
    found; None when the import could not have stored it (then nothing is hashed). A Cyrillic local part, which
    only mail brings (an unsubscribe by mail suppresses its sender), is read as the inbox normalized it."""
    checked = AddressChecker(test_environment=True).check(text)
    if checked.email is None and checked.reason == "local_not_latin":
        email = normalize_email(bare_address(text))
        # letters, yes; a zero-width space or a control character pasted in, no: nothing real is spelled so
        if email is not None and all(unicodedata.category(ch)[0] not in "CZ" for ch in email):
            return email
        return None
    return checked.email


def _scope(actor: Actor, address: str, everywhere: bool) -> tuple[int | None, str]:
    """(the workspace to erase in, None: every one; the normalized address), or `Forbidden` / `UserError`."""
    if everywhere:
        require_admin(actor)
        workspace_id: int | None = None
    else:
        workspace_id = require_manager(actor)
    email = read_address(address) if len(address) <= ADDRESS_MAX + 2 else None  # bounded before parsing
    if email is None:
        raise UserError("error-forget-address", value=address.strip()[:40])
    return workspace_id, email


_PREVIEW = """
WITH l AS (SELECT id FROM lead WHERE email = $1 AND ($2::int IS NULL OR workspace_id = $2))
SELECT (SELECT count(*) FROM l) AS leads,
    (SELECT count(*) FROM enrollment WHERE lead_id IN (SELECT id FROM l)) AS enrollments,
    (SELECT count(*) FROM outbound_message WHERE lead_id IN (SELECT id FROM l)) AS messages,
    (SELECT count(*) FROM event
     WHERE (lead_id IN (SELECT id FROM l) OR data->>'address' = ANY($3::text[]))
       AND ($2::int IS NULL OR workspace_id = $2)) AS events,
    (SELECT count(*) FROM suppression
     WHERE value = $1 AND (CASE WHEN $2::int IS NULL THEN true ELSE workspace_id = $2 END)) AS suppressions
"""


async def preview(actor: Actor, address: str, *, everywhere: bool = False) -> Erased:
    """What `forget` would erase now, changing nothing (the same checks and errors as `forget`)."""
    workspace_id, email = _scope(actor, address, everywhere)
    [row] = await connections.get("default").execute_query_dict(_PREVIEW, [email, workspace_id, spellings(email)])
    return Erased(
        everywhere, int(row["leads"]), int(row["enrollments"]), int(row["messages"]), int(row["events"]),
        int(row["suppressions"]), workspace=await _name(workspace_id),
    )  # fmt: skip


async def park(redis: Redis, actor: Actor, address: str, *, everywhere: bool) -> str:
    """Keep an erasure waiting for its confirmation (`engine.confirm`); the button carries only the token."""
    _, email = _scope(actor, address, everywhere)
    value = {"workspace_id": actor.workspace_id, "person_id": actor.person_id, "email": email, "all": everywhere}
    return await confirm.park(redis, _PARKED, value)


async def take(redis: Redis, actor: Actor, token: str) -> tuple[str, bool]:
    """The parked erasure (address, everywhere), once: a second press, a late one, or anyone but the person who
    asked, in the workspace they asked in, gets `UserError("error-forget-confirm-expired")` and erases nothing —
    and leaves the erasure waiting for the person who asked."""
    owner = {"workspace_id": actor.workspace_id, "person_id": actor.person_id}
    value = await confirm.take(redis, _PARKED, token, owner=owner)
    if not value:
        raise UserError("error-forget-confirm-expired")
    return str(value["email"]), bool(value["all"])

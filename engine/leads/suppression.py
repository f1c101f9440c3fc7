"""The suppression list: addresses and whole domains nobody may write to, in one workspace or (admins only)
everywhere. `is_suppressed` answers for a batch of addresses in one query; imports and enrollment use it.

Suppressing also stops the matching leads' active enrollments in the scope (an address's, and its `+tag`
addresses': `ivan@` closes `ivan+news@`) and cancels their planned or queued messages, in the same transaction:
nothing more goes out to a suppressed address.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from tortoise import connections
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from engine.access import Actor, require_admin, require_manager
from engine.clock import Clock
from engine.compliance.hashing import AddressHasher
from engine.dns.names import to_ascii, to_unicode
from engine.errors import Conflict, NotFound, UserError
from engine.leads.checks import mailbox_of, normalize
from engine.lifecycle import cancel_unsent
from engine.stats import OPT_OUTS, normalize_email
from models import AuditLog, Suppression
from models.enums import SuppressionReason
from models.indexes import mailbox_sql


@dataclass(frozen=True, slots=True)
class SuppressionChange:
    value: str  # normalized: an address or a domain (ASCII)
    is_domain: bool
    everywhere: bool
    created: bool  # False: it was already suppressed (or, for unsuppress, there was nothing to lift)
    stopped: int = 0  # active enrollments stopped
    still: str = ""  # unsuppress: what still closes the value ("domain", "agency", "agency-domain"), else ""


def shown(value: str) -> str:
    """An address or a domain as people write it: the domain in Unicode ("почта.рф"), not as stored (punycode)."""
    local, at, domain = value.rpartition("@")
    return f"{local}{at}{to_unicode(domain)}"


def normalize_value(value: str) -> tuple[str, bool]:
    """(normalized value, is a domain). A domain may be written as people do in mail filters: `acme.ru`,
    `@acme.ru` or `*@acme.ru`. Raises `UserError("error-leads-suppress-value")` when it is neither an address
    nor a domain name, `UserError("error-leads-suppress-wildcard")` for `*.acme.ru` (a domain covers itself, not
    its subdomains). An address copied from a mail client's From, `Иван Петров <ivan@acme.ru>`, is the address."""
    text = value.strip()
    if text.startswith("*."):
        domain = text[2:]
        raise UserError("error-leads-suppress-wildcard", value=text[:80], domain=domain[:80])
    domain = text.removeprefix("*").removeprefix("@") if text.startswith(("@", "*@")) else text
    if "@" in domain:
        email = normalize(text, test_environment=True)
        if email is None:
            raise UserError("error-leads-suppress-value", value=text[:80])
        return email, False
    try:
        return to_ascii(domain), True
    except UserError:
        raise UserError("error-leads-suppress-value", value=text[:80]) from None


async def suppress(
    actor: Actor,
    value: str,
    clock: Clock,
    *,
    reason: SuppressionReason = SuppressionReason.MANUAL,
    everywhere: bool = False,
) -> SuppressionChange:
    """Suppress an address or a domain in the actor's workspace, or in every workspace (`everywhere`, admins).

    Raises `Forbidden` (`error-forbidden`, `error-no-workspace`), `UserError("error-leads-suppress-value")`.
    """
    if everywhere:
        require_admin(actor)
        workspace_id: int | None = None
    else:
        workspace_id = require_manager(actor)
    normalized, is_domain = normalize_value(value)
    async with in_transaction():
        rows = await connections.get("default").execute_query_dict(
            "INSERT INTO suppression (workspace_id, value, reason, created_at) VALUES ($1, $2, $3, $4) "
            "ON CONFLICT DO NOTHING RETURNING id",
            [workspace_id, normalized, reason.value, clock.now()],
        )
        stopped = await _stop_enrollments(workspace_id, normalized, is_domain)
    return SuppressionChange(normalized, is_domain, everywhere, bool(rows), stopped)


async def unsuppress(
    actor: Actor, value: str, clock: Clock, *, everywhere: bool = False, consent: bool = False
) -> SuppressionChange:
    """Lift a suppression of the actor's workspace (or a global one, admins). Enrollments stay stopped. An entry
    the person made (an unsubscribe, a spam complaint: `OPT_OUTS`) is lifted only with `consent` (the manager
    says the person agreed again). Every lift is audited with its reason, never with the address.

    Raises `Forbidden`, `UserError("error-leads-suppress-value")`, `NotFound("error-leads-suppression-not-found")`
    (or `error-leads-suppression-mailbox`: a tagged address without an entry of its own whose mailbox has one),
    `Conflict("error-leads-unsuppress-opt-out")`.
    """
    normalized, is_domain = normalize_value(value)
    if everywhere:
        require_admin(actor)
        workspace_id: int | None = None
    else:
        workspace_id = require_manager(actor)
    async with in_transaction():
        found = await Suppression.filter(workspace_id=workspace_id, value=normalized).select_for_update().first()
        if found is None:
            mailbox = "" if is_domain else mailbox_of(normalized)
            if mailbox != normalized and await Suppression.exists(workspace_id=workspace_id, value=mailbox):
                # an opt-out from ivan+a@ closed ivan@ and every tag of it: that entry is the one to lift
                raise NotFound("error-leads-suppression-mailbox", value=shown(normalized), mailbox=shown(mailbox))
            raise NotFound("error-leads-suppression-not-found", value=shown(normalized))
        reason = SuppressionReason(found.reason)
        if reason in OPT_OUTS and not consent:
            day = found.created_at.astimezone(dt.UTC).date().isoformat()
            raise Conflict("error-leads-unsuppress-opt-out", value=shown(normalized), reason=reason.value, day=day)
        await Suppression.filter(id=found.id).delete()
        await AuditLog.create(
            workspace_id=workspace_id,
            actor_id=actor.person_id,
            action="leads.unsuppress",
            subject=f"workspace:{workspace_id}" if workspace_id else "agency",
            data={
                "scope": "agency" if everywhere else "workspace",
                "kind": "domain" if is_domain else "address",
                "reason": reason.value,
                "consent": consent,
            },
            created_at=clock.now(),
        )
    still = await _still_closed(workspace_id, normalized, is_domain) if workspace_id is not None else ""
    return SuppressionChange(normalized, is_domain, everywhere, True, still=still)


async def _still_closed(workspace_id: int, value: str, is_domain: bool) -> str:
    """What closes the value all the same once its entry in the workspace is lifted: "agency" (the agency-wide
    list names it), "domain" (the workspace closes its domain), "agency-domain" (the agency's list closes its
    domain); "" when nothing does."""
    domain = value if is_domain else value.rpartition("@")[2]
    rows = (
        await Suppression.filter(value__in=sorted({value, domain}))
        .filter(Q(workspace_id=None) | Q(workspace_id=workspace_id))
        .values_list("workspace_id", "value")
    )
    closing = {(ws is None, found == value) for ws, found in rows} - {(False, True)}  # the lifted entry itself
    for agency, exact, name in ((True, True, "agency"), (False, False, "domain"), (True, False, "agency-domain")):
        if (agency, exact) in closing:
            return name
    return ""


# Two index probes per address (the workspace's list, then the global one), each for the address, its mailbox
# (`ivan+news@` is `ivan@`'s inbox: who opted out as `ivan@` must not get mail as `ivan+news@`) and its domain: an
# OR inside one join condition would make PostgreSQL compare every address with every suppression.
_MATCHING = f"""
SELECT x.value FROM unnest($2::text[]) AS x(value)
WHERE EXISTS (SELECT 1 FROM suppression s
              WHERE s.workspace_id = $1 AND s.value IN (x.value, {mailbox_sql("x.value")}, split_part(x.value, '@', 2)))
   OR EXISTS (SELECT 1 FROM suppression s WHERE s.workspace_id IS NULL
              AND s.value IN (x.value, {mailbox_sql("x.value")}, split_part(x.value, '@', 2)))
"""  # noqa: S608 - no input in the text


_HASHED = """
SELECT value FROM suppression WHERE value = ANY($2::text[]) AND (workspace_id = $1 OR workspace_id IS NULL)
"""


async def is_suppressed(workspace_id: int, emails: Collection[str], *, hasher: AddressHasher | None = None) -> set[str]:
    """The addresses (normalized) suppressed in the workspace or globally, by address, by the mailbox a `+tag`
    address reaches or by domain (one query),
    and, with `hasher`, by the keyed hash `/forget` left of an erased person (a second query)."""
    if not emails:
        return set()
    conn = connections.get("default")
    rows = await conn.execute_query_dict(_MATCHING, [workspace_id, list(emails)])
    found = {str(r["value"]) for r in rows}
    if hasher is not None:
        hashed = hasher.values(emails)
        found |= {hashed[str(r["value"])] for r in await conn.execute_query_dict(_HASHED, [workspace_id, list(hashed)])}
    return found


_STOP = """
UPDATE enrollment e SET state = 'stopped', stopped_reason = 'suppressed', next_due_at = NULL
FROM lead l
WHERE e.lead_id = l.id AND e.state = 'active'
  AND ($1::int IS NULL OR l.workspace_id = $1)
  AND {match}
RETURNING e.id
"""
# An address stops its own leads and, when it is a mailbox, its `+tag` addresses' (`ivan@` closes `ivan+news@`, as
# `is_suppressed` says): two index probes (`email`, `lead_mailbox`), not a scan of every lead.
_STOP_ADDRESS = _STOP.format(match=f"(l.email = $2 OR {mailbox_sql('l.email')} = $2)")
_STOP_DOMAIN = _STOP.format(match="split_part(l.email, '@', 2) = $2")


async def _stop_enrollments(workspace_id: int | None, value: str, is_domain: bool) -> int:
    """Stop the active enrollments of the suppressed address (with its `+tag` addresses) or domain and cancel
    their unsent rows (one statement each: a domain may have thousands)."""
    conn = connections.get("default")
    ids = [
        int(r["id"])
        for r in await conn.execute_query_dict(_STOP_DOMAIN if is_domain else _STOP_ADDRESS, [workspace_id, value])
    ]
    await cancel_unsent(ids, reason="cancelled: suppressed")
    return len(ids)


_HARD_BOUNCED = """
UPDATE lead SET verdict = 'invalid', verdict_reason = 'hard_bounce', validated_at = $2
WHERE email = ANY($1::text[]) AND verdict_reason <> 'hard_bounce'
"""


async def mark_hard_bounced(emails: Collection[str], *, now: dt.datetime) -> None:
    """A hard bounce proves the address is gone: its leads, in every workspace (as the global suppression),
    get verdict `invalid` with reason `hard_bounce`, which a re-import never overwrites."""
    normalized = sorted({e for e in map(normalize_email, emails) if e is not None})
    if normalized:
        await connections.get("default").execute_query(_HARD_BOUNCED, [normalized, now])

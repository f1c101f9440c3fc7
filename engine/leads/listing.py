"""What a workspace's leads look like: counts by verdict and a few examples, optionally for a search (in the
address, the name — first and last, as "Иван Петров" — or the company)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from tortoise import connections

from engine.access import Actor, require_manager
from engine.dns.names import ascii_fragment
from engine.errors import UserError
from models.enums import LeadVerdict

LEFT_COMPANY: Final = "left_company"
"""`Lead.verdict_reason` and `Enrollment.stopped_reason` of a lead whose auto-reply says they have left the company
(`engine.inbox`; also the key marking such an AUTO_REPLY event's data)."""

EXAMPLES: Final = 10
MAX_QUERY: Final = 100


@dataclass(frozen=True, slots=True)
class LeadLine:
    email: str
    name: str
    company: str
    verdict: LeadVerdict
    reason: str
    replacement: str = ""  # left the company: the address their auto-reply named instead ("" when none)


@dataclass(frozen=True)
class LeadSummary:
    total: int
    by_verdict: dict[LeadVerdict, int]
    examples: tuple[LeadLine, ...]
    query: str


_COUNTS = """
SELECT verdict, count(*) AS n FROM lead
WHERE workspace_id = $1 AND ($2 = '' OR email LIKE '%' || $3 || '%' OR lower(company) LIKE '%' || $2 || '%'
    OR lower(first_name || ' ' || last_name) LIKE '%' || $2 || '%')
GROUP BY verdict
"""
_EXAMPLES = """
SELECT id, email, trim(first_name || ' ' || last_name) AS name, company, verdict, verdict_reason FROM lead
WHERE workspace_id = $1 AND ($2 = '' OR email LIKE '%' || $3 || '%' OR lower(company) LIKE '%' || $2 || '%'
    OR lower(first_name || ' ' || last_name) LIKE '%' || $2 || '%')
ORDER BY id DESC LIMIT $4
"""

# The address the latest "no longer with the company" notice of each of these leads named instead
_REPLACEMENTS = """
SELECT DISTINCT ON (lead_id) lead_id, data->>'replacement' AS replacement FROM event
WHERE workspace_id = $1 AND lead_id = ANY($2::bigint[]) AND kind = 'auto_reply' AND data ? 'replacement'
ORDER BY lead_id, occurred_at DESC
"""


def _pattern(query: str) -> str:
    """The search text as a LIKE fragment: lower case, wildcards escaped."""
    text = query.strip().lower()
    if len(text) > MAX_QUERY:
        raise UserError("error-leads-query-long", limit=MAX_QUERY)
    return _escaped(text)


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _address_pattern(query: str) -> str:
    """The search text as a LIKE fragment of an address as stored: its domain part (after the `@`, or all of it)
    in punycode, as leads keep it (`ivan@почта.рф` finds `ivan@xn--80a1acny.xn--p1ai`, shown as `ivan@почта.рф`)."""
    local, at, domain = query.strip().lower().rpartition("@")
    return _escaped(f"{local}{at}{ascii_fragment(domain)}")


async def lead_summary(actor: Actor, query: str = "") -> LeadSummary:
    """Counts by verdict and the newest few leads of the actor's workspace (matching `query` in the address,
    the name or the company). Raises `Forbidden`, `UserError("error-leads-query-long")`."""
    workspace_id = require_manager(actor)
    pattern = _pattern(query)
    db = connections.get("default")
    address = _address_pattern(query)
    counts = await db.execute_query_dict(_COUNTS, [workspace_id, pattern, address])
    by_verdict = {LeadVerdict(str(r["verdict"])): int(r["n"]) for r in counts}
    rows = await db.execute_query_dict(_EXAMPLES, [workspace_id, pattern, address, EXAMPLES])
    departed = [int(r["id"]) for r in rows if r["verdict_reason"] == LEFT_COMPANY]
    found = await db.execute_query_dict(_REPLACEMENTS, [workspace_id, departed]) if departed else []
    instead = {int(r["lead_id"]): str(r["replacement"]) for r in found}
    examples = tuple(
        LeadLine(
            str(r["email"]),
            str(r["name"]),
            str(r["company"]),
            LeadVerdict(str(r["verdict"])),
            str(r["verdict_reason"]),
            instead.get(int(r["id"]), ""),
        )
        for r in rows
    )
    return LeadSummary(sum(by_verdict.values()), by_verdict, examples, query.strip())

"""Health factors for the planners: what monitoring's volume cuts leave of each mailbox's cap."""

from __future__ import annotations

from collections.abc import Iterable

from tortoise import connections

_FACTORS = """
SELECT b.id, b.health_factor * d.health_factor AS factor FROM mailbox b JOIN domain d ON d.id = b.domain_id
WHERE b.health_factor * d.health_factor < 1 AND b.status <> 'retired'
  AND ($1::int[] IS NULL OR b.workspace_id = ANY($1::int[]))
"""


async def health_factors(workspace_ids: Iterable[int] | None = None) -> dict[int, float]:
    """Mailbox id → effective factor (mailbox × domain), only those below 1."""
    ids = None if workspace_ids is None else list(workspace_ids)
    rows = await connections.get("default").execute_query_dict(_FACTORS, [ids])
    return {int(r["id"]): max(0.0, float(r["factor"])) for r in rows}

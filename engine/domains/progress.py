"""Domains move along `new → dns_pending → warming → active` (the domain machine of ARCHITECTURE) as their
mailboxes do; nothing else moves them past `dns_pending`. A domain with a mailbox in warmup, or past it, sends:
it is `warming`, whatever its DNS step said, because burn protection (`engine.domains.protect`) and the reserve
pool (`engine.domains.reserve`) act only on domains that send. A domain with a graduated mailbox is `active`.
Each step goes through the state machine and is logged and audited; a domain that moved meanwhile (cooled,
retired) is left as it is."""

from __future__ import annotations

import contextlib
from typing import Final

from engine.clock import Clock
from engine.errors import Conflict
from engine.lifecycle import transition_domain
from models import Domain
from models.enums import DomainStatus

_PATH: Final = (DomainStatus.NEW, DomainStatus.DNS_PENDING, DomainStatus.WARMING, DomainStatus.ACTIVE)

_BEHIND = """
SELECT d.id, d.status, bool_or(b.status = 'active') AS graduated,
    bool_or(b.warmup_started_on IS NOT NULL OR b.status = 'active') AS sending
FROM domain d JOIN mailbox b ON b.domain_id = d.id
WHERE d.status IN ('new', 'dns_pending', 'warming') AND b.status <> 'retired'
GROUP BY d.id, d.status
ORDER BY d.id
"""
"""Domains not yet `active`, with whether a mailbox of theirs graduated and whether one sends."""


async def advance_domains(clock: Clock) -> int:
    """Move every domain as far along `_PATH` as its mailboxes are; returns how many domains moved."""
    moved = 0
    for row in await Domain._meta.db.execute_query_dict(_BEHIND):
        status = DomainStatus(row["status"])
        goal = DomainStatus.ACTIVE if row["graduated"] else DomainStatus.WARMING if row["sending"] else status
        if _PATH.index(goal) <= _PATH.index(status):
            continue
        domain = await Domain.get(id=row["id"])
        reason = "a mailbox graduated" if goal is DomainStatus.ACTIVE else "its mailboxes warm up"
        with contextlib.suppress(Conflict):  # it moved meanwhile (an illegal step is a Conflict too)
            for step in _PATH[_PATH.index(status) + 1 : _PATH.index(goal) + 1]:
                await transition_domain(domain, step, clock=clock, reason=reason)
            moved += 1
    return moved

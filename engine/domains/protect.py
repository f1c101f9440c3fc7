"""Protection of a burned domain: pause it (`cooling`) and propose swapping it for a ready reserve domain.

Two things burn a domain: a new blocklist listing, and DNS drift (a record that was right is wrong in two
checks in a row on an active domain). Either cools the domain (when its state machine allows it) and asks for a
swap through `engine.domains.reserve.propose_swap`, which creates at most one pending approval per domain. The
proposal's detail keeps "listed", "clean" and "could not check" apart like every other view.

"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any, Final

from engine import alerts
from engine.access import Actor
from engine.clock import Clock
from engine.dns.check import RecordCheck
from engine.domains import reserve
from engine.domains.state import INCONCLUSIVE
from engine.errors import IllegalTransition
from engine.lifecycle import transition_domain
from engine.logging import get_logger
from models import DnsCheck, Domain
from models.enums import DnsRecordKind, DnsVerdict, DomainStatus

log = get_logger(__name__)

IN_USE: Final = (DomainStatus.WARMING, DomainStatus.ACTIVE, DomainStatus.COOLING)
"""A domain that sends (or did until it was cooled): burning it takes a replacement."""
DRIFT_CHECKS: Final = 2  # a record wrong in this many conclusive checks in a row, after being right, has drifted


async def protect(
    domain: Domain, clock: Clock, actor: Actor, *, reason: str, cause: str, detail: Mapping[str, Any]
) -> bool:
    """Cool `domain` and propose its swap (`cause`: "blacklisted" or "dns_drift"). True when a swap was asked
    for: only a domain in use needs a replacement; one that never sent (new, dns_pending) is only left alone."""
    in_use = domain.status in IN_USE
    # new, dns_pending, already cooling, burned or retired: the machine refuses, and nothing sends to protect
    with contextlib.suppress(IllegalTransition):
        await transition_domain(domain, DomainStatus.COOLING, clock=clock, reason=reason, actor_id=actor.person_id)
    if not in_use:
        return False
    return await propose_swap(domain.id, clock, reason=cause, detail=detail)


async def propose_swap(domain_id: int, clock: Clock, *, reason: str, detail: Mapping[str, Any]) -> bool:
    """Ask the reserve pool for a replacement of a burned domain (idempotent there). A failure is logged and
    does not stop the check of the other domains: the domain is cooled already, and the alert stands."""
    try:
        await reserve.propose_swap(domain_id, clock, reason=reason, detail=dict(detail))
    except Exception:
        log.exception("swap proposal failed", domain_id=domain_id, reason=reason)
        return False
    return True


async def resolve(kind: str, subject: str, *, workspace_id: int | None, clock: Clock) -> int:
    """Resolve the open alerts of `kind` on `subject` whose condition cleared."""
    return await alerts.resolve_alerts(kind, subject, workspace_id=workspace_id, clock=clock)


# ---------------------------------------------------------------- DNS drift


def is_wrong(verdict: DnsVerdict) -> bool:
    """A conclusive verdict other than "ok": missing, mismatched, invalid, duplicated, or no such domain."""
    return verdict not in INCONCLUSIVE and verdict != DnsVerdict.OK


async def drifted_twice(domain: Domain, records: Sequence[RecordCheck]) -> list[RecordCheck]:
    """The records of the check just stored that were right before and are now wrong in `DRIFT_CHECKS`
    conclusive checks in a row (an unanswered check in between neither breaks nor extends the run), DNS serving
    something else than when it was right. Exactly the check that completes the run reports a record: later ones
    see a longer run.

    What DNS serves must have changed: a record served as it was when it passed, and judged wrong now because the
    check learned a rule (an SPF with `+all`, a void lookup), is a finding for the manager (`/dns_check` says it),
    not a burned domain to cool and swap on the day the rule arrived. Nor is a valid DMARC record with a weaker
    policy than the ladder's (`p=none` published by hand over `p=quarantine`): every message still authenticates,
    so it is a drift to alert about and set right, not a reason to stop the domain and retire it."""
    found = []
    for record in records:
        if not is_wrong(record.verdict) or _only_policy(record):
            continue
        history = (
            await DnsCheck.filter(domain_id=domain.id, record=record.kind)
            .exclude(verdict__in=INCONCLUSIVE)
            .order_by("-checked_at", "-id")
            .limit(DRIFT_CHECKS + 1)
            .only("id", "verdict", "found")
        )
        verdicts = [DnsVerdict(row.verdict) for row in history]
        run, before = verdicts[:DRIFT_CHECKS], verdicts[DRIFT_CHECKS:]
        if (
            len(run) == DRIFT_CHECKS
            and all(is_wrong(v) for v in run)
            and before == [DnsVerdict.OK]
            and set(history[DRIFT_CHECKS].found.splitlines()) != set(record.found)
        ):
            found.append(record)
    return found


def _only_policy(record: RecordCheck) -> bool:
    """A DMARC record that is valid and only publishes another policy than the ladder's (`_judge_dmarc`)."""
    return record.kind is DnsRecordKind.DMARC and record.verdict is DnsVerdict.MISMATCH


def drift_detail(drifted: Sequence[RecordCheck], records: Sequence[RecordCheck]) -> dict[str, Any]:
    """What a drift proposal says: the wrong records (expected and found), and apart from them the records
    whose lookup got no answer in this check ("could not check", not "ok")."""
    first = drifted[0]
    return {
        "record": first.kind.value,
        "verdict": first.verdict.value,
        "records": [
            {"record": r.kind.value, "verdict": r.verdict.value, "expected": list(r.expected), "found": list(r.found)}
            for r in drifted
        ],
        "unchecked": [r.kind.value for r in records if r.verdict in INCONCLUSIVE],
    }

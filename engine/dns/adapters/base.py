"""The interface every DNS host and registrar adapter implements, and the dry-run / apply logic they share.

An adapter turns wanted changes into `ApiCall`s, plain values that say exactly what would be sent (minus
credentials). A dry run returns them; an apply sends them. Applying always starts by reading the current
records and diffing them with the plan, so applying twice changes nothing the second time.
RU-CENTER, Timeweb or Selectel join by implementing `DnsProvider` (and `Registrar` where they sell domains).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import SecretStr

from engine.dns.records import ZoneRecord, absolute_host
from engine.dns.templates import Change, DnsPlan, diff_plan


@dataclass(frozen=True)
class ApiCall:
    """One request to a provider: HTTP method, path under the API's base URL, JSON-able payload.
    `secrets` (passwords of new mailboxes) are added only when sending and never shown."""

    method: str
    path: str
    payload: Mapping[str, Any] = field(default_factory=dict)
    secrets: Mapping[str, SecretStr] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class ApplyResult:
    """What an apply did, or with `applied=False` (a dry run) what it would do."""

    calls: tuple[ApiCall, ...]
    applied: bool
    changes: tuple[Change, ...] = ()


class Executor(Protocol):
    """Anything that sends `ApiCall`s to its provider."""

    name: str

    async def execute(self, call: ApiCall) -> None:
        """Send one request; raise `UserError` when the provider refuses it."""
        ...


class DnsProvider(Executor, Protocol):
    """A DNS host whose zone records Mailfleet can read and change."""

    async def list_records(self, zone: str) -> list[ZoneRecord]:
        """The zone's A, AAAA, CNAME, MX and TXT records, owners relative to the zone, `ref` set for removal."""
        ...

    def calls_for(self, zone: str, changes: Sequence[Change]) -> list[ApiCall]:
        """The requests that make these changes, in order."""
        ...


class Registrar(Executor, Protocol):
    """A registrar whose name-server delegation Mailfleet can read and change."""

    async def get_nameservers(self, domain: str) -> list[str]:
        """The domain's current name servers."""
        ...

    def nameserver_calls(self, domain: str, nameservers: Sequence[str]) -> list[ApiCall]:
        """The requests that delegate the domain to `nameservers`."""
        ...


async def apply_plan(
    provider: DnsProvider, plan: DnsPlan, *, current: Sequence[ZoneRecord] | None = None, dry_run: bool = True
) -> ApplyResult:
    """Bring the provider's zone to the plan: read (unless the caller just did: `current`), diff, then (unless
    a dry run) send the calls one by one."""
    if current is None:
        current = await provider.list_records(plan.zone)
    changes = diff_plan(plan, current)
    calls = tuple(provider.calls_for(plan.zone, changes))
    return await send_calls(provider, calls, dry_run=dry_run, changes=changes)


async def apply_nameservers(
    registrar: Registrar, domain: str, nameservers: Sequence[str], *, dry_run: bool = True
) -> ApplyResult:
    """Delegate `domain` to `nameservers` unless it already is (order and case do not matter)."""
    current = {absolute_host(ns) for ns in await registrar.get_nameservers(domain)}
    if current == {absolute_host(ns) for ns in nameservers}:
        return ApplyResult((), applied=not dry_run)
    return await send_calls(registrar, registrar.nameserver_calls(domain, nameservers), dry_run=dry_run)


async def send_calls(
    target: Executor, calls: Sequence[ApiCall], *, dry_run: bool, changes: tuple[Change, ...] = ()
) -> ApplyResult:
    """Send the calls one at a time, in order (REG.RU asks for serial writes; removals precede additions),
    unless this is a dry run; either way report them."""
    if not dry_run:
        for call in calls:
            await target.execute(call)
    return ApplyResult(tuple(calls), applied=not dry_run, changes=changes)

"""Can a domain receive mail? One MX (then A/AAAA) lookup per domain per import, through the project's DNS code.

A domain with MX records, or without MX but with an address (RFC 5321's implicit MX), receives mail. NXDOMAIN
and "no MX, no address" mean it cannot; a null MX (`0 .`, RFC 7505) says so explicitly. A lookup that timed out
or failed (SERVFAIL, REFUSED) says nothing about the domain: its leads get verdict `unknown` with the reason
(`dns_timeout`, `dns_error`), never valid or invalid. Answers are kept per import (a dict) and, when Redis is
given, for `CACHE_TTL_S` across imports; failures are never cached.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

import dns.asyncresolver

from engine.dns.check import Lookup, LookupStatus, lookup

CACHE_TTL_S: Final = 6 * 3600  # a domain's mail setup rarely changes within hours; re-imports the same day reuse it
CACHE_PREFIX: Final = "leads:mx:"
DEFAULT_CONCURRENCY: Final = 32  # lookups in flight at once (one import must not flood the resolver)


class DomainMail(StrEnum):
    """What DNS says about a domain as a mail destination."""

    OK = "ok"
    NO_DOMAIN = "no_domain"  # NXDOMAIN
    NO_MX = "no_mx"  # neither MX nor an address
    NULL_MX = "null_mx"  # RFC 7505: "this domain accepts no mail"
    TIMEOUT = "dns_timeout"
    ERROR = "dns_error"

    @property
    def known(self) -> bool:
        return self not in (DomainMail.TIMEOUT, DomainMail.ERROR)


def judge(mx: Lookup, address: Lookup | None) -> DomainMail:  # noqa: PLR0911 - one return per answer
    """The verdict from the MX answer and, when there was no MX, the A (or AAAA) answer."""
    if mx.status is LookupStatus.ANSWER:
        if all(value.split()[-1] in (".", "") for value in mx.values):
            return DomainMail.NULL_MX
        return DomainMail.OK
    if mx.status is LookupStatus.NXDOMAIN:
        return DomainMail.NO_DOMAIN
    if mx.status is LookupStatus.TIMEOUT:
        return DomainMail.TIMEOUT
    if mx.status is LookupStatus.SERVFAIL:
        return DomainMail.ERROR
    if address is None:  # NODATA for MX: the caller asks for the address next
        return DomainMail.NO_MX
    return {
        LookupStatus.ANSWER: DomainMail.OK,
        LookupStatus.NXDOMAIN: DomainMail.NO_DOMAIN,
        LookupStatus.NODATA: DomainMail.NO_MX,
        LookupStatus.TIMEOUT: DomainMail.TIMEOUT,
        LookupStatus.SERVFAIL: DomainMail.ERROR,
    }[address.status]


@dataclass
class DomainStats:
    """How the answers were found, for the import report and the benchmark."""

    looked_up: int = 0
    from_redis: int = 0


class DomainChecker:
    """Answers per domain for one import: memory first, then Redis, then DNS (bounded concurrency)."""

    def __init__(
        self,
        resolver: dns.asyncresolver.Resolver,
        *,
        redis: Any | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> None:
        self._resolver = resolver
        self._redis = redis
        self._limit = asyncio.Semaphore(concurrency)
        self._known: dict[str, DomainMail] = {}
        self.stats = DomainStats()

    async def check(self, domains: Collection[str]) -> dict[str, DomainMail]:
        """The verdict of every domain (ASCII, lower case), each asked at most once per checker."""
        missing = [d for d in set(domains) if d not in self._known]
        if missing and self._redis is not None:
            cached = await self._redis.mget([CACHE_PREFIX + d for d in missing])
            for domain, value in zip(missing, cached, strict=True):
                if value is not None:
                    self._known[domain] = DomainMail(value.decode() if isinstance(value, bytes) else value)
                    self.stats.from_redis += 1
            missing = [d for d in missing if d not in self._known]
        if missing:
            found = await asyncio.gather(*(self._ask(d) for d in missing))
            self._known.update(zip(missing, found, strict=True))
            self.stats.looked_up += len(missing)
            keep = {CACHE_PREFIX + d: v.value for d, v in zip(missing, found, strict=True) if v.known}
            if keep and self._redis is not None:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for key, value in keep.items():
                        pipe.set(key, value, ex=CACHE_TTL_S)
                    await pipe.execute()
        return {d: self._known[d] for d in domains}

    async def _ask(self, domain: str) -> DomainMail:
        async with self._limit:
            mx = await lookup(self._resolver, domain, "MX")
            if mx.status is not LookupStatus.NODATA:
                return judge(mx, None)
            address = await lookup(self._resolver, domain, "A")
            if address.status is LookupStatus.NODATA:
                address = await lookup(self._resolver, domain, "AAAA")
            return judge(mx, address)

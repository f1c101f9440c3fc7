"""Yandex 360 for Business API (https://api360.yandex.net): domains, DKIM, DNS records, mailboxes.

OAuth token in the `Authorization: OAuth …` header; the organization id is part of every path. Yandex
publishes no request-rate limit, so a modest budget (5 requests a second per organization, shared in Redis by
every process: `shared_pace`) plus retries on 429/5xx keep us polite.
The DNS methods work for zones delegated to Yandex's name servers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import aiohttp
from pydantic import SecretStr

from engine.dns.adapters.base import ApiCall, ApplyResult, send_calls
from engine.dns.adapters.http import JsonClient, Limiter, RetryPolicy, TokenBucket
from engine.dns.records import ZoneRecord, absolute_host, mx_value
from engine.dns.templates import Change
from engine.errors import UserError
from engine.ratelimit import Pace, Rule, SharedLimits

DEFAULT_BASE_URL: Final = "https://api360.yandex.net"
PROVIDER: Final = "Yandex 360"
RATE_RULE: Final = Rule("yandex360", 5, 1)  # per organization; no published limit (FACTS: providers-ru 1.1)
PAGE_SIZE: Final = 100
_STATUS_ERRORS: Final = {
    401: "error-provider-auth",
    403: "error-provider-forbidden",
    404: "error-provider-domain-not-found",
    409: "error-provider-conflict",
}


@dataclass(frozen=True)
class DkimStatus:
    enabled: bool
    public_key: str


@dataclass(frozen=True)
class NewMailbox:
    """A mailbox to create: `nickname` is the login without @domain."""

    nickname: str
    first_name: str
    last_name: str
    password: SecretStr
    department_id: int = 1  # the organization's root department


def shared_pace(limits: SharedLimits, org_id: int) -> Pace:
    """The organization's request budget, one for every process that calls the API for it."""
    return Pace(limits, PROVIDER, [(RATE_RULE, str(org_id))])


class Yandex360:
    """Yandex 360 as a `DnsProvider`, plus the domain, DKIM and mailbox calls Mailfleet needs."""

    name = "yandex360"

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        org_id: int,
        token: SecretStr,
        base_url: str = DEFAULT_BASE_URL,
        bucket: Limiter | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._org = f"directory/v1/org/{org_id}"
        self._token = token
        self._http = JsonClient(
            session, base_url, provider=PROVIDER, bucket=bucket or TokenBucket(5, 10), retry=retry or RetryPolicy()
        )

    async def _request(
        self, method: str, path: str, *, json: Any = None, params: Mapping[str, str] | None = None
    ) -> Any:
        headers = {"Authorization": f"OAuth {self._token.get_secret_value()}"}
        reply = await self._http.request(method, path, json=json, params=params, headers=headers)
        if reply.status >= 400:
            key = _STATUS_ERRORS.get(reply.status, "error-provider-failed")
            raise UserError(key, provider=PROVIDER, code=str(reply.status))
        return reply.body

    async def _pages(self, path: str, field: str) -> AsyncIterator[Mapping[str, Any]]:
        page, pages = 1, 1
        while page <= pages:
            body = await self._request("GET", path, params={"page": str(page), "perPage": str(PAGE_SIZE)}) or {}
            for item in body.get(field) or []:
                yield item
            pages = int(body.get("pages") or 1)
            page += 1

    # DnsProvider

    async def list_records(self, zone: str) -> list[ZoneRecord]:
        return [r async for item in self._pages(f"{self._org}/domains/{zone}/dns", "records") if (r := _record(item))]

    def calls_for(self, zone: str, changes: Sequence[Change]) -> list[ApiCall]:
        path = f"{self._org}/domains/{zone}/dns"
        calls = []
        for change in changes:
            record = change.record
            if change.action == "remove":
                calls.append(ApiCall("DELETE", f"{path}/{record.ref}"))
            else:
                calls.append(ApiCall("POST", path, _record_body(record)))
        return calls

    async def execute(self, call: ApiCall) -> None:
        body = {**call.payload, **{k: v.get_secret_value() for k, v in call.secrets.items()}} if call.payload else None
        await self._request(call.method, call.path, json=body)

    # domains and DKIM

    async def list_domains(self) -> list[str]:
        return [str(item["name"]).lower() async for item in self._pages(f"{self._org}/domains", "domains")]

    async def dkim_status(self, domain: str) -> DkimStatus:
        body = await self._request("GET", f"{self._org}/domains/{domain}/dkim") or {}
        return DkimStatus(bool(body.get("enabled")), str(body.get("publicKey") or ""))

    async def ensure_domain(self, domain: str, *, dry_run: bool = True) -> ApplyResult:
        """Add the domain to the organization and enable DKIM signing, skipping what is already done."""
        calls: list[ApiCall] = []
        if domain not in await self.list_domains():
            calls.append(ApiCall("POST", f"{self._org}/domains", {"domain": domain}))
            calls.append(ApiCall("POST", f"{self._org}/domains/{domain}/dkim/enable"))
        elif not (await self.dkim_status(domain)).enabled:
            calls.append(ApiCall("POST", f"{self._org}/domains/{domain}/dkim/enable"))
        return await send_calls(self, calls, dry_run=dry_run)

    # mailboxes

    async def create_mailboxes(self, mailboxes: Sequence[NewMailbox], *, dry_run: bool = True) -> ApplyResult:
        """Create the mailboxes whose nickname the organization does not have yet, one request each."""
        existing = {str(u.get("nickname", "")).lower() async for u in self._pages(f"{self._org}/users", "users")}
        calls = [_user_call(self._org, m) for m in mailboxes if m.nickname.lower() not in existing]
        return await send_calls(self, calls, dry_run=dry_run)


def _user_call(org: str, mailbox: NewMailbox) -> ApiCall:
    payload = {
        "nickname": mailbox.nickname,
        "departmentId": mailbox.department_id,
        "name": {"first": mailbox.first_name, "last": mailbox.last_name},
        "passwordChangeRequired": False,
        "isEnabled": True,
    }
    return ApiCall("POST", f"{org}/users", payload, secrets={"password": mailbox.password})


def _record(item: Mapping[str, Any]) -> ZoneRecord | None:
    rtype, owner, ref = str(item.get("type", "")).upper(), str(item.get("name") or "@"), str(item.get("recordId", ""))
    ttl = int(item.get("ttl") or 0) or 3600
    match rtype:
        case "MX":
            value = mx_value(int(item.get("preference") or 0), str(item.get("exchange", "")))
        case "CNAME":
            value = absolute_host(str(item.get("target", "")))
        case "TXT":
            value = str(item.get("text", ""))
        case "A" | "AAAA":
            value = str(item.get("address", ""))
        case _:
            return None
    return ZoneRecord(owner, rtype, value, ttl, ref)


def _record_body(record: ZoneRecord) -> dict[str, Any]:
    body: dict[str, Any] = {"type": record.rtype, "name": record.owner, "ttl": record.ttl}
    match record.rtype:
        case "MX":
            preference, host = record.value.split(" ", 1)
            body |= {"exchange": host.rstrip("."), "preference": int(preference)}
        case "CNAME":
            body["target"] = record.value.rstrip(".")
        case "TXT":
            body["text"] = record.value
        case _:
            body["address"] = record.value
    return body

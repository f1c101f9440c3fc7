"""REG.RU API v2 (https://api.reg.ru/api/regru2/): DNS zone records and name servers.

Every call is a POST of form fields (`username`, `password`, `input_format=json`, `input_data`), so the
credentials never appear in a URL. REG.RU limits an account and an IP to 1,200 requests an hour and blocks
the account when that is exceeded, so calls pass that budget (shared in Redis by every process: `shared_pace`),
and writes go one at a time. Errors come
back as HTTP 200 with `result: error` and an `error_code`, per request and per domain; each known code maps
to a `UserError` key, and rate-limit codes are not retried (retrying only extends the block).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Final

import aiohttp
from pydantic import SecretStr

from engine.dns.adapters.base import ApiCall
from engine.dns.adapters.http import JsonClient, Limiter, RetryPolicy, TokenBucket
from engine.dns.records import ZoneRecord, absolute_host, mx_value
from engine.dns.templates import Change
from engine.errors import UserError
from engine.ratelimit import Pace, Rule, SharedLimits

DEFAULT_BASE_URL: Final = "https://api.reg.ru/api/regru2/"
HOURLY_LIMIT: Final = 1200
# per account, in any hour; and at most 20 in any minute, so an hour's budget is never spent in one burst
HOURLY_RULE: Final = Rule("regru-hour", HOURLY_LIMIT, 3600)
MINUTE_RULE: Final = Rule("regru-minute", 20, 60)
PROVIDER: Final = "REG.RU"

_ERRORS: Final = {
    "NO_USERNAME": "error-provider-auth",
    "NO_AUTH": "error-provider-auth",
    "PASSWORD_AUTH_FAILED": "error-provider-auth",
    "RESELLER_AUTH_FAILED": "error-provider-auth",
    "ACCESS_DENIED_FROM_IP": "error-regru-ip-denied",
    "ACCESS_DENIED": "error-provider-forbidden",
    "IP_EXCEEDED_ALLOWED_CONNECTION_RATE": "error-provider-rate-limited",
    "ACCOUNT_EXCEEDED_ALLOWED_CONNECTION_RATE": "error-provider-rate-limited",
    "DOMAIN_NOT_FOUND": "error-provider-domain-not-found",
    "SERVICE_NOT_FOUND": "error-provider-domain-not-found",
    "INVALID_DOMAIN_NAME_FORMAT": "error-provider-domain-not-found",
    "SERVICE_UNAVAILABLE": "error-provider-unavailable",
    "CONNECTION_FAILED": "error-provider-unavailable",
    "BILLING_LOCK": "error-regru-billing-lock",
}
_ADD_METHODS: Final = {"A": "zone/add_alias", "AAAA": "zone/add_aaaa", "CNAME": "zone/add_cname"}


class RegRu:
    """REG.RU as a `DnsProvider` (zones on REG.RU name servers) and a `Registrar` (delegation)."""

    name = "regru"

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        username: str,
        password: SecretStr,
        base_url: str = DEFAULT_BASE_URL,
        bucket: Limiter | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._username = username
        self._password = password
        self._http = JsonClient(
            session,
            base_url,
            provider=PROVIDER,
            bucket=bucket or TokenBucket.per_hour(HOURLY_LIMIT, burst=30),
            retry=retry or RetryPolicy(),
        )

    async def _call(self, method: str, input_data: Mapping[str, Any]) -> Mapping[str, Any]:
        form = {
            "username": self._username,
            "password": self._password.get_secret_value(),
            "input_format": "json",
            "output_format": "json",
            "input_data": json.dumps(input_data, ensure_ascii=False),
        }
        reply = await self._http.request("POST", method, data=form)
        body = reply.body if isinstance(reply.body, dict) else {}
        if reply.status >= 400 or body.get("result") not in ("success", "error"):
            raise UserError("error-provider-failed", provider=PROVIDER, code=str(reply.status))
        if body["result"] == "error":
            raise _error(body.get("error_code"))
        answer: Mapping[str, Any] = body.get("answer") or {}
        for domain in answer.get("domains") or []:
            if domain.get("result", "success") != "success":
                raise _error(domain.get("error_code"))
        return answer

    # DnsProvider

    async def list_records(self, zone: str) -> list[ZoneRecord]:
        answer = await self._call("zone/get_resource_records", {"domains": [{"dname": zone}]})
        rrs = (answer.get("domains") or [{}])[0].get("rrs") or []
        return [record for rr in rrs if (record := _record(rr)) is not None]

    def calls_for(self, zone: str, changes: Sequence[Change]) -> list[ApiCall]:
        return [self._add(zone, c.record) if c.action == "add" else self._remove(zone, c.record) for c in changes]

    def _add(self, zone: str, record: ZoneRecord) -> ApiCall:
        target: dict[str, Any] = {"domains": [{"dname": zone}], "subdomain": record.owner}
        if record.rtype == "TXT":
            return ApiCall("POST", "zone/add_txt", {**target, "text": record.value})
        if record.rtype == "MX":
            preference, host = record.value.split(" ", 1)
            return ApiCall(
                "POST", "zone/add_mx", {**target, "mail_server": host.rstrip("."), "priority": int(preference)}
            )
        if record.rtype == "CNAME":
            return ApiCall("POST", "zone/add_cname", {**target, "canonical_name": record.value.rstrip(".")})
        return ApiCall("POST", _ADD_METHODS[record.rtype], {**target, "ipaddr": record.value})

    def _remove(self, zone: str, record: ZoneRecord) -> ApiCall:
        payload: dict[str, Any] = {
            "domains": [{"dname": zone}],
            "subdomain": record.owner,
            "record_type": record.rtype,
            "content": record.ref or record.value,
        }
        if record.rtype == "MX":
            payload["priority"] = int(record.value.split(" ", 1)[0])
        return ApiCall("POST", "zone/remove_record", payload)

    async def execute(self, call: ApiCall) -> None:
        await self._call(call.path, call.payload)

    # Registrar

    async def get_nameservers(self, domain: str) -> list[str]:
        answer = await self._call("domain/get_nss", {"domains": [{"dname": domain}]})
        nss = (answer.get("domains") or [{}])[0].get("nss") or []
        return [str(ns["ns"]) for ns in nss if ns.get("ns")]

    def nameserver_calls(self, domain: str, nameservers: Sequence[str]) -> list[ApiCall]:
        nss = {f"ns{i}": ns.rstrip(".") for i, ns in enumerate(nameservers)}
        return [ApiCall("POST", "domain/update_nss", {"domains": [{"dname": domain}], "nss": nss})]


def shared_pace(limits: SharedLimits, username: str, *, max_wait_s: float = 60.0) -> Pace:
    """The account's request budget, one for every process that calls REG.RU with it; a request waits at most
    `max_wait_s` for a slot, then the caller hears "rate limited, try later"."""
    return Pace(limits, PROVIDER, [(MINUTE_RULE, username), (HOURLY_RULE, username)], max_wait_s=max_wait_s)


def _record(rr: Mapping[str, Any]) -> ZoneRecord | None:
    """A zone record from REG.RU's `{subname, rectype, content, prio}`; other types are not ours to manage.
    The test account returns numbers as strings, hence the loose parsing."""
    rtype, content, owner = str(rr.get("rectype", "")).upper(), str(rr.get("content", "")), str(rr.get("subname", "@"))
    if rtype == "MX":
        return ZoneRecord(owner, "MX", mx_value(int(rr.get("prio") or 0), content), ref=content)
    if rtype == "CNAME":
        return ZoneRecord(owner, "CNAME", absolute_host(content), ref=content)
    if rtype in ("A", "AAAA", "TXT"):
        return ZoneRecord(owner, rtype, content, ref=content)
    return None


def _error(code: object) -> UserError:
    text = str(code or "UNKNOWN")
    key = _ERRORS.get(text, "error-provider-failed")
    return UserError(key, provider=PROVIDER, code=text)

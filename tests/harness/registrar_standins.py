"""Local HTTP stand-ins for the REG.RU API v2 and the Yandex 360 API, for integration tests of the adapters.

Each serves the documented endpoints, fields and error shapes (facts: providers-ru.md §1.2, §3) from
in-memory state on 127.0.0.1, and records every request it acts on, so a test can assert exactly which calls
a plan caused. `fail_next` makes the next requests fail with an HTTP status (429, 503, …) before they are
acted on, to exercise retries. Use them as async context managers.
"""

from __future__ import annotations

import itertools
import json
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from aiohttp import web

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class Call:
    """One request the stand-in acted on: method, path under the API base (no leading slash), JSON payload."""

    method: str
    path: str
    payload: dict[str, Any] = field(default_factory=dict)


class _Standin:
    """An aiohttp application on a free loopback port, with a request log and injectable failures."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.attempts = 0  # every request received, failed ones included
        self._failures: list[tuple[int, str | None]] = []
        self._runner: web.AppRunner | None = None
        self._port = 0

    @property
    def origin(self) -> str:
        return f"http://{LOOPBACK}:{self._port}"

    def fail_next(self, status: int, *, times: int = 1, retry_after: str | None = None) -> None:
        """Answer the next `times` requests with `status` (and a Retry-After header) without acting on them."""
        self._failures += [(status, retry_after)] * times

    def _routes(self) -> list[web.RouteDef]:
        raise NotImplementedError

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.attempts += 1
        if self._failures:
            status, retry_after = self._failures.pop(0)
            headers = {"Retry-After": retry_after} if retry_after else {}
            return web.json_response({"code": status, "message": "injected failure"}, status=status, headers=headers)
        response: web.StreamResponse = await handler(request)
        return response

    async def __aenter__(self) -> Self:
        app = web.Application(middlewares=[self._middleware])
        app.add_routes(self._routes())
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind((LOOPBACK, 0))
        self._port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


class RegRuStandin(_Standin):
    """REG.RU API v2: `POST /api/regru2/<category>/<method>` with form fields `username`, `password`,
    `input_format=json`, `input_data`; answers `{"result": "success", "answer": …}` or
    `{"result": "error", "error_code": …, "error_text": …}`, per request and per domain. Numbers in records
    come back as strings, as REG.RU's test account does."""

    READS = frozenset({"zone/get_resource_records", "domain/get_nss", "zone/nop"})

    def __init__(self, *, username: str = "test", password: str = "test") -> None:
        super().__init__()
        self.username = username
        self.password = password
        self.zones: dict[str, list[dict[str, str]]] = {}
        self.nameservers: dict[str, list[str]] = {}

    @property
    def base_url(self) -> str:
        return f"{self.origin}/api/regru2/"

    @property
    def writes(self) -> list[Call]:
        return [c for c in self.calls if c.path not in self.READS]

    def add_zone(self, dname: str, records: Sequence[tuple[str, str, str, int]] = (), nss: Sequence[str] = ()) -> None:
        """A domain on REG.RU name servers: records as (subname, rectype, content, prio)."""
        self.zones[dname] = [
            {"subname": s, "rectype": t, "content": c, "prio": str(p), "state": "A"} for s, t, c, p in records
        ]
        self.nameservers[dname] = list(nss) or ["ns1.reg.ru", "ns2.reg.ru"]

    def _routes(self) -> list[web.RouteDef]:
        return [web.post("/api/regru2/{category}/{method}", self._handle)]

    async def _handle(self, request: web.Request) -> web.Response:
        form = await request.post()
        path = f"{request.match_info['category']}/{request.match_info['method']}"
        if form.get("username") != self.username or form.get("password") != self.password:
            return _regru_error("PASSWORD_AUTH_FAILED", "Username/password Incorrect")
        if form.get("input_format") != "json" or form.get("output_format") != "json":
            return _regru_error("PARAMETER_INCORRECT", "input_format and output_format must be json")
        data = json.loads(str(form.get("input_data") or "{}"))
        self.calls.append(Call("POST", path, data))
        handler = {
            "zone/get_resource_records": self._records,
            "zone/add_txt": self._add,
            "zone/add_mx": self._add,
            "zone/add_cname": self._add,
            "zone/add_alias": self._add,
            "zone/add_aaaa": self._add,
            "zone/remove_record": self._remove,
            "domain/get_nss": self._get_nss,
            "domain/update_nss": self._update_nss,
        }.get(path)
        if handler is None:
            return _regru_error("METHOD_NOT_FOUND", f"no method {path}")
        domains = []
        for item in data.get("domains") or []:
            dname = item.get("dname", "")
            if dname not in self.zones:
                domains.append({"dname": dname, "result": "error", "error_code": "DOMAIN_NOT_FOUND"})
            else:
                domains.append({"dname": dname, "result": "success", **handler(dname, path, data)})
        return web.json_response({"result": "success", "answer": {"domains": domains}, "charset": "utf-8"})

    def _records(self, dname: str, path: str, data: dict[str, Any]) -> dict[str, Any]:
        return {"rrs": self.zones[dname], "soa": {"ttl": "1d", "minimum_ttl": "1h"}}

    def _add(self, dname: str, path: str, data: dict[str, Any]) -> dict[str, Any]:
        rectype, content, prio = {
            "zone/add_txt": ("TXT", data.get("text"), 0),
            "zone/add_mx": ("MX", data.get("mail_server"), data.get("priority", 0)),
            "zone/add_cname": ("CNAME", data.get("canonical_name"), 0),
            "zone/add_alias": ("A", data.get("ipaddr"), 0),
            "zone/add_aaaa": ("AAAA", data.get("ipaddr"), 0),
        }[path]
        record = {"subname": data["subdomain"], "rectype": rectype, "content": str(content), "prio": str(prio)}
        self.zones[dname].append({**record, "state": "A"})
        return {}

    def _remove(self, dname: str, path: str, data: dict[str, Any]) -> dict[str, Any]:
        def matches(rr: dict[str, str]) -> bool:
            return (
                rr["subname"] == data["subdomain"]
                and rr["rectype"] == data["record_type"]
                and ("content" not in data or rr["content"] == data["content"])
                and ("priority" not in data or rr["prio"] == str(data["priority"]))
            )

        self.zones[dname] = [rr for rr in self.zones[dname] if not matches(rr)]
        return {}

    def _get_nss(self, dname: str, path: str, data: dict[str, Any]) -> dict[str, Any]:
        return {"nss": [{"ns": ns} for ns in self.nameservers[dname]]}

    def _update_nss(self, dname: str, path: str, data: dict[str, Any]) -> dict[str, Any]:
        nss = data.get("nss") or {}
        self.nameservers[dname] = [nss[key] for key in sorted(nss)]
        return {}


def _regru_error(code: str, text: str) -> web.Response:
    return web.json_response({"result": "error", "error_code": code, "error_text": text, "charset": "utf-8"})


class Yandex360Standin(_Standin):
    """Yandex 360 Directory API under `/directory/v1/org/{orgId}`: domains, DKIM, DNS records and users,
    `Authorization: OAuth <token>`, paginated lists (`page`, `perPage` → `pages`, `total`), errors as
    `{"code", "message"}` with the HTTP status."""

    def __init__(self, *, org_id: int = 1, token: str = "y0_test-token", max_per_page: int = 2) -> None:
        super().__init__()
        self.org_id = org_id
        self.token = token
        self.max_per_page = max_per_page  # small, so adapters must follow pages
        self.domains: dict[str, dict[str, Any]] = {}
        self.users: list[dict[str, Any]] = []
        self._ids = itertools.count(1000)

    @property
    def base_url(self) -> str:
        return self.origin

    @property
    def writes(self) -> list[Call]:
        return [c for c in self.calls if c.method != "GET"]

    def add_domain(
        self, name: str, records: Sequence[dict[str, Any]] = (), *, dkim_enabled: bool = False, public_key: str = ""
    ) -> None:
        self.domains[name] = {
            "dkim": {"enabled": dkim_enabled, "publicKey": public_key},
            "records": [{"recordId": next(self._ids), "ttl": 21600, **r} for r in records],
        }

    def add_user(self, nickname: str) -> None:
        self.users.append({"id": str(next(self._ids)), "nickname": nickname, "email": f"{nickname}@org.test"})

    def _routes(self) -> list[web.RouteDef]:
        org = "/directory/v1/org/{org}"
        return [
            web.get(f"{org}/domains", self._list_domains),
            web.post(f"{org}/domains", self._add_domain),
            web.get(f"{org}/domains/{{domain}}/dkim", self._dkim),
            web.post(f"{org}/domains/{{domain}}/dkim/enable", self._dkim_enable),
            web.get(f"{org}/domains/{{domain}}/dns", self._list_dns),
            web.post(f"{org}/domains/{{domain}}/dns", self._add_dns),
            web.delete(f"{org}/domains/{{domain}}/dns/{{record}}", self._delete_dns),
            web.get(f"{org}/users", self._list_users),
            web.post(f"{org}/users", self._add_user),
        ]

    async def _begin(self, request: web.Request) -> web.Response | None:
        """Authenticate, check the organization and log the call; an error response, or None to go on."""
        if request.headers.get("Authorization") != f"OAuth {self.token}":
            return _yandex_error(401, 16, "Unauthenticated")
        if request.match_info["org"] != str(self.org_id):
            return _yandex_error(403, 7, "Permission denied")
        payload = await request.json() if request.can_read_body else {}
        self.calls.append(Call(request.method, request.path.lstrip("/"), payload))
        domain = request.match_info.get("domain")
        if domain is not None and domain not in self.domains:
            return _yandex_error(404, 5, "Not found")
        return None

    def _page(self, request: web.Request, field_name: str, items: list[dict[str, Any]]) -> web.Response:
        page = int(request.query.get("page", "1"))
        per_page = min(int(request.query.get("perPage", "10")), self.max_per_page)
        pages = max(1, -(-len(items) // per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        return web.json_response(
            {field_name: chunk, "page": page, "pages": pages, "perPage": per_page, "total": len(items)}
        )

    async def _list_domains(self, request: web.Request) -> web.Response:
        if (error := await self._begin(request)) is not None:
            return error
        return self._page(request, "domains", [{"name": n, "verified": True} for n in self.domains])

    async def _add_domain(self, request: web.Request) -> web.Response:
        if (error := await self._begin(request)) is not None:
            return error
        name = (await request.json())["domain"]
        if name in self.domains:
            return _yandex_error(409, 6, "Domain already exists")
        self.add_domain(name)
        return web.json_response({"name": name, "verified": False})

    async def _dkim(self, request: web.Request) -> web.Response:
        if (error := await self._begin(request)) is not None:
            return error
        return web.json_response(self.domains[request.match_info["domain"]]["dkim"])

    async def _dkim_enable(self, request: web.Request) -> web.Response:
        if (error := await self._begin(request)) is not None:
            return error
        dkim = self.domains[request.match_info["domain"]]["dkim"]
        dkim["enabled"] = True
        dkim["publicKey"] = dkim["publicKey"] or "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAtest"
        return web.json_response({"enabled": True})

    async def _list_dns(self, request: web.Request) -> web.Response:
        if (error := await self._begin(request)) is not None:
            return error
        return self._page(request, "records", self.domains[request.match_info["domain"]]["records"])

    async def _add_dns(self, request: web.Request) -> web.Response:
        if (error := await self._begin(request)) is not None:
            return error
        body = await request.json()
        if body.get("type") not in {"A", "AAAA", "CNAME", "MX", "TXT", "SRV", "NS", "CAA"} or not body.get("name"):
            return _yandex_error(400, 3, "Invalid record")
        record = {"recordId": next(self._ids), **body}
        self.domains[request.match_info["domain"]]["records"].append(record)
        return web.json_response(record)

    async def _delete_dns(self, request: web.Request) -> web.Response:
        if (error := await self._begin(request)) is not None:
            return error
        records = self.domains[request.match_info["domain"]]["records"]
        kept = [r for r in records if str(r["recordId"]) != request.match_info["record"]]
        if len(kept) == len(records):
            return _yandex_error(404, 5, "Record not found")
        self.domains[request.match_info["domain"]]["records"] = kept
        return web.json_response({})

    async def _list_users(self, request: web.Request) -> web.Response:
        if (error := await self._begin(request)) is not None:
            return error
        return self._page(request, "users", self.users)

    async def _add_user(self, request: web.Request) -> web.Response:
        if (error := await self._begin(request)) is not None:
            return error
        body = await request.json()
        missing = [f for f in ("nickname", "departmentId", "name", "password") if f not in body]
        if missing:
            return _yandex_error(400, 3, f"missing {', '.join(missing)}")
        if any(u["nickname"] == body["nickname"] for u in self.users):
            return _yandex_error(409, 6, "User already exists")
        self.add_user(body["nickname"])
        return web.json_response(self.users[-1])


def _yandex_error(status: int, code: int, message: str) -> web.Response:
    return web.json_response({"code": code, "message": message, "details": []}, status=status)

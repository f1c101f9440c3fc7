"""REG.RU and Yandex 360 adapters against local stand-ins of their APIs: exact calls, idempotence, retries,
error mapping, and secrets that never show."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence

import aiohttp
import pytest
from pydantic import SecretStr

from engine.access import Actor
from engine.clock import FrozenClock
from engine.dns.adapters import (
    ApiCall,
    NewMailbox,
    RegRu,
    RetryPolicy,
    Yandex360,
    apply_nameservers,
    apply_plan,
)
from engine.dns.check import ResolverConfig
from engine.dns.records import ZoneRecord
from engine.dns.templates import DnsPlan, DomainSpec, build_plan
from engine.domains import DnsConfig, add_domains, apply_dns
from engine.errors import UserError
from models import AuditLog, Domain, Workspace
from models.enums import DmarcPolicy, DnsRecordKind, DomainStatus, MailProvider, Platform, Role
from tests.harness.registrar_standins import Call, RegRuStandin, Yandex360Standin

FAST = RetryPolicy(attempts=3, base_delay_s=0.01, max_delay_s=0.05)
KEY = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAy" + "Q" * 340 + "IDAQAB"
TRACKING = "track.mailfleet.test"
PASSWORD = "regru-pa$$word"
TOKEN = "y0_AgAAAAsecret-oauth-token"


def plan_for(name: str, served: Sequence[ZoneRecord], provider: MailProvider = MailProvider.YANDEX360) -> DnsPlan:
    spec = DomainSpec(
        name,
        provider,
        f"dmarc@{name}",
        dkim_public_key=KEY,
        tracking_host=f"t.{name}",
        tracking_target=TRACKING,
    )
    return build_plan(spec, served)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.fixture
async def regru_api() -> AsyncIterator[RegRuStandin]:
    async with RegRuStandin(username="agency", password=PASSWORD) as standin:
        standin.add_zone(
            "client.ru",
            [
                ("@", "MX", "mx.old-host.ru", 10),
                ("@", "TXT", "v=spf1 ip4:192.0.2.10 -all", 0),
                ("@", "TXT", "google-site-verification=1", 0),
                ("www", "A", "192.0.2.10", 0),
            ],
        )
        yield standin


@pytest.fixture
async def yandex_api() -> AsyncIterator[Yandex360Standin]:
    async with Yandex360Standin(org_id=7, token=TOKEN) as standin:
        standin.add_domain(
            "client.ru",
            [
                {"type": "MX", "name": "@", "exchange": "mx.yandex.net", "preference": 10},
                {"type": "TXT", "name": "@", "text": "v=spf1 redirect=_spf.yandex.net"},
                {"type": "TXT", "name": "_dmarc", "text": "v=DMARC1; p=reject"},
                {"type": "A", "name": "www", "address": "192.0.2.10"},
            ],
            dkim_enabled=True,
            public_key=KEY,
        )
        yield standin


def regru(session: aiohttp.ClientSession, standin: RegRuStandin, password: str = PASSWORD) -> RegRu:
    return RegRu(session, username="agency", password=SecretStr(password), base_url=standin.base_url, retry=FAST)


def yandex(session: aiohttp.ClientSession, standin: Yandex360Standin, token: str = TOKEN) -> Yandex360:
    return Yandex360(session, org_id=7, token=SecretStr(token), base_url=standin.base_url, retry=FAST)


def as_calls(calls: tuple[ApiCall, ...]) -> list[Call]:
    return [Call(c.method, c.path, dict(c.payload)) for c in calls]


async def test_regru_receives_exactly_the_planned_calls_and_a_second_apply_writes_nothing(
    session: aiohttp.ClientSession, regru_api: RegRuStandin
) -> None:
    provider = regru(session, regru_api)
    plan = plan_for("client.ru", await provider.list_records("client.ru"))
    zone = {"domains": [{"dname": "client.ru"}]}

    dry = await apply_plan(provider, plan)
    assert not dry.applied and regru_api.writes == []
    assert as_calls(dry.calls) == [
        Call(
            "POST",
            "zone/remove_record",
            {**zone, "subdomain": "@", "record_type": "MX", "content": "mx.old-host.ru", "priority": 10},
        ),
        Call(
            "POST",
            "zone/remove_record",
            {**zone, "subdomain": "@", "record_type": "TXT", "content": "v=spf1 ip4:192.0.2.10 -all"},
        ),
        Call("POST", "zone/add_mx", {**zone, "subdomain": "@", "mail_server": "mx.yandex.net", "priority": 10}),
        Call(
            "POST",
            "zone/add_txt",
            {**zone, "subdomain": "@", "text": "v=spf1 ip4:192.0.2.10 include:_spf.yandex.net -all"},
        ),
        Call("POST", "zone/add_txt", {**zone, "subdomain": "mail._domainkey", "text": f"v=DKIM1; k=rsa; p={KEY}"}),
        Call(
            "POST",
            "zone/add_txt",
            {**zone, "subdomain": "_dmarc", "text": "v=DMARC1; p=none; rua=mailto:dmarc@client.ru"},
        ),
        Call("POST", "zone/add_cname", {**zone, "subdomain": "t", "canonical_name": TRACKING}),
    ]

    applied = await apply_plan(provider, plan, dry_run=False)
    assert applied.applied and regru_api.writes == as_calls(applied.calls) == as_calls(dry.calls)
    assert {(r["subname"], r["content"]) for r in regru_api.zones["client.ru"]} >= {
        ("@", "google-site-verification=1"),
        ("www", "192.0.2.10"),
    }

    reads_before = len(regru_api.calls)
    again = await apply_plan(provider, plan, dry_run=False)
    assert again.calls == () and again.changes == ()
    assert len(regru_api.writes) == 7 and len(regru_api.calls) == reads_before + 1  # one read, no write


async def test_yandex_receives_exactly_the_planned_calls_across_pages(
    session: aiohttp.ClientSession, yandex_api: Yandex360Standin
) -> None:
    provider = yandex(session, yandex_api)
    current = await provider.list_records("client.ru")
    assert len(current) == 4  # two pages of two
    ids = {r.value: r.ref for r in current}
    plan = plan_for("client.ru", current)
    dns = "directory/v1/org/7/domains/client.ru/dns"

    applied = await apply_plan(provider, plan, dry_run=False)

    assert (
        yandex_api.writes
        == as_calls(applied.calls)
        == [
            Call("DELETE", f"{dns}/{ids['v=DMARC1; p=reject']}"),
            Call(
                "POST", dns, {"type": "TXT", "name": "mail._domainkey", "ttl": 3600, "text": f"v=DKIM1; k=rsa; p={KEY}"}
            ),
            Call(
                "POST",
                dns,
                {
                    "type": "TXT",
                    "name": "_dmarc",
                    "ttl": 3600,
                    "text": "v=DMARC1; p=reject; rua=mailto:dmarc@client.ru",
                },
            ),
            Call("POST", dns, {"type": "CNAME", "name": "t", "ttl": 3600, "target": TRACKING}),
        ]
    )
    # the published p=reject is never weakened: the plan adopts it and only adds the report address
    assert plan.dmarc_policy == DmarcPolicy.REJECT
    # the served redirect already authorizes Yandex: the SPF is kept as it is
    spf = plan.expectation(DnsRecordKind.SPF)
    assert spf is not None and spf.records[0].value == "v=spf1 redirect=_spf.yandex.net"

    writes = len(yandex_api.writes)
    assert (await apply_plan(provider, plan, dry_run=False)).calls == ()
    assert len(yandex_api.writes) == writes


async def test_an_apply_changes_only_dmarc_records_among_the_txt_at_dmarc(
    session: aiohttp.ClientSession, regru_api: RegRuStandin, yandex_api: Yandex360Standin
) -> None:
    """The plan took every TXT at `_dmarc` for DMARC: an apply (and a DMARC step) removed a site verification
    or a report-service token published there. Only records that start with `v=DMARC1` are DMARC."""
    token = "reportsvc-verification=f00d"
    regru_api.add_zone("keep.ru", [("_dmarc", "TXT", "v=DMARC1; p=none", 0), ("_dmarc", "TXT", token, 0)])
    provider = regru(session, regru_api)
    applied = await apply_plan(provider, plan_for("keep.ru", await provider.list_records("keep.ru")), dry_run=False)
    assert [(c.action, c.record.value) for c in applied.changes if c.kind == DnsRecordKind.DMARC] == [
        ("remove", "v=DMARC1; p=none"),
        ("add", "v=DMARC1; p=none; rua=mailto:dmarc@keep.ru"),
    ]
    assert {r["content"] for r in regru_api.zones["keep.ru"] if r["subname"] == "_dmarc"} == {
        token,
        "v=DMARC1; p=none; rua=mailto:dmarc@keep.ru",
    }

    yandex_api.add_domain(
        "keep.ru",
        [
            {"type": "TXT", "name": "_dmarc", "text": "v=DMARC1; p=none"},
            {"type": "TXT", "name": "_dmarc", "text": token},
        ],
    )
    provider_y = yandex(session, yandex_api)
    await apply_plan(provider_y, plan_for("keep.ru", await provider_y.list_records("keep.ru")), dry_run=False)
    served = {r.value for r in await provider_y.list_records("keep.ru") if r.owner == "_dmarc"}
    assert served == {token, "v=DMARC1; p=none; rua=mailto:dmarc@keep.ru"}


async def test_apply_service_dry_run_then_apply_moves_a_new_domain_on(
    orm: None, session: aiohttp.ClientSession, regru_api: RegRuStandin
) -> None:
    workspace = await Workspace.create(slug="acme", name="Acme")
    manager = Actor(person_id=None, platform=Platform.CONSOLE, role=Role.MANAGER, workspace_id=workspace.id)
    client = Actor(person_id=None, platform=Platform.CONSOLE, role=Role.CLIENT, workspace_id=workspace.id)
    clock = FrozenClock(dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    config = DnsConfig(ResolverConfig(("127.0.0.1",), 1), tracking_target=TRACKING)
    await add_domains(manager, clock, "client.ru;;;yandex360")
    provider = regru(session, regru_api)

    dry = (await apply_dns(manager, clock, "client.ru", config, provider)).result
    assert not dry.applied and regru_api.writes == []
    assert [(c.action, c.kind) for c in dry.changes] == [  # no DKIM key yet: the DKIM record is left alone
        ("remove", DnsRecordKind.MX),
        ("remove", DnsRecordKind.SPF),
        ("add", DnsRecordKind.MX),
        ("add", DnsRecordKind.SPF),
        ("add", DnsRecordKind.DMARC),
        ("add", DnsRecordKind.TRACKING),
    ]
    with pytest.raises(UserError, match="error-forbidden"):
        await apply_dns(client, clock, "client.ru", config, provider, dry_run=False)

    done = (await apply_dns(manager, clock, "client.ru", config, provider, dry_run=False)).result
    again = (await apply_dns(manager, clock, "client.ru", config, provider, dry_run=False)).result

    assert as_calls(done.calls) == regru_api.writes and again.calls == ()
    assert (await Domain.get(name="client.ru")).status == DomainStatus.DNS_PENDING
    assert await AuditLog.filter(action="domain.dns_apply").count() == 2


async def test_429_then_success_is_retried(
    session: aiohttp.ClientSession, regru_api: RegRuStandin, yandex_api: Yandex360Standin
) -> None:
    regru_api.fail_next(429, retry_after="0")
    yandex_api.fail_next(503, times=2)

    assert len(await regru(session, regru_api).list_records("client.ru")) == 4
    assert len(await yandex(session, yandex_api).list_records("client.ru")) == 4

    assert (regru_api.attempts, len(regru_api.calls)) == (2, 1)
    assert (yandex_api.attempts, len(yandex_api.calls)) == (4, 2)  # two failures, then two pages


async def test_retries_give_up_with_a_clear_key(session: aiohttp.ClientSession, regru_api: RegRuStandin) -> None:
    regru_api.fail_next(503, times=3)
    with pytest.raises(UserError) as unavailable:
        await regru(session, regru_api).list_records("client.ru")
    regru_api.fail_next(429, times=3)
    with pytest.raises(UserError) as limited:
        await regru(session, regru_api).list_records("client.ru")

    assert (unavailable.value.key, unavailable.value.params) == ("error-provider-unavailable", {"provider": "REG.RU"})
    assert limited.value.key == "error-provider-rate-limited"
    assert regru_api.attempts == 6 and regru_api.calls == []

    async with RegRuStandin() as gone:
        closed = gone.base_url  # nothing listens here once the stand-in has stopped
    with pytest.raises(UserError) as unreachable:
        await RegRu(session, username="test", password=SecretStr("test"), base_url=closed, retry=FAST).list_records(
            "a.ru"
        )
    assert unreachable.value.key == "error-provider-unavailable"


async def test_auth_and_lookup_errors_map_to_keys_without_secrets(
    session: aiohttp.ClientSession, regru_api: RegRuStandin, yandex_api: Yandex360Standin
) -> None:
    wrong_password = "wrong-" + PASSWORD
    wrong_token = "y0_wrong-token-value"
    failures: list[UserError] = []
    for attempt in (
        regru(session, regru_api, wrong_password).list_records("client.ru"),
        yandex(session, yandex_api, wrong_token).list_records("client.ru"),
        regru(session, regru_api).list_records("unknown.ru"),
        yandex(session, yandex_api).list_records("unknown.ru"),
    ):
        with pytest.raises(UserError) as caught:
            await attempt
        failures.append(caught.value)

    assert [(e.key, e.params["provider"]) for e in failures] == [
        ("error-provider-auth", "REG.RU"),
        ("error-provider-auth", "Yandex 360"),
        ("error-provider-domain-not-found", "REG.RU"),
        ("error-provider-domain-not-found", "Yandex 360"),
    ]
    shown = " ".join(f"{e!s} {e!r} {e.params} {e.args}" for e in failures)
    for secret in (PASSWORD, wrong_password, TOKEN, wrong_token):
        assert secret not in shown
    assert PASSWORD not in repr(regru(session, regru_api).__dict__)


async def test_regru_name_servers_change_once(session: aiohttp.ClientSession, regru_api: RegRuStandin) -> None:
    provider = regru(session, regru_api)
    wanted = ["dns1.yandex.net", "dns2.yandex.net"]

    dry = await apply_nameservers(provider, "client.ru", wanted)
    done = await apply_nameservers(provider, "client.ru", wanted, dry_run=False)
    again = await apply_nameservers(provider, "client.ru", ["DNS2.yandex.net.", "dns1.yandex.net"], dry_run=False)

    update = Call(
        "POST", "domain/update_nss", {"domains": [{"dname": "client.ru"}], "nss": {"ns0": wanted[0], "ns1": wanted[1]}}
    )
    assert as_calls(dry.calls) == as_calls(done.calls) == [update]
    assert regru_api.writes == [update] and again.calls == ()
    assert regru_api.nameservers["client.ru"] == wanted


async def test_yandex_domain_dkim_and_mailboxes_in_bulk(
    session: aiohttp.ClientSession, yandex_api: Yandex360Standin
) -> None:
    provider = yandex(session, yandex_api)
    yandex_api.add_user("anna")
    org = "directory/v1/org/7"

    added = await provider.ensure_domain("new.ru", dry_run=False)
    assert as_calls(added.calls) == [
        Call("POST", f"{org}/domains", {"domain": "new.ru"}),
        Call("POST", f"{org}/domains/new.ru/dkim/enable"),
    ]
    assert (await provider.ensure_domain("new.ru", dry_run=False)).calls == ()
    status = await provider.dkim_status("new.ru")
    assert status.enabled and status.public_key

    people = [
        NewMailbox(nick, nick.title(), "Test", SecretStr(f"pw-{nick}-Secret1")) for nick in ("anna", "boris", "vera")
    ]
    dry = await provider.create_mailboxes(people)
    assert [c.payload["nickname"] for c in dry.calls] == ["boris", "vera"]
    assert "pw-boris-Secret1" not in repr(dry)
    created = await provider.create_mailboxes(people, dry_run=False)
    posted = [c for c in yandex_api.writes if c.path == f"{org}/users"]
    assert [c.payload["nickname"] for c in posted] == ["boris", "vera"]
    assert posted[0].payload["password"] == "pw-boris-Secret1" and posted[0].payload["departmentId"] == 1
    assert len(created.calls) == 2 and (await provider.create_mailboxes(people, dry_run=False)).calls == ()

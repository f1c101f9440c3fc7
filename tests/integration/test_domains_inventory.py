"""Domain inventory against real PostgreSQL: bulk import, workspace isolation, listing, expiry alerts, DKIM keys."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from engine.access import SYSTEM, Actor
from engine.clock import FrozenClock
from engine.dns.check import ResolverConfig
from engine.domains import DnsConfig, Health, add_domains, list_domains, set_dkim, show_domain, watch_expiry
from engine.domains.resume import resume_domain
from engine.errors import Forbidden, NotFound, UserError
from engine.lifecycle import transition_domain
from models import Alert, AuditLog, DnsCheck, Domain, Mailbox, Workspace
from models.enums import (
    AuthKind,
    DnsRecordKind,
    DnsVerdict,
    DomainStatus,
    MailProvider,
    Platform,
    PoolRole,
    Role,
    Severity,
    TlsMode,
)

TODAY = dt.datetime(2026, 5, 1, 6, 0, tzinfo=dt.UTC)
CONFIG = DnsConfig(ResolverConfig(("127.0.0.1",), 1))


def actor(workspace: Workspace, role: Role = Role.MANAGER) -> Actor:
    return Actor(person_id=None, platform=Platform.CONSOLE, role=role, workspace_id=workspace.id)


@pytest.fixture
async def workspaces(orm: None) -> tuple[Workspace, Workspace]:
    return await Workspace.create(slug="acme", name="Acme"), await Workspace.create(slug="other", name="Other")


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(TODAY)


async def test_import_is_per_row_and_refuses_other_workspaces_domains(
    workspaces: tuple[Workspace, Workspace], clock: FrozenClock
) -> None:
    acme, other = workspaces
    await add_domains(actor(other), clock, "taken.ru")
    await add_domains(actor(acme), clock, "already.ru")
    csv_text = (
        "домен;регистратор;истекает;почта;роль\n"
        "пример.рф;reg.ru;2026-05-20;яндекс;активный\n"
        "taken.ru;reg.ru;;;\n"
        "already.ru;;;;\n"
        "spare.online;nic.ru;01.06.2027;mailru;резерв\n"
        "oops;;;;\n"
        "spare.online;;;;\n"
    )

    report = await add_domains(actor(acme), clock, csv_text.encode("cp1251"))

    assert report.added == ("xn--e1afmkfd.xn--p1ai", "spare.online")
    assert report.existing == ("already.ru",)
    assert [(e.line, e.value, e.key) for e in report.errors] == [
        (3, "taken.ru", "domain-import-other-workspace"),
        (6, "oops", "domain-import-bad-name"),
        (7, "spare.online", "domain-import-duplicate"),
    ]
    spare = await Domain.get(name="spare.online")
    assert (spare.workspace_id, spare.mail_provider, spare.pool_role, spare.expires_on, spare.dkim_selector) == (
        acme.id,
        MailProvider.MAILRU,
        PoolRole.RESERVE,
        dt.date(2027, 6, 1),
        "mailru",
    )
    assert (spare.dmarc_since, spare.tracking_host) == (TODAY, "t.spare.online")
    assert (await Domain.get(name="taken.ru")).workspace_id == other.id
    assert await AuditLog.filter(action="domain.import", workspace_id=acme.id).count() == 2


async def test_import_rules_and_roles(workspaces: tuple[Workspace, Workspace], clock: FrozenClock) -> None:
    acme, _ = workspaces
    with pytest.raises(UserError) as empty:
        await add_domains(actor(acme), clock, "\n\n")
    assert empty.value.key == "error-domain-import-empty"
    with pytest.raises(UserError) as large:
        await add_domains(actor(acme), clock, "\n".join(f"d{i}.ru" for i in range(2001)))
    assert large.value.key == "error-domain-import-too-large"
    with pytest.raises(UserError) as huge:  # counted by lines before anything is parsed
        await add_domains(actor(acme), clock, ("x" * 900 + "\n").encode() * 2100)
    assert huge.value.key == "error-domain-import-too-large"
    with pytest.raises(Forbidden):
        await add_domains(actor(acme, Role.CLIENT), clock, "client.ru")
    assert await Domain.all().count() == 0


async def test_list_and_show_are_isolated_per_workspace(
    workspaces: tuple[Workspace, Workspace], clock: FrozenClock
) -> None:
    acme, other = workspaces
    await add_domains(actor(acme), clock, "b.ru\nпочта.рф\n")
    await add_domains(actor(other), clock, "secret.ru")
    domain = await Domain.get(name="b.ru")
    await Mailbox.create(
        workspace=acme,
        domain=domain,
        address="anna@b.ru",
        provider=MailProvider.YANDEX360,
        smtp_host="smtp.yandex.ru",
        smtp_port=465,
        smtp_tls=TlsMode.IMPLICIT,
        imap_host="imap.yandex.ru",
        imap_port=993,
        imap_tls=TlsMode.IMPLICIT,
        username="anna@b.ru",
        auth_kind=AuthKind.PASSWORD,
        secret_enc=b"x",
    )

    listed = await list_domains(actor(acme, Role.CLIENT), clock)

    assert [(s.name, s.display_name, s.mailboxes, s.dns.health, s.blacklists.health) for s in listed] == [
        ("b.ru", "b.ru", 1, Health.UNKNOWN, Health.UNKNOWN),
        ("xn--80a1acny.xn--p1ai", "почта.рф", 0, Health.UNKNOWN, Health.UNKNOWN),
    ]
    detail = await show_domain(actor(acme), clock, "ПОЧТА.РФ")
    assert detail.summary.name == "xn--80a1acny.xn--p1ai" and detail.sent_today == 0 and detail.dns == ()
    with pytest.raises(NotFound) as hidden:
        await show_domain(actor(acme), clock, "secret.ru")
    assert hidden.value.key == "error-domain-not-found"
    with pytest.raises(UserError, match="error-domain-invalid"):
        await show_domain(actor(acme), clock, "not a domain")


async def test_expiry_alerts_at_30_and_7_days_without_repeats(
    workspaces: tuple[Workspace, Workspace], clock: FrozenClock
) -> None:
    acme, other = workspaces
    await add_domains(actor(acme), clock, "soon.ru;;2026-05-25\nlater.ru;;2026-09-01\nnow.ru;;2026-05-05\n")
    await add_domains(actor(other), clock, "theirs.ru;;2026-05-10")

    mine = await watch_expiry(actor(acme), clock, CONFIG)
    everyone = await watch_expiry(SYSTEM, clock, CONFIG)
    clock.advance(dt.timedelta(days=18))  # soon.ru is now 6 days away: the 7-day alert
    later = await watch_expiry(SYSTEM, clock, CONFIG)

    assert sorted((n.domain, n.days_left, n.threshold, n.new) for n in mine) == [
        ("now.ru", 4, 7, True),
        ("soon.ru", 24, 30, True),
    ]
    assert sorted((n.domain, n.new) for n in everyone) == [("now.ru", False), ("soon.ru", False), ("theirs.ru", True)]
    assert ("soon.ru", 6, 7, True) in [(n.domain, n.days_left, n.threshold, n.new) for n in later]
    alerts = await Alert.filter(kind="domain_expiry")
    assert sorted((a.data["domain"], a.data["threshold"], a.severity, a.count) for a in alerts) == [
        ("now.ru", 7, Severity.CRITICAL, 3),  # asked about three times: one alert
        ("soon.ru", 7, Severity.CRITICAL, 1),
        ("soon.ru", 30, Severity.WARNING, 2),
        ("theirs.ru", 7, Severity.CRITICAL, 1),
        ("theirs.ru", 30, Severity.WARNING, 1),
    ]
    assert {a.workspace_id for a in alerts if a.data["domain"] == "theirs.ru"} == {other.id}


async def test_expiry_days_are_counted_in_the_workspaces_own_day(orm: None) -> None:
    """The expiry alert counted days from the UTC date while /domains counts them in the workspace's zone: at 20:00
    UTC it is already tomorrow in Vladivostok, and the alert said 8 days where /domains said 7 (and crossed its
    7-day threshold a day late)."""
    far_east = await Workspace.create(slug="vl", name="Vladivostok", timezone="Asia/Vladivostok")
    evening = FrozenClock(dt.datetime(2026, 5, 1, 20, 0, tzinfo=dt.UTC))  # 2026-05-02 06:00 in Vladivostok
    await add_domains(actor(far_east), evening, "east.ru;;2026-05-09")
    [notice] = await watch_expiry(actor(far_east), evening, CONFIG)
    [listed] = await list_domains(actor(far_east), evening)
    assert (notice.days_left, notice.threshold) == (listed.days_left, 7) == (7, 7)


async def test_dkim_key_is_checked_before_it_is_stored(
    workspaces: tuple[Workspace, Workspace], clock: FrozenClock
) -> None:
    acme, _ = workspaces
    await add_domains(actor(acme), clock, "keys.ru")
    weak = rsa.RSAPublicNumbers(65537, (1 << 767) | 0x1235).public_key()
    weak_b64 = base64.b64encode(
        weak.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    ).decode()

    with pytest.raises(UserError) as too_short:
        await set_dkim(actor(acme), clock, "keys.ru", weak_b64)
    with pytest.raises(UserError) as garbage:
        await set_dkim(actor(acme), clock, "keys.ru", "not a key")
    with pytest.raises(Forbidden):
        await set_dkim(actor(acme, Role.CLIENT), clock, "keys.ru", weak_b64)

    assert (too_short.value.key, too_short.value.params) == ("error-dkim-weak-key", {"bits": 768, "minimum": 1024})
    assert garbage.value.key == "error-dkim-invalid"
    assert (await Domain.get(name="keys.ru")).dkim_public_key == ""


async def test_two_dns_checks_stamped_alike_show_each_record_once_the_later_one(
    workspaces: tuple[Workspace, Workspace], clock: FrozenClock
) -> None:
    """Two checks that finished in the same instant (a manual /domain_check and the cron): the card lists each
    record once, from the check written last, never both."""
    acme, _ = workspaces
    await add_domains(actor(acme), clock, "twice.ru")
    domain = await Domain.get(name="twice.ru")
    for verdict in (DnsVerdict.MISSING, DnsVerdict.OK):
        for record in (DnsRecordKind.MX, DnsRecordKind.SPF):
            await DnsCheck.create(domain=domain, record=record, verdict=verdict, checked_at=clock.now())

    shown = await show_domain(actor(acme), clock, "twice.ru")

    assert [(v.record, v.verdict) for v in shown.dns] == [
        (DnsRecordKind.MX, DnsVerdict.OK),
        (DnsRecordKind.SPF, DnsVerdict.OK),
    ]


async def test_a_domain_cooled_while_warming_resumes_warming_and_an_active_one_active(
    workspaces: tuple[Workspace, Workspace], clock: FrozenClock
) -> None:
    acme, _ = workspaces
    await add_domains(actor(acme), clock, "young.ru\nold.ru")
    young, old = await Domain.get(name="young.ru"), await Domain.get(name="old.ru")
    for domain, path in ((young, ("dns_pending", "warming")), (old, ("dns_pending", "warming", "active"))):
        for status in path:
            await transition_domain(domain, DomainStatus(status), clock=clock, reason="test")
        await transition_domain(domain, DomainStatus.COOLING, clock=clock, reason="listed")
    clock.advance(dt.timedelta(hours=1))

    for domain in (young, old):
        await resume_domain(actor(acme), clock, domain.id)

    assert (await Domain.get(id=young.id)).status is DomainStatus.WARMING  # its warmup goes on where it stopped
    assert (await Domain.get(id=old.id)).status is DomainStatus.ACTIVE
    audit = await AuditLog.filter(action="domain.transition", subject=f"domain:{young.id}").order_by("-id").first()
    assert audit is not None
    assert (audit.data["from"], audit.data["to"], audit.data["reason"]) == ("cooling", "warming", "resumed by hand")

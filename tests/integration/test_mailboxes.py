"""Mailbox onboarding and management against real Postfix + Dovecot and PostgreSQL."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import subprocess
from collections.abc import Iterator

import asyncpg
import pytest

from engine.access import SYSTEM, Actor
from engine.clock import FrozenClock
from engine.crypto import Vault, generate_key
from engine.errors import Conflict, Forbidden, NotFound, UserError
from engine.i18n import translator
from engine.inbox import SyncOptions, SyncStatus, sync_mailbox
from engine.mail.tls import MailPolicy
from engine.mailboxes import (
    ImportReport,
    LoginState,
    RowStatus,
    check_mailboxes,
    import_mailboxes,
    list_mailboxes,
    pause_mailbox,
    resume_mailbox,
    set_mailbox_ca,
    show_mailbox,
)
from engine.stats import EventRecord, record_events
from models import Domain, Mailbox, Person, Workspace
from models.enums import AuthKind, EventKind, MailboxStatus, MailProvider, Platform, Role, TlsMode
from tests.harness.mailserver import MailServer
from tests.harness.rebinding import Rebinding

pytestmark = pytest.mark.usefixtures("orm")

NOW = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)
VAULT = Vault([generate_key()])


@pytest.fixture(scope="module")
def mail(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailServer]:
    with MailServer(tmp_path_factory.mktemp("mail"), domains=["alpha.test", "beta.test"], users_per_domain=6) as s:
        yield s


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
async def acme() -> Workspace:
    ws = await Workspace.create(slug="acme", name="Acme")
    await Domain.create(workspace=ws, name="alpha.test")
    await Person.create(id=7, platform=Platform.TELEGRAM, external_id="7")
    return ws


def manager(ws: Workspace, role: Role = Role.MANAGER) -> Actor:
    return Actor(person_id=7, platform=Platform.TELEGRAM, role=role, workspace_id=ws.id)


def hosts(
    mail: MailServer,
    *,
    smtp_port: int | None = None,
    smtp_tls: str = "starttls",
    imap_port: int | None = None,
    imap_tls: str = "plain",
) -> str:
    return (
        f"{mail.host},{smtp_port or mail.ports.submission},{smtp_tls},"
        f"{mail.host},{imap_port or mail.ports.imap},{imap_tls}"
    )


HEADER = "address,password,display_name,smtp_host,smtp_port,smtp_tls,imap_host,imap_port,imap_tls"


def harness_policy(
    mail: MailServer, *, ca: bool = True, private: bool = True, extra_ports: tuple[int, ...] = ()
) -> MailPolicy:
    """What an admin of a deployment with its own mail server sets: the harness's ports, its CA, loopback."""
    ports = frozenset({mail.ports.submission, mail.ports.submissions, mail.ports.imap, mail.ports.imaps, *extra_ports})
    return MailPolicy(ca_file=str(mail.cafile) if ca else None, allowed_ports=ports, allow_private_hosts=private)


async def run_import(
    mail: MailServer,
    ws: Workspace,
    clock: FrozenClock,
    text: str,
    *,
    encoding: str = "utf-8-sig",
    test: bool = True,
    policy: MailPolicy | None = None,
) -> ImportReport:
    data = text.encode(encoding)
    return await import_mailboxes(
        manager(ws), data, clock=clock, vault=VAULT, test=test, timeout_s=5.0, policy=policy or harness_policy(mail)
    )


async def test_import_tests_each_row_and_stores_only_the_good_ones(
    mail: MailServer, acme: Workspace, clock: FrozenClock
) -> None:
    await Workspace.create(slug="globex", name="Globex")
    implicit = hosts(mail, smtp_port=mail.ports.submissions, smtp_tls="ssl", imap_port=mail.ports.imaps, imap_tls="ssl")
    lines = [
        HEADER,
        f"user1@alpha.test,pw,Anna,{hosts(mail)}",
        f"USER2@Alpha.test,pw,Boris,{implicit}",
        f"user3@alpha.test,wrong,Vera,{hosts(mail)}",
        f"user4@alpha.test,pw,Gleb,{hosts(mail)},extra",
        f"user1@beta.test,pw,Foreign,{hosts(mail)}",
        f"not-an-address,pw,X,{hosts(mail)}",
        f"user1@alpha.test,pw,Again,{hosts(mail)}",
        "user5@alpha.test,,NoSecret,,,,,,",
    ]
    report = await run_import(mail, acme, clock, "\n".join(lines) + "\n")

    outcome = {(r.row, r.status, r.key) for r in report.rows}
    assert outcome == {
        (2, RowStatus.CREATED, "mailbox-import-created"),
        (3, RowStatus.CREATED, "mailbox-import-created"),
        (4, RowStatus.FAILED, "error-import-login-failed"),
        (5, RowStatus.INVALID, "error-import-row-malformed"),
        (6, RowStatus.INVALID, "error-import-domain-foreign"),
        (7, RowStatus.INVALID, "error-import-address-invalid"),
        (8, RowStatus.INVALID, "error-import-duplicate"),
        (9, RowStatus.INVALID, "error-import-secret-missing"),
    }
    failed = next(r for r in report.rows if r.row == 4)
    assert failed.test is not None
    assert (failed.test.smtp_key, failed.test.imap_key) == ("smtp-auth-failed", "error-imap-auth")
    # Dovecot's "[AUTHENTICATIONFAILED] Authentication failed." inside our sentence read "… failed.. Check …"
    for lang in ("ru", "en"):
        said = translator(lang)(failed.test.imap_key, **failed.test.imap_params)
        assert "Authentication failed. " in said and ".." not in said, said
    stored = {m.address: m for m in await Mailbox.all()}
    assert sorted(stored) == ["user1@alpha.test", "user2@alpha.test"]
    boris = stored["user2@alpha.test"]
    assert (boris.smtp_tls, boris.imap_tls, boris.display_name) == (TlsMode.IMPLICIT, TlsMode.IMPLICIT, "Boris")
    # a Fernet token (its base64 may spell "pw" by chance: check the form, not the absence of two letters)
    assert boris.secret_enc.startswith(b"gAAAAA") and VAULT.decrypt(boris.secret_enc) == "pw"
    assert boris.status is MailboxStatus.NEW and boris.last_ok_at == NOW


async def test_cp1251_semicolon_file_imports_and_reimport_updates(
    mail: MailServer, acme: Workspace, clock: FrozenClock
) -> None:
    text = (
        "Адрес;Пароль;Имя;smtp_host;smtp_port;smtp_tls;imap_host;imap_port;imap_tls\r\n"
        f"user1@alpha.test;pw;Анна Иванова;{hosts(mail).replace(',', ';')}\r\n"
    )
    first = await run_import(mail, acme, clock, text, encoding="cp1251")
    assert [(r.status, r.address) for r in first.rows] == [(RowStatus.CREATED, "user1@alpha.test")]
    assert (await Mailbox.get(address="user1@alpha.test")).display_name == "Анна Иванова"

    second = await run_import(mail, acme, clock, text.replace("Анна Иванова", "Анна П."), encoding="cp1251", test=False)
    assert [r.status for r in second.rows] == [RowStatus.UPDATED]
    assert await Mailbox.all().count() == 1
    assert (await Mailbox.get(address="user1@alpha.test")).display_name == "Анна П."


async def test_unreachable_host_and_tls_mismatch_are_reported_per_row(
    mail: MailServer, acme: Workspace, clock: FrozenClock
) -> None:
    lines = [
        HEADER,
        f"user1@alpha.test,pw,A,{hosts(mail, imap_port=1)}",
        f"user2@alpha.test,pw,B,{hosts(mail, smtp_tls='ssl')}",  # implicit TLS spoken to a STARTTLS port
        f"user3@alpha.test,pw,C,{hosts(mail, imap_port=mail.ports.imaps)}",  # plain text to the IMAPS port
    ]
    report = await run_import(mail, acme, clock, "\n".join(lines), policy=harness_policy(mail, extra_ports=(1,)))
    tests = {r.address: r.test for r in report.rows}
    assert {r.status for r in report.rows} == {RowStatus.FAILED}
    assert tests["user1@alpha.test"] is not None and tests["user1@alpha.test"].imap_key == "error-imap-connect"
    refused = translator("ru")("error-imap-connect", **tests["user1@alpha.test"].imap_params)
    assert "соединение отклонено" in refused and "refused" not in refused, refused  # the reason in Russian
    assert tests["user1@alpha.test"].smtp_ok
    assert tests["user2@alpha.test"] is not None and not tests["user2@alpha.test"].smtp_ok
    assert tests["user2@alpha.test"].smtp_key.startswith("smtp-tls") and tests["user2@alpha.test"].imap_ok
    assert tests["user3@alpha.test"] is not None and tests["user3@alpha.test"].imap_key == "error-imap-no-greeting"
    assert await Mailbox.all().count() == 0


async def test_a_concurrent_import_of_the_same_address_writes_nothing(
    mail: MailServer, acme: Workspace, clock: FrozenClock, database_url: str
) -> None:
    """The import blocks on a row another transaction is inserting; when that commits, the import rolls back
    its other rows too."""
    domain = await Domain.get(name="alpha.test")
    other = await asyncpg.connect(database_url)
    try:
        await other.execute("BEGIN")
        await other.execute(
            "INSERT INTO mailbox (workspace_id, domain_id, address, display_name, provider, smtp_host, smtp_port, "
            "smtp_tls, imap_host, imap_port, imap_tls, username, auth_kind, secret_enc, status, warmup_weeks, "
            "daily_cap, last_error, auth_failures, created_at) VALUES ($1, $2, 'user2@alpha.test', '', 'generic', "
            "'h', 1, 'plain', 'h', 1, 'plain', 'u', 'password', ''::bytea, 'new', 6, 1, '', 0, now())",
            acme.id,
            domain.id,
        )
        text = f"{HEADER}\nuser1@alpha.test,pw,A,{hosts(mail)}\nuser2@alpha.test,pw,B,{hosts(mail)}\n"
        task = asyncio.create_task(run_import(mail, acme, clock, text, test=False))
        await asyncio.sleep(0.5)  # the import has written user1 and now waits on user2's unique key
        assert not task.done()
        await other.execute("COMMIT")
        with pytest.raises(Conflict) as raised:
            await task
        assert raised.value.key == "error-import-concurrent"
    finally:
        await other.close()
    assert [m.address for m in await Mailbox.all()] == ["user2@alpha.test"]


async def test_list_show_pause_resume_and_roles(mail: MailServer, acme: Workspace, clock: FrozenClock) -> None:
    await Domain.create(workspace=acme, name="beta.test")
    rows = [f"user{n}@alpha.test,pw,,{hosts(mail)}" for n in range(1, 5)] + [f"user1@beta.test,pw,,{hosts(mail)}"]
    await run_import(mail, acme, clock, HEADER + "\n" + "\n".join(rows), test=False)
    actor = manager(acme)

    page = await list_mailboxes(actor, page=2, per_page=2, domain="alpha.test")
    assert (page.total, page.pages, [m.address for m in page.items]) == (4, 2, ["user3@alpha.test", "user4@alpha.test"])
    await pause_mailbox(actor, "user1@alpha.test", clock=clock)
    paused = await list_mailboxes(actor, status="paused")
    assert [m.address for m in paused.items] == ["user1@alpha.test"]
    with pytest.raises(Conflict):
        await pause_mailbox(actor, "user1@alpha.test", clock=clock)
    resumed = await resume_mailbox(actor, "USER1@alpha.test", clock=clock)
    assert resumed.status is MailboxStatus.WARMING
    with pytest.raises(Conflict):
        await resume_mailbox(actor, "user1@alpha.test", clock=clock)

    box = await Mailbox.get(address="user2@alpha.test")
    await record_events([EventRecord(acme.id, EventKind.REPLY, NOW, box.id, box.domain_id)])
    details = await show_mailbox(actor, "user2@alpha.test", clock=clock)
    assert details.today["replies"] == 1 and details.summary.status is MailboxStatus.NEW
    assert details.provider is MailProvider.GENERIC and details.imap.port == mail.ports.imap

    client = manager(acme, Role.CLIENT)
    assert (await list_mailboxes(client)).total == 5
    with pytest.raises(Forbidden):
        await pause_mailbox(client, "user2@alpha.test", clock=clock)
    stranger = Actor(person_id=9, platform=Platform.SLACK, role=Role.MANAGER, workspace_id=acme.id + 1)
    with pytest.raises((NotFound, Forbidden)):
        await show_mailbox(stranger, "user2@alpha.test", clock=clock)


async def test_check_mailboxes_remembers_success_and_failure(
    mail: MailServer, acme: Workspace, clock: FrozenClock
) -> None:
    text = f"{HEADER}\nuser1@alpha.test,pw,,{hosts(mail)}\nuser2@alpha.test,wrong,,{hosts(mail)}\n"
    await run_import(mail, acme, clock, text, test=False)
    clock.advance(dt.timedelta(hours=1))

    results = await check_mailboxes(
        manager(acme), "all", clock=clock, vault=VAULT, timeout_s=5.0, policy=harness_policy(mail)
    )

    assert [(r.address, r.test.ok) for r in results] == [("user1@alpha.test", True), ("user2@alpha.test", False)]
    good, bad = await Mailbox.get(address="user1@alpha.test"), await Mailbox.get(address="user2@alpha.test")
    assert good.last_ok_at == clock.now()
    assert bad.last_error.startswith("smtp-auth-failed") and bad.auth_kind is AuthKind.PASSWORD


def starttls_row(mail: MailServer, address: str, *, ca: str | None = None) -> str:
    """A row that logs in over STARTTLS on both protocols, optionally with its own CA (quoted: a PEM has lines)."""
    row = f"{address},pw,,{hosts(mail, imap_tls='starttls')}"
    return row if ca is None else row + ',"' + ca + '"'


async def test_starttls_import_fails_with_the_trust_message_without_the_ca_and_works_with_it(
    mail: MailServer, acme: Workspace, clock: FrozenClock
) -> None:
    text = f"{HEADER}\n{starttls_row(mail, 'user1@alpha.test')}\n"

    untrusted = await run_import(mail, acme, clock, text, policy=harness_policy(mail, ca=False))

    [row] = untrusted.rows
    assert (row.status, row.key) == (RowStatus.FAILED, "error-import-login-unchecked")
    assert row.test is not None and row.test.state is LoginState.UNCHECKED
    for key, params in ((row.test.smtp_key, row.test.smtp_params), (row.test.imap_key, row.test.imap_params)):
        assert key == "mail-certificate-untrusted"
        assert "CN=Mailfleet Test CA" in params["issuer"] and params["host"] == mail.host
        assert params["reason"] == "unable to get local issuer certificate" and "127.0.0.1" in params["names"]
    assert await Mailbox.all().count() == 0

    trusted = await run_import(mail, acme, clock, text, policy=harness_policy(mail, ca=True))
    assert [(r.status, r.plaintext) for r in trusted.rows] == [(RowStatus.CREATED, ())]
    assert (await Mailbox.get(address="user1@alpha.test")).tls_ca_pem == ""


async def test_a_ca_column_trusts_a_private_server_per_mailbox_and_is_used_later(
    mail: MailServer, acme: Workspace, clock: FrozenClock
) -> None:
    ca = mail.cafile.read_text()
    no_global_ca = harness_policy(mail, ca=False)
    rows = [starttls_row(mail, "user1@alpha.test", ca=ca), starttls_row(mail, "user2@alpha.test", ca="")]
    text = f"{HEADER},ca\n" + "\n".join(rows) + "\n"

    report = await run_import(mail, acme, clock, text, policy=no_global_ca)

    assert [(r.address, r.status) for r in report.rows] == [
        ("user1@alpha.test", RowStatus.CREATED),
        ("user2@alpha.test", RowStatus.FAILED),
    ]
    stored = await Mailbox.get(address="user1@alpha.test")
    assert "-----BEGIN CERTIFICATE-----" in stored.tls_ca_pem and stored.tls_ca_pem.strip() == ca.strip()
    clock.advance(dt.timedelta(minutes=5))
    [checked] = await check_mailboxes(manager(acme), "user1@alpha.test", clock=clock, vault=VAULT, policy=no_global_ca)
    assert checked.test.ok and (await Mailbox.get(id=stored.id)).last_ok_at == clock.now()


async def test_a_bad_ca_cell_is_a_row_error(mail: MailServer, acme: Workspace, clock: FrozenClock) -> None:
    key_pem = (mail.base_dir / "tls" / "key.pem").read_text()
    rows = [
        starttls_row(mail, "user1@alpha.test", ca="not a certificate"),
        starttls_row(mail, "user2@alpha.test", ca=key_pem),
    ]
    report = await run_import(mail, acme, clock, f"{HEADER},ca\n" + "\n".join(rows) + "\n")
    assert [(r.status, r.key) for r in report.rows] == [
        (RowStatus.INVALID, "error-ca-invalid"),
        (RowStatus.INVALID, "error-ca-private-key"),
    ]


async def test_ports_and_private_hosts_need_the_admin_settings(
    mail: MailServer, acme: Workspace, clock: FrozenClock
) -> None:
    text = f"{HEADER}\nuser1@alpha.test,pw,,{hosts(mail)}\n"

    default = await run_import(mail, acme, clock, text, policy=MailPolicy(ca_file=str(mail.cafile)))
    [row] = default.rows
    assert (row.status, row.key, row.params["setting"]) == (
        RowStatus.INVALID, "error-mail-port-not-allowed", "MAIL_ALLOWED_PORTS",
    )  # fmt: skip
    assert row.params["port"] == str(mail.ports.submission) and row.params["allowed"] == "25, 143, 465, 587, 993, 2525"

    private = await run_import(mail, acme, clock, text, policy=harness_policy(mail, private=False))
    [row] = private.rows
    assert (row.status, row.key, row.params["ip"], row.params["setting"]) == (
        RowStatus.INVALID, "error-mail-host-private", "127.0.0.1", "MAIL_ALLOW_PRIVATE_HOSTS",
    )  # fmt: skip
    assert await Mailbox.all().count() == 0


async def test_plaintext_rows_are_stored_with_a_warning(mail: MailServer, acme: Workspace, clock: FrozenClock) -> None:
    report = await run_import(mail, acme, clock, f"{HEADER}\nuser1@alpha.test,pw,,{hosts(mail)}\n")
    assert [(r.status, r.plaintext) for r in report.rows] == [(RowStatus.CREATED, ("IMAP",))]
    details = await show_mailbox(manager(acme), "user1@alpha.test", clock=clock)
    assert details.plaintext == ("IMAP",) and details.check is LoginState.OK


async def test_a_nul_in_a_display_name_refuses_the_file_and_writes_nothing(
    mail: MailServer, acme: Workspace, clock: FrozenClock
) -> None:
    text = f"{HEADER}\nuser1@alpha.test,pw,Anna,{hosts(mail)}\nuser2@alpha.test,pw,Bo\x00ris,{hosts(mail)}\n"
    with pytest.raises(UserError) as raised:
        await run_import(mail, acme, clock, text)
    assert (raised.value.key, raised.value.params) == ("error-upload-binary", {"lines": "3", "count": 1})
    assert await Mailbox.all().count() == 0


async def test_could_not_check_is_remembered_as_such_never_as_ok(
    mail: MailServer, acme: Workspace, clock: FrozenClock
) -> None:
    await run_import(mail, acme, clock, f"{HEADER}\n{starttls_row(mail, 'user1@alpha.test')}\n")
    clock.advance(dt.timedelta(hours=1))

    [result] = await check_mailboxes(
        manager(acme), "all", clock=clock, vault=VAULT, timeout_s=5.0, policy=harness_policy(mail, ca=False)
    )

    assert result.test.state is LoginState.UNCHECKED and not result.test.ok
    details = await show_mailbox(manager(acme), "user1@alpha.test", clock=clock)
    assert (details.check, details.checked_at) == (LoginState.UNCHECKED, clock.now())
    assert details.check_error.startswith("unable to get local issuer certificate")
    assert "CN=Mailfleet Test CA" in details.check_error

    blocked = await check_mailboxes(
        manager(acme), "all", clock=clock, vault=VAULT, timeout_s=5.0, policy=MailPolicy(ca_file=str(mail.cafile))
    )
    assert [(r.test.smtp_key, r.test.state) for r in blocked] == [("error-mail-port-not-allowed", LoginState.UNCHECKED)]


async def test_mailbox_ca_is_stored_only_when_the_logins_work_with_it(
    mail: MailServer, acme: Workspace, clock: FrozenClock, tmp_path_factory: pytest.TempPathFactory
) -> None:
    await run_import(mail, acme, clock, f"{HEADER}\n{starttls_row(mail, 'user1@alpha.test')}\n")
    no_global_ca = harness_policy(mail, ca=False)
    other_ca = tmp_path_factory.mktemp("other-ca") / "ca.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-days", "30", "-subj", "/CN=Some Other CA", "-keyout", str(other_ca.with_suffix(".key")),
         "-out", str(other_ca)],
        check=True, capture_output=True,
    )  # fmt: skip

    wrong = await set_mailbox_ca(
        manager(acme), "user1@alpha.test", other_ca.read_bytes(), clock=clock, vault=VAULT, policy=no_global_ca
    )
    assert (wrong.stored, wrong.test.smtp_key) == (False, "mail-certificate-untrusted")
    assert (await Mailbox.get(address="user1@alpha.test")).tls_ca_pem == ""

    right = await set_mailbox_ca(
        manager(acme), "user1@alpha.test", mail.cafile.read_bytes(), clock=clock, vault=VAULT, policy=no_global_ca
    )
    assert (right.stored, right.certificates) == (True, 1)
    assert (await Mailbox.get(address="user1@alpha.test")).tls_ca_pem.startswith("-----BEGIN CERTIFICATE-----")

    back = await set_mailbox_ca(manager(acme), "user1@alpha.test", None, clock=clock, vault=VAULT, policy=no_global_ca)
    assert not back.stored  # the default trust does not know the private CA: the working one stays
    assert (await Mailbox.get(address="user1@alpha.test")).tls_ca_pem != ""
    with pytest.raises(Forbidden):
        await set_mailbox_ca(manager(acme, Role.CLIENT), "user1@alpha.test", None, clock=clock, vault=VAULT)


def named(mail: MailServer, host: str) -> str:
    """SMTP with STARTTLS and implicit-TLS IMAP at `host`: both verify the certificate against the name."""
    return f"{host},{mail.ports.submission},starttls,{host},{mail.ports.imaps},ssl"


async def test_the_login_test_connects_to_the_vetted_address_and_never_resolves_again(
    mail: MailServer, acme: Workspace, clock: FrozenClock
) -> None:
    # 127.0.0.2 is loopback where nothing listens: a client that asked again would be refused
    resolver = Rebinding(["127.0.0.1"], ["127.0.0.2"])
    policy = dataclasses.replace(harness_policy(mail), resolver=resolver)
    report = await run_import(
        mail, acme, clock, f"{HEADER}\nuser1@alpha.test,pw,,{named(mail, 'localhost')}\n", policy=policy
    )
    assert [(r.status, r.key) for r in report.rows] == [(RowStatus.CREATED, "mailbox-import-created")]
    # one question per endpoint for the reach check and the login test together
    assert sorted(resolver.asked) == sorted([("localhost", mail.ports.submission), ("localhost", mail.ports.imaps)])


async def test_the_vetted_answer_is_used_even_where_the_system_would_answer_otherwise(
    mail: MailServer, acme: Workspace, clock: FrozenClock
) -> None:
    # the system resolves localhost to 127.0.0.1 where the servers listen; the vetted answer says 127.0.0.2
    policy = dataclasses.replace(harness_policy(mail), resolver=Rebinding(["127.0.0.2"], ["127.0.0.1"]))
    report = await run_import(
        mail, acme, clock, f"{HEADER}\nuser1@alpha.test,pw,,{named(mail, 'localhost')}\n", policy=policy
    )
    [row] = report.rows
    assert row.status is RowStatus.FAILED and row.test is not None
    assert (row.test.smtp_key, row.test.imap_key) == ("smtp-connect-refused", "error-imap-connect")
    assert await Mailbox.all().count() == 0


async def test_tls_is_verified_against_the_host_name_not_the_vetted_address(
    mail: MailServer, acme: Workspace, clock: FrozenClock
) -> None:
    # the harness certificate is for IP:127.0.0.1 and localhost; this name resolves only through the policy
    policy = dataclasses.replace(harness_policy(mail), resolver=Rebinding(["127.0.0.1"], ["127.0.0.2"]))
    text = f"{HEADER}\nuser1@alpha.test,pw,,{named(mail, 'mail.rebind.invalid')}\n"
    report = await run_import(mail, acme, clock, text, policy=policy)
    [row] = report.rows
    assert row.status is RowStatus.FAILED and row.test is not None
    assert (row.test.smtp_key, row.test.imap_key) == ("mail-certificate-untrusted", "mail-certificate-untrusted")
    # the unverified second look that names the issuer went to the vetted address too (the name has no other)
    assert row.test.smtp_params["issuer"] != "?" and "localhost" in row.test.imap_params["names"]


async def test_an_inbox_sync_does_not_make_a_refused_smtp_login_look_checked(
    mail: MailServer, acme: Workspace, clock: FrozenClock
) -> None:
    # SMTP pointed at the MX port, which offers no AUTH: the server refuses the login; IMAP works
    row = f"user1@alpha.test,pw,,{hosts(mail, smtp_port=mail.ports.mx)}"
    policy = harness_policy(mail, extra_ports=(mail.ports.mx,))
    await run_import(mail, acme, clock, f"{HEADER}\n{row}\n", test=False, policy=policy)
    [tested] = await check_mailboxes(manager(acme), "all", clock=clock, vault=VAULT, timeout_s=5.0, policy=policy)
    assert (tested.test.smtp_state, tested.test.imap_ok) == (LoginState.REFUSED, True)
    refused_at = clock.now()

    clock.advance(dt.timedelta(minutes=5))
    box = await Mailbox.get(address="user1@alpha.test")
    synced = await sync_mailbox(SYSTEM, box.id, clock=clock, vault=VAULT, options=SyncOptions(timeout_s=10.0))
    assert synced.status is SyncStatus.OK
    assert (await Mailbox.get(id=box.id)).last_ok_at == clock.now()  # the sync did succeed, later than the test

    details = await show_mailbox(manager(acme), "user1@alpha.test", clock=clock)
    assert (details.check, details.checked_at) == (LoginState.REFUSED, refused_at)  # not ✅: SMTP is still refused

    # a login test of both sides that works disproves it
    await Mailbox.filter(id=box.id).update(smtp_port=mail.ports.submission)
    clock.advance(dt.timedelta(minutes=5))
    [fixed] = await check_mailboxes(manager(acme), "all", clock=clock, vault=VAULT, timeout_s=5.0, policy=policy)
    assert fixed.test.ok
    details = await show_mailbox(manager(acme), "user1@alpha.test", clock=clock)
    assert (details.check, details.checked_at, details.check_error) == (LoginState.OK, clock.now(), "")


async def test_an_smtp_port_that_is_not_smtp_says_so_not_temporary_error_will_retry(
    mail: MailServer, acme: Workspace, clock: FrozenClock
) -> None:
    """The IMAP port given as the SMTP port: the server greets in another protocol. The row names the port and
    what to check; it is no "temporary error, will retry" (an import test never retries)."""
    lines = [HEADER, f"user1@alpha.test,pw,A,{hosts(mail, smtp_port=mail.ports.imap)}"]
    report = await run_import(mail, acme, clock, "\n".join(lines))
    (row,) = report.rows
    assert row.status is RowStatus.FAILED and row.test is not None
    assert (row.test.smtp_key, row.test.smtp_state) == ("smtp-not-smtp", LoginState.UNCHECKED)
    for locale in ("ru", "en"):
        text = translator(locale)(row.test.smtp_key, **row.test.smtp_params)
        assert f"{mail.host}:{mail.ports.imap}" in text and "{" not in text, text
        assert "* OK [CAPABILITY" in text and "Malformed" not in text and "(-1" not in text, text  # the server's
    assert await Mailbox.all().count() == 0


async def test_an_imap_port_that_is_not_imap_says_so_not_temporarily_unavailable(
    mail: MailServer, acme: Workspace, clock: FrozenClock
) -> None:
    lines = [HEADER, f"user1@alpha.test,pw,A,{hosts(mail, imap_port=mail.ports.submission)}"]
    report = await run_import(mail, acme, clock, "\n".join(lines))
    (row,) = report.rows
    assert row.status is RowStatus.FAILED and row.test is not None
    assert (row.test.imap_key, row.test.imap_state) == ("error-imap-not-imap", LoginState.UNCHECKED)
    for locale in ("ru", "en"):
        text = translator(locale)(row.test.imap_key, **row.test.imap_params)
        assert f"{mail.host}:{mail.ports.submission}" in text and "ESMTP" in text and "{" not in text, text


async def test_starttls_asked_of_an_imap_server_that_does_not_offer_it_is_named_in_the_readers_language(
    mail: MailServer, acme: Workspace, clock: FrozenClock
) -> None:
    async def plain_imap(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] plain only\r\n")
        while line := await reader.readline():
            tag, _, command = line.decode().strip().partition(" ")
            if command.upper().startswith("CAPABILITY"):
                writer.write(f"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n{tag} OK done\r\n".encode())
            else:
                writer.write(f"* BYE\r\n{tag} OK bye\r\n".encode())
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(plain_imap, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        lines = [HEADER, f"user1@alpha.test,pw,A,{hosts(mail, imap_port=port, imap_tls='starttls')}"]
        report = await run_import(mail, acme, clock, "\n".join(lines), policy=harness_policy(mail, extra_ports=(port,)))
    finally:
        server.close()
    (row,) = report.rows
    assert row.test is not None and (row.test.imap_key, row.test.imap_state) == (
        "error-imap-no-starttls",
        LoginState.UNCHECKED,
    )
    russian = translator("ru")(row.test.imap_key, **row.test.imap_params)
    assert "STARTTLS" in russian and "does not" not in russian and f":{port}" in russian, russian
    assert await Mailbox.all().count() == 0


@pytest.fixture(scope="module")
def app_mail(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailServer]:
    """Mailboxes whose passwords are app passwords (what Google and Yandex hand out), and one passphrase."""
    users = [("user1@alpha.test", "abcdefghijklmnop"), ("user2@alpha.test", "blue fish tree moon")]
    with MailServer(tmp_path_factory.mktemp("app"), domains=["alpha.test"], users=users) as s:
        yield s


async def test_an_app_password_copied_with_its_spaces_is_stored_without_them(
    app_mail: MailServer, acme: Workspace, clock: FrozenClock
) -> None:
    """An app password is shown in groups of four ("abcd efgh ijkl mnop") and copied so into the file; the servers
    refused it and the row failed as a wrong password, though the password was right. It is tried without its
    spaces now, and stored as it worked; a passphrase that works with its spaces keeps them."""
    text = f"{HEADER}\nuser1@alpha.test,abcd efgh ijkl mnop,,{hosts(app_mail)}\n"
    text += f"user2@alpha.test,blue fish tree moon,,{hosts(app_mail)}\n"

    report = await run_import(app_mail, acme, clock, text)

    assert [(r.address, r.status) for r in report.rows] == [
        ("user1@alpha.test", RowStatus.CREATED),
        ("user2@alpha.test", RowStatus.CREATED),
    ]
    secrets = {m.address: VAULT.decrypt(m.secret_enc) for m in await Mailbox.all()}
    assert secrets == {"user1@alpha.test": "abcdefghijklmnop", "user2@alpha.test": "blue fish tree moon"}
    results = await check_mailboxes(
        manager(acme), "all", clock=clock, vault=VAULT, timeout_s=5.0, policy=harness_policy(app_mail)
    )
    assert [r.test.state for r in results] == [LoginState.OK, LoginState.OK]

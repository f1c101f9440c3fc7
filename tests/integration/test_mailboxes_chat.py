"""Mailbox commands as a manager uses them in chat, against real Postfix + Dovecot and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from arq import create_pool
from arq.connections import RedisSettings

from bot.runner import Runner
from engine.alerts import INBOX_UNREADABLE_DISABLED, raise_alert
from engine.clock import FrozenClock, local_time
from engine.crypto import Vault, generate_key
from engine.i18n import translator
from engine.inbox import SyncOptions
from engine.reply import Attachment, Reply
from engine.settings import Settings, load_settings
from engine.stats import workspace_zone
from jobs.worker import create_worker
from models import Domain, FolderState, Mailbox, Workspace
from models.enums import MailboxStatus, MailProvider, Platform, Severity, TlsMode
from tests.conftest import REDIS_URL
from tests.harness.mailserver import MailServer

NOW = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)
TG = Platform.TELEGRAM
EN = translator("en")
pytestmark = pytest.mark.usefixtures("orm")


@pytest.fixture(scope="module")
def mail(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailServer]:
    with MailServer(tmp_path_factory.mktemp("mail"), domains=["alpha.test", "beta.test"], users_per_domain=3) as s:
        yield s


@pytest.fixture
async def runner(mail: MailServer) -> Runner:
    services = {"vault": Vault([generate_key()]), "settings": mail_settings(mail), "mail_test_timeout_s": 10.0}
    r = Runner(FrozenClock(NOW), admins={TG: {"1"}}, services=services)
    await say(r, "/lang en")
    await say(r, "/workspace_new acme ACME")
    await say(r, "/domain_add alpha.test")
    return r


def mail_settings(mail: MailServer, **overrides: object) -> Settings:
    """An admin's settings for a deployment whose mail server is the harness: its CA, its ports, loopback."""
    ports = [mail.ports.submission, mail.ports.submissions, mail.ports.imap, mail.ports.imaps]
    values: dict[str, object] = {
        "mail_ca_file": mail.cafile,
        "mail_allowed_ports": ports,
        "mail_allow_private_hosts": True,
    }
    return load_settings(**(values | overrides))


async def say(runner: Runner, line: str, file: Attachment | None = None) -> Reply:
    return await runner.run_line(runner.identity(TG, "1", "Admin", "en"), "chat", line, file)


async def stored(ws: Workspace, domain: Domain, address: str, status: MailboxStatus = MailboxStatus.ACTIVE) -> None:
    """A mailbox row as an import would leave it, its servers out of reach (port 1: a test never gets through)."""
    await Mailbox.create(
        workspace=ws, domain=domain, address=address, provider=MailProvider.GENERIC, smtp_host="127.0.0.1",
        smtp_port=1, smtp_tls=TlsMode.STARTTLS, imap_host="127.0.0.1", imap_port=1, imap_tls=TlsMode.PLAIN,
        username=address.partition("@")[0], secret_enc=b"x", status=status,
    )  # fmt: skip


def _csv(mail: MailServer, rows: list[tuple[str, str, str]]) -> bytes:
    hosts = f"{mail.host};{mail.ports.submission};starttls;{mail.host};{mail.ports.imap};plain"
    lines = ["адрес;пароль;имя;smtp_host;smtp_port;smtp_tls;imap_host;imap_port;imap_tls"]
    lines += [f"{address};{password};{name};{hosts}" for address, password, name in rows]
    return "\n".join(lines).encode("cp1251")


async def test_import_tests_every_row_and_stores_only_what_works(runner: Runner, mail: MailServer) -> None:
    csv = _csv(
        mail,
        [
            ("user1@alpha.test", "pw", "Анна Петрова"),
            ("user2@alpha.test", "wrong-password", "Борис"),
            ("not-an-address", "pw", "X"),
            ("user1@beta.test", "pw", "Чужой домен"),
        ],
    )
    reply = await say(runner, "/mailbox_import", Attachment("boxes.csv", csv))
    text = reply.plain_text()
    assert not reply.ok
    assert EN("mailbox-import-result", created=1, updated=0, invalid=2, failed=1) in text
    assert EN("mailbox-import-partial") in text  # one stored, three not: said in words
    assert "Row 3 (user2@alpha.test)" in text and "SMTP ❌" in text
    assert EN("error-import-domain-foreign", domain="beta.test") in text
    assert [m.address for m in await Mailbox.all()] == ["user1@alpha.test"]
    stored = await Mailbox.get(address="user1@alpha.test")
    assert stored.display_name == "Анна Петрова" and stored.secret_enc.startswith(b"gAAAAA")  # a Fernet token

    again = await say(
        runner, "/mailbox_import", Attachment("boxes.csv", _csv(mail, [("user1@alpha.test", "pw", "Анна")]))
    )
    assert EN("mailbox-import-result", created=0, updated=1, invalid=0, failed=0) in again.plain_text()
    assert EN("mailbox-import-partial") not in again.plain_text()
    assert await Mailbox.all().count() == 1


async def test_list_card_test_pause_and_resume(runner: Runner, mail: MailServer) -> None:
    await say(
        runner,
        "/mailbox_import",
        Attachment("b.csv", _csv(mail, [(f"user{i}@alpha.test", "pw", "") for i in (1, 2, 3)])),
    )
    listing = await say(runner, "/mailboxes")
    assert "Mailboxes: 3" in listing.plain_text() and "user3@alpha.test" in listing.plain_text()
    assert EN("mailboxes-line-cap", cap=30) in listing.plain_text() and "/day" not in listing.plain_text()
    tested = await say(runner, "/mailbox_test all")
    assert tested.ok and EN("mailbox-test-result", ok=3, refused=0, unchecked=0) in tested.plain_text()
    paused = await say(runner, "/mailbox_pause user2@alpha.test")
    assert paused.ok and (await Mailbox.get(address="user2@alpha.test")).status is MailboxStatus.PAUSED
    only_paused = (await say(runner, "/mailboxes status=paused")).plain_text()
    assert "user2@alpha.test" in only_paused and "user1@alpha.test" not in only_paused
    card = (await say(runner, "/mailbox user2@alpha.test")).plain_text()
    assert EN("mailbox-status-paused") in card and f"{mail.host}:{mail.ports.submission} (STARTTLS)" in card
    assert f"{EN('mail-provider-generic')} ·" in card and "generic" not in card  # said in words, not as stored
    resumed = await say(runner, "/mailbox_resume user2@alpha.test")
    assert resumed.ok and (await Mailbox.get(address="user2@alpha.test")).status is MailboxStatus.WARMING
    assert not (await say(runner, "/mailbox_resume user2@alpha.test")).ok  # not paused any more
    assert (
        EN("error-mailbox-not-found", address="nobody@alpha.test")
        in (await say(runner, "/mailbox nobody@alpha.test")).plain_text()
    )
    bad_filter = await say(runner, "/mailboxes colour=red")
    assert not bad_filter.ok and "colour=red" in bad_filter.plain_text()


async def test_a_missing_csv_is_asked_for(runner: Runner) -> None:
    reply = await say(runner, "/mailbox_import")
    assert not reply.ok and reply.awaiting == ("mailbox_import", [])


@pytest.mark.usefixtures("redis")  # an empty queue: a burst worker waits for every job left in it
async def test_the_inbox_cron_reads_every_imported_mailbox(runner: Runner, mail: MailServer, database_url: str) -> None:
    await say(runner, "/mailbox_import", Attachment("b.csv", _csv(mail, [("user1@alpha.test", "pw", "")])))
    options = SyncOptions(ssl_context=mail.ssl_context(), timeout_s=10)
    worker = create_worker(
        REDIS_URL,
        burst=True,
        crons=False,
        ctx={
            "database_url": database_url,
            "db_ready": True,
            "vault": runner.services["vault"],
            "clock": runner.clock,
            "inbox_options": options,
        },
    )
    pool = await create_pool(RedisSettings.from_dsn(REDIS_URL))
    try:
        await pool.enqueue_job("sync_inboxes")
        await worker.main()
    finally:
        await worker.close()
        await pool.aclose()
    assert worker.jobs_failed == 0
    assert await FolderState.filter(mailbox__address="user1@alpha.test", folder="INBOX").exists()


async def test_page_buttons_keep_the_filters_the_list_was_read_with(runner: Runner) -> None:
    """/mailboxes domain=… status=…: its page buttons turn the page of that same list (they once dropped the
    filters and showed page 2 of every mailbox); the button carries ids, within Telegram's 64 bytes."""
    await say(runner, "/domain_add beta.test")
    ws = await Workspace.get(slug="acme")
    domains = {d.name: d for d in await Domain.filter(workspace=ws)}
    for name in ("alpha.test", "beta.test"):
        for i in range(25):
            await stored(ws, domains[name], f"u{i:02}@{name}", MailboxStatus.PAUSED if i % 2 else MailboxStatus.ACTIVE)
    first = await say(runner, "/mailboxes domain=beta.test status=paused")
    assert EN("mailboxes-title", total=12, page=1, pages=1) in first.plain_text()
    first = await say(runner, "/mailboxes domain=beta.test")
    assert EN("mailboxes-title", total=25, page=1, pages=2) in first.plain_text()
    [[forward]] = first.buttons
    assert forward.command == "mailboxes" and forward.arg == f"2.d{domains['beta.test'].id}"
    second = await say(runner, f"/{forward.command} {forward.arg}")
    text = second.plain_text()
    assert EN("mailboxes-title", total=25, page=2, pages=2) in text
    assert "@beta.test" in text and "@alpha.test" not in text
    paused = await say(runner, "/mailboxes status=paused")
    [[forward]] = paused.buttons
    assert forward.arg == "2.spaused"
    lines = (await say(runner, f"/mailboxes {forward.arg}")).plain_text().split("\n")
    assert lines[0] == EN("mailboxes-title", total=24, page=2, pages=2)
    assert lines[2:] and all("(paused" in line for line in lines[2:])


async def test_a_mailbox_at_an_idn_domain_is_named_in_unicode_in_every_mailbox_reply(runner: Runner) -> None:
    """The list, the card, a login test, pause and resume (and its refusal) named anna@пример.рф as stored,
    anna@xn--e1afmkfd.xn--p1ai; alerts and reports already said it in Unicode."""
    await say(runner, "/domain_add пример.рф")
    ws = await Workspace.get(slug="acme")
    domain = await Domain.get(name="xn--e1afmkfd.xn--p1ai")
    await stored(ws, domain, "anna@xn--e1afmkfd.xn--p1ai")
    replies = {
        line: (await say(runner, line)).plain_text()
        for line in (
            "/mailboxes",
            "/mailboxes domain=пример.рф",
            "/mailbox anna@пример.рф",
            "/mailbox_test anna@пример.рф",
            "/mailbox_pause anna@пример.рф",
            "/mailbox_resume anna@пример.рф",
            "/mailbox_resume anna@пример.рф",
        )
    }
    for line, text in replies.items():
        assert "anna@пример.рф" in text and "xn--" not in text, (line, text)


async def test_an_empty_filtered_list_is_not_told_to_import_mailboxes(runner: Runner) -> None:
    """'/mailboxes status=paused' with none paused, and a domain typed wrong, answered 'No mailboxes yet.
    Import them: /mailbox_import…' to a workspace full of mailboxes."""
    ws = await Workspace.get(slug="acme")
    domain = await Domain.get(name="alpha.test")
    await stored(ws, domain, "u1@alpha.test")
    paused = await say(runner, "/mailboxes status=paused")
    assert paused.plain_text() == EN("mailboxes-none-filtered")
    typo = await say(runner, "/mailboxes domain=alpah.test")
    assert typo.plain_text() == EN("error-domain-not-found-manage", name="alpah.test")
    assert "u1@alpha.test" in (await say(runner, "/mailboxes domain=alpha.test status=active")).plain_text()


async def test_the_card_of_a_disabled_mailbox_whose_inbox_fails_says_when_it_was_tried_why_and_when_next(
    runner: Runner,
) -> None:
    """Before: the card of a disabled mailbox whose inbox could not be read said only why it had been disabled, or
    (the read's error written over it) only the read's error: never both, nor when the read will be tried again."""
    ws = await Workspace.get(slug="acme")
    domain = await Domain.get(name="alpha.test")
    await stored(ws, domain, "anna@alpha.test", MailboxStatus.DISABLED)
    failed = NOW - dt.timedelta(minutes=30)
    await Mailbox.filter(address="anna@alpha.test").update(
        last_error="smtp-auth-failed: 535 5.7.8", last_error_at=NOW - dt.timedelta(days=1), auth_failures=3,
        read_error="error-imap-connect: connection-refused", read_error_at=failed, read_failures=3,
    )  # fmt: skip
    card = (await say(runner, "/mailbox anna@alpha.test")).plain_text()
    assert EN("mail-problem-smtp-auth-failed") in card  # why it is disabled, as before
    zone = await workspace_zone(ws.id)
    error = f"{EN('mail-problem-imap-connect')}: {EN('mail-detail', detail=EN('mail-text', text='connection-refused'))}"
    expected = EN(
        "mailbox-late-read", when=local_time(failed, zone), error=error, failures=3,
        next=local_time(failed + dt.timedelta(hours=1), zone),  # 15 min, doubled twice: the third failure in a row
    )  # fmt: skip
    assert expected in card


async def test_a_login_test_of_a_disabled_mailbox_keeps_why_it_was_disabled_and_shows_its_result_apart(
    runner: Runner, mail: MailServer
) -> None:
    """Before: `/mailbox_test` on a disabled mailbox wrote its own failure over the error the mailbox was disabled
    for (a server that did not answer replaced the SMTP 535), and a test that worked erased it: the card no longer
    said why the mailbox sends nothing. Now the card keeps the cause and says the test's result apart."""
    await say(runner, "/mailbox_import", Attachment("b.csv", _csv(mail, [("user1@alpha.test", "pw", "")])))
    cause = "smtp-auth-failed: 535 5.7.8 Error: authentication failed"
    vault: Vault = runner.services["vault"]
    await Mailbox.filter(address="user1@alpha.test").update(
        status=MailboxStatus.DISABLED, status_changed_at=NOW - dt.timedelta(days=1), last_error=cause,
        last_error_at=NOW - dt.timedelta(days=1), auth_failures=3, smtp_auth_failures=3,
        secret_enc=vault.encrypt("wrong"),
    )  # fmt: skip
    before = (await say(runner, "/mailbox user1@alpha.test")).plain_text()
    assert "since it was disabled" not in before

    # the password is still wrong: the same failure
    assert not (await say(runner, "/mailbox_test user1@alpha.test")).ok
    box = await Mailbox.get(address="user1@alpha.test")
    assert (box.last_error, box.last_error_at) == (cause, NOW - dt.timedelta(days=1))
    card = (await say(runner, "/mailbox user1@alpha.test")).plain_text()
    assert EN("mail-problem-smtp-auth-failed") in card
    assert "the same failure it was disabled for" in card

    # its SMTP port answers as no SMTP server: the cause stays, the test's own failure is said apart
    await Mailbox.filter(id=box.id).update(smtp_port=mail.ports.imap)  # not an SMTP server
    await say(runner, "/mailbox_test user1@alpha.test")
    assert (await Mailbox.get(id=box.id)).last_error == cause
    card = (await say(runner, "/mailbox user1@alpha.test")).plain_text()
    assert "Login test since it was disabled" in card and "failed:" in card
    assert "the same failure" not in card

    # the password put right: the test works, the card still says why it is disabled and how to resume it
    await Mailbox.filter(id=box.id).update(smtp_port=mail.ports.submission, secret_enc=vault.encrypt("pw"))
    assert (await say(runner, "/mailbox_test user1@alpha.test")).ok
    assert (await Mailbox.get(id=box.id)).last_error == cause
    card = (await say(runner, "/mailbox user1@alpha.test")).plain_text()
    assert EN("mail-problem-smtp-auth-failed") in card
    assert "both logins work — /mailbox_resume user1@alpha.test" in card


async def test_a_disabled_mailbox_reimported_with_a_working_password_still_says_why_it_is_disabled(
    runner: Runner, mail: MailServer
) -> None:
    """Before: re-importing a disabled mailbox with its password put right erased the error it was disabled for:
    its card said "disabled" and "the logins work" with nothing on why it sends nothing or what to do. It stays
    disabled until resumed (as before); its card now keeps the cause and says the logins work, and how to resume."""
    await say(runner, "/mailbox_import", Attachment("b.csv", _csv(mail, [("user1@alpha.test", "pw", "")])))
    cause = "smtp-auth-failed: 535 5.7.8 Error: authentication failed"
    await Mailbox.filter(address="user1@alpha.test").update(
        status=MailboxStatus.DISABLED, status_changed_at=NOW - dt.timedelta(days=1), last_error=cause,
        last_error_at=NOW - dt.timedelta(days=1), auth_failures=3, smtp_auth_failures=3,
    )  # fmt: skip
    again = await say(runner, "/mailbox_import", Attachment("b.csv", _csv(mail, [("user1@alpha.test", "pw", "")])))
    assert EN("mailbox-import-result", created=0, updated=1, invalid=0, failed=0) in again.plain_text()
    box = await Mailbox.get(address="user1@alpha.test")
    assert (box.status, box.last_error, box.auth_failures) == (MailboxStatus.DISABLED, cause, 0)
    card = (await say(runner, "/mailbox user1@alpha.test")).plain_text()
    assert EN("mail-problem-smtp-auth-failed") in card
    assert "both logins work — /mailbox_resume user1@alpha.test" in card


async def test_the_list_says_which_mailboxes_inbox_goes_unread_as_health_does(runner: Runner) -> None:
    """Before: /health said a disabled mailbox's inbox went unread (its IMAP server unreachable) while /mailboxes
    showed only why it was disabled, as if its inbox were read. The list's line now says it too; a mailbox without
    such an alert says nothing of the kind."""
    ws = await Workspace.get(slug="acme")
    domain = await Domain.get(name="alpha.test")
    await stored(ws, domain, "anna@alpha.test", MailboxStatus.DISABLED)
    await stored(ws, domain, "boris@alpha.test", MailboxStatus.DISABLED)
    anna = await Mailbox.get(address="anna@alpha.test")
    await Mailbox.filter(status=MailboxStatus.DISABLED).update(last_error="smtp-auth-failed: 535", last_error_at=NOW)
    await raise_alert(
        workspace_id=ws.id, kind=INBOX_UNREADABLE_DISABLED, severity=Severity.WARNING, subject=f"mailbox:{anna.id}",
        key="imap", data={"mailbox": anna.address, "error": "connect", "detail": "connection-refused"}, now=NOW,
    )  # fmt: skip
    listing = (await say(runner, "/mailboxes")).plain_text()
    [anna_line] = [line for line in listing.splitlines() if "anna@alpha.test" in line]
    [boris_line] = [line for line in listing.splitlines() if "boris@alpha.test" in line]
    assert EN("mailboxes-line-inbox-unread") in anna_line and EN("mail-problem-smtp-auth-failed") in anna_line
    assert EN("mailboxes-line-inbox-unread") not in boris_line

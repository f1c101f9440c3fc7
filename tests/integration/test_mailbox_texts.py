"""What a manager reads about a mailbox's last failure, in the card, the list and the alerts: localized phrases from
the catalogs, never a raw reason code (`connection-refused`, `error-imap-auth`). Real PostgreSQL and Redis; the
stored errors are written as the login test, the inbox sync and the sender write them."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.runner import Runner
from engine.alerts import claim_due, raise_alert
from engine.clock import FrozenClock
from engine.i18n import translator
from engine.mail import problem_key
from engine.notify import render
from models import Domain, Mailbox, Workspace
from models.enums import AuthKind, DomainStatus, MailboxStatus, MailProvider, Platform, Severity, TlsMode

NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)
TG = Platform.TELEGRAM
RU, EN = translator("ru"), translator("en")
pytestmark = pytest.mark.usefixtures("orm")


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def runner(clock: FrozenClock) -> Runner:
    return Runner(clock, admins={TG: {"1"}})


async def _say(runner: Runner, line: str, lang: str = "ru") -> str:
    reply = await runner.run_line(runner.identity(TG, "1", "admin", lang), "c1", line)
    return reply.plain_text()


async def _box(workspace: Workspace, domain: Domain, address: str, error: str, status: MailboxStatus) -> Mailbox:
    return await Mailbox.create(
        workspace=workspace, domain=domain, address=address, provider=MailProvider.GENERIC, smtp_host="smtp.alpha.test",
        smtp_port=587, smtp_tls=TlsMode.STARTTLS, imap_host="imap.alpha.test", imap_port=993,
        imap_tls=TlsMode.IMPLICIT, username=address, auth_kind=AuthKind.PASSWORD, secret_enc=b"x", status=status,
        last_error=error, last_error_at=NOW - dt.timedelta(hours=1), auth_failures=3 if "auth" in error else 0,
    )  # fmt: skip


async def test_the_card_and_the_list_put_the_last_failure_in_words(runner: Runner) -> None:
    await _say(runner, "/workspace_new acme ACME")
    acme = await Workspace.get(slug="acme")
    domain = await Domain.create(workspace=acme, name="alpha.test", status=DomainStatus.ACTIVE)
    await _box(acme, domain, "anna@alpha.test", "error-imap-connect: connection-refused", MailboxStatus.ACTIVE)
    words = "5.7.8 Error: authentication failed"  # the server's own words are quoted as they are
    await _box(acme, domain, "boris@alpha.test", f"smtp-auth-failed: {words}", MailboxStatus.DISABLED)

    anna = await _say(runner, "/mailbox anna@alpha.test")
    assert RU("mail-problem-imap-connect") in anna and RU("mail-detail", detail="connection-refused") in anna
    assert "connection-refused" not in anna and "error-imap" not in anna

    boris = await _say(runner, "/mailbox boris@alpha.test", lang="en")
    assert f"{EN('mail-problem-smtp-auth-failed')}: {words}" in boris and "smtp-auth-failed" not in boris

    listing = await _say(runner, "/mailboxes")
    assert f"{RU('mail-problem-smtp-auth-failed')}: {words}" in listing and "smtp-auth-failed" not in listing


async def test_the_card_shows_the_cooldown_and_the_last_check_on_the_workspace_clock(runner: Runner) -> None:
    """A Vladivostok manager's card read 'cooling down until: 2026-11-30 12:00 UTC' for a pause that ends at 22:00
    there, and its last check in UTC too: the card's moments are on the workspace's clock, that zone named."""
    await _say(runner, "/workspace_new vvo VVO")
    await _say(runner, "/workspace_settings timezone Asia/Vladivostok")
    vvo = await Workspace.get(slug="vvo")
    domain = await Domain.create(workspace=vvo, name="alpha.test", status=DomainStatus.ACTIVE)
    box = await _box(vvo, domain, "anna@alpha.test", "error-imap-connect: connection-refused", MailboxStatus.COOLDOWN)
    await Mailbox.filter(id=box.id).update(cooldown_until=NOW + dt.timedelta(days=2))

    card = await _say(runner, "/mailbox anna@alpha.test", lang="en")
    assert "cooling down until: 2026-11-30 22:00 +10" in card, card
    assert "Last check (2026-11-28 21:00 +10)" in card and "UTC" not in card  # failed an hour before NOW


@pytest.mark.parametrize("reason", ["error-imap-auth", "smtp-auth-failed", "smtp-auth-app-password"])
async def test_an_auth_alert_names_the_reason_in_words(clock: FrozenClock, reason: str) -> None:
    acme = await Workspace.create(slug="acme", name="ACME")
    via = "imap" if reason.startswith("error-imap") else "smtp"
    data = {"mailbox": "anna@alpha.test", "failures": 3, "reason": reason, "via": via}
    await raise_alert(
        workspace_id=acme.id, kind="mailbox_auth_disabled", severity=Severity.CRITICAL, subject="mailbox:1",
        key="auth", data=data | {"reason_keys": [problem_key(reason)]}, now=clock.now(),
    )  # fmt: skip

    [notification] = await claim_due(clock)

    for locale, t in (("ru", RU), ("en", EN)):
        text = render(notification, locale).plain_text()
        assert t(problem_key(reason)) in text and reason not in text and "{" not in text


async def test_resuming_a_mailbox_that_is_not_paused_names_its_state_in_words(runner: Runner) -> None:
    await _say(runner, "/workspace_new acme ACME")
    acme = await Workspace.get(slug="acme")
    domain = await Domain.create(workspace=acme, name="alpha.test", status=DomainStatus.ACTIVE)
    await _box(acme, domain, "anna@alpha.test", "", MailboxStatus.WARMING)

    refused = await _say(runner, "/mailbox_resume anna@alpha.test")

    assert RU("state-mailbox-warming") in refused and "warming" not in refused


async def test_the_card_says_a_refused_login_once(runner: Runner) -> None:
    """The card read "сервер не принял логин: IMAP: сервер не принял логин: [AUTHENTICATIONFAILED]…": the line said
    the login was refused, and then the failure's own phrase said it again."""
    await _say(runner, "/workspace_new acme ACME")
    acme = await Workspace.get(slug="acme")
    domain = await Domain.create(workspace=acme, name="alpha.test", status=DomainStatus.ACTIVE)
    words = "[AUTHENTICATIONFAILED] Authentication failed."
    await _box(acme, domain, "anna@alpha.test", f"error-imap-auth: {words}", MailboxStatus.DISABLED)

    for lang, t in (("ru", RU), ("en", EN)):
        card = await _say(runner, "/mailbox anna@alpha.test", lang=lang)
        [line] = [line for line in card.splitlines() if words in line]
        assert f"{t('mail-problem-imap-auth')}: {words}" in line, line
        assert line.count(t("mail-problem-imap-auth").removeprefix("IMAP: ")) == 1, line

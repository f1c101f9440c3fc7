"""Secrets nowhere: a realistic run with KNOWN secrets, then every place they could have leaked is searched.

The run, against real Postfix/Dovecot, PostgreSQL and Redis, with every log at debug level captured: the
settings with every token (Telegram, Slack, REG.RU, Yandex 360, the Spamhaus DQS key, the encryption key) are
loaded and logged the way start-up code might; a mailbox CSV is imported through the chat command (two good
passwords, one wrong one that Dovecot refuses); the mailboxes are tested again (the auth error is remembered and
shown); a message is sent over SMTP with a stored password and one with the wrong one; an inbox is synced; an
alert about the failing mailbox is raised and rendered for chat; finally the keys are rotated.

Searched afterwards, for each secret and its base64 (all three alignments, both alphabets) and URL-encoded
forms: the captured logs, every chat reply, a `pg_dump` of the test database, and every Redis key and value of
the test's Redis database. Credentials are Fernet tokens at rest; after `rotate_secrets` none of them opens with
the old key alone.
"""

from __future__ import annotations

import base64
import io
import logging
import subprocess
import urllib.parse
from collections.abc import Iterator

import pytest
import structlog
from pydantic import SecretStr
from redis.asyncio import Redis

from bot.runner import Runner
from engine.access import SYSTEM
from engine.alerts import raise_alert
from engine.clock import FrozenClock
from engine.crypto import Vault, VaultError, generate_key
from engine.domains.common import DnsConfig
from engine.inbox import SyncOptions, SyncStatus, sync_mailbox
from engine.logging import configure_logging, get_logger
from engine.mail.message import MessageSpec, build_message
from engine.mail.providers import Credentials, Endpoint
from engine.mail.smtp import Outcome, SmtpTransport, shared_tls_context
from engine.mailboxes import rotate_secrets
from engine.reply import Attachment, Reply
from engine.settings import Settings
from models import Domain, Mailbox, Workspace
from models.enums import AuthKind, MailProvider, Platform, Severity, TlsMode
from tests.harness.mailserver import MailServer
from tests.integration.content_world import NOW

pytestmark = pytest.mark.usefixtures("orm")
TG = Platform.TELEGRAM

ANNA_PW = "Anna+Pa55/w0rd=5e1f0c&x"
BORIS_PW = "Boris#Secr3t%7a9d2b?y"
VERA_REAL_PW = "Vera-real-6b5a4c3d"
VERA_WRONG_PW = "Vera!Wr0ng~c4d8e1"
TELEGRAM_TOKEN = "123456789:AAF-telegram-secret-9f8e7d6c5b4a"
TELEGRAM_WEBHOOK_SECRET = "tg-webhook-secret-0a9b8c7d"
SLACK_BOT_TOKEN = "xoxb-1111-2222-slack-bot-secret"
SLACK_SIGNING_SECRET = "slack-signing-8c7b6a5d4e3f"
SLACK_APP_TOKEN = "xapp-1-slack-app-secret-77aa"
REGRU_PASSWORD = "regru-pass-3e2d1c0b"
YANDEX_TOKEN = "y0_yandex-secret-token-ab12cd"
DQS_KEY = "dqskey5f4e3d2c1b0a"


@pytest.fixture(scope="module")
def mail(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailServer]:
    users = [("anna@alpha.test", ANNA_PW), ("boris@alpha.test", BORIS_PW), ("vera@alpha.test", VERA_REAL_PW)]
    with MailServer(tmp_path_factory.mktemp("mail"), domains=["alpha.test"], users=users) as server:
        yield server


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    """Every log line of the run, as the product writes them (JSON, debug level)."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    buffer = io.StringIO()
    configure_logging(fmt="json", level="debug")
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buffer)
    try:
        yield buffer
    finally:
        root.handlers[:], root.level = saved
        structlog.reset_defaults()


def forms(secret: str) -> set[bytes]:
    """The secret as it could appear: itself, in hex (a bytea column in a dump), URL-encoded, and base64 at every
    alignment in both alphabets."""
    raw = secret.encode()
    found = {raw, raw.hex().encode(), urllib.parse.quote(secret).encode(), urllib.parse.quote_plus(secret).encode()}
    for shift in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode(b"\0" * shift + raw)
            # drop the characters that mix in the padding bytes or the next unknown byte
            start = (shift * 4 + 2) // 3
            found.add(text[start:-3] if len(text) - start > 8 else text)
    return {f for f in found if len(f) >= 8}


async def redis_dump(redis: Redis) -> bytes:
    parts = []
    async for key in redis.scan_iter(count=1000):
        parts.append(key)
        kind = await redis.type(key)
        if kind == b"string":
            parts.append(await redis.get(key) or b"")
        elif kind == b"hash":
            parts += [b for pair in (await redis.hgetall(key)).items() for b in pair]
        elif kind in (b"list",):
            parts += await redis.lrange(key, 0, -1)
        elif kind == b"set":
            parts += list(await redis.smembers(key))
        elif kind == b"zset":
            parts += [m for m, _ in await redis.zrange(key, 0, -1, withscores=True)]
        elif kind == b"stream":
            parts += [repr(e).encode() for e in await redis.xrange(key)]
    return b"\n".join(parts)


def pg_dump(database_url: str) -> bytes:
    return subprocess.run(["pg_dump", "--data-only", database_url], capture_output=True, check=True).stdout


def reply_text(reply: Reply) -> str:
    return "\n".join([reply.plain_text(), *(f.content.decode("utf-8", "replace") for f in reply.files)])


async def test_a_full_run_leaves_no_secret_in_logs_chat_database_or_redis(
    mail: MailServer, redis: Redis, database_url: str, captured_logs: io.StringIO
) -> None:
    key = generate_key()
    settings = Settings(
        encryption_keys=SecretStr(key),
        telegram_token=SecretStr(TELEGRAM_TOKEN),
        telegram_webhook_secret=SecretStr(TELEGRAM_WEBHOOK_SECRET),
        slack_bot_token=SecretStr(SLACK_BOT_TOKEN),
        slack_signing_secret=SecretStr(SLACK_SIGNING_SECRET),
        slack_app_token=SecretStr(SLACK_APP_TOKEN),
        regru_username="agency",
        regru_password=SecretStr(REGRU_PASSWORD),
        yandex360_org_id=42,
        yandex360_token=SecretStr(YANDEX_TOKEN),
        dnsbl_dqs_key=SecretStr(DQS_KEY),
        mail_ca_file=mail.cafile,
        mail_allowed_ports=[mail.ports.submission, mail.ports.imap],
        mail_allow_private_hosts=True,
    )
    vault = Vault(settings.fernet_keys())
    log = get_logger("tests.secrets")
    # start-up code that logs what it was given, as careless code would
    log.debug("settings loaded", settings=settings, dns=DnsConfig.from_settings(settings), vault=vault)
    log.info("settings dump", **{k: v for k, v in settings.model_dump().items() if v is not None})

    runner = Runner(
        FrozenClock(NOW), admins={TG: {"1"}}, services={"settings": settings, "vault": vault, "redis": redis}
    )
    replies: list[Reply] = []

    async def say(line: str, file: Attachment | None = None) -> Reply:
        reply = await runner.run_line(runner.identity(TG, "1", "Admin", "en"), "chat1", line, file)
        replies.append(reply)
        return reply

    await say("/workspace_new acme ACME")
    ws_domain = await Domain.create(workspace=await Workspace.get(slug="acme"), name="alpha.test")
    hosts = f"{mail.host},{mail.ports.submission},starttls,{mail.host},{mail.ports.imap},plain"
    csv = (
        "address,password,display_name,smtp_host,smtp_port,smtp_tls,imap_host,imap_port,imap_tls\n"
        f'anna@alpha.test,"{ANNA_PW}",Anna,{hosts}\n'
        f'boris@alpha.test,"{BORIS_PW}",Boris,{hosts}\n'
        f'vera@alpha.test,"{VERA_WRONG_PW}",Vera,{hosts}\n'
    )
    imported = await say("/mailbox_import", Attachment("mailboxes.csv", csv.encode()))
    assert "vera@alpha.test" in imported.plain_text()  # the wrong password was refused by Dovecot, and said so
    assert await Mailbox.filter(domain=ws_domain).count() == 2
    # vera's row stored anyway with the wrong password (as if it was changed at the provider since): the auth
    # error then comes from the sending and syncing paths too
    await Mailbox.create(
        workspace_id=ws_domain.workspace_id, domain=ws_domain, address="vera@alpha.test", username="vera@alpha.test",
        provider=MailProvider.GENERIC,
        smtp_host=mail.host, smtp_port=mail.ports.submission, smtp_tls=TlsMode.STARTTLS, imap_host=mail.host,
        imap_port=mail.ports.imap, imap_tls=TlsMode.PLAIN, secret_enc=vault.encrypt(VERA_WRONG_PW),
    )  # fmt: skip
    tested = await say("/mailbox_test all")
    assert "vera@alpha.test" in tested.plain_text()
    await say("/mailbox vera@alpha.test")
    await say("/mailboxes")

    # a send with a stored password, and one with the wrong one
    context = shared_tls_context(str(mail.cafile))
    async with SmtpTransport(tls_context=context) as smtp:
        for address, expect in (("anna@alpha.test", Outcome.ACCEPTED), ("vera@alpha.test", Outcome.AUTH_FAILED)):
            box = await Mailbox.get(address=address)
            credentials = Credentials(box.username, AuthKind(box.auth_kind), vault.decrypt(box.secret_enc))
            message = build_message(
                MessageSpec(sender=address, recipient="boris@alpha.test", subject="Hello", text="Hi"), runner.clock
            )
            result = await smtp.send(Endpoint(mail.host, mail.ports.submission, TlsMode.STARTTLS), credentials, message)
            log.info("send result", result=result, credentials=credentials)
            assert result.outcome is expect, result
    mail.settle()

    # an inbox sync that works, and one that fails to log in
    options = SyncOptions(timeout_s=10.0, ca_file=str(mail.cafile))
    for address, status in (("boris@alpha.test", SyncStatus.OK), ("vera@alpha.test", None)):
        box = await Mailbox.get(address=address)
        synced = await sync_mailbox(SYSTEM, box.id, clock=runner.clock, vault=vault, options=options)
        assert (synced.status is SyncStatus.OK) == (status is SyncStatus.OK), synced

    # an alert about the failing mailbox, and what chat shows of it
    vera = await Mailbox.get(address="vera@alpha.test")
    await raise_alert(
        workspace_id=vera.workspace_id, kind="auth_error", severity=Severity.CRITICAL, subject=f"mailbox:{vera.id}",
        key="auth", data={"address": vera.address, "error": vera.last_error or ""}, now=runner.clock.now(),
    )  # fmt: skip
    await say("/alerts all")

    # key rotation: every credential re-encrypted under the new key, none left that the old key alone opens
    new_key = generate_key()
    assert await rotate_secrets(Vault([new_key, key])) == 3
    for box in await Mailbox.all():
        assert box.secret_enc[:5] == b"gAAAA"  # a Fernet token at rest
        Vault([new_key]).decrypt(box.secret_enc)
        with pytest.raises(VaultError):
            Vault([key]).decrypt(box.secret_enc)

    logs = captured_logs.getvalue().encode()
    assert b"smtp.failed" in logs and b"inbox sync failed" in logs  # the capture really holds the run's logs
    chat = "\n".join(reply_text(r) for r in replies).encode()
    dump = pg_dump(database_url)
    assert b"anna@alpha.test" in dump and b"gAAAA".hex().encode() in dump  # it holds the mailboxes (bytea: hex)
    stored = await redis_dump(redis)
    secrets = {
        "anna password": ANNA_PW,
        "boris password": BORIS_PW,
        "vera's wrong password": VERA_WRONG_PW,
        "telegram token": TELEGRAM_TOKEN,
        "telegram webhook secret": TELEGRAM_WEBHOOK_SECRET,
        "slack bot token": SLACK_BOT_TOKEN,
        "slack signing secret": SLACK_SIGNING_SECRET,
        "slack app token": SLACK_APP_TOKEN,
        "reg.ru password": REGRU_PASSWORD,
        "yandex token": YANDEX_TOKEN,
        "dqs key": DQS_KEY,
        "encryption key": key,
        "new encryption key": new_key,
    }
    found = [
        f"{name} in {where}"
        for name, secret in secrets.items()
        for where, haystack in (("logs", logs), ("chat", chat), ("database", dump), ("redis", stored))
        if any(form in haystack for form in forms(secret))
    ]
    assert found == []

"""Provider presets, credentials hygiene, XOAUTH2 and the Yandex 360 service-application token exchange."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from engine.clock import FrozenClock
from engine.errors import UserError
from engine.mail.providers import (
    PRESETS,
    SENT,
    SPAM,
    AccessToken,
    Credentials,
    Endpoint,
    default_port,
    endpoints_for,
    fetch_service_app_token,
    preset,
    xoauth2_sasl,
)
from models.enums import AuthKind, MailProvider, TlsMode

NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)


def test_every_provider_has_a_preset_with_cautious_caps() -> None:
    assert set(PRESETS) == set(MailProvider)
    for known in PRESETS.values():
        assert 0 < known.default_daily_cap <= 50
        if known.provider_daily_limit is not None:
            assert known.default_daily_cap < known.provider_daily_limit


def test_yandex_and_mailru_hosts_follow_the_provider_documentation() -> None:
    yandex = preset(MailProvider.YANDEX360)
    assert yandex.smtp == Endpoint("smtp.yandex.ru", 465, TlsMode.IMPLICIT)
    assert yandex.imap == Endpoint("imap.yandex.ru", 993, TlsMode.IMPLICIT)
    assert Endpoint("smtp.yandex.ru", 587, TlsMode.STARTTLS) in yandex.smtp_alternatives
    assert AuthKind.XOAUTH2 in yandex.auth_kinds
    assert yandex.max_recipients_per_message == 35
    mailru = preset(MailProvider.MAILRU)
    assert mailru.smtp == Endpoint("smtp.mail.ru", 465, TlsMode.IMPLICIT)
    assert mailru.imap == Endpoint("imap.mail.ru", 993, TlsMode.IMPLICIT)


def test_folders_are_found_by_flag_or_by_russian_and_english_name() -> None:
    assert SPAM.special_use == "\\Junk"
    assert {"Спам", "Spam"} <= set(SPAM.names)
    assert SENT.special_use == "\\Sent"
    assert {"Отправленные", "Sent"} <= set(SENT.names)


def test_generic_needs_explicit_endpoints_and_explicit_ones_win() -> None:
    with pytest.raises(UserError) as err:
        endpoints_for(MailProvider.GENERIC)
    assert err.value.key == "provider-endpoints-missing"
    own_smtp = Endpoint("mail.example.com", 587, TlsMode.STARTTLS)
    own_imap = Endpoint("mail.example.com", 993, TlsMode.IMPLICIT)
    assert endpoints_for(MailProvider.GENERIC, smtp=own_smtp, imap=own_imap) == (own_smtp, own_imap)
    smtp, imap = endpoints_for(MailProvider.YANDEX360, smtp=own_smtp)
    assert (smtp, imap) == (own_smtp, preset(MailProvider.YANDEX360).imap)


@pytest.mark.parametrize(
    ("protocol", "tls", "port"),
    [("smtp", TlsMode.IMPLICIT, 465), ("smtp", TlsMode.STARTTLS, 587), ("imap", TlsMode.IMPLICIT, 993)],
)
def test_default_ports(protocol: str, tls: TlsMode, port: int) -> None:
    assert default_port(protocol, tls) == port  # type: ignore[arg-type]


@pytest.mark.parametrize(("host", "port"), [("", 25), ("a b", 25), ("smtp.example.com", 0), ("x.org", 70000)])
def test_endpoint_refuses_nonsense(host: str, port: int) -> None:
    with pytest.raises(ValueError, match=r"port|host"):
        Endpoint(host, port, TlsMode.STARTTLS)


def test_credentials_never_show_the_secret() -> None:
    creds = Credentials("ivan@example.ru", AuthKind.PASSWORD, "s3cr3t-Pa55")
    for shown in (repr(creds), str(creds), f"{creds}", repr([creds])):
        assert "s3cr3t-Pa55" not in shown
        assert "ivan@example.ru" in shown
    token = AccessToken(token="y0_AgAAAAB-secret", expires_at=NOW)
    assert "y0_AgAAAAB-secret" not in repr(token)


def test_xoauth2_string_is_the_documented_sasl_format() -> None:
    encoded = xoauth2_sasl("ivan@example.ru", "y0_token")
    assert base64.b64decode(encoded) == b"user=ivan@example.ru\x01auth=Bearer y0_token\x01\x01"


@pytest.mark.parametrize(("user", "token"), [("ivan@example.ru\x01auth=x", "t"), ("ivan@example.ru", "t\r\nQUIT")])
def test_xoauth2_refuses_control_characters(user: str, token: str) -> None:
    with pytest.raises(ValueError, match="control"):
        xoauth2_sasl(user, token)


# ------------------------------------------------------------------------------------------- token exchange


@pytest.fixture
async def token_server() -> AsyncIterator[tuple[str, list[dict[str, str]], dict[str, object]]]:
    """A local OAuth endpoint: records each form it receives and answers with `reply` (status, JSON)."""
    seen: list[dict[str, str]] = []
    reply: dict[str, object] = {"status": 200, "json": {"access_token": "y0_new", "expires_in": 3600}}

    async def token(request: web.Request) -> web.Response:
        seen.append(dict(await request.post()))  # type: ignore[arg-type]
        status = int(reply["status"])  # type: ignore[call-overload]
        if isinstance(reply["json"], str):  # not JSON at all, e.g. a proxy's error page
            return web.Response(text=reply["json"], status=status, content_type="text/html")
        return web.json_response(reply["json"], status=status)

    app = web.Application()
    app.router.add_post("/token", token)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}/", seen, reply
    await runner.cleanup()


async def test_service_app_token_exchange(token_server: tuple[str, list[dict[str, str]], dict[str, object]]) -> None:
    base_url, seen, _ = token_server
    clock = FrozenClock(NOW)
    token = await fetch_service_app_token(
        client_id="cid", client_secret="csecret", subject="ivan@example.ru", clock=clock, base_url=base_url
    )
    assert token.token == "y0_new"
    assert token.expires_at == NOW + dt.timedelta(hours=1)
    assert token.fresh(clock)
    clock.advance(dt.timedelta(minutes=56))
    assert not token.fresh(clock)  # less than the 5-minute margin left
    assert seen == [
        {
            "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
            "client_id": "cid",
            "client_secret": "csecret",
            "subject_token": "ivan@example.ru",
            "subject_token_type": "urn:yandex:params:oauth:token-type:email",
        }
    ]


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (400, {"error": "invalid_client", "error_description": "csecret is wrong"}, "400"),
        (200, {"token_type": "bearer"}, "malformed"),
        (200, {"access_token": "t", "expires_in": "soon"}, "malformed"),
        (200, "<html>not json</html>", "malformed"),
    ],
)
async def test_token_exchange_failures_are_user_errors_without_secrets(
    token_server: tuple[str, list[dict[str, str]], dict[str, object]],
    status: int,
    body: dict[str, str] | str,
    expected: str,
) -> None:
    base_url, _, reply = token_server
    reply.update(status=status, json=body)
    with pytest.raises(UserError) as err:
        await fetch_service_app_token(
            client_id="cid", client_secret="csecret", subject="1234", subject_kind="uid", clock=FrozenClock(NOW),
            base_url=base_url,
        )  # fmt: skip
    assert err.value.key == "provider-oauth-token-failed"
    assert err.value.params == {"status": expected}
    assert "csecret" not in repr(err.value) + str(err.value)


async def test_unreachable_token_endpoint() -> None:
    with pytest.raises(UserError) as err:
        await fetch_service_app_token(
            client_id="c", client_secret="s", subject="u", clock=FrozenClock(NOW), base_url="http://127.0.0.1:1",
            timeout=2,
        )  # fmt: skip
    assert err.value.params == {"status": "unreachable"}

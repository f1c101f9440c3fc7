"""The chat layer at the platforms' edges, as outside testers try it: edited commands, secrets asked for in a
group, the transports' own messages in the person's language."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from redis.asyncio import Redis

from bot.command import REGISTRY, Access, Arg, Ctx, command
from bot.runner import Runner
from bot.slack.notifier import SlackNotifier
from bot.telegram.render import ERROR_MARK
from bot.telegram.transport import WEBHOOK_PATH, TelegramTransport
from engine import approvals
from engine.i18n import translator
from engine.reply import Reply
from models import Approval, Invite, Workspace
from models.enums import ApprovalStatus, Platform
from tests.e2e.conftest import WEBHOOK_SECRET, TelegramRig, make_transport, visible
from tests.e2e.slackrig import SECRET, join, seen, slack_rig, texts
from tests.e2e.test_faults_replies import until
from tests.e2e.test_telegram import request_approval
from tests.harness.flaky_botapi import FlakyBotApi
from tests.harness.slack_files import DM_CHANNEL_ID, message_event_body
from tests.harness.slackapi import RESPONSE_URL_POSTS, serve, signed_headers, slash_command_body
from tests.harness.telegram import TelegramEmulator, TelegramUser, new_bot_token

EN = translator("en")
RU = translator("ru")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ANNA = 700401
GROUP = -100700400


def _edited(user_id: int, text: str, *, language: str, chat_id: int | None = None) -> dict[str, Any]:
    """An `edited_message` update: the person changed a command they had sent (in a private chat, or a group)."""
    person = {"id": user_id, "is_bot": False, "first_name": "Anna", "language_code": language}
    chat = {"id": user_id, "type": "private", "first_name": "Anna"} if chat_id is None else {
        "id": chat_id, "type": "supergroup", "title": "Team"}  # fmt: skip
    now = int(time.time())
    return {
        "update_id": 7,
        "edited_message": {
            "message_id": 3,
            "date": now - 30,
            "edit_date": now,
            "chat": chat,
            "from": person,
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split(maxsplit=1)[0])}],
        },
    }


async def test_an_edited_command_is_not_run_and_says_to_send_it_again(
    emulator: TelegramEmulator, runner: Runner, redis: Redis
) -> None:
    token = new_bot_token()
    transport = make_transport(emulator, runner, redis, token)
    app = web.Application()
    transport.register_webhook(app)
    headers = {SECRET_HEADER: WEBHOOK_SECRET}
    try:
        async with serve(app) as base, aiohttp.ClientSession() as http, TelegramUser(emulator, token, ANNA) as anna:
            for language, t in (("ru", RU), ("en", EN)):
                update = _edited(ANNA, "/workspace_new acme ACME", language=language)
                async with http.post(base + WEBHOOK_PATH, json=update, headers=headers) as resp:
                    assert resp.status == 200
                [reply] = await anna.wait_replies()
                assert visible(reply.text) == t("telegram-edited-not-run", command="workspace_new")
            await anna.assert_no_replies(within=0.3)
            assert not await Workspace.exists(slug="acme")
            async with TelegramUser(emulator, token, ANNA, chat_id=GROUP) as team:
                for text in ("/weather Moscow", "/whoami@mailfleet_test_bot"):  # another bot's; ours by name
                    update = _edited(ANNA, text, language="en", chat_id=GROUP)
                    async with http.post(base + WEBHOOK_PATH, json=update, headers=headers) as resp:
                        assert resp.status == 200
                [reply] = await team.wait_replies()
                assert visible(reply.text) == EN("telegram-edited-not-run", command="whoami")
                await team.assert_no_replies(within=0.3)
    finally:
        await transport.stop()


async def test_an_invite_asked_for_in_a_group_is_not_shown_to_the_group(telegram: TelegramRig) -> None:
    await telegram.admin("/workspace_new acme ACME")
    code = await telegram.invite("acme", "manager")
    anna = telegram.user(ANNA, first_name="Anna", language_code="ru")
    await anna.send_command(f"/start {code}")
    await anna.wait_replies()
    group = telegram.user(ANNA, chat_id=GROUP, first_name="Anna", language_code="ru")
    invites = await Invite.all().count()
    await group.send_command("/invite client")
    [reply] = await group.wait_replies()
    assert visible(reply.text) == ERROR_MARK + RU("telegram-private-only", command="invite")
    assert await Invite.all().count() == invites  # no code was made, so none can leak
    await group.send_command("/invite@mailfleet_test_bot client")
    [reply] = await group.wait_replies()
    assert visible(reply.text) == ERROR_MARK + RU("telegram-private-only", command="invite")
    client = telegram.user(ANNA + 1, chat_id=GROUP, language_code="en")  # not a member: refused for that first
    await client.send_command("/invite client")
    [reply] = await client.wait_replies()
    assert visible(reply.text) == ERROR_MARK + EN("error-not-registered", command="invite")
    await anna.send_command("/invite client")  # in the private chat it works as before
    [reply] = await anna.wait_replies()
    assert RU("role-client") in visible(reply.text)
    assert await Invite.all().count() == invites + 1


async def test_slacks_own_refusals_speak_the_persons_language(orm: None, redis: Redis) -> None:
    async with slack_rig(redis) as slack:  # the install speaks English
        await join(slack, "U0RU", "manager", name="ivan")
        assert await slack.say("lang ru", user="U0RU") == [seen(RU("lang-set"))]
        huge = slack.files.add("domains.csv", b"domain\n", size=3 * 2**20)
        body = message_event_body("domain_add", files=[huge], user_id="U0RU")
        expected = len(slack.api.calls_to("chat.postMessage")) + 1
        assert await slack.post(body, signed_headers(SECRET, body, content_type="application/json")) == 200
        refused = await slack.api.wait_call("chat.postMessage", count=expected)
        assert texts(refused.params["blocks"]) == [":warning: " + seen(RU("slack-file-too-large", limit_mb=2))]


def _dm(
    text: str, *, user: str, files: list[dict[str, Any]] | None = None, event_id: str | None = None, **event: Any
) -> str:
    """A message event in the bot's DM (or, with `channel_type`, elsewhere); without files a plain message."""
    body = json.loads(message_event_body(text, files=files or [], user_id=user, event_id=event_id))
    if not files:
        body["event"].pop("subtype")
        body["event"].pop("files")
    body["event"] |= event
    return json.dumps(body)


async def test_a_slack_dm_that_is_not_a_command_is_told_how_to_use_the_bot(orm: None, redis: Redis) -> None:
    async with slack_rig(redis) as slack:
        await join(slack, "U0RU", "manager", name="ivan")
        assert await slack.say("lang ru", user="U0RU") == [seen(RU("lang-set"))]
        before = len(slack.api.calls_to("chat.postMessage"))

        async def answer(body: str) -> list[str]:
            count = len(slack.api.calls_to("chat.postMessage")) + 1
            assert await slack.post(body, signed_headers(SECRET, body, content_type="application/json")) == 200
            posted = await slack.api.wait_call("chat.postMessage", count=count)
            assert posted.params["channel"] == DM_CHANNEL_ID
            return texts(posted.params["blocks"])

        assert await answer(_dm("help", user="U0RU", event_id="Ev0HELP")) == [seen(RU("slack-text-hint"))]
        notes = slack.files.add("notes.csv", b"x\n")
        assert await answer(_dm("look at this", user="U0RU", files=[notes])) == [
            ":warning: " + seen(RU("slack-file-no-command"))
        ]
        # not for us: chatter in a channel, the bot's own posts, edits, redeliveries
        quiet = [
            _dm("hello all", user="U0RU", channel="C0TEAM", channel_type="channel"),
            _dm("hello", user="U0RU", bot_id="B0MAILFLEET"),
            _dm("help", user="U0RU", subtype="message_changed"),
        ]
        for body in quiet:
            assert await slack.post(body, signed_headers(SECRET, body, content_type="application/json")) == 200
        retry = _dm("help", user="U0RU", event_id="Ev0HELP")  # Slack's retry of the first one, signed anew
        headers = signed_headers(SECRET, retry, content_type="application/json") | {"X-Slack-Retry-Num": "1"}
        assert await slack.post(retry, headers) == 200
        await asyncio.sleep(0.5)
        assert len(slack.api.calls_to("chat.postMessage")) == before + 2
        assert slack.files.downloads == []


LONG_LINES = [f"box-{n:04}@очень-длинный-домен-{n % 60:02}.рф — active · 12/40 · warm" for n in range(1200)]


@pytest.fixture
def long_command() -> Iterator[str]:
    """A command whose answer is 1,200 lines (about 75,000 characters), as the whole fleet's list would be."""

    @command("chat_limits_long", Access.PUBLIC)
    async def long(ctx: Ctx, args: dict[str, Any]) -> Reply:
        return Reply().add("Fleet", "title").add("\n".join(LONG_LINES))

    yield "chat_limits_long"
    REGISTRY.pop("chat_limits_long", None)


async def test_a_slack_answer_longer_than_a_response_url_takes_says_what_is_left_out(
    orm: None, redis: Redis, long_command: str
) -> None:
    async with slack_rig(redis) as slack:
        body = slash_command_body("/mailfleet", long_command, response_url=slack.api.response_url("long"))
        assert await slack.post(body, signed_headers(SECRET, body)) == 200
        await slack.api.wait_response(count=RESPONSE_URL_POSTS, within=10)
        await asyncio.sleep(0.5)
        assert slack.api.failed_responses == []  # nothing Slack would refuse or drop
        posts = [r.body for r in slack.api.responses if r.key == "long"]
        assert len(posts) == RESPONSE_URL_POSTS
        shown = [text for post in posts for text in texts(post["blocks"])]
        assert shown[0] == "Fleet"
        lines = "\n".join(shown[1:-1]).split("\n")
        assert lines == LONG_LINES[: len(lines)]  # in order, cut only between lines
        assert shown[-1] == ":warning: " + EN("slack-reply-cut", lines=len(LONG_LINES) - len(lines))


async def test_a_long_slack_answer_posted_to_a_channel_arrives_whole(
    orm: None, redis: Redis, long_command: str
) -> None:
    async with slack_rig(redis) as slack:
        notifier = SlackNotifier(slack.transport.client)
        await notifier.send("C0ALERTS", await slack.transport.runner.run_line(
            slack.transport.runner.identity(Platform.SLACK, "U0ANY"), "C0ALERTS", "/" + long_command))  # fmt: skip
        posted = slack.api.calls_to("chat.postMessage")
        assert len(posted) > 1
        shown = [text for call in posted for text in texts(call.params["blocks"])]
        assert shown[0] == "Fleet" and "\n".join(shown[1:]).split("\n") == LONG_LINES


@pytest.fixture
def file_command() -> Iterator[str]:
    """A command that takes a file and a word (an address), and says what it got."""

    @command("chat_limits_ca", Access.PUBLIC, Arg("address"), Arg("pem", kind="file"))
    async def ca(ctx: Ctx, args: dict[str, Any]) -> Reply:
        return Reply().add(f"{args['address']}: {args['pem'].filename}")

    yield "chat_limits_ca"
    REGISTRY.pop("chat_limits_ca", None)


async def test_an_address_slack_turned_into_a_link_reaches_the_command_as_typed(
    orm: None, redis: Redis, file_command: str
) -> None:
    async with slack_rig(redis) as slack:
        pem = slack.files.add("ca.pem", b"-----BEGIN CERTIFICATE-----\n")
        # Slack sends a message's text with addresses and domains made links, and Slack's own escapes
        text = f"<@U0MFBOT> {file_command} <mailto:anna@acme.ru|anna@acme.ru>"
        body = _dm(text, user="U0ANY", files=[pem])
        assert await slack.post(body, signed_headers(SECRET, body, content_type="application/json")) == 200
        posted = await slack.api.wait_call("chat.postMessage")
        assert texts(posted.params["blocks"]) == ["anna@acme.ru: ca.pem"]


async def test_presses_after_an_approval_expired_say_so_every_time(telegram: TelegramRig) -> None:
    await telegram.admin("/workspace_new acme ACME")
    code = await telegram.invite("acme", "manager")
    anna = telegram.user(ANNA, first_name="Anna", language_code="ru")
    await anna.send_command(f"/start {code}")
    await anna.wait_replies()
    await anna.send_command("/bind alerts")
    await anna.wait_replies()
    group = telegram.user(ANNA, chat_id=GROUP, first_name="Anna", language_code="ru")
    await group.send_command("/bind alerts")
    await group.wait_replies()
    approval, approve, _ = await request_approval(telegram)
    [in_private] = await anna.wait_replies()
    [in_group] = await group.wait_replies()
    telegram.clock.advance(approvals.DEFAULT_TTL + dt.timedelta(minutes=1))
    expired = RU("error-approval-expired", id=approval.id)
    for person, message in ((anna, in_private), (group, in_group)):  # the first press finds it expired, then closed
        query = await person.press(message.callback_data(approve), message)
        answer = await person.wait_callback_answer(query)
        assert (answer["show_alert"], answer["text"]) == (True, expired)
    assert (await Approval.get(id=approval.id)).status is ApprovalStatus.EXPIRED
    await anna.assert_no_replies(within=0.3)


async def test_a_file_shared_in_a_group_without_a_command_is_left_alone(telegram: TelegramRig) -> None:
    group = telegram.user(ANNA, chat_id=GROUP, first_name="Anna")
    await group.upload_document("minutes.pdf", b"%PDF-1.4\n", mime_type="application/pdf")
    await group.upload_document("domains.csv", b"domain\nalpha.test\n", caption="/domain_add@other_bot")
    await group.assert_no_replies(within=0.5)  # group chatter, and another bot's command, are not for the bot
    private = telegram.user(ANNA, first_name="Anna")
    await private.upload_document("minutes.pdf", b"%PDF-1.4\n", mime_type="application/pdf")
    [reply] = await private.wait_replies()  # in its private chat it asks what to do
    assert visible(reply.text) == ERROR_MARK + EN("telegram-document-no-command")


async def test_an_unknown_command_in_a_group_is_answered_only_when_it_names_the_bot(telegram: TelegramRig) -> None:
    group = telegram.user(ANNA, chat_id=GROUP, first_name="Anna", language_code="ru")
    await group.send_command("/weather Moscow")  # another bot's command, typed without its name
    await group.assert_no_replies(within=0.5)
    await group.send_command("/weather@mailfleet_test_bot Moscow")
    [reply] = await group.wait_replies()
    assert visible(reply.text) == ERROR_MARK + RU("error-unknown-command", command="weather")
    private = telegram.user(ANNA, first_name="Anna", language_code="ru")
    await private.send_command("/weather")
    [reply] = await private.wait_replies()
    assert visible(reply.text) == ERROR_MARK + RU("error-unknown-command", command="weather")


async def test_the_something_went_wrong_notice_speaks_the_persons_chosen_language(runner: Runner, redis: Redis) -> None:
    """Telegram itself fails the reply (a 502): the notice after it is in the language chosen with /lang, not the
    Telegram app's."""
    async with FlakyBotApi() as api:
        transport = TelegramTransport(runner, token="42:locale-token", api_base=api.base, redis=redis)
        await transport.start_polling()
        try:
            api.user_says(ANNA, "/lang ru")  # the person's Telegram speaks English
            await until(lambda: len(api.delivered) >= 1, "the /lang answer")
            api.server_error(502)
            api.user_says(ANNA, "/whoami")
            await until(lambda: len(api.delivered) >= 2, "the notice")
        finally:
            await transport.stop()
    notice = api.delivered[1][1]
    assert notice.startswith(ERROR_MARK + RU("error-internal", ref="")), notice


async def test_a_slack_retry_runs_a_file_command_only_when_the_first_delivery_never_ran(
    orm: None, redis: Redis, file_command: str
) -> None:
    async with slack_rig(redis) as slack:
        pem = slack.files.add("ca.pem", b"-----BEGIN CERTIFICATE-----\n")
        retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_error"}
        # the first delivery was refused before it ran (a 503 while Redis restarted): Slack's retry must run it
        body = message_event_body(f"{file_command} anna@acme.ru", files=[pem], user_id="U0ANY", event_id="Ev0LOST")
        first = signed_headers(SECRET, body, content_type="application/json")
        assert await slack.post(body, first | retry) == 200
        posted = await slack.api.wait_call("chat.postMessage")
        assert texts(posted.params["blocks"]) == ["anna@acme.ru: ca.pem"]
        # a retry of a delivery that ran, signed anew (another timestamp than the first: never its signature),
        # never runs it again
        earlier = int(first["X-Slack-Request-Timestamp"]) - 1
        resigned = signed_headers(SECRET, body, timestamp=earlier, content_type="application/json")
        assert await slack.post(body, resigned | {"X-Slack-Retry-Num": "2"}) == 200
        await asyncio.sleep(0.5)
        assert len(slack.api.calls_to("chat.postMessage")) == 1
        assert len(slack.files.downloads) == 1


async def test_a_client_is_not_pointed_at_a_command_only_managers_may_run(telegram: TelegramRig) -> None:
    await telegram.admin("/workspace_new acme ACME")
    code = await telegram.invite("acme", "client")
    client = telegram.user(ANNA, first_name="Olga")
    await client.send_command(f"/start {code}")
    await client.wait_replies()
    for line in ("/report_campaign autumn", "/export_leads autumn"):
        await client.send_command(line)
        [reply] = await client.wait_replies()
        assert visible(reply.text) == ERROR_MARK + EN("error-campaign-not-found", name="autumn")
        assert "/campaigns" not in visible(reply.text)  # a client may not run it
    managed = await telegram.runner.run_line(
        telegram.runner.identity(Platform.CONSOLE, "local"), "console", "/report_campaign autumn"
    )
    assert managed.plain_text() == RU("error-campaign-not-found-manage", name="autumn")  # the console speaks ru
    assert "/campaigns" in managed.plain_text()


async def test_an_override_in_a_workspace_name_does_not_turn_the_reply_backwards(telegram: TelegramRig) -> None:
    """A workspace named with U+202E (RIGHT-TO-LEFT OVERRIDE): every reply naming it was drawn backwards from the
    name to the end of its line. It is shown as U+FFFD, in its place."""
    await telegram.admin("/workspace_new acme \u202eEMCA Ltd")
    code = await telegram.invite("acme", "manager")
    anna = telegram.user(ANNA, first_name="Anna", language_code="en")
    await anna.send_command(f"/start {code}")
    await anna.send_command("/whoami")
    replies = [visible(r.text) for r in await anna.wait_replies(2)]
    assert any("\ufffdEMCA Ltd" in text for text in replies), replies
    assert not any("\u202e" in text for text in replies), replies

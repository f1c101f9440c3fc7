"""Slack end to end: signed requests to the real bolt app on a loopback socket, a stand-in for the Web API and for
Slack's file host, real PostgreSQL and Redis. Nothing in between is mocked."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.command import REGISTRY, Access, Arg, Ctx, command
from bot.slack.notifier import SlackNotifier
from bot.slack.render import escape
from engine import approvals
from engine.crypto import Vault, generate_key
from engine.i18n import translator
from engine.notify import CHAT_UNREACHABLE, Notification, deliver
from engine.reply import Attachment, Reply
from models import Alert, AuditLog, ChatBinding, Delivery, Domain, Invite, Lead, Mailbox, Membership, Person, Workspace
from models.alert import Approval
from models.enums import (
    ApprovalKind,
    ApprovalStatus,
    ChatPurpose,
    MailboxStatus,
    MailProvider,
    Platform,
    Role,
    TlsMode,
)
from tests.e2e.slackrig import ADMIN, BOT_TOKEN, CLOCK, EN, SCOPES, SECRET, Rig, join, seen, slack_rig, texts
from tests.e2e.test_faults_replies import until
from tests.harness.slack_files import DM_CHANNEL_ID, SlackFiles, message_event_body
from tests.harness.slackapi import (
    BOT_USER_ID,
    CHANNEL_ID,
    block_actions_body,
    signed_headers,
    slash_command_body,
)

ALERTS = "C0ALERTS"
RU = translator("ru")
TEST_COMMANDS = (
    "slack_test_export", "slack_test_exports", "slack_test_slow", "slack_test_import", "slack_test_manage_import"
)  # fmt: skip
REPORT = "домен,отправлено\nalpha.test,120\n".encode()


@pytest.fixture(scope="module", autouse=True)
def test_commands() -> Iterator[None]:
    """Commands that exist only here: a reply with a file, a slow command, a command that takes a file."""

    @command("slack_test_export", Access.PUBLIC)
    async def export(ctx: Ctx, args: dict[str, Any]) -> Reply:
        reply = Reply().add("export ready")
        reply.files.append(Attachment("report.csv", REPORT))
        return reply

    @command("slack_test_exports", Access.PUBLIC)
    async def exports(ctx: Ctx, args: dict[str, Any]) -> Reply:
        return Reply(files=[Attachment("leads.csv", REPORT), Attachment("chart.png", b"\x89PNG", "image/png")]).add(
            "exports ready"
        )

    @command("slack_test_slow", Access.PUBLIC)
    async def slow(ctx: Ctx, args: dict[str, Any]) -> Reply:
        await asyncio.sleep(4)
        return Reply().add("slow done")

    @command("slack_test_import", Access.PUBLIC, Arg("leads", kind="file"), Arg("list", required=False))
    async def import_(ctx: Ctx, args: dict[str, Any]) -> Reply:
        leads: Attachment = args["leads"]
        lines = leads.content.count(b"\n")
        return Reply().add(
            f"{leads.filename} ({leads.mime}): {len(leads.content)} bytes, {lines} lines → {args['list']}"
        )

    @command("slack_test_manage_import", Access.MANAGE, Arg("leads", kind="file"))
    async def manage_import(ctx: Ctx, args: dict[str, Any]) -> Reply:
        return Reply().add(f"imported {len(args['leads'].content)} bytes")

    yield
    for name in TEST_COMMANDS:
        REGISTRY.pop(name, None)


@pytest.fixture
async def slack(orm: None, redis: Redis) -> AsyncIterator[Rig]:
    async with slack_rig(redis) as rig:
        yield rig


def methods(slack: Rig) -> list[str]:
    """The Web API methods the app called, but the once-a-day language lookups (users.info)."""
    return [c.method for c in slack.api.calls if c.method != "users.info"]


async def test_join_with_an_invite_binds_a_new_slack_user(slack: Rig) -> None:
    created = await slack.command('workspace_new acme "ACME & Co"', user=ADMIN, name="boss")
    assert created["response_type"] == "ephemeral"
    assert texts(created["blocks"]) == [seen(EN("workspace-created", slug="acme", name="ACME & Co"))]
    assert "&amp;" in created["text"] and "& " not in created["text"]
    assert (await Workspace.get(slug="acme")).name == "ACME & Co"

    await join(slack, "U0NEWBIE", "manager", name="newbie")

    person = await Person.get(platform=Platform.SLACK, external_id="U0NEWBIE")
    assert person.display_name == "newbie"
    membership = await Membership.get(person=person).prefetch_related("workspace")
    assert (membership.workspace.slug, membership.role) == ("acme", Role.MANAGER)
    assert await Invite.filter(used_by_id=person.id).count() == 1
    assert methods(slack) == ["auth.test"]  # every answer went to response_url


async def test_a_manager_creates_a_workspace(slack: Rig) -> None:
    await join(slack, "U0MGR", "manager", name="mgr")
    created = await slack.command("workspace_new beta Beta Outreach", user="U0MGR")
    assert texts(created["blocks"]) == [EN("workspace-created", slug="beta", name="Beta Outreach")]
    beta = await Workspace.get(slug="beta")
    person = await Person.get(external_id="U0MGR")
    assert (await Membership.get(person=person, workspace=beta)).role == Role.MANAGER
    assert person.current_workspace_id == beta.id


async def test_approval_request_in_a_bound_channel_is_decided_once(slack: Rig, redis: Redis) -> None:
    await join(slack, "U0MGR", "manager", name="mgr")
    bound = await slack.command("bind alerts", user="U0MGR", channel=ALERTS)
    assert texts(bound["blocks"]) == [
        seen(EN("bind-done", workspace="ACME & Co", slug="acme", purposes=EN("purpose-alerts")))
    ]
    workspace = await Workspace.get(slug="acme")
    binding = await ChatBinding.get(platform=Platform.SLACK, chat_id=ALERTS)
    assert (binding.workspace_id, binding.purposes) == (workspace.id, ["alerts"])

    subject = "alpha.test -> beta.test"
    approval = await approvals.request(workspace.id, ApprovalKind.DOMAIN_SWAP, subject, {}, clock=CLOCK)
    assert approval is not None
    ref = str(approval.id)
    notification = Notification(
        id=f"approval:{ref}",
        workspace_id=workspace.id,
        purpose=ChatPurpose.ALERTS,
        title_key="cmd-approve",
        body_key="cmd-reject",
        buttons=[("button-approve", "approve", ref), ("button-reject", "reject", ref)],
    )
    report = await deliver(notification, {Platform.SLACK: SlackNotifier(slack.transport.client)}, redis, CLOCK)
    assert report.sent == [f"slack:{ALERTS}"]

    posted = await slack.api.wait_call("chat.postMessage")
    assert posted.params["channel"] == ALERTS
    message = slack.api.messages[(ALERTS, (await Delivery.get(notification_id=f"approval:{ref}")).external_id)]
    [actions] = [b for b in message["blocks"] if b["type"] == "actions"]
    ws_t = translator(workspace.locale)
    assert [(e["text"]["text"], e["value"], e["style"]) for e in actions["elements"]] == [
        (ws_t("button-approve"), ref, "primary"),
        (ws_t("button-reject"), ref, "danger"),
    ]
    approve = actions["elements"][0]

    first = await slack.press(approve, user="U0MGR", channel=ALERTS, message=message)
    confirmation = seen(EN("approval-approved", id=approval.id, subject=subject))
    assert first.body["replace_original"] is True
    assert texts(first.body["blocks"]) == [*texts(message["blocks"]), confirmation]
    assert all(b["type"] != "actions" for b in first.body["blocks"])
    decided = await Approval.get(id=approval.id)
    manager = await Person.get(external_id="U0MGR")
    assert (decided.status, decided.decided_via, decided.decided_by_id) == (
        ApprovalStatus.APPROVED,
        Platform.SLACK,
        manager.id,
    )

    again = await slack.press(approve, user="U0MGR", channel=ALERTS, message=message)
    already = EN("error-approval-decided", id=approval.id, status="approved", who="mgr", via="slack")
    assert (again.body["response_type"], again.body["replace_original"]) == ("ephemeral", False)
    assert texts(again.body["blocks"]) == [":warning: " + escape(already)]
    assert (await Approval.get(id=approval.id)).decided_at == decided.decided_at
    assert await AuditLog.filter(action="approval.decide").count() == 1


async def test_an_unknown_user_gets_the_polite_message(slack: Rig) -> None:
    refused = await slack.command("workspace", user="U0STRANGER")
    assert texts(refused["blocks"]) == [":warning: " + seen(EN("error-not-registered"))]
    helped = await slack.command("", user="U0STRANGER")
    assert helped["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": EN("help-title"), "emoji": True},
    }


async def test_a_client_cannot_run_a_manager_command(slack: Rig) -> None:
    await join(slack, "U0CLIENT", "client", name="client")
    for text in ("invite manager", "bind alerts"):
        refused = await slack.command(text, user="U0CLIENT", channel=ALERTS)
        assert texts(refused["blocks"]) == [":warning: " + seen(EN("error-forbidden", command=text.split()[0]))]
    assert await Invite.filter(used_at=None).count() == 0
    assert await ChatBinding.all().count() == 0


async def test_forged_or_stale_requests_are_rejected_without_effect(slack: Rig) -> None:
    runner = slack.transport.runner
    admin = runner.identity(Platform.SLACK, ADMIN, "boss")
    await runner.run(admin, CHANNEL_ID, "workspace_new", ["acme"])
    invite = await runner.run(admin, CHANNEL_ID, "invite", ["manager"])
    [code] = [b.text for b in invite.blocks if b.style == "pre"]
    people_before = await Person.all().count()

    join_body = slash_command_body(
        "/mailfleet", f"join {code}", response_url=slack.api.response_url(), user_id="U0EVIL"
    )
    press_body = block_actions_body("mf.approve.0", "1", response_url=slack.api.response_url(), user_id="U0EVIL")
    stale = int(time.time()) - 5 * 60 - 1
    for body in (join_body, press_body):
        assert await slack.post(body, signed_headers("not-the-secret", body)) == 401
        assert await slack.post(body, signed_headers(SECRET, body, timestamp=stale)) == 401
    event = message_event_body("slack_test_import", files=[slack.files.add("x.csv", b"a\n")], user_id="U0EVIL")
    assert await slack.post(event, signed_headers("not-the-secret", event, content_type="application/json")) == 401

    assert (slack.api.calls, slack.api.responses, slack.files.downloads) == ([], [], [])
    assert await Person.all().count() == people_before
    assert not await Person.exists(external_id="U0EVIL")
    assert await Invite.filter(used_at=None).count() == 1


async def test_the_events_url_answers_slacks_verification_challenge(slack: Rig) -> None:
    body = json.dumps({"token": "verification-token", "challenge": "c0ffee", "type": "url_verification"})
    headers = signed_headers(SECRET, body, content_type="application/json")
    async with slack.http.post(slack.events_url, data=body, headers=headers) as response:
        assert (response.status, await response.text()) == (200, '{"challenge": "c0ffee"}')


async def test_a_commands_file_goes_to_the_persons_dm_never_to_the_channel(slack: Rig) -> None:
    answered = await slack.command("slack_test_export", user="U0TESTER")
    dm = slack.api.dm_channel("U0TESTER")
    assert answered["response_type"] == "ephemeral"
    assert texts(answered["blocks"]) == ["export ready", EN("slack-file-sent-dm", names="report.csv", count=1)]
    assert slack.api.files_in(CHANNEL_ID) == []  # before: shared in the channel, for everyone in it
    [uploaded] = slack.api.files_in(dm)
    assert (uploaded.filename, uploaded.content, uploaded.shared_in) == ("report.csv", REPORT, [dm])
    assert uploaded.initial_comment == EN("slack-file-dm-comment", count=1, command="slack_test_export")
    assert methods(slack) == [
        "auth.test",
        "conversations.open",
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]
    assert slack.api.calls_to("conversations.open")[0].params["users"] == "U0TESTER"

    other = await slack.command("slack_test_export", user="U0OTHER")  # someone else's file goes to their DM
    assert texts(other["blocks"])[-1] == EN("slack-file-sent-dm", names="report.csv", count=1)
    assert [f.shared_in for f in slack.api.files_in(slack.api.dm_channel("U0OTHER"))] == [["D0OTHER"]]

    typed_there = await slack.command("slack_test_export", user="U0TESTER", channel=dm)  # in the DM already
    assert texts(typed_there["blocks"]) == ["export ready"]  # the file is right there: nothing to say
    assert [f.initial_comment for f in slack.api.files_in(dm)] == [uploaded.initial_comment, None]
    assert slack.api.files_in(CHANNEL_ID) == []


async def test_several_files_go_to_the_dm_in_one_share_or_not_at_all(slack: Rig) -> None:
    assert await slack.say("lang ru", user=ADMIN) == [seen(RU("lang-set"))]
    dm = slack.api.dm_channel(ADMIN)
    slack.api.fail_next("files.completeUploadExternal", "channel_not_found")
    failed = await slack.say("slack_test_exports", user=ADMIN)
    names = "leads.csv, chart.png"
    assert failed == [
        "exports ready",
        ":warning: " + seen(RU("slack-file-dm-failed", names=names, count=2, error="channel_not_found")),
    ]
    assert len(slack.api.files) == 2 and all(f.shared_in == [] for f in slack.api.files.values())  # none shared

    sent = await slack.say("slack_test_exports", user=ADMIN)
    assert sent == ["exports ready", RU("slack-file-sent-dm", names=names, count=2)]
    assert "Файлы leads.csv, chart.png отправлены" in sent[1]
    assert [(f.filename, f.content) for f in slack.api.files_in(dm)] == [
        ("leads.csv", REPORT),
        ("chart.png", b"\x89PNG"),
    ]
    assert len(slack.api.calls_to("files.completeUploadExternal")) == 2  # one share for both, each time
    assert slack.api.files_in(CHANNEL_ID) == []


async def test_a_button_sends_its_file_to_the_dm_and_tells_only_who_pressed(slack: Rig) -> None:
    message = {"ts": "1700000000.000100", "text": "exports", "blocks": [{"type": "section", "text": {
        "type": "mrkdwn", "text": "exports"}}]}  # fmt: skip
    button = {"action_id": "mf.slack_test_export.0", "value": ""}
    replaced = await slack.press(button, user="U0TESTER", channel=CHANNEL_ID, message=message)
    assert replaced.body["replace_original"] is True
    assert texts(replaced.body["blocks"]) == ["exports", "export ready"]  # the channel's message: no word of it
    told = (await slack.api.wait_response(count=2)).body
    assert (told["response_type"], told["replace_original"]) == ("ephemeral", False)
    assert texts(told["blocks"]) == [EN("slack-file-sent-dm", names="report.csv", count=1)]
    assert [f.filename for f in slack.api.files_in(slack.api.dm_channel("U0TESTER"))] == ["report.csv"]
    assert slack.api.files_in(CHANNEL_ID) == []


async def test_without_im_write_no_file_goes_anywhere_and_the_answer_names_the_scope(
    orm: None, redis: Redis, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    async with slack_rig(redis, scopes=SCOPES - {"im:write"}) as slack:  # installed before the README listed it
        answered = await slack.say("slack_test_export", user="U0TESTER")
        assert answered == [
            "export ready",
            ":warning: " + seen(EN("slack-file-dm-scope", names="report.csv", count=1, scope="im:write")),
        ]
        assert "groups:write" not in answered[1]  # Slack's `needed` lists every conversation scope: ours is named
        assert slack.api.files == {}  # nothing uploaded, nothing shared: in the channel least of all
        assert methods(slack) == ["auth.test", "conversations.open"]

        assert await slack.say("lang ru", user=ADMIN) == [seen(RU("lang-set"))]
        russian = await slack.say("slack_test_exports", user=ADMIN, channel="C0SALES")
        names = "leads.csv, chart.png"
        assert russian[1] == ":warning: " + seen(RU("slack-file-dm-scope", names=names, count=2, scope="im:write"))
        assert "нет права im:write" in russian[1] and slack.api.files == {}

        slack.api.not_member.add("D0PEOPLE")  # a DM between two people: the app is never in it
        between = await slack.say("slack_test_export", user=ADMIN, channel="D0PEOPLE")
        no_scope = RU("slack-file-dm-scope", names="report.csv", count=1, scope="im:write")
        assert between[1] == ":warning: " + seen(no_scope)
        assert all(f.shared_in == [] for f in slack.api.files.values())
        dm = slack.api.dm_channel("U0TESTER")  # typed in the app's own DM: the file goes there, as the answer does
        assert await slack.say("slack_test_export", user="U0TESTER", channel=dm) == ["export ready"]
        assert [f.filename for f in slack.api.files_in(dm)] == ["report.csv"]
        assert [f for f in slack.api.files.values() if f.shared_in and f.shared_in != [dm]] == []
    captured = capsys.readouterr()
    logged = captured.out + captured.err + caplog.text
    assert "missing_scope" in logged and "slack request failed" not in logged
    assert BOT_TOKEN not in logged and SECRET not in logged
    assert not [r for r in caplog.records if r.levelname in {"ERROR", "CRITICAL"}]


async def test_a_rate_limited_dm_waits_retry_after_then_says_when_to_try_again(slack: Rig) -> None:
    slack.api.fail_next("files.completeUploadExternal", "ratelimited", status=429, retry_after=1)
    started = time.monotonic()
    once = await slack.say("slack_test_export", user="U0TESTER")  # one 429: waited out, shared once
    assert time.monotonic() - started >= 1
    assert once == ["export ready", EN("slack-file-sent-dm", names="report.csv", count=1)]
    assert len(slack.api.files_in(slack.api.dm_channel("U0TESTER"))) == 1

    for _ in range(3):  # the client waits Retry-After twice, then gives up
        slack.api.fail_next("conversations.open", "ratelimited", status=429, retry_after=1)
    refused = await slack.say("slack_test_export", user="U0TESTER")
    assert refused == [
        "export ready",
        ":warning: " + EN("slack-file-dm-busy", names="report.csv", count=1, seconds=1),
    ]
    assert len(slack.api.calls_to("conversations.open")) == 4
    assert len(slack.api.files) == 1 and slack.api.files_in(CHANNEL_ID) == []


async def test_a_slow_command_is_acknowledged_at_once_and_answered_later(slack: Rig) -> None:
    body = slash_command_body("/mailfleet", "slack_test_slow", response_url=slack.api.response_url())
    started = time.monotonic()
    assert await slack.post(body, signed_headers(SECRET, body)) == 200
    assert time.monotonic() - started < 1.5
    assert slack.api.responses == []
    answer = await slack.api.wait_response(within=8)
    assert time.monotonic() - started >= 4
    assert texts(answer.body["blocks"]) == ["slow done"]


async def test_a_csv_sent_to_the_bot_becomes_the_file_argument(slack: Rig) -> None:
    csv = b"email,name\nann@a.test,Ann\nbob@b.test,Bob\n"
    shared = slack.files.add("leads.csv", csv)
    body = message_event_body("slack_test_import spring", files=[shared])
    headers = signed_headers(SECRET, body, content_type="application/json")
    assert await slack.post(body, headers) == 200
    answer = await slack.api.wait_call("chat.postMessage")
    assert answer.params["channel"] == DM_CHANNEL_ID
    assert texts(answer.params["blocks"]) == [f"leads.csv (text/csv): {len(csv)} bytes, 3 lines → spring"]
    assert slack.files.downloads == [(shared["id"], BOT_TOKEN)]

    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert await slack.post(body, headers | retry) == 401  # the same signature again: a replay, refused
    # a timestamp other than the first request's (`time.time() - 1` was the same one when a slow first
    # round trip took a second: the "new" signature was the old one, refused as a replay)
    earlier = int(headers["X-Slack-Request-Timestamp"]) - 1
    resigned = signed_headers(SECRET, body, timestamp=earlier, content_type="application/json")
    assert await slack.post(body, resigned | retry) == 200  # signed anew: accepted, and ignored as a retry
    chatter = message_event_body(  # a file shared in a channel without a command: not for us (a DM: a hint)
        "look at this", files=[slack.files.add("notes.csv", b"x\n")], channel_id=ALERTS, channel_type="channel"
    )
    assert await slack.post(chatter, signed_headers(SECRET, chatter, content_type="application/json")) == 200
    huge = message_event_body("slack_test_import", files=[slack.files.add("big.csv", b"x\n", size=3 * 2**20)])
    assert await slack.post(huge, signed_headers(SECRET, huge, content_type="application/json")) == 200
    refused = await slack.api.wait_call("chat.postMessage", count=2)
    assert texts(refused.params["blocks"]) == [":warning: " + EN("slack-file-too-large", limit_mb=2)]
    assert len(slack.files.downloads) == 1
    assert len(slack.api.calls_to("chat.postMessage")) == 2


async def test_a_rate_limited_post_is_retried_after_retry_after(slack: Rig) -> None:
    slack.api.fail_next("chat.postMessage", "ratelimited", status=429, retry_after=1)
    started = time.monotonic()
    ts = await SlackNotifier(slack.transport.client).send(ALERTS, Reply().add("digest"))
    assert time.monotonic() - started >= 1
    assert len(slack.api.calls_to("chat.postMessage")) == 2
    assert slack.api.messages[(ALERTS, ts)]["text"] == "digest"


async def test_an_unexpected_failure_answers_with_a_reference_and_logs_no_secret(
    slack: Rig, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    slack.api.fail_next("files.getUploadURLExternal", "fatal_error")
    answered = await slack.command("slack_test_export", user="U0TESTER")
    assert texts(answered["blocks"]) == ["export ready"]
    failure = (await slack.api.wait_response(count=2)).body
    assert (failure["response_type"], failure["replace_original"]) == ("ephemeral", False)
    prefix = EN("error-internal", ref="")
    assert failure["text"].startswith(prefix), failure["text"]
    ref = failure["text"].removeprefix(prefix)
    assert re.fullmatch("[0-9a-f]{8}", ref)
    captured = capsys.readouterr()
    logged = captured.out + captured.err + caplog.text
    assert ref in logged
    assert BOT_TOKEN not in logged and SECRET not in logged


# Attacks and platform limits --------------------------------------------------------------------------------------


def _forged(*, timestamp: str | None = None, content_type: str = "application/json") -> dict[str, str]:
    """Headers shaped like Slack's, with a fresh timestamp and a well-formed signature that is not the HMAC."""
    ts = timestamp if timestamp is not None else str(int(time.time()))
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": "v0=" + "0" * 64}


async def _chunked(data: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(data), 64 * 1024):
        yield data[start : start + 64 * 1024]


async def test_a_flood_of_unsigned_oversized_and_malformed_bodies_never_reaches_bolt(
    slack: Rig, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    dispatched: list[str] = []
    dispatch = slack.transport.app.async_dispatch

    async def counting(request: Any) -> Any:
        dispatched.append(request.raw_body[:20])
        return await dispatch(request)

    monkeypatch.setattr(slack.transport.app, "async_dispatch", counting)
    megabyte = b'{"type": "event_callback", "event": ' + b"[" * (2**20) + b"}"
    huge_signed_body = b"x" * (slack.transport.max_body_bytes + 1)

    async def send(data: Any, headers: dict[str, str]) -> int:
        async with slack.http.post(slack.events_url, data=data, headers=headers) as response:
            assert "Traceback" not in await response.text()
            return response.status

    cases = [
        *[(megabyte, {"Content-Type": "application/json"}, 401) for _ in range(5)],  # unsigned: nothing is read
        *[(megabyte, _forged(), 413) for _ in range(5)],  # Content-Length over the cap
        *[(_chunked(megabyte), _forged(), 413) for _ in range(3)],  # no length: cut while reading
        (huge_signed_body, signed_headers(SECRET, huge_signed_body), 413),  # even correctly signed
        (b"{not json", {"Content-Type": "application/json"}, 401),
        (b"{not json", _forged(), 401),  # well-formed headers, wrong HMAC
        (b"payload=%7B", _forged(timestamp="soon"), 401),
        (b"payload=%7B", _forged(timestamp=str(int(time.time()) - 3600)), 401),
        (b"\xff\xfe\x00garbage", _forged(), 401),
    ]
    statuses = await asyncio.gather(*(send(data, headers) for data, headers, _ in cases))

    assert list(statuses) == [expected for _, _, expected in cases]
    assert dispatched == []
    assert (slack.api.calls, slack.api.responses, slack.files.downloads) == ([], [], [])
    logged = caplog.text + "".join(capsys.readouterr())
    assert "Traceback" not in logged and "Error handling request" not in logged
    assert not [r for r in caplog.records if r.levelname in {"ERROR", "CRITICAL"}]

    answered = await slack.command("whoami", user="U0TESTER")  # a real request still gets through
    assert len(dispatched) == 1 and answered["response_type"] == "ephemeral"


async def test_a_signed_request_replayed_later_is_refused_and_runs_once(slack: Rig, redis: Redis) -> None:
    await slack.command('workspace_new acme "ACME"', user=ADMIN, name="boss")
    body = slash_command_body(
        "/mailfleet", "invite manager", response_url=slack.api.response_url(), user_id=ADMIN, user_name="boss"
    )
    headers = signed_headers(SECRET, body, timestamp=int(time.time()) - 60)  # captured a minute ago
    assert await slack.post(body, headers) == 200
    await slack.api.wait_response(count=2)
    for _ in range(2):
        assert await slack.post(body, headers) == 401
        assert await slack.post(body, headers | {"X-Slack-Retry-Num": "1"}) == 401
    await asyncio.sleep(0.3)  # a replay that got through would have answered by now
    assert len(slack.api.responses) == 2
    assert await Invite.all().count() == 1
    assert len(await redis.keys("mailfleet:slack:seen:*")) == 2  # one per accepted request, shared by processes


async def test_the_bot_token_goes_only_to_slacks_file_host(slack: Rig) -> None:
    async with SlackFiles(token=BOT_TOKEN) as elsewhere:
        shared = elsewhere.add("leads.csv", b"email\nann@a.test\n")
        body = message_event_body("slack_test_import spring", files=[shared])
        assert await slack.post(body, signed_headers(SECRET, body, content_type="application/json")) == 200
        refused = await slack.api.wait_call("chat.postMessage")
        assert texts(refused.params["blocks"]) == [":warning: " + EN("slack-download-failed", name="leads.csv")]
        assert elsewhere.downloads == []
    assert slack.files.downloads == []


async def test_a_file_for_a_command_the_person_may_not_run_is_never_downloaded(slack: Rig) -> None:
    shared = slack.files.add("leads.csv", b"email\nann@a.test\n")
    body = message_event_body("slack_test_manage_import", files=[shared], user_id="U0STRANGER")
    assert await slack.post(body, signed_headers(SECRET, body, content_type="application/json")) == 200
    refused = await slack.api.wait_call("chat.postMessage")
    assert texts(refused.params["blocks"]) == [":warning: " + seen(EN("error-not-registered"))]
    assert slack.files.downloads == []


async def test_a_file_bigger_than_it_says_is_cut_off_at_the_limit(slack: Rig) -> None:
    shared = slack.files.add("leads.csv", b"email,name\n" * (300 * 1024), size=100)  # 3.3 MB, says 100 bytes
    body = message_event_body("slack_test_import", files=[shared])
    assert await slack.post(body, signed_headers(SECRET, body, content_type="application/json")) == 200
    refused = await slack.api.wait_call("chat.postMessage")
    assert texts(refused.params["blocks"]) == [":warning: " + EN("slack-file-too-large", limit_mb=2)]
    assert slack.files.downloads == [(shared["id"], BOT_TOKEN)]


async def test_huge_numbers_long_values_and_control_characters_are_refused_by_name(slack: Rig) -> None:
    await join(slack, "U0MGR", "manager", name="mgr")
    big = await slack.command("approve 99999999999999999999", user="U0MGR")
    expected = EN("error-approval-not-found", id=99999999999999999999)  # as any wrong id: no column's bounds
    assert texts(big["blocks"]) == [":warning: " + seen(expected)]

    too_long = await slack.command("use " + "a" * 3000, user="U0MGR")  # past Fluent's 2,500: was {???}
    [text] = texts(too_long["blocks"])
    assert "{???}" not in text and "3000" in text and "40." in text and "a" * 39 + "…" in text
    assert len(text) < 400

    nul = await slack.command("use ac\x00me", user="U0MGR")
    assert texts(nul["blocks"]) == [
        ":warning: " + seen(EN("error-arg-control", arg="workspace", command="use", position="3", usage="/use acme"))
    ]
    huge = await slack.command("use " + "x" * 10_000, user="U0MGR")
    assert texts(huge["blocks"]) == [":warning: " + EN("error-text-too-long", length="10004", limit="4000")]


async def test_a_file_command_typed_as_a_slash_command_says_how_a_file_reaches_the_bot(slack: Rig) -> None:
    await join(slack, "U0MGR", "manager", name="mgr")
    asked = await slack.say("slack_test_import spring", user="U0MGR")  # a slash command carries no file
    missing = EN("error-file-missing", command="slack_test_import", arg="leads", usage="/slack_test_import")
    assert asked[0] == ":warning: " + seen(missing)
    assert asked[1:] == [seen(EN("slack-file-waiting", line="slack_test_import spring", minutes=15))]
    assert "/mailfleet" in asked[1] and "direct message" in asked[1]

    done = await slack.upload("slack_test_import spring", "leads.csv", b"email\nann@a.test\n", user="U0MGR")
    assert done == ["leads.csv (text/csv): 17 bytes, 2 lines → spring"]  # the hint, followed, works

    assert await slack.say("lang ru", user="U0MGR") == [seen(RU("lang-set"))]
    long_line = "slack_test_import " + "x" * 150
    [_, hint] = await slack.say(long_line, user="U0MGR")
    assert hint == seen(RU("slack-file-waiting", line=long_line[:119] + "…", minutes=15))
    ca = await slack.say("mailbox_ca anna@acme.test", user="U0MGR")  # refused by the command, not a question
    assert ca == [
        ":warning: " + seen(RU("error-mailbox-ca-file-missing", address="anna@acme.test")),
        seen(RU("slack-file-how", line="mailbox_ca anna@acme.test")),
    ]

    stranger = await slack.say("slack_test_manage_import", user="U0STRANGER")  # may not run it: no hint
    assert stranger == [":warning: " + seen(EN("error-not-registered"))]


async def test_a_file_asked_for_in_a_channel_the_app_is_not_in_reaches_the_dm(
    slack: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    slack.api.not_member.add("C0NOTMINE")  # a slash command works there; the app may not post there
    answered = await slack.command("slack_test_export", user="U0TESTER", channel="C0NOTMINE")
    assert texts(answered["blocks"]) == ["export ready", EN("slack-file-sent-dm", names="report.csv", count=1)]
    assert [f.filename for f in slack.api.files_in(slack.api.dm_channel("U0TESTER"))] == ["report.csv"]
    assert slack.api.files_in("C0NOTMINE") == []
    assert not [r for r in caplog.records if r.levelname in {"ERROR", "CRITICAL"}]


async def test_binding_a_channel_the_app_is_not_in_says_at_once_that_nothing_can_arrive(slack: Rig) -> None:
    await join(slack, "U0MGR", "manager", name="mgr")
    slack.api.not_member.add("C0NOTMINE")  # a slash command works there; the bot may not post there
    bound = await slack.command("bind alerts", user="U0MGR", channel="C0NOTMINE")
    done = seen(EN("bind-done", workspace="ACME & Co", slug="acme", purposes=EN("purpose-alerts")))
    assert bound["response_type"] == "ephemeral"
    assert texts(bound["blocks"]) == [done, ":warning: " + seen(EN("slack-not-member"))]
    assert await ChatBinding.exists(platform=Platform.SLACK, chat_id="C0NOTMINE")  # kept: arrives once added

    assert await slack.say("lang ru", user="U0MGR") == [seen(RU("lang-set"))]
    again = await slack.say("bind reports", user="U0MGR", channel="C0NOTMINE")
    assert again[-1] == ":warning: " + seen(RU("slack-not-member"))

    slack.api.not_member.clear()  # the app is added to the channel
    answered = await slack.command("bind alerts", user="U0MGR", channel="C0NOTMINE")
    both = RU("purpose-alerts") + ", " + RU("purpose-reports")
    assert texts(answered["blocks"]) == [seen(RU("bind-done", workspace="ACME & Co", slug="acme", purposes=both))]
    assert [(m["channel"], m["user"]) for m in slack.api.ephemerals] == [("C0NOTMINE", "U0MGR")]


async def test_several_files_in_one_message_are_refused_not_cut_to_the_first(slack: Rig) -> None:
    await join(slack, "U0MGR", "manager", name="mgr")
    assert await slack.say("lang ru", user="U0MGR") == [seen(RU("lang-set"))]
    parts = [slack.files.add(f"leads-{n}.csv", b"email\nann@a.test\n") for n in (1, 2)]
    body = message_event_body("slack_test_import spring", files=parts, user_id="U0MGR")
    assert await slack.post(body, signed_headers(SECRET, body, content_type="application/json")) == 200
    refused = await slack.api.wait_call("chat.postMessage")
    names = "leads-1.csv, leads-2.csv"
    assert texts(refused.params["blocks"]) == [":warning: " + seen(RU("slack-one-file", count=2, names=names))]
    assert slack.files.downloads == []  # nothing fetched, nothing imported

    one = await slack.upload("slack_test_import spring", "leads-1.csv", b"email\nann@a.test\n", user="U0MGR")
    assert one == ["leads-1.csv (text/csv): 17 bytes, 2 lines → spring"]


async def test_paging_a_list_shows_the_new_page_in_place_of_the_old_one(slack: Rig) -> None:
    await join(slack, "U0MGR", "manager", name="mgr")
    workspace = await Workspace.get(slug="acme")
    domain = await Domain.create(workspace=workspace, name="warm.test")
    for n in range(45):  # three pages of 20
        address = f"box{n:02d}@warm.test"
        await Mailbox.create(
            workspace=workspace, domain=domain, address=address, provider=MailProvider.GENERIC, smtp_host="127.0.0.1",
            smtp_port=587, smtp_tls=TlsMode.STARTTLS, imap_host="127.0.0.1", imap_port=993, imap_tls=TlsMode.IMPLICIT,
            username=address, secret_enc=b"x", status=MailboxStatus.PAUSED,
        )  # fmt: skip
    listed = await slack.command("mailboxes", user="U0MGR")
    message = {"ts": "1700000000.000100", "text": listed["text"], "blocks": listed["blocks"]}
    for page in (2, 3):
        [actions] = [b for b in message["blocks"] if b["type"] == "actions"]
        pressed = await slack.press(actions["elements"][-1], user="U0MGR", channel=CHANNEL_ID, message=message)
        assert pressed.body["replace_original"] is True
        shown = texts(pressed.body["blocks"])
        assert shown[0] == EN("mailboxes-title", total=45, page=page, pages=3)
        assert sum("(page " in text for text in shown) == 1  # the earlier pages are not piled above it
        assert "box00@warm.test" not in "\n".join(shown) and f"box{(page - 1) * 20:02d}@warm.test" in shown[1]
        message = {"ts": message["ts"], "text": pressed.body["text"], "blocks": pressed.body["blocks"]}
    [actions] = [b for b in message["blocks"] if b["type"] == "actions"]
    assert [e["text"]["text"] for e in actions["elements"]] == ["◀ 2"]  # the last page goes back only


async def test_help_of_a_file_command_tells_the_slack_way_to_send_the_file(slack: Rig) -> None:
    await join(slack, "U0MGR", "manager", name="mgr")
    shown = await slack.say("help mailbox_import", user="U0MGR")
    assert shown[-1] == seen(EN("help-file-slack", command="mailbox_import"))
    assert "captioned" not in "\n".join(shown)  # before: Telegram's way, as "captioned /mailfleet mailbox_import"
    assert await slack.say("lang ru", user="U0MGR") == [seen(RU("lang-set"))]
    russian = await slack.say("help leads_import", user="U0MGR")
    assert russian[-1] == seen(RU("help-file-slack", command="leads_import"))


async def test_a_person_who_first_wrote_to_the_bots_dm_gets_their_name_when_they_join(slack: Rig) -> None:
    hello = json.loads(message_event_body("hi", files=[], user_id="U0NEWBIE"))  # a message event: the id, no name
    del hello["event"]["subtype"], hello["event"]["files"]
    body = json.dumps(hello)
    assert await slack.post(body, signed_headers(SECRET, body, content_type="application/json")) == 200
    hint = await slack.api.wait_call("chat.postMessage")
    assert texts(hint.params["blocks"]) == [seen(EN("slack-text-hint"))]

    await join(slack, "U0NEWBIE", "manager", name="newbie")
    assert (await Person.get(external_id="U0NEWBIE")).display_name == "newbie"
    members = "\n".join(await slack.say("members", user=ADMIN))
    assert "newbie" in members and "U0NEWBIE" not in members


async def test_an_unknown_word_is_quoted_as_typed_after_mailfleet(slack: Rig) -> None:
    await join(slack, "U0MGR", "manager", name="mgr")
    assert await slack.say("cancel", user="U0MGR") == [
        ":warning: " + seen(EN("error-unknown-command-slack", command="cancel"))  # before: "… the command /cancel"
    ]
    assert await slack.say("hepl", user="U0MGR") == [
        ":warning: " + seen(EN("error-unknown-command-near-slack", command="hepl", near="help"))
    ]
    assert await slack.say("lang ru", user="U0MGR") == [seen(RU("lang-set"))]
    assert await slack.say("help cancel", user="U0MGR") == [
        ":warning: " + seen(RU("error-help-unknown-slack", command="cancel"))
    ]
    assert "/mailfleet cancel" in RU("error-help-unknown-slack", command="cancel")


async def test_a_file_whose_text_is_written_as_the_slash_command_runs_that_command(slack: Rig) -> None:
    await join(slack, "U0MGR", "manager", name="mgr")
    for text in ("mailfleet slack_test_import spring", "/mailfleet slack_test_import spring"):  # as /help shows it
        done = await slack.upload(text, "leads.csv", b"email\nann@a.test\n", user="U0MGR")
        assert done == ["leads.csv (text/csv): 17 bytes, 2 lines → spring"]


async def test_a_file_sent_alone_to_the_dm_answers_the_slash_command_that_asked_for_it(slack: Rig) -> None:
    await join(slack, "U0MGR", "manager", name="mgr")
    lead_list = b"email\nann@a.test\n"

    async def alone(name: str) -> list[str]:  # a file dropped into the bot's DM with no text
        expected = len(slack.api.calls_to("chat.postMessage")) + 1
        body = message_event_body("", files=[slack.files.add(name, lead_list)], user_id="U0MGR")
        assert await slack.post(body, signed_headers(SECRET, body, content_type="application/json")) == 200
        return texts((await slack.api.wait_call("chat.postMessage", count=expected)).params["blocks"])

    await slack.say("slack_test_import spring", user="U0MGR")  # asks for the file, as Telegram does
    assert await alone("leads.csv") == ["leads.csv (text/csv): 17 bytes, 2 lines → spring"]
    assert await alone("again.csv") == [":warning: " + seen(EN("slack-file-no-command"))]  # answered once

    await slack.say("slack_test_import autumn", user="U0MGR")
    await slack.say("whoami", user="U0MGR")  # another command drops the open question, as in Telegram
    assert await alone("late.csv") == [":warning: " + seen(EN("slack-file-no-command"))]

    asked = await slack.say("mailbox_ca", user="U0MGR")  # the address is missing, not only the file
    assert asked[-1] == seen(EN("slack-file-how", line="mailbox_ca"))  # so no "send the file alone"
    assert await alone("ca.pem") == [":warning: " + seen(EN("slack-file-no-command"))]
    assert [d for d, _ in slack.files.downloads] == ["F00000001"]  # only the answer was fetched


async def test_the_agency_chat_set_in_a_channel_the_app_is_not_in_says_nothing_can_arrive(slack: Rig) -> None:
    slack.api.not_member.add("C0NOTMINE")
    bound = await slack.say("agency_chat", user=ADMIN, channel="C0NOTMINE")
    assert bound == [seen(EN("agency-chat-bound")), ":warning: " + seen(EN("slack-not-member"))]
    unbound = await slack.say("agency_chat off", user=ADMIN, channel="C0NOTMINE")  # nothing will be posted: no warning
    assert unbound == [seen(EN("agency-chat-unbound"))]
    slack.api.not_member.clear()
    assert await slack.say("agency_chat", user=ADMIN, channel="C0NOTMINE") == [seen(EN("agency-chat-bound"))]


async def test_people_are_spoken_to_in_their_slack_language_until_they_pick_one(
    orm: None, redis: Redis, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every Slack user read the configured default language whatever their Slack spoke: the Telegram side used
    the app's language, Slack's was never read. A person whose Slack is in Russian is answered in Russian, one in
    a language Mailfleet does not speak gets the default, /lang still wins, and users.info is asked once a day per
    person; without the users:read scope everyone gets the default, and the answer is not held up."""
    async with slack_rig(redis) as slack:
        slack.api.users["U0IVAN"] = {"id": "U0IVAN", "name": "ivan", "locale": "ru-RU"}
        slack.api.users["U0HANS"] = {"id": "U0HANS", "name": "hans", "locale": "de-DE"}
        ivan = await slack.command("workspace", user="U0IVAN")
        assert texts(ivan["blocks"]) == [":warning: " + seen(RU("error-not-registered"))]
        hans = await slack.command("workspace", user="U0HANS")
        assert texts(hans["blocks"]) == [":warning: " + seen(EN("error-not-registered"))]
        await slack.command("workspace", user="U0IVAN")
        asked = [c.params.get("user") for c in slack.api.calls_to("users.info")]
        assert sorted(asked) == ["U0HANS", "U0IVAN"]  # remembered: Ivan's second command asked nothing
        assert all(
            str(c.params.get("include_locale")).lower() in {"1", "true"} for c in slack.api.calls_to("users.info")
        )
        assert await slack.say("lang en", user="U0IVAN") == [seen(EN("lang-set"))]
        again = await slack.command("workspace", user="U0IVAN")
        assert texts(again["blocks"]) == [":warning: " + seen(EN("error-not-registered"))]

    await redis.flushdb()
    async with slack_rig(redis, scopes=SCOPES - {"users:read"}) as slack:  # installed before the README listed it
        slack.api.users["U0OLGA"] = {"id": "U0OLGA", "name": "olga", "locale": "ru-RU"}
        olga = await slack.command("workspace", user="U0OLGA")
        assert texts(olga["blocks"]) == [":warning: " + seen(EN("error-not-registered"))]
    logged = capsys.readouterr().out
    assert "slack language not read" in logged and "missing_scope" in logged and "ru-RU" not in logged


def _event_body(event: dict[str, Any], event_id: str) -> str:
    return json.dumps({"type": "event_callback", "team_id": "T0TEAM", "event": event, "event_id": event_id})


async def test_the_app_removed_from_a_bound_channel_is_reported_at_once(slack: Rig) -> None:
    """The app removed from a channel bound for alerts, or a bound channel archived: nothing happened until the
    next alert failed there, and that alert was read by nobody. Slack says so at once (channel_left, group_left,
    channel_archive…), and the agency is told then, naming the workspace and what a post there would get; a
    channel nobody writes to tells nobody."""
    await join(slack, "U0MGR", "manager", name="mgr")
    await slack.command("bind alerts", user="U0MGR", channel=ALERTS)
    await slack.command("bind reports", user="U0MGR", channel="G0REPORTS")
    await slack.command("bind client", user="U0MGR", channel="C0CLIENT")

    async def event(body: dict[str, Any], event_id: str) -> None:
        raw = _event_body(body, event_id)
        assert await slack.post(raw, signed_headers(SECRET, raw, content_type="application/json")) == 200

    await event({"type": "channel_left", "channel": "C0ELSEWHERE", "actor_id": "U0MGR"}, "Ev01")  # not bound
    await event({"type": "channel_left", "channel": ALERTS, "actor_id": "U0MGR"}, "Ev02")
    await event({"type": "group_archive", "channel": "G0REPORTS"}, "Ev03")
    left = {"type": "member_left_channel", "channel": "C0CLIENT", "channel_type": "C", "team": "T0TEAM"}
    await event({**left, "user": "U0MGR"}, "Ev04")  # a person left: nothing lost
    await event({**left, "user": BOT_USER_ID}, "Ev05")  # the bot itself

    async def all_told() -> bool:
        return await Alert.filter(kind=CHAT_UNREACHABLE).count() == 3

    await until(all_told, "the three channels' alerts")
    lost = await Alert.filter(kind=CHAT_UNREACHABLE).order_by("subject")
    assert [(a.workspace_id, a.subject, a.data["workspace"], a.data["reason"]) for a in lost] == [
        (None, f"chat:slack:{ALERTS}", "acme", "not_in_channel"),
        (None, "chat:slack:C0CLIENT", "acme", "not_in_channel"),
        (None, "chat:slack:G0REPORTS", "acme", "is_archived"),
    ]


async def test_a_bound_channel_hears_only_about_its_own_workspace(orm: None, redis: Redis) -> None:
    """Anna manages ACME and RIVAL. A slash command's answer is hers alone, but a file sent to ACME's client channel
    is answered there, and so is a button of a message the channel reads: with RIVAL her current workspace, her
    lead list went into RIVAL (and RIVAL's import report into ACME's channel), and an approve button of RIVAL's
    left in the channel's history (it was RIVAL's alerts channel before) posted RIVAL's decision there. In a bound
    channel they act in its workspace, as in a Telegram group; someone with no role there is refused, and nothing
    of theirs is downloaded."""
    services = {"redis": redis, "vault": Vault([generate_key()]), "leads_test_environment": True}
    async with slack_rig(redis, services) as slack:
        await slack.command("workspace_new rival RIVAL", user=ADMIN)
        await join(slack, "U0ANNA", "manager", name="anna")  # ACME's manager; ACME is the admin's current one now
        await slack.command("use rival", user=ADMIN)
        for user in ("U0ANNA", "U0BORIS"):
            [code] = [t.strip("`") for t in texts((await slack.command("invite manager"))["blocks"]) if "```" in t]
            await slack.command(f"join {code}", user=user)
        rival = await Workspace.get(slug="rival")
        approval = await approvals.request(rival.id, ApprovalKind.DOMAIN_SWAP, "rival-mail.test", {}, clock=CLOCK)
        assert approval is not None
        await slack.command("bind alerts", user="U0ANNA", channel="C0ACME")  # RIVAL's alerts channel at first
        notification = Notification(
            id=f"approval:{approval.id}", workspace_id=rival.id, purpose=ChatPurpose.ALERTS, title_key="cmd-approve",
            body_key="cmd-reject", buttons=[("button-approve", "approve", str(approval.id))],
        )  # fmt: skip
        assert (await deliver(notification, {Platform.SLACK: SlackNotifier(slack.transport.client)}, redis, CLOCK)).sent
        message = slack.api.messages[("C0ACME", (await Delivery.get(notification_id=notification.id)).external_id)]
        [approve] = next(b for b in message["blocks"] if b["type"] == "actions")["elements"]
        await slack.command("unbind", user="U0ANNA", channel="C0ACME")
        await slack.command("use acme", user="U0ANNA")
        await slack.command("bind client", user="U0ANNA", channel="C0ACME")  # now ACME's client's channel
        await slack.command("use rival", user="U0ANNA")

        lead_list = b"email\nann@lead.test\nbob@lead.test\n"
        answer = await slack.upload("leads_import source=site basis=contract", "leads.csv", lead_list,
                                    user="U0ANNA", channel="C0ACME")  # fmt: skip
        assert answer and not answer[0].startswith(":warning:"), answer
        acme = await Workspace.get(slug="acme")
        assert (await Lead.filter(workspace=acme).count(), await Lead.filter(workspace=rival).count()) == (2, 0)
        downloads = len(slack.files.downloads)
        refused = await slack.upload("leads_import source=site basis=contract", "leads.csv", lead_list,
                                     user="U0BORIS", channel="C0ACME")  # fmt: skip
        assert refused == [":warning: " + seen(EN("error-chat-not-yours"))]
        assert len(slack.files.downloads) == downloads and await Lead.filter(workspace=rival).count() == 0

        pressed = await slack.press(approve, user="U0ANNA", channel="C0ACME", message=message)
        assert (pressed.body["response_type"], pressed.body["replace_original"]) == ("ephemeral", False)
        assert texts(pressed.body["blocks"]) == [":warning: " + seen(EN("error-approval-not-found", id=approval.id))]
        assert (await Approval.get(id=approval.id)).status is ApprovalStatus.PENDING
        in_dm = await slack.press(approve, user="U0ANNA", channel=slack.api.dm_channel("U0ANNA"), message=message)
        assert texts(in_dm.body["blocks"])[-1] == seen(
            EN("approval-approved", id=approval.id, subject="rival-mail.test")
        )

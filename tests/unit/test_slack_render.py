"""Reply → Block Kit within Slack's limits, with every user-supplied string inert; the transport built from
settings (Socket Mode included, which needs Slack itself to go further)."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest
from redis.asyncio import Redis
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler

from bot.runner import Runner
from bot.slack.notifier import SlackNotifier
from bot.slack.render import MESSAGE_TEXT_MAX, as_typed, command_of, escape, fits, render, slack_commands, unescape
from bot.slack.transport import SlackTransport, _replace_message, files_base_for, is_file_url
from engine.clock import SystemClock
from engine.reply import Button, Reply
from engine.settings import Settings
from models.enums import Platform

REDIS = Redis(host="127.0.0.1", port=9)  # never connected: building a transport talks to nobody


def sections(reply: Reply) -> list[str]:
    """The sections of every message the reply becomes, in order."""
    return [b["text"]["text"] for message in render(reply) for b in message.blocks if b["type"] == "section"]


def test_user_text_cannot_ping_link_or_mention() -> None:
    hostile = "<!channel> & <https://evil.test|your bank> <@U0BOSS>"
    [message] = render(Reply().add(hostile))
    assert message.blocks == [{"type": "section", "text": {"type": "mrkdwn", "text": escape(hostile)}}]
    assert "<" not in message.text and ">" not in message.text
    assert escape(hostile) == "&lt;!channel&gt; &amp; &lt;https://evil.test|your bank&gt; &lt;@U0BOSS&gt;"
    assert unescape(escape(hostile)) == hostile


@pytest.mark.parametrize("mention", ["@here", "@channel", "@everyone", "@Here", "(@channel)"])
def test_a_plain_special_mention_in_user_text_cannot_ping(mention: str) -> None:
    """Slack parses "certain mentions" in an mrkdwn text that is not verbatim: a company named "@here" in a
    section or the notification text must not reach Slack as "@here"."""
    [message] = render(Reply().add(f"Lead company: {mention} Ltd", "text").add(mention, "pre"))
    texts = [b["text"]["text"] for b in message.blocks] + [message.text]
    word = mention.strip("()")
    assert all(word not in text and "@\u2060" + word[1:] in text for text in texts)
    assert escape("anna@here.ru, @hereafter, a@channel") == "anna@here.ru, @hereafter, a@channel"


def test_styles_become_header_code_block_and_prefixed_error() -> None:
    reply = Reply().add("Workspaces", "title").add("a <b>", "pre").add("No such thing", "error")
    [message] = render(reply)
    assert message.blocks[0] == {"type": "header", "text": {"type": "plain_text", "text": "Workspaces", "emoji": True}}
    assert [b["text"]["text"] for b in message.blocks[1:]] == ["```a &lt;b&gt;```", ":warning: No such thing"]
    assert message.text == "Workspaces\n\na &lt;b&gt;\n\nNo such thing"


def test_a_title_longer_than_a_header_allows_becomes_a_section() -> None:
    title = "t" * 151
    [message] = render(Reply().add(title, "title"))
    assert message.blocks == [{"type": "section", "text": {"type": "mrkdwn", "text": title}}]


def test_long_text_is_split_at_line_ends_into_sections_of_3000() -> None:
    lines = [f"{n:04d} " + "x" * 95 for n in range(100)]  # 10,000 characters
    pieces = sections(Reply().add("\n".join(lines)))
    assert len(pieces) == 4
    assert all(len(p) <= 3000 for p in pieces)
    assert "\n".join(pieces) == "\n".join(lines)


def test_a_long_line_is_cut_but_never_inside_an_entity() -> None:
    pieces = sections(Reply().add("&" * 2000))  # 10,000 characters once escaped
    assert all(len(p) <= 3000 and re.fullmatch("(&amp;)+", p) for p in pieces)
    assert "".join(pieces) == "&amp;" * 2000


def test_long_error_and_code_keep_their_form_in_every_piece() -> None:
    code = sections(Reply().add("y" * 7000, "pre"))
    assert all(len(p) <= 3000 and p.startswith("```") and p.endswith("```") for p in code)
    error = sections(Reply().add("z" * 4000, "error"))
    assert [p.startswith(":warning: ") for p in error] == [True, False]
    assert all(len(p) <= 3000 for p in error)


def test_buttons_carry_the_command_and_the_id_only() -> None:
    reply = Reply().add("Request #7")
    reply.buttons = [[Button("Approve", "approve", "7", "primary"), Button("Reject", "reject", "7", "danger")]]
    [message] = render(reply)
    assert message.blocks[-1] == {
        "type": "actions",
        "block_id": "mf.row.0",
        "elements": [
            {
                "type": "button",
                "text": {"type": "plain_text", "text": "Approve", "emoji": True},
                "action_id": "mf.approve.0",
                "value": "7",
                "style": "primary",
            },
            {
                "type": "button",
                "text": {"type": "plain_text", "text": "Reject", "emoji": True},
                "action_id": "mf.reject.1",
                "value": "7",
                "style": "danger",
            },
        ],
    }
    assert [command_of(e["action_id"]) for e in message.blocks[-1]["elements"]] == ["approve", "reject"]
    assert command_of("someone_elses_button") is None


def test_a_row_of_30_buttons_takes_two_actions_blocks_with_unique_ids() -> None:
    reply = Reply()
    reply.buttons = [[Button("w" * 80, "use", f"ws-{n}") for n in range(30)] + [Button("Help", "help")]]
    [message] = render(reply)
    blocks: list[dict[str, Any]] = message.blocks
    assert [len(b["elements"]) for b in blocks] == [25, 6]
    assert len({b["block_id"] for b in blocks}) == 2
    for block in blocks:
        assert len({e["action_id"] for e in block["elements"]}) == len(block["elements"])
    assert blocks[0]["elements"][0]["text"]["text"] == "w" * 74 + "…"
    assert "value" not in blocks[1]["elements"][-1]  # a button without an id runs its command bare


def test_more_than_50_blocks_become_several_messages_with_buttons_last() -> None:
    reply = Reply()
    for n in range(60):
        reply.add(f"line {n}")
    reply.buttons = [[Button("More", "workspaces")]]
    first, second = render(reply)
    assert (len(first.blocks), len(second.blocks)) == (50, 11)
    assert second.blocks[-1]["type"] == "actions"
    assert first.text.startswith("line 0\n\nline 1") and second.text.startswith("line 50")


def test_a_title_that_would_end_a_message_begins_the_next_with_its_section() -> None:
    reply = Reply()
    for n in range(49):
        reply.add(f"line {n}")
    reply.add("Section", "title").add("under it")
    first, second = render(reply)
    assert len(first.blocks) == 49 and first.blocks[-1]["type"] == "section"
    assert [b["type"] for b in second.blocks] == ["header", "section"]
    assert second.blocks[0]["text"]["text"] == "Section" and second.text.startswith("Section\n\nunder it")
    big = Reply().add("x" * 2900).add("y" * 2900).add("Section", "title").add("z" * 2900)  # by size, not count
    assert [[b["type"] for b in m.blocks] for m in render(big)] == [["section", "section"], ["header", "section"]]


def test_the_fallback_text_is_bounded() -> None:
    first, *rest = render(Reply().add("&" * 4000, "pre"))  # 20,000 characters once escaped
    assert len(first.text) <= 3000 and first.text.endswith("&amp;…")
    assert all(len(message.text) <= 3000 for message in rest)


def test_a_reply_with_files_only_has_no_message() -> None:
    assert render(Reply()) == []


def _settings(**slack: Any) -> Settings:
    return Settings(_env_file=None, slack_api_base="http://127.0.0.1:9/api/", default_locale="en", **slack)  # type: ignore[call-arg]


def test_no_transport_without_a_bot_token_and_a_signing_secret() -> None:
    runner = Runner(SystemClock())
    assert SlackTransport.from_settings(runner, _settings(), REDIS) is None
    assert SlackTransport.from_settings(runner, _settings(slack_bot_token="xoxb-1"), REDIS) is None


async def test_the_transport_and_socket_mode_are_built_from_settings() -> None:
    settings = _settings(slack_bot_token="xoxb-1", slack_signing_secret="s3cret", slack_app_token="xapp-1")
    transport = SlackTransport.from_settings(Runner(SystemClock()), settings, REDIS)
    assert transport is not None
    assert (transport.client.base_url, transport.client.token, transport.default_locale) == (
        "http://127.0.0.1:9/api/",
        "xoxb-1",
        "en",
    )
    assert any(isinstance(h, AsyncRateLimitErrorRetryHandler) for h in transport.client.retry_handlers)
    assert transport.socket_mode_enabled
    handler = transport.socket_mode_handler()
    assert (handler.app, handler.app_token, handler.client.web_client) == (transport.app, "xapp-1", transport.client)
    assert transport.socket_mode_handler() is handler
    await transport.stop()
    assert handler.client.closed


def test_a_worker_gets_a_notifier_from_settings_alone() -> None:
    assert SlackNotifier.from_settings(_settings()) is None
    notifier = SlackNotifier.from_settings(_settings(slack_bot_token="xoxb-1"))
    assert notifier is not None and notifier.platform is Platform.SLACK
    assert (notifier.client.token, notifier.client.base_url) == ("xoxb-1", "http://127.0.0.1:9/api/")
    assert any(isinstance(h, AsyncRateLimitErrorRetryHandler) for h in notifier.client.retry_handlers)


async def test_http_mode_only_without_an_app_token() -> None:
    settings = _settings(slack_bot_token="xoxb-1", slack_signing_secret="s3cret")
    transport = SlackTransport.from_settings(Runner(SystemClock()), settings, REDIS)
    assert transport is not None and not transport.socket_mode_enabled


def test_the_file_host_is_slacks_own_or_the_configured_stand_in() -> None:
    assert files_base_for("https://slack.com/api/") == "https://files.slack.com/"
    assert files_base_for("https://acme.enterprise.slack.com/api/") == "https://files.slack.com/"
    assert files_base_for("http://127.0.0.1:8123/api/") == "http://127.0.0.1:8123/"


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://files.slack.com/files-pri/T1-F1/download/leads.csv", True),
        ("http://files.slack.com/files-pri/T1-F1/download/leads.csv", False),  # the token never goes in clear
        ("https://files.slack.com.evil.test/files-pri/T1-F1/leads.csv", False),
        ("https://evil.test/?https://files.slack.com/", False),
        ("https://files.slack.com:8443/files-pri/T1-F1/leads.csv", False),
        ("https://user@files.slack.com/files-pri/T1-F1/leads.csv", False),
        ("https://slack.com/api/files.info", False),
        ("/files-pri/T1-F1/leads.csv", False),
        ("", False),
        ("http://[::1", False),
    ],
)
def test_only_urls_on_the_file_host_get_the_token(url: str, ok: bool) -> None:
    assert is_file_url(url, "https://files.slack.com/") is ok


def test_command_references_read_as_slack_users_type_them() -> None:
    assert slack_commands("Add some: /domain_add acme.ru, then /dns_check.") == (
        "Add some: /mailfleet domain_add acme.ru, then /mailfleet dns_check."
    )
    unchanged = [
        "see https://example.com/help and a/help, ~/domains, 1/2, /nonexistent",
        "in Telegram — /start CODE, in Slack — /mailfleet join CODE",
    ]
    assert [slack_commands(text) for text in unchanged] == unchanged
    [message] = render(Reply().add("Commands: /help").add("/help", "pre"))
    assert [b["text"]["text"] for b in message.blocks] == ["Commands: /mailfleet help", "```/help```"]


def test_a_long_reply_is_split_into_messages_slack_takes_and_loses_nothing() -> None:
    """Slack refuses a message whose blocks carry more than about 12,000 characters in all (`msg_blocks_too_long`,
    undocumented) even though each section is within 3,000 and there are fewer than 50 blocks."""
    lines = [f"box-{n:04}@очень-длинный-домен-{n % 60:02}.рф — active · 12/40 · warm <&>" for n in range(1200)]
    reply = Reply().add("Mailboxes", "title").add("\n".join(lines))
    reply.buttons = [[Button("2 ▶", "mailboxes", "2")]]
    messages = render(reply)
    assert len(messages) > 1
    for message in messages:
        assert len(message.blocks) <= 50
        sections = [b["text"]["text"] for b in message.blocks if b["type"] in {"section", "header"}]
        assert all(len(text) <= 3000 for text in sections)
        assert sum(len(text) for text in sections) + len(message.text) <= MESSAGE_TEXT_MAX
    shown = "\n".join(b["text"]["text"] for m in messages for b in m.blocks if b["type"] == "section")
    assert shown == escape("\n".join(lines))
    assert messages[-1].blocks[-1]["type"] == "actions"


async def test_a_pressed_long_message_keeps_its_text_only_when_slack_would_take_the_whole() -> None:
    posts: list[dict[str, Any]] = []

    async def respond(**message: Any) -> Any:
        posts.append(message)
        return SimpleNamespace(status_code=200, body="")

    def message(*texts: str) -> dict[str, Any]:
        reply = Reply()
        for text in texts:
            reply.add(text)
        reply.buttons = [[Button("Approve", "approve", "17")]]
        [page] = render(reply)
        return {"blocks": page.blocks}

    decided = render(Reply().add("Approved #17"))
    await _replace_message(respond, message("alpha.test is listed"), decided)
    assert [b["text"]["text"] for b in posts[-1]["blocks"]] == ["alpha.test is listed", "Approved #17"]

    long = message("a" * 2900, "b" * 2900, "c" * 2000)  # 7,800 characters: with 2,900 more, Slack refuses it
    await _replace_message(respond, long, render(Reply().add("d" * 2900)))
    assert fits(posts[-1]["blocks"]) and [b["text"]["text"] for b in posts[-1]["blocks"]] == ["d" * 2900]


async def test_a_press_on_the_last_item_of_a_list_keeps_the_other_items_rows() -> None:
    """The last request of a message (a long /approvals goes on in a second message) has no text under its row:
    its press took every row of its message away, as a message with one row would."""
    posts: list[dict[str, Any]] = []

    async def respond(**message: Any) -> Any:
        posts.append(message)
        return SimpleNamespace(status_code=200, body="")

    reply = Reply()
    for n in (1, 2):
        reply.add_item(f"#{n}", [Button("Approve", "approve", str(n)), Button("Reject", "reject", str(n))])
    [page] = render(reply)
    last = page.blocks[3]["block_id"]

    await _replace_message(respond, {"blocks": page.blocks}, render(Reply().add("Approved #2")), last)

    assert [b["type"] for b in posts[-1]["blocks"]] == ["section", "actions", "section", "section"]
    assert posts[-1]["blocks"][3]["text"]["text"] == "Approved #2"
    single = Reply().add("alpha.test is listed")  # a message of one row: its row goes, the answer follows
    single.buttons = [[Button("Approve", "approve", "17")], [Button("Resume", "sending_resume", "acme")]]
    [one] = render(single)
    await _replace_message(
        respond, {"blocks": one.blocks}, render(Reply().add("Approved #17")), one.blocks[1]["block_id"]
    )
    assert [b["text"]["text"] for b in posts[-1]["blocks"]] == ["alpha.test is listed", "Approved #17"]


@pytest.mark.parametrize(
    ("sent", "typed"),
    [
        ("mailbox_ca <mailto:anna@acme.ru|anna@acme.ru>", "mailbox_ca anna@acme.ru"),
        (
            "domain_add <http://acme-mail.ru|acme-mail.ru> <http://пример.рф|пример.рф>",
            "domain_add acme-mail.ru пример.рф",
        ),
        ("report_campaign <https://acme.ru/a?b=1&amp;c=2>", "report_campaign https://acme.ru/a?b=1&c=2"),
        ("bind <#C0TEAM|team> alerts", "bind #team alerts"),
        ("use a&lt;b&gt; &amp;lt;", "use a<b> &lt;"),  # what was typed as text stays text
        ("help <@U0BOT>", "help <@U0BOT>"),
    ],
)
def test_slack_formatting_in_a_message_is_read_back_as_typed(sent: str, typed: str) -> None:
    assert as_typed(sent) == typed


def test_an_items_own_buttons_follow_it_and_stay_with_it_across_messages() -> None:
    """/approvals in Slack showed every request's Approve/Reject row after all the requests: a manager matched
    numbers. A row anchored to its item comes right under it, and an item never ends a message without it."""
    reply = Reply().add("Waiting", "title")
    for n in range(30):
        reply.add_item(
            f"#{n} swap of d{n}.example", [Button("Approve", "approve", str(n)), Button("Reject", "reject", str(n))]
        )
    reply.buttons.append([Button("More", "approvals")])  # an unanchored row: at the end, as ever

    messages = render(reply)

    assert len(messages) == 2
    blocks = [b for m in messages for b in m.blocks]
    for n in range(30):
        at = next(i for i, b in enumerate(blocks) if b["type"] == "section" and b["text"]["text"].startswith(f"#{n} "))
        assert [e["value"] for e in blocks[at + 1]["elements"]] == [str(n), str(n)]
    for message in messages:
        assert message.blocks[-1]["type"] == "actions"  # no item cut from its buttons by the message's end
    assert blocks[-1]["elements"][0]["text"]["text"] == "More"
    ids = [b["block_id"] for m in messages for b in m.blocks if b["type"] == "actions"]
    assert len(ids) == len(set(ids)) == 31

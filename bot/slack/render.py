"""Reply → Block Kit. Pure functions: the transport and the notifier post what these build.

Every text is escaped (`&`, `<`, `>`, and a word joiner in a plain "@here"), so a workspace name or a lead's
field can never become a link, a `<!channel>` or "@channel" ping or a user mention. Slack's limits are respected
here, once: 3,000 characters a section, 150 a header, 25 buttons an actions block, 75 a button label, 50 blocks
and about 12,000 characters a message (longer replies become several messages).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.command import REGISTRY
from engine.reply import Block as ReplyBlock
from engine.reply import Button, Reply

SECTION_MAX = 3000
HEADER_MAX = 150
BUTTONS_MAX = 25
LABEL_MAX = 75
BLOCKS_MAX = 50
FALLBACK_MAX = 3000  # the notification preview; Slack cuts far earlier anyway
MESSAGE_TEXT_MAX = 11_000
"""The characters one message carries in all, its blocks' texts and the fallback together. Slack refuses a
message whose blocks hold more than about 12,000 characters (`msg_blocks_too_long`, undocumented; seen between
11,300 and 13,300 — slackapi/bolt-js#2509 and #2867), whatever the 3,000 a section and 50 blocks allow."""
CODE_FENCE = "```"
ERROR_PREFIX = ":warning: "
SLASH_COMMAND = "/mailfleet"  # the app's one slash command; every Mailfleet command is its first word
ACTION_PREFIX = "mf"  # action_id = "mf.<command>.<position>": one listener serves every command's buttons
ACTION_ID = re.compile(rf"^{ACTION_PREFIX}\.([a-z0-9_]+)\.\d+$")


@dataclass(frozen=True)
class SlackMessage:
    """One chat.postMessage (or response_url post): Block Kit blocks and the plain `text` fallback."""

    blocks: list[dict[str, Any]]
    text: str


_SPECIAL_MENTION = re.compile(r"(?<![\w.+-])@(?=(?:here|channel|everyone)\b)", re.IGNORECASE)
WORD_JOINER = "\u2060"


def escape(text: str) -> str:
    """Slack's three control characters as entities, and the special mentions typed out plainly ("@here",
    "@channel", "@everyone") broken by an invisible word joiner after the "@": an mrkdwn text that is not
    `verbatim` has "certain mentions automatically parsed" (Slack's text object reference), so a lead's company
    or a workspace named "@here" would ping the whole channel. User-supplied text stays text."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _SPECIAL_MENTION.sub("@" + WORD_JOINER, escaped)


def unescape(text: str) -> str:
    """What a person typed: Slack sends slash-command and message text with `&`, `<`, `>` escaped."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


_MARKUP = re.compile(r"<([^<>]*)>")


def as_typed(text: str) -> str:
    """What a person typed, from the text Slack sends: its markup read back — a link made of an address or a
    domain (`<mailto:a@b.ru|a@b.ru>`, `<http://b.ru|b.ru>`) is its label, a bare link its URL, a channel
    `<#C…|name>` is #name; mentions (`<@U…>`, `<!here>`) stay — then Slack's escapes (`&amp;`, `&lt;`, `&gt;`),
    which only text the person typed carries. (A slash command's text is sent unformatted unless the app asks
    for it; a message's text always is formatted.)"""

    def read(match: re.Match[str]) -> str:
        inside = match[1]
        if inside[:1] in {"@", "!"}:
            return match[0]
        target, _, label = inside.partition("|")
        if target.startswith("#"):
            return "#" + (label or target[1:])
        return label or target.removeprefix("mailto:")

    return unescape(_MARKUP.sub(read, text))


def action_id(command: str, position: int) -> str:
    """Unique within its actions block (Slack requires it) and naming the command the button runs."""
    return f"{ACTION_PREFIX}.{command}.{position}"


def command_of(action: str) -> str | None:
    """The command a pressed button runs, or None for an action id this app did not make."""
    match = ACTION_ID.match(action)
    return match.group(1) if match else None


_COMMAND_REF = re.compile(r"(?<![\w/.:@~-])/([a-z][a-z0-9_]*)\b")


def slack_commands(text: str) -> str:
    """Command references as a Slack user types them: "/domains" → "/mailfleet domains" (Slack knows only the
    one slash command). Text that already names /mailfleet speaks of both platforms and is left as it is."""
    if SLASH_COMMAND in text:
        return text
    return _COMMAND_REF.sub(lambda m: f"{SLASH_COMMAND} {m[1]}" if m[1] in REGISTRY else m[0], text)


def render(reply: Reply) -> list[SlackMessage]:
    """The reply as messages of at most 50 blocks; buttons come last, but a row anchored to a block (an item with
    its own buttons, `Reply.anchors`) comes right after that block. An empty reply (files only) is []. A title
    stays with what follows it, and an item with its buttons: one that would end a message, what it goes with
    beginning the next, begins the next."""
    rows = _actions(reply.buttons)
    under: dict[int, list[int]] = {}
    for row, at in sorted(reply.anchors.items()):
        if 0 <= row < len(rows) and 0 <= at < len(reply.blocks):
            under.setdefault(at, []).append(row)
    parts: list[tuple[tuple[Block, str], bool]] = []
    for at, block in enumerate(reply.blocks):
        pieces = _block(block)
        anchored = [actions for row in under.get(at, []) for actions in rows[row]]
        parts += [
            (p, block.style == "title" or (bool(anchored) and i == len(pieces) - 1)) for i, p in enumerate(pieces)
        ]
        parts += [((actions, ""), False) for actions in anchored]
    placed = {row for rows_under in under.values() for row in rows_under}
    parts += [((actions, ""), False) for row, chunks in enumerate(rows) if row not in placed for actions in chunks]
    budget = MESSAGE_TEXT_MAX - FALLBACK_MAX  # the fallback repeats the page's text up to FALLBACK_MAX
    pages: list[list[tuple[Block, str]]] = []
    used = 0
    for position, (part, title) in enumerate(parts):
        size = _text_size(part[0])
        if not pages or len(pages[-1]) == BLOCKS_MAX or used + size > budget:
            pages.append([])
            used = 0
        elif title and position + 1 < len(parts):  # the title and the start of its section go on together
            following = _text_size(parts[position + 1][0][0])
            if len(pages[-1]) + 2 > BLOCKS_MAX or used + size + following > budget:
                pages.append([])
                used = 0
        pages[-1].append(part)
        used += size
    return [SlackMessage([b.to_dict() for b, _ in page], _fallback([text for _, text in page])) for page in pages]


def fits(blocks: list[dict[str, Any]]) -> bool:
    """Whether rendered blocks make one message Slack takes (with a fallback text beside them)."""
    return len(blocks) <= BLOCKS_MAX and _texts_size(blocks) <= MESSAGE_TEXT_MAX - FALLBACK_MAX


def _texts_size(node: Any) -> int:
    """The characters of every text under rendered blocks (section and header texts, button labels)."""
    if isinstance(node, list):
        return sum(_texts_size(item) for item in node)
    if not isinstance(node, dict):
        return 0
    text = node.get("text")
    return len(text) if isinstance(text, str) else sum(_texts_size(v) for v in node.values())


def _text_size(block: Block) -> int:
    """The characters a block carries: its text, or its buttons' labels."""
    if isinstance(block, ActionsBlock):
        return sum(len(e.text.text) for e in block.elements if isinstance(e, ButtonElement) and e.text is not None)
    text = getattr(block, "text", None)
    return len(text.text) if text is not None else 0


def _block(block: ReplyBlock) -> list[tuple[Block, str]]:
    """Slack blocks for one reply block, each with its escaped plain-text fallback."""
    if block.style == "title" and 0 < len(block.text) <= HEADER_MAX:
        return [(HeaderBlock(text=PlainTextObject(text=block.text, emoji=True)), escape(block.text))]
    if block.style == "pre":
        pieces = _pieces(block.text, SECTION_MAX - 2 * len(CODE_FENCE))
        return [(_section(f"{CODE_FENCE}{piece}{CODE_FENCE}"), piece) for piece in pieces]
    prefix = ERROR_PREFIX if block.style == "error" else ""
    pieces = _pieces(slack_commands(block.text), SECTION_MAX - len(prefix))
    return [(_section(prefix + piece if i == 0 else piece), piece) for i, piece in enumerate(pieces)]


def _section(mrkdwn: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=mrkdwn))


def _pieces(text: str, limit: int) -> list[str]:
    """The escaped text in pieces of at most `limit` characters, cut at line ends when a line fits."""
    pieces: list[str] = []
    current: str | None = None
    for line in _lines(escape(text), limit):
        if current is not None and len(current) + 1 + len(line) <= limit:
            current += "\n" + line
            continue
        if current is not None:
            pieces.append(current)
        current = line
    if current is not None:
        pieces.append(current)
    return [piece for piece in pieces if piece.strip()]


def _lines(escaped: str, limit: int) -> list[str]:
    """Lines of at most `limit` characters: a longer line is cut, never inside an entity such as `&amp;`."""
    lines: list[str] = []
    for line in escaped.split("\n"):
        rest = line
        while len(rest) > limit:
            cut = _safe_cut(rest, limit)
            lines.append(rest[:cut])
            rest = rest[cut:]
        lines.append(rest)
    return lines


def _safe_cut(text: str, limit: int) -> int:
    amp = text.rfind("&", max(0, limit - len("&amp;") + 1), limit)
    return amp if amp > 0 and ";" not in text[amp:limit] else limit


def _actions(rows: list[list[Button]]) -> list[list[ActionsBlock]]:
    """For each row of buttons its actions blocks: one, or several for a row longer than 25 buttons. Block ids
    are numbered through the message, as Slack wants them unique."""
    numbered: list[list[ActionsBlock]] = []
    n = 0
    for row in rows:
        blocks = []
        for start in range(0, len(row), BUTTONS_MAX):
            elements = [_button(b, i) for i, b in enumerate(row[start : start + BUTTONS_MAX])]
            blocks.append(ActionsBlock(block_id=f"{ACTION_PREFIX}.row.{n}", elements=elements))
            n += 1
        numbered.append(blocks)
    return numbered


def _button(button: Button, position: int) -> ButtonElement:
    label = button.label if len(button.label) <= LABEL_MAX else button.label[: LABEL_MAX - 1] + "…"
    return ButtonElement(
        text=PlainTextObject(text=label, emoji=True),
        action_id=action_id(button.command, position),
        value=button.arg or None,
        style=button.style,
    )


def _fallback(texts: list[str]) -> str:
    """The `text` Slack shows in notifications and to clients that cannot draw blocks (already escaped)."""
    text = "\n\n".join(t for t in texts if t)
    return text if len(text) <= FALLBACK_MAX else text[: _safe_cut(text, FALLBACK_MAX - 1)] + "…"

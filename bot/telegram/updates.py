"""Telegram updates → the command runner. One handler serves every registered command; buttons, documents and
the guided flow (a command that asked for one more argument or a file) are the only Telegram-specific paths."""

from __future__ import annotations

import dataclasses
import io
import json
import uuid
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any

import aiohttp
from aiogram import BaseMiddleware, Bot, F, Router
from aiogram.enums import ChatType, ContentType
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
)
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    Chat,
    ChatMemberUpdated,
    Document,
    ErrorEvent,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    TelegramObject,
    User,
)
from redis.asyncio import Redis

from bot.command import REGISTRY, answer_words, file_limit, split_line
from bot.runner import Runner
from bot.telegram.client import send_reply
from bot.telegram.render import CANCEL, parse_callback_data, render, shortened, utf16_length
from engine.i18n import Translator, spoken, translator
from engine.logging import get_logger
from engine.notify import chat_lost
from engine.people import Identity, move_chat, resolve_actor
from engine.reply import Attachment, Block, BlockStyle, Reply
from models.enums import Platform

log = get_logger(__name__)

ALBUM_PREFIX = "mailfleet:tg:album"  # Redis keys of the command an album of files (one media group) runs
ALBUM_TTL_S = 120  # an album's files arrive within seconds of each other
CALLBACK_ANSWER_LIMIT = 200  # UTF-16 units of a pop-up answer; Telegram refuses a longer one (MESSAGE_TOO_LONG)
QUERY_TOO_OLD = "query is too old"  # Telegram's 400 for an answer after ~15 s (or to an unknown query id)


MEDIA = frozenset({
    ContentType.STICKER, ContentType.PHOTO, ContentType.VOICE, ContentType.VIDEO, ContentType.VIDEO_NOTE,
    ContentType.AUDIO, ContentType.ANIMATION, ContentType.LOCATION, ContentType.CONTACT, ContentType.POLL,
    ContentType.DICE,
})  # fmt: skip
"""What a person may send that is neither text nor a document: no command takes it."""


class FileTooLarge(Exception):
    """The download went past the limit, whatever size the document declared."""


class CappedBuffer(io.BytesIO):
    """aiogram's download destination, refusing to grow past `max_bytes`: the download stops there."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__()
        self.max_bytes = max_bytes

    def write(self, data: Any) -> int:
        if self.tell() + len(data) > self.max_bytes:
            raise FileTooLarge
        return super().write(data)


class Flow(StatesGroup):
    """The guided flow's one state; its data is the pending command and the words given so far."""

    awaiting = State()


class IdentityMiddleware(BaseMiddleware):
    """Adds `identity` (who acts, with their Telegram language) to the handler data — and does nothing else.

    Updates without a human sender (channel posts, other bots) stop here: there is nobody to act for.
    """

    def __init__(self, runner: Runner, default_locale: str) -> None:
        self._runner = runner
        self._default_locale = default_locale

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None or user.is_bot:
            return None
        language = spoken(user.language_code, self._default_locale)
        data["identity"] = self._runner.identity(Platform.TELEGRAM, str(user.id), user.full_name, language)
        return await handler(event, data)


def build_router(runner: Runner, default_locale: str) -> Router:
    """The handlers, most specific first; they get their collaborators by name (aiogram's injection), hence the
    keyword-only parameters. A new Router per transport: a router belongs to one dispatcher."""
    router = Router(name=__name__)
    identity = IdentityMiddleware(runner, default_locale)
    router.message.outer_middleware(identity)
    router.callback_query.outer_middleware(identity)
    router.edited_message.outer_middleware(identity)
    router.message.register(on_cancel, Command(CANCEL))
    router.message.register(on_command, F.text.startswith("/"), for_this_bot)
    router.message.register(on_text, F.text, ~F.text.startswith("/"))
    router.message.register(on_document, F.document.as_("document"), for_this_bot)
    router.message.register(on_media, F.content_type.in_(MEDIA))
    router.edited_message.register(on_edited, F.text.startswith("/"), for_this_bot)
    router.callback_query.register(on_press, F.data)
    router.errors.register(on_error)
    # a group's move to a supergroup is the platform's doing: it may come from an anonymous admin (a bot sender),
    # so it is handled before the identity middleware, which stops such updates
    root = Router(name=f"{__name__}.chats")
    root.message.register(on_migrated, F.migrate_to_chat_id | F.migrate_from_chat_id)
    root.message.register(on_anonymous, F.sender_chat, F.text.startswith("/"), for_this_bot)
    root.my_chat_member.register(on_removed, F.new_chat_member.status.in_(REMOVED))
    root.include_router(router)
    return root


async def on_migrated(message: Message, *, runner: Runner) -> None:
    """A group became a supergroup: Telegram gives it a new chat id and the old one takes no more messages, so
    the chat's bindings follow it, or its alerts and reports would go nowhere. Both service messages arrive (the
    old chat's `migrate_to_chat_id`, the new one's `migrate_from_chat_id`); the second moves nothing."""
    if message.migrate_to_chat_id is not None:
        old, new = message.chat.id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id is not None:
        old, new = message.migrate_from_chat_id, message.chat.id
    else:
        return
    moved = await move_chat(Platform.TELEGRAM, str(old), str(new), runner.clock)
    log.info("telegram chat migrated", old=old, new=new, bindings=moved)


REMOVED = frozenset({"left", "kicked"})  # the bot's own membership: it can no longer post in the chat


async def on_removed(event: ChatMemberUpdated, *, runner: Runner) -> None:
    """The bot was removed from a group or channel: if it was bound, the agency is told now, while someone can
    add the bot back, not when the next alert fails there. A person blocking the bot in private is no chat's
    loss."""
    if event.chat.type == ChatType.PRIVATE:
        return
    reason = "Forbidden: bot was kicked" if event.new_chat_member.status == "kicked" else "Forbidden: bot left the chat"
    if await chat_lost(Platform.TELEGRAM, str(event.chat.id), reason, runner.clock):
        log.info("telegram bot removed from a bound chat", chat=event.chat.id)


async def on_anonymous(message: Message, *, bot: Bot, default_locale: str) -> None:
    """A command sent on behalf of a chat (an admin who "remains anonymous", a linked channel) names no person:
    Telegram's sender is GroupAnonymousBot. It cannot run, and silence left the admin wondering: they are told
    how to send it as themselves, in the install's language (nobody's language is known). As for any command in
    a group, one we do not know and not naming this bot may be another bot's."""
    name, _ = split_line(message.text or "")
    if name not in REGISTRY and not _ours(message):
        return
    t = translator(default_locale)
    await send_reply(bot, message.chat.id, Reply(ok=False).add(t("telegram-anonymous-sender"), "error"))


async def for_this_bot(message: Message, *, bot: Bot) -> bool:
    """`/cmd@other_bot` in a group is for another bot; `/cmd` and `/cmd@this_bot` are ours (sent or edited, as
    a message or as a document's caption). Anything that is not a command is not filtered here."""
    text = message.text or message.caption or ""
    if not text.startswith("/"):
        return True
    head = text.split(maxsplit=1)[0]
    mention = head.partition("@")[2]
    if not mention:
        return True
    me = await bot.me()
    return mention.lower() == (me.username or "").lower()


async def on_command(message: Message, *, identity: Identity, runner: Runner, state: FSMContext, bot: Bot) -> None:
    """Any registered command; a new command replaces a pending question. In a group, a command we do not know is
    answered only when it names this bot (`/cmd@this_bot`): without a name it may be another bot's. A command
    whose answer is a secret (an invite code) is not run in a group, where everyone would read it: the person is
    sent to a private chat."""
    name, _ = split_line(message.text or "")
    cmd = REGISTRY.get(name)
    group = message.chat.type != ChatType.PRIVATE
    if cmd is None and not _ours(message):
        return
    if cmd is not None and cmd.private and group:
        # someone who may not run it is told that instead
        refused = await runner.precheck(identity, name, str(message.chat.id), shared=True)
        if refused is None:
            t = await _translator(identity)
            refused = Reply(ok=False).add(t("telegram-private-only", command=cmd.name), "error")
        await _respond(bot, message.chat.id, refused, state, identity)
        return
    reply = await runner.run_line(identity, str(message.chat.id), message.text or "", shared=group)
    await _respond(bot, message.chat.id, reply, state, identity, asked_by=message)


async def on_edited(message: Message, *, identity: Identity, bot: Bot) -> None:
    """An edited command is not run: the original already ran (or was refused), and running the edit as well
    would act twice. The person is told to send the corrected command as a new message (in a group, only for a
    command of ours)."""
    name, _ = split_line(message.text or "")
    if name not in REGISTRY and not _ours(message):
        return
    await _say(bot, message.chat.id, identity, key="telegram-edited-not-run", command=name)


def _ours(message: Message) -> bool:
    """Whether a command we do not know is still meant for us: in a private chat, or naming this bot in a group
    (`for_this_bot` already refused another bot's name); in a group without a name it may be another bot's."""
    head = (message.text or message.caption or "").split(maxsplit=1)
    return message.chat.type == ChatType.PRIVATE or "@" in (head[0] if head else "")


async def on_text(message: Message, *, identity: Identity, runner: Runner, state: FSMContext, bot: Bot) -> None:
    """Plain text answers a pending question; in a private chat with none pending it gets a pointer to /help.
    Group chatter is not for us."""
    pending = await _pending(state)
    if pending is not None:
        command, words = pending
        answer = answer_words(command, words, message.text or "")  # a block argument keeps its lines
        shared = message.chat.type != ChatType.PRIVATE
        reply = await runner.run(identity, str(message.chat.id), command, [*words, *answer], shared=shared)
        await _respond(bot, message.chat.id, reply, state, identity, answering=pending, asked_by=message)
    elif message.chat.type == ChatType.PRIVATE:
        await _say(bot, message.chat.id, identity, key="telegram-text-hint")


async def on_document(
    message: Message,
    *,
    document: Document,
    identity: Identity,
    runner: Runner,
    state: FSMContext,
    bot: Bot,
    max_file_bytes: int,
    download_limit: int | None,
    redis: Redis,
) -> None:
    """A document is the file argument of the command in its caption, or of the command that asked for a file.
    Without either it gets a pointer in a private chat; files shared in a group are not for us.

    Several files sent at once come as an album: one message each, the caption on one of them only. The album's
    command is remembered for a while, so each of its files runs it (they arrive in order, the caption first)."""
    caption = message.caption or ""
    pending = None if caption.startswith("/") else await _pending(state)
    target = split_line(caption) if caption.startswith("/") else pending
    album = _album_key(message) if message.media_group_id else None
    if album is not None:
        if target is None:
            target = await _album_command(redis, album)
        else:
            await redis.set(album, json.dumps(list(target)), ex=ALBUM_TTL_S)
    if target is None:
        if message.chat.type == ChatType.PRIVATE:
            await _say(bot, message.chat.id, identity, key="telegram-document-no-command", style="error")
        return
    command, words = target
    if pending is None and command not in REGISTRY and not _ours(message):
        return  # in a group, a caption with another bot's command, typed without its name
    shared = message.chat.type != ChatType.PRIVATE
    # a command this person may not run gets no download
    refused = await runner.precheck(identity, command, str(message.chat.id), shared=shared)
    if refused is not None:
        await _respond(bot, message.chat.id, refused, state, identity)
        return
    limit = file_limit(command, max_file_bytes)
    attachment = await _receive(
        bot, message.chat.id, identity, document, max_file_bytes=limit, download_limit=download_limit
    )
    if attachment is not None:
        reply = await runner.run(identity, str(message.chat.id), command, words, attachment, shared=shared)
        await _respond(bot, message.chat.id, reply, state, identity, answering=pending, asked_by=message)


async def on_media(message: Message, *, identity: Identity, state: FSMContext, bot: Bot) -> None:
    """A sticker, photo, voice… answers no question and runs no command. A pending question stays open and says
    so (the person was left waiting for a reply that never came); in a private chat it gets the pointer to
    /help; group chatter is not for us."""
    if await _pending(state) is not None:
        await _say(bot, message.chat.id, identity, key="telegram-media-not-an-answer", style="error")
    elif message.chat.type == ChatType.PRIVATE:
        await _say(bot, message.chat.id, identity, key="telegram-text-hint")


def _album_key(message: Message) -> str:
    person = message.from_user.id if message.from_user else 0
    return f"{ALBUM_PREFIX}:{message.chat.id}:{person}:{message.media_group_id}"


async def _album_command(redis: Redis, key: str) -> tuple[str, list[str]] | None:
    """The command the album's captioned file named (or answered), if one of its files came first."""
    raw = await redis.get(key)
    if raw is None:
        return None
    command, words = json.loads(raw)
    return str(command), [str(w) for w in words]


async def on_cancel(message: Message, *, identity: Identity, state: FSMContext, bot: Bot) -> None:
    """/cancel drops the pending question, if there is one."""
    if await state.get_state() is None:
        await _say(bot, message.chat.id, identity, key="telegram-nothing-to-cancel")
        return
    await state.clear()
    await _say(bot, message.chat.id, identity, key="telegram-cancelled")


async def on_press(query: CallbackQuery, *, identity: Identity, runner: Runner, state: FSMContext, bot: Bot) -> None:
    """A button runs its command with its id. Success posts the result and takes the keyboard off the message;
    a refusal ("already decided", a role that may not) is shown only to the person who pressed — in a pop-up,
    or, when Telegram no longer takes an answer to this press, as a message. A late press still runs: the
    command's state check in the database decides, not the age of the press."""
    chat_id = query.message.chat.id if query.message is not None else query.from_user.id
    shared = query.message is not None and query.message.chat.type != ChatType.PRIVATE
    name, words = parse_callback_data(query.data or "")
    reply = await runner.run(identity, str(chat_id), name, words, shared=shared)
    if not reply.ok and reply.awaiting is None:
        await _refuse(query, reply, identity=identity, bot=bot, chat_id=chat_id)
        return
    await _answer(query)
    if reply.ok and isinstance(query.message, Message):
        if reply.in_place and await _show_in_place(bot, query.message, reply):
            return  # the next page of a listing, where the pressed one was
        await _drop_keyboard(bot, query.message, query.data or "")
    await _respond(bot, chat_id, reply, state, identity)


async def _show_in_place(bot: Bot, message: Message, reply: Reply) -> bool:
    """Edit the pressed message into `reply` (a listing's page, with its own ◀ ▶): the chat keeps one message
    per listing instead of a new one for every page turned. False when it is not one message of text, or Telegram
    refuses the edit (a deleted message): then it is posted as any answer is."""
    rendered = render(reply)
    if len(rendered.texts) != 1 or rendered.files:
        return False
    keyboard = InlineKeyboardMarkup.model_validate(rendered.keyboard) if rendered.keyboard else None
    try:
        await bot.edit_message_text(
            rendered.texts[0], chat_id=message.chat.id, message_id=message.message_id, reply_markup=keyboard
        )
    except TelegramBadRequest as exc:
        if "not modified" in exc.message.lower():  # the same page pressed again: it is shown already
            return True
        log.debug("page not shown in place", error=exc.message)
        return False
    return True


async def _refuse(query: CallbackQuery, reply: Reply, *, identity: Identity, bot: Bot, chat_id: int) -> None:
    """A refused press, told in a pop-up. Telegram refuses a pop-up longer than `CALLBACK_ANSWER_LIMIT` UTF-16
    units (an emoji or another character outside the BMP in a name takes two), so a longer refusal is sent whole
    as a message — privately, else (no private chat with the presser) where the button was — and the pop-up
    shows its start and says the rest is in the chat. A press too old to answer gets the refusal privately."""
    text = reply.plain_text()
    if utf16_length(text) <= CALLBACK_ANSWER_LIMIT:
        if not await _answer(query, text, show_alert=True):
            await _tell_privately(bot, query.from_user.id, reply)
        return
    hint = (await _translator(identity))("telegram-answer-in-chat")
    start = shortened(text, max(CALLBACK_ANSWER_LIMIT - utf16_length(hint) - 2, 1))
    await _answer(query, f"{start}\n\n{hint}", show_alert=True)
    if not await _tell_privately(bot, query.from_user.id, reply) and chat_id != query.from_user.id:
        with suppress(TelegramForbiddenError, TelegramBadRequest):
            await send_reply(bot, chat_id, reply)


async def _tell_privately(bot: Bot, user_id: int, reply: Reply) -> bool:
    """A refusal meant for the presser alone, in their private chat with the bot (never the group where the
    button was). A person who never opened that chat cannot be written to: then False."""
    try:
        await send_reply(bot, user_id, reply)
    except TelegramForbiddenError:
        log.debug("refusal not delivered: no private chat with the presser")
        return False
    except TelegramBadRequest as exc:
        log.debug("refusal not delivered", error=exc.message)
        return False
    return True


async def _answer(query: CallbackQuery, text: str | None = None, *, show_alert: bool = False) -> bool:
    """answerCallbackQuery; False when Telegram refuses it as too old (the press came late, or we were slow)."""
    try:
        await query.answer(text, show_alert=show_alert)
    except TelegramBadRequest as exc:
        if QUERY_TOO_OLD not in exc.message.lower():
            raise
        log.debug("callback query too old to answer", data=query.data)
        return False
    return True


async def on_error(
    event: ErrorEvent,
    *,
    bot: Bot,
    default_locale: str,
    event_chat: Chat | None = None,
    event_from_user: User | None = None,
) -> None:
    """What the runner did not turn into a reply (the Bot API or Redis failing, a bug here): logged with a
    reference the person is given. Network errors are logged by type only: aiohttp's may quote the request URL,
    which holds the bot token; anything else keeps its traceback."""
    error = event.exception
    if isinstance(error, TelegramForbiddenError):  # blocked by the person, or the bot removed from the group:
        # nothing failed on our side, and nobody in that chat can be told anything
        chat_id = event_chat.id if event_chat is not None else None
        log.info("telegram chat unreachable", update_id=event.update.update_id, chat_id=chat_id)
        return
    ref = uuid.uuid4().hex[:8]
    log.error(
        "telegram update failed",
        ref=ref,
        update_id=event.update.update_id,
        error=type(error).__name__,
        exc_info=None if isinstance(error, TelegramNetworkError | aiohttp.ClientError) else error,
    )
    if event_chat is None:
        return
    t = translator(await _notice_locale(default_locale, event_from_user))
    with suppress(TelegramAPIError):  # Telegram itself may be what failed
        await send_reply(bot, event_chat.id, Reply(ok=False).add(t("error-internal", ref=ref), "error"))


async def _notice_locale(default_locale: str, user: User | None) -> str:
    """The language of the notice: the person's /lang choice, else their Telegram app's — also when the
    database is what failed."""
    spoken_here = spoken(user.language_code if user else None, default_locale)
    if user is None or user.is_bot:
        return spoken_here
    try:
        actor = await resolve_actor(Identity(Platform.TELEGRAM, str(user.id), user.full_name, spoken_here))
    except Exception:
        log.warning("telegram notice locale unavailable", exc_info=True)
        return spoken_here
    return actor.locale


async def _respond(
    bot: Bot,
    chat_id: int,
    reply: Reply,
    state: FSMContext,
    identity: Identity,
    *,
    answering: tuple[str, list[str]] | None = None,
    asked_by: Message | None = None,
) -> None:
    """Post the reply; a command that still needs an argument becomes a question remembered until answered. A
    refused answer to the question being `answering` (a wrong value, a file that will not do) leaves it open:
    the refusal is shown, and the corrected answer is taken like the first one.

    In a group the bot is in privacy mode and never sees a plain message: there a question replies to the
    person's message (`asked_by`) with a selective force-reply, so their app answers with a reply the bot sees."""
    again = answering is not None and not reply.ok and reply.awaiting is None
    if again:
        reply = dataclasses.replace(reply, awaiting=answering)
    force_reply = None
    if reply.awaiting is None:
        await state.clear()
    else:
        command, words = reply.awaiting
        await state.set_state(Flow.awaiting)
        await state.set_data({"command": command, "words": words})
        group = asked_by is not None and asked_by.chat.type != ChatType.PRIVATE
        reply = _as_question(reply, await _translator(identity), again=again, group=group)
        force_reply = ForceReply(force_reply=True, selective=True) if group else None
    reply_to = asked_by.message_id if force_reply is not None and asked_by is not None else None
    try:
        await send_reply(bot, chat_id, reply, reply_to=reply_to, force_reply=force_reply)
    except TelegramForbiddenError:  # blocked by the person, or removed from the group
        await state.clear()  # a question nobody read must not take their next message, days later, as its answer
        raise


def _as_question(reply: Reply, t: Translator, *, again: bool = False, group: bool = False) -> Reply:
    """Here a missing argument is a question, not a failure: no warning sign, and how to answer or cancel. A
    refused answer (`again`) keeps its warning and asks for a corrected one. In a group the answer is a reply."""
    suffix = "-group" if group else ""
    if again:
        return dataclasses.replace(reply, blocks=[*reply.blocks, Block(t(f"telegram-answer-again{suffix}"))])
    blocks = [Block(b.text, "text" if b.style == "error" else b.style) for b in reply.blocks]
    return dataclasses.replace(reply, blocks=[*blocks, Block(t(f"telegram-awaiting{suffix}"))])


async def _pending(state: FSMContext) -> tuple[str, list[str]] | None:
    """The question this person left open in this chat: (command, words so far)."""
    if await state.get_state() != Flow.awaiting.state:
        return None
    data = await state.get_data()
    return str(data["command"]), [str(w) for w in data["words"]]


async def _receive(
    bot: Bot, chat_id: int, identity: Identity, document: Document, *, max_file_bytes: int, download_limit: int | None
) -> Attachment | None:
    """The document as an Attachment, or None after telling the person why not (too large, over what the Bot API
    server lets a bot download, not downloadable)."""
    name = document.file_name or document.file_unique_id
    size = document.file_size or 0  # Telegram states every document's size
    limit_kb = _kilobytes(max_file_bytes)

    async def too_large(size_kb: int | str) -> None:
        await _say(bot, chat_id, identity, key="telegram-file-too-large", style="error", name=name,
                   size_kb=size_kb, limit_kb=limit_kb)  # fmt: skip

    if size > max_file_bytes:
        await too_large(_kilobytes(size))
        return None
    if download_limit is not None and size > download_limit:
        await _say(bot, chat_id, identity, key="telegram-file-over-download-limit", style="error", name=name,
                   size_mb=_megabytes(size), limit_mb=download_limit // (1024 * 1024))  # fmt: skip
        return None
    buffer = CappedBuffer(max_file_bytes)
    try:
        data = await bot.download(document, destination=buffer)
    except FileTooLarge:  # the file is bigger than it said
        log.warning("telegram download over the limit", declared=size, limit=max_file_bytes)
        await too_large(f"> {limit_kb}")
        return None
    except (aiohttp.ClientError, TelegramAPIError, TimeoutError) as exc:
        # only the type: aiohttp errors quote the file URL, which holds the bot token
        log.warning("telegram download failed", error=type(exc).__name__, size=size)
        data = None
    if data is None:
        await _say(bot, chat_id, identity, key="telegram-download-failed", style="error", name=name)
        return None
    return Attachment(name, buffer.getvalue(), document.mime_type or "application/octet-stream")


async def _drop_keyboard(bot: Bot, message: Message, pressed: str = "") -> None:
    """Take the buttons off a decided message. In a list of like items, each with its row (/approvals: Approve
    and Reject of each request), only the pressed row goes: the other requests stay decidable where they are.
    Already gone (a concurrent press, a deleted message) is fine."""
    rows = message.reply_markup.inline_keyboard if message.reply_markup is not None else []
    kept = _other_items(rows, pressed)
    markup = InlineKeyboardMarkup(inline_keyboard=kept) if kept else None
    with suppress(TelegramBadRequest):
        await bot.edit_message_reply_markup(chat_id=message.chat.id, message_id=message.message_id, reply_markup=markup)


def _other_items(rows: list[list[InlineKeyboardButton]], pressed: str) -> list[list[InlineKeyboardButton]]:
    """The rows but the pressed one, when each row is one item's (its buttons carry one id) and every row runs
    the same commands; else none."""

    def item(row: list[InlineKeyboardButton]) -> tuple[frozenset[str], frozenset[str]]:
        parsed = [parse_callback_data(b.callback_data or "") for b in row]
        return frozenset(name for name, _ in parsed), frozenset(words[0] if words else "" for _, words in parsed)

    hit = next((row for row in rows if any(b.callback_data == pressed for b in row)), None)
    others = [row for row in rows if row is not hit]
    if hit is None or not others:
        return []
    commands, ids = item(hit)
    if len(ids) != 1 or any(item(row)[0] != commands or len(item(row)[1]) != 1 for row in others):
        return []
    return others


async def _say(
    bot: Bot, chat_id: int, identity: Identity, *, key: str, style: BlockStyle = "text", **params: Any
) -> None:
    """One of the transport's own messages (not a command's reply), in the person's language."""
    t = await _translator(identity)
    await send_reply(bot, chat_id, Reply().add(t(key, **params), style))


async def _translator(identity: Identity) -> Translator:
    """The person's language: their /lang choice, else Telegram's. Only the transport's own messages need it."""
    actor = await resolve_actor(identity)
    return translator(actor.locale)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}"


def _kilobytes(size: int) -> int:
    return -(-size // 1024)  # rounded up: a 10-byte file is 1 KB, not 0

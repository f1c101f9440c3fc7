"""What an incoming message means for the platform: a reply, a bounce, an auto-reply, a complaint, an unsubscribe
request, a warmup message, or nothing in particular.

Pure functions over `email.message.Message` objects (either parsing policy; see `header`). Inbox sync first
fetches only headers; `needs_body` says which messages must be fetched whole before `classify` can decide, so the
common cases (warmup traffic, unrelated mail, auto-replies) cost one header fetch.

Formats covered: RFC 3464 delivery status notifications, the qmail (QSBMF), Exim, Exchange and Yandex/Mail.ru
plain-text bounce styles, RFC 3834 auto-replies with the usual vendor headers and subjects in Russian and English,
RFC 5965 ARF complaints, and unsubscribe requests written by people in either language.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Container, Iterator
from dataclasses import dataclass
from email.errors import MessageError
from email.header import decode_header, make_header
from email.message import Message
from email.parser import HeaderParser
from email.policy import compat32
from email.utils import getaddresses, parseaddr
from enum import StrEnum
from html.parser import HTMLParser
from typing import Final

WARMUP_HEADER: Final = "X-Mailfleet-Warmup"
"""Every warmup message our fleet sends carries this header; its value is opaque to the classifier."""

_HEADER_ERRORS = (MessageError, ValueError, TypeError, IndexError, AttributeError, LookupError)
"""What the email package may raise on malformed input; a classifier of hostile mail must never crash on it."""

_MAX_TEXT = 64_000  # characters of body text examined; bounces and replies say what matters near the top


class MailKind(StrEnum):
    """The verdict on one incoming message."""

    REPLY = "reply"
    BOUNCE_HARD = "bounce_hard"
    BOUNCE_SOFT = "bounce_soft"
    AUTO_REPLY = "auto_reply"
    COMPLAINT = "complaint"
    UNSUBSCRIBE = "unsubscribe"
    WARMUP = "warmup"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Verdict:
    """The classification of one message.

    `address` is the person the message is about: the failed recipient of a bounce, the complaining recipient of
    a complaint report, otherwise the sender. `related_id` is the Message-ID of ours that the message answers or
    reports on (normalized `<...>`), when one could be found. `status` is the enhanced status code of a bounce;
    `detail` is the server's diagnostic (bounces) or the phrase that decided (auto-replies, unsubscribes).
    """

    kind: MailKind
    address: str | None = None
    related_id: str | None = None
    status: str | None = None
    detail: str = ""


# ---------------------------------------------------------------------------------------------- header helpers


def header(msg: Message, name: str) -> str:
    """A header as unfolded text with RFC 2047 words decoded, or "" when absent or unreadable.

    Works for messages parsed with either `policy.default` or `compat32`. The inbox parses with `compat32`:
    `policy.default` builds a header object on every lookup (≈0.2 ms each, a dozen lookups per message), which
    made classification the largest cost of a sweep; decoding here only when an encoded word is present is far
    cheaper and gives the same text.
    """
    try:
        value = msg.get(name)
    except _HEADER_ERRORS:
        return ""
    if value is None:
        return ""
    text = str(value)
    if "=?" in text:  # a malformed encoded word keeps its raw text: still better than nothing
        with contextlib.suppress(*_HEADER_ERRORS):
            text = str(make_header(decode_header(text)))
    return " ".join(text.split())


def normalize_message_id(value: str) -> str | None:
    """`<local@host>` without surrounding whitespace, or None when the text holds no Message-ID."""
    value = value.strip()
    match = _MSGID.search(value)
    if match:
        return f"<{match.group(1).strip()}>"
    if value and "@" in value and not any(ch.isspace() for ch in value):
        return f"<{value.strip('<>')}>"
    return None


_MSGID = re.compile(r"<([^<>\s]+)>")


def message_ids(value: str) -> list[str]:
    """Every `<...>` Message-ID in a References/In-Reply-To value, in order."""
    return [f"<{m}>" for m in _MSGID.findall(value)]


def referenced_ids(msg: Message) -> list[str]:
    """The Message-IDs a message answers: In-Reply-To first, then References from the newest backwards."""
    ids = message_ids(header(msg, "In-Reply-To"))
    ids += [i for i in reversed(message_ids(header(msg, "References"))) if i not in ids]
    return ids


def sender_address(msg: Message) -> str | None:
    """The From address, lower-cased, or None."""
    return _clean_address(parseaddr(header(msg, "From"))[1])


def _clean_address(value: str) -> str | None:
    value = value.strip().strip("<>").strip().lower()
    if value.startswith("rfc822;"):
        value = value.removeprefix("rfc822;").strip().strip("<>")
    local, at, domain = value.rpartition("@")
    if not at or not local or "." not in domain or any(ch.isspace() for ch in value):
        return None
    return value


# ---------------------------------------------------------------------------------------------- the decision


def needs_body(headers: Message, known_ids: Container[str]) -> bool:
    """Whether the headers alone cannot decide and the whole message must be fetched.

    Bounces and complaints carry their facts in the body; replies to our messages need the text checked for an
    unsubscribe request. Everything else is decided from headers.
    """
    if header(headers, WARMUP_HEADER):
        return False
    if headers.get_content_type() == "multipart/report" or _looks_like_bounce(headers):
        return True
    return any(i in known_ids for i in referenced_ids(headers))


def classify(msg: Message, known_ids: Container[str]) -> Verdict:
    """Classify one message; `known_ids` holds the Message-IDs we sent (normalized `<...>`).

    `msg` may be headers only when `needs_body` said so. The order matters: a DSN is also "auto-replied" by
    RFC 3834, and a warmup reply also answers one of our Message-IDs.
    """
    if header(msg, WARMUP_HEADER):
        return Verdict(MailKind.WARMUP, address=sender_address(msg), related_id=_first_known(msg, known_ids))
    machine = _report_verdict(msg)
    if machine is not None:
        return machine
    related = _first_known(msg, known_ids)
    sender = sender_address(msg)
    auto = _auto_reply_reason(msg, related is not None)
    if auto:
        return Verdict(MailKind.AUTO_REPLY, address=sender, related_id=related, detail=auto)
    phrase = _unsubscribe_phrase(msg, replying=related is not None)
    if phrase:
        return Verdict(MailKind.UNSUBSCRIBE, address=sender, related_id=related, detail=phrase)
    return Verdict(MailKind.OTHER if related is None else MailKind.REPLY, address=sender, related_id=related)


def _report_verdict(msg: Message) -> Verdict | None:
    """The verdict on a machine-written report (ARF complaint, DSN, plain-text bounce), None for other mail."""
    report = _report_type(msg)
    if report == "feedback-report":
        return _complaint(msg)
    if report == "delivery-status":
        dsn = _dsn_verdict(msg)
        if dsn is not None:
            return dsn
    if report != "disposition-notification" and _looks_like_bounce(msg):
        return _text_bounce(msg)
    return None


def _first_known(msg: Message, known_ids: Container[str]) -> str | None:
    return next((i for i in referenced_ids(msg) if i in known_ids), None)


def _report_type(msg: Message) -> str:
    if msg.get_content_type() != "multipart/report":
        return ""
    try:
        return str(msg.get_param("report-type", "") or "").lower()
    except _HEADER_ERRORS:
        return ""


# ---------------------------------------------------------------------------------------------- bounces

_DAEMON_LOCALS = frozenset({"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon", "mdaemon", "bounce"})
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|undelivered|delivery (?:status notification|failure|has failed|failed)|returned mail|"
    r"mail delivery (?:failed|failure|subsystem)|failure notice|could not be delivered|delayed mail|mail failure|"
    r"returned to sender|"
    r"delivery (?:delayed|incomplete)|warning: message .* delayed|non[- ]?delivery|"
    r"недоставлен|не доставлен|не удалось доставить|не может быть доставлен|ошибка доставки|"
    r"возврат письма|отчет о доставке|отчёт о доставке|задержка доставки",
    re.IGNORECASE,
)


def _looks_like_bounce(msg: Message) -> bool:
    """Headers typical of a bounce: a daemon sender, the null return path, Exim's header, or a bounce subject."""
    if header(msg, "X-Failed-Recipients"):
        return True
    sender = sender_address(msg) or ""
    name = parseaddr(header(msg, "From"))[0].lower()
    daemon = sender.partition("@")[0] in _DAEMON_LOCALS or "mail delivery" in name
    null_path = header(msg, "Return-Path").replace(" ", "") == "<>"
    subject = bool(_BOUNCE_SUBJECT.search(header(msg, "Subject")))
    return ((daemon or null_path) and subject) or (daemon and null_path)


def _dsn_verdict(msg: Message) -> Verdict | None:
    """A verdict from the first failed (or delayed) per-recipient block of an RFC 3464 DSN; OTHER for a DSN
    that reports only successes (delivered, relayed, expanded); None when there are no per-recipient blocks."""
    original = _original_message_id(msg)
    seen_action = False
    for block in _dsn_blocks(msg):
        action = header(block, "Action").lower()
        seen_action = seen_action or bool(action)
        if action not in {"failed", "delayed"}:
            continue
        recipient = _clean_address(header(block, "Final-Recipient")) or _clean_address(
            header(block, "Original-Recipient")
        )
        detail = " ".join(header(block, "Diagnostic-Code").split())
        status = _best_status(_status_code(header(block, "Status")), _status_in_text(detail))
        detail = re.sub(r"^(?:smtp|x-[\w-]+)\s*;\s*", "", detail, flags=re.IGNORECASE)
        hard = action == "failed" and _is_hard(status, detail)
        kind = MailKind.BOUNCE_HARD if hard else MailKind.BOUNCE_SOFT
        return Verdict(kind, address=recipient, related_id=original, status=status, detail=detail[:500])
    return Verdict(MailKind.OTHER, address=sender_address(msg)) if seen_action else None


def _best_status(reported: str | None, diagnosed: str | None) -> str | None:
    """The DSN's Status, unless it is a generic x.0.0 and the server's own answer is more precise (Exim)."""
    if reported is None:
        return diagnosed
    if diagnosed and reported.endswith(".0.0") and diagnosed[0] == reported[0]:
        return diagnosed
    return reported


def _dsn_blocks(msg: Message) -> Iterator[Message]:
    for part in msg.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        payload = part.get_payload()
        if isinstance(payload, list):
            yield from (b for b in payload if isinstance(b, Message))
        elif isinstance(payload, str):  # some parsers leave it as text: split the blank-line separated blocks
            for chunk in re.split(r"\r?\n\s*\r?\n", payload):
                yield HeaderParser(policy=compat32).parsestr(chunk.strip() + "\n")


_ENHANCED = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_BASIC_WITH_ENHANCED = re.compile(r"(?<!\d)([245]\d\d)[ -]+([245]\.\d{1,3}\.\d{1,3})(?![\d.])")
_BASIC = re.compile(r"(?<![\w.:/-])([45][0-5]\d)(?=[ -]|$)", re.MULTILINE)


def _status_code(value: str) -> str | None:
    match = _ENHANCED.search(value)
    return ".".join(match.groups()) if match else None


def _status_in_text(text: str) -> str | None:
    """The enhanced status code in free text; a bare 4xx/5xx reply code becomes "4.0.0"/"5.0.0"."""
    match = _BASIC_WITH_ENHANCED.search(text)
    if match:
        return match.group(2)
    found = _status_code(text)
    if found:
        return found
    basic = _BASIC.search(text)
    return f"{basic.group(1)[0]}.0.0" if basic else None


_HARD_HINTS = re.compile(
    r"user unknown|unknown user|no such (?:user|mailbox|recipient|address)|does not exist|doesn'?t exist|"
    r"not exist|mailbox (?:unavailable|not found|disabled)|account (?:disabled|has been disabled|is disabled)|"
    r"invalid (?:mailbox|recipient|address)|"
    r"couldn'?t be found|not found|unrouteable|host unknown|domain not found|permanent error|"
    r"нет такого|не существует|не найден|несуществующ|заблокирован|удален|постоянная ошибка",
    re.IGNORECASE,
)
_SOFT_HINTS = re.compile(
    r"mailbox (?:is )?full|quota|over ?quota|temporar|try again|will (?:be )?retr|delayed|greylist|"
    r"переполнен|квот|временн|повтор",
    re.IGNORECASE,
)


def _is_hard(status: str | None, detail: str) -> bool:
    """Permanent and about the address: 5.x.x, except a full mailbox (x.2.2) and policy blocks (x.7.x) unless
    the text says the user does not exist (Yandex answers "5.7.1 No such user!")."""
    if _HARD_HINTS.search(detail) and not _SOFT_HINTS.search(detail):
        return status is None or status.startswith("5")
    if status is None:
        return False
    if not status.startswith("5"):
        return False
    return not (status.startswith(("5.2.2", "5.7.")) or _SOFT_HINTS.search(detail))


_QMAIL_RECIPIENT = re.compile(r"^<([^<>\s]+@[^<>\s]+)>:\s*$", re.MULTILINE)
_ADDRESS = re.compile(r"<?([\w.+'=-]+@[\w-]+(?:\.[\w-]+)+)>?", re.UNICODE)
_PERMANENT_TEXT = re.compile(
    r"permanent error|permanently|I've given up|given up|could not be delivered|"
    r"не может быть доставлено|не удалось доставить|не было доставлено|постоянная ошибка",
    re.IGNORECASE,
)
_DELAY_TEXT = re.compile(
    r"not yet been delivered|has been delayed|delayed|will (?:continue to )?(?:try|retry)|temporary|"
    r"ещё не доставлено|еще не доставлено|задерж|будут продолжены|временн",
    re.IGNORECASE,
)
_COPY_MARKERS = re.compile(
    r"^-{2,}\s*(?:Below this line is a copy of the message|This is a copy of the message|Original message|"
    r"Оригинальное сообщение|Исходное сообщение|Копия сообщения)|"
    r"^-{3,}\s*(?:The header of the original message|Заголовки исходного)",
    re.IGNORECASE | re.MULTILINE,
)


def _text_bounce(msg: Message) -> Verdict | None:
    """A verdict for a plain-text bounce (qmail, Exim, Exchange, Yandex, Mail.ru), or None if it does not say
    what failed."""
    text = _plain_text(msg, include_attached=False)
    cut = _COPY_MARKERS.search(text)
    report, original_copy = (text[: cut.start()], text[cut.start() :]) if cut else (text, "")
    recipient = _failed_recipient(msg, report)
    status = _status_in_text(report)
    detail = _diagnostic_line(report, status)
    if recipient is None and status is None:
        return None
    delayed = bool(_DELAY_TEXT.search(report)) and not _PERMANENT_TEXT.search(report)
    if delayed:
        hard = False
    elif status is None:
        hard = bool(_PERMANENT_TEXT.search(report) or _HARD_HINTS.search(report))
    else:
        hard = _is_hard(status, detail) or (status.startswith("5") and bool(_HARD_HINTS.search(report)))
    kind = MailKind.BOUNCE_HARD if hard else MailKind.BOUNCE_SOFT
    related = _original_message_id(msg) or _inline_message_id(original_copy, header(msg, "Message-ID"))
    return Verdict(kind, address=recipient, related_id=related, status=status, detail=detail[:500])


def _failed_recipient(msg: Message, report: str) -> str | None:
    """Exim's header, qmail's `<addr>:` lines, else the first address in the report that is not a daemon's,
    ours (the bounce's To), or the original sender."""
    direct = _clean_address(header(msg, "X-Failed-Recipients").split(",")[0])
    if direct:
        return direct
    qmail = _QMAIL_RECIPIENT.search(report)
    if qmail:
        return _clean_address(qmail.group(1))
    ours = {a.lower() for _, a in getaddresses([header(msg, "To"), header(msg, "Delivered-To")])}
    for match in _ADDRESS.finditer(report):
        found = _clean_address(match.group(1))
        if found and found not in ours and found.partition("@")[0] not in _DAEMON_LOCALS:
            return found
    return _single_original_recipient(msg)


def _single_original_recipient(msg: Message) -> str | None:
    """The To of the attached original, when it names exactly one address (a cold email always does)."""
    original = _original_headers(msg)
    if original is None:
        return None
    addresses = [a for _, a in getaddresses([header(original, "To")]) if a]
    return _clean_address(addresses[0]) if len(addresses) == 1 else None


def _diagnostic_line(report: str, status: str | None) -> str:
    """The line of the report that carries the server's answer, else its first non-empty line."""
    lines = [" ".join(line.split()) for line in report.splitlines() if line.strip()]
    code = status or ""
    for line in lines:
        if (code and code in line) or _BASIC.search(line):
            return line
    return next((line for line in lines if _HARD_HINTS.search(line)), lines[0] if lines else "")


def _inline_message_id(text: str, own: str) -> str | None:
    """The Message-ID header of an original quoted as plain text after a bounce's copy marker."""
    own_id = normalize_message_id(own)
    for match in re.finditer(r"^Message-ID:\s*(<[^<>\s]+>)", text, re.IGNORECASE | re.MULTILINE):
        if match.group(1) != own_id:
            return match.group(1)
    return None


def _original_headers(msg: Message) -> Message | None:
    """The headers of the returned or reported original (message/rfc822 or text/rfc822-headers part)."""
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype in {"message/rfc822", "message/global"}:
            payload = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                return payload[0]
        elif ctype in {"text/rfc822-headers", "text/global-headers"}:
            return HeaderParser(policy=compat32).parsestr(_decoded(part).strip() + "\n")
    return None


def _original_message_id(msg: Message) -> str | None:
    original = _original_headers(msg)
    return None if original is None else normalize_message_id(header(original, "Message-ID"))


# ---------------------------------------------------------------------------------------------- complaints


def _complaint(msg: Message) -> Verdict:
    """An RFC 5965 feedback report: who complained and about which of our messages."""
    fields = _feedback_fields(msg)
    feedback_type = header(fields, "Feedback-Type").lower() if fields is not None else ""
    if feedback_type == "not-spam":
        return Verdict(MailKind.OTHER, address=sender_address(msg))
    original = _original_headers(msg)
    recipient = _clean_address(header(fields, "Original-Rcpt-To")) if fields is not None else None
    if recipient is None and original is not None:
        addresses = [a for _, a in getaddresses([header(original, "To")]) if a]
        recipient = _clean_address(addresses[0]) if addresses else None
    related = None if original is None else normalize_message_id(header(original, "Message-ID"))
    return Verdict(MailKind.COMPLAINT, address=recipient, related_id=related, detail=feedback_type or "abuse")


def _feedback_fields(msg: Message) -> Message | None:
    for part in msg.walk():
        if part.get_content_type() != "message/feedback-report":
            continue
        payload = part.get_payload()
        if isinstance(payload, list) and payload and isinstance(payload[0], Message):
            return payload[0]
        if isinstance(payload, str):
            return HeaderParser(policy=compat32).parsestr(payload.strip() + "\n")
    return None


# ---------------------------------------------------------------------------------------------- auto-replies

_AUTO_SUBJECT = re.compile(
    r"^\s*(?:\[?(?:auto(?:matic)?[ -]?(?:reply|response|answer)|autoreply|auto:|out of (?:the )?office|"
    r"ooo\b|away from (?:the office|my desk)|on (?:vacation|holiday|leave)|vacation reply|"
    r"автоматический ответ|автоответ|авто-ответ|автоматическое уведомление|нет на месте|"
    r"вне офиса|в отпуске|отсутствую|отсутствие на рабочем месте|я в отпуске)\]?)",
    re.IGNORECASE,
)
_VENDOR_AUTO_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Auto-Reply", "X-Mailru-Autoreply")


def _auto_reply_reason(msg: Message, replying: bool) -> str:
    """Why the message is an automatic answer ("" if it is not): RFC 3834 Auto-Submitted, vendor headers,
    Precedence, or a vacation subject. Auto-generated mail that neither answers us nor looks like a vacation
    notice (newsletters, notifications) is not an auto-reply."""
    auto_submitted = header(msg, "Auto-Submitted").lower().split(";")[0].strip()
    subject = header(msg, "Subject")
    subject_hit = _AUTO_SUBJECT.search(subject)
    if auto_submitted == "auto-replied":
        return "auto-submitted: auto-replied"
    for name in _VENDOR_AUTO_HEADERS:
        value = header(msg, name).lower()
        if value and value not in {"no", "false", "0"}:
            return f"{name.lower()}: {value}"
    if auto_submitted and auto_submitted != "no" and (replying or subject_hit):
        return f"auto-submitted: {auto_submitted}"
    precedence = header(msg, "Precedence").lower()
    if precedence == "auto_reply" or (precedence in {"bulk", "junk"} and (replying or subject_hit)):
        return f"precedence: {precedence}"
    if subject_hit:
        return subject_hit.group(0).strip()
    return ""


# ---------------------------------------------------------------------------------------------- unsubscribes

_UNSUBSCRIBE_STRONG = re.compile(
    r"\bunsubscrib\w*|\bremove me\b|\btake me off\b|\bopt[- ]?out\b|"
    r"\bотпис\w*|\bотпиш\w*|\bудалите (?:меня|мой)\b|\bисключите (?:меня|мой)\b|\bуберите меня\b",
    re.IGNORECASE,
)
"""Phrases that ask to stop even in a message that does not answer ours."""
_UNSUBSCRIBE_IN_REPLY = re.compile(
    r"\bstop (?:emailing|e-mailing|sending|contacting|writing|messaging)\b|"
    r"\b(?:do not|don'?t|never) (?:email|e-mail|contact|write|send|message)\b|\bno more (?:emails|messages)\b|"
    r"\bне (?:пишите|писать|присылайте|присылать|отправляйте|беспокойте)\b|\bпрекратите (?:рассылку|писать)\b",
    re.IGNORECASE,
)
"""Phrases that mean "stop" only as an answer to our message ("don't send big files" in other mail does not)."""
_WHOLE_STOP = re.compile(r"^\s*(?:stop|стоп|unsubscribe|отписаться)[\s.!]*$", re.IGNORECASE)
_SHORT_UNSOLICITED = 300  # characters: a fresh (non-reply) message this short may be a bare "unsubscribe me"


def _unsubscribe_phrase(msg: Message, *, replying: bool) -> str:
    """The phrase asking us to stop, found in the subject or in the new (unquoted) text; "" when none.

    Mail that does not answer us is only read when it is short: newsletters carry "unsubscribe" in every footer.
    """
    subject = _REPLY_PREFIX.sub("", header(msg, "Subject"))
    patterns: tuple[re.Pattern[str], ...] = (_WHOLE_STOP, _UNSUBSCRIBE_STRONG)
    if replying:
        patterns += (_UNSUBSCRIBE_IN_REPLY,)
    hit = _first_match(subject, patterns)
    if hit:
        return hit
    if header(msg, "List-Unsubscribe") and not replying:
        return ""
    text = new_text(_plain_text(msg, include_attached=False))
    if not replying and len(text) > _SHORT_UNSOLICITED:
        return ""
    return _first_match(text, patterns)


_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|fwd?|ответ|отв|на)\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE)


def _first_match(text: str, patterns: tuple[re.Pattern[str], ...]) -> str:
    for pattern in patterns:
        hit = pattern.search(text)
        if hit:
            return hit.group(0).strip()
    return ""


_REPLY_HEADER = re.compile(
    r"^(?:On .{0,200}wrote:|.{0,200}\b(?:пишет|написал|написала|написал\(а\))\s*:|"
    r"-{2,}\s*(?:Original Message|Forwarded message|Исходное сообщение|Пересылаемое сообщение)\s*-{2,}|"
    r"(?:From|От|Sent|Отправлено):\s.*|.{0,120}<[^<>\s]+@[^<>\s]+>\s*:|_{8,})\s*$",
    re.IGNORECASE,
)


def new_text(text: str) -> str:
    """The part of a reply its author wrote: lines before the quoted original, the reply header or signature."""
    kept: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped == "--" or line.rstrip("\r\n") == "-- " or _REPLY_HEADER.match(stripped):
            break
        if stripped.startswith(">"):
            continue
        kept.append(line)
    return "\n".join(kept).strip()


# ---------------------------------------------------------------------------------------------- body text


def _plain_text(msg: Message, *, include_attached: bool) -> str:
    """The readable text of a message: text/plain parts, else text/html with tags and quotes removed.

    Attached originals (message/rfc822, text/rfc822-headers) are skipped unless `include_attached`, so a bounce
    or a reply is judged by what its author wrote, not by our own quoted message.
    """
    plain: list[str] = []
    html: list[str] = []
    for part in _leaf_parts(msg, include_attached=include_attached):
        ctype = part.get_content_type()
        if ctype not in {"text/plain", "text/html"}:
            continue
        content = _decoded(part)
        (plain if ctype == "text/plain" else html).append(content)
    if plain:
        return "\n".join(plain)[:_MAX_TEXT]
    return "\n".join(_html_to_text(h) for h in html)[:_MAX_TEXT]


def _leaf_parts(msg: Message, *, include_attached: bool) -> Iterator[Message]:
    if msg.is_multipart():
        ctype = msg.get_content_type()
        if not include_attached and ctype in {"message/rfc822", "message/global"}:
            return
        payload = msg.get_payload()
        if isinstance(payload, list):
            for sub in payload:
                if isinstance(sub, Message):
                    yield from _leaf_parts(sub, include_attached=include_attached)
        return
    if msg.get_content_disposition() == "attachment" and not include_attached:
        return
    yield msg


def _decoded(part: Message) -> str:
    """The text of a part in its declared charset; undecodable bytes become replacement characters."""
    try:
        raw = part.get_payload(decode=True)
    except _HEADER_ERRORS:
        return ""
    if not isinstance(raw, bytes):
        payload = part.get_payload()
        return payload if isinstance(payload, str) else ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return raw.decode(charset, errors="replace")
    except LookupError:  # an unknown charset name
        return raw.decode("utf-8", errors="replace")


class _TextExtractor(HTMLParser):
    """Visible text of an HTML body, without <blockquote> (quoted originals), <style> and <script>."""

    _SKIP: Final = frozenset({"blockquote", "style", "script", "head"})
    _BREAK: Final = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skip_depth += 1
        elif tag in self._BREAK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skip_depth:
            self._skip_depth -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            self.parts.append(data)


def _html_to_text(html: str) -> str:
    extractor = _TextExtractor()
    try:
        extractor.feed(html)
        extractor.close()
    except AssertionError:  # html.parser asserts on some malformed declarations
        pass
    return "".join(extractor.parts)

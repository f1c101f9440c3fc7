"""What an incoming message means for the platform: a reply, a bounce, an auto-reply, a complaint, an unsubscribe
request, a warmup message, or nothing in particular.

Pure functions over `email.message.Message` objects (either parsing policy; see `header`). Inbox sync first
fetches only headers; `needs_body` says which messages must be fetched whole before `classify` can decide, so the
common cases (warmup traffic, unrelated mail, auto-replies) cost one header fetch.

Formats covered: RFC 3464 delivery status notifications, the qmail (QSBMF), Exim, Exchange and Yandex/Mail.ru
plain-text bounce styles, RFC 3834 auto-replies with the usual vendor headers and subjects in Russian and English,
challenge-response filters' requests (Boxbe, Bluebottle, Spam Arrest and the like: auto-replies, never replies or
bounces), RFC 5965 ARF complaints, and unsubscribe requests written by people in either language.
"""

from __future__ import annotations

import contextlib
import functools
import re
import weakref
from collections.abc import Callable, Collection, Container, Iterator, Mapping
from dataclasses import dataclass
from email.errors import MessageError
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesHeaderParser, BytesParser, HeaderParser
from email.policy import compat32
from email.utils import getaddresses, parseaddr
from enum import StrEnum
from html.parser import HTMLParser
from itertools import islice
from typing import Any, Final

WARMUP_HEADER: Final = "X-Entity-Ref-ID"
"""The header that carries the keyed warmup marker (`engine.warmup.marker`). A name many senders use for their own
reference ids; its presence proves nothing, only a value that the `WarmupCheck` accepts makes a message warmup."""

WarmupCheck = Callable[[str, str], bool]
"""`(marker value, Message-ID) -> genuine`: verifies a warmup marker (the key lives outside this pure module)."""

_HEADER_ERRORS = (MessageError, ValueError, TypeError, IndexError, AttributeError, LookupError)
"""What the email package may raise on malformed input; a classifier of hostile mail must never crash on it."""

_MAX_TEXT = 64_000  # characters of body text examined; bounces and replies say what matters near the top


class MailKind(StrEnum):
    """The verdict on one incoming message."""

    REPLY = "reply"
    BOUNCE_HARD = "bounce_hard"
    BOUNCE_SOFT = "bounce_soft"
    BOUNCE_BLOCK = "bounce_block"  # the receiver refused us (reputation, content, policy, authentication)
    AUTO_REPLY = "auto_reply"
    COMPLAINT = "complaint"
    UNSUBSCRIBE = "unsubscribe"
    WARMUP = "warmup"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Verdict:
    """The classification of one message.

    `address` is the person the message is about: the failed recipient of a bounce (never one of our own
    addresses), the complaining recipient of a complaint report, otherwise the sender. `related_id` is the
    Message-ID of ours that the message answers or reports on (normalized `<...>`), when one could be found.
    `status` is the enhanced status code of a bounce and `reason` why it bounced (its kind is the class: hard,
    soft or block); `detail` is the server's diagnostic (bounces) or the phrase that decided (auto-replies,
    unsubscribes).
    """

    kind: MailKind
    address: str | None = None
    related_id: str | None = None
    status: str | None = None
    detail: str = ""
    reason: BounceReason | None = None


# ---------------------------------------------------------------------------------------------- header helpers


def header(msg: Message, name: str) -> str:
    """A header as unfolded text with RFC 2047 words decoded, or "" when absent or unreadable.

    Works for messages parsed with either `policy.default` or `compat32`. The inbox parses with `compat32`:
    `policy.default` builds a header object on every lookup (≈0.2 ms each, a dozen lookups per message), which
    made classification the largest cost of a sweep; decoding here only when an encoded word is present is far
    cheaper and gives the same text.
    """
    text = _stored(msg, name)
    if text is None:
        return ""
    if "\x1b" in text:  # raw ISO-2022-JP (JIS), as Japanese mailers write it without encoded words
        with contextlib.suppress(UnicodeError):
            text = text.encode("ascii").decode("iso-2022-jp")
    if "=?" in text:  # a malformed encoded word keeps its raw text: still better than nothing
        text = _decode_words(text)
    if "\x00" in text:  # an encoded word's `=00` is plain ASCII on the wire, and PostgreSQL refuses it (`without_nul`)
        text = text.replace("\x00", "")
    return " ".join(text.split())


def address_header(msg: Message, name: str) -> str:
    """An address header (From, To, Reply-To…) unfolded, for `parseaddr`/`getaddresses`: its encoded words left
    as they are (each is one atom there), so a display name that decodes to "Petrov, Ivan" is not read as two
    addresses; raw 8-bit text decoded as in `header`. "" when absent."""
    return " ".join((_stored(msg, name) or "").split())


_ESCAPED_8BIT = re.compile("[\udc80-\udcff]")  # bytes ≥ 0x80 of a raw header, as the parser keeps them


def _stored(msg: Message, name: str) -> str | None:
    """The first `name` header as the message holds it (still folded, encoded words not decoded), or None.

    Raw 8-bit bytes (headers written without RFC 2047, in UTF-8 as RFC 6532 allows, or in Windows-1251 or
    KOI8-R as older Russian mailers do) are decoded here: the parser keeps them as escapes, which both parsing
    policies would turn into replacement characters, losing a Russian "Автоответ" subject or sender name."""
    wanted = name.lower()
    try:
        index = _FIRST.get(msg)
        if index is not None:
            value = index.get(wanted)
        else:
            value = next((v for k, v in msg.raw_items() if k.lower() == wanted), None)
    except _HEADER_ERRORS:
        return None
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    if _ESCAPED_8BIT.search(text):
        text = decode_text(text.encode("ascii", "surrogateescape"), "utf-8")
    return text


# The first value of every header, by lower-cased name, of each message `parse_message` and `parse_headers` made:
# classifying one reads a dozen headers, most of them absent, and each look-up walked (a copy of) its whole header
# list. Those messages are only read afterwards; one built or changed elsewhere is read from its headers each time.
_FIRST: Final[weakref.WeakKeyDictionary[Message, dict[str, Any]]] = weakref.WeakKeyDictionary()


def _indexed(msg: Message) -> Message:
    index: dict[str, Any] = {}
    for k, v in msg.raw_items():
        index.setdefault(k.lower(), v)
    _FIRST[msg] = index
    return msg


def _decode_words(text: str) -> str:
    """RFC 2047 encoded words decoded; a word whose charset is unknown or wrong (cp1251 labelled utf-8) is read
    as `decode_text` reads a mislabelled body. Unreadable words keep their raw text."""
    try:
        chunks = decode_header(text)
        return str(make_header([_readable_word(part, charset) for part, charset in chunks]))
    except _HEADER_ERRORS:
        return text


def _readable_word(part: bytes | str, charset: str | None) -> tuple[bytes | str, str | None]:
    """One chunk of `decode_header`: as it is when its charset reads it, else re-encoded from `decode_text`."""
    if charset is None or not isinstance(part, bytes):
        return part, charset
    try:
        part.decode(charset)
    except (LookupError, UnicodeDecodeError):
        return decode_text(part, charset).encode("utf-8"), "utf-8"
    return part, charset


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
    return _clean_address(_parse_address(address_header(msg, "From"))[1])


@functools.lru_cache(maxsize=4096)
def _parse_address(text: str) -> tuple[str, str]:
    """`email.utils.parseaddr`, remembered: a sweep reads a fleet's warmup mail, the same few thousand senders over
    and over, and each parse costs about 10 µs (a message's classification asks two or three times)."""
    return parseaddr(text)


def _clean_address(value: str) -> str | None:
    value = value.strip().strip("<>").strip().lower()
    if value.startswith("rfc822;"):
        value = value.removeprefix("rfc822;").strip().strip("<>")
    local, at, domain = value.rpartition("@")
    if not at or not local or "." not in domain or any(ch.isspace() for ch in value):
        return None
    return value


def parse_message(raw: bytes) -> Message:
    """A fetched message parsed as the inbox reads it (`compat32`). Never raises: the parser recurses once per
    nesting level, so a few hundred kilobytes of nested message/rfc822 or multipart parts (hostile or broken
    mail) exhaust the stack; such a message is read by its headers alone. The caller bounds `raw` (the inbox
    fetches at most the first `DEFAULT_BODY_BYTES`), which bounds the time parsing takes. NUL bytes are dropped
    (`without_nul`)."""
    raw = without_nul(raw)
    try:
        return _indexed(BytesParser(policy=compat32).parsebytes(raw))
    except (RecursionError, *_HEADER_ERRORS):
        return _indexed(BytesHeaderParser(policy=compat32).parsebytes(raw))


def parse_headers(raw: bytes) -> Message:
    """A fetched header block, parsed as `parse_message` parses a whole message."""
    return _indexed(BytesHeaderParser(policy=compat32).parsebytes(without_nul(raw)))


def without_nul(raw: bytes) -> bytes:
    """`raw` without NUL bytes. No mail may hold one (RFC 5322 §3.2.3 and RFC 2045 §2.7 leave it out of every
    form), yet some servers pass them through; PostgreSQL refuses NUL in text and JSON, so one NUL in a bounce's
    address or diagnostic failed the mailbox's whole write — on every sync, for as long as the message stayed."""
    return raw.replace(b"\x00", b"") if b"\x00" in raw else raw


# ---------------------------------------------------------------------------------------------- the decision


def is_warmup(msg: Message, warmup_check: WarmupCheck | None) -> bool:
    """Whether `msg` carries a warmup marker that `warmup_check` verifies; without a check, never."""
    if warmup_check is None:
        return False
    value = header(msg, WARMUP_HEADER)
    message_id = normalize_message_id(header(msg, "Message-ID")) if value else None
    return bool(value and message_id and warmup_check(value, message_id))


def needs_body(headers: Message, known_ids: Container[str], *, warmup_check: WarmupCheck | None = None) -> bool:
    """Whether the headers alone cannot decide and the whole message must be fetched.

    Bounces and complaints carry their facts in the body; replies to our messages need the text checked for an
    unsubscribe request. Everything else is decided from headers.
    """
    if is_warmup(headers, warmup_check):
        return False
    if headers.get_content_type() == "multipart/report" or _looks_like_bounce(headers):
        return True
    if _automated_bounce_sender(headers):
        return True
    if _JMRP_SUBJECT.search(header(headers, "Subject")):  # Microsoft's complaints name the recipient inside
        return True
    return any(i in known_ids for i in referenced_ids(headers))


def classify(
    msg: Message,
    known_ids: Container[str],
    *,
    own_addresses: Collection[str] = (),
    warmup_check: WarmupCheck | None = None,
    answering: str | None = None,
) -> Verdict:
    """Classify one message; `known_ids` holds the Message-IDs we sent (normalized `<...>`), `own_addresses`
    the addresses of the receiving mailbox (lower-case), which a bounce never names as its failed recipient.
    A message is warmup only when `warmup_check` verifies its marker (a forged or copied marker is ignored).
    `answering` is the message of ours it is taken to answer when it references none (a lead who wrote back
    in a new message, or from a client that drops the threading headers): then it is judged as an answer is,
    a reply unless it is an absence notice or an opt-out.

    `msg` may be headers only when `needs_body` said so. The order matters: a DSN is also "auto-replied" by
    RFC 3834, and a warmup reply also answers one of our Message-IDs. Never raises: mail too deeply nested to
    walk is `other`.
    """
    try:
        return _classify(msg, known_ids, own_addresses=own_addresses, warmup_check=warmup_check, answering=answering)
    except RecursionError:
        return Verdict(MailKind.OTHER)


def _classify(
    msg: Message,
    known_ids: Container[str],
    *,
    own_addresses: Collection[str],
    warmup_check: WarmupCheck | None,
    answering: str | None,
) -> Verdict:
    if is_warmup(msg, warmup_check):
        return Verdict(MailKind.WARMUP, address=sender_address(msg), related_id=_first_known(msg, known_ids))
    own = frozenset(a.lower() for a in own_addresses)
    machine = _challenge(msg, known_ids, own, answering) or _report_verdict(msg, own)
    if machine is not None:
        return machine
    related = _first_known(msg, known_ids) or answering
    sender = sender_address(msg)
    body = _Body(msg)
    notice = _notice(msg, body)
    if notice is not None:
        return Verdict(MailKind.OTHER, address=sender, related_id=related, detail=notice)
    auto = _auto_reply_reason(msg, related is not None, body)
    if auto:
        return Verdict(MailKind.AUTO_REPLY, address=sender, related_id=related, detail=auto)
    phrase = _unsubscribe_phrase(msg, replying=related is not None, body=body)
    if phrase:
        return Verdict(MailKind.UNSUBSCRIBE, address=sender, related_id=related, detail=phrase)
    return Verdict(MailKind.OTHER if related is None else MailKind.REPLY, address=sender, related_id=related)


class _Body:
    """A message's new (unquoted) text, made once, when the first check of a person's mail needs it: the recall,
    acknowledgement and opt-out checks all read it, and making it walks, decodes and strips every part."""

    __slots__ = ("_msg", "_text")

    def __init__(self, msg: Message) -> None:
        self._msg = msg
        self._text: str | None = None

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = new_text(_plain_text(self._msg, include_attached=False))
        return self._text


def _report_verdict(msg: Message, own: frozenset[str]) -> Verdict | None:
    """The verdict on a machine-written report (ARF complaint, DSN, plain-text bounce), None for other mail."""
    report = _report_type(msg)
    if report == "feedback-report":
        return _complaint(msg)
    if (complainer := _jmrp_recipient(msg)) is not None:
        return Verdict(MailKind.COMPLAINT, address=complainer, related_id=_original_message_id(msg), detail="abuse")
    if report in {"disposition-notification", "global-disposition-notification"}:
        return _disposition_report(msg)
    looks = _looks_like_bounce(msg)
    if report in {"delivery-status", "global-delivery-status"} or (looks and _has_dsn_part(msg)):
        dsn = _dsn_verdict(msg, own)
        if dsn is not None:
            return dsn
    if looks:
        return _text_bounce(msg, own)
    return _text_bounce(msg, own, explicit=True) if _automated_bounce_sender(msg) else None


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


class BounceReason(StrEnum):
    """Why a message bounced, in the taxonomy of the established bounce analysers (sisimai and the like)."""

    USER_UNKNOWN = "user_unknown"  # no such mailbox (or it has moved without a forwarding address)
    MAILBOX_DISABLED = "mailbox_disabled"  # the mailbox exists but is disabled, suspended or closed
    HOST_UNKNOWN = "host_unknown"  # the recipient's domain does not exist or accepts no mail (null MX)
    MAILBOX_FULL = "mailbox_full"
    EXPIRED = "expired"  # gave up after retrying for the queue lifetime
    MESSAGE_TOO_LARGE = "message_too_large"
    SYSTEM_ERROR = "system_error"  # the receiving system failed (full disk, loop, misconfiguration)
    NETWORK_ERROR = "network_error"  # no connection, timeouts, TLS failures
    BLOCKED = "blocked"  # our IP or domain: blocklist listing, reputation
    SPAM_DETECTED = "spam_detected"  # our content was judged spam (or a virus)
    POLICY = "policy"  # the receiver's rules refused us: sender address, relaying, permissions, format
    AUTH_FAILURE = "auth_failure"  # SPF, DKIM, DMARC, reverse DNS: our sender authentication
    RATE_LIMITED = "rate_limited"  # too much mail from us, too fast
    GREYLISTED = "greylisted"  # a first-contact deferral every new sender gets: retry, it says nothing of us
    UNDEFINED = "undefined"  # a failure that does not say why


class BounceClass(StrEnum):
    """What a bounce means for us: `hard` = the recipient is gone (suppress), `soft` = retry later, `block` = the
    receiver refused *us* (never suppress the recipient; counts against our mailbox and domain)."""

    HARD = "hard"
    SOFT = "soft"
    BLOCK = "block"


_BLOCK_REASONS: Final = frozenset(
    {
        BounceReason.BLOCKED,
        BounceReason.SPAM_DETECTED,
        BounceReason.POLICY,
        BounceReason.AUTH_FAILURE,
        BounceReason.RATE_LIMITED,
    }
)
_GONE_REASONS: Final = frozenset({BounceReason.USER_UNKNOWN, BounceReason.MAILBOX_DISABLED, BounceReason.HOST_UNKNOWN})
_KIND_OF_CLASS: Final = {
    BounceClass.HARD: MailKind.BOUNCE_HARD,
    BounceClass.SOFT: MailKind.BOUNCE_SOFT,
    BounceClass.BLOCK: MailKind.BOUNCE_BLOCK,
}


def bounce_class(reason: BounceReason, *, permanent: bool) -> BounceClass:
    """Block whenever the receiver refused us (even temporarily: it is our reputation that is read); hard only
    when the recipient is gone for good; everything else is soft."""
    if reason in _BLOCK_REASONS:
        return BounceClass.BLOCK
    if reason in _GONE_REASONS and permanent:
        return BounceClass.HARD
    return BounceClass.SOFT


# Enhanced status codes (RFC 3463, RFC 7372, RFC 7505 and the providers' own) by "subject.detail". A decisive
# code names the reason outright and no wording can change it; a suggestive one is only the default that the
# server's wording may make precise ("5.7.1" is used for blocklists, spam, relaying and even "no such user").
_R = BounceReason
_DECISIVE_CODES: Final[Mapping[str, BounceReason]] = {
    "1.1": _R.USER_UNKNOWN,
    "1.10": _R.USER_UNKNOWN,  # recipient address has null MX
    "1.2": _R.HOST_UNKNOWN,
    "1.3": _R.USER_UNKNOWN,  # bad destination mailbox syntax
    "1.6": _R.USER_UNKNOWN,  # moved, no forwarding address
    "1.7": _R.POLICY,  # bad sender address syntax: ours
    "1.8": _R.POLICY,  # bad sender's system address: ours
    "2.2": _R.MAILBOX_FULL,
    "2.3": _R.MESSAGE_TOO_LARGE,
    "3.4": _R.MESSAGE_TOO_LARGE,
    "4.7": _R.EXPIRED,
    "4.310": _R.HOST_UNKNOWN,  # Microsoft: DNS domain does not exist
    "4.312": _R.NETWORK_ERROR,  # Microsoft: DNS query failed ("Message expired, DNS query failed")
    "4.316": _R.NETWORK_ERROR,  # Microsoft: connection refused ("Message expired, connection refused")
    "7.13": _R.MAILBOX_DISABLED,  # user account disabled (RFC 4954)
    "7.20": _R.AUTH_FAILURE,  # no passing DKIM signature (RFC 7372)
    "7.21": _R.AUTH_FAILURE,
    "7.22": _R.AUTH_FAILURE,
    "7.23": _R.AUTH_FAILURE,  # SPF validation failed
    "7.24": _R.AUTH_FAILURE,
    "7.25": _R.AUTH_FAILURE,  # reverse DNS validation failed
    "7.26": _R.AUTH_FAILURE,  # multiple authentication checks failed (Gmail: unauthenticated, DMARC)
    "7.27": _R.AUTH_FAILURE,  # sender address has null MX (RFC 7505): our sending domain
    "7.28": _R.RATE_LIMITED,  # Gmail: unusual rate of unsolicited mail
    "7.509": _R.AUTH_FAILURE,  # Microsoft: DMARC reject
    "7.515": _R.AUTH_FAILURE,  # Microsoft: sender requirements (SPF, DKIM, DMARC) not met
    "7.501": _R.BLOCKED,  # Microsoft: banned sender (spam)
    "7.511": _R.BLOCKED,
    "7.606": _R.BLOCKED,  # Microsoft: access denied, banned sending IP
    "7.708": _R.BLOCKED,
    "7.750": _R.BLOCKED,
}
_SUGGESTIVE_CODES: Final[Mapping[str, BounceReason]] = {
    "2.1": _R.MAILBOX_DISABLED,  # Gmail also says 5.2.1 when the recipient receives mail too fast for it
    "2.4": _R.SYSTEM_ERROR,
    "3.1": _R.SYSTEM_ERROR,
    "4.1": _R.NETWORK_ERROR,
    "4.2": _R.NETWORK_ERROR,
    "4.3": _R.NETWORK_ERROR,
    "4.4": _R.HOST_UNKNOWN,  # unable to route
    "4.6": _R.SYSTEM_ERROR,  # routing loop
    "7.1": _R.BLOCKED,
    "7.0": _R.POLICY,
    "7.7": _R.POLICY,
    "7.9": _R.POLICY,
}
_SUGGESTIVE_SUBJECTS: Final[Mapping[str, BounceReason]] = {
    "3": _R.SYSTEM_ERROR,
    "4": _R.NETWORK_ERROR,
    "5": _R.SYSTEM_ERROR,
    "6": _R.POLICY,  # media and content: the receiver refused what we sent ("5.6.0 Media error", 5.6.1, 5.6.3)
    "7": _R.POLICY,
}
_SUGGESTIVE_FULL: Final[Mapping[str, BounceReason]] = {"4.7.0": _R.RATE_LIMITED}  # Gmail, Yahoo: "try later"


def _reason_of_code(status: str | None) -> tuple[BounceReason | None, bool]:
    """The reason an enhanced status code names, and whether the code is decisive."""
    if not status:
        return None, False
    _, _, rest = status.partition(".")
    if rest in _DECISIVE_CODES:
        return _DECISIVE_CODES[rest], True
    if status in _SUGGESTIVE_FULL:
        return _SUGGESTIVE_FULL[status], False
    if rest in _SUGGESTIVE_CODES:
        return _SUGGESTIVE_CODES[rest], False
    return _SUGGESTIVE_SUBJECTS.get(rest.partition(".")[0]), False


def _words(*alternatives: str) -> re.Pattern[str]:
    """Lower-case alternatives, matched against lower-cased text: several times faster than IGNORECASE."""
    return re.compile("|".join(alternatives))


# The servers' wording, in the order it is tried: the first table entry whose pattern occurs names the reason.
# Refusals of *us* come first ("550 5.7.1 Service unavailable; client host blocked using Spamhaus" must not read
# as "unavailable mailbox"), then the recipient's state. Phrases are those of Postfix, Exim, Sendmail, qmail,
# Courier, Exchange/Office 365, Gmail/Google Groups, Yahoo/AOL, Yandex, Mail.ru, Amazon SES and spam filters.
_WORDING: Final[tuple[tuple[re.Pattern[str], BounceReason], ...]] = (
    (_words(r"gr[ae]ylist", r"грейлист|серый список"), _R.GREYLISTED),
    (
        _words(
            r"\bspf\b",
            r"\bdkim\b",
            r"\bdmarc\b",
            r"unauthenticated (?:e-?mail|mail|messages?)",
            r"not authenticated",
            r"authentication (?:check|fail|requirement)",
            r"sender (?:policy framework|authentication|verify failed)",
            r"not designated as permitted sender|does not designate .{0,80} as permitted sender",
            r"reverse (?:dns|hostname|lookup|mapping)",
            r"\bptr\b|\brdns\b|\bfcrdns\b",
            r"cannot find your (?:reverse )?hostname|hostname (?:does not|doesn'?t) resolve|no reverse|"
            r"(?:ip|host) ?name lookup failed",
            r"does not (?:have|resolve to) a (?:valid )?(?:reverse|ptr)|unverif[iy]able (?:sending )?(?:ip|host)",
            r"проверк\w* (?:подлинности|spf|dkim)|не прошл\w* проверку",
        ),
        _R.AUTH_FAILURE,
    ),
    (
        _words(
            r"unusual rate|rate limit|rate of (?:mail|messages|connections)|too many (?:messages|connections|mails|"
            r"emails|sessions|concurrent)(?! (?:on|in) (?:the |his |her |this )?(?:server|mail ?box|account|folder))",
            r"(?:sending|message|connection|hourly|daily) (?:rate|limit) (?:exceeded|reached)|"
            r"exceeded .{0,30}(?:sending|rate|message|connection|recipient) limit",
            r"throttl|unexpected volume|temporarily (?:deferred|rejected) due to|\[ts0\d\]|\btss0\d\b",
            r"receiving mail at a rate|try again later.{0,40}(?:volume|rate)|too fast",
            r"too many recipients|(?:sent|sending) (?:to )?too many",  # GoDaddy: "has sent to too many recipients"
            r"frequency limit",  # Tencent (QQ): "550 Ip frequency limited"
            r"(?:daily|hourly|sending|relay|outbound) (?:quota|limit)",
            r"слишком (?:много|часто)|превышен\w* (?:лимит|ограничени|частот)",
        ),
        _R.RATE_LIMITED,
    ),
    (
        _words(
            r"spamhaus|barracuda|spamcop|\bsorbs\b|\bcbl\b|\buceprotect|\bpsbl\b|\bsurbl\b|\buribl\b|dnsbl|\brbl\b",
            r"black ?list|block ?list|blocked using|(?<!not )listed (?:at|in|on|by)",
            r"on (?:our|a|the) (?:block|black) ?list",
            r"(?:poor|bad|low|negative) (?:ip |sender |domain )?reputation|reputation (?:of|is|score)",
            r"(?:client|sending|your|sender|source) (?:host|ip|ip address|address|domain|server|network)[^.\n]{0,60}"
            r"(?:blocked|block listed|banned|denied|rejected|refused|not allowed)",
            r"(?:ip|host|address|domain|network) (?:is |has been )?(?:blocked|banned|blacklisted)",
            r"\b(?:blocked|banned) (?:ip|host|sender|client)\b",
            r"(?:invalid|bad) (?:sending |client |source )?ip\b",
            # Outlook.com/Hotmail (SC-00x, S3150): our IP sends mail its users did not want
            r"messages? from \[?(?:\d{1,3}(?:\.\d{1,3}){3}|[\da-f]*:[\da-f:.]+)\]? (?:weren'?t|were not) "
            r"(?:sent|accepted|delivered)",
            r"(?:unwanted|unsolicited) (?:messages|mail|e-?mails?) (?:have |has )?(?:been )?sent from (?:the |your |"
            r"this )?(?:following )?(?:ip|address|network)",
            r"\bblocked (?:by|because|due|for)\b|\bbanned\b|mail from .{0,80} (?:refused|rejected|blocked)",
            r"white-?list|requires? confirmation",
            r"(?:smtp|mail) (?:server|relay) of your (?:isp|provider)|use your (?:isp|provider)|dynamic (?:ip|address)|"
            r"residential|dial-?up",
            r"черн\w+ спис|заблокирован\w* (?:ip|ваш|отправител|адрес отправителя|домен)|(?:ip|адрес|домен)"
            r"[^.\n]{0,40}заблокирован",
        ),
        _R.BLOCKED,
    ),
    (
        _words(
            r"\bspam\b|unsolicited|\bjunk\b|bulk mail|looks like (?:spam|unsolicited)|scored? (?:too high|as)",
            r"content (?:filter|rejected)",
            r"message (?:content|body) (?:rejected|not accepted)|virus|malware|phish|suspicious|infected",
            r"спам|нежелательн|вирус|подозрительн",
        ),
        _R.SPAM_DETECTED,
    ),
    (
        _words(
            r"sender (?:address )?(?:was )?rejected|sender (?:domain|address) (?:must|not|unknown|invalid|is invalid)",
            r"(?:unroutable|unrouteable|invalid|unknown|bad|unverified) sender|(?:provide|use) a valid from\b",
            r"\bauth(?:entication)? ?required|group you tried to contact|permission to post",
            r"(?:not|n'?t) advertise auth|'send mail as'",  # Gmail: our "Send mail as" relay takes no SMTP AUTH
            r"relay(?:ing)? (?:denied|not permitted|access denied|prohibited)|not (?:permitted|allowed) to relay",
            r"unable to relay|we do not relay|no relaying|not a gateway",
            r"\bpolic(?:y|ies)\b|prohibited|not permitted|not allowed|administrative|not authori[sz]ed|"
            r"(?<!insufficient )permission",
            r"access denied|you (?:are not|aren'?t) allowed",
            r"(?:do|does) not accept (?:e-?)?mail from|not accepting (?:mail|messages)",
            r"restricted|(?:message|mail) refused|\brfc ?(?:2822|5322|5321)\b|header (?:error|invalid|missing|violat)",
            r"политик|запрещ|не разрешен|отклонен\w* (?:администратор|правил)",
        ),
        _R.POLICY,
    ),
    (
        _words(
            r"mail ?box (?:is |was )?full|mailbox full|full mailbox|over ?quota|quota (?:exceed|full|reached)|"
            r"exceed\w* (?:the |his |her |their )?(?:storage|quota|mailbox (?:size|quota))|"
            r"mail ?box (?:size )?(?:exceeds|has exceeded|exceeded)",
            r"exceeded (?:its|the|his|her|their|your) (?:disk ?space|storage|space)|disk ?space limit|"
            r"too many (?:messages|mails|e-?mails) (?:on|in) (?:the |his |her |this )?"
            r"(?:server|mail ?box|account|folder)",
            r"insufficient (?:storage|space)|(?:out of|no) (?:storage|disk ?space|space)|mailbox size limit|"
            r"storage (?:full|limit)|user is over|mailfolder is full|disk quota",
            r"переполнен|превышен\w* (?:квот|размер ящика|объ[её]м)|квот|недостаточно места|нет места",
        ),
        _R.MAILBOX_FULL,
    ),
    (
        _words(
            r"message (?:is )?too (?:large|big)|(?:message|mail) size|size (?:exceeds|limit|too large)|"
            r"exceeds (?:the )?(?:maximum |max )?(?:allowed )?(?:message )?size|too large|"
            r"(?:messages?|mails?) (?:larger|bigger) than",
            r"\bline (?:length )?limit|\blines? (?:is |are )?too long",
            r"слишком (?:большое|велик)|превышает (?:максимальн\w+ )?размер",
        ),
        _R.MESSAGE_TOO_LARGE,
    ),
    (
        _words(
            r"host (?:or domain name )?not found|host unknown|unknown host|no such (?:domain|host)",
            r"\bhost [\w-]+(?:\.[\w-]+)+ not found",  # DragonFly: "DNS lookup failure: host example.org not found"
            r"not accepting network messages",  # RFC 3463 X.3.2: the host takes no mail (a 5.3.2 is for good)
            r"domain (?:name )?(?:not found|does not exist|doesn'?t exist|unknown|is invalid|not exist)",
            r"unrouteable (?:mail )?domain|nxdomain|null mx|no mx|mx (?:record )?(?:not found|lookup failed)",
            r"indicated no smtp service|domain (?:is )?(?:not reachable|unreachable)",
            r"name service error(?!.{0,80}(?:malformed|unexpected|timed out|try again))|name or service not known|"
            r"(?:host|domain)\b.{0,60}? does not accept (?:e-?)?mail(?=[ \t]*(?:$|[.;,(\[]))",
            r"no (?:mail servers?|mail exchangers?|route) (?:for|to)|couldn'?t find any host|"
            r"could not find .{0,40} (?:host|domain)",
            r"доме?н\w* (?:не найден|не существует)|несуществующ\w+ домен",
        ),
        _R.HOST_UNKNOWN,
    ),
    (
        _words(
            r"(?:account|mailbox|user|address|recipient)(?: has been| is| was)? (?:disabled|deactivated|suspended|"
            r"inactive|locked|frozen|closed|terminated|blocked|expired|not active)",
            r"(?:disabled|inactive|suspended|deactivated|expired|closed) (?:account|mailbox|user)",
            r"mailbox (?:is )?(?:unavailable|not available) (?:for|due)",
            r"(?:ящик|аккаунт|учетн\w+ запис\w*|пользовател\w*)[^.\n]{0,30}(?:заблокирован|отключ|неактив|удал[её]н)",
        ),
        _R.MAILBOX_DISABLED,
    ),
    (
        _words(
            r"user ?unknown|unknown (?:user|recipient|mailbox|address|local|alias)|addressee unknown",
            r"no such (?:user|mailbox|recipient|address|account|person|local user)|no mail ?box|mail-?box not found",
            r"not an? (?:active|known|valid|existing) (?:user|address|mailbox|recipient|account)|recipient rejected",
            r"(?:user|mailbox|recipient|address|account|e-?mail)(?: name| address)? (?:does not|doesn'?t|did not) "
            r"exist|(?:user|mailbox|recipient|address|account)(?: name| address)? (?:is )?(?:not found|unknown|"
            r"invalid|not known|not recogni[sz]ed|not listed|undeliverable)",
            r"recipient name is not recognized|not listed in (?:the )?(?:[\w-]+ )?(?:directory|address book)",
            r"(?:invalid|bad|unknown|non-?existent)[ _-](?:recipient|mailbox|address|user)",
            r"does not exist|doesn'?t exist|(?:couldn'?t|could not|wasn'?t|was not) (?:be )?found|address not found",
            r"mailbox unavailable|not a valid (?:mailbox|recipient|user)|unrouteable address",
            r"has moved|no longer (?:valid|available|active|here|with)|not our customer",
            r"isn'?t a valid (?:user|address)",
            r"нет такого|не существует|не найден|несуществующ|неизвестн\w+ (?:адрес|получател|пользовател)",
        ),
        _R.USER_UNKNOWN,
    ),
    (
        _words(
            r"retry time(?:out)? (?:exceeded|not reached)|too long (?:in|on) (?:the )?queue|queue too long",
            r"(?:message|delivery|time|lifetime) (?:has )?expired|\bexpired\b|time limit|could not be delivered within",
            r"срок\w* (?:доставки|хранения|ожидания) ист[её]к",
        ),
        _R.EXPIRED,
    ),
    (
        _words(
            r"connection (?:timed out|refused|reset|lost|closed|failed|dropped)|timed? ?out|could not connect",
            r"unable to connect|couldn'?t connect|no answer|network (?:error|unreachable|is unreachable)",
            r"(?:host|server) (?:is )?unreachable|lost connection|starttls",
            r"socket error|(?:requests|attempts) to connect",
            r"(?:malformed|unexpected) (?:or unexpected )?name server reply|name server (?:timeout|failure)|"
            r"dns (?:timeout|failure|error|lookup (?:error|failure|failed))",
            r"\btls\b (?:negotiation|handshake|required|fail)",
            r"не удалось (?:соединиться|подключиться|установить соединение)|соединени\w* (?:разорван|прерван)",
        ),
        _R.NETWORK_ERROR,
    ),
    (
        _words(
            r"system (?:error|failure|config|is busy|not available)|internal (?:server )?error|local (?:error|problem)",
            r"mailer error|(?<!details of )temporary (?:failure|error|problem|local problem)",
            r"server (?:error|busy|unavailable)",
            r"service (?:temporarily )?(?:unavailable|not available)|resources? (?:temporarily )?unavailable",
            r"mail loop|loop detected|too many hops|configuration error|no such file or directory",
            # a local delivery program failed: Sendmail's words for its exit codes (sysexits.h: 71, 73, 74, 77)
            # and what the program said (procmail, maildrop, the queue); "insufficient permission" is no refusal
            r"operating system error|can'?t create (?:user )?output file|i/o error|insufficient permission|"
            r"lock failure|error (?:while )?writing to|(?:queue )?file write error",
            r"внутренн\w+ ошибк|временн\w+ ошибк|сервис\w* недоступ|ошибк\w+ сервер",
        ),
        _R.SYSTEM_ERROR,
    ),
)


_PROSE_CHARS: Final = 4_000  # a report states its reason near the top; the rest is boilerplate and quoted headers


def _reason_in_words(*texts: str) -> BounceReason | None:
    """The reason the first text that says one names (the diagnostic before the report's prose). A cause only
    guessed at ("the account or domain may not exist, they may be blacklisted") is not said, nor is advice on what
    to set up ("Set up SPF records for your sending domain" under a refusal for spam)."""
    for text in texts:
        lowered = text[:_PROSE_CHARS].lower()
        if lowered:
            for pattern, reason in _WORDING:
                if any(
                    not _NOT_SAID.search(lowered, max(0, m.start() - 32), m.start()) for m in pattern.finditer(lowered)
                ):
                    return reason
    return None


_NOT_SAID = re.compile(
    r"\b(?:may|might)(?: not)?(?: have)?(?: be(?:en)?)? $|"  # a guess
    r"(?:^|[.!*:;,]\s*|\bplease |\bto )(?:set ?up|add|publish|configure|create)(?: (?:an?|the|your|valid|proper|"
    r"correct))? $"  # advice, said to the reader
)


# A refusal in answer to the connection, HELO or MAIL FROM is about the sender: whatever it says ("neko.example.com
# does not exist"), it cannot be about a recipient the server has not been told yet.
_SENDER_STAGE = re.compile(
    r"after (?:initial connection|MAIL FROM|(?:HELO|EHLO)\b)|in reply to (?:MAIL FROM|HELO|EHLO)|"
    r"\bMAIL FROM command\b|(?:server|greeting) refused|sender was rejected",
    re.IGNORECASE,
)
# A "recipient gone" answer to the message itself comes after the server accepted that recipient at RCPT TO: it is
# a content filter's refusal dressed as "User unknown" (ezweb.ne.jp and others), not an address that is gone.
_DATA_STAGE = re.compile(r"after end of data|in reply to end of DATA command", re.IGNORECASE)
# The same answer in a session transcript (Sendmail, Courier): the server's lines right after ">>> DATA".
_DATA_ANSWER = re.compile(r"^[ \t]*>>> DATA[ \t]*\r?\n((?:[ \t]*<<<[^\n]*(?:\n|$))+)", re.IGNORECASE | re.MULTILINE)
# The recipient's own filter refused the message ("Refused due to recipient preferences", Facebook's RCP-P2 under a
# 5.1.1): the address exists and chose not to take mail from us, whatever the code says.
_RECIPIENT_FILTER = re.compile(
    r"recipient(?:'s)? preferences|(?:refused|rejected|blocked) by (?:the )?recipient(?:'s)? (?:filter|settings)",
    re.IGNORECASE,
)
# Refused before the greeting, when the server knows nothing of us but our IP address; in a Sendmail transcript the
# server's first line after "... while talking to <host>:" answers no command of ours, so it is the greeting.
_GREETING_STAGE = re.compile(
    r"refused to talk to me|after initial connection|while talking to [^\n]*:[ \t]*\r?\n[ \t]*<<< [45]",
    re.IGNORECASE,
)
_NO_CAUSE: Final = frozenset({BounceReason.SYSTEM_ERROR, BounceReason.UNDEFINED})
_REFUSALS_OF_US: Final = frozenset({BounceReason.RATE_LIMITED, BounceReason.BLOCKED})
# What a queue that kept retrying says of its message: the last attempt's trouble (a timeout, no answer) is only why
# it is still queued; the report is of the expiry (or of the delay before it). A mailer's own error stays one.
_TRANSIENT: Final = frozenset({BounceReason.NETWORK_ERROR, BounceReason.UNDEFINED})
_QUEUE_EXPIRY = re.compile(
    r"retry time(?:out)? exceeded|delivery time expired|too long (?:in|on) (?:the )?queue|"
    r"(?:could not|couldn'?t|cannot|can'?t|unable to) (?:be )?(?:deliver(?:ed)?|send)"
    r"(?: (?:this |the |your )?message)? (?:for|within|in) (?:the (?:last|past) )?\d+|"
    r"has been delayed|(?:will|would) (?:be )?retr(?:y|ied) for \d+",
    re.IGNORECASE,
)


def bounce_reason(
    status: str | None, diagnostic: str, prose: str = "", *, trust_code: bool = True, expired: bool = False
) -> BounceReason:
    """Status code first, wording second: a decisive code (x.1.1, x.2.2, x.4.7, x.7.26, …) decides alone; a
    generic one (x.0.0, x.7.1, …) is made precise by the server's words (the diagnostic, else the report's
    prose), and is the answer when they say nothing known. Boilerplate ("This is a permanent error") names no
    reason and so can never decide. A "recipient gone" reason given at the sender stage or in answer to the
    message is a policy refusal; a refusal at the greeting that names no cause is a block of our IP.
    `trust_code=False` when the code is the reporting MTA's own guess (Sendmail turns any "550" to RCPT TO into
    5.1.1): it is then only a default that the server's words override. `expired`: the report is of a queue that
    gave up (or is still retrying) after days, so a transient cause (a timeout, a busy server) reads as the expiry."""
    by_code, decisive = _reason_of_code(status)
    if by_code in _GONE_REASONS and (_RECIPIENT_FILTER.search(diagnostic) or _RECIPIENT_FILTER.search(prose)):
        return BounceReason.POLICY
    # "550 5.1.1 <r@example.com> - 192.0.2.1 has sent to too many recipients this hour" (GoDaddy): a server that
    # names a limit or a block of ours under a "recipient gone" code refuses us; the recipient is not said gone
    if by_code in _GONE_REASONS and (refusal := _reason_in_words(diagnostic)) in _REFUSALS_OF_US:
        return refusal
    if decisive and trust_code and by_code is not None:
        return by_code
    reason = _reason_in_words(diagnostic, prose) or by_code or BounceReason.UNDEFINED
    if reason in _GONE_REASONS and (
        any(s.search(t) for s in (_SENDER_STAGE, _DATA_STAGE) for t in (diagnostic, prose))
        or any(_reason_in_words(m.group(1)) in _GONE_REASONS for m in _DATA_ANSWER.finditer(prose[:_PROSE_CHARS]))
    ):
        return BounceReason.POLICY
    if reason in _NO_CAUSE and (_GREETING_STAGE.search(diagnostic) or _GREETING_STAGE.search(prose)):
        return BounceReason.BLOCKED
    return BounceReason.EXPIRED if expired and reason in _TRANSIENT else reason


_DAEMON_KEYS = frozenset({"mailerdaemon", "postmaster", "maildaemon", "mdaemon", "bounce", "bounces"})
"""Daemon local parts with their separators removed: "post_master" (Verizon), "mailer.daemon", "mail-daemon"."""
_NO_REPLY_KEYS = frozenset({"noreply", "donotreply", "noreplies"})


def _local_key(local: str) -> str:
    return re.sub(r"[._-]", "", local)


def _daemon_local(local: str) -> bool:
    key = _local_key(local)
    return key in _DAEMON_KEYS or key.startswith("mailerdaemon")


_DAEMON_NAMES = re.compile(
    r"mail delivery|mailer.daemon|postmaster|system administrator|почтов\w+ (?:служб|систем)", re.I
)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|undelivered|delivery (?:status notification|failure|has failed|failed|notification)|returned mail|"
    r"mail delivery (?:failed|failure|subsystem|system)|failure notice|could not be delivered|delayed mail|"
    r"mail failure|returned to sender|nondeliverable|address not found|message not delivered|"
    r"delivery (?:delayed|incomplete)|warning: message .* delayed|non[- ]?delivery|message you sent|"
    r"недоставлен|не доставлен|не удалось доставить|не может быть доставлен|ошибка доставки|"
    r"возврат письма|отчет о доставке|отчёт о доставке|задержка доставки|"
    r"メールエラー|配信エラー|送信エラー|配送エラー|配信不能|不達|エラー通知",
    re.IGNORECASE,
)


def _looks_like_bounce(msg: Message) -> bool:
    """Headers typical of a bounce: a daemon sender (by address or name, also `MAILER-DAEMON <>` with no
    address at all), the null return path, Exim's header, or a bounce subject."""
    if header(msg, "X-Failed-Recipients"):
        return True
    name, address = _parse_address(address_header(msg, "From"))
    sender = _clean_address(address) or ""
    local = sender.partition("@")[0]
    daemon = (
        _daemon_local(local)
        or bool(_DAEMON_NAMES.search(name))
        or header(msg, "From").replace(" ", "") == "<>"  # the null sender written as the From: a bounce
    )
    null_path = header(msg, "Return-Path").replace(" ", "") == "<>" or (daemon and not sender)
    subject = bool(_BOUNCE_SUBJECT.search(header(msg, "Subject")))
    return ((daemon or null_path) and subject) or (daemon and null_path)


def _automated_bounce_sender(msg: Message) -> bool:
    """A sender that no person writes from and whose notice may be a bounce without a bounce's headers: a
    daemon's address whatever the subject (Verizon's post_master answers "Re: <our subject>"), or a no-reply
    address under a bounce subject (KDDI). Its notice is a bounce only if it names the failure outright."""
    local = (_clean_address(_parse_address(address_header(msg, "From"))[1]) or "").partition("@")[0]
    if _daemon_local(local):
        return True
    return _local_key(local) in _NO_REPLY_KEYS and bool(_BOUNCE_SUBJECT.search(header(msg, "Subject")))


# Senders whose bounces carry no status code and say one thing only, in the reader's language.
_VENDOR_REASONS: Final[Mapping[str, BounceReason]] = {
    "googlegroups.com": _R.POLICY,  # Google Groups: the group may not exist, or we may not post to it
}


def _bounce_verdict(
    *,
    status: str | None,
    permanent: bool,
    recipient: str | None,
    related: str | None,
    detail: str,
    prose: str = "",
    trust_code: bool = True,
    expired: bool = False,
) -> Verdict:
    reason = _VENDOR_REASONS.get((recipient or "").rpartition("@")[2]) if status is None else None
    reason = reason or bounce_reason(status, detail, prose, trust_code=trust_code, expired=expired)
    kind = _KIND_OF_CLASS[bounce_class(reason, permanent=permanent)]
    return Verdict(kind, address=recipient, related_id=related, status=status, detail=detail[:500], reason=reason)


def _dsn_verdict(msg: Message, own: frozenset[str]) -> Verdict | None:
    """A verdict from the first failed (or delayed) per-recipient block of an RFC 3464 DSN; OTHER for a DSN
    that reports only successes (delivered, relayed, expanded); None when there are no per-recipient blocks."""
    seen_action = False
    for block in _dsn_blocks(msg):
        action = header(block, "Action").lower()
        reported = _status_code(header(block, "Status"))
        seen_action = seen_action or bool(action)
        if action not in {"failed", "delayed", "expired"} and not (not action and reported and reported[0] in "45"):
            continue
        detail = " ".join(header(block, "Diagnostic-Code").split())
        status = _best_status(reported, _status_in_text(detail))
        detail = _DIAGNOSTIC_TYPE.sub("", detail)
        # the server answered with a bare reply code ("550 …"): the enhanced Status is the reporting MTA's guess
        guessed = bool(_BASIC.search(detail)) and _ENHANCED.search(detail) is None
        ours = _our_addresses(msg, own)
        prose = _report_text(msg)[0]
        named = (_clean_address(header(block, n)) for n in ("Original-Recipient", "Final-Recipient"))
        recipient = next((a for a in named if a and a not in ours), None) or _failed_recipient(msg, prose, ours)
        # "delayed" (RFC 3464 §2.3.3): the MTA is still retrying; a 5xx it quotes is no final answer yet
        permanent = action != "delayed" and (status is None or status[0] == "5")
        # a delay notice, SendGrid's "Action: expired", or a failure under a temporary code: the queue gave up
        expired = action in {"delayed", "expired"} or (action == "failed" and (reported or "").startswith("4"))
        return _bounce_verdict(
            status=status,
            permanent=permanent,
            recipient=recipient,
            related=_original_message_id(msg),
            detail=detail,
            prose=prose,
            trust_code=not guessed,
            expired=expired or _queue_expiry(msg, prose),
        )
    return Verdict(MailKind.OTHER, address=sender_address(msg)) if seen_action else None


_DIAGNOSTIC_TYPE = re.compile(r"^(?:smtp|x-[\w-]+|x\.\d+)\s*;\s*", re.IGNORECASE)


def _best_status(reported: str | None, diagnosed: str | None) -> str | None:
    """The DSN's Status, unless it is a generic x.0.0 and the server's own answer is more precise (Exim)."""
    if reported is None:
        return diagnosed
    if diagnosed and reported.endswith(".0.0") and diagnosed[0] == reported[0]:
        return diagnosed
    if diagnosed and reported.endswith(".4.7") and diagnosed.partition(".")[2].startswith("7."):
        return diagnosed  # the queue gave up because the receiver kept refusing us: the refusal is the reason
    return reported


_DSN_TYPES: Final = frozenset({"message/delivery-status", "message/global-delivery-status"})


def _dsn_blocks(msg: Message, types: frozenset[str] = _DSN_TYPES) -> Iterator[Message]:
    """The field blocks of a report's machine-readable part (per-message and per-recipient), parsed as headers."""
    for part in msg.walk():
        if part.get_content_type() not in types:
            continue
        payload = part.get_payload()
        if isinstance(payload, list):
            yield from (b for b in payload if isinstance(b, Message))
        elif isinstance(payload, str):  # some parsers leave it as text: split the blank-line separated blocks
            for chunk in re.split(r"\r?\n\s*\r?\n", payload):
                yield HeaderParser(policy=compat32).parsestr(chunk.strip() + "\n")


def _has_dsn_part(msg: Message) -> bool:
    """A delivery-status part inside a message that is not labelled multipart/report (some gateways)."""
    return msg.is_multipart() and any(
        p.get_content_type() in {"message/delivery-status", "message/global-delivery-status"} for p in msg.walk()
    )


_ENHANCED = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_BASIC_WITH_ENHANCED = re.compile(r"(?<!\d)([245]\d\d)[ -]+([245]\.\d{1,3}\.\d{1,3})(?![\d.])")
_BASIC = re.compile(r"(?<![\w.:/-])([45][0-5]\d)(?=[ -]|$)", re.MULTILINE)


def _status_code(value: str) -> str | None:
    match = _ENHANCED.search(value)
    return ".".join(match.groups()) if match else None


def _status_in_text(text: str) -> str | None:
    """The first failure's enhanced status code in free text (a transcript's "250 2.1.5 Ok" is none); a bare
    4xx/5xx reply code becomes "4.0.0"/"5.0.0"."""
    match = next((m for m in _BASIC_WITH_ENHANCED.finditer(text) if m.group(2)[0] != "2"), None)
    if match:
        return match.group(2)
    found = next((".".join(m.groups()) for m in _ENHANCED.finditer(text) if m.group(1) != "2"), None)
    if found:
        return found
    basic = _BASIC.search(text)
    return f"{basic.group(1)[0]}.0.0" if basic else None


_RECIPIENT_LINE = re.compile(
    # qmail "<addr>:" paragraphs, Postfix's plain "<addr>: host … said" (an alias's target as "<addr> (expanded
    # from <alias>): …"), Exim's indented list, Exchange 2003's "did not reach the following recipient(s):", Gmail's
    # "Delivery to the following recipient failed".
    r"^[ \t]*<([^<>\s@]+@[^<>\s]+)>(?:\s*\(expanded from\s*<[^<>\s]*>\))?\s*:|"
    r"(?:following (?:recipients?|address(?:es)?|destination addresses?)(?:\(s\)|\(es\))?[^:\n]{0,60}:|"
    r"did not reach the following recipient\(s\):|could not be delivered to:|failed permanently:|rcpt to:|"
    r"message wasn'?t delivered to|delivery has failed to these recipients or groups:|"
    r"error delivering your (?:mail|message) to|"
    r"адресат\w*:|получател\w*:)\s*\n?\s*(?:\"[^\"\n]*\"\s*)?<?([^<>\s@:\"]+@[\w.-]+\.[\w-]+)",
    re.IGNORECASE | re.MULTILINE,
)
# the lookbehind starts a match only where an address can start: without it a long run of word characters with no
# "@" is rescanned from every position (quadratic: a 40,000-character word took 5.6 s, on the event loop)
_ADDRESS = re.compile(r"<?(?<![\w.+'=-])([\w.+'=-]+@[\w-]+(?:\.[\w-]+)+)>?", re.UNICODE)
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
_STILL_TRYING = re.compile(
    r"not yet been delivered|has not been delivered yet|hasn'?t been delivered yet|still being retried|"
    r"delivery attempts will continue|will (?:continue to |keep )?(?:try|retry|be retried)(?! again)|"
    r"will keep trying|warning (?:message )?only|do not need to resend|"
    r"ещё не доставлено|еще не доставлено|попытки доставки (?:будут )?продолж",
    re.IGNORECASE,
)
"""A delay warning's words: the message is queued and still being tried (Postfix, Sendmail, Exim, Gmail)."""
_GIVEN_UP = re.compile(
    r"permanent error|failed permanently|given up|giving up|not going to try again|will not be retried|"
    r"постоянная ошибка",
    re.IGNORECASE,
)
# Line starts take `[ \t]*`, never `\s*`: under MULTILINE `\s*` runs on across blank lines from every line start,
# quadratic in a message of many blank lines (20,000 of them took 79 s).
_COPY_MARKERS = re.compile(
    r"^-{2,}[ \t]*(?:Below this line is a copy of the message|This is a copy of the message|Original message|"
    r"Оригинальное сообщение|Исходное сообщение|Копия сообщения)|"
    r"^-{3,}[ \t]*(?:The header of the original message|Заголовки исходного)|"
    r"^[ \t]*(?:-{2,}[ \t]*)?(?:Original message headers|Original-Envelope-Id|Return-Path:(?![ \t]*<>))",
    re.IGNORECASE | re.MULTILINE,
)


def _report_text(msg: Message) -> tuple[str, str]:
    """A bounce's own prose and, apart, the copy of the original it quotes as plain text (if any)."""
    text = _plain_text(msg, include_attached=False)
    cut = _COPY_MARKERS.search(text)
    return (text[: cut.start()], text[cut.start() :]) if cut else (text, "")


def _text_bounce(msg: Message, own: frozenset[str], *, explicit: bool = False) -> Verdict | None:
    """A verdict for a plain-text bounce (qmail, Exim, Exchange 2003, Google Groups, Yandex, Mail.ru, …), or
    None if it does not say what failed. `explicit`: the message lacks a bounce's headers and is one only when it
    names the failed recipient outright ("Could not be delivered to: <…>", "RCPT TO: …") and a server's answer
    or a reason."""
    report, original_copy = _report_text(msg)
    ours = _our_addresses(msg, own)
    status = _status_in_text(report)
    if explicit and (_named_recipient(msg, report, ours) is None or (status is None and not _reason_in_words(report))):
        return None
    recipient = _failed_recipient(msg, report, ours)
    detail = _diagnostic_line(report, status)
    if recipient is None and status is None and not (_PERMANENT_TEXT.search(report) and _reason_in_words(report)):
        return None
    delayed = bool(_DELAY_TEXT.search(report)) and not _PERMANENT_TEXT.search(report)
    # a failure notice without a code is final; a warning that delivery is still being tried is not, whatever
    # code the last attempt got (Exim's "has not yet been delivered … Delay reason: … 550 …")
    retrying = bool(_STILL_TRYING.search(report)) and not _GIVEN_UP.search(report)
    permanent = not retrying and (status[0] == "5" if status else not delayed)
    related = _original_message_id(msg) or _inline_message_id(original_copy, header(msg, "Message-ID"))
    # the server's answer has a bare reply code and the enhanced code stands elsewhere: the MTA's own guess
    # (Sendmail's "550 5.1.1 … User unknown" after a "553 SPF fail" at DATA)
    guessed = bool(status and status not in detail and _BASIC.search(detail) and not _ENHANCED.search(detail))
    return _bounce_verdict(
        status=status,
        permanent=permanent,
        recipient=recipient,
        related=related,
        detail=detail,
        prose=report,
        trust_code=not guessed,
        expired=(delayed and not permanent) or _queue_expiry(msg, report),
    )


def _queue_expiry(msg: Message, prose: str) -> bool:
    """The bounce reports a queue that gave up after days ("Returned mail: Cannot send message for 4 days", "Could
    not deliver for the last 432000 seconds"), or one still retrying ("has been delayed")."""
    return bool(_QUEUE_EXPIRY.search(header(msg, "Subject")) or _QUEUE_EXPIRY.search(prose[:_PROSE_CHARS]))


def _our_addresses(msg: Message, own: frozenset[str]) -> frozenset[str]:
    """Addresses that are ours, never a failed recipient: the mailbox the bounce came to and the original's
    sender (its From, Sender, Return-Path, and the envelope sender a DSN names)."""
    values = [address_header(msg, n) for n in ("To", "Delivered-To", "X-Original-To", "Cc")]
    original = _original_headers(msg)
    if original is not None:
        values += [address_header(original, n) for n in ("From", "Sender", "Return-Path", "Reply-To")]
    found = {a for _, a in getaddresses(values) if a}
    return own | {c for c in (_clean_address(a) for a in found) if c}


def _failed_recipient(msg: Message, report: str, ours: frozenset[str]) -> str | None:
    """Exim's header, the addresses a report lists as failed, the To of the attached original, else the first
    address in the report that is not a daemon's or ours."""

    if found := _named_recipient(msg, report, ours):
        return found
    if found := _usable_recipient(_single_original_recipient(msg), ours):
        return found
    for match in _ADDRESS.finditer(report):
        if _MESSAGE_ID_LINE.match(report, report.rfind("\n", 0, match.start()) + 1):
            continue  # a quoted Message-ID is no address ("<66681288.e06d1.3824794@df.example.jp>")
        if found := _usable_recipient(match.group(1), ours):
            return found
    return None


_MESSAGE_ID_LINE = re.compile(r"[ \t]*(?:Message-ID|In-Reply-To|References|X-Original-Message-ID)[ \t]*:", re.I)


def _named_recipient(msg: Message, report: str, ours: frozenset[str]) -> str | None:
    """The recipient a bounce names as failed: Exim's header, else a report line that lists it."""
    for value in header(msg, "X-Failed-Recipients").split(","):
        if found := _usable_recipient(value, ours):
            return found
    # a report line that names the failed recipient outright outweighs an X-Original-To that names it too: the
    # DragonFly Mail Agent writes the failed recipient there, where a delivering Postfix writes ours; and a postmaster
    # named as the failed recipient is one (the daemon that writes the report is its From)
    listed = ours - (_header_addresses(msg, "X-Original-To") - _header_addresses(msg, "To", "Delivered-To", "Cc"))
    listed |= _header_addresses(msg, "From", "Sender")
    for match in _RECIPIENT_LINE.finditer(report):
        if found := _usable_recipient(match.group(1) or match.group(2), listed, daemon_ok=True):
            return found
    return None


def _header_addresses(msg: Message, *names: str) -> frozenset[str]:
    found = (a for _, a in getaddresses([address_header(msg, n) for n in names]) if a)
    return frozenset(c for c in (_clean_address(a) for a in found) if c)


def _usable_recipient(value: str | None, ours: frozenset[str], *, daemon_ok: bool = False) -> str | None:
    address = _clean_address(value or "")
    if address and address not in ours and (daemon_ok or not _daemon_local(address.partition("@")[0])):
        return address
    return None


def _single_original_recipient(msg: Message) -> str | None:
    """The To of the attached original, when it names exactly one address (a cold email always does)."""
    original = _original_headers(msg)
    if original is None:
        return None
    addresses = [a for _, a in getaddresses([address_header(original, "To")]) if a]
    return _clean_address(addresses[0]) if len(addresses) == 1 else None


def _diagnostic_line(report: str, status: str | None) -> str:
    """The line of the report that carries the server's answer, else the first line that names a reason, else
    its first non-empty line."""
    lines = [" ".join(line.split()) for line in report[:_PROSE_CHARS].splitlines() if line.strip()]
    code = status or ""
    for line in lines:
        if (code and code in line) or _BASIC.search(line):
            return line
    return next((line for line in lines if _reason_in_words(line)), lines[0] if lines else "")


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
            return HeaderParser(policy=compat32).parsestr(part_text(part).strip() + "\n")
    return None


def _original_message_id(msg: Message) -> str | None:
    original = _original_headers(msg)
    return None if original is None else normalize_message_id(header(original, "Message-ID"))


# ---------------------------------------------------------------------------------------------- complaints


def _complaint(msg: Message) -> Verdict:
    """An RFC 5965 feedback report: who complained and about which of our messages."""
    fields = _feedback_fields(msg)
    feedback_type = header(fields, "Feedback-Type").lower() if fields is not None else ""
    if feedback_type in _NOT_COMPLAINTS:
        return Verdict(MailKind.OTHER, address=sender_address(msg), detail=feedback_type)
    original = _original_headers(msg)
    recipient = _clean_address(header(fields, "Original-Rcpt-To")) if fields is not None else None
    if recipient is None and original is not None:
        addresses = [a for _, a in getaddresses([address_header(original, "To")]) if a]
        recipient = _clean_address(addresses[0]) if addresses else None
    related = None if original is None else normalize_message_id(header(original, "Message-ID"))
    return Verdict(MailKind.COMPLAINT, address=recipient, related_id=related, detail=feedback_type or "abuse")


_NOT_COMPLAINTS: Final = frozenset({"not-spam", "auth-failure", "dmarc"})
"""Feedback types that no recipient complained in: a not-spam vote, an authentication (DMARC) failure report."""


def _jmrp_recipient(msg: Message) -> str | None:
    """Microsoft's junk-mail reporting (JMRP/SNDS) is no ARF: a "complaint about message from <IP>" that attaches
    the original, which names the complaining recipient in X-HmXmrOriginalRecipient. The recipient, or None."""
    if not _JMRP_SUBJECT.search(header(msg, "Subject")):
        return None
    original = _original_headers(msg)
    if original is None:
        return None
    return _clean_address(header(original, "X-HmXmrOriginalRecipient"))


_JMRP_SUBJECT = re.compile(r"^\s*complaint about message from\b", re.IGNORECASE)


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
    r"вне офиса|в отпуске|отсутствую|отсутствие на рабочем месте|я в отпуске|"
    r"automatyczna odpowied|automatische antwort|abwesenheit|r[ée]ponse automatique|absence du bureau|"
    r"respuesta autom[áa]tica|fuera de la oficina|risposta automatica|fuori ufficio|automatisch antwoord|"
    r"afwezig|resposta autom[áa]tica|autosvar|automaattinen vastaus|otomatik yan[ıi]t|自動返信|自动回复|"
    r"auto-?responder|odpowied[źz] automatyczna|automatick[áa] odpov[ěe]ď|automatick[áa] odpoveď|"
    r"automatiske? svar|automatiskt svar|automatikus v[áa]lasz|r[ăa]spuns automat|automatski odgovor|"
    r"automatinis atsakymas|autom[āa]tisk[āa] atbilde|automaatvastus|balasan otomatis|trả lời tự động|"
    r"αυτόματη απάντηση|автоматична відповідь|автоматичен отговор|автоматски одговор|"
    r"自动答复|自動回覆|自動回复|自動応答|자동\s?회신|자동\s?응답)\]?)",
    re.IGNORECASE,
)
_ACK_SUBJECT = re.compile(
    r"^\s*(?:thank you for (?:your )?(?:e-?mail|message|contacting)|thanks for (?:your )?(?:e-?mail|message)|"
    r"we (?:have )?received your|your (?:message|e-?mail|request) (?:has been|was) received|"
    r"спасибо за (?:ваше )?(?:письмо|обращение|сообщение)|ваше (?:письмо|обращение) (?:получено|принято))",
    re.IGNORECASE,
)
"""An acknowledgement's subject: automatic only together with Precedence or Auto-Submitted (people thank too)."""
_AUTO_SUBMITTED_KEYWORD = re.compile(r"\s*([a-z][a-z-]*)")
"""Auto-Submitted's keyword, without RFC 3834's parameters or Zimbra's comment ("auto-replied (zimbra; vacation)")."""
_VENDOR_AUTO_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Auto-Reply", "X-Mailru-Autoreply")


def _auto_reply_reason(msg: Message, replying: bool, body: _Body) -> str:
    """Why the message is an automatic answer ("" if it is not): RFC 3834 Auto-Submitted, vendor headers,
    Precedence, or a vacation subject. Auto-generated mail that neither answers us nor looks like a vacation
    notice (newsletters, notifications) is not an auto-reply."""
    keyword = _AUTO_SUBMITTED_KEYWORD.match(header(msg, "Auto-Submitted").lower())
    auto_submitted = keyword.group(1) if keyword else ""
    subject = header(msg, "Subject")
    subject_hit = _AUTO_SUBJECT.search(subject)
    precedence = header(msg, "Precedence").lower().strip().replace("-", "_")
    automated = auto_submitted not in {"", "no"} or precedence in {"bulk", "junk", "auto_reply"}
    if automated and not subject_hit:
        subject_hit = _ACK_SUBJECT.search(subject)
    if auto_submitted == "auto-replied":
        return "auto-submitted: auto-replied"
    vendor = _vendor_auto_header(msg, replying)
    if vendor:
        return vendor
    if auto_submitted and auto_submitted != "no" and (replying or subject_hit):
        return f"auto-submitted: {auto_submitted}"
    if precedence == "auto_reply" or (precedence in {"bulk", "junk"} and (replying or subject_hit)):
        return f"precedence: {precedence}"
    if subject_hit:
        return subject_hit.group(0).strip()
    return _acknowledgement(subject, body) if replying else ""


def _acknowledgement(subject: str, body: _Body) -> str:
    """The words of an answer to us that a helpdesk or a mail system wrote (see `_ACKNOWLEDGEMENT`), "" if none."""
    text = f"{subject}\n{body.text[:_PROSE_CHARS]}".lower()
    hit = _ACKNOWLEDGEMENT.search(text)
    return f"acknowledgement: {hit.group(0).strip()}" if hit else ""


_ACKNOWLEDGEMENT = _words(
    r"^\[?request received\]?|^ticket received\b",
    r"\b(?:this|it) is an? (?:automatic(?:ally generated)?|automated|auto-?generated) "
    r"(?:message|reply|response|e-?mail|notification|acknowledge?ment)",
    r"\b(?:this|the) (?:message|e-?mail|reply|response) (?:was|has been|is) (?:sent |generated )?automatically",
    r"\b(?:request|ticket|case|inquiry|enquiry)\s?\(?(?:#|no\.?|number)?\s?:?\s?[\w-]{0,12}?\d{3,}\)?[^.\n]{0,40}?"
    r"(?:has been|was|is) (?:received|created|logged|registered|opened)",
    r"\b(?:registered|logged|created) (?:as|under) (?:ticket|case|request)|"
    r"\ba (?:support )?ticket has been (?:created|opened)|"
    r"\bassigned (?:it |your \w+ )?(?:the |a )?(?:ticket|case|reference) (?:number|#|no\b|id\b)",
    r"(?:письмо|сообщение|ответ) (?:было )?(?:сформировано|отправлено|создано|сгенерировано) автоматически|"
    # says what it is itself ("Это автоматическое сообщение."), not a lead asking or speaking of automatic mail
    r"\b(?:это|данное|настоящее) (?:(?:письмо|сообщение) )?(?:[—–-] |является )?автоматическ\w+ "
    r"(?:ответ|уведомлени|сообщени|письм)\w*(?![^.!\n]{0,80}\?)",
    # a ticket's number, as systems write it: after №, # or "номер", or in parentheses ("Заявка 2024 года" is a date)
    r"(?:обращени|заявк|запрос|тикет)\w{0,4}\s?(?:(?:№|#|номер\w*)\s?[\w-]{0,12}?\d{2,}|\(\s?#?\d{3,}\s?\))"
    r"[^.\n]{0,40}?(?:зарегистрирован|принят|получен|создан)|"
    r"\bваш\w* (?:обращени|заявк|запрос)\w* (?:зарегистрирован|принят|получен|создан)",
)
"""A helpdesk's or a mail system's acknowledgement answering our message (Zendesk's "Your request (48213) has been
received", Freshdesk's "Ticket Received -", OTRS, Zoho Desk, "Ваше обращение № … зарегистрировано") or an answer that
says it was written by a machine: a system answering, not the lead, even without an automation header."""


def _vendor_auto_header(msg: Message, replying: bool) -> str:
    """A provider's own mark of an automatic answer ("" if none)."""
    for name in _VENDOR_AUTO_HEADERS:
        value = header(msg, name).lower()
        if value and value not in {"no", "false", "0"}:
            return f"{name.lower()}: {value}"
    if replying and header(msg, "X-MS-Exchange-Inbox-Rules-Loop"):
        return "x-ms-exchange-inbox-rules-loop"  # Exchange wrote it from a rule ("reply using a template")
    return ""


_RECEIPT_SUBJECT = re.compile(
    r"^\s*(?:(?:not |un)?read|delivered|(?:не )?прочитано|доставлено|(?:un)?gelesen|zugestellt|(?:non )?lu|remis|"
    r"(?:no )?le[íi]do|entregado|(?:non )?letto|consegnato|lido|entregue|gelezen|afgeleverd|odczytane|odczytano|"
    r"dostarczone|přečteno|doručeno|läst|levererad|læst|leveret|luettu|olvasott|okundu)\s?:|"
    r"^\s*return receipt\b",
    re.IGNORECASE,
)
_RECEIPT_TEXT = _words(
    r"was read|been displayed|was displayed|deleted without being read|has been delivered|return receipt",
    r"было прочитано|прочитано|доставлено|gelesen|zugestellt|a été lu|été remis|supprimé sans avoir été lu",
    r"fue le[íi]do|ha sido entregado|è stato letto|foi lido|is gelezen|gelezen op|odczytan|přečten|lästs|læst",
)
"""A read or delivery receipt sent as plain mail ("Read: <subject>" / "Your message … was read on …"), as clients
write it when they do not send an RFC 8098 report: the subject and the receipt's own words together."""


def _notice(msg: Message, body: _Body) -> str | None:
    """The detail of a machine's notice that is never a person's reply or absence (None when it is none): a mailer
    daemon's notice we could not read as a bounce (""), or the recipient's client confirming reading or delivery."""
    if _looks_like_bounce(msg):
        return ""
    if _RECALL.search(body.text[:500].lower()):
        return "recall"
    return _receipt(msg) or None


_RECALL = _words(
    r"would like to recall the message|möchte die nachricht .{0,300}zurückrufen|souhaite rappeler le message|"
    r"(?:хочет|хотел\w*(?: бы)?) отозвать (?:сообщение|письмо)"
)
"""Outlook's recall request ("X would like to recall the message, "…"."): its sender takes back a message, which
says nothing of an answer to ours."""


def _disposition_report(msg: Message) -> Verdict:
    """An RFC 8098 disposition notification (a read receipt, "displayed" or "deleted"): the recipient's client
    reporting on our message, never the person's answer, whatever language its subject is in ("已读:", "Okundu:",
    "Уведомление о прочтении")."""
    fields = next(_dsn_blocks(msg, _DISPOSITION_TYPES), None)
    disposition = header(fields, "Disposition").rpartition(";")[2].strip().lower() if fields is not None else ""
    original = normalize_message_id(header(fields, "Original-Message-ID")) if fields is not None else None
    related = original or _original_message_id(msg)
    return Verdict(MailKind.OTHER, address=sender_address(msg), related_id=related, detail=f"receipt: {disposition}")


_DISPOSITION_TYPES: Final = frozenset({"message/disposition-notification", "message/global-disposition-notification"})


def _receipt(msg: Message) -> str:
    subject = header(msg, "Subject")
    hit = _RECEIPT_SUBJECT.search(subject)
    if hit is None or not _RECEIPT_TEXT.search(_plain_text(msg, include_attached=False)[:2000].lower()):
        return ""
    return f"receipt: {hit.group(0).strip()}"


# ---------------------------------------------------------------------------------------------- challenge-response

_CHALLENGE_HEADERS: Final = ("x-boxbe-", "x-bluebottle-")
"""Header names only a challenge-response filter writes (Boxbe, Bluebottle)."""
_CHALLENGE_DOMAINS: Final = frozenset(
    {"boxbe.com", "bluebottle.com", "spamarrest.com", "mailinblack.com", "spamenmoins.com", "antispam.uol.com.br"}
)
"""Services that send challenges from their own domain. Bluebottle was also a mailbox provider, so a sender there
only makes the challenge wording enough without an answer to our Message-ID, it decides nothing alone."""
_CHALLENGE_WORDS = _words(
    r"sender not pre-?approved|challenge[- ]response",
    r"(?:yourself|your (?:e-?mail )?address)(?: added)? to (?:my|the recipient'?s|their|his|her|the) (?:[\w-]+ ){0,2}"
    r"(?:guest|allowed|approved|safe|trusted|white) ?(?:list|senders)|listed on my (?:[\w-]+ )?guest list",
    r"(?:verify|confirm|prove) (?:that )?you are (?:a )?(?:real )?(?:human|person|not a (?:robot|bot|spammer))|"
    r"(?:complete|finish) (?:the|this) (?:sender )?verification",
    r"(?:message|e-?mail) (?:has been|was|is being) (?:held|quarantined|placed on hold) (?:and will be delivered|"
    r"until|pending)|has been waitlisted",
    r"ensure (?:the )?delivery of your (?:e-?mail|message)|protecting myself from (?:receiving )?(?:junk|spam)",
    r"\b(?:boxbe|bluebottle|spam ?arrest|mailinblack|choicemail|mailwasher|spam ?blocker|spamenmoins)\b",
    r"подтвердите,? что вы (?:не робот|человек|не спамер|живой человек)|защищ[её]н\w* от спама",
    r"(?:письмо|сообщение) (?:будет )?доставлен\w* (?:адресату )?(?:только )?после (?:подтверждения|проверки)",
    r"подтвердите (?:отправку|(?:ваш|свой) (?:адрес|e-?mail)|адрес отправителя)",
)
"""What a challenge asks: to prove we are a person, to put ourselves on the recipient's list, so that the held
message is delivered. In English and Russian, with the filters' own names."""
_LINK = re.compile(r"https?://\S", re.IGNORECASE)
_NO_REPLY = re.compile(r"^(?:no-?reply|do-?not-?reply|donotreply)\b")


def _challenge(msg: Message, known_ids: Container[str], own: frozenset[str], answering: str | None) -> Verdict | None:
    """A challenge-response filter's request that we prove we are a person before it delivers our held message;
    None for any other mail.

    It is the recipient's system answering automatically, so an auto-reply: not a person's reply although it may
    come from the recipient's address In-Reply-To our Message-ID (Spam Arrest, ChoiceMail), and not a bounce
    although it may be a delivery report (Boxbe: "Action: failed", 4.7.0): the message is held, not lost. Decided
    by the filter's own headers, else by its wording together with a link to follow, in mail that answers ours or
    comes from a challenge service. A mail server's refusal that asks to whitelist our server stays a bounce.
    """
    marker = _challenge_marker(msg)
    related = _first_known(msg, known_ids) or answering
    if not marker:
        from_service = _from_challenge_service(msg)
        if (related is None and not from_service and not msg.is_multipart()) or _looks_like_bounce(msg):
            return None
        if related is None:  # the held message may come attached instead
            original = _original_message_id(msg)
            related = original if original in known_ids else None
        if related is None and not from_service:
            return None
        text = new_text(_plain_text(msg, include_attached=False))
        hit = _CHALLENGE_WORDS.search(f"{header(msg, 'Subject')}\n{text}"[:_PROSE_CHARS].lower())
        if hit is None or not _LINK.search(text):
            return None
        marker = hit.group(0)
    related = related or _original_message_id(msg)
    return Verdict(
        MailKind.AUTO_REPLY,
        address=_challenged_recipient(msg, own),
        related_id=related,
        detail=f"challenge-response: {marker}",
    )


def _challenge_marker(msg: Message) -> str:
    """The header (or Boxbe's diagnostic type) that only a challenge-response filter writes, "" when none."""
    with contextlib.suppress(*_HEADER_ERRORS):
        for name in msg:
            if name.lower().startswith(_CHALLENGE_HEADERS):
                return name.lower()
    if _report_type(msg) == "delivery-status":
        for block in _dsn_blocks(msg):
            kind = header(block, "Diagnostic-Code").partition(";")[0].strip().lower()
            if kind.startswith(_CHALLENGE_HEADERS):
                return kind
    return ""


def _from_challenge_service(msg: Message) -> bool:
    raw = f"{header(msg, 'From')} {header(msg, 'Return-Path')}".lower()
    if not any(d in raw for d in _CHALLENGE_DOMAINS):
        return False
    hosts = (
        (_clean_address(a) or "").rpartition("@")[2]
        for a in (_parse_address(address_header(msg, "From"))[1], _parse_address(address_header(msg, "Return-Path"))[1])
    )
    return any(h == d or h.endswith(f".{d}") for h in hosts if h for d in _CHALLENGE_DOMAINS)


def _challenged_recipient(msg: Message, own: frozenset[str]) -> str | None:
    """The protected recipient: the delivery report's, else the Reply-To of a no-reply service sender, else the
    sender (the filter answers from the recipient's own address)."""
    for block in _dsn_blocks(msg):
        final = _clean_address(header(block, "Final-Recipient"))
        if final and final not in own:
            return final
    sender = sender_address(msg)
    if sender and _NO_REPLY.match(sender.partition("@")[0]):
        reply_to = _clean_address(_parse_address(address_header(msg, "Reply-To"))[1])
        if reply_to and reply_to not in own:
            return reply_to
    return sender


# ---------------------------------------------------------------------------------------------- unsubscribes

_UNSUBSCRIBE_STRONG = re.compile(
    r"\bunsubscrib\w*|\bremove me\b(?! from (?:the )?cc\b)|\btake me off\b|\bopt[- ]?out\b|\bopt (?:me|us) out\b|"
    r"\bremove (?:my (?:e-?mail|address|contact|details)|this (?:e-?mail|address))\b|"
    r"\bremove from (?:your |the |this |all )?(?:mailing |e-?mail |contact |distribution )?lists?\b|"
    r"\bотпис\w*|\bотпиш\w*|\bвычеркните меня\b|"
    # "удалите меня", "прошу исключить мой адрес", "уберите, пожалуйста, меня из базы", "удалить мои данные"
    r"\b(?:удалите|исключите|уберите|вычеркните|удалить|исключить|убрать|вычеркнуть),? (?:[\w-]+,? ){0,2}?"
    r"(?:меня|нас|мой|(?:мою|мои|наш|нашу|наши) (?:[\w-]+ )?(?:данн|почт|адрес|e-?mail|email|имейл|емейл|контакт|ящик)"
    r"\w*)\b(?! из копии| из cc)|"
    r"\b(?:удалите|уберите|исключите|удалить|убрать|исключить),? (?:(?:пожалуйста|меня|нас|мо[йюи]|наш[уи]?|этот|"
    r"адрес|почту|e-?mail|email|емейл|имейл|ящик|контакты?|данные|\S+@\S+),? ){0,3}?"
    r"из (?:вашей |вашего |всех |ваших )?(?:рассылк|списк|баз)\w*|"
    r"\bотзыва\w* (?:\w+ ){0,2}?согласи\w*|\bотзыв (?:\w+ ){0,2}?согласия\b|\bне хочу (?:больше )?получать\b|"
    r"\bwithdraw (?:my |our )?consent\b|\bdelete (?:all )?(?:my|our) (?:personal )?(?:data|details|e-?mail|address|"
    r"contact|information|info)\b|"
    r"\babbestell\w*|\bbitte (?:abmelden|austragen)\b|"
    r"\b(?:melden|tragen|nehmen) sie (?:mich|uns) (?:\w+ ){0,3}(?:ab|aus)\b|"
    r"\b(?:entfernen|streichen|löschen) sie (?:mich|uns|meine (?:e-?mail-?)?adresse)\b|"
    r"\b(?:verteiler|mailingliste|liste|newsletter)\w* (?:\w+ ){0,2}(?:abmelden|austragen|entfernen|streichen)\b|"
    r"\bd[ée]sabonn\w*|\bd[ée]sinscri\w*|\bdar(?:me)? de baja\b|\bd[ée]me de baja\b|\bdesuscrib\w*|"
    r"\bdisiscriv\w*|\bdescadastr\w*|\bafmelden\b|\buitschrijven\b",
    re.IGNORECASE,
)
"""Phrases that ask to stop even in a message that does not answer ours."""
_UNSUBSCRIBE_IN_REPLY = re.compile(
    r"\bstop (?:emailing|e-mailing|sending|contacting|writing|messaging)\b|\bplease stop\s*(?:[.!]|$)|"
    r"\b(?:do not|don'?t|never) (?:email|e-mail|contact|write|send|message)\b|\bno more (?:emails|messages)\b|"
    r"\bне (?:пишите|писать|присылайте|присылать|отправляйте|отправлять|беспокойте|направляйте|направлять|шлите|"
    r"слать)\b|\bхватит (?:спам\w*|(?:мне|нам) (?:писать|присылать|слать|спамить))|"
    r"\b(?:не (?:надо|нужно|стоит)|прекратите|перестаньте|прекратить|перестать) (?:мне |нам )?"
    r"(?:больше )?(?:писать|присылать|отправлять|слать|спамить|беспокоить|рассылку|рассылать|направлять)\w*",
    re.IGNORECASE,
)
"""Phrases that mean "stop" only as an answer to our message ("don't send big files" in other mail does not)."""
_WHOLE_STOP = re.compile(r"^\s*(?:stop|стоп|unsubscribe|отписаться)[\s.!]*$", re.IGNORECASE)
_FIRST_LINE_STOP = re.compile(r"\A\s*(?:stop|стоп)[.!]*[ \t]*$", re.IGNORECASE | re.MULTILINE)
"""A reply whose first line is only "stop" (a signature may follow): the whole-text rule missed "Стоп" + a name."""
_SHORT_UNSOLICITED = 300  # characters: a fresh (non-reply) message this short may be a bare "unsubscribe me"


def _unsubscribe_phrase(msg: Message, *, replying: bool, body: _Body) -> str:
    """The phrase asking us to stop, found in the subject or in the new (unquoted) text; "" when none.

    Mail that does not answer us is only read when it is short: newsletters carry "unsubscribe" in every footer.
    """
    if not replying and _bulk_or_automated(msg):
        return ""  # a list post, newsletter or notification: its opt-out words are its own, not a request to us
    subject = _REPLY_PREFIX.sub("", header(msg, "Subject"))
    patterns: tuple[re.Pattern[str], ...] = (_WHOLE_STOP, _UNSUBSCRIBE_STRONG)
    if replying:
        patterns += (_UNSUBSCRIBE_IN_REPLY, _FIRST_LINE_STOP)
    hit = _first_match(subject, patterns)
    if hit:
        return hit
    text = body.text
    if not replying and len(text) > _SHORT_UNSOLICITED:
        return ""
    return _first_match(text, patterns, html_of=msg)


_REPLY_PREFIX = re.compile(
    r"^\s*(?:(?:re|fwd?|ответ|отв|на|пересл|aw|wg|sv|vs|vl|antw|doorst|odp|pd|rif|r|tr|rv|enc|res|ynt|ilt)"
    r"\s*(?:\[\d+\])?\s*[:：]\s*)+",
    re.IGNORECASE,
)
"""The answer and forward prefixes mail clients put before a subject, in their languages: German (AW, WG), Nordic
(SV, VS, VL), Dutch (Antw, Doorst), Polish (Odp, PD), Italian (R, RIF), French (TR), Spanish and Portuguese (RV, ENC,
RES), Turkish (YNT, İLT), Russian (Ответ, Отв, На, Пересл), and Outlook's counted "Re[2]:". A German "AW: Stop" was
read as the subject "AW: Stop", not as the request "Stop"."""

_TAG = re.compile(r"^\s*\[[^\[\]]{1,40}\]\s*")  # "[EXTERNAL]", "[Ticket #4821]": a gateway's or helpdesk's tag


def thread_subject(subject: str) -> str:
    """What a subject says without the answer and forward prefixes and the tags gateways and helpdesks put in front
    ("[EXTERNAL] RE: FW: Logistics" is "logistics"), case-folded with its spaces collapsed: the same for our message
    and for every answer in its thread, whichever client wrote it."""
    previous = None
    while previous != subject:
        previous, subject = subject, _TAG.sub("", _REPLY_PREFIX.sub("", subject))
    return " ".join(subject.split()).casefold()


def _bulk_or_automated(msg: Message) -> bool:
    """Mail that says it is a list's (RFC 2369/2919 headers, Precedence), automatic (RFC 3834 Auto-Submitted) or
    sent from an address nobody reads ("no-reply@")."""
    if any(header(msg, name) for name in ("List-Id", "List-Unsubscribe", "List-Post")):
        return True
    if header(msg, "Precedence").strip().lower() in {"bulk", "list", "junk"}:
        return True
    keyword = _AUTO_SUBMITTED_KEYWORD.match(header(msg, "Auto-Submitted").lower())
    if keyword and keyword.group(1) != "no":
        return True
    return _local_key((sender_address(msg) or "").partition("@")[0]) in _NO_REPLY_KEYS


def _first_match(text: str, patterns: tuple[re.Pattern[str], ...], html_of: Message | None = None) -> str:
    """The first phrase of the first pattern that occurs, passing over a phrase that is a link to follow
    ("Unsubscribe: https://…", "Отписаться <https://…>", or the text of a link in the HTML parts of `html_of`): a
    footer's, never the writer's request."""
    for pattern in patterns:
        for hit in pattern.finditer(text):
            if not _is_link(text, hit, html_of):
                return hit.group(0).strip()
    return ""


_SEPARATORS = r"[\s:<>()\[\]«»\-—–]*"
_LINK_AFTER = re.compile(rf"[^.,!?;\n]{{0,40}}?{_SEPARATORS}(?:https?://|www\.|mailto:)", re.IGNORECASE)
"""A link right after an opt-out phrase, past a few words of the same clause at most ("Unsubscribe: https://…",
"unsubscribe here:⏎https://…", "Отписаться от рассылки <https://…>", "to unsubscribe … visit https://…"): the
phrase labels it. A comma or a full stop between them ("Please unsubscribe me, our site is https://…") ends it."""
_LINK_BEFORE = re.compile(rf"(?:https?://|www\.|mailto:)\S+{_SEPARATORS}\Z", re.IGNORECASE)


def _is_link(text: str, hit: re.Match[str], html_of: Message | None) -> bool:
    """Whether an opt-out phrase labels a link: one right after it, or right before it on its line, or its text in
    an HTML link. A link elsewhere on the line ("Please unsubscribe me, our site https://…") is the writer's own."""
    line_start = text.rfind("\n", 0, hit.start()) + 1
    if _LINK_AFTER.match(text, hit.end(), hit.end() + 200) or _LINK_BEFORE.search(text[line_start : hit.start()]):
        return True
    if _footer_word(text, hit):
        return True
    return html_of is not None and _in_html_link(html_of, hit.group(0).strip().lower())


_OPEN_QUOTE = re.compile(r"[«\"“„'‘]\s*\Z")
_CLOSE_QUOTE = re.compile(r"\s*[»\"”“'’]")
_A_LINK = re.compile(r"https?://\S|www\.\S", re.IGNORECASE)


def _footer_word(text: str, hit: re.Match[str]) -> bool:
    """Whether the phrase is a footer's word to reply with, after its link ("follow this link: https://… — or reply
    with the word "unsubscribe"", as ours ends): the phrase in quotes, a link shortly before it in its paragraph.
    A reply quoting our letter without quote marks or a quote header (some clients do, and some readers write
    above it) read as an opt-out: an interested lead was suppressed for good and never heard from again."""
    before = text[max(0, hit.start() - 300) : hit.start()]
    if not _OPEN_QUOTE.search(before) or not _CLOSE_QUOTE.match(text, hit.end()):
        return False
    return bool(_A_LINK.search(before.rsplit("\n\n", 1)[-1]))


def _in_html_link(msg: Message, phrase: str) -> bool:
    """Whether `phrase` (lower-case) stands inside an `<a>` element of one of the message's HTML parts."""
    for part in _leaf_parts(msg, include_attached=False):
        if _text_type(part) != "text/html":
            continue
        html = part_text(part)[:_MAX_TEXT].lower()
        for found in islice(re.finditer(re.escape(phrase), html), 50):
            before = html[max(0, found.start() - 500) : found.start()]
            if max((m.start() for m in _ANCHOR_OPEN.finditer(before)), default=-1) > before.rfind("</a"):
                return True
    return False


_ANCHOR_OPEN = re.compile(r"<a\b")


_ORIGINAL_MARKERS = (
    "Original Message|Forwarded message|Исходное сообщение|Пересылаемое сообщение|Ursprüngliche Nachricht|"
    "Weitergeleitete Nachricht|Message d'origine|Message transféré|Mensaje original|Mensaje reenviado|"
    "Messaggio originale|Messaggio inoltrato|Oorspronkelijk bericht|Doorgestuurd bericht|Mensagem original|"
    "Mensagem encaminhada|Wiadomość oryginalna|Oryginalna wiadomość|Původní zpráva|Pôvodná správa|"
    "Alkuperäinen viesti|Ursprungligt meddelande|Oprindelig meddelelse|Opprinnelig melding|Eredeti üzenet|"
    "Orijinal İleti|Оригинално съобщение|Вихідне повідомлення|原始邮件|原始郵件|元のメッセージ"
)
_REPLY_HEADER = re.compile(
    r"^(?:On .{0,200}wrote:|.{0,200}\b(?:пишет|написал|написала|написал\(а\))\s*:|"
    rf"-{{2,}}\s*(?:{_ORIGINAL_MARKERS})\s*-{{2,}}|"
    r"(?:From|От|Sent|Отправлено):\s.*|.{0,120}<[^<>\s]+@[^<>\s]+>\s*:|_{8,})\s*$",
    re.IGNORECASE,
)
_WROTE = re.compile(
    r"^(?=.*\d).{0,240}(?:\bwrote|\bschrieb|\ba écrit|\bescribió|\bha scritto|\bskrev|\bschreef|\bnapisał(?:\(a\)|a)?|"
    r"\bescreveu|\bkirjoitti|\bírta|\byazdı|\bέγραψε|\bнаписав|\bнаписала|写道)(?:\s[^:]{0,120})?(?:\s?:|\s-{2,})\s*$",
    re.IGNORECASE,
)
"""The quote header of a client in another language ("Le mer. 29 juin 2022 à 12:32, X a écrit :", "Am Mo., 4. Juli
2022 um 08:13 Uhr schrieb X:"), Zoho's "---- On … X wrote ----", or Gmail's wrapped onto a second line; a date's digit
is required, so "Here is what she wrote:" in the new text is no quote header."""
_FIELD_FROM = re.compile(
    r"^(?:De|Von|Da|Van|Od|Fra|Från|Lähettäjä|Feladó|Kimden|Από|От кого|Від|Від кого|Подател|"
    r"发件人|寄件者|差出人|보낸 사람)"
    r"\s?[:：]\s*\S",
    re.IGNORECASE,
)
_FIELD_OTHER = re.compile(
    r"^(?:Sent|Date|To|Subject|Enviada em|Enviado em|Enviado el|Enviado|Envoyé|Gesendet|Inviato|Verzonden|Wysłano|"
    r"Wysłane|Odesláno|Sendt|Skickat|Lähetetty|Elküldve|Tarih|Gönderildi|Datum|Fecha|Data|Para|À|A|An|Aan|Do|"
    r"Til|Till|Komu|Vastaanottaja|Címzett|Kime|Кому|Дата|Assunto|Objet|Betreff|Asunto|Oggetto|Onderwerp|Temat|Předmět|"
    r"Emne|Ämne|Aihe|Tárgy|Konu|Тема|日期|发送时间|收件人|主题|寄件日期|收件者|主旨|"
    r"送信日時|宛先|件名|날짜|받는 사람|제목)"
    r"\s?[:：]",
    re.IGNORECASE,
)
"""A quoted original's header block in another language (Outlook's "De: / Enviada em: / Para: / Assunto:", "Von: /
Gesendet:", "发件人: / 日期:"): its first field counts only with a second field right after it, since "De:" or "Da:"
alone may begin a sentence."""


def _quote_starts(lines: list[str], index: int) -> bool:
    stripped = lines[index].strip()
    if stripped == "--" or lines[index].rstrip("\r\n") == "-- " or _REPLY_HEADER.match(stripped):
        return True
    if _WROTE.match(stripped):
        return True
    after = lines[index + 1].strip() if index + 1 < len(lines) else ""
    if (
        stripped
        and after
        and not stripped.startswith(">")
        and not (_WROTE.match(after) or _REPLY_HEADER.match(after))
        and _WROTE.match(f"{stripped} {after}")
    ):
        return True  # Gmail's header wrapped: "On Thu, …, Name <" / "name@example.com> wrote:"
    following = [line.strip() for line in lines[index + 1 : index + 4] if line.strip()]
    return bool(_FIELD_FROM.match(stripped)) and any(_FIELD_OTHER.match(line) for line in following[:2])


def new_text(text: str) -> str:
    """The part of a reply its author wrote: lines before the quoted original, the reply header or signature."""
    lines = text.splitlines()
    kept: list[str] = []
    for index, line in enumerate(lines):
        if _quote_starts(lines, index):
            break
        if line.strip().startswith(">"):
            continue
        kept.append(line)
    return "\n".join(kept).strip()


# ---------------------------------------------------------------------------------------------- body text


def readable_text(msg: Message) -> str:
    """What the author of a message wrote, as text: its text/plain parts, else the text of its HTML parts (quotes
    left out), never an attached original; at most `_MAX_TEXT` characters."""
    return _plain_text(msg, include_attached=False)


def _plain_text(msg: Message, *, include_attached: bool) -> str:
    """The readable text of a message: text/plain parts, else text/html with tags and quotes removed.

    Attached originals (message/rfc822, text/rfc822-headers) are skipped unless `include_attached`, so a bounce
    or a reply is judged by what its author wrote, not by our own quoted message.
    """
    plain: list[str] = []
    html: list[str] = []
    for part in _leaf_parts(msg, include_attached=include_attached):
        ctype = _text_type(part)
        if ctype not in {"text/plain", "text/html"}:
            continue
        content = part_text(part)
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


def _text_type(part: Message) -> str:
    """A leaf's type as far as reading it goes: a "multipart" whose boundary is missing or broken was left as one
    text payload by the parser, and is read as the plain text it then is."""
    ctype = part.get_content_type()
    if part.get_content_maintype() == "multipart" and isinstance(part.get_payload(), str):
        return "text/plain"
    return ctype


def part_text(part: Message) -> str:
    """The text of a part in its declared charset; undecodable bytes become replacement characters."""
    try:
        raw = part.get_payload(decode=True)
    except _HEADER_ERRORS:
        return ""
    if not isinstance(raw, bytes):
        payload = part.get_payload()
        return payload if isinstance(payload, str) else ""
    return decode_text(raw, part.get_content_charset() or "utf-8")


def decode_text(raw: bytes, charset: str) -> str:
    """Bytes as text in the declared charset; when the label is wrong or unknown (cp1251 declared as utf-8,
    `unknown-8bit`), UTF-8 and then Windows-1251 or KOI8-R (`_cyrillic_8bit`) are tried; undecodable bytes
    become replacement characters. NULs are dropped: a base64 or quoted-printable part decodes to them from plain
    ASCII, and PostgreSQL refuses them (`without_nul`)."""
    for name in (charset, "utf-8", _cyrillic_8bit(raw)):
        try:
            return raw.decode(name).replace("\x00", "")
        except (LookupError, UnicodeDecodeError):
            continue
    return raw.decode("utf-8", errors="replace").replace("\x00", "")


def _cyrillic_8bit(raw: bytes) -> str:
    """Which single-byte Cyrillic charset undeclared Russian text is in: lower-case letters outnumber capitals in
    any text, and Windows-1251 has them at 0xE0–0xFF where KOI8-R has its capitals (its lower case: 0xC0–0xDF)."""
    high = sum(byte >= 0xE0 for byte in raw)
    middle = sum(0xC0 <= byte < 0xE0 for byte in raw)
    return "koi8-r" if middle > high else "cp1251"


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

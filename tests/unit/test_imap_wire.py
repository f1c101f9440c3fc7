"""IMAP wire formats: folder names, LIST/SELECT/FETCH parsing, UID sets, and folder discovery by role."""

from __future__ import annotations

import datetime as dt

import pytest

from engine.mail.imap import (
    Folder,
    decode_mutf7,
    encode_mutf7,
    find_folder,
    imap_date,
    parse_fetch,
    parse_list,
    parse_select,
    quote_folder,
    uid_set,
)
from engine.mail.providers import SENT, SPAM


@pytest.mark.parametrize(
    ("text", "wire"),
    [
        ("INBOX", "INBOX"),
        ("Спам", "&BCEEPwQwBDw-"),
        ("Отправленные", "&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-"),
        ("Tom & Jerry", "Tom &- Jerry"),
        ("Входящие/Счета 2026", "&BBIERQQ+BDQETwRJBDgENQ-/&BCEERwQ1BEIEMA- 2026"),
        ("日本語", "&ZeVnLIqe-"),
    ],
)
def test_modified_utf7_both_ways(text: str, wire: str) -> None:
    assert encode_mutf7(text) == wire
    assert decode_mutf7(wire) == text


def test_malformed_mutf7_is_kept() -> None:
    assert decode_mutf7("a&!!-b") == "a&!!-b"


def test_quote_folder_escapes() -> None:
    assert quote_folder('Спам "x"\\y') == '"&BCEEPwQwBDw- \\"x\\"\\\\y"'


def test_parse_list_handles_quoting_nil_and_literals() -> None:
    lines = [
        b'(\\HasNoChildren \\Junk) "/" Junk',
        b'(\\HasNoChildren) "|" "Sent Items"',
        b'(\\Noselect \\HasChildren) "/" "[Gmail]"',
        b'(\\HasNoChildren \\Junk) "/" "[Gmail]/Spam"',
        b"(\\HasNoChildren) NIL Flat",
        b'(\\HasNoChildren) "/" {12}',
        bytearray(b'Odd "name" x'),
        b"",
        b'(\\HasNoChildren) "/" "&BCEEPwQwBDw-"',
        b'(\\HasNoChildren) "\\\\" "a\\\\b"',
        b"List completed.",
    ]
    folders = parse_list(lines)
    assert [f.name for f in folders] == [
        "Junk",
        "Sent Items",
        "[Gmail]",
        "[Gmail]/Spam",
        "Flat",
        'Odd "name" x',
        "Спам",
        "a\\b",
    ]
    assert folders[1].delimiter == "|" and folders[4].delimiter is None and folders[7].delimiter == "\\"
    assert "\\Junk" in folders[0].flags


def _folders(*specs: tuple[str, str]) -> list[Folder]:
    return [Folder(name, frozenset(flags.split()), "/") for name, flags in specs]


def test_find_folder_prefers_special_use_then_localized_names() -> None:
    flagged = _folders(("INBOX", ""), ("Спам", ""), ("Bulk", "\\Junk"))
    assert find_folder(flagged, SPAM) == flagged[2]
    russian = _folders(("INBOX", ""), ("Отправленные", ""), ("Спам", ""))
    assert find_folder(russian, SPAM) == russian[2]
    assert find_folder(russian, SENT) == russian[1]
    outlook = _folders(("INBOX", ""), ("Нежелательная почта", ""))
    assert find_folder(outlook, SPAM) == outlook[1]
    nested = [Folder("INBOX", frozenset(), "."), Folder("INBOX.spam", frozenset(), ".")]
    assert find_folder(nested, SPAM) == nested[1]
    assert find_folder(_folders(("INBOX", ""), ("Junk", "\\Noselect")), SPAM) is None


def test_parse_select() -> None:
    status = parse_select(
        [
            b"FLAGS (\\Answered \\Seen)",
            b"3 EXISTS",
            b"0 RECENT",
            b"OK [UIDVALIDITY 1795867385] UIDs valid",
            b"OK [UIDNEXT 42] Predicted next UID",
            b"[READ-WRITE] Select completed.",
        ]
    )
    assert (status.uidvalidity, status.uidnext, status.exists) == (1795867385, 42, 3)


def test_parse_fetch_reads_attributes_around_literals() -> None:
    lines = [
        b'1 FETCH (UID 7 RFC822.SIZE 672 FLAGS (\\Seen) INTERNALDATE " 8-Nov-2026 12:03:05 +0300" BODY[HEADER] {5}',
        bytearray(b"A: b\n"),
        b")",
        b"2 FETCH (BODY[HEADER] {5}",
        bytearray(b"C: d\n"),
        b" UID 9 FLAGS ())",
        b"3 FETCH (FLAGS (\\Deleted))",  # unsolicited: no UID, ignored
        b"4 FETCH (UID 11 BODY[]<0> {3}",
        bytearray(b"xyz"),
        b")",
        b"Fetch completed.",
    ]
    first, second, third = parse_fetch(lines)
    assert (first.uid, first.size, first.flags, first.headers) == (7, 672, frozenset({"\\Seen"}), b"A: b\n")
    assert first.internal_date == dt.datetime(2026, 11, 8, 9, 3, 5, tzinfo=dt.UTC)
    assert (second.uid, second.headers, second.flags) == (9, b"C: d\n", frozenset())
    assert (third.uid, third.body, third.headers) == (11, b"xyz", b"")


@pytest.mark.parametrize(
    ("uids", "expected"),
    [([1], "1"), ([3, 1, 2], "1:3"), ([1, 2, 3, 7, 9, 10, 11, 11], "1:3,7,9:11")],
)
def test_uid_set(uids: list[int], expected: str) -> None:
    assert uid_set(uids) == expected


def test_uid_set_refuses_nothing() -> None:
    with pytest.raises(ValueError, match="empty"):
        uid_set([])


def test_imap_date_ignores_the_process_locale() -> None:
    assert imap_date(dt.date(2026, 3, 5)) == "5-Mar-2026"

"""Tracking tokens: short, URL-safe, bound to row, link and kind; anything we did not make is refused."""

from __future__ import annotations

import base64
import re

import pytest

from engine.crypto import Vault, generate_key
from engine.tracking import TOKEN_CHARS, InvalidToken, TokenKind, TrackingLinks

KEY = b"k" * 32
LINKS = TrackingLinks("https://t.example.com/", KEY)


def token_of(url: str) -> str:
    return url.rsplit("/", 1)[1]


def test_urls_are_short_url_safe_and_verify() -> None:
    url = LINKS.click_url(9_000_000_000_123, 7)
    assert url.startswith("https://t.example.com/t/c/")
    token = token_of(url)
    assert len(token) == TOKEN_CHARS < 60
    assert re.fullmatch(r"[A-Za-z0-9_-]+", token)
    assert LINKS.verify(token) == (TokenKind.CLICK, 9_000_000_000_123, 7)
    assert LINKS.verify(token_of(LINKS.open_url(5))) == (TokenKind.OPEN, 5, 0)
    assert LINKS.verify(token_of(LINKS.unsubscribe_url(5))) == (TokenKind.UNSUBSCRIBE, 5, 0)
    assert len(LINKS.unsubscribe_url(2**62)) < 60 + len("https://t.example.com/t/u/")


def test_tokens_of_neighbouring_rows_share_nothing_guessable() -> None:
    a, b = token_of(LINKS.unsubscribe_url(1000)), token_of(LINKS.unsubscribe_url(1001))
    assert a[-16:] != b[-16:]  # the MAC part differs entirely


def flip(token: str, position: int) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    replacement = alphabet[(alphabet.index(token[position]) + 1) % 64]
    return token[:position] + replacement + token[position + 1 :]


def test_every_single_character_change_is_refused() -> None:
    token = token_of(LINKS.click_url(123456, 3))
    for position in range(len(token)):
        with pytest.raises(InvalidToken):
            LINKS.verify(flip(token, position))


def test_truncated_extended_and_garbage_tokens_are_refused() -> None:
    token = token_of(LINKS.unsubscribe_url(42))
    for bad in (token[:-1], token[:20], token + "A", "", "x" * 5000, token[:-1] + "+", "/" * TOKEN_CHARS):
        with pytest.raises(InvalidToken):
            LINKS.verify(bad)


def test_another_row_link_or_kind_cannot_be_made_from_a_token() -> None:
    token = token_of(LINKS.click_url(42, 0))
    raw = bytearray(base64.urlsafe_b64decode(token + "="))
    for mutate in (
        lambda r: r.__setitem__(8, r[8] + 1),  # another row
        lambda r: r.__setitem__(10, 1),  # another link
        lambda r: r.__setitem__(0, ord("u")),  # a click token turned into an unsubscribe
    ):
        forged = bytearray(raw)
        mutate(forged)
        with pytest.raises(InvalidToken):
            LINKS.verify(base64.urlsafe_b64encode(bytes(forged)).rstrip(b"=").decode())


def test_another_key_is_refused_and_rotation_keeps_old_links() -> None:
    other = TrackingLinks("https://t.example.com", b"o" * 32)
    token = token_of(other.unsubscribe_url(42))
    with pytest.raises(InvalidToken):
        LINKS.verify(token)
    rotated = TrackingLinks("https://t.example.com", b"n" * 32, old_keys=[b"o" * 32])
    assert rotated.verify(token) == (TokenKind.UNSUBSCRIBE, 42, 0)
    assert token_of(rotated.unsubscribe_url(42)) != token  # new links use the newest key


def test_from_vault_derives_a_tracking_key_that_follows_rotation() -> None:
    old_key, new_key = generate_key(), generate_key()
    before = TrackingLinks.from_vault("https://t.example.com", Vault([old_key]))
    after = TrackingLinks.from_vault("https://t.example.com", Vault([new_key, old_key]))
    token = token_of(before.open_url(7))
    assert after.verify(token) == (TokenKind.OPEN, 7, 0)
    assert "keys hidden" in repr(after)
    assert old_key not in repr(after)


def test_out_of_range_values_are_not_tokenized() -> None:
    for row, index in ((0, 0), (-1, 0), (2**63, 0), (1, 100), (1, -1)):
        with pytest.raises(ValueError):
            LINKS.click_url(row, index)
    with pytest.raises(ValueError):
        LINKS.token(TokenKind.OPEN, 1, 1)


def test_one_click_needs_https() -> None:
    assert LINKS.one_click_capable
    assert not TrackingLinks("http://127.0.0.1:8080", KEY).one_click_capable


def test_a_token_shows_neither_the_row_id_nor_the_kind() -> None:
    """A recipient who decodes a link learns nothing: no row id (how much the agency sends), no kind, no index."""
    for row in (1, 2, 1000, 1001, 2**40):
        for kind, index in ((TokenKind.OPEN, 0), (TokenKind.UNSUBSCRIBE, 0), (TokenKind.CLICK, 3)):
            raw = base64.urlsafe_b64decode(LINKS.token(kind, row, index) + "=")
            assert row.to_bytes(8, "big") not in raw and row.to_bytes(8, "big")[-3:] not in raw[:11]
            assert raw[:1] != kind.value.encode() or raw[1:9] != row.to_bytes(8, "big")
    neighbours = [base64.urlsafe_b64decode(LINKS.token(TokenKind.OPEN, row) + "=")[:11] for row in range(1, 200)]
    assert len({raw[:9] for raw in neighbours}) == len(neighbours)  # no shared prefix from a shared kind
    assert len({raw[0] for raw in neighbours}) > 50  # the first byte is no constant kind marker

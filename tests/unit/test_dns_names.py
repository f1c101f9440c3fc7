"""Domain names: Unicode in, punycode stored, Unicode shown; garbage refused with a locale key."""

from __future__ import annotations

import pytest

from engine.dns.names import (
    absolute_name,
    registrable_domain,
    relative_owner,
    to_ascii,
    to_unicode,
    to_unicode_address,
    typed_domain,
    unicode_names,
)
from engine.errors import UserError


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Пример.РФ", "xn--e1afmkfd.xn--p1ai"),
        ("xn--e1afmkfd.xn--p1ai", "xn--e1afmkfd.xn--p1ai"),
        (" Example.COM. ", "example.com"),
        ("почта.пример.online", "xn--80a1acny.xn--e1afmkfd.online"),
        ("münchen.de", "xn--mnchen-3ya.de"),
    ],
)
def test_to_ascii_normalizes(typed: str, stored: str) -> None:
    assert to_ascii(typed) == stored


@pytest.mark.parametrize(
    "bad", ["", "localhost", "a_b.com", "exa mple.com", "-a.com", "xn--zz.com", "1.2.3.4", "a." + "b" * 64 + ".ru"]
)
def test_to_ascii_refuses_non_domains(bad: str) -> None:
    with pytest.raises(UserError) as caught:
        to_ascii(bad)
    assert caught.value.key == "error-domain-invalid"
    assert caught.value.params == {"name": bad}


def test_to_unicode_shows_cyrillic_and_keeps_undecodable_names() -> None:
    assert to_unicode("xn--e1afmkfd.xn--p1ai") == "пример.рф"
    assert to_unicode("example.com.") == "example.com"
    assert to_unicode("xn--zz.com") == "xn--zz.com"


def test_relative_and_absolute_owners() -> None:
    assert relative_owner("Example.com.", "example.com") == "@"
    assert relative_owner("t.example.com", "example.com") == "t"
    assert absolute_name("@", "example.com") == "example.com"
    assert absolute_name("_dmarc", "example.com") == "_dmarc.example.com"
    with pytest.raises(ValueError, match="outside"):
        relative_owner("t.example.org", "example.com")
    with pytest.raises(ValueError, match="outside"):
        relative_owner("badexample.com", "example.com")


def test_an_address_is_shown_with_its_domain_in_unicode() -> None:
    assert to_unicode_address("anna@xn--e1afmkfd.xn--p1ai") == "anna@пример.рф"
    assert to_unicode_address("anna@acme.test") == "anna@acme.test"
    assert to_unicode_address("no-at-sign") == "no-at-sign"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("https://www.Acme-Mail.RU/contacts?x=1#top", "acme-mail.ru"),
        ("http://user:secret@Пример.РФ:8443/", "xn--e1afmkfd.xn--p1ai"),
        ("www.acme.ru", "acme.ru"),
        ("acme.ru/", "acme.ru"),
        ("WWW.Пример.рф.", "xn--e1afmkfd.xn--p1ai"),
        ("www.ru", "www.ru"),  # a domain of its own, not a site's host
        ("mail.acme.ru", "mail.acme.ru"),  # a subdomain stays what it is
    ],
)
def test_a_pasted_site_address_is_its_domain(typed: str, stored: str) -> None:
    assert typed_domain(typed) == stored


@pytest.mark.parametrize("bad", ["https://", "https:///path", "anna@acme.ru", "http://1.2.3.4/"])
def test_a_pasted_address_without_a_domain_is_refused_as_typed(bad: str) -> None:
    with pytest.raises(UserError) as caught:
        typed_domain(bad)
    assert (caught.value.key, caught.value.params) == ("error-domain-invalid", {"name": bad})


@pytest.mark.parametrize(
    ("name", "registrable"),
    [
        ("news.acme.ru", "acme.ru"),
        ("acme.ru", "acme.ru"),
        ("acme.msk.ru", "acme.msk.ru"),  # msk.ru is open for registration: a suffix of its own
        ("news.acme.msk.ru", "acme.msk.ru"),
        ("xn--e1afmkfd.xn--p1ai", "xn--e1afmkfd.xn--p1ai"),  # пример.рф, matched in Unicode, answered in ASCII
        ("news.xn--e1afmkfd.xn--p1ai", "xn--e1afmkfd.xn--p1ai"),
        ("a.b.acme.co.uk", "acme.co.uk"),
        ("x.y.ck", "x.y.ck"),  # *.ck: every name under ck is a suffix …
        ("www.ck", "www.ck"),  # … except !www.ck
        ("gone.parent.test", "parent.test"),  # no rule: the top-level label is the suffix
        ("ru", ""),
    ],
)
def test_the_registrable_domain_follows_the_public_suffix_list(name: str, registrable: str) -> None:
    assert registrable_domain(name) == registrable


def test_host_names_in_a_text_are_shown_in_unicode_label_by_label() -> None:
    assert unicode_names("mx.xn--80a1acny.xn--p1ai → mx.yandex.net") == "mx.почта.рф → mx.yandex.net"
    shown = unicode_names("_dmarc.XN--80A1ACNY.xn--p1ai, a:old.xn--e1afmkfd.xn--p1ai")
    assert shown == "_dmarc.почта.рф, a:old.пример.рф"
    assert unicode_names("anna@xn--e1afmkfd.xn--p1ai") == "anna@пример.рф"
    assert unicode_names("xn--broken-.ru and example.com") == "xn--broken-.ru and example.com"  # not decodable: kept

"""Domain names as people type them and as DNS stores them.

A domain is stored and queried in its ASCII (punycode) form and shown in Unicode. IDNA 2008 with the UTS #46
mapping (the `idna` package) is what registrars and browsers use, so `Пример.РФ`, `пример.рф` and
`xn--e1afmkfd.xn--p1ai` are one domain.
"""

from __future__ import annotations

import functools
import re

import idna
from publicsuffixlist import PublicSuffixList

from engine.errors import UserError

MAX_NAME_LENGTH = 253  # RFC 1035 2.3.4, presentation form without the final dot
_LDH_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_NUMERIC = re.compile(r"^[0-9]+$")


def to_ascii(name: str) -> str:
    """The normalized ASCII form of a domain name (lower case, punycode, no final dot).

    Raises `UserError("error-domain-invalid")` for anything that is not a registrable-looking host name:
    fewer than two labels, a numeric top-level label, bad characters, over-long labels or names.

    Names of a plausible length are remembered (refusals are not): the inbox sync normalizes the address of every
    event, the same few thousand domains over and over, and the UTS #46 mapping costs about 25 µs a name.
    """
    return _remembered_ascii(name) if len(name) <= _REMEMBERED_LENGTH else _ascii(name)


_REMEMBERED_LENGTH = 2 * MAX_NAME_LENGTH  # room for the spaces and final dot a name arrives with


def _ascii(name: str) -> str:
    cleaned = name.strip().rstrip(".")
    if not cleaned:
        raise UserError("error-domain-invalid", name=name)
    try:
        ascii_name = idna.encode(cleaned, uts46=True).decode("ascii").lower()
    except (idna.IDNAError, UnicodeError):
        raise UserError("error-domain-invalid", name=name) from None
    labels = ascii_name.split(".")
    if (
        len(ascii_name) > MAX_NAME_LENGTH
        or len(labels) < 2
        or _NUMERIC.match(labels[-1])
        or not all(_LDH_LABEL.match(label) for label in labels)
    ):
        raise UserError("error-domain-invalid", name=name)
    return ascii_name


_remembered_ascii = functools.lru_cache(maxsize=8192)(_ascii)


_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


def typed_domain(text: str) -> str:
    """The ASCII name of the domain a person means by what they pasted: a site's address
    (`https://www.Acme.ru/contacts?x=1`) is its host without `www.` — nobody sends mail from `www` — so
    `acme.ru`. A plain name goes to `to_ascii` as it is (a `mail.` subdomain stays a subdomain).

    Raises `UserError("error-domain-invalid")` as `to_ascii` does, naming the text as typed.
    """
    host = text.strip()
    if _SCHEME.match(host):
        host = _SCHEME.sub("", host, count=1)
        host = re.split(r"[/?#]", host, maxsplit=1)[0].rpartition("@")[2]  # no path, no user:password@
        host = re.sub(r":[0-9]*$", "", host)  # no port
    elif "/" in host:  # acme.ru/contacts
        host = host.split("/", 1)[0]
    if host.lower().startswith("www.") and host.count(".") >= 2:
        host = host[4:]
    try:
        return to_ascii(host)
    except UserError:
        raise UserError("error-domain-invalid", name=text) from None


def ascii_fragment(text: str) -> str:
    """A piece of a domain name as it is stored, for a search: each label with other than ASCII letters in punycode
    (`почта.рф` → `xn--80a1acny.xn--p1ai`, `почта` → `xn--80a1acny`); the text as it is when a label is no label
    (a space, a character IDNA refuses) or when all of it is ASCII already. No check of the whole name."""
    if text.isascii():
        return text
    labels = []
    for label in text.split("."):
        try:
            labels.append(label if label.isascii() else idna.encode(label, uts46=True).decode("ascii").lower())
        except (idna.IDNAError, UnicodeError):
            return text
    return ".".join(labels)


def to_unicode(name: str) -> str:
    """The Unicode form for display; a name that does not decode is shown as stored rather than hidden."""
    try:
        return idna.decode(name.rstrip("."))
    except (idna.IDNAError, UnicodeError):
        return name


_PUNYCODE_NAME = re.compile(r"[a-z0-9_.-]*xn--[a-z0-9_.-]*", re.IGNORECASE)


def unicode_names(text: str) -> str:
    """`text` with every host name in it that has a punycode label shown in Unicode, label by label, so a name
    with a label no IDN may have (`_dmarc`, `_spf`) is shown too: "mx.xn--80a1acny.xn--p1ai → mx.yandex.net"
    reads "mx.почта.рф → mx.yandex.net". A label that does not decode stays as it is."""

    def label(text: str) -> str:
        if not text.lower().startswith("xn--"):
            return text
        try:
            return idna.decode(text)
        except (idna.IDNAError, UnicodeError):
            return text

    return _PUNYCODE_NAME.sub(lambda m: ".".join(label(part) for part in m.group().split(".")), text)


def to_unicode_address(address: str) -> str:
    """An address for display: its domain in Unicode (`anna@пример.рф`, stored as `anna@xn--e1afmkfd.xn--p1ai`)."""
    local, at, domain = address.rpartition("@")
    return f"{local}@{to_unicode(domain)}" if at else address


def relative_owner(fqdn: str, zone: str) -> str:
    """The owner of `fqdn` relative to `zone` as zone files write it ("@" for the apex).

    Raises ValueError when the name is outside the zone: adapters must never touch records of another zone.
    """
    name = fqdn.rstrip(".").lower()
    origin = zone.rstrip(".").lower()
    if name == origin:
        return "@"
    if name.endswith("." + origin):
        return name[: -len(origin) - 1]
    raise ValueError(f"{fqdn} is outside zone {zone}")


def absolute_name(owner: str, zone: str) -> str:
    """The full name (no final dot) of a zone-relative owner ("@" is the apex)."""
    origin = zone.rstrip(".").lower()
    return origin if owner in ("@", "") else f"{owner.lower()}.{origin}"


@functools.cache
def _suffixes() -> PublicSuffixList:
    """Mozilla's Public Suffix List (publicsuffix.org) as the `publicsuffixlist` package ships and refreshes it: which
    names are open for anyone to register under (`ru`, `рф`, `msk.ru`, `co.uk`). Read once, on first use."""
    return PublicSuffixList()


def registrable_domain(name: str) -> str:
    """The domain someone registered that `name` lies in (`news.acme.ru` → `acme.ru`; `acme.msk.ru` and
    `пример.рф` are their own), by the Public Suffix List's rules; "" for a public suffix itself. ASCII in and out.

    A name below its registrable domain that does not exist is a name without records yet, not a domain whose
    registration lapsed: that is what tells the two apart.
    """
    return _suffixes().privatesuffix(name.rstrip(".").lower()) or ""

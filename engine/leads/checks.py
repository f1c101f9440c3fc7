"""What an address says about itself, without the network: normalization, syntax, role accounts, disposable
domains. Pure functions over strings (the DNS verdict is `engine.leads.domains`).

Syntax is `email-validator`'s (no network: `check_deliverability=False`). Its domain check (IDNA, reserved
names) is the expensive part, so it runs once per domain; the local part is checked per address with the same
library's local-part rules. The normalized form is lower case with the domain in punycode (`Иван@Почта.РФ` is
refused: a non-ASCII local part needs SMTPUTF8, which cold mail cannot count on; `ivan@почта.рф` →
`ivan@xn--80a1acny.xn--p1ai`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

import disposable_email_domains
import email_validator
from email_validator import syntax as ev_syntax

from models.enums import LeadVerdict

MAX_ADDRESS: Final = 254  # RFC 5321's path limit, minus the brackets

ROLE_LOCAL_PARTS: Final = frozenset(
    {
        # international
        "abuse", "accounting", "accounts", "admin", "administrator", "billing", "careers", "contact", "contacts",
        "customerservice", "enquiries", "feedback", "finance", "hello", "help", "helpdesk", "hostmaster", "hr",
        "info", "information", "inquiries", "jobs", "legal", "mail", "mailer-daemon", "marketing", "media",
        "newsletter", "no-reply", "noreply", "do-not-reply", "donotreply", "office", "orders", "postmaster",
        "press", "privacy", "purchasing", "reception", "recruiting", "root", "sales", "security", "service",
        "support", "team", "webmaster", "welcome",
        # the Russian market
        "buh", "buhgalteria", "buhgalter", "bux", "dostavka", "kadry", "kanc", "kancelyaria", "kontakt",
        "mag", "magazin", "manager", "menedzher", "ofis", "otdel", "otdelkadrov", "personal", "priemnaya",
        "priem", "reklama", "secretary", "sekretar", "servis", "shop", "sklad", "snab", "snabzhenie", "tender",
        "tenders", "torg", "urist", "yurist", "zakaz", "zakazy", "zakupki", "zapros",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Checked:
    """One address after the offline checks: the normalized email (None when unusable) and a verdict."""

    email: str | None
    verdict: LeadVerdict
    reason: str  # "" for a clean address; else syntax, no_domain, disposable, role, …


class AddressChecker:
    """Offline checks with a per-domain cache (one IDNA/syntax check per domain per import).

    `test_environment` lets the reserved `test` domain through (the harness's DNS serves `*.test`).
    """

    def __init__(self, *, test_environment: bool = False) -> None:
        self._test = test_environment
        self._domains: dict[str, tuple[str, bool] | None] = {}

    def check(self, raw: str) -> Checked:  # noqa: PLR0911 - one return per verdict reads best
        """Normalize and check `raw` (a cell of the email column)."""
        value = _bare(raw)
        if not value:
            return Checked(None, LeadVerdict.INVALID, "empty")
        local, at, domain = value.rpartition("@")
        if not at or not local or not domain or len(value) > MAX_ADDRESS:
            return Checked(None, LeadVerdict.INVALID, "syntax")
        known = self._domain(domain)
        if known is None:
            return Checked(None, LeadVerdict.INVALID, "syntax")
        ascii_domain, disposable = known
        if not local.isascii():  # needs SMTPUTF8, which cold mail cannot count on: say why, not just "syntax"
            return Checked(None, LeadVerdict.INVALID, "local_not_latin")
        try:
            ev_syntax.validate_email_local_part(local, allow_smtputf8=False, quoted_local_part=False)
        except email_validator.EmailSyntaxError:
            return Checked(None, LeadVerdict.INVALID, "syntax")
        email = f"{local.lower()}@{ascii_domain}"
        if len(email) > MAX_ADDRESS:
            return Checked(None, LeadVerdict.INVALID, "syntax")
        if disposable:
            return Checked(email, LeadVerdict.INVALID, "disposable")
        if is_role(email):
            return Checked(email, LeadVerdict.RISKY, "role")
        return Checked(email, LeadVerdict.VALID, "")

    def _domain(self, domain: str) -> tuple[str, bool] | None:
        """(ASCII domain, is disposable), or None when the domain is not valid; computed once per domain."""
        try:
            return self._domains[domain]
        except KeyError:
            pass
        try:
            result = email_validator.validate_email(
                f"x@{domain}", check_deliverability=False, test_environment=self._test
            )
        except email_validator.EmailNotValidError:
            self._domains[domain] = None
        else:
            ascii_domain = result.ascii_domain.lower()
            self._domains[domain] = (ascii_domain, is_disposable(ascii_domain))
        return self._domains[domain]


_NAMED: Final = re.compile(r"[^<>@]*<([^<>]*)>")  # `Иван Петров <ivan@acme.ru>`, as mail programs export contacts
_INVISIBLE: Final = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
"""Zero-width spaces and joiners, direction marks, soft hyphens: what an address copied from a web page or a
messenger carries unseen. Left in, `ivan@acme.ru` was "not an address" (or "not in Latin letters")."""
_QUOTES: Final = "\"'«»“”„‘’`"  # around an address typed in a sentence: «ivan@acme.ru»
_SENTENCE_END: Final = ".,;:!?"  # after an address at the end of a sentence: no domain ends in them


def _bare(raw: str) -> str:
    """The address of a cell: without spaces, invisible characters and quotes around it, its display name and
    angle brackets, a `mailto:` (and the `?subject=` a link adds), or the punctuation of a sentence after it."""
    value = _INVISIBLE.sub("", raw).strip()
    named = _NAMED.fullmatch(value)
    value = (named[1] if named else value.strip("<>")).strip()
    if value[:7].lower() == "mailto:":
        value = value[len("mailto:") :].partition("?")[0].strip()
    return value.lstrip(_QUOTES).rstrip(_QUOTES + _SENTENCE_END).strip()


def normalize(raw: str, *, test_environment: bool = False) -> str | None:
    """The normalized address, or None when it is not a usable address."""
    return AddressChecker(test_environment=test_environment).check(raw).email


def bare_address(raw: str) -> str:
    """The address a cell or a line holds (`_bare`): no display name, angle brackets, `mailto:` or spaces around."""
    return _bare(raw)


def mailbox_of(email: str) -> str:
    """The mailbox a normalized address reaches: without its `+tag` (`ivan+news@acme.ru` → `ivan@acme.ru`), as
    Gmail, Yandex, Outlook and most mail servers deliver it. Two rows of one file with the same mailbox are one
    person, who must not get each letter twice. `models.indexes.mailbox_sql` is the same in SQL (the two must
    agree): the expression the `lead_mailbox` index holds, so a comparison of a lead's mailbox probes it."""
    local, _, domain = email.rpartition("@")
    base = local.split("+", 1)[0]
    return f"{base or local}@{domain}"


def is_role(email: str) -> bool:
    """A mailbox of a function, not a person (info@, sales@, zakaz@ …); `sales+ru@` and `sales.msk@` count."""
    local = email.rpartition("@")[0]
    base = local.split("+", 1)[0]
    return base in ROLE_LOCAL_PARTS or base.split(".", 1)[0] in ROLE_LOCAL_PARTS


def is_disposable(domain: str) -> bool:
    """A throw-away mail service (the maintained `disposable-email-domains` list), or a subdomain of one."""
    labels = domain.lower().split(".")
    return any(".".join(labels[i:]) in disposable_email_domains.blocklist for i in range(len(labels) - 1))

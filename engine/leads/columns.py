"""Which column of a lead file holds what: guesses from Russian and English headers, overridden by the manager.

Headers are compared case-, space-, dash- and underscore-insensitively ("E-mail", "e_mail", "Электронная почта").
A column that is no known field goes to the lead's `custom` fields under its header; a second column of the same
header under "<header> 2", a column without a header under `column_<number>` (a value typed under a blank header
cell is the manager's data all the same, and a JSON key holds one value).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from engine.errors import UserError
from models.enums import LegalBasis

FIELDS: Final = ("email", "first_name", "last_name", "company", "timezone", "source", "legal_basis")
"""The lead's own fields a column can fill; everything else is custom."""

FIELD_ALIASES: Final = {"basis": "legal_basis", "tz": "timezone", "name": "first_name"}
"""Short names a manager may use in an override (`basis=Основание`)."""

_GUESSES: Final = {
    "email": ("email", "e-mail", "mail", "emailaddress", "почта", "электронная почта", "эл почта", "эл. почта",
              "адрес", "адрес почты", "адрес электронной почты", "емейл", "емэйл", "имейл", "мейл", "e-mail адрес",
              "электронный адрес", "эл. адрес", "e-mail address", "e-mail 1 - value", "email 1"),
    "first_name": ("first name", "firstname", "given name", "name", "имя"),
    "last_name": ("last name", "lastname", "surname", "family name", "фамилия"),
    "company": ("company", "company name", "organization", "organisation", "компания", "организация",
                "название компании", "фирма"),
    "timezone": ("timezone", "time zone", "tz", "часовой пояс", "таймзона"),
    "source": ("source", "lead source", "источник"),
    "legal_basis": ("legal basis", "basis", "consent", "основание", "правовое основание", "согласие"),
}  # fmt: skip
_FOLD: Final = re.compile(r"[\s_\-.]+")
_EMAIL_WORDS: Final = ("email", "почт", "емейл", "имейл")
"""Parts of a folded header that say it holds an email address, when no header is exactly a known name."""
_POSTAL: Final = ("почтов", "postal")  # "Почтовый адрес", "Postal address": the other kind of address


def _says_email(folded: str) -> bool:
    return any(w in folded for w in _EMAIL_WORDS) and not any(w in folded for w in _POSTAL)


MAX_CUSTOM_KEY: Final = 64


def fold(header: str) -> str:
    """A header as compared: lower case, no spaces, dashes, dots or underscores, ё as е."""
    return _FOLD.sub("", header.strip().lower().replace("ё", "е"))


_INDEX: Final = {fold(alias): name for name, aliases in _GUESSES.items() for alias in aliases}


@dataclass(frozen=True)
class ColumnMap:
    """Field → column index, and the custom columns (index → key)."""

    fields: dict[str, int]
    custom: dict[int, str] = field(default_factory=dict)
    email_by_word: bool = False  # the email column's header only mentions email ("Рабочий e-mail"): no known name
    renamed: dict[int, str] = field(default_factory=dict)  # custom columns not keyed by their header: → the header

    def has(self, name: str) -> bool:
        return name in self.fields


def guess_field(header: str) -> str | None:
    """The lead field a header most likely names, or None (a custom column)."""
    return _INDEX.get(fold(header))


def map_columns(headers: Sequence[str], overrides: Mapping[str, str] | None = None) -> ColumnMap:
    """Map a header row to lead fields: the manager's overrides (`{"email": "Почта"}`) first, then guesses.

    With no known email header, the one header that says "email" or "почта" in other words ("Рабочий e-mail") is
    the email; with several, the manager says which.

    An override may name a column by its number (`name=столбец 2`, `name=column_2`: see `numbered`) — the only way
    to name one whose header cell is blank.

    Raises `UserError`: `error-leads-unknown-field` (an override names no lead field), `error-leads-no-header`
    (an override names a header the file does not have, nor a column by its number; lists the headers found),
    `error-leads-no-email` (no column can be the email; lists the headers found).
    """
    found = ", ".join(h.strip() for h in headers if h.strip())[:300] or "—"
    by_fold: dict[str, int] = {}
    for index, header in enumerate(headers):
        by_fold.setdefault(fold(header), index)
    fields: dict[str, int] = {}
    for name, header in (overrides or {}).items():
        key = FIELD_ALIASES.get(name, name)
        if key not in FIELDS:
            raise UserError("error-leads-unknown-field", field=name, fields=", ".join(FIELDS))
        column = by_fold.get(fold(header))
        if column is None:
            column = numbered(header, len(headers))
        if column is None:
            raise UserError("error-leads-no-header", header=header, headers=found)
        fields[key] = column
    taken = set(fields.values())
    for index, header in enumerate(headers):
        guess = guess_field(header)
        if guess is not None and guess not in fields and index not in taken:
            fields[guess] = index
            taken.add(index)
    by_word = "email" not in fields
    if by_word:  # "Рабочий e-mail", "Адрес эл. почты", "Email (раб.)": one header that says so
        named = [i for i, h in enumerate(headers) if i not in taken and _says_email(fold(h))]
        if len(named) != 1:  # none, or several (a work and a private address): the manager says which
            raise UserError("error-leads-no-email", headers=found)
        fields["email"] = named[0]
        taken.add(named[0])
    custom = _custom_keys(headers, taken)
    renamed = {i: headers[i].strip() for i, key in custom.items() if key != headers[i].strip()[:MAX_CUSTOM_KEY]}
    return ColumnMap(fields, custom, by_word, renamed)


UNNAMED_KEY: Final = "column_{number}"
"""The custom key of a column whose header cell is blank (its number as a spreadsheet counts, from 1): stable,
whatever the language of who imports (a letter's placeholder `{column_3}` must not change with it)."""
_NUMBERED: Final = re.compile(r"(?:column|col|столбец|колонка|#)(\d{1,4})")
"""A column named by its number, folded: `column_3` (the key a blank header gets), `столбец 3`, `колонка 3`,
`column 3` (as the import's reply and the error name it in either language), `#3`."""


def numbered(header: str, width: int) -> int | None:
    """The index of the column an override names by its number (`столбец 3` → 2), None when it names none of the
    `width` columns. A header of the file with that very name wins (`map_columns` looks for headers first)."""
    match = _NUMBERED.fullmatch(fold(header))
    if match is None or not 1 <= int(match[1]) <= width:
        return None
    return int(match[1]) - 1


def _custom_keys(headers: Sequence[str], taken: set[int]) -> dict[int, str]:
    """Index → custom key of every column no field took, each key its own (compared as `fold` compares headers,
    so "Телефон" and "телефон " are one): "Телефон", "Телефон 2", …; a blank header is `UNNAMED_KEY`. Every
    header keeps its own name first, so a generated key never takes one ("Телефон;Телефон;Телефон 2")."""
    wanted = {i: h.strip()[:MAX_CUSTOM_KEY] for i, h in enumerate(headers) if i not in taken}
    used: set[str] = set()
    keys: dict[int, str] = {}
    for index, name in wanted.items():
        if name and fold(name) not in used:
            used.add(fold(name))
            keys[index] = name
    for index, name in sorted(wanted.items(), key=lambda kv: not kv[1]):  # repeated headers, then blank ones
        if index in keys:
            continue
        base = name or UNNAMED_KEY.format(number=index + 1)
        key, copy = base, 1
        while fold(key) in used:
            copy += 1
            key = f"{base[: MAX_CUSTOM_KEY - len(str(copy)) - 1]} {copy}"
        used.add(fold(key))
        keys[index] = key
    return dict(sorted(keys.items()))


BASIS_WORDS: Final = {
    LegalBasis.CONSENT: ("consent", "согласие"),
    LegalBasis.CONTRACT: ("contract", "договор"),
    LegalBasis.PUBLIC_CONTACT: ("public_contact", "public", "публичный", "публичные"),
}
"""The words that name a legal basis (its value, and English and Russian words for it)."""
_BASIS_OF: Final = {word: basis for basis, words in BASIS_WORDS.items() for word in words}


def parse_basis(text: str) -> tuple[LegalBasis, str] | None:
    """`договор 12` → (contract, "договор 12"): the first word names the basis, the whole text is kept as the
    note (the evidence: a contract number, a form). None when the first word names no basis."""
    note = " ".join(text.split())
    first = note.partition(" ")[0].casefold().rstrip(",.:;")
    basis = _BASIS_OF.get(first)
    return None if basis is None else (basis, note)

"""Index kinds Tortoise does not have."""

from __future__ import annotations

from typing import Any

from tortoise.indexes import Index


class SetIndex(Index):
    """A B-tree index over the rows whose first field is set: a row with NULL there writes no entry. A lookup by
    that field (`=`, `IN`, `ANY`: strict operators) still uses it, since it implies the field is not NULL."""

    def __init__(self, *expressions: Any, fields: tuple[str, ...] | list[str] | None = None, name: str | None = None):
        super().__init__(*expressions, fields=fields, name=name)
        self.extra = f" WHERE {self.fields[0]} IS NOT NULL"


class JsonKeyIndex(Index):
    """A B-tree index over one key of a JSON column, as text, over the rows where that key is set (the others
    write no entry). A lookup `field->>'key' = …` (or `= ANY(…)`) uses it."""

    def __init__(self, field: str, key: str, *, name: str) -> None:
        super().__init__(fields=(field,), name=name)
        self.json_field = field
        self.key = key
        self.extra = f" WHERE ({field} ->> '{key}') IS NOT NULL"

    @property
    def field_names(self) -> list[str]:
        return [f"({self.json_field} ->> '{self.key}')"]

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "key": self.key}

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        path, _, _ = super().deconstruct()
        return path, [], {"field": self.json_field, "key": self.key, "name": self.name}


def mailbox_sql(expression: str) -> str:
    """The mailbox a normalized address (what SQL `expression` yields) reaches: without its `+tag`
    (`ivan+news@acme.ru` → `ivan@acme.ru`); `engine.leads.checks.mailbox_of` in SQL (the two must agree). Here, not
    in the engine, so that `MailboxIndex` indexes the very expression the queries compare."""
    return rf"regexp_replace({expression}, '^([^@+]+)\+[^@]*@', '\1@')"


class MailboxIndex(Index):
    """A B-tree index over the mailbox (`mailbox_sql`) of an address column: `ivan@` and `ivan+news@` are one
    entry, found by `mailbox_sql(column) = …`. An expression, not a stored column: every writer of the column
    (the import's upsert, an ORM create, an update of the address) keeps it right without knowing of it, and
    creating the index fills it for the rows already there."""

    def __init__(self, field: str, *, name: str) -> None:
        super().__init__(fields=(field,), name=name)
        self.address_field = field

    @property
    def field_names(self) -> list[str]:
        return [f"({mailbox_sql(self.address_field)})"]

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "mailbox": True}

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        path, _, _ = super().deconstruct()
        return path, [], {"field": self.address_field, "name": self.name}

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

"""Subject and body templates: a small sandboxed syntax of our own, parsed once and rendered per message.

Syntax (nothing else is special, and nothing a template says can run code or reach anything but the fields it
is given):

- `{first_name}` — a field of the lead (or of the sender); `{first_name|коллега}` — with a fallback used when
  the field is empty or unknown. Names are letters, digits, `_`, `-` and `.` and compare case-insensitively,
  ё as е (`field_key`); the lead's own fields have Russian and other names too (`{имя}`: `FIELD_ALIASES`).
- `{{Привет|Здравствуйте|Добрый день}}` — spintax: one option, drawn with the given random generator. Options
  may hold text, fields and further spintax, up to `MAX_DEPTH` levels; an option may be empty.
- `\\{`, `\\}`, `\\|` and `\\\\` — a literal brace, bar or backslash. A backslash before anything else is kept.
  A bar is literal outside spintax; a brace always needs the escape.

Every input is bounded: the template's length is checked before anything else (`MAX_TEMPLATE_CHARS`), the
nesting while parsing, and the output while rendering (`MAX_OUTPUT_CHARS`), so a small template with many
long fields cannot grow without limit. Mistakes raise `UserError("error-template-syntax", where=…, detail=…,
position=…, limit=…)`: `where` is the caller's description of the template ("subject", "body", …), `detail` a
code the catalogs turn into words (`unclosed-spintax`, `unexpected-close`, …) and `position` the 1-based
character where it went wrong.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from engine.errors import UserError

MAX_TEMPLATE_CHARS: Final = 20_000
MAX_DEPTH: Final = 5  # spintax inside spintax, five levels deep at most
MAX_OUTPUT_CHARS: Final = 50_000
MAX_NAME_CHARS: Final = 64

_NAME = re.compile(r"[^\W][\w.\-]*\Z")
FIELD_ALIASES: Final = {
    **dict.fromkeys(("имя", "name", "firstname"), "first_name"),
    **dict.fromkeys(("фамилия", "surname", "lastname"), "last_name"),
    **dict.fromkeys(("компания", "организация", "фирма", "company_name", "organization", "organisation"), "company"),
    **dict.fromkeys(("почта", "e-mail", "e_mail", "емейл", "имейл"), "email"),
}
"""Other names of the lead's own fields, as people write them in a letter (`{имя}`, `{Фамилия}`, `{name}`): the
lead file's "Имя" column is its first name (`engine.leads.columns`), so `{имя}` is that name, not a column of its
own that no lead has."""
_ESCAPABLE: Final = frozenset("{}|\\")


@dataclass(frozen=True, slots=True)
class Text:
    value: str


@dataclass(frozen=True, slots=True)
class Field:
    name: str  # case-folded
    fallback: str | None


@dataclass(frozen=True, slots=True)
class Spin:
    options: tuple[tuple[Node, ...], ...]


Node = Text | Field | Spin


_SPACES = re.compile(r"\s+")


def field_key(column: str) -> str:
    """The placeholder name of a lead column: case-folded, spaces as `_` ("Job Title" → `{job_title}`), since a
    placeholder name has no spaces, and ё as е ("Объём" is `{объем}`), as lead file headers are compared."""
    return _fold_name(_SPACES.sub("_", column.strip()))


def _fold_name(name: str) -> str:
    """A name as placeholders and columns compare: case-folded, ё as е (people type either)."""
    return name.casefold().replace("ё", "е")


def syntax_error(where: str, detail: str, position: int, limit: int = 0) -> UserError:
    """The one error every template mistake raises (see the module docstring)."""
    return UserError("error-template-syntax", where=where, detail=detail, position=position, limit=limit)


@dataclass(frozen=True, slots=True)
class Template:
    """A parsed template. `placeholders` are every field name it uses (case-folded); `required` those used at
    least once without a fallback (an unknown one of these renders empty, which the content check forbids)."""

    nodes: tuple[Node, ...]
    placeholders: frozenset[str]
    required: frozenset[str]
    where: str
    source: str

    def render(self, fields: Mapping[str, str], rng: random.Random) -> str:
        """The text for these fields. Field names in `fields` must be case-folded; values are used as given
        (callers clean them: see `engine.campaigns.compose.clean_field`). Raises
        `UserError("error-template-output-too-long")` past `MAX_OUTPUT_CHARS`."""
        out: list[str] = []
        _render(self.nodes, fields, rng, out, size=0, where=self.where)
        return "".join(out)

    @property
    def is_blank(self) -> bool:
        """True when the template holds nothing but whitespace."""
        return not self.source.strip()

    @property
    def may_render_blank(self) -> bool:
        """True when some draw of its spintax renders nothing but whitespace (`{{}}`, `{{Привет|}}` alone): a field
        counts as text unless its fallback is empty (`{job_title|}`), since a lead's value is theirs to give."""
        return _may_be_blank(self.nodes)


def _may_be_blank(nodes: tuple[Node, ...]) -> bool:
    for node in nodes:
        if isinstance(node, Text):
            if node.value.strip():
                return False
        elif isinstance(node, Field):
            if node.fallback is None or node.fallback.strip():
                return False
        elif not any(_may_be_blank(option) for option in node.options):
            return False
    return True


def _render(
    nodes: tuple[Node, ...], fields: Mapping[str, str], rng: random.Random, out: list[str], *, size: int, where: str
) -> int:
    for node in nodes:
        if isinstance(node, Text):
            piece = node.value
        elif isinstance(node, Field):
            piece = fields.get(node.name, "")
            if not piece.strip() and node.fallback is not None:
                piece = node.fallback
        else:
            option = node.options[rng.randrange(len(node.options))]
            size = _render(option, fields, rng, out, size=size, where=where)
            continue
        size += len(piece)
        if size > MAX_OUTPUT_CHARS:
            raise UserError("error-template-output-too-long", where=where, limit=MAX_OUTPUT_CHARS)
        out.append(piece)
    return size


def parse(text: str, *, where: str) -> Template:
    """Parse a template; `where` names it in errors ("subject", "body", "шаг 2, вариант B, тема", …)."""
    if len(text) > MAX_TEMPLATE_CHARS:
        raise syntax_error(where, "too-long", MAX_TEMPLATE_CHARS + 1, MAX_TEMPLATE_CHARS)
    parser = _Parser(text, where)
    nodes = parser.sequence(depth=0)
    return Template(
        nodes=nodes,
        placeholders=frozenset(parser.names),
        required=frozenset(parser.required),
        where=where,
        source=text,
    )


class _Parser:
    """A recursive-descent parser over the text; `depth` counts open spintax groups."""

    def __init__(self, text: str, where: str) -> None:
        self.text = text
        self.where = where
        self.pos = 0
        self.names: set[str] = set()
        self.required: set[str] = set()

    def error(self, detail: str, position: int, limit: int = 0) -> UserError:
        return syntax_error(self.where, detail, position + 1, limit)

    def sequence(self, depth: int) -> tuple[Node, ...]:
        """Nodes until the end (depth 0) or until an option ends (`|` or `}}` inside spintax)."""
        text = self.text
        nodes: list[Node] = []
        buffer: list[str] = []

        def flush() -> None:
            if buffer:
                nodes.append(Text("".join(buffer)))
                buffer.clear()

        while self.pos < len(text):
            ch = text[self.pos]
            if ch == "\\":
                nxt = text[self.pos + 1 : self.pos + 2]
                if nxt in _ESCAPABLE and nxt:
                    buffer.append(nxt)
                    self.pos += 2
                else:
                    buffer.append(ch)
                    self.pos += 1
            elif ch == "{":
                flush()
                if text.startswith("{{", self.pos):
                    nodes.append(self.spin(depth))
                else:
                    nodes.append(self.field())
            elif ch == "}":
                if depth > 0 and (text.startswith("}}", self.pos) or self.pos == len(text) - 1):
                    break  # the group's end, or a lone "}" ending the text: the group was left unclosed
                raise self.error("unexpected-close", self.pos)
            elif ch == "|" and depth > 0:
                break
            else:
                buffer.append(ch)
                self.pos += 1
        flush()
        return tuple(nodes)

    def spin(self, depth: int) -> Spin:
        start = self.pos
        if depth + 1 > MAX_DEPTH:
            raise self.error("too-deep", start, MAX_DEPTH)
        self.pos += 2
        options: list[tuple[Node, ...]] = []
        while True:
            options.append(self.sequence(depth + 1))
            if self.text.startswith("|", self.pos):
                self.pos += 1
            elif self.text.startswith("}}", self.pos):
                self.pos += 2
                return Spin(tuple(options))
            else:
                raise self.error("unclosed-spintax", start)

    def field(self) -> Field:
        start = self.pos
        self.pos += 1
        name_chars: list[str] = []
        fallback: list[str] | None = None
        text = self.text
        while self.pos < len(text):
            ch = text[self.pos]
            if ch == "}":
                self.pos += 1
                return self._field(start, "".join(name_chars), None if fallback is None else "".join(fallback))
            if ch == "{":
                raise self.error("brace-in-placeholder", self.pos)
            if ch in "\r\n":
                break  # a placeholder never spans lines: report it unclosed where it began
            if ch == "\\" and fallback is not None and text[self.pos + 1 : self.pos + 2] in _ESCAPABLE:
                fallback.append(text[self.pos + 1])
                self.pos += 2
                continue
            if ch == "|" and fallback is None:
                fallback = []
            elif fallback is None:
                name_chars.append(ch)
            else:
                fallback.append(ch)
            self.pos += 1
        raise self.error("unclosed-placeholder", start)

    def _field(self, start: int, raw_name: str, fallback: str | None) -> Field:
        name = _fold_name(raw_name.strip())
        if not name or len(name) > MAX_NAME_CHARS or not _NAME.match(name):
            raise self.error("bad-placeholder", start)
        name = FIELD_ALIASES.get(name, name)
        self.names.add(name)
        if fallback is None:
            self.required.add(name)
        return Field(name, None if fallback is None else fallback.strip())  # "{first_name | коллега}"

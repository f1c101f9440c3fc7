"""Every message exists in Russian and English with the same placeholders, and every key code uses exists."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from fluent.syntax import FluentParser
from fluent.syntax import ast as fast
from fluent.syntax.visitor import Visitor

from bot.command import commands
from engine.i18n import LOCALES, LOCALES_DIR, Translator
from models.enums import ChatPurpose, Role

ROOT = Path(__file__).resolve().parents[2]
KEY_CALLS = {"UserError", "NotFound", "Forbidden", "Conflict", "ArgMissing", "t", "translator", "add_key"}


def _variables(node: object) -> set[str]:
    found: set[str] = set()

    class Collect(Visitor):
        def visit_VariableReference(self, ref: fast.VariableReference) -> None:
            found.add(ref.id.name)

    Collect().visit(node)
    return found


def _catalog(locale: str) -> dict[str, set[str]]:
    messages: dict[str, set[str]] = {}
    for path in sorted((LOCALES_DIR / locale).glob("*.ftl")):
        resource = FluentParser().parse(path.read_text(encoding="utf-8"))
        junk = [e for e in resource.body if isinstance(e, fast.Junk)]
        assert not junk, f"{path}: syntax error near {junk[0].content[:60]!r}"
        for entry in resource.body:
            if isinstance(entry, fast.Message):
                assert entry.id.name not in messages, f"{path}: {entry.id.name} is defined twice"
                messages[entry.id.name] = _variables(entry)
    return messages


def _keys_used_in_code() -> dict[str, str]:
    keys: dict[str, str] = {}
    for layer in ("bot", "engine", "jobs", "mailfleet"):
        for path in (ROOT / layer).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.Call):
                    continue
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                literals = [node.args[0]] if name in KEY_CALLS and node.args else []
                literals += [kw.value for kw in node.keywords if kw.arg in {"key", "title_key", "body_key"}]
                for value in literals:
                    if isinstance(value, ast.Constant) and isinstance(value.value, str) and "-" in value.value:
                        keys[value.value] = f"{path.relative_to(ROOT)}:{node.lineno}"
    return keys


def test_both_languages_have_the_same_messages_and_placeholders() -> None:
    ru, en = _catalog("ru"), _catalog("en")
    assert sorted(set(ru) ^ set(en)) == []
    assert {k: (ru[k], en[k]) for k in ru if ru[k] != en[k]} == {}


def test_every_key_used_in_code_exists() -> None:
    catalog = _catalog("ru")
    missing = {key: where for key, where in _keys_used_in_code().items() if key not in catalog}
    assert missing == {}


def test_every_command_has_help_and_every_role_and_purpose_a_name() -> None:
    catalog = _catalog("ru")
    wanted = {c.help_key for c in commands()}
    wanted |= {f"role-{r.value}" for r in Role} | {"role-none"} | {f"purpose-{p.value}" for p in ChatPurpose}
    assert sorted(wanted - set(catalog)) == []


def test_translator_formats_in_both_languages() -> None:
    for locale in LOCALES:
        text = Translator(locale)("error-arg-missing", command="use", arg="slug", usage="/use acme")
        assert "/use acme" in text and "slug" in text and "{" not in text


PLURAL_NOUNS = frozenset(
    {
        "attempts", "bits", "campaigns", "certificates", "characters", "charts", "chats", "clients", "columns", "days",
        "domains", "duplicates", "emails", "entries", "errors", "failures", "leads", "levels", "links", "lookups",
        "mailbox-days", "mailboxes", "messages", "minutes", "records", "replies", "rows", "sends", "sequences",
        "steps", "tests", "times", "variants", "weeks",
    }
)  # fmt: skip
"""Nouns English uses only for a count other than 1: after a number they need the count's `[one]` form too."""
TEXT_PARAMS = frozenset({"name", "domain"})
"""Parameters that hold names, not counts: "In campaign { $name } leads already drew …"."""
ALWAYS_PLURAL = {
    ("error-arg-too-long", "length"): "bot/command.py passes digits as text; a length over a limit of 8 or more",
    ("error-text-too-long", "length"): "bot/command.py passes digits as text; a length over 4000",
    ("error-import-too-many-rows", "limit"): "engine/mailboxes.py passes digits as text; the limit is 5000",
}
"""Counts after which the plural is always right and a selector could not work (a string never selects `one`)."""
_WORDS_END = re.compile(r"[.,;:()!?—–/…·«»“”\"\n]")


def _counted(expression: fast.InlineExpression | fast.SelectExpression) -> str | None:
    """The variable a placeable shows as a number: `{ $n }` or `{ NUMBER($n, …) }`."""
    if isinstance(expression, fast.VariableReference):
        return expression.id.name
    if isinstance(expression, fast.FunctionReference) and expression.id.name == "NUMBER":
        first = expression.arguments.positional[:1]
        if first and isinstance(first[0], fast.VariableReference):
            return first[0].id.name
    return None


def _unselected_counts(pattern: fast.Pattern, selected: frozenset[str] = frozenset()) -> list[str]:
    """`$n noun` for each number followed by a plural noun (in its next three words) that no selector on `$n`
    chooses: neither `{ $n } { $n -> [one] … }` nor inside a variant of `{ $n -> … }`."""
    found: list[str] = []
    elements = pattern.elements
    for i, element in enumerate(elements):
        if not isinstance(element, fast.Placeable):
            continue
        expression = element.expression
        if isinstance(expression, fast.SelectExpression):
            on = _counted(expression.selector)
            for variant in expression.variants:
                found += _unselected_counts(variant.value, selected | {on} if on else selected)
            continue
        name = _counted(expression)  # type: ignore[arg-type]
        after = elements[i + 1] if i + 1 < len(elements) else None
        if name is None or name in selected or name in TEXT_PARAMS or not isinstance(after, fast.TextElement):
            continue
        words = _WORDS_END.split(after.value, maxsplit=1)[0].split()[:3]
        found += [f"${name} {word}" for word in words if word.lower() in PLURAL_NOUNS]
    return found


def test_an_english_count_before_a_plural_noun_selects_the_noun() -> None:
    """'1 campaign emails', 'last 1 days', '1 mailboxes have': each such count has `{ $n -> [one] … *[other] … }`."""
    wrong: dict[str, list[str]] = {}
    for path in sorted((LOCALES_DIR / "en").glob("*.ftl")):
        for entry in FluentParser().parse(path.read_text(encoding="utf-8")).body:
            if isinstance(entry, fast.Message) and entry.value is not None:
                counts = [
                    c for c in _unselected_counts(entry.value) if (entry.id.name, c.split()[0][1:]) not in ALWAYS_PLURAL
                ]
                if counts:
                    wrong[entry.id.name] = counts
    assert wrong == {}


def test_the_plural_check_finds_a_count_without_its_selector() -> None:
    def check(text: str) -> list[str]:
        entry = FluentParser().parse(text).body[0]
        assert isinstance(entry, fast.Message) and entry.value is not None
        return _unselected_counts(entry.value)

    assert check("a = Today: { $n } campaign emails from { $k } of { $m } mailboxes.") == ["$n emails", "$m mailboxes"]
    assert check("a = The key has { NUMBER($bits, useGrouping: 0) } bits.") == ["$bits bits"]
    assert check("a = { $n } { $n ->\n    [one] email\n   *[other] emails\n} · { $m } more rows") == ["$m rows"]
    assert check("a = { $n ->\n    [one] 1 row is\n   *[other] { $n } rows are\n} cut") == []
    assert check("a = { $n ->\n    [one] one\n   *[other] { $m } rows\n}") == ["$m rows"]
    assert check("a = In { $name } leads drew · sent { $n }, replies { $r }") == []

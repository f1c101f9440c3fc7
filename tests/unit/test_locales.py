"""Every message exists in Russian and English with the same placeholders, and every key code uses exists."""

from __future__ import annotations

import ast
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

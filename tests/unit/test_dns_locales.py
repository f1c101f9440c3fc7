"""Every text the domain feature can show exists in both catalogs, with the same placeholders."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from fluent.syntax import FluentParser
from fluent.syntax import ast as fast
from fluent.syntax.visitor import Visitor

from engine.dns.dnsbl import Family, classify
from engine.domains.state import Health
from engine.i18n import LOCALES_DIR, Translator
from models.enums import DnsRecordKind, DnsVerdict, ListingResult

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [*sorted((ROOT / "engine" / "domains").rglob("*.py")), *sorted((ROOT / "engine" / "dns").rglob("*.py"))]
KEY = re.compile(r"^(error|dns|dnsbl|domain|alert|dmarc)-[a-z0-9-]*[a-z0-9]$")  # f-string stubs end in "-"
ALERT_KINDS = ("dns_drift", "blacklist_listed", "dnsbl_blind", "dns_blind", "domain_expiry")


class Placeholders(Visitor):
    """Collects the `{ $name }` variables of one message."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def visit_VariableReference(self, node: fast.VariableReference) -> None:
        self.names.add(node.id.name)


FILES = ("domains.ftl", "reserve.ftl")  # the reserve pool and swaps (engine/domains/reserve.py, swap.py)


def catalog(locale: str) -> dict[str, set[str]]:
    """The messages of the domain feature's catalogs with their placeholders."""
    resources = [FluentParser().parse((LOCALES_DIR / locale / f).read_text(encoding="utf-8")) for f in FILES]
    assert not [e for r in resources for e in r.body if isinstance(e, fast.Junk)]
    messages: dict[str, set[str]] = {}
    for entry in (e for r in resources for e in r.body):
        if isinstance(entry, fast.Message):
            collect = Placeholders()
            collect.visit(entry)
            messages[entry.id.name] = collect.names
    return messages


def keys_in_code() -> set[str]:
    found = set()
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and KEY.match(node.value):
                found.add(node.value)
    return found


def dynamic_keys() -> set[str]:
    """Keys built at run time: meanings of every DNSBL code, enum names, alert kinds."""
    codes = [f"127.0.{third}.{last}" for third in (0, 1, 255) for last in range(256)] + ["10.0.0.1"]
    meanings = {m for family in Family for code in codes for m in classify(family, [code])[1]}
    meanings |= {"dnsbl-error-timeout", "dnsbl-error-servfail"}
    names = {f"dns-record-{k.value}" for k in DnsRecordKind} | {f"dns-verdict-{v.value}" for v in DnsVerdict}
    names |= {f"dnsbl-result-{r.value}" for r in ListingResult} | {f"dns-state-{h.value}" for h in Health}
    return meanings | names | {"alert-" + kind.replace("_", "-") for kind in ALERT_KINDS}


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_every_key_exists(locale: str) -> None:
    shared = {"error-forbidden", "error-approval-not-found"}  # core.ftl
    assert sorted((keys_in_code() | dynamic_keys()) - set(catalog(locale)) - shared) == []


def test_russian_and_english_match() -> None:
    ru, en = catalog("ru"), catalog("en")
    assert sorted(set(ru) ^ set(en)) == []
    assert {k: (ru[k], en[k]) for k in ru if ru[k] != en[k]} == {}


def test_the_catalog_renders() -> None:
    for locale in ("ru", "en"):
        text = Translator(locale)("dns-problem-spf-too-many-lookups", count=12, limit=10)
        assert "12" in text and "10" in text and "{" not in text

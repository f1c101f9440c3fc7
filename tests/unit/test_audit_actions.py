"""Every audit action the code writes is said in words in both languages (`audit-action-…`), for the audit export."""

from __future__ import annotations

import ast
import typing
from pathlib import Path

import pytest

from engine.campaigns.service import CampaignAction
from engine.compliance.audit import action_key, action_label
from engine.i18n import LOCALES, translator
from engine.lifecycle import audited_machines
from engine.monitoring.rules import ActionKind

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = {  # an action built from a value: every value it can take
    "campaign.{}": {f"campaign.{a}" for a in typing.get_args(CampaignAction)},
    "{}.transition": {f"{m}.transition" for m in audited_machines()},
    "monitoring.{}": {f"monitoring.{k.value}" for k in ActionKind if k is not ActionKind.ALERT},  # alerts: no entry
}


def _template(node: ast.JoinedStr) -> str:
    return "".join(str(v.value) if isinstance(v, ast.Constant) else "{}" for v in node.values)


def written_actions() -> tuple[set[str], set[str]]:
    """The literal `action=` values of every call in the code, and the templates of those built with f-strings."""
    literals: set[str] = set()
    templates: set[str] = set()
    for folder in ("engine", "bot", "jobs"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                for kw in node.keywords:
                    if kw.arg != "action":
                        continue
                    if isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                        literals.add(kw.value.value)
                    elif isinstance(kw.value, ast.JoinedStr):
                        templates.add(_template(kw.value))
                    elif isinstance(kw.value, ast.IfExp):  # `"a.bind" if on else "a.unbind"`
                        literals |= {b.value for b in (kw.value.body, kw.value.orelse) if isinstance(b, ast.Constant)}
    return literals, templates


def every_action() -> set[str]:
    literals, templates = written_actions()
    assert templates == set(TEMPLATES), "an action built from a value: list what it can be in TEMPLATES"
    return literals.union(*TEMPLATES.values())


def test_the_scan_finds_the_actions_people_asked_about() -> None:
    found = every_action()
    assert {"campaign.group", "workspace.setting", "command", "domain.import", "agency_chat.unbind"} <= found
    assert {"domain.transition", "monitoring.cooldown", "campaign.test"} <= found


@pytest.mark.parametrize("locale", LOCALES)
def test_every_action_the_code_writes_has_words_in_every_locale(locale: str) -> None:
    t = translator(locale)
    missing = sorted(a for a in every_action() if not t.has(action_key(a)))
    assert missing == [], f"{locale}: add audit-action-… for {missing}"


def test_an_action_is_said_in_words_and_an_unknown_one_stays_as_written() -> None:
    assert action_label(translator("en"), "campaign.group") != "campaign.group"
    assert action_label(translator("ru"), "workspace.setting") != "workspace.setting"
    assert action_label(translator("en"), "old.gone") == "old.gone"  # a removed action of an old entry

"""What people call an alert: its kind by its label in the reader's language (`alert-kind-<kind>` in
`locales/*/alerts.ftl`), its subject by the name of what it is about — the stored subject (`domain:7`) is a key,
not something to show."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any, Final

from engine.dns.names import to_unicode, to_unicode_address
from engine.i18n import Translator
from models import Campaign, Domain, Mailbox, Workspace

_BY_ID: Final[dict[str, tuple[Any, str]]] = {
    "domain": (Domain, "name"),
    "mailbox": (Mailbox, "address"),
    "workspace": (Workspace, "slug"),
    "campaign": (Campaign, "name"),
}
_NAMED_AFTER: Final = frozenset({"dnsbl", "target", "warmup", "resolvers"})  # the part after the colon is the name


def kind_label(t: Translator, kind: str) -> str:
    """The kind's label in `t`'s language; the kind itself for one without a label."""
    key = f"alert-kind-{kind}"
    return t(key) if t.has(key) else kind


async def subject_names(subjects: Iterable[str]) -> dict[str, str]:
    """Each subject's name: `domain:7` its domain, `mailbox:9` its address, `workspace:3` its slug, `campaign:4` its
    name (one query per kind); `dnsbl:<zone>`, `target:<name>`, `warmup:<name>` and `resolvers:<setting>` what follows
    the colon; anything else (a chat, the worker, the queue), and a subject whose row is gone, as stored."""
    given = list(dict.fromkeys(subjects))
    names: dict[str, str] = {}
    wanted: dict[str, set[int]] = defaultdict(set)
    for subject in given:
        prefix, _, rest = subject.partition(":")
        if prefix in _BY_ID and rest.isdigit():
            wanted[prefix].add(int(rest))
        elif prefix in _NAMED_AFTER and rest:
            names[subject] = rest
    for prefix, ids in wanted.items():
        model, column = _BY_ID[prefix]
        for pk, name in await model.filter(id__in=sorted(ids)).values_list("id", column):
            shown = {"domain": to_unicode, "mailbox": to_unicode_address}.get(prefix, str)
            names[f"{prefix}:{pk}"] = shown(str(name))
    return {s: names.get(s, s) for s in given}


_PART_OF: Final = {"dns_drift": "record", "blacklist_listed": "zone"}
"""Kinds raised once per part of one subject (a domain's MX and its SPF drift apart; it is listed on two lists):
the data field that names the part."""


def part_of(kind: str, data: Mapping[str, Any]) -> str:
    """What an alert of `kind` is about within its subject ("MX", "dbl.spamhaus.org"), so the alerts of one domain
    read apart; "" for kinds raised once per subject."""
    field = _PART_OF.get(kind)
    value = str(data.get(field) or "") if field else ""
    return value.upper() if field == "record" else value

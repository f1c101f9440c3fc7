"""DMARC policy records (RFC 7489 6.3): syntax, the policy, and the `none → quarantine → reject` ladder.

A new sending domain starts at `p=none` with aggregate reports (`rua`) so problems show up before they
cost mail; stricter steps are proposed only after a clean period and applied only once a person approves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from engine.dns.records import Problem, parse_tag_list
from models.enums import DmarcPolicy

VERSION: Final = "DMARC1"
LADDER: Final = (DmarcPolicy.NONE, DmarcPolicy.QUARANTINE, DmarcPolicy.REJECT)
_POLICIES: Final = frozenset(p.value for p in DmarcPolicy)


@dataclass(frozen=True)
class DmarcRecord:
    """A parsed DMARC record; `policy` is None when `p` is missing or unknown."""

    tags: dict[str, str]
    policy: DmarcPolicy | None
    rua: tuple[str, ...]
    problems: tuple[Problem, ...]

    @property
    def valid(self) -> bool:
        return not any(not p.warning for p in self.problems)


def is_dmarc(text: str) -> bool:
    """True for a TXT value that claims to be DMARC: its first tag is `v=DMARC1` (RFC 7489 6.6.3)."""
    first = text.strip().split(";", 1)[0]
    name, _, value = first.partition("=")
    return name.strip().lower() == "v" and value.strip() == VERSION


_CLAIMS_DMARC: Final = re.compile(r"^\s*v\s*=\s*dmarc1(?![0-9a-z])", re.IGNORECASE)


def claims_dmarc(text: str) -> bool:
    """True for a TXT value that starts with `v=DMARC1`, even a broken one (`v=DMARC1 p=none`, `v=dmarc1;`):
    the records a DMARC plan may replace. Anything else at `_dmarc` (a report service's or a site's
    verification token) is someone else's and is left alone."""
    return bool(_CLAIMS_DMARC.match(text))


def parse_dmarc(text: str) -> DmarcRecord:
    """Parse a DMARC record; never raises: every defect becomes a `Problem`."""
    tags, syntax = parse_tag_list(text)
    problems = list(syntax)
    if not is_dmarc(text):
        problems.append(Problem("dns-problem-dmarc-version"))
    raw_policy = tags.get("p", "").lower()
    policy = DmarcPolicy(raw_policy) if raw_policy in _POLICIES else None
    if "p" not in tags:  # said apart: a person who never wrote p= is not helped by 'p="" is invalid'
        problems.append(Problem("dns-problem-dmarc-no-policy"))
    elif policy is None:
        problems.append(Problem("dns-problem-dmarc-policy", {"value": tags["p"]}))
    if "sp" in tags and tags["sp"].lower() not in _POLICIES:
        problems.append(Problem("dns-problem-dmarc-tag", {"tag": "sp", "value": tags["sp"]}))
    for tag in ("adkim", "aspf"):
        if tag in tags and tags[tag].lower() not in ("r", "s"):
            problems.append(Problem("dns-problem-dmarc-tag", {"tag": tag, "value": tags[tag]}))
    if "pct" in tags and not (tags["pct"].isdigit() and 0 <= int(tags["pct"]) <= 100):
        problems.append(Problem("dns-problem-dmarc-tag", {"tag": "pct", "value": tags["pct"]}))
    elif "pct" in tags and int(tags["pct"]) < 100 and policy in (DmarcPolicy.QUARANTINE, DmarcPolicy.REJECT):
        # RFC 7489 6.6.4: the mail not sampled gets the next weaker policy — p=quarantine; pct=0 enforces nothing
        weaker = LADDER[LADDER.index(policy) - 1]
        partial: dict[str, str | int] = {"pct": int(tags["pct"]), "policy": policy.value, "rest": weaker.value}
        problems.append(Problem("dns-problem-dmarc-pct", partial, warning=True))
    rua = _uris(tags.get("rua", ""))
    for tag in ("rua", "ruf"):
        bad = [uri for uri in _uris(tags.get(tag, "")) if not _uri_ok(uri)]
        problems += [Problem("dns-problem-dmarc-tag", {"tag": tag, "value": uri}) for uri in bad]
    if not rua:
        problems.append(Problem("dns-problem-dmarc-no-rua", warning=True))
    return DmarcRecord(tags, policy, rua, tuple(problems))


def _uris(value: str) -> tuple[str, ...]:
    return tuple(uri.strip() for uri in value.split(",") if uri.strip())


def _uri_ok(uri: str) -> bool:
    """A report URI is `mailto:` (a URI scheme, any case: RFC 3986 3.1) with an address, optionally followed by
    a size limit ("!10m")."""
    address = uri.partition("!")[0]
    scheme, colon, rest = address.partition(":")
    local, at, domain = rest.partition("@")
    return scheme.lower() == "mailto" and bool(colon) and bool(local) and bool(at) and "." in domain


def build_dmarc(policy: DmarcPolicy, rua: str) -> str:
    """The TXT value for `_dmarc`: the policy and aggregate reports to the address `rua`."""
    return f"v={VERSION}; p={policy.value}; rua=mailto:{rua.removeprefix('mailto:')}"


def with_policy(text: str, policy: DmarcPolicy) -> str:
    """The same record with only `p` changed, so tags someone added (pct, sp, ruf, …) survive a step."""
    tags, _ = parse_tag_list(text)
    tags.pop("v", None)
    tags["p"] = policy.value
    ordered = {"p": tags.pop("p"), **tags}
    return "; ".join([f"v={VERSION}", *(f"{name}={value}" for name, value in ordered.items())])


def next_policy(policy: DmarcPolicy) -> DmarcPolicy | None:
    """The next step of the ladder, None at `reject`."""
    index = LADDER.index(policy)
    return LADDER[index + 1] if index + 1 < len(LADDER) else None

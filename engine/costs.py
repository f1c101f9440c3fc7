"""What the fleet costs a month: domains, mailboxes and servers from the inventory, beside the same fleet on a
subscription (SaaS) outreach platform. Pure computation over counts (`monthly`), plus a loader (`workspace_cost`,
`agency_cost`) and the settings change (`set_cost`).

Defaults are the brief's figures (`/work/shared/BRIEF.ru.md`, "Оценка стоимости (₽/мес)"), midpoints of its ranges:

* a domain: 900–1,200 ₽ a year → 1,050 ₽;
* a mailbox: 50–100 ₽ a month → 75 ₽;
* self-hosted servers: 2–4 VPS at 800–2,000 ₽ a month → 3 × 1,400 ₽ (agency-wide; a workspace carries the share
  of its mailboxes);
* SaaS, agency plan: 10,000–30,000 ₽ a month → 20,000 ₽ (`saas_month`, agency-wide like the servers). The brief
  and the facts give no per-seat price, so `saas_seat_month` (₽ per mailbox-seat a month) defaults to 0 and an
  admin sets it for a per-seat platform.

Overrides: the agency's (`AgencySetting "costs"`, admins) under the workspace's (`Workspace.settings["costs"]`,
managers); every value is a whole number of roubles within `BOUNDS`. Money is `Decimal`, rounded to whole roubles
only when shown (`rub`).
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final

from babel.numbers import format_decimal

from engine.access import Actor, require_admin, require_manager
from engine.clock import Clock
from engine.errors import UserError
from engine.layered import LayerChange, change_layered
from models import AgencySetting, Domain, Mailbox, Workspace
from models.enums import DomainStatus, MailboxStatus

COSTS_KEY: Final = "costs"
"""`AgencySetting.key` and `Workspace.settings` key of the cost overrides."""
MONTHS_A_YEAR: Final = 12


@dataclass(frozen=True, slots=True)
class CostSettings:
    """Prices in whole roubles (defaults: the brief's midpoints, see the module docstring)."""

    domain_year: int = 1050  # a domain, a year (brief: 900–1,200 ₽)
    mailbox_month: int = 75  # a mailbox, a month (brief: 50–100 ₽)
    servers: int = 3  # self-hosted VPS (brief: 2–4)
    server_month: int = 1400  # one VPS, a month (brief: 800–2,000 ₽)
    saas_month: int = 20000  # a SaaS outreach platform, agency plan, a month (brief: 10,000–30,000 ₽)
    saas_seat_month: int = 0  # a SaaS price per mailbox-seat a month (no figure in the brief or facts)

    def with_values(self, values: Mapping[str, Any]) -> CostSettings:
        """A copy with `values` applied, each checked against `BOUNDS` (strings parsed as typed in chat)."""
        return dataclasses.replace(self, **{name: parse(name, value) for name, value in values.items()})

    @classmethod
    def resolve(cls, agency: Mapping[str, Any] | None, workspace: Mapping[str, Any] | None) -> CostSettings:
        """Defaults, then the agency's overrides, then the workspace's (`Workspace.settings`)."""
        own = (workspace or {}).get(COSTS_KEY) or {}
        return cls().with_values(dict(agency or {})).with_values(dict(own))


BOUNDS: Final[Mapping[str, tuple[int, int]]] = {
    "domain_year": (0, 20_000),
    "mailbox_month": (0, 5_000),
    "servers": (0, 100),
    "server_month": (0, 100_000),
    "saas_month": (0, 2_000_000),
    "saas_seat_month": (0, 50_000),
}
"""The range of every setting (inclusive, whole roubles or a count)."""
AGENCY_ONLY: Final = frozenset({"servers", "server_month", "saas_month"})
"""Shared by the whole agency: a workspace carries a share, it cannot set them."""


ROUBLES: Final = ("₽", "руб.", "руб", "р.", "р", "rub", "rur")
"""How a price in roubles is written after its number ("90 ₽", "90 руб.", "90 р", "90 RUB"), longest first."""
_FOREIGN: Final = re.compile(r"[$€£¥₸₴]|\b(?:usd|eur|gbp|cny|kzt|byn|uah|евро|долл\w*)\b", re.IGNORECASE)
"""Another currency: prices are whole roubles, so "5 $" is refused as such, not as "not a whole number"."""


def parse(name: str, value: Any) -> int:
    """`value` as a whole number within the bounds of `name`; `UserError("error-cost-setting-unknown"|
    "error-cost-setting"|"error-cost-currency", …)` otherwise. Group separators (spaces, "_") and roubles after
    the number ("₽", "руб", `ROUBLES`) are accepted; another currency is named as such."""
    bounds = BOUNDS.get(name)
    if bounds is None:
        raise UserError("error-cost-setting-unknown", name=str(name)[:40], known=", ".join(BOUNDS))
    shown = str(value)[:40]
    if isinstance(value, bool):
        raise UserError("error-cost-setting", name=name, value=shown, low=bounds[0], high=bounds[1])
    text = str(value)[:40].strip().lower()
    text = next((text.removesuffix(r) for r in ROUBLES if text.endswith(r)), text).strip()
    for sep in (" ", "\u00a0", "\u2009", "\u202f", "_"):
        text = text.replace(sep, "")
    if not text.isascii() or not text.isdigit() or not bounds[0] <= int(text) <= bounds[1]:
        key = "error-cost-currency" if _FOREIGN.search(shown) else "error-cost-setting"
        raise UserError(key, name=name, value=shown, low=bounds[0], high=bounds[1])
    return int(text)


@dataclass(frozen=True, slots=True)
class Fleet:
    """What is paid for: domains (reserve included: they are registered too) and mailboxes (not retired)."""

    domains: int
    mailboxes: int


@dataclass(frozen=True, slots=True)
class Cost:
    """One month, in roubles. `server_share`: the part of the agency's servers this fleet carries (1 for the
    agency). `saas_total`: the same fleet on a SaaS platform instead of own servers."""

    fleet: Fleet
    domains: Decimal
    mailboxes: Decimal
    servers: Decimal
    saas: Decimal

    @property
    def total(self) -> Decimal:
        return self.domains + self.mailboxes + self.servers

    @property
    def saas_total(self) -> Decimal:
        return self.domains + self.mailboxes + self.saas

    @property
    def per_mailbox(self) -> Decimal | None:
        """The month's total per mailbox; None for a fleet without mailboxes."""
        return self.total / self.fleet.mailboxes if self.fleet.mailboxes else None


def monthly(settings: CostSettings, fleet: Fleet, *, server_share: Decimal = Decimal(1)) -> Cost:
    """The month's cost of `fleet` at `settings`; the agency-wide items (servers, the SaaS plan) × `server_share`."""
    share = min(Decimal(1), max(Decimal(0), server_share))
    return Cost(
        fleet=fleet,
        domains=Decimal(fleet.domains) * settings.domain_year / MONTHS_A_YEAR,
        mailboxes=Decimal(fleet.mailboxes * settings.mailbox_month),
        servers=Decimal(settings.servers * settings.server_month) * share,
        saas=Decimal(settings.saas_month) * share + Decimal(fleet.mailboxes * settings.saas_seat_month),
    )


THIN_SPACE: Final = "\u202f"
"""A narrow no-break space: Russian groups digits with it (1 050 ₽), and a line never breaks inside a number."""


def rub(amount: Decimal | int, locale: str) -> str:
    """`amount` rounded to whole roubles, digits grouped as the locale does (ru: thin spaces), then "₽"."""
    whole = Decimal(amount).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    text = format_decimal(whole, format="#,##0", locale="ru" if locale == "ru" else "en")
    return text.replace("\u00a0", THIN_SPACE) + THIN_SPACE + "₽"


# --------------------------------------------------------------------------------------------------- loader


async def agency_costs() -> dict[str, Any]:
    """The agency's overrides (`AgencySetting "costs"`), {} when none."""
    row = await AgencySetting.get_or_none(key=COSTS_KEY)
    return dict(row.value) if row is not None and isinstance(row.value, dict) else {}


async def fleets() -> dict[int, Fleet]:
    """Domains and mailboxes paid for (not retired), per workspace not archived."""
    ids: list[int] = [
        int(str(i)) for i in await Workspace.filter(archived_at__isnull=True).values_list("id", flat=True)
    ]
    domains = Counter(
        int(str(w))
        for w in await Domain.filter(workspace_id__in=ids)
        .exclude(status=DomainStatus.RETIRED)
        .values_list("workspace_id", flat=True)
    )
    boxes = Counter(
        int(str(w))
        for w in await Mailbox.filter(workspace_id__in=ids)
        .exclude(status=MailboxStatus.RETIRED)
        .values_list("workspace_id", flat=True)
    )
    return {i: Fleet(domains=domains[i], mailboxes=boxes[i]) for i in ids}


@dataclass(frozen=True, slots=True)
class SpaceCost:
    workspace_id: int
    slug: str
    name: str
    settings: CostSettings
    cost: Cost


@dataclass(frozen=True, slots=True)
class AgencyCost:
    """Every workspace's month, and the agency's (servers and the SaaS plan counted once)."""

    spaces: tuple[SpaceCost, ...]
    total: Cost
    settings: CostSettings


def _share(fleet: Fleet, all_mailboxes: int, spaces: int) -> Decimal:
    """A workspace's part of the agency-wide items: its share of the mailboxes (equal parts when none has any)."""
    if all_mailboxes:
        return Decimal(fleet.mailboxes) / all_mailboxes
    return Decimal(1) / spaces if spaces else Decimal(0)


def seats(row: SpaceCost) -> Decimal:
    """What a workspace's mailboxes would pay a per-seat SaaS."""
    return Decimal(row.cost.fleet.mailboxes * row.settings.saas_seat_month)


async def agency_cost(actor: Actor) -> AgencyCost:
    """The month of every workspace and of the agency (admins). Raises `Forbidden`, `UserError("error-cost-
    setting", …)` when a stored override is out of bounds."""
    require_admin(actor)
    agency = await agency_costs()
    found = await fleets()
    spaces = {s.id: s for s in await Workspace.filter(id__in=list(found)).order_by("slug")}
    mailboxes = sum(f.mailboxes for f in found.values())
    rows = []
    for space in spaces.values():
        settings = CostSettings.resolve(agency, space.settings)
        fleet = found[space.id]
        cost = monthly(settings, fleet, server_share=_share(fleet, mailboxes, len(found)))
        rows.append(SpaceCost(space.id, space.slug, space.name, settings, cost))
    base = CostSettings.resolve(agency, None)
    total = Cost(
        fleet=Fleet(sum(f.domains for f in found.values()), mailboxes),
        domains=sum((r.cost.domains for r in rows), Decimal(0)),
        mailboxes=sum((r.cost.mailboxes for r in rows), Decimal(0)),
        servers=Decimal(base.servers * base.server_month),
        saas=Decimal(base.saas_month) + sum((seats(r) for r in rows), Decimal(0)),
    )
    return AgencyCost(tuple(rows), total, base)


async def workspace_cost(actor: Actor) -> SpaceCost:
    """The month of the actor's workspace (managers and admins; clients are refused: prices are the agency's)."""
    workspace_id = require_manager(actor)
    agency = await agency_costs()
    space = await Workspace.get(id=workspace_id)
    found = await fleets()
    fleet = found.get(workspace_id, Fleet(0, 0))
    settings = CostSettings.resolve(agency, space.settings)
    mailboxes = sum(f.mailboxes for f in found.values())
    cost = monthly(settings, fleet, server_share=_share(fleet, mailboxes, max(1, len(found))))
    return SpaceCost(space.id, space.slug, space.name, settings, cost)


async def set_cost(actor: Actor, clock: Clock, name: str, value: str, *, agency: bool = False) -> LayerChange:
    """Change one price within its bounds, audited: the workspace's (managers) or the agency's (admins; the
    agency-wide items only there). Raises `Forbidden`, `UserError("error-cost-setting-unknown"|
    "error-cost-setting"|"error-cost-agency-only", …)`."""
    key = name.strip().lower()
    number = parse(key, value)
    if key in AGENCY_ONLY and not agency:
        raise UserError("error-cost-agency-only", name=key)
    return await change_layered(
        actor, clock, key=COSTS_KEY, name=key, value=number, agency=agency, in_force=CostSettings.resolve,
        action="costs.setting",
    )  # fmt: skip

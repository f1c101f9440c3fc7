"""Warmup settings of a workspace: defaults in code, overrides in `Workspace.settings["warmup"]`, every value
checked against safe bounds (a ramp too steep or a target too high burns the domains it should protect)."""

from __future__ import annotations

import contextlib
import dataclasses
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from engine.errors import UserError

Pool = Literal["workspace", "agency"]


@dataclass(frozen=True, slots=True)
class WarmupSettings:
    """How warmup runs for the mailboxes of one workspace."""

    start_per_day: int = 2  # emails on day 1
    step_per_day: int = 1  # added each day (before the daily variance)
    target_per_day: int = 40  # the plateau
    weeks: int = 6  # minimum warmup period before a mailbox may graduate to campaigns
    variance: float = 0.15  # ± share of daily jitter, so the volume never looks machine-made
    weekdays_only: bool = False
    reply_probability: float = 0.3  # share of warmup mail the receiving mailbox answers
    flag_probability: float = 0.2  # share marked important
    min_placement: float = 0.85  # inbox share needed to graduate
    maintenance_share: float = 0.2  # share of the daily cap kept for warmup after graduation
    pool: Pool = "workspace"  # "agency": pair with other workspaces' mailboxes too (the client opted in)

    @classmethod
    def from_workspace(cls, settings: Mapping[str, Any] | None) -> WarmupSettings:
        """The workspace's warmup settings (`settings["warmup"]`), defaults for what it does not set.

        Raises `UserError("error-warmup-setting", name=…, value=…, bounds=…)` for a value out of bounds or of the
        wrong type, and `UserError("error-warmup-setting-unknown", name=…, known=…)` for an unknown name.
        """
        overrides = dict((settings or {}).get("warmup") or {})
        return cls().with_values(overrides)

    @classmethod
    def in_effect(cls, settings: Mapping[str, Any] | None) -> WarmupSettings:
        """The workspace's warmup settings as the engine runs them: `from_workspace`, except that a stored value out
        of today's bounds (stored before a bound tightened, or an unknown name) is its default — that value alone:
        one stale value neither stops the planners, the graduation check and `/warmup_settings` (which could then not
        even put it right) nor throws away the workspace's other choices."""
        current = cls()
        for name, value in dict((settings or {}).get("warmup") or {}).items():
            with contextlib.suppress(UserError):
                current = current.with_values({name: value})
        return current

    def with_values(self, values: Mapping[str, Any]) -> WarmupSettings:
        """A copy with `values` applied (names as the fields; strings are parsed, as typed in chat)."""
        changes = {name: _parse(name, value) for name, value in values.items()}
        return dataclasses.replace(self, **changes)  # the bounds keep start (≤ 5) below target (≥ 10)

    def to_json(self) -> dict[str, Any]:
        """What `Workspace.settings["warmup"]` stores: only the values that differ from the defaults."""
        default = WarmupSettings()
        return {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if getattr(self, f.name) != getattr(default, f.name)
        }


BOUNDS: Final[Mapping[str, tuple[float, float] | tuple[str, ...]]] = {
    "start_per_day": (1, 5),
    "step_per_day": (1, 5),
    "target_per_day": (10, 50),
    "weeks": (4, 8),
    "variance": (0.0, 0.2),
    "weekdays_only": ("true", "false"),
    "reply_probability": (0.0, 0.6),
    "flag_probability": (0.0, 0.5),
    "min_placement": (0.5, 0.99),
    "maintenance_share": (0.1, 0.5),
    "pool": ("workspace", "agency"),
}
"""The safe range of every setting (numbers: inclusive minimum and maximum; the rest: the allowed words)."""


def setting_name(name: str) -> str:
    """A setting's name as typed (any case, spaces around it), or `UserError("error-warmup-setting-unknown")`."""
    key = name.strip().lower()
    if key not in BOUNDS:
        raise UserError("error-warmup-setting-unknown", name=name[:40], known=", ".join(BOUNDS))
    return key


_TRUE: Final = {"true", "yes", "on", "1", "да"}
_FALSE: Final = {"false", "no", "off", "0", "нет"}


_PER_DAY: Final = re.compile(r"(писем|письма|письмо|emails?|mails?)?\s*((/|в|per|a)\s*)?(день|дн\.?|д\.?|day|d)?")
_UNITS: Final[Mapping[str, re.Pattern[str]]] = {
    "start_per_day": _PER_DAY,
    "step_per_day": _PER_DAY,
    "target_per_day": _PER_DAY,
    "weeks": re.compile(r"нед\.?|неделя|недели|недель|н\.?|weeks?|wks?|w"),
}
"""The units a count may be typed with, as the texts write them ("30/день", "30 писем в день", "4 нед", "4 weeks"):
refused, "4 нед" read as "cannot be «4 нед»: allowed 4–8". Only the setting's own unit: "4 дня" is no number of
weeks."""


def _without_unit(name: str, text: str) -> str:
    """`text` without the trailing unit of setting `name`, when it has one of `_UNITS[name]`."""
    found = re.fullmatch(r"([+-]?[\d.]+)\s*(\S.*)", text)
    unit = _UNITS.get(name)
    if found is None or unit is None or not unit.fullmatch(" ".join(found[2].lower().split())):
        return text
    return found[1]


def _parse(name: str, value: Any) -> Any:
    bounds = BOUNDS.get(name)
    if bounds is None:
        raise UserError("error-warmup-setting-unknown", name=str(name)[:40], known=", ".join(BOUNDS))
    default = getattr(WarmupSettings(), name)
    shown = str(value)[:40]
    if isinstance(default, bool):
        word = str(value).strip().lower()
        if isinstance(value, bool) or word in _TRUE | _FALSE:
            return value if isinstance(value, bool) else word in _TRUE
        raise UserError("error-warmup-setting", name=name, value=shown, bounds="true | false")
    if isinstance(default, str):
        word = str(value).strip().lower()
        if word not in bounds:
            raise UserError("error-warmup-setting", name=name, value=shown, bounds=" | ".join(map(str, bounds)))
        return word
    low, high = bounds
    assert isinstance(low, int | float) and isinstance(high, int | float)
    is_int = isinstance(default, int)
    text = _without_unit(name, str(value).strip().replace(",", "."))
    percent = text.endswith("%")
    try:
        number = float(text.removesuffix("%").strip())
    except ValueError:
        number = float("nan")
    if not is_int and (percent or (number > 1 and high <= 1)):
        number /= 100  # a share typed as a percent ("85 %" or "85"), as the warmup card shows it
    if is_int and (percent or (math.isfinite(number) and number != int(number))):
        number = float("nan")  # a count is whole ("30.0" is 30) and never a percent
    if not low <= number <= high:  # NaN fails too
        raise UserError("error-warmup-setting", name=name, value=shown, bounds=f"{low}–{high}")
    return int(number) if is_int else round(number, 4)

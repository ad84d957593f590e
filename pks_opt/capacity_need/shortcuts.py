"""Scenario shortcuts of the need level (see :mod:`pks_opt.scenario`).

``demand_pct``  — change demand by a percentage: ``{shortcut: demand_pct, pct: 10, unit: WARD,
planning_object: admission, period: 2026}`` (all but ``pct`` optional). Scales
``base_volume`` of the matching demand rows (rows that take a share of their parent follow
the parent, so they are left alone).

``staff_fte``   — change staff FTE in a unit: ``{shortcut: staff_fte, unit: WARD,
function: rn, delta: -2}`` (``function`` optional; ``delta`` FTE added to each matching row)
or ``pct: -10`` to scale instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pks_opt.scenario import register_shortcut
from pks_opt.scenario import shortcut_no_extra as _no_extra
from pks_opt.scenario import shortcut_number as _number


def _filters(args: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: args[k] for k in keys if k in args}


@register_shortcut("demand_pct")
def demand_pct(args: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``demand_pct``: base volumes scaled by ``pct`` (optionally of one unit, object, period)."""
    _no_extra(args, {"pct", "unit", "planning_object", "period"})
    factor = 1 + _number(args, "pct") / 100
    if factor < 0:
        raise ValueError("'pct' below -100 would make demand negative")
    change: dict[str, Any] = {
        "table": "demand",
        "scale": {"base_volume": factor},
        "skip_blank": True,
    }
    where = _filters(args, ("unit", "planning_object", "period"))
    if where:
        change["where"] = where
    return [change]


@register_shortcut("staff_fte")
def staff_fte(args: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``staff_fte``: a unit's (or function's) FTE changed by ``delta`` or ``pct``."""
    _no_extra(args, {"unit", "function", "delta", "pct"})
    where = _filters(args, ("unit", "function"))
    if "unit" not in where:
        raise KeyError("unit")
    if ("delta" in args) == ("pct" in args):
        raise ValueError("give one of 'delta' (FTE) and 'pct'")
    if "delta" in args:
        return [{"table": "staff", "where": where, "add": {"fte": _number(args, "delta")}}]
    return [{"table": "staff", "where": where, "scale": {"fte": 1 + _number(args, "pct") / 100}}]

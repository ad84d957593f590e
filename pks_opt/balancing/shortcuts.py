"""Scenario shortcuts of the balancing level (see :mod:`pks_opt.scenario`).

Each translates into generic table changes, so the variant is re-validated like the base and
a unit that does not exist is reported as "no row of table … has unit 'X'" (exit 2).

``budget_change``  ``{shortcut: budget_change, unit: MED, delta: 1500000}`` (SEK added to the
budget of ``unit``; default ``TOTAL``) or ``pct: 5`` to scale it.

``close_unit``     ``{shortcut: close_unit, unit: KIR}``: all its staff FTE, rooms and staffed
beds set to 0 (the unit must exist in ``units``; tables without rows for it are skipped), or
``tables: [staff, beds]`` to close only those (each named table must have rows for the unit);
its need must then be produced by capable units, bought, postponed or left unmet.

``add_contract``   ``{shortcut: add_contract, planning_object: hip_replacement, tier:
existing_contract, provider: X, price_per_activity: 90000, capacity_per_period: 30}``: a new
purchase option (appended to ``purchases``).

``fte_change``     ``{shortcut: fte_change, unit: MEDCLIN, function: specialists, delta: 2}``:
the need level's ``staff_fte`` under the name the balancing docs use.

``demand_pct`` is registered by the need level (:mod:`pks_opt.capacity_need.shortcuts`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pks_opt.balancing.data import TOTAL
from pks_opt.scenario import register_shortcut
from pks_opt.scenario import shortcut_no_extra as _no_extra
from pks_opt.scenario import shortcut_number as _number

CLOSE_COLUMNS = {"staff": "fte", "rooms": "rooms", "beds": "staffed_beds"}


@register_shortcut("budget_change")
def budget_change(args: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``budget_change``: a unit's (or the total) budget changed by ``delta`` SEK or ``pct``."""
    _no_extra(args, {"unit", "delta", "pct"})
    where = {"unit": str(args.get("unit", TOTAL))}
    if ("delta" in args) == ("pct" in args):
        raise ValueError("give one of 'delta' (SEK) and 'pct'")
    if "delta" in args:
        return [{"table": "budgets", "where": where, "add": {"budget": _number(args, "delta")}}]
    factor = 1 + _number(args, "pct") / 100
    return [{"table": "budgets", "where": where, "scale": {"budget": factor}}]


@register_shortcut("close_unit")
def close_unit(args: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``close_unit``: a unit's staff, rooms and beds (or the ``tables`` named) set to 0."""
    _no_extra(args, {"unit", "tables"})
    unit = str(args["unit"])
    if "tables" not in args:
        # the whole unit: it must exist; staff, rooms and beds wherever it has rows
        changes: list[dict[str, Any]] = [
            {"table": "units", "where": {"unit": unit}, "set": {"unit": unit}}
        ]
        for t, col in CLOSE_COLUMNS.items():
            changes.append(
                {"table": t, "where": {"unit": unit}, "set": {col: 0}, "if_present": True}
            )
        return changes
    tables = args["tables"]
    if isinstance(tables, str):
        tables = [tables]
    if not isinstance(tables, list) or not tables:
        raise ValueError("'tables' must be a list of staff, rooms, beds")
    changes = []
    for t in tables:
        if t not in CLOSE_COLUMNS:
            raise ValueError(f"cannot close through table '{t}' (use staff, rooms, beds)")
        changes.append({"table": t, "where": {"unit": unit}, "set": {CLOSE_COLUMNS[t]: 0}})
    return changes


@register_shortcut("add_contract")
def add_contract(args: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``add_contract``: one purchase contract appended to ``purchases``."""
    allowed = {"planning_object", "tier", "provider", "price_per_activity", "capacity_per_period"}
    _no_extra(args, allowed)
    row = {k: args[k] for k in ("planning_object", "tier", "provider", "price_per_activity")}
    if "capacity_per_period" in args:
        row["capacity_per_period"] = args["capacity_per_period"]
    return [{"table": "purchases", "append": [row]}]


@register_shortcut("fte_change")
def fte_change(args: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``fte_change``: the same as the need level's ``staff_fte``."""
    from pks_opt.capacity_need.shortcuts import staff_fte

    return staff_fte(args)

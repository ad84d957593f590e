"""Re-balancing the rest of the year from what happened (``pks balance --actuals A``).

The actuals (:mod:`pks_opt.followup.actuals`) are weekly, per unit and planning object, in the
plan's weeks; the plan year's quarters are 13 weeks each, in order (as ``pks plan
--from-balance`` maps them). A quarter is **done** when every unit in the actuals has all its 13
weeks. In a done quarter (R0 of ``models/balancing.md``):

- every decision of the balance made before (moves, increases, purchases, production at other
  units, waiting-list production) stays as it was: the past happened;
- a unit with actuals produced what it did: its own production of an object is the actual
  production, and the need of that quarter is what really joined (the actual inflow, or the
  production when more was produced than joined: the queue was worked down); what it did not
  produce is postponed to the next quarter or unmet, as the balance's rules allow;
- no capacity row binds (the past's capacity is not a choice).

Quarters after the last done one are balanced again, with the backlog the actuals left.
"""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import pandas as pd

from pks_opt.balancing.data import BalancingData
from pks_opt.errors import InputError
from pks_opt.followup.actuals import Actuals

WEEKS_PER_QUARTER = 13
QUARTER = re.compile(r"^\d{4}-?Q[1-4]$")


def year_periods(data: BalancingData, year: str | None) -> list[str]:
    """Pick the plan year's periods: those of ``year`` (``2027Q1``…), or the first four."""
    from pks_opt.calendar import plan_year_periods

    return plan_year_periods(list(data.figures.periods), year)


def apply_actuals(
    data: BalancingData,
    original: dict[str, dict[Any, float]],
    actuals: Actuals,
    year: str | None = None,
) -> tuple[BalancingData, list[str], pd.DataFrame]:
    """Fix the done quarters (R0) from ``original`` (a solve's values) and the actuals.

    Gives the data so fixed, notes, and one row per unit × object × done quarter.

    Raises
    ------
    InputError
        Periods that are not quarters, a unit or planning object the instance does not have,
        or no quarter done.
    """
    fig = data.figures
    periods = year_periods(data, year)
    _check_actuals(data, actuals, periods)
    units = actuals.units()
    done = min(len(_complete_weeks(actuals, u)) // WEEKS_PER_QUARTER for u in units)
    if done == 0:
        raise InputError(
            "no quarter is done: every unit in the actuals needs weeks 1–13 at least",
            file=actuals.tables["production"].where,
            field="week",
        )
    past = periods[:done]
    produced, joined = _done_quarter_sums(actuals, periods, done)
    actual_keys = {(u, o) for (u, o, _p) in produced}
    fixed = _fix_past_decisions(data.fixed, original, past, actual_keys)
    need = dict(fig.production_need)
    rows: list[dict[str, Any]] = []
    for (u, o, p), amount in sorted(produced.items()):
        others = _made_by_others(original, u, o, p)
        before = need.get((u, o, p), 0.0)
        need[(u, o, p)] = max(joined[(u, o, p)], amount + others)
        fixed[("x", (u, u, o, p))] = amount
        rows.append(
            {
                "unit": u,
                "planning_object": o,
                "period": p,
                "need_planned": round(before, 2),
                "joined": round(joined[(u, o, p)], 2),
                "produced": amount,
                "planned_production": round(original.get("x", {}).get((u, u, o, p), 0.0), 2),
                "by_others_or_bought": round(others, 2),
                "need_used": round(need[(u, o, p)], 2),
            }
        )
    new_fig = dataclasses.replace(fig, production_need=need)
    notes = [
        f"{', '.join(past)} done: decisions fixed as balanced, capacity not binding; "
        f"{len(actual_keys)} unit × object(s) at their actual production and need"
    ]
    return (
        dataclasses.replace(data, figures=new_fig, fixed=fixed, past_periods=frozenset(past)),
        notes,
        pd.DataFrame(rows),
    )


def _check_actuals(data: BalancingData, actuals: Actuals, periods: list[str]) -> None:
    """Refuse actuals that do not fit the instance.

    Raise :class:`InputError` unless the periods are quarters and every actuals row names a
    unit and planning object of the instance and a week of the plan year.
    """
    fig = data.figures
    t_prod = actuals.tables["production"]
    if not all(QUARTER.match(p) for p in periods):
        raise InputError(
            f"--actuals needs quarterly periods (2027Q1…) to map weeks to; the instance has "
            f"{', '.join(periods)}",
            field="--actuals",
        )
    last_week = WEEKS_PER_QUARTER * len(periods)
    for i, a in enumerate(actuals.production):
        if a.unit not in fig.units:
            message, field = f"unit '{a.unit}' is not a unit of the strategic instance", "unit"
        elif a.planning_object not in fig.planning_objects:
            message = f"planning object '{a.planning_object}' is not in the strategic instance"
            field = "planning_object"
        elif a.week > last_week:
            message = f"week {a.week} is after the plan year's last week {last_week}"
            field = "week"
        else:
            continue
        raise InputError(message, file=t_prod.where, row=t_prod.row_number(i), field=field)


def _done_quarter_sums(
    actuals: Actuals, periods: list[str], done: int
) -> tuple[dict[tuple[str, str, str], float], dict[tuple[str, str, str], float]]:
    """Production and inflow per unit × object × period of the first ``done`` quarters."""
    produced: dict[tuple[str, str, str], float] = defaultdict(float)
    joined: dict[tuple[str, str, str], float] = defaultdict(float)
    for row in actuals.production:
        q = (row.week - 1) // WEEKS_PER_QUARTER
        if q < done:
            produced[(row.unit, row.planning_object, periods[q])] += row.production
            joined[(row.unit, row.planning_object, periods[q])] += row.inflow
    return produced, joined


#: position of the period in each variable family's key
_PERIOD_POS = {"x": 3, "buy": 2, "d": 2, "s": 2, "q": 2, "m": 1, "y": 1, "z": 1, "w": 1}


def _fix_past_decisions(
    fixed_before: Mapping[tuple[str, Any], float],
    original: dict[str, dict[Any, float]],
    past: list[str],
    actual_keys: set[tuple[str, str]],
) -> dict[tuple[str, Any], float]:
    """Fix every decision of ``original`` in a done quarter, on top of ``fixed_before``.

    Except what the actuals of a unit × object decide.
    """
    fixed: dict[tuple[str, Any], float] = dict(fixed_before)
    for family, values in original.items():
        pos = _PERIOD_POS[family]
        for key, value in values.items():
            # a shift in time (k, from, to) is done when either of its periods is
            if key[pos] not in past and not (family == "w" and key[2] in past):
                continue
            if family in ("s", "d") and (key[0], key[1]) in actual_keys:
                continue  # what was left of the unit's need follows from its actuals
            if family == "x" and key[0] == key[1] and (key[0], key[2]) in actual_keys:
                continue  # set below from the actuals
            fixed[(family, key)] = value
    return fixed


def _made_by_others(original: dict[str, dict[Any, float]], u: str, o: str, p: str) -> float:
    """Sum what ``original`` had others produce, or bought, of ``u``'s need of ``o`` in ``p``."""
    moved = sum(
        v
        for (h, v_, oo, pp), v in original.get("x", {}).items()
        if h == u and oo == o and pp == p and v_ != u
    )
    bought = sum(
        v
        for (h, oo, pp, _t), v in original.get("buy", {}).items()
        if h == u and oo == o and pp == p
    )
    return moved + bought


def _complete_weeks(actuals: Actuals, unit: str) -> list[int]:
    """Weeks 1, 2, … of ``unit`` without a gap."""
    weeks = actuals.weeks(unit)
    out: list[int] = []
    for w in weeks:
        if w != len(out) + 1:
            break
        out.append(w)
    return out

"""The hand-over from the strategic level (``pks plan --from-balance DIR --unit U``).

The plan is built on the *balanced* goals (seed 000, area 2), so everything the balance agreed
for the unit comes down, per period of the plan year:

- **goals**: ``production_goals.csv`` ``goal`` per planning object and period — what the unit
  is to produce (its own need, need of other units it produces, waiting-list reduction). They
  bind per period (``models/production_plan.md`` R6); a period's weeks are the plan's weeks
  split evenly over the year's periods, in order (52 weeks, 4 quarters: 13 each).
- **need that stays**: of the unit's own need in a period, the share produced by other units
  (``by_other_units``) or bought (``purchased``) leaves the unit's waiting list; the plan's
  inflow in that period's weeks is scaled by (need − by others − bought) ÷ need. Need the
  unit produces for other units (``for_other_units``) joins its inflow, spread like it.
- **capacity after the balance's actions**: a plan resource with a ``balance_resource``
  (``resources.csv``) gets, per period, the balance's ``available_after`` from
  ``utilisation.csv`` (after moves in and out and increases), spread over the period's weeks by
  the instance's own weekly profile (its available hours). Resources without one (rooms the
  balance does not plan) keep the instance's hours.

Everything that was changed is reported in two tables (``handover_goals``,
``handover_capacity``) so the hand-over can be checked against the balance line by line.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from pks_opt.calendar import plan_year_periods
from pks_opt.errors import InputError
from pks_opt.io import read_result_csv
from pks_opt.production_plan.data import PlanData, PlanningObject, Resource

GOALS_FILE = "production_goals.csv"
UTILISATION_FILE = "utilisation.csv"
GOAL_COLUMNS = ("unit", "planning_object", "period", "goal")
#: breakdown columns of production_goals.csv (0 when an older result lacks them)
SHARE_COLUMNS = ("need", "for_other_units", "by_other_units", "purchased")
CAPACITY_COLUMNS = ("unit", "resource", "period", "available_after")


@dataclass(frozen=True)
class BalanceHandover:
    """What the balance agreed for one unit in the plan year's periods."""

    unit: str
    source: Path
    periods: tuple[str, ...]
    goals: dict[tuple[str, str], float]  # (planning object, period) → goal
    breakdown: dict[tuple[str, str], dict[str, float]]  # (object, period) → need, by others…
    capacity: dict[tuple[str, str], float]  # (balance resource, period) → available after
    has_capacity: bool  # utilisation.csv was there

    @property
    def objects(self) -> list[str]:
        """Planning objects the balance set a goal for, sorted."""
        return sorted({o for o, _ in self.goals})


def _read_table(
    path: Path, required: tuple[str, ...], what: str
) -> list[tuple[int, dict[str, str]]]:
    """(spreadsheet row, record) of a balancing result's table."""
    df = read_result_csv(
        path, required, missing=f"missing: --from-balance needs the balancing result's {what}"
    )
    return [
        (i + 2, {str(k): str(v) for k, v in rec.items()})
        for i, rec in enumerate(df.to_dict("records"))
    ]


def _number(text: str, path: Path, row: int, field: str) -> float:
    try:
        value = float(text) if text != "" else 0.0
    except ValueError:
        raise InputError(
            f"not a number (got {text!r})", file=str(path), row=row, field=field
        ) from None
    if not math.isfinite(value) or value < 0:
        raise InputError(
            f"must be a finite number ≥ 0 (got {text!r})", file=str(path), row=row, field=field
        )
    return value


def read_balance_handover(folder: Path, unit: str, year: str | None = None) -> BalanceHandover:
    """Read what the balance in ``folder`` agreed for ``unit`` in the plan year.

    The plan year's periods are those starting with ``year``, or without it the first four
    distinct periods of ``production_goals.csv``.

    Raises
    ------
    InputError
        Missing folder, file or column; a number that is not finite and ≥ 0; an unknown unit;
        no period of the year.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("no such folder (expected a balancing result)", file=str(folder))
    path = folder / GOALS_FILE
    rows = _read_table(path, GOAL_COLUMNS, "production goals")
    parsed: list[tuple[str, str, str, dict[str, float]]] = []
    for row, rec in rows:
        u, obj, period = rec["unit"], rec["planning_object"], rec["period"]
        if not u or not obj or not period:
            field = "unit" if not u else "planning_object" if not obj else "period"
            raise InputError("missing value", file=str(path), row=row, field=field)
        if rec["goal"] == "":
            raise InputError("missing value", file=str(path), row=row, field="goal")
        nums = {"goal": _number(rec["goal"], path, row, "goal")}
        for col in SHARE_COLUMNS:
            nums[col] = _number(rec.get(col, ""), path, row, col)
        parsed.append((u, obj, period, nums))
    units = sorted({p[0] for p in parsed})
    if unit not in units:
        raise InputError(
            f"unit '{unit}' has no goals (units in the file: {', '.join(units) or 'none'})",
            file=str(path),
            field="unit",
        )
    periods = plan_year_periods(
        list(dict.fromkeys(p[2] for p in parsed)),
        None if year is None else str(year),
        file=str(path),
        field="period",
    )
    chosen = set(periods)
    goals: dict[tuple[str, str], float] = {}
    breakdown: dict[tuple[str, str], dict[str, float]] = {}
    for u, obj, period, nums in parsed:
        if u == unit and period in chosen:
            goals[(obj, period)] = goals.get((obj, period), 0.0) + nums["goal"]
            acc = breakdown.setdefault((obj, period), dict.fromkeys(SHARE_COLUMNS, 0.0))
            for col in SHARE_COLUMNS:
                acc[col] += nums[col]
    capacity: dict[tuple[str, str], float] = {}
    cap_path = folder / UTILISATION_FILE
    has_capacity = cap_path.is_file()
    if has_capacity:
        for row, rec in _read_table(cap_path, CAPACITY_COLUMNS, "utilisation table"):
            if rec["unit"] == unit and rec["period"] in chosen:
                capacity[(rec["resource"], rec["period"])] = _number(
                    rec["available_after"], cap_path, row, "available_after"
                )
    return BalanceHandover(unit, folder, tuple(periods), goals, breakdown, capacity, has_capacity)


QUARTER = re.compile(r"^\d{4}-?Q[1-4]$")
WEEKS_PER_QUARTER = 13


def plan_periods_of(num_weeks: int, periods: tuple[str, ...]) -> tuple[tuple[str, ...], list[str]]:
    """List the periods a plan of ``num_weeks`` covers, with warnings.

    Quarters (``2027Q1``) are 13 weeks each: a 26-week plan covers the first two, a 52-week
    plan four; a plan that is no whole number of quarters (± 1 week) is bad input. Other
    periods are all taken and the weeks split evenly over them (a warning when uneven).
    """
    if periods and all(QUARTER.match(p) for p in periods):
        k = max(1, round(num_weeks / WEEKS_PER_QUARTER))
        if abs(num_weeks - WEEKS_PER_QUARTER * k) > 1:
            raise InputError(
                f"the plan has {num_weeks} weeks, not a whole number of 13-week quarters of the "
                f"balance ({', '.join(periods)})",
                field="weeks",
            )
        if k > len(periods):
            raise InputError(
                f"the plan's {num_weeks} weeks cover {k} quarters, the balance's year has "
                f"{len(periods)} ({', '.join(periods)})",
                field="weeks",
            )
        chosen = periods[:k]
        warnings = (
            [f"the plan's {num_weeks} weeks cover the quarters {', '.join(chosen)} only"]
            if k < len(periods)
            else []
        )
        return chosen, warnings
    warnings = (
        [
            f"the plan's {num_weeks} weeks are split evenly over the balance's periods "
            f"{', '.join(periods)} (not equally long)"
        ]
        if periods and num_weeks % len(periods)
        else []
    )
    return periods, warnings


def period_weeks(num_weeks: int, periods: tuple[str, ...]) -> dict[str, tuple[int, int]]:
    """Period → (first, last) week, 1-based, in order.

    Quarters are 13 weeks each (the last takes what is left, ± 1); other periods share the
    weeks evenly, the first N mod k one week more.
    """
    k = len(periods)
    if k and all(QUARTER.match(p) for p in periods) and abs(num_weeks - 13 * k) <= 1:
        return {
            p: (
                WEEKS_PER_QUARTER * i + 1,
                num_weeks if i == k - 1 else WEEKS_PER_QUARTER * (i + 1),
            )
            for i, p in enumerate(periods)
        }
    if num_weeks < k:
        raise InputError(
            f"the plan has {num_weeks} week(s), fewer than the balance's {k} periods of the year",
            field="weeks",
        )
    size, extra = divmod(num_weeks, k)
    out: dict[str, tuple[int, int]] = {}
    first = 1
    for i, p in enumerate(periods):
        length = size + (1 if i < extra else 0)
        out[p] = (first, first + length - 1)
        first += length
    return out


HANDOVER_CAPACITY_COLUMNS = [
    "resource",
    "balance_resource",
    "period",
    "weeks",
    "balance_available",
    "plan_hours_before",
    "plan_hours_after",
    "per_week_after",
]


def apply_balance_handover(
    data: PlanData, ho: BalanceHandover
) -> tuple[PlanData, list[str], dict[str, pd.DataFrame]]:
    """Give unit ``ho.unit``'s plan data the balance's goals, the need that stays and capacity.

    Returns the new data, warnings (objects on one side only, resources the balance does not
    plan) and the hand-over tables.
    """
    matched, warnings = _matched_objects(data, ho)
    periods, more = plan_periods_of(data.num_weeks, ho.periods)
    warnings += more
    weeks = period_weeks(data.num_weeks, periods)
    goal_rows: list[dict[str, Any]] = []
    changes: dict[str, dict[str, Any]] = {}
    for o in data.objects:
        if o.id in matched:
            changes[o.id] = _object_goals(o, ho, periods, weeks, goal_rows)
    cap_rows: list[dict[str, Any]] = []
    res_changes: dict[str, dict[str, Any]] = {}
    for r in data.resources:
        change = _resource_hours(r, ho, periods, weeks, cap_rows, warnings)
        if change is not None:
            res_changes[r.id] = change
    tables = {
        "handover_goals": pd.DataFrame(goal_rows),
        "handover_capacity": pd.DataFrame(cap_rows, columns=HANDOVER_CAPACITY_COLUMNS),
    }
    return data.replace(changes, res_changes, unit=ho.unit), warnings, tables


def _matched_objects(data: PlanData, ho: BalanceHandover) -> tuple[list[str], list[str]]:
    """Match the plan's objects to goals in the balance, warning of those on one side only."""
    ids = [o.id for o in data.objects]
    matched = [oid for oid in ids if any(o == oid for o, _ in ho.goals)]
    if not matched:
        raise InputError(
            f"none of the plan's planning objects ({', '.join(ids)}) has a goal for unit "
            f"'{ho.unit}' (the balance has: {', '.join(ho.objects) or 'none'})",
            file=str(ho.source / GOALS_FILE),
            field="planning_object",
        )
    warnings = [
        f"planning object '{oid}' has no goal for unit '{ho.unit}' in the balance: keeps the "
        "instance's goal"
        for oid in ids
        if oid not in matched
    ]
    warnings += [
        f"the balance's planning object '{oid}' (unit '{ho.unit}') is not in the plan: ignored"
        for oid in ho.objects
        if oid not in ids
    ]
    return matched, warnings


def _object_goals(
    o: PlanningObject,
    ho: BalanceHandover,
    periods: tuple[str, ...],
    weeks: Mapping[str, tuple[int, int]],
    goal_rows: list[dict[str, Any]],
) -> dict[str, Any]:
    """Give one object's goal periods and inflow from the balance.

    The inflow is the need that stays plus what other units send; its rows of
    ``handover_goals`` are appended to ``goal_rows``.
    """
    inflow = list(o.inflow)
    goal_periods = []
    for p in periods:
        first, last = weeks[p]
        span = range(first - 1, last)
        goal = ho.goals.get((o.id, p), 0.0)
        b = ho.breakdown.get((o.id, p), dict.fromkeys(SHARE_COLUMNS, 0.0))
        need = b["need"]
        gone = b["by_other_units"] + b["purchased"]
        stays = max(0.0, need - gone) / need if need > 0 else 1.0
        before = sum(inflow[w] for w in span)
        weights = [inflow[w] for w in span] if before > 0 else [1.0 for _ in span]
        total_w = sum(weights)
        for w, wt in zip(span, weights, strict=True):
            inflow[w] = inflow[w] * stays + b["for_other_units"] * wt / total_w
        goal_periods.append({"period": p, "first_week": first, "last_week": last, "goal": goal})
        goal_rows.append(
            {
                "planning_object": o.id,
                "period": p,
                "weeks": f"{first}–{last}",
                "agreed_goal": round(goal, 2),
                "balance_need": round(need, 2),
                "by_other_units": round(b["by_other_units"], 2),
                "purchased": round(b["purchased"], 2),
                "for_other_units": round(b["for_other_units"], 2),
                "share_staying": round(stays, 4),
                "plan_inflow_before": round(before, 2),
                "plan_inflow_after": round(sum(inflow[w] for w in span), 2),
            }
        )
    return {
        "goal_periods": goal_periods,
        "goal_source": "balance",
        "annual_goal": None,
        "inflow": tuple(inflow),
    }


def _resource_hours(
    r: Resource,
    ho: BalanceHandover,
    periods: tuple[str, ...],
    weeks: Mapping[str, tuple[int, int]],
    cap_rows: list[dict[str, Any]],
    warnings: list[str],
) -> dict[str, Any] | None:
    """Give one resource's hours as the balance gives them (None: it keeps the instance's).

    Its rows of ``handover_capacity`` are appended to ``cap_rows``.
    """
    if r.balance_resource is None:
        warnings.append(f"resource '{r.id}' has no balance_resource: keeps the instance's hours")
        return None
    if not ho.has_capacity:
        warnings.append(
            f"{ho.source / UTILISATION_FILE} is missing: resource '{r.id}' keeps the "
            "instance's hours"
        )
        # its hours are not the balance's: nothing to confirm upward (feedback.csv)
        return {"balance_resource": None}
    balance_resources = sorted({res for res, _ in ho.capacity})
    if r.balance_resource not in balance_resources:
        raise InputError(
            f"balance_resource '{r.balance_resource}' of resource '{r.id}' has no capacity "
            f"for unit '{ho.unit}' in the balance (it has: "
            f"{', '.join(balance_resources) or 'none'})",
            file=str(ho.source / UTILISATION_FILE),
            field="resource",
        )
    hours = list(r.available_hours)
    for p in periods:
        first, last = weeks[p]
        span = range(first - 1, last)
        given = ho.capacity.get((r.balance_resource, p), 0.0)
        before = sum(hours[w] for w in span)
        weights = [hours[w] for w in span] if before > 0 else [1.0 for _ in span]
        total_w = sum(weights)
        for w, wt in zip(span, weights, strict=True):
            hours[w] = given * wt / total_w
        cap_rows.append(
            {
                "resource": r.id,
                "balance_resource": r.balance_resource,
                "period": p,
                "weeks": f"{first}–{last}",
                "balance_available": round(given, 2),
                "plan_hours_before": round(before, 2),
                "plan_hours_after": round(given, 2),
                "per_week_after": round(given / len(span), 2),
            }
        )
    # hours of a normal week as the balance gives them: its hours over the plan ÷ the
    # instance's weeks counted in normal weeks (relief_capacity and the explanation)
    normal_weeks = sum(r.available_hours) / r.hours_per_week if r.hours_per_week > 0 else 0.0
    return {
        "available_hours": tuple(hours),
        "hours_per_week": sum(hours) / normal_weeks if normal_weeks > 0 else r.hours_per_week,
    }

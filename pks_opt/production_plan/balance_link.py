"""Take a unit's annual production goals from a balancing result (``--from-balance DIR``).

The balancing level writes ``DIR/production_goals.csv`` whose first columns are
``unit, planning_object, period, goal`` (goal = activities in that period, periods such as
``2027Q1``). The plan year's goals are the sum over its periods: those starting with ``--year``,
or, without it, the first four distinct periods in the file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pks_opt.errors import InputError
from pks_opt.production_plan.data import PlanData

GOALS_FILE = "production_goals.csv"
GOAL_COLUMNS = ("unit", "planning_object", "period", "goal")
PERIODS_PER_YEAR = 4


@dataclass(frozen=True)
class BalanceGoals:
    """Annual goals of one unit per planning object, and which periods were summed."""

    unit: str
    periods: tuple[str, ...]
    goals: dict[str, float]


def read_balance_goals(folder: Path, unit: str, year: str | None = None) -> BalanceGoals:
    """Sum the goals of ``unit`` over the plan year's periods.

    Raises
    ------
    InputError
        Missing folder/file/columns, a goal that is not a number ≥ 0, an unknown unit, or no
        period of the year.
    """
    path = Path(folder) / GOALS_FILE
    if not Path(folder).is_dir():
        raise InputError("no such folder (expected a balancing result)", file=str(folder))
    if not path.is_file():
        raise InputError(
            "missing: --from-balance needs the balancing result's production goals", file=str(path)
        )
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise InputError("empty file (a header row is needed)", file=str(path)) from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"malformed CSV: {str(exc).strip()}", file=str(path)) from None
    columns = [str(c).strip() for c in df.columns]
    for col in GOAL_COLUMNS:
        if col not in columns:
            raise InputError(f"missing column '{col}'", file=str(path), row=1)
    df.columns = columns
    rows = []
    for i, rec in enumerate(df[list(GOAL_COLUMNS)].itertuples(index=False, name=None)):
        u, obj, period, goal_text = (str(v).strip() for v in rec)
        row = i + 2
        if not u or not obj or not period:
            field = "unit" if not u else "planning_object" if not obj else "period"
            raise InputError("missing value", file=str(path), row=row, field=field)
        try:
            goal = float(goal_text)
        except ValueError:
            raise InputError(
                f"not a number (got {goal_text!r})", file=str(path), row=row, field="goal"
            ) from None
        if not math.isfinite(goal) or goal < 0:
            raise InputError(
                f"must be a finite number ≥ 0 (got {goal_text!r})",
                file=str(path),
                row=row,
                field="goal",
            )
        rows.append((u, obj, period, goal))
    units = sorted({r[0] for r in rows})
    if unit not in units:
        raise InputError(
            f"unit '{unit}' has no goals (units in the file: {', '.join(units) or 'none'})",
            file=str(path),
            field="unit",
        )
    all_periods = list(dict.fromkeys(r[2] for r in rows))
    if year is not None:
        periods = [p for p in all_periods if p.startswith(str(year))]
        if not periods:
            raise InputError(
                f"no period of year {year} (periods: {', '.join(all_periods)})",
                file=str(path),
                field="period",
            )
    else:
        periods = all_periods[:PERIODS_PER_YEAR]
    chosen = set(periods)
    goals: dict[str, float] = {}
    for u, obj, period, goal in rows:
        if u == unit and period in chosen:
            goals[obj] = goals.get(obj, 0.0) + goal
    return BalanceGoals(unit, tuple(periods), goals)


def apply_balance_goals(
    data: PlanData, bg: BalanceGoals, source: Path
) -> tuple[PlanData, list[str]]:
    """Replace the instance's annual goals by the balance's; warn about objects on one side only."""
    ids = [o.id for o in data.objects]
    matched = {oid: g for oid, g in bg.goals.items() if oid in ids}
    if not matched:
        raise InputError(
            f"none of the plan's planning objects ({', '.join(ids)}) has a goal for unit '{bg.unit}' "
            f"(the balance has: {', '.join(sorted(bg.goals)) or 'none'})",
            file=str(Path(source) / GOALS_FILE),
            field="planning_object",
        )
    warnings = [
        f"planning object '{oid}' has no goal for unit '{bg.unit}' in the balance: keeps the instance's goal"
        for oid in ids
        if oid not in matched
    ]
    warnings += [
        f"the balance's planning object '{oid}' (unit '{bg.unit}') is not in the plan: ignored"
        for oid in sorted(bg.goals)
        if oid not in ids
    ]
    return data.with_goals(matched, source="balance"), warnings

"""Follow-up of a balance (``pks follow-up BALANCE_DIR ACTUALS``): the year so far.

Against the production goals and capacity the strategic level agreed.

The balance's periods are quarters of 13 weeks (as ``pks plan --from-balance`` and ``pks balance
--actuals`` map them); the actuals' weeks 1–13 are the plan year's first quarter, 14–26 the
second, and so on. Per unit × planning object × quarter with actuals:

- **production against the goal to date**: the quarter's goal (``production_goals.csv``) × the
  share of its 13 weeks that have actuals (the strategic goal has no weekly shape; the plan's
  follow-up has it), the actual production, the deviation and its share;
- **inflow against the need**: the balance's forecast need of the unit (``need``) to date, the
  actual inflow;
- **the quarter's outlook**: the production at this rate (actual ÷ weeks × 13) against the goal.

Per unit × resource × quarter: the actual available hours against the capacity after the
balance's moves and increases (``utilisation.csv`` ``available_after``) to date. A resource the
balance does not have (the actuals may name the plan's resources, a finer split) is left out
with a warning: one actuals file serves both levels.

A deviation is flagged when its share is beyond the unit's threshold (``--threshold``, 10 %).
Quarters are few, so there are no control limits at this level; the weekly noise test is the
plan follow-up's. Flags become plain-word lines of the escalation list.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from pks_opt.calendar import plan_year_periods
from pks_opt.errors import InputError
from pks_opt.followup.actuals import Actuals, consecutive_weeks
from pks_opt.io import (
    check_result_ids,
    check_result_numbers,
    check_result_unique,
    read_result_csv,
)
from pks_opt.result import Result, SolveStatus

BALANCE_KIND = "balance"
GOALS_FILE = "production_goals.csv"
UTILISATION_FILE = "utilisation.csv"
WEEKS_PER_QUARTER = 13
QUARTER = re.compile(r"^\d{4}-?Q[1-4]$")


@dataclass(frozen=True)
class BalanceFolder:
    """The parts of a balance result that follow-up reads (the plan year's four quarters)."""

    name: str
    periods: list[str]
    goals: pd.DataFrame  # unit, planning_object, period, goal, need
    capacity: pd.DataFrame  # unit, resource, period, available_after
    folder: Path


def read_balance_folder(folder: str | Path, year: str | None = None) -> BalanceFolder:
    """Read a ``pks balance --out`` folder for following it up.

    ``year`` picks the plan year's quarters (default: the first four periods).

    Raises
    ------
    InputError
        A missing or malformed table, periods that are not quarters, or no period of ``year``.
    """
    folder = Path(folder)
    missing = "missing: follow-up needs a balance result folder (pks balance --out)"
    goals = read_result_csv(
        folder / GOALS_FILE,
        ("unit", "planning_object", "period", "goal", "need"),
        missing=missing,
    )
    capacity = read_result_csv(
        folder / UTILISATION_FILE,
        ("unit", "resource", "period", "available_after"),
        missing=missing,
    )
    for df, name in ((goals, GOALS_FILE), (capacity, UTILISATION_FILE)):
        if df.empty:
            raise InputError(
                "no rows after the header: a balance result has a row per unit and quarter",
                file=str(folder / name),
                row=2,
            )
    check_result_ids(goals, ("unit", "planning_object", "period"), str(folder / GOALS_FILE))
    check_result_ids(capacity, ("unit", "resource", "period"), str(folder / UTILISATION_FILE))
    check_result_numbers(goals, ("goal", "need"), str(folder / GOALS_FILE))
    check_result_unique(goals, ("unit", "planning_object", "period"), str(folder / GOALS_FILE))
    check_result_numbers(capacity, ("available_after",), str(folder / UTILISATION_FILE))
    check_result_unique(capacity, ("unit", "resource", "period"), str(folder / UTILISATION_FILE))
    periods = plan_year_periods(list(dict.fromkeys(goals["period"])), year)
    if not all(QUARTER.match(p) for p in periods):
        raise InputError(
            "follow-up of a balance needs quarterly periods (2027Q1…) to map weeks to; the "
            f"balance has {', '.join(periods)}",
            file=str(folder / GOALS_FILE),
            field="period",
        )
    name = folder.name
    meta = folder / "result.json"
    if meta.is_file():
        try:
            name = str(json.loads(meta.read_text(encoding="utf-8")).get("instance") or name)
        except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
            raise InputError("malformed JSON", file=str(meta)) from None
    return BalanceFolder(name, periods, goals, capacity, folder)


def _check(bf: BalanceFolder, actuals: Actuals) -> None:
    """Every production row names a unit × object of the balance and a week of its year."""
    t_prod = actuals.tables["production"]
    pairs = set(zip(bf.goals["unit"], bf.goals["planning_object"], strict=True))
    units = {u for u, _ in pairs}
    last = WEEKS_PER_QUARTER * len(bf.periods)
    for i, a in enumerate(actuals.production):
        if a.unit not in units:
            raise InputError(
                f"unit '{a.unit}' is not a unit of the balance",
                file=t_prod.where,
                row=t_prod.row_number(i),
                field="unit",
            )
        if (a.unit, a.planning_object) not in pairs:
            raise InputError(
                f"planning object '{a.planning_object}' has no goal at unit '{a.unit}' in the "
                "balance",
                file=t_prod.where,
                row=t_prod.row_number(i),
                field="planning_object",
            )
        if a.week > last:
            raise InputError(
                f"week {a.week} is after the balance year's last week {last} "
                f"({bf.periods[0]}…{bf.periods[-1]})",
                file=t_prod.where,
                row=t_prod.row_number(i),
                field="week",
            )
    for u in actuals.units():
        consecutive_weeks(actuals, u)


def _weeks_of(q: int, last: int) -> tuple[int, int, int]:
    """First and last week of quarter ``q`` (0-based) that have actuals, and how many."""
    first = q * WEEKS_PER_QUARTER + 1
    end = min(last, (q + 1) * WEEKS_PER_QUARTER)
    return first, end, max(0, end - first + 1)


def balance_follow_up(
    bf: BalanceFolder,
    actuals: Actuals,
    *,
    threshold: float = 0.10,
    resource_map: Mapping[str, str] | None = None,
) -> Result:
    """Actuals against a balance's goals and capacity, quarter by quarter (pure).

    ``resource_map``: the actuals' (plan-level) resource → the balance's resource, e.g. from a
    plan instance's ``balance_resource`` column; hours of resources mapped to one are added.
    """
    _check(bf, actuals)
    rows = _quarter_rows(bf, actuals, threshold)
    escalation = [_escalate(row) for row in rows if row["production_flag"] or row["inflow_flag"]]
    cap_rows, warns = _capacity(bf, actuals, threshold, resource_map or {})
    escalation += [_capacity_escalation(r) for r in cap_rows if r["available_flag"]]
    table = pd.DataFrame(rows)
    explanation = [e["text"] for e in escalation] or [
        f"{', '.join(sorted({r['period'] for r in rows}))}: no deviation beyond "
        f"{threshold:.0%} from the balance's goals, need or capacity"
    ]
    explanation.append(
        "goal and need to date are the quarter's × the share of its 13 weeks "
        "with actuals (the strategic goals have no weekly shape)"
    )
    empty = table.empty
    return Result(
        "follow_up",
        SolveStatus.OPTIMAL,
        bf.name,
        "closed form",
        objective=0.0,
        bound=0.0,
        kpis={
            "level": "balance",
            "quarters_followed": len({r["period"] for r in rows}),
            "weeks_followed": max(actuals.last_week(u) for u in actuals.units()),
            "flagged_rows": 0
            if empty
            else int(table["production_flag"].sum() + table["inflow_flag"].sum()),
            "flagged_capacity_rows": sum(1 for r in cap_rows if r["available_flag"]),
            "escalations": len(escalation),
            "production_deviation_total": 0.0
            if empty
            else round(float(table["production_deviation"].sum()), 1),
        },
        tables={
            "balance_followup": table,
            "balance_capacity_followup": pd.DataFrame(cap_rows),
            "escalation": pd.DataFrame(escalation, columns=ESCALATION_COLUMNS),
        },
        explanation=explanation,
        warnings=warns,
        extra={"threshold": threshold, "balance": str(bf.folder), "actuals": str(actuals.source)},
    )


ESCALATION_COLUMNS = [
    "level",
    "unit",
    "object",
    "resource",
    "measure",
    "period",
    "deviation",
    "text",
    "comment",
]


def _quarter_rows(bf: BalanceFolder, actuals: Actuals, threshold: float) -> list[dict[str, Any]]:
    """Compare each unit, planning object and quarter with actuals against the balance.

    Production against the goal to date, inflow against the need to date, and the outlook at
    this rate.
    """
    goal = {
        (str(r["unit"]), str(r["planning_object"]), str(r["period"])): r
        for r in bf.goals.to_dict("records")
    }
    produced: dict[tuple[str, str, int], float] = defaultdict(float)
    joined: dict[tuple[str, str, int], float] = defaultdict(float)
    comments: dict[tuple[str, str, int], set[str]] = defaultdict(set)
    for a in actuals.production:
        key = (a.unit, a.planning_object, (a.week - 1) // WEEKS_PER_QUARTER)
        produced[key] += a.production
        joined[key] += a.inflow
        if a.comment:
            comments[key].add(a.comment)
    rows: list[dict[str, Any]] = []
    for u, o, q in sorted(produced):
        period = bf.periods[q]
        first, end, n = _weeks_of(q, actuals.last_week(u))
        g = goal.get((u, o, period))
        full_goal = float(g["goal"]) if g is not None else 0.0
        full_need = float(g["need"]) if g is not None else 0.0
        share = n / WEEKS_PER_QUARTER
        goal_to_date, need_to_date = full_goal * share, full_need * share
        act, inflow = produced[(u, o, q)], joined[(u, o, q)]
        outlook = act / n * WEEKS_PER_QUARTER if n else 0.0
        prod_share = round(_share(act, goal_to_date), 4)
        inflow_share = round(_share(inflow, need_to_date), 4)
        rows.append(
            {
                "unit": u,
                "planning_object": o,
                "period": period,
                "weeks": f"{first}–{end}",
                "weeks_done": n,
                "goal": round(full_goal, 1),
                "goal_to_date": round(goal_to_date, 1),
                "production_actual": round(act, 1),
                "production_deviation": round(act - goal_to_date, 1),
                "production_deviation_share": prod_share,
                "need_to_date": round(need_to_date, 1),
                "inflow_actual": round(inflow, 1),
                "inflow_deviation": round(inflow - need_to_date, 1),
                "inflow_deviation_share": inflow_share,
                "production_at_this_rate": round(outlook, 1),
                "goal_gap_at_this_rate": round(outlook - full_goal, 1),
                "comment": "; ".join(sorted(comments[(u, o, q)])),
                "production_flag": abs(prod_share) > threshold,
                "inflow_flag": abs(inflow_share) > threshold,
            }
        )
    return rows


def _capacity_escalation(r: dict[str, Any]) -> dict[str, Any]:
    text = (
        f"{r['unit']} {r['resource']} {r['period']} (weeks {r['weeks']}): available "
        f"{r['available_deviation_share']:+.0%} against the balanced capacity "
        f"({r['available_deviation']:+.0f} hours)"
    )
    if r["comment"]:
        text += f" (comment: {r['comment']})"
    return {
        "level": "balance",
        "unit": r["unit"],
        "object": "",
        "resource": r["resource"],
        "measure": "capacity",
        "period": r["period"],
        "deviation": r["available_deviation"],
        "text": text,
        "comment": r["comment"],
    }


def _share(actual: float, planned: float) -> float:
    return (actual - planned) / max(1.0, abs(planned))


def _escalate(r: dict[str, Any]) -> dict[str, Any]:
    parts = []
    if r["inflow_flag"]:
        parts.append(
            f"inflow {r['inflow_deviation_share']:+.0%} against the balance's need "
            f"({r['inflow_deviation']:+.0f} patients)"
        )
    parts.append(
        f"production {r['production_deviation_share']:+.0%} against the goal to date "
        f"({r['production_deviation']:+.0f} activities)"
    )
    text = f"{r['unit']} {r['planning_object']} {r['period']} (weeks {r['weeks']}): " + ", ".join(
        parts
    )
    gap = r["goal_gap_at_this_rate"]
    if gap < -0.5:
        text += f"; at this rate the {r['period']} goal of {r['goal']:.0f} is missed by {-gap:.0f}"
    elif gap > 0.5:
        text += f"; at this rate the {r['period']} goal of {r['goal']:.0f} is passed by {gap:.0f}"
    if r["comment"]:
        text += f" (comment: {r['comment']})"
    return {
        "level": "balance",
        "unit": r["unit"],
        "object": r["planning_object"],
        "resource": "",
        "measure": "inflow" if r["inflow_flag"] else "production",
        "period": r["period"],
        "deviation": r["production_deviation"],
        "text": text,
        "comment": r["comment"],
    }


def _capacity(
    bf: BalanceFolder, actuals: Actuals, threshold: float, resource_map: Mapping[str, str]
) -> tuple[list[dict[str, Any]], list[str]]:
    cap = {
        (str(r["unit"]), str(r["resource"]), str(r["period"])): float(r["available_after"])
        for r in bf.capacity.to_dict("records")
    }
    known = {(u, res) for (u, res, _p) in cap}
    hours: dict[tuple[str, str, int], float] = defaultdict(float)
    comments: dict[tuple[str, str, int], set[str]] = defaultdict(set)
    skipped: dict[str, set[str]] = defaultdict(set)
    weeks_with: dict[tuple[str, str], int] = defaultdict(int)
    for c in actuals.capacity:
        res = c.resource if (c.unit, c.resource) in known else resource_map.get(c.resource, "")
        if (c.unit, res) not in known:
            skipped[c.unit].add(c.resource)
            continue
        if c.week > WEEKS_PER_QUARTER * len(bf.periods):
            continue
        key = (c.unit, res, (c.week - 1) // WEEKS_PER_QUARTER)
        hours[key] += c.available_hours
        weeks_with[(c.unit, res)] = max(weeks_with[(c.unit, res)], c.week)
        if c.comment:
            comments[key].add(c.comment)
    rows = []
    for u, res, q in sorted(hours):
        period = bf.periods[q]
        first, end, n = _weeks_of(q, weeks_with[(u, res)])
        planned = cap.get((u, res, period), 0.0) * n / WEEKS_PER_QUARTER
        act = hours[(u, res, q)]
        share = _share(act, planned)
        rows.append(
            {
                "unit": u,
                "resource": res,
                "period": period,
                "weeks": f"{first}–{end}",
                "weeks_done": n,
                "available_balanced_to_date": round(planned, 1),
                "available_actual": round(act, 1),
                "available_deviation": round(act - planned, 1),
                "available_deviation_share": round(share, 4),
                "available_flag": abs(share) > threshold,
                "comment": "; ".join(sorted(comments[(u, res, q)])),
            }
        )
    warns = [
        f"capacity of {u} not followed up at this level: {', '.join(sorted(r))} "
        f"{'is' if len(r) == 1 else 'are'} not a resource of the balance "
        f"({', '.join(sorted(res for (uu, res) in known if uu == u)) or 'none'})"
        for u, r in sorted(skipped.items())
    ]
    return rows, warns

"""Rolling re-planning from what really happened (``pks plan --actuals A --from-week W``).

The weeks before W are done: their production, inflow and other removals are the actuals
(R0 in ``models/production_plan.md``: production fixed, no capacity row, a fact). The queue
starts so that it ends week W − 1 at the actual waiting list (the actuals' ``waiting``), the
inflow of the weeks ahead is re-forecast from the recent weeks, and weeks W..N are optimised
again under the same goals — what was produced counts towards its goal period, so a shortfall
so far is caught up where capacity allows, or named in ``feedback.csv``.

Re-forecast (a level correction, documented in ``docs/follow-up.md``): per planning object,
the ratio of actual to forecast inflow over the last up to 8 weeks done, bounded to
[0.5, 2], multiplies the forecast of every week ahead. (``pks forecast`` refits the whole
model from history; this keeps the plan's seasonal profile and corrects its level.)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pandas as pd

from pks_opt.constants import WEEKS_PER_YEAR
from pks_opt.errors import InputError
from pks_opt.followup.actuals import Actuals, check_against_plan
from pks_opt.production_plan.data import PlanData, PlanningObject
from pks_opt.production_plan.holidays import with_holidays

REFORECAST_WEEKS = 8
RATIO_BOUNDS = (0.5, 2.0)


def apply_actuals(
    data: PlanData, actuals: Actuals, unit: str, from_week: int
) -> tuple[PlanData, list[str], pd.DataFrame]:
    """Lock weeks 1..from_week − 1 of the plan data to the actuals.

    Raises
    ------
    InputError
        Actuals naming an object, resource or week the plan does not have, a week before W
        without actuals, or actuals whose waiting lists cannot follow from their own flows.
    """
    n = data.num_weeks
    if not 2 <= from_week <= n:
        raise InputError(
            f"--from-week must be between 2 and the plan's last week {n} (got {from_week})",
            field="--from-week",
        )
    check_against_plan(
        actuals, unit, [o.id for o in data.objects], [r.id for r in data.resources], n
    )
    done = from_week - 1
    t_prod = actuals.tables["production"]
    if actuals.last_week(unit) < done:
        raise InputError(
            f"--from-week {from_week} needs actuals of weeks 1–{done}; they end at week "
            f"{actuals.last_week(unit)}",
            file=t_prod.where,
            field="week",
        )
    act = {(p.planning_object, p.week): p for p in actuals.production if p.unit == unit}
    warnings: list[str] = []
    rows: list[dict[str, Any]] = []
    changes: dict[str, dict[str, Any]] = {}
    for o in data.objects:
        if (o.id, 1) not in act:
            raise InputError(
                f"planning object '{o.id}' of the plan has no actuals",
                file=t_prod.where,
                field="planning_object",
            )
        past = [act[(o.id, w)] for w in range(1, done + 1)]
        changes[o.id], row = _lock_object(o, past, n, t_prod.where, warnings)
        rows.append(row)
    res_changes = _locked_capacity(data, actuals, unit, done)
    return data.replace(changes, res_changes, locked_weeks=done), warnings, pd.DataFrame(rows)


def _lock_object(
    o: PlanningObject, past: list[Any], n: int, where: str, warnings: list[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Lock one object to its actuals.

    Gives its changes (production locked, inflow re-forecast, queue start) and its row of the
    re-plan table.
    """
    done = len(past)
    locked = _whole_production(o, past, warnings)
    inflow, removals, ratio = _reforecast(o, past, n)
    waiting = past[-1].waiting
    queue_start = _queue_start(o, inflow, removals, locked, waiting, where, warnings)
    change = {
        "locked": tuple(locked),
        "inflow": tuple(inflow),
        "other_removals": tuple(removals),
        "queue_start": queue_start,
    }
    row = {
        "planning_object": o.id,
        "weeks_done": done,
        "produced_so_far": sum(locked),
        "inflow_so_far": round(sum(p.inflow for p in past), 2),
        "forecast_so_far": round(sum(o.inflow[:done]), 2),
        "reforecast_ratio": round(ratio, 4),
        "queue_at_week": done,
        "queue_actual": waiting,
        "queue_start_used": round(queue_start, 3),
    }
    return change, row


def _whole_production(o: PlanningObject, past: list[Any], warnings: list[str]) -> list[int]:
    """Round the weeks' production to whole activities (a fraction is rounded, with a warning)."""
    locked = []
    for p in past:
        whole = round(p.production)
        if abs(whole - p.production) > 1e-6:
            warnings.append(
                f"{o.id} week {p.week}: production {p.production:g} taken as {whole} "
                "(whole activities)"
            )
        locked.append(int(whole))
    return locked


def _reforecast(
    o: PlanningObject, past: list[Any], n: int
) -> tuple[list[float], list[float], float]:
    """Re-forecast inflow and removals from the actuals.

    The actuals' for the weeks done; for the weeks ahead the forecast × the recent ratio of
    actual to forecast inflow (bounded).
    """
    done = len(past)
    inflow = list(o.inflow)
    removals = list(o.other_removals)
    recent = range(max(0, done - REFORECAST_WEEKS), done)
    forecast_recent = sum(inflow[w] for w in recent)
    actual_recent = sum(past[w].inflow for w in recent)
    ratio = actual_recent / forecast_recent if forecast_recent > 0 else 1.0
    ratio = min(max(ratio, RATIO_BOUNDS[0]), RATIO_BOUNDS[1])
    for w in range(done):
        inflow[w] = past[w].inflow
        removals[w] = past[w].other_removals
    for w in range(done, n):
        inflow[w] *= ratio
    return inflow, removals, ratio


def _queue_start(
    o: PlanningObject,
    inflow: list[float],
    removals: list[float],
    locked: list[int],
    waiting: float | None,
    where: str,
    warnings: list[str],
) -> float:
    """Find the start queue that makes the last week done end at the actual waiting list.

    An error when the actuals' own flows would empty the queue below zero.
    """
    done = len(locked)
    flows = sum(inflow[w] - removals[w] - locked[w] for w in range(done))
    queue_start = o.queue_start
    if waiting is not None:
        queue_start = waiting - flows
        if abs(queue_start - o.queue_start) > 0.5:
            warnings.append(
                f"{o.id}: queue at the start taken as {queue_start:.1f} (instance "
                f"{o.queue_start:g}) so that week {done} ends at the actual {waiting:g}"
            )
    q = queue_start
    for w in range(done):
        q += inflow[w] - removals[w] - locked[w]
        if q < -1e-6:
            raise InputError(
                f"the actuals of '{o.id}' cannot hold: with their inflow, removals and "
                f"production the waiting list would be {q:.1f} at the end of week {w + 1}",
                file=where,
                field="waiting",
            )
    if queue_start < 0:
        raise InputError(
            f"the actual waiting list of '{o.id}' at week {done} ({waiting:g}) is below "
            "what its own flows leave",
            file=where,
            field="waiting",
        )
    return queue_start


def _locked_capacity(
    data: PlanData, actuals: Actuals, unit: str, done: int
) -> dict[str, dict[str, Any]]:
    """Available hours per resource with the weeks done taken from the actuals."""
    res_changes: dict[str, dict[str, Any]] = {}
    cap = {(c.resource, c.week): c for c in actuals.capacity if c.unit == unit}
    for r in data.resources:
        hours = list(r.available_hours)
        for w in range(done):
            c = cap.get((r.id, w + 1))
            if c is not None:
                hours[w] = c.available_hours
        res_changes[r.id] = {"available_hours": tuple(hours)}
    return res_changes


def replan_diff(
    data: PlanData, original: dict[str, tuple[int, ...]], new: dict[str, tuple[int, ...]]
) -> pd.DataFrame:
    """Per planning object × week: the original plan's production, the re-plan's, the change."""
    rows = []
    for o in data.objects:
        for w in range(data.num_weeks):
            a, b = original[o.id][w], new[o.id][w]
            rows.append(
                {
                    "planning_object": o.id,
                    "week": w + 1,
                    "done": w < data.locked_weeks,
                    "original": a,
                    "replan": b,
                    "change": b - a,
                }
            )
    return pd.DataFrame(rows)


def replan_lines(diff: pd.DataFrame, from_week: int, num_weeks: int) -> list[str]:
    """Head the explanation of a re-plan: the weeks done, and per object the change ahead."""
    done, ahead = diff[diff["done"]], diff[~diff["done"]]
    lines = [
        f"re-plan from week {from_week}: weeks 1–{from_week - 1} are the actuals "
        f"({int(done['replan'].sum())} produced against {int(done['original'].sum())} planned)"
    ]
    for o, g in ahead.groupby("planning_object", sort=False):
        change = int(g["change"].sum())
        if change:
            lines.append(
                f"{o}: weeks {from_week}–{num_weeks} {int(g['replan'].sum())} against "
                f"{int(g['original'].sum())} in the original plan ({change:+d})"
            )
    return lines


def reforecast_notes(inputs: pd.DataFrame) -> dict[str, str]:
    """Give the words a request's cause adds per re-forecast object ("inflow re-forecast +13 %").

    Objects re-forecast by less than half a per cent get none.
    """
    notes: dict[str, str] = {}
    for rec in inputs.to_dict("records"):
        change = 100 * (float(rec["reforecast_ratio"]) - 1)
        if abs(change) >= 0.5:
            notes[str(rec["planning_object"])] = f"inflow re-forecast {change:+.0f} %"
    return notes


def next_year_data(
    base: PlanData, replan_queue: Mapping[str, float], ratios: Mapping[str, float], weeks: int
) -> PlanData:
    """Make the rolling horizon's weeks after the plan year: next year's weeks 1..``weeks``.

    A re-plan from week W covers W..52 of the plan year; these are the W − 1 weeks that make
    it a rolling 52-week horizon (003 §G, §K: "rullande 12-månadersplan"). ``base`` is the
    instance as read (before holidays): its weeks 1..``weeks`` are next year's (same week
    types, capacity and inflow profile; the inflow × each object's re-forecast ratio in
    ``ratios``), dated 52 weeks later so that the holidays are next year's own (Easter
    moves). No goal is agreed for them yet, so production follows need (R11): the queue the
    re-plan leaves at week 52 (``replan_queue``) kept level, or, where it is above the
    object's maximum, brought down to the maximum by the last of these weeks (a waiting-list
    target there; kept level otherwise); the maximum queue and wait as in the instance.
    """
    par = base.parameters
    start = None if par.start_date is None else par.start_date + dt.timedelta(weeks=WEEKS_PER_YEAR)
    objects = {
        o.id: {
            "queue_start": max(0.0, replan_queue[o.id]),
            "inflow": tuple(v * ratios.get(o.id, 1.0) for v in o.inflow[:weeks]),
            "other_removals": o.other_removals[:weeks],
            "annual_goal": None,
            "goal_source": "none",
            "goal_periods": (),
            # a queue left above its maximum is brought back within it by the horizon's end
            "target_queue": o.max_queue if _above_max(o, replan_queue[o.id]) else None,
            "target_week": weeks if _above_max(o, replan_queue[o.id]) else None,
            "reduction_per_week": None,
            "locked": (),
        }
        for o in base.objects
    }
    resources = {r.id: {"available_hours": r.available_hours[:weeks]} for r in base.resources}
    data = base.replace(
        objects,
        resources,
        weeks=[w.model_dump() for w in base.weeks[:weeks]],
        parameters=par.model_copy(update={"start_date": start}),
        locked_weeks=0,
    )
    return with_holidays(data)


def _above_max(o: PlanningObject, queue: float) -> bool:
    return o.max_queue is not None and queue > o.max_queue + 1e-6


def next_year_table(plan: pd.DataFrame, first_week: int) -> pd.DataFrame:
    """Next year's part of a rolling re-plan as a table, its weeks numbered on from 52.

    ``plan``: the ``production_plan`` table of the next-year plan (weeks 1..); the weeks
    become ``first_week``… (53…) and every row is marked not agreed.
    """
    out = plan.copy()
    out.insert(0, "week_next_year", out["week"])
    out["week"] = out["week"] + first_week - 1
    out["agreed"] = False
    return out


def next_year_line(table: pd.DataFrame, first_week: int, last_week: int) -> str:
    """One explanation line: what the rolling horizon's next-year weeks plan."""
    parts = []
    for oid, part in table.groupby("planning_object", sort=False):
        part = part.sort_values("week")
        parts.append(
            f"{oid} {part['production'].sum():.0f} ({part['queue_start'].iloc[0]:.0f}"
            f" → {part['queue_end'].iloc[-1]:.0f})"
        )
    return (
        f"rolling horizon: weeks {first_week}–{last_week} (next year's weeks 1–"
        f"{last_week - first_week + 1}, no goal agreed yet) planned to follow need from the "
        f"re-plan's week-{first_week - 1} queue, production (queue at the start → at the end): "
        f"{', '.join(parts)} (next_year_plan.csv)"
    )

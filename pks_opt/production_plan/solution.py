"""Turn the two solves (with / without the reduction goal) into the result envelope.

Tables (names are a contract with ``pks matrix --from-plan``; see ``docs/production-plan.md``):
``production_plan``, ``production_plan_no_reduction``, ``capacity_use``, ``activity_hours``,
``objects``, ``closed_form_checks``, ``relief_capacity``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from pks_opt.feedback import feedback_table
from pks_opt.production_plan.agreement import (
    feedback_lines,
    feedback_rows,
    free_capacity_table,
    goal_table,
    is_request,
)
from pks_opt.production_plan.data import WHOLE_PLAN, PlanData, PlanningObject, wait_window
from pks_opt.production_plan.evaluate import (
    EXCESS_TOLERANCE,
    ObjectTrace,
    PlanEvaluation,
    check_against_solver,
    evaluate,
)
from pks_opt.production_plan.milp import PlanSolution
from pks_opt.result import Result, StageReport
from pks_opt.stages import no_better_than_feasible, self_check
from pks_opt.trace import TRACE_COLUMNS

KIND = "production_plan"
FULL_USE_SHARE = 0.999  # a resource at ≥ 99.9 % of its hours counts as fully used that week
DECIMALS = 3


@dataclass(frozen=True)
class ClosedForm:
    """Closed-form checks of one planning object (see ``models/production_plan.md``, C1–C2)."""

    target_week: int | None
    target_level: float | None
    needed_by_target_week: float | None  # activities needed by the target week to reach the level
    relief_production_per_week: float | None  # flat weekly rate reaching the target
    relief_production_per_normal_week: float | None  # rate × shape (dips in low weeks)
    mean_net_inflow_per_week: float
    littles_law_target_queue: float  # mean net inflow × max wait


def closed_form(data: PlanData, o: PlanningObject) -> ClosedForm:
    """(C1) relief capacity and (C2) Little's-law queue, from the data alone."""
    n = data.num_weeks
    net = [a - r for a, r in zip(o.inflow, o.other_removals, strict=True)]
    mean_net = sum(net) / n
    little = mean_net * o.max_wait_weeks
    t = o.target_week_effective
    if t is None:
        return ClosedForm(None, None, None, None, None, mean_net, little)
    level = o.target_path()[t - 1]
    assert level is not None
    needed = max(0.0, o.queue_start + sum(net[:t]) - level)
    shape_sum = sum(data.shape(o)[:t])
    per_normal = needed / shape_sum if shape_sum > 0 else (0.0 if needed == 0 else math.inf)
    return ClosedForm(t, level, needed, needed / t, per_normal, mean_net, little)


def plan_result(
    data: PlanData,
    with_target: PlanSolution,
    without_target: PlanSolution | None,
    *,
    warnings: list[str] | None = None,
    goal_link: str | None = None,
    handover: dict[str, pd.DataFrame] | None = None,
    feedback_notes: Mapping[str, str] | None = None,
) -> Result:
    """Build the envelope of the plan with the reduction goal (the plan without it beside it).

    ``feedback_notes``: per planning object, words added to the cause of a request for a
    higher goal (the re-plan's re-forecast of the inflow).
    """
    stages = [_stage(s, "with reduction goal") for s in with_target.stages]
    runtime = with_target.runtime_s
    if without_target is not None:
        stages += [_stage(s, "without reduction goal") for s in without_target.stages]
        runtime += without_target.runtime_s
    result = Result(
        kind=KIND,
        status=with_target.status,
        instance=data.name,
        solver=with_target.solver,
        runtime_s=runtime,
        stages=stages,
        warnings=list(warnings or []),
        explanation=list(with_target.notes),
    )
    if not with_target.status.has_solution:
        result.explanation.append("no plan: the solver found no production plan in time")
        return result

    ev = evaluate(data, with_target.production, with_target=True)
    ev0, checks = _self_checked(data, with_target, without_target, ev, result)
    values = ev.stage_values(data.priorities)
    last = [name for name in values if name in with_target.service_values][-1]
    final = next(s for s in with_target.stages if s.name == last)
    result.objective = values[last][1]
    result.bound = min(final.bound, result.objective)
    forms = _fill(result, data, ev, ev0, handover, feedback_notes)
    result.extra = {
        "objective_terms": {
            **{f"goal[priority {k}]": round(v, 6) for k, v in ev.goal.items()},
            **{f"service[priority {k}]": round(v, 6) for k, v in ev.service.items()},
            **{f"levelling[priority {k}]": round(v, 6) for k, v in ev.levelling.items()},
        },
        "objective_check": checks,
        "closed_form": closed_form_lines(data, ev, forms),
        "unit": data.unit,
        "goal_sources": {o.id: o.goal_source for o in data.objects},
        "goal_link": goal_link,
    }
    return result


def _self_checked(
    data: PlanData,
    with_target: PlanSolution,
    without_target: PlanSolution | None,
    ev: PlanEvaluation,
    result: Result,
) -> tuple[PlanEvaluation | None, list[str]]:
    """Self-check both plans without the solver (:func:`pks_opt.stages.self_check`).

    A mismatch is a warning and the plan is no longer proven optimal. Returns the evaluation of
    the plan without the reduction goal (None when there is none) and the check lines.
    """
    checks, to_check = check_against_solver(data, with_target, ev)
    result.status, problems = self_check(result.status, to_check)
    ev0: PlanEvaluation | None = None
    if without_target is not None and without_target.status.has_solution:
        ev0 = evaluate(data, without_target.production, with_target=False)
        lines0, to_check0 = check_against_solver(data, without_target, ev0)
        checks += [f"without reduction goal, {c}" for c in lines0]
        _, problems0 = self_check(
            without_target.status, to_check0, prefix="without reduction goal, "
        )
        problems += problems0
    elif without_target is not None:
        result.warnings.append(
            f"the plan without the reduction goal ended {without_target.status.value}: "
            "no side-by-side"
        )
    result.warnings += problems  # the side-by-side plan's too: it is part of the result
    result.status = no_better_than_feasible(result.status, bool(problems))
    return ev0, checks


def _fill(
    result: Result,
    data: PlanData,
    ev: PlanEvaluation,
    ev0: PlanEvaluation | None,
    handover: dict[str, pd.DataFrame] | None,
    feedback_notes: Mapping[str, str] | None = None,
) -> dict[str, ClosedForm]:
    """Fill in the plan's tables, KPIs and explanation; returns the closed forms per object."""
    forms = {o.id: closed_form(data, o) for o in data.objects}
    result.tables = {
        "production_plan": weekly_table(data, ev),
        "capacity_use": capacity_table(data, ev),
        "activity_hours": activity_hours_table(data),
        "objects": objects_table(data, ev, ev0),
        "closed_form_checks": closed_form_table(data, ev, forms),
        "relief_capacity": relief_table(data, forms),
    }
    if ev0 is not None:
        result.tables["production_plan_no_reduction"] = weekly_table(data, ev0)
    unit = data.unit or data.name
    requests = feedback_rows(data, ev, unit, feedback_notes)
    goals = goal_table(data, ev)
    free = free_capacity_table(data, ev)
    result.tables["goals"] = goals
    result.tables["feedback"] = feedback_table(requests)
    result.tables["free_capacity"] = free
    result.tables["trace"] = trace_table(data, ev, unit)
    result.tables.update(handover or {})
    result.kpis = kpis(data, ev, ev0)
    result.kpis["goal_periods"] = len(goals)
    result.kpis["goal_periods_met"] = int(goals["met"].sum()) if len(goals) else 0
    result.kpis["requests_for_new_agreement"] = sum(1 for f in requests if is_request(f))
    result.kpis["free_capacity_hours"] = _r(float(free["free_hours"].sum()))
    result.explanation += feedback_lines(requests)
    result.explanation += explain(data, ev, forms)
    return forms


def _stage(s: StageReport, scenario: str) -> StageReport:
    return StageReport(f"{s.name} ({scenario})", s.status, s.objective, s.bound, s.runtime_s)


# --------------------------------------------------------------------------- tables


def _r(x: float | None) -> float | None:
    if x is None or not math.isfinite(x):
        return None
    return round(x, DECIMALS)


def weekly_table(data: PlanData, ev: PlanEvaluation) -> pd.DataFrame:
    """One row per object and week: inflow, production, queue and expected wait."""
    rows: list[dict[str, Any]] = []
    for o in data.objects:
        t = ev.traces[o.id]
        waits = t.expected_wait_weeks
        for w, week in enumerate(data.weeks):
            rows.append(
                {
                    "planning_object": o.id,
                    "week": week.week,
                    "week_type": week.week_type,
                    "holiday": week.holiday,
                    "inflow": _r(o.inflow[w]),
                    "other_removals": _r(o.other_removals[w]),
                    "production": t.production[w],
                    "queue_start": _r(t.queue_start[w]),
                    "queue_end": _r(t.queue_end[w]),
                    "expected_wait_weeks": _r(waits[w]),
                    "max_wait_weeks": o.max_wait_weeks,
                    "max_queue": o.max_queue,
                    "target_queue": _r(o.target_path()[w]) if o.has_target else None,
                    "queue_excess": _r(t.queue_excess[w]),
                    "wait_excess": _r(t.wait_excess[w]),
                    "target_excess": _r(t.target_excess[w]),
                }
            )
    return pd.DataFrame(rows)


def trace_table(data: PlanData, ev: PlanEvaluation, unit: str) -> pd.DataFrame:
    """Trace each planning object × week to the goal it serves.

    One row per object × week (id ``plan:{unit}:{object}:w{week}``), its parent the agreed goal
    (``goal:{unit}:{object}:{period}`` in the balance's trace.csv).
    """
    rows: list[dict[str, Any]] = []
    for o in data.objects:
        t = ev.traces[o.id]
        for w, week in enumerate(data.weeks):
            goal = next((g for g in o.goal_periods if w in g.weeks), None)
            parent = (
                f"goal:{unit}:{o.id}:{goal.period}"
                if goal is not None and goal.period != WHOLE_PLAN and o.goal_source == "balance"
                else ""
            )
            note = (
                f"week {week.week} ({week.week_type}) of goal period {goal.period}: "
                f"{goal.goal:.0f} agreed"
                if goal is not None
                else f"week {week.week} ({week.week_type}): no goal, production follows need"
            )
            rows.append(
                {
                    "id": f"plan:{unit}:{o.id}:w{week.week}",
                    "level": "plan",
                    "unit": unit,
                    "object": o.id,
                    "period": f"w{week.week}",
                    "quantity": t.production[w],
                    "measure": "activities",
                    "parent_ids": parent,
                    "note": note,
                }
            )
    return pd.DataFrame(rows, columns=list(TRACE_COLUMNS))


def capacity_table(data: PlanData, ev: PlanEvaluation) -> pd.DataFrame:
    """Hours used and available per week and resource."""
    rows = []
    for w, week in enumerate(data.weeks):
        for r in data.resources:
            used, avail = ev.used_hours[r.id][w], r.available_hours[w]
            rows.append(
                {
                    "week": week.week,
                    "week_type": week.week_type,
                    "holiday": week.holiday,
                    "resource": r.id,
                    "used_hours": _r(used),
                    "available_hours": _r(avail),
                    "unused_hours": _r(avail - used),
                    "utilisation": _r(used / avail) if avail > 0 else None,
                }
            )
    return pd.DataFrame(rows)


def activity_hours_table(data: PlanData) -> pd.DataFrame:
    """Hours one activity of each object takes of each resource."""
    return pd.DataFrame(
        [
            {"planning_object": o.id, "resource": r, "hours_per_activity": h}
            for o in data.objects
            for r, h in o.hours_per_activity.items()
        ],
        columns=["planning_object", "resource", "hours_per_activity"],
    )


def _count(values: tuple[float | None, ...]) -> int:
    return sum(1 for v in values if v is not None and v > EXCESS_TOLERANCE)


def objects_table(data: PlanData, ev: PlanEvaluation, ev0: PlanEvaluation | None) -> pd.DataFrame:
    """One row per planning object: totals, queue at the end, goals and their attainment."""
    rows = []
    for o in data.objects:
        t = ev.traces[o.id]
        rows.append(
            {
                "planning_object": o.id,
                "name": o.name,
                "priority": o.priority,
                "max_wait_weeks": o.max_wait_weeks,
                "goal_source": o.goal_source,
                "annual_goal": o.annual_goal,
                "horizon_goal": _r(o.horizon_goal),
                "planned_production": sum(t.production),
                "goal_shortfall": _r(t.goal_shortfall),
                "inflow": _r(sum(o.inflow)),
                "queue_start": o.queue_start,
                "queue_end": _r(t.queue_end[-1]),
                "queue_end_without_reduction": _r(ev0.traces[o.id].queue_end[-1]) if ev0 else None,
                "max_queue": o.max_queue,
                "target_queue": _r(o.target_path()[-1]) if o.has_target else None,
                "target_week": o.target_week_effective,
                "weeks_above_max_queue": _count(t.queue_excess),
                "weeks_above_target_wait": _count(t.wait_excess),
                "weeks_above_target_queue": _count(t.target_excess),
                "steady_rate": _r(t.steady_rate),
                "weekly_change_total": _r(t.change),
            }
        )
    out = pd.DataFrame(rows)
    out["target_week"] = out["target_week"].astype("Int64")
    return out


def closed_form_table(
    data: PlanData, ev: PlanEvaluation, forms: dict[str, ClosedForm]
) -> pd.DataFrame:
    """Set the closed-form check per object (C1-C2) beside the plan's own numbers."""
    rows = []
    for o in data.objects:
        cf, t = forms[o.id], ev.traces[o.id]
        tw = cf.target_week
        plan_mean = sum(t.production[:tw]) / tw if tw else None
        queue_at = t.queue_end[tw - 1] if tw else None
        reaches = (
            None
            if tw is None or cf.target_level is None or queue_at is None
            else queue_at <= cf.target_level + EXCESS_TOLERANCE
        )
        mean_prod = sum(t.production) / data.num_weeks
        rows.append(
            {
                "planning_object": o.id,
                "target_week": tw,
                "target_queue": _r(cf.target_level),
                "relief_production_per_week": _r(cf.relief_production_per_week),
                "relief_production_per_normal_week": _r(cf.relief_production_per_normal_week),
                "plan_mean_production_to_target_week": _r(plan_mean),
                "plan_queue_at_target_week": _r(queue_at),
                "plan_reaches_target": reaches,
                "mean_net_inflow_per_week": _r(cf.mean_net_inflow_per_week),
                "littles_law_target_queue": _r(cf.littles_law_target_queue),
                "plan_mean_production_per_week": _r(mean_prod),
                "littles_law_queue_at_plan_rate": _r(mean_prod * o.max_wait_weeks),
                "plan_queue_end": _r(t.queue_end[-1]),
            }
        )
    out = pd.DataFrame(rows)
    out["target_week"] = out["target_week"].astype("Int64")
    return out


def relief_hours(data: PlanData, forms: dict[str, ClosedForm]) -> dict[str, float]:
    """(C3) Hours per normal week each resource needs to reach every target (or hold the queue)."""
    out = {r.id: 0.0 for r in data.resources}
    for o in data.objects:
        cf = forms[o.id]
        if cf.relief_production_per_normal_week is not None:
            rate = cf.relief_production_per_normal_week
        else:  # no target: produce the net inflow, so the queue stays where it is
            shape_sum = sum(data.shape(o))
            rate = (
                cf.mean_net_inflow_per_week * data.num_weeks / shape_sum
                if shape_sum > 0
                else math.inf
            )
        for r, h in o.hours_per_activity.items():
            out[r] += rate * h
    return out


def relief_table(data: PlanData, forms: dict[str, ClosedForm]) -> pd.DataFrame:
    """Relief hours per normal week and resource (C3) the targets need."""
    need = relief_hours(data, forms)
    return pd.DataFrame(
        [
            {
                "resource": r.id,
                "relief_hours_per_normal_week": _r(need[r.id]),
                "hours_per_normal_week": r.hours_per_week,
                "relief_share_of_capacity": _r(need[r.id] / r.hours_per_week)
                if r.hours_per_week > 0
                else None,
            }
            for r in data.resources
        ]
    )


# --------------------------------------------------------------------------- KPIs, explanation


def _weeks_any(data: PlanData, ev: PlanEvaluation, attr: str) -> int:
    return sum(
        1
        for w in range(data.num_weeks)
        if any(
            (v := getattr(ev.traces[o.id], attr)[w]) is not None and v > EXCESS_TOLERANCE
            for o in data.objects
        )
    )


def kpis(data: PlanData, ev: PlanEvaluation, ev0: PlanEvaluation | None) -> dict[str, Any]:
    """Collect the plan's key figures (``result.json`` ``kpis``)."""
    tr = ev.traces
    avail = sum(sum(r.available_hours) for r in data.resources)
    used = sum(sum(v) for v in ev.used_hours.values())
    out: dict[str, Any] = {
        "weeks": data.num_weeks,
        "planning_objects": len(data.objects),
        "total_production": sum(sum(t.production) for t in tr.values()),
        "total_goal": _r(sum(o.horizon_goal or 0.0 for o in data.objects)),
        "goal_shortfall": _r(sum(t.goal_shortfall for t in tr.values())),
        "queue_start_total": _r(sum(o.queue_start for o in data.objects)),
        "queue_end_total": _r(sum(t.queue_end[-1] for t in tr.values())),
        "weeks_above_max_queue": _weeks_any(data, ev, "queue_excess"),
        "weeks_above_target_wait": _weeks_any(data, ev, "wait_excess"),
        "weeks_above_target_queue": _weeks_any(data, ev, "target_excess"),
        "object_weeks_above_max_queue": sum(_count(t.queue_excess) for t in tr.values()),
        "object_weeks_above_target_wait": sum(_count(t.wait_excess) for t in tr.values()),
        "object_weeks_above_target_queue": sum(_count(t.target_excess) for t in tr.values()),
        "unused_capacity_hours": _r(avail - used),
        "unused_capacity_share": _r((avail - used) / avail) if avail > 0 else None,
        "weekly_change_total": _r(sum(t.change for t in tr.values())),
    }
    if ev0 is not None:
        out["queue_end_total_without_reduction"] = _r(
            sum(t.queue_end[-1] for t in ev0.traces.values())
        )
        out["total_production_without_reduction"] = sum(
            sum(t.production) for t in ev0.traces.values()
        )
    return out


def _weeks_text(weeks: list[int]) -> str:
    """[3,4,5,9] -> '3–5, 9'."""
    parts: list[str] = []
    start = prev = None
    for w in weeks:
        if start is None:
            start = prev = w
        elif prev is not None and w == prev + 1:
            prev = w
        else:
            parts.append(f"{start}–{prev}" if start != prev else f"{start}")
            start = prev = w
    if start is not None:
        parts.append(f"{start}–{prev}" if start != prev else f"{start}")
    return ", ".join(parts)


#: an excess smaller than this (patients, weeks) is below the precision the plan is read at:
#: not explained (the tables keep it)
SHOWN_TOLERANCE = 0.05


def explain(data: PlanData, ev: PlanEvaluation, forms: dict[str, ClosedForm]) -> list[str]:
    """Explain why targets are missed.

    Per object the weeks and by how much, and why (the capacity that binds in those weeks, or
    the rule that holds production back while capacity is free); then the fully used resources
    and targets beyond capacity.
    """
    lines: list[str] = []
    for o in data.objects:
        lines += _object_lines(data, ev, o, forms[o.id])
    if lines:
        lines += _resource_lines(data, ev, forms)
    return lines


def _missed(values: tuple[float | None, ...]) -> list[int]:
    """0-based weeks whose excess is visible at the plan's precision."""
    return [w for w, e in enumerate(values) if e is not None and e > SHOWN_TOLERANCE]


def _object_lines(
    data: PlanData, ev: PlanEvaluation, o: PlanningObject, cf: ClosedForm
) -> list[str]:
    t = ev.traces[o.id]
    weeks = [wk.week for wk in data.weeks]
    lines: list[str] = []
    missed = _missed(t.target_excess)
    if missed:
        tw = cf.target_week or data.num_weeks
        q = t.queue_end[tw - 1]
        plan_mean = sum(t.production[:tw]) / tw
        worst = max(range(data.num_weeks), key=lambda w: t.target_excess[w] or 0.0)
        short = q - (cf.target_level or 0.0)
        at_target = (
            f"at week {tw} it is {q:.0f} against {cf.target_level:.0f} (short by {short:.1f})"
            if short > SHOWN_TOLERANCE
            else f"most in week {weeks[worst]}, {t.target_excess[worst] or 0.0:.1f} above; "
            f"at week {tw} it is on target"
        )
        lookback = math.ceil(o.max_wait_weeks)
        span = list(range(max(0, missed[0] - lookback), missed[-1] + 1))
        lines.append(
            f"{o.id} (priority {o.priority}): queue above its target in {len(missed)} week(s) "
            f"({_weeks_text([weeks[w] for w in missed])}); {at_target}; reaching it needs "
            f"{cf.relief_production_per_week:.1f}/week on average, the plan gives {plan_mean:.1f}"
        )
        lines += _why(data, ev, o, span, max(t.target_excess[w] or 0.0 for w in missed))
    over = _missed(t.queue_excess)
    if over:
        lines.append(
            f"{o.id}: queue above its maximum {o.max_queue:g} in week(s) "
            f"{_weeks_text([weeks[w] for w in over])} (at most {max(t.queue_excess):.1f} above)"
        )
    late = _missed(t.wait_excess)
    if late:
        span = sorted({v for w in late for v in (w, *wait_window(w, o.max_wait_weeks, len(weeks)))})
        lines.append(
            f"{o.id}: expected wait above {o.max_wait_weeks:g} weeks in week(s) "
            f"{_weeks_text([weeks[w] for w in late])}"
        )
        lines += _why(data, ev, o, span, max(t.wait_excess))
    return lines


def _full_weeks(data: PlanData, ev: PlanEvaluation, resource: str, span: list[int]) -> list[int]:
    r = next(x for x in data.resources if x.id == resource)
    return [
        w
        for w in span
        if r.available_hours[w] > 0
        and ev.used_hours[resource][w] >= FULL_USE_SHARE * r.available_hours[w]
    ]


def _why(
    data: PlanData, ev: PlanEvaluation, o: PlanningObject, span: list[int], excess: float
) -> list[str]:
    """Explain why ``o`` misses in the weeks ``span`` (0-based) that decide it.

    One line of a fixed shape each (the report translates them): a capacity that binds there
    (and the higher priorities that share it), or, with capacity free, the rule that holds
    production back; and whether the miss is below one visit (production is whole visits).
    """
    weeks = [wk.week for wk in data.weeks]
    full = {r: _full_weeks(data, ev, r, span) for r in o.hours_per_activity}
    binding = {r: ws for r, ws in full.items() if ws}
    lines: list[str] = []
    if binding:
        r, ws = max(binding.items(), key=lambda kv: len(kv[1]))
        higher = sorted(
            p.id for p in data.objects if p.priority < o.priority and r in p.hours_per_activity
        )
        line = f"{o.id}: why: {r} is fully used in week(s) {_weeks_text([weeks[w] for w in ws])}"
        lines.append(
            f"{line}; higher priorities come first: {', '.join(higher)}" if higher else line
        )
    else:
        res = {x.id: x for x in data.resources}
        free = {
            r: sum(res[r].available_hours[w] - ev.used_hours[r][w] for w in span)
            for r in o.hours_per_activity
        }
        r = min(free, key=lambda k: free[k])
        rule = (
            "production is held at its agreed goal"
            if any(_at_goal(ev.traces[o.id], i) for i in range(len(o.goal_periods)))
            else "the plan keeps production level"
        )
        lines.append(
            f"{o.id}: why: not capacity, {r} has {free[r]:.0f} h unused in those weeks; {rule}"
        )
    if excess < 1:
        lines.append(f"{o.id}: the miss is less than one visit: production is whole visits a week")
    return lines


def _at_goal(t: ObjectTrace, period: int) -> bool:
    """Tell whether the goal period's production is at its goal (no shortfall, no excess)."""
    return t.period_shortfall[period] < 0.5 and t.period_excess[period] < 0.5


def _resource_lines(data: PlanData, ev: PlanEvaluation, forms: dict[str, ClosedForm]) -> list[str]:
    lines: list[str] = []
    weeks = [wk.week for wk in data.weeks]
    need = relief_hours(data, forms)
    for r in data.resources:
        full = _full_weeks(data, ev, r.id, list(range(data.num_weeks)))
        if full:
            lines.append(
                f"resource {r.id} fully used in {len(full)} week(s): "
                f"{_weeks_text([weeks[w] for w in full])}"
            )
        if need[r.id] > r.hours_per_week + SHOWN_TOLERANCE:
            lines.append(
                f"resource {r.id}: reaching every target needs {need[r.id]:.1f} h per normal "
                f"week, {r.hours_per_week:g} h available: the targets exceed capacity"
            )
    return lines


def closed_form_lines(
    data: PlanData, ev: PlanEvaluation, forms: dict[str, ClosedForm]
) -> list[str]:
    """One line per planning object: closed form beside the optimised plan."""
    lines = []
    for o in data.objects:
        cf, t = forms[o.id], ev.traces[o.id]
        little = (
            f"Little's-law queue {cf.littles_law_target_queue:.0f} "
            f"(net inflow {cf.mean_net_inflow_per_week:.1f}/wk × {o.max_wait_weeks:g} wk), "
            f"plan ends at {t.queue_end[-1]:.0f}"
        )
        if cf.target_week is None:
            lines.append(f"{o.id}: no waiting-list target; {little}")
            continue
        tw = cf.target_week
        plan_mean = sum(t.production[:tw]) / tw
        ok = t.queue_end[tw - 1] <= (cf.target_level or 0.0) + EXCESS_TOLERANCE
        lines.append(
            f"{o.id}: relief {cf.relief_production_per_week:.1f}/wk to reach "
            f"{cf.target_level:.0f} by week {tw}, "
            f"plan {plan_mean:.1f}/wk -> {'in line' if ok else 'SHORT'}; {little}"
        )
    return lines


def summary(result: Result, lang: str = "en") -> list[str]:
    """Add the closed-form checks after the summary's generic head (headings in ``lang``)."""
    from pks_opt.i18n import messages

    m = messages(lang)
    link = result.extra.get("goal_link")
    lines = [m.text("summary", "plan_goals", link=link)] if link else []
    lines.append(m.text("summary", "plan_checks"))
    lines += [f"  {line}" for line in result.extra.get("closed_form", [])]
    return lines

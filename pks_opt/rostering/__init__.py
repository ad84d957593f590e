"""Need-based rostering, big rocks first (operational level).

Entry points: :func:`roster_result` (native instance → :class:`~pks_opt.result.Result`) and
:func:`benchmark_result` (a Curtois & Qu ``InstanceN.txt`` → Result). Spec: models/rostering.md.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from pks_opt.result import Result, SolveStatus
from pks_opt.rostering.cpsat import STAGE_SINGLE, RosterSolution, SolveOptions, solve_roster
from pks_opt.rostering.data import RosterData, read_roster
from pks_opt.rostering.explain import escalation, explain_shortfalls
from pks_opt.rostering.handover import FEEDBACK_COLUMNS, feedback_table, trace_table
from pks_opt.rostering.solution import (
    evaluate_roster,
    hours_table,
    isolated_work_days,
    roster_table,
    roster_vs_plan,
)
from pks_opt.stages import Check, self_check

SOLVER = "ortools-cpsat"

__all__ = [
    "RosterData",
    "SolveOptions",
    "benchmark_result",
    "read_roster",
    "roster_result",
    "solve_roster",
]


def _last_bound(sol: RosterSolution) -> float:
    """Give the last stage's proven bound.

    −inf without one (or when a signal stopped the run after the greedy start, before any
    stage).
    """
    if not sol.stages or not math.isfinite(sol.stages[-1].bound):
        return -math.inf
    return sol.stages[-1].bound


def _check_values(sol: RosterSolution, recomputed: dict[str, float]) -> list[Check]:
    """Set the solver's stage values beside the independent recomputation.

    See :func:`pks_opt.stages.self_check`: the roster's value may not exceed the solver's.
    """
    return [
        Check(name, v, recomputed[name], 1e-6)
        for name, v in sol.stage_values.items()
        if name in recomputed
    ]


#: the result kinds of a native roster and of a Curtois & Qu benchmark run
ROSTER_KIND = "roster"
BENCHMARK_KIND = "roster-benchmark"


def _envelope(
    kind: str, name: str, sol: RosterSolution, staff: int, days: int, options: SolveOptions
) -> Result:
    """Build the result envelope of a roster solve (native or benchmark).

    Status, stages, size KPIs, and without a roster the one line that says why.
    """
    res = Result(
        kind=kind,
        status=sol.status,
        instance=name,
        solver=SOLVER,
        runtime_s=sol.runtime_s,
        stages=sol.stages,
    )
    res.kpis.update(
        {"staff": staff, "days": days, "seed": options.seed, "workers": options.workers}
    )
    if sol.status is SolveStatus.INFEASIBLE:
        res.explanation.append("no roster satisfies the hard rules (pins, absences, rest, limits)")
    elif not sol.status.has_solution and sol.status is not SolveStatus.INTERRUPTED:
        # (a stop by a signal says so in its own line)
        res.explanation.append("no roster found within the time limit; raise --time-limit")
    return res


def roster_result(data: RosterData, options: SolveOptions) -> tuple[Result, RosterSolution]:
    """Solve a native roster and build the result envelope with all tables and explanations."""
    sol = solve_roster(data, options)
    res = _envelope(ROSTER_KIND, data.name, sol, len(data.staff), data.num_days, options)
    if not sol.status.has_solution:
        # the hand-over files exist in every output folder: the demand asked, no feedback rows
        res.tables = {
            "feedback": pd.DataFrame(columns=FEEDBACK_COLUMNS),
            "trace": trace_table(data),
        }
        return res, sol
    roster = sol.assignment
    ev = evaluate_roster(data, roster)
    values = ev.stage_values(data.rules.lexicographic)
    res.objective = list(values.values())[-1]
    res.bound = _last_bound(sol)
    # the one self-check policy: a mismatch is a warning and the roster is not proven
    res.status, problems = self_check(res.status, _check_values(sol, values))
    res.warnings.extend(problems)
    res.warnings.extend(f"hard rule broken: {v}" for v in ev.violations)
    if not sol.repeatable:
        res.warnings.append("a stage hit the wall-clock guard: this run may not be repeatable")
    shortfalls = explain_shortfalls(data, roster, ev.coverage)
    hours = hours_table(data, roster)
    res.kpis.update(_roster_kpis(data, roster, ev, hours))
    plan = roster_vs_plan(data, roster, ev.coverage)
    res.tables = {
        "roster": roster_table(data, roster),
        "hours": hours,
        "coverage": ev.coverage.drop(columns=["day"]),
        "shortfalls": shortfalls,
        "roster_vs_plan": plan,
        "assignments": pd.DataFrame(
            [
                {"staff": e, "date": data.date_of(d).isoformat(), "shift": s, "competence": c}
                for (e, d), (s, c) in sorted(roster.items(), key=lambda kv: (kv[0][1], kv[0][0]))
            ],
            columns=["staff", "date", "shift", "competence"],
        ),
        "feedback": feedback_table(data, shortfalls),
        "trace": trace_table(data),
    }
    res.kpis["feedback_rows"] = len(res.tables["feedback"])
    if shortfalls.empty:
        res.explanation.append("every demand is covered (tiers 1-3)")
    else:
        res.explanation.extend(escalation(data, roster, shortfalls))
        res.explanation.append(f"{len(shortfalls)} short cell(s) with reasons in shortfalls.csv")
    return res, sol


def _roster_kpis(
    data: RosterData, roster: Any, ev: Any, hours: pd.DataFrame
) -> dict[str, int | float]:
    """Collect the roster's KPIs.

    Short shifts and hours per tier, named staff asked and short, the objective's terms,
    hard-rule violations, isolated working days (R13), staff outside target tolerance.
    """
    cover_rows = ev.coverage[ev.coverage["staff"] == ""]
    named_rows = ev.coverage[ev.coverage["staff"] != ""]
    kpis: dict[str, int | float] = {}
    for tier in (1, 2, 3):
        part = cover_rows[cover_rows["tier"] == tier]
        kpis[f"tier{tier}_short_shifts"] = int(part["short"].sum())
        kpis[f"tier{tier}_short_hours"] = float(part["short_hours"].sum())
    kpis["named_staff_asked"] = len(named_rows)
    kpis["named_staff_short"] = int(named_rows["short"].sum())
    kpis.update({f"term_{k}": v for k, v in ev.terms.items()})
    kpis["hard_rule_violations"] = len(ev.violations)
    kpis["isolated_work_days"] = isolated_work_days(data, roster)
    kpis["staff_outside_target_tolerance"] = int((~hours["within_tolerance"].astype(bool)).sum())
    return kpis


def benchmark_result(path: Any, options: SolveOptions) -> tuple[Result, RosterSolution]:
    """Solve a Curtois & Qu instance with the same engine; objective from the evaluator."""
    from pks_opt.formats.curtois import evaluate, read_curtois, to_roster_data
    from pks_opt.rostering.colgen import solve_benchmark, use_column_generation

    inst = read_curtois(path)
    data = to_roster_data(inst)

    cg = None
    with_cg, why_not = use_column_generation(options)
    if with_cg:
        sol, cg = solve_benchmark(inst, data, options)
    else:  # the repeatable mode, or asked for, or not compiled yet: CP-SAT alone
        sol = solve_roster(data, options)
    res = _envelope(BENCHMARK_KIND, inst.name, sol, len(inst.staff), inst.horizon, options)
    if why_not:
        res.warnings.append(why_not)
    if cg is not None:
        res.extra["column_generation"] = cg.summary()
        res.solver = "highs-colgen+ortools-cpsat"
    if not sol.status.has_solution:
        return res, sol
    roster = {k: v[0] for k, v in sol.assignment.items()}
    ev = evaluate(inst, roster)
    res.objective = float(ev.objective)
    res.bound = _last_bound(sol)
    res.kpis.update(ev.terms)
    res.kpis["hard_constraint_violations"] = len(ev.violations)
    res.extra["violations"] = list(ev.violations)
    # the one self-check policy, against the benchmark's own evaluator: a mismatch is a
    # warning and the roster is not proven
    res.status, problems = self_check(
        res.status, _check_values(sol, {STAGE_SINGLE: float(ev.objective)})
    )
    res.warnings.extend(problems)
    res.tables = {
        "roster": pd.DataFrame(
            [
                {"staff": e, "day": d, "shift": s}
                for (e, d), s in sorted(roster.items(), key=lambda kv: (kv[0][1], kv[0][0]))
            ],
            columns=["staff", "day", "shift"],
        ),
    }
    if ev.violations:
        res.explanation.append(
            f"{len(ev.violations)} hard-constraint violation(s): see 'violations'"
        )
    return res, sol

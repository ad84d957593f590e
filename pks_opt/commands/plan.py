"""`pks plan`: the tactical weekly production plan with waiting lists (issue 3)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from pks_opt import interrupt
from pks_opt.commands.common import (
    finish,
    handles_input_errors,
    milp_solver_option,
    output_options,
)
from pks_opt.errors import InputError

DEFAULT_MAX_NODES = 300  # = pks_opt.production_plan.milp.DEFAULT_MAX_NODES (imported lazily there)

DEFAULT_TIME_LIMIT_S = 120.0


@click.command()
@click.argument("instance", type=click.Path(path_type=Path))
@click.option(
    "--from-balance",
    "from_balance",
    type=click.Path(path_type=Path),
    default=None,
    help="A balancing result folder: take the unit's goals per period, the need that stays with "
    "it and its capacity after the balance's actions.",
)
@click.option("--unit", default=None, help="The unit whose goals to take (with --from-balance).")
@click.option(
    "--year",
    default=None,
    help="Plan year of the balance's periods (e.g. 2027); default: the file's first four periods.",
)
@click.option(
    "--goal-tolerance",
    "goal_tolerance",
    type=click.FloatRange(min=0, max=1),
    default=None,
    help="Share by which a period's production may miss its agreed goal before it is a request "
    "for a new agreement (default: parameters.goal_tolerance, 0.01).",
)
@click.option(
    "--actuals",
    type=click.Path(path_type=Path),
    default=None,
    help="An actuals instance (kind: actuals): re-plan with the weeks before --from-week "
    "locked to what happened.",
)
@click.option(
    "--from-week",
    "from_week",
    type=click.IntRange(min=2),
    default=None,
    help="With --actuals: the first week to plan again (weeks before it are the actuals).",
)
@milp_solver_option
@click.option(
    "--time-limit",
    "time_limit",
    type=click.FloatRange(min=0.1),
    default=DEFAULT_TIME_LIMIT_S,
    show_default=True,
    help="Seconds for each of the two plans (with and without the reduction goal): a safety net; "
    "a plan stopped by it may differ between runs.",
)
@click.option(
    "--max-nodes",
    "max_nodes",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_NODES,
    show_default=True,
    help="Branch-and-bound nodes per stage: a stage not proven optimal within them stops at the "
    "same plan on every run.",
)
@output_options
@handles_input_errors
def plan(
    instance: Path,
    from_balance: Path | None,
    unit: str | None,
    year: str | None,
    goal_tolerance: float | None,
    actuals: Path | None,
    from_week: int | None,
    solver: str,
    time_limit: float,
    max_nodes: int,
    out: Path | None,
    excel: bool,
    as_json: bool,
) -> None:
    """Levelled weekly production plan per planning object, with waiting-list dynamics.

    Solves the plan with the waiting-list reduction goal and without it (for the side-by-side
    chart), priority by priority, levelling production within each stage. Writes
    production_plan.csv, capacity_use.csv, activity_hours.csv, closed-form checks and the
    queue chart.
    """
    from pks_opt.production_plan.balance_link import (
        apply_balance_handover,
        read_balance_handover,
    )
    from pks_opt.production_plan.charts import plan_charts
    from pks_opt.production_plan.data import read_plan
    from pks_opt.production_plan.milp import solve_plan
    from pks_opt.production_plan.solution import plan_result, summary

    data = read_plan(instance).with_goal_tolerance(goal_tolerance)
    warnings: list[str] = []
    goal_link: str | None = None
    handover = None
    if from_balance is not None:
        the_unit = unit or data.unit
        if the_unit is None:
            raise InputError(
                "--from-balance needs --unit (or parameters.unit in the instance)", field="--unit"
            )
        ho = read_balance_handover(from_balance, the_unit, year)
        data, warnings, handover = apply_balance_handover(data, ho)
        goal_link = (
            f"unit {the_unit} from {from_balance}: goals per period ({', '.join(ho.periods)}), "
            "the need that stays with the unit, capacity after the balance's actions"
        )
    elif year is not None or (unit is not None and actuals is None):
        raise InputError(
            "--unit and --year only go with --from-balance", field="--unit" if unit else "--year"
        )
    key = solver.lower()
    if (actuals is None) != (from_week is None):
        raise InputError(
            "--actuals and --from-week go together", field="--from-week" if actuals else "--actuals"
        )
    if actuals is not None and from_week is not None:
        _replan(
            data, actuals, from_week, unit or data.unit, key, time_limit, max_nodes, warnings,
            goal_link, handover, out, excel, as_json,
        )
        return
    with interrupt.solving():  # a signal stops the stage running; the plan so far is kept
        with_target = solve_plan(
            data, backend=key, time_limit_s=time_limit, with_target=True, max_nodes=max_nodes
        )
        without = (
            solve_plan(
                data, backend=key, time_limit_s=time_limit, with_target=False,
                max_nodes=max_nodes,
            )
            if with_target.status.has_solution
            and any(o.has_target for o in data.objects)
            and not interrupt.requested()
            else None
        )
        result = plan_result(
            data, with_target, without, warnings=warnings, goal_link=goal_link,
            handover=handover,
        )
    finish(
        result,
        out=out,
        excel=excel,
        as_json=as_json,
        charts=lambda: plan_charts(result, data),
        summary=summary,
    )


def _replan(
    data: Any,
    actuals_path: Path,
    from_week: int,
    unit: str | None,
    key: str,
    time_limit: float,
    max_nodes: int,
    warnings: list[str],
    goal_link: str | None,
    handover: Any,
    out: Path | None,
    excel: bool,
    as_json: bool,
) -> None:
    """Re-plan weeks from_week..N on the actuals; the original plan is solved beside it."""
    from pks_opt.followup.actuals import read_actuals
    from pks_opt.production_plan.charts import plan_charts
    from pks_opt.production_plan.milp import solve_plan
    from pks_opt.production_plan.replan import apply_actuals, replan_diff
    from pks_opt.production_plan.solution import plan_result, summary

    if unit is None:
        raise InputError("--actuals needs --unit (or parameters.unit in the instance)", field="--unit")
    acts = read_actuals(actuals_path)
    new, more, inputs = apply_actuals(data, acts, unit, from_week)
    new = new.model_copy(update={"unit": unit})
    with interrupt.solving():  # a signal stops the stage running; the plan so far is kept
        replan = solve_plan(
            new, backend=key, time_limit_s=time_limit, with_target=True, max_nodes=max_nodes
        )
        original = (
            solve_plan(
                data, backend=key, time_limit_s=time_limit, with_target=True, max_nodes=max_nodes
            )
            if not interrupt.requested()
            else replan
        )
    tables = dict(handover or {})
    tables["replan_inputs"] = inputs
    if original.status.has_solution and replan.status.has_solution:
        diff = replan_diff(new, original.production, replan.production)
        tables["replan_diff"] = diff
    result = plan_result(
        new, replan, None, warnings=warnings + more, goal_link=goal_link, handover=tables
    )
    if "replan_diff" in tables:
        d = tables["replan_diff"]
        ahead = d[~d["done"]]
        lines = [
            f"re-plan from week {from_week}: weeks 1–{from_week - 1} are the actuals "
            f"({int(d[d['done']]['replan'].sum())} produced against "
            f"{int(d[d['done']]['original'].sum())} planned)"
        ]
        for o, g in ahead.groupby("planning_object", sort=False):
            change = int(g["change"].sum())
            if change:
                lines.append(
                    f"{o}: weeks {from_week}–{new.num_weeks} {int(g['replan'].sum())} against "
                    f"{int(g['original'].sum())} in the original plan ({change:+d})"
                )
        result.explanation[:0] = lines
    finish(
        result,
        out=out,
        excel=excel,
        as_json=as_json,
        charts=lambda: plan_charts(result, new),
        summary=summary,
    )

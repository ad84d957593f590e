"""`pks plan`: the tactical weekly production plan with waiting lists (issue 3)."""

from __future__ import annotations

from pathlib import Path

import click

from pks_opt.commands.common import (
    finish,
    handles_input_errors,
    lang_option,
    milp_solver_option,
    output_options,
    wall_clock_left,
)
from pks_opt.constants import PLAN_RUN_TIME_LIMIT_S
from pks_opt.production_plan import DEFAULT_MAX_NODES


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
@click.option(
    "--scenario",
    "scenarios",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Scenario YAML (repeatable): each variant is solved beside the base; writes "
    "scenario_comparison.csv, its chart and one sub-folder per scenario.",
)
@milp_solver_option
@click.option(
    "--time-limit",
    "time_limit",
    type=click.FloatRange(min=0.1),
    default=PLAN_RUN_TIME_LIMIT_S,
    show_default=True,
    help="Wall-clock seconds for the whole run: reading, both plans (with and without the "
    "reduction goal) and writing. A safety net: a plan stopped by it may differ between runs; "
    "--max-nodes keeps runs repeatable.",
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
@lang_option
@handles_input_errors
def plan(
    instance: Path,
    from_balance: Path | None,
    unit: str | None,
    year: str | None,
    goal_tolerance: float | None,
    actuals: Path | None,
    from_week: int | None,
    scenarios: tuple[Path, ...],
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
    from pks_opt import api, progress
    from pks_opt.production_plan.solution import summary

    # two plans (with and without the waiting-list goal), both within --time-limit
    time_limit = wall_clock_left(time_limit)
    with progress.live("Planning weeks", None if scenarios else time_limit):
        result = api.plan(
            instance,
            from_balance=from_balance,
            unit=unit,
            year=year,
            goal_tolerance=goal_tolerance,
            actuals=actuals,
            from_week=from_week,
            solver=solver,
            time_limit=time_limit,
            max_nodes=max_nodes,
            scenarios=scenarios,
        )
    finish(
        result,
        out=out,
        excel=excel,
        as_json=as_json,
        summary=summary,
        compared=bool(scenarios),
    )

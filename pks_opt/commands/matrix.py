"""`pks matrix`: the activity matrix (rooms and staff × sessions) of a clinic."""

from __future__ import annotations

from pathlib import Path

import click

from pks_opt import interrupt
from pks_opt.commands.common import finish, handles_input_errors, output_options
from pks_opt.result import Result


@click.command()
@click.argument("instance", type=click.Path(path_type=Path))
@click.option(
    "--from-plan",
    "from_plan",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder with production_plan.csv (pks plan --out): sessions needed per week type.",
)
@click.option(
    "--week",
    type=click.IntRange(min=1),
    default=None,
    help="With --from-plan: one matrix for this plan week instead of one per week type.",
)
@click.option("--time-limit", "time_limit", type=click.FloatRange(min=0.1), default=60.0,
              show_default=True, help="Seconds for the whole solve (shared by the stages).")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="CP-SAT search workers (1 = reproducible).")
@click.option("--seed", type=int, default=0, show_default=True, help="CP-SAT random seed.")
@output_options
@handles_input_errors
def matrix(
    instance: Path,
    from_plan: Path | None,
    week: int | None,
    time_limit: float,
    workers: int,
    seed: int,
    out: Path | None,
    excel: bool,
    as_json: bool,
) -> None:
    """Build the weekly activity matrix: which activity each room holds in each session.

    Big rocks first: same-day sessions per day, then planned sessions by priority, then
    continuity, even spread and few room changes. Writes the room and staff grids, coverage,
    staff_demand.csv (for `pks roster --from-matrix`) and a PNG per week type.
    """
    from pks_opt.activity_matrix import build_matrix, matrices_from_plan, solve_matrices
    from pks_opt.activity_matrix.charts import matrix_charts
    from pks_opt.errors import InputError
    from pks_opt.io import read_raw

    if week is not None and from_plan is None:
        raise InputError("--week needs --from-plan", field="--week")
    raw = read_raw(instance, expect_kind="activity_matrix")
    base = build_matrix(raw)
    datas = [base] if from_plan is None else matrices_from_plan(base, raw, from_plan, week=week)
    with interrupt.solving():  # a signal stops the search; the matrix so far is kept
        result = solve_matrices(datas, time_limit_s=time_limit, workers=workers, seed=seed)
    finish(result, out=out, excel=excel, as_json=as_json,
           charts=lambda: matrix_charts(result), summary=_summary)


def _summary(result: Result) -> list[str]:
    cov = result.tables["coverage"]
    lines = ["coverage (delivered / needed sessions per week):"]
    for wt, grp in cov.groupby("week_type", sort=False):
        parts = ", ".join(
            f"{t} {d}/{n}" for t, d, n in zip(grp["activity_type"], grp["delivered"], grp["needed"], strict=True)
        )
        lines.append(f"  {wt}: {parts}")
    return lines

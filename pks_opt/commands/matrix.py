"""`pks matrix`: the activity matrix (rooms and staff × sessions) of a clinic."""

from __future__ import annotations

from pathlib import Path

import click

from pks_opt.commands.common import (
    finish,
    handles_input_errors,
    lang_option,
    output_options,
    wall_clock_left,
)
from pks_opt.constants import DEFAULT_TIME_LIMIT_S
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
@click.option(
    "--time-limit",
    "time_limit",
    type=click.FloatRange(min=0.1),
    default=DEFAULT_TIME_LIMIT_S,
    show_default=True,
    help="Wall-clock seconds for the whole run, reading included, shared by the stages "
    "(with --deterministic: CP-SAT work units, repeatable, often 2-3x as many wall seconds).",
)
@click.option(
    "--deterministic/--wall-clock",
    "deterministic",
    default=False,
    help="--deterministic: count the limit in CP-SAT's deterministic work units, so the same "
    "input and seed give the same matrix on any machine and under any load (the wall time "
    "varies, at most 3x the limit). Default --wall-clock: the limit is wall-clock seconds (a "
    "search stopped by it may differ between runs).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="CP-SAT search workers (1 = reproducible).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="CP-SAT random seed.")
@click.option(
    "--scenario",
    "scenarios",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Scenario YAML (repeatable): each variant is solved beside the base; writes "
    "scenario_comparison.csv, its chart and one sub-folder per scenario.",
)
@output_options
@lang_option
@handles_input_errors
def matrix(
    instance: Path,
    from_plan: Path | None,
    week: int | None,
    time_limit: float,
    workers: int,
    seed: int,
    deterministic: bool,
    scenarios: tuple[Path, ...],
    out: Path | None,
    excel: bool,
    as_json: bool,
) -> None:
    """Build the weekly activity matrix: which activity each room holds in each session.

    Big rocks first: same-day sessions per day, then planned sessions by priority, then
    continuity, even spread and few room changes. Writes the room and staff grids, coverage,
    staff_demand.csv (for `pks roster --from-matrix`) and a PNG per week type.
    """
    from pks_opt import api, progress

    if not deterministic:  # the user's seconds count from the start of the program, and end
        time_limit = wall_clock_left(time_limit, writing=out is not None)  # with it written
    with progress.live("Building the activity matrix", None if deterministic else time_limit):
        result = api.matrix(
            instance,
            from_plan=from_plan,
            week=week,
            time_limit=time_limit,
            workers=workers,
            seed=seed,
            scenarios=scenarios,
            deterministic=deterministic,
        )
    finish(
        result,
        out=out,
        excel=excel,
        as_json=as_json,
        summary=_summary,
        compared=bool(scenarios),
    )


def _summary(result: Result, lang: str = "en") -> list[str]:
    from pks_opt.i18n import messages

    cov = result.tables["coverage"]
    lines = [messages(lang).text("summary", "matrix_coverage")]
    for wt, grp in cov.groupby("week_type", sort=False):
        parts = ", ".join(
            f"{t} {d}/{n}"
            for t, d, n in zip(grp["activity_type"], grp["delivered"], grp["needed"], strict=True)
        )
        lines.append(f"  {wt}: {parts}")
    return lines

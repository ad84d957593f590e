"""`pks roster INSTANCE`: need-based rostering, big rocks first (and the Curtois benchmark)."""

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
    "--from-matrix",
    "from_matrix",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder with the activity matrix's staff_demand.csv (tier-2 demand).",
)
@click.option(
    "--from-need",
    "from_need",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder with the need level's acute_dimensioning.csv (pks need "
    "--out): tier-1 demand through the instance's acute_staffing table.",
)
@click.option(
    "--unit",
    default=None,
    help="With --from-need: the unit whose acute dimensioning to take (default: the "
    "instance parameter 'unit', or the only unit in the file).",
)
@click.option(
    "--time-limit",
    "time_limit",
    type=click.FloatRange(min=0.1),
    default=DEFAULT_TIME_LIMIT_S,
    show_default=True,
    help="Wall-clock seconds for all stages (with --deterministic: "
    "CP-SAT work units, repeatable, often 2-3x as many wall seconds).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="CP-SAT random seed.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="Threads: the full search and the LNS share them.",
)
@click.option("--quiet", is_flag=True, help="No progress lines on stderr.")
@click.option(
    "--deterministic/--wall-clock",
    "deterministic",
    default=False,
    help="--deterministic: count every limit in CP-SAT's deterministic work units, so "
    "the same input, seed and workers give the same roster on any machine and under "
    "any load (the wall time is longer and varies). Default --wall-clock: the limit "
    "is wall-clock seconds (a search stopped by it may differ between runs).",
)
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
def roster(
    instance: Path,
    from_matrix: Path | None,
    from_need: Path | None,
    unit: str | None,
    time_limit: float,
    seed: int,
    workers: int,
    quiet: bool,
    deterministic: bool,
    scenarios: tuple[Path, ...],
    out: Path | None,
    excel: bool,
    as_json: bool,
) -> None:
    """Lay a roster, big rocks first: time-critical work, planned patient work, other work.

    Time-critical work (acute, on-call; tier 1) is covered first, then planned patient work
    from the activity matrix (tier 2), then other work (tier 3), wishes and fairness.

    Writes feedback.csv (short demand, upward) and trace.csv (demand rows with the matrix
    cells behind them) beside the roster tables.

    INSTANCE is a roster instance folder/workbook (kind: roster) or a Curtois & Qu benchmark
    file InstanceN.txt (then --out gets roster.csv as staff,day,shift and the benchmark
    objective recomputed by an independent evaluator).
    """
    from pks_opt import api, progress
    from pks_opt.formats.curtois import is_curtois

    if is_curtois(instance) and (from_matrix is not None or from_need is not None):
        raise click.UsageError("--from-matrix and --from-need do not apply to a benchmark instance")
    if not deterministic:  # the user's seconds count from the start of the program, and end
        time_limit = wall_clock_left(time_limit, writing=out is not None)  # with it written
    with progress.live("Laying the roster", None if deterministic else time_limit):
        result = api.roster(
            instance,
            from_matrix=from_matrix,
            from_need=from_need,
            unit=unit,
            time_limit=time_limit,
            seed=seed,
            workers=workers,
            deterministic=deterministic,
            progress=not (quiet or as_json),
            scenarios=scenarios,
        )
    if result.kind == "roster":
        from pks_opt import names

        names.apply(result)  # tiers by the seeds' names in tables and explanation lines
    finish(
        result,
        out=out,
        excel=excel,
        as_json=as_json,
        summary=None if result.kind != "roster" else _summary,
        compared=bool(scenarios),
    )


def _summary(result: Result, lang: str = "en") -> list[str]:
    from pks_opt.i18n import messages
    from pks_opt.names import tier_name

    m = messages(lang)
    k = result.kpis
    tiers = ", ".join(
        m.text(
            "summary",
            "roster_tier",
            tier=tier_name(t, lang),
            shifts=k.get(f"tier{t}_short_shifts", 0),
            hours=f"{k.get(f'tier{t}_short_hours', 0):g}".replace(
                ".", "," if lang == "sv" else "."
            ),
        )
        for t in (1, 2, 3)
    )
    return [m.text("summary", "roster_shortfall", tiers=tiers)]

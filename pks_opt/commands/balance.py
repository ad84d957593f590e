"""`pks balance`: the strategic balancing MILP, alone or base + scenarios side by side."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pks_opt.commands.common import (
    finish,
    handles_input_errors,
    lang_option,
    milp_solver_option,
    output_options,
)
from pks_opt.result import Result


@click.command()
@click.argument("instance", type=click.Path(path_type=Path))
@click.option(
    "--scenario",
    "scenarios",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Scenario YAML applied to the base (repeatable); writes a side-by-side comparison.",
)
@click.option(
    "--feedback",
    "feedback",
    multiple=True,
    type=click.Path(path_type=Path),
    help="A lower level's result folder (or its feedback.csv): re-balance with what it found "
    "achievable (repeatable).",
)
@click.option(
    "--actuals",
    type=click.Path(path_type=Path),
    default=None,
    help="An actuals instance (kind: actuals): the quarters it covers are done; re-balance the "
    "rest of the year.",
)
@click.option(
    "--year",
    default=None,
    help="With --actuals: the plan year whose quarters the actuals' weeks fall in (default: the "
    "first four periods).",
)
@milp_solver_option
@click.option(
    "--time-limit",
    "time_limit",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Seconds for all stages of one solve (default: none).",
)
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Solver threads (the machine may be shared).",
)
@output_options
@lang_option
@handles_input_errors
def balance(
    instance: Path,
    scenarios: tuple[Path, ...],
    feedback: tuple[Path, ...],
    actuals: Path | None,
    year: str | None,
    solver: str,
    time_limit: float | None,
    threads: int,
    out: Path | None,
    excel: bool,
    as_json: bool,
) -> None:
    """Balance need and capacity across units under budget (spec: models/balancing.md).

    Writes production_goals, budget, actions (ladder order), utilisation, shadow_prices and
    service_catalogue tables, a need-vs-capacity chart per unit, and with --scenario a
    scenario_comparison.csv plus one sub-folder per scenario.
    """
    from pks_opt import api, progress
    from pks_opt.balancing.compare import comparison_lines
    from pks_opt.balancing.report import summary

    if actuals is not None and scenarios:
        raise click.UsageError("--actuals does not go with --scenario")
    if year is not None and actuals is None:
        raise click.UsageError("--year only goes with --actuals")
    with progress.live("Balancing need and capacity", time_limit):
        result = api.balance(
            instance,
            solver=solver,
            time_limit=time_limit,
            threads=threads,
            scenarios=scenarios,
            feedback=feedback,
            actuals=actuals,
            year=year,
        )
    from pks_opt import names

    names.apply(result)  # actions by the seeds' names in tables and explanation lines
    status_code = max([p.status.exit_code for p in result.parts.values()], default=0)
    if result.parts and not as_json:
        for line in comparison_lines(result):
            click.echo(line)
        if status_code:
            click.echo("some scenario has no solution: see its explanation", err=True)
    try:
        finish(
            result,
            out=out,
            excel=excel,
            as_json=as_json,
            summary=lambda r, lang: _named(summary(r, lang), r, lang),
        )
    except SystemExit as exc:
        sys.exit(max(int(exc.code or 0), status_code))


def _named(lines: list[str], result: Result, lang: str) -> list[str]:
    """Name the actions in the summary's actions line (``6 × move capacity``)."""
    from pks_opt.i18n import messages
    from pks_opt.names import action_name

    m = messages(lang)
    head = m.text("summary", "balance_actions", actions="")
    acts = result.kpis.get("actions", {})
    none = "inga" if lang == "sv" else "none"
    named = ", ".join(f"{n} × {action_name(a, lang)}" for a, n in acts.items() if n) or none
    return [
        m.text("summary", "balance_actions", actions=named) if line.startswith(head) else line
        for line in lines
    ]

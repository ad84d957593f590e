"""`pks balance`: the strategic balancing MILP, alone or base + scenarios side by side."""

from __future__ import annotations

import shutil
import sys
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
from pks_opt.errors import OutputError
from pks_opt.io import read_raw


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
    from pks_opt.balancing import balance as solve
    from pks_opt.balancing import read_balancing
    from pks_opt.balancing.compare import compare, comparison_lines, read_variants
    from pks_opt.balancing.feedback import apply_feedback
    from pks_opt.balancing.report import balancing_charts, summary
    from pks_opt.feedback import read_feedback

    raw = read_raw(instance, expect_kind="strategic")
    # every input is read and validated before anything is solved or written
    rows = [f for source in feedback for f in read_feedback(source)]
    notes: list[str] = []

    def read(r: Any) -> Any:
        data, found = apply_feedback(read_balancing(r), rows)
        if not notes:
            notes.extend(found)
        return data

    variants = [("base", read(raw))]
    variants += read_variants(raw, scenarios, read)
    if actuals is not None and len(variants) > 1:
        raise click.UsageError("--actuals does not go with --scenario")
    if year is not None and actuals is None:
        raise click.UsageError("--year only goes with --actuals")
    acts = None
    if actuals is not None:
        from pks_opt.followup.actuals import read_actuals

        acts = read_actuals(actuals)
    if len(variants) == 1:
        data = variants[0][1]
        done_notes: list[str] = []
        extra_tables = {}
        with interrupt.solving():  # a signal stops the stage running; the plan so far is kept
            if acts is not None:
                from pks_opt.balancing.actuals import apply_actuals
                from pks_opt.balancing.solve import balance_run

                first, first_result = balance_run(
                    data, solver, time_limit_s=time_limit, threads=threads
                )
                if not first_result.status.has_solution:
                    first_result.explanation.insert(
                        0, "the balance before the actuals found no plan: nothing to re-balance"
                    )
                    finish(first_result, out=out, excel=excel, as_json=as_json)
                    return
                data, done_notes, used = apply_actuals(data, first.values, acts, year)
                extra_tables["actuals_used"] = used
            result = solve(data, solver, time_limit_s=time_limit, threads=threads)
        result.explanation[:0] = [f"feedback: {n}" for n in notes] + [
            f"actuals: {n}" for n in done_notes
        ]
        result.tables.update(extra_tables)
        finish(
            result,
            out=out,
            excel=excel,
            as_json=as_json,
            charts=lambda: balancing_charts(data, result),
            summary=summary,
        )
        return
    with interrupt.solving():
        results = [
            (name, data, solve(data, solver, time_limit_s=time_limit, threads=threads))
            for name, data in variants
        ]
        base = compare(results)
    staging: Path | None = None
    subfolders: dict[str, Path] = {}
    if out is not None:
        # the scenarios' folders are written first, beside OUT, and moved into the base's
        # result folder, which then replaces OUT whole
        import tempfile

        from pks_opt.report.output import output_error, write_result

        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.scenarios.", dir=out.parent))
        except OSError as exc:
            raise output_error(out, exc) from None
        signame = interrupt.requested()
        for name, data, res in results[1:]:
            if signame is not None:
                res = res.interrupted(signame, interrupt.seconds_since_start())
            figs = balancing_charts(data, res) if res.has_solution else {}
            try:
                write_result(res, staging / name, excel=excel, charts=figs)
            except OutputError as exc:
                raise OutputError(out, exc.reason) from None
            subfolders[name] = staging / name
    if not as_json:
        for line in comparison_lines(base):
            click.echo(line)
    _, data0, _ = results[0]
    status_code = max(res.status.exit_code for _, _, res in results)
    if status_code and not as_json:
        click.echo("some scenario has no solution: see its explanation", err=True)
    try:
        finish(
            base,
            out=out,
            excel=excel,
            as_json=as_json,
            charts=lambda: balancing_charts(data0, base),
            summary=summary,
            subfolders=subfolders,
        )
    except SystemExit as exc:
        sys.exit(max(int(exc.code or 0), status_code))
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)

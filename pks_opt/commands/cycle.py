"""`pks cycle CYCLE_DIR`: the three planning rounds.

Preliminary mission, handshake, dimensioning.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import click

from pks_opt import interrupt, progress
from pks_opt.commands.common import (
    current_lang,
    handles_input_errors,
    lang_option,
    milp_solver_option,
    summary_lines,
    wall_clock_left,
)
from pks_opt.errors import OutputError

if TYPE_CHECKING:
    from pks_opt.cycle.spec import CycleSpec


@click.command()
@click.argument("cycle_dir", type=click.Path(path_type=Path))
@milp_solver_option
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write every round's results here (round1/, round2/, round3/, rounds.csv, "
    "handshake.csv, result.json, goals_and_gaps.png): all or nothing.",
)
@click.option(
    "--time-limit",
    "time_limit",
    type=click.FloatRange(min=1),
    default=None,
    help="Wall-clock seconds for the whole cycle (default: none; each plan then has the "
    "cycle's plan.time_limit): shared over the balances and plans; no handshake starts after "
    "it, and what is still raised is left open.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the cycle's envelope as JSON.")
@lang_option
@handles_input_errors
def cycle(
    cycle_dir: Path, solver: str, out: Path | None, time_limit: float | None, as_json: bool
) -> None:
    """Run the three planning rounds of a cycle folder (cycle.yaml).

    Round 1: need with today's resources and the balance (the preliminary mission). Round 2:
    each unit's production plan from the balance; a unit accepts or raises feedback, and the
    balance is redone with it until every unit accepts or max_handshakes is reached. Round 3:
    staff and beds for the agreed mission.
    """
    import json

    from pks_opt.cycle import read_cycle, run_cycle
    from pks_opt.cycle.charts import cycle_charts
    from pks_opt.report.output import output_error, replace_folder, write_result

    spec = read_cycle(cycle_dir)  # every instance read and validated before any solve
    if out is not None:  # OUT may not be, lie in or hold an instance cycle.yaml names
        from pks_opt.report.claim import check_clear_of_inputs

        check_clear_of_inputs(out, cycle_inputs(spec))
    parent = out.parent if out is not None else None
    try:
        if parent is not None:
            parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".cycle.", dir=parent))
    except OSError as exc:
        raise output_error(out or Path(tempfile.gettempdir()), exc) from None
    forget = interrupt.on_hard_exit(lambda: shutil.rmtree(work, ignore_errors=True))
    echo = (lambda _line: None) if as_json else (lambda line: click.echo(line, err=True))
    try:
        # a signal stops the round running; the rounds done so far are kept (INTERRUPTED)
        # the rounds print their own progress, and a live line every 2 s (in a log) says what
        # is being solved; the stage lines of its many solves would drown it
        doing = progress.live("Running the planning rounds", time_limit)
        with doing, interrupt.solving(), progress.to(None):
            outcome = run_cycle(
                spec,
                work,
                solver=solver.lower(),
                echo=echo,
                time_limit_s=None if time_limit is None else wall_clock_left(time_limit),
            )
        result = outcome.result
        figures = cycle_charts(result, current_lang()) if result.status.has_solution else {}
        envelope = write_result(result, work, charts=figures)
        if out is not None:
            try:  # the whole folder replaces OUT: no stale files of an earlier run stay
                replace_folder(work, out)
            except OSError as exc:
                raise output_error(out, exc) from None
    except OutputError as exc:  # a write into the work folder failed: name OUT
        raise OutputError(out or exc.out, exc.reason) from None
    finally:
        forget()
        shutil.rmtree(work, ignore_errors=True)
    if as_json:
        click.echo(json.dumps(envelope, indent=2, ensure_ascii=False))
    else:
        for line in summary_lines(result, out, current_lang()):
            click.echo(line)
    sys.exit(result.status.exit_code)


def cycle_inputs(spec: CycleSpec) -> list[Path]:
    """Read the cycle folder, its strategic instance and every unit's tactical instance."""
    return [spec.folder, spec.raw.source, *spec.plan_paths.values()]

"""`pks need INSTANCE`: care need → production need → capacity need, and gaps.

Also beds, staffing, acute dimensioning and available capacity (an exact calculation, no
solver).
"""

from __future__ import annotations

from pathlib import Path

import click

from pks_opt.commands.common import finish, handles_input_errors, lang_option, output_options


@click.command()
@click.argument("instance", type=click.Path(path_type=Path))
@click.option(
    "--scenario",
    "scenarios",
    type=click.Path(path_type=Path),
    multiple=True,
    help="Scenario YAML applied to the instance first (repeatable: applied in order).",
)
@click.option(
    "--share",
    type=click.FloatRange(0, 1, min_open=True),
    default=None,
    help="Share of days the acute capacity must cover (default: the instance's "
    "acute_share parameter, else 0.85).",
)
@output_options
@lang_option
@handles_input_errors
def need(
    instance: Path,
    scenarios: tuple[Path, ...],
    share: float | None,
    out: Path | None,
    excel: bool,
    as_json: bool,
) -> None:
    """Need vs available capacity per unit, resource and period (strategic instance).

    Writes production_need, mission_cascade, capacity_need, available_capacity, gaps,
    inpatient_beds, staffing, acute_dimensioning, usage and improvements as CSV, plus the
    need_vs_available chart. An exact calculation: status COMPUTED and no objective; the KPI
    total_positive_gap is the need above available, per resource in its own measure.
    """
    from pks_opt import api
    from pks_opt.capacity_need import need_summary

    result = api.need(instance, scenarios=scenarios, share=share)
    finish(result, out=out, excel=excel, as_json=as_json, summary=need_summary)

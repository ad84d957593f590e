"""`pks follow-up PLAN_DIR ACTUALS`: what happened against a plan, a balance or a roster.

Against the production plan; or, when the folder is a `pks balance` result (result.json
kind `balance`), against the balance's goals and capacity per quarter; or, for a `pks
roster` result, the shifts worked against the roster.
"""

from __future__ import annotations

from pathlib import Path

import click

from pks_opt.commands.common import finish, handles_input_errors, lang_option, output_options


@click.command("follow-up")
@click.argument("plan_dir", type=click.Path(path_type=Path))
@click.argument("actuals", type=click.Path(path_type=Path))
@click.option(
    "--threshold",
    type=click.FloatRange(min=0, min_open=True),
    default=0.10,
    show_default=True,
    help="The unit's threshold: a week's deviation below this share of the plan is not flagged.",
)
@click.option(
    "--year",
    default=None,
    metavar="YEAR",
    help="With a balance result: the plan year whose quarters the actuals' weeks "
    "belong to (default: the first four periods).",
)
@click.option(
    "--resources-from",
    "resources_from",
    default=None,
    type=click.Path(path_type=Path),
    metavar="PLAN_INSTANCE",
    help="With a balance result: follow up the actuals' plan-level hours against the "
    "balance's resources through this plan instance's balance_resource column.",
)
@output_options
@lang_option
@handles_input_errors
def follow_up(
    plan_dir: Path,
    actuals: Path,
    threshold: float,
    year: str | None,
    resources_from: Path | None,
    out: Path | None,
    excel: bool,
    as_json: bool,
) -> None:
    """Actuals against a production plan: production, inflow, waiting list and capacity.

    PLAN_DIR may also be a balance result (pks balance --out): then production and inflow
    per unit × object × quarter are compared with the balance's goals and need to date, and
    available hours with the capacity after its actions (balance_followup.csv,
    balance_capacity_followup.csv, escalation.csv, balance_followup.png); --year picks the
    plan year.

    PLAN_DIR may also be a roster result (pks roster --out): then the actuals' shifts.csv
    (staff, date, shift[, comment]) is compared with the roster and its demand per tier,
    writing staff_followup.csv, cover_followup.csv, escalation.csv and cover_followup.png.

    Flags a week's deviation when it is beyond --threshold and not noise (outside the XmR
    control limits, or a run of three weeks on one side); normal and low-production weeks are
    summarised apart; writes followup.csv, capacity_followup.csv, followup_summary.csv,
    escalation.csv (plain words for the level above) and the two follow-up charts.
    """
    from pks_opt import api

    result = api.follow_up(
        plan_dir, actuals, threshold=threshold, year=year, resources_from=resources_from
    )
    finish(result, out=out, excel=excel, as_json=as_json)

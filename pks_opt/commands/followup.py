"""`pks follow-up PLAN_DIR ACTUALS`: what happened against the production plan — or, when the
folder is a `pks balance` result (result.json kind `balance`), against the balance's goals and
capacity per quarter, or, for a `pks roster` result, the shifts worked against the roster."""

from __future__ import annotations

from pathlib import Path

import click

from pks_opt.commands.common import finish, handles_input_errors, output_options


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
@click.option("--year", default=None, metavar="YEAR",
              help="With a balance result: the plan year whose quarters the actuals' weeks "
              "belong to (default: the first four periods).")
@click.option("--resources-from", "resources_from", default=None,
              type=click.Path(path_type=Path), metavar="PLAN_INSTANCE",
              help="With a balance result: follow up the actuals' plan-level hours against the "
              "balance's resources through this plan instance's balance_resource column.")
@output_options
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
    from pks_opt.followup.balance import BALANCE_KIND
    from pks_opt.followup.roster import ROSTER_KIND, result_kind

    kind = result_kind(plan_dir)
    if kind == ROSTER_KIND:
        _roster(plan_dir, actuals, threshold, out, excel, as_json)
        return
    if kind == BALANCE_KIND:
        _balance(plan_dir, actuals, threshold, year, resources_from, out, excel, as_json)
        return
    from pks_opt.followup import follow_up as compare
    from pks_opt.followup import read_actuals, read_plan_folder
    from pks_opt.followup.charts import followup_charts

    pf = read_plan_folder(plan_dir)
    data = read_actuals(actuals)
    result = compare(pf, data, threshold=threshold)
    finish(result, out=out, excel=excel, as_json=as_json, charts=lambda: followup_charts(result))


def _roster(roster_dir: Path, actuals: Path, threshold: float, out: Path | None, excel: bool,
            as_json: bool) -> None:
    from pks_opt.followup.charts import roster_followup_chart
    from pks_opt.followup.roster import read_roster_folder, read_shift_actuals, roster_follow_up

    rf = read_roster_folder(roster_dir)
    rows, table = read_shift_actuals(actuals)
    result = roster_follow_up(rf, rows, table, threshold=threshold, actuals=str(actuals))
    finish(result, out=out, excel=excel, as_json=as_json,
           charts=lambda: roster_followup_chart(result))


def _balance(balance_dir: Path, actuals: Path, threshold: float, year: str | None,
             resources_from: Path | None, out: Path | None, excel: bool, as_json: bool) -> None:
    from pks_opt.followup import read_actuals
    from pks_opt.followup.balance import balance_follow_up, read_balance_folder
    from pks_opt.followup.charts import balance_followup_chart

    bf = read_balance_folder(balance_dir, year)
    mapping: dict[str, str] = {}
    if resources_from is not None:
        from pks_opt.production_plan.data import read_plan

        plan = read_plan(resources_from)
        mapping = {r.id: r.balance_resource for r in plan.resources if r.balance_resource}
    result = balance_follow_up(bf, read_actuals(actuals), threshold=threshold,
                               resource_map=mapping)
    finish(result, out=out, excel=excel, as_json=as_json,
           charts=lambda: balance_followup_chart(result))

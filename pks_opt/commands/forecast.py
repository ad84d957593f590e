"""`pks forecast HISTORY`: weekly inflow forecast per planning object.

From two or more years of weekly history, with a back-test and prediction intervals, in the
formats `pks plan` and `pks need` read.
"""

from __future__ import annotations

from pathlib import Path

import click

from pks_opt.commands.common import finish, handles_input_errors, lang_option, output_options
from pks_opt.result import Result


@click.command()
@click.argument("history", type=click.Path(path_type=Path))
@click.option(
    "--horizon",
    type=click.IntRange(1, 156),
    default=52,
    show_default=True,
    help="Weeks to forecast (inflow.csv has weeks 1..horizon).",
)
@click.option(
    "--holdout",
    type=click.Choice(["auto", "13", "26"]),
    default="auto",
    show_default=True,
    help="Weeks at the end of the history held out for the back-test; auto: 26 "
    "when the history has at least 130 weeks, else 13.",
)
@click.option(
    "--start",
    "start_week",
    default=None,
    metavar="YYYY-Www",
    help="First forecast week (default: the week after the history).",
)
@click.option(
    "--seasonality",
    type=click.Choice(["unit", "object"]),
    default="unit",
    show_default=True,
    help="Estimate the week-of-year profile on the unit's total (shared by its "
    "objects) or per object.",
)
@output_options
@lang_option
@handles_input_errors
def forecast(
    history: Path,
    horizon: int,
    holdout: str,
    start_week: str | None,
    seasonality: str,
    out: Path | None,
    excel: bool,
    as_json: bool,
) -> None:
    """Forecast weekly inflow per unit × planning object from a history instance.

    Writes forecast (with 80 % and 95 % intervals), backtest (MAPE, MASE against the seasonal
    naive forecast), seasonal_profile, holiday_effects, fit, weekday_profile (with daily data),
    and for the other levels inflow.csv (`pks plan`), demand_forecast.csv (base_volume per
    13-week quarter, `pks need`) and waiting_lists.csv (the waiting list at the end of the
    history). The objective is the mean back-test MASE.
    """
    from pks_opt import api

    result = api.forecast(
        history,
        horizon=horizon,
        holdout=None if holdout == "auto" else int(holdout),
        start=start_week,
        seasonality=seasonality,
    )
    finish(result, out=out, excel=excel, as_json=as_json, summary=_summary)


def _summary(result: Result, lang: str = "en") -> list[str]:
    from pks_opt.i18n import messages

    bt = result.tables["backtest"]
    lines = [messages(lang).text("summary", "forecast_backtest")]
    for _, r in bt.iterrows():
        lines.append(
            f"  {r['unit']}/{r['planning_object']}: {r['MAPE']:.1f}  {r['MASE']:.2f}  "
            f"{r['model_MAE']:.1f}  {r['seasonal_naive_MAE']:.1f}"
        )
    return lines

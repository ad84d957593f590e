"""Forecast charts: history, in-sample fit, back-test and forecast, one panel per object.

The forecast with 80 % and 95 % intervals; at most :data:`MAX_PANELS` panels per figure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pks_opt.forecasting.weeks import parse_week
from pks_opt.report.figures import subplots
from pks_opt.result import Result

if TYPE_CHECKING:
    from matplotlib.figure import Figure

MAX_PANELS = 12


def forecast_charts(result: Result, lang: str = "en") -> dict[str, Figure]:
    """Draw one panel per object: history, fit, back-test and forecast with 80/95 % bands.

    At most :data:`MAX_PANELS` a figure, texts in ``lang``.
    """
    from pks_opt.i18n import messages

    m = messages(lang)
    fit = result.tables["fit"]
    fc = result.tables["forecast"]
    keys = list(dict.fromkeys(zip(fit["unit"], fit["planning_object"], strict=True)))
    figures: dict[str, Figure] = {}
    for start in range(0, len(keys), MAX_PANELS):
        chunk = keys[start : start + MAX_PANELS]
        cols = 2 if len(chunk) > 1 else 1
        rows = (len(chunk) + cols - 1) // cols
        fig, axes = subplots(rows, cols, figsize=(7 * cols, 2.6 * rows), squeeze=False, sharex=True)
        for ax, (unit, obj) in zip(axes.flat, chunk, strict=False):
            h = fit[(fit["unit"] == unit) & (fit["planning_object"] == obj)]
            f = fc[(fc["unit"] == unit) & (fc["planning_object"] == obj)]
            hx = [parse_week(w) for w in h["week"]]
            fx = [parse_week(w) for w in f["week"]]
            ax.plot(hx, h["inflow"], color="0.55", lw=0.9, label=m.text("plot", "fc_history"))
            ax.plot(
                hx, h["fitted"], color="tab:blue", lw=0.8, alpha=0.7, label=m.text("plot", "fc_fit")
            )
            bt = h[h["backtest"].notna()]
            ax.plot(
                [parse_week(w) for w in bt["week"]],
                bt["backtest"],
                color="tab:orange",
                lw=1.3,
                ls="--",
                label=m.text("plot", "fc_backtest"),
            )
            ax.fill_between(
                fx, f["lower_95"], f["upper_95"], color="tab:green", alpha=0.15, label="95 %"
            )
            ax.fill_between(
                fx, f["lower_80"], f["upper_80"], color="tab:green", alpha=0.3, label="80 %"
            )
            ax.plot(fx, f["inflow"], color="tab:green", lw=1.2, label=m.text("plot", "fc_forecast"))
            ax.set_title(f"{unit} / {obj}", fontsize=9)
            ax.set_ylabel(m.text("plot", "plan_inflow"), fontsize=8)
            ax.tick_params(labelsize=7)
        for ax in list(axes.flat)[len(chunk) :]:
            ax.set_visible(False)
        axes.flat[0].legend(fontsize=6, ncol=3, loc="lower left")
        fig.tight_layout()
        name = "forecast" if len(keys) <= MAX_PANELS else f"forecast_{start // MAX_PANELS + 1}"
        figures[name] = fig
    return figures

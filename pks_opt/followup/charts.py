"""The seeds' follow-up charts: outcome against plan per week, and the waiting list.

The outcome with the cumulative line; the waiting list actual against forecast (one panel
per planning object, at most 12).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pks_opt.constants import NORMAL_WEEK
from pks_opt.report.figures import subplots
from pks_opt.result import Result

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from pks_opt.i18n import Messages

MAX_PANELS = 12


def followup_charts(result: Result, lang: str = "en") -> dict[str, Figure]:
    """Draw production against plan per week, the cumulative deviation and the waiting list.

    Texts in ``lang``.
    """
    from pks_opt.i18n import messages

    df = result.tables.get("followup")
    if df is None or df.empty:
        return {}
    m = messages(lang)
    objects = list(dict.fromkeys(df["planning_object"]))[:MAX_PANELS]
    return {
        "production_followup": _production_figure(result, df, objects, m),
        "queue_followup": _queue_figure(result, df, objects, m),
    }


def _panels(objects: list[str]) -> tuple[Figure, Any]:
    cols = min(3, len(objects))
    rows = (len(objects) + cols - 1) // cols
    fig, axes = subplots(rows, cols, figsize=(5 * cols, 3.2 * rows), squeeze=False)
    for ax in list(axes.flat)[len(objects) :]:
        ax.axis("off")
    return fig, axes


def _whole_weeks(ax: Any) -> None:
    """Week axis ticks on whole weeks only (no 2.5)."""
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))


def _finish(fig: Figure, handles: list[Any], labels: list[str], title: str) -> None:
    """Title on top, the legend in a row of its own under it, clear of the panels' titles."""
    height = fig.get_figheight()  # inches: the title and the legend take 0.5 in at the top
    fig.suptitle(title, fontsize=11, y=1 - 0.08 / height, va="top")
    fig.legend(
        handles,
        labels,
        loc="upper center",
        bbox_to_anchor=(0.5, 1 - 0.3 / height),
        ncol=len(labels),
        fontsize=8,
        frameon=False,
    )
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.5 / height))


def _production_figure(result: Result, df: pd.DataFrame, objects: list[str], m: Messages) -> Figure:
    from matplotlib.lines import Line2D

    fig, axes = _panels(objects)
    for ax, o in zip(axes.flat, objects, strict=False):
        d = df[df["planning_object"] == o]
        low = d["week_type"] != NORMAL_WEEK
        for w in d["week"][low]:
            ax.axvspan(w - 0.5, w + 0.5, color="#eeeeee", zorder=0)
        ax.bar(
            d["week"], d["production_actual"], color="#4c72b0", label=m.text("plot", "fu_actual")
        )
        ax.plot(
            d["week"], d["production_plan"], color="#dd8452", lw=2, label=m.text("plot", "fu_plan")
        )
        flagged = d[d["production_flag"]]
        ax.scatter(
            flagged["week"],
            flagged["production_actual"],
            color="red",
            zorder=3,
            label=m.text("plot", "fu_flagged"),
        )
        ax2 = ax.twinx()
        ax2.plot(
            d["week"],
            d["cumulative_deviation"],
            color="black",
            ls="--",
            label=m.text("plot", "fu_cumulative"),
        )
        ax2.axhline(0, color="black", lw=0.5)
        ax.set_title(o, fontsize=10)
        ax.set_xlabel(m.text("plot", "week"))
        ax.set_ylabel(m.text("plot", "plan_activities_week"))
        ax2.set_ylabel(m.text("plot", "fu_cumulative_axis"))
        _whole_weeks(ax)
    handles, labels = axes[0][0].get_legend_handles_labels()
    handles.append(Line2D([], [], color="black", ls="--"))
    labels.append(m.text("plot", "fu_cumulative_right"))
    _finish(fig, handles, labels, m.text("plot", "fu_production_title", instance=result.instance))
    return fig


def _queue_figure(result: Result, df: pd.DataFrame, objects: list[str], m: Messages) -> Figure:
    fig, axes = _panels(objects)
    twins: list[Any] = []
    for ax, o in zip(axes.flat, objects, strict=False):
        d = df[df["planning_object"] == o]
        ax.plot(
            d["week"],
            d["queue_forecast"],
            color="#dd8452",
            lw=2,
            label=m.text("plot", "fu_forecast_queue"),
        )
        if d["queue_actual"].notna().any():
            ax.plot(
                d["week"],
                d["queue_actual"],
                color="#4c72b0",
                marker="o",
                ms=3,
                label=m.text("plot", "fu_actual_queue"),
            )
        flagged = d[d["queue_flag"]]
        ax.scatter(
            flagged["week"],
            flagged["queue_actual"],
            color="red",
            zorder=3,
            label=m.text("plot", "fu_flagged"),
        )
        # patients a week against a queue of hundreds: on an axis of their own (right)
        ax2 = ax.twinx()
        twins.append(ax2)
        diff = d["inflow_actual"] - d["inflow_forecast"]
        ax2.bar(
            d["week"],
            diff,
            color="#999999",
            alpha=0.5,
            label=m.text("plot", "fu_inflow_diff"),
        )
        top = max(1.0, float(diff.abs().max()))
        ax2.set_ylim(-1.15 * top, 1.15 * top)  # zero in the middle: above and below alike
        ax2.axhline(0, color="#999999", lw=0.5)
        ax2.set_ylabel(m.text("plot", "fu_inflow_diff"), fontsize=8)
        ax.set_zorder(ax2.get_zorder() + 1)
        ax.patch.set_visible(False)
        ax.set_title(o, fontsize=10)
        ax.set_xlabel(m.text("plot", "week"))
        ax.set_ylabel(m.text("plot", "fu_patients"))
        _whole_weeks(ax)
    handles, labels = axes[0][0].get_legend_handles_labels()
    more = twins[0].get_legend_handles_labels()
    _finish(
        fig,
        handles + more[0],
        labels + more[1],
        m.text("plot", "fu_queue_title", instance=result.instance),
    )
    return fig


TIER_NAMES = {
    1: "tier 1 (time-critical)",
    2: "tier 2 (planned patient activities)",
    3: "tier 3 (other)",
}


def roster_followup_chart(result: Result, lang: str = "en") -> dict[str, Figure]:
    """Draw cover per day, one panel per tier: asked, rostered and worked.

    Asked as grey bars, rostered and worked as lines, the days with a flagged cell marked red.
    People-shifts summed over the tier's cells. Texts in ``lang``.
    """
    from matplotlib.ticker import MaxNLocator

    from pks_opt.i18n import messages

    df = result.tables.get("cover_followup")
    if df is None or df.empty:
        return {}
    m = messages(lang)
    df = df[df["staff"] == ""]
    tiers = sorted(int(t) for t in df["tier"].unique())
    days = sorted(df["date"].unique())
    x = list(range(len(days)))
    fig, axes = subplots(
        len(tiers),
        1,
        figsize=(max(7.0, 0.45 * len(days) + 2), 2.8 * len(tiers)),
        squeeze=False,
        sharex=True,
    )
    for ax, t in zip(axes[:, 0], tiers, strict=True):
        g = df[df["tier"] == t].groupby("date")[["asked", "rostered", "worked", "flag"]]
        d = g.agg({"asked": "sum", "rostered": "sum", "worked": "sum", "flag": "any"})
        d = d.reindex(days)
        d[["asked", "rostered", "worked"]] = d[["asked", "rostered", "worked"]].fillna(0)
        d["flag"] = d["flag"].astype("boolean").fillna(False).astype(bool)
        ax.bar(
            x, d["asked"], color="#dddddd", edgecolor="#999999", label=m.text("plot", "rfu_asked")
        )
        ax.plot(
            x,
            d["rostered"],
            color="#4c72b0",
            marker="o",
            lw=2,
            label=m.text("plot", "rfu_rostered"),
        )
        ax.plot(
            x,
            d["worked"],
            color="#dd8452",
            marker="s",
            lw=2,
            ls="--",
            label=m.text("plot", "rfu_worked"),
        )
        bad = [i for i, f in enumerate(d["flag"]) if bool(f)]
        ax.scatter(
            bad,
            [d["worked"].iloc[i] for i in bad],
            s=120,
            facecolors="none",
            edgecolors="red",
            lw=2,
            zorder=4,
            label=m.text("plot", "rfu_flagged"),
        )
        ax.set_title(
            m.text("plot", f"rfu_tier{t}") if t in TIER_NAMES else f"tier {t}", fontsize=10
        )
        ax.set_ylabel(m.text("plot", "rfu_people_shifts"))
        ax.set_ylim(0, max(1.0, float(d[["asked", "rostered", "worked"]].max().max())) * 1.2)
        ax.grid(axis="y", alpha=0.3)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax = axes[-1, 0]
    ax.set_xticks(x)
    ax.set_xticklabels(days, rotation=60, ha="right", fontsize=8)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.suptitle(m.text("plot", "rfu_title", instance=result.instance), fontsize=11, y=0.995)
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.97), fontsize=8, ncol=4)
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    return {"cover_followup": fig}


def balance_followup_chart(result: Result, lang: str = "en") -> dict[str, Figure]:
    """Draw per unit × planning object the goal to date and the actual production per quarter.

    Texts in ``lang``.
    """
    import numpy as np

    from pks_opt.i18n import messages

    m = messages(lang)
    df = result.tables.get("balance_followup")
    if df is None or df.empty:
        return {}
    keys = list(dict.fromkeys(zip(df["unit"], df["planning_object"], strict=True)))[:MAX_PANELS]
    cols = min(3, len(keys))
    rows = (len(keys) + cols - 1) // cols
    fig, axes = subplots(rows, cols, figsize=(5 * cols, 3.2 * rows), squeeze=False)
    for ax, (u, o) in zip(axes.flat, keys, strict=False):
        d = df[(df["unit"] == u) & (df["planning_object"] == o)]
        x = np.arange(len(d))
        ax.bar(
            x - 0.2, d["goal_to_date"], width=0.4, color="#dd8452", label=m.text("plot", "bfu_goal")
        )
        colours = ["red" if f else "#4c72b0" for f in d["production_flag"]]
        ax.bar(
            x + 0.2,
            d["production_actual"],
            width=0.4,
            color=colours,
            label=m.text("plot", "fu_actual"),
        )
        ax.plot(x, d["need_to_date"], "k_", markersize=24, label=m.text("plot", "bfu_need"))
        ax.plot(x, d["inflow_actual"], "kx", label=m.text("plot", "bfu_inflow"))
        ax.set_xticks(
            x,
            [
                f"{p}\n" + m.text("plot", "bfu_weeks", weeks=w)
                for p, w in zip(d["period"], d["weeks"], strict=True)
            ],
            fontsize=8,
        )
        ax.set_title(f"{u} {o}", fontsize=10)
        ax.set_ylabel(m.text("plot", "bfu_ylabel"))
    for ax in list(axes.flat)[len(keys) :]:
        ax.axis("off")
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [
        Patch(color="#dd8452", label=m.text("plot", "bfu_goal")),
        Patch(color="#4c72b0", label=m.text("plot", "bfu_actual_production")),
        Patch(color="red", label=m.text("plot", "bfu_beyond")),
        Line2D(
            [],
            [],
            color="black",
            marker="_",
            ls="",
            markersize=12,
            label=m.text("plot", "bfu_need"),
        ),
        Line2D([], [], color="black", marker="x", ls="", label=m.text("plot", "bfu_actual_inflow")),
    ]
    fig.legend(handles=handles, loc="lower center", ncol=5, fontsize=8)
    fig.suptitle(m.text("plot", "bfu_title", instance=result.instance), fontsize=11)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return {"balance_followup": fig}

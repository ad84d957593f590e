"""The seeds' follow-up charts: outcome against plan per week with the cumulative line, and
the waiting list, actual against forecast (one panel per planning object, at most 12)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pks_opt.constants import NORMAL_WEEK
from pks_opt.report.figures import subplots
from pks_opt.result import Result

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

MAX_PANELS = 12


def followup_charts(result: Result) -> dict[str, Figure]:
    """Production against plan per week with the cumulative deviation; the waiting list."""
    df = result.tables.get("followup")
    if df is None or df.empty:
        return {}
    objects = list(dict.fromkeys(df["planning_object"]))[:MAX_PANELS]
    return {
        "production_followup": _production_figure(result, df, objects),
        "queue_followup": _queue_figure(result, df, objects),
    }


def _panels(objects: list[str]) -> tuple[Figure, Any]:
    cols = min(3, len(objects))
    rows = (len(objects) + cols - 1) // cols
    fig, axes = subplots(rows, cols, figsize=(5 * cols, 3.2 * rows), squeeze=False)
    for ax in list(axes.flat)[len(objects) :]:
        ax.axis("off")
    return fig, axes


def _production_figure(result: Result, df: pd.DataFrame, objects: list[str]) -> Figure:
    from matplotlib.lines import Line2D

    fig, axes = _panels(objects)
    for ax, o in zip(axes.flat, objects, strict=False):
        d = df[df["planning_object"] == o]
        low = d["week_type"] != NORMAL_WEEK
        for w in d["week"][low]:
            ax.axvspan(w - 0.5, w + 0.5, color="#eeeeee", zorder=0)
        ax.bar(d["week"], d["production_actual"], color="#4c72b0", label="actual")
        ax.plot(d["week"], d["production_plan"], color="#dd8452", lw=2, label="plan")
        flagged = d[d["production_flag"]]
        ax.scatter(
            flagged["week"], flagged["production_actual"], color="red", zorder=3, label="flagged"
        )
        ax2 = ax.twinx()
        ax2.plot(
            d["week"],
            d["cumulative_deviation"],
            color="black",
            ls="--",
            label="cumulative deviation",
        )
        ax2.axhline(0, color="black", lw=0.5)
        ax.set_title(o, fontsize=10)
        ax.set_xlabel("week")
        ax.set_ylabel("activities per week")
        ax2.set_ylabel("cumulative actual − plan")
    handles, labels = axes[0][0].get_legend_handles_labels()
    handles.append(Line2D([], [], color="black", ls="--"))
    labels.append("cumulative actual − plan (right axis)")
    fig.legend(handles, labels, loc="upper right", fontsize=8)
    fig.suptitle(
        f"{result.instance}: production, actual against plan (shaded: low-production weeks)",
        fontsize=11,
    )
    fig.tight_layout()
    return fig


def _queue_figure(result: Result, df: pd.DataFrame, objects: list[str]) -> Figure:
    fig, axes = _panels(objects)
    for ax, o in zip(axes.flat, objects, strict=False):
        d = df[df["planning_object"] == o]
        ax.plot(d["week"], d["queue_forecast"], color="#dd8452", lw=2, label="forecast queue")
        if d["queue_actual"].notna().any():
            ax.plot(
                d["week"],
                d["queue_actual"],
                color="#4c72b0",
                marker="o",
                ms=3,
                label="actual queue",
            )
        flagged = d[d["queue_flag"]]
        ax.scatter(flagged["week"], flagged["queue_actual"], color="red", zorder=3, label="flagged")
        ax.bar(
            d["week"],
            d["inflow_actual"] - d["inflow_forecast"],
            color="#999999",
            alpha=0.5,
            label="inflow actual − forecast",
        )
        ax.set_title(o, fontsize=10)
        ax.set_xlabel("week")
        ax.set_ylabel("patients")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper right", fontsize=8)
    fig.suptitle(f"{result.instance}: waiting list, actual against forecast", fontsize=11)
    fig.tight_layout()
    return fig


TIER_NAMES = {
    1: "tier 1 (time-critical)",
    2: "tier 2 (planned patient activities)",
    3: "tier 3 (other)",
}


def roster_followup_chart(result: Result) -> dict[str, Figure]:
    """Cover per day, one panel per tier: asked (grey bars), rostered and worked (lines), the
    days with a flagged cell marked red. People-shifts summed over the tier's cells."""
    from matplotlib.ticker import MaxNLocator

    df = result.tables.get("cover_followup")
    if df is None or df.empty:
        return {}
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
        ax.bar(x, d["asked"], color="#dddddd", edgecolor="#999999", label="asked")
        ax.plot(x, d["rostered"], color="#4c72b0", marker="o", lw=2, label="rostered")
        ax.plot(x, d["worked"], color="#dd8452", marker="s", lw=2, ls="--", label="worked")
        bad = [i for i, f in enumerate(d["flag"]) if bool(f)]
        ax.scatter(
            bad,
            [d["worked"].iloc[i] for i in bad],
            s=120,
            facecolors="none",
            edgecolors="red",
            lw=2,
            zorder=4,
            label="flagged short",
        )
        ax.set_title(TIER_NAMES.get(t, f"tier {t}"), fontsize=10)
        ax.set_ylabel("people-shifts")
        ax.set_ylim(0, max(1.0, float(d[["asked", "rostered", "worked"]].max().max())) * 1.2)
        ax.grid(axis="y", alpha=0.3)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax = axes[-1, 0]
    ax.set_xticks(x)
    ax.set_xticklabels(days, rotation=60, ha="right", fontsize=8)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.suptitle(
        f"{result.instance}: cover per day, asked / rostered / worked", fontsize=11, y=0.995
    )
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.97), fontsize=8, ncol=4)
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    return {"cover_followup": fig}


def balance_followup_chart(result: Result) -> dict[str, Figure]:
    """Per unit × planning object: the goal to date and the actual production per quarter."""
    import numpy as np

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
        ax.bar(x - 0.2, d["goal_to_date"], width=0.4, color="#dd8452", label="goal to date")
        colours = ["red" if f else "#4c72b0" for f in d["production_flag"]]
        ax.bar(x + 0.2, d["production_actual"], width=0.4, color=colours, label="actual")
        ax.plot(x, d["need_to_date"], "k_", markersize=24, label="need to date")
        ax.plot(x, d["inflow_actual"], "kx", label="inflow")
        ax.set_xticks(
            x, [f"{p}\nweeks {w}" for p, w in zip(d["period"], d["weeks"], strict=True)], fontsize=8
        )
        ax.set_title(f"{u} {o}", fontsize=10)
        ax.set_ylabel("activities / patients")
    for ax in list(axes.flat)[len(keys) :]:
        ax.axis("off")
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [
        Patch(color="#dd8452", label="goal to date"),
        Patch(color="#4c72b0", label="actual production"),
        Patch(color="red", label="actual, beyond the threshold"),
        Line2D([], [], color="black", marker="_", ls="", markersize=12, label="need to date"),
        Line2D([], [], color="black", marker="x", ls="", label="actual inflow"),
    ]
    fig.legend(handles=handles, loc="lower center", ncol=5, fontsize=8)
    fig.suptitle(
        f"{result.instance}: production against the balance's goals, quarter to date", fontsize=11
    )
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return {"balance_followup": fig}

"""The seeds' follow-up charts: outcome against plan per week with the cumulative line, and
the waiting list, actual against forecast (one panel per planning object, at most 12)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pks_opt.result import Result

if TYPE_CHECKING:
    from matplotlib.figure import Figure

MAX_PANELS = 12


def followup_charts(result: Result) -> dict[str, Figure]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    df = result.tables.get("followup")
    if df is None or df.empty:
        return {}
    objects = list(dict.fromkeys(df["planning_object"]))[:MAX_PANELS]
    cols = min(3, len(objects))
    rows = (len(objects) + cols - 1) // cols
    out: dict[str, Figure] = {}

    fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 3.2 * rows), squeeze=False)
    for ax, o in zip(axes.flat, objects, strict=False):
        d = df[df["planning_object"] == o]
        low = d["week_type"] != "normal"
        for w in d["week"][low]:
            ax.axvspan(w - 0.5, w + 0.5, color="#eeeeee", zorder=0)
        ax.bar(d["week"], d["production_actual"], color="#4c72b0", label="actual")
        ax.plot(d["week"], d["production_plan"], color="#dd8452", lw=2, label="plan")
        flagged = d[d["production_flag"]]
        ax.scatter(flagged["week"], flagged["production_actual"], color="red", zorder=3,
                   label="flagged")
        ax2 = ax.twinx()
        ax2.plot(d["week"], d["cumulative_deviation"], color="black", ls="--",
                 label="cumulative deviation")
        ax2.axhline(0, color="black", lw=0.5)
        ax.set_title(o, fontsize=10)
        ax.set_xlabel("week")
        ax.set_ylabel("activities per week")
        ax2.set_ylabel("cumulative actual − plan")
    for ax in list(axes.flat)[len(objects):]:
        ax.axis("off")
    handles, labels = axes[0][0].get_legend_handles_labels()
    handles.append(plt.Line2D([], [], color="black", ls="--"))
    labels.append("cumulative actual − plan (right axis)")
    fig.legend(handles, labels, loc="upper right", fontsize=8)
    fig.suptitle(f"{result.instance}: production, actual against plan (shaded: low-production weeks)",
                 fontsize=11)
    fig.tight_layout()
    out["production_followup"] = fig

    fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 3.2 * rows), squeeze=False)
    for ax, o in zip(axes.flat, objects, strict=False):
        d = df[df["planning_object"] == o]
        ax.plot(d["week"], d["queue_forecast"], color="#dd8452", lw=2, label="forecast queue")
        if d["queue_actual"].notna().any():
            ax.plot(d["week"], d["queue_actual"], color="#4c72b0", marker="o", ms=3,
                    label="actual queue")
        flagged = d[d["queue_flag"]]
        ax.scatter(flagged["week"], flagged["queue_actual"], color="red", zorder=3, label="flagged")
        ax.bar(d["week"], d["inflow_actual"] - d["inflow_forecast"], color="#999999", alpha=0.5,
               label="inflow actual − forecast")
        ax.set_title(o, fontsize=10)
        ax.set_xlabel("week")
        ax.set_ylabel("patients")
    for ax in list(axes.flat)[len(objects):]:
        ax.axis("off")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper right", fontsize=8)
    fig.suptitle(f"{result.instance}: waiting list, actual against forecast", fontsize=11)
    fig.tight_layout()
    out["queue_followup"] = fig
    return out

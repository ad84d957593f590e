"""Charts of the production plan (matplotlib, Agg).

``queue_forecast``: the seeds' queue chart (Socialstyrelsen's PKS support, shared/seeds/003) —
projected queue as bars, weekly inflow and planned production as lines, the maximum queue as a
line — for the plan with the reduction goal (left) and without it (right), one row per planning
object plus the clinic total on top. Low-production weeks are shaded.
``capacity_use``: used vs available hours per resource and week.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from pks_opt.constants import NORMAL_WEEK
from pks_opt.i18n import Messages
from pks_opt.production_plan.data import PlanData
from pks_opt.report.figures import subplots
from pks_opt.result import Result

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

TOTAL = "all planning objects"
QUEUE_COLOUR = "#9db7d5"
INFLOW_COLOUR = "#e07b39"
PRODUCTION_COLOUR = "#2e7d32"
MAX_QUEUE_COLOUR = "#c62828"
TARGET_COLOUR = "#6a1b9a"
LOW_WEEK_COLOUR = "#eeeeee"


def plan_charts(result: Result, data: PlanData, lang: str = "en") -> dict[str, Figure]:
    """Draw the plan's charts, ``queue_forecast`` and ``capacity_use``, texts in ``lang``."""
    from pks_opt.i18n import messages

    m = messages(lang)
    charts = {"queue_forecast": queue_forecast(result, data, m)}
    charts["capacity_use"] = capacity_chart(result, data, m)
    return charts


def _series(df: pd.DataFrame, oid: str | None) -> pd.DataFrame:
    """Weekly sums (one object, or all of them when ``oid`` is None)."""
    part = df if oid is None else df[df["planning_object"] == oid]
    cols = ["inflow", "production", "queue_end", "max_queue", "target_queue"]
    g = part.groupby("week", sort=True)
    out = g[cols].sum(min_count=1)
    if oid is None:  # a total maximum/target only when every object has one
        for c in ("max_queue", "target_queue"):
            complete = g[c].count() == part["planning_object"].nunique()
            out[c] = out[c].where(complete)
    return out


def _panel(
    ax: Axes, s: pd.DataFrame, data: PlanData, title: str, m: Messages, *, target: bool
) -> Axes:
    weeks = s.index.to_numpy()
    low = [wk.week for wk in data.weeks if wk.week_type != NORMAL_WEEK]
    if low:  # one collection for all low-production weeks (an axvspan each drew slowly)
        ax.broken_barh(
            [(w - 0.5, 1.0) for w in low],
            (0, 1),
            color=LOW_WEEK_COLOUR,
            zorder=0,
            transform=ax.get_xaxis_transform(),
            linewidth=0,
        )
    # the queue as one stepped area, not 52 bars (14 panels of bars took seconds to save)
    ax.fill_between(
        weeks,
        s["queue_end"].to_numpy(dtype=float),
        step="mid",
        color=QUEUE_COLOUR,
        label=m.text("plot", "plan_queue"),
        zorder=2,
        linewidth=0,
    )
    if s["max_queue"].notna().any():
        ax.plot(
            weeks,
            s["max_queue"],
            color=MAX_QUEUE_COLOUR,
            ls="--",
            lw=1.5,
            label=m.text("plot", "plan_max_queue"),
            zorder=3,
        )
    if target and s["target_queue"].notna().any():
        ax.plot(
            weeks,
            s["target_queue"],
            color=TARGET_COLOUR,
            ls=":",
            lw=2,
            label=m.text("plot", "plan_queue_target"),
            zorder=3,
        )
    ax.set_xlim(weeks.min() - 0.5, weeks.max() + 0.5)
    ax.set_ylabel(m.text("plot", "plan_patients_waiting"))
    ax.set_title(title, fontsize=10, loc="left")
    ax.grid(axis="y", alpha=0.3)
    flows = ax.twinx()
    flows.plot(weeks, s["inflow"], color=INFLOW_COLOUR, lw=1.5, label=m.text("plot", "plan_inflow"))
    flows.plot(
        weeks,
        s["production"],
        color=PRODUCTION_COLOUR,
        lw=2,
        label=m.text("plot", "plan_production"),
    )
    top = float(max(s["inflow"].max(), s["production"].max()))
    flows.set_ylim(0, top * 1.15 + 1)
    flows.set_ylabel(m.text("plot", "plan_activities_week"))
    ax.set_zorder(flows.get_zorder() - 1)
    ax.patch.set_visible(False)
    return flows


def queue_forecast(result: Result, data: PlanData, m: Messages | None = None) -> Figure:
    """Queue per week with and without the reduction goal, against the targets and limits."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    m = m or Messages()
    plan = result.tables["production_plan"]
    base = result.tables.get("production_plan_no_reduction")
    rows: list[str | None] = [None, *[o.id for o in data.objects]]
    ncols = 2 if base is not None else 1
    fig, axes = subplots(
        len(rows), ncols, figsize=(8 * ncols, 2.6 * len(rows)), squeeze=False, sharex=True
    )
    for i, oid in enumerate(rows):
        name = m.text("plot", "plan_total") if oid is None else oid
        s = _series(plan, oid)
        flows = _panel(axes[i][0], s, data, m.text("plot", "plan_with", name=name), m, target=True)
        if base is not None:
            s0 = _series(base, oid)
            flows0 = _panel(
                axes[i][1], s0, data, m.text("plot", "plan_without", name=name), m, target=False
            )
            qtop = max(axes[i][0].get_ylim()[1], axes[i][1].get_ylim()[1])
            ftop = max(flows.get_ylim()[1], flows0.get_ylim()[1])
            for a in axes[i]:
                a.set_ylim(0, qtop)
            flows.set_ylim(0, ftop)
            flows0.set_ylim(0, ftop)
    for a in axes[-1]:
        a.set_xlabel(m.text("plot", "week"))
    handles, labels = axes[0][0].get_legend_handles_labels()

    if m.text("plot", "plan_queue_target") not in labels:
        handles.append(Line2D([], [], color=TARGET_COLOUR, ls=":", lw=2))
        labels.append(m.text("plot", "plan_queue_target"))
    handles += [
        Line2D([], [], color=INFLOW_COLOUR, lw=1.5),
        Line2D([], [], color=PRODUCTION_COLOUR, lw=2),
        Patch(color=LOW_WEEK_COLOUR),
    ]
    labels += [
        m.text("plot", "plan_inflow_right"),
        m.text("plot", "plan_production_right"),
        m.text("plot", "plan_low_week"),
    ]
    height = fig.get_figheight()
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.8 / height))
    fig.suptitle(
        m.text("plot", "plan_title", name=data.name),
        y=1 - 0.12 / height,
        fontsize=12,
    )
    fig.legend(
        handles,
        labels,
        loc="upper center",
        bbox_to_anchor=(0.5, 1 - 0.38 / height),
        ncol=min(6, len(labels)),
        frameon=False,
        fontsize=9,
    )
    return fig


def capacity_chart(result: Result, data: PlanData, m: Messages | None = None) -> Figure:
    """Hours used against available per resource and week."""
    m = m or Messages()
    cap = result.tables["capacity_use"]
    n = len(data.resources)
    fig, axes = subplots(n, 1, figsize=(12, 2.4 * n), squeeze=False, sharex=True)
    for ax, r in zip(axes[:, 0], data.resources, strict=True):
        part = cap[cap["resource"] == r.id]
        for wk in data.weeks:
            if wk.week_type != NORMAL_WEEK:
                ax.axvspan(wk.week - 0.5, wk.week + 0.5, color=LOW_WEEK_COLOUR, zorder=0)
        ax.bar(
            part["week"],
            part["used_hours"],
            color=PRODUCTION_COLOUR,
            alpha=0.7,
            label=m.text("plot", "plan_planned_hours"),
        )
        ax.step(
            part["week"],
            part["available_hours"],
            where="mid",
            color="black",
            lw=1.5,
            label=m.text("plot", "plan_available_hours"),
        )
        ax.set_ylabel(m.text("plot", "hours"))
        ax.set_xlim(0.5, data.num_weeks + 0.5)
        ax.set_title(f"{r.name} ({r.id})", fontsize=10, loc="left")
        ax.grid(axis="y", alpha=0.3)
    axes[0, 0].legend(
        loc="upper center", bbox_to_anchor=(0.5, 1.32), fontsize=8, ncol=2, frameon=False
    )
    axes[-1, 0].set_xlabel(m.text("plot", "week"))
    fig.suptitle(m.text("plot", "plan_capacity_title", name=data.name), fontsize=12)
    fig.tight_layout()
    return fig

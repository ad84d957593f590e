"""Charts and the printed summary of a balancing result."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pks_opt.balancing.data import BalancingData
from pks_opt.result import Result

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def balancing_charts(data: BalancingData, result: Result) -> dict[str, Figure]:
    """``need_vs_capacity``: per unit and resource, need and capacity before/after (horizon).

    One panel per unit; per resource four bars: capacity need if every unit produced its own
    need, available before, available after the actions, and the load the plan puts there.
    Values are summed over the horizon and shown relative to the available capacity before
    (1.0 = today's capacity), so units with hours and bed-days share one scale.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    util = result.tables.get("utilisation")
    if util is None or util.empty:
        return {}
    agg = util.groupby(["unit", "resource"], sort=False)[
        ["need_before", "available_before", "available_after", "load_after"]
    ].sum()
    units = [u for u in data.figures.units if u in agg.index.get_level_values(0)]
    ncols = min(3, len(units))
    nrows = (len(units) + ncols - 1) // ncols
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(5.2 * ncols, 3.4 * nrows), squeeze=False, sharey=False
    )
    colours = {
        "need_before": "#c0392b",
        "available_before": "#95a5a6",
        "available_after": "#2e86c1",
        "load_after": "#27ae60",
    }
    labels = {
        "need_before": "capacity need (own need)",
        "available_before": "available before",
        "available_after": "available after actions",
        "load_after": "load in the plan",
    }
    width = 0.2
    for idx, u in enumerate(units):
        ax = axes[idx // ncols][idx % ncols]
        sub = agg.loc[u]
        base = sub["available_before"].where(sub["available_before"] > 0, sub["need_before"])
        base = base.where(base > 0, 1.0)
        xs = range(len(sub))
        for j, col in enumerate(colours):
            ax.bar(
                [x + (j - 1.5) * width for x in xs],
                sub[col] / base,
                width,
                color=colours[col],
                label=labels[col] if idx == 0 else None,
            )
        ax.axhline(1.0, color="black", lw=0.6, ls=":")
        ax.set_xticks(list(xs))
        ax.set_xticklabels(list(sub.index), rotation=30, ha="right", fontsize=8)
        ax.set_title(u, fontsize=10)
        ax.set_ylabel("× available before", fontsize=8)
    for idx in range(len(units), nrows * ncols):
        axes[idx // ncols][idx % ncols].axis("off")
    fig.legend(loc="upper center", ncol=4, fontsize=8, frameon=False)
    fig.suptitle(
        f"{data.name}: need vs available capacity per unit, before and after balancing "
        "(horizon totals)",
        y=1.04,
        fontsize=11,
    )
    fig.tight_layout()
    return {"need_vs_capacity": fig}


def summary(result: Result) -> list[str]:
    """Headline lines for planners: actions per type and the highest utilisation."""
    k = result.kpis
    lines = []
    acts = k.get("actions", {})
    if acts:
        lines.append(
            "actions: " + ", ".join(f"{n} {a}" for a, n in acts.items() if n) or "actions: none"
        )
    lines.append(
        f"unmet {k.get('unmet_activities', 0):.1f} activities, postponed "
        f"{k.get('postponed_activity_periods', 0):.1f} activity-periods, action cost "
        f"{k.get('action_cost', 0):,.0f} SEK".replace(",", " ")
    )
    before, after = k.get("max_utilisation_before"), k.get("max_utilisation_after")
    if before is not None and after is not None:
        lines.append(f"highest utilisation: before {before:.2f}, after {after:.2f}")
    return lines

"""Charts and the printed summary of a balancing result."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pks_opt.balancing.data import BalancingData
from pks_opt.result import Result

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: most unit panels in the need-vs-capacity chart: beyond that, the most limited units
MAX_PANELS = 12


def balancing_charts(data: BalancingData, result: Result, lang: str = "en") -> dict[str, Figure]:
    """``need_vs_capacity``: per unit, its most limiting resource quarter by quarter.

    One panel per unit (at most ``MAX_PANELS``: then the units with the highest need ÷
    available), for the resource with the highest need ÷ available before balancing:
    bars for the capacity need (every unit producing its own need) and the available capacity
    before; lines for the available capacity after moves and increases and for the load the
    balanced plan puts there (own production, production for others, waiting lists, support
    load). Where the red bar towers over the grey one the unit was short; the blue line shows
    what the actions added, the green line what the plan uses. Texts in ``lang``.
    """
    from pks_opt.i18n import messages
    from pks_opt.report.figures import subplots

    m = messages(lang)
    util = result.tables.get("utilisation")
    if util is None or util.empty:
        return {}
    periods = list(data.figures.periods)
    ranked = _ranked_units(data, util)
    shown = ranked
    if len(ranked) > MAX_PANELS:  # the most limited units, in the instance's order
        top = sorted(ranked, key=lambda t: (-t[0], t[1]))[:MAX_PANELS]
        shown = sorted(top, key=lambda t: t[1])
    panels = [(u, r) for _ratio, _i, u, r in shown]
    shifted = _shifted(result)
    ncols = min(3, len(panels))
    nrows = (len(panels) + ncols - 1) // ncols
    fig, axes = subplots(nrows, ncols, figsize=(5.0 * ncols, 3.2 * nrows), squeeze=False)
    for idx, (u, r) in enumerate(panels):
        sub = util[(util["unit"] == u) & (util["resource"] == r)].set_index("period")
        sub = sub.reindex(periods).fillna(0.0)
        _draw_panel(axes[idx // ncols][idx % ncols], data, m, u, r, sub, shifted.get((u, r)))
    for idx in range(len(panels), nrows * ncols):
        axes[idx // ncols][idx % ncols].axis("off")
    handles, labels = _legend_entries(axes)
    which = (
        m.text("plot", "balance_which_all")
        if len(panels) == len(ranked)
        else m.text("plot", "balance_which_top", shown=len(panels), total=len(ranked))
    )
    fig.suptitle(m.text("plot", "balance_title", name=data.name, which=which), fontsize=11)
    fig.tight_layout(rect=(0, 0.08, 1, 0.96))
    fig.legend(
        handles,
        labels,
        loc="lower center",
        bbox_to_anchor=(0.5, 0.025),
        ncol=4,
        fontsize=8,
        frameon=False,
    )
    fig.text(
        0.5,
        0.005,
        m.text("plot", "balance_footnote"),
        ha="center",
        fontsize=7,
    )
    return {"need_vs_capacity": fig}


def _ranked_units(data: BalancingData, util: Any) -> list[tuple[float, int, str, str]]:
    """(highest need ÷ available, index, unit, that resource) per unit in ``util``."""
    import numpy as np

    ranked: list[tuple[float, int, str, str]] = []
    for i, u in enumerate(data.figures.units):
        sub = util[util["unit"] == u]
        if sub.empty:
            continue
        need, avail = sub["need_before"].to_numpy(), sub["available_before"].to_numpy()
        # need with nothing available is the most limited of all (a receiving unit)
        ratio = np.where(avail > 0, need / np.where(avail > 0, avail, 1.0), np.inf)
        ratio = np.where(need > 0, ratio, 0.0)
        worst = int(ratio.argmax())
        ranked.append((float(ratio[worst]), i, u, str(sub["resource"].iloc[worst])))
    return ranked


def _draw_panel(
    ax: Any,
    data: BalancingData,
    m: Any,
    u: str,
    r: str,
    sub: Any,
    net: dict[str, float] | None,
) -> None:
    """Draw unit ``u``'s resource ``r`` (``sub``: its utilisation rows by period) on ``ax``."""
    periods = list(sub.index)
    xs = list(range(len(periods)))
    ax.bar(
        [x - 0.2 for x in xs],
        sub["need_before"],
        0.4,
        color="#c0392b",
        label=m.text("plot", "balance_need_bar"),
    )
    ax.bar(
        [x + 0.2 for x in xs],
        sub["available_before"],
        0.4,
        color="#aab7b8",
        label=m.text("plot", "balance_available_before"),
    )
    if net is not None:  # hours moved over time within the unit (R14), on the grey bar
        vals = [net.get(p, 0.0) for p in periods]
        ax.bar(
            [x + 0.2 for x in xs],
            [abs(v) for v in vals],
            0.4,
            bottom=[a + min(v, 0.0) for a, v in zip(sub["available_before"], vals, strict=True)],
            color="#8e44ad",
            alpha=0.75,
            label=m.text("plot", "balance_moved_over_time"),
        )
    ax.plot(
        xs,
        sub["available_after"],
        color="#2e86c1",
        lw=3.5,
        ls="--",
        marker="s",
        ms=4,
        label=m.text("plot", "balance_available_after"),
        zorder=3,
    )
    ax.plot(
        xs,
        sub["load_after"],
        color="#27ae60",
        lw=2,
        marker="o",
        ms=3,
        label=m.text("plot", "balance_load_after"),
        zorder=4,
    )
    _label_panel(ax, data, m, u, r, sub)


def _label_panel(ax: Any, data: BalancingData, m: Any, u: str, r: str, sub: Any) -> None:
    """Ticks, title (the unit and its ratios before and after) and axis label of a panel."""
    periods = list(sub.index)
    ax.set_xticks(list(range(len(periods))))
    ax.set_xticklabels(periods, rotation=45, ha="right", fontsize=7)
    ax.tick_params(axis="y", labelsize=7)
    measure = data.resource_measures.get(r, "")
    name = data.unit_names.get(u, "")
    before = _max_ratio(sub["need_before"], sub["available_before"])
    after = _max_ratio(sub["load_after"], sub["available_after"])
    ax.set_title(
        f"{u}{' ' + name if name else ''}: {m.term(r)}\n"
        + m.text("plot", "balance_panel_ratios", before=before, after=after),
        fontsize=8,
    )
    ax.set_ylabel(m.text("plot", "balance_per_period", measure=measure or m.term(r)), fontsize=7)
    ax.set_ylim(bottom=0)


def _legend_entries(axes: Any) -> tuple[list[Any], list[str]]:
    """Merge the first panel's legend with any series only some panels have (moved over time)."""
    handles, labels = axes[0][0].get_legend_handles_labels()
    for row in axes:
        for ax in row:
            for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
                if lab not in labels:
                    handles.append(h)
                    labels.append(lab)
    return handles, labels


def _shifted(result: Result) -> dict[tuple[str, str], dict[str, float]]:
    """Sum the net hours moved over time into each period per (unit, resource) (out: negative)."""
    acts = result.tables.get("actions")
    out: dict[tuple[str, str], dict[str, float]] = {}
    if acts is None or acts.empty:
        return out
    for row in acts[acts["action"] == "shift_in_time"].to_dict("records"):
        net = out.setdefault((row["unit"], row["resource_or_object"]), {})
        origin = str(row["detail"]).removeprefix("from ").split(" ")[0]
        net[row["period"]] = net.get(row["period"], 0.0) + row["amount"]
        net[origin] = net.get(origin, 0.0) - row["amount"]
    return out


def _max_ratio(num: Any, den: Any) -> str:
    """Find the highest num/den over the periods with den > 0, in % ("–" if none)."""
    ratios = [a / b for a, b in zip(num, den, strict=True) if b > 1e-9]
    return f"{max(ratios):.0%}" if ratios else "–"


def summary(result: Result, lang: str = "en") -> list[str]:
    """Write headline lines for planners in ``lang``: actions per type, highest utilisation."""
    from pks_opt.i18n import messages, num

    m = messages(lang)
    k = result.kpis
    lines = []
    acts = k.get("actions", {})
    if acts:
        done = ", ".join(f"{n} {m.term(a) if lang != 'en' else a}" for a, n in acts.items() if n)
        lines.append(
            m.text("summary", "balance_actions", actions=done or m.text("summary", "none"))
        )
    lines.append(
        m.text(
            "summary",
            "balance_unmet",
            # counted in whole activities: 307, not 307.0
            unmet=num(round(k.get("unmet_activities") or 0), ",.0f", lang),
            postponed=num(round(k.get("postponed_activity_periods") or 0), ",.0f", lang),
            cost=num(k.get("action_cost", 0), ",.0f", lang),
        )
    )
    before, after = k.get("max_utilisation_before"), k.get("max_utilisation_after")
    if before is not None and after is not None:
        lines.append(
            m.text(
                "summary",
                "balance_utilisation",
                before=num(before, ".2f", lang),
                after=num(after, ".2f", lang),
            )
        )
    return lines

"""PNG heatmap of a roster: staff × date, coloured by shift category, absences grey."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pks_opt.rostering.data import RosterData
from pks_opt.rostering.solution import Assignment

if TYPE_CHECKING:
    from matplotlib.figure import Figure

CATEGORY_CODES = {"off": 0, "day": 1, "evening": 2, "night": 3, "oncall": 4, "absent": 5}
COLOURS = ["#ffffff", "#f6c85f", "#6f4e7c", "#0b84a5", "#ca472f", "#b0b0b0"]


def roster_heatmap(data: RosterData, roster: Assignment, lang: str = "en") -> Figure:
    """Heatmap of the roster (one row per person, one column per date), texts in ``lang``."""
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    from pks_opt.i18n import messages
    from pks_opt.report.figures import subplots

    m = messages(lang)
    absent = {(a.staff, a.day) for a in data.absences}
    cat = {s.id: s.category for s in data.shifts}
    grid = []
    for e in data.staff:
        row = []
        for d in range(data.num_days):
            got = roster.get((e.id, d))
            if got is not None:
                row.append(CATEGORY_CODES[cat[got[0]]])
            else:
                row.append(CATEGORY_CODES["absent" if (e.id, d) in absent else "off"])
        grid.append(row)
    height = max(3.0, 0.22 * len(data.staff) + 1.5)
    width = max(6.0, 0.18 * data.num_days + 2.5)
    fig, ax = subplots(figsize=(width, height))
    ax.imshow(
        grid,
        aspect="auto",
        cmap=ListedColormap(COLOURS),
        vmin=0,
        vmax=len(COLOURS) - 1,
        interpolation="nearest",
    )
    ax.set_yticks(range(len(data.staff)))
    ax.set_yticklabels([e.id for e in data.staff], fontsize=7)
    step = 7 if data.num_days > 14 else 1
    ticks = list(range(0, data.num_days, step))
    ax.set_xticks(ticks)
    ax.set_xticklabels(
        [data.date_of(d).isoformat() for d in ticks], rotation=45, ha="right", fontsize=7
    )
    for d in range(data.num_days):
        if data.weekday(d) == 0 and d:
            ax.axvline(d - 0.5, color="black", lw=0.6)
    handles = [
        Patch(color=c, label=m.text("plot", f"roster_{k}"))
        for k, c in zip(CATEGORY_CODES, COLOURS, strict=True)
    ]
    if data.holidays:  # public holidays: a red frame and the name on top
        from matplotlib.patches import Rectangle

        for d, _name in data.holidays:
            ax.add_patch(
                Rectangle((d - 0.5, -0.5), 1, len(data.staff), fill=False, edgecolor="red", lw=1.2)
            )
        top = ax.secondary_xaxis("top")
        top.set_xticks([d for d, _ in data.holidays])
        top.set_xticklabels(
            [f"{n} {data.date_of(d).strftime('%d/%m')}" for d, n in data.holidays],
            rotation=45,
            ha="left",
            fontsize=7,
            color="red",
        )
        handles.append(
            Patch(facecolor="none", edgecolor="red", label=m.text("plot", "roster_holiday"))
        )
    ax.legend(
        handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7, frameon=False
    )
    ax.set_title(m.text("plot", "roster_title", name=data.name))
    fig.tight_layout()
    return fig

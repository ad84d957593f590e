"""PNG heatmap of a roster: staff × date, coloured by shift category, absences grey.

Public holidays are framed red. Uncovered (short) shifts are hatched red: a bottom row counts
the people missing on each day's shifts, and a named person not on the shift the activity
matrix named them for has that day's cell hatched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pks_opt.rostering.data import RosterData
from pks_opt.rostering.solution import Assignment

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

CATEGORY_CODES = {"off": 0, "day": 1, "evening": 2, "night": 3, "oncall": 4, "absent": 5}
COLOURS = ["#ffffff", "#f6c85f", "#6f4e7c", "#0b84a5", "#ca472f", "#b0b0b0"]
#: the marking of an uncovered shift: red outline, red hatching
SHORT_COLOUR = "#d62728"
SHORT_HATCH = "////"


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
    grid.append([CATEGORY_CODES["off"]] * data.num_days)  # the row of short shifts
    height = max(3.0, 0.22 * (len(data.staff) + 1) + 1.5)
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
    ax.set_yticks(range(len(data.staff) + 1))
    ax.set_yticklabels([e.id for e in data.staff] + [m.get("columns", "short")], fontsize=7)
    ax.axhline(len(data.staff) - 0.5, color="black", lw=0.8)
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
    handles += _mark_short(ax, data, roster, m.get("columns", "short"))
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


def _mark_short(ax: Axes, data: RosterData, roster: Assignment, label: str) -> list[Patch]:
    """Hatch the uncovered shifts and give their legend entry (none when all are covered).

    In the bottom row each day with people missing on a shift, with their number; in a
    person's row the days they were named for a shift they do not work.
    """
    from matplotlib.patches import Patch, Rectangle

    from pks_opt.rostering.solution import evaluate_roster

    cov = evaluate_roster(data, roster).coverage
    short = cov[cov["short"] > 0]
    if short.empty:
        return []
    row = {e.id: i for i, e in enumerate(data.staff)}
    cells: dict[tuple[int, int], int] = {}  # (day, row) -> people missing
    for day, staff, n in zip(short["day"], short["staff"], short["short"], strict=True):
        key = (int(day), row.get(str(staff), len(data.staff)))
        cells[key] = cells.get(key, 0) + int(n)
    for (day, y), n in cells.items():
        ax.add_patch(
            Rectangle(
                (day - 0.45, y - 0.45),
                0.9,
                0.9,
                fill=False,
                hatch=SHORT_HATCH,
                edgecolor=SHORT_COLOUR,
                lw=1.0,
            )
        )
        if y == len(data.staff):
            ax.text(day, y, str(n), ha="center", va="center", fontsize=6, fontweight="bold")
    return [Patch(facecolor="white", hatch=SHORT_HATCH, edgecolor=SHORT_COLOUR, label=label)]

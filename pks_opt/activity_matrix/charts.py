"""PNG of the activity matrix: rooms (left) and staff (right), cells coloured by activity type.

Laid out as the seeds' example (002_ca363414e8429522.txt): rows room × part of day, columns
Monday–Friday; the staff panel is "the same grid for physicians" (and nurses).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from pks_opt.activity_matrix.data import DAY_NAMES
from pks_opt.activity_matrix.solution import ABSENT, CLOSED
from pks_opt.i18n import Messages
from pks_opt.report.figures import subplots
from pks_opt.result import Result

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: colour-blind-friendly qualitative palette (Okabe–Ito + extra), used when no colour is given
PALETTE = (
    "#E69F00",
    "#56B4E9",
    "#009E73",
    "#F0E442",
    "#0072B2",
    "#D55E00",
    "#CC79A7",
    "#999933",
    "#88CCEE",
    "#AA4499",
    "#44AA99",
    "#DDCC77",
)
FREE_COLOUR = "#ffffff"
OFF_COLOUR = "#d9d9d9"


def type_colours(result: Result) -> dict[str, str]:
    """Activity type → colour (the instance's ``color`` column, else the palette in order)."""
    given: dict[str, str] = result.extra.get("colours", {})
    out: dict[str, str] = {}
    for i, t in enumerate(result.extra.get("activity_types", [])):
        out[t] = given.get(t) or PALETTE[i % len(PALETTE)]
    return out


def matrix_charts(result: Result, lang: str = "en") -> dict[str, Figure]:
    """Draw one matrix figure per week type, texts in ``lang``.

    Named ``matrix`` for one week type, else ``matrix_<week type>``.
    """
    from pks_opt.i18n import messages

    rg = result.tables["room_grid"]
    sg = result.tables["staff_grid"]
    week_types = list(dict.fromkeys(rg["week_type"]))
    figs: dict[str, Figure] = {}
    for wt in week_types:
        name = "matrix" if len(week_types) == 1 else f"matrix_{_slug(wt)}"
        figs[name] = _figure(
            result, wt, rg[rg["week_type"] == wt], sg[sg["week_type"] == wt], messages(lang)
        )
    return figs


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text)


def _figure(
    result: Result, week_type: str, rooms: pd.DataFrame, staff: pd.DataFrame, m: Messages
) -> Figure:
    from matplotlib.patches import Patch

    colours = type_colours(result)
    days = [c for c in DAY_NAMES if c in rooms.columns]
    n_rows = max(len(rooms), len(staff), 1)
    fig, (ax_r, ax_s) = subplots(
        1,
        2,
        figsize=(7 + 1.9 * len(days), 0.9 + 0.36 * n_rows),
        gridspec_kw={"width_ratios": [1, 1.55]},
    )
    _grid(
        ax_r,
        rooms,
        days,
        colours,
        [f"{r} {s}" for r, s in zip(rooms["room"], rooms["session"], strict=True)],
        first="room",
        m=m,
    )
    _grid(
        ax_s,
        staff,
        days,
        colours,
        [
            f"{s} {k}" if c == 1 else f"{s} (×{c}) {k}"
            for s, k, c in zip(staff["name"], staff["session"], staff["count"], strict=True)
        ],
        first="staff",
        m=m,
    )
    ax_r.set_title(m.text("plot", "matrix_rooms"), fontsize=11, loc="left")
    ax_s.set_title(m.text("plot", "matrix_staff"), fontsize=11, loc="left")
    handles = [Patch(facecolor=c, edgecolor="#555555", label=t) for t, c in colours.items()]
    handles.append(
        Patch(facecolor=OFF_COLOUR, edgecolor="#555555", label=m.text("plot", "matrix_closed"))
    )
    fig.legend(
        handles=handles,
        loc="lower center",
        ncol=min(8, len(handles)),
        fontsize=9,
        frameon=False,
        bbox_to_anchor=(0.5, -0.01),
    )
    cov = result.tables["coverage"]
    cov = cov[(cov["week_type"] == week_type) & (cov["shortfall"] > 0)]
    short = ", ".join(
        f"{t} {d}/{n}"
        for t, d, n in zip(cov["activity_type"], cov["delivered"], cov["needed"], strict=True)
    )
    title = m.text("plot", "matrix_title", instance=result.instance, week_type=m.term(week_type))
    if short:
        title += "\n" + m.text("plot", "matrix_short", short=short)
    fig.suptitle(title, fontsize=12, color="#222222" if not short else "#a00000")
    fig.tight_layout(rect=(0, 0.05, 1, 0.97 if not short else 0.94))
    return fig


def parse_cell(text: str) -> list[tuple[str, str]]:
    """``"gastro @ R4; allergy×2 @ R2, R3"`` → ``[("gastro", "R4"), ("allergy", "R2,R3")]``."""
    out = []
    for part in (p.strip() for p in text.split(";")):
        if not part or part in (CLOSED, ABSENT):
            continue
        activity, _, where = part.partition("@")
        out.append((activity.split("×")[0].strip(), where.replace(" ", "").strip()))
    return out


def _grid(
    ax: object,
    df: pd.DataFrame,
    days: list[str],
    colours: dict[str, str],
    labels: list[str],
    *,
    first: str,
    m: Messages | None = None,
) -> None:
    from matplotlib.axes import Axes
    from matplotlib.patches import Rectangle

    assert isinstance(ax, Axes)
    m = m or Messages()
    n = len(df)
    for i, (_, row) in enumerate(df.iterrows()):
        y = n - 1 - i
        for j, day in enumerate(days):
            text = str(row[day]) if pd.notna(row[day]) else ""
            parts = parse_cell(text)
            if text in (CLOSED, ABSENT) or not parts:
                face = OFF_COLOUR if text else FREE_COLOUR
                ax.add_patch(Rectangle((j, y), 1, 1, facecolor=face, edgecolor="#555555", lw=0.6))
                if text:
                    ax.text(
                        j + 0.5,
                        y + 0.5,
                        m.text("plot", f"matrix_cell_{text}") if text in (CLOSED, ABSENT) else text,
                        ha="center",
                        va="center",
                        fontsize=7.5,
                        color="#666666",
                    )
                continue
            width = 1 / len(parts)
            for p, (activity, where) in enumerate(parts):
                ax.add_patch(
                    Rectangle(
                        (j + p * width, y),
                        width,
                        1,
                        facecolor=colours.get(activity, "#bbbbbb"),
                        edgecolor="#555555",
                        lw=0.6,
                    )
                )
                shown = (
                    (f"{activity} @ {where}" if where else activity) if len(parts) == 1 else where
                )
                ax.text(
                    j + (p + 0.5) * width,
                    y + 0.5,
                    shown,
                    ha="center",
                    va="center",
                    fontsize=7.5 if len(parts) < 3 else 6.5,
                    color="#111111",
                )
        # a thicker line between groups (rooms / staff)
        if i > 0 and df.iloc[i][first] != df.iloc[i - 1][first]:
            ax.axhline(y + 1, color="#222222", lw=1.4)
    ax.set_xlim(0, len(days))
    ax.set_ylim(0, max(n, 1))  # no staff rows: an empty panel
    ax.set_xticks([j + 0.5 for j in range(len(days))], [m.get("columns", d) for d in days])
    ax.xaxis.tick_top()
    ax.set_yticks([n - 1 - i + 0.5 for i in range(n)], labels, fontsize=8)
    ax.tick_params(length=0)
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)

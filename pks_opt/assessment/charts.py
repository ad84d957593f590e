"""The assessment's charts: the latest round's answers per area, and the trend.

The answers as stacked bars (one panel per instrument), and with several rounds the score
per area, round beside round.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

from pks_opt.assessment.instruments import instruments
from pks_opt.report.figures import subplots
from pks_opt.result import Result

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: colours per band, best first (two shades where the checklist has two "analyse" answers)
COLOURS = {
    "maintain": ["#4c9a5a"],
    "analyse": ["#f2c14e", "#e8893a"],
    "develop": ["#c8453b", "#9a9a9a"],
}


def _colours(scale_bands: list[str]) -> list[str]:
    used: dict[str, int] = {}
    out = []
    for band in scale_bands:
        k = used.get(band, 0)
        out.append(COLOURS[band][min(k, len(COLOURS[band]) - 1)])
        used[band] = k + 1
    return out


def assessment_charts(result: Result) -> dict[str, Figure]:
    """Draw the profile chart (latest round) and, with several rounds, the trend per instrument."""
    dist = result.tables["distribution"]
    latest = list(result.extra["rounds"])[-1]
    present = [
        i
        for i in instruments()
        if not dist[(dist["round"] == latest) & (dist["instrument"] == i.key)].empty
    ]
    out: dict[str, Figure] = {}
    if not present:
        return out
    out["profile"] = _profile_figure(result, present)
    trend = result.tables.get("trend")
    if trend is not None and not trend.empty:
        out["trend"] = _trend_figure(result, trend)
    return out


def _profile_figure(result: Result, present: list[Any]) -> Figure:
    """Per instrument, the latest round's answers per area as stacked shares."""
    dist = result.tables["distribution"]
    latest = list(result.extra["rounds"])[-1]
    lang = result.extra.get("lang", "sv")
    heights = [len(i.areas) for i in present]
    fig, axes = subplots(
        len(present),
        1,
        figsize=(11, 1.2 + 0.55 * sum(heights) + 0.9 * len(present)),
        gridspec_kw={"height_ratios": heights},
        squeeze=False,
    )
    for ax, ins in zip(axes[:, 0], present, strict=True):
        d = dist[(dist["round"] == latest) & (dist["instrument"] == ins.key)]
        areas = list(dict.fromkeys(d["area_id"]))
        prof = result.tables["profile"]
        rank = {
            r.area_id: r.rank
            for r in prof[(prof["round"] == latest) & (prof["instrument"] == ins.key)].itertuples()
        }
        labels = [
            f"#{rank[a]}  {a}  "
            + textwrap.shorten(d[d["area_id"] == a]["area"].iloc[0], 58, placeholder="…")
            for a in areas
        ]
        _stacked_shares(ax, ins, d, areas, lang)
        ax.set_yticks(range(len(areas)), labels, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlim(0, 100)
        ax.set_xlabel("% of answers" if lang == "en" else "% av svaren", fontsize=8)
        ax.set_title(
            f"{ins.title[lang]} — {latest}"
            + (" (#: prioritet)" if lang == "sv" else " (#: priority)"),
            fontsize=10,
            loc="left",
        )
        ax.legend(
            loc="lower center",
            bbox_to_anchor=(0.5, 1.06),
            ncol=len(ins.scale),
            fontsize=7,
            frameon=False,
        )
    fig.tight_layout()
    return fig


def _stacked_shares(ax: Any, ins: Any, d: Any, areas: list[Any], lang: str) -> None:
    left = [0.0] * len(areas)
    for opt, colour in zip(ins.scale, _colours([o.band for o in ins.scale]), strict=True):
        share = [
            100 * float(d[(d["area_id"] == a) & (d["answer_key"] == opt.key)]["share"].iloc[0])
            for a in areas
        ]
        ax.barh(
            range(len(areas)),
            share,
            left=left,
            color=colour,
            label=opt.text(lang),
            edgecolor="white",
        )
        for y, (x0, w) in enumerate(zip(left, share, strict=True)):
            if w >= 6:
                ax.text(
                    x0 + w / 2,
                    y,
                    f"{w:.0f}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if opt.band != "analyse" else "black",
                )
        left = [x + w for x, w in zip(left, share, strict=True)]


def _trend_figure(result: Result, trend: Any) -> Figure:
    """Per instrument, each area's score in every round."""
    from matplotlib import colormaps

    rounds = list(result.extra["rounds"])
    lang = result.extra.get("lang", "sv")
    present = [i for i in instruments() if (trend["instrument"] == i.key).any()]
    heights = [int((trend["instrument"] == i.key).sum()) for i in present]
    fig, axes = subplots(
        len(present),
        1,
        figsize=(11, 1.2 + 0.25 * len(rounds) * sum(heights) + 0.9 * len(present)),
        gridspec_kw={"height_ratios": heights},
        squeeze=False,
    )
    cmap = colormaps["Blues"]
    for ax, ins in zip(axes[:, 0], present, strict=True):
        t = trend[trend["instrument"] == ins.key].reset_index(drop=True)
        width = 0.8 / len(rounds)
        for k, rnd in enumerate(rounds):
            ys = [y - 0.4 + width * (k + 0.5) for y in range(len(t))]
            ax.barh(
                ys,
                t[f"score_pct {rnd}"],
                height=width,
                label=rnd,
                color=cmap(0.35 + 0.6 * k / max(1, len(rounds) - 1)),
            )
        ax.set_yticks(
            range(len(t)),
            [
                f"{r.area_id}  " + textwrap.shorten(str(r.area), 60, placeholder="…")
                for r in t.itertuples()
            ],
            fontsize=8,
        )
        ax.invert_yaxis()
        ax.set_xlim(0, 100)
        ax.set_xlabel(
            "score, % of the top score" if lang == "en" else "poäng, % av högsta", fontsize=8
        )
        ax.set_title(f"{ins.title[lang]}: " + " → ".join(rounds), fontsize=10, loc="left")
        ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig

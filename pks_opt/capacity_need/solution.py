"""The need level's :class:`~pks_opt.result.Result`: tables, KPIs, summary lines and chart.

The need level is a calculation, not an optimisation: the status is ``COMPUTED``, the solver
``closed-form``, and there is no objective (hours and bed-days are not summed into one number).
The KPI ``total_positive_gap`` keeps Σ over unit × resource × period of max(0, need −
available), each in its resource's own measure; ``gaps.csv`` has the rows.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import pandas as pd

from pks_opt.capacity_need.calc import NeedBreakdown, breakdown, usage_for
from pks_opt.capacity_need.data import NeedData
from pks_opt.result import Result, SolveStatus

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from pks_opt.i18n import Messages

SOLVER = "closed-form"
MAX_CHART_PANELS = 24
MAX_SUMMARY_ROWS = 24


def compute_need(data: NeedData, *, acute_share: float | None = None) -> Result:
    """Need, available capacity, gaps, beds, staffing and acute dimensioning (pure).

    ``acute_share`` overrides the instance's ``acute_share`` parameter (``--share``).
    """
    t0 = time.perf_counter()
    b = breakdown(data, acute_share=acute_share)
    tables: dict[str, pd.DataFrame] = {}
    tables["production_need"] = _frame(
        b.demand,
        PRODUCTION_NEED_COLUMNS,
        production_need=lambda d: d.production_need if d.produces else 0.0,
    )
    tables["mission_cascade"] = _cascade(data, b)
    tables.update(_capacity_tables(data, b))
    gaps = _gaps(data, b.planned_need or b.capacity_need, b.available)
    tables["gaps"] = gaps
    tables["inpatient_beds"] = _frame(
        b.beds,
        INPATIENT_BEDS_COLUMNS,
        average_length_of_stay_days=lambda x: x.bed_days / x.admissions if x.admissions else None,
    )
    tables["staffing"] = _frame(b.staffing, STAFFING_COLUMNS)
    tables["acute_dimensioning"] = _frame(b.acute, ACUTE_COLUMNS)
    tables["usage"] = pd.DataFrame(
        [
            {
                "unit": u,
                "planning_object": o,
                "at_unit": use.at_unit,
                "resource": use.resource,
                "amount_per_activity": use.amount,
            }
            for (u, o) in dict.fromkeys((d.unit, d.planning_object) for d in b.demand if d.produces)
            for use in usage_for(data, u, o)
        ],
        columns=["unit", "planning_object", "at_unit", "resource", "amount_per_activity"],
    )
    tables["improvements"] = _frame(
        data.improvements,
        IMPROVEMENT_COLUMNS,
        period=lambda i: i.period or "all",
        counted=lambda i: i.realised,
    )
    return Result(
        kind="need",
        status=SolveStatus.COMPUTED,
        instance=data.name,
        solver=SOLVER,
        runtime_s=time.perf_counter() - t0,
        kpis=_kpis(b, gaps),
        tables=tables,
        warnings=list(b.warnings),
    )


PRODUCTION_NEED_COLUMNS = [
    "unit", "planning_object", "period", "produces", "share_of_parent",
    "parent_care_need", "base_volume", "demographic_growth", "mission_change",
    "care_need", "waiting_list_reduction", "conversion", "improvement_volume",
    "production_need",
]  # fmt: skip
INPATIENT_BEDS_COLUMNS = [
    "unit", "period", "admissions", "average_length_of_stay_days", "bed_days", "days",
    "beds_exact", "beds_planned", "staffed_beds",
]  # fmt: skip
STAFFING_COLUMNS = [
    "unit", "period", "role", "fte", "headcount", "fte_exact", "available_fte", "basis",
    "beds_planned", "staff_per_bed", "resource", "need", "hours_per_fte",
]  # fmt: skip
ACUTE_COLUMNS = [
    "unit", "block", "days", "share_target", "capacity", "days_covered",
    "share_covered", "mean_arrivals", "max_arrivals",
]  # fmt: skip
IMPROVEMENT_COLUMNS = [
    "improvement", "unit", "effect", "resource", "planning_object", "period",
    "amount", "realised", "counted",
]  # fmt: skip


def _frame(
    items: Iterable[Any], columns: list[str], **computed: Callable[[Any], Any]
) -> pd.DataFrame:
    """Tabulate one row per item.

    Each column is the item's attribute of that name, or ``computed[column]`` of the item.
    """
    return pd.DataFrame(
        [{c: computed[c](x) if c in computed else getattr(x, c) for c in columns} for x in items],
        columns=columns,
    )


def _capacity_tables(data: NeedData, b: NeedBreakdown) -> dict[str, pd.DataFrame]:
    """``capacity_need``, ``available_capacity`` and ``available_detail``."""
    need_rows = [
        {"unit": u, "period": p, "resource": r, "need": v}
        for (u, r, p), v in b.capacity_need.items()
    ]
    available_rows = [
        {"unit": u, "period": p, "resource": r, "available": v}
        for (u, r, p), v in b.available.items()
    ]
    return {
        "capacity_need": _ordered(
            data, pd.DataFrame(need_rows, columns=["unit", "period", "resource", "need"])
        ),
        "available_capacity": _ordered(
            data,
            pd.DataFrame(available_rows, columns=["unit", "period", "resource", "available"]),
        ),
        "available_detail": _frame(
            b.available_lines,
            ["unit", "period", "resource", "source", "available"],
            available=lambda a: a.amount,
        ),
    }


def _kpis(b: NeedBreakdown, gaps: pd.DataFrame) -> dict[str, object]:
    """Collect the KPIs of ``result.json``: need, gaps and ratios, beds, bed staff, acute share."""
    limiting = gaps[gaps["gap"] > 1e-9]
    finite = gaps["ratio"].replace(math.inf, math.nan).dropna()
    kpis: dict[str, object] = {
        "production_need_total": float(sum(b.production_need.values())),
        "capacity_pairs": len(gaps),
        "limiting_capacities": len(limiting),
        "total_positive_gap": total_positive_gap(gaps),
        "highest_ratio": float(gaps["ratio"].max()) if len(gaps) else 0.0,
        "capacities_without_supply": int((gaps["ratio"] == math.inf).sum()),
        "median_ratio": float(finite.median()) if len(finite) else 0.0,
    }
    if b.beds:
        kpis["bed_days_total"] = sum(x.bed_days for x in b.beds)
        kpis["beds_exact_total"] = sum(x.beds_exact for x in b.beds)
        kpis["beds_planned_total"] = sum(x.beds_planned for x in b.beds)
    bed_staff = [s.fte for s in b.staffing if s.basis == "beds"]
    if bed_staff:
        kpis["bed_staff_fte_total"] = sum(bed_staff)
    if b.acute:
        kpis["acute_share"] = b.acute[0].share_target
    return kpis


def total_positive_gap(gaps: pd.DataFrame) -> float:
    """Sum the KPI ``total_positive_gap``: Σ max(0, need − available) over ``gaps``' rows."""
    return float((gaps["need"] - gaps["available"]).clip(lower=0).sum()) if len(gaps) else 0.0


def _ordered(data: NeedData, df: pd.DataFrame) -> pd.DataFrame:
    """Rows in instance order: unit, period, resource as their tables list them."""
    if df.empty:
        return df
    uo = {u: i for i, u in enumerate(data.unit_ids)}
    po = {p: i for i, p in enumerate(data.period_ids)}
    ro = {r.resource: i for i, r in enumerate(data.resources)}
    key = df["unit"].map(uo) * 10**8 + df["period"].map(po) * 10**4 + df["resource"].map(ro)
    return df.iloc[key.argsort(kind="stable")].reset_index(drop=True)


def _gaps(
    data: NeedData,
    need: dict[tuple[str, str, str], float],
    available: dict[tuple[str, str, str], float],
) -> pd.DataFrame:
    """Need vs available per unit × period × resource, ranked most limiting first."""
    measure = {r.resource: r.measure for r in data.resources}
    rows = []
    for key in dict.fromkeys([*need, *available]):
        u, r, p = key
        n, a = need.get(key, 0.0), available.get(key, 0.0)
        if n <= 0 and a <= 0:
            continue
        ratio = n / a if a > 0 else math.inf
        rows.append(
            {
                "unit": u,
                "period": p,
                "resource": r,
                "measure": measure[r],
                "need": n,
                "available": a,
                "gap": n - a,
                "ratio": ratio,
            }
        )
    df = pd.DataFrame(
        rows,
        columns=["unit", "period", "resource", "measure", "need", "available", "gap", "ratio"],
    )
    df = _ordered(data, df)
    if df.empty:
        df["rank"] = pd.Series(dtype=int)
        df["limiting"] = pd.Series(dtype=bool)
        return df
    df["rank"] = (
        df.groupby(["unit", "period"])["ratio"].rank(method="first", ascending=False).astype(int)
    )
    df["limiting"] = df["gap"] > 1e-9
    return df


def _cascade(data: NeedData, b: NeedBreakdown) -> pd.DataFrame:
    """How each unit's care need is distributed to its child units (the mission cascade)."""
    parent = {u.unit: u.parent for u in data.units}
    given: dict[tuple[str, str, str], float] = defaultdict(float)
    for d in b.demand:
        up = parent.get(d.unit)
        if up is not None and d.share_of_parent is not None:
            given[(up, d.planning_object, d.period)] += d.care_need
    rows = []
    for d in b.demand:
        if d.share_of_parent is None and (d.unit, d.planning_object, d.period) not in given:
            continue
        dist = given.get((d.unit, d.planning_object, d.period), 0.0)
        rows.append(
            {
                "unit": d.unit,
                "parent": parent.get(d.unit),
                "planning_object": d.planning_object,
                "period": d.period,
                "share_of_parent": d.share_of_parent,
                "care_need": d.care_need,
                "distributed_to_children": dist,
                "kept_or_undistributed": d.care_need - dist,
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "unit", "parent", "planning_object", "period", "share_of_parent", "care_need",
            "distributed_to_children", "kept_or_undistributed",
        ],
    )  # fmt: skip


def need_summary(result: Result, lang: str = "en") -> list[str]:
    """Write headline lines in ``lang``: per unit × period the tightest capacity; beds, staff."""
    from pks_opt.i18n import messages

    m = messages(lang)
    lines: list[str] = []
    gaps = _records(result, "gaps")
    top = [g for g in gaps if g["rank"] == 1]
    if len(top) > MAX_SUMMARY_ROWS:
        # Many periods: per unit, the period where its most limiting capacity is tightest.
        worst: dict[str, dict[str, Any]] = {}
        for g in top:
            if g["unit"] not in worst or g["ratio"] > worst[g["unit"]]["ratio"]:
                worst[g["unit"]] = g
        lines.append(m.text("summary", "need_limiting_worst"))
        top = list(worst.values())
    elif top:
        lines.append(m.text("summary", "need_limiting"))
    if top:
        for g in top:
            ratio = (
                m.text("summary", "need_no_capacity")
                if g["ratio"] == math.inf
                else _dec(f"{g['ratio']:.2f}", lang)
            )
            lines.append(
                f"  {g['unit']} {g['period']}: {_term(m, g['resource'])} {_n(g['need'], lang)} /"
                f" {_n(g['available'], lang)} {_term(m, g['measure'])} = {ratio}"
            )
    staffing = _records(result, "staffing")
    beds = _records(result, "inpatient_beds")
    if beds:
        lines.append(m.text("summary", "need_beds"))
    for x in beds[:MAX_SUMMARY_ROWS]:
        staffed = (
            ""
            if pd.isna(x["staffed_beds"])
            else m.text("summary", "need_staffed", n=_n(x["staffed_beds"], lang))
        )
        line = "  " + m.text(
            "summary",
            "need_bed_line",
            unit=x["unit"],
            period=x["period"],
            admissions=_n(x["admissions"], lang),
            bed_days=_n(x["bed_days"], lang),
            beds=_dec(f"{x['beds_exact']:.2f}", lang),
            planned=_n(x["beds_planned"], lang),
            staffed=staffed,
        )
        roles = [
            f"{_n(s['fte'], lang)} {_term(m, s['role'])}" + _heads(s.get("headcount"), m, lang)
            for s in staffing
            if s["unit"] == x["unit"] and s["period"] == x["period"] and s["basis"] == "beds"
        ]
        if roles:
            line += m.text("summary", "need_staff", roles=", ".join(roles))
        lines.append(line)
    if len(beds) > MAX_SUMMARY_ROWS:
        lines.append(m.text("summary", "need_more_beds", n=len(beds) - MAX_SUMMARY_ROWS))
    acute = _records(result, "acute_dimensioning")
    if acute:
        lines.append(m.text("summary", "need_acute"))
    for a in acute:
        lines.append(
            "  "
            + m.text(
                "summary",
                "need_acute_line",
                unit=a["unit"],
                block=_term(m, a["block"]),
                capacity=_n(a["capacity"], lang),
                covered=a["days_covered"],
                days=a["days"],
                share=f"{100 * a['share_covered']:.0f}",
                target=f"{100 * a['share_target']:.0f}",
            )
        )
    return lines


def _dec(text: str, lang: str) -> str:
    """Write a number with a decimal point, or a decimal comma in Swedish."""
    return text.replace(".", ",") if lang == "sv" else text


def _term(m: Any, value: Any) -> str:
    """Name a resource or role: the catalogue's word in Swedish, the id itself in English."""
    return str(value) if m.lang == "en" else m.term(value)


def _records(result: Result, name: str) -> list[dict[str, Any]]:
    df = result.tables.get(name)
    if df is None or df.empty:
        return []
    return [{str(k): v for k, v in r.items()} for r in df.to_dict("records")]


def _n(x: Any, lang: str = "en") -> str:
    x = float(x)
    if abs(x - round(x)) < 1e-9:
        return f"{int(round(x)):,}".replace(",", " ")
    return _dec(f"{x:,.2f}".replace(",", " "), lang)


def need_charts(result: Result, lang: str = "en") -> dict[str, Figure]:
    """Draw need vs available per unit × resource in one PNG, texts in ``lang``.

    One panel each, periods on the x axis.
    """
    from pks_opt.i18n import messages
    from pks_opt.report.figures import subplots

    gaps = result.tables.get("gaps")
    if gaps is None or gaps.empty:
        return {}
    m = messages(lang)
    pairs = list(dict.fromkeys(zip(gaps["unit"], gaps["resource"], strict=True)))
    pairs = pairs[:MAX_CHART_PANELS]
    ncols = min(4, len(pairs))
    nrows = math.ceil(len(pairs) / ncols)
    fig, axes = subplots(nrows, ncols, figsize=(3.6 * ncols, 2.8 * nrows), squeeze=False)
    for ax, (unit, res) in zip(axes.flat, pairs, strict=False):
        sub = gaps[(gaps["unit"] == unit) & (gaps["resource"] == res)]
        xs = range(len(sub))
        ax.bar(
            [x - 0.2 for x in xs],
            sub["need"],
            width=0.4,
            label=m.text("plot", "need_need"),
            color="#c0504d",
        )
        ax.bar(
            [x + 0.2 for x in xs],
            sub["available"],
            width=0.4,
            label=m.text("plot", "need_available"),
            color="#4f81bd",
        )
        pad = 1.0 if len(sub) == 1 else 0.6  # keep bars narrow with one period
        ax.set_xlim(-pad, len(sub) - 1 + pad)
        ax.set_xticks(list(xs))
        ax.set_xticklabels(sub["period"], rotation=45, ha="right", fontsize=7)
        ax.set_title(f"{unit} · {m.term(res)} ({sub['measure'].iloc[0]})", fontsize=9)
        ax.tick_params(axis="y", labelsize=7)
    for ax in list(axes.flat)[len(pairs) :]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7)
    fig.suptitle(m.text("plot", "need_title", instance=result.instance), fontsize=11)
    fig.tight_layout()
    return {"need_vs_available": fig}


def _heads(headcount: Any, m: Messages, lang: str) -> str:
    """`` (27 people)`` when the staffing row has a headcount (employment rate given)."""
    if headcount is None or pd.isna(headcount):
        return ""
    return " " + m.text("summary", "need_headcount", n=_n(headcount, lang))

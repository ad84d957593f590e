"""What-if at every level: a base instance and scenario variants of it, solved side by side.

Each scenario file (:mod:`pks_opt.scenario`) is applied to the base on its own; the variant is
read and solved like the base. The base's result gets a ``scenario_comparison`` table (one row
per run: status, objective and every numeric KPI, then each KPI's change against the base), the
scenarios' own results as :attr:`~pks_opt.result.Result.parts` (written as sub-folders), the
lines "what changed against the base" first in its explanation, and a comparison chart: one
small panel per KPI that changed, a bar per run.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from pks_opt.io import RawInstance
from pks_opt.result import Result

COMPARISON_TABLE = "scenario_comparison"
MAX_PANELS = 12


def solve_with_scenarios(
    raw: RawInstance,
    scenarios: Sequence[str | Path],
    prepare: Callable[[RawInstance], Callable[[], Result]],
) -> Result:
    """Prepare the base and each scenario variant, then solve them in turn.

    Prepared means read and validated: a bad scenario stops the run before anything is solved,
    naming the scenario file, change number and field. Gives the base with the comparison
    (above).
    """
    from pks_opt.scenario import read_variants

    base = prepare(raw)
    variants = read_variants(raw, [Path(s) for s in scenarios], prepare)
    result = base()
    if not variants:
        return result
    return with_comparison(result, {name: solve() for name, solve in variants})


def with_comparison(base: Result, parts: Mapping[str, Result]) -> Result:
    """Add ``parts``, the comparison table, the change lines and the chart to ``base``."""
    table = comparison_table(base, parts)
    base.parts = dict(parts)
    base.tables[COMPARISON_TABLE] = table
    base.explanation[:0] = change_lines(table)
    own = base.draw

    def draw(lang: str = "en") -> dict[str, Any]:
        figures = dict(own(lang)) if own is not None else {}
        chart = comparison_chart(table, base.instance, lang)
        if chart is not None:
            figures["scenario_comparison"] = chart
        return figures

    base.draw = draw
    return base


def _numeric_kpis(res: Result) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, value in res.kpis.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if math.isfinite(float(value)):
            out[str(key)] = float(value)
    return out


def comparison_table(base: Result, parts: Mapping[str, Result]) -> pd.DataFrame:
    """Compare the runs, one row each (``base`` first).

    Status, objective, KPIs, and ``Δ <kpi>`` against the base for every KPI that differs in
    some scenario.
    """
    runs = [("base", base), *parts.items()]
    kpis = [_numeric_kpis(r) for _, r in runs]
    names = list(dict.fromkeys(k for d in kpis for k in d))
    rows = []
    for (name, res), values in zip(runs, kpis, strict=True):
        row: dict[str, Any] = {
            "scenario": name,
            "status": res.status.value,
            "objective": res.objective if math.isfinite(res.objective) else None,
        }
        row.update({k: values.get(k) for k in names})
        rows.append(row)
    table = pd.DataFrame(rows)
    changed = [k for k in ["objective", *names] if table[k].nunique(dropna=False) > 1]
    for k in changed:
        table[f"change {k}"] = table[k] - table[k].iloc[0]
    return table


def change_lines(table: pd.DataFrame) -> list[str]:
    """Per scenario, what differs from the base: ``demand_up: objective 5 → 9 (+4), …``."""
    changed = [c.removeprefix("change ") for c in table.columns if c.startswith("change ")]
    base = table.iloc[0]
    lines = []
    for _, row in table.iloc[1:].iterrows():
        parts = []
        if row["status"] != base["status"]:
            parts.append(f"status {base['status']} → {row['status']}")
        for k in changed:
            a, b = base[k], row[k]
            if _same(a, b):
                continue
            parts.append(
                f"{k} {_fmt(a)} → {_fmt(b)}"
                + (f" ({_fmt(b - a, sign=True)})" if _number(a) and _number(b) else "")
            )
        what = ", ".join(parts) if parts else "the same as the base"
        lines.append(f"scenario {row['scenario']}: {what}")
    return lines


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not (isinstance(v, float) and math.isnan(v))


def _same(a: Any, b: Any) -> bool:
    if _number(a) and _number(b):
        return bool(abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(a))))
    return bool(a == b) or (not _number(a) and not _number(b) and pd.isna(a) and pd.isna(b))


def _fmt(v: Any, *, sign: bool = False) -> str:
    """``230 400`` from 1000 up (whole, thousands by a space), else 4 digits (``0.9512``)."""
    if not _number(v):
        return "-"
    x = float(v)
    if abs(x) < 1e-4:  # below what 4 digits show: 0, never 1.2e-05
        x = 0.0
    plus = "+" if sign else ""
    return f"{x:{plus},.0f}".replace(",", " ") if abs(x) >= 1000 else f"{x:{plus}.4g}"


def comparison_chart(table: pd.DataFrame, title: str, lang: str = "en") -> Any:
    """Chart each KPI that changed (at most ``MAX_PANELS``), a bar per run.

    Titles in ``lang`` (KPI names from the catalogue's ``kpis``); None if nothing changed.
    """
    from pks_opt.i18n import messages
    from pks_opt.report.figures import subplots

    m = messages(lang)
    changed = [c.removeprefix("change ") for c in table.columns if c.startswith("change ")]
    changed = changed[:MAX_PANELS]
    if not changed:
        return None
    cols = min(3, len(changed))
    rows = (len(changed) + cols - 1) // cols
    fig, axes = subplots(rows, cols, figsize=(4.2 * cols, 2.8 * rows), squeeze=False)
    names = list(table["scenario"])
    names[0] = m.text("plot", "whatif_base")  # the first row is the base run
    colours = ["#7f7f7f"] + ["#4c72b0"] * (len(names) - 1)
    for ax, k in zip(axes.flat, changed, strict=False):
        values = [float(v) if _number(v) else 0.0 for v in table[k]]
        ax.bar(range(len(names)), values, color=colours)
        ax.set_xticks(range(len(names)), names, rotation=30, ha="right", fontsize=8)
        ax.set_title(m.get("kpis", k) if m.has("kpis", k) else k, fontsize=9)
        ax.axhline(values[0], color="#7f7f7f", lw=0.8, ls="--")
    for ax in list(axes.flat)[len(changed) :]:
        ax.axis("off")
    fig.suptitle(m.text("plot", "whatif_title", name=title), fontsize=10)
    fig.tight_layout()
    return fig

"""What-if at every level: a base instance and scenario variants of it, solved side by side.

Each scenario file (:mod:`pks_opt.scenario`) is applied to the base on its own; the variant is
read and solved like the base. The base's result gets a ``scenario_comparison`` table (one row
per run: status, objective and every numeric KPI, then each KPI's change against the base), the
scenarios' own results as :attr:`~pks_opt.result.Result.parts` (written as sub-folders), the
lines "what changed against the base" first in its explanation, and a comparison chart: one
small panel per KPI that changed, a bar per run. The terminal prints, instead of the base's
whole summary, :func:`comparison_lines`: a short table of what changed, in the planner's words
(the catalogue's KPI names, tiers by their names) and rounded to each figure's unit.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from pks_opt.io import RawInstance
from pks_opt.result import Result
from pks_opt.rounding import decimals, round_value, unit_of

COMPARISON_TABLE = "scenario_comparison"
MAX_PANELS = 12
#: KPIs the printed comparison leaves out: the objective's own terms (the objective row
#: adds them up) and settings of the run
NOT_PRINTED = re.compile(r"^term_|^workers$|^seed$")


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
            diff = round_value(k, float(b) - float(a)) if _number(a) and _number(b) else None
            parts.append(
                f"{k} {_fmt(round_value(k, a))} → {_fmt(round_value(k, b))}"
                + (f" ({_fmt(diff, sign=True)})" if diff is not None else "")
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
        ax.set_title(kpi_label(k, lang), fontsize=9)
        ax.axhline(values[0], color="#7f7f7f", lw=0.8, ls="--")
    for ax in list(axes.flat)[len(changed) :]:
        ax.axis("off")
    fig.suptitle(m.text("plot", "whatif_title", name=title), fontsize=10)
    fig.tight_layout()
    return fig


def kpi_label(key: str, lang: str = "en") -> str:
    """Name a KPI (or ``objective``, ``status``) as a planner reads it, in ``lang``.

    The catalogue's KPI name with the roster's tiers by their names: ``tier2_short_shifts`` →
    "Shifts short, planned patient work" ("Saknade pass, planerat patientarbete").
    """
    from pks_opt.i18n import messages
    from pks_opt.names import in_words

    m = messages(lang)
    if key == "objective":  # the summary's own word for it: "objective", "målvärde"
        label = m.text("summary", "objective", value="").strip().rstrip(":")
    elif key == "status":
        label = m.get("columns", "status")
    else:
        label = m.get("kpis", key)
    return in_words(label[:1].upper() + label[1:], lang)


def comparison_lines(result: Result, lang: str = "en") -> list[str]:
    """Lay out what changed against the base as a small table for the terminal.

    The status, then a row per figure that changed (objective, KPIs but the objective's terms), a
    column for the base and one per scenario: its value and, in brackets, the change, both
    rounded to the figure's unit (a change that rounds to nothing is not shown).
    """
    from pks_opt.i18n import messages

    table = result.tables.get(COMPARISON_TABLE)
    if table is None or len(table) < 2:
        return []
    m = messages(lang)
    rows = [["", m.text("plot", "whatif_base"), *map(str, table["scenario"][1:])]]
    rows.append([kpi_label("status", lang), *(m.get("status", s) for s in table["status"])])
    changed = [c.removeprefix("change ") for c in table.columns if c.startswith("change ")]
    for k in changed:
        if NOT_PRINTED.search(k):
            continue
        cells = _change_cells(k, list(table[k]), lang)
        if cells is not None:
            rows.append([kpi_label(k, lang), *cells])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    head = m.get("tables", COMPARISON_TABLE)
    return [f"{head}:"] + [
        "  "
        + "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        ).rstrip()
        for r in rows
    ]


def _change_cells(key: str, values: list[Any], lang: str) -> list[str] | None:
    """Give the base's value and each scenario's ``value (+change)``; None if nothing shows.

    One precision for the row (:func:`_decimals`), so a change reads like its values.
    """
    keep = _decimals(key, values)
    base = values[0]
    cells = [_people(key, base, keep, lang)]
    for v in values[1:]:
        text = _people(key, v, keep, lang)
        change = float(v) - float(base) if _number(base) and _number(v) else 0.0
        if round(change * (100 if unit_of(key) == "share" else 1), keep) != 0:
            text += f" ({_people(key, change, keep, lang, signed=True)})"
        cells.append(text)
    shown = any("(" in c or c != cells[0] for c in cells[1:])
    return cells if shown else None


def _decimals(key: str, values: list[Any]) -> int:
    """Decimals of a row: whole for whole numbers, money and 1 000 and above; a share's 0.1 %.

    Else as a table for people rounds its column (:func:`pks_opt.rounding.decimals`).
    """
    numbers = [float(v) for v in values if _number(v)]
    if unit_of(key) == "share":
        return 1
    if not numbers or all(x == int(x) for x in numbers) or max(map(abs, numbers)) >= 1000:
        return 0
    return decimals(key, pd.Series(numbers))


def _people(key: str, value: Any, keep: int, lang: str, *, signed: bool = False) -> str:
    """Write a figure with ``keep`` decimals (a share in per cent) as Swedish or English."""
    if not _number(value):
        return "-"
    x = 100 * float(value) if unit_of(key) == "share" else float(value)
    text = f"{x:{'+' if signed else ''},.{keep}f}".replace(",", " ")
    if text.lstrip("+-").strip("0. ") == "":  # -0.0 is 0
        text = text.lstrip("+-")
    text += " %" if unit_of(key) == "share" else ""
    return text if lang == "en" else text.replace(".", ",")

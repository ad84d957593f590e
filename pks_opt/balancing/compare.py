"""Scenario comparison for ``pks balance --scenario``: base + variants solved side by side.

Scenarios are applied to the raw tables by the generic mechanism :mod:`pks_opt.scenario`
(owned by the need level) and re-validated exactly like the base. This module registers the
balancing shortcuts (``demand_pct``, ``budget_change``, ``fte_change``, ``close_unit``,
``add_contract``) that translate into generic changes, and builds the comparison table.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from pks_opt.balancing.data import BalancingData
from pks_opt.result import Result

COMPARISON_TABLE = "scenario_comparison"


def comparison_table(results: Sequence[tuple[str, BalancingData, Result]]) -> pd.DataFrame:
    """One row per scenario: unmet need, cost, actions per type, highest utilisation."""
    rows = []
    for name, _data, res in results:
        k = res.kpis
        acts = k.get("actions", {})
        rows.append(
            {
                "scenario": name,
                "status": res.status.value,
                "unmet_activities": k.get("unmet_activities"),
                "postponed_activity_periods": k.get("postponed_activity_periods"),
                "weighted_unmet_and_postponed": k.get("weighted_unmet_and_postponed"),
                "acute_gap_activities": k.get("acute_gap_activities"),
                "action_cost": k.get("action_cost"),
                "moves": acts.get("move"),
                "increases": acts.get("increase"),
                "reductions": acts.get("reduce"),
                "reduced_capacity": k.get("reduced_capacity"),
                "savings": k.get("savings"),
                "purchases": acts.get("purchase"),
                "postponements": acts.get("postpone"),
                "unmet_rows": acts.get("unmet"),
                "moved_capacity": k.get("moved_capacity"),
                "increased_capacity": k.get("increased_capacity"),
                "purchased_activities": k.get("purchased_activities"),
                "max_utilisation_before": k.get("max_utilisation_before"),
                "max_utilisation_after": k.get("max_utilisation_after"),
                "runtime_s": round(res.runtime_s, 3),
            }
        )
    return pd.DataFrame(rows)


def compare(results: Sequence[tuple[str, BalancingData, Result]]) -> Result:
    """Add the comparison table and per-scenario KPIs to the base result."""
    _, _, base = results[0]
    table = comparison_table(results)
    base.tables[COMPARISON_TABLE] = table
    base.kpis["scenarios"] = {
        name: {
            "status": res.status.value,
            "unmet_activities": res.kpis.get("unmet_activities"),
            "action_cost": res.kpis.get("action_cost"),
            "max_utilisation_after": res.kpis.get("max_utilisation_after"),
            "folder": name,
        }
        for name, _d, res in results[1:]
    }
    return base


def comparison_lines(base: Result) -> list[str]:
    """Lay the comparison out as aligned text lines for the terminal."""
    table = base.tables.get(COMPARISON_TABLE)
    if table is None:
        return []
    cols = [
        ("scenario", "scenario", "{}"),
        ("status", "status", "{}"),
        ("unmet_activities", "unmet", "{:,.0f}"),  # whole activities
        ("postponed_activity_periods", "postponed", "{:,.0f}"),
        ("action_cost", "cost SEK", "{:,.0f}"),
        ("moves", "moves", "{}"),
        ("increases", "incr.", "{}"),
        ("purchases", "purch.", "{}"),
        ("max_utilisation_after", "max util", "{:.2f}"),
    ]
    cells = [[h for _, h, _ in cols]]
    for r in table.to_dict("records"):
        cells.append([_fmt(fmt, r.get(c)) for c, _, fmt in cols])
    widths = [max(len(row[i]) for row in cells) for i in range(len(cols))]
    lines = ["scenario comparison:"]
    for row in cells:
        lines.append("  " + "  ".join(v.rjust(w) for v, w in zip(row, widths, strict=True)))
    return lines


def _fmt(fmt: str, v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    try:
        return fmt.format(v).replace(",", " ")
    except (ValueError, TypeError):
        return str(v)

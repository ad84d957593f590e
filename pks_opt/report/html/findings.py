"""What a manager must see, derived from the result tables, KPIs and explanation lines.

Limiting capacities, unmet need and its cause, the biggest action costs, named roster
shortfalls, follow-up deviations; and one headline figure per level.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pandas as pd

from pks_opt.report.html import explain
from pks_opt.report.html.collect import Run
from pks_opt.report.html.fmt import is_number, money, number, percent, whole
from pks_opt.report.html.i18n import Messages, explain_patterns


@dataclass(frozen=True)
class Finding:
    """One thing the report's overview points out about a run, ranked by ``score``."""

    kind: str
    text: str
    score: float  # higher first in the overview
    level: str  # bad | warn | ok
    anchor: str  # the section of the run it came from
    source: str = ""  # that run, named: level · folder (instance)


_FIELD = re.compile(r"\{(\w+(?:\.\w+)?)(?:\|(\w+))?\}")
FORMATS = {"money": money, "whole": whole, "percent": percent, "number": number}


def headline(run: Run, m: Messages) -> str:
    """Fill the level's headline figure from ``headline.<kind>``.

    ``{kpi|format}`` fields filled from the KPIs; empty when the run has no such KPI (no
    solution).
    """
    if not m.has("headline", run.kind):
        return ""
    template = m.get("headline", run.kind)
    kpis = run.kpis
    missing = False

    def fill(hit: re.Match[str]) -> str:
        nonlocal missing
        value: Any = kpis
        for part in hit[1].split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if not is_number(value):
            missing = True
            return ""
        return FORMATS[hit[2] or "number"](value, m.lang)

    text = _FIELD.sub(fill, template)
    return "" if missing else text


def findings_of(run: Run, m: Messages) -> list[Finding]:
    """Derive the findings of one result folder (its parts not included)."""
    rule = RULES.get(run.kind)
    if rule is None:
        return []
    return rule(run, m)


def _f(
    run: Run, m: Messages, key: str, score: float, level: str = "warn", **values: Any
) -> Finding:
    text = m.get("findings", key).format(**values)
    return Finding(run.kind, text, score, level, run.anchor, source(run, m))


def source(run: Run, m: Messages) -> str:
    """Name the run a finding came from, as the overview does.

    Its level, its folder and (when not the folder's name) the instance, i.e. the unit or
    region it planned.
    """
    named = [str(run.env.get(k) or "") for k in ("instance", "unit")]
    named = [n for n in dict.fromkeys(named) if n and n != run.name]
    kind = m.get("kinds", run.kind)
    if named:
        return m.ui("finding_source_instance", kind=kind, run=run.name, instance=", ".join(named))
    return m.ui("finding_source", kind=kind, run=run.name)


def _need(run: Run, m: Messages) -> list[Finding]:
    gaps = run.tables.get("gaps")
    out: list[Finding] = []
    if gaps is None or "limiting" not in gaps.columns:
        return out
    lim = gaps[gaps["limiting"].astype(str).str.lower() == "true"]
    if "ratio" in lim.columns:
        lim = lim.sort_values("ratio", ascending=False)
    for r in lim.head(2).itertuples():
        out.append(
            _f(
                run,
                m,
                "limiting",
                60 + float(getattr(r, "ratio", 0) or 0),
                "warn",
                unit=r.unit,
                resource=m.term(r.resource),
                period=r.period,
                need=number(r.need, m.lang),
                available=number(r.available, m.lang),
                measure=m.term(getattr(r, "measure", "")),
                ratio=percent(getattr(r, "ratio", 0), m.lang),
            )
        )
    return out


def _matches(run: Run, key: str) -> list[dict[str, str]]:
    pattern = dict(explain_patterns()).get(key)
    if pattern is None:
        return []
    out = []
    for line in run.env.get("explanation") or []:
        hit = pattern.fullmatch(str(line).strip())
        if hit:
            out.append({k: v or "" for k, v in hit.groupdict().items()})
    return out


def _balance(run: Run, m: Messages) -> list[Finding]:
    out: list[Finding] = []
    unmet = sorted(_matches(run, "unmet_limiting"), key=lambda g: -float(g["n"]))
    for g in unmet[:2]:
        out.append(
            _f(
                run,
                m,
                "unmet",
                90 + float(g["n"]) / 1e4,
                "bad",
                n=whole(float(g["n"]), m.lang),
                object=g["object"],
                unit=g["unit"],
                limiting=explain.readable(g["list"], m),
            )
        )
    actions = run.tables.get("actions")
    if actions is not None and {"cost", "action"} <= set(actions.columns) and len(actions):
        top = actions.sort_values("cost", ascending=False).head(3)
        items = [
            m.get("findings", "action_item").format(
                action=m.term(r.action),
                what=m.term(getattr(r, "resource_or_object", "")),
                unit=getattr(r, "unit", ""),
                period=getattr(r, "period", ""),
                cost=money(r.cost, m.lang),
            )
            for r in top.itertuples()
            if is_number(r.cost) and float(str(r.cost)) > 0
        ]
        if items:
            out.append(
                _f(
                    run,
                    m,
                    "action_costs",
                    70,
                    "warn",
                    total=money(run.kpis.get("action_cost", top["cost"].sum()), m.lang),
                    items="; ".join(items),
                )
            )
    return out


def _plan(run: Run, m: Messages) -> list[Finding]:
    k = run.kpis
    out: list[Finding] = []
    if is_number(k.get("goal_shortfall")) and k["goal_shortfall"] >= 0.5:
        out.append(
            _f(
                run,
                m,
                "plan_goals",
                80,
                "bad",
                shortfall=whole(k["goal_shortfall"], m.lang),
                met=whole(k.get("goal_periods_met", 0), m.lang),
                periods=whole(k.get("goal_periods", 0), m.lang),
                requests=whole(k.get("requests_for_new_agreement", 0), m.lang),
            )
        )
    if is_number(k.get("weeks_above_target_wait")) and k["weeks_above_target_wait"] > 0:
        out.append(
            _f(
                run,
                m,
                "plan_wait",
                50,
                "warn",
                weeks=whole(k["weeks_above_target_wait"], m.lang),
                total=whole(k.get("weeks", 0), m.lang),
            )
        )
    return out


def _matrix(run: Run, m: Messages) -> list[Finding]:
    k = run.kpis
    if is_number(k.get("sessions_short")) and k["sessions_short"] > 0:
        return [
            _f(
                run,
                m,
                "matrix_short",
                75,
                "bad",
                n=whole(k["sessions_short"], m.lang),
                needed=whole(k.get("sessions_needed", 0), m.lang),
            )
        ]
    return []


def _roster(run: Run, m: Messages) -> list[Finding]:
    k = run.kpis
    out: list[Finding] = []
    for tier, score in (("1", 95), ("2", 85), ("3", 55)):
        shifts = k.get(f"tier{tier}_short_shifts")
        if is_number(shifts) and float(str(shifts)) > 0:
            out.append(
                _f(
                    run,
                    m,
                    "roster_short",
                    score,
                    "bad" if tier != "3" else "warn",
                    tier=tier,
                    shifts=whole(shifts, m.lang),
                    hours=whole(k.get(f"tier{tier}_short_hours", 0), m.lang),
                    staff=whole(k.get("staff", 0), m.lang),
                )
            )
    short = run.tables.get("shortfalls")
    if short is not None and "date" in short.columns and len(short):
        first = short.sort_values(["tier", "date"] if "tier" in short.columns else ["date"]).head(3)
        items = [
            m.get("findings", "shortfall_item").format(
                date=r.date,
                shift=r.shift,
                competence=m.term(r.competence),
                short=whole(r.short, m.lang),
                reasons=explain.phrase(str(r.reasons), m) if isinstance(r.reasons, str) else "",
            )
            for r in first.itertuples()
        ]
        out.append(
            _f(
                run,
                m,
                "roster_named",
                65 if out else 40,
                "warn",
                n=whole(len(short), m.lang),
                items="; ".join(items),
            )
        )
    return out


def _followup(run: Run, m: Messages) -> list[Finding]:
    out: list[Finding] = []
    for name in ("deviations", "comparison"):
        df = run.tables.get(name)
        if df is None or not len(df):
            continue
        dev_col = next(
            (c for c in ("deviation", "deviation_share", "gap") if c in df.columns), None
        )
        if dev_col is None or not pd.api.types.is_numeric_dtype(df[dev_col]):
            continue
        worst = df.reindex(df[dev_col].abs().sort_values(ascending=False).index).head(3)
        label_cols = [
            c
            for c in (
                "unit",
                "planning_object",
                "object",
                "resource",
                "competence",
                "week",
                "period",
            )
            if c in df.columns
        ]
        items = [
            " ".join(m.term(getattr(r, c)) for c in label_cols if str(getattr(r, c)) != "nan")
            + f" ({number(getattr(r, dev_col), m.lang)})"
            for r in worst.itertuples()
        ]
        out.append(
            _f(run, m, "followup_dev", 60, "warn", n=whole(len(df), m.lang), items="; ".join(items))
        )
        break
    return out


RULES = {
    "need": _need,
    "balance": _balance,
    "production_plan": _plan,
    "activity_matrix": _matrix,
    "roster": _roster,
    "follow_up": _followup,
    "roster_follow_up": _followup,
}

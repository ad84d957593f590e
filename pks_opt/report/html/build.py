"""`pks report`: result folders of one run or the whole chain as one HTML file.

Self-contained (styles, script and charts inline; nothing fetched), rendered from Jinja2
templates in the reader's language.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import markupsafe
import pandas as pd

from pks_opt import __version__
from pks_opt.errors import OutputError
from pks_opt.report.html import explain
from pks_opt.report.html.collect import SECTION_TEMPLATES, Run, collect
from pks_opt.report.html.findings import Finding, findings_of, headline
from pks_opt.report.html.fmt import is_number, money, number, percent, whole
from pks_opt.report.html.i18n import Messages, catalogue

#: rows of one table put in the report (the rest stay in the folder's CSV)
MAX_ROWS = 1500
#: the tables each level shows first (lead) and open (key); the others go under "more tables"
LEAD_TABLE = {
    "need": "gaps",
    "balance": "actions",
    "production_plan": "goals",
    "activity_matrix": "room_grid",
    "roster": "shortfalls",
    "forecast": "forecast",
    "follow_up": "deviations",
    "roster_follow_up": "deviations",
    "cycle": "rounds",
}
KEY_TABLES = {
    "need": ["inpatient_beds", "staffing", "production_need"],
    "balance": ["scenario_comparison", "production_goals", "budget", "service_catalogue"],
    "production_plan": ["objects", "feedback"],
    "activity_matrix": ["coverage", "staff_grid", "feedback"],
    "roster": ["coverage", "roster_vs_plan", "feedback"],
    "follow_up": ["comparison"],
    "cycle": ["handshake"],
}
#: columns in SEK, shares (0–1) and counts of whole activities, shifts or people
MONEY = re.compile(r"(^|_)(cost|budget|remaining|sek|price|value)s?($|_)")
SHARE = re.compile(
    r"(^|_)(share|utilisation|utilization|occupancy|rate_share|share_covered|gap_share)($|_)"
)
WHOLE = re.compile(
    r"^(goal|agreed|planned|achievable|production|planned_production|annual_goal|horizon_goal|"
    r"need|own_need|for_other_units|by_other_units|purchased|postponed|unmet|volume|admissions|"
    r"total_production|total_goal|goal_shortfall|unmet_activities|purchased_activities|"
    r"total_need_activities|postponed_activity_periods|production_need|care_need|"
    r"sessions_\w+|staff|days|weeks|.*_shifts|.*_count|actual|planned_activities|inflow)$"
)


#: columns whose clauses the explanation patterns know (the roster's reasons per short cell, a
#: cause, the matrix's need source, the cycle's rounds and its reasons): shown translated clause
#: by clause (those in FREE_TEXT still marked free text)
PHRASES = {"reasons", "cause", "need_source", "from", "to", "why"}
#: columns that name a key of their row in English (pks_opt.names): the catalogue section whose
#: English names they are, shown in the reader's language
NAMED = {"tier_name": "tier_names", "action_name": "action_names"}
#: columns of folder paths (the cycle's handshake: round2/handshake-2/balance): shown as written
VERBATIM = {"balance", "folder"}
#: columns of free text a level writes in English (kept as written; see docs/report.md)
FREE_TEXT = {
    "detail",
    "note",
    "reasons",
    "limitations",
    "expected_consequence",
    "cause",
    "basis",
    "source",
    "goal_source",
    "need_source",
    "effect",
}


@dataclass
class Table:
    """A result table as the report shows it: columns and the first ``shown`` of ``total`` rows."""

    id: str
    name: str
    title: str
    file: str
    columns: list[dict[str, Any]]
    rows: list[dict[str, Any]]
    total: int
    shown: int


def build_report(
    dirs: list[Path],
    out: Path,
    *,
    lang: str = "en",
    title: str | None = None,
) -> Path:
    """Write the report of the result folders ``dirs`` to ``out`` (one HTML file)."""
    runs = collect([Path(d) for d in dirs])
    html = render(runs, lang=lang, title=title)
    out = Path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.name}.tmp")
        tmp.write_text(html, encoding="utf-8")
        tmp.replace(out)
    except OSError as exc:
        from pks_opt.report.output import os_reason

        raise OutputError(out, os_reason(out, exc)) from None
    return out


def environment() -> jinja2.Environment:
    """Make the Jinja environment of the report's templates (autoescaped, strict)."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("pks_opt.report.html", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _static(name: str) -> str:
    return resources.files("pks_opt.report.html").joinpath("static", name).read_text("utf-8")


def render(runs: list[Run], *, lang: str = "en", title: str | None = None) -> str:
    """Render the report's HTML."""
    m = Messages(lang)
    trace_index = _trace_index(runs)
    children = _children(runs)
    sections = [section(run, m, trace_index, children) for run in runs]
    found: list[Finding] = []
    for run in runs:
        found += findings_of(run, m)
    chosen = pick_findings(found)
    chain = _chain(runs, m)
    template = environment().get_template("base.html.j2")
    kinds = list(dict.fromkeys(s["kind_label"] for s in sections))
    return template.render(
        lang=lang,
        m=m,
        version=__version__,
        title=title or m.ui("default_title"),
        generated=dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        css=markupsafe.Markup(_static("report.css")),
        js=markupsafe.Markup(_static("report.js")),
        sections=sections,
        findings=chosen,
        chain=chain,
        planned=m.ui(
            "planned",
            n=len(sections),
            levels=", ".join(kinds),
            instances=", ".join(dict.fromkeys(str(r.env.get("instance", "")) for r in runs)),
        ),
    )


def pick_findings(found: list[Finding], most: int = 5) -> list[Finding]:
    """Pick the three to five findings a manager must see.

    The most important first, at most two from one level.
    """
    chosen: list[Finding] = []
    per_kind: dict[str, int] = {}
    for f in sorted(found, key=lambda f: -f.score):
        if per_kind.get(f.kind, 0) >= 2 or any(c.text == f.text for c in chosen):
            continue
        chosen.append(f)
        per_kind[f.kind] = per_kind.get(f.kind, 0) + 1
        if len(chosen) == most:
            break
    return chosen


def section(
    run: Run, m: Messages, trace_index: dict[str, str], children: dict[str, list[str]]
) -> dict[str, Any]:
    """Build the template context of one level's section."""
    ctx = _summary(run, m)
    lead_name = LEAD_TABLE.get(run.kind)
    if lead_name is None and run.tables:
        lead_name = next((t for t in run.tables if t != "trace"), None)
    key = [t for t in KEY_TABLES.get(run.kind, []) if t in run.tables and t != lead_name]
    ctx.update(
        template=SECTION_TEMPLATES.get(run.kind, "section_generic.html.j2"),
        intro=m.get("intro", run.kind, default=""),
        findings=[f for f in findings_of(run, m)],
        lead=(
            {"heading": m.get("tables", lead_name), "table": table(run, lead_name, m)}
            if lead_name in run.tables
            else None
        ),
        key_tables=[table(run, t, m) for t in key],
        more_tables=[
            table(run, t, m) for t in run.tables if t not in key and t != lead_name and t != "trace"
        ],
        trace=trace_table(run, m, trace_index, children) if "trace" in run.tables else None,
        parts=[_part(p, m) for p in run.parts],
    )
    return ctx


def _part(run: Run, m: Messages) -> dict[str, Any]:
    ctx = _summary(run, m)
    ctx["part_label"] = m.ui("part")
    ctx["key_tables"] = []
    return ctx


def _summary(run: Run, m: Messages) -> dict[str, Any]:
    env = run.env
    gap = env.get("gap")
    return {
        "anchor": run.anchor,
        "name": run.name,
        "kind": run.kind,
        "kind_label": m.get("kinds", run.kind),
        "status": run.status,
        "status_label": m.get("status", run.status),
        "instance": str(env.get("instance", "")),
        "runtime": f"{number(env.get('runtime_s') or 0, m.lang)} s",
        "gap": percent(gap, m.lang, decimals=1) if is_number(gap) and gap and gap > 1e-9 else "",
        "headline": headline(run, m),
        "kpis": kpi_items(run.kpis, m),
        "charts": [
            {"name": n, "label": m.get("charts", n), "uri": uri} for n, uri in run.charts.items()
        ],
        "explanation": explain.lines(list(env.get("explanation") or []), m),
        "warnings": explain.lines(list(env.get("warnings") or []), m),
        "stages": [stage(s, m) for s in env.get("stages") or []],
    }


def stage(s: dict[str, Any], m: Messages) -> dict[str, Any]:
    """One lexicographic stage of a run, worded for the report."""
    proven = bool(s.get("proven_optimal"))
    return {
        "name": explain.stage_name(str(s.get("name", "")), m),
        "status": str(s.get("status", "")),
        "proven": m.ui("proven_yes") if proven else m.get("status_stage", s.get("status", "")),
        "objective": value_text("objective", s.get("objective"), m),
        "bound": value_text("bound", s.get("bound"), m),
    }


def kpi_items(kpis: dict[str, Any], m: Messages, prefix: str = "") -> list[dict[str, str]]:
    """List a run's KPIs as label/value pairs (nested mappings flattened one level)."""
    items: list[dict[str, str]] = []
    for k, v in kpis.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            if all(not isinstance(x, dict) for x in v.values()) and prefix == "":
                items += kpi_items(v, m, prefix=f"{k}.")
            continue
        if isinstance(v, list) or v is None:
            continue
        items.append({"label": m.get("kpis", key), "value": value_text(k, v, m)})
    return items


def value_text(col: str, v: Any, m: Messages) -> str:
    """Write a number or value as people read it, by what its column or KPI name says it is."""
    if isinstance(v, bool):
        return m.ui("yes") if v else m.ui("no")
    if not is_number(v):
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return ""
        text = str(v)
        if text in ("True", "False"):
            return m.ui("yes") if text == "True" else m.ui("no")
        if col in VERBATIM:
            return text
        if col in NAMED and m.lang != "en":
            return _named(NAMED[col], text, m)
        if col in PHRASES and m.lang != "en":
            return explain.phrase(text, m)
        return m.term(text) if m.has("values", text) else explain.readable(text, m)
    col = col.lower()
    if MONEY.search(col):
        return money(v, m.lang)
    if SHARE.search(col):
        return percent(v, m.lang, decimals=1)
    if WHOLE.match(col):
        return whole(v, m.lang)
    return number(v, m.lang)


def _named(section: str, text: str, m: Messages) -> str:
    """Give an English name of ``section`` (``buy care``) in ``m``'s language (``köpa vård``).

    A name the English catalogue does not have is the key itself (``shift_in_time``): a term.
    """
    for key, name in catalogue("en").get(section, {}).items():
        if name == text:
            return m.get(section, key)
    return m.term(text) if m.has("values", text) else explain.readable(text, m)


def _anchor_id(trace_id: str) -> str:
    return "t-" + re.sub(r"[^A-Za-z0-9_-]+", "-", trace_id)


def table(run: Run, name: str, m: Messages) -> Table:
    """One result table of a run, formatted for the report."""
    df = run.tables[name]
    cols = [str(c) for c in df.columns]
    numeric = {
        c: pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])
        for c in df.columns
    }
    rows = []
    for rec in df.head(MAX_ROWS).itertuples(index=False, name=None):
        cells = []
        for c, v in zip(df.columns, rec, strict=True):
            raw = "" if v is None or (isinstance(v, float) and math.isnan(v)) else v
            cells.append(
                {
                    "text": value_text(str(c), raw, m),
                    "v": raw,
                    "num": numeric[c],
                    "free": str(c) in FREE_TEXT,
                }
            )
        rows.append({"id": None, "cells": cells})
    return (
        Table(
            id=f"{run.anchor}-{re.sub(r'[^A-Za-z0-9_-]+', '-', name)}",
            name=name,
            title=m.get("tables", name),
            file=f"{run.folder.name}/{name}.csv",
            columns=[
                {"col": c, "label": m.get("columns", c), "num": numeric[c]} for c in df.columns
            ],
            rows=rows,
            total=len(df),
            shown=min(len(df), MAX_ROWS),
        )
        if cols
        else Table(f"{run.anchor}-{name}", name, m.get("tables", name), "", [], [], 0, 0)
    )


def _trace_index(runs: list[Run]) -> dict[str, str]:
    """Trace row id → the anchor of its row in the report (the first section that has it)."""
    index: dict[str, str] = {}
    for run in runs:
        df = run.tables.get("trace")
        if df is None or "id" not in df.columns:
            continue
        for tid in df["id"].astype(str).head(MAX_ROWS):
            index.setdefault(tid, f"{run.anchor}-{_anchor_id(tid)}")
    return index


def trace_table(
    run: Run, m: Messages, index: dict[str, str], child_map: dict[str, list[str]]
) -> Table:
    """Link the level's trace.csv rows to their parents and children.

    Each row anchored, its parents (the rows of the level above it was made from) and children
    (the rows below made from it) as links.
    """
    t = table(run, "trace", m)
    df = run.tables["trace"]
    ids = df["id"].astype(str).tolist() if "id" in df.columns else []
    pcol = list(df.columns).index("parent_ids") if "parent_ids" in df.columns else None
    for i, row in enumerate(t.rows):
        tid = ids[i] if i < len(ids) else ""
        if index.get(tid, "").startswith(run.anchor + "-"):
            row["id"] = index[tid]
        if pcol is not None:
            cell = row["cells"][pcol]
            parents = [p for p in str(cell["v"]).split(";") if p]
            cell["links"] = [{"text": p, "href": index.get(p, "")} for p in parents]
        kids = child_map.get(tid, [])
        row["cells"].append(
            {
                "text": "",
                "v": ";".join(kids),
                "num": False,
                "free": False,
                "links": [{"text": k, "href": index.get(k, "")} for k in kids[:6]]
                + (
                    [{"text": m.ui("and_more", n=len(kids) - 6), "href": ""}]
                    if len(kids) > 6
                    else []
                ),
            }
        )
    t.columns.append({"col": "child_ids", "label": m.get("columns", "child_ids"), "num": False})
    return t


def _children(runs: list[Run]) -> dict[str, list[str]]:
    """Trace row id → the ids of the rows below made from it."""
    out: dict[str, list[str]] = {}
    for run in runs:
        df = run.tables.get("trace")
        if df is None or "id" not in df.columns or "parent_ids" not in df.columns:
            continue
        for tid, parents in zip(
            df["id"].astype(str), df["parent_ids"].fillna("").astype(str), strict=True
        ):
            for p in parents.split(";"):
                if p and tid not in out.setdefault(p, []):
                    out[p].append(tid)
    return out


def _chain(runs: list[Run], m: Messages) -> list[dict[str, str]]:
    """List the levels with a trace, top to bottom, for the overview's trace chain."""
    chain = []
    for run in runs:
        df = run.tables.get("trace")
        if df is None or "id" not in df.columns:
            continue
        chain.append(
            {
                "anchor": f"{run.anchor}-trace",
                "label": m.get("kinds", run.kind),
                "text": m.ui("trace_rows", n=whole(len(df), m.lang), name=run.name),
            }
        )
    return chain

"""Follow-up of a production plan (``pks follow-up PLAN_DIR ACTUALS``): outcome against plan.

For every planning object and week with actuals: production against the plan (and
cumulative), inflow against the plan's forecast, the waiting list against the plan's forecast
queue; for every resource: available capacity against the plan's. Normal and low-production
weeks are summarised apart.

**Flags** (``models/follow_up.md``): a week's relative deviation r = (actual − plan) ÷
max(1, plan) is flagged when it is beyond the unit's threshold (``--threshold``, 10 %) **and**
not noise: beyond the natural process limits of an XmR chart centred on the plan (±2.66 × the
mean moving range of r over the normal weeks), or part of a run of at least three weeks beyond
the threshold on the same side (a sustained shift the limits, measured on the same weeks, can
hide). Consecutive flagged weeks make one line of the escalation list for the level above,
with the goal the trend puts at risk.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from pks_opt.constants import NORMAL_WEEK
from pks_opt.errors import InputError
from pks_opt.followup.actuals import Actuals, check_against_plan
from pks_opt.io import read_result_csv
from pks_opt.limits import MAX_PLAN_WEEKS
from pks_opt.result import Result, SolveStatus

PLAN_FILE = "production_plan.csv"
CAPACITY_FILE = "capacity_use.csv"
GOALS_FILE = "goals.csv"
DEFAULT_THRESHOLD = 0.10
XMR_FACTOR = 2.66  # natural process limits of an individuals chart: ± 2.66 × mean moving range
RUN_LENGTH = 3
NORMAL = NORMAL_WEEK


@dataclass(frozen=True)
class PlanFolder:
    """The parts of a plan result that follow-up reads."""

    unit: str
    plan: pd.DataFrame
    capacity: pd.DataFrame
    goals: pd.DataFrame | None
    folder: Path


def _csv(path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    return read_result_csv(
        path,
        required,
        missing="missing: follow-up needs a production-plan result folder",
        text=False,
    )


def _typed(
    df: pd.DataFrame,
    path: Path,
    *,
    text: tuple[str, ...] = (),
    whole: tuple[str, ...] = (),
    numbers: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Check the columns follow-up computes with, cell by cell.

    A result table may have been edited by hand, cut or re-saved: ids not blank, weeks whole
    numbers 1..MAX_PLAN_WEEKS, hours and counts finite numbers. Errors name the file, row and
    field.
    """
    df = df.copy()
    for col in text:
        for i, v in enumerate(df[col]):
            if pd.isna(v) or not str(v).strip():
                raise InputError("missing value", file=str(path), row=i + 2, field=col)
        df[col] = df[col].map(lambda v: str(v).strip())
    for col in (*whole, *numbers):
        values = pd.to_numeric(df[col], errors="coerce")
        for i, (raw, v) in enumerate(zip(df[col], values, strict=True)):
            bad = pd.isna(v) or not math.isfinite(float(v))
            if col in whole and not bad:
                bad = float(v) != int(v) or not 1 <= int(v) <= MAX_PLAN_WEEKS
            if bad:
                what = f"a week number 1..{MAX_PLAN_WEEKS}" if col in whole else "a number"
                raw_text = "" if pd.isna(raw) else raw
                raise InputError(
                    f"expected {what} (got {raw_text!r})", file=str(path), row=i + 2, field=col
                )
        df[col] = values.astype(int) if col in whole else values.astype(float)
    return df


def _complete(df: pd.DataFrame, path: Path, key: str) -> None:
    """One row per ``key`` × week 1..the last week, none missing, none twice."""
    if df.empty:
        raise InputError("no rows (the table has only its header)", file=str(path), row=1)
    last = int(df["week"].max())
    seen: dict[tuple[str, int], int] = {}
    for i, (k, w) in enumerate(zip(df[key], df["week"], strict=True)):
        if (k, w) in seen:
            raise InputError(
                f"a second row for {key} '{k}', week {w} (first on row {seen[(k, w)]})",
                file=str(path),
                row=i + 2,
                field="week",
            )
        seen[(k, w)] = i + 2
    for k in dict.fromkeys(df[key]):
        missing = [w for w in range(1, last + 1) if (k, w) not in seen]
        if missing:
            raise InputError(
                f"{key} '{k}' has no row for week {missing[0]} (the plan runs to "
                f"week {last}; is the file cut?)",
                file=str(path),
                field="week",
            )


def read_plan_folder(folder: str | Path) -> PlanFolder:
    """Read a production-plan result folder (plan, capacity use and goals) for a follow-up."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("no such folder (expected a production-plan result)", file=str(folder))
    plan = _typed(
        _csv(
            folder / PLAN_FILE,
            ("planning_object", "week", "week_type", "inflow", "production", "queue_end"),
        ),
        folder / PLAN_FILE,
        text=("planning_object", "week_type"),
        whole=("week",),
        numbers=("inflow", "production", "queue_end"),
    )
    _complete(plan, folder / PLAN_FILE, "planning_object")
    capacity = _typed(
        _csv(folder / CAPACITY_FILE, ("week", "resource", "available_hours")),
        folder / CAPACITY_FILE,
        text=("resource",),
        whole=("week",),
        numbers=("available_hours",),
    )
    _complete(capacity, folder / CAPACITY_FILE, "resource")
    goals = (
        _typed(
            _csv(folder / GOALS_FILE, ("planning_object", "period", "weeks", "agreed")),
            folder / GOALS_FILE,
            text=("planning_object", "period", "weeks"),
            numbers=("agreed",),
        )
        if (folder / GOALS_FILE).is_file()
        else None
    )
    unit = folder.name
    meta = folder / "result.json"
    if meta.is_file():
        try:
            envelope = json.loads(meta.read_text(encoding="utf-8"))
            unit = str(envelope.get("unit") or envelope.get("instance") or unit)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise InputError("malformed JSON", file=str(meta)) from None
    return PlanFolder(unit, plan, capacity, goals, folder)


def relative(actual: float, planned: float) -> float:
    """Deviation of ``actual`` from ``planned`` relative to the plan (at least 1 in the divisor)."""
    return (actual - planned) / max(1.0, abs(planned))


def flags(r: list[float], normal: list[bool], threshold: float) -> tuple[list[bool], float]:
    """Which weeks to flag, and the control limit (see the module docstring)."""
    pts = [x for x, n in zip(r, normal, strict=True) if n]
    mr = [abs(b - a) for a, b in zip(pts, pts[1:], strict=False)]
    limit = XMR_FACTOR * (sum(mr) / len(mr)) if mr else math.inf
    beyond = [abs(x) > threshold for x in r]
    side = [0 if not b else (1 if x > 0 else -1) for x, b in zip(r, beyond, strict=True)]
    in_run = [False] * len(r)
    i = 0
    while i < len(r):
        if side[i] == 0:
            i += 1
            continue
        j = i
        while j + 1 < len(r) and side[j + 1] == side[i]:
            j += 1
        if j - i + 1 >= RUN_LENGTH:
            for k in range(i, j + 1):
                in_run[k] = True
        i = j + 1
    out = [b and (abs(x) > limit or run) for x, b, run in zip(r, beyond, in_run, strict=True)]
    return out, limit


def _ranges(weeks: list[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for w in weeks:
        if out and w == out[-1][1] + 1:
            out[-1] = (out[-1][0], w)
        else:
            out.append((w, w))
    return out


def _weeks_text(a: int, b: int) -> str:
    return f"week {a}" if a == b else f"weeks {a}–{b}"


ESCALATION_COLUMNS = [
    "level",
    "unit",
    "object",
    "resource",
    "measure",
    "weeks",
    "deviation",
    "text",
    "comment",
]
MEASURES = ("production", "inflow", "queue")


def follow_up(pf: PlanFolder, actuals: Actuals, *, threshold: float = DEFAULT_THRESHOLD) -> Result:
    """Compare the actuals of the plan's unit with the plan (pure)."""
    plan = pf.plan
    objects = list(dict.fromkeys(plan["planning_object"]))
    resources = list(dict.fromkeys(pf.capacity["resource"]))
    num_weeks = int(plan["week"].max())
    check_against_plan(actuals, pf.unit, objects, resources, num_weeks)
    last = actuals.last_week(pf.unit)
    week_type = {int(r["week"]): str(r["week_type"]) for r in plan.to_dict("records")}
    act = {(p.planning_object, p.week): p for p in actuals.production if p.unit == pf.unit}
    rows: list[dict[str, Any]] = []
    escalation: list[dict[str, Any]] = []
    weeks = list(range(1, last + 1))
    normal = [week_type.get(w, NORMAL) == NORMAL for w in weeks]
    for o in objects:
        if (o, 1) not in act:
            continue
        obj_rows, series = _object_rows(pf, o, weeks, week_type, act)
        for measure in MEASURES:
            flagged, limit = flags(series[measure], normal, threshold)
            for row, f, r in zip(obj_rows, flagged, series[measure], strict=True):
                row[f"{measure}_deviation_share"] = round(r, 4)
                row[f"{measure}_flag"] = f
            for a_w, b_w in _ranges([w for w, f in zip(weeks, flagged, strict=True) if f]):
                escalation.append(_escalate(o, measure, a_w, b_w, obj_rows, limit, pf, threshold))
        rows += obj_rows
    cap_rows, cap_escalation = _capacity(pf, actuals, weeks, normal, week_type, threshold)
    escalation += cap_escalation
    escalation += _goal_risks(pf, rows, last)
    table = pd.DataFrame(rows)
    explanation = [e["text"] for e in escalation]
    if not explanation:
        explanation = [f"weeks 1–{last}: no deviation beyond {threshold:.0%} that is not noise"]
    return Result(
        "follow_up",
        SolveStatus.OPTIMAL,
        pf.unit,
        "closed form",
        objective=0.0,
        bound=0.0,
        kpis=_followup_kpis(table, cap_rows, last, len(escalation)),
        tables={
            "followup": table,
            "capacity_followup": pd.DataFrame(cap_rows),
            "followup_summary": _summary(table),
            "escalation": pd.DataFrame(escalation, columns=ESCALATION_COLUMNS),
        },
        explanation=explanation,
        extra={"threshold": threshold, "plan": str(pf.folder), "actuals": str(actuals.source)},
    )


def _object_rows(
    pf: PlanFolder,
    o: str,
    weeks: list[int],
    week_type: dict[int, str],
    act: dict[tuple[str, int], Any],
) -> tuple[list[dict[str, Any]], dict[str, list[float]]]:
    """Tabulate each week of object ``o``: plan, actual, deviation, cumulative.

    Also gives the relative deviation series the flags are drawn from.
    """
    by_key = {(str(r["planning_object"]), int(r["week"])): r for r in pf.plan.to_dict("records")}
    series: dict[str, list[float]] = defaultdict(list)
    cum_plan = cum_act = 0.0
    obj_rows = []
    for w in weeks:
        p, a = by_key[(o, w)], act[(o, w)]
        cum_plan += float(p["production"])
        cum_act += a.production
        obj_rows.append(
            {
                "planning_object": o,
                "week": w,
                "week_type": week_type.get(w, NORMAL),
                "production_plan": float(p["production"]),
                "production_actual": a.production,
                "production_deviation": a.production - float(p["production"]),
                "cumulative_plan": cum_plan,
                "cumulative_actual": cum_act,
                "cumulative_deviation": cum_act - cum_plan,
                "inflow_forecast": round(float(p["inflow"]), 3),
                "inflow_actual": a.inflow,
                "inflow_deviation": round(a.inflow - float(p["inflow"]), 3),
                "queue_forecast": round(float(p["queue_end"]), 3),
                "queue_actual": a.waiting,
                "queue_deviation": None
                if a.waiting is None
                else round(a.waiting - float(p["queue_end"]), 3),
                "comment": a.comment or "",
            }
        )
        series["production"].append(relative(a.production, float(p["production"])))
        series["inflow"].append(relative(a.inflow, float(p["inflow"])))
        series["queue"].append(
            0.0 if a.waiting is None else relative(a.waiting, float(p["queue_end"]))
        )
    return obj_rows, series


def _followup_kpis(
    table: pd.DataFrame, cap_rows: list[dict[str, Any]], last: int, escalations: int
) -> dict[str, Any]:
    empty = table.empty
    return {
        "weeks_followed": last,
        "flagged_object_weeks": 0
        if empty
        else int(sum(table[f"{m}_flag"].sum() for m in MEASURES)),
        "flagged_resource_weeks": int(sum(1 for r in cap_rows if r["available_flag"])),
        "escalations": escalations,
        "production_deviation_total": 0.0 if empty else float(table["production_deviation"].sum()),
        "inflow_deviation_total": 0.0
        if empty
        else round(float(table["inflow_deviation"].sum()), 1),
    }


def _escalate(
    o: str,
    measure: str,
    a: int,
    b: int,
    rows: list[dict[str, Any]],
    limit: float,
    pf: PlanFolder,
    threshold: float,
) -> dict[str, Any]:
    span = [r for r in rows if a <= r["week"] <= b]
    planned = sum(
        r[f"{measure}_forecast" if measure != "production" else "production_plan"] or 0
        for r in span
    )
    if measure == "queue":
        dev = span[-1]["queue_deviation"] or 0.0
        text = f"{_weeks_text(a, b)}: {o} waiting list {dev:+.0f} against the forecast queue"
    else:
        actual = sum(r[f"{measure}_actual"] for r in span)
        dev = actual - planned
        what = "production" if measure == "production" else "inflow"
        against = "the plan" if measure == "production" else "the forecast"
        unit = "activities" if measure == "production" else "patients"
        # against a planned 0 a share means nothing ("+inf%"): the difference alone
        share = f"{dev / planned:+.0%} against {against} (" if planned else ""
        text = f"{_weeks_text(a, b)}: {o} {what} {share}{dev:+.0f} {unit}" + (
            ")" if planned else f" against {against}, which had none"
        )
        queue = span[-1]["queue_deviation"]
        if measure == "inflow" and queue is not None:
            text += f", waiting list {queue:+.0f} against the forecast queue"
    comments = sorted({r["comment"] for r in span if r["comment"]})
    if comments:
        text += f" (comment: {'; '.join(comments)})"
    return {
        "level": "plan",
        "unit": pf.unit,
        "object": o,
        "resource": "",
        "measure": measure,
        "weeks": f"{a}–{b}" if a != b else str(a),
        "deviation": round(dev, 1),
        "text": text,
        "comment": "; ".join(comments),
    }


def _capacity(
    pf: PlanFolder,
    actuals: Actuals,
    weeks: list[int],
    normal: list[bool],
    week_type: dict[int, str],
    threshold: float,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    planned = {
        (str(r["resource"]), int(r["week"])): float(r["available_hours"])
        for r in pf.capacity.to_dict("records")
    }
    act = {(c.resource, c.week): c for c in actuals.capacity if c.unit == pf.unit}
    rows: list[dict[str, Any]] = []
    escalation: list[dict[str, Any]] = []
    for res in dict.fromkeys(str(r) for r in pf.capacity["resource"]):
        if not any((res, w) in act for w in weeks):
            continue
        rel: list[float] = []
        res_rows: list[dict[str, Any]] = []
        for w in weeks:
            c = act.get((res, w))
            plan_h = planned.get((res, w), 0.0)
            avail = c.available_hours if c is not None else plan_h
            rel.append(relative(avail, plan_h))
            res_rows.append(
                {
                    "resource": res,
                    "week": w,
                    "week_type": week_type.get(w, NORMAL),
                    "available_plan": round(plan_h, 2),
                    "available_actual": avail,
                    "available_deviation": round(avail - plan_h, 2),
                    "used_actual": None if c is None else c.used_hours,
                    "comment": "" if c is None or c.comment is None else c.comment,
                }
            )
        flagged, _limit = flags(rel, normal, threshold)
        for row, f, r in zip(res_rows, flagged, rel, strict=True):
            row["available_deviation_share"] = round(r, 4)
            row["available_flag"] = f
        for a, b in _ranges([w for w, f in zip(weeks, flagged, strict=True) if f]):
            span = [r for r in res_rows if a <= r["week"] <= b]
            dev = sum(r["available_deviation"] for r in span)
            base = sum(r["available_plan"] for r in span)
            comments = sorted({r["comment"] for r in span if r["comment"]})
            text = (
                f"{_weeks_text(a, b)}: {res} available hours {dev / base if base else 0:+.0%} "
                f"against the plan ({dev:+.0f} h)"
            ) + (f" (comment: {'; '.join(comments)})" if comments else "")
            escalation.append(
                {
                    "level": "plan",
                    "unit": pf.unit,
                    "object": "",
                    "resource": res,
                    "measure": "available capacity",
                    "weeks": f"{a}–{b}" if a != b else str(a),
                    "deviation": round(dev, 1),
                    "text": text,
                    "comment": "; ".join(comments),
                }
            )
        rows += res_rows
    return rows, escalation


def _goal_risks(pf: PlanFolder, rows: list[dict[str, Any]], last: int) -> list[dict[str, Any]]:
    """Forecast the goal miss of the period holding the last week of actuals.

    At the rate of the period so far (actual ÷ planned production): is the goal missed, and
    by how much?
    """
    if pf.goals is None or pf.goals.empty:
        return []
    out: list[dict[str, Any]] = []
    plan = {
        (str(r["planning_object"]), int(r["week"])): float(r["production"])
        for r in pf.plan.to_dict("records")
    }
    actual = {(r["planning_object"], r["week"]): r["production_actual"] for r in rows}
    for g in pf.goals.to_dict("records"):
        first, _, lastw = str(g["weeks"]).replace("-", "–").partition("–")
        try:
            w0, w1 = int(first), int(lastw or first)
        except ValueError:
            continue
        if not w0 <= last <= w1:
            continue
        o = str(g["planning_object"])
        done = [w for w in range(w0, min(last, w1) + 1) if (o, w) in actual]
        if not done:
            continue
        act_sum = sum(actual[(o, w)] for w in done)
        plan_sum = sum(plan.get((o, w), 0.0) for w in done)
        rest = sum(plan.get((o, w), 0.0) for w in range(max(done) + 1, w1 + 1))
        rate = act_sum / plan_sum if plan_sum > 0 else 1.0
        projected = act_sum + rest * rate
        agreed = float(g["agreed"])
        gap = projected - agreed
        if abs(gap) <= max(1.0, 0.01 * agreed):
            continue
        which = "the plan's goal" if g["period"] == "plan" else f"the goal for {g['period']}"
        text = (
            f"{o}: at the rate of weeks {w0}–{max(done)} ({rate:.0%} of the plan) {which} is "
            f"{'missed' if gap < 0 else 'exceeded'} by {abs(gap):.0f} "
            f"(projected {projected:.0f} of {agreed:.0f})"
        )
        out.append(
            {
                "level": "plan",
                "unit": pf.unit,
                "object": o,
                "resource": "",
                "measure": "goal",
                "weeks": f"{w0}–{w1}",
                "deviation": round(gap, 1),
                "text": text,
                "comment": "",
            }
        )
    return out


def _summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per object × week class (normal / low-production): weeks, plan, actual, deviations."""
    if table.empty:
        return pd.DataFrame()
    t = table.assign(
        week_class=lambda d: d["week_type"].map(
            lambda x: NORMAL if x == NORMAL else "low-production"
        )
    )
    g = t.groupby(["planning_object", "week_class"], sort=False)
    out = g.agg(
        weeks=("week", "count"),
        production_plan=("production_plan", "sum"),
        production_actual=("production_actual", "sum"),
        inflow_forecast=("inflow_forecast", "sum"),
        inflow_actual=("inflow_actual", "sum"),
        flagged_weeks=("production_flag", "sum"),
    ).reset_index()
    out["production_deviation_share"] = (
        (out["production_actual"] - out["production_plan"]) / out["production_plan"].clip(lower=1)
    ).round(4)
    out["inflow_deviation_share"] = (
        (out["inflow_actual"] - out["inflow_forecast"]) / out["inflow_forecast"].clip(lower=1)
    ).round(4)
    out["inflow_forecast"] = out["inflow_forecast"].round(1)
    return out

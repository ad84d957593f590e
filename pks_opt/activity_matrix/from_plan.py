"""Sessions needed per week type from a production plan (``pks matrix --from-plan DIR``).

The production-plan level writes ``DIR/production_plan.csv`` (one row per planning object ×
week, with ``week_type`` and ``production`` in patients) and ``DIR/activity_hours.csv``
(hours one activity of a planning object takes of a resource). Conversion rule (documented in
``docs/activity-matrix.md``):

1. planning object → activity type by id, or through the instance's ``plan_mapping`` table;
   several planning objects may map to one activity type (their production adds up);
2. sessions of a type in a week = ⌈production ÷ patients_per_session⌉; a type without
   ``patients_per_session`` uses ``activity_hours`` instead: ⌈production × hours per activity
   of resource c ÷ (session hours × people of competence c per session)⌉ for each competence c
   the type needs that is also a resource of the plan (the largest);
3. one matrix per distinct week type, in order of first appearance; its need per activity
   type is the **largest** weekly need among the weeks of that type, so the template carries
   every week of its type (weeks below the peak leave bookable sessions unused rather than
   patients unplanned — the seeds schedule "just above the production plan");
4. ``--week N`` instead builds one matrix for week N (labelled with its week type);
5. activity types the plan does not mention keep the instance's ``sessions_per_week``.

What the plan asked is kept per matrix and activity type (:class:`PlanAsk`: patients and
sessions of the deciding week, every week's patients, the plan's trace ids) so that the
result can compare it with what the matrix places (``feedback.csv``) and trace every cell
back to the plan (``trace.csv``). Plan trace ids follow ``plan:{unit}:{planning_object}:w{week}``;
the plan's unit is ``unit`` in ``DIR/result.json`` (else its ``instance``, else this
instance's unit). When ``DIR/trace.csv`` exists every parent id is checked against it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Set
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from pydantic import Field

from pks_opt.activity_matrix.data import MatrixData, PlanAsk, plan_mapping, sessions_for
from pks_opt.constants import NORMAL_WEEK
from pks_opt.errors import InputError
from pks_opt.io import RawInstance, Row, Table, _read_csv, parse_rows

PLAN_FILE = "production_plan.csv"
HOURS_FILE = "activity_hours.csv"
TRACE_FILE = "trace.csv"
RESULT_FILE = "result.json"


class PlanRow(Row):
    """A row of a plan's ``production.csv``: activities of a planning object in a week."""

    planning_object: str = Field(min_length=1)
    week: int = Field(ge=1)
    week_type: str = Field(default=NORMAL_WEEK, min_length=1)
    production: float = Field(ge=0)
    holiday: str | None = None  # the plan's Swedish holidays that week (marked, not used)


class TraceRow(Row):
    """A row of a level's ``trace.csv`` (only the columns used to resolve parent ids)."""

    id: str = Field(min_length=1)
    level: str | None = None
    object: str | None = None
    period: str | None = None


class HoursRow(Row):
    """A row of a production plan's ``activity_hours``: hours one activity takes of a resource."""

    planning_object: str = Field(min_length=1)
    resource: str = Field(min_length=1)
    hours_per_activity: float = Field(gt=0)


def _only(table: Table, model: type[Row]) -> Table:
    """Keep only the model's columns of the table (the plan has many more; they are fine)."""
    cols = tuple(c for c in table.columns if c in model.model_fields)
    rows = tuple({c: r.get(c) for c in cols} for r in table.rows)
    return Table(table.name, table.where, cols, rows)


def matrices_from_plan(
    base: MatrixData, raw: RawInstance, plan_dir: Path, *, week: int | None = None
) -> list[MatrixData]:
    """One :class:`MatrixData` per week type of the plan (or one for ``week``)."""
    plan_dir = Path(plan_dir)
    t_plan, rows = _read_plan_rows(plan_dir)
    tids = [t.id for t in base.activity_types]
    obj2type = _object_types(raw, tids, t_plan, rows)
    week_type, patients = _patients_by_week(t_plan, rows, obj2type)
    hours = _read_hours(plan_dir / HOURS_FILE)
    session_hours = max(s.hours for s in base.sessions)
    planned_types = sorted(set(obj2type.values()), key=tids.index)
    demand = _PlanDemand(
        patients=patients,
        per_session={
            tid: _patients_per_session(base, raw, tid, obj2type, hours, session_hours)
            for tid in planned_types
        },
        objects_of={t: tuple(o for o, ty in obj2type.items() if ty == t) for t in planned_types},
        rows_of={(r.planning_object, r.week) for r in rows},
        parents=_ParentIds(plan_dir, _plan_unit(plan_dir, base.unit)),
    )
    if week is not None:
        if week not in week_type:
            raise InputError(
                f"week {week} is not in the production plan", file=t_plan.where, field="week"
            )
        need = dict(base.need)
        source = dict(base.need_source)
        for tid in planned_types:
            need[tid] = demand.sessions(week, tid)
            source[tid] = (
                f"plan week {week}: {patients[(week, tid)]:.4g} patients ÷ "
                f"{demand.per_session[tid][0]}"
            )
        asks = {t: demand.ask(t, week, [week]) for t in planned_types}
        return [base.with_need(week_type[week], need, source, asks)]
    out: list[MatrixData] = []
    for wt in dict.fromkeys(week_type[w] for w in sorted(week_type)):
        weeks = [w for w in sorted(week_type) if week_type[w] == wt]
        out.append(_peak_matrix(base, demand, planned_types, wt, weeks))
    return out


@dataclass(frozen=True)
class _PlanDemand:
    """What the plan asks per (week, activity type), and where it came from."""

    patients: Mapping[tuple[int, str], float]
    per_session: Mapping[str, tuple[str, float]]  # type -> (how, patients per session)
    objects_of: Mapping[str, tuple[str, ...]]
    rows_of: Set[tuple[str, int]]
    parents: _ParentIds

    def sessions(self, w: int, tid: str) -> int:
        return sessions_for(self.patients.get((w, tid), 0.0), self.per_session[tid][1])

    def ask(self, tid: str, w: int, weeks: list[int]) -> PlanAsk:
        return PlanAsk(
            activity_type=tid,
            planning_objects=self.objects_of[tid],
            week=w,
            patients=self.patients.get((w, tid), 0.0),
            patients_per_session=self.per_session[tid][1],
            sessions=self.sessions(w, tid),
            patients_by_week={k: self.patients.get((k, tid), 0.0) for k in weeks},
            parent_ids=tuple(
                self.parents.of(o, w) for o in self.objects_of[tid] if (o, w) in self.rows_of
            ),
        )


def _peak_matrix(
    base: MatrixData, demand: _PlanDemand, planned_types: list[str], wt: str, weeks: list[int]
) -> MatrixData:
    """Build the matrix of one week type from each activity type's sessions in its peak week."""
    need = dict(base.need)
    source = dict(base.need_source)
    asks: dict[str, PlanAsk] = {}
    for tid in planned_types:
        peak = max(weeks, key=lambda w, t=tid: (demand.sessions(w, t), -w))  # type: ignore[misc]
        need[tid] = demand.sessions(peak, tid)
        source[tid] = (
            f"plan: peak of {len(weeks)} '{wt}' week(s) is week {peak}, "
            f"{demand.patients.get((peak, tid), 0.0):.4g} patients ÷ "
            f"{demand.per_session[tid][0]}"
        )
        asks[tid] = demand.ask(tid, peak, weeks)
    return base.with_need(wt, need, source, asks)


def _read_plan_rows(plan_dir: Path) -> tuple[Table, tuple[PlanRow, ...]]:
    if not plan_dir.is_dir():
        raise InputError("the --from-plan folder does not exist", file=str(plan_dir))
    f_plan = plan_dir / PLAN_FILE
    if not f_plan.exists():
        raise InputError(f"no {PLAN_FILE} in the --from-plan folder", file=str(plan_dir))
    t_plan = _only(_read_csv("production_plan", f_plan), PlanRow)
    rows = parse_rows(t_plan, PlanRow)
    if not rows:
        raise InputError("the production plan has no rows", file=t_plan.where)
    return t_plan, rows


def _object_types(
    raw: RawInstance, tids: list[str], t_plan: Table, rows: tuple[PlanRow, ...]
) -> dict[str, str]:
    """Planning object → activity type (``plan_mapping``, else the same name)."""
    mapping = plan_mapping(raw, tids)
    obj2type: dict[str, str] = {}
    for i, r in enumerate(rows):
        tid = mapping.get(r.planning_object, r.planning_object)
        if tid not in tids:
            raise InputError(
                f"planning object '{r.planning_object}' is not an activity type of the instance "
                "(add it to plan_mapping.csv)",
                file=t_plan.where,
                row=t_plan.row_number(i),
                field="planning_object",
            )
        obj2type[r.planning_object] = tid
    return obj2type


def _patients_by_week(
    t_plan: Table, rows: tuple[PlanRow, ...], obj2type: Mapping[str, str]
) -> tuple[dict[int, str], dict[tuple[int, str], float]]:
    """(week) → week type and (week, activity type) → patients the plan produces."""
    week_type: dict[int, str] = {}
    patients: dict[tuple[int, str], float] = defaultdict(float)
    for i, r in enumerate(rows):
        if week_type.setdefault(r.week, r.week_type) != r.week_type:
            raise InputError(
                f"week {r.week} is '{r.week_type}' here but '{week_type[r.week]}' on an "
                "earlier row",
                file=t_plan.where,
                row=t_plan.row_number(i),
                field="week_type",
            )
        patients[(r.week, obj2type[r.planning_object])] += r.production
    return week_type, dict(patients)


def plan_trace_id(unit: str, planning_object: str, week: int) -> str:
    """Name a planning object × week as the plan level's trace does (the convention both share)."""
    return f"plan:{unit}:{planning_object}:w{week}"


def _plan_unit(plan_dir: Path, default: str) -> str:
    """Find the plan's unit: ``unit`` in its result.json, else ``instance``, else ``default``."""
    f = plan_dir / RESULT_FILE
    if not f.exists():
        return default
    try:
        env = json.loads(f.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the plan's result.json: {exc}", file=str(f)) from exc
    for key in ("unit", "instance"):
        value = env.get(key) if isinstance(env, dict) else None
        if isinstance(value, str) and value:
            return value
    return default


class _ParentIds:
    """Plan trace ids by the shared convention, checked against the plan's trace.csv if any.

    An id the convention gives but trace.csv lacks is looked up by the row's ``object`` and
    ``period`` (``w{week}`` or ``{week}``) among the plan-level rows; if that fails too the
    hand-over is broken and the error names the file and the id.
    """

    def __init__(self, plan_dir: Path, unit: str) -> None:
        self.unit = unit
        self.path = plan_dir / TRACE_FILE
        self.ids: set[str] | None = None
        self.by_object: dict[tuple[str, str], str] = {}
        if self.path.exists():
            table = _only(_read_csv("trace", self.path), TraceRow)
            rows = parse_rows(table, TraceRow)
            self.ids = {r.id for r in rows}
            for r in rows:
                if r.level in (None, "plan") and r.object and r.period:
                    self.by_object.setdefault((r.object, r.period), r.id)

    def of(self, planning_object: str, week: int) -> str:
        pid = plan_trace_id(self.unit, planning_object, week)
        if self.ids is None or pid in self.ids:
            return pid
        for period in (f"w{week}", str(week)):
            found = self.by_object.get((planning_object, period))
            if found is not None:
                return found
        raise InputError(
            f"the plan's trace has no row for planning object '{planning_object}' in week "
            f"{week} (expected id '{pid}')",
            file=str(self.path),
            field="id",
        )


def _read_hours(path: Path) -> dict[tuple[str, str], float]:
    if not path.exists():
        return {}
    table = _only(_read_csv("activity_hours", path), HoursRow)
    return {
        (r.planning_object, r.resource): r.hours_per_activity for r in parse_rows(table, HoursRow)
    }


def _patients_per_session(
    base: MatrixData,
    raw: RawInstance,
    tid: str,
    obj2type: dict[str, str],
    hours: dict[tuple[str, str], float],
    session_hours: float,
) -> tuple[str, float]:
    """(wording, patients per session) of an activity type: given, or from activity hours."""
    t = base.activity(tid)
    if t.patients_per_session is not None:
        return f"{t.patients_per_session:g} per session", t.patients_per_session
    objects = [o for o, ty in obj2type.items() if ty == tid]
    best: tuple[str, float] | None = None
    for comp, people in sorted(t.staff_per_session.items()):
        hs = [hours[(o, comp)] for o in objects if (o, comp) in hours]
        if not hs:
            continue
        # the most demanding planning object decides (conservative)
        pps = session_hours * people / max(hs)
        if best is None or pps < best[1]:
            best = (f"{pps:.3g} per session ({max(hs):g} {comp} h each)", pps)
    if best is None:
        raise InputError(
            f"activity type '{tid}' is in the production plan but has no patients_per_session "
            f"and activity_hours.csv has no hours of its competences",
            file=raw.table("activity_types").where,
            row=[a.id for a in base.activity_types].index(tid) + 2,
            field="patients_per_session",
        )
    return best


def plan_holiday_weeks(plan_dir: Path, *, week: int | None = None) -> pd.DataFrame:
    """List the plan's weeks with Swedish holidays (``week, week_type, holiday``).

    The plan's ``parameters.start_date`` gives them (see ``production_plan/holidays.py``): the
    matrix of their week type is the template, and their holiday weekdays hold no planned
    sessions.
    """
    rows = parse_rows(
        _only(_read_csv("production_plan", Path(plan_dir) / PLAN_FILE), PlanRow), PlanRow
    )
    seen: dict[int, tuple[str, str]] = {}
    for r in rows:
        if r.holiday and (week is None or r.week == week):
            seen[r.week] = (r.week_type, r.holiday)
    return pd.DataFrame(
        [(w, t, h) for w, (t, h) in sorted(seen.items())], columns=["week", "week_type", "holiday"]
    )

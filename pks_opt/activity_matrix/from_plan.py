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
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from pydantic import Field

from pks_opt.activity_matrix.data import MatrixData, plan_mapping, sessions_for
from pks_opt.errors import InputError
from pks_opt.io import RawInstance, Row, Table, _read_csv, parse_rows

PLAN_FILE = "production_plan.csv"
HOURS_FILE = "activity_hours.csv"


class PlanRow(Row):
    planning_object: str = Field(min_length=1)
    week: int = Field(ge=1)
    week_type: str = Field(default="normal", min_length=1)
    production: float = Field(ge=0)


class HoursRow(Row):
    planning_object: str = Field(min_length=1)
    resource: str = Field(min_length=1)
    hours_per_activity: float = Field(gt=0)


def _only(table: Table, model: type[Row]) -> Table:
    """The table restricted to the model's columns (the plan has many more; they are fine)."""
    cols = tuple(c for c in table.columns if c in model.model_fields)
    rows = tuple({c: r.get(c) for c in cols} for r in table.rows)
    return Table(table.name, table.where, cols, rows)


def matrices_from_plan(
    base: MatrixData, raw: RawInstance, plan_dir: Path, *, week: int | None = None
) -> list[MatrixData]:
    """One :class:`MatrixData` per week type of the plan (or one for ``week``)."""
    plan_dir = Path(plan_dir)
    if not plan_dir.is_dir():
        raise InputError("the --from-plan folder does not exist", file=str(plan_dir))
    f_plan = plan_dir / PLAN_FILE
    if not f_plan.exists():
        raise InputError(f"no {PLAN_FILE} in the --from-plan folder", file=str(plan_dir))
    t_plan = _only(_read_csv("production_plan", f_plan), PlanRow)
    rows = parse_rows(t_plan, PlanRow)
    if not rows:
        raise InputError("the production plan has no rows", file=t_plan.where)

    tids = [t.id for t in base.activity_types]
    mapping = plan_mapping(raw, tids)
    obj2type: dict[str, str] = {}
    for i, r in enumerate(rows):
        tid = mapping.get(r.planning_object, r.planning_object)
        if tid not in tids:
            raise InputError(
                f"planning object '{r.planning_object}' is not an activity type of the instance "
                "(add it to plan_mapping.csv)",
                file=t_plan.where, row=t_plan.row_number(i), field="planning_object",
            )
        obj2type[r.planning_object] = tid

    hours = _read_hours(plan_dir / HOURS_FILE)
    session_hours = max(s.hours for s in base.sessions)

    # (week) -> week type; (week, type) -> patients
    week_type: dict[int, str] = {}
    patients: dict[tuple[int, str], float] = defaultdict(float)
    for i, r in enumerate(rows):
        if week_type.setdefault(r.week, r.week_type) != r.week_type:
            raise InputError(
                f"week {r.week} is '{r.week_type}' here but '{week_type[r.week]}' on an earlier row",
                file=t_plan.where, row=t_plan.row_number(i), field="week_type",
            )
        patients[(r.week, obj2type[r.planning_object])] += r.production

    planned_types = sorted(set(obj2type.values()), key=tids.index)
    per_session: dict[str, tuple[str, float]] = {}
    for tid in planned_types:
        per_session[tid] = _patients_per_session(base, raw, tid, obj2type, hours, session_hours)

    def sessions(w: int, tid: str) -> int:
        _how, pps = per_session[tid]
        return sessions_for(patients[(w, tid)], pps)

    if week is not None:
        if week not in week_type:
            raise InputError(f"week {week} is not in the production plan", file=t_plan.where,
                             field="week")
        need = dict(base.need)
        source = dict(base.need_source)
        for tid in planned_types:
            need[tid] = sessions(week, tid)
            source[tid] = (
                f"plan week {week}: {patients[(week, tid)]:.4g} patients ÷ "
                f"{per_session[tid][0]}"
            )
        return [base.with_need(week_type[week], need, source)]

    out: list[MatrixData] = []
    for wt in dict.fromkeys(week_type[w] for w in sorted(week_type)):
        weeks = [w for w in sorted(week_type) if week_type[w] == wt]
        need = dict(base.need)
        source = dict(base.need_source)
        for tid in planned_types:
            peak = max(weeks, key=lambda w, t=tid: (sessions(w, t), -w))  # type: ignore[misc]
            need[tid] = sessions(peak, tid)
            source[tid] = (
                f"plan: peak of {len(weeks)} '{wt}' week(s) is week {peak}, "
                f"{patients[(peak, tid)]:.4g} patients ÷ {per_session[tid][0]}"
            )
        out.append(base.with_need(wt, need, source))
    return out


def _read_hours(path: Path) -> dict[tuple[str, str], float]:
    if not path.exists():
        return {}
    table = _only(_read_csv("activity_hours", path), HoursRow)
    return {(r.planning_object, r.resource): r.hours_per_activity for r in parse_rows(table, HoursRow)}


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

"""Production-plan instances: read, validate and freeze (no solver in sight).

An instance is a folder (``instance.yaml`` + CSVs) or an ``.xlsx`` workbook with ``kind:
tactical``. Tables (full reference in ``docs/production-plan.md``):

- ``planning_objects``: one row per planning object — priority, maximum wait, start queue,
  annual inflow and goal, maximum queue and the waiting-list target;
- ``weeks``: the plan's weeks 1..N with week type, capacity factor and seasonal inflow weight;
- ``resources``: hours per normal week per limiting resource;
- ``activity_hours``: hours one activity of a planning object takes of a resource;
- ``capacity`` (optional): available hours per week and resource, overriding factor × hours;
- ``inflow`` (optional): inflow and other removals per object and week, overriding the profile.

Everything is turned into one frozen :class:`PlanData` whose weekly series are already expanded
(inflow, removals, available hours), so the model builder only reads numbers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import Field, ValidationError, model_validator

from pks_opt.constants import NORMAL_WEEK, WEEKS_PER_YEAR
from pks_opt.errors import InputError
from pks_opt.io import (
    Frozen,
    RawInstance,
    Row,
    Table,
    check_ref,
    check_unique,
    parse_parameters,
    parse_rows,
    read_raw,
    validation_to_input_error,
)
from pks_opt.limits import (
    MAX_CAPACITY_FACTOR,
    MAX_HOURS_PER_ACTIVITY,
    MAX_PLAN_VOLUME,
    MAX_PLAN_WEEKS,
    MAX_STAGE_TOLERANCE,
    CalendarDate,
    InflowWeight,
    PlanWeight,
)

INSTANCE_KIND = "tactical"
# Removals and inflow are fractional; a queue below this is "empty" (rounding, not a bug).
QUEUE_TOLERANCE = 1e-6


# --------------------------------------------------------------------------- rows


class PlanningObjectRow(Row):
    """A row of ``planning_objects``: priority, wait limit, queue and goals of one object.

    Annual inflow and goal in activities a year; ``target_queue`` by ``target_week``, or
    ``reduction_per_week``, is the waiting-list target.
    """

    planning_object: str = Field(min_length=1)
    name: str | None = None
    priority: int = Field(ge=1)
    max_wait_weeks: float = Field(gt=0, le=MAX_PLAN_WEEKS)
    queue_start: float = Field(ge=0, le=MAX_PLAN_VOLUME)
    annual_inflow: float | None = Field(default=None, ge=0, le=MAX_PLAN_VOLUME)
    annual_goal: float | None = Field(default=None, ge=0, le=MAX_PLAN_VOLUME)
    max_queue: float | None = Field(default=None, ge=0, le=MAX_PLAN_VOLUME)
    target_queue: float | None = Field(default=None, ge=0, le=MAX_PLAN_VOLUME)
    target_week: int | None = Field(default=None, ge=1, le=MAX_PLAN_WEEKS)
    reduction_per_week: float | None = Field(default=None, ge=0, le=MAX_PLAN_VOLUME)


class WeekRow(Row):
    """A row of ``weeks``: a week's type, capacity factor and share of the seasonal inflow."""

    week: int = Field(ge=1, le=MAX_PLAN_WEEKS)
    week_type: str = Field(default=NORMAL_WEEK, min_length=1)
    capacity_factor: float = Field(default=1.0, ge=0, le=MAX_CAPACITY_FACTOR)
    inflow_weight: InflowWeight = Field(default=1.0, ge=0)


class ResourceRow(Row):
    """A row of ``resources``: hours per normal week of a limiting resource."""

    resource: str = Field(min_length=1)
    name: str | None = None
    hours_per_week: float = Field(ge=0, le=MAX_PLAN_VOLUME)
    balance_resource: str | None = None


class ActivityHoursRow(Row):
    """A row of ``activity_hours``: hours one activity of a planning object takes of a resource."""

    planning_object: str = Field(min_length=1)
    resource: str = Field(min_length=1)
    hours_per_activity: float = Field(gt=0, le=MAX_HOURS_PER_ACTIVITY)


class CapacityRow(Row):
    """A row of ``capacity``: a resource's available hours in a week (overrides factor × hours)."""

    week: int
    resource: str = Field(min_length=1)
    available_hours: float = Field(ge=0, le=MAX_PLAN_VOLUME)


class InflowRow(Row):
    """A row of ``inflow``: new patients and other removals of an object in one week."""

    planning_object: str = Field(min_length=1)
    week: int
    inflow: float = Field(ge=0, le=MAX_PLAN_VOLUME)
    other_removals: float = Field(default=0.0, ge=0, le=MAX_PLAN_VOLUME)


class PlanParameters(Row):
    """The manifest's ``parameters`` (weights of the objective terms, see the model spec)."""

    unit: str | None = None
    goal_shortfall_weight: PlanWeight = Field(default=10.0, ge=0)
    queue_excess_weight: PlanWeight = Field(default=1.0, ge=0)
    wait_excess_weight: PlanWeight = Field(default=1.0, ge=0)
    target_excess_weight: PlanWeight = Field(default=1.0, ge=0)
    goal_excess_weight: PlanWeight = Field(default=1.0, ge=0)
    overproduction_weight: PlanWeight = Field(default=1.0, ge=0)
    behind_need_weight: PlanWeight = Field(default=1.0, ge=0)
    goal_tolerance: float = Field(default=0.01, ge=0, le=1)
    #: the first day of week 1 (a calendar for Swedish holidays; none without it)
    start_date: CalendarDate | None = None
    #: "sweden": holiday weekdays take capacity from normal weeks (production_plan/holidays.py)
    holidays: Literal["sweden", "none"] = "sweden"
    change_weight: PlanWeight = Field(default=1.0, ge=0)
    steady_weight: PlanWeight = Field(default=0.2, ge=0)
    stage_tolerance: float = Field(default=0.01, ge=0, le=MAX_STAGE_TOLERANCE)


# --------------------------------------------------------------------------- frozen data


class GoalPeriod(Frozen):
    """An agreed production goal over consecutive weeks (a balance period, or the whole plan)."""

    period: str
    first_week: int  # 1-based, inclusive
    last_week: int  # 1-based, inclusive
    goal: float = Field(ge=0, le=MAX_PLAN_VOLUME)

    @property
    def weeks(self) -> range:
        """0-based week indices of the period."""
        return range(self.first_week - 1, self.last_week)


#: name of the single goal period of an instance's annual goal (the whole plan)
WHOLE_PLAN = "plan"


class PlanningObject(Frozen):
    """A planning object with its goals and weekly series expanded over the plan's weeks."""

    id: str
    name: str
    priority: int
    max_wait_weeks: float
    queue_start: float
    annual_goal: float | None
    goal_source: str  # "instance", "balance" or "none"
    #: the goals that bind, per period; empty: no goal (production follows need)
    goal_periods: tuple[GoalPeriod, ...] = ()
    #: production of the weeks already done (re-planning from actuals): weeks 1..len(locked)
    locked: tuple[int, ...] = ()
    max_queue: float | None
    target_queue: float | None
    target_week: int | None
    reduction_per_week: float | None
    inflow: tuple[float, ...]
    other_removals: tuple[float, ...]
    hours_per_activity: dict[str, float]  # resource -> hours per activity

    @property
    def horizon_goal(self) -> float | None:
        """The goal over the plan's horizon: the sum of its goal periods (None: no goal).

        An instance's annual goal is one period over the whole plan, annual goal × N / 52.
        """
        if not self.goal_periods:
            return None
        return sum(g.goal for g in self.goal_periods)

    @property
    def has_goal(self) -> bool:
        """True when some goal period binds the object (else production follows need)."""
        return bool(self.goal_periods)

    def target_path(self) -> tuple[float | None, ...]:
        """Highest queue the waiting-list target allows at the end of each week (None: no target).

        ``reduction_per_week`` r: queue_start − r·w (never below 0) in every week w.
        ``target_queue`` T by ``target_week`` t (default: the last week): T from week t on.
        """
        n = len(self.inflow)
        if self.reduction_per_week is not None:
            return tuple(
                max(0.0, self.queue_start - self.reduction_per_week * w) for w in range(1, n + 1)
            )
        if self.target_queue is not None:
            t = self.target_week or n
            return tuple(self.target_queue if w >= t else None for w in range(1, n + 1))
        return tuple(None for _ in range(n))

    @property
    def has_target(self) -> bool:
        """True when the object has a waiting-list target (a queue by a week, or a reduction)."""
        return self.reduction_per_week is not None or self.target_queue is not None

    @property
    def target_week_effective(self) -> int | None:
        """The week by which the target level is to be reached (reduction: the last week)."""
        if not self.has_target:
            return None
        return self.target_week or len(self.inflow)


def wait_window(week_index: int, max_wait_weeks: float, num_weeks: int) -> tuple[int, ...]:
    """0-based weeks whose production serves the queue at the end of week ``week_index``.

    The ⌈max_wait⌉ weeks after it. Past the plan's last week the window wraps round to its
    first weeks: a 52-week plan is rolling, so next year's week 1 is planned like this year's
    (a plan shorter than the window counts some weeks more than once).
    """
    length = math.ceil(max_wait_weeks - 1e-9)
    return tuple((week_index + 1 + k) % num_weeks for k in range(length))


class Week(Frozen):
    """One week of the plan: type, capacity factor and the holidays on its weekdays."""

    week: int
    week_type: str
    capacity_factor: float
    #: Swedish public holidays on its weekdays (``parameters.start_date``; see holidays.py)
    holiday: str = ""


class Resource(Frozen):
    """A limiting resource with its available hours in every week of the plan."""

    id: str
    name: str
    hours_per_week: float
    available_hours: tuple[float, ...]
    #: the strategic level's resource these hours belong to (``--from-balance``)
    balance_resource: str | None = None


class PlanData(Frozen):
    """A validated production-plan instance with every weekly series expanded."""

    name: str
    unit: str | None
    weeks: tuple[Week, ...]
    objects: tuple[PlanningObject, ...]
    resources: tuple[Resource, ...]
    parameters: PlanParameters
    #: weeks 1..locked_weeks are done: their production is the actuals' (R0 in the model)
    locked_weeks: int = 0

    @model_validator(mode="after")
    def _consistent(self) -> PlanData:
        n = len(self.weeks)
        if n < 1:
            raise ValueError("the plan needs at least one week")
        if [w.week for w in self.weeks] != list(range(1, n + 1)):
            raise ValueError("weeks must be 1..N in order")
        rids = {r.id for r in self.resources}
        for o in self.objects:
            if len(o.inflow) != n or len(o.other_removals) != n:
                raise ValueError(f"planning object '{o.id}': weekly series must have {n} weeks")
            unknown = set(o.hours_per_activity) - rids
            if unknown:
                raise ValueError(
                    f"planning object '{o.id}' uses unknown resource(s) {sorted(unknown)}"
                )
            if o.target_week is not None and o.target_week > n:
                raise ValueError(f"planning object '{o.id}': target_week after the last week {n}")
            for g in o.goal_periods:
                if not 1 <= g.first_week <= g.last_week <= n:
                    raise ValueError(
                        f"planning object '{o.id}': goal period {g.period} off the plan"
                    )
            if len(o.locked) not in (0, self.locked_weeks):
                raise ValueError(f"planning object '{o.id}': {self.locked_weeks} locked weeks")
        for r in self.resources:
            if len(r.available_hours) != n:
                raise ValueError(f"resource '{r.id}': available hours must have {n} weeks")
        return self

    @property
    def num_weeks(self) -> int:
        """Weeks in the plan."""
        return len(self.weeks)

    @property
    def priorities(self) -> tuple[int, ...]:
        """Distinct priorities, most urgent (lowest number) first."""
        return tuple(sorted({o.priority for o in self.objects}))

    def object(self, oid: str) -> PlanningObject:
        """Look up the planning object with id ``oid``."""
        return next(o for o in self.objects if o.id == oid)

    def shape(self, o: PlanningObject) -> tuple[float, ...]:
        """Relative production capacity of ``o`` per week (1 = a normal week).

        The smallest available/normal ratio over the resources ``o`` uses, so the steady rate
        follows the object's own limiting resources through summer and holidays; the weeks'
        ``capacity_factor`` when ``o`` uses none.
        """
        by_id = {r.id: r for r in self.resources}
        used = [by_id[r] for r in o.hours_per_activity if by_id[r].hours_per_week > 0]
        if not used:
            return tuple(w.capacity_factor for w in self.weeks)
        return tuple(
            min(r.available_hours[i] / r.hours_per_week for r in used)
            for i in range(self.num_weeks)
        )

    def need_path(self, o: PlanningObject, with_target: bool) -> tuple[float, ...]:
        """Lowest queue the agreed need allows at the end of each week (objects with no goal).

        With no goal, production follows need: the net inflow plus the agreed reduction of the
        queue, levelled along the object's capacity shape. Cumulative need-production N_w runs
        ∝ Σ_{v≤w} shape[v] between anchors: from week 0 to the target week t it produces
        Q0 + Σ_{v≤t}(inflow − removals) − T (the closed form's relief, C1), after t the net
        inflow of the remaining weeks (the queue ends at T); without a target, or in the plan
        without the reduction goal, the net inflow of the whole plan (the queue ends where it
        started). ``reduction_per_week`` r is an explicit path: Q0 − r·w. The path is
        Q0 + Σ_{v≤w}(inflow − removals) − N_w. A queue below it means production above need.
        """
        n = self.num_weeks
        q0 = o.queue_start
        if with_target and o.reduction_per_week is not None:
            return tuple(max(0.0, q0 - o.reduction_per_week * w) for w in range(1, n + 1))
        net = [a - e for a, e in zip(o.inflow, o.other_removals, strict=True)]
        shape = self.shape(o)
        anchors = [(0, 0.0)]  # (week, cumulative need-production)
        if with_target and o.target_queue is not None:
            t = o.target_week or n
            level = min(q0, o.target_queue)
            anchors.append((t, q0 + sum(net[:t]) - level))
        if anchors[-1][0] < n:
            anchors.append((n, anchors[-1][1] + sum(net[anchors[-1][0] :])))
        produced: list[float] = []
        for (w0, n0), (w1, n1) in zip(anchors, anchors[1:], strict=False):
            weights = shape[w0:w1] if sum(shape[w0:w1]) > 0 else [1.0] * (w1 - w0)
            total, acc = sum(weights), 0.0
            for f in weights:
                acc += f
                produced.append(n0 + (n1 - n0) * acc / total)
        path: list[float] = []
        c = q0
        for w in range(n):
            c += net[w]
            path.append(c - produced[w])
        return tuple(path)

    def with_goal_tolerance(self, tolerance: float | None) -> PlanData:
        """Copy with ``parameters.goal_tolerance`` set (unchanged when None)."""
        if tolerance is None:
            return self
        params = self.parameters.model_copy(update={"goal_tolerance": tolerance})
        return self.model_copy(update={"parameters": params})

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """Copy the data; with ``update``, check the copy as a reader would.

        pydantic's own ``model_copy(update=…)`` skips every check.
        """
        if not update:
            return super().model_copy(deep=deep)
        return self.model_validate(self.model_dump() | dict(update))

    def replace(
        self,
        objects: Mapping[str, Mapping[str, Any]] | None = None,
        resources: Mapping[str, Mapping[str, Any]] | None = None,
        **fields: Any,
    ) -> PlanData:
        """Copy with some fields of some objects / resources (and of the plan) replaced, checked."""
        objs = [o.model_dump() | dict((objects or {}).get(o.id, {})) for o in self.objects]
        res = [r.model_dump() | dict((resources or {}).get(r.id, {})) for r in self.resources]
        return PlanData.model_validate(
            self.model_dump() | fields | {"objects": objs, "resources": res}
        )


# --------------------------------------------------------------------------- reading


def read_plan(path: str | Path) -> PlanData:
    """Read and validate a production-plan instance (folder or ``.xlsx``).

    Raises
    ------
    InputError
        Naming file, row and field of the first problem.
    """
    return plan_from_raw(read_raw(path, expect_kind=INSTANCE_KIND))


def plan_from_raw(raw: RawInstance) -> PlanData:
    """Validate a :class:`RawInstance` into :class:`PlanData` (one reader per table)."""
    params = parse_parameters(raw, PlanParameters)
    obj_rows = _read_planning_objects(raw)
    week_rows = _read_weeks(raw)
    n = len(week_rows)
    _check_targets(raw, obj_rows, n)
    res_rows = _read_resources(raw)
    rids = [r.resource for r in res_rows]
    oids = [o.planning_object for o in obj_rows]
    hour_rows = _read_activity_hours(raw, oids, rids)
    available = _read_capacity(raw, res_rows, week_rows)
    given, inflow_row_numbers = _read_inflow(raw, oids, n)
    t_obj = raw.table("planning_objects")
    objects: list[dict[str, Any]] = []
    for i, o in enumerate(obj_rows):
        inflow, removals = _weekly_inflow(o, week_rows, given[o.planning_object], t_obj, i)
        _check_removals(o, inflow, removals, raw, inflow_row_numbers)
        hours = {
            h.resource: h.hours_per_activity
            for h in hour_rows
            if h.planning_object == o.planning_object
        }
        if not hours:
            raise InputError(
                f"planning object '{o.planning_object}' has no row in activity_hours "
                "(every activity must use at least one resource)",
                file=raw.table("activity_hours").where,
                field="planning_object",
            )
        objects.append(_object_payload(o, n, inflow, removals, hours))
    try:
        return PlanData.model_validate(
            {
                "name": raw.name,
                "unit": params.unit,
                "weeks": [
                    {"week": w.week, "week_type": w.week_type, "capacity_factor": w.capacity_factor}
                    for w in week_rows
                ],
                "objects": objects,
                "resources": [
                    {
                        "id": r.resource,
                        "name": r.name or r.resource,
                        "hours_per_week": r.hours_per_week,
                        "available_hours": tuple(available[r.resource]),
                        "balance_resource": r.balance_resource,
                    }
                    for r in res_rows
                ],
                "parameters": params,
            }
        )
    except ValidationError as exc:  # pragma: no cover - the checks above catch these first
        raise validation_to_input_error(exc, str(raw.source), None) from None


def _read_planning_objects(raw: RawInstance) -> tuple[PlanningObjectRow, ...]:
    t_obj = raw.table("planning_objects")
    obj_rows = parse_rows(t_obj, PlanningObjectRow)
    if not obj_rows:
        raise InputError("no planning objects", file=t_obj.where)
    check_unique(obj_rows, t_obj, "planning_object", what="planning object")
    return obj_rows


def _read_weeks(raw: RawInstance) -> tuple[WeekRow, ...]:
    t_weeks = raw.table("weeks")
    week_rows = parse_rows(t_weeks, WeekRow)
    if not week_rows:
        raise InputError("no weeks", file=t_weeks.where)
    check_unique(week_rows, t_weeks, "week")
    for i, w in enumerate(week_rows):
        if w.week != i + 1:
            raise InputError(
                f"weeks must be numbered 1, 2, … in order; expected {i + 1}, got {w.week}",
                file=t_weeks.where,
                row=t_weeks.row_number(i),
                field="week",
            )
    if sum(w.inflow_weight for w in week_rows) <= 0:
        raise InputError(
            "inflow_weight sums to 0 over all weeks", file=t_weeks.where, field="inflow_weight"
        )
    return week_rows


def _check_targets(raw: RawInstance, obj_rows: tuple[PlanningObjectRow, ...], n: int) -> None:
    """Check a queue target: a target queue or a reduction per week, by a week of the plan."""
    t_obj = raw.table("planning_objects")
    for i, o in enumerate(obj_rows):
        problem = None
        if o.reduction_per_week is not None and o.target_queue is not None:
            problem = (
                "give either target_queue or reduction_per_week, not both",
                "reduction_per_week",
            )
        elif o.target_week is not None and o.target_queue is None:
            problem = ("target_week needs a target_queue", "target_week")
        elif o.target_week is not None and o.target_week > n:
            problem = (f"week {o.target_week} is after the plan's last week {n}", "target_week")
        if problem is not None:
            raise InputError(
                problem[0], file=t_obj.where, row=t_obj.row_number(i), field=problem[1]
            )


def _read_resources(raw: RawInstance) -> tuple[ResourceRow, ...]:
    t_res = raw.table("resources")
    res_rows = parse_rows(t_res, ResourceRow)
    if not res_rows:
        raise InputError("no resources", file=t_res.where)
    check_unique(res_rows, t_res, "resource")
    return res_rows


def _read_activity_hours(
    raw: RawInstance, oids: list[str], rids: list[str]
) -> tuple[ActivityHoursRow, ...]:
    t_hours = raw.table("activity_hours")
    hour_rows = parse_rows(t_hours, ActivityHoursRow)
    check_ref(hour_rows, t_hours, "planning_object", oids, "planning object")
    check_ref(hour_rows, t_hours, "resource", rids, "resource")
    check_unique(hour_rows, t_hours, "planning_object", "resource")
    return hour_rows


def _read_capacity(
    raw: RawInstance, res_rows: tuple[ResourceRow, ...], week_rows: tuple[WeekRow, ...]
) -> dict[str, list[float]]:
    """Available hours per resource and week: factor × normal hours, or the capacity table's."""
    available = {
        r.resource: [r.hours_per_week * w.capacity_factor for w in week_rows] for r in res_rows
    }
    if raw.has("capacity"):
        n = len(week_rows)
        t_cap = raw.table("capacity")
        cap_rows = parse_rows(t_cap, CapacityRow)
        check_ref(cap_rows, t_cap, "resource", list(available), "resource")
        check_ref(cap_rows, t_cap, "week", range(1, n + 1), "week")
        check_unique(cap_rows, t_cap, "week", "resource")
        for c in cap_rows:
            available[c.resource][c.week - 1] = c.available_hours
    return available


def _read_inflow(
    raw: RawInstance, oids: list[str], n: int
) -> tuple[dict[str, dict[int, InflowRow]], dict[tuple[str, int], int]]:
    """Collect the inflow table's rows per object and week, and their row numbers."""
    given: dict[str, dict[int, InflowRow]] = {oid: {} for oid in oids}
    row_numbers: dict[tuple[str, int], int] = {}
    if raw.has("inflow"):
        t_in = raw.table("inflow")
        in_rows = parse_rows(t_in, InflowRow)
        check_ref(in_rows, t_in, "planning_object", oids, "planning object")
        check_ref(in_rows, t_in, "week", range(1, n + 1), "week")
        check_unique(in_rows, t_in, "planning_object", "week")
        for j, r in enumerate(in_rows):
            given[r.planning_object][r.week] = r
            row_numbers[(r.planning_object, r.week)] = t_in.row_number(j)
    return given, row_numbers


def _weekly_inflow(
    o: PlanningObjectRow,
    week_rows: tuple[WeekRow, ...],
    given: Mapping[int, InflowRow],
    t_obj: Table,
    i: int,
) -> tuple[list[float], list[float]]:
    """Inflow and other removals per week: the inflow table's, else the annual volume spread."""
    n = len(week_rows)
    total_weight = sum(w.inflow_weight for w in week_rows)
    inflow: list[float] = []
    removals: list[float] = []
    for w in week_rows:
        given_row = given.get(w.week)
        if given_row is not None:
            inflow.append(given_row.inflow)
            removals.append(given_row.other_removals)
        elif o.annual_inflow is not None:
            # annual volume × this week's share of the seasonal profile, scaled to N weeks
            inflow.append(o.annual_inflow * w.inflow_weight / total_weight * n / WEEKS_PER_YEAR)
            removals.append(0.0)
        else:
            raise InputError(
                f"planning object '{o.planning_object}' has no annual_inflow and no inflow "
                f"row for week {w.week}",
                file=t_obj.where,
                row=t_obj.row_number(i),
                field="annual_inflow",
            )
    return inflow, removals


def _object_payload(
    o: PlanningObjectRow,
    n: int,
    inflow: list[float],
    removals: list[float],
    hours: dict[str, float],
) -> dict[str, Any]:
    goal_periods = (
        []
        if o.annual_goal is None
        else [
            {
                "period": WHOLE_PLAN,
                "first_week": 1,
                "last_week": n,
                "goal": o.annual_goal * n / WEEKS_PER_YEAR,
            }
        ]
    )
    return {
        "id": o.planning_object,
        "name": o.name or o.planning_object,
        "priority": o.priority,
        "max_wait_weeks": o.max_wait_weeks,
        "queue_start": o.queue_start,
        "annual_goal": o.annual_goal,
        "goal_source": "instance" if o.annual_goal is not None else "none",
        "goal_periods": goal_periods,
        "max_queue": o.max_queue,
        "target_queue": o.target_queue,
        "target_week": o.target_week,
        "reduction_per_week": o.reduction_per_week,
        "inflow": tuple(inflow),
        "other_removals": tuple(removals),
        "hours_per_activity": hours,
    }


def _check_removals(
    o: PlanningObjectRow,
    inflow: list[float],
    removals: list[float],
    raw: RawInstance,
    row_numbers: Mapping[tuple[str, int], int],
) -> None:
    """Other removals may never take more patients than are waiting (with no production at all)."""
    queue = o.queue_start
    for w, (a, r) in enumerate(zip(inflow, removals, strict=True), start=1):
        queue += a - r
        if queue < -QUEUE_TOLERANCE:
            raise InputError(
                f"other removals of '{o.planning_object}' exceed the waiting list in week {w} "
                f"(queue would be {queue:.2f} even with no production)",
                file=raw.table("inflow").where,
                row=row_numbers.get((o.planning_object, w)),
                field="other_removals",
            )

"""The need-side tables of a strategic instance, validated into frozen data.

:func:`read_need` turns a :class:`~pks_opt.io.RawInstance` (folder or workbook, ``kind:
strategic``) into :class:`NeedData`. Every table is checked per field (ranges, NaN, missing
columns) by :func:`~pks_opt.io.parse_rows`, then across tables (ids unique, references known)
by :class:`NeedData` itself (:func:`check_need`), so data built in code is checked too; for
tables read from files the message names the file, the row and the field. The format is
documented in ``docs/strategic-format.md`` ("Need-side tables").

Tables (required: ``units``, ``resources``, ``periods``, ``planning_objects``, ``demand``;
the others are optional): ``activity_hours``, ``inpatient``, ``staffing_keys``,
``acute_arrivals``, ``staff``, ``rooms``, ``beds``, ``improvements``.

A ``period`` cell left blank in ``demand``, ``staff``, ``rooms``, ``beds`` and
``improvements`` means "every period"; a row that names a period replaces the blank-period row
with the same key for that period (see :func:`per_period`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cached_property
from typing import Annotated, Any, Literal, Self, TypeVar

from pydantic import ConfigDict, Field, PlainValidator, ValidationInfo, model_validator

from pks_opt.errors import InputError
from pks_opt.io import (
    Frozen,
    RawInstance,
    Row,
    Table,
    check_ref,
    check_unique,
    in_code,
    parse_rows,
    sources_of,
    validated,
)
from pks_opt.io import parse_parameters as _parse_parameters
from pks_opt.limits import MAX_DEMOGRAPHIC_GROWTH

ROUNDING_RULES = ("nearest", "up", "down", "none")


def _rounding(v: object) -> str | float:
    """Validate a rounding rule: ``nearest``, ``up``, ``down``, ``none`` or a tolerance.

    ``nearest`` rounds halves up. A tolerance t in [0, 1) rounds up, except that a value at
    most t above a whole number is rounded down to it (t = 0.25: 20.19 → 20, 20.3 → 21).
    """
    if isinstance(v, int | float) and not isinstance(v, bool):
        if 0 <= v < 1:
            return float(v)
    elif isinstance(v, str) and v in ROUNDING_RULES:
        return v
    raise ValueError(
        f"must be one of nearest, up, down, none or a tolerance at least 0 and below 1 (got {v!r})"
    )


Rounding = Annotated[str | float, PlainValidator(_rounding)]

R = TypeVar("R", bound=Row)
#: the ids a reference may name, and what they are called in messages
Ref = tuple[Iterable[str], str]


class NeedRow(Row):
    """A need-side row: ids written as numbers in a workbook (``2026``) are read as text."""

    model_config = ConfigDict(coerce_numbers_to_str=True)


class NeedParameters(NeedRow):
    """Manifest ``parameters`` used by the need level (all optional)."""

    acute_share: float = Field(0.85, gt=0, le=1)
    """Share of historical days the acute capacity must cover (seeds: 85 %)."""
    days_per_year: float = Field(365.0, gt=0)
    """Turns ``annual_hours`` of staff into hours per period (× days of the period / this)."""
    bed_rounding: Rounding = "nearest"
    """Rounding of planned beds from the exact bed need (seed: 20.19 → 20, 24.22 → 24); the
    bed gap (``gaps.csv``) compares the planned beds with the staffed beds."""
    staff_rounding: Rounding = "nearest"
    """Rounding of staff per role = planned beds × staffing key."""


class UnitRow(NeedRow):
    """A row of ``units``: a unit, or an organisational level when a unit names it ``parent``."""

    unit: str = Field(min_length=1)
    name: str = ""
    parent: str | None = None


class ResourceRow(NeedRow):
    """A row of ``resources``: a limiting resource and its measure (``hours``, ``bed_days``)."""

    resource: str = Field(min_length=1)
    name: str = ""
    measure: str = "hours"


class PeriodRow(NeedRow):
    """A row of ``periods``: its length in days and what changes in it.

    ``low_production_factor`` scales capacity (summer: 0.5); ``years_from_base`` compounds the
    demographic growth.
    """

    period: str = Field(min_length=1)
    days: float = Field(gt=0)
    low_production_factor: float = Field(1.0, ge=0, le=1)
    years_from_base: float = Field(1.0, ge=0)


class PlanningObjectRow(NeedRow):
    """A row of ``planning_objects``: a kind of care, its medical priority, whether acute."""

    planning_object: str = Field(min_length=1)
    service: str = ""
    provider_category: str = ""
    contact_type: str = ""
    priority: int = Field(1, ge=1)
    name: str = ""
    #: acute need (arrives when it arrives): the balance reserves capacity to the dimensioning
    #: level (``acute_share`` of days) and names the rest the peak plan; it is never postponed
    acute: bool = False


class DemandRow(NeedRow):
    """A row of ``demand``: a unit's volume of a planning object and the factors on it.

    Exactly one of ``base_volume`` (activities a year) and ``share_of_parent`` (of the parent
    unit's volume); blank ``period``: every period.
    """

    unit: str
    planning_object: str
    period: str | None = None
    base_volume: float | None = Field(None, ge=0)
    share_of_parent: float | None = Field(None, ge=0, le=1)
    demographic_growth: float = Field(0.0, ge=-1, le=MAX_DEMOGRAPHIC_GROWTH)
    mission_change: float = 0.0
    waiting_list_reduction: float = Field(0.0, ge=0)
    conversion: float = Field(1.0, ge=0)


class ActivityHoursRow(NeedRow):
    """A row of ``activity_hours``: amount of a resource one activity takes.

    Blank ``unit``: the default for every unit; ``support_unit``: the unit whose resource it is
    (imaging, a laboratory).
    """

    planning_object: str
    resource: str
    amount_per_activity: float = Field(ge=0)
    unit: str | None = None
    support_unit: str | None = None


class InpatientRow(NeedRow):
    """A row of ``inpatient``: bed days of a planning object, from its stay and occupancy target."""

    planning_object: str
    bed_resource: str
    average_length_of_stay_days: float = Field(gt=0)
    occupancy_target: float = Field(gt=0, le=1)
    unit: str | None = None


class StaffingKeyRow(NeedRow):
    """A row of ``staffing_keys``: staff of one role per planned bed of a unit."""

    unit: str
    role: str
    staff_per_bed: float = Field(ge=0)
    #: average employment rate of the role (sysselsättningsgrad, 0.9 = 90 %): headcount =
    #: FTE ÷ rate, rounded up; blank = headcount not computed
    employment_rate: float | None = Field(default=None, gt=0, le=1)


class AcuteArrivalRow(NeedRow):
    """A row of ``acute_arrivals``: arrivals counted on one historical day in a block."""

    unit: str
    block: str
    day: str
    arrivals: float = Field(ge=0)


class StaffRow(NeedRow):
    """A row of ``staff``: FTE of a function and the patient hours they give a resource.

    Hours per period = FTE × ``annual_hours`` × (1 − ``absence_share``) × ``patient_time_share``
    × days ÷ ``days_per_year``.
    """

    unit: str
    function: str
    resource: str
    fte: float = Field(ge=0)
    annual_hours: float = Field(gt=0)
    absence_share: float = Field(0.0, ge=0, lt=1)
    patient_time_share: float = Field(1.0, ge=0, le=1)
    period: str | None = None
    #: average employment rate of the function (sysselsättningsgrad); gives headcount
    employment_rate: float | None = Field(default=None, gt=0, le=1)


class RoomRow(NeedRow):
    """A row of ``rooms``: a room's hours per week given to a resource (× ``rooms`` of them)."""

    unit: str
    room: str
    resource: str
    hours_per_week: float = Field(ge=0)
    rooms: float = Field(1.0, ge=0)
    period: str | None = None


class BedRow(NeedRow):
    """A row of ``beds``: staffed beds of a unit's bed resource (blank ``period``: every period)."""

    unit: str
    resource: str
    staffed_beds: float = Field(ge=0)
    period: str | None = None


class ImprovementRow(NeedRow):
    """A row of ``improvements``: a change of capacity or volume, realised or planned.

    ``capacity`` needs a ``resource``, ``volume`` a ``planning_object``.
    """

    improvement: str
    unit: str
    effect: Literal["capacity", "volume"]
    amount: float
    realised: bool
    resource: str | None = None
    planning_object: str | None = None
    period: str | None = None


class NeedData(Frozen):
    """A validated strategic instance, need side. Immutable; build variants via scenarios."""

    name: str
    parameters: NeedParameters
    units: tuple[UnitRow, ...]
    resources: tuple[ResourceRow, ...]
    periods: tuple[PeriodRow, ...]
    planning_objects: tuple[PlanningObjectRow, ...]
    demand: tuple[DemandRow, ...]
    activity_hours: tuple[ActivityHoursRow, ...] = ()
    inpatient: tuple[InpatientRow, ...] = ()
    staffing_keys: tuple[StaffingKeyRow, ...] = ()
    acute_arrivals: tuple[AcuteArrivalRow, ...] = ()
    staff: tuple[StaffRow, ...] = ()
    rooms: tuple[RoomRow, ...] = ()
    beds: tuple[BedRow, ...] = ()
    improvements: tuple[ImprovementRow, ...] = ()
    #: per demand row, where its ``mission_change`` came from, as a message template
    #: (``demand.csv row 4, field 'mission_change': {MESSAGE}``, or the scenario change that
    #: set it), for the warning about a negative care need; see :func:`mission_change_where`
    demand_where: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _cross_references(self, info: ValidationInfo) -> Self:
        """Check the tables across each other (:func:`check_need`), however the data was made.

        For data built in code as for data read from files; a reader's tables
        (:func:`~pks_opt.io.validated`) put the file, row and field in the message.
        """
        sources = sources_of(info)

        def where(name: str) -> Table:
            return sources.get(name) or in_code("NeedData", name, len(getattr(self, name)))

        check_need(self, where)
        return self

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """Copy the data; with ``update``, check the copy as a reader would.

        pydantic's own ``model_copy(update=…)`` skips every check. New ``demand`` rows without
        their own ``demand_where`` drop the old one (it named the old rows).
        """
        if not update:
            return super().model_copy(deep=deep)
        fields = {k: getattr(self, k) for k in type(self).model_fields} | dict(update)
        if "demand" in update and "demand_where" not in update:
            fields["demand_where"] = ()
        return self.model_validate(fields)

    # ------------------------------------------------------------------ derived look-ups

    @property
    def unit_ids(self) -> tuple[str, ...]:
        """Ids of the units, in table order."""
        return tuple(u.unit for u in self.units)

    @property
    def period_ids(self) -> tuple[str, ...]:
        """Ids of the periods, in table order."""
        return tuple(p.period for p in self.periods)

    @property
    def parent_units(self) -> frozenset[str]:
        """Units that are some unit's parent: organisational levels that distribute a mission."""
        return frozenset(u.parent for u in self.units if u.parent is not None)

    @property
    def producing_units(self) -> tuple[str, ...]:
        """Units that produce (no unit has them as parent), in table order."""
        levels = self.parent_units
        return tuple(u for u in self.unit_ids if u not in levels)

    def period(self, period_id: str) -> PeriodRow:
        """Look up the period with id ``period_id``."""
        return self._period_by_id[period_id]

    @cached_property
    def _period_by_id(self) -> Mapping[str, PeriodRow]:
        return {p.period: p for p in self.periods}

    @cached_property
    def activity_index(
        self,
    ) -> Mapping[tuple[str | None, str], tuple[ActivityHoursRow, ...]]:
        """(unit or None for the default rows, planning object) → activity-hours rows."""
        out: dict[tuple[str | None, str], list[ActivityHoursRow]] = {}
        for r in self.activity_hours:
            out.setdefault((r.unit, r.planning_object), []).append(r)
        return {k: tuple(v) for k, v in out.items()}

    @cached_property
    def inpatient_index(self) -> Mapping[tuple[str | None, str], InpatientRow]:
        """(unit or None for the default row, planning object) → inpatient row."""
        return {(r.unit, r.planning_object): r for r in self.inpatient}


# ---------------------------------------------------------------------- reading

#: every need-side table in reading order: its row model and whether the instance must have it
TABLES: dict[str, tuple[type[NeedRow], bool]] = {
    "units": (UnitRow, True),
    "resources": (ResourceRow, True),
    "periods": (PeriodRow, True),
    "planning_objects": (PlanningObjectRow, True),
    "demand": (DemandRow, True),
    "activity_hours": (ActivityHoursRow, False),
    "inpatient": (InpatientRow, False),
    "staffing_keys": (StaffingKeyRow, False),
    "acute_arrivals": (AcuteArrivalRow, False),
    "staff": (StaffRow, False),
    "rooms": (RoomRow, False),
    "beds": (BedRow, False),
    "improvements": (ImprovementRow, False),
}


def read_need(raw: RawInstance) -> NeedData:
    """Validate the need-side tables of a strategic instance.

    Raises
    ------
    InputError
        A missing table or column, a bad value, a duplicate id or an unknown reference; the
        message names the file, the row and the field.
    """
    from pks_opt.scenario import scenario_errors

    # A variant built by pks_opt.scenario: errors name the scenario change behind them.
    with scenario_errors(raw):
        return _read_need(raw)


def _read_need(raw: RawInstance) -> NeedData:
    """Parse each table present, then let :class:`NeedData` check them across each other."""
    params = _parse_parameters(raw, NeedParameters)
    tables: dict[str, Table] = {}
    rows: dict[str, tuple[Row, ...]] = {}
    for name, (model, required) in TABLES.items():
        if required or raw.has(name):
            tables[name] = raw.table(name)
            rows[name] = parse_rows(tables[name], model)
    demand_where = tuple(
        mission_change_where(raw, tables["demand"], i) for i in range(len(rows["demand"]))
    )
    fields = {"name": raw.name, "parameters": params, "demand_where": demand_where, **rows}
    return validated(NeedData, fields, tables)


#: per optional table: its reference fields (→ u/r/p/o: unit, resource, period, planning
#: object), the columns that must be unique together, and what a row is called
OPTIONAL_CHECKS: dict[str, tuple[dict[str, str], tuple[str, ...], str]] = {
    "activity_hours": (
        {"planning_object": "o", "resource": "r", "unit": "u", "support_unit": "u"},
        (),
        "",
    ),
    "inpatient": (
        {"planning_object": "o", "bed_resource": "r", "unit": "u"},
        ("unit", "planning_object"),
        "inpatient row",
    ),
    "staffing_keys": ({"unit": "u"}, ("unit", "role"), "staffing key"),
    "acute_arrivals": ({"unit": "u"}, ("unit", "block", "day"), "arrival count"),
    "staff": (
        {"unit": "u", "resource": "r", "period": "p"},
        ("unit", "function", "period"),
        "staff row",
    ),
    "rooms": (
        {"unit": "u", "resource": "r", "period": "p"},
        ("unit", "room", "period"),
        "room row",
    ),
    "beds": (
        {"unit": "u", "resource": "r", "period": "p"},
        ("unit", "resource", "period"),
        "bed row",
    ),
    "improvements": (
        {"unit": "u", "resource": "r", "planning_object": "o", "period": "p"},
        ("improvement", "period"),
        "improvement",
    ),
}

#: where a table's rows are: ``where("demand")`` is the table read, or a stand-in for rows
#: built in code (:func:`~pks_opt.io.in_code`)
Where = Callable[[str], Table]


def check_need(data: NeedData, where: Where) -> None:
    """Check the tables of ``data`` across each other, in the order a reader reports them.

    Ids unique; ``units``, ``periods`` and ``planning_objects`` not empty; every parent a
    known unit with no loop; every reference of ``demand`` and the optional tables known and
    their keys unique; each demand row's volume given once, a share with a parent that has
    demand; each improvement with what its effect needs.

    Raises
    ------
    InputError
        The first problem, at ``where(table)``: the file, row and field.
    """
    _check_ids(data, where)
    ids: dict[str, Ref] = {
        "u": (data.unit_ids, "unit"),
        "r": ([x.resource for x in data.resources], "resource"),
        "p": (data.period_ids, "period"),
        "o": ([x.planning_object for x in data.planning_objects], "planning object"),
    }
    t_dem = where("demand")
    _refs(data.demand, t_dem, unit=ids["u"], planning_object=ids["o"], period=ids["p"])
    check_unique(data.demand, t_dem, "unit", "planning_object", "period", what="demand row")
    _check_demand_volumes(data.demand, t_dem, data.units, data.period_ids)
    for name in OPTIONAL_CHECKS:
        rows: Sequence[Row] = getattr(data, name)
        if rows:
            fields, unique, what = OPTIONAL_CHECKS[name]
            table = where(name)
            _refs(rows, table, **{f: ids[kind] for f, kind in fields.items()})
            if unique:
                check_unique(rows, table, *unique, what=what)
    if data.improvements:
        _check_improvements(data.improvements, where("improvements"))
    if data.demand_where and len(data.demand_where) != len(data.demand):
        raise InputError(
            f"{len(data.demand_where)} places for {len(data.demand)} demand rows",
            file=where("demand").where,
            field="demand_where",
        )


def _check_ids(data: NeedData, where: Where) -> None:
    """Check the ids: unique in the four id tables, three of them not empty, units a tree."""
    t_units = where("units")
    check_unique(data.units, t_units, "unit", what="unit")
    check_unique(data.resources, where("resources"), "resource", what="resource")
    check_unique(data.periods, where("periods"), "period", what="period")
    check_unique(
        data.planning_objects, where("planning_objects"), "planning_object", what="planning object"
    )
    for name in ("units", "periods", "planning_objects"):
        if not getattr(data, name):
            raise InputError(f"table '{name}' has no rows", file=where(name).where, row=1)
    check_ref(data.units, t_units, "parent", data.unit_ids, "unit", optional=True)
    _check_no_cycle(data.units, t_units)


def _refs(rows: Sequence[Row], table: Table, **fields: Ref) -> None:
    """Check each field named of ``rows`` against its known ids (optional fields may be blank)."""
    if not rows:
        return
    model_fields = type(rows[0]).model_fields
    for field_, (known, what) in fields.items():
        info = model_fields[field_]
        optional = not info.is_required() and info.default is None
        check_ref(rows, table, field_, known, what, optional=optional)


def _check_no_cycle(units: Sequence[UnitRow], table: Table) -> None:
    parent = {u.unit: u.parent for u in units}
    for i, u in enumerate(units):
        seen = {u.unit}
        cur = u.parent
        while cur is not None:
            if cur in seen:
                raise InputError(
                    f"unit '{u.unit}' is its own ancestor (parent chain loops)",
                    file=table.where,
                    row=table.row_number(i),
                    field="parent",
                )
            seen.add(cur)
            cur = parent.get(cur)


def _check_demand_volumes(
    demand: Sequence[DemandRow], table: Table, units: Sequence[UnitRow], periods: Sequence[str]
) -> None:
    """Check each demand row's volume: ``base_volume`` or ``share_of_parent``, not both.

    A share needs a parent with a demand row for the same planning object covering the same
    period.
    """
    parent = {u.unit: u.parent for u in units}
    covers: dict[tuple[str, str], set[str | None]] = {}
    for d in demand:
        covers.setdefault((d.unit, d.planning_object), set()).add(d.period)
    for i, d in enumerate(demand):
        row = table.row_number(i)
        if (d.base_volume is None) == (d.share_of_parent is None):
            raise InputError(
                "give exactly one of 'base_volume' and 'share_of_parent'",
                file=table.where,
                row=row,
                field="base_volume",
            )
        if d.share_of_parent is None:
            continue
        up = parent.get(d.unit)
        if up is None:
            raise InputError(
                f"unit '{d.unit}' has no parent in units, so it cannot take a share of one",
                file=table.where,
                row=row,
                field="share_of_parent",
            )
        have = covers.get((up, d.planning_object), set())
        if None in have:
            continue  # the parent has demand in every period
        wanted = [d.period] if d.period is not None else list(periods)
        missing = [p for p in wanted if p not in have]
        if missing:
            raise InputError(
                f"parent unit '{up}' has no demand for '{d.planning_object}'"
                + (f" in period '{missing[0]}'" if have else ""),
                file=table.where,
                row=row,
                field="share_of_parent",
            )


def _check_improvements(rows: Sequence[ImprovementRow], table: Table) -> None:
    for i, imp in enumerate(rows):
        need = "resource" if imp.effect == "capacity" else "planning_object"
        if getattr(imp, need) is None:
            raise InputError(
                f"an improvement with effect '{imp.effect}' needs a {need.replace('_', ' ')}",
                file=table.where,
                row=table.row_number(i),
                field=need,
            )


#: stands for the message in :attr:`NeedData.demand_where`
MESSAGE = "\x00"


def mission_change_where(raw: RawInstance, table: Table, i: int) -> str:
    """Locate row ``i``'s ``mission_change`` as a message template.

    The file, row and field, or the scenario change that set the value
    (:func:`pks_opt.scenario.explain`).
    """
    from pks_opt.scenario import explain

    err = InputError(MESSAGE, file=table.where, row=table.row_number(i), field="mission_change")
    return str(explain(err, raw))


def per_period(
    rows: Iterable[R], key: Callable[[R], tuple[str | None, ...]], periods: Sequence[str]
) -> dict[tuple[tuple[str | None, ...], str], R]:
    """Expand rows with an optional ``period`` to one row per (key, period).

    A blank period means every period; a row naming a period overrides the blank one for it.
    """
    out: dict[tuple[tuple[str | None, ...], str], R] = {}
    rows = list(rows)
    for r in rows:
        if getattr(r, "period", None) is None:
            for p in periods:
                out[(key(r), p)] = r
    for r in rows:
        p_id = getattr(r, "period", None)
        if p_id is not None:
            out[(key(r), p_id)] = r
    return out

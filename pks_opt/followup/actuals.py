"""What really happened (``kind: actuals``): the input of follow-up and rolling re-planning.

An actuals instance is a folder (``instance.yaml`` with ``kind: actuals`` + CSVs) or an
``.xlsx`` workbook, like every other instance. Weeks are the plan's week numbers (1..N, as in
``production_plan.csv``). Tables (full reference in ``docs/follow-up.md``):

- ``production`` (required): ``unit, planning_object, week, production, inflow, waiting,
  other_removals, comment`` — what was produced, how many joined the waiting list, the list at
  the end of the week, who left it otherwise, and the unit's comment;
- ``capacity`` (optional): ``unit, resource, week, available_hours, used_hours, comment``;
- ``shifts`` (optional): ``staff, date, shift, comment`` — worked shifts (``-``: not worked,
  a row for the comment), for the roster's follow-up.

:func:`check_against_plan` checks the actuals against the plan they follow (unknown unit,
object or resource, a week outside the plan) with file, row and field.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field

from pks_opt.errors import InputError
from pks_opt.io import RawInstance, Row, Table, check_unique, parse_rows, read_raw

INSTANCE_KIND = "actuals"


class ProductionActual(Row):
    """A row of ``production``: a week's actual production, inflow and queue of an object."""

    unit: str = Field(min_length=1)
    planning_object: str = Field(min_length=1)
    week: int = Field(ge=1)
    production: float = Field(ge=0)
    inflow: float = Field(ge=0)
    waiting: float | None = Field(default=None, ge=0)
    other_removals: float = Field(default=0.0, ge=0)
    comment: str | None = None


class CapacityActual(Row):
    """A row of ``capacity``: a week's available (and used) hours of a unit's resource."""

    unit: str = Field(min_length=1)
    resource: str = Field(min_length=1)
    week: int = Field(ge=1)
    available_hours: float = Field(ge=0)
    used_hours: float | None = Field(default=None, ge=0)
    comment: str | None = None


class ShiftActual(Row):
    """A row of ``shifts``: the shift a staff member actually worked on a date."""

    staff: str = Field(min_length=1)
    date: str = Field(min_length=1)
    shift: str = Field(min_length=1)
    comment: str | None = None


@dataclass(frozen=True)
class Actuals:
    """Validated actuals, each row with the spreadsheet row it came from (messages)."""

    name: str
    source: Path
    production: tuple[ProductionActual, ...]
    capacity: tuple[CapacityActual, ...]
    shifts: tuple[ShiftActual, ...]
    tables: dict[str, Table]

    def weeks(self, unit: str) -> list[int]:
        """Weeks with production actuals of ``unit``, in order."""
        return sorted({p.week for p in self.production if p.unit == unit})

    def last_week(self, unit: str) -> int:
        """Find the last week with production actuals of ``unit`` (0: none)."""
        weeks = self.weeks(unit)
        return weeks[-1] if weeks else 0

    def units(self) -> list[str]:
        """List the units with production actuals, sorted."""
        return sorted({p.unit for p in self.production})


def read_actuals(path: str | Path) -> Actuals:
    """Read and validate an actuals instance (folder or ``.xlsx``).

    Raises
    ------
    InputError
        Naming file, row and field: a negative number, a duplicate (unit, object, week) or
        (unit, resource, week), missing columns.
    """
    raw = read_raw(path, expect_kind=INSTANCE_KIND)
    return actuals_from_raw(raw)


def actuals_from_raw(raw: RawInstance) -> Actuals:
    """Validate a raw actuals instance (production, optional capacity and inflow tables)."""
    t_prod = raw.table("production")
    production = parse_rows(t_prod, ProductionActual)
    if not production:
        raise InputError("no rows: actuals need at least one week", file=t_prod.where)
    check_unique(production, t_prod, "unit", "planning_object", "week", what="week of object")
    tables = {"production": t_prod}
    capacity: tuple[CapacityActual, ...] = ()
    if raw.has("capacity"):
        t_cap = raw.table("capacity")
        capacity = parse_rows(t_cap, CapacityActual)
        check_unique(capacity, t_cap, "unit", "resource", "week", what="week of resource")
        tables["capacity"] = t_cap
    shifts: tuple[ShiftActual, ...] = ()
    if raw.has("shifts"):
        t_sh = raw.table("shifts")
        shifts = parse_rows(t_sh, ShiftActual)
        tables["shifts"] = t_sh
    return Actuals(raw.name, raw.source, production, capacity, shifts, tables)


def consecutive_weeks(actuals: Actuals, unit: str) -> list[int]:
    """List ``unit``'s weeks with production actuals; refuse a gap in 1, 2, …."""
    weeks = actuals.weeks(unit)
    if weeks != list(range(1, len(weeks) + 1)):
        gap = next(w for w in range(1, weeks[-1] + 1) if w not in weeks)
        raise InputError(
            f"actuals of unit '{unit}' must cover weeks 1, 2, … without a gap; "
            f"week {gap} is missing",
            file=actuals.tables["production"].where,
            field="week",
        )
    return weeks


def check_against_plan(
    actuals: Actuals,
    unit: str,
    objects: Iterable[str],
    resources: Iterable[str],
    num_weeks: int,
) -> None:
    """Check ``unit``'s actuals against the plan: known objects, resources and weeks, no gap.

    Every row of ``unit`` names a planning object / resource of the plan and a plan week; the
    unit has actuals, and its weeks run 1, 2, … without a gap.

    Rows of other units are left alone (one actuals file may hold a whole clinic).
    """
    objs, res = set(objects), set(resources)
    t_prod = actuals.tables["production"]
    mine = [(i, p) for i, p in enumerate(actuals.production) if p.unit == unit]
    if not mine:
        units = ", ".join(actuals.units()) or "none"
        raise InputError(
            f"no actuals of unit '{unit}' (units: {units})", file=t_prod.where, field="unit"
        )
    for i, p in mine:
        if p.planning_object not in objs:
            raise InputError(
                f"planning object '{p.planning_object}' is not in the plan "
                f"({', '.join(sorted(objs))})",
                file=t_prod.where,
                row=t_prod.row_number(i),
                field="planning_object",
            )
        if p.week > num_weeks:
            raise InputError(
                f"week {p.week} is after the plan's last week {num_weeks}",
                file=t_prod.where,
                row=t_prod.row_number(i),
                field="week",
            )
    weeks = consecutive_weeks(actuals, unit)
    for o in sorted({p.planning_object for _, p in mine}):
        got = sorted(p.week for _, p in mine if p.planning_object == o)
        if got != weeks:
            missing = next(w for w in weeks if w not in got)
            raise InputError(
                f"planning object '{o}' has no actuals for week {missing}",
                file=t_prod.where,
                field="week",
            )
    if "capacity" in actuals.tables:
        t_cap = actuals.tables["capacity"]
        for i, c in enumerate(actuals.capacity):
            if c.unit != unit:
                continue
            if c.resource not in res:
                raise InputError(
                    f"resource '{c.resource}' is not a resource of the plan "
                    f"({', '.join(sorted(res))})",
                    file=t_cap.where,
                    row=t_cap.row_number(i),
                    field="resource",
                )
            if c.week > num_weeks:
                raise InputError(
                    f"week {c.week} is after the plan's last week {num_weeks}",
                    file=t_cap.where,
                    row=t_cap.row_number(i),
                    field="week",
                )

"""Rostering data: shift types, staff, demand with tiers, absences, wishes, pins and rules.

One data model serves native ward rosters (read from an instance folder or workbook of kind
``roster``) and the Curtois & Qu benchmark (built by :mod:`pks_opt.formats.curtois`). Days are
0-based indexes from ``start_date``. Every check that can fail names the file, row and field.
The spec is ``models/rostering.md``; tags (R1, R2, …) refer to it.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from pks_opt.calendar import clock_minutes
from pks_opt.constants import (
    DAYS_PER_WEEK,
    HOURS_PER_DAY,
    MINUTES_PER_DAY,
    MINUTES_PER_HOUR,
    NORMAL_WEEK,
)
from pks_opt.errors import InputError, InputWarning
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
)
from pks_opt.limits import (
    EVENING_LATEST_END_MINUTE,
    MAX_ROSTER_CELLS,
    MAX_ROSTER_DAYS,
    MAX_ROSTER_WEEKS,
    MAX_ROSTER_WEIGHT,
    MAX_SHIFT_HOURS,
    MAX_STAFF_PER_SHIFT,
    CalendarDate,
    check_size,
)

CATEGORIES = ("day", "evening", "night", "oncall")
TIERS = (1, 2, 3)
SATURDAY, SUNDAY = 5, 6
_Date = CalendarDate  # row classes have a field named "date"
#: capacity ÷ arrivals_per_staff within this of an integer is that integer (float noise)
RATIO_TOLERANCE = 1e-6
#: R13's default weight per isolated working day in native instances: the weight of the
#: strongest day-off wish in the shipped instances (models/rostering.md, R13)
ISOLATED_WORK_DAY_WEIGHT = 3
#: R12's default charge per person outside target ± tolerance in native instances: more than
#: a few broken wishes or isolated days, so hours stay within tolerance where the roster allows
TARGET_OUTSIDE_WEIGHT = 10


# --------------------------------------------------------------------------- validated data


class ShiftType(Frozen):
    """A shift type. ``start_minute`` is ``None`` when clock times are unknown (benchmark)."""

    id: str
    start_minute: int | None
    duration_minutes: int = Field(gt=0, le=MINUTES_PER_DAY)
    paid_minutes: int = Field(ge=0)
    category: str = "day"

    @property
    def end_minute(self) -> int | None:
        """End in minutes after the start day's midnight (> 1440 when it crosses midnight)."""
        return None if self.start_minute is None else self.start_minute + self.duration_minutes

    def clock(self) -> str:
        """Show the shift's clock times (``07:00-15:30``), or its length when they are unknown."""
        if self.start_minute is None:
            return f"{self.duration_minutes} min"
        end = self.start_minute + self.duration_minutes
        return f"{_hhmm(self.start_minute)}-{_hhmm(end % MINUTES_PER_DAY)}"


class StaffMember(Frozen):
    """One employee and the personal limits of the rules (None = no limit)."""

    id: str
    competences: tuple[str, ...]
    target_minutes: int | None = None
    tolerance_minutes: int = 0
    min_minutes: int | None = None
    max_minutes: int | None = None
    max_consecutive_days: int | None = None
    min_consecutive_days: int = 1
    min_consecutive_days_off: int = 1
    max_weekends: int | None = None
    max_shifts: Mapping[str, int] = Field(default_factory=dict)  # shift id -> most over horizon


class Demand(Frozen):
    """People of ``competence`` needed on ``shift`` on ``day``; under/over weights per person."""

    day: int
    shift: str
    competence: str
    required: int = Field(ge=0)
    tier: int = 1
    weight_under: int = Field(default=1, ge=0)
    weight_over: int = Field(default=0, ge=0)
    source: str = ""
    #: what the row is for: the matrix's activity types, ``acute <block>``… (feedback, trace)
    objects: tuple[str, ...] = ()
    #: ids of the level above's trace rows behind it (the matrix cells; empty otherwise)
    parent_ids: tuple[str, ...] = ()


class NamedDemand(Frozen):
    """A named person the level above put on ``shift`` on ``day`` (the matrix's specialist).

    Soft, counted in ``tier`` like a missing person of a cover row; it sits inside the
    competence's cover row (the person counts there too), so it asks *who*, not how many more.
    """

    day: int
    shift: str
    competence: str
    staff: str
    tier: int = 2
    weight_under: int = Field(default=1, ge=0)
    source: str = ""
    objects: tuple[str, ...] = ()
    parent_ids: tuple[str, ...] = ()


class Absence(Frozen):
    """A staff member absent on a day (vacation, sick leave, a course)."""

    day: int
    staff: str
    reason: str = "absence"


class Wish(Frozen):
    """``work=True``: wants to work (``shift`` or any shift); ``False``: wants it off."""

    staff: str
    day: int
    shift: str | None
    work: bool
    weight: int = Field(ge=0)


class Pin(Frozen):
    """A published assignment: ``shift`` on ``day`` (``None`` = a day off)."""

    staff: str
    day: int
    shift: str | None


class Succession(Frozen):
    """Shift ``second`` may not start ``gap_days`` after shift ``first`` (R5)."""

    first: str
    second: str
    gap_days: int = 1
    rest_minutes: int | None = None  # the rest it would leave (None: rule given as a list)


class Rules(Frozen):
    """Rule parameters; the defaults follow Swedish working-time law (arbetstidslagen)."""

    daily_rest_minutes: int = 11 * MINUTES_PER_HOUR
    weekly_rest_minutes: int = 36 * MINUTES_PER_HOUR  # 0 = not checked
    # R10 periods: "calendar" = Monday 00:00 → next Monday 00:00 (partial weeks at the horizon
    # ends are skipped); "rolling" = the 7 days from every midnight
    weekly_rest_periods: str = "calendar"
    max_avg_weekly_minutes: int | None = 48 * MINUTES_PER_HOUR
    fairness_weight: int = 0
    target_weight_per_hour: int = 0
    #: R12: per person outside target ± tolerance at all (beside the weight per hour); 0 in
    #: code-built data and the benchmark, native instances default 10
    target_outside_weight: int = 0
    #: R13: per isolated working day (off – on – off); 0 in code-built data and the benchmark,
    #: native instances take the parameter ``isolated_work_day_weight`` (default 3)
    isolated_work_day_weight: int = 0
    #: R14: per isolated day off (on – off – on); 0 (off) unless the instance sets it
    isolated_day_off_weight: int = 0
    lexicographic: bool = True  # False: one weighted stage (the benchmark objective)


class RosterData(Frozen):
    """Everything the rostering model needs, validated."""

    name: str
    start_date: date
    num_days: int = Field(gt=0)
    shifts: tuple[ShiftType, ...]
    staff: tuple[StaffMember, ...]
    demand: tuple[Demand, ...] = ()
    named_demand: tuple[NamedDemand, ...] = ()
    #: the unit in feedback.csv and trace.csv (parameter ``unit``, else the instance name)
    unit: str = ""
    absences: tuple[Absence, ...] = ()
    wishes: tuple[Wish, ...] = ()
    pins: tuple[Pin, ...] = ()
    forbidden: tuple[Succession, ...] = ()
    rules: Rules = Rules()
    week_types: tuple[str, ...] = ()  # per week index from start_date; empty = all normal
    #: (day, name) of the public holidays and holiday eves in the horizon (``holidays``)
    holidays: tuple[tuple[int, str], ...] = ()

    @model_validator(mode="after")
    def _cross_references(self) -> RosterData:
        """Check that every id a row refers to exists and every day is in the horizon.

        For data built in code (the Curtois importer, tests) as for data read from files; the
        readers check the same with file, row and field first.
        """
        problems = _id_problems(self) + _day_problems(self)
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise ValueError(problems[0] + more)
        return self

    def date_of(self, day: int) -> date:
        """Give the calendar date of horizon day ``day`` (0 = ``start_date``)."""
        return self.start_date + timedelta(days=day)

    def holiday(self, day: int) -> str:
        """Name the holiday on ``day`` ("Långfredagen"), or "" on an ordinary day."""
        return dict(self.holidays).get(day, "")

    def weekday(self, day: int) -> int:
        """Give the weekday of horizon day ``day`` (0 = Monday)."""
        return self.date_of(day).weekday()

    def weekly_rest_starts(self) -> list[int]:
        """First days of the 7-day periods R10 checks (see ``Rules.weekly_rest_periods``)."""
        last = self.num_days - DAYS_PER_WEEK
        if self.rules.weekly_rest_periods == "rolling":
            return list(range(last + 1))
        return [d for d in range(last + 1) if self.weekday(d) == 0]

    def shift(self, shift_id: str) -> ShiftType:
        """Look up the shift type with id ``shift_id``."""
        return self._shift_index()[shift_id]

    def _shift_index(self) -> dict[str, ShiftType]:
        return {s.id: s for s in self.shifts}

    def weekends(self) -> list[list[int]]:
        """Days of each calendar weekend (Saturday/Sunday) that falls in the horizon."""
        groups: dict[int, list[int]] = {}
        for d in range(self.num_days):
            wd = self.weekday(d)
            if wd in (SATURDAY, SUNDAY):
                # the Saturday of this weekend identifies it
                key = d - (wd - SATURDAY)
                groups.setdefault(key, []).append(d)
        return [groups[k] for k in sorted(groups)]

    def iso_week(self, day: int) -> str:
        """Give the ISO week of horizon day ``day`` (``2026-W14``)."""
        y, w, _ = self.date_of(day).isocalendar()
        return f"{y}-W{w:02d}"


def _id_problems(data: RosterData) -> list[str]:
    """List id problems: ids twice, rows naming an unknown shift, staff member or competence."""
    shifts = [s.id for s in data.shifts]
    staff = {e.id: e for e in data.staff}
    out = [f"shift id '{i}' appears twice" for i in _twice(shifts)]
    out += [f"staff id '{i}' appears twice" for i in _twice([e.id for e in data.staff])]
    comps = {c for e in data.staff for c in e.competences}
    known = set(shifts)
    cells: tuple[Demand | NamedDemand, ...] = (*data.demand, *data.named_demand)
    for row in cells:
        if row.shift not in known:
            out.append(f"demand on day {row.day} names unknown shift '{row.shift}'")
        if row.competence not in comps:
            out.append(f"demand on day {row.day}: no staff member has '{row.competence}'")
    for nd in data.named_demand:
        if nd.competence not in (staff[nd.staff].competences if nd.staff in staff else ()):
            out.append(f"named demand on day {nd.day}: '{nd.staff}' lacks '{nd.competence}'")
    people: tuple[Absence | Wish | Pin, ...] = (*data.absences, *data.wishes, *data.pins)
    for who in people:
        if who.staff not in staff:
            out.append(f"{type(who).__name__.lower()} of unknown staff member '{who.staff}'")
    on_shift: tuple[Wish | Pin, ...] = (*data.wishes, *data.pins)
    for ref in on_shift:
        if ref.shift is not None and ref.shift not in known:
            out.append(f"{type(ref).__name__.lower()} names unknown shift '{ref.shift}'")
    out += [
        f"rule names unknown shift '{x}'"
        for f in data.forbidden
        for x in (f.first, f.second)
        if x not in known
    ]
    out += [
        f"{e.id}: max_shifts names unknown shift '{s}'"
        for e in data.staff
        for s in e.max_shifts
        if s not in known
    ]
    return out


def _day_problems(data: RosterData) -> list[str]:
    """Every row's day inside the horizon; no pinned shift on an absence."""
    h = data.num_days
    rows: tuple[Demand | NamedDemand | Absence | Wish | Pin, ...] = (
        *data.demand,
        *data.named_demand,
        *data.absences,
        *data.wishes,
        *data.pins,
    )
    out = [
        f"{type(r).__name__.lower()} on day {r.day}, outside 0..{h - 1}"
        for r in rows
        if not 0 <= r.day < h
    ]
    absent = {(a.staff, a.day) for a in data.absences}
    out += [
        f"{p.staff} is pinned to {p.shift} on day {p.day} but is absent that day"
        for p in data.pins
        if p.shift is not None and (p.staff, p.day) in absent
    ]
    return out


def _twice(ids: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    return [i for i in ids if i in seen or seen.add(i)]  # type: ignore[func-returns-value]


# --------------------------------------------------------------------------- derived rules


def forbidden_from_clock(shifts: Sequence[ShiftType], daily_rest_minutes: int) -> list[Succession]:
    """(R5) Successions that leave less than the daily rest, from real clock times.

    A shift on day d runs from ``d*1440 + start`` for ``duration`` minutes (so a night shift
    ends on day d+1). Shift ``b`` on day d+k may follow shift ``a`` on day d only when
    ``(k*1440 + start_b) - (start_a + duration_a) >= daily_rest_minutes``; k = 1, 2 suffice
    because no shift is longer than 24 h.
    """
    out: list[Succession] = []
    for a in shifts:
        for b in shifts:
            if a.start_minute is None or b.start_minute is None:
                continue
            for k in (1, 2):
                rest = k * MINUTES_PER_DAY + b.start_minute - (a.start_minute + a.duration_minutes)
                if rest < daily_rest_minutes:
                    out.append(Succession(first=a.id, second=b.id, gap_days=k, rest_minutes=rest))
    return out


# --------------------------------------------------------------------------- file rows


class RosterParameters(Row):
    """The manifest's ``parameters``; ranges in ``docs/rostering.md`` ("Ranges")."""

    start_date: CalendarDate
    unit: str | None = Field(default=None, min_length=1)
    weeks: int | None = Field(default=None, gt=0, le=MAX_ROSTER_WEEKS)
    days: int | None = Field(default=None, gt=0, le=MAX_ROSTER_DAYS)
    daily_rest_hours: float = Field(default=11, ge=0, le=24)
    weekly_rest_hours: float = Field(default=36, ge=0, le=7 * 24)
    weekly_rest_periods: Literal["calendar", "rolling"] = "calendar"
    max_avg_weekly_hours: float | None = Field(default=48, gt=0, le=7 * 24)
    full_time_weekly_hours: float = Field(default=40, gt=0, le=7 * 24)
    target_tolerance_hours: float = Field(default=4, ge=0, le=MAX_ROSTER_WEEKS * 7 * 24)
    max_consecutive_days: int | None = Field(default=6, gt=0, le=MAX_ROSTER_DAYS)
    max_weekends: int | None = Field(default=None, ge=0, le=MAX_ROSTER_WEEKS + 1)
    fairness_weight: int = Field(default=5, ge=0, le=MAX_ROSTER_WEIGHT)
    target_weight_per_hour: int = Field(default=1, ge=0, le=MAX_ROSTER_WEIGHT)
    target_outside_weight: int = Field(default=TARGET_OUTSIDE_WEIGHT, ge=0, le=MAX_ROSTER_WEIGHT)
    isolated_work_day_weight: int = Field(
        default=ISOLATED_WORK_DAY_WEIGHT, ge=0, le=MAX_ROSTER_WEIGHT
    )
    isolated_day_off_weight: int = Field(default=0, ge=0, le=MAX_ROSTER_WEIGHT)
    #: "sweden": Swedish public holidays and holiday eves take Sunday's weekday demand
    holidays: Literal["sweden", "none"] = "sweden"


class ShiftRow(Row):
    """A row of ``shifts``: a shift type's clock times, paid minutes and category (``night``, …)."""

    id: str = Field(min_length=1)
    start: str
    end: str
    paid_minutes: int | None = Field(default=None, ge=0, le=MINUTES_PER_DAY)
    category: str = "day"

    @field_validator("category")
    @classmethod
    def _category(cls, v: str) -> str:
        if v not in CATEGORIES:
            raise ValueError(f"must be one of {', '.join(CATEGORIES)}")
        return v


class StaffRow(Row):
    """A row of ``staff``: a person's competences, employment rate and personal limits."""

    id: str = Field(min_length=1)
    competences: str = Field(min_length=1)
    employment_rate: float = Field(default=1.0, gt=0, le=1.0)
    tolerance_hours: float | None = Field(default=None, ge=0, le=MAX_ROSTER_WEEKS * 7 * 24)
    max_consecutive_days: int | None = Field(default=None, gt=0, le=MAX_ROSTER_DAYS)
    max_weekends: int | None = Field(default=None, ge=0, le=MAX_ROSTER_WEEKS + 1)
    nights_allowed: bool = True


class DemandRow(Row):
    """A row of ``demand``: staff of a competence needed on a shift, by date or weekday.

    ``tier`` 1 is the minimum staffing, 2 the activity matrix's, 3 what is wanted; the weights
    charge each person short or over.
    """

    date: _Date | None = None
    weekday: int | None = Field(default=None, ge=0, le=6)
    shift: str
    competence: str
    staff: int = Field(ge=0, le=MAX_STAFF_PER_SHIFT)
    tier: int = Field(default=1, ge=1, le=3)
    weight_under: int = Field(default=1, ge=0, le=MAX_ROSTER_WEIGHT)
    weight_over: int = Field(default=0, ge=0, le=MAX_ROSTER_WEIGHT)
    note: str = ""


class MatrixRow(Row):
    """A row of the activity matrix's ``staff_demand.csv`` (tier-2 demand)."""

    week_type: str = NORMAL_WEEK
    weekday: int = Field(ge=0, le=6)
    session: str
    start: str
    end: str
    competence: str
    staff: int = Field(ge=0, le=MAX_STAFF_PER_SHIFT)
    activity_type: str = ""
    named_staff: str = ""  # ;-list of named people the matrix put on the session
    trace_ids: str = ""  # ;-list of the matrix cells behind the row (its trace.csv ids)


class AcuteStaffingRow(Row):
    """``acute_staffing.csv``: how a need block's acute dimensioning becomes tier-1 staff."""

    block: str = Field(min_length=1)
    shift: str = Field(min_length=1)
    competence: str = Field(min_length=1)
    arrivals_per_staff: float = Field(gt=0)
    weight_under: int = Field(default=1, ge=0, le=MAX_ROSTER_WEIGHT)


class AcuteRow(Row):
    """A row of the need level's ``acute_dimensioning.csv`` (the columns used)."""

    unit: str = Field(min_length=1)
    block: str = Field(min_length=1)
    capacity: float = Field(ge=0)
    share_target: float | None = None


class AbsenceRow(Row):
    """A row of ``absences``: a person absent from ``start`` to ``end`` (dates included)."""

    staff: str
    start: CalendarDate
    end: CalendarDate
    reason: str = "absence"


class WishRow(Row):
    """A row of ``wishes``: a person wants to work (a shift) or be off on a date, with a weight."""

    staff: str
    date: _Date
    shift: str | None = None
    want: str
    weight: int = Field(default=1, ge=0, le=MAX_ROSTER_WEIGHT)

    @field_validator("want")
    @classmethod
    def _want(cls, v: str) -> str:
        if v not in ("work", "off"):
            raise ValueError("must be 'work' or 'off'")
        return v


class PinRow(Row):
    """A row of ``pinned``: a published shift of a person on a date, kept as it is."""

    staff: str
    date: _Date
    shift: str


class WeekTypeRow(Row):
    """A row of ``week_types``: the type (normal, summer, …) of the week from ``week_start``."""

    week_start: CalendarDate
    week_type: str


# --------------------------------------------------------------------------- reading


def parse_clock(text: str, *, where: str, row: int, field: str) -> int:
    """``HH:MM`` → minutes after midnight (hours up to 47 mean the next day).

    :func:`pks_opt.calendar.clock_minutes` with the file, row and field named on an error.
    """
    try:
        return clock_minutes(text, max_hours=2 * HOURS_PER_DAY)
    except ValueError:
        raise InputError(
            f"expected a time HH:MM (got {text!r})", file=where, row=row, field=field
        ) from None


def _check_shift_clock(r: ShiftRow, s0: int, dur: int, *, where: str, row: int) -> None:
    """Check a shift's length and midnight rules (``docs/rostering.md``, "shifts").

    At most 16 h unless the shift is on call (category ``oncall``, up to 24 h); a ``day`` shift
    ends by 24:00, an ``evening`` shift by 02:00; only ``night`` and ``oncall`` shifts run on
    into the morning.
    """
    limit = MINUTES_PER_DAY if r.category == "oncall" else MAX_SHIFT_HOURS * MINUTES_PER_HOUR
    if dur > limit:
        hint = "" if r.category == "oncall" else " (mark an on-call shift with category oncall)"
        raise InputError(
            f"shift {r.start}-{r.end} is {_hours(dur)} long, more than {_hours(limit)}{hint}",
            file=where,
            row=row,
            field="end",
        )
    end = s0 + dur
    latest = {"day": MINUTES_PER_DAY, "evening": EVENING_LATEST_END_MINUTE}.get(r.category)
    if latest is not None and end > latest:
        raise InputError(
            f"{r.category} shift {r.start}-{r.end} runs past {_hhmm(latest % MINUTES_PER_DAY)} "
            "the next morning: give it category night (or oncall), or correct the end",
            file=where,
            row=row,
            field="category",
        )


def _hours(minutes: int) -> str:
    return f"{minutes // 60} h" + (f" {minutes % 60} min" if minutes % 60 else "")


def _targets_less_absences(
    staff: list[StaffMember],
    absences: Sequence[Absence],
    daily_minutes: Mapping[str, float],
    start: date,
) -> list[StaffMember]:
    """Target minus the paid hours of approved absences (spec R12).

    Each absent weekday (Mon–Fri) counts the person's contracted daily hours, employment rate ×
    full-time weekly hours / 5; absent Saturdays and Sundays count nothing. Never below 0.
    """
    absent_weekdays: dict[str, int] = {}
    for e_id, d in sorted({(a.staff, a.day) for a in absences}):  # overlapping rows count once
        if (start + timedelta(days=d)).weekday() < 5:
            absent_weekdays[e_id] = absent_weekdays.get(e_id, 0) + 1
    out = []
    for e in staff:
        n = absent_weekdays.get(e.id, 0)
        if n and e.target_minutes is not None:
            paid = round(n * daily_minutes[e.id])
            e = e.model_copy(update={"target_minutes": max(0, e.target_minutes - paid)})
        out.append(e)
    return out


def read_roster(
    path: str | Path,
    *,
    matrix_dir: Path | None = None,
    need_dir: Path | None = None,
    unit: str | None = None,
) -> RosterData:
    """Read a native roster instance (folder or workbook, kind ``roster``).

    ``matrix_dir`` holds the activity matrix's ``staff_demand.csv``; it replaces the
    instance's own ``staff_demand`` table (both become tier-2 demand, see
    :func:`matrix_to_demand`); the matrix cells named in its ``trace_ids`` are checked against
    ``matrix_dir/trace.csv`` when that exists. ``need_dir`` holds the need level's
    ``acute_dimensioning.csv``: the acute capacity of ``unit`` becomes tier-1 demand through
    the instance's ``acute_staffing`` table (:func:`acute_to_demand`).
    """
    return roster_from_raw(
        read_raw(path, expect_kind="roster"), matrix_dir=matrix_dir, need_dir=need_dir, unit=unit
    )


def roster_from_raw(
    raw: RawInstance,
    *,
    matrix_dir: Path | None = None,
    need_dir: Path | None = None,
    unit: str | None = None,
) -> RosterData:
    """:func:`read_roster` on an instance already read."""
    matrix_table: Table | None = raw.tables.get("staff_demand")
    matrix_ids: set[str] | None = None
    if matrix_dir is not None:
        matrix_table = _read_matrix_folder(matrix_dir)
        matrix_ids = _trace_ids(Path(matrix_dir) / "trace.csv")
    acute: tuple[Table, str] | None = None
    if need_dir is not None:
        acute = (_read_need_folder(need_dir), unit or "")
    elif unit is not None:
        raise InputError("--unit needs --from-need", field="--unit")
    return build_roster(raw, matrix_table, acute=acute, matrix_ids=matrix_ids)


def _trace_ids(path: Path) -> set[str] | None:
    """Read the ids of a level's ``trace.csv`` (None when the file is absent)."""
    from pks_opt.io import _read_csv

    if not path.exists():
        return None
    table = _read_csv("trace", path)
    if "id" not in table.columns:
        raise InputError("missing column 'id'", file=table.where, row=1)
    return {str(r.get("id") or "") for r in table.rows}


def _read_need_folder(folder: Path) -> Table:
    from pks_opt.io import _read_csv

    f = Path(folder) / "acute_dimensioning.csv"
    if not Path(folder).is_dir():
        raise InputError("the --from-need folder does not exist", file=str(folder))
    if not f.exists():
        raise InputError(
            "no acute_dimensioning.csv in the --from-need folder (pks need --out)", file=str(folder)
        )
    t = _read_csv("acute_dimensioning", f)
    cols = tuple(c for c in t.columns if c in AcuteRow.model_fields)
    return Table(t.name, t.where, cols, tuple({c: r.get(c) for c in cols} for r in t.rows))


def _read_matrix_folder(folder: Path) -> Table:
    from pks_opt.io import _read_csv  # the foundation's CSV reader (same messages)

    f = Path(folder) / "staff_demand.csv"
    if not f.exists():
        raise InputError("no staff_demand.csv in the --from-matrix folder", file=str(folder))
    return _read_csv("staff_demand", f)


@dataclass(frozen=True)
class _Horizon:
    """The instance's days: start date, length, holidays (what every table's dates need)."""

    start: date
    num_days: int
    holidays: Mapping[int, str]

    def day_of(self, d: date, table: Table, i: int, fld: str) -> int:
        """``d`` as a day index; outside the horizon: an error naming the table's row."""
        k = (d - self.start).days
        if not 0 <= k < self.num_days:
            last = self.start + timedelta(days=self.num_days - 1)
            raise InputError(
                f"date {d} is outside the horizon {self.start}..{last}",
                file=table.where,
                row=table.row_number(i),
                field=fld,
            )
        return k


def build_roster(
    raw: RawInstance,
    matrix_table: Table | None,
    *,
    acute: tuple[Table, str] | None = None,
    matrix_ids: set[str] | None = None,
) -> RosterData:
    """Validate a raw roster instance, one small reader per table.

    ``matrix_table`` is tier 2 (staff_demand), ``acute`` the need level's acute dimensioning
    and the unit to take (tier 1), ``matrix_ids`` the ids of the matrix's trace.csv (to check
    the parents of tier-2 rows). The cross-references are checked again by :class:`RosterData`
    itself.
    """
    params = parse_parameters(raw, RosterParameters)
    hz = _horizon(raw, params)
    shifts = _read_shifts(raw)
    staff_rows, staff = _read_staff(raw, params, hz, shifts)
    all_comps = {c for e in staff for c in e.competences}
    week_types, week_type_rows = _read_week_types(raw, hz)
    demand: list[Demand] = []
    named: list[NamedDemand] = []
    if acute is not None:
        shift_ids = [sh.id for sh in shifts]
        unit = acute[1] or params.unit
        demand += acute_to_demand(raw, acute[0], unit, shift_ids, all_comps, hz.num_days)
    # the need level's acute staffing replaces the instance's own weekly tier-1 rows of the
    # same shift and competence (as a matrix replaces staff_demand); dated rows stay
    replaced = frozenset((d.shift, d.competence) for d in demand)
    demand += _read_demand(raw, hz, shifts, staff, replaced)
    if matrix_table is not None:
        _check_week_types(matrix_table, week_type_rows)
        tier2, named = matrix_demand(
            matrix_table,
            shifts,
            start=hz.start,
            num_days=hz.num_days,
            week_types=week_types,
            competences=all_comps,
            staff={e.id: e.competences for e in staff},
            trace_ids=matrix_ids,
            holidays=hz.holidays,
        )
        demand.extend(tier2)
    if not demand:
        raise InputError(
            "no demand: give a 'demand' table or a staff_demand matrix", file=raw.manifest_where
        )
    absences = _read_absences(raw, hz, staff)
    daily = {
        sr.id: sr.employment_rate * params.full_time_weekly_hours / 5 * MINUTES_PER_HOUR
        for sr in staff_rows
    }
    rules = _rules(params)
    return RosterData(
        name=raw.name,
        start_date=hz.start,
        num_days=hz.num_days,
        shifts=tuple(shifts),
        staff=tuple(_targets_less_absences(staff, absences, daily, hz.start)),
        demand=tuple(_merge_demand(demand)),
        named_demand=tuple(named),
        unit=params.unit or raw.name,
        absences=tuple(absences),
        wishes=tuple(_read_wishes(raw, hz, staff, shifts)),
        pins=tuple(_read_pins(raw, hz, staff_rows, shifts, absences)),
        forbidden=tuple(forbidden_from_clock(shifts, rules.daily_rest_minutes)),
        rules=rules,
        week_types=tuple(week_types),
        holidays=tuple(sorted(hz.holidays.items())),
    )


def _horizon(raw: RawInstance, params: RosterParameters) -> _Horizon:
    """Start, days (exactly one of ``weeks`` and ``days``) and Swedish holidays if asked."""
    if (params.weeks is None) == (params.days is None):
        raise InputError(
            "give exactly one of 'weeks' and 'days'", file=raw.manifest_where, field="parameters"
        )
    num_days = params.days if params.days is not None else DAYS_PER_WEEK * (params.weeks or 0)
    start = params.start_date
    holidays = _holidays(start, num_days) if params.holidays == "sweden" else {}
    return _Horizon(start, num_days, holidays)


def _rules(params: RosterParameters) -> Rules:
    """Convert the rule parameters to minutes (lexicographic stages: a native instance)."""
    cap = params.max_avg_weekly_hours
    return Rules(
        daily_rest_minutes=round(params.daily_rest_hours * MINUTES_PER_HOUR),
        weekly_rest_minutes=round(params.weekly_rest_hours * MINUTES_PER_HOUR),
        weekly_rest_periods=params.weekly_rest_periods,
        max_avg_weekly_minutes=None if cap is None else round(cap * MINUTES_PER_HOUR),
        fairness_weight=params.fairness_weight,
        target_weight_per_hour=params.target_weight_per_hour,
        target_outside_weight=params.target_outside_weight,
        isolated_work_day_weight=params.isolated_work_day_weight,
        isolated_day_off_weight=params.isolated_day_off_weight,
        lexicographic=True,
    )


def _read_shifts(raw: RawInstance) -> list[ShiftType]:
    """Read ``shifts``: unique ids, clock times and paid minutes.

    Start before 24:00, not zero length, the length and midnight rules; paid minutes at most
    the length.
    """
    st = raw.table("shifts")
    shift_rows = parse_rows(st, ShiftRow)
    check_unique(shift_rows, st, "id", what="shift id")
    shifts: list[ShiftType] = []
    for i, r in enumerate(shift_rows):
        rn = st.row_number(i)
        s0 = parse_clock(r.start, where=st.where, row=rn, field="start")
        e0 = parse_clock(r.end, where=st.where, row=rn, field="end")
        if s0 >= MINUTES_PER_DAY:
            raise InputError(
                "a shift must start before 24:00", file=st.where, row=rn, field="start"
            )
        if e0 == s0:
            raise InputError("shift has zero length", file=st.where, row=rn, field="end")
        dur = e0 - s0 if e0 > s0 else e0 + MINUTES_PER_DAY - s0
        _check_shift_clock(r, s0, dur, where=st.where, row=rn)
        paid = dur if r.paid_minutes is None else r.paid_minutes
        if paid > dur:
            raise InputError(
                f"paid_minutes {paid} exceeds the shift length {dur}",
                file=st.where,
                row=rn,
                field="paid_minutes",
            )
        shifts.append(
            ShiftType(
                id=r.id,
                start_minute=s0,
                duration_minutes=dur,
                paid_minutes=paid,
                category=r.category,
            )
        )
    return shifts


def _read_staff(
    raw: RawInstance, params: RosterParameters, hz: _Horizon, shifts: Sequence[ShiftType]
) -> tuple[Sequence[StaffRow], list[StaffMember]]:
    """Read ``staff``: unique ids, target hours, tolerance and personal limits.

    Target hours = employment rate × full-time hours over the horizon; also the average weekly
    cap, and no nights unless allowed.
    """
    sft = raw.table("staff")
    staff_rows = parse_rows(sft, StaffRow)
    check_unique(staff_rows, sft, "id", what="staff id")
    weeks_f = hz.num_days / DAYS_PER_WEEK
    night_ids = [s.id for s in shifts if s.category == "night"]
    cap_h = params.max_avg_weekly_hours
    cap = None if cap_h is None else round(cap_h * weeks_f * MINUTES_PER_HOUR)
    staff: list[StaffMember] = []
    for sr in staff_rows:
        target = sr.employment_rate * params.full_time_weekly_hours * weeks_f * MINUTES_PER_HOUR
        tol_h = params.target_tolerance_hours if sr.tolerance_hours is None else sr.tolerance_hours
        staff.append(
            StaffMember(
                id=sr.id,
                competences=tuple(c.strip() for c in sr.competences.split("|") if c.strip()),
                target_minutes=round(target),
                tolerance_minutes=round(tol_h * MINUTES_PER_HOUR),
                max_minutes=cap,
                max_consecutive_days=sr.max_consecutive_days or params.max_consecutive_days,
                max_weekends=params.max_weekends if sr.max_weekends is None else sr.max_weekends,
                max_shifts={} if sr.nights_allowed else dict.fromkeys(night_ids, 0),
            )
        )
    cells = len(staff) * hz.num_days * len(shifts)
    check_size("staff × days × shift types", cells, MAX_ROSTER_CELLS, file=sft.where)
    return staff_rows, staff


def _read_week_types(
    raw: RawInstance, hz: _Horizon
) -> tuple[list[str], list[tuple[str, str, int]]]:
    """Read ``week_types`` (for the matrix conversion): a type per week of the horizon.

    Also the (type, file, row) of each row for the check against the matrix.
    """
    week_types = [NORMAL_WEEK] * ((hz.num_days + DAYS_PER_WEEK - 1) // DAYS_PER_WEEK)
    rows: list[tuple[str, str, int]] = []
    if raw.has("week_types"):
        wt = raw.table("week_types")
        for i, wr in enumerate(parse_rows(wt, WeekTypeRow)):
            k = hz.day_of(wr.week_start, wt, i, "week_start")
            if k % DAYS_PER_WEEK:
                raise InputError(
                    f"week_start {wr.week_start} is not a week start of the horizon "
                    f"(start {hz.start})",
                    file=wt.where,
                    row=wt.row_number(i),
                    field="week_start",
                )
            week_types[k // DAYS_PER_WEEK] = wr.week_type
            rows.append((wr.week_type, wt.where, wt.row_number(i)))
    return week_types, rows


def _check_week_types(matrix_table: Table, week_type_rows: list[tuple[str, str, int]]) -> None:
    """Refuse a week type the matrix does not know.

    A typo like "sumer" would get no tier-2 demand at all; a week without planned activities
    needs rows with staff 0.
    """
    known = {r.week_type for r in parse_rows(matrix_table, MatrixRow)}
    for wtype, wfile, wrow in week_type_rows:
        if wtype not in known:
            raise InputError(
                f"week type '{wtype}' has no rows in the activity matrix's staff_demand.csv "
                f"(it has: {', '.join(sorted(known))})",
                file=wfile,
                row=wrow,
                field="week_type",
            )


def _read_demand(
    raw: RawInstance,
    hz: _Horizon,
    shifts: Sequence[ShiftType],
    staff: Sequence[StaffMember],
    replaced: frozenset[tuple[str, str]] = frozenset(),
) -> list[Demand]:
    """Read ``demand``: a known shift and competence, a date or a weekday.

    A competence some staff member has, exactly one of date and weekday (a holiday takes
    Sunday's rows); a warning when fewer people have it than asked. A weekday row of tier 1
    whose (shift, competence) is in ``replaced`` (the ``--from-need`` acute staffing) is left
    out: the need level's acute dimensioning takes its place.
    """
    if not raw.has("demand"):
        return []
    dt = raw.table("demand")
    rows = parse_rows(dt, DemandRow)
    check_ref(rows, dt, "shift", [sh.id for sh in shifts], "shift")
    all_comps = {c for e in staff for c in e.competences}
    demand: list[Demand] = []
    for i, dr in enumerate(rows):
        rn = dt.row_number(i)
        if dr.competence not in all_comps:
            raise InputError(
                f"demand on competence '{dr.competence}', which no staff member has",
                file=dt.where,
                row=rn,
                field="competence",
            )
        if (dr.date is None) == (dr.weekday is None):
            raise InputError(
                "give exactly one of 'date' and 'weekday'", file=dt.where, row=rn, field="date"
            )
        qualified = sum(1 for e in staff if dr.competence in e.competences)
        if dr.staff > qualified:
            warnings.warn(
                f"{dt.where} row {rn}, field 'staff': asks {dr.staff} "
                f"{dr.competence} on {dr.shift}, but only {qualified} staff member(s) have "
                f"{dr.competence}: at least {dr.staff - qualified} will be short",
                InputWarning,
                stacklevel=3,
            )
        if dr.date is None and dr.tier == 1 and (dr.shift, dr.competence) in replaced:
            continue
        if dr.date is not None:
            days = [hz.day_of(dr.date, dt, i, "date")]
        else:  # a holiday takes Sunday's rows
            days = [
                d
                for d in range(hz.num_days)
                if _demand_weekday(hz.start, d, hz.holidays) == dr.weekday
            ]
        demand.extend(
            Demand(
                day=d,
                shift=dr.shift,
                competence=dr.competence,
                required=dr.staff,
                tier=dr.tier,
                weight_under=dr.weight_under,
                weight_over=dr.weight_over,
                source=dr.note or f"demand row {rn}",
            )
            for d in days
        )
    return demand


def _read_absences(raw: RawInstance, hz: _Horizon, staff: Sequence[StaffMember]) -> list[Absence]:
    """Read ``absences``: known staff, end not before start.

    The days inside the horizon are kept (an absence may run beyond it).
    """
    if not raw.has("absences"):
        return []
    at = raw.table("absences")
    rows_a = parse_rows(at, AbsenceRow)
    check_ref(rows_a, at, "staff", [e.id for e in staff], "staff")
    absences: list[Absence] = []
    for i, a in enumerate(rows_a):
        if a.end < a.start:
            raise InputError(
                "end is before start", file=at.where, row=at.row_number(i), field="end"
            )
        for k in range((a.start - hz.start).days, (a.end - hz.start).days + 1):
            if 0 <= k < hz.num_days:
                absences.append(Absence(day=k, staff=a.staff, reason=a.reason))
    return absences


def _read_wishes(
    raw: RawInstance, hz: _Horizon, staff: Sequence[StaffMember], shifts: Sequence[ShiftType]
) -> list[Wish]:
    """``wishes``: known staff and (optional) shift, a date in the horizon."""
    if not raw.has("wishes"):
        return []
    wt = raw.table("wishes")
    rows_w = parse_rows(wt, WishRow)
    check_ref(rows_w, wt, "staff", [e.id for e in staff], "staff")
    check_ref(rows_w, wt, "shift", [sh.id for sh in shifts], "shift", optional=True)
    return [
        Wish(
            staff=w.staff,
            day=hz.day_of(w.date, wt, i, "date"),
            shift=w.shift,
            work=w.want == "work",
            weight=w.weight,
        )
        for i, w in enumerate(rows_w)
    ]


def _read_pins(
    raw: RawInstance,
    hz: _Horizon,
    staff_rows: Sequence[StaffRow],
    shifts: Sequence[ShiftType],
    absences: Sequence[Absence],
) -> list[Pin]:
    """Read ``pinned``: known staff and shift (or ``off``), one per person and date.

    No night for someone without nights, no shift on an absence.
    """
    if not raw.has("pinned"):
        return []
    pt = raw.table("pinned")
    rows_p = parse_rows(pt, PinRow)
    check_ref(rows_p, pt, "staff", [sr.id for sr in staff_rows], "staff")
    check_ref(rows_p, pt, "shift", [*(sh.id for sh in shifts), "off"], "shift")
    check_unique(rows_p, pt, "staff", "date", what="pin staff/date")
    absent = {(a.staff, a.day) for a in absences}
    no_nights = {sr.id for sr in staff_rows if not sr.nights_allowed}
    night_ids = {sh.id for sh in shifts if sh.category == "night"}
    pins: list[Pin] = []
    for i, p in enumerate(rows_p):
        d = hz.day_of(p.date, pt, i, "date")
        problem = ""
        if p.shift in night_ids and p.staff in no_nights:
            problem = (
                f"{p.staff} is pinned to night shift {p.shift} on {p.date} but has "
                "nights_allowed false in staff.csv"
            )
        elif p.shift != "off" and (p.staff, d) in absent:
            problem = f"{p.staff} is pinned to {p.shift} on {p.date} but is absent that day"
        if problem:
            raise InputError(problem, file=pt.where, row=pt.row_number(i), field="shift")
        pins.append(Pin(staff=p.staff, day=d, shift=None if p.shift == "off" else p.shift))
    return pins


def _holidays(start: date, num_days: int) -> dict[int, str]:
    """Day index → Swedish holiday name in the horizon (:mod:`pks_opt.calendar`)."""
    from pks_opt.calendar import holidays_between

    last = start + timedelta(days=num_days - 1)
    return {(day - start).days: name for day, name in holidays_between(start, last).items()}


def _demand_weekday(start: date, day: int, holidays: Mapping[int, str]) -> int:
    """Give the weekday whose demand ``day`` takes: Sunday on a holiday, else its own."""
    return SUNDAY if day in holidays else (start + timedelta(days=day)).weekday()


def _merge_demand(demand: list[Demand]) -> list[Demand]:
    """Rows for the same (day, shift, competence, tier) add up (e.g. on-call + acute rows)."""
    merged: dict[tuple[int, str, str, int], Demand] = {}
    for d in demand:
        key = (d.day, d.shift, d.competence, d.tier)
        if key in merged:
            m = merged[key]
            merged[key] = m.model_copy(
                update={
                    "required": m.required + d.required,
                    "weight_under": max(m.weight_under, d.weight_under),
                    "weight_over": max(m.weight_over, d.weight_over),
                    "source": f"{m.source}; {d.source}" if d.source not in m.source else m.source,
                    "objects": tuple(dict.fromkeys(m.objects + d.objects)),
                    "parent_ids": tuple(dict.fromkeys(m.parent_ids + d.parent_ids)),
                }
            )
        else:
            merged[key] = d
    return [merged[k] for k in sorted(merged)]


def matrix_to_demand(
    table: Table,
    shifts: Sequence[ShiftType],
    *,
    start: date,
    num_days: int,
    week_types: Sequence[str],
    competences: set[str],
) -> list[Demand]:
    """Turn the matrix into :func:`matrix_demand`'s tier-2 cover rows (named people unchecked)."""
    return matrix_demand(
        table,
        shifts,
        start=start,
        num_days=num_days,
        week_types=week_types,
        competences=competences,
    )[0]


def matrix_demand(
    table: Table,
    shifts: Sequence[ShiftType],
    *,
    start: date,
    num_days: int,
    week_types: Sequence[str],
    competences: set[str],
    staff: Mapping[str, tuple[str, ...]] | None = None,
    trace_ids: set[str] | None = None,
    holidays: Mapping[int, str] | None = None,
) -> tuple[list[Demand], list[NamedDemand]]:
    """Turn the activity matrix's ``staff_demand.csv`` into tier-2 demand on dates.

    Rule (documented in ``docs/rostering.md``):

    1. Each date takes the rows of its weekday and its week's type (``normal`` unless the
       instance's ``week_types`` table says otherwise); a Swedish holiday (``holidays``) takes
       Sunday's rows.
    2. A session ``[start, end)`` is placed on the *covering* shift: the shortest non-on-call
       shift whose clock interval contains the whole session (ties by shift id). A session no
       single shift covers is an input error.
    3. Rows of the same session (different activity types) add up; sessions that fall on the
       same shift take the maximum, because the same people work both sessions of a shift.
    4. Every person in ``named_staff`` (the matrix's named specialists) becomes a
       :class:`NamedDemand` on that date and shift: that person, in that competence. A name
       the roster's staff does not have, or without that competence, is an input error
       (``staff`` given); without ``staff`` named people are not read.
    5. ``trace_ids`` (the matrix cells behind a row) become the rows' ``parent_ids``; with
       ``trace_ids`` given (the matrix's trace.csv) an id it lacks is an input error.
    """
    candidates = sorted(
        (s for s in shifts if s.category != "oncall" and s.start_minute is not None),
        key=lambda s: (s.duration_minutes, s.id),
    )
    acc = _MatrixCells()
    for i, r in enumerate(parse_rows(table, MatrixRow)):
        rn = table.row_number(i)
        key = _matrix_key(r, candidates, competences, table.where, rn)
        acc.add(key, r, trace_ids, table.where, rn)
        if staff is not None:
            acc.add_named(key, r, staff, table.where, rn)
    out: list[Demand] = []
    named: list[NamedDemand] = []
    for d in range(num_days):
        wd = _demand_weekday(start, d, holidays or {})  # a holiday takes Sunday's sessions
        wtype = week_types[d // DAYS_PER_WEEK] if week_types else NORMAL_WEEK
        for key in sorted(acc.sessions):
            if key[:2] == (wtype, wd):
                out.extend(acc.demand(d, key))
                named.extend(acc.named(d, key))
    return out, named


#: (week_type, weekday, shift, competence) of a matrix row placed on its shift
_MatrixKey = tuple[str, int, str, str]


def _matrix_key(
    r: MatrixRow, candidates: Sequence[ShiftType], competences: set[str], where: str, rn: int
) -> _MatrixKey:
    """Place a matrix row in its cell: its session on the shortest non-on-call shift covering it."""
    s0 = parse_clock(r.start, where=where, row=rn, field="start")
    e0 = parse_clock(r.end, where=where, row=rn, field="end")
    if e0 <= s0:
        e0 += MINUTES_PER_DAY
    if r.competence not in competences:
        raise InputError(
            f"demand on competence '{r.competence}', which no staff member has",
            file=where,
            row=rn,
            field="competence",
        )
    cover = next((s for s in candidates if _covers(s, s0, e0)), None)
    if cover is None:
        raise InputError(
            f"no shift covers session {r.session} {r.start}-{r.end}",
            file=where,
            row=rn,
            field="start",
        )
    return (r.week_type, r.weekday, cover.id, r.competence)


@dataclass
class _MatrixCells:
    """The matrix's rows gathered per cell.

    Staff per session, activity types, trace ids, and the named people with their activity
    types and cells.
    """

    sessions: dict[_MatrixKey, dict[str, int]] = field(default_factory=dict)
    what: dict[_MatrixKey, list[str]] = field(default_factory=dict)
    parents: dict[_MatrixKey, list[str]] = field(default_factory=dict)
    persons: dict[_MatrixKey, dict[str, tuple[list[str], list[str]]]] = field(default_factory=dict)

    def add(
        self, key: _MatrixKey, r: MatrixRow, trace_ids: set[str] | None, where: str, rn: int
    ) -> None:
        """Rule 3 (rows of one session add up) and rule 5 (trace ids known)."""
        sess = self.sessions.setdefault(key, {})
        tag = f"{r.session}@{parse_clock(r.start, where=where, row=rn, field='start')}"
        sess[tag] = sess.get(tag, 0) + r.staff
        if r.activity_type and r.staff > 0:
            self.what.setdefault(key, []).append(r.activity_type)
        for tid in _split(r.trace_ids):
            if trace_ids is not None and tid not in trace_ids:
                raise InputError(
                    f"matrix cell '{tid}' is not in the matrix's trace.csv",
                    file=where,
                    row=rn,
                    field="trace_ids",
                )
            self.parents.setdefault(key, []).append(tid)

    def add_named(
        self,
        key: _MatrixKey,
        r: MatrixRow,
        staff: Mapping[str, tuple[str, ...]],
        where: str,
        rn: int,
    ) -> None:
        """Rule 4: each named person is one of the roster's staff with that competence."""
        for p in _split(r.named_staff):
            problem = ""
            if p not in staff:
                problem = f"'{p}', named by the activity matrix, is not in the roster's staff"
            elif r.competence not in staff[p]:
                problem = (
                    f"'{p}', named by the activity matrix as {r.competence}, does not have "
                    f"that competence in the roster's staff"
                )
            if problem:
                raise InputError(problem, file=where, row=rn, field="named_staff")
            mine = self.persons.setdefault(key, {}).setdefault(p, ([], []))
            mine[0].append(r.activity_type)
            mine[1].extend(_split(r.trace_ids))

    def demand(self, d: int, key: _MatrixKey) -> list[Demand]:
        """Give the cell's tier-2 row on day ``d``: the most staff of its sessions (none if 0)."""
        need = max(self.sessions[key].values())
        if need <= 0:
            return []
        return [
            Demand(
                day=d,
                shift=key[2],
                competence=key[3],
                required=need,
                tier=2,
                source="activity matrix",
                objects=tuple(dict.fromkeys(self.what.get(key, []))),
                parent_ids=tuple(dict.fromkeys(self.parents.get(key, []))),
            )
        ]

    def named(self, d: int, key: _MatrixKey) -> list[NamedDemand]:
        """List the cell's named people on day ``d``."""
        return [
            NamedDemand(
                day=d,
                shift=key[2],
                competence=key[3],
                staff=p,
                tier=2,
                source=f"activity matrix names {p}",
                objects=tuple(dict.fromkeys(t for t in types if t)),
                parent_ids=tuple(dict.fromkeys(cells)),
            )
            for p, (types, cells) in self.persons.get(key, {}).items()
        ]


def _split(text: str) -> list[str]:
    return [p.strip() for p in text.split(";") if p.strip()]


def acute_to_demand(
    raw: RawInstance,
    table: Table,
    unit: str | None,
    shift_ids: Sequence[str],
    competences: set[str],
    num_days: int,
) -> list[Demand]:
    """Tier-1 demand from the need level's acute dimensioning (``--from-need``).

    Rule (documented in ``docs/rostering.md``): the need level dimensions acute care per unit
    × time block as the arrivals per block that cover the target share of days (the 85 %
    rule). Each row of the roster instance's ``acute_staffing`` table maps a block to a
    roster shift and competence with ``arrivals_per_staff`` (arrivals one person handles in
    that block); staff needed = ⌈capacity ÷ arrivals_per_staff⌉ on every day of the horizon,
    tier 1. A block may map to several shifts or competences (several rows). Every block of
    the unit needs at least one row (else its acute need would be lost), and every row's
    block must be one of the unit's blocks.
    """
    if not raw.has("acute_staffing"):
        raise InputError(
            "--from-need needs an acute_staffing table in the roster instance "
            "(block, shift, competence, arrivals_per_staff)",
            file=raw.manifest_where,
        )
    capacity, unit = _acute_capacity(table, unit)
    st = raw.table("acute_staffing")
    staffing = parse_rows(st, AcuteStaffingRow)
    check_ref(staffing, st, "shift", list(shift_ids), "shift")
    check_unique(staffing, st, "block", "shift", "competence", what="block/shift/competence")
    mapped = {a.block for a in staffing}
    for block, (_cap, rn) in capacity.items():
        if block not in mapped:
            raise InputError(
                f"block '{block}' of unit '{unit}' has no row in acute_staffing (its acute need "
                "would be lost)",
                file=table.where,
                row=rn,
                field="block",
            )
    out: list[Demand] = []
    for i, a in enumerate(staffing):
        need = _acute_need(a, capacity, unit, competences, st.where, st.row_number(i))
        if need <= 0:
            continue
        cap = capacity[a.block][0]
        source = (
            f"acute dimensioning {unit} {a.block}: {cap:g} arrivals ÷ "
            f"{a.arrivals_per_staff:g} per staff"
        )
        out.extend(
            Demand(
                day=d,
                shift=a.shift,
                competence=a.competence,
                required=need,
                tier=1,
                weight_under=a.weight_under,
                source=source,
                objects=(f"acute {a.block}",),
            )
            for d in range(num_days)
        )
    return out


def _acute_capacity(table: Table, unit: str | None) -> tuple[dict[str, tuple[float, int]], str]:
    """Read the acute dimensioning of ``unit`` (the file's only unit when None).

    Gives block → (capacity, row number), and the unit.
    """
    rows = parse_rows(table, AcuteRow)
    units = list(dict.fromkeys(r.unit for r in rows))
    if unit is None:
        if len(units) != 1:
            raise InputError(
                f"acute dimensioning has units {', '.join(units) or '(none)'}: choose one with "
                "--unit or the roster parameter 'unit'",
                file=table.where,
                field="unit",
            )
        unit = units[0]
    if unit not in units:
        raise InputError(
            f"unit '{unit}' has no acute dimensioning (units in the file: "
            f"{', '.join(units) or 'none'})",
            file=table.where,
            field="unit",
        )
    capacity = {
        r.block: (r.capacity, table.row_number(i)) for i, r in enumerate(rows) if r.unit == unit
    }
    return capacity, unit


def _acute_need(
    a: AcuteStaffingRow,
    capacity: Mapping[str, tuple[float, int]],
    unit: str,
    competences: set[str],
    file: str,
    row: int,
) -> int:
    """Give the staff one ``acute_staffing`` row needs every day: ⌈capacity ÷ arrivals_per_staff⌉.

    Its block one of the unit's, its competence someone's, at most the documented maximum.
    """
    if a.block not in capacity:
        raise InputError(
            f"block '{a.block}' is not in the acute dimensioning of unit "
            f"'{unit}' (blocks: {', '.join(capacity)})",
            file=file,
            row=row,
            field="block",
        )
    if a.competence not in competences:
        raise InputError(
            f"competence '{a.competence}', which no staff member has",
            file=file,
            row=row,
            field="competence",
        )
    cap = capacity[a.block][0]
    need = math.ceil(cap / a.arrivals_per_staff - RATIO_TOLERANCE)
    if need > MAX_STAFF_PER_SHIFT:
        raise InputError(
            f"{cap:g} arrivals ÷ {a.arrivals_per_staff:g} per staff = {need} staff on one "
            f"shift, more than the documented maximum {MAX_STAFF_PER_SHIFT}",
            file=file,
            row=row,
            field="arrivals_per_staff",
        )
    return need


def _covers(shift: ShiftType, s0: int, e0: int) -> bool:
    assert shift.start_minute is not None
    a, b = shift.start_minute, shift.start_minute + shift.duration_minutes
    # a session may also be given in the next day's clock (e.g. 02:00 inside a 21:00 night)
    return any(a <= s0 + k and e0 + k <= b for k in (0, MINUTES_PER_DAY))


def _hhmm(m: int) -> str:
    return f"{m // 60:02d}:{m % 60:02d}"


def describe(data: RosterData) -> dict[str, Any]:
    """Sizes for the summary."""
    return {
        "staff": len(data.staff),
        "days": data.num_days,
        "shift_types": len(data.shifts),
        "demand_rows": len(data.demand),
    }

"""Activity-matrix instances: read, validate and freeze (no solver in sight).

An instance is a folder (``instance.yaml`` + CSVs) or an ``.xlsx`` workbook with ``kind:
activity_matrix``. Tables (full reference in ``docs/activity-matrix.md``):

- ``sessions``: the parts of the day (``am``, ``pm`` or shorter blocks) with clock times;
- ``rooms``: rooms with their capabilities (equipment), ``;``-separated;
- ``activity_types``: priority, the room capability needed, sessions needed per week and
  patients per session (for ``--from-plan``);
- ``activity_staff``: how many people of which competence one session of a type needs;
- ``staff``: named staff (``count`` 1) or staff categories (``count`` N), their competence and
  the activity types they can do;
- optional: ``staff_availability``, ``room_closed``, ``same_day`` (same-day sessions per day)
  or ``inflow_profile`` (share of the week's inflow per day, to spread ``same_day_per_week``),
  ``day_rules`` (at least / at most N sessions of a type per day), ``pinned`` (fixed cells),
  ``plan_mapping`` (planning object → activity type for ``--from-plan``).

Everything becomes one frozen :class:`MatrixData` per week type (:class:`WeekDemand` holds what
differs between week types: the sessions needed per activity type).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Set
from pathlib import Path
from typing import Any, Self

from pydantic import Field, ValidationError, field_validator, model_validator

from pks_opt.calendar import clock_minutes
from pks_opt.constants import MINUTES_PER_HOUR, NORMAL_WEEK
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
from pks_opt.limits import MAX_MATRIX_COUNT

INSTANCE_KIND = "activity_matrix"
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DAY_NAMES_LONG = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
#: a production / patients-per-session ratio within this of an integer is that integer
RATIO_TOLERANCE = 1e-6


# --------------------------------------------------------------------------- rows


def _split_list(value: str | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(sorted({p.strip() for p in str(value).split(";") if p.strip()}))


class SessionRow(Row):
    """A row of ``sessions``: a part of the day with its clock times (``08:00``-``12:00``)."""

    session: str = Field(min_length=1)
    start: str
    end: str

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, v: str) -> str:
        h, m = divmod(clock_minutes(v), MINUTES_PER_HOUR)
        return f"{h:02d}:{m:02d}"


class RoomRow(Row):
    """A row of ``rooms``: a room and its capabilities (equipment), ``;``-separated."""

    room: str = Field(min_length=1)
    name: str | None = None
    capabilities: str | None = None


class ActivityTypeRow(Row):
    """A row of ``activity_types``: priority, room capability and sessions needed a week.

    ``patients_per_session`` turns a production plan's patients into sessions (``--from-plan``);
    ``same_day_per_week`` sessions are spread over the days by ``inflow_profile``.
    """

    activity_type: str = Field(min_length=1)
    name: str | None = None
    priority: int = Field(default=1, ge=1)
    capability: str | None = None
    sessions_per_week: int = Field(default=0, ge=0, le=MAX_MATRIX_COUNT)
    patients_per_session: float | None = Field(default=None, gt=0, le=MAX_MATRIX_COUNT)
    same_day_per_week: int = Field(default=0, ge=0, le=MAX_MATRIX_COUNT)
    color: str | None = None

    @field_validator("color")
    @classmethod
    def _color(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"#[0-9a-fA-F]{6}", v):
            raise ValueError("expected a colour #RRGGBB")
        return v


class ActivityStaffRow(Row):
    """A row of ``activity_staff``: people of one competence one session of a type needs."""

    activity_type: str = Field(min_length=1)
    competence: str = Field(min_length=1)
    staff: int = Field(ge=1, le=MAX_MATRIX_COUNT)


class StaffRow(Row):
    """A row of ``staff``: one person, or a category of ``count`` people, and what they do."""

    staff: str = Field(min_length=1)
    name: str | None = None
    competence: str = Field(min_length=1)
    count: int = Field(default=1, ge=1, le=MAX_MATRIX_COUNT)
    activities: str | None = None


class AvailabilityRow(Row):
    """A row of ``staff_availability``: how many of a staff row are there in a session.

    A blank ``weekday`` or ``session`` means every one; ``week_type`` limits the row to one week
    type.
    """

    staff: str = Field(min_length=1)
    weekday: int | None = Field(default=None, ge=0, le=6)
    session: str | None = None
    available: int = Field(ge=0, le=MAX_MATRIX_COUNT)
    week_type: str | None = None


class ClosedRow(Row):
    """A row of ``room_closed``: a room closed on a weekday and session (blank: all)."""

    room: str = Field(min_length=1)
    weekday: int | None = Field(default=None, ge=0, le=6)
    session: str | None = None
    week_type: str | None = None


class SameDayRow(Row):
    """A row of ``same_day``: sessions of a type needed on one weekday (patients seen that day)."""

    activity_type: str = Field(min_length=1)
    weekday: int = Field(ge=0, le=6)
    sessions: int = Field(ge=0, le=MAX_MATRIX_COUNT)


class ProfileRow(Row):
    """A row of ``inflow_profile``: the share of the week's inflow arriving on one weekday."""

    weekday: int = Field(ge=0, le=6)
    share: float = Field(ge=0)


class DayRuleRow(Row):
    """A row of ``day_rules``: at least / at most so many sessions of a type a day (blank: all)."""

    activity_type: str = Field(min_length=1)
    weekday: int | None = Field(default=None, ge=0, le=6)
    min_sessions: int | None = Field(default=None, ge=0, le=MAX_MATRIX_COUNT)
    max_sessions: int | None = Field(default=None, ge=0, le=MAX_MATRIX_COUNT)


class PinnedRow(Row):
    """A row of ``pinned``: an activity type fixed in a room, weekday and session."""

    room: str = Field(min_length=1)
    weekday: int = Field(ge=0, le=6)
    session: str = Field(min_length=1)
    activity_type: str = Field(min_length=1)


class MappingRow(Row):
    """A row of ``plan_mapping``: the activity type a planning object is produced in."""

    planning_object: str = Field(min_length=1)
    activity_type: str = Field(min_length=1)


class MatrixParameters(Row):
    """The manifest's ``parameters``."""

    days: tuple[int, ...] = (0, 1, 2, 3, 4)
    week_type: str = Field(default=NORMAL_WEEK, min_length=1)
    #: the unit in feedback.csv and trace.csv (default: the instance name)
    unit: str | None = Field(default=None, min_length=1)

    @field_validator("days")
    @classmethod
    def _days(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        if not v:
            raise ValueError("at least one day is needed")
        if any(d < 0 or d > 6 for d in v):
            raise ValueError("weekdays are 0 (Monday) … 6 (Sunday)")
        if len(set(v)) != len(v):
            raise ValueError("a weekday appears twice")
        return tuple(sorted(v))


# --------------------------------------------------------------------------- frozen data


class Session(Frozen):
    """A part of the day, ``start`` and ``end`` as ``HH:MM``."""

    id: str
    start: str
    end: str

    @property
    def hours(self) -> float:
        """Length of the session in hours (``08:00``-``12:00``: 4.0)."""
        return (clock_minutes(self.end) - clock_minutes(self.start)) / MINUTES_PER_HOUR


class Room(Frozen):
    """A room and the capabilities (equipment) it has."""

    id: str
    name: str
    capabilities: tuple[str, ...]


class ActivityType(Frozen):
    """An activity type as the model uses it, with the people each session needs per competence."""

    id: str
    name: str
    priority: int
    capability: str | None
    sessions_per_week: int
    patients_per_session: float | None
    color: str | None
    staff_per_session: dict[str, int]  # competence -> people per session


class Staff(Frozen):
    """A staff row: one person, or ``count`` interchangeable people of one competence."""

    id: str
    name: str
    competence: str
    count: int
    activities: tuple[str, ...]  # activity types this staff row can do


class DayRule(Frozen):
    """At least ``min_sessions``, at most ``max_sessions`` (None: any) of a type on a weekday."""

    activity_type: str
    weekday: int
    min_sessions: int
    max_sessions: int | None


class Pin(Frozen):
    """An activity type fixed in one cell (room, weekday, session) of the matrix."""

    room: str
    weekday: int
    session: str
    activity_type: str


class PlanAsk(Frozen):
    """What the production plan asks of one activity type in one matrix (``--from-plan``).

    ``week`` is the plan week that decided the need (the peak of the week type, or
    ``--week``); ``patients_by_week`` holds every plan week the matrix stands for.
    """

    activity_type: str
    planning_objects: tuple[str, ...]
    week: int
    patients: float  # patients the plan asks in ``week``
    patients_per_session: float
    sessions: int  # sessions asked = ⌈patients ÷ patients_per_session⌉
    patients_by_week: dict[int, float]
    #: ids of the plan's trace.csv rows behind ``week`` (plan:{unit}:{object}:w{week})
    parent_ids: tuple[str, ...]


class MatrixData(Frozen):
    """A validated activity-matrix instance for one week type."""

    name: str
    #: the unit in feedback.csv and trace.csv (parameter ``unit``, else the instance name)
    unit: str = ""
    week_type: str
    days: tuple[int, ...]
    sessions: tuple[Session, ...]
    rooms: tuple[Room, ...]
    activity_types: tuple[ActivityType, ...]
    staff: tuple[Staff, ...]
    #: sessions needed per week per activity type (this week type)
    need: dict[str, int]
    #: where the need came from, per activity type (planner wording)
    need_source: dict[str, str]
    #: (room, weekday, session) cells that are closed (in this week type)
    closed: frozenset[tuple[str, int, str]]
    #: people of a staff row available in (weekday, session); missing keys = the row's count
    availability: dict[tuple[str, int, str], int]
    #: the rules behind both, per week type (None: every week type), in file order
    closed_rules: tuple[tuple[str | None, str, int, str], ...] = ()
    availability_rules: tuple[tuple[str | None, str, int, str, int], ...] = ()
    #: (activity type, weekday) -> same-day sessions needed
    same_day: dict[tuple[str, int], int]
    day_rules: tuple[DayRule, ...]
    pins: tuple[Pin, ...]
    #: activity type -> what the production plan asks (empty without --from-plan)
    plan_asks: dict[str, PlanAsk] = Field(default_factory=dict)

    # ---------------------------------------------------------------- validation
    @model_validator(mode="after")
    def _consistent(self) -> MatrixData:
        """Check the tables across each other, as the file readers do.

        So data built in code (``model_copy``/``with_need``, tests) is held to the same rules.

                Cross-references between the tables, the same rules the file readers check, so
                data built in code (``model_copy``/``with_need``, tests) is held to them too.
        """
        _check_days_field(self.days)
        sids = _unique_ids("session", (s.id for s in self.sessions))
        rids = _unique_ids("room", (r.id for r in self.rooms))
        tids = _unique_ids("activity type", (t.id for t in self.activity_types))
        _unique_ids("staff", (s.id for s in self.staff))
        for sess in self.sessions:
            if sess.end <= sess.start:
                raise ValueError(f"session '{sess.id}' ends ({sess.end}) before it starts")
        all_caps = {c for r in self.rooms for c in r.capabilities}
        for t in self.activity_types:
            if t.capability is not None and t.capability not in all_caps:
                raise ValueError(f"no room has capability '{t.capability}' ('{t.id}')")
        for st in self.staff:
            _known("activity type", st.activities, tids, f"staff '{st.id}'")
        _known("activity type", self.need, tids, "need")
        _known("activity type", self.plan_asks, tids, "plan_asks")
        self._check_cells(sids, rids, tids)
        return self

    def _check_cells(self, sids: Set[str], rids: Set[str], tids: Set[str]) -> None:
        count = {s.id: s.count for s in self.staff}
        for (sid, _d, k), n in self.availability.items():
            _known("staff", (sid,), count, "availability")
            _known("session", (k,), sids, "availability")
            if not 0 <= n <= count[sid]:
                raise ValueError(f"{n} available but staff '{sid}' has count {count[sid]}")
        for r, _d, k in self.closed:
            _known("room", (r,), rids, "closed cells")
            _known("session", (k,), sids, "closed cells")
        for t, d in self.same_day:
            _known("activity type", (t,), tids, "same_day")
            _known("weekday", (d,), self.days, "same_day")
        for rule in self.day_rules:
            _known("activity type", (rule.activity_type,), tids, "day_rules")
            _known("weekday", (rule.weekday,), self.days, "day_rules")
            if rule.max_sessions is not None and rule.min_sessions > rule.max_sessions:
                raise ValueError(
                    f"day rule of '{rule.activity_type}': min_sessions {rule.min_sessions} "
                    f"is above max_sessions {rule.max_sessions}"
                )
        always_closed = {(r, d, k) for wt, r, d, k in self.closed_rules if wt is None}
        caps = {r.id: r.capabilities for r in self.rooms}
        cap_of = {t.id: t.capability for t in self.activity_types}
        cells: set[tuple[str, int, str]] = set()
        for p in self.pins:
            _known("room", (p.room,), rids, "pins")
            _known("session", (p.session,), sids, "pins")
            _known("activity type", (p.activity_type,), tids, "pins")
            _known("weekday", (p.weekday,), self.days, "pins")
            if (p.room, p.weekday, p.session) in cells:
                raise ValueError(f"two pins in room '{p.room}' day {p.weekday} {p.session}")
            cells.add((p.room, p.weekday, p.session))
            problem = _pin_problem(p, always_closed, caps, cap_of)
            if problem is not None:
                raise ValueError(problem[0])

    # ---------------------------------------------------------------- lookups
    def activity(self, tid: str) -> ActivityType:
        """Look up the activity type with id ``tid``."""
        return next(t for t in self.activity_types if t.id == tid)

    def room(self, rid: str) -> Room:
        """Look up the room with id ``rid``."""
        return next(r for r in self.rooms if r.id == rid)

    def capable(self, room: Room, t: ActivityType) -> bool:
        """Tell whether ``room`` has the capability ``t`` needs (none needed: every room fits)."""
        return t.capability is None or t.capability in room.capabilities

    def is_open(self, room: str, day: int, session: str) -> bool:
        """Tell whether ``room`` is open on weekday ``day`` in ``session`` in this week type."""
        return (room, day, session) not in self.closed

    def available(self, staff: Staff, day: int, session: str) -> int:
        """Count the people of ``staff`` there on ``day`` in ``session`` (default: ``count``)."""
        return self.availability.get((staff.id, day, session), staff.count)

    def can_do(self, staff: Staff, t: ActivityType) -> bool:
        """Tell whether ``staff`` may work ``t``: ``t`` needs its competence and it lists ``t``."""
        return t.staff_per_session.get(staff.competence, 0) > 0 and t.id in staff.activities

    def day_min(self, tid: str, day: int) -> tuple[int, int]:
        """(same-day sessions, at-least rule) needed of ``tid`` on ``day``."""
        rule = max(
            (r.min_sessions for r in self.day_rules if r.activity_type == tid and r.weekday == day),
            default=0,
        )
        return self.same_day.get((tid, day), 0), rule

    def day_max(self, tid: str, day: int) -> int | None:
        """Give the lowest ``max_sessions`` of ``tid``'s day rules on ``day`` (None: no cap)."""
        caps = [
            r.max_sessions
            for r in self.day_rules
            if r.activity_type == tid and r.weekday == day and r.max_sessions is not None
        ]
        return min(caps) if caps else None

    @property
    def competences(self) -> tuple[str, ...]:
        """Competences any activity type needs or any staff row has, sorted."""
        comps = {c for t in self.activity_types for c in t.staff_per_session}
        comps |= {s.competence for s in self.staff}
        return tuple(sorted(comps))

    def weekly_need(self, tid: str) -> int:
        """Sessions of ``tid`` needed a week: its need, raised to the sum of its day minimums."""
        return max(self.need[tid], sum(max(self.day_min(tid, d)) for d in self.days))

    def weekly_cap(self, tid: str) -> int:
        """Most sessions of ``tid`` a week may hold: its weekly need, raised by pins."""
        pins = sum(1 for p in self.pins if p.activity_type == tid)
        return max(self.weekly_need(tid), pins)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """Copy the data; with ``update``, check the copy as a reader would.

        pydantic's own ``model_copy(update=…)`` skips every check.
        """
        if not update:
            return super().model_copy(deep=deep)
        return self.model_validate(self.model_dump() | dict(update))

    def replace(self, **fields: Any) -> MatrixData:
        """Copy with ``fields`` replaced and check the copy (``model_copy(update=…)`` does too)."""
        return MatrixData.model_validate(self.model_dump() | fields)

    def with_need(
        self,
        week_type: str,
        need: Mapping[str, int],
        source: Mapping[str, str],
        plan_asks: Mapping[str, PlanAsk] | None = None,
    ) -> MatrixData:
        """Make the same clinic for another week type, checked anew (not a shallow copy)."""
        payload = self.model_dump()
        closed, availability = resolve_week_type(
            week_type, self.closed_rules, self.availability_rules
        )
        payload.update(
            week_type=week_type,
            need=dict(need),
            need_source=dict(source),
            closed=closed,
            availability=availability,
        )
        if plan_asks is not None:
            payload["plan_asks"] = {t: a.model_dump() for t, a in plan_asks.items()}
        return MatrixData.model_validate(payload)


def _check_days_field(days: tuple[int, ...]) -> None:
    if not days or any(not 0 <= d <= 6 for d in days) or len(set(days)) != len(days):
        raise ValueError(f"days {list(days)}: distinct weekdays 0 (Monday) … 6 (Sunday) needed")


def _unique_ids(what: str, ids: Iterable[str]) -> set[str]:
    """Collect the ids as a set, refusing none at all and any id twice."""
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise ValueError(f"{what} '{i}' appears twice")
        seen.add(i)
    if not seen and what != "staff":
        raise ValueError(f"at least one {what} is needed")
    return seen


def _known(what: str, used: Iterable[object], known: Iterable[object], where: str) -> None:
    unknown = sorted({str(u) for u in used} - {str(k) for k in known})
    if unknown:
        raise ValueError(f"{where}: {what} {', '.join(repr(u) for u in unknown)} not defined")


def resolve_week_type(
    week_type: str,
    closed_rules: tuple[tuple[str | None, str, int, str], ...],
    availability_rules: tuple[tuple[str | None, str, int, str, int], ...],
) -> tuple[frozenset[tuple[str, int, str]], dict[tuple[str, int, str], int]]:
    """Resolve the closed cells and the availability of one week type.

    Rows without a week type always apply; for availability, later rows win.
    """
    closed = frozenset((r, d, k) for wt, r, d, k in closed_rules if wt in (None, week_type))
    availability = {
        (s, d, k): n for wt, s, d, k, n in availability_rules if wt in (None, week_type)
    }
    return closed, availability


# --------------------------------------------------------------------------- reading


def read_matrix(path: str | Path) -> MatrixData:
    """Read an activity-matrix instance (folder or workbook, kind ``activity_matrix``).

    Raises
    ------
    InputError
        On any bad table, row or field (the message names file, row and field).
    """
    return build_matrix(read_raw(path, expect_kind=INSTANCE_KIND))


def _opt(raw: RawInstance, name: str) -> Table | None:
    return raw.tables.get(name)


def build_matrix(raw: RawInstance) -> MatrixData:
    """Validate a :class:`RawInstance` into :class:`MatrixData` (the instance's own demand).

    One small reader per table; each names file, row and field of a bad row. The cross-table
    rules are checked again by :class:`MatrixData` itself, so data built in code is held to
    the same rules as data read from files.
    """
    params = parse_parameters(raw, MatrixParameters)
    days = params.days
    sessions = _read_sessions(raw)
    sids = [s.session for s in sessions]
    rooms = _read_rooms(raw)
    rids = [r.room for r in rooms]
    types = _read_activity_types(raw, rooms)
    tids = [t.activity_type for t in types]
    staff_per = _read_activity_staff(raw, tids)
    staff_rows = _read_staff(raw, tids)
    avail_rules = _read_availability(raw, days, staff_rows, sids)
    closed_rules = _read_room_closed(raw, days, rids, sids)
    same_day = _read_same_day(raw, days, tids)
    same_day.update(_same_day_from_profile(raw, types, raw.table("activity_types"), days, same_day))
    rules = _read_day_rules(raw, days, tids)
    pins = _read_pinned(raw, days, sids, rooms, types, closed_rules)
    activity_types = tuple(
        ActivityType(
            id=t.activity_type,
            name=t.name or t.activity_type,
            priority=t.priority,
            capability=t.capability,
            sessions_per_week=t.sessions_per_week,
            patients_per_session=t.patients_per_session,
            color=t.color,
            staff_per_session=staff_per[t.activity_type],
        )
        for t in types
    )
    staff = tuple(
        Staff(
            id=s.staff,
            name=s.name or s.staff,
            competence=s.competence,
            count=s.count,
            activities=_split_list(s.activities)
            or tuple(t for t in tids if staff_per[t].get(s.competence, 0) > 0),
        )
        for s in staff_rows
    )
    need = {t.id: t.sessions_per_week for t in activity_types}
    closed, availability = resolve_week_type(params.week_type, closed_rules, avail_rules)
    try:
        return MatrixData(
            name=raw.name,
            unit=params.unit or raw.name,
            week_type=params.week_type,
            days=days,
            sessions=tuple(Session(id=s.session, start=s.start, end=s.end) for s in sessions),
            rooms=tuple(
                Room(id=r.room, name=r.name or r.room, capabilities=_split_list(r.capabilities))
                for r in rooms
            ),
            activity_types=activity_types,
            staff=staff,
            need=need,
            need_source={t: "instance" for t in need},
            closed=closed,
            availability=availability,
            closed_rules=closed_rules,
            availability_rules=avail_rules,
            same_day=same_day,
            day_rules=rules,
            pins=pins,
        )
    except ValidationError as exc:  # pragma: no cover - the table readers catch these first
        raise validation_to_input_error(exc, str(raw.source), None) from None


def _read_sessions(raw: RawInstance) -> tuple[SessionRow, ...]:
    t_sess = raw.table("sessions")
    sessions = parse_rows(t_sess, SessionRow)
    check_unique(sessions, t_sess, "session")
    if not sessions:
        raise InputError("at least one session (part of day) is needed", file=t_sess.where)
    for i, s in enumerate(sessions):
        if s.end <= s.start:
            raise InputError(
                f"session ends ({s.end}) before it starts ({s.start})",
                file=t_sess.where,
                row=t_sess.row_number(i),
                field="end",
            )
    return sessions


def _read_rooms(raw: RawInstance) -> tuple[RoomRow, ...]:
    t_rooms = raw.table("rooms")
    rooms = parse_rows(t_rooms, RoomRow)
    check_unique(rooms, t_rooms, "room")
    if not rooms:
        raise InputError("at least one room is needed", file=t_rooms.where)
    return rooms


def _read_activity_types(
    raw: RawInstance, rooms: tuple[RoomRow, ...]
) -> tuple[ActivityTypeRow, ...]:
    all_caps = {c for r in rooms for c in _split_list(r.capabilities)}
    t_types = raw.table("activity_types")
    types = parse_rows(t_types, ActivityTypeRow)
    check_unique(types, t_types, "activity_type")
    if not types:
        raise InputError("at least one activity type is needed", file=t_types.where)
    for i, t in enumerate(types):
        if t.capability is not None and t.capability not in all_caps:
            raise InputError(
                f"no room has capability '{t.capability}'",
                file=t_types.where,
                row=t_types.row_number(i),
                field="capability",
            )
    return types


def _read_activity_staff(raw: RawInstance, tids: list[str]) -> dict[str, dict[str, int]]:
    """Activity type → competence → people one session needs."""
    t_need = raw.table("activity_staff")
    needs = parse_rows(t_need, ActivityStaffRow)
    check_unique(needs, t_need, "activity_type", "competence")
    check_ref(needs, t_need, "activity_type", tids, "activity type")
    staff_per: dict[str, dict[str, int]] = {t: {} for t in tids}
    for n in needs:
        staff_per[n.activity_type][n.competence] = n.staff
    return staff_per


def _read_staff(raw: RawInstance, tids: list[str]) -> tuple[StaffRow, ...]:
    t_staff = raw.table("staff")
    staff_rows = parse_rows(t_staff, StaffRow)
    check_unique(staff_rows, t_staff, "staff")
    for i, sr in enumerate(staff_rows):
        for a in _split_list(sr.activities):
            if a not in tids:
                raise InputError(
                    f"activity type '{a}' is not defined",
                    file=t_staff.where,
                    row=t_staff.row_number(i),
                    field="activities",
                )
    return staff_rows


def _read_availability(
    raw: RawInstance, days: tuple[int, ...], staff_rows: tuple[StaffRow, ...], sids: list[str]
) -> tuple[tuple[str | None, str, int, str, int], ...]:
    """(week type, staff, weekday, session, available) rules, expanded over days/sessions."""
    t_av = _opt(raw, "staff_availability")
    if t_av is None:
        return ()
    count = {s.staff: s.count for s in staff_rows}
    av_rows = parse_rows(t_av, AvailabilityRow)
    check_ref(av_rows, t_av, "staff", list(count), "staff")
    check_ref(av_rows, t_av, "session", sids, "session", optional=True)
    rules: list[tuple[str | None, str, int, str, int]] = []
    for i, av in enumerate(av_rows):
        if av.available > count[av.staff]:
            raise InputError(
                f"{av.available} available but staff '{av.staff}' has count {count[av.staff]}",
                file=t_av.where,
                row=t_av.row_number(i),
                field="available",
            )
        for d in days if av.weekday is None else (av.weekday,):
            for k in sids if av.session is None else (av.session,):
                rules.append((av.week_type, av.staff, d, k, av.available))
    return tuple(rules)


def _read_room_closed(
    raw: RawInstance, days: tuple[int, ...], rids: list[str], sids: list[str]
) -> tuple[tuple[str | None, str, int, str], ...]:
    """(week type, room, weekday, session) closures, expanded over days/sessions."""
    t_cl = _opt(raw, "room_closed")
    if t_cl is None:
        return ()
    cl_rows = parse_rows(t_cl, ClosedRow)
    check_ref(cl_rows, t_cl, "room", rids, "room")
    check_ref(cl_rows, t_cl, "session", sids, "session", optional=True)
    return tuple(
        (c.week_type, c.room, d, k)
        for c in cl_rows
        for d in (days if c.weekday is None else (c.weekday,))
        for k in (sids if c.session is None else (c.session,))
    )


def _read_same_day(
    raw: RawInstance, days: tuple[int, ...], tids: list[str]
) -> dict[tuple[str, int], int]:
    t_sd = _opt(raw, "same_day")
    if t_sd is None:
        return {}
    sd_rows = parse_rows(t_sd, SameDayRow)
    check_ref(sd_rows, t_sd, "activity_type", tids, "activity type")
    check_unique(sd_rows, t_sd, "activity_type", "weekday")
    _check_days(sd_rows, t_sd, days)
    return {(r.activity_type, r.weekday): r.sessions for r in sd_rows}


def _read_day_rules(
    raw: RawInstance, days: tuple[int, ...], tids: list[str]
) -> tuple[DayRule, ...]:
    t_ru = _opt(raw, "day_rules")
    if t_ru is None:
        return ()
    ru_rows = parse_rows(t_ru, DayRuleRow)
    check_ref(ru_rows, t_ru, "activity_type", tids, "activity type")
    _check_days(ru_rows, t_ru, days)
    rules: list[DayRule] = []
    for i, r in enumerate(ru_rows):
        lo, hi = r.min_sessions, r.max_sessions
        problem = None
        if lo is None and hi is None:
            problem = "give min_sessions, max_sessions or both"
        elif lo is not None and hi is not None and lo > hi:
            problem = f"min_sessions {lo} is above max_sessions {hi}"
        if problem is not None:
            raise InputError(problem, file=t_ru.where, row=t_ru.row_number(i), field="min_sessions")
        rules.extend(
            DayRule(activity_type=r.activity_type, weekday=d, min_sessions=lo or 0, max_sessions=hi)
            for d in (days if r.weekday is None else (r.weekday,))
        )
    return tuple(rules)


def _read_pinned(
    raw: RawInstance,
    days: tuple[int, ...],
    sids: list[str],
    rooms: tuple[RoomRow, ...],
    types: tuple[ActivityTypeRow, ...],
    closed_rules: tuple[tuple[str | None, str, int, str], ...],
) -> tuple[Pin, ...]:
    t_pin = _opt(raw, "pinned")
    if t_pin is None:
        return ()
    pin_rows = parse_rows(t_pin, PinnedRow)
    check_ref(pin_rows, t_pin, "room", [r.room for r in rooms], "room")
    check_ref(pin_rows, t_pin, "session", sids, "session")
    check_ref(pin_rows, t_pin, "activity_type", [t.activity_type for t in types], "activity type")
    check_unique(pin_rows, t_pin, "room", "weekday", "session", what="pinned cell")
    _check_days(pin_rows, t_pin, days)
    always_closed = {(r, d, k) for wt, r, d, k in closed_rules if wt is None}
    caps = {r.room: _split_list(r.capabilities) for r in rooms}
    cap_of = {t.activity_type: t.capability for t in types}
    for i, p in enumerate(pin_rows):
        problem = _pin_problem(p, always_closed, caps, cap_of)
        if problem is not None:
            message, field = problem
            raise InputError(message, file=t_pin.where, row=t_pin.row_number(i), field=field)
    return tuple(
        Pin(room=p.room, weekday=p.weekday, session=p.session, activity_type=p.activity_type)
        for p in pin_rows
    )


def _pin_problem(
    p: PinnedRow | Pin,
    closed: Set[tuple[str, int, str]],
    caps: Mapping[str, tuple[str, ...]],
    cap_of: Mapping[str, str | None],
) -> tuple[str, str] | None:
    """(message, field) when pin ``p`` is in a closed cell or a room without the capability."""
    if (p.room, p.weekday, p.session) in closed:
        return f"room '{p.room}' is closed on {DAY_NAMES_LONG[p.weekday]} {p.session}", "room"
    need_cap = cap_of[p.activity_type]
    if need_cap is not None and need_cap not in caps[p.room]:
        return (
            f"room '{p.room}' lacks capability '{need_cap}' needed by '{p.activity_type}'",
            "activity_type",
        )
    return None


def _same_day_from_profile(
    raw: RawInstance,
    types: tuple[ActivityTypeRow, ...],
    t_types: Table,
    days: tuple[int, ...],
    explicit: Mapping[tuple[str, int], int],
) -> dict[tuple[str, int], int]:
    """Spread each type's ``same_day_per_week`` over the days in proportion to the inflow.

    Largest-remainder rounding: every day gets ⌊S·share⌋, the sessions left go to the days
    with the largest remainders (ties: the earlier day). The seeds' Eksjö example: inflow
    peaks Monday–Tuesday, so that is where the same-day slots go.
    """
    wanted = [(i, t) for i, t in enumerate(types) if t.same_day_per_week > 0]
    if not wanted:
        return {}
    t_prof = _opt(raw, "inflow_profile")
    if t_prof is None:
        i, t = wanted[0]
        raise InputError(
            "same_day_per_week needs an inflow_profile table (weekday, share)",
            file=t_types.where,
            row=t_types.row_number(i),
            field="same_day_per_week",
        )
    prof_rows = parse_rows(t_prof, ProfileRow)
    check_unique(prof_rows, t_prof, "weekday")
    _check_days(prof_rows, t_prof, days)
    share = {r.weekday: r.share for r in prof_rows}
    total = sum(share.values())
    if total <= 0:
        raise InputError("the shares must add up to more than 0", file=t_prof.where, field="share")
    out: dict[tuple[str, int], int] = {}
    for i, t in wanted:
        if any(tt == t.activity_type for (tt, _d) in explicit):
            raise InputError(
                f"'{t.activity_type}' has same-day sessions in same_day.csv too; "
                "give one or the other",
                file=t_types.where,
                row=t_types.row_number(i),
                field="same_day_per_week",
            )
        quota = {d: t.same_day_per_week * share.get(d, 0.0) / total for d in days}
        alloc = {d: math.floor(round(q, 9)) for d, q in quota.items()}
        left = max(0, t.same_day_per_week - sum(alloc.values()))
        for d in sorted(days, key=lambda d: (-(quota[d] - alloc[d]), d))[:left]:
            alloc[d] += 1
        out.update({(t.activity_type, d): n for d, n in alloc.items() if n > 0})
    return out


def _check_days(rows: tuple[Row, ...], table: Table, days: tuple[int, ...]) -> None:
    for i, r in enumerate(rows):
        d = getattr(r, "weekday", None)
        if d is not None and d not in days:
            raise InputError(
                f"{DAY_NAMES_LONG[d]} is not one of the matrix's days {list(days)}",
                file=table.where,
                row=table.row_number(i),
                field="weekday",
            )


def plan_mapping(raw: RawInstance, tids: list[str]) -> dict[str, str]:
    """Planning object → activity type from the optional ``plan_mapping`` table."""
    t_map = _opt(raw, "plan_mapping")
    if t_map is None:
        return {}
    rows = parse_rows(t_map, MappingRow)
    check_unique(rows, t_map, "planning_object")
    check_ref(rows, t_map, "activity_type", tids, "activity type")
    return {r.planning_object: r.activity_type for r in rows}


def sessions_for(production: float, patients_per_session: float) -> int:
    """Sessions needed to produce ``production`` patients: rounded up (2.0000001 → 2)."""
    ratio = production / patients_per_session
    nearest = round(ratio)
    if abs(ratio - nearest) <= RATIO_TOLERANCE:
        return int(nearest)
    return math.ceil(ratio)

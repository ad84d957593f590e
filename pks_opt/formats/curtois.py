"""The Curtois & Qu (2014) shift-scheduling benchmark: reader, importer and evaluator.

* :func:`read_curtois` parses an ``InstanceN.txt`` (format: ``../shared/benchmarks/curtois/
  FORMAT.md``) into a plain :class:`CurtoisInstance`; errors name file, line and field.
* :func:`to_roster_data` translates it into the rostering engine's :class:`RosterData`
  (one competence, one tier, one weighted stage: the benchmark's objective).
* :func:`evaluate` recomputes the benchmark objective and lists hard-constraint violations
  from a roster alone — it shares no code with the model, so it checks it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pks_opt.constants import DAYS_PER_WEEK
from pks_opt.errors import InputError
from pks_opt.limits import MAX_ROSTER_CELLS, MAX_ROSTER_DAYS, check_size
from pks_opt.rostering.data import (
    Absence,
    Demand,
    RosterData,
    Rules,
    ShiftType,
    StaffMember,
    Succession,
    Wish,
)

SECTIONS = (
    "SECTION_HORIZON",
    "SECTION_SHIFTS",
    "SECTION_STAFF",
    "SECTION_DAYS_OFF",
    "SECTION_SHIFT_ON_REQUESTS",
    "SECTION_SHIFT_OFF_REQUESTS",
    "SECTION_COVER",
)
COMPETENCE = "all"  # the benchmark has no skills: MaxShifts=0 encodes who may work what
START_DATE = date(2014, 1, 6)  # a Monday, as in the .ros version of Instance1
#: Saturday and Sunday as days of a week counted from Monday (the weekends MaxWeekends counts)
SAT, SUN = 5, 6


def weekend_pairs(horizon: int) -> list[tuple[int, int]]:
    """(Saturday, Sunday) of every whole week of a ``horizon``-day roster, week by week."""
    return [
        (DAYS_PER_WEEK * k + SAT, DAYS_PER_WEEK * k + SUN) for k in range(horizon // DAYS_PER_WEEK)
    ]


def weekend_days(horizon: int) -> list[int]:
    """Saturday and Sunday of every whole week of a ``horizon``-day roster."""
    return [d for pair in weekend_pairs(horizon) for d in pair]


@dataclass(frozen=True)
class CStaff:
    """One employee of a Curtois instance and the limits of the benchmark's hard rules."""

    id: str
    max_shifts: dict[str, int]
    max_minutes: int
    min_minutes: int
    max_consecutive: int
    min_consecutive: int
    min_days_off: int
    max_weekends: int


@dataclass(frozen=True)
class CurtoisInstance:
    """A Curtois-Qu benchmark instance as read, days counted from 0."""

    name: str
    horizon: int
    shift_minutes: dict[str, int]
    cannot_follow: dict[str, tuple[str, ...]]
    staff: tuple[CStaff, ...]
    days_off: dict[str, tuple[int, ...]]
    on_requests: tuple[tuple[str, int, str, int], ...]
    off_requests: tuple[tuple[str, int, str, int], ...]
    cover: tuple[tuple[int, str, int, int, int], ...]  # day, shift, req, w_under, w_over


def is_curtois(path: Path) -> bool:
    """Tell whether ``path`` is a ``.txt`` file whose first section is ``SECTION_HORIZON``."""
    if path.suffix.lower() != ".txt" or not path.is_file():
        return False
    try:
        head = path.read_text(encoding="ascii", errors="replace")[:2000]
    except OSError:
        return False
    return "SECTION_HORIZON" in head


def read_curtois(path: str | Path) -> CurtoisInstance:
    """Parse a benchmark file (CRLF or LF, an optional UTF-8 byte-order mark).

    Every value is checked against the ranges of ``docs/rostering.md`` ("Curtois & Qu
    benchmark files") before anything of the horizon's size is built; errors name the file,
    the line (as ``row``), the section and the field.
    """
    p = Path(path)
    try:
        text = p.read_bytes().removeprefix(b"\xef\xbb\xbf").decode("ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read: {exc}", file=str(p)) from None
    rd = _Reader(str(p), text)
    horizon = rd.horizon()
    shift_minutes, cannot_follow = rd.shifts()
    staff, staff_line = rd.staff()
    check_size(
        "staff × days × shift types",
        len(staff) * horizon * len(shift_minutes),
        MAX_ROSTER_CELLS,
        file=rd.where,
        field="SECTION_STAFF",
    )
    days_off = rd.days_off()
    on, off = rd.requests("SECTION_SHIFT_ON_REQUESTS"), rd.requests("SECTION_SHIFT_OFF_REQUESTS")
    cover = rd.cover()
    _check_staff_plausible(staff, staff_line, shift_minutes, horizon, days_off, rd.where)
    return CurtoisInstance(
        p.stem, horizon, shift_minutes, cannot_follow, tuple(staff), days_off, on, off, cover
    )


class _Reader:
    """The sections of one benchmark file, read one at a time.

    Each reader checks its values (and the ids and days it refers to) and names file, line,
    section and field.
    """

    def __init__(self, where: str, text: str) -> None:
        self.where = where
        self.sections: dict[str, list[tuple[int, list[str]]]] = {}
        self.section_line: dict[str, int] = {}
        self.horizon_days = 0
        self.shift_minutes: dict[str, int] = {}
        self.ids: set[str] = set()
        self._split(text)

    def _split(self, text: str) -> None:
        """Lines per section (comments and blank lines skipped); every section once."""
        current: str | None = None
        for lineno, line in enumerate(text.replace("\r", "").split("\n"), start=1):
            s = line.strip()
            if s.startswith("#"):
                continue
            if not s:
                current = None
            elif s.startswith("SECTION_"):
                if s not in SECTIONS:
                    raise InputError(f"unknown section {s}", file=self.where, row=lineno)
                if s in self.sections:
                    raise InputError(
                        f"{s} appears twice (first on line {self.section_line[s]})",
                        file=self.where,
                        row=lineno,
                    )
                current = s
                self.sections[s], self.section_line[s] = [], lineno
            elif current is None:
                raise InputError("line outside any section", file=self.where, row=lineno)
            else:
                self.sections[current].append((lineno, [f.strip() for f in s.split(",")]))
        for sec in SECTIONS:
            if sec not in self.sections:
                raise InputError(f"missing {sec}", file=self.where)

    def num(self, v: str, lineno: int, fld: str, section: str = "") -> int:
        """Read a non-negative integer (each number of the format is a count, minutes or weight)."""
        head = f"{section}: " if section else ""
        try:
            n = int(v)
        except ValueError:
            raise InputError(
                f"{head}expected an integer (got {v!r})", file=self.where, row=lineno, field=fld
            ) from None
        if n < 0:
            raise InputError(
                f"{head}must not be negative (got {n})", file=self.where, row=lineno, field=fld
            )
        return n

    def staff_ref(self, v: str, lineno: int) -> str:
        if v not in self.ids:
            raise InputError(
                f"staff {v!r} is not defined", file=self.where, row=lineno, field="EmployeeID"
            )
        return v

    def day_ref(self, v: str, lineno: int, fld: str, sec: str) -> int:
        d = self.num(v, lineno, fld, sec)
        if not 0 <= d < self.horizon_days:
            raise InputError(
                f"{sec}: day {d} outside 0..{self.horizon_days - 1}",
                file=self.where,
                row=lineno,
                field=fld,
            )
        return d

    def shift_ref(self, v: str, lineno: int, fld: str = "ShiftID") -> str:
        if v not in self.shift_minutes:
            raise InputError(f"shift {v!r} is not defined", file=self.where, row=lineno, field=fld)
        return v

    def horizon(self) -> int:
        """SECTION_HORIZON: one number of days, 1 … MAX_ROSTER_DAYS."""
        hz = self.sections["SECTION_HORIZON"]
        if len(hz) != 1:
            raise InputError(
                "SECTION_HORIZON must hold one number",
                file=self.where,
                row=self.section_line["SECTION_HORIZON"],
            )
        horizon = self.num(hz[0][1][0], hz[0][0], "horizon", "SECTION_HORIZON")
        if not 0 < horizon <= MAX_ROSTER_DAYS:
            raise InputError(
                f"SECTION_HORIZON: the horizon must be 1..{MAX_ROSTER_DAYS} days (got {horizon})",
                file=self.where,
                row=hz[0][0],
                field="horizon",
            )
        self.horizon_days = horizon
        return horizon

    def shifts(self) -> tuple[dict[str, int], dict[str, tuple[str, ...]]]:
        """SECTION_SHIFTS: unique ids, lengths in (0, 1440], CannotFollow of defined shifts."""
        follow_raw: dict[str, tuple[int, list[str]]] = {}
        for lineno, f in self.sections["SECTION_SHIFTS"]:
            if len(f) < 2:
                raise InputError(
                    "expected ShiftID, Length, CannotFollow", file=self.where, row=lineno
                )
            if f[0] in self.shift_minutes:
                raise InputError(
                    f"duplicate shift id {f[0]!r}", file=self.where, row=lineno, field="ShiftID"
                )
            length = self.num(f[1], lineno, "LengthInMinutes", "SECTION_SHIFTS")
            if not 0 < length <= 24 * 60:
                raise InputError(
                    "shift length must be in (0, 1440] minutes",
                    file=self.where,
                    row=lineno,
                    field="LengthInMinutes",
                )
            self.shift_minutes[f[0]] = length
            follow_raw[f[0]] = (lineno, [x for x in (f[2].split("|") if len(f) > 2 else []) if x])
        cannot_follow = {
            s: tuple(self.shift_ref(t, lineno, "CannotFollow") for t in lst)
            for s, (lineno, lst) in follow_raw.items()
        }
        return dict(self.shift_minutes), cannot_follow

    def staff(self) -> tuple[list[CStaff], dict[str, int]]:
        """SECTION_STAFF: 8 fields, unique ids, MaxShifts of defined shifts, six numbers."""
        staff: list[CStaff] = []
        staff_line: dict[str, int] = {}
        names = [
            "MaxTotalMinutes",
            "MinTotalMinutes",
            "MaxConsecutiveShifts",
            "MinConsecutiveShifts",
            "MinConsecutiveDaysOff",
            "MaxWeekends",
        ]
        for lineno, f in self.sections["SECTION_STAFF"]:
            if len(f) != 8:
                raise InputError(f"expected 8 fields, got {len(f)}", file=self.where, row=lineno)
            if f[0] in staff_line:
                raise InputError(
                    f"duplicate staff id {f[0]!r}", file=self.where, row=lineno, field="ID"
                )
            ms: dict[str, int] = {}
            for item in (x for x in f[1].split("|") if x):
                k, _, v = item.partition("=")
                ms[self.shift_ref(k, lineno, "MaxShifts")] = self.num(
                    v, lineno, "MaxShifts", "SECTION_STAFF"
                )
            vals = [
                self.num(v, lineno, n, "SECTION_STAFF") for v, n in zip(f[2:], names, strict=True)
            ]
            staff.append(CStaff(f[0], ms, *vals))
            staff_line[f[0]] = lineno
        self.ids = set(staff_line)
        return staff, staff_line

    def days_off(self) -> dict[str, tuple[int, ...]]:
        """SECTION_DAYS_OFF: a defined person and days in the horizon."""
        days_off: dict[str, tuple[int, ...]] = {}
        for lineno, f in self.sections["SECTION_DAYS_OFF"]:
            e = self.staff_ref(f[0], lineno)
            days_off[e] = days_off.get(e, ()) + tuple(
                self.day_ref(v, lineno, "Day", "SECTION_DAYS_OFF") for v in f[1:] if v
            )
        return days_off

    def requests(self, sec: str) -> tuple[tuple[str, int, str, int], ...]:
        """SECTION_SHIFT_ON/OFF_REQUESTS: EmployeeID, Day, ShiftID, Weight."""
        out = []
        for lineno, f in self.sections[sec]:
            if len(f) != 4:
                raise InputError(
                    "expected EmployeeID, Day, ShiftID, Weight", file=self.where, row=lineno
                )
            out.append(
                (
                    self.staff_ref(f[0], lineno),
                    self.day_ref(f[1], lineno, "Day", sec),
                    self.shift_ref(f[2], lineno),
                    self.num(f[3], lineno, "Weight", sec),
                )
            )
        return tuple(out)

    def cover(self) -> tuple[tuple[int, str, int, int, int], ...]:
        """Read SECTION_COVER: one line per (day, shift); a missing one means a cut or bad file."""
        sec = "SECTION_COVER"
        cover: list[tuple[int, str, int, int, int]] = []
        cover_line: dict[tuple[int, str], int] = {}
        for lineno, f in self.sections[sec]:
            if len(f) != 5:
                raise InputError(
                    f"{sec}: expected Day, ShiftID, Requirement, WeightUnder, "
                    f"WeightOver, got {len(f)} field(s) (is the file cut?)",
                    file=self.where,
                    row=lineno,
                )
            key = (self.day_ref(f[0], lineno, "Day", sec), self.shift_ref(f[1], lineno))
            if key in cover_line:
                raise InputError(
                    f"{sec}: a second line for day {key[0]}, shift {key[1]} (first on "
                    f"line {cover_line[key]})",
                    file=self.where,
                    row=lineno,
                    field="Day",
                )
            cover_line[key] = lineno
            nums = [
                self.num(f[i], lineno, n, sec)
                for i, n in ((2, "Requirement"), (3, "WeightUnder"), (4, "WeightOver"))
            ]
            cover.append((key[0], key[1], nums[0], nums[1], nums[2]))
        self._cover_complete(cover_line)
        return tuple(cover)

    def _cover_complete(self, cover_line: dict[tuple[int, str], int]) -> None:
        sec = "SECTION_COVER"
        expected = self.horizon_days * len(self.shift_minutes)
        for d in range(self.horizon_days):
            for t in self.shift_minutes:
                if (d, t) not in cover_line:
                    last = max(cover_line.values(), default=self.section_line[sec])
                    raise InputError(
                        f"{sec} has no line for day {d}, shift {t} ({len(cover_line)} of "
                        f"{expected} lines; is the file cut after line {last}?)",
                        file=self.where,
                        row=last,
                        field="Day",
                    )


def _check_staff_plausible(
    staff: list[CStaff],
    line: Mapping[str, int],
    shift_minutes: Mapping[str, int],
    horizon: int,
    days_off: Mapping[str, tuple[int, ...]],
    where: str,
) -> None:
    """Contradictions inside one employee's line: input errors, not an "infeasible" result.

    Each check compares a lower limit with an upper bound that holds for every roster, so a
    legitimately tight instance is never refused.
    """
    for e in staff:
        row = line[e.id]
        if e.min_minutes > e.max_minutes:
            raise InputError(
                f"SECTION_STAFF: {e.id} has MinTotalMinutes {e.min_minutes} > "
                f"MaxTotalMinutes {e.max_minutes}",
                file=where,
                row=row,
                field="MinTotalMinutes",
            )
        # most minutes any roster can give: per shift type at most MaxShifts of it (a type
        # missing from the list is unlimited), on at most the days that are not days off
        free_days = horizon - len(set(days_off.get(e.id, ())))
        per_type = sorted(
            ((m, e.max_shifts.get(t, horizon)) for t, m in shift_minutes.items()), reverse=True
        )
        most, days_left = 0, free_days
        for minutes, count in per_type:
            take = min(count, days_left)
            most += take * minutes
            days_left -= take
        if e.min_minutes > most:
            raise InputError(
                f"SECTION_STAFF: {e.id} has MinTotalMinutes {e.min_minutes}, but "
                f"at most {most} minutes can be worked ({free_days} days without "
                "a day off, MaxShifts per type)",
                file=where,
                row=row,
                field="MinTotalMinutes",
            )


def to_roster_data(inst: CurtoisInstance) -> RosterData:
    """Turn the benchmark into rostering data: the same engine, the benchmark's rules, weights."""
    shifts = tuple(
        ShiftType(id=s, start_minute=None, duration_minutes=m, paid_minutes=m, category="day")
        for s, m in inst.shift_minutes.items()
    )
    staff = tuple(
        StaffMember(
            id=e.id,
            competences=(COMPETENCE,),
            min_minutes=e.min_minutes,
            max_minutes=e.max_minutes,
            max_consecutive_days=e.max_consecutive,
            min_consecutive_days=e.min_consecutive,
            min_consecutive_days_off=e.min_days_off,
            max_weekends=e.max_weekends,
            max_shifts=dict(e.max_shifts),
        )
        for e in inst.staff
    )
    demand = tuple(
        Demand(
            day=d,
            shift=s,
            competence=COMPETENCE,
            required=r,
            tier=1,
            weight_under=wu,
            weight_over=wo,
            source="cover",
        )
        for d, s, r, wu, wo in inst.cover
    )
    wishes = tuple(
        [Wish(staff=e, day=d, shift=s, work=True, weight=w) for e, d, s, w in inst.on_requests]
        + [Wish(staff=e, day=d, shift=s, work=False, weight=w) for e, d, s, w in inst.off_requests]
    )
    absences = tuple(
        Absence(day=d, staff=e, reason="day off") for e, days in inst.days_off.items() for d in days
    )
    forbidden = tuple(
        Succession(first=s, second=t, gap_days=1)
        for s, lst in inst.cannot_follow.items()
        for t in lst
    )
    rules = Rules(weekly_rest_minutes=0, max_avg_weekly_minutes=None, lexicographic=False)
    return RosterData(
        name=inst.name,
        start_date=START_DATE,
        num_days=inst.horizon,
        shifts=shifts,
        staff=staff,
        demand=demand,
        absences=absences,
        wishes=wishes,
        forbidden=forbidden,
        rules=rules,
    )


@dataclass
class Evaluation:
    """Benchmark objective of a roster, its parts, and the hard constraints it breaks."""

    objective: int
    terms: dict[str, int] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)

    @property
    def feasible(self) -> bool:
        """True when the roster breaks none of the benchmark's hard constraints."""
        return not self.violations


def evaluate(inst: CurtoisInstance, roster: Mapping[tuple[str, int], str]) -> Evaluation:
    """Objective (FORMAT.md §4) and hard-constraint violations (§3) of ``roster``.

    ``roster`` maps (staff id, day) to the shift worked; absent keys are days off.
    """
    h = inst.horizon
    viol: list[str] = []
    ids = {e.id for e in inst.staff}
    for (e_id, d), s in roster.items():
        if e_id not in ids or not 0 <= d < h or s not in inst.shift_minutes:
            viol.append(f"unknown assignment {e_id} day {d} shift {s}")
    on_pen = sum(w for e, d, s, w in inst.on_requests if roster.get((e, d)) != s)
    off_pen = sum(w for e, d, s, w in inst.off_requests if roster.get((e, d)) == s)
    under = over = 0
    count: dict[tuple[int, str], int] = {}
    for (_e, d), s in roster.items():
        count[d, s] = count.get((d, s), 0) + 1
    for d, s, req, wu, wo in inst.cover:
        n = count.get((d, s), 0)
        under += wu * max(0, req - n)
        over += wo * max(0, n - req)
    for emp in inst.staff:
        viol.extend(_person_violations(inst, emp, [roster.get((emp.id, d)) for d in range(h)]))
    terms = {
        "on_requests": on_pen,
        "off_requests": off_pen,
        "cover_under": under,
        "cover_over": over,
    }
    return Evaluation(sum(terms.values()), terms, viol)


def _person_violations(inst: CurtoisInstance, emp: CStaff, works: list[str | None]) -> list[str]:
    """FORMAT.md §3 (2)–(9) for one employee's shifts by day (None: off)."""
    h = inst.horizon
    viol: list[str] = []
    on = [s is not None for s in works]
    for d in range(h - 1):  # (2) rotation
        a, b = works[d], works[d + 1]
        if a is not None and b is not None and b in inst.cannot_follow.get(a, ()):
            viol.append(f"{emp.id}: {b} on day {d + 1} cannot follow {a} on day {d}")
    for s, limit in emp.max_shifts.items():  # (3)
        n = sum(1 for x in works if x == s)
        if n > limit:
            viol.append(f"{emp.id}: {n} shifts of {s} > max {limit}")
    minutes = sum(inst.shift_minutes[x] for x in works if x is not None)  # (4)
    if not emp.min_minutes <= minutes <= emp.max_minutes:
        viol.append(f"{emp.id}: {minutes} minutes outside [{emp.min_minutes}, {emp.max_minutes}]")
    for start, length, worked in _runs(on):  # (5)-(7)
        inside = start > 0 and start + length < h
        if worked and length > emp.max_consecutive:
            viol.append(
                f"{emp.id}: {length} consecutive shifts from day {start} > {emp.max_consecutive}"
            )
        if worked and inside and length < emp.min_consecutive:
            viol.append(
                f"{emp.id}: {length} consecutive shifts from day {start} < {emp.min_consecutive}"
            )
        if not worked and inside and length < emp.min_days_off:
            viol.append(f"{emp.id}: {length} days off from day {start} < {emp.min_days_off}")
    weekends = sum(1 for w in range(h // DAYS_PER_WEEK) if on[7 * w + 5] or on[7 * w + 6])  # (8)
    if weekends > emp.max_weekends:
        viol.append(f"{emp.id}: {weekends} weekends > {emp.max_weekends}")
    viol.extend(
        f"{emp.id}: works on day off {d}" for d in inst.days_off.get(emp.id, ()) if on[d]
    )  # (9)
    return viol


def _runs(flags: list[bool]) -> list[tuple[int, int, bool]]:
    """Maximal runs as (start, length, value)."""
    out: list[tuple[int, int, bool]] = []
    i = 0
    while i < len(flags):
        j = i
        while j < len(flags) and flags[j] == flags[i]:
            j += 1
        out.append((i, j - i, flags[i]))
        i = j
    return out

"""The CP-SAT model of ``models/activity_matrix.md`` and its lexicographic solve.

One model per week type. Variables: ``room[r,d,k,t]`` (room r holds activity t in session k
of day d) and ``staff[s,d,k,t]`` (people of staff row s working activity t there). Hard
constraints R1–R6, soft day minimums (stage 1), weekly need by priority (stage 2), and the
shape of the week (stage 3: continuity, even spread, few room changes). Each stage's optimum
is fixed before the next stage is solved ("big rocks first").

Every objective term is an *exact* reification of what it counts (not only a bound that the
minimisation would pull tight): a stage that stops at the time limit, and every later stage
that merely keeps it ``≤`` its value, can leave the auxiliary variables anywhere their
constraints allow, so only exact terms make the solver's stage value equal the count of the
returned cells (``solution.stage_values``).

OR-Tools is imported lazily (inside :class:`MatrixModel`), as for every solver backend.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

from pks_opt.activity_matrix.data import DAY_NAMES, MatrixData
from pks_opt.constants import DEFAULT_TIME_LIMIT_S
from pks_opt.result import SolveStatus, StageReport
from pks_opt.stages import (
    CpSatAdapter,
    Outcome,
    Stage,
    TimeSplit,
    cp_status,
    exact,
    run_stages,
)

STAGE_DAY = "same-day"
STAGE_PLANNED = "planned"
STAGE_CONTINUITY = "continuity"
STAGE_SPREAD = "spread"
STAGE_CHANGES = "room-changes"
STAGE_FIT = "room-fit"
STAGES = (STAGE_DAY, STAGE_PLANNED, STAGE_CONTINUITY, STAGE_SPREAD, STAGE_CHANGES, STAGE_FIT)

Cell = tuple[str, int, str, str]  # (room or staff, weekday, session, activity type)
#: the time limit is CP-SAT deterministic time (reproducible: the same input and seed give the
#: same matrix however busy the machine is); wall-clock time is capped at this multiple of it
WALL_CLOCK_FACTOR = 3.0
#: a stage reached with (almost) no time left still gets this many deterministic seconds
MIN_STAGE_S = 0.01
#: wall-clock mode: the deterministic cap is this multiple of a stage's wall seconds (never
#: the one that stops a stage: the wall clock does)
DETERMINISTIC_HEADROOM = 1000.0


class WallClockCpSatAdapter(CpSatAdapter):
    """CP-SAT stages timed on the wall clock.

    A stage gets ``budget`` wall seconds and the stages share the wall seconds left (a stage
    stopped by the clock may differ between runs; :class:`CpSatAdapter` counts deterministic
    seconds instead).
    """

    def used_s(self) -> float:
        """Count wall-clock seconds since the adapter was made (not CP-SAT's deterministic time)."""
        return time.perf_counter() - self._t0

    def solve(self, stage: Stage, budget_s: float | None) -> Outcome:
        """Solve ``stage`` in ``budget_s`` wall seconds (the deterministic cap set far above it)."""
        # CpSatAdapter sets max_time = wall_factor x budget and max_deterministic = budget
        return super().solve(stage, None if budget_s is None else budget_s * DETERMINISTIC_HEADROOM)


def priority_weights(data: MatrixData) -> dict[str, int]:
    """Penalty per missing planned session, strictly lexicographic by priority.

    The least urgent priority level weighs 1; each more urgent level weighs one more than the
    largest possible penalty of all less urgent levels together, so one session of a more
    urgent type always outweighs any number of less urgent ones (priority 1 = most urgent).
    """
    levels = sorted({t.priority for t in data.activity_types}, reverse=True)
    weights: dict[str, int] = {}
    below = 0  # largest possible penalty of the less urgent levels
    for p in levels:
        w = below + 1
        for t in data.activity_types:
            if t.priority == p:
                weights[t.id] = w
        below += sum(w * data.weekly_need(t.id) for t in data.activity_types if t.priority == p)
    return weights


def day_requirements(data: MatrixData) -> dict[tuple[str, int], int]:
    """Sessions needed per (activity type, day): max(same-day sessions, at-least rule)."""
    out: dict[tuple[str, int], int] = {}
    for t in data.activity_types:
        for d in data.days:
            req = max(data.day_min(t.id, d))
            if req > 0:
                out[(t.id, d)] = req
    return out


def spread_types(data: MatrixData) -> list[str]:
    """Planned types whose sessions should spread evenly (not those with a day profile)."""
    profiled = {t for (t, _d) in day_requirements(data)}
    return [
        t.id for t in data.activity_types if data.weekly_need(t.id) > 0 and t.id not in profiled
    ]


def even_share(data: MatrixData, tid: str) -> tuple[int, int]:
    """(⌊N/D⌋, ⌈N/D⌉): the fewest and most sessions of ``tid`` a day when spread evenly."""
    need, days = data.weekly_need(tid), len(data.days)
    return need // days, -(-need // days)


def misplaced(data: MatrixData, room: str, tid: str) -> int:
    """1 if a session of ``tid``, which needs no equipment, sits in an equipped room."""
    return int(bool(data.room(room).capabilities) and data.activity(tid).capability is None)


def _status(code: Any, cp: Any) -> SolveStatus:
    """CP-SAT's status of a stage solve (:func:`pks_opt.stages.cp_status`)."""
    return cp_status(code, cp)


@dataclass
class MatrixRun:
    """What one week type's solve produced (values read back from the solver)."""

    data: MatrixData
    status: SolveStatus
    stages: list[StageReport] = field(default_factory=list)
    #: solver objective per stage (to check against the recomputation)
    stage_objectives: dict[str, float] = field(default_factory=dict)
    rooms: dict[tuple[str, int, str], str] = field(default_factory=dict)  # cell -> activity
    staff: dict[Cell, int] = field(default_factory=dict)  # (staff, d, k, t) -> people
    runtime_s: float = 0.0
    deterministic_time: float = 0.0


class MatrixModel:
    """CP-SAT model of one week type; reads like the spec's table of contents."""

    def __init__(self, data: MatrixData) -> None:
        """Build the CP-SAT model of ``data``: variables, hard rules and the stage objectives."""
        from ortools.sat.python import cp_model

        self.cp = cp_model
        self.data = data
        self.model = cp_model.CpModel()
        self.z: dict[Cell, Any] = {}
        self.y: dict[Cell, Any] = {}
        self.objectives: dict[str, Any] = {}
        self._variables()
        self._constraints()
        self._objectives()

    # ------------------------------------------------------------------ variables
    def _variables(self) -> None:
        d = self.data
        for r in d.rooms:
            for day in d.days:
                for k in d.sessions:
                    if not d.is_open(r.id, day, k.id):
                        continue
                    for t in d.activity_types:
                        if d.capable(r, t):
                            self.z[(r.id, day, k.id, t.id)] = self.model.new_bool_var(
                                f"room[{r.id},{DAY_NAMES[day]},{k.id},{t.id}]"
                            )
        for s in d.staff:
            for day in d.days:
                for k in d.sessions:
                    avail = d.available(s, day, k.id)
                    if avail <= 0:
                        continue
                    for t in d.activity_types:
                        if d.can_do(s, t):
                            self.y[(s.id, day, k.id, t.id)] = self.model.new_int_var(
                                0, avail, f"staff[{s.id},{DAY_NAMES[day]},{k.id},{t.id}]"
                            )

        self._by_cell: dict[tuple[str, int, str], list[Any]] = {}
        for (_r, dd, kk, tt), v in self.z.items():
            self._by_cell.setdefault((tt, dd, kk), []).append(v)
        self._competence = {s.id: s.competence for s in d.staff}

    def sessions_of(self, tid: str, day: int | None = None, sess: str | None = None) -> Any:
        """Linear expression: rooms holding ``tid`` (on ``day``, in ``sess``); 0 if none can."""
        return sum(
            sum(vs)
            for (tt, dd, kk), vs in self._by_cell.items()
            if tt == tid and (day is None or dd == day) and (sess is None or kk == sess)
        )

    # ---------------------------------------------------------------- constraints
    def _constraints(self) -> None:
        self._one_activity_per_room()
        self._staff_cover()
        self._staff_availability()
        self._pins()
        self._at_most_per_day()
        self._weekly_cap()

    def _one_activity_per_room(self) -> None:
        """(R1) A room holds at most one activity per session (capability/closure: R0 domains)."""
        cells: dict[tuple[str, int, str], list[Any]] = {}
        for (r, day, k, _t), v in self.z.items():
            cells.setdefault((r, day, k), []).append(v)
        for (r, day, k), vs in cells.items():
            if len(vs) > 1:
                self.model.add_at_most_one(vs).with_name(f"one_activity[{r},{DAY_NAMES[day]},{k}]")

    def _staff_cover(self) -> None:
        """(R2) Every session of t in (d,k) gets exactly its people of each competence."""
        d = self.data
        for day in d.days:
            for k in d.sessions:
                for t in d.activity_types:
                    rooms = self.sessions_of(t.id, day, k.id)
                    if isinstance(rooms, int):  # no room can hold t then
                        continue
                    for comp, people in t.staff_per_session.items():
                        staff = sum(
                            v
                            for (s, dd, kk, tt), v in self.y.items()
                            if dd == day
                            and kk == k.id
                            and tt == t.id
                            and self._competence[s] == comp
                        )
                        self.model.add(staff == people * rooms).with_name(
                            f"staff_cover[{DAY_NAMES[day]},{k.id},{t.id},{comp}]"
                        )

    def _staff_availability(self) -> None:
        """(R3) People of a staff row work at most one session's activity, within availability."""
        d = self.data
        for s in d.staff:
            for day in d.days:
                for k in d.sessions:
                    vs = [
                        v
                        for (ss, dd, kk, _t), v in self.y.items()
                        if ss == s.id and dd == day and kk == k.id
                    ]
                    if len(vs) > 1:
                        self.model.add(sum(vs) <= d.available(s, day, k.id)).with_name(
                            f"staff_available[{s.id},{DAY_NAMES[day]},{k.id}]"
                        )

    def _pins(self) -> None:
        """(R4) Pinned cells hold their activity."""
        for p in self.data.pins:
            name = f"pinned[{p.room},{DAY_NAMES[p.weekday]},{p.session}]"
            var = self.z.get((p.room, p.weekday, p.session, p.activity_type))
            if var is None:  # the room is closed then in this week type: no matrix
                self.model.add(self.model.new_constant(0) == 1).with_name(name)
            else:
                self.model.add(var == 1).with_name(name)

    def _at_most_per_day(self) -> None:
        """(R5) At most N sessions of a type per day (day_rules.max_sessions)."""
        d = self.data
        for t in d.activity_types:
            for day in d.days:
                cap = d.day_max(t.id, day)
                if cap is not None:
                    expr = self.sessions_of(t.id, day)
                    if not isinstance(expr, int):
                        self.model.add(expr <= cap).with_name(f"at_most[{t.id},{DAY_NAMES[day]}]")

    def _weekly_cap(self) -> None:
        """(R6) No more sessions of a type than needed (raised by day minimums and pins)."""
        for t in self.data.activity_types:
            expr = self.sessions_of(t.id)
            if not isinstance(expr, int):
                self.model.add(expr <= self.data.weekly_cap(t.id)).with_name(f"weekly_cap[{t.id}]")

    # ----------------------------------------------------------------- objectives
    def _objectives(self) -> None:
        self.objectives[STAGE_DAY] = self._day_shortfall()
        self.objectives[STAGE_PLANNED] = self._planned_shortfall()
        self.objectives[STAGE_CONTINUITY] = self._continuity()
        self.objectives[STAGE_SPREAD] = self._spread()
        self.objectives[STAGE_CHANGES] = self._room_changes()
        self.objectives[STAGE_FIT] = self._room_fit()

    def _day_shortfall(self) -> Any:
        """(O1) Sessions missing from each day's minimum (same-day slots, at-least rules)."""
        terms = []
        for (tid, day), req in day_requirements(self.data).items():
            short = self.model.new_int_var(0, req, f"day_short[{tid},{DAY_NAMES[day]}]")
            self.model.add_max_equality(short, [0, req - self.sessions_of(tid, day)])
            terms.append(short)
        return sum(terms)

    def _planned_shortfall(self) -> Any:
        """(O2) Missing weekly sessions, weighted strictly by priority."""
        weights = priority_weights(self.data)
        terms = []
        for t in self.data.activity_types:
            need = self.data.weekly_need(t.id)
            if need <= 0:
                continue
            short = self.model.new_int_var(0, need, f"week_short[{t.id}]")
            self.model.add_max_equality(short, [0, need - self.sessions_of(t.id)])
            terms.append(weights[t.id] * short)
        return sum(terms)

    def _continuity(self) -> Any:
        """(O3a) Distinct activity types per grid row (room × part of day) across the week.

        row_uses[r,k,t] = OR_d room[r,d,k,t] (both directions: a row used on no day counts 0).
        """
        d = self.data
        terms = []
        for t in d.activity_types:
            rows: list[tuple[int, Any]] = []  # (open days in the row, row uses t)
            for r in d.rooms:
                for k in d.sessions:
                    vs = [
                        self.z[(r.id, day, k.id, t.id)]
                        for day in d.days
                        if (r.id, day, k.id, t.id) in self.z
                    ]
                    if not vs:
                        continue
                    used = self.model.new_bool_var(f"row_uses[{r.id},{k.id},{t.id}]")
                    for v in vs:
                        self.model.add_implication(v, used)
                    self.model.add_bool_or(vs).only_enforce_if(used)
                    rows.append((len(vs), used))
                    terms.append(used)
            if rows:
                # (O3a') implied: t's sessions fit in the rows it uses; tightens the bound
                self.model.add(sum(n * u for n, u in rows) >= self.sessions_of(t.id))
        return sum(terms)

    def _spread(self) -> Any:
        """(O3b) Uneven spread: sessions above ⌈N/D⌉ or below ⌊N/D⌋ on a day, per spread type."""
        d = self.data
        terms: list[Any] = []
        for tid in spread_types(d):
            lo, hi = even_share(d, tid)
            for day in d.days:
                n = self.sessions_of(tid, day)
                if isinstance(n, int):
                    terms.append(max(0, lo - n) + max(0, n - hi))
                    continue
                over = self.model.new_int_var(
                    0, len(d.rooms) * len(d.sessions), f"over_share[{tid},{DAY_NAMES[day]}]"
                )
                under = self.model.new_int_var(0, lo, f"under_share[{tid},{DAY_NAMES[day]}]")
                self.model.add_max_equality(over, [0, n - hi])
                self.model.add_max_equality(under, [0, lo - n])
                terms += [over, under]
        return sum(terms)

    def _room_changes(self) -> Any:
        """(O3c) A room switching activity between consecutive sessions of a day.

        change = 1 exactly when the room is busy in k and in k+1 with different activities:
        same_t = room[k,t] ∧ room[k+1,t]; change ≥ busy(k) + busy(k+1) − 1 − Σ_t same_t and
        change ≤ busy(k), change ≤ busy(k+1), change ≤ 1 − Σ_t same_t (busy ≤ 1 by R1).
        """
        d = self.data
        terms = []
        for r in d.rooms:
            for day in d.days:
                for k0, k1 in zip(d.sessions, d.sessions[1:], strict=False):
                    a = {
                        t: v
                        for (rr, dd, kk, t), v in self.z.items()
                        if rr == r.id and dd == day and kk == k0.id
                    }
                    b = {
                        t: v
                        for (rr, dd, kk, t), v in self.z.items()
                        if rr == r.id and dd == day and kk == k1.id
                    }
                    if not a or not b:
                        continue
                    tag = f"{r.id},{DAY_NAMES[day]},{k0.id}->{k1.id}"
                    same = []
                    for t in sorted(set(a) & set(b)):
                        st = self.model.new_bool_var(f"same[{tag},{t}]")
                        self.model.add_implication(st, a[t])
                        self.model.add_implication(st, b[t])
                        self.model.add_bool_or([a[t].Not(), b[t].Not(), st])
                        same.append(st)
                    change = self.model.new_bool_var(f"room_change[{tag}]")
                    busy_a, busy_b = sum(a.values()), sum(b.values())
                    self.model.add(change >= busy_a + busy_b - 1 - sum(same))
                    self.model.add(change <= busy_a)
                    self.model.add(change <= busy_b)
                    self.model.add(change + sum(same) <= 1)
                    terms.append(change)
        return sum(terms)

    def _room_fit(self) -> Any:
        """(O3d) Sessions that need no equipment held in equipped rooms.

        Keeps endoscopy, ECG and allergy rooms for their specialties when a general room is
        free, so a week with more specialist work still finds its rooms.
        """
        return sum(v for (r, _d, _k, t), v in self.z.items() if misplaced(self.data, r, t))

    # ----------------------------------------------------------------- solving
    @staticmethod
    def _value(solver: Any, expr: Any) -> int:
        """Value of a stage expression in ``solver``'s solution (a constant stays itself)."""
        return int(expr) if isinstance(expr, int) else int(round(solver.value(expr)))

    def solve(
        self, *, time_limit_s: float, workers: int, seed: int, deterministic: bool = True
    ) -> MatrixRun:
        """Solve the stages in order (:func:`pks_opt.stages.run_stages`), each held exactly.

        Each stage is kept as ``value ≤ its best found`` in the later stages, so a stage that
        stopped at the time limit (FEASIBLE) can still improve while a later stage is solved.
        The time is counted in CP-SAT's deterministic seconds (repeatable) and shared by the
        stages left; ``deterministic`` False: in wall-clock seconds
        (:class:`WallClockCpSatAdapter`). The stage values reported are those of the returned
        cells: every
        stage's expression is read from the last solution (exact terms, see the module
        docstring).
        """
        kind = CpSatAdapter if deterministic else WallClockCpSatAdapter
        adapter = kind(
            self.model,
            workers=workers,
            seed=seed,
            wall_factor=WALL_CLOCK_FACTOR if deterministic else 1.0 / DETERMINISTIC_HEADROOM,
            hint_vars=[*self.z.values(), *self.y.values()],
            status=lambda code, cp: _status(code, cp),
        )
        t0 = time.perf_counter()
        stages = [Stage(name, self.objectives[name]) for name in STAGES]
        done = run_stages(stages, adapter, TimeSplit(time_limit_s, MIN_STAGE_S), exact)
        run = MatrixRun(
            data=self.data,
            status=done.status,
            stages=done.reports,
            deterministic_time=adapter.deterministic_s,
        )
        values = adapter.hints
        last = adapter.last
        run.runtime_s = time.perf_counter() - t0
        if last is not None:
            # the returned cells' value of every stage solved (≤ the value found in its own
            # solve; lower when a later stage improved a stage stopped at the time limit)
            final = {name: float(self._value(last, self.objectives[name])) for name in done.held}
            run.stage_objectives = final
            run.stages = [
                replace(st, objective=final[st.name]) if st.name in final else st
                for st in run.stages
            ]
        if run.status.has_solution:
            for (r, dd, kk, tt), v in self.z.items():
                if values.get(v, 0):
                    run.rooms[(r, dd, kk)] = tt
            for key, v in self.y.items():
                if values.get(v, 0):
                    run.staff[key] = values[v]
        return run


def solve_matrix(
    data: MatrixData,
    *,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    workers: int = 1,
    seed: int = 0,
    deterministic: bool = True,
) -> MatrixRun:
    """Build and solve the model of one week type."""
    return MatrixModel(data).solve(
        time_limit_s=time_limit_s, workers=workers, seed=seed, deterministic=deterministic
    )

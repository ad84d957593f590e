"""Column generation for shift-scheduling benchmark instances (Curtois & Qu format).

A master problem chooses one schedule (column) per employee so that the weighted cover
shortfall and surplus plus the request penalties are least. Its linear relaxation (HiGHS, via
``highspy``) gives duals; a pricing problem per employee finds the schedule of least reduced
cost under every rule of that employee: by default the exact dynamic program of
:mod:`pks_opt.rostering.pricing_dp`, or :class:`Pricing` (CP-SAT on a one-person model built
once and re-weighted each round; the reference in the tests). Every round whose pricing
problems are all solved gives a valid Lagrangian lower bound

    L(π) = Σ π·req + Σ_e min_j (c_j − Σ π a_j)  ≤  integer optimum,

long before the column generation has converged. A dive from the master's LP gives a roster,
and the CP-SAT engine polishes it (:func:`solve_benchmark`; ``models/rostering.md``, "Column
generation").
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from pks_opt import interrupt, progress
from pks_opt.formats.curtois import COMPETENCE, CStaff, CurtoisInstance, evaluate, weekend_pairs

#: duals are scaled by this and rounded for CP-SAT's integer objective
PRICE_SCALE = 1000
#: a column enters only with reduced cost below this
RC_EPS = 1e-6
#: cost of leaving an employee without a schedule in the master (a big-M that keeps every
#: restricted master feasible before the first real column of that employee exists)
NO_SCHEDULE_COST = 1e7
#: wall seconds one pricing problem may take at most
PRICE_CAP_S = 2.0
#: pricing rounds after each dive step at most
DIVE_ROUNDS = 10
#: weight of the best-bound duals in the smoothed pricing duals
SMOOTHING = 0.5
#: a schedule with at least this master value is fixed in one dive step
DIVE_FIX = 0.9
#: ... and at least this share of the employees still free
DIVE_STEP = 0.1
#: dive only from a root LP within this relative gap of its Lagrangian bound
DIVE_MAX_GAP = 0.2
#: the root column generation gives up when, after PACE_AFTER rounds, PACE_ROUNDS more
#: would not fit in its share. First rounds measured: Instance22 ~9 s each, Instance20
#: 0.4-0.75 s, Instance12 and 18 ≤ 0.15 s; after 2 rounds Instance22 gives up 27 s sooner
#: than after 5, the others are unchanged
PACE_AFTER = 2
PACE_ROUNDS = 40
#: ... or when, at that point, the last round could not price more than this share of the
#: employees exactly (a bound below the column found): the LP then has no proven bound to
#: converge to. Measured over the first 6 rounds: Instance22 (364 days) 16 % in round 1,
#: 78-90 % from round 2; Instances 5, 8, 12, 16, 18 and 20 0 % in every round. Without it a
#: 1 200 s run of Instance22 spent ~430 s in 31 rounds (root LP 56 943, no bound) and ended
#: worse than a 600 s run
PACE_INEXACT = 0.5
#: share of the limit for the weekend relaxation's bound at most, when the column generation
#: did not converge (:mod:`pks_opt.rostering.weekend_bound`; Instance22 needs ~15 s of 600)
WEEKEND_BOUND_SHARE = 0.05
#: without a dive, shares of the limit for the weekend plan's two mixed-integer programs at
#: most (:mod:`pks_opt.rostering.weekend_plan`; Instance22: ~50 s and ~4 s of 600)
PLAN_SHARE = 0.15
TYPES_SHARE = 0.03
#: ... and for its weekend moves at most (Instance22: 3 sweeps of ~20 s, 40 296 → 38 636)
MOVES_SHARE = 0.1
#: share of a wall-clock limit for the column generation (it stops earlier when converged)
CG_SHARE = 0.35
#: share of the CP-SAT stage for its full search once column generation gave the bound ...
FULL_SHARE_WITH_BOUND = 0.0
#: ... except on models of at most this many staff × days × shift types, where the full
#: search can still close an LP gap (Instance1: LP bound 558, CP-SAT proves 607 in 0.5 s)
SMALL_MODEL_CELLS = 2000
FULL_SHARE_SMALL = 0.5
#: share of the limit for diving to a roster
DIVE_SHARE = 0.35


#: a first run on a machine compiles the DP pricing (numba, cached on disk afterwards: 15-30 s
#: on this 2-core machine); below this wall-clock limit such a run uses CP-SAT alone
COLD_START_MIN_LIMIT_S = 120.0


def pricing_compiled() -> bool:
    """Tell whether the DP pricing's compiled code is cached on this machine.

    False when any of its numba functions has no cache index yet (a fresh install), or when
    that cannot be told.
    """
    try:
        from numba.core.registry import CPUDispatcher

        from pks_opt.rostering import pricing_dp
    except ImportError:  # pragma: no cover - numba is a dependency
        return False
    found = False
    for obj in vars(pricing_dp).values():
        if isinstance(obj, CPUDispatcher):
            path = getattr(
                getattr(getattr(obj, "_cache", None), "_cache_file", None), "_index_path", None
            )
            if path is None or not os.path.exists(path):
                return False
            found = True
    return found


def use_column_generation(options: Any) -> tuple[bool, str | None]:
    """Decide the engine for a benchmark file: (column generation?, why not, if not).

    The rule: column generation in wall-clock mode with the LNS search, unless switched off
    (``SolveOptions.column_generation``) or its pricing would first have to be compiled within
    a limit under ``COLD_START_MIN_LIMIT_S``.
    """
    if options.deterministic or not (options.lns and options.column_generation):
        return False, None
    if options.time_limit_s < COLD_START_MIN_LIMIT_S and not pricing_compiled():
        return False, (
            "the column generation was not used: its pricing is compiled on a machine's first "
            f"run with --time-limit {COLD_START_MIN_LIMIT_S:.0f} or more (15-30 s, once), "
            "so this run used the CP-SAT search alone"
        )
    return True, None


@dataclass(frozen=True)
class Column:
    """One employee's schedule: day -> shift, its own (request) cost."""

    staff: int
    shifts: tuple[tuple[int, str], ...]
    cost: int


def own_cost(inst: CurtoisInstance, emp_id: str, shifts: dict[int, str]) -> int:
    """Request penalties of one schedule (FORMAT.md §4, the person's part)."""
    on = sum(w for e, d, s, w in inst.on_requests if e == emp_id and shifts.get(d) != s)
    off = sum(w for e, d, s, w in inst.off_requests if e == emp_id and shifts.get(d) == s)
    return on + off


class Pricing:
    """One employee's schedules as a CP-SAT model; the objective changes each round."""

    def __init__(self, inst: CurtoisInstance, index: int, workers: int = 1) -> None:
        from ortools.sat.python import cp_model

        self.inst, self.index, self.workers = inst, index, workers
        self.emp: CStaff = inst.staff[index]
        self.cp = cp_model
        model: Any = cp_model.CpModel()
        self.m = model
        off = set(inst.days_off.get(self.emp.id, ()))
        allowed = [s for s in inst.shift_minutes if self.emp.max_shifts.get(s, 0) > 0]
        self.x: dict[tuple[int, str], Any] = {
            (d, s): self.m.NewBoolVar(f"x{d}{s}")
            for d in range(inst.horizon)
            if d not in off
            for s in allowed
        }
        self.work = [self._work_var(d, allowed) for d in range(inst.horizon)]
        self._rules(allowed)
        self.on = {(d, s): w for e, d, s, w in inst.on_requests if e == self.emp.id}
        self.off = {(d, s): w for e, d, s, w in inst.off_requests if e == self.emp.id}
        self.hint: dict[tuple[int, str], int] = {}

    def _work_var(self, d: int, allowed: list[str]) -> Any:
        terms = [self.x[d, s] for s in allowed if (d, s) in self.x]
        if not terms:
            return 0
        w = self.m.NewBoolVar(f"w{d}")
        self.m.Add(sum(terms) == w)
        return w

    def _rules(self, allowed: list[str]) -> None:
        inst, emp, m, x = self.inst, self.emp, self.m, self.x
        for a in allowed:
            for b in inst.cannot_follow.get(a, ()):
                for d in range(inst.horizon - 1):
                    if (d, a) in x and (d + 1, b) in x:
                        m.AddBoolOr([x[d, a].Not(), x[d + 1, b].Not()])
            m.Add(sum(v for (_d, s), v in x.items() if s == a) <= emp.max_shifts[a])
        minutes = sum(inst.shift_minutes[s] * v for (_d, s), v in x.items())
        m.AddLinearConstraint(minutes, emp.min_minutes, emp.max_minutes)
        w, h = self.work, inst.horizon
        k = emp.max_consecutive
        for d in range(h - k):
            m.Add(sum(w[d : d + k + 1]) <= k)
        self._short_runs(emp.min_consecutive, True)
        self._short_runs(emp.min_days_off, False)
        weekends = []
        for wk, pair in enumerate(weekend_pairs(h)):
            b = m.NewBoolVar(f"we{wk}")
            for day in (w[pair[0]], w[pair[1]]):
                if not isinstance(day, int):
                    m.AddImplication(day, b)
            weekends.append(b)
        m.Add(sum(weekends) <= emp.max_weekends)

    def _short_runs(self, least: int, worked: bool) -> None:
        """Forbid runs of working days (``worked``) or days off shorter than ``least``.

        Only runs strictly inside the horizon count: for each length k < least and start
        d ≥ 1 with d + k < h, the pattern (other, k × this, other) is forbidden.
        """
        w, h = self.work, self.inst.horizon
        for k in range(1, least):
            for d in range(1, h - k):
                lits = [self._is(w[d - 1], not worked), self._is(w[d + k], not worked)]
                lits += [self._is(w[j], worked) for j in range(d, d + k)]
                if any(lit is False for lit in lits):
                    continue  # the pattern cannot happen
                clause = [lit.Not() for lit in lits if lit is not True]
                if not clause:
                    raise ValueError(f"{self.emp.id}: fixed days off break a run rule")
                self.m.AddBoolOr(clause)

    @staticmethod
    def _is(w: Any, value: bool) -> Any:
        """Literal "day is worked == value" (True/False when the day is fixed)."""
        if isinstance(w, int):
            return bool(w) == value
        return w if value else w.Not()

    def price(self, duals: dict[tuple[int, str], float], mu: float, limit: float) -> PriceResult:
        """Find the schedule of least reduced cost: own cost − Σ duals of its shifts − mu."""
        const = sum(self.on.values())
        terms = []
        for (d, s), v in self.x.items():
            c = self.off.get((d, s), 0) - self.on.get((d, s), 0) - duals.get((d, s), 0.0)
            coef = round(c * PRICE_SCALE)
            if coef:
                terms.append(coef * v)
        self.m.Minimize(sum(terms))
        self.m.ClearHints()
        for key, v in self.x.items():
            self.m.AddHint(v, self.hint.get(key, 0))
        solver = self.cp.CpSolver()
        solver.parameters.num_workers = self.workers
        solver.parameters.max_time_in_seconds = max(0.01, limit)
        code = interrupt.run_cp(solver, self.m, None)
        if code not in (self.cp.OPTIMAL, self.cp.FEASIBLE):
            return PriceResult(None, -math.inf, 0.0)
        shifts = {d: s for (d, s), v in self.x.items() if solver.Value(v)}
        self.hint = {(d, s): 1 for d, s in shifts.items()}
        err = len(self.x) * 0.5 / PRICE_SCALE  # rounding of the scaled coefficients
        bound = (solver.BestObjectiveBound() / PRICE_SCALE + const) - err - mu
        col = Column(
            self.index, tuple(sorted(shifts.items())), own_cost(self.inst, self.emp.id, shifts)
        )
        rc = col.cost - sum(duals.get(k, 0.0) for k in col.shifts) - mu
        return PriceResult(col, min(bound, rc, 0.0), rc)


@dataclass
class PriceResult:
    """What one pricing call found: a schedule and a proven bound on its reduced cost."""

    column: Column | None
    #: proven lower bound on this employee's least reduced cost (≤ 0)
    rc_bound: float
    #: the reduced cost of ``column``
    rc: float

    @property
    def exact(self) -> bool:
        """Tell whether the call proved its least reduced cost (bound = min(rc, 0))."""
        return self.column is not None and self.rc_bound >= min(self.rc, 0.0) - RC_EPS * max(
            1.0, abs(self.rc)
        )


@dataclass
class Master:
    """The restricted master LP on HiGHS: cover rows (d, s), then one row per employee."""

    inst: CurtoisInstance
    columns: list[Column] = field(default_factory=list)

    def __post_init__(self) -> None:
        """Build the rows, the slack columns and one "no schedule" column per employee."""
        import highspy

        self.hs = highspy
        self.h = highspy.Highs()
        self.h.setOptionValue("output_flag", False)
        # primal simplex: a new column keeps the basis primal feasible, so each round restarts
        # from it (dual simplex, HiGHS's default, took twice as long: Instance12 converges in
        # 7.7 s instead of 13.0, Instance18 4.5 instead of 7.2; Instance20 does 83 rounds in
        # 150 s instead of 44)
        self.h.setOptionValue("simplex_strategy", 4)
        inf = highspy.kHighsInf
        self.cover_row: dict[tuple[int, str], int] = {}
        for d, s, req, wu, wo in self.inst.cover:
            r = len(self.cover_row)
            self.cover_row[d, s] = r
            self.h.addRow(req, req, 0, [], [])
            self.h.addCol(wu, 0, inf, 1, [r], [1.0])  # under
            self.h.addCol(wo, 0, inf, 1, [r], [-1.0])  # over
        self.emp_row0 = len(self.cover_row)
        for e in range(len(self.inst.staff)):
            self.h.addRow(1, 1, 0, [], [])
            self.h.addCol(NO_SCHEDULE_COST, 0, inf, 1, [self.emp_row0 + e], [1.0])
        self.first_col = self.h.getNumCol()
        self.keys: set[tuple[int, tuple[tuple[int, str], ...]]] = set()

    def add(self, col: Column) -> bool:
        """Add a generated schedule; False when the same schedule is there already."""
        key = (col.staff, col.shifts)
        if key in self.keys:
            return False
        self.keys.add(key)
        rows = [self.cover_row[d, s] for d, s in col.shifts if (d, s) in self.cover_row]
        rows.append(self.emp_row0 + col.staff)
        self.h.addCol(col.cost, 0, self.hs.kHighsInf, len(rows), rows, [1.0] * len(rows))
        self.columns.append(col)
        return True

    def solve(self) -> tuple[float, dict[tuple[int, str], float], list[float]]:
        """Solve the LP; return its value, the cover duals and the employees' duals."""
        self.h.run()
        sol = self.h.getSolution()
        duals = {k: sol.row_dual[r] for k, r in self.cover_row.items()}
        mus = [sol.row_dual[self.emp_row0 + e] for e in range(len(self.inst.staff))]
        return self.h.getInfo().objective_function_value, duals, mus

    def values(self) -> list[float]:
        """Read the LP value of each generated column, in the order added."""
        return list(self.h.getSolution().col_value[self.first_col :])

    def best_columns(self, fixed: set[int]) -> dict[int, tuple[float, int]]:
        """Per employee not in ``fixed``: (value, column index) of its largest column."""
        val = self.values()
        best: dict[int, tuple[float, int]] = {}
        for i, c in enumerate(self.columns):
            if c.staff not in fixed and val[i] > best.get(c.staff, (-1.0, -1))[0]:
                best[c.staff] = (val[i], i)
        return best

    def fix(self, i: int) -> None:
        """Force column ``i`` into the roster (its employee's other columns leave)."""
        self.h.changeColBounds(self.first_col + i, 1.0, 1.0)

    def roster(self, fixed: set[int]) -> dict[tuple[str, int], str] | None:
        """Read the roster off the columns at 1 (None unless every employee has one)."""
        val = self.values()
        chosen = [c for i, c in enumerate(self.columns) if val[i] > 0.5]
        if sorted(c.staff for c in chosen) != list(range(len(self.inst.staff))):
            return None
        return {(self.inst.staff[c.staff].id, d): s for c in chosen for d, s in c.shifts}


class ColumnGeneration:
    """The column generation's state: master, one pricing problem per employee, fixings.

    ``bound`` is the best Lagrangian lower bound found at the root (before any fixing);
    :meth:`dive` then fixes schedules with large master values and prices again, down to a
    roster (the diving heuristic of branch-and-price codes).
    """

    def __init__(
        self,
        inst: CurtoisInstance,
        workers: int = 2,
        pricing: Callable[[CurtoisInstance, int], Any] | None = None,
    ) -> None:
        self.inst, self.workers = inst, workers
        self.master = Master(inst)
        if pricing is None:
            from pks_opt.rostering.pricing_dp import DPPricing

            pricing = DPPricing
        self.pricers = [pricing(inst, i) for i in range(len(inst.staff))]
        self.fixed: set[int] = set()
        self.bound, self.lp, self.rounds = -math.inf, math.inf, 0
        self.converged = False
        #: share of the employees the last pricing round could not price exactly
        self.inexact = 0.0
        self.centre: dict[tuple[int, str], float] | None = None
        self.root_lp = math.inf
        self.dive_value: int | None = None
        #: without a dive: the best-response roster's value and its sweeps
        self.br_value: int | None = None
        self.br_sweeps = 0
        #: without a dive: the weekend-first start (:mod:`pks_opt.rostering.weekend_plan`)
        self.weekend_start: Any = None
        #: when it did not converge: the weekend relaxation's bound and its wall seconds
        self.weekend_bound = -math.inf
        self.weekend_seconds = 0.0
        self.seconds = 0.0  # wall seconds of the column generation and the dive
        self.log: list[tuple[float, float, float]] = []
        self.t0 = time.perf_counter()

    def summary(self) -> dict[str, Any]:
        """Say what the column generation did, for ``result.json``."""
        return {
            "rounds": self.rounds,
            "columns": len(self.master.columns),
            "root_lp": round(self.root_lp, 6) if math.isfinite(self.root_lp) else None,
            "lower_bound": round(self.bound, 6) if math.isfinite(self.bound) else None,
            "root_converged": self.converged,
            "dive_value": self.dive_value,
            "best_response_value": self.br_value,
            "best_response_sweeps": self.br_sweeps,
            "weekend_bound": self.weekend_bound if math.isfinite(self.weekend_bound) else None,
            "weekend_bound_seconds": round(self.weekend_seconds, 3),
            "weekend_plan": None if self.weekend_start is None else self.weekend_start.summary(),
            "seconds": round(self.seconds, 3),
        }

    def add_roster(self, roster: Mapping[tuple[str, int], str]) -> None:
        """Seed the master with a roster's schedules (and the pricing hints)."""
        for i, e in enumerate(self.inst.staff):
            shifts = {d: s for (e_id, d), s in roster.items() if e_id == e.id}
            col = Column(i, tuple(sorted(shifts.items())), own_cost(self.inst, e.id, shifts))
            self.master.add(col)
            if hasattr(self.pricers[i], "hint"):
                self.pricers[i].hint = {(d, s): 1 for d, s in shifts.items()}

    def _price(
        self,
        pool: ThreadPoolExecutor,
        duals: dict[tuple[int, str], float],
        mus: list[float],
        per: float,
    ) -> list[PriceResult]:
        free = [p for p in self.pricers if p.index not in self.fixed]
        n = len(free)
        if not n:
            return []
        mu = [mus[p.index] for p in free]
        return list(pool.map(type(free[0]).price, free, [duals] * n, mu, [per] * n))

    def _lagrangian(
        self, duals: dict[tuple[int, str], float], mus: list[float], results: list[PriceResult]
    ) -> float:
        """Compute the Lagrangian bound L(π) of one pricing round.

        L(π) = Σ π·req + Σ_e min over e's schedules of (cost − Σ π of its shifts) is a lower
        bound on the integer optimum for any π within the cover weights (−w_over ≤ π ≤
        w_under), which the master's duals and their convex combinations are. ``rc_bound`` +
        mu is at most that minimum (clipped at 0 it can only be lower).
        """
        req = sum(duals.get((d, s), 0.0) * r for d, s, r, _wu, _wo in self.inst.cover)
        return req + sum(r.rc_bound + mus[i] for i, r in enumerate(results))

    def near(self) -> bool:
        """Tell whether the root LP is close enough to its proven bound to dive from.

        True when converged, or when the LP value is within ``DIVE_MAX_GAP`` of the best
        Lagrangian bound; far from it (Instance22 in 600 s) a dive fixes schedules the LP
        has not yet got right, and the CP-SAT search from its greedy start does better.
        """
        if self.converged:
            return True
        if not (math.isfinite(self.bound) and math.isfinite(self.root_lp)) or self.bound <= 0:
            return False
        return (self.root_lp - self.bound) / self.root_lp <= DIVE_MAX_GAP

    def run(
        self,
        pool: ThreadPoolExecutor,
        deadline: float,
        max_rounds: int = 10**9,
        pace: int | None = None,
    ) -> bool:
        """Price until no column enters (True if proven), ``max_rounds`` or the deadline.

        With ``pace``, give up early when, right after ``PACE_AFTER`` rounds, ``pace`` more rounds
        at the pace so far would not fit before the deadline, or the last round priced more
        than ``PACE_INEXACT`` of the employees inexactly: the column generation cannot
        converge in its time and the time is better left to the search.

        At the root the pricing duals are smoothed towards the duals of the best bound so far
        (Wentges: π = α·centre + (1 − α)·π_LP); a round whose smoothed duals give no column
        of negative reduced cost for the master is priced again with the master's own.
        """
        start, rounds0 = time.perf_counter(), self.rounds
        for _ in range(max_rounds):
            now = time.perf_counter()
            if now >= deadline or interrupt.requested():
                return False
            done = self.rounds - rounds0
            if (
                pace
                and done == PACE_AFTER
                and ((now - start) / done * pace > deadline - now or self.inexact > PACE_INEXACT)
            ):
                return False
            z, duals, mus = self.master.solve()
            self.lp = z
            if not self.fixed:
                self.root_lp = z
            per = max(0.05, min(PRICE_CAP_S, (deadline - time.perf_counter()) / 2))
            alpha = SMOOTHING if self.centre is not None and not self.fixed else 0.0
            while True:
                sep = duals if not alpha else _mix(self.centre or {}, duals, alpha)
                results = self._price(pool, sep, mus, per)
                found = all(r.column is not None for r in results)
                self.inexact = sum(not r.exact for r in results) / max(1, len(results))
                if not self.fixed and found:
                    value = self._lagrangian(sep, mus, results)
                    if value > self.bound:
                        self.bound, self.centre = value, sep
                added = sum(
                    self.master.add(r.column)
                    for r in results
                    if r.column is not None and self._rc(r.column, duals, mus) < -RC_EPS
                )
                if added or not alpha:
                    break
                alpha = 0.0  # mispricing: the master's own duals
            self.rounds += 1
            self.log.append((time.perf_counter() - self.t0, z, self.bound))
            if added == 0:  # converged when the pricing proved that no column can enter
                proven = found and self.inexact == 0
                if not self.fixed:
                    self.converged = proven
                return proven
        return False

    @staticmethod
    def _rc(col: Column, duals: dict[tuple[int, str], float], mus: list[float]) -> float:
        return col.cost - sum(duals.get(k, 0.0) for k in col.shifts) - mus[col.staff]

    def dive(
        self, pool: ThreadPoolExecutor, deadline: float, rounds_per_fix: int = DIVE_ROUNDS
    ) -> dict[tuple[str, int], str] | None:
        """Dive from the master's LP to a roster.

        Each step fixes the schedules the master likes best (value ≥ ``DIVE_FIX``, and at
        least ``DIVE_STEP`` of the employees still free, largest values first, and more when the
        steps so far say the deadline would come first), then prices again for the rest (at
        most ``rounds_per_fix`` rounds). When the deadline comes, every
        employee left takes their best schedule at once. None only when an employee has no
        schedule at all.
        """
        step_s = 0.0  # wall seconds of the slowest step so far
        while len(self.fixed) < len(self.inst.staff):
            w0 = time.perf_counter()
            late = w0 >= deadline or interrupt.requested()
            self.master.solve()
            best = self.master.best_columns(self.fixed)
            if late:  # out of time: every employee left takes their best schedule now
                for k, (_v, c) in best.items():
                    self.master.fix(c)
                    self.fixed.add(k)
                break
            ranked = sorted(((v, k) for k, (v, _c) in best.items()), reverse=True)
            steps_left = (deadline - w0) / step_s if step_s else math.inf
            least = max(1, math.ceil(len(ranked) * DIVE_STEP), math.ceil(len(ranked) / steps_left))
            pick = [(v, k) for i, (v, k) in enumerate(ranked) if v >= DIVE_FIX or i < least]
            for _v, k in pick:
                self.master.fix(best[k][1])
                self.fixed.add(k)
            self.run(pool, deadline, rounds_per_fix)
            step_s = max(step_s, time.perf_counter() - w0)
        self.master.solve()
        return self.master.roster(self.fixed)


def _mix(
    centre: dict[tuple[int, str], float], duals: dict[tuple[int, str], float], alpha: float
) -> dict[tuple[int, str], float]:
    keys = centre.keys() | duals.keys()
    return {k: alpha * centre.get(k, 0.0) + (1 - alpha) * duals.get(k, 0.0) for k in keys}


@dataclass
class CGResult:
    """What :func:`generate` returns (for benchmarks and tests)."""

    lp_value: float
    bound: float
    columns: list[Column]
    rounds: int
    converged: bool
    seconds: float
    log: list[tuple[float, float, float]] = field(default_factory=list)  # (t, lp, lb)


def generate(
    inst: CurtoisInstance,
    time_limit: float,
    start: dict[tuple[str, int], str] | None = None,
    workers: int = 2,
    pricing: Callable[[CurtoisInstance, int], Any] | None = None,
) -> CGResult:
    """Run column generation until no column prices out or ``time_limit`` wall seconds pass.

    ``pricing(inst, index)`` makes one employee's pricer (an object with ``price(duals, mu,
    limit) -> PriceResult``); by default the exact dynamic program
    :class:`pks_opt.rostering.pricing_dp.DPPricing`, or :class:`Pricing` (CP-SAT).
    """
    cg = ColumnGeneration(inst, workers, pricing)
    if start:
        cg.add_roster(start)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        cg.run(pool, cg.t0 + time_limit)
    z, _d, _m = cg.master.solve()
    return CGResult(
        z,
        cg.bound,
        cg.master.columns,
        cg.rounds,
        cg.converged,
        time.perf_counter() - cg.t0,
        cg.log,
    )


def solve_benchmark(inst: CurtoisInstance, data: Any, options: Any) -> tuple[Any, ColumnGeneration]:
    """Solve a benchmark file: column generation, a dive, then CP-SAT from the dived roster.

    The column generation gets up to ``CG_SHARE`` of the wall-clock limit (less when it
    converges, or when its pace says it cannot, :meth:`ColumnGeneration.run`), the dive up to
    ``DIVE_SHARE`` when the root LP is near its bound (:meth:`ColumnGeneration.near`), CP-SAT
    the rest (from its own greedy start when there is no dived roster). The column
    generation's Lagrangian bound is a proven lower bound on the benchmark objective; when it
    did not converge, the weekend relaxation (:mod:`pks_opt.rostering.weekend_bound`, up to
    ``WEEKEND_BOUND_SHARE`` of the limit) may give a better one. CP-SAT stops when its roster
    reaches the better bound, and the last stage's bound is the better of it and CP-SAT's.
    """
    from pks_opt.rostering.cpsat import STAGE_SINGLE, solve_roster

    t0 = time.perf_counter()
    limit = options.time_limit_s
    if options.progress:  # the live line: making the first roster (and the bound)
        progress.working_on("start")
    cg = ColumnGeneration(inst, options.workers)
    with ThreadPoolExecutor(max_workers=options.workers) as pool:
        cg.run(pool, t0 + CG_SHARE * limit, pace=PACE_ROUNDS)
        roster = cg.dive(pool, t0 + (CG_SHARE + DIVE_SHARE) * limit) if cg.near() else None
    if roster is not None:
        cg.dive_value = evaluate(inst, roster).objective
    else:  # no dive: the weekends planned first, else best responses from an empty roster
        from pks_opt.rostering.best_response import best_response_roster
        from pks_opt.rostering.weekend_plan import weekend_first_roster

        deadline = t0 + (CG_SHARE + DIVE_SHARE) * limit
        cg.weekend_start = weekend_first_roster(
            inst, deadline, PLAN_SHARE * limit, TYPES_SHARE * limit, MOVES_SHARE * limit
        )
        roster = cg.weekend_start.roster
        if roster is None:
            roster, cg.br_sweeps = best_response_roster(inst, deadline)
            if roster is not None:
                cg.br_value = evaluate(inst, roster).objective
    cg.seconds = time.perf_counter() - cg.t0
    bound = cg.bound
    if not cg.converged:  # the weekends alone may bound better (long horizons)
        from pks_opt.rostering.weekend_bound import weekend_bound

        wb = weekend_bound(
            inst, min(WEEKEND_BOUND_SHARE * limit, limit - (time.perf_counter() - t0))
        )
        cg.weekend_bound, cg.weekend_seconds = wb.value, wb.seconds
        bound = max(bound, wb.value)
    first = next(
        (
            v
            for v in (cg.dive_value, getattr(cg.weekend_start, "value", None), cg.br_value)
            if v is not None
        ),
        None,
    )
    if first is not None and options.progress:
        # a Lagrangian bound far from converged can be negative: no news for anyone
        shown = bound if math.isfinite(bound) and bound > 0 else None
        progress.best_so_far(STAGE_SINGLE, first, shown)
    # without any roster the engine makes its greedy start
    start = None if roster is None else {k: (s, COMPETENCE) for k, s in roster.items()}
    left = max(0.1, limit - (time.perf_counter() - t0))
    opts = dataclasses.replace(options, time_limit_s=left)
    if math.isfinite(cg.bound):
        cells = len(inst.staff) * inst.horizon * len(inst.shift_minutes)
        share = FULL_SHARE_SMALL if cells <= SMALL_MODEL_CELLS else FULL_SHARE_WITH_BOUND
        opts = dataclasses.replace(opts, full_share=share)
    if math.isfinite(bound):
        opts = dataclasses.replace(opts, lower_bound=math.ceil(bound - 1e-6))
    sol = solve_roster(data, opts, start=start)
    sol.runtime_s = time.perf_counter() - t0
    return sol, cg

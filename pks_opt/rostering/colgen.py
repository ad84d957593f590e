"""Column generation for shift-scheduling benchmark instances (Curtois & Qu format).

A master problem chooses one schedule (column) per employee so that the weighted cover
shortfall and surplus plus the request penalties are least. Its linear relaxation (HiGHS, via
``highspy``) gives duals; a pricing problem per employee finds the schedule of least reduced
cost under every rule of that employee (CP-SAT on a one-person model that is built once and
re-weighted each round). Because each pricing problem is solved to proven optimality (or its
proven bound is used), every round gives a valid Lagrangian lower bound

    LB = z_RMP + sum_e min(0, rc*_e)

on the integer optimum, long before the column generation has converged. Integer rosters come
from the restricted master solved as a MIP; the CP-SAT engine then polishes them (see
``models/rostering.md``, "Column generation").
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from pks_opt import interrupt
from pks_opt.formats.curtois import CStaff, CurtoisInstance

#: duals are scaled by this and rounded for CP-SAT's integer objective
PRICE_SCALE = 1000
#: a column enters only with reduced cost below this
RC_EPS = 1e-6
#: cost of leaving an employee without a schedule in the master (a big-M that keeps every
#: restricted master feasible before the first real column of that employee exists)
NO_SCHEDULE_COST = 1e7
WEEKEND = (5, 6)
#: wall seconds one pricing problem may take at most
PRICE_CAP_S = 2.0


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
        for wk in range(h // 7):
            sat, sun = w[7 * wk + WEEKEND[0]], w[7 * wk + WEEKEND[1]]
            b = m.NewBoolVar(f"we{wk}")
            for day in (sat, sun):
                if not isinstance(day, int):
                    m.AddImplication(day, b)
            weekends.append(b)
        m.Add(sum(weekends) <= emp.max_weekends)

    def _short_runs(self, least: int, worked: bool) -> None:
        """No run of working days (``worked``) or days off shorter than ``least`` strictly
        inside the horizon: for each length k < least and start d ≥ 1 with d + k < h, the
        pattern (other, k × this, other) is forbidden."""
        w, h = self.work, self.inst.horizon
        for k in range(1, least):
            for d in range(1, h - k):
                lits = [self._is(w[d - 1], not worked), self._is(w[d + k], not worked)]
                lits += [self._is(w[j], worked) for j in range(d, d + k)]
                if any(lit is False for lit in lits):
                    continue  # the pattern cannot happen
                clause = [self._negate(lit) for lit in lits if lit is not True]
                if not clause:
                    raise ValueError(f"{self.emp.id}: fixed days off break a run rule")
                self.m.AddBoolOr(clause)

    @staticmethod
    def _is(w: Any, value: bool) -> Any:
        """Literal "day is worked == value" (True/False when the day is fixed)."""
        if isinstance(w, int):
            return bool(w) == value
        return w if value else w.Not()

    @staticmethod
    def _negate(lit: Any) -> Any:
        return lit.Not()

    def price(self, duals: dict[tuple[int, str], float], mu: float, limit: float) -> PriceResult:
        """The schedule of least reduced cost: own cost − Σ duals of its shifts − mu."""
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


def _price(pricer: Any, duals: dict[tuple[int, str], float], mu: float, limit: float) -> Any:
    return pricer.price(duals, mu, limit)


@dataclass
class PriceResult:
    column: Column | None
    #: proven lower bound on this employee's least reduced cost (≤ 0)
    rc_bound: float
    #: the reduced cost of ``column``
    rc: float


@dataclass
class Master:
    """The restricted master LP on HiGHS: cover rows (d, s), then one row per employee."""

    inst: CurtoisInstance
    columns: list[Column] = field(default_factory=list)

    def __post_init__(self) -> None:
        import highspy

        self.hs = highspy
        self.h = highspy.Highs()
        self.h.setOptionValue("output_flag", False)
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
        self.h.run()
        sol = self.h.getSolution()
        duals = {k: sol.row_dual[r] for k, r in self.cover_row.items()}
        mus = [sol.row_dual[self.emp_row0 + e] for e in range(len(self.inst.staff))]
        return self.h.getInfo().objective_function_value, duals, mus

    def values(self) -> list[float]:
        return list(self.h.getSolution().col_value[self.first_col :])


@dataclass
class CGResult:
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
    """Column generation until no column prices out or ``time_limit`` wall seconds pass.

    ``pricing(inst, index)`` makes one employee's pricer (an object with ``price(duals, mu,
    limit) -> PriceResult`` and a ``hint`` dict); by default the exact dynamic program
    :class:`pks_opt.rostering.pricing_dp.DPPricing`, or :class:`Pricing` (CP-SAT).
    """
    if pricing is None:
        from pks_opt.rostering.pricing_dp import DPPricing

        pricing = DPPricing
    t0 = time.perf_counter()
    master = Master(inst)
    ids = {e.id: i for i, e in enumerate(inst.staff)}
    pricers = [pricing(inst, i) for i in range(len(inst.staff))]
    if start:
        for e_id, i in ids.items():
            shifts = {d: s for (e, d), s in start.items() if e == e_id}
            master.add(Column(i, tuple(sorted(shifts.items())), own_cost(inst, e_id, shifts)))
            pricers[i].hint = {(d, s): 1 for d, s in shifts.items()}
    bound, rounds, log = -math.inf, 0, []
    converged = False
    with ThreadPoolExecutor(max_workers=workers) as pool:
        while time.perf_counter() - t0 < time_limit and not interrupt.requested():
            z, duals, mus = master.solve()
            left = time_limit - (time.perf_counter() - t0)
            per = max(0.05, min(PRICE_CAP_S, left / 2))
            results = list(
                pool.map(_price, pricers, [duals] * len(pricers), mus, [per] * len(pricers))
            )
            rounds += 1
            if all(r.column is not None for r in results):
                bound = max(bound, z + sum(r.rc_bound for r in results))
            added = 0
            for r in results:
                if r.column is not None and r.rc < -RC_EPS:
                    added += master.add(r.column)
            log.append((time.perf_counter() - t0, z, bound))
            if added == 0:
                converged = all(r.column is not None for r in results)
                break
    z, _d, _m = master.solve()
    return CGResult(z, bound, master.columns, rounds, converged, time.perf_counter() - t0, log)

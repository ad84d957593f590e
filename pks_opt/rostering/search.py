"""Search around the CP-SAT roster model: a greedy start, and large-neighbourhood search (LNS).

Everything here goes through :class:`~pks_opt.rostering.cpsat.RosterModel`, the one model of
native and benchmark rosters:

* :func:`construct` builds a first roster staff member by staff member: each person's roster
  is the optimum of the *same model* built for that person alone, against the cover the
  people before them already give (demand reduced by it), so every hard rule holds and the
  roster is greedy-good. All hard rules are per person, so this never fails where one
  person's rules can be met at all.
* :class:`Lns` improves a roster: it frees a neighbourhood (some staff over all days, a
  window of days for some staff, or a few days for everyone), keeps every other shift at
  the incumbent and re-solves the stage's objective; better rosters are kept. The
  sub-problem is a small model of the constraints that touch the freed part
  (:class:`SubModels`); for a model with a constraint kind it cannot read, the whole model
  with the other shifts fixed by hint (CP-SAT ``fix_variables_to_their_hinted_value``). The
  size of the neighbourhoods adapts: grown after a sub-problem is closed (proven), shrunk
  when it is not.

Sub-problems run on one worker with ``linearization_level = 2``: measured on Curtois
Instance7, 12 three-staff sub-problems took 0.14 deterministic s in all at level 2 against
10 s at the default level (11 of 12 proven). Every call has a deterministic time limit and a
seeded random choice, so a run is repeatable.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from pks_opt import interrupt
from pks_opt.interrupt import run_cp
from pks_opt.result import SolveStatus
from pks_opt.rostering.data import Demand, RosterData
from pks_opt.stages import cp_status

if TYPE_CHECKING:
    from pks_opt.rostering.cpsat import RosterModel, SolveOptions

#: deterministic seconds at most per LNS sub-problem
SUB_LIMIT_S = 0.5
#: deterministic s charged at least per sub-problem: tiny ones report ~0 but cost ~0.04 wall s
#: (without it a proven stage's LNS on instances/clinic-roster spun for 118 s)
MIN_CALL_COST = 0.02
#: neighbourhood size as a share of the shift variables: start, least, most
START_SHARE, MIN_SHARE, MAX_SHARE = 0.08, 0.01, 0.6
#: ... but a first neighbourhood frees at most about this many shift variables: on Curtois
#: Instance22 (108 568 of them) 8 % timed out for the first 40 s until the sizes had shrunk
#: to 3 %; the smaller start only changes models of over 62 500 shift variables
START_FREE = 5000
#: neighbourhoods: some staff on all days, some staff in a window of days, everyone on some days
KINDS = ("staff", "window", "days")
#: LNS sub-problems as small models (:class:`SubModels`); False: the whole model fixed by hint
SUB_MODELS = True
#: share of window and day neighbourhoods placed where the incumbent costs most
GUIDED = 0.5
#: a person of the greedy start with no roster in their part of the time gets this many times
#: that part once more (measured: one Curtois Instance22 person needs 1.2-3.5 wall s to solve
#: and 0.5 s to build; each of its 50 people has a part of 3.6 s in a 600 s solve)
RETRY_FACTOR = 4.0


def sub_parameters(solver: Any, budget: float, options: SolveOptions, seed: int) -> None:
    """One worker, LP at level 2, no probing in presolve, deterministic (or wall) limit.

    Measured on 24 Curtois Instance12 sub-problems (8 % of the shift variables free): 22.5 s
    wall at the default probing level, 16.9 s without probing (19 proven against 17); LP
    level 1 instead of 2: 40.5 s, 8 proven.
    """
    p = solver.parameters
    p.num_workers = 1
    p.linearization_level = 2
    p.cp_model_probing_level = 0
    p.random_seed = seed
    if options.deterministic:
        p.max_deterministic_time = budget
        p.max_time_in_seconds = budget * options.wall_factor + 1.0
    else:
        p.max_time_in_seconds = budget


def hit_wall_guard(cp: Any, solver: Any, code: Any, options: SolveOptions) -> bool:
    """Tell whether a deterministic call stopped on its wall-clock guard (so is not repeatable).

    A call that used its whole deterministic limit stopped on that (or would have, at the
    same point), even when the wall clock ran out about then too: a full search of
    instances/ward-roster ends at 1.534 of 1.534 deterministic s and 9.06 of 9.20 wall s.
    """
    p = solver.parameters
    return (
        options.deterministic
        and cp_status(code, cp) not in (SolveStatus.OPTIMAL, SolveStatus.INFEASIBLE)
        and (solver.WallTime() >= p.max_time_in_seconds * 0.98)
        and (solver.deterministic_time < p.max_deterministic_time)
    )


def _stopped(cp: Any, code: Any) -> bool:
    """Tell whether a limit or a signal stopped a call before any solution (not infeasible)."""
    status = cp_status(code, cp)
    return not status.has_solution and status is not SolveStatus.INFEASIBLE


# ---------------------------------------------------------------------- greedy start


def reduced_demand(
    data: RosterData, covered: dict[tuple[int, str, str], int]
) -> tuple[Demand, ...]:
    """Demand less what ``covered`` already gives, taken from the first tiers of each cell.

    Shortfall and over-staffing of the rest are then exactly the change the remaining people
    make: under = max(0, req − fixed − n), over = max(0, fixed + n − req).
    """
    left = dict(covered)
    rows = sorted(
        enumerate(data.demand),
        key=lambda t: (t[1].day, t[1].shift, t[1].competence, t[1].tier, -t[1].weight_under, t[0]),
    )
    out: list[tuple[int, Demand]] = []
    for i, dm in rows:
        key = (dm.day, dm.shift, dm.competence)
        take = min(dm.required, left.get(key, 0))
        left[key] = left.get(key, 0) - take
        out.append((i, dm.model_copy(update={"required": dm.required - take})))
    return tuple(dm for _i, dm in sorted(out, key=lambda t: t[0]))


def person_data(
    data: RosterData, staff_id: str, covered: dict[tuple[int, str, str], int]
) -> RosterData:
    """Cut the instance down to one person: their rows only, demand less what others cover."""
    return data.model_copy(
        update={
            "staff": tuple(s for s in data.staff if s.id == staff_id),
            "demand": reduced_demand(data, covered),
            "named_demand": tuple(n for n in data.named_demand if n.staff == staff_id),
            "absences": tuple(a for a in data.absences if a.staff == staff_id),
            "wishes": tuple(w for w in data.wishes if w.staff == staff_id),
            "pins": tuple(p for p in data.pins if p.staff == staff_id),
            "rules": data.rules.model_copy(update={"fairness_weight": 0, "lexicographic": False}),
        }
    )


def construct(
    data: RosterData, options: SolveOptions, budget: float, cap: float | None = None
) -> tuple[dict[tuple[str, int], tuple[str, str]] | None, float, bool]:
    """Greedy roster, person by person (see the module docstring); None if one person fails.

    Each person gets an equal part of what is left of ``budget``. A person whose solve ends
    without any roster (not proven impossible) is solved once more with ``RETRY_FACTOR``
    times that part, taken from ``cap`` (≥ ``budget``, the most the whole start may use):
    on long horizons one person's year is a hard counting and sequence problem, and a
    start that fails for one person of fifty wastes the other forty-nine.

    Returns the roster (or None), the deterministic (or wall) seconds used, and whether a
    deterministic solve stopped on its wall-clock guard (then not repeatable). Each person's
    weighted objective counts all tiers at their weights (a heuristic start only).
    """
    from pks_opt.rostering.cpsat import RosterModel

    cap = budget if cap is None else max(cap, budget)
    assignment: dict[tuple[str, int], tuple[str, str]] = {}
    covered: dict[tuple[int, str, str], int] = {}  # (day, shift, competence) -> people on it
    used = first = 0.0  # all seconds, and those of first attempts (they share ``budget``)
    guard_hit = False
    last: dict[int, str] = {}  # day -> shift of the last person rostered (retry hint)
    n = len(data.staff)
    for i, e in enumerate(data.staff):
        if interrupt.requested():
            return None, used, guard_hit  # stopped by a signal: no complete start
        w0 = time.perf_counter()
        rm = RosterModel(person_data(data, e.id, covered), span_rows=True)
        ((_name, expr),) = rm.stage_exprs()
        rm.m.Minimize(expr)
        share = max(0.05, (budget - first) / (n - i))
        solver, code = _solve_person(rm, share, options, options.seed + i)
        # wall-clock mode: the person's model building counts too (50 x 0.5 s on Instance22)
        spent = _spent(solver, options) if options.deterministic else time.perf_counter() - w0
        used, first = used + spent, first + spent
        guard_hit |= hit_wall_guard(rm.cp, solver, code, options)
        retry = min(RETRY_FACTOR * share, cap - used)
        if _stopped(rm.cp, code) and retry > share:
            if options.progress:  # the live line: still making the first roster
                from pks_opt import progress

                progress.working_on("start")
            for (_e, d, sh), x in rm.x.items():  # from the last person's pattern
                rm.m.AddHint(x, last.get(d) == sh)
            solver, code = _solve_person(rm, retry, options, options.seed + i + n)
            used += _spent(solver, options)
            guard_hit |= hit_wall_guard(rm.cp, solver, code, options)
        if not cp_status(code, rm.cp).has_solution:
            return None, used, guard_hit
        mine = rm.roster_of(solver.ResponseProto().solution)
        assignment.update(mine)
        last = {d: sc[0] for (_e, d), sc in mine.items()}
        for (_e, d), (s, c) in mine.items():
            covered[d, s, c] = covered.get((d, s, c), 0) + 1
    return assignment, used, guard_hit


def _solve_person(
    rm: RosterModel, limit: float, options: SolveOptions, seed: int
) -> tuple[Any, Any]:
    solver = rm.cp.CpSolver()
    sub_parameters(solver, limit, options, seed)
    return solver, run_cp(solver, rm.m)


def _spent(solver: Any, options: SolveOptions) -> float:
    return float(solver.deterministic_time) if options.deterministic else solver.WallTime()


# ---------------------------------------------------------------------- LNS


@dataclass
class Stop:
    """Tells a running LNS to stop once it has used ``at`` (deterministic or wall) seconds.

    Set from another thread; comparing against the LNS's own used time (not the moment it
    is set) keeps a deterministic run repeatable.
    """

    at: float | None = None


@dataclass
class LnsRun:
    """What large-neighbourhood search ends with: the best roster, its objective, call counts."""

    values: np.ndarray  # 0/1 per shift variable (RosterModel.x order)
    objective: float
    solution: list[int] | None = None  # the full CP-SAT solution of the best roster found
    calls: int = 0
    improvements: int = 0
    used: float = 0.0


def _literals(ct: Any) -> list[int]:
    """Variables and literals of one constraint (the kinds RosterModel adds; else ValueError)."""
    out = list(ct.enforcement_literal)
    if ct.has_linear():
        out += list(ct.linear.vars)
    elif ct.has_bool_or():
        out += list(ct.bool_or.literals)
    elif ct.has_bool_and():
        out += list(ct.bool_and.literals)
    elif ct.has_at_most_one():
        out += list(ct.at_most_one.literals)
    elif ct.has_exactly_one():
        out += list(ct.exactly_one.literals)
    elif ct.has_lin_max():
        out += list(ct.lin_max.target.vars)
        for ex in ct.lin_max.exprs:
            out += list(ex.vars)
    else:
        raise ValueError("constraint kind without a sub-model rule")
    return out


class SubModels:
    """LNS sub-problems as small models: only the constraints that touch what is freed.

    Fixing the incumbent by hint (``fix_variables_to_their_hinted_value``) on the whole model
    makes CP-SAT load and presolve every constraint for every sub-problem: 0.5 s on Curtois
    Instance20 (84 700 constraints) before the search starts. A sub-model holds the freed
    shift variables with their work-day variables, every other auxiliary variable (roles,
    cover shortfall and surplus, weekends, ...) linked to them through constraints of
    auxiliary variables, every constraint touching one of those, the other variables of those
    constraints fixed at the incumbent, and the objective on the freed variables with the rest
    as a constant. Shift and work-day variables of the rest stay fixed as in the whole-model
    way (fixing every shift pins its work day); auxiliary ones reachable from the freed part
    may change there too (a fixed nurse's role may switch to let a freed one cover). Every
    constraint left out holds only fixed variables, which the incumbent satisfies, so a
    sub-model's solution put into the incumbent is a roster of the whole model, with the
    same objective value.
    """

    def __init__(self, base: Any, shift_idx: np.ndarray, work_idx: np.ndarray) -> None:
        """Index the whole model for building sub-models.

        ``base``: the whole model's proto; ``shift_idx``: its shift variables; ``work_idx``: the
        work-day variable of each shift variable (−1: none).
        """
        from ortools.sat.python import cp_model

        self.cp_model = cp_model
        self.base = base  # the whole model (CpModelProto), kept alive
        rows: list[int] = []
        cols: list[int] = []
        for j, ct in enumerate(base.constraints):
            vs = {v if v >= 0 else -v - 1 for v in _literals(ct)}
            rows += [j] * len(vs)
            cols += vs
        self.rows = np.array(rows, dtype=np.int64)
        self.cols = np.array(cols, dtype=np.int64)
        self.n_vars, self.n_cons = len(base.variables), len(base.constraints)
        self.shift_idx, self.work_idx = shift_idx, work_idx
        self.barrier = np.zeros(self.n_vars, dtype=bool)  # freed only with their shift
        self.barrier[shift_idx] = True
        self.barrier[work_idx[work_idx >= 0]] = True
        obj = base.objective
        self.obj_vars = np.array(list(obj.vars), dtype=np.int64)
        self.obj_coeffs = np.array(list(obj.coeffs), dtype=np.int64)
        self.obj_offset, self.obj_scale = float(obj.offset), float(obj.scaling_factor)
        self.constraints = list(base.constraints)  # wrappers, indexed without a C++ call
        self.domains = [list(v.domain) for v in base.variables]
        # the variables only, each fixed at the value of ``fixed_at`` (see :meth:`sync`)
        self.fixed = cp_model.CpModel().Proto()
        self.fixed.copy_from(base)
        self.fixed.constraints.clear()
        self.fixed.clear_objective()
        self.fixed.clear_solution_hint()
        self.fixed_at: np.ndarray | None = None

    @classmethod
    def of(cls, base: Any, shift_idx: np.ndarray, work_idx: np.ndarray) -> SubModels | None:
        """Make the sub-models of ``base`` (None: it has a constraint kind they cannot read)."""
        try:
            return cls(base, shift_idx, work_idx)
        except ValueError:  # a constraint kind it cannot read: LNS fixes by hint instead
            return None

    def _touching(self, var_mask: np.ndarray) -> np.ndarray:
        hit = np.zeros(self.n_cons, dtype=bool)
        hit[self.rows[var_mask[self.cols]]] = True
        return hit

    def freed(self, free: np.ndarray) -> np.ndarray:
        """Mask the variables a sub-model frees, from the mask ``free`` over ``shift_idx``."""
        out = np.zeros(self.n_vars, dtype=bool)
        out[self.shift_idx[free]] = True
        work = self.work_idx[free]
        out[work[work >= 0]] = True
        frontier = out
        while True:
            near = np.zeros(self.n_vars, dtype=bool)
            near[self.cols[self._touching(frontier)[self.rows]]] = True
            near &= ~self.barrier & ~out
            if not near.any():
                return out
            out |= near
            frontier = near

    def sync(self, incumbent: np.ndarray) -> None:
        """Fix the template's variables at ``incumbent`` (a full solution).

        Only the values that changed since the last call are rewritten.
        """
        changed = (
            np.arange(self.n_vars)
            if self.fixed_at is None
            else np.flatnonzero(self.fixed_at != incumbent)
        )
        for v in changed.tolist():
            dom = self.fixed.variables[v].domain
            dom.clear()
            dom.extend([int(incumbent[v])] * 2)
        self.fixed_at = incumbent.copy()

    def incumbent(self) -> np.ndarray:
        """Give the full solution of the last :meth:`sync`."""
        assert self.fixed_at is not None, "sync first"
        return self.fixed_at

    def build(self, shift_free: np.ndarray, model: Any = None) -> tuple[Any, np.ndarray]:
        """Build the sub-model freeing the shift variables ``shift_free`` around the incumbent.

        ``shift_free`` is a mask over ``shift_idx``; the incumbent is that of the last
        :meth:`sync`, and the sub-model is hinted with it and written into ``model`` (a CpModel to
        reuse; a new one if None). Also gives the mask of its free variables.
        """
        incumbent = self.incumbent()
        free = self.freed(shift_free)
        if model is None:
            model = self.cp_model.CpModel()
        p = model.Proto()
        p.copy_from(self.fixed)
        fv = np.flatnonzero(free)
        variables, domains = p.variables, self.domains
        for v in fv.tolist():
            dom = variables[v].domain
            dom.clear()
            dom.extend(domains[v])
        cons = self.constraints
        p.constraints.extend([cons[j] for j in np.flatnonzero(self._touching(free)).tolist()])
        on = free[self.obj_vars]
        p.objective.vars.extend(self.obj_vars[on].tolist())
        p.objective.coeffs.extend(self.obj_coeffs[on].tolist())
        p.objective.offset = self.obj_offset + float(
            self.obj_coeffs[~on] @ incumbent[self.obj_vars[~on]]
        )
        p.objective.scaling_factor = self.obj_scale
        p.solution_hint.vars.extend(fv.tolist())
        p.solution_hint.values.extend(incumbent[fv].tolist())
        return model, free


class Lns:
    """LNS over the shift variables of a RosterModel whose objective is already set."""

    def __init__(self, rm: RosterModel, options: SolveOptions) -> None:
        """Prepare LNS on ``rm`` (its own model copies: the full search may use ``rm.m``)."""
        self.rm, self.options = rm, options
        # own copies (one per thread): the full search may run on rm.m meanwhile
        self.models: list[Any] = [rm.m.Clone()]
        self.shells: list[Any] = []  # CpModels the sub-models are written into, one per thread
        self.rng = random.Random(options.seed)
        start = max(MIN_SHARE, min(START_SHARE, START_FREE / max(1, len(rm.x))))
        self.share = dict.fromkeys(KINDS, start)  # each kind adapts its own size
        self.calls = 0
        self.guard_hit = False  # a sub-problem stopped on its wall-clock guard
        self.load_s: float | None = None  # wall s to load the model with all shifts fixed
        self.lower = objective_floor(self.models[0])  # no roster can score below it
        keys = list(rm.x)
        staff_ids = [s.id for s in rm.data.staff]
        code = {s: i for i, s in enumerate(staff_ids)}
        self.n_staff, self.n_days = len(staff_ids), rm.data.num_days
        self.idx = np.array([rm.x[k].Index() for k in keys], dtype=np.int64)
        self.staff = np.array([code[k[0]] for k in keys], dtype=np.int64)
        self.day = np.array([k[1] for k in keys], dtype=np.int64)
        self._penalty_index(rm, keys)
        work = np.array(
            [rm.work[k[0], k[1]].Index() if (k[0], k[1]) in rm.work else -1 for k in keys],
            dtype=np.int64,
        )
        self.sub = SubModels.of(self.models[0].Proto(), self.idx, work) if SUB_MODELS else None

    def _penalty_index(self, rm: RosterModel, keys: list[tuple[str, int, str]]) -> None:
        """Arrays for :meth:`day_penalty`: cover cells and wishes of the shift variables."""
        data = rm.data
        shifts = {s.id: i for i, s in enumerate(data.shifts)}
        n_cells = max(1, self.n_days * len(shifts))
        self.cell = np.array([k[1] * len(shifts) + shifts[k[2]] for k in keys], dtype=np.int64)
        self.req = np.zeros(n_cells)
        self.w_under = np.zeros(n_cells)
        self.w_over = np.zeros(n_cells)
        for dm in data.demand:
            if dm.shift in shifts and 0 <= dm.day < self.n_days:
                c = dm.day * len(shifts) + shifts[dm.shift]
                self.req[c] += dm.required
                self.w_under[c] = max(self.w_under[c], dm.weight_under)
                self.w_over[c] = max(self.w_over[c], dm.weight_over)
        pos = {k: i for i, k in enumerate(keys)}
        wish_of: list[int] = []
        var_pos: list[int] = []
        wish_day: list[int] = []
        wish_work: list[bool] = []
        wish_weight: list[int] = []
        for w in data.wishes:
            vs = [
                pos[(w.staff, w.day, s)]
                for s in shifts
                if (w.shift is None or s == w.shift) and (w.staff, w.day, s) in pos
            ]
            wish_of += [len(wish_day)] * len(vs)
            var_pos += vs
            wish_day.append(w.day)
            wish_work.append(w.work)
            wish_weight.append(w.weight)
        self.wish_of = np.array(wish_of, dtype=np.int64)
        self.wish_var = np.array(var_pos, dtype=np.int64)
        self.wish_day = np.array(wish_day, dtype=np.int64)
        self.wish_work = np.array(wish_work, dtype=bool)
        self.wish_weight = np.array(wish_weight, dtype=float)

    def day_penalty(self, values: np.ndarray) -> np.ndarray:
        """Estimate the cost of each day in a roster, to choose neighbourhoods.

        Weighted cover shortfall and surplus per shift (all competences and tiers of a shift
        together) and the wishes it breaks. Only a guide; the objective itself is the model's.
        """
        cov = np.bincount(self.cell, weights=values, minlength=len(self.req))
        cell = (
            np.maximum(0.0, self.req - cov) * self.w_under
            + np.maximum(0.0, cov - self.req) * self.w_over
        )
        out: np.ndarray = cell.reshape(self.n_days, -1).sum(axis=1)
        if len(self.wish_day):
            worked = np.bincount(
                self.wish_of, weights=values[self.wish_var], minlength=len(self.wish_day)
            )
            broken = np.where(self.wish_work, worked < 0.5, worked > 0.5)
            out += np.bincount(
                self.wish_day, weights=self.wish_weight * broken, minlength=self.n_days
            )
        return out

    def values_of(self, assignment: dict[tuple[str, int], tuple[str, str]]) -> np.ndarray:
        """Turn a roster ((staff, day) → (shift, competence)) into 0/1 per shift variable."""
        return np.array(
            [1 if assignment.get((e, d), ("", ""))[0] == s else 0 for (e, d, s) in self.rm.x],
            dtype=np.int64,
        )

    def neighbourhood(
        self, rng: random.Random, kind: str, share: float, values: np.ndarray | None = None
    ) -> np.ndarray:
        """Mask of the shift variables freed: about ``share`` of them, chosen as ``kind``.

        Given the incumbent's ``values``, a window or run of days starts, every other draw
        (``GUIDED``), where the roster costs most (:meth:`day_penalty`), else anywhere.
        """
        e_n, h = self.n_staff, self.n_days
        if kind == "staff" or h <= 2:
            k = min(e_n, max(1, round(share * e_n)))
            free = rng.sample(range(e_n), k)
            return np.isin(self.staff, free)
        if kind == "window":
            length = min(h, rng.randint(7, 14))
            k = min(e_n, max(2, round(share * e_n * h / length)))
            a = self._start(rng, h, length, values)
            free = rng.sample(range(e_n), k)
            return np.isin(self.staff, free) & (self.day >= a) & (self.day < a + length)
        length = min(h, max(2, round(share * h)))
        a = self._start(rng, h, length, values)
        return (self.day >= a) & (self.day < a + length)

    def _start(self, rng: random.Random, h: int, length: int, values: np.ndarray | None) -> int:
        """First day of a run of ``length`` days: by the cost in the run, or uniform."""
        starts = h - length + 1
        if values is None or rng.random() >= GUIDED:
            return rng.randrange(0, starts)
        run = np.convolve(self.day_penalty(values), np.ones(length), mode="valid")[:starts]
        total = float(run.sum())
        if total <= 0:
            return rng.randrange(0, starts)
        return int(
            np.searchsorted(np.cumsum(run), rng.random() * total, side="right").clip(0, starts - 1)
        )

    def _solve(
        self, model: Any, values: np.ndarray, free: np.ndarray, limit: float, seed: int
    ) -> tuple[Any, Any, float]:
        """One sub-problem on ``model``: every shift variable outside ``free`` fixed."""
        fixed = ~free
        model.ClearHints()
        hint = model.Proto().solution_hint  # taken after clearing: the old one is freed
        hint.vars.extend(self.idx[fixed].tolist())
        hint.values.extend(values[fixed].tolist())
        solver = self.rm.cp.CpSolver()
        sub_parameters(solver, limit, self.options, seed)
        solver.parameters.fix_variables_to_their_hinted_value = True
        return solver, run_cp(solver, model), self._cost(solver)

    def _cost(self, solver: Any) -> float:
        return (
            max(MIN_CALL_COST, float(solver.deterministic_time))
            if self.options.deterministic
            else solver.WallTime()
        )

    def _attempt(
        self, model: Any, cur: LnsRun, free: np.ndarray, limit: float, seed: int
    ) -> tuple[float | None, list[int] | None, Any, float]:
        """Solve one neighbourhood.

        Gives (objective, full solution) if a roster was found, the status code and the cost; a
        small sub-model (:class:`SubModels`, written into ``model``) when the incumbent's full
        solution is known, else the whole ``model`` (a clone) fixed by hint.
        """
        cp = self.rm.cp
        if self.sub is not None and cur.solution is not None:
            w0 = time.perf_counter()
            sub, freed = self.sub.build(free, model)
            solver = cp.CpSolver()
            sub_parameters(solver, limit, self.options, seed)
            code = run_cp(solver, sub)
            # wall-clock mode: building the sub-model counts too
            cost = self._cost(solver) if self.options.deterministic else time.perf_counter() - w0
            solution: list[int] | None = None
            if cp_status(code, cp).has_solution:
                found = np.asarray(solver.ResponseProto().solution, dtype=np.int64)
                full = self.sub.incumbent().copy()  # synced with cur.solution
                full[freed] = found[freed]
                solution = full.tolist()
        else:
            solver, code, cost = self._solve(model, cur.values, free, limit, seed)
            solution = (
                list(solver.ResponseProto().solution) if cp_status(code, cp).has_solution else None
            )
        self.guard_hit |= hit_wall_guard(cp, solver, code, self.options)
        if not solution:
            return None, None, code, cost
        return float(solver.ObjectiveValue()), solution, code, cost

    def sub_limit(self, cur: LnsRun) -> float:
        """Give the time limit of one sub-problem.

        ``SUB_LIMIT_S`` deterministic s, or in wall-clock mode that plus twice the wall time of
        loading the model with every shift fixed.

        CP-SAT's presolve of the whole model barely counts in deterministic time but costs
        wall time: 0.05 s on Curtois Instance7, 0.5 s on Instance20 (47 000 variables), where
        a 0.5 s wall limit left every sub-problem unsolved (9 of 9), 2 s solved all 9. On
        small sub-models (:class:`SubModels`) 0.5 s was tried for Instance22 (whole model ~1 s
        to load, so 2.5 s a call): ahead after 240 s of LNS (33 834-33 947 against 34 161 from
        38 636), behind after the ~465 s of a 600 s run (34 600 against 33 525-33 793): the
        larger sub-problems the longer limit lets the sizes grow to keep paying late in the
        search. Four times the load time (4.4 s) gave 33 453, a limit from 0.5 s up to that,
        ×1.1 after a round without gain and ÷1.1 after one with, 33 732: no better, so the
        rule stays.
        """
        if self.options.deterministic:
            return SUB_LIMIT_S
        if self.load_s is None:
            self._fixed_solve(cur)
        assert self.load_s is not None
        return SUB_LIMIT_S + 2 * self.load_s

    def _fixed_solve(self, cur: LnsRun) -> tuple[Any, Any, float]:
        """Solve the whole model with every shift fixed at ``cur`` (sets ``load_s``)."""
        t0 = time.perf_counter()
        out = self._solve(
            self.models[0], cur.values, np.zeros(len(self.idx), dtype=bool), 60.0, self.options.seed
        )
        self.load_s = time.perf_counter() - t0
        return out

    def complete(self, cur: LnsRun) -> None:
        """Give ``cur`` its full CP-SAT solution (auxiliary variables too).

        Sub-models fix their boundary to it: the whole model solved with every shift fixed. In
        wall-clock mode this also times loading the model (``load_s``).
        """
        if self.sub is None or cur.solution is not None:
            return
        solver, code, cost = self._fixed_solve(cur)
        cur.used += cost if self.options.deterministic else self.load_s or 0.0
        self.guard_hit |= hit_wall_guard(self.rm.cp, solver, code, self.options)
        if cp_status(code, self.rm.cp).has_solution:
            cur.solution = list(solver.ResponseProto().solution)

    def run(
        self,
        start: LnsRun,
        budget: float,
        stop: Stop | None = None,
        on_improve: Callable[[float], None] | None = None,
        threads: int = 1,
    ) -> LnsRun:
        """Improve ``start`` for ``budget`` (deterministic or wall) seconds.

        Stops early at the objective's floor (:func:`objective_floor`, e.g. no shortfall) or
        when ``stop`` says so.

        With ``threads`` > 1, each round solves that many neighbourhoods of the same incumbent
        side by side and keeps the best; a round costs its longest sub-problem. Rounds are
        drawn and merged in a fixed order, so a run stays repeatable. The neighbourhood sizes
        and the random stream carry over from one call to the next.
        """
        cur = LnsRun(start.values.copy(), start.objective, start.solution)
        self.complete(cur)
        whole, models = self._models(cur, threads)
        pool = ThreadPoolExecutor(threads) if threads > 1 else None
        try:
            while (
                cur.used < budget - 1e-3
                and cur.objective > self.lower + 1e-9
                and not (stop is not None and stop.at is not None and cur.used >= stop.at)
                and not interrupt.requested()
            ):  # a signal: keep the incumbent
                w0 = time.perf_counter()
                limit = min(self.sub_limit(cur), budget - cur.used)
                best, cost = self._round(cur, models[:threads], limit, pool)
                if best is not None:
                    self._take(cur, best, whole, on_improve)
                # deterministic: the longest sub-problem; wall-clock: the whole round, the
                # sub-models' building and the incumbent's sync too
                cur.used += cost if self.options.deterministic else time.perf_counter() - w0
        finally:
            if pool is not None:
                pool.shutdown()
        return cur

    def _take(
        self,
        cur: LnsRun,
        best: tuple[float, list[int]],
        whole: bool,
        on_improve: Callable[[float], None] | None,
    ) -> None:
        """Make ``best`` (objective, full solution) the incumbent of ``cur``."""
        if best[0] < cur.objective - 1e-9:
            cur.improvements += 1
            if on_improve is not None:
                on_improve(best[0])
        cur.objective, cur.solution = best
        full = np.asarray(cur.solution, dtype=np.int64)
        cur.values = full[self.idx]
        if not whole:  # the sub-models' fixed part follows the incumbent
            assert self.sub is not None
            self.sub.sync(full)

    def _models(self, cur: LnsRun, threads: int) -> tuple[bool, list[Any]]:
        """Make one model per thread.

        Clones of the whole model (``whole``), or reused sub-model shells synced with the
        incumbent.
        """
        whole = self.sub is None or cur.solution is None  # sub-problems on model clones
        while whole and len(self.models) < threads:
            self.models.append(self.rm.m.Clone())
        while not whole and len(self.shells) < threads:  # one reused sub-model per thread
            self.shells.append(self.rm.cp.CpModel())
        if not whole:
            assert self.sub is not None and cur.solution is not None
            self.sub.sync(np.asarray(cur.solution, dtype=np.int64))
        return whole, self.models if whole else self.shells

    def _round(
        self, cur: LnsRun, models: list[Any], limit: float, pool: ThreadPoolExecutor | None
    ) -> tuple[tuple[float, list[int]] | None, float]:
        """Run one round: a neighbourhood per thread drawn in a fixed order, solved side by side.

        Sizes adapt (×1.1 proven, ÷1.1 cut off); gives the best result ≤ the incumbent (or
        None) and the round's cost, that of its longest sub-problem.
        """
        draws = []
        for _t in range(len(models)):
            kind = self.rng.choice(KINDS)
            free = self.neighbourhood(self.rng, kind, self.share[kind], cur.values)
            draws.append((kind, free, self.calls))
            self.calls += 1
        jobs = [
            (models[t], cur, free, limit, self.options.seed + c)
            for t, (_k, free, c) in enumerate(draws)
        ]
        results = (
            list(pool.map(lambda a: self._attempt(*a), jobs))
            if pool is not None
            else [self._attempt(*jobs[0])]
        )
        cur.calls += len(draws)
        best: tuple[float, list[int]] | None = None
        for (kind, _f, _c), (value, sol, code, _cost) in zip(draws, results, strict=True):
            self.share[kind] = (
                min(MAX_SHARE, self.share[kind] * 1.1)
                if cp_status(code, self.rm.cp) is SolveStatus.OPTIMAL
                else max(MIN_SHARE, self.share[kind] / 1.1)
            )
            if (
                value is not None
                and sol is not None
                and value <= cur.objective + 1e-9
                and (best is None or value < best[0] - 1e-9)
            ):
                best = (value, sol)
        return best, max(cost for *_r, cost in results)


def objective_floor(model: Any) -> float:
    """Bound the model's objective from below by its variables' bounds alone."""
    proto = model.Proto()
    obj = proto.objective
    lo = float(obj.offset)
    for v, c in zip(list(obj.vars), list(obj.coeffs), strict=True):
        dom = list(proto.variables[v].domain)  # a list: the proto field has no dom[-1]
        lo += c * (dom[0] if c > 0 else dom[-1])
    return lo


def progress_printer(stage: str, enabled: bool) -> Callable[[float], None] | None:
    """Make a callback that reports each better roster of ``stage`` as progress (None when off)."""
    if not enabled:
        return None

    from pks_opt import progress

    def show(value: float) -> None:  # the live progress line (pks_opt.progress), plain words
        progress.best_so_far(stage, value)

    return show

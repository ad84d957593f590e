"""One lexicographic stage driver for every optimising level (issue 17, part 2).

A level states its stages (name, what the solver minimises, what is held afterwards), a
solver adapter (:class:`PulpAdapter` for PuLP with HiGHS/CBC, :class:`CpSatAdapter` for
CP-SAT, or a subclass with the level's own preparation of a stage), how the time is split
(:class:`TimeSplit`) and how much slack a fixed stage keeps (a tolerance function, in the
level's objective units). :func:`run_stages` then owns, for every level alike:

* the time split: each stage gets the time left shared by the stages left (or, with
  ``shared=False``, all of it), never less than the split's minimum;
* fixing a stage before the next: ``held ≤ value + tolerance(value, proven)`` — exact (or
  solver noise only) when the stage is proven optimal, the level's tolerance otherwise;
* the status: OPTIMAL only if every stage is proven; FEASIBLE with a stage not proven, a
  later stage without a solution, or stages left out after a signal; the first stage's status
  (INFEASIBLE, NO_SOLUTION_IN_TIME, INTERRUPTED) when it found nothing;
* signals (:mod:`pks_opt.interrupt`): after a SIGINT/SIGTERM no further stage starts, and the
  solution so far is kept;
* per-stage reports (:class:`~pks_opt.result.StageReport`) and progress (``on_stage``);
* for a level with a start (the roster's greedy start): ``started=True`` — a solution exists
  before stage 1 — and ``hold_last=False`` — the last stage is recorded, not added.

:func:`self_check` is the one policy for the check without the solver: each stage's value
recomputed from the solution is compared with the solver's; a mismatch beyond its tolerance
is a warning (returned, for :attr:`Result.warnings`) and a status no better than FEASIBLE.
:func:`cp_status` maps a CP-SAT status code for every CP-SAT level.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pks_opt import interrupt, progress
from pks_opt.result import SolveStatus, StageReport

#: tolerance(value, proven) -> slack kept on a fixed stage value (objective units)
Tolerance = Callable[[float, bool], float]


# ------------------------------------------------------------------------------ stages


@dataclass(frozen=True)
class Stage:
    """One stage: minimise ``objective``, then hold ``held`` (default: the objective).

    ``objective`` is a solver expression; for CP-SAT a plain ``int`` is a constant stage
    (nothing to decide). ``held`` differs when the stage's objective carries a secondary
    term that later stages may trade (the production plan's levelling).
    """

    name: str
    objective: Any
    held: Any = None
    info: Any = None  # the level's own data about the stage (passed back to its hooks)


@dataclass(frozen=True)
class Outcome:
    """One solver call: status, objective (``inf`` without a solution), bound, seconds."""

    status: SolveStatus
    objective: float
    bound: float
    runtime_s: float
    solver: str = ""


@dataclass(frozen=True)
class TimeSplit:
    """How the time limit is spread over the stages.

    ``limit_s`` None: no limit. ``shared``: a stage gets the time left divided by the stages
    left (``max(min_stage_s, left / n)``); else all the time left (``max(min_stage_s,
    left)``). The clock is the adapter's (:meth:`Adapter.used_s`): wall seconds, or CP-SAT's
    deterministic seconds.
    """

    limit_s: float | None
    min_stage_s: float = 0.0
    shared: bool = True

    def budget(self, used_s: float, stages_left: int) -> float | None:
        """Give the next stage's seconds: ``used_s`` used, ``stages_left`` to go (None: no cap)."""
        if self.limit_s is None:
            return None
        left = self.limit_s - used_s
        if self.shared:
            return max(self.min_stage_s, left / max(1, stages_left))
        return max(self.min_stage_s, left)


def exact(_value: float, _proven: bool) -> float:
    """No slack: integer stage values (CP-SAT) are held exactly."""
    return 0.0


def relative(rel: float, floor: float) -> Tolerance:
    """``max(floor, rel·|value|)``, proven or not (balancing's ``stage_tolerance``)."""

    def tol(value: float, _proven: bool) -> float:
        return max(floor, rel * abs(value))

    return tol


def proven_noise(noise_rel: float, rel: float, floor: float) -> Tolerance:
    """Tolerate solver noise when proven, more when not.

    Noise is ``noise_rel·max(1, |v|)``; unproven also ``rel·|v|`` and ``floor`` (the production
    plan's ``stage_tolerance``).
    """

    def tol(value: float, proven: bool) -> float:
        noise = noise_rel * max(1.0, abs(value))
        return noise if proven else max(floor, noise, rel * abs(value))

    return tol


# ------------------------------------------------------------------------------ adapters


class Adapter:
    """What the driver needs from a solver.

    Subclassed per backend and, where a level prepares a stage (hints, bounds, warm starts),
    per level.
    """

    solver_name = ""

    def used_s(self) -> float:
        """Seconds used so far on the budget's clock (wall clock by default)."""
        return time.perf_counter() - self._t0

    def __init__(self) -> None:
        """Start the adapter's wall clock."""
        self._t0 = time.perf_counter()

    def prepare(self, index: int, stage: Stage, budget_s: float | None) -> None:
        """Before stage ``index`` is solved (hints, bounds, a start)."""

    def solve(self, stage: Stage, budget_s: float | None) -> Outcome:
        """Solve ``stage`` within ``budget_s`` seconds on the adapter's clock (None: no limit)."""
        raise NotImplementedError

    def value(self, expr: Any) -> float:
        """``expr`` in the solution of the last solve."""
        raise NotImplementedError

    def hold(self, stage: Stage, expr: Any, upper: float) -> None:
        """Add ``expr ≤ upper`` (the stage kept for the later stages)."""
        raise NotImplementedError

    def keep(self) -> None:
        """Remember the last solve's solution (e.g. as the next stage's hint); it found one."""


class PulpAdapter(Adapter):
    """A ``pulp.LpProblem`` solved by :func:`pks_opt.milp.solve_pulp` (``options`` passed)."""

    def __init__(self, prob: Any, backend: str, **options: Any) -> None:
        """Solve ``prob`` with the PuLP ``backend`` (``highs``, ``cbc``), ``options`` passed on."""
        super().__init__()
        self.prob, self.backend, self.options = prob, backend, options
        self.solver_name = backend

    def set_objective(self, stage: Stage) -> None:
        """Make ``stage``'s objective the problem's."""
        self.prob.setObjective(stage.objective)

    def solve_pulp(self, prob: Any, backend: str, **options: Any) -> Any:
        """:func:`pks_opt.milp.solve_pulp`; a level may route it through its own module."""
        from pks_opt.milp import solve_pulp

        return solve_pulp(prob, backend, **options)

    def solve(self, stage: Stage, budget_s: float | None) -> Outcome:
        """Solve the problem with ``stage``'s objective by the PuLP backend within ``budget_s``."""
        self.set_objective(stage)
        out = self.solve_pulp(self.prob, self.backend, time_limit_s=budget_s, **self.options)
        self.solver_name = out.solver
        return Outcome(out.status, out.objective, out.bound, out.runtime_s, out.solver)

    def value(self, expr: Any) -> float:
        """Evaluate ``expr`` at the last solution (0 for an empty expression)."""
        import pulp

        return float(pulp.value(expr) or 0.0)

    def hold(self, stage: Stage, expr: Any, upper: float) -> None:
        """Add the row ``expr ≤ upper`` named ``stage[<name>]``."""
        self.prob += expr <= upper, f"stage[{stage.name}]"


class CpSatAdapter(Adapter):
    """A CP-SAT model, one ``CpSolver`` per stage; the clock is deterministic seconds.

    Each stage gets ``budget`` deterministic seconds and ``wall_factor × budget`` wall
    seconds as a safety net; the previous stage's values of ``hint_vars`` are its hint. The
    objective is rounded to an integer (CP-SAT objectives of integer terms).
    """

    solver_name = "cp-sat"

    def __init__(
        self,
        model: Any,
        *,
        workers: int = 1,
        seed: int = 0,
        wall_factor: float = 3.0,
        hint_vars: Sequence[Any] = (),
        status: Callable[[Any, Any], SolveStatus] | None = None,
    ) -> None:
        """Solve ``model`` by CP-SAT on ``workers`` threads with ``seed``, hinting ``hint_vars``."""
        super().__init__()
        self.status = status or cp_status  # (code, cp module) -> SolveStatus
        from ortools.sat.python import cp_model

        self.cp, self.model = cp_model, model
        self.workers, self.seed, self.wall_factor = workers, seed, wall_factor
        self.hint_vars = list(hint_vars)
        self.hints: dict[Any, int] = {}
        self.deterministic_s = 0.0
        self.solver: Any = None  # the solver of the last solve
        self.last: Any = None  # the solver holding the last solution kept

    def used_s(self) -> float:
        """Count CP-SAT's deterministic seconds used so far."""
        return self.deterministic_s

    def prepare(self, index: int, stage: Stage, budget_s: float | None) -> None:
        """Hint the last solution kept, so the stage starts from it."""
        self.model.clear_hints()
        for var, val in self.hints.items():
            self.model.add_hint(var, val)

    def solve(self, stage: Stage, budget_s: float | None) -> Outcome:
        """Solve ``stage`` with a new CP-SAT solver; the objective is rounded to an integer."""
        solver = self.cp.CpSolver()
        if budget_s is not None:
            solver.parameters.max_deterministic_time = budget_s
            solver.parameters.max_time_in_seconds = self.wall_factor * budget_s
        solver.parameters.num_workers = self.workers
        solver.parameters.random_seed = self.seed
        self.model.minimize(0 if isinstance(stage.objective, int) else stage.objective)
        s0 = time.perf_counter()
        code = interrupt.run_cp(solver, self.model)  # stoppable by SIGINT/SIGTERM
        runtime = time.perf_counter() - s0
        self.deterministic_s += solver.response_proto.deterministic_time
        self.solver = solver
        status = self.status(code, self.cp)
        if not status.has_solution:
            return Outcome(status, math.inf, -math.inf, runtime, self.solver_name)
        return Outcome(
            status,
            float(int(round(solver.objective_value))),
            float(solver.best_objective_bound),
            runtime,
            self.solver_name,
        )

    def value(self, expr: Any) -> float:
        """Evaluate ``expr`` at the last solution, rounded to an integer."""
        if isinstance(expr, int):
            return float(expr)
        return float(int(round(self.solver.value(expr))))

    def hold(self, stage: Stage, expr: Any, upper: float) -> None:
        """Add ``expr ≤ upper`` (rounded) named ``stage[<name>]``; a constant stage needs none."""
        if not isinstance(expr, int):  # a constant stage holds itself
            self.model.add(expr <= int(round(upper))).with_name(f"stage[{stage.name}]")

    def keep(self) -> None:
        """Keep the last solver and its values of ``hint_vars`` as the next stage's hint."""
        self.last = self.solver
        self.hints = {v: int(self.solver.value(v)) for v in self.hint_vars}


def cp_status(code: Any, cp: Any) -> SolveStatus:
    """Map a CP-SAT status code to a :class:`SolveStatus` (one mapping for every CP-SAT level).

    MODEL_INVALID is a bug in a model builder, never the user's input: it raises. Stopped
    before any solution: INTERRUPTED by SIGINT/SIGTERM (:mod:`pks_opt.interrupt`), else
    NO_SOLUTION_IN_TIME.
    """
    if code == cp.OPTIMAL:
        return SolveStatus.OPTIMAL
    if code == cp.FEASIBLE:
        return SolveStatus.FEASIBLE
    if code == cp.INFEASIBLE:
        return SolveStatus.INFEASIBLE
    if code == cp.MODEL_INVALID:
        raise RuntimeError("CP-SAT: model invalid")
    return SolveStatus.INTERRUPTED if interrupt.requested() else SolveStatus.NO_SOLUTION_IN_TIME


# ------------------------------------------------------------------------------ driver


@dataclass
class StagesRun:
    """What :func:`run_stages` returns.

    ``held`` / ``slack``: the value held after each stage and the slack kept on it;
    ``budgets``: the seconds each stage was given; ``stopped``: why the stages ended before
    the last (``"no solution"``, ``"signal"``, ``"by the level"``) or None.
    """

    status: SolveStatus
    reports: list[StageReport] = field(default_factory=list)
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    held: dict[str, float] = field(default_factory=dict)
    slack: dict[str, float] = field(default_factory=dict)
    budgets: dict[str, float | None] = field(default_factory=dict)
    stopped: str | None = None
    solver: str = ""
    started: bool = False  # a solution existed before stage 1 (``run_stages(started=True)``)

    @property
    def has_solution(self) -> bool:
        """True when a solution exists: a start, a held stage or a stage with a solution."""
        return (
            self.started
            or bool(self.held)
            or any(o.status.has_solution for o in self.outcomes.values())
        )


def run_stages(
    stages: Sequence[Stage],
    adapter: Adapter,
    split: TimeSplit,
    tolerance: Tolerance,
    *,
    accept: Callable[[Stage, Outcome], bool] | None = None,
    on_stage: Callable[[StageReport], None] | None = None,
    started: bool = False,
    hold_last: bool = True,
) -> StagesRun:
    """Solve ``stages`` in order, holding each stage's value for the next (module docstring).

    ``accept(stage, outcome)`` runs after a stage with a solution, before it is held; False
    ends the stages there (the level repairs its model and runs them again, e.g. balancing's
    lazy rows). ``on_stage`` receives each stage's report as it ends (progress).

    ``started``: a solution exists before stage 1 (a greedy start, kept by the adapter), so a
    signal before any stage, or a stage that finds nothing, leaves a FEASIBLE run with that
    solution instead of the stage's status. ``hold_last=False``: the last stage's value is
    recorded in ``held`` but not added to the model (nothing follows it; the model stays
    free for a later polish).
    """
    run = StagesRun(SolveStatus.OPTIMAL, solver=adapter.solver_name, started=started)
    found = started
    for i, stage in enumerate(stages):
        if found and interrupt.requested():  # a signal: no later stage starts; keep what is
            run.status, run.stopped = SolveStatus.FEASIBLE, "signal"
            break
        budget = split.budget(adapter.used_s(), len(stages) - i)
        run.budgets[stage.name] = budget
        progress.stage_started(stage.name, budget)
        adapter.prepare(i, stage, budget)
        out = adapter.solve(stage, budget)
        run.solver = out.solver or run.solver
        run.outcomes[stage.name] = out
        report = StageReport(stage.name, out.status, out.objective, out.bound, out.runtime_s)
        run.reports.append(report)
        progress.stage_done(report)
        if on_stage is not None:
            on_stage(report)
        if not out.status.has_solution:
            run.status = SolveStatus.FEASIBLE if found else out.status
            run.stopped = "no solution"
            break
        found = True
        adapter.keep()
        if out.status is not SolveStatus.OPTIMAL:
            run.status = SolveStatus.FEASIBLE
        if accept is not None and not accept(stage, out):
            run.stopped = "by the level"
            break
        held = stage.objective if stage.held is None else stage.held
        value = out.objective if stage.held is None else adapter.value(held)
        slack = tolerance(value, out.status is SolveStatus.OPTIMAL)
        run.held[stage.name], run.slack[stage.name] = value, slack
        if hold_last or i < len(stages) - 1:
            adapter.hold(stage, held, value + slack)
    return run


# ------------------------------------------------------------------------------ self-check


@dataclass(frozen=True)
class Check:
    """One stage value to check: what the solver reported and what was recomputed without it.

    A mismatch: the recomputed value above the solver's by more than ``tolerance``; below
    the stage's proven ``bound`` by more than it; or, with ``exact`` (a proven optimum that
    later stages could not change), different by more than it.
    """

    stage: str
    solver: float
    recomputed: float
    tolerance: float = 0.0
    bound: float = -math.inf
    exact: bool = False

    def problem(self) -> str | None:
        """Describe how the recomputed value and the solver's disagree (None: they agree)."""
        got, want, tol = self.recomputed, self.solver, self.tolerance
        if not math.isfinite(want):
            return None
        if (
            got > want + tol
            or (math.isfinite(self.bound) and got < self.bound - tol)
            or (self.exact and abs(got - want) > tol)
        ):
            bound = f" (bound {self.bound:.8g})" if math.isfinite(self.bound) else ""
            return (
                f"self-check: stage {self.stage} recomputed {got:.8g} but the solver "
                f"reports {want:.8g}{bound}"
            )
        return None


def self_check(
    status: SolveStatus, checks: Iterable[Check], *, prefix: str = ""
) -> tuple[SolveStatus, list[str]]:
    """Apply the one self-check policy: each mismatch is a warning line.

    The status is no better than FEASIBLE when there is one (the solution stands, its proof
    does not).
    """
    problems = [prefix + p for c in checks if (p := c.problem()) is not None]
    return no_better_than_feasible(status, bool(problems)), problems


def no_better_than_feasible(status: SolveStatus, failed: bool) -> SolveStatus:
    """OPTIMAL becomes FEASIBLE when a check ``failed``; every other status stays."""
    return SolveStatus.FEASIBLE if failed and status is SolveStatus.OPTIMAL else status

"""The balancing MILP's stage driver (spec: ``models/balancing.md``).

:func:`solve_balancing` builds the model (:mod:`pks_opt.balancing.builder`), runs the
lexicographic stages on the shared driver (:func:`pks_opt.stages.run_stages`), keeping each
optimum as a constraint (R11) and adding donor-backlog rows lazily, then the post-solve steps
on a copy of the model: levelling (:mod:`pks_opt.balancing.levelling`) and the marginal values
of capacity (:mod:`pks_opt.balancing.duals`). ``SolveRun.model`` stays the model the stages
solved.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pks_opt.balancing.builder import (
    CAP_EPS,
    STAGE_COST,
    STAGE_LADDER,
    STAGE_LEVELLING,
    STAGE_MOVES,
    STAGE_NEED,
    STAGE_WAITING,
    BalancingModel,
    Coefs,
    Key3,
    action_weight,
    build_model,
    capacity_after,
    copy_model,
    equiv,
    read_values,
)
from pks_opt.balancing.data import BalancingData, DonorBacklog
from pks_opt.milp import MilpOutcome, check_backend, solve_pulp
from pks_opt.result import SolveStatus
from pks_opt.stages import Outcome, PulpAdapter, Stage, TimeSplit, relative, run_stages

__all__ = [
    "BalancingModel",
    "CAP_EPS",
    "HIGHS_OPTIONS",
    "MAX_LAZY_ROUNDS",
    "MIN_STAGE_TIME_S",
    "ROW_TOLERANCE",
    "STAGE_COST",
    "STAGE_LADDER",
    "STAGE_LEVELLING",
    "STAGE_MOVES",
    "STAGE_NEED",
    "STAGE_TOLERANCE_ABS",
    "STAGE_WAITING",
    "SolveRun",
    "StageOutcome",
    "action_weight",
    "build_model",
    "capacity_after",
    "copy_model",
    "equiv",
    "read_values",
    "row_violation",
    "solve_balancing",
    "solve_checked",
    "solve_stage",
]

#: a tiny absolute floor when the tolerance is relative (values near zero)
STAGE_TOLERANCE_ABS = 1e-7


#: a stage reached after the time limit still gets this long (it may find nothing: honest)
MIN_STAGE_TIME_S = 0.1


#: a stage's plan breaking a row by more than this (relative) is not taken (see row_violation)
ROW_TOLERANCE = 1e-5


#: rounds of lazily added donor-backlog rows (R4) before giving up proving optimality
MAX_LAZY_ROUNDS = 20


#: HiGHS options for every stage: no sub-MIP heuristics (RINS, RENS) and no root
#: reduced-cost heuristic. With the donor-backlog rows each stage is a MILP whose root node
#: HiGHS spent mostly in these sub-MIPs (15 x 50 x 6 x 8: 19 s -> 5 s; 30 x 100 x 8 x 12:
#: 400 s -> 68 s, see docs/balancing.md); the next stage starts from the previous stage's
#: plan anyway. Proofs are unchanged: the branch-and-bound and its cuts are the same.
HIGHS_OPTIONS: dict[str, Any] = {
    "mip_heuristic_run_rins": False,
    "mip_heuristic_run_rens": False,
    "mip_heuristic_run_root_reduced_cost": False,
}


@dataclass(frozen=True)
class StageOutcome:
    """The solver's outcome of one named stage of the balancing solve."""

    name: str
    outcome: MilpOutcome


@dataclass
class SolveRun:
    """What :func:`solve_balancing` returns: the model (values loaded), stages, duals."""

    model: BalancingModel
    stages: list[StageOutcome]
    status: SolveStatus
    values: dict[str, dict[Any, float]]
    build_s: float
    solve_s: float
    need_value: dict[Key3, float] = field(default_factory=dict)
    cost_value: dict[Key3, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    #: the plan the stages proved, before rounding to whole activities (``values`` is rounded)
    continuous: dict[str, dict[Any, float]] | None = None
    #: activities rounding left unmet beyond the proven plan (no unit had room for them)
    rounding_unmet: float = 0.0


def solve_balancing(
    data: BalancingData,
    backend: str = "highs",
    *,
    time_limit_s: float | None = None,
    threads: int | None = 1,
    duals: bool = True,
) -> SolveRun:
    """Build and solve all stages; see ``models/balancing.md`` for the order and rules."""
    backend = check_backend(backend)
    t0 = time.perf_counter()
    bm = build_model(data)
    build_s = time.perf_counter() - t0
    prm = data.params
    deadline = None if time_limit_s is None else time.perf_counter() + time_limit_s

    def remaining() -> float | None:
        if deadline is None:
            return None
        return max(MIN_STAGE_TIME_S, deadline - time.perf_counter())

    order = [STAGE_NEED, STAGE_LADDER, STAGE_COST, STAGE_WAITING, STAGE_MOVES]
    # every stage gets all the time left (the first stage is the one that matters most)
    split = TimeSplit(time_limit_s, MIN_STAGE_TIME_S, shared=False)
    tolerance = relative(prm.stage_tolerance, STAGE_TOLERANCE_ABS)
    adapter = _BalancingStages(bm, backend, threads, prm)
    breaches: set[Key3] = set()

    def accept(_stage: Stage, _out: Outcome) -> bool:
        """End the round when the plan breaks R4's backlog part at a donor without its rows."""
        nonlocal breaches
        if prm.donor_backlog is DonorBacklog.plan:
            assert adapter.values is not None
            breaches = bm.builder.backlog_breaches(adapter.values, 1e-6) - bm.backlog_keys
        return not breaches

    stages: list[StageOutcome] = []
    values: dict[str, dict[Any, float]] | None = None
    status = SolveStatus.OPTIMAL
    finished = False
    for _round in range(MAX_LAZY_ROUNDS):
        # a round: the stages in order; a plan breaking R4's backlog part at a donor adds its
        # rows (lazy) and starts again; a round without a breach is the full model's optimum
        breaches, adapter.values = set(), None
        todo = [Stage(name, bm.objectives[name]) for name in order if bm.objectives.get(name)]
        done = run_stages(todo, adapter, split, tolerance, accept=accept)
        stages = [StageOutcome(r.name, adapter.outcomes[r.name]) for r in done.reports]
        values, status = adapter.values, done.status
        finished = done.stopped is None
        if not breaches:
            break
        if deadline is not None and deadline - time.perf_counter() <= MIN_STAGE_TIME_S:
            status, finished = SolveStatus.FEASIBLE, False  # no time to repair: not proven
            break
        for n in [n for n in bm.prob.constraints if n.startswith("stage")]:
            del bm.prob.constraints[n]
        pairs = {(u, r) for u, r, _p in breaches}
        keys = {(u, r, p) for u, r in pairs for p in bm.periods} - bm.backlog_keys
        bm.builder.backlog_rows(keys)
        bm.backlog_keys |= keys
    else:
        status, finished = SolveStatus.FEASIBLE, False
    # the post-solve steps change their model (integers fixed and made continuous, stage
    # rows taken out): they work on a copy, so run.model stays the model the stages solved
    post: BalancingModel | None = None
    if finished and values is not None:
        post = copy_model(bm)
        values, status = _level(post, values, stages, status, backend, remaining(), threads)
    run = SolveRun(bm, stages, status, values or {}, build_s, 0.0, warnings=adapter.warnings)
    if duals and values is not None:
        _duals(run, post or copy_model(bm), backend, remaining(), threads)
    if values is not None and prm.whole_activities == "round":
        from pks_opt.balancing.whole import round_plan

        rounded = round_plan(data, values)  # (R15) part of solving: timed with it
        run.continuous, run.values = values, rounded.values
        run.rounding_unmet = rounded.extra_unmet
    run.solve_s = time.perf_counter() - t0 - build_s
    return run


def _duals(
    run: SolveRun, post: BalancingModel, backend: str, time_limit: float | None, threads: int | None
) -> None:
    """Add the marginal values of capacity to ``run``, solved on ``post`` (a model copy)."""
    from pks_opt.balancing.duals import shadow_prices

    shadow_prices(run, post, backend, time_limit, threads)


def _level(
    post: BalancingModel,
    values: dict[str, dict[Any, float]],
    stages: list[StageOutcome],
    status: SolveStatus,
    backend: str,
    time_limit: float | None,
    threads: int | None,
) -> tuple[dict[str, dict[Any, float]], SolveStatus]:
    """Run stage 6 (levelling) on ``post``, a copy of the model.

    Its outcome is appended to ``stages``; gives the plan and the status after it.
    """
    from pks_opt.balancing.levelling import levelling

    out = levelling(post, values, backend, time_limit, threads, post.data.params)
    stages.append(StageOutcome(STAGE_LEVELLING, out))
    if not out.status.has_solution:
        return values, SolveStatus.FEASIBLE
    if out.status is not SolveStatus.OPTIMAL:
        status = SolveStatus.FEASIBLE
    return read_values(post), status


class _BalancingStages(PulpAdapter):
    """Balancing's stages on the driver.

    Each solve checked against the model's rows (:func:`solve_checked`), the plan read back
    after each stage with one.
    """

    def __init__(self, bm: BalancingModel, backend: str, threads: int | None, prm: Any) -> None:
        super().__init__(bm.prob, backend)
        self.bm, self.threads, self.prm = bm, threads, prm
        self.values: dict[str, dict[Any, float]] | None = None  # the plan of the last stage
        self.outcomes: dict[str, MilpOutcome] = {}
        self.warnings: list[str] = []

    def solve(self, stage: Stage, budget_s: float | None) -> Outcome:
        bm, name = self.bm, stage.name
        out, broke = solve_checked(
            bm.prob,
            lambda presolve: solve_stage(
                bm,
                name,
                stage.objective,
                self.backend,
                budget_s,
                self.threads,
                self.prm,
                presolve=presolve,
            ),
            # the previous stage's plan meets every row of this one
            infeasible_is_presolve=self.values is not None,
        )
        if broke:
            self.warnings.append(
                f"stage {name}: the solver's plan broke the model's rows, also when "
                "solved again without presolve; the stage counts as without a plan"
            )
        self.outcomes[name] = out
        return Outcome(out.status, out.objective, out.bound, out.runtime_s, out.solver)

    def keep(self) -> None:
        self.values = read_values(self.bm)

    def hold(self, stage: Stage, expr: Any, upper: float) -> None:
        self.bm.add_le(dict(expr), upper, f"stage[{stage.name}]")


def solve_checked(
    prob: Any, solve: Callable[[bool], MilpOutcome], *, infeasible_is_presolve: bool
) -> tuple[MilpOutcome, bool]:
    """Solve, and again without presolve when the plan breaks a row or is wrongly infeasible.

    After ``solve(presolve)``: if the plan breaks a row of ``prob`` (CBC has called such a plan
    optimal when its preprocessing failed), or the solver says infeasible where a plan is known
    to exist (HiGHS's presolve misjudging the thin sliver the stage rows R11 leave when a stage
    spends an earlier stage's tolerance), solve again without presolve. A plan that still
    breaks rows is none: returned as ``NO_SOLUTION_IN_TIME``, with True.
    """
    out = solve(True)
    retry = out.status.has_solution and row_violation(prob) > ROW_TOLERANCE
    if retry or (infeasible_is_presolve and out.status is SolveStatus.INFEASIBLE):
        out = solve(False)
        if out.status.has_solution and row_violation(prob) > ROW_TOLERANCE:
            none = SolveStatus.NO_SOLUTION_IN_TIME
            return dataclasses.replace(out, status=none, objective=math.inf, bound=-math.inf), True
    return out, False


def row_violation(prob: Any) -> float:
    """Measure the largest violation of a row of ``prob`` by the variables' values.

    Relative to the row's size (the largest of 1, its right-hand side and the sum of its
    terms' magnitudes): a check that a solver's plan is one.
    """
    worst = 0.0
    for con in prob.constraints.values():
        act = con.value()  # lhs - rhs
        if act is None:
            continue
        viol = abs(act) if con.sense == 0 else max(0.0, -act * con.sense)
        if viol > 0.0:
            size = sum(abs(a * (v.varValue or 0.0)) for v, a in con.items())
            worst = max(worst, viol / max(1.0, abs(con.constant), size))
    return worst


def solve_stage(
    bm: BalancingModel,
    name: str,
    coefs: Coefs,
    backend: str,
    time_limit: float | None,
    threads: int | None,
    prm: Any,
    *,
    presolve: bool = True,
) -> MilpOutcome:
    """Solve ``bm`` with ``coefs`` as the objective (problem named ``balancing_<name>``)."""
    import pulp

    bm.prob.setObjective(pulp.LpAffineExpression(coefs))
    bm.prob.name = f"balancing_{name}"
    return solve_pulp(
        bm.prob,
        backend,
        time_limit_s=time_limit,
        mip_gap=prm.mip_gap,
        threads=threads,
        highs_options=HIGHS_OPTIONS,
        presolve=presolve,
    )

"""Solve a PuLP model with a named MILP backend and report honestly what is proven.

Backends (``--solver``): ``cbc`` (PuLP's bundled CBC) and ``highs`` (HiGHS through highspy,
kept below 1.15 so it loads beside OR-Tools). Unknown names fail at once with the list of
known ones. Each backend is imported lazily.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from pks_opt import interrupt
from pks_opt.result import SolveStatus

MILP_BACKENDS = ("cbc", "highs")
DEFAULT_MILP_BACKEND = "highs"


@dataclass(frozen=True)
class MilpOutcome:
    """Status, objective and best bound of one MILP solve."""

    status: SolveStatus
    objective: float
    bound: float
    runtime_s: float
    solver: str


def check_backend(name: str) -> str:
    """Return the canonical backend name or raise ``ValueError`` naming the known ones."""
    key = name.lower()
    if key not in MILP_BACKENDS:
        raise ValueError(f"unknown solver '{name}'; choose one of: {', '.join(MILP_BACKENDS)}")
    return key


def solve_pulp(
    prob: Any,
    backend: str = DEFAULT_MILP_BACKEND,
    *,
    time_limit_s: float | None = None,
    mip_gap: float | None = None,
    threads: int | None = None,
    msg: bool = False,
    warm_start: bool = False,
    max_nodes: int | None = None,
    highs_options: Mapping[str, Any] | None = None,
    presolve: bool = True,
) -> MilpOutcome:
    """Solve ``prob`` (a ``pulp.LpProblem``) in place; variable values are read back by PuLP.

    The status distinguishes proven optimal, feasible with a gap, infeasible, and stopped
    without a solution: ``NO_SOLUTION_IN_TIME`` by the time or node limit, ``INTERRUPTED`` by
    SIGINT/SIGTERM (:mod:`pks_opt.interrupt`; stopped with an incumbent it is ``FEASIBLE``).
    For HiGHS the best bound comes from the solver; CBC through PuLP does not report one,
    so a non-optimal CBC solution has ``bound = -inf`` (unknown).
    ``warm_start`` starts the search from the variables' current values (e.g. a previous
    stage's solution): CBC's MIP start; HiGHS gets the integer variables' values as a partial
    solution (PuLP's HiGHS interface has no MIP start of its own).
    ``highs_options`` are further HiGHS options by name (ignored by CBC). ``presolve=False``
    switches off HiGHS's presolve, or CBC's presolve and integer preprocessing.
    """
    import pulp

    key = check_backend(backend)
    name = "pulp-cbc" if key == "cbc" else "highs"
    if interrupt.requested():  # stopped by a signal: no more solving (pks_opt.interrupt)
        return MilpOutcome(SolveStatus.INTERRUPTED, math.inf, -math.inf, 0.0, name)
    solver: Any
    if key == "cbc":
        solver = _cbc(msg, time_limit_s, mip_gap, threads, warm_start, max_nodes, presolve)
    else:
        solver = _highs(
            msg, time_limit_s, mip_gap, threads, warm_start, max_nodes, highs_options, presolve
        )
    start = time.perf_counter()
    if key == "cbc":
        # CBC runs as a subprocess: a signal sends it SIGINT, its own Ctrl-C handling, which
        # stops the search and writes the best solution; if it has not ended after
        # CBC_KILL_AFTER_S it is killed (and the stage has no solution)
        with interrupt.stoppable(_CbcStop()):
            try:
                prob.solve(solver)
            except pulp.PulpSolverError:
                if not interrupt.requested():
                    raise
                return MilpOutcome(
                    SolveStatus.INTERRUPTED,
                    math.inf,
                    -math.inf,
                    time.perf_counter() - start,
                    name,
                )
    else:
        prob.solve(solver)
    runtime = time.perf_counter() - start
    out = _outcome(prob, key, runtime, name)
    if out.status is SolveStatus.NO_SOLUTION_IN_TIME and interrupt.requested():
        # stopped by the signal before any solution, not by the time limit
        return replace(out, status=SolveStatus.INTERRUPTED)
    return out


def _cbc(
    msg: bool,
    time_limit_s: float | None,
    mip_gap: float | None,
    threads: int | None,
    warm_start: bool,
    max_nodes: int | None,
    presolve: bool,
) -> Any:
    import pulp

    return pulp.PULP_CBC_CMD(
        msg=msg,
        timeLimit=time_limit_s,
        gapRel=mip_gap,
        # one thread = CBC's serial code: "-threads 1" runs its threaded search with one
        # worker, which CBC 2.10.3 (PuLP's bundled binary) sometimes never starts — the
        # search then waits for the time limit (seen: a 48-row plan, 10 s instead of 0.1)
        threads=threads if threads is not None and threads > 1 else None,
        warmStart=warm_start,
        maxNodes=max_nodes,
        **({} if presolve else {"presolve": False, "options": ["preprocess off"]}),
    )


def _highs(
    msg: bool,
    time_limit_s: float | None,
    mip_gap: float | None,
    threads: int | None,
    warm_start: bool,
    max_nodes: int | None,
    highs_options: Mapping[str, Any] | None,
    presolve: bool,
) -> Any:
    import highspy

    kinds = highspy.cb.HighsCallbackType
    mip_kind = int(kinds.kCallbackMipInterrupt)

    def stop(kind: Any, _msg: Any, out: Any, into: Any, _data: Any) -> None:
        # HiGHS asks at every node (MIP) and iteration (simplex, IPM): a signal stops it
        # with its incumbent; max_nodes only counts branch-and-bound nodes
        if interrupt.requested() or (
            max_nodes is not None and int(kind) == mip_kind and out.mip_node_count >= max_nodes
        ):
            into.user_interrupt = True

    extra: dict[str, Any] = {
        "callbackTuple": (stop, None),
        "callbacksToActivate": [
            kinds.kCallbackMipInterrupt,
            kinds.kCallbackSimplexInterrupt,
            kinds.kCallbackIpmInterrupt,
        ],
    }
    extra.update(highs_options or {})
    if not presolve:
        extra["presolve"] = "off"
    return _highs_class(warm_start)(
        msg=msg, timeLimit=time_limit_s, gapRel=mip_gap, threads=threads, **extra
    )


#: seconds a CBC subprocess gets to stop on SIGINT before it is killed. CBC honours SIGINT in
#: its branch and bound only: in its root LP it went on to the end (measured on a 30-unit
#: region: 0.9 s after the signal), and with the result and the exit after it the 2 s promise
#: was missed under load (2.17 s in CI); 0.5 s leaves room for both
CBC_KILL_AFTER_S = 0.5


class _CbcStop:
    """Called (repeatedly) once a signal arrived: SIGINT to the CBC subprocess, then SIGKILL."""

    def __init__(self) -> None:
        self.sent: float | None = None

    def __call__(self) -> None:
        import signal

        if self.sent is None:
            self.sent = time.monotonic()
            interrupt.kill_children(signal.SIGINT)
        elif time.monotonic() - self.sent > CBC_KILL_AFTER_S:
            interrupt.kill_children(signal.SIGKILL)


def _highs_class(warm_start: bool) -> Any:
    """PuLP's HiGHS, or a subclass that hands HiGHS the integer variables' initial values.

    The start is sparse (integer columns only): HiGHS completes the continuous ones by an LP
    and uses the result as its first incumbent when feasible, else ignores it.
    """
    import numpy as np
    import pulp

    if not warm_start:
        return pulp.HiGHS

    class _HighsWarm(pulp.HiGHS):  # type: ignore[misc]  # pulp is untyped
        def callSolver(self, lp: Any) -> None:
            index, value = [], []
            for var in lp.variables():
                if var.cat == pulp.LpInteger and var.varValue is not None:
                    index.append(var.index)
                    value.append(float(var.varValue))
            if index:
                lp.solverModel.setSolution(
                    len(index), np.array(index, dtype=np.int32), np.array(value, dtype=np.float64)
                )
            lp.solverModel.run()

    return _HighsWarm


def _outcome(prob: Any, key: str, runtime: float, name: str) -> MilpOutcome:
    import pulp

    sol_status = prob.sol_status
    objective = pulp.value(prob.objective)
    objective = float(objective) if objective is not None else 0.0
    if prob.status == pulp.LpStatusInfeasible or sol_status == pulp.LpSolutionInfeasible:
        return MilpOutcome(SolveStatus.INFEASIBLE, math.inf, -math.inf, runtime, name)
    if prob.status == pulp.LpStatusUnbounded:
        raise RuntimeError("model is unbounded: a modelling error, please report it")
    if sol_status == pulp.LpSolutionOptimal:
        bound = _highs_bound(prob) if key == "highs" else objective
        return MilpOutcome(SolveStatus.OPTIMAL, objective, min(bound, objective), runtime, name)
    if (
        sol_status == pulp.LpSolutionIntegerFeasible
        and key == "highs"
        and not _highs_has_solution(prob)
    ):
        # HiGHS stopped by the max_nodes interrupt before any solution (PuLP calls it feasible)
        return MilpOutcome(SolveStatus.NO_SOLUTION_IN_TIME, math.inf, -math.inf, runtime, name)
    if sol_status == pulp.LpSolutionIntegerFeasible:
        bound = _highs_bound(prob) if key == "highs" else -math.inf
        return MilpOutcome(SolveStatus.FEASIBLE, objective, bound, runtime, name)
    return MilpOutcome(SolveStatus.NO_SOLUTION_IN_TIME, math.inf, -math.inf, runtime, name)


def _highs_has_solution(prob: Any) -> bool:
    model = getattr(prob, "solverModel", None)
    if model is None:
        return True
    return int(getattr(model.getInfo(), "primal_solution_status", 2)) != 0


def _highs_bound(prob: Any) -> float:
    model = getattr(prob, "solverModel", None)
    if model is None:
        return -math.inf
    info = model.getInfo()
    bound = getattr(info, "mip_dual_bound", None)
    # An LP has no MIP bound (HiGHS leaves mip_dual_bound at 0, not inf: "bound 0" was printed
    # for the seed ward's optimal LP balance)
    if bound is None or not math.isfinite(bound) or not prob.isMIP():
        # An LP (no integers): the optimal objective is its own bound.
        value = getattr(info, "objective_function_value", None)
        return float(value) if value is not None else -math.inf
    return float(bound)

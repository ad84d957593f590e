"""One entry point: balancing data → :class:`~pks_opt.result.Result`."""

from __future__ import annotations

from pks_opt.balancing.data import BalancingData
from pks_opt.balancing.milp import SolveRun, solve_balancing
from pks_opt.balancing.solution import make_result
from pks_opt.result import Result


def balance(
    data: BalancingData,
    solver: str = "highs",
    *,
    time_limit_s: float | None = None,
    threads: int | None = 1,
) -> Result:
    """Solve the lexicographic balancing MILP and build the result (tables, KPIs, stages)."""
    run = solve_balancing(data, solver, time_limit_s=time_limit_s, threads=threads)
    return make_result(data, run)


def balance_run(
    data: BalancingData,
    solver: str = "highs",
    *,
    time_limit_s: float | None = None,
    threads: int | None = 1,
) -> tuple[SolveRun, Result]:
    """As :func:`balance`, also returning the raw run (values, duals) for checks."""
    run = solve_balancing(data, solver, time_limit_s=time_limit_s, threads=threads)
    return run, make_result(data, run)

"""Marginal values of capacity: duals of R3 in the stage-1 and stage-3 LPs, integers fixed.

It changes the model it is given (stage rows taken out by name, integers made continuous):
the stage driver (:mod:`pks_opt.balancing.milp`) gives it a copy
(:func:`~.builder.copy_model`), so ``SolveRun.model`` stays the model the stages solved.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pks_opt.balancing.builder import (
    STAGE_COST,
    STAGE_NEED,
    BalancingModel,
)
from pks_opt.balancing.milp import solve_stage
from pks_opt.result import SolveStatus

if TYPE_CHECKING:
    from pks_opt.balancing.milp import SolveRun


def shadow_prices(
    run: SolveRun, bm: BalancingModel, backend: str, time_limit: float | None, threads: int | None
) -> None:
    """Compute the duals of R3 in the stage-1 and stage-3 LPs with the integers fixed.

    See the spec's last part; solved on ``bm``, a copy of ``run.model`` (:func:`copy_model`;
    its rows change).
    """
    import pulp

    values = run.values
    # continuous actions free again, integers fixed at the final solution
    for var, lb, ub in bm.saved_bounds:
        var.lowBound, var.upBound = lb, ub
    # whole activities: the duals are those of the LP with activities continuous
    for fam in (bm.x, bm.buy, bm.d, bm.s):
        for var in fam.values():
            var.cat = pulp.LpContinuous
    for k, var in bm.y.items():
        var.cat = pulp.LpContinuous
        # as in levelling: the solver's value (dust of a move may sit on an indicator near 0)
        var.lowBound = var.upBound = bm.raw_y.get(k, values["y"][k])
    for k, var in bm.z.items():
        if bm.z_factor[k] != 1.0:  # an integer number of steps
            var.cat = pulp.LpContinuous
            var.lowBound = var.upBound = round(values["z"][k] / bm.z_factor[k])
    held = {
        n: bm.prob.constraints.pop(n) for n in list(bm.prob.constraints) if n.startswith("stage")
    }
    out = solve_stage(
        bm, "duals_need", bm.objectives[STAGE_NEED], backend, time_limit, threads, bm.data.params
    )
    if out.status is SolveStatus.OPTIMAL:
        run.need_value = {k: -(c.pi or 0.0) for k, c in bm.capacity.items()}
    for n, c in held.items():
        if n.startswith(("stage_need", "stage_ladder")):
            bm.prob.addConstraint(c, n)
    out = solve_stage(
        bm, "duals_cost", bm.objectives[STAGE_COST], backend, time_limit, threads, bm.data.params
    )
    if out.status is SolveStatus.OPTIMAL:
        run.cost_value = {k: -(c.pi or 0.0) for k, c in bm.capacity.items()}

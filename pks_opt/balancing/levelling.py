"""Stage 6 of the balance, levelling: every action fixed, the highest utilisation minimised.

It changes the model it is given (integers made continuous, bounds boxed, rows added): the
stage driver (:mod:`pks_opt.balancing.milp`) gives it a copy (:func:`~.builder.copy_model`).
"""

from __future__ import annotations

from typing import Any

from pks_opt.balancing.builder import (
    CAP_EPS,
    STAGE_LEVELLING,
    BalancingModel,
    Coefs,
    capacity_after,
)
from pks_opt.balancing.data import DonorBacklog
from pks_opt.balancing.milp import solve_checked, solve_stage
from pks_opt.milp import MilpOutcome

#: relative widths of the box that "fixes" a continuous action for the levelling stage
#: (tried in turn until the LP solves: solver precision first)
FIX_SLACKS = (1e-7, 1e-6, 1e-5)


def levelling(
    bm: BalancingModel,
    values: dict[str, dict[Any, float]],
    backend: str,
    time_limit: float | None,
    threads: int | None,
    prm: Any,
) -> MilpOutcome:
    """Stage 6: fix every action, then minimise the highest utilisation (an LP).

    Continuous actions are "fixed" to a box of solver precision around their value (solvers
    report values rounded, and an exact fix can cut off the plan the earlier stages proved,
    R11); if the LP still fails numerically, the box widens (``FIX_SLACKS``).
    """
    import pulp

    # move indicators at the solver's own values: one within the integrality tolerance of 0
    # (CBC: 5e-6) may carry solver dust of a move (m <= limit * y) that the plan's rows need
    raw_y = {k: min(1.0, max(0.0, var.varValue or 0.0)) for k, var in bm.y.items()}
    bm.raw_y = raw_y
    fixed: list[tuple[Any, float]] = []
    for fam in ("m", "w", "buy"):
        for k, var in getattr(bm, fam).items():
            fixed.append((var, values[fam][k]))
    fixed += [(var, raw_y[k]) for k, var in bm.y.items()]
    for k, var in bm.z.items():
        fixed.append((var, values["z"][k] / bm.z_factor[k]))
    bm.saved_bounds = [(var, var.lowBound, var.upBound) for var, _v in fixed]
    for var, _v in fixed:
        # fixed integers become continuous: the levelling stage is then a pure LP (a MIP with
        # every integer fixed can trip the solver's MIP feasibility check); bounds set below
        var.cat = pulp.LpContinuous
    # (R4, backlog) with the moves fixed, every donor that gives keeps its backlog (plain rows)
    giving = {
        (bm.data.moves[a].donor, bm.data.moves[a].resource, p)
        for (a, p), v in values["m"].items()
        if v > 1e-6  # as backlog_breaches: dust is not giving
    }
    if bm.data.params.donor_backlog is DonorBacklog.plan:
        bm.builder.backlog_rows(giving, fixed_moves=True)
    cap = capacity_after(bm.data, values)
    lam = bm.add_var("max_utilisation")
    lam_u = {u: bm.add_var(f"max_utilisation[{u}]") for u in bm.data.figures.units}
    for (u, r, p), coefs in sorted(bm.load.items()):
        c = cap.get((u, r, p), 0.0)
        if c <= CAP_EPS:
            continue
        row = {var: a / c for var, a in coefs.items()}
        row[lam_u[u]] = -1.0
        bm.add_le(row, 0.0, f"utilisation[{u},{r},{p}]")
    for u, var in lam_u.items():
        bm.add_le({var: 1.0, lam: -1.0}, 0.0, f"max_utilisation[{u}]")
    weight = prm.levelling_mean_weight / max(1, len(lam_u))
    obj: Coefs = {lam: 1.0, **{var: weight for var in lam_u.values()}}
    bm.objectives[STAGE_LEVELLING] = obj
    out: MilpOutcome | None = None
    for slack_rel in FIX_SLACKS:
        for (var, lb0, ub0), (_v, v) in zip(bm.saved_bounds, fixed, strict=True):
            slack = slack_rel * max(1.0, abs(v))
            lb = v - slack if lb0 is None else max(lb0, v - slack)
            ub = v + slack if ub0 is None else min(ub0, v + slack)
            var.lowBound, var.upBound = min(lb, ub), max(lb, ub)
        # integers (move indicators, recruitment steps) exactly at their value
        for k, var in bm.y.items():
            var.lowBound = var.upBound = raw_y[k]
        for k, var in bm.z.items():
            if bm.z_factor[k] != 1.0:
                var.lowBound = var.upBound = round(values["z"][k] / bm.z_factor[k])
        out, _broke = solve_checked(  # as the MILP stages: a plan must meet the rows
            bm.prob,
            lambda presolve: solve_stage(
                bm, STAGE_LEVELLING, obj, backend, time_limit, threads, prm, presolve=presolve
            ),
            infeasible_is_presolve=False,
        )
        if out.status.has_solution:
            break
    assert out is not None
    return out

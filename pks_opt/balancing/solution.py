"""From solved values to the balancing result: objective terms recomputed, tables, KPIs.

Everything here works on plain ``values`` dicts (as read from the solver) and the data, never
on the solver's own objective, so :func:`stage_values` is an independent check of the MILP.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import pandas as pd

from pks_opt.balancing.builder import (
    CAP_EPS,
    STAGE_COST,
    STAGE_LADDER,
    STAGE_LEVELLING,
    STAGE_MOVES,
    STAGE_NEED,
    STAGE_WAITING,
    action_weight,
    capacity_after,
    equiv,
)
from pks_opt.balancing.data import TOTAL, BalancingData, DonorBacklog
from pks_opt.balancing.milp import SolveRun
from pks_opt.capacity_need.calc import unsupplied_warnings
from pks_opt.result import Result, SolveStatus, StageReport
from pks_opt.stages import Check, no_better_than_feasible
from pks_opt.stages import self_check as stages_self_check

Values = dict[str, dict[Any, float]]
Key3 = tuple[str, str, str]
#: utilisation at or above this counts as "limiting" (solver tolerance below 100 %)
LIMITING_UTILISATION = 0.999
EPS = 1e-6
#: smallest amount listed as an action (activities or resource units): solver dust such as
#: 1e-6 unmet activities within the stage tolerance is not an action a planner can take
ACTION_EPS = 1e-3

ACTION_ORDER = {
    "shift_in_time": 0,
    "move": 1,
    "increase": 2,
    "purchase": 3,
    "postpone": 4,
    "unmet": 5,
    "acute_gap": 5,
    "reduce": 6,
}


# --------------------------------------------------------------------------- recomputation


def loads(data: BalancingData, values: Values) -> dict[Key3, float]:
    """Load per (unit, resource, period) of production + waiting-list production."""
    out: dict[Key3, float] = defaultdict(float)
    for (_h, v, o, p), val in values.get("x", {}).items():
        if val:
            for us in data.usage.get((v, o), ()):
                out[(us.at_unit, us.resource, p)] += us.amount * val
    for (h, o, p), val in values.get("q", {}).items():
        if val:
            for us in data.usage.get((h, o), ()):
                out[(us.at_unit, us.resource, p)] += us.amount * val
    return dict(out)


def own_production(values: Values) -> dict[Key3, float]:
    """Map each (unit, planning object, period) to what the unit produces.

    Its own and others' need (x at the unit) plus its waiting-list production.
    """
    out: dict[Key3, float] = defaultdict(float)
    for (_h, v, o, p), val in values.get("x", {}).items():
        out[(v, o, p)] += val
    for (h, o, p), val in values.get("q", {}).items():
        out[(h, o, p)] += val
    return dict(out)


def cost_by_unit(data: BalancingData, values: Values) -> dict[str, dict[str, float]]:
    """Charge each unit its move, increase, purchase and capability cost (SEK) as R8 does."""
    cost: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for (a, p), val in values.get("m", {}).items():
        mv = data.moves[a]
        cost[mv.receiver]["move"] += mv.cost_per_unit * val
        cost[mv.receiver]["move"] += mv.fixed_cost * values["y"].get((a, p), 0.0)
    for (k, _p, _p2), val in values.get("w", {}).items():
        ts = data.time_shifts[k]
        cost[ts.unit]["shift_in_time"] += ts.cost_per_unit * val
    for (i, _p), val in values.get("z", {}).items():
        inc = data.increases[i]
        what = "reduction" if inc.sign < 0 else "increase"
        cost[inc.unit][what] += inc.sign * inc.cost_per_unit * val
    for (h, _o, _p, t), val in values.get("buy", {}).items():
        cost[h]["purchase"] += data.purchases[t].price_per_activity * val
    cap_cost = {(c.unit, c.planning_object): c.cost_per_activity for c in data.capabilities}
    for (h, v, o, _p), val in values.get("x", {}).items():
        if v != h:
            cost[h]["capability"] += cap_cost.get((v, o), 0.0) * val
    return {u: dict(c) for u, c in cost.items()}


def utilisation_after(data: BalancingData, values: Values) -> dict[Key3, float]:
    """Load ÷ capacity after actions per unit × resource × period (where there is capacity)."""
    cap = capacity_after(data, values)
    return {
        key: load / cap[key]
        for key, load in loads(data, values).items()
        if cap.get(key, 0) > CAP_EPS
    }


def stage_values(data: BalancingData, values: Values) -> dict[str, float]:
    """Every stage objective recomputed from the solution (spec: "Objective stages")."""
    prm = data.params
    need = sum(data.rule(o).unmet_weight * v for (_h, o, _p), v in values["s"].items())
    need += sum(
        data.rule(o).postpone_weight_per_period * v for (_h, o, _p), v in values["d"].items()
    )
    ladder = action_weight(prm, "shift_in_time") * sum(values.get("w", {}).values())
    ladder += action_weight(prm, "move") * sum(values["m"].values())
    ladder += action_weight(prm, "increase") * sum(values["z"].values())
    ladder += sum(
        action_weight(prm, "purchase", data.purchases[t].tier) * equiv(data, h, o) * v
        for (h, o, _p, t), v in values["buy"].items()
    )
    ladder += sum(
        action_weight(prm, "postpone") * equiv(data, h, o) * v
        for (h, o, _p), v in values["d"].items()
    )
    cost = sum(sum(c.values()) for c in cost_by_unit(data, values).values())
    if prm.action_order == "cost":  # one stage: cost with the ladder as a tie-break
        cost += prm.cost_tiebreak * ladder
    out = {STAGE_NEED: need, STAGE_LADDER: ladder, STAGE_COST: cost}
    out[STAGE_WAITING] = -sum(values["q"].values())
    out[STAGE_MOVES] = sum(values["y"].values())
    util = utilisation_after(data, values)
    per_unit: dict[str, float] = {u: 0.0 for u in data.figures.units}
    for (u, _r, _p), ratio in util.items():
        per_unit[u] = max(per_unit.get(u, 0.0), ratio)
    top = max(per_unit.values(), default=0.0)
    out[STAGE_LEVELLING] = top + prm.levelling_mean_weight / max(1, len(per_unit)) * sum(
        per_unit.values()
    )
    return out


def violations(data: BalancingData, values: Values, tol: float = 1e-4) -> list[str]:
    """Constraints R1–R10 checked on the plan, independently of the solver (empty = feasible).

    ``tol`` is relative to the size of each row's terms (solver tolerances).
    """
    chk = _Violations(data, tol)
    _check_need(chk, values)  # R1
    _check_postponement(chk, values)  # R2
    cap = capacity_after(data, values)
    _check_capacity(chk, values, cap)  # R3
    given = _check_moves_and_shifts(chk, values)  # R5, R14
    _check_donors(chk, values, given)  # R4
    _check_increases_and_contracts(chk, values)  # R6, R7
    _check_budgets(chk, values)  # R8, R9
    _check_waiting_lists(chk, values)  # R10
    # R13 capacity floors
    for key, floor in data.capacity_floors.items():
        got = cap.get(key, data.figures.available.get(key, 0.0))
        chk.bad(f"capacity_floor[{key[0]},{key[1]},{key[2]}]", floor, got, floor)
    # R12 feedback caps
    made = own_production(values)
    for (v, o, p), limit in data.production_caps.items():
        amount = made.get((v, o, p), 0.0)
        chk.bad(f"feedback[{v},{o},{p}]", amount, limit, amount)
    negative = [f"{fam}{k}" for fam, vals in values.items() for k, x in vals.items() if x < -tol]
    chk.out.extend(f"{n}: negative" for n in negative[:5])
    return chk.out


class _Violations:
    """The violations found so far, with the data, its periods and the tolerance."""

    def __init__(self, data: BalancingData, tol: float) -> None:
        self.data = data
        self.tol = tol
        self.periods = list(data.figures.periods)
        self.pidx = {p: i for i, p in enumerate(self.periods)}
        self.out: list[str] = []

    def next_period(self, p: str) -> str | None:
        """Give the period after ``p`` (``None`` for the last)."""
        i = self.pidx[p] + 1
        return self.periods[i] if i < len(self.periods) else None

    def bad(self, name: str, lhs: float, rhs: float, scale: float) -> None:
        """Note ``name`` when ``lhs`` exceeds ``rhs`` by more than ``tol`` relative to ``scale``."""
        if lhs > rhs + self.tol * max(1.0, scale):
            self.out.append(f"{name}: {lhs:.6g} > {rhs:.6g}")


def _check_need(chk: _Violations, values: Values) -> None:
    """R1 need balance (as an equality: both directions)."""
    data = chk.data
    supply: dict[tuple[str, str, str], float] = defaultdict(float)
    for (h, _v, o, p), x in values["x"].items():
        supply[(h, o, p)] += x
    for (h, o, p, _t), x in values["buy"].items():
        supply[(h, o, p)] += x
    for (h, o, p), x in values["s"].items():
        supply[(h, o, p)] += x
    for (h, o, p), x in values["d"].items():
        supply[(h, o, p)] += x
        nxt = chk.next_period(p)
        if nxt is not None:
            supply[(h, o, nxt)] -= x
        else:
            chk.out.append(f"postpone[{h},{o},{p}]: carried beyond the horizon")
    keys = set(supply) | {k for k, v in data.need.items() if v > 0}
    for h, o, p in sorted(keys):
        n = data.need.get((h, o, p), 0.0)
        got = supply.get((h, o, p), 0.0)
        chk.bad(f"need[{h},{o},{p}]", abs(got - n), 0.0, n)


def _check_postponement(chk: _Violations, values: Values) -> None:
    """R2 postponement rule and window."""
    data, periods = chk.data, chk.periods
    for (h, o, p), x in values["d"].items():
        rule = data.rule(o)
        if x > chk.tol and not rule.may_postpone:
            chk.out.append(f"postpone[{h},{o},{p}]: priority may not be postponed")
        i = chk.pidx[p]
        window = sum(
            data.need.get((h, o, periods[j]), 0.0)
            for j in range(max(0, i - rule.max_postpone_periods + 1), i + 1)
        )
        chk.bad(f"postpone_window[{h},{o},{p}]", x, window, window)


def _check_capacity(chk: _Violations, values: Values, cap: dict[Key3, float]) -> None:
    """R3 capacity after actions (incl. support load)."""
    data = chk.data
    for key, ld in loads(data, values).items():
        if key[2] in data.past_periods:
            continue  # R0: a period already done
        chk.bad(f"capacity[{key[0]},{key[1]},{key[2]}]", ld, cap.get(key, 0.0), ld)


def _check_moves_and_shifts(chk: _Violations, values: Values) -> dict[Key3, float]:
    """R5 moves and R14 shifts in time; the capacity each donor gives per period."""
    data = chk.data
    given: dict[Key3, float] = defaultdict(float)
    for (a, p), x in values["m"].items():
        mv = data.moves[a]
        given[(mv.donor, mv.resource, p)] += x
        chk.bad(f"move[{mv.donor},{mv.receiver},{mv.resource},{p}]", x, mv.max_per_period, x)
        # R5 relative to the row's term (limit x indicator, the limit as in the model): an
        # indicator within the solver's integrality tolerance of 0 may carry that much dust
        limit = min(mv.max_per_period, data.spare((mv.donor, mv.resource, p)))
        if x > chk.tol * max(1.0, limit) and values["y"].get((a, p), 0.0) < 0.5:
            chk.out.append(f"move_on[{mv.donor},{mv.receiver},{mv.resource},{p}]: moved while off")
    for (k, p, p2), x in values.get("w", {}).items():  # R14: a share of p's capacity, p's spare
        ts = data.time_shifts[k]
        given[(ts.unit, ts.resource, p)] += x
        limit = ts.max_share * data.figures.available.get((ts.unit, ts.resource, p), 0.0)
        chk.bad(f"shift_in_time[{ts.unit},{ts.resource},{p},{p2}]", x, limit, x)
        if abs(chk.pidx[p] - chk.pidx[p2]) > ts.max_distance:
            chk.out.append(
                f"shift_in_time[{ts.unit},{ts.resource},{p},{p2}]: periods too far apart"
            )
    return given


def _check_donors(chk: _Violations, values: Values, given: dict[Key3, float]) -> None:
    """R4 a donor gives at most its spare (and keeps the plan's backlog when asked to)."""
    data = chk.data
    # backlog arriving at (u, r, p): need of p-1 postponed, or unmet where it could have been
    backlog: dict[Key3, float] = defaultdict(float)
    for (h, o, p), dx in values["d"].items():
        nxt = chk.next_period(p)
        if nxt is None:
            continue
        carried = dx + values["s"].get((h, o, p), 0.0)
        for us in data.usage.get((h, o), ()):
            backlog[(us.at_unit, us.resource, nxt)] += us.amount * carried
    for key, x in given.items():
        spare = data.spare(key)  # net of the forecast backlog when donor_backlog = forecast
        chk.bad(f"donor[{key[0]},{key[1]},{key[2]}]", x, spare, x)
        if x > chk.tol and data.params.donor_backlog is DonorBacklog.plan:  # keeps the backlog
            carried = backlog.get(key, 0.0)
            chk.bad(f"donor_backlog[{key[0]},{key[1]},{key[2]}]", x + carried, spare, x + carried)


def _check_increases_and_contracts(chk: _Violations, values: Values) -> None:
    """R6 increases (limit, lead time, whole steps) and R7 purchase contracts."""
    data = chk.data
    for (i, p), x in values["z"].items():
        inc = data.increases[i]
        name = f"increase[{inc.unit},{inc.resource},{p}]"
        chk.bad(name, x, inc.max_per_period, x)
        if chk.pidx[p] < inc.lead_periods and x > chk.tol:
            chk.out.append(f"{name}: before its lead time")
        if inc.step is not None and abs(x / inc.step - round(x / inc.step)) > 1e-6:
            chk.out.append(f"{name}: not whole steps of {inc.step:g}")
    bought: dict[tuple[int, str], float] = defaultdict(float)
    for (_h, _o, p, t), x in values["buy"].items():
        bought[(t, p)] += x
    for (t, p), x in bought.items():
        cap_t = data.purchases[t].capacity_per_period
        if cap_t is not None:
            chk.bad(f"contract[{data.purchases[t].provider},{p}]", x, cap_t, x)


def _check_budgets(chk: _Violations, values: Values) -> None:
    """R8 unit budgets and R9 the total budget."""
    data = chk.data
    total = 0.0
    for u, c in cost_by_unit(data, values).items():
        total += sum(c.values())
        b = data.budgets.get(u)
        if b is not None:
            chk.bad(f"budget[{u}]", b.base_cost + sum(c.values()), b.budget, b.budget)
    tb = data.budgets.get(TOTAL)
    if tb is not None:
        chk.bad("budget[TOTAL]", tb.base_cost + total, tb.budget, tb.budget)


def _check_waiting_lists(chk: _Violations, values: Values) -> None:
    """R10 a waiting list is worked down by at most its length."""
    reduced: dict[tuple[str, str], float] = defaultdict(float)
    for (h, o, _p), x in values["q"].items():
        reduced[(h, o)] += x
    for w in chk.data.waiting_lists:
        chk.bad(
            f"waiting[{w.unit},{w.planning_object}]",
            reduced[(w.unit, w.planning_object)],
            w.waiting,
            w.waiting,
        )


# --------------------------------------------------------------------------- result


def make_result(data: BalancingData, run: SolveRun) -> Result:
    """Build the balancing :class:`Result`: stages, KPIs, tables and explanation."""
    solver = run.stages[0].outcome.solver if run.stages else "highs"
    stages = [
        StageReport(
            so.name,
            so.outcome.status,
            so.outcome.objective,
            so.outcome.bound,
            so.outcome.runtime_s,
        )
        for so in run.stages
    ]
    if not run.values:
        status = run.status if not run.status.has_solution else SolveStatus.NO_SOLUTION_IN_TIME
        return Result(
            "balance",
            status,
            data.name,
            solver,
            runtime_s=run.build_s + run.solve_s,
            stages=stages,
            explanation=["no plan was found: " + status.value.lower().replace("_", " ")]
            + (
                [
                    f"with the lower levels' feedback: {len(data.production_caps)} production "
                    f"cap(s) (R12) and {len(data.capacity_floors)} capacity floor(s) (R13) — "
                    "they may not all hold together with the budgets and the need"
                ]
                if data.production_caps or data.capacity_floors
                else []
            ),
            warnings=list(run.warnings),
        )
    values = run.values
    # the stages' values are those of the plan they proved (before rounding to whole
    # activities); the tables and KPIs show the rounded plan (spec R15)
    recomputed = stage_values(data, run.continuous or values)
    first = run.stages[0].outcome
    bound = first.bound if run.stages[0].outcome.status.has_solution else -math.inf
    tables = {
        "production_goals": production_goals(data, values),
        "budget": budget_table(data, values),
        "actions": actions_table(data, values),
        "utilisation": utilisation_table(data, values),
        "shadow_prices": shadow_table(data, values, run),
        "service_catalogue": service_catalogue(data, values),
    }
    tables["trace"] = trace_table(data, values, tables["production_goals"])
    kpis = kpi_dict(data, values, tables, stage_values(data, values))
    if run.continuous is not None:
        kpis["whole_activities_rounding_unmet"] = run.rounding_unmet
    problems = self_check(data, run, recomputed)
    # not proven when the plan failed its own check (pks_opt.stages policy)
    status = no_better_than_feasible(run.status, bool(problems))
    return Result(
        kind="balance",
        status=status,
        instance=data.name,
        solver=solver,
        objective=recomputed[STAGE_NEED],
        bound=min(bound, recomputed[STAGE_NEED]),
        runtime_s=run.build_s + run.solve_s,
        kpis=kpis,
        tables=tables,
        stages=stages,
        explanation=explain(data, values, tables),
        warnings=unsupplied_warnings(data.figures.capacity_need, data.figures.available)
        + run.warnings
        + problems,
        extra={
            "objective_terms": {k: recomputed[k] for k in recomputed if k in _stage_names(run)},
            "build_s": round(run.build_s, 3),
            "solve_s": round(run.solve_s, 3),
        },
    )


def self_check(data: BalancingData, run: SolveRun, recomputed: dict[str, float]) -> list[str]:
    """Check the plan without the solver; empty when all agree.

    Constraints R1–R10 (``violations``) and every solved stage's objective recomputed from the
    plan (relative 1e-5, the one policy of :func:`pks_opt.stages.self_check`).
    """
    out = [f"self-check: {v}" for v in violations(data, run.values)[:5]]
    checks = []
    for so in run.stages:
        got, want, bound = recomputed.get(so.name), so.outcome.objective, so.outcome.bound
        if got is None or not so.outcome.status.has_solution or not math.isfinite(want):
            continue
        # later stages keep each stage within its tolerance (R11) and may improve a stage
        # that was only solved to its gap, but never beyond the stage's proven bound
        checks.append(Check(so.name, want, got, 1e-5 * max(1.0, abs(want)), bound=bound))
    return out + stages_self_check(run.status, checks)[1]


def _stage_names(run: SolveRun) -> set[str]:
    return {so.name for so in run.stages}


#: production_goals.csv: the goal (what the unit produces) and, for the unit's own need, where
#: it went: produced here, by other units, bought, carried to the next period, unmet (elective),
#: an acute gap (acute need within the dimensioning level without capacity, R16); then the
#: acute need above the level (the peak plan's)
GOAL_COLUMNS = (
    "unit",
    "planning_object",
    "period",
    "goal",
    "need",
    "own_need",
    "for_other_units",
    "waiting_list",
    "by_other_units",
    "purchased",
    "postponed",
    "unmet",
    "acute_gap",
    "peak_plan",
)


def production_goals(data: BalancingData, values: Values) -> pd.DataFrame:
    """Tabulate what each unit is to produce: unit, planning_object, period, goal (+ breakdown)."""
    own: dict[Key3, float] = defaultdict(float)
    others: dict[Key3, float] = defaultdict(float)
    wl: dict[Key3, float] = defaultdict(float)
    elsewhere: dict[Key3, float] = defaultdict(float)
    bought: dict[Key3, float] = defaultdict(float)
    for (h, v, o, p), val in values["x"].items():
        (own if v == h else others)[(v, o, p)] += val
        if v != h:
            elsewhere[(h, o, p)] += val
    for (h, o, p, _t), val in values["buy"].items():
        bought[(h, o, p)] += val
    postponed = values["d"]
    unmet, gap = split_shortfall(data, values)
    for (h, o, p), val in values["q"].items():
        wl[(h, o, p)] += val
    keys = set(own) | set(others) | set(wl)
    keys |= {k for k, v in data.figures.production_need.items() if v > 0}
    pidx = {p: i for i, p in enumerate(data.figures.periods)}
    rows = []
    for u, o, p in sorted(keys, key=lambda k: (k[0], k[1], pidx.get(k[2], 0))):
        goal = own[(u, o, p)] + others[(u, o, p)] + wl[(u, o, p)]
        rows.append(
            {
                "unit": u,
                "planning_object": o,
                "period": p,
                "goal": _r(goal),
                "need": _r(data.need.get((u, o, p), 0.0)),
                "own_need": _r(own[(u, o, p)]),
                "for_other_units": _r(others[(u, o, p)]),
                "waiting_list": _r(wl[(u, o, p)]),
                "by_other_units": _r(elsewhere[(u, o, p)]),
                "purchased": _r(bought[(u, o, p)]),
                "postponed": _r(postponed.get((u, o, p), 0.0)),
                "unmet": _r(unmet.get((u, o, p), 0.0)),
                "acute_gap": _r(gap.get((u, o, p), 0.0)),
                "peak_plan": _r(data.acute_split.get((u, o, p), (0.0, 0.0, 0.0))[2]),
            }
        )
    return pd.DataFrame(rows, columns=list(GOAL_COLUMNS))


def split_shortfall(
    data: BalancingData, values: Values
) -> tuple[dict[Key3, float], dict[Key3, float]]:
    """Split the need not given (``s``) into elective unmet need and the acute gap (R16).

    Returns
    -------
    tuple of dict
        (unmet, acute_gap), each (home unit, planning object, period) → activities. An acute
        object's shortfall is need within its dimensioning level that finds no capacity: a
        dimensioning gap to close, never unmet need (what arrives above the level is the
        peak plan's, outside ``s``).
    """
    unmet: dict[Key3, float] = {}
    gap: dict[Key3, float] = {}
    for key, val in values["s"].items():
        (gap if key[1] in data.figures.acute else unmet)[key] = val
    return unmet, gap


def trace_table(data: BalancingData, values: Values, goals: pd.DataFrame) -> pd.DataFrame:
    """Build ``trace.csv``: the need (``need:U:O:P``) and the balanced goals (``goal:U:O:P``).

    Each goal's parents are the need rows it produces (the unit's own, and other units' it
    took over).
    """
    from pks_opt.trace import TRACE_COLUMNS

    rows: list[dict[str, Any]] = []
    pidx = {p: i for i, p in enumerate(data.figures.periods)}
    need = data.figures.production_need
    for (h, o, p), n in sorted(
        need.items(), key=lambda kv: (kv[0][0], kv[0][1], pidx.get(kv[0][2], 0))
    ):
        if n <= 0:
            continue
        rows.append(
            {
                "id": f"need:{h}:{o}:{p}",
                "level": "need",
                "unit": h,
                "object": o,
                "period": p,
                "quantity": _r(n),
                "measure": "activities",
                "parent_ids": "",
                "note": f"production need of {h} in {p}",
            }
        )
    served: dict[Key3, list[str]] = defaultdict(list)
    for (h, v, o, p), val in sorted(values["x"].items()):
        if val > ACTION_EPS:
            served[(v, o, p)].append(f"need:{h}:{o}:{p}")
    for r in goals.to_dict("records"):
        key = (r["unit"], r["planning_object"], r["period"])
        parents = served.get(key, [])
        if not parents and need.get(key, 0.0) > 0:
            parents = [f"need:{key[0]}:{key[1]}:{key[2]}"]
        rows.append(
            {
                "id": f"goal:{key[0]}:{key[1]}:{key[2]}",
                "level": "balance",
                "unit": key[0],
                "object": key[1],
                "period": key[2],
                "quantity": r["goal"],
                "measure": "activities",
                "parent_ids": ";".join(dict.fromkeys(parents)),
                "note": (
                    f"balanced goal: own need {r['own_need']:.0f}, for other units "
                    f"{r['for_other_units']:.0f}, waiting list {r['waiting_list']:.0f}; of its "
                    f"need {r['by_other_units']:.0f} by other units, {r['purchased']:.0f} bought, "
                    f"{r['postponed']:.0f} postponed, {r['unmet']:.0f} unmet"
                    + (
                        f", {r['acute_gap']:.0f} acute without capacity (dimensioning gap)"
                        if r["acute_gap"] > ACTION_EPS
                        else ""
                    )
                ),
            }
        )
    return pd.DataFrame(rows, columns=list(TRACE_COLUMNS))


def budget_table(data: BalancingData, values: Values) -> pd.DataFrame:
    """Per unit (and TOTAL): base cost + action costs by type, budget, remaining (SEK)."""
    cost = cost_by_unit(data, values)
    kinds = ("shift_in_time", "move", "increase", "purchase", "capability", "reduction")
    rows: list[dict[str, Any]] = []
    totals = dict.fromkeys(kinds, 0.0)
    base_sum = 0.0
    for u in data.figures.units:
        c = cost.get(u, {})
        b = data.budgets.get(u)
        base = b.base_cost if b else 0.0
        base_sum += base
        for k in kinds:
            totals[k] += c.get(k, 0.0)
        rows.append(
            _budget_row(u, base, {k: c.get(k, 0.0) for k in kinds}, b.budget if b else None)
        )
    tb = data.budgets.get(TOTAL)
    rows.append(
        _budget_row(TOTAL, tb.base_cost if tb else base_sum, totals, tb.budget if tb else None)
    )
    return pd.DataFrame(rows)


def _budget_row(
    unit: str, base: float, costs: dict[str, float], budget: float | None
) -> dict[str, Any]:
    """Write one budget row, money in SEK to the öre.

    An overspend under 1 SEK is the solver's tolerance on a budget row that binds (R8/R9
    hold), so it is shown as 0 remaining, not as a deficit.
    """
    action = sum(costs.values())
    remaining = None if budget is None else budget - base - action
    if remaining is not None and -1.0 < remaining < 0.0:
        remaining = 0.0
    return {
        "unit": unit,
        "base_cost": round(base, 2),
        **{f"{k}_cost": round(v, 2) for k, v in costs.items()},
        "action_cost": round(action, 2),
        "total_cost": round(base + action, 2),
        "budget": None if budget is None else round(budget, 2),
        "remaining": None if remaining is None else round(remaining, 2),
    }


def actions_table(data: BalancingData, values: Values) -> pd.DataFrame:
    """List every action in ladder order.

    Shift in time, move, increase, purchase (tier order), postpone, unmet.
    """
    pidx = {p: i for i, p in enumerate(data.figures.periods)}
    rows: list[dict[str, Any]] = []
    for (k, p, p2), v in values.get("w", {}).items():
        if v > ACTION_EPS:
            ts = data.time_shifts[k]
            rows.append(
                _action(
                    "shift_in_time",
                    ts.unit,
                    ts.resource,
                    p2,
                    v,
                    ts.cost_per_unit * v,
                    f"from {p} (same unit)",
                    0,
                )
            )
    for (a, p), v in values["m"].items():
        if v > ACTION_EPS:
            mv = data.moves[a]
            cost = mv.cost_per_unit * v + mv.fixed_cost * values["y"].get((a, p), 0.0)
            rows.append(
                _action("move", mv.receiver, mv.resource, p, v, cost, f"from {mv.donor}", 0)
            )
    for (i, p), v in values["z"].items():
        if v > ACTION_EPS:
            inc = data.increases[i]
            rows.append(
                _action(
                    "reduce" if inc.sign < 0 else "increase",
                    inc.unit,
                    inc.resource,
                    p,
                    v,
                    inc.sign * inc.cost_per_unit * v,
                    inc.kind.value,
                    0,
                )
            )
    for (h, o, p, t), v in values["buy"].items():
        if v > ACTION_EPS:
            pur = data.purchases[t]
            detail = f"{pur.tier.value}: {pur.provider}"
            rows.append(
                _action("purchase", h, o, p, v, pur.price_per_activity * v, detail, pur.tier.rank)
            )
    for (h, o, p), v in values["d"].items():
        if v > ACTION_EPS:
            rows.append(_action("postpone", h, o, p, v, 0.0, "carried to the next period", 0))
    for (h, o, p), v in values["s"].items():
        if v > ACTION_EPS and o in data.figures.acute:  # (R16) not unmet: a dimensioning gap
            detail = "acute need within the dimensioning level without capacity: add capacity"
            rows.append(_action("acute_gap", h, o, p, v, 0.0, detail, 0))
        elif v > ACTION_EPS:
            rows.append(
                _action("unmet", h, o, p, v, 0.0, f"priority {data.figures.priority.get(o, 1)}", 0)
            )
    rows.sort(
        key=lambda r: (
            ACTION_ORDER[r["action"]],
            r.pop("_tier"),
            pidx.get(r["period"], 0),
            r["unit"],
            r["resource_or_object"],
        )
    )
    for n, r in enumerate(rows, start=1):
        r["order"] = n
    cols = ["order", "action", "unit", "resource_or_object", "period", "amount", "cost", "detail"]
    return pd.DataFrame(rows, columns=cols)


def _action(
    action: str,
    unit: str,
    what: str,
    period: str,
    amount: float,
    cost: float,
    detail: str,
    tier: int,
) -> dict[str, Any]:
    return {
        "action": action,
        "unit": unit,
        "resource_or_object": what,
        "period": period,
        "amount": _r(amount),
        "cost": _r(cost),
        "detail": detail,
        "_tier": tier,
    }


def utilisation_table(data: BalancingData, values: Values) -> pd.DataFrame:
    """Need, available capacity and load before and after balancing per unit × resource × period."""
    fig = data.figures
    load = loads(data, values)
    cap = capacity_after(data, values)
    keys = set(fig.available) | set(fig.capacity_need) | set(load)
    pidx = {p: i for i, p in enumerate(fig.periods)}
    backlog = data.forecast_backlog
    rows = []
    for u, r, p in sorted(keys, key=lambda k: (k[0], k[1], pidx.get(k[2], 0))):
        need = fig.capacity_need.get((u, r, p), 0.0)
        avail = fig.available.get((u, r, p), 0.0)
        after = cap.get((u, r, p), 0.0)
        ld = load.get((u, r, p), 0.0)
        rows.append(
            {
                "unit": u,
                "resource": r,
                "period": p,
                "need_before": _r(need),
                "available_before": _r(avail),
                "utilisation_before": _ratio(need, avail),
                "backlog_forecast": _r(backlog.get((u, r, p), 0.0)),
                "spare": _r(data.spare((u, r, p))),
                "load_after": _r(ld),
                "available_after": _r(after),
                "utilisation_after": _ratio(ld, after),
            }
        )
    return pd.DataFrame(rows)


def shadow_table(data: BalancingData, values: Values, run: SolveRun) -> pd.DataFrame:
    """Marginal value of one more unit of each limiting capacity (duals of R3)."""
    load = loads(data, values)
    cap = capacity_after(data, values)
    pidx = {p: i for i, p in enumerate(data.figures.periods)}
    rows = []
    for key in sorted(run.model.capacity, key=lambda k: (k[0], k[1], pidx.get(k[2], 0))):
        nv = run.need_value.get(key, 0.0)
        cv = run.cost_value.get(key, 0.0)
        util = _ratio(load.get(key, 0.0), cap.get(key, 0.0))
        limiting = util is not None and util >= LIMITING_UTILISATION
        if not (limiting or abs(nv) > EPS or abs(cv) > EPS):
            continue
        rows.append(
            {
                "unit": key[0],
                "resource": key[1],
                "period": key[2],
                "load": _r(load.get(key, 0.0)),
                "available_after": _r(cap.get(key, 0.0)),
                "utilisation": util,
                "need_value": _r(nv),
                "cost_value": _r(cv),
            }
        )
    cols = [
        "unit",
        "resource",
        "period",
        "load",
        "available_after",
        "utilisation",
        "need_value",
        "cost_value",
    ]
    return pd.DataFrame(rows, columns=cols)


def service_catalogue(data: BalancingData, values: Values) -> pd.DataFrame:
    """Per unit × planning object: volume, who produces it, promised capacity, limitations."""
    fig = data.figures
    produced: dict[tuple[str, str], float] = defaultdict(float)
    for_others: dict[tuple[str, str], float] = defaultdict(float)
    by_others: dict[tuple[str, str], float] = defaultdict(float)
    for (h, v, o, _p), val in values["x"].items():
        produced[(v, o)] += val
        if v != h:
            for_others[(v, o)] += val
            by_others[(h, o)] += val
    for (h, o, _p), val in values["q"].items():
        produced[(h, o)] += val
    need: dict[tuple[str, str], float] = defaultdict(float)
    for (h, o, _p), val in data.need.items():
        need[(h, o)] += val
    peak: dict[tuple[str, str], float] = defaultdict(float)
    level: dict[tuple[str, str], float] = defaultdict(float)
    for (h, o, _p), (c, _reserved, above) in data.acute_split.items():
        peak[(h, o)] += above
        level[(h, o)] = max(level[(h, o)], c)
    waits = expected_waits(data, values)
    bought: dict[tuple[str, str], float] = defaultdict(float)
    for (h, o, _p, _t), val in values["buy"].items():
        bought[(h, o)] += val
    postponed: dict[tuple[str, str], float] = defaultdict(float)
    for (h, o, _p), val in values["d"].items():
        postponed[(h, o)] += val
    unmet: dict[tuple[str, str], float] = defaultdict(float)
    gap: dict[tuple[str, str], float] = defaultdict(float)
    for (h, o, _p), val in values["s"].items():
        (gap if o in fig.acute else unmet)[(h, o)] += val
    promised, limits = _promised_and_limits(data, values)
    keys = sorted(set(produced) | set(need))
    rows = []
    for u, o in keys:
        if produced[(u, o)] <= EPS and need[(u, o)] <= EPS:
            continue
        queue, wait = waits.get((u, o), (0.0, None))
        k = (u, o)
        consequence = _consequence(unmet[k], postponed[k], gap[k], peak[k], level[k], wait)
        rows.append(
            {
                "unit": u,
                "planning_object": o,
                "priority": fig.priority.get(o, 1),
                "volume": _r(produced[(u, o)]),
                "need": _r(need[(u, o)]),
                "for_other_units": _r(for_others[(u, o)]),
                "by_other_units": _r(by_others[(u, o)]),
                "purchased": _r(bought[(u, o)]),
                "postponed": _r(postponed[(u, o)]),
                "unmet": _r(unmet[(u, o)]),
                "acute_gap": _r(gap[(u, o)]),
                # postponed activity-periods per activity of need: the extra delay
                "mean_delay_periods": _r(postponed[(u, o)] / need[(u, o)]) if need[(u, o)] else 0.0,
                "queue_end": _r(queue),
                "expected_wait_weeks": None if wait is None else _r(wait),
                "peak_plan": _r(peak[(u, o)]),
                "promised_capacity": promised.get(u, ""),
                "limitations": limits.get(u, "none"),
                "expected_consequence": consequence,
            }
        )
    return pd.DataFrame(rows)


def _consequence(
    unmet: float, postponed: float, gap: float, peak: float, level: float, wait: float | None
) -> str:
    """Give the service catalogue's expected consequence for one unit × planning object."""
    wait_text = "" if wait is None else f" (expected wait at the end {wait:.1f} weeks)"
    consequence = "need covered in time"
    if unmet > EPS:
        consequence = (
            f"{unmet:.0f} activities not given in the plan: they stay in the queue" + wait_text
        )
    elif postponed > EPS:
        consequence = f"{postponed:.0f} activity-periods of delay" + wait_text
    if gap > EPS:
        consequence = (
            f"{gap:.0f} acute activities within the dimensioning level lack"
            " capacity: a dimensioning gap (add capacity)"
        )
    if peak > EPS:
        consequence += (
            f"; peak plan for the days above {level:.0f} a day: expected {peak:.0f} activities"
        )
    return consequence


def _promised_and_limits(
    data: BalancingData, values: Values
) -> tuple[dict[str, str], dict[str, str]]:
    """Per unit: the capacity promised after the actions, and the resources at full use."""
    fig = data.figures
    cap = capacity_after(data, values)
    util = utilisation_after(data, values)
    promised: dict[str, str] = {}
    limits: dict[str, str] = {}
    for u in fig.units:
        parts = []
        for r in fig.resources:
            total = sum(cap.get((u, r, p), 0.0) for p in fig.periods)
            if total > EPS:
                parts.append(f"{r} {total:.0f}")
        promised[u] = "; ".join(parts)
        by_res: dict[str, list[str]] = defaultdict(list)
        for (uu, r, p), x in sorted(util.items()):
            if uu == u and x >= LIMITING_UTILISATION:
                by_res[r].append(p)
        parts_lim = []
        for r in fig.resources:
            ps = sorted(by_res.get(r, []), key=lambda p: fig.periods.index(p))
            if not ps:
                continue
            shown = ", ".join(ps) if len(ps) <= 3 else f"{len(ps)} of {len(fig.periods)} periods"
            parts_lim.append(f"{r} at full use: {shown}")
        limits[u] = "; ".join(parts_lim) if parts_lim else "none"
    return promised, limits


def expected_waits(
    data: BalancingData, values: Values
) -> dict[tuple[str, str], tuple[float, float | None]]:
    """(home unit, object) → (queue at the end of the horizon, expected wait in weeks).

    The seeds' *förväntad väntetid*: the queue divided by the production, the existing queue
    included. The queue at the end of the last period = the waiting list not yet worked down
    (waiting_lists.csv − waiting-list production) + need postponed out of the period + need
    left unmet so far (it still waits); the production = the last period's production of the
    unit's need (at any unit, bought, or from its waiting list) per week (days / 7). No
    production: no expected wait (None).
    """
    fig = data.figures
    last = fig.periods[-1]
    weeks = fig.period_days.get(last, 91.0) / 7.0
    queue: dict[tuple[str, str], float] = defaultdict(float)
    made: dict[tuple[str, str], float] = defaultdict(float)
    for w in data.waiting_lists:
        queue[(w.unit, w.planning_object)] += w.waiting
    for (h, o, p), v in values["q"].items():
        queue[(h, o)] -= v
        if p == last:
            made[(h, o)] += v
    for (h, o, _p), v in values["s"].items():
        queue[(h, o)] += v
    for (h, o, p), v in values["d"].items():
        if p == last:
            queue[(h, o)] += v
    for (h, _v, o, p), v in values["x"].items():
        if p == last:
            made[(h, o)] += v
    for (h, o, p, _t), v in values["buy"].items():
        if p == last:
            made[(h, o)] += v
    out: dict[tuple[str, str], tuple[float, float | None]] = {}
    for key in set(queue) | set(made):
        q = max(0.0, queue[key])
        rate = made[key] / weeks
        out[key] = (q, q / rate if rate > EPS else None)
    return out


def kpi_dict(
    data: BalancingData, values: Values, tables: dict[str, pd.DataFrame], terms: dict[str, float]
) -> dict[str, Any]:
    """Collect the KPIs of ``result.json``: actions, unmet, postponed, cost, utilisation."""
    actions = tables["actions"]
    util = tables["utilisation"]
    counts = {a: int((actions["action"] == a).sum()) if len(actions) else 0 for a in ACTION_ORDER}
    amounts = {
        a: float(actions.loc[actions["action"] == a, "amount"].sum()) if len(actions) else 0.0
        for a in ACTION_ORDER
    }
    before = util["utilisation_before"].dropna()
    after = util["utilisation_after"].dropna()
    total_need = sum(v for v in data.figures.production_need.values())
    return {
        "total_need_activities": _r(total_need),
        "unmet_activities": _r(amounts["unmet"]),
        "postponed_activity_periods": _r(amounts["postpone"]),
        "purchased_activities": _r(amounts["purchase"]),
        "shifted_in_time": _r(amounts["shift_in_time"]),
        "moved_capacity": _r(amounts["move"]),
        "increased_capacity": _r(amounts["increase"]),
        "reduced_capacity": _r(amounts["reduce"]),
        "savings": _r(-float(tables["budget"]["reduction_cost"].iloc[-1])),  # the TOTAL row
        "waiting_list_reduction": _r(sum(values["q"].values())),
        "peak_plan_activities": _r(sum(a[2] for a in data.acute_split.values())),
        "acute_gap_activities": _r(amounts["acute_gap"]),
        "action_cost": _r(terms[STAGE_COST]),
        "actions": counts,
        "max_utilisation_before": _r(float(before.max())) if len(before) else None,
        "max_utilisation_after": _r(float(after.max())) if len(after) else None,
        # the need stage without the acute gap (R16: a dimensioning gap, not unmet need)
        "weighted_unmet_and_postponed": _r(terms[STAGE_NEED] - _weighted_acute_gap(data, values)),
    }


def _weighted_acute_gap(data: BalancingData, values: Values) -> float:
    """Give the need stage's part of the acute gap: unmet weight × acute shortfall (R16)."""
    _unmet, gap = split_shortfall(data, values)
    return sum(data.rule(o).unmet_weight * v for (_h, o, _p), v in gap.items())


def explain(data: BalancingData, values: Values, tables: dict[str, pd.DataFrame]) -> list[str]:
    """Plain-language lines: what is not covered and which capacity limits it."""
    lines: list[str] = []
    unmet: dict[tuple[str, str], float] = defaultdict(float)
    for (h, o, _p), v in values["s"].items():
        unmet[(h, o)] += v
    shadow = tables["shadow_prices"]
    for (h, o), v in sorted(unmet.items()):
        if v < 0.5:  # below half an activity: solver noise, not a shortfall to explain
            continue
        lim = shadow.loc[shadow["need_value"] > EPS] if len(shadow) else shadow
        units = {us.at_unit for us in data.usage.get((h, o), ())}
        lim = lim.loc[lim["unit"].isin(units)] if len(lim) else lim
        # the capacities in words, "KIR or_h 2027Q3" (no solver constraint names)
        cause = ", ".join(f"{r.unit} {r.resource} {r.period}" for r in lim.head(3).itertuples())
        what = (
            f"{v:.0f} acute activities of {o} at {h} lack capacity within the dimensioning level"
            " (a dimensioning gap to close, not unmet need)"
            if o in data.figures.acute
            else f"{v:.0f} activities of {o} at {h} stay unmet"
        )
        lines.append(
            what + (f"; limiting: {cause}" if cause else "; the budget or purchase capacity limits")
        )
    for rec in tables["budget"].to_dict("records"):
        rem = rec.get("remaining")
        spent = rec.get("action_cost") or 0.0
        if isinstance(rem, int | float) and not math.isnan(rem) and abs(rem) < 1.0 and spent > 0:
            cost = f"{rec['total_cost']:,.0f}".replace(",", " ")
            lines.append(f"the budget of {rec['unit']} is fully used ({cost} SEK)")
    for rec in tables["budget"].to_dict("records"):
        if rec["unit"] != TOTAL and rec["base_cost"] > (rec.get("budget") or math.inf) + 1.0:
            saved = -float(rec.get("reduction_cost") or 0.0)
            lines.append(
                f"savings requirement at {rec['unit']}: budget {rec['budget']:,.0f} SEK is "
                f"{rec['base_cost'] - rec['budget']:,.0f} below today's cost; capacity taken "
                f"away saves {saved:,.0f} SEK".replace(",", " ")
            )
    post = tables["actions"]
    if len(post) and (post["action"] == "reduce").any():
        red = post[post["action"] == "reduce"]
        by = red.groupby(["unit", "resource_or_object"], sort=False)["amount"].sum()
        top = ", ".join(
            f"{key[0]} {key[1]} {v:,.0f}".replace(",", " ")  # type: ignore[index]
            for key, v in by.sort_values(ascending=False).head(4).items()
        )
        lines.append(f"capacity taken away to save money: {top}")
    if len(post) and (post["action"] == "postpone").any():
        total = float(post.loc[post["action"] == "postpone", "amount"].sum())
        lines.append(
            f"{total:.0f} activity-periods postponed to a later period with spare capacity"
        )
    return lines


def _r(x: float) -> float:
    v = round(float(x), 6)
    return 0.0 if v == 0 else v


def _ratio(a: float, b: float) -> float | None:
    if b <= 1e-9:
        return None
    return round(a / b, 6)

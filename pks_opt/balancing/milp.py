"""The balancing MILP (spec: ``models/balancing.md``), built with PuLP and solved by stages.

:func:`build_model` reads like the spec's table of contents: variables, then one short method
per constraint family (docstrings cite the tags R1…R11), then the named objective terms.
:func:`solve_balancing` runs the lexicographic stages, keeping each optimum as a constraint
(R11), then two LPs with the integers fixed for the marginal values of capacity.

The builder works on plain dicts ``{variable: coefficient}`` and creates every expression with
one ``LpAffineExpression`` call, so building stays well below solving time at benchmark size.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pks_opt.balancing.data import BalancingData, DonorBacklog, PurchaseTier
from pks_opt.milp import MilpOutcome, check_backend, solve_pulp
from pks_opt.result import SolveStatus
from pks_opt.stages import Outcome, PulpAdapter, Stage, TimeSplit, relative, run_stages

Key4 = tuple[str, str, str, str]
Key3 = tuple[str, str, str]
Coefs = dict[Any, float]

STAGE_NEED = "need"
STAGE_LADDER = "ladder"
STAGE_COST = "cost"
STAGE_WAITING = "waiting_list"
STAGE_MOVES = "moves"
STAGE_LEVELLING = "levelling"
#: a tiny absolute floor when the tolerance is relative (values near zero)
STAGE_TOLERANCE_ABS = 1e-7
#: a stage reached after the time limit still gets this long (it may find nothing: honest)
MIN_STAGE_TIME_S = 0.1
#: relative widths of the box that "fixes" a continuous action for the levelling stage
#: (tried in turn until the LP solves: solver precision first)
FIX_SLACKS = (1e-7, 1e-6, 1e-5)
#: capacity after actions at or below this is "none" for utilisation (solver dust such as a
#: 1e-7 move with its indicator off must not make a unit look 100 % used)
CAP_EPS = 1e-6
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


@dataclass
class BalancingModel:
    """The PuLP problem and its variables, indexed by the spec's keys."""

    prob: Any
    data: BalancingData
    periods: tuple[str, ...]
    x: dict[Key4, Any] = field(default_factory=dict)  # (h, v, o, p)
    buy: dict[tuple[str, str, str, int], Any] = field(default_factory=dict)  # (h, o, p, t)
    d: dict[Key3, Any] = field(default_factory=dict)  # (h, o, p) postponed to p+1
    s: dict[Key3, Any] = field(default_factory=dict)  # (h, o, p) unmet
    q: dict[Key3, Any] = field(default_factory=dict)  # (h, o, p) waiting-list production
    m: dict[tuple[int, str], Any] = field(default_factory=dict)  # (arc, p)
    w: dict[tuple[int, str, str], Any] = field(default_factory=dict)  # (shift, from p, to p)
    y: dict[tuple[int, str], Any] = field(default_factory=dict)  # (arc, p) binary
    z: dict[tuple[int, str], Any] = field(default_factory=dict)  # (increase, p) var
    z_factor: dict[tuple[int, str], float] = field(default_factory=dict)  # step or 1
    load: dict[Key3, Coefs] = field(default_factory=dict)  # (u, r, p) -> production terms
    capacity: dict[Key3, Any] = field(default_factory=dict)  # (u, r, p) -> constraint (R3)
    cost_by_unit: dict[str, Coefs] = field(default_factory=dict)
    objectives: dict[str, Coefs] = field(default_factory=dict)
    saved_bounds: list[tuple[Any, Any, Any]] = field(default_factory=list)
    builder: Any = None  # the _Builder (lazy donor-backlog rows)
    raw_y: dict[tuple[int, str], float] = field(default_factory=dict)  # y as the solver left it
    backlog_keys: set[Key3] = field(default_factory=set)  # donor keys with backlog rows

    # ------------------------------------------------------------------ helpers
    def add_var(self, name: str, lb: float = 0.0, ub: float | None = None, cat: str = "C") -> Any:
        import pulp

        kind = {"C": pulp.LpContinuous, "I": pulp.LpInteger, "B": pulp.LpBinary}[cat]
        return self.prob.add_variable(name, lowBound=lb, upBound=ub, cat=kind)

    def add_le(self, coefs: Coefs, rhs: float, name: str) -> Any:
        import pulp

        con = pulp.LpConstraint(pulp.LpAffineExpression(coefs), pulp.LpConstraintLE, name, rhs)
        self.prob.addConstraint(con)
        return con

    def add_eq(self, coefs: Coefs, rhs: float, name: str) -> Any:
        import pulp

        con = pulp.LpConstraint(pulp.LpAffineExpression(coefs), pulp.LpConstraintEQ, name, rhs)
        self.prob.addConstraint(con)
        return con


# --------------------------------------------------------------------------- building


def build_model(data: BalancingData) -> BalancingModel:
    """Build the MILP of ``models/balancing.md`` (variables, R1–R10, objective terms)."""
    import pulp

    prob = pulp.LpProblem("balancing", pulp.LpMinimize)
    bm = BalancingModel(prob, data, tuple(data.figures.periods))
    b = _Builder(bm)
    bm.builder = b
    b.variables()
    b.constraints()
    b.objectives()
    b.fix_past()
    return bm


class _Builder:
    def __init__(self, bm: BalancingModel) -> None:
        self.bm = bm
        self.data = bm.data
        self.fig = bm.data.figures
        self.periods = bm.periods
        self.pidx = {p: i for i, p in enumerate(self.periods)}
        self.need: dict[tuple[str, str], list[float]] = {}
        for (h, o, p), v in self.data.need.items():
            if p in self.pidx and v > 0:
                self.need.setdefault((h, o), [0.0] * len(self.periods))[self.pidx[p]] += v
        self.keys = sorted(self.need)
        self.producers = self.data.producers()
        self.purchase_options: dict[str, list[int]] = defaultdict(list)
        for t, pur in enumerate(self.data.purchases):
            self.purchase_options[pur.planning_object].append(t)
        self.active: dict[tuple[str, str], list[str]] = {}
        self.cost = bm.cost_by_unit
        self._backlog: dict[Key3, Coefs] | None = None
        self._s_ub: dict[str, float] = {}

    # ------------------------------------------------------------------ variables
    def variables(self) -> None:
        bm, periods = self.bm, self.periods
        last = len(periods) - 1
        # (whole activities) goals, purchases, postponements and unmet need are counted
        cat = "I" if self.data.params.whole_activities == "integer" else "C"
        for h, o in self.keys:
            need = self.need[(h, o)]
            rule = self.data.rule(o)
            postpone = rule.may_postpone and rule.max_postpone_periods > 0
            first = next(i for i, v in enumerate(need) if v > 0)
            act = [i for i in range(len(periods)) if (i >= first if postpone else need[i] > 0)]
            self.active[(h, o)] = [periods[i] for i in act]
            units = (h, *(v for v in self.producers.get(o, ()) if v != h))
            for i in act:
                p = periods[i]
                for v in units:
                    bm.x[(h, v, o, p)] = bm.add_var(f"x[{h},{v},{o},{p}]", cat=cat)
                for t in self.purchase_options.get(o, ()):
                    bm.buy[(h, o, p, t)] = bm.add_var(f"buy[{h},{o},{p},{t}]", cat=cat)
                bm.s[(h, o, p)] = bm.add_var(f"unmet[{h},{o},{p}]", cat=cat)
                prev_d = bm.d.get((h, o, periods[i - 1])) if i > 0 else None
                carried = 0.0 if prev_d is None else float(prev_d.upBound or 0.0)
                self._s_ub[bm.s[(h, o, p)].name] = need[i] + carried
                if postpone and i < last:
                    # (R2) first-in first-out window: nothing waits more than m periods.
                    m = rule.max_postpone_periods
                    window = sum(need[max(0, i - m + 1) : i + 1])
                    bm.d[(h, o, p)] = bm.add_var(f"postpone[{h},{o},{p}]", ub=window, cat=cat)
        if self.data.params.surplus_to_waiting_list:
            for w in self.data.waiting_lists:
                if w.waiting <= 0:
                    continue
                for p in periods:
                    bm.q[(w.unit, w.planning_object, p)] = bm.add_var(
                        f"waiting[{w.unit},{w.planning_object},{p}]",
                        ub=w.max_reduction_per_period,
                    )
        for a, mv in enumerate(self.data.moves):
            for p in periods:
                # the tightest bound: the arc's limit or the donor's spare (R4), whichever is
                # less; no variable at all when the donor has nothing to give
                limit = min(mv.max_per_period, self.spare((mv.donor, mv.resource, p)))
                if limit <= 0:
                    continue
                bm.m[(a, p)] = bm.add_var(
                    f"move[{mv.donor},{mv.receiver},{mv.resource},{p}]", ub=limit
                )
                bm.y[(a, p)] = bm.add_var(
                    f"move_on[{mv.donor},{mv.receiver},{mv.resource},{p}]", cat="B"
                )
        self.shift_variables()
        for i, inc in enumerate(self.data.increases):
            for j, p in enumerate(periods):
                if j < inc.lead_periods:
                    continue  # (R6) not before the lead time
                name = f"increase[{inc.unit},{inc.resource},{inc.kind.value},{p}]"
                if inc.step is not None:
                    steps = math.floor(inc.max_per_period / inc.step + 1e-9)
                    bm.z[(i, p)] = bm.add_var(name, ub=steps, cat="I")
                    bm.z_factor[(i, p)] = inc.step
                else:
                    bm.z[(i, p)] = bm.add_var(name, ub=inc.max_per_period)
                    bm.z_factor[(i, p)] = 1.0

    def shift_variables(self) -> None:
        """(R14) Hours of a unit moved from period p to period p' (|p − p'| ≤ max_distance), at
        most ``max_share`` of p's available capacity and of p's spare (R4: the unit is not left
        short in p)."""
        bm, periods, avail = self.bm, self.periods, self.fig.available
        for k, ts in enumerate(self.data.time_shifts):
            for i, p in enumerate(periods):
                key = (ts.unit, ts.resource, p)
                limit = min(ts.max_share * avail.get(key, 0.0), self.spare(key))
                if limit <= 0:
                    continue
                for j, p2 in enumerate(periods):
                    if i != j and abs(i - j) <= ts.max_distance:
                        name = f"shift_in_time[{ts.unit},{ts.resource},{p},{p2}]"
                        bm.w[(k, p, p2)] = bm.add_var(name, ub=limit)

    def spare(self, key: Key3) -> float:
        """What a donor can give without being left short (R4, :meth:`BalancingData.spare`)."""
        return self.data.spare(key)

    # ------------------------------------------------------------------ constraints
    def constraints(self) -> None:
        self.need_balance()
        self.capacity()
        self.donor_not_short()
        self.move_indicator()
        self.contract_capacity()
        self.budgets()
        self.production_caps()

    def need_balance(self) -> None:
        """(R1) Need of (h, o, p) = production at capable units + purchases + unmet + carried."""
        bm, pidx = self.bm, self.pidx
        for h, o in self.keys:
            need = self.need[(h, o)]
            units = (h, *(v for v in self.producers.get(o, ()) if v != h))
            prev = None
            for p in self.active[(h, o)]:
                coefs: Coefs = {bm.x[(h, v, o, p)]: 1.0 for v in units}
                for t in self.purchase_options.get(o, ()):
                    coefs[bm.buy[(h, o, p, t)]] = 1.0
                coefs[bm.s[(h, o, p)]] = 1.0
                dv = bm.d.get((h, o, p))
                if dv is not None:
                    coefs[dv] = 1.0
                if prev is not None:
                    coefs[prev] = -1.0
                bm.add_eq(coefs, need[pidx[p]], f"need[{h},{o},{p}]")
                prev = dv

    def capacity(self) -> None:
        """(R3) Load incl. support units ≤ available + moved in − moved out + increases."""
        bm, usage = self.bm, self.data.usage
        load: dict[Key3, Coefs] = defaultdict(dict)
        for (_h, v, o, p), var in bm.x.items():
            for us in usage.get((v, o), ()):
                if us.amount:
                    c = load[(us.at_unit, us.resource, p)]
                    c[var] = c.get(var, 0.0) + us.amount
        for (h, o, p), var in bm.q.items():
            for us in usage.get((h, o), ()):
                if us.amount:
                    c = load[(us.at_unit, us.resource, p)]
                    c[var] = c.get(var, 0.0) + us.amount
        bm.load = dict(load)
        actions: dict[Key3, Coefs] = defaultdict(dict)
        for (a, p), var in bm.m.items():
            mv = self.data.moves[a]
            actions[(mv.receiver, mv.resource, p)][var] = -1.0
            actions[(mv.donor, mv.resource, p)][var] = 1.0
        for (i, p), var in bm.z.items():
            inc = self.data.increases[i]
            actions[(inc.unit, inc.resource, p)][var] = -inc.sign * bm.z_factor[(i, p)]
        for (k, p, p2), var in bm.w.items():  # (R14) out of p, into p2
            ts = self.data.time_shifts[k]
            actions[(ts.unit, ts.resource, p)][var] = 1.0
            actions[(ts.unit, ts.resource, p2)][var] = -1.0
        avail = self.fig.available
        # a row also where only actions act (no load): every action variable is in some row
        for key in sorted(set(load) | set(actions)):
            coefs = dict(load.get(key, {}))
            coefs.update(actions.get(key, {}))
            u, r, p = key
            if p in self.data.past_periods:
                continue  # (R0) a period already done: what was produced is a fact
            bm.capacity[key] = bm.add_le(coefs, avail.get(key, 0.0), f"capacity[{u},{r},{p}]")
        # (R13) capacity after actions ≥ the floor: −(in − out + increases) ≤ available − floor
        for key, floor in sorted(self.data.capacity_floors.items()):
            u, r, p = key
            if floor <= avail.get(key, 0.0) - CAP_EPS and not actions.get(key):
                continue  # nothing can take it away
            bm.add_le(
                dict(actions.get(key, {})),
                avail.get(key, 0.0) - floor,
                f"capacity_floor[{u},{r},{p}]",
            )

    def donor_not_short(self) -> None:
        """(R4) A donor gives at most its spare capacity over its own capacity need.

        The backlog part of R4 (``donor_backlog``) is added lazily by :meth:`backlog_rows`
        for the donor keys where a solution breaks it (see :func:`solve_balancing`).
        """
        bm = self.bm
        out: dict[Key3, list[Any]] = defaultdict(list)
        for key, arcs in self.donor_arcs().items():
            out[key].extend(arcs.values())
        for (k, p, _p2), var in bm.w.items():  # (R14) hours shifted out of p count as given
            ts = self.data.time_shifts[k]
            out[(ts.unit, ts.resource, p)].append(var)
        for key, given in sorted(out.items(), key=lambda kv: kv[0]):
            if len(given) > 1:  # a single variable alone is bounded by the spare
                coefs: Coefs = {var: 1.0 for var in given}
                bm.add_le(coefs, self.spare(key), f"donor[{key[0]},{key[1]},{key[2]}]")

    def donor_arcs(self) -> dict[Key3, dict[int, Any]]:
        """(donor, resource, period) → {arc: move variable}."""
        out: dict[Key3, dict[int, Any]] = defaultdict(dict)
        for (a, p), var in self.bm.m.items():
            mv = self.data.moves[a]
            out[(mv.donor, mv.resource, p)][a] = var
        return dict(out)

    def backlog_rows(self, keys: Iterable[Key3], *, fixed_moves: bool = False) -> None:
        """(R4, backlog) When a donor gives (an arc's indicator on), it keeps its backlog.

        Σ_a' m[a',p] + β[u,r,p] ≤ spare + M·(1 − y[a,p]) for each arc a out of (u, r, p),
        β = load of need of p−1 postponed to p or left unmet though postponable. With
        ``fixed_moves`` (levelling: y fixed, the donor gives) the row is plain, without M.
        """
        bm, arcs_of = self.bm, self.donor_arcs()
        for key in sorted(keys):
            u, r, p = key
            arcs, backlog = arcs_of.get(key, {}), self.backlog(key)
            if not arcs or not backlog:
                continue
            coefs: Coefs = {var: 1.0 for var in arcs.values()}
            spare = self.spare(key)
            if fixed_moves:
                bm.add_le({**coefs, **backlog}, spare, f"donor_backlog_fixed[{u},{r},{p}]")
                continue
            # big-M: the largest backlog load the variables allow (d + s of p−1 is at most
            # p−1's need plus what p−2 may carry in, R1), less the spare it may use anyway
            most = sum(c * self._s_ub[v.name] for v, c in backlog.items() if v.name in self._s_ub)
            big = max(0.0, most - spare)
            for a in sorted(arcs):
                mv = self.data.moves[a]
                row = {**coefs, **backlog}
                if big > 0:
                    row[bm.y[(a, p)]] = big
                bm.add_le(row, spare + big, f"donor_backlog[{u},{mv.receiver},{r},{p}]")

    def backlog_breaches(self, values: dict[str, dict[Any, float]], tol: float) -> set[Key3]:
        """Donor keys where the plan gives and Σ m + β > spare (the lazy rows to add)."""
        given: dict[Key3, float] = defaultdict(float)
        for (a, p), v in values["m"].items():
            mv = self.data.moves[a]
            given[(mv.donor, mv.resource, p)] += v
        out: set[Key3] = set()
        var_value = {}
        for fam in ("d", "s"):
            for k, var in getattr(self.bm, fam).items():
                var_value[var.name] = values[fam].get(k, 0.0)
        for key, g in given.items():
            if g <= tol:
                continue
            beta = sum(c * var_value.get(v.name, 0.0) for v, c in self.backlog(key).items())
            if g + beta > self.spare(key) + tol * max(1.0, g + beta):
                out.add(key)
        return out

    def backlog(self, key: Key3) -> Coefs:
        """Load at (u, r, p) of need carried in from p−1 (postponed, or unmet but postponable)."""
        if self._backlog is None:
            index: dict[Key3, Coefs] = defaultdict(dict)
            for (h, o, pp), dv in self.bm.d.items():
                i = self.pidx[pp] + 1
                if i >= len(self.periods):
                    continue
                sv = self.bm.s[(h, o, pp)]
                for us in self.data.usage.get((h, o), ()):
                    if us.amount:
                        c = index[(us.at_unit, us.resource, self.periods[i])]
                        c[dv] = c.get(dv, 0.0) + us.amount
                        c[sv] = c.get(sv, 0.0) + us.amount
            self._backlog = dict(index)
        return dict(self._backlog.get(key, {}))

    def move_indicator(self) -> None:
        """(R5) A move is at most its limit, and only when its indicator is on."""
        bm = self.bm
        for (a, p), var in bm.m.items():
            mv = self.data.moves[a]
            bm.add_le(
                {var: 1.0, bm.y[(a, p)]: -var.upBound},
                0.0,
                f"move_on[{mv.donor},{mv.receiver},{mv.resource},{p}]",
            )

    def contract_capacity(self) -> None:
        """(R7) Purchases under one option share its contract capacity per period."""
        bm = self.bm
        per: dict[tuple[int, str], Coefs] = defaultdict(dict)
        for (_h, _o, p, t), var in bm.buy.items():
            per[(t, p)][var] = 1.0
        for (t, p), coefs in sorted(per.items()):
            cap = self.data.purchases[t].capacity_per_period
            if cap is None:
                continue
            if len(coefs) == 1:
                (var,) = coefs
                var.upBound = cap
            else:
                pur = self.data.purchases[t]
                bm.add_le(coefs, cap, f"contract[{pur.planning_object},{pur.provider},{p}]")

    def budgets(self) -> None:
        """(R8) per unit and (R9) total: base cost + action cost ≤ budget."""
        bm, data = self.bm, self.data
        cost: dict[str, Coefs] = defaultdict(dict)

        def charge(unit: str, var: Any, coef: float) -> None:
            if coef:
                cost[unit][var] = cost[unit].get(var, 0.0) + coef

        for (a, p), var in bm.m.items():
            mv = data.moves[a]
            charge(mv.receiver, var, mv.cost_per_unit)
            charge(mv.receiver, bm.y[(a, p)], mv.fixed_cost)
        for (i, p), var in bm.z.items():
            inc = data.increases[i]
            charge(inc.unit, var, inc.sign * inc.cost_per_unit * bm.z_factor[(i, p)])
        for (k, _p, _p2), var in bm.w.items():
            ts = data.time_shifts[k]
            charge(ts.unit, var, ts.cost_per_unit)
        for (h, _o, _p, t), var in bm.buy.items():
            charge(h, var, data.purchases[t].price_per_activity)
        cap_cost = {(c.unit, c.planning_object): c.cost_per_activity for c in data.capabilities}
        for (h, v, o, _p), var in bm.x.items():
            if v != h:
                charge(h, var, cap_cost.get((v, o), 0.0))
        bm.cost_by_unit.update(cost)
        total: Coefs = {}
        for u, coefs in sorted(cost.items()):
            for var, c in coefs.items():
                total[var] = total.get(var, 0.0) + c
            bgt = data.budgets.get(u)
            if bgt is not None:
                bm.add_le(coefs, bgt.budget - bgt.base_cost, f"budget[{u}]")
        tot = data.budgets.get("TOTAL")
        if tot is not None:
            bm.add_le(total, tot.budget - tot.base_cost, "budget[TOTAL]")

    def fix_past(self) -> None:
        """(R0) Fix every decision of ``data.fixed`` (periods already done) at its value."""
        bm = self.bm
        families: dict[str, tuple[dict[Any, Any], dict[Any, float] | None]] = {
            "x": (bm.x, None),
            "buy": (bm.buy, None),
            "d": (bm.d, None),
            "s": (bm.s, None),
            "q": (bm.q, None),
            "m": (bm.m, None),
            "w": (bm.w, None),
            "y": (bm.y, None),
            "z": (bm.z, bm.z_factor),
        }
        for (family, key), value in self.data.fixed.items():
            store, factor = families[family]
            var = store.get(key)
            if var is None:
                continue
            raw = value / factor[key] if factor is not None else value
            var.lowBound = var.upBound = max(0.0, raw)

    def production_caps(self) -> None:
        """(R12) What the tactical level found achievable caps a unit's production.

        Σ_h x[h,v,o,p] + q[v,o,p] ≤ cap[v,o,p] for every (v, o, p) in ``production_caps``
        (feedback rows of ``pks balance --feedback``).
        """
        bm = self.bm
        per: dict[Key3, Coefs] = defaultdict(dict)
        for (_h, v, o, p), var in bm.x.items():
            if (v, o, p) in self.data.production_caps:
                per[(v, o, p)][var] = 1.0
        for (h, o, p), var in bm.q.items():
            if (h, o, p) in self.data.production_caps:
                per[(h, o, p)][var] = 1.0
        for key, cap in sorted(self.data.production_caps.items()):
            if per.get(key):
                bm.add_le(per[key], cap, f"feedback[{key[0]},{key[1]},{key[2]}]")

    # ------------------------------------------------------------------ objectives
    def objectives(self) -> None:
        """Named stage terms f1…f5 (f6, levelling, is added when its stage is reached)."""
        bm, data, prm = self.bm, self.data, self.data.params
        need: Coefs = {}
        for (_h, o, _p), var in bm.s.items():
            need[var] = data.rule(o).unmet_weight
        for (_h, o, _p), var in bm.d.items():
            need[var] = data.rule(o).postpone_weight_per_period
        weight = functools.partial(action_weight, prm)
        ladder: Coefs = {}
        for var in bm.w.values():
            ladder[var] = weight("shift_in_time")
        for var in bm.m.values():
            ladder[var] = weight("move")
        for k, var in bm.z.items():
            ladder[var] = weight("increase") * bm.z_factor[k]
        for (h, o, _p, t), var in bm.buy.items():
            ladder[var] = weight("purchase", data.purchases[t].tier) * equiv(data, h, o)
        for (h, o, _p), var in bm.d.items():
            ladder[var] = weight("postpone") * equiv(data, h, o)
        cost: Coefs = {}
        for coefs in bm.cost_by_unit.values():
            for var, c in coefs.items():
                cost[var] = cost.get(var, 0.0) + c
        bm.objectives[STAGE_NEED] = need
        if prm.action_order == "cost":
            # (policy "cost") one stage: least total cost, the ladder a small tie-break
            for var, c in ladder.items():
                cost[var] = cost.get(var, 0.0) + prm.cost_tiebreak * c
        else:
            bm.objectives[STAGE_LADDER] = ladder
        bm.objectives[STAGE_COST] = cost
        if bm.q:
            bm.objectives[STAGE_WAITING] = {var: -1.0 for var in bm.q.values()}
            # (R10) the waiting list can be shortened by at most its length
            per: dict[tuple[str, str], Coefs] = defaultdict(dict)
            for (h, o, _p), var in bm.q.items():
                per[(h, o)][var] = 1.0
            for w in data.waiting_lists:
                wl = per.get((w.unit, w.planning_object))
                if wl:
                    bm.add_le(wl, w.waiting, f"waiting[{w.unit},{w.planning_object}]")
        if bm.y:
            bm.objectives[STAGE_MOVES] = {var: 1.0 for var in bm.y.values()}


def action_weight(prm: Any, kind: str, tier: PurchaseTier | None = None) -> float:
    """Ladder weight of one capacity-equivalent unit of an action (policy ``action_order``).

    ``ladder`` and ``cost``: the parameters ``ladder_*`` (shift in time 0.5, move 1,
    increase 10, purchase 100 × tier rank, postpone 1000). An explicit list of tiers: tier k
    (from 0) weighs 10^k, a purchase tier listed on its own (``purchase:<tier>``) its tier's
    weight, else ``purchase``'s × the tier rank; a kind not listed comes after the last tier.
    """
    order = prm.action_order
    if isinstance(order, str):
        named = {
            "shift_in_time": prm.ladder_shift_in_time,
            "move": prm.ladder_move,
            "increase": prm.ladder_increase,
            "purchase": prm.ladder_purchase,
            "postpone": prm.ladder_postpone,
        }
        w = named[kind]
        return float(w * tier.rank if tier is not None else w)
    index = {k: n for n, t in enumerate(order) for k in t}
    if tier is not None and f"purchase:{tier.value}" in index:
        return 10.0 ** index[f"purchase:{tier.value}"]
    w = 10.0 ** index.get(kind, len(order))
    return w * tier.rank if tier is not None else w


def equiv(data: BalancingData, h: str, o: str) -> float:
    """Capacity-equivalent units of one activity of ``o`` at home ``h`` (ladder scale)."""
    total = sum(us.amount for us in data.usage.get((h, o), ()))
    return total if total > 0 else 1.0


# --------------------------------------------------------------------------- solving


@dataclass(frozen=True)
class StageOutcome:
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
        """A plan breaking R4's backlog part at a donor without its rows ends the round."""
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
        _shadow_prices(run, post or copy_model(bm), backend, remaining(), threads)
    if values is not None and prm.whole_activities == "round":
        from pks_opt.balancing.whole import round_plan

        rounded = round_plan(data, values)  # (R15) part of solving: timed with it
        run.continuous, run.values = values, rounded.values
        run.rounding_unmet = rounded.extra_unmet
    run.solve_s = time.perf_counter() - t0 - build_s
    return run


def _level(
    post: BalancingModel,
    values: dict[str, dict[Any, float]],
    stages: list[StageOutcome],
    status: SolveStatus,
    backend: str,
    time_limit: float | None,
    threads: int | None,
) -> tuple[dict[str, dict[Any, float]], SolveStatus]:
    """Stage 6 (levelling) on ``post``, a copy: its outcome appended to ``stages``; the plan
    and the status after it."""
    out = _levelling(post, values, backend, time_limit, threads, post.data.params)
    stages.append(StageOutcome(STAGE_LEVELLING, out))
    if not out.status.has_solution:
        return values, SolveStatus.FEASIBLE
    if out.status is not SolveStatus.OPTIMAL:
        status = SolveStatus.FEASIBLE
    return _read_values(post), status


def copy_model(bm: BalancingModel) -> BalancingModel:
    """A copy of ``bm`` with its own PuLP problem and variables (values, bounds and kinds as
    they are now), every index mapped to the copy's variables and rows by name."""
    import pulp

    names, prob = pulp.LpProblem.fromDataclass(bm.prob.toDataclass())
    prob.name = bm.prob.name

    def fam(d: dict[Any, Any]) -> dict[Any, Any]:
        return {k: names[var.name] for k, var in d.items()}

    def coefs(c: Coefs) -> Coefs:
        return {names[var.name]: a for var, a in c.items()}

    out = dataclasses.replace(
        bm,
        prob=prob,
        x=fam(bm.x),
        buy=fam(bm.buy),
        d=fam(bm.d),
        s=fam(bm.s),
        q=fam(bm.q),
        m=fam(bm.m),
        w=fam(bm.w),
        y=fam(bm.y),
        z=fam(bm.z),
        load={k: coefs(c) for k, c in bm.load.items()},
        capacity={k: prob.constraints[c.name] for k, c in bm.capacity.items()},
        cost_by_unit={u: coefs(c) for u, c in bm.cost_by_unit.items()},
        objectives={n: coefs(c) for n, c in bm.objectives.items()},
        saved_bounds=[],
        raw_y={},
        backlog_keys=set(bm.backlog_keys),
    )
    builder = copy.copy(bm.builder)
    builder.bm, builder._backlog, builder.cost = out, None, out.cost_by_unit
    out.builder = builder
    return out


class _BalancingStages(PulpAdapter):
    """Balancing's stages on the driver: each solve checked against the model's rows
    (:func:`_solve_checked`), the plan read back after each stage with one."""

    def __init__(self, bm: BalancingModel, backend: str, threads: int | None, prm: Any) -> None:
        super().__init__(bm.prob, backend)
        self.bm, self.threads, self.prm = bm, threads, prm
        self.values: dict[str, dict[Any, float]] | None = None  # the plan of the last stage
        self.outcomes: dict[str, MilpOutcome] = {}
        self.warnings: list[str] = []

    def solve(self, stage: Stage, budget_s: float | None) -> Outcome:
        bm, name = self.bm, stage.name
        out, broke = _solve_checked(
            bm.prob,
            lambda presolve: _solve_stage(
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
        self.values = _read_values(self.bm)

    def hold(self, stage: Stage, expr: Any, upper: float) -> None:
        self.bm.add_le(dict(expr), upper, f"stage[{stage.name}]")


def _solve_checked(
    prob: Any, solve: Callable[[bool], MilpOutcome], *, infeasible_is_presolve: bool
) -> tuple[MilpOutcome, bool]:
    """Solve (``solve(presolve)``); if the plan breaks a row of ``prob`` (CBC has called such a
    plan optimal when its preprocessing failed), or the solver says infeasible where a plan is
    known to exist (HiGHS's presolve misjudging the thin sliver the stage rows R11 leave when a
    stage spends an earlier stage's tolerance), solve again without presolve. A plan that still
    breaks rows is none: returned as ``NO_SOLUTION_IN_TIME``, with True."""
    out = solve(True)
    retry = out.status.has_solution and row_violation(prob) > ROW_TOLERANCE
    if retry or (infeasible_is_presolve and out.status is SolveStatus.INFEASIBLE):
        out = solve(False)
        if out.status.has_solution and row_violation(prob) > ROW_TOLERANCE:
            none = SolveStatus.NO_SOLUTION_IN_TIME
            return dataclasses.replace(out, status=none, objective=math.inf, bound=-math.inf), True
    return out, False


def row_violation(prob: Any) -> float:
    """Largest violation of a row of ``prob`` by the variables' values, relative to the row's
    size (the largest of 1, its right-hand side and the sum of its terms' magnitudes): a check
    that a solver's plan is one."""
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


def _solve_stage(
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


def _read_values(bm: BalancingModel) -> dict[str, dict[Any, float]]:
    def vals(d: dict[Any, Any], factor: dict[Any, float] | None = None) -> dict[Any, float]:
        out: dict[Any, float] = {}
        for k, var in d.items():
            v = var.varValue or 0.0
            if factor is not None:
                v *= factor[k]
            out[k] = 0.0 if abs(v) < 1e-9 else float(v)
        return out

    return {
        "x": vals(bm.x),
        "buy": vals(bm.buy),
        "d": vals(bm.d),
        "s": vals(bm.s),
        "q": vals(bm.q),
        "m": vals(bm.m),
        "w": vals(bm.w),
        "y": {k: float(round(v)) for k, v in vals(bm.y).items()},
        "z": vals(bm.z, bm.z_factor),
    }


def capacity_after(data: BalancingData, values: dict[str, dict[Any, float]]) -> dict[Key3, float]:
    """Available capacity after moves, increases and reductions, per (unit, resource, period)."""
    cap: dict[Key3, float] = defaultdict(float)
    for key, v in data.figures.available.items():
        cap[key] += v
    for (a, p), v in values.get("m", {}).items():
        mv = data.moves[a]
        cap[(mv.receiver, mv.resource, p)] += v
        cap[(mv.donor, mv.resource, p)] -= v
    for (i, p), v in values.get("z", {}).items():
        inc = data.increases[i]
        cap[(inc.unit, inc.resource, p)] += inc.sign * v
    for (k, p, p2), v in values.get("w", {}).items():
        ts = data.time_shifts[k]
        cap[(ts.unit, ts.resource, p)] -= v
        cap[(ts.unit, ts.resource, p2)] += v
    return dict(cap)


def _levelling(
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
        out, _broke = _solve_checked(  # as the MILP stages: a plan must meet the rows
            bm.prob,
            lambda presolve: _solve_stage(
                bm, STAGE_LEVELLING, obj, backend, time_limit, threads, prm, presolve=presolve
            ),
            infeasible_is_presolve=False,
        )
        if out.status.has_solution:
            break
    assert out is not None
    return out


def _shadow_prices(
    run: SolveRun, bm: BalancingModel, backend: str, time_limit: float | None, threads: int | None
) -> None:
    """Duals of R3 in the stage-1 and stage-3 LPs with the integers fixed (spec, last part),
    solved on ``bm``, a copy of ``run.model`` (:func:`copy_model`; its rows change)."""
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
    out = _solve_stage(
        bm, "duals_need", bm.objectives[STAGE_NEED], backend, time_limit, threads, bm.data.params
    )
    if out.status is SolveStatus.OPTIMAL:
        run.need_value = {k: -(c.pi or 0.0) for k, c in bm.capacity.items()}
    for n, c in held.items():
        if n.startswith(("stage_need", "stage_ladder")):
            bm.prob.addConstraint(c, n)
    out = _solve_stage(
        bm, "duals_cost", bm.objectives[STAGE_COST], backend, time_limit, threads, bm.data.params
    )
    if out.status is SolveStatus.OPTIMAL:
        run.cost_value = {k: -(c.pi or 0.0) for k, c in bm.capacity.items()}

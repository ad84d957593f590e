"""The balancing MILP's model (spec: ``models/balancing.md``), built with PuLP.

:func:`build_model` reads like the spec's table of contents: variables, then one short method
per constraint family (docstrings cite the tags R1…R11), then the named objective terms.
:func:`copy_model` gives a post-solve step (levelling, duals) its own copy to change;
:func:`read_values` reads a solved model's plan.

The builder works on plain dicts ``{variable: coefficient}`` and creates every expression with
one ``LpAffineExpression`` call, so building stays well below solving time at benchmark size.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pks_opt.balancing.data import BalancingData, PurchaseTier

Key4 = tuple[str, str, str, str]


Key3 = tuple[str, str, str]


Coefs = dict[Any, float]


STAGE_NEED = "need"


STAGE_LADDER = "ladder"


STAGE_COST = "cost"


STAGE_WAITING = "waiting_list"


STAGE_MOVES = "moves"


STAGE_LEVELLING = "levelling"


#: capacity after actions at or below this is "none" for utilisation (solver dust such as a
#: 1e-7 move with its indicator off must not make a unit look 100 % used)
CAP_EPS = 1e-6


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
        """Add a variable to the problem: continuous (``C``), integer (``I``) or binary (``B``)."""
        import pulp

        kind = {"C": pulp.LpContinuous, "I": pulp.LpInteger, "B": pulp.LpBinary}[cat]
        return self.prob.add_variable(name, lowBound=lb, upBound=ub, cat=kind)

    def add_le(self, coefs: Coefs, rhs: float, name: str) -> Any:
        """Add the row Σ coefs · var ≤ ``rhs`` named ``name`` and return it."""
        import pulp

        con = pulp.LpConstraint(pulp.LpAffineExpression(coefs), pulp.LpConstraintLE, name, rhs)
        self.prob.addConstraint(con)
        return con

    def add_eq(self, coefs: Coefs, rhs: float, name: str) -> Any:
        """Add the row Σ coefs · var = ``rhs`` named ``name`` and return it."""
        import pulp

        con = pulp.LpConstraint(pulp.LpAffineExpression(coefs), pulp.LpConstraintEQ, name, rhs)
        self.prob.addConstraint(con)
        return con


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
        """Every variable, family by family (the order fixes the solver's column order)."""
        self.production_variables()
        self.waiting_variables()
        self.move_variables()
        self.shift_variables()
        self.increase_variables()

    def production_variables(self) -> None:
        """Add production, purchase, unmet and postponed need variables per home unit × object.

        Production at home and elsewhere, in the object's active periods (from its first need;
        all if it may wait).
        """
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

    def waiting_variables(self) -> None:
        """(R10) Waiting-list production per period, when surplus may go to the lists."""
        bm = self.bm
        if not self.data.params.surplus_to_waiting_list:
            return
        for w in self.data.waiting_lists:
            if w.waiting <= 0:
                continue
            for p in self.periods:
                bm.q[(w.unit, w.planning_object, p)] = bm.add_var(
                    f"waiting[{w.unit},{w.planning_object},{p}]",
                    ub=w.max_reduction_per_period,
                )

    def move_variables(self) -> None:
        """Capacity moved per arc and period, with its on/off indicator."""
        bm = self.bm
        for a, mv in enumerate(self.data.moves):
            for p in self.periods:
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

    def increase_variables(self) -> None:
        """(R6) Capacity increases per period from the lead time on, in whole steps if any."""
        bm = self.bm
        for i, inc in enumerate(self.data.increases):
            for j, p in enumerate(self.periods):
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
        """Add the hours a unit moves between periods (R14).

        From p to p' (|p − p'| ≤ max_distance), at most ``max_share`` of p's available capacity
        and of p's spare (R4: the unit is not left short in p).
        """
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
        """Give what a donor can give without being left short (R4, :meth:`BalancingData.spare`)."""
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
        ladder = self.ladder_terms()
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
            self.waiting_objective()
        if bm.y:
            bm.objectives[STAGE_MOVES] = {var: 1.0 for var in bm.y.values()}

    def ladder_terms(self) -> Coefs:
        """f2: each action weighted by its rung of the ladder (``action_weight``)."""
        bm, data = self.bm, self.data
        weight = functools.partial(action_weight, data.params)
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
        return ladder

    def waiting_objective(self) -> None:
        """f4: most waiting-list production; (R10) a list shortened by at most its length."""
        bm = self.bm
        bm.objectives[STAGE_WAITING] = {var: -1.0 for var in bm.q.values()}
        per: dict[tuple[str, str], Coefs] = defaultdict(dict)
        for (h, o, _p), var in bm.q.items():
            per[(h, o)][var] = 1.0
        for w in self.data.waiting_lists:
            wl = per.get((w.unit, w.planning_object))
            if wl:
                bm.add_le(wl, w.waiting, f"waiting[{w.unit},{w.planning_object}]")


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


def copy_model(bm: BalancingModel) -> BalancingModel:
    """Copy ``bm`` with its own PuLP problem and variables.

    Values, bounds and kinds as they are now; every index mapped to the copy's variables and
    rows by name.
    """
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


def read_values(bm: BalancingModel) -> dict[str, dict[Any, float]]:
    """Read the plan from ``bm``'s variables: family → key → value (below 1e-9 read as 0)."""

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

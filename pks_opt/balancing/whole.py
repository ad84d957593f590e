"""Whole activities: the proven balance rounded to whole activities by one rule (spec R15).

Units agree whole visits, operations and admissions, not 4.9 purchases. Integer variables
for every activity did not hold the scale target (docs/balancing.md, "Whole activities"), so
the stages are solved with activities continuous and the plan is then rounded:

1. the need of every (home unit, object, period) is a whole number already (``data.need``:
   rounded to the nearest activity);
2. production x, purchases, waiting-list production q and postponements d are rounded
   **down** — load, contract use and costs only fall, so no capacity, contract or budget
   row can break;
3. unmet need takes what is left, period by period (R1: s = need + carried in − x − buy − d,
   a whole number ≥ 0 because the carried-in d was rounded down too);
4. where step 3 left more unmet than the proven plan had (rounding remainders), one activity
   at a time is given back to production — at the home unit first, then at the capable units
   — where every capacity row it loads has room for it (and its feedback cap and the budgets
   allow), else bought on an option of the object whose contract has room for a whole activity
   and whose price the budgets allow (tiers in order), so the rounding never breaks a row and
   leaves at most the remainders that no unit and no contract had room for.

Capacity actions (moves, shifts in time, increases) are hours and stay as solved.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from pks_opt.balancing.data import TOTAL, BalancingData

Values = dict[str, dict[Any, float]]
Key3 = tuple[str, str, str]
#: solver values within this of a whole number are that number (4.9999999 is 5)
SNAP = 1e-6


@dataclass(frozen=True)
class Rounding:
    """What rounding did: the plan in whole activities and the unmet it could not place."""

    values: Values
    #: activities left unmet by rounding remainders beyond the proven plan's unmet need
    extra_unmet: float


def _down(v: float) -> float:
    return float(math.floor(v + SNAP)) if v > 0 else 0.0


def round_plan(data: BalancingData, values: Values) -> Rounding:
    """Round the plan ``values`` to whole activities (the rule: module docstring)."""
    from pks_opt.balancing.builder import capacity_after
    from pks_opt.balancing.solution import cost_by_unit, loads

    out: Values = {fam: dict(vals) for fam, vals in values.items()}
    for fam in ("x", "buy", "q", "d"):
        out[fam] = {k: _down(v) for k, v in values.get(fam, {}).items()}
    _unmet_takes_the_rest(data, out)
    load = loads(data, out)
    slack = {k: c - load.get(k, 0.0) for k, c in capacity_after(data, out).items()}
    spent = cost_by_unit(data, out)
    budget = {u: b.budget - b.base_cost - sum(spent.get(u, {}).values())
              for u, b in data.budgets.items() if u != TOTAL}  # fmt: skip
    if TOTAL in data.budgets:
        tb = data.budgets[TOTAL]
        budget[TOTAL] = tb.budget - tb.base_cost - sum(sum(c.values()) for c in spent.values())
    producers: dict[Key3, list[str]] = defaultdict(list)
    made: dict[Key3, float] = defaultdict(float)
    for (h, v, o, p), x in out["x"].items():
        producers[(h, o, p)].append(v)
        made[(v, o, p)] += x
    for (h, o, p), x in out["q"].items():
        made[(h, o, p)] += x
    bought: dict[tuple[int, str], float] = defaultdict(float)
    for (_h, _o, p, t), b in out["buy"].items():
        bought[(t, p)] += b
    state = _State(data, out, slack, budget, made, bought)
    extra = 0.0
    for key, s in sorted(out["s"].items()):
        over = s - values["s"].get(key, 0.0)
        order = sorted(producers.get(key, []), key=lambda v: (v != key[0], v))
        while over > 0.5 and state.give_back(key, order):
            over -= 1.0
        extra += max(0.0, over)
    return Rounding(out, round(extra, 6))


def _unmet_takes_the_rest(data: BalancingData, out: Values) -> None:
    """(R1) s = need + carried in − produced − bought − carried on, period by period."""
    supply: dict[Key3, float] = defaultdict(float)
    for (h, _v, o, p), x in out["x"].items():
        supply[(h, o, p)] += x
    for (h, o, p, _t), b in out["buy"].items():
        supply[(h, o, p)] += b
    periods = data.figures.periods
    for h, o, p in out["s"]:
        i = periods.index(p)
        carried_in = out["d"].get((h, o, periods[i - 1]), 0.0) if i > 0 else 0.0
        rest = data.need.get((h, o, p), 0.0) + carried_in - supply[(h, o, p)]
        rest -= out["d"].get((h, o, p), 0.0)
        out["s"][(h, o, p)] = max(0.0, float(round(rest)))


@dataclass
class _State:
    data: BalancingData
    out: Values
    slack: dict[Key3, float]
    budget: dict[str, float]
    made: dict[Key3, float]
    bought: dict[tuple[int, str], float]

    def give_back(self, key: Key3, producers: list[str]) -> bool:
        """Produce one more activity of ``key``'s unmet need where every row has room."""
        data, (h, o, p) = self.data, key
        for v in producers:
            use = [(us.at_unit, us.resource, us.amount) for us in data.usage.get((v, o), ())]
            if any(self.slack.get((u, r, p), 0.0) < a - SNAP for u, r, a in use if a):
                continue
            cap = data.production_caps.get((v, o, p))
            if cap is not None and self.made[(v, o, p)] + 1 > cap + SNAP:
                continue
            cost = _capability_cost(data, v, o) if v != h else 0.0
            if cost and any(self.budget.get(u, math.inf) < cost for u in (h, TOTAL)):
                continue
            for u, r, a in use:
                self.slack[(u, r, p)] = self.slack.get((u, r, p), 0.0) - a
            for u in (h, TOTAL):
                if u in self.budget:
                    self.budget[u] -= cost
            self.made[(v, o, p)] += 1.0
            self.out["x"][(h, v, o, p)] += 1.0
            self.out["s"][key] -= 1.0
            return True
        return self.buy_one(key)

    def buy_one(self, key: Key3) -> bool:
        """Buy one more activity of ``key`` where a contract and the budgets have room."""
        h, o, p = key
        options = [
            (t, pur) for t, pur in enumerate(self.data.purchases) if pur.planning_object == o
        ]
        for t, pur in sorted(options, key=lambda tp: (tp[1].tier.rank, tp[1].price_per_activity)):
            if (h, o, p, t) not in self.out["buy"]:
                continue
            cap = pur.capacity_per_period
            if cap is not None and self.bought[(t, p)] + 1 > cap + SNAP:
                continue
            cost = pur.price_per_activity
            if any(self.budget.get(u, math.inf) < cost - SNAP for u in (h, TOTAL)):
                continue
            for u in (h, TOTAL):
                if u in self.budget:
                    self.budget[u] -= cost
            self.bought[(t, p)] += 1.0
            self.out["buy"][(h, o, p, t)] += 1.0
            self.out["s"][key] -= 1.0
            return True
        return False


def _capability_cost(data: BalancingData, unit: str, planning_object: str) -> float:
    for c in data.capabilities:
        if (c.unit, c.planning_object) == (unit, planning_object):
            return c.cost_per_activity
    return 0.0

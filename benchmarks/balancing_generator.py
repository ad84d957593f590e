"""Seeded synthetic regions for the balancing MILP, of any size.

``generate(num_units, num_objects, num_resources, num_periods, seed)`` builds
:class:`~pks_opt.balancing.data.BalancingData` in memory (need figures + balancing tables);
``write_instance(folder, ...)`` writes the same region as a strategic instance folder that
``pks need`` / ``pks balance`` read (need side through ``activity_hours``, ``staff`` and
``rooms``; available capacity in hours = FTE x annual hours with ``days = 365``).

The region looks like a real one at scale: about a tenth of the units are support units
(imaging-, ICU-like) whose resources other units' objects use; each producing unit has four to
six of the resource types; capacity is 85-125 % of the own need with a summer quarter at 80 % and need growing 0.5 % a quarter;
budgets leave room for roughly a third of the gap, so every action type is used.

Same arguments and seed → the same region (numpy ``default_rng``).
"""

from __future__ import annotations

import argparse
import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pks_opt.balancing.data import (
    BalancingData,
    Budget,
    Capability,
    Increase,
    Move,
    PriorityRule,
    Purchase,
    WaitingList,
    build_data,
)
from pks_opt.capacity_need.figures import NeedFigures, Usage

KINDS = ("budget_increase", "recruitment", "temporary_staff")
TIERS = ("existing_contract", "other_region_contract", "other_region_capacity", "new_procurement")
PRIORITIES = (
    PriorityRule(priority=1, unmet_weight=10000),
    PriorityRule(
        priority=2,
        unmet_weight=300,
        may_postpone=True,
        max_postpone_periods=1,
        postpone_weight_per_period=40,
    ),
    PriorityRule(
        priority=3,
        unmet_weight=100,
        may_postpone=True,
        max_postpone_periods=2,
        postpone_weight_per_period=10,
    ),
    PriorityRule(
        priority=4,
        unmet_weight=50,
        may_postpone=True,
        max_postpone_periods=2,
        postpone_weight_per_period=5,
    ),
)


@dataclass(frozen=True)
class Region:
    """The generated tables, kept for writing them out as an instance folder."""

    data: BalancingData
    unit_resources: dict[str, list[str]]
    home: dict[str, str]
    usage_rows: list[tuple[str, str, float, str]]  # object, resource, amount, support unit ('')
    base_need: dict[str, float]
    season: list[float]


def generate(
    num_units: int = 60,
    num_objects: int = 200,
    num_resources: int = 12,
    num_periods: int = 16,
    seed: int = 1,
    *,
    integer_actions: bool = False,
) -> Region:
    """A synthetic region; see the module docstring.

    With ``integer_actions`` two thirds of the moves get a fixed cost per period used and the
    recruitment options hire in whole steps (integers that interact with binding budgets:
    a much harder MILP, see the benchmark note). Without it the integer part is the binary
    move indicators of the fewest-moves stage.
    """
    rng = np.random.default_rng(seed)
    units = [f"U{i:02d}" for i in range(num_units)]
    resources = [f"R{j:02d}" for j in range(num_resources)]
    periods = [f"{2027 + k // 4}Q{k % 4 + 1}" for k in range(num_periods)]
    season = [0.8 if p.endswith("Q3") else 1.0 for p in periods]
    num_support = max(1, num_units // 10)
    support, producing = units[:num_support], units[num_support:]
    unit_resources: dict[str, list[str]] = {}
    for u in units:
        k = 2 if u in support else int(rng.integers(4, 7))
        unit_resources[u] = sorted(rng.choice(resources, size=min(k, num_resources), replace=False))

    objects = [f"o{i:03d}" for i in range(num_objects)]
    home = {o: producing[i % len(producing)] for i, o in enumerate(objects)}
    priority = {o: int(rng.choice([1, 2, 3, 4], p=[0.2, 0.3, 0.3, 0.2])) for o in objects}
    usage_rows: list[tuple[str, str, float, str]] = []
    base_need: dict[str, float] = {}
    for o in objects:
        own = unit_resources[home[o]]
        for r in rng.choice(own, size=min(len(own), int(rng.integers(2, 4))), replace=False):
            usage_rows.append((o, str(r), float(np.round(rng.uniform(0.2, 3.0), 2)), ""))
        if rng.random() < 0.3:
            s = str(rng.choice(support))
            usage_rows.append(
                (o, unit_resources[s][0], float(np.round(rng.uniform(0.1, 0.8), 2)), s)
            )
        base_need[o] = float(np.round(rng.uniform(50, 500)))

    def usage_at(unit: str, o: str) -> tuple[Usage, ...]:
        return tuple(Usage(s or unit, r, a) for (oo, r, a, s) in usage_rows if oo == o)

    need = {
        (home[o], o, p): base_need[o] * (1 + 0.005 * k)
        for o in objects
        for k, p in enumerate(periods)
    }
    usage = {(home[o], o): usage_at(home[o], o) for o in objects}
    cap_need: dict[tuple[str, str, str], float] = {}
    for (h, o, p), n in need.items():
        for us in usage[(h, o)]:
            key = (us.at_unit, us.resource, p)
            cap_need[key] = cap_need.get(key, 0.0) + n * us.amount
    ratio = {(u, r): rng.uniform(0.85, 1.25) for u in units for r in resources}
    available = {
        (u, r, p): float(
            np.round(cap_need.get((u, r, periods[0]), 0.0) * ratio[(u, r)], 1) * season[k]
        )
        for u in units
        for r in unit_resources[u]
        for k, p in enumerate(periods)
    }
    figures = NeedFigures(
        units=tuple(units),
        resources=tuple(resources),
        periods=tuple(periods),
        planning_objects=tuple(objects),
        priority=priority,
        production_need=need,
        usage=usage,
        available=available,
        capacity_need=cap_need,
    )

    capabilities: list[Capability] = []
    extra_usage: dict[tuple[str, str], tuple[Usage, ...]] = {}
    for o in objects:
        for v in rng.choice(producing, size=int(rng.integers(0, 3)), replace=False):
            v = str(v)
            if v == home[o]:
                continue
            capabilities.append(
                Capability(unit=v, planning_object=o, cost_per_activity=float(rng.integers(0, 200)))
            )
            extra_usage[(v, o)] = usage_at(v, o)
    moves: list[Move] = []
    seen: set[tuple[str, str, str]] = set()
    for u in units:
        for r in unit_resources[u]:
            holders = [v for v in units if v != u and r in unit_resources[v]]
            if not holders or rng.random() < 0.5:
                continue
            d = str(rng.choice(holders))
            if (d, u, r) in seen:
                continue
            seen.add((d, u, r))
            typical = max(10.0, cap_need.get((u, r, periods[0]), 0.0) * 0.15)
            moves.append(
                Move(
                    donor=d,
                    receiver=u,
                    resource=r,
                    max_per_period=float(np.round(typical)),
                    cost_per_unit=float(rng.integers(0, 100)),
                    fixed_cost=float(rng.choice([0, 5000, 20000])) if integer_actions else 0.0,
                )
            )
    increases: list[Increase] = []
    for u in units:
        for r in rng.choice(unit_resources[u], size=min(2, len(unit_resources[u])), replace=False):
            typical = max(10.0, cap_need.get((u, str(r), periods[0]), 0.0) * 0.1)
            kind = str(rng.choice(KINDS))
            step = (
                float(np.round(typical / 2)) if kind == "recruitment" and integer_actions else None
            )
            increases.append(
                Increase(
                    unit=u,
                    resource=str(r),
                    kind=kind,  # type: ignore[arg-type]
                    cost_per_unit=float(rng.integers(500, 3000)),
                    max_per_period=float(np.round(typical)),
                    step=step,
                    lead_periods=2 if kind == "recruitment" else 0,
                )
            )
    purchases: list[Purchase] = []
    for o in objects:
        if rng.random() < 0.5:
            continue
        for t in sorted(rng.choice(len(TIERS), size=int(rng.integers(1, 4)), replace=False)):
            purchases.append(
                Purchase(
                    planning_object=o,
                    tier=TIERS[int(t)],  # type: ignore[arg-type]
                    provider=f"P{t}",
                    price_per_activity=float(rng.integers(2000, 60000)),
                    capacity_per_period=float(np.round(base_need[o] * 0.1)) if t < 3 else None,
                )
            )
    budgets = [
        Budget(unit=u, base_cost=1e7, budget=1e7 + float(rng.integers(2, 20)) * 1e5) for u in units
    ]
    budgets.append(
        Budget(unit="TOTAL", base_cost=1e7 * len(units), budget=1e7 * len(units) + 5e5 * len(units))
    )
    waiting = [
        WaitingList(
            unit=home[o],
            planning_object=o,
            waiting=base_need[o],
            max_reduction_per_period=base_need[o] / 4,
        )
        for o in objects
        if rng.random() < 0.1
    ]
    data = build_data(
        figures,
        name=f"synthetic-{num_units}x{num_objects}x{num_resources}x{num_periods}-s{seed}"
        + ("-int" if integer_actions else ""),
        usage=extra_usage,
        capabilities=capabilities,
        moves=moves,
        increases=increases,
        purchases=purchases,
        priorities=list(PRIORITIES),
        budgets=budgets,
        waiting_lists=waiting,
    )
    return Region(data, unit_resources, home, usage_rows, base_need, season)


def write_instance(folder: Path, region: Region) -> Path:
    """Write ``region`` as a strategic instance folder (need side + balancing side)."""
    data, fig = region.data, region.data.figures
    folder.mkdir(parents=True, exist_ok=True)

    def table(name: str, header: list[str], rows: list[tuple[object, ...]]) -> None:
        with (folder / f"{name}.csv").open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(header)
            w.writerows(rows)

    (folder / "instance.yaml").write_text(
        f"kind: strategic\nname: {data.name}\nparameters:\n  days_per_year: 365\n"
    )
    table("units", ["unit", "name"], [(u, u) for u in fig.units])
    table("resources", ["resource", "name", "measure"], [(r, r, "hours") for r in fig.resources])
    table(
        "periods",
        ["period", "days", "low_production_factor"],
        [(p, 365, s) for p, s in zip(fig.periods, region.season, strict=True)],
    )
    table(
        "planning_objects",
        ["planning_object", "priority"],
        [(o, fig.priority[o]) for o in fig.planning_objects],
    )
    table(
        "demand",
        ["unit", "planning_object", "period", "base_volume"],
        [(h, o, p, round(v, 6)) for (h, o, p), v in fig.production_need.items()],
    )
    table(
        "activity_hours",
        ["planning_object", "resource", "amount_per_activity", "support_unit"],
        list(region.usage_rows),
    )
    # available = fte x annual_hours (days = 365, no absence, all patient time) / season
    first = fig.periods[0]
    table(
        "staff",
        ["unit", "function", "resource", "fte", "annual_hours"],
        [
            (u, f"f_{r}", r, 1, max(fig.available.get((u, r, first), 0.0), 0.0))
            for u in fig.units
            for r in region.unit_resources[u]
            if fig.available.get((u, r, first), 0.0) > 0
        ],
    )
    table(
        "capabilities",
        ["unit", "planning_object", "cost_per_activity"],
        [(c.unit, c.planning_object, c.cost_per_activity) for c in data.capabilities],
    )
    table(
        "moves",
        ["donor", "receiver", "resource", "max_per_period", "cost_per_unit", "fixed_cost"],
        [
            (m.donor, m.receiver, m.resource, m.max_per_period, m.cost_per_unit, m.fixed_cost)
            for m in data.moves
        ],
    )
    table(
        "increases",
        ["unit", "resource", "kind", "cost_per_unit", "max_per_period", "step", "lead_periods"],
        [
            (
                i.unit,
                i.resource,
                i.kind.value,
                i.cost_per_unit,
                i.max_per_period,
                i.step or "",
                i.lead_periods,
            )
            for i in data.increases
        ],
    )
    table(
        "purchases",
        ["planning_object", "tier", "provider", "price_per_activity", "capacity_per_period"],
        [
            (
                p.planning_object,
                p.tier.value,
                p.provider,
                p.price_per_activity,
                "" if p.capacity_per_period is None else p.capacity_per_period,
            )
            for p in data.purchases
        ],
    )
    table(
        "priorities",
        [
            "priority",
            "unmet_weight",
            "may_postpone",
            "max_postpone_periods",
            "postpone_weight_per_period",
        ],
        [
            (
                r.priority,
                r.unmet_weight,
                str(r.may_postpone).lower(),
                r.max_postpone_periods,
                r.postpone_weight_per_period,
            )
            for r in data.priorities.values()
        ],
    )
    table(
        "budgets",
        ["unit", "base_cost", "budget"],
        [(b.unit, b.base_cost, b.budget) for b in data.budgets.values()],
    )
    table(
        "waiting_lists",
        ["unit", "planning_object", "waiting", "max_reduction_per_period"],
        [
            (w.unit, w.planning_object, w.waiting, w.max_reduction_per_period)
            for w in data.waiting_lists
        ],
    )
    return folder


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--units", type=int, default=60)
    ap.add_argument("--objects", type=int, default=200)
    ap.add_argument("--resources", type=int, default=12)
    ap.add_argument("--periods", type=int, default=16)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--integer-actions", action="store_true")
    a = ap.parse_args()
    region = generate(
        a.units, a.objects, a.resources, a.periods, a.seed, integer_actions=a.integer_actions
    )
    write_instance(a.folder, region)
    print(f"wrote {a.folder}")


if __name__ == "__main__":
    main()

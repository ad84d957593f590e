"""Time the balancing MILP on growing synthetic regions: build and solve separately.

    python benchmarks/bench_balancing.py                 # HiGHS, sizes up to 60x200x12x16
    python benchmarks/bench_balancing.py --solver cbc --sizes 8x20x4x8 30x100x8x12

Columns: size (units x planning objects x resource types x quarters), variables and
constraints of the model, ``gen s`` (generating the synthetic data, not part of the target),
``build s`` (data -> PuLP model), ``solve s`` (all lexicographic stages + the two dual LPs,
including PuLP handing the model to the solver at each stage), ``total s`` = build + solve,
the status, ``lazy`` = donor keys (unit, resource, period) that got donor-backlog rows
(R4, ``--donor-backlog plan``), and ``check`` = rows R1-R10 the plan breaks by the
independent checker (``ok`` = none). Target (issue 2): the largest size proven optimal in < 60 s end to end, and building
faster than solving. Threads: 1 by default (the machine is shared).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from balancing_generator import generate  # noqa: E402

from pks_opt.balancing.data import BalancingData, DonorBacklog, TimeShift  # noqa: E402
from pks_opt.balancing.milp import build_model, solve_balancing  # noqa: E402
from pks_opt.balancing.solution import violations  # noqa: E402

DEFAULT_SIZES = ["8x20x4x8", "15x50x6x8", "30x100x8x12", "45x150x10x16", "60x200x12x16"]


def parse_size(text: str) -> tuple[int, int, int, int]:
    parts = [int(x) for x in text.lower().split("x")]
    if len(parts) != 4:
        raise argparse.ArgumentTypeError("size is UNITSxOBJECTSxRESOURCESxPERIODS")
    return parts[0], parts[1], parts[2], parts[3]


def main() -> None:
    ap = argparse.ArgumentParser(description="Benchmark the balancing MILP.")
    ap.add_argument(
        "--sizes", nargs="+", type=parse_size, default=[parse_size(s) for s in DEFAULT_SIZES]
    )
    ap.add_argument("--solver", default="highs", choices=["highs", "cbc"])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--time-limit", type=float, default=120.0)
    ap.add_argument("--stages", action="store_true", help="also print each stage's time")
    ap.add_argument(
        "--integer-actions",
        action="store_true",
        help="fixed move costs and recruitment in whole steps (a much harder MILP)",
    )
    ap.add_argument(
        "--donor-backlog",
        choices=[m.value for m in DonorBacklog],
        default=DonorBacklog.forecast.value,
        help="R4's backlog rule (balancing.donor_backlog; default forecast)",
    )
    ap.add_argument(
        "--whole",
        choices=["round", "integer", "none"],
        default="round",
        help="whole activities (balancing.whole_activities; default round)",
    )
    ap.add_argument(
        "--shifts", action="store_true", help="a time_shifts row per unit x resource (R14)"
    )
    ap.add_argument(
        "--acute", action="store_true", help="priority-1 objects acute (85 %% rule, 91-day periods)"
    )
    ap.add_argument("--order", default="ladder", help="action_order: ladder or cost")
    a = ap.parse_args()

    head = f"{'size':>14} {'vars':>7} {'cons':>7} {'ints':>6} {'gen s':>6} {'build s':>8} {'solve s':>8} {'total s':>8}  status    lazy  check"
    print(
        f"solver={a.solver} threads={a.threads} seed={a.seed} integer_actions={a.integer_actions}"
        f" donor_backlog={a.donor_backlog} whole={a.whole} shifts={a.shifts} acute={a.acute}"
        f" order={a.order}"
    )
    print(head)
    print("-" * len(head))
    for u, o, r, p in a.sizes:
        t0 = time.perf_counter()
        data = generate(u, o, r, p, a.seed, integer_actions=a.integer_actions).data
        params = data.params.model_copy(
            update={
                "donor_backlog": DonorBacklog(a.donor_backlog),
                "whole_activities": a.whole,
                "action_order": a.order,
            }
        )
        data = dataclasses.replace(data, params=params)
        data = _issue20_options(data, shifts=a.shifts, acute=a.acute)
        gen_s = time.perf_counter() - t0
        probe = build_model(data)  # counted once for the size columns
        num_vars = len(probe.prob.variables())
        num_cons = len(probe.prob.constraints)
        num_int = sum(1 for v in probe.prob.variables() if v.cat != "Continuous")
        del probe
        run = solve_balancing(data, a.solver, time_limit_s=a.time_limit, threads=a.threads)
        total = run.build_s + run.solve_s
        print(
            f"{f'{u}x{o}x{r}x{p}':>14} {num_vars:>7} {num_cons:>7} {num_int:>6} {gen_s:>6.2f} "
            f"{run.build_s:>8.2f} {run.solve_s:>8.2f} {total:>8.2f}  {run.status.value:<9} "
            f"{len(run.model.backlog_keys):>4}  {len(violations(data, run.values)) or 'ok':>5}",
            flush=True,
        )
        if a.stages:
            for st in run.stages:
                o_ = st.outcome
                print(
                    f"{'':>16}stage {st.name:<13} {o_.runtime_s:>7.2f} s  {o_.status.value}  {o_.objective:.6g}"
                )


def _issue20_options(data: BalancingData, *, shifts: bool, acute: bool) -> BalancingData:
    """Time shifts for every unit's resources (default share, 2 SEK per unit) and priority-1
    objects flagged acute (13-week periods)."""
    if shifts:
        keys = sorted({(u, r) for (u, r, _p), v in data.figures.available.items() if v > 0})
        rows = tuple(TimeShift(unit=u, resource=r, cost_per_unit=2.0) for u, r in keys)
        data = dataclasses.replace(data, time_shifts=rows)
    if acute:
        fig = dataclasses.replace(
            data.figures,
            acute=frozenset(o for o, pr in data.figures.priority.items() if pr == 1),
            period_days=dict.fromkeys(data.figures.periods, 91.0),
        )
        data = dataclasses.replace(data, figures=fig)
    return data


if __name__ == "__main__":
    main()

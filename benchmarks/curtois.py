"""Run the rostering engine on the Curtois & Qu benchmark instances and print a table.

    python benchmarks/curtois.py                       # all 15 instances, 60 s, 2 workers
    python benchmarks/curtois.py Instance1 Instance2 --time-limit 10

Solves each file as ``pks roster FILE`` does (:func:`pks_opt.rostering.benchmark_result`).
Columns: instance, objective (recomputed by the independent evaluator from the roster),
best known, gap % to it, the proven lower bound (column generation's or CP-SAT's, the better),
wall time including reading, status (OPTIMAL only when proven), and the number of
hard-constraint violations (must be 0).

The time limit is wall-clock seconds by default (the targets are seconds on this machine);
``--deterministic`` makes it CP-SAT deterministic time instead, which makes a run repeatable
but takes 1.5-3.5x longer in wall seconds on these models (see docs/rostering.md).
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
import time
from pathlib import Path

from pks_opt.rostering import benchmark_result
from pks_opt.rostering.cpsat import SolveOptions

DEFAULT_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "benchmarks" / "curtois"
ALL = [f"Instance{i}" for i in (1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 18, 20, 22)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("instances", nargs="*", default=ALL)
    ap.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--deterministic",
        action="store_true",
        help="limit in CP-SAT deterministic time (repeatable) instead of wall seconds",
    )
    ap.add_argument(
        "--engine",
        choices=["cg", "cpsat"],
        default="cg",
        help="cg (default): column generation, dive, CP-SAT polish (wall-clock mode only); "
        "cpsat: the CP-SAT engine alone",
    )
    ap.add_argument(
        "--verbose", action="store_true", help="a line on the column generation per instance"
    )
    args = ap.parse_args(argv)
    best: dict[str, int] = {}
    with open(args.dir / "best_known.csv", newline="") as f:
        for row in csv.DictReader(f):
            best[row["instance"]] = int(row["best_known"])
    mode = "deterministic" if args.deterministic else "wall-clock"
    print(f"# limit {args.time_limit:g} s ({mode}), {args.workers} workers, seed {args.seed}")
    print(
        f"{'instance':<11} {'objective':>9} {'best':>7} {'gap %':>7} {'bound':>7} {'time s':>7}"
        "  status      viol"
    )
    for name in args.instances:
        t0 = time.perf_counter()  # reading counts against a wall-clock limit, as in pks roster
        path = args.dir / f"{name}.txt"
        read_s = 0.0 if args.deterministic else time.perf_counter() - t0
        opts = SolveOptions(
            time_limit_s=max(0.1, args.time_limit - read_s),
            workers=args.workers,
            seed=args.seed,
            deterministic=args.deterministic,
            column_generation=args.engine == "cg",
        )
        res, _sol = benchmark_result(path, opts)
        wall = time.perf_counter() - t0
        viol = res.kpis.get("hard_constraint_violations", 0)
        if res.objective is not None and math.isfinite(res.objective):
            obj = f"{res.objective:.0f}"
            gap = f"{100 * (res.objective - best[name]) / best[name]:.1f}" if name in best else "-"
        else:
            obj, gap = "-", "-"
        bound = res.bound if res.bound is not None else float("-inf")
        shown = f"{bound:.0f}" if bound > float("-inf") else "-"
        print(
            f"{name:<11} {obj:>9} {best.get(name, '-'):>7} {gap:>7} {shown:>7} {wall:>7.1f}  "
            f"{res.status.value:<11} {viol}",
            flush=True,
        )
        cg = res.extra.get("column_generation")
        if cg and args.verbose:
            print(
                f"#   column generation: {cg['rounds']} rounds, {cg['columns']} columns, "
                f"root LP {cg['root_lp']}, converged {cg['root_converged']}, bound "
                f"{cg['lower_bound']}, dived roster {cg['dive_value']}, best-response roster "
                f"{cg.get('best_response_value')} ({cg.get('best_response_sweeps', 0)} sweeps), "
                f"{cg['seconds']} s, weekend bound {cg.get('weekend_bound')} "
                f"({cg.get('weekend_bound_seconds', 0)} s)",
                flush=True,
            )
            if cg.get("weekend_plan"):
                wp = cg["weekend_plan"]
                print(
                    f"#   weekend-first start: plan {wp['plan_value']}, pinned roster "
                    f"{wp['pinned_value']}, after free sweeps {wp['swept_value']} ({wp['sweeps']} "
                    f"sweeps), after {wp['moves']} weekend moves {wp['value']}, seconds "
                    f"{wp['seconds']}",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Roster stage values, repeatable: every shipped roster instance and Curtois 1–8 (issue 17/19).

Runs each case in CP-SAT deterministic time with a fixed seed, so two commits can be compared
value by value whatever the machine load, and writes one CSV row per stage: case, stage, the
solver's value and status, the case's status, the value recomputed without the solver, and for
native instances the isolated working days (a working day with a day off — or an absence —
on both sides, inside the horizon) and the staff outside their target-hours tolerance.

    python benchmarks/roster_stage_values.py --out benchmarks/results/roster_before.csv
    python benchmarks/roster_stage_values.py --only ward-roster --native-limit 30

Defaults: native instances 10 deterministic s (ward-roster 30), Curtois 10 deterministic s,
seed 0, 2 workers, a wall-clock guard of 1000 × each call's budget (the engine's 30 × can cut a
call on a loaded machine and then the run is not repeatable: column ``repeatable``).
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pks_opt.rostering import SolveOptions, benchmark_result, roster_result  # noqa: E402
from pks_opt.rostering.data import RosterData, read_roster  # noqa: E402

INST = ROOT / "instances"
CURTOIS = ROOT.parent / "shared" / "benchmarks" / "curtois"
NATIVE = {"clinic-roster": 10.0, "ward-roster-short": 10.0, "ward-roster": 30.0}
BENCH = [f"Instance{i}" for i in range(1, 9)]
FIELDS = (
    "case",
    "stage",
    "value",
    "status",
    "case_status",
    "objective",
    "isolated_work_days",
    "outside_tolerance",
    "repeatable",
    "wall_s",
)


def isolated_work_days(data: RosterData, assignment: dict[tuple[str, int], object]) -> int:
    """Working days with a day off on both sides (days inside the horizon only)."""
    n = 0
    for e in data.staff:
        on = [(e.id, d) in assignment for d in range(data.num_days)]
        n += sum(on[d] and not on[d - 1] and not on[d + 1] for d in range(1, data.num_days - 1))
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--only", default="")
    ap.add_argument("--native-limit", type=float, default=None)
    ap.add_argument("--bench-limit", type=float, default=10.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--wall-factor",
        type=float,
        default=1000.0,
        help="wall-clock guard × each call's deterministic budget (high: repeatable under load)",
    )
    ap.add_argument(
        "--isolated-weight",
        type=int,
        default=None,
        help="R13's weight for the native instances (default: the instance's; 0 = rule off)",
    )
    args = ap.parse_args()
    only = set(filter(None, args.only.split(",")))
    rows: list[dict[str, str]] = []
    cases = [(n, True) for n in NATIVE] + [(n, False) for n in BENCH]
    for name, native in cases:
        if only and name not in only:
            continue
        limit = (args.native_limit or NATIVE[name]) if native else args.bench_limit
        opts = SolveOptions(
            time_limit_s=limit,
            seed=args.seed,
            workers=args.workers,
            deterministic=True,
            wall_factor=args.wall_factor,
        )
        t0 = time.perf_counter()
        iso, outside = "", ""
        if native:
            data = read_roster(INST / name)
            if args.isolated_weight is not None:
                rules = data.rules.model_copy(
                    update={"isolated_work_day_weight": args.isolated_weight}
                )
                data = data.model_copy(update={"rules": rules})
            res, sol = roster_result(data, opts)
            if sol.status.has_solution:
                iso = str(isolated_work_days(data, dict(sol.assignment)))
                outside = str(res.kpis.get("staff_outside_target_tolerance", ""))
        else:
            res, sol = benchmark_result(CURTOIS / f"{name}.txt", opts)
        wall = time.perf_counter() - t0
        case = f"{name} seed{args.seed} det{limit:g}"
        for st in res.stages:
            rows.append(
                {
                    "case": case,
                    "stage": st.name,
                    "value": "" if not math.isfinite(st.objective) else f"{st.objective:g}",
                    "status": st.status.value,
                    "case_status": res.status.value,
                    "objective": f"{res.objective:g}",
                    "isolated_work_days": iso,
                    "outside_tolerance": outside,
                    "repeatable": str(sol.repeatable),
                    "wall_s": f"{wall:.1f}",
                }
            )
        print(
            f"{case}: {res.status.value} {res.objective:g} iso={iso} out={outside} "
            f"repeatable={sol.repeatable} {wall:.1f} s",
            file=sys.stderr,
            flush=True,
        )
    w = csv.DictWriter(sys.stdout, FIELDS)
    w.writeheader()
    w.writerows(rows)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with args.out.open("w", newline="", encoding="utf-8") as f:
            cw = csv.DictWriter(f, FIELDS)
            cw.writeheader()
            cw.writerows(rows)


if __name__ == "__main__":
    main()

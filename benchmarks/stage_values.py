"""Stage values of every shipped instance through its level, as a CSV (issue 17, part 2).

Runs region-small's balance (the strategic part of region-cycle too) with HiGHS and CBC,
clinic-plan's plan (default max-nodes; a 900 s safety net so that the node limit, not the
machine's load, ends every stage: the shipped 120 s can cut the last stage on a busy
machine), clinic-matrix's matrix, clinic-plan-matrix's matrices from the clinic-plan plan,
and ward-roster-short's roster (seed 0, deterministic time), and writes one row per stage:
case, stage, value, status, plus the case's overall status.

    .venv/bin/python benchmarks/stage_values.py [--out benchmarks/results/stage_values_before.csv]
        [--only balance,plan,matrix,roster] [--plan-time-limit 900]

The stage driver (``pks_opt/stages.py``) must keep every value equal or lower (better).
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pks_opt as pks  # noqa: E402
from pks_opt.result import Result  # noqa: E402

INST = ROOT / "instances"
FIELDS = ("case", "stage", "value", "status", "case_status", "runtime_s")


def rows_of(case: str, res: Result, seconds: float) -> list[dict[str, str]]:
    out = []
    for st in res.stages:
        val = "" if not math.isfinite(st.objective) else f"{st.objective:.6f}"
        out.append(
            {
                "case": case,
                "stage": st.name,
                "value": val,
                "status": st.status.value,
                "case_status": res.status.value,
                "runtime_s": f"{seconds:.1f}",
            }
        )
    return out


def run(only: set[str], plan_time_limit: float = 900.0) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []

    def timed(case: str, fn):  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        res = fn()
        secs = time.perf_counter() - t0
        print(f"{case}: {res.status.value} in {secs:.1f} s", file=sys.stderr)
        rows.extend(rows_of(case, res, secs))
        return res

    if "balance" in only:
        for solver in ("highs", "cbc"):
            timed(
                f"balance region-small {solver}",
                lambda s=solver: pks.balance(INST / "region-small", solver=s),
            )
    plan_res = None
    if "plan" in only or "matrix" in only:
        plan_res = timed(
            "plan clinic-plan", lambda: pks.plan(INST / "clinic-plan", time_limit=plan_time_limit)
        )
    if "matrix" in only:
        timed("matrix clinic-matrix", lambda: pks.matrix(INST / "clinic-matrix"))
        with tempfile.TemporaryDirectory() as tmp:
            assert plan_res is not None
            plan_res.write(Path(tmp) / "plan", charts=False)
            timed(
                "matrix clinic-plan-matrix",
                lambda: pks.matrix(INST / "clinic-plan-matrix", from_plan=Path(tmp) / "plan"),
            )
    if "roster" in only:
        timed(
            "roster ward-roster-short seed0 det10",
            lambda: pks.roster(INST / "ward-roster-short", time_limit=10, seed=0),
        )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--only", default="balance,plan,matrix,roster")
    ap.add_argument("--plan-time-limit", type=float, default=900.0)
    args = ap.parse_args()
    rows = run(set(args.only.split(",")), args.plan_time_limit)
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

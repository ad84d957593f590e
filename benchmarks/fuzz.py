"""The long fuzz run, by hand (issue 16 part 6): thousands of mutated inputs per command.

    PKS_FUZZ_PROFILE=long .venv/bin/python benchmarks/fuzz.py --minutes 15
    .venv/bin/python benchmarks/fuzz.py --minutes 2 --case curtois --case need-seed

Runs the cases of ``tests/fuzz/harness.py`` (every command on its shipped instance as a
folder, the workbook variants, the scenarios, a Curtois file) with hypothesis, not
derandomized, for a share of the wall time each (weighted by how slow the command's valid
runs are), and counts instead of stopping at the first failure: examples run, exit codes,
tracebacks, hangs, partial outputs and other contract breaches. Writes a JSON report
(``--report``) with the first failing examples of each case.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent]
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("PKS_FUZZ_PROFILE", "long")

from fuzz.harness import CASES, curtois_source  # noqa: E402
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.errors import UnsatisfiedAssumption  # noqa: E402

#: share of the wall time per case (valid runs of plan, roster, forecast take seconds)
WEIGHT = collections.defaultdict(
    lambda: 1.0,
    {
        "plan": 2.5,
        "roster": 2.0,
        "forecast": 1.5,
        "balance": 1.5,
        "plan.xlsx": 1.5,
        "roster.xlsx": 1.5,
        "scenario-new_hip_contract": 1.0,
        "scenario-summer_budget": 1.0,
    },
)


def run_case(name: str, seconds: float, scratch: Path, keep: int = 5) -> dict[str, Any]:
    example = CASES[name]
    stats: dict[str, Any] = {
        "examples": 0,
        "exit": collections.Counter(),
        "traceback": 0,
        "hang": 0,
        "partial": 0,
        "other": 0,
        "failures": [],
        "slowest_s": 0.0,
    }
    deadline = time.monotonic() + seconds

    @settings(
        max_examples=5,
        deadline=None,
        database=None,
        derandomize=False,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def one(data: st.DataObject) -> None:
        work = Path(tempfile.mkdtemp(dir=scratch))
        try:
            what, outcome = example(data, work)
        except UnsatisfiedAssumption:
            raise  # hypothesis rejects the example (a filtered draw): not a result
        except Exception as exc:  # a broken mutation is the harness's fault, not the command's
            what, outcome = f"harness: {type(exc).__name__}: {exc}", None
        finally:
            shutil.rmtree(work, ignore_errors=True)
        stats["examples"] += 1
        if outcome is None:
            stats["other"] += 1
            stats["failures"].append({"what": what})
            return
        stats["exit"][str(outcome.exit_code)] += 1
        stats["slowest_s"] = max(stats["slowest_s"], outcome.seconds)
        if outcome.problems:
            stats[outcome.kind or "other"] += 1
            if len(stats["failures"]) < keep:
                stats["failures"].append(
                    {
                        "what": what,
                        "exit": outcome.exit_code,
                        "problems": outcome.problems,
                        "stderr": outcome.stderr[-1500:],
                    }
                )

    while time.monotonic() < deadline:  # rounds of a few examples: checked between rounds
        one()
    stats["exit"] = dict(stats["exit"])
    return stats


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=15.0, help="total wall time")
    ap.add_argument(
        "--case", action="append", choices=sorted(CASES), help="run only these cases (repeatable)"
    )
    ap.add_argument("--report", type=Path, default=Path("fuzz-report.json"))
    args = ap.parse_args()
    cases = args.case or [c for c in CASES if c != "curtois" or curtois_source().exists()]
    total_weight = sum(WEIGHT[c] for c in cases)
    scratch = Path(tempfile.mkdtemp(prefix="pks-fuzz-long-"))
    report: dict[str, Any] = {}
    t0 = time.monotonic()
    print(
        f"{'case':28} {'examples':>8} {'exit 0/1/2':>14} {'tracebacks':>10} {'hangs':>6} "
        f"{'partial':>8} {'other':>6} {'slowest s':>9}",
        flush=True,
    )
    try:
        for c in cases:
            s = run_case(c, 60 * args.minutes * WEIGHT[c] / total_weight, scratch)
            report[c] = s
            ex = s["exit"]
            print(
                f"{c:28} {s['examples']:8d} "
                f"{ex.get('0', 0):>4}/{ex.get('1', 0)}/{ex.get('2', 0):<5} "
                f"{s['traceback']:10d} {s['hang']:6d} {s['partial']:8d} {s['other']:6d} "
                f"{s['slowest_s']:9.1f}",
                flush=True,
            )
            for f in s["failures"]:
                print(
                    "   ",
                    f["what"],
                    "\n       ",
                    "\n        ".join(p.splitlines()[0] for p in f.get("problems", [])),
                    flush=True,
                )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    n = sum(s["examples"] for s in report.values())
    bad = {k: sum(s[k] for s in report.values()) for k in ("traceback", "hang", "partial", "other")}
    print(
        f"total: {n} examples in {(time.monotonic() - t0) / 60:.1f} min; "
        + ", ".join(f"{v} {k}" for k, v in bad.items()),
        flush=True,
    )
    args.report.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    return 1 if any(bad.values()) else 0


if __name__ == "__main__":
    sys.exit(main())

"""The long fuzz run, by hand (issue 16 part 6): thousands of mutated inputs per command.

    PKS_FUZZ_PROFILE=long .venv/bin/python benchmarks/fuzz.py --minutes 15
    .venv/bin/python benchmarks/fuzz.py --minutes 2 --case curtois --case need-seed

Runs the cases of ``tests/fuzz/harness.py`` (every command on its shipped instance as a
folder, the workbook variants, the scenarios, a Curtois file) with hypothesis, not
derandomized, for a share of the wall time each (weighted by how slow the command's valid
runs are), and counts instead of stopping at the first failure: examples run, exit codes,
tracebacks, hangs, partial outputs and other contract breaches. The cases take turns a few
examples at a time (the one furthest behind its share goes next), so every case has counts at
any moment: the table so far is printed every ``--progress-minutes`` and the JSON report
(``--report``, with the first failing examples of each case) rewritten; a failing example is
printed on stderr when found.
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


class CaseRun:
    """One case's counts, grown a round of a few examples at a time (:meth:`round`)."""

    def __init__(self, name: str, scratch: Path, keep: int = 5) -> None:
        self.name = name
        self.example = CASES[name]
        self.scratch = scratch
        self.keep = keep
        self.seconds = 0.0  # wall time spent in this case's rounds
        self.stats: dict[str, Any] = {
            "examples": 0,
            "exit": collections.Counter(),
            "traceback": 0,
            "hang": 0,
            "partial": 0,
            "other": 0,
            "failures": [],
            "slowest_s": 0.0,
            "slowest_cpu_s": 0.0,
        }

        @settings(
            max_examples=ROUND,
            deadline=None,
            database=None,
            derandomize=False,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(st.data())
        def one(data: st.DataObject) -> None:
            self._one(data)

        self._round = one

    def _one(self, data: st.DataObject) -> None:
        stats = self.stats
        work = Path(tempfile.mkdtemp(dir=self.scratch))
        try:
            what, outcome = self.example(data, work)
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
        stats["slowest_cpu_s"] = max(stats["slowest_cpu_s"], outcome.cpu_seconds)
        if outcome.problems:
            stats[outcome.kind or "other"] += 1
            if len(stats["failures"]) < self.keep:
                stats["failures"].append(
                    {
                        "what": what,
                        "exit": outcome.exit_code,
                        "problems": outcome.problems,
                        "stderr": outcome.stderr[-1500:],
                    }
                )
                print(f"  FOUND in {self.name}: {what}", file=sys.stderr, flush=True)

    def round(self) -> None:
        """A few more examples (hypothesis draws :data:`ROUND` per call)."""
        t0 = time.monotonic()
        try:
            self._round()
        finally:
            self.seconds += time.monotonic() - t0

    def report(self) -> dict[str, Any]:
        return {**self.stats, "exit": dict(self.stats["exit"]), "seconds": round(self.seconds)}


#: examples per round: cases take turns a round at a time, so a run stopped early (or a
#: progress table) has every case's counts so far
ROUND = 5

HEADER = (
    f"{'case':28} {'examples':>8} {'exit 0/1/2':>14} {'tracebacks':>10} {'hangs':>6} "
    f"{'partial':>8} {'other':>6} {'slowest s':>9} {'cpu s':>6} {'min':>5}"
)


def table(runs: list[CaseRun]) -> str:
    lines = [HEADER]
    for r in runs:
        s = r.stats
        ex = s["exit"]
        lines.append(
            f"{r.name:28} {s['examples']:8d} "
            f"{ex.get('0', 0):>4}/{ex.get('1', 0)}/{ex.get('2', 0):<5} "
            f"{s['traceback']:10d} {s['hang']:6d} {s['partial']:8d} {s['other']:6d} "
            f"{s['slowest_s']:9.1f} {s['slowest_cpu_s']:6.1f} {r.seconds / 60:5.1f}"
        )
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=15.0, help="total wall time")
    ap.add_argument(
        "--case", action="append", choices=sorted(CASES), help="run only these cases (repeatable)"
    )
    ap.add_argument("--report", type=Path, default=Path("fuzz-report.json"))
    ap.add_argument(
        "--progress-minutes",
        type=float,
        default=10.0,
        help="print the table so far and rewrite --report this often",
    )
    args = ap.parse_args()
    cases = args.case or [c for c in CASES if c != "curtois" or curtois_source().exists()]
    scratch = Path(tempfile.mkdtemp(prefix="pks-fuzz-long-"))
    runs = [CaseRun(c, scratch) for c in cases]
    t0 = time.monotonic()
    deadline = t0 + 60 * args.minutes
    next_progress = t0 + 60 * args.progress_minutes

    def write_report() -> None:
        report = {r.name: r.report() for r in runs}
        args.report.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")

    try:
        while time.monotonic() < deadline:
            # the case furthest behind its share of the time (weighted by how slow it is)
            min(runs, key=lambda r: r.seconds / WEIGHT[r.name]).round()
            if time.monotonic() >= next_progress:
                elapsed = (time.monotonic() - t0) / 60
                print(f"-- {elapsed:.0f} min, load {os.getloadavg()[0]:.1f}", flush=True)
                print(table(runs), flush=True)
                write_report()
                next_progress += 60 * args.progress_minutes
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(table(runs), flush=True)
    for r in runs:
        for f in r.stats["failures"]:
            print(
                "   ",
                r.name,
                f["what"],
                "\n       ",
                "\n        ".join(p.splitlines()[0] for p in f.get("problems", [])),
                flush=True,
            )
    n = sum(r.stats["examples"] for r in runs)
    bad = {k: sum(r.stats[k] for r in runs) for k in ("traceback", "hang", "partial", "other")}
    print(
        f"total: {n} examples in {(time.monotonic() - t0) / 60:.1f} min; "
        + ", ".join(f"{v} {k}" for k, v in bad.items()),
        flush=True,
    )
    write_report()
    return 1 if any(bad.values()) else 0


if __name__ == "__main__":
    sys.exit(main())

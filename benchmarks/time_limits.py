"""Wall-clock of each optimising command at ``--time-limit S`` and its longest silence.

Runs every optimising command on its shipped instance with ``--out`` (tables and charts
written) as a user would, from a checkout: ``python benchmarks/time_limits.py 20 [name…]``.
Prints the process's wall time against the limit and the longest gap between two lines on
stderr (progress), the start and the end included. Issue 23: at 20 s every run ends within
22 s with progress at least about every 2 s.
"""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
S = sys.argv[1] if len(sys.argv) > 1 else "20"
only = sys.argv[2:]
P = str(ROOT / ".venv" / "bin" / "pks")
runs = {
    "balance region-small": ["balance", "instances/region-small"],
    "plan clinic-plan": ["plan", "instances/clinic-plan"],
    "matrix clinic-matrix": ["matrix", "instances/clinic-matrix"],
    "matrix clinic-plan-matrix": ["matrix", "instances/clinic-plan-matrix"],
    "roster ward-roster": ["roster", "instances/ward-roster"],
    "roster ward-roster-short": ["roster", "instances/ward-roster-short"],
    "roster clinic-roster": ["roster", "instances/clinic-roster"],
    "cycle region-cycle": ["cycle", "instances/region-cycle"],
}
for name, args in runs.items():
    if only and not any(o in name for o in only):
        continue
    out = "/tmp/pks-time-limits/" + name.replace(" ", "_")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs("/tmp/pks-time-limits", exist_ok=True)
    t0 = time.perf_counter()
    p = subprocess.Popen(
        [P, *args, "--time-limit", S, "--out", out],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    last, gap = t0, 0.0
    for _line in p.stderr:
        now = time.perf_counter()
        gap = max(gap, now - last)
        last = now
    p.wait()
    end = time.perf_counter()
    gap = max(gap, end - last)
    over = 100 * ((end - t0) / float(S) - 1)
    print(
        f"{name:28s} rc={p.returncode} wall {end - t0:5.1f} s (limit {S}, {over:+.0f} %)  "
        f"longest silence {gap:4.1f} s",
        flush=True,
    )

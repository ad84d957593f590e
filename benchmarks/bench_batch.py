"""Throughput of `pks batch` on region-small sweeps and resume after a kill (issue 18).

    python benchmarks/bench_batch.py                 # 120-run sweep.yaml: 1 process, --workers 2,
                                                     # local Dask cluster of 2 workers; resume
    python benchmarks/bench_batch.py --runs 40 --resume-runs 60   # quicker

Throughput is scenarios per minute of the whole command (process start, reading, solving,
writing, summary). Per-run overhead is the share of a run's wall time in the worker outside the
solver (reading, applying the scenario, building, writing): mean(wall_s - runtime_s) /
mean(wall_s) from summary.csv. Resume: a 200-run batch is SIGKILLed (the batch and its workers)
halfway, rerun, and the runs redone are counted against the runs that were not complete.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PKS = str(BIN / "pks")
SWEEP = ROOT / "instances" / "region-small" / "sweep.yaml"


def manifest(folder: Path, runs: int, budgets: list[int] | None = None) -> Path:
    """The shipped sweep, cut to ``runs`` (demand levels first) or widened by budget levels."""
    doc = yaml.safe_load(SWEEP.read_text())
    doc["defaults"]["instance"] = str(SWEEP.parent)
    if budgets is not None:
        doc["grid"]["budget_change_sek"]["values"] = budgets
    grid = doc["grid"]
    sizes = [len(g.get("values") or g.get("levels")) for g in grid.values()]
    total = sizes[0] * sizes[1] * sizes[2]
    while total > runs:  # drop budget levels until it fits
        vals = grid["budget_change_sek"]["values"]
        if len(vals) == 1:
            break
        vals.pop()
        total = len(vals) * sizes[1] * sizes[2]
    path = folder / f"sweep-{total}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def run(args: list[str]) -> tuple[float, dict]:
    t = time.perf_counter()
    p = subprocess.run([PKS, "batch", *args, "--json"], capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t
    if p.returncode not in (0, 1):
        raise SystemExit(p.stderr)
    return wall, json.loads(p.stdout)


def overhead(out: Path) -> float:
    s = pd.read_csv(out / "summary.csv")
    s = s[~s["skipped"]]
    return float((s["wall_s"] - s["runtime_s"]).mean() / s["wall_s"].mean())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def dask_cluster(tmp: Path) -> tuple[str, list[subprocess.Popen[bytes]]]:
    from distributed import Client

    port = free_port()
    addr = f"tcp://127.0.0.1:{port}"
    procs = [
        subprocess.Popen(
            [
                str(BIN / "dask"),
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--dashboard-address",
                f"127.0.0.1:{free_port()}",
            ],
            cwd=tmp,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    ]
    for _ in range(2):
        procs.append(
            subprocess.Popen(
                [
                    str(BIN / "dask"),
                    "worker",
                    addr,
                    "--nthreads",
                    "1",
                    "--no-dashboard",
                    "--local-directory",
                    str(tmp / "w"),
                ],
                cwd=tmp,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        )
    with Client(addr, timeout=60) as c:
        c.wait_for_workers(2, timeout=60)
    return addr, procs


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in reversed(procs):
        os.killpg(p.pid, signal.SIGTERM)
    for p in procs:
        p.wait(timeout=20)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=120)
    ap.add_argument("--resume-runs", type=int, default=200)
    ap.add_argument("--skip", nargs="*", default=[], choices=["one", "two", "dask", "resume"])
    a = ap.parse_args()
    print(f"cores: {os.cpu_count()}")
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as t:
        tmp = Path(t)
        m = manifest(tmp, a.runs)
        n = len(__import__("pks_opt.batch", fromlist=["x"]).load_manifest(m).runs)
        modes = []
        if "one" not in a.skip:
            modes.append(("1 process (--workers 1)", ["--workers", "1"]))
        if "two" not in a.skip:
            modes.append(("--workers 2", ["--workers", "2"]))
        for label, extra in modes:
            out = tmp / label.split()[0].strip("-")
            wall, info = run([str(m), "--out", str(out), *extra])
            print(
                f"{label:28s} {n} runs in {wall:6.1f} s = {60 * n / wall:6.1f} scenarios/min"
                f"  (solved {info['succeeded']}/{n}; per-run overhead "
                f"{overhead(out):.0%} of run time)"
            )
        if "dask" not in a.skip:
            addr, procs = dask_cluster(tmp)
            try:
                out = tmp / "dask"
                wall, info = run([str(m), "--out", str(out), "--dask", addr])
                print(
                    f"{'Dask, 2 local workers':28s} {n} runs in {wall:6.1f} s = "
                    f"{60 * n / wall:6.1f} scenarios/min  (solved {info['succeeded']}/{n}; "
                    f"per-run overhead {overhead(out):.0%} of run time)"
                )
            finally:
                stop(procs)
        if "resume" not in a.skip:
            budgets = [
                -4000000,
                -3000000,
                -2000000,
                -1000000,
                0,
                1000000,
                2000000,
                4000000,
                6000000,
                8000000,
            ]
            m2 = manifest(tmp, a.resume_runs, budgets)
            total = len(__import__("pks_opt.batch", fromlist=["x"]).load_manifest(m2).runs)
            out = tmp / "resume"
            p = subprocess.Popen(
                [PKS, "batch", str(m2), "--out", str(out), "--workers", "2"],
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )

            def complete() -> int:
                runs = out / "runs"
                return (
                    sum(
                        1
                        for d in runs.iterdir()
                        if not d.name.startswith(".") and (d / "result.json").is_file()
                    )
                    if runs.is_dir()
                    else 0
                )

            while complete() < total // 2 and p.poll() is None:
                time.sleep(0.02)
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
            time.sleep(0.2)
            done = complete()
            leftovers = sum(1 for d in (out / "runs").iterdir() if d.name.startswith("."))
            wall, info = run([str(m2), "--out", str(out), "--workers", "2"])
            print(
                f"resume: {total} runs, SIGKILL after {done} complete ({leftovers} half-written "
                f"folders left); rerun redid {info['ran']} (= {total} - {done}: "
                f"{'only the unfinished' if info['ran'] == total - done else 'MORE'}), "
                f"skipped {info['skipped']}, all solved: {info['succeeded'] == total}"
            )


if __name__ == "__main__":
    main()

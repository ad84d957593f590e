"""The batch runner: isolated failures, all-or-nothing run folders, resume after a kill."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd

from tests.batch.conftest import PKS, REGION, ROOT, batch_json, pks


def _complete(out: Path) -> set[str]:
    return {
        p.name
        for p in (out / "runs").iterdir()
        if not p.name.startswith(".") and (p / "result.json").is_file()
    }


def test_broken_run_is_reported_by_name_and_the_others_finish(tmp_path: Path) -> None:
    bad = tmp_path / "bad_unit.yaml"
    bad.write_text("changes:\n  - {shortcut: budget_change, unit: NOPE, delta: 1}\n")
    m = tmp_path / "m.yaml"
    m.write_text(f"""\
defaults: {{command: balance, instance: {REGION}, options: {{time_limit: 30}}}}
runs:
  - name: base
  - name: broken
    scenarios: [bad_unit.yaml]
  - name: no-such-instance
    instance: {tmp_path / "missing"}
  - name: more-demand
    scenarios: [{REGION / "scenarios" / "demand_up.yaml"}]
""")
    out = tmp_path / "out"
    p = pks("batch", str(m), "--out", str(out), "--workers", "1")
    assert p.returncode == 1, p.stderr
    assert "2/4 runs solved, 2 not" in p.stdout
    broken = [line for line in p.stdout.splitlines() if line.startswith("  INPUT_ERROR: broken [")]
    assert len(broken) == 1
    assert f"{bad} change 1, field 'where': no row of table 'budgets' has unit 'NOPE'" in broken[0]
    assert any(
        line.startswith("  INPUT_ERROR: no-such-instance [") and "no such file" in line
        for line in p.stdout.splitlines()
    )
    summary = pd.read_csv(out / "summary.csv")
    assert summary.set_index("name")["status"].to_dict() == {
        "base": "OPTIMAL",
        "broken": "INPUT_ERROR",
        "no-such-instance": "INPUT_ERROR",
        "more-demand": "OPTIMAL",
    }
    # failed runs leave no folder (a rerun tries them again); solved ones are complete
    assert _complete(out) == set(summary[summary["ok"]]["id"])
    assert (out / "comparison.png").is_file() and (out / "summary.parquet").is_file()
    # the broken run's scenario is fixed: only it reruns
    bad.write_text("changes:\n  - {shortcut: budget_change, unit: MED, delta: 1}\n")
    code, info = batch_json(str(m), "--out", str(out), "--workers", "1")
    assert (info["ran"], info["skipped"], info["succeeded"]) == (2, 2, 3)
    report = pks("batch-report", str(out))
    assert report.returncode == 0
    assert "best" in report.stdout and "worst" in report.stdout


def test_rerun_redoes_only_the_unfinished_runs(tmp_path: Path, small_manifest: Path) -> None:
    out = tmp_path / "out"
    code, first = batch_json(str(small_manifest), "--out", str(out), "--workers", "1")
    assert code == 0 and first["ran"] == 4
    ids = sorted(_complete(out))
    before = {i: (out / "runs" / i / "result.json").stat().st_mtime_ns for i in ids}
    # one run folder gone, one incomplete (a table it lists missing), and the temporary folder
    # a killed write leaves behind
    import shutil

    shutil.rmtree(out / "runs" / ids[0])
    (out / "runs" / ids[1] / "actions.csv").unlink()
    (out / "runs" / f".{ids[2]}.abc123").mkdir()
    code, again = batch_json(str(small_manifest), "--out", str(out), "--workers", "1")
    assert code == 0
    assert (again["ran"], again["skipped"]) == (2, 2)
    after = {i: (out / "runs" / i / "result.json").stat().st_mtime_ns for i in ids}
    assert [i for i in ids if after[i] != before[i]] == ids[:2]  # rewritten: these two only
    assert not [p for p in (out / "runs").iterdir() if p.name.startswith(".")]
    summary = pd.read_csv(out / "summary.csv")
    assert sorted(summary["id"]) == ids and summary["ok"].all()
    assert summary["skipped"].sum() == 2


def test_killed_batch_resumes_with_what_is_left(tmp_path: Path) -> None:
    """A real kill (SIGKILL of the batch and its workers) after some runs are written."""
    m = tmp_path / "m.yaml"
    m.write_text(f"""\
defaults: {{command: balance, instance: {REGION}, options: {{time_limit: 30}}}}
grid:
  demand:
    values: [0, 3, 6, 9, 12]
    changes: [{{shortcut: demand_pct, pct: $value}}]
""")
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [*PKS, "batch", str(m), "--out", str(out), "--workers", "2"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if (out / "runs").is_dir() and len(_complete(out)) >= 2:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done = _complete(out)
    assert 2 <= len(done) < 5
    code, info = batch_json(str(m), "--out", str(out), "--workers", "2")
    assert code == 0
    assert info["skipped"] == len(done)
    assert info["ran"] == 5 - len(done)
    assert len(_complete(out)) == 5
    env = json.loads((out / "runs" / sorted(done)[0] / "result.json").read_text())
    assert env["batch"]["id"] == sorted(done)[0]

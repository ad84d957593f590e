"""Result folders are owned (issue 24, part 2): --out is never an input folder or inside
one, an earlier result folder is replaced whole, and a lock stops a second run."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from click.testing import CliRunner

from pks_opt.commands import main
from pks_opt.instances import instance_path

REPO = Path(__file__).resolve().parents[2]
PKS = [str(REPO / ".venv" / "bin" / "pks")]


def _copy(name: str, tmp_path: Path) -> Path:
    dst = tmp_path / name
    shutil.copytree(instance_path(name), dst)
    return dst


def _refused(args: list[str], out: Path, words: str) -> None:
    res = CliRunner().invoke(main, args)
    lines = res.output.strip().splitlines()
    assert res.exit_code == 2, res.output
    assert len(lines) == 1 and lines[0].startswith(f"error: cannot write to {out}: "), res.output
    assert words in lines[0]


def test_out_equal_to_the_instance_is_refused(tmp_path: Path) -> None:
    inst = _copy("seed-inpatient", tmp_path)
    before = sorted(p.name for p in inst.iterdir())
    _refused(["need", str(inst), "--out", str(inst)], inst, "it is the input")
    assert sorted(p.name for p in inst.iterdir()) == before


def test_out_inside_the_instance_is_refused(tmp_path: Path) -> None:
    inst = _copy("seed-inpatient", tmp_path)
    out = inst / "results" / "run1"
    _refused(["need", str(inst), "--out", str(out)], out, "inside the input folder")
    assert not (inst / "results").exists()
    assert not [p for p in tmp_path.iterdir() if p.name != "seed-inpatient"]


def test_out_inside_a_from_folder_is_refused(tmp_path: Path) -> None:
    need_out = tmp_path / "need"
    res = CliRunner().invoke(
        main, ["need", str(instance_path("seed-inpatient")), "--out", str(need_out)]
    )
    assert res.exit_code == 0, res.output
    out = need_out / "roster"
    _refused(
        [
            "roster",
            str(instance_path("ward-roster")),
            "--from-need",
            str(need_out),
            "--out",
            str(out),
        ],
        out,
        "inside the input folder",
    )


def test_out_holding_the_instance_is_refused(tmp_path: Path) -> None:
    inst = _copy("seed-inpatient", tmp_path)
    _refused(["need", str(inst), "--out", str(tmp_path)], tmp_path, "holds the input")
    assert (inst / "instance.yaml").is_file()


def test_out_inside_the_cycle_folder_is_refused(tmp_path: Path) -> None:
    cyc = instance_path("region-cycle")
    out = cyc / "out"
    _refused(["cycle", str(cyc), "--out", str(out)], out, "inside the input folder")
    assert not out.exists()


def _lock(out: Path, pid: int, host: str | None = None) -> Path:
    lock = out.parent / f"{out.name}.lock"
    lock.write_text(
        json.dumps(
            {
                "pid": pid,
                "host": host or socket.gethostname(),
                "started": "2026-12-04T10:00:00+00:00",
                "command": "pks need elsewhere",
            }
        )
    )
    return lock


def test_a_live_lock_refuses_a_second_run(tmp_path: Path) -> None:
    out = tmp_path / "out"
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        lock = _lock(out, sleeper.pid)
        res = subprocess.run(
            [*PKS, "need", str(instance_path("seed-inpatient")), "--out", str(out)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        sleeper.kill()
        sleeper.wait()
    assert res.returncode == 2, res.stderr
    line = res.stderr.strip()
    assert "\n" not in line and line.startswith(f"error: cannot write to {out}: ")
    assert f"another run is writing there: pid {sleeper.pid}" in line and "pks need" in line
    assert not out.exists() and lock.is_file()  # the other run's lock is left alone


def test_a_stale_lock_of_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    out = tmp_path / "out"
    dead = subprocess.Popen(["true"])
    dead.wait()
    lock = _lock(out, dead.pid)
    res = CliRunner().invoke(
        main, ["need", str(instance_path("seed-inpatient")), "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    assert (out / "result.json").is_file() and not lock.exists()


def test_a_lock_from_another_host_is_respected(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _lock(out, 1, host="some-other-host")
    _refused(
        ["need", str(instance_path("seed-inpatient")), "--out", str(out)], out, "on some-other-host"
    )


def test_concurrent_runs_into_one_folder(tmp_path: Path) -> None:
    """A real first run holds the lock while it solves; the second is refused at once."""
    out = tmp_path / "out"
    first = subprocess.Popen(
        [
            *PKS,
            "roster",
            str(instance_path("ward-roster")),
            "--quiet",
            "--time-limit",
            "30",
            "--wall-clock",
            "--out",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        lock = out.parent / "out.lock"
        deadline = time.monotonic() + 15
        while not lock.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert lock.exists()
        t0 = time.monotonic()
        second = subprocess.run(
            [*PKS, "need", str(instance_path("seed-inpatient")), "--out", str(out)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert time.monotonic() - t0 < 15
        assert second.returncode == 2
        assert f"pid {first.pid}" in second.stderr and "pks roster" in second.stderr
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    assert not out.exists() or not (out / "kpis.csv").exists()
    assert os.path.exists(out.parent / "out.lock")  # killed hard: the lock stays, stale
    res = CliRunner().invoke(
        main, ["need", str(instance_path("seed-inpatient")), "--out", str(out)]
    )
    assert res.exit_code == 0, res.output


# ------------------------------------------------- pks cycle: the instances cycle.yaml names


def _cycle(tmp_path: Path) -> Path:
    """The tiny cycle of tests/cycle, its instances in data/ beside (not in) the cycle folder."""
    import yaml

    from tests.cycle.test_cycle import STRATEGIC, TACTICAL

    for folder, files in (("data/region", STRATEGIC), ("data/plans/a-plan", TACTICAL)):
        (tmp_path / folder).mkdir(parents=True)
        for name, text in files.items():
            (tmp_path / folder / name).write_text(text)
    cyc = tmp_path / "cycle"
    cyc.mkdir()
    (cyc / "cycle.yaml").write_text(
        yaml.safe_dump(
            {
                "kind": "cycle",
                "name": "tiny-cycle",
                "strategic": "../data/region",
                "units": {"A": "../data/plans/a-plan"},
            }
        )
    )
    return cyc


def _untouched(tmp_path: Path, before: list[str]) -> None:
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == before


def _tree(tmp_path: Path) -> list[str]:
    return sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))


def test_cycle_out_equal_to_its_strategic_instance_is_refused(tmp_path: Path) -> None:
    cyc = _cycle(tmp_path)
    out = tmp_path / "data" / "region"
    before = _tree(tmp_path)
    # a folder with files and no result.json is refused by the general rule already
    _refused(["cycle", str(cyc), "--out", str(out)], out, "not a pks result folder")
    # one that looks like a result folder is refused because cycle.yaml names it
    (out / "result.json").write_text("{}")
    before = _tree(tmp_path)
    _refused(["cycle", str(cyc), "--out", str(out)], out, "it is the input")
    _untouched(tmp_path, before)


def test_cycle_out_inside_a_units_tactical_instance_is_refused(tmp_path: Path) -> None:
    cyc = _cycle(tmp_path)
    before = _tree(tmp_path)
    out = tmp_path / "data" / "plans" / "a-plan" / "results"
    _refused(["cycle", str(cyc), "--out", str(out)], out, "inside the input folder")
    _untouched(tmp_path, before)  # no result, lock or temporary folder


def test_cycle_out_holding_the_instances_is_refused(tmp_path: Path) -> None:
    """An earlier result folder that now holds the instances: replacing it would delete them."""
    cyc = _cycle(tmp_path)
    (tmp_path / "data" / "result.json").write_text("{}")
    (tmp_path / "data" / "plans" / "result.json").write_text("{}")
    before = _tree(tmp_path)
    for out in (tmp_path / "data", tmp_path / "data" / "plans"):
        _refused(["cycle", str(cyc), "--out", str(out)], out, "holds the input")
    _untouched(tmp_path, before)


def test_cycle_out_beside_its_instances_is_written(tmp_path: Path) -> None:
    cyc = _cycle(tmp_path)
    out = tmp_path / "data" / "cycle-out"  # a sibling of the instances: allowed
    res = CliRunner().invoke(main, ["cycle", str(cyc), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert (out / "result.json").is_file() and not (tmp_path / "data" / "cycle-out.lock").exists()

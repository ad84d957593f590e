"""SIGINT at the remaining points of issue 24: `pks matrix` and `pks cycle` mid-search, plan and
balance during model building, any level while writing, and the stage report of a stage
stopped before any solution (INTERRUPTED, not NO_SOLUTION_IN_TIME).

Two kinds of test. Mid-search signals are sent by the clock, at times chosen from measured runs
on the 2-core test machine (clinic-plan-matrix: stages up to room-changes end about 3 s after
the start, room-fit runs until about 6 s; region-cycle: about 95 s, round 2 starts after about
4 s). Model building (under 1 s) and writing (0.5–2 s) are too short to hit by the clock on a
busy machine, so those tests run the real `pks` program in a subprocess with a *marker*: a
wrapper around the phase's function writes a file and then takes 1.5 s longer; the test waits
for the file and sends a real SIGINT from outside, so the signal lands inside the phase.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from pks_opt.commands import main
from pks_opt.instances import instance_path
from pks_opt.result import EXIT_INTERRUPTED, SolveStatus
from tests.faults.test_interrupts import (
    REPO,
    STOP_AND_WRITE_S,
    STOP_S,
    _interrupt,
    _interrupted_result,
    _nothing_left,
)

#: seconds a marked phase is stretched by (not counted in the stop time)
SLOW_S = 1.5
#: `pks` with one function wrapped: it writes MARKER, sleeps SLOW_S, then runs (argv: marker,
#: SLOW_S, module, attribute, pks arguments...)
WRAPPED_PKS = """
import sys, time, importlib, pathlib
marker, SLOW_S, module, attr = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]
sys.argv = ["pks", *sys.argv[5:]]
owner_name, _, name = attr.rpartition(".")
owner = importlib.import_module(module)
for part in filter(None, owner_name.split(".")):
    owner = getattr(owner, part)
real = getattr(owner, name)
def slow(*a, **k):
    pathlib.Path(marker).touch()
    time.sleep(SLOW_S)
    return real(*a, **k)
setattr(owner, name, slow)
from pks_opt.commands import main
main(prog_name="pks")
"""


def _interrupt_at_marker(
    tmp_path: Path, module: str, attr: str, args: list[str]
) -> tuple[int, float, str, str]:
    """Run ``pks ARGS`` with ``module.attr`` slowed; SIGINT once it has started. A phase
    inside the solve goes on after the signal: its stop time includes the SLOW_S stretch."""
    marker = tmp_path / "marker"
    proc = subprocess.Popen(
        [sys.executable, "-c", WRAPPED_PKS, str(marker), str(SLOW_S), module, attr, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    deadline = time.monotonic() + 60
    while not marker.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            out, err = proc.communicate()
            pytest.fail(f"the phase was never reached: {out}\n{err}")
        time.sleep(0.02)
    marker.unlink()
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail("the run did not stop within 30 s of the signal")
    return proc.returncode, time.monotonic() - sent, out, err


# ---------------------------------------------------------------------- matrix (CP-SAT)


def test_matrix_sigint_during_the_search_keeps_the_matrix(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, delay, stdout, _err = _interrupt(
        ["matrix", str(instance_path("clinic-plan-matrix")), "--out", str(out)],
        0.3,
        after_line="stage continuity: started",
    )
    assert code == EXIT_INTERRUPTED and delay < STOP_AND_WRITE_S, (code, delay)
    assert stdout.startswith("INTERRUPTED: interrupted by SIGINT")
    env = _interrupted_result(out)
    assert env["objective"] is not None and (out / "room_grid.csv").is_file()
    stages = env["stages"]
    # the stages before the signal have their matrix; the one it stopped may have none yet
    # (status INTERRUPTED, no value): the matrix so far is kept
    assert (
        stages
        and all(
            s["status"] in ("FEASIBLE", "OPTIMAL")  # type: ignore[index]
            for s in stages[:-1]
        )
    )  # type: ignore[index]
    assert stages[-1]["status"] in ("FEASIBLE", "OPTIMAL", "INTERRUPTED")  # type: ignore[index]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # lock removed


def test_matrix_sigterm_without_out_stops_within_2s(tmp_path: Path) -> None:
    code, delay, stdout, _err = _interrupt(
        ["matrix", str(instance_path("clinic-plan-matrix"))],
        0.3,
        sig=signal.SIGTERM,
        after_line="stage continuity: started",
    )
    assert code == EXIT_INTERRUPTED and delay < STOP_S, (code, delay)
    assert stdout.startswith("INTERRUPTED: interrupted by SIGTERM")
    _nothing_left(tmp_path)


# ---------------------------------------------------------------------- cycle


def test_cycle_sigint_keeps_the_rounds_done(tmp_path: Path) -> None:
    """region-cycle (about 95 s) interrupted after 5 s, in round 1 or 2."""
    out = tmp_path / "out"
    code, delay, stdout, _err = _interrupt(
        ["cycle", str(instance_path("region-cycle")), "--out", str(out)], 5.0
    )
    assert code == EXIT_INTERRUPTED and delay < STOP_AND_WRITE_S, (code, delay)
    assert stdout.startswith("INTERRUPTED: interrupted by SIGINT")
    env = json.loads((out / "result.json").read_text())
    assert env["status"] == "INTERRUPTED" and env["kind"] == "cycle"
    assert "the cycle stopped at round" in env["explanation"][0]
    assert env["interrupted"]["stopped_during"] == env["kpis"]["interrupted_during"]
    assert (out / "round1" / "need" / "result.json").is_file()
    assert not (out / "round3").exists()  # round 3 is not run
    for done in env["explanation"][1].removeprefix("written: ").split(", "):
        assert (out / done / "result.json").is_file(), done
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no lock, no temp folder


def test_cycle_interrupted_in_a_units_plan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The tiny cycle of tests/cycle, a real SIGINT to this process while unit A plans in
    handshake 1: that plan is kept marked INTERRUPTED, no second handshake, no round 3."""
    import pandas as pd

    from pks_opt.cycle import run as cycle_run
    from tests.cycle.test_cycle import cycle_folder

    real = cycle_run._plan

    def plan_then_signal(*a: object, **k: object) -> object:
        res = real(*a, **k)  # type: ignore[arg-type]
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.3)  # the watcher thread marks the run as stopped
        return res

    monkeypatch.setattr(cycle_run, "_plan", plan_then_signal)
    out = tmp_path / "out"
    res = CliRunner().invoke(
        main, ["cycle", str(cycle_folder(tmp_path, max_handshakes=3)), "--out", str(out)]
    )
    assert res.exit_code == EXIT_INTERRUPTED, res.output
    env = json.loads((out / "result.json").read_text())
    assert env["status"] == "INTERRUPTED"
    assert env["kpis"]["interrupted_during"] == "round 2, handshake 1: A's plan"
    assert env["explanation"][1] == (
        "written: round1/balance/, round1/need/, round2/handshake-1/plan-A/"
    )
    assert list(pd.read_csv(out / "handshake.csv")["status"]) == ["plan interrupted"]
    plan = json.loads((out / "round2/handshake-1/plan-A/result.json").read_text())
    assert plan["status"] == "INTERRUPTED" and plan["objective"] is not None
    assert not (out / "round2" / "handshake-2").exists() and not (out / "round3").exists()


# ---------------------------------------------------------------------- model building


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("region") / "region15"
    subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "balancing_generator.py"),
            str(folder),
            "--units",
            "15",
            "--objects",
            "50",
            "--resources",
            "6",
            "--periods",
            "8",
        ],
        check=True,
        capture_output=True,
        cwd=REPO,
    )
    return folder


def test_balance_sigint_while_building_the_model(region: Path, tmp_path: Path) -> None:
    """The model is built inside the solve: it is finished, no stage searches, the result
    has no solution and every stage that ran says INTERRUPTED."""
    out = tmp_path / "out"
    code, delay, stdout, _err = _interrupt_at_marker(
        tmp_path,
        "pks_opt.balancing.milp",
        "BalancingModel.__init__",
        ["balance", str(region), "--out", str(out)],
    )
    assert code == EXIT_INTERRUPTED and delay - SLOW_S < STOP_AND_WRITE_S, (code, delay)
    assert stdout.startswith("INTERRUPTED: interrupted by SIGINT")
    env = _interrupted_result(out)
    assert env["objective"] is None
    assert env["interrupted"]["status_when_stopped"] == "INTERRUPTED"  # type: ignore[index]
    assert [s["status"] for s in env["stages"]] == ["INTERRUPTED"]  # type: ignore[union-attr]


def test_plan_sigint_while_building_the_model(tmp_path: Path) -> None:
    code, delay, stdout, _err = _interrupt_at_marker(
        tmp_path,
        "pks_opt.production_plan.milp",
        "PlanModel.__init__",
        ["plan", str(instance_path("clinic-plan")), "--json"],
    )
    assert code == EXIT_INTERRUPTED and delay - SLOW_S < STOP_S, (code, delay)
    env = json.loads(stdout)
    assert env["status"] == "INTERRUPTED" and env["objective"] is None
    assert env["explanation"][0].startswith("interrupted by SIGINT")
    assert [s["status"] for s in env["stages"]] == ["INTERRUPTED"]


# ---------------------------------------------------------------------- writing


def test_roster_sigint_while_writing_the_charts_leaves_nothing(tmp_path: Path) -> None:
    """A roster being written (its chart): the half-written folder is removed, no lock.

    clinic-roster, not ward-roster: under load a 6 s ward-roster run could end with no roster
    at all, so no chart was drawn and the signal was never sent (clinic-roster is solved in
    about a second).
    """
    out = tmp_path / "out"
    code, delay, stdout, err = _interrupt_at_marker(
        tmp_path,
        "matplotlib.figure",
        "Figure.savefig",
        [
            "roster",
            str(instance_path("clinic-roster")),
            "--time-limit",
            "6",
            "--wall-clock",
            "--quiet",
            "--out",
            str(out),
        ],
    )
    assert code == EXIT_INTERRUPTED and delay < STOP_S, (code, delay)
    assert err.strip().splitlines()[-1] == "interrupted by SIGINT: stopped, nothing written"
    assert stdout == ""
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == []


# ---------------------------------------------------------------------- stage reports


def test_a_stage_stopped_before_any_solution_says_interrupted() -> None:
    """solve_pulp after a signal: INTERRUPTED (HiGHS and CBC), not NO_SOLUTION_IN_TIME."""
    import pulp

    from pks_opt import interrupt
    from pks_opt.milp import solve_pulp

    prob = pulp.LpProblem("t", pulp.LpMinimize)
    x = prob.add_variable("x", lowBound=0, cat="Integer")
    prob += x
    prob += x >= 1
    with interrupt.installed(), interrupt.solving():
        assert solve_pulp(prob, "highs").status is SolveStatus.OPTIMAL
        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(50):
            if interrupt.requested():
                break
            time.sleep(0.02)
        assert interrupt.requested() == "SIGINT"
        for backend in ("highs", "cbc"):
            assert solve_pulp(prob, backend).status is SolveStatus.INTERRUPTED
    assert interrupt.requested() is None  # uninstalled: later solves are not stopped


# ---------------------------------------------------------------------- reading


@pytest.mark.parametrize(
    ("module", "attr", "command"),
    [
        (
            "pks_opt.production_plan.data",
            "plan_from_raw",
            ["plan", str(instance_path("clinic-plan"))],
        ),
        ("pks_opt.balancing", "read_balancing", ["balance", str(instance_path("region-small"))]),
    ],
)
def test_sigint_while_reading_the_instance_writes_nothing(
    tmp_path: Path, module: str, attr: str, command: list[str]
) -> None:
    """A signal while the instance is read: nothing was solved, so nothing is written — one
    line, exit 130, no output folder and no lock."""
    out = tmp_path / "out"
    code, delay, _stdout, err = _interrupt_at_marker(
        tmp_path, module, attr, [*command, "--out", str(out)]
    )
    assert code == EXIT_INTERRUPTED and delay < STOP_S, (code, delay)
    assert "interrupted by SIGINT: stopped, nothing written" in err
    assert "Traceback" not in err
    _nothing_left(tmp_path)


def test_roster_sigint_while_building_the_model(tmp_path: Path) -> None:
    """The roster's CP-SAT model being built: it is finished, no search starts, the result is
    INTERRUPTED (a search stopped before any roster has none)."""
    code, delay, stdout, _err = _interrupt_at_marker(
        tmp_path,
        "pks_opt.rostering.cpsat",
        "RosterModel.__init__",
        [
            "roster",
            str(instance_path("ward-roster-short")),
            "--time-limit",
            "20",
            "--quiet",
            "--json",
        ],
    )
    assert code == EXIT_INTERRUPTED and delay - SLOW_S < STOP_S, (code, delay)
    env = json.loads(stdout)
    assert env["status"] == "INTERRUPTED"


@pytest.mark.parametrize("command", ["plan", "balance"])
def test_sigint_while_writing_the_charts_leaves_nothing(tmp_path: Path, command: str) -> None:
    """plan (a two-week instance) and balance (region-small) being written: nothing is left."""
    if command == "plan":
        inst = tmp_path / "inst"
        inst.mkdir()
        (inst / "instance.yaml").write_text("kind: tactical\nname: two-weeks\n")
        (inst / "planning_objects.csv").write_text(
            "planning_object,priority,max_wait_weeks,queue_start,annual_inflow\na,1,4,20,520\n"
        )
        (inst / "weeks.csv").write_text("week\n1\n2\n")
        (inst / "resources.csv").write_text("resource,hours_per_week\ndoc,30\n")
        (inst / "activity_hours.csv").write_text(
            "planning_object,resource,hours_per_activity\na,doc,1\n"
        )
        args = ["plan", str(inst)]
    else:
        args = ["balance", str(instance_path("region-small"))]
    work = tmp_path / "work"
    work.mkdir()
    out = work / "out"
    code, delay, stdout, err = _interrupt_at_marker(
        work, "matplotlib.figure", "Figure.savefig", [*args, "--out", str(out)]
    )
    assert code == EXIT_INTERRUPTED and delay < STOP_S, (code, delay)
    assert err.strip().splitlines()[-1] == "interrupted by SIGINT: stopped, nothing written"
    assert not out.exists() and sorted(p.name for p in work.iterdir()) == []

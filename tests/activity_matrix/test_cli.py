"""`pks matrix` through click's CliRunner: outputs, exit codes, bad input, reproducibility."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from pks_opt.commands import main
from pks_opt.instances import instance_path

from .helpers import write_instance

FAST = ["--time-limit", "10", "--workers", "1"]


def _run(*args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(main, ["matrix", *args])
    return res.exit_code, res.stdout, res.stderr


def test_shipped_instance_writes_everything(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, stdout, _ = _run(str(instance_path("clinic-matrix")), "--out", str(out), *FAST)
    assert code == 0, stdout
    env = json.loads((out / "result.json").read_text())
    assert env["status"] == "OPTIMAL" and env["kind"] == "activity_matrix"
    assert set(env["tables"]) == {
        "room_grid",
        "staff_grid",
        "coverage",
        "day_coverage",
        "assignments",
        "staff_demand",
        "feedback",
        "trace",
    }
    assert env["charts"] == {"matrix": "matrix.png"}
    assert (out / "matrix.png").stat().st_size > 10_000
    header = (out / "staff_demand.csv").read_text().splitlines()[0]
    assert header == (
        "week_type,weekday,session,start,end,competence,staff,activity_type,named_staff,trace_ids"
    )
    grid = (out / "room_grid.csv").read_text().splitlines()
    assert grid[0] == "week_type,room,session,Mon,Tue,Wed,Thu,Fri"
    assert len(grid) == 1 + 5 * 2  # 5 rooms × am/pm
    assert "R4,am,gastro" in grid[7]  # the pinned cell (Monday morning endoscopy)


def test_same_seed_same_matrix(tmp_path: Path) -> None:
    inst = str(instance_path("clinic-matrix"))
    for name in ("a", "b"):
        code, _, _ = _run(inst, "--out", str(tmp_path / name), "--seed", "7", *FAST)
        assert code == 0
    for table in ("room_grid.csv", "staff_grid.csv", "staff_demand.csv"):
        assert (tmp_path / "a" / table).read_text() == (tmp_path / "b" / table).read_text()


def test_impossible_demand_gives_named_shortfalls(tmp_path: Path) -> None:
    # clinic-matrix with cardio raised from 5 to 12: only R5 has ECG (10 sessions) and the
    # cardiologist works 8 → 8 delivered; both limits are named, the exit code is 0.
    inst = tmp_path / "inst"
    shutil.copytree(instance_path("clinic-matrix"), inst)
    types = (
        (inst / "activity_types.csv")
        .read_text()
        .replace("cardio,Cardiology,1,ecg,5,", "cardio,Cardiology,1,ecg,12,")
    )
    (inst / "activity_types.csv").write_text(types)
    code, stdout, _ = _run(str(inst), "--json", *FAST)
    assert code == 0
    env = json.loads(stdout)
    line = next(e for e in env["explanation"] if e.startswith("cardio"))
    assert line.startswith("cardio (priority 1) needs 12 sessions a week, gets 8 (4 short)")
    assert "rooms with ecg have 10 open sessions a week" in line
    assert "cardio needs 12 physician sessions a week; 8 able to do it are available" in line


BAD_INPUTS = [
    (
        "activity_staff",
        "activity_type,competence,staff\nB,physician,1\n",
        "activity_staff.csv row 2, field 'activity_type': activity type 'B' is not defined",
    ),
    (
        "activity_types",
        "activity_type,priority,capability,sessions_per_week\nA,1,laser,1\n",
        "activity_types.csv row 2, field 'capability': no room has capability 'laser'",
    ),
    (
        "activity_types",
        "activity_type,priority,sessions_per_week\nA,0,1\n",
        "activity_types.csv row 2, field 'priority'",
    ),
    (
        "activity_types",
        "activity_type,sessions_per_week\nA,1\nA,2\n",
        "activity_types.csv row 3, field 'activity_type': duplicate activity_type 'A'",
    ),
    ("rooms", "name\nx\n", "rooms.csv row 1: missing column 'room'"),
    (
        "sessions",
        "session,start,end\nam,12:00,08:00\n",
        "sessions.csv row 2, field 'end': session ends (08:00) before it starts (12:00)",
    ),
    ("sessions", "session,start,end\nam,8am,12:00\n", "sessions.csv row 2, field 'start'"),
    (
        "room_closed",
        "room,weekday,session\nR9,0,am\n",
        "room_closed.csv row 2, field 'room': room 'R9' is not defined",
    ),
    (
        "pinned",
        "room,weekday,session,activity_type\nR1,3,am,A\n",
        "pinned.csv row 2, field 'weekday': Thursday is not one of the matrix's days [0]",
    ),
    (
        "staff",
        "staff,competence,count,activities\nP,physician,1,Z\n",
        "staff.csv row 2, field 'activities': activity type 'Z' is not defined",
    ),
    (
        "staff_availability",
        "staff,weekday,session,available\nP,0,am,1\n",
        "staff_availability.csv row 2, field 'staff': staff 'P' is not defined",
    ),
    (
        "day_rules",
        "activity_type,weekday,min_sessions,max_sessions\nA,0,3,1\n",
        "day_rules.csv row 2, field 'min_sessions': min_sessions 3 is above max_sessions 1",
    ),
    (
        "same_day",
        "activity_type,weekday,sessions\nA,0,-1\n",
        "same_day.csv row 2, field 'sessions'",
    ),
    (
        "activity_types",
        "activity_type,sessions_per_week,same_day_per_week\nA,1,3\n",
        "activity_types.csv row 2, field 'same_day_per_week': same_day_per_week needs an "
        "inflow_profile table",
    ),
]


@pytest.mark.parametrize(("table", "text", "message"), BAD_INPUTS)
def test_bad_input_exit_2_nothing_written(
    tmp_path: Path, table: str, text: str, message: str
) -> None:
    inst = write_instance(tmp_path / "i", {table: text})
    out = tmp_path / "out"
    code, stdout, stderr = _run(str(inst), "--out", str(out), *FAST)
    assert code == 2
    assert message in stderr
    assert stderr.startswith("error: ") and "Traceback" not in stderr + stdout
    assert not out.exists()


def test_pin_in_closed_cell(tmp_path: Path) -> None:
    inst = write_instance(
        tmp_path / "i",
        {
            "room_closed": "room,weekday,session\nR1,0,am\n",
            "pinned": "room,weekday,session,activity_type\nR1,0,am,A\n",
        },
    )
    code, _, stderr = _run(str(inst), *FAST)
    assert code == 2
    assert "pinned.csv row 2, field 'room': room 'R1' is closed on Monday am" in stderr


def test_wrong_kind_and_missing_plan(tmp_path: Path) -> None:
    code, _, stderr = _run(str(instance_path("clinic-plan")), *FAST)
    assert code == 2 and "expected 'activity_matrix'" in stderr
    inst = write_instance(tmp_path / "i")
    code, _, stderr = _run(str(inst), "--week", "3", *FAST)
    assert code == 2 and "--week needs --from-plan" in stderr
    code, _, stderr = _run(str(inst), "--from-plan", str(tmp_path / "nope"), *FAST)
    assert code == 2 and "the --from-plan folder does not exist" in stderr
    (tmp_path / "empty").mkdir()
    code, _, stderr = _run(str(inst), "--from-plan", str(tmp_path / "empty"), *FAST)
    assert code == 2 and "no production_plan.csv in the --from-plan folder" in stderr


def test_infeasible_pins_exit_1(tmp_path: Path) -> None:
    # A needs a physician; the only one is absent on Monday, where A is pinned → no matrix.
    inst = write_instance(
        tmp_path / "i",
        {
            "activity_staff": "activity_type,competence,staff\nA,physician,1\n",
            "staff": "staff,competence,count\nP,physician,1\n",
            "staff_availability": "staff,weekday,session,available\nP,0,,0\n",
            "pinned": "room,weekday,session,activity_type\nR1,0,am,A\n",
        },
    )
    code, stdout, _ = _run(str(inst), *FAST)
    assert code == 1
    assert "status: INFEASIBLE" in stdout
    assert "pinned A on Monday am needs 1 physician(s) able to do A; 0 are available" in stdout

"""Documented limits (issue 16): values out of range are one-line input errors (exit 2) that
name the file, the row and the field; nothing is written to --out; nothing huge is built.

Each case edits a copy of a shipped instance, as the outside fuzz test did.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from pks_opt.commands import main
from pks_opt.limits import MAX_ROSTER_CELLS

INSTANCES = Path(__file__).resolve().parents[1] / "instances"
ROSTER = "ward-roster-short"


def _copy(tmp_path: Path, name: str) -> Path:
    dst = tmp_path / name
    shutil.copytree(INSTANCES / name, dst)
    return dst


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _run(tmp_path: Path, *args: str) -> tuple[int, str, Path]:
    out = tmp_path / "out"
    res = CliRunner().invoke(main, [*args, "--out", str(out)])
    return res.exit_code, res.output, out


def _refused(tmp_path: Path, command: str, inst: Path, *extra: str) -> str:
    code, output, out = _run(tmp_path, command, str(inst), *extra)
    assert code == 2, output
    lines = [ln for ln in output.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in output, output
    assert not out.exists()
    return lines[0]


# ----------------------------------------------------------------------------- roster

ROSTER_BAD: list[tuple[str, str, str, str, str]] = [
    # (case, file, old text, new text, expected message part)
    (
        "weeks 10**12",
        "instance.yaml",
        "weeks: 6",
        "weeks: 1000000000000",
        "instance.yaml, field 'parameters.weeks': Input should be less than or equal to 52",
    ),
    (
        "days 365",
        "instance.yaml",
        "weeks: 6",
        "days: 365",
        "instance.yaml, field 'parameters.days': Input should be less than or equal to 364",
    ),
    (
        "start_date 2027-02-30",
        "instance.yaml",
        "start_date: 2026-03-30",
        "start_date: 2027-02-30",
        "instance.yaml, field 'parameters.start_date': not a calendar date",
    ),
    (
        "negative fairness weight",
        "instance.yaml",
        "fairness_weight: 5",
        "fairness_weight: -5",
        "field 'parameters.fairness_weight': Input should be greater than or equal to 0",
    ),
    (
        "max_avg_weekly_hours 200",
        "instance.yaml",
        "max_avg_weekly_hours: 48",
        "max_avg_weekly_hours: 200",
        "field 'parameters.max_avg_weekly_hours'",
    ),
    (
        "absence end 2026-04-31",
        "absences.csv",
        "RN03,2026-04-13,2026-04-19",
        "RN03,2026-04-13,2026-04-31",
        "absences.csv row 2, field 'end': not a calendar date (day is out of range for month)",
    ),
    (
        "wish date 2026-02-30",
        "wishes.csv",
        "RN01,2026-04-03",
        "RN01,2026-02-30",
        "wishes.csv row 2, field 'date': not a calendar date",
    ),
    (
        "negative wish weight",
        "wishes.csv",
        "RN01,2026-04-03,,off,3",
        "RN01,2026-04-03,,off,-3",
        "wishes.csv row 2, field 'weight': Input should be greater than or equal to 0",
    ),
    (
        "day shift over midnight",
        "shifts.csv",
        "D,07:00,15:30,480,day",
        "D,17:00,08:00,480,day",
        "shifts.csv row 2, field 'category': day shift 17:00-08:00 runs past 00:00 the next "
        "morning: give it category night (or oncall)",
    ),
    (
        "evening to 03:30",
        "shifts.csv",
        "E,13:30,22:00,480,evening",
        "E,15:30,03:30,480,evening",
        "shifts.csv row 3, field 'category': evening shift 15:30-03:30 runs past 02:00",
    ),
    (
        "20.5 h shift",
        "shifts.csv",
        "D,07:00,15:30,480,day",
        "D,07:00,03:30,480,day",
        "shifts.csv row 2, field 'end': shift 07:00-03:30 is 20 h 30 min long, more than 16 h "
        "(mark an on-call shift with category oncall)",
    ),
    (
        "night of 17 h",
        "shifts.csv",
        "N,21:30,07:00,570,night",
        "N,14:00,07:00,570,night",
        "shifts.csv row 4, field 'end': shift 14:00-07:00 is 17 h long, more than 16 h",
    ),
    (
        "negative max_weekends",
        "staff.csv",
        "RN01,RN,1.0,,,,true",
        "RN01,RN,1.0,,,-1,true",
        "staff.csv row 2, field 'max_weekends': Input should be greater than or equal to 0",
    ),
    (
        "negative demand",
        "demand.csv",
        ",0,D,RN,2,1,10,0",
        ",0,D,RN,-5,1,10,0",
        "demand.csv row 2, field 'staff': Input should be greater than or equal to 0",
    ),
    (
        "demand 10**6",
        "demand.csv",
        ",0,D,RN,2,1,10,0",
        ",0,D,RN,1000000,1,10,0",
        "demand.csv row 2, field 'staff': Input should be less than or equal to 1000",
    ),
    (
        "weight 10**15",
        "demand.csv",
        ",0,D,RN,2,1,10,0",
        ",0,D,RN,2,1,1000000000000000,0",
        "demand.csv row 2, field 'weight_under': Input should be less than or equal to 1000000",
    ),
    (
        "pinned night, no nights",
        "pinned.csv",
        "RN01,2026-03-30,D",
        "RN04,2026-03-30,N",
        "pinned.csv row 2, field 'shift': RN04 is pinned to night shift N on 2026-03-30 but has "
        "nights_allowed false in staff.csv",
    ),
]


@pytest.mark.parametrize(
    ("case", "file", "old", "new", "message"), ROSTER_BAD, ids=[c[0] for c in ROSTER_BAD]
)
def test_roster_value_out_of_range(
    tmp_path: Path, case: str, file: str, old: str, new: str, message: str
) -> None:
    inst = _copy(tmp_path, ROSTER)
    _edit(inst / file, old, new)
    line = _refused(tmp_path, "roster", inst, "--quiet", "--time-limit", "1")
    assert f"{inst.name}/{file}" in line and message in line, line


def test_roster_workbook_weeks_10_12(tmp_path: Path) -> None:
    # the same instance as one .xlsx workbook: the 'instance' sheet holds key/value
    src = INSTANCES / ROSTER
    manifest = yaml.safe_load((src / "instance.yaml").read_text(encoding="utf-8"))
    manifest["parameters"]["weeks"] = 10**12
    keys = [("kind", manifest["kind"]), ("name", manifest["name"])] + [
        (f"parameters.{k}", str(v)) for k, v in manifest["parameters"].items()
    ]
    book = tmp_path / "roster.xlsx"
    with pd.ExcelWriter(book) as xw:
        pd.DataFrame(keys, columns=["key", "value"]).to_excel(
            xw, sheet_name="instance", index=False
        )
        for csv in sorted(src.glob("*.csv")):
            pd.read_csv(csv, dtype=str).to_excel(xw, sheet_name=csv.stem, index=False)
    line = _refused(tmp_path, "roster", book, "--quiet", "--time-limit", "1")
    assert re.search(
        r"roster\.xlsx\[instance\] row \d+, field 'parameters\.weeks': cell instance!B\d+: "
        r"Input should be "
        r"less than or equal to 52",
        line,
    ), line


def test_roster_size_is_checked_before_building(tmp_path: Path) -> None:
    # 1400 staff × 364 days × 4 shift types > MAX_ROSTER_CELLS: refused after reading staff.csv
    inst = _copy(tmp_path, ROSTER)
    _edit(inst / "instance.yaml", "weeks: 6", "weeks: 52")
    n = MAX_ROSTER_CELLS // (364 * 4) + 1
    (inst / "staff.csv").write_text(
        "id,competences\n" + "".join(f"S{i},RN|USK|LAK\n" for i in range(n)), encoding="utf-8"
    )
    line = _refused(tmp_path, "roster", inst, "--quiet", "--time-limit", "1")
    assert (
        f"staff.csv: staff × days × shift types is {n * 364 * 4:,}, more than the "
        f"documented maximum {MAX_ROSTER_CELLS:,}"
    ) in line, line


def test_on_call_shift_may_run_overnight_and_long(tmp_path: Path) -> None:
    # J 16:30-08:00 (15.5 h, oncall) is shipped; an on-call 08:00-08:00 (24 h) is accepted too
    inst = _copy(tmp_path, ROSTER)
    _edit(inst / "shifts.csv", "J,16:30,08:00,480,oncall", "J,08:00,07:59,480,oncall")
    code, output, _ = _run(
        tmp_path, "roster", str(inst), "--quiet", "--time-limit", "1", "--deterministic"
    )  # work, not wall time: a roster on a busy machine
    assert code == 0, output


def test_demand_above_qualified_staff_is_warned_not_refused(tmp_path: Path) -> None:
    # 200 RN asked, 11 have RN: a legitimately short roster (tier-1 shortfall), with a warning
    inst = _copy(tmp_path, ROSTER)
    _edit(inst / "demand.csv", ",0,D,RN,2,1,10,0", ",0,D,RN,200,1,10,0")
    code, output, out = _run(
        tmp_path, "roster", str(inst), "--quiet", "--time-limit", "1", "--deterministic"
    )
    assert code == 0, output
    assert (
        "demand.csv row 2, field 'staff': asks 200 RN on D, but only 11 staff member(s) "
        "have RN: at least 189 will be short"
    ) in output
    assert (out / "shortfalls.csv").exists()


# ----------------------------------------------------------------------------- plan


def _weeks(n: int) -> Callable[[Path], None]:
    def write(inst: Path) -> None:
        (inst / "weeks.csv").write_text(
            "week,week_type,capacity_factor,inflow_weight\n"
            + "".join(f"{w},normal,1.0,1.0\n" for w in range(1, n + 1)),
            encoding="utf-8",
        )

    return write


def test_plan_horizon_over_156_weeks(tmp_path: Path) -> None:
    inst = _copy(tmp_path, "clinic-plan")
    _weeks(157)(inst)
    line = _refused(tmp_path, "plan", inst)
    assert (
        "clinic-plan/weeks.csv row 158, field 'week': Input should be less than or equal to 156"
    ) in line, line


def test_plan_wait_of_10_12_weeks(tmp_path: Path) -> None:
    inst = _copy(tmp_path, "clinic-plan")
    _edit(
        inst / "planning_objects.csv",
        "cardio,Cardiology visits,1,4,",
        "cardio,Cardiology visits,1,1000000000000,",
    )
    line = _refused(tmp_path, "plan", inst)
    assert (
        "planning_objects.csv row 2, field 'max_wait_weeks': Input should be less than or "
        "equal to 156"
    ) in line, line


def test_plan_negative_capacity_factor(tmp_path: Path) -> None:
    inst = _copy(tmp_path, "clinic-plan")
    _edit(inst / "weeks.csv", "1,christmas,0.8,", "1,christmas,-0.8,")
    line = _refused(tmp_path, "plan", inst)
    assert "weeks.csv row 2, field 'capacity_factor': Input should be greater than" in line


# ----------------------------------------------------------------------------- matrix


def test_matrix_sessions_per_week_10_12(tmp_path: Path) -> None:
    inst = _copy(tmp_path, "clinic-matrix")
    _edit(inst / "activity_types.csv", "neuro,Neurology,1,,5,", "neuro,Neurology,1,,1000000000000,")
    line = _refused(tmp_path, "matrix", inst)
    assert (
        "activity_types.csv row 2, field 'sessions_per_week': Input should be less than or "
        "equal to 1000"
    ) in line, line


def test_matrix_every_room_closed_is_explained(tmp_path: Path) -> None:
    # every room closed in every session: no crash; a result that says why nothing is placed
    inst = _copy(tmp_path, "clinic-matrix")
    rooms = pd.read_csv(inst / "rooms.csv")["room"]
    (inst / "room_closed.csv").write_text(
        "room,weekday,session\n" + "".join(f"{r},,\n" for r in rooms), encoding="utf-8"
    )
    (inst / "pinned.csv").write_text("room,weekday,session,activity_type\n", encoding="utf-8")
    code, output, out = _run(tmp_path, "matrix", str(inst))
    assert code == 0, output
    assert "Traceback" not in output
    assert (
        "neuro (priority 1) needs 5 sessions a week, gets 0 (5 short): the rooms have 0 open "
        "sessions a week"
    ) in output
    assert (out / "result.json").exists()


def test_matrix_pin_in_a_closed_room_is_an_input_error(tmp_path: Path) -> None:
    inst = _copy(tmp_path, "clinic-matrix")
    (inst / "room_closed.csv").write_text("room,weekday,session\nR4,,\n", encoding="utf-8")
    line = _refused(tmp_path, "matrix", inst)
    assert "pinned.csv row 2, field 'room': room 'R4' is closed on Monday am" in line

"""The fixed corpus of issue 16: every case the outside fuzz test found, as a regression test.

Cases that already have a test elsewhere (tests/test_reading.py, tests/test_limits.py,
tests/rostering/test_curtois_input.py) are listed in :data:`ELSEWHERE` and only checked to be
still there; the rest are tested here through the command line, each asserting the exact
behaviour: exit 2 with one line naming the file, row and field and nothing written, or
accepted (exit 0) with the right numbers.
"""

from __future__ import annotations

import importlib
import json
import shutil
import time
from collections.abc import Callable
from datetime import datetime
from datetime import time as dtime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner, Result

from fuzz.harness import (
    CURTOIS,
    INSTANCES,
    alias_bomb,
    balance_result,
    check_result_folder,
    to_workbook,
)
from pks_opt.commands import main

SEED = INSTANCES / "seed-inpatient"
REGION = INSTANCES / "region-small"
#: the seed with round2: 8 400 bed-days needed at 95 % occupancy against 7 300 available
#: round 2's bed gap: 24.22 beds needed, planned 24 (rounded as the planner rounds): 24 × 365
#: bed-days planned against 20 staffed beds × 365 (``total_positive_gap``)
ROUND2_GAP = 4 * 365

# ----------------------------------------------------------------------------- elsewhere

#: issue case -> the existing test(s) that hold it (module, function[, parametrize id])
ELSEWHERE: list[tuple[str, str, str, str | None]] = [
    (
        "latin-1 instance.yaml and scenario (reader)",
        "test_reading",
        "test_latin1_instance_yaml_and_scenario_are_read",
        None,
    ),
    (
        "/dev/zero as a table (reader)",
        "test_reading",
        "test_device_or_folder_as_table_is_refused_before_reading",
        "/dev/zero",
    ),
    (
        "start_date 2027-02-30",
        "test_limits",
        "test_roster_value_out_of_range",
        "start_date 2027-02-30",
    ),
    (
        "start_date 2027-02-30 (CLI, one line)",
        "test_reading",
        "test_impossible_yaml_date_names_file_and_field",
        None,
    ),
    ("roster weeks 1e12 (folder)", "test_limits", "test_roster_value_out_of_range", "weeks 10**12"),
    ("roster weeks 1e12 (.xlsx)", "test_limits", "test_roster_workbook_weeks_10_12", None),
    ("all rooms closed", "test_limits", "test_matrix_every_room_closed_is_explained", None),
    (
        "Curtois negative cover",
        "rostering.test_curtois_input",
        "test_bad_value_names_line_section_and_field",
        "negative requirement",
    ),
    (
        "Curtois negative under-cover weight",
        "rostering.test_curtois_input",
        "test_bad_value_names_line_section_and_field",
        "negative under weight",
    ),
    (
        "Curtois negative request weight",
        "rostering.test_curtois_input",
        "test_bad_value_names_line_section_and_field",
        "negative request weight",
    ),
    (
        "Curtois horizon 1e12 (tiny file)",
        "rostering.test_curtois_input",
        "test_bad_value_names_line_section_and_field",
        "horizon 10**12",
    ),
    (
        "alias bomb as instance.yaml",
        "test_reading",
        "test_yaml_alias_bomb_is_refused_quickly",
        None,
    ),
    (
        "cut file: fewer fields than the header",
        "test_reading",
        "test_fewer_fields_than_the_header_is_an_error_naming_the_row",
        None,
    ),
    (
        "cut file: last row without line break",
        "test_reading",
        "test_last_row_without_line_break_is_an_error",
        None,
    ),
    (
        ".xlsx formula without a stored value (CLI)",
        "test_reading",
        "test_xlsx_formula_through_the_cli_exit_2_nothing_written",
        None,
    ),
    (".xlsx #DIV/0! (reader)", "test_reading", "test_xlsx_error_cells_are_refused", "#DIV/0!"),
    (
        ".xlsx TRUE in a numeric column (reader)",
        "test_reading",
        "test_xlsx_boolean_in_a_numeric_column_is_refused",
        None,
    ),
    (
        "day shift 17:00-08:00",
        "test_limits",
        "test_roster_value_out_of_range",
        "day shift over midnight",
    ),
    ("shift end 03:30 (20.5 h)", "test_limits", "test_roster_value_out_of_range", "20.5 h shift"),
    (
        "Curtois cut inside SECTION_COVER",
        "rostering.test_curtois_input",
        "test_file_cut_inside_cover_is_an_input_error",
        None,
    ),
    (
        "Curtois section repeated",
        "rostering.test_curtois_input",
        "test_repeated_section_is_an_input_error",
        None,
    ),
    (
        "Curtois MaxShifts -1",
        "rostering.test_curtois_input",
        "test_bad_value_names_line_section_and_field",
        "MaxShifts -1",
    ),
    ("Excel date and time cells (reader)", "test_reading", "test_xlsx_cell_kinds", None),
    ("ids 1001, 007, NA (CSV)", "test_reading", "test_csv_ids_are_kept_as_written", None),
    ("Curtois UTF-8 BOM", "rostering.test_curtois_input", "test_utf8_bom_is_accepted", None),
]


@pytest.mark.parametrize(
    ("case", "module", "function", "param"), ELSEWHERE, ids=[c[0] for c in ELSEWHERE]
)
def test_case_is_held_by_an_existing_test(
    case: str, module: str, function: str, param: str | None
) -> None:
    test = getattr(importlib.import_module(module), function, None)
    assert callable(test), f"{case}: {module}.{function} is gone"
    if param is not None:
        marks = [m for m in getattr(test, "pytestmark", []) if m.name == "parametrize"]
        ids = [i for m in marks for i in (m.kwargs.get("ids") or [])]
        values = [v for m in marks for v in m.args[1]]
        assert param in ids or param in values, f"{case}: {function}[{param}] is gone"


# ----------------------------------------------------------------------------- helpers


def _run(tmp_path: Path, *args: str) -> tuple[Result, Path]:
    out = tmp_path / "out"
    res = CliRunner().invoke(main, [*args, "--out", str(out)])
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    return res, out


def _refused(tmp_path: Path, *args: str) -> str:
    res, out = _run(tmp_path, *args)
    assert res.exit_code == 2, res.output
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith((".out.", "out.lock"))]
    return lines[0]


def _accepted(tmp_path: Path, *args: str) -> tuple[dict, Path, str]:
    res, out = _run(tmp_path, *args)
    assert res.exit_code == 0, res.output
    assert check_result_folder(out) == []
    return json.loads((out / "result.json").read_text()), out, res.stderr


def _copy(tmp_path: Path, src: Path, name: str | None = None) -> Path:
    dst = tmp_path / (name or src.name)
    shutil.copytree(src, dst)
    return dst


def _cut_after(path: Path, text: str) -> int:
    """Cut the file right after ``text``; the row it is cut in (the header is row 1)."""
    data = path.read_bytes()
    i = data.index(text.encode())
    path.write_bytes(data[: i + len(text)])
    return data[:i].count(b"\n") + 1


def _set_cell(book: Path, sheet: str, ref: str, value: object) -> None:
    wb = openpyxl.load_workbook(book)
    wb[sheet][ref].value = value
    wb.save(book)


def _need_gap(tmp_path: Path, instance: Path, *scenarios: Path) -> float:
    args = ["need", str(instance)]
    for s in scenarios:
        args += ["--scenario", str(s)]
    env, _, _ = _accepted(tmp_path, *args)
    return float(env["kpis"]["total_positive_gap"])


# ----------------------------------------------------------------------------- encodings


def test_latin1_scenario_through_need(tmp_path: Path) -> None:
    scen = tmp_path / "omgång2.yaml"
    text = (SEED / "round2.yaml").read_text().replace("name: round2", "name: Förändring på Årsta")
    scen.write_bytes(text.encode("latin-1"))
    env, _, _ = _accepted(tmp_path, "need", str(SEED), "--scenario", str(scen))
    assert env["kpis"]["total_positive_gap"] == pytest.approx(ROUND2_GAP)
    assert env["instance"] == "seed-inpatient + Förändring på Årsta"


def test_latin1_instance_yaml_through_need(tmp_path: Path) -> None:
    inst = _copy(tmp_path, SEED)
    manifest = (inst / "instance.yaml").read_text()
    assert "name: seed-inpatient" in manifest
    (inst / "instance.yaml").write_bytes(
        manifest.replace("name: seed-inpatient", "name: Södra Älvsborg").encode("latin-1")
    )
    env, _, _ = _accepted(tmp_path, "need", str(inst), "--scenario", str(SEED / "round2.yaml"))
    assert env["instance"] == "Södra Älvsborg + round2"
    assert env["kpis"]["total_positive_gap"] == pytest.approx(ROUND2_GAP)


# ----------------------------------------------------------------------------- special files


def test_dev_zero_as_a_table_path_is_outside_the_folder(tmp_path: Path) -> None:
    inst = _copy(tmp_path, SEED)
    with (inst / "instance.yaml").open("a") as f:
        f.write("tables:\n  units: /dev/zero\n")
    line = _refused(tmp_path, "need", str(inst))
    assert line == (
        f"error: {inst / 'instance.yaml'}, field 'tables': table 'units' points to "
        "'/dev/zero', outside the instance folder (copy the file into the folder)"
    )


def test_dev_zero_linked_as_a_table_is_not_read(tmp_path: Path) -> None:
    inst = _copy(tmp_path, SEED)
    (inst / "units.csv").unlink()
    (inst / "units.csv").symlink_to("/dev/zero")
    t0 = time.perf_counter()
    line = _refused(tmp_path, "need", str(inst))
    assert time.perf_counter() - t0 < 5
    assert line.startswith(f"error: {inst / 'units.csv'}: not a regular file"), line


# ----------------------------------------------------------------------------- dates


def test_impossible_date_in_a_scenario(tmp_path: Path) -> None:
    scen = tmp_path / "s.yaml"
    scen.write_text(
        "changes:\n  - table: demand\n    where: {unit: WARD}\n    set: {period: 2027-02-30}\n"
    )
    line = _refused(tmp_path, "need", str(SEED), "--scenario", str(scen))
    assert line == (
        f"error: {scen} change 1, field 'period': period '2027-02-30' is not defined (demand row 4)"
    )


# ----------------------------------------------------------------------------- YAML alias bomb


@pytest.mark.parametrize("command", ["need", "balance"])
def test_alias_bomb_as_a_scenario_where_list(tmp_path: Path, command: str) -> None:
    scen = tmp_path / "bomb.yaml"
    scen.write_text(
        "changes:\n  - table: demand\n    where: {unit: " + alias_bomb() + "}\n"
        "    scale: {base_volume: 1.1}\n"
    )
    t0 = time.perf_counter()
    line = _refused(tmp_path, command, str(REGION), "--scenario", str(scen))
    assert time.perf_counter() - t0 < 5
    assert line.startswith(f"error: {scen}: too many YAML aliases"), line


# ----------------------------------------------------------------------------- Curtois


@pytest.mark.skipif(not (CURTOIS / "Instance1.txt").exists(), reason="no Curtois files here")
def test_curtois_horizon_10_12_is_refused_quickly(tmp_path: Path) -> None:
    f = tmp_path / "Instance1.txt"
    text = (CURTOIS / "Instance1.txt").read_text()
    assert "\n14\n" in text
    f.write_text(text.replace("\n14\n", "\n1000000000000\n", 1))
    t0 = time.perf_counter()
    line = _refused(tmp_path, "roster", str(f), "--quiet")
    assert time.perf_counter() - t0 < 5
    assert line == (
        f"error: {f} row 5, field 'horizon': SECTION_HORIZON: the horizon must be "
        "1..364 days (got 1000000000000)"
    )


# ----------------------------------------------------------------------------- cut files

CUTS: list[tuple[str, str, str, str, list[str], int]] = [
    # (case, instance, file, cut after, extra args, the row it is cut in)
    ("demand.csv cut mid-number", "seed-inpatient", "demand.csv", "WARD,admission,,,0.2", [], 4),
    ("staff.csv cut after n09,nurse,", "clinic-roster", "staff.csv", "n09,nurse,", ["--quiet"], 17),
    ("room_closed.csv cut after R3,4", "clinic-matrix", "room_closed.csv", "R3,4", [], 4),
    (
        "demand file cut mid-row",
        "ward-roster-short",
        "demand.csv",
        ",3,E,RN,2,1,1",
        ["--quiet"],
        24,
    ),
]
COMMAND = {
    "seed-inpatient": "need",
    "clinic-roster": "roster",
    "clinic-matrix": "matrix",
    "ward-roster-short": "roster",
}


@pytest.mark.parametrize(
    ("case", "instance", "file", "after", "extra", "row"), CUTS, ids=[c[0] for c in CUTS]
)
def test_cut_file(
    tmp_path: Path, case: str, instance: str, file: str, after: str, extra: list[str], row: int
) -> None:
    inst = _copy(tmp_path, INSTANCES / instance)
    assert _cut_after(inst / file, after) == row
    line = _refused(tmp_path, COMMAND[instance], str(inst), *extra)
    assert line == (
        f"error: {inst / file} row {row}: the file ends inside row {row} without a "
        "line break: it may be cut; if the row is complete, end the file with a "
        "line break"
    ), line


# ----------------------------------------------------------------------------- .xlsx cells


def _seed_book(tmp_path: Path) -> Path:
    book = tmp_path / "seed.xlsx"
    to_workbook(SEED, book)
    return book


def test_seed_workbook_gives_the_seed_numbers(tmp_path: Path) -> None:
    book = _seed_book(tmp_path)
    assert _need_gap(tmp_path, book, SEED / "round2.yaml") == pytest.approx(ROUND2_GAP)


XLSX_BAD: list[tuple[str, str, str, object, str]] = [
    # (case, sheet, cell, value, message after "book[sheet] ")
    (
        "formula without a stored value",
        "beds",
        "C2",
        "=0.02*1",
        "row 2, field 'staffed_beds': cell beds!C2 holds a formula without a stored value: open "
        "and save the workbook in Excel so the values are stored",
    ),
    (
        "#DIV/0!",
        "beds",
        "C2",
        "#DIV/0!",
        "row 2, field 'staffed_beds': cell beds!C2 holds the error #DIV/0!: correct the formula "
        "or the cells it uses",
    ),
    (
        "TRUE in a numeric column",
        "beds",
        "C2",
        True,
        "row 2, field 'staffed_beds': cell beds!C2: Input should be a valid number, unable to "
        "parse string as a number (got 'TRUE')",
    ),
    (
        "NaN",
        "beds",
        "C2",
        "NaN",
        "row 2, field 'staffed_beds': cell beds!C2: Input should be a finite number (got 'NaN')",
    ),
    # a NaN number openpyxl writes as an empty <v/>: read as a blank cell
    (
        "NaN number",
        "beds",
        "C2",
        float("nan"),
        "row 2, field 'staffed_beds': cell beds!C2 is empty: a number is needed",
    ),
]


@pytest.mark.parametrize(
    ("case", "sheet", "cell", "value", "message"), XLSX_BAD, ids=[c[0] for c in XLSX_BAD]
)
def test_xlsx_cell_through_need(
    tmp_path: Path, case: str, sheet: str, cell: str, value: object, message: str
) -> None:
    book = _seed_book(tmp_path)
    wb = openpyxl.load_workbook(book)
    assert wb[sheet]["C1"].value == "staffed_beds"
    _set_cell(book, sheet, cell, value)
    line = _refused(tmp_path, "need", str(book))
    assert line.startswith(f"error: {book}[{sheet}] {message}"), line


#: an empty cell where a number is needed, one per level's workbook: (level, instance folder,
#: command line before the workbook, after it, sheet, cell, field)
EMPTY_NUMBER_CELLS = [
    ("need", SEED, ["need"], [], "beds", "C2", "staffed_beds"),
    ("balance", REGION, ["balance"], ["--time-limit", "5"], "staff", "D7", "fte"),
    ("plan", INSTANCES / "clinic-plan", ["plan"], [], "resources", "C3", "hours_per_week"),
    ("matrix", INSTANCES / "clinic-matrix", ["matrix"], [], "activity_staff", "C7", "staff"),
    ("roster", INSTANCES / "ward-roster-short", ["roster"], [], "demand", "E7", "staff"),
]


@pytest.mark.parametrize("value", [None, float("nan")], ids=["blank", "NaN number"])
@pytest.mark.parametrize(
    ("level", "instance", "before", "after", "sheet", "cell", "field"),
    EMPTY_NUMBER_CELLS,
    ids=[c[0] for c in EMPTY_NUMBER_CELLS],
)
def test_xlsx_empty_number_cell_names_sheet_row_column_and_field(
    tmp_path: Path,
    level: str,
    instance: Path,
    before: list[str],
    after: list[str],
    sheet: str,
    cell: str,
    field: str,
    value: object,
) -> None:
    # the same as the CSV's "<file> row 7, field 'fte': missing value", plus the cell as Excel
    # names it (a NaN number is written by openpyxl as an empty value: a blank cell)
    book = tmp_path / f"{level}.xlsx"
    to_workbook(instance, book)
    assert openpyxl.load_workbook(book)[sheet][f"{cell[0]}1"].value == field
    _set_cell(book, sheet, cell, value)
    line = _refused(tmp_path, *before, str(book), *after)
    assert line == (
        f"error: {book}[{sheet}] row {cell[1:]}, field '{field}': cell {sheet}!{cell} is empty:"
        " a number is needed"
    )


def test_xlsx_empty_parameter_cell_names_the_instance_sheet_row(tmp_path: Path) -> None:
    book = tmp_path / "plan.xlsx"
    to_workbook(INSTANCES / "clinic-plan", book)
    ws = openpyxl.load_workbook(book)["instance"]
    row = next(
        r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "parameters.change_weight"
    )
    _set_cell(book, "instance", f"B{row}", None)
    line = _refused(tmp_path, "plan", str(book))
    assert line == (
        f"error: {book}[instance] row {row}, field 'parameters.change_weight': cell instance!B{row}"
        " is empty: a number is needed"
    )


# ----------------------------------------------------------------------------- care need


def test_negative_base_volume_is_an_error(tmp_path: Path) -> None:
    inst = _copy(tmp_path, SEED)
    text = (inst / "demand.csv").read_text()
    (inst / "demand.csv").write_text(
        text.replace("REGION,admission,,40000,", "REGION,admission,,-5,")
    )
    line = _refused(tmp_path, "need", str(inst))
    assert line == (
        f"error: {inst / 'demand.csv'} row 2, field 'base_volume': Input should be "
        "greater than or equal to 0 (got '-5')"
    )


def test_negative_care_need_from_a_mission_change_cell_names_the_row(tmp_path: Path) -> None:
    inst = _copy(tmp_path, SEED)
    text = (inst / "demand.csv").read_text()
    (inst / "demand.csv").write_text(
        text.replace("WARD,admission,,,0.25,0,0,", "WARD,admission,,,0.25,0,-3000,")
    )
    env, out, stderr = _accepted(tmp_path, "need", str(inst))
    warning = (
        f"{inst / 'demand.csv'} row 4, field 'mission_change': care need of "
        "WARD/admission/2026 is negative (2000 + mission_change -3000 = -1000); 0 used"
    )
    assert warning in env["warnings"]
    need = pd.read_csv(out / "production_need.csv")
    ward = need[(need.unit == "WARD") & (need.planning_object == "admission")]
    assert ward["care_need"].tolist() == [0.0] and ward["production_need"].tolist() == [0.0]


def test_negative_care_need_from_a_scenario_names_the_change(tmp_path: Path) -> None:
    scen = tmp_path / "move.yaml"
    scen.write_text(
        "changes:\n  - table: demand\n    where: {unit: WARD, planning_object: "
        "admission}\n    set: {mission_change: -5000}\n"
    )
    env, _, _ = _accepted(tmp_path, "need", str(SEED), "--scenario", str(scen))
    assert (
        f"{scen} change 1, field 'mission_change': care need of WARD/admission/2026 is "
        "negative (2000 + mission_change -5000 = -3000); 0 used (demand row 4)"
    ) in env["warnings"]


# ----------------------------------------------------------------------------- legal input

TINY_SHIFTS = "id,start,end,paid_minutes,category\nD,07:00,15:00,480,day\n"


def _tiny_roster(folder: Path, staff_ids: list[str]) -> Path:
    from rostering.conftest import write_instance

    staff = "id,competences\n" + "".join(f"{s},RN\n" for s in staff_ids)
    return write_instance(
        folder,
        staff=staff,
        shifts=TINY_SHIFTS,
        demand="weekday,shift,competence,staff\n" + "".join(f"{d},D,RN,1\n" for d in range(7)),
    )


def _roster(tmp_path: Path, instance: Path) -> pd.DataFrame:
    env, out, _ = _accepted(tmp_path, "roster", str(instance), "--quiet", "--time-limit", "5")
    assert env["kpis"]["tier1_short_shifts"] == 0
    return pd.read_csv(out / "assignments.csv", dtype=str, keep_default_na=False)


def test_excel_date_and_time_cells_and_numeric_ids_are_accepted(tmp_path: Path) -> None:
    folder = _tiny_roster(tmp_path / "tiny", ["1001", "1002"])
    book = tmp_path / "tiny.xlsx"
    to_workbook(folder, book)
    wb = openpyxl.load_workbook(book)
    params = {ws_row[0].value: ws_row[1] for ws_row in wb["instance"].iter_rows(min_row=2)}
    params["parameters.start_date"].value = datetime(2026, 3, 30)  # a real date cell
    wb["shifts"]["B2"].value = dtime(7, 0)  # real time cells
    wb["shifts"]["C2"].value = dtime(15, 0)
    assert wb["staff"]["A2"].value == 1001  # a number cell, as Excel stores 1001
    wb.save(book)
    expected = _roster(tmp_path / "a", folder)
    got = _roster(tmp_path / "b", book)
    assert set(got["staff"]) <= {"1001", "1002"} and len(got) == 3
    pd.testing.assert_frame_equal(expected, got)


def test_staff_id_na_is_an_id(tmp_path: Path) -> None:
    folder = _tiny_roster(tmp_path / "tiny", ["NA", "N/A"])
    got = _roster(tmp_path, folder)
    assert set(got["staff"]) <= {"NA", "N/A"} and len(got) == 3


# ----------------------------------------------------------------------------- found by fuzzing


def test_an_error_after_warnings_is_the_last_line(tmp_path: Path) -> None:
    # a demand row asking for more people than hold the competence (warned: at least 1 short)
    # and a bad reference (the error): the warning is printed above the error, which stays
    # the last line on stderr
    inst = tmp_path / "roster"
    shutil.copytree(INSTANCES / "ward-roster-short", inst)
    demand = (inst / "demand.csv").read_text().splitlines()
    demand[1] = ",".join([*demand[1].split(",")[:4], "40", *demand[1].split(",")[5:]])
    (inst / "demand.csv").write_text("\n".join(demand) + "\n")
    (inst / "wishes.csv").write_text((inst / "wishes.csv").read_text().replace("RN", "XX", 1))
    res, out = _run(tmp_path, "roster", str(inst), "--time-limit", "1")
    assert res.exit_code == 2
    lines = res.stderr.splitlines()
    assert lines[0].startswith(f"warning: {inst / 'demand.csv'} row 2, field 'staff': asks 40")
    assert lines[-1].startswith(f"error: {inst / 'wishes.csv'} row ")
    assert "is not defined" in lines[-1]


def test_a_misspelt_column_is_an_error_with_did_you_mean(tmp_path: Path) -> None:
    inst = _copy(tmp_path, SEED)
    units = (inst / "units.csv").read_text()
    (inst / "units.csv").write_text(units.replace("unit,name,parent", "unit,name,parnet", 1))
    res, out = _run(tmp_path, "need", str(inst))
    assert res.exit_code == 2
    assert res.stderr.splitlines() == [
        f"error: {inst / 'units.csv'} row 1, field 'parnet': unknown column 'parnet' (did you "
        "mean 'parent'?); a column for your own notes must be named 'comment' or 'note' or "
        "start with '#'"
    ]
    assert not out.exists()


PUBLISHED = INSTANCES / "clinic-followup" / "published-plan"
ACTUALS = INSTANCES / "clinic-followup" / "actuals"

_CAPACITY_ROWS = len((PUBLISHED / "capacity_use.csv").read_text().splitlines())


def _header_again(text: str) -> str:
    lines = text.split("\n")
    return "\n".join([*lines[:2], lines[0], *lines[2:]])  # the header again as row 3


PLAN_FOLDER_BAD: list[tuple[str, str, Callable[[str], str], str]] = [
    # (case, file, edit, message after "<file> ") — the first three were tracebacks
    (
        "week 1.109",
        "production_plan.csv",
        lambda t: t.replace("\nneuro,3,normal,", "\nneuro,1.109,normal,", 1),
        "row 56, field 'week': expected a week number 1..156 (got 1.109)",
    ),
    (
        "header only",
        "production_plan.csv",
        lambda t: t.split("\n", 1)[0] + "\n",
        "row 1: no rows (the table has only its header)",
    ),
    (
        "header repeated",
        "capacity_use.csv",
        _header_again,
        "row 3, field 'week': expected a week number 1..156 (got 'week')",
    ),
    (
        "a week missing",
        "production_plan.csv",
        lambda t: t.replace(
            next(ln for ln in t.split("\n") if ln.startswith("neuro,7,")) + "\n", "", 1
        ),
        ", field 'week': planning_object 'neuro' has no row for week 7 (the plan runs to week 52; "
        "is the file cut?)",
    ),
    (
        "a week twice",
        "capacity_use.csv",
        lambda t: t + next(ln for ln in t.split("\n") if ln.startswith("2,")) + "\n",
        f"row {_CAPACITY_ROWS + 1}, field 'week': a second row for resource 'physician', week 2 "
        "(first on row 5)",
    ),
]


@pytest.mark.parametrize(
    ("case", "file", "edit", "message"), PLAN_FOLDER_BAD, ids=[c[0] for c in PLAN_FOLDER_BAD]
)
def test_follow_up_plan_folder_damaged(
    tmp_path: Path, case: str, file: str, edit: Callable[[str], str], message: str
) -> None:
    published = _copy(tmp_path, PUBLISHED)
    before = (published / file).read_text()
    after = edit(before)
    assert after != before
    (published / file).write_text(after)
    line = _refused(tmp_path, "follow-up", str(published), str(ACTUALS))
    sep = "" if message.startswith(",") else " "
    assert line == f"error: {published / file}{sep}{message}", line


ROSTER_PUBLISHED = INSTANCES / "ward-followup" / "published-roster"
ROSTER_ACTUALS = INSTANCES / "ward-followup" / "actuals"


def _coverage_cut(t: str) -> str:
    return t[: t.index("\n", t.index("\n") + 1) + 12]  # inside row 3


RESULT_TABLE_BAD: list[tuple[str, Path, Path, str, Callable[[str], str], str]] = [
    # (case, result folder, actuals, file, edit, message after "<file> ") — tracebacks before
    (
        "roster coverage.csv cut",
        ROSTER_PUBLISHED,
        ROSTER_ACTUALS,
        "coverage.csv",
        _coverage_cut,
        "row 3: the file ends inside row 3 without a line break: it may be cut; if the row is "
        "complete, end the file with a line break",
    ),
    (
        "roster coverage row with a field missing",
        ROSTER_PUBLISHED,
        ROSTER_ACTUALS,
        "coverage.csv",
        lambda t: t.replace("\n", "\n2026-03-30\n", 1),
        "row 2: malformed CSV: 1 field(s), the header has 11",
    ),
    (
        "roster coverage 'required' not a count",
        ROSTER_PUBLISHED,
        ROSTER_ACTUALS,
        "coverage.csv",
        lambda t: "\n".join(
            [
                t.split("\n")[0],
                ",".join(
                    "1.5" if h == "required" else v
                    for h, v in zip(
                        t.split("\n")[0].split(","), t.split("\n")[1].split(","), strict=True
                    )
                ),
                *t.split("\n")[2:],
            ]
        ),
        "row 2, field 'required': expected a whole number >= 0 (got '1.5')",
    ),
    (
        "roster assignment of someone not in the roster",
        ROSTER_PUBLISHED,
        ROSTER_ACTUALS,
        "assignments.csv",
        lambda t: t.replace("\nLAK1,2026-03-30,J,", "\nX9,2026-03-30,J,", 1),
        "row 2, field 'staff': staff 'X9' is not in roster.csv (the result folder's tables do not "
        "belong together)",
    ),
    (
        "plan production_plan.csv cut mid-row",
        PUBLISHED,
        ACTUALS,
        "production_plan.csv",
        lambda t: t[: t.index("\nneuro,3,") + 9],
        "row 56: the file ends inside row 56 without a line break: it may be cut; if the row is "
        "complete, end the file with a line break",
    ),
]


@pytest.mark.parametrize(
    ("case", "folder", "actuals", "file", "edit", "message"),
    RESULT_TABLE_BAD,
    ids=[c[0] for c in RESULT_TABLE_BAD],
)
def test_follow_up_result_table_damaged(
    tmp_path: Path,
    case: str,
    folder: Path,
    actuals: Path,
    file: str,
    edit: Callable[[str], str],
    message: str,
) -> None:
    published = _copy(tmp_path, folder)
    before = (published / file).read_text()
    (published / file).write_text(edit(before))
    line = _refused(tmp_path, "follow-up", str(published), str(actuals))
    assert line == f"error: {published / file} {message}", line


PLAN_HUGE: list[tuple[str, str, str, str, str]] = [
    # (case, file, old, new, message after "<file> ") — the first was an IndexError in PuLP's
    # HiGHS interface (found by the fuzzer in the workbook form of clinic-plan)
    (
        "hours_per_activity 3.46e16",
        "activity_hours.csv",
        "neuro,room,1.0",
        "neuro,room,3.4573428023361536e+16",
        "row 7, field 'hours_per_activity': Input should be less than or equal to 168 (got "
        "'3.4573428023361536e+16')",
    ),
    (
        "hours_per_week 1e12",
        "resources.csv",
        "physician,Physician hours (specialists),200,",
        "physician,Physician hours (specialists),1e12,",
        "row 2, field 'hours_per_week': Input should be less than or equal to 10000000 (got "
        "'1e12')",
    ),
    (
        "queue_start 1e12",
        "planning_objects.csv",
        "cardio,Cardiology visits,1,4,270,",
        "cardio,Cardiology visits,1,4,1000000000000,",
        "row 2, field 'queue_start': Input should be less than or equal to 10000000 (got "
        "'1000000000000')",
    ),
    # a weight of 1e300 was an IndexError in PuLP's HiGHS interface; 1e12 gave a plan whose
    # objective was 1.2e18 with every stage merely feasible (MAX_PLAN_WEIGHT = 10 000)
    (
        "change_weight 1e300",
        "instance.yaml",
        "  change_weight: 5 ",
        "  change_weight: 1e300 ",
        "field 'parameters.change_weight': at most 10 000: the weights price terms against each"
        " other within one priority (the defaults are 0.2-10); for a strict order give the"
        " planning objects different priorities (got '1e300')",
    ),
    (
        "goal_shortfall_weight 1e12",
        "instance.yaml",
        "  goal_shortfall_weight: 10 ",
        "  goal_shortfall_weight: 1.0e+12 ",
        "field 'parameters.goal_shortfall_weight': at most 10 000: the weights price terms against"
        " each other within one priority (the defaults are 0.2-10); for a strict order give the"
        " planning objects different priorities (got 1000000000000.0)",
    ),
    (
        "inflow_weight 1e308",
        "weeks.csv",
        "\n3,normal,1.0,1.0\n",
        "\n3,normal,1.0,1e308\n",
        "row 4, field 'inflow_weight': at most 10 000: the inflow weight is relative to the other"
        " weeks (1 is a normal week) (got '1e308')",
    ),
    (
        "stage_tolerance 5",
        "instance.yaml",
        "parameters:\n",
        "parameters:\n  stage_tolerance: 5\n",
        "field 'parameters.stage_tolerance': Input should be less than or equal to 1 (got 5)",
    ),
]


def test_plan_weights_at_their_maximum_are_read_as_given(tmp_path: Path) -> None:
    # MAX_PLAN_WEIGHT itself is legal (the refusal starts above it)
    from pks_opt.limits import MAX_PLAN_WEIGHT
    from pks_opt.production_plan.data import read_plan

    inst = _copy(tmp_path, INSTANCES / "clinic-plan")
    text = (inst / "instance.yaml").read_text()
    (inst / "instance.yaml").write_text(
        text.replace("  change_weight: 5 ", "  change_weight: 10000 ").replace(
            "  goal_shortfall_weight: 10 ", "  goal_shortfall_weight: 1e4 "
        )
    )
    par = read_plan(inst).parameters
    assert par.change_weight == par.goal_shortfall_weight == MAX_PLAN_WEIGHT


@pytest.mark.parametrize(
    ("case", "file", "old", "new", "message"), PLAN_HUGE, ids=[c[0] for c in PLAN_HUGE]
)
def test_plan_huge_value_is_an_input_error(
    tmp_path: Path, case: str, file: str, old: str, new: str, message: str
) -> None:
    inst = _copy(tmp_path, INSTANCES / "clinic-plan")
    text = (inst / file).read_text()
    assert old in text
    (inst / file).write_text(text.replace(old, new, 1))
    line = _refused(tmp_path, "plan", str(inst), "--max-nodes", "20", "--time-limit", "5")
    sep = " " if message.startswith("row ") else ", "  # a manifest key has no row
    assert line == f"error: {inst / file}{sep}{message}", line


# ----------------------------------------------------------------------------- balance follow-up


def _set_csv_cell(lines: list[str], row: int, column: str, value: str) -> None:
    """Write ``value`` into ``column`` of CSV line ``row`` (the header is line 0)."""
    cells = lines[row].split(",")
    cells[lines[0].split(",").index(column)] = value
    lines[row] = ",".join(cells)


BALANCE_FOLLOWUP_DAMAGED: list[tuple[str, str, Callable[[list[str]], None], str]] = [
    # (case, table, how the lines are damaged, message after "<table> ") — the first was a
    # ValueError traceback (float('available_after')) found by the fuzzer
    (
        "header repeated",
        "utilisation.csv",
        lambda lines: lines.insert(4, lines[0]),
        "row 5, field 'available_after': must be a number of at least 0 (got 'available_after')",
    ),
    (
        "row pasted twice",
        "production_goals.csv",
        lambda lines: lines.insert(6, lines[2]),
        "row 7, field 'unit': duplicate unit/planning_object/period ('IVA', 'icu_admission', "
        "'2027Q2') (first on row 3)",
    ),
    (
        "goal blank",
        "production_goals.csv",
        lambda lines: _set_csv_cell(lines, 1, "goal", ""),
        "row 2, field 'goal': must be a number of at least 0 (got a blank cell)",
    ),
    (
        "need negative",
        "production_goals.csv",
        lambda lines: _set_csv_cell(lines, 1, "need", "-56.1"),
        "row 2, field 'need': must be a number of at least 0 (got '-56.1')",
    ),
    # a blank id was read as the unit 'nan' (pandas' NaN through astype(str))
    (
        "unit blank",
        "utilisation.csv",
        lambda lines: lines.__setitem__(1, lines[1].replace("IVA,", ",", 1)),
        "row 2, field 'unit': missing value",
    ),
    # the error named '--year' and no file ("no period of year 2027 (periods: )")
    (
        "header only",
        "production_goals.csv",
        lambda lines: lines.__delitem__(slice(1, -1)),  # the last line break kept
        "row 2: no rows after the header: a balance result has a row per unit and quarter",
    ),
]


@pytest.mark.parametrize(
    ("case", "table", "damage", "message"),
    BALANCE_FOLLOWUP_DAMAGED,
    ids=[c[0] for c in BALANCE_FOLLOWUP_DAMAGED],
)
def test_balance_follow_up_of_a_damaged_balance_folder(
    tmp_path: Path, case: str, table: str, damage: Callable[[list[str]], None], message: str
) -> None:
    balance = _copy(tmp_path, balance_result(), "balance")
    lines = (balance / table).read_text(encoding="utf-8").split("\n")
    assert lines[1].startswith("IVA,icu_admission,2027Q1,") or table != "production_goals.csv"
    damage(lines)
    (balance / table).write_text("\n".join(lines), encoding="utf-8")
    line = _refused(
        tmp_path,
        "follow-up",
        str(balance),
        str(INSTANCES / "clinic-followup" / "actuals"),
        "--resources-from",
        str(INSTANCES / "clinic-plan"),
        "--year",
        "2027",
    )
    assert line == f"error: {balance / table} {message}", line


# ----------------------------------------------------------------------------- huge numbers

REGION_HUGE: list[tuple[str, str, str, str, str]] = [
    # (case, file, old, new, message after "<file> ") — the first was an IndexError in PuLP's
    # HiGHS interface through the balance (found by the long fuzz run)
    (
        "demographic_growth 1e111",
        "demand.csv",
        "MEDCLIN,neuro,,450,0.02,",
        "MEDCLIN,neuro,,450,1.0063798053278197e+111,",
        "row 16, field 'demographic_growth': Input should be less than or equal to 1 (got "
        "'1.0063798053278197e+111')",
    ),
    (
        "base_cost 1e111",
        "budgets.csv",
        "KIR,150000000.0,",
        "KIR,1e111,",
        "row 2, field 'base_cost': 1e+111 is larger than any quantity pks reads (at most 1e+12 in"
        " size): check the cell",
    ),
]


@pytest.mark.parametrize(
    ("case", "file", "old", "new", "message"), REGION_HUGE, ids=[c[0] for c in REGION_HUGE]
)
def test_region_huge_value_is_an_input_error(
    tmp_path: Path, case: str, file: str, old: str, new: str, message: str
) -> None:
    inst = _copy(tmp_path, REGION)
    text = (inst / file).read_text()
    assert old in text
    (inst / file).write_text(text.replace(old, new, 1))
    line = _refused(tmp_path, "balance", str(inst), "--time-limit", "5")
    assert line == f"error: {inst / file} {message}", line

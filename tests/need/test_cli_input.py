"""`pks need` through the CLI: folder vs workbook, --share, and bad input (exit 2, one line,
nothing written)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from pks_opt.commands import main

from .tiny import TABLES, write_folder, write_workbook


def _invoke(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, ["need", *args])


def test_folder_and_workbook_give_the_same_result(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "tiny")
    book = write_workbook(folder, tmp_path / "tiny.xlsx")
    r1 = _invoke(str(folder), "--out", str(tmp_path / "o1"), "--excel")
    r2 = _invoke(str(book), "--out", str(tmp_path / "o2"))
    assert r1.exit_code == 0, r1.output
    assert r2.exit_code == 0, r2.output
    e1 = json.loads((tmp_path / "o1" / "result.json").read_text())
    e2 = json.loads((tmp_path / "o2" / "result.json").read_text())
    assert e1["objective"] is None and e2["objective"] is None  # COMPUTED: no objective
    assert e1["kpis"]["total_positive_gap"] == pytest.approx(203.25)  # test_formulas.py
    assert e1["kpis"] == e2["kpis"]
    for name in ("capacity_need", "available_capacity", "gaps", "staffing", "production_need"):
        a = pd.read_csv(tmp_path / "o1" / f"{name}.csv")
        b = pd.read_csv(tmp_path / "o2" / f"{name}.csv")
        pd.testing.assert_frame_equal(a, b)
    assert (tmp_path / "o1" / "tables.xlsx").exists()
    assert (tmp_path / "o1" / "need_vs_available.png").stat().st_size > 1000
    assert set(e1["tables"]) >= {"capacity_need", "available_capacity", "gaps", "staffing"}
    cols = pd.read_csv(tmp_path / "o1" / "capacity_need.csv").columns.tolist()
    assert cols == ["unit", "period", "resource", "need"]
    assert pd.read_csv(tmp_path / "o1" / "staffing.csv").columns[:4].tolist() == [
        "unit", "period", "role", "fte",
    ]  # fmt: skip


def test_share_option_and_json(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "tiny")
    res = _invoke(str(folder), "--share", "0.5", "--json")
    assert res.exit_code == 0, res.output
    env = json.loads(res.output)
    assert env["kind"] == "need" and env["kpis"]["acute_share"] == 0.5
    assert _invoke(str(folder), "--share", "1.5").exit_code == 2


def test_summary_names_the_most_limiting_capacity(tmp_path: Path) -> None:
    res = _invoke(str(write_folder(tmp_path / "tiny")))
    assert res.exit_code == 0
    assert "SURG Q2: or_hours 157.50 / 78 hours = 2.02" in res.output
    assert "SURG Q1: 105 admissions → 210 bed-days → 2.88 beds (planned 3" in res.output


BAD = [
    ({"units": "name\nSurgery\n"}, "units.csv row 1: missing column 'unit'"),
    (
        {"demand": "unit,planning_object,base_volume\nSURG,op,10\nXRAY,op,5\n"},
        "demand.csv row 3, field 'unit': unit 'XRAY' is not defined",
    ),
    (
        {"units": "unit\nSURG\nIMG\nSURG\n"},
        "units.csv row 4, field 'unit': duplicate unit 'SURG' (first on row 2)",
    ),
    (
        {"staff": "unit,function,resource,fte,annual_hours\nSURG,s,surgeon_hours,-1,1700\n"},
        "staff.csv row 2, field 'fte': Input should be greater than or equal to 0",
    ),
    (
        {"acute_arrivals": "unit,block,day,arrivals\nSURG,day,d1,nan\n"},
        "acute_arrivals.csv row 2, field 'arrivals'",
    ),
    (
        {"demand": "unit,planning_object,base_volume,share_of_parent\nSURG,op,10,0.5\n"},
        "demand.csv row 2, field 'base_volume': give exactly one of 'base_volume' and",
    ),
    (
        {"demand": "unit,planning_object,share_of_parent\nSURG,op,0.5\n"},
        "demand.csv row 2, field 'share_of_parent': unit 'SURG' has no parent",
    ),
    (
        {"units": "unit,parent\nSURG,IMG\nIMG,SURG\n"},
        "units.csv row 2, field 'parent': unit 'SURG' is its own ancestor",
    ),
    (
        {
            "activity_hours": "planning_object,resource,amount_per_activity\nop,laser_hours,1\n",
        },
        "activity_hours.csv row 2, field 'resource': resource 'laser_hours' is not defined",
    ),
    (
        {
            "improvements": "improvement,unit,effect,amount,realised\nx,SURG,capacity,5,true\n",
        },
        "improvements.csv row 2, field 'resource': an improvement with effect 'capacity' needs",
    ),
    (
        {"improvements": "improvement,unit,effect,amount,realised\nx,SURG,capacity,5,maybe\n"},
        "improvements.csv row 2, field 'realised'",
    ),
    ({"demand": None}, "missing table 'demand'"),
]


@pytest.mark.parametrize(("changes", "message"), BAD)
def test_bad_input_exit_2_one_line_nothing_written(
    tmp_path: Path, changes: dict[str, str | None], message: str
) -> None:
    folder = write_folder(tmp_path / "bad", changes)
    out = tmp_path / "out"
    res = _invoke(str(folder), "--out", str(out))
    assert res.exit_code == 2, res.output
    lines = [ln for ln in res.output.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1 and message in lines[0], res.output
    assert "Traceback" not in res.output
    assert not out.exists()


def test_workbook_missing_sheet(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "f", {"periods": None})
    book = write_workbook(folder, tmp_path / "t.xlsx")
    res = _invoke(str(book), "--out", str(tmp_path / "out"))
    assert res.exit_code == 2
    assert "t.xlsx: missing sheet 'periods'" in res.output
    assert not (tmp_path / "out").exists()


def test_wrong_kind_and_malformed_manifest(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "f", manifest={"kind": "roster", "name": "x"})
    res = _invoke(str(folder))
    assert res.exit_code == 2 and "expected 'strategic'" in res.output
    (folder / "instance.yaml").write_text("kind: strategic\nparameters: {bed_rounding: sideways}\n")
    res = _invoke(str(folder))
    assert res.exit_code == 2 and "field 'parameters.bed_rounding'" in res.output


def test_unknown_column_is_an_error_with_did_you_mean(tmp_path: Path) -> None:
    # A misspelt optional column would run on its default: an error naming it, with the
    # nearest known column; a notes column ('comment', or starting with '#') is fine.
    units = TABLES["units"].replace("unit,name,parent", "unit,name,parnet")
    res = _invoke(str(write_folder(tmp_path / "f", {"units": units})))
    assert res.exit_code == 2
    assert "row 1, field 'parnet': unknown column 'parnet' (did you mean 'parent'?)" in res.output
    notes = (
        TABLES["units"]
        .replace("unit,name,parent", "unit,name,parent,comment")
        .replace("Surgery,", "Surgery,,our biggest")
        .replace("Imaging,", "Imaging,,")  # every row has the new field (blank)
    )
    assert _invoke(str(write_folder(tmp_path / "g", {"units": notes}))).exit_code == 0


def test_summary_compacts_many_periods(tmp_path: Path) -> None:
    # 26 periods × 2 units = 52 "most limiting" rows > 24: one line per unit, its tightest
    # period. Period P07 has low-production factor 0.5, so it is the tightest for both units.
    periods = "period,days,low_production_factor\n" + "".join(
        f"P{i:02d},91,{0.5 if i == 7 else 1}\n" for i in range(1, 27)
    )
    changes = {
        "periods": periods,
        **{t: TABLES[t].replace("Q1", "P01").replace("Q2", "P02") for t in ("demand", "beds")},
        "improvements": TABLES["improvements"].replace("Q1", "P01"),
    }
    res = _invoke(str(write_folder(tmp_path / "f", changes)))
    assert res.exit_code == 0, res.output
    assert "tightest period" in res.output
    assert "  SURG P07: or_hours 157.50 / 78 hours = 2.02" in res.output
    assert "  IMG P07: imaging_hours 52.50 / 40 hours = 1.31" in res.output
    assert "SURG P01: or_hours" not in res.output
    assert "SURG P26" not in res.output and "(2 more in inpatient_beds.csv)" in res.output


def test_share_needs_parent_demand_in_every_period(tmp_path: Path) -> None:
    # The child takes a share in every period (blank), the parent has demand in Q1 only.
    units = "unit,parent\nREGION,\nSURG,REGION\nIMG,REGION\n"
    demand = (
        "unit,planning_object,period,base_volume,share_of_parent\n"
        "REGION,op,Q1,100,\nSURG,op,,,0.5\n"
    )
    res = _invoke(str(write_folder(tmp_path / "f", {"units": units, "demand": demand})))
    assert res.exit_code == 2
    assert (
        "demand.csv row 3, field 'share_of_parent': parent unit 'REGION' has no demand for 'op'"
        " in period 'Q2'" in res.output
    )
    ok = demand + "REGION,op,Q2,80,\n"  # now both periods are covered: 50 and 40 ops
    res = _invoke(str(write_folder(tmp_path / "g", {"units": units, "demand": ok})), "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["kpis"]["production_need_total"] == pytest.approx(90)


def test_malformed_csv_and_yaml(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "f", {"units": 'unit,name\nSURG,"unclosed\n'})
    res = _invoke(str(folder), "--out", str(tmp_path / "out"))
    assert res.exit_code == 2 and "units.csv row 2: malformed CSV" in res.output
    folder = write_folder(tmp_path / "g")
    (folder / "instance.yaml").write_text("kind: strategic\nparameters: [unclosed\n")
    res = _invoke(str(folder), "--out", str(tmp_path / "out"))
    assert res.exit_code == 2 and "instance.yaml: malformed YAML (line" in res.output
    assert not (tmp_path / "out").exists()

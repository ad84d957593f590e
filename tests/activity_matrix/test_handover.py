"""Hand-over between the plan and the matrix: feedback.csv, trace.csv, named staff downward."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pks_opt.activity_matrix.solution import FEEDBACK_COLUMNS, TRACE_COLUMNS
from pks_opt.commands import main
from pks_opt.errors import InputError

from .helpers import solve, write_instance

PLAN_HEADER = "planning_object,week,week_type,production\n"


def _clinic(tmp_path: Path, **extra: str) -> Path:
    # 2 rooms × 1 session × Monday; A needs 1 physician and takes 4 patients a session.
    # Physicians P1 and P2 are named people (count 1 each).
    return write_instance(
        tmp_path / "clinic",
        {
            "rooms": "room,capabilities\nR1,\nR2,\n",
            "activity_types": (
                "activity_type,priority,sessions_per_week,patients_per_session\nA,1,0,4\n"
            ),
            "activity_staff": "activity_type,competence,staff\nA,physician,1\n",
            "staff": "staff,competence,count\nP1,physician,1\nP2,physician,1\n",
            **extra,
        },
        unit="MED",
    )


def _plan(tmp_path: Path, rows: str, *, unit: str | None = "MED", trace: str | None = None) -> Path:
    folder = tmp_path / "plan"
    folder.mkdir()
    (folder / "production_plan.csv").write_text(PLAN_HEADER + rows, encoding="utf-8")
    if unit is not None:
        (folder / "result.json").write_text(
            json.dumps({"kind": "plan", "instance": "p", "unit": unit}), encoding="utf-8"
        )
    if trace is not None:
        (folder / "trace.csv").write_text(trace, encoding="utf-8")
    return folder


def test_shortfall_named_in_feedback_in_patients(tmp_path: Path) -> None:
    # Plan: A (mapped from planning objects x and y) asks 5 + 5 = 10 patients in week 1
    # (normal) → ⌈10/4⌉ = 3 sessions; week 2 (normal) 4 patients. Only 2 rooms × 1 session:
    # 2 of 3 sessions placed → 2 × 4 = 8 of the 10 patients → gap −2, one row in the plan's
    # measure (patients), the sessions in the cause; only week 1 of the 2 normal weeks asks
    # more than 8.
    clinic = _clinic(tmp_path, plan_mapping="planning_object,activity_type\nx,A\ny,A\n")
    plan = _plan(tmp_path, "x,1,normal,5\ny,1,normal,5\nx,2,normal,2\ny,2,normal,2\n")
    res = solve(clinic, plan=plan)
    fb = res.tables["feedback"]
    assert list(fb.columns) == FEEDBACK_COLUMNS
    rows = fb[["level", "unit", "object", "resource", "period", "agreed", "achievable", "gap"]]
    assert rows.values.tolist() == [["matrix", "MED", "A", "", "normal", 10, 8, -2]]
    assert fb["cause"][0] == (
        "patients a week: 2 of 3 sessions placed; 2 sessions × 4 patients take 8 a week; the "
        "plan asks 10 in week 1 and more than 8 in 1 of 2 'normal' week(s) (1): the rooms "
        "have 2 open sessions a week; A needs 3 physician sessions a week; 2 are available"
    )
    assert any("2 patients a week short of the plan" in line for line in res.explanation)
    assert res.kpis["feedback_rows"] == 1
    cov = res.tables["coverage"].iloc[0]
    assert (cov["patients_asked"], cov["patients_capacity"]) == (10, 8)


def test_feedback_header_only_when_everything_is_met(tmp_path: Path) -> None:
    # 8 patients → 2 sessions, 2 rooms: met, no row; the CLI still writes the file.
    plan = _plan(tmp_path, "A,1,normal,8\n")
    out = tmp_path / "out"
    res = CliRunner().invoke(
        main,
        [
            "matrix",
            str(_clinic(tmp_path)),
            "--from-plan",
            str(plan),
            "--out",
            str(out),
            "--time-limit",
            "5",
        ],
    )
    assert res.exit_code == 0, res.output
    assert (out / "feedback.csv").read_text().splitlines() == [",".join(FEEDBACK_COLUMNS)]
    assert (out / "trace.csv").read_text().splitlines()[0] == ",".join(TRACE_COLUMNS)


def test_trace_one_row_per_cell_parents_resolve_to_plan_trace(tmp_path: Path) -> None:
    # Weeks 1 (normal, 4 patients = 1 session) and 2 (normal, 8 = 2 sessions: the peak) and
    # 3 (low, 4). The plan's trace.csv has a row per object × week; every matrix cell's
    # parents are the rows of the week that decided its week type: normal → w2, low → w3.
    trace = "id,level,unit,object,period,quantity,measure,parent_ids,note\n" + "".join(
        f"plan:MED:A:w{w},plan,MED,A,w{w},{p},patients,,\n" for w, p in ((1, 4), (2, 8), (3, 4))
    )
    plan = _plan(tmp_path, "A,1,normal,4\nA,2,normal,8\nA,3,low,4\n", trace=trace)
    res = solve(_clinic(tmp_path), plan=plan)
    tr = res.tables["trace"]
    assert list(tr.columns) == TRACE_COLUMNS
    assert tr["id"].is_unique
    # the low week's one session may take either room (a tie on every stage)
    low = next(i for i in tr["id"] if i.startswith("matrix:low:"))
    assert low in ("matrix:low:A:Mon:am:R1", "matrix:low:A:Mon:am:R2")
    assert sorted(tr["id"]) == [low, "matrix:normal:A:Mon:am:R1", "matrix:normal:A:Mon:am:R2"]
    plan_ids = {line.split(",")[0] for line in trace.splitlines()[1:]}
    parents = {i: p for i, p in zip(tr["id"], tr["parent_ids"], strict=True)}
    assert parents["matrix:normal:A:Mon:am:R2"] == "plan:MED:A:w2"
    assert parents[low] == "plan:MED:A:w3"
    assert all(set(p.split(";")) <= plan_ids for p in parents.values())
    assert set(tr["quantity"]) == {4} and set(tr["measure"]) == {"patients"}
    # staff_demand carries the cells (for the roster's trace) and the named people
    sd = res.tables["staff_demand"].set_index("week_type")
    assert sd.loc["low", "trace_ids"] == low
    assert sd.loc["normal", "named_staff"] == "P1;P2"


def test_trace_parents_by_convention_and_fallback(tmp_path: Path) -> None:
    # No trace.csv: the ids follow plan:{unit}:{object}:w{week} with the unit of the plan's
    # result.json. A trace.csv whose ids differ is matched on object and period 'w1'.
    plan = _plan(tmp_path, "A,1,normal,4\n", unit="PLANUNIT")
    res = solve(_clinic(tmp_path), plan=plan)
    assert res.tables["trace"]["parent_ids"].tolist() == ["plan:PLANUNIT:A:w1"]
    (plan / "trace.csv").write_text(
        "id,level,unit,object,period\nP-17,plan,X,A,w1\n", encoding="utf-8"
    )
    res = solve(_clinic(tmp_path), plan=plan)
    assert res.tables["trace"]["parent_ids"].tolist() == ["P-17"]


def test_parent_missing_from_plan_trace_is_input_error(tmp_path: Path) -> None:
    plan = _plan(
        tmp_path,
        "A,1,normal,4\n",
        trace="id,level,unit,object,period\nplan:MED:B:w1,plan,MED,B,w1\n",
    )
    with pytest.raises(InputError) as exc:
        solve(_clinic(tmp_path), plan=plan)
    assert "trace.csv, field 'id'" in str(exc.value)
    assert "no row for planning object 'A' in week 1 (expected id 'plan:MED:A:w1')" in str(
        exc.value
    )


def test_without_plan_trace_has_no_parents_and_unit_defaults_to_name(tmp_path: Path) -> None:
    # The instance's own need (1 session of A): one cell, no parents, unit = instance name.
    inst = write_instance(tmp_path / "solo")
    res = solve(inst)
    tr = res.tables["trace"]
    assert tr[["id", "unit", "parent_ids", "measure", "quantity"]].values.tolist() == [
        ["matrix:normal:A:Mon:am:R1", "solo", "", "sessions", 1]
    ]
    assert res.tables["feedback"].empty


def test_instance_need_and_day_minimum_shortfalls_in_sessions(tmp_path: Path) -> None:
    # No plan: A needs 3 sessions a week (instance), at least 2 on Monday; 1 room × 1 session
    # × Mon–Tue = 2 room sessions. Monday gets 1 of 2 (day row, period 'normal Mon'); the
    # week 2 of 3 (sessions row).
    inst = write_instance(
        tmp_path / "i",
        {
            "activity_types": "activity_type,priority,sessions_per_week\nA,1,3\n",
            "day_rules": "activity_type,weekday,min_sessions\nA,0,2\n",
        },
        days=[0, 1],
    )
    fb = solve(inst).tables["feedback"]
    assert fb[["object", "resource", "period", "agreed", "achievable", "gap"]].values.tolist() == [
        ["A", "", "normal Mon", 2, 1, -1],
        ["A", "", "normal", 3, 2, -1],
    ]
    assert fb["cause"][1].startswith("sessions a week (need from instance): ")

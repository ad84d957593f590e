"""`pks template KIND`: an empty, documented instance that the level reads back once filled.

Each test writes a template, fills a minimal row set in as a planner would (the workbook's
sheets, or the folder's CSVs), runs the level and checks a number worked out by hand.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pks_opt.commands import main
from pks_opt.template import ABOUT_SHEET, KINDS, columns


def _run(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(main, list(args))
    return res.exit_code, res.output


def _fill_workbook(path: Path, params: dict[str, Any], rows: dict[str, list[dict[str, Any]]]):
    import openpyxl

    wb = openpyxl.load_workbook(path)
    manifest = wb["instance"]
    for r in range(2, manifest.max_row + 1):
        key = manifest.cell(row=r, column=1).value
        if key in params:
            manifest.cell(row=r, column=2).value = params[key]
    for table, data in rows.items():
        sheet = wb[table]
        header = [c.value for c in sheet[1]]
        for row in data:
            sheet.append([row.get(h) for h in header])
    wb.save(path)


def _fill_folder(folder: Path, params: dict[str, str], rows: dict[str, list[dict[str, Any]]]):
    text = (folder / "instance.yaml").read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(text):
        key = line.split(":")[0].strip()
        if f"parameters.{key}" in params:
            text[i] = f"  {key}: {params[f'parameters.{key}']}"
    (folder / "instance.yaml").write_text("\n".join(text) + "\n", encoding="utf-8")
    for table, data in rows.items():
        path = folder / f"{table}.csv"
        header = path.read_text(encoding="utf-8").strip().split(",")
        with path.open("a", newline="", encoding="utf-8") as fh:
            csv.writer(fh, lineterminator="\n").writerows(
                [[r.get(h) for h in header] for r in data]
            )


NEED_ROWS: dict[str, list[dict[str, Any]]] = {
    "units": [{"unit": "U"}],
    "resources": [{"resource": "R"}],
    "periods": [{"period": "2027", "days": 365}],
    "planning_objects": [{"planning_object": "PO", "priority": 1}],
    "demand": [{"unit": "U", "planning_object": "PO", "base_volume": 100}],
    "activity_hours": [{"planning_object": "PO", "resource": "R", "amount_per_activity": 2}],
    "staff": [{"unit": "U", "function": "nurse", "resource": "R", "fte": 1, "annual_hours": 150}],
}


def test_every_template_documents_every_column(tmp_path: Path) -> None:
    """Each column of each template has a meaning from the level's reference page (the
    template and the docs stay in step) and its workbook sheet has exactly those columns."""
    import openpyxl

    for kind in KINDS:
        params, tables = columns(kind)
        missing = [f"{t}.{c.name}" for t, cols in tables.items() for c in cols if not c.meaning]
        assert missing == [], f"{kind}: columns without a meaning in the docs: {missing}"
        code, out = _run("template", kind, "--out", str(tmp_path / f"{kind}.xlsx"))
        assert code == 0, out
        wb = openpyxl.load_workbook(tmp_path / f"{kind}.xlsx")
        assert wb.sheetnames[0] == "instance" and wb.sheetnames[-1] == ABOUT_SHEET
        for table, cols in tables.items():
            assert [c.value for c in wb[table][1]] == [c.name for c in cols]
            assert all(c.comment is not None for c in wb[table][1])
    # an existing target is refused, nothing overwritten
    code, out = _run("template", "plan", "--out", str(tmp_path / "plan.xlsx"))
    assert code == 2 and "exists already" in out


def test_plan_template_filled_runs(tmp_path: Path) -> None:
    """One object, 4 weeks, 10 hours a week and 1 hour per visit: a queue of 20, an inflow of
    52 a year (1 a week) and the target of an empty list by week 4: production over the 4
    weeks = 20 + 4 = 24, at most 10 a week, and the queue ends at 0."""
    wb = tmp_path / "plan.xlsx"
    assert _run("template", "plan", "--out", str(wb))[0] == 0
    _fill_workbook(
        wb,
        {},
        {
            "planning_objects": [
                {
                    "planning_object": "PO",
                    "priority": 1,
                    "max_wait_weeks": 4,
                    "queue_start": 20,
                    "annual_inflow": 52,
                    "target_queue": 0,
                }
            ],
            "weeks": [{"week": w} for w in (1, 2, 3, 4)],
            "resources": [{"resource": "R", "hours_per_week": 10}],
            "activity_hours": [{"planning_object": "PO", "resource": "R", "hours_per_activity": 1}],
        },
    )
    code, out = _run("plan", str(wb), "--out", str(tmp_path / "out"), "--json")
    assert code == 0, out
    plan = list(csv.DictReader((tmp_path / "out" / "production_plan.csv").open()))
    assert len(plan) == 4
    assert sum(float(r["production"]) for r in plan) == pytest.approx(24, abs=0.05)
    assert all(float(r["production"]) <= 10 + 1e-6 for r in plan)
    assert float(plan[-1]["queue_end"]) == pytest.approx(0, abs=0.05)


@pytest.mark.parametrize("as_folder", [False, True])
def test_need_template_filled_runs(tmp_path: Path, as_folder: bool) -> None:
    """100 visits × 2 hours = 200 hours of R needed in 2027 (folder and workbook alike)."""
    target = tmp_path / ("need" if as_folder else "need.xlsx")
    assert _run("template", "need", "--out", str(target))[0] == 0
    rows = {k: v for k, v in NEED_ROWS.items() if k != "staff"}
    (_fill_folder if as_folder else _fill_workbook)(target, {}, rows)
    code, out = _run("need", str(target), "--json")
    assert code == 0, out
    env = json.loads(out)
    assert env["status"] == "COMPUTED"  # a calculation, nothing optimised
    assert env["kpis"]["production_need_total"] == pytest.approx(100)
    assert env["kpis"]["total_positive_gap"] == pytest.approx(200)  # hours of R, none available


def test_balance_template_filled_runs(tmp_path: Path) -> None:
    """The need 200 hours of R; 1 FTE of 150 hours a year: 50 hours are short and, with no
    move, increase or purchase offered, stay unmet."""
    wb = tmp_path / "balance.xlsx"
    assert _run("template", "balance", "--out", str(wb))[0] == 0
    _fill_workbook(wb, {}, NEED_ROWS)
    code, out = _run("balance", str(wb), "--out", str(tmp_path / "out"), "--json")
    assert code == 0, out
    env = json.loads(out)
    assert env["status"] == "OPTIMAL"
    assert env["kpis"]["unmet_activities"] == pytest.approx(25, abs=0.01)


def test_matrix_template_filled_runs(tmp_path: Path) -> None:
    """One room, one morning session Monday-Friday, an activity of 3 sessions a week: all 3
    delivered."""
    wb = tmp_path / "matrix.xlsx"
    assert _run("template", "matrix", "--out", str(wb))[0] == 0
    _fill_workbook(
        wb,
        {},
        {
            "sessions": [{"session": "am", "start": "08:00", "end": "12:00"}],
            "rooms": [{"room": "room1"}],
            "activity_types": [{"activity_type": "A", "priority": 1, "sessions_per_week": 3}],
        },
    )
    code, out = _run("matrix", str(wb), "--out", str(tmp_path / "out"), "--json")
    assert code == 0, out
    cov = list(csv.DictReader((tmp_path / "out" / "coverage.csv").open()))
    assert [(r["activity_type"], r["delivered"], r["needed"]) for r in cov] == [("A", "3", "3")]


def test_roster_template_filled_runs(tmp_path: Path) -> None:
    """Two nurses, one day shift a day for one week (2027-03-01 is a Monday): 7 shifts of
    demand, none short: every day has its nurse on D."""
    folder = tmp_path / "ward"
    assert _run("template", "roster", "--out", str(folder))[0] == 0
    _fill_folder(
        folder,
        {"parameters.start_date": "2027-03-01", "parameters.weeks": "1"},
        {
            "shifts": [{"id": "D", "start": "07:00", "end": "15:00"}],
            "staff": [{"id": "s1", "competences": "RN"}, {"id": "s2", "competences": "RN"}],
            "demand": [
                {"weekday": d, "shift": "D", "competence": "RN", "staff": 1} for d in range(7)
            ],
        },
    )
    code, out = _run(
        "roster",
        str(folder),
        "--out",
        str(tmp_path / "out"),
        "--json",
        "--deterministic",
        "--time-limit",
        "5",
    )
    assert code == 0, out
    env = json.loads(out)
    assert env["kpis"]["tier1_short_shifts"] == 0
    roster = list(csv.DictReader((tmp_path / "out" / "roster.csv").open()))
    days = [c for c in roster[0] if c.startswith("2027-")]
    assert len(days) == 7 and all(any(r[d] == "D" for r in roster) for d in days)


#: every id reference of each template, written out by hand from the format pages
#: (``table.column → table whose key it names``); everything else gets no id drop-down
_STRATEGIC_REFS = {
    "units.parent": "units",
    "demand.unit": "units",
    "demand.planning_object": "planning_objects",
    "demand.period": "periods",
    "activity_hours.planning_object": "planning_objects",
    "activity_hours.resource": "resources",
    "activity_hours.unit": "units",
    "activity_hours.support_unit": "units",
    "inpatient.planning_object": "planning_objects",
    "inpatient.bed_resource": "resources",
    "inpatient.unit": "units",
    "staffing_keys.unit": "units",
    "acute_arrivals.unit": "units",
    **{f"{t}.{c}": f"{c}s" for t in ("staff", "rooms", "beds") for c in ("unit", "resource")},
    **{f"{t}.period": "periods" for t in ("staff", "rooms", "beds")},
    "improvements.unit": "units",
    "improvements.resource": "resources",
    "improvements.planning_object": "planning_objects",
    "improvements.period": "periods",
}
EXPECTED_REFS: dict[str, dict[str, str]] = {
    "need": _STRATEGIC_REFS,
    "balance": {
        **_STRATEGIC_REFS,
        "budgets.unit": "units",
        "capabilities.unit": "units",
        "capabilities.planning_object": "planning_objects",
        "moves.donor": "units",
        "moves.receiver": "units",
        "moves.resource": "resources",
        "increases.unit": "units",
        "increases.resource": "resources",
        "purchases.planning_object": "planning_objects",
        "waiting_lists.unit": "units",
        "waiting_lists.planning_object": "planning_objects",
    },
    "plan": {
        "activity_hours.planning_object": "planning_objects",
        "activity_hours.resource": "resources",
        "capacity.week": "weeks",
        "capacity.resource": "resources",
        "inflow.planning_object": "planning_objects",
        "inflow.week": "weeks",
    },
    "matrix": {
        "activity_staff.activity_type": "activity_types",
        "staff_availability.staff": "staff",
        "staff_availability.session": "sessions",
        "room_closed.room": "rooms",
        "room_closed.session": "sessions",
        "same_day.activity_type": "activity_types",
        "day_rules.activity_type": "activity_types",
        "pinned.room": "rooms",
        "pinned.session": "sessions",
        "pinned.activity_type": "activity_types",
        "plan_mapping.activity_type": "activity_types",
    },
    "roster": {
        "demand.shift": "shifts",
        "absences.staff": "staff",
        "wishes.staff": "staff",
        "wishes.shift": "shifts",
        "pinned.staff": "staff",
        "pinned.shift": "shifts",
        "acute_staffing.shift": "shifts",
    },
}


def _dropdowns(path: Path) -> tuple[dict[str, str], dict[str, str], Any]:
    """Read a template's drop-downs: ``table.column → referenced sheet`` for id lists and
    ``table.column → "a,b"`` for fixed choices."""
    import openpyxl

    wb = openpyxl.load_workbook(path)
    ids: dict[str, str] = {}
    fixed: dict[str, str] = {}
    for sheet in wb.worksheets:
        header = [c.value for c in sheet[1]]
        for dv in sheet.data_validations.dataValidation:
            for rng in dv.sqref.ranges:
                assert rng.min_col == rng.max_col and rng.min_row == 2, str(rng)
                name = f"{sheet.title}.{header[rng.min_col - 1]}"
                formula = dv.formula1
                if formula.startswith('"'):
                    fixed[name] = formula.strip('"')
                else:  # ='sheet'!$A$2:$A$1000: the key column of another sheet
                    target, cells = formula.lstrip("=").split("!")
                    assert cells.startswith("$A$2:$A$"), formula
                    ids[name] = target.strip("'")
    return ids, fixed, wb


@pytest.mark.parametrize("kind", KINDS)
def test_template_dropdowns_point_at_the_referenced_key(tmp_path: Path, kind: str) -> None:
    """Every id drop-down sits on a column that refers to another table's key and lists that
    key (column A of the named sheet); no key column and no count carries one. The roster's
    ``shifts.id``/``staff.id`` once offered each other's ids, and ``demand.staff`` (a number
    of people) the staff ids."""
    path = tmp_path / f"{kind}.xlsx"
    assert _run("template", kind, "--out", str(path))[0] == 0
    ids, fixed, wb = _dropdowns(path)
    assert ids == EXPECTED_REFS[kind]
    referenced = set(ids.values())
    for name, target in ids.items():
        key = wb[target].cell(row=1, column=1).value
        assert key in ("id", name.split(".")[1], "unit", "resource"), (name, key)
    _, tables = columns(kind)
    for table, cols in tables.items():
        if table in referenced:  # the key column of a referenced table: no drop-down
            assert f"{table}.{cols[0].name}" not in ids | fixed
        for c in cols:
            name = f"{table}.{c.name}"
            if c.kind in ("number", "whole number") and name in ids:  # only a numbered key
                key = wb[ids[name]].cell(row=1, column=1).value
                assert key == c.name, f"{kind}: {name} is a count, not {ids[name]}.{key}"
    if kind == "roster":
        assert {"shifts.id", "staff.id", "demand.staff", "staff_demand.staff"}.isdisjoint(ids)
        assert fixed["staff.nights_allowed"] == "TRUE,FALSE"

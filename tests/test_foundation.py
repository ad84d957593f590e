"""Foundation: both solver stacks load together, the MILP backends agree, errors name the
culprit."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from pks_opt.errors import InputError
from pks_opt.io import Row, check_ref, check_unique, parse_rows, read_raw
from pks_opt.milp import MILP_BACKENDS, check_backend, solve_pulp
from pks_opt.report.output import write_result
from pks_opt.result import Result, SolveStatus


def test_ortools_and_highspy_load_in_one_process() -> None:
    # highspy>=1.15 and ortools 9.15 clash on HiGHS symbols; whichever loads second fails.
    for order in (
        "import ortools.sat.python.cp_model, highspy",
        "import highspy, ortools.sat.python.cp_model",
    ):
        code = f"{order}; h = highspy.Highs(); print('ok')"
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == "ok"


@pytest.mark.parametrize("backend", MILP_BACKENDS)
def test_milp_backends_agree_on_a_knapsack(backend: str) -> None:
    import pulp

    # max 5a + 4b + 3c s.t. 2a + 3b + c <= 5, binaries: a=1, c=1 gives 8 (b+c=7, a+b=9 needs 5 ok!)
    # a+b: weight 5, value 9 -> the optimum is 9 (a=1, b=1, c=0); a+b+c weighs 6 > 5.
    prob = pulp.LpProblem("knap", pulp.LpMaximize)
    x = {k: pulp.LpVariable(k, cat="Binary") for k in "abc"}
    prob += 5 * x["a"] + 4 * x["b"] + 3 * x["c"]
    prob += 2 * x["a"] + 3 * x["b"] + x["c"] <= 5, "weight"
    res = solve_pulp(prob, backend)
    assert res.status is SolveStatus.OPTIMAL
    assert res.objective == pytest.approx(9)
    assert [round(x[k].value()) for k in "abc"] == [1, 1, 0]


@pytest.mark.parametrize("backend", MILP_BACKENDS)
def test_milp_infeasible_is_reported(backend: str) -> None:
    import pulp

    prob = pulp.LpProblem("inf", pulp.LpMinimize)
    y = pulp.LpVariable("y", 0, 3, cat="Integer")
    prob += y
    prob += y >= 5, "too_much"
    res = solve_pulp(prob, backend)
    assert res.status is SolveStatus.INFEASIBLE
    assert math.isinf(res.objective)


def test_cbc_one_thread_runs_serial() -> None:
    # PuLP's CBC 2.10.3 with "-threads 1" runs its threaded search with one worker that it
    # sometimes never starts; the search then idles until the time limit (a 48-row plan took
    # 10 s instead of 0.1 s, about one run in 20). One thread must mean CBC's serial code: no
    # "-threads" on its command line; more threads are passed on.
    import pulp

    seen = []

    class Spy(pulp.PULP_CBC_CMD):  # the real solver, its command line recorded
        def solve_CBC(self, lp, use_mps=True):  # noqa: N802 (PuLP's name)
            seen.append(self.optionsDict.get("threads"))
            return super().solve_CBC(lp, use_mps)

    real = pulp.PULP_CBC_CMD
    pulp.PULP_CBC_CMD = Spy
    try:
        for threads in (1, 2):
            prob = pulp.LpProblem("t", pulp.LpMaximize)
            x = pulp.LpVariable("x", 0, 3, cat="Integer")
            prob += x
            assert solve_pulp(prob, "cbc", threads=threads).objective == 3
    finally:
        pulp.PULP_CBC_CMD = real
    assert seen == [None, 2]


def test_unknown_backend_fails_at_once() -> None:
    with pytest.raises(ValueError, match="cbc, highs"):
        check_backend("gurobi")


class UnitRow(Row):
    unit: str
    fte: float


def _folder(tmp_path: Path, units_csv: str) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "instance.yaml").write_text("kind: test\nname: tiny\nparameters: {a: 1}\n")
    (tmp_path / "units.csv").write_text(units_csv)
    return tmp_path


def test_folder_and_workbook_round_trip(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "f", "unit,fte\nKIR,3.5\nORT,2\n")
    raw = read_raw(folder, expect_kind="test")
    rows = parse_rows(raw.table("units"), UnitRow)
    assert [(r.unit, r.fte) for r in rows] == [("KIR", 3.5), ("ORT", 2.0)]
    assert raw.parameters["a"] == 1 and raw.name == "tiny"
    book = tmp_path / "tiny.xlsx"
    with pd.ExcelWriter(book) as w:
        pd.DataFrame(
            {"key": ["kind", "name", "parameters.a"], "value": ["test", "tiny", "1"]}
        ).to_excel(w, sheet_name="instance", index=False)
        pd.DataFrame({"unit": ["KIR", "ORT"], "fte": [3.5, 2]}).to_excel(
            w, sheet_name="units", index=False
        )
    raw2 = read_raw(book, expect_kind="test")
    assert parse_rows(raw2.table("units"), UnitRow) == rows
    assert raw2.parameters["a"] == 1


@pytest.mark.parametrize(
    ("csv", "expected"),
    [
        (
            "unit,fte\nKIR,3.5\nORT,abc\n",
            "units.csv row 3, field 'fte': Input should be a valid number",
        ),
        ("unit,fte\nKIR,nan\n", "units.csv row 2, field 'fte'"),
        ("unit,fte\nKIR,\n", "units.csv row 2, field 'fte': missing value"),
        ("unit\nKIR\n", "units.csv row 1: missing column 'fte'"),
    ],
)
def test_bad_rows_name_file_row_field(tmp_path: Path, csv: str, expected: str) -> None:
    raw = read_raw(_folder(tmp_path, csv))
    with pytest.raises(InputError) as err:
        parse_rows(raw.table("units"), UnitRow)
    assert expected in str(err.value)


def test_duplicates_and_references(tmp_path: Path) -> None:
    raw = read_raw(_folder(tmp_path, "unit,fte\nKIR,1\nORT,2\nKIR,3\n"))
    table = raw.table("units")
    rows = parse_rows(table, UnitRow)
    with pytest.raises(
        InputError, match=r"row 4, field 'unit': duplicate unit 'KIR' \(first on row 2\)"
    ):
        check_unique(rows, table, "unit", what="unit")
    with pytest.raises(InputError, match="row 3, field 'unit': unit 'ORT' is not defined"):
        check_ref(rows, table, "unit", {"KIR"}, "unit")


def test_malformed_yaml_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "instance.yaml").write_text("kind: test\nname: [unclosed\n")
    with pytest.raises(InputError, match=r"instance.yaml: malformed YAML \(line \d+\)"):
        read_raw(tmp_path)


def test_missing_table_and_wrong_kind(tmp_path: Path) -> None:
    raw = read_raw(_folder(tmp_path, "unit,fte\nKIR,1\n"))
    with pytest.raises(InputError, match="missing table 'rooms'"):
        raw.table("rooms")
    with pytest.raises(InputError, match="this is a 'test' instance, expected 'roster'"):
        read_raw(tmp_path, expect_kind="roster")


def test_write_result_envelope(tmp_path: Path) -> None:
    res = Result(
        kind="test",
        status=SolveStatus.FEASIBLE,
        instance="tiny",
        solver="none",
        objective=10.0,
        bound=8.0,
        runtime_s=0.5,
        kpis={"units": 2},
        tables={"goals": pd.DataFrame({"unit": ["KIR"], "amount": [1.5]})},
    )
    env = write_result(res, tmp_path / "out", excel=True)
    on_disk = json.loads((tmp_path / "out" / "result.json").read_text())
    assert on_disk == env
    assert on_disk["status"] == "FEASIBLE" and on_disk["gap"] == pytest.approx(0.2)
    assert on_disk["tables"] == {"goals": "goals.csv", "excel": "tables.xlsx"}
    assert set(on_disk) >= {
        "kind",
        "status",
        "objective",
        "bound",
        "runtime_s",
        "solver",
        "instance",
        "kpis",
        "tables",
    }
    assert pd.read_csv(tmp_path / "out" / "goals.csv")["amount"].tolist() == [1.5]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # temp folder cleaned


def test_no_solution_serialises_as_null(tmp_path: Path) -> None:
    res = Result(kind="test", status=SolveStatus.NO_SOLUTION_IN_TIME, instance="x", solver="none")
    env = res.envelope()
    assert env["objective"] is None and env["bound"] is None
    assert SolveStatus.NO_SOLUTION_IN_TIME.exit_code == 1


def test_cli_from_checkout_shows_help() -> None:
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        [sys.executable, str(root / "cli.py"), "--help"], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert "demo" in out.stdout


@pytest.mark.parametrize(
    ("csv", "expected"),
    [
        # an extra field on the first data row must not shift the columns (pandas would
        # silently take the first field as an index)
        (
            "unit,fte\nKIR,1,5\nORT,2\n",
            "units.csv row 2: malformed CSV: 3 field(s), the header has 2",
        ),
        ("", "units.csv: empty file"),
    ],
)
def test_malformed_csv_names_the_row(tmp_path: Path, csv: str, expected: str) -> None:
    with pytest.raises(InputError) as err:
        read_raw(_folder(tmp_path, csv))
    assert expected in str(err.value)


def test_missing_trailing_fields_are_an_error(tmp_path: Path) -> None:
    # A row with fewer fields than the header may have lost its last value (a blank cell keeps
    # its separator, as spreadsheets write it): never padded with blanks.
    with pytest.raises(InputError, match=r"units.csv row 3: malformed CSV: 1 field\(s\), the h"):
        read_raw(_folder(tmp_path, "unit,fte\nKIR,1\nORT\n"))
    raw = read_raw(_folder(tmp_path, "unit,fte\nKIR,1\nORT,\n"))
    with pytest.raises(InputError, match=r"units.csv row 3, field 'fte': missing value"):
        parse_rows(raw.table("units"), UnitRow)


def test_row_numbers_survive_blank_rows(tmp_path: Path) -> None:
    # Row 3 is blank: the bad value on the 4th spreadsheet row is reported as row 4.
    raw = read_raw(_folder(tmp_path, "unit,fte\nKIR,1\n,\nORT,x\n"))
    with pytest.raises(InputError, match=r"units.csv row 4, field 'fte'"):
        parse_rows(raw.table("units"), UnitRow)


def test_a_warning_that_is_not_about_input_is_shown_once_after_the_command() -> None:
    # A library warning (a pandas FutureWarning, say) inside a command: shown once after it,
    # never re-recorded into the list being shown (that loop did not end).
    import warnings

    import click
    from click.testing import CliRunner

    from pks_opt.commands.common import handles_input_errors

    @click.command()
    @handles_input_errors
    def cmd() -> None:
        warnings.warn("a library warning", FutureWarning, stacklevel=1)
        click.echo("done")

    with pytest.warns(FutureWarning, match="a library warning") as shown:
        res = CliRunner().invoke(cmd, [])
    assert res.exit_code == 0 and res.output == "done\n"
    assert len([w for w in shown if "a library warning" in str(w.message)]) == 1

"""The Python API (pks_opt.api): the README's example runs as written, results round-trip
through a folder, a balance's scenarios come back as parts, bad input raises InputError."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import pks_opt as pks
from pks_opt.instances import instance_path

REPO = Path(__file__).resolve().parents[2]


def test_readme_python_example_runs_as_written(tmp_path: Path) -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Python API") :]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    (tmp_path / "instances").symlink_to(REPO / "instances")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    run = subprocess.run(
        [sys.executable, "-c", code.group(1)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == "OPTIMAL 49374"  # as the comment in the README says
    assert lines[-1] == "24.22"
    assert (tmp_path / "out" / "api-balance" / "result.json").is_file()


def test_result_round_trips_through_a_folder(tmp_path: Path) -> None:
    # seed-inpatient's need (no solver): 2 000 admissions × 3.5 days = 7 000 bed-days.
    res = pks.need(pks.read(instance_path("seed-inpatient")))
    env = res.write(tmp_path / "need")
    back = pks.load_result(tmp_path / "need")
    assert (back.kind, back.status, back.instance) == (res.kind, res.status, res.instance)
    assert back.objective == pytest.approx(res.objective)
    assert set(back.tables) == set(res.tables)
    beds = back.tables["inpatient_beds"]
    assert beds.loc[0, "bed_days"] == pytest.approx(7000)
    pd.testing.assert_frame_equal(
        back.tables["inpatient_beds"],
        res.tables["inpatient_beds"].reset_index(drop=True),
        check_dtype=False,
    )
    assert back.explanation == res.explanation and back.kpis == env["kpis"]
    assert set(env["charts"]) and all(
        (tmp_path / "need" / f).is_file() for f in env["charts"].values()
    )


def test_balance_scenarios_are_parts_written_as_subfolders(tmp_path: Path) -> None:
    region = instance_path("region-small")
    res = pks.balance(region, scenarios=[region / "scenarios" / "demand_up.yaml"])
    assert set(res.parts) == {"demand_up"} and "scenario_comparison" in res.tables
    res.write(tmp_path / "b")
    assert (tmp_path / "b" / "demand_up" / "result.json").is_file()
    back = pks.load_result(tmp_path / "b")
    assert set(back.parts) == {"demand_up"}
    assert back.parts["demand_up"].objective == pytest.approx(res.parts["demand_up"].objective)
    assert math.isfinite(back.objective)


def test_a_level_refuses_another_kind_and_bad_input(tmp_path: Path) -> None:
    with pytest.raises(pks.InputError, match="this is a 'strategic' instance, expected 'tactical'"):
        pks.plan(instance_path("region-small"))
    with pytest.raises(pks.InputError, match="no such file or folder"):
        pks.read(tmp_path / "nothing")
    with pytest.raises(pks.InputError, match="not a pks result folder"):
        pks.load_result(tmp_path)


def test_input_warnings_are_kept_in_the_result_and_shown_first(tmp_path: Path) -> None:
    # Demand for 2 RN where only 1 person has RN is a warning (at least 1 will be short): it
    # is in Result.warnings, result.json and the summary's first lines, not only on stderr.
    from click.testing import CliRunner
    from rostering.conftest import write_instance

    from pks_opt.commands import main

    folder = write_instance(
        tmp_path / "inst",
        staff="id,competences\nann,RN\n",
        demand="weekday,shift,competence,staff,tier\n0,D,RN,2,1\n",
    )
    res = pks.roster(folder, time_limit=2)
    assert any("only 1 staff member(s) have RN" in w for w in res.warnings)
    run = CliRunner().invoke(
        main,
        ["roster", str(folder), "--time-limit", "2", "--quiet", "--out", str(tmp_path / "out")],
    )
    assert run.exit_code == 0, run.output
    out_lines = run.output.splitlines()
    assert out_lines[2].startswith("warning:") and "only 1 staff member(s)" in out_lines[2]
    env = pks.load_result(tmp_path / "out")
    assert any("only 1 staff member(s)" in w for w in env.warnings)
    no_out = CliRunner().invoke(main, ["roster", str(folder), "--time-limit", "2", "--quiet"])
    assert no_out.output.splitlines()[-1].startswith("nothing written: add --out DIR")


def test_excel_workbook_opens_on_a_summary_sheet(tmp_path: Path) -> None:
    import openpyxl  # type: ignore[import-untyped]

    res = pks.need(instance_path("seed-inpatient"))
    res.explanation.append("7 000 bed-days")
    res.write(tmp_path / "o", excel=True)
    wb = openpyxl.load_workbook(tmp_path / "o" / "tables.xlsx")
    assert wb.sheetnames[0] == "summary" and set(res.tables) <= set(wb.sheetnames)
    rows = {(r[0], r[1]): r[2] for r in wb["summary"].iter_rows(min_row=2, values_only=True)}
    assert rows[("run", "status")] == "COMPUTED"  # the need level is a calculation
    assert rows[("run", "instance")] == "seed-inpatient"
    assert rows[("explanation", "1")] == "7 000 bed-days"
    assert rows[("kpi", "bed_days_total")] == 7000


def test_swedish_csv_dialect_is_written_and_read_back_by_the_next_level(tmp_path: Path) -> None:
    # --csv-dialect sv: ';' and decimal comma (Swedish Excel opens it as columns); the next
    # level (the plan's hand-over, follow-up) and load_result read it as the comma version.
    from click.testing import CliRunner

    from pks_opt.commands import main
    from pks_opt.production_plan.balance_link import read_balance_handover

    region = instance_path("region-small")
    res = pks.balance(region)
    res.write(tmp_path / "comma")
    res.write(tmp_path / "sv", csv_dialect="sv")
    head = (tmp_path / "sv" / "production_goals.csv").read_text(encoding="utf-8-sig")
    # goals are whole activities (42,0 ICU admissions reserved); the acute peak plan 14,35…
    assert head.startswith("unit;planning_object;period;goal;") and "14,35" in head
    a = read_balance_handover(tmp_path / "comma", "MEDCLIN", None)
    b = read_balance_handover(tmp_path / "sv", "MEDCLIN", None)
    import dataclasses

    assert dataclasses.replace(b, source=a.source) == a
    back = pks.load_result(tmp_path / "sv")
    pd.testing.assert_frame_equal(
        back.tables["production_goals"],
        pks.load_result(tmp_path / "comma").tables["production_goals"],
    )
    run = CliRunner().invoke(
        main,
        [
            "need",
            str(instance_path("seed-inpatient")),
            "--out",
            str(tmp_path / "need"),
            "--csv-dialect",
            "sv",
        ],
    )
    assert run.exit_code == 0, run.output
    beds = (tmp_path / "need" / "inpatient_beds.csv").read_text(encoding="utf-8-sig")
    assert beds.splitlines()[0].count(";") >= 5 and "20,18" in beds

"""Swedish holidays in the production plan (production_plan/holidays.py) and the matrix
made from it: holiday weekdays take capacity from normal weeks, every holiday week is marked."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import yaml
from click.testing import CliRunner

from pks_opt.commands import main
from pks_opt.instances import instance_path
from pks_opt.production_plan.data import read_plan
from pks_opt.production_plan.holidays import with_holidays
from tests.production_plan.tiny import one_resource, write_instance


def _instance(tmp_path: Path, parameters: dict) -> Path:
    # Easter 2027: Good Friday 26 March, Easter Monday 29 March; 1 May is a Saturday
    return write_instance(
        tmp_path / "easter",
        objects=[{"planning_object": "a", "annual_inflow": 52}],
        weeks=[
            {"week": 1},  # 22-28 March: Långfredagen
            {"week": 2},  # 29 March - 4 April: Annandag påsk
            {"week": 3, "week_type": "easter", "capacity_factor": 0.5},  # no holiday
            {"week": 4},  # 12-18 April: none
        ],
        resources=one_resource(10),
        hours=[("a", "doc", 1)],
        parameters=parameters,
    )


def test_holiday_weekdays_take_capacity_from_normal_weeks(tmp_path: Path) -> None:
    data = with_holidays(read_plan(_instance(tmp_path, {"start_date": "2027-03-22"})))
    # 10 h x 4/5 in weeks 1 and 2 (one weekday holiday each); week 3 keeps its factor 0.5
    assert data.resources[0].available_hours == (8.0, 8.0, 5.0, 10.0)
    assert data.weeks[0].holiday == "2027-03-26 Långfredagen"
    assert data.weeks[1].holiday == "2027-03-29 Annandag påsk"
    assert data.weeks[2].holiday == data.weeks[3].holiday == ""


def test_no_calendar_or_holidays_none_changes_nothing(tmp_path: Path) -> None:
    plain = read_plan(_instance(tmp_path, {}))
    assert with_holidays(plain) == plain
    off = read_plan(_instance(tmp_path / "off", {"start_date": "2027-03-22", "holidays": "none"}))
    assert with_holidays(off).resources[0].available_hours == (10.0, 10.0, 5.0, 10.0)


def test_plan_and_matrix_outputs_mark_holiday_weeks(tmp_path: Path) -> None:
    plan = tmp_path / "plan"
    shutil.copytree(instance_path("clinic-plan"), plan, ignore=shutil.ignore_patterns("scenarios"))
    manifest = yaml.safe_load((plan / "instance.yaml").read_text())
    manifest["parameters"]["start_date"] = "2027-01-04"  # Monday of ISO week 1 of 2027
    (plan / "instance.yaml").write_text(yaml.safe_dump(manifest))
    runner = CliRunner()
    res = runner.invoke(
        main,
        [
            "plan",
            str(plan),
            "--time-limit",
            "5",
            "--max-nodes",
            "20",
            "--out",
            str(tmp_path / "p"),
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    cap = pd.read_csv(tmp_path / "p" / "capacity_use.csv", keep_default_na=False)
    # week 12 = 22-28 March 2027 holds Good Friday
    assert set(cap.loc[cap["week"] == 12, "holiday"]) == {"2027-03-26 Långfredagen"}
    res = runner.invoke(
        main,
        [
            "matrix",
            str(instance_path("clinic-plan-matrix")),
            "--from-plan",
            str(tmp_path / "p"),
            "--deterministic",
            "--time-limit",
            "3",
            "--out",
            str(tmp_path / "m"),
            "--json",
        ],
    )
    assert res.exit_code in (0, 1), res.output
    weeks = pd.read_csv(tmp_path / "m" / "holiday_weeks.csv")
    assert 12 in set(weeks["week"]) and "Långfredagen" in " ".join(weeks["holiday"])

"""The seeds' inpatient example (004_405b95e66be3035d.txt) through `pks need`."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from pks_opt.commands import main
from pks_opt.instances import instance_path

SEED = instance_path("seed-inpatient")


def _run(tmp_path: Path, *extra: str) -> tuple[dict, Path]:
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["need", str(SEED), *extra, "--out", str(out)])
    assert res.exit_code == 0, res.output
    return json.loads((out / "result.json").read_text()), out


def test_round1_ward_7000_bed_days_20_beds(tmp_path: Path) -> None:
    # 40 000 × 0.20 = 8 000 (medicine) × 0.25 = 2 000 admissions × 3.5 = 7 000 bed-days;
    # 7 000 / 365 / 0.95 = 20.187 beds → nearest 20.
    env, out = _run(tmp_path)
    # a calculation: COMPUTED, no summed objective (hours and bed-days are not added up)
    assert env["status"] == "COMPUTED" and env["solver"] == "closed-form"
    assert env["objective"] is None
    # planned 20 beds × 365 = 7 300 bed-days = the 20 staffed beds: balanced (issue 20)
    gaps = pd.read_csv(out / "gaps.csv").iloc[0]
    assert gaps["need"] == pytest.approx(7300) and gaps["ratio"] == pytest.approx(1.0)
    assert not bool(gaps["limiting"]) and env["kpis"]["total_positive_gap"] == 0
    beds = pd.read_csv(out / "inpatient_beds.csv").iloc[0]
    assert beds["admissions"] == pytest.approx(2000)
    assert beds["bed_days"] == pytest.approx(7000)
    assert beds["beds_exact"] == pytest.approx(7000 / 365 / 0.95)
    assert round(beds["beds_exact"], 2) == 20.19
    assert beds["beds_planned"] == 20
    cascade = pd.read_csv(out / "mission_cascade.csv").set_index("unit")
    assert cascade.loc["REGION", "care_need"] == pytest.approx(40000)
    assert cascade.loc["MED", "care_need"] == pytest.approx(8000)
    assert cascade.loc["WARD", "care_need"] == pytest.approx(2000)
    assert cascade.loc["MED", "kept_or_undistributed"] == pytest.approx(6000)


def test_round2_scenario_24_beds_and_staff(tmp_path: Path) -> None:
    # share 0.30: 8 000 × 0.30 = 2 400 × 3.5 = 8 400 bed-days / 365 / 0.95 = 24.22 → 24 beds;
    # staff = 24 × (1, 1.25, 0.08333) = 24, 30, 1.99992 → 24, 30, 2.
    env, out = _run(tmp_path, "--scenario", str(SEED / "round2.yaml"))
    beds = pd.read_csv(out / "inpatient_beds.csv").iloc[0]
    assert beds["bed_days"] == pytest.approx(8400)
    assert round(beds["beds_exact"], 2) == 24.22 and beds["beds_planned"] == 24
    staff = pd.read_csv(out / "staffing.csv").set_index("role")["fte"].to_dict()
    assert staff == {"registered_nurse": 24, "assistant_nurse": 30, "other_staff": 2}
    # total positive gap (a KPI), recomputed from gaps.csv: planned 24 beds × 365 − 20 × 365
    gaps = pd.read_csv(out / "gaps.csv")
    recomputed = (gaps["need"] - gaps["available"]).clip(lower=0).sum()
    # gaps.csv is a table for people: need and available rounded to 0.1 (pks_opt.rounding)
    assert env["kpis"]["total_positive_gap"] == pytest.approx(recomputed, abs=0.1 * len(gaps))
    assert env["kpis"]["total_positive_gap"] == pytest.approx(4 * 365)
    assert env["kpis"]["highest_ratio"] == pytest.approx(24 / 20)

"""Round 3 of `pks cycle`: acute planning objects dimensioned by the 85 % rule (issue 14)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pks_opt.balancing import balance, read_balancing
from pks_opt.capacity_need import compute_need, read_need
from pks_opt.cycle.run import dimensioning
from pks_opt.cycle.spec import CycleSpec, PlanOptions
from pks_opt.io import read_raw
from pks_opt.result import SolveStatus

# One ward W, one quarter of 91.25 days, acute admissions `adm` 91.25 a quarter: Poisson(1) a
# day. 1 nurse hour (rn) and 3 bed-days (bd) an admission; 1 nurse FTE of 365 h a year gives
# 91.25 h a quarter (no absence, all patient time); 3 staffed beds (273.75 bed-days).
WARD = {
    "instance.yaml": "kind: strategic\nname: ward\n",
    "units.csv": "unit,name\nW,Ward\n",
    "resources.csv": "resource,name,measure\nrn,Nurse hours,hours\nbd,Bed-days,bed-days\n",
    "periods.csv": "period,days,low_production_factor\nQ1,91.25,1\n",
    "planning_objects.csv": "planning_object,priority,acute\nadm,1,true\n",
    "demand.csv": "unit,planning_object,base_volume\nW,adm,91.25\n",
    "activity_hours.csv": "planning_object,resource,amount_per_activity\nadm,rn,1\nadm,bd,3\n",
    "staff.csv": "unit,function,resource,fte,annual_hours\nW,nurses,rn,1,365\n",
    "beds.csv": "unit,resource,staffed_beds\nW,bd,3\n",
}


def _spec(tmp_path: Path) -> CycleSpec:
    folder = tmp_path / "ward"
    folder.mkdir()
    for name, text in WARD.items():
        (folder / name).write_text(text)
    raw = read_raw(folder, expect_kind="strategic")
    return CycleSpec(
        "ward-cycle", folder, raw, read_need(raw), read_balancing(raw), None, 1, {}, {},
        PlanOptions(),
    )  # fmt: skip


def test_round3_dimensions_acute_staff_to_the_level_and_beds_to_the_occupancy_quantile(
    tmp_path: Path,
) -> None:
    # λ = 1 a day: P(X <= 1) = 0.7358 < 0.85 <= P(X <= 2) = 0.9197 -> level 2 a day. The balance
    # reserves 91.25 x E[min(X, 2)] = 91.25 x 0.89636 = 81.79 -> 82 whole admissions (R16)
    # and produces them. Staff: capacity for 2 arrivals on every day = 182.5 admissions, 100.5
    # above the 82 produced -> nurse load 82 + 100.5 = 182.5 h = 2.0 FTE of 91.25 h (the
    # average 82 h alone: 0.9). Beds: occupied beds are Poisson(1 x 3 = 3): P(X <= 4) = 0.8153
    # < 0.85 <= P(X <= 5) = 0.9161 -> 5 beds (the balance's average 246 / 91.25 = 2.7).
    spec = _spec(tmp_path)
    agreed = balance(spec.balancing, "highs")
    goals = agreed.tables["production_goals"].iloc[0]
    assert goals["own_need"] == 82 and goals["acute_gap"] == 0
    dim = dimensioning(spec, agreed, {}, compute_need(spec.need))
    assert dim.status is SolveStatus.COMPUTED  # a calculation, no objective
    staff = dim.tables["staff"].iloc[0]
    assert staff["acute_extra_load"] == pytest.approx(100.5)
    assert staff["agreed_load"] == pytest.approx(182.5)
    assert staff["fte_exact"] == pytest.approx(2.0) and staff["fte"] == 2
    assert bool(staff["acute"])
    beds = dim.tables["beds"].iloc[0]
    assert beds["acute_beds"] == 5 and beds["beds_exact"] == pytest.approx(5.0)
    assert beds["beds"] == 5 and bool(beds["acute"])
    assert any(
        line.startswith("acute adm at W: 1.0 arrivals a day in Q1, dimensioned for 2 a day")
        for line in dim.explanation
    )

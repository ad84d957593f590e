"""Every need-level formula on the tiny instance (tests/need/tiny.py), worked out by hand.

Demand (13-week quarters Q1, Q2; days_per_year 364 → a quarter is 1/4 of annual hours):

* SURG op (every period): care = 100 × (1 + 0.1) − 10 = 100; production = (100 + 5 waiting-list
  reduction) × conversion 1 = 105.
* SURG visit (Q1 only): care = 200; production = 200 × 1.5 = 300, minus the realised
  improvement "fewer_revisits" (−20) = 280; "digital_followup" (−50) is not realised.

Capacity need (op: 2 surgeon h, 1.5 OR h, 0.5 imaging h at IMG, 2 days / 0.8 = 2.5 bed-days;
visit: 0.5 surgeon h):

* SURG Q1: surgeon 105·2 + 280·0.5 = 350; OR 157.5; beds 262.5. IMG Q1: imaging 52.5.
* SURG Q2: surgeon 210; OR 157.5; beds 262.5. IMG Q2: imaging 52.5.

Available (Q2 low-production factor 0.5):

* surgeons 2 fte × 1700 h × 91/364 × (1 − 0.1) × 0.5 = 382.5 (Q1), 191.25 (Q2); the
  unrealised +100 h "planned_lean" is not counted;
* OR 1 room × 12 h/week × 13 weeks = 156 (Q1), 78 (Q2);
* beds 3 × 91 = 273 (Q1); Q2 row overrides with 4 beds: 4 × 91 × 0.5 = 182;
* imaging 0.5 × 1600 × 1/4 × 0.8 × 0.5 = 80 + realised "faster_scans" 10 = 90 (Q1); 40 (Q2).

Gaps: SURG Q1 ratios OR 1.0096 > beds 0.9615 > surgeon 0.915; SURG Q2 OR 2.019 > beds 1.442 >
surgeon 1.098; IMG Q2 1.3125. The bed gap compares the planned beds (2.885 → 3, × 91 days =
273 bed-days) with the staffed beds: Q1 273 / 273 (none), Q2 273 − 182 = 91. Total positive gap
(a KPI; the need level has no objective) = 1.5 (OR Q1) + 18.75 + 79.5 + 91 (SURG Q2) + 12.5
(IMG Q2) = 203.25.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from pks_opt.capacity_need import (
    Usage,
    breakdown,
    compute_figures,
    compute_need,
    coverage_quantile,
    read_need,
    round_by,
    usage_for,
)
from pks_opt.capacity_need.data import NeedData
from pks_opt.io import read_raw

from .tiny import MANIFEST, TABLES, write_folder


@pytest.fixture
def data(tmp_path: Path) -> NeedData:
    return read_need(read_raw(write_folder(tmp_path / "tiny"), expect_kind="strategic"))


def _table(result, name):  # type: ignore[no-untyped-def]
    return result.tables[name]


def test_care_and_production_need(data: NeedData) -> None:
    lines = {(d.unit, d.planning_object, d.period): d for d in breakdown(data).demand}
    op = lines[("SURG", "op", "Q1")]
    assert op.care_need == pytest.approx(100)  # 100 × 1.1 − 10
    assert op.production_need == pytest.approx(105)  # (100 + 5) × 1
    assert lines[("SURG", "op", "Q2")].production_need == pytest.approx(105)  # blank period
    visit = lines[("SURG", "visit", "Q1")]
    assert visit.care_need == pytest.approx(200)
    assert visit.improvement_volume == pytest.approx(-20)  # only the realised one
    assert visit.production_need == pytest.approx(280)  # 200 × 1.5 − 20
    assert ("SURG", "visit", "Q2") not in lines  # the Q1 row covers Q1 only


def test_growth_compounds_over_years_from_base(tmp_path: Path) -> None:
    # Q2 is two years from the base: op care = 100 × 1.1² − 10 = 111, production 111 + 5 = 116;
    # Q1 (one year, the default) stays 105.
    periods = "period,days,low_production_factor,years_from_base\nQ1,91,1,\nQ2,91,0.5,2\n"
    data = read_need(read_raw(write_folder(tmp_path / "g", {"periods": periods})))
    fig = compute_figures(data)
    assert fig.production_need[("SURG", "op", "Q1")] == pytest.approx(105)
    assert fig.production_need[("SURG", "op", "Q2")] == pytest.approx(116)


def test_capacity_need_with_support_unit(data: NeedData) -> None:
    need = breakdown(data).capacity_need
    assert need[("SURG", "surgeon_hours", "Q1")] == pytest.approx(350)
    assert need[("SURG", "surgeon_hours", "Q2")] == pytest.approx(210)
    assert need[("SURG", "or_hours", "Q1")] == pytest.approx(157.5)
    assert need[("SURG", "beds", "Q1")] == pytest.approx(262.5)  # 105 × 2 / 0.8
    assert need[("IMG", "imaging_hours", "Q1")] == pytest.approx(52.5)  # support-unit load
    assert ("SURG", "imaging_hours", "Q1") not in need


def test_available_capacity(data: NeedData) -> None:
    av = breakdown(data).available
    assert av[("SURG", "surgeon_hours", "Q1")] == pytest.approx(382.5)
    assert av[("SURG", "surgeon_hours", "Q2")] == pytest.approx(191.25)  # low production
    assert av[("SURG", "or_hours", "Q1")] == pytest.approx(156)
    assert av[("SURG", "or_hours", "Q2")] == pytest.approx(78)
    assert av[("SURG", "beds", "Q1")] == pytest.approx(273)
    assert av[("SURG", "beds", "Q2")] == pytest.approx(182)  # period row overrides
    assert av[("IMG", "imaging_hours", "Q1")] == pytest.approx(90)  # 80 + realised 10
    assert av[("IMG", "imaging_hours", "Q2")] == pytest.approx(40)


def test_gaps_ranked_and_objective(data: NeedData) -> None:
    res = compute_need(data)
    gaps = _table(res, "gaps").set_index(["unit", "period", "resource"])
    assert gaps.loc[("SURG", "Q1", "or_hours"), "ratio"] == pytest.approx(157.5 / 156)
    ranks = {
        (p, r): int(gaps.loc[("SURG", p, r), "rank"])
        for p in ("Q1", "Q2")
        for r in ("or_hours", "beds", "surgeon_hours")
    }
    assert ranks == {
        ("Q1", "or_hours"): 1, ("Q1", "beds"): 2, ("Q1", "surgeon_hours"): 3,
        ("Q2", "or_hours"): 1, ("Q2", "beds"): 2, ("Q2", "surgeon_hours"): 3,
    }  # fmt: skip
    assert bool(gaps.loc[("IMG", "Q2", "imaging_hours"), "limiting"])
    assert not bool(gaps.loc[("IMG", "Q1", "imaging_hours"), "limiting"])
    gap = res.kpis["total_positive_gap"]
    assert gap == pytest.approx(203.25)
    # recomputed independently from the table
    recomputed = sum(max(0.0, n - a) for n, a in zip(gaps["need"], gaps["available"], strict=True))
    assert gap == pytest.approx(recomputed)
    assert res.status.value == "COMPUTED" and res.objective == math.inf
    assert res.kpis["limiting_capacities"] == 5


def test_beds_and_staffing(data: NeedData) -> None:
    # 105 admissions × 2 days = 210 bed-days / 91 / 0.8 = 2.885 beds → 3; rn 3 × 1.2 = 3.6 → 4
    res = compute_need(data)
    beds = _table(res, "inpatient_beds").set_index("period")
    assert beds.loc["Q1", "bed_days"] == pytest.approx(210)
    assert beds.loc["Q1", "beds_exact"] == pytest.approx(210 / 91 / 0.8)
    assert beds.loc["Q1", "beds_planned"] == 3
    staffing = _table(res, "staffing")
    staff = staffing[staffing["basis"] == "beds"].set_index("period")
    assert staff.loc["Q1", "fte_exact"] == pytest.approx(3.6)
    assert staff.loc["Q1", "fte"] == 4
    assert staff.loc["Q1", "role"] == "rn" and pd.isna(staff.loc["Q1", "available_fte"])


def test_staff_from_hours(data: NeedData) -> None:
    # One surgeon FTE gives 1700 × 91/364 × 0.9 × 0.5 = 191.25 h in Q1 and half in Q2:
    # Q1 350 / 191.25 = 1.830 → 2 FTE; Q2 210 / 95.625 = 2.196 → 2; 2 FTE available.
    # A radiographer FTE gives 1600 / 4 × 0.8 × 0.5 = 160 h: 52.5 / 160 = 0.328 in Q1.
    staffing = compute_need(data).tables["staffing"]
    hours = staffing[staffing["basis"] == "hours"].set_index(["unit", "role", "period"])
    assert hours.loc[("SURG", "surgeon", "Q1"), "fte_exact"] == pytest.approx(350 / 191.25)
    assert hours.loc[("SURG", "surgeon", "Q1"), "fte"] == 2
    assert hours.loc[("SURG", "surgeon", "Q2"), "fte_exact"] == pytest.approx(210 / 95.625)
    assert hours.loc[("SURG", "surgeon", "Q2"), "available_fte"] == 2
    assert hours.loc[("IMG", "radiographer", "Q1"), "fte_exact"] == pytest.approx(52.5 / 160)
    assert hours.loc[("IMG", "radiographer", "Q1"), "hours_per_fte"] == pytest.approx(160)


def test_staff_from_hours_splits_need_pro_rata(tmp_path: Path) -> None:
    # Two functions supply surgeon_hours: 2 FTE (382.5 h) and a locum 1 FTE × 1700 h × 1/4 ×
    # 1 × 0.9 = 382.5 h in Q1; the 350 h need splits 50/50: 175 / 191.25 = 0.915 FTE and
    # 175 / 382.5 = 0.4575 FTE.
    staff = TABLES["staff"] + "SURG,locum,surgeon_hours,1,1700,0,0.9\n"
    data = read_need(read_raw(write_folder(tmp_path / "t", {"staff": staff})))
    st = compute_need(data).tables["staffing"].set_index(["role", "period"])
    assert st.loc[("surgeon", "Q1"), "fte_exact"] == pytest.approx(175 / 191.25)
    assert st.loc[("locum", "Q1"), "fte_exact"] == pytest.approx(175 / 382.5)
    assert st.loc[("locum", "Q1"), "need"] == pytest.approx(175)


@pytest.mark.parametrize(
    ("bed_rule", "staff_rule", "beds", "fte"),
    [("up", "up", 3, 4), ("down", "nearest", 2, 2), ("none", "none", 210 / 91 / 0.8, 3.4615)],
)
def test_rounding_rule_is_a_parameter(
    tmp_path: Path, bed_rule: str, staff_rule: str, beds: float, fte: float
) -> None:
    # down: 2 beds × 1.2 = 2.4 → 2; none: 2.8846 × 1.2 = 3.4615
    manifest = {**MANIFEST, "parameters": {"bed_rounding": bed_rule, "staff_rounding": staff_rule}}
    raw = read_raw(write_folder(tmp_path / "t", manifest=manifest))
    res = compute_need(read_need(raw))
    assert res.tables["inpatient_beds"]["beds_planned"].iloc[0] == pytest.approx(beds)
    assert res.tables["staffing"]["fte"].iloc[0] == pytest.approx(fte, abs=1e-4)


def test_round_by() -> None:
    assert round_by(20.19, "nearest") == 20 and round_by(20.5, "nearest") == 21
    assert round_by(20.19, "up") == 21 and round_by(24.0000000001, "up") == 24
    assert round_by(20.99, "down") == 20 and round_by(1.99992, "nearest") == 2


def test_acute_dimensioning_quantile(data: NeedData) -> None:
    # 10 days sorted 2 3 4 5 5 6 6 7 8 9: 85 % → the ⌈8.5⌉ = 9th value, 8, covering 9/10 days;
    # 50 % → the 5th value, 5, covering 5/10 days.
    res = compute_need(data)
    row = res.tables["acute_dimensioning"].iloc[0]
    assert (row["capacity"], row["days_covered"], row["share_covered"]) == (8, 9, 0.9)
    assert row["mean_arrivals"] == pytest.approx(5.5) and row["max_arrivals"] == 9
    half = compute_need(data, acute_share=0.5).tables["acute_dimensioning"].iloc[0]
    assert (half["capacity"], half["days_covered"]) == (5, 5)
    assert coverage_quantile([4, 1, 3, 2], 1.0) == 4
    assert coverage_quantile([4, 1, 3, 2], 0.75) == 3


def test_usage_for_any_unit(data: NeedData) -> None:
    home = usage_for(data, "SURG", "op")
    assert home == (
        Usage("SURG", "surgeon_hours", 2.0),
        Usage("SURG", "or_hours", 1.5),
        Usage("IMG", "imaging_hours", 0.5),
        Usage("SURG", "beds", 2.5),
    )
    # IMG has its own activity-hours row for op: it replaces the defaults; no inpatient row
    assert usage_for(data, "IMG", "op") == (Usage("IMG", "surgeon_hours", 3.0),)
    assert usage_for(data, "IMG", "visit") == (Usage("IMG", "surgeon_hours", 0.5),)


def test_compute_figures_contract(data: NeedData) -> None:
    fig = compute_figures(data)
    assert fig.units == ("SURG", "IMG") and fig.periods == ("Q1", "Q2")
    assert fig.priority == {"op": 2, "visit": 3}
    assert fig.production_need == {
        ("SURG", "op", "Q1"): pytest.approx(105),
        ("SURG", "op", "Q2"): pytest.approx(105),
        ("SURG", "visit", "Q1"): pytest.approx(280),
    }
    assert set(fig.usage) == {("SURG", "op"), ("SURG", "visit")}
    assert fig.available[("IMG", "imaging_hours", "Q1")] == pytest.approx(90)
    assert fig.capacity_need[("IMG", "imaging_hours", "Q2")] == pytest.approx(52.5)


def test_mission_cascade_leaves_levels_out_of_production(tmp_path: Path) -> None:
    # REGION 1000 → SURG 40 % = 400 (+ growth 0.1 → 440) → production 440 ops, 880 surgeon h.
    units = "unit,name,parent\nREGION,Region,\nSURG,Surgery,REGION\nIMG,Imaging,REGION\n"
    demand = (
        "unit,planning_object,base_volume,share_of_parent,demographic_growth\n"
        "REGION,op,1000,,0\nSURG,op,,0.4,0.1\n"
    )
    raw = read_raw(write_folder(tmp_path / "c", {"units": units, "demand": demand}))
    data = read_need(raw)
    fig = compute_figures(data)
    assert fig.units == ("SURG", "IMG")
    assert fig.production_need[("SURG", "op", "Q1")] == pytest.approx(440)
    assert ("REGION", "op", "Q1") not in fig.production_need
    assert fig.capacity_need[("SURG", "surgeon_hours", "Q1")] == pytest.approx(880)
    cascade = compute_need(data).tables["mission_cascade"].set_index(["unit", "period"])
    assert cascade.loc[("REGION", "Q1"), "distributed_to_children"] == pytest.approx(440)
    assert cascade.loc[("REGION", "Q1"), "kept_or_undistributed"] == pytest.approx(560)


def test_object_without_activity_hours_is_warned(tmp_path: Path) -> None:
    acts = "planning_object,resource,amount_per_activity\nop,surgeon_hours,2\n"
    data = read_need(read_raw(write_folder(tmp_path / "w", {"activity_hours": acts})))
    res = compute_need(data)
    assert res.warnings == [
        "SURG/visit: no activity_hours or inpatient row, so its production need uses no capacity"
    ]
    assert compute_need(read_need(read_raw(write_folder(tmp_path / "ok")))).warnings == []


def test_same_input_same_output(data: NeedData) -> None:
    a, b = compute_need(data), compute_need(data)
    assert a.objective == b.objective
    for name in a.tables:
        assert a.tables[name].equals(b.tables[name]), name

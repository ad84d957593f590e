"""`pks balance --actuals`: a done quarter is fixed (R0) and the rest of the year re-balanced."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from pks_opt.commands import main

# A needs 10 activities of o1 a quarter (priority 2: may wait one quarter) and has 14 nurse
# hours a quarter (1.4 FTE × 40 h/year × 91.25/365), 1 h each: the balance produces 10 a quarter.
TABLES = {
    "instance.yaml": "kind: strategic\nname: tiny-year\n",
    "units.csv": "unit,name\nA,Unit A\n",
    "resources.csv": "resource,name,measure\nrn,Nurse hours,hours\n",
    "periods.csv": "period,days,low_production_factor\n"
    + "".join(f"2027Q{q},91.25,1\n" for q in range(1, 5)),
    "planning_objects.csv": "planning_object,priority\no1,2\n",
    "priorities.csv": "priority,unmet_weight,may_postpone,max_postpone_periods,"
    "postpone_weight_per_period\n2,300,true,1,40\n",
    "demand.csv": "unit,planning_object,base_volume\nA,o1,10\n",
    "activity_hours.csv": "planning_object,resource,amount_per_activity\no1,rn,1\n",
    "staff.csv": "unit,function,resource,fte,annual_hours\nA,nurses,rn,1.4,40\n",
}


@pytest.mark.rule("balancing", "R0")
def test_done_quarter_is_fixed_and_its_backlog_caught_up(tmp_path: Path) -> None:
    # Weeks 1-13 (2027Q1) as they happened: 10 joined, only 6 produced. Q1 is done: A's
    # production is 6, the 4 left are postponed to Q2 (40 a period, cheaper than unmet 300),
    # Q2 produces 10 + 4 = 14 (all 14 h), Q3 and Q4 10 as before.
    inst = tmp_path / "i"
    inst.mkdir()
    for name, text in TABLES.items():
        (inst / name).write_text(text)
    act = tmp_path / "act"
    act.mkdir()
    (act / "instance.yaml").write_text("kind: actuals\n")
    rows = ["unit,planning_object,week,production,inflow"]
    for w in range(1, 14):
        rows.append(f"A,o1,{w},{1 if w <= 6 else 0},{1 if w <= 10 else 0}")
    (act / "production.csv").write_text("\n".join(rows) + "\n")
    out = tmp_path / "out"
    res = CliRunner().invoke(
        main,
        ["balance", str(inst), "--actuals", str(act), "--out", str(out)],
        catch_exceptions=False,
    )
    assert res.exit_code == 0, res.output
    goals = pd.read_csv(out / "production_goals.csv")
    assert list(goals["goal"].round(6)) == [6, 14, 10, 10]
    assert list(goals["postponed"].round(6)) == [4, 0, 0, 0]
    used = pd.read_csv(out / "actuals_used.csv").iloc[0]
    assert (used["period"], used["joined"], used["produced"], used["planned_production"]) == (
        "2027Q1",
        10,
        6,
        10,
    )
    assert "actuals: 2027Q1 done" in res.output
    # no quarter done yet (weeks 1-12 only) is bad input, nothing written
    (act / "production.csv").write_text("\n".join(rows[:13]) + "\n")
    out2 = tmp_path / "out2"
    res = CliRunner().invoke(
        main,
        ["balance", str(inst), "--actuals", str(act), "--out", str(out2)],
        catch_exceptions=False,
    )
    assert res.exit_code == 2 and "no quarter is done" in res.stderr and not out2.exists()

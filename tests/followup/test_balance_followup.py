"""`pks follow-up BALANCE_DIR ACTUALS`: the year so far against a balance's quarterly goals,
need and capacity after its actions, on a tiny balance result with worked numbers."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from pks_opt.commands import main
from pks_opt.followup import read_actuals
from pks_opt.followup.balance import balance_follow_up, read_balance_folder
from pks_opt.instances import instance_path

PERIODS = ["2027Q1", "2027Q2", "2027Q3", "2027Q4", "2028Q1"]


def run(*args: object):  # noqa: ANN201
    return CliRunner().invoke(main, [*map(str, args)], catch_exceptions=False)


def balance_folder(folder: Path) -> Path:
    # A balance result as `pks balance --out` writes it: unit U, object a, goal 130 a quarter
    # (260 in Q2), need 130 a quarter; resource h (hours) 1 300 a quarter after the actions.
    folder.mkdir(parents=True)
    pd.DataFrame(
        {
            "unit": "U",
            "planning_object": "a",
            "period": PERIODS,
            "goal": [130.0, 260.0, 130.0, 130.0, 130.0],
            "need": 130.0,
        }
    ).to_csv(folder / "production_goals.csv", index=False)
    pd.DataFrame(
        {
            "unit": "U",
            "resource": "h",
            "period": PERIODS,
            "available_after": 1300.0,
        }
    ).to_csv(folder / "utilisation.csv", index=False)
    (folder / "result.json").write_text(json.dumps({"kind": "balance", "instance": "tiny"}))
    return folder


def actuals_folder(folder: Path, weeks: int = 20, extra: str = "") -> Path:
    # Production 10 a week, inflow 12 a week; hours 100 a week, 80 from week 14 (sick leave)
    # on two plan resources "doc" (60 %) and "nurse" (40 %).
    folder.mkdir(parents=True)
    (folder / "instance.yaml").write_text("kind: actuals\nname: tiny-actuals\n")
    prod = ["unit,planning_object,week,production,inflow,comment"]
    cap = ["unit,resource,week,available_hours,comment"]
    for w in range(1, weeks + 1):
        prod.append(f"U,a,{w},10,12,{'referrals' if w == 3 else ''}")
        hours = 100 if w <= 13 else 80
        note = "sick leave" if w >= 14 else ""
        cap.append(f"U,doc,{w},{hours * 0.6:g},{note}")
        cap.append(f"U,nurse,{w},{hours * 0.4:g},{note}")
    (folder / "production.csv").write_text("\n".join(prod) + "\n" + extra)
    (folder / "capacity.csv").write_text("\n".join(cap) + "\n")
    return folder


def test_quarters_against_goals_need_and_capacity(tmp_path: Path) -> None:
    bf = read_balance_folder(balance_folder(tmp_path / "b"))
    assert bf.periods == PERIODS[:4]  # the plan year: the first four quarters
    result = balance_follow_up(
        bf,
        read_actuals(actuals_folder(tmp_path / "a")),
        threshold=0.10,
        resource_map={"doc": "h", "nurse": "h"},
    )
    t = result.tables["balance_followup"].set_index("period")
    # Q1, weeks 1–13: produced 130 = the goal; inflow 156 against the need 130: +20 % (flagged).
    q1 = t.loc["2027Q1"]
    assert (q1["weeks_done"], q1["goal_to_date"], q1["production_actual"]) == (13, 130, 130)
    assert not q1["production_flag"] and q1["inflow_flag"]
    assert q1["inflow_deviation_share"] == pytest.approx(0.2)
    assert q1["comment"] == "referrals"
    # Q2, weeks 14–20 (7 of 13): goal to date 260 × 7/13 = 140, produced 70: −50 %; at this
    # rate 70 / 7 × 13 = 130 in the quarter, 130 short of the goal 260.
    q2 = t.loc["2027Q2"]
    assert q2["weeks"] == "14–20" and q2["goal_to_date"] == pytest.approx(140.0)
    assert q2["production_deviation_share"] == pytest.approx(-0.5) and q2["production_flag"]
    assert q2["goal_gap_at_this_rate"] == pytest.approx(-130.0)
    # Capacity: doc + nurse hours are h's. Q1 1 300 = 1 300; Q2 7 × 80 = 560 against
    # 1 300 × 7/13 = 700: −20 % (flagged, with the comment).
    c = result.tables["balance_capacity_followup"].set_index("period")
    assert c.loc["2027Q1", "available_actual"] == pytest.approx(1300)
    assert not c.loc["2027Q1", "available_flag"]
    assert c.loc["2027Q2", "available_actual"] == pytest.approx(560)
    assert c.loc["2027Q2", "available_deviation_share"] == pytest.approx(-0.2)
    assert c.loc["2027Q2", "comment"] == "sick leave"
    text = " | ".join(result.explanation)
    # Q2's inflow 7 × 12 = 84 against the need 70 is +20 % as well: one line names both.
    assert (
        "U a 2027Q2 (weeks 14–20): inflow +20% against the balance's need (+14 patients), "
        "production -50% against the goal to date (-70 activities)"
    ) in text
    assert "at this rate the 2027Q2 goal of 260 is missed by 130" in text
    assert "U h 2027Q2 (weeks 14–20): available -20% against the balanced capacity" in text
    assert result.kpis["escalations"] == 3  # Q1 inflow, Q2 production, Q2 capacity
    assert result.warnings == []


def test_unmapped_resources_are_named_not_followed(tmp_path: Path) -> None:
    bf = read_balance_folder(balance_folder(tmp_path / "b"))
    result = balance_follow_up(bf, read_actuals(actuals_folder(tmp_path / "a")))
    assert result.tables["balance_capacity_followup"].empty
    assert result.warnings == [
        "capacity of U not followed up at this level: doc, nurse are not "
        "a resource of the balance (h)"
    ]


def test_cli_dispatches_on_a_balance_result(tmp_path: Path) -> None:
    b, a, out = balance_folder(tmp_path / "b"), actuals_folder(tmp_path / "a"), tmp_path / "out"
    res = run("follow-up", b, a, "--out", out)
    assert res.exit_code == 0, res.output
    assert {p.name for p in out.iterdir()} >= {
        "balance_followup.csv",
        "balance_capacity_followup.csv",
        "escalation.csv",
        "balance_followup.png",
        "result.json",
    }
    esc = pd.read_csv(out / "escalation.csv")
    assert list(esc["period"]) == ["2027Q1", "2027Q2"] and set(esc["level"]) == {"balance"}


@pytest.mark.parametrize(
    ("extra", "field", "words"),
    [
        ("U,b,1,1,1,\n", "planning_object", "'b' has no goal at unit 'U'"),
        ("V,a,1,1,1,\n", "unit", "unit 'V' is not a unit of the balance"),
    ],
)
def test_bad_actuals_exit_2_with_file_row_field(
    tmp_path: Path, extra: str, field: str, words: str
) -> None:
    b, out = balance_folder(tmp_path / "b"), tmp_path / "out"
    a = actuals_folder(tmp_path / "a", weeks=2, extra=extra)
    res = run("follow-up", b, a, "--out", out)
    assert res.exit_code == 2
    assert "production.csv" in res.output and "row 4" in res.output
    assert f"field '{field}'" in res.output and words in res.output
    assert not out.exists()


def test_a_week_after_the_balance_year_is_refused(tmp_path: Path) -> None:
    # --year 2028 has one quarter (2028Q1): weeks 1–13; week 14 is outside it.
    b = balance_folder(tmp_path / "b")
    a = actuals_folder(tmp_path / "a", weeks=14)
    res = run("follow-up", b, a, "--year", "2028")
    assert res.exit_code == 2
    assert "week 14 is after the balance year's last week 13 (2028Q1…2028Q1)" in res.output
    assert "row 15, field 'week'" in res.output


def test_shipped_balance_and_actuals(tmp_path: Path) -> None:
    # region-small's balance, followed up with clinic-followup's MEDCLIN actuals (weeks 1–20)
    # through clinic-plan's balance_resource column (physician → physician_h, nurse → nurse_h).
    bal = tmp_path / "bal"
    assert run("balance", instance_path("region-small"), "--out", bal).exit_code == 0
    out = tmp_path / "fu"
    res = run(
        "follow-up",
        bal,
        instance_path("clinic-followup") / "actuals",
        "--resources-from",
        instance_path("clinic-plan"),
        "--out",
        out,
    )
    assert res.exit_code == 0, res.output
    t = pd.read_csv(out / "balance_followup.csv")
    assert set(t["period"]) == {"2027Q1", "2027Q2"} and set(t["unit"]) == {"MEDCLIN"}
    actual = pd.read_csv(instance_path("clinic-followup") / "actuals" / "production.csv")
    assert t["production_actual"].sum() == pytest.approx(actual["production"].sum(), abs=0.5)
    c = pd.read_csv(out / "balance_capacity_followup.csv")
    assert set(c["resource"]) == {"physician_h", "nurse_h"}
    assert "room is not a resource of the balance" in res.output

"""`pks balance` end to end on a tiny strategic instance, scenarios, and bad input (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from pks_opt.balancing import read_balancing
from pks_opt.balancing.milp import solve_balancing
from pks_opt.balancing.solution import stage_values, violations
from pks_opt.commands import main
from pks_opt.instances import instance_path
from pks_opt.io import read_raw

# Tiny region: A needs 10 activities of o1 (1 nurse hour each) per quarter and has 5 h
# (0.5 FTE x 40 h/year x 91.25/365); B needs 10 of o2 and has 20 h -> 10 h spare.
# Moves B -> A at most 3 h at 10 SEK/h; purchases of o1 at 100 SEK, at most 2 per quarter;
# A may spend 150 SEK over the horizon.
# Optimum: per quarter move 3 h (30 SEK, the ladder's first step); the remaining 90 SEK buy
# 0.9 activities; unmet = 2 x (10 - 5 - 3) - 0.9 = 3.1 (weight 1 each) -> objective 3.1.
TABLES = {
    "units.csv": "unit,name\nA,Unit A\nB,Unit B\n",
    "resources.csv": "resource,name,measure\nrn,Nurse hours,hours\n",
    "periods.csv": "period,days,low_production_factor\nQ1,91.25,1\nQ2,91.25,1\n",
    "planning_objects.csv": "planning_object,priority\no1,1\no2,1\n",
    "demand.csv": "unit,planning_object,base_volume\nA,o1,10\nB,o2,10\n",
    "activity_hours.csv": "planning_object,resource,amount_per_activity\no1,rn,1\no2,rn,1\n",
    "staff.csv": "unit,function,resource,fte,annual_hours\nA,nurses,rn,0.5,40\nB,nurses,rn,2,40\n",
    "moves.csv": "donor,receiver,resource,max_per_period,cost_per_unit\nB,A,rn,3,10\n",
    "purchases.csv": "planning_object,tier,provider,price_per_activity,capacity_per_period\n"
    "o1,existing_contract,P,100,2\n",
    "budgets.csv": "unit,base_cost,budget\nA,0,150\n",
}
# the optimum above is in fractional activities: the tiny instance balances without rounding
# to whole activities (the rule is tested in test_whole_and_time.py)
MANIFEST = "kind: strategic\nname: tiny\nparameters:\n  balancing:\n    whole_activities: none\n"


def write_instance(folder: Path, **changes: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "instance.yaml").write_text(changes.pop("instance.yaml", MANIFEST))
    for name, text in {**TABLES, **changes}.items():
        (folder / name).write_text(text)
    return folder


def run(*args: str):
    return CliRunner().invoke(main, ["balance", *map(str, args)], catch_exceptions=False)


@pytest.mark.parametrize("backend", ["cbc", "highs"])
def test_cli_writes_envelope_tables_and_chart(tmp_path, backend):
    inst = write_instance(tmp_path / "tiny")
    res = run(inst, "--solver", backend, "--out", tmp_path / "out")
    assert res.exit_code == 0, res.output
    env = json.loads((tmp_path / "out" / "result.json").read_text())
    assert env["kind"] == "balance" and env["status"] == "OPTIMAL"
    assert env["objective"] == pytest.approx(3.1, abs=1e-5)
    assert [s["name"] for s in env["stages"]][:3] == ["need", "ladder", "cost"]
    for name in (
        "production_goals",
        "budget",
        "actions",
        "utilisation",
        "shadow_prices",
        "service_catalogue",
    ):
        assert (tmp_path / "out" / env["tables"][name]).exists()
    assert (tmp_path / "out" / "need_vs_capacity.png").exists()
    goals = pd.read_csv(tmp_path / "out" / "production_goals.csv")
    assert list(goals.columns[:4]) == ["unit", "planning_object", "period", "goal"]
    # A produces 5 + 3 = 8 of o1 per quarter with its own plus the moved hours
    a = goals[(goals.unit == "A") & (goals.planning_object == "o1")]
    assert a.goal.tolist() == pytest.approx([8, 8], abs=1e-5)
    actions = pd.read_csv(tmp_path / "out" / "actions.csv")
    assert list(actions.columns[:7]) == [
        "order",
        "action",
        "unit",
        "resource_or_object",
        "period",
        "amount",
        "cost",
    ]
    order = {"move": 1, "increase": 2, "purchase": 3, "postpone": 4, "unmet": 5}
    ranks = [order[a] for a in actions.action]
    assert ranks == sorted(ranks)  # ladder order
    assert actions.loc[actions.action == "move", "amount"].sum() == pytest.approx(6)
    assert actions.loc[actions.action == "purchase", "cost"].sum() == pytest.approx(90, abs=1e-3)
    budget = pd.read_csv(tmp_path / "out" / "budget.csv").set_index("unit")
    assert budget.loc["A", "total_cost"] == pytest.approx(150, abs=1e-3)


def test_same_input_same_output(tmp_path):
    inst = write_instance(tmp_path / "tiny")
    run(inst, "--out", tmp_path / "o1")
    run(inst, "--out", tmp_path / "o2")
    for f in ("production_goals.csv", "actions.csv", "budget.csv"):
        assert (tmp_path / "o1" / f).read_text() == (tmp_path / "o2" / f).read_text()


def test_scenario_comparison(tmp_path):
    # +200 SEK for A: 290 SEK after the moves buy 2.9 activities (contract allows 4):
    # unmet 4 - 2.9 = 1.1 instead of 3.1.
    inst = write_instance(tmp_path / "tiny")
    sc = tmp_path / "more_budget.yaml"
    sc.write_text(
        "name: more_budget\nchanges:\n  - shortcut: budget_change\n    unit: A\n    delta: 200\n"
    )
    res = run(inst, "--scenario", sc, "--out", tmp_path / "out")
    assert res.exit_code == 0, res.output
    table = pd.read_csv(tmp_path / "out" / "scenario_comparison.csv").set_index("scenario")
    assert table.loc["base", "unmet_activities"] == pytest.approx(3.1, abs=1e-4)
    assert table.loc["more_budget", "unmet_activities"] == pytest.approx(1.1, abs=1e-4)
    assert table.loc["more_budget", "action_cost"] == pytest.approx(350, abs=1e-3)
    assert (tmp_path / "out" / "more_budget" / "result.json").exists()
    assert json.loads((tmp_path / "out" / "result.json").read_text())["objective"] == pytest.approx(
        3.1, abs=1e-4
    )
    assert "scenario comparison" in res.output


BAD = [
    (
        {"moves.csv": "donor,receiver,resource,max_per_period\nX,A,rn,3\n"},
        "moves.csv row 2, field 'donor': unit 'X' is not defined",
    ),
    (
        {"moves.csv": "donor,receiver,resource,max_per_period\nB,A,beds,3\n"},
        "moves.csv row 2, field 'resource': resource 'beds' is not defined",
    ),
    (
        {"moves.csv": "donor,receiver,resource\nB,A,rn\n"},
        "moves.csv row 1: missing column 'max_per_period'",
    ),
    (
        {
            "increases.csv": "unit,resource,kind,cost_per_unit,max_per_period\nA,rn,recruitment,-5,10\n"
        },
        "increases.csv row 2, field 'cost_per_unit'",
    ),
    (
        {"increases.csv": "unit,resource,kind,cost_per_unit,max_per_period\nA,rn,magic,5,10\n"},
        "increases.csv row 2, field 'kind'",
    ),
    (
        {
            "purchases.csv": "planning_object,tier,provider,price_per_activity\no1,existing_contract,P,nan\n"
        },
        "purchases.csv row 2, field 'price_per_activity'",
    ),
    (
        {
            "purchases.csv": "planning_object,tier,provider,price_per_activity\no9,existing_contract,P,5\n"
        },
        "planning object 'o9' is not defined",
    ),
    (
        {"budgets.csv": "unit,base_cost,budget\nA,0,150\nA,0,10\n"},
        "budgets.csv row 3, field 'unit': duplicate unit 'A' (first on row 2)",
    ),
    (
        {"budgets.csv": "unit,base_cost,budget\nA,200,150\n"},
        "budgets.csv row 2, field 'budget': base_cost 200 exceeds budget 150",
    ),
    (
        {"capabilities.csv": "unit,planning_object\nQ,o1\n"},
        "capabilities.csv row 2, field 'unit': unit 'Q' is not defined",
    ),
    (
        {
            "priorities.csv": "priority,unmet_weight,may_postpone,max_postpone_periods\n1,10,true,0\n"
        },
        "priorities.csv row 2",
    ),
    (
        {"waiting_lists.csv": "unit,planning_object,waiting\nA,o1,-3\n"},
        "waiting_lists.csv row 2, field 'waiting'",
    ),
    (
        {"instance.yaml": MANIFEST + "    ladder_move: -1\n"},
        "field 'parameters.balancing.ladder_move'",
    ),
]


@pytest.mark.parametrize(("changes", "message"), BAD)
def test_bad_input_exit_2_one_line_nothing_written(tmp_path, changes, message):
    inst = write_instance(tmp_path / "tiny", **changes)
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["balance", str(inst), "--out", str(out)])
    assert res.exit_code == 2, res.output
    lines = [ln for ln in res.output.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1 and message in lines[0], res.output
    assert "Traceback" not in res.output
    assert not out.exists()


def test_scenario_naming_unknown_unit_exit_2(tmp_path):
    inst = write_instance(tmp_path / "tiny")
    sc = tmp_path / "bad.yaml"
    sc.write_text("changes:\n  - shortcut: budget_change\n    unit: NOPE\n    delta: 5\n")
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["balance", str(inst), "--scenario", str(sc), "--out", str(out)])
    assert res.exit_code == 2
    assert "bad.yaml change 1, field 'where'" in res.output and "'NOPE'" in res.output
    assert not out.exists()


def test_scenario_bad_value_names_the_change(tmp_path):
    inst = write_instance(tmp_path / "tiny")
    sc = tmp_path / "neg.yaml"
    sc.write_text(
        "changes:\n  - shortcut: add_contract\n    planning_object: o1\n    tier: existing_contract\n"
        "    provider: Q\n    price_per_activity: -1\n"
    )
    res = CliRunner().invoke(
        main, ["balance", str(inst), "--scenario", str(sc), "--out", str(tmp_path / "o")]
    )
    assert res.exit_code == 2
    assert "neg.yaml change 1" in res.output and "price_per_activity" in res.output
    assert not (tmp_path / "o").exists()


def test_region_small_backends_agree_and_objectives_recompute():
    # The shipped region: every stage's optimum equal on both backends (rel. 1e-6) and equal
    # to the value recomputed from the plan the stages proved; that plan rounded to whole
    # activities (R15) keeps every row; all six action types appear (shift in time first).
    data = read_balancing(read_raw(instance_path("region-small")))
    runs = {b: solve_balancing(data, b, time_limit_s=60, duals=False) for b in ("cbc", "highs")}
    for b, r in runs.items():
        assert r.status.value == "OPTIMAL", b
        assert r.continuous is not None
        assert violations(data, r.values) == [], b
        assert violations(data, r.continuous) == [], b
        for fam in ("x", "buy", "d", "s", "q"):
            assert all(v == int(v) for v in r.values[fam].values()), (b, fam)
        again = stage_values(data, r.continuous)
        for st in r.stages:
            assert again[st.name] == pytest.approx(st.outcome.objective, rel=1e-6, abs=1e-4), (
                b,
                st.name,
            )
    for a, b in zip(runs["cbc"].stages, runs["highs"].stages, strict=True):
        assert a.name == b.name
        assert a.outcome.objective == pytest.approx(b.outcome.objective, rel=1e-6, abs=1e-4), a.name
    v = runs["highs"].values
    assert sum(v["w"].values()) > 1  # moved over time (time_shifts.csv)
    assert sum(v["m"].values()) > 1 and sum(v["z"].values()) > 1
    assert sum(v["buy"].values()) > 1 and sum(v["d"].values()) > 1


def test_close_unit_scenario(tmp_path):
    # B closed (its staff FTE set to 0): nothing to move, B's 20 activities unmet; A buys
    # 150 / 100 = 1.5 of its 2 x 5 missing activities -> unmet 8.5 + 20 = 28.5.
    inst = write_instance(tmp_path / "tiny")
    sc = tmp_path / "close_b.yaml"
    sc.write_text("changes:\n  - shortcut: close_unit\n    unit: B\n")
    res = run(inst, "--scenario", sc, "--out", tmp_path / "out")
    assert res.exit_code == 0, res.output
    table = pd.read_csv(tmp_path / "out" / "scenario_comparison.csv").set_index("scenario")
    assert table.loc["close_b", "unmet_activities"] == pytest.approx(28.5, abs=1e-4)
    assert table.loc["close_b", "moves"] == 0


def test_json_with_scenarios_prints_only_the_envelope(tmp_path):
    inst = write_instance(tmp_path / "tiny")
    sc = tmp_path / "more_budget.yaml"
    sc.write_text("changes:\n  - shortcut: budget_change\n    unit: A\n    delta: 200\n")
    res = run(inst, "--scenario", sc, "--json")
    assert res.exit_code == 0
    env = json.loads(res.output)  # nothing but JSON on stdout
    assert env["kpis"]["scenarios"]["more_budget"]["unmet_activities"] == pytest.approx(
        1.1, abs=1e-4
    )
    assert env["tables"]["scenario_comparison"] == "scenario_comparison.csv"


def test_chart_says_what_it_shows(tmp_path):
    # The tiny region's chart: one panel per unit titled with the unit's name and resource,
    # the y axis in the resource's measure, and the gap before/after in the title
    # (A: need 10 h / 5 h available = 200 % before; after, 8 h load on 8 h = 100 %).
    from pks_opt.balancing.report import balancing_charts
    from pks_opt.balancing.solution import make_result

    data = read_balancing(read_raw(write_instance(tmp_path / "tiny")))
    result = make_result(data, solve_balancing(data, "highs"))
    fig = balancing_charts(data, result)["need_vs_capacity"]
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles[0].startswith("A Unit A: rn") and "200% before" in titles[0]
    assert "100% after" in titles[0]
    assert all(ax.get_ylabel() == "hours per period" for ax in fig.axes if ax.get_title())
    assert "per unit" in fig._suptitle.get_text()


def test_chart_of_many_units_shows_the_most_limited(tmp_path, monkeypatch):
    # More units than panels: only the units with the highest need/available before are
    # drawn (here 1 panel of the tiny region's 2 units: A at 200 %), and the title says so.
    import pks_opt.balancing.report as report
    from pks_opt.balancing.solution import make_result

    data = read_balancing(read_raw(write_instance(tmp_path / "tiny")))
    result = make_result(data, solve_balancing(data, "highs"))
    monkeypatch.setattr(report, "MAX_PANELS", 1)
    fig = report.balancing_charts(data, result)["need_vs_capacity"]
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert len(titles) == 1 and titles[0].startswith("A Unit A: rn")
    assert "the 1 of 2 units with the highest need/available" in fig._suptitle.get_text()


@pytest.mark.parametrize("command", ["need", "balance"])
def test_missing_staff_table_warns_that_nothing_supplies_the_resource(tmp_path, command):
    # staff.csv is optional (rooms or beds may supply capacity), but without it nothing
    # supplies 'rn', which the tiny region needs: a planner must be told, not just see
    # everything unmet.
    inst = write_instance(tmp_path / "tiny")
    (inst / "staff.csv").unlink()
    res = CliRunner().invoke(main, [command, str(inst)])
    assert res.exit_code == 0, res.output
    assert "resource 'rn' is needed (40 in all) but no unit has any of it" in res.output


def test_close_unit_closes_staff_rooms_and_beds_and_checks_the_unit(tmp_path):
    # B also has 20 staffed beds of resource 'rn' (beds.csv): closing B must close them too,
    # so B still has no capacity and the plan is as with staff only: unmet 28.5 (see above).
    # Only with tables: [staff] do B's 20 beds-hours stay: B's need (10 per quarter) is met.
    # A unit not in units.csv is one error line naming units.
    inst = write_instance(
        tmp_path / "tiny", **{"beds.csv": "unit,resource,staffed_beds\nB,rn,20\n"}
    )
    whole, staff = tmp_path / "close_b.yaml", tmp_path / "staff_b.yaml"
    whole.write_text("changes:\n  - shortcut: close_unit\n    unit: B\n")
    staff.write_text("changes:\n  - shortcut: close_unit\n    unit: B\n    tables: [staff]\n")
    res = run(inst, "--scenario", whole, "--scenario", staff, "--out", tmp_path / "out")
    assert res.exit_code == 0, res.output
    table = pd.read_csv(tmp_path / "out" / "scenario_comparison.csv").set_index("scenario")
    assert table.loc["close_b", "unmet_activities"] == pytest.approx(28.5, abs=1e-4)
    b_unmet = pd.read_csv(tmp_path / "out" / "staff_b" / "actions.csv")
    assert not ((b_unmet.action == "unmet") & (b_unmet.unit == "B")).any()
    bad = tmp_path / "nope.yaml"
    bad.write_text("changes:\n  - shortcut: close_unit\n    unit: NOPE\n")
    res = CliRunner().invoke(main, ["balance", str(inst), "--scenario", str(bad)])
    assert res.exit_code == 2
    assert (
        "nope.yaml change 1, field 'where': no row of table 'units' has unit 'NOPE'" in res.output
    )


def test_budget_cut_runs_and_reports_its_consequences(tmp_path: Path) -> None:
    # region-small's budget_cut_10: every budget 10 % lower (a savings requirement of 113
    # MSEK); with the same savings options but no cut (savings_options) the need is met far
    # better, so the cut's consequence is the difference.
    from pks_opt.instances import instance_path

    region = instance_path("region-small")
    out = tmp_path / "cut"
    res = CliRunner().invoke(
        main,
        [
            "balance",
            str(region),
            "--scenario",
            str(region / "scenarios" / "savings_options.yaml"),
            "--scenario",
            str(region / "scenarios" / "budget_cut_10.yaml"),
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out / "scenario_comparison.csv").set_index("scenario")
    assert table.loc["budget_cut_10", "status"] == "OPTIMAL"
    assert (
        table.loc["budget_cut_10", "unmet_activities"]
        > table.loc["savings_options", "unmet_activities"]
    )
    budget = pd.read_csv(out / "budget_cut_10" / "budget.csv").set_index("unit")
    assert (budget["remaining"] >= -1.0).all()  # every (cut) budget holds
    assert -budget.loc["TOTAL", "reduction_cost"] >= 113_100_000 - 1
    env = json.loads((out / "budget_cut_10" / "result.json").read_text())
    assert any(
        line.startswith("savings requirement at MED: budget 380 700 000 SEK")
        for line in env["explanation"]
    )


def test_a_budget_below_cost_without_savings_options_is_refused(tmp_path: Path) -> None:
    import shutil

    from pks_opt.instances import instance_path

    inst = tmp_path / "r"
    shutil.copytree(instance_path("region-small"), inst)
    text = (
        (inst / "budgets.csv")
        .read_text()
        .replace("KIR,150000000.0,150400000.0", "KIR,150000000.0,140000000.0")
    )
    (inst / "budgets.csv").write_text(text)
    res = CliRunner().invoke(main, ["balance", str(inst)])
    assert res.exit_code == 2
    assert (
        "budgets.csv row 2, field 'budget': base_cost 1.5e+08 exceeds budget 1.4e+08 by "
        "10 000 000 SEK; add savings options" in res.output
    )

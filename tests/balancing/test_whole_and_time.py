"""Issue 20's rules on tiny instances: move over time (R14), the action order as policy,
acute need dimensioned by the 85 % rule, whole activities (R15) and the expected wait.

Resource "RN" in hours; one activity of ``o`` = 1 h unless stated. Optima worked out in the
comment above each test.
"""

from __future__ import annotations

import math

import pytest

from pks_opt.balancing import build_data
from pks_opt.balancing.data import (
    BalancingParameters,
    Capability,
    Increase,
    Move,
    PriorityRule,
    TimeShift,
    WaitingList,
    acute_split,
)
from pks_opt.balancing.milp import STAGE_LADDER, solve_balancing
from pks_opt.balancing.solution import (
    actions_table,
    expected_waits,
    make_result,
    stage_values,
    violations,
)
from pks_opt.capacity_need.figures import Usage
from pks_opt.result import SolveStatus

from .helpers import figures


def _solve(data):  # type: ignore[no-untyped-def]
    run = solve_balancing(data, "highs", time_limit_s=20)
    assert run.status is SolveStatus.OPTIMAL
    assert violations(data, run.values) == []
    proved = run.continuous or run.values
    again = stage_values(data, proved)
    for st in run.stages:
        assert again[st.name] == pytest.approx(st.outcome.objective, rel=1e-6, abs=1e-5)
    return run


def _two_quarters(extra_unit: bool = False):  # type: ignore[no-untyped-def]
    # A needs 4 activities in Q1 and 12 in Q2 (priority 1, not postponable), has 10 h each.
    units = ["A", "B"] if extra_unit else ["A"]
    need = {("A", "o", "Q1"): 4.0, ("A", "o", "Q2"): 12.0}
    avail = {("A", "RN", "Q1"): 10.0, ("A", "RN", "Q2"): 10.0}
    usage = {("A", "o"): [("A", "RN", 1.0)]}
    if extra_unit:  # B: 10 h, needs 2 -> 8 h spare in each quarter
        need |= {("B", "b", "Q1"): 2.0, ("B", "b", "Q2"): 2.0}
        avail |= {("B", "RN", "Q1"): 10.0, ("B", "RN", "Q2"): 10.0}
        usage[("B", "b")] = [("B", "RN", 1.0)]
    return figures(
        units=units, resources=["RN"], periods=["Q1", "Q2"], need=need, usage=usage,
        available=avail,
    )  # fmt: skip


@pytest.mark.rule("balancing", "R14")
def test_shift_in_time_before_a_move_between_units():
    # Q2 is 2 h short. A's Q1 spare is 10 - 4 = 6 h; the time shift allows 50 % of 10 = 5 h;
    # B could give 2 h too. Ladder: shifting 2 h weighs 0.5 x 2 = 1, moving 2 h 1 x 2 = 2,
    # so the plan shifts 2 h Q1 -> Q2 (cost 3 SEK/h = 6 SEK) and moves nothing; unmet 0.
    data = build_data(
        _two_quarters(extra_unit=True),
        time_shifts=[TimeShift(unit="A", resource="RN", max_share=0.5, cost_per_unit=3)],
        moves=[Move(donor="B", receiver="A", resource="RN", max_per_period=10)],
    )
    run = _solve(data)
    assert sum(run.values["w"].values()) == pytest.approx(2)
    assert run.values["w"][(0, "Q1", "Q2")] == pytest.approx(2)
    assert sum(run.values["m"].values()) == pytest.approx(0)
    assert sum(run.values["s"].values()) == pytest.approx(0)
    acts = actions_table(data, run.values)
    row = acts.iloc[0]
    assert (row["action"], row["unit"], row["period"], row["detail"]) == (
        "shift_in_time", "A", "Q2", "from Q1 (same unit)",
    )  # fmt: skip
    assert row["cost"] == pytest.approx(6)


@pytest.mark.rule("balancing", "R14")
def test_shift_in_time_is_limited_by_its_share():
    # max_share 0.1: at most 1 h of Q1's 10 h moves -> Q2 still 1 activity short (unmet 1).
    data = build_data(
        _two_quarters(), time_shifts=[TimeShift(unit="A", resource="RN", max_share=0.1)]
    )
    run = _solve(data)
    assert sum(run.values["w"].values()) == pytest.approx(1)
    assert sum(run.values["s"].values()) == pytest.approx(1)


def _short_by_4(order):  # type: ignore[no-untyped-def]
    # A needs 10 h, has 6; B has 10 h, needs 4 -> spare 6. Move: 5 SEK/h; increase 1 SEK/h.
    fig = figures(
        units=["A", "B"], resources=["RN"], periods=["Q1"],
        need={("A", "o", "Q1"): 10, ("B", "b", "Q1"): 4},
        usage={("A", "o"): [("A", "RN", 1.0)], ("B", "b"): [("B", "RN", 1.0)]},
        available={("A", "RN", "Q1"): 6, ("B", "RN", "Q1"): 10},
    )  # fmt: skip
    return build_data(
        fig,
        moves=[Move(donor="B", receiver="A", resource="RN", max_per_period=10, cost_per_unit=5)],
        increases=[
            Increase(
                unit="A", resource="RN", kind="budget_increase", cost_per_unit=1, max_per_period=10
            )
        ],
        params=BalancingParameters(action_order=order),
    )


@pytest.mark.parametrize(
    ("order", "moved", "increased", "cost"),
    [
        # ladder: a move (weight 1) before an increase (10): 4 h moved, 20 SEK
        ("ladder", 4, 0, 20),
        # cost: one stage, 4 h increased for 4 SEK beats 20 SEK of moving
        ("cost", 0, 4, 4 + 1e-3 * 4 * 10),
        # explicit tiers, increase first: 4 h increased (tier 0, weight 1)
        ([["shift_in_time", "increase"], "move", "purchase", "postpone"], 0, 4, 4),
    ],
)
def test_action_order_policy(order, moved, increased, cost):
    data = _short_by_4(order)
    run = _solve(data)
    assert sum(run.values["m"].values()) == pytest.approx(moved)
    assert sum(run.values["z"].values()) == pytest.approx(increased)
    names = [st.name for st in run.stages]
    assert (STAGE_LADDER in names) is (order != "cost")
    cost_stage = next(st for st in run.stages if st.name == "cost")
    assert cost_stage.outcome.objective == pytest.approx(cost, abs=1e-6)


def test_an_unknown_action_kind_is_refused():
    with pytest.raises(ValueError, match="unknown action kind 'bribe'"):
        BalancingParameters(action_order=["move", "bribe"])


def test_acute_split_by_hand():
    # 90 acute arrivals in 90 days: Poisson(1) a day. P(X<=1) = 0.7358 < 0.85 <= P(X<=2) =
    # 0.9197 -> level 2 a day. Within the level E[min(X, 2)] = P(X>0) + P(X>1) = 0.63212 +
    # 0.26424 = 0.89636 -> reserved 80.67; peak plan 90 - 80.67 = 9.33 (days above 2).
    level, reserved, peak = acute_split(90, 90, 0.85)
    assert level == 2
    assert reserved == pytest.approx(90 * (1 - math.exp(-1) + 1 - 2 * math.exp(-1)))
    assert reserved + peak == pytest.approx(90)


@pytest.mark.rule("balancing", "R16")
def test_acute_need_is_reserved_never_postponed_and_the_peak_is_named():
    # Acute object o (priority 1, whose rule would allow postponing) with 90 arrivals in a
    # 90-day quarter: 81 activities reserved (80.67 rounded), peak plan 9.33. A has 81 h:
    # the reserved need is covered, nothing is postponed or unmet.
    import dataclasses

    fig = figures(
        units=["A"], resources=["RN"], periods=["Q1", "Q2"],
        need={("A", "o", "Q1"): 90, ("A", "o", "Q2"): 90},
        usage={("A", "o"): [("A", "RN", 1.0)]},
        available={("A", "RN", "Q1"): 81, ("A", "RN", "Q2"): 81},
    )  # fmt: skip
    fig = dataclasses.replace(fig, acute=frozenset({"o"}), period_days={"Q1": 90.0, "Q2": 90.0})
    prio = PriorityRule(
        priority=1, unmet_weight=100, may_postpone=True, max_postpone_periods=1,
        postpone_weight_per_period=1,
    )  # fmt: skip
    data = build_data(fig, priorities=[prio])
    assert not data.rule("o").may_postpone
    assert data.need[("A", "o", "Q1")] == 81
    run = _solve(data)
    assert sum(run.values["s"].values()) == 0 and sum(run.values["d"].values()) == 0
    res = make_result(data, run)
    goals = res.tables["production_goals"].set_index("period")
    assert goals.loc["Q1", "goal"] == 81
    assert goals.loc["Q1", "peak_plan"] == pytest.approx(9.33, abs=0.01)
    cat = res.tables["service_catalogue"].iloc[0]
    assert cat["unmet"] == 0 and cat["peak_plan"] == pytest.approx(18.66, abs=0.02)
    assert "peak plan for the days above 2 a day" in cat["expected_consequence"]
    assert res.kpis["unmet_activities"] == 0


@pytest.mark.rule("balancing", "R16")
def test_acute_gap_has_its_own_column_and_stays_out_of_unmet_and_the_weighted_kpi():
    # Acute o: 90 arrivals in a 90-day quarter -> level 2 a day, 81 reserved (80.67 rounded),
    # peak plan 9.33; A has 71 RN h for it -> 10 reserved activities find no capacity: an acute
    # gap (weight 100 each in the need stage, so the solver still serves o first). Elective e
    # (priority 2, weight 1): need 5, 3 MD h -> 2 unmet. production_goals: o unmet 0,
    # acute_gap 10; e unmet 2, acute_gap 0. KPI weighted_unmet_and_postponed = 2 x 1 = 2
    # (not 2 + 10 x 100 = 1 002); the need stage itself still counts the gap (1 002).
    import dataclasses

    fig = figures(
        units=["A"], resources=["RN", "MD"], periods=["Q1"],
        need={("A", "o", "Q1"): 90, ("A", "e", "Q1"): 5},
        usage={("A", "o"): [("A", "RN", 1.0)], ("A", "e"): [("A", "MD", 1.0)]},
        available={("A", "RN", "Q1"): 71, ("A", "MD", "Q1"): 3},
        priority={"o": 1, "e": 2},
    )  # fmt: skip
    fig = dataclasses.replace(fig, acute=frozenset({"o"}), period_days={"Q1": 90.0})
    prios = [PriorityRule(priority=1, unmet_weight=100), PriorityRule(priority=2, unmet_weight=1)]
    data = build_data(fig, priorities=prios)
    run = _solve(data)
    res = make_result(data, run)
    goals = res.tables["production_goals"].set_index("planning_object")
    assert goals.loc["o", "goal"] == 71 and goals.loc["o", "need"] == 81
    assert goals.loc["o", "unmet"] == 0 and goals.loc["o", "acute_gap"] == 10
    assert goals.loc["o", "peak_plan"] == pytest.approx(9.33, abs=0.01)
    assert goals.loc["e", "unmet"] == 2 and goals.loc["e", "acute_gap"] == 0
    assert res.kpis["weighted_unmet_and_postponed"] == 2
    assert res.kpis["unmet_activities"] == 2 and res.kpis["acute_gap_activities"] == 10
    assert res.objective == pytest.approx(1002)
    cat = res.tables["service_catalogue"].set_index("planning_object")
    assert cat.loc["o", "acute_gap"] == 10 and cat.loc["o", "unmet"] == 0
    trace = res.tables["trace"].set_index("id")
    assert "10 acute without capacity" in trace.loc["goal:A:o:Q1", "note"]


@pytest.mark.rule("balancing", "R15")
def test_whole_activities_rounding_gives_remainders_back_where_rows_have_room():
    # A needs 10 activities (1 h), has 8.5 h; B may produce o for A and has 2 h (no need of
    # its own). Fractional optimum: A 8.5 + B 1.5 (or 8 + 2), unmet 0. Rounded down: A 8 +
    # B 1 = 9, unmet 1; B's 2 h have room for one more -> B 2, unmet 0 (R15).
    fig = figures(
        units=["A", "B"], resources=["RN"], periods=["Q1"],
        need={("A", "o", "Q1"): 10},
        usage={("A", "o"): [("A", "RN", 1.0)], ("B", "o"): [("B", "RN", 1.0)]},
        available={("A", "RN", "Q1"): 8.5, ("B", "RN", "Q1"): 2},
    )  # fmt: skip
    data = build_data(
        fig,
        capabilities=[Capability(unit="B", planning_object="o")],
        usage={("B", "o"): (Usage("B", "RN", 1.0),)},
    )
    run = _solve(data)
    assert run.continuous is not None
    xs = run.values["x"]
    assert all(v == int(v) for v in xs.values())
    assert sum(xs.values()) == 10 and sum(run.values["s"].values()) == 0
    assert xs[("A", "B", "o", "Q1")] == 2 and run.rounding_unmet == 0


@pytest.mark.rule("balancing", "R15")
def test_whole_activities_a_remainder_without_room_stays_unmet_and_is_counted():
    # A needs 10, has 7.5 h, nothing else: fractional unmet 2.5; rounded: 7 produced, unmet 3;
    # the 0.5 h left has no room for a whole activity: rounding_unmet = 0.5.
    fig = figures(
        units=["A"], resources=["RN"], periods=["Q1"], need={("A", "o", "Q1"): 10},
        usage={("A", "o"): [("A", "RN", 1.0)]}, available={("A", "RN", "Q1"): 7.5},
    )  # fmt: skip
    data = build_data(fig)
    run = _solve(data)
    assert run.values["x"][("A", "A", "o", "Q1")] == 7
    assert run.values["s"][("A", "o", "Q1")] == 3
    assert run.rounding_unmet == pytest.approx(0.5)
    assert make_result(data, run).kpis["whole_activities_rounding_unmet"] == pytest.approx(0.5)


def test_expected_wait_is_queue_over_production_with_the_existing_queue():
    # Last quarter 91 days = 13 weeks. Waiting list 30, 10 of it worked down (q); 4 unmet and
    # 6 postponed out of the last quarter; production in the last quarter 26 (x) + 10 from the
    # waiting list = 36 -> 36 / 13 a week. Queue = 30 - 10 + 4 + 6 = 30; expected wait
    # 30 / (36 / 13) = 10.83 weeks.
    fig = figures(
        units=["A"], resources=["RN"], periods=["Q1"], need={("A", "o", "Q1"): 36},
        usage={("A", "o"): [("A", "RN", 1.0)]}, available={("A", "RN", "Q1"): 36},
    )  # fmt: skip
    import dataclasses

    fig = dataclasses.replace(fig, period_days={"Q1": 91.0})
    data = build_data(fig, waiting_lists=[WaitingList(unit="A", planning_object="o", waiting=30)])
    values = {
        "x": {("A", "A", "o", "Q1"): 26.0},
        "buy": {},
        "q": {("A", "o", "Q1"): 10.0},
        "s": {("A", "o", "Q1"): 4.0},
        "d": {("A", "o", "Q1"): 6.0},
    }
    queue, wait = expected_waits(data, values)[("A", "o")]
    assert queue == pytest.approx(30) and wait == pytest.approx(30 * 13 / 36)


def test_seed_round2_acute_shortfall_is_a_dimensioning_gap_not_unmet(tmp_path):
    # seed-inpatient round 2: 2 400 acute admissions (6.58 a day -> level 9 a day, 2 302
    # reserved); 20 beds x 365 = 7 300 bed-days carry 7 300 x 0.95 / 3.5 = 1 981 admissions,
    # so 321 within the level lack capacity: an acute_gap (the seed's round 3 dimensions 24
    # beds), and nothing is "unmet".
    import pandas as pd
    from click.testing import CliRunner

    from pks_opt.commands import main
    from pks_opt.instances import instance_path

    seed = instance_path("seed-inpatient")
    out = tmp_path / "o"
    res = CliRunner().invoke(
        main, ["balance", str(seed), "--scenario", str(seed / "round2.yaml"), "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out / "scenario_comparison.csv").set_index("scenario")
    assert table.loc["round2", "unmet_activities"] == 0
    # the gap is named, and not counted as unmet need in the weighted KPI
    assert table.loc["round2", "acute_gap_activities"] == 321
    assert table.loc["round2", "weighted_unmet_and_postponed"] == 0
    goals = pd.read_csv(out / "round2" / "production_goals.csv").iloc[0]
    assert goals["unmet"] == 0 and goals["acute_gap"] == 321
    acts = pd.read_csv(out / "round2" / "actions.csv")
    assert acts["action"].tolist() == ["acute_gap"] and acts["amount"].iloc[0] == 321
    assert (acts["action"] == "unmet").sum() == 0

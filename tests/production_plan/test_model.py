"""One behaviour per constraint family of models/production_plan.md, on tiny instances.

Every test states its optimum in a comment, works on 2–4 weeks and runs on both MILP backends.
The annual goal is scaled to the horizon (goal over N weeks = annual_goal × N / 52), so a
horizon goal G over N weeks is written as annual_goal = G × 52 / N.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from pks_opt.milp import MILP_BACKENDS
from pks_opt.production_plan.data import read_plan, wait_window
from pks_opt.production_plan.evaluate import evaluate, steady_rate
from pks_opt.production_plan.milp import solve_plan
from pks_opt.result import SolveStatus

from .tiny import column, one_resource, production, solve, weekly_inflow, write_instance

pytestmark = pytest.mark.parametrize("backend", MILP_BACKENDS)


@pytest.mark.rule("production_plan", "R1")
def test_queue_dynamics_with_other_removals(tmp_path: Path, backend: str) -> None:
    # q0 = 20, inflow 10/week, 2 removed otherwise per week, 3 weeks; target 5 by week 3 and a
    # horizon goal of 39: reaching 5 needs Σx ≥ 20 + 30 − 6 − 5 = 39, the goal caps it at 39
    # (excess costs), levelling spreads it evenly: x = 13, 13, 13.
    # Queue: 20 + 10 − 2 − 13 = 15, then 10, then 5.
    folder = write_instance(
        tmp_path / "q",
        objects=[
            {
                "planning_object": "a",
                "queue_start": 20,
                "annual_goal": 39 * 52 / 3,
                "target_queue": 5,
                "target_week": 3,
            }
        ],
        weeks=3,
        resources=one_resource(100),
        hours=[("a", "doc", 1.0)],
        inflow=weekly_inflow("a", [10, 10, 10], removals=[2, 2, 2]),
    )
    res = solve(folder, backend)
    assert res.status is SolveStatus.OPTIMAL
    assert production(res, "a") == [13, 13, 13]
    assert column(res, "a", "queue_end") == [15, 10, 5]
    assert column(res, "a", "queue_start") == [20, 15, 10]
    assert column(res, "a", "other_removals") == [2, 2, 2]
    # Without the reduction goal only the goal (39) drives production: the same plan here.
    assert production(res, "a", "production_plan_no_reduction") == [13, 13, 13]


@pytest.mark.rule("production_plan", "R2")
def test_capacity_bounds_production_and_is_reported(tmp_path: Path, backend: str) -> None:
    # Two objects share 10 doctor hours a week; a needs 1 h, b 2 h per activity. Each waits 30
    # with a target of 0 by week 2 (1 per patient above it; wait term switched off), both
    # priority 1. Capacity: x_a + 2 x_b ≤ 10 per week. An hour removes one patient of a but
    # half of b, and a cannot be cleared (30 > 20 h), so every hour goes to a:
    # x_a = 10, 10, x_b = 0, 0; used hours 10 of 10 each week.
    folder = write_instance(
        tmp_path / "c",
        objects=[
            {"planning_object": "a", "queue_start": 30, "target_queue": 0},
            {"planning_object": "b", "queue_start": 30, "target_queue": 0},
        ],
        weeks=2,
        resources=one_resource(10),
        hours=[("a", "doc", 1.0), ("b", "doc", 2.0)],
        inflow=weekly_inflow("a", [0, 0]) + weekly_inflow("b", [0, 0]),
        parameters={"wait_excess_weight": 0},
    )
    res = solve(folder, backend)
    assert res.status is SolveStatus.OPTIMAL
    assert production(res, "a") == [10, 10]
    assert production(res, "b") == [0, 0]
    cap = res.tables["capacity_use"]
    assert list(cap["used_hours"]) == [10, 10]
    assert list(cap["available_hours"]) == [10, 10]
    assert res.kpis["unused_capacity_hours"] == 0


@pytest.mark.rule("production_plan", "R9")
@pytest.mark.parametrize("first", ["a", "b"])
def test_higher_priority_protected_first(tmp_path: Path, backend: str, first: str) -> None:
    # a and b: 20 waiting each, no inflow, target 0 from week 1, 1 h per activity, 10 h a week.
    # Together they need 40 activities, capacity gives 20. Lexicographic stages: the priority-1
    # object takes all 20 (10 + 10; queue 10, 0: 10 patient-weeks above target, the least
    # possible), the other gets nothing and stays at 20 — though its target is worth 5 per
    # patient-week against 1 for the first: one activity moved would worsen the fixed stage 1.
    other = "b" if first == "a" else "a"
    folder = write_instance(
        tmp_path / f"p{first}",
        objects=[
            {
                "planning_object": "a",
                "priority": 1 if first == "a" else 2,
                "queue_start": 20,
                "target_queue": 0,
                "target_week": 1,
            },
            {
                "planning_object": "b",
                "priority": 1 if first == "b" else 2,
                "queue_start": 20,
                "target_queue": 0,
                "target_week": 1,
            },
        ],
        weeks=2,
        resources=one_resource(10),
        hours=[("a", "doc", 1.0), ("b", "doc", 1.0)],
        inflow=weekly_inflow("a", [0, 0]) + weekly_inflow("b", [0, 0]),
    )
    res = solve(folder, backend)
    assert res.status is SolveStatus.OPTIMAL
    assert production(res, first) == [10, 10]
    assert production(res, other) == [0, 0]
    assert column(res, first, "queue_end") == [10, 0]
    assert column(res, other, "target_excess") == [20, 20]
    # The unreachable target of the other gives a plan with an explanation, not a failure.
    assert any(line.startswith(f"{other} (priority 2)") for line in res.explanation)
    assert any("resource doc fully used in 2 week(s)" in line for line in res.explanation)


@pytest.mark.rule("production_plan", "R7", "R8")
def test_levelling_spreads_a_lumpy_inflow(tmp_path: Path, backend: str) -> None:
    # q0 = 10, inflow 0, 20, 0, 20; horizon goal 40. The even plan 10, 10, 10, 10 meets the goal
    # exactly with no change and no deviation (queue 0, 10, 0, 10 never negative): optimum 0.
    folder = write_instance(
        tmp_path / "lev",
        objects=[{"planning_object": "a", "queue_start": 10, "annual_goal": 40 * 52 / 4}],
        weeks=4,
        resources=one_resource(100),
        hours=[("a", "doc", 1.0)],
        inflow=weekly_inflow("a", [0, 20, 0, 20]),
    )
    res = solve(folder, backend)
    assert production(res, "a") == [10, 10, 10, 10]
    assert column(res, "a", "queue_end") == [0, 10, 0, 10]
    assert res.objective == pytest.approx(0)
    assert res.status is SolveStatus.OPTIMAL


@pytest.mark.rule("production_plan", "R3")
def test_without_levelling_production_chases_the_queue(tmp_path: Path, backend: str) -> None:
    # Same inflow, but max queue 0 (1 per patient-week above it), no levelling and no price on
    # production above the goal: every week clears its queue, x = q_start + inflow:
    # 10, 20, 0, 20 (queue 0 all weeks) — the unlevelled plan the levelling test avoids.
    folder = write_instance(
        tmp_path / "chase",
        objects=[
            {"planning_object": "a", "queue_start": 10, "annual_goal": 40 * 52 / 4, "max_queue": 0}
        ],
        weeks=4,
        resources=one_resource(100),
        hours=[("a", "doc", 1.0)],
        inflow=weekly_inflow("a", [0, 20, 0, 20]),
        parameters={"change_weight": 0, "steady_weight": 0, "goal_excess_weight": 0},
    )
    res = solve(folder, backend)
    assert res.status is SolveStatus.OPTIMAL
    assert production(res, "a") == [10, 20, 0, 20]
    assert column(res, "a", "queue_end") == [0, 0, 0, 0]


@pytest.mark.rule("production_plan", "R6")
def test_goal_met_and_goal_shortfall_reported(tmp_path: Path, backend: str) -> None:
    # 100 waiting, no inflow, horizon goal 50 over 2 weeks. With 30 h/week: x = 25, 25 (goal met,
    # even). With 20 h/week: at most 40, so x = 20, 20 and a shortfall of 10 activities.
    for hours_per_week, expected, short in ((30, [25, 25], 0), (20, [20, 20], 10)):
        folder = write_instance(
            tmp_path / f"g{hours_per_week}",
            objects=[{"planning_object": "a", "queue_start": 100, "annual_goal": 50 * 52 / 2}],
            weeks=2,
            resources=one_resource(hours_per_week),
            hours=[("a", "doc", 1.0)],
            inflow=weekly_inflow("a", [0, 0]),
        )
        res = solve(folder, backend)
        assert res.status is SolveStatus.OPTIMAL
        assert production(res, "a") == expected
        objects = res.tables["objects"]
        assert float(objects.loc[0, "goal_shortfall"]) == short
        request = "request for a new agreement: a plan agreed 50, achievable 40 (-10)"
        assert any(e.startswith(request) for e in res.explanation) == (short > 0)
        assert len(res.tables["feedback"]) == (1 if short else 0)


@pytest.mark.rule("production_plan", "R3")
def test_max_queue_excess_reported_per_week(tmp_path: Path, backend: str) -> None:
    # q0 = 30, inflow 10/week, at most 15 a week, max queue 20, no goal and no reduction goal:
    # production follows need (the net inflow, 10 a week), so the queue stays at 30, 10 above
    # the maximum every week — reported, not cured by producing above need (R11). With a
    # reduction goal (target 20 by week 3) the need path is 30 − 10·w/3 per week's end:
    # cumulative production ≤ 10w + 10w/3, i.e. 13, 26, 40 → x = 13, 13, 14 (levelled) and the
    # queue 27, 24, 20: 7, 4, 0 above the maximum.
    folder = write_instance(
        tmp_path / "mq",
        objects=[{"planning_object": "a", "queue_start": 30, "max_queue": 20}],
        weeks=3,
        resources=one_resource(15),
        hours=[("a", "doc", 1.0)],
        inflow=weekly_inflow("a", [10, 10, 10]),
    )
    res = solve(folder, backend)
    assert res.status is SolveStatus.OPTIMAL
    assert production(res, "a") == [10, 10, 10]
    assert column(res, "a", "queue_excess") == [10, 10, 10]
    assert res.kpis["weeks_above_max_queue"] == 3
    assert any("queue above its maximum 20 in week(s) 1–3 " in e for e in res.explanation)
    target = write_instance(
        tmp_path / "mq2",
        objects=[{"planning_object": "a", "queue_start": 30, "max_queue": 20, "target_queue": 20}],
        weeks=3,
        resources=one_resource(15),
        hours=[("a", "doc", 1.0)],
        inflow=weekly_inflow("a", [10, 10, 10]),
    )
    res = solve(target, backend)
    assert sorted(production(res, "a")) == [13, 13, 14]
    assert column(res, "a", "queue_end")[-1] == 20


@pytest.mark.rule("production_plan", "R4", "R11")
def test_littles_law_wait_drives_production(tmp_path: Path, backend: str) -> None:
    # Max wait 1 week: the queue at the end of week w must be served by the next week's
    # production (the window wraps round: week 2's queue by week 1's, a rolling plan).
    # q0 = 10, inflow 10/week, no goal: production may not run ahead of need (the queue stays
    # ≥ 10 at every week's end, R11), so x1 ≤ 10 and x1 + x2 ≤ 20. The wait rows
    # q1 = 20 − x1 ≤ x2 and q2 = 30 − x1 − x2 ≤ x1 hold iff x1 + x2 ≥ 20 and 2·x1 + x2 ≥ 30:
    # only x = 10, 10 meets both (below it each missing activity costs ≥ 1 patient-week of
    # wait excess); queue 10, 10; expected wait = queue ÷ next week's production = 1.0, 1.0.
    folder = write_instance(
        tmp_path / "w",
        objects=[
            {
                "planning_object": "a",
                "queue_start": 10,
                "max_wait_weeks": 1,
            }
        ],
        weeks=2,
        resources=one_resource(20),
        hours=[("a", "doc", 1.0)],
        inflow=weekly_inflow("a", [10, 10]),
    )
    res = solve(folder, backend)
    assert res.status is SolveStatus.OPTIMAL
    assert production(res, "a") == [10, 10]
    assert column(res, "a", "expected_wait_weeks") == [1.0, 1.0]
    assert column(res, "a", "wait_excess") == [0, 0]
    assert res.kpis["weeks_above_target_wait"] == 0


@pytest.mark.rule("production_plan", "R5")
def test_reduction_goal_versus_none_side_by_side(tmp_path: Path, backend: str) -> None:
    # q0 = 20, inflow 10/week, no goal, target 0 by week 2. With the reduction goal, need is
    # the inflow plus the agreed reduction: 20 + 20 − 0 = 40 over two equal weeks, x = 20, 20,
    # queue 10, 0. Without it need is the inflow alone: x = 10, 10, the queue stays at 20.
    folder = write_instance(
        tmp_path / "r",
        objects=[
            {
                "planning_object": "a",
                "queue_start": 20,
                "target_queue": 0,
                "target_week": 2,
            }
        ],
        weeks=2,
        resources=one_resource(30),
        hours=[("a", "doc", 1.0)],
        inflow=weekly_inflow("a", [10, 10]),
        parameters={"target_excess_weight": 2},
    )
    res = solve(folder, backend)
    assert production(res, "a") == [20, 20]
    assert column(res, "a", "queue_end") == [10, 0]
    assert production(res, "a", "production_plan_no_reduction") == [10, 10]
    assert column(res, "a", "queue_end", "production_plan_no_reduction") == [20, 20]
    assert res.kpis["queue_end_total_without_reduction"] == 20


def test_objective_recomputed_matches_the_solver(tmp_path: Path, backend: str) -> None:
    # A plan with every term active (two priorities, goal, max queue, wait, target, levelling):
    # the recomputed last-stage objective equals the solver's, and the result says so.
    folder = write_instance(
        tmp_path / "obj",
        objects=[
            {
                "planning_object": "a",
                "priority": 1,
                "queue_start": 25,
                "max_wait_weeks": 2,
                "annual_goal": 60 * 52 / 4,
                "max_queue": 15,
                "reduction_per_week": 3,
            },
            {
                "planning_object": "b",
                "priority": 2,
                "queue_start": 40,
                "max_wait_weeks": 3,
                "annual_goal": 50 * 52 / 4,
                "target_queue": 20,
                "target_week": 3,
            },
        ],
        weeks=[
            {"week": 1},
            {"week": 2, "week_type": "easter", "capacity_factor": 0.5},
            {"week": 3},
            {"week": 4},
        ],
        resources=one_resource(30),
        hours=[("a", "doc", 1.0), ("b", "doc", 1.5)],
        inflow=weekly_inflow("a", [12, 9, 14, 11]) + weekly_inflow("b", [8, 10, 7, 9]),
    )
    data = read_plan(folder)
    sol = solve_plan(data, backend=backend, time_limit_s=20, with_target=True)
    assert sol.status is SolveStatus.OPTIMAL
    ev = evaluate(data, sol.production, with_target=True)
    assert ev.stage_objective(2) == pytest.approx(sol.stages[-1].objective, rel=1e-6, abs=1e-6)
    # stage 1 is proven optimal, so its service is fixed exactly (10⁻⁶ relative noise only)
    v1 = sol.service_values["priority 1"]
    assert sol.service_slack["priority 1"] == pytest.approx(1e-6 * max(1.0, v1))
    assert ev.service[1] <= v1 + 1e-6 * max(1.0, v1) + 1e-6
    # capacity holds in every week, halved in the Easter week
    for w, avail in enumerate([30, 15, 30, 30]):
        assert sol.production["a"][w] + 1.5 * sol.production["b"][w] <= avail + 1e-9


@pytest.mark.rule("production_plan", "R4", "R8")
def test_wait_window_and_steady_rate(backend: str) -> None:
    # Pure helpers (backend unused): a 2.5-week wait is served by the next 3 weeks, wrapping.
    assert wait_window(0, 2.5, 6) == (1, 2, 3)
    assert wait_window(4, 2.5, 6) == (5, 0, 1)
    assert wait_window(1, 1, 2) == (0,)
    # Σ|x − s·shape| for x = 10, 10, 4 with shape 1, 1, 0.5 = Σ shape·|x/shape − s|: the median
    # of x/shape = 8, 10, 10 weighted 0.5, 1, 1 (half of 2.5 is passed at 10) → s = 10,
    # deviation 0 + 0 + 1 (s = 8 would give 2 + 2 + 0).
    assert steady_rate((10, 10, 4), (1.0, 1.0, 0.5)) == 10
    assert steady_rate((0, 0), (0.0, 0.0)) == 0.0


@pytest.mark.rule("production_plan", "R10")
def test_rounding_cuts_keep_the_integer_optimum(tmp_path: Path, backend: str) -> None:
    # R10 cuts (and the queue ≥ frac(c) bounds) only tighten the LP relaxation: with fractional
    # inflow every excess term gets a rounding cut, yet the proven optimum must equal the best
    # of all 5³ = 125 whole-activity plans (x ∈ 0..4 a week, 4 h, 1 h each), enumerated here
    # with the independent evaluation (steady rate = weighted median). Max queue 2, wait 1 week
    # (window = next week), target 1 by week 3, a capacity dip to 0.5 in week 2.
    import itertools

    folder = write_instance(
        tmp_path / "mir",
        objects=[
            {
                "planning_object": "a",
                "queue_start": 3.3,
                "max_wait_weeks": 1,
                "max_queue": 2,
                "target_queue": 1,
                "target_week": 3,
            }
        ],
        weeks=[
            {"week": 1},
            {"week": 2, "week_type": "easter", "capacity_factor": 0.5},
            {"week": 3},
        ],
        resources=one_resource(4),
        hours=[("a", "doc", 1.0)],
        inflow=weekly_inflow("a", [2.6, 1.7, 2.2]),
    )
    # The stages are lexicographic: first the least production above need (R11), then the
    # stage objective among those plans.
    data = read_plan(folder)
    best_goal, best = math.inf, math.inf
    for x in itertools.product(range(5), range(3), range(5)):
        queue = [3.3 + sum((2.6, 1.7, 2.2)[: w + 1]) - sum(x[: w + 1]) for w in range(3)]
        if min(queue) < -1e-9:
            continue
        ev = evaluate(data, {"a": x}, with_target=True)
        goal = round(ev.goal[1], 9)
        if (goal, ev.stage_objective(1)) < (best_goal, best):
            best_goal, best = goal, ev.stage_objective(1)
    sol = solve_plan(data, backend=backend, time_limit_s=20, with_target=True)
    assert sol.status is SolveStatus.OPTIMAL
    assert sol.stages[0].objective == pytest.approx(best_goal, rel=1e-6, abs=1e-6)
    assert sol.stages[-1].objective == pytest.approx(best, rel=1e-6, abs=1e-6)
    assert evaluate(data, sol.production, with_target=True).stage_objective(1) == pytest.approx(
        best, rel=1e-6, abs=1e-6
    )


@pytest.mark.rule("production_plan", "R11")
def test_no_goal_plans_the_relief_not_more(tmp_path: Path, backend: str) -> None:
    # The 26-week example: inflow 30 a week, 1 200 waiting, target 390 by week 26, max
    # wait 13 weeks, 100 h a week (1 h each), no goal. Need = inflow + the agreed reduction:
    # 26 × 30 + 1 200 − 390 = 1 590, levelled over 26 equal weeks = 61.15 a week (the relief,
    # C1): cumulative production may not run ahead of 61.15·w (R11), and the target makes it
    # reach 1 590 by week 26, so the plan ends at 390 — not at 0, as it would if the wait excess
    # (1 200 > 13 × 61) could draw production up to 100 a week. Without the reduction goal the
    # need is the inflow alone: 30 a week, the queue stays at 1 200.
    folder = write_instance(
        tmp_path / "relief26",
        objects=[
            {
                "planning_object": "a",
                "queue_start": 1200,
                "max_wait_weeks": 13,
                "target_queue": 390,
                "target_week": 26,
            }
        ],
        weeks=26,
        resources=one_resource(100),
        hours=[("a", "doc", 1.0)],
        inflow=weekly_inflow("a", [30] * 26),
    )
    res = solve(folder, backend)
    x = production(res, "a")
    assert sum(x) == 1590 and max(x) <= 62 and min(x) >= 61
    assert column(res, "a", "queue_end")[-1] == 390
    cf = res.tables["closed_form_checks"]
    assert cf.loc[0, "relief_production_per_week"] == pytest.approx(1590 / 26, abs=1e-3)
    assert production(res, "a", "production_plan_no_reduction") == [30] * 26
    assert column(res, "a", "queue_end", "production_plan_no_reduction") == [1200] * 26

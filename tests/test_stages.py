"""The lexicographic stage driver (pks_opt/stages.py) on tiny worked examples, and the one
self-check policy forced to fail at every level that runs on the driver."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from pks_opt import interrupt, stages
from pks_opt.result import SolveStatus
from pks_opt.stages import (
    Adapter,
    Check,
    CpSatAdapter,
    Outcome,
    PulpAdapter,
    Stage,
    TimeSplit,
    cp_status,
    exact,
    relative,
    run_stages,
    self_check,
)
from tests.activity_matrix.helpers import solve as solve_matrix_folder
from tests.activity_matrix.helpers import write_instance as write_matrix

# ------------------------------------------------------------------------------ PuLP


def _pulp_two_stages() -> tuple[Any, Any, Any, list[Stage]]:
    """x, y integers in [0, 10] with x + 2y ≥ 7.

    Stage 1 minimises x + y: x + y ≥ (x + 2y)/2 ≥ 3.5, so ≥ 4 for integers; (1, 3) and
    (0, 4) reach 4. Stage 2 maximises y (minimises −y) with x + y held ≤ 4: y = 4, x = 0,
    value −4.
    """
    import pulp

    prob = pulp.LpProblem("two_stages", pulp.LpMinimize)
    x = pulp.LpVariable("x", 0, 10, cat="Integer")
    y = pulp.LpVariable("y", 0, 10, cat="Integer")
    prob += x + 2 * y >= 7, "cover"
    return prob, x, y, [Stage("cost", x + y), Stage("most_y", -y)]


@pytest.mark.parametrize("backend", ["highs", "cbc"])
def test_pulp_two_stages_exact_hold(backend: str) -> None:
    prob, x, y, two = _pulp_two_stages()
    seen: list[str] = []
    run = run_stages(
        two,
        PulpAdapter(prob, backend),
        TimeSplit(10.0),
        exact,
        on_stage=lambda r: seen.append(r.name),
    )
    assert run.status is SolveStatus.OPTIMAL and run.stopped is None
    assert [(r.name, r.status, r.objective) for r in run.reports] == [
        ("cost", SolveStatus.OPTIMAL, pytest.approx(4)),
        ("most_y", SolveStatus.OPTIMAL, pytest.approx(-4)),
    ]
    assert seen == ["cost", "most_y"]  # progress: one report per stage as it ends
    assert run.held["cost"] == pytest.approx(4) and run.slack["cost"] == 0
    assert (x.value(), y.value()) == (pytest.approx(0), pytest.approx(4))
    assert "stage_cost_" in prob.constraints  # the stage is held in the model


def test_pulp_tolerance_is_in_objective_units() -> None:
    # With 50 % slack the cost stage is held at x + y ≤ 4 + 2 = 6: stage 2 then reaches y = 6.
    prob, _x, y, two = _pulp_two_stages()
    run = run_stages(two, PulpAdapter(prob, "highs"), TimeSplit(None), relative(0.5, 1e-7))
    assert run.slack["cost"] == pytest.approx(2)
    assert run.reports[-1].objective == pytest.approx(-6) and y.value() == pytest.approx(6)


# ------------------------------------------------------------------------------ CP-SAT


def test_cpsat_two_stages() -> None:
    """Booleans a, b, c with a + b + c ≥ 2. Stage 1 minimises a + b: at least one of them is
    needed (c alone gives 1), so 1. Stage 2 minimises 2a + c with a + b ≤ 1 held: (a, b, c) =
    (0, 1, 1) gives 1, (1, 0, 1) gives 3, (1, 1, 0) breaks the hold: 1."""
    from ortools.sat.python import cp_model

    m = cp_model.CpModel()
    a, b, c = (m.new_bool_var(n) for n in "abc")
    m.add(a + b + c >= 2)
    adapter = CpSatAdapter(m, hint_vars=[a, b, c])
    run = run_stages(
        [Stage("ab", a + b), Stage("weighted", 2 * a + c)], adapter, TimeSplit(10.0, 0.01), exact
    )
    assert run.status is SolveStatus.OPTIMAL
    assert [r.objective for r in run.reports] == [1.0, 1.0]
    assert adapter.hints == {a: 0, b: 1, c: 1}
    assert adapter.deterministic_s > 0  # the clock of the time split


def test_cp_status_mapping() -> None:
    from ortools.sat.python import cp_model as cp

    assert cp_status(cp.OPTIMAL, cp) is SolveStatus.OPTIMAL
    assert cp_status(cp.FEASIBLE, cp) is SolveStatus.FEASIBLE
    assert cp_status(cp.INFEASIBLE, cp) is SolveStatus.INFEASIBLE
    assert cp_status(cp.UNKNOWN, cp) is SolveStatus.NO_SOLUTION_IN_TIME
    with pytest.raises(RuntimeError, match="model invalid"):
        cp_status(cp.MODEL_INVALID, cp)


# ------------------------------------------------------------------------------ driver rules


class _Scripted(Adapter):
    """A solver that answers each stage from a script: (status, objective)."""

    def __init__(self, script: list[tuple[SolveStatus, float]]) -> None:
        super().__init__()
        self.script = list(script)
        self.budgets: list[float | None] = []
        self.held: list[tuple[str, float]] = []
        self.clock = 0.0

    def used_s(self) -> float:
        return self.clock

    def solve(self, stage: Stage, budget_s: float | None) -> Outcome:
        self.budgets.append(budget_s)
        self.clock += 1.0  # each stage uses one second
        status, obj = self.script.pop(0)
        return Outcome(status, obj if status.has_solution else math.inf, -math.inf, 1.0)

    def hold(self, stage: Stage, expr: Any, upper: float) -> None:
        self.held.append((stage.name, upper))


def _three() -> list[Stage]:
    return [Stage("s1", None), Stage("s2", None), Stage("s3", None)]


def test_time_split_shares_what_is_left() -> None:
    # 12 s over 3 stages, one second used by each: 12/3 = 4, then 11/2, then 10/1
    ad = _Scripted([(SolveStatus.OPTIMAL, 1.0)] * 3)
    run_stages(_three(), ad, TimeSplit(12.0, 0.5), exact)
    assert ad.budgets == [4.0, 5.5, 10.0]
    assert TimeSplit(1.0, 0.5).budget(3.0, 2) == 0.5  # never below the minimum
    assert TimeSplit(12.0, shared=False).budget(2.0, 3) == 10.0  # all that is left
    assert TimeSplit(None).budget(5.0, 1) is None


def test_status_combination() -> None:
    ok, feas = (SolveStatus.OPTIMAL, 3.0), (SolveStatus.FEASIBLE, 2.0)
    none = (SolveStatus.NO_SOLUTION_IN_TIME, 0.0)
    assert (
        run_stages(_three(), _Scripted([ok, ok, ok]), TimeSplit(None), exact).status
        is SolveStatus.OPTIMAL
    )
    assert (
        run_stages(_three(), _Scripted([ok, feas, ok]), TimeSplit(None), exact).status
        is SolveStatus.FEASIBLE
    )
    later = run_stages(_three(), _Scripted([ok, none]), TimeSplit(None), exact)
    assert later.status is SolveStatus.FEASIBLE and later.stopped == "no solution"
    assert [r.status for r in later.reports] == [SolveStatus.OPTIMAL, none[0]]
    first = run_stages(_three(), _Scripted([(SolveStatus.INFEASIBLE, 0.0)]), TimeSplit(None), exact)
    assert first.status is SolveStatus.INFEASIBLE and not first.has_solution


def test_hold_is_exact_when_proven_and_tolerant_otherwise() -> None:
    ad = _Scripted(
        [(SolveStatus.OPTIMAL, 100.0), (SolveStatus.FEASIBLE, 100.0), (SolveStatus.OPTIMAL, 1.0)]
    )
    tol = stages.proven_noise(1e-6, 0.01, 1e-4)
    run_stages(_three(), ad, TimeSplit(None), tol)
    assert ad.held[0] == ("s1", pytest.approx(100.0001))  # proven: solver noise only
    assert ad.held[1] == ("s2", pytest.approx(101.0))  # not proven: 1 %


def test_a_signal_stops_the_stages_and_keeps_the_solution(monkeypatch: pytest.MonkeyPatch) -> None:
    ad = _Scripted([(SolveStatus.OPTIMAL, 1.0)] * 3)
    real_solve = ad.solve

    def solve_then_signal(stage: Stage, budget_s: float | None) -> Outcome:
        out = real_solve(stage, budget_s)
        monkeypatch.setattr(interrupt, "requested", lambda: "SIGINT")
        return out

    monkeypatch.setattr(ad, "solve", solve_then_signal)
    run = run_stages(_three(), ad, TimeSplit(None), exact)
    assert [r.name for r in run.reports] == ["s1"]
    assert run.stopped == "signal" and run.status is SolveStatus.FEASIBLE and run.has_solution


def test_accept_ends_the_stages_for_the_level() -> None:
    ad = _Scripted([(SolveStatus.OPTIMAL, 1.0)] * 3)
    run = run_stages(
        _three(), ad, TimeSplit(None), exact, accept=lambda stage, _out: stage.name != "s2"
    )
    assert [r.name for r in run.reports] == ["s1", "s2"] and run.stopped == "by the level"
    assert ad.held == [("s1", 1.0)]  # s2 was not held


def test_self_check_policy() -> None:
    ok = Check("a", 10.0, 10.0000001, 1e-5)
    above = Check("b", 10.0, 11.0, 1e-5)
    below_bound = Check("c", 10.0, 8.0, 1e-5, bound=9.0)
    not_equal = Check("d", 10.0, 9.0, 1e-5, exact=True)
    status, problems = self_check(SolveStatus.OPTIMAL, [ok])
    assert status is SolveStatus.OPTIMAL and problems == []
    status, problems = self_check(SolveStatus.OPTIMAL, [ok, above, below_bound, not_equal])
    assert status is SolveStatus.FEASIBLE
    assert [p.split(" recomputed")[0] for p in problems] == [
        "self-check: stage b",
        "self-check: stage c",
        "self-check: stage d",
    ]
    # never better than the status it had
    assert (
        self_check(SolveStatus.NO_SOLUTION_IN_TIME, [above])[0] is SolveStatus.NO_SOLUTION_IN_TIME
    )


# ------------------------------------------------------------------------------ levels


def test_matrix_self_check_mismatch_warns_and_is_feasible(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pks_opt.activity_matrix import solution

    folder = write_matrix(tmp_path / "m")
    assert solve_matrix_folder(folder).status is SolveStatus.OPTIMAL
    real = solution.stage_values
    monkeypatch.setattr(
        solution, "stage_values", lambda d, rooms: {k: v + 1 for k, v in real(d, rooms).items()}
    )
    res = solve_matrix_folder(folder)
    assert res.status is SolveStatus.FEASIBLE
    assert any(w.startswith("self-check: stage same-day recomputed 1") for w in res.warnings)


def test_plan_self_check_mismatch_warns_and_is_feasible(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pks_opt.production_plan.evaluate import PlanEvaluation
    from tests.production_plan.tiny import solve as solve_plan_folder
    from tests.production_plan.tiny import weekly_inflow
    from tests.production_plan.tiny import write_instance as write_plan

    # one object, queue 10, 10 hours a week for 2 weeks: cleared, every stage proven
    folder = write_plan(
        tmp_path / "p",
        objects=[{"planning_object": "a", "queue_start": 10, "max_wait_weeks": 1}],
        weeks=2,
        resources=[{"resource": "doc", "hours_per_week": 10}],
        hours=[("a", "doc", 1.0)],
        inflow=weekly_inflow("a", [0, 0]),
    )
    good = solve_plan_folder(folder, "highs")
    assert good.status is SolveStatus.OPTIMAL and good.warnings == []
    real = PlanEvaluation.stage_values

    def off(self: PlanEvaluation, priorities: tuple[int, ...]) -> dict[str, tuple[float, float]]:
        return {k: (a + 5, b + 5) for k, (a, b) in real(self, priorities).items()}

    monkeypatch.setattr(PlanEvaluation, "stage_values", off)
    bad = solve_plan_folder(folder, "highs")
    assert bad.status is SolveStatus.FEASIBLE
    assert any(
        w.startswith("self-check: stage priority 1 goals recomputed 5") for w in bad.warnings
    )


def test_balance_self_check_mismatch_warns_and_is_feasible(monkeypatch: pytest.MonkeyPatch) -> None:
    from pks_opt.balancing import balance, build_data
    from pks_opt.balancing import solution as bal_solution
    from pks_opt.balancing.data import Increase
    from tests.balancing.helpers import figures

    # A short by 4 h; a recruitment of 4 h closes it: every stage proven
    fig = figures(
        units=["A"],
        resources=["RN"],
        periods=["Q1"],
        need={("A", "o", "Q1"): 10},
        usage={("A", "o"): [("A", "RN", 1.0)]},
        available={("A", "RN", "Q1"): 6},
    )
    data = build_data(
        fig,
        increases=[
            Increase(
                unit="A", resource="RN", kind="recruitment", cost_per_unit=1, max_per_period=10
            )
        ],
    )
    good = balance(data, "highs")
    assert good.status is SolveStatus.OPTIMAL and good.warnings == []
    real = bal_solution.stage_values
    monkeypatch.setattr(
        bal_solution, "stage_values", lambda d, v: {k: x + 3 for k, x in real(d, v).items()}
    )
    bad = balance(data, "highs")
    assert bad.status is SolveStatus.FEASIBLE
    assert any(w.startswith("self-check: stage need recomputed 3") for w in bad.warnings)


def test_roster_self_check_mismatch_warns_and_is_feasible(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pks_opt.rostering as rostering
    from pks_opt.rostering import SolveOptions, read_roster, roster_result
    from tests.rostering.conftest import write_instance as write_roster

    # one nurse, one day shift asked on day 0: covered, every stage proven (all values 0)
    data = read_roster(
        write_roster(
            tmp_path / "r",
            staff="id,competences\nA,RN\n",
            demand="weekday,shift,competence,staff\n0,D,RN,1\n",
        )
    )
    opts = SolveOptions(time_limit_s=5, workers=1, seed=1)
    good, _ = roster_result(data, opts)
    assert good.status is SolveStatus.OPTIMAL and good.warnings == []
    real = rostering.evaluate_roster

    class Off:
        """The real evaluation, every stage value 2 higher."""

        def __init__(self, ev: Any) -> None:
            self.ev = ev

        def __getattr__(self, name: str) -> Any:
            return getattr(self.ev, name)

        def stage_values(self, lexicographic: bool) -> dict[str, float]:
            return {k: v + 2 for k, v in self.ev.stage_values(lexicographic).items()}

    monkeypatch.setattr(rostering, "evaluate_roster", lambda d, r: Off(real(d, r)))
    bad, _ = roster_result(data, opts)
    assert bad.status is SolveStatus.FEASIBLE
    assert any(
        w.startswith("self-check: stage tier-1 shortfall recomputed 2") for w in bad.warnings
    )
